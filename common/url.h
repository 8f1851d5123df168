/* URL parsing and composition for http(s) URLs, and the well-known URLs of
 * RFC 8414 §3.1, RFC 9728 §3.1 and OpenID Connect Discovery 1.0 §4. */
#ifndef AC_URL_H
#define AC_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

struct ac_url {
    char *scheme;   /* lower-cased: "http" or "https" */
    char *userinfo; /* NULL when absent */
    char *host;     /* lower-cased; IPv6 literals without brackets */
    int port;       /* explicit port, or the scheme default (80/443) */
    bool port_explicit;
    char *path;     /* "" when absent, else starts with "/" */
    char *query;    /* without "?", NULL when absent */
    char *fragment; /* without "#", NULL when absent */
};

/* Parse an absolute http or https URL. Rejects other schemes, missing hosts,
 * bad ports, spaces and control characters. On success `out` owns its
 * strings (free with ac_url_free). */
bool ac_url_parse(const char *text, struct ac_url *out, struct ac_err *err);

/* Free the strings of a parsed URL (not the struct). NULL-safe. */
void ac_url_free(struct ac_url *u);

/* Compose back to text: scheme://host[:port]path[?query][#fragment], the
 * port omitted when it is the scheme default. A new string (free()). */
char *ac_url_format(const struct ac_url *u);

/* "scheme://host[:port]" of a URL. A new string, or NULL if unparsable. */
char *ac_url_origin(const char *url);

/* Is the host a loopback name or address (localhost, 127.0.0.0/8, ::1)? */
bool ac_url_is_loopback(const struct ac_url *u);

/* Canonical resource URI (RFC 8707 §2, MCP "canonical server URI"): the
 * URL with lower-case scheme and host, default port removed, no fragment,
 * and no trailing "/" when the path is just "/". A new string, or NULL. */
char *ac_url_canonical_resource(const char *url);

/* Do two resource identifiers name the same resource? Equal strings, or
 * an http(s) origin with an empty path and the same with "/" (RFC 3986
 * §6.2.3: equivalent; the MCP spec only says implementations SHOULD use
 * the form without the slash). Nothing else is normalised: RFC 8707 and
 * RFC 9728 compare identifiers as strings. */
bool ac_url_same_resource(const char *a, const char *b);

enum ac_wellknown_form {
    /* RFC 8414 §3.1 / RFC 9728 §3.1: insert "/.well-known/<suffix>" between
     * the host and the path: https://h/.well-known/<suffix>/tenant1 */
    AC_WK_INSERT,
    /* OIDC Discovery §4: append to the path:
     * https://h/tenant1/.well-known/openid-configuration */
    AC_WK_APPEND,
    /* The root form, ignoring any path: https://h/.well-known/<suffix> */
    AC_WK_ROOT,
};

/* Build a well-known URL from an issuer or resource URL and a suffix such as
 * "oauth-authorization-server", "openid-configuration" or
 * "oauth-protected-resource". A trailing "/" of the path is dropped before
 * insertion (RFC 8414 §3.1). Query and fragment are not carried over.
 * A new string (free()), or NULL with err set. */
char *ac_url_wellknown(const char *base, const char *suffix,
                       enum ac_wellknown_form form, struct ac_err *err);

/* The Protected Resource Metadata URLs to try for the MCP server (or any
 * resource) at `resource`, in order (RFC 9728 §3.1, MCP "Protected Resource
 * Metadata Discovery"): the path-inserted well-known URL, then the root
 * one; just one when the resource has no path. Writes new strings
 * (free()) to out[0..n-1] and returns n; 0 with err set on failure (then
 * none is written). */
#define AC_URL_PRM_MAX 2
size_t ac_url_prm_urls(const char *resource, char *out[AC_URL_PRM_MAX],
                       struct ac_err *err);

/* The authorization server metadata URLs to try for `issuer`, in order
 * (MCP "Authorization Server Metadata Discovery", RFC 8414 §3.1, OIDC
 * Discovery §4): for an issuer with a path, OAuth path-inserted, OIDC
 * path-inserted, OIDC path-appended; without one, OAuth then OIDC at the
 * root. Writes new strings (free()) to out[0..n-1] and returns n; 0 with
 * err set on failure (then none is written). */
#define AC_URL_AS_MAX 3
size_t ac_url_as_metadata_urls(const char *issuer, char *out[AC_URL_AS_MAX],
                               struct ac_err *err);

/* Resolve `ref` (absolute URL or absolute path "/x") against `base`.
 * A new string, or NULL with err set. Used for Location headers. */
char *ac_url_resolve(const char *base, const char *ref, struct ac_err *err);

#endif
