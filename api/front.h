#ifndef SD_FRONT_H
#define SD_FRONT_H

#include <stdatomic.h>
#include <sys/socket.h>

#include "app.h"

struct db_pipe;
struct http_ctx;

/* The loops' own HTTP/1.1 for the plain requests (issue 15, the eleventh step): a GET whose
 * head is short, strictly well formed and announces no body is read, dispatched and answered
 * by the loop itself, with no libmicrohttpd round (its suspend and resume for a read's wait,
 * its pool zeroed after every request). Every other request, and everything after it on its
 * connection, goes to the loop's libmicrohttpd daemon as before: the head is only peeked at
 * (MSG_PEEK) until it is known to be plain, so a connection handed over loses no byte. Bodies,
 * uploads, 100-continue, HTTP/1.0, event streams, heads over FRONT_PEEK bytes, and anything
 * unusual in a head (a folded line, a control byte, a field libmicrohttpd's checks refuse)
 * are libmicrohttpd's and the server's existing checks'.
 *
 * Kept as libmicrohttpd keeps them: keep-alive and Connection: close, pipelined requests
 * answered in order, one request at a time, the answer's head (Date, Connection: close, the
 * answer's headers, Content-Length), the connection limits and deadlines of conn.c, large
 * answers within SELLERDESK_MAX_ANSWER_MEMORY, and the drain. */
#define FRONT_PEEK 8192

struct front;
struct front_conn;

/* A loop's: connections are watched on pipe's epoll and handed to handoff(arg, fd, ...) (the
 * loop's libmicrohttpd daemon) when not plain; one it closes is taken off *counted. NULL when
 * out of memory. */
typedef void (*front_handoff_fn)(void *arg, int fd, const struct sockaddr *addr, socklen_t len);
struct front *front_new(struct sd_app *app, struct db_pipe *pipe, atomic_int *counted,
                        front_handoff_fn handoff, void *arg);
/* A connection accepted for this loop (on the loop's thread): 0, or -1 when it was refused
 * and closed (the caller uncounts it). */
int front_add(struct front *fr, int fd, const struct sockaddr *addr, socklen_t len);
/* Serves the requests resumed since (a read's outcome, a worker done): after each turn. */
void front_run(struct front *fr);
/* Closes the connections idle for SELLERDESK_CONNECTION_TIMEOUT (as libmicrohttpd does its
 * own): the ms until the next may be, -1 when none is open. */
int front_expire(struct front *fr);
/* Closes every connection (ending what is still being sent) and frees it; NULL is ignored. */
void front_free(struct front *fr);

/* For dispatch.c and http.c: a request of a front connection. */
const char *front_header(const struct front_conn *fc, const char *name);
/* Its request goes on (from any thread): the loop runs dispatch again for it. */
void front_resume(struct front_conn *fc);

#endif
