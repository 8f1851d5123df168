/* `mcp-oauth conformance URL`: the reference client as a client under test
 * (DESIGN.md, "The client-under-test contract"). The scenario's context
 * may pre-register a client and name the tool and its arguments; the tool
 * defaults to "echo" when listed, else the first tool. Without $BROWSER the
 * client is its own headless user agent. The client metadata URL defaults
 * to the official suite's fixed one, and credentials persist only in a
 * store the environment made private to the run (see conformance_store
 * and docs/CLIENT.md). */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "client/cli/cli_int.h"
#include "client/lib/mutations_int.h"

#define DEFAULT_ARGUMENTS "{\"text\":\"authcheck\"}"

/* The official MCP conformance suite's CIMD client_id: its contract
 * passes no URL in the context, its authorization servers resolve this
 * one to a document they serve (auth/basic-cimd). */
#define OFFICIAL_CIMD_URL "https://conformance-test.local/client-metadata.json"

/* The parsed MCP_CONFORMANCE_CONTEXT (NULL members when absent). */
struct context {
    json_t *doc;
    const char *client_id;
    const char *client_secret;
    const char *client_metadata_url;
    const char *private_key_pem;   /* private_key_jwt key */
    const char *signing_algorithm; /* its algorithm, or NULL */
    bool client_credentials;       /* the scenario wants RFC 6749 §4.4 */
    bool logout;                   /* end with mcpo_logout (revoke, forget) */
    const char *tool;
    char *arguments; /* JSON text, new */
    /* workload identity federation (official auth/wif-jwt-bearer keys,
     * plus assertion_file: a token file the harness keeps fresh) */
    const char *valid_jwt;
    const char *wrong_audience_jwt;
    const char *assertion_file;
    /* enterprise-managed authorization (official keys; idp_client_secret
     * is ours: the official IdP client is public) */
    const char *idp_id_token;
    const char *idp_client_id;
    const char *idp_client_secret;
    const char *idp_token_endpoint;
};

static const char *ctx_str(const struct context *ctx, const char *key)
{
    return json_string_value(json_object_get(ctx->doc, key));
}

static bool load_context(struct context *ctx)
{
    const char *text = getenv("MCP_CONFORMANCE_CONTEXT");
    json_error_t je;
    memset(ctx, 0, sizeof *ctx);
    if (text == NULL || *text == '\0') {
        return true;
    }
    ctx->doc = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(ctx->doc)) {
        fprintf(stderr,
                "mcp-oauth: MCP_CONFORMANCE_CONTEXT is not a JSON "
                "object: %s\n",
                ctx->doc == NULL ? je.text : "wrong type");
        return false;
    }
    ctx->client_id = json_string_value(json_object_get(ctx->doc, "client_id"));
    ctx->client_secret =
        json_string_value(json_object_get(ctx->doc, "client_secret"));
    ctx->client_metadata_url =
        json_string_value(json_object_get(ctx->doc, "client_metadata_url"));
    ctx->private_key_pem =
        json_string_value(json_object_get(ctx->doc, "private_key_pem"));
    ctx->signing_algorithm =
        json_string_value(json_object_get(ctx->doc, "signing_algorithm"));
    /* The official suite's client credentials scenarios carry client_id
     * with client_secret or private_key_pem (+ signing_algorithm), and a
     * scenario name saying so (auth/client-credentials-jwt, -basic). */
    const char *name = json_string_value(json_object_get(ctx->doc, "name"));
    const char *scen = getenv("MCP_CONFORMANCE_SCENARIO");
    ctx->client_credentials =
        json_object_get(ctx->doc, "client_credentials") != NULL ||
        ctx->private_key_pem != NULL ||
        (name != NULL && strstr(name, "client-credentials") != NULL) ||
        (scen != NULL && strstr(scen, "client-credentials") != NULL);
    ctx->valid_jwt = ctx_str(ctx, "valid_jwt");
    ctx->wrong_audience_jwt = ctx_str(ctx, "wrong_audience_jwt");
    ctx->assertion_file = ctx_str(ctx, "assertion_file");
    ctx->idp_id_token = ctx_str(ctx, "idp_id_token");
    ctx->idp_client_id = ctx_str(ctx, "idp_client_id");
    ctx->idp_client_secret = ctx_str(ctx, "idp_client_secret");
    ctx->idp_token_endpoint = ctx_str(ctx, "idp_token_endpoint");
    ctx->tool = json_string_value(json_object_get(ctx->doc, "tool"));
    ctx->logout = json_is_true(json_object_get(ctx->doc, "logout"));
    const json_t *args = json_object_get(ctx->doc, "arguments");
    if (json_is_object(args)) {
        ctx->arguments = json_dumps(args, JSON_COMPACT);
    }
    return true;
}

