/* Every mutation of the reference client (client/lib/mutations.c) changes
 * what the mocks see: for each one, the same scenario is run with the
 * clean test build and with the mutation (build/tests/mcp-oauth-mut,
 * MCP_OAUTH_MUTATION=name), and a check on the transcript and exit status
 * tells them apart. The harness's mutation matrix relies on these
 * behaviours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "client/lib/store_int.h"
#include "common/json.h"
#include "common/jwk.h"
#include "common/jwt.h"
#include "common/tlsca.h"
#include "mocks/world.h"
#include "tests/support/asserts.h"
#include "tests/support/transcript.h"

struct fixture {
    json_t *scenario;
    struct mo_world *world;
    json_t *transcript;
    int status;         /* exit status of the last run */
    char xdg[256];      /* XDG_STATE_HOME of the runs */
    char out[32768];    /* last run's output */
    char env[8192];     /* "NAME=value" set by an edit, or "" */
    const char *mcp_id; /* the MCP server runs go to; NULL: "mcp" */
};

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : dflt;
}

/* --- running ----------------------------------------------------------------
 */

/* Does environment entry `e` ("NAME=value") set one of `names`? */
static bool env_named(const char *e, const char *const *names)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(e, names[i], n) == 0 && e[n] == '=') {
            return true;
        }
    }
    return false;
}

static int run_bin(struct fixture *f, const char *mutation,
                   const char *const *args, const char *env)
{
    extern char **environ;
    char tmpl[] = "/tmp/mcpo-mut-XXXXXX";
    int fd = mkstemp(tmpl), status;
    const char *argv[16];
    size_t n = 0, ne = 0, nenv = 0;
    char *xdg = NULL, *mut = NULL, envname[64] = "";
    const char **envp;
    const char *drop[] = {"BROWSER",        "MCP_CONFORMANCE_CONTEXT",
                          "XDG_STATE_HOME", "MCP_OAUTH_MUTATION",
                          envname,          NULL};

    assert_int_cmp(fd, >=, 0);
    unlink(tmpl);
    /* Everything the child needs is built before fork(): the mock world's
     * threads may hold a lock (malloc's, the environment's, the world's)
     * at that moment, and a child touching it would wait forever. The
     * child only dup2()s and execve()s. */
    argv[n++] = env_or("AUTHCHECK_MUT_CLIENT", "build/tests/mcp-oauth-mut");
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 13; i++) {
        argv[n++] = args[i];
    }
    argv[n++] = f->mcp_id != NULL ? mo_world_mcp_url_by_id(f->world, f->mcp_id)
                                  : mo_world_mcp_url(f->world);
    argv[n] = NULL;
    if (env != NULL) {
        snprintf(envname, sizeof envname, "%.*s", (int)strcspn(env, "="), env);
    }
    while (environ[nenv] != NULL) {
        nenv++;
    }
    envp = calloc(nenv + 4, sizeof(*envp));
    assert_non_null(envp);
    for (size_t i = 0; i < nenv; i++) {
        if (!env_named(environ[i], drop)) {
            envp[ne++] = environ[i];
        }
    }
    assert_int_cmp(asprintf(&xdg, "XDG_STATE_HOME=%s", f->xdg), >, 0);
    envp[ne++] = xdg;
    if (env != NULL) {
        envp[ne++] = env;
    }
    if (mutation != NULL) {
        assert_int_cmp(asprintf(&mut, "MCP_OAUTH_MUTATION=%s", mutation), >, 0);
        envp[ne++] = mut;
    }
    envp[ne] = NULL;
    pid_t pid = fork();
    assert_int_cmp(pid, >=, 0);
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        execve(argv[0], (char **)argv, (char **)envp);
        _exit(127);
    }
    free(envp);
    free(xdg);
    free(mut);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    memset(f->out, 0, sizeof f->out);
    lseek(fd, 0, SEEK_SET);
    ssize_t got = read(fd, f->out, sizeof f->out - 1);
    (void)got;
    close(fd);
    json_decref(f->transcript);
    f->transcript = mo_world_transcript(f->world);
    f->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    return f->status;
}

/* --- transcript -------------------------------------------------------------
 */

/* Exchanges at `endpoint` (of `server` unless NULL) whose query or form
 * has `name` (= `value` unless NULL; name NULL: every exchange). */
static int count(const struct fixture *f, const char *server,
                 const char *endpoint, const char *name, const char *value)
{
    size_t i;
    const json_t *x;
    int n = 0;
    json_array_foreach(f->transcript, i, x)
    {
        const char *s = ac_json_str(x, "server");
        const char *ep = ac_json_str(x, "endpoint");
        if (ep == NULL || strcmp(ep, endpoint) != 0 ||
            (server != NULL && (s == NULL || strcmp(s, server) != 0))) {
            continue;
        }
        if (name == NULL) {
            n++;
            continue;
        }
        char *v = ts_req_param(x, name);
        n += v != NULL && (value == NULL || strcmp(v, value) == 0);
        free(v);
    }
    return n;
}

/* The path of the first GET of a well-known PRM URL, or "". */
static const char *first_prm_path(const struct fixture *f)
{
    size_t i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *p = ac_json_str(x, "path");
        if (p != NULL &&
            strncmp(p, "/.well-known/oauth-protected-resource", 37) == 0) {
            return p;
        }
    }
    return "";
}

/* Any MCP request with access_token in its query? */
static bool token_in_query(const struct fixture *f)
{
    size_t i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        const char *q = ac_json_str(x, "query");
        if (ep != NULL && strcmp(ep, "mcp") == 0 && q != NULL &&
            strstr(q, "access_token=") != NULL) {
            return true;
        }
    }
    return false;
}

/* Does server `server` ever see the client_id registered at `other`? */
static bool crossed(const struct fixture *f, const char *other,
                    const char *server)
{
    size_t i;
    const json_t *x;
    char id[256] = "";
    json_array_foreach(f->transcript, i, x)
    {
        const char *s = ac_json_str(x, "server");
        const char *ep = ac_json_str(x, "endpoint");
        if (s != NULL && strcmp(s, other) == 0 && ep != NULL &&
            strcmp(ep, "register") == 0) {
            json_t *b = json_loads(
                ac_json_str(json_object_get(x, "response"), "body"), 0, NULL);
            snprintf(id, sizeof id, "%s",
                     ac_json_str(b, "client_id") ? ac_json_str(b, "client_id")
                                                 : "");
            json_decref(b);
        }
    }
    if (id[0] == '\0') {
        return false;
    }
    json_array_foreach(f->transcript, i, x)
    {
        const char *s = ac_json_str(x, "server");
        const char *q = ac_json_str(x, "query");
        const char *b = ac_json_str(json_object_get(x, "request"), "body");
        if (s != NULL && strcmp(s, server) == 0 &&
            ((q != NULL && strstr(q, id)) || (b != NULL && strstr(b, id)))) {
            return true;
        }
    }
    return false;
}

/* --- scenario edits ----------------------------------------------------------
 */

static json_t *mcp_conf(struct fixture *f)
{
    return json_object_get(f->scenario, "mcp_server");
}

static json_t *as_conf(struct fixture *f, size_t i)
{
    return json_array_get(json_object_get(f->scenario, "authorization_servers"),
                          i);
}

static void add_rule(struct fixture *f, const char *json)
{
    json_t *r = json_loads(json, 0, NULL);
    assert_non_null(r);
    if (!json_is_array(json_object_get(f->scenario, "rules"))) {
        json_object_set_new(f->scenario, "rules", json_array());
    }
    json_array_append_new(json_object_get(f->scenario, "rules"), r);
}

static void edit_none(struct fixture *f)
{
    (void)f;
}

