#include "conn.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../src/clock.h"
#include "../src/log.h"

#define CONN_BUCKETS    4096
#define CONN_SWEEP_MS   200
#define CONN_LINGER_MS  2000
#define CONN_LINGER_MAX 256 /* closes waiting at once; past it a close is immediate */

/* PHASE_STREAM: an event stream, open for as long as its client reads (event_hub.c drops one
 * that stops): no deadline, never evicted; bounded by count instead (conn_streaming) */
enum conn_phase { PHASE_HEAD, PHASE_BODY, PHASE_WORK, PHASE_SEND, PHASE_STREAM };

/* SIGTERM: a stream's connection still open this long after the drain began is shut down */
#define CONN_STREAM_DRAIN_MS 1000

struct conn_client {
    struct conn_client *next; /* in its bucket */
    unsigned char addr[16];
    int count;
    int streams; /* of count, event streams */
};

struct conn_slot {
    struct conn_slot *prev, *next; /* the registry, oldest first */
    int fd;
    struct conn_client *client;
    int closing;                 /* shut down by us: no longer counted */
    int shut;                    /* shut down by the sweeper or an eviction: never lingers */
    int linger;                  /* conn_linger: its close waits for the client */
    int streaming;               /* counted in client->streams and reg.streams */
    _Atomic int phase;           /* enum conn_phase */
    _Atomic int64_t deadline_ms; /* 0: none */
    _Atomic int64_t since_ms;    /* when the phase began */
    _Atomic int64_t handed;      /* bytes of a large answer given to the socket so far */
};