static void free_context(struct context *ctx)
{
    json_decref(ctx->doc);
    free(ctx->arguments);
}

/* The tool to call: named by the context, else echo if listed, else the
 * first. A new string, or NULL when the server lists no tools. */
static char *pick_tool(const char *list_json, const char *wanted)
{
    json_t *r = json_loads(list_json, 0, NULL);
    const json_t *tools = json_object_get(r, "tools");
    const char *first =
        json_string_value(json_object_get(json_array_get(tools, 0), "name"));
    char *pick = NULL;
    size_t i;
    const json_t *t;
    if (wanted != NULL) {
        pick = strdup(wanted);
        goto out;
    }
    json_array_foreach(tools, i, t)
    {
        const char *n = json_string_value(json_object_get(t, "name"));
        if (n != NULL && strcmp(n, "echo") == 0) {
            pick = strdup(n);
            goto out;
        }
    }
    pick = first != NULL ? strdup(first) : NULL;
out:
    json_decref(r);
    return pick;
}

/* Do `a` and `b` name the same directory? By realpath where both exist,
 * else by their text. */
static bool same_dir(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];

    if (realpath(a, ra) != NULL && realpath(b, rb) != NULL) {
        return strcmp(ra, rb) == 0;
    }
    return strcmp(a, b) == 0;
}

/* Would the default token store be the account's own, the one `mcp-oauth
 * login` uses ($XDG_STATE_HOME, else ~/.local/state, of the passwd
 * entry's home)? A harness that follows the client-under-test contract
 * points HOME or XDG_STATE_HOME at a directory private to the scenario;
 * a runner that does not (the official suite inherits the user's HOME
 * and reuses ports from run to run) would otherwise hand this run the
 * tokens of an earlier one, issued by a mock that no longer knows
 * them. */
static bool store_is_the_users(void)
{
    const struct passwd *pw = getpwuid(getuid());
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    char user_state[PATH_MAX];

    if (pw == NULL || pw->pw_dir == NULL) {
        return true; /* cannot tell: stay out of any shared store */
    }
    snprintf(user_state, sizeof user_state, "%s/.local/state", pw->pw_dir);
    if (xdg != NULL && xdg[0] == '/') {
        return same_dir(xdg, user_state);
    }
    return home == NULL || *home == '\0' || same_dir(home, pw->pw_dir);
}

/* The store of a conformance run: --store, else the default store when
 * the environment made it private to the run (the harness's restart
 * scenarios run the command several times under one per-scenario HOME
 * and expect persistence), else memory only (""). */
static const char *conformance_store(const struct cli_opts *o)
{
    if (o->store != NULL) {
        return o->store;
    }
    return store_is_the_users() ? "" : NULL;
}

/* Workload identity federation: the token file, else valid_jwt (never
 * wrong_audience_jwt or expired_jwt: the official contract hands those
 * over to see that a client does not use them). Enterprise-managed
 * authorization: the IdP's token endpoint, client and ID token. */
static bool configure_federation(struct mcpo_client *c,
                                 const struct context *ctx,
                                 struct mcpo_err *err)
{
    const char *jwt = ctx->valid_jwt;

#ifdef MCPOAUTH_MUTATIONS
    if (mut_active("wif-wrong-audience") && ctx->wrong_audience_jwt != NULL) {
        jwt = ctx->wrong_audience_jwt;
    }
#endif
    if (ctx->assertion_file != NULL) {
        if (!mcpo_client_set_workload_token_file(c, ctx->assertion_file, err)) {
            return false;
        }
    } else if (jwt != NULL && !mcpo_client_set_workload_token(c, jwt, err)) {
        return false;
    }
    if (ctx->idp_token_endpoint == NULL) {
        return true;
    }
    return mcpo_client_set_enterprise_idp(
               c, ctx->idp_token_endpoint,
               ctx->idp_client_id != NULL ? ctx->idp_client_id : "",
               ctx->idp_client_secret, err) &&
           mcpo_client_set_id_token(c, ctx->idp_id_token, err);
}

