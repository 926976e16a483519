#include "front.h"

#include <errno.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../src/clock.h"
#include "../src/db_pipe.h"
#include "../src/log.h"
#include "answer.h"
#include "conn.h"
#include "dispatch.h"
#include "front_head.h"
#include "head.h"
#include "http.h"
#include "uri.h"

/* Served heads left in the socket (with the peek offset) up to this many bytes. */
#define FRONT_CONSUME 16384

struct front {
    struct sd_app *app;
    struct db_pipe *pipe;
    front_handoff_fn handoff;
    void *arg;
    atomic_int *counted; /* the loop's count of its connections */
    pthread_mutex_t mu;
    struct front_conn *remote; /* (mu) resumed from other threads, newest first */
    struct front_conn *local;  /* resumed on the loop's thread, newest first */
    /* every connection, the longest idle first (front_touch): libmicrohttpd's idle timeout
     * (SELLERDESK_CONNECTION_TIMEOUT) is kept by looking at the first ones only */
    struct front_conn *all, *last;
};

struct front_conn {
    struct db_pipe_watcher w; /* first: the pipe's epoll hands back &w */
    struct front *fr;
    struct front_conn *prev, *next; /* fr->all */
    int64_t active_ms;              /* its last read or answer */
    struct front_conn *ready_next;  /* in fr->local or fr->remote */
    int fd;
    socklen_t alen;
    struct sockaddr_storage addr;
    struct conn_slot *slot;
    struct http_ctx *ctx; /* the request in hand; the connection reads nothing meanwhile */
    int unread;           /* bytes may wait in the socket (an edge came, or a pipelined head) */
    int eof;              /* the client will send no more (or the socket was shut down) */
    /* With SO_PEEK_OFF (Linux 6.10 on TCP) each peek goes on where the last ended, so in
     * holds have bytes as a read buffer would, and the bytes of the requests served stay in
     * the socket (done of them) until FRONT_CONSUME, a close or a hand-over takes them out:
     * one system call a request. Without it every peek starts at the first byte not served
     * and each head is taken out as its request starts: two. */
    int peekoff;
    size_t have, done, len; /* len: the head of the request in hand */
    int closing;            /* close once the answer is out */
    int sending;            /* the answer is partly written */
    size_t sent;            /* of out's head and body */
    struct answer_out out;
    struct front_head head;  /* last: front_add clears what is before its fields */
    char in[FRONT_PEEK + 1]; /* the head peeked, then parsed in place (head points into it) */
};

/* The front of the loop running on this thread: a resume from here needs no wake-up. */
static _Thread_local struct front *here;

const char *front_header(const struct front_conn *fc, const char *name)
{
    return front_head_field(&fc->head, name);
}

static void front_unlink(struct front_conn *fc)
{
    struct front *fr = fc->fr;
    if (fc->prev)
        fc->prev->next = fc->next;
    else
        fr->all = fc->next;
    if (fc->next)
        fc->next->prev = fc->prev;
    else
        fr->last = fc->prev;
    fc->prev = fc->next = NULL;
}

static void front_append(struct front_conn *fc)
{
    struct front *fr = fc->fr;
    fc->prev = fr->last;
    fc->next = NULL;
    if (fr->last)
        fr->last->next = fc;
    else
        fr->all = fc;
    fr->last = fc;
}

/* It was active now: last in the list. */
static void front_touch(struct front_conn *fc)
{
    fc->active_ms = clock_coarse_ms();
    if (fc->fr->last != fc) {
        front_unlink(fc);
        front_append(fc);
    }
}

/* Forgets the connection: out of the epoll (a lingering duplicate of the socket would keep it
 * there, its events pointing at freed memory), the registry and the loop's count. */
static void front_forget(struct front_conn *fc)
{
    db_pipe_unwatch(fc->fr->pipe, fc->fd);
    front_unlink(fc);
}

/* Takes the bytes of the requests served out of the socket: 0, or -1 when they are not there
 * (only a reset in between). */
