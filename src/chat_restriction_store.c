#include "chat_restriction_store.h"

#include <string.h>

#define RESTRICTION_JSON(r)                                                                        \
    "json_build_object('user_id', " r ".user_id, 'reason', " r ".reason,"                          \
    " 'until', sd_ts(" r ".until), 'created_by', " r ".created_by,"                                \
    " 'created_at', sd_ts(" r ".created_at),"                                                      \
    " 'active', " r ".until IS NULL OR " r ".until > now())"

/* One statement: the target's role decides, so a support account is never written even if
 * its role changed a moment ago. No row: no such user. */
DB_STMT(restriction_q_put,
        "WITH target AS (SELECT id, role FROM users WHERE id = $1),"
        " put AS (INSERT INTO chat_restrictions (user_id, reason, until, created_by)"
        "          SELECT id, $2, $3::timestamptz, $4 FROM target WHERE role <> 'support'"
        "          ON CONFLICT (user_id) DO UPDATE SET reason = EXCLUDED.reason,"
        "             until = EXCLUDED.until, created_by = EXCLUDED.created_by,"
        "             created_at = now()"
        "          RETURNING *)"
        " SELECT t.role, (SELECT " RESTRICTION_JSON("put") " FROM put) FROM target t");
DB_STMT(restriction_q_get, "SELECT " RESTRICTION_JSON("r") " FROM chat_restrictions r"
                                                           " WHERE r.user_id = $1");
DB_STMT(restriction_q_delete, "DELETE FROM chat_restrictions WHERE user_id = $1");

sd_err chat_restriction_store_put(struct db_conn *conn, int64_t user_id, const char *reason,
                                  const char *until, int64_t by, json_t **out)
{
    char uid[24], bid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(uid, user_id), reason, until, db_i64(bid, by)};
    PGresult *r = db_exec(conn, &restriction_q_put, 4, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) != 1) {
        e = SD_ERR_NOT_FOUND;
    } else if (strcmp(db_get_str(r, 0, 0), "support") == 0) {
        e = SD_ERR_UNPROCESSABLE;
    } else {
        const char *j = db_get_str(r, 0, 1);
        *out = j ? json_loads(j, 0, NULL) : NULL;
        e = *out ? SD_OK : SD_ERR_INTERNAL;
    }
    PQclear(r);
    return e;
}

sd_err chat_restriction_store_get(struct db_conn *conn, int64_t user_id, json_t **out)
{
    char uid[24];
    const char *p[] = {db_i64(uid, user_id)};
    return db_json_one(conn, &restriction_q_get, 1, p, out);
}

sd_err chat_restriction_store_delete(struct db_conn *conn, int64_t user_id)
{
    char uid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(uid, user_id)};
    PGresult *r = db_exec(conn, &restriction_q_delete, 1, p, &e);
    if (!r)
        return e;
    e = strcmp(PQcmdTuples(r), "0") == 0 ? SD_ERR_NOT_FOUND : SD_OK;
    PQclear(r);
    return e;
}
