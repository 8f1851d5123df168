/* The runner's side of TLS scenarios (harness/runner.c, docs/MOCKS.md
 * "TLS"): the client under test gets the run CA's certificate through
 * SSL_CERT_FILE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS and
 * REQUESTS_CA_BUNDLE, one public PEM file in the scenario's private work
 * directory (no key), gone after the scenario; a plain-http scenario gets
 * none of them; and the reference client passes the tls family. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/json.h"
#include "harness/runner.h"
#include "harness/scenario.h"
#include "tests/support/env.h"

/* The fake client: each variable names the same file holding a
 * certificate and no private key; it prints the file's path and exits 0.
 * Without TLS it prints "none". */
static const char fake_client[] =
    "f=\"$SSL_CERT_FILE\"; if [ -z \"$f\" ]; then "
    "[ -z \"$CURL_CA_BUNDLE$NODE_EXTRA_CA_CERTS$REQUESTS_CA_BUNDLE\" ] && "
    "echo none && exit 0; exit 5; fi; "
    "[ \"$CURL_CA_BUNDLE\" = \"$f\" ] && [ \"$NODE_EXTRA_CA_CERTS\" = \"$f\" "
    "] && [ \"$REQUESTS_CA_BUNDLE\" = \"$f\" ] || exit 3; "
    "grep -q 'BEGIN CERTIFICATE' \"$f\" || exit 4; "
    "grep -q 'PRIVATE KEY' \"$f\" && exit 6; "
    "case \"$1\" in https://127.0.0.1:*) ;; *) exit 7;; esac; "
    "echo \"ca=$f\"; exit 0 #";

static json_t *run(const char *id, const char *cmd)
{
    char rel[128], exe[1024], tmp[1024];
    struct hs_scenario *s = NULL;
    struct ac_err err;
    json_t *res;
    struct hr_options o = {0};

    snprintf(rel, sizeof rel, "%s.json", id);
    snprintf(exe, sizeof exe, "%s/authcheck",
             ts_env_or("AUTHCHECK_BINDIR", "bin"));
    assert_true(ts_mkdtemp(tmp, sizeof tmp, "harness-tls"));
    if (!hs_load(ts_env_or("AUTHCHECK_SCENARIOS", "scenarios"), rel, &s,
                 &err)) {
        fail_msg("%s", err.msg);
    }
    o.client_cmd = cmd;
    o.authcheck_exe = exe;
    o.tmp_dir = tmp;
    res = hr_run_scenario(s, &o, NULL);
    assert_non_null(res);
    hs_free(s);
    rmdir(tmp); /* empty again: the work directory is gone */
    return res;
}

/* The first run's output, borrowed. */
static const char *output(const json_t *res)
{
    return ac_json_str(json_array_get(json_object_get(res, "runs"), 0),
                       "output");
}

static void test_ca_in_env(void **state)
{
    json_t *res;
    const char *out, *ca;
    char path[1024];

    (void)state;
    res = run("tls/happy-path", fake_client);
    out = output(res);
    assert_non_null(out);
    ca = strstr(out, "ca=");
    if (ca == NULL) {
        fail_msg("client output: %s", out);
    }
    snprintf(path, sizeof path, "%.*s", (int)strcspn(ca + 3, "\n"), ca + 3);
    assert_non_null(strstr(path, "/ca.pem"));
    assert_int_equal(access(path, F_OK), -1); /* removed with the dir */
    json_decref(res);
}

static void test_no_ca_without_tls(void **state)
{
    json_t *res;

    (void)state;
    unsetenv("SSL_CERT_FILE");
    unsetenv("CURL_CA_BUNDLE");
    unsetenv("NODE_EXTRA_CA_CERTS");
    unsetenv("REQUESTS_CA_BUNDLE");
    res = run("core/dcr-happy-path", fake_client);
    assert_non_null(strstr(output(res), "none"));
    json_decref(res);
}

/* The reference client passes every scenario of the family. */
static void test_reference_client_passes(void **state)
{
    static const char *const ids[] = {
        "tls/happy-path",          "tls/as-cert-wrong-name",
        "tls/as-cert-expired",     "tls/as-cert-untrusted-ca",
        "tls/http-token-endpoint", "tls/discovery-redirect-to-http"};
    char cmd[1100];

    (void)state;
    snprintf(cmd, sizeof cmd, "'%s' conformance", ts_client_bin());
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        json_t *res = run(ids[i], cmd);
        const char *st = ac_json_str(res, "status");

        if (st == NULL || strcmp(st, "passed") != 0) {
            fail_msg("%s: %s: %s", ids[i], st != NULL ? st : "?",
                     output(res) != NULL ? output(res) : "");
        }
        json_decref(res);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ca_in_env),
        cmocka_unit_test(test_no_ca_without_tls),
        cmocka_unit_test(test_reference_client_passes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
