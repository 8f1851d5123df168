/* http(s) URL parsing and composition (RFC 3986), canonical resource URIs
 * (RFC 8707), loopback detection, reference resolution (RFC 3986 §5) and the
 * well-known URLs of RFC 8414 §3.1, RFC 9728 §3.1 and OIDC Discovery §4. */
#include "common/url.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"

void ac_url_free(struct ac_url *u)
{
    if (u == NULL) {
        return;
    }
    free(u->scheme);
    free(u->userinfo);
    free(u->host);
    free(u->path);
    free(u->query);
    free(u->fragment);
    memset(u, 0, sizeof(*u));
}

static char *dup_range(const char *p, size_t n, bool lower)
{
    char *s = strndup(p, n);
    size_t i;

    if (s != NULL && lower) {
        for (i = 0; i < n; i++) {
            s[i] = (char)tolower((unsigned char)s[i]);
        }
    }
    return s;
}

/* Spaces, controls and non-ASCII bytes are never valid in a URL (RFC 3986
 * §2): refusing them here keeps header injection out of every caller. */
static bool check_chars(const char *text, struct ac_err *err)
{
    const unsigned char *p;

    for (p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p <= 0x20 || *p >= 0x7f || *p == '\\') {
            AC_ERR(err, AC_ERR_INVALID,
                   "URL: invalid character 0x%02x at offset %zu", *p,
                   (size_t)(p - (const unsigned char *)text));
            return false;
        }
    }
    return true;
}

/* scheme ":" "//" — only http and https are accepted. */
static bool parse_scheme(const char *text, const char **rest,
                         struct ac_url *out, struct ac_err *err)
{
    const char *colon = strchr(text, ':');

    if (colon == NULL || colon == text) {
        AC_ERR(err, AC_ERR_INVALID, "URL: missing scheme");
        return false;
    }
    out->scheme = dup_range(text, (size_t)(colon - text), true);
    if (out->scheme == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    if (strcmp(out->scheme, "http") != 0 && strcmp(out->scheme, "https") != 0) {
        AC_ERR(err, AC_ERR_INVALID, "URL: unsupported scheme \"%.32s\"",
               out->scheme);
        return false;
    }
    if (strncmp(colon + 1, "//", 2) != 0) {
        AC_ERR(err, AC_ERR_INVALID, "URL: missing \"//\" after scheme");
        return false;
    }
    *rest = colon + 3;
    return true;
}

static bool parse_port(const char *p, size_t n, struct ac_url *out,
                       struct ac_err *err)
{
    long v = 0;
    size_t i;

    if (n == 0 || n > 5) {
        AC_ERR(err, AC_ERR_INVALID, "URL: bad port");
        return false;
    }
    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i])) {
            AC_ERR(err, AC_ERR_INVALID, "URL: bad port");
            return false;
        }
        v = v * 10 + (p[i] - '0');
    }
    if (v < 1 || v > 65535) {
        AC_ERR(err, AC_ERR_INVALID, "URL: port %ld out of range", v);
        return false;
    }
    out->port = (int)v;
    out->port_explicit = true;
    return true;
}

static bool host_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

/* host [":" port], host possibly an IPv6 literal in brackets. */
static bool parse_hostport(const char *p, size_t n, struct ac_url *out,
                           struct ac_err *err)
{
    const char *end = p + n, *hend, *colon;
    const char *h = p;
    size_t i, hlen;

    if (n > 0 && p[0] == '[') {
        hend = memchr(p, ']', n);
        if (hend == NULL) {
            AC_ERR(err, AC_ERR_INVALID, "URL: unterminated IPv6 literal");
            return false;
        }
        h = p + 1;
        hlen = (size_t)(hend - h);
        for (i = 0; i < hlen; i++) {
            if (!isxdigit((unsigned char)h[i]) && h[i] != ':' && h[i] != '.') {
                AC_ERR(err, AC_ERR_INVALID, "URL: bad IPv6 literal");
                return false;
            }
        }
        colon = hend + 1 < end ? hend + 1 : NULL;
        if (colon != NULL && *colon != ':') {
            AC_ERR(err, AC_ERR_INVALID, "URL: junk after IPv6 literal");
            return false;
        }
    } else {
        colon = memchr(p, ':', n);
        hlen = colon != NULL ? (size_t)(colon - p) : n;
        for (i = 0; i < hlen; i++) {
            if (!host_char_ok(h[i])) {
                AC_ERR(err, AC_ERR_INVALID,
                       "URL: invalid character '%c' in host", h[i]);
                return false;
            }
        }
    }
    if (hlen == 0) {
        AC_ERR(err, AC_ERR_INVALID, "URL: missing host");
        return false;
    }
    out->host = dup_range(h, hlen, true);
    if (out->host == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    out->port = strcmp(out->scheme, "https") == 0 ? 443 : 80;
    if (colon != NULL) {
        return parse_port(colon + 1, (size_t)(end - colon - 1), out, err);
    }
    return true;
}

static bool parse_authority(const char *p, size_t n, struct ac_url *out,
                            struct ac_err *err)
{
    const char *at = NULL;
    size_t i;

