/* Private cross-file declarations of libmcpoauth: the client structure
 * every module works on, and the internal entry points of each module.
 *
 * Internally everything reports through struct ac_err (common/err.h); the
 * public functions in client.c map it to struct mcpo_err. */
#ifndef MCPO_CLIENT_INT_H
#define MCPO_CLIENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mcpoauth.h"
#include "common/err.h"
#include "common/httpc.h"
#include "common/jwk.h"

struct cb_listener; /* callback.c */
struct ac_jwk;      /* common/jwk.h */

/* Why the last token request failed (token.c), so the caller can pick the
 * recovery: retry, re-authorize or re-register. */
enum token_fail {
    TF_NONE,
    TF_NET,            /* no HTTP answer: retry later, keep credentials */
    TF_SERVER,         /* 5xx: retry later, keep credentials */
    TF_INVALID_GRANT,  /* the grant is dead: drop tokens, re-authorize */
    TF_INVALID_CLIENT, /* the client is unknown: drop it, re-register */
    TF_OTHER,          /* anything else: give up */
};

/* Which MCP wire the server speaks (2026-07-28 versioning: "era"). */
enum mcp_era {
    ERA_UNKNOWN, /* not probed yet: server/discover first */
    ERA_MODERN,  /* 2026-07-28: stateless, _meta, Mcp-Method */
    ERA_LEGACY,  /* 2025-11-25 and earlier: initialize and a session */
};

/* What the last unauthenticated (or rejected) MCP request told us. */
struct challenge_info {
    bool seen;               /* a 401 was received */
    char *resource_metadata; /* from the Bearer challenge, or NULL */
    char *scope;             /* from the Bearer challenge, or NULL */
    char *error;             /* error= of the challenge, or NULL */
};

struct mcpo_client {
    /* configuration */
    char *mcp_url;
    char *resource; /* canonical resource URI of mcp_url */
    char *opt_scope;
    char *client_name;
    char *store_dir;               /* NULL: the default directory */
    bool store_off;                /* mcpo_client_set_store_dir(c, "") */
    char *client_metadata_url;     /* CIMD client_id (an https URL) */
    json_t *extra_client_metadata; /* merged into the DCR request */
    json_t *preset_as_meta;        /* pre-configured AS metadata */
    int callback_port;
    int callback_timeout_s;
    long http_timeout_ms;
    long retry_backoff_ms;  /* first wait before retrying a refresh */
    long retry_max_wait_ms; /* cap on one wait, Retry-After included */
    enum mcpo_browser browser;
    bool browser_blocking; /* the user agent exits once it delivered */
    bool trace;

    /* discovery */
    struct challenge_info chal;
    char *prm_url;
    bool prm_absent; /* every well-known PRM URL answered 404 */
    json_t *prm;     /* validated PRM document */
    char *as_url;    /* authorization server named by the PRM */
    json_t *as_meta; /* validated AS metadata */
    char *issuer;    /* recorded issuer (RFC 9207 comparison target) */

    /* registration */
    char *client_id;
    char *client_secret;       /* secret: cleansed on free */
    int64_t secret_expires_at; /* RFC 7591 client_secret_expires_at; 0 */
    bool preregistered;
    char *token_auth_method;    /* none, client_secret_basic / _post,
                                   private_key_jwt */
    struct ac_jwk *signing_key; /* private_key_jwt key, or NULL */
    char *client_source;        /* "preregistered", "cimd" or "dcr" */
    char *client_issuer;        /* the AS the registration belongs to */
    struct cb_listener *listener;
    char *redirect_uri;

    /* authorization */
    char *requested_scope;
    char *stepup_scope;  /* union for a step-up authorization, or NULL */
    char *granted_scope; /* the token's scope (as requested if unsaid) */
    char *access_token;  /* secret */
    char *refresh_token; /* secret */
    int64_t expires_at;  /* absolute (ac_now() seconds); 0: unknown */
    enum token_fail token_fail;
    long retry_after_ms;     /* Retry-After of the last failed token request;
                                -1 when it had none */
    bool restored;           /* state came from the token store */
    bool restore_tried;      /* the store was consulted */
    bool client_cached;      /* the registration came from the store */
    bool authz_stale;        /* the authorization endpoint refused the client */
    bool client_credentials; /* RFC 6749 §4.4 instead of the code grant */

    /* Workload identity federation and enterprise-managed authorization
     * (client/lib/federation.c): the JWT bearer grant (RFC 7523 §2.1). */
    char *wif_jwt;      /* a literal workload JWT (secret), or NULL */
    char *wif_file;     /* file holding it, read for every grant */
    char *wif_env;      /* environment variable holding it, likewise */
    char *wif_cached;   /* mutation wif-cache-assertion only */
    char *ema_id_token; /* the user's ID token at the IdP (secret) */
    char *ema_id_token_file;
    char *ema_idp_token_endpoint;
    char *ema_idp_client_id;
    char *ema_idp_client_secret; /* secret, NULL: a public IdP client */

