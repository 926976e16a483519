#ifndef SD_DELIVERY_H
#define SD_DELIVERY_H

#include "db.h"

/* Sends the outbox (notification_deliveries): push as a signed HTTP POST to a gateway,
 * e-mail over SMTP. At least once: a crash between sending and recording sends again, so
 * every push carries its delivery id for the receiver to de-duplicate. */
struct delivery_config {
    const char *push_url;    /* NULL: push not configured */
    const char *push_secret; /* HMAC-SHA256 key of the signature header */
    const char *smtp_url;    /* smtp://host:port; NULL: e-mail not configured */
    const char *smtp_from;
    int max_attempts; /* then failed */
    int backoff_s;    /* first retry after this, doubling, at most an hour */
    int timeout_ms;   /* per send */
    int interval_ms;  /* idle poll interval */
};

enum delivery_outcome { DELIVERY_SENT, DELIVERY_RETRY, DELIVERY_FAILED };

/* One batch: claims due deliveries (FOR UPDATE SKIP LOCKED), sends them, records the
 * outcome. Returns how many were handled, or -1 on a database error. */
int delivery_run_once(struct db_conn *conn, const struct delivery_config *cfg);

/* The signature header value for a push body sent at timestamp: "sha256=<hex>" over
 * "<timestamp>.<body>". */
void delivery_sign(const char *secret, const char *timestamp, const char *body, char out[80]);
/* Seconds until the next attempt after `attempts` failed ones. */
int delivery_backoff(int base_s, int attempts);

/* delivery_run_once as a job of src/periodic.h (arg: the delivery_config): 1 when a full
 * batch went, so the next one runs at once. */
int delivery_job(struct db_conn *conn, void *cfg);

#endif
