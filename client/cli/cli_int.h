/* Private declarations shared by the mcp-oauth command's files. */
#ifndef MCPO_CLI_INT_H
#define MCPO_CLI_INT_H

#include <stdbool.h>

#include "mcpoauth.h"

/* Exit statuses of mcp-oauth. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* Options common to every command (main.c). */
struct cli_opts {
    bool verbose;
    bool no_browser;
    bool headless;
    bool json;
    int callback_port;
    int timeout_s;
    const char *scope;
    const char *client_id;
    const char *client_name;
    const char *client_secret;
    const char *client_metadata_url;
    const char *private_key; /* PEM file for private_key_jwt */
    const char *store;
    bool dpop; /* --dpop: RFC 9449 even when the AS does not advertise it */
    /* workload identity federation, enterprise-managed authorization */
    const char *assertion_file;
    const char *assertion_env;
    const char *id_token_file;
    const char *idp_token_endpoint;
    const char *idp_client_id;
    const char *idp_client_secret;
};

/* `mcp-oauth login|token|logout|status` (session.c). */
int cli_session(const char *cmd, char **args, int nargs,
                const struct cli_opts *o);

/* Apply the options to a new client (main.c). */
bool cli_configure(struct mcpo_client *c, const struct cli_opts *o,
                   struct mcpo_err *err);

/* The workload identity / enterprise IdP options (main.c). */
bool cli_configure_federation(struct mcpo_client *c, const struct cli_opts *o,
                              struct mcpo_err *err);

/* Print "mcp-oauth: <msg>" on stderr (main.c). */
void cli_fail(const struct mcpo_err *err);

/* `mcp-oauth conformance URL` (conformance.c): the client-under-test mode
 * of the authcheck harness. Returns the exit status. */
int cli_conformance(const char *url, const struct cli_opts *o);

#endif
