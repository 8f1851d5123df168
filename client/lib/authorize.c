/* The authorization code grant's front channel: scope selection, PKCE
 * (RFC 7636, S256), state, the resource indicator (RFC 8707), the
 * authorization URL, handing it to a user agent, and the validation of the
 * authorization response (state, RFC 9207 iss, errors) before the code is
 * exchanged (token.c). */
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/lib/authorize_int.h"
#include "client/lib/callback_int.h"
#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/form.h"
#include "common/json.h"
#include "common/scope.h"

#define STATE_BYTES 32    /* 256 bits; MCP/OAuth ask for >= 128 */
#define VERIFIER_BYTES 32 /* 43 base64url characters (RFC 7636 §4.1) */
#define POLL_MS 100
#define FIRST_POLL_MS 2 /* doubled up to POLL_MS */

/* --- scope ---------------------------------------------------------------- */

/* scopes_supported as a scope list, NULL when it lists none (omit the
 * parameter); *nomem set when allocation failed. */
static char *join_scopes(const json_t *arr, bool *nomem)
{
    char *s = ac_scope_join_array(arr);

    *nomem = s == NULL;
    if (s != NULL && s[0] == '\0') {
        free(s);
        s = NULL;
    }
    return s;
}

char *authz_base_scope(const struct mcpo_client *c, bool *nomem)
{
    const char *s = NULL;
    *nomem = false;
    if (c->stepup_scope != NULL) {
        s = c->stepup_scope; /* step-up: previous scopes + challenged */
    } else if (c->opt_scope != NULL) {
        s = c->opt_scope;
    } else if (c->chal.scope != NULL && !MUTATED("ignore-challenge-scope")) {
        s = c->chal.scope; /* MCP scope selection, priority 1 */
    } else {
        /* Priority 2: all of scopes_supported, else omit the parameter. */
        char *j = MUTATED("ignore-scopes-supported")
                      ? NULL
                      : join_scopes(json_object_get(c->prm, "scopes_supported"),
                                    nomem);
        if (j == NULL && !*nomem && MUTATED("default-scope")) {
            j = strdup("mcp:default"); /* invented, not selected */
            *nomem = j == NULL;
        }
        return j;
    }
    char *copy = strdup(s);
    *nomem = copy == NULL;
    return copy;
}

/* MCP scope selection: authz_base_scope, plus offline_access when there
 * is a scope and the AS lists it. A new string or NULL (omit); *nomem set
 * when allocation failed. */
static char *authz_select_scope(const struct mcpo_client *c, bool *nomem)
{
    char *s = authz_base_scope(c, nomem), *more = NULL;
    const json_t *as = json_object_get(c->as_meta, "scopes_supported");
    /* MCP 2026-07-28 scope selection: MAY add offline_access when the AS
     * lists it (only to a scope we send: alone it would replace the
     * default scope). */
    if (MUTATED("always-offline-access") &&
        (s == NULL || !ac_scope_has(s, "offline_access"))) {
        more = ac_scope_union(s, "offline_access");
        *nomem = more == NULL;
        free(s);
        return more;
    }
    if (s == NULL || ac_scope_has(s, "offline_access") ||
        !ac_json_array_has_str(as, "offline_access") ||
        MUTATED("never-offline-access")) {
        return s;
    }
    more = ac_scope_union(s, "offline_access");
    *nomem = more == NULL;
    free(s);
    return more;
}

/* --- the request ---------------------------------------------------------- */

void authz_request_free(struct authz_request *r)
{
    ac_secret_free(r->state);
    ac_secret_free(r->verifier);
    free(r->challenge);
    free(r->url);
    memset(r, 0, sizeof *r);
}