static int front_consume(struct front_conn *fc)
{
    char drop[FRONT_PEEK];
    while (fc->done > 0) {
        ssize_t got =
            recv(fc->fd, drop, fc->done < sizeof drop ? fc->done : sizeof drop, MSG_DONTWAIT);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return -1;
        fc->done -= (size_t)got;
    }
    return 0;
}

/* Closes a connection with no request in hand. */
static void front_close(struct front_conn *fc)
{
    int queued = 0;
    atomic_fetch_sub(fc->fr->counted, 1);
    front_consume(fc);
    /* a close with bytes unread resets the connection, and the client loses answers it has
     * not read yet: the close waits for it instead (conn.c) */
    if (ioctl(fc->fd, SIOCINQ, &queued) == 0 && queued > 0)
        conn_linger(fc->slot);
    front_forget(fc);
    conn_close(fc->slot);
    close(fc->fd);
    free(fc);
}

/* The connection is libmicrohttpd's from its next byte on. */
static void front_hand_over(struct front_conn *fc)
{
    struct front *fr = fc->fr;
    if (front_consume(fc) != 0) { /* libmicrohttpd reads on from the first byte not served */
        front_close(fc);
        return;
    }
    front_forget(fc);
    /* its slot goes with it: counted already, it is not refused while the server drains (a
     * request there is answered 503 shutting_down, as on any connection) */
    conn_adopt(fc->slot);
    fr->handoff(fr->arg, fc->fd, (const struct sockaddr *)&fc->addr, fc->alen);
    conn_close(conn_adopt_end()); /* (refused before it started: closed by libmicrohttpd) */
    free(fc);
}

/* The request in hand is over (outcome NULL: answered): logged and freed. -1 when the
 * connection was closed with it. */
static int front_request_end(struct front_conn *fc, const char *outcome)
{
    answer_out_free(&fc->out);
    dispatch_front_end(fc->ctx, outcome);
    fc->ctx = NULL;
    fc->sending = 0;
    if (fc->peekoff) {
        /* its head leaves the buffer; what follows it is the next request's */
        memmove(fc->in, fc->in + fc->len, fc->have - fc->len);
        fc->have -= fc->len;
        fc->in[fc->have] = '\0';
        fc->done += fc->len;
        fc->head.scanned = 0;
    }
    if (!outcome && !fc->closing && (fc->done < FRONT_CONSUME || front_consume(fc) == 0)) {
        front_touch(fc);
        fc->unread |= fc->eof; /* (what is left, then the end, is read: a close) */
        return 0;
    }
    front_close(fc);
    return -1;
}

/* Writes what the socket takes of the answer; -1 when the connection is gone. */
static int front_flush(struct front_conn *fc)
{
    struct answer_out *o = &fc->out;
    size_t total = o->head_len + o->body_len;
    while (fc->sent < total) {
        struct iovec iov[2];
        int k = 0;
        if (fc->sent < o->head_len)
            iov[k++] = (struct iovec){o->head + fc->sent, o->head_len - fc->sent};
        size_t from = fc->sent > o->head_len ? fc->sent - o->head_len : 0;
        if (o->body_len > from)
            iov[k++] = (struct iovec){(void *)(o->body + from), o->body_len - from};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)k};
        ssize_t w = sendmsg(fc->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0; /* the rest on EPOLLOUT */
        if (w <= 0)
            return front_request_end(fc, "client_abort");
        fc->sent += (size_t)w;
        if (fc->sent > o->head_len)
            conn_send_progress(fc->slot, (int64_t)(fc->sent - o->head_len));
    }
    return front_request_end(fc, NULL);
}

/* The answer of the request in hand goes out. -1 when the connection is gone. */
static int front_answer(struct front_conn *fc)
{
    struct http_ctx *ctx = fc->ctx;
    fc->closing = fc->head.close_req || ctx->close_after || atomic_load(&fc->fr->app->draining);
    if (answer_take(ctx, fc->closing, &fc->out) != 0) {
        log_error("%s: the answer's head does not fit", ctx->request_id);
        return front_request_end(fc, "error");
    }
    conn_sending(fc->slot, (int64_t)fc->out.body_len);
    fc->sent = 0;
    fc->sending = 1;
    return front_flush(fc);
}