static struct {
    pthread_mutex_t lock;
    struct conn_slot *head, *tail;
    struct conn_client *buckets[CONN_BUCKETS];
    int open;    /* counted connections (not closing) */
    int streams; /* of them, event streams */
    struct conn_limits limits;
    pthread_t sweeper;
    int running;
    struct {
        int fd; /* a duplicate of the closed connection's socket, keeping it open */
        int64_t until;
    } lingering[CONN_LINGER_MAX];
    int nlingering;
    pthread_cond_t wake;
    atomic_int evicted, timed_out, refused;
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* An IPv4 address as its IPv4-mapped IPv6 form, so both families share one key. */
static void conn_addr_key(const struct sockaddr *sa, unsigned char key[16])
{
    memset(key, 0, 16);
    if (sa && sa->sa_family == AF_INET) {
        key[10] = key[11] = 0xff;
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    }
}

static unsigned conn_hash(const unsigned char key[16])
{
    uint32_t h = 2166136261u;
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 16777619u;
    return h % CONN_BUCKETS;
}

/* Under reg.lock. */
static struct conn_client *conn_client_find(const unsigned char key[16], int create)
{
    struct conn_client **b = &reg.buckets[conn_hash(key)], *c;
    for (c = *b; c; c = c->next)
        if (memcmp(c->addr, key, 16) == 0)
            return c;
    if (!create || !(c = calloc(1, sizeof *c)))
        return NULL;
    memcpy(c->addr, key, 16);
    c->next = *b;
    *b = c;
    return c;
}

/* Under reg.lock: the slot is no longer an event stream. */
static void conn_unstream(struct conn_slot *s)
{
    if (!s->streaming)
        return;
    s->streaming = 0;
    reg.streams--;
    if (s->client)
        s->client->streams--;
}

/* Under reg.lock: the slot no longer counts (it is closing or closed). */
static void conn_uncount(struct conn_slot *s)
{
    if (s->closing)
        return;
    s->closing = 1;
    reg.open--;
    conn_unstream(s);
    if (s->client && --s->client->count == 0) {
        struct conn_client **b = &reg.buckets[conn_hash(s->client->addr)];
        while (*b != s->client)
            b = &(*b)->next;
        *b = s->client->next;
        free(s->client);
    }
    s->client = NULL;
}

/* Under reg.lock. libmicrohttpd sees the end of the stream and closes the connection in its
 * own thread; the fd stays valid until then, as the close notification takes reg.lock. */
static void conn_shut(struct conn_slot *s)
{
    /* an abortive close: the answer bytes the kernel still holds for a slow reader are
     * dropped with a reset rather than trickled out after the close */
    struct linger abort_close = {1, 0};
    conn_uncount(s);
    s->shut = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
    shutdown(s->fd, SHUT_RDWR);
}

/* Under reg.lock: the oldest connection only waiting for a request head (of client, unless
 * NULL), shut down to make room. */
/* Under reg.lock: waiting for a request head, or reading its answer slowly for long. */
static int conn_evictable(struct conn_slot *s, int64_t now)
{
    int phase = atomic_load(&s->phase);
    return !s->closing &&
           (phase == PHASE_HEAD ||
            (phase == PHASE_SEND && now - atomic_load(&s->since_ms) > reg.limits.head_timeout_ms));
}

static int conn_evict(const struct conn_client *client)
{
    int64_t now = clock_coarse_ms();
    for (struct conn_slot *s = reg.head; s; s = s->next) {
        if (!conn_evictable(s, now))
            continue;
        if (client && s->client != client)
            continue;
        conn_shut(s);
        atomic_fetch_add(&reg.evicted, 1);
        return 0;
    }
    return -1;
}

/* A connection conn_accept let in and counted, until its start notification takes it over;
 * libmicrohttpd accepts and starts a connection in the same thread. Counting at acceptance
 * keeps two threads accepting at once from both taking a client's last place. */
static _Thread_local struct conn_client *reserved;
/* A connection the front hands to libmicrohttpd keeps its slot: its place was taken already
 * (during the drain too) and its age stays its own (conn_adopt). */
static _Thread_local struct conn_slot *adopting;

void conn_adopt(struct conn_slot *s)
{
    adopting = s;
}

struct conn_slot *conn_adopt_end(void)
{
    struct conn_slot *s = adopting;
    adopting = NULL;
    return s;
}

/* Under reg.lock: a reservation whose connection never started (it failed to set up). */
static void conn_unreserve(void)
{
    struct conn_slot gone = {.client = reserved};
    if (reserved)
        conn_uncount(&gone);
    reserved = NULL;
}

enum MHD_Result conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    unsigned char key[16];
    int ok = 1;
    (void)cls;
    (void)addrlen;
    if (adopting)
        return MHD_YES; /* (counted since the front took it) */
    conn_addr_key(addr, key);
    pthread_mutex_lock(&reg.lock);
    conn_unreserve();
    if (reg.limits.draining) {
        pthread_mutex_unlock(&reg.lock);
        return MHD_NO;
    }
    struct conn_client *c = conn_client_find(key, 0);
    if (c && c->count >= reg.limits.per_client)
        ok = conn_evict(c) == 0;
    if (ok && reg.open >= reg.limits.total)
        ok = conn_evict(NULL) == 0;
    if (ok && (c = conn_client_find(key, 1)) != NULL) {
        c->count++;
        reg.open++;
        reserved = c;
    }
    pthread_mutex_unlock(&reg.lock);
    if (!ok)
        atomic_fetch_add(&reg.refused, 1);
    return ok ? MHD_YES : MHD_NO;
}

/* Under reg.lock, before libmicrohttpd closes fd: the socket stays open on a duplicate, closed
 * for sending (the answer is out), and the sweeper reads what the client still sends. */
static void conn_linger_start(int fd)
{
    if (reg.nlingering == CONN_LINGER_MAX)
        return;
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0)
        return;
    shutdown(dup, SHUT_WR);
    reg.lingering[reg.nlingering].fd = dup;
    reg.lingering[reg.nlingering].until = clock_coarse_ms() + CONN_LINGER_MS;
    reg.nlingering++;
}

/* Under reg.lock: drops what the lingering sockets received (at most 1 MiB each a sweep) and
 * closes those whose client has closed, failed or run out of time. */
