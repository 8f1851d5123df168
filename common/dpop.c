/* DPoP proofs (see dpop.h): RFC 9449 §4.2 creation, §4.3 checking, plus
 * the MCP profile's content_digest (ext-auth dpop-extension). */
#include "common/dpop.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/b64url.h"
#include "common/crypto.h"
#include "common/json.h"
#include "common/jwt.h"

char *ac_dpop_ath(const char *access_token)
{
    uint8_t h[AC_SHA256_LEN];

    if (access_token == NULL ||
        !ac_sha256(access_token, strlen(access_token), h, NULL)) {
        return NULL;
    }
    return ac_b64url_encode(h, sizeof h);
}

char *ac_dpop_content_digest(const char *body, size_t len)
{
    uint8_t h[AC_SHA256_LEN];
    char *b64, *out = NULL;

    if (!ac_sha256(body != NULL ? body : "", body != NULL ? len : 0, h, NULL)) {
        return NULL;
    }
    b64 = ac_b64_encode(h, sizeof h);
    if (b64 != NULL && asprintf(&out, "sha-256=:%s:", b64) < 0) {
        out = NULL;
    }
    free(b64);
    return out;
}

/* The public JWK of `key` with only its RFC 7638 members and "alg". */
static json_t *public_jwk(const struct ac_jwk *key, struct ac_err *err)
{
    json_t *jwk = ac_jwk_export(key, false, err);

    if (jwk != NULL) {
        json_object_del(jwk, "kid");
        json_object_del(jwk, "use");
    }
    return jwk;
}

char *ac_dpop_proof(const struct ac_jwk *key, const struct ac_dpop_claims *c,
                    struct ac_err *err)
{
    json_t *hdr = NULL, *claims = NULL;
    char *jti = NULL, *ath = NULL, *cd = NULL, *proof = NULL;

    jti = c->jti != NULL ? strdup(c->jti) : ac_random_token(16, err);
    ath = c->access_token != NULL ? ac_dpop_ath(c->access_token) : NULL;
    cd = c->body != NULL ? ac_dpop_content_digest(c->body, c->body_len) : NULL;
    hdr = json_pack("{s:s, s:s, s:o*}", "typ", "dpop+jwt", "alg",
                    ac_jws_alg_name(ac_jwk_alg(key)), "jwk",
                    public_jwk(key, err));
    claims = json_pack("{s:s, s:s, s:s, s:I, s:s*, s:s*, s:s*}", "jti", jti,
                       "htm", c->htm, "htu", c->htu, "iat", (json_int_t)c->iat,
                       "ath", ath, "nonce", c->nonce, "content_digest", cd);
    if (jti == NULL || hdr == NULL || claims == NULL ||
        json_object_get(hdr, "jwk") == NULL ||
        (c->access_token != NULL && ath == NULL) ||
        (c->body != NULL && cd == NULL)) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory building a DPoP proof");
        goto out;
    }
    proof = ac_jwt_sign_with_header(key, hdr, claims, err);
out:
    json_decref(hdr);
    json_decref(claims);
    free(jti);
    free(ath);
    free(cd);
    return proof;
}

void ac_dpop_seen_free(struct ac_dpop_seen *s)
{
    if (s == NULL) {
        return;
    }
    free(s->jkt);
    free(s->jti);
    free(s->nonce);
    memset(s, 0, sizeof *s);
}

/* --- the key cache ------------------------------------------------------ */

#define KEYS_MAX 8

/* One imported key. The text is the whole jwk (sorted, compact), not its
 * thumbprint: members outside the thumbprint ("alg", "use", "kid") decide
 * whether ac_jwk_import accepts it, so only an identical jwk may reuse the
 * verdict. */
struct key_entry {
    char *text;
    struct ac_jwk *key;
    char *jkt;
    uint64_t used; /* the cache's clock at the last hit: least is evicted */
};

struct ac_dpop_keys {
    pthread_mutex_t lock;
    struct key_entry e[KEYS_MAX];
    uint64_t clock;
};

struct ac_dpop_keys *ac_dpop_keys_new(void)
{
    struct ac_dpop_keys *k = calloc(1, sizeof *k);

    if (k != NULL && pthread_mutex_init(&k->lock, NULL) != 0) {
        free(k);
        k = NULL;
    }
    return k;
}

static void entry_clear(struct key_entry *e)
{
    free(e->text);
    ac_jwk_free(e->key);
    free(e->jkt);
    memset(e, 0, sizeof *e);
}

