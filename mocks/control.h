/* The control API of a mock world: a loopback HTTP server (its own port)
 * that resets state, runs state operations, moves the virtual clock and
 * returns the recorded exchanges with secrets redacted. See docs/MOCKS.md
 * "Control API". */
#ifndef MO_CONTROL_H
#define MO_CONTROL_H

#include <stdbool.h>

#include "common/err.h"

struct mo_control;
struct mo_shared;
struct mo_world;

/* Start the control server for world `w` (borrowed; must outlive it).
 * Called with sh->lock held (handlers take it themselves). On success
 * *out is new (mo_control_free). */
bool mo_control_start(struct mo_world *w, struct mo_shared *sh,
                      struct mo_control **out, struct ac_err *err);

/* "http://127.0.0.1:PORT", borrowed until mo_control_free. */
const char *mo_control_url(const struct mo_control *c);

/* The control API's server, borrowed until mo_control_free. */
struct mo_httpd *mo_control_httpd(const struct mo_control *c);

/* Stop and free. NULL-safe. */
void mo_control_free(struct mo_control *c);

#endif
