/* The statement pipe (src/db_pipe.h) against the test's PostgreSQL (DATABASE_URL): statements
 * of literals only, so no schema is needed. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "../../src/db_pipe.h"
#include "unit.h"

DB_QUERY(pipe_q_echo, "SELECT concat_ws('|', $1::text, coalesce($2, 'null'), $3::text, "
                      "length($4)::text)");
DB_STMT(pipe_q_double, "SELECT ($1::int * 2)::text");
DB_STMT(pipe_q_sum16, "SELECT ($1::int + $2::int + $3::int + $4::int + $5::int + $6::int + "
                      "$7::int + $8::int + $9::int + $10::int + $11::int + $12::int + $13::int + "
                      "$14::int + $15::int + $16::int)::text");
DB_STMT(pipe_q_divide, "SELECT (1 / $1::int)::text");
DB_STMT(pipe_q_slow_fail, "SELECT (1 / (SELECT 0 FROM pg_sleep($1::float8)))::text");
DB_STMT(pipe_q_sleep, "SELECT pg_sleep($1::float8)::text");
DB_STMT(pipe_q_pid, "SELECT pg_backend_pid()::text");
DB_STMT(pipe_q_end_self, "SELECT pg_terminate_backend(pg_backend_pid())::text");

/* One statement's outcome, waited for by the test's thread. */
struct outcome {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    sd_err e;
    char text[256];
    struct timespec at;
};

static void outcome_init(struct outcome *o)
{
    memset(o, 0, sizeof *o);
    pthread_mutex_init(&o->mu, NULL);
    pthread_cond_init(&o->cv, NULL);
}

static void on_done(void *arg, PGresult *res, sd_err e)
{
    struct outcome *o = arg;
    pthread_mutex_lock(&o->mu);
    o->e = e;
    if (res) {
        snprintf(o->text, sizeof o->text, "%s", PQntuples(res) ? PQgetvalue(res, 0, 0) : "");
        PQclear(res);
    }
    clock_gettime(CLOCK_MONOTONIC, &o->at);
    o->done = 1;
    pthread_cond_signal(&o->cv);
    pthread_mutex_unlock(&o->mu);
}

/* Waits up to 10 s; 0 when it never came. */
static int outcome_wait(struct outcome *o)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&o->mu);
    while (!o->done && pthread_cond_timedwait(&o->cv, &o->mu, &until) == 0)
        ;
    int done = o->done;
    pthread_mutex_unlock(&o->mu);
    return done;
}

