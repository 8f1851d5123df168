/* mcp-oauth: the command line of libmcpoauth. Parses options, runs one
 * command (tools, call, conformance) and maps the outcome to an exit
 * status: 0 success, 1 failure or refusal, 2 usage error. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "client/cli/cli_int.h"
#include "client/lib/mutations_int.h"
#include "common/crypto.h"

static void short_usage(void)
{
    fputs("usage: mcp-oauth [options] login URL | tools URL | call URL TOOL "
          "[JSON] |\n       token URL | logout URL | status | conformance "
          "URL\n(mcp-oauth --help for more)\n",
          stderr);
}

static void usage(FILE *out)
{
    fputs(
        "usage: mcp-oauth [options] login URL\n"
        "       mcp-oauth [options] tools URL\n"
        "       mcp-oauth [options] call URL TOOL [JSON-ARGUMENTS]\n"
        "       mcp-oauth [options] token URL\n"
        "       mcp-oauth [options] logout URL\n"
        "       mcp-oauth [options] status\n"
        "       mcp-oauth [options] conformance URL\n"
        "\n"
        "An MCP client with OAuth 2.1 authorization (MCP 2026-07-28 auth and\n"
        "stateless Streamable HTTP, falling back to the 2025-11-25\n"
        "initialize/session wire). On a 401 it discovers the protected\n"
        "resource and authorization server metadata, registers (RFC 7591)\n"
        "unless --client-id is given, authorizes with PKCE S256, state,\n"
        "resource and RFC 9207 iss checks through a loopback callback on\n"
        "127.0.0.1, then makes the MCP calls with the bearer token.\n"
        "Registrations, metadata and tokens are kept in a token store\n"
        "($XDG_STATE_HOME/mcp-oauth or ~/.local/state/mcp-oauth, 0700,\n"
        "files 0600) and refreshed when they expire.\n"
        "\n"
        "commands:\n"
        "  login URL            authorize (if needed) and store the tokens\n"
        "  token URL            print a valid access token (refreshing or\n"
        "                       logging in when needed)\n"
        "  logout URL           revoke the tokens (RFC 7009) and delete the\n"
        "                       stored state of that server\n"
        "  status               list stored servers, expiry and scopes\n"
        "  tools URL            list the server's tools (name and "
        "description)\n"
        "  call URL TOOL [JSON] call TOOL with a JSON object of arguments\n"
        "                       (default {}); prints the result as JSON;\n"
        "                       exit 1 when the result has isError\n"
        "  conformance URL      client-under-test mode for the authcheck\n"
        "                       harness: reads MCP_CONFORMANCE_CONTEXT\n"
        "                       (client_id, client_secret,\n"
        "                       client_metadata_url, private_key_pem,\n"
        "                       signing_algorithm, client_credentials,\n"
        "                       valid_jwt or assertion_file (workload\n"
        "                       identity), idp_id_token, idp_client_id,\n"
        "                       idp_token_endpoint (enterprise IdP),\n"
        "                       name, tool, arguments, logout) and\n"
        "                       MCP_CONFORMANCE_SCENARIO (a name with\n"
        "                       \"client-credentials\" selects that grant),\n"
        "                       lists the tools and calls one; without\n"
        "                       $BROWSER it fetches the authorization URL\n"
        "                       itself\n"
        "\n"
        "options:\n"
        "  --no-browser         print the authorization URL instead of\n"
        "                       opening a browser; then paste the URL the\n"
        "                       browser was sent to on stdin (or let the\n"
        "                       redirect reach the local callback)\n"
        "  --headless           fetch the authorization URL ourselves and\n"
        "                       deliver its redirect (for test servers that\n"
        "                       approve at once)\n"
        "  --callback-port N    loopback callback port (default: any free)\n"
        "  --timeout S          seconds to wait for the callback (default "
        "300)\n"
        "  --scope SCOPE        request this scope instead of the challenge /\n"
        "                       scopes_supported selection\n"
        "  --client-id ID       use a pre-registered client (its secret, if\n"
        "                       any, from $MCP_OAUTH_CLIENT_SECRET)\n"
        "  --client-secret S    its secret (prefer $MCP_OAUTH_CLIENT_SECRET:\n"
        "                       the command line is visible to others)\n"
        "  --client-metadata-url URL  Client ID Metadata Document (https)\n"
        "                       used as client_id when the AS supports it\n"
        "  --private-key FILE   PEM private key (RSA or P-256): authenticate\n"
        "                       with private_key_jwt (RFC 7523) when there\n"
        "                       is no secret or the AS offers it\n"
        "  --dpop               DPoP-bound tokens (RFC 9449, ES256 key kept "
        "in\n"
        "                       the store) even when the AS does not list\n"
        "                       dpop_signing_alg_values_supported\n"
        "  --assertion-file PATH  workload identity federation: present\n"
        "                       the workload JWT in PATH (read again for\n"
        "                       every grant) with the JWT bearer grant\n"
        "                       (RFC 7523) instead of authorizing a user\n"
        "  --assertion-env VAR  the same, the JWT in environment variable VAR\n"
        "  --idp-token-endpoint URL  enterprise-managed authorization:\n"
        "                       exchange the ID token there for an ID-JAG\n"
        "                       (RFC 8693), then use the JWT bearer grant\n"
        "  --id-token-file PATH the user's ID token for the exchange\n"
        "  --idp-client-id ID   the client at the IdP (its secret, if any,\n"
        "                       from $MCP_OAUTH_IDP_CLIENT_SECRET or\n"
        "  --idp-client-secret S)\n"
        "  --client-name NAME   client_name for dynamic registration\n"
        "  --store DIR          token store directory (\"\" : memory only)\n"
        "  --json               tools: print the raw tools/list result\n"
        "  -v, --verbose        HTTP trace on stderr (secrets redacted)\n"
        "  -h, --help           this text\n"
        "\n"
        "environment: BROWSER (':'-separated commands; %s is replaced by the\n"
        "URL, else the URL is appended), MCP_OAUTH_CLIENT_SECRET,\n"
        "MCP_OAUTH_IDP_CLIENT_SECRET,\n"
        "XDG_STATE_HOME and HOME (token store), MCP_CONFORMANCE_CONTEXT and\n"
        "MCP_CONFORMANCE_SCENARIO (conformance).\n"
        "exit status: 0 success, 1 failure or refusal (reason on stderr),\n"
        "2 usage error, 127 a library it needed could not be loaded (named\n"
        "on stderr).\n",
        out);
#ifdef MCPOAUTH_MUTATIONS
    fputs("\nmutations (test build; MCP_OAUTH_MUTATION=name[,name]):\n", out);
    mut_list(out);
#endif
}

void cli_fail(const struct mcpo_err *err)
{
    fprintf(stderr, "mcp-oauth: %s\n", err->msg);
}

bool cli_configure(struct mcpo_client *c, const struct cli_opts *o,
                   struct mcpo_err *err)
{
    const char *secret = o->client_secret != NULL
                             ? o->client_secret
                             : getenv("MCP_OAUTH_CLIENT_SECRET");
    mcpo_client_set_trace(c, o->verbose);
    if (o->callback_port > 0) {
        mcpo_client_set_callback_port(c, o->callback_port);
    }
    if (o->timeout_s > 0) {
        mcpo_client_set_callback_timeout(c, o->timeout_s);
    }
    if (o->headless) {
        mcpo_client_set_browser(c, MCPO_BROWSER_HEADLESS);
    } else if (o->no_browser) {
        mcpo_client_set_browser(c, MCPO_BROWSER_PRINT);
    }
    mcpo_client_set_dpop(c, o->dpop);
    return cli_configure_federation(c, o, err) &&
           (o->scope == NULL || mcpo_client_set_scope(c, o->scope, err)) &&
           (o->client_name == NULL ||
            mcpo_client_set_client_name(c, o->client_name, err)) &&
           (o->client_id == NULL ||
            mcpo_client_set_client_credentials(c, o->client_id, secret, err)) &&
           (o->private_key == NULL ||
            mcpo_client_set_private_key_file(c, o->private_key, NULL, err)) &&
           (o->client_metadata_url == NULL ||
            mcpo_client_set_client_metadata_url(c, o->client_metadata_url,
                                                err)) &&
           (o->store == NULL || mcpo_client_set_store_dir(c, o->store, err));
}

bool cli_configure_federation(struct mcpo_client *c, const struct cli_opts *o,
                              struct mcpo_err *err)
{
    const char *idp_secret = o->idp_client_secret != NULL
                                 ? o->idp_client_secret
                                 : getenv("MCP_OAUTH_IDP_CLIENT_SECRET");

    if (o->idp_token_endpoint != NULL &&
        (o->idp_client_id == NULL || o->id_token_file == NULL)) {
        memset(err, 0, sizeof *err);
        err->code = MCPO_ERR_USAGE;
        snprintf(err->msg, sizeof err->msg,
                 "--idp-token-endpoint needs --idp-client-id and "
                 "--id-token-file");
        return false;
    }
    return (o->assertion_env == NULL ||
            mcpo_client_set_workload_token_env(c, o->assertion_env, err)) &&
           (o->assertion_file == NULL ||
            mcpo_client_set_workload_token_file(c, o->assertion_file, err)) &&
           (o->idp_token_endpoint == NULL ||
            (mcpo_client_set_enterprise_idp(
                 c, o->idp_token_endpoint, o->idp_client_id, idp_secret, err) &&
             mcpo_client_set_id_token_file(c, o->id_token_file, err)));
}

/* Print tools/list as "name  description" lines. */
static void print_tools(const char *result_json, bool raw)
{
    json_t *r = json_loads(result_json, 0, NULL);
    size_t i;
    json_t *t;
    if (raw || r == NULL) {
        puts(result_json);
        json_decref(r);
        return;
    }
    json_array_foreach(json_object_get(r, "tools"), i, t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        const char *desc = json_string_value(json_object_get(t, "description"));
        printf("%-24s %s\n", name != NULL ? name : "?",
               desc != NULL ? desc : "");
    }
    json_decref(r);
}

