/* Authorization server metadata (RFC 8414 §2, OpenID Discovery §3) and
 * the JWK Set of its signing keys (RFC 7517). The metadata never changes
 * once the server runs, so it is serialised once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mocks/as_int.h"
#include "mocks/httpd.h"
#include "mocks/keys.h"

/* "{issuer}{suffix}" as a new JSON string. */
static json_t *endpoint_url(const struct mo_as *as, const char *suffix)
{
    char url[1024];

    snprintf(url, sizeof(url), "%s%s", as->issuer, suffix);
    return json_string(url);
}

static json_t *metadata_doc(const struct mo_as *as, bool oidc)
{
    json_t *doc = json_pack(
        "{s:s, s:o, s:o, s:[s], s:[s, s, s], s:O, s:[s, s],"
        " s:[s], s:b, s:o, s:o}",
        "issuer", as->issuer, "authorization_endpoint",
        endpoint_url(as, "/authorize"), "token_endpoint",
        endpoint_url(as, "/token"), "response_types_supported", "code",
        "grant_types_supported", "authorization_code", "refresh_token",
        "client_credentials", "token_endpoint_auth_methods_supported",
        as->auth_methods, "token_endpoint_auth_signing_alg_values_supported",
        "RS256", "ES256", "code_challenge_methods_supported", "S256",
        "authorization_response_iss_parameter_supported", 1,
        "revocation_endpoint", endpoint_url(as, "/revoke"),
        "introspection_endpoint", endpoint_url(as, "/introspect"));
    bool ok = doc != NULL;

    if (ok && (as->keys != NULL || oidc)) {
        ok = json_object_set_new(doc, "jwks_uri", endpoint_url(as, "/jwks")) ==
             0;
    }
    if (ok && as->cimd) {
        ok = json_object_set_new(doc, "client_id_metadata_document_supported",
                                 json_true()) == 0;
    }
    if (ok && as->dcr) {
        ok = json_object_set_new(doc, "registration_endpoint",
                                 endpoint_url(as, "/register")) == 0;
    }
    if (ok && as->scopes != NULL) {
        ok = json_object_set(doc, "scopes_supported", as->scopes) == 0;
    }
    if (ok && as->dpop.on) {
        /* RFC 9449 §5.1; ext-auth dpop-extension: MUST be listed. */
        ok = json_object_set_new(doc, "dpop_signing_alg_values_supported",
                                 mo_dpop_algs_json(&as->dpop)) == 0;
    }
    if (ok && oidc) {
        /* OpenID Connect Discovery 1.0 §3 REQUIRES jwks_uri (above),
         * subject_types_supported and id_token_signing_alg_values_supported
         * (RS256 included); strict client libraries reject a document
         * without them even though this mock issues no ID tokens. */
        ok = json_object_set_new(doc, "subject_types_supported",
                                 json_pack("[s]", "public")) == 0 &&
             json_object_set_new(doc, "id_token_signing_alg_values_supported",
                                 json_pack("[s]", "RS256")) == 0;
    }
    if (!ok) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

bool mo_as_metadata_build(struct mo_as *as, struct ac_err *err)
{
    for (int oidc = 0; oidc < 2; oidc++) {
        json_t *doc = metadata_doc(as, oidc != 0);

        as->md_text[oidc] = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
        if (as->md_text[oidc] == NULL) {
            AC_ERR(err, AC_ERR_NOMEM, "out of memory for AS metadata");
            return false;
        }
    }
    return true;
}

/* The document is serialised once at start: a GET copies bytes. */
bool mo_as_handle_metadata(void *ctx, const struct mo_req *req,
                           struct mo_reply *rep)
{
    const struct mo_as *as = ctx;
    int oidc = strcmp(req->endpoint, "oidc") == 0;

    return mo_reply_body(rep, 200, "application/json", as->md_text[oidc],
                         strlen(as->md_text[oidc]));
}

bool mo_as_handle_jwks(void *ctx, const struct mo_req *req,
                       struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    /* Without signing keys (opaque tokens) the set is empty, but it
     * exists: the OIDC document names it. */
    json_t *doc =
        as->keys != NULL ? mo_keys_jwks(as->keys) : json_pack("{s:[]}", "keys");
    bool ok = doc != NULL && mo_reply_json(rep, 200, doc);

    (void)req;
    json_decref(doc);
    return ok;
}

bool mo_as_rotate_keys(struct mo_as *as, struct ac_err *err)
{
    return as->keys == NULL || mo_keys_rotate(as->keys, err);
}
