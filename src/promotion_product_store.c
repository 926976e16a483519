#include "promotion_product_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The promotion's state now, over promotions p: whether it has finished, is frozen, and the
 * span of time a product joining now would be priced by it: from now (or the start) to the
 * end, so a product whose earlier promotion has ended may join another running one. */
#define PROMO_NOW                                                                                  \
    "SELECT p AS promo, p.*, now() >= least(p.date_end, p.ended_at) AS finished,"                  \
    " p.freeze_date IS NOT NULL AND now() >= p.freeze_date AS frozen,"                             \
    " tstzrange(least(greatest(p.date_start, now()), least(p.date_end, p.ended_at)),"              \
    "           least(p.date_end, p.ended_at)) AS span FROM promotions p"                          \
    " WHERE p.id = $1"
/* another participation of product id (over pr, the promotion now) that meets its span */
#define ELSEWHERE(id)                                                                              \
    "EXISTS (SELECT 1 FROM promotion_products o WHERE o.product_id = " id                          \
    " AND o.promotion_id <> pr.id AND o.period && pr.span)"

DB_STMT(
    pp_q_candidates,
    DB_PAGE(
        "$4",
        "WITH pr AS (" PROMO_NOW ")"
        " SELECT d.id, json_build_object('product_id', d.id, 'sku', d.sku, 'offer_id', d.offer_id,"
        "  'name', d.name, 'price', d.price,"
        "  'max_action_price', promotion_max_price(pr.promo, d.price),"
        "  'min_action_price', promotion_min_price(pr.promo, d.price),"
        "  'stock', d.stock, 'min_stock', pr.min_stock)"
        " FROM pr, products d"
        " WHERE d.seller_id = $2 AND d.id > $3 AND NOT pr.finished AND NOT pr.frozen"
        "   AND (pr.min_stock IS NULL OR d.stock >= pr.min_stock)"
        "   AND promotion_max_price(pr.promo, d.price)"
        "       >= promotion_min_price(pr.promo, d.price)"
        "   AND NOT EXISTS (SELECT 1 FROM promotion_products o WHERE o.product_id = d.id"
        "                    AND o.period && pr.span)"
        " ORDER BY d.id LIMIT $4"));
DB_STMT(pp_q_list,
        DB_PAGE("$4", "SELECT pp.product_id, promotion_product_json(pp) FROM promotion_products pp"
                      " WHERE pp.promotion_id = $1 AND ($2::bigint = 0 OR pp.seller_id = $2)"
                      " AND pp.product_id > $3 ORDER BY pp.product_id LIMIT $4"));

/* Statement one: the promotion against changes of itself, the products against orders and
 * other changes of them, in id order; statement two then sees what those committed. */
DB_STMT(pp_q_lock, "SELECT (SELECT 1 FROM promotions WHERE id = $1 FOR SHARE),"
                   " (SELECT count(*) FROM (SELECT id FROM products WHERE id = ANY ($2::bigint[])"
                   "                         ORDER BY id FOR UPDATE) l)");

/* Each item's verdict, first rule broken wins; limit is the bound it broke. The price of a
 * discount is the base price less the discount, rounded half up to a kopeck and kept inside
 * the bounds the promotion's discounts give. */
