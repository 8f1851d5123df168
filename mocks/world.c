/* The world of one scenario (see world.h): owns the shared state (lock,
 * transcript, token table), the MCP server and the authorization servers,
 * and wires them together: each AS checks `resource` against the MCP
 * server's canonical URI, the MCP server trusts every AS's issuer. */
#include "mocks/world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/tlsca.h"
#include "mocks/as.h"
#include "mocks/as_int.h"
#include "mocks/control.h"
#include "mocks/httpd.h"
#include "mocks/issuers.h"
#include "mocks/mcp.h"
#include "mocks/rules.h"
#include "mocks/schema.h"
#include "mocks/transcript.h"
#include "mocks/world_int.h"

/* `sh` first: mo_world_apply_ops gets from the shared state to the world. */
struct mo_world {
    struct mo_shared sh;
    bool lock_ready;
    struct mo_mcp *mcp;
    struct mo_mcp **extra; /* scenario mcp_servers_extra, in order */
    size_t nextra;
    struct mo_as **as;
    size_t nas;
    json_t *issuers0; /* the issuers at start, for reset */
    struct mo_control *control;
    struct mo_httpd *cimd;     /* the client metadata host, or NULL */
    struct mo_httpd *insecure; /* scenario "tls": the plain-http listener */
    json_t *cimd_docs;         /* array of {url, doc}; immutable once started */
};

/* --- the client metadata host ----------------------------------------- */

/* Serves one document; no lock: the documents never change once the
 * host serves (their URLs are filled in before it starts). */
static bool handle_cimd(void *ctx, const struct mo_req *req,
                        struct mo_reply *rep)
{
    const json_t *doc = ctx;

    (void)req;
    return mo_reply_json(rep, 200, doc) &&
           mo_reply_header(rep, "Cache-Control", "max-age=60");
}

/* Record {path, doc, url} for one scenario entry and route its path; a
 * document without client_id gets its own URL. The host is bound (its
 * origin known) but not serving yet. */
static bool cimd_add(struct mo_world *w, const json_t *e, struct ac_err *err)
{
    json_t *doc = json_deep_copy(json_object_get(e, "document"));
    const char *path = ac_json_str(e, "path");
    char *url = NULL;
    json_t *x = NULL;
    bool ok = false;

    if (doc == NULL || path == NULL ||
        asprintf(&url, "%s%s", mo_httpd_origin(w->cimd), path) < 0) {
        url = NULL;
        AC_ERR(err, AC_ERR_INVALID, "client_metadata_documents: bad entry");
        goto out;
    }
    if (json_object_get(doc, "client_id") == NULL &&
        json_object_set_new(doc, "client_id", json_string(url)) != 0) {
        goto nomem;
    }
    x = json_pack("{s:s, s:O, s:s}", "path", path, "doc", doc, "url", url);
    if (x == NULL || json_array_append(w->cimd_docs, x) != 0) {
        goto nomem;
    }
    ok = mo_httpd_route(w->cimd, "GET", path, "cimd", handle_cimd, doc, err);
    goto out;
nomem:
    AC_ERR(err, AC_ERR_NOMEM, "out of memory for client metadata");
out:
    json_decref(x);
    json_decref(doc); /* the array entry keeps its reference */
    free(url);
    return ok;
}

/* Start the host of scenario "client_metadata_documents" ([{path,
 * document}]). */
static bool start_cimd(struct mo_world *w, const json_t *list,
                       struct ac_err *err)
{
    size_t i;
    const json_t *e;

    if (json_array_size(list) == 0) {
        return true;
    }
    w->cimd_docs = json_array();
    if (w->cimd_docs == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for client metadata");
        return false;
    }
    if (!mo_httpd_new("cimd", w->sh.transcript, NULL, &w->cimd, err) ||
        !mo_world_tls_apply(&w->sh, w->cimd, NULL, err) ||
        !mo_httpd_listen(w->cimd, err)) {
        return false;
    }
    json_array_foreach(list, i, e)
    {
        if (!cimd_add(w, e, err)) {
            return false;
        }
    }
    return mo_httpd_start(w->cimd, err);
}

const char *mo_world_client_metadata_url(const struct mo_world *w, size_t i)
{
    return ac_json_str(json_array_get(w->cimd_docs, i), "url");
}

