/* The scenario runner (runner.h): process supervision for the client under
 * test (own process group, merged capped output, timeout with SIGTERM then
 * SIGKILL), the per-scenario directory with its isolated HOME and the
 * $BROWSER wrapper, and the assembly of one scenario's results entry from
 * the transcript and the check registry. */
#include "harness/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "harness/checks.h"
#include "mocks/world.h"

extern char **environ;

/* The browser record is small: a few hops of capped bodies per run. */
#define RECORD_MAX (8u * 1024u * 1024u)

/* --- process supervision -------------------------------------------------- */

static int64_t now_ms(void)
{
    return ac_mono_ns() / 1000000;
}

static size_t name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');

    return eq ? (size_t)(eq - entry) : strlen(entry);
}

static bool overridden(const char *entry, const char *const *extra)
{
    size_t n = name_len(entry);

    for (size_t k = 0; extra != NULL && extra[k] != NULL; k++) {
        if (name_len(extra[k]) == n && strncmp(entry, extra[k], n) == 0) {
            return true;
        }
    }
    return false;
}

/* The inherited environment with `extra` replacing same-named entries: a
 * new array of borrowed strings (free() the array only). */
static char **build_env(const char *const *extra)
{
    size_t n = 0, k = 0;
    char **env;

    while (environ[n] != NULL) {
        n++;
    }
    for (size_t j = 0; extra != NULL && extra[j] != NULL; j++) {
        n++;
    }
    env = calloc(n + 1, sizeof(*env));
    if (env == NULL) {
        return NULL;
    }
    for (size_t j = 0; environ[j] != NULL; j++) {
        if (!overridden(environ[j], extra)) {
            env[k++] = environ[j];
        }
    }
    for (size_t j = 0; extra != NULL && extra[j] != NULL; j++) {
        env[k++] = (char *)extra[j];
    }
    return env;
}

struct capture {
    int fd;
    bool eof;
    struct ac_buf buf;
    size_t cap;
    size_t dropped;
};

/* Read what is there (the fd is non-blocking); keep up to the cap. */
static void drain(struct capture *c)
{
    char chunk[4096];

    while (!c->eof) {
        ssize_t r = read(c->fd, chunk, sizeof(chunk));
        if (r == 0) {
            c->eof = true;
        } else if (r < 0) {
            if (errno != EINTR) {
                return; /* EAGAIN: nothing more for now */
            }
        } else {
            size_t room = c->cap - c->buf.len;
            size_t keep = (size_t)r < room ? (size_t)r : room;
            if (keep > 0 && !ac_buf_append(&c->buf, chunk, keep, NULL)) {
                keep = 0;
            }
            c->dropped += (size_t)r - keep;
        }
    }
}

/* Wait up to `ms` for output, then read it. */
static void pump(struct capture *c, int ms)
{
    struct pollfd p = {c->fd, POLLIN, 0};

    if (c->eof) {
        poll(NULL, 0, ms);
        return;
    }
    if (poll(&p, 1, ms) > 0) {
        drain(c);
    }
}

/* Has the child exited? Leaves it a zombie (WNOWAIT) so that its pid, and
 * so its process group id, cannot be reused before we kill the group. */
static bool exited(pid_t pid)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
        return errno == ECHILD;
    }
    return si.si_pid == pid;
}

/* Until the child exits or `deadline` (ms) passes, collecting output. */
static bool supervise(pid_t pid, struct capture *c, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - now_ms();
        if (exited(pid)) {
            return true;
        }
        if (left <= 0) {
            return false;
        }
        pump(c, left < 20 ? (int)left : 20);
    }
}

static void reap(pid_t pid, struct hr_exec_result *res)
{
    int status = 0;

    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) {
        res->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
        res->exit_code = -1;
    }
}

static void finish_capture(struct capture *c, struct hr_exec_result *res)
{
    int64_t until = now_ms() + 500;

    /* Everything in the group is dead now, so EOF comes at once unless a
     * stray process escaped the group with our pipe; do not wait for it. */
    while (!c->eof && now_ms() < until) {
        pump(c, 20);
    }
    res->dropped = c->dropped;
    res->output_len = c->buf.len;
    res->output = ac_buf_steal(&c->buf);
}

