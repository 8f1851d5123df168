/* User agents for the authorization URL: $BROWSER (a ':'-separated list of
 * commands, tried in order until one exits 0) or xdg-open, each run as
 * `/bin/sh -c SCRIPT sh URL` so the URL is an argument, never shell text
 * (or, for an entry that is one plain word, run directly with the URL as
 * its argument); and the headless agent that fetches the URL itself. */
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client/lib/authorize_int.h"
#include "client/lib/http_int.h"
#include "common/buf.h"
#include "common/url.h"

#define MAX_HOPS 5

extern char **environ;

bool browser_split(const char *env, char ***entries, struct ac_err *err)
{
    size_t n = 1, k = 0;
    *entries = NULL;
    for (const char *p = env; *p != '\0'; p++) {
        n += *p == ':';
    }
    char **v = calloc(n + 1, sizeof *v);
    if (v == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    const char *p = env;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        size_t lead = strspn(p, " \t");
        if (lead < len && (v[k] = strndup(p, len)) == NULL) {
            strv_free(v);
            AC_ERR(err, AC_ERR_NOMEM, "oom");
            return false;
        }
        k += lead < len;
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    *entries = v;
    return true;
}

char *browser_script(const char *entry)
{
    static const char *const forms[] = {"'%s'", "\"%s\"", "%s"};
    struct ac_buf b;
    bool substituted = false;
    ac_buf_init(&b, 0);
    for (const char *p = entry; *p != '\0';) {
        size_t i;
        for (i = 0; i < 3; i++) {
            if (strncmp(p, forms[i], strlen(forms[i])) == 0) {
                break;
            }
        }
        if (i < 3) {
            ac_buf_append_str(&b, "\"$1\"", NULL);
            p += strlen(forms[i]);
            substituted = true;
        } else if (strncmp(p, "%%", 2) == 0) {
            ac_buf_append(&b, "%", 1, NULL);
            p += 2;
        } else {
            ac_buf_append(&b, p, 1, NULL);
            p++;
        }
    }
    if (!substituted) {
        ac_buf_append_str(&b, " \"$1\"", NULL);
    }
    if (!ac_buf_append(&b, "", 0, NULL)) {
        ac_buf_free(&b);
        return NULL;
    }
    return ac_buf_steal(&b);
}

/* An entry that is one plain word (a path or a command name: no blanks,
 * quotes, '%' or other shell syntax) needs no shell: run it directly
 * with the URL as its one argument, which is what the shell would run,
 * one process start fewer per authorization. */
static bool plain_word(const char *entry)
{
    return *entry != '\0' &&
           strspn(entry, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789/._+,@-") == strlen(entry);
}

bool browser_spawn(const char *entry, const char *url, pid_t *pid,
                   struct ac_err *err)
{
    char *script;
    int rc;

    if (plain_word(entry)) {
        char *argv[] = {(char *)entry, (char *)url, NULL};
        rc = strchr(entry, '/') != NULL
                 ? posix_spawn(pid, entry, NULL, NULL, argv, environ)
                 : posix_spawnp(pid, entry, NULL, NULL, argv, environ);
        http_trace_note("browser: %s URL%s", entry,
                        rc != 0 ? " (spawn failed)" : "");
        if (rc != 0) {
            AC_ERR(err, AC_ERR_IO, "cannot run the browser %s: %s", entry,
                   strerror(rc));
            return false;
        }
        return true;
    }
    script = browser_script(entry);
    if (script == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    char *argv[] = {(char *)"/bin/sh", (char *)"-c", script,
                    (char *)"sh",      (char *)url,  NULL};
    rc = posix_spawn(pid, "/bin/sh", NULL, NULL, argv, environ);
    http_trace_note("browser: /bin/sh -c '%s' sh URL%s", script,
                    rc != 0 ? " (spawn failed)" : "");
    free(script);
    if (rc != 0) {
        AC_ERR(err, AC_ERR_IO, "cannot run /bin/sh for the browser: %s",
               strerror(rc));
        return false;
    }
    return true;
}

/* Start the next entry; BR_FAILED when none is left. */
static enum browser_state next_entry(struct browser_run *r)
{
    while (r->entries[r->next] != NULL) {
        if (browser_spawn(r->entries[r->next++], r->url, &r->pid, NULL)) {
            return BR_RUNNING;
        }
    }
    r->pid = 0;
    return BR_FAILED;
}

bool browser_run_start(struct browser_run *r, const char *url,
                       struct ac_err *err)
{
    const char *env = getenv("BROWSER");
    memset(r, 0, sizeof *r);
    r->url = strdup(url);
    if (r->url == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
        return false;
    }
    if (!browser_split(env != NULL && *env != '\0' ? env : "xdg-open",
                       &r->entries, err)) {
        browser_run_end(r);
        return false;
    }
    r->state = next_entry(r);
    return true;
}

enum browser_state browser_run_poll(struct browser_run *r)
{
    int status;
    if (r->state != BR_RUNNING || r->pid <= 0) {
        return r->state;
    }
    pid_t w = waitpid(r->pid, &status, WNOHANG);
    if (w == 0) {
        return BR_RUNNING;
    }
    r->pid = 0;
    if (w == r->pid || w > 0) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            r->state = BR_EXITED_OK;
            return r->state;
        }
    }
    r->state = next_entry(r);
    return r->state;
}

void browser_run_end(struct browser_run *r)
{
    strv_free(r->entries);
    free(r->url);
    memset(r, 0, sizeof *r);
}

/* --- headless ------------------------------------------------------------- */

/* Does `url` point at the redirect URI (same origin and path)? */
static bool is_redirect_target(const char *url, const char *redirect_uri)
{
    size_t n = strlen(redirect_uri);
    return strncmp(url, redirect_uri, n) == 0 &&
           (url[n] == '\0' || url[n] == '?');
}

bool headless_deliver(struct mcpo_client *c, const char *url,
                      const char *redirect_uri, struct ac_err *err)
{
    char *cur = strdup(url);
    bool ok = false;

    for (int hop = 0; cur != NULL && hop <= MAX_HOPS; hop++) {
        struct ac_http_response resp;
        bool at_callback = is_redirect_target(cur, redirect_uri);
        if (!http_request(c, "GET", cur, NULL, NULL, &resp, err)) {
            goto out;
        }
        const char *loc = ac_http_header_get(&resp, "Location");
        long st = resp.status;
        char *next = NULL;
        if (!at_callback && st >= 300 && st <= 399 && loc != NULL) {
            next = ac_url_resolve(cur, loc, err);
        }
        ac_http_response_free(&resp);
        if (at_callback) {
            ok = true; /* delivered: the listener has judged it */
            goto out;
        }
        if (next == NULL) {
            AC_ERR(err, AC_ERR_PROTOCOL,
                   "the authorization endpoint answered HTTP %ld without "
                   "redirecting to the client's redirect_uri (RFC 6749 "
                   "§4.1.2)",
                   st);
            goto out;
        }
        free(cur);
        cur = next;
    }
    if (cur != NULL) {
        AC_ERR(err, AC_ERR_PROTOCOL,
               "more than %d redirects before the "
               "callback",
               MAX_HOPS);
    } else {
        AC_ERR(err, AC_ERR_NOMEM, "oom");
    }
out:
    free(cur);
    return ok;
}
