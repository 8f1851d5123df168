/* Scenario loading (scenario.h): strict parse with Jansson, a table-driven
 * schema walk that collects every violation with its JSON pointer, the
 * cross-member rules the table cannot say (unique ids, tool names, the
 * check registry), positions from the jsonpos index, then defaults.
 * The schema table is mocks/schema.c (shared with the mocks, which read
 * typed values through it); it and scenarios/SCHEMA.md change together. */
#include "harness/scenario.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "harness/checks.h"
#include "harness/jsonpos.h"
#include "mocks/rules.h"
#include "mocks/schema.h"

#ifndef AUTHCHECK_PREFIX
#define AUTHCHECK_PREFIX "/usr/local"
#endif

const char *const *const hs_spec_revisions = mo_schema_spec_revisions;
const size_t hs_nspec_revisions = MO_SCHEMA_NSPEC;
const char *const *const hs_suite_names = mo_schema_suite_names;
const char *const *const hs_feature_names = mo_schema_feature_names;

/* --- collecting violations ------------------------------------------------ */

#define MAX_VIOLATIONS 64

struct violation {
    char *ptr; /* where */
    bool key;  /* point at the member key rather than the value */
    bool weak; /* a missing key: reported only when nothing else is */
    char msg[200];
};

struct checker {
    struct violation v[MAX_VIOLATIONS];
    size_t n;     /* stored */
    size_t total; /* seen */
    bool nomem;
};

static void violate(struct checker *ck, const char *ptr, bool key,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void violate(struct checker *ck, const char *ptr, bool key,
                    const char *fmt, ...)
{
    va_list ap;
    struct violation *v;

    ck->total++;
    if (ck->n == MAX_VIOLATIONS) {
        return;
    }
    v = &ck->v[ck->n];
    v->ptr = strdup(ptr);
    if (v->ptr == NULL) {
        ck->nomem = true;
        return;
    }
    v->key = key;
    va_start(ap, fmt);
    vsnprintf(v->msg, sizeof(v->msg), fmt, ap);
    va_end(ap);
    ck->n++;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

static const char *kind_name(enum mo_schema_kind k)
{
    static const char *const names[] = {
        "string", "boolean", "integer", "object", "array", "object", "value"};
    return names[k];
}

static bool kind_matches(enum mo_schema_kind k, const json_t *v)
{
    switch (k) {
    case MO_T_STRING:
        return json_is_string(v);
    case MO_T_BOOL:
        return json_is_boolean(v);
    case MO_T_INT:
        return json_is_integer(v);
    case MO_T_OBJECT:
    case MO_T_ANY_OBJECT:
        return json_is_object(v);
    case MO_T_ARRAY:
        return json_is_array(v);
    default:
        return true;
    }
}

/* Where, for messages: "/mcp_server" or "the top level". */
static const char *where(const char *ptr)
{
    return ptr[0] ? ptr : "the top level";
}

static void enum_message(char *out, size_t n, const char *const *enums)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t k = 0; enums[k] && used < n; k++) {
        used += (size_t)snprintf(out + used, n - used, "%s\"%s\"",
                                 k ? ", " : "", enums[k]);
    }
}

static void check_value(struct checker *ck, const json_t *v,
                        const struct mo_schema_field *f, const char *ptr);

static void check_object(struct checker *ck, const json_t *obj,
                         const struct mo_schema_field *members, const char *ptr)
{
    const char *key;
    const json_t *val;

    json_object_foreach((json_t *)obj, key, val)
    {
        const struct mo_schema_field *f = members;
        char *child = hjp_pointer_join(ptr, key);
        while (f->key != NULL && strcmp(f->key, key) != 0) {
            f++;
        }
        if (child == NULL) {
            ck->nomem = true;
            return;
        }
        if (f->key == NULL) {
            violate(ck, child, true, "unknown key \"%s\" in %s", key,
                    where(ptr));
        } else {
            check_value(ck, val, f, child);
        }
        free(child);
    }
    for (const struct mo_schema_field *f = members; f->key != NULL; f++) {
        if (f->required && json_object_get(obj, f->key) == NULL) {
            size_t before = ck->n;
            violate(ck, ptr, false, "missing required key \"%s\" in %s", f->key,
                    where(ptr));
            if (ck->n > before) {
                ck->v[before].weak = true;
            }
        }
    }
}

static void check_array(struct checker *ck, const json_t *arr,
                        const struct mo_schema_field *f, const char *ptr)
{
    size_t n = json_array_size(arr);
    size_t i;
    const json_t *item;

    if (f->min > 0 && n < (size_t)f->min) {
        violate(ck, ptr, false, "%s: needs at least %lld item%s", ptr, f->min,
                f->min == 1 ? "" : "s");
    }
    if (f->max > 0 && n > (size_t)f->max) {
        violate(ck, ptr, false, "%s: allows at most %lld item%s", ptr, f->max,
                f->max == 1 ? "" : "s");
    }
    json_array_foreach(arr, i, item)
    {
        char *child = hjp_pointer_index(ptr, i);
        if (child == NULL) {
            ck->nomem = true;
            return;
        }
        check_value(ck, item, f->items, child);
        if (f->unique && json_is_string(item)) {
            for (size_t j = 0; j < i; j++) {
                if (json_equal(item, json_array_get(arr, j))) {
                    violate(ck, child, false, "%s: duplicate value \"%s\"",
                            child, json_string_value(item));
                    break;
                }
            }
        }
        free(child);
    }
}