/* --- TLS (scenario "tls", docs/MOCKS.md "TLS") ------------------------ */

bool mo_world_tls_apply(const struct mo_shared *sh, struct mo_httpd *h,
                        const char *cert, struct ac_err *err)
{
    enum ac_tls_cert which = AC_TLS_VALID;
    const char *key = sh->tls_key, *pem = sh->tls_cert;

    if (key == NULL) {
        return true;
    }
    if (cert != NULL && !ac_tls_cert_parse(cert, &which)) {
        AC_ERR(err, AC_ERR_INVALID, "unknown TLS certificate \"%s\"", cert);
        return false;
    }
    if (which != AC_TLS_VALID && !ac_tls_server_pems(which, &key, &pem, err)) {
        return false;
    }
    mo_httpd_set_tls(h, key, pem);
    return true;
}

/* With "tls": true, every server gets the run CA's certificate, and a
 * plain-http listener ("insecure") records whatever a client sends where
 * it should not: an http:// endpoint or redirect target a rule names as
 * ${insecure_origin}. It has no routes (404 to everything): any request
 * there is the finding. http://0.0.0.0:PORT reaches it on Linux (a
 * connection to 0.0.0.0 goes to the local host) yet is no loopback name
 * (RFC 8252 §8.3 names 127.0.0.1, [::1] and localhost), so a client's
 * loopback exemption for http does not cover it. */
static bool start_tls(struct mo_world *w, const json_t *scenario,
                      struct ac_err *err)
{
    if (!json_is_true(json_object_get(scenario, "tls"))) {
        return true;
    }
    if (!ac_tls_server_pems(AC_TLS_VALID, &w->sh.tls_key, &w->sh.tls_cert,
                            err) ||
        !mo_httpd_new("insecure", w->sh.transcript, NULL, &w->insecure, err)) {
        return false;
    }
    mo_httpd_set_host(w->insecure, "0.0.0.0");
    if (!mo_httpd_start(w->insecure, err)) {
        return false;
    }
    w->sh.insecure_origin = strdup(mo_httpd_origin(w->insecure));
    if (w->sh.insecure_origin == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the world");
        return false;
    }
    return true;
}

/* --- profiles (docs/MOCKS.md "Profiles") ------------------------------ */

static bool profile_is(const json_t *scenario, const char *name)
{
    return mo_schema_str_is(scenario, mo_schema_top, "profile", name);
}

/* github-like: GitHub OAuth apps as documented: token errors come with
 * HTTP 200, tokens never expire and have no refresh token, and there is
 * no dynamic registration. */
static const char *const github_like_rules =
    "[{\"comment\": \"github-like: token errors with 200, no expires_in, no "
    "refresh_token\", \"match\": {\"endpoint\": \"token\"}, \"do\": "
    "{\"patch\": {\"status\": 200, \"remove\": [\"expires_in\", "
    "\"refresh_token\"]}}},"
    " {\"comment\": \"github-like: no dynamic client registration\", "
    "\"match\": {\"endpoint\": [\"metadata\", \"oidc\"]}, \"do\": "
    "{\"patch\": {\"remove\": [\"registration_endpoint\"]}}},"
    " {\"comment\": \"github-like: no dynamic client registration\", "
    "\"match\": {\"endpoint\": \"register\"}, \"do\": {\"respond\": "
    "{\"status\": 404, \"body\": {\"message\": \"Not Found\"}}}}]";

/* The scenario's rules followed by its profile's (so the scenario's rule
 * indexes stay as written). A new reference. */
static json_t *effective_rules(const json_t *scenario)
{
    json_t *rules = json_deep_copy(json_object_get(scenario, "rules"));

    if (!json_is_array(rules)) {
        json_decref(rules);
        rules = json_array();
    }
    if (rules != NULL && profile_is(scenario, "github-like")) {
        json_t *extra = json_loads(github_like_rules, 0, NULL);

        json_array_extend(rules, extra);
        json_decref(extra);
    }
    return rules;
}

/* The authorization servers' configuration with the profile's flags. A
 * new reference (NULL when the scenario has none and the profile adds
 * nothing: one default AS). */
