/* The statement pipe (db_pipe.h): a submission queue, one thread, K connections in libpq's
 * pipeline mode.
 *
 * Statements taken from the queue in one wake-up go out on one connection as [Parse]
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
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define DB_PIPE_MAX_CONNS    16
#define DB_PIPE_MAX_PREPARED 256
#define DB_PIPE_RETRY_MS     250 /* between attempts to connect while the database refuses */

/* where a statement's results stand: [prepare's result, NULL], result, NULL, [sync] */
enum db_pipe_stage { ST_PREP, ST_PREP_END, ST_RES, ST_RES_END, ST_SYNC };
enum db_pipe_state { PC_DOWN, PC_CONNECTING, PC_READY };

struct db_pipe_job {
    struct db_pipe_job *next;
    const db_stmt *st;
    int n;
    db_pipe_done_fn done;
    void *arg;
    int with_prepare;
    int retried;    /* sent again once already */
    int sync_after; /* the last of its batch: a sync result follows its own */
    enum db_pipe_stage stage;
    PGresult *res, *prep_err;
    const char *params[DB_READ_MAX_PARAMS];
    char text[]; /* the parameters' bytes */
};

struct db_pipe_conn {
    PGconn *pg;
    int fd;          /* registered with the epoll; -1: none */
    uint32_t events; /* what it is watched for */
    enum db_pipe_state state;
    struct timespec since; /* the start of the last attempt to connect */
    int ready_before;
    int npending;
    struct db_pipe_job *head, *tail; /* sent, oldest first */
    int unsynced;                    /* tail was sent and no sync after it yet */
    int nprepared;
    const db_stmt *prepared[DB_PIPE_MAX_PREPARED];
};

struct db_pipe {
    pthread_t thread;
    pthread_mutex_t mu;
    struct db_pipe_job *qhead, *qtail; /* submitted, not yet taken (mu) */
    int stopping;                      /* (mu) */
    struct db_pipe_job *held; /* the thread's: to send again, or waiting for a connection */
    int evfd, epfd;
    int nconns, max_queue, connect_timeout_ms;
    struct db_pipe_conn conns[DB_PIPE_MAX_CONNS];
    char options[64], timeout[16];
    char *url;
    atomic_int outstanding, live;
    atomic_ullong statements, batches, retried, refused, reconnects;
};

static void db_pipe_complete(struct db_pipe *p, struct db_pipe_job *j, PGresult *res, sd_err e)
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
static void db_pipe_again(struct db_pipe *p, struct db_pipe_job *j)
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

static long db_pipe_ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Watches c's socket for events; libpq may change the socket while it connects. */
static void db_pipe_watch(struct db_pipe *p, struct db_pipe_conn *c, uint32_t events)
{
    int fd = PQsocket(c->pg);
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (fd == c->fd && events == c->events)
        return;
    if (c->fd >= 0 && fd != c->fd)
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL); /* (gone already if libpq closed it) */
    /* a socket closed and reopened under the same number left the epoll with the close */
    if (fd == c->fd && epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev) != 0 && errno == ENOENT)
        epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev);
    if (fd != c->fd && fd >= 0 && epoll_ctl(p->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
        errno == EEXIST)
        epoll_ctl(p->epfd, EPOLL_CTL_MOD, fd, &ev);
    c->fd = fd;
    c->events = events;
}

static void db_pipe_close(struct db_pipe *p, struct db_pipe_conn *c)
{
    if (c->fd >= 0)
        epoll_ctl(p->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->state == PC_READY)
        atomic_fetch_sub(&p->live, 1);
    PQfinish(c->pg);
    c->pg = NULL;
    c->fd = -1;
    c->events = 0;
    c->state = PC_DOWN;
    c->head = c->tail = NULL;
    c->npending = 0;
    c->unsynced = 0;
}

