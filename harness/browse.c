/* The headless user agent (browse.h). A client under test opens the
 * authorization URL with $BROWSER; this follows the redirects a browser
 * would (the mock /authorize approves at once with a 302 to the client's
 * loopback callback) and records each hop for the transcript, with the
 * monotonic start time taken before the request so the harness can merge
 * the hops with the mocks' exchanges in order. */
#include "harness/browse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/httpc.h"
#include "common/redact.h"
#include "common/url.h"

/* Per hop: a loopback callback answers at once; a hung one must not hang
 * the client under test for longer than its own timeout would. */
#define HOP_TIMEOUT_MS 10000
#define HOP_MAX_BODY (1024u * 1024u)

void hb_usage(FILE *f)
{
    fprintf(f,
            "usage: authcheck browse [--record FILE] URL\n"
            "\n"
            "The headless user agent the harness gives clients as $BROWSER.\n"
            "GETs URL and follows 3xx redirects (Location, http and https\n"
            "only, relative references resolved), at most %d redirects.\n"
            "Each hop is appended to FILE as one JSON line (a transcript\n"
            "exchange: server \"browser\", endpoint \"hop\").\n"
            "Prints the final status and URL (secrets redacted).\n"
            "\n"
            "exit status: 0 final response 2xx; 1 any other final status, a\n"
            "failed request, or too many redirects; 2 usage error\n",
            HB_MAX_HOPS);
}

/* A body as a JSON string: cut to HB_BODY_CAP, non-UTF-8 made ASCII. */
static json_t *body_json(const char *body, size_t len)
{
    char *copy;
    json_t *v;

    if (body == NULL || len == 0) {
        return json_null();
    }
    if (len > HB_BODY_CAP) {
        len = HB_BODY_CAP;
    }
    v = json_stringn(body, len);
    if (v != NULL) {
        return v;
    }
    copy = malloc(len);
    if (copy == NULL) {
        return NULL;
    }
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)body[k];
        copy[k] = (c >= 0x80 || c == 0) ? '?' : (char)c;
    }
    v = json_stringn(copy, len);
    free(copy);
    return v;
}

static json_t *headers_json(const struct ac_http_response *resp)
{
    json_t *a = json_array();

    for (size_t k = 0; a != NULL && resp != NULL && k < resp->nheaders; k++) {
        json_array_append_new(a, json_pack("[s, s]", resp->headers[k].name,
                                           resp->headers[k].value));
    }
    return a;
}

static json_t *hop_json(int64_t t_ns, const char *url,
                        const struct ac_http_response *resp, const char *error)
{
    struct ac_url u;
    json_t *ex;

    memset(&u, 0, sizeof(u));
    if (!ac_url_parse(url, &u, NULL)) {
        memset(&u, 0, sizeof(u));
    }
    ex = json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s?, s:s?,"
        " s:{s:[], s:n}, s:{s:i, s:o, s:o}}",
        "t_ns", (json_int_t)t_ns, "server", "browser", "endpoint", "hop",
        "method", "GET", "url", url, "path", u.path ? u.path : NULL, "query",
        u.query, "request", "headers", "body", "response", "status",
        resp ? (int)resp->status : 0, "headers", headers_json(resp), "body",
        resp ? body_json(resp->body, resp->body_len) : json_null());
    if (ex != NULL && error != NULL) {
        json_object_set_new(ex, "error", json_string(error));
    }
    ac_url_free(&u);
    return ex;
}

/* One write per line with O_APPEND: lines from concurrent browsers never
 * interleave. */