static bool spawn(const struct hr_exec *x, int outfd, pid_t *pid,
                  struct ac_err *err)
{
    static const int defaulted[] = {SIGPIPE, SIGINT,  SIGTERM, SIGHUP,
                                    SIGQUIT, SIGCHLD, SIGALRM, SIGUSR1,
                                    SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, defs;
    char **env = build_env(x->env);
    int rc;

    if (env == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory building the environment");
        return false;
    }
    sigemptyset(&none);
    sigemptyset(&defs);
    for (size_t k = 0; k < sizeof(defaulted) / sizeof(*defaulted); k++) {
        sigaddset(&defs, defaulted[k]);
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, outfd, 1);
    posix_spawn_file_actions_adddup2(&fa, outfd, 2);
    posix_spawnattr_init(&at);
    /* Its own process group, so a timeout kills the client and everything
     * it started (its browser, its helpers) with one killpg. */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &defs);
    rc = posix_spawn(pid, x->argv[0], &fa, &at, (char *const *)x->argv, env);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (rc != 0) {
        AC_ERR(err, AC_ERR_IO, "cannot run %s: %s", x->argv[0], strerror(rc));
        return false;
    }
    return true;
}

bool hr_exec_run(const struct hr_exec *x, struct hr_exec_result *res,
                 struct ac_err *err)
{
    struct capture c = {-1, false, {0}, 0, 0};
    int fds[2] = {-1, -1};
    int64_t start = now_ms();
    pid_t pid;
    bool ok = false;

    memset(res, 0, sizeof(*res));
    c.cap = x->output_cap ? x->output_cap : HR_OUTPUT_CAP;
    ac_buf_init(&c.buf, c.cap);
    if (pipe2(fds, O_CLOEXEC) != 0) {
        AC_ERR(err, AC_ERR_IO, "pipe: %s", strerror(errno));
        goto out;
    }
    if (!spawn(x, fds[1], &pid, err)) {
        goto out;
    }
    close(fds[1]);
    fds[1] = -1;
    c.fd = fds[0];
    fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    if (!supervise(pid, &c, start + x->timeout_ms)) {
        res->timed_out = true;
        killpg(pid, SIGTERM);
        supervise(pid, &c, now_ms() + HR_KILL_GRACE_MS);
    }
    /* Whatever the client left running in its group goes too. */
    killpg(pid, SIGKILL);
    reap(pid, res);
    finish_capture(&c, res);
    res->duration_ms = now_ms() - start;
    ok = res->output != NULL;
    if (!ok) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory capturing output");
    }
out:
    ac_buf_free(&c.buf);
    if (fds[0] >= 0) {
        close(fds[0]);
    }
    if (fds[1] >= 0) {
        close(fds[1]);
    }
    return ok;
}

void hr_exec_result_free(struct hr_exec_result *res)
{
    if (res != NULL) {
        free(res->output);
        res->output = NULL;
    }
}

/* --- the scenario directory ----------------------------------------------- */

char *hr_shell_quote(const char *s)
{
    struct ac_buf b;

    ac_buf_init(&b, 0);
    if (!ac_buf_append_str(&b, "'", NULL)) {
        goto fail;
    }
    for (const char *p = s; *p; p++) {
        bool ok = *p == '\'' ? ac_buf_append_str(&b, "'\\''", NULL)
                             : ac_buf_append(&b, p, 1, NULL);
        if (!ok) {
            goto fail;
        }
    }
    if (!ac_buf_append_str(&b, "'", NULL)) {
        goto fail;
    }
    return ac_buf_steal(&b);
fail:
    ac_buf_free(&b);
    return NULL;
}

char *hr_default_client_cmd(const char *authcheck_exe)
{
    char *dir = strdup(authcheck_exe);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    char *exe = NULL, *q = NULL, *cmd = NULL;

    if (dir == NULL) {
        return NULL;
    }
    if (slash != NULL) {
        *slash = '\0';
    }
    if (asprintf(&exe, "%s/mcp-oauth", slash ? dir : ".") >= 0) {
        q = hr_shell_quote(exe);
        if (q == NULL || asprintf(&cmd, "%s conformance", q) < 0) {
            cmd = NULL;
        }
    }
    free(q);
    free(exe);
    free(dir);
    return cmd;
}

