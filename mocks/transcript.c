/* The transcript recorder (see transcript.h): owns the ordered exchange
 * array and the secrets set, both behind one mutex.
 *
 * Exchanges are kept as their compact JSON text, serialised by the
 * appending thread outside the lock: a jansson tree of an exchange
 * (header pairs, bodies) weighs two to three times its text, and a
 * long-running `authcheck serve` keeps a thousand of them. Snapshots,
 * which are rare (end of a scenario, the control API), parse them back. */
#include "mocks/transcript.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/crypto.h"
#include "common/form.h"

/* One exchange: its start time and its compact JSON text (owned). */
struct entry {
    int64_t t_ns;
    char *text;
};

struct mo_transcript {
    pthread_mutex_t lock;
    pthread_cond_t settled; /* signalled when `held` drops to 0 */
    unsigned held;          /* answered exchanges not yet appended */
    struct entry *entries;  /* ordered by t_ns */
    size_t n, cap;
    json_t *secrets; /* object used as an insertion-ordered set */
    size_t max;      /* 0: unlimited */
};

void mo_transcript_set_max(struct mo_transcript *t, size_t max)
{
    t->max = max;
}

/* Drop the oldest half of the entries past t->max, and of the secrets
 * past 4 * t->max. Caller holds t->lock. */
static void trim(struct mo_transcript *t)
{
    size_t n;

    if (t->max == 0) {
        return;
    }
    if (t->n > t->max) {
        size_t drop = t->n / 2;

        for (size_t i = 0; i < drop; i++) {
            free(t->entries[i].text);
        }
        memmove(t->entries, t->entries + drop,
                (t->n - drop) * sizeof(*t->entries));
        t->n -= drop;
    }
    n = json_object_size(t->secrets);
    if (n > 4 * t->max) {
        json_t *keep = json_object();
        const char *k;
        json_t *v;
        size_t i = 0;

        json_object_foreach(t->secrets, k, v)
        {
            if (keep != NULL && i++ >= n / 2) {
                json_object_set(keep, k, v);
            }
        }
        if (keep != NULL) {
            json_decref(t->secrets);
            t->secrets = keep;
        }
    }
}

/* The condition waits on CLOCK_MONOTONIC, immune to wall-clock jumps. */
static bool settle_cond_init(pthread_cond_t *c)
{
    pthread_condattr_t attr;
    bool ok;

    if (pthread_condattr_init(&attr) != 0) {
        return false;
    }
    ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(c, &attr) == 0;
    pthread_condattr_destroy(&attr);
    return ok;
}

bool mo_transcript_new(struct mo_transcript **out, struct ac_err *err)
{
    struct mo_transcript *t = calloc(1, sizeof(*t));

    *out = NULL;
    if (t == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory for transcript");
        return false;
    }
    t->secrets = json_object();
    if (t->secrets == NULL || pthread_mutex_init(&t->lock, NULL) != 0) {
        json_decref(t->secrets);
        free(t);
        AC_ERR(err, AC_ERR_NOMEM, "cannot create transcript");
        return false;
    }
    if (!settle_cond_init(&t->settled)) {
        pthread_mutex_destroy(&t->lock);
        json_decref(t->secrets);
        free(t);
        AC_ERR(err, AC_ERR_NOMEM, "cannot create transcript");
        return false;
    }
    *out = t;
    return true;
}

void mo_transcript_free(struct mo_transcript *t)
{
    if (t == NULL) {
        return;
    }
    pthread_cond_destroy(&t->settled);
    pthread_mutex_destroy(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        free(t->entries[i].text);
    }
    free(t->entries);
    json_decref(t->secrets);
    free(t);
}

void mo_transcript_hold(struct mo_transcript *t)
{
    pthread_mutex_lock(&t->lock);
    t->held++;
    pthread_mutex_unlock(&t->lock);
}

void mo_transcript_release(struct mo_transcript *t)
{
    pthread_mutex_lock(&t->lock);
    if (t->held > 0 && --t->held == 0) {
        pthread_cond_broadcast(&t->settled);
    }
    pthread_mutex_unlock(&t->lock);
}

