/* The public face of libmcpoauth (mcpoauth.h): the client object, its
 * options and accessors, and the mapping of internal errors (struct
 * ac_err) to struct mcpo_err. The work is done in the other modules. */
#include <stdlib.h>
#include <string.h>

#include "client/lib/callback_int.h"
#include "client/lib/client_int.h"
#include "client/lib/store_int.h"
#include "common/crypto.h"
#include "common/httpc.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/url.h"

#define DEFAULT_CLIENT_NAME "mcp-oauth"
#define DEFAULT_CALLBACK_TIMEOUT_S 300
#define DEFAULT_HTTP_TIMEOUT_MS 30000L
#define DEFAULT_RETRY_BACKOFF_MS 250L
#define DEFAULT_RETRY_MAX_WAIT_MS 10000L

_Static_assert((int)MCPO_ERR_USAGE == (int)AC_ERR_USAGE &&
                   (int)MCPO_ERR_PROTOCOL == (int)AC_ERR_PROTOCOL,
               "public error codes mirror common/err.h");
_Static_assert(sizeof(((struct mcpo_err *)0)->msg) ==
                   sizeof(((struct ac_err *)0)->msg),
               "message sizes match");

/* Copy an internal error out (the layouts match field by field). */
static bool done(bool ok, const struct ac_err *in, struct mcpo_err *out)
{
    if (out == NULL) {
        return ok;
    }
    if (ok) {
        memset(out, 0, sizeof *out);
        return true;
    }
    out->code = in->code != AC_OK ? in->code : MCPO_ERR_STATE;
    memcpy(out->msg, in->msg, sizeof out->msg);
    out->func = in->func;
    out->file = in->file;
    out->line = in->line;
    return false;
}

const char *mcpo_err_code_name(int code)
{
    return ac_err_code_name(code);
}

bool mcpo_global_init(struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(ac_http_global_init(&e), &e, err);
}

void mcpo_global_cleanup(void)
{
    ac_http_global_cleanup();
}

void mcpo_free(void *p)
{
    free(p);
}

