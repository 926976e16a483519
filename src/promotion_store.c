#include "promotion_store.h"

#include <stdlib.h>
#include <string.h>

/* Open to a seller ($2): audience all, or the seller listed. Over the promotion alias p. */
#define PROMO_OPEN_TO(seller)                                                                      \
    "(p.audience = 'all' OR EXISTS (SELECT 1 FROM promotion_sellers s WHERE s.promotion_id = p.id" \
    " AND s.seller_id = " seller "))"

DB_STMT(promo_q_create,
        "WITH p AS (INSERT INTO promotions (title, description, type, date_start, date_end,"
        "           freeze_date, min_discount_percent, max_discount_percent, min_stock, audience,"
        "           created_by)"
        "           VALUES ($1, coalesce($2, ''), $3, $4::timestamptz, $5::timestamptz,"
        "                   $6::timestamptz, $7::int, $8::int, $9::int, $10, $12) RETURNING *),"
        " s AS (INSERT INTO promotion_sellers (promotion_id, seller_id)"
        "       SELECT p.id, u FROM p, unnest(coalesce($11::bigint[], '{}')) u)"
        " SELECT id FROM p");
/* the merged result of an update, and the first rule it would break */
DB_STMT(
    promo_q_check_update,
    "WITH cur AS (SELECT * FROM promotions WHERE id = $1 FOR NO KEY UPDATE),"
    " m AS (SELECT cur.date_start AS old_start, cur.ended_at,"
    "       coalesce($2::timestamptz, cur.date_start) AS date_start,"
    "       coalesce($3::timestamptz, cur.date_end) AS date_end,"
    "       CASE WHEN $4::bool THEN NULL ELSE coalesce($5::timestamptz, cur.freeze_date) END"
    "         AS freeze_date,"
    "       coalesce($6::int, cur.min_discount_percent) AS min_d,"
    "       coalesce($7::int, cur.max_discount_percent) AS max_d,"
    "       coalesce($8, cur.type) AS type,"
    "       CASE WHEN coalesce($8, cur.type) = 'discount' THEN NULL"
    "            ELSE coalesce($9::int, cur.min_stock) END AS min_stock FROM cur)"
    " SELECT CASE WHEN m.ended_at IS NOT NULL OR now() >= m.old_start THEN 'started'"
    "   WHEN m.date_start < now() - interval '1 minute' THEN 'date_start'"
    "   WHEN m.date_end <= m.date_start THEN 'date_end'"
    "   WHEN m.freeze_date IS NOT NULL AND (m.freeze_date < m.date_start"
    "        OR m.freeze_date > m.date_end) THEN 'freeze_date'"
    "   WHEN m.max_d < m.min_d THEN 'max_discount_percent'"
    "   WHEN m.type = 'stock_discount' AND m.min_stock IS NULL THEN 'min_stock'"
    /* the products already in it must still fit the changed bounds and min_stock */
    "   WHEN EXISTS (SELECT 1 FROM promotion_products pp JOIN products d ON d.id = pp.product_id"
    "     WHERE pp.promotion_id = $1"
    "       AND (pp.action_price > (d.price * (100 - m.min_d)) / 100"
    "            OR pp.action_price < greatest(1, (d.price * (100 - m.max_d) + 99) / 100)"
    "            OR (m.min_stock IS NOT NULL AND d.stock < m.min_stock)))"
    "   THEN 'participations'"
    "   ELSE '' END FROM m");
DB_STMT(promo_q_update, "UPDATE promotions SET title = coalesce($2, title),"
                        " description = coalesce($3, description), type = coalesce($4, type),"
                        " date_start = coalesce($5::timestamptz, date_start),"
                        " date_end = coalesce($6::timestamptz, date_end),"
                        " freeze_date = CASE WHEN $7::bool THEN NULL"
                        "                    ELSE coalesce($8::timestamptz, freeze_date) END,"
                        " min_discount_percent = coalesce($9::int, min_discount_percent),"
                        " max_discount_percent = coalesce($10::int, max_discount_percent),"
                        " min_stock = CASE WHEN coalesce($4, type) = 'discount' THEN NULL"
                        "                  ELSE coalesce($11::int, min_stock) END,"
                        " audience = coalesce($12, audience), updated_at = now() WHERE id = $1");
