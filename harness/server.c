/* authcheck server (server.h): the client side of server-side
 * conformance. This file owns the plumbing the probes share: the bounded,
 * origin-restricted, rate-limited HTTP helper that records every exchange,
 * discovery as a client must do it (401 challenge, RFC 9728 PRM, RFC 8414
 * / OIDC metadata in the MCP spec's order), client registration, the
 * authorization request driver (redirect follower, simple consent form,
 * --login command) and the token requests. The probes themselves and their
 * registry are in server_checks.c; the command line in server_cli.c. */
#include "harness/server.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/b64url.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/url.h"
#include "common/wwwauth.h"
#include "harness/runner.h"
#include "harness/server_int.h"

#define DEFAULT_REDIRECT "http://127.0.0.1:33418/callback"
#define ALT_REDIRECT "https://client.authcheck.example/cb"
#define MAX_HOPS 12

void hsv_set(struct hc_result *r, enum hc_status s, const char *fmt, ...)
{
    va_list ap;

    r->status = s;
    va_start(ap, fmt);
    vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
}

void hsv_secret(struct hsv_ctx *x, const char *s)
{
    if (s != NULL && s[0] != '\0' && x->secrets != NULL) {
        json_array_append_new(x->secrets, json_string(s));
    }
}

char *hsv_form(const char *name, ...)
{
    struct ac_form f;
    va_list ap;
    const char *n = name;
    char *out;
    bool ok = true;

    ac_form_init(&f);
    va_start(ap, name);
    while (n != NULL) {
        const char *v = va_arg(ap, const char *);
        if (v != NULL) {
            ok = ok && ac_form_add(&f, n, v, NULL);
        }
        n = va_arg(ap, const char *);
    }
    va_end(ap);
    out = ok ? ac_form_encode(&f) : NULL;
    ac_form_free(&f);
    return out;
}

json_t *hsv_json_body(const struct ac_http_response *r)
{
    if (r == NULL || r->body == NULL || r->body_len == 0) {
        return NULL;
    }
    return ac_json_parse_object(r->body, r->body_len, NULL);
}

/* --- the HTTP helper ---------------------------------------------------- */

static void allow_origin(struct hsv_ctx *x, const char *url)
{
    char *o = url != NULL ? ac_url_origin(url) : NULL;

    if (o != NULL && !ac_json_array_has_str(x->origins, o)) {
        json_array_append_new(x->origins, json_string(o));
    }
    free(o);
}

static bool origin_allowed(struct hsv_ctx *x, const char *url)
{
    char *o = ac_url_origin(url);
    bool ok = o != NULL && ac_json_array_has_str(x->origins, o);

    free(o);
    return ok;
}

static void pace(struct hsv_ctx *x)
{
    int64_t gap, now;

    if (x->o->rate <= 0) {
        return;
    }
    gap = (int64_t)(1e9 / x->o->rate);
    now = ac_mono_ns();
    if (x->last_ns != 0 && now - x->last_ns < gap) {
        int64_t ns = gap - (now - x->last_ns);
        struct timespec ts = {ns / 1000000000, ns % 1000000000};
        nanosleep(&ts, NULL);
    }
    x->last_ns = ac_mono_ns();
}

static json_t *headers_json(const struct ac_http_header *h, size_t n)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && i < n; i++) {
        json_array_append_new(a, json_pack("[s,s]", h[i].name, h[i].value));
    }
    return a;
}

static json_t *req_headers_json(const char *const *hdrs)
{
    json_t *a = json_array();

    for (size_t i = 0; a != NULL && hdrs != NULL && hdrs[i] != NULL; i++) {
        size_t n = strcspn(hdrs[i], ":");
        const char *v = hdrs[i] + n + (hdrs[i][n] == ':');
        json_array_append_new(
            a, json_pack("[s%,s]", hdrs[i], n, v + strspn(v, " ")));
    }
    return a;
}

/* The exchange, in the transcript shape of docs/TRANSCRIPT.md; `server`
 * is the check that made it. */
static void record(struct hsv_ctx *x, const char *method, const char *url,
                   const char *const *hdrs, const char *body,
                   const struct ac_http_response *resp, const char *why,
                   int64_t t_ns)
{
    struct ac_url u;
    json_t *e;
    bool parsed = ac_url_parse(url, &u, NULL);

    e = json_pack(
        "{s:I, s:I, s:s, s:s, s:s, s:s, s:s?, s:s?, s:{s:o, s:s?}, "
        "s:{s:i, s:o, s:s?}}",
        "seq", (json_int_t)json_array_size(x->transcript), "t_ns",
        (json_int_t)t_ns, "server", "authcheck", "endpoint",
        x->check != NULL ? x->check : "discovery", "method", method, "url", url,
        "path", parsed ? u.path : NULL, "query", parsed ? u.query : NULL,
        "request", "headers", req_headers_json(hdrs), "body", body, "response",
        "status", resp != NULL ? (int)resp->status : 0, "headers",
        resp != NULL ? headers_json(resp->headers, resp->nheaders)
                     : json_array(),
        "body", resp != NULL && resp->body_len > 0 ? resp->body : NULL);
    if (e != NULL && resp == NULL) {
        json_object_set_new(e, "error", json_string(why));
    }
    if (parsed) {
        ac_url_free(&u);
    }
    json_array_append_new(x->transcript, e);
}

bool hsv_http(struct hsv_ctx *x, const char *method, const char *url,
              const char *const *hdrs, const char *form, const char *json,
              struct ac_http_response *resp, char *why, size_t whylen)
{
    const char *h[12];
    size_t n = 0;
    struct ac_http_request req = {0};
    struct ac_err err;
    int64_t t = ac_mono_ns();
    bool ok;

