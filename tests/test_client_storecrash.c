/* Crash safety of the token store (client/lib/store.c): a client killed
 * with SIGKILL at a random moment while it writes its record leaves the
 * previous record or the new one, never a torn, corrupt or missing one,
 * and the temporary files such kills leave behind (they may hold tokens)
 * are swept once stale.
 *
 * A forked child saves the record in a loop, each generation bigger than
 * the last, and reports every completed save on a pipe; the parent kills
 * it after a random delay of up to a few milliseconds, then loads: the
 * generation found must be the last one reported or the one after it
 * (killed between rename(2) and the report), and its padding must be the
 * padding of that generation. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include <cmocka.h>
#include <jansson.h>

#include "client/lib/store_int.h"
#include "common/json.h"
#include "tests/support/asserts.h"
#include "tests/support/env.h"

#define RESOURCE "http://127.0.0.1:1/mcp"
#define ISSUER "http://127.0.0.1:2/"
/* Kills per run: enough to land in every phase of a save (serialise,
 * mkstemp, write, fsync, rename, directory fsync) many times over, few
 * enough for a couple of seconds. */
#define KILLS 150
/* The kills fall within this, or within twice a first save when
 * that is longer (first_save_us). */
#define MAX_DELAY_US 10000

/* The padding of generation `gen`: its size grows (up to ~190 KiB, so a
 * write takes long enough to be interrupted) and its letter changes. */
static char *padding(json_int_t gen)
{
    size_t n = (size_t)(gen % 97) * 2048 + 16;
    char *p = malloc(n + 1);

    assert_non_null(p);
    memset(p, 'a' + (int)(gen % 26), n);
    p[n] = '\0';
    return p;
}

static json_t *record(json_int_t gen)
{
    char *pad = padding(gen);
    json_t *rec = json_pack("{s:s, s:s, s:{s:s, s:s, s:I}, s:I, s:s}",
                            "resource", RESOURCE, "issuer", ISSUER, "tokens",
                            "access_token", "AT", "refresh_token", "RT",
                            "expires_at", gen, "gen", gen, "pad", pad);
    free(pad);
    assert_non_null(rec);
    return rec;
}

/* The generation on disk, checked whole; -1 when there is no record. */
static json_int_t load_gen(const char *dir)
{
    json_t *rec = NULL;
    json_int_t gen;
    char *pad;

    assert_true(store_load(dir, RESOURCE, ISSUER, &rec, NULL));
    if (rec == NULL) {
        return -1;
    }
    gen = json_integer_value(json_object_get(rec, "gen"));
    pad = padding(gen);
    if (ac_json_str(rec, "pad") == NULL ||
        strcmp(ac_json_str(rec, "pad"), pad) != 0) {
        fail_msg("generation %lld has the padding of another", (long long)gen);
    }
    free(pad);
    json_decref(rec);
    return gen;
}

/* The child: save generations from+1, from+2, ... forever, writing each
 * completed one to `fd`. */
static void writer(const char *dir, json_int_t from, int fd)
{
    for (json_int_t gen = from + 1;; gen++) {
        json_t *rec = record(gen);

        if (!store_save(dir, rec, NULL)) {
            _exit(2);
        }
        json_decref(rec);
        if (write(fd, &gen, sizeof(gen)) != (ssize_t)sizeof(gen)) {
            _exit(3);
        }
    }
}

/* Microseconds from fork() to a writer's first completed save (in a
 * directory of its own), so the kills can span whole saves however slow
 * the build (a ThreadSanitizer child takes several times the 10 ms). */
