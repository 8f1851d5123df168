/* Discovery: the Bearer challenge of a 401 (RFC 6750 §3, RFC 9728 §5.1),
 * the Protected Resource Metadata (RFC 9728) and the authorization server
 * metadata (RFC 8414 / OpenID Connect Discovery 1.0), in the order and with
 * the validation of MCP 2026-07-28 "Authorization Server Discovery". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "common/json.h"
#include "common/url.h"
#include "common/wwwauth.h"

bool discovery_take_challenge(struct mcpo_client *c, const char *const *lines,
                              size_t nlines, struct ac_err *err)
{
    struct ac_challenges cs = {0};
    struct ac_err perr;
    bool ok = false;

    c->chal.seen = true;
    if (!str_set(&c->chal.resource_metadata, NULL, err) ||
        !str_set(&c->chal.scope, NULL, err) ||
        !str_set(&c->chal.error, NULL, err)) {
        return false;
    }
    if (nlines == 0) {
        http_trace_note("401 without WWW-Authenticate: using well-known PRM");
        return true;
    }
    if (!ac_wwwauth_parse(lines, nlines, &cs, &perr)) {
        /* Not fatal: the well-known URLs still lead to the PRM. */
        http_trace_note("unparsable WWW-Authenticate (%s): using well-known "
                        "PRM",
                        perr.msg);
        return true;
    }
    /* The Bearer challenge; else a DPoP one (a server requiring DPoP
     * offers only that, RFC 9449 §7.1), whose resource_metadata (RFC 9728
     * §5.1: any scheme) and scope mean the same. */
    const struct ac_challenge *b = ac_wwwauth_find(&cs, "Bearer");
    if (b == NULL) {
        b = ac_wwwauth_find(&cs, "DPoP");
    }
    if (b == NULL) {
        http_trace_note("no Bearer or DPoP challenge: using well-known PRM");
        ok = true;
        goto out;
    }
    if (!str_set(&c->chal.resource_metadata,
                 ac_challenge_param(b, "resource_metadata"), err) ||
        !str_set(&c->chal.scope, ac_challenge_param(b, "scope"), err) ||
        !str_set(&c->chal.error, ac_challenge_param(b, "error"), err)) {
        goto out;
    }
    ok = true;
out:
    ac_challenges_free(&cs);
    return ok;
}

/* --- Protected Resource Metadata ---------------------------------------- */

/* RFC 9728 §3.3: "The resource value returned MUST be identical to the
 * protected resource's resource identifier value into which the
 * well-known URI path suffix was inserted to create the URL used to
 * retrieve the metadata. If these values are not identical, the data
 * contained in the response MUST NOT be used."
 *
 * - The path-inserted URL (and the challenge's resource_metadata, which
 *   RFC 9728 §3.3 ties to the URL the client requested) was built from
 *   the MCP server's URI: `resource` must be that URI.
 * - The root URL (/.well-known/oauth-protected-resource) is what
 *   inserting the suffix into the origin gives (RFC 9728 §3.1 drops a
 *   terminating slash first, so "https://h" and "https://h/" both
 *   build it): there the origin is the identifier the URL was built
 *   from and is valid (the official auth/metadata-var2 serves that).
 *   MCP (2026-07-28 authorization server discovery, "Well-Known URI")
 *   also lets a server at https://example.com/public/mcp host its own
 *   metadata at the root, so the MCP server's URI stays valid there.
 * Anything else is a mismatch with the URL actually used. */
bool discovery_prm_resource_ok(const char *resource, const char *prm_url,
                               const char *root_url, const char *got)
{
    const char *host, *slash;
    size_t olen;

    if (got == NULL || resource == NULL) {
        return false;
    }
    if (strcmp(got, resource) == 0) {
        return true;
    }
    if (prm_url == NULL || root_url == NULL || strcmp(prm_url, root_url) != 0) {
        return false;
    }
    host = strstr(resource, "://");
    if (host == NULL) {
        return false;
    }
    slash = strchr(host + 3, '/');
    olen = slash != NULL ? (size_t)(slash - resource) : strlen(resource);
    return strncmp(got, resource, olen) == 0 &&
           (got[olen] == '\0' || strcmp(got + olen, "/") == 0);
}

const char *discovery_resource_param(const struct mcpo_client *c)
{
    /* MCP "Resource Parameter Implementation": the canonical URI of the
     * MCP server, which "aligns with the resource parameter in RFC
     * 9728": where the PRM names the origin (root fallback), the token
     * is requested for what the resource server says it is. */
    const char *prm = ac_json_str(c->prm, "resource");
    return prm != NULL ? prm : c->resource;
}

/* RFC 9728 §3.3 checks of a fetched PRM; on success records it. Also the
 * fuzzers' entry. */
