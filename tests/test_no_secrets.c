/* No secret reaches the disk: the whole scenario suite is run in-process
 * against the reference client (the same runner, pool and renderers as
 * `authcheck run`), so the mocks can hand over every secret they issued or
 * received in that run — codes, access and refresh tokens, client secrets,
 * verifiers, assertions. Then every file written under the output directory
 * is searched for each of them, raw and percent-encoded; one hit fails.
 *
 * To show the search can fail, the test first confirms that the secrets did
 * reach the results: results.json holds the redaction tag of most of them
 * (ac_redact_value), so without redaction it would hold the secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ftw.h>

#include "common/form.h"
#include "common/httpc.h"
#include "common/json.h"
#include "common/redact.h"
#include "harness/pool.h"
#include "harness/runner.h"
#include "tests/support/scenarios_fx.h"
#include "harness/scenario.h"
#include "reports/reports.h"
#include "tests/support/asserts.h"

struct run {
    char out[600];
    json_t *results; /* as the pool returned them: each scenario redacted
                        (rp_redact_scenario), the known secrets not yet */
    json_t *secrets; /* every secret the run saw */
};

static struct run the_run;

static int setup(void **state)
{
    const char *bin = getenv("AUTHCHECK_BINDIR");
    const char *dir = getenv("AUTHCHECK_SCENARIOS");
    const char *tmp = getenv("AUTHCHECK_TMP");
    char exe[600];
    struct hs_scenario **v = NULL;
    struct hr_options ho = {0};
    struct hr_pool *pool;
    const json_t *res;
    struct ac_err err;
    size_t n = 0;

    if (bin == NULL || dir == NULL || tmp == NULL) {
        fprintf(stderr, "test_no_secrets: run through `make run-tests`\n");
        return -1;
    }
    (void)state;
    ac_http_global_init(NULL);
    snprintf(exe, sizeof(exe), "%s/authcheck", bin);
    snprintf(the_run.out, sizeof(the_run.out), "%s/no-secrets-out", tmp);
    ho.authcheck_exe = exe;
    ho.tmp_dir = tmp;
    the_run.results =
        json_pack("{s:s, s:[]}", "tool", "authcheck", "scenarios");
    the_run.secrets = json_array();
    v = ts_load_scenarios(dir, &n, "test_no_secrets");
    assert_non_null(v);
    pool = hpool_start(v, n, &ho, 2, &err);
    if (pool == NULL) {
        fail_msg("%s", err.msg);
    }
    while (hpool_next(pool, -1, &res, the_run.secrets) != -2) {
    }
    hpool_finish(pool, json_object_get(the_run.results, "scenarios"));
    assert_int_equal(
        json_array_size(json_object_get(the_run.results, "scenarios")), n);
    /* As `authcheck run` writes them (harness/main.c). */
    if (!rp_write_in_place(
            the_run.results, the_run.secrets, the_run.out,
            RP_JSON | RP_CHECKS | RP_JUNIT | RP_MARKDOWN | RP_HTML, &err)) {
        fail_msg("rp_write_in_place: %s", err.msg);
    }
    for (size_t k = 0; k < n; k++) {
        hs_free(v[k]);
    }
    free(v);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(the_run.results);
    json_decref(the_run.secrets);
    ac_http_global_cleanup();
    return 0;
}

/* Secrets short enough to occur by chance are not searched for. */
static bool searchable(const char *s)
{
    return s != NULL && strlen(s) >= 8;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *data;
    long n;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    rewind(fp);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
    data[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return data;
}

static void test_secrets_were_collected(void **state)
{
    char path[700];
    size_t len, found = 0, total = 0, i;
    char *results;
    json_t *s;

    (void)state;
    snprintf(path, sizeof(path), "%s/results.json", the_run.out);
    results = read_file(path, &len);
    json_array_foreach(the_run.secrets, i, s)
    {
        char *tag;
        if (!searchable(json_string_value(s))) {
            continue;
        }
        tag = ac_redact_value(json_string_value(s));
        total++;
        found += tag != NULL && strstr(results, tag) != NULL;
        free(tag);
    }
    fprintf(stderr,
            "secrets issued or seen: %zu; redacted in results.json: %zu\n",
            total, found);
    /* dozens of flows ran: many codes and tokens, most of them recorded */
    assert_int_cmp(total, >=, 50);
    assert_int_cmp(found, >=, total / 2);
    free(results);
}

static size_t files_searched, hits;

static void search_file(const char *path)
{
    size_t len, i;
    char *data = read_file(path, &len), *enc;
    json_t *s;

    files_searched++;
    json_array_foreach(the_run.secrets, i, s)
    {
        const char *v = json_string_value(s);

        if (!searchable(v)) {
            continue;
        }
        enc = ac_pct_encode(v);
        if (memmem(data, len, v, strlen(v)) != NULL ||
            (enc != NULL && memmem(data, len, enc, strlen(enc)) != NULL)) {
            fprintf(stderr, "LEAK: %s contains secret #%zu\n", path, i);
            hits++;
        }
        free(enc);
    }
    free(data);
}

static int visit(const char *path, const struct stat *sb, int type,
                 struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    if (type == FTW_F) {
        search_file(path);
    }
    return 0;
}

static void test_no_secret_in_any_output_file(void **state)
{
    (void)state;
    files_searched = hits = 0;
    assert_int_equal(nftw(the_run.out, visit, 16, FTW_PHYS), 0);
    fprintf(stderr, "files searched under %s: %zu\n", the_run.out,
            files_searched);
    /* results.json, junit.xml, report.md, report.html + one checks.json a
     * scenario */
    assert_int_cmp(files_searched, >=, 4 + 60);
    assert_int_equal(hits, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets_were_collected),
        cmocka_unit_test(test_no_secret_in_any_output_file),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
