/* The order of things and the recoveries: an MCP request, a 401,
 * discovery, registration, authorization and the retried request; the
 * restored state of a restart; refresh on expiry and on rejection; a new
 * authorization when the grant died, a new registration when the client
 * did (stale client, once); scope step-up on 403 insufficient_scope with
 * the union of scopes, at most MAX_STEPUPS times per request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/lib/authorize_int.h"
#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "client/lib/store_int.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/scope.h"

#define MAX_STEPUPS 3
#define MUTANT_STEPUPS 10 /* no-retry-limit: bounded so a test ends */

/* What one operation already tried after a 401. */
struct recovery {
    bool refreshed;
    bool logged_in;
    bool relogged; /* a second login after the fresh grant died */
    bool rediscovered;
    bool resent; /* resend-rejected-token mutation */
};

/* Restore the stored state once per client, then refresh proactively. */
static bool prepare(struct mcpo_client *c, struct ac_err *err)
{
    if (!c->restore_tried) {
        bool found;
        c->restore_tried = true;
        if (!persist_restore(c, &found, err)) {
            return false;
        }
    }
    return refresh_if_expiring(c, err);
}

/* Remember the server's wire in the token store (2026-07-28 versioning:
 * MAY persist the era across restarts). A failure to save is not one of
 * the request. */
static bool persist_wire(struct mcpo_client *c)
{
    if (!c->era_saved && c->access_token != NULL) {
        c->era_saved = true;
        persist_save(c, NULL);
    }
    return true;
}

bool flow_check(struct mcpo_client *c, bool *required, struct ac_err *err)
{
    enum mcp_status st;
    *required = false;
    if (!mcp_open(c, &st, err)) {
        return false;
    }
    *required = st == MCP_UNAUTHORIZED;
    return true;
}

/* RFC 6749 §4.4 with the MCP scope selection (step-up union, --scope,
 * challenge, PRM), as the authorization code grant would ask. */
static bool client_credentials(struct mcpo_client *c, struct ac_err *err)
{
    bool nomem;
    char *scope = authz_base_scope(c, &nomem);
    bool ok = !nomem && token_client_credentials(c, scope, err);
    if (nomem) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
    }
    free(scope);
    return ok;
}

/* Register (when needed) and authorize; a client the AS no longer knows
 * (invalid_client at the token endpoint, or an error page at the
 * authorization endpoint) is registered again, once. */
static bool register_and_authorize(struct mcpo_client *c, struct ac_err *err)
{
    /* A workload identity or an enterprise IdP replaces registration and
     * the user's grant, without fallback (federation.c). */
    if (fed_configured(c)) {
        c->token_fail = TF_NONE;
        if (fed_login(c, err)) {
            return persist_save(c, err);
        }
        if (!MUTATED("wif-fallback-code") && !MUTATED("ema-fallback-code")) {
            return false;
        }
    }
    for (int i = 0;; i++) {
        c->token_fail = TF_NONE;
        c->authz_stale = false;
        if (!registration_run(c, err)) {
            return false;
        }
        bool cc = c->client_credentials && !MUTATED("no-client-credentials");
        if (cc ? client_credentials(c, err) : authorize_run(c, err)) {
            break;
        }
        bool stale = c->token_fail == TF_INVALID_CLIENT || c->authz_stale;
        if (!stale || i > 0 || c->preregistered ||
            MUTATED("ignore-stale-client")) {
            return false;
        }
        http_trace_note("the authorization server no longer knows client "
                        "%s: registering again",
                        c->client_id);
        if (!persist_drop(c, true, err)) {
            return false;
        }
    }
    return persist_save(c, err);
}

/* PRM and AS metadata, freshly (a login may follow an AS change). */
static bool discover(struct mcpo_client *c, struct ac_err *err)
{
    if (c->preset_as_meta != NULL) {
        json_decref(c->as_meta);
        c->as_meta = json_incref(c->preset_as_meta);
        const char *iss = ac_json_str(c->as_meta, "issuer");
        if (!str_set(&c->issuer, iss, err) || !str_set(&c->as_url, iss, err)) {
            return false;
        }
    } else if (!discovery_prm_or_legacy(c, err)) {
        return false;
    }
    return persist_bind_issuer(c, err);
}