/* A second MCP server, "mcp2": its own origin and resource, the same AS. */
static void edit_two_servers(struct fixture *f)
{
    json_object_set_new(
        f->scenario, "mcp_servers_extra",
        json_pack("[{s:s, s:s}]", "id", "mcp2", "path", "/mcp"));
}

static void edit_forged_state(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"authorize\"},\"do\":{\"patch\":"
                "{\"location\":{\"state\":\"forged-state\"}}}}");
}

static void edit_forged_iss(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"authorize\"},\"do\":{\"patch\":"
                "{\"location\":{\"iss\":\"https://evil.example\"}}}}");
}

/* iss = the issuer + "/": equal only after URL normalization. */
static void edit_iss_slash(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"authorize\"},\"do\":{\"patch\":"
                "{\"location\":{\"iss\":\"${issuer}/\"}}}}");
}

static void edit_metadata_issuer(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"patch\":"
                "{\"set\":{\"issuer\":\"https://evil.example\"}}}}");
}

static void edit_no_s256(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"patch\":"
                "{\"set\":{\"code_challenge_methods_supported\":[\"plain\"]}"
                "}}}");
}

static void edit_prm_resource(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"prm\"},\"do\":{\"patch\":"
                "{\"set\":{\"resource\":\"https://other.example/mcp\"}}}}");
}

static void edit_two_scopes(struct fixture *f)
{
    json_object_set_new(as_conf(f, 0), "scopes_supported",
                        json_pack("[s, s]", "mcp:tools", "mcp:admin"));
    json_object_set_new(mcp_conf(f), "scopes_supported",
                        json_pack("[s, s]", "mcp:tools", "mcp:admin"));
}

static void edit_admin_tool(struct fixture *f)
{
    edit_two_scopes(f);
    json_array_append_new(
        json_object_get(mcp_conf(f), "tools"),
        json_pack("{s:s, s:s}", "name", "admin", "scope", "mcp:admin"));
}

/* tools/call always answers 403 insufficient_scope. */
static void edit_endless_stepup(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"mcp\",\"json\":{\"method\":"
                "\"tools/call\"}},\"do\":{\"respond\":{\"status\":403,"
                "\"headers\":{\"WWW-Authenticate\":\"Bearer error="
                "\\\"insufficient_scope\\\", scope=\\\"mcp:tools\\\"\"},"
                "\"body\":{\"error\":\"insufficient_scope\"}}}}");
}

/* The first access token is already expired at the MCP server (the mock
 * clock jumps): a refresh is due. */
static void edit_expired_token(struct fixture *f)
{
    add_rule(f, "{\"on\":{\"event\":\"token.issued\",\"times\":1},"
                "\"do\":{\"advance_clock\":7200}}");
}

static void edit_forget_clients(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"token\",\"times\":1},"
                "\"do\":{\"forget\":\"clients\"}}");
}

static void edit_migration(struct fixture *f)
{
    json_t *as2 = json_deep_copy(as_conf(f, 0));
    json_object_set_new(as_conf(f, 0), "id", json_string("as1"));
    json_object_set_new(as2, "id", json_string("as2"));
    json_array_append_new(json_object_get(f->scenario, "authorization_servers"),
                          as2);
    add_rule(f, "{\"on\":{\"event\":\"token.issued\",\"times\":1},"
                "\"do\":{\"switch_as\":\"as2\"}}");
}

static void edit_cimd(struct fixture *f)
{
    json_object_set_new(as_conf(f, 0), "registration",
                        json_pack("[s, s]", "dcr", "cimd"));
    json_object_set_new(as_conf(f, 0), "loopback_any_port", json_true());
    json_object_set_new(
        f->scenario, "client_metadata_documents",
        json_pack("[{s:s, s:{s:s, s:[s], s:[s, s], s:[s], s:s}}]", "path",
                  "/client.json", "document", "client_name", "mcp-oauth",
                  "redirect_uris", "http://127.0.0.1/callback", "grant_types",
                  "authorization_code", "refresh_token", "response_types",
                  "code", "token_endpoint_auth_method", "none"));
}

static void edit_no_rm(struct fixture *f)
{
    json_object_set_new(json_object_get(mcp_conf(f), "challenge"),
                        "resource_metadata", json_false());
}

/* HTTPS mocks, the run CA in the run's directory, named to the client
 * by CURL_CA_BUNDLE (docs/MOCKS.md "TLS"). */
static void edit_tls(struct fixture *f)
{
    char path[300];
    struct ac_err err;

    json_object_set_new(f->scenario, "tls", json_true());
    snprintf(path, sizeof path, "%s/ca.pem", f->xdg);
    if (!ac_tls_write_ca(path, &err)) {
        fail_msg("%s", err.msg);
    }
    snprintf(f->env, sizeof f->env, "CURL_CA_BUNDLE=%s", path);
}

static void edit_tls_expired(struct fixture *f)
{
    edit_tls(f);
    json_object_set_new(as_conf(f, 0), "tls_certificate",
                        json_string("expired"));
}

static void edit_tls_http_token(struct fixture *f)
{
    edit_tls(f);
    add_rule(f,
             "{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"patch\":"
             "{\"set\":{\"token_endpoint\":\"${insecure_origin}/token\"}}}}");
}

/* --- checks: each is told whether the run was the mutant
 * ---------------------- */

static void check_no_pkce(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", "code_challenge", NULL),
                     mut ? 0 : 1);
    assert_int_equal(count(f, NULL, "token", "code_verifier", NULL),
                     mut ? 0 : 1);
}

static void check_pkce_plain(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", "code_challenge_method",
                           mut ? "plain" : "S256"),
                     1);
}

/* A callback with a foreign state: ignored (no code redeemed, failure)
 * unless mutated. */
static void check_state(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "token", NULL, NULL), mut ? 1 : 0);
    assert_int_equal(f->status, mut ? 0 : 1);
}

/* A foreign iss: refused before the token request unless mutated. */
static void check_iss(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "token", NULL, NULL), mut ? 1 : 0);
    if (!mut) {
        assert_non_null(strstr(f->out, "mix-up"));
    }
}

/* RFC 9207 §2.4: no normalization; the mutant sees the slash as equal. */
static void check_iss_normalized(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "token", NULL, NULL), mut ? 1 : 0);
    assert_int_equal(f->status, mut ? 0 : 1);
}

/* Bad metadata: refused before registration unless mutated. */
static void check_refused_before_register(struct fixture *f, bool mut)
{
    if (mut) {
        assert_int_cmp(count(f, NULL, "register", NULL, NULL), >=, 1);
    } else {
        assert_int_equal(count(f, NULL, "register", NULL, NULL), 0);
        assert_int_equal(f->status, 1);
    }
}

/* An expired AS certificate: refused at the handshake (recorded as
 * endpoint "tls", nothing else reaches the AS) unless mutated. */
static void check_tls_cert(struct fixture *f, bool mut)
{
    if (mut) {
        assert_true(count(f, "as", "register", NULL, NULL) >= 1);
    } else {
        assert_true(count(f, "as", "tls", NULL, NULL) >= 1);
        assert_int_equal(count(f, "as", "metadata", NULL, NULL), 0);
        assert_int_equal(f->status, 1);
    }
}

/* A plain-http token endpoint on 0.0.0.0: nothing sent there unless
 * mutated, when the code and verifier go there. */
static void check_tls_http_token(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, "insecure", "unknown", "code_verifier", NULL),
                     mut ? 1 : 0);
    if (!mut) {
        assert_int_equal(f->status, 1);
    }
}

/* A PRM for another resource: refused before AS metadata unless mutated. */
static void check_prm_resource(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "metadata", NULL, NULL) > 0, mut);
}

static void check_challenge_scope(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", "scope",
                           mut ? "mcp:tools mcp:admin" : "mcp:tools"),
                     1);
}

