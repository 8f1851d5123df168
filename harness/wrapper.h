/* The $BROWSER wrapper's protocol with the harness, in one place for both
 * ends: the harness (runner.c), which makes the FIFOs and writes the
 * wrapper script, and authcheck-browser (browser_helper.c), the static
 * program that runs the script's fast path when the script's first line
 * can name it (docs/PERFORMANCE.md, "The user agent in the harness
 * process" and "The -j ceiling measured on the suite, and a static
 * wrapper interpreter").
 *
 * In the scenario's work directory: the wrapper claims one of HB_SLOTS
 * slots by creating HB_CLAIM_PREFIX N with O_EXCL (so two wrappers never
 * share a slot), writes "N URL\n" to HB_REQUEST_FIFO in one write (under
 * PIPE_BUF), reads the decimal exit status the harness writes to
 * HB_STATUS_PREFIX N and exits with it. A URL of HB_URL_MAX bytes or
 * more, or with a newline, a call without exactly one argument, or a
 * ninth call in one scenario runs `authcheck browse` instead. */
#ifndef AUTHCHECK_HARNESS_WRAPPER_H
#define AUTHCHECK_HARNESS_WRAPPER_H

/* At most 10: the harness reads the slot as one digit (runner.c serve). */
#define HB_SLOTS 8
#define HB_URL_MAX 3000
#define HB_REQUEST_FIFO "browse.in"
#define HB_CLAIM_PREFIX "browse.claim."
#define HB_STATUS_PREFIX "browse.st."

/* The wrapper's interpreter, installed next to authcheck. */
#define HB_HELPER_NAME "authcheck-browser"

#endif