static void db_pipe_connect_start(struct db_pipe *p, struct db_pipe_conn *c)
{
    const char *keys[] = {"dbname", "options", "connect_timeout", "application_name", NULL};
    const char *vals[] = {p->url, p->options, p->timeout, "sellerdesk-pipe", NULL};
    clock_gettime(CLOCK_MONOTONIC, &c->since);
    /* (a host name is resolved here, blocking; an address or a socket directory is not) */
    c->pg = PQconnectStartParams(keys, vals, 1);
    if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
        log_warn("database pipe: cannot connect: %s", c->pg ? PQerrorMessage(c->pg) : "no memory");
        db_pipe_close(p, c);
        return;
    }
    c->state = PC_CONNECTING;
    db_pipe_watch(p, c, EPOLLOUT); /* libpq: as if PQconnectPoll had said WRITING */
}

static void db_pipe_connect_step(struct db_pipe *p, struct db_pipe_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        db_pipe_watch(p, c, EPOLLIN);
        return;
    case PGRES_POLLING_WRITING:
        db_pipe_watch(p, c, EPOLLOUT);
        return;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(c->pg, 1) == 0 && PQenterPipelineMode(c->pg) == 1) {
            c->state = PC_READY;
            c->nprepared = 0;
            atomic_fetch_add(&p->live, 1);
            if (c->ready_before)
                atomic_fetch_add(&p->reconnects, 1);
            c->ready_before = 1;
            db_pipe_watch(p, c, EPOLLIN);
            return;
        }
        break;
    default:
        break;
    }
    log_warn("database pipe: cannot connect: %s", PQerrorMessage(c->pg));
    db_pipe_close(p, c);
}

/* The connection is gone: its statements are sent again once on the next live connection. */
static void db_pipe_lost(struct db_pipe *p, struct db_pipe_conn *c)
{
    struct db_pipe_job *j = c->head;
    log_warn("database pipe: connection lost (%d statements pending): %s", c->npending,
             PQerrorMessage(c->pg));
    db_pipe_close(p, c);
    c->since.tv_sec = 0; /* may be made again at once */
    c->since.tv_nsec = 0;
    while (j) {
        struct db_pipe_job *next = j->next;
        db_pipe_again(p, j);
        j = next;
    }
}

/* The live connection with the fewest statements outstanding. None live: the connections
 * that are down and have not just been tried are made again, and NULL comes back. */
static struct db_pipe_conn *db_pipe_pick(struct db_pipe *p)
{
    struct db_pipe_conn *best = NULL;
    for (int i = 0; i < p->nconns; i++) {
        struct db_pipe_conn *c = &p->conns[i];
        if (c->state == PC_READY && (!best || c->npending < best->npending))
            best = c;
    }
    if (best)
        return best;
    for (int i = 0; i < p->nconns; i++) {
        struct db_pipe_conn *c = &p->conns[i];
        if (c->state == PC_DOWN && db_pipe_ms_since(&c->since) >= DB_PIPE_RETRY_MS)
            db_pipe_connect_start(p, c);
    }
    return NULL;
}

static int db_pipe_connecting(const struct db_pipe *p)
{
    for (int i = 0; i < p->nconns; i++)
        if (p->conns[i].state == PC_CONNECTING)
            return 1;
    return 0;
}

static int db_pipe_is_prepared(const struct db_pipe_conn *c, const db_stmt *st)
{
    for (int i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == st)
            return 1;
    return 0;
}

static void db_pipe_unprepare(struct db_pipe_conn *c, const db_stmt *st)
{
    for (int i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == st) {
            c->prepared[i] = c->prepared[--c->nprepared];
            return;
        }
}

