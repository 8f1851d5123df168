/* libmcpoauth: an MCP (Model Context Protocol) client with OAuth 2.1
 * authorization, following the MCP 2026-07-28 authorization specification
 * (and the 2025-11-25 Streamable HTTP wire).
 *
 * One struct mcpo_client talks to one MCP server URL. The whole flow is
 *
 *     mcpo_global_init(&err);
 *     mcpo_client_new("https://mcp.example.com/mcp", &c, &err);
 *     mcpo_connect(c, &err);          initialize; authorizes on a 401
 *     mcpo_list_tools(c, &json, &err);
 *     mcpo_call_tool(c, "echo", "{\"text\":\"hi\"}", &json, &err);
 *     mcpo_client_free(c);
 *     mcpo_global_cleanup();
 *
 * and each step of the authorization can also be driven separately:
 * mcpo_check_auth, mcpo_discover_prm, mcpo_discover_as, mcpo_register,
 * mcpo_authorize (or mcpo_login for all of them).
 *
 * Conventions: functions return bool and take a caller-allocated
 * struct mcpo_err last (NULL allowed). Strings returned through `char **`
 * are new (free them with mcpo_free); strings returned directly are
 * borrowed from the client and valid until the next call that changes the
 * same state, or mcpo_client_free. JSON crosses this API as text.
 *
 * Thread safety: one client is used by one thread at a time. The library
 * never prints secrets (tokens, codes, verifiers, client secrets). */
#ifndef MCPOAUTH_H
#define MCPOAUTH_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes. The first block mirrors the project's internal codes. */
enum mcpo_err_code {
    MCPO_OK = 0,
    MCPO_ERR_NOMEM,    /* allocation failed */
    MCPO_ERR_INVALID,  /* malformed input (JSON, URL, header, ...) */
    MCPO_ERR_TOOBIG,   /* a response exceeded a size cap */
    MCPO_ERR_IO,       /* file or socket error */
    MCPO_ERR_NET,      /* network transfer failed */
    MCPO_ERR_PROTOCOL, /* a server broke a protocol rule: we refuse */
    MCPO_ERR_CRYPTO,   /* OpenSSL failure */
    MCPO_ERR_TIMEOUT,  /* a bounded wait ran out (e.g. the callback) */
    MCPO_ERR_STATE,    /* call not valid in the client's current state */
    MCPO_ERR_USAGE,    /* bad argument to this API */
};

/* Where a failure happened and why. `msg` is one line, safe to show a user
 * (never contains secrets); for MCPO_ERR_PROTOCOL it names the server's
 * fault and the spec rule. */
struct mcpo_err {
    int code;
    char msg[256];
    const char *func;
    const char *file;
    int line;
};

/* A short constant name for a code ("protocol", "timeout", ...). */
const char *mcpo_err_code_name(int code);

/* Call once per process before any client is used (initialises libcurl),
 * and mcpo_global_cleanup once at the end. */
bool mcpo_global_init(struct mcpo_err *err);
void mcpo_global_cleanup(void);

/* Free a string returned by this library. NULL-safe. */
void mcpo_free(void *p);

struct mcpo_client;

/* A new client for the MCP endpoint `mcp_url` (http or https). *out is a new
 * client (mcpo_client_free). Nothing is sent yet. */
bool mcpo_client_new(const char *mcp_url, struct mcpo_client **out,
                     struct mcpo_err *err);

/* Close the MCP session (HTTP DELETE when one was opened), stop any
 * callback listener, cleanse secrets and free. NULL-safe. */
void mcpo_client_free(struct mcpo_client *c);

/* --- options (set before mcpo_connect / mcpo_login) ----------------------
 * String setters copy their argument; NULL restores the default. */

/* Scope to request, overriding the challenge / PRM scope selection. */
bool mcpo_client_set_scope(struct mcpo_client *c, const char *scope,
                           struct mcpo_err *err);
/* client_name sent in dynamic registration (default "mcp-oauth"). */
bool mcpo_client_set_client_name(struct mcpo_client *c, const char *name,
                                 struct mcpo_err *err);
/* Pre-registered client credentials: with a client_id the client skips
 * registration. `secret` may be NULL (a public client). */
bool mcpo_client_set_client_credentials(struct mcpo_client *c,
                                        const char *client_id,
                                        const char *secret,
                                        struct mcpo_err *err);
/* Directory for persisted state. Accepted but not used yet: this version
 * keeps registrations and tokens in memory only. */
bool mcpo_client_set_store_dir(struct mcpo_client *c, const char *dir,
                               struct mcpo_err *err);
/* Loopback callback port (0, the default: kernel-assigned). */
void mcpo_client_set_callback_port(struct mcpo_client *c, int port);
/* Seconds to wait for the authorization callback (default 300). */
void mcpo_client_set_callback_timeout(struct mcpo_client *c, int seconds);
/* Total timeout of one HTTP request in milliseconds (default 30000). */
void mcpo_client_set_http_timeout(struct mcpo_client *c, long ms);

