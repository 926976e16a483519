#include "periodic.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "log.h"

struct periodic {
    pthread_t thread;
    struct periodic_db db;
    struct db_conn *conn;
    int interval_ms;
    periodic_fn fn;
    void *arg;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
};

static void *periodic_loop(void *arg)
{
    struct periodic *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        pthread_mutex_unlock(&p->mu);
        sd_err e = SD_OK;
        int more = 0;
        if (!p->conn && !(p->conn = db_connect(p->db.url, p->db.statement_timeout_ms,
                                               p->db.connect_timeout_s, &e)))
            log_warn("background job: cannot connect to the database (%s); retrying", err_code(e));
        if (p->conn) {
            more = p->fn(p->conn, p->arg) == 1;
            if (PQstatus(db_pg(p->conn)) != CONNECTION_OK) {
                db_close(p->conn);
                p->conn = NULL;
            }
        }
        pthread_mutex_lock(&p->mu);
        if (more)
            continue;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += p->interval_ms / 1000;
        until.tv_nsec += (long)(p->interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (!p->stop)
            pthread_cond_timedwait(&p->cv, &p->mu, &until);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct periodic *periodic_start(const struct periodic_db *db, int interval_ms, periodic_fn fn,
                                void *arg)
{
    struct periodic *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->db = *db;
    p->interval_ms = interval_ms;
    p->fn = fn;
    p->arg = arg;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* (waits survive a clock step) */
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&p->thread, NULL, periodic_loop, p) != 0) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
        free(p);
        return NULL;
    }
    return p;
}

void periodic_stop(struct periodic *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    if (p->conn)
        db_close(p->conn);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p);
}
