#include "principal_cache.h"

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "api_key_cache.h"
#include "clock.h"
#include "event_hub.h"
#include "log.h"

/* Direct-mapped: an account goes to slot id % SLOTS, a collision evicts. Bounded memory, no
 * resizing, one short lock per stripe of slots. */
#define SLOTS   16384
#define STRIPES 64

struct slot {
    int64_t user_id; /* 0: empty */
    auth_role role;
    json_t *user;
    char *text; /* user as compact JSON, made on the first GET /v1/me (principal_cache_text) */
    size_t text_len;
    int64_t expires_ms;
    uint64_t gen; /* bumped when the slot's account is forgotten: a late put is refused */
};

static struct {
    struct slot slots[SLOTS];
    pthread_rwlock_t locks[STRIPES];
    atomic_int on;              /* the listener is connected and listening */
    atomic_uint_fast64_t epoch; /* bumped when everything is forgotten */
    atomic_uint_fast64_t hits, misses, forgotten;
    int ttl_ms;
    int started;
    /* the listener */
    pthread_t thread;
    atomic_int stop;
    char *url;
    int connect_timeout_s;
} pc;

static struct slot *slot_of(int64_t id, pthread_rwlock_t **lock)
{
    size_t i = (size_t)((uint64_t)id % SLOTS);
    *lock = &pc.locks[i % STRIPES];
    return &pc.slots[i];
}

static void slot_empty(struct slot *s)
{
    json_decref(s->user);
    free(s->text);
    s->user = NULL;
    s->text = NULL;
    s->user_id = 0;
}

/* The ticket of this thread's last miss: what the slot and the epoch were before the account
 * was read, so a put after a notice about it is refused. */
static _Thread_local uint64_t miss_gen, miss_epoch;
static _Thread_local int64_t miss_id;

int principal_cache_get(int64_t user_id, auth_role *role, json_t **user)
{
    pthread_rwlock_t *lock;
    struct slot *s = slot_of(user_id, &lock);
    int hit = 0;
    if (!atomic_load(&pc.on))
        return 0;
    miss_epoch = atomic_load(&pc.epoch);
    pthread_rwlock_rdlock(lock);
    if (s->user_id == user_id && s->user && s->expires_ms > clock_coarse_ms()) {
        *role = s->role;
        *user = json_incref(s->user);
        hit = 1;
    } else {
        miss_gen = s->gen;
        miss_id = user_id;
    }
    pthread_rwlock_unlock(lock);
    return hit;
}

void principal_cache_count(int hit)
{
    if (!atomic_load(&pc.on))
        return; /* (off: nothing is looked up, every account is read) */
    atomic_fetch_add(hit ? &pc.hits : &pc.misses, 1);
}

void principal_cache_put(int64_t user_id, auth_role role, json_t *user)
{
    pthread_rwlock_t *lock;
    struct slot *s = slot_of(user_id, &lock);
    if (!atomic_load(&pc.on) || !pc.ttl_ms || miss_id != user_id)
        return;
    pthread_rwlock_wrlock(lock);
    /* a notice about this slot, or about everyone, came while the account was being read:
     * what was read may be the old row, so it is not kept */
    if (s->gen == miss_gen && atomic_load(&pc.epoch) == miss_epoch) {
        slot_empty(s);
        s->user_id = user_id;
        s->role = role;
        s->user = json_incref(user);
        s->expires_ms = clock_coarse_ms() + pc.ttl_ms;
    }
    pthread_rwlock_unlock(lock);
    miss_id = 0;
}

/* (a malloc'd copy of n bytes and a NUL) */
static char *text_copy(const char *text, size_t n)
{
    char *out = malloc(n + 1);
    if (out)
        memcpy(out, text, n + 1);
    return out;
}

char *principal_cache_text(int64_t user_id, const json_t *user, size_t *len)
{
    pthread_rwlock_t *lock;
    struct slot *s = slot_of(user_id, &lock);
    char *out = NULL;
    /* the slot's text is this object's only while the slot holds this very object: the caller
     * holds a reference, so no other object can have its address meanwhile */
    pthread_rwlock_rdlock(lock);
    if (s->user == user && s->text) {
        out = text_copy(s->text, s->text_len);
        *len = s->text_len;
    }
    pthread_rwlock_unlock(lock);
    if (out)
        return out;
    char *made = json_dumps(user, JSON_COMPACT);
    if (!made)
        return NULL;
    *len = strlen(made);
    if (!(out = text_copy(made, *len))) {
        free(made);
        return NULL;
    }
    pthread_rwlock_wrlock(lock);
    if (s->user == user && !s->text) {
        s->text = made;
        s->text_len = *len;
        made = NULL;
    }
    pthread_rwlock_unlock(lock);
    free(made);
    return out;
}

void principal_cache_forget(int64_t user_id)
{
    pthread_rwlock_t *lock;
    struct slot *s = slot_of(user_id, &lock);
    pthread_rwlock_wrlock(lock);
    s->gen++;
    if (s->user_id == user_id)
        slot_empty(s);
    pthread_rwlock_unlock(lock);
    atomic_fetch_add(&pc.forgotten, 1);
}

