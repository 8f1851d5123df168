/* Wall time of one command for `make bench` (scripts/bench_suite.sh):
 * runs CMD with its arguments (no shell, PATH searched), waits for it and
 * appends its wall time in milliseconds, one decimal, to OUT. Timing with
 * `date` costs two process starts inside the measured window (milliseconds
 * on a VM), more than the fixed cost the bench reports on.
 *
 * usage: walltime OUT CMD [ARG...]; exits with CMD's status (127 when it
 * cannot be run, 128 + N when signal N ended it). */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    pid_t pid;
    int status = 0, rc;
    double t0, t1;
    FILE *out;

    if (argc < 3) {
        fputs("usage: walltime OUT CMD [ARG...]\n", stderr);
        return 2;
    }
    t0 = now_ms();
    rc = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
    if (rc != 0) {
        fprintf(stderr, "walltime: %s: %s\n", argv[2], strerror(rc));
        return 127;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    t1 = now_ms();
    out = fopen(argv[1], "a");
    if (out == NULL || fprintf(out, "%.1f\n", t1 - t0) < 0 ||
        fclose(out) != 0) {
        fprintf(stderr, "walltime: %s: %s\n", argv[1], strerror(errno));
        return 2;
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}
