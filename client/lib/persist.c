/* The client's state in the token store: what a record holds (store_int.h)
 * and how it is put back into a client, so a second process (a "restart")
 * uses the stored metadata, registration and tokens without discovery or
 * a browser. Registrations are bound to the issuer that issued them: they
 * are never presented to another authorization server. */
#include <stdlib.h>
#include <string.h>

#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "client/lib/store_int.h"
#include "common/crypto.h"
#include "common/json.h"

const char *persist_dir(struct mcpo_client *c)
{
    if (c->store_off || MUTATED("no-token-store")) {
        return NULL;
    }
    if (c->store_dir == NULL) {
        c->store_dir = store_default_dir();
    }
    return c->store_dir;
}

/* Take the "client" object of a record. */
static bool take_client(struct mcpo_client *c, const json_t *cl,
                        const char *issuer, struct ac_err *err)
{
    const char *id = ac_json_str(cl, "client_id");
    if (id == NULL || c->preregistered) {
        return true; /* configured credentials win over stored ones */
    }
    c->client_cached = true;
    c->secret_expires_at =
        json_integer_value(json_object_get(cl, "client_secret_expires_at"));
    return str_set(&c->client_id, id, err) &&
           secret_set(&c->client_secret, ac_json_str(cl, "client_secret"),
                      err) &&
           str_set(&c->token_auth_method,
                   ac_json_str(cl, "token_endpoint_auth_method"), err) &&
           str_set(&c->client_source, ac_json_str(cl, "source"), err) &&
           str_set(&c->redirect_uri, ac_json_str(cl, "redirect_uri"), err) &&
           str_set(&c->client_issuer, issuer, err);
}

static bool take_tokens(struct mcpo_client *c, const json_t *t,
                        struct ac_err *err)
{
    if (ac_json_str(t, "access_token") == NULL) {
        return true;
    }
    c->expires_at = json_integer_value(json_object_get(t, "expires_at"));
    c->dpop_bound = ac_json_str(t, "token_type") != NULL &&
                    strcmp(ac_json_str(t, "token_type"), "DPoP") == 0;
    if (!dpop_key_restore(c, json_object_get(t, "dpop_key"), err)) {
        return false;
    }
    return secret_set(&c->access_token, ac_json_str(t, "access_token"), err) &&
           secret_set(&c->refresh_token, ac_json_str(t, "refresh_token"),
                      err) &&
           str_set(&c->granted_scope, ac_json_str(t, "scope"), err);
}

/* Put a whole record into the client. */
static bool take_record(struct mcpo_client *c, const json_t *rec,
                        struct ac_err *err)
{
    const char *iss = ac_json_str(rec, "issuer");
    json_t *prm = json_object_get(rec, "prm");
    json_t *meta = json_object_get(rec, "as_metadata");
    if (!json_is_object(meta)) {
        return true; /* nothing usable without the AS metadata */
    }
    json_decref(c->prm);
    c->prm = json_is_object(prm) ? json_incref(prm) : NULL;
    json_decref(c->as_meta);
    c->as_meta = json_incref(meta);
    c->restored = true;
    c->era = mcp_era_parse(ac_json_str(rec, "mcp_wire"));
    c->era_cached = c->era != ERA_UNKNOWN;
    c->era_saved = c->era_cached;
    return str_set(&c->prm_url, ac_json_str(rec, "prm_url"), err) &&
           str_set(&c->as_url, iss, err) && str_set(&c->issuer, iss, err) &&
           take_client(c, json_object_get(rec, "client"), iss, err) &&
           take_tokens(c, json_object_get(rec, "tokens"), err);
}

bool persist_restore(struct mcpo_client *c, bool *found, struct ac_err *err)
{
    const char *dir = persist_dir(c);
    json_t *rec = NULL;
    bool ok;

    *found = false;
    if (dir == NULL) {
        return true;
    }
    if (!store_find(dir, c->resource, &rec, err)) {
        return false;
    }
    ok = rec == NULL || take_record(c, rec, err);
    *found = ok && c->restored;
    if (*found) {
        http_trace_note("restored state for %s from the token store",
                        c->resource);
    }
    json_decref(rec);
    return ok;
}

