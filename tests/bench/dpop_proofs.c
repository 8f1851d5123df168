/* DPoP proofs for `make bench` (scripts/bench_mocks.sh): N proofs (RFC 9449
 * §4.2, ES256, one fresh key, a fresh jti each, iat now) for POST URL, one
 * per line in OUT, so that wrk (which cannot sign) sends a new proof with
 * every token request. Made with common/dpop.c, the code the reference
 * client signs with, so the bench needs no Python.
 *
 * usage: dpop-proofs URL N OUT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dpop.h"
#include "common/jwk.h"

int main(int argc, char **argv)
{
    struct ac_err err;
    struct ac_jwk *key = NULL;
    FILE *out = NULL;
    long n;
    char *end = NULL;
    int rc = 1;

    if (argc != 4 || (n = strtol(argv[2], &end, 10)) <= 0 || *end != '\0' ||
        n > 10000000) {
        fprintf(stderr, "usage: dpop-proofs URL N OUT (N: 1 to 10000000)\n");
        return 2;
    }
    key = ac_jwk_generate(AC_JWS_ES256, &err);
    if (key == NULL) {
        fprintf(stderr, "dpop-proofs: %s\n", err.msg);
        goto out;
    }
    out = fopen(argv[3], "w");
    if (out == NULL) {
        perror(argv[3]);
        goto out;
    }
    for (long k = 0; k < n; k++) {
        struct ac_dpop_claims c = {"POST", argv[1], NULL, NULL,
                                   NULL,   0,       NULL, (int64_t)time(NULL)};
        char *proof = ac_dpop_proof(key, &c, &err);
        if (proof == NULL) {
            fprintf(stderr, "dpop-proofs: %s\n", err.msg);
            goto out;
        }
        fputs(proof, out);
        fputc('\n', out);
        free(proof);
    }
    rc = 0;
out:
    if (out != NULL && fclose(out) != 0) {
        perror(argv[3]);
        rc = 1;
    }
    ac_jwk_free(key);
    return rc;
}
