/* Running scenarios: start the mock world, run the client under test with
 * the conformance environment, collect the transcript (the mocks' and the
 * headless browser's), evaluate the scenario's checks and build its entry
 * of the results model (docs/RESULTS.md).
 *
 * A harness error (the mocks did not start, the client could not be
 * spawned, the work directory could not be made) makes the scenario's
 * status "error"; it never aborts the run. */
#ifndef HR_RUNNER_H
#define HR_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "common/err.h"
#include "harness/cmdline.h"
#include "harness/scenario.h"

#define AUTHCHECK_VERSION "0.1.0"

/* Client output kept per run (stdout and stderr together); the rest is
 * read and dropped, so a flooding client neither blocks nor grows us. */
#define HR_OUTPUT_CAP (64u * 1024u)

/* SIGTERM first, SIGKILL this long after (a hung client's process group). */
#define HR_KILL_GRACE_MS 500

/* --- one process --------------------------------------------------------- */

struct hr_exec {
    const char *const *argv; /* argv[0] is the program path (no PATH search) */
    const char *const *env;  /* extra "NAME=value" entries, NULL-terminated;
                                they replace inherited ones of the same name;
                                may be NULL */
    long timeout_ms;         /* > 0 */
    size_t output_cap;       /* 0: HR_OUTPUT_CAP */
    const char *const *fallback_argv; /* run instead when argv[0] cannot be
                                         executed; may be NULL */
};

/* How long the helpers of an exited client may take to finish. */
#define HR_SETTLE_MS 1000

struct hr_exec_result {
    int exit_code;  /* valid when !signaled && !timed_out */
    int signal;     /* terminating signal, 0 if none */
    bool timed_out; /* killed after timeout_ms */
    int64_t duration_ms;
    char *output;      /* owned (free()): captured output, NUL-terminated */
    size_t output_len; /* bytes kept */
    size_t dropped;    /* bytes read beyond the cap and dropped */
};

/* Spawn argv in its own process group, stdin from /dev/null, stdout and
 * stderr into one pipe; wait for it, killing the whole group at the
 * timeout (SIGTERM, then SIGKILL after HR_KILL_GRACE_MS). Whatever is left
 * of the group after the child exits is killed too. Returns false only on
 * a harness error (pipe, spawn); the child's own failure is in `res`. */
bool hr_exec_run(const struct hr_exec *x, struct hr_exec_result *res,
                 struct ac_err *err);

void hr_exec_result_free(struct hr_exec_result *res);

/* --- one scenario -------------------------------------------------------- */

struct hr_options {
    const char *client_cmd;       /* shell command, the MCP URL is appended as
                                     the last argument; NULL: the default */
    const char *authcheck_exe;    /* absolute path of authcheck (the browser
                                     wrapper runs `<exe> browse` for a call
                                     the harness does not walk itself) */
    const char *tmp_dir;          /* where each scenario's private work
                                     directory is made; NULL: $TMPDIR, else
                                     /dev/shm (a tmpfs), else /tmp */
    bool verbose;                 /* log progress at AC_LOG_INFO */
    bool keep_homes;              /* keep the work directory (its path is the
                                     result's "work_dir") instead of deleting
                                     it: it holds the client's real tokens */
    const char *protocol_version; /* MCP_CONFORMANCE_PROTOCOL_VERSION; NULL:
                                     the newest of the scenario's spec */
    long timeout_ms; /* > 0: per client run, instead of client.timeout_ms */
    bool strict;     /* --strict: a WARNING (violated SHOULD) fails the
                        scenario like a FAILURE */
    const char *const *client_features; /* --client-features: the features
                                           the client claims, NULL-terminated;
                                           NULL: no declaration (run all) */
};

/* The default client command: "<dir of exe>/mcp-oauth conformance", the
 * directory shell-quoted. A new string (free()). */
char *hr_default_client_cmd(const char *authcheck_exe);

/* Run one scenario. Returns its results object (a new reference; status
 * "passed", "failed", "error", "skipped" for a pending scenario, which
 * is not run at all: no mocks, no client, every check SKIPPED with the
 * reason, which is also the result's "skip_reason", or "not_applicable"
 * when opt->client_features is given and lacks one of the scenario's
 * "features": not run either, no checks, the reason in "skip_reason"),
 * or NULL only when out of memory.
 *
 * The checks: the scenario's key checks ("checks", in order, "key":
 * true), then every baseline check of the registry it does not list. A
 * key check that came out SKIPPED is a FAILURE (hc_require_exercised).
 * The scenario passes when no check is FAILURE (nor, with opt->strict,
 * WARNING). Every
 * secret the mocks saw or the context handed out is appended to `secrets`
 * (an array, may be NULL; not shared with another thread).
 *
 * The client's HOME, XDG directories, $BROWSER wrapper (and its FIFOs:
 * the harness walks the URLs it is handed, browse.h hb_browse) and the
 * browser's record live in a private directory (mkdtemp, 0700) under
 * opt->tmp_dir, deleted when the scenario ends unless opt->keep_homes: real
 * tokens never land in the output directory. Thread-safe: several scenarios may
 * run at once, each with its own mock world. */
json_t *hr_run_scenario(const struct hs_scenario *sc,
                        const struct hr_options *opt, json_t *secrets);

/* MCP_CONFORMANCE_CONTEXT for a scenario: {"name": id, "tool": ...,
 * "arguments": ...} plus the members of client.context, whose strings have
 * each ${NAME} replaced by `vars` (NULL-terminated pairs name, value; an
 * unknown placeholder is left as is). The runner's names: mcp_url,
 * resource, prm_url, issuer (the first authorization server), issuer:ID,
 * cimd_url (the first client metadata document's URL) and cimd_url:PATH.
 * "name" always is the scenario id. A new reference, NULL when out of
 * memory. */
json_t *hr_context(const struct hs_scenario *sc, const char *const *vars);

/* Delete what earlier authcheck versions left in OUT/<id>/: the client's
 * home/ (real tokens), the browser wrapper and record. Best effort. */
void hr_remove_legacy(const char *out_dir, const char *id);

/* Ask every running and future client run to stop: supervised children
 * are killed as at a timeout, hr_run_scenario marks the scenario an
 * error ("interrupted") and still removes its work directory, and the
 * pool starts nothing new. Async-signal-safe (for SIGINT / SIGTERM). */
void hr_cancel(void);
bool hr_cancelled(void);

#endif