/* Forget the registration held in memory. */
static bool forget_client(struct mcpo_client *c, struct ac_err *err)
{
    if (c->preregistered) {
        return true;
    }
    c->secret_expires_at = 0;
    return str_set(&c->client_id, NULL, err) &&
           secret_set(&c->client_secret, NULL, err) &&
           str_set(&c->token_auth_method, NULL, err) &&
           str_set(&c->client_source, NULL, err) &&
           str_set(&c->client_issuer, NULL, err);
}

static bool forget_tokens(struct mcpo_client *c, struct ac_err *err)
{
    c->expires_at = 0;
    return secret_set(&c->access_token, NULL, err) &&
           secret_set(&c->refresh_token, NULL, err) &&
           str_set(&c->granted_scope, NULL, err);
}

bool persist_bind_issuer(struct mcpo_client *c, struct ac_err *err)
{
    const char *dir = persist_dir(c);
    json_t *rec = NULL;
    bool ok = false;

    if (c->client_issuer != NULL && c->issuer != NULL &&
        strcmp(c->client_issuer, c->issuer) == 0) {
        return true;
    }
    if (c->client_issuer != NULL && !MUTATED("reuse-credentials-across-as")) {
        /* MCP: credentials belong to one AS; tokens too. */
        http_trace_note("authorization server changed: new registration");
        if (!forget_client(c, err) || !forget_tokens(c, err)) {
            return false;
        }
    }
    if (dir == NULL || c->preregistered || c->client_id != NULL) {
        return true;
    }
    if (!store_load(dir, c->resource, c->issuer, &rec, err)) {
        return false;
    }
    ok = rec == NULL ||
         take_client(c, json_object_get(rec, "client"), c->issuer, err);
    json_decref(rec);
    return ok;
}

static json_t *client_json(const struct mcpo_client *c)
{
    if (c->client_id == NULL || c->preregistered) {
        return json_null(); /* configured credentials are never stored */
    }
    json_t *cl =
        json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}", "client_id", c->client_id,
                  "client_secret", c->client_secret, "redirect_uri",
                  c->redirect_uri, "token_endpoint_auth_method",
                  c->token_auth_method, "source", c->client_source);
    if (cl != NULL && c->secret_expires_at != 0) {
        json_object_set_new(cl, "client_secret_expires_at",
                            json_integer((json_int_t)c->secret_expires_at));
    }
    return cl;
}

static json_t *tokens_json(const struct mcpo_client *c)
{
    if (c->access_token == NULL) {
        return json_null();
    }
    /* RFC 9449: a bound token is useless without its key, so the key
     * lives in the same 0600 record. */
    return json_pack(
        "{s:s, s:s?, s:I, s:s?, s:s?, s:o}", "access_token", c->access_token,
        "refresh_token", c->refresh_token, "expires_at",
        (json_int_t)c->expires_at, "scope", c->granted_scope, "token_type",
        c->dpop_bound ? "DPoP" : NULL, "dpop_key", dpop_key_json(c));
}

bool persist_save(struct mcpo_client *c, struct ac_err *err)
{
    const char *dir = persist_dir(c);
    json_t *rec = NULL;
    bool ok = false;

    if (dir == NULL || c->issuer == NULL || c->as_meta == NULL) {
        return true;
    }
    rec = json_pack("{s:s, s:s, s:s, s:s?, s:O?, s:O, s:o, s:o, s:s?}",
                    "resource", c->resource, "mcp_url", c->mcp_url, "issuer",
                    c->issuer, "prm_url", c->prm_url, "prm", c->prm,
                    "as_metadata", c->as_meta, "client", client_json(c),
                    "tokens", tokens_json(c), "mcp_wire",
                    c->initialized ? mcp_era_name(c->era) : NULL);
    if (rec == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "building the store record");
        goto out;
    }
    ok = store_save(dir, rec, err);
    if (!ok) {
        ac_err_prefix(err, "saving to the token store");
    }
out:
    /* The record holds secrets: cleanse the serialisation's sources. */
    json_decref(rec);
    return ok;
}

bool persist_drop(struct mcpo_client *c, bool client, struct ac_err *err)
{
    if (!forget_tokens(c, err) || (client && !forget_client(c, err))) {
        return false;
    }
    return persist_save(c, err);
}
