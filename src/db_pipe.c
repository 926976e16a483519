/* The statement pipe (db_pipe.h): a submission queue, K connections in libpq's pipeline mode,
 * one epoll, turned by the thread that owns it.
 *
 * Statements taken from the queue in one turn go out on one connection as [Parse]
 * Bind/Execute each and one Sync after the last: k requests arriving together cost one send
 * and, with luck, one receive, not k of each. A Sync per statement would isolate errors
 * better, but libpq 15's PQpipelineSync sends at once (PQsendPipelineSync, which does not, is
 * libpq 17), which made it a send per statement again. So an error aborts the statements after
 * it up to the Sync (PGRES_PIPELINE_ABORTED): those are sent again once. Results come in the
 * order sent, so each connection keeps its statements in a FIFO and completes the oldest.
 *
 * Connections are made with PQconnectStartParams and driven by the same epoll, so a database
 * that is slow to accept never stops the statements on the other connections. A statement
 * that finds no live connection waits while one is being made, and is answered unavailable
 * when none can be. A statement whose connection is lost is sent again once, like db_exec's
 * retry, on whichever connection is live next (a fresh one when all were lost together). */
#include "db_pipe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "db_pipe_conn.h"
#include "log.h"

void db_pipe_complete(struct db_pipe *p, struct db_pipe_job *j, PGresult *res, sd_err e)
{
    atomic_fetch_sub(&p->outstanding, 1);
    atomic_fetch_add(&p->statements, 1);
    if (!res && e == SD_ERR_UNAVAILABLE)
        atomic_fetch_add(&p->refused, 1);
    j->done(j->arg, res, e);
    free(j);
}

static void db_pipe_hold(struct db_pipe *p, struct db_pipe_job *j)
{
    struct db_pipe_job **at = &p->held;
    while (*at)
        at = &(*at)->next;
    j->next = NULL;
    *at = j;
}

/* Sent again once (a lost connection, an abort by another's error); answered otherwise. */
void db_pipe_again(struct db_pipe *p, struct db_pipe_job *j)
{
    PQclear(j->res);
    PQclear(j->prep_err);
    j->res = j->prep_err = NULL;
    if (j->retried) {
        db_pipe_complete(p, j, NULL, SD_ERR_UNAVAILABLE);
        return;
    }
    j->retried = 1;
    atomic_fetch_add(&p->retried, 1);
    db_pipe_hold(p, j);
}

/* The live connection with the fewest statements outstanding, NULL when none is. A connection
 * that is down is made again when it has not just been tried: at once when none is live, after
 * DB_PIPE_RETRY_LIVE_MS when another carries the statements meanwhile (one lost alone, to an
 * idle cut or pg_terminate_backend, would otherwise leave every statement on the other). */
static struct db_pipe_conn *db_pipe_pick(struct db_pipe *p)
{
    struct db_pipe_conn *best = NULL;
    for (int i = 0; i < p->nconns; i++) {
        struct db_pipe_conn *c = &p->conns[i];
        if (c->state == PC_READY && (!best || c->npending < best->npending))
            best = c;
    }
    long retry_ms = best ? DB_PIPE_RETRY_LIVE_MS : DB_PIPE_RETRY_MS;
    for (int i = 0; i < p->nconns; i++) {
        struct db_pipe_conn *c = &p->conns[i];
        if (c->state == PC_DOWN && db_pipe_ms_since(&c->since) >= retry_ms)
            db_pipe_connect_start(p, c);
    }
    return best;
}

static int db_pipe_connecting(const struct db_pipe *p)
{
    for (int i = 0; i < p->nconns; i++)
        if (p->conns[i].state == PC_CONNECTING)
            return 1;
    return 0;
}

/* One sync after each connection's batch (libpq 15 sends with it), then whatever is left to
 * send. */
static void db_pipe_sync(struct db_pipe *p)
{
    for (int i = 0; i < p->nconns; i++) {
        struct db_pipe_conn *c = &p->conns[i];
        if (c->state != PC_READY || !c->unsynced)
            continue;
        c->unsynced = 0;
        c->tail->sync_after = 1;
        if (!PQpipelineSync(c->pg))
            db_pipe_lost(p, c);
        else if (!(c->events & EPOLLOUT))
            db_pipe_flush(p, c);
    }
}