    /* MCP wire: 2026-07-28 stateless, or the 2025-11-25 session */
    enum mcp_era era;
    bool era_cached;        /* era from the token store, not probed */
    bool era_saved;         /* the probed era was written to the store */
    char *legacy_version;   /* initialize's protocolVersion */
    char *session_id;       /* legacy only */
    char *protocol_version; /* negotiated (legacy) or in use (modern) */
    bool initialized;       /* legacy: initialized; modern: discovered */
    json_t *tools;          /* modern: the last tools/list (valid tools) */
    long next_id;

    /* DPoP (RFC 9449, client/lib/dpop.c) */
    bool dpop_opt;           /* --dpop: use DPoP even when not advertised */
    struct ac_jwk *dpop_key; /* secret: the proof key, kept in the store */
    bool dpop_bound;         /* the access token is DPoP-bound */
    char *dpop_nonce_as;     /* last DPoP-Nonce of the token endpoint */
    char *dpop_nonce_rs;     /* last DPoP-Nonce of the MCP server */
    char *dpop_last_jti;     /* mutation dpop-reuse-proof only */
};

/* dpop.c: does this client use DPoP with the current AS (--dpop, or the
 * AS metadata lists dpop_signing_alg_values_supported, RFC 9449 §5.1)? */
bool dpop_wanted(const struct mcpo_client *c);
/* The proof for one request (key made on first use): a new string, or
 * NULL with err. `token` (ath), `body` (content_digest) may be NULL. */
char *dpop_proof_for(struct mcpo_client *c, const char *htm, const char *url,
                     const char *token, const char *body, const char *nonce,
                     struct ac_err *err);
/* Keep the response's DPoP-Nonce (if any) in *slot. */
bool dpop_take_nonce(char **slot, const struct ac_http_response *r,
                     struct ac_err *err);
/* The key as a private JWK for the store (new reference), or JSON null. */
json_t *dpop_key_json(const struct mcpo_client *c);
/* Restore the key from the store record's JWK (borrowed; may be NULL). */
bool dpop_key_restore(struct mcpo_client *c, const json_t *jwk,
                      struct ac_err *err);
void dpop_free(struct mcpo_client *c);

/* federation.c: is a workload identity (WIF) or an enterprise IdP (EMA)
 * configured? Then the JWT bearer grant replaces registration and the
 * authorization code grant, with no fallback to them. */
bool fed_configured(const struct mcpo_client *c);
/* Obtain an access token with the configured federation grant. */
bool fed_login(struct mcpo_client *c, struct ac_err *err);
void fed_free(struct mcpo_client *c);

/* The status of one MCP POST. */
enum mcp_status {
    MCP_OK,           /* a JSON-RPC response (or 202 for a notification) */
    MCP_UNAUTHORIZED, /* HTTP 401: c->chal updated */
    MCP_FORBIDDEN,    /* HTTP 403 insufficient_scope: c->chal updated */
    MCP_REOPEN,       /* the wire or version changed: open again, retry */
    MCP_RELIST,       /* HeaderMismatch: list tools again, retry */
};

/* mcp.c: POST one JSON-RPC message (takes nothing; `params` borrowed, may
 * be NULL). For a request, *result is a new reference to the `result`
 * member; a JSON-RPC error is an AC_ERR_PROTOCOL failure. For a
 * notification (result == NULL) a 202 is expected. */
bool mcp_rpc(struct mcpo_client *c, const char *method, json_t *params,
             json_t **result, enum mcp_status *status, struct ac_err *err);
/* Open the conversation on the server's wire: server/discover (2026-07-28,
 * falling back to initialize for a legacy server), or initialize when the
 * server is known to be legacy. *status as for mcp_rpc. */
bool mcp_open(struct mcpo_client *c, enum mcp_status *status,
              struct ac_err *err);
/* The name of the wire in use ("2026-07-28" / "2025-11-25"), or NULL. */
const char *mcp_era_name(enum mcp_era era);
enum mcp_era mcp_era_parse(const char *name);

/* DELETE the session when there is one; errors ignored. */
void mcp_close(struct mcpo_client *c);

/* sse.c: find, in a text/event-stream body, the JSON-RPC message that is
 * the response to request `id` (integer). *msg is a new reference. Messages
 * that are not that response (notifications, server requests) are skipped.
 * Fails with AC_ERR_PROTOCOL when the stream has no such response. */
bool sse_find_response(const char *body, size_t len, json_int_t id,
                       json_t **msg, struct ac_err *err);

/* discovery.c */
/* Record the Bearer challenge of a 401 (WWW-Authenticate lines). */
bool discovery_take_challenge(struct mcpo_client *c, const char *const *lines,
                              size_t nlines, struct ac_err *err);
bool discovery_prm(struct mcpo_client *c, struct ac_err *err);
/* RFC 9728 §3.3 (pure; used by discovery_prm and the tests): may a PRM
 * whose "resource" is `got`, fetched from `prm_url`, describe the MCP
 * server with canonical resource URI `resource`? `root_url` is the root
 * well-known PRM URL of the MCP server's origin. */
bool discovery_prm_resource_ok(const char *resource, const char *prm_url,
                               const char *root_url, const char *got);