    memset(resp, 0, sizeof(*resp));
    if (url == NULL || !origin_allowed(x, url)) {
        snprintf(why, whylen,
                 "not sent: %s is not an origin given or "
                 "named by discovery",
                 url != NULL ? url : "(none)");
        return false;
    }
    if (x->nreq >= HSV_MAX_REQUESTS) {
        snprintf(why, whylen, "request budget of the check (%d) spent",
                 HSV_MAX_REQUESTS);
        return false;
    }
    x->nreq++;
    pace(x);
    h[n++] = form != NULL   ? "Content-Type: application/x-www-form-urlencoded"
             : json != NULL ? "Content-Type: application/json"
                            : "Accept: application/json";
    for (size_t i = 0; hdrs != NULL && hdrs[i] != NULL && n < 10; i++) {
        h[n++] = hdrs[i];
    }
    h[n] = NULL;
    req.method = method;
    req.url = url;
    req.headers = h;
    req.body = form != NULL ? form : json;
    req.timeout_ms = 10000;
    ok = ac_http_do(&req, resp, &err);
    if (!ok) {
        snprintf(why, whylen, "no answer from %s: %s", url, err.msg);
    }
    record(x, method, url, h, req.body, ok ? resp : NULL, why, t);
    return ok;
}

/* --- discovery ------------------------------------------------------------ */

/* The Bearer challenge of a 401: resource_metadata and scope. */
static void read_challenge(struct hsv_ctx *x, const struct ac_http_response *r)
{
    const char *lines[8];
    size_t n = ac_http_header_all(r, "WWW-Authenticate", lines, 8);
    struct ac_challenges cs = {0};
    const struct ac_challenge *b;

    if (n == 0) {
        return;
    }
    x->challenge = strdup(lines[0]);
    if (!ac_wwwauth_parse(lines, n, &cs, NULL)) {
        return;
    }
    b = ac_wwwauth_find(&cs, "Bearer");
    if (b != NULL && ac_challenge_param(b, "resource_metadata") != NULL) {
        x->rm_url = strdup(ac_challenge_param(b, "resource_metadata"));
    }
    if (b != NULL && ac_challenge_param(b, "scope") != NULL) {
        x->challenge_scope = strdup(ac_challenge_param(b, "scope"));
    }
    ac_challenges_free(&cs);
}

static json_t *get_json(struct hsv_ctx *x, const char *url, long *status,
                        char **ctype)
{
    struct ac_http_response r;
    char why[256];
    json_t *doc = NULL;

    if (!hsv_http(x, "GET", url, NULL, NULL, NULL, &r, why, sizeof(why))) {
        *status = 0;
        return NULL;
    }
    *status = r.status;
    if (r.status == 200) {
        doc = ac_json_parse_object(r.body, r.body_len, NULL);
        if (ctype != NULL && ac_http_header_get(&r, "Content-Type")) {
            free(*ctype);
            *ctype = strdup(ac_http_header_get(&r, "Content-Type"));
        }
    }
    ac_http_response_free(&r);
    return doc;
}

/* RFC 9728 §3.1 / MCP: resource_metadata first, then the path-inserted
 * and root well-known locations. */
static void discover_prm(struct hsv_ctx *x)
{
    char *cands[1 + AC_URL_PRM_MAX] = {NULL};
    long st;

    if (x->rm_url != NULL) {
        allow_origin(x, x->rm_url);
        cands[0] = strdup(x->rm_url);
    }
    ac_url_prm_urls(x->mcp_url, cands + 1, NULL);
    for (size_t i = 0; i < 1 + AC_URL_PRM_MAX && x->prm == NULL; i++) {
        if (cands[i] != NULL) {
            x->prm = get_json(x, cands[i], &st, NULL);
            if (x->prm != NULL) {
                x->prm_url = strdup(cands[i]);
            }
        }
    }
    for (size_t i = 0; i < 1 + AC_URL_PRM_MAX; i++) {
        free(cands[i]);
    }
}

/* MCP authorization §authorization server metadata discovery: RFC 8414
 * path-inserted, OIDC path-inserted, OIDC path-appended (for an issuer
 * without a path: RFC 8414, then OIDC). */