static void check_value(struct checker *ck, const json_t *v,
                        const struct mo_schema_field *f, const char *ptr)
{
    if (!kind_matches(f->kind, v)) {
        violate(ck, ptr, false, "%s: expected %s, got %s", where(ptr),
                kind_name(f->kind), type_name(v));
        return;
    }
    if (f->kind == MO_T_STRING && f->enums != NULL) {
        const char *s = json_string_value(v);
        size_t k = 0;
        while (f->enums[k] && strcmp(f->enums[k], s) != 0) {
            k++;
        }
        if (f->enums[k] == NULL) {
            char list[160];
            enum_message(list, sizeof(list), f->enums);
            violate(ck, ptr, false, "%s: \"%s\" is not one of %s", ptr, s,
                    list);
        }
    } else if (f->kind == MO_T_INT) {
        json_int_t i = json_integer_value(v);
        if (i < f->min || i > f->max) {
            violate(ck, ptr, false, "%s: %lld is out of range %lld..%lld", ptr,
                    (long long)i, f->min, f->max);
        }
    } else if (f->kind == MO_T_OBJECT) {
        check_object(ck, v, f->members, ptr);
    } else if (f->kind == MO_T_ARRAY) {
        check_array(ck, v, f, ptr);
    }
}

/* --- rules the table cannot express --------------------------------------- */

/* Ids are paths of [a-z0-9][a-z0-9._-]* segments: they name files and
 * output directories, so no empty, "." or ".." segments. */
static bool id_ok(const char *id)
{
    bool seg_start = true;

    if (*id == '\0') {
        return false;
    }
    for (const char *p = id; *p; p++) {
        char c = *p;
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (c == '/') {
            if (seg_start) {
                return false;
            }
            seg_start = true;
            continue;
        }
        if (seg_start ? !alnum : !(alnum || c == '.' || c == '_' || c == '-')) {
            return false;
        }
        seg_start = false;
    }
    return !seg_start;
}

static void check_ids(struct checker *ck, const json_t *doc,
                      const char *expect_id)
{
    const char *id = json_string_value(json_object_get(doc, "id"));

    if (id == NULL) {
        return;
    }
    if (!id_ok(id)) {
        violate(ck, "/id", false,
                "/id: \"%s\" is not a scenario id (lower-case letters, "
                "digits, '.', '_', '-', segments separated by '/')",
                id);
    } else if (expect_id != NULL && strcmp(id, expect_id) != 0) {
        violate(ck, "/id", false,
                "/id: \"%s\" must equal the file's path under the "
                "scenario directory, \"%s\"",
                id, expect_id);
    }
}

static void check_servers(struct checker *ck, const json_t *doc)
{
    const json_t *ases = json_object_get(doc, "authorization_servers");
    const json_t *as;
    size_t i;
    char ptr[96];

    json_array_foreach(ases, i, as)
    {
        const char *id = json_string_value(json_object_get(as, "id"));
        const char *ip = json_string_value(json_object_get(as, "issuer_path"));
        /* A certificate only exists on an HTTPS server: without "tls" the
         * key would be silently ignored and the scenario test nothing. */
        if (json_object_get(as, "tls_certificate") != NULL &&
            !json_is_true(json_object_get(doc, "tls"))) {
            snprintf(ptr, sizeof(ptr),
                     "/authorization_servers/%zu/tls_certificate", i);
            violate(ck, ptr, false,
                    "%s: needs \"tls\": true (the mocks serve plain http "
                    "without it)",
                    ptr);
        }
        if (id != NULL) {
            snprintf(ptr, sizeof(ptr), "/authorization_servers/%zu/id", i);
            if (!id_ok(id) || strchr(id, '/') != NULL) {
                violate(ck, ptr, false,
                        "%s: \"%s\" is not an id (lower-case letters, "
                        "digits, '.', '_', '-')",
                        ptr, id);
            }
            for (size_t j = 0; j < i; j++) {
                const char *o = json_string_value(
                    json_object_get(json_array_get(ases, j), "id"));
                if (o != NULL && strcmp(o, id) == 0) {
                    violate(ck, ptr, false,
                            "%s: authorization server id \"%s\" is already "
                            "used by /authorization_servers/%zu",
                            ptr, id, j);
                    break;
                }
            }
        }
        if (ip != NULL && ip[0] != '\0' &&
            (ip[0] != '/' || ip[strlen(ip) - 1] == '/' ||
             strpbrk(ip, "?#") != NULL)) {
            snprintf(ptr, sizeof(ptr), "/authorization_servers/%zu/issuer_path",
                     i);
            violate(ck, ptr, false,
                    "%s: must be \"\" or a path starting with '/', without "
                    "a trailing '/', query or fragment",
                    ptr);
        }
    }
}