bool flow_login(struct mcpo_client *c, struct ac_err *err)
{
    if (!c->chal.seen && !c->initialized && !c->client_credentials) {
        bool required;
        if (!flow_check(c, &required, err)) {
            return false;
        }
        if (!required) {
            http_trace_note("the MCP server did not ask for authorization");
            return true;
        }
    }
    return discover(c, err) && register_and_authorize(c, err);
}

/* A fresh token was rejected: has the MCP server moved to another AS?
 * Discover again; when the PRM now names another issuer the binding
 * (persist_bind_issuer) drops the old registration and tokens, and one
 * more login follows at the new AS (MCP: credentials are bound to the AS
 * that issued them, a new AS means a new registration). */
static bool recover_migration(struct mcpo_client *c, struct recovery *r,
                              struct ac_err *err)
{
    char *old = c->issuer != NULL ? strdup(c->issuer) : NULL;
    bool moved = false;
    if (!r->rediscovered && old != NULL) {
        r->rediscovered = true;
        http_trace_note("a fresh token was rejected: discovering again");
        if (!discover(c, err)) {
            free(old);
            return false;
        }
        moved = c->issuer != NULL && strcmp(old, c->issuer) != 0;
    }
    free(old);
    if (!moved) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "the MCP server answered 401 to the freshly issued access "
               "token");
        return false;
    }
    http_trace_note("the MCP server moved to authorization server %s",
                    c->issuer);
    return secret_set(&c->access_token, NULL, err) &&
           register_and_authorize(c, err);
}

/* After a 401: refresh once, else (dead grant or client) log in once. */
static bool recover_401(struct mcpo_client *c, struct recovery *r,
                        struct ac_err *err)
{
    bool dead = false; /* the grant (or client) died since the login */
    if (c->access_token != NULL && !r->resent &&
        MUTATED("resend-rejected-token")) {
        r->resent = true;
        return true; /* the same token again */
    }
    if (c->access_token != NULL && !r->refreshed) {
        r->refreshed = true;
        http_trace_note("the MCP server rejected the access token: "
                        "refreshing");
        if (refresh_after_reject(c, err)) {
            return true;
        }
        if (c->token_fail != TF_INVALID_GRANT &&
            c->token_fail != TF_INVALID_CLIENT) {
            return false; /* 5xx / network: keep the credentials */
        }
        dead = true;
    }
    if (r->logged_in && (!dead || r->relogged)) {
        return recover_migration(c, r, err);
    }
    r->relogged = r->logged_in;
    r->logged_in = true;
    return secret_set(&c->access_token, NULL, err) && flow_login(c, err);
}

bool flow_connect(struct mcpo_client *c, struct ac_err *err)
{
    struct recovery r = {false, false, false, false, false};
    enum mcp_status st;

    if (c->initialized) {
        return true;
    }
    if (!prepare(c, err)) {
        return false;
    }
    for (;;) {
        if (!mcp_open(c, &st, err)) {
            return false;
        }
        if (st == MCP_OK) {
            return persist_wire(c);
        }
        if (!recover_401(c, &r, err)) {
            return false;
        }
    }
}

bool flow_token(struct mcpo_client *c, struct ac_err *err)
{
    if (!prepare(c, err)) {
        return false;
    }
    if (c->access_token != NULL) {
        return true;
    }
    return flow_connect(c, err);
}

/* MCP scope step-up (2026-07-28 "Step-Up Authorization Flow", SEP-2350):
 * "the union of the client's previously requested scope set and the
 * scopes from the current challenge", so permissions granted for other
 * operations are not lost; the granted scope joins in (what the client
 * holds, also after a restart, when nothing was requested yet). */
