/* The scenario pool (pool.h): a fixed set of pthreads taking scenario
 * indexes from a shared counter, and a queue of finished indexes the
 * caller drains. One mutex guards the counter, the queue and the results;
 * hr_run_scenario runs outside it, and so does the redaction of its
 * result (rp_redact_scenario): the costly part of redacting a run, done
 * in parallel instead of after the last scenario. */
#include "harness/pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "reports/reports.h"

struct hr_pool {
    struct hs_scenario *const *v;
    size_t n;
    const struct hr_options *opt;
    pthread_t *threads;
    size_t nthreads;
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    size_t next;      /* next scenario to start */
    size_t *done;     /* finished indexes in completion order */
    size_t ndone;     /* finished */
    size_t returned;  /* handed to the caller */
    size_t exited;    /* workers that returned */
    json_t **res;     /* per scenario, owned */
    json_t **secrets; /* per scenario, owned */
};

int hpool_default_jobs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    if (n < 1) {
        return 1;
    }
    return n > HPOOL_MAX_DEFAULT ? HPOOL_MAX_DEFAULT : (int)n;
}

static void *worker(void *arg)
{
    struct hr_pool *p = arg;

    for (;;) {
        size_t i;
        json_t *res, *red, *sec;
        pthread_mutex_lock(&p->lock);
        i = p->next < p->n && !hr_cancelled() ? p->next++ : p->n;
        if (i == p->n) {
            p->exited++;
            pthread_cond_signal(&p->done_cv);
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        pthread_mutex_unlock(&p->lock);
        sec = json_array();
        res = hr_run_scenario(p->v[i], p->opt, sec);
        red = res != NULL ? rp_redact_scenario(res) : NULL;
        json_decref(res);
        res = red; /* NULL (out of memory) is reported as for a run */
        pthread_mutex_lock(&p->lock);
        p->res[i] = res;
        p->secrets[i] = sec;
        p->done[p->ndone++] = i;
        pthread_cond_signal(&p->done_cv);
        pthread_mutex_unlock(&p->lock);
    }
}

static void pool_free(struct hr_pool *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t k = 0; p->res != NULL && k < p->n; k++) {
        json_decref(p->res[k]);
        json_decref(p->secrets[k]);
    }
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->done_cv);
    free(p->threads);
    free(p->done);
    free(p->res);
    free(p->secrets);
    free(p);
}

struct hr_pool *hpool_start(struct hs_scenario *const *v, size_t n,
                            const struct hr_options *opt, int jobs,
                            struct ac_err *err)
{
    struct hr_pool *p = calloc(1, sizeof(*p));
    size_t want = jobs < 1 ? 1 : (size_t)jobs;

    if (want > n) {
        want = n ? n : 1;
    }
    if (p == NULL || (p->threads = calloc(want, sizeof(pthread_t))) == NULL ||
        (p->done = calloc(n + 1, sizeof(size_t))) == NULL ||
        (p->res = calloc(n + 1, sizeof(json_t *))) == NULL ||
        (p->secrets = calloc(n + 1, sizeof(json_t *))) == NULL) {
        AC_ERR(err, AC_ERR_NOMEM, "out of memory");
        free(p ? p->threads : NULL);
        free(p ? p->done : NULL);
        free(p ? p->res : NULL);
        free(p);
        return NULL;
    }
    p->v = v;
    p->n = n;
    p->opt = opt;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    for (size_t k = 0; k < want; k++) {
        int rc = pthread_create(&p->threads[k], NULL, worker, p);
        if (rc != 0) {
            if (p->nthreads > 0) {
                break; /* fewer workers than asked for still finish */
            }
            AC_ERR(err, AC_ERR_IO, "cannot start a thread: %s", strerror(rc));
            pool_free(p);
            return NULL;
        }
        p->nthreads++;
    }
    return p;
}

static void deadline_in(struct timespec *ts, int ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

long hpool_next(struct hr_pool *p, int timeout_ms, const json_t **res,
                json_t *secrets)
{
    struct timespec ts;
    long idx = -1;

    *res = NULL;
    if (timeout_ms >= 0) {
        deadline_in(&ts, timeout_ms);
    }
    pthread_mutex_lock(&p->lock);
    while (p->returned == p->ndone && p->exited < p->nthreads) {
        int rc = timeout_ms < 0
                     ? pthread_cond_wait(&p->done_cv, &p->lock)
                     : pthread_cond_timedwait(&p->done_cv, &p->lock, &ts);
        if (rc == ETIMEDOUT) {
            break;
        }
    }
    if (p->returned == p->ndone && p->exited == p->nthreads) {
        idx = -2; /* all returned, or interrupted (hr_cancel) */
    } else if (p->returned < p->ndone) {
        size_t i = p->done[p->returned++];
        idx = (long)i;
        *res = p->res[i];
        if (secrets != NULL && p->secrets[i] != NULL) {
            json_array_extend(secrets, p->secrets[i]);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return idx;
}

void hpool_finish(struct hr_pool *p, json_t *out)
{
    if (p == NULL) {
        return;
    }
    for (size_t k = 0; k < p->nthreads; k++) {
        pthread_join(p->threads[k], NULL);
    }
    for (size_t k = 0; out != NULL && k < p->n; k++) {
        if (p->res[k] != NULL) {
            json_array_append(out, p->res[k]);
        }
    }
    pool_free(p);
}
