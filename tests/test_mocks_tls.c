/* Tests of the mocks over TLS (scenario "tls", docs/MOCKS.md "TLS"): the
 * run CA's certificates (common/tlsca.c) are what they claim to be, an
 * HTTPS world answers a client that trusts the CA through the environment
 * (common/httpc.c reads CURL_CA_BUNDLE / SSL_CERT_FILE), a refused
 * certificate is recorded as an exchange of endpoint "tls", and
 * ${insecure_origin} reaches the plain-http listener "insecure". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/httpc.h"
#include "common/tlsca.h"
#include "tests/support/mock_http.h"

static char ca_dir[] = "/tmp/authcheck-tls-test-XXXXXX";
static char ca_file[64];

static int group_setup(void **state)
{
    struct ac_err err;

    (void)state;
    if (mkdtemp(ca_dir) == NULL) {
        return -1;
    }
    snprintf(ca_file, sizeof ca_file, "%s/ca.pem", ca_dir);
    if (!ac_tls_write_ca(ca_file, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return ac_http_global_init(&err) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    unlink(ca_file);
    rmdir(ca_dir);
    return 0;
}

static X509 *pem_cert(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = b != NULL ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    return x;
}

/* X509_verify_cert's error for `which` against the run CA. */
static int verify_error(enum ac_tls_cert which)
{
    const char *key, *cert;
    X509 *ca = pem_cert(ac_tls_ca_pem(NULL));
    X509 *leaf;
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    int rc;

    assert_true(ac_tls_server_pems(which, &key, &cert, NULL));
    assert_non_null(strstr(key, "BEGIN PRIVATE KEY"));
    leaf = pem_cert(cert);
    assert_non_null(ca);
    assert_non_null(leaf);
    assert_int_equal(X509_STORE_add_cert(st, ca), 1);
    assert_int_equal(X509_STORE_CTX_init(ctx, st, leaf, NULL), 1);
    X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_X509_STRICT);
    rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    /* The host name is the one thing the chain does not say. */
    assert_int_equal(X509_check_ip_asc(leaf, "127.0.0.1", 0),
                     which == AC_TLS_WRONG_NAME ? 0 : 1);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    X509_free(leaf);
    X509_free(ca);
    return rc;
}

static void test_ca_certificates(void **state)
{
    enum ac_tls_cert k;

    (void)state;
    assert_int_equal(verify_error(AC_TLS_VALID), X509_V_OK);
    assert_int_equal(verify_error(AC_TLS_WRONG_NAME), X509_V_OK);
    assert_int_equal(verify_error(AC_TLS_EXPIRED), X509_V_ERR_CERT_HAS_EXPIRED);
    assert_int_equal(verify_error(AC_TLS_UNTRUSTED),
                     X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    /* Made once per process: the same text every time. */
    assert_ptr_equal(ac_tls_ca_pem(NULL), ac_tls_ca_pem(NULL));
    assert_true(ac_tls_cert_parse("untrusted-ca", &k));
    assert_int_equal(k, AC_TLS_UNTRUSTED);
    assert_string_equal(ac_tls_cert_name(AC_TLS_WRONG_NAME), "wrong-name");
    assert_false(ac_tls_cert_parse("self-signed", &k));
}

/* One request through common/httpc.c with the CA from the environment
 * (`ca` NULL: none). True when the transfer completed. */
static bool fetch(const char *method, const char *url, const char *ca,
                  long *status, struct ac_err *err)
{
    struct ac_http_request req = {.method = method, .url = url};
    struct ac_http_response resp;
    bool ok;

    unsetenv("SSL_CERT_FILE");
    if (ca != NULL) {
        setenv("CURL_CA_BUNDLE", ca, 1);
    } else {
        setenv("CURL_CA_BUNDLE", "/nonexistent/no-ca.pem", 1);
    }
    ok = ac_http_do(&req, &resp, err);
    *status = ok ? resp.status : 0;
    ac_http_response_free(&resp);
    unsetenv("CURL_CA_BUNDLE");
    return ok;
}

/* Exchanges of `server` (and `endpoint`, NULL: any) in the transcript. */
static size_t count(struct mo_world *w, const char *server,
                    const char *endpoint)
{
    json_t *tr = mo_world_transcript(w);
    size_t i, n = 0;
    const json_t *ex;

    json_array_foreach(tr, i, ex)
    {
        n += strcmp(ac_json_str(ex, "server"), server) == 0 &&
             (endpoint == NULL ||
              strcmp(ac_json_str(ex, "endpoint"), endpoint) == 0);
    }
    json_decref(tr);
    return n;
}

static void test_https_world(void **state)
{
    struct mo_world *w = th_world_start("{\"tls\": true}");
    struct ac_err err;
    long st;

    (void)state;
    assert_non_null(w);
    assert_memory_equal(mo_world_mcp_url(w), "https://127.0.0.1:", 18);
    assert_memory_equal(mo_world_issuer(w, 0), "https://127.0.0.1:", 18);
    assert_memory_equal(mo_world_control_url(w), "http://", 7);
    assert_true(fetch("POST", mo_world_mcp_url(w), ca_file, &st, &err));
    assert_int_equal(st, 401);
    /* Without the CA in the bundle: refused, and the mock saw it. */
    assert_false(fetch("POST", mo_world_mcp_url(w), NULL, &st, &err));
    assert_int_equal(count(w, "mcp", "mcp"), 1);
    mo_world_stop(w);
}

static void test_refusal_recorded(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"tls\": true, \"authorization_servers\": [{\"id\": \"as\", "
        "\"tls_certificate\": \"expired\"}]}");
    char *url;
    struct ac_err err;
    long st;

    (void)state;
    assert_non_null(w);
    url = th_fmt("%s/.well-known/oauth-authorization-server",
                 mo_world_issuer(w, 0));
    assert_false(fetch("GET", url, ca_file, &st, &err));
    assert_non_null(strstr(err.msg, "expired"));
    free(url);
    mo_world_stop(w);
}

