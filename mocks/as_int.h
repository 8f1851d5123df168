/* Private cross-file declarations of the mock authorization server
 * (mocks/as*.c): its state, its clients and codes, and the functions one
 * endpoint module uses from another. Every function here is called with
 * mo_shared.lock held unless it says otherwise. */
#ifndef MO_AS_INT_H
#define MO_AS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "mocks/dpop.h"

#include "common/form.h"
#include "mocks/as.h"
#include "mocks/httpd.h"

#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define CODE_TTL 60 /* seconds; RFC 6749 §4.1.2 recommends 10 min at most */

struct ac_jwks;
struct mo_keys;

enum refresh_mode { REFRESH_ROTATE, REFRESH_REUSE, REFRESH_NONE };

struct client {
    char *id;
    char *secret; /* NULL for token_endpoint_auth_method "none" */
    char *auth_method;
    json_t *metadata;           /* the registration response, as sent */
    int64_t secret_expires_at;  /* mo_world_now() seconds; 0 = never */
    bool preregistered;         /* from the scenario: survives "forget" */
    struct ac_jwks *jwks;       /* private_key_jwt keys, or NULL */
    bool loopback_any;          /* any loopback port whatever the AS's
                                   loopback_any_port (the built-in CIMD) */
    bool any_loopback_redirect; /* any http loopback redirect URI, port and
                                   path (the official suite's clients) */
};

struct code {
    char *value;
    char *client_id;
    char *redirect_uri;  /* the effective one */
    bool redirect_given; /* was redirect_uri in the authorization request? */
    char *challenge;
    char *resource;
    char *scope;
    int64_t expires_at;
    bool used;
    uint64_t grant;
};

struct mo_as {
    struct mo_shared *sh;
    char *id;
    char *path; /* issuer path without a trailing "/", "" for none */
    char *issuer;
    json_t *scopes;       /* scopes_supported, NULL when not defined */
    json_t *auth_methods; /* token_endpoint_auth_methods_supported */
    bool oauth_md, oidc_md, dcr;
    bool cimd;         /* URL client ids: Client ID Metadata Documents */
    bool lenient;      /* profile "lenient" (docs/MOCKS.md "Profiles") */
    unsigned defects;  /* mocks/defects.h flags (authcheck serve --defect) */
    bool loopback_any; /* RFC 8252 §7.3: any port on a loopback redirect */
    bool resource_optional; /* a missing `resource` means the MCP server
                               (2025-03-26 predates RFC 8707 in MCP) */
    struct mo_keys *keys;   /* JWT access tokens when non-NULL */
    json_t *jtis;           /* client_assertion jti values seen (replay) */
    json_t *pending;        /* consent page: txn -> authorization query */
    char *md_text[2];       /* serialised metadata (RFC 8414, OIDC), built
                               at start: it never changes afterwards */
    int64_t access_ttl;
    int64_t refresh_ttl; /* 0: refresh tokens never expire */
    enum refresh_mode refresh;
    struct client **clients;
    size_t nclients, ccap;
    struct code **codes;
    size_t ncodes, kcap;
    struct mo_httpd *httpd; /* where its routes live */
    bool own_httpd;         /* false: the MCP server's (mo_as_start host) */
    struct mo_dpop dpop;    /* RFC 9449 at the token endpoint (as_dpop) */
};

/* Query parameters, first value kept, with the first duplicated name and
 * decoding failures noted rather than fatal: the authorization endpoint
 * must still find client_id and redirect_uri to know whether it may
 * redirect the error (RFC 6749 §4.1.2.1). */
struct mo_as_query {
    struct ac_form form;
    char *dup; /* first duplicated name, or NULL */
    bool bad;  /* some piece failed to decode */
};

/* --- as.c: shared helpers --------------------------------------------- */

/* Append `p` to a growing pointer array (`arrp` is a `T ***`). */
bool mo_as_ptr_push(void *arrp, size_t *n, size_t *cap, void *p);

/* Add `s` (may be NULL: no-op) to the transcript's secrets. */
bool mo_as_secret_note(struct mo_as *as, const char *s);

/* A registered client by id (may be NULL), borrowed, or NULL. */
struct client *mo_as_client_find(const struct mo_as *as, const char *id);

/* Does the client's metadata array `member` contain `value`? */
bool mo_as_client_has(const struct client *c, const char *member,
                      const char *value);

/* RFC 6749 §5.2 error (400) from the token, registration, revocation or
 * introspection endpoint. */
bool mo_as_token_error(struct mo_reply *rep, const char *code,
                       const char *desc);

/* --- as_dpop.c -------------------------------------------------------- */

/* The DPoP proof of a token request (RFC 9449 §5): true with *jkt a new
 * string (or NULL: no proof, none needed) and *replied false to go on;
 * *replied when an error answer (invalid_dpop_proof, use_dpop_nonce) was
 * made. False on our failure. */
bool mo_as_token_dpop(struct mo_as *as, const struct mo_req *req,
                      const struct client *c, struct mo_reply *rep, char **jkt,
                      bool *replied);

/* --- as_jwtbearer.c -------------------------------------------------- */

/* What an accepted JWT bearer grant (RFC 7523 §2.1) gives: new strings. */
struct mo_jwt_grant {
    bool enterprise; /* an ID-JAG (enterprise-managed authorization) */
    char *sub;       /* the assertion's subject */
    char *resource;  /* the MCP server the token is for */
    char *scope;     /* "" when none was asked */
};