/* Print a tools/call result; exit 1 when it reports isError. */
static int print_call(const char *result_json)
{
    json_t *r = json_loads(result_json, 0, NULL);
    char *pretty = r != NULL ? json_dumps(r, JSON_INDENT(2)) : NULL;
    int rc = json_is_true(json_object_get(r, "isError")) ? EXIT_FAIL : EXIT_OK;
    puts(pretty != NULL ? pretty : result_json);
    if (rc != EXIT_OK) {
        fputs("mcp-oauth: the tool reported an error (isError)\n", stderr);
    }
    free(pretty);
    json_decref(r);
    return rc;
}

static int run_tools_or_call(const char *cmd, char **args, int nargs,
                             const struct cli_opts *o)
{
    struct mcpo_client *c = NULL;
    struct mcpo_err err;
    char *out = NULL;
    bool is_call = strcmp(cmd, "call") == 0;
    int rc = EXIT_FAIL;

    if ((!is_call && nargs != 1) || (is_call && (nargs < 2 || nargs > 3))) {
        short_usage();
        return EXIT_USAGE;
    }
    if (!mcpo_client_new(args[0], &c, &err) || !cli_configure(c, o, &err)) {
        cli_fail(&err);
        rc = EXIT_USAGE;
        goto out;
    }
    if (is_call ? !mcpo_call_tool(c, args[1], nargs == 3 ? args[2] : NULL, &out,
                                  &err)
                : !mcpo_list_tools(c, &out, &err)) {
        cli_fail(&err);
        rc = err.code == MCPO_ERR_USAGE ? EXIT_USAGE : EXIT_FAIL;
        goto out;
    }
    if (is_call) {
        rc = print_call(out);
    } else {
        print_tools(out, o->json);
        rc = EXIT_OK;
    }
out:
    mcpo_free(out);
    mcpo_client_free(c);
    return rc;
}