/* RFC 9110 §5.6.2 token (the x-mcp-header constraints). */
static bool http_token(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
              (ch >= 'A' && ch <= 'Z') ||
              strchr("!#$%&'*+-.^_`|~", ch) != NULL)) {
            return false;
        }
    }
    return true;
}

/* A tool's header_params: {argument: x-mcp-header name}, names HTTP
 * tokens unique case-insensitively within the tool (2026-07-28
 * transports §schema extension), on a server speaking that wire. */
static void check_header_params(struct checker *ck, const json_t *tool,
                                size_t i, const char *wire)
{
    const json_t *hp = json_object_get(tool, "header_params");
    const char *arg;
    const json_t *h;
    char ptr[96];

    snprintf(ptr, sizeof(ptr), "/mcp_server/tools/%zu/header_params", i);
    /* wire absent: the default, "2025-11-25". */
    if (hp != NULL && (wire == NULL || (strcmp(wire, "2026-07-28") != 0 &&
                                        strcmp(wire, "both") != 0))) {
        violate(ck, ptr, false,
                "%s: needs /mcp_server/wire \"2026-07-28\" or \"both\" "
                "(Mcp-Param headers belong to the 2026-07-28 wire)",
                ptr);
    }
    json_object_foreach((json_t *)hp, arg, h)
    {
        const char *name = json_string_value(h);
        bool dup = false;
        const char *other;
        const json_t *oh;

        json_object_foreach((json_t *)hp, other, oh)
        {
            if (strcmp(other, arg) == 0) {
                break;
            }
            dup = dup || (name != NULL && json_is_string(oh) &&
                          strcasecmp(json_string_value(oh), name) == 0);
        }
        if (*arg == '\0' || name == NULL || !http_token(name) || dup) {
            violate(ck, ptr, false,
                    "%s: \"%s\" must map to a header name that is an HTTP "
                    "token, unique case-insensitively within the tool",
                    ptr, arg);
        }
    }
}

static void check_mcp(struct checker *ck, const json_t *doc)
{
    const json_t *mcp = json_object_get(doc, "mcp_server");
    const char *path = json_string_value(json_object_get(mcp, "path"));
    const json_t *tools = json_object_get(mcp, "tools");
    const json_t *tool;
    size_t i;
    char ptr[64];

    const char *prm = json_string_value(json_object_get(mcp, "prm"));
    const char *prm_path = json_string_value(json_object_get(mcp, "prm_path"));
    const json_t *rm =
        json_object_get(json_object_get(mcp, "challenge"), "resource_metadata");

    if (prm_path != NULL &&
        (prm == NULL || strcmp(prm, "custom") != 0 || prm_path[0] != '/' ||
         strpbrk(prm_path, "?# ") != NULL)) {
        violate(ck, "/mcp_server/prm_path", false,
                "/mcp_server/prm_path: only with \"prm\": \"custom\", a path "
                "starting with '/' without query or fragment");
    }
    if (prm != NULL && strcmp(prm, "custom") == 0 &&
        (prm_path == NULL || json_is_false(rm))) {
        violate(ck, "/mcp_server/prm", false,
                "/mcp_server/prm: \"custom\" needs prm_path and "
                "challenge.resource_metadata (the only way to find it)");
    }
    if (path != NULL && (path[0] != '/' || strpbrk(path, "?# ") != NULL)) {
        violate(ck, "/mcp_server/path", false,
                "/mcp_server/path: \"%s\" must start with '/' and have no "
                "query or fragment",
                path);
    }
    json_array_foreach(tools, i, tool)
    {
        const char *name = json_string_value(json_object_get(tool, "name"));
        check_header_params(ck, tool, i,
                            json_string_value(json_object_get(mcp, "wire")));
        for (size_t j = 0; name != NULL && j < i; j++) {
            const char *o = json_string_value(
                json_object_get(json_array_get(tools, j), "name"));
            if (o != NULL && strcmp(o, name) == 0) {
                snprintf(ptr, sizeof(ptr), "/mcp_server/tools/%zu/name", i);
                violate(ck, ptr, false, "%s: duplicate tool name \"%s\"", ptr,
                        name);
                break;
            }
        }
    }
}

/* Is `id` the name of an MCP server: "mcp" or an extra's (the first
 * `upto` of them)? */
static bool mcp_id_known(const json_t *doc, const char *id, size_t upto)
{
    const json_t *extra = json_object_get(doc, "mcp_servers_extra");

    if (strcmp(id, "mcp") == 0) {
        return true;
    }
    for (size_t j = 0; j < upto && j < json_array_size(extra); j++) {
        const char *o =
            json_string_value(json_object_get(json_array_get(extra, j), "id"));
        if (o != NULL && strcmp(o, id) == 0) {
            return true;
        }
    }
    return false;
}

