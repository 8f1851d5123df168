/* Root causes (causes.h): each failed scenario's first failure in flow
 * order, and the scenarios grouped by it. The console, report.md and
 * report.html render what rp_causes_find returns; none of them groups on
 * its own. */
#include "reports/causes.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "reports/reports_int.h"

/* --- stages ---------------------------------------------------------------
 *
 * Which step of the flow a check judges. A pattern ending in '*' is a
 * prefix; the first matching entry wins, so exact ids come before the
 * prefixes that would also match them. tests/test_reports.c asserts that
 * every id of the check registry has a stage here (none is OTHER), so a
 * new check cannot silently sort last. */
struct stage_rule {
    const char *pattern;
    enum rp_stage stage;
};

static const struct stage_rule STAGES[] = {
    /* did the run reach its goal: consequences of everything else */
    {"mcp-call-succeeded", RP_STAGE_OUTCOME},
    {"client-exit-status", RP_STAGE_OUTCOME},
    /* discovery: PRM, AS metadata, what the metadata allows */
    {"prm-*", RP_STAGE_DISCOVERY},
    {"as-metadata-*", RP_STAGE_DISCOVERY},
    {"issuer-mismatch-rejected", RP_STAGE_DISCOVERY},
    {"pkce-s256-support-required", RP_STAGE_DISCOVERY},
    {"legacy-2025-03-26-*", RP_STAGE_DISCOVERY},
    /* registration: DCR, CIMD, pre-registration, re-registration */
    {"client-registered", RP_STAGE_REGISTRATION},
    {"dcr-*", RP_STAGE_REGISTRATION},
    {"sep-2207-client-metadata-grant-types", RP_STAGE_REGISTRATION},
    {"registration-*", RP_STAGE_REGISTRATION},
    {"cimd-*", RP_STAGE_REGISTRATION},
    {"sep-2352-*", RP_STAGE_REGISTRATION},
    {"stale-client-*", RP_STAGE_REGISTRATION},
    /* the authorization request and its response */
    {"pkce-code-challenge-sent", RP_STAGE_AUTHORIZATION},
    {"pkce-s256-method-used", RP_STAGE_AUTHORIZATION},
    {"state-*", RP_STAGE_AUTHORIZATION},
    {"resource-parameter-in-authorization", RP_STAGE_AUTHORIZATION},
    {"sep-2468-*", RP_STAGE_AUTHORIZATION},
    {"authorization-error-handled", RP_STAGE_AUTHORIZATION},
    {"redirect-uri-*", RP_STAGE_AUTHORIZATION},
    {"scope-from-*", RP_STAGE_AUTHORIZATION},
    {"scope-omitted-when-undefined", RP_STAGE_AUTHORIZATION},
    {"sep-2207-offline-access-*", RP_STAGE_AUTHORIZATION},
    /* the token request */
    {"pkce-code-verifier-sent", RP_STAGE_TOKEN},
    {"pkce-verifier-matches-challenge", RP_STAGE_TOKEN},
    {"resource-parameter-in-token", RP_STAGE_TOKEN},
    {"code-single-use", RP_STAGE_TOKEN},
    {"token-endpoint-auth-method", RP_STAGE_TOKEN},
    {"private-key-jwt-claims", RP_STAGE_TOKEN},
    {"client-credentials-grant-type", RP_STAGE_TOKEN},
    {"dpop-token-proof", RP_STAGE_TOKEN},
    {"dpop-as-nonce", RP_STAGE_TOKEN},
    {"wif-*", RP_STAGE_TOKEN}, /* workload identity federation */
    {"ema-*", RP_STAGE_TOKEN}, /* enterprise-managed: IdP exchange, ID-JAG */
    {"dpop-key-binding", RP_STAGE_LIFECYCLE},
    /* using the token at the MCP server */
    {"bearer-header-used", RP_STAGE_MCP},
    {"token-not-in-url", RP_STAGE_MCP},
    {"token-audience-respected", RP_STAGE_MCP},
    {"mcp-*", RP_STAGE_MCP},
    {"dpop-*", RP_STAGE_MCP}, /* scheme, proofs, ath, digest, RS nonce */
    /* after the first use: step-up, refresh, revocation, restart */
    {"scope-step-up-escalation", RP_STAGE_LIFECYCLE},
    {"scope-retry-limit", RP_STAGE_LIFECYCLE},
    {"refresh-*", RP_STAGE_LIFECYCLE},
    {"invalid-grant-reauthorize-once", RP_STAGE_LIFECYCLE},
    {"no-reauthorization", RP_STAGE_LIFECYCLE},
    {"restart-*", RP_STAGE_LIFECYCLE},
    {"revoked-token-not-reused", RP_STAGE_LIFECYCLE},
    {"logout-revokes", RP_STAGE_LIFECYCLE},
};

