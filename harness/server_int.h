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
#define SV_MAX_REQUESTS 40

/* The harness's loopback listener (server_listen.c): 127.0.0.1, `port`
 * 0 for an ephemeral one. It serves JSON documents and redirects at
 * given paths, answers anything else with a small page, and remembers
 * per path how many requests came and the first one's URL. */
struct sv_listener;
bool sv_listen_start(int port, struct sv_listener **out, char *why,
                     size_t whylen);
/* As sv_listen_start; `tls`: https with a fresh self-signed certificate
 * for 127.0.0.1. */
bool sv_listen_start_tls(int port, bool tls, struct sv_listener **out,
                         char *why, size_t whylen);
int sv_listen_port(const struct sv_listener *l);
bool sv_listen_doc(struct sv_listener *l, const char *path, const char *json);
bool sv_listen_redirect(struct sv_listener *l, const char *path,
                        const char *location);
int sv_listen_hits(struct sv_listener *l, const char *path);
/* The first request to `path` as an absolute URL with its query, a new
 * string, or NULL. */
char *sv_listen_first(struct sv_listener *l, const char *path);
void sv_listen_forget(struct sv_listener *l, const char *path);
void sv_listen_stop(struct sv_listener *l);

struct sv_client {
    bool tried;
    char *id;
    char *secret;  /* NULL: public client (none) */
    bool post;     /* client_secret_post, not client_secret_basic */
    char why[256]; /* why there is none */
};

