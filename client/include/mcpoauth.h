/* libmcpoauth: an MCP (Model Context Protocol) client with OAuth 2.1
 * authorization, following the MCP 2026-07-28 authorization specification
 * on the 2026-07-28 stateless Streamable HTTP wire, falling back to the
 * 2025-11-25 initialize/session wire for servers that do not speak it.
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
/* Private key for private_key_jwt client authentication (RFC 7523 §2.2):
 * PEM text of an RSA (>= 2048 bits, RS256) or P-256 (ES256) private key,
 * PKCS#8 or traditional, unencrypted; copied. `alg` ("RS256"/"ES256")
 * must fit the key, NULL takes the key's. Used at the token endpoint when
 * the registration names private_key_jwt, when there is no client secret,
 * or when the AS advertises the method; dynamic registration then asks
 * for private_key_jwt with the public key as `jwks`. The assertion has
 * iss = sub = client_id, aud = the issuer, iat, exp (+60 s) and jti.
 * NULL `pem` removes the key. */
bool mcpo_client_set_private_key(struct mcpo_client *c, const char *pem,
                                 const char *alg, struct mcpo_err *err);
/* As mcpo_client_set_private_key, reading the PEM file at `path`. */
bool mcpo_client_set_private_key_file(struct mcpo_client *c, const char *path,
                                      const char *alg, struct mcpo_err *err);
/* Directory of the token store (registrations, tokens, metadata; see
 * docs/CLIENT.md). NULL: the default, $XDG_STATE_HOME/mcp-oauth or
 * ~/.local/state/mcp-oauth. "" turns the store off (memory only). */
bool mcpo_client_set_store_dir(struct mcpo_client *c, const char *dir,
                               struct mcpo_err *err);
/* Client ID Metadata Document URL (https, with a path): used as the
 * client_id when the AS metadata has client_id_metadata_document_supported
 * true; otherwise dynamic registration follows. NULL: none. */
bool mcpo_client_set_client_metadata_url(struct mcpo_client *c, const char *url,
                                         struct mcpo_err *err);
/* Extra RFC 7591 client metadata (a JSON object as text, copied) merged
 * into dynamic registration requests; members the flow sets itself
 * (redirect_uris, grant_types, ...) are not overridden. NULL: none. */
bool mcpo_client_set_client_metadata(struct mcpo_client *c,
                                     const char *json_object_text,
                                     struct mcpo_err *err);
/* Pre-configured authorization server metadata (a JSON object as text,
 * validated as discovered metadata would be, copied): PRM and AS metadata
 * discovery are skipped. NULL: discover. */
bool mcpo_client_set_as_metadata(struct mcpo_client *c,
                                 const char *json_object_text,
                                 struct mcpo_err *err);
/* Use DPoP (RFC 9449) even when the AS metadata does not list
 * dpop_signing_alg_values_supported (when it does, DPoP is used anyway):
 * an ES256 key made on first use, kept in the store with the tokens. */
void mcpo_client_set_dpop(struct mcpo_client *c, bool on);
/* Workload identity federation (MCP authorization extension; RFC 7523
 * §2.1): present a platform-issued workload JWT with the JWT bearer
 * grant instead of registering and authorizing a user. The JWT is given
 * as text (copied, a secret), as a file read again for every grant (a
 * projected token the platform rotates), or as the name of an
 * environment variable read again likewise; the last one set wins, NULL
 * clears. An expired JWT is never sent. Client authentication uses the
 * pre-registered client (mcpo_client_set_client_credentials) when there
 * is one, else none (RFC 7523 §3.1). No fallback to the authorization
 * code grant when the JWT bearer grant fails. */
bool mcpo_client_set_workload_token(struct mcpo_client *c, const char *jwt,
                                    struct mcpo_err *err);
bool mcpo_client_set_workload_token_file(struct mcpo_client *c,
                                         const char *path,
                                         struct mcpo_err *err);
bool mcpo_client_set_workload_token_env(struct mcpo_client *c, const char *name,
                                        struct mcpo_err *err);
/* Enterprise-managed authorization (MCP authorization extension, ID-JAG):
 * the user's ID token is exchanged at the enterprise IdP's token
 * endpoint (RFC 8693: requested_token_type id-jag, audience the AS
 * issuer, resource the MCP server) for an ID-JAG, which is presented to
 * the MCP server's authorization server with the JWT bearer grant and
 * the pre-registered client's credentials. `secret` may be NULL (a
 * public IdP client: client_id in the body); NULL `token_endpoint`
 * turns it off. An ID-JAG whose aud is not the AS, or that has expired,
 * is not sent. */
