#include "event_hub.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "clock.h"
#include "db.h"
#include "event_store.h"
#include "log.h"

#define HUB_BUCKETS 1024
/* rows read per account per wake-up; a stream further behind gets the next page next time */
#define HUB_PAGE 200
/* the listener's silence after which it asks "SELECT 1", and the wait for that answer */
#define HUB_LISTEN_HEARTBEAT_MS 1000
#define HUB_POLL_MS             100
#define HUB_STATEMENT_TIMEOUT   5000
#define HUB_HEARTBEAT           ": heartbeat\n\n"

struct event_hub_stream {
    struct event_hub_stream *prev, *next; /* in its account's bucket */
    int64_t account;
    int64_t api_key_id; /* the key it was opened with, 0: a person's token */
    time_t expires_at;  /* when that credential expires, 0: never */
    int64_t pos;        /* the last position examined: sent, buffered or filtered out */
    int64_t id_sent;    /* the last position the client was told (an event's or a bare id:) */
    int64_t want;       /* positions up to this are known to exist; INT64_MAX: unknown, read */
    char *types;        /* ",a,b," or NULL */
    char *buf;
    size_t off, len, cap; /* the unsent bytes are buf[off, len) */
    uint64_t taken, taken_at_tick;
    int suspended, ended, registered;
    struct event_hub_client client;
};

static struct {
    pthread_mutex_t lock;
    struct event_hub_stream *buckets[HUB_BUCKETS];
    int streams;
    int running, draining;
    struct event_hub_config cfg;
    char *url;
    pthread_t thread;
    int wake_fd; /* eventfd: a stream to read (new, or drained its buffer), or stop */
    atomic_int listening;
    atomic_uint_fast64_t delivered, dropped, reads;
} hub = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake_fd = -1};

static struct event_hub_stream **hub_bucket(int64_t account)
{
    return &hub.buckets[(uint64_t)account % HUB_BUCKETS];
}

static void hub_signal(void)
{
    uint64_t one = 1;
    if (hub.wake_fd >= 0 && write(hub.wake_fd, &one, sizeof one) < 0)
        log_debug("event hub: wake-up not written"); /* the next poll timeout reads anyway */
}

/* Under hub.lock. */
static void hub_wake(struct event_hub_stream *s)
{
    if (s->suspended) {
        s->suspended = 0;
        s->client.resume(s->client.arg);
    }
}

/* Under hub.lock: the stream ends at once; what it still buffers is not sent (the client
 * resumes after the last id it received and gets it again). */
static void hub_end(struct event_hub_stream *s)
{
    s->ended = 1;
    s->off = s->len = 0;
    hub_wake(s);
}

/* Under hub.lock: len bytes more; the buffer's unsent part moves to its start first. */
static int hub_append(struct event_hub_stream *s, const char *data, size_t len)
{
    if (s->off > 0) {
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->len -= s->off;
        s->off = 0;
    }
    if (s->len + len > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + len)
            cap *= 2;
        char *b = realloc(s->buf, cap);
        if (!b)
            return -1;
        s->buf = b;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
    return 0;
}

static size_t hub_pending(const struct event_hub_stream *s)
{
    return s->len - s->off;
}

/* Under hub.lock: the stream's buffer has room and something to read. */
static int hub_needs_read(const struct event_hub_stream *s)
{
    return !s->ended && s->want > s->pos && hub_pending(s) < hub.cfg.buffer_bytes;
}

static int hub_type_wanted(const struct event_hub_stream *s, const char *type)
{
    if (!s->types)
        return 1;
    size_t n = strlen(type);
    for (const char *p = strstr(s->types, type); p; p = strstr(p + 1, type))
        if (p[-1] == ',' && p[n] == ',')
            return 1;
    return 0;
}

/* Under hub.lock: rows (position, type, item) of the account after `after` go to each of its
 * streams that had asked from there or later, in order, until the stream's buffer is full. */
