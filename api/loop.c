#define _GNU_SOURCE /* accept4 */
#include "loop.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/db_pipe.h"
#include "../src/log.h"
#include "conn.h"
#include "dispatch.h"
#include "front.h"
#include "http.h"

#define LOOP_MAX_OPTIONS 16
#define LOOP_HELD_MS     20 /* working this long without waiting: held up (on the pool) */
#define LOOP_AGAIN       4  /* rounds of libmicrohttpd's alone, at most, between turns */

/* Upper bounds of the work histogram's buckets, in µs (loop.h, loop_work). */
static const uint64_t work_le_us[LOOP_WORK_BUCKETS] = {100, 1000, 5000, 20000, 100000, 500000};

/* A connection accepted and not yet given to libmicrohttpd by its loop. */
struct handed {
    int fd;
    socklen_t len;
    struct sockaddr_storage addr;
};

struct loop {
    pthread_t thread;
    int running;
    struct MHD_Daemon *d;
    struct db_pipe *pipe;
    struct front *front; /* NULL: every connection is libmicrohttpd's */
    atomic_int quit;
    /* connections handed to it and not yet closed: the acceptor's measure of its share */
    atomic_int open;
    /* when it last woke to work, 0 while it waits: a thread held longer by a statement on the
     * pool is passed over for new connections, which would otherwise all go to it (it serves
     * the fewest because it serves none for the moment) */
    _Atomic int64_t working_since_ms;
    /* its stretches of work between waits (loop_work): counts per bucket of work_le_us, sum */
    atomic_uint_fast64_t work[LOOP_WORK_BUCKETS + 1];
    atomic_uint_fast64_t work_us;
    int gave; /* a connection was given to libmicrohttpd in this turn (loop_add_mhd) */
    /* a connection of its daemon was resumed from another thread (loop_resume): libmicrohttpd
     * 0.9.75 has no signal of its own for that without a listening socket */
    atomic_int resumed;
    pthread_mutex_t mu;
    struct handed *handed; /* (mu) */
    int nhanded, cap;      /* (mu) */
};

struct loop_set {
    struct loop *loops;
    int n;
    int lfd;
    pthread_t acceptor;
    int accepting;
    atomic_int stop;
};

/* The running set (one server per process), for loop_resume; NULL without the pipe. */
static struct loop_set *_Atomic running;

void loop_resume(struct MHD_Connection *c)
{
    /* its daemon found before the resume: once resumed, its loop may end the request and free
     * the connection at any moment */
    struct loop_set *ls = atomic_load(&running);
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
    struct MHD_Daemon *d = ci ? ci->daemon : NULL;
    MHD_resume_connection(c);
    for (int i = 0; ls && d && i < ls->n; i++)
        if (ls->loops[i].d == d) {
            atomic_store(&ls->loops[i].resumed, 1);
            db_pipe_wake(ls->loops[i].pipe);
            return;
        }
}

/* Set when a connection was resumed on its own loop's thread (loop_resume_here). */
static _Thread_local int resumed_here;

void loop_resume_here(struct MHD_Connection *c)
{
    MHD_resume_connection(c);
    resumed_here = 1;
}

/* Set when a connection given to libmicrohttpd on this thread started (loop_take_handed). */
static _Thread_local int started;

/* Counts its loop's connections, then passes on to conn.c. */
static void loop_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                        enum MHD_ConnectionNotificationCode code)
{
    struct loop *l = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        started = 1;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED)
        atomic_fetch_sub(&l->open, 1);
    conn_notify(NULL, c, socket_context, code);
}

/* A connection given to libmicrohttpd, on the loop's own thread (MHD_add_connection is not safe
 * from another thread with an external loop): at once, or by the front when its next request
 * is not a plain one. */
static void loop_add_mhd(void *arg, int fd, const struct sockaddr *addr, socklen_t len)
{
    struct loop *l = arg;
    /* refused (the accept policy, the limit) before it started: closed by libmicrohttpd with
     * no close notification, so uncounted here; one that started and then failed was
     * uncounted by that notification */
    started = 0;
    l->gave = 1;
    if (MHD_add_connection(l->d, fd, addr, len) != MHD_YES && !started)
        atomic_fetch_sub(&l->open, 1);
}

