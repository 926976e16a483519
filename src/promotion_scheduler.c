#include "promotion_scheduler.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "log.h"
#include "notification_store.h"

#define NOTICE_BATCH 20

/* The notices due: one kind at a time ($1 'started' or 'ending'), claimed and marked; running
 * tells whether to send it (a promotion that has finished gets none). */
DB_STMT(
    sched_q_claim,
    "WITH due AS (SELECT id FROM promotions p"
    "   WHERE ($1 = 'started' AND p.started_notified_at IS NULL AND now() >= p.date_start)"
    "      OR ($1 = 'ending' AND p.ending_notified_at IS NULL"
    "          AND now() >= least(p.date_end, p.ended_at) - interval '1 day')"
    "   ORDER BY p.id LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED)"
    " UPDATE promotions p SET"
    "  started_notified_at = CASE WHEN $1 = 'started' THEN now() ELSE p.started_notified_at END,"
    "  ending_notified_at = CASE WHEN $1 = 'ending' THEN now() ELSE p.ending_notified_at END"
    " FROM due WHERE p.id = due.id"
    " RETURNING p.id, p.title, now() < least(p.date_end, p.ended_at),"
    "  sd_ts(least(p.date_end, p.ended_at)),"
    "  (SELECT coalesce(array_agg(u.id ORDER BY u.id), '{}') FROM users u"
    "    WHERE u.role = 'seller' AND (p.audience = 'all' OR EXISTS (SELECT 1"
    "      FROM promotion_sellers s WHERE s.promotion_id = p.id AND s.seller_id = u.id)))");

static const struct {
    const char *kind, *event, *title, *body;
} notices[] = {
    {"started", "promotion.started", "A promotion has started",
     "The promotion \"%s\" has started: add your products to it."},
    {"ending", "promotion.ending", "A promotion ends soon",
     "The promotion \"%s\" ends at %s (UTC)."},
};

static sd_err sched_notify(struct db_conn *conn, int kind, PGresult *r, int row)
{
    char body[512];
    const char *title = db_get_str(r, row, 1);
    int64_t id = db_get_i64(r, row, 0);
    if (kind == 0)
        snprintf(body, sizeof body, notices[kind].body, title);
    else
        snprintf(body, sizeof body, notices[kind].body, title, db_get_str(r, row, 3));
    json_t *data =
        json_pack("{s:I, s:s}", "promotion_id", (json_int_t)id, "ends_at", db_get_str(r, row, 3));
    sd_err e = notification_store_create_many(conn, db_get_str(r, row, 4), notices[kind].event,
                                              notices[kind].title, body, data);
    json_decref(data);
    return e;
}

int promotion_scheduler_run(struct db_conn *conn, void *unused)
{
    char lim[24];
    int full = 0;
    (void)unused;
    for (int kind = 0; kind < 2; kind++) {
        sd_err e = db_begin(conn);
        const char *p[] = {notices[kind].kind, db_i64(lim, NOTICE_BATCH)};
        PGresult *r = e == SD_OK ? db_exec(conn, &sched_q_claim, 2, p, &e) : NULL;
        for (int i = 0; r && e == SD_OK && i < PQntuples(r); i++)
            if (strcmp(db_get_str(r, i, 2), "t") == 0)
                e = sched_notify(conn, kind, r, i);
        if (r && PQntuples(r) == NOTICE_BATCH)
            full = 1;
        PQclear(r);
        if (e == SD_OK && (e = db_commit(conn)) == SD_OK)
            continue;
        db_rollback(conn);
        log_warn("promotion scheduler: %s notices not sent this time (%s)", notices[kind].kind,
                 err_code(e));
        return -1;
    }
    return full;
}
