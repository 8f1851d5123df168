/* The scenario runner (runner.h): process supervision for the client under
 * test (own process group, merged capped output, timeout or cancellation
 * with SIGTERM then SIGKILL), the private per-scenario work directory with
 * its isolated HOME and the $BROWSER wrapper, MCP_CONFORMANCE_CONTEXT, and
 * the assembly of one scenario's results entry from the transcript and the
 * check registry. Safe to call from several threads at once: the only
 * shared state is the spawn lock and the cancellation flag. */
#include "harness/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/tlsca.h"
#include "harness/browse.h"
#include "harness/checks.h"
#include "harness/wrapper.h"
#include "mocks/world.h"

extern char **environ;

/* The browser record is small: a few hops of capped bodies per run. */
#define RECORD_MAX (8u * 1024u * 1024u)

/* The in-process user agent (docs/PERFORMANCE.md): the $BROWSER wrapper
 * and the harness speak harness/wrapper.h's protocol. A request line
 * longer than this is not one the wrapper writes. */
#define HB_LINE_MAX 4096

/* The harness's end of the wrapper's FIFOs (in the work directory). */
struct ubrowser {
    int in_fd;              /* browse.in, O_RDWR: never blocks, no EOF */
    int st_fd[HB_SLOTS];    /* browse.st.N, O_RDWR: held until the end */
    bool served[HB_SLOTS];  /* a slot answers one request only */
    char line[HB_LINE_MAX]; /* a request being read */
    size_t len;
    bool overlong;          /* skipping the rest of a too long line */
    struct hb_options base; /* record, forge_callback_first, CA file */
};

/* --- process supervision -------------------------------------------------- */

/* Set from a signal handler and read by the pool's worker threads: a
 * lock-free C11 atomic is both async-signal-safe and race-free, where a
 * volatile sig_atomic_t is only the former. */
static atomic_int cancelled;

void hr_cancel(void)
{
    atomic_store(&cancelled, 1);
}

bool hr_cancelled(void)
{
    return atomic_load(&cancelled) != 0;
}

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

/* Keep what fits under the cap, count the rest as dropped. */
static void keep(struct capture *c, const char *data, size_t n)
{
    size_t room = c->cap - c->buf.len;
    size_t k = n < room ? n : room;

    if (k > 0 && !ac_buf_append(&c->buf, data, k, NULL)) {
        k = 0;
    }
    c->dropped += n - k;
}

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
            keep(c, chunk, (size_t)r);
        }
    }
}

/* --- the in-process user agent -------------------------------------------- */

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

/* A descriptor that polls readable once `pid` has exited (a pidfd,
 * Linux 5.3; close-on-exec by the kernel), so the supervisor sleeps until
 * the exit itself instead of looking in steps; -1 where there is none. */
static int exit_fd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    return -1;
#endif
}

/* One supervised client, as the in-process walks see it. */
struct sup {
    pid_t pid;
    struct capture *c;
    struct ubrowser *ub; /* NULL: no in-process user agent */
    int64_t deadline;    /* ms, the client's timeout */
    int64_t exit_seen;   /* ms, when the client was first seen gone; -1 */
    int exit_fd;         /* exit_fd_open(pid), or -1 */
};

/* hb_options.stop: the client has timed out, the run is cancelled, or
 * the client exited more than HR_SETTLE_MS ago (what settle() grants a
 * stand-alone browser before the group is killed). Asked between hops and
 * during each (libcurl's progress callback), it also reads the client's
 * output, so a chatty client does not block on a full pipe while its
 * browser walks. */
static bool sup_stop(void *arg)
{
    struct sup *s = arg;
    int64_t now = now_ms();

    drain(s->c);
    if (s->exit_seen < 0 && exited(s->pid)) {
        s->exit_seen = now;
    }
    return hr_cancelled() || now >= s->deadline ||
           (s->exit_seen >= 0 && now >= s->exit_seen + HR_SETTLE_MS);
}

/* hb_options.print: the user agent's lines go where the stand-alone
 * command's stdout and stderr went, into the client's output. */
static void sup_print(void *arg, const char *line)
{
    struct sup *s = arg;

    keep(s->c, line, strlen(line));
}

/* One request line "SLOT URL": walk, then hand the exit status to the
 * slot. A malformed line or a slot already served is ignored (its
 * wrapper, if any, waits until the client's group is killed). */
static void serve(struct sup *s, const char *line)
{
    struct ubrowser *ub = s->ub;
    struct hb_options o = ub->base;
    char status[8];
    int slot = line[0] - '0', rc, n;

    if (slot < 0 || slot >= HB_SLOTS || line[1] != ' ' || ub->served[slot]) {
        return;
    }
    ub->served[slot] = true;
    o.deadline_ns = s->deadline * 1000000;
    o.stop = sup_stop;
    o.stop_arg = s;
    o.print = sup_print;
    o.print_arg = s;
    rc = hb_browse(line + 2, &o);
    n = snprintf(status, sizeof(status), "%d\n", rc);
    if (write(ub->st_fd[slot], status, (size_t)n) != n) {
        ac_log(AC_LOG_WARN, "cannot answer the browser wrapper: %s",
               strerror(errno));
    }
}

/* Read what the wrappers wrote; serve each complete line unless
 * `discard` (the client is gone: its wrappers are killed with it). */
