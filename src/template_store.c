#include "template_store.h"

#include <stdlib.h>

/* placeholders: the names used, in order of first use. Every stored text passed
 * chat_template_check, so each {name} of this shape is a known placeholder. */
#define TEMPLATE_JSON(t)                                                                           \
    "json_build_object('id', " t ".id, 'title', " t ".title, 'text', " t ".text,"                  \
    " 'placeholders', (SELECT coalesce(json_agg(name ORDER BY first), '[]')"                       \
    "                    FROM (SELECT m[1] AS name, min(n) AS first"                               \
    "                            FROM regexp_matches(" t ".text, '\\{([a-z_]+)\\}', 'g')"          \
    "                                 WITH ORDINALITY AS x(m, n) GROUP BY m[1]) p),"               \
    " 'created_at', sd_ts(" t ".created_at), 'updated_at', sd_ts(" t ".updated_at))"

/* Serialises creates of one owner until commit, so the count below sees every committed
 * template. NO KEY UPDATE does not block the foreign-key checks of other tables. */
DB_STMT(template_q_lock_owner, "SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE");
DB_STMT(template_q_create,
        "INSERT INTO chat_templates (owner_id, title, text) SELECT $1, $2, $3"
        " WHERE (SELECT count(*) FROM chat_templates WHERE owner_id = $1) < $4::int"
        " RETURNING " TEMPLATE_JSON("chat_templates"));
DB_STMT(template_q_get,
        "SELECT " TEMPLATE_JSON("t") " FROM chat_templates t WHERE t.id = $1 AND t.owner_id = $2");
DB_STMT(template_q_owned, "SELECT 1 FROM chat_templates WHERE id = $1 AND owner_id = $2");
DB_STMT(template_q_update,
        "UPDATE chat_templates SET title = coalesce($3, title), text = coalesce($4, text),"
        " updated_at = now() WHERE id = $1 AND owner_id = $2"
        " RETURNING " TEMPLATE_JSON("chat_templates"));
DB_STMT(template_q_delete, "DELETE FROM chat_templates WHERE id = $1 AND owner_id = $2");
DB_STMT(template_q_list,
        DB_PAGE("$3", "SELECT t.id, " TEMPLATE_JSON("t") " FROM chat_templates t"
                                                         " WHERE t.owner_id = $1 AND " DB_BEFORE(
                                                             "t.id",
                                                             "$2") " ORDER BY t.id DESC LIMIT $3"));

/* Runs a statement for its row count: SD_ERR_NOT_FOUND when it touched no row. */
static sd_err template_exec_rows(struct db_conn *conn, const db_stmt *stmt, int64_t id,
                                 int64_t owner_id, int select)
{
    char ids[24], oid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id), db_i64(oid, owner_id)};
    PGresult *r = db_exec(conn, stmt, 2, p, &e);
    if (!r)
        return e;
    int n = select ? PQntuples(r) : atoi(PQcmdTuples(r));
    PQclear(r);
    return n > 0 ? SD_OK : SD_ERR_NOT_FOUND;
}

sd_err template_store_create(struct db_conn *conn, int64_t owner_id, const char *title,
                             const char *text, int max, json_t **out)
{
    char oid[24], mx[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(oid, owner_id), title, text, db_i64(mx, max)};
    PGresult *r = db_exec(conn, &template_q_lock_owner, 1, p, &e);
    if (!r)
        return e;
    PQclear(r);
    e = db_json_one(conn, &template_q_create, 4, p, out);
    return e == SD_ERR_NOT_FOUND ? SD_ERR_CONFLICT : e;
}

sd_err template_store_get(struct db_conn *conn, int64_t id, int64_t owner_id, json_t **out)
{
    char ids[24], oid[24];
    const char *p[] = {db_i64(ids, id), db_i64(oid, owner_id)};
    return db_json_one(conn, &template_q_get, 2, p, out);
}

sd_err template_store_owned(struct db_conn *conn, int64_t id, int64_t owner_id)
{
    return template_exec_rows(conn, &template_q_owned, id, owner_id, 1);
}

sd_err template_store_update(struct db_conn *conn, int64_t id, int64_t owner_id, const char *title,
                             const char *text, json_t **out)
{
    char ids[24], oid[24];
    const char *p[] = {db_i64(ids, id), db_i64(oid, owner_id), title, text};
    return db_json_one(conn, &template_q_update, 4, p, out);
}

sd_err template_store_delete(struct db_conn *conn, int64_t id, int64_t owner_id)
{
    return template_exec_rows(conn, &template_q_delete, id, owner_id, 0);
}

sd_err template_store_list(struct db_conn *conn, int64_t owner_id, int64_t after_id, int limit,
                           char **items, int *has_more, int64_t *last_id)
{
    char oid[24], aid[24], lim[24];
    const char *p[] = {db_i64(oid, owner_id), db_i64(aid, after_id), db_i64(lim, limit + 1)};
    return db_json_page(conn, &template_q_list, 3, p, limit, items, has_more, last_id);
}