DB_STMT(
    pp_q_upsert,
    "WITH pr AS (" PROMO_NOW "),"
    " req AS (SELECT * FROM unnest($3::bigint[], $4::bigint[], $5::numeric[], $6::int[])"
    "         WITH ORDINALITY AS r(product_id, action_price, discount, quantity, n)),"
    " c AS (SELECT r.*, d.id AS found, d.seller_id, d.price, d.stock,"
    "        cur.action_price AS cur_price, cur.quantity AS cur_qty, cur.sold,"
    "        promotion_max_price(pr.promo, d.price) AS max_price,"
    "        promotion_min_price(pr.promo, d.price) AS min_price,"
    "        " ELSEWHERE(
        "r.product_id") " AS elsewhere"
                        "        FROM req r CROSS JOIN pr LEFT JOIN products d ON d.id = "
                        "r.product_id"
                        "        LEFT JOIN promotion_products cur ON cur.promotion_id = pr.id"
                        "                                      AND cur.product_id = r.product_id),"
                        " k AS (SELECT c.*, CASE WHEN c.discount IS NOT NULL THEN"
                        "        least(greatest(round(c.price * (100 - c.discount) / 100)::bigint, "
                        "c.min_price),"
                        "              c.max_price) END AS by_discount FROM c),"
                        " w AS (SELECT k.*, coalesce(k.action_price, k.by_discount) AS price_new "
                        "FROM k),"
                        " v AS (SELECT w.*, x.reason, x.lim FROM w CROSS JOIN pr LEFT JOIN LATERAL "
                        "(SELECT * FROM ("
                        "   VALUES (1, w.found IS NULL, 'not_found', NULL::bigint),"
                        "          (2, w.seller_id <> $2, 'not_yours', NULL),"
                        "          (3, pr.finished, 'finished', NULL),"
                        "          (4, pr.frozen AND w.cur_price IS NULL, 'frozen', NULL),"
                        "          (5, w.elsewhere, 'in_another_promotion', NULL),"
                        "          (6, w.stock < pr.min_stock, 'stock_below_min', "
                        "pr.min_stock::bigint),"
                        "          (7, w.discount < pr.min_discount_percent, "
                        "'discount_out_of_bounds',"
                        "              pr.min_discount_percent::bigint),"
                        "          (8, w.discount > pr.max_discount_percent, "
                        "'discount_out_of_bounds',"
                        "              pr.max_discount_percent::bigint),"
                        "          (9, w.action_price <> w.by_discount, "
                        "'price_and_discount_disagree', w.by_discount),"
                        "          (10, w.price_new > w.max_price, 'price_above_max', w.max_price),"
                        "          (11, w.price_new < w.min_price, 'price_below_min', w.min_price),"
                        "          (12, w.quantity > w.stock, 'quantity_above_stock', "
                        "w.stock::bigint),"
                        "          (13, w.quantity < w.sold, 'quantity_below_sold', "
                        "w.sold::bigint),"
                        "          (4.1, pr.frozen AND w.price_new > w.cur_price, 'frozen', "
                        "w.cur_price),"
                        "          (4.2, pr.frozen AND w.quantity < w.cur_qty, 'frozen', "
                        "w.cur_qty::bigint)"
                        "   ) AS rule(o, broken, reason, lim) WHERE rule.broken ORDER BY rule.o "
                        "LIMIT 1) x ON true),"
                        " up AS (INSERT INTO promotion_products AS pp (promotion_id, product_id, "
                        "seller_id,"
                        "                                             action_price, quantity, "
                        "period)"
                        "        SELECT pr.id, v.product_id, v.seller_id, v.price_new, v.quantity, "
                        "pr.span"
                        "          FROM v, pr WHERE v.reason IS NULL"
                        "        ON CONFLICT (promotion_id, product_id) DO UPDATE SET"
                        "          action_price = excluded.action_price, quantity = "
                        "excluded.quantity,"
                        "          updated_at = now()"
                        "        RETURNING pp.*)"
                        " SELECT json_build_object("
                        "  'accepted', coalesce((SELECT json_agg(json_build_object('product_id', "
                        "v.product_id,"
                        "       'action_price', up.action_price,"
                        "       'discount_percent', promotion_discount(v.price, up.action_price),"
                        "       'quantity', up.quantity, 'sold', up.sold, 'remaining', up.quantity "
                        "- up.sold)"
                        "       ORDER BY v.n) FROM v JOIN up ON up.product_id = v.product_id), "
                        "'[]'),"
                        "  'rejected', coalesce((SELECT json_agg(json_build_object('product_id', "
                        "v.product_id,"
                        "       'reason', v.reason, 'limit', v.lim) ORDER BY v.n) FROM v"
                        "       WHERE v.reason IS NOT NULL), '[]'))::text");

DB_STMT(pp_q_remove,
        "WITH pr AS (" PROMO_NOW "),"
        " req AS (SELECT * FROM unnest($3::bigint[]) WITH ORDINALITY AS r(product_id, n)),"
        " v AS (SELECT r.*, d.seller_id, CASE WHEN d.id IS NULL THEN 'not_found'"
        "         WHEN d.seller_id <> $2 THEN 'not_yours' WHEN pr.finished THEN 'finished'"
        "         WHEN pr.frozen THEN 'frozen' WHEN cur.product_id IS NULL THEN 'not_participating'"
        "         WHEN cur.sold > 0 THEN 'has_sales' END AS reason, cur.sold"
        "        FROM req r CROSS JOIN pr LEFT JOIN products d ON d.id = r.product_id"
        "        LEFT JOIN promotion_products cur ON cur.promotion_id = pr.id"
        "                                      AND cur.product_id = r.product_id),"
        " del AS (DELETE FROM promotion_products pp USING v"
        "         WHERE pp.promotion_id = $1 AND pp.product_id = v.product_id AND v.reason IS NULL"
        "         RETURNING pp.product_id)"
        " SELECT json_build_object("
        "  'accepted', coalesce((SELECT json_agg(json_build_object('product_id', v.product_id)"
        "       ORDER BY v.n) FROM v JOIN del ON del.product_id = v.product_id), '[]'),"
        "  'rejected', coalesce((SELECT json_agg(json_build_object('product_id', v.product_id,"
        "       'reason', v.reason, 'limit', CASE WHEN v.reason = 'has_sales' THEN v.sold END)"
        "       ORDER BY v.n) FROM v"
        "       WHERE v.reason IS NOT NULL), '[]'))::text");

