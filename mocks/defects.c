/* Defect profiles (defects.h): the table of named server bugs and how each
 * is applied to a scenario document: rules, configuration, or a flag the
 * handlers test. */
#include "mocks/defects.h"

#include <string.h>

#include "common/json.h"

struct defect {
    const char *name;
    const char *summary;
    unsigned flag;      /* a handler flag, 0 for none */
    const char *rules;  /* JSON array appended to the rules, NULL for none */
    const char *config; /* a configuration change (apply_config) */
};

#define R(s) "[" s "]"

static const struct defect DEFECTS[] = {
    {"metadata-content-type", "AS metadata served as text/plain", 0,
     R("{\"match\": {\"endpoint\": [\"metadata\", \"oidc\"]}, \"do\": "
       "{\"patch\": {\"headers\": {\"Content-Type\": \"text/plain\"}}}}"),
     NULL},
    {"metadata-wrong-issuer", "AS metadata issuer differs from its URL", 0,
     R("{\"match\": {\"endpoint\": [\"metadata\", \"oidc\"]}, \"do\": "
       "{\"patch\": {\"set\": {\"issuer\": \"${issuer}/other\"}}}}"),
     NULL},
    {"metadata-no-s256", "AS metadata lacks code_challenge_methods_supported",
     0,
     R("{\"match\": {\"endpoint\": [\"metadata\", \"oidc\"]}, \"do\": "
       "{\"patch\": {\"remove\": [\"code_challenge_methods_supported\"]}}}"),
     NULL},
    {"metadata-insecure-endpoint",
     "AS metadata names a plain-http, non-loopback revocation endpoint", 0,
     R("{\"match\": {\"endpoint\": [\"metadata\", \"oidc\"]}, \"do\": "
       "{\"patch\": {\"set\": {\"revocation_endpoint\": "
       "\"http://revoke.invalid/revoke\"}}}}"),
     NULL},
    {"pkce-optional", "authorization without code_challenge is approved",
     MO_DEF_PKCE_OPTIONAL, NULL, NULL},
    {"pkce-plain", "code_challenge_method=plain is accepted", MO_DEF_PKCE_PLAIN,
     NULL, NULL},
    {"verifier-unchecked", "any code_verifier redeems a code",
     MO_DEF_VERIFIER_UNCHECKED, NULL, NULL},
    {"redirect-prefix", "redirect_uri matched by prefix, any port, query",
     MO_DEF_REDIRECT_PREFIX, NULL, NULL},
    {"code-reusable", "authorization codes can be redeemed twice",
     MO_DEF_CODE_REUSABLE, NULL, NULL},
    {"replay-keeps-tokens",
     "a replayed code is rejected but its tokens stay valid",
     MO_DEF_REPLAY_KEEPS_TOKENS, NULL, NULL},
    {"code-unbound", "a code redeems for another client or redirect URI",
     MO_DEF_CODE_UNBOUND, NULL, NULL},
    {"state-dropped", "the authorization response omits state", 0,
     R("{\"match\": {\"endpoint\": \"authorize\"}, \"do\": {\"patch\": "
       "{\"location\": {\"state\": null}}}}"),
     NULL},
    {"iss-wrong", "the authorization response carries a wrong iss", 0,
     R("{\"match\": {\"endpoint\": \"authorize\"}, \"do\": {\"patch\": "
       "{\"location\": {\"iss\": \"https://evil.example\"}}}}"),
     NULL},
    {"resource-unchecked", "any resource indicator is accepted",
     MO_DEF_RESOURCE_UNCHECKED, NULL, NULL},
    {"token-cacheable", "token responses lack Cache-Control: no-store", 0,
     R("{\"match\": {\"endpoint\": \"token\"}, \"do\": {\"patch\": "
       "{\"headers\": {\"Cache-Control\": null, \"Pragma\": null}}}}"),
     NULL},
    {"token-error-200", "token errors are sent with HTTP 200", 0,
     R("{\"match\": {\"endpoint\": \"token\"}, \"do\": {\"patch\": "
       "{\"status\": 200}}}"),
     NULL},
    {"client-auth-no-challenge",
     "failed Basic client authentication gets no WWW-Authenticate", 0,
     R("{\"match\": {\"endpoint\": \"token\"}, \"do\": {\"patch\": "
       "{\"headers\": {\"WWW-Authenticate\": null}}}}"),
     NULL},
    {"refresh-not-rotated", "refresh keeps the same refresh token", 0, NULL,
     "refresh-reuse"},
    {"refresh-reuse-undetected", "a rotated refresh token still works",
     MO_DEF_REFRESH_REUSE, NULL, NULL},
    {"refresh-reuse-no-revoke",
     "reuse of a rotated refresh token leaves the family valid",
     MO_DEF_REFRESH_NO_REVOKE, NULL, NULL},
    {"refresh-scope-widen", "a refresh may ask for more scope than granted",
     MO_DEF_REFRESH_WIDEN, NULL, NULL},
    {"dcr-lax",
     "registration accepts http://evil redirect URIs, fragments "
     "and unknown grant types",
     MO_DEF_DCR_LAX, NULL, NULL},
    {"revoke-broken", "revocation answers 400 for every token", 0,
     R("{\"match\": {\"endpoint\": \"revoke\"}, \"do\": {\"respond\": "
       "{\"status\": 400, \"body\": {\"error\": \"invalid_request\"}}}}"),
     NULL},
    {"revoke-noop", "revocation answers 200 and revokes nothing", 0,
     R("{\"match\": {\"endpoint\": \"revoke\"}, \"do\": {\"respond\": "
       "{\"status\": 200, \"body\": \"\"}}}"),
     NULL},
    {"introspect-always-active", "introspection says active for any token", 0,
     R("{\"match\": {\"endpoint\": \"introspect\"}, \"do\": {\"respond\": "
       "{\"status\": 200, \"body\": {\"active\": true}}}}"),
     NULL},
    {"mcp-no-challenge", "the MCP server's 401 has no WWW-Authenticate", 0,
     R("{\"match\": {\"endpoint\": \"mcp\"}, \"do\": {\"patch\": "
       "{\"headers\": {\"WWW-Authenticate\": null}}}}"),
     NULL},
    {"prm-missing", "no Protected Resource Metadata, no resource_metadata", 0,
     NULL, "prm-none"},
    {"prm-wrong-resource", "the PRM names another resource", 0,
     R("{\"match\": {\"endpoint\": \"prm\"}, \"do\": {\"patch\": "
       "{\"set\": {\"resource\": \"https://other.example/mcp\"}}}}"),
     NULL},
    {"mcp-rejects-all", "the MCP server rejects every token", 0,
     R("{\"match\": {\"endpoint\": \"mcp\", \"header\": {\"Authorization\": "
       "true}}, \"do\": {\"respond\": {\"status\": 401, \"headers\": "
       "{\"WWW-Authenticate\": \"Bearer error=\\\"invalid_token\\\"\"}, "
       "\"body\": \"\"}}}"),
     NULL},
    {"scope-challenge-no-scope",
     "the 403 insufficient_scope challenge does not name the scope", 0,
     R("{\"match\": {\"endpoint\": \"mcp\", \"json\": {\"method\": "
       "\"tools/call\"}}, \"do\": {\"patch\": {\"headers\": "
       "{\"WWW-Authenticate\": \"Bearer "
       "error=\\\"insufficient_scope\\\"\"}}}}"),
     NULL},
    {"mcp-ignores-revocation", "the MCP server accepts revoked tokens",
     MO_DEF_MCP_IGNORE_REVOKED, NULL, NULL},
    {"mcp-any-audience", "the MCP server accepts tokens for other resources",
     MO_DEF_MCP_ANY_AUDIENCE, NULL, NULL},
    {"mcp-query-token", "the MCP server accepts ?access_token=",
     MO_DEF_MCP_QUERY_TOKEN, NULL, NULL},
    {"mcp-accepts-expired", "the MCP server accepts expired tokens",
     MO_DEF_MCP_ACCEPT_EXPIRED, NULL, NULL},
    {"dpop-bearer-accepted",
     "the MCP server accepts a DPoP-bound token presented as Bearer",
     MO_DEF_DPOP_BEARER_OK, NULL, NULL},
    {"dpop-ath-unchecked",
     "the MCP server accepts a DPoP proof without ath (access token hash)",
     MO_DEF_DPOP_ATH_UNCHECKED, NULL, NULL},
    {"dpop-rejects-all", "the MCP server rejects every DPoP presentation", 0,
     R("{\"match\": {\"endpoint\": \"mcp\", \"header\": {\"Authorization\": "
       "\"DPoP *\"}}, \"do\": {\"respond\": {\"status\": 401, \"headers\": "
       "{\"WWW-Authenticate\": \"DPoP error=\\\"invalid_token\\\"\"}, "
       "\"body\": \"\"}}}"),
     NULL},
    {"cimd-broken",
     "the AS fetches a client ID metadata document but refuses a valid one",
     MO_DEF_CIMD_BROKEN, NULL, NULL},
    {"cimd-id-unchecked",
     "the AS accepts a metadata document whose client_id is not its URL",
     MO_DEF_CIMD_ID_UNCHECKED, NULL, NULL},
    {"cimd-ssrf",
     "the AS follows redirects and fetches special-use addresses for "
     "client ID metadata documents",
     MO_DEF_CIMD_SSRF, NULL, NULL},
    {"cc-broken", "the client_credentials grant is refused", 0,
     R("{\"match\": {\"endpoint\": \"token\", \"form\": {\"grant_type\": "
       "\"client_credentials\"}}, \"do\": {\"respond\": {\"status\": 400, "
       "\"body\": {\"error\": \"unsupported_grant_type\"}}}}"),
     NULL},
    {"cc-refresh-issued", "client_credentials responses carry a refresh token",
     MO_DEF_CC_REFRESH, NULL, NULL},
};

