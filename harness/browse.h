/* `authcheck browse`: the headless user agent the harness hands to clients
 * as $BROWSER. */
#ifndef HB_BROWSE_H
#define HB_BROWSE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Most redirects followed before giving up (so at most HB_MAX_HOPS + 1
 * requests). */
#define HB_MAX_HOPS 10

/* Recorded response bodies are cut to this many bytes. */
#define HB_BODY_CAP (16u * 1024u)

/* A refused loopback target is retried this long by default. */
#define HB_RETRY_DEFAULT_MS 5000

/* One walk of the user agent (hb_browse). Zero-initialized members mean:
 * no record, no forged callback, no retry, the environment's CA bundle,
 * no deadline, never stopped, lines to stdout and stderr. */
struct hb_options {
    const char *record;        /* --record FILE, or NULL */
    bool forge_callback_first; /* --forge-callback-first */
    long connect_retry_ms;     /* --connect-retry MS */
    const char *ca_file;       /* the CA bundle to trust (PEM), or NULL:
                                  $CURL_CA_BUNDLE / $SSL_CERT_FILE */
    int64_t deadline_ns;       /* ac_mono_ns() time no hop may outlast, or
                                  0: none (each hop has its own timeout) */
    /* Asked before each request and each retry, and while a request
     * runs (ac_http_request.stop): true ends the walk at once (status 1)
     * and records nothing more, as killing the stand-alone command with
     * the client's process group would. */
    bool (*stop)(void *arg);
    void *stop_arg;
    /* Each line the command would print (to stdout or stderr), with its
     * newline; NULL: printed. */
    void (*print)(void *arg, const char *line);
    void *print_arg;
};

/* The walk of `authcheck browse` from `url`, in the calling thread:
 * returns the command's exit status (0 final response 2xx, 1 otherwise,
 * 2 when `url` is not http(s)). Thread-safe (no shared state besides the
 * record file, appended a line at a time); ac_http_global_init must have
 * been called. */
int hb_browse(const char *url, const struct hb_options *o);

/* `authcheck browse [--record FILE] [--forge-callback-first]
 * [--connect-retry MS] URL`, argv[0] being "browse": GET the URL and follow
 * 3xx Location headers (http and https only, relative references resolved)
 * up to HB_MAX_HOPS redirects, appending each hop as one JSON line
 * (docs/TRANSCRIPT.md, server "browser", endpoint "hop") to FILE. A hop to
 * a loopback address whose connection is refused is retried for up to MS
 * milliseconds (default 5000): the first refusal is recorded at once
 * ("retrying": true), the outcome as a second hop with "refused_retries".
 * Prints where it ended. Returns the exit status: 0 when the final response is
 * 2xx, 1 when it is not (or a hop failed), 2 on usage error. */
int hb_main(int argc, char **argv);

/* The usage text of `authcheck browse`. */
void hb_usage(FILE *f);

#endif
