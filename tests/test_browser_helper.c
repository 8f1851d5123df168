/* authcheck-browser, the $BROWSER wrapper's interpreter
 * (harness/browser_helper.c), run as the kernel runs it
 * (`authcheck-browser SCRIPT ARG...`) in a directory made here, where the
 * test plays the harness's end of harness/wrapper.h: it holds the FIFOs,
 * reads the request and writes the status. The script is a stand-in
 * that says it ran and exits 7, so a call left to /bin/sh shows.
 * Runs $AUTHCHECK_BINDIR/authcheck-browser (make run-tests sets it). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness/wrapper.h"
#include "tests/support/asserts.h"

#define URL "http://127.0.0.1:9/authorize?client_id=c&state=s"

struct fixture {
    char helper[512];
    char dir[512];    /* the work directory */
    char script[600]; /* dir/browser */
    int in_fd;        /* the request FIFO, O_RDWR as the harness holds it */
    int st_fd[HB_SLOTS];
};

static void path_in(const struct fixture *f, const char *name, char *out,
                    size_t n)
{
    assert_int_cmp(snprintf(out, n, "%s/%s", f->dir, name), <, (int)n);
}

static int fifo(const struct fixture *f, const char *name)
{
    char p[700];

    path_in(f, name, p, sizeof(p));
    assert_int_equal(mkfifo(p, 0600), 0);
    return open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
}

/* The stand-in wrapper script at `path`: says it ran, exits 7. */
static bool write_script(const char *path)
{
    static const char text[] = "#!/bin/sh\n"
                               "echo \"shell $#:$*\"\n"
                               "exit 7\n";
    FILE *fp = fopen(path, "w");

    return fp != NULL && fputs(text, fp) >= 0 && fclose(fp) == 0 &&
           chmod(path, 0700) == 0;
}

static int setup(void **state)
{
    const char *bin = getenv("AUTHCHECK_BINDIR");
    const char *tmp = getenv("AUTHCHECK_TMP");
    struct fixture *f = calloc(1, sizeof(*f));
    char name[32];

    snprintf(f->helper, sizeof(f->helper), "%s/" HB_HELPER_NAME,
             bin ? bin : "bin");
    snprintf(f->dir, sizeof(f->dir), "%s/helper-XXXXXX", tmp ? tmp : "/tmp");
    if (access(f->helper, X_OK) != 0 || mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->script, sizeof(f->script), "%s/browser", f->dir);
    if (!write_script(f->script)) {
        free(f);
        return -1;
    }
    f->in_fd = fifo(f, HB_REQUEST_FIFO);
    for (int k = 0; k < HB_SLOTS; k++) {
        snprintf(name, sizeof(name), HB_STATUS_PREFIX "%d", k);
        f->st_fd[k] = fifo(f, name);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[700];

    close(f->in_fd);
    for (int k = 0; k < HB_SLOTS; k++) {
        close(f->st_fd[k]);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Before each test: no slot claimed. */
static int unclaim(void **state)
{
    struct fixture *f = *state;
    char name[32], p[700];

    for (int k = 0; k < HB_SLOTS; k++) {
        snprintf(name, sizeof(name), HB_CLAIM_PREFIX "%d", k);
        path_in(f, name, p, sizeof(p));
        unlink(p);
    }
    return 0;
}

static bool claimed(const struct fixture *f, int slot)
{
    char name[32], p[700];

    snprintf(name, sizeof(name), HB_CLAIM_PREFIX "%d", slot);
    path_in(f, name, p, sizeof(p));
    return access(p, F_OK) == 0;
}

/* Start `helper script args...` (args NULL-terminated) with its stdout
 * and stderr into a pipe; *out_fd is the pipe's read end. */
static pid_t start(const struct fixture *f, const char *script,
                   const char *const *args, int *out_fd)
{
    const char *argv[8] = {f->helper, script};
    int p[2];
    pid_t pid;
    size_t n = 2;

    for (size_t i = 0; args[i] != NULL && n < 7; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_int_cmp(pid, >=, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execv(argv[0], (char *const *)argv);
        _exit(126);
    }
    close(p[1]);
    *out_fd = p[0];
    return pid;
}

/* Its exit status, and what it printed (into out, NUL-terminated). A
 * helper still running after 5 s (waiting for a status nobody writes)
 * is killed and fails the test. */
static int finish(pid_t pid, int out_fd, char *out, size_t n)
{
    struct pollfd pfd = {.fd = out_fd, .events = POLLIN};
    size_t len = 0;
    ssize_t r = 1;
    int st;

    while (r > 0 && len + 1 < n) {
        if (poll(&pfd, 1, 5000) != 1) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            close(out_fd);
            fail_msg("the helper still runs after 5 s");
        }
        if ((r = read(out_fd, out + len, n - 1 - len)) > 0) {
            len += (size_t)r;
        }
    }
    out[len] = '\0';
    close(out_fd);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* The harness's side: the next request line, within 5 s. */
static void read_request(const struct fixture *f, char *line, size_t n)
{
    struct pollfd pfd = {.fd = f->in_fd, .events = POLLIN};
    size_t len = 0;

    while (len == 0 || line[len - 1] != '\n') {
        ssize_t r;

        assert_int_equal(poll(&pfd, 1, 5000), 1);
        r = read(f->in_fd, line + len, n - 1 - len);
        assert_int_cmp(r, >, 0);
        len += (size_t)r;
        assert_int_cmp(len + 1, <, n);
    }
    line[len] = '\0';
}

/* Nothing was written to the request FIFO. */
static void no_request(const struct fixture *f)
{
    char c;

    assert_int_equal(read(f->in_fd, &c, 1), -1);
    assert_int_equal(errno, EAGAIN);
}

/* One URL: the first free slot is claimed, "SLOT URL" handed over, and
 * the helper exits with the status the harness writes to that slot;
 * the next call takes the next slot. Neither runs the shell. */
static void test_hands_the_url_over(void **state)
{
    struct fixture *f = *state;
    const char *args[] = {URL, NULL};
    char line[4200], out[256];
    int fd;
    pid_t pid;

    pid = start(f, f->script, args, &fd);
    read_request(f, line, sizeof(line));
    assert_string_equal(line, "0 " URL "\n");
    assert_true(claimed(f, 0));
    assert_int_equal(write(f->st_fd[0], "3\n", 2), 2);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 3);
    assert_string_equal(out, "");

    pid = start(f, f->script, args, &fd);
    read_request(f, line, sizeof(line));
    assert_string_equal(line, "1 " URL "\n");
    assert_int_equal(write(f->st_fd[1], "0\n", 2), 2);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 0);
    assert_string_equal(out, "");
}

/* A status that is no number (or an empty line) exits 1, as the shell's
 * `read` would leave `exit` nothing to exit with. */
static void test_unreadable_status_is_1(void **state)
{
    struct fixture *f = *state;
    const char *args[] = {URL, NULL};
    char line[4200], out[256];
    int fd;
    pid_t pid = start(f, f->script, args, &fd);

    read_request(f, line, sizeof(line));
    assert_int_equal(write(f->st_fd[0], "x\n", 2), 2);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 1);
}

/* Every slot taken: the shell runs the script. */
static void test_no_free_slot_goes_to_the_shell(void **state)
{
    struct fixture *f = *state;
    const char *args[] = {URL, NULL};
    char name[32], p[700], out[256];
    int fd;
    pid_t pid;

    for (int k = 0; k < HB_SLOTS; k++) {
        snprintf(name, sizeof(name), HB_CLAIM_PREFIX "%d", k);
        path_in(f, name, p, sizeof(p));
        close(open(p, O_WRONLY | O_CREAT | O_EXCL, 0600));
    }
    pid = start(f, f->script, args, &fd);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 7);
    assert_string_equal(out, "shell 1:" URL "\n");
    no_request(f);
}