/* The connections handed over since the last turn, to the front or to libmicrohttpd. */
static void loop_take_handed(struct loop *l)
{
    pthread_mutex_lock(&l->mu);
    int n = l->nhanded;
    struct handed batch[64];
    if (n == 0) {
        pthread_mutex_unlock(&l->mu);
        return;
    }
    if (n > 64)
        n = 64;
    memcpy(batch, l->handed, (size_t)n * sizeof *batch);
    memmove(l->handed, l->handed + n, (size_t)(l->nhanded - n) * sizeof *batch);
    l->nhanded -= n;
    int more = l->nhanded > 0;
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < n; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&batch[i].addr;
        if (!l->front)
            loop_add_mhd(l, batch[i].fd, sa, batch[i].len);
        else if (front_add(l->front, batch[i].fd, sa, batch[i].len) != 0)
            atomic_fetch_sub(&l->open, 1);
    }
    if (more)
        db_pipe_wake(l->pipe);
}

static int64_t loop_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t loop_now_ms(void)
{
    return loop_now_us() / 1000;
}

/* One stretch of work, from the loop's wake-up to its next turn of the pipe. */
static void loop_count_work(struct loop *l, int64_t us)
{
    uint64_t v = us > 0 ? (uint64_t)us : 0;
    int b = 0;
    while (b < LOOP_WORK_BUCKETS && v > work_le_us[b])
        b++;
    atomic_fetch_add_explicit(&l->work[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&l->work_us, v, memory_order_relaxed);
}

static void *loop_main(void *arg)
{
    struct loop *l = arg;
    http_read_use_pipe(l->pipe);
    log_batch_begin();
    int again = 0;
    int64_t woke = loop_now_us();
    while (!atomic_load(&l->quit)) {
        MHD_UNSIGNED_LONG_LONG to = 0;
        int wait = -1;
        int64_t mhd_due = INT64_MAX; /* (ms) */
        /* (a resumption seen after MHD_run below, or made in it, runs it again at once) */
        int resumed = resumed_here | atomic_exchange(&l->resumed, 0);
        resumed_here = 0;
        if (MHD_get_timeout(l->d, &to) == MHD_YES) {
            wait = to > INT_MAX ? INT_MAX : (int)to;
            mhd_due = loop_now_ms() + wait;
        }
        if (resumed)
            wait = 0;
        int idle = front_expire(l->front);
        if (idle >= 0 && (wait < 0 || idle < wait))
            wait = idle;
        /* libmicrohttpd takes a few rounds to finish an answer (send it, complete the request,
         * read on): those go straight to it, without a wait on the pipe's epoll in between */
        if (wait == 0 && again < LOOP_AGAIN) {
            again++;
            MHD_run(l->d);
            continue;
        }
        again = 0;
        /* the turn's access lines go out before it may wait */
        log_batch_flush();
        loop_count_work(l, loop_now_us() - woke);
        atomic_store(&l->working_since_ms, 0);
        int mhd_ready = db_pipe_turn(l->pipe, wait);
        woke = loop_now_us();
        atomic_store(&l->working_since_ms, woke / 1000);
        loop_take_handed(l);
        front_run(l->front);
        /* libmicrohttpd's turn only when it has work: its epoll ready (its connections), a
         * connection given to it, one of its connections resumed (here, in this turn's
         * completions, or from another thread: nothing of libmicrohttpd's says so), or its
         * timeout come. An idle MHD_run is an epoll_wait, a system call, at every turn
         * (bench/README.md, twelfth step); work it leaves ready comes back as a timeout of 0,
         * run at the top. */
        resumed |= resumed_here | atomic_exchange(&l->resumed, 0);
        resumed_here = 0;
        if (mhd_ready || l->gave || resumed || woke / 1000 >= mhd_due) {
            l->gave = 0;
            MHD_run(l->d);
        }
    }
    /* reads its pipe still holds are answered (503) and their connections served here, on
     * their own thread: libmicrohttpd does not stop with a connection suspended (loop_end) */
    db_pipe_stop(l->pipe);
    db_pipe_turn(l->pipe, 0);
    front_run(l->front);
    /* (the answers those resumptions make take a few rounds to go out) */
    MHD_UNSIGNED_LONG_LONG to = 0;
    for (int i = 0; i <= LOOP_AGAIN; i++) {
        resumed_here = 0;
        MHD_run(l->d);
        if (!resumed_here && !atomic_exchange(&l->resumed, 0) &&
            !(MHD_get_timeout(l->d, &to) == MHD_YES && to == 0))
            break;
    }
    log_batch_end();
    return NULL;
}

/* The loop serving the fewest connections, among those not held up (see working_since_ms)
 * when any is not. */
static struct loop *loop_least(struct loop_set *ls)
{
    struct loop *best = NULL;
    int best_key = INT_MAX;
    int64_t now = loop_now_ms();
    for (int i = 0; i < ls->n; i++) {
        struct loop *l = &ls->loops[i];
        int64_t since = atomic_load(&l->working_since_ms);
        int held = since != 0 && now - since > LOOP_HELD_MS;
        int open = atomic_load(&l->open);
        int key = held ? (open > INT_MAX / 2 ? INT_MAX - 1 : INT_MAX / 2 + open) : open;
        if (key < best_key) {
            best_key = key;
            best = l;
        }
    }
    return best ? best : &ls->loops[0];
}

static int loop_hand(struct loop *l, const struct handed *h)
{
    pthread_mutex_lock(&l->mu);
    if (l->nhanded == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        struct handed *more = realloc(l->handed, (size_t)cap * sizeof *more);
        if (!more) {
            pthread_mutex_unlock(&l->mu);
            return -1;
        }
        l->handed = more;
        l->cap = cap;
    }
    l->handed[l->nhanded++] = *h;
    pthread_mutex_unlock(&l->mu);
    atomic_fetch_add(&l->open, 1);
    db_pipe_wake(l->pipe);
    return 0;
}

static void *loop_accept(void *arg)
{
    struct loop_set *ls = arg;
    struct timespec pause = {0, 10 * 1000 * 1000};
    while (!atomic_load(&ls->stop)) {
        struct handed h;
        h.len = sizeof h.addr;
        h.fd = accept4(ls->lfd, (struct sockaddr *)&h.addr, &h.len, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (h.fd < 0) {
            /* out of descriptors: the backlog waits a moment rather than spinning */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                nanosleep(&pause, NULL);
            continue; /* (EINVAL after loop_end shuts the socket down: stop is set) */
        }
        if (loop_hand(loop_least(ls), &h) != 0)
            close(h.fd);
    }
    return NULL;
}

static int loop_listen(const struct sockaddr_in *addr)
{
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, SOMAXCONN) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int loop_begin(struct sd_app *app, struct loop *l, const struct MHD_OptionItem *options)
{
    const struct sd_config *cfg = &app->cfg;
    struct MHD_OptionItem own[LOOP_MAX_OPTIONS];
    int n = 0;
    for (; options[n].option != MHD_OPTION_END && n < LOOP_MAX_OPTIONS - 2; n++) {
        own[n] = options[n];
        if (own[n].option == MHD_OPTION_NOTIFY_CONNECTION)
            own[n] =
                (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)loop_notify, l};
    }
    own[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    l->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
                                MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG,
                            0, conn_accept, NULL, dispatch_access, app, MHD_OPTION_ARRAY, own,
                            MHD_OPTION_END);
    const union MHD_DaemonInfo *info =
        l->d ? MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
    l->pipe = info ? db_pipe_start(cfg->database_url, cfg->db_pipe_conns, cfg->max_connections,
                                   cfg->db_statement_timeout_ms, cfg->db_connect_timeout_s,
                                   info->epoll_fd)
                   : NULL;
    if (l->pipe && cfg->http_front &&
        !(l->front = front_new(app, l->pipe, &l->open, loop_add_mhd, l)))
        return -1;
    if (!l->pipe || pthread_create(&l->thread, NULL, loop_main, l) != 0)
        return -1;
    l->running = 1;
    return 0;
}

struct loop_set *loop_start(struct sd_app *app, const struct sockaddr_in *addr,
                            const struct MHD_OptionItem *options)
{
    struct loop_set *ls = calloc(1, sizeof *ls);
    int n = app->cfg.http_threads;
    if (!ls)
        return NULL;
    ls->n = n;
    ls->lfd = loop_listen(addr);
    ls->loops = calloc((size_t)n, sizeof *ls->loops);
    int ok = ls->lfd >= 0 && ls->loops;
    for (int i = 0; ls->loops && i < n; i++)
        pthread_mutex_init(&ls->loops[i].mu, NULL);
    /* (the metrics read these on the loops' threads, which serve no request before the
     * acceptor starts) */
    app->npipes = n;
    app->loops = ls;
    for (int i = 0; ok && i < n; i++) {
        ok = loop_begin(app, &ls->loops[i], options) == 0;
        app->pipes[i] = ls->loops[i].pipe;
    }
    /* published before the first connection comes: a resumption finds its loop to mark */
    if (ok)
        atomic_store(&running, ls);
    ok = ok && pthread_create(&ls->acceptor, NULL, loop_accept, ls) == 0;
    ls->accepting = ok;
    if (ok)
        return ls;
    atomic_store(&running, NULL);
    app->npipes = 0;
    app->loops = NULL;
    loop_end(ls);
    memset(app->pipes, 0, sizeof app->pipes);
    return NULL;
}

void loop_connections(struct loop_set *ls, int *fewest, int *most)
{
    *fewest = INT_MAX;
    *most = 0;
    for (int i = 0; i < ls->n; i++) {
        int open = atomic_load(&ls->loops[i].open);
        *fewest = open < *fewest ? open : *fewest;
        *most = open > *most ? open : *most;
    }
}

void loop_work(struct loop_set *ls, uint64_t counts[LOOP_WORK_BUCKETS + 1], uint64_t *sum_us)
{
    memset(counts, 0, (LOOP_WORK_BUCKETS + 1) * sizeof *counts);
    *sum_us = 0;
    for (int i = 0; i < ls->n; i++) {
        for (int b = 0; b <= LOOP_WORK_BUCKETS; b++)
            counts[b] += atomic_load_explicit(&ls->loops[i].work[b], memory_order_relaxed);
        *sum_us += atomic_load_explicit(&ls->loops[i].work_us, memory_order_relaxed);
    }
}

const uint64_t *loop_work_bounds_us(void)
{
    return work_le_us;
}

void loop_stop_pipes(struct loop_set *ls)
{
    for (int i = 0; i < ls->n; i++)
        db_pipe_stop(ls->loops[i].pipe);
}

void loop_end(struct loop_set *ls)
{
    if (!ls)
        return;
    atomic_store(&ls->stop, 1);
    if (atomic_load(&running) == ls)
        atomic_store(&running, NULL);
    if (ls->lfd >= 0)
        shutdown(ls->lfd, SHUT_RDWR); /* ends the acceptor's accept (EINVAL) */
    if (ls->accepting)
        pthread_join(ls->acceptor, NULL);
    for (int i = 0; ls->loops && i < ls->n; i++) {
        atomic_store(&ls->loops[i].quit, 1);
        if (ls->loops[i].pipe)
            db_pipe_wake(ls->loops[i].pipe);
    }
    struct db_pipe_stats s = {0};
    for (int i = 0; ls->loops && i < ls->n; i++) {
        struct loop *l = &ls->loops[i];
        if (l->running)
            pthread_join(l->thread, NULL);
        front_free(l->front); /* (its connections' requests ended with the loop) */
        if (l->d)
            MHD_stop_daemon(l->d);
        for (int k = 0; k < l->nhanded; k++)
            close(l->handed[k].fd);
        if (l->pipe)
            db_pipe_add_stats(l->pipe, &s);
        db_pipe_free(l->pipe);
        free(l->handed);
        pthread_mutex_destroy(&l->mu);
    }
    if (ls->loops)
        log_info("statement pipes: %" PRIu64 " statements in %" PRIu64 " batches, %" PRIu64
                 " sent again, %" PRIu64 " unavailable, %" PRIu64 " reconnects",
                 s.statements, s.batches, s.retried, s.refused, s.reconnects);
    if (ls->lfd >= 0)
        close(ls->lfd);
    free(ls->loops);
    free(ls);
}
