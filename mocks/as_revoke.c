/* Token revocation (RFC 7009) and introspection (RFC 7662). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/form.h"
#include "common/json.h"
#include "mocks/as_int.h"
#include "mocks/httpd.h"
#include "mocks/world_int.h"

/* --- revocation (RFC 7009) ------------------------------------------ */

/* The start shared by revocation and introspection: the form body, an
 * authenticated client (RFC 7009 §2.1; RFC 7662 §2.1: any registered client
 * of this server may introspect) and its "token" parameter. True to go on,
 * with *value borrowed from *f, which the caller frees. False when a reply
 * is already made or on a harness error: *f is freed and *ok is what the
 * handler returns. */
static bool client_and_token(struct mo_as *as, const struct mo_req *req,
                             struct mo_reply *rep, struct ac_form *f,
                             struct client **c, const char **value, bool *ok)
{
    bool replied;

    *ok = mo_as_form_body(req, f, rep, &replied);
    if (*ok && !replied) {
        *ok = mo_as_authenticate(as, req, f, rep, c);
    }
    if (!*ok || replied || *c == NULL) {
        ac_form_free(f);
        return false;
    }
    *value = ac_form_get(f, "token");
    if (*value == NULL) {
        *ok = mo_as_token_error(rep, "invalid_request", "token is required");
        ac_form_free(f);
        return false;
    }
    return true;
}

/* The token `value` of kind `first`, else of the other kind; borrowed. */
static struct mo_token *find_token(struct mo_as *as, const char *value,
                                   enum mo_token_kind first,
                                   enum mo_token_kind second)
{
    struct mo_token *t = mo_tokens_find(&as->sh->tokens, value, first);

    return t != NULL ? t : mo_tokens_find(&as->sh->tokens, value, second);
}

bool mo_as_handle_revoke(void *ctx, const struct mo_req *req,
                         struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_form f;
    struct client *c = NULL;
    struct mo_token *tok;
    const char *value = NULL;
    bool ok;

    if (!client_and_token(as, req, rep, &f, &c, &value, &ok)) {
        return ok;
    }
    ok = mo_as_secret_note(as, value);
    tok = find_token(as, value, MO_TOKEN_REFRESH, MO_TOKEN_ACCESS);
    if (tok != NULL && strcmp(tok->client_id, c->id) == 0 &&
        strcmp(tok->issuer, as->issuer) == 0) {
        if (tok->kind == MO_TOKEN_REFRESH) {
            /* RFC 7009 §2.1: and the access tokens of the same grant. */
            mo_tokens_revoke_grant(&as->sh->tokens, tok->grant);
        }
        tok->revoked = true;
        mo_rules_emit(as->sh, "token.revoked", as->id, tok->value, c->id);
    }
    /* RFC 7009 §2.2: 200 whether or not the token was known. */
    ok = ok && mo_reply_empty(rep, 200) &&
         mo_reply_header(rep, "Cache-Control", "no-store");
    ac_form_free(&f);
    return ok;
}

static json_t *introspection_doc(const struct mo_as *as,
                                 const struct mo_token *t)
{
    json_t *doc;

    /* RFC 7662 §2.2: only "active" for a token that is not active, or
     * that another server issued. */
    if (t == NULL || !mo_tokens_active(t, mo_world_now(as->sh)) ||
        strcmp(t->issuer, as->issuer) != 0) {
        return json_pack("{s:b}", "active", 0);
    }
    doc = json_pack("{s:b, s:s, s:s, s:s, s:s, s:s}", "active", 1, "client_id",
                    t->client_id, "iss", t->issuer, "sub", t->client_id, "aud",
                    t->resource, "token_type",
                    t->kind == MO_TOKEN_ACCESS ? "Bearer" : "refresh_token");
    if (doc != NULL && t->scope[0] != '\0') {
        json_object_set_new(doc, "scope", json_string(t->scope));
    }
    if (doc != NULL && t->expires_at != 0) {
        json_object_set_new(doc, "exp", json_integer(t->expires_at));
    }
    return doc;
}

bool mo_as_handle_introspect(void *ctx, const struct mo_req *req,
                             struct mo_reply *rep)
{
    struct mo_as *as = ctx;
    struct ac_form f;
    struct client *c = NULL;
    const char *value = NULL;
    struct mo_token *t;
    json_t *doc;
    bool ok;

    if (!client_and_token(as, req, rep, &f, &c, &value, &ok)) {
        return ok;
    }
    t = find_token(as, value, MO_TOKEN_ACCESS, MO_TOKEN_REFRESH);
    doc = introspection_doc(as, t);
    ok = mo_as_secret_note(as, value) && doc != NULL &&
         mo_reply_json(rep, 200, doc) &&
         mo_reply_header(rep, "Cache-Control", "no-store");
    json_decref(doc);
    ac_form_free(&f);
    return ok;
}
