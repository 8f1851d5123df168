/* Private cross-file declarations of mocks/: the state every server of one
 * world shares (one lock, the transcript, the token table, the MCP
 * server's identity that the authorization servers check `resource`
 * against) and the token table's functions (tokens.c). */
#ifndef MO_WORLD_INT_H
#define MO_WORLD_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "mocks/transcript.h"

enum mo_token_kind { MO_TOKEN_ACCESS, MO_TOKEN_REFRESH };

/* An opaque token issued by one of the world's authorization servers. */
struct mo_token {
    char *value; /* the secret itself */
    enum mo_token_kind kind;
    char *issuer;
    char *client_id;
    char *resource;     /* audience (RFC 8707) */
    char *scope;        /* space-separated, "" when none */
    int64_t expires_at; /* ac_now() seconds; 0 = never */
    bool revoked;
    bool rotated;   /* a refresh token replaced by rotation */
    uint64_t grant; /* the authorization grant it descends from */
};

struct mo_tokens {
    struct mo_token **items; /* owned; pointers stay valid until free */
    size_t n;
    size_t cap;
    uint64_t next_grant;
};

/* State shared by all servers of a world. Every field except `lock` is
 * only touched with `lock` held (the httpd wrapper holds it around
 * handlers; mocks/world.c holds it while wiring the world). */
struct mo_shared {
    pthread_mutex_t lock;
    struct mo_transcript *transcript; /* owned by the world */
    struct mo_tokens tokens;
    char *resource;  /* canonical MCP resource URI, e.g. http://h:p/mcp */
    char *prm_url;   /* where the MCP server's PRM document is served */
    json_t *issuers; /* array of issuer strings the MCP server trusts */
};

/* A new grant (token family) identifier. */
uint64_t mo_tokens_new_grant(struct mo_tokens *t);

/* Issue a token with a fresh random value (ac_random_token). `ttl` seconds
 * from ac_now(), 0 for no expiry. Strings are copied. Returns a borrowed
 * pointer valid until mo_tokens_free, or NULL when out of memory. */
struct mo_token *mo_tokens_issue(struct mo_tokens *t, enum mo_token_kind kind,
                                 const char *issuer, const char *client_id,
                                 const char *resource, const char *scope,
                                 int64_t ttl, uint64_t grant,
                                 struct ac_err *err);

/* Look a token up by value and kind (constant-time comparison). Borrowed,
 * or NULL. Revoked and expired tokens are still found: callers judge. */
struct mo_token *mo_tokens_find(const struct mo_tokens *t, const char *value,
                                enum mo_token_kind kind);

/* Is the token usable now (not revoked, not rotated, not expired)? */
bool mo_token_active(const struct mo_token *tok);

/* Revoke every token of a grant (RFC 6749 §4.1.2 code replay, RFC 7009
 * §2.1 refresh revocation, refresh reuse detection). */
void mo_tokens_revoke_grant(struct mo_tokens *t, uint64_t grant);

void mo_tokens_free(struct mo_tokens *t);

/* Is every space-separated scope of `want` in `have` (a space-separated
 * string, or, when `have_arr` is non-NULL, that JSON array)? */
bool mo_scope_subset(const char *want, const char *have,
                     const json_t *have_arr);

#endif
