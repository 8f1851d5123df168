/* The scenario schema table and typed reads with its defaults
 * (schema.h). The table and scenarios/SCHEMA.md change together. */
#include "mocks/schema.h"

#include <stdlib.h>
#include <string.h>

const char *const mo_schema_spec_revisions[] = {
    "2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28", NULL};

#define NOLIMIT MO_SCHEMA_NOLIMIT

static const char *const discovery_enum[] = {"oauth", "oidc", NULL};
static const char *const registration_enum[] = {"dcr", "pre", "cimd", NULL};
static const char *const resource_enum[] = {"url", "origin", NULL};
static const char *const step_up_enum[] = {"needed", "held", NULL};
static const char *const auth_method_enum[] = {"none", "client_secret_basic",
                                               "client_secret_post",
                                               "private_key_jwt", NULL};
static const char *const refresh_enum[] = {"rotate", "reuse", "none", NULL};
static const char *const wire_enum[] = {"2025-11-25", "2026-07-28", "both",
                                        NULL};
static const char *const prm_enum[] = {"path", "root", "custom", "none", NULL};
static const char *const response_enum[] = {"json", "sse", NULL};
static const char *const profile_enum[] = {"strict", "lenient", "github-like",
                                           MO_SCHEMA_LEGACY_PROFILE, NULL};
static const char *const tls_cert_enum[] = {"valid", "wrong-name", "expired",
                                            "untrusted-ca", NULL};
static const char *const format_enum[] = {"opaque", "jwt", NULL};
static const char *const alg_enum[] = {"RS256", "ES256", NULL};
static const char *const method_enum[] = {"none", "client_secret_basic",
                                          "client_secret_post",
                                          "private_key_jwt", NULL};
/* "refuse-or-wait": refusing is right, and so is waiting for a valid
 * callback until the harness stops the client (authorization/forged-state):
 * a timeout then counts as a refusal (client-exit-status). */
static const char *const expect_enum[] = {"success", "refuse", "refuse-or-wait",
                                          NULL};
/* Named suites a scenario may join besides its family and spec revisions
 * (authcheck run --suite); see scenarios/SCHEMA.md. */
const char *const mo_schema_suite_names[] = {"official", "lifecycle",
                                             "backcompat", "extensions", NULL};

/* Client features a scenario may need (scenarios/SCHEMA.md "features");
 * `authcheck run --client-features` names the ones a client has. */
const char *const mo_schema_feature_names[] = {"client-credentials",
                                               "cimd",
                                               "pre-registration",
                                               "token-store",
                                               "logout",
                                               "dpop",
                                               "wif",
                                               "enterprise-managed",
                                               NULL};

static const struct mo_schema_field string_item = {
    NULL, MO_T_STRING, true, NULL, NOLIMIT, NULL, NULL, false, NULL};
static const struct mo_schema_field any_item = {
    NULL, MO_T_ANY, true, NULL, NOLIMIT, NULL, NULL, false, NULL};
static const struct mo_schema_field spec_item = {
    NULL, MO_T_STRING, true, mo_schema_spec_revisions, NOLIMIT, NULL,
    NULL, false,       NULL};
static const struct mo_schema_field discovery_item = {
    NULL, MO_T_STRING, true, discovery_enum, NOLIMIT, NULL, NULL, false, NULL};
static const struct mo_schema_field auth_method_item = {
    NULL, MO_T_STRING, true, auth_method_enum, NOLIMIT, NULL,
    NULL, false,       NULL};
static const struct mo_schema_field suite_item = {
    NULL, MO_T_STRING, true, mo_schema_suite_names, NOLIMIT, NULL,
    NULL, false,       NULL};
static const struct mo_schema_field feature_item = {
    NULL, MO_T_STRING, true, mo_schema_feature_names, NOLIMIT, NULL,
    NULL, false,       NULL};
static const struct mo_schema_field registration_item = {
    NULL, MO_T_STRING, true, registration_enum, NOLIMIT, NULL,
    NULL, false,       NULL};