static long first_save_us(const char *dir)
{
    struct timespec t0, t1;
    json_int_t gen;
    int p[2];
    pid_t pid;

    assert_int_equal(pipe(p), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    assert_int_cmp(pid, >=, 0);
    if (pid == 0) {
        close(p[0]);
        writer(dir, 0, p[1]);
    }
    close(p[1]);
    assert_int_equal(read(p[0], &gen, sizeof(gen)), (ssize_t)sizeof(gen));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(p[0]);
    return (t1.tv_sec - t0.tv_sec) * 1000000L +
           (t1.tv_nsec - t0.tv_nsec) / 1000L;
}

/* The last generation the child reported, or `none`. */
static json_int_t last_reported(int fd, json_int_t none)
{
    json_int_t gen, last = none;

    while (read(fd, &gen, sizeof(gen)) == (ssize_t)sizeof(gen)) {
        last = gen;
    }
    return last;
}

/* One writer killed after `delay_us`; returns the generation on disk. */
static json_int_t kill_one(const char *dir, json_int_t before, long delay_us)
{
    int p[2];
    pid_t pid;
    int status;
    json_int_t acked, now;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_int_cmp(pid, >=, 0);
    if (pid == 0) {
        close(p[0]);
        writer(dir, before < 0 ? 0 : before, p[1]);
    }
    close(p[1]);
    nanosleep(&(struct timespec){0, delay_us * 1000}, NULL);
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status)) {
        fail_msg("the writer exited with %d before the kill",
                 WEXITSTATUS(status));
    }
    acked = last_reported(p[0], before);
    close(p[0]);
    now = load_gen(dir);
    /* Never lost: a record once there stays there. Never older than the
     * last completed save; at most one newer (renamed, not reported). */
    if (before >= 0 && now < 0) {
        fail_msg("the record vanished (generation %lld before)",
                 (long long)before);
    }
    if (now != acked && now != acked + 1 && !(acked < 0 && now == 1)) {
        fail_msg("found generation %lld; last completed save was %lld",
                 (long long)now, (long long)acked);
    }
    return now;
}

/* Temporary files in `dir` ("*.json.tmp.*"); with `age` set their mtime
 * to an hour ago. */
static size_t temp_files(const char *dir, bool age)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        char path[1024];

        if (strstr(de->d_name, ".json.tmp.") == NULL) {
            continue;
        }
        n++;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        if (age) {
            struct timespec ts[2] = {{time(NULL) - 3600, 0},
                                     {time(NULL) - 3600, 0}};
            assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
        }
    }
    closedir(d);
    return n;
}

static void test_sigkill_while_saving(void **state)
{
    char base[512], dir[600], cal[600];
    json_int_t gen = -1;
    unsigned seed = (unsigned)time(NULL);
    size_t leftovers;
    long max_delay;

    (void)state;
    assert_true(ts_mkdtemp(base, sizeof(base), "storecrash"));
    snprintf(dir, sizeof(dir), "%s/mcp-oauth", base);
    snprintf(cal, sizeof(cal), "%s/calibration", base);
    max_delay = 2 * first_save_us(cal);
    if (max_delay < MAX_DELAY_US) {
        max_delay = MAX_DELAY_US;
    }
    srand(seed);
    printf("storecrash: seed %u, %d kills within %ld us\n", seed, KILLS,
           max_delay);
    for (int i = 0; i < KILLS; i++) {
        /* Every tenth kill as early as possible: before the first write. */
        long delay = i % 10 == 0 ? 0 : rand() % max_delay;

        gen = kill_one(dir, gen, delay);
    }
    assert_int_cmp(gen, >, 0);
    /* Kills mid-save leave temporary files; once stale, the next save
     * sweeps them (they may hold tokens). Fresh ones may be a live
     * writer's and stay. */
    leftovers = temp_files(dir, true);
    printf("storecrash: generation %lld on disk, %zu temporary files left "
           "by the kills\n",
           (long long)gen, leftovers);
    json_t *rec = record(gen + 1);
    assert_true(store_save(dir, rec, NULL));
    json_decref(rec);
    assert_int_equal(temp_files(dir, false), 0);
    assert_int_equal(load_gen(dir), gen + 1);
}

/* A temporary file younger than the staleness limit is left alone: it may
 * be another process's save in progress. */
static void test_fresh_temp_file_kept(void **state)
{
    char base[512], dir[600], tmp[700];
    json_t *rec = record(1);
    int fd;

    (void)state;
    assert_true(ts_mkdtemp(base, sizeof(base), "storecrash"));
    snprintf(dir, sizeof(dir), "%s/mcp-oauth", base);
    assert_true(store_save(dir, rec, NULL));
    snprintf(tmp, sizeof(tmp), "%s/%s.tmp.ABCDEF", dir,
             "0000000000000000000000000000000000000000000000000000000000000000"
             ".json");
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_int_cmp(fd, >=, 0);
    close(fd);
    assert_true(store_save(dir, rec, NULL));
    assert_int_equal(access(tmp, F_OK), 0);
    json_decref(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigkill_while_saving),
        cmocka_unit_test(test_fresh_temp_file_kept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
