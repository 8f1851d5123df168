/* A bare libcurl client for tests: see http.h. */
#include "tests/support/http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/form.h"
#include "common/json.h"

size_t th_on_body(char *p, size_t size, size_t n, void *arg)
{
    struct th_resp *r = arg;
    size_t add = size * n;
    char *b = realloc(r->body, r->len + add + 1);

    if (b == NULL) {
        return 0;
    }
    memcpy(b + r->len, p, add);
    r->len += add;
    b[r->len] = '\0';
    r->body = b;
    return add;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct th_resp *r = arg;
    size_t len = size * n;

    while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n')) {
        len--;
    }
    if (memchr(p, ':', len) != NULL && r->nh < 64) {
        r->hdrs[r->nh++] = strndup(p, len);
    }
    return size * n;
}

void th_resp_free(struct th_resp *r)
{
    free(r->body);
    for (size_t i = 0; i < r->nh; i++) {
        free(r->hdrs[i]);
    }
    memset(r, 0, sizeof(*r));
}

long th_http(const char *method, const char *url, const char *const *headers,
             const char *body, size_t body_len, struct th_resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *hl = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    if (c == NULL) {
        return 0;
    }
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        hl = curl_slist_append(hl, headers[i]);
    }
    /* Keep bodies exact: no "Expect: 100-continue" round trip. */
    hl = curl_slist_append(hl, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, th_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
                         (long)(body_len != 0 ? body_len : strlen(body)));
    }
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    } else {
        /* Status 0 alone says nothing when an assert on it fails. */
        fprintf(stderr, "th_http: %s %s: %s\n", method, url,
                errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
    }
    curl_slist_free_all(hl);
    curl_easy_cleanup(c);
    if (r->body == NULL) {
        r->body = strdup("");
    }
    return r->status;
}

long th_post_form(const char *url, const char *auth, const char *body,
                  struct th_resp *r)
{
    const char *h[] = {"Content-Type: application/x-www-form-urlencoded", auth,
                       NULL};

    return th_http("POST", url, h, body, 0, r);
}

long th_post_json(const char *url, const char *body, struct th_resp *r)
{
    const char *h[] = {"Content-Type: application/json", NULL};

    return th_http("POST", url, h, body, 0, r);
}

const char *th_header(const struct th_resp *r, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < r->nh; i++) {
        if (strncasecmp(r->hdrs[i], name, n) == 0 && r->hdrs[i][n] == ':') {
            const char *v = r->hdrs[i] + n + 1;

            return v + strspn(v, " ");
        }
    }
    return NULL;
}

json_t *th_json(const struct th_resp *r)
{
    return json_loads(r->body, 0, NULL);
}

char *th_json_member(const struct th_resp *r, const char *name)
{
    json_t *doc = th_json(r);
    const char *v = ac_json_str(doc, name);
    char *out = v != NULL ? strdup(v) : NULL;

    json_decref(doc);
    return out;
}

char *th_error(const struct th_resp *r)
{
    return th_json_member(r, "error");
}

long th_rpc_code(const struct th_resp *r)
{
    json_t *doc = th_json(r);
    long code = (long)json_integer_value(
        json_object_get(json_object_get(doc, "error"), "code"));

    json_decref(doc);
    return code;
}

char *th_query_param(const char *url, const char *name)
{
    const char *q = url != NULL ? strchr(url, '?') : NULL;
    struct ac_form f;
    const char *v;
    char *out = NULL;

    if (q == NULL || !ac_form_parse(q + 1, &f, NULL)) {
        return NULL;
    }
    v = ac_form_get(&f, name);
    out = v != NULL ? strdup(v) : NULL;
    ac_form_free(&f);
    return out;
}

char *th_fmt(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        s = NULL;
    }
    va_end(ap);
    return s;
}
