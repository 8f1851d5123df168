/* Resource indicator checks (RFC 8707, MCP authorization "Resource
 * Parameter Implementation"): every authorization and token request
 * names the canonical URI of the MCP server the client is working with. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/form.h"
#include "common/json.h"
#include "common/url.h"
#include "harness/checks_int.h"
#include "harness/transcript_query.h"

/* The MCP server (transcript `server`) of the last exchange before `idx`
 * at an MCP server (endpoint "mcp" or "prm"): the one the client was
 * working for. NULL when there is none. Borrowed from `tr`. */
static const char *mcp_server_before(const json_t *tr, size_t idx)
{
    for (size_t i = idx < tq_count(tr) ? idx : tq_count(tr); i-- > 0;) {
        const json_t *ex = tq_at(tr, i);
        if (tq_is(ex, "mcp", NULL) || tq_is(ex, "prm", NULL)) {
            return tq_server(ex);
        }
    }
    return NULL;
}

/* The canonical MCP server URI the client should send to MCP server
 * `server` (NULL: any): the `resource` of the Protected Resource Metadata
 * it received (RFC 9728 §3.3 requires it to be identical to the URL the
 * client used), else the canonical form of the MCP URL the client
 * requested. A new string, or NULL when neither exists; *from says
 * which. */
static char *expected_resource_of(const json_t *tr, const char *server,
                                  const char **from)
{
    char *res = NULL;

    for (size_t i = tq_next(tr, 0, "prm", NULL); i != TQ_NONE && res == NULL;
         i = tq_next(tr, i + 1, "prm", NULL)) {
        json_t *doc = NULL;
        const char *r;
        if (server != NULL && strcmp(tq_server(tq_at(tr, i)), server) != 0) {
            continue;
        }
        doc =
            tq_status(tq_at(tr, i)) == 200 ? tq_resp_json(tq_at(tr, i)) : NULL;
        r = ac_json_str(doc, "resource");
        if (r != NULL) {
            res = strdup(r);
            *from = "the PRM's resource";
        }
        json_decref(doc);
    }
    for (size_t m = tq_next(tr, 0, "mcp", NULL); m != TQ_NONE && res == NULL;
         m = tq_next(tr, m + 1, "mcp", NULL)) {
        const char *url = ac_json_str(tq_at(tr, m), "url");
        if (server != NULL && strcmp(tq_server(tq_at(tr, m)), server) != 0) {
            continue;
        }
        if (url != NULL) {
            res = ac_url_canonical_resource(url);
            *from = "the canonical MCP server URI";
        }
        break;
    }
    return res;
}

/* The expected resource for a request at `idx`: in a world with several
 * MCP servers (scenario mcp_servers_extra) that of the one the client last
 * talked to before it. */
static char *expected_resource_at(const json_t *tr, size_t idx,
                                  const char **from)
{
    return expected_resource_of(tr, mcp_server_before(tr, idx), from);
}

static bool resource_matches(const char *sent, const char *expected,
                             const char *from, char *why, size_t n)
{
    if (sent == NULL) {
        snprintf(why, n, "no resource parameter");
        return false;
    }
    if (expected != NULL && !ac_url_same_resource(sent, expected)) {
        snprintf(why, n, "resource was \"%.100s\", expected \"%.100s\" (%.40s)",
                 sent, expected, from);
        return false;
    }
    return true;
}

/* Resource indicators are an MCP requirement from 2025-06-18 on; a
 * 2025-03-26 world (every authorization server with resource_required
 * false) does not ask for them. True (and `out` SKIPPED) there. */
static bool resource_not_required(const struct hc_input *in,
                                  struct hc_result *out)
{
    const json_t *ases = json_object_get(in->scenario, "authorization_servers");
    const json_t *as;
    size_t i;

    json_array_foreach(ases, i, as)
    {
        if (!json_is_false(json_object_get(as, "resource_required"))) {
            return false;
        }
    }
    if (json_array_size(ases) == 0) {
        return false;
    }
    hc_verdict(out, HC_SKIPPED,
               "the resource parameter is not required in this world "
               "(2025-03-26: RFC 8707 joined MCP in 2025-06-18)");
    return true;
}

/* Does authorization request `i` carry the canonical MCP server URI? */
static bool resource_ok(const struct hc_input *in, size_t i,
                        const struct ac_form *q, char *why, size_t n)
{
    const char *from = "";
    char *exp = expected_resource_at(in->transcript, i, &from);
    bool ok = resource_matches(ac_form_get(q, "resource"), exp, from, why, n);

    free(exp);
    return ok;
}

void hc_check_resource_in_authorization(const struct hc_input *in,
                                        struct hc_result *out)
{
    if (resource_not_required(in, out)) {
        return;
    }
    hc_every_authz(in, out, resource_ok,
                   "carried resource equal to the canonical MCP server URI");
}

/* Every token request (any grant: RFC 8707 §2.2 covers refresh too, and the
 * MCP spec says "both authorization requests and token requests"). */
void hc_check_resource_in_token(const struct hc_input *in,
                                struct hc_result *out)
{
    const json_t *tr = in->transcript;
    const char *from = "";
    char *exp = NULL;
    size_t n = 0;
    char why[400];

    if (resource_not_required(in, out)) {
        return;
    }
    for (size_t i = tq_next(tr, 0, "token", "POST"); i != TQ_NONE;
         i = tq_next(tr, i + 1, "token", "POST")) {
        struct ac_form f;
        struct ac_err e = {0};
        bool ok;

        n++;
        free(exp);
        exp = expected_resource_at(tr, i, &from);
        hc_evidence(out, tr, i);
        if (!tq_body_form(tq_at(tr, i), &f, &e)) {
            ac_form_free(&f);
            hc_malformed(out, "the token request body", hc_seq_of(tr, i), &e);
            goto out;
        }
        ok = resource_matches(ac_form_get(&f, "resource"), exp, from, why,
                              sizeof why);
        if (!ok) {
            const char *g = ac_form_get(&f, "grant_type");
            hc_verdict(out, HC_FAILURE,
                       "token request (seq %zu, grant_type "
                       "%.40s): %s",
                       hc_seq_of(tr, i), g != NULL ? g : "absent", why);
        }
        ac_form_free(&f);
        if (!ok) {
            goto out;
        }
    }
    if (n == 0) {
        hc_missing(in, out, "token request");
    } else {
        hc_verdict(out, HC_SUCCESS,
                   "all %zu token request(s) carried resource equal to the "
                   "canonical MCP server URI",
                   n);
    }
out:
    free(exp);
}
