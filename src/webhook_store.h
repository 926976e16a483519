#ifndef SD_WEBHOOK_STORE_H
#define SD_WEBHOOK_STORE_H

/* Webhook endpoints of sellers and their deliveries (migrations/0017_webhooks.sql). The
 * deliveries of events are made by the database itself, in the event's transaction; the
 * worker that sends them is src/webhook_delivery.c. Secrets never appear in what these
 * return: the handlers add a new one to the answer of creation and rotation themselves. */
#include <stdint.h>

#include <jansson.h>

#include "db.h"

#define WEBHOOKS_PER_SELLER 20
/* deliveries held pending while their endpoint was disabled longer than this fail instead of
 * going out when it is re-enabled: news that old is better read from GET /v1/events */
#define WEBHOOK_HOLD_HOURS 72

struct webhook_fields {
    const char *url;         /* NULL: unchanged */
    const char *events;      /* text[] literal; NULL: unchanged */
    int set_description;     /* description given (NULL clears it) */
    const char *description; /* may be NULL */
    int reenable;            /* status "active": resumes a failing or disabled endpoint */
};

/* SD_ERR_CONFLICT when the seller has WEBHOOKS_PER_SELLER endpoints already. */
sd_err webhook_store_create(struct db_conn *conn, int64_t seller_id, const struct webhook_fields *f,
                            const char *secret, json_t **out);
sd_err webhook_store_list(struct db_conn *conn, int64_t seller_id, int64_t after_id, int limit,
                          char **items, int *has_more, int64_t *last_id);
sd_err webhook_store_get(struct db_conn *conn, int64_t id, int64_t seller_id, json_t **out);
sd_err webhook_store_update(struct db_conn *conn, int64_t id, int64_t seller_id,
                            const struct webhook_fields *f, json_t **out);
sd_err webhook_store_delete(struct db_conn *conn, int64_t id, int64_t seller_id);
/* A new secret; the old one keeps signing for grace_s seconds (0: not at all). */
sd_err webhook_store_rotate(struct db_conn *conn, int64_t id, int64_t seller_id, const char *secret,
                            int grace_s, json_t **out);
/* Queues a webhook.ping delivery, due now: *out the delivery. */
sd_err webhook_store_ping(struct db_conn *conn, int64_t id, int64_t seller_id, json_t **out);
/* The endpoint's deliveries, newest first, of one status or all (status NULL);
 * SD_ERR_NOT_FOUND when the endpoint is not the seller's. */
sd_err webhook_store_deliveries(struct db_conn *conn, int64_t webhook_id, int64_t seller_id,
                                const char *status, int64_t after_id, int limit, char **items,
                                int *has_more, int64_t *last_id);
/* The delivery pending again, due now, its attempts counted on; *out the delivery. */
sd_err webhook_store_redeliver(struct db_conn *conn, int64_t id, int64_t seller_id, json_t **out);

#endif