static void discover_md(struct hsv_ctx *x)
{
    char *c[AC_URL_AS_MAX] = {NULL};
    size_t n = ac_url_as_metadata_urls(x->issuer, c, NULL);

    for (size_t i = 0; i < n && x->md == NULL; i++) {
        x->md = get_json(x, c[i], &x->md_status, &x->md_ctype);
        if (x->md != NULL) {
            x->md_url = strdup(c[i]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        free(c[i]);
    }
}

static void allow_endpoints(struct hsv_ctx *x)
{
    static const char *const names[] = {
        "authorization_endpoint", "token_endpoint",
        "registration_endpoint",  "revocation_endpoint",
        "introspection_endpoint", NULL};

    for (size_t i = 0; names[i] != NULL; i++) {
        allow_origin(x, ac_json_str(x->md, names[i]));
    }
}

static void discover_mcp(struct hsv_ctx *x)
{
    struct ac_http_response r;
    char why[256];

    if (hsv_mcp_call(x, NULL, NULL, &r, why, sizeof(why))) {
        x->mcp_status = r.status;
        if (r.status == 401) {
            read_challenge(x, &r);
        }
        ac_http_response_free(&r);
    }
    discover_prm(x);
    if (x->prm != NULL) {
        const char *res = ac_json_str(x->prm, "resource");
        const json_t *ases = json_object_get(x->prm, "authorization_servers");
        x->resource = res != NULL ? strdup(res) : NULL;
        if (x->issuer == NULL && json_string_value(json_array_get(ases, 0))) {
            x->issuer = strdup(json_string_value(json_array_get(ases, 0)));
        }
    }
    if (x->resource == NULL) {
        x->resource = ac_url_canonical_resource(x->mcp_url);
    }
}

bool hsv_discover(struct hsv_ctx *x)
{
    const char *saved = x->check;

    if (x->discovered) {
        return x->md != NULL;
    }
    x->discovered = true;
    x->check = "discovery";
    if (x->mcp_url != NULL) {
        discover_mcp(x);
    }
    if (x->issuer == NULL) {
        snprintf(x->disc_why, sizeof(x->disc_why),
                 "no authorization server: give --issuer, or --mcp of a "
                 "server whose PRM names one");
    } else {
        allow_origin(x, x->issuer);
        discover_md(x);
        if (x->md == NULL) {
            snprintf(x->disc_why, sizeof(x->disc_why),
                     "no authorization server metadata for %s", x->issuer);
        } else {
            allow_endpoints(x);
        }
    }
    x->check = saved;
    return x->md != NULL;
}

const char *hsv_endpoint(struct hsv_ctx *x, const char *name)
{
    const char *u;
    struct ac_url p;
    bool ok;

    if (!hsv_discover(x) || (u = ac_json_str(x->md, name)) == NULL ||
        !ac_url_parse(u, &p, NULL)) {
        return NULL;
    }
    ok = strcmp(p.scheme, "https") == 0 || ac_url_is_loopback(&p);
    ac_url_free(&p);
    return ok && origin_allowed(x, u) ? u : NULL;
}

/* --- clients -------------------------------------------------------------- */

bool hsv_register(struct hsv_ctx *x, const json_t *md,
                  struct ac_http_response *resp, char *why, size_t whylen)
{
    const char *ep = hsv_endpoint(x, "registration_endpoint");
    char *body;
    bool ok;

    if (ep == NULL) {
        snprintf(why, whylen,
                 "the server advertises no usable "
                 "registration_endpoint");
        memset(resp, 0, sizeof(*resp));
        return false;
    }
    body = json_dumps(md, JSON_COMPACT);
    ok = body != NULL &&
         hsv_http(x, "POST", ep, NULL, NULL, body, resp, why, whylen);
    free(body);
    return ok;
}

/* RFC 8414 §2: client_secret_basic is the default when the metadata
 * lists no methods; else basic if listed, post if only that is. */
static bool use_post(struct hsv_ctx *x)
{
    const json_t *m =
        json_object_get(x->md, "token_endpoint_auth_methods_supported");

    return json_is_array(m) &&
           !ac_json_array_has_str(m, "client_secret_basic") &&
           ac_json_array_has_str(m, "client_secret_post");
}

static void dcr_client(struct hsv_ctx *x, struct hsv_client *c, bool secret)
{
    json_t *md = json_pack(
        "{s:s, s:[s,s], s:[s,s], s:[s], s:s, s:s}", "client_name",
        "authcheck server", "redirect_uris", x->redirect_uri, x->alt_redirect,
        "grant_types", "authorization_code", "refresh_token", "response_types",
        "code", "token_endpoint_auth_method",
        !secret       ? "none"
        : use_post(x) ? "client_secret_post"
                      : "client_secret_basic",
        "application_type", "native");
    struct ac_http_response r;
    json_t *doc = NULL;

    if (!hsv_register(x, md, &r, c->why, sizeof(c->why))) {
        json_decref(md);
        return;
    }
    doc = hsv_json_body(&r);
    if ((r.status != 201 && r.status != 200) ||
        ac_json_str(doc, "client_id") == NULL ||
        (secret && ac_json_str(doc, "client_secret") == NULL)) {
        snprintf(c->why, sizeof(c->why),
                 "dynamic registration failed (HTTP %ld)", r.status);
    } else {
        c->id = strdup(ac_json_str(doc, "client_id"));
        c->secret = secret ? strdup(ac_json_str(doc, "client_secret")) : NULL;
        c->post = secret && use_post(x);
        hsv_secret(x, c->secret);
    }
    json_decref(doc);
    json_decref(md);
    ac_http_response_free(&r);
}

static struct hsv_client *client(struct hsv_ctx *x, struct hsv_client *c,
                                 bool secret, bool prereg_ok)
{
    const char *saved = x->check;

    if (!c->tried) {
        c->tried = true;
        x->check = "registration";
        if (prereg_ok && x->o->client_id != NULL &&
            (!secret || x->o->client_secret != NULL)) {
            c->id = strdup(x->o->client_id);
            c->secret = secret ? strdup(x->o->client_secret) : NULL;
            c->post = secret && hsv_discover(x) && use_post(x);
        } else if (!hsv_discover(x)) {
            snprintf(c->why, sizeof(c->why), "%s", x->disc_why);
        } else if (hsv_endpoint(x, "registration_endpoint") == NULL) {
            snprintf(c->why, sizeof(c->why),
                     "no registration endpoint: give --client-id%s",
                     secret ? " and --client-secret" : "");
        } else {
            dcr_client(x, c, secret);
        }
        x->check = saved;
    }
    return c->id != NULL ? c : NULL;
}

struct hsv_client *hsv_client_pub(struct hsv_ctx *x)
{
    return client(x, &x->pub, x->o->client_secret != NULL, true);
}

struct hsv_client *hsv_client_conf(struct hsv_ctx *x)
{
    return client(x, &x->conf, true, true);
}

struct hsv_client *hsv_client_other(struct hsv_ctx *x)
{
    return client(x, &x->other, false, false);
}

/* --- the authorization request ------------------------------------------ */

void hsv_authz_free(struct hsv_authz *a)
{
    ac_secret_free(a->verifier);
    free(a->state);
    free(a->challenge);
    free(a->redirect_uri);
    free(a->location);
    free(a->code);
    free(a->got_state);
    free(a->iss);
    free(a->error);
    memset(a, 0, sizeof(*a));
}

static char *auth_url(struct hsv_ctx *x, const struct hsv_client *c,
                      const struct hsv_authz_opts *ao, struct hsv_authz *a)
{
    const char *ep = hsv_endpoint(x, "authorization_endpoint");
    const char *scope = ao->scope != NULL     ? ao->scope
                        : x->o->scope != NULL ? x->o->scope
                                              : x->challenge_scope;
    char *q, *url = NULL;

    a->state = ac_random_token(16, NULL);
    a->verifier = ac_random_token(32, NULL);
    a->challenge = ao->plain ? (a->verifier ? strdup(a->verifier) : NULL)
                             : ac_pkce_s256(a->verifier, NULL);
    a->redirect_uri =
        strdup(ao->redirect_uri != NULL ? ao->redirect_uri : x->redirect_uri);
    hsv_secret(x, a->verifier);
    if (ep == NULL || a->state == NULL || a->challenge == NULL) {
        return NULL;
    }
    q = hsv_form("response_type", "code", "client_id", c->id, "redirect_uri",
                 a->redirect_uri, "state", a->state, "code_challenge",
                 ao->no_challenge ? NULL : a->challenge,
                 "code_challenge_method",
                 ao->no_challenge ? NULL
                 : ao->plain      ? "plain"
                                  : "S256",
                 "resource", ao->resource ? ao->resource : x->resource, "scope",
                 scope, NULL);
    if (q != NULL && asprintf(&url, "%s%c%s", ep,
                              strchr(ep, '?') != NULL ? '&' : '?', q) < 0) {
        url = NULL;
    }
    free(q);
    return url;
}

/* Count and keep the first value of `name` in a query string. */
static int query_param(const char *query, const char *name, char **out)
{
    int n = 0;
    size_t len = strlen(name);

    for (const char *p = query; p != NULL && *p != '\0';) {
        size_t seg = strcspn(p, "&");
        if (seg > len && strncmp(p, name, len) == 0 && p[len] == '=') {
            if (n++ == 0) {
                *out = ac_pct_decode(p + len + 1, seg - len - 1, true, NULL);
            }
        }
        p += seg + (p[seg] == '&');
    }
    return n;
}

/* The redirect came back to our redirect URI: read its parameters. */
static void read_callback(struct hsv_ctx *x, const char *loc,
                          struct hsv_authz *a)
{
    struct ac_url u;

    if (!ac_url_parse(loc, &u, NULL)) {
        a->kind = AZ_ELSEWHERE;
        return;
    }
    a->ncode = query_param(u.query, "code", &a->code);
    a->nstate = query_param(u.query, "state", &a->got_state);
    a->niss = query_param(u.query, "iss", &a->iss);
    query_param(u.query, "error", &a->error);
    hsv_secret(x, a->code);
    a->kind = a->code != NULL ? AZ_CODE : AZ_ERROR;
    ac_url_free(&u);
}

/* Does `loc` go to `base` (same scheme, host, port and path)? */
static bool same_target(const char *loc, const char *base)
{
    size_t n = strcspn(base, "?#");

    return strncmp(loc, base, n) == 0 &&
           (loc[n] == '\0' || loc[n] == '?' || loc[n] == '#');
}

/* --auto-consent: the first form of the page, its hidden and named
 * submit inputs (the first submit button: the default action), as a GET
 * or POST. A new URL (GET) or NULL; *post_body set for POST. */
static char *consent_form(const struct hsv_options *o, const char *page,
                          const char *base, char **body);

/* The follower's cookie jar: "a=1; b=2" from the Set-Cookie headers of
 * the AS's own answers (name=value only; attributes ignored: every
 * request goes to the AS's allowed origins anyway). Login and consent
 * pages keep their state there. */
static void keep_cookies(const struct ac_http_response *r, char **jar)
{
    const char *lines[16];
    size_t n = ac_http_header_all(r, "Set-Cookie", lines, 16);

    for (size_t i = 0; i < n; i++) {
        size_t kv = strcspn(lines[i], ";"), name = strcspn(lines[i], "=");
        char *next = NULL;
        const char *p = *jar;
        if (name >= kv) {
            continue;
        }
        /* Drop an older value of the same name, append the new one. */
        while (p != NULL && *p != '\0') {
            size_t seg = strcspn(p, ";");
            if (!(seg > name && strncmp(p, lines[i], name + 1) == 0)) {
                char *t = NULL;
                if (asprintf(&t, "%s%s%.*s", next ? next : "", next ? "; " : "",
                             (int)seg, p) >= 0) {
                    free(next);
                    next = t;
                }
            }
            p += seg;
            p += strspn(p, "; ");
        }
        {
            char *t = NULL;
            if (asprintf(&t, "%s%s%.*s", next ? next : "", next ? "; " : "",
                         (int)kv, lines[i]) >= 0) {
                free(next);
                next = t;
            }
        }
        free(*jar);
        *jar = next;
    }
}

/* Where the page's first password input is, or NULL. */
static const char *password_field(const char *page)
{
    static const char *const forms[] = {"type=\"password\"", "type='password'",
                                        "type=password", NULL};
    const char *best = NULL;

    for (size_t i = 0; page != NULL && forms[i] != NULL; i++) {
        const char *p = strcasestr(page, forms[i]);
        best = p != NULL && (best == NULL || p < best) ? p : best;
    }
    return best;
}

/* A page the follower can submit: --auto-consent, or a login form when
 * --username/--password are given. */
static bool submittable(const struct hsv_options *o, const char *body)
{
    bool login = password_field(body) != NULL;

    return body != NULL && strstr(body, "<form") != NULL &&
           (login ? o->username != NULL : o->auto_consent);
}

static bool run_login(struct hsv_ctx *x, const char *url, struct hsv_authz *a);

void hsv_authorize(struct hsv_ctx *x, const struct hsv_client *c,
                   const struct hsv_authz_opts *ao, struct hsv_authz *a)
{
    char *url = auth_url(x, c, ao, a);
    char *post = NULL, *jar = NULL, *cookie_hdr = NULL;
    char why[256];

    a->kind = AZ_NET;
    if (url == NULL) {
        snprintf(a->why, sizeof(a->why), "no usable authorization_endpoint");
        return;
    }
    if (x->o->login_cmd != NULL) {
        run_login(x, url, a);
        free(url);
        return;
    }
    for (int hop = 0; hop < MAX_HOPS && url != NULL; hop++) {
        struct ac_http_response r;
        const char *loc;
        char *next = NULL;
        const char *hdrs[2] = {cookie_hdr, NULL};

        if (!hsv_http(x, post ? "POST" : "GET", url, hdrs, post, NULL, &r, why,
                      sizeof(why))) {
            snprintf(a->why, sizeof(a->why), "%s", why);
            break;
        }
        free(post);
        post = NULL;
        keep_cookies(&r, &jar);
        free(cookie_hdr);
        cookie_hdr = NULL;
        if (jar != NULL && asprintf(&cookie_hdr, "Cookie: %s", jar) < 0) {
            cookie_hdr = NULL;
        }
        a->status = r.status;
        loc = ac_http_header_get(&r, "Location");
        if (r.status >= 300 && r.status < 400 && loc != NULL) {
            char *abs = ac_url_resolve(url, loc, NULL);
            if (abs != NULL && same_target(abs, a->redirect_uri)) {
                read_callback(x, abs, a);
            } else if (abs != NULL && origin_allowed(x, abs)) {
                next = strdup(abs);
            } else {
                a->kind = AZ_ELSEWHERE;
                a->location = abs != NULL ? strdup(abs) : strdup(loc);
            }
            free(abs);
        } else if (r.status == 200 && submittable(x->o, r.body)) {
            next = consent_form(x->o, r.body, url, &post);
        } else if (r.status == 200 && password_field(r.body) != NULL) {
            a->kind = AZ_USER;
            snprintf(a->why, sizeof(a->why),
                     "the authorization endpoint shows a login form: use "
                     "--username/--password or --login CMD");
        } else {
            a->kind = r.status == 200 ? AZ_USER : AZ_PAGE;
            snprintf(a->why, sizeof(a->why),
                     r.status == 200
                         ? "the authorization endpoint shows a page (a login "
                           "or consent): use --auto-consent or --login CMD"
                         : "the authorization endpoint answered %ld without "
                           "redirecting",
                     r.status);
        }
        ac_http_response_free(&r);
        free(url);
        url = next;
    }
    free(url);
    free(post);
    free(jar);
    free(cookie_hdr);
}

/* --- token requests ------------------------------------------------------- */

bool hsv_token(struct hsv_ctx *x, const struct hsv_client *c, const char *form,
               struct ac_http_response *resp, char *why, size_t whylen)
{
    return hsv_post_as(x, "token_endpoint", c, form, resp, why, whylen);
}

bool hsv_post_as(struct hsv_ctx *x, const char *endpoint,
                 const struct hsv_client *c, const char *form,
                 struct ac_http_response *resp, char *why, size_t whylen)
{
    const char *ep = hsv_endpoint(x, endpoint);
    char *body = NULL, *basic = NULL, *hdr = NULL, *cred = NULL;
    const char *hdrs[3] = {NULL, NULL, NULL};
    bool ok = false;

    memset(resp, 0, sizeof(*resp));
    hdrs[0] = x->extra_hdr;
    if (ep == NULL) {
        snprintf(why, whylen, "no usable %s", endpoint);
        return false;
    }
    if (c->secret == NULL || c->post) {
        char *id =
            hsv_form("client_id", c->id, "client_secret", c->secret, NULL);
        ok = id != NULL && asprintf(&body, "%s&%s", form, id) >= 0;
        free(id);
    } else {
        /* RFC 6749 §2.3.1: Basic over the form-urlencoded id and secret. */
        char *i = ac_pct_encode(c->id), *s = ac_pct_encode(c->secret);
        ok = i && s && asprintf(&cred, "%s:%s", i, s) >= 0 &&
             (basic = ac_b64_encode(cred, strlen(cred))) != NULL &&
             asprintf(&hdr, "Authorization: Basic %s", basic) >= 0 &&
             (body = strdup(form)) != NULL;
        hdrs[hdrs[0] != NULL] = hdr;
        free(i);
        free(s);
    }
    ok = ok && hsv_http(x, "POST", ep, hdrs, body, NULL, resp, why, whylen);
    free(body);
    free(basic);
    free(hdr);
    ac_secret_free(cred);
    return ok;
}

char *hsv_code_form(struct hsv_ctx *x, const struct hsv_client *c,
                    const char *code, const char *verifier,
                    const char *redirect_uri, const char *resource)
{
    (void)c;
    return hsv_form(
        "grant_type", "authorization_code", "code", code, "redirect_uri",
        redirect_uri != NULL ? redirect_uri : x->redirect_uri, "code_verifier",
        verifier, "resource", resource != NULL ? resource : x->resource, NULL);
}

void hsv_grant_free(struct hsv_grant *g)
{
    ac_secret_free(g->access);
    ac_secret_free(g->refresh);
    free(g->scope);
    memset(g, 0, sizeof(*g));
}

void hsv_new_grant(struct hsv_ctx *x, const struct hsv_client *c,
                   const char *scope, struct hsv_grant *g)
{
    struct hsv_authz a = {0};
    struct hsv_authz_opts ao = {.scope = scope};
    struct ac_http_response r = {0};
    json_t *doc = NULL;
    char *form = NULL;

    memset(g, 0, sizeof(*g));
    hsv_authorize(x, c, &ao, &a);
    if (a.kind != AZ_CODE) {
        snprintf(g->why, sizeof(g->why), "no authorization code: %.200s",
                 a.why[0]  ? a.why
                 : a.error ? a.error
                           : "not redirected");
        goto out;
    }
    form = hsv_code_form(x, c, a.code, a.verifier, NULL, NULL);
    if (form == NULL || !hsv_token(x, c, form, &r, g->why, sizeof(g->why))) {
        goto out;
    }
    doc = hsv_json_body(&r);
    if (r.status != 200 || ac_json_str(doc, "access_token") == NULL) {
        snprintf(g->why, sizeof(g->why), "code exchange failed: HTTP %ld %s",
                 r.status,
                 ac_json_str(doc, "error") ? ac_json_str(doc, "error") : "");
        goto out;
    }
    g->access = strdup(ac_json_str(doc, "access_token"));
    g->refresh = ac_json_str(doc, "refresh_token")
                     ? strdup(ac_json_str(doc, "refresh_token"))
                     : NULL;
    g->scope =
        ac_json_str(doc, "scope") ? strdup(ac_json_str(doc, "scope")) : NULL;
    g->expires_in =
        (long)json_integer_value(json_object_get(doc, "expires_in"));
    hsv_secret(x, g->access);
    hsv_secret(x, g->refresh);
    g->ok = g->access != NULL;
out:
    json_decref(doc);
    free(form);
    ac_http_response_free(&r);
    hsv_authz_free(&a);
}

/* --- MCP ------------------------------------------------------------------ */

bool hsv_mcp_call(struct hsv_ctx *x, const char *auth, const char *query,
                  struct ac_http_response *resp, char *why, size_t whylen)
{
    static const char init[] =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":"
        "{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
        "\"clientInfo\":{\"name\":\"authcheck\",\"version\":\"1\"}}}";

    return hsv_mcp_post(x, auth, query, NULL, init, resp, why, whylen);
}

bool hsv_mcp_post(struct hsv_ctx *x, const char *auth, const char *query,
                  const char *sid, const char *body,
                  struct ac_http_response *resp, char *why, size_t whylen)
{
    char *url = NULL, *ah = NULL, *sh = NULL;
    const char *h[6] = {"Accept: application/json, text/event-stream",
                        NULL,
                        NULL,
                        NULL,
                        NULL,
                        NULL};
    size_t n = 1;
    bool ok = false;

    memset(resp, 0, sizeof(*resp));
    if (x->mcp_url == NULL) {
        snprintf(why, whylen, "no --mcp URL");
        return false;
    }
    if (asprintf(&url, "%s%s%s", x->mcp_url,
                 query ? (strchr(x->mcp_url, '?') ? "&" : "?") : "",
                 query ? query : "") < 0 ||
        (auth != NULL && asprintf(&ah, "Authorization: %s", auth) < 0) ||
        (sid != NULL && asprintf(&sh, "Mcp-Session-Id: %s", sid) < 0)) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (ah != NULL) {
        h[n++] = ah;
    }
    if (sh != NULL) {
        h[n++] = sh;
        h[n++] = "MCP-Protocol-Version: 2025-11-25";
    }
    if (x->extra_hdr != NULL) {
        h[n++] = x->extra_hdr; /* DPoP proof */
    }
    ok = hsv_http(x, "POST", url, h, NULL, body, resp, why, whylen);
out:
    free(url);
    free(ah);
    free(sh);
    return ok;
}

/* --- consent forms and --login ------------------------------------------ */

/* The value of attribute `name` in the tag starting at `tag` (up to '>'),
 * a new string or NULL. */
static char *attr(const char *tag, const char *name)
{
    const char *end = strchr(tag, '>');
    size_t n = strlen(name);

    for (const char *p = tag; end != NULL && p < end; p++) {
        if (strncasecmp(p, name, n) == 0 && p[n] == '=' &&
            (p == tag || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n')) {
            const char *v = p + n + 1;
            char q = (*v == '"' || *v == '\'') ? *v++ : ' ';
            size_t len =
                q == ' ' ? strcspn(v, " >") : strcspn(v, (char[]){q, 0});
            return strndup(v, len);
        }
    }
    return NULL;
}

static char *consent_form(const struct hsv_options *o, const char *page,
                          const char *base, char **body)
{
    const char *pw = o->username != NULL ? password_field(page) : NULL;
    const char *form = strstr(page, "<form");
    bool user_done = false;
    const char *stop;
    char *action, *method;
    char *url = NULL, *q = NULL;
    struct ac_form f;
    bool submit_seen = false;

    /* --username/--password: the form holding the password field. */
    for (const char *p = form; pw != NULL && p != NULL;
         p = strstr(p + 1, "<form")) {
        if (p < pw) {
            form = p;
        }
    }
    stop = form ? strstr(form, "</form") : NULL;
    action = form ? attr(form, "action") : NULL;
    method = form ? attr(form, "method") : NULL;
    ac_form_init(&f);
    for (const char *p = form; p != NULL && (stop == NULL || p < stop);
         p = strstr(p + 1, "<")) {
        bool input = strncasecmp(p, "<input", 6) == 0;
        bool button = strncasecmp(p, "<button", 7) == 0;
        char *type = (input || button) ? attr(p, "type") : NULL;
        char *name = (input || button) ? attr(p, "name") : NULL;
        char *value = (input || button) ? attr(p, "value") : NULL;
        bool is_submit = button
                             ? (type == NULL || strcasecmp(type, "submit") == 0)
                             : type != NULL && strcasecmp(type, "submit") == 0;
        bool text = input && (type == NULL || strcasecmp(type, "text") == 0 ||
                              strcasecmp(type, "email") == 0);
        if (name != NULL && (!is_submit || !submit_seen) &&
            (is_submit || (type != NULL && strcasecmp(type, "hidden") == 0))) {
            ac_form_add(&f, name, value != NULL ? value : "", NULL);
        } else if (name != NULL && o->username != NULL && text && !user_done) {
            ac_form_add(&f, name, o->username, NULL);
            user_done = true;
        } else if (name != NULL && o->password != NULL && input &&
                   type != NULL && strcasecmp(type, "password") == 0) {
            ac_form_add(&f, name, o->password, NULL);
        }
        submit_seen = submit_seen || is_submit;
        free(type);
        free(name);
        free(value);
    }
    q = ac_form_encode(&f);
    url =
        ac_url_resolve(base, action != NULL && action[0] ? action : base, NULL);
    if (method != NULL && strcasecmp(method, "post") == 0) {
        *body = q;
        q = NULL;
    } else if (url != NULL && q != NULL) {
        char *u = NULL;
        size_t n = strcspn(url, "?");
        if (asprintf(&u, "%.*s?%s", (int)n, url, q) >= 0) {
            free(url);
            url = u;
        }
    }
    ac_form_free(&f);
    free(q);
    free(action);
    free(method);
    return url;
}

struct hsv_listener *hsv_listener(struct hsv_ctx *x, char *why, size_t whylen)
{
    if (x->listener == NULL) {
        hsv_listen_start(0, &x->listener, why, whylen);
    }
    return x->listener;
}

/* The login command, in its own process group, the URL as "$1" (no shell
 * quoting of the URL needed). Its stdout is *fd. */
static pid_t spawn_login(const char *cmd, const char *url, int *fd)
{
    int p[2];
    pid_t pid;
    char *line = NULL;

    if (pipe(p) != 0 || asprintf(&line, "%s \"$1\"", cmd) < 0) {
        return -1;
    }
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        execl("/bin/sh", "sh", "-c", line, "authcheck-login", url,
              (char *)NULL);
        _exit(127);
    }
    free(line);
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        return -1;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    *fd = p[0];
    return pid;
}

/* Read what the command printed; a line to the redirect URI is kept in
 * *printed (older --login commands print the final redirect). */
static bool drain(int fd, char *buf, size_t cap, size_t *len, char **printed,
                  const char *redirect_uri)
{
    ssize_t n;
    char *nl;

    while ((n = read(fd, buf + *len, cap - 1 - *len)) > 0) {
        *len += (size_t)n;
        buf[*len] = '\0';
        while ((nl = strchr(buf, '\n')) != NULL) {
            *nl = '\0';
            buf[strcspn(buf, "\r")] = '\0';
            if (*printed == NULL && same_target(buf, redirect_uri)) {
                *printed = strdup(buf);
            }
            *len -= (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, *len + 1);
        }
        if (*len == cap - 1) {
            *len = 0; /* an overlong line: dropped */
        }
    }
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
}

/* --login CMD: the command gets the authorization URL and must drive it
 * to the redirect. The redirect URI is the harness's loopback listener,
 * which catches the authorization response; a command that prints the
 * final redirect URL instead is also understood. Once the response is
 * caught the command gets 2 s to finish, then its process group is
 * ended; the whole login has --login-timeout seconds (default 120). */
static bool run_login(struct hsv_ctx *x, const char *url, struct hsv_authz *a)
{
    char buf[8192], *printed = NULL, *caught = NULL;
    size_t len = 0;
    struct ac_url ru;
    int fd = -1, status;
    int64_t limit = (x->o->login_timeout > 0 ? x->o->login_timeout : 120) *
                    (int64_t)1000000000;
    int64_t start = ac_mono_ns(), grace = 0;
    bool eof = false, exited = false;
    pid_t pid;

    a->kind = AZ_USER;
    if (x->listener == NULL || !ac_url_parse(a->redirect_uri, &ru, NULL)) {
        snprintf(a->why, sizeof(a->why),
                 "--login needs the harness's loopback listener as the "
                 "redirect URI (an http://127.0.0.1 --redirect-uri)");
        return false;
    }
    hsv_listen_forget(x->listener, ru.path);
    if ((pid = spawn_login(x->o->login_cmd, url, &fd)) < 0) {
        snprintf(a->why, sizeof(a->why), "cannot run the --login command");
        ac_url_free(&ru);
        return false;
    }
    while (!(eof && exited) && ac_mono_ns() - start < limit) {
        struct pollfd pf = {fd, POLLIN, 0};
        poll(&pf, eof ? 0 : 1, 100);
        if (!eof) {
            eof = drain(fd, buf, sizeof(buf), &len, &printed, a->redirect_uri);
        }
        if (!exited && waitpid(pid, &status, WNOHANG) == pid) {
            exited = true;
        }
        if (eof && !exited) {
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
        }
        if (caught == NULL &&
            (caught = hsv_listen_first(x->listener, ru.path)) != NULL) {
            grace = ac_mono_ns();
        }
        if (caught != NULL && ac_mono_ns() - grace > 2000000000LL) {
            break;
        }
    }
    if (!exited) {
        kill(-pid, SIGTERM);
        waitpid(pid, &status, 0);
    }
    close(fd);
    if (caught == NULL) {
        caught = hsv_listen_first(x->listener, ru.path);
    }
    if (caught != NULL || printed != NULL) {
        read_callback(x, caught != NULL ? caught : printed, a);
    } else {
        snprintf(a->why, sizeof(a->why),
                 "the --login command brought no authorization response to "
                 "%s (within %d s)",
                 a->redirect_uri,
                 x->o->login_timeout > 0 ? x->o->login_timeout : 120);
    }
    free(caught);
    free(printed);
    ac_url_free(&ru);
    return a->kind != AZ_USER;
}

/* --login: the redirect URI is the listener. On --redirect-uri's port
 * when that is http on 127.0.0.1 (a pre-registered client), else on an
 * ephemeral port (http://127.0.0.1:PORT/callback). */
static bool login_listener(struct hsv_ctx *x, struct ac_err *err)
{
    struct ac_url u = {0};
    char why[256];
    int port = 0;

    if (x->o->redirect_uri != NULL) {
        if (!ac_url_parse(x->o->redirect_uri, &u, NULL) ||
            strcmp(u.scheme, "http") != 0 || strcmp(u.host, "127.0.0.1") != 0) {
            ac_url_free(&u);
            AC_ERR(
                err, AC_ERR_USAGE,
                "--login catches the code on the harness's loopback "
                "listener: --redirect-uri must be http://127.0.0.1:PORT/...");
            return false;
        }
        port = u.port;
        ac_url_free(&u);
    }
    if (!hsv_listen_start(port, &x->listener, why, sizeof(why))) {
        AC_ERR(err, AC_ERR_IO, "%s", why);
        return false;
    }
    if (x->o->redirect_uri == NULL) {
        free(x->redirect_uri);
        x->redirect_uri = NULL;
        if (asprintf(&x->redirect_uri, "http://127.0.0.1:%d/callback",
                     hsv_listen_port(x->listener)) < 0) {
            x->redirect_uri = NULL;
        }
    }
    return x->redirect_uri != NULL;
}

/* --- running ---------------------------------------------------------------
 */

static void ctx_free(struct hsv_ctx *x)
{
    struct hsv_client *cs[4] = {&x->pub, &x->conf, &x->other, &x->cc};

    json_decref(x->transcript);
    json_decref(x->origins);
    json_decref(x->prm);
    json_decref(x->md);
    free(x->mcp_url);
    free(x->challenge);
    free(x->rm_url);
    free(x->challenge_scope);
    free(x->prm_url);
    free(x->resource);
    free(x->issuer);
    free(x->md_url);
    free(x->md_ctype);
    free(x->redirect_uri);
    free(x->alt_redirect);
    if (x->docs != x->listener) {
        hsv_listen_stop(x->docs);
    }
    hsv_listen_stop(x->listener);
    free(x->cimd_base);
    for (size_t i = 0; i < 4; i++) {
        free(cs[i]->id);
        ac_secret_free(cs[i]->secret);
    }
}

static bool selected(const struct hsv_options *o, const struct hc_check *c)
{
    bool any = o->checks == NULL || o->checks[0] == NULL;

    for (size_t i = 0; !any && o->checks[i] != NULL; i++) {
        any = fnmatch(o->checks[i], c->id, 0) == 0;
    }
    if (any && o->suite != NULL) {
        bool mcp =
            strncmp(c->id, "mcp-", 4) == 0 || strncmp(c->id, "prm-", 4) == 0;
        bool official =
            strcmp(c->id, "authorization-server-metadata-endpoint") == 0 ||
            strcmp(c->id, "authorization-code-grant") == 0;
        any = (strcmp(o->suite, "mcp") == 0 && mcp) ||
              (strcmp(o->suite, "as") == 0 && !mcp) ||
              (strcmp(o->suite, "official") == 0 && official);
    }
    return any;
}

/* Now as an ISO 8601 UTC time, in a static buffer. */
static const char *started_at(void)
{
    static char buf[32];
    time_t t = (time_t)ac_now();
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

static json_t *new_scenario(const struct hsv_options *o)
{
    char title[512];

    snprintf(title, sizeof(title), "Server conformance:%s%s%s%s",
             o->mcp_url ? " MCP " : "", o->mcp_url ? o->mcp_url : "",
             o->issuer ? " AS " : "", o->issuer ? o->issuer : "");
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:n, s:I, s:[], s:[]}", "id",
                     "server", "title", title, "family", "server", "spec",
                     "2025-11-25", "status", "passed", "error", "duration_ms",
                     (json_int_t)0, "runs", "checks");
}

/* Map a violation to the check's level (as hc_evaluate does) and note
 * the exchanges the check made as its evidence. */
static void finish(const struct hc_check *c, struct hc_result *r, size_t from,
                   size_t to)
{
    if (r->status == HC_FAILURE && c->level == HC_SHOULD) {
        r->status = HC_WARNING;
    } else if (r->status == HC_FAILURE && c->level == HC_MAY) {
        r->status = HC_INFO;
    }
    for (size_t s = from; s < to && r->nevidence < 16; s++) {
        r->evidence[r->nevidence++] = s;
    }
}

static void progress(const struct hsv_options *o, const struct hc_check *c,
                     const struct hc_result *r)
{
    if (o->verbosity < -1 || (o->verbosity < 0 && r->status != HC_FAILURE)) {
        return;
    }
    fprintf(stderr, "  %-8s %-40s %s\n", hc_status_name(r->status), c->id,
            o->verbosity > 0 || r->status != HC_SUCCESS ? r->message : "");
}

static bool run_checks(struct hsv_ctx *x, json_t *checks)
{
    size_t n;
    const struct hc_check *reg = hsv_registry(&n);

    for (size_t i = 0; i < n; i++) {
        struct hc_result r;
        size_t from = json_array_size(x->transcript);
        json_t *cj;
        if (!selected(x->o, &reg[i])) {
            continue;
        }
        memset(&r, 0, sizeof(r));
        r.status = HC_SKIPPED;
        x->check = reg[i].id;
        x->nreq = 0;
        hsv_probe(i)(x, &r);
        finish(&reg[i], &r, from, json_array_size(x->transcript));
        progress(x->o, &reg[i], &r);
        cj = hc_result_json(&reg[i], &r, false);
        if (cj == NULL || json_array_append_new(checks, cj) != 0) {
            return false;
        }
    }
    x->check = NULL;
    return true;
}

static void summarize(json_t *results, json_t *sc)
{
    json_int_t k[5] = {0};
    const json_t *c;
    size_t i;
    bool failed;

    json_array_foreach(json_object_get(sc, "checks"), i, c)
    {
        const char *st = json_string_value(json_object_get(c, "status"));
        for (int s = 0; s < 5; s++) {
            k[s] += strcmp(st, hc_status_name((enum hc_status)s)) == 0;
        }
    }
    failed = k[HC_FAILURE] > 0;
    json_object_set_new(sc, "status",
                        json_string(failed ? "failed" : "passed"));
    json_object_set_new(
        results, "summary",
        json_pack("{s:i, s:i, s:i, s:i, s:i, s:{s:I, s:I, s:I, s:I, s:I}}",
                  "scenarios", 1, "passed", !failed, "failed", failed, "errors",
                  0, "skipped", 0, "checks", "SUCCESS", k[0], "FAILURE", k[1],
                  "WARNING", k[2], "SKIPPED", k[3], "INFO", k[4]));
}

bool hsv_run(const struct hsv_options *o, json_t **results, json_t *secrets,
             struct ac_err *err)
{
    struct hsv_ctx x;
    json_t *sc = NULL;
    int64_t t0 = ac_mono_ns();
    bool ok = false;

    memset(&x, 0, sizeof(x));
    *results = NULL;
    if (o->mcp_url == NULL && o->issuer == NULL) {
        AC_ERR(err, AC_ERR_USAGE, "give --mcp URL and/or --issuer URL");
        return false;
    }
    x.o = o;
    x.secrets = secrets;
    x.transcript = json_array();
    x.origins = json_array();
    x.mcp_url = o->mcp_url ? strdup(o->mcp_url) : NULL;
    x.issuer = o->issuer ? strdup(o->issuer) : NULL;
    x.redirect_uri =
        strdup(o->redirect_uri ? o->redirect_uri : DEFAULT_REDIRECT);
    x.alt_redirect = strdup(ALT_REDIRECT);
    hsv_secret(&x, o->token);
    hsv_secret(&x, o->expired_token);
    hsv_secret(&x, o->password);
    hsv_secret(&x, o->client_secret);
    allow_origin(&x, o->mcp_url);
    allow_origin(&x, o->issuer);
    if (o->login_cmd != NULL && x.redirect_uri != NULL &&
        !login_listener(&x, err)) {
        goto out;
    }
    sc = new_scenario(o);
    *results = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s?, s:s?}, s:I, s:[]}",
                         "tool", "authcheck", "version", AUTHCHECK_VERSION,
                         "spec", "2025-11-25", "client_command",
                         "authcheck server", "started_at", started_at(),
                         "target", "mcp", o->mcp_url, "issuer", o->issuer,
                         "duration_ms", (json_int_t)0, "scenarios");
    if (sc == NULL || *results == NULL || x.transcript == NULL ||
        x.origins == NULL || x.redirect_uri == NULL || x.alt_redirect == NULL ||
        !run_checks(&x, json_object_get(sc, "checks"))) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    json_object_set_new(sc, "duration_ms",
                        json_integer((ac_mono_ns() - t0) / 1000000));
    json_object_set(sc, "transcript", x.transcript);
    json_object_set_new(*results, "duration_ms",
                        json_integer((ac_mono_ns() - t0) / 1000000));
    summarize(*results, sc);
    json_array_append(json_object_get(*results, "scenarios"), sc);
    ok = true;
out:
    if (!ok) {
        json_decref(*results);
        *results = NULL;
    }
    json_decref(sc);
    ctx_free(&x);
    return ok;
}
