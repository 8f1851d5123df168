/* authcheck serve (serve.h): load a scenario, start its mock world, print
 * the URLs as one JSON line, wait for SIGINT/SIGTERM, stop. Signals are
 * blocked before the world starts so that every server thread inherits the
 * mask and only sigwait() sees them. */
#include "harness/serve.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/tlsca.h"
#include "harness/scenario.h"
#include "mocks/defects.h"
#include "mocks/world.h"

#define EXIT_OK 0
#define EXIT_USAGE 2

/* Retention defaults, sized for a person pointing an IDE at the mocks: a
 * few hundred exchanges is many sign-ins and tool calls to look back on,
 * and a thousand tokens outlasts a day of refreshes. They keep the
 * process under the 10 MB (anonymous memory) goal after a token load
 * (scripts/bench_mocks.sh); the transcript keeps 4 secrets per exchange
 * (mo_transcript_set_max). A load test raises them or passes 0. */
#define DEFAULT_THREADS 2
#define DEFAULT_MAX_EXCHANGES 200
#define DEFAULT_MAX_TOKENS 1000

static void serve_usage(FILE *f)
{
    fprintf(
        f,
        "usage: authcheck serve --scenario ID [--scenarios DIR] "
        "[--interactive]\n"
        "                       [--defect NAME] [--tls] [--threads N] "
        "[--max-exchanges N] "
        "[--max-tokens N]\n"
        "\n"
        "Run one scenario's mock authorization server(s), MCP server and\n"
        "control API on 127.0.0.1 until Ctrl-C (SIGINT) or SIGTERM. The\n"
        "first line on stdout is a JSON object with the URLs:\n"
        "  {\"scenario\": ID, \"mcp\": URL, \"resource\": URI, \"prm\": URL,\n"
        "   \"control\": URL,\n"
        "   \"authorization_servers\": [{\"id\": ID, \"issuer\": URL}]}\n"
        "  and, with --tls, \"ca_file\": the run CA's certificate (PEM)\n"
        "\n"
        "  --scenario ID     the scenario id (as in `authcheck list`)\n"
        "  --scenarios DIR   scenario directory (default: as `run`)\n"
        "  --interactive     /authorize shows an approve/deny page\n"
        "                    instead of approving at once\n"
        "  --defect NAME     start the mocks with a defect profile, a\n"
        "                    deliberate spec violation that `authcheck\n"
        "                    server` must find (docs/SERVER.md; `--defect\n"
        "                    list` lists them)\n"
        "  --tls             serve HTTPS (as the scenario key \"tls\": true)\n"
        "                    with certificates from a CA made for this run;\n"
        "                    its certificate is written to a temporary\n"
        "                    file (\"ca_file\", removed at exit) for the\n"
        "                    client: SSL_CERT_FILE, CURL_CA_BUNDLE,\n"
        "                    NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE\n"
        "  --threads N       threads per server, at most 64 (default %d)\n"
        "  --max-exchanges N keep at most N exchanges in the transcript\n"
        "                    and 4*N secrets for its redaction (default %d)\n"
        "  --max-tokens N    keep at most N issued tokens (default %d)\n"
        "                    Past a cap the oldest half is forgotten (a\n"
        "                    forgotten token is treated as unknown);\n"
        "                    0 keeps everything.\n"
        "\n"
        "exit status: 0 stopped by Ctrl-C or SIGTERM; 2 usage error, an\n"
        "invalid scenario, or servers that could not start\n",
        DEFAULT_THREADS, DEFAULT_MAX_EXCHANGES, DEFAULT_MAX_TOKENS);
}

/* The directory of the running executable, for the scenario directory. */
static void exe_dir(char *out, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", out, n - 1);
    char *slash;

    if (len <= 0) {
        out[0] = '\0';
        return;
    }
    out[len] = '\0';
    slash = strrchr(out, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
}

/* --tls: the scenario with "tls": true (a new reference; `doc` is
 * released) and the run CA's certificate in a new temporary directory:
 * *dir and *ca_file, new strings, removed by ca_remove. */
static json_t *with_tls(json_t *doc, char **dir, char **ca_file,
                        struct ac_err *err)
{
    const char *tmp = getenv("TMPDIR");
    json_t *copy = json_deep_copy(doc);

    json_decref(doc);
    if (copy == NULL || json_object_set_new(copy, "tls", json_true()) != 0 ||
        asprintf(dir, "%s/authcheck-ca-XXXXXX",
                 tmp != NULL && *tmp != '\0' ? tmp : "/tmp") < 0) {
        *dir = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        json_decref(copy);
        return NULL;
    }
    if (mkdtemp(*dir) == NULL || asprintf(ca_file, "%s/ca.pem", *dir) < 0) {
        AC_ERR(err, AC_ERR_IO, "cannot make a directory for the CA: %s",
               strerror(errno));
        json_decref(copy); /* *dir is the caller's to ca_remove */
        return NULL;
    }
    if (!ac_tls_write_ca(*ca_file, err)) {
        json_decref(copy);
        return NULL;
    }
    return copy;
}

static void ca_remove(char *dir, char *ca_file)
{
    if (ca_file != NULL) {
        unlink(ca_file);
    }
    if (dir != NULL) {
        rmdir(dir);
    }
    free(ca_file);
    free(dir);
}

/* The first stdout line: a new JSON object. */
static json_t *urls_json(struct mo_world *w, const char *id)
{
    json_t *ases = json_array();
    json_t *doc;

    for (size_t i = 0; ases != NULL && i < mo_world_as_count(w); i++) {
        json_array_append_new(ases, json_pack("{s:s, s:s}", "id",
                                              mo_world_as_id(w, i), "issuer",
                                              mo_world_issuer(w, i)));
    }
    doc = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o}", "scenario", id, "mcp",
                    mo_world_mcp_url(w), "resource", mo_world_resource(w),
                    "prm", mo_world_prm_url(w), "control",
                    mo_world_control_url(w), "authorization_servers", ases);
    return doc;
}

