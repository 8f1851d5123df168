/* Signing keys (keys.h): owns the current and previous struct ac_jwk. */
#include "mocks/keys.h"

#include <stdlib.h>

#include "common/jwt.h"

struct mo_keys {
    enum ac_jws_alg alg;
    struct ac_jwk *cur;
    struct ac_jwk *prev; /* NULL until the first rotation */
};

bool mo_keys_new(enum ac_jws_alg alg, struct mo_keys **out, struct ac_err *err)
{
    struct mo_keys *k = calloc(1, sizeof(*k));

    *out = NULL;
    if (k == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for signing keys");
        return false;
    }
    k->alg = alg;
    k->cur = ac_jwk_generate(alg, err);
    if (k->cur == NULL) {
        free(k);
        return false;
    }
    *out = k;
    return true;
}

struct ac_jwk *mo_keys_current(const struct mo_keys *k)
{
    return ac_jwk_dup(k->cur);
}

json_t *mo_keys_jwks(const struct mo_keys *k)
{
    json_t *keys = json_array();
    const struct ac_jwk *v[2] = {k->cur, k->prev};

    for (size_t i = 0; keys != NULL && i < 2; i++) {
        if (v[i] != NULL) {
            json_array_append_new(keys, ac_jwk_export(v[i], false, NULL));
        }
    }
    return json_pack("{s:o}", "keys", keys);
}

bool mo_keys_rotate(struct mo_keys *k, struct ac_err *err)
{
    struct ac_jwk *next = ac_jwk_generate(k->alg, err);

    if (next == NULL) {
        return false;
    }
    ac_jwk_free(k->prev);
    k->prev = k->cur;
    k->cur = next;
    return true;
}

void mo_keys_free(struct mo_keys *k)
{
    if (k == NULL) {
        return;
    }
    ac_jwk_free(k->cur);
    ac_jwk_free(k->prev);
    free(k);
}
