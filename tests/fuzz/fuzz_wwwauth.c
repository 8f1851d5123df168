/* libFuzzer target: WWW-Authenticate (common/wwwauth.c) as the reference
 * client meets it (client/lib/discovery.c discovery_take_challenge). The
 * input is up to 8 header lines separated by '\n'. Properties: every
 * parsed challenge has a scheme, every parameter a non-empty name and a
 * value findable by that name; a failure says why. */
#include "tests/fuzz/fuzz.h"

#include "client/lib/client_int.h"
#include "common/wwwauth.h"

static void check(const struct ac_challenges *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        const struct ac_challenge *c = &cs->items[i];

        FZ_ASSERT(c->scheme != NULL && c->scheme[0] != '\0');
        for (size_t k = 0; k < c->nparams; k++) {
            FZ_ASSERT(c->params[k].name[0] != '\0');
            FZ_ASSERT(c->params[k].value != NULL);
            FZ_ASSERT(ac_challenge_param(c, c->params[k].name) != NULL);
        }
        FZ_ASSERT(ac_wwwauth_find(cs, c->scheme) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size);
    char *lines[8];
    size_t n = fz_lines(text, lines, 8);
    struct ac_challenges cs = {0};
    struct ac_err err = {0};
    struct mcpo_client *c = NULL;
    struct mcpo_err cerr;

    if (ac_wwwauth_parse((const char *const *)lines, n, &cs, &err)) {
        check(&cs);
    } else {
        FZ_ASSERT(err.msg[0] != '\0' && cs.n == 0);
    }
    ac_challenges_free(&cs);
    /* The client's use of it: a 401 from its MCP server. */
    if (mcpo_client_new("http://127.0.0.1:9/mcp", &c, &cerr)) {
        FZ_ASSERT(
            discovery_take_challenge(c, (const char *const *)lines, n, &err));
        mcpo_client_free(c);
    }
    free(text);
    return 0;
}