/* Sends each statement (the whole batch on one connection, the least loaded: k statements in
 * one send, and their results, with luck, in one receive), holds it while a connection is
 * being made, or answers it unavailable when none can be. */
static void db_pipe_dispatch(struct db_pipe *p, struct db_pipe_job *j)
{
    struct db_pipe_conn *to = NULL;
    int sent = 0;
    while (j) {
        struct db_pipe_job *next = j->next;
        if (!to || to->state != PC_READY)
            to = db_pipe_pick(p);
        if (to && !sent++)
            atomic_fetch_add(&p->batches, 1);
        if (to)
            db_pipe_send(p, to, j);
        else if (db_pipe_connecting(p))
            db_pipe_hold(p, j);
        else
            db_pipe_complete(p, j, NULL, SD_ERR_UNAVAILABLE);
        j = next;
    }
}

/* How long epoll may wait: at once when held statements can go (or must be answered), until
 * the nearest connect deadline while connections are being made, else until woken. */
static int db_pipe_timeout(struct db_pipe *p)
{
    int wait = -1, live = atomic_load(&p->live) > 0;
    for (int i = 0; i < p->nconns; i++) {
        const struct db_pipe_conn *c = &p->conns[i];
        if (c->state != PC_CONNECTING)
            continue;
        long left = p->connect_timeout_ms - db_pipe_ms_since(&c->since);
        if (left < 0)
            left = 0;
        if (wait < 0 || left < wait)
            wait = (int)left;
    }
    if (p->held && (live || wait < 0))
        return 0;
    return wait;
}

static void db_pipe_expire(struct db_pipe *p)
{
    for (int i = 0; i < p->nconns; i++) {
        struct db_pipe_conn *c = &p->conns[i];
        if (c->state == PC_CONNECTING && db_pipe_ms_since(&c->since) >= p->connect_timeout_ms) {
            log_warn("database pipe: connecting took over %d ms: given up", p->connect_timeout_ms);
            db_pipe_close(p, c);
        }
    }
}

static void db_pipe_events(struct db_pipe *p, const struct epoll_event *ev)
{
    struct db_pipe_conn *c = ev->data.ptr;
    if (!c) {
        uint64_t v;
        if (read(p->evfd, &v, sizeof v) < 0 && errno != EAGAIN)
            log_warn("database pipe: eventfd: %s", strerror(errno));
        return;
    }
    if (c->state == PC_CONNECTING) {
        db_pipe_connect_step(p, c);
        return;
    }
    if (c->state != PC_READY)
        return; /* lost earlier in this round */
    if (ev->events & EPOLLOUT)
        db_pipe_flush(p, c);
    if (c->state == PC_READY && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        db_pipe_read(p, c);
}

static void db_pipe_answer_all(struct db_pipe *p, struct db_pipe_job *j)
{
    while (j) {
        struct db_pipe_job *next = j->next;
        PQclear(j->res);
        PQclear(j->prep_err);
        db_pipe_complete(p, j, NULL, SD_ERR_UNAVAILABLE);
        j = next;
    }
}

static void db_pipe_close_all(struct db_pipe *p)
{
    for (int i = 0; i < p->nconns; i++) {
        struct db_pipe_conn *c = &p->conns[i];
        struct db_pipe_job *j = c->head;
        c->head = NULL;
        db_pipe_close(p, c);
        db_pipe_answer_all(p, j);
    }
}

/* Sends what was submitted since the last round, after what was held (it came earlier).
 * Once stopping, answers everything instead, statements still out on a connection included:
 * their requests must end before the HTTP daemon stops (it refuses to stop with suspended
 * connections); returns 0 then. */
static int db_pipe_round(struct db_pipe *p)
{
    pthread_mutex_lock(&p->mu);
    struct db_pipe_job *j = p->qhead;
    int stopping = p->stopping;
    p->qhead = p->qtail = NULL;
    pthread_mutex_unlock(&p->mu);
    if (p->held) {
        struct db_pipe_job *h = p->held;
        while (h->next)
            h = h->next;
        h->next = j;
        j = p->held;
        p->held = NULL;
    }
    if (stopping) {
        db_pipe_answer_all(p, j);
        db_pipe_close_all(p);
        return 0;
    }
    db_pipe_dispatch(p, j);
    db_pipe_sync(p);
    return 1;
}

/* The pipe this thread turns: a statement submitted from inside the turn's caller (a handler
 * run by libmicrohttpd on that thread) needs no wake-up, the next turn sends it before it
 * waits. */
static _Thread_local struct db_pipe *turning;

/* Events of one wait: the pipe's connections, its eventfd, watch_fd, and as many of the
 * caller's own descriptors (db_pipe_watch) as come at once; more wait for the next turn. */
#define DB_PIPE_EVENTS (DB_PIPE_MAX_CONNS + 2 + 62)

int db_pipe_watch(struct db_pipe *p, int fd, uint32_t events, struct db_pipe_watcher *w)
{
    struct epoll_event ev = {.events = events, .data.ptr = w};
    return epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev);
}

