/* libFuzzer target: the mock servers from raw request bytes to response,
 * in-process (mocks/world.h mo_world_serve: the real routes, handlers,
 * rules and transcript, no socket). At start one world per scenario in
 * WORLDS is started from $AUTHCHECK_SCENARIOS (default "scenarios": run
 * from the repository root); each input ends with a reset through the
 * control API, so an input means the same thing whatever ran before.
 *
 * Input: a selector byte (which world), then up to 8 raw HTTP/1.1
 * requests back to back. A request line may be prefixed by a server digit
 * and a space ("1 POST /token HTTP/1.1"): 0 the MCP server, 1.. the
 * authorization servers, then the control API and the client metadata
 * host; without one, the MCP server. Headers end at an empty line (CRLF or
 * LF); the body is Content-Length bytes (capped at what is left), or
 * none. "$M" and "$A" anywhere stand for the origins of the MCP server
 * and of the first authorization server (their ports are the kernel's,
 * so a seed could not name them otherwise: `resource` must match);
 * "$I", "$C", "$T" and "$R" for the client_id, authorization code,
 * access and refresh token that earlier answers of the same input issued
 * (they are random),
 * so an input can chain registration, authorization, token and MCP
 * requests the way a client does. FUZZ_MOCKS_TRACE=1 in the environment
 * prints each request's status and the start of its answer.
 * Properties: every request gets a status in 100..599 or is dropped
 * by a rule; no answer is the mocks' own internal failure (500 "the mock
 * failed internally"); every error_description is in RFC 6749 §5.2's
 * characters; the transcript stays valid JSON (checked on one input in
 * eight). */
#include "tests/fuzz/fuzz.h"
#include "tests/support/oauth_chars.h"

#include <strings.h>

#include "common/url.h"
#include "harness/scenario.h"
#include "mocks/httpd.h"
#include "mocks/world.h"

static const char *const WORLDS[] = {
    "core/dcr-happy-path.json",
    "auth/client-credentials-basic.json",
    "auth/client-credentials-jwt.json",
    "auth/basic-cimd.json",
    "auth/2025-03-26-oauth-metadata-backcompat.json",
    "wire/stateless-header-params.json",
    "stale-client/expired-client-secret.json",
    "wwwauth/escaped-quotes.json",
};
#define NWORLDS (sizeof(WORLDS) / sizeof(WORLDS[0]))
#define MAX_ORIGINS 8
#define MAX_HEADERS 64
#define MAX_REQUESTS 8

struct fz_world {
    struct mo_world *w;
    char *origin[MAX_ORIGINS]; /* 0 MCP, 1.. ASes, control, CIMD */
    size_t norigins;
    char *reset; /* the control API's POST /reset URL */
};

static struct fz_world worlds[NWORLDS];

static void add_origin(struct fz_world *fw, const char *url)
{
    char *o = url != NULL ? ac_url_origin(url) : NULL;

    if (o != NULL && fw->norigins < MAX_ORIGINS) {
        fw->origin[fw->norigins++] = o;
    } else {
        free(o);
    }
}

static void start_world(struct fz_world *fw, const char *dir, const char *rel)
{
    struct mo_world_options opts = {.max_exchanges = 16, .max_tokens = 64};
    struct hs_scenario *s = NULL;
    struct ac_err err = {0};

    if (!hs_load(dir, rel, &s, &err) ||
        !mo_world_start_with(s->doc, &opts, &fw->w, &err)) {
        fprintf(stderr, "fuzz_mocks: %s: %s\n", rel, err.msg);
        abort();
    }
    add_origin(fw, mo_world_mcp_url(fw->w));
    for (size_t i = 0; i < mo_world_as_count(fw->w); i++) {
        add_origin(fw, mo_world_issuer(fw->w, i));
    }
    add_origin(fw, mo_world_control_url(fw->w));
    add_origin(fw, mo_world_client_metadata_url(fw->w, 0));
    if (asprintf(&fw->reset, "%s/reset", mo_world_control_url(fw->w)) < 0) {
        abort();
    }
    hs_free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("AUTHCHECK_SCENARIOS");

    (void)argc;
    (void)argv;
    for (size_t i = 0; i < NWORLDS; i++) {
        start_world(&worlds[i], dir != NULL ? dir : "scenarios", WORLDS[i]);
    }
    return 0;
}

/* One line of [p, end): its length without the terminator; *next after. */
static size_t line(const char *p, const char *end, const char **next)
{
    const char *q = memchr(p, '\n', (size_t)(end - p));
    size_t n;

    if (q == NULL) {
        *next = end;
        return (size_t)(end - p);
    }
    *next = q + 1;
    n = (size_t)(q - p);
    return n > 0 && p[n - 1] == '\r' ? n - 1 : n;
}

struct fz_req {
    char *method, *target;
    struct mo_header h[MAX_HEADERS];
    size_t nh;
    const char *body;
    size_t body_len;
    size_t server;
};

static void req_free(struct fz_req *r)
{
    free(r->method);
    free(r->target);
    for (size_t i = 0; i < r->nh; i++) {
        free(r->h[i].name);
        free(r->h[i].value);
    }
}