    /* The last '@' ends the userinfo: "a@b@host" has userinfo "a@b". */
    for (i = 0; i < n; i++) {
        if (p[i] == '@') {
            at = p + i;
        }
    }
    if (at != NULL) {
        out->userinfo = strndup(p, (size_t)(at - p));
        if (out->userinfo == NULL) {
            AC_ERR(err, AC_ERR_NOMEM, "out of memory");
            return false;
        }
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    return parse_hostport(p, n, out, err);
}

/* path ["?" query] ["#" fragment] */
static bool parse_tail(const char *p, struct ac_url *out, struct ac_err *err)
{
    size_t plen = strcspn(p, "?#");

    out->path = strndup(p, plen);
    if (out->path == NULL) {
        goto nomem;
    }
    p += plen;
    if (*p == '?') {
        size_t qlen = strcspn(p + 1, "#");
        out->query = strndup(p + 1, qlen);
        if (out->query == NULL) {
            goto nomem;
        }
        p += 1 + qlen;
    }
    if (*p == '#') {
        out->fragment = strdup(p + 1);
        if (out->fragment == NULL) {
            goto nomem;
        }
    }
    return true;
nomem:
    AC_ERR(err, AC_ERR_NOMEM, "out of memory");
    return false;
}

bool ac_url_parse(const char *text, struct ac_url *out, struct ac_err *err)
{
    bool ok = false;
    const char *rest;
    size_t alen;

    memset(out, 0, sizeof(*out));
    if (text == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "URL: missing");
        goto out;
    }
    if (!check_chars(text, err) || !parse_scheme(text, &rest, out, err)) {
        goto out;
    }
    alen = strcspn(rest, "/?#");
    if (!parse_authority(rest, alen, out, err) ||
        !parse_tail(rest + alen, out, err)) {
        goto out;
    }
    ok = true;
out:
    if (!ok) {
        ac_url_free(out);
    }
    return ok;
}

static bool is_default_port(const struct ac_url *u)
{
    return (strcmp(u->scheme, "http") == 0 && u->port == 80) ||
           (strcmp(u->scheme, "https") == 0 && u->port == 443);
}

/* scheme://[userinfo@]host[:port] into `b`. */
static bool format_origin(struct ac_buf *b, const struct ac_url *u,
                          bool userinfo)
{
    bool v6 = strchr(u->host, ':') != NULL;

    if (!ac_buf_printf(b, NULL, "%s://", u->scheme)) {
        return false;
    }
    if (userinfo && u->userinfo != NULL &&
        !ac_buf_printf(b, NULL, "%s@", u->userinfo)) {
        return false;
    }
    if (!ac_buf_printf(b, NULL, v6 ? "[%s]" : "%s", u->host)) {
        return false;
    }
    if (!is_default_port(u) && !ac_buf_printf(b, NULL, ":%d", u->port)) {
        return false;
    }
    return true;
}

char *ac_url_format(const struct ac_url *u)
{
    struct ac_buf b;

    ac_buf_init(&b, 0);
    if (!format_origin(&b, u, true) ||
        !ac_buf_append_str(&b, u->path != NULL ? u->path : "", NULL) ||
        (u->query != NULL && !ac_buf_printf(&b, NULL, "?%s", u->query)) ||
        (u->fragment != NULL && !ac_buf_printf(&b, NULL, "#%s", u->fragment))) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}

char *ac_url_origin(const char *url)
{
    struct ac_url u;
    struct ac_buf b;
    char *s = NULL;

    if (!ac_url_parse(url, &u, NULL)) {
        return NULL;
    }
    ac_buf_init(&b, 0);
    if (format_origin(&b, &u, false)) {
        s = ac_buf_steal(&b);
    }
    ac_buf_free(&b);
    ac_url_free(&u);
    return s;
}

bool ac_url_is_loopback(const struct ac_url *u)
{
    struct in_addr a4;
    struct in6_addr a6;
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0,    0,
                                              0, 0, 0, 0, 0xff, 0xff};