static bool step_up(struct mcpo_client *c, struct ac_err *err)
{
    char *held = ac_scope_union(c->requested_scope, c->granted_scope);
    char *want =
        MUTATED("no-scope-union")
            ? (c->chal.scope ? strdup(c->chal.scope) : NULL)
            : (held != NULL ? ac_scope_union(held, c->chal.scope) : NULL);
    bool ok;
    free(held);
    if (want == NULL && !MUTATED("no-scope-union")) {
        AC_ERR(err, AC_ERR_NOMEM, "step-up scope");
        return false;
    }
    http_trace_note("insufficient_scope: authorizing again for \"%s\"",
                    want != NULL ? want : "");
    free(c->stepup_scope);
    c->stepup_scope = want;
    if (c->as_meta == NULL) {
        ok = flow_login(c, err);
    } else {
        ok = register_and_authorize(c, err);
    }
    return ok;
}

/* After MCP_REOPEN (the server's wire differs from what we assumed) or
 * MCP_RELIST (HeaderMismatch: the tool's x-mcp-header annotations
 * changed): open again or list tools again, then retry, a bounded number
 * of times. */
static bool rewire(struct mcpo_client *c, const char *method,
                   enum mcp_status st, int *left, struct ac_err *err)
{
    json_t *list = NULL;
    enum mcp_status st2;
    if ((*left)-- <= 0) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "%s: the MCP server keeps rejecting the request's %s", method,
               st == MCP_RELIST ? "headers (HeaderMismatch)" : "wire");
        return false;
    }
    if (st == MCP_RELIST) {
        /* Streamable HTTP: SHOULD call tools/list, then retry. */
        bool ok = mcp_rpc(c, "tools/list", NULL, &list, &st2, err);
        json_decref(list);
        return ok;
    }
    c->initialized = false;
    c->era_cached = false;
    return flow_connect(c, err);
}

bool flow_rpc(struct mcpo_client *c, const char *method, json_t *params,
              json_t **result, struct ac_err *err)
{
    struct recovery r = {false, false, false, false, false};
    int stepups = 0, rewires = 2;
    int limit = MUTATED("no-retry-limit") ? MUTANT_STEPUPS : MAX_STEPUPS;
    enum mcp_status st;

    if (!flow_connect(c, err) || !refresh_if_expiring(c, err)) {
        return false;
    }
    for (;;) {
        if (!mcp_rpc(c, method, params, result, &st, err)) {
            return false;
        }
        if (st == MCP_OK) {
            return true;
        }
        if (st == MCP_REOPEN || st == MCP_RELIST) {
            if (!rewire(c, method, st, &rewires, err)) {
                return false;
            }
            continue;
        }
        if (st == MCP_UNAUTHORIZED) {
            if (!recover_401(c, &r, err)) {
                return false;
            }
            continue;
        }
        if (MUTATED("ignore-insufficient-scope")) {
            AC_ERR(err, AC_ERR_PROTOCOL, "%s: MCP server answered 403", method);
            return false;
        }
        if (stepups >= limit) {
            AC_ERR(err, AC_ERR_PROTOCOL,
                   "%s: still insufficient_scope after %d step-up "
                   "authorizations (MCP scope step-up: retry limit)",
                   method, stepups);
            return false;
        }
        stepups++;
        if (!step_up(c, err)) {
            return false;
        }
    }
}

bool flow_logout(struct mcpo_client *c, struct ac_err *err)
{
    const char *dir;
    struct ac_err rerr;
    bool found;

    if (!c->restore_tried) {
        c->restore_tried = true;
        if (!persist_restore(c, &found, err)) {
            return false;
        }
    }
    /* End an open MCP session while its token is still good: after the
     * revocation the DELETE could only be sent without credentials. */
    mcp_close(c);
    /* RFC 7009 §2.1: revoking the refresh token first may revoke the
     * grant's access tokens too; revoke the access token anyway. */
    if (!MUTATED("no-revoke-on-logout") &&
        (!token_revoke(c, c->refresh_token, "refresh_token", &rerr) ||
         !token_revoke(c, c->access_token, "access_token", &rerr))) {
        fprintf(stderr, "mcp-oauth: warning: %s\n", rerr.msg);
    }
    dir = persist_dir(c);
    if (dir != NULL && c->issuer != NULL &&
        !store_remove(dir, c->resource, c->issuer, err)) {
        return false;
    }
    return secret_set(&c->access_token, NULL, err) &&
           secret_set(&c->refresh_token, NULL, err);
}
