/*
 * The three shared libraries of the statically linked programs, loaded on
 * first use instead of at start.
 *
 * authcheck, mcp-oauth and the mutation client take libcurl, OpenSSL,
 * GnuTLS, libldap and the rest from Debian's static archives (Makefile,
 * LINK). Those archives call into three libraries that ship no usable
 * archive: Cyrus SASL (libldap's SASL binds), MIT GSS-API (Kerberos and
 * Negotiate in libcurl and libldap) and p11-kit (PKCS #11 tokens in
 * GnuTLS). None of those code paths is taken by our programs (libcurl is
 * limited to http and https, no request asks for Negotiate, no key is a
 * pkcs11: URL), yet linked as shared objects the three pull seven more
 * (krb5, k5crypto, com_err, krb5support, keyutils, ffi, resolv) and every
 * start of every program mapped and relocated all ten: about 4 ms of a
 * ~10 ms start on the machine this was measured on, paid once per
 * scenario by the client (docs/PERFORMANCE.md, "Fewer objects, packed
 * relocations, a cheaper DRBG").
 *
 * So the programs define each of those libraries' functions that the
 * archives call, with the library's own prototype from its header (the compiler
 * checks each definition against it), and the first call loads the library with
 * dlopen and calls the real function, bound to the symbol version the
 * shared link used to bind. A code path that does need one of them gets
 * the real library, a few milliseconds later. A library or symbol that
 * cannot be loaded ends the program with a message and status 127, as the
 * dynamic loader did at start when a needed library was missing.
 *
 * Only the static programs and test_link_lazy_libs link this file
 * (Makefile, PROG_LINK); the other tests, the sanitizer builds and
 * libmcpoauth link the real libraries as before.
 */
#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <gssapi/gssapi.h>
#include <p11-kit/p11-kit.h>
#include <p11-kit/pin.h>
#include <p11-kit/uri.h>
#include <sasl/sasl.h>

/* The generic function pointer type: a cast from it to any other function
 * type is allowed and -Wcast-function-type accepts it. */
typedef void (*real_fn)(void);

struct lazy_lib {
    const char *soname;
    const char *version; /* the symbol version the shared link bound */
    void *handle;        /* NULL until the first call; then never closed */
};

static struct lazy_lib sasl = {"libsasl2.so.2", "SASL2", NULL};
static struct lazy_lib gss = {"libgssapi_krb5.so.2", "gssapi_krb5_2_MIT", NULL};
static struct lazy_lib p11 = {"libp11-kit.so.0", "LIBP11_KIT_1.0", NULL};

/* Write "PROGRAM: cannot load LIB for NAME: WHY" to standard error and
 * end the program: no stdio (the caller may hold a stdio lock) and no exit
 * handlers (another thread may be in the middle of them). */
static _Noreturn void fail(const char *what, const char *name, const char *why)
{
    const char *parts[] = {program_invocation_short_name,
                           ": cannot load ",
                           what,
                           " for ",
                           name,
                           ": ",
                           why,
                           "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        ssize_t rc = write(STDERR_FILENO, parts[i], strlen(parts[i]));
        (void)rc;
    }
    _exit(127);
}

/* The real function NAME of LIB, looked up once and kept in *CACHE. Two
 * threads that race here both load and look up; dlopen counts the second
 * reference and both store the same values. */
static real_fn resolve(struct lazy_lib *lib, const char *name, real_fn *cache)
{
    real_fn fn = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
    if (fn != NULL)
        return fn;
    void *handle = __atomic_load_n(&lib->handle, __ATOMIC_ACQUIRE);
    if (handle == NULL) {
        handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
        if (handle == NULL)
            fail(lib->soname, name, dlerror());
        __atomic_store_n(&lib->handle, handle, __ATOMIC_RELEASE);
    }
    void *sym = dlvsym(handle, name, lib->version);
    if (sym == NULL)
        fail(lib->soname, name, dlerror());
    memcpy(&fn, &sym, sizeof fn);
    __atomic_store_n(cache, fn, __ATOMIC_RELEASE);
    return fn;
}