static bool as_id_used(const json_t *doc, const char *id)
{
    const json_t *ases = json_object_get(doc, "authorization_servers");
    const json_t *as;
    size_t i;

    json_array_foreach(ases, i, as)
    {
        const char *o = json_string_value(json_object_get(as, "id"));
        if (o != NULL && strcmp(o, id) == 0) {
            return true;
        }
    }
    return false;
}

/* mcp_servers_extra: ids name servers in the transcript, so they are
 * unique among every server of the world; paths as mcp_server.path. */
static void check_extra_mcps(struct checker *ck, const json_t *doc)
{
    const json_t *extra = json_object_get(doc, "mcp_servers_extra");
    const json_t *e;
    size_t i;
    char ptr[64];

    json_array_foreach(extra, i, e)
    {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *path = json_string_value(json_object_get(e, "path"));
        snprintf(ptr, sizeof(ptr), "/mcp_servers_extra/%zu/id", i);
        if (id != NULL && (!id_ok(id) || strchr(id, '/') != NULL)) {
            violate(ck, ptr, false,
                    "%s: \"%s\" is not an id (lower-case letters, digits, "
                    "'.', '_', '-')",
                    ptr, id);
        } else if (id != NULL &&
                   (mcp_id_known(doc, id, i) || as_id_used(doc, id) ||
                    strcmp(id, "cimd") == 0 || strcmp(id, "control") == 0 ||
                    strcmp(id, "browser") == 0)) {
            violate(ck, ptr, false,
                    "%s: server id \"%s\" is already used in this world", ptr,
                    id);
        }
        snprintf(ptr, sizeof(ptr), "/mcp_servers_extra/%zu/path", i);
        if (path != NULL && (path[0] != '/' || strpbrk(path, "?# ") != NULL)) {
            violate(ck, ptr, false,
                    "%s: \"%s\" must start with '/' and have no query or "
                    "fragment",
                    ptr, path);
        }
    }
}

/* client.urls: one MCP server id per run. */
static void check_client_urls(struct checker *ck, const json_t *doc)
{
    const json_t *client = json_object_get(doc, "client");
    const json_t *urls = json_object_get(client, "urls");
    const json_t *runs = json_object_get(client, "runs");
    size_t nruns = json_is_integer(runs) ? (size_t)json_integer_value(runs) : 1;
    const json_t *u;
    size_t i;
    char ptr[48];

    if (urls == NULL) {
        return;
    }
    if (json_array_size(urls) != nruns) {
        violate(ck, "/client/urls", false,
                "/client/urls: %zu item(s), but /client/runs is %zu (one "
                "MCP server per run)",
                json_array_size(urls), nruns);
    }
    json_array_foreach(urls, i, u)
    {
        const char *id = json_string_value(u);
        if (id != NULL && !mcp_id_known(doc, id, SIZE_MAX)) {
            snprintf(ptr, sizeof(ptr), "/client/urls/%zu", i);
            violate(ck, ptr, false,
                    "%s: \"%s\" is not \"mcp\" or an id of "
                    "/mcp_servers_extra",
                    ptr, id);
        }
    }
}

static bool is_legacy(const json_t *doc)
{
    const char *p = json_string_value(json_object_get(doc, "profile"));

    return p != NULL && strcmp(p, MO_SCHEMA_LEGACY_PROFILE) == 0;
}

/* What the legacy-2025-03-26 profile sets (docs/MOCKS.md "Profiles") must
 * not be contradicted by the scenario: the mocks would silently override
 * it. `member` of the first AS, explicitly `bad`. */
static void check_legacy_as(struct checker *ck, const json_t *as0,
                            const char *member, bool bad, const char *why)
{
    const json_t *v = json_object_get(as0, member);
    char ptr[80];

    if (v != NULL && json_is_boolean(v) && json_is_true(v) == bad) {
        snprintf(ptr, sizeof(ptr), "/authorization_servers/0/%s", member);
        violate(ck, ptr, false, "%s: the %s profile %s", ptr,
                MO_SCHEMA_LEGACY_PROFILE, why);
    }
}

/* The legacy-2025-03-26 profile: the first AS on the MCP origin without a
 * required resource, an empty issuer path there (2025-03-26 discards the
 * MCP URL's path) and no PRM. */