bool str_set(char **dst, const char *src, struct ac_err *err)
{
    char *copy = NULL;
    if (src != NULL && (copy = strdup(src)) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    free(*dst);
    *dst = copy;
    return true;
}

bool secret_set(char **dst, const char *src, struct ac_err *err)
{
    char *copy = NULL;
    if (src != NULL && (copy = strdup(src)) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    ac_secret_free(*dst);
    *dst = copy;
    return true;
}

bool mcpo_client_new(const char *mcp_url, struct mcpo_client **out,
                     struct mcpo_err *err)
{
    struct ac_err e;
    struct ac_url u = {0};
    struct mcpo_client *c = NULL;
    bool ok = false;

    ac_err_clear(&e);
    *out = NULL;
    if (mcp_url == NULL || !ac_url_parse(mcp_url, &u, &e)) {
        if (mcp_url == NULL) {
            AC_ERR(&e, AC_ERR_USAGE, "no MCP server URL");
        }
        goto out;
    }
    if (u.fragment != NULL) {
        AC_ERR(&e, AC_ERR_USAGE, "the MCP URL must not have a fragment");
        goto out;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL || (c->mcp_url = strdup(mcp_url)) == NULL ||
        (c->resource = ac_url_canonical_resource(mcp_url)) == NULL ||
        (c->client_name = strdup(DEFAULT_CLIENT_NAME)) == NULL) {
        AC_ERR(&e, AC_ERR_NOMEM, "oom");
        goto out;
    }
    c->callback_timeout_s = DEFAULT_CALLBACK_TIMEOUT_S;
    c->http_timeout_ms = DEFAULT_HTTP_TIMEOUT_MS;
    c->retry_backoff_ms = DEFAULT_RETRY_BACKOFF_MS;
    c->retry_max_wait_ms = DEFAULT_RETRY_MAX_WAIT_MS;
    c->retry_after_ms = -1;
    c->browser = MCPO_BROWSER_SYSTEM;
    *out = c;
    c = NULL;
    ok = true;
out:
    ac_url_free(&u);
    mcpo_client_free(c);
    return done(ok, &e, err);
}

void mcpo_client_free(struct mcpo_client *c)
{
    if (c == NULL) {
        return;
    }
    mcp_close(c);
    cb_listener_stop(c->listener);
    free(c->mcp_url);
    free(c->resource);
    free(c->opt_scope);
    free(c->client_name);
    free(c->store_dir);
    free(c->chal.resource_metadata);
    free(c->chal.scope);
    free(c->chal.error);
    free(c->client_metadata_url);
    json_decref(c->extra_client_metadata);
    json_decref(c->preset_as_meta);
    free(c->client_source);
    free(c->client_issuer);
    free(c->stepup_scope);
    free(c->granted_scope);
    free(c->prm_url);
    json_decref(c->prm);
    free(c->as_url);
    json_decref(c->as_meta);
    free(c->issuer);
    free(c->client_id);
    ac_secret_free(c->client_secret);
    free(c->token_auth_method);
    ac_jwk_free(c->signing_key);
    free(c->redirect_uri);
    free(c->requested_scope);
    ac_secret_free(c->access_token);
    ac_secret_free(c->refresh_token);
    free(c->session_id);
    free(c->protocol_version);
    free(c->legacy_version);
    json_decref(c->tools);
    dpop_free(c);
    fed_free(c);
    free(c);
}

/* --- options -------------------------------------------------------------- */

bool mcpo_client_set_scope(struct mcpo_client *c, const char *scope,
                           struct mcpo_err *err)
{
    struct ac_err e;
    return done(str_set(&c->opt_scope, scope, &e), &e, err);
}

bool mcpo_client_set_client_name(struct mcpo_client *c, const char *name,
                                 struct mcpo_err *err)
{
    struct ac_err e;
    return done(
        str_set(&c->client_name, name != NULL ? name : DEFAULT_CLIENT_NAME, &e),
        &e, err);
}

bool mcpo_client_set_client_credentials(struct mcpo_client *c,
                                        const char *client_id,
                                        const char *secret,
                                        struct mcpo_err *err)
{
    struct ac_err e;
    bool ok =
        str_set(&c->client_id, client_id, &e) &&
        secret_set(&c->client_secret, client_id != NULL ? secret : NULL, &e);
    c->preregistered = ok && client_id != NULL;
    return done(ok, &e, err);
}

/* Take `key` (may be NULL) as the private_key_jwt key after checking it
 * can sign with `alg` (NULL: the key's own algorithm). */
static bool take_key(struct mcpo_client *c, struct ac_jwk *key, const char *alg,
                     struct ac_err *e)
{
    const char *kalg = key != NULL ? ac_jws_alg_name(ac_jwk_alg(key)) : NULL;
    if (key != NULL && !ac_jwk_has_private(key)) {
        AC_ERR(e, AC_ERR_USAGE, "the private_key_jwt key has no private part");
        ac_jwk_free(key);
        return false;
    }
    if (key != NULL && alg != NULL && strcmp(alg, kalg) != 0) {
        AC_ERR(e, AC_ERR_USAGE,
               "signing algorithm %s does not fit the key (a %s key)", alg,
               kalg);
        ac_jwk_free(key);
        return false;
    }
    ac_jwk_free(c->signing_key);
    c->signing_key = key;
    return true;
}

bool mcpo_client_set_private_key(struct mcpo_client *c, const char *pem,
                                 const char *alg, struct mcpo_err *err)
{
    struct ac_err e;
    struct ac_jwk *key = NULL;
    ac_err_clear(&e);
    if (pem != NULL && (key = ac_jwk_from_pem(pem, strlen(pem), &e)) == NULL) {
        e.code = AC_ERR_USAGE;
        ac_err_prefix(&e, "private key");
        return done(false, &e, err);
    }
    return done(take_key(c, key, alg, &e), &e, err);
}

bool mcpo_client_set_private_key_file(struct mcpo_client *c, const char *path,
                                      const char *alg, struct mcpo_err *err)
{
    struct ac_err e;
    struct ac_jwk *key = NULL;
    ac_err_clear(&e);
    if (path != NULL && (key = ac_jwk_load_pem_file(path, &e)) == NULL) {
        e.code = AC_ERR_USAGE;
        ac_err_prefix(&e, "private key %s", path);
        return done(false, &e, err);
    }
    return done(take_key(c, key, alg, &e), &e, err);
}

bool mcpo_client_set_store_dir(struct mcpo_client *c, const char *dir,
                               struct mcpo_err *err)
{
    struct ac_err e;
    c->store_off = dir != NULL && *dir == '\0';
    return done(str_set(&c->store_dir, c->store_off ? NULL : dir, &e), &e, err);
}

bool mcpo_client_set_client_metadata_url(struct mcpo_client *c, const char *url,
                                         struct mcpo_err *err)
{
    struct ac_err e;
    struct ac_url u = {0};
    ac_err_clear(&e);
    if (url != NULL) {
        /* MCP CIMD: the client_id is an https URL with a path. http is
         * taken on a loopback host only (test hosts; OAuth 2.1 §1.5 makes
         * the same exception for endpoints). */
        bool ok = ac_url_parse(url, &u, &e) &&
                  (strcmp(u.scheme, "https") == 0 || ac_url_is_loopback(&u)) &&
                  strlen(u.path) > 1;
        ac_url_free(&u);
        if (!ok) {
            AC_ERR(&e, AC_ERR_USAGE,
                   "client metadata URL must be an https URL with a path");
            return done(false, &e, err);
        }
    }
    return done(str_set(&c->client_metadata_url, url, &e), &e, err);
}

/* Parse a JSON object given as text: a new reference, or NULL (usage). */
static json_t *object_arg(const char *text, const char *what, struct ac_err *e)
{
    json_t *v = ac_json_parse_object(text, strlen(text), e);
    if (v == NULL) {
        ac_err_prefix(e, "%s", what);
        e->code = AC_ERR_USAGE;
    }
    return v;
}

bool mcpo_client_set_client_metadata(struct mcpo_client *c,
                                     const char *json_object_text,
                                     struct mcpo_err *err)
{
    struct ac_err e;
    json_t *v = NULL;
    ac_err_clear(&e);
    if (json_object_text != NULL &&
        (v = object_arg(json_object_text, "client metadata", &e)) == NULL) {
        return done(false, &e, err);
    }
    json_decref(c->extra_client_metadata);
    c->extra_client_metadata = v;
    return done(true, &e, err);
}

bool mcpo_client_set_as_metadata(struct mcpo_client *c,
                                 const char *json_object_text,
                                 struct mcpo_err *err)
{
    struct ac_err e;
    json_t *v = NULL;
    ac_err_clear(&e);
    if (json_object_text != NULL) {
        v = object_arg(json_object_text, "authorization server metadata", &e);
        if (v == NULL) {
            return done(false, &e, err);
        }
        const char *iss = ac_json_str(v, "issuer");
        if (iss == NULL || !discovery_check_as_meta(v, iss, &e)) {
            if (iss == NULL) {
                AC_ERR(&e, AC_ERR_USAGE, "metadata without issuer");
            }
            json_decref(v);
            return done(false, &e, err);
        }
    }
    json_decref(c->preset_as_meta);
    c->preset_as_meta = v;
    return done(true, &e, err);
}

bool mcpo_client_set_workload_token(struct mcpo_client *c, const char *jwt,
                                    struct mcpo_err *err)
{
    struct ac_err e;
    return done(secret_set(&c->wif_jwt, jwt, &e), &e, err);
}

bool mcpo_client_set_workload_token_file(struct mcpo_client *c,
                                         const char *path, struct mcpo_err *err)
{
    struct ac_err e;
    return done(str_set(&c->wif_file, path, &e), &e, err);
}

bool mcpo_client_set_workload_token_env(struct mcpo_client *c, const char *name,
                                        struct mcpo_err *err)
{
    struct ac_err e;
    return done(str_set(&c->wif_env, name, &e), &e, err);
}

bool mcpo_client_set_enterprise_idp(struct mcpo_client *c,
                                    const char *token_endpoint,
                                    const char *client_id, const char *secret,
                                    struct mcpo_err *err)
{
    struct ac_err e;
    bool ok = str_set(&c->ema_idp_token_endpoint, token_endpoint, &e) &&
              str_set(&c->ema_idp_client_id, client_id, &e) &&
              secret_set(&c->ema_idp_client_secret, secret, &e);
    if (ok && token_endpoint != NULL && client_id == NULL) {
        AC_ERR(&e, AC_ERR_USAGE, "the enterprise IdP needs a client_id");
        ok = false;
    }
    return done(ok, &e, err);
}

bool mcpo_client_set_id_token(struct mcpo_client *c, const char *id_token,
                              struct mcpo_err *err)
{
    struct ac_err e;
    return done(secret_set(&c->ema_id_token, id_token, &e), &e, err);
}

bool mcpo_client_set_id_token_file(struct mcpo_client *c, const char *path,
                                   struct mcpo_err *err)
{
    struct ac_err e;
    return done(str_set(&c->ema_id_token_file, path, &e), &e, err);
}

void mcpo_client_set_dpop(struct mcpo_client *c, bool on)
{
    c->dpop_opt = on;
}

void mcpo_client_set_client_credentials_grant(struct mcpo_client *c, bool on)
{
    c->client_credentials = on;
}

void mcpo_client_set_callback_port(struct mcpo_client *c, int port)
{
    c->callback_port = port;
}

void mcpo_client_set_callback_timeout(struct mcpo_client *c, int seconds)
{
    c->callback_timeout_s = seconds > 0 ? seconds : DEFAULT_CALLBACK_TIMEOUT_S;
}

void mcpo_client_set_http_timeout(struct mcpo_client *c, long ms)
{
    c->http_timeout_ms = ms > 0 ? ms : DEFAULT_HTTP_TIMEOUT_MS;
}

void mcpo_client_set_retry_backoff(struct mcpo_client *c, long first_ms,
                                   long max_ms)
{
    c->retry_backoff_ms = first_ms > 0 ? first_ms : DEFAULT_RETRY_BACKOFF_MS;
    c->retry_max_wait_ms = max_ms > 0 ? max_ms : DEFAULT_RETRY_MAX_WAIT_MS;
}

void mcpo_client_set_browser(struct mcpo_client *c, enum mcpo_browser mode)
{
    c->browser = mode;
}

void mcpo_client_set_browser_blocking(struct mcpo_client *c, bool blocking)
{
    c->browser_blocking = blocking;
}

void mcpo_client_set_trace(struct mcpo_client *c, bool on)
{
    c->trace = on;
    http_trace_enable(on);
}

/* --- steps ---------------------------------------------------------------- */

bool mcpo_check_auth(struct mcpo_client *c, bool *required,
                     struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(flow_check(c, required, &e), &e, err);
}

bool mcpo_discover_prm(struct mcpo_client *c, struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(discovery_prm(c, &e), &e, err);
}

bool mcpo_discover_as(struct mcpo_client *c, struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(discovery_as(c, &e), &e, err);
}

bool mcpo_register(struct mcpo_client *c, struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    if (c->as_meta == NULL) {
        AC_ERR(&e, AC_ERR_STATE, "discover the authorization server first");
        return done(false, &e, err);
    }
    return done(registration_run(c, &e), &e, err);
}

bool mcpo_authorize(struct mcpo_client *c, struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(authorize_run(c, &e), &e, err);
}

bool mcpo_login(struct mcpo_client *c, struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(flow_login(c, &e), &e, err);
}

bool mcpo_refresh(struct mcpo_client *c, struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    if (!c->restore_tried) {
        bool found;
        c->restore_tried = true;
        if (!persist_restore(c, &found, &e)) {
            return done(false, &e, err);
        }
    }
    return done(refresh_after_reject(c, &e), &e, err);
}

bool mcpo_get_token(struct mcpo_client *c, char **access_token,
                    struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    *access_token = NULL;
    if (!flow_token(c, &e)) {
        return done(false, &e, err);
    }
    if ((*access_token = strdup(c->access_token)) == NULL) {
        AC_ERR(&e, AC_ERR_NOMEM, "oom");
        return done(false, &e, err);
    }
    return done(true, &e, err);
}

bool mcpo_logout(struct mcpo_client *c, struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(flow_logout(c, &e), &e, err);
}

bool mcpo_connect(struct mcpo_client *c, struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(flow_connect(c, &e), &e, err);
}

/* --- MCP ------------------------------------------------------------------ */

/* One request on the open session; the result as new text. */
static bool call(struct mcpo_client *c, const char *method, json_t *params,
                 char **result_json, struct ac_err *e)
{
    json_t *result = NULL;
    bool ok = false;

    *result_json = NULL;
    if (!flow_rpc(c, method, params, &result, e)) {
        goto out;
    }
    *result_json = json_dumps(result, JSON_COMPACT);
    if (*result_json == NULL) {
        AC_ERR(e, AC_ERR_NOMEM, "oom");
        goto out;
    }
    ok = true;
out:
    json_decref(result);
    return ok;
}

bool mcpo_list_tools(struct mcpo_client *c, char **result_json,
                     struct mcpo_err *err)
{
    struct ac_err e;
    ac_err_clear(&e);
    return done(call(c, "tools/list", NULL, result_json, &e), &e, err);
}

bool mcpo_call_tool(struct mcpo_client *c, const char *name,
                    const char *arguments_json, char **result_json,
                    struct mcpo_err *err)
{
    struct ac_err e;
    json_t *args = NULL, *params = NULL;
    bool ok = false;

    ac_err_clear(&e);
    *result_json = NULL;
    args =
        arguments_json != NULL
            ? ac_json_parse_object(arguments_json, strlen(arguments_json), &e)
            : json_object();
    if (args == NULL) {
        ac_err_prefix(&e, "tool arguments");
        e.code = AC_ERR_USAGE;
        goto out;
    }
    params = json_pack("{s:s, s:O}", "name", name, "arguments", args);
    if (params == NULL) {
        AC_ERR(&e, AC_ERR_NOMEM, "oom");
        goto out;
    }
    ok = call(c, "tools/call", params, result_json, &e);
out:
    json_decref(args);
    json_decref(params);
    return done(ok, &e, err);
}

/* --- accessors ------------------------------------------------------------ */

const char *mcpo_client_mcp_url(const struct mcpo_client *c)
{
    return c->mcp_url;
}

const char *mcpo_client_resource(const struct mcpo_client *c)
{
    return c->resource;
}

const char *mcpo_client_prm_url(const struct mcpo_client *c)
{
    return c->prm_url;
}

const char *mcpo_client_issuer(const struct mcpo_client *c)
{
    return c->issuer;
}

const char *mcpo_client_client_id(const struct mcpo_client *c)
{
    return c->client_id;
}

const char *mcpo_client_redirect_uri(const struct mcpo_client *c)
{
    return c->redirect_uri;
}

const char *mcpo_client_requested_scope(const struct mcpo_client *c)
{
    return c->requested_scope;
}

bool mcpo_client_has_token(const struct mcpo_client *c)
{
    return c->access_token != NULL;
}

const char *mcpo_client_granted_scope(const struct mcpo_client *c)
{
    return c->granted_scope;
}

long long mcpo_client_expires_at(const struct mcpo_client *c)
{
    return (long long)c->expires_at;
}

const char *mcpo_client_store_dir(struct mcpo_client *c)
{
    return persist_dir(c);
}

/* --- the token store ----------------------------------------------------- */

/* The store directory: `dir`, else the default. A new string. */
static char *dir_or_default(const char *dir, struct ac_err *e)
{
    char *d = dir != NULL ? strdup(dir) : store_default_dir();
    if (d == NULL) {
        AC_ERR(e, AC_ERR_USAGE,
               "no token store directory (set HOME or XDG_STATE_HOME)");
    }
    return d;
}

/* A record without secrets, for listings. A new reference. */
static json_t *public_view(const json_t *rec)
{
    const json_t *t = json_object_get(rec, "tokens");
    const json_t *cl = json_object_get(rec, "client");
    return json_pack(
        "{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:b, s:b}", "resource",
        json_object_get(rec, "resource"), "mcp_url",
        json_object_get(rec, "mcp_url"), "issuer",
        json_object_get(rec, "issuer"), "client_id",
        json_object_get(cl, "client_id"), "scope", json_object_get(t, "scope"),
        "expires_at", json_object_get(t, "expires_at"), "has_access_token",
        ac_json_str(t, "access_token") != NULL, "has_refresh_token",
        ac_json_str(t, "refresh_token") != NULL);
}

bool mcpo_store_list(const char *dir, char **json_array_text,
                     struct mcpo_err *err)
{
    struct ac_err e;
    char *d = NULL;
    json_t *all = NULL, *out = json_array();
    size_t i;
    json_t *rec;
    bool ok = false;

    ac_err_clear(&e);
    *json_array_text = NULL;
    if ((d = dir_or_default(dir, &e)) == NULL ||
        (all = store_list(d, &e)) == NULL) {
        goto out;
    }
    json_array_foreach(all, i, rec)
    {
        json_array_append_new(out, public_view(rec));
    }
    *json_array_text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    ok = *json_array_text != NULL;
    if (!ok) {
        AC_ERR(&e, AC_ERR_NOMEM, "oom");
    }
out:
    free(d);
    json_decref(all);
    json_decref(out);
    return done(ok, &e, err);
}

/* Delete every record of `resource`, whatever its issuer. */
static bool remove_resource(const char *dir, const char *resource,
                            struct ac_err *e)
{
    json_t *all = store_list(dir, e), *rec;
    size_t i;
    bool ok = all != NULL;

    json_array_foreach(all, i, rec)
    {
        const char *iss = ac_json_str(rec, "issuer");
        if (strcmp(ac_json_str(rec, "resource"), resource) == 0) {
            ok = store_remove(dir, resource, iss, e) && ok;
        }
    }
    json_decref(all);
    return ok;
}

bool mcpo_store_clear(const char *dir, const char *resource, const char *issuer,
                      struct mcpo_err *err)
{
    struct ac_err e;
    char *d = NULL;
    bool ok = false;
    ac_err_clear(&e);
    if ((d = dir_or_default(dir, &e)) != NULL) {
        ok = resource == NULL ? store_clear_all(d, &e)
             : issuer == NULL ? remove_resource(d, resource, &e)
                              : store_remove(d, resource, issuer, &e);
    }
    free(d);
    return done(ok, &e, err);
}

bool mcpo_store_get(const char *dir, const char *resource, const char *issuer,
                    char **record_json, struct mcpo_err *err)
{
    struct ac_err e;
    char *d = NULL;
    json_t *rec = NULL;
    bool ok = false;
    ac_err_clear(&e);
    *record_json = NULL;
    if ((d = dir_or_default(dir, &e)) == NULL ||
        !(issuer != NULL ? store_load(d, resource, issuer, &rec, &e)
                         : store_find(d, resource, &rec, &e))) {
        goto out;
    }
    ok = true;
    if (rec != NULL) {
        *record_json = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
        ok = *record_json != NULL;
    }
out:
    free(d);
    json_decref(rec);
    return done(ok, &e, err);
}

bool mcpo_store_put(const char *dir, const char *record_json,
                    struct mcpo_err *err)
{
    struct ac_err e;
    char *d = NULL;
    json_t *rec = NULL;
    bool ok = false;
    ac_err_clear(&e);
    if ((d = dir_or_default(dir, &e)) != NULL &&
        (rec = object_arg(record_json, "store record", &e)) != NULL) {
        ok = store_save(d, rec, &e);
    }
    free(d);
    json_decref(rec);
    return done(ok, &e, err);
}
