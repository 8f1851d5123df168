/* The token store (store.c): one JSON record per (MCP resource, issuer) in
 * a private directory, written atomically, with a per-record lock file so
 * that concurrent processes refresh a rotating refresh token only once.
 *
 * A record (docs/CLIENT.md "Token store"):
 *   { "version": 1, "resource", "mcp_url", "issuer", "updated_at",
 *     "prm_url", "prm": {...}, "as_metadata": {...},
 *     "client": { "client_id", "client_secret"?,
 *                 "client_secret_expires_at"?, "redirect_uri"?,
 *                 "token_endpoint_auth_method"?, "source" } | null,
 *     "tokens": { "access_token", "refresh_token"?, "expires_at"?,
 *                 "scope"?, "obtained_at" },
 *     "mcp_wire"?: "2026-07-28" | "2025-11-25" }
 */
#ifndef MCPO_STORE_INT_H
#define MCPO_STORE_INT_H

#include <stdbool.h>

#include <jansson.h>

#include "common/err.h"

#define STORE_VERSION 1

/* The default directory: $XDG_STATE_HOME/mcp-oauth, else
 * $HOME/.local/state/mcp-oauth. A new string, or NULL (no HOME). */
char *store_default_dir(void);

/* Create `dir` (and missing parents) with mode 0700; refuse a directory
 * that others can read or write (it holds tokens). */
bool store_prepare_dir(const char *dir, struct ac_err *err);

/* "<dir>/<sha256hex(resource LF issuer)><suffix>". A new string. */
char *store_path(const char *dir, const char *resource, const char *issuer,
                 const char *suffix);

/* Load the record of (resource, issuer). *rec is a new reference, or NULL
 * when there is none. A corrupt or unreadable record is reported on
 * stderr ("ignoring ...: a fresh login follows") and treated as absent:
 * this never fails except for an out-of-memory error. */
bool store_load(const char *dir, const char *resource, const char *issuer,
                json_t **rec, struct ac_err *err);

/* The most recently updated valid record for `resource`, whatever its
 * issuer (a restart does not know the issuer yet). *rec as store_load. */
bool store_find(const char *dir, const char *resource, json_t **rec,
                struct ac_err *err);

/* Write `rec` (borrowed; must carry resource and issuer) atomically with
 * mode 0600, stamping updated_at: a crash at any point leaves the old
 * record or the new one. Removes stale temporary files (over 60 s old)
 * that crashed writers left in `dir`. */
bool store_save(const char *dir, json_t *rec, struct ac_err *err);

/* Delete the record of (resource, issuer) and its lock file. Absent is
 * fine. */
bool store_remove(const char *dir, const char *resource, const char *issuer,
                  struct ac_err *err);

/* Every valid record in `dir`: a new array (empty when the directory does
 * not exist). */
json_t *store_list(const char *dir, struct ac_err *err);

/* Delete every record and lock file in `dir`. */
bool store_clear_all(const char *dir, struct ac_err *err);

/* An exclusive flock(2) on the record's lock file, waiting at most
 * `timeout_ms`. *fd is the lock (store_unlock). */
bool store_lock(const char *dir, const char *resource, const char *issuer,
                int timeout_ms, int *fd, struct ac_err *err);
void store_unlock(int fd);

#endif