static void check_legacy_profile(struct checker *ck, const json_t *doc)
{
    const json_t *as0 =
        json_array_get(json_object_get(doc, "authorization_servers"), 0);
    const char *ip = json_string_value(json_object_get(as0, "issuer_path"));
    const char *prm = json_string_value(
        json_object_get(json_object_get(doc, "mcp_server"), "prm"));

    check_legacy_as(ck, as0, "on_mcp_origin", false,
                    "puts the first authorization server on the MCP "
                    "server's origin");
    check_legacy_as(ck, as0, "resource_required", true,
                    "does not require `resource` (2025-03-26 predates "
                    "RFC 8707 in MCP)");
    if (ip != NULL && ip[0] != '\0') {
        violate(ck, "/authorization_servers/0/issuer_path", false,
                "/authorization_servers/0/issuer_path: must be \"\" "
                "with the %s profile (2025-03-26: the authorization "
                "base URL is the MCP server's origin, path discarded)",
                MO_SCHEMA_LEGACY_PROFILE);
    }
    if (prm != NULL && strcmp(prm, "none") != 0) {
        violate(ck, "/mcp_server/prm", false,
                "/mcp_server/prm: \"%s\": the %s profile has no "
                "Protected Resource Metadata (\"none\")",
                prm, MO_SCHEMA_LEGACY_PROFILE);
    }
}

/* The 2025-03-26 topology: at most one AS on the MCP server's origin (the
 * legacy profile's first one counts), and no PRM URL in challenges when
 * there is no PRM. */
static void check_legacy(struct checker *ck, const json_t *doc)
{
    const json_t *ases = json_object_get(doc, "authorization_servers");
    const json_t *mcp = json_object_get(doc, "mcp_server");
    const char *prm = json_string_value(json_object_get(mcp, "prm"));
    const json_t *as;
    bool legacy = is_legacy(doc);
    long first = legacy ? 0 : -1; /* the AS on the MCP origin */
    size_t i;
    char ptr[80];

    if (legacy) {
        check_legacy_profile(ck, doc);
        prm = "none";
    }
    json_array_foreach(ases, i, as)
    {
        if (!json_is_true(json_object_get(as, "on_mcp_origin")) ||
            (long)i == first) {
            continue;
        }
        snprintf(ptr, sizeof(ptr), "/authorization_servers/%zu/on_mcp_origin",
                 i);
        if (first >= 0) {
            violate(ck, ptr, false,
                    "%s: only one authorization server can be on the MCP "
                    "server's origin; /authorization_servers/%ld is%s",
                    ptr, first, legacy ? " (legacy-2025-03-26 profile)" : "");
        } else {
            first = (long)i;
        }
    }
    if (prm != NULL && strcmp(prm, "none") == 0 &&
        json_is_true(json_object_get(json_object_get(mcp, "challenge"),
                                     "resource_metadata"))) {
        violate(ck, "/mcp_server/challenge/resource_metadata", false,
                "/mcp_server/challenge/resource_metadata: there is no "
                "Protected Resource Metadata to name (prm \"none\"%s)",
                legacy ? ", legacy-2025-03-26 profile" : "");
    }
}

static bool has_tool(const json_t *doc, const char *name)
{
    const json_t *tools =
        json_object_get(json_object_get(doc, "mcp_server"), "tools");
    const json_t *tool;
    size_t i;

    json_array_foreach(tools, i, tool)
    {
        const char *n = json_string_value(json_object_get(tool, "name"));
        if (n != NULL && strcmp(n, name) == 0) {
            return true;
        }
    }
    return false;
}

static void rule_violation(void *ctx, const char *ptr, bool key,
                           const char *msg)
{
    violate(ctx, ptr, key, "%s", msg);
}

static void check_client_rules_checks(struct checker *ck, const json_t *doc)
{
    const json_t *client = json_object_get(doc, "client");
    const char *tool = json_string_value(json_object_get(client, "tool"));
    const json_t *rules = json_object_get(doc, "rules");
    const json_t *checks = json_object_get(doc, "checks");
    const json_t *c;
    size_t i;
    char ptr[48];

    if (tool != NULL && json_is_object(json_object_get(doc, "mcp_server")) &&
        !has_tool(doc, tool)) {
        violate(ck, "/client/tool", false,
                "/client/tool: \"%s\" is not one of /mcp_server/tools", tool);
    }
    /* The rules' shape is defined once, by the mocks' engine. */
    mo_rules_check(rules, doc, rule_violation, ck);
    json_array_foreach(checks, i, c)
    {
        const char *id = json_string_value(c);
        if (id != NULL && hc_find(id) == NULL) {
            snprintf(ptr, sizeof(ptr), "/checks/%zu", i);
            violate(ck, ptr, false,
                    "%s: unknown check id \"%s\" (see authcheck list "
                    "--checks)",
                    ptr, id);
        }
    }
}

/* --- defaults ------------------------------------------------------------- */

static bool fill_defaults(json_t *obj, const struct mo_schema_field *members)
{
    for (const struct mo_schema_field *f = members; f->key != NULL; f++) {
        json_t *v = json_object_get(obj, f->key);
        if (v == NULL && f->def != NULL) {
            v = json_loads(f->def, JSON_DECODE_ANY, NULL);
            if (v == NULL || json_object_set_new(obj, f->key, v) != 0) {
                return false;
            }
        }
        if (v == NULL) {
            continue;
        }
        if (f->kind == MO_T_OBJECT && !fill_defaults(v, f->members)) {
            return false;
        }
        if (f->kind == MO_T_ARRAY && f->items->kind == MO_T_OBJECT) {
            size_t i;
            json_t *item;
            json_array_foreach(v, i, item)
            {
                if (!fill_defaults(item, f->items->members)) {
                    return false;
                }
            }
        }
    }
    return true;
}