/* The `resource` parameter of authorization and token requests: the
 * validated PRM's resource, else the canonical MCP server URI. Borrowed,
 * valid while c->prm and c->resource are. */
const char *discovery_resource_param(const struct mcpo_client *c);
/* RFC 9728 §3.3 checks of a PRM document fetched from `url`: on success
 * the client records it (a new reference to `doc`, borrowed here), its URL
 * and its first authorization server. Also the fuzzers' entry. */
bool discovery_take_prm(struct mcpo_client *c, const char *url,
                        const json_t *doc, struct ac_err *err);
/* PRM then AS metadata; with no PRM at all (404s), the 2025-03-26
 * fallbacks: AS metadata at the MCP server's origin, else the default
 * /authorize, /token and /register endpoints there. */
bool discovery_prm_or_legacy(struct mcpo_client *c, struct ac_err *err);
bool discovery_as(struct mcpo_client *c, struct ac_err *err);
/* Validate an AS metadata document against the issuer used to find it
 * (pure; used by discovery_as and the tests). */
bool discovery_check_as_meta(const json_t *meta, const char *issuer,
                             struct ac_err *err);
/* As discovery_check_as_meta; `code_grant` false (a JWT bearer grant
 * client) needs no authorization endpoint, PKCE S256 or "code". */
bool discovery_check_as_meta_for(const json_t *meta, const char *issuer,
                                 bool code_grant, struct ac_err *err);
/* The candidate metadata URLs for `issuer`, in the spec's order: *urls is
 * a new NULL-terminated array of new strings (free with strv_free). */
bool discovery_as_urls(const char *issuer, char ***urls, struct ac_err *err);

/* registration.c */
/* Start the loopback listener (once) and set c->redirect_uri. */
bool registration_ensure_listener(struct mcpo_client *c, struct ac_err *err);
/* Pre-registered: nothing to do; else RFC 7591 DCR. */
bool registration_run(struct mcpo_client *c, struct ac_err *err);
struct ac_http_response;
/* RFC 7591 §3.2.1: validate a registration response (`r` borrowed) and, on
 * success, take its client_id, secret and auth method into the client.
 * Also the fuzzers' entry. */
bool registration_take(struct mcpo_client *c, const struct ac_http_response *r,
                       struct ac_err *err);

/* authorize.c / token.c */
bool authorize_run(struct mcpo_client *c, struct ac_err *err);

/* persist.c: the client's state in the token store (store.c). All of them
 * do nothing when the store is off. */
/* The directory in use (borrowed) or NULL when the store is off. */
const char *persist_dir(struct mcpo_client *c);
/* Load the newest record of this MCP server: PRM, AS metadata, client and
 * tokens, so no discovery is needed. *found says whether one was. */
bool persist_restore(struct mcpo_client *c, bool *found, struct ac_err *err);
/* After discovery named the issuer: keep the client only when it was
 * registered at this issuer, else take the store's registration for
 * (resource, issuer) or none (a new AS means a new registration). */
bool persist_bind_issuer(struct mcpo_client *c, struct ac_err *err);
/* Write the client's current state. */
bool persist_save(struct mcpo_client *c, struct ac_err *err);
/* Forget tokens (and with `client`, the registration too), in memory and
 * in the store. */
bool persist_drop(struct mcpo_client *c, bool client, struct ac_err *err);

/* refresh.c */
/* Proactive: refresh when the access token expires within the skew. */
bool refresh_if_expiring(struct mcpo_client *c, struct ac_err *err);
/* Reactive: the server rejected the current access token. Refreshes under
 * the store lock (or takes another process's fresher token). False with
 * c->token_fail telling the caller whether to re-authorize. */
bool refresh_after_reject(struct mcpo_client *c, struct ac_err *err);

/* flow.c */
bool flow_login(struct mcpo_client *c, struct ac_err *err);
bool flow_connect(struct mcpo_client *c, struct ac_err *err);
bool flow_check(struct mcpo_client *c, bool *required, struct ac_err *err);
/* A valid access token (restored, refreshed or newly authorized). */
bool flow_token(struct mcpo_client *c, struct ac_err *err);
/* One JSON-RPC request with the recoveries: 401 → refresh or log in again,
 * 403 insufficient_scope → step-up (at most 3 per call). */
bool flow_rpc(struct mcpo_client *c, const char *method, json_t *params,
              json_t **result, struct ac_err *err);
/* Revoke (RFC 7009) and forget the stored state of this server. */
bool flow_logout(struct mcpo_client *c, struct ac_err *err);

/* http.c: GET a JSON object (Accept: application/json). False on a
 * network failure (*status 0), a status other than 200 (*status set) or a
 * body that is not a JSON object (*status 200); err says which. *doc is a
 * new reference on success. */
bool http_get_json(struct mcpo_client *c, const char *url, long *status,
                   json_t **doc, struct ac_err *err);
void http_trace_enable(bool on);

/* util */
void strv_free(char **v);
/* Replace *dst with a copy of src (NULL allowed). */
bool str_set(char **dst, const char *src, struct ac_err *err);
/* Replace *dst, cleansing the old value (secrets). */
bool secret_set(char **dst, const char *src, struct ac_err *err);

#endif