/* NAME with return type RET and parameter list PARAMS, forwarding ARGS. */
#define LAZY(lib, ret, name, params, args)                                     \
    ret name params                                                            \
    {                                                                          \
        static real_fn cache;                                                  \
        ret(*real) params = (ret(*) params)resolve(&lib, #name, &cache);       \
        return real args;                                                      \
    }
#define LAZY_VOID(lib, name, params, args)                                     \
    void name params                                                           \
    {                                                                          \
        static real_fn cache;                                                  \
        void(*real) params = (void(*) params)resolve(&lib, #name, &cache);     \
        real args;                                                             \
    }

/* --- Cyrus SASL (libldap) ------------------------------------------------ */

LAZY(sasl, int, sasl_client_init, (const sasl_callback_t *callbacks),
     (callbacks))
LAZY(sasl, int, sasl_client_new,
     (const char *service, const char *server_fqdn, const char *iplocalport,
      const char *ipremoteport, const sasl_callback_t *prompt_supp,
      unsigned flags, sasl_conn_t **pconn),
     (service, server_fqdn, iplocalport, ipremoteport, prompt_supp, flags,
      pconn))
LAZY(sasl, int, sasl_client_start,
     (sasl_conn_t * conn, const char *mechlist, sasl_interact_t **prompt_need,
      const char **clientout, unsigned *clientoutlen, const char **mech),
     (conn, mechlist, prompt_need, clientout, clientoutlen, mech))
LAZY(sasl, int, sasl_client_step,
     (sasl_conn_t * conn, const char *serverin, unsigned serverinlen,
      sasl_interact_t **prompt_need, const char **clientout,
      unsigned *clientoutlen),
     (conn, serverin, serverinlen, prompt_need, clientout, clientoutlen))
LAZY(sasl, int, sasl_decode,
     (sasl_conn_t * conn, const char *input, unsigned inputlen,
      const char **output, unsigned *outputlen),
     (conn, input, inputlen, output, outputlen))
LAZY(sasl, int, sasl_encode,
     (sasl_conn_t * conn, const char *input, unsigned inputlen,
      const char **output, unsigned *outputlen),
     (conn, input, inputlen, output, outputlen))
LAZY_VOID(sasl, sasl_dispose, (sasl_conn_t * *pconn), (pconn))
LAZY(sasl, const char *, sasl_errdetail, (sasl_conn_t * conn), (conn))
LAZY(sasl, const char *, sasl_errstring,
     (int saslerr, const char *langlist, const char **outlang),
     (saslerr, langlist, outlang))
LAZY(sasl, int, sasl_getprop,
     (sasl_conn_t * conn, int propnum, const void **pvalue),
     (conn, propnum, pvalue))
LAZY(sasl, int, sasl_setprop,
     (sasl_conn_t * conn, int propnum, const void *value),
     (conn, propnum, value))
LAZY(sasl, const char **, sasl_global_listmech, (void), ())
LAZY_VOID(sasl, sasl_set_mutex,
          (sasl_mutex_alloc_t * alloc, sasl_mutex_lock_t *lock,
           sasl_mutex_unlock_t *unlock, sasl_mutex_free_t *free_mutex),
          (alloc, lock, unlock, free_mutex))

/* --- MIT GSS-API (libcurl, libldap) -------------------------------------- */

/* The one data symbol: RFC 2744 section 4 fixes its value, and MIT's
 * functions compare name types by value, so our own copy serves until the
 * library is loaded and after. */
static gss_OID_desc hostbased_service = {
    10, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04"};
gss_OID GSS_C_NT_HOSTBASED_SERVICE = &hostbased_service;

LAZY(gss, OM_uint32, gss_delete_sec_context,
     (OM_uint32 * minor, gss_ctx_id_t *context, gss_buffer_t output),
     (minor, context, output))
LAZY(gss, OM_uint32, gss_display_name,
     (OM_uint32 * minor, gss_name_t name, gss_buffer_t output,
      gss_OID *name_type),
     (minor, name, output, name_type))
LAZY(gss, OM_uint32, gss_display_status,
     (OM_uint32 * minor, OM_uint32 status, int status_type, gss_OID mech,
      OM_uint32 *message_context, gss_buffer_t output),
     (minor, status, status_type, mech, message_context, output))
LAZY(gss, OM_uint32, gss_import_name,
     (OM_uint32 * minor, gss_buffer_t input, gss_OID name_type,
      gss_name_t *output),
     (minor, input, name_type, output))
LAZY(gss, OM_uint32, gss_init_sec_context,
     (OM_uint32 * minor, gss_cred_id_t cred, gss_ctx_id_t *context,
      gss_name_t target, gss_OID mech, OM_uint32 req_flags, OM_uint32 time_req,
      gss_channel_bindings_t bindings, gss_buffer_t input, gss_OID *actual_mech,
      gss_buffer_t output, OM_uint32 *ret_flags, OM_uint32 *time_rec),
     (minor, cred, context, target, mech, req_flags, time_req, bindings, input,
      actual_mech, output, ret_flags, time_rec))
LAZY(gss, OM_uint32, gss_inquire_context,
     (OM_uint32 * minor, gss_ctx_id_t context, gss_name_t *src,
      gss_name_t *target, OM_uint32 *lifetime, gss_OID *mech, OM_uint32 *flags,
      int *locally_initiated, int *open),
     (minor, context, src, target, lifetime, mech, flags, locally_initiated,
      open))
LAZY(gss, OM_uint32, gss_release_buffer,
     (OM_uint32 * minor, gss_buffer_t buffer), (minor, buffer))
LAZY(gss, OM_uint32, gss_release_name, (OM_uint32 * minor, gss_name_t *name),
     (minor, name))
LAZY(gss, OM_uint32, gss_unwrap,
     (OM_uint32 * minor, gss_ctx_id_t context, gss_buffer_t input,
      gss_buffer_t output, int *conf_state, gss_qop_t *qop_state),
     (minor, context, input, output, conf_state, qop_state))
LAZY(gss, OM_uint32, gss_wrap,
     (OM_uint32 * minor, gss_ctx_id_t context, int conf_req, gss_qop_t qop,
      gss_buffer_t input, int *conf_state, gss_buffer_t output),
     (minor, context, conf_req, qop, input, conf_state, output))

/* --- p11-kit (GnuTLS) ---------------------------------------------------- */

LAZY(p11, char *, p11_kit_config_option,
     (CK_FUNCTION_LIST * module, const char *option), (module, option))
LAZY(p11, const char *, p11_kit_message, (void), ())
LAZY(p11, CK_RV, p11_kit_module_finalize, (CK_FUNCTION_LIST * module), (module))
LAZY(p11, int, p11_kit_module_get_flags, (CK_FUNCTION_LIST * module), (module))
LAZY(p11, char *, p11_kit_module_get_name, (CK_FUNCTION_LIST * module),
     (module))
LAZY(p11, CK_FUNCTION_LIST *, p11_kit_module_load,
     (const char *module_path, int flags), (module_path, flags))
LAZY_VOID(p11, p11_kit_module_release, (CK_FUNCTION_LIST * module), (module))
LAZY(p11, CK_FUNCTION_LIST **, p11_kit_modules_load,
     (const char *reserved, int flags), (reserved, flags))
LAZY(p11, P11KitPin *, p11_kit_pin_file_callback,
     (const char *pin_source, P11KitUri *pin_uri, const char *description,
      P11KitPinFlags pin_flags, void *callback_data),
     (pin_source, pin_uri, description, pin_flags, callback_data))
LAZY(p11, size_t, p11_kit_pin_get_length, (P11KitPin * pin), (pin))
LAZY(p11, const unsigned char *, p11_kit_pin_get_value,
     (P11KitPin * pin, size_t *length), (pin, length))
LAZY(p11, P11KitPin *, p11_kit_pin_new_for_string, (const char *value), (value))
LAZY(p11, int, p11_kit_pin_register_callback,
     (const char *pin_source, p11_kit_pin_callback callback,
      void *callback_data, p11_kit_pin_destroy_func callback_destroy),
     (pin_source, callback, callback_data, callback_destroy))
LAZY(p11, P11KitPin *, p11_kit_pin_request,
     (const char *pin_source, P11KitUri *pin_uri, const char *description,
      P11KitPinFlags pin_flags),
     (pin_source, pin_uri, description, pin_flags))
LAZY_VOID(p11, p11_kit_pin_unref, (P11KitPin * pin), (pin))
LAZY_VOID(p11, p11_kit_pin_unregister_callback,
          (const char *pin_source, p11_kit_pin_callback callback,
           void *callback_data),
          (pin_source, callback, callback_data))
LAZY(p11, char *, p11_kit_space_strdup,
     (const unsigned char *string, size_t max_length), (string, max_length))
LAZY(p11, size_t, p11_kit_space_strlen,
     (const unsigned char *string, size_t max_length), (string, max_length))
LAZY(p11, const char *, p11_kit_strerror, (CK_RV rv), (rv))
LAZY(p11, int, p11_kit_uri_format,
     (P11KitUri * uri, P11KitUriType uri_type, char **string),
     (uri, uri_type, string))
LAZY_VOID(p11, p11_kit_uri_free, (P11KitUri * uri), (uri))
LAZY(p11, CK_ATTRIBUTE_PTR, p11_kit_uri_get_attribute,
     (P11KitUri * uri, CK_ATTRIBUTE_TYPE attr_type), (uri, attr_type))
LAZY(p11, CK_ATTRIBUTE_PTR, p11_kit_uri_get_attributes,
     (P11KitUri * uri, CK_ULONG *n_attrs), (uri, n_attrs))
LAZY(p11, CK_INFO_PTR, p11_kit_uri_get_module_info, (P11KitUri * uri), (uri))
LAZY(p11, const char *, p11_kit_uri_get_pin_source, (const P11KitUri *uri),
     (uri))
LAZY(p11, const char *, p11_kit_uri_get_pin_value, (const P11KitUri *uri),
     (uri))
LAZY(p11, CK_TOKEN_INFO_PTR, p11_kit_uri_get_token_info, (P11KitUri * uri),
     (uri))
LAZY(p11, int, p11_kit_uri_match_module_info,
     (const P11KitUri *uri, const CK_INFO *info), (uri, info))
LAZY(p11, int, p11_kit_uri_match_token_info,
     (const P11KitUri *uri, const CK_TOKEN_INFO *token_info), (uri, token_info))
LAZY(p11, P11KitUri *, p11_kit_uri_new, (void), ())
LAZY(p11, int, p11_kit_uri_parse,
     (const char *string, P11KitUriType uri_type, P11KitUri *uri),
     (string, uri_type, uri))
LAZY(p11, int, p11_kit_uri_set_attribute,
     (P11KitUri * uri, CK_ATTRIBUTE_PTR attr), (uri, attr))