void ac_dpop_keys_free(struct ac_dpop_keys *keys)
{
    if (keys == NULL) {
        return;
    }
    for (size_t i = 0; i < KEYS_MAX; i++) {
        entry_clear(&keys->e[i]);
    }
    pthread_mutex_destroy(&keys->lock);
    free(keys);
}

/* A copy of the key imported from `text` and its thumbprint, when cached. */
static bool keys_find(struct ac_dpop_keys *k, const char *text,
                      struct ac_jwk **key, char **jkt)
{
    bool hit = false;

    pthread_mutex_lock(&k->lock);
    for (size_t i = 0; i < KEYS_MAX && !hit; i++) {
        struct key_entry *e = &k->e[i];

        if (e->text != NULL && strcmp(e->text, text) == 0) {
            *key = ac_jwk_dup(e->key);
            *jkt = strdup(e->jkt);
            e->used = ++k->clock;
            hit = true;
        }
    }
    pthread_mutex_unlock(&k->lock);
    if (hit && (*key == NULL || *jkt == NULL)) {
        ac_jwk_free(*key);
        free(*jkt);
        *key = NULL;
        *jkt = NULL;
    }
    return *key != NULL;
}

/* Keep copies of `key` and `jkt` under `text`, in place of the least
 * recently used entry. Out of memory: nothing is kept. */
static void keys_add(struct ac_dpop_keys *k, const char *text,
                     const struct ac_jwk *key, const char *jkt)
{
    struct key_entry n = {
        .text = strdup(text), .key = ac_jwk_dup(key), .jkt = strdup(jkt)};
    struct key_entry *victim;

    if (n.text == NULL || n.key == NULL || n.jkt == NULL) {
        entry_clear(&n);
        return;
    }
    pthread_mutex_lock(&k->lock);
    victim = &k->e[0];
    for (size_t i = 1; i < KEYS_MAX; i++) {
        if (k->e[i].used < victim->used) {
            victim = &k->e[i];
        }
    }
    entry_clear(victim);
    n.used = ++k->clock;
    *victim = n;
    pthread_mutex_unlock(&k->lock);
}

/* The key of `jwk` and its RFC 7638 thumbprint: from the cache when it
 * has this very jwk, else imported (and then cached). A new key. */