enum {
    OPT_NO_BROWSER = 256,
    OPT_HEADLESS,
    OPT_PORT,
    OPT_TIMEOUT,
    OPT_SCOPE,
    OPT_CLIENT_ID,
    OPT_CLIENT_NAME,
    OPT_CLIENT_SECRET,
    OPT_CLIENT_METADATA_URL,
    OPT_PRIVATE_KEY,
    OPT_STORE,
    OPT_JSON,
    OPT_DPOP,
    OPT_ASSERTION_FILE,
    OPT_ASSERTION_ENV,
    OPT_ID_TOKEN_FILE,
    OPT_IDP_TOKEN_ENDPOINT,
    OPT_IDP_CLIENT_ID,
    OPT_IDP_CLIENT_SECRET
};

static bool parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "mcp-oauth: bad number \"%s\"\n", s);
        return false;
    }
    *out = (int)v;
    return true;
}

/* Parse options; returns -1 to continue, else an exit status. */
static int parse_opts(int argc, char **argv, struct cli_opts *o)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"verbose", no_argument, NULL, 'v'},
        {"no-browser", no_argument, NULL, OPT_NO_BROWSER},
        {"headless", no_argument, NULL, OPT_HEADLESS},
        {"callback-port", required_argument, NULL, OPT_PORT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"scope", required_argument, NULL, OPT_SCOPE},
        {"client-id", required_argument, NULL, OPT_CLIENT_ID},
        {"client-name", required_argument, NULL, OPT_CLIENT_NAME},
        {"client-secret", required_argument, NULL, OPT_CLIENT_SECRET},
        {"client-metadata-url", required_argument, NULL,
         OPT_CLIENT_METADATA_URL},
        {"private-key", required_argument, NULL, OPT_PRIVATE_KEY},
        {"store", required_argument, NULL, OPT_STORE},
        {"json", no_argument, NULL, OPT_JSON},
        {"dpop", no_argument, NULL, OPT_DPOP},
        {"assertion-file", required_argument, NULL, OPT_ASSERTION_FILE},
        {"assertion-env", required_argument, NULL, OPT_ASSERTION_ENV},
        {"id-token-file", required_argument, NULL, OPT_ID_TOKEN_FILE},
        {"idp-token-endpoint", required_argument, NULL, OPT_IDP_TOKEN_ENDPOINT},
        {"idp-client-id", required_argument, NULL, OPT_IDP_CLIENT_ID},
        {"idp-client-secret", required_argument, NULL, OPT_IDP_CLIENT_SECRET},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'v':
            o->verbose = true;
            break;
        case OPT_NO_BROWSER:
            o->no_browser = true;
            break;
        case OPT_HEADLESS:
            o->headless = true;
            break;
        case OPT_PORT:
            if (!parse_int(optarg, 1, 65535, &o->callback_port)) {
                return EXIT_USAGE;
            }
            break;
        case OPT_TIMEOUT:
            if (!parse_int(optarg, 1, 86400, &o->timeout_s)) {
                return EXIT_USAGE;
            }
            break;
        case OPT_SCOPE:
            o->scope = optarg;
            break;
        case OPT_CLIENT_ID:
            o->client_id = optarg;
            break;
        case OPT_CLIENT_NAME:
            o->client_name = optarg;
            break;
        case OPT_CLIENT_SECRET:
            o->client_secret = optarg;
            break;
        case OPT_CLIENT_METADATA_URL:
            o->client_metadata_url = optarg;
            break;
        case OPT_PRIVATE_KEY:
            o->private_key = optarg;
            break;
        case OPT_STORE:
            o->store = optarg;
            break;
        case OPT_DPOP:
            o->dpop = true;
            break;
        case OPT_ASSERTION_FILE:
            o->assertion_file = optarg;
            break;
        case OPT_ASSERTION_ENV:
            o->assertion_env = optarg;
            break;
        case OPT_ID_TOKEN_FILE:
            o->id_token_file = optarg;
            break;
        case OPT_IDP_TOKEN_ENDPOINT:
            o->idp_token_endpoint = optarg;
            break;
        case OPT_IDP_CLIENT_ID:
            o->idp_client_id = optarg;
            break;
        case OPT_IDP_CLIENT_SECRET:
            o->idp_client_secret = optarg;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        default:
            short_usage();
            return EXIT_USAGE;
        }
    }
    return -1;
}

