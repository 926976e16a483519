#ifndef SD_PERIODIC_H
#define SD_PERIODIC_H

#include "db.h"

/* A background thread of serve that runs one job: again at once while the job says more is
 * due (it returns 1), else after interval_ms; stopped and joined at shutdown. The notification
 * outbox and the promotion scheduler are such jobs. Each has a connection of its own, opened
 * on first use and again after it broke, never one of the request pool's: a job waiting on a
 * lock must not take the connection a request is waiting for. */
typedef int (*periodic_fn)(struct db_conn *conn, void *arg);

struct periodic;
struct periodic_db {
    const char *url; /* borrowed: outlives the job */
    int statement_timeout_ms, connect_timeout_s;
};
struct periodic *periodic_start(const struct periodic_db *db, int interval_ms, periodic_fn fn,
                                void *arg);
void periodic_stop(struct periodic *p);

#endif