/* "[D ]METHOD SP TARGET[ SP VERSION]": false when malformed. */
static bool request_line(struct fz_req *r, const char *p, size_t n)
{
    const char *end = p + n, *sp;

    if (n >= 2 && p[0] >= '0' && p[0] <= '9' && p[1] == ' ') {
        r->server = (size_t)(p[0] - '0');
        p += 2;
    }
    sp = memchr(p, ' ', (size_t)(end - p));
    if (sp == NULL || sp == p) {
        return false;
    }
    r->method = strndup(p, (size_t)(sp - p));
    p = sp + 1;
    sp = memchr(p, ' ', (size_t)(end - p));
    r->target = strndup(p, sp != NULL ? (size_t)(sp - p) : (size_t)(end - p));
    return r->method != NULL && r->target != NULL && r->target[0] == '/';
}

/* "Name: value" (leading and trailing whitespace of value dropped). */
static void header_line(struct fz_req *r, const char *p, size_t n)
{
    const char *colon = memchr(p, ':', n), *v, *e = p + n;

    if (colon == NULL || colon == p || r->nh == MAX_HEADERS) {
        return;
    }
    for (v = colon + 1; v < e && (*v == ' ' || *v == '\t'); v++) {
    }
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) {
        e--;
    }
    r->h[r->nh].name = strndup(p, (size_t)(colon - p));
    r->h[r->nh].value = strndup(v, (size_t)(e - v));
    r->nh++;
}

/* Parse one request at *p; false when no request could be read. */
static bool parse_request(struct fz_req *r, const char **p, const char *end)
{
    const char *next;
    size_t n = line(*p, end, &next);
    unsigned long len = 0;

    memset(r, 0, sizeof(*r));
    if (!request_line(r, *p, n)) {
        *p = next;
        return false;
    }
    for (*p = next; *p < end; *p = next) {
        n = line(*p, end, &next);
        if (n == 0) {
            *p = next;
            break;
        }
        header_line(r, *p, n);
    }
    for (size_t i = 0; i < r->nh; i++) {
        if (r->h[i].name != NULL &&
            strcasecmp(r->h[i].name, "Content-Length") == 0) {
            len = strtoul(r->h[i].value, NULL, 10);
        }
    }
    r->body = *p;
    r->body_len = len < (unsigned long)(end - *p) ? len : (size_t)(end - *p);
    *p += r->body_len;
    return true;
}

/* `p` (n bytes) with every "$X" whose vals[X] is set replaced by it: a
 * new buffer of *n bytes, NUL-terminated. */
static char *subst(const char *p, size_t *n, const char *const vals[128])
{
    const char *end = p + *n;
    size_t cap = *n + 1, len = 0;
    char *out = malloc(cap);

    while (out != NULL && p < end) {
        const char *v = end - p >= 2 && p[0] == '$' && (p[1] & 0x80) == 0
                            ? vals[(int)p[1]]
                            : NULL;
        size_t vl = v != NULL ? strlen(v) : 1;

        if (len + vl + 1 > cap) {
            char *q = realloc(out, cap * 2 + vl + 1);

            if (q == NULL) {
                break;
            }
            out = q;
            cap = cap * 2 + vl + 1;
        }
        memcpy(out + len, v != NULL ? v : p, vl);
        len += vl;
        p += v != NULL ? 2 : 1;
    }
    if (out == NULL || p < end) {
        abort(); /* out of memory: not the code under test */
    }
    out[len] = '\0';
    *n = len;
    return out;
}

/* What earlier answers of this input issued, for "$I", "$C", "$T". */
struct fz_seen {
    char *client_id, *code, *token, *refresh;
};

static void seen_free(struct fz_seen *s)
{
    free(s->client_id);
    free(s->code);
    free(s->token);
    free(s->refresh);
}

static void remember(char **slot, const char *v, size_t n)
{
    if (v != NULL) {
        free(*slot);
        *slot = strndup(v, n);
    }
}

/* Keep the client_id, access and refresh token of a JSON answer (`doc`,
 * may be NULL) and the code of a redirect. */
static void learn(struct fz_seen *seen, const json_t *doc,
                  const struct mo_reply *rep)
{
    const char *id = json_string_value(json_object_get(doc, "client_id"));
    const char *at = json_string_value(json_object_get(doc, "access_token"));
    const char *rt = json_string_value(json_object_get(doc, "refresh_token"));

    remember(&seen->client_id, id, id != NULL ? strlen(id) : 0);
    remember(&seen->token, at, at != NULL ? strlen(at) : 0);
    remember(&seen->refresh, rt, rt != NULL ? strlen(rt) : 0);
    for (size_t i = 0; i < rep->nheaders; i++) {
        const char *c = strcasecmp(rep->headers[i].name, "Location") == 0
                            ? strstr(rep->headers[i].value, "code=")
                            : NULL;

        if (c != NULL) {
            remember(&seen->code, c + 5, strcspn(c + 5, "&#"));
        }
    }
}