static bool mkdir_p(const char *path, mode_t mode, struct ac_err *err)
{
    char *p = strdup(path);
    bool ok = p != NULL;

    for (char *s = p ? p + 1 : NULL; ok && s != NULL;) {
        char *slash = strchr(s, '/');
        if (slash != NULL) {
            *slash = '\0';
        }
        if (mkdir(p, mode) != 0 && errno != EEXIST) {
            AC_ERR(err, AC_ERR_IO, "mkdir %s: %s", p, strerror(errno));
            ok = false;
        }
        if (slash != NULL) {
            *slash = '/';
            s = slash + 1;
        } else {
            s = NULL;
        }
    }
    if (p == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
    }
    free(p);
    return ok;
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* Remove a tree without following symlinks. Missing is fine. */
static bool rm_tree(const char *path, struct ac_err *err)
{
    struct stat st;

    if (lstat(path, &st) != 0 && errno == ENOENT) {
        return true;
    }
    if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        AC_ERR(err, AC_ERR_IO, "cannot remove %s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

struct sdir {
    char *dir, *home, *record, *browser;
    char *xdg[4]; /* config, data, state, cache */
};

static void sdir_free(struct sdir *d)
{
    free(d->dir);
    free(d->home);
    free(d->record);
    free(d->browser);
    for (size_t k = 0; k < 4; k++) {
        free(d->xdg[k]);
    }
}

static bool write_browser(const struct sdir *d, const char *exe,
                          struct ac_err *err)
{
    char *qe = hr_shell_quote(exe), *qr = hr_shell_quote(d->record);
    char *text = NULL;
    int fd = -1;
    bool ok = false;
    int n;

    n = qe && qr ? asprintf(&text,
                            "#!/bin/sh\n"
                            "# authcheck's headless user agent ($BROWSER)\n"
                            "exec %s browse --record %s \"$@\"\n",
                            qe, qr)
                 : -1;
    if (n < 0) {
        text = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    fd = open(d->browser, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    if (fd < 0 || write(fd, text, (size_t)n) != n || fchmod(fd, 0700) != 0) {
        AC_ERR(err, AC_ERR_IO, "cannot write %s: %s", d->browser,
               strerror(errno));
        goto out;
    }
    ok = true;
out:
    if (fd >= 0) {
        close(fd);
    }
    free(text);
    free(qe);
    free(qr);
    return ok;
}

/* out/<id>/ with a fresh home/ (a previous run's token cache must not
 * leak into this one), the XDG directories inside it, and the wrapper. */
static bool prepare_dir(const struct hs_scenario *sc,
                        const struct hr_options *opt, struct sdir *d,
                        struct ac_err *err)
{
    static const char *const sub[] = {".config", ".local/share", ".local/state",
                                      ".cache"};

    char *rel = NULL;

    if (asprintf(&rel, "%s/%s", opt->out_dir, sc->id) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    /* Absolute paths: the client may change its working directory before
     * it opens $BROWSER or reads $HOME. */
    if (!mkdir_p(rel, 0755, err) || (d->dir = realpath(rel, NULL)) == NULL) {
        if (err != NULL && err->code == AC_OK) {
            AC_ERR(err, AC_ERR_IO, "%s: %s", rel, strerror(errno));
        }
        free(rel);
        return false;
    }
    free(rel);
    if (asprintf(&d->home, "%s/home", d->dir) < 0 ||
        asprintf(&d->record, "%s/browser.jsonl", d->dir) < 0 ||
        asprintf(&d->browser, "%s/browser", d->dir) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    for (size_t k = 0; k < 4; k++) {
        if (asprintf(&d->xdg[k], "%s/%s", d->home, sub[k]) < 0) {
            d->xdg[k] = NULL;
            AC_ERR(err, AC_ERR_NOMEM, "out of memory");
            return false;
        }
    }
    if (!rm_tree(d->home, err) || !mkdir_p(d->home, 0700, err)) {
        return false;
    }
    for (size_t k = 0; k < 4; k++) {
        if (!mkdir_p(d->xdg[k], 0700, err)) {
            return false;
        }
    }
    if (unlink(d->record) != 0 && errno != ENOENT) {
        AC_ERR(err, AC_ERR_IO, "cannot remove %s: %s", d->record,
               strerror(errno));
        return false;
    }
    return write_browser(d, opt->authcheck_exe, err);
}

/* --- the client's environment --------------------------------------------- */

struct cenv {
    char *v[10];
};

static void cenv_free(struct cenv *e)
{
    for (size_t k = 0; k < 10; k++) {
        free(e->v[k]);
    }
}

static char *context_json(const struct hs_scenario *sc)
{
    const json_t *client = json_object_get(sc->doc, "client");
    json_t *ctx = json_pack("{s:s, s:O?, s:O?}", "name", sc->id, "tool",
                            json_object_get(client, "tool"), "arguments",
                            json_object_get(client, "arguments"));
    char *s = ctx ? json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

    json_decref(ctx);
    return s;
}

static bool build_cenv(const struct hs_scenario *sc, const struct sdir *d,
                       struct cenv *e, struct ac_err *err)
{
    char *ctx = context_json(sc);
    int bad = ctx == NULL;

    bad |= asprintf(&e->v[0], "MCP_CONFORMANCE_SCENARIO=%s", sc->id) < 0;
    bad |= asprintf(&e->v[1], "MCP_CONFORMANCE_PROTOCOL_VERSION=%s",
                    sc->newest_spec) < 0;
    bad |= ctx == NULL ||
           asprintf(&e->v[2], "MCP_CONFORMANCE_CONTEXT=%s", ctx) < 0;
    bad |= asprintf(&e->v[3], "BROWSER=%s", d->browser) < 0;
    bad |= asprintf(&e->v[4], "HOME=%s", d->home) < 0;
    bad |= asprintf(&e->v[5], "XDG_CONFIG_HOME=%s", d->xdg[0]) < 0;
    bad |= asprintf(&e->v[6], "XDG_DATA_HOME=%s", d->xdg[1]) < 0;
    bad |= asprintf(&e->v[7], "XDG_STATE_HOME=%s", d->xdg[2]) < 0;
    bad |= asprintf(&e->v[8], "XDG_CACHE_HOME=%s", d->xdg[3]) < 0;
    e->v[9] = NULL;
    free(ctx);
    if (bad) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory building the environment");
        return false;
    }
    return true;
}

/* --- results -------------------------------------------------------------- */

/* Output as a JSON string: NULs and, if Jansson refuses the bytes as
 * UTF-8, every non-ASCII byte become '?'. */
static json_t *output_string(struct hr_exec_result *r)
{
    char *s = r->output;
    size_t n = r->output_len;
    char *text = NULL;
    json_t *v;

    for (size_t k = 0; k < n; k++) {
        if (s[k] == '\0') {
            s[k] = '?';
        }
    }
    if (r->dropped > 0 &&
        asprintf(&text, "%s\n[authcheck: %zu more bytes of output dropped]", s,
                 r->dropped) >= 0) {
        s = text;
        n = strlen(text);
    }
    v = json_stringn(s, n);
    if (v == NULL) {
        for (size_t k = 0; k < n; k++) {
            if ((unsigned char)s[k] >= 0x80) {
                s[k] = '?';
            }
        }
        v = json_stringn(s, n);
    }
    free(text);
    return v;
}

static json_t *run_json(struct hr_exec_result *r)
{
    return json_pack("{s:i, s:i, s:b, s:I, s:o}", "exit_code", r->exit_code,
                     "signal", r->signal, "timed_out", r->timed_out,
                     "duration_ms", (json_int_t)r->duration_ms, "output",
                     output_string(r));
}

static json_t *check_json(const struct hc_check *c, const struct hc_result *r)
{
    json_t *ev = json_array();

    for (size_t k = 0; ev != NULL && k < r->nevidence && k < 16; k++) {
        json_array_append_new(ev, json_integer((json_int_t)r->evidence[k]));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", c->id,
                     "level", hc_level_name(c->level), "status",
                     hc_status_name(r->status), "spec", c->spec ? c->spec : "",
                     "spec_url", c->spec_url ? c->spec_url : "", "summary",
                     c->summary ? c->summary : "", "message", r->message,
                     "evidence", ev);
}

/* Evaluate the scenario's checks; true when none is FAILURE. */
static bool evaluate(const struct hs_scenario *sc, const json_t *transcript,
                     const struct hc_run *runs, size_t nruns, json_t *out)
{
    const json_t *ids = json_object_get(sc->doc, "checks");
    struct hc_input in = {sc->doc, transcript, runs, nruns};
    const json_t *idv;
    size_t i;
    bool passed = true;

    json_array_foreach(ids, i, idv)
    {
        const struct hc_check *c = hc_find(json_string_value(idv));
        struct hc_result r;
        memset(&r, 0, sizeof(r));
        if (c == NULL) {
            continue; /* the loader rejected unknown ids */
        }
        hc_evaluate(c, &in, &r);
        r.message[sizeof(r.message) - 1] = '\0';
        if (r.status == HC_FAILURE) {
            passed = false;
        }
        json_array_append_new(out, check_json(c, &r));
    }
    return passed;
}

/* Feed the browser's hops (one JSON exchange per line) to the transcript,
 * then delete the file: it holds real codes and state. */
static void ingest_record(struct mo_world *w, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, total = 0;
    ssize_t n;

    if (f == NULL) {
        return; /* the client never opened the browser */
    }
    while ((n = getline(&line, &cap, f)) > 0 && total < RECORD_MAX) {
        json_error_t jerr;
        json_t *ex;
        struct ac_err err;
        total += (size_t)n;
        ex = json_loadb(line, (size_t)n, 0, &jerr);
        if (ex == NULL || !mo_world_record(w, ex, &err)) {
            ac_log(AC_LOG_WARN, "%s: skipping a browser hop: %s", path,
                   ex == NULL ? jerr.text : err.msg);
        }
        json_decref(ex);
    }
    free(line);
    fclose(f);
    unlink(path);
}

static json_t *scenario_json(const struct hs_scenario *sc)
{
    return json_pack("{s:s, s:s, s:s, s:O, s:s, s:n, s:I, s:[], s:[], s:[]}",
                     "id", sc->id, "title", sc->title, "family", sc->family,
                     "spec", json_object_get(sc->doc, "spec"), "status",
                     "error", "error", "duration_ms", (json_int_t)0, "runs",
                     "checks", "transcript");
}

static void set_error(json_t *res, const struct ac_err *err)
{
    json_object_set_new(res, "status", json_string("error"));
    json_object_set_new(res, "error", json_string(err->msg));
}

/* The client runs: false on a harness error (err set). */
static bool run_client(const struct hs_scenario *sc,
                       const struct hr_options *opt, const char *mcp_url,
                       const struct cenv *env, json_t *res, struct hc_run *runs,
                       size_t *nruns, struct ac_err *err)
{
    char *cmd = opt->client_cmd ? strdup(opt->client_cmd)
                                : hr_default_client_cmd(opt->authcheck_exe);
    char *script = NULL;
    bool ok = false;

    /* `sh -c 'CMD "$1"' sh URL`: CMD may carry arguments, the URL is the
     * last argument and is never parsed by the shell. */
    if (cmd == NULL || asprintf(&script, "%s \"$1\"", cmd) < 0) {
        script = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < sc->runs; k++) {
        const char *argv[] = {"/bin/sh", "-c", script, "sh", mcp_url, NULL};
        struct hr_exec x = {argv, (const char *const *)env->v, sc->timeout_ms,
                            HR_OUTPUT_CAP};
        struct hr_exec_result r;
        if (opt->verbose) {
            ac_log(AC_LOG_INFO, "%s: run %d/%d: %s %s", sc->id, k + 1, sc->runs,
                   cmd, mcp_url);
        }
        if (!hr_exec_run(&x, &r, err)) {
            goto out;
        }
        runs[k] = (struct hc_run){r.exit_code, r.signal, r.timed_out};
        *nruns = (size_t)k + 1;
        json_array_append_new(json_object_get(res, "runs"), run_json(&r));
        hr_exec_result_free(&r);
    }
    ok = true;
out:
    free(script);
    free(cmd);
    return ok;
}

json_t *hr_run_scenario(const struct hs_scenario *sc,
                        const struct hr_options *opt, json_t *secrets)
{
    int64_t start = now_ms();
    json_t *res = scenario_json(sc);
    struct sdir d = {0};
    struct cenv env = {0};
    struct mo_world *w = NULL;
    struct hc_run runs[8];
    size_t nruns = 0;
    struct ac_err err;
    json_t *tr = NULL;

    ac_err_clear(&err);
    if (res == NULL) {
        return NULL;
    }
    if (!prepare_dir(sc, opt, &d, &err) || !build_cenv(sc, &d, &env, &err)) {
        set_error(res, &err);
        goto out;
    }
    if (!mo_world_start(sc->doc, &w, &err)) {
        ac_err_prefix(&err, "starting the mock servers");
        set_error(res, &err);
        goto out;
    }
    if (!run_client(sc, opt, mo_world_mcp_url(w), &env, res, runs, &nruns,
                    &err)) {
        set_error(res, &err);
    }
    ingest_record(w, d.record);
    tr = mo_world_transcript(w);
    if (secrets != NULL) {
        json_t *s = mo_world_secrets(w);
        json_array_extend(secrets, s);
        json_decref(s);
    }
    if (tr != NULL) {
        json_object_set(res, "transcript", tr);
    }
    if (err.code == AC_OK) {
        bool passed = evaluate(sc, tr ? tr : json_object_get(res, "transcript"),
                               runs, nruns, json_object_get(res, "checks"));
        json_object_set_new(res, "status",
                            json_string(passed ? "passed" : "failed"));
    }
out:
    mo_world_stop(w);
    json_decref(tr);
    json_object_set_new(res, "duration_ms",
                        json_integer((json_int_t)(now_ms() - start)));
    cenv_free(&env);
    sdir_free(&d);
    return res;
}
