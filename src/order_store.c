#include "order_store.h"

#include "event_store.h"
#include "notification_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DB_STMT(order_q_lock_products,
        "SELECT id, stock FROM products WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE");
/* one statement: reserve stock, take the units a running promotion still prices at its
 * action price (the products are locked, so no other order counts the same units; the
 * table's CHECK sold <= quantity is the last guard), create the order, one posting per
 * seller, its items with the price paid */
DB_STMT(order_q_create,
        "WITH x AS (SELECT * FROM unnest($2::bigint[], $3::int[]) AS x(product_id, q)),"
        " dec AS (UPDATE products p SET stock = p.stock - x.q, updated_at = now() FROM x"
        "         WHERE p.id = x.product_id RETURNING p.id, p.seller_id, p.price),"
        " pm AS (SELECT pp.promotion_id, pp.product_id, pp.action_price,"
        "               least(x.q, pp.quantity - pp.sold) AS units"
        "          FROM x JOIN promotion_products pp ON pp.product_id = x.product_id"
        "          JOIN promotions pr ON pr.id = pp.promotion_id"
        "          JOIN products p ON p.id = x.product_id"
        "         WHERE now() >= pr.date_start AND now() < least(pr.date_end, pr.ended_at)"
        "           AND pp.sold < pp.quantity AND pp.action_price < p.price),"
        " pu AS (UPDATE promotion_products pp SET sold = pp.sold + pm.units, updated_at = now()"
        "        FROM pm WHERE pp.promotion_id = pm.promotion_id"
        "        AND pp.product_id = pm.product_id RETURNING 1),"
        " o AS (INSERT INTO orders (buyer_id) VALUES ($1) RETURNING id),"
        " s AS (SELECT seller_id, row_number() OVER (ORDER BY seller_id) AS n"
        "       FROM (SELECT DISTINCT seller_id FROM dec) d),"
        " po AS (INSERT INTO postings (posting_number, order_id, seller_id, buyer_id)"
        "        SELECT o.id || '-' || lpad(s.n::text, 4, '0'), o.id, s.seller_id, $1 FROM o, s"
        "        RETURNING id, seller_id),"
        " it AS (INSERT INTO posting_items (posting_id, seller_id, product_id, quantity, price,"
        "                                   promotion_id, action_price, promo_quantity)"
        "        SELECT po.id, dec.seller_id, dec.id, x.q, dec.price, pm.promotion_id,"
        "               pm.action_price, coalesce(pm.units, 0)"
        "        FROM dec JOIN x ON x.product_id = dec.id JOIN po ON po.seller_id = dec.seller_id"
        "        LEFT JOIN pm ON pm.product_id = dec.id RETURNING 1)"
        " SELECT o.id, (SELECT count(*) FROM it), (SELECT count(*) FROM pu) FROM o");
DB_STMT(order_q_get, "SELECT order_json(o) FROM orders o WHERE id = $1");
/* everyone's orders (support): ($1 after, $2 limit); one buyer's: ($1 buyer, $2, $3) */
DB_STMT(order_q_list, DB_PAGE("$2", "SELECT o.id, order_json(o) FROM orders o WHERE " DB_BEFORE(
                                        "o.id", "$1") " ORDER BY o.id DESC LIMIT $2"));
DB_STMT(order_q_list_buyer, DB_PAGE("$3", "SELECT o.id, order_json(o) FROM orders o"
                                          " WHERE o.buyer_id = $1 AND " DB_BEFORE(
                                              "o.id", "$2") " ORDER BY o.id DESC LIMIT $3"));
DB_STMT(order_q_list_postings,
        DB_PAGE("$3",
                "SELECT p.id, posting_json(p) FROM postings p"
                " WHERE p.seller_id = $1 AND " DB_BEFORE(
                    "p.id",
                    "$2") " AND ($4::text IS NULL OR p.status = $4) ORDER BY p.id DESC LIMIT $3"));
DB_STMT(order_q_get_posting, "SELECT posting_json(p) FROM postings p WHERE p.posting_number = $1"
                             " AND ($3 = 'support' OR p.seller_id = $2 OR p.buyer_id = $2)");
DB_STMT(order_q_lock_posting,
        "SELECT id, status, buyer_id, seller_id FROM postings WHERE posting_number = $1"
        " AND (($3 = 'seller' AND seller_id = $2) OR ($3 = 'buyer' AND buyer_id = $2))"
        " FOR UPDATE");
/* The posting's products locked in id order first, as orders and promotion adds lock them, then
 * their promotion rows: the restock's own UPDATE took promotion_products before products and
 * deadlocked with an order of the same product. */
