#include "db.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "text_out.h"

#define DB_MAX_PREPARED 256

struct db_conn {
    PGconn *pg;
    int in_tx;
    int nprepared;
    const db_stmt *prepared[DB_MAX_PREPARED];
    char sqlstate[6];
    char constraint[64];
    char conninfo_options[64];
    const char *url;
    int connect_timeout_s;
};

/* A request waiting for a connection: released connections are handed to the oldest waiter
 * directly, so the wait is first come, first served (a thread arriving while others wait
 * queues behind them instead of taking the next free connection). */
struct db_waiter {
    pthread_cond_t cv;
    struct db_conn *got;
    struct db_waiter *next;
};

struct db_pool {
    pthread_mutex_t mu;
    struct db_waiter *head, *tail; /* the queue of waiters, oldest first */
    struct db_conn *conns;
    int *free_stack;
    int nfree;
    int size;
    int waiting;
    int acquire_timeout_ms;
    uint64_t acquired, timeouts, resets;
    char *url;
};

static void db_conn_init(struct db_conn *c, const char *url, int statement_timeout_ms,
                         int connect_timeout_s)
{
    memset(c, 0, sizeof *c);
    c->url = url;
    c->connect_timeout_s = connect_timeout_s;
    snprintf(c->conninfo_options, sizeof c->conninfo_options, "-c statement_timeout=%d",
             statement_timeout_ms);
}

/* (Re)connects when there is no live connection. Prepared statements die with the session. */
static sd_err db_ensure_connected(struct db_conn *c)
{
    char timeout[16];
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK)
        return SD_OK;
    if (c->pg)
        PQfinish(c->pg);
    c->nprepared = 0;
    c->in_tx = 0;
    snprintf(timeout, sizeof timeout, "%d", c->connect_timeout_s);
    const char *keys[] = {"dbname", "options", "connect_timeout", "application_name", NULL};
    const char *vals[] = {c->url, c->conninfo_options, timeout, "sellerdesk", NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        log_warn("database connection failed: %s", PQerrorMessage(c->pg));
        PQfinish(c->pg);
        c->pg = NULL;
        return SD_ERR_UNAVAILABLE;
    }
    return SD_OK;
}

struct db_pool *db_pool_new(const char *url, int size, int acquire_timeout_ms,
                            int statement_timeout_ms, int connect_timeout_s)
{
    struct db_pool *p = calloc(1, sizeof *p);
    p->url = strdup(url);
    p->size = size;
    p->acquire_timeout_ms = acquire_timeout_ms;
    p->conns = calloc((size_t)size, sizeof *p->conns);
    p->free_stack = calloc((size_t)size, sizeof *p->free_stack);
    for (int i = 0; i < size; i++) {
        db_conn_init(&p->conns[i], p->url, statement_timeout_ms, connect_timeout_s);
        p->free_stack[p->nfree++] = i;
    }
    pthread_mutex_init(&p->mu, NULL);
    return p;
}

void db_pool_free(struct db_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->size; i++)
        if (p->conns[i].pg)
            PQfinish(p->conns[i].pg);
    pthread_mutex_destroy(&p->mu);
    free(p->conns);
    free(p->free_stack);
    free(p->url);
    free(p);
}

struct db_conn *db_acquire(struct db_pool *p, sd_err *err)
{
    struct timespec deadline;
    struct db_conn *c = NULL;
    clock_gettime(CLOCK_MONOTONIC, &deadline); /* (a clock step must not stretch the wait) */
    deadline.tv_sec += p->acquire_timeout_ms / 1000;
    deadline.tv_nsec += (long)(p->acquire_timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&p->mu);
    if (p->nfree > 0 && !p->head) {
        c = &p->conns[p->free_stack[--p->nfree]];
    } else {
        struct db_waiter w = {.got = NULL, .next = NULL};
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&w.cv, &ca);
        pthread_condattr_destroy(&ca);
        if (p->tail)
            p->tail->next = &w;
        else
            p->head = &w;
        p->tail = &w;
        p->waiting++;
        while (!w.got && pthread_cond_timedwait(&w.cv, &p->mu, &deadline) != ETIMEDOUT)
            ;
        p->waiting--;
        c = w.got;
        if (!c) { /* timed out: leave the queue (a release always takes the head) */
            struct db_waiter **q = &p->head, *prev = NULL;
            while (*q != &w) {
                prev = *q;
                q = &(*q)->next;
            }
            *q = w.next;
            if (p->tail == &w)
                p->tail = prev;
        }
        pthread_cond_destroy(&w.cv);
    }
    if (c)
        p->acquired++;
    else
        p->timeouts++;
    pthread_mutex_unlock(&p->mu);
    if (!c) {
        log_warn("database pool exhausted: no connection within %d ms", p->acquire_timeout_ms);
        *err = SD_ERR_UNAVAILABLE;
        return NULL;
    }
    if (db_ensure_connected(c) != SD_OK) {
        db_release(p, c);
        *err = SD_ERR_UNAVAILABLE;
        return NULL;
    }
    return c;
}

