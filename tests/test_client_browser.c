/* Unit tests of the $BROWSER handling: splitting, the shell script that
 * keeps the URL out of the shell's parser, and running entries in order
 * until one succeeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/lib/authorize_int.h"
#include "tests/support/asserts.h"

static void test_split(void **state)
{
    char **v = NULL;
    (void)state;
    assert_true(
        browser_split("firefox:chromium --new-window::  :w3m %s", &v, NULL));
    assert_string_equal(v[0], "firefox");
    assert_string_equal(v[1], "chromium --new-window");
    assert_string_equal(v[2], "w3m %s");
    assert_null(v[3]);
    strv_free(v);
    assert_true(browser_split("", &v, NULL));
    assert_null(v[0]);
    strv_free(v);
}

static void test_script(void **state)
{
    static const char *const cases[][2] = {
        {"firefox", "firefox \"$1\""},
        {"authcheck browse", "authcheck browse \"$1\""},
        {"w3m %s", "w3m \"$1\""},
        {"open '%s' --bg", "open \"$1\" --bg"},
        {"open \"%s\"", "open \"$1\""},
        {"echo 100%% %s", "echo 100% \"$1\""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *s = browser_script(cases[i][0]);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
}

/* The URL reaches the command as one argument, unexpanded. */
static void test_spawn_passes_url_verbatim(void **state)
{
    char path[] = "/tmp/mcpo-browser-XXXXXX";
    char entry[256], got[512] = {0};
    const char *url = "http://x/a?b=1&c=$(touch /tmp/pwned)`id`;'\"";
    pid_t pid;
    int status;
    (void)state;
    int fd = mkstemp(path);
    assert_int_cmp(fd, >=, 0);
    close(fd);
    snprintf(entry, sizeof entry, "printf %%s %%s > %s", path);
    assert_true(browser_spawn(entry, url, &pid, NULL));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(got, sizeof got, f));
    fclose(f);
    unlink(path);
    assert_string_equal(got, url);
}

/* A failing entry is followed by the next one. */
static void test_run_tries_next(void **state)
{
    struct browser_run r;
    (void)state;
    setenv("BROWSER", "false:true", 1);
    assert_true(browser_run_start(&r, "http://x/", NULL));
    enum browser_state s = BR_RUNNING;
    for (int i = 0; i < 500 && s == BR_RUNNING; i++) {
        usleep(10000);
        s = browser_run_poll(&r);
    }
    assert_int_equal(s, BR_EXITED_OK);
    browser_run_end(&r);

    setenv("BROWSER", "false:exit 3", 1);
    assert_true(browser_run_start(&r, "http://x/", NULL));
    s = BR_RUNNING;
    for (int i = 0; i < 500 && s == BR_RUNNING; i++) {
        usleep(10000);
        s = browser_run_poll(&r);
    }
    assert_int_equal(s, BR_FAILED);
    browser_run_end(&r);

    /* A plain word is run without a shell; one that cannot be run is
     * skipped like an entry that fails. */
    setenv("BROWSER", "/nonexistent/mcpo-browser:true", 1);
    assert_true(browser_run_start(&r, "http://x/", NULL));
    s = BR_RUNNING;
    for (int i = 0; i < 500 && s == BR_RUNNING; i++) {
        usleep(10000);
        s = browser_run_poll(&r);
    }
    assert_int_equal(s, BR_EXITED_OK);
    browser_run_end(&r);
    unsetenv("BROWSER");
}

/* A plain-word entry gets the URL verbatim as its one argument. */
static void test_plain_entry_passes_url_verbatim(void **state)
{
    char path[] = "/tmp/mcpo-browser-XXXXXX", script[] = "/tmp/mcpo-sh-XXXXXX";
    char got[512] = {0};
    const char *url = "http://x/a?b=1&c=$(touch /tmp/pwned)`id`;'\" x";
    pid_t pid;
    int status;
    (void)state;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fd = mkstemp(script);
    assert_true(fd >= 0);
    FILE *w = fdopen(fd, "w");
    assert_non_null(w);
    fprintf(w, "#!/bin/sh\n[ $# -eq 1 ] && printf %%s \"$1\" > %s\n", path);
    fclose(w);
    assert_int_equal(chmod(script, 0700), 0);
    assert_true(browser_spawn(script, url, &pid, NULL));
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(got, sizeof got, f));
    fclose(f);
    unlink(path);
    unlink(script);
    assert_string_equal(got, url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_script),
        cmocka_unit_test(test_spawn_passes_url_verbatim),
        cmocka_unit_test(test_run_tries_next),
        cmocka_unit_test(test_plain_entry_passes_url_verbatim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
