/* Tests for link/lazy_libs.c: the programs' own definitions of the SASL,
 * GSS-API and p11-kit functions load the real library on first call and
 * give the real answers. This program links lazy_libs.o and none of the
 * three libraries (Makefile), as the static programs do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/uri.h>
#include <sasl/sasl.h>

static bool mapped(const char *soname)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    if (h != NULL)
        dlclose(h);
    return h != NULL;
}

/* The library's own NAME, looked up in the library itself. */
static void *real(const char *soname, const char *name)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_NOLOAD);
    assert_non_null(h);
    void *sym = dlsym(h, name);
    dlclose(h);
    assert_non_null(sym);
    return sym;
}

/* First, while nothing is loaded: a library that cannot be loaded ends the
 * program with status 127 and says which library and which function. The
 * child may open no file (RLIMIT_NOFILE 3 with 0-2 in use), so its dlopen
 * fails. */
static void test_load_failure_ends_with_127(void **state)
{
    (void)state;
    assert_false(mapped("libp11-kit.so.0"));
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        for (int fd = 3; fd < 64; fd++)
            close(fd);
        struct rlimit one = {3, 3};
        setrlimit(RLIMIT_NOFILE, &one);
        (void)p11_kit_message();
        _exit(0); /* not reached when the load fails */
    }
    close(fds[1]);
    char msg[512] = "";
    size_t len = 0;
    ssize_t n;
    while ((n = read(fds[0], msg + len, sizeof msg - 1 - len)) > 0)
        len += (size_t)n;
    msg[len] = '\0';
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 127);
    /* "PROGRAM: cannot load LIB for FUNCTION: " and dlerror's text. */
    char want[128];
    snprintf(want, sizeof want,
             "%s: cannot load libp11-kit.so.0 for p11_kit_message: ",
             program_invocation_short_name);
    assert_memory_equal(msg, want, strlen(want));
    assert_true(len > strlen(want) + 1 && msg[len - 1] == '\n');
}

static void test_sasl_loaded_on_first_call(void **state)
{
    (void)state;
    assert_false(mapped("libsasl2.so.2"));
    const char *ours = sasl_errstring(SASL_NOMECH, NULL, NULL);
    assert_true(mapped("libsasl2.so.2"));
    const char *(*theirs)(int, const char *, const char **) = NULL;
    void *sym = real("libsasl2.so.2", "sasl_errstring");
    memcpy(&theirs, &sym, sizeof theirs);
    assert_true((void *)sasl_errstring != sym);
    assert_non_null(ours);
    assert_string_equal(ours, theirs(SASL_NOMECH, NULL, NULL));
}

static void test_gss_loaded_on_first_call(void **state)
{
    (void)state;
    assert_false(mapped("libgssapi_krb5.so.2"));
    OM_uint32 minor = 0, ctx = 0;
    gss_buffer_desc text = GSS_C_EMPTY_BUFFER;
    OM_uint32 major = gss_display_status(&minor, GSS_S_BAD_NAME, GSS_C_GSS_CODE,
                                         GSS_C_NO_OID, &ctx, &text);
    assert_true(mapped("libgssapi_krb5.so.2"));
    assert_int_equal(major, GSS_S_COMPLETE);
    assert_non_null(text.value);
    assert_true(text.length > 0);
    /* MIT's text for the code (lib/gssapi/generic/disp_major_status.c). */
    assert_memory_equal(text.value, "An invalid name was supplied", 28);
    assert_int_equal(gss_release_buffer(&minor, &text), GSS_S_COMPLETE);
    assert_null(text.value);
}

/* The one data symbol is our copy: the same OID as the library's. */
static void test_gss_hostbased_service_oid(void **state)
{
    (void)state;
    const gss_OID *theirs =
        real("libgssapi_krb5.so.2", "GSS_C_NT_HOSTBASED_SERVICE");
    assert_int_equal(GSS_C_NT_HOSTBASED_SERVICE->length, (*theirs)->length);
    assert_memory_equal(GSS_C_NT_HOSTBASED_SERVICE->elements,
                        (*theirs)->elements, (*theirs)->length);
}

static void test_p11_kit_loaded_on_first_call(void **state)
{
    (void)state;
    assert_false(mapped("libp11-kit.so.0"));
    P11KitUri *uri = p11_kit_uri_new();
    assert_true(mapped("libp11-kit.so.0"));
    assert_non_null(uri);
    assert_int_equal(p11_kit_uri_parse("pkcs11:token=The%20Token",
                                       P11_KIT_URI_FOR_TOKEN, uri),
                     P11_KIT_URI_OK);
    char *text = NULL;
    assert_int_equal(p11_kit_uri_format(uri, P11_KIT_URI_FOR_TOKEN, &text),
                     P11_KIT_URI_OK);
    assert_string_equal(text, "pkcs11:token=The%20Token");
    free(text);
    p11_kit_uri_free(uri);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_failure_ends_with_127),
        cmocka_unit_test(test_sasl_loaded_on_first_call),
        cmocka_unit_test(test_gss_loaded_on_first_call),
        cmocka_unit_test(test_gss_hostbased_service_oid),
        cmocka_unit_test(test_p11_kit_loaded_on_first_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
