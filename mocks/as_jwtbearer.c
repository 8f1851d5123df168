/* The JWT bearer authorization grant (RFC 7523 §2.1, §3) at the mock
 * authorization server, for the two MCP authorization extensions that
 * use it: workload identity federation (a workload JWT from the world's
 * workload issuer) and enterprise-managed authorization (an ID-JAG from
 * the world's enterprise IdP, draft-ietf-oauth-identity-assertion-authz-
 * grant §4.4). The verdict lives here; issuing is as_token.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/form.h"
#include "common/json.h"
#include "common/jwt.h"
#include "common/scope.h"
#include "mocks/as_int.h"
#include "mocks/issuers.h"
#include "mocks/world_int.h"

/* Does `aud` (a string or an array of them, RFC 7519 §4.1.3) name this
 * server: its issuer, with or without a trailing "/", or its token
 * endpoint (RFC 7523 §3 item 3)? */
static bool aud_is_us(const struct mo_as *as, const json_t *aud)
{
    char slash[1024], token[1024];
    const char *names[3] = {as->issuer, slash, token};

    snprintf(slash, sizeof slash, "%s/", as->issuer);
    snprintf(token, sizeof token, "%s/token", as->issuer);
    for (size_t k = 0; k < 3; k++) {
        if ((json_is_string(aud) &&
             strcmp(json_string_value(aud), names[k]) == 0) ||
            ac_json_array_has_str(aud, names[k])) {
            return true;
        }
    }
    return false;
}

/* The trusted issuer that signed `claims`' iss, or NULL. */
static struct mo_issuer *trusted_issuer(const struct mo_as *as,
                                        const json_t *claims)
{
    const char *iss = ac_json_str(claims, "iss");
    struct mo_issuer *w = as->sh->workload, *idp = as->sh->idp;

    if (iss == NULL) {
        return NULL;
    }
    if (idp != NULL && strcmp(iss, idp->issuer) == 0) {
        return idp;
    }
    if (w != NULL && strcmp(iss, w->issuer) == 0 &&
        json_is_true(json_object_get(w->conf, "trusted"))) {
        return w;
    }
    return NULL;
}

/* Signature, typ, exp, sub and aud of an assertion from `is`. */
static const char *assertion_fault(struct mo_as *as, struct mo_issuer *is,
                                   const char *assertion, json_t **claims)
{
    struct ac_jws_verify_params vp = {
        .algs = AC_JWS_ES256,
        .key = is->key,
        .typ = is->kind == MO_ISSUER_IDP ? MO_TYP_ID_JAG : NULL};
    json_t *hdr = NULL;
    const char *typ;
    int64_t exp;

    *claims = ac_jwt_verify(assertion, &vp, &hdr, NULL);
    typ = ac_json_str(hdr, "typ");
    if (*claims == NULL) {
        json_decref(hdr);
        return is->kind == MO_ISSUER_IDP
                   ? "ID-JAG signature or typ (oauth-id-jag+jwt) invalid"
                   : "assertion signature does not verify";
    }
    if (is->kind == MO_ISSUER_WORKLOAD && typ != NULL &&
        strcmp(typ, MO_TYP_ID_JAG) == 0) {
        json_decref(hdr);
        return "an ID-JAG from the workload issuer";
    }
    json_decref(hdr);
    exp = (int64_t)json_integer_value(json_object_get(*claims, "exp"));
    if (!json_is_integer(json_object_get(*claims, "exp"))) {
        return "assertion has no exp (RFC 7523 section 3 item 4)";
    }
    /* RFC 7523 §3 item 4 allows "some small leeway". */
    if (mo_world_now(as->sh) >= exp + 5) {
        return "assertion expired (RFC 7523 section 3 item 4)";
    }
    if (ac_json_str(*claims, "sub") == NULL) {
        return "assertion has no sub (RFC 7523 section 3 item 2)";
    }
    if (!aud_is_us(as, json_object_get(*claims, "aud"))) {
        return "assertion aud does not name this authorization server "
               "(RFC 7523 section 3 item 3)";
    }
    return NULL;
}

/* ID-JAG §4.4.1: client_id is the authenticated client, resource an MCP
 * server of this world. */