static void hub_deliver(int64_t account, int64_t after, PGresult *rows)
{
    int n = PQntuples(rows);
    for (struct event_hub_stream *s = *hub_bucket(account); s; s = s->next) {
        if (s->account != account || !hub_needs_read(s) || s->pos < after)
            continue;
        int i = 0, sent = 0;
        for (; i < n && hub_pending(s) < hub.cfg.buffer_bytes; i++) {
            int64_t position = db_get_i64(rows, i, 0);
            const char *type = db_get_str(rows, i, 1), *item = db_get_str(rows, i, 2);
            if (position <= s->pos)
                continue;
            if (hub_type_wanted(s, type)) {
                char head[160];
                s->id_sent = position;
                int h = snprintf(head, sizeof head,
                                 "id: %lld\nevent: %s\ndata: ", (long long)position, type);
                if (h < 0 || (size_t)h >= sizeof head || hub_append(s, head, (size_t)h) != 0 ||
                    hub_append(s, item, strlen(item)) != 0 || hub_append(s, "\n\n", 2) != 0) {
                    s->ended = 1; /* out of memory: the client resumes from what it has */
                    break;
                }
                sent++;
            }
            s->pos = position;
        }
        /* every row examined and the page short: the log was read to its end; a notice of a
         * later commit raises want again */
        if (i == n && n < HUB_PAGE)
            s->want = s->pos;
        atomic_fetch_add(&hub.delivered, (uint64_t)sent);
        if (sent > 0 || s->ended)
            hub_wake(s); /* events of other types only move its position */
    }
}

/* One query per account that has a stream to read, for all of that account's streams. */
static void hub_read_accounts(struct db_conn *db)
{
    pthread_mutex_lock(&hub.lock);
    for (int b = 0; b < HUB_BUCKETS; b++) {
    again:
        for (struct event_hub_stream *s = hub.buckets[b]; s; s = s->next) {
            if (!hub_needs_read(s))
                continue;
            /* the first stream of its account here to read: the account is read from the
             * earliest position any of its streams needs */
            int64_t account = s->account, after = s->pos;
            for (struct event_hub_stream *t = s; t; t = t->next)
                if (t->account == account && hub_needs_read(t) && t->pos < after)
                    after = t->pos;
            pthread_mutex_unlock(&hub.lock);
            PGresult *rows = NULL;
            sd_err e = event_store_since(db, account, after, HUB_PAGE, &rows);
            atomic_fetch_add(&hub.reads, 1);
            pthread_mutex_lock(&hub.lock);
            if (e != SD_OK) {
                /* the streams stay behind and are read again at the next wake-up */
                pthread_mutex_unlock(&hub.lock);
                return;
            }
            hub_deliver(account, after, rows);
            PQclear(rows);
            /* every delivery moves a stream on or fills it: the bucket (whose streams may have
             * come and gone meanwhile) is walked again until none here needs reading */
            goto again;
        }
    }
    pthread_mutex_unlock(&hub.lock);
}

/* A notice "account:position": the account's streams have up to position to read. */
static void hub_notice(const char *payload)
{
    char *end;
    long long account = strtoll(payload, &end, 10), position;
    if (*end != ':')
        return;
    position = strtoll(end + 1, NULL, 10);
    pthread_mutex_lock(&hub.lock);
    for (struct event_hub_stream *s = *hub_bucket(account); s; s = s->next)
        if (s->account == account && s->want < position)
            s->want = position;
    pthread_mutex_unlock(&hub.lock);
}

/* Every stream reads again from its own position: notices may have been missed. */
static void hub_reread_all(void)
{
    pthread_mutex_lock(&hub.lock);
    for (int b = 0; b < HUB_BUCKETS; b++)
        for (struct event_hub_stream *s = hub.buckets[b]; s; s = s->next)
            s->want = INT64_MAX;
    pthread_mutex_unlock(&hub.lock);
}

/* Under hub.lock: a bare "id:" once the stream's position has moved past the last id its client
 * saw (events it filters out, or none yet): an EventSource keeps it as its last event id without
 * firing anything, so a reconnect resumes from there, not from before what it skipped. */