void db_release(struct db_pool *p, struct db_conn *c)
{
    if (!c)
        return;
    if (c->in_tx)
        db_rollback(c);
    pthread_mutex_lock(&p->mu);
    if (c->pg && PQstatus(c->pg) != CONNECTION_OK)
        p->resets++;
    struct db_waiter *w = p->head;
    if (w) { /* straight to the oldest waiter */
        p->head = w->next;
        if (!p->head)
            p->tail = NULL;
        w->got = c;
        pthread_cond_signal(&w->cv);
    } else {
        p->free_stack[p->nfree++] = (int)(c - p->conns);
    }
    pthread_mutex_unlock(&p->mu);
}

void db_pool_get_stats(struct db_pool *p, struct db_pool_stats *out)
{
    pthread_mutex_lock(&p->mu);
    out->size = p->size;
    out->in_use = p->size - p->nfree;
    out->waiting = p->waiting;
    out->acquired = p->acquired;
    out->timeouts = p->timeouts;
    out->resets = p->resets;
    pthread_mutex_unlock(&p->mu);
}

struct db_conn *db_connect(const char *url, int statement_timeout_ms, int connect_timeout_s,
                           sd_err *err)
{
    struct db_conn *c = malloc(sizeof *c);
    db_conn_init(c, strdup(url), statement_timeout_ms, connect_timeout_s);
    if ((*err = db_ensure_connected(c)) != SD_OK) {
        free((char *)c->url);
        free(c);
        return NULL;
    }
    return c;
}

void db_close(struct db_conn *c)
{
    if (!c)
        return;
    if (c->pg)
        PQfinish(c->pg);
    free((char *)c->url);
    free(c);
}

PGconn *db_pg(struct db_conn *c)
{
    return c->pg;
}

const char *db_last_sqlstate(const struct db_conn *c)
{
    return c->sqlstate;
}

const char *db_last_constraint(const struct db_conn *c)
{
    return c->constraint;
}

sd_err db_err_of_state(const char *state, int conn_ok)
{
    if (!conn_ok)
        return SD_ERR_UNAVAILABLE;
    if (!state)
        return SD_ERR_INTERNAL;
    /* unique and exclusion constraints: another row holds it */
    if (strcmp(state, "23505") == 0 || strcmp(state, "23P01") == 0)
        return SD_ERR_CONFLICT;
    /* timeouts, lock waits, serialization failures, shutdowns, lost connections */
    if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0 || strcmp(state, "40001") == 0 ||
        strcmp(state, "40P01") == 0 || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "57P", 3) == 0 || strncmp(state, "53", 2) == 0)
        return SD_ERR_UNAVAILABLE;
    return SD_ERR_INTERNAL;
}

static sd_err db_classify(struct db_conn *c, const PGresult *res)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    snprintf(c->constraint, sizeof c->constraint, "%s", constraint ? constraint : "");
    return db_err_of_state(state, c->pg && PQstatus(c->pg) == CONNECTION_OK);
}

static int db_is_prepared(const struct db_conn *c, const db_stmt *st)
{
    for (int i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == st)
            return 1;
    return 0;
}