static json_t *effective_ases(const json_t *scenario)
{
    bool legacy = profile_is(scenario, MO_SCHEMA_LEGACY_PROFILE);
    json_t *list =
        json_deep_copy(json_object_get(scenario, "authorization_servers"));
    size_t i;
    json_t *as;

    if (legacy && json_array_size(list) == 0) {
        json_decref(list);
        list = json_pack("[{s:s}]", "id", "as");
    }
    json_array_foreach(list, i, as)
    {
        if (profile_is(scenario, "lenient")) {
            json_object_set_new(as, "lenient", json_true());
            json_object_set_new(as, "loopback_any_port", json_true());
        }
        if (legacy && i == 0) {
            /* 2025-03-26: the MCP server's origin is the authorization
             * server, and `resource` (RFC 8707) was not yet required. */
            json_object_set_new(as, "on_mcp_origin", json_true());
            json_object_set_new(as, "resource_required", json_false());
        }
    }
    return list;
}

/* The MCP server's configuration with the profile's changes. A new
 * reference, or NULL for all defaults. */
static json_t *effective_mcp(const json_t *scenario)
{
    const json_t *conf = json_object_get(scenario, "mcp_server");
    json_t *mcp = conf != NULL ? json_deep_copy(conf) : json_object();

    if (mcp != NULL && profile_is(scenario, MO_SCHEMA_LEGACY_PROFILE)) {
        /* 2025-03-26: no Protected Resource Metadata. */
        json_object_set_new(mcp, "prm", json_string("none"));
    }
    return mcp;
}

int64_t mo_world_now(const struct mo_shared *sh)
{
    return ac_now() + sh->clock_offset;
}

/* --- state operations (docs/MOCKS.md "State operations") ------------- */

static struct mo_as *as_by_id(const struct mo_world *w, const char *id)
{
    for (size_t i = 0; id != NULL && i < w->nas; i++) {
        if (strcmp(mo_as_id(w->as[i]), id) == 0) {
            return w->as[i];
        }
    }
    return NULL;
}

/* Does token `t` belong to the AS the operation targets (NULL: all)? */
static bool token_in_scope(const struct mo_token *t, const struct mo_as *as)
{
    return as == NULL || strcmp(t->issuer, mo_as_issuer(as)) == 0;
}

static const struct mo_token *ctx_token(struct mo_shared *sh,
                                        const struct mo_opctx *ctx)
{
    const struct mo_token *t;

    if (ctx == NULL || ctx->token == NULL) {
        return NULL;
    }
    t = mo_tokens_find(&sh->tokens, ctx->token, MO_TOKEN_ACCESS);
    return t != NULL
               ? t
               : mo_tokens_find(&sh->tokens, ctx->token, MO_TOKEN_REFRESH);
}

static void expire_one(struct mo_world *w, const char *what, struct mo_as *as,
                       const struct mo_opctx *ctx)
{
    struct mo_shared *sh = &w->sh;
    int64_t now = mo_world_now(sh);
    struct mo_token *ct = (struct mo_token *)ctx_token(sh, ctx);

    if (strcmp(what, "token") == 0) {
        if (ct != NULL) {
            ct->expires_at = now;
        }
        return;
    }
    if (strcmp(what, "codes") == 0 || strcmp(what, "client_secrets") == 0) {
        for (size_t i = 0; i < w->nas; i++) {
            if (as != NULL && w->as[i] != as) {
                continue;
            }
            if (what[1] == 'o') {
                mo_as_expire_codes(w->as[i], now);
            } else {
                mo_as_expire_secrets(w->as[i], now);
            }
        }
        return;
    }
    for (size_t i = 0; i < sh->tokens.n; i++) {
        struct mo_token *t = sh->tokens.items[i];
        enum mo_token_kind k =
            strcmp(what, "access") == 0 ? MO_TOKEN_ACCESS : MO_TOKEN_REFRESH;

        if (t->kind == k && token_in_scope(t, as)) {
            t->expires_at = now;
        }
    }
}

static void op_expire(struct mo_world *w, const json_t *v, struct mo_as *as,
                      const struct mo_opctx *ctx)
{
    size_t i;
    const json_t *e;

    if (json_is_string(v)) {
        expire_one(w, json_string_value(v), as, ctx);
    }
    json_array_foreach(v, i, e)
    {
        if (json_is_string(e)) {
            expire_one(w, json_string_value(e), as, ctx);
        }
    }
}