static void take_requests(struct sup *s, bool discard)
{
    struct ubrowser *ub = s->ub;
    char chunk[1024];
    ssize_t r;

    while ((r = read(ub->in_fd, chunk, sizeof(chunk))) > 0 ||
           (r < 0 && errno == EINTR)) {
        for (ssize_t k = 0; k < r; k++) {
            if (chunk[k] != '\n') {
                if (ub->len + 1 < sizeof(ub->line)) {
                    ub->line[ub->len++] = chunk[k];
                } else {
                    ub->overlong = true;
                }
                continue;
            }
            ub->line[ub->len] = '\0';
            if (!discard && !ub->overlong) {
                serve(s, ub->line);
            }
            ub->len = 0;
            ub->overlong = false;
        }
    }
    if (discard) {
        ub->len = 0;
        ub->overlong = false;
    }
}

/* Wait up to `ms` for the client's output (until its end), its exit
 * (with an exit_fd) and, with an in-process user agent, a wrapper's
 * request; take what came. True when any came. */
static bool pump(struct sup *s, int ms)
{
    struct pollfd p[3];
    nfds_t n = 0;
    int out = -1, req = -1;

    if (!s->c->eof) {
        out = (int)n;
        p[n++] = (struct pollfd){s->c->fd, POLLIN, 0};
    }
    if (s->ub != NULL) {
        req = (int)n;
        p[n++] = (struct pollfd){s->ub->in_fd, POLLIN, 0};
    }
    if (s->exit_fd >= 0) {
        p[n++] = (struct pollfd){s->exit_fd, POLLIN, 0};
    }
    if (poll(p, n, ms) <= 0) {
        return false;
    }
    if (out >= 0 && p[out].revents != 0) {
        drain(s->c);
    }
    if (req >= 0 && p[req].revents != 0) {
        take_requests(s, false);
    }
    return true;
}

/* Until the child exits or `deadline` (ms) passes, collecting output.
 * With an exit_fd the exit wakes the poll at once (asleep at most
 * CANCEL_LOOK_MS, to see a cancelled run). Without one the exit is seen
 * at the next look, so after output (or EOF) look again after 1 ms, then
 * 2, 4, ... up to 20 ms: a client usually exits right after closing its
 * output, and a fixed 20 ms step cost up to 20 ms per run. */
#define CANCEL_LOOK_MS 100
static bool supervise(pid_t pid, int exit_fd, struct capture *c,
                      struct ubrowser *ub, int64_t deadline)
{
    struct sup s = {.pid = pid,
                    .c = c,
                    .ub = ub,
                    .deadline = deadline,
                    .exit_seen = -1,
                    .exit_fd = exit_fd};
    int step = exit_fd >= 0 ? CANCEL_LOOK_MS : 1;

    for (;;) {
        int64_t left = deadline - now_ms();
        int ms = left < step ? (int)left : step;
        if (exited(pid)) {
            return true;
        }
        if (left <= 0 || hr_cancelled()) {
            return false;
        }
        bool woke = pump(&s, ms);
        if (exit_fd < 0) {
            /* Output or its end: the exit is likely near, look soon. */
            step = woke ? 1 : (step >= 10 ? 20 : step * 2);
        }
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
    struct sup s = {.c = c, .exit_seen = -1, .exit_fd = -1};
    int64_t until = now_ms() + 500;

    /* Everything in the group is dead now, so EOF comes at once unless a
     * stray process escaped the group with our pipe; do not wait for it. */
    while (!c->eof && now_ms() < until) {
        pump(&s, 20);
    }
    res->dropped = c->dropped;
    res->output_len = c->buf.len;
    res->output = ac_buf_steal(&c->buf);
}

/* Writing an executable while another thread spawns a child races: the
 * child holds a copy of the write descriptor until it execs, and running
 * the file meanwhile fails with ETXTBSY. posix_spawn returns only after
 * the child has exec'd (closing O_CLOEXEC descriptors), so one lock
 * around both makes them exclusive. */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;

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
    const char *argv0 = x->argv[0];
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
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
    /* Nothing else of ours reaches the client, even a descriptor some
     * library opened without O_CLOEXEC (another scenario's sockets). */
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    posix_spawnattr_init(&at);
    /* Its own process group, so a timeout kills the client and everything
     * it started (its browser, its helpers) with one killpg. */
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
                                      POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &defs);
    pthread_mutex_lock(&spawn_lock);
    rc = posix_spawn(pid, x->argv[0], &fa, &at, (char *const *)x->argv, env);
    if (rc != 0 && x->fallback_argv != NULL) {
        argv0 = x->fallback_argv[0];
        rc = posix_spawn(pid, argv0, &fa, &at, (char *const *)x->fallback_argv,
                         env);
    }
    pthread_mutex_unlock(&spawn_lock);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    if (rc != 0) {
        AC_ERR(err, AC_ERR_IO, "cannot run %s: %s", argv0, strerror(rc));
        return false;
    }
    return true;
}

/* The client has exited; a user agent it started may still be recording
 * the last hop (the callback's response comes after the client read the
 * callback). Wait, up to HR_SETTLE_MS, until no helper holds its shared
 * lock on `path`, so that killing the group loses no record. A helper
 * not yet started is not waited for. */
