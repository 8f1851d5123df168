/* authcheck-browser: the interpreter of the $BROWSER wrapper script
 * (harness/wrapper.h). The script's first line names this program, so
 * the kernel runs it as `authcheck-browser SCRIPT ARG...`. With one URL
 * it does what the script's shell code would: claim a slot in the
 * script's directory, hand "SLOT URL" to the harness and exit with the
 * status of the harness's walk. Anything else (other arguments, no free
 * slot, no harness FIFO) runs the script with /bin/sh, whose code makes
 * the same attempt and then runs `authcheck browse`.
 *
 * Why a program of its own: every authorization of every scenario starts
 * the wrapper, and a shell costs twice the CPU of this static program to
 * start (docs/PERFORMANCE.md, "The -j ceiling measured on the suite, and a
 * static wrapper interpreter").
 * It links nothing but libc, statically: no loader, no shared objects. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/wrapper.h"

/* Longer work directories are left to the shell. */
#define DIR_MAX 3072
#define PATH_LEN (DIR_MAX + 32)

/* `url` is one the harness takes: short enough, one line. */
static bool walkable(const char *url)
{
    return strlen(url) < HB_URL_MAX && strchr(url, '\n') == NULL;
}

/* dir/PREFIX N, one of a slot's files (wrapper.h). */
static void slot_path(char path[PATH_LEN], const char *dir, const char *prefix,
                      int n)
{
    snprintf(path, PATH_LEN, "%s/%s%d", dir, prefix, n);
}

/* The request FIFO of `dir`, open for writing, or -1 when it is not a
 * FIFO with a reader (not a harness's work directory: leave it to the
 * shell). O_NONBLOCK only for the open, which would otherwise wait for a
 * reader; the write then blocks as the shell's would. */
static int open_request(const char *dir)
{
    char path[PATH_LEN];
    struct stat st;
    int fd;

    snprintf(path, sizeof(path), "%s/" HB_REQUEST_FIFO, dir);
    fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) ||
        fcntl(fd, F_SETFL, 0) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The first free slot of `dir`, claimed; -1 when all are taken. */
static int claim_slot(const char *dir)
{
    char path[PATH_LEN];

    for (int n = 0; n < HB_SLOTS; n++) {
        int fd;

        slot_path(path, dir, HB_CLAIM_PREFIX, n);
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            close(fd);
            return n;
        }
    }
    return -1;
}

/* The status the harness writes to slot `n`: "DIGITS\n". 1 when it
 * cannot be read, as the shell's `read ... || exit 1`. */
static int await_status(const char *dir, int n)
{
    char path[PATH_LEN], line[16];
    size_t len = 0;
    int fd;

    slot_path(path, dir, HB_STATUS_PREFIX, n);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    while (fd >= 0 && len + 1 < sizeof(line) &&
           memchr(line, '\n', len) == NULL) {
        ssize_t r = read(fd, line + len, sizeof(line) - 1 - len);

        if (r > 0) {
            len += (size_t)r;
        } else if (r == 0 || errno != EINTR) {
            break;
        }
    }
    if (fd >= 0) {
        close(fd);
    }
    line[len] = '\0';
    if (len == 0 || line[0] < '0' || line[0] > '9') {
        return 1;
    }
    return atoi(line) & 0xff;
}

/* The fast path: the exit status, or -1 to leave the call to the shell. */
static int hand_over(const char *script, const char *url)
{
    const char *slash = strrchr(script, '/');
    char dir[DIR_MAX], req[HB_URL_MAX + 16];
    size_t dlen = slash != NULL ? (size_t)(slash - script) : 0;
    int fd, n, len;

    if (slash == NULL || dlen >= sizeof(dir) || !walkable(url)) {
        return -1;
    }
    memcpy(dir, script, dlen);
    dir[dlen] = '\0';
    if ((fd = open_request(dir)) < 0) {
        return -1;
    }
    if ((n = claim_slot(dir)) < 0) {
        close(fd);
        return -1;
    }
    len = snprintf(req, sizeof(req), "%d %s\n", n, url);
    if (write(fd, req, (size_t)len) != len) {
        close(fd);
        return 1; /* as the shell's `printf ... || exit 1` */
    }
    close(fd);
    return await_status(dir, n);
}

int main(int argc, char **argv)
{
    static char sh_name[] = "sh";
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: " HB_HELPER_NAME " SCRIPT [ARG...]\n"
                        "(the interpreter of authcheck's $BROWSER wrapper; "
                        "run by the kernel, not by hand)\n");
        return 2;
    }
    if (argc == 3 && (rc = hand_over(argv[1], argv[2])) >= 0) {
        return rc;
    }
    /* `sh SCRIPT ARG...`: our own argv with "sh" in place of our name. */
    argv[0] = sh_name;
    execv("/bin/sh", argv);
    fprintf(stderr, HB_HELPER_NAME ": /bin/sh: %s\n", strerror(errno));
    return 127;
}