static const char *id_jag_fault(struct mo_as *as, const struct client *c,
                                const json_t *claims)
{
    const char *cid = ac_json_str(claims, "client_id");
    const char *res = ac_json_str(claims, "resource");
    const char *jti = ac_json_str(claims, "jti");

    if (c->id[0] == '\0') {
        return "an ID-JAG needs client authentication (ID-JAG section 4.4)";
    }
    if (cid == NULL || strcmp(cid, c->id) != 0) {
        return "ID-JAG client_id is not the authenticated client";
    }
    if (res != NULL && mo_as_known_resource(as, res) == NULL) {
        return "ID-JAG resource names no MCP server of this authorization "
               "server";
    }
    /* EMA "Security considerations": jti replay detection is REQUIRED. */
    if (jti == NULL || ac_json_array_has_str(as->jtis, jti)) {
        return "ID-JAG jti missing or replayed";
    }
    json_array_append_new(as->jtis, json_string(jti));
    return NULL;
}

/* The official suite's scripted WIF errors (scope values) and RFC 6749
 * §5.2 invalid_scope for a scope outside scopes_supported. */
static const char *scope_fault(const struct mo_as *as, const char *scope,
                               const char **code)
{
    if (scope == NULL) {
        return NULL;
    }
    if (ac_scope_has(scope, "wif.trigger-unauthorized")) {
        *code = "unauthorized_client";
        return "client not authorized for the JWT bearer grant";
    }
    *code = "invalid_scope";
    if (ac_scope_has(scope, "wif.rejected")) {
        return "requested scope is not permitted for this grant";
    }
    if (as->scopes != NULL && !ac_scope_subset_of_array(scope, as->scopes)) {
        return "scope includes a value not in scopes_supported";
    }
    return NULL;
}

const char *mo_as_jwt_bearer_verdict(struct mo_as *as, const struct client *c,
                                     const struct ac_form *f,
                                     struct mo_jwt_grant *g, const char **code)
{
    const char *assertion = ac_form_get(f, "assertion");
    const char *resource = ac_form_get(f, "resource");
    json_t *hdr = NULL, *claims = NULL;
    struct mo_issuer *is;
    const char *why;

    memset(g, 0, sizeof *g);
    *code = "invalid_request";
    if (assertion == NULL) {
        return "assertion is required (RFC 7523 section 2.1)";
    }
    mo_as_secret_note(as, assertion);
    *code = "invalid_grant";
    if (!ac_jwt_peek_unverified(assertion, &hdr, &claims, NULL)) {
        return "assertion is not a JWT";
    }
    is = trusted_issuer(as, claims);
    json_decref(hdr);
    json_decref(claims);
    claims = NULL;
    if (is == NULL) {
        return "assertion issuer is not trusted by this authorization server";
    }
    why = assertion_fault(as, is, assertion, &claims);
    if (why == NULL && is->kind == MO_ISSUER_IDP) {
        why = id_jag_fault(as, c, claims);
    }
    if (why == NULL) {
        why = scope_fault(as, ac_form_get(f, "scope"), code);
    }
    if (why == NULL && resource != NULL &&
        mo_as_known_resource(as, resource) == NULL) {
        *code = "invalid_target";
        why = "resource must name an MCP server (RFC 8707)";
    }
    if (why == NULL) {
        g->enterprise = is->kind == MO_ISSUER_IDP;
        g->sub = strdup(ac_json_str(claims, "sub"));
        /* The ID-JAG's resource binds the token (EMA "the issued access
         * token MUST be audience-restricted to the MCP Server identified
         * by the resource claim"); absent, the request's, else the MCP
         * server. */
        const char *r = g->enterprise ? ac_json_str(claims, "resource") : NULL;
        r = r != NULL ? r : resource;
        g->resource =
            strdup(r != NULL ? mo_as_known_resource(as, r) : as->sh->resource);
        g->scope = strdup(
            ac_form_get(f, "scope") != NULL ? ac_form_get(f, "scope") : "");
    }
    json_decref(claims);
    return why;
}

void mo_jwt_grant_free(struct mo_jwt_grant *g)
{
    free(g->sub);
    free(g->resource);
    free(g->scope);
}
