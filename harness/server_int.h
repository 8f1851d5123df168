/* Private declarations shared by harness/server.c (HTTP plumbing,
 * discovery, clients, the authorization flow) and harness/server_checks.c
 * (the probes and their registry). */
#ifndef HSV_SERVER_INT_H
#define HSV_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/httpc.h"
#include "harness/checks.h"
#include "harness/server.h"

/* At most this many requests per check (the brief: bounded). */
#define HSV_MAX_REQUESTS 40

/* The harness's loopback listener (server_listen.c): 127.0.0.1, `port`
 * 0 for an ephemeral one. It serves JSON documents and redirects at
 * given paths, answers anything else with a small page, and remembers
 * per path how many requests came and the first one's URL. */
struct hsv_listener;
bool hsv_listen_start(int port, struct hsv_listener **out, char *why,
                      size_t whylen);
/* As hsv_listen_start; `tls`: https with a fresh self-signed certificate
 * for 127.0.0.1. */
bool hsv_listen_start_tls(int port, bool tls, struct hsv_listener **out,
                          char *why, size_t whylen);
int hsv_listen_port(const struct hsv_listener *l);
bool hsv_listen_doc(struct hsv_listener *l, const char *path, const char *json);
bool hsv_listen_redirect(struct hsv_listener *l, const char *path,
                         const char *location);
int hsv_listen_hits(struct hsv_listener *l, const char *path);
/* The first request to `path` as an absolute URL with its query, a new
 * string, or NULL. */
char *hsv_listen_first(struct hsv_listener *l, const char *path);
void hsv_listen_forget(struct hsv_listener *l, const char *path);
void hsv_listen_stop(struct hsv_listener *l);

struct hsv_client {
    bool tried;
    char *id;
    char *secret;  /* NULL: public client (none) */
    bool post;     /* client_secret_post, not client_secret_basic */
    char why[256]; /* why there is none */
};

/* One authorization request as sent, and what came back. */
struct hsv_authz {
    /* request */
    char *state, *verifier, *challenge, *redirect_uri;
    /* outcome */
    enum { AZ_CODE, AZ_ERROR, AZ_PAGE, AZ_ELSEWHERE, AZ_USER, AZ_NET } kind;
    long status;    /* of the last answer */
    char *location; /* AZ_ELSEWHERE: where it went */
    char *code, *got_state, *iss, *error;
    int ncode, nstate, niss;
    char why[256];
};

/* Tokens from one grant. */
struct hsv_grant {
    bool ok;
    char *access, *refresh, *scope;
    long expires_in; /* 0: not given */
    char why[256];
};

struct hsv_ctx {
    const struct hsv_options *o;
    json_t *secrets;    /* borrowed */
    json_t *transcript; /* owned: exchanges we made */
    json_t *origins;    /* allowed origins */
    unsigned nreq;      /* requests in the current check */
    int64_t last_ns;    /* last request (--rate) */
    const char *check;  /* current check id */
    /* discovery */
    bool discovered;
    char *mcp_url;
    long mcp_status;
    char *challenge; /* first WWW-Authenticate of the 401 */
    char *rm_url;    /* resource_metadata of the challenge */
    char *challenge_scope;
    char *prm_url; /* where the PRM was found */
    json_t *prm;
    char *resource; /* the canonical resource to ask for */
    char *issuer;   /* as given or from the PRM */
    char *md_url;   /* where the metadata was found */
    char *md_ctype;
    long md_status;
    json_t *md;
    char disc_why[256]; /* why discovery stopped */
    char *redirect_uri; /* the client's loopback callback */
    char *alt_redirect; /* a second registered https one */
    struct hsv_client pub, conf, other;
    struct hsv_client cc;          /* client_credentials client */
    struct hsv_listener *listener; /* --login, CIMD documents; NULL */
    char *cimd_base;               /* where our CIMD documents are */
    struct hsv_listener *docs;     /* the listener serving them: the
                                     listener, or an https one (owned) */
    const char *extra_hdr;         /* one more header for hsv_post_as (DPoP) */
};

/* The loopback listener, started on first use (ephemeral port). NULL
 * with why. */
struct hsv_listener *hsv_listener(struct hsv_ctx *x, char *why, size_t whylen);

/* One HTTP request within the current check: only to allowed origins,
 * bounded, rate-limited, recorded. `form` non-NULL posts it
 * form-urlencoded; `json` non-NULL posts it as JSON; `hdrs` extra
 * "Name: value" lines (NULL-terminated, may be NULL). False with `why`
 * when no answer was had or the request was not allowed. */
bool hsv_http(struct hsv_ctx *x, const char *method, const char *url,
              const char *const *hdrs, const char *form, const char *json,
              struct ac_http_response *resp, char *why, size_t whylen);

/* Remember a secret for redaction (NULL ignored). */
void hsv_secret(struct hsv_ctx *x, const char *s);

/* Discovery as a client does it (once): 401 challenge, PRM, AS metadata.
 * True when the AS metadata is known. */
bool hsv_discover(struct hsv_ctx *x);

/* A usable endpoint URL from the metadata (absolute, https or loopback,
 * allowed origin), or NULL. Borrowed. */
