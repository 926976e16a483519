#ifndef SD_DB_PIPE_H
#define SD_DB_PIPE_H

/* The statement pipe: reads that do not hold the request's thread (issue 15). A pipe holds a
 * few PostgreSQL connections in libpq's pipeline mode and sends the statements of concurrent
 * requests on them back to back, reading the results as they come. It has no thread of its
 * own: the thread that owns it turns it (db_pipe_turn), waiting on its connections and on one
 * descriptor of the caller's together. In the server each HTTP thread owns one and turns it
 * with its libmicrohttpd daemon (api/loop.c): a read's statement is sent, its result read
 * and its answer made by the thread that took the request, whose connection is suspended
 * meanwhile (api/http_read.c) while the thread serves its other connections.
 *
 * Only single statements outside a transaction (struct db_read) go here; writes and
 * transactions stay on the pool (db.h).
 *
 * Order and wait: statements are taken first come, first served, from one queue; each turn's
 * batch goes to the live connection with the fewest statements outstanding, and a connection
 * answers in the order it was sent. A statement waits for those ahead of it on its
 * connection, each bounded by the statement timeout. The queue holds at most max_queue
 * statements (one per HTTP connection at most, since a request has one read in it at a
 * time); beyond that a read is refused at once with SD_ERR_UNAVAILABLE. */

#include <stdint.h>

#include <libpq-fe.h>

#include "db.h"
#include "err.h"

struct db_pipe;

/* A statement's outcome, called on the pipe's thread (or in db_pipe_submit when it cannot be
 * queued): res (the callee PQclear()s it) with e = SD_OK, or res NULL with e set
 * (SD_ERR_UNAVAILABLE for a lost connection, an unreachable database, PostgreSQL's
 * statement_timeout or a full queue). There is no deadline of the pipe's own: with
 * statement_timeout 0 a statement waits as long as its connection does, as on the pool. */
typedef void (*db_pipe_done_fn)(void *arg, PGresult *res, sd_err e);

struct db_pipe_stats {
    int conns, live;     /* connections, those ready now */
    int outstanding;     /* submitted and not yet answered */
    uint64_t statements; /* answered, whatever the outcome */
    uint64_t batches;    /* wake-ups that sent statements: statements / batches per send */
    uint64_t retried;    /* sent again after a lost connection or an abort */
    uint64_t refused;    /* answered unavailable: full queue, no connection, lost twice */
    uint64_t reconnects; /* connections (re)established after the first */
};

/* nconns connections to url, started at once and made by the turns without blocking them;
 * watch_fd (the caller's: libmicrohttpd's epoll; -1: none) is waited on with them. NULL when
 * out of memory or descriptors. */
struct db_pipe *db_pipe_start(const char *url, int nconns, int max_queue, int statement_timeout_ms,
                              int connect_timeout_s, int watch_fd);
/* One turn, always on the same thread: sends what was submitted since the last turn, waits at
 * most wait_ms (-1: no limit; 0 when a statement was answered since the last turn) for a
 * connection, watch_fd or db_pipe_wake, and handles the connections; completions are called
 * here. The caller then serves watch_fd and what the completions resumed. A statement
 * submitted on this thread between turns needs no wake-up; from another thread, it wakes the
 * turn. 1 when watch_fd was ready, 0 otherwise. */
int db_pipe_turn(struct db_pipe *p, int wait_ms);
/* A descriptor of the caller's waited on in the turns besides watch_fd (the loops' own HTTP
 * connections, api/front.c): w stays valid while it is watched, and w->fn is called in the
 * turn with the events that came, after the pipe's own. On the turning thread. 0, or -1 with
 * errno. */
struct db_pipe_watcher {
    void (*fn)(struct db_pipe_watcher *w, uint32_t events);
};
int db_pipe_watch(struct db_pipe *p, int fd, uint32_t events, struct db_pipe_watcher *w);
void db_pipe_unwatch(struct db_pipe *p, int fd);
/* Ends the wait of a turn at once; from any thread. */
void db_pipe_wake(struct db_pipe *p);
/* Asks the pipe to stop (from any thread): the next turn answers every statement not yet
 * answered (SD_ERR_UNAVAILABLE) and closes the connections; later turns only wait, and a
 * statement submitted afterwards is answered unavailable at once. The pipe stays valid until
 * db_pipe_free, so a request still on its way to submit one (the drain's grace may end before
 * every request has) finds it there. NULL is ignored. */
void db_pipe_stop(struct db_pipe *p);
/* Once nothing turns it any more: stops it if need be (answering what is left) and frees it;
 * nothing may submit any more. NULL is ignored. */
void db_pipe_free(struct db_pipe *p);

/* Queues the read (its parameters are copied). done is called exactly once. */
void db_pipe_submit(struct db_pipe *p, const struct db_read *rd, db_pipe_done_fn done, void *arg);

void db_pipe_get_stats(struct db_pipe *p, struct db_pipe_stats *out);
/* Adds p's figures to sum (the metrics of every HTTP thread's pipe together). */
void db_pipe_add_stats(struct db_pipe *p, struct db_pipe_stats *sum);

#endif