/* the participations' copy of the period follows the promotion's */
DB_STMT(promo_q_periods, "UPDATE promotion_products pp"
                         " SET period = tstzrange(p.date_start, least(p.date_end, p.ended_at))"
                         " FROM promotions p WHERE p.id = $1 AND pp.promotion_id = p.id");
DB_STMT(promo_q_set_sellers, "WITH d AS (DELETE FROM promotion_sellers WHERE promotion_id = $1)"
                             " INSERT INTO promotion_sellers (promotion_id, seller_id)"
                             " SELECT $1, u FROM unnest($2::bigint[]) u");
DB_STMT(promo_q_clear_sellers, "DELETE FROM promotion_sellers WHERE promotion_id = $1");
/* Ending early: statement one locks the promotion (FOR NO KEY UPDATE: orders hold a key share
 * lock on it through posting_items' foreign key, FOR UPDATE deadlocked with them) after any
 * add holding it FOR SHARE has committed; statement two, with a snapshot taken after that,
 * cuts every participation's period, the just-added ones too. */
DB_STMT(promo_q_end_lock, "SELECT now() >= least(date_end, ended_at) FROM promotions WHERE id = $1"
                          " FOR NO KEY UPDATE");
DB_STMT(promo_q_end,
        "WITH u AS (UPDATE promotions p SET ended_at = now(), updated_at = now()"
        "           WHERE p.id = $1 RETURNING p.*),"
        " pp AS (UPDATE promotion_products pp"
        "        SET period = tstzrange(least(lower(pp.period), u.ended_at), u.ended_at)"
        "        FROM u WHERE pp.promotion_id = u.id)"
        " SELECT promotion_json(u, 0) FROM u");
DB_STMT(promo_q_get, "SELECT promotion_json(p, $2) FROM promotions p WHERE p.id = $1"
                     " AND ($2::bigint = 0 OR " PROMO_OPEN_TO("$2") ")");
DB_STMT(promo_q_visible, "SELECT 1 FROM promotions p WHERE p.id = $1"
                         " AND ($2::bigint = 0 OR " PROMO_OPEN_TO("$2::bigint") ")");

/* ($1 viewer, 0 for support; $2 cursor; $3 limit + 1; $4 state) */
#define PROMO_NOT_FINISHED " now() < least(p.date_end, p.ended_at)"
DB_QUERY(
    promo_q_list,
    DB_PAGE(
        "$3",
        "SELECT p.id, promotion_json(p, $1) FROM promotions p"
        " WHERE " DB_BEFORE("p.id", "$2") " AND ($1::bigint = 0 OR " PROMO_OPEN_TO(
            "$1::bigint") ")"
                          " AND ($4::text IS NULL"
                          "   OR ($4 = 'available' AND" PROMO_NOT_FINISHED ")"
                          "   OR ($4 = 'finished' AND NOT" PROMO_NOT_FINISHED ")"
                          "   OR ($4 = 'participating' AND" PROMO_NOT_FINISHED
                          "       AND EXISTS (SELECT 1 FROM promotion_products pp WHERE "
                          "pp.promotion_id = p.id"
                          "                    AND ($1::bigint = 0 OR pp.seller_id = $1::bigint))))"
                          " ORDER BY p.id DESC LIMIT $3"));

sd_err promotion_store_create(struct db_conn *conn, int64_t author,
                              const struct promotion_fields *f, json_t **out)
{
    char aid[24];
    const char *p[] = {f->title,     f->description, f->type,         f->date_start,
                       f->date_end,  f->freeze_date, f->min_discount, f->max_discount,
                       f->min_stock, f->audience,    f->seller_ids,   db_i64(aid, author)};
    sd_err e = SD_OK;
    PGresult *r = db_exec(conn, &promo_q_create, 12, p, &e);
    if (!r)
        return e;
    /* read back by a second statement: the first one's snapshot misses its own audience rows */
    const char *g[] = {db_get_str(r, 0, 0), "0"};
    e = db_json_one(conn, &promo_q_get, 2, g, out);
    PQclear(r);
    return e;
}