static void forget_all(void)
{
    /* the API keys' cache lives on this listener's notices: it forgets with everyone */
    api_key_cache_forget_all();
    atomic_fetch_add(&pc.epoch, 1);
    for (int k = 0; k < STRIPES; k++) {
        pthread_rwlock_wrlock(&pc.locks[k]);
        for (size_t i = (size_t)k; i < SLOTS; i += STRIPES) {
            pc.slots[i].gen++;
            slot_empty(&pc.slots[i]);
        }
        pthread_rwlock_unlock(&pc.locks[k]);
    }
}

int principal_cache_listening(void)
{
    return atomic_load(&pc.on);
}

void principal_cache_stats(uint64_t *hits, uint64_t *misses, uint64_t *forgotten, int *on)
{
    *hits = atomic_load(&pc.hits);
    *misses = atomic_load(&pc.misses);
    *forgotten = atomic_load(&pc.forgotten);
    *on = atomic_load(&pc.on);
}

/* ---- the listener ------------------------------------------------------------------------ */

static PGconn *listen_connect(void)
{
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", pc.connect_timeout_s);
    const char *keys[] = {"dbname",
                          "connect_timeout",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "tcp_user_timeout",
                          NULL};
    const char *vals[] = {pc.url, timeout, "5", "2", "2", "2000", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        log_warn("principal cache: cannot connect the listener (%s); every request reads its "
                 "account",
                 PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PGresult *r = PQexec(c, "LISTEN sellerdesk_user_changed; LISTEN sellerdesk_api_key_changed");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        log_warn("principal cache: LISTEN failed (%s)", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* A silent connection (a host gone without a reset, a failover that left the listener on the
 * old primary) is found by asking: after HEARTBEAT_MS without a word from the server, a
 * "SELECT 1"; no answer within HEARTBEAT_MS more and the cache goes off and the listener
 * reconnects. */
#define HEARTBEAT_MS 1000

static void listen_lost(PGconn **c, const char *why)
{
    atomic_store(&pc.on, 0);
    forget_all();
    log_warn("principal cache: the listener %s; off until it is back", why);
    PQfinish(*c);
    *c = NULL;
}

static void *listen_loop(void *unused)
{
    PGconn *c = NULL;
    int64_t heard = 0, asked = 0;
    (void)unused;
    while (!atomic_load(&pc.stop)) {
        if (!c) {
            if (!(c = listen_connect())) {
                struct timespec pause = {1, 0};
                nanosleep(&pause, NULL);
                continue;
            }
            /* whatever changed while nobody listened is forgotten with everything else */
            forget_all();
            atomic_store(&pc.on, 1);
            heard = clock_coarse_ms();
            asked = 0;
        }
        struct pollfd p = {PQsocket(c), POLLIN, 0};
        int ready = poll(&p, 1, PRINCIPAL_POLL_MS);
        if (ready < 0 || (ready > 0 && !PQconsumeInput(c)) || PQstatus(c) != CONNECTION_OK) {
            listen_lost(&c, "lost its connection");
            continue;
        }
        if (ready > 0)
            heard = clock_coarse_ms();
        /* the heartbeat's answer, when it came */
        while (asked && !PQisBusy(c)) {
            PGresult *r = PQgetResult(c);
            if (!r) {
                asked = 0;
                break;
            }
            PQclear(r);
        }
        int64_t now = clock_coarse_ms();
        if (asked && now - asked > HEARTBEAT_MS) {
            listen_lost(&c, "got no answer to its heartbeat");
            continue;
        }
        if (!asked && now - heard > HEARTBEAT_MS) {
            if (!PQsendQuery(c, "SELECT 1")) {
                listen_lost(&c, "could not send its heartbeat");
                continue;
            }
            asked = now;
        }
        PGnotify *n;
        while ((n = PQnotifies(c)) != NULL) {
            /* open event streams end too: a reconnect authenticates again */
            int all = strcmp(n->extra, "*") == 0;
            int64_t id = all ? 0 : strtoll(n->extra, NULL, 10);
            if (strcmp(n->relname, "sellerdesk_api_key_changed") == 0) {
                api_key_cache_forget_all(); /* a key revoked, expired early, deleted */
                event_hub_end(0, all ? -1 : id);
            } else if (all) {
                forget_all();
                event_hub_end(0, 0);
            } else {
                principal_cache_forget(id);
                event_hub_end(id, 0);
            }
            PQfreemem(n);
        }
    }
    atomic_store(&pc.on, 0);
    PQfinish(c);
    return NULL;
}

int principal_cache_start(const char *database_url, int ttl_ms, int connect_timeout_s)
{
    for (int k = 0; k < STRIPES; k++)
        pthread_rwlock_init(&pc.locks[k], NULL);
    pc.ttl_ms = ttl_ms;
    if (!ttl_ms)
        return 0;
    pc.url = strdup(database_url);
    pc.connect_timeout_s = connect_timeout_s;
    atomic_store(&pc.stop, 0);
    if (!pc.url || pthread_create(&pc.thread, NULL, listen_loop, NULL) != 0) {
        free(pc.url);
        pc.url = NULL;
        return -1;
    }
    pc.started = 1;
    return 0;
}

void principal_cache_stop(void)
{
    if (pc.started) {
        atomic_store(&pc.stop, 1);
        pthread_join(pc.thread, NULL);
        pc.started = 0;
    }
    forget_all();
    free(pc.url);
    pc.url = NULL;
    for (int k = 0; k < STRIPES; k++)
        pthread_rwlock_destroy(&pc.locks[k]);
}
