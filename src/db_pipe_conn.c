/* One connection of the statement pipe (db_pipe.c): made without blocking the pipe's thread,
 * fed statements in pipeline mode, its results read back in the order sent. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "db_pipe_conn.h"
#include "log.h"

long db_pipe_ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Watches c's socket for events; libpq may change the socket while it connects. */
static void db_pipe_conn_watch(struct db_pipe *p, struct db_pipe_conn *c, uint32_t events)
{
    int fd = PQsocket(c->pg);
    struct epoll_event ev = {.events = events, .data.ptr = c};
    /* (while connecting, libpq may have closed the socket and opened another under the same
     * number, which the close took out of the epoll: registered again whatever it looks like) */
    if (fd == c->fd && events == c->events && c->state != PC_CONNECTING)
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

void db_pipe_close(struct db_pipe *p, struct db_pipe_conn *c)
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

void db_pipe_connect_start(struct db_pipe *p, struct db_pipe_conn *c)
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
    db_pipe_conn_watch(p, c, EPOLLOUT); /* libpq: as if PQconnectPoll had said WRITING */
}

void db_pipe_connect_step(struct db_pipe *p, struct db_pipe_conn *c)
{
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        db_pipe_conn_watch(p, c, EPOLLIN);
        return;
    case PGRES_POLLING_WRITING:
        db_pipe_conn_watch(p, c, EPOLLOUT);
        return;
    case PGRES_POLLING_OK:
        if (PQsetnonblocking(c->pg, 1) == 0 && PQenterPipelineMode(c->pg) == 1) {
            c->state = PC_READY;
            c->nprepared = 0;
            atomic_fetch_add(&p->live, 1);
            if (c->ready_before)
                atomic_fetch_add(&p->reconnects, 1);
            c->ready_before = 1;
            db_pipe_conn_watch(p, c, EPOLLIN);
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
void db_pipe_lost(struct db_pipe *p, struct db_pipe_conn *c)
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

/* 1: prepared on this connection; 0: not; -1: its Parse is sent and not yet answered */
static int db_pipe_is_prepared(const struct db_pipe_conn *c, const db_stmt *st)
{
    for (int i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == st)
            return c->confirmed[i] ? 1 : -1;
    return 0;
}

static void db_pipe_confirm(struct db_pipe_conn *c, const db_stmt *st)
{
    for (int i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == st)
            c->confirmed[i] = 1;
}

static void db_pipe_unprepare(struct db_pipe_conn *c, const db_stmt *st)
{
    for (int i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == st) {
            c->nprepared--;
            c->prepared[i] = c->prepared[c->nprepared];
            c->confirmed[i] = c->confirmed[c->nprepared];
            return;
        }
}

/* Writes the statement into c's output buffer (flushed by db_pipe_sync). */
void db_pipe_send(struct db_pipe *p, struct db_pipe_conn *c, struct db_pipe_job *j)
{
    const db_stmt *st = j->st;
    int prepared = st->per_call ? 0 : db_pipe_is_prepared(c, st);
    /* Planned per call: past DB_PIPE_MAX_PREPARED (as in db.c), and while the statement's
     * Parse is on its way: it may yet be aborted by an error before it, and a use sent meanwhile
     * would name a statement that does not exist; a second Parse would fail if the first
     * succeeds. */
    int per_call =
        st->per_call || prepared < 0 || (!prepared && c->nprepared == DB_PIPE_MAX_PREPARED);
    int ok = 1;
    j->with_prepare = !per_call && !prepared;
    if (j->with_prepare && (ok = PQsendPrepare(c->pg, st->name, st->sql, 0, NULL))) {
        c->confirmed[c->nprepared] = 0; /* (confirmed by its result, taken back if it fails) */
        c->prepared[c->nprepared++] = st;
    }
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
    /* (aborted again by another's error: it never ran, and has no SQLSTATE of its own) */
    sd_err e = s == PGRES_PIPELINE_ABORTED ? SD_ERR_UNAVAILABLE : db_err_of_state(state, !gone);
    if (e != SD_ERR_CONFLICT && s != PGRES_PIPELINE_ABORTED)
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
void db_pipe_read(struct db_pipe *p, struct db_pipe_conn *c)
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
                db_pipe_confirm(c, j->st);
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

void db_pipe_flush(struct db_pipe *p, struct db_pipe_conn *c)
{
    int rc = PQflush(c->pg);
    if (rc < 0)
        db_pipe_lost(p, c);
    else
        db_pipe_conn_watch(p, c, EPOLLIN | (rc == 1 ? EPOLLOUT : 0u));
}