/* The refusal is in the transcript by the time the client gave up:
 * libmicrohttpd closes the connection on the failed handshake. Polled
 * briefly, since the close is the server thread's. */
static void test_refusal_transcript(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"tls\": true, \"authorization_servers\": [{\"id\": \"as\", "
        "\"tls_certificate\": \"wrong-name\"}]}");
    char *url;
    struct ac_err err;
    long st;
    size_t refusals = 0;

    (void)state;
    assert_non_null(w);
    url = th_fmt("%s/token", mo_world_issuer(w, 0));
    assert_false(fetch("POST", url, ca_file, &st, &err));
    for (int i = 0; i < 200 && refusals == 0; i++) {
        refusals = count(w, "as", "tls");
        if (refusals == 0) {
            usleep(10000);
        }
    }
    assert_int_equal(refusals, 1);
    assert_int_equal(count(w, "as", NULL), 1); /* no request got through */
    free(url);
    mo_world_stop(w);
}

static void test_insecure_origin(void **state)
{
    struct mo_world *w = th_world_start(
        "{\"tls\": true, \"rules\": [{\"match\": {\"endpoint\": "
        "\"metadata\"}, \"do\": {\"patch\": {\"set\": {\"token_endpoint\": "
        "\"${insecure_origin}/token\"}}}}]}");
    char *url, *tok;
    struct ac_err err;
    long st;

    (void)state;
    assert_non_null(w);
    url = th_fmt("%s/.well-known/oauth-authorization-server",
                 mo_world_issuer(w, 0));
    setenv("CURL_CA_BUNDLE", ca_file, 1);
    {
        struct ac_http_request req = {.url = url};
        struct ac_http_response resp;

        json_t *doc;

        assert_true(ac_http_do(&req, &resp, &err));
        doc = json_loads(resp.body, 0, NULL);
        tok = ac_json_str(doc, "token_endpoint") != NULL
                  ? strdup(ac_json_str(doc, "token_endpoint"))
                  : NULL;
        json_decref(doc);
        ac_http_response_free(&resp);
    }
    assert_non_null(tok);
    assert_memory_equal(tok, "http://0.0.0.0:", 15);
    /* 0.0.0.0 reaches the local host: the listener records the request. */
    assert_true(fetch("POST", tok, NULL, &st, &err));
    assert_int_equal(st, 404);
    assert_int_equal(count(w, "insecure", NULL), 1);
    free(tok);
    free(url);
    mo_world_stop(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ca_certificates),
        cmocka_unit_test(test_https_world),
        cmocka_unit_test(test_refusal_recorded),
        cmocka_unit_test(test_refusal_transcript),
        cmocka_unit_test(test_insecure_origin),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
