/* The one libmicrohttpd wrapper every mock server uses (STYLE.md §8).
 *
 * A server listens on 127.0.0.1 with a kernel-assigned port, served by one
 * internal polling thread. The wrapper accumulates request bodies into a
 * capped buffer, dispatches through a route table (method + exact path ->
 * handler + symbolic endpoint name), and records every finished exchange in
 * the shared transcript from its request-completed callback, the one place
 * that frees a request. Handlers never see upload_data or req_cls: they get
 * a parsed struct mo_req and fill a struct mo_reply, which the wrapper turns
 * into the response (so a later rules engine can patch it before sending). */
#ifndef MO_HTTPD_H
#define MO_HTTPD_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"

struct mo_transcript;

/* Default cap on request bodies; larger ones get 413. */
#define MO_HTTPD_BODY_MAX (256u * 1024u)

struct mo_header {
    char *name;
    char *value;
};

/* A request as handlers see it. Everything is borrowed, valid for the
 * duration of the handler call. */
struct mo_req {
    const char *method;
    const char *path;  /* raw (still percent-encoded) path, no query */
    const char *query; /* raw query without '?', NULL when absent */
    const char *url;   /* absolute: origin + raw request target */
    const struct mo_header *headers; /* in received order */
    size_t nheaders;
    const char *body; /* NUL-terminated; "" when empty */
    size_t body_len;
    const char *endpoint; /* symbolic name of the matched route */
    int64_t t_ns;         /* ac_mono_ns() when the request line arrived */
    const char *server;   /* the server's name ("as", "mcp", ...) */
};

/* First value of a request header (case-insensitive name), or NULL. */
const char *mo_req_header(const struct mo_req *req, const char *name);

/* How many times a header occurs in the request. */
size_t mo_req_header_count(const struct mo_req *req, const char *name);

/* Does the request's Content-Type media type equal `type` (parameters such
 * as charset are ignored, comparison case-insensitive)? */
bool mo_req_content_type_is(const struct mo_req *req, const char *type);

/* RFC 6749 §2.3.1 Basic credentials of the Authorization header: base64 of
 * urlencode(id) ":" urlencode(secret). On success *id is a new string
 * (free()) and, when `secret` is non-NULL, *secret too (ac_secret_free()).
 * False, with both NULL, when the header is absent, not Basic, or
 * malformed. */
bool mo_req_basic(const struct mo_req *req, char **id, char **secret);

/* A response being built by a handler. The wrapper owns it. */
struct mo_reply {
    int status; /* 0 until a reply_* function set it */
    struct mo_header *headers;
    size_t nheaders;
    size_t cap;
    char *body; /* NULL for an empty body */
    size_t body_len;
};

void mo_reply_clear(struct mo_reply *rep);

/* Add a response header (copied). Headers are sent in the order added. */
bool mo_reply_header(struct mo_reply *rep, const char *name, const char *value);

/* Set status and a copied body with the given Content-Type (body may be
 * NULL: empty). Replaces any earlier body; headers already added stay. */
bool mo_reply_body(struct mo_reply *rep, int status, const char *ctype,
                   const char *body, size_t len);

/* Serialise `doc` (borrowed) as application/json. */
bool mo_reply_json(struct mo_reply *rep, int status, const json_t *doc);

/* RFC 6749 §5.2 error response: JSON {error, error_description?} with
 * Cache-Control: no-store and Pragma: no-cache. `description` may be NULL;
 * it goes out as mo_oauth_text makes it. */
bool mo_reply_oauth_error(struct mo_reply *rep, int status, const char *code,
                          const char *description);

/* An error_description as RFC 6749 §5.2 and RFC 6750 §3 allow it, only
 * %x20-21 / %x23-5B / %x5D-7E: `src` copied into `dst` (`n` bytes with
 * the NUL, truncated to fit) with a double quote or backslash made ' and
 * any other byte outside the set (a control, any byte of a non-ASCII
 * character, such as a client's own bytes echoed back) made ?. The
 * descriptions the mocks write themselves are plain ASCII already; this
 * keeps what a client sent from making them non-conformant, or from
 * failing to become JSON at all. */
void mo_oauth_text(char *dst, size_t n, const char *src);
#define MO_OAUTH_TEXT_MAX 512

/* A JSON string of `len` bytes a client sent: as they are when they are
 * UTF-8, else with every non-ASCII byte made ? (a request's bytes are
 * anything; JSON holds only UTF-8, and an answer or a transcript entry
 * that could not be built would be the mocks' own 500). NULL only when
 * out of memory. */
json_t *mo_json_text(const char *data, size_t len);

/* 302 Found with Location: `location`, no body. */
bool mo_reply_redirect(struct mo_reply *rep, const char *location);

bool mo_reply_html(struct mo_reply *rep, int status, const char *html);

/* Status only, no body (202, 204, 200 for RFC 7009). */
bool mo_reply_empty(struct mo_reply *rep, int status);

/* A route handler: parse -> validate -> act -> reply. Returns false only
 * on our own failure (out of memory); the wrapper then answers 500. `ctx`
 * is the route's context pointer. */
typedef bool (*mo_handler_fn)(void *ctx, const struct mo_req *req,
                              struct mo_reply *rep);

/* What the hooks (the rules engine) ask the wrapper to do with a reply
 * besides its content. Zeroed before the hooks run. */