static void op_revoke(struct mo_world *w, const char *what, struct mo_as *as,
                      const struct mo_opctx *ctx)
{
    struct mo_shared *sh = &w->sh;
    struct mo_token *ct = (struct mo_token *)ctx_token(sh, ctx);
    const char *client = ctx != NULL ? ctx->client_id : NULL;

    if (strcmp(what, "token") == 0) {
        if (ct != NULL) {
            ct->revoked = true;
        }
        return;
    }
    if (strcmp(what, "family") == 0) {
        if (ct != NULL) {
            mo_tokens_revoke_grant(&sh->tokens, ct->grant);
        }
        return;
    }
    if (strcmp(what, "client") == 0 && client == NULL && ct != NULL) {
        client = ct->client_id;
    }
    for (size_t i = 0; i < sh->tokens.n; i++) {
        struct mo_token *t = sh->tokens.items[i];
        bool hit =
            strcmp(what, "all") == 0 ||
            (strcmp(what, "access") == 0 && t->kind == MO_TOKEN_ACCESS) ||
            (strcmp(what, "refresh") == 0 && t->kind == MO_TOKEN_REFRESH) ||
            (strcmp(what, "client") == 0 && client != NULL &&
             strcmp(t->client_id, client) == 0);

        if (hit && token_in_scope(t, as)) {
            t->revoked = true;
        }
    }
}

static bool op_switch_as(struct mo_world *w, const char *id, struct ac_err *err)
{
    struct mo_as *as = as_by_id(w, id);
    json_t *list;

    if (as == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "switch_as: no authorization server %s",
               id);
        return false;
    }
    list = json_pack("[s]", mo_as_issuer(as));
    if (list == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory switching the AS");
        return false;
    }
    json_decref(w->sh.issuers);
    w->sh.issuers = list;
    return true;
}

static void op_forget(struct mo_world *w, const char *what, struct mo_as *as)
{
    if (strcmp(what, "sessions") == 0) {
        mo_mcp_forget_sessions(w->mcp);
        for (size_t i = 0; i < w->nextra; i++) {
            mo_mcp_forget_sessions(w->extra[i]);
        }
        return;
    }
    for (size_t i = 0; i < w->nas; i++) {
        if (as != NULL && w->as[i] != as) {
            continue;
        }
        if (strcmp(what, "clients") == 0) {
            mo_as_forget_clients(w->as[i]);
        } else {
            mo_as_forget_codes(w->as[i]);
        }
    }
}

bool mo_world_apply_ops(struct mo_shared *sh, const json_t *ops,
                        const struct mo_opctx *ctx, struct ac_err *err)
{
    struct mo_world *w = (struct mo_world *)sh;
    const char *as_id = ac_json_str(ops, "as");
    struct mo_as *as = as_by_id(w, as_id);
    const json_t *v;
    const char *s;

    if (as_id != NULL && as == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "no authorization server %s", as_id);
        return false;
    }
    if ((s = ac_json_str(ops, "forget")) != NULL) {
        op_forget(w, s, as);
    }
    if ((v = json_object_get(ops, "expire")) != NULL) {
        op_expire(w, v, as, ctx);
    }
    if ((s = ac_json_str(ops, "revoke")) != NULL) {
        op_revoke(w, s, as, ctx);
    }
    if ((v = json_object_get(ops, "advance_clock")) != NULL &&
        json_is_integer(v)) {
        sh->clock_offset += json_integer_value(v);
        /* The platform hands the workload a fresh token as the old one
         * nears its end (workload identity federation). */
        mo_issuer_refresh(sh->workload);
    }
    if (json_is_true(json_object_get(ops, "rotate_keys"))) {
        for (size_t i = 0; i < w->nas; i++) {
            if ((as == NULL || w->as[i] == as) &&
                !mo_as_rotate_keys(w->as[i], err)) {
                return false;
            }
        }
    }
    if ((s = ac_json_str(ops, "switch_as")) != NULL) {
        return op_switch_as(w, s, err);
    }
    return true;
}