static int hub_tell_position(struct event_hub_stream *s)
{
    char line[40];
    if (s->pos <= s->id_sent)
        return 0;
    int n = snprintf(line, sizeof line, "id: %lld\n\n", (long long)s->pos);
    if (hub_append(s, line, (size_t)n) != 0)
        return -1;
    s->id_sent = s->pos;
    return 0;
}

/* A heartbeat on every stream; a stream whose client took nothing since the last one while its
 * buffer was full is over: it cannot pin the server's memory, and resumes with Last-Event-ID. */
static void hub_heartbeat(void)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&hub.lock);
    for (int b = 0; b < HUB_BUCKETS; b++)
        for (struct event_hub_stream *s = hub.buckets[b]; s; s = s->next) {
            if (s->ended)
                continue;
            if (hub_pending(s) >= hub.cfg.buffer_bytes && s->taken == s->taken_at_tick) {
                s->ended = 1;
                s->off = s->len = s->cap = 0;
                free(s->buf);
                s->buf = NULL;
                s->client.drop(s->client.arg);
                atomic_fetch_add(&hub.dropped, 1);
                log_info("event stream of account %lld dropped: its client stopped reading",
                         (long long)s->account);
            } else if (s->expires_at && now >= s->expires_at) {
                /* the token or key it was opened with has expired: a reconnect must present a
                 * valid one */
                hub_end(s);
            } else if (hub_pending(s) < hub.cfg.buffer_bytes &&
                       (hub_append(s, HUB_HEARTBEAT, sizeof HUB_HEARTBEAT - 1) != 0 ||
                        hub_tell_position(s) != 0)) {
                s->ended = 1;
            }
            s->taken_at_tick = s->taken;
            hub_wake(s);
        }
    pthread_mutex_unlock(&hub.lock);
}

