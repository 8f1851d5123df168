/* Tests for common/io: ac_write_all through a pipe (more than the pipe
 * holds at once, so short writes happen), an empty write and a closed
 * descriptor. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/io.h"

#define BIG (1024 * 1024)

struct reader {
    int fd;
    size_t got;
    bool same;
};

static void *drain(void *arg)
{
    struct reader *r = arg;
    char buf[4096];
    ssize_t n;

    r->same = true;
    while ((n = read(r->fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            r->same = r->same && buf[i] == (char)((r->got + (size_t)i) % 251);
        }
        r->got += (size_t)n;
    }
    return NULL;
}

static void test_pipe(void **state)
{
    int fds[2];
    char *data = malloc(BIG);
    struct reader r = {0};
    pthread_t t;

    (void)state;
    assert_non_null(data);
    for (size_t i = 0; i < BIG; i++) {
        data[i] = (char)(i % 251);
    }
    assert_int_equal(pipe(fds), 0);
    r.fd = fds[0];
    assert_int_equal(pthread_create(&t, NULL, drain, &r), 0);
    assert_true(ac_write_all(fds[1], data, BIG));
    assert_true(ac_write_all(fds[1], data, 0));
    close(fds[1]);
    assert_int_equal(pthread_join(t, NULL), 0);
    close(fds[0]);
    assert_int_equal(r.got, BIG);
    assert_true(r.same);
    free(data);
}

static void test_bad_fd(void **state)
{
    int fds[2];

    (void)state;
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    close(fds[1]);
    errno = 0;
    assert_false(ac_write_all(fds[1], "x", 1));
    assert_int_equal(errno, EBADF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe),
        cmocka_unit_test(test_bad_fd),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