enum rp_stage rp_check_stage(const char *id)
{
    for (size_t i = 0; id != NULL && i < sizeof STAGES / sizeof STAGES[0];
         i++) {
        const char *p = STAGES[i].pattern;
        size_t n = strlen(p);
        if (p[n - 1] == '*' ? strncmp(id, p, n - 1) == 0 : strcmp(id, p) == 0) {
            return STAGES[i].stage;
        }
    }
    return RP_STAGE_OTHER;
}

const char *rp_stage_name(enum rp_stage stage)
{
    static const char *const names[] = {
        "discovery", "registration", "authorization", "token",
        "MCP use",   "lifecycle",    "outcome",       "other",
    };

    return (unsigned)stage < sizeof names / sizeof names[0] ? names[stage]
                                                            : "other";
}

/* --- the grouping key ----------------------------------------------------- */

/* Length of the placeholder-worthy token at `p`, 0 if none; `*rep` is
 * what replaces it. */
static size_t token_at(const char *p, const char **rep)
{
    size_t n;

    if (strncmp(p, "[redacted:", 10) == 0 && (n = strcspn(p, "]")) > 0 &&
        p[n] == ']') {
        *rep = "[redacted]";
        return n + 1;
    }
    if (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0) {
        *rep = "<url>";
        return strcspn(p, " \t\n\"'<>),;");
    }
    if (*p == '"' && (n = strcspn(p + 1, "\"")) < 200 && p[n + 1] == '"') {
        *rep = "\"...\"";
        return n + 2;
    }
    if (isdigit((unsigned char)*p)) {
        *rep = "N";
        return strspn(p, "0123456789");
    }
    return 0;
}

char *rp_cause_key(const char *message)
{
    struct ac_buf b;
    const char *p = message != NULL ? message : "";
    char *out = NULL;
    bool ok = true;

    ac_buf_init(&b, 64 * 1024);
    while (ok && *p != '\0') {
        const char *rep = NULL;
        size_t n = token_at(p, &rep);
        if (n > 0) {
            ok = ac_buf_append(&b, rep, strlen(rep), NULL);
            p += n;
        } else {
            ok = ac_buf_append(&b, p, 1, NULL);
            p++;
        }
    }
    if (ok && ac_buf_append(&b, "", 1, NULL)) {
        out = strdup(b.data);
    }
    ac_buf_free(&b);
    return out;
}

/* --- grouping --------------------------------------------------------------
 */

static bool is_failure(const json_t *c)
{
    const char *st = ac_json_str(c, "status");

    return st != NULL && strcmp(st, "FAILURE") == 0 && !rp_is_expected(c);
}

static bool picked(const json_t *c, enum rp_cause_pick pick)
{
    const char *st = ac_json_str(c, "status");

    switch (pick) {
    case RP_CAUSE_FAILURE:
        return is_failure(c);
    case RP_CAUSE_WARNING:
        return st != NULL && strcmp(st, "WARNING") == 0;
    case RP_CAUSE_EXPECTED:
        return rp_is_expected(c);
    }
    return false;
}

/* The index of the scenario's first unexpected FAILURE in flow order,
 * or -1 when it has none. */
static long first_failure(const json_t *sc)
{
    const json_t *c;
    size_t j;
    long best = -1;
    enum rp_stage best_stage = RP_STAGE_OTHER;

    json_array_foreach(json_object_get(sc, "checks"), j, c)
    {
        enum rp_stage s = rp_check_stage(ac_json_str(c, "id"));
        if (is_failure(c) && (best < 0 || s < best_stage)) {
            best = (long)j;
            best_stage = s;
        }
    }
    return best;
}

static bool grow(void **v, size_t n, size_t size)
{
    void *p;

    if ((n & (n - 1)) != 0 && n >= 8) {
        return true; /* capacity doubles at powers of two from 8 */
    }
    p = realloc(*v, (n < 8 ? 8 : n * 2) * size);
    if (p == NULL) {
        return false;
    }
    *v = p;
    return true;
}

/* The cause with this check id and key, appended when new. NULL when out
 * of memory; `key` is taken either way. */
static struct rp_cause *cause_for(struct rp_causes *cs, const json_t *c,
                                  char *key)
{
    const char *id = ac_json_str(c, "id");
    struct rp_cause *k;

    for (size_t i = 0; i < cs->n; i++) {
        k = &cs->v[i];
        if (strcmp(k->key, key) == 0 && strcmp(k->check != NULL ? k->check : "",
                                               id != NULL ? id : "") == 0) {
            free(key);
            return k;
        }
    }
    if (!grow((void **)&cs->v, cs->n, sizeof *cs->v)) {
        free(key);
        return NULL;
    }
    k = &cs->v[cs->n++];
    memset(k, 0, sizeof *k);
    k->check = id != NULL ? id : "";
    k->level = ac_json_str(c, "level");
    k->message = ac_json_str(c, "message");
    k->key = key;
    k->stage = rp_check_stage(id);
    return k;
}