static bool draw_pkce(struct authz_request *r, struct ac_err *err)
{
    if (MUTATED("no-pkce")) {
        return true;
    }
    r->verifier = ac_random_token(VERIFIER_BYTES, err);
    if (r->verifier == NULL) {
        return false;
    }
    if (MUTATED("pkce-plain")) {
        r->method = "plain";
        r->challenge = strdup(r->verifier);
    } else {
        r->method = "S256";
        r->challenge = ac_pkce_s256(r->verifier, err);
    }
    if (r->challenge == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    return true;
}

static bool add_params(const struct authz_params *p,
                       const struct authz_request *r, struct ac_form *f,
                       struct ac_err *err)
{
    bool ok = ac_form_add(f, "response_type", "code", err) &&
              ac_form_add(f, "client_id", p->client_id, err) &&
              ac_form_add(f, "redirect_uri", p->redirect_uri, err);
    if (ok && r->challenge != NULL) {
        ok = ac_form_add(f, "code_challenge", r->challenge, err) &&
             ac_form_add(f, "code_challenge_method", r->method, err);
    }
    if (!MUTATED("no-state")) {
        ok = ok && ac_form_add(f, "state", r->state, err);
    }
    if (ok && p->scope != NULL) {
        ok = ac_form_add(f, "scope", p->scope, err);
    }
    if (ok && p->resource != NULL) {
        ok = ac_form_add(f, "resource", p->resource, err);
    }
    return ok;
}

bool authz_request_build(const struct authz_params *p,
                         struct authz_request *out, struct ac_err *err)
{
    struct ac_form f;
    char *query = NULL;
    bool ok = false;

    memset(out, 0, sizeof *out);
    ac_form_init(&f);
    if (strchr(p->endpoint, '#') != NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization_endpoint \"%s\" has a fragment (RFC 6749 §3.1: "
               "MUST NOT)",
               p->endpoint);
        goto out;
    }
    out->state = ac_random_token(STATE_BYTES, err);
    if (out->state == NULL || !draw_pkce(out, err) ||
        !add_params(p, out, &f, err)) {
        goto out;
    }
    query = ac_form_encode(&f);
    /* RFC 6749 §3.1: keep the endpoint's own query component. */
    if (query == NULL ||
        asprintf(&out->url, "%s%s%s", p->endpoint,
                 strchr(p->endpoint, '?') != NULL ? "&" : "?", query) < 0) {
        out->url = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    ok = true;
out:
    free(query);
    ac_form_free(&f);
    if (!ok) {
        authz_request_free(out);
    }
    return ok;
}

/* --- the response --------------------------------------------------------- */

/* Copy text that came from a server into a message, without control
 * characters, capped. */
static const char *clean(const char *s, char *buf, size_t n)
{
    size_t i = 0;
    for (; s != NULL && *s != '\0' && i + 1 < n && i < 120; s++) {
        buf[i++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    }
    buf[i] = '\0';
    return buf;
}

/* The iss-normalize mutation: URL-normalize (lower case, no trailing
 * slash, no default port) into buf, the mistake RFC 9207 §2.4 rules out. */
static const char *normalized(const char *url, char *buf, size_t n)
{
    size_t len = 0;
    for (const char *p = url; *p != '\0' && len + 1 < n; p++) {
        buf[len++] = (char)tolower((unsigned char)*p);
    }
    buf[len] = '\0';
    while (len > 0 && buf[len - 1] == '/') {
        buf[--len] = '\0';
    }
    char *port =
        strstr(buf, "://") != NULL ? strchr(strstr(buf, "://") + 3, ':') : NULL;
    if (port != NULL &&
        (strncmp(port, ":80", 3) == 0 || strncmp(port, ":443", 4) == 0)) {
        size_t plen = port[2] == '0' ? 3 : 4;
        if (port[plen] == '\0' || port[plen] == '/') {
            memmove(port, port + plen, strlen(port + plen) + 1);
        }
    }
    return buf;
}

static bool iss_equal(const char *iss, const char *issuer)
{
    char a[512], b[512];
    if (MUTATED("iss-normalize")) {
        return strcmp(normalized(iss, a, sizeof a),
                      normalized(issuer, b, sizeof b)) == 0;
    }
    return strcmp(iss, issuer) == 0;
}

/* RFC 9207 §2.4 with the MCP table: a present iss must be identical to the
 * recorded issuer (simple string comparison); an absent one is rejected
 * only when the AS advertised authorization_response_iss_parameter_supported.
 */
static bool iss_ok(const struct ac_form *f, const struct cb_expect *e,
                   struct ac_err *why)
{
    const char *iss = ac_form_get(f, "iss");
    char b1[128];
    if (MUTATED("no-iss-check")) {
        return true;
    }
    if (iss == NULL) {
        if (e->iss_supported || MUTATED("require-iss")) {
            AC_ERR(why, AC_ERR_PROTOCOL,
                   "the authorization response has no iss although the "
                   "server advertises authorization_response_iss_parameter_"
                   "supported (RFC 9207 §2.4: reject)");
            return false;
        }
        return true;
    }
    if (!iss_equal(iss, e->issuer)) {
        AC_ERR(why, AC_ERR_PROTOCOL,
               "the authorization response iss \"%s\" is not the recorded "
               "issuer \"%s\" (RFC 9207 §2.4: possible mix-up attack)",
               clean(iss, b1, sizeof b1), e->issuer);
        return false;
    }
    return true;
}

enum cb_verdict cb_judge(const char *query, const struct cb_expect *e,
                         char **code, struct ac_err *why)
{
    struct ac_form f;
    struct ac_err perr;
    enum cb_verdict v = CB_IGNORE;
    char b1[128], b2[128];

    *code = NULL;
    ac_form_init(&f);
    if (!ac_form_parse(query, &f, &perr)) {
        AC_ERR(why, AC_ERR_PROTOCOL, "malformed callback query: %s", perr.msg);
        goto out;
    }
    const char *state = ac_form_get(&f, "state");
    if (!MUTATED("no-state-check") && !MUTATED("no-state")) {
        if (state == NULL) {
            AC_ERR(why, AC_ERR_PROTOCOL,
                   "callback without state: ignored "
                   "(RFC 6749 §10.12)");
            goto out;
        }
        if (!ac_secret_eq(state, e->state)) {
            AC_ERR(why, AC_ERR_PROTOCOL,
                   "callback state does not match the request's: ignored "
                   "(RFC 6749 §10.12)");
            goto out;
        }
    }
    v = CB_FAIL;
    if (!iss_ok(&f, e, why)) {
        goto out; /* MCP: on mismatch, do not act on or show `error` */
    }
    const char *error = ac_form_get(&f, "error");
    if (error != NULL) {
        const char *desc = ac_form_get(&f, "error_description");
        AC_ERR(why, AC_ERR_PROTOCOL,
               "the authorization server answered error \"%s\"%s%s "
               "(RFC 6749 §4.1.2.1)",
               clean(error, b1, sizeof b1), desc != NULL ? ": " : "",
               desc != NULL ? clean(desc, b2, sizeof b2) : "");
        goto out;
    }
    const char *c = ac_form_get(&f, "code");
    if (c == NULL || *c == '\0') {
        AC_ERR(why, AC_ERR_PROTOCOL,
               "the authorization response has neither "
               "code nor error (RFC 6749 §4.1.2)");
        goto out;
    }
    *code = strdup(c);
    if (*code == NULL) {
        AC_ERR(why, AC_ERR_NOMEM, "oom");
        goto out;
    }
    v = CB_ACCEPT;
out:
    ac_form_free(&f);
    return v;
}

/* A registration the AS no longer knows shows an error page instead of a
 * redirect (RFC 6749 §4.1.2.1: no redirect for an unknown client). GET
 * the authorization URL without following redirects: a 4xx without
 * Location means the client is stale; then c->authz_stale is set, the
 * flow registers again (once), and false is returned. */
static bool probe_stale(struct mcpo_client *c, const char *url,
                        struct ac_err *err)
{
    struct ac_http_response resp;
    if (MUTATED("ignore-stale-client")) {
        return true;
    }
    if (!http_request(c, "GET", url, NULL, NULL, &resp, err)) {
        return false;
    }
    long status = resp.status;
    bool stale = status >= 400 && status < 500 &&
                 ac_http_header_get(&resp, "Location") == NULL;
    ac_http_response_free(&resp);
    if (stale) {
        c->authz_stale = true;
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the authorization endpoint rejects client %s (HTTP %ld "
               "without a redirect)",
               c->client_id, status);
        return false;
    }
    return true;
}

/* A cached registration may be unknown to a restarted AS: probe once per
 * registration before a user is sent there. */
static bool preflight(struct mcpo_client *c, const char *url,
                      struct ac_err *err)
{
    if (!c->client_cached) {
        return true;
    }
    c->client_cached = false; /* checked once per registration */
    return probe_stale(c, url, err);
}

/* The user agent failed (the headless one saw no redirect to us, or the
 * blocking $BROWSER exited non-zero): was it the AS's error page for a
 * client it forgot? Keeps `err` when not. */
static void agent_failed(struct mcpo_client *c, const char *url,
                         struct ac_err *err)
{
    struct ac_err perr;
    ac_err_clear(&perr);
    if (!probe_stale(c, url, &perr) && c->authz_stale && err != NULL) {
        *err = perr;
    }
}

/* --- a pasted redirect URL (--no-browser) --------------------------------- */

#define PASTE_MAX 8192

/* The user's terminal: lines read from stdin without blocking. */
struct paste {
    char buf[PASTE_MAX];
    size_t len;
    bool eof; /* stdin closed or unreadable: only the listener is left */
};

/* A complete line from stdin, if one is there now (copied into `line`,
 * without its terminator). */
static bool paste_line(struct paste *p, char *line, size_t n)
{
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    char *nl;
    while (!p->eof && (nl = memchr(p->buf, '\n', p->len)) == NULL) {
        if (poll(&pfd, 1, 0) <= 0) {
            return false;
        }
        if (p->len >= sizeof p->buf - 1) {
            p->len = 0; /* a line longer than any URL: drop it */
        }
        ssize_t got =
            read(STDIN_FILENO, p->buf + p->len, sizeof p->buf - 1 - p->len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
            return false;
        }
        if (got <= 0) {
            p->eof = true;
            break;
        }
        p->len += (size_t)got;
    }
    nl = memchr(p->buf, '\n', p->len);
    if (nl == NULL) {
        return false;
    }
    size_t k = (size_t)(nl - p->buf);
    snprintf(line, n, "%.*s", (int)k, p->buf);
    memmove(p->buf, nl + 1, p->len - k - 1);
    p->len -= k + 1;
    return true;
}

/* Judge a pasted URL like a callback: it must be a redirect to our
 * redirect URI, and its query passes the same state / iss / error checks
 * (cb_judge). */
enum cb_verdict paste_judge(const char *pasted, const char *redirect_uri,
                            const struct cb_expect *e, char **code,
                            struct ac_err *why)
{
    size_t n = strlen(redirect_uri);
    char query[PASTE_MAX];
    *code = NULL;
    while (*pasted == ' ' || *pasted == '\t') {
        pasted++;
    }
    if (strncmp(pasted, redirect_uri, n) != 0 || pasted[n] != '?') {
        AC_ERR(why, AC_ERR_PROTOCOL,
               "the pasted text is not a redirect to %s: ignored",
               redirect_uri);
        return CB_IGNORE;
    }
    /* Without the fragment and trailing whitespace (a terminal's CR). */
    snprintf(query, sizeof query, "%.*s",
             (int)strcspn(pasted + n + 1, "# \t\r"), pasted + n + 1);
    return cb_judge(query, e, code, why);
}

/* A pasted line decided the wait? *ok then says how. */
static bool paste_step(struct mcpo_client *c, struct paste *p,
                       const struct cb_expect *e, char **code, bool *ok,
                       struct ac_err *err)
{
    char line[PASTE_MAX];
    struct ac_err why;
    if (p == NULL || !paste_line(p, line, sizeof line) || line[0] == '\0') {
        return false;
    }
    ac_err_clear(&why);
    switch (paste_judge(line, c->redirect_uri, e, code, &why)) {
    case CB_ACCEPT:
        *ok = true;
        return true;
    case CB_FAIL:
        if (err != NULL) {
            *err = why;
        }
        *ok = false;
        return true;
    case CB_IGNORE:
        break;
    }
    fprintf(stderr, "mcp-oauth: %s; paste the URL again or wait\n", why.msg);
    return false;
}

/* --- the run -------------------------------------------------------------- */

/* Hand the URL to the user agent and wait for a decisive callback (or, in
 * --no-browser mode, a pasted redirect URL: whichever comes first). */
/* Hand `url` to the user agent the client was configured with: the
 * in-process headless one (which delivers the callback before returning:
 * *limit shrinks to a grace period), a printed URL with a paste prompt
 * (*paste), or $BROWSER (*br). False when it could not be started. */
static bool start_agent(struct mcpo_client *c, const char *url,
                        struct browser_run *br, struct paste **paste,
                        long *limit, struct ac_err *err)
{
    if (c->browser == MCPO_BROWSER_HEADLESS) {
        if (!headless_deliver(c, url, c->redirect_uri, err)) {
            agent_failed(c, url, err);
            return false;
        }
        *limit = 2000; /* the callback has been delivered by now */
        return true;
    }
    if (c->browser == MCPO_BROWSER_PRINT) {
        fprintf(stderr,
                "Open this URL in a browser to authorize:\n%s\n"
                "If the browser cannot reach %s afterwards, paste the URL "
                "it was sent to here and press Enter.\n",
                url, c->redirect_uri);
        *paste = calloc(1, sizeof **paste);
        return true;
    }
    return browser_run_start(br, url, err);
}

/* No code came: say why (the agent failed, only invalid responses came,
 * or nothing within the timeout). */
static void no_code(struct mcpo_client *c, const char *url, bool agent_broke,
                    struct ac_err *err)
{
    struct ac_err why;

    if (agent_broke) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the user agent ($BROWSER) failed without delivering the "
               "authorization response");
        agent_failed(c, url, err);
        if (c->authz_stale) {
            return;
        }
    }
    if (cb_listener_ignored(c->listener, &why) > 0) {
        AC_ERR(err, AC_ERR_PROTOCOL, "no valid authorization response: %s",
               why.msg);
    } else if (!agent_broke) {
        AC_ERR(err, AC_ERR_TIMEOUT,
               "no authorization response on %s within %d s", c->redirect_uri,
               c->callback_timeout_s);
    }
}

