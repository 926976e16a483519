#ifndef SD_WEBHOOK_DELIVERY_H
#define SD_WEBHOOK_DELIVERY_H

#include "db.h"

#include <stdatomic.h>

/* Sends the deliveries of sellers' webhooks (webhook_deliveries, filled by the database in the
 * transaction of each event) as a pipeline: up to `concurrency` requests in flight per process
 * (curl multi), at most `per_endpoint` of them to one endpoint (counted from the leases of
 * all processes). Each delivery is claimed by a lease (locked_until) committed before its
 * request goes out, so no transaction waits on a receiver; as soon as requests finish, their
 * outcomes are recorded with the endpoint's health and the freed slots refilled, so a slow
 * receiver delays only its own deliveries. Several processes share the work (SKIP LOCKED and
 * the lease). At least once: a process that dies between sending and recording leaves a lease
 * that runs out, and the delivery goes again with the same id. No order is kept. */
struct webhook_delivery_config {
    int max_attempts;  /* then failed (counted from the last redelivery) */
    int backoff_s;     /* first retry after this, doubling, at most an hour */
    int timeout_ms;    /* per attempt, connection included */
    int disable_after; /* consecutive failed attempts that disable an endpoint */
    int allow_private; /* 1: no address rule at connection time */
    int concurrency;   /* requests in flight in this process */
    int per_endpoint;  /* requests in flight to one endpoint, across processes */
    int interval_ms;   /* how often to look for new work while requests are in flight */
    atomic_int stop;   /* set by webhook_delivery_stop */
};

/* Sends until nothing is in flight and nothing is due, or until stopped; returns how many
 * deliveries were claimed, -1 on a database error (what was in flight is then abandoned). */
int webhook_delivery_run(struct db_conn *conn, struct webhook_delivery_config *cfg);

/* webhook_delivery_run as a job of src/periodic.h (the interval is its idle wait). */
int webhook_delivery_job(struct db_conn *conn, void *cfg);

/* Before periodic_stop: no more claims; requests in flight get their timeout, then are
 * abandoned (their leases run out and another process, or the next start, sends them). */
void webhook_delivery_stop(struct webhook_delivery_config *cfg);

#endif
