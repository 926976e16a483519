#ifndef SD_DB_PIPE_CONN_H
#define SD_DB_PIPE_CONN_H

/* The statement pipe's insides, shared by its two halves: db_pipe.c (the queue, the turn,
 * which connection takes what) and db_pipe_conn.c (one connection: made, fed, read). Not for
 * use elsewhere: db_pipe.h is the interface. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "db_pipe.h"

#define DB_PIPE_MAX_CONNS     16
#define DB_PIPE_MAX_PREPARED  256
#define DB_PIPE_RETRY_MS      250  /* between attempts to connect while the database refuses */
#define DB_PIPE_RETRY_LIVE_MS 1000 /* ... while another connection is live */

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
    unsigned char confirmed[DB_PIPE_MAX_PREPARED]; /* its Parse answered: usable by name */
};

struct db_pipe {
    pthread_mutex_t mu;
    struct db_pipe_job *qhead, *qtail; /* submitted, not yet taken (mu) */
    int stopping;                      /* (mu) */
    int stopped;                       /* the turning thread's: stopping seen, all answered */
    int watch_fd;                      /* the caller's descriptor, in epfd; -1: none */
    uint64_t seen;                     /* statements answered when the last turn ended */
    struct db_pipe_job *held; /* the turning thread's: to send again, or waiting for a connection */
    int evfd, epfd;
    int nconns, max_queue, connect_timeout_ms;
    struct db_pipe_conn conns[DB_PIPE_MAX_CONNS];
    char options[64], timeout[16];
    char *url;
    atomic_int outstanding, live;
    atomic_ullong statements, batches, retried, refused, reconnects;
};

/* db_pipe.c */
void db_pipe_complete(struct db_pipe *p, struct db_pipe_job *j, PGresult *res, sd_err e);
/* Sent again once (a lost connection, an abort by another's error); answered otherwise. */
void db_pipe_again(struct db_pipe *p, struct db_pipe_job *j);

/* db_pipe_conn.c */
long db_pipe_ms_since(const struct timespec *t);
void db_pipe_close(struct db_pipe *p, struct db_pipe_conn *c);
void db_pipe_connect_start(struct db_pipe *p, struct db_pipe_conn *c);
void db_pipe_connect_step(struct db_pipe *p, struct db_pipe_conn *c);
/* The connection is gone: its statements are sent again once on the next live connection. */
void db_pipe_lost(struct db_pipe *p, struct db_pipe_conn *c);
/* Writes the statement into c's output buffer (flushed by db_pipe_sync). */
void db_pipe_send(struct db_pipe *p, struct db_pipe_conn *c, struct db_pipe_job *j);
/* Takes every result that has arrived, completing statements in the order sent. */
void db_pipe_read(struct db_pipe *p, struct db_pipe_conn *c);
void db_pipe_flush(struct db_pipe *p, struct db_pipe_conn *c);

#endif