static void check_scope_union(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", NULL, NULL), 2);
    assert_int_equal(count(f, NULL, "authorize", "scope",
                           mut ? "mcp:admin" : "mcp:tools mcp:admin"),
                     1);
}

/* A 403 insufficient_scope: one step-up, or none (and a failure)
 * mutated. */
static void check_ignore_403(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", NULL, NULL), mut ? 1 : 2);
    assert_int_equal(f->status, mut ? 1 : 0);
}

/* 1 authorization + 3 step-ups, or 10 step-ups mutated; failure both. */
static void check_retry_limit(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", NULL, NULL), mut ? 11 : 4);
    assert_int_equal(f->status, 1);
}

static void check_refresh(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "token", "grant_type", "refresh_token"),
                     mut ? 0 : 1);
    assert_int_equal(count(f, NULL, "authorize", NULL, NULL), mut ? 2 : 1);
    assert_int_equal(f->status, 0);
}

static void check_stale(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "register", NULL, NULL), mut ? 1 : 2);
    assert_int_equal(f->status, mut ? 1 : 0);
}

static void check_migration(struct fixture *f, bool mut)
{
    /* The mutant presents as1's client_id to as2 (which then shows its
     * error page; the stale-client recovery may register afterwards). */
    assert_int_equal(crossed(f, "as1", "as2"), mut);
    if (!mut) {
        assert_int_equal(count(f, "as2", "register", NULL, NULL), 1);
    }
}

static void check_cimd(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "register", NULL, NULL), mut ? 1 : 0);
    assert_int_equal(f->status, 0);
}

static void check_root_first(struct fixture *f, bool mut)
{
    if (mut) {
        assert_string_equal(first_prm_path(f),
                            "/.well-known/oauth-protected-resource");
    } else {
        assert_string_equal(first_prm_path(f),
                            "/.well-known/oauth-protected-resource/mcp");
    }
    assert_int_equal(f->status, 0);
}

static void check_token_in_query(struct fixture *f, bool mut)
{
    assert_int_equal(token_in_query(f), mut);
}

static void check_no_resource(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", "resource", NULL),
                     mut ? 0 : 1);
}

/* --- more transcript helpers ------------------------------------------------
 */

static long status_of(const json_t *x)
{
    return (long)json_integer_value(
        json_object_get(json_object_get(x, "response"), "status"));
}

/* The JSON-RPC method of an MCP POST, copied into buf ("" if none). */
static const char *rpc_method(const json_t *x, char *buf, size_t n)
{
    json_t *m =
        json_loads(ac_json_str(json_object_get(x, "request"), "body") != NULL
                       ? ac_json_str(json_object_get(x, "request"), "body")
                       : "",
                   0, NULL);
    snprintf(buf, n, "%s",
             ac_json_str(m, "method") != NULL ? ac_json_str(m, "method") : "");
    json_decref(m);
    return buf;
}

/* MCP POSTs whose method is `method` ("*": any; NULL: any but initialize
 * and server/discover) lacking request header `name`. */
static int mcp_without(const struct fixture *f, const char *method,
                       const char *name)
{
    size_t i;
    const json_t *x;
    int n = 0;
    char m[64];
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        if (ep == NULL || strcmp(ep, "mcp") != 0 ||
            strcmp(ac_json_str(x, "method"), "POST") != 0) {
            continue;
        }
        rpc_method(x, m, sizeof m);
        bool pick = method != NULL
                        ? strcmp(method, "*") == 0 || strcmp(m, method) == 0
                        : strcmp(m, "initialize") != 0 &&
                              strcmp(m, "server/discover") != 0;
        n += pick && ts_req_header(x, name) == NULL;
    }
    return n;
}

/* MCP POSTs carrying JSON-RPC `method`. */
static int mcp_calls(const struct fixture *f, const char *method)
{
    size_t i;
    const json_t *x;
    int n = 0;
    char m[64];
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        if (ep != NULL && strcmp(ep, "mcp") == 0 &&
            strcmp(rpc_method(x, m, sizeof m), method) == 0) {
            n++;
        }
    }
    return n;
}

/* MCP requests with a bearer token answered 401. */
static int rejected_bearers(const struct fixture *f)
{
    size_t i;
    const json_t *x;
    int n = 0;
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        n += ep != NULL && strcmp(ep, "mcp") == 0 && status_of(x) == 401 &&
             ts_req_header(x, "Authorization") != NULL;
    }
    return n;
}

/* The request body of the first exchange at `endpoint` ("" if none). */
static const char *first_body(const struct fixture *f, const char *endpoint)
{
    size_t i;
    const json_t *x;
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        const char *b = ac_json_str(json_object_get(x, "request"), "body");
        if (ep != NULL && strcmp(ep, endpoint) == 0) {
            return b != NULL ? b : "";
        }
    }
    return "";
}

/* Parameter `name` of the first (or last) exchange at `endpoint`, copied
 * into buf; "-" when the exchange lacks it, "" when there is none. */
static const char *param_at(const struct fixture *f, const char *endpoint,
                            const char *name, bool last_one, char *buf,
                            size_t n)
{
    size_t cnt = json_array_size(f->transcript);
    snprintf(buf, n, "%s", "");
    for (size_t k = 0; k < cnt; k++) {
        const json_t *x =
            json_array_get(f->transcript, last_one ? cnt - 1 - k : k);
        const char *ep = ac_json_str(x, "endpoint");
        if (ep == NULL || strcmp(ep, endpoint) != 0) {
            continue;
        }
        char *v = ts_req_param(x, name);
        snprintf(buf, n, "%s", v != NULL ? v : "-");
        free(v);
        return buf;
    }
    return buf;
}

/* The refresh_token values sent in refresh requests, in order. */
static json_t *refresh_tokens_sent(const struct fixture *f)
{
    size_t i;
    const json_t *x;
    json_t *out = json_array();
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        char *rt = ep != NULL && strcmp(ep, "token") == 0
                       ? ts_req_param(x, "refresh_token")
                       : NULL;
        if (rt != NULL) {
            json_array_append_new(out, json_string(rt));
        }
        free(rt);
    }
    return out;
}

/* --- between runs: edit the stored record ------------------------------------
 */

static void edit_store(struct fixture *f, void (*fn)(json_t *rec))
{
    char dir[512];
    json_t *rec = NULL;
    snprintf(dir, sizeof dir, "%s/mcp-oauth", f->xdg);
    assert_true(store_find(dir, mo_world_resource(f->world), &rec, NULL));
    assert_non_null(rec);
    fn(rec);
    assert_true(store_save(dir, rec, NULL));
    json_decref(rec);
}

static void rec_drop_tokens(json_t *rec)
{
    json_object_set_new(rec, "tokens", json_null());
}

static void rec_expire(json_t *rec)
{
    json_object_set_new(json_object_get(rec, "tokens"), "expires_at",
                        json_integer(1));
}

static void rec_bogus_refresh(json_t *rec)
{
    rec_expire(rec);
    json_object_set_new(json_object_get(rec, "tokens"), "refresh_token",
                        json_string("bogus-refresh-token"));
}

static void between_nothing(struct fixture *f)
{
    (void)f;
}

static void between_drop_tokens(struct fixture *f)
{
    edit_store(f, rec_drop_tokens);
}

/* The second run goes to the second MCP server (edit_two_servers). */
static void between_to_mcp2(struct fixture *f)
{
    f->mcp_id = "mcp2";
}

static void between_expire(struct fixture *f)
{
    edit_store(f, rec_expire);
}

static void between_bogus_refresh(struct fixture *f)
{
    edit_store(f, rec_bogus_refresh);
}

/* --- more edits -------------------------------------------------------------
 */

static void edit_prm_custom(struct fixture *f)
{
    json_object_set_new(mcp_conf(f), "prm", json_string("custom"));
    json_object_set_new(mcp_conf(f), "prm_path", json_string("/meta/prm.json"));
}

