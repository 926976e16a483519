#ifndef SD_WEBHOOK_DELIVERY_H
#define SD_WEBHOOK_DELIVERY_H

#include "db.h"

/* Sends the deliveries of sellers' webhooks (webhook_deliveries, filled by the database in the
 * transaction of each event). A batch is claimed by a lease (locked_until) that is committed
 * before any request goes out, so no transaction waits on a receiver; the batch is sent in
 * parallel (curl multi), so one slow receiver costs the others nothing; each outcome is then
 * recorded with the endpoint's health. Several processes share the work (SKIP LOCKED and the
 * lease). At least once: a process that dies between sending and recording leaves a lease
 * that runs out, and the delivery goes again with the same id. No order is kept. */
struct webhook_delivery_config {
    int max_attempts;  /* then failed (counted from the last redelivery) */
    int backoff_s;     /* first retry after this, doubling, at most an hour */
    int timeout_ms;    /* per attempt, connection included */
    int disable_after; /* consecutive failed attempts that disable an endpoint */
    int allow_private; /* 1: no address rule at connection time */
};

/* One batch; returns how many deliveries were attempted, -1 on a database error. */
int webhook_delivery_run_once(struct db_conn *conn, const struct webhook_delivery_config *cfg);

/* webhook_delivery_run_once as a job of src/periodic.h: 1 when the batch was full. */
int webhook_delivery_job(struct db_conn *conn, void *cfg);

#endif
