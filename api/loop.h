#ifndef SD_LOOP_H
#define SD_LOOP_H

#include <netinet/in.h>
#include <stdint.h>

#include <microhttpd.h>

#include "app.h"

/* The HTTP threads with the statement pipe on (issue 15): each is a loop that owns a
 * libmicrohttpd daemon, driven from outside through its epoll, and a statement pipe of its own
 * (src/db_pipe.h), turned together. A read's statement is sent, its result read and its answer
 * sent by the thread that took the request: no hand-over between threads, which cost a shared
 * pipe's page reads twice the CPU of the pool (bench/README.md, the seventh step).
 *
 * A thread's statements queue on its own connection to PostgreSQL, so the threads must carry
 * equal shares: one acceptor thread takes every new connection and hands it to the thread
 * serving the fewest (libmicrohttpd's own accepting gives up to ten at a time to whichever
 * thread wakes first). */
struct loop_set;

/* Listens on addr and starts cfg.http_threads loops, each with options (terminated by
 * MHD_OPTION_END; MHD_OPTION_NOTIFY_CONNECTION is the loop's, which passes on to conn.c).
 * Their pipes are listed in app->pipes for the metrics. NULL when it cannot. */
struct loop_set *loop_start(struct sd_app *app, const struct sockaddr_in *addr,
                            const struct MHD_OptionItem *options);
/* Resumes a suspended connection from any thread: its loop is woken, as libmicrohttpd driven
 * from outside would not notice the resumption until something else woke it. */
void loop_resume(struct MHD_Connection *c);
/* The same on the connection's own loop's thread (a read's completion in its pipe's turn, or in
 * MHD_run when the pipe refused it at once): no wake-up, and the loop runs libmicrohttpd. */
void loop_resume_here(struct MHD_Connection *c);
/* The fewest and the most connections one thread serves (for the metrics). */
void loop_connections(struct loop_set *ls, int *fewest, int *most);
/* How long the loops work between waits: from a wake-up (a connection, a result, a timeout) to
 * the next turn of the pipe, everything the thread does for its connections in between. A
 * stretch of tens of milliseconds is a loop holding its connections (a statement on the pool, a
 * slow answer); a slow read with only short stretches waited elsewhere (PostgreSQL, the
 * network). counts[b] holds the stretches of at most loop_work_bounds_us()[b] µs and above
 * the bucket below, counts[LOOP_WORK_BUCKETS] the longer ones; sum_us their total. */
#define LOOP_WORK_BUCKETS 6
void loop_work(struct loop_set *ls, uint64_t counts[LOOP_WORK_BUCKETS + 1], uint64_t *sum_us);
const uint64_t *loop_work_bounds_us(void);
/* Asks every pipe to answer what it still holds (503): libmicrohttpd does not stop with a
 * connection suspended. The loops go on serving. */
void loop_stop_pipes(struct loop_set *ls);
/* Stops accepting, ends the loops, stops their daemons (closing the idle kept-alive connections),
 * frees the pipes and logs their figures. NULL is ignored. */
void loop_end(struct loop_set *ls);

#endif