static void edit_both_discovery(struct fixture *f)
{
    json_object_set_new(as_conf(f, 0), "discovery",
                        json_pack("[s, s]", "oauth", "oidc"));
}

static void edit_oidc_only(struct fixture *f)
{
    json_object_set_new(as_conf(f, 0), "discovery", json_pack("[s]", "oidc"));
}

static void edit_basic_only(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"patch\":"
                "{\"set\":{\"token_endpoint_auth_methods_supported\":["
                "\"client_secret_basic\"]}}}}");
}

static void edit_no_iss(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"metadata\"},\"do\":{\"patch\":"
                "{\"set\":{\"authorization_response_iss_parameter_"
                "supported\":false}}}}");
    add_rule(f, "{\"match\":{\"endpoint\":\"authorize\"},\"do\":{\"patch\":"
                "{\"location\":{\"iss\":null}}}}");
}

static void edit_no_challenge_scope(struct fixture *f)
{
    json_object_del(json_object_get(mcp_conf(f), "challenge"), "scope");
}

static void edit_no_scope_at_all(struct fixture *f)
{
    edit_no_challenge_scope(f);
    json_object_del(mcp_conf(f), "scopes_supported");
    json_object_set_new(
        json_array_get(json_object_get(mcp_conf(f), "tools"), 0), "scope",
        json_null());
    json_object_del(json_array_get(json_object_get(mcp_conf(f), "tools"), 0),
                    "scope");
}

static void edit_offline_listed(struct fixture *f)
{
    json_object_set_new(as_conf(f, 0), "scopes_supported",
                        json_pack("[s, s]", "mcp:tools", "offline_access"));
}

static void edit_modern(struct fixture *f)
{
    json_object_set_new(mcp_conf(f), "wire", json_string("2026-07-28"));
}

/* A pre-registered confidential client (client_secret_basic) named by
 * the conformance context. */
static void edit_preregistered_basic(struct fixture *f)
{
    json_t *as = as_conf(f, 0);
    json_object_set_new(as, "clients",
                        json_pack("[{s:s, s:s, s:s, s:[s]}]", "client_id",
                                  "pre-1", "client_secret", "pre-secret",
                                  "token_endpoint_auth_method",
                                  "client_secret_basic", "redirect_uris",
                                  "http://127.0.0.1/callback"));
    json_object_set_new(as, "loopback_any_port", json_true());
    snprintf(f->env, sizeof f->env,
             "MCP_CONFORMANCE_CONTEXT={\"client_id\":\"pre-1\","
             "\"client_secret\":\"pre-secret\"}");
}

/* The official auth/client-credentials-basic shape. */
static void edit_cc_basic(struct fixture *f)
{
    json_object_set_new(
        as_conf(f, 0), "clients",
        json_pack("[{s:s, s:s, s:s, s:[s, s], s:[s]}]", "client_id", "cc-1",
                  "client_secret", "cc-secret", "token_endpoint_auth_method",
                  "client_secret_basic", "grant_types", "client_credentials",
                  "authorization_code", "redirect_uris",
                  "http://127.0.0.1/callback"));
    json_object_set_new(as_conf(f, 0), "loopback_any_port", json_true());
    snprintf(f->env, sizeof f->env,
             "MCP_CONFORMANCE_CONTEXT={\"name\":\"auth/client-credentials-"
             "basic\",\"client_id\":\"cc-1\",\"client_secret\":\"cc-secret\"}");
}

/* The official auth/client-credentials-jwt shape, with a fresh key. */
static void edit_cc_jwt(struct fixture *f)
{
    struct ac_err err;
    struct ac_jwk *k = ac_jwk_generate(AC_JWS_ES256, &err);
    char *pem = ac_jwk_to_pem(k, true, &err);
    json_t *pub = ac_jwk_export(k, false, &err);
    json_object_set_new(as_conf(f, 0), "clients",
                        json_pack("[{s:s, s:s, s:{s:[o]}, s:[s]}]", "client_id",
                                  "cc-jwt", "token_endpoint_auth_method",
                                  "private_key_jwt", "jwks", "keys", pub,
                                  "grant_types", "client_credentials"));
    json_t *ctx =
        json_pack("{s:s, s:s, s:s}", "client_id", "cc-jwt", "private_key_pem",
                  pem, "signing_algorithm", "ES256");
    char *text = json_dumps(ctx, JSON_COMPACT);
    snprintf(f->env, sizeof f->env, "MCP_CONFORMANCE_CONTEXT=%s", text);
    free(text);
    json_decref(ctx);
    free(pem);
    ac_jwk_free(k);
}

/* The first refresh of the stored tokens fails with a 500. */
static void edit_refresh_500(struct fixture *f)
{
    add_rule(f, "{\"match\":{\"endpoint\":\"token\",\"form\":{"
                "\"grant_type\":\"refresh_token\"},\"times\":1},"
                "\"do\":{\"respond\":{\"status\":500,\"body\":{\"error\":"
                "\"server_error\"}}}}");
}

/* No PRM anywhere: the 2025-03-26 topology is the fallback. */
static void edit_no_prm(struct fixture *f)
{
    edit_no_rm(f);
    add_rule(f, "{\"match\":{\"endpoint\":\"prm\"},\"do\":{\"respond\":"
                "{\"status\":404,\"body\":{\"error\":\"not_found\"}}}}");
}

/* --- more checks ------------------------------------------------------------
 */

static void check_skip_prm(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "prm", NULL, NULL) > 0, !mut);
}

static void check_skip_as_metadata(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "metadata", NULL, NULL) > 0, !mut);
}

static void check_custom_prm(struct fixture *f, bool mut)
{
    size_t i;
    const json_t *x;
    int n = 0;
    json_array_foreach(f->transcript, i, x)
    {
        const char *p = ac_json_str(x, "path");
        n += p != NULL && strcmp(p, "/meta/prm.json") == 0;
    }
    assert_int_equal(n > 0, !mut);
    assert_int_equal(f->status, mut ? 1 : 0);
}

static void check_oidc_first(struct fixture *f, bool mut)
{
    size_t i;
    const json_t *x;
    const char *first = "";
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        if (ep != NULL &&
            (strcmp(ep, "metadata") == 0 || strcmp(ep, "oidc") == 0)) {
            first = ep;
            break;
        }
    }
    assert_string_equal(first, mut ? "oidc" : "metadata");
}

static void check_metadata_fallback(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "oidc", NULL, NULL) > 0, !mut);
    assert_int_equal(f->status, mut ? 1 : 0);
}

/* The clean client looks for AS metadata at the MCP server's origin. */
static void check_legacy(struct fixture *f, bool mut)
{
    size_t i;
    const json_t *x;
    int n = 0;
    json_array_foreach(f->transcript, i, x)
    {
        const char *s = ac_json_str(x, "server");
        const char *p = ac_json_str(x, "path");
        n += s != NULL && strcmp(s, "mcp") == 0 && p != NULL &&
             strstr(p, "oauth-authorization-server") != NULL;
    }
    assert_int_equal(n > 0, !mut);
}

static void check_skip_registration(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "register", NULL, NULL), mut ? 0 : 1);
}

static void check_application_type(struct fixture *f, bool mut)
{
    assert_int_equal(
        strstr(first_body(f, "register"), "application_type") != NULL, !mut);
}

static void check_loopback_redirect(struct fixture *f, bool mut)
{
    assert_int_equal(
        strstr(first_body(f, "register"), "mcp-oauth.example") != NULL, mut);
}

static void check_refresh_grant(struct fixture *f, bool mut)
{
    assert_int_equal(strstr(first_body(f, "register"), "refresh_token") != NULL,
                     !mut);
}

static void check_public_client(struct fixture *f, bool mut)
{
    assert_int_equal(strstr(first_body(f, "register"),
                            "\"token_endpoint_auth_method\":\"none\"") != NULL,
                     mut);
}