bool mcpo_client_set_enterprise_idp(struct mcpo_client *c,
                                    const char *token_endpoint,
                                    const char *client_id, const char *secret,
                                    struct mcpo_err *err);
/* The ID token to exchange: as text (copied, a secret) or a file read
 * for every exchange. */
bool mcpo_client_set_id_token(struct mcpo_client *c, const char *id_token,
                              struct mcpo_err *err);
bool mcpo_client_set_id_token_file(struct mcpo_client *c, const char *path,
                                   struct mcpo_err *err);
/* Use the client credentials grant (RFC 6749 §4.4) instead of the
 * authorization code grant: needs pre-registered credentials. */
void mcpo_client_set_client_credentials_grant(struct mcpo_client *c, bool on);
/* Loopback callback port (0, the default: kernel-assigned). */
void mcpo_client_set_callback_port(struct mcpo_client *c, int port);
/* Seconds to wait for the authorization callback (default 300). */
void mcpo_client_set_callback_timeout(struct mcpo_client *c, int seconds);
/* Total timeout of one HTTP request in milliseconds (default 30000). */
void mcpo_client_set_http_timeout(struct mcpo_client *c, long ms);
/* Retrying a refresh after a 5xx or a network failure (at most 3 times):
 * the first retry waits `first_ms` (default 250), each next one twice as
 * long; a Retry-After (delta-seconds) on the failed response is honoured
 * when longer. No single wait exceeds `max_ms` (default 10000). A value
 * <= 0 restores its default. Test harnesses pass tiny values so that a
 * scripted outage costs no wall-clock time. */
void mcpo_client_set_retry_backoff(struct mcpo_client *c, long first_ms,
                                   long max_ms);

/* How the authorization URL reaches a user agent. */
enum mcpo_browser {
    /* Run $BROWSER (a ':'-separated list, tried in order; "%s" in an entry
     * is replaced by the URL, otherwise the URL is the last argument), or
     * xdg-open when BROWSER is unset. The default. */
    MCPO_BROWSER_SYSTEM,
    /* Print the URL on stderr and wait for the callback or for the URL
     * the browser was redirected to, pasted as one line on stdin
     * (--no-browser), whichever comes first; a pasted URL is validated
     * like a callback (state, RFC 9207 iss, error). */
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

/* Refresh the access token now (RFC 6749 §6), coordinated with other
 * processes through the token store. Fails when there is no refresh token
 * or the AS refuses it (the stored tokens are then dropped). */
bool mcpo_refresh(struct mcpo_client *c, struct mcpo_err *err);

/* A valid access token: from the store, refreshed when it expires within
 * 30 s, or obtained by logging in. *access_token is a new string (a
 * secret: free with mcpo_free after cleansing if you care). */
bool mcpo_get_token(struct mcpo_client *c, char **access_token,
                    struct mcpo_err *err);

/* Revoke the stored refresh token, then the access token (RFC 7009, when
 * the AS has a revocation_endpoint), and delete this server's record from
 * the token store. */
bool mcpo_logout(struct mcpo_client *c, struct mcpo_err *err);

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
/* Scope of the held token (as granted, else as requested), or NULL. */
const char *mcpo_client_granted_scope(const struct mcpo_client *c);
/* Absolute expiry of the held token (seconds since the epoch), 0 when
 * unknown or no token. */
long long mcpo_client_expires_at(const struct mcpo_client *c);
/* The token store directory in use, or NULL when the store is off. */
const char *mcpo_client_store_dir(struct mcpo_client *c);

/* --- the token store, without a client ----------------------------------
 * `dir` NULL means the default directory. A record is the JSON object
 * described in docs/CLIENT.md ("Token store"); it contains secrets. */

/* Every stored server, without secrets: *json_array_text is a new string,
 * an array of {resource, mcp_url, issuer, client_id, scope, expires_at,
 * has_access_token, has_refresh_token}. */
bool mcpo_store_list(const char *dir, char **json_array_text,
                     struct mcpo_err *err);
/* The record of (resource, issuer); issuer NULL: the newest record of
 * `resource`. *record_json is a new string, or NULL when none. */
bool mcpo_store_get(const char *dir, const char *resource, const char *issuer,
                    char **record_json, struct mcpo_err *err);
/* Write a record (tokens, client info, metadata) atomically; it must have
 * "resource" and "issuer". */
bool mcpo_store_put(const char *dir, const char *record_json,
                    struct mcpo_err *err);
/* Delete the record of (resource, issuer); issuer NULL: every record of
 * `resource`; resource NULL: every record. Nothing to delete is success. */
bool mcpo_store_clear(const char *dir, const char *resource, const char *issuer,
                      struct mcpo_err *err);

#ifdef __cplusplus
}
#endif

#endif
