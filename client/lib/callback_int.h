/* The loopback redirect-URI listener (callback.c) and the validation of
 * the authorization response it receives (authorize.c). */
#ifndef MCPO_CALLBACK_INT_H
#define MCPO_CALLBACK_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* What the client expects of the authorization response of one request. */
struct cb_expect {
    const char *state;  /* the state sent */
    const char *issuer; /* the recorded issuer (RFC 9207) */
    bool iss_supported; /* authorization_response_iss_parameter_supported */
};

enum cb_verdict {
    CB_ACCEPT, /* our response, valid: *code set */
    CB_IGNORE, /* not ours (missing/mismatched state, malformed): keep
                  waiting for the real one */
    CB_FAIL,   /* ours, but an error response or an iss mismatch: stop */
};

/* Judge the query string of a callback (pure). On CB_ACCEPT *code is a new
 * string (ac_secret_free); otherwise `why` says why (never quoting error
 * members when the iss check failed, MCP authorization response
 * validation). `expect` is borrowed. */
enum cb_verdict cb_judge(const char *query, const struct cb_expect *expect,
                         char **code, struct ac_err *why);

struct cb_listener;

/* Listen on 127.0.0.1:port (0: kernel-assigned) for GET /callback. */
bool cb_listener_start(int port, struct cb_listener **out, struct ac_err *err);

/* "http://127.0.0.1:PORT/callback", borrowed until cb_listener_stop. */
const char *cb_listener_redirect_uri(const struct cb_listener *l);

/* Expect the response to one authorization request (copied); resets any
 * earlier result. Until armed every callback is ignored. */
bool cb_listener_arm(struct cb_listener *l, const struct cb_expect *expect,
                     struct ac_err *err);

enum cb_wait {
    CBW_PENDING, /* nothing decisive within `ms` */
    CBW_DONE,    /* *code set (a new string, ac_secret_free) */
    CBW_FAILED,  /* err says why */
};

/* Wait up to `ms` milliseconds for a decisive callback. */
enum cb_wait cb_listener_wait(struct cb_listener *l, int ms, char **code,
                              struct ac_err *err);

/* How many callbacks were ignored so far, and the last reason (copied into
 * `why`, may be NULL). */
unsigned cb_listener_ignored(struct cb_listener *l, struct ac_err *why);

/* Stop and free. NULL-safe. */
void cb_listener_stop(struct cb_listener *l);

#endif