static PGconn *hub_listen_connect(void)
{
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", hub.cfg.connect_timeout_s);
    const char *keys[] = {
        "dbname",           "connect_timeout",  "keepalives_idle",  "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "application_name", NULL};
    const char *vals[] = {hub.url, timeout, "5", "2", "2", "2000", "sellerdesk-events", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        log_warn("event hub: cannot connect the listener (%s); streams wait for it",
                 PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, "LISTEN sellerdesk_event");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        log_warn("event hub: LISTEN failed (%s)", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static void hub_listen_lost(PGconn **c, const char *why)
{
    atomic_store(&hub.listening, 0);
    log_warn("event hub: the listener %s; reconnecting", why);
    PQfinish(*c);
    *c = NULL;
}

/* The listener's turn: notices taken in, the connection kept honest with a heartbeat as in
 * principal_cache.c. Returns -1 when the connection was lost. */
static int hub_listen_step(PGconn **c, int64_t *heard, int64_t *asked, int ready)
{
    if (ready < 0 || (ready > 0 && !PQconsumeInput(*c)) || PQstatus(*c) != CONNECTION_OK) {
        hub_listen_lost(c, "lost its connection");
        return -1;
    }
    if (ready > 0)
        *heard = clock_coarse_ms();
    while (*asked && !PQisBusy(*c)) {
        PGresult *r = PQgetResult(*c);
        if (!r) {
            *asked = 0;
            break;
        }
        PQclear(r);
    }
    int64_t now = clock_coarse_ms();
    if (*asked && now - *asked > HUB_LISTEN_HEARTBEAT_MS) {
        hub_listen_lost(c, "got no answer to its heartbeat");
        return -1;
    }
    if (!*asked && now - *heard > HUB_LISTEN_HEARTBEAT_MS) {
        if (!PQsendQuery(*c, "SELECT 1")) {
            hub_listen_lost(c, "could not send its heartbeat");
            return -1;
        }
        *asked = now;
    }
    PGnotify *n;
    while ((n = PQnotifies(*c)) != NULL) {
        hub_notice(n->extra);
        PQfreemem(n);
    }
    return 0;
}

static int hub_running(void)
{
    pthread_mutex_lock(&hub.lock);
    int r = hub.running;
    pthread_mutex_unlock(&hub.lock);
    return r;
}

static void *hub_loop(void *unused)
{
    PGconn *listener = NULL;
    struct db_conn *db = NULL;
    int64_t heard = 0, asked = 0, tick = clock_coarse_ms();
    (void)unused;
    while (hub_running()) {
        if (!listener && (listener = hub_listen_connect()) != NULL) {
            /* whatever was written while nobody listened is found by reading from every
             * stream's own position */
            hub_reread_all();
            atomic_store(&hub.listening, 1);
            heard = clock_coarse_ms();
            asked = 0;
        }
        /* without a listener the streams wait (their heartbeats go on) and it is tried again */
        struct pollfd p[2] = {{hub.wake_fd, POLLIN, 0},
                              {listener ? PQsocket(listener) : -1, POLLIN, 0}};
        int ready = poll(p, listener ? 2 : 1, listener ? HUB_POLL_MS : 1000);
        if (ready > 0 && (p[0].revents & POLLIN)) {
            uint64_t count;
            if (read(hub.wake_fd, &count, sizeof count) < 0)
                log_debug("event hub: wake-up not read");
        }
        if (listener &&
            hub_listen_step(&listener, &heard, &asked, ready < 0 ? -1 : p[1].revents != 0) == 0) {
            if (!db) {
                sd_err e;
                db = db_connect(hub.url, HUB_STATEMENT_TIMEOUT, hub.cfg.connect_timeout_s, &e);
            }
            if (db)
                hub_read_accounts(db);
        }
        if (clock_coarse_ms() - tick >= (int64_t)hub.cfg.heartbeat_s * 1000) {
            tick = clock_coarse_ms();
            hub_heartbeat();
        }
    }
    atomic_store(&hub.listening, 0);
    PQfinish(listener);
    db_close(db);
    return NULL;
}

int event_hub_start(const struct event_hub_config *cfg)
{
    hub.cfg = *cfg;
    hub.url = strdup(cfg->database_url);
    hub.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    hub.running = 1;
    hub.draining = 0;
    hub.cfg.database_url = NULL; /* hub.url is the copy */
    if (!hub.url || hub.wake_fd < 0 || pthread_create(&hub.thread, NULL, hub_loop, NULL) != 0) {
        log_error("event hub: cannot start; live event streams are off");
        hub.running = 0;
        free(hub.url);
        hub.url = NULL;
        if (hub.wake_fd >= 0)
            close(hub.wake_fd);
        hub.wake_fd = -1;
        return -1;
    }
    return 0;
}

void event_hub_stop(void)
{
    pthread_mutex_lock(&hub.lock);
    int was = hub.running;
    hub.running = 0;
    pthread_mutex_unlock(&hub.lock);
    if (!was)
        return;
    hub_signal();
    pthread_join(hub.thread, NULL);
    close(hub.wake_fd);
    hub.wake_fd = -1;
    free(hub.url);
    hub.url = NULL;
}

enum event_hub_open_result event_hub_open(const struct event_hub_who *who, int64_t after,
                                          const char *types, int retry_ms,
                                          const struct event_hub_client *client,
                                          struct event_hub_stream **out)
{
    struct event_hub_stream *s = calloc(1, sizeof *s);
    int64_t account = who->account;
    char retry[64];
    *out = NULL;
    if (!s)
        return EVENT_HUB_DOWN;
    s->account = account;
    s->api_key_id = who->api_key_id;
    s->expires_at = who->expires_at;
    /* judged stalled only after a whole heartbeat interval of its own */
    s->taken_at_tick = UINT64_MAX;
    s->pos = s->id_sent = after;
    s->want = INT64_MAX; /* the backlog, if any, is read first */
    s->client = *client;
    if (types) {
        size_t n = strlen(types) + 3;
        if ((s->types = malloc(n)) != NULL)
            snprintf(s->types, n, ",%s,", types);
    }
    /* the start position as a bare id: a client that gets no event before it reconnects
     * resumes from here */
    snprintf(retry, sizeof retry, "retry: %d\n\nid: %lld\n\n", retry_ms, (long long)after);
    if ((types && !s->types) || hub_append(s, retry, strlen(retry)) != 0) {
        free(s->types);
        free(s->buf);
        free(s);
        return EVENT_HUB_DOWN;
    }
    enum event_hub_open_result r = EVENT_HUB_OK;
    pthread_mutex_lock(&hub.lock);
    int mine = 0;
    for (struct event_hub_stream *t = *hub_bucket(account); t; t = t->next)
        mine += t->account == account;
    if (!hub.running || hub.draining)
        r = EVENT_HUB_DOWN;
    else if (hub.streams >= hub.cfg.max_streams)
        r = EVENT_HUB_FULL;
    else if (mine >= hub.cfg.max_per_account)
        r = EVENT_HUB_ACCOUNT_FULL;
    if (r == EVENT_HUB_OK) {
        struct event_hub_stream **b = hub_bucket(account);
        s->next = *b;
        if (*b)
            (*b)->prev = s;
        *b = s;
        s->registered = 1;
        hub.streams++;
    }
    pthread_mutex_unlock(&hub.lock);
    if (r != EVENT_HUB_OK) {
        free(s->types);
        free(s->buf);
        free(s);
        return r;
    }
    hub_signal();
    *out = s;
    return r;
}

ssize_t event_hub_read(struct event_hub_stream *s, char *buf, size_t max)
{
    ssize_t n;
    pthread_mutex_lock(&hub.lock);
    size_t pending = hub_pending(s);
    if (pending > 0) {
        size_t k = pending < max ? pending : max;
        memcpy(buf, s->buf + s->off, k);
        s->off += k;
        s->taken += k;
        if (s->off == s->len)
            s->off = s->len = 0;
        /* a backlog waits for room: the hub refills once the client has taken half */
        if (s->want > s->pos && pending >= hub.cfg.buffer_bytes / 2 &&
            hub_pending(s) < hub.cfg.buffer_bytes / 2)
            hub_signal();
        n = (ssize_t)k;
    } else if (s->ended) {
        n = -1;
    } else {
        if (s->want > s->pos)
            hub_signal();
        s->suspended = 1;
        s->client.suspend(s->client.arg);
        n = 0;
    }
    pthread_mutex_unlock(&hub.lock);
    return n;
}

void event_hub_close(struct event_hub_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&hub.lock);
    if (s->registered) {
        if (s->prev)
            s->prev->next = s->next;
        else
            *hub_bucket(s->account) = s->next;
        if (s->next)
            s->next->prev = s->prev;
        hub.streams--;
    }
    pthread_mutex_unlock(&hub.lock);
    free(s->types);
    free(s->buf);
    free(s);
}

void event_hub_drain(void)
{
    pthread_mutex_lock(&hub.lock);
    hub.draining = 1;
    for (int b = 0; b < HUB_BUCKETS; b++)
        for (struct event_hub_stream *s = hub.buckets[b]; s; s = s->next)
            hub_end(s);
    pthread_mutex_unlock(&hub.lock);
}

void event_hub_end(int64_t account, int64_t api_key_id)
{
    int n = 0;
    pthread_mutex_lock(&hub.lock);
    for (int b = 0; b < HUB_BUCKETS; b++)
        for (struct event_hub_stream *s = hub.buckets[b]; s; s = s->next) {
            int match = account > 0      ? s->account == account
                        : api_key_id > 0 ? s->api_key_id == api_key_id
                        : api_key_id < 0 ? s->api_key_id != 0
                                         : 1;
            if (match && !s->ended) {
                hub_end(s);
                n++;
            }
        }
    pthread_mutex_unlock(&hub.lock);
    if (n > 0)
        log_info("event hub: %d stream(s) ended: their account or API key changed", n);
}

void event_hub_get_stats(struct event_hub_stats *st)
{
    pthread_mutex_lock(&hub.lock);
    st->streams = hub.streams;
    pthread_mutex_unlock(&hub.lock);
    st->listening = atomic_load(&hub.listening);
    st->delivered = atomic_load(&hub.delivered);
    st->dropped = atomic_load(&hub.dropped);
    st->reads = atomic_load(&hub.reads);
}