static void conn_linger_sweep(int64_t now)
{
    char buf[16384];
    for (int i = 0; i < reg.nlingering;) {
        int fd = reg.lingering[i].fd;
        ssize_t n = 0;
        for (int k = 0; k < 64 && (n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0; k++)
            ;
        int open = n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
        if (open && now < reg.lingering[i].until) {
            i++;
            continue;
        }
        close(fd);
        reg.lingering[i] = reg.lingering[--reg.nlingering];
    }
}

struct conn_slot *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

void conn_linger(struct conn_slot *s)
{
    if (s)
        s->linger = 1; /* (read by the close notification, on this thread) */
}

/* A new slot for fd, in the registry; counted at acceptance when its client's reservation is
 * this thread's (conn_accept), else counted now. NULL when out of memory. */
static struct conn_slot *conn_slot_new(int fd, const struct sockaddr *addr)
{
    unsigned char key[16];
    struct conn_slot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->fd = fd;
    conn_addr_key(addr, key);
    atomic_store(&s->phase, PHASE_HEAD);
    atomic_store(&s->since_ms, clock_coarse_ms());
    atomic_store(&s->deadline_ms, clock_coarse_ms() + reg.limits.head_timeout_ms);
    pthread_mutex_lock(&reg.lock);
    if (reserved && memcmp(reserved->addr, key, 16) == 0) {
        s->client = reserved; /* counted when accepted */
        reserved = NULL;
    } else {
        conn_unreserve();
        if ((s->client = conn_client_find(key, 1)) != NULL)
            s->client->count++;
        reg.open++;
    }
    s->prev = reg.tail;
    if (reg.tail)
        reg.tail->next = s;
    else
        reg.head = s;
    reg.tail = s;
    pthread_mutex_unlock(&reg.lock);
    return s;
}

void conn_close(struct conn_slot *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&reg.lock);
    conn_uncount(s);
    if (s->linger && !s->shut && s->fd >= 0)
        conn_linger_start(s->fd);
    if (s->prev)
        s->prev->next = s->next;
    else
        reg.head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        reg.tail = s->prev;
    pthread_mutex_unlock(&reg.lock);
    free(s);
}

struct conn_slot *conn_open(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    if (conn_accept(NULL, addr, addrlen) != MHD_YES)
        return NULL;
    struct conn_slot *s = conn_slot_new(fd, addr);
    if (!s) {
        pthread_mutex_lock(&reg.lock);
        conn_unreserve();
        pthread_mutex_unlock(&reg.lock);
    }
    return s;
}

void conn_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                 enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED && adopting) {
        *socket_context = conn_adopt_end();
    } else if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ad =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        *socket_context = conn_slot_new(fd ? fd->connect_fd : -1, ad ? ad->client_addr : NULL);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        conn_close(*socket_context);
        *socket_context = NULL;
    }
}

static void conn_phase(struct conn_slot *s, int phase, int64_t deadline_ms)
{
    if (!s)
        return;
    atomic_store(&s->handed, 0);
    atomic_store(&s->deadline_ms, deadline_ms);
    atomic_store(&s->since_ms, clock_coarse_ms());
    atomic_store(&s->phase, phase);
}

void conn_working(struct conn_slot *s)
{
    conn_phase(s, PHASE_WORK, 0);
}

void conn_body_started(struct conn_slot *s)
{
    conn_phase(s, PHASE_BODY, clock_coarse_ms() + reg.limits.head_timeout_ms);
}

/* The body must keep up min_rate after the grace: the deadline moves with what has come, so a
 * trickle is cut as soon as it falls behind, not only at the end of the declared length. */
void conn_body_progress(struct conn_slot *s, int64_t received)
{
    int64_t rate = reg.limits.min_rate > 0 ? reg.limits.min_rate : 1;
    if (s)
        atomic_store(&s->deadline_ms, atomic_load(&s->since_ms) + reg.limits.head_timeout_ms +
                                          received * 1000 / rate);
}

/* An answer is due whole within the grace and its size at min_rate; a large one read out in
 * pieces (conn_send_progress) must keep up as it goes. */
void conn_sending(struct conn_slot *s, int64_t bytes)
{
    int64_t rate = reg.limits.min_rate > 0 ? reg.limits.min_rate : 1;
    conn_phase(s, PHASE_SEND, clock_coarse_ms() + reg.limits.head_timeout_ms + bytes * 1000 / rate);
}

void conn_send_progress(struct conn_slot *s, int64_t sent)
{
    if (s)
        atomic_store(&s->handed, sent);
}

/* Under reg.lock: a large answer's reader has fallen behind min_rate. What was handed to the
 * socket is not what was read: the kernel's send buffer takes megabytes at once, so what is
 * still queued there (SIOCOUTQ) is taken off. */
static int conn_send_stalled(struct conn_slot *s, int64_t now)
{
    int64_t handed = atomic_load(&s->handed),
            rate = reg.limits.min_rate > 0 ? reg.limits.min_rate : 1;
    int queued = 0;
    if (handed <= 0 || atomic_load(&s->phase) != PHASE_SEND || ioctl(s->fd, SIOCOUTQ, &queued) != 0)
        return 0;
    int64_t read = handed - queued;
    return now > atomic_load(&s->since_ms) + reg.limits.head_timeout_ms + read * 1000 / rate;
}