json_t *mo_world_ids_doc(struct mo_world *w)
{
    json_t *list = json_array();

    for (size_t i = 0; list != NULL && i < w->nas; i++) {
        json_array_append_new(list,
                              json_pack("{s:s}", "id", mo_as_id(w->as[i])));
    }
    return json_pack("{s:o}", "authorization_servers", list);
}

bool mo_world_reset_locked(struct mo_world *w, struct ac_err *err)
{
    json_t *iss = json_deep_copy(w->issuers0);

    if (iss == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory resetting the world");
        return false;
    }
    for (size_t i = 0; i < w->nas; i++) {
        mo_as_forget_clients(w->as[i]);
    }
    mo_mcp_forget_sessions(w->mcp);
    for (size_t i = 0; i < w->nextra; i++) {
        mo_mcp_forget_sessions(w->extra[i]);
    }
    {
        size_t max = w->sh.tokens.max;

        mo_tokens_free(&w->sh.tokens);
        w->sh.tokens.max = max;
    }
    mo_rules_reset(w->sh.rules);
    w->sh.clock_offset = 0;
    json_decref(w->sh.issuers);
    w->sh.issuers = iss;
    return true;
}

/* Start the scenario's "mcp_servers_extra": each a copy of the MCP
 * server's configuration `mcp` with its own id and path, on its own port
 * (its own origin, so its own resource). Bound, not serving yet. */
static bool start_extra_mcps(struct mo_world *w, const json_t *list,
                             const json_t *mcp, struct ac_err *err)
{
    size_t i;
    const json_t *e;

    if (json_array_size(list) == 0) {
        return true;
    }
    w->extra = calloc(json_array_size(list), sizeof(*w->extra));
    if (w->extra == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the world");
        return false;
    }
    json_array_foreach(list, i, e)
    {
        json_t *conf = json_deep_copy(mcp);
        const char *id = ac_json_str(e, "id");
        json_t *path = mo_schema_value(e, mo_schema_extra_mcp, "path");
        bool ok;

        if (conf == NULL || id == NULL || path == NULL ||
            json_object_set_new(conf, "path", json_incref(path)) != 0) {
            json_decref(path);
            json_decref(conf);
            AC_ERR(err, AC_ERR_INVALID, "mcp_servers_extra: bad entry");
            return false;
        }
        json_decref(path);
        ok = mo_mcp_start_as(conf, id, &w->sh, &w->extra[w->nextra], err);
        json_decref(conf);
        if (!ok) {
            return false;
        }
        w->nextra++;
    }
    return true;
}

static bool serve_extra_mcps(struct mo_world *w, struct ac_err *err)
{
    for (size_t i = 0; i < w->nextra; i++) {
        if (!mo_mcp_serve(w->extra[i], err)) {
            return false;
        }
    }
    return true;
}

/* Start one AS: on its own server, or with "on_mcp_origin" on the MCP
 * server's (at most one AS: the routes would collide). */
static bool start_as(struct mo_world *w, const json_t *conf, bool *hosted,
                     struct ac_err *err)
{
    struct mo_httpd *host = NULL;

    if (json_is_true(json_object_get(conf, "on_mcp_origin"))) {
        if (*hosted) {
            AC_ERR(err, AC_ERR_INVALID,
                   "only one authorization server can live on the MCP "
                   "server's origin");
            return false;
        }
        *hosted = true;
        host = mo_mcp_httpd(w->mcp);
    }
    if (!mo_as_start(conf, &w->sh, host, &w->as[w->nas], err)) {
        return false;
    }
    w->nas++;
    if (json_array_append_new(
            w->sh.issuers, json_string(mo_as_issuer(w->as[w->nas - 1]))) != 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the world");
        return false;
    }
    return true;
}

/* Start the authorization servers; `list` may be NULL (one default AS). */
static bool start_ases(struct mo_world *w, const json_t *list,
                       struct ac_err *err)
{
    json_t *dflt = NULL;
    size_t i;
    const json_t *conf;
    bool hosted = false;
    bool ok = true;

    if (list == NULL || json_array_size(list) == 0) {
        dflt = json_pack("[{s:s}]", "id", "as");
        list = dflt;
    }
    w->as = calloc(json_array_size(list), sizeof(*w->as));
    if (w->as == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for the world");
        ok = false;
    }
    json_array_foreach(list, i, conf)
    {
        if (ok) {
            ok = start_as(w, conf, &hosted, err);
        }
    }
    json_decref(dflt);
    return ok;
}