const char *hsv_endpoint(struct hsv_ctx *x, const char *name);

/* The public client (DCR or --client-id), the confidential one (DCR with
 * client_secret_basic, or --client-id with --client-secret) and a second
 * public client (DCR only). NULL with c->why when unavailable. */
struct hsv_client *hsv_client_pub(struct hsv_ctx *x);
struct hsv_client *hsv_client_conf(struct hsv_ctx *x);
struct hsv_client *hsv_client_other(struct hsv_ctx *x);

/* Register a client with `md` (borrowed JSON object) at the registration
 * endpoint; the answer in resp. False when none is advertised or no
 * answer. */
bool hsv_register(struct hsv_ctx *x, const json_t *md,
                  struct ac_http_response *resp, char *why, size_t whylen);

/* Authorization request variations. */
struct hsv_authz_opts {
    bool no_challenge;        /* omit code_challenge */
    bool plain;               /* code_challenge_method=plain */
    const char *redirect_uri; /* instead of the client's */
    const char *resource;     /* instead of the discovered one */
    const char *scope;        /* instead of the default */
};

/* Send one authorization request for client `c` and drive it (redirects
 * on the AS's origin, --auto-consent, --login) until it leaves the AS. */
void hsv_authorize(struct hsv_ctx *x, const struct hsv_client *c,
                   const struct hsv_authz_opts *ao, struct hsv_authz *a);
void hsv_authz_free(struct hsv_authz *a);

/* POST the token endpoint as client `c` with `form` (urlencoded, without
 * client authentication, which is added). */
bool hsv_token(struct hsv_ctx *x, const struct hsv_client *c, const char *form,
               struct ac_http_response *resp, char *why, size_t whylen);

/* As hsv_token, to the metadata's `endpoint` (revocation_endpoint,
 * introspection_endpoint). */
bool hsv_post_as(struct hsv_ctx *x, const char *endpoint,
                 const struct hsv_client *c, const char *form,
                 struct ac_http_response *resp, char *why, size_t whylen);

/* Redeem a code: form for grant_type=authorization_code. A new string. */
char *hsv_code_form(struct hsv_ctx *x, const struct hsv_client *c,
                    const char *code, const char *verifier,
                    const char *redirect_uri, const char *resource);

/* A full authorization code grant for client c (scope may be NULL). */
void hsv_new_grant(struct hsv_ctx *x, const struct hsv_client *c,
                   const char *scope, struct hsv_grant *g);
void hsv_grant_free(struct hsv_grant *g);

/* The token response body as a JSON object (new ref) or NULL. */
json_t *hsv_json_body(const struct ac_http_response *r);

/* POST an MCP initialize to the MCP server with `auth` as the whole
 * Authorization header value (NULL: none) and `query` appended to the
 * URL (NULL: none). */
bool hsv_mcp_call(struct hsv_ctx *x, const char *auth, const char *query,
                  struct ac_http_response *resp, char *why, size_t whylen);

/* POST a JSON-RPC `body` to the MCP server, with `sid` as Mcp-Session-Id
 * (and the protocol version header) when non-NULL. */
bool hsv_mcp_post(struct hsv_ctx *x, const char *auth, const char *query,
                  const char *sid, const char *body,
                  struct ac_http_response *resp, char *why, size_t whylen);

/* Form encode pairs name, value, ... NULL (NULL values skipped). A new
 * string. */
char *hsv_form(const char *name, ...);

/* Probe type and the probes' table (server_checks.c). */
typedef void (*hsv_probe_fn)(struct hsv_ctx *x, struct hc_result *r);
hsv_probe_fn hsv_probe(size_t i);

/* Probe helpers shared by server_checks.c and server_ext.c: r is set
 * (SKIPPED with the reason, or FAILURE) when they return false/NULL. */
bool hsv_need_md(struct hsv_ctx *x, struct hc_result *r);
struct hsv_client *hsv_need_pub(struct hsv_ctx *x, struct hc_result *r);
bool hsv_need_mcp(struct hsv_ctx *x, struct hc_result *r);
bool hsv_get_code(struct hsv_ctx *x, struct hc_result *r,
                  const struct hsv_client *c, const struct hsv_authz_opts *ao,
                  struct hsv_authz *a);
/* A valid access token for the MCP server (--token or a fresh grant into
 * g); borrowed. */
const char *hsv_mcp_token(struct hsv_ctx *x, struct hc_result *r,
                          struct hsv_grant *g);
/* The status of an MCP initialize with "Bearer token" (0: no answer). */
long hsv_mcp_bearer(struct hsv_ctx *x, const char *token);
const char *hsv_err_code(const json_t *doc);
bool hsv_ok2xx(long st);

/* The probes of server_ext.c: expiry, DPoP, CIMD, client credentials. */
void hsv_p_mcp_expired(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_dpop_bearer(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_dpop_ath(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_dpop_valid(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_cimd_fetch(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_cimd_mismatch(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_cimd_ssrf(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_cc_grant(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_cc_auth(struct hsv_ctx *x, struct hc_result *r);
void hsv_p_cc_no_refresh(struct hsv_ctx *x, struct hc_result *r);

/* Set a result: status and printf message. */
void hsv_set(struct hc_result *r, enum hc_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