static void outcome_free(struct outcome *o)
{
    pthread_mutex_destroy(&o->mu);
    pthread_cond_destroy(&o->cv);
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* DATABASE_URL as it was when the suite was made: the config suite's tests clear the
 * environment, and without a fork per test (CK_FORK=no, as under valgrind) that lasts */
static char database_url[1024];

static const char *url(void)
{
    ck_assert_msg(database_url[0], "DATABASE_URL must name the test's PostgreSQL");
    return database_url;
}

/* The pipe under test is turned by a thread of the test's, as an HTTP thread turns its own;
 * the test's threads submit from outside it, so each submission wakes the turn. */
static struct {
    struct db_pipe *p;
    pthread_t thread;
    atomic_int quit;
} turner;

static void *turn_until_told(void *arg)
{
    struct db_pipe *p = arg;
    while (!atomic_load(&turner.quit))
        db_pipe_turn(p, -1);
    return NULL;
}

static struct db_pipe *start_at(const char *at, int nconns, int max_queue, int timeout_ms)
{
    struct db_pipe *p = db_pipe_start(at, nconns, max_queue, timeout_ms, 3, -1);
    ck_assert_ptr_nonnull(p);
    turner.p = p;
    atomic_store(&turner.quit, 0);
    ck_assert_int_eq(pthread_create(&turner.thread, NULL, turn_until_told, p), 0);
    return p;
}

static struct db_pipe *start(int nconns, int max_queue, int timeout_ms)
{
    return start_at(url(), nconns, max_queue, timeout_ms);
}

/* Ends the turning thread, then frees the pipe. */
static void finish(struct db_pipe *p)
{
    ck_assert_ptr_eq(p, turner.p);
    atomic_store(&turner.quit, 1);
    db_pipe_wake(p);
    pthread_join(turner.thread, NULL);
    db_pipe_free(p);
}

/* Runs one statement and waits for it. */
static sd_err run(struct db_pipe *p, const db_stmt *st, int n, const char *const *params,
                  char *text, size_t len)
{
    struct outcome o;
    struct db_read rd = {.st = st, .n = n};
    outcome_init(&o);
    for (int i = 0; i < n; i++)
        rd.params[i] = params[i];
    db_pipe_submit(p, &rd, on_done, &o);
    ck_assert_msg(outcome_wait(&o), "%s never answered", st->name);
    if (text)
        snprintf(text, len, "%s", o.text);
    outcome_free(&o);
    return o.e;
}

START_TEST(test_parameters_nulls_and_long_texts)
{
    struct db_pipe *p = start(1, 16, 5000);
    char long_text[10001], out[256];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    const char *params[] = {"a", NULL, "", long_text};
    ck_assert_int_eq(run(p, &pipe_q_echo, 4, params, out, sizeof out), SD_OK);
    ck_assert_str_eq(out, "a|null||10000");
    const char *nums[16];
    char buf[16][12];
    for (int i = 0; i < 16; i++) {
        snprintf(buf[i], sizeof buf[i], "%d", i + 1);
        nums[i] = buf[i];
    }
    ck_assert_int_eq(run(p, &pipe_q_sum16, 16, nums, out, sizeof out), SD_OK);
    ck_assert_str_eq(out, "136");
    finish(p);
}
END_TEST

#define MANY 200

START_TEST(test_many_at_once_each_its_own_answer)
{
    struct db_pipe *p = start(2, MANY, 5000);
    static struct outcome o[MANY];
    char in[MANY][12], want[16];
    for (int i = 0; i < MANY; i++) {
        outcome_init(&o[i]);
        snprintf(in[i], sizeof in[i], "%d", i);
        struct db_read rd = {.st = &pipe_q_double, .n = 1, .params = {in[i]}};
        db_pipe_submit(p, &rd, on_done, &o[i]);
    }
    for (int i = 0; i < MANY; i++) {
        ck_assert_msg(outcome_wait(&o[i]), "statement %d never answered", i);
        ck_assert_int_eq(o[i].e, SD_OK);
        snprintf(want, sizeof want, "%d", 2 * i);
        ck_assert_str_eq(o[i].text, want);
        outcome_free(&o[i]);
    }
    struct db_pipe_stats s;
    db_pipe_get_stats(p, &s);
    ck_assert_uint_eq(s.statements, MANY);
    ck_assert_int_eq(s.outstanding, 0);
    /* submitted faster than one at a time are sent together */
    ck_assert_msg(s.batches < MANY, "%llu batches for %d statements", (unsigned long long)s.batches,
                  MANY);
    finish(p);
}
END_TEST

/* Submitters on four threads at once, as the HTTP threads submit: each its own answer. */
struct submitter {
    struct db_pipe *p;
    int base;
    int ok;
};

static void *submit_many(void *arg)
{
    struct submitter *s = arg;
    char out[32], in[16], want[16];
    for (int i = 0; i < 50; i++) {
        snprintf(in, sizeof in, "%d", s->base + i);
        snprintf(want, sizeof want, "%d", 2 * (s->base + i));
        const char *params[] = {in};
        if (run(s->p, &pipe_q_double, 1, params, out, sizeof out) == SD_OK &&
            strcmp(out, want) == 0)
            s->ok++;
    }
    return NULL;
}

START_TEST(test_submitters_on_many_threads)
{
    struct db_pipe *p = start(2, 64, 5000);
    pthread_t t[4];
    struct submitter s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (struct submitter){p, i * 1000, 0};
        pthread_create(&t[i], NULL, submit_many, &s[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(s[i].ok, 50);
    }
    finish(p);
}
END_TEST

/* An error aborts the statements sent after it up to the sync: they are sent again and
 * answered as if alone; the failing one is an internal error, not a retry. */
START_TEST(test_an_error_fails_only_its_statement)
{
    struct db_pipe *p = start(1, 64, 5000);
    for (int round = 0; round < 20; round++) {
        struct outcome o[3];
        const char *args[] = {"1", "0", "2"};
        for (int i = 0; i < 3; i++) {
            outcome_init(&o[i]);
            struct db_read rd = {.st = &pipe_q_divide, .n = 1, .params = {args[i]}};
            db_pipe_submit(p, &rd, on_done, &o[i]);
        }
        for (int i = 0; i < 3; i++)
            ck_assert(outcome_wait(&o[i]));
        ck_assert_int_eq(o[0].e, SD_OK);
        ck_assert_str_eq(o[0].text, "1");
        ck_assert_int_eq(o[1].e, SD_ERR_INTERNAL);
        ck_assert_int_eq(o[2].e, SD_OK);
        ck_assert_str_eq(o[2].text, "0");
        for (int i = 0; i < 3; i++)
            outcome_free(&o[i]);
    }
    finish(p);
}
END_TEST

/* A statement's first use carries its Parse; an error before it in the same batch aborts the
 * Parse. A use of the statement sent while that batch is still running must not name it as
 * prepared (it would find no such statement: 26000, a 500 to its client). */
START_TEST(test_aborted_parse_leaves_no_phantom_statement)
{
    struct db_pipe *p = start(1, 64, 5000);
    struct outcome o[3];
    const char *slow = "0.3", *one = "1", *two = "2";
    struct db_read first[] = {{.st = &pipe_q_slow_fail, .n = 1, .params = {slow}},
                              {.st = &pipe_q_double, .n = 1, .params = {one}}};
    struct db_read later = {.st = &pipe_q_double, .n = 1, .params = {two}};
    for (int i = 0; i < 3; i++)
        outcome_init(&o[i]);
    db_pipe_submit(p, &first[0], on_done, &o[0]);
    db_pipe_submit(p, &first[1], on_done, &o[1]);
    struct timespec pause = {0, 100 * 1000 * 1000}; /* the first batch is sent and running */
    nanosleep(&pause, NULL);
    db_pipe_submit(p, &later, on_done, &o[2]);
    for (int i = 0; i < 3; i++)
        ck_assert(outcome_wait(&o[i]));
    ck_assert_int_eq(o[0].e, SD_ERR_INTERNAL);
    ck_assert_msg(o[1].e == SD_OK && strcmp(o[1].text, "2") == 0, "first use: %d %s", o[1].e,
                  o[1].text);
    ck_assert_msg(o[2].e == SD_OK && strcmp(o[2].text, "4") == 0, "later use: %d %s", o[2].e,
                  o[2].text);
    for (int i = 0; i < 3; i++)
        outcome_free(&o[i]);
    finish(p);
}
END_TEST

START_TEST(test_statement_timeout_is_unavailable)
{
    struct db_pipe *p = start(1, 16, 200);
    const char *slow[] = {"2"}, *two[] = {"2"};
    char out[32];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(run(p, &pipe_q_sleep, 1, slow, NULL, 0), SD_ERR_UNAVAILABLE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_msg(ms_between(&t0, &t1) < 2500, "answered after %.0f ms", ms_between(&t0, &t1));
    ck_assert_int_eq(run(p, &pipe_q_double, 1, two, out, sizeof out), SD_OK);
    ck_assert_str_eq(out, "4");
    finish(p);
}
END_TEST

START_TEST(test_full_queue_refuses_at_once)
{
    struct db_pipe *p = start(1, 2, 5000);
    struct outcome o[3];
    const char *secs[] = {"0.3"};
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 3; i++) {
        outcome_init(&o[i]);
        struct db_read rd = {.st = &pipe_q_sleep, .n = 1, .params = {secs[0]}};
        db_pipe_submit(p, &rd, on_done, &o[i]);
    }
    ck_assert(outcome_wait(&o[2]));
    ck_assert_int_eq(o[2].e, SD_ERR_UNAVAILABLE);
    ck_assert_msg(ms_between(&t0, &o[2].at) < 500, "refused after %.0f ms",
                  ms_between(&t0, &o[2].at));
    for (int i = 0; i < 2; i++) {
        ck_assert(outcome_wait(&o[i]));
        ck_assert_int_eq(o[i].e, SD_OK);
    }
    for (int i = 0; i < 3; i++)
        outcome_free(&o[i]);
    finish(p);
}
END_TEST

START_TEST(test_stop_answers_what_is_outstanding)
{
    struct db_pipe *p = start(1, 16, 5000);
    struct outcome o;
    const char *secs[] = {"3"};
    outcome_init(&o);
    struct db_read rd = {.st = &pipe_q_sleep, .n = 1, .params = {secs[0]}};
    db_pipe_submit(p, &rd, on_done, &o);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    db_pipe_stop(p);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert(outcome_wait(&o));
    ck_assert_int_eq(o.e, SD_ERR_UNAVAILABLE);
    ck_assert_msg(ms_between(&t0, &t1) < 2500, "stopped after %.0f ms", ms_between(&t0, &t1));
    outcome_free(&o);
    /* stopped, not freed: a request that comes late is answered, not lost */
    const char *two[] = {"2"};
    ck_assert_int_eq(run(p, &pipe_q_double, 1, two, NULL, 0), SD_ERR_UNAVAILABLE);
    db_pipe_stop(p); /* (again: nothing) */
    finish(p);
}
END_TEST

/* A connection the backend ends under its statement: sent again once on a fresh connection
 * (where it ends that one too: unavailable), and the next statement finds a live one. */
START_TEST(test_lost_connection_retried_once_then_reconnected)
{
    struct db_pipe *p = start(1, 16, 5000);
    const char *two[] = {"21"};
    char out[32];
    ck_assert_int_eq(run(p, &pipe_q_end_self, 0, NULL, NULL, 0), SD_ERR_UNAVAILABLE);
    ck_assert_int_eq(run(p, &pipe_q_double, 1, two, out, sizeof out), SD_OK);
    ck_assert_str_eq(out, "42");
    struct db_pipe_stats s;
    db_pipe_get_stats(p, &s);
    ck_assert_uint_ge(s.retried, 1);
    ck_assert_uint_ge(s.reconnects, 2);
    ck_assert_int_eq(s.live, 1);
    finish(p);
}
END_TEST

/* Waits up to ms for the pipe's live connections to be n. */
static int live_becomes(struct db_pipe *p, int n, int ms)
{
    struct db_pipe_stats s;
    struct timespec step = {0, 20 * 1000 * 1000};
    for (int waited = 0;; waited += 20) {
        db_pipe_get_stats(p, &s);
        if (s.live == n || waited >= ms)
            return s.live;
        nanosleep(&step, NULL);
    }
}

/* One connection ended from outside while the other stays live: made again (after
 * DB_PIPE_RETRY_LIVE_MS), not left down with every statement on the other. */
START_TEST(test_one_lost_connection_is_made_again)
{
    struct db_pipe *p = start(2, 16, 5000);
    const char *two[] = {"2"};
    char pid[32];
    ck_assert_int_eq(live_becomes(p, 2, 3000), 2);
    ck_assert_int_eq(run(p, &pipe_q_pid, 0, NULL, pid, sizeof pid), SD_OK);
    sd_err e;
    struct db_conn *outside = db_connect(url(), 0, 3, &e);
    ck_assert_ptr_nonnull(outside);
    const char *params[] = {pid};
    PGresult *r = PQexecParams(db_pg(outside), "SELECT pg_terminate_backend($1::int)", 1, NULL,
                               params, NULL, NULL, 0);
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    db_close(outside);
    ck_assert_int_eq(live_becomes(p, 1, 2000), 1);
    struct timespec pause = {1, 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    ck_assert_int_eq(run(p, &pipe_q_double, 1, two, NULL, 0), SD_OK);
    ck_assert_int_eq(live_becomes(p, 2, 3000), 2);
    finish(p);
}
END_TEST

START_TEST(test_unreachable_database_is_unavailable)
{
    struct db_pipe *p = start_at("postgresql://nobody@127.0.0.1:1/none", 1, 16, 5000);
    const char *two[] = {"2"};
    ck_assert_int_eq(run(p, &pipe_q_double, 1, two, NULL, 0), SD_ERR_UNAVAILABLE);
    finish(p);
}
END_TEST

/* As the server turns it: on the test's own thread, with a descriptor of the caller's watched
 * beside the connections. A statement submitted between turns on that thread goes out in the
 * next turn without a wake-up; the caller's descriptor ends a turn's wait. */
START_TEST(test_turned_by_its_callers_thread)
{
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    ck_assert_int_ge(efd, 0);
    struct db_pipe *p = db_pipe_start(url(), 1, 16, 5000, 3, efd);
    ck_assert_ptr_nonnull(p);
    struct db_pipe_stats st;
    for (int i = 0; i < 200; i++) {
        db_pipe_get_stats(p, &st);
        if (st.live == 1)
            break;
        db_pipe_turn(p, 20);
    }
    ck_assert_int_eq(st.live, 1);
    struct outcome o;
    const char *two[] = {"21"};
    struct db_read rd = {.st = &pipe_q_double, .n = 1, .params = {two[0]}};
    outcome_init(&o);
    for (int round = 0; round < 3; round++) {
        db_pipe_submit(p, &rd, on_done, &o);
        for (int i = 0; i < 100 && !o.done; i++)
            db_pipe_turn(p, 50);
        ck_assert_msg(o.done, "round %d: no answer in 100 turns", round);
        ck_assert_int_eq(o.e, SD_OK);
        ck_assert_str_eq(o.text, "42");
        o.done = 0;
    }
    db_pipe_get_stats(p, &st);
    ck_assert_uint_eq(st.statements, 3);
    ck_assert_uint_eq(st.batches, 3);
    /* the caller's descriptor ends the wait at once */
    uint64_t one = 1;
    ck_assert_int_eq(write(efd, &one, sizeof one), (int)sizeof one);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    db_pipe_turn(p, 5000);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_msg(ms_between(&t0, &t1) < 1000, "waited %.0f ms", ms_between(&t0, &t1));
    /* stopping: the next turn answers a statement still out */
    const char *secs[] = {"3"};
    struct db_read slow = {.st = &pipe_q_sleep, .n = 1, .params = {secs[0]}};
    db_pipe_submit(p, &slow, on_done, &o);
    db_pipe_turn(p, 0);
    db_pipe_stop(p);
    db_pipe_turn(p, 0);
    ck_assert(o.done);
    ck_assert_int_eq(o.e, SD_ERR_UNAVAILABLE);
    outcome_free(&o);
    db_pipe_free(p);
    close(efd);
}
END_TEST

Suite *db_pipe_suite(void)
{
    const char *u = getenv("DATABASE_URL");
    snprintf(database_url, sizeof database_url, "%s", u ? u : "");
    Suite *s = suite_create("db_pipe");
    TCase *t = tcase_create("core");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, test_parameters_nulls_and_long_texts);
    tcase_add_test(t, test_many_at_once_each_its_own_answer);
    tcase_add_test(t, test_submitters_on_many_threads);
    tcase_add_test(t, test_an_error_fails_only_its_statement);
    tcase_add_test(t, test_aborted_parse_leaves_no_phantom_statement);
    tcase_add_test(t, test_statement_timeout_is_unavailable);
    tcase_add_test(t, test_full_queue_refuses_at_once);
    tcase_add_test(t, test_stop_answers_what_is_outstanding);
    tcase_add_test(t, test_lost_connection_retried_once_then_reconnected);
    tcase_add_test(t, test_one_lost_connection_is_made_again);
    tcase_add_test(t, test_unreachable_database_is_unavailable);
    tcase_add_test(t, test_turned_by_its_callers_thread);
    suite_add_tcase(s, t);
    return s;
}
