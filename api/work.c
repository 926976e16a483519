#include "work.h"

#include <pthread.h>
#include <stdlib.h>

#include "http.h"

struct work_pool {
    pthread_mutex_t mu;
    pthread_cond_t ready;
    struct http_ctx *head, *tail; /* (mu) linked by work_next, oldest first */
    int queued, running;          /* (mu) */
    int stopping;                 /* (mu) */
    work_fn run, refuse;
    int nthreads;
    pthread_t *threads;
};

static void *work_main(void *arg)
{
    struct work_pool *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->ready, &w->mu);
        struct http_ctx *ctx = w->head;
        if (!ctx)
            break; /* stopping, and nothing left */
        w->head = ctx->work_next;
        if (!w->head)
            w->tail = NULL;
        w->queued--;
        w->running++;
        pthread_mutex_unlock(&w->mu);
        ctx->work_next = NULL;
        w->run(ctx);
        pthread_mutex_lock(&w->mu);
        w->running--;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct work_pool *work_start(int nthreads, work_fn run, work_fn refuse)
{
    struct work_pool *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->threads = calloc((size_t)(nthreads > 0 ? nthreads : 1), sizeof *w->threads);
    w->run = run;
    w->refuse = refuse;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->ready, NULL);
    for (int i = 0; w->threads && i < nthreads; i++) {
        if (pthread_create(&w->threads[i], NULL, work_main, w) != 0)
            break;
        w->nthreads++;
    }
    if (w->nthreads == nthreads && nthreads > 0)
        return w;
    work_stop(w);
    work_free(w);
    return NULL;
}

void work_submit(struct work_pool *w, struct http_ctx *ctx)
{
    ctx->work_next = NULL;
    pthread_mutex_lock(&w->mu);
    int stopping = w->stopping;
    if (!stopping) {
        if (w->tail)
            w->tail->work_next = ctx;
        else
            w->head = ctx;
        w->tail = ctx;
        w->queued++;
        pthread_cond_signal(&w->ready);
    }
    pthread_mutex_unlock(&w->mu);
    if (stopping)
        w->refuse(ctx);
}

void work_stop(struct work_pool *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    struct http_ctx *waiting = w->head;
    w->head = w->tail = NULL;
    w->queued = 0;
    w->stopping = 1;
    pthread_cond_broadcast(&w->ready);
    pthread_mutex_unlock(&w->mu);
    while (waiting) {
        struct http_ctx *next = waiting->work_next;
        waiting->work_next = NULL;
        w->refuse(waiting);
        waiting = next;
    }
    /* what runs finishes, its connection resumed, before the caller stops the loops */
    for (int i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    w->nthreads = 0;
}

void work_free(struct work_pool *w)
{
    if (!w)
        return;
    pthread_cond_destroy(&w->ready);
    pthread_mutex_destroy(&w->mu);
    free(w->threads);
    free(w);
}

void work_counts(struct work_pool *w, int *queued, int *running)
{
    pthread_mutex_lock(&w->mu);
    *queued = w->queued;
    *running = w->running;
    pthread_mutex_unlock(&w->mu);
}