void db_pipe_unwatch(struct db_pipe *p, int fd)
{
    epoll_ctl(p->epfd, EPOLL_CTL_DEL, fd, NULL);
}

/* Whether an event's pointer is one of the pipe's own: its eventfd (NULL), watch_fd, or one of
 * its connections; anything else is a caller's watcher. */
static int db_pipe_owns(const struct db_pipe *p, const void *ptr)
{
    const char *c = ptr, *first = (const char *)&p->conns[0];
    return !ptr || ptr == &p->watch_fd ||
           (c >= first && c < (const char *)&p->conns[DB_PIPE_MAX_CONNS]);
}

int db_pipe_turn(struct db_pipe *p, int wait_ms)
{
    struct epoll_event evs[DB_PIPE_EVENTS];
    int watched = 0;
    turning = p;
    if (!p->stopped && !db_pipe_round(p))
        p->stopped = 1;
    if (!p->stopped) {
        int own = db_pipe_timeout(p);
        if (own >= 0 && (wait_ms < 0 || own < wait_ms))
            wait_ms = own;
    }
    /* answered since the caller last ran (in this round, or at once in a submission): their
     * connections were resumed, and the caller must serve them before anything wakes it */
    if (atomic_load(&p->statements) != p->seen)
        wait_ms = 0;
    int n = epoll_wait(p->epfd, evs, DB_PIPE_EVENTS, wait_ms);
    for (int i = 0; i < n; i++) {
        watched |= evs[i].data.ptr == &p->watch_fd;
        if (evs[i].data.ptr == &p->watch_fd || !db_pipe_owns(p, evs[i].data.ptr))
            continue; /* the caller's: it runs it after this returns, its watchers below */
        if (!p->stopped || !evs[i].data.ptr)
            db_pipe_events(p, &evs[i]);
    }
    if (!p->stopped)
        db_pipe_expire(p);
    p->seen = atomic_load(&p->statements);
    for (int i = 0; i < n; i++)
        if (!db_pipe_owns(p, evs[i].data.ptr)) {
            struct db_pipe_watcher *w = evs[i].data.ptr;
            w->fn(w, evs[i].events);
        }
    return watched;
}

static struct db_pipe *db_pipe_new(const char *url, int nconns, int max_queue,
                                   int statement_timeout_ms, int connect_timeout_s, int watch_fd)
{
    struct db_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nconns = nconns < 1 ? 1 : nconns > DB_PIPE_MAX_CONNS ? DB_PIPE_MAX_CONNS : nconns;
    p->max_queue = max_queue;
    p->connect_timeout_ms = (connect_timeout_s > 0 ? connect_timeout_s : 3) * 1000;
    p->watch_fd = watch_fd;
    for (int i = 0; i < p->nconns; i++)
        p->conns[i].fd = -1;
    p->url = strdup(url);
    snprintf(p->options, sizeof p->options, "-c statement_timeout=%d", statement_timeout_ms);
    snprintf(p->timeout, sizeof p->timeout, "%d", connect_timeout_s);
    pthread_mutex_init(&p->mu, NULL);
    p->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    struct epoll_event watch = {.events = EPOLLIN, .data.ptr = &p->watch_fd};
    if (p->url && p->evfd >= 0 && p->epfd >= 0 &&
        epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->evfd, &ev) == 0 &&
        (watch_fd < 0 || epoll_ctl(p->epfd, EPOLL_CTL_ADD, watch_fd, &watch) == 0))
        return p;
    if (p->evfd >= 0)
        close(p->evfd);
    if (p->epfd >= 0)
        close(p->epfd);
    pthread_mutex_destroy(&p->mu);
    free(p->url);
    free(p);
    return NULL;
}