/* Writes the statement into c's output buffer (flushed by db_pipe_sync). */
static void db_pipe_send(struct db_pipe *p, struct db_pipe_conn *c, struct db_pipe_job *j)
{
    const db_stmt *st = j->st;
    int prepared = !st->per_call && db_pipe_is_prepared(c, st);
    /* (past DB_PIPE_MAX_PREPARED a statement is planned per call, as in db.c) */
    int per_call = st->per_call || (!prepared && c->nprepared == DB_PIPE_MAX_PREPARED);
    int ok = 1;
    j->with_prepare = !per_call && !prepared;
    if (j->with_prepare && (ok = PQsendPrepare(c->pg, st->name, st->sql, 0, NULL)))
        c->prepared[c->nprepared++] = st; /* (taken back if the prepare fails) */
    if (ok)
        ok = per_call ? PQsendQueryParams(c->pg, st->sql, j->n, NULL, j->params, NULL, NULL, 0)
                      : PQsendQueryPrepared(c->pg, st->name, j->n, j->params, NULL, NULL, 0);
    j->stage = j->with_prepare ? ST_PREP : ST_RES;
    j->sync_after = 0;
    j->next = NULL;
    if (c->tail)
        c->tail->next = j;
    else
        c->head = j;
    c->tail = j;
    c->npending++;
    c->unsynced = 1;
    if (!ok) /* libpq refused to queue it: the connection is broken */
        db_pipe_lost(p, c);
}

/* The outcome of a statement whose results are all in. */
static void db_pipe_finish(struct db_pipe *p, struct db_pipe_conn *c, struct db_pipe_job *j)
{
    PGresult *r = j->prep_err ? j->prep_err : j->res;
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (!j->prep_err && (s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK)) {
        j->res = NULL;
        db_pipe_complete(p, j, r, SD_OK);
        return;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* the backend's FATAL as it went away (57P01 terminated, 57P02/57P03 shutting down), or
     * libpq's own error on a connection that broke: the statement may never have run */
    int gone = PQstatus(c->pg) != CONNECTION_OK ||
               (state && (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0));
    if ((s == PGRES_PIPELINE_ABORTED || gone) && !j->retried) {
        db_pipe_again(p, j);
        return;
    }
    sd_err e = db_err_of_state(state, !gone);
    if (e != SD_ERR_CONFLICT)
        log_error("database error in %s (pipe): [%s] %s", j->st->name, state ? state : "",
                  r ? PQresultErrorMessage(r) : "no result");
    PQclear(j->res);
    PQclear(j->prep_err);
    j->res = j->prep_err = NULL;
    db_pipe_complete(p, j, NULL, e);
}

static void db_pipe_pop(struct db_pipe_conn *c)
{
    c->head = c->head->next;
    if (!c->head)
        c->tail = NULL;
    c->npending--;
}

/* Takes every result that has arrived, completing statements in the order sent. */
static void db_pipe_read(struct db_pipe *p, struct db_pipe_conn *c)
{
    if (!PQconsumeInput(c->pg)) {
        db_pipe_lost(p, c);
        return;
    }
    while (c->head && !PQisBusy(c->pg)) {
        struct db_pipe_job *j = c->head;
        PGresult *r = PQgetResult(c->pg);
        switch (j->stage) {
        case ST_PREP:
        case ST_RES:
            if (!r)
                return; /* (not expected: a NULL stands between results only) */
            if (j->stage == ST_RES) {
                j->res = r;
            } else if (PQresultStatus(r) != PGRES_COMMAND_OK) {
                j->prep_err = r;
                db_pipe_unprepare(c, j->st);
            } else {
                PQclear(r);
            }
            j->stage = j->stage == ST_RES ? ST_RES_END : ST_PREP_END;
            break;
        case ST_PREP_END:
        case ST_RES_END:
            PQclear(r); /* the NULL that ends a statement's results */
            if (j->stage == ST_PREP_END) {
                j->stage = ST_RES;
            } else if (j->sync_after) {
                j->stage = ST_SYNC;
            } else {
                db_pipe_pop(c);
                db_pipe_finish(p, c, j);
            }
            break;
        case ST_SYNC:
            if (!r)
                return;
            if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
                db_pipe_pop(c);
                db_pipe_finish(p, c, j);
            }
            PQclear(r); /* (or a second result of one statement: not ours to have) */
            break;
        }
        if (PQstatus(c->pg) != CONNECTION_OK) {
            db_pipe_lost(p, c);
            return;
        }
    }
}