static void settle(const char *path)
{
    int64_t until = now_ms() + HR_SETTLE_MS;
    int fd, step = 1;

    if (path == NULL ||
        (fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        return;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0 && now_ms() < until &&
           !hr_cancelled()) {
        poll(NULL, 0, step);
        step = step >= 10 ? 20 : step * 2;
    }
    close(fd); /* releases the lock: a later helper is not held up */
}

/* hr_exec_run, serving the in-process user agent's requests while the
 * client runs when `ub` is not NULL. Once the child has exited (not timed
 * out), wait until no helper holds a shared flock on `settle_lock`
 * (`authcheck browse --record FILE`, the wrapper's fallback, holds one on
 * FILE while it runs), at most HR_SETTLE_MS, before its process group is
 * killed: that user agent may still be recording the callback's
 * response. `settle_lock` may be NULL. */
static bool exec_run(const struct hr_exec *x, const char *settle_lock,
                     struct ubrowser *ub, struct hr_exec_result *res,
                     struct ac_err *err)
{
    struct capture c = {-1, false, {0}, 0, 0};
    int fds[2] = {-1, -1}, exit_fd = -1;
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
    exit_fd = exit_fd_open(pid); /* before any wait: the pid is ours */
    if (!supervise(pid, exit_fd, &c, ub, start + x->timeout_ms)) {
        res->timed_out = true;
        killpg(pid, SIGTERM);
        supervise(pid, exit_fd, &c, NULL, now_ms() + HR_KILL_GRACE_MS);
    } else {
        settle(settle_lock);
    }
    /* Whatever the client left running in its group goes too. */
    killpg(pid, SIGKILL);
    if (ub != NULL) {
        /* Requests of wrappers just killed are not walked (a stand-alone
         * browser not started yet would not have been either). */
        struct sup s = {
            .pid = pid, .c = &c, .ub = ub, .exit_seen = -1, .exit_fd = -1};
        take_requests(&s, true);
    }
    reap(pid, res);
    finish_capture(&c, res);
    res->duration_ms = now_ms() - start;
    ok = res->output != NULL;
    if (!ok) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory capturing output");
    }
out:
    ac_buf_free(&c.buf);
    if (exit_fd >= 0) {
        close(exit_fd);
    }
    if (fds[0] >= 0) {
        close(fds[0]);
    }
    if (fds[1] >= 0) {
        close(fds[1]);
    }
    return ok;
}

bool hr_exec_run(const struct hr_exec *x, struct hr_exec_result *res,
                 struct ac_err *err)
{
    return exec_run(x, NULL, NULL, res, err);
}

void hr_exec_result_free(struct hr_exec_result *res)
{
    if (res != NULL) {
        free(res->output);
        res->output = NULL;
    }
}

/* --- the scenario directory ----------------------------------------------- */

/* "<dir of exe>/name" ("./name" when exe has no directory): a program
 * installed next to authcheck. A new string, NULL when out of memory. */
static char *sibling(const char *exe, const char *name)
{
    const char *slash = strrchr(exe, '/');
    char *path = NULL;

    if (asprintf(&path, "%.*s/%s", slash ? (int)(slash - exe) : 1,
                 slash ? exe : ".", name) < 0) {
        return NULL;
    }
    return path;
}

char *hr_default_client_cmd(const char *authcheck_exe)
{
    char *exe = sibling(authcheck_exe, "mcp-oauth");
    char *q = exe ? hr_shell_quote(exe) : NULL, *cmd = NULL;

    if (q == NULL || asprintf(&cmd, "%s conformance", q) < 0) {
        cmd = NULL;
    }
    free(q);
    free(exe);
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

void hr_remove_legacy(const char *out_dir, const char *id)
{
    static const char *const names[] = {"home", "browser", "browser.jsonl"};
    struct ac_err err;

    for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s/%s", out_dir, id, names[k]) < 0) {
            return;
        }
        if (!rm_tree(p, &err)) {
            ac_log(AC_LOG_WARN, "%s", err.msg);
        }
        free(p);
    }
}

/* A scenario's private work directory: <tmp>/authcheck-XXXXXX (0700)
 * holding home/ (HOME and the XDG directories), the $BROWSER wrapper, its
 * FIFOs and the browser's record. It holds real tokens and codes: never
 * under the output directory, deleted after the scenario. */
struct sdir {
    char *dir, *home, *record, *browser;
    char *xdg[4]; /* config, data, state, cache */
    char *ca;     /* scenario "tls": the run CA's certificate, else NULL */
    struct ubrowser ub;
};

static void sdir_init(struct sdir *d)
{
    memset(d, 0, sizeof(*d));
    d->ub.in_fd = -1;
    for (size_t k = 0; k < HB_SLOTS; k++) {
        d->ub.st_fd[k] = -1;
    }
}

static void sdir_free(struct sdir *d)
{
    if (d->ub.in_fd >= 0) {
        /* A wrapper its client started detached, outliving the run, must
         * not block opening a FIFO nobody reads (--keep-homes keeps the
         * directory): gone, its open fails at once. */
        char *in = NULL;

        if (d->dir != NULL &&
            asprintf(&in, "%s/" HB_REQUEST_FIFO, d->dir) >= 0) {
            unlink(in);
            free(in);
        }
        close(d->ub.in_fd);
    }
    for (size_t k = 0; k < HB_SLOTS; k++) {
        if (d->ub.st_fd[k] >= 0) {
            close(d->ub.st_fd[k]);
        }
    }
    free(d->dir);
    free(d->home);
    free(d->record);
    free(d->browser);
    free(d->ca);
    for (size_t k = 0; k < 4; k++) {
        free(d->xdg[k]);
    }
}

/* A FIFO of the work directory, made and held open O_RDWR: neither the
 * harness nor a wrapper ever blocks opening it, and it never reads as
 * ended. */