bool discovery_take_prm(struct mcpo_client *c, const char *url,
                        const json_t *doc, struct ac_err *err)
{
    const char *res = ac_json_str(doc, "resource");
    const json_t *as = json_object_get(doc, "authorization_servers");
    const char *first = json_string_value(json_array_get(as, 0));
    char *root = NULL;
    bool same;

    if (res == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "protected resource metadata at %s has no \"resource\" "
               "(RFC 9728 §2: REQUIRED)",
               url);
        return false;
    }
    root = ac_url_wellknown(c->mcp_url, "oauth-protected-resource", AC_WK_ROOT,
                            NULL);
    same = discovery_prm_resource_ok(c->resource, url, root, res);
    free(root);
    if (!same && !MUTATED("no-prm-resource-check")) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "protected resource metadata at %s: \"resource\" is \"%s\", "
               "not the resource identifier that URL was built from (MCP "
               "server \"%s\"; RFC 9728 §3.3: MUST be identical)",
               url, res, c->resource);
        return false;
    }
    if (first == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "protected resource metadata at %s lists no "
               "authorization_servers (MCP authorization server discovery: "
               "MUST include at least one)",
               url);
        return false;
    }
    json_decref(c->prm);
    c->prm = json_incref((json_t *)doc);
    return str_set(&c->prm_url, url, err) && str_set(&c->as_url, first, err);
}

/* The PRM URLs to try: the challenge's, else path-inserted then root. */
static bool prm_urls(struct mcpo_client *c, char *urls[2], struct ac_err *err)
{
    urls[0] = urls[1] = NULL;
    if (c->chal.resource_metadata != NULL &&
        !MUTATED("ignore-resource-metadata")) {
        urls[0] = strdup(c->chal.resource_metadata);
        return urls[0] != NULL || (AC_ERR(err, AC_ERR_NOMEM, "oom"), false);
    }
    switch (ac_url_prm_urls(c->mcp_url, urls, err)) {
    case 0:
        return false;
    case 2:
        if (MUTATED("root-prm-first")) {
            char *t = urls[0];
            urls[0] = urls[1];
            urls[1] = t;
        }
        break;
    default: /* MCP server at the root: one URL */
        break;
    }
    return true;
}

bool discovery_prm(struct mcpo_client *c, struct ac_err *err)
{
    char *urls[2] = {NULL, NULL};
    json_t *doc = NULL;
    long status = 0;
    bool ok = false;

    c->prm_absent = false;
    if (!prm_urls(c, urls, err)) {
        goto out;
    }
    c->prm_absent = c->chal.resource_metadata == NULL;
    for (size_t i = 0; i < 2 && urls[i] != NULL; i++) {
        json_decref(doc);
        doc = NULL;
        if (http_get_json(c, urls[i], &status, &doc, err)) {
            ok = discovery_take_prm(c, urls[i], doc, err);
            goto out;
        }
        if (status != 404) {
            c->prm_absent = false;
        }
        if (status == 0) {
            goto out; /* the network failed: no point trying further */
        }
    }
    ac_err_prefix(err, "no protected resource metadata%s",
                  c->chal.resource_metadata != NULL
                      ? " at the challenge's resource_metadata"
                      : " at the well-known URLs (RFC 9728 §3)");
out:
    json_decref(doc);
    free(urls[0]);
    free(urls[1]);
    if (ok) {
        c->prm_absent = false;
    }
    return ok;
}

/* --- authorization server metadata -------------------------------------- */

void strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++) {
        free(v[i]);
    }
    free(v);
}

bool discovery_as_urls(const char *issuer, char ***urls, struct ac_err *err)
{
    char **v = calloc(AC_URL_AS_MAX + 1, sizeof *v);
    size_t n = v != NULL ? ac_url_as_metadata_urls(issuer, v, err) : 0;

    *urls = NULL;
    if (v == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
    }
    if (n == 0) {
        free(v);
        return false;
    }
    if (MUTATED("oidc-first")) { /* OpenID first, OAuth last */
        char *t = v[0];
        memmove(v, v + 1, (n - 1) * sizeof *v);
        v[n - 1] = t;
    }
    *urls = v;
    return true;
}

/* An endpoint a client sends secrets to: https, or http on loopback only
 * (OAuth 2.1 §1.5: TLS for every endpoint but loopback). */
static bool secure_enough(const struct ac_url *u)
{
    return strcmp(u->scheme, "https") == 0 || ac_url_is_loopback(u) ||
           MUTATED("tls-allow-downgrade") || MUTATED("tls-insecure");
}