static void check_localhost(struct fixture *f, bool mut)
{
    assert_int_equal(strstr(first_body(f, "register"), "localhost") != NULL,
                     mut);
}

/* Second run with the stored registration and no tokens: the mutant
 * listens on another port than the registered one (the AS refuses it,
 * the stale-client recovery registers again). */
static void check_new_port(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "register", NULL, NULL), mut ? 2 : 1);
}

/* Run 1 at "mcp", run 2 at "mcp2" with the same store: did an mcp2
 * request carry the first access token (issued for "mcp")? */
static void check_token_audience(struct fixture *f, bool mut)
{
    size_t i;
    const json_t *x;
    char buf[512];
    const char *bearer = NULL;
    bool sent = false;

    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        if (bearer == NULL && strcmp(ep, "token") == 0) {
            json_t *doc = json_loads(
                ac_json_str(json_object_get(x, "response"), "body"), 0, NULL);
            const char *at = ac_json_str(doc, "access_token");
            if (at != NULL) {
                snprintf(buf, sizeof buf, "Bearer %s", at);
                bearer = buf;
            }
            json_decref(doc);
        }
        if (bearer == NULL || strcmp(ac_json_str(x, "server"), "mcp2") != 0) {
            continue;
        }
        const char *v = ts_req_header(x, "Authorization");
        sent = sent || (v != NULL && strcmp(v, bearer) == 0);
    }
    assert_int_equal(sent, mut);
    if (!mut) {
        assert_int_equal(f->status, 0);
        assert_int_equal(count(f, NULL, "token", "resource", NULL), 2);
    }
}

static void check_token_store(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "register", NULL, NULL), mut ? 2 : 1);
}

static void check_no_state(struct fixture *f, bool mut)
{
    char v[256];
    param_at(f, "authorize", "state", false, v, sizeof v);
    assert_int_equal(strcmp(v, "-") == 0, mut);
}

static void check_require_iss(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "token", NULL, NULL), mut ? 0 : 1);
    assert_int_equal(f->status, mut ? 1 : 0);
}

static void check_scopes_supported(struct fixture *f, bool mut)
{
    char v[256];
    assert_string_equal(param_at(f, "authorize", "scope", false, v, sizeof v),
                        mut ? "-" : "mcp:tools");
}

static void check_default_scope(struct fixture *f, bool mut)
{
    char v[256];
    assert_string_equal(param_at(f, "authorize", "scope", false, v, sizeof v),
                        mut ? "mcp:default" : "-");
}

static void check_offline(struct fixture *f, bool mut, bool want_clean)
{
    char v[256];
    param_at(f, "authorize", "scope", false, v, sizeof v);
    assert_int_equal(strstr(v, "offline_access") != NULL,
                     mut ? !want_clean : want_clean);
}

static void check_always_offline(struct fixture *f, bool mut)
{
    check_offline(f, mut, false);
}

static void check_never_offline(struct fixture *f, bool mut)
{
    check_offline(f, mut, true);
}

static void check_token_redirect(struct fixture *f, bool mut)
{
    char a[512], t[512];
    param_at(f, "authorize", "redirect_uri", false, a, sizeof a);
    param_at(f, "token", "redirect_uri", false, t, sizeof t);
    assert_int_equal(strcmp(a, t) != 0, mut);
}

static void check_code_twice(struct fixture *f, bool mut)
{
    /* The second redemption revokes the grant (RFC 6749 §4.1.2): the
     * mutant then has to start over, and does it again. */
    int n = count(f, NULL, "token", "grant_type", "authorization_code");
    if (mut) {
        assert_int_cmp(n, >=, 2);
    } else {
        assert_int_equal(n, 1);
    }
}

static void check_secret_in_body(struct fixture *f, bool mut)
{
    char v[256];
    param_at(f, "token", "client_secret", false, v, sizeof v);
    assert_int_equal(strcmp(v, "pre-secret") == 0, mut);
}

static void check_jwt_sub(struct fixture *f, bool mut)
{
    char jwt[4096];
    json_t *claims = NULL, *hdr = NULL;
    param_at(f, "token", "client_assertion", true, jwt, sizeof jwt);
    assert_true(ac_jwt_peek_unverified(jwt, &hdr, &claims, NULL));
    json_decref(hdr);
    assert_string_equal(ac_json_str(claims, "sub"),
                        mut ? "not-cc-jwt" : "cc-jwt");
    json_decref(claims);
}

static void check_no_cc(struct fixture *f, bool mut)
{
    assert_int_equal(
        count(f, NULL, "token", "grant_type", "client_credentials"),
        mut ? 0 : 1);
}

static void check_widen(struct fixture *f, bool mut)
{
    char v[256];
    param_at(f, "token", "scope", true, v, sizeof v);
    assert_int_equal(strstr(v, "mcp:widened") != NULL, mut);
}

/* Two refreshes (one per run): the mutant sends the first refresh token
 * again. */
static void check_old_refresh(struct fixture *f, bool mut)
{
    json_t *rts = refresh_tokens_sent(f);
    assert_int_equal(json_array_size(rts), 2);
    assert_int_equal(json_equal(json_array_get(rts, 0), json_array_get(rts, 1)),
                     mut);
    json_decref(rts);
}

static void check_retry_invalid_grant(struct fixture *f, bool mut)
{
    json_t *rts = refresh_tokens_sent(f);
    assert_int_equal(json_array_size(rts), mut ? 4 : 1);
    json_decref(rts);
}

/* A refresh answered 500: the clean client retries and keeps the grant;
 * the mutant authorizes again. */
static void check_reset(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", NULL, NULL) > 1, mut);
}

static void check_resend(struct fixture *f, bool mut)
{
    assert_int_equal(rejected_bearers(f), mut ? 2 : 1);
}

static void check_revoke(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "revoke", NULL, NULL), mut ? 0 : 2);
}

static void check_accept(struct fixture *f, bool mut)
{
    /* libcurl's default is "Accept: *" "/" "*": the MCP types are gone. */
    size_t i;
    const json_t *x;
    int n = 0;
    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        const char *acc = ts_req_header(x, "Accept");
        n += ep != NULL && strcmp(ep, "mcp") == 0 &&
             strcmp(ac_json_str(x, "method"), "POST") == 0 &&
             (acc == NULL || strstr(acc, "text/event-stream") == NULL);
    }
    assert_int_equal(n > 0, mut);
}

static void check_version_header(struct fixture *f, bool mut)
{
    assert_int_equal(mcp_without(f, "tools/call", "MCP-Protocol-Version") > 0,
                     mut);
}

static void check_method_header(struct fixture *f, bool mut)
{
    assert_int_equal(mcp_without(f, "*", "Mcp-Method") > 0, mut);
}

static void check_session_header(struct fixture *f, bool mut)
{
    assert_int_equal(
        mcp_without(f, "notifications/initialized", "Mcp-Session-Id") > 0, mut);
}

static void check_initialize(struct fixture *f, bool mut)
{
    assert_int_equal(mcp_calls(f, "initialize") > 0, !mut);
}

static void check_initialized_note(struct fixture *f, bool mut)
{
    assert_int_equal(mcp_calls(f, "notifications/initialized") > 0, !mut);
}

/* The PRM lists a first authorization server that drops every
 * connection; the working one ("as") comes second. */
static void edit_first_as_down(struct fixture *f)
{
    json_t *down = json_deep_copy(as_conf(f, 0));

    json_object_set_new(down, "id", json_string("as-down"));
    json_array_insert_new(json_object_get(f->scenario, "authorization_servers"),
                          0, down);
    add_rule(f, "{\"match\":{\"server\":\"as-down\"},\"do\":{\"drop\":true}}");
}