sd_err promotion_store_update(struct db_conn *conn, int64_t id, const struct promotion_fields *f,
                              int clear_freeze, json_t **out, const char **problem)
{
    char pid[24];
    sd_err e = SD_OK;
    const char *clear = clear_freeze ? "true" : "false";
    const char *c[] = {db_i64(pid, id), f->date_start,   f->date_end, clear,       f->freeze_date,
                       f->min_discount, f->max_discount, f->type,     f->min_stock};
    PGresult *r = db_exec(conn, &promo_q_check_update, 9, c, &e);
    *problem = NULL;
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    static const char *const rules[] = {"started",       "date_start",           "date_end",
                                        "freeze_date",   "max_discount_percent", "min_stock",
                                        "participations"};
    const char *verdict = db_get_str(r, 0, 0);
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (strcmp(verdict, rules[i]) == 0)
            *problem = rules[i];
    PQclear(r);
    if (*problem)
        return strcmp(*problem, "started") == 0 || strcmp(*problem, "participations") == 0
                   ? SD_ERR_CONFLICT
                   : SD_ERR_VALIDATION;
    const char *u[] = {pid,          f->title,   f->description, f->type,         f->date_start,
                       f->date_end,  clear,      f->freeze_date, f->min_discount, f->max_discount,
                       f->min_stock, f->audience};
    if (!(r = db_exec(conn, &promo_q_update, 12, u, &e)))
        return e;
    PQclear(r);
    if (f->date_start || f->date_end) {
        if (!(r = db_exec(conn, &promo_q_periods, 1, u, &e)))
            return e;
        PQclear(r);
    }
    /* the audience: its list replaced when given, emptied when it becomes "all" */
    if (f->seller_ids || (f->audience && strcmp(f->audience, "all") == 0)) {
        const char *s[] = {pid, f->seller_ids};
        r = f->seller_ids ? db_exec(conn, &promo_q_set_sellers, 2, s, &e)
                          : db_exec(conn, &promo_q_clear_sellers, 1, s, &e);
        if (!r)
            return e;
        PQclear(r);
    }
    const char *g[] = {pid, "0"};
    return db_json_one(conn, &promo_q_get, 2, g, out);
}

sd_err promotion_store_end(struct db_conn *conn, int64_t id, json_t **out)
{
    char pid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(pid, id)};
    PGresult *r = db_exec(conn, &promo_q_end_lock, 1, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0)
        e = SD_ERR_NOT_FOUND;
    else if (strcmp(db_get_str(r, 0, 0), "t") == 0)
        e = SD_ERR_CONFLICT;
    PQclear(r);
    return e == SD_OK ? db_json_one(conn, &promo_q_end, 1, p, out) : e;
}

sd_err promotion_store_get(struct db_conn *conn, int64_t id, int64_t viewer, json_t **out)
{
    char pid[24], vid[24];
    const char *p[] = {db_i64(pid, id), db_i64(vid, viewer)};
    return db_json_one(conn, &promo_q_get, 2, p, out);
}

sd_err promotion_store_visible(struct db_conn *conn, int64_t id, int64_t seller)
{
    char pid[24], sid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(pid, id), db_i64(sid, seller)};
    PGresult *r = db_exec(conn, &promo_q_visible, 2, p, &e);
    if (!r)
        return e;
    e = PQntuples(r) ? SD_OK : SD_ERR_NOT_FOUND;
    PQclear(r);
    return e;
}

sd_err promotion_store_list(struct db_conn *conn, int64_t viewer, const char *state,
                            int64_t after_id, int limit, char **items, int *has_more,
                            int64_t *last_id)
{
    char vid[24], aid[24], lim[24];
    const char *p[] = {db_i64(vid, viewer), db_i64(aid, after_id), db_i64(lim, limit + 1), state};
    return db_json_page(conn, &promo_q_list, 4, p, limit, items, has_more, last_id);
}