struct db_pipe *db_pipe_start(const char *url, int nconns, int max_queue, int statement_timeout_ms,
                              int connect_timeout_s, int watch_fd)
{
    struct db_pipe *p =
        db_pipe_new(url, nconns, max_queue, statement_timeout_ms, connect_timeout_s, watch_fd);
    if (!p)
        return NULL;
    for (int i = 0; i < p->nconns; i++)
        db_pipe_connect_start(p, &p->conns[i]);
    return p;
}

void db_pipe_wake(struct db_pipe *p)
{
    uint64_t one = 1;
    if (write(p->evfd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_warn("database pipe: eventfd: %s", strerror(errno));
}

void db_pipe_stop(struct db_pipe *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_mutex_unlock(&p->mu);
    db_pipe_wake(p);
}

void db_pipe_free(struct db_pipe *p)
{
    if (!p)
        return;
    db_pipe_stop(p);
    if (!p->stopped) /* nobody turns it any more */
        db_pipe_round(p);
    close(p->evfd);
    close(p->epfd);
    pthread_mutex_destroy(&p->mu);
    free(p->url);
    free(p);
}

void db_pipe_get_stats(struct db_pipe *p, struct db_pipe_stats *out)
{
    out->conns = p->nconns;
    out->live = atomic_load(&p->live);
    out->outstanding = atomic_load(&p->outstanding);
    out->statements = atomic_load(&p->statements);
    out->batches = atomic_load(&p->batches);
    out->retried = atomic_load(&p->retried);
    out->refused = atomic_load(&p->refused);
    out->reconnects = atomic_load(&p->reconnects);
}

void db_pipe_add_stats(struct db_pipe *p, struct db_pipe_stats *sum)
{
    struct db_pipe_stats s;
    db_pipe_get_stats(p, &s);
    sum->conns += s.conns;
    sum->live += s.live;
    sum->outstanding += s.outstanding;
    sum->statements += s.statements;
    sum->batches += s.batches;
    sum->retried += s.retried;
    sum->refused += s.refused;
    sum->reconnects += s.reconnects;
}

void db_pipe_submit(struct db_pipe *p, const struct db_read *rd, db_pipe_done_fn done, void *arg)
{
    size_t bytes = 0;
    for (int i = 0; i < rd->n && i < DB_READ_MAX_PARAMS; i++)
        bytes += rd->params[i] ? strlen(rd->params[i]) + 1 : 0;
    struct db_pipe_job *j = NULL;
    if (rd->n <= DB_READ_MAX_PARAMS && atomic_fetch_add(&p->outstanding, 1) < p->max_queue)
        j = calloc(1, sizeof *j + bytes);
    else if (rd->n <= DB_READ_MAX_PARAMS)
        log_warn("database pipe: %d statements waiting: %s refused", p->max_queue, rd->st->name);
    if (!j) {
        if (rd->n <= DB_READ_MAX_PARAMS)
            atomic_fetch_sub(&p->outstanding, 1);
        atomic_fetch_add(&p->refused, 1);
        done(arg, NULL, SD_ERR_UNAVAILABLE);
        return;
    }
    char *at = j->text;
    for (int i = 0; i < rd->n; i++) {
        if (!rd->params[i])
            continue; /* SQL NULL */
        size_t len = strlen(rd->params[i]) + 1;
        j->params[i] = memcpy(at, rd->params[i], len);
        at += len;
    }
    j->st = rd->st;
    j->n = rd->n;
    j->done = done;
    j->arg = arg;
    pthread_mutex_lock(&p->mu);
    int was_empty = !p->qhead, stopping = p->stopping;
    if (!stopping) {
        if (p->qtail)
            p->qtail->next = j;
        else
            p->qhead = j;
        p->qtail = j;
    }
    pthread_mutex_unlock(&p->mu);
    if (stopping) {
        db_pipe_complete(p, j, NULL, SD_ERR_UNAVAILABLE);
        return;
    }
    /* only the first of a batch wakes the thread: it takes the whole queue at once; a turn's
     * own thread sends it in its next turn, before waiting */
    if (was_empty && turning != p)
        db_pipe_wake(p);
}