#define NDEFECTS (sizeof DEFECTS / sizeof DEFECTS[0])

size_t mo_defect_count(void)
{
    return NDEFECTS;
}

const char *mo_defect_name(size_t i)
{
    return i < NDEFECTS ? DEFECTS[i].name : NULL;
}

const char *mo_defect_summary(size_t i)
{
    return i < NDEFECTS ? DEFECTS[i].summary : NULL;
}

static const struct defect *find(const char *name)
{
    for (size_t i = 0; name != NULL && i < NDEFECTS; i++) {
        if (strcmp(DEFECTS[i].name, name) == 0) {
            return &DEFECTS[i];
        }
    }
    return NULL;
}

bool mo_defect_known(const char *name)
{
    return find(name) != NULL;
}

unsigned mo_defect_flags(const json_t *conf)
{
    const json_t *list = json_object_get(conf, "defects");
    const struct defect *d;
    const json_t *v;
    unsigned flags = 0;
    size_t i;

    json_array_foreach(list, i, v)
    {
        if ((d = find(json_string_value(v))) != NULL) {
            flags |= d->flag;
        }
    }
    return flags;
}

/* Add `name` to conf's "defects" array. */
static bool mark(json_t *conf, const char *name)
{
    json_t *list = json_object_get(conf, "defects");

    if (list == NULL) {
        list = json_array();
        if (json_object_set_new(conf, "defects", list) != 0) {
            return false;
        }
    }
    return json_array_append_new(list, json_string(name)) == 0;
}