/* One authorization request as sent, and what came back. */
struct sv_authz {
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
struct sv_grant {
    bool ok;
    char *access, *refresh, *scope;
    long expires_in; /* 0: not given */
    char why[256];
};

struct sv_ctx {
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
    struct sv_client pub, conf, other;
    struct sv_client cc;          /* client_credentials client */
    struct sv_listener *listener; /* --login, CIMD documents; NULL */
    char *cimd_base;              /* where our CIMD documents are */
    struct sv_listener *docs;     /* the listener serving them: the
                                     listener, or an https one (owned) */
    const char *extra_hdr;        /* one more header for sv_post_as (DPoP) */
};

/* The loopback listener, started on first use (ephemeral port). NULL
 * with why. */
struct sv_listener *sv_listener(struct sv_ctx *x, char *why, size_t whylen);

/* One HTTP request within the current check: only to allowed origins,
 * bounded, rate-limited, recorded. `form` non-NULL posts it
 * form-urlencoded; `json` non-NULL posts it as JSON; `hdrs` extra
 * "Name: value" lines (NULL-terminated, may be NULL). False with `why`
 * when no answer was had or the request was not allowed. */
bool sv_http(struct sv_ctx *x, const char *method, const char *url,
             const char *const *hdrs, const char *form, const char *json,
             struct ac_http_response *resp, char *why, size_t whylen);

/* Remember a secret for redaction (NULL ignored). */
void sv_secret(struct sv_ctx *x, const char *s);

/* Discovery as a client does it (once): 401 challenge, PRM, AS metadata.
 * True when the AS metadata is known. */
bool sv_discover(struct sv_ctx *x);

/* A usable endpoint URL from the metadata (absolute, https or loopback,
 * allowed origin), or NULL. Borrowed. */
const char *sv_endpoint(struct sv_ctx *x, const char *name);

/* The public client (DCR or --client-id), the confidential one (DCR with
 * client_secret_basic, or --client-id with --client-secret) and a second
 * public client (DCR only). NULL with c->why when unavailable. */
struct sv_client *sv_client_pub(struct sv_ctx *x);
struct sv_client *sv_client_conf(struct sv_ctx *x);
struct sv_client *sv_client_other(struct sv_ctx *x);

/* Register a client with `md` (borrowed JSON object) at the registration
 * endpoint; the answer in resp. False when none is advertised or no
 * answer. */
bool sv_register(struct sv_ctx *x, const json_t *md,
                 struct ac_http_response *resp, char *why, size_t whylen);

/* Authorization request variations. */
struct sv_authz_opts {
    bool no_challenge;        /* omit code_challenge */
    bool plain;               /* code_challenge_method=plain */
    const char *redirect_uri; /* instead of the client's */
    const char *resource;     /* instead of the discovered one */
    const char *scope;        /* instead of the default */
};

/* Send one authorization request for client `c` and drive it (redirects
 * on the AS's origin, --auto-consent, --login) until it leaves the AS. */
void sv_authorize(struct sv_ctx *x, const struct sv_client *c,
                  const struct sv_authz_opts *ao, struct sv_authz *a);
void sv_authz_free(struct sv_authz *a);

/* POST the token endpoint as client `c` with `form` (urlencoded, without
 * client authentication, which is added). */
bool sv_token(struct sv_ctx *x, const struct sv_client *c, const char *form,
              struct ac_http_response *resp, char *why, size_t whylen);

/* As sv_token, to the metadata's `endpoint` (revocation_endpoint,
 * introspection_endpoint). */
bool sv_post_as(struct sv_ctx *x, const char *endpoint,
                const struct sv_client *c, const char *form,
                struct ac_http_response *resp, char *why, size_t whylen);

/* Redeem a code: form for grant_type=authorization_code. A new string. */
char *sv_code_form(struct sv_ctx *x, const struct sv_client *c,
                   const char *code, const char *verifier,
                   const char *redirect_uri, const char *resource);

/* A full authorization code grant for client c (scope may be NULL). */
void sv_new_grant(struct sv_ctx *x, const struct sv_client *c,
                  const char *scope, struct sv_grant *g);
void sv_grant_free(struct sv_grant *g);

/* The token response body as a JSON object (new ref) or NULL. */
json_t *sv_json_body(const struct ac_http_response *r);

/* POST an MCP initialize to the MCP server with `auth` as the whole
 * Authorization header value (NULL: none) and `query` appended to the
 * URL (NULL: none). */
bool sv_mcp_call(struct sv_ctx *x, const char *auth, const char *query,
                 struct ac_http_response *resp, char *why, size_t whylen);

/* POST a JSON-RPC `body` to the MCP server, with `sid` as Mcp-Session-Id
 * (and the protocol version header) when non-NULL. */
bool sv_mcp_post(struct sv_ctx *x, const char *auth, const char *query,
                 const char *sid, const char *body,
                 struct ac_http_response *resp, char *why, size_t whylen);

/* Form encode pairs name, value, ... NULL (NULL values skipped). A new
 * string. */
char *sv_form(const char *name, ...);

/* Probe type and the probes' table (server_checks.c). */
typedef void (*sv_probe_fn)(struct sv_ctx *x, struct hc_result *r);
sv_probe_fn sv_probe(size_t i);

/* Probe helpers shared by server_checks.c and server_ext.c: r is set
 * (SKIPPED with the reason, or FAILURE) when they return false/NULL. */
bool sv_need_md(struct sv_ctx *x, struct hc_result *r);
struct sv_client *sv_need_pub(struct sv_ctx *x, struct hc_result *r);
bool sv_need_mcp(struct sv_ctx *x, struct hc_result *r);
bool sv_get_code(struct sv_ctx *x, struct hc_result *r,
                 const struct sv_client *c, const struct sv_authz_opts *ao,
                 struct sv_authz *a);
/* A valid access token for the MCP server (--token or a fresh grant into
 * g); borrowed. */
const char *sv_mcp_token(struct sv_ctx *x, struct hc_result *r,
                         struct sv_grant *g);
/* The status of an MCP initialize with "Bearer token" (0: no answer). */
long sv_mcp_bearer(struct sv_ctx *x, const char *token);
const char *sv_err_code(const json_t *doc);
bool sv_ok2xx(long st);

/* The probes of server_ext.c: expiry, DPoP, CIMD, client credentials. */
void sv_p_mcp_expired(struct sv_ctx *x, struct hc_result *r);
void sv_p_dpop_bearer(struct sv_ctx *x, struct hc_result *r);
void sv_p_dpop_ath(struct sv_ctx *x, struct hc_result *r);
void sv_p_dpop_valid(struct sv_ctx *x, struct hc_result *r);
void sv_p_cimd_fetch(struct sv_ctx *x, struct hc_result *r);
void sv_p_cimd_mismatch(struct sv_ctx *x, struct hc_result *r);
void sv_p_cimd_ssrf(struct sv_ctx *x, struct hc_result *r);
void sv_p_cc_grant(struct sv_ctx *x, struct hc_result *r);
void sv_p_cc_auth(struct sv_ctx *x, struct hc_result *r);
void sv_p_cc_no_refresh(struct sv_ctx *x, struct hc_result *r);

/* Set a result: status and printf message. */
void sv_set(struct hc_result *r, enum hc_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