/* Takes the head of len bytes out of the socket (peeked so far) and runs its request. -1 when
 * the connection is gone or handed over. */
static int front_begin(struct front_conn *fc, const char *target, size_t len, size_t bytes)
{
    struct front *fr = fc->fr;
    int handoff = 0;
    struct http_ctx *ctx =
        dispatch_front_begin(fr->app, fc, fc->slot, (const struct sockaddr *)&fc->addr, target,
                             fc->head.f, fc->head.nf, bytes, &handoff);
    if (handoff) {
        front_hand_over(fc);
        return -1;
    }
    if (!ctx) {
        front_close(fc);
        return -1;
    }
    fc->ctx = ctx;
    fc->len = len;
    if (!fc->peekoff) {
        fc->done = len;
        fc->have = 0; /* (the next peek starts after this head) */
        if (front_consume(fc) != 0)
            return front_request_end(fc, "read_error");
    }
    if (dispatch_front_step(ctx))
        return front_answer(fc);
    return 0;
}

/* Peeks at what came since the last peek: 1 when something did, 0 when nothing did (or the
 * client's end came after a part of a head), -1 when the connection was closed (the client
 * closed it, or conn.c shut it down). */
static int front_peek(struct front_conn *fc)
{
    size_t at = fc->peekoff ? fc->have : 0;
    ssize_t n;
    fc->unread = 0;
    if (at == FRONT_PEEK) { /* (a head this long is libmicrohttpd's: parsed so already) */
        front_hand_over(fc);
        return -1;
    }
    do
        n = recv(fc->fd, fc->in + at, FRONT_PEEK - at, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n == 0 && fc->have > 0) {
        fc->eof = 1; /* (with the peek offset: what was peeked is still to be served) */
        return 0;
    }
    if (n <= 0) {
        front_close(fc);
        return -1;
    }
    fc->have = at + (size_t)n;
    fc->in[fc->have] = '\0';
    fc->unread = (size_t)n == FRONT_PEEK - at; /* more may be past what fitted */
    return 1;
}

/* Serves the requests waiting on an idle connection, those buffered first, until one waits,
 * nothing more has come or the connection goes. */
static void front_serve(struct front_conn *fc)
{
    while (!fc->ctx) {
        char *target = NULL;
        size_t len = 0, bytes = 0;
        enum front_kind h = fc->have ? front_head_parse(&fc->head, fc->in, fc->have, FRONT_PEEK,
                                                        &target, &len, &bytes)
                                     : FRONT_PARTIAL;
        if (h == FRONT_PARTIAL && fc->unread) {
            if (front_peek(fc) < 0)
                return;
            if (fc->unread || fc->have)
                continue; /* (parsed again with what came, or to its end) */
            return;
        }
        if (h == FRONT_PARTIAL && fc->eof) {
            /* the rest will never come (a half-closed client, or shut down) */
            front_close(fc);
            return;
        }
        if (h == FRONT_PARTIAL)
            return; /* the rest comes with the next edge, within conn.c's head deadline */
        if (h == FRONT_OTHER) {
            front_hand_over(fc);
            return;
        }
        /* without the peek offset a pipelined request is peeked at again after this one */
        if (!fc->peekoff)
            fc->unread |= fc->have > len;
        if (front_begin(fc, target, len, bytes) != 0)
            return;
    }
}