/* What any answer of the mocks must be, whatever a client sent: never
 * their own internal failure (no allocation fails here), and an
 * error_description, in a JSON body or a WWW-Authenticate challenge, in
 * RFC 6749 §5.2's characters (the worlds fuzzed script none of their
 * own). */
static void check_answer(const json_t *doc, const struct mo_reply *rep)
{
    const char *d =
        json_string_value(json_object_get(doc, "error_description"));

    FZ_ASSERT(rep->status != 500 || d == NULL ||
              strcmp(d, "the mock failed internally") != 0);
    FZ_ASSERT(d == NULL || th_oauth_text_bad(d, strlen(d)) == strlen(d));
    for (size_t i = 0; i < rep->nheaders; i++) {
        const char *v =
            strcasecmp(rep->headers[i].name, "WWW-Authenticate") == 0
                ? strstr(rep->headers[i].value, "error_description=\"")
                : NULL;

        if (v != NULL) {
            v += strlen("error_description=\"");
            size_t n = strcspn(v, "\"");

            FZ_ASSERT(th_oauth_text_bad(v, n) == n);
        }
    }
}

/* Replace "$M", "$A" in the request's target, header values and body by
 * the origins, and "$I", "$C", "$T", "$R" by what this input's earlier answers
 * issued. Done per request, after parsing, so Content-Length counts the
 * input's bytes. */
static void subst_seen(const struct fz_world *fw, struct fz_req *r,
                       const struct fz_seen *seen, char **body)
{
    const char *vals[128] = {0};
    size_t n;
    char *t;

    vals['M'] = fw->origin[0];
    vals['A'] = fw->origin[fw->norigins > 1 ? 1 : 0];
    vals['I'] = seen->client_id;
    vals['C'] = seen->code;
    vals['T'] = seen->token;
    vals['R'] = seen->refresh;
    n = strlen(r->target);
    t = subst(r->target, &n, vals);
    free(r->target);
    r->target = t;
    for (size_t i = 0; i < r->nh; i++) {
        n = strlen(r->h[i].value);
        t = subst(r->h[i].value, &n, vals);
        free(r->h[i].value);
        r->h[i].value = t;
    }
    *body = subst(r->body, &r->body_len, vals);
    r->body = *body;
}

static void serve(struct fz_world *fw, struct fz_req *r, struct fz_seen *seen)
{
    char *url = NULL, *body = NULL;
    struct mo_reply rep;
    struct ac_err err = {0};
    bool dropped = false;

    for (size_t i = 0; i < r->nh; i++) {
        if (r->h[i].name == NULL || r->h[i].value == NULL) {
            return; /* out of memory: not the code under test */
        }
    }
    subst_seen(fw, r, seen, &body);
    if (asprintf(&url, "%s%s", fw->origin[r->server % fw->norigins],
                 r->target) < 0) {
        return;
    }
    if (mo_world_serve(fw->w, url, r->method, r->h, r->nh, r->body, r->body_len,
                       &rep, &dropped, &err)) {
        json_t *doc = rep.body != NULL
                          ? json_loadb(rep.body, rep.body_len, 0, NULL)
                          : NULL;

        FZ_ASSERT(dropped ? rep.status == 0
                          : rep.status >= 100 && rep.status <= 599);
        check_answer(doc, &rep);
        learn(seen, doc, &rep);
        json_decref(doc);
        if (getenv("FUZZ_MOCKS_TRACE") != NULL) { /* to debug a seed */
            fprintf(stderr, "%s %s -> %d %.*s\n", r->method, url, rep.status,
                    (int)(rep.body_len < 160 ? rep.body_len : 160),
                    rep.body != NULL ? rep.body : "");
        }
    }
    mo_reply_clear(&rep);
    free(url);
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_world *fw;
    struct fz_seen seen = {0};
    const char *p, *end;
    struct mo_reply rep;
    json_t *t;

    if (size == 0) {
        return 0;
    }
    fw = &worlds[data[0] % NWORLDS];
    p = (const char *)data + 1;
    end = (const char *)data + size;
    for (int i = 0; i < MAX_REQUESTS && p < end; i++) {
        struct fz_req r;

        if (parse_request(&r, &p, end)) {
            serve(fw, &r, &seen);
        }
        req_free(&r);
    }
    /* The snapshot re-parses every exchange (39 % of the time under ASan):
     * taken for one input in eight, chosen by the selector byte's next
     * bits so that an input always means the same. Its code paths do not
     * depend on which requests ran, so coverage loses nothing. */
    if ((data[0] / NWORLDS) % 8 == 0) {
        t = mo_world_transcript(fw->w);
        FZ_ASSERT(json_is_array(t));
        json_decref(t);
    }
    /* Back to the start state, so the next input means the same whatever
     * ran before; at the end, so what this input allocated is freed
     * within it (libFuzzer's leak check runs when an input ends with more
     * allocations than frees). */
    FZ_ASSERT(mo_world_serve(fw->w, fw->reset, "POST", NULL, 0, NULL, 0, &rep,
                             NULL, NULL));
    FZ_ASSERT(rep.status == 200);
    mo_reply_clear(&rep);
    seen_free(&seen);
    return 0;
}