static bool await_code(struct mcpo_client *c, const char *url,
                       const struct cb_expect *e, char **code,
                       struct ac_err *err)
{
    struct paste *paste = NULL;
    struct browser_run br = {0};
    long waited = 0, limit = (long)c->callback_timeout_s * 1000;
    bool ok = false, agent_broke = false;

    if (!start_agent(c, url, &br, &paste, &limit, err)) {
        goto out;
    }
    for (int step = FIRST_POLL_MS;;
         step = step * 2 > POLL_MS ? POLL_MS : step * 2) {
        int64_t t0 = ac_mono_ns();
        /* The callback wakes us at once; the user agent's exit is seen at
         * the next poll, so poll often at first (a headless agent exits
         * within milliseconds), then every POLL_MS. */
        enum cb_wait w = cb_listener_wait(c->listener, step, code, err);
        if (w != CBW_PENDING) {
            ok = w == CBW_DONE;
            goto out;
        }
        if (paste_step(c, paste, e, code, &ok, err)) {
            goto out;
        }
        waited += (long)((ac_mono_ns() - t0) / 1000000);
        enum browser_state bs =
            br.entries != NULL ? browser_run_poll(&br) : BR_RUNNING;
        /* A blocking user agent returns once it is done: exiting non-zero
         * it failed (e.g. the AS showed an error page). */
        agent_broke = bs == BR_FAILED && c->browser_blocking;
        if (bs == BR_FAILED && !agent_broke) {
            fprintf(stderr,
                    "mcp-oauth: could not start a browser; open this "
                    "URL to authorize:\n%s\n",
                    url);
            browser_run_end(&br);
            bs = BR_RUNNING;
        }
        bool agent_done = c->browser == MCPO_BROWSER_HEADLESS || agent_broke ||
                          (c->browser_blocking && bs == BR_EXITED_OK);
        if (agent_done || waited >= limit) {
            /* One last look: the final hop may have just landed. */
            if (cb_listener_wait(c->listener, 0, code, err) == CBW_DONE) {
                ok = true;
                goto out;
            }
            break;
        }
    }
    no_code(c, url, agent_broke, err);
out:
    free(paste);
    browser_run_end(&br);
    return ok;
}