/* How the authorization URL reaches a user agent. */
enum mcpo_browser {
    /* Run $BROWSER (a ':'-separated list, tried in order; "%s" in an entry
     * is replaced by the URL, otherwise the URL is the last argument), or
     * xdg-open when BROWSER is unset. The default. */
    MCPO_BROWSER_SYSTEM,
    /* Print the URL on stderr and wait for the callback (--no-browser). */
    MCPO_BROWSER_PRINT,
    /* Be our own headless user agent: GET the authorization URL without
     * following redirects and deliver the redirect to our own callback. For
     * authorization servers that approve at once (test servers). */
    MCPO_BROWSER_HEADLESS,
};
void mcpo_client_set_browser(struct mcpo_client *c, enum mcpo_browser mode);

/* Declare that the $BROWSER command returns only after it has delivered
 * the redirect (a headless user agent such as `authcheck browse`): when it
 * exits 0 and no valid callback has arrived, fail at once instead of
 * waiting for the callback timeout. */
void mcpo_client_set_browser_blocking(struct mcpo_client *c, bool blocking);

/* Write an HTTP trace of every exchange to stderr, secrets redacted. The
 * trace hook is process-wide: the last client to enable it owns it. */
void mcpo_client_set_trace(struct mcpo_client *c, bool on);

/* --- the authorization steps --------------------------------------------
 * Each step stores its result in the client; the accessors below read it. */

/* Send an unauthenticated MCP initialize request. *required is true when
 * the server answered 401 (its Bearer challenge is kept for discovery),
 * false when it accepted the request (the session is then open). */
bool mcpo_check_auth(struct mcpo_client *c, bool *required,
                     struct mcpo_err *err);

/* Fetch and validate the Protected Resource Metadata (RFC 9728): from the
 * challenge's resource_metadata URL, else the path-inserted well-known URL,
 * else the root one. Its `resource` must equal the canonical MCP URL. */
bool mcpo_discover_prm(struct mcpo_client *c, struct mcpo_err *err);

/* Fetch and validate the metadata of the PRM's first authorization server
 * (RFC 8414 / OIDC Discovery, in the MCP spec's order): `issuer` must be
 * identical, and S256 must be among code_challenge_methods_supported. */
bool mcpo_discover_as(struct mcpo_client *c, struct mcpo_err *err);

/* Obtain a client_id: the pre-registered one when set, else RFC 7591
 * dynamic registration (starts the loopback callback listener, whose URL is
 * the registered redirect URI). */
bool mcpo_register(struct mcpo_client *c, struct mcpo_err *err);

/* Authorization code grant with PKCE S256, state, resource and RFC 9207
 * issuer validation: listens on loopback, opens the user agent, waits for
 * the callback, exchanges the code. On success the client holds a token. */
bool mcpo_authorize(struct mcpo_client *c, struct mcpo_err *err);

/* All steps in order: check (when not done yet), discover PRM and AS,
 * register, authorize. */
bool mcpo_login(struct mcpo_client *c, struct mcpo_err *err);

/* --- MCP ----------------------------------------------------------------- */

/* Open the MCP session (initialize + notifications/initialized), running
 * mcpo_login first when the server answers 401. */
bool mcpo_connect(struct mcpo_client *c, struct mcpo_err *err);

/* tools/list. *result_json is a new string: the JSON-RPC `result` object
 * ({"tools":[...]}). Connects first when needed. */
bool mcpo_list_tools(struct mcpo_client *c, char **result_json,
                     struct mcpo_err *err);

/* tools/call of `name` with `arguments_json` (a JSON object as text; NULL
 * means {}). *result_json is a new string: the JSON-RPC `result` object
 * (a tool-level failure is a result with "isError": true, not an error
 * here). Connects first when needed. */
bool mcpo_call_tool(struct mcpo_client *c, const char *name,
                    const char *arguments_json, char **result_json,
                    struct mcpo_err *err);

/* --- accessors (borrowed; NULL until the step that sets them) ----------- */

const char *mcpo_client_mcp_url(const struct mcpo_client *c);
/* Canonical resource URI (RFC 8707) of the MCP server. */
const char *mcpo_client_resource(const struct mcpo_client *c);
/* URL the PRM was read from. */
const char *mcpo_client_prm_url(const struct mcpo_client *c);
/* Validated issuer of the chosen authorization server. */
const char *mcpo_client_issuer(const struct mcpo_client *c);
/* The client_id in use (registered or pre-registered). */
const char *mcpo_client_client_id(const struct mcpo_client *c);
/* The loopback redirect URI, once the listener runs. */
const char *mcpo_client_redirect_uri(const struct mcpo_client *c);
/* The scope requested (NULL when the scope parameter was omitted). */
const char *mcpo_client_requested_scope(const struct mcpo_client *c);
/* Does the client hold an access token? */
bool mcpo_client_has_token(const struct mcpo_client *c);

#ifdef __cplusplus
}
#endif

#endif
