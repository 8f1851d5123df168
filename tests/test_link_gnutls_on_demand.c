/* Tests for link/gnutls_on_demand.c: a gnutls_global_init() made before
 * main() (libmicrohttpd's constructor, played here by this file's own) is
 * deferred, one made from main() on initialises GnuTLS, and the deinits
 * that match deferred references are dropped. This program links
 * gnutls_on_demand.o and wraps the same calls as the static programs
 * (Makefile, GNUTLS_WRAP); GnuTLS itself is linked shared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

static int ctor_rc = -1;

/* What MHD_init does at start. */
__attribute__((constructor)) static void like_libmicrohttpd(void)
{
    ctor_rc = gnutls_global_init();
}

/* Whether GnuTLS is initialised: a certificate object needs the ASN.1
 * trees gnutls_global_init builds and the last deinit frees, so making
 * one fails before the first and after the last. */
static bool initialised(void)
{
    gnutls_x509_crt_t crt;

    if (gnutls_x509_crt_init(&crt) < 0) {
        return false;
    }
    gnutls_x509_crt_deinit(crt);
    return true;
}

/* Runs first: nothing but the deferred constructor call has happened. */
static void test_constructor_call_deferred(void **state)
{
    (void)state;
    assert_int_equal(ctor_rc, 0); /* the caller sees success */
    assert_false(initialised());
}

/* A reference from main() on is real; the first deinit is the deferred
 * reference's and is dropped, so GnuTLS stays up until the second. */
static void test_reference_from_main_is_real(void **state)
{
    (void)state;
    assert_int_equal(gnutls_global_init(), 0);
    assert_true(initialised());
    gnutls_global_deinit(); /* matches the constructor's: dropped */
    assert_true(initialised());
    assert_int_equal(gnutls_global_init(), 0);
    gnutls_global_deinit();
    assert_true(initialised());
    gnutls_global_deinit(); /* the last real reference */
    assert_false(initialised());
}

/* Later references initialise again, as GnuTLS's own count would. */
static void test_initialise_again(void **state)
{
    (void)state;
    assert_int_equal(gnutls_global_init(), 0);
    assert_true(initialised());
    gnutls_global_deinit();
    assert_false(initialised());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constructor_call_deferred),
        cmocka_unit_test(test_reference_from_main_is_real),
        cmocka_unit_test(test_initialise_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