static void front_event(struct db_pipe_watcher *w, uint32_t events)
{
    struct front_conn *fc = (struct front_conn *)w;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        fc->unread = 1;
        front_touch(fc);
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        fc->eof = 1;
    if (fc->ctx) {
        /* the request in hand goes first; a failed socket shows when its answer is written */
        if (fc->sending && (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && front_flush(fc) != 0)
            return;
        if (fc->ctx)
            return;
    }
    front_serve(fc);
}

struct front *front_new(struct sd_app *app, struct db_pipe *pipe, atomic_int *counted,
                        front_handoff_fn handoff, void *arg)
{
    struct front *fr = calloc(1, sizeof *fr);
    if (!fr)
        return NULL;
    fr->app = app;
    fr->pipe = pipe;
    fr->handoff = handoff;
    fr->arg = arg;
    fr->counted = counted;
    pthread_mutex_init(&fr->mu, NULL);
    return fr;
}

int front_add(struct front *fr, int fd, const struct sockaddr *addr, socklen_t len)
{
    int one = 1;
    here = fr;
    struct front_conn *fc = malloc(sizeof *fc);
    if (fc)
        memset(fc, 0, offsetof(struct front_conn, head.f));
    if (!fc || len > sizeof fc->addr || !(fc->slot = conn_open(fd, addr, len))) {
        free(fc);
        close(fd);
        return -1;
    }
    fc->fr = fr;
    fc->fd = fd;
    fc->alen = len;
    fc->w.fn = front_event;
    int zero = 0;
    fc->peekoff = setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof zero) == 0;
    memcpy(&fc->addr, addr, len);
    /* head and body go in one sendmsg; a second piece of a large answer must not wait for
     * the client's delayed ACK */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fc->active_ms = clock_coarse_ms();
    front_append(fc);
    if (db_pipe_watch(fr->pipe, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, &fc->w) != 0) {
        log_warn("cannot watch a connection: %s", strerror(errno));
        front_forget(fc); /* (the failed add left nothing in the epoll) */
        conn_close(fc->slot);
        close(fd);
        free(fc);
        return -1;
    }
    return 0;
}

void front_resume(struct front_conn *fc)
{
    struct front *fr = fc->fr;
    if (here == fr) {
        fc->ready_next = fr->local;
        fr->local = fc;
        return;
    }
    pthread_mutex_lock(&fr->mu);
    fc->ready_next = fr->remote;
    fr->remote = fc;
    pthread_mutex_unlock(&fr->mu);
    db_pipe_wake(fr->pipe); /* (fr outlives every request: front_free comes after the workers) */
}

/* The ready list in the order of its resumes. */
static struct front_conn *front_oldest_first(struct front_conn *l)
{
    struct front_conn *r = NULL;
    while (l) {
        struct front_conn *next = l->ready_next;
        l->ready_next = r;
        r = l;
        l = next;
    }
    return r;
}

void front_run(struct front *fr)
{
    if (!fr)
        return;
    here = fr;
    for (;;) {
        struct front_conn *l = fr->local;
        fr->local = NULL;
        pthread_mutex_lock(&fr->mu);
        struct front_conn *r = fr->remote;
        fr->remote = NULL;
        pthread_mutex_unlock(&fr->mu);
        if (!l && !r)
            return;
        l = front_oldest_first(l);
        r = front_oldest_first(r);
        for (int pass = 0; pass < 2; pass++)
            for (struct front_conn *fc = pass ? r : l, *next; fc; fc = next) {
                next = fc->ready_next;
                fc->ready_next = NULL;
                if (dispatch_front_step(fc->ctx) && front_answer(fc) == 0 && !fc->ctx)
                    front_serve(fc);
            }
    }
}

int front_expire(struct front *fr)
{
    if (!fr)
        return -1;
    int64_t now = clock_coarse_ms(), idle_ms = (int64_t)fr->app->cfg.connection_timeout_s * 1000;
    for (struct front_conn *fc = fr->all, *next; fc; fc = next) {
        next = fc->next;
        int64_t left = fc->active_ms + idle_ms - now;
        if (left > 0)
            return left > INT_MAX ? INT_MAX : (int)left;
        if (fc->ctx) /* a request in hand: touched again when it ends; not walked each turn */
            front_touch(fc);
        else
            front_close(fc);
    }
    return -1;
}

void front_free(struct front *fr)
{
    if (!fr)
        return;
    while (fr->all) {
        struct front_conn *fc = fr->all;
        if (fc->ctx && !fc->sending) {
            /* still with a worker or a pipe, which the drain ends before this: never seen */
            log_error("%s still running at the end; its connection is left open",
                      fc->ctx->request_id);
            front_forget(fc);
            continue;
        }
        if (fc->ctx) {
            fc->closing = 1;
            front_request_end(fc, "shutdown");
        } else {
            front_close(fc);
        }
    }
    pthread_mutex_destroy(&fr->mu);
    free(fr);
}
