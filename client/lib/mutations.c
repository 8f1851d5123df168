/* The mutation table of the reference client (test build only): each entry
 * names one behaviour that MUTATED("name") switches off or breaks. */
#include "client/lib/mutations_int.h"

#ifdef MCPOAUTH_MUTATIONS

#include <stdlib.h>
#include <string.h>

struct mutation {
    const char *name;
    const char *summary;
};

static const struct mutation table[] = {
    {"no-pkce", "send no code_challenge / method and no code_verifier"},
    {"pkce-plain", "PKCE method plain: code_challenge = code_verifier"},
    {"no-state-check", "accept a callback whatever its state"},
    {"no-resource", "omit the resource parameter (authorization and token)"},
    {"no-iss-check", "skip RFC 9207 iss validation of the callback"},
    {"no-issuer-check", "use AS metadata whose issuer does not match"},
    {"no-s256-check",
     "proceed when code_challenge_methods_supported lacks S256"},
    {"no-prm-resource-check", "use a PRM whose resource does not match"},
    {"ignore-challenge-scope",
     "ignore the scope of the WWW-Authenticate challenge"},
    {"token-in-query", "send the access token as a query parameter too"},
    {"no-scope-union", "step-up requests only the challenged scope"},
    {"no-retry-limit", "step up more than 3 times per request"},
    {"never-refresh", "never use the refresh token: re-authorize instead"},
    {"ignore-stale-client", "no re-registration when the AS forgot the client"},
    {"reuse-credentials-across-as",
     "present a registration to an AS that did not issue it"},
    {"dcr-despite-cimd",
     "register dynamically despite CIMD support or pre-registration"},
    {"root-prm-first", "try the root PRM URL before the path-inserted one"},
};

#define NMUT (sizeof table / sizeof table[0])

static bool in_table(const char *name, size_t len)
{
    for (size_t i = 0; i < NMUT; i++) {
        if (strlen(table[i].name) == len &&
            strncmp(table[i].name, name, len) == 0) {
            return true;
        }
    }
    return false;
}

/* Is `name` one of the comma-separated names in the environment? */
static bool env_has(const char *name)
{
    const char *env = getenv("MCP_OAUTH_MUTATION");
    size_t n = strlen(name);
    while (env != NULL && *env != '\0') {
        const char *end = strchr(env, ',');
        size_t len = end != NULL ? (size_t)(end - env) : strlen(env);
        if (len == n && strncmp(env, name, n) == 0) {
            return true;
        }
        env = end != NULL ? end + 1 : NULL;
    }
    return false;
}

bool mut_active(const char *name)
{
    if (!in_table(name, strlen(name))) {
        fprintf(stderr, "mcp-oauth: unknown mutation \"%s\" in code\n", name);
        abort();
    }
    return env_has(name);
}

bool mut_check_env(struct ac_err *err)
{
    const char *env = getenv("MCP_OAUTH_MUTATION");
    while (env != NULL && *env != '\0') {
        const char *end = strchr(env, ',');
        size_t len = end != NULL ? (size_t)(end - env) : strlen(env);
        if (!in_table(env, len)) {
            AC_ERR(err, AC_ERR_USAGE,
                   "MCP_OAUTH_MUTATION: unknown mutation \"%.*s\"", (int)len,
                   env);
            return false;
        }
        env = end != NULL ? end + 1 : NULL;
    }
    return true;
}

void mut_list(FILE *out)
{
    for (size_t i = 0; i < NMUT; i++) {
        fprintf(out, "  %-24s %s\n", table[i].name, table[i].summary);
    }
}

#endif
