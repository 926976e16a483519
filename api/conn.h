#ifndef SD_CONN_H
#define SD_CONN_H

#include <stdint.h>
#include <sys/socket.h>

#include <microhttpd.h>

/* The server's open connections, so that none can hold a place for long without using it:
 * a request head must arrive within head_timeout of the connection opening or of its previous
 * answer; a body, and then the answer, must move at min_rate bytes per second at least after
 * one head_timeout of grace; past that the connection is shut down. A client (IP address)
 * holds at most per_client connections and the server at most total; a connection over either
 * limit takes the place of the oldest one that is only waiting for a request head, or that
 * has been slowly reading its answer for longer than head_timeout (of the same client when
 * that client is at its limit), and is refused only when there is none. A slow or idle client
 * therefore never locks a normal one out. */
struct conn_limits {
    int total;
    int per_client;
    int head_timeout_ms;
    int64_t min_rate; /* bytes per second */
    int draining;     /* refuse every new connection (SIGTERM) */
};

int conn_start(const struct conn_limits *limits); /* starts the sweeper thread */
void conn_stop(void);
/* From now on every new connection is refused. */
void conn_drain(void);

/* A connection's place in the registry. */
struct conn_slot;

/* libmicrohttpd callbacks: MHD_OPTION_NOTIFY_CONNECTION and the accept policy. */
void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                 enum MHD_ConnectionNotificationCode code);
enum MHD_Result conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* A libmicrohttpd connection's slot (NULL: none, which every function below ignores). */
struct conn_slot *conn_of(struct MHD_Connection *c);
/* The same for a connection the server serves itself (api/front.c): the accept policy, then a
 * slot; NULL when it is refused (the caller closes fd). conn_close before fd is closed. */
struct conn_slot *conn_open(int fd, const struct sockaddr *addr, socklen_t addrlen);
void conn_close(struct conn_slot *s);
/* Around MHD_add_connection of a connection the front served (on the same thread): it keeps
 * s, counted already, through the accept policy; conn_adopt_end gives s back when the
 * connection did not start (the caller closes it), NULL when libmicrohttpd took it. */
void conn_adopt(struct conn_slot *s);
struct conn_slot *conn_adopt_end(void);

/* The connection is closed after an answer given before its body was read: its close waits,
 * for up to CONN_LINGER_MS, for the client to read the answer and stop, dropping what it still
 * sends. Closed at once with unread bytes, a socket is reset, and a client still sending its
 * body loses the answer it had not read yet (RFC 9112, 9.6). On the connection's thread. */
void conn_linger(struct conn_slot *s);

/* The request's phases, as the access handler sees them. */
void conn_working(struct conn_slot *s);                         /* no deadline */
void conn_body_started(struct conn_slot *s);                    /* body due */
void conn_body_progress(struct conn_slot *s, int64_t received); /* so far */
void conn_sending(struct conn_slot *s, int64_t bytes);          /* answer queued */
void conn_send_progress(struct conn_slot *s, int64_t sent);     /* so far */
void conn_request_done(struct conn_slot *s);                    /* the next head is due */
/* An event stream from now on: no deadline, not evictable; -1 (and nothing changed) when
 * streams already hold half of the server's or of this client's places. */
int conn_streaming(struct conn_slot *s);
/* The stream's client stopped reading: its connection is shut down at the next sweep. */
void conn_stream_drop(struct conn_slot *s);

struct conn_stats {
    int open, streams, evicted_total, timed_out_total, refused_total;
};
void conn_get_stats(struct conn_stats *s);

#endif
