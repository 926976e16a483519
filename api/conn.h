#ifndef SD_CONN_H
#define SD_CONN_H

#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

/* The server's open connections, so that none can hold a place for long without sending a
 * request: a request head must arrive within head_timeout of the connection opening or of
 * the previous answer, a body at min_body_rate at least (after one head_timeout of grace);
 * past that the connection is shut down. A client (IP address) holds at most per_client
 * connections and the server at most total; a connection over either limit takes the place
 * of the oldest connection that is only waiting for a request head (of the same client when
 * that client is at its limit), and is refused only when there is none. A slow or idle
 * client therefore never locks a normal one out. */
struct conn_limits {
    int total;
    int per_client;
    int head_timeout_ms;
    int64_t min_body_rate; /* bytes per second */
};

int conn_start(const struct conn_limits *limits); /* starts the sweeper thread */
void conn_stop(void);

/* libmicrohttpd callbacks: MHD_OPTION_NOTIFY_CONNECTION and the accept policy. */
void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                 enum MHD_ConnectionNotificationCode code);
enum MHD_Result conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);

/* A request's head has arrived; body_bytes follow (0: none, the handler runs now). */
void conn_head_received(struct MHD_Connection *c, int64_t body_bytes);
/* The body has arrived: the handler runs; no deadline while it does. */
void conn_body_received(struct MHD_Connection *c);
/* The answer is queued: the next request head is due within head_timeout. */
void conn_request_done(struct MHD_Connection *c);

struct conn_stats {
    int open, evicted_total, timed_out_total, refused_total;
};
void conn_get_stats(struct conn_stats *s);

#endif
