/* `authcheck server` command line (server.h hsv_main): options, the run,
 * the reports (through reports/, secrets redacted) and the exit status,
 * with the conventions of `authcheck run`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/httpc.h"
#include "harness/runner.h"
#include "harness/server.h"
#include "reports/reports.h"

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static void server_usage(FILE *f)
{
    fprintf(
        f,
        "usage: authcheck server [--mcp URL] [--issuer URL] [OPTIONS]\n"
        "\n"
        "Checks a third-party MCP server and/or authorization server by\n"
        "acting as an MCP OAuth client against it. Given only --mcp, the\n"
        "authorization server is discovered as a client must (401\n"
        "challenge, Protected Resource Metadata, RFC 8414 / OIDC metadata)\n"
        "and each step is checked. Requests go only to the origins given\n"
        "and those discovery names, at most 40 per check.\n"
        "Writes DIR/results.json, DIR/server/checks.json, DIR/junit.xml,\n"
        "DIR/report.md and DIR/report.html (secrets redacted).\n"
        "\n"
        "targets:\n"
        "  --mcp URL            the MCP endpoint\n"
        "  --issuer URL         the authorization server's issuer\n"
        "selection:\n"
        "  --check GLOB         checks whose id matches (repeatable)\n"
        "  --suite NAME         as, mcp or official\n"
        "getting tokens:\n"
        "  --client-id ID       a pre-registered client (when the server\n"
        "                       has no dynamic registration)\n"
        "  --client-secret S    its secret (client_secret_basic, or\n"
        "                       client_secret_post when the AS lists\n"
        "                       only that)\n"
        "  --redirect-uri URI   the client's registered redirect URI\n"
        "                       (default http://127.0.0.1:33418/callback)\n"
        "  --auto-consent       submit a consent page's first form with its\n"
        "                       default (first) submit button\n"
        "  --login CMD          run `CMD AUTH_URL`; it must drive the\n"
        "                       login to the redirect, which authcheck\n"
        "                       catches on its own listener (redirect URI\n"
        "                       http://127.0.0.1:PORT/callback, ephemeral\n"
        "                       unless --redirect-uri names the port)\n"
        "  --login-timeout N    seconds the login may take (default 120)\n"
        "  --username U         with --password: fill a plain login form\n"
        "  --password P         (the first form with a password field: its\n"
        "                       first text field and password fields;\n"
        "                       cookies kept; no JavaScript, no captcha)\n"
        "  --cimd-https         serve the client ID metadata documents over\n"
        "                       https (self-signed for 127.0.0.1: the AS\n"
        "                       must be told to accept it)\n"
        "  --expired-token T    an expired access token for the MCP server\n"
        "                       (mcp-rejects-expired-token)\n"
        "  --wait-expiry N      wait up to N s for a short-lived token to\n"
        "                       expire instead (default 0: no waiting)\n"
        "  --token TOKEN        a valid access token for the MCP checks\n"
        "                       (visible in ps: prefer --token-file)\n"
        "  --token-file FILE    the same, read from FILE (first line)\n"
        "  --scope SCOPE        the scope to ask for\n"
        "  --other-resource URI a resource the AS also issues tokens for\n"
        "                       (mcp-rejects-wrong-audience)\n"
        "output:\n"
        "  --out DIR            output directory (default: out)\n"
        "  --rate N             at most N requests per second\n"
        "  --strict             a WARNING (failed SHOULD) fails too\n"
        "  -q, --quiet / -v, --verbose\n"
        "  --list-checks        list the server checks and exit\n"
        "\n"
        "A check that needs something not given (a client, a token, an\n"
        "endpoint the server does not advertise) is SKIPPED with the\n"
        "reason, never failed.\n"
        "\n"
        "exit status: 0 every MUST check passed (with --strict: and every\n"
        "SHOULD); 1 a check failed; 2 usage or harness error\n");
}

struct cli {
    struct hsv_options o;
    const char **globs;
    size_t nglobs;
    const char *out;
    bool strict;
    bool list;
    char *token_buf;
};

static bool read_token(struct cli *c, const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[8192];
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "authcheck server: %s: %s\n", path, strerror(errno));
        return false;
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    free(c->token_buf);
    c->token_buf = strdup(buf);
    c->o.token = c->token_buf;
    return c->token_buf != NULL && buf[0] != '\0';
}

static bool option(struct cli *c, int ch)
{
    char *end = NULL;

    switch (ch) {
    case 'm':
        c->o.mcp_url = optarg;
        return true;
    case 'i':
        c->o.issuer = optarg;
        return true;
    case 'C':
        c->globs[c->nglobs++] = optarg;
        return true;
    case 'U':
        c->o.suite = optarg;
        if (strcmp(optarg, "as") && strcmp(optarg, "mcp") &&
            strcmp(optarg, "official")) {
            fprintf(stderr,
                    "authcheck server: unknown suite %s (as, mcp, "
                    "official)\n",
                    optarg);
            return false;
        }
        return true;
    case 'I':
        c->o.client_id = optarg;
        return true;
    case 'P':
        c->o.client_secret = optarg;
        return true;
    case 'R':
        c->o.redirect_uri = optarg;
        return true;
    case 'A':
        c->o.auto_consent = true;
        return true;
    case 'L':
        c->o.login_cmd = optarg;
        return true;
    case 't':
        c->o.token = optarg;
        return true;
    case 'E':
        c->o.expired_token = optarg;
        return true;
    case 'u':
        c->o.username = optarg;
        return true;
    case 'H':
        c->o.cimd_https = true;
        return true;
    case 'p':
        c->o.password = optarg;
        return true;
    case 'W':
    case 'O': {
        long v = strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0' || v < 0 || v > 86400) {
            fprintf(stderr, "authcheck server: bad number %s\n", optarg);
            return false;
        }
        *(ch == 'W' ? &c->o.wait_expiry : &c->o.login_timeout) = (int)v;
        return true;
    }
    case 'T':
        return read_token(c, optarg);
    case 's':
        c->o.scope = optarg;
        return true;
    case 'X':
        c->o.other_resource = optarg;
        return true;
    case 'o':
        c->out = optarg;
        return true;
    case 'r':
        c->o.rate = strtod(optarg, &end);
        if (end == optarg || *end != '\0' || c->o.rate < 0) {
            fprintf(stderr, "authcheck server: bad --rate %s\n", optarg);
            return false;
        }
        return true;
    case 'S':
        c->strict = true;
        return true;
    case 'l':
        c->list = true;
        return true;
    case 'q':
        c->o.verbosity = -1;
        return true;
    case 'v':
        c->o.verbosity = 1;
        return true;
    default:
        server_usage(stderr);
        return false;
    }
}

static int parse(int argc, char **argv, struct cli *c)
{
    static const struct option opts[] = {
        {"mcp", required_argument, NULL, 'm'},
        {"issuer", required_argument, NULL, 'i'},
        {"check", required_argument, NULL, 'C'},
        {"suite", required_argument, NULL, 'U'},
        {"client-id", required_argument, NULL, 'I'},
        {"client-secret", required_argument, NULL, 'P'},
        {"redirect-uri", required_argument, NULL, 'R'},
        {"auto-consent", no_argument, NULL, 'A'},
        {"login", required_argument, NULL, 'L'},
        {"login-timeout", required_argument, NULL, 'O'},
        {"expired-token", required_argument, NULL, 'E'},
        {"username", required_argument, NULL, 'u'},
        {"cimd-https", no_argument, NULL, 'H'},
        {"password", required_argument, NULL, 'p'},
        {"wait-expiry", required_argument, NULL, 'W'},
        {"token", required_argument, NULL, 't'},
        {"token-file", required_argument, NULL, 'T'},
        {"scope", required_argument, NULL, 's'},
        {"other-resource", required_argument, NULL, 'X'},
        {"out", required_argument, NULL, 'o'},
        {"rate", required_argument, NULL, 'r'},
        {"strict", no_argument, NULL, 'S'},
        {"list-checks", no_argument, NULL, 'l'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int ch;

    c->globs = calloc((size_t)argc + 1, sizeof(*c->globs));
    c->out = "out";
    if (c->globs == NULL) {
        return EXIT_USAGE;
    }
    c->o.checks = c->globs;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "hqv", opts, NULL)) != -1) {
        if (ch == 'h') {
            server_usage(stdout);
            return -1;
        }
        if (!option(c, ch)) {
            return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "authcheck server: unexpected argument %s\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    if ((c->o.username == NULL) != (c->o.password == NULL)) {
        fprintf(stderr, "authcheck server: --username and --password go "
                        "together\n");
        return EXIT_USAGE;
    }
    if (!c->list && c->o.mcp_url == NULL && c->o.issuer == NULL) {
        fprintf(stderr, "authcheck server: give --mcp URL and/or --issuer "
                        "URL\n");
        server_usage(stderr);
        return EXIT_USAGE;
    }
    return EXIT_PASS;
}

static int verdict(const json_t *results, bool strict)
{
    const json_t *k =
        json_object_get(json_object_get(results, "summary"), "checks");

    if (json_integer_value(json_object_get(k, "FAILURE")) > 0 ||
        (strict && json_integer_value(json_object_get(k, "WARNING")) > 0)) {
        return EXIT_FAIL;
    }
    return EXIT_PASS;
}

static void summary(const json_t *results, const char *out)
{
    const json_t *k =
        json_object_get(json_object_get(results, "summary"), "checks");

    printf("server checks: %lld passed, %lld failed, %lld warnings, %lld "
           "skipped; reports in %s/\n",
           (long long)json_integer_value(json_object_get(k, "SUCCESS")),
           (long long)json_integer_value(json_object_get(k, "FAILURE")),
           (long long)json_integer_value(json_object_get(k, "WARNING")),
           (long long)json_integer_value(json_object_get(k, "SKIPPED")), out);
}

int hsv_main(int argc, char **argv)
{
    struct cli c;
    json_t *results = NULL, *secrets = json_array();
    struct ac_err err;
    int rc;

    memset(&c, 0, sizeof(c));
    rc = parse(argc, argv, &c);
    if (rc != EXIT_PASS || secrets == NULL) {
        rc = rc < 0 ? EXIT_PASS : EXIT_USAGE;
        goto out;
    }
    if (c.list) {
        size_t n;
        const struct hc_check *reg = hsv_registry(&n);
        for (size_t i = 0; i < n; i++) {
            printf("%-40s %-6s %s\n", reg[i].id, hc_level_name(reg[i].level),
                   reg[i].summary);
        }
        goto out;
    }
    rc = EXIT_USAGE;
    if (!ac_http_global_init(&err) || !hsv_run(&c.o, &results, secrets, &err)) {
        fprintf(stderr, "authcheck server: %s\n", err.msg);
        goto out;
    }
    rc = verdict(results, c.strict);
    if (!rp_write(results, secrets, c.out,
                  RP_JSON | RP_CHECKS | RP_JUNIT | RP_MARKDOWN | RP_HTML,
                  &err)) {
        fprintf(stderr, "authcheck server: writing results: %s\n", err.msg);
        rc = EXIT_USAGE;
    } else {
        summary(results, c.out);
    }
out:
    json_decref(results);
    json_decref(secrets);
    free(c.globs);
    free(c.token_buf);
    return rc;
}
