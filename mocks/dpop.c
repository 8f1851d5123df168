/* DPoP at the mock servers (see dpop.h). The proof itself is checked by
 * common/dpop.c; this module adds what needs server state: the allowed
 * algorithms, the nonce (RFC 9449 §8, §9) and the jti cache (§11.1). */
#include "mocks/dpop.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/dpop.h"
#include "common/jwk.h"
#include "mocks/schema.h"

/* RFC 9449 §11.1 and the MCP profile: +-5 minutes around our clock. */
#define IAT_WINDOW 300
#define JTI_MAX 4096

bool mo_dpop_configure(struct mo_dpop *d, const json_t *conf)
{
    size_t i;
    const json_t *a;
    json_t *algs;

    memset(d, 0, sizeof *d);
    if (!json_is_object(conf)) {
        return true;
    }
    d->on = true;
    d->required = mo_schema_bool(conf, mo_schema_dpop, "required");
    d->nonce = mo_schema_bool(conf, mo_schema_dpop, "nonce");
    d->content_digest = mo_schema_bool(conf, mo_schema_dpop, "content_digest");
    d->rotate = (long)mo_schema_int(conf, mo_schema_dpop, "nonce_rotate");
    algs = mo_schema_value(conf, mo_schema_dpop, "algs");
    json_array_foreach(algs, i, a)
    {
        const char *n = json_string_value(a);

        d->algs |= n == NULL                 ? 0u
                   : strcmp(n, "ES256") == 0 ? (unsigned)AC_JWS_ES256
                   : strcmp(n, "RS256") == 0 ? (unsigned)AC_JWS_RS256
                                             : 0u;
    }
    json_decref(algs);
    if (d->algs == 0) {
        d->algs = AC_JWS_ES256 | AC_JWS_RS256;
    }
    d->jtis = json_object();
    d->keys = ac_dpop_keys_new();
    return d->jtis != NULL && d->keys != NULL;
}

void mo_dpop_reset(struct mo_dpop *d)
{
    free(d->cur);
    d->cur = NULL;
    d->uses = 0;
    json_object_clear(d->jtis);
}

void mo_dpop_free(struct mo_dpop *d)
{
    free(d->cur);
    json_decref(d->jtis);
    ac_dpop_keys_free(d->keys);
    memset(d, 0, sizeof *d);
}

const char *mo_dpop_algs_text(const struct mo_dpop *d)
{
    unsigned both = AC_JWS_ES256 | AC_JWS_RS256;

    return (d->algs & both) == both        ? "ES256 RS256"
           : (d->algs & AC_JWS_ES256) != 0 ? "ES256"
                                           : "RS256";
}

json_t *mo_dpop_algs_json(const struct mo_dpop *d)
{
    json_t *arr = json_array();

    if (arr != NULL && (d->algs & AC_JWS_ES256) != 0) {
        json_array_append_new(arr, json_string("ES256"));
    }
    if (arr != NULL && (d->algs & AC_JWS_RS256) != 0) {
        json_array_append_new(arr, json_string("RS256"));
    }
    return arr;
}

/* The current nonce, made on first use. Borrowed, NULL when out of memory. */
static const char *current_nonce(struct mo_dpop *d)
{
    if (d->cur == NULL) {
        d->cur = ac_random_token(16, NULL);
        d->uses = 0;
    }
    return d->cur;
}

bool mo_dpop_nonce_header(struct mo_dpop *d, struct mo_reply *rep)
{
    const char *n;

    if (!d->on || !d->nonce) {
        return true;
    }
    n = current_nonce(d);
    return n != NULL && mo_reply_header(rep, "DPoP-Nonce", n);
}

/* The htu a proof must carry: the request URI without query (§4.3). */
static char *target_uri(const struct mo_req *req)
{
    const char *q = strchr(req->url, '?');

    return strndup(req->url,
                   q != NULL ? (size_t)(q - req->url) : strlen(req->url));
}

/* RFC 9449 §11.1: a jti accepted once is never accepted again. */
static bool replayed(struct mo_dpop *d, const struct ac_dpop_seen *s, bool *oom)
{
    char *key = NULL;
    bool seen;

    *oom = false;
    if (asprintf(&key, "%s.%s", s->jkt, s->jti) < 0) {
        *oom = true;
        return false;
    }
    seen = json_object_get(d->jtis, key) != NULL;
    if (!seen) {
        if (json_object_size(d->jtis) >= JTI_MAX) {
            json_object_clear(d->jtis);
        }
        *oom = json_object_set_new(d->jtis, key, json_true()) != 0;
    }
    free(key);
    return seen;
}

/* Count an accepted proof; past `rotate` uses the nonce changes. */
static void nonce_used(struct mo_dpop *d)
{
    if (d->nonce && d->rotate > 0 && ++d->uses >= d->rotate) {
        free(d->cur);
        d->cur = NULL;
    }
}

enum mo_dpop_outcome mo_dpop_check(struct mo_dpop *d, const struct mo_req *req,
                                   const char *access_token, bool digest,
                                   int64_t now, char **jkt, char *why,
                                   size_t whylen)
{
    struct ac_dpop_expect x = {.algs = d->algs,
                               .htm = req->method,
                               .now = now,
                               .window = IAT_WINDOW,
                               .ath_of = access_token,
                               .body = req->body,
                               .body_len = req->body_len,
                               .require_digest = digest,
                               .keys = d->keys};
    struct ac_dpop_seen seen = {0};
    struct ac_err err = {0};
    const char *proof = mo_req_header(req, "DPoP");
    enum mo_dpop_outcome o = MO_DPOP_ERROR;
    char *htu = NULL;
    bool oom;

    *jkt = NULL;
    if (proof == NULL) {
        return MO_DPOP_ABSENT;
    }
    if (mo_req_header_count(req, "DPoP") > 1) {
        snprintf(why, whylen,
                 "more than one DPoP header (RFC 9449 section 4.3)");
        return MO_DPOP_INVALID;
    }
    htu = target_uri(req);
    x.htu = htu;
    x.nonce = d->nonce ? current_nonce(d) : NULL;
    if (htu == NULL || (d->nonce && x.nonce == NULL)) {
        goto out;
    }
    switch (ac_dpop_verify(proof, &x, &seen, &err)) {
    case AC_DPOP_VALID:
        break;
    case AC_DPOP_BAD_NONCE:
        snprintf(why, whylen, "%s", err.msg);
        o = MO_DPOP_USE_NONCE;
        goto out;
    case AC_DPOP_INVALID:
        snprintf(why, whylen, "%s", err.msg);
        o = MO_DPOP_INVALID;
        goto out;
    case AC_DPOP_FAILED:
        goto out;
    }
    if (replayed(d, &seen, &oom) || oom) {
        snprintf(why, whylen, "proof jti already used (RFC 9449 section 11.1)");
        o = oom ? MO_DPOP_ERROR : MO_DPOP_INVALID;
        goto out;
    }
    *jkt = seen.jkt;
    seen.jkt = NULL;
    nonce_used(d);
    o = MO_DPOP_OK;
out:
    ac_dpop_seen_free(&seen);
    free(htu);
    return o;
}
