/* The token endpoint (RFC 6749 §4.1.3, §4.4, §6): code redemption with
 * PKCE and resource checks, refresh with rotation and reuse detection,
 * client_credentials, and issuing opaque or JWT (RFC 9068) access
 * tokens into the world's token table. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/scope.h"
#include "common/url.h"
#include "common/jwt.h"
#include "mocks/as_int.h"
#include "mocks/defects.h"
#include "mocks/httpd.h"
#include "mocks/issuers.h"
#include "mocks/keys.h"
#include "mocks/world_int.h"

static bool token_success(struct mo_as *as, struct mo_reply *rep,
                          const struct mo_token *access,
                          const struct mo_token *refresh)
{
    mo_rules_emit(as->sh, "token.issued", as->id, access->value,
                  access->client_id);
    /* RFC 9449 §5: a DPoP-bound access token is of type DPoP. */
    json_t *doc =
        json_pack("{s:s, s:s, s:I}", "access_token", access->value,
                  "token_type", access->jkt != NULL ? "DPoP" : "Bearer",
                  "expires_in", (json_int_t)as->access_ttl);
    bool ok = doc != NULL;

    if (ok && refresh != NULL) {
        ok = json_object_set_new(doc, "refresh_token",
                                 json_string(refresh->value)) == 0;
    }
    if (ok && access->scope[0] != '\0') {
        ok = json_object_set_new(doc, "scope", json_string(access->scope)) == 0;
    }
    /* RFC 6749 §5.1: no-store, no-cache. */
    ok = ok && mo_reply_json(rep, 200, doc) &&
         mo_reply_header(rep, "Cache-Control", "no-store") &&
         mo_reply_header(rep, "Pragma", "no-cache");
    json_decref(doc);
    return ok;
}

/* A JWT access token (RFC 9068) for the given claims' values: a new
 * string or NULL. Signing (an RSA signature is a quarter millisecond) is
 * the one place a handler lets go of the world lock, so that token
 * requests sign in parallel: nothing borrowed is used while it is
 * released (the arguments are the caller's copies, the key a reference of
 * its own). Events queued meanwhile may be handed to the rules by another
 * request's hooks slightly early. */
static char *sign_unlocked(struct mo_as *as, const char *client_id,
                           const char *resource, const char *scope,
                           const char *jti, int64_t now, int64_t exp,
                           const char *jkt)
{
    json_t *claims =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "iss", as->issuer,
                  "sub", client_id, "aud", resource, "client_id", client_id,
                  "jti", jti, "iat", (json_int_t)now, "scope", scope);
    struct ac_jwk *key = mo_keys_current(as->keys);
    char *jwt = NULL;

    if (claims != NULL && exp != 0) {
        json_object_set_new(claims, "exp", json_integer(exp));
    }
    if (claims != NULL && jkt != NULL) {
        /* RFC 9449 §6.1: the confirmation claim of a bound JWT. */
        json_object_set_new(claims, "cnf", json_pack("{s:s}", "jkt", jkt));
    }
    if (claims != NULL && key != NULL) {
        pthread_mutex_unlock(&as->sh->lock);
        /* RFC 9068 §2.1: JWT access tokens are typed "at+jwt". */
        jwt = ac_jwt_sign(key, "at+jwt", claims, NULL);
        pthread_mutex_lock(&as->sh->lock);
    }
    ac_jwk_free(key);
    json_decref(claims);
    return jwt;
}

/* Copies of what issuing needs, so that nothing borrowed from the client,
 * code or old token is used after the lock was released. */
struct issue {
    char *client_id, *resource, *access_scope, *refresh_scope;
    char *jkt; /* DPoP key thumbprint, NULL: unbound */
};

static void issue_free(struct issue *x)
{
    free(x->client_id);
    free(x->resource);
    free(x->access_scope);
    free(x->refresh_scope);
    free(x->jkt);
}

