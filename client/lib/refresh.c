/* Refreshing the access token (RFC 6749 §6), proactively before it
 * expires and reactively when the MCP server rejects it, safely with
 * rotating refresh tokens (OAuth 2.1 §4.3.1) across processes sharing the
 * token store: the refresh happens under the record's lock, after
 * re-reading the record (another process may have refreshed already: its
 * result is used, our copy of the refresh token is spent), and the new
 * tokens are written to the store before the lock is released and before
 * the access token is used. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/lib/authorize_int.h"
#include "client/lib/client_int.h"
#include "client/lib/http_int.h"
#include "client/lib/mutations_int.h"
#include "client/lib/store_int.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/json.h"

#define SKEW_S 30             /* refresh this long before expiry */
#define LOCK_TIMEOUT_MS 30000 /* a refresh never takes longer */
#define RETRIES 3             /* after 5xx or network failures */

static bool expiring(const struct mcpo_client *c)
{
    return c->access_token != NULL && c->expires_at != 0 &&
           ac_now() + SKEW_S >= c->expires_at;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Refresh, retrying a bounded number of times on 5xx / network errors
 * (the credentials are kept: the AS may be restarting). */
static bool refresh_with_retry(struct mcpo_client *c, struct ac_err *err)
{
    long backoff = c->retry_backoff_ms;
    for (int i = 0;; i++) {
        if (token_refresh(c, err)) {
            return true;
        }
        bool transient = c->token_fail == TF_NET || c->token_fail == TF_SERVER;
        if (transient && MUTATED("reset-on-refresh-error")) {
            /* Treat a passing outage as a dead grant: drop everything. */
            c->token_fail = TF_INVALID_GRANT;
            return false;
        }
        if (c->token_fail == TF_INVALID_GRANT && c->refresh_token != NULL &&
            MUTATED("retry-invalid-grant")) {
            transient = true; /* retrying a dead grant */
        }
        if (!transient || i >= RETRIES) {
            return false;
        }
        /* The server's Retry-After when longer than our backoff; never
         * beyond the configured cap (mcpo_client_set_retry_backoff). */
        long wait = c->retry_after_ms > backoff ? c->retry_after_ms : backoff;
        if (wait > c->retry_max_wait_ms) {
            wait = c->retry_max_wait_ms;
        }
        http_trace_note("refresh failed (%s); retrying in %ld ms",
                        err != NULL ? err->msg : "?", wait);
        sleep_ms(wait);
        backoff *= 2;
    }
}

/* Under the lock: did another process refresh since `stale` was read?
 * Then take its tokens (*adopted). Otherwise take the stored refresh
 * token, the newest one. */
static bool reread(struct mcpo_client *c, const char *dir, const char *stale,
                   bool *adopted, struct ac_err *err)
{
    json_t *rec = NULL;
    *adopted = false;
    if (!store_load(dir, c->resource, c->issuer, &rec, err)) {
        return false;
    }
    const json_t *t = json_object_get(rec, "tokens");
    const char *at = ac_json_str(t, "access_token");
    const char *rt = ac_json_str(t, "refresh_token");
    json_int_t exp = json_integer_value(json_object_get(t, "expires_at"));
    bool ok = true;
    if (at != NULL && (stale == NULL || strcmp(at, stale) != 0) &&
        (exp == 0 || ac_now() < exp)) {
        c->expires_at = exp;
        *adopted = true;
        ok = secret_set(&c->access_token, at, err) &&
             str_set(&c->granted_scope, ac_json_str(t, "scope"), err);
    }
    if (ok && rt != NULL) {
        ok = secret_set(&c->refresh_token, rt, err);
    }
    json_decref(rec);
    return ok;
}

/* The failure's consequence: a dead grant drops the tokens, a dead client
 * drops the registration as well (both persisted). */
static void drop_after(struct mcpo_client *c)
{
    if (c->token_fail == TF_INVALID_GRANT) {
        persist_drop(c, false, NULL);
    } else if (c->token_fail == TF_INVALID_CLIENT) {
        persist_drop(c, true, NULL);
    }
}

/* Refresh (or adopt another process's refresh) under the store lock. */
static bool refresh_locked(struct mcpo_client *c, struct ac_err *err)
{
    const char *dir = persist_dir(c);
    char *stale = c->access_token != NULL ? strdup(c->access_token) : NULL;
    bool adopted = false, ok = false;
    int fd = -1;

    if (dir != NULL && c->issuer != NULL) {
        if (!store_lock(dir, c->resource, c->issuer, LOCK_TIMEOUT_MS, &fd,
                        err) ||
            !reread(c, dir, stale, &adopted, err)) {
            goto out;
        }
    }
    if (adopted) {
        http_trace_note("using the token another process refreshed");
        ok = true;
        goto out;
    }
    ok = refresh_with_retry(c, err);
    if (ok) {
        /* Rotation-safe: persist before the new access token is used. */
        ok = persist_save(c, err);
    } else {
        drop_after(c);
    }
out:
    store_unlock(fd);
    ac_secret_free(stale);
    return ok;
}

bool refresh_if_expiring(struct mcpo_client *c, struct ac_err *err)
{
    if (!expiring(c) || MUTATED("never-refresh") ||
        MUTATED("no-proactive-refresh")) {
        return true;
    }
    http_trace_note("access token expires within %d s: refreshing", SKEW_S);
    if (refresh_locked(c, err)) {
        return true;
    }
    /* A dead grant or client means a new authorization, not a failure. */
    return c->token_fail == TF_INVALID_GRANT ||
           c->token_fail == TF_INVALID_CLIENT;
}

bool refresh_after_reject(struct mcpo_client *c, struct ac_err *err)
{
    if (c->refresh_token == NULL && persist_dir(c) == NULL) {
        c->token_fail = TF_INVALID_GRANT;
        AC_ERR(err, AC_ERR_STATE, "no refresh token");
        return false;
    }
    return refresh_locked(c, err);
}