DB_STMT(
    order_q_lock_posting_products,
    "SELECT count(*) FROM (SELECT p.id FROM products p WHERE p.id IN"
    " (SELECT product_id FROM posting_items WHERE posting_id = $1) ORDER BY p.id FOR UPDATE) l");
/* the units come back, and those a promotion priced go back to it */
DB_STMT(order_q_restock,
        "WITH s AS (UPDATE products p SET stock = p.stock + i.quantity, updated_at = now()"
        "           FROM posting_items i WHERE i.posting_id = $1 AND p.id = i.product_id)"
        " UPDATE promotion_products pp SET sold = greatest(0, pp.sold - i.promo_quantity),"
        " updated_at = now() FROM posting_items i WHERE i.posting_id = $1"
        " AND pp.promotion_id = i.promotion_id AND pp.product_id = i.product_id");
DB_STMT(order_q_set_status,
        "UPDATE postings SET status = $2, updated_at = now(),"
        " delivering_at = CASE WHEN $2 = 'delivering' THEN now() ELSE delivering_at END,"
        " delivered_at = CASE WHEN $2 = 'delivered' THEN now() ELSE delivered_at END,"
        " cancelled_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE cancelled_at END,"
        " refused_at = CASE WHEN $2 = 'refused' THEN now() ELSE refused_at END"
        " WHERE id = $1 RETURNING posting_json(postings)");

static const char *statuses[] = {"awaiting_packaging", "delivering", "delivered", "cancelled",
                                 "refused"};

int order_status_valid(const char *status)
{
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        if (strcmp(status, statuses[i]) == 0)
            return 1;
    return 0;
}

int order_transition_allowed(auth_role role, const char *from, const char *to)
{
    static const struct {
        auth_role role;
        const char *from, *to;
    } allowed[] = {
        {ROLE_SELLER, "awaiting_packaging", "delivering"},
        {ROLE_SELLER, "delivering", "delivered"},
        /* the buyer refused the parcel at pickup: the items come back */
        {ROLE_SELLER, "delivering", "refused"},
        {ROLE_BUYER, "awaiting_packaging", "cancelled"},
    };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (allowed[i].role == role && strcmp(allowed[i].from, from) == 0 &&
            strcmp(allowed[i].to, to) == 0)
            return 1;
    return 0;
}

/* "{1,2,3}" array literals; ids and quantities are numbers, never text from the client */
static char *order_array(const struct order_line *lines, size_t n, int quantities)
{
    size_t cap = n * 22 + 3, len = 0;
    char *s = malloc(cap);
    s[len++] = '{';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "",
                                quantities ? (long long)lines[i].quantity
                                           : (long long)lines[i].product_id);
    s[len++] = '}';
    s[len] = '\0';
    return s;
}

static sd_err order_check_stock(PGresult *r, const struct order_line *lines, size_t n,
                                size_t *bad_line)
{
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (int row = 0; row < PQntuples(r) && !found; row++) {
            if (db_get_i64(r, row, 0) != lines[i].product_id)
                continue;
            found = 1;
            if (db_get_i64(r, row, 1) < lines[i].quantity) {
                *bad_line = i;
                return SD_ERR_CONFLICT;
            }
        }
        if (!found) {
            *bad_line = i;
            return SD_ERR_VALIDATION;
        }
    }
    return SD_OK;
}

sd_err order_store_create(struct db_conn *conn, int64_t buyer_id, const struct order_line *lines,
                          size_t n, json_t **out, size_t *bad_line)
{
    char bid[24], oid[24];
    char *ids = order_array(lines, n, 0), *qty = order_array(lines, n, 1);
    sd_err e = SD_OK;
    PGresult *r = NULL;
    const char *lp[] = {ids};
    if (!(r = db_exec(conn, &order_q_lock_products, 1, lp, &e)))
        goto cleanup;
    if ((e = order_check_stock(r, lines, n, bad_line)) != SD_OK)
        goto cleanup;
    PQclear(r);
    const char *cp[] = {db_i64(bid, buyer_id), ids, qty};
    if (!(r = db_exec(conn, &order_q_create, 3, cp, &e)))
        goto cleanup;
    const char *gp[] = {db_i64(oid, db_get_i64(r, 0, 0))};
    e = db_json_one(conn, &order_q_get, 1, gp, out);
cleanup:
    PQclear(r);
    free(ids);
    free(qty);
    return e;
}