/* Set `key` of `obj` to the JSON text `value` when absent. */
static bool set_default(json_t *obj, const char *key, const char *value)
{
    json_t *v;

    if (json_object_get(obj, key) != NULL) {
        return true;
    }
    v = json_loads(value, JSON_DECODE_ANY, NULL);
    return v != NULL && json_object_set_new(obj, key, v) == 0;
}

/* Defaults that depend on other members, filled before the table's so the
 * loaded scenario says what the mocks do (docs/MOCKS.md "Profiles"): the
 * legacy-2025-03-26 profile's first AS is on the MCP origin without a
 * required `resource`, and its MCP server has no PRM; without a PRM the
 * challenge names none. */
static bool fill_profile_defaults(json_t *doc)
{
    json_t *mcp = json_object_get(doc, "mcp_server");
    json_t *as0 =
        json_array_get(json_object_get(doc, "authorization_servers"), 0);
    const char *prm;

    if (is_legacy(doc) && (!set_default(as0, "on_mcp_origin", "true") ||
                           !set_default(as0, "resource_required", "false") ||
                           !set_default(mcp, "prm", "\"none\""))) {
        return false;
    }
    prm = json_string_value(json_object_get(mcp, "prm"));
    if (prm != NULL && strcmp(prm, "none") == 0) {
        if (!set_default(mcp, "challenge", "{}") ||
            !set_default(json_object_get(mcp, "challenge"), "resource_metadata",
                         "false")) {
            return false;
        }
    }
    return true;
}

/* client.tool defaults to the first tool of the MCP server. */
static bool fill_tool(json_t *doc)
{
    json_t *client = json_object_get(doc, "client");
    json_t *first = json_array_get(
        json_object_get(json_object_get(doc, "mcp_server"), "tools"), 0);

    if (json_object_get(client, "tool") != NULL || first == NULL) {
        return true;
    }
    return json_object_set(client, "tool", json_object_get(first, "name")) == 0;
}

/* The default world's blocks for the top-level members left out
 * (MO_SCHEMA_DEFAULT_AS, MO_SCHEMA_DEFAULT_MCP); false when out of memory. */
static bool fill_world_defaults(json_t *doc)
{
    static const char *const blocks[] = {"authorization_servers", "mcp_server",
                                         NULL};

    for (size_t k = 0; blocks[k] != NULL; k++) {
        const struct mo_schema_field *f = mo_schema_top;
        while (strcmp(f->key, blocks[k]) != 0) {
            f++;
        }
        if (!set_default(doc, f->key, f->def)) {
            return false;
        }
    }
    return true;
}

/* --- loading -------------------------------------------------------------- */

static int pos_cmp(struct hjp_pos a, struct hjp_pos b)
{
    if (a.line != b.line) {
        return a.line < b.line ? -1 : 1;
    }
    return a.col < b.col ? -1 : (a.col > b.col);
}

/* Report the first violation in document order, with a count of others.
 * A missing key points at the start of its object, before everything in
 * it; a misspelt key ("titel") is both unknown and missing, and the
 * unknown key is the useful message, so missing keys come last. */
static void report(struct checker *ck, const struct hjp_index *ix,
                   const char *name, struct ac_err *err)
{
    size_t best = 0;
    struct hjp_pos bp = hjp_locate(ix, ck->v[0].ptr, ck->v[0].key);

    for (size_t k = 1; k < ck->n; k++) {
        struct hjp_pos p = hjp_locate(ix, ck->v[k].ptr, ck->v[k].key);
        bool stronger = ck->v[best].weak && !ck->v[k].weak;
        bool same = ck->v[best].weak == ck->v[k].weak;
        if (stronger || (same && pos_cmp(p, bp) < 0)) {
            bp = p;
            best = k;
        }
    }
    if (ck->total > 1) {
        AC_ERR(err, AC_ERR_INVALID, "%s:%d:%d: %s (and %zu more)", name,
               bp.line, bp.col, ck->v[best].msg, ck->total - 1);
    } else {
        AC_ERR(err, AC_ERR_INVALID, "%s:%d:%d: %s", name, bp.line, bp.col,
               ck->v[best].msg);
    }
}

