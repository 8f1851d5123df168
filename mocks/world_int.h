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
    char *jkt;      /* DPoP binding (RFC 9449 §6: cnf.jkt), NULL: none */
};

struct mo_tokens {
    struct mo_token **items; /* owned; pointers stay valid until free */
    size_t n;
    size_t cap;
    uint64_t next_grant;
    size_t max; /* 0: unlimited; else the oldest half goes past it */
};

struct mo_rules;

/* One event (docs/MOCKS.md "Events") waiting for the rules engine. */
struct mo_event {
    char *name;      /* "token.issued", ... */
    char *server;    /* the server that emitted it */
    char *token;     /* the token involved, or NULL */
    char *client_id; /* the client involved, or NULL */
};

/* Events emitted by a handler are queued and handed to the rules engine
 * after the handler returned (so state operations never pull state from
 * under a running handler). */
struct mo_events {
    struct mo_event *items;
    size_t n, cap;
};

/* State shared by all servers of a world. Every field except `lock` is
 * only touched with `lock` held (the httpd wrapper holds it around
 * handlers and rule hooks; mocks/world.c holds it while wiring the world
 * and for control API operations). */
struct mo_shared {
    pthread_mutex_t lock;
    struct mo_transcript *transcript; /* owned by the world */
    struct mo_tokens tokens;
    char *resource;       /* canonical MCP resource URI, e.g. http://h:p/mcp */
    char *prm_url;        /* where the MCP server's PRM document is served */
    json_t *resources;    /* array: the resource of every MCP server (the
                             first is `resource`); what `resource` may name */
    json_t *issuers;      /* array of issuer strings the MCP server trusts (and
                             its PRM lists); a "switch_as" operation replaces it */
    int64_t clock_offset; /* virtual clock: seconds added to ac_now() */
    struct mo_rules *rules; /* owned by the world; NULL: no rules */
    struct mo_events events;
    bool interactive; /* /authorize renders a consent page */
    bool login;       /* ... with a login form and a session cookie */
    /* Scenario "tls": the PEMs every server but the control API serves
     * HTTPS with (borrowed from common/tlsca.h), NULL for plain http; and
     * the origin of the world's plain-http listener ("insecure", named
     * http://0.0.0.0:PORT: not a loopback name, see docs/MOCKS.md "TLS"),
     * what rules reach as ${insecure_origin}. */
    const char *tls_key, *tls_cert;
    char *insecure_origin;
    unsigned threads; /* per server, see struct mo_world_options */
    /* MCP authorization extensions (mocks/issuers.h), NULL when the
     * scenario has none: trusted by every authorization server. */
    struct mo_issuer *workload; /* workload identity federation */
    struct mo_issuer *idp;      /* enterprise-managed authorization */
};

/* The world's virtual time: ac_now() plus the offset rules and the
 * control API advance. Every expiry in mocks/ is judged against it. */
int64_t mo_world_now(const struct mo_shared *sh);

/* Queue an event (strings copied; token, client_id may be NULL). Out of
 * memory drops the event (logged). Caller holds sh->lock. */
void mo_rules_emit(struct mo_shared *sh, const char *name, const char *server,
                   const char *token, const char *client_id);

/* The context a state operation runs in: the request or event that
 * triggered it. Every member may be NULL. */
struct mo_opctx {
    const char *server;
    const char *token;
    const char *client_id;
};

/* Run the state operations of a "do" object (docs/MOCKS.md "State
 * operations"): forget, expire, revoke, switch_as, rotate_keys,
 * advance_clock. Members that are not state operations are ignored.
 * `ops` and `ctx` are borrowed. Caller holds sh->lock. Implemented in
 * world.c, which knows every server. */
bool mo_world_apply_ops(struct mo_shared *sh, const json_t *ops,
                        const struct mo_opctx *ctx, struct ac_err *err);

struct mo_world;

/* Back to the start state: forget dynamic clients, codes, sessions and
 * tokens, zero the clock offset and the rule counters, restore the PRM's
 * authorization servers. The transcript stays. Caller holds sh->lock. */
bool mo_world_reset_locked(struct mo_world *w, struct ac_err *err);

/* {"authorization_servers": [{"id": ..}, ..]}: enough of a scenario for
 * mo_rules_check to resolve ids. A new reference. */
json_t *mo_world_ids_doc(struct mo_world *w);

/* Runtime values for the ${...} placeholders of rule values (rules.c):
 * the issuer of authorization server `id` (NULL: the first one) and the
 * MCP endpoint URL. Borrowed, valid while the world runs; NULL when there
 * is no such server. Caller holds sh->lock. Implemented in world.c. */
const char *mo_world_issuer_of(const struct mo_shared *sh, const char *id);

struct mo_httpd;
/* Make `h` serve HTTPS when the world does: with the certificate kind
 * `cert` (common/tlsca.h names, "wrong-name", ...; NULL: the valid one).
 * A no-op for a plain-http world. Before mo_httpd_listen. */
bool mo_world_tls_apply(const struct mo_shared *sh, struct mo_httpd *h,
                        const char *cert, struct ac_err *err);
const char *mo_world_mcp_url_of(const struct mo_shared *sh);

/* A new grant (token family) identifier. */
uint64_t mo_tokens_new_grant(struct mo_tokens *t);

/* Past t->max tokens, forget the oldest half (a long-running serve). Only
 * between handlers: pointers to forgotten tokens die. */
void mo_tokens_trim(struct mo_tokens *t);

/* Issue a token with a fresh random value (ac_random_token). `ttl` seconds
 * from `now` (mo_world_now()), 0 for no expiry. Strings are copied. Returns a
 * borrowed pointer valid until mo_tokens_free, or NULL when out of memory. */
struct mo_token *mo_tokens_issue(struct mo_tokens *t, enum mo_token_kind kind,
                                 const char *issuer, const char *client_id,
                                 const char *resource, const char *scope,
                                 int64_t now, int64_t ttl, uint64_t grant,
                                 struct ac_err *err);

/* As mo_tokens_issue with a given value (taken, even on failure) and an
 * absolute expiry (0: never). */
struct mo_token *
mo_tokens_issue_value_take(struct mo_tokens *t, enum mo_token_kind kind,
                           const char *issuer, const char *client_id,
                           const char *resource, const char *scope,
                           int64_t expires_at, uint64_t grant, char *value);

/* Look a token up by value and kind (constant-time comparison). Borrowed,
 * or NULL. Revoked and expired tokens are still found: callers judge. */
struct mo_token *mo_tokens_find(const struct mo_tokens *t, const char *value,
                                enum mo_token_kind kind);

/* Is the token usable at `now` (not revoked, not rotated, not expired)? */
bool mo_tokens_active(const struct mo_token *tok, int64_t now);

/* Revoke every token of a grant (RFC 6749 §4.1.2 code replay, RFC 7009
 * §2.1 refresh revocation, refresh reuse detection). */
void mo_tokens_revoke_grant(struct mo_tokens *t, uint64_t grant);

void mo_tokens_free(struct mo_tokens *t);

#endif
