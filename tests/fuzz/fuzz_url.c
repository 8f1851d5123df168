/* libFuzzer target: URLs (common/url.c). The input is "BASE\nREF": BASE is
 * parsed, formatted and parsed again, canonicalised (idempotent), turned
 * into its origin and its three well-known forms; REF is resolved against
 * it. Properties: what parses is http(s) with a host and a valid port, and
 * formats to text that parses; canonicalisation is idempotent; failures
 * say why. */
#include "tests/fuzz/fuzz.h"

#include "common/url.h"

static const char *const SUFFIX[] = {"oauth-authorization-server",
                                     "openid-configuration",
                                     "oauth-protected-resource"};

static void check_parse(const char *in)
{
    struct ac_url u, again;
    struct ac_err err = {0};
    char *text;

    if (!ac_url_parse(in, &u, &err)) {
        FZ_ASSERT(err.msg[0] != '\0');
        return;
    }
    FZ_ASSERT(strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0);
    FZ_ASSERT(u.host[0] != '\0' && u.port > 0 && u.port <= 65535);
    FZ_ASSERT(u.path[0] == '\0' || u.path[0] == '/');
    text = ac_url_format(&u);
    FZ_ASSERT(text != NULL);
    FZ_ASSERT(ac_url_parse(text, &again, &err));
    ac_url_free(&again);
    (void)ac_url_is_loopback(&u);
    free(text);
    ac_url_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fz_strndup(data, size);
    char *lines[2];
    size_t n = fz_lines(text, lines, 2);
    const char *ref = n > 1 ? lines[1] : "/x";
    struct ac_err err = {0};
    char *s, *c2;

    check_parse(lines[0]);
    s = ac_url_resolve(lines[0], ref, &err);
    FZ_ASSERT(s != NULL || err.msg[0] != '\0');
    free(s);
    for (int i = 0; i < 3; i++) {
        memset(&err, 0, sizeof(err));
        s = ac_url_wellknown(lines[0], SUFFIX[i], (enum ac_wellknown_form)i,
                             &err);
        FZ_ASSERT(s != NULL || err.msg[0] != '\0');
        free(s);
    }
    s = ac_url_canonical_resource(lines[0]);
    if (s != NULL) {
        c2 = ac_url_canonical_resource(s);
        FZ_ASSERT(c2 != NULL && strcmp(c2, s) == 0);
        free(c2);
    }
    free(s);
    free(ac_url_origin(lines[0]));
    free(text);
    return 0;
}
