/* JSON Web Signatures in compact serialization (RFC 7515 §7.1) and JSON Web
 * Tokens (RFC 7519) with RS256 and ES256 (RFC 7518 §3.3, §3.4).
 *
 * Used by the mock authorization server (access tokens per RFC 9068, typ
 * "at+jwt"; verifying private_key_jwt client assertions, RFC 7523) and by
 * the reference client (creating those assertions).
 *
 * Verification failures of a token (malformed, alg not allowed, unknown
 * kid, bad signature, bad claims) are AC_ERR_INVALID with a message naming
 * the reason; AC_ERR_CRYPTO means OpenSSL itself failed. */
#ifndef AC_JWT_H
#define AC_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/err.h"
#include "common/jwk.h"

/* Compact JWS over `len` bytes of `payload`, signed with `key` (which must
 * have a private part) using the key's algorithm. The protected header is
 * {"alg", "typ" (omitted when `typ` is NULL), "kid" (the key's)}. Returns a
 * new string (free()) or NULL. Thread safe for a shared key. */
char *ac_jws_sign(const struct ac_jwk *key, const char *typ,
                  const void *payload, size_t len, struct ac_err *err);

/* As ac_jws_sign with the compact JSON serialization of `claims`, which
 * must be an object (borrowed). `typ` is e.g. "at+jwt" (RFC 9068 §2.1) or
 * "JWT". */
char *ac_jwt_sign(const struct ac_jwk *key, const char *typ,
                  const json_t *claims, struct ac_err *err);

/* As ac_jwt_sign with the caller's protected header (borrowed object,
 * serialized as is: it must name the key's "alg"), e.g. a DPoP proof's
 * {"typ": "dpop+jwt", "alg", "jwk"} (RFC 9449 §4.2). New string or NULL. */
char *ac_jwt_sign_with_header(const struct ac_jwk *key, const json_t *header,
                              const json_t *claims, struct ac_err *err);

/* What a verifier accepts. Exactly one of `jwks` and `key` is set. */
struct ac_jws_verify_params {
    /* Allow-list of AC_JWS_* bits. "none" and HS* are never accepted (RFC
     * 8725 §3.1, §3.2): a public key is never used as an HMAC secret. */
    unsigned algs;
    /* Keys to choose from: those whose kid equals the header's "kid" (all
     * keys when the header has none) and whose type fits "alg" are tried. */
    const struct ac_jwks *jwks;
    /* Or the one key to use, whatever the header's "kid" says. */
    const struct ac_jwk *key;
    /* Required "typ", or NULL to accept any. Compared case-insensitively
     * and with an "application/" prefix optional (RFC 7515 §4.1.9), so
     * "at+jwt" also accepts "application/at+jwt" (RFC 9068 §4). */
    const char *typ;
};

/* Verify a compact JWS strictly: three base64url parts, a protected header
 * that is a JSON object without duplicate keys, no "crit" (we understand no
 * extensions, RFC 7515 §4.1.11), an allowed "alg", a key as the params say,
 * and a valid signature. Header-supplied keys (jwk, jku, x5u, x5c) are
 * ignored. On success *payload is a new buffer (free()) of *payload_len
 * bytes plus an uncounted NUL, and *header (may be NULL) a new reference. */
bool ac_jws_verify(const char *token, const struct ac_jws_verify_params *p,
                   json_t **header, uint8_t **payload, size_t *payload_len,
                   struct ac_err *err);

/* ac_jws_verify, then parse the payload as a JSON object (strict: no
 * duplicate keys). Returns the claims as a new reference (json_decref) or
 * NULL; *header as for ac_jws_verify. Claims are NOT validated: call
 * ac_jwt_validate_claims(). */
json_t *ac_jwt_verify(const char *token, const struct ac_jws_verify_params *p,
                      json_t **header, struct ac_err *err);

/* Decode header and claims WITHOUT verifying anything but their syntax,
 * e.g. to read "iss"/"sub" of a client assertion before choosing whose
 * keys verify it. Never trust the result. New references on success. */
bool ac_jwt_peek_unverified(const char *token, json_t **header, json_t **claims,
                            struct ac_err *err);

/* Claim checks (RFC 7519 §4.1) applied by ac_jwt_validate_claims. */
struct ac_jwt_claims_params {
    const char *iss;  /* "iss" must equal this, or NULL */
    const char *aud;  /* "aud" (string or array) must contain it, or NULL */
    int64_t now;      /* current time, seconds since the epoch (ac_now()) */
    int64_t leeway;   /* seconds of clock skew tolerated, >= 0 */
    bool require_exp; /* "exp" must be present */
    /* NULL-terminated names of claims that must be present, or NULL. */
    const char *const *required;
};

/* Check `claims` (borrowed) against `p`: iss equality, aud membership,
 * exp (now < exp + leeway), nbf (now + leeway >= nbf), iat not in the
 * future (iat <= now + leeway), types of those claims when present, and
 * the required names. false with AC_ERR_INVALID and a message such as
 * "token expired at 2025-01-01T00:00:00Z (now ..., leeway 30 s)". */
bool ac_jwt_validate_claims(const json_t *claims,
                            const struct ac_jwt_claims_params *p,
                            struct ac_err *err);

#endif