static PGresult *db_exec_once(struct db_conn *c, const db_stmt *st, int n,
                              const char *const *params, const int *lengths, const int *formats,
                              int result_format)
{
    /* (past DB_MAX_PREPARED a statement is planned per call: prepared again unrecorded, its
     * name would be taken on the next call) */
    int prepared = !st->per_call && db_is_prepared(c, st);
    if (st->per_call || (!prepared && c->nprepared == DB_MAX_PREPARED))
        return PQexecParams(c->pg, st->sql, n, NULL, params, lengths, formats, result_format);
    if (!prepared) {
        PGresult *pr = PQprepare(c->pg, st->name, st->sql, 0, NULL);
        if (PQresultStatus(pr) != PGRES_COMMAND_OK)
            return pr;
        PQclear(pr);
        c->prepared[c->nprepared++] = st;
    }
    return PQexecPrepared(c->pg, st->name, n, params, lengths, formats, result_format);
}

static int db_result_ok(const PGresult *r)
{
    ExecStatusType s = PQresultStatus(r);
    return s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK;
}

PGresult *db_exec(struct db_conn *c, const db_stmt *st, int n, const char *const *params,
                  sd_err *err)
{
    return db_exec_binary(c, st, n, params, NULL, NULL, 0, err);
}

PGresult *db_exec_binary(struct db_conn *c, const db_stmt *st, int n, const char *const *params,
                         const int *lengths, const int *formats, int result_format, sd_err *err)
{
    PGresult *r = db_exec_once(c, st, n, params, lengths, formats, result_format);
    /* A connection that died between requests (PostgreSQL restarted) is reset and the
     * statement retried once, but never inside a transaction: earlier work there is lost. */
    if (!db_result_ok(r) && PQstatus(c->pg) != CONNECTION_OK && !c->in_tx) {
        PQclear(r);
        if (db_ensure_connected(c) != SD_OK) {
            *err = SD_ERR_UNAVAILABLE;
            return NULL;
        }
        r = db_exec_once(c, st, n, params, lengths, formats, result_format);
    }
    if (db_result_ok(r)) {
        c->sqlstate[0] = '\0';
        return r;
    }
    *err = db_classify(c, r);
    if (*err != SD_ERR_CONFLICT)
        log_error("database error in %s: [%s] %s", st->name, c->sqlstate, PQresultErrorMessage(r));
    PQclear(r);
    return NULL;
}

sd_err db_command(struct db_conn *c, const char *sql)
{
    PGresult *r = PQexec(c->pg, sql);
    sd_err e = SD_OK;
    if (!db_result_ok(r)) {
        e = db_classify(c, r);
        log_error("database command failed: [%s] %s", c->sqlstate, PQresultErrorMessage(r));
    }
    PQclear(r);
    return e;
}

sd_err db_begin(struct db_conn *c)
{
    sd_err e;
    if (PQstatus(c->pg) != CONNECTION_OK && db_ensure_connected(c) != SD_OK)
        return SD_ERR_UNAVAILABLE;
    e = db_command(c, "BEGIN");
    if (e == SD_ERR_UNAVAILABLE && PQstatus(c->pg) != CONNECTION_OK &&
        db_ensure_connected(c) == SD_OK)
        e = db_command(c, "BEGIN");
    c->in_tx = (e == SD_OK);
    return e;
}

sd_err db_commit(struct db_conn *c)
{
    sd_err e = db_command(c, "COMMIT");
    c->in_tx = 0;
    return e;
}

void db_rollback(struct db_conn *c)
{
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK) {
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        PQclear(r);
    }
    c->in_tx = 0;
}

int64_t db_get_i64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

const char *db_get_str(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

const char *db_i64(char *buf, int64_t v)
{
    /* (snprintf's "%" PRId64 was 650 instructions of every keyed read: bench/README.md) */
    struct text_out t = text_out_of(buf, 23);
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        text_lit(&t, "-");
        u = 0 - u;
    }
    text_uint(&t, u, 1);
    *t.p = '\0';
    return buf;
}

void db_read_i64(struct db_read *rd, int i, int64_t v)
{
    rd->params[i] = db_i64(rd->num[i], v);
}

PGresult *db_read_run(struct db_conn *c, const struct db_read *rd, sd_err *err)
{
    return db_exec(c, rd->st, rd->n, rd->params, err);
}

