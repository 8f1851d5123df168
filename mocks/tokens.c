/* The token table shared by a world's authorization servers (which issue
 * and revoke) and its MCP server (which validates), plus scope-set helpers.
 * Callers hold mo_shared.lock. */
#include "mocks/world_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"

uint64_t mo_tokens_new_grant(struct mo_tokens *t)
{
    return ++t->next_grant;
}

static void token_free(struct mo_token *tok)
{
    if (tok == NULL) {
        return;
    }
    ac_secret_free(tok->value);
    free(tok->issuer);
    free(tok->client_id);
    free(tok->resource);
    free(tok->scope);
    free(tok->jkt);
    free(tok);
}

static bool tokens_reserve(struct mo_tokens *t)
{
    struct mo_token **p;
    size_t ncap;

    if (t->n < t->cap) {
        return true;
    }
    ncap = t->cap != 0 ? t->cap * 2 : 16;
    p = realloc(t->items, ncap * sizeof(*p));
    if (p == NULL) {
        return false;
    }
    t->items = p;
    t->cap = ncap;
    return true;
}

struct mo_token *mo_tokens_issue(struct mo_tokens *t, enum mo_token_kind kind,
                                 const char *issuer, const char *client_id,
                                 const char *resource, const char *scope,
                                 int64_t now, int64_t ttl, uint64_t grant,
                                 struct ac_err *err)
{
    struct mo_token *tok = calloc(1, sizeof(*tok));

    if (tok == NULL || !tokens_reserve(t)) {
        free(tok);
        AC_ERR(err, AC_ERR_NOMEM, "out of memory issuing a token");
        return NULL;
    }
    tok->kind = kind;
    tok->grant = grant;
    tok->expires_at = ttl > 0 ? now + ttl : 0;
    tok->value = ac_random_token(32, err);
    tok->issuer = strdup(issuer);
    tok->client_id = strdup(client_id);
    tok->resource = strdup(resource != NULL ? resource : "");
    tok->scope = strdup(scope != NULL ? scope : "");
    if (tok->value == NULL || tok->issuer == NULL || tok->client_id == NULL ||
        tok->resource == NULL || tok->scope == NULL) {
        token_free(tok);
        AC_ERR(err, AC_ERR_NOMEM, "out of memory issuing a token");
        return NULL;
    }
    t->items[t->n++] = tok;
    return tok;
}

struct mo_token *
mo_tokens_issue_value_take(struct mo_tokens *t, enum mo_token_kind kind,
                           const char *issuer, const char *client_id,
                           const char *resource, const char *scope,
                           int64_t expires_at, uint64_t grant, char *value)
{
    struct mo_token *tok = calloc(1, sizeof(*tok));

    if (tok == NULL || !tokens_reserve(t)) {
        free(tok);
        ac_secret_free(value);
        return NULL;
    }
    tok->kind = kind;
    tok->grant = grant;
    tok->expires_at = expires_at;
    tok->value = value;
    tok->issuer = strdup(issuer);
    tok->client_id = strdup(client_id);
    tok->resource = strdup(resource != NULL ? resource : "");
    tok->scope = strdup(scope != NULL ? scope : "");
    if (tok->value == NULL || tok->issuer == NULL || tok->client_id == NULL ||
        tok->resource == NULL || tok->scope == NULL) {
        token_free(tok);
        return NULL;
    }
    t->items[t->n++] = tok;
    return tok;
}

struct mo_token *mo_tokens_find(const struct mo_tokens *t, const char *value,
                                enum mo_token_kind kind)
{
    if (value == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (t->items[i]->kind == kind &&
            ac_secret_eq(t->items[i]->value, value)) {
            return t->items[i];
        }
    }
    return NULL;
}

bool mo_tokens_active(const struct mo_token *tok, int64_t now)
{
    if (tok->revoked || tok->rotated) {
        return false;
    }
    return tok->expires_at == 0 || now < tok->expires_at;
}

void mo_tokens_revoke_grant(struct mo_tokens *t, uint64_t grant)
{
    for (size_t i = 0; i < t->n; i++) {
        if (t->items[i]->grant == grant) {
            t->items[i]->revoked = true;
        }
    }
}

void mo_tokens_trim(struct mo_tokens *t)
{
    size_t drop;

    if (t->max == 0 || t->n <= t->max) {
        return;
    }
    drop = t->n / 2;
    for (size_t i = 0; i < drop; i++) {
        token_free(t->items[i]);
    }
    memmove(t->items, t->items + drop, (t->n - drop) * sizeof(*t->items));
    t->n -= drop;
}

void mo_tokens_free(struct mo_tokens *t)
{
    for (size_t i = 0; i < t->n; i++) {
        token_free(t->items[i]);
    }
    free(t->items);
    t->items = NULL;
    t->n = t->cap = 0;
    t->next_grant = 0;
}