static bool iss_supported(const json_t *meta)
{
    return json_is_true(json_object_get(
        meta, "authorization_response_iss_parameter_supported"));
}

bool authorize_run(struct mcpo_client *c, struct ac_err *err)
{
    struct authz_request r = {0};
    char *code = NULL;
    bool nomem, ok = false;

    if (c->as_meta == NULL || c->client_id == NULL) {
        AC_ERR(err, AC_ERR_STATE, "discover and register before authorizing");
        return false;
    }
    if (!registration_ensure_listener(c, err)) {
        return false;
    }
    free(c->requested_scope);
    c->requested_scope = authz_select_scope(c, &nomem);
    struct authz_params p = {
        .endpoint = ac_json_str(c->as_meta, "authorization_endpoint"),
        .client_id = c->client_id,
        .redirect_uri = c->redirect_uri,
        .scope = c->requested_scope,
        .resource = MUTATED("no-resource") ? NULL : discovery_resource_param(c),
    };
    /* MCP: record the issuer with the state and verifier of this request,
     * before the user agent is sent anywhere. */
    struct cb_expect e = {NULL, c->issuer, iss_supported(c->as_meta)};
    if (nomem || !authz_request_build(&p, &r, err)) {
        goto out;
    }
    e.state = r.state;
    if (!cb_listener_arm(c->listener, &e, err) || !preflight(c, r.url, err) ||
        !await_code(c, r.url, &e, &code, err) ||
        !token_exchange_code(c, code, r.verifier, err)) {
        goto out;
    }
    ok = true;
out:
    ac_secret_free(code);
    authz_request_free(&r);
    return ok;
}