    if (u == NULL || u->host == NULL) {
        return false;
    }
    /* RFC 6761 §6.3: localhost and *.localhost are loopback names. */
    if (strcmp(u->host, "localhost") == 0) {
        return true;
    }
    if (strlen(u->host) > 10 &&
        strcmp(u->host + strlen(u->host) - 10, ".localhost") == 0) {
        return true;
    }
    if (inet_pton(AF_INET, u->host, &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127;
    }
    if (inet_pton(AF_INET6, u->host, &a6) == 1) {
        if (memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0) {
            return true;
        }
        return memcmp(a6.s6_addr, mapped_prefix, 12) == 0 &&
               a6.s6_addr[12] == 127;
    }
    return false;
}

char *ac_url_canonical_resource(const char *url)
{
    struct ac_url u;
    char *s;

    if (!ac_url_parse(url, &u, NULL)) {
        return NULL;
    }
    /* RFC 8707 §2: the resource MUST NOT include a fragment. */
    free(u.fragment);
    u.fragment = NULL;
    if (strcmp(u.path, "/") == 0) {
        u.path[0] = '\0';
    }
    s = ac_url_format(&u);
    ac_url_free(&u);
    return s;
}

/* Is `s` "scheme://authority" with no path, query or fragment? */
static bool origin_only(const char *s)
{
    const char *a = strstr(s, "://");

    return a != NULL && strpbrk(a + 3, "/?#") == NULL;
}

bool ac_url_same_resource(const char *a, const char *b)
{
    size_t la, lb;

    if (a == NULL || b == NULL) {
        return false;
    }
    if (strcmp(a, b) == 0) {
        return true;
    }
    la = strlen(a);
    lb = strlen(b);
    if (la == lb + 1 && a[lb] == '/' && strncmp(a, b, lb) == 0) {
        return origin_only(b);
    }
    if (lb == la + 1 && b[la] == '/' && strncmp(a, b, la) == 0) {
        return origin_only(a);
    }
    return false;
}

static bool suffix_ok(const char *suffix)
{
    const char *p;

    if (suffix == NULL || *suffix == '\0') {
        return false;
    }
    for (p = suffix; *p != '\0'; p++) {
        if (!host_char_ok(*p)) {
            return false;
        }
    }
    return true;
}

char *ac_url_wellknown(const char *base, const char *suffix,
                       enum ac_wellknown_form form, struct ac_err *err)
{
    struct ac_url u;
    struct ac_buf b;
    char *s = NULL;
    size_t plen;

    ac_buf_init(&b, 0);
    if (!suffix_ok(suffix)) {
        AC_ERR(err, AC_ERR_USAGE, "bad well-known suffix");
        return NULL;
    }
    if (!ac_url_parse(base, &u, err)) {
        return NULL;
    }
    /* RFC 8414 §3.1: a terminating "/" of the path is removed first. */
    plen = strlen(u.path);
    if (plen > 0 && u.path[plen - 1] == '/') {
        u.path[--plen] = '\0';
    }
    if (form == AC_WK_ROOT) {
        u.path[0] = '\0';
    }
    if (!format_origin(&b, &u, false)) {
        goto nomem;
    }
    if (form == AC_WK_APPEND) {
        /* OIDC Discovery §4: append to the issuer's path. */
        if (!ac_buf_printf(&b, NULL, "%s/.well-known/%s", u.path, suffix)) {
            goto nomem;
        }
    } else if (!ac_buf_printf(&b, NULL, "/.well-known/%s%s", suffix, u.path)) {
        /* RFC 8414 §3.1 / RFC 9728 §3.1: insert before the path. */
        goto nomem;
    }
    s = ac_buf_steal(&b);
    goto out;
nomem:
    AC_ERR(err, AC_ERR_NOMEM, "out of memory");
out:
    ac_buf_free(&b);
    ac_url_free(&u);
    return s;
}

/* Build n well-known URLs of `base`, suffix[i] in form[i], into out; all
 * or none. */
static size_t wellknowns(const char *base, const char *const suffix[],
                         const enum ac_wellknown_form form[], size_t n,
                         char *out[], struct ac_err *err)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = ac_url_wellknown(base, suffix[i], form[i], err);
        if (out[i] == NULL) {
            while (i > 0) {
                free(out[--i]);
                out[i] = NULL;
            }
            return 0;
        }
    }
    return n;
}

size_t ac_url_prm_urls(const char *resource, char *out[AC_URL_PRM_MAX],
                       struct ac_err *err)
{
    static const char *const suffix[] = {"oauth-protected-resource",
                                         "oauth-protected-resource"};
    static const enum ac_wellknown_form form[] = {AC_WK_INSERT, AC_WK_ROOT};
    size_t n = wellknowns(resource, suffix, form, 2, out, err);

    if (n == 2 && strcmp(out[0], out[1]) == 0) { /* at the root */
        free(out[1]);
        out[1] = NULL;
        n = 1;
    }
    return n;
}

