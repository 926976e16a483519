#ifndef SD_DB_PIPE_H
#define SD_DB_PIPE_H

/* The statement pipe: reads run off the request's thread (issue 15). One thread holds a few
 * PostgreSQL connections in libpq's pipeline mode and sends the statements of concurrent
 * requests on them back to back, reading the results as they come from one epoll. A
 * request's thread never sleeps on PostgreSQL for them: its connection is suspended
 * (api/http_read.c) and resumed by the completion, and the thread serves its other
 * connections meanwhile.
 *
 * Only single statements outside a transaction (struct db_read) go here; writes and
 * transactions stay on the pool (db.h).
 *
 * Order and wait: statements are taken first come, first served, from one queue; each batch
 * goes to the live connection with the fewest statements outstanding, and a connection
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

/* nconns connections to url, each connected by the pipe's thread without blocking it; NULL
 * when the thread cannot start. */
struct db_pipe *db_pipe_start(const char *url, int nconns, int max_queue, int statement_timeout_ms,
                              int connect_timeout_s);
/* Answers every statement not yet answered (SD_ERR_UNAVAILABLE), ends the thread and closes
 * the connections; a statement submitted afterwards is answered unavailable at once. The pipe
 * stays valid until db_pipe_free, so a request still on its way to submit one (the drain's
 * grace may end before every request has) finds it there. NULL is ignored. */
void db_pipe_stop(struct db_pipe *p);
/* Stops it if need be and frees it; nothing may submit any more. NULL is ignored. */
void db_pipe_free(struct db_pipe *p);

/* Queues the read (its parameters are copied). done is called exactly once. */
void db_pipe_submit(struct db_pipe *p, const struct db_read *rd, db_pipe_done_fn done, void *arg);

void db_pipe_get_stats(struct db_pipe *p, struct db_pipe_stats *out);

#endif