/* The MCP authorization extensions' issuers: scenario
 * "workload_issuer" and "enterprise_idp" (mocks/issuers.h). */
static bool start_issuers(struct mo_world *w, const json_t *scenario,
                          struct ac_err *err)
{
    const json_t *wl = json_object_get(scenario, "workload_issuer");
    const json_t *idp = json_object_get(scenario, "enterprise_idp");

    return (!json_is_object(wl) ||
            mo_issuer_start(MO_ISSUER_WORKLOAD, wl, &w->sh, &w->sh.workload,
                            err)) &&
           (!json_is_object(idp) ||
            mo_issuer_start(MO_ISSUER_IDP, idp, &w->sh, &w->sh.idp, err));
}

/* Add name = value (taken) to `vars`; false when out of memory. */
static bool var_take(json_t *vars, const char *name, char *value)
{
    bool ok = value != NULL &&
              json_object_set_new(vars, name, json_string(value)) == 0;

    free(value);
    return ok;
}

/* The first AS's token endpoint (its issuer + "/token"): new string. */
static char *token_endpoint(const struct mo_world *w)
{
    char *s = NULL;

    if (asprintf(&s, "%s/token", w->nas > 0 ? mo_as_issuer(w->as[0]) : "") <
        0) {
        return NULL;
    }
    return s;
}

json_t *mo_world_ext_vars(struct mo_world *w)
{
    struct mo_issuer *wl = w->sh.workload, *idp = w->sh.idp;
    json_t *vars = json_object();
    char *token = NULL, *endpoint = NULL;
    /* WIF "JWT Format": aud MUST be the AS's token endpoint URL. */
    char *aud = token_endpoint(w);
    bool ok = vars != NULL && aud != NULL;

    pthread_mutex_lock(&w->sh.lock);
    if (ok && wl != NULL) {
        int64_t ttl = mo_issuer_int(wl, "assertion_ttl");
        ok = var_take(vars, "wif_valid_jwt",
                      mo_issuer_workload_jwt(wl, aud, ttl)) &&
             var_take(
                 vars, "wif_wrong_audience_jwt",
                 mo_issuer_workload_jwt(wl, "https://wrong.example", ttl)) &&
             var_take(vars, "wif_expired_jwt",
                      mo_issuer_workload_jwt(wl, aud, -60)) &&
             json_object_set_new(vars, "wif_issuer", json_string(wl->issuer)) ==
                 0;
        if (ok && wl->file != NULL) {
            ok = json_object_set_new(vars, "wif_assertion_file",
                                     json_string(wl->file)) == 0;
        }
    }
    if (ok && idp != NULL) {
        token = mo_issuer_id_token(idp);
        ok = var_take(vars, "idp_id_token", token) &&
             json_object_set_new(vars, "idp_issuer",
                                 json_string(idp->issuer)) == 0 &&
             asprintf(&endpoint, "%s/token", idp->issuer) >= 0 &&
             var_take(vars, "idp_token_endpoint", endpoint);
    }
    pthread_mutex_unlock(&w->sh.lock);
    free(aud);
    if (!ok) {
        json_decref(vars);
        return NULL;
    }
    return vars;
}

bool mo_world_set_workload_file(struct mo_world *w, const char *path,
                                struct ac_err *err)
{
    char *aud = token_endpoint(w);
    bool ok = aud != NULL;

    pthread_mutex_lock(&w->sh.lock);
    if (ok && w->sh.workload != NULL) {
        ok = mo_issuer_set_file(w->sh.workload, path, aud, err);
    }
    pthread_mutex_unlock(&w->sh.lock);
    free(aud);
    return ok;
}

bool mo_world_start(const json_t *scenario, struct mo_world **out,
                    struct ac_err *err)
{
    return mo_world_start_with(scenario, NULL, out, err);
}

bool mo_world_start_with(const json_t *scenario,
                         const struct mo_world_options *opts,
                         struct mo_world **out, struct ac_err *err)
{
    struct mo_world *w = calloc(1, sizeof(*w));
    json_t *rules = NULL, *ases = NULL, *mcp = NULL;
    bool ok;

