#include "webhook_store.h"

#include <stdlib.h>
#include <string.h>

#define WEBHOOK_JSON(w)                                                                            \
    "json_build_object('id', " w ".id, 'url', " w ".url, 'events', to_json(" w ".events),"         \
    " 'description', " w ".description, 'status', " w ".status,"                                   \
    " 'status_reason', " w ".status_reason, 'consecutive_failures', " w ".consecutive_failures,"   \
    " 'disabled_reason', " w ".disabled_reason, 'disabled_at', sd_ts(" w ".disabled_at),"          \
    " 'previous_secret_expires_at', sd_ts(CASE WHEN " w ".previous_secret_expires_at > now()"      \
    " THEN " w ".previous_secret_expires_at END),"                                                 \
    " 'last_success_at', sd_ts(" w ".last_success_at),"                                            \
    " 'last_failure_at', sd_ts(" w ".last_failure_at),"                                            \
    " 'created_at', sd_ts(" w ".created_at), 'updated_at', sd_ts(" w ".updated_at))"

#define DELIVERY_JSON(d)                                                                           \
    "json_build_object('id', " d ".id, 'webhook_id', " d ".webhook_id,"                            \
    " 'event_id', " d ".event_position, 'type', " d ".type, 'status', " d ".status,"               \
    " 'attempts', " d ".attempts, 'last_status_code', " d ".last_status_code,"                     \
    " 'last_error', " d ".last_error, 'last_attempt_at', sd_ts(" d ".last_attempt_at),"            \
    " 'next_attempt_at', sd_ts(CASE WHEN " d ".status = 'pending' AND " d                          \
    ".next_attempt_at < 'infinity' THEN " d ".next_attempt_at END),"                               \
    " 'created_at', sd_ts(" d ".created_at))"

/* two statements: the count must be read after the lock is held, in a snapshot of its own */
DB_STMT(webhook_q_lock_seller, "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE");
DB_STMT(webhook_q_create, "INSERT INTO webhooks (seller_id, url, events, description, secret)"
                          " SELECT $1, $2, $3::text[], $4, $5"
                          "  WHERE (SELECT count(*) FROM webhooks WHERE seller_id = $1) < $6"
                          " RETURNING " WEBHOOK_JSON("webhooks"));
DB_STMT(webhook_q_list,
        DB_PAGE("$3", "SELECT w.id, " WEBHOOK_JSON(
                          "w") " FROM webhooks w WHERE w.seller_id = $1"
                               " AND " DB_BEFORE("w.id", "$2") " ORDER BY w.id DESC LIMIT $3"));
DB_STMT(webhook_q_get,
        "SELECT " WEBHOOK_JSON("w") " FROM webhooks w WHERE w.id = $1 AND w.seller_id = $2");
/* re-enabling ($7) resumes the held deliveries at once and fails those held too long */
DB_STMT(webhook_q_update,
        "WITH w AS (UPDATE webhooks SET url = coalesce($3, url),"
        "    events = coalesce($4::text[], events),"
        "    description = CASE WHEN $5::boolean THEN $6 ELSE description END,"
        "    status = CASE WHEN $7::boolean THEN 'active' ELSE status END,"
        "    status_reason = CASE WHEN $7::boolean THEN NULL ELSE status_reason END,"
        "    consecutive_failures = CASE WHEN $7::boolean THEN 0 ELSE consecutive_failures END,"
        "    disabled_reason = CASE WHEN $7::boolean THEN NULL ELSE disabled_reason END,"
        "    disabled_at = CASE WHEN $7::boolean THEN NULL ELSE disabled_at END,"
        "    updated_at = now()"
        "  WHERE id = $1 AND seller_id = $2 RETURNING *),"
        " expired AS (UPDATE webhook_deliveries d SET status = 'failed',"
        "    last_error = format('expired: held over %s hours while the endpoint was disabled',"
        "                        $8::int)"
        "   FROM w WHERE $7::boolean AND d.webhook_id = w.id AND d.status = 'pending'"
        "    AND d.created_at < now() - make_interval(hours => $8::int)),"
        " resumed AS (UPDATE webhook_deliveries d SET next_attempt_at = now()"
        "   FROM w WHERE $7::boolean AND d.webhook_id = w.id AND d.status = 'pending'"
        "    AND d.next_attempt_at > now()"
        "    AND d.created_at >= now() - make_interval(hours => $8::int))"
        " SELECT " WEBHOOK_JSON("w") " FROM w");
DB_STMT(webhook_q_delete, "DELETE FROM webhooks WHERE id = $1 AND seller_id = $2");
DB_STMT(webhook_q_rotate,
        "UPDATE webhooks SET previous_secret = CASE WHEN $4::int > 0 THEN secret END,"
        "    previous_secret_expires_at = CASE WHEN $4::int > 0"
        "        THEN now() + make_interval(secs => $4::int) END,"
        "    secret = $3, updated_at = now()"
        "  WHERE id = $1 AND seller_id = $2 RETURNING " WEBHOOK_JSON("webhooks"));
DB_STMT(webhook_q_ping, "INSERT INTO webhook_deliveries (webhook_id, seller_id, type)"
                        " SELECT id, seller_id, 'webhook.ping' FROM webhooks"
                        "  WHERE id = $1 AND seller_id = $2"
                        " RETURNING " DELIVERY_JSON("webhook_deliveries"));