static void check_as_fallback(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, "as", "register", NULL, NULL), mut ? 0 : 1);
    assert_int_equal(f->status, mut ? 1 : 0);
}

/* expires_in below the client's refresh margin; the mock clock jumps
 * after tools/list (the second authorized JSON-RPC request). */
static void edit_short_ttl(struct fixture *f)
{
    json_object_set_new(json_object_get(as_conf(f, 0), "tokens"), "access_ttl",
                        json_integer(10));
    add_rule(f, "{\"on\":{\"event\":\"rs.authorized\",\"nth\":2},"
                "\"do\":{\"advance_clock\":7200}}");
}

static void check_proactive(struct fixture *f, bool mut)
{
    /* Both refresh; only the mutant first sends the expired token. */
    assert_int_cmp(count(f, NULL, "token", "grant_type", "refresh_token"), >,
                   0);
    assert_int_equal(rejected_bearers(f), mut ? 1 : 0);
    assert_int_equal(count(f, NULL, "authorize", NULL, NULL), 1);
    assert_int_equal(f->status, 0);
}

/* --- the table ---------------------------------------------------------- */

/* --- DPoP (RFC 9449) ----------------------------------------------- */

static void edit_dpop(struct fixture *f)
{
    json_object_set_new(as_conf(f, 0), "dpop",
                        json_pack("{s:[s]}", "algs", "ES256"));
    json_object_set_new(
        mcp_conf(f), "dpop",
        json_pack("{s:b, s:[s]}", "required", 1, "algs", "ES256"));
}

static void edit_dpop_nonce(struct fixture *f)
{
    edit_dpop(f);
    json_object_set_new(json_object_get(as_conf(f, 0), "dpop"), "nonce",
                        json_true());
    json_object_set_new(json_object_get(mcp_conf(f), "dpop"), "nonce",
                        json_true());
}

/* Exchanges at `endpoint` whose request header `name` starts with
 * `prefix` (NULL: the header is absent). */
static int dpop_count(struct fixture *f, const char *endpoint, const char *name,
                      const char *prefix)
{
    size_t i;
    const json_t *x;
    int n = 0;

    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        const char *v = ts_req_header(x, name);

        if (ep == NULL || strcmp(ep, endpoint) != 0) {
            continue;
        }
        n += prefix == NULL
                 ? v == NULL
                 : v != NULL && strncmp(v, prefix, strlen(prefix)) == 0;
    }
    return n;
}

/* 401 answers of the MCP server whose body names `what`. */
static int dpop_refusals(struct fixture *f, const char *what)
{
    size_t i;
    const json_t *x;
    int n = 0;

    json_array_foreach(f->transcript, i, x)
    {
        const json_t *resp = json_object_get(x, "response");
        const char *body = ac_json_str(resp, "body");

        n += json_integer_value(json_object_get(resp, "status")) == 401 &&
             body != NULL && strstr(body, what) != NULL;
    }
    return n;
}

static void check_dpop_token_proof(struct fixture *f, bool mut)
{
    assert_int_equal(dpop_count(f, "token", "DPoP", NULL) > 0, mut);
}

static void check_dpop_bearer(struct fixture *f, bool mut)
{
    assert_int_equal(dpop_count(f, "mcp", "Authorization", "DPoP ") > 0, !mut);
    assert_int_equal(f->status != 0, mut);
}

static void check_dpop_reuse(struct fixture *f, bool mut)
{
    assert_int_equal(dpop_refusals(f, "jti already used") > 0, mut);
}

static void check_dpop_ath(struct fixture *f, bool mut)
{
    assert_int_equal(dpop_refusals(f, "proof ath") > 0, mut);
}

static void check_dpop_digest(struct fixture *f, bool mut)
{
    assert_int_equal(dpop_refusals(f, "proof content_digest") > 0, mut);
}

/* Run 2 proves the stored token with a new key: the MCP server refuses. */
static void check_dpop_forget_key(struct fixture *f, bool mut)
{
    assert_int_equal(dpop_refusals(f, "cnf.jkt") > 0, mut);
}

/* Without the nonce retry the client never obtains (or uses) a token. */
static void check_dpop_nonce(struct fixture *f, bool mut)
{
    assert_int_equal(f->status != 0, mut);
}

/* --- workload identity federation, enterprise-managed authorization ---- */

/* Replace the scenario with scenarios/<id>.json (written out in full). */
static void use_scenario(struct fixture *f, const char *id)
{
    char path[1024];
    struct ac_err err;

    snprintf(path, sizeof path, "%s/%s.json",
             env_or("AUTHCHECK_SCENARIOS", "scenarios"), id);
    json_decref(f->scenario);
    f->scenario = ac_json_load_file(path, &err);
    assert_non_null(f->scenario);
}

static void edit_wif(struct fixture *f)
{
    use_scenario(f, "auth/wif-jwt-bearer");
}

static void edit_wif_expiry(struct fixture *f)
{
    use_scenario(f, "wif/assertion-expiry");
}

static void edit_wif_refused(struct fixture *f)
{
    use_scenario(f, "wif/unauthorized-client");
}

static void edit_wif_fallback(struct fixture *f)
{
    use_scenario(f, "wif/no-code-fallback");
}

static void edit_ema(struct fixture *f)
{
    use_scenario(f, "auth/enterprise-managed-authorization");
}

static void edit_ema_foreign(struct fixture *f)
{
    use_scenario(f, "ema/id-jag-audience");
}

static void edit_ema_expired(struct fixture *f)
{
    use_scenario(f, "ema/id-jag-expired");
}

static void edit_ema_refused(struct fixture *f)
{
    use_scenario(f, "ema/idp-invalid-grant");
}

/* Once the world runs: MCP_CONFORMANCE_CONTEXT from the scenario's
 * client.context, each "${name}" member replaced by the world's value
 * (mo_world_ext_vars; wif_assertion_file a file in the fixture's dir). */
static void started_context(struct fixture *f)
{
    const json_t *ctx =
        json_object_get(json_object_get(f->scenario, "client"), "context");
    json_t *out = json_object(), *vars;
    char file[300];
    const char *key;
    const json_t *v;
    char *text;

    snprintf(file, sizeof file, "%s/workload.jwt", f->xdg);
    assert_true(mo_world_set_workload_file(f->world, file, NULL));
    vars = mo_world_ext_vars(f->world);
    assert_non_null(vars);
    json_object_set_new(vars, "wif_assertion_file", json_string(file));
    json_object_foreach((json_t *)ctx, key, v)
    {
        const char *sv = json_string_value(v);
        const json_t *r = NULL;
        if (sv != NULL && strncmp(sv, "${", 2) == 0) {
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)strlen(sv) - 3, sv + 2);
            r = json_object_get(vars, name);
        }
        json_object_set_new(out, key, json_deep_copy(r != NULL ? r : v));
    }
    text = json_dumps(out, JSON_COMPACT);
    snprintf(f->env, sizeof f->env, "MCP_CONFORMANCE_CONTEXT=%s", text);
    assert_true(strlen(f->env) < sizeof f->env - 1);
    free(text);
    json_decref(out);
    json_decref(vars);
}

static int bearer_grants(struct fixture *f)
{
    return count(f, NULL, "token", "grant_type",
                 "urn:ietf:params:oauth:grant-type:jwt-bearer");
}

/* Token answers whose body mentions `what`. */
static int token_answers(struct fixture *f, const char *endpoint,
                         const char *what)
{
    size_t i;
    const json_t *x;
    int n = 0;

    json_array_foreach(f->transcript, i, x)
    {
        const char *ep = ac_json_str(x, "endpoint");
        const char *b = ac_json_str(json_object_get(x, "response"), "body");
        n += ep != NULL && strcmp(ep, endpoint) == 0 && b != NULL &&
             strstr(b, what) != NULL;
    }
    return n;
}