static struct mo_token *issue_access(struct mo_as *as, const struct issue *x,
                                     uint64_t grant)
{
    struct mo_tokens *t = &as->sh->tokens;
    int64_t now = mo_world_now(as->sh);
    int64_t exp = as->access_ttl > 0 ? now + as->access_ttl : 0;
    char *jti, *jwt;

    if (as->keys == NULL) {
        return mo_tokens_issue(t, MO_TOKEN_ACCESS, as->issuer, x->client_id,
                               x->resource, x->access_scope, now,
                               as->access_ttl, grant, NULL);
    }
    jti = ac_random_token(16, NULL);
    jwt = jti != NULL ? sign_unlocked(as, x->client_id, x->resource,
                                      x->access_scope, jti, now, exp, x->jkt)
                      : NULL;
    free(jti);
    if (jwt == NULL) {
        return NULL;
    }
    return mo_tokens_issue_value_take(t, MO_TOKEN_ACCESS, as->issuer,
                                      x->client_id, x->resource,
                                      x->access_scope, exp, grant, jwt);
}

/* The DPoP key the current token request proved (mo_as_handle_token),
 * per thread since signing releases the world lock. */
static _Thread_local const char *req_jkt;
static _Thread_local bool req_public;

/* RFC 9449 §5: the access token is bound to the proof's key; a refresh
 * token only for a public client (a confidential one authenticates). */
static bool bind_token(struct mo_token *t, bool refresh)
{
    if (req_jkt == NULL || (refresh && !req_public)) {
        return true;
    }
    t->jkt = strdup(req_jkt);
    return t->jkt != NULL;
}

/* Issue an access token and, when `want_refresh`, a refresh token of the
 * same grant. Strings are copied first (see sign_unlocked). */
static bool issue_pair(struct mo_as *as, const char *client_id,
                       const char *resource, const char *access_scope,
                       const char *refresh_scope, uint64_t grant,
                       bool want_refresh, struct mo_token **access,
                       struct mo_token **refresh)
{
    struct issue x = {strdup(client_id), strdup(resource), strdup(access_scope),
                      strdup(refresh_scope),
                      req_jkt != NULL ? strdup(req_jkt) : NULL};
    bool ok = false;

    *access = *refresh = NULL;
    if (x.client_id == NULL || x.resource == NULL || x.access_scope == NULL ||
        x.refresh_scope == NULL || (req_jkt != NULL && x.jkt == NULL)) {
        goto out;
    }
    *access = issue_access(as, &x, grant);
    if (*access == NULL || !mo_as_secret_note(as, (*access)->value) ||
        !bind_token(*access, false)) {
        goto out;
    }
    if (want_refresh) {
        *refresh =
            mo_tokens_issue(&as->sh->tokens, MO_TOKEN_REFRESH, as->issuer,
                            x.client_id, x.resource, x.refresh_scope,
                            mo_world_now(as->sh), as->refresh_ttl, grant, NULL);
        if (*refresh == NULL || !mo_as_secret_note(as, (*refresh)->value) ||
            !bind_token(*refresh, true)) {
            goto out;
        }
    }
    ok = true;
out:
    issue_free(&x);
    return ok;
}

static struct code *code_find(const struct mo_as *as, const char *value)
{
    for (size_t i = 0; value != NULL && i < as->ncodes; i++) {
        if (ac_secret_eq(as->codes[i]->value, value)) {
            return as->codes[i];
        }
    }
    return NULL;
}

/* Defect profiles verifier-unchecked, pkce-optional (a code issued
 * without challenge) and pkce-plain (verifier equal to the challenge). */
static bool pkce_defect_passes(const struct mo_as *as, const struct code *k,
                               const char *verifier)
{
    return (as->defects & MO_DEF_VERIFIER_UNCHECKED) ||
           (k->challenge[0] == '\0' && (as->defects & MO_DEF_PKCE_OPTIONAL)) ||
           ((as->defects & MO_DEF_PKCE_PLAIN) && verifier != NULL &&
            strcmp(verifier, k->challenge) == 0);
}

/* The invalid_grant / invalid_target verdict on a code redemption, or
 * NULL when it may be exchanged. */
