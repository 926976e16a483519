/* The workers that run requests on the pool (api/work.h), with contexts that are only counted:
 * the order they run in, the thread they run on, and what a stop does to what waits. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../api/http.h"
#include "../../api/work.h"
#include "unit.h"

#define JOBS 40

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct http_ctx *ran[JOBS + 8], *refused[JOBS + 8];
    int stopping[JOBS + 8];
    int nran, nrefused;
    int off_caller; /* every run on a thread other than the test's */
    pthread_t caller;
    int hold;    /* the first run waits while this is set */
    int holding; /* ... and says it is waiting */
} seen;

static void seen_reset(void)
{
    pthread_mutex_lock(&seen.mu);
    seen.nran = seen.nrefused = 0;
    seen.off_caller = 1;
    seen.caller = pthread_self();
    seen.hold = seen.holding = 0;
    pthread_mutex_unlock(&seen.mu);
}

static void job_run(struct http_ctx *ctx)
{
    pthread_mutex_lock(&seen.mu);
    if (pthread_equal(pthread_self(), seen.caller))
        seen.off_caller = 0;
    if (seen.nran == 0 && seen.hold) {
        seen.holding = 1;
        pthread_cond_broadcast(&seen.cv);
        while (seen.hold)
            pthread_cond_wait(&seen.cv, &seen.mu);
    }
    seen.ran[seen.nran++] = ctx;
    pthread_cond_broadcast(&seen.cv);
    pthread_mutex_unlock(&seen.mu);
}

static void job_refuse(struct http_ctx *ctx, int stopping)
{
    pthread_mutex_lock(&seen.mu);
    seen.stopping[seen.nrefused] = stopping;
    seen.refused[seen.nrefused++] = ctx;
    pthread_cond_broadcast(&seen.cv);
    pthread_mutex_unlock(&seen.mu);
}

/* Waits up to 10 s for *counter to reach n; returns what it reached. */
static int wait_for(int *counter, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&seen.mu);
    while (*counter < n && pthread_cond_timedwait(&seen.cv, &seen.mu, &until) == 0)
        ;
    int got = *counter;
    pthread_mutex_unlock(&seen.mu);
    return got;
}

static void release_hold(void)
{
    pthread_mutex_lock(&seen.mu);
    seen.hold = 0;
    pthread_cond_broadcast(&seen.cv);
    pthread_mutex_unlock(&seen.mu);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static struct http_ctx ctxs[JOBS + 8];

/* Runs JOBS requests on nthreads workers and waits until all have run. */
static struct work_pool *run_all(int nthreads)
{
    seen_reset();
    struct work_pool *w = work_start(nthreads, 60000, job_run, job_refuse);
    ck_assert_ptr_nonnull(w);
    for (int i = 0; i < JOBS; i++)
        work_submit(w, &ctxs[i]);
    ck_assert_int_eq(wait_for(&seen.nran, JOBS), JOBS);
    return w;
}

START_TEST(test_one_worker_runs_in_arrival_order)
{
    struct work_pool *w = run_all(1);
    for (int i = 0; i < JOBS; i++)
        ck_assert_ptr_eq(seen.ran[i], &ctxs[i]);
    ck_assert_int_eq(seen.off_caller, 1);
    ck_assert_int_eq(seen.nrefused, 0);
    work_stop(w);
    work_free(w);
}
END_TEST

START_TEST(test_many_workers_run_each_once)
{
    struct work_pool *w = run_all(4);
    work_stop(w);
    work_free(w);
    int count[JOBS] = {0};
    for (int i = 0; i < seen.nran; i++)
        count[seen.ran[i] - ctxs]++;
    for (int i = 0; i < JOBS; i++)
        ck_assert_int_eq(count[i], 1);
}
END_TEST

static void *stopper(void *arg)
{
    work_stop(arg);
    return NULL;
}

/* One worker, held by the first request until release_hold; requests wait at most max_wait_ms. */
static struct work_pool *one_held(int max_wait_ms)
{
    seen_reset();
    seen.hold = 1;
    struct work_pool *w = work_start(1, max_wait_ms, job_run, job_refuse);
    ck_assert_ptr_nonnull(w);
    work_submit(w, &ctxs[0]);
    ck_assert_int_eq(wait_for(&seen.holding, 1), 1);
    return w;
}

START_TEST(test_stop_refuses_what_waits_and_lets_what_runs_finish)
{
    struct work_pool *w = one_held(60000);
    for (int i = 1; i <= 5; i++)
        work_submit(w, &ctxs[i]);
    int queued = -1, running = -1;
    unsigned long long expired = 99;
    work_counts(w, &queued, &running, &expired);
    ck_assert_int_eq(queued, 5);
    ck_assert_int_eq(running, 1);
    /* the stop refuses the five at once, and returns only when the first has run */
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, stopper, w), 0);
    ck_assert_int_eq(wait_for(&seen.nrefused, 5), 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_ptr_eq(seen.refused[i], &ctxs[i + 1]);
        ck_assert_int_eq(seen.stopping[i], 1);
    }
    ck_assert_int_eq(seen.nran, 0);
    release_hold();
    pthread_join(t, NULL);
    ck_assert_int_eq(seen.nran, 1);
    ck_assert_ptr_eq(seen.ran[0], &ctxs[0]);
    /* after the stop, a submission is refused on the caller's thread, before it returns */
    work_submit(w, &ctxs[6]);
    ck_assert_int_eq(seen.nrefused, 6);
    ck_assert_ptr_eq(seen.refused[5], &ctxs[6]);
    work_counts(w, &queued, &running, &expired);
    ck_assert_int_eq(queued, 0);
    ck_assert_int_eq(running, 0);
    ck_assert_int_eq(expired, 0); /* (refused for the stop, not for waiting) */
    work_free(w);
}
END_TEST

