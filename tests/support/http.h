/* A bare libcurl client for tests (no redirect following, as
 * libmicrohttpd's own tests do) and small helpers on its responses. Only
 * common/, libcurl and Jansson: every test program links it. */
#ifndef TEST_SUPPORT_HTTP_H
#define TEST_SUPPORT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct th_resp {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char *hdrs[64]; /* "Name: value" lines, CRLF stripped */
    size_t nh;
};

/* A CURLOPT_WRITEFUNCTION appending to the struct th_resp in `arg`, for
 * tests that drive libcurl themselves. */
size_t th_on_body(char *p, size_t size, size_t n, void *arg);

/* Frees what *r holds and zeroes it. */
void th_resp_free(struct th_resp *r);

/* One request. `headers`: NULL-terminated "Name: value" list or NULL;
 * `body` may be NULL (`body_len` 0: strlen). Fills *r, which the caller
 * frees with th_resp_free (also on failure). Returns the HTTP status, 0 on
 * transport failure. */
long th_http(const char *method, const char *url, const char *const *headers,
             const char *body, size_t body_len, struct th_resp *r);

/* POST a form body with an optional extra header `auth` (may be NULL). */
long th_post_form(const char *url, const char *auth, const char *body,
                  struct th_resp *r);

/* POST a JSON body. */
long th_post_json(const char *url, const char *body, struct th_resp *r);

/* First value of a response header (case-insensitive), borrowed from *r;
 * NULL when absent. */
const char *th_header(const struct th_resp *r, const char *name);

/* The body parsed as JSON: a new reference or NULL. */
json_t *th_json(const struct th_resp *r);

/* A string member of a JSON response body: a new string or NULL. */
char *th_json_member(const struct th_resp *r, const char *name);

/* The "error" member of a JSON response body: a new string or NULL. */
char *th_error(const struct th_resp *r);

/* The JSON-RPC error code of a response body, 0 when none. */
long th_rpc_code(const struct th_resp *r);

/* A query parameter of a URL (e.g. a Location): a new string or NULL. */
char *th_query_param(const char *url, const char *name);

/* printf into a new string (NULL when out of memory). */
__attribute__((format(printf, 1, 2))) char *th_fmt(const char *fmt, ...);

#endif