static const char *code_verdict(struct mo_as *as, struct code *k,
                                const struct client *c, const struct ac_form *f,
                                const char **code)
{
    const char *redirect_uri = ac_form_get(f, "redirect_uri");
    const char *verifier = ac_form_get(f, "code_verifier");
    const char *resource = ac_form_get(f, "resource");
    char *s256 = NULL;
    bool match;

    *code = "invalid_grant";
    if (k == NULL) {
        return "unknown authorization code";
    }
    if (k->used && !(as->defects & MO_DEF_CODE_REUSABLE)) {
        /* RFC 6749 §4.1.2: a code used twice revokes what it gave. */
        if (!(as->defects & MO_DEF_REPLAY_KEEPS_TOKENS)) {
            mo_tokens_revoke_grant(&as->sh->tokens, k->grant);
        }
        return "authorization code already used";
    }
    if (mo_world_now(as->sh) >= k->expires_at) {
        return "authorization code expired";
    }
    if (strcmp(k->client_id, c->id) != 0 &&
        !(as->defects & MO_DEF_CODE_UNBOUND)) {
        return "authorization code was issued to another client";
    }
    if (as->lenient) {
        return NULL;
    }
    if (!(as->defects & MO_DEF_CODE_UNBOUND) &&
        (k->redirect_given || redirect_uri != NULL) &&
        (redirect_uri == NULL || strcmp(redirect_uri, k->redirect_uri) != 0)) {
        return "redirect_uri does not match the authorization request";
    }
    if (!pkce_defect_passes(as, k, verifier)) {
        if (verifier == NULL || !ac_pkce_verifier_valid(verifier)) {
            return "code_verifier missing or malformed (RFC 7636 section 4.1)";
        }
        s256 = ac_pkce_s256(verifier, NULL);
        match = s256 != NULL && ac_secret_eq(s256, k->challenge);
        free(s256);
        if (!match) {
            return "code_verifier does not match the code_challenge";
        }
    }
    *code = "invalid_target";
    if (!(as->defects & MO_DEF_RESOURCE_UNCHECKED) &&
        (resource == NULL ? !as->resource_optional
                          : !ac_url_same_resource(resource, k->resource))) {
        /* Without `resource` (allowed only in the 2025-03-26 topology)
         * the code's resource is the MCP server. */
        return "resource must equal the authorization request's resource";
    }
    return NULL;
}

static bool grant_code(struct mo_as *as, const struct client *c,
                       const struct ac_form *f, struct mo_reply *rep)
{
    const char *value = ac_form_get(f, "code");
    struct code *k;
    struct mo_token *access, *refresh;
    const char *code, *why;

    if (value == NULL) {
        return mo_as_token_error(rep, "invalid_request", "code is required");
    }
    if (!mo_as_secret_note(as, value) ||
        !mo_as_secret_note(as, ac_form_get(f, "code_verifier"))) {
        return false;
    }
    k = code_find(as, value);
    why = code_verdict(as, k, c, f, &code);
    if (why != NULL) {
        return mo_as_token_error(rep, code, why);
    }
    k->used = true;
    k->grant = mo_tokens_new_grant(&as->sh->tokens);
    mo_rules_emit(as->sh, "code.redeemed", as->id, k->value, c->id);
    if (!issue_pair(as, c->id, k->resource, k->scope, k->scope, k->grant,
                    as->refresh != REFRESH_NONE &&
                        mo_as_client_has(c, "grant_types", "refresh_token"),
                    &access, &refresh)) {
        return false;
    }
    return token_success(as, rep, access, refresh);
}