static bool add_scenario(struct rp_cause *k, size_t sc, size_t check)
{
    if (!grow((void **)&k->scenario, k->nscenarios, sizeof *k->scenario) ||
        !grow((void **)&k->check_at, k->nscenarios, sizeof *k->check_at)) {
        return false;
    }
    k->scenario[k->nscenarios] = sc;
    k->check_at[k->nscenarios] = check;
    k->nscenarios++;
    return true;
}

static bool add_downstream(struct rp_cause *k, const char *id)
{
    for (size_t i = 0; i < k->ndown; i++) {
        if (strcmp(k->down[i].check, id) == 0) {
            k->down[i].count++;
            return true;
        }
    }
    if (!grow((void **)&k->down, k->ndown, sizeof *k->down)) {
        return false;
    }
    k->down[k->ndown].check = id;
    k->down[k->ndown].count = 1;
    k->ndown++;
    return true;
}

/* Group one check as a cause of scenario `i`; downstream are the other
 * failures of the scenario (RP_CAUSE_FAILURE only). */
static bool group(struct rp_causes *cs, const json_t *sc, size_t i, size_t j,
                  enum rp_cause_pick pick)
{
    const json_t *c = json_array_get(json_object_get(sc, "checks"), j), *o;
    char *key = rp_cause_key(ac_json_str(c, "message"));
    struct rp_cause *k = key != NULL ? cause_for(cs, c, key) : NULL;
    size_t m;

    if (k == NULL || !add_scenario(k, i, j)) {
        return false;
    }
    k->nchecks++;
    cs->nchecks++;
    if (pick != RP_CAUSE_FAILURE) {
        return true;
    }
    json_array_foreach(json_object_get(sc, "checks"), m, o)
    {
        if (m != j && is_failure(o)) {
            k->nchecks++;
            cs->nchecks++;
            if (!add_downstream(k, ac_json_str(o, "id"))) {
                return false;
            }
        }
    }
    return true;
}

static int by_count(const void *a, const void *b)
{
    const struct rp_downstream *x = a, *y = b;

    return x->count != y->count ? (x->count < y->count ? 1 : -1)
                                : strcmp(x->check, y->check);
}

/* Most scenarios first, then earlier stage, then first appearance (the
 * scenario index of its first member, unique per cause). */
static int by_weight(const void *a, const void *b)
{
    const struct rp_cause *x = a, *y = b;

    if (x->nscenarios != y->nscenarios) {
        return x->nscenarios < y->nscenarios ? 1 : -1;
    }
    if (x->stage != y->stage) {
        return x->stage < y->stage ? -1 : 1;
    }
    if (x->scenario[0] != y->scenario[0]) {
        return x->scenario[0] < y->scenario[0] ? -1 : 1;
    }
    return x->check_at[0] < y->check_at[0] ? -1
                                           : x->check_at[0] > y->check_at[0];
}

bool rp_causes_find(const json_t *model, enum rp_cause_pick pick,
                    struct rp_causes *out, struct ac_err *err)
{
    const json_t *sc, *c;
    size_t i, j;
    bool ok = true;

    memset(out, 0, sizeof *out);
    json_array_foreach(json_object_get(model, "scenarios"), i, sc)
    {
        size_t before = out->nchecks;
        /* Only a failed scenario has a failure cause; warnings count
         * wherever the scenario was judged. */
        if (pick == RP_CAUSE_FAILURE ? !rp_status_is(sc, "failed")
                                     : rp_status_is(sc, "not_applicable")) {
            continue;
        }
        if (pick == RP_CAUSE_FAILURE) {
            long first = first_failure(sc);
            ok = first < 0 || group(out, sc, i, (size_t)first, pick);
        } else {
            json_array_foreach(json_object_get(sc, "checks"), j, c)
            {
                if (ok && picked(c, pick)) {
                    ok = group(out, sc, i, j, pick);
                }
            }
        }
        out->nscenarios += out->nchecks > before;
        if (!ok) {
            AC_ERR(err, AC_ERR_NOMEM, "out of memory grouping failures");
            return false;
        }
    }
    for (i = 0; i < out->n; i++) {
        if (out->v[i].ndown > 1) { /* down is NULL when there are none */
            qsort(out->v[i].down, out->v[i].ndown, sizeof *out->v[i].down,
                  by_count);
        }
    }
    if (out->n > 1) {
        qsort(out->v, out->n, sizeof *out->v, by_weight);
    }
    return true;
}

void rp_causes_free(struct rp_causes *cs)
{
    for (size_t i = 0; cs != NULL && i < cs->n; i++) {
        free(cs->v[i].key);
        free(cs->v[i].scenario);
        free(cs->v[i].check_at);
        free(cs->v[i].down);
    }
    if (cs != NULL) {
        free(cs->v);
        memset(cs, 0, sizeof *cs);
    }
}