int main(int argc, char **argv)
{
    struct cli_opts o = {0};
    struct mcpo_err err;
    int rc = parse_opts(argc, argv, &o);

    if (rc >= 0) {
        return rc;
    }
    if (optind >= argc) {
        short_usage();
        return EXIT_USAGE;
    }
#ifdef MCPOAUTH_MUTATIONS
    struct ac_err merr;
    if (!mut_check_env(&merr)) {
        fprintf(stderr, "mcp-oauth: %s\n", merr.msg);
        return EXIT_USAGE;
    }
#endif
    const char *cmd = argv[optind];
    static const char *const cmds[] = {"tools",  "call",  "conformance",
                                       "login",  "token", "logout",
                                       "status", NULL};
    size_t k = 0;
    while (cmds[k] != NULL && strcmp(cmds[k], cmd) != 0) {
        k++;
    }
    if (cmds[k] == NULL) {
        fprintf(stderr, "mcp-oauth: unknown command \"%s\"\n", cmd);
        short_usage();
        return EXIT_USAGE;
    }
    (void)ac_crypto_prefer_hash_drbg(); /* OpenSSL's default stays if not */
    signal(SIGPIPE, SIG_IGN);
    if (!mcpo_global_init(&err)) {
        cli_fail(&err);
        return EXIT_FAIL;
    }
    if (strcmp(cmd, "conformance") == 0) {
        /* The harness passes the URL last (client-under-test contract). */
        rc = optind + 1 < argc ? cli_conformance(argv[argc - 1], &o)
                               : (short_usage(), (int)EXIT_USAGE);
    } else if (strcmp(cmd, "tools") == 0 || strcmp(cmd, "call") == 0) {
        rc = run_tools_or_call(cmd, argv + optind + 1, argc - optind - 1, &o);
    } else {
        rc = cli_session(cmd, argv + optind + 1, argc - optind - 1, &o);
    }
    mcpo_global_cleanup();
    return rc;
}