/* The verdict on a refresh request, or NULL when it may proceed. */
static const char *refresh_verdict(struct mo_as *as, struct mo_token *old,
                                   const struct client *c,
                                   const struct ac_form *f, const char **code)
{
    const char *scope = ac_form_get(f, "scope");
    const char *resource = ac_form_get(f, "resource");

    *code = "invalid_grant";
    if (old == NULL || strcmp(old->issuer, as->issuer) != 0) {
        return "unknown refresh token";
    }
    if (strcmp(old->client_id, c->id) != 0) {
        return "refresh token was issued to another client";
    }
    if (old->rotated && (as->defects & MO_DEF_REFRESH_REUSE) && !old->revoked) {
        return NULL; /* defect profile refresh-reuse-undetected */
    }
    if (old->rotated) {
        /* OAuth 2.1 §4.3.1: reuse of a rotated refresh token revokes the
         * whole grant. */
        if (!(as->defects & MO_DEF_REFRESH_NO_REVOKE)) {
            mo_tokens_revoke_grant(&as->sh->tokens, old->grant);
        }
        mo_rules_emit(as->sh, "refresh.reused", as->id, old->value, c->id);
        return "refresh token already used (rotated)";
    }
    if (!mo_tokens_active(old, mo_world_now(as->sh))) {
        return "refresh token revoked or expired";
    }
    if (old->jkt != NULL &&
        (req_jkt == NULL || strcmp(old->jkt, req_jkt) != 0)) {
        /* RFC 9449 §5: a public client's refresh token is bound to the
         * key; the RFC names no code, invalid_grant fits §5.2. */
        return "refresh token is bound to another DPoP key";
    }
    *code = "invalid_scope";
    if (scope != NULL && !ac_scope_subset(scope, old->scope) &&
        !(as->defects & MO_DEF_REFRESH_WIDEN)) {
        return "scope exceeds the original grant (RFC 6749 section 6)";
    }
    *code = "invalid_target";
    if (!as->lenient && resource != NULL &&
        !ac_url_same_resource(resource, old->resource)) {
        return "resource differs from the original grant";
    }
    return NULL;
}

static bool grant_refresh(struct mo_as *as, const struct client *c,
                          const struct ac_form *f, struct mo_reply *rep)
{
    const char *value = ac_form_get(f, "refresh_token");
    const char *scope = ac_form_get(f, "scope");
    struct mo_token *old, *access, *refresh;
    const char *code, *why;
    bool rotate = as->refresh == REFRESH_ROTATE;

    if (value == NULL) {
        return mo_as_token_error(rep, "invalid_request",
                                 "refresh_token is required");
    }
    if (!mo_as_secret_note(as, value)) {
        return false;
    }
    old = mo_tokens_find(&as->sh->tokens, value, MO_TOKEN_REFRESH);
    why = refresh_verdict(as, old, c, f, &code);
    if (why != NULL) {
        return mo_as_token_error(rep, code, why);
    }
    /* Rotated before the new pair exists: a concurrent reuse is reuse. */
    old->rotated = rotate;
    /* A narrower access token; the refresh token keeps the grant. */
    if (!issue_pair(as, c->id, old->resource,
                    scope != NULL ? scope : old->scope, old->scope, old->grant,
                    rotate, &access, &refresh)) {
        return false;
    }
    mo_rules_emit(as->sh, "token.refreshed", as->id, access->value,
                  access->client_id);
    return token_success(as, rep, access, refresh);
}

/* RFC 6749 §4.4: a confidential client for itself. `resource` defaults
 * to the MCP server; scope must be within scopes_supported. */
static bool grant_client_credentials(struct mo_as *as, const struct client *c,
                                     const struct ac_form *f,
                                     struct mo_reply *rep)
{
    const char *scope = ac_form_get(f, "scope");
    const char *resource = ac_form_get(f, "resource");
    struct mo_token *access, *refresh;

    if (strcmp(c->auth_method, "none") == 0) {
        return mo_as_token_error(
            rep, "unauthorized_client",
            "client_credentials needs a confidential client");
    }
    if (resource != NULL) {
        resource = mo_as_known_resource(as, resource);
        if (resource == NULL) {
            return mo_as_token_error(
                rep, "invalid_target",
                "resource must name an MCP server (RFC 8707)");
        }
    }
    if (scope != NULL && as->scopes != NULL &&
        !ac_scope_subset_of_array(scope, as->scopes)) {
        return mo_as_token_error(
            rep, "invalid_scope",
            "scope includes a value not in scopes_supported");
    }
    if (!issue_pair(as, c->id, resource != NULL ? resource : as->sh->resource,
                    scope != NULL ? scope : "", "",
                    mo_tokens_new_grant(&as->sh->tokens),
                    (as->defects & MO_DEF_CC_REFRESH) != 0, &access,
                    &refresh)) {
        return false;
    }
    /* OAuth 2.1 §4.2.2: no refresh token (defect cc-refresh-issued). */
    return token_success(as, rep, access, refresh);
}