/* No URL, two arguments, a URL with a newline, a URL of HB_URL_MAX
 * bytes: the shell runs the script with the same arguments, nothing is
 * handed over and no slot is claimed. */
static void test_odd_calls_go_to_the_shell(void **state)
{
    struct fixture *f = *state;
    static char longurl[HB_URL_MAX + 1];
    const char *none[] = {NULL}, *two[] = {URL, URL, NULL};
    const char *newline[] = {URL "\nx", NULL}, *toolong[] = {longurl, NULL};
    char out[HB_URL_MAX + 64];
    int fd;
    pid_t pid;

    memset(longurl, 'a', HB_URL_MAX);
    memcpy(longurl, "http://", 7);
    pid = start(f, f->script, none, &fd);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 7);
    assert_string_equal(out, "shell 0:\n");
    pid = start(f, f->script, two, &fd);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 7);
    assert_string_equal(out, "shell 2:" URL " " URL "\n");
    pid = start(f, f->script, newline, &fd);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 7);
    assert_string_equal(out, "shell 1:" URL "\nx\n");
    pid = start(f, f->script, toolong, &fd);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 7);
    assert_int_equal(strncmp(out, "shell 1:http://aaa", 18), 0);
    no_request(f);
    for (int k = 0; k < HB_SLOTS; k++) {
        assert_false(claimed(f, k));
    }
}

/* A script in a directory that is not a harness's (no request FIFO, or
 * a plain file in its place): left to the shell, no slot claimed there. */
static void test_not_a_work_directory(void **state)
{
    struct fixture *f = *state;
    const char *args[] = {URL, NULL};
    char plain[600], script[700], in[700], claim[700], out[256];
    int fd;
    pid_t pid;

    path_in(f, "plain", plain, sizeof(plain));
    assert_int_equal(mkdir(plain, 0700), 0);
    snprintf(script, sizeof(script), "%s/browser", plain);
    snprintf(in, sizeof(in), "%s/" HB_REQUEST_FIFO, plain);
    snprintf(claim, sizeof(claim), "%s/" HB_CLAIM_PREFIX "0", plain);
    assert_true(write_script(script));
    pid = start(f, script, args, &fd);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 7);
    assert_string_equal(out, "shell 1:" URL "\n");
    assert_int_equal(access(claim, F_OK), -1);

    close(open(in, O_WRONLY | O_CREAT | O_EXCL, 0600));
    pid = start(f, script, args, &fd);
    assert_int_equal(finish(pid, fd, out, sizeof(out)), 7);
    assert_string_equal(out, "shell 1:" URL "\n");
    assert_int_equal(access(claim, F_OK), -1);
}

/* Run by hand without a script: usage, exit 2. */
static void test_usage(void **state)
{
    struct fixture *f = *state;
    char cmd[700];

    snprintf(cmd, sizeof(cmd), "'%s' 2>/dev/null", f->helper);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_hands_the_url_over, unclaim),
        cmocka_unit_test_setup(test_unreadable_status_is_1, unclaim),
        cmocka_unit_test_setup(test_no_free_slot_goes_to_the_shell, unclaim),
        cmocka_unit_test_setup(test_odd_calls_go_to_the_shell, unclaim),
        cmocka_unit_test_setup(test_not_a_work_directory, unclaim),
        cmocka_unit_test(test_usage),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