void conn_request_done(struct conn_slot *s)
{
    if (s && s->streaming) {
        pthread_mutex_lock(&reg.lock);
        conn_unstream(s);
        pthread_mutex_unlock(&reg.lock);
    }
    conn_phase(s, PHASE_HEAD, clock_coarse_ms() + reg.limits.head_timeout_ms);
}

/* Streams take at most half of the server's places and half of their client's, so that however
 * many a client opens, ordinary requests (its own included) still find a place; the process's
 * own stream limit (SELLERDESK_MAX_STREAMS) is at most the first half by configuration. */
int conn_streaming(struct conn_slot *s)
{
    int ok = 0;
    if (!s)
        return -1;
    pthread_mutex_lock(&reg.lock);
    int per_client = reg.limits.per_client / 2 > 0 ? reg.limits.per_client / 2 : 1;
    if (!s->closing && !s->streaming && s->client && s->client->streams < per_client &&
        reg.streams < reg.limits.total / 2) {
        s->streaming = 1;
        s->client->streams++;
        reg.streams++;
        ok = 1;
    }
    pthread_mutex_unlock(&reg.lock);
    if (ok)
        conn_phase(s, PHASE_STREAM, 0);
    return ok ? 0 : -1;
}

void conn_stream_drop(struct conn_slot *s)
{
    if (s)
        atomic_store(&s->deadline_ms, clock_coarse_ms());
}

void conn_drain(void)
{
    int64_t until = clock_coarse_ms() + CONN_STREAM_DRAIN_MS;
    pthread_mutex_lock(&reg.lock);
    reg.limits.draining = 1;
    /* the streams end by themselves (event_hub_drain); one whose client does not read cannot
     * take its end, and would hold the drain for the whole grace */
    for (struct conn_slot *s = reg.head; s; s = s->next)
        if (atomic_load(&s->phase) == PHASE_STREAM)
            atomic_store(&s->deadline_ms, until);
    pthread_mutex_unlock(&reg.lock);
}

static void *conn_sweep(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&reg.lock);
    while (reg.running) {
        int64_t now = clock_coarse_ms();
        for (struct conn_slot *s = reg.head; s; s = s->next) {
            int64_t d = atomic_load(&s->deadline_ms);
            if (s->closing || atomic_load(&s->phase) == PHASE_WORK)
                continue;
            if ((d == 0 || now < d) && !conn_send_stalled(s, now))
                continue;
            conn_shut(s);
            atomic_fetch_add(&reg.timed_out, 1);
        }
        conn_linger_sweep(now);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until); /* the wake condition runs on this clock */
        until.tv_nsec += CONN_SWEEP_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&reg.wake, &reg.lock, &until);
    }
    pthread_mutex_unlock(&reg.lock);
    return NULL;
}

int conn_start(const struct conn_limits *limits)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* a clock step stops no sweep */
    pthread_cond_init(&reg.wake, &attr);
    pthread_condattr_destroy(&attr);
    reg.limits = *limits;
    reg.running = 1;
    if (pthread_create(&reg.sweeper, NULL, conn_sweep, NULL) != 0) {
        log_error("cannot start the connection sweeper thread");
        reg.running = 0;
        return -1;
    }
    return 0;
}

void conn_stop(void)
{
    pthread_mutex_lock(&reg.lock);
    int was = reg.running;
    reg.running = 0;
    pthread_cond_signal(&reg.wake);
    pthread_mutex_unlock(&reg.lock);
    if (was) {
        pthread_join(reg.sweeper, NULL);
        pthread_cond_destroy(&reg.wake);
    }
    for (int i = 0; i < reg.nlingering; i++)
        close(reg.lingering[i].fd);
    reg.nlingering = 0;
}

void conn_get_stats(struct conn_stats *st)
{
    pthread_mutex_lock(&reg.lock);
    st->open = reg.open;
    st->streams = reg.streams;
    pthread_mutex_unlock(&reg.lock);
    st->evicted_total = atomic_load(&reg.evicted);
    st->timed_out_total = atomic_load(&reg.timed_out);
    st->refused_total = atomic_load(&reg.refused);
}