static bool need_url(const json_t *meta, const char *name, struct ac_err *err)
{
    const char *v = ac_json_str(meta, name);
    struct ac_url u = {0};
    struct ac_err uerr;
    if (v == NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization server metadata has no \"%s\" (RFC 8414 §2)",
               name);
        return false;
    }
    if (!ac_url_parse(v, &u, &uerr)) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization server metadata \"%s\" is not an http(s) URL: "
               "%s",
               name, uerr.msg);
        return false;
    }
    bool secure = secure_enough(&u);
    ac_url_free(&u);
    if (!secure) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization server %s \"%s\" is plain http on a "
               "non-loopback host (OAuth 2.1 §1.5: MUST use TLS)",
               name, v);
        return false;
    }
    return true;
}

bool discovery_check_as_meta(const json_t *meta, const char *issuer,
                             struct ac_err *err)
{
    return discovery_check_as_meta_for(meta, issuer, true, err);
}

bool discovery_check_as_meta_for(const json_t *meta, const char *issuer,
                                 bool code_grant, struct ac_err *err)
{
    const char *iss = ac_json_str(meta, "issuer");
    const json_t *ccm =
        json_object_get(meta, "code_challenge_methods_supported");
    const json_t *rts = json_object_get(meta, "response_types_supported");

    if ((iss == NULL || strcmp(iss, issuer) != 0) &&
        !MUTATED("no-issuer-check")) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization server metadata issuer %s%s%s is not the "
               "issuer \"%s\" it was fetched for (RFC 8414 §3.3: MUST be "
               "identical)",
               iss != NULL ? "\"" : "", iss != NULL ? iss : "(missing)",
               iss != NULL ? "\"" : "", issuer);
        return false;
    }
    /* RFC 8414 §2: authorization_endpoint is required unless no grant
     * type uses it; a client that will use the JWT bearer grant only
     * (workload identity, enterprise IdP) needs neither it nor PKCE. */
    if ((code_grant && !need_url(meta, "authorization_endpoint", err)) ||
        !need_url(meta, "token_endpoint", err)) {
        return false;
    }
    if (!code_grant) {
        return true;
    }
    if (!ac_json_array_has_str(ccm, "S256") && !MUTATED("no-s256-check")) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization server metadata %s (MCP authorization: clients "
               "MUST refuse to proceed without PKCE S256 support)",
               ccm == NULL ? "has no code_challenge_methods_supported"
                           : "code_challenge_methods_supported lacks S256");
        return false;
    }
    if (rts != NULL && !ac_json_array_has_str(rts, "code")) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "authorization server metadata response_types_supported lacks "
               "\"code\" (OAuth 2.1 authorization code grant)");
        return false;
    }
    return true;
}

/* Try one metadata URL. *fatal says whether its failure is a finding about
 * the document (kept in preference to "not found" reasons). */
static bool try_as_url(struct mcpo_client *c, const char *url, bool *found,
                       struct ac_err *err)
{
    json_t *doc = NULL;
    long status = 0;
    bool ok = false;

    *found = false;
    if (!http_get_json(c, url, &status, &doc, err)) {
        *found = status == 200; /* 200 with a bad body is a finding */
        goto out;
    }
    *found = true;
    if (!discovery_check_as_meta_for(doc, c->as_url, !fed_configured(c), err)) {
        ac_err_prefix(err, "%s", url);
        goto out;
    }
    json_decref(c->as_meta);
    c->as_meta = json_incref(doc);
    ok = str_set(&c->issuer, c->as_url, err);
out:
    json_decref(doc);
    return ok;
}

static json_t *legacy_defaults(const char *origin);

/* Metadata of the one authorization server c->as_url. */
static bool discover_one(struct mcpo_client *c, struct ac_err *err)
{
    char **urls = NULL;
    struct ac_err one, best;
    bool have_best = false, best_found = false, ok = false;

    if (c->as_url == NULL) {
        AC_ERR(err, AC_ERR_STATE,
               "no authorization server known: discover "
               "the protected resource metadata first");
        return false;
    }
    if (MUTATED("skip-as-metadata")) {
        /* Guess the endpoints under the issuer instead of reading them. */
        json_decref(c->as_meta);
        c->as_meta = legacy_defaults(c->as_url);
        return c->as_meta != NULL && str_set(&c->issuer, c->as_url, err);
    }
    if (!discovery_as_urls(c->as_url, &urls, err)) {
        ac_err_prefix(err, "authorization server \"%s\"", c->as_url);
        return false;
    }
    ac_err_clear(&best);
    for (size_t i = 0; urls[i] != NULL; i++) {
        bool found;
        ac_err_clear(&one);
        if (try_as_url(c, urls[i], &found, &one)) {
            ok = true;
            goto out;
        }
        /* A document that was there but wrong beats a 404 as the reason;
         * it is never used (RFC 8414 §3.3), but the next URL is tried. */
        if (!have_best || (found && !best_found)) {
            best = one;
            best_found = found;
            have_best = true;
        }
        if (MUTATED("no-metadata-fallback")) {
            break;
        }
    }
    if (err != NULL) {
        *err = best;
    }
    ac_err_prefix(err, "no usable authorization server metadata for \"%s\"",
                  c->as_url);
out:
    strv_free(urls);
    return ok;
}

