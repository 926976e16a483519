#include "product_store.h"

#include <stdio.h>

DB_STMT(
    product_q_create,
    "INSERT INTO products (seller_id, offer_id, name, description, price, stock)"
    " VALUES ($1, $2, $3, coalesce($4, ''), $5::bigint, $6::int) RETURNING product_json(products)");
DB_STMT(product_q_get, "SELECT product_json(p) FROM products p WHERE id = $1");
DB_STMT(product_q_owned, "SELECT 1 FROM products WHERE id = $1 AND seller_id = $2");
DB_STMT(product_q_update,
        "UPDATE products SET name = coalesce($3, name), description = coalesce($4, description),"
        " price = coalesce($5::bigint, price), stock = coalesce($6::int, stock), updated_at = now()"
        " WHERE id = $1 AND seller_id = $2 RETURNING product_json(products)");
/* every seller's products: ($1 after, $2 limit); one seller's: ($1 seller, $2, $3) */
DB_STMT(product_q_list,
        DB_PAGE("$2", "SELECT p.id, product_json(p) FROM products p WHERE " DB_BEFORE(
                          "p.id", "$1") " ORDER BY p.id DESC LIMIT $2"));
DB_STMT(product_q_list_seller, DB_PAGE("$3", "SELECT p.id, product_json(p) FROM products p"
                                             " WHERE p.seller_id = $1 AND " DB_BEFORE(
                                                 "p.id", "$2") " ORDER BY p.id DESC LIMIT $3"));

sd_err product_store_create(struct db_conn *conn, int64_t seller_id, const struct product_fields *f,
                            json_t **out)
{
    char sid[24];
    const char *p[] = {db_i64(sid, seller_id), f->offer_id, f->name,
                       f->description,         f->price,    f->stock};
    return db_json_one(conn, &product_q_create, 6, p, out);
}

sd_err product_store_get(struct db_conn *conn, int64_t id, json_t **out)
{
    char ids[24];
    const char *p[] = {db_i64(ids, id)};
    return db_json_one(conn, &product_q_get, 1, p, out);
}

void product_store_get_read(struct db_read *rd, int64_t id)
{
    rd->st = &product_q_get;
    rd->n = 1;
    db_read_i64(rd, 0, id);
}

sd_err product_store_owned(struct db_conn *conn, int64_t id, int64_t seller_id)
{
    char ids[24], sid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id), db_i64(sid, seller_id)};
    PGresult *r = db_exec(conn, &product_q_owned, 2, p, &e);
    if (!r)
        return e;
    e = PQntuples(r) == 1 ? SD_OK : SD_ERR_NOT_FOUND;
    PQclear(r);
    return e;
}

sd_err product_store_update(struct db_conn *conn, int64_t id, int64_t seller_id,
                            const struct product_fields *f, json_t **out)
{
    char ids[24], sid[24];
    const char *p[] = {db_i64(ids, id), db_i64(sid, seller_id), f->name, f->description, f->price,
                       f->stock};
    return db_json_one(conn, &product_q_update, 6, p, out);
}

sd_err product_store_list(struct db_conn *conn, int64_t seller_id, int64_t after_id, int limit,
                          char **items, int *has_more, int64_t *last_id)
{
    char sid[24], aid[24], lim[24];
    const char *p[] = {db_i64(sid, seller_id), db_i64(aid, after_id), db_i64(lim, limit + 1)};
    if (!seller_id)
        return db_json_page(conn, &product_q_list, 2, p + 1, limit, items, has_more, last_id);
    return db_json_page(conn, &product_q_list_seller, 3, p, limit, items, has_more, last_id);
}