DB_STMT(webhook_q_owned, "SELECT 1 FROM webhooks WHERE id = $1 AND seller_id = $2");
DB_QUERY(webhook_q_deliveries,
         DB_PAGE("$5", "SELECT d.id, " DELIVERY_JSON(
                           "d") " FROM webhook_deliveries d"
                                " WHERE d.webhook_id = $1 AND d.seller_id = $2"
                                "   AND ($3::text IS NULL OR d.status = $3)"
                                "   AND " DB_BEFORE("d.id", "$4") " ORDER BY d.id DESC LIMIT $5"));
DB_STMT(webhook_q_redeliver,
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(),"
        "    attempts_base = attempts"
        "  WHERE id = $1 AND seller_id = $2 RETURNING " DELIVERY_JSON("webhook_deliveries"));

/* the statement changed a row (1) or none (0); -1 with *e on failure */
static int webhook_exec_count(struct db_conn *conn, const db_stmt *stmt, int n,
                              const char *const *p, sd_err *e)
{
    PGresult *r = db_exec(conn, stmt, n, p, e);
    if (!r)
        return -1;
    int rows = PQntuples(r) > 0 ? PQntuples(r) : atoi(PQcmdTuples(r));
    PQclear(r);
    return rows;
}

sd_err webhook_store_create(struct db_conn *conn, int64_t seller_id, const struct webhook_fields *f,
                            const char *secret, json_t **out)
{
    char sid[24], lim[24];
    sd_err e = SD_OK;
    const char *lp[] = {db_i64(sid, seller_id)};
    const char *p[] = {
        sid, f->url, f->events, f->description, secret, db_i64(lim, WEBHOOKS_PER_SELLER)};
    if (webhook_exec_count(conn, &webhook_q_lock_seller, 1, lp, &e) < 0)
        return e;
    e = db_json_one(conn, &webhook_q_create, 6, p, out);
    return e == SD_ERR_NOT_FOUND ? SD_ERR_CONFLICT : e;
}

sd_err webhook_store_list(struct db_conn *conn, int64_t seller_id, int64_t after_id, int limit,
                          char **items, int *has_more, int64_t *last_id)
{
    char sid[24], aid[24], lim[24];
    const char *p[] = {db_i64(sid, seller_id), db_i64(aid, after_id), db_i64(lim, limit + 1)};
    return db_json_page(conn, &webhook_q_list, 3, p, limit, items, has_more, last_id);
}

sd_err webhook_store_get(struct db_conn *conn, int64_t id, int64_t seller_id, json_t **out)
{
    char ids[24], sid[24];
    const char *p[] = {db_i64(ids, id), db_i64(sid, seller_id)};
    return db_json_one(conn, &webhook_q_get, 2, p, out);
}

sd_err webhook_store_update(struct db_conn *conn, int64_t id, int64_t seller_id,
                            const struct webhook_fields *f, json_t **out)
{
    char ids[24], sid[24], hold[24];
    const char *p[] = {db_i64(ids, id),
                       db_i64(sid, seller_id),
                       f->url,
                       f->events,
                       f->set_description ? "true" : "false",
                       f->description,
                       f->reenable ? "true" : "false",
                       db_i64(hold, WEBHOOK_HOLD_HOURS)};
    return db_json_one(conn, &webhook_q_update, 8, p, out);
}

sd_err webhook_store_delete(struct db_conn *conn, int64_t id, int64_t seller_id)
{
    char ids[24], sid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id), db_i64(sid, seller_id)};
    int n = webhook_exec_count(conn, &webhook_q_delete, 2, p, &e);
    return n < 0 ? e : n > 0 ? SD_OK : SD_ERR_NOT_FOUND;
}

sd_err webhook_store_rotate(struct db_conn *conn, int64_t id, int64_t seller_id, const char *secret,
                            int grace_s, json_t **out)
{
    char ids[24], sid[24], grace[24];
    const char *p[] = {db_i64(ids, id), db_i64(sid, seller_id), secret, db_i64(grace, grace_s)};
    return db_json_one(conn, &webhook_q_rotate, 4, p, out);
}

sd_err webhook_store_ping(struct db_conn *conn, int64_t id, int64_t seller_id, json_t **out)
{
    char ids[24], sid[24];
    const char *p[] = {db_i64(ids, id), db_i64(sid, seller_id)};
    return db_json_one(conn, &webhook_q_ping, 2, p, out);
}

sd_err webhook_store_deliveries(struct db_conn *conn, int64_t webhook_id, int64_t seller_id,
                                const char *status, int64_t after_id, int limit, char **items,
                                int *has_more, int64_t *last_id)
{
    char wid[24], sid[24], aid[24], lim[24];
    sd_err e = SD_OK;
    const char *op[] = {db_i64(wid, webhook_id), db_i64(sid, seller_id)};
    const char *p[] = {wid, sid, status, db_i64(aid, after_id), db_i64(lim, limit + 1)};
    int n = webhook_exec_count(conn, &webhook_q_owned, 2, op, &e);
    if (n <= 0)
        return n < 0 ? e : SD_ERR_NOT_FOUND;
    return db_json_page(conn, &webhook_q_deliveries, 5, p, limit, items, has_more, last_id);
}

sd_err webhook_store_redeliver(struct db_conn *conn, int64_t id, int64_t seller_id, json_t **out)
{
    char ids[24], sid[24];
    const char *p[] = {db_i64(ids, id), db_i64(sid, seller_id)};
    return db_json_one(conn, &webhook_q_redeliver, 2, p, out);
}