static bool configure(struct mcpo_client *c, const struct context *ctx,
                      const struct cli_opts *o, struct mcpo_err *err)
{
    const char *browser = getenv("BROWSER");
    const char *store = conformance_store(o);
    if (!cli_configure(c, o, err)) {
        return false;
    }
    if (store != NULL && !mcpo_client_set_store_dir(c, store, err)) {
        return false;
    }
    /* The context's URL, else --client-metadata-url, else the official
     * suite's fixed one. */
    if (ctx->client_metadata_url == NULL && o->client_metadata_url == NULL &&
        !mcpo_client_set_client_metadata_url(c, OFFICIAL_CIMD_URL, err)) {
        return false;
    }
    if (ctx->client_id != NULL &&
        !mcpo_client_set_client_credentials(c, ctx->client_id,
                                            ctx->client_secret, err)) {
        return false;
    }
    if (ctx->client_metadata_url != NULL &&
        !mcpo_client_set_client_metadata_url(c, ctx->client_metadata_url,
                                             err)) {
        return false;
    }
    if (ctx->private_key_pem != NULL &&
        !mcpo_client_set_private_key(c, ctx->private_key_pem,
                                     ctx->signing_algorithm, err)) {
        return false;
    }
    if (ctx->client_credentials) {
        if (ctx->client_id == NULL ||
            (ctx->client_secret == NULL && ctx->private_key_pem == NULL)) {
            memset(err, 0, sizeof *err);
            err->code = MCPO_ERR_USAGE;
            snprintf(err->msg, sizeof err->msg,
                     "client credentials need client_id and client_secret "
                     "or private_key_pem");
            return false;
        }
        mcpo_client_set_client_credentials_grant(c, true);
    }
    if (!configure_federation(c, ctx, err)) {
        return false;
    }
    /* A harness scripting outages passes tiny backoffs, so that a retry
     * costs no wall-clock time (authcheck sets both; absent: the library's
     * defaults, 250 ms doubling, at most 10 s). */
    mcpo_client_set_retry_backoff(
        c,
        (long)json_integer_value(json_object_get(ctx->doc, "retry_backoff_ms")),
        (long)json_integer_value(
            json_object_get(ctx->doc, "retry_max_wait_ms")));
    /* DPoP whenever the AS advertises it (client/lib/dpop.c), or when the
     * context says "dpop": true. */
    if (json_is_true(json_object_get(ctx->doc, "dpop"))) {
        mcpo_client_set_dpop(c, true);
    }
    if (o->headless || browser == NULL || *browser == '\0') {
        mcpo_client_set_browser(c, MCPO_BROWSER_HEADLESS);
    } else {
        /* The harness's user agent exits once it delivered the redirect. */
        mcpo_client_set_browser_blocking(c, true);
    }
    return true;
}

static int run(struct mcpo_client *c, const struct context *ctx)
{
    struct mcpo_err err;
    char *list = NULL, *tool = NULL, *result = NULL;
    int rc = EXIT_FAIL;

    if (!mcpo_connect(c, &err) || !mcpo_list_tools(c, &list, &err)) {
        cli_fail(&err);
        goto out;
    }
    tool = pick_tool(list, ctx->tool);
    if (tool == NULL) {
        fputs("mcp-oauth: the MCP server lists no tools to call\n", stderr);
        goto out;
    }
    if (!mcpo_call_tool(c, tool,
                        ctx->arguments != NULL ? ctx->arguments
                                               : DEFAULT_ARGUMENTS,
                        &result, &err)) {
        cli_fail(&err);
        goto out;
    }
    json_t *r = json_loads(result, 0, NULL);
    bool is_error = json_is_true(json_object_get(r, "isError"));
    json_decref(r);
    printf("%s: %s\n", tool, result);
    if (is_error) {
        fprintf(stderr, "mcp-oauth: tool \"%s\" returned isError\n", tool);
        goto out;
    }
    /* A scenario about logout: revoke (RFC 7009) and forget at the end. */
    if (ctx->logout && !mcpo_logout(c, &err)) {
        cli_fail(&err);
        goto out;
    }
    rc = EXIT_OK;
out:
    mcpo_free(list);
    mcpo_free(result);
    free(tool);
    return rc;
}

int cli_conformance(const char *url, const struct cli_opts *o)
{
    struct context ctx;
    struct mcpo_client *c = NULL;
    struct mcpo_err err;
    int rc = EXIT_USAGE;

    if (!load_context(&ctx)) {
        goto out;
    }
    if (!mcpo_client_new(url, &c, &err) || !configure(c, &ctx, o, &err)) {
        cli_fail(&err);
        goto out;
    }
    rc = run(c, &ctx);
out:
    mcpo_client_free(c);
    free_context(&ctx);
    return rc;
}