const struct mo_schema_field mo_schema_tokens[] = {
    {"access_ttl", MO_T_INT, false, NULL, 1, 31536000, NULL, NULL, false,
     "3600"},
    {"refresh", MO_T_STRING, false, refresh_enum, NOLIMIT, NULL, NULL, false,
     "\"rotate\""},
    {"refresh_ttl", MO_T_INT, false, NULL, 0, 31536000, NULL, NULL, false, "0"},
    {"format", MO_T_STRING, false, format_enum, NOLIMIT, NULL, NULL, false,
     "\"opaque\""},
    {"alg", MO_T_STRING, false, alg_enum, NOLIMIT, NULL, NULL, false,
     "\"RS256\""},
    {0},
};

static const struct mo_schema_field client_reg_fields[] = {
    {"client_id", MO_T_STRING, true, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"client_secret", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false,
     NULL},
    {"token_endpoint_auth_method", MO_T_STRING, false, method_enum, NOLIMIT,
     NULL, NULL, false, NULL},
    {"redirect_uris", MO_T_ARRAY, false, NULL, NOLIMIT, NULL, &string_item,
     true, NULL},
    {"grant_types", MO_T_ARRAY, false, NULL, NOLIMIT, NULL, &string_item, true,
     NULL},
    {"client_name", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"scope", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"jwks", MO_T_ANY_OBJECT, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"any_loopback_redirect", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL,
     false, NULL},
    {0},
};

static const struct mo_schema_field client_reg_item = {
    NULL, MO_T_OBJECT, true, NULL, NOLIMIT, client_reg_fields,
    NULL, false,       NULL};

/* DPoP (RFC 9449, ext-auth dpop-extension): "dpop" of an authorization
 * server and of the MCP server; see scenarios/SCHEMA.md. */
static const struct mo_schema_field dpop_alg_item = {
    NULL, MO_T_STRING, true, alg_enum, NOLIMIT, NULL, NULL, false, NULL};

const struct mo_schema_field mo_schema_dpop[] = {
    {"algs", MO_T_ARRAY, false, NULL, 1, 2, NULL, &dpop_alg_item, true,
     "[\"ES256\", \"RS256\"]"},
    {"required", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false, "false"},
    {"nonce", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false, "false"},
    {"nonce_rotate", MO_T_INT, false, NULL, 0, 1000, NULL, NULL, false, "0"},
    {"content_digest", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false,
     "true"},
    {0},
};

const struct mo_schema_field mo_schema_as[] = {
    {"id", MO_T_STRING, true, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"issuer_path", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false,
     "\"\""},
    /* [] is allowed: no metadata at all (the 2025-03-26 "no metadata"
     * fallback, or an AS a client must refuse). */
    {"discovery", MO_T_ARRAY, false, NULL, 0, 2, NULL, &discovery_item, true,
     "[\"oauth\"]"},
    {"registration", MO_T_ARRAY, false, NULL, 1, 3, NULL, &registration_item,
     true, "[\"dcr\"]"},
    {"clients", MO_T_ARRAY, false, NULL, NOLIMIT, NULL, &client_reg_item, false,
     NULL},
    {"loopback_any_port", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false,
     "false"},
    /* advertised and assigned at registration (mocks/as.c) */
    {"token_endpoint_auth_methods", MO_T_ARRAY, false, NULL, 1, 4, NULL,
     &auth_method_item, true, NULL},
    /* 2025-03-26 topology; the legacy profile's defaults differ for the
     * first AS (fill_profile_defaults). */
    {"on_mcp_origin", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false,
     "false"},
    {"resource_required", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false,
     "true"},
    {"scopes_supported", MO_T_ARRAY, false, NULL, NOLIMIT, NULL, &string_item,
     true, NULL},
    {"tokens", MO_T_OBJECT, false, NULL, NOLIMIT, mo_schema_tokens, NULL, false,
     "{}"},
    {"dpop", MO_T_OBJECT, false, NULL, NOLIMIT, mo_schema_dpop, NULL, false,
     NULL},
    /* with top-level "tls": the certificate this AS serves (tlsca.h) */
    {"tls_certificate", MO_T_STRING, false, tls_cert_enum, NOLIMIT, NULL, NULL,
     false, NULL},
    {0},
};

