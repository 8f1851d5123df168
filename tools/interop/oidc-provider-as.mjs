// node-oidc-provider as an MCP authorization server for `authcheck server`
// (docs/INTEROP.md): DCR, client_credentials, DPoP, CIMD, resource
// indicators, revocation, introspection; devInteractions = a login form
// (any username) and a consent form.
import Provider from 'oidc-provider';
const port = Number(process.env.PORT || 43200);
const resource = process.env.RESOURCE || 'http://localhost:43100/mcp';
const issuer = `http://localhost:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'cc-client', client_secret: 'cc-secret-0123456789',
    grant_types: ['client_credentials'], redirect_uris: [], response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  scopes: ['openid', 'mcp:tools', 'offline_access'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    dPoP: { enabled: true },
    registration: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    clientIdMetadataDocument: { enabled: true, ack: 'draft-02' },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, res) => {
        if (res !== resource) throw new Error('unknown resource');
        return { scope: 'mcp:tools', audience: res, accessTokenTTL: 3600, accessTokenFormat: 'opaque' };
      },
    },
  },
});
provider.proxy = true;
provider.listen(port, () => console.log(`oidc-provider ${issuer}`));