static void check_wif_grant_type(struct fixture *f, bool mut)
{
    assert_int_equal(bearer_grants(f) > 0, !mut);
    assert_int_equal(f->status != 0, mut);
}

static void check_wif_audience(struct fixture *f, bool mut)
{
    assert_int_equal(token_answers(f, "token", "invalid_grant") > 0, mut);
    assert_int_equal(f->status != 0, mut);
}

static void check_wif_cache(struct fixture *f, bool mut)
{
    assert_int_equal(bearer_grants(f), 2);
    assert_int_equal(token_answers(f, "token", "expired") > 0, mut);
}

static void check_wif_retry(struct fixture *f, bool mut)
{
    assert_int_equal(bearer_grants(f), mut ? 3 : 1);
}

static void check_fallback(struct fixture *f, bool mut)
{
    assert_int_equal(count(f, NULL, "authorize", NULL, NULL) > 0, mut);
}

static void check_ema_audience(struct fixture *f, bool mut)
{
    assert_int_equal(token_answers(f, "idp-token", "invalid_target") > 0, mut);
    assert_int_equal(bearer_grants(f), mut ? 0 : 1);
}

static void check_ema_jag_sent(struct fixture *f, bool mut)
{
    assert_int_equal(bearer_grants(f), mut ? 1 : 0);
}

struct mut_case {
    const char *name;
    void (*edit)(struct fixture *f);
    const char *const *args; /* NULL: conformance; "CIMD": the CIMD URL */
    void (*check)(struct fixture *f, bool mutated);
    const char *env; /* "NAME=value" for the run, or NULL */
    /* A second run (restart, same store) after `between`, with `args2`
     * (NULL: as the first). */
    void (*between)(struct fixture *f);
    const char *const *args2;
};

static const char *const conformance[] = {"conformance", NULL};
static const char *const logout[] = {"logout", NULL};
static const char *const with_cimd[] = {"--client-metadata-url", "CIMD",
                                        "conformance", NULL};
#define CALL_ADMIN                                                             \
    "MCP_CONFORMANCE_CONTEXT={\"tool\":\"admin\",\"arguments\":{}}"

static const struct mut_case cases[] = {
    {"no-pkce", edit_none, NULL, check_no_pkce, NULL, NULL, NULL},
    {"pkce-plain", edit_none, NULL, check_pkce_plain, NULL, NULL, NULL},
    {"no-state-check", edit_forged_state, NULL, check_state, NULL, NULL, NULL},
    {"no-iss-check", edit_forged_iss, NULL, check_iss, NULL, NULL, NULL},
    {"iss-normalize", edit_iss_slash, NULL, check_iss_normalized, NULL, NULL,
     NULL},
    {"no-issuer-check", edit_metadata_issuer, NULL,
     check_refused_before_register, NULL, NULL, NULL},
    {"no-s256-check", edit_no_s256, NULL, check_refused_before_register, NULL,
     NULL, NULL},
    {"no-prm-resource-check", edit_prm_resource, NULL, check_prm_resource, NULL,
     NULL, NULL},
    {"no-resource", edit_none, NULL, check_no_resource, NULL, NULL, NULL},
    {"ignore-challenge-scope", edit_two_scopes, NULL, check_challenge_scope,
     NULL, NULL, NULL},
    {"no-scope-union", edit_admin_tool, NULL, check_scope_union, CALL_ADMIN,
     NULL, NULL},
    {"no-retry-limit", edit_endless_stepup, NULL, check_retry_limit, NULL, NULL,
     NULL},
    {"ignore-insufficient-scope", edit_admin_tool, NULL, check_ignore_403,
     CALL_ADMIN, NULL, NULL},
    {"never-refresh", edit_expired_token, NULL, check_refresh, NULL, NULL,
     NULL},
    {"no-proactive-refresh", edit_short_ttl, NULL, check_proactive, NULL, NULL,
     NULL},
    {"ignore-stale-client", edit_forget_clients, NULL, check_stale, NULL, NULL,
     NULL},
    {"reuse-credentials-across-as", edit_migration, NULL, check_migration, NULL,
     NULL, NULL},
    {"dcr-despite-cimd", edit_cimd, with_cimd, check_cimd, NULL, NULL, NULL},
    {"root-prm-first", edit_no_rm, NULL, check_root_first, NULL, NULL, NULL},
    /* transport security */
    {"tls-no-verify", edit_tls_expired, NULL, check_tls_cert, NULL, NULL, NULL},
    {"tls-allow-downgrade", edit_tls_http_token, NULL, check_tls_http_token,
     NULL, NULL, NULL},
    {"tls-insecure", edit_tls_expired, NULL, check_tls_cert, NULL, NULL, NULL},
    {"token-in-query", edit_none, NULL, check_token_in_query, NULL, NULL, NULL},
    /* discovery */
    {"skip-prm", edit_none, NULL, check_skip_prm, NULL, NULL, NULL},
    {"skip-as-metadata", edit_none, NULL, check_skip_as_metadata, NULL, NULL,
     NULL},
    {"ignore-resource-metadata", edit_prm_custom, NULL, check_custom_prm, NULL,
     NULL, NULL},
    {"oidc-first", edit_both_discovery, NULL, check_oidc_first, NULL, NULL,
     NULL},
    {"no-metadata-fallback", edit_oidc_only, NULL, check_metadata_fallback,
     NULL, NULL, NULL},
    {"no-as-fallback", edit_first_as_down, NULL, check_as_fallback, NULL, NULL,
     NULL},
    {"no-legacy-discovery", edit_no_prm, NULL, check_legacy, NULL, NULL, NULL},
    /* registration */
    {"skip-registration", edit_none, NULL, check_skip_registration, NULL, NULL,
     NULL},
    {"no-application-type", edit_none, NULL, check_application_type, NULL, NULL,
     NULL},
    {"non-loopback-redirect", edit_none, NULL, check_loopback_redirect, NULL,
     NULL, NULL},
    {"no-refresh-grant", edit_none, NULL, check_refresh_grant, NULL, NULL,
     NULL},
    {"register-public-client", edit_basic_only, NULL, check_public_client, NULL,
     NULL, NULL},
    {"redirect-localhost", edit_none, NULL, check_localhost, NULL, NULL, NULL},
    {"new-port-old-registration", edit_none, NULL, check_new_port, NULL,
     between_drop_tokens, NULL},
    {"no-token-store", edit_none, NULL, check_token_store, NULL,
     between_nothing, NULL},
    {"ignore-token-audience", edit_two_servers, NULL, check_token_audience,
     NULL, between_to_mcp2, NULL},
    /* authorization */
    {"no-state", edit_none, NULL, check_no_state, NULL, NULL, NULL},
    {"require-iss", edit_no_iss, NULL, check_require_iss, NULL, NULL, NULL},
    {"ignore-scopes-supported", edit_no_challenge_scope, NULL,
     check_scopes_supported, NULL, NULL, NULL},
    {"default-scope", edit_no_scope_at_all, NULL, check_default_scope, NULL,
     NULL, NULL},
    {"always-offline-access", edit_none, NULL, check_always_offline, NULL, NULL,
     NULL},
    {"never-offline-access", edit_offline_listed, NULL, check_never_offline,
     NULL, NULL, NULL},
    /* token endpoint */
    {"token-redirect-uri-mismatch", edit_none, NULL, check_token_redirect, NULL,
     NULL, NULL},
    {"redeem-code-twice", edit_none, NULL, check_code_twice, NULL, NULL, NULL},
    {"secret-in-body-for-basic", edit_preregistered_basic, NULL,
     check_secret_in_body, NULL, NULL, NULL},
    {"jwt-sub-not-client-id", edit_cc_jwt, NULL, check_jwt_sub, NULL, NULL,
     NULL},
    {"no-client-credentials", edit_cc_basic, NULL, check_no_cc, NULL, NULL,
     NULL},
    {"widen-refresh-scope", edit_expired_token, NULL, check_widen, NULL, NULL,
     NULL},
    {"reuse-old-refresh-token", edit_expired_token, NULL, check_old_refresh,
     NULL, between_expire, NULL},
    {"retry-invalid-grant", edit_none, NULL, check_retry_invalid_grant, NULL,
     between_bogus_refresh, NULL},
    {"reset-on-refresh-error", edit_refresh_500, NULL, check_reset, NULL,
     between_expire, NULL},
    {"resend-rejected-token", edit_expired_token, NULL, check_resend, NULL,
     NULL, NULL},
    {"no-revoke-on-logout", edit_none, NULL, check_revoke, NULL, NULL, logout},
    /* MCP wire */
    {"no-accept-header", edit_none, NULL, check_accept, NULL, NULL, NULL},
    {"no-protocol-version-header", edit_none, NULL, check_version_header, NULL,
     NULL, NULL},
    {"no-mcp-method-header", edit_modern, NULL, check_method_header, NULL, NULL,
     NULL},
    {"no-session-id", edit_none, NULL, check_session_header, NULL, NULL, NULL},
    {"skip-initialize", edit_none, NULL, check_initialize, NULL, NULL, NULL},
    {"no-initialized-notification", edit_none, NULL, check_initialized_note,
     NULL, NULL, NULL},
    /* DPoP */
    {"dpop-no-token-proof", edit_dpop, NULL, check_dpop_token_proof, NULL, NULL,
     NULL},
    {"dpop-bearer", edit_dpop, NULL, check_dpop_bearer, NULL, NULL, NULL},
    {"dpop-reuse-proof", edit_dpop, NULL, check_dpop_reuse, NULL, NULL, NULL},
    {"dpop-bad-ath", edit_dpop, NULL, check_dpop_ath, NULL, NULL, NULL},
    {"dpop-no-content-digest", edit_dpop, NULL, check_dpop_digest, NULL, NULL,
     NULL},
    {"dpop-ignore-as-nonce", edit_dpop_nonce, NULL, check_dpop_nonce, NULL,
     NULL, NULL},
    {"dpop-ignore-rs-nonce", edit_dpop_nonce, NULL, check_dpop_nonce, NULL,
     NULL, NULL},
    {"dpop-forget-key", edit_dpop, NULL, check_dpop_forget_key, NULL,
     between_nothing, NULL},
    /* workload identity federation, enterprise-managed authorization */
    {"wif-wrong-grant-type", edit_wif, NULL, check_wif_grant_type, NULL, NULL,
     NULL},
    {"wif-wrong-audience", edit_wif, NULL, check_wif_audience, NULL, NULL,
     NULL},
    {"wif-cache-assertion", edit_wif_expiry, NULL, check_wif_cache, NULL, NULL,
     NULL},
    {"wif-blind-retry", edit_wif_refused, NULL, check_wif_retry, NULL, NULL,
     NULL},
    {"wif-fallback-code", edit_wif_fallback, NULL, check_fallback, NULL, NULL,
     NULL},
    {"ema-exchange-audience-resource", edit_ema, NULL, check_ema_audience, NULL,
     NULL, NULL},
    {"ema-ignore-jag-aud", edit_ema_foreign, NULL, check_ema_jag_sent, NULL,
     NULL, NULL},
    {"ema-ignore-jag-exp", edit_ema_expired, NULL, check_ema_jag_sent, NULL,
     NULL, NULL},
    {"ema-fallback-code", edit_ema_refused, NULL, check_fallback, NULL, NULL,
     NULL},
};

