/* libFuzzer target: JWS/JWT and JWK (common/jwt.c, common/jwk.c), what the
 * mock AS reads in client assertions and CIMD documents and the client in
 * JWT access tokens and key files. The first byte picks the parser:
 *   'j' a compact JWS: verified with a fixed P-256 key and with a JWK Set
 *       made of it, then peeked and its claims validated;
 *   'k' a JWK (JSON): imported, exported, thumbprinted;
 *   's' a JWK Set (JSON): imported;
 *   'p' PEM: loaded.
 * Properties: a verified token has an object header and a payload; a key
 * that imports exports to a JWK that imports to the same kid; failures say
 * why. The fixed key exists for this target only. */
#include "tests/fuzz/fuzz.h"

#include "common/jwk.h"
#include "common/jwt.h"

static const char KEY_PEM[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg7OHVq7jouMIKnQQx\n"
    "GHp8sh6HwtCdOyHpJgbpt/UuOjOhRANCAAQ1PjKlUI3qYF8yytxthtgW0udVSvYQ\n"
    "0Vx6g5tWcx2nWpN08TuQhPfUZC0jYXpnxXBwearTwem+cVWJMCO/bby1\n"
    "-----END PRIVATE KEY-----\n";

static struct ac_jwk *key;
static struct ac_jwks *keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    key = ac_jwk_from_pem(KEY_PEM, sizeof(KEY_PEM) - 1, NULL);
    keys = ac_jwks_new();
    if (key == NULL || keys == NULL || !ac_jwks_add(keys, key, NULL)) {
        abort();
    }
    return 0;
}

static void fuzz_jws(const char *tok)
{
    struct ac_jws_verify_params p = {
        .algs = AC_JWS_ES256 | AC_JWS_RS256, .key = key, .typ = NULL};
    struct ac_jwt_claims_params cp = {.iss = "https://as.example",
                                      .aud = "https://m.example/mcp",
                                      .now = 1700000000,
                                      .leeway = 30,
                                      .require_exp = true};
    struct ac_err err = {0};
    json_t *h = NULL, *c = NULL;
    uint8_t *payload = NULL;
    size_t plen = 0;

    if (ac_jws_verify(tok, &p, &h, &payload, &plen, &err)) {
        FZ_ASSERT(json_is_object(h) && payload != NULL);
    } else {
        FZ_ASSERT(err.msg[0] != '\0');
    }
    json_decref(h);
    free(payload);
    p.key = NULL;
    p.jwks = keys;
    p.typ = "at+jwt";
    c = ac_jwt_verify(tok, &p, NULL, &err);
    json_decref(c);
    h = c = NULL;
    if (ac_jwt_peek_unverified(tok, &h, &c, &err)) {
        FZ_ASSERT(json_is_object(h) && json_is_object(c));
        memset(&err, 0, sizeof(err));
        FZ_ASSERT(ac_jwt_validate_claims(c, &cp, &err) || err.msg[0] != '\0');
    }
    json_decref(h);
    json_decref(c);
}

static void fuzz_jwk(const char *text, size_t len, bool set)
{
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    struct ac_err err = {0};
    struct ac_jwk *k = NULL, *back = NULL;
    json_t *exp = NULL;

    if (doc == NULL) {
        return;
    }
    if (set) {
        ac_jwks_free(ac_jwks_import(doc, NULL, &err));
        goto out;
    }
    free(ac_jwk_thumbprint(doc, &err));
    k = ac_jwk_import(doc, &err);
    if (k == NULL) {
        FZ_ASSERT(err.msg[0] != '\0');
        goto out;
    }
    exp = ac_jwk_export(k, false, &err);
    FZ_ASSERT(exp != NULL);
    back = ac_jwk_import(exp, &err);
    FZ_ASSERT(back != NULL);
    (void)ac_jwk_alg(back);
out:
    ac_jwk_free(back);
    ac_jwk_free(k);
    json_decref(exp);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;

    if (size == 0) {
        return 0;
    }
    text = fz_strndup(data + 1, size - 1);
    switch (data[0]) {
    case 'j':
        fuzz_jws(text);
        break;
    case 'k':
    case 's':
        fuzz_jwk(text, size - 1, data[0] == 's');
        break;
    case 'p':
        ac_jwk_free(ac_jwk_from_pem(text, size - 1, NULL));
        break;
    default:
        break;
    }
    free(text);
    return 0;
}