size_t ac_url_as_metadata_urls(const char *issuer, char *out[AC_URL_AS_MAX],
                               struct ac_err *err)
{
    static const char *const suffix[] = {"oauth-authorization-server",
                                         "openid-configuration",
                                         "openid-configuration"};
    static const enum ac_wellknown_form form[] = {AC_WK_INSERT, AC_WK_INSERT,
                                                  AC_WK_APPEND};
    struct ac_url u;
    bool root;

    if (!ac_url_parse(issuer, &u, err)) {
        return 0;
    }
    /* RFC 8414 §3.1: a terminating "/" does not make a path. */
    root = u.path[strspn(u.path, "/")] == '\0';
    ac_url_free(&u);
    return wellknowns(issuer, suffix, form, root ? 2 : 3, out, err);
}

/* RFC 3986 §5.2.4 remove_dot_segments, on a path without query. */
static char *remove_dots(const char *in)
{
    size_t n = strlen(in), olen = 0;
    char *out = malloc(n + 2);
    const char *p = in;

    if (out == NULL) {
        return NULL;
    }
    while (*p != '\0') {
        if (strncmp(p, "../", 3) == 0) {
            p += 3;
        } else if (strncmp(p, "./", 2) == 0) {
            p += 2;
        } else if (strncmp(p, "/./", 3) == 0) {
            p += 2;
        } else if (strcmp(p, "/.") == 0) {
            p = "/";
        } else if (strncmp(p, "/../", 4) == 0 || strcmp(p, "/..") == 0) {
            p = p[3] == '\0' ? "/" : p + 3;
            while (olen > 0 && out[olen - 1] != '/') {
                olen--;
            }
            if (olen > 0) {
                olen--;
            }
        } else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
            break;
        } else {
            size_t seg = 1 + strcspn(p + 1, "/");
            memcpy(out + olen, p, seg);
            olen += seg;
            p += seg;
        }
    }
    out[olen] = '\0';
    return out;
}

/* Merge `ref` (a relative reference, not starting with a scheme or "//")
 * with the parsed base into `b`, per RFC 3986 §5.2.2. */
static bool merge_ref(struct ac_buf *b, const struct ac_url *u, const char *ref)
{
    size_t plen = strcspn(ref, "?#");
    char *rpath = strndup(ref, plen);
    char *merged = NULL, *clean = NULL;
    const char *slash;
    bool ok = false;

    if (rpath == NULL) {
        goto out;
    }
    if (plen == 0) {
        /* Empty path: keep the base path, and its query unless given. */
        ok = ac_buf_append_str(b, u->path, NULL) &&
             (ref[0] == '?' || u->query == NULL ||
              ac_buf_printf(b, NULL, "?%s", u->query)) &&
             ac_buf_append_str(b, ref, NULL);
        goto out;
    }
    if (rpath[0] == '/') {
        merged = strdup(rpath);
    } else {
        slash = strrchr(u->path, '/');
        if (asprintf(&merged, "%.*s/%s",
                     slash != NULL ? (int)(slash - u->path) : 0, u->path,
                     rpath) < 0) {
            merged = NULL;
        }
    }
    clean = merged != NULL ? remove_dots(merged) : NULL;
    ok = clean != NULL && ac_buf_append_str(b, clean, NULL) &&
         ac_buf_append_str(b, ref + plen, NULL);
out:
    free(rpath);
    free(merged);
    free(clean);
    return ok;
}

static bool has_scheme(const char *ref)
{
    size_t n =
        strspn(ref, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789+-.");

    return n > 0 && isalpha((unsigned char)ref[0]) && ref[n] == ':';
}

char *ac_url_resolve(const char *base, const char *ref, struct ac_err *err)
{
    struct ac_url u, r;
    struct ac_buf b;
    char *s = NULL;
    bool built;

    memset(&u, 0, sizeof(u));
    memset(&r, 0, sizeof(r));
    ac_buf_init(&b, 0);
    if (ref == NULL) {
        AC_ERR(err, AC_ERR_INVALID, "URL: missing reference");
        goto out;
    }
    if (!check_chars(ref, err)) {
        goto out;
    }
    if (has_scheme(ref)) {
        built = ac_buf_append_str(&b, ref, NULL);
    } else {
        if (!ac_url_parse(base, &u, err)) {
            goto out;
        }
        if (strncmp(ref, "//", 2) == 0) {
            built = ac_buf_printf(&b, NULL, "%s:%s", u.scheme, ref);
        } else {
            built = format_origin(&b, &u, true) && merge_ref(&b, &u, ref);
        }
    }
    if (!built) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Round-trip through the parser: validates and normalises. */
    if (!ac_url_parse(b.data, &r, err)) {
        goto out;
    }
    s = ac_url_format(&r);
    if (s == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
    }
out:
    ac_buf_free(&b);
    ac_url_free(&u);
    ac_url_free(&r);
    return s;
}
