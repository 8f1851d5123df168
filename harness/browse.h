/* `authcheck browse`: the headless user agent the harness hands to clients
 * as $BROWSER. */
#ifndef HB_BROWSE_H
#define HB_BROWSE_H

#include <stdio.h>

/* Most redirects followed before giving up (so at most HB_MAX_HOPS + 1
 * requests). */
#define HB_MAX_HOPS 10

/* Recorded response bodies are cut to this many bytes. */
#define HB_BODY_CAP (16u * 1024u)

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