struct serve_opts {
    const char *id;
    const char *sdir;
    bool interactive;
    bool tls;
    const char *defect;
    unsigned threads;
    size_t max_exchanges;
    size_t max_tokens;
};

static int parse_args(int argc, char **argv, struct serve_opts *o)
{
    static const struct option opts[] = {
        {"scenario", required_argument, NULL, 's'},
        {"scenarios", required_argument, NULL, 'd'},
        {"interactive", no_argument, NULL, 'i'},
        {"tls", no_argument, NULL, 'T'},
        {"defect", required_argument, NULL, 'D'},
        {"threads", required_argument, NULL, 't'},
        {"max-exchanges", required_argument, NULL, 'x'},
        {"max-tokens", required_argument, NULL, 'k'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    o->threads = DEFAULT_THREADS;
    o->max_exchanges = DEFAULT_MAX_EXCHANGES;
    o->max_tokens = DEFAULT_MAX_TOKENS;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 's') {
            o->id = optarg;
        } else if (c == 'd') {
            o->sdir = optarg;
        } else if (c == 'i') {
            o->interactive = true;
        } else if (c == 'T') {
            o->tls = true;
        } else if (c == 'D') {
            o->defect = optarg;
        } else if (c == 't' || c == 'x' || c == 'k') {
            char *end = NULL;
            unsigned long v = strtoul(optarg, &end, 10);

            if (end == optarg || *end != '\0' || (c == 't' && v > 64)) {
                fprintf(stderr, "authcheck serve: bad number %s\n", optarg);
                return EXIT_USAGE;
            }
            if (c == 't') {
                o->threads = (unsigned)v;
            } else if (c == 'x') {
                o->max_exchanges = v;
            } else {
                o->max_tokens = v;
            }
        } else if (c == 'h') {
            serve_usage(stdout);
            return -1;
        } else {
            serve_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (o->defect != NULL && strcmp(o->defect, "list") == 0) {
        for (size_t i = 0; i < mo_defect_count(); i++) {
            printf("%-28s %s\n", mo_defect_name(i), mo_defect_summary(i));
        }
        return -1;
    }
    if (o->defect != NULL && !mo_defect_known(o->defect)) {
        fprintf(stderr,
                "authcheck serve: unknown defect \"%s\" (see --defect "
                "list)\n",
                o->defect);
        return EXIT_USAGE;
    }
    if (optind < argc || o->id == NULL) {
        fprintf(stderr, "authcheck serve: %s\n",
                o->id == NULL ? "--scenario ID is required"
                              : "unexpected argument");
        serve_usage(stderr);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

static struct hs_scenario *load(const struct serve_opts *o)
{
    char self[PATH_MAX];
    char *dir, *rel = NULL;
    struct hs_scenario *s = NULL;
    struct ac_err err;

    exe_dir(self, sizeof(self));
    dir = hs_scenario_dir(o->sdir, self[0] != '\0' ? self : NULL);
    if (dir == NULL || asprintf(&rel, "%s.json", o->id) < 0) {
        free(dir);
        fprintf(stderr, "authcheck serve: out of memory\n");
        return NULL;
    }
    if (!hs_load(dir, rel, &s, &err)) {
        fprintf(stderr, "authcheck serve: %s\n", err.msg);
    }
    free(rel);
    free(dir);
    return s;
}

int hserve_main(int argc, char **argv)
{
    struct serve_opts o;
    struct hs_scenario *s = NULL;
    struct mo_world *w = NULL;
    struct mo_world_options wo = {0};
    json_t *doc = NULL;
    struct ac_err err;
    sigset_t set;
    json_t *urls = NULL;
    char *line = NULL, *ca_dir = NULL, *ca_file = NULL;
    int rc = parse_args(argc, argv, &o);
    int sig = 0;

    if (rc != EXIT_OK) {
        return rc < 0 ? EXIT_OK : rc;
    }
    /* Few malloc arenas: the servers' threads would otherwise each grow
     * their own and the resident size with them (glibc). */
    mallopt(M_ARENA_MAX, 2);
    rc = EXIT_USAGE;
    if ((s = load(&o)) == NULL) {
        goto out;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    wo.interactive = o.interactive;
    wo.threads = o.threads;
    wo.max_exchanges = o.max_exchanges;
    wo.max_tokens = o.max_tokens;
    doc = o.defect != NULL ? mo_defect_apply(s->doc, o.defect, &err)
                           : json_incref(s->doc);
    if (doc != NULL && o.tls) {
        doc = with_tls(doc, &ca_dir, &ca_file, &err);
    }
    if (doc == NULL || !mo_world_start_with(doc, &wo, &w, &err)) {
        fprintf(stderr, "authcheck serve: %s\n", err.msg);
        goto out;
    }
    urls = urls_json(w, s->id);
    if (urls != NULL && ca_file != NULL) {
        json_object_set_new(urls, "ca_file", json_string(ca_file));
    }
    line = urls != NULL ? json_dumps(urls, JSON_COMPACT) : NULL;
    if (line == NULL) {
        fprintf(stderr, "authcheck serve: out of memory\n");
        goto out;
    }
    printf("%s\n", line);
    fflush(stdout);
    sigwait(&set, &sig);
    rc = EXIT_OK;
out:
    mo_world_stop(w);
    ca_remove(ca_dir, ca_file);
    free(line);
    json_decref(urls);
    json_decref(doc);
    hs_free(s);
    return rc;
}