    *out = NULL;
    if (w == NULL || pthread_mutex_init(&w->sh.lock, NULL) != 0) {
        free(w);
        AC_ERR(err, AC_ERR_NOMEM, "cannot create the world");
        return false;
    }
    w->lock_ready = true;
    w->sh.interactive = opts != NULL && opts->interactive;
    w->sh.login = w->sh.interactive && opts->interactive_login;
    w->sh.threads = opts != NULL ? opts->threads : 0;
    w->sh.tokens.max = opts != NULL ? opts->max_tokens : 0;
    w->sh.issuers = json_array();
    if (w->sh.issuers == NULL || !mo_transcript_new(&w->sh.transcript, err)) {
        mo_world_stop(w);
        return false;
    }
    if (opts != NULL) {
        mo_transcript_set_max(w->sh.transcript, opts->max_exchanges);
    }
    if (!start_tls(w, scenario, err)) {
        ac_err_prefix(err, "starting the mock world");
        mo_world_stop(w);
        return false;
    }
    rules = effective_rules(scenario);
    ases = effective_ases(scenario);
    mcp = effective_mcp(scenario);
    if (rules == NULL || mcp == NULL ||
        (json_array_size(rules) > 0 &&
         !mo_rules_new(rules, &w->sh.rules, err))) {
        json_decref(rules);
        json_decref(ases);
        json_decref(mcp);
        AC_ERR(err, AC_ERR_NOMEM, "cannot load the rules");
        mo_world_stop(w);
        return false;
    }
    /* Handlers wait on the lock until the world is wired. */
    pthread_mutex_lock(&w->sh.lock);
    ok = mo_mcp_start(mcp, &w->sh, &w->mcp, err) &&
         start_extra_mcps(w, json_object_get(scenario, "mcp_servers_extra"),
                          mcp, err) &&
         start_ases(w, ases, err) && start_issuers(w, scenario, err) &&
         mo_mcp_serve(w->mcp, err) && serve_extra_mcps(w, err) &&
         start_cimd(w, json_object_get(scenario, "client_metadata_documents"),
                    err) &&
         (w->issuers0 = json_deep_copy(w->sh.issuers)) != NULL &&
         mo_control_start(w, &w->sh, &w->control, err);
    pthread_mutex_unlock(&w->sh.lock);
    json_decref(rules);
    json_decref(ases);
    json_decref(mcp);
    if (!ok) {
        ac_err_prefix(err, "starting the mock world");
        mo_world_stop(w);
        return false;
    }
    *out = w;
    return true;
}

void mo_world_stop(struct mo_world *w)
{
    if (w == NULL) {
        return;
    }
    /* Servers first: their completion callbacks still record. */
    mo_control_free(w->control);
    mo_httpd_free(w->cimd);
    mo_httpd_free(w->insecure);
    free(w->sh.insecure_origin);
    json_decref(w->cimd_docs);
    mo_issuer_free(w->sh.workload);
    mo_issuer_free(w->sh.idp);
    mo_mcp_free(w->mcp);
    for (size_t i = 0; i < w->nextra; i++) {
        mo_mcp_free(w->extra[i]);
    }
    free(w->extra);
    for (size_t i = 0; i < w->nas; i++) {
        mo_as_free(w->as[i]);
    }
    free(w->as);
    mo_tokens_free(&w->sh.tokens);
    mo_transcript_free(w->sh.transcript);
    json_decref(w->sh.issuers);
    json_decref(w->issuers0);
    mo_rules_free(w->sh.rules);
    for (size_t i = 0; i < w->sh.events.n; i++) {
        free(w->sh.events.items[i].name);
        free(w->sh.events.items[i].server);
        ac_secret_free(w->sh.events.items[i].token);
        free(w->sh.events.items[i].client_id);
    }
    free(w->sh.events.items);
    free(w->sh.resource);
    free(w->sh.prm_url);
    json_decref(w->sh.resources);
    if (w->lock_ready) {
        pthread_mutex_destroy(&w->sh.lock);
    }
    free(w);
}

const char *mo_world_mcp_url(const struct mo_world *w)
{
    return mo_mcp_url(w->mcp);
}