sd_err db_text_of(PGresult *r, char **out)
{
    sd_err e = SD_OK;
    if (PQntuples(r) == 0) {
        e = SD_ERR_NOT_FOUND;
    } else {
        /* (the length libpq knows: no strlen over a page of JSON) */
        size_t n = (size_t)PQgetlength(r, 0, 0);
        if ((*out = malloc(n + 1)))
            memcpy(*out, PQgetvalue(r, 0, 0), n + 1);
        e = *out ? SD_OK : SD_ERR_INTERNAL;
    }
    PQclear(r);
    return e;
}

sd_err db_i64_of(PGresult *r, int64_t *v, int *found)
{
    *found = PQntuples(r) > 0;
    *v = *found ? db_get_i64(r, 0, 0) : 0;
    PQclear(r);
    return SD_OK;
}

sd_err db_text_one(struct db_conn *c, const db_stmt *st, int n, const char *const *params,
                   char **out)
{
    sd_err e = SD_OK;
    PGresult *r = db_exec(c, st, n, params, &e);
    return r ? db_text_of(r, out) : e;
}

sd_err db_json_one(struct db_conn *c, const db_stmt *st, int n, const char *const *params,
                   json_t **out)
{
    char *text = NULL;
    sd_err e = db_text_one(c, st, n, params, &text);
    if (e != SD_OK)
        return e;
    *out = json_loads(text, 0, NULL);
    free(text);
    return *out ? SD_OK : SD_ERR_INTERNAL;
}

static sd_err json_page_of(PGresult *r, int limit, char **items, int *has_more, int64_t *last_id);

sd_err db_json_page(struct db_conn *c, const db_stmt *st, int n, const char *const *params,
                    int limit, char **items, int *has_more, int64_t *last_id)
{
    sd_err e = SD_OK;
    PGresult *r = db_exec(c, st, n, params, &e);
    return r ? json_page_of(r, limit, items, has_more, last_id) : e;
}

sd_err db_page_of(PGresult *r, int limit, char **items, int *has_more, int64_t *last_id,
                  int64_t *extra, int *has_extra)
{
    if (has_extra) {
        *has_extra = PQntuples(r) == 1 && PQnfields(r) > 4 && !PQgetisnull(r, 0, 4);
        *extra = *has_extra ? db_get_i64(r, 0, 4) : 0;
    }
    return json_page_of(r, limit, items, has_more, last_id);
}

/* (takes r, a DB_PAGE's one row) */
static sd_err json_page_of(PGresult *r, int limit, char **items, int *has_more, int64_t *last_id)
{
    if (PQntuples(r) != 1 || PQnfields(r) < 4) {
        log_error("a page statement returned %d rows of %d columns, not one DB_PAGE row",
                  PQntuples(r), PQnfields(r));
        PQclear(r);
        return SD_ERR_INTERNAL;
    }
    /* PostgreSQL built each item as JSON and joined them: passed on as they are, never parsed
     * and printed again (that was half the server's time on a page; bench/README.md, "Chats") */
    size_t n = (size_t)PQgetlength(r, 0, 1);
    *has_more = db_get_i64(r, 0, 0) > limit;
    if (*has_more && !PQgetisnull(r, 0, 3)) { /* the extra row and its comma go */
        size_t cut = (size_t)db_get_i64(r, 0, 3) + 1;
        n = cut <= n ? n - cut : 0;
    }
    char *out = malloc(n + 3);
    if (!out) {
        PQclear(r);
        return SD_ERR_INTERNAL;
    }
    *last_id = PQgetisnull(r, 0, 2) ? 0 : db_get_i64(r, 0, 2);
    out[0] = '[';
    memcpy(out + 1, PQgetvalue(r, 0, 1), n);
    memcpy(out + 1 + n, "]", 2);
    *items = out;
    PQclear(r);
    return SD_OK;
}

char *db_id_array(const json_t *ids)
{
    size_t i, used = 1, cap = json_array_size(ids) * 21 + 3;
    const json_t *v;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    out[0] = '{';
    json_array_foreach(ids, i, v) used += (size_t)snprintf(
        out + used, cap - used, "%s%lld", i ? "," : "", (long long)json_integer_value(v));
    snprintf(out + used, cap - used, "}");
    return out;
}
