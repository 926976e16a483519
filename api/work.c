#include "work.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "http.h"

struct work_pool {
    pthread_mutex_t mu;
    pthread_cond_t ready;         /* a request queued, or the stop */
    pthread_cond_t queued;        /* the queue was empty and is not (the reaper's) */
    struct http_ctx *head, *tail; /* (mu) linked by work_next, oldest first */
    int nqueued, running;         /* (mu) */
    unsigned long long expired;   /* (mu) refused for waiting too long */
    int stopping;                 /* (mu) */
    long max_wait_ms;
    work_fn run;
    work_refuse_fn refuse;
    int nthreads, reaping;
    pthread_t *threads, reaper;
};

static struct timespec work_after(long ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int work_passed(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > deadline->tv_sec ||
           (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* (mu) The oldest request, out of the queue. */
static struct http_ctx *work_pop(struct work_pool *w)
{
    struct http_ctx *ctx = w->head;
    w->head = ctx->work_next;
    if (!w->head)
        w->tail = NULL;
    w->nqueued--;
    ctx->work_next = NULL;
    return ctx;
}

/* Refuses a list of requests taken out of the queue (outside mu: each resumes a connection). */
static void work_refuse_all(struct work_pool *w, struct http_ctx *list, int stopping)
{
    while (list) {
        struct http_ctx *next = list->work_next;
        list->work_next = NULL;
        w->refuse(list, stopping);
        list = next;
    }
}

static void *work_main(void *arg)
{
    struct work_pool *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->ready, &w->mu);
        if (!w->head)
            break; /* stopping, and nothing left */
        struct http_ctx *ctx = work_pop(w);
        w->running++;
        pthread_mutex_unlock(&w->mu);
        w->run(ctx);
        pthread_mutex_lock(&w->mu);
        w->running--;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Refuses the requests that waited longer than max_wait_ms. They wait in arrival order with
 * the same bound, so the oldest is always the next to expire. */
static void *work_reap(void *arg)
{
    struct work_pool *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stopping) {
        if (!w->head) {
            pthread_cond_wait(&w->queued, &w->mu);
            continue;
        }
        struct timespec deadline = w->head->work_deadline;
        if (!work_passed(&deadline) &&
            pthread_cond_timedwait(&w->queued, &w->mu, &deadline) != ETIMEDOUT)
            continue; /* (taken meanwhile, maybe: look again) */
        struct http_ctx *expired = NULL, **at = &expired;
        while (w->head && work_passed(&w->head->work_deadline)) {
            *at = work_pop(w);
            at = &(*at)->work_next;
            w->expired++;
        }
        pthread_mutex_unlock(&w->mu);
        work_refuse_all(w, expired, 0);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct work_pool *work_start(int nthreads, int max_wait_ms, work_fn run, work_refuse_fn refuse)
{
    struct work_pool *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->threads = calloc((size_t)(nthreads > 0 ? nthreads : 1), sizeof *w->threads);
    w->max_wait_ms = max_wait_ms > 0 ? max_wait_ms : 1;
    w->run = run;
    w->refuse = refuse;
    pthread_condattr_t monotonic;
    pthread_condattr_init(&monotonic);
    pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->ready, NULL);
    pthread_cond_init(&w->queued, &monotonic);
    pthread_condattr_destroy(&monotonic);
    w->reaping = pthread_create(&w->reaper, NULL, work_reap, w) == 0;
    for (int i = 0; w->reaping && w->threads && i < nthreads; i++) {
        if (pthread_create(&w->threads[i], NULL, work_main, w) != 0)
            break;
        w->nthreads++;
    }
    if (w->reaping && w->nthreads == nthreads && nthreads > 0)
        return w;
    work_stop(w);
    work_free(w);
    return NULL;
}

void work_submit(struct work_pool *w, struct http_ctx *ctx)
{
    ctx->work_next = NULL;
    pthread_mutex_lock(&w->mu);
    /* (taken under mu: the queue stays in deadline order, which the reaper relies on) */
    ctx->work_deadline = work_after(w->max_wait_ms);
    int stopping = w->stopping;
    if (!stopping) {
        if (w->tail) {
            w->tail->work_next = ctx;
        } else {
            w->head = ctx;
            pthread_cond_signal(&w->queued);
        }
        w->tail = ctx;
        w->nqueued++;
        pthread_cond_signal(&w->ready);
    }
    pthread_mutex_unlock(&w->mu);
    if (stopping)
        w->refuse(ctx, 1);
}

void work_stop(struct work_pool *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    struct http_ctx *waiting = w->head;
    w->head = w->tail = NULL;
    w->nqueued = 0;
    w->stopping = 1;
    pthread_cond_broadcast(&w->ready);
    pthread_cond_broadcast(&w->queued);
    pthread_mutex_unlock(&w->mu);
    work_refuse_all(w, waiting, 1);
    /* what runs finishes, its connection resumed, before the caller stops the loops */
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    w->nthreads = 0;
    if (w->reaping)
        pthread_join(w->reaper, NULL);
    w->reaping = 0;
}

void work_free(struct work_pool *w)
{
    if (!w)
        return;
    pthread_cond_destroy(&w->ready);
    pthread_cond_destroy(&w->queued);
    pthread_mutex_destroy(&w->mu);
    free(w->threads);
    free(w);
}

void work_counts(struct work_pool *w, int *queued, int *running, unsigned long long *expired)
{
    pthread_mutex_lock(&w->mu);
    *queued = w->nqueued;
    *running = w->running;
    *expired = w->expired;
    pthread_mutex_unlock(&w->mu);
}
