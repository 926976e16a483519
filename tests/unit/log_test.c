/* The access lines' writer (src/log.c): lines from several threads, some gathered a turn at a
 * time as the loops do, come out whole, each once, each thread's in its order, and a line of
 * another kind after the access lines its thread wrote before it; into a pipe (pieces of at
 * most PIPE_BUF, while another thread writes short lines of its own to the same pipe: a longer
 * piece could be split around them) and into a file. The pipe is not read for its first 200 ms,
 * so the writer falls behind and the requests' threads write themselves. A thread goes on
 * logging warnings across the writer's stop (as the server's background threads may). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/log.h"
#include "unit.h"

#define THREADS 4
#define LINES   4000
#define DIRECT  2000

struct sink {
    int fd;
    char *buf;
    size_t n, cap;
};

static void *drain(void *arg)
{
    struct sink *s = arg;
    usleep(200 * 1000);
    for (;;) {
        if (s->cap - s->n < 65536) {
            s->cap = s->cap * 2 + 65536;
            s->buf = realloc(s->buf, s->cap);
        }
        ssize_t r = read(s->fd, s->buf + s->n, s->cap - s->n);
        if (r <= 0)
            return NULL;
        s->n += (size_t)r;
    }
}

static void *logger(void *arg)
{
    long k = (long)arg;
    char id[32];
    if (k % 2)
        log_batch_begin(); /* (as an HTTP loop: a turn's lines handed on together) */
    for (int i = 0; i < LINES; i++) {
        snprintf(id, sizeof id, "t%ld-%d", k, i);
        struct log_access a = {id, "GET", "/v1/me", NULL, 200, 0.25, 7};
        log_request(&a);
        if (k % 2 && i % 7 == 6)
            log_batch_flush();
        if (k == 0 && i == LINES / 2)
            log_warn("half-way t0");
    }
    if (k % 2)
        log_batch_end();
    return NULL;
}

static atomic_int late_done;

/* Warnings across the writer's stop, until told. */
static void *late(void *arg)
{
    (void)arg;
    for (int i = 0; !atomic_load(&late_done) || i < 50; i++)
        log_warn("late %d", i);
    return NULL;
}

/* Short lines written straight to fd 2, as another library might. */
static void *direct(void *arg)
{
    char line[32];
    (void)arg;
    for (int i = 0; i < DIRECT; i++) {
        int n = snprintf(line, sizeof line, "{\"direct\":%d}\n", i);
        if (write(2, line, (size_t)n) != n)
            return NULL;
    }
    return NULL;
}

/* The text every thread wrote to fd 2 while the writer ran, malloc'd and NUL-terminated.
 * (Nothing is asserted while fd 2 is redirected: with CK_FORK=no a failure would leave it so.) */
static char *run_loggers(int use_pipe)
{
    int saved = dup(2), p[2] = {-1, -1};
    FILE *f = NULL;
    struct sink s = {0};
    pthread_t reader, t[THREADS], d, l;
    if (use_pipe) {
        ck_assert_int_eq(pipe(p), 0);
        s.fd = p[0];
        pthread_create(&reader, NULL, drain, &s);
        dup2(p[1], 2);
        close(p[1]);
    } else {
        f = tmpfile();
        ck_assert_ptr_nonnull(f);
        dup2(fileno(f), 2);
    }
    int started = log_writer_start();
    for (long k = 0; k < THREADS; k++)
        pthread_create(&t[k], NULL, logger, (void *)k);
    if (use_pipe)
        pthread_create(&d, NULL, direct, NULL);
    for (int k = 0; k < THREADS; k++)
        pthread_join(t[k], NULL);
    if (use_pipe)
        pthread_join(d, NULL);
    atomic_store(&late_done, 0);
    pthread_create(&l, NULL, late, NULL);
    log_writer_stop();
    atomic_store(&late_done, 1);
    pthread_join(l, NULL);
    dup2(saved, 2); /* (closes the pipe's last writer) */
    close(saved);
    ck_assert_int_eq(started, 0);
    if (use_pipe) {
        pthread_join(reader, NULL);
        close(p[0]);
    } else {
        long len = ftell(f);
        s.buf = malloc((size_t)len + 1);
        rewind(f);
        s.n = fread(s.buf, 1, (size_t)len, f);
        fclose(f);
    }
    s.buf = realloc(s.buf, s.n + 1);
    s.buf[s.n] = '\0';
    return s.buf;
}

static void check_lines(char *text, int direct_lines)
{
    int next[THREADS] = {0}, warned = 0, directs = 0, lates = 0, d;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        size_t n = strlen(line);
        ck_assert_msg(n > 2 && line[0] == '{' && line[n - 1] == '}', "a broken line: %.80s", line);
        if (sscanf(line, "{\"direct\":%d}", &d) == 1) {
            ck_assert_int_eq(d, directs);
            directs++;
            continue;
        }
        const char *lt = strstr(line, "\"msg\":\"late ");
        if (lt) {
            ck_assert_int_eq(atoi(lt + strlen("\"msg\":\"late ")), lates);
            lates++;
            continue;
        }
        if (strstr(line, "\"msg\":\"half-way t0\"")) {
            ck_assert_int_eq(next[0], LINES / 2 + 1); /* after t0's lines before it, only */
            warned++;
            continue;
        }
        const char *id = strstr(line, "\"request_id\":\"t");
        ck_assert_msg(id != NULL, "a line without its id: %.80s", line);
        int k = -1, i = -1;
        ck_assert_int_eq(sscanf(id, "\"request_id\":\"t%d-%d\"", &k, &i), 2);
        ck_assert(k >= 0 && k < THREADS);
        ck_assert_msg(i == next[k], "thread %d: line %d where %d was due", k, i, next[k]);
        next[k]++;
    }
    for (int k = 0; k < THREADS; k++)
        ck_assert_int_eq(next[k], LINES);
    ck_assert_int_eq(warned, 1);
    ck_assert_int_eq(directs, direct_lines);
    ck_assert_int_ge(lates, 50);
}

START_TEST(test_writer_into_a_pipe)
{
    char *text = run_loggers(1);
    check_lines(text, DIRECT);
    free(text);
}
END_TEST

START_TEST(test_writer_into_a_file)
{
    char *text = run_loggers(0);
    check_lines(text, 0);
    free(text);
}
END_TEST

Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("writer");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_writer_into_a_pipe);
    tcase_add_test(tc, test_writer_into_a_file);
    suite_add_tcase(s, tc);
    return s;
}
