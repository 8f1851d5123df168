/* HTTP helpers of the client on top of common/httpc.h: the client's
 * timeouts on every request, JSON document fetches, and the -v trace
 * (every exchange written to stderr with secrets redacted). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "common/httpc.h"
#include "common/json.h"
#include "common/redact.h"

/* TLS verification has no off switch in the client; only the test
 * build's mutations turn it off (tests/test_matrix.c). */
static bool no_tls_verify(void)
{
    return MUTATED("tls-no-verify") || MUTATED("tls-insecure");
}

bool http_request(struct mcpo_client *c, const char *method, const char *url,
                  const char *const *headers, const char *body,
                  struct ac_http_response *resp, struct ac_err *err)
{
    struct ac_http_request req = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = body,
        .timeout_ms = c->http_timeout_ms,
        .mutant_no_tls_verify = no_tls_verify(),
    };
    memset(resp, 0, sizeof *resp);
    return ac_http_do(&req, resp, err);
}

bool http_get_json(struct mcpo_client *c, const char *url, long *status,
                   json_t **doc, struct ac_err *err)
{
    static const char *const hdrs[] = {"Accept: application/json", NULL};
    struct ac_http_response resp;
    struct ac_err perr;
    bool ok = false;

    *status = 0;
    *doc = NULL;
    if (MUTATED("tls-allow-downgrade") || MUTATED("tls-insecure")) {
        /* the mutant follows discovery redirects, to http:// too */
        struct ac_http_request req = {
            .method = "GET",
            .url = url,
            .headers = hdrs,
            .timeout_ms = c->http_timeout_ms,
            .mutant_follow_redirects = true,
            .mutant_no_tls_verify = no_tls_verify(),
        };
        memset(&resp, 0, sizeof resp);
        if (!ac_http_do(&req, &resp, err)) {
            goto out;
        }
    } else if (!http_request(c, "GET", url, hdrs, NULL, &resp, err)) {
        goto out;
    }
    *status = resp.status;
    if (resp.status != 200) {
        AC_ERR(err, AC_ERR_PROTOCOL, "GET %s answered HTTP %ld", url,
               resp.status);
        goto out;
    }
    *doc = ac_json_parse_object(resp.body, resp.body_len, &perr);
    if (*doc == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL, "GET %s: body is not a JSON object: %s",
               url, perr.msg);
        goto out;
    }
    ok = true;
out:
    ac_http_response_free(&resp);
    return ok;
}

/* --- trace ---------------------------------------------------------------- */

static bool trace_on;

static void trace_body(const char *prefix, const char *ctype, const char *body)
{
    if (body == NULL || *body == '\0') {
        return;
    }
    char *red = ac_redact_body(ctype, body, NULL);
    fprintf(stderr, "%s\n%s\n", prefix, red != NULL ? red : "[unprintable]");
    free(red);
}

static void trace_req_header(const char *line, const char **ctype)
{
    const char *colon = strchr(line, ':');
    if (colon == NULL) {
        return;
    }
    char *name = strndup(line, (size_t)(colon - line));
    const char *value = colon + 1;
    while (*value == ' ') {
        value++;
    }
    char *red = name != NULL ? ac_redact_header(name, value) : NULL;
    fprintf(stderr, "> %s: %s\n", name != NULL ? name : "?",
            red != NULL ? red : "[redacted]");
    if (name != NULL && strcasecmp(name, "Content-Type") == 0) {
        *ctype = value;
    }
    free(red);
    free(name);
}

static void trace_fn(const struct ac_http_request *req,
                     const struct ac_http_response *resp, void *arg)
{
    (void)arg;
    const char *ctype = NULL;
    char *url = ac_redact_url(req->url);
    fprintf(stderr, "> %s %s\n", req->method != NULL ? req->method : "GET",
            url != NULL ? url : "[url]");
    free(url);
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
        trace_req_header(req->headers[i], &ctype);
    }
    trace_body(">", ctype, req->body);
    if (resp == NULL) {
        fprintf(stderr, "< (no response)\n\n");
        return;
    }
    fprintf(stderr, "< HTTP %ld\n", resp->status);
    for (size_t i = 0; i < resp->nheaders; i++) {
        const char *name = resp->headers[i].name;
        /* A Location may carry a code or a token in its query. */
        char *red = strcasecmp(name, "Location") == 0
                        ? ac_redact_url(resp->headers[i].value)
                        : ac_redact_header(name, resp->headers[i].value);
        fprintf(stderr, "< %s: %s\n", name, red != NULL ? red : "[redacted]");
        free(red);
    }
    trace_body("<", ac_http_header_get(resp, "Content-Type"), resp->body);
    fputc('\n', stderr);
}

void http_trace_enable(bool on)
{
    trace_on = on;
    ac_http_set_trace(on ? trace_fn : NULL, NULL);
}

void http_trace_note(const char *fmt, ...)
{
    if (!trace_on) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fputs("* ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