/* RFC 7523 §2.1: a workload JWT or an ID-JAG for an access token (no
 * refresh token: the assertion is the grant, the client presents a new
 * one, RFC 7523 §3.1 leaves it to the server). */
static bool grant_jwt_bearer(struct mo_as *as, const struct client *c,
                             const struct ac_form *f, struct mo_reply *rep)
{
    struct mo_jwt_grant g;
    struct mo_token *access = NULL, *refresh = NULL;
    const char *code;
    const char *why = mo_as_jwt_bearer_verdict(as, c, f, &g, &code);
    bool ok;

    if (why != NULL) {
        mo_jwt_grant_free(&g);
        return mo_as_token_error(rep, code, why);
    }
    ok = g.sub != NULL && g.resource != NULL && g.scope != NULL &&
         issue_pair(as, c->id[0] != '\0' ? c->id : g.sub, g.resource, g.scope,
                    "", mo_tokens_new_grant(&as->sh->tokens), false, &access,
                    &refresh) &&
         token_success(as, rep, access, NULL);
    mo_jwt_grant_free(&g);
    return ok;
}

/* RFC 7523 §3.1: client authentication is optional with the JWT bearer
 * grant; a request with no client credentials at all is a workload known
 * by its assertion alone. */
static bool anonymous_workload(const struct mo_req *req,
                               const struct ac_form *f)
{
    const char *gt = ac_form_get(f, "grant_type");

    return gt != NULL && strcmp(gt, MO_GRANT_JWT_BEARER) == 0 &&
           mo_req_header(req, "Authorization") == NULL &&
           ac_form_get(f, "client_id") == NULL &&
           ac_form_get(f, "client_secret") == NULL &&
           ac_form_get(f, "client_assertion") == NULL;
}

bool mo_as_handle_token(void *ctx, const struct mo_req *req,
                        struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_form f;
    struct client *c = NULL;
    const char *gt;
    char *jkt = NULL;
    bool replied;
    bool ok;
    struct client anon = {.id = (char *)"", .auth_method = (char *)"none"};

    mo_tokens_trim(&as->sh->tokens);
    ok = mo_as_form_body(req, &f, rep, &replied);
    if (ok && !replied && anonymous_workload(req, &f)) {
        c = &anon;
    } else if (ok && !replied) {
        ok = mo_as_authenticate(as, req, &f, rep, &c);
    }
    if (!ok || replied || c == NULL) {
        ac_form_free(&f);
        return ok;
    }
    ok = mo_as_token_dpop(as, req, c, rep, &jkt, &replied);
    if (!ok || replied) {
        ac_form_free(&f);
        return ok;
    }
    req_jkt = jkt;
    req_public = strcmp(c->auth_method, "none") == 0;
    gt = ac_form_get(&f, "grant_type");
    if (gt == NULL) {
        ok =
            mo_as_token_error(rep, "invalid_request", "grant_type is required");
    } else if (strcmp(gt, "authorization_code") != 0 &&
               strcmp(gt, "refresh_token") != 0 &&
               strcmp(gt, "client_credentials") != 0 &&
               strcmp(gt, MO_GRANT_JWT_BEARER) != 0) {
        ok = mo_as_token_error(rep, "unsupported_grant_type", gt);
    } else if (c != &anon && !mo_as_client_has(c, "grant_types", gt)) {
        ok = mo_as_token_error(rep, "unauthorized_client",
                               "grant type not registered for this client");
    } else if (strcmp(gt, "authorization_code") == 0) {
        ok = grant_code(as, c, &f, rep);
    } else if (strcmp(gt, "client_credentials") == 0) {
        ok = grant_client_credentials(as, c, &f, rep);
    } else if (strcmp(gt, MO_GRANT_JWT_BEARER) == 0) {
        ok = grant_jwt_bearer(as, c, &f, rep);
    } else {
        ok = grant_refresh(as, c, &f, rep);
    }
    req_jkt = NULL;
    free(jkt);
    ac_form_free(&f);
    return ok && mo_dpop_nonce_header(&as->dpop, rep);
}