static struct ac_jwk *import_key(const json_t *jwk, struct ac_dpop_keys *keys,
                                 char **jkt, struct ac_err *err)
{
    char *text =
        keys != NULL ? json_dumps(jwk, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    struct ac_jwk *key = NULL;

    if (text != NULL && keys_find(keys, text, &key, jkt)) {
        free(text);
        return key;
    }
    key = ac_jwk_import(jwk, err);
    *jkt = key != NULL ? ac_jwk_thumbprint(jwk, err) : NULL;
    if (key != NULL && *jkt == NULL) {
        ac_jwk_free(key);
        key = NULL;
    }
    if (key != NULL && text != NULL) {
        keys_add(keys, text, key, *jkt);
    }
    free(text);
    return key;
}

/* --- verification -------------------------------------------------------- */

/* RFC 9449 §4.3 step 7: the header's jwk, public only. A new key. */
static struct ac_jwk *header_key(const char *proof, struct ac_dpop_keys *keys,
                                 char **jkt, struct ac_err *err)
{
    static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi", NULL};
    json_t *h = NULL, *cl = NULL;
    const json_t *jwk;
    struct ac_jwk *key = NULL;

    if (!ac_jwt_peek_unverified(proof, &h, &cl, err)) {
        goto out;
    }
    jwk = json_object_get(h, "jwk");
    if (!json_is_object(jwk)) {
        AC_ERR(err, AC_ERR_INVALID, "proof header has no jwk");
        goto out;
    }
    for (size_t i = 0; priv[i] != NULL; i++) {
        if (json_object_get(jwk, priv[i]) != NULL) {
            AC_ERR(err, AC_ERR_INVALID,
                   "proof jwk holds private key material (\"%s\")", priv[i]);
            goto out;
        }
    }
    key = import_key(jwk, keys, jkt, err);
out:
    json_decref(h);
    json_decref(cl);
    return key;
}

static const char *claim_str(const json_t *cl, const char *name)
{
    return json_string_value(json_object_get(cl, name));
}

/* Compare claim `name` with `want`: NULL when equal, else why not. */
static bool claim_eq(const json_t *cl, const char *name, const char *want,
                     struct ac_err *err)
{
    const char *v = claim_str(cl, name);

    if (v == NULL || want == NULL || strcmp(v, want) != 0) {
        AC_ERR(err, AC_ERR_INVALID, "proof %s %s%s%s does not match", name,
               v != NULL ? "\"" : "", v != NULL ? v : "missing",
               v != NULL ? "\"" : "");
        return false;
    }
    return true;
}

static bool check_claims(const json_t *cl, const struct ac_dpop_expect *x,
                         struct ac_err *err)
{
    const json_t *iat = json_object_get(cl, "iat");
    char *ath = NULL, *cd = NULL;
    bool ok = false;

    if (claim_str(cl, "jti") == NULL || *claim_str(cl, "jti") == '\0' ||
        !json_is_integer(iat)) {
        AC_ERR(err, AC_ERR_INVALID, "proof lacks jti or a numeric iat");
        goto out;
    }
    if (!claim_eq(cl, "htm", x->htm, err) ||
        !claim_eq(cl, "htu", x->htu, err)) {
        goto out;
    }
    if (json_integer_value(iat) > x->now + x->window ||
        json_integer_value(iat) < x->now - x->window) {
        AC_ERR(err, AC_ERR_INVALID,
               "proof iat %lld is outside now %lld +- %lld",
               (long long)json_integer_value(iat), (long long)x->now,
               (long long)x->window);
        goto out;
    }
    if (x->ath_of != NULL && ((ath = ac_dpop_ath(x->ath_of)) == NULL ||
                              !claim_eq(cl, "ath", ath, err))) {
        goto out;
    }
    if ((x->require_digest || json_object_get(cl, "content_digest")) &&
        ((cd = ac_dpop_content_digest(x->body, x->body_len)) == NULL ||
         !claim_eq(cl, "content_digest", cd, err))) {
        goto out;
    }
    ok = true;
out:
    free(ath);
    free(cd);
    return ok;
}

enum ac_dpop_verdict ac_dpop_verify(const char *proof,
                                    const struct ac_dpop_expect *x,
                                    struct ac_dpop_seen *out,
                                    struct ac_err *err)
{
    struct ac_jws_verify_params p = {.algs = x->algs, .typ = "dpop+jwt"};
    json_t *hdr = NULL, *cl = NULL;
    const char *typ, *nonce;
    enum ac_dpop_verdict v = AC_DPOP_INVALID;

    memset(out, 0, sizeof *out);
    p.key = header_key(proof, x->keys, &out->jkt, err);
    if (p.key == NULL) {
        goto out;
    }
    cl = ac_jwt_verify(proof, &p, &hdr, err);
    typ = json_string_value(json_object_get(hdr, "typ"));
    /* RFC 9449 §4.3 step 4: typ exactly dpop+jwt, no media-type prefix. */
    if (cl == NULL || typ == NULL || strcmp(typ, "dpop+jwt") != 0) {
        if (cl != NULL) {
            AC_ERR(err, AC_ERR_INVALID, "proof typ is not dpop+jwt");
        }
        goto out;
    }
    if (!check_claims(cl, x, err)) {
        goto out;
    }
    nonce = claim_str(cl, "nonce");
    out->jti = strdup(claim_str(cl, "jti"));
    out->nonce = nonce != NULL ? strdup(nonce) : NULL;
    out->iat = (int64_t)json_integer_value(json_object_get(cl, "iat"));
    if (out->jti == NULL || (nonce != NULL && out->nonce == NULL)) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        v = AC_DPOP_FAILED;
        goto out;
    }
    /* RFC 9449 §8 / §9: a missing or stale nonce is use_dpop_nonce. */
    v = x->nonce != NULL && (nonce == NULL || strcmp(nonce, x->nonce) != 0)
            ? AC_DPOP_BAD_NONCE
            : AC_DPOP_VALID;
    if (v == AC_DPOP_BAD_NONCE) {
        AC_ERR(err, AC_ERR_INVALID, "proof nonce %s",
               nonce != NULL ? "is stale" : "is missing");
    }
out:
    ac_jwk_free((struct ac_jwk *)p.key);
    json_decref(hdr);
    json_decref(cl);
    if (v == AC_DPOP_INVALID || v == AC_DPOP_FAILED) {
        ac_dpop_seen_free(out);
    }
    return v;
}
