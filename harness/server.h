/* `authcheck server`: server-side conformance. authcheck acts as the
 * client against a third-party authorization server and/or MCP server
 * given by URL and checks each step it passes through (docs/SERVER.md).
 *
 * The checks have their own registry (hsv_registry), in the shape of the
 * client checks' (harness/checks.h) but run against a live server rather
 * than on a transcript: each check is a probe that makes a bounded number
 * of requests, only to the origins it was given or discovery named. */
#ifndef HSV_SERVER_H
#define HSV_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/err.h"
#include "harness/checks.h"

struct hsv_options {
    const char *mcp_url;        /* --mcp, may be NULL */
    const char *issuer;         /* --issuer, may be NULL (discovered) */
    const char *const *checks;  /* --check globs, NULL-terminated; NULL all */
    const char *suite;          /* --suite as|mcp|official, NULL all */
    const char *client_id;      /* pre-registered client, may be NULL */
    const char *client_secret;  /* its secret (client_secret_basic) */
    const char *redirect_uri;   /* NULL: http://127.0.0.1:33418/callback */
    const char *token;          /* --token / --token-file: an access token */
    const char *scope;          /* --scope to ask for, NULL: none or the
                                   challenge's */
    const char *other_resource; /* a resource the AS also serves, for the
                                   wrong-audience check */
    const char *login_cmd;      /* --login CMD, may be NULL */
    int login_timeout;          /* seconds --login may take, 0: 120 */
    bool cimd_https;            /* serve CIMD documents over https (a
                                   self-signed certificate the AS must
                                   be told to accept) */
    const char *expired_token;  /* --expired-token: an expired access token
                                   the AS issued for this MCP server */
    int wait_expiry;            /* --wait-expiry N: wait up to N seconds for
                                   a short-lived token to expire */
    /* Tests: make `seconds` pass on the server's clock instead of
     * waiting (the mocks' control /clock). NULL: wait for real. */
    bool (*advance_clock)(void *ctx, long seconds);
    void *advance_ctx;
    bool auto_consent;    /* submit a simple consent form */
    const char *username; /* --username: a login form's first text field */
    const char *password; /* --password: its password fields */
    double rate;          /* max requests per second, 0 unlimited */
    int verbosity;        /* -1 quiet, 0 normal, 1 verbose */
};

/* The server checks: a borrowed static table of *n entries (`fn` is NULL:
 * they are probes, run by hsv_run). */
const struct hc_check *hsv_registry(size_t *n);

/* Run the selected checks. *results is a new results model
 * (docs/RESULTS.md, one "scenario" with id "server"); every secret seen
 * is appended to `secrets` (borrowed array) for redaction. False only on
 * a harness error (usage: neither URL given; out of memory). */
bool hsv_run(const struct hsv_options *o, json_t **results, json_t *secrets,
             struct ac_err *err);

/* `authcheck server ...`; argv[0] is "server". Returns the exit status. */
int hsv_main(int argc, char **argv);

#endif