static void parse_error(const char *text, size_t len, const char *name,
                        const json_error_t *jerr, struct ac_err *err)
{
    struct hjp_index *ix = NULL;
    const char *dup;
    struct hjp_pos pos;

    /* Jansson places a duplicate key after the key; our index knows where
     * the key starts. */
    if (hjp_build(text, len, &ix, NULL) &&
        hjp_first_duplicate(ix, &dup, &pos)) {
        const char *slash = strrchr(dup, '/');
        char *parent = strndup(dup, (size_t)(slash - dup));
        AC_ERR(err, AC_ERR_INVALID, "%s:%d:%d: duplicate key \"%s\" in %s",
               name, pos.line, pos.col, slash + 1,
               parent != NULL ? where(parent) : "an object");
        free(parent);
    } else {
        /* Jansson counts a column only once a character has decoded, so an
         * invalid UTF-8 byte first on a line comes back as column 0 (and it
         * uses -1 when it has no position); our positions are 1-based. */
        AC_ERR(err, AC_ERR_INVALID, "%s:%d:%d: %s", name,
               jerr->line > 0 ? jerr->line : 1,
               jerr->column > 0 ? jerr->column : 1, jerr->text);
    }
    hjp_free(ix);
}

static void newest_spec(struct hs_scenario *s)
{
    const json_t *spec = json_object_get(s->doc, "spec");
    const json_t *v;
    size_t i;

    json_array_foreach(spec, i, v)
    {
        const char *r = json_string_value(v);
        /* Revisions are ISO dates: byte order is time order. */
        if (s->newest_spec == NULL || strcmp(r, s->newest_spec) > 0) {
            s->newest_spec = r;
        }
    }
}

static bool finish(struct hs_scenario *s, const char *name)
{
    const json_t *client = json_object_get(s->doc, "client");
    const char *slash;

    s->path = strdup(name);
    s->id = json_string_value(json_object_get(s->doc, "id"));
    s->title = json_string_value(json_object_get(s->doc, "title"));
    slash = strchr(s->id, '/');
    s->family = slash ? strndup(s->id, (size_t)(slash - s->id)) : strdup("");
    s->runs = (int)json_integer_value(json_object_get(client, "runs"));
    s->timeout_ms =
        (long)json_integer_value(json_object_get(client, "timeout_ms"));
    newest_spec(s);
    return s->path != NULL && s->family != NULL;
}

/* Validate `doc` against the schema table, then, when its shape is
 * right, the cross-member rules; violations are collected in `ck`. */
static void check_document(struct checker *ck, json_t *doc,
                           const char *expect_id)
{
    check_value(ck, doc, &mo_schema_scenario, "");
    if (ck->n != 0 || ck->total != 0 || !json_is_object(doc)) {
        return;
    }
    /* The default world's blocks first: the cross-member rules (rule
     * server ids, client.tool, the legacy profile) see what runs. */
    if (!fill_world_defaults(doc)) {
        ck->nomem = true;
    }
    check_ids(ck, doc, expect_id);
    check_servers(ck, doc);
    check_mcp(ck, doc);
    check_extra_mcps(ck, doc);
    check_client_urls(ck, doc);
    check_legacy(ck, doc);
    check_client_rules_checks(ck, doc);
}

bool hs_parse(const char *text, size_t len, const char *name,
              const char *expect_id, struct hs_scenario **out,
              struct ac_err *err)
{
    struct checker ck = {0};
    struct hjp_index *ix = NULL;
    struct hs_scenario *s = NULL;
    json_error_t jerr;
    json_t *doc = NULL;
    bool ok = false;

    *out = NULL;
    if (len > HS_MAX_FILE) {
        AC_ERR(err, AC_ERR_TOOBIG, "%s: larger than %u bytes", name,
               HS_MAX_FILE);
        goto out;
    }
    doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        parse_error(text, len, name, &jerr, err);
        goto out;
    }
    if (!hjp_build(text, len, &ix, err)) {
        ac_err_prefix(err, "%s", name);
        goto out;
    }
    check_document(&ck, doc, expect_id);
    if (ck.nomem) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory validating %s", name);
        goto out;
    }
    if (ck.total > 0) {
        report(&ck, ix, name, err);
        goto out;
    }
    s = calloc(1, sizeof(*s));
    if (s == NULL || !fill_profile_defaults(doc) ||
        !fill_defaults(doc, mo_schema_top) || !fill_tool(doc)) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory loading %s", name);
        goto out;
    }
    s->doc = doc;
    doc = NULL;
    if (!finish(s, name)) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory loading %s", name);
        goto out;
    }
    *out = s;
    s = NULL;
    ok = true;
out:
    for (size_t k = 0; k < ck.n; k++) {
        free(ck.v[k].ptr);
    }
    hs_free(s);
    hjp_free(ix);
    json_decref(doc);
    return ok;
}

