/* libFuzzer target: the rule engine's validator and loader
 * (mocks/rules.c mo_rules_check, mo_rules_new) on a JSON document taken
 * as the scenario, whose "rules" member is the rules array. Unlike
 * fuzz_scenario this reaches the validator with any scenario shape, not
 * only the ones the schema lets through first. Properties: a valid rules
 * array loads; every violation names a JSON pointer into the rules. */
#include "tests/fuzz/fuzz.h"

#include "mocks/rules.h"

static void on_violation(void *ctx, const char *ptr, bool key, const char *msg)
{
    int *n = ctx;

    (void)key;
    FZ_ASSERT(ptr != NULL && strncmp(ptr, "/rules", 6) == 0);
    FZ_ASSERT(msg != NULL && msg[0] != '\0');
    (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    const json_t *rules = json_object_get(doc, "rules");
    struct mo_rules *r = NULL;
    int violations = 0;

    if (rules == NULL) {
        json_decref(doc);
        return 0;
    }
    if (mo_rules_check(rules, doc, on_violation, &violations)) {
        FZ_ASSERT(violations == 0);
    } else {
        FZ_ASSERT(violations > 0);
    }
    /* The engine must cope with invalid rules too ("never a crash"). */
    if (mo_rules_new(rules, &r, NULL)) {
        mo_rules_reset(r);
    }
    mo_rules_free(r);
    json_decref(doc);
    return 0;
}