/* The verdict on a jwt-bearer token request of client `c` (for an
 * unauthenticated workload, a client whose id is ""): NULL with *g
 * filled (mo_jwt_grant_free) when it may be granted, else the error
 * description and *code its RFC 6749 §5.2 code. */
const char *mo_as_jwt_bearer_verdict(struct mo_as *as, const struct client *c,
                                     const struct ac_form *f,
                                     struct mo_jwt_grant *g, const char **code);
void mo_jwt_grant_free(struct mo_jwt_grant *g);

/* --- as_metadata.c ---------------------------------------------------- */

/* Serialise the RFC 8414 and OIDC documents into as->md_text (at start,
 * once the issuer is known). */
bool mo_as_metadata_build(struct mo_as *as, struct ac_err *err);

bool mo_as_handle_metadata(void *ctx, const struct mo_req *req,
                           struct mo_reply *rep);
bool mo_as_handle_jwks(void *ctx, const struct mo_req *req,
                       struct mo_reply *rep);

/* --- as_register.c ---------------------------------------------------- */

/* NULL when `v` is a non-empty array of acceptable redirect URIs, else
 * why not. */
const char *mo_as_check_redirect_uris(const json_t *v);

/* The token endpoint authentication methods this mock implements
 * (NULL-terminated). */
extern const char *const mo_as_auth_methods[];

/* Apply RFC 7591 §2 defaults to `md` (borrowed, modified) and check it;
 * NULL when valid, else the error description. */
const char *mo_as_check_metadata(json_t *md);

/* A client with a given id (and secret, NULL for none) from metadata
 * `md` (taken, even on failure). Borrowed result, NULL when out of
 * memory or its jwks cannot be imported. */
struct client *mo_as_client_push(struct mo_as *as, json_t *md, const char *id,
                                 const char *secret, bool pre);

void mo_as_client_free(struct client *c);

bool mo_as_handle_register(void *ctx, const struct mo_req *req,
                           struct mo_reply *rep);

/* --- as_cimd.c -------------------------------------------------------- */

/* A known client, or for a URL client_id with CIMD enabled, the fetched
 * and cached one (borrowed, or NULL). May release and re-take the world
 * lock while fetching: callers hold no borrowed pointer into shared
 * state across the call. */
struct client *mo_as_client_lookup(struct mo_as *as, const char *id);

/* --- as_authorize.c --------------------------------------------------- */

bool mo_as_query_parse(const char *text, struct mo_as_query *q);
void mo_as_query_free(struct mo_as_query *q);

/* 400 HTML page (no redirect: RFC 6749 §4.1.2.1). */
bool mo_as_authorize_page(struct mo_reply *rep, const char *what);

/* Error by redirect with state and the RFC 9207 iss. */
bool mo_as_authorize_error(const struct mo_as *as, struct mo_reply *rep,
                           const char *redirect_uri, const char *state,
                           const char *code, const char *desc);

/* Issue a code for a validated request and redirect with it. */
bool mo_as_authorize_success(struct mo_as *as, struct mo_reply *rep,
                             const struct mo_as_query *q,
                             const struct client *c, const char *redirect_uri);

/* The redirect URI to use (borrowed from `c` or `given`), or NULL. */
const char *mo_as_pick_redirect(const struct client *c, const char *given,
                                bool loopback_any);

void mo_as_code_free(struct code *k);

bool mo_as_handle_authorize(void *ctx, const struct mo_req *req,
                            struct mo_reply *rep);

/* --- as_consent.c ----------------------------------------------------- */

/* The consent page for a validated authorization request. */
bool mo_as_consent_page(struct mo_as *as, struct mo_reply *rep,
                        const struct mo_req *req, const struct client *c,
                        const char *redirect_uri);

bool mo_as_handle_consent(void *ctx, const struct mo_req *req,
                          struct mo_reply *rep);

/* --- as_clientauth.c -------------------------------------------------- */

/* Authenticate the client of a token, revocation or introspection
 * request. Returns false on our failure; *out (borrowed) is NULL when a
 * reply (400/401) was produced. */
bool mo_as_authenticate(struct mo_as *as, const struct mo_req *req,
                        const struct ac_form *f, struct mo_reply *rep,
                        struct client **out);

/* Parse a form body strictly into `f` (always initialised: free it);
 * *replied when a 400 was produced instead. */
bool mo_as_form_body(const struct mo_req *req, struct ac_form *f,
                     struct mo_reply *rep, bool *replied);

/* --- as_token.c, as_revoke.c ------------------------------------------ */

bool mo_as_handle_token(void *ctx, const struct mo_req *req,
                        struct mo_reply *rep);
bool mo_as_handle_revoke(void *ctx, const struct mo_req *req,
                         struct mo_reply *rep);
bool mo_as_handle_introspect(void *ctx, const struct mo_req *req,
                             struct mo_reply *rep);

/* The MCP server resource `r` names, as the world spells it (borrowed), or
 * NULL: "https://h" and "https://h/" are the same resource (RFC 3986
 * §6.2.3, ac_url_same_resource), anything else must match exactly. */
const char *mo_as_known_resource(const struct mo_as *as, const char *r);

#endif