static const struct mo_schema_field as_item = {
    NULL, MO_T_OBJECT, true, NULL, NOLIMIT, mo_schema_as, NULL, false, NULL};

const struct mo_schema_field mo_schema_challenge[] = {
    {"resource_metadata", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false,
     "true"},
    {"scope", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {0},
};

const struct mo_schema_field mo_schema_tool[] = {
    {"name", MO_T_STRING, true, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"scope", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    /* argument -> x-mcp-header name (2026-07-28 transports); check_mcp */
    {"header_params", MO_T_ANY_OBJECT, false, NULL, NOLIMIT, NULL, NULL, false,
     NULL},
    {0},
};

static const struct mo_schema_field tool_item = {
    NULL, MO_T_OBJECT, true, NULL, NOLIMIT, mo_schema_tool, NULL, false, NULL};

const struct mo_schema_field mo_schema_mcp[] = {
    {"path", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, "\"/mcp\""},
    {"wire", MO_T_STRING, false, wire_enum, NOLIMIT, NULL, NULL, false,
     "\"2025-11-25\""},
    {"prm", MO_T_STRING, false, prm_enum, NOLIMIT, NULL, NULL, false,
     "\"path\""},
    {"prm_path", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    /* the resource identifier: the MCP URL, or its origin (mocks/mcp.c) */
    {"resource", MO_T_STRING, false, resource_enum, NOLIMIT, NULL, NULL, false,
     "\"url\""},
    {"step_up_scope", MO_T_STRING, false, step_up_enum, NOLIMIT, NULL, NULL,
     false, "\"needed\""},
    {"response", MO_T_STRING, false, response_enum, NOLIMIT, NULL, NULL, false,
     "\"json\""},
    {"scope_hierarchy", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false,
     "false"},
    {"method_scopes", MO_T_ANY_OBJECT, false, NULL, NOLIMIT, NULL, NULL, false,
     NULL},
    {"scopes_supported", MO_T_ARRAY, false, NULL, NOLIMIT, NULL, &string_item,
     true, NULL},
    {"challenge", MO_T_OBJECT, false, NULL, NOLIMIT, mo_schema_challenge, NULL,
     false, "{}"},
    {"tools", MO_T_ARRAY, false, NULL, 1, 0, NULL, &tool_item, false,
     "[{\"name\": \"echo\"}]"},
    {"dpop", MO_T_OBJECT, false, NULL, NOLIMIT, mo_schema_dpop, NULL, false,
     NULL},
    {0},
};

const struct mo_schema_field mo_schema_extra_mcp[] = {
    {"id", MO_T_STRING, true, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"path", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, "\"/mcp\""},
    {0},
};

static const struct mo_schema_field extra_mcp_item = {
    NULL, MO_T_OBJECT, true, NULL, NOLIMIT, mo_schema_extra_mcp,
    NULL, false,       NULL};

const struct mo_schema_field mo_schema_client[] = {
    {"runs", MO_T_INT, false, NULL, 1, 5, NULL, NULL, false, "1"},
    {"urls", MO_T_ARRAY, false, NULL, 1, 5, NULL, &string_item, false, NULL},
    {"timeout_ms", MO_T_INT, false, NULL, 100, 600000, NULL, NULL, false,
     "30000"},
    {"expect", MO_T_STRING, false, expect_enum, NOLIMIT, NULL, NULL, false,
     "\"success\""},
    {"tool", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"arguments", MO_T_ANY_OBJECT, false, NULL, NOLIMIT, NULL, NULL, false,
     MO_SCHEMA_DEFAULT_ARGUMENTS},
    {"context", MO_T_ANY_OBJECT, false, NULL, NOLIMIT, NULL, NULL, false, "{}"},
    {0},
};

/* The harness's headless user agent (`authcheck browse`). */
static const struct mo_schema_field browser_fields[] = {
    {"forge_callback_first", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false,
     "false"},
    {0},
};

static const struct mo_schema_field cimd_fields[] = {
    {"path", MO_T_STRING, true, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"document", MO_T_ANY_OBJECT, true, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {0},
};

static const struct mo_schema_field cimd_item = {
    NULL, MO_T_OBJECT, true, NULL, NOLIMIT, cimd_fields, NULL, false, NULL};

/* MCP authorization extensions: the workload issuer (workload identity
 * federation) and the enterprise IdP (enterprise-managed authorization);
 * mocks/issuers.c, scenarios/SCHEMA.md. */
static const char *const wif_error_enum[] = {"invalid_grant",
                                             "invalid_request",
                                             "unauthorized_client",
                                             "invalid_scope",
                                             "access_denied",
                                             "server_error",
                                             NULL};
static const char *const id_jag_enum[] = {"valid", "expired", "other_audience",
                                          NULL};

const struct mo_schema_field mo_schema_workload[] = {
    {"subject", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false,
     "\"conformance-workload\""},
    {"assertion_ttl", MO_T_INT, false, NULL, 1, 86400, NULL, NULL, false,
     "300"},
    {"trusted", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false, "true"},
    {0},
};

const struct mo_schema_field mo_schema_idp[] = {
    {"client_id", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false,
     "\"conformance-test-idp-client\""},
    {"client_secret", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false,
     NULL},
    {"as_client_id", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false,
     "\"conformance-test-xaa-client\""},
    {"subject", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false,
     "\"demo-user@example.com\""},
    {"id_token_ttl", MO_T_INT, false, NULL, 1, 86400, NULL, NULL, false,
     "3600"},
    {"id_jag_ttl", MO_T_INT, false, NULL, 1, 86400, NULL, NULL, false, "300"},
    {"id_jag", MO_T_STRING, false, id_jag_enum, NOLIMIT, NULL, NULL, false,
     "\"valid\""},
    {"error", MO_T_STRING, false, wif_error_enum, NOLIMIT, NULL, NULL, false,
     NULL},
    {0},
};

const struct mo_schema_field mo_schema_top[] = {
    {"id", MO_T_STRING, true, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"title", MO_T_STRING, true, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {"description", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false,
     "\"\""},
    {"spec", MO_T_ARRAY, true, NULL, 1, 0, NULL, &spec_item, true, NULL},
    {"authorization_servers", MO_T_ARRAY, false, NULL, 1, 0, NULL, &as_item,
     false, MO_SCHEMA_DEFAULT_AS},
    {"mcp_server", MO_T_OBJECT, false, NULL, NOLIMIT, mo_schema_mcp, NULL,
     false, MO_SCHEMA_DEFAULT_MCP},
    {"mcp_servers_extra", MO_T_ARRAY, false, NULL, 1, 4, NULL, &extra_mcp_item,
     false, NULL},
    {"rules", MO_T_ARRAY, false, NULL, NOLIMIT, NULL, &any_item, false, "[]"},
    {"profile", MO_T_STRING, false, profile_enum, NOLIMIT, NULL, NULL, false,
     "\"strict\""},
    {"client_metadata_documents", MO_T_ARRAY, false, NULL, NOLIMIT, NULL,
     &cimd_item, false, NULL},
    {"workload_issuer", MO_T_OBJECT, false, NULL, NOLIMIT, mo_schema_workload,
     NULL, false, NULL},
    {"enterprise_idp", MO_T_OBJECT, false, NULL, NOLIMIT, mo_schema_idp, NULL,
     false, NULL},
    {"client", MO_T_OBJECT, false, NULL, NOLIMIT, mo_schema_client, NULL, false,
     "{}"},
    {"browser", MO_T_OBJECT, false, NULL, NOLIMIT, browser_fields, NULL, false,
     "{}"},
    {"checks", MO_T_ARRAY, true, NULL, 1, 0, NULL, &string_item, true, NULL},
    {"suites", MO_T_ARRAY, false, NULL, NOLIMIT, NULL, &suite_item, true, "[]"},
    {"features", MO_T_ARRAY, false, NULL, NOLIMIT, NULL, &feature_item, true,
     "[]"},
    /* A reason the scenario cannot pass yet (a mock or client feature it
     * needs is missing); its checks are then SKIPPED (checks.c). */
    {"pending", MO_T_STRING, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    /* The mocks serve HTTPS from the run's CA (docs/MOCKS.md "TLS"). */
    {"tls", MO_T_BOOL, false, NULL, NOLIMIT, NULL, NULL, false, NULL},
    {0},
};

const struct mo_schema_field mo_schema_scenario = {
    NULL, MO_T_OBJECT, true, NULL, NOLIMIT, mo_schema_top, NULL, false, NULL};

/* --- typed reads ---------------------------------------------------------- */

const struct mo_schema_field *
mo_schema_field(const struct mo_schema_field *fields, const char *key)
{
    for (const struct mo_schema_field *f = fields; f != NULL && f->key != NULL;
         f++) {
        if (strcmp(f->key, key) == 0) {
            return f;
        }
    }
    return NULL;
}

json_t *mo_schema_value(const json_t *obj, const struct mo_schema_field *fields,
                        const char *key)
{
    json_t *v = json_object_get(obj, key);
    const struct mo_schema_field *f;

    if (v != NULL) {
        return json_incref(v);
    }
    f = mo_schema_field(fields, key);
    return f != NULL && f->def != NULL
               ? json_loads(f->def, JSON_DECODE_ANY, NULL)
               : NULL;
}

bool mo_schema_fill(json_t *obj, const struct mo_schema_field *fields)
{
    for (const struct mo_schema_field *f = fields; f != NULL && f->key != NULL;
         f++) {
        if (f->def != NULL && json_object_get(obj, f->key) == NULL &&
            json_object_set_new(
                obj, f->key, json_loads(f->def, JSON_DECODE_ANY, NULL)) != 0) {
            return false;
        }
    }
    return true;
}

long long mo_schema_int(const json_t *obj, const struct mo_schema_field *fields,
                        const char *key)
{
    json_t *v = mo_schema_value(obj, fields, key);
    long long n = json_is_integer(v) ? (long long)json_integer_value(v) : 0;

    json_decref(v);
    return n;
}

bool mo_schema_bool(const json_t *obj, const struct mo_schema_field *fields,
                    const char *key)
{
    json_t *v = mo_schema_value(obj, fields, key);
    bool b = json_is_true(v);

    json_decref(v);
    return b;
}

bool mo_schema_str_is(const json_t *obj, const struct mo_schema_field *fields,
                      const char *key, const char *want)
{
    json_t *v = mo_schema_value(obj, fields, key);
    bool same = json_is_string(v) && strcmp(json_string_value(v), want) == 0;

    json_decref(v);
    return same;
}

bool mo_schema_has(const json_t *obj, const struct mo_schema_field *fields,
                   const char *key, const char *want)
{
    json_t *v = mo_schema_value(obj, fields, key);
    size_t i;
    const json_t *x;
    bool has = false;

    json_array_foreach(v, i, x)
    {
        has = has ||
              (json_is_string(x) && strcmp(json_string_value(x), want) == 0);
    }
    json_decref(v);
    return has;
}

char *mo_schema_strdup(const json_t *obj, const struct mo_schema_field *fields,
                       const char *key)
{
    json_t *v = mo_schema_value(obj, fields, key);
    char *s = json_is_string(v) ? strdup(json_string_value(v)) : NULL;

    json_decref(v);
    return s;
}