sd_err order_store_list(struct db_conn *conn, int64_t buyer_id, int64_t after_id, int limit,
                        char **items, int *has_more, int64_t *last_id)
{
    char b[24], a[24], l[24];
    const char *p[] = {db_i64(b, buyer_id), db_i64(a, after_id), db_i64(l, limit + 1)};
    if (!buyer_id)
        return db_json_page(conn, &order_q_list, 2, p + 1, limit, items, has_more, last_id);
    return db_json_page(conn, &order_q_list_buyer, 3, p, limit, items, has_more, last_id);
}

sd_err order_store_list_postings(struct db_conn *conn, int64_t seller_id, const char *status,
                                 int64_t after_id, int limit, char **items, int *has_more,
                                 int64_t *last_id)
{
    char s[24], a[24], l[24];
    const char *p[] = {db_i64(s, seller_id), db_i64(a, after_id), db_i64(l, limit + 1), status};
    return db_json_page(conn, &order_q_list_postings, 4, p, limit, items, has_more, last_id);
}

sd_err order_store_get_posting(struct db_conn *conn, const char *posting_number, int64_t viewer_id,
                               auth_role role, json_t **out)
{
    char v[24];
    const char *p[] = {posting_number, db_i64(v, viewer_id), auth_role_name(role)};
    return db_json_one(conn, &order_q_get_posting, 3, p, out);
}

/* In the status change's transaction: the notification exists iff the change committed. */
static sd_err order_notify(struct db_conn *conn, int64_t user_id, const char *posting_number,
                           const char *status)
{
    char title[96], body[160];
    snprintf(title, sizeof title, "Posting %s: %s", posting_number, status);
    snprintf(body, sizeof body, "Posting %s is now %s.", posting_number, status);
    json_t *data = json_pack("{s:s, s:s}", "posting_number", posting_number, "status", status);
    sd_err e = notification_store_create(conn, user_id, "order.status_changed", title, body, data);
    json_decref(data);
    return e;
}

/* Both parties' integrations follow the posting, whoever moved it: the event goes to the
 * buyer and the seller alike, with the posting as the change left it. */
static sd_err order_event(struct db_conn *conn, const int64_t parties[2], int64_t actor_id,
                          const char *previous, const json_t *posting)
{
    json_t *data = json_pack("{s:O, s:O, s:s, s:I, s:O}", "posting_number",
                             json_object_get(posting, "posting_number"), "status",
                             json_object_get(posting, "status"), "previous_status", previous,
                             "changed_by", (json_int_t)actor_id, "posting", posting);
    sd_err e = data ? event_store_append_to(conn, parties, 2, 0, "posting.status_changed", data)
                    : SD_ERR_INTERNAL;
    json_decref(data);
    return e;
}

sd_err order_store_set_status(struct db_conn *conn, const char *posting_number, int64_t actor_id,
                              auth_role role, const char *status, json_t **out)
{
    char a[24], pid[24], previous[32];
    sd_err e;
    PGresult *r = NULL;
    const char *lp[] = {posting_number, db_i64(a, actor_id), auth_role_name(role)};
    if ((e = db_begin(conn)) != SD_OK)
        return e;
    if (!(r = db_exec(conn, &order_q_lock_posting, 3, lp, &e)))
        goto fail;
    if (PQntuples(r) == 0) {
        e = SD_ERR_NOT_FOUND;
        goto fail;
    }
    if (!order_transition_allowed(role, PQgetvalue(r, 0, 1), status)) {
        e = SD_ERR_CONFLICT;
        goto fail;
    }
    snprintf(pid, sizeof pid, "%s", PQgetvalue(r, 0, 0));
    /* the other party hears about it: the buyer of the seller's moves, the seller of a
     * cancellation */
    int64_t notify_user = db_get_i64(r, 0, role == ROLE_SELLER ? 2 : 3);
    int64_t parties[] = {db_get_i64(r, 0, 2), db_get_i64(r, 0, 3)};
    snprintf(previous, sizeof previous, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    r = NULL;
    const char *pp[] = {pid};
    if (strcmp(status, "cancelled") == 0 || strcmp(status, "refused") == 0) {
        if (!(r = db_exec(conn, &order_q_lock_posting_products, 1, pp, &e)))
            goto fail;
        PQclear(r);
        if (!(r = db_exec(conn, &order_q_restock, 1, pp, &e)))
            goto fail;
        PQclear(r);
        r = NULL;
    }
    const char *sp[] = {pid, status};
    if ((e = db_json_one(conn, &order_q_set_status, 2, sp, out)) != SD_OK)
        goto fail;
    if ((e = order_notify(conn, notify_user, posting_number, status)) != SD_OK ||
        (e = order_event(conn, parties, actor_id, previous, *out)) != SD_OK)
        goto fail;
    return db_commit(conn);
fail:
    PQclear(r);
    db_rollback(conn);
    return e;
}