/* The PRM's authorization_servers when c->as_url is one of them (it is
 * the first after discovery_prm), else NULL: borrowed. */
static const json_t *listed_servers(const struct mcpo_client *c)
{
    const json_t *list = json_object_get(c->prm, "authorization_servers");
    const json_t *v;
    size_t i;

    json_array_foreach(list, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), c->as_url) == 0) {
            return list;
        }
    }
    return NULL;
}

/* RFC 9728 §2 lets the PRM list several authorization servers and leaves
 * the choice to the client (§7.6): c->as_url first, then each other one
 * in the PRM's order, until one has usable metadata (one that does not
 * answer, or answers with none or a wrong one, is passed over; nothing is
 * sent to it). c->as_url and c->issuer become the one used, so the
 * registration and tokens are bound to it. The first server's failure
 * is the reported reason when none works. */
bool discovery_as(struct mcpo_client *c, struct ac_err *err)
{
    const json_t *list;
    const json_t *v;
    struct ac_err first, next;
    char *tried = NULL;
    size_t i;
    bool ok = false;

    ac_err_clear(&first);
    if (discover_one(c, &first)) {
        return true;
    }
    list = listed_servers(c);
    if (list == NULL || json_array_size(list) < 2 ||
        MUTATED("no-as-fallback") || (tried = strdup(c->as_url)) == NULL) {
        goto out;
    }
    http_trace_note("authorization server %s is unusable (%s): trying the "
                    "next one the protected resource metadata lists",
                    tried, first.msg);
    json_array_foreach(list, i, v)
    {
        const char *as = json_string_value(v);
        if (as == NULL || strcmp(as, tried) == 0) {
            continue;
        }
        http_trace_note("trying authorization server %s", as);
        ac_err_clear(&next);
        if (!str_set(&c->as_url, as, err)) {
            goto out_nomem;
        }
        if (discover_one(c, &next)) {
            ok = true;
            goto out_nomem;
        }
    }
    /* None worked: stay with the first, as before the search. */
    if (!str_set(&c->as_url, tried, err)) {
        goto out_nomem;
    }
    ac_err_prefix(&first,
                  "none of the %zu authorization servers in the "
                  "protected resource metadata is usable; the first",
                  json_array_size(list));
out:
    if (err != NULL) {
        *err = first;
    }
out_nomem:
    free(tried);
    return ok;
}

/* --- MCP 2025-03-26 fallbacks -------------------------------------------- */

/* 2025-03-26 "Fallbacks for Servers without Metadata Discovery": the
 * default endpoints at the MCP server's origin. A new object. */
static json_t *legacy_defaults(const char *origin)
{
    char *a = NULL, *t = NULL, *r = NULL;
    json_t *m = NULL;
    if (asprintf(&a, "%s/authorize", origin) >= 0 &&
        asprintf(&t, "%s/token", origin) >= 0 &&
        asprintf(&r, "%s/register", origin) >= 0) {
        m = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:[s]}", "issuer", origin,
                      "authorization_endpoint", a, "token_endpoint", t,
                      "registration_endpoint", r, "response_types_supported",
                      "code", "code_challenge_methods_supported", "S256");
    }
    free(a);
    free(t);
    free(r);
    return m;
}

static bool legacy(struct mcpo_client *c, struct ac_err *err)
{
    char *origin = ac_url_origin(c->mcp_url);
    struct ac_err aerr;
    bool ok = false;

    if (origin == NULL || !str_set(&c->as_url, origin, err)) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        goto out;
    }
    http_trace_note("no protected resource metadata: 2025-03-26 fallback, "
                    "authorization server at %s",
                    origin);
    ac_err_clear(&aerr);
    if (discovery_as(c, &aerr)) {
        ok = true;
        goto out;
    }
    http_trace_note("no metadata at %s: default endpoints", origin);
    json_decref(c->as_meta);
    c->as_meta = legacy_defaults(origin);
    ok = c->as_meta != NULL && str_set(&c->issuer, origin, err);
out:
    free(origin);
    return ok;
}

bool discovery_prm_or_legacy(struct mcpo_client *c, struct ac_err *err)
{
    struct ac_err perr;
    ac_err_clear(&perr);
    if (MUTATED("skip-prm")) {
        return legacy(c, err);
    }
    if (discovery_prm(c, &perr)) {
        return discovery_as(c, err);
    }
    if (!c->prm_absent || MUTATED("no-legacy-discovery")) {
        if (err != NULL) {
            *err = perr;
        }
        return false;
    }
    return legacy(c, err);
}
