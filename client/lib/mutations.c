/* The mutation table of the reference client (test build only): each entry
 * names one behaviour that MUTATED("name") switches off or breaks. */
#include "client/lib/mutations_int.h"

#ifdef MCPOAUTH_MUTATIONS

#include <stdlib.h>
#include <string.h>

struct mutation {
    const char *name;
    const char *summary;
};

static const struct mutation table[] = {
    {"no-pkce", "send no code_challenge / method and no code_verifier"},
    {"pkce-plain", "PKCE method plain: code_challenge = code_verifier"},
    {"no-state-check", "accept a callback whatever its state"},
    {"no-resource", "omit the resource parameter (authorization and token)"},
    {"no-iss-check", "skip RFC 9207 iss validation of the callback"},
    {"iss-normalize",
     "compare iss with the issuer after URL normalization (slash, case, "
     "default port)"},
    {"no-issuer-check", "use AS metadata whose issuer does not match"},
    {"no-s256-check",
     "proceed when code_challenge_methods_supported lacks S256"},
    {"no-prm-resource-check", "use a PRM whose resource does not match"},
    {"ignore-challenge-scope",
     "ignore the scope of the WWW-Authenticate challenge"},
    {"token-in-query", "send the access token as a query parameter too"},
    {"no-scope-union", "step-up requests only the challenged scope"},
    {"no-retry-limit", "step up more than 3 times per request"},
    {"ignore-insufficient-scope",
     "treat 403 insufficient_scope as final: no step-up"},
    {"never-refresh", "never use the refresh token: re-authorize instead"},
    {"no-proactive-refresh",
     "refresh only after a 401, never before a token expires"},
    {"ignore-stale-client", "no re-registration when the AS forgot the client"},
    {"reuse-credentials-across-as",
     "present a registration to an AS that did not issue it"},
    {"dcr-despite-cimd",
     "register dynamically despite CIMD support or pre-registration"},
    {"root-prm-first", "try the root PRM URL before the path-inserted one"},
    /* discovery */
    {"skip-prm", "never fetch the PRM: assume the AS at the MCP origin"},
    {"skip-as-metadata", "never fetch AS metadata: guess endpoints"},
    {"ignore-resource-metadata",
     "ignore the challenge's resource_metadata URL"},
    {"oidc-first", "OpenID configuration before RFC 8414 metadata"},
    {"no-metadata-fallback", "stop at the first failing AS metadata URL"},
    {"no-as-fallback", "use only the first authorization server the PRM lists"},
    {"no-legacy-discovery",
     "no 2025-03-26 fallbacks (AS at the MCP origin) without a PRM"},
    /* registration */
    {"skip-registration", "use an unregistered client_id"},
    {"no-application-type", "DCR without application_type"},
    {"non-loopback-redirect", "DCR with a non-loopback http redirect URI"},
    {"no-refresh-grant", "DCR grant_types without refresh_token"},
    {"register-public-client",
     "DCR as a public client whatever the AS supports"},
    {"redirect-localhost", "redirect URI with localhost, not 127.0.0.1"},
    {"new-port-old-registration",
     "reuse a stored registration with a new callback port"},
    {"no-token-store", "keep nothing between runs"},
    {"ignore-token-audience",
     "restore the newest stored record whatever its resource"},
    /* authorization */
    {"no-state", "send no state (and accept callbacks without one)"},
    {"require-iss", "reject a response without iss even when not advertised"},
    {"ignore-scopes-supported", "no scope from the PRM's scopes_supported"},
    {"default-scope", "invent a scope when none is known"},
    {"always-offline-access", "add offline_access whatever the AS lists"},
    {"never-offline-access", "never add offline_access"},
    /* token endpoint */
    {"token-redirect-uri-mismatch",
     "token request with another redirect_uri than the authorization"},
    {"redeem-code-twice", "redeem the authorization code a second time"},
    {"secret-in-body-for-basic",
     "client_secret in the body where client_secret_basic applies"},
    {"jwt-sub-not-client-id", "client assertion sub is not the client_id"},
    {"no-client-credentials",
     "authorization code grant where client credentials are asked"},
    {"widen-refresh-scope", "refresh asks for more scope than granted"},
    {"reuse-old-refresh-token", "keep using the first refresh token"},
    {"retry-invalid-grant", "retry a refresh answered invalid_grant"},
    {"reset-on-refresh-error",
     "drop the tokens when a refresh fails with 5xx or the network"},
    {"resend-rejected-token", "send a rejected token once more"},
    {"no-revoke-on-logout", "logout forgets without revoking"},
    /* MCP wire */
    {"no-accept-header", "MCP POSTs without Accept"},
    {"no-protocol-version-header", "MCP requests without MCP-Protocol-Version"},
    {"no-mcp-method-header", "2026-07-28 requests without Mcp-Method"},
    {"no-session-id", "2025-11-25 requests without Mcp-Session-Id"},
    {"skip-initialize", "2025-11-25: no initialize"},
    {"no-initialized-notification", "2025-11-25: no notifications/initialized"},
    /* DPoP (RFC 9449, ext-auth dpop-extension) */
    {"dpop-no-token-proof", "no DPoP proof on token requests"},
    {"dpop-bearer", "present a DPoP-bound token as Bearer, without a proof"},
    {"dpop-reuse-proof", "reuse the first MCP proof's jti"},
    {"dpop-bad-ath", "ath of another value than the access token"},
    {"dpop-no-content-digest", "MCP proofs without content_digest"},
    {"dpop-ignore-as-nonce", "no retry after the AS's use_dpop_nonce"},
    {"dpop-ignore-rs-nonce", "no retry after the MCP server's use_dpop_nonce"},
    {"dpop-forget-key", "keep the bound tokens in the store but not the key"},
    /* workload identity federation, enterprise-managed authorization */
    {"wif-wrong-grant-type",
     "JWT bearer grant sent as grant_type "
     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
    {"wif-wrong-audience",
     "conformance: present the context's wrong_audience_jwt"},
    {"wif-cache-assertion",
     "read the workload JWT once and reuse it after it expired"},
    {"wif-blind-retry", "send a refused JWT bearer grant twice more"},
    {"wif-fallback-code",
     "after a failed JWT bearer grant, register and authorize a user"},
    {"ema-exchange-audience-resource",
     "token exchange with audience = the MCP resource, not the AS issuer"},
    {"ema-ignore-jag-aud", "send an ID-JAG whatever its aud"},
    {"ema-ignore-jag-exp", "send an ID-JAG whatever its exp"},
    {"ema-fallback-code",
     "after a refused token exchange, register and authorize a user"},
};

#define NMUT (sizeof table / sizeof table[0])

static bool in_table(const char *name, size_t len)
{
    for (size_t i = 0; i < NMUT; i++) {
        if (strlen(table[i].name) == len &&
            strncmp(table[i].name, name, len) == 0) {
            return true;
        }
    }
    return false;
}

/* Is `name` one of the comma-separated names in the environment? */
static bool env_has(const char *name)
{
    const char *env = getenv("MCP_OAUTH_MUTATION");
    size_t n = strlen(name);
    while (env != NULL && *env != '\0') {
        const char *end = strchr(env, ',');
        size_t len = end != NULL ? (size_t)(end - env) : strlen(env);
        if (len == n && strncmp(env, name, n) == 0) {
            return true;
        }
        env = end != NULL ? end + 1 : NULL;
    }
    return false;
}

bool mut_active(const char *name)
{
    if (!in_table(name, strlen(name))) {
        fprintf(stderr, "mcp-oauth: unknown mutation \"%s\" in code\n", name);
        abort();
    }
    return env_has(name);
}

bool mut_check_env(struct ac_err *err)
{
    const char *env = getenv("MCP_OAUTH_MUTATION");
    while (env != NULL && *env != '\0') {
        const char *end = strchr(env, ',');
        size_t len = end != NULL ? (size_t)(end - env) : strlen(env);
        if (!in_table(env, len)) {
            AC_ERR(err, AC_ERR_USAGE,
                   "MCP_OAUTH_MUTATION: unknown mutation \"%.*s\"", (int)len,
                   env);
            return false;
        }
        env = end != NULL ? end + 1 : NULL;
    }
    return true;
}

void mut_list(FILE *out)
{
    for (size_t i = 0; i < NMUT; i++) {
        fprintf(out, "  %-24s %s\n", table[i].name, table[i].summary);
    }
}

#endif