static void record(const char *path, const json_t *ex)
{
    char *line;
    size_t n;
    int fd;

    if (path == NULL || ex == NULL) {
        return;
    }
    line = json_dumps(ex, JSON_COMPACT);
    if (line == NULL) {
        return;
    }
    n = strlen(line);
    line[n] = '\n'; /* replaces the terminator; written by length */
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || write(fd, line, n + 1) != (ssize_t)(n + 1)) {
        fprintf(stderr, "authcheck browse: cannot record to %s: %s\n", path,
                strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    free(line);
}

static bool is_http(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 ||
           strncasecmp(url, "https://", 8) == 0;
}

/* Does a Location reference leave http(s)? (a custom-scheme callback) */
static bool foreign_scheme(const char *ref)
{
    size_t n = strcspn(ref, ":/?#");

    return ref[n] == ':' && n > 0 && !is_http(ref);
}

static void say(const char *what, long status, const char *url, int hops)
{
    char *safe = ac_redact_url(url);

    printf("authcheck browse: %s: HTTP %ld at %s after %d redirect%s\n", what,
           status, safe ? safe : "(url)", hops, hops == 1 ? "" : "s");
    fflush(stdout);
    free(safe);
}

/* One request: records the hop; *next is the resolved redirect target
 * (new string) or NULL when this hop ends the walk. */
static bool hop(const char *url, const char *rec, long *status, char **next)
{
    struct ac_http_request req = {0};
    struct ac_http_response resp = {0};
    struct ac_err err;
    const char *loc;
    int64_t t_ns = ac_mono_ns();
    json_t *ex;
    bool ok;

    *next = NULL;
    req.url = url;
    req.timeout_ms = HOP_TIMEOUT_MS;
    req.max_body = HOP_MAX_BODY;
    ac_err_clear(&err);
    ok = ac_http_do(&req, &resp, &err);
    ex = hop_json(t_ns, url, ok ? &resp : NULL, ok ? NULL : err.msg);
    record(rec, ex);
    json_decref(ex);
    if (!ok) {
        fprintf(stderr, "authcheck browse: request failed: %s\n", err.msg);
        *status = 0;
        return false;
    }
    *status = resp.status;
    loc = ac_http_header_get(&resp, "Location");
    if (resp.status >= 300 && resp.status < 400 && loc != NULL) {
        if (foreign_scheme(loc)) {
            fprintf(stderr, "authcheck browse: not following a redirect to a "
                            "non-http URL\n");
        } else if ((*next = ac_url_resolve(url, loc, &err)) == NULL) {
            fprintf(stderr, "authcheck browse: bad Location: %s\n", err.msg);
        }
    }
    ac_http_response_free(&resp);
    return true;
}

static int browse(const char *start, const char *rec)
{
    char *url = strdup(start);
    long status = 0;
    int hops = 0;

    while (url != NULL) {
        char *next = NULL;
        if (!hop(url, rec, &status, &next)) {
            say("failed", 0, url, hops);
            free(url);
            return 1;
        }
        if (next == NULL) {
            break;
        }
        if (hops == HB_MAX_HOPS) {
            say("too many redirects", status, url, hops);
            free(next);
            free(url);
            return 1;
        }
        hops++;
        free(url);
        url = next;
    }
    if (url == NULL) {
        fprintf(stderr, "authcheck browse: out of memory\n");
        return 1;
    }
    say("ended", status, url, hops);
    free(url);
    return status >= 200 && status < 300 ? 0 : 1;
}

int hb_main(int argc, char **argv)
{
    const char *rec = NULL, *url = NULL;
    struct ac_err err;
    int rc;

    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "-h") == 0 || strcmp(argv[k], "--help") == 0) {
            hb_usage(stdout);
            return 0;
        } else if (strcmp(argv[k], "--record") == 0 && k + 1 < argc) {
            rec = argv[++k];
        } else if (strncmp(argv[k], "--record=", 9) == 0) {
            rec = argv[k] + 9;
        } else if (argv[k][0] == '-' && argv[k][1] != '\0') {
            fprintf(stderr, "authcheck browse: unknown option %s\n", argv[k]);
            hb_usage(stderr);
            return 2;
        } else if (url == NULL) {
            url = argv[k];
        } else {
            fprintf(stderr, "authcheck browse: one URL only\n");
            return 2;
        }
    }
    if (url == NULL || !is_http(url)) {
        fprintf(stderr, "authcheck browse: %s\n",
                url ? "URL must be http or https" : "missing URL");
        hb_usage(stderr);
        return 2;
    }
    if (!ac_http_global_init(&err)) {
        fprintf(stderr, "authcheck browse: %s\n", err.msg);
        return 1;
    }
    rc = browse(url, rec);
    ac_http_global_cleanup();
    return rc;
}