/* With the lock held: wait, bounded, until no exchange is held. */
static void settle(struct mo_transcript *t)
{
    struct timespec until;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += MO_TRANSCRIPT_SETTLE_MS / 1000;
    until.tv_nsec += (MO_TRANSCRIPT_SETTLE_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (t->held > 0 &&
           pthread_cond_timedwait(&t->settled, &t->lock, &until) == 0) {
    }
}

/* Insert (t_ns, text) after every entry with t_ns <= its own; takes
 * `text`. Caller holds t->lock. */
static bool insert_locked(struct mo_transcript *t, int64_t tn, char *text)
{
    size_t pos = t->n;

    if (t->n == t->cap) {
        size_t ncap = t->cap != 0 ? t->cap * 2 : 64;
        struct entry *p = realloc(t->entries, ncap * sizeof(*p));

        if (p == NULL) {
            free(text);
            return false;
        }
        t->entries = p;
        t->cap = ncap;
    }
    /* Entries mostly arrive in order: scan back from the end. */
    while (pos > 0 && t->entries[pos - 1].t_ns > tn) {
        pos--;
    }
    memmove(t->entries + pos + 1, t->entries + pos,
            (t->n - pos) * sizeof(*t->entries));
    t->entries[pos] = (struct entry){tn, text};
    t->n++;
    trim(t);
    return true;
}

bool mo_transcript_append_take(struct mo_transcript *t, json_t *exchange,
                               struct ac_err *err)
{
    bool ok = false;
    char *text;
    json_int_t tn;

    if (!json_is_object(exchange)) {
        AC_ERR(err, AC_ERR_INVALID, "an exchange must be a JSON object");
        goto out;
    }
    if (!json_is_integer(json_object_get(exchange, "t_ns")) &&
        json_object_set_new(exchange, "t_ns", json_integer(ac_mono_ns())) !=
            0) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        goto out;
    }
    tn = json_integer_value(json_object_get(exchange, "t_ns"));
    text = json_dumps(exchange, JSON_COMPACT);
    if (text != NULL) {
        pthread_mutex_lock(&t->lock);
        ok = insert_locked(t, (int64_t)tn, text);
        pthread_mutex_unlock(&t->lock);
    }
    if (!ok) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory appending an exchange");
    }
out:
    json_decref(exchange);
    return ok;
}

/* Copies of the entries' texts, taken under the lock (after settling):
 * a new array of `*n` new strings, or NULL. */
static char **texts_copy(struct mo_transcript *t, size_t *n)
{
    char **texts;
    bool ok = true;

    pthread_mutex_lock(&t->lock);
    settle(t);
    *n = t->n;
    texts = calloc(t->n + 1, sizeof(*texts));
    for (size_t i = 0; texts != NULL && i < t->n && ok; i++) {
        ok = (texts[i] = strdup(t->entries[i].text)) != NULL;
    }
    pthread_mutex_unlock(&t->lock);
    if (texts != NULL && !ok) {
        for (size_t i = 0; i < *n; i++) {
            free(texts[i]);
        }
        free(texts);
        texts = NULL;
    }
    return texts;
}

json_t *mo_transcript_snapshot(struct mo_transcript *t)
{
    size_t n = 0;
    char **texts = texts_copy(t, &n);
    json_t *arr = texts != NULL ? json_array() : NULL;
    bool ok = arr != NULL;

    /* Parsed outside the lock: appends go on meanwhile. */
    for (size_t i = 0; i < n; i++) {
        json_t *e = ok ? json_loads(texts[i], JSON_ALLOW_NUL, NULL) : NULL;

        ok = e != NULL &&
             json_object_set_new(e, "seq", json_integer((json_int_t)i)) == 0 &&
             json_array_append_new(arr, e) == 0;
        if (!ok) {
            json_decref(e);
        }
        free(texts[i]);
    }
    free(texts);
    if (!ok) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

bool mo_transcript_add_secret(struct mo_transcript *t, const char *secret)
{
    json_t *probe;
    char *encoded = NULL;
    bool ok;

    if (secret == NULL || secret[0] == '\0') {
        return true;
    }
    /* A secret a client sent may be any bytes, and the list is JSON, which
     * holds only UTF-8. Bytes that are not UTF-8 never reach a report
     * as they are (the transcript replaces them), only percent-encoded
     * in a URL or a form, so that is the form noted. Failing here instead
     * made the mocks answer a client's malformed code, verifier or token
     * with 500 "the mock failed internally". */
    probe = json_string(secret);
    if (probe == NULL && (encoded = ac_pct_encode(secret)) == NULL) {
        return false;
    }
    json_decref(probe);
    if (encoded != NULL) {
        secret = encoded;
    }
    pthread_mutex_lock(&t->lock);
    ok = json_object_get(t->secrets, secret) != NULL ||
         json_object_set_new(t->secrets, secret, json_true()) == 0;
    trim(t);
    pthread_mutex_unlock(&t->lock);
    ac_secret_free(encoded);
    return ok;
}

json_t *mo_transcript_secrets(struct mo_transcript *t)
{
    json_t *arr = json_array();
    const char *key;
    json_t *v;
    bool ok = arr != NULL;

    pthread_mutex_lock(&t->lock);
    json_object_foreach(t->secrets, key, v)
    {
        (void)v;
        if (ok) {
            ok = json_array_append_new(arr, json_string(key)) == 0;
        }
    }
    pthread_mutex_unlock(&t->lock);
    if (!ok) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