#define NCASES (sizeof cases / sizeof cases[0])

/* Run one case twice (clean, mutated), each with fresh mocks and store. */
static void run_case(const struct mut_case *mc)
{
    for (int mut = 0; mut <= 1; mut++) {
        struct fixture f;
        struct ac_err err;
        char path[1024];
        const char *argv[16];
        size_t n = 0;
        memset(&f, 0, sizeof f);
        snprintf(path, sizeof path, "%s/core/dcr-happy-path.json",
                 env_or("AUTHCHECK_SCENARIOS", "scenarios"));
        f.scenario = ac_json_load_file(path, &err);
        assert_non_null(f.scenario);
        snprintf(f.xdg, sizeof f.xdg, "%s/mut-XXXXXX",
                 env_or("AUTHCHECK_TMP", "/tmp"));
        assert_non_null(mkdtemp(f.xdg));
        mc->edit(&f);
        if (!mo_world_start(f.scenario, &f.world, &err)) {
            fail_msg("%s: mo_world_start: %s", mc->name, err.msg);
        }
        /* The federation cases' context holds what the world minted. */
        if (strncmp(mc->name, "wif-", 4) == 0 ||
            strncmp(mc->name, "ema-", 4) == 0) {
            started_context(&f);
        }
        for (const char *const *a = mc->args != NULL ? mc->args : conformance;
             *a != NULL && n < 12; a++) {
            argv[n++] = strcmp(*a, "CIMD") == 0
                            ? mo_world_client_metadata_url(f.world, 0)
                            : *a;
        }
        argv[n] = NULL;
        print_message("%s (%s)\n", mc->name, mut ? "mutated" : "clean");
        const char *env = f.env[0] != '\0' ? f.env : mc->env;
        run_bin(&f, mut ? mc->name : NULL, argv, env);
        if (mc->between != NULL || mc->args2 != NULL) {
            if (mc->between != NULL) {
                mc->between(&f);
            }
            run_bin(&f, mut ? mc->name : NULL,
                    mc->args2 != NULL ? mc->args2 : argv, env);
        }
        if (getenv("MCPO_MUT_VERBOSE") != NULL) {
            print_message("%s\n", f.out);
        }
        mc->check(&f, mut == 1);
        mo_world_stop(f.world);
        json_decref(f.scenario);
        json_decref(f.transcript);
    }
}

/* One CMocka test per case (its initial state), named after the
 * mutation, so a failure says which behaviour broke. MCPO_MUT_ONLY=name
 * skips the others. */
static void test_mutation(void **state)
{
    const struct mut_case *mc = *state;
    const char *only = getenv("MCPO_MUT_ONLY");

    if (only != NULL && *only != '\0' && strcmp(only, mc->name) != 0) {
        skip();
    }
    run_case(mc);
}

static bool has_case(const char *name)
{
    for (size_t i = 0; i < NCASES; i++) {
        if (strcmp(cases[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* Every mutation the client lists in `--help` has a case above, and every
 * case names one of them: a new mutation cannot go untested. */
static void test_cases_cover_mutations(void **state)
{
    char cmd[1024], line[512], name[64];
    bool listing = false;
    size_t seen = 0;
    (void)state;
    snprintf(cmd, sizeof cmd, "%s --help",
             env_or("AUTHCHECK_MUT_CLIENT", "build/tests/mcp-oauth-mut"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof line, p) != NULL) {
        if (strncmp(line, "mutations", 9) == 0) {
            listing = true;
        } else if (listing && sscanf(line, "  %63s", name) == 1) {
            if (!has_case(name)) {
                fail_msg("mutation \"%s\" has no case", name);
            }
            seen++;
        }
    }
    assert_int_equal(pclose(p), 0);
    assert_int_equal(seen, NCASES);
}

int main(void)
{
    struct CMUnitTest tests[NCASES + 1];

    tests[0] = (struct CMUnitTest)cmocka_unit_test(test_cases_cover_mutations);
    for (size_t i = 0; i < NCASES; i++) {
        tests[i + 1] = (struct CMUnitTest){
            .name = cases[i].name,
            .test_func = test_mutation,
            .initial_state = (void *)&cases[i],
        };
    }
    return cmocka_run_group_tests_name("client_mutations", tests, NULL, NULL);
}