/* Every authorization server (a default one when there is none) and the
 * MCP server get `d`'s flag or configuration change. */
static bool apply_servers(json_t *doc, const struct defect *d)
{
    json_t *ases = json_object_get(doc, "authorization_servers");
    json_t *mcp = json_object_get(doc, "mcp_server");
    json_t *as;
    size_t i;

    if (json_array_size(ases) == 0) {
        ases = json_pack("[{s:s}]", "id", "as");
        if (ases == NULL ||
            json_object_set_new(doc, "authorization_servers", ases) != 0) {
            return false;
        }
    }
    if (mcp == NULL) {
        mcp = json_object();
        if (mcp == NULL || json_object_set_new(doc, "mcp_server", mcp) != 0) {
            return false;
        }
    }
    json_array_foreach(ases, i, as)
    {
        json_t *tok = json_object_get(as, "tokens");
        if (d->config != NULL && strcmp(d->config, "refresh-reuse") == 0) {
            if (tok == NULL) {
                tok = json_object();
                json_object_set_new(as, "tokens", tok);
            }
            json_object_set_new(tok, "refresh", json_string("reuse"));
        }
        if (d->flag != 0 && !mark(as, d->name)) {
            return false;
        }
    }
    if (d->config != NULL && strcmp(d->config, "prm-none") == 0) {
        json_object_set_new(mcp, "prm", json_string("none"));
    }
    return d->flag == 0 || mark(mcp, d->name);
}

static bool apply_rules(json_t *doc, const struct defect *d)
{
    json_t *rules = json_object_get(doc, "rules");
    json_t *extra;
    bool ok;

    if (d->rules == NULL) {
        return true;
    }
    if (rules == NULL) {
        rules = json_array();
        if (rules == NULL || json_object_set_new(doc, "rules", rules) != 0) {
            return false;
        }
    }
    extra = json_loads(d->rules, 0, NULL);
    ok = extra != NULL && json_array_extend(rules, extra) == 0;
    json_decref(extra);
    return ok;
}

json_t *mo_defect_apply(const json_t *scenario, const char *name,
                        struct ac_err *err)
{
    const struct defect *d = find(name);
    json_t *doc = NULL;

    if (d == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "unknown defect profile \"%s\"",
               name != NULL ? name : "(null)");
        return NULL;
    }
    doc = json_deep_copy(scenario);
    if (doc == NULL || !apply_servers(doc, d) || !apply_rules(doc, d)) {
        json_decref(doc);
        AC_ERR(err, AC_ERR_NOMEM, "out of memory applying defect %s", name);
        return NULL;
    }
    return doc;
}