const char *mo_world_mcp_url_by_id(const struct mo_world *w, const char *id)
{
    if (strcmp(id, mo_mcp_id(w->mcp)) == 0) {
        return mo_mcp_url(w->mcp);
    }
    for (size_t i = 0; i < w->nextra; i++) {
        if (strcmp(id, mo_mcp_id(w->extra[i])) == 0) {
            return mo_mcp_url(w->extra[i]);
        }
    }
    return NULL;
}

const char *mo_world_control_url(const struct mo_world *w)
{
    return mo_control_url(w->control);
}

const char *mo_world_resource(const struct mo_world *w)
{
    return w->sh.resource;
}

const char *mo_world_prm_url(const struct mo_world *w)
{
    return w->sh.prm_url;
}

size_t mo_world_as_count(const struct mo_world *w)
{
    return w->nas;
}

const char *mo_world_as_id(const struct mo_world *w, size_t i)
{
    return i < w->nas ? mo_as_id(w->as[i]) : NULL;
}

const char *mo_world_issuer(const struct mo_world *w, size_t i)
{
    return i < w->nas ? mo_as_issuer(w->as[i]) : NULL;
}

bool mo_world_record(struct mo_world *w, const json_t *exchange,
                     struct ac_err *err)
{
    json_t *copy;

    if (!json_is_object(exchange)) {
        AC_ERR(err, AC_ERR_INVALID, "an exchange must be a JSON object");
        return false;
    }
    copy = json_deep_copy(exchange);
    if (copy == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory recording an exchange");
        return false;
    }
    return mo_transcript_append_take(w->sh.transcript, copy, err);
}

/* Does `url` start with `h`'s origin followed by the target? */
static const char *target_on(const struct mo_httpd *h, const char *url)
{
    const char *o = h != NULL ? mo_httpd_origin(h) : NULL;
    size_t n = o != NULL ? strlen(o) : 0;

    if (n == 0 || strncmp(url, o, n) != 0 || url[n] != '/') {
        return NULL;
    }
    return url + n;
}

/* The server `url` lives on and its request target, or NULL. */
static struct mo_httpd *server_of(struct mo_world *w, const char *url,
                                  const char **target)
{
    struct mo_httpd *cand[4] = {mo_mcp_httpd(w->mcp), w->cimd,
                                mo_control_httpd(w->control), NULL};

    for (size_t i = 0; i < 3; i++) {
        if ((*target = target_on(cand[i], url)) != NULL) {
            return cand[i];
        }
    }
    for (size_t i = 0; i < w->nextra; i++) {
        if ((*target = target_on(mo_mcp_httpd(w->extra[i]), url)) != NULL) {
            return mo_mcp_httpd(w->extra[i]);
        }
    }
    for (size_t i = 0; i < w->nas; i++) {
        if ((*target = target_on(w->as[i]->httpd, url)) != NULL) {
            return w->as[i]->httpd;
        }
    }
    return NULL;
}

bool mo_world_serve(struct mo_world *w, const char *url, const char *method,
                    const struct mo_header *headers, size_t nheaders,
                    const char *body, size_t body_len, struct mo_reply *rep,
                    bool *dropped, struct ac_err *err)
{
    const char *target = NULL;
    struct mo_httpd *h = server_of(w, url, &target);

    memset(rep, 0, sizeof(*rep));
    if (h == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "%s is on no server of this world", url);
        return false;
    }
    return mo_httpd_serve(h, method, target, headers, nheaders, body, body_len,
                          rep, dropped, err);
}

json_t *mo_world_transcript(struct mo_world *w)
{
    return mo_transcript_snapshot(w->sh.transcript);
}

json_t *mo_world_secrets(struct mo_world *w)
{
    return mo_transcript_secrets(w->sh.transcript);
}

/* Relies on `sh` being the first member (see struct mo_world). */
const char *mo_world_issuer_of(const struct mo_shared *sh, const char *id)
{
    const struct mo_world *w = (const struct mo_world *)sh;

    for (size_t i = 0; i < w->nas; i++) {
        if (id == NULL || strcmp(mo_as_id(w->as[i]), id) == 0) {
            return mo_as_issuer(w->as[i]);
        }
    }
    return NULL;
}

const char *mo_world_mcp_url_of(const struct mo_shared *sh)
{
    const struct mo_world *w = (const struct mo_world *)sh;

    return w->mcp != NULL ? mo_mcp_url(w->mcp) : NULL;
}