START_TEST(test_a_request_waits_for_a_worker_at_most_the_bound)
{
    struct work_pool *w = one_held(1000);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    work_submit(w, &ctxs[1]);
    work_submit(w, &ctxs[2]);
    /* both refused (not stopping) once they have waited 1 s, in arrival order, while the only
     * worker is still held */
    ck_assert_int_eq(wait_for(&seen.nrefused, 2), 2);
    long ms = ms_since(&t0);
    ck_assert_msg(ms >= 990 && ms < 8000, "refused after %ld ms, not about 1000", ms);
    ck_assert_ptr_eq(seen.refused[0], &ctxs[1]);
    ck_assert_ptr_eq(seen.refused[1], &ctxs[2]);
    ck_assert_int_eq(seen.stopping[0], 0);
    ck_assert_int_eq(seen.stopping[1], 0);
    ck_assert_int_eq(seen.nran, 0);
    int queued = -1, running = -1;
    unsigned long long expired = 0;
    work_counts(w, &queued, &running, &expired);
    ck_assert_int_eq(queued, 0);
    ck_assert_int_eq(running, 1);
    ck_assert_int_eq(expired, 2);
    /* one queued after the worker is free again runs, long before its bound */
    release_hold();
    ck_assert_int_eq(wait_for(&seen.nran, 1), 1);
    work_submit(w, &ctxs[3]);
    ck_assert_int_eq(wait_for(&seen.nran, 2), 2);
    ck_assert_ptr_eq(seen.ran[1], &ctxs[3]);
    ck_assert_int_eq(seen.nrefused, 2);
    work_stop(w);
    work_free(w);
}
END_TEST

Suite *work_suite(void)
{
    Suite *s = suite_create("work");
    TCase *tc = tcase_create("core");
    pthread_mutex_init(&seen.mu, NULL);
    pthread_cond_init(&seen.cv, NULL);
    tcase_add_test(tc, test_one_worker_runs_in_arrival_order);
    tcase_add_test(tc, test_many_workers_run_each_once);
    tcase_add_test(tc, test_stop_refuses_what_waits_and_lets_what_runs_finish);
    tcase_add_test(tc, test_a_request_waits_for_a_worker_at_most_the_bound);
    suite_add_tcase(s, tc);
    return s;
}