sd_err promotion_product_candidates(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                                    int64_t after_id, int limit, char **items, int *has_more,
                                    int64_t *last_id)
{
    char pid[24], sid[24], aid[24], lim[24];
    const char *p[] = {db_i64(pid, promotion_id), db_i64(sid, seller), db_i64(aid, after_id),
                       db_i64(lim, limit + 1)};
    return db_json_page(conn, &pp_q_candidates, 4, p, limit, items, has_more, last_id);
}

sd_err promotion_product_list(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                              int64_t after_id, int limit, char **items, int *has_more,
                              int64_t *last_id)
{
    char pid[24], sid[24], aid[24], lim[24];
    const char *p[] = {db_i64(pid, promotion_id), db_i64(sid, seller), db_i64(aid, after_id),
                       db_i64(lim, limit + 1)};
    return db_json_page(conn, &pp_q_list, 4, p, limit, items, has_more, last_id);
}

/* "{a,b,NULL}" of one member of the items */
enum item_member { ITEM_ID, ITEM_PRICE, ITEM_DISCOUNT, ITEM_QUANTITY };
static char *item_array(const struct promotion_item *items, size_t n, enum item_member m)
{
    size_t cap = n * 24 + 3, len = 0;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    s[len++] = '{';
    for (size_t i = 0; i < n; i++) {
        const char *text = m == ITEM_PRICE ? items[i].action_price : items[i].discount;
        if (i)
            s[len++] = ',';
        if (m == ITEM_ID || m == ITEM_QUANTITY)
            len += (size_t)snprintf(
                s + len, cap - len, "%lld",
                (long long)(m == ITEM_ID ? items[i].product_id : items[i].quantity));
        else
            len += (size_t)snprintf(s + len, cap - len, "%.20s", text ? text : "NULL");
    }
    s[len++] = '}';
    s[len] = '\0';
    return s;
}

static sd_err pp_lock(struct db_conn *conn, const char *pid, const char *ids)
{
    sd_err e = SD_OK;
    const char *p[] = {pid, ids};
    PGresult *r = db_exec(conn, &pp_q_lock, 2, p, &e);
    if (!r)
        return e;
    /* no promotion row to lock: it does not exist */
    e = PQgetisnull(r, 0, 0) ? SD_ERR_NOT_FOUND : SD_OK;
    PQclear(r);
    return e;
}

/* the answer as PostgreSQL wrote it: its discounts are decimals, not a double's digits */
static sd_err pp_verdicts(struct db_conn *conn, const db_stmt *st, int n, const char *const *p,
                          char **out)
{
    sd_err e = SD_OK;
    PGresult *r = db_exec(conn, st, n, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0 || !(*out = strdup(db_get_str(r, 0, 0))))
        e = SD_ERR_INTERNAL;
    PQclear(r);
    return e;
}

sd_err promotion_product_upsert(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                                const struct promotion_item *items, size_t n, char **out)
{
    char pid[24], sid[24];
    char *ids = item_array(items, n, ITEM_ID), *prices = item_array(items, n, ITEM_PRICE);
    char *discounts = item_array(items, n, ITEM_DISCOUNT);
    char *quantities = item_array(items, n, ITEM_QUANTITY);
    sd_err e = SD_ERR_INTERNAL;
    if (ids && prices && discounts && quantities &&
        (e = pp_lock(conn, db_i64(pid, promotion_id), ids)) == SD_OK) {
        const char *p[] = {pid, db_i64(sid, seller), ids, prices, discounts, quantities};
        e = pp_verdicts(conn, &pp_q_upsert, 6, p, out);
    }
    free(ids);
    free(prices);
    free(discounts);
    free(quantities);
    return e;
}

sd_err promotion_product_remove(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                                const char *ids, char **out)
{
    char pid[24], sid[24];
    sd_err e = pp_lock(conn, db_i64(pid, promotion_id), ids);
    if (e != SD_OK)
        return e;
    const char *p[] = {pid, db_i64(sid, seller), ids};
    return pp_verdicts(conn, &pp_q_remove, 3, p, out);
}
