/*
 * GnuTLS in the static programs: initialised when code asks for it from
 * main() on, not at every start.
 *
 * libmicrohttpd's constructor (MHD_init) calls gnutls_global_init() at
 * every start of every program that links it, and GnuTLS's own
 * constructor does too. That builds GnuTLS's ASN.1 trees, loads its
 * priority configuration and probes its ciphers: 1.2 ms and ~50 page
 * faults of a ~6 ms start on the machine this was measured on
 * (docs/PERFORMANCE.md, "GnuTLS on demand"), paid by authcheck once a run
 * and by mcp-oauth and the mutation client once a scenario, for a library
 * that only the harness's HTTPS listeners use (libcurl uses OpenSSL).
 *
 * So, in authcheck, mcp-oauth and the mutation client as linked
 * statically (Makefile, PROG_LINK):
 * - GNUTLS_SKIP_GLOBAL_INIT (gnutls.h) turns GnuTLS's constructor off;
 * - the link wraps gnutls_global_init, gnutls_global_deinit and main
 *   (-Wl,--wrap, Makefile PROG_LIBS). A gnutls_global_init() made before
 *   main() starts, libmicrohttpd's, is counted and not made, and as many
 *   gnutls_global_deinit() calls (the first ones) are dropped. Every other
 *   call is passed on: the real deinitialisations match the real
 *   initialisations, and GnuTLS stays initialised from the first real
 *   reference until the last real deinit (libmicrohttpd's, at exit).
 * Code that uses GnuTLS takes its own reference first, as gnutls.h asks of
 * a program that skips the implicit initialisation: the HTTPS listeners do
 * (mo_tls_library_acquire, mocks/httpd.h). A listener started without it
 * fails at once ("cannot start HTTP server"), it does not run without
 * GnuTLS. The tests, the sanitizer builds and libmcpoauth link GnuTLS
 * shared and do not link this file.
 */
#include <stdatomic.h>
#include <stdbool.h>

#include <gnutls/gnutls.h>

GNUTLS_SKIP_GLOBAL_INIT

int __real_gnutls_global_init(void);
void __real_gnutls_global_deinit(void);
int __real_main(int argc, char **argv, char **envp);
int __wrap_gnutls_global_init(void);
void __wrap_gnutls_global_deinit(void);
int __wrap_main(int argc, char **argv, char **envp);

static atomic_bool main_started;
/* References taken before main() and not made; each drops one deinit. */
static atomic_int deferred;

int __wrap_gnutls_global_init(void)
{
    if (!atomic_load(&main_started)) {
        atomic_fetch_add(&deferred, 1);
        return 0;
    }
    return __real_gnutls_global_init();
}

void __wrap_gnutls_global_deinit(void)
{
    int left = atomic_load(&deferred);

    while (left > 0) {
        if (atomic_compare_exchange_weak(&deferred, &left, left - 1)) {
            return;
        }
    }
    __real_gnutls_global_deinit();
}

int __wrap_main(int argc, char **argv, char **envp)
{
    atomic_store(&main_started, true);
    return __real_main(argc, argv, envp);
}