static char *read_file(const char *path, size_t *len, struct ac_err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n;

    if (f == NULL) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", path, strerror(errno));
        return NULL;
    }
    buf = malloc(HS_MAX_FILE + 1);
    if (buf == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory reading %s", path);
        fclose(f);
        return NULL;
    }
    n = fread(buf, 1, HS_MAX_FILE + 1, f);
    if (ferror(f) || n > HS_MAX_FILE) {
        AC_ERR(err, ferror(f) ? AC_ERR_IO : AC_ERR_TOOBIG, "%s: %s", path,
               ferror(f) ? "read error" : "file too large");
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

bool hs_load(const char *dir, const char *rel, struct hs_scenario **out,
             struct ac_err *err)
{
    size_t rl = strlen(rel);
    char *path = NULL, *id = NULL, *text = NULL;
    size_t len = 0;
    bool ok = false;

    *out = NULL;
    if (rl <= 5 || strcmp(rel + rl - 5, ".json") != 0) {
        AC_ERR(err, AC_ERR_INVALID, "%s: not a .json file", rel);
        goto out;
    }
    if (asprintf(&path, "%s/%s", dir, rel) < 0) {
        path = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    id = strndup(rel, rl - 5);
    text = read_file(path, &len, err);
    if (id == NULL || text == NULL) {
        goto out;
    }
    ok = hs_parse(text, len, path, id, out, err);
out:
    free(text);
    free(id);
    free(path);
    return ok;
}

void hs_free(struct hs_scenario *s)
{
    if (s == NULL) {
        return;
    }
    json_decref(s->doc);
    free(s->path);
    free(s->family);
    free(s);
}

/* --- discovery ------------------------------------------------------------ */

struct list {
    char **v;
    size_t n, cap;
};

static bool list_add(struct list *l, char *s)
{
    if (s == NULL) {
        return false;
    }
    if (l->n + 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            free(s);
            return false;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
    return true;
}

static bool walk(const char *root, const char *rel, int depth, struct list *l,
                 struct ac_err *err)
{
    char *dirpath = NULL;
    DIR *d = NULL;
    struct dirent *e;
    bool ok = false;

    if (depth > 16) {
        AC_ERR(err, AC_ERR_INVALID, "%s/%s: nested too deep", root, rel);
        return false;
    }
    if (asprintf(&dirpath, "%s%s%s", root, rel[0] ? "/" : "", rel) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    d = opendir(dirpath);
    if (d == NULL) {
        AC_ERR(err, AC_ERR_IO, "%s: %s", dirpath, strerror(errno));
        goto out;
    }
    while ((e = readdir(d)) != NULL) {
        char *child = NULL, *full = NULL;
        struct stat st;
        size_t nl = strlen(e->d_name);
        bool fine = true, is_dir = e->d_type == DT_DIR;
        if (e->d_name[0] == '.') {
            continue;
        }
        if (asprintf(&child, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) < 0) {
            AC_ERR(err, AC_ERR_NOMEM, "out of memory");
            goto out;
        }
        /* The directory entry's type saves a stat per file; a symbolic
         * link (followed, as before) or a file system that does not fill
         * the type in still gets one. */
        if (e->d_type == DT_LNK || e->d_type == DT_UNKNOWN) {
            if (asprintf(&full, "%s/%s", dirpath, e->d_name) < 0) {
                AC_ERR(err, AC_ERR_NOMEM, "out of memory");
                free(child);
                goto out;
            }
            is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (is_dir) {
            fine = walk(root, child, depth + 1, l, err);
        } else if (nl > 5 && strcmp(e->d_name + nl - 5, ".json") == 0) {
            fine = list_add(l, child);
            child = NULL;
            if (!fine) {
                AC_ERR(err, AC_ERR_NOMEM, "out of memory");
            }
        }
        free(child);
        free(full);
        if (!fine) {
            goto out;
        }
    }
    ok = true;
out:
    if (d != NULL) {
        closedir(d);
    }
    free(dirpath);
    return ok;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool hs_discover(const char *dir, char ***out, size_t *n, struct ac_err *err)
{
    struct list l = {0};

    *out = NULL;
    *n = 0;
    if (!walk(dir, "", 0, &l, err)) {
        if (l.v != NULL) {
            hs_list_free(l.v);
        }
        return false;
    }
    if (l.v == NULL && (l.v = calloc(1, sizeof(*l.v))) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    qsort(l.v, l.n, sizeof(*l.v), str_cmp);
    *out = l.v;
    *n = l.n;
    return true;
}

void hs_list_free(char **list)
{
    if (list == NULL) {
        return;
    }
    for (char **p = list; *p; p++) {
        free(*p);
    }
    free(list);
}

static bool is_dir(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *hs_scenario_dir(const char *opt, const char *exe_dir)
{
    const char *env = getenv("AUTHCHECK_SCENARIOS");
    char *p = NULL;

    if (opt != NULL) {
        return strdup(opt);
    }
    if (env != NULL && env[0] != '\0') {
        return strdup(env);
    }
    if (exe_dir != NULL && asprintf(&p, "%s/../scenarios", exe_dir) >= 0) {
        if (is_dir(p)) {
            return p;
        }
        free(p);
    }
    /* An installed tree found from the binary's own place, so an install
     * moved to another prefix (or built with a different PREFIX) works. */
    if (exe_dir != NULL &&
        asprintf(&p, "%s/../share/authcheck/scenarios", exe_dir) >= 0) {
        if (is_dir(p)) {
            return p;
        }
        free(p);
    }
    if (is_dir("scenarios")) {
        return strdup("scenarios");
    }
    return strdup(AUTHCHECK_PREFIX "/share/authcheck/scenarios");
}