static int open_fifo(const char *dir, const char *name, struct ac_err *err)
{
    char *path = NULL;
    int fd = -1;

    if (asprintf(&path, "%s/%s", dir, name) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return -1;
    }
    if (mkfifo(path, 0600) != 0 ||
        (fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
        AC_ERR(err, AC_ERR_IO, "cannot make %s: %s", path, strerror(errno));
    }
    free(path);
    return fd;
}

/* The request FIFO and one status FIFO per slot. */
static bool make_fifos(struct sdir *d, struct ac_err *err)
{
    char name[32];

    if ((d->ub.in_fd = open_fifo(d->dir, HB_REQUEST_FIFO, err)) < 0) {
        return false;
    }
    for (int k = 0; k < HB_SLOTS; k++) {
        snprintf(name, sizeof(name), HB_STATUS_PREFIX "%d", k);
        if ((d->ub.st_fd[k] = open_fifo(d->dir, name, err)) < 0) {
            return false;
        }
    }
    return true;
}

/* The longest interpreter path the wrapper's first line names: Linux
 * before 5.1 read only the first 127 bytes of a "#!" line. */
#define INTERP_MAX 120

/* The wrapper's interpreter: authcheck-browser next to `exe` when it is
 * there and the kernel can take it from a "#!" line (an absolute path,
 * short enough, no blank or control character: the line is split at the
 * first blank), else /bin/sh. A new string, NULL when out of memory. */
static char *interpreter(const char *exe)
{
    char *path = sibling(exe, HB_HELPER_NAME);
    bool fits = path != NULL && path[0] == '/' && strlen(path) <= INTERP_MAX;

    for (const char *p = path; fits && *p != '\0'; p++) {
        fits = (unsigned char)*p > ' ' && *p != 0x7f;
    }
    if (path != NULL && (!fits || access(path, X_OK) != 0)) {
        free(path);
        path = strdup("/bin/sh");
    }
    return path;
}

/* The $BROWSER wrapper: a shell script whose first line names
 * authcheck-browser when it can (interpreter), which runs the fast path
 * below itself and leaves every other call to /bin/sh and this text.
 * With one argument (no newline, shorter than HB_URL_MAX) it claims a
 * free slot N (`set -C`: the claim file is made with O_EXCL, so two
 * wrappers never share a slot), writes "N URL" to the request FIFO and
 * exits with the status the harness writes to slot N's FIFO, after
 * walking the URL in its own process (serve): shell builtins only, no
 * process started. Otherwise, or when all slots are taken, it runs
 * `authcheck browse` as before. Every wait is ended by the client's
 * timeout, which kills its group, the wrapper included. `extra`: options
 * for `authcheck browse` (the scenario's "browser" member), each a fixed
 * word, never from the scenario's text. */
static bool write_browser(const struct sdir *d, const char *exe,
                          const char *extra, struct ac_err *err)
{
    _Static_assert(HB_SLOTS == 8, "the slot list in the script below");
    char *qe = hr_shell_quote(exe), *qr = hr_shell_quote(d->record);
    char *qd = hr_shell_quote(d->dir), *interp = interpreter(exe);
    char *text = NULL;
    int fd = -1;
    bool ok = false;
    int n;

    n = qe && qr && qd && interp
            ? asprintf(&text,
                       "#!%s\n"
                       "# authcheck's headless user agent ($BROWSER): the\n"
                       "# harness walks the URL; see runner.c write_browser\n"
                       "d=%s\n"
                       "if [ $# -eq 1 ] && [ ${#1} -lt %d ]; then\n"
                       "    case $1 in\n"
                       "    *'\n"
                       "'*) ;;\n"
                       "    *)\n"
                       "        set -C\n"
                       "        for n in 0 1 2 3 4 5 6 7; do\n"
                       "            if { true >\"$d/" HB_CLAIM_PREFIX
                       "$n\"; } 2>/dev/null; then\n"
                       "                set +C\n"
                       "                printf '%%s %%s\\n' \"$n\" \"$1\" "
                       ">\"$d/" HB_REQUEST_FIFO "\" || exit 1\n"
                       "                read -r s <\"$d/" HB_STATUS_PREFIX
                       "$n\" || exit 1\n"
                       "                exit \"$s\"\n"
                       "            fi\n"
                       "        done\n"
                       "        set +C\n"
                       "        ;;\n"
                       "    esac\n"
                       "fi\n"
                       "exec %s browse --record %s%s \"$@\"\n",
                       interp, qd, HB_URL_MAX, qe, qr, extra)
            : -1;
    if (n < 0) {
        text = NULL;
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    pthread_mutex_lock(&spawn_lock);
    fd = open(d->browser, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    ok = fd >= 0 && write(fd, text, (size_t)n) == n && fchmod(fd, 0700) == 0;
    if (!ok) {
        AC_ERR(err, AC_ERR_IO, "cannot write %s: %s", d->browser,
               strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    pthread_mutex_unlock(&spawn_lock);
out:
    free(text);
    free(interp);
    free(qe);
    free(qr);
    free(qd);
    return ok;
}

/* Where work directories go: the caller's choice, $TMPDIR, else the
 * memory file system /dev/shm when there is one, else /tmp. A work
 * directory lives for one scenario (the wrapper, FIFOs, the client's HOME
 * and token store), so a disk buys nothing there and costs: on a file
 * system mounted with `discard`, every file deleted waits for the device
 * (docs/PERFORMANCE.md: -11% on a -j 2 suite here). */
static const char *tmp_base(const struct hr_options *opt)
{
    const char *t = opt->tmp_dir ? opt->tmp_dir : getenv("TMPDIR");
    struct statfs fs;

    if (t != NULL && t[0] != '\0') {
        return t;
    }
    if (statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC &&
        access("/dev/shm", W_OK | X_OK) == 0) {
        return "/dev/shm";
    }
    return "/tmp";
}

/* The browser wrapper's extra options for a scenario ("" for none). */
static const char *browser_options(const struct hs_scenario *sc)
{
    const json_t *b = json_object_get(sc->doc, "browser");

    return json_is_true(json_object_get(b, "forge_callback_first"))
               ? " --forge-callback-first"
               : "";
}

/* The work directory with home/, the XDG directories and the wrapper. */
static bool prepare_dir(const struct hs_scenario *sc,
                        const struct hr_options *opt, struct sdir *d,
                        struct ac_err *err)
{
    static const char *const sub[] = {".config", ".local/share", ".local/state",
                                      ".cache"};
    char *tmpl = NULL;

    if (asprintf(&tmpl, "%s/authcheck-XXXXXX", tmp_base(opt)) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        return false;
    }
    /* mkdtemp makes it 0700. Absolute paths: the client may change its
     * working directory before it opens $BROWSER or reads $HOME. */
    if (mkdtemp(tmpl) == NULL || (d->dir = realpath(tmpl, NULL)) == NULL) {
        AC_ERR(err, AC_ERR_IO, "cannot make a work directory %s: %s", tmpl,
               strerror(errno));
        free(tmpl);
        return false;
    }
    free(tmpl);
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
        if (!mkdir_p(d->xdg[k], 0700, err)) {
            return false;
        }
    }
    d->ub.base.record = d->record;
    d->ub.base.forge_callback_first = browser_options(sc)[0] != '\0';
    d->ub.base.connect_retry_ms = HB_RETRY_DEFAULT_MS;
    return make_fifos(d, err) &&
           write_browser(d, opt->authcheck_exe, browser_options(sc), err);
}

/* --- the client's environment --------------------------------------------- */

struct cenv {
    char *v[14];
};

static void cenv_free(struct cenv *e)
{
    for (size_t k = 0; k < 14; k++) {
        free(e->v[k]);
    }
}

static const char *var_value(const char *const *vars, const char *name,
                             size_t len)
{
    for (size_t k = 0; vars != NULL && vars[k] != NULL; k += 2) {
        if (strlen(vars[k]) == len && strncmp(vars[k], name, len) == 0) {
            return vars[k + 1];
        }
    }
    return NULL;
}

/* `s` with each ${name} that `vars` knows replaced. A new string. */
static json_t *expand(const char *s, const char *const *vars)
{
    struct ac_buf b;
    json_t *v;

    ac_buf_init(&b, 0);
    while (*s) {
        const char *open = strstr(s, "${");
        const char *close = open ? strchr(open + 2, '}') : NULL;
        const char *val =
            close ? var_value(vars, open + 2, (size_t)(close - open - 2))
                  : NULL;
        size_t lit = val ? (size_t)(open - s) : strlen(s);
        if (!ac_buf_append(&b, s, lit, NULL) ||
            (val && !ac_buf_append_str(&b, val, NULL))) {
            ac_buf_free(&b);
            return NULL;
        }
        s = val ? close + 1 : s + lit;
        if (!val && open != NULL) {
            break; /* the rest was appended as is */
        }
    }
    v = json_stringn(b.data ? b.data : "", b.len);
    ac_buf_free(&b);
    return v;
}

/* A deep copy of `v` with every string expanded. */
static json_t *expand_json(const json_t *v, const char *const *vars)
{
    json_t *out = NULL;
    const char *key;
    const json_t *item;
    size_t i;

    if (json_is_string(v)) {
        return expand(json_string_value(v), vars);
    }
    if (json_is_object(v)) {
        out = json_object();
        json_object_foreach((json_t *)v, key, item)
        {
            if (out == NULL ||
                json_object_set_new(out, key, expand_json(item, vars)) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    if (json_is_array(v)) {
        out = json_array();
        json_array_foreach(v, i, item)
        {
            if (out == NULL ||
                json_array_append_new(out, expand_json(item, vars)) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    return json_deep_copy(v);
}

/* The backoffs a client is asked to use (an authcheck extension of the
 * context, like tool): the mocks script outages by request count, not by
 * time, so waiting between retries only costs wall-clock time. A scenario
 * whose point is the wait sets its own in client.context. */
#define HR_RETRY_BACKOFF_MS 1
#define HR_RETRY_MAX_WAIT_MS 20

json_t *hr_context(const struct hs_scenario *sc, const char *const *vars)
{
    const json_t *client = json_object_get(sc->doc, "client");
    json_t *extra = expand_json(json_object_get(client, "context"), vars);
    /* A scenario with an official id passes what the official suite
     * passes: name plus its own keys (client_id, client_secret, issuer,
     * private_key_pem, signing_algorithm). Elsewhere the tool to call, its
     * arguments and the retry backoffs ride along (authcheck extensions). */
    bool official =
        ac_json_array_has_str(json_object_get(sc->doc, "suites"), "official");
    json_t *ctx = official
                      ? json_object()
                      : json_pack("{s:O?, s:O?, s:i, s:i}", "tool",
                                  json_object_get(client, "tool"), "arguments",
                                  json_object_get(client, "arguments"),
                                  "retry_backoff_ms", HR_RETRY_BACKOFF_MS,
                                  "retry_max_wait_ms", HR_RETRY_MAX_WAIT_MS);

    if (ctx == NULL || (extra != NULL && !json_is_object(extra)) ||
        (extra != NULL && json_object_update(ctx, extra) != 0) ||
        json_object_set_new(ctx, "name", json_string(sc->id)) != 0) {
        json_decref(ctx);
        ctx = NULL;
    }
    json_decref(extra);
    return ctx;
}

/* Context members that are credentials, for redaction. */
static bool secret_key(const char *key)
{
    /* "jwt": the official WIF keys valid_jwt, wrong_audience_jwt, ... */
    static const char *const words[] = {
        "secret", "private", "password", "token", "assertion", "jwt", NULL};

    for (size_t k = 0; words[k] != NULL; k++) {
        if (strstr(key, words[k]) != NULL) {
            return true;
        }
    }
    return false;
}

static void context_secrets(const json_t *ctx, json_t *secrets)
{
    const char *key;
    const json_t *v;

    json_object_foreach((json_t *)ctx, key, v)
    {
        if (json_is_string(v) && secret_key(key) &&
            json_string_length(v) >= 4) {
            json_array_append_new(secrets, json_string(json_string_value(v)));
        } else if (json_is_object(v)) {
            context_secrets(v, secrets);
        }
    }
}

/* Append one name/value pair; false when out of memory (the name is
 * then NULL, which ends the list early). */
static bool add_var(char **v, size_t *k, char *name, const char *value)
{
    v[*k] = name;
    v[*k + 1] = (char *)(value ? value : "");
    *k += 2;
    return name != NULL;
}

/* The ${...} variables of client.context: a new NULL-terminated array of
 * name/value pairs (names owned, values borrowed from the world):
 * mcp_url, resource, prm_url, issuer, issuer:ID, and for the CIMD host's
 * documents cimd_url (the first) and cimd_url:PATH. */
static char **world_vars(const struct hs_scenario *sc, struct mo_world *w)
{
    const json_t *docs = json_object_get(sc->doc, "client_metadata_documents");
    size_t nas = mo_world_as_count(w), ndocs = json_array_size(docs), k = 0;
    char **v = calloc(2 * (nas + ndocs + 6) + 1, sizeof(*v));
    bool ok = v != NULL;

    ok = ok && add_var(v, &k, strdup("mcp_url"), mo_world_mcp_url(w));
    ok = ok && add_var(v, &k, strdup("resource"), mo_world_resource(w));
    ok = ok && add_var(v, &k, strdup("prm_url"), mo_world_prm_url(w));
    ok = ok &&
         add_var(v, &k, strdup("issuer"), nas > 0 ? mo_world_issuer(w, 0) : "");
    for (size_t i = 0; ok && i < nas; i++) {
        char *name = NULL;
        if (asprintf(&name, "issuer:%s", mo_world_as_id(w, i)) < 0) {
            name = NULL;
        }
        ok = add_var(v, &k, name, mo_world_issuer(w, i));
    }
    for (size_t i = 0; ok && i < ndocs; i++) {
        const char *path =
            json_string_value(json_object_get(json_array_get(docs, i), "path"));
        char *name = NULL;
        if (i == 0) {
            ok = add_var(v, &k, strdup("cimd_url"),
                         mo_world_client_metadata_url(w, 0));
        }
        if (ok && path != NULL && asprintf(&name, "cimd_url:%s", path) < 0) {
            name = NULL;
            ok = false;
        }
        if (ok && path != NULL) {
            ok = add_var(v, &k, name, mo_world_client_metadata_url(w, i));
        }
    }
    (void)ok; /* on failure the list just ends early */
    return v;
}

/* The extensions' ${...} variables (mo_world_ext_vars), appended to
 * `v` (a world_vars list with room: see world_vars). */
static char **ext_vars(char **v, const json_t *ext)
{
    size_t k = 0, n = json_object_size(ext);
    const char *key;
    const json_t *val;
    char **out;

    while (v != NULL && v[k] != NULL) {
        k += 2;
    }
    out = v != NULL ? realloc(v, (k + 2 * n + 1) * sizeof(*v)) : NULL;
    if (out == NULL) {
        return v;
    }
    out[k] = NULL;
    json_object_foreach((json_t *)ext, key, val)
    {
        if (!add_var(out, &k, strdup(key), json_string_value(val))) {
            break;
        }
        out[k] = NULL;
    }
    return out;
}

static void world_vars_free(char **v)
{
    for (size_t k = 0; v != NULL && v[k] != NULL; k += 2) {
        free(v[k]);
    }
    free(v);
}

/* Scenario "tls": the run CA's certificate in the work directory, named
 * by the variables TLS stacks read (docs/CLIENT.md "TLS"), v[9..12]. */
static bool tls_env(const struct hs_scenario *sc, struct sdir *d,
                    struct cenv *e, struct ac_err *err)
{
    static const char *const names[] = {"SSL_CERT_FILE", "CURL_CA_BUNDLE",
                                        "NODE_EXTRA_CA_CERTS",
                                        "REQUESTS_CA_BUNDLE"};
    char *path = NULL;
    bool ok;

    if (!json_is_true(json_object_get(sc->doc, "tls"))) {
        return true;
    }
    if (asprintf(&path, "%s/ca.pem", d->dir) < 0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory building the environment");
        return false;
    }
    ok = ac_tls_write_ca(path, err);
    for (size_t k = 0; ok && k < 4; k++) {
        if (asprintf(&e->v[9 + k], "%s=%s", names[k], path) < 0) {
            e->v[9 + k] = NULL;
            AC_ERR(err, AC_ERR_NOMEM, "out of memory building the environment");
            ok = false;
        }
    }
    /* The in-process user agent trusts it too: the harness's own
     * environment does not name it. */
    d->ca = path;
    d->ub.base.ca_file = path;
    return ok;
}

static bool build_cenv(const struct hs_scenario *sc,
                       const struct hr_options *opt, struct sdir *d,
                       struct mo_world *w, json_t *secrets, struct cenv *e,
                       struct ac_err *err)
{
    json_t *ext = mo_world_ext_vars(w);
    char **vars = ext != NULL ? ext_vars(world_vars(sc, w), ext) : NULL;
    json_t *ctx = vars ? hr_context(sc, (const char *const *)vars) : NULL;
    char *text = ctx ? json_dumps(ctx, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    const char *pv =
        opt->protocol_version ? opt->protocol_version : sc->newest_spec;
    int bad = text == NULL;

    if (ctx != NULL && secrets != NULL) {
        context_secrets(ctx, secrets);
    }
    bad |= asprintf(&e->v[0], "MCP_CONFORMANCE_SCENARIO=%s", sc->id) < 0;
    bad |= asprintf(&e->v[1], "MCP_CONFORMANCE_PROTOCOL_VERSION=%s", pv) < 0;
    bad |= text == NULL ||
           asprintf(&e->v[2], "MCP_CONFORMANCE_CONTEXT=%s", text) < 0;
    bad |= asprintf(&e->v[3], "BROWSER=%s", d->browser) < 0;
    bad |= asprintf(&e->v[4], "HOME=%s", d->home) < 0;
    bad |= asprintf(&e->v[5], "XDG_CONFIG_HOME=%s", d->xdg[0]) < 0;
    bad |= asprintf(&e->v[6], "XDG_DATA_HOME=%s", d->xdg[1]) < 0;
    bad |= asprintf(&e->v[7], "XDG_STATE_HOME=%s", d->xdg[2]) < 0;
    bad |= asprintf(&e->v[8], "XDG_CACHE_HOME=%s", d->xdg[3]) < 0;
    e->v[9] = NULL;
    free(text);
    json_decref(ctx);
    world_vars_free(vars);
    json_decref(ext); /* after the vars: they borrow its strings */
    if (bad) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory building the environment");
        return false;
    }
    return tls_env(sc, d, e, err);
}

/* Workload identity federation: the token file the platform keeps
 * fresh (WORK/workload.jwt, the context's ${wif_assertion_file}). */
static bool workload_file(struct mo_world *w, const struct sdir *d,
                          struct ac_err *err)
{
    char *path = NULL;
    bool ok = asprintf(&path, "%s/workload.jwt", d->dir) >= 0 &&
              mo_world_set_workload_file(w, path, err);

    if (path == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
    }
    free(path);
    return ok;
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

/* Evaluate one check into `out`; true unless it fails the scenario. */
static bool evaluate_one(const struct hc_check *c, const struct hc_input *in,
                         bool key, const struct hr_options *opt, json_t *out)
{
    struct hc_result r;

    hc_evaluate(c, in, &r);
    /* A pending scenario's checks stay SKIPPED: it is not run at all. */
    if (key && ac_json_str(in->scenario, "pending") == NULL) {
        hc_require_exercised(&r);
    }
    r.message[sizeof(r.message) - 1] = '\0';
    json_array_append_new(out, hc_result_json(c, &r, key));
    return r.status != HC_FAILURE &&
           !(opt != NULL && opt->strict && r.status == HC_WARNING);
}

/* Evaluate the scenario's key checks, then every baseline check it does
 * not list (DESIGN.md "Baseline and key checks"); true when the scenario
 * passes. */
static bool evaluate(const struct hs_scenario *sc, const struct hr_options *opt,
                     const json_t *transcript, const struct hc_run *runs,
                     size_t nruns, json_t *out)
{
    const json_t *ids = json_object_get(sc->doc, "checks");
    struct hc_input in = {sc->doc, transcript, runs, nruns};
    const struct hc_check *reg;
    const json_t *idv;
    size_t i, n;
    bool passed = true;

    json_array_foreach(ids, i, idv)
    {
        const struct hc_check *c = hc_find(json_string_value(idv));
        if (c != NULL) { /* the loader rejected unknown ids */
            passed = evaluate_one(c, &in, true, opt, out) && passed;
        }
    }
    reg = hc_registry(&n);
    /* A pending scenario is not run: only what it lists is reported. */
    if (ac_json_str(sc->doc, "pending") != NULL) {
        n = 0;
    }
    for (i = 0; i < n; i++) {
        if (reg[i].baseline && !ac_json_array_has_str(ids, reg[i].id)) {
            passed = evaluate_one(&reg[i], &in, false, opt, out) && passed;
        }
    }
    return passed;
}

/* Feed the browser's hops (one JSON exchange per line) to the transcript,
 * then delete the file: it holds real codes and state. */
static void ingest_record(struct mo_world *w, const char *path)
{
    /* "e": O_CLOEXEC, or a client spawned meanwhile by another thread
     * would inherit it. */
    FILE *f = fopen(path, "re");
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

/* The MCP URL run `k` gets: the server client.urls names, else the
 * scenario's MCP server. Borrowed from the world. */
static const char *run_url(const struct hs_scenario *sc,
                           const struct mo_world *w, int k)
{
    const json_t *urls =
        json_object_get(json_object_get(sc->doc, "client"), "urls");
    const char *id = json_string_value(json_array_get(urls, (size_t)k));
    const char *url = id != NULL ? mo_world_mcp_url_by_id(w, id) : NULL;

    return url != NULL ? url : mo_world_mcp_url(w);
}

/* The client runs: false on a harness error (err set). */
static bool run_client(const struct hs_scenario *sc,
                       const struct hr_options *opt, const struct mo_world *w,
                       const struct cenv *env, struct sdir *d, json_t *res,
                       struct hc_run *runs, size_t *nruns, struct ac_err *err)
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
        const char *mcp_url = run_url(sc, w, k);
        const char *shell[] = {"/bin/sh", "-c", script, "sh", mcp_url, NULL};
        /* A plain word list runs without the shell; should its program not
         * be executable, the shell runs the command as it always did (and
         * says why, with its exit status 126 or 127). */
        char **words = hr_plain_argv(cmd, mcp_url);
        struct hr_exec x = {words != NULL ? (const char *const *)words : shell,
                            (const char *const *)env->v,
                            opt->timeout_ms > 0 ? opt->timeout_ms
                                                : sc->timeout_ms,
                            HR_OUTPUT_CAP, words != NULL ? shell : NULL};
        struct hr_exec_result r;
        bool ran;
        if (opt->verbose) {
            ac_log(AC_LOG_INFO, "%s: run %d/%d: %s %s", sc->id, k + 1, sc->runs,
                   cmd, mcp_url);
        }
        ran = exec_run(&x, d->record, &d->ub, &r, err);
        free(words);
        if (!ran) {
            goto out;
        }
        if (hr_cancelled()) {
            hr_exec_result_free(&r);
            AC_ERR(err, AC_ERR_IO, "interrupted");
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

/* Delete the work directory, or keep it and say where. */
static void finish_dir(const struct hs_scenario *sc,
                       const struct hr_options *opt, const struct sdir *d,
                       json_t *res)
{
    struct ac_err err;

    if (d->dir == NULL) {
        return;
    }
    if (opt->keep_homes) {
        json_object_set_new(res, "work_dir", json_string(d->dir));
        return;
    }
    if (!rm_tree(d->dir, &err)) {
        ac_log(AC_LOG_WARN, "%s: %s", sc->id, err.msg);
    }
}

static void collect(struct mo_world *w, const struct sdir *d, json_t *res,
                    json_t *secrets, json_t **tr)
{
    ingest_record(w, d->record);
    *tr = mo_world_transcript(w);
    if (secrets != NULL) {
        json_t *s = mo_world_secrets(w);
        json_array_extend(secrets, s);
        json_decref(s);
    }
    if (*tr != NULL) {
        json_object_set(res, "transcript", *tr);
    }
}

/* A pending scenario (scenarios/SCHEMA.md) is not run: no mocks, no work
 * directory, no client. Every check is evaluated on the empty transcript,
 * which hc_evaluate answers SKIPPED with the reason. */
static json_t *skip_scenario(const struct hs_scenario *sc, const char *why,
                             json_t *res)
{
    json_t *tr = json_array();

    if (tr == NULL ||
        json_object_set_new(res, "status", json_string("skipped")) != 0 ||
        json_object_set_new(res, "skip_reason", json_string(why)) != 0) {
        json_decref(tr);
        json_decref(res);
        return NULL;
    }
    evaluate(sc, NULL, tr, NULL, 0, json_object_get(res, "checks"));
    json_decref(tr);
    return res;
}

/* The first of the scenario's "features" the client does not claim, or
 * NULL when it claims them all or declared none (opt->client_features
 * NULL). Borrowed. */
static const char *missing_feature(const struct hs_scenario *sc,
                                   const struct hr_options *opt)
{
    const json_t *need = json_object_get(sc->doc, "features");
    const json_t *f;
    size_t i;

    if (opt->client_features == NULL) {
        return NULL;
    }
    json_array_foreach(need, i, f)
    {
        const char *name = json_string_value(f);
        size_t k = 0;
        while (opt->client_features[k] != NULL &&
               strcmp(opt->client_features[k], name) != 0) {
            k++;
        }
        if (opt->client_features[k] == NULL) {
            return name;
        }
    }
    return NULL;
}

/* A scenario needing a feature the client does not claim is not run:
 * status "not_applicable", no checks, the reason in "skip_reason". */
static json_t *not_applicable(const char *feature, json_t *res)
{
    char *why = NULL;

    if (asprintf(&why, "the client does not claim feature \"%s\"", feature) <
        0) {
        why = NULL;
    }
    if (why == NULL ||
        json_object_set_new(res, "status", json_string("not_applicable")) !=
            0 ||
        json_object_set_new(res, "skip_reason", json_string(why)) != 0) {
        free(why);
        json_decref(res);
        return NULL;
    }
    free(why);
    return res;
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
    const char *pending = ac_json_str(sc->doc, "pending");

    ac_err_clear(&err);
    if (res == NULL) {
        return NULL;
    }
    if (missing_feature(sc, opt) != NULL) {
        return not_applicable(missing_feature(sc, opt), res);
    }
    if (pending != NULL) {
        return skip_scenario(sc, pending, res);
    }
    sdir_init(&d);
    if (!prepare_dir(sc, opt, &d, &err)) {
        set_error(res, &err);
        goto out;
    }
    if (!mo_world_start(sc->doc, &w, &err)) {
        ac_err_prefix(&err, "starting the mock servers");
        set_error(res, &err);
        goto out;
    }
    if (!workload_file(w, &d, &err) ||
        !build_cenv(sc, opt, &d, w, secrets, &env, &err) ||
        !run_client(sc, opt, w, &env, &d, res, runs, &nruns, &err)) {
        set_error(res, &err);
    }
    collect(w, &d, res, secrets, &tr);
    if (err.code == AC_OK) {
        bool passed =
            evaluate(sc, opt, tr ? tr : json_object_get(res, "transcript"),
                     runs, nruns, json_object_get(res, "checks"));
        json_object_set_new(res, "status",
                            json_string(passed ? "passed" : "failed"));
    }
out:
    mo_world_stop(w);
    finish_dir(sc, opt, &d, res);
    json_decref(tr);
    json_object_set_new(res, "duration_ms",
                        json_integer((json_int_t)(now_ms() - start)));
    cenv_free(&env);
    sdir_free(&d);
    return res;
}