struct mo_fx {
    int delay_ms;  /* > 0: hold the reply this long (MHD suspend/resume) */
    bool drop;     /* close the connection without an answer (MHD_NO) */
    bool hang;     /* never answer: suspended until the server stops */
    json_t *fired; /* owned: indexes of the rules that fired, or NULL;
                      recorded as the exchange's "rules" member */
};

/* Hooks around every request (routed or not, except a declared body over
 * the cap), called with the server's lock held. `before` may answer
 * itself: it returns true when it filled `rep` (the handler and the
 * default 404/405 are then skipped). `after` may patch `rep`. Both may
 * set `fx`. */
typedef bool (*mo_before_fn)(void *ctx, const struct mo_req *req,
                             struct mo_reply *rep, struct mo_fx *fx);
typedef void (*mo_after_fn)(void *ctx, const struct mo_req *req,
                            struct mo_reply *rep, struct mo_fx *fx);

struct mo_httpd;

/* Create a server (not yet listening). `server` names it in the transcript
 * ("as", "mcp", ...; copied). `transcript` is borrowed and must outlive the
 * server. `lock` (borrowed, may be NULL) is held around every handler call,
 * so handlers of several servers can share state. On success *out is new
 * (mo_httpd_free). */
bool mo_httpd_new(const char *server, struct mo_transcript *transcript,
                  pthread_mutex_t *lock, struct mo_httpd **out,
                  struct ac_err *err);

/* Add a route before mo_httpd_start. `method`, `path` and `endpoint` are
 * copied; `ctx` is borrowed. Adding the same method + path twice is a
 * no-op (the first wins), so callers may add coinciding well-known forms. */
bool mo_httpd_route(struct mo_httpd *h, const char *method, const char *path,
                    const char *endpoint, mo_handler_fn fn, void *ctx,
                    struct ac_err *err);

/* As mo_httpd_route, for a route served on behalf of another server:
 * requests to it are recorded (and matched by rules) with `server`
 * (copied; NULL: this server's name). */
bool mo_httpd_route_for(struct mo_httpd *h, const char *server,
                        const char *method, const char *path,
                        const char *endpoint, mo_handler_fn fn, void *ctx,
                        struct ac_err *err);

/* Install hooks (before start); `ctx` is borrowed. */
void mo_httpd_set_hooks(struct mo_httpd *h, mo_before_fn before,
                        mo_after_fn after, void *ctx);

/* Serve with a pool of `n` epoll threads (n > 1) instead of one polling
 * thread. Before start. */
void mo_httpd_set_threads(struct mo_httpd *h, unsigned n);

/* The host of the server's origin (what mo_httpd_origin and the
 * recorded `url` say) instead of 127.0.0.1; it still listens on
 * 127.0.0.1. `host` is borrowed (a literal). Before mo_httpd_listen. */
void mo_httpd_set_host(struct mo_httpd *h, const char *host);

/* Serve HTTPS with this key and certificate (PEM, borrowed: they must
 * outlive the server; common/tlsca.h's live as long as the process).
 * Before mo_httpd_listen: the origin becomes "https://127.0.0.1:PORT".
 * A TLS connection that closes before any request (a client refusing the
 * certificate) is recorded as an exchange of endpoint "tls"
 * (docs/TRANSCRIPT.md). */
void mo_httpd_set_tls(struct mo_httpd *h, const char *key_pem,
                      const char *cert_pem);

/* A reference to GnuTLS, which libmicrohttpd serves HTTPS with: taken
 * before starting a daemon with MHD_USE_TLS, given back after stopping it
 * (or when it did not start). The static programs initialise GnuTLS only
 * when such a reference is first taken (link/gnutls_on_demand.c), so a
 * TLS daemon started without one fails to start. mo_httpd does this
 * itself; other HTTPS listeners (harness/server_listen.c) call these. */
bool mo_tls_library_acquire(struct ac_err *err);
void mo_tls_library_release(void);

/* Bind a listening socket on 127.0.0.1:0 without serving yet, so that
 * the port and origin are known (and URLs built from them) before any
 * request can be dispatched. Idempotent; mo_httpd_start calls it. */
bool mo_httpd_listen(struct mo_httpd *h, struct ac_err *err);

/* Bind 127.0.0.1:0 (unless mo_httpd_listen did) and start serving. */
bool mo_httpd_start(struct mo_httpd *h, struct ac_err *err);

/* "http://127.0.0.1:PORT", borrowed, valid until mo_httpd_free. NULL
 * before mo_httpd_listen / start. */
const char *mo_httpd_origin(const struct mo_httpd *h);

/* Serve one request in-process, without a socket (fuzzing, tests): route
 * it, run the hooks and the handler exactly as for a request off the
 * wire (body cap and 413 included), record the exchange in the
 * transcript, and hand the reply over in *rep (the caller's;
 * mo_reply_clear). `target` is the raw request target ("/p?q"),
 * `headers` (borrowed) the request's in order, `body` may be NULL. A
 * rule's delay is not waited for; a drop or hang is recorded as such and
 * reported through `*dropped` (may be NULL) with an empty *rep. Thread-
 * safe like a served request. False only on our failure (out of memory). */
bool mo_httpd_serve(struct mo_httpd *h, const char *method, const char *target,
                    const struct mo_header *headers, size_t nheaders,
                    const char *body, size_t body_len, struct mo_reply *rep,
                    bool *dropped, struct ac_err *err);

/* Stop (finishing the transcript entries of open requests) and free.
 * NULL-safe. */
void mo_httpd_free(struct mo_httpd *h);

#endif