static void db_pipe_flush(struct db_pipe *p, struct db_pipe_conn *c)
{
    int rc = PQflush(c->pg);
    if (rc < 0)
        db_pipe_lost(p, c);
    else
        db_pipe_watch(p, c, EPOLLIN | (rc == 1 ? EPOLLOUT : 0u));
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
    if (j)
        atomic_fetch_add(&p->batches, 1);
    while (j) {
        struct db_pipe_job *next = j->next;
        if (!to || to->state != PC_READY)
            to = db_pipe_pick(p);
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

static void *db_pipe_main(void *arg)
{
    struct db_pipe *p = arg;
    struct epoll_event evs[DB_PIPE_MAX_CONNS + 1];
    for (int i = 0; i < p->nconns; i++)
        db_pipe_connect_start(p, &p->conns[i]);
    for (;;) {
        int n = epoll_wait(p->epfd, evs, p->nconns + 1, db_pipe_timeout(p));
        for (int i = 0; i < n; i++)
            db_pipe_events(p, &evs[i]);
        db_pipe_expire(p);
        pthread_mutex_lock(&p->mu);
        struct db_pipe_job *j = p->qhead;
        int stopping = p->stopping;
        p->qhead = p->qtail = NULL;
        pthread_mutex_unlock(&p->mu);
        if (p->held) { /* (the held go first: they came earlier) */
            struct db_pipe_job *h = p->held;
            while (h->next)
                h = h->next;
            h->next = j;
            j = p->held;
            p->held = NULL;
        }
        if (stopping) {
            db_pipe_answer_all(p, j);
            break;
        }
        db_pipe_dispatch(p, j);
        db_pipe_sync(p);
    }
    /* statements still out are answered unavailable: their requests must end before the HTTP
     * daemon stops (it refuses to stop with suspended connections) */
    for (int i = 0; i < p->nconns; i++) {
        struct db_pipe_conn *c = &p->conns[i];
        struct db_pipe_job *j = c->head;
        c->head = NULL;
        db_pipe_close(p, c);
        db_pipe_answer_all(p, j);
    }
    return NULL;
}

struct db_pipe *db_pipe_start(const char *url, int nconns, int max_queue, int statement_timeout_ms,
                              int connect_timeout_s)
{
    struct db_pipe *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nconns = nconns < 1 ? 1 : nconns > DB_PIPE_MAX_CONNS ? DB_PIPE_MAX_CONNS : nconns;
    p->max_queue = max_queue;
    p->connect_timeout_ms = (connect_timeout_s > 0 ? connect_timeout_s : 3) * 1000;
    for (int i = 0; i < p->nconns; i++)
        p->conns[i].fd = -1;
    p->url = strdup(url);
    snprintf(p->options, sizeof p->options, "-c statement_timeout=%d", statement_timeout_ms);
    snprintf(p->timeout, sizeof p->timeout, "%d", connect_timeout_s);
    pthread_mutex_init(&p->mu, NULL);
    p->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    p->epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (p->url && p->evfd >= 0 && p->epfd >= 0 &&
        epoll_ctl(p->epfd, EPOLL_CTL_ADD, p->evfd, &ev) == 0 &&
        pthread_create(&p->thread, NULL, db_pipe_main, p) == 0)
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

static void db_pipe_wake(struct db_pipe *p)
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
    pthread_join(p->thread, NULL);
    struct db_pipe_stats s;
    db_pipe_get_stats(p, &s);
    log_info("database pipe: %" PRIu64 " statements in %" PRIu64 " batches, %" PRIu64
             " sent again, %" PRIu64 " unavailable, %" PRIu64 " reconnects",
             s.statements, s.batches, s.retried, s.refused, s.reconnects);
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
    /* only the first of a batch wakes the thread: it takes the whole queue at once */
    if (was_empty)
        db_pipe_wake(p);
}
