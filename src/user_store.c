#include "user_store.h"

#include <stdio.h>

DB_STMT(user_q_create,
        "INSERT INTO users (email, password_hash, role, display_name) VALUES ($1, $2, $3, $4)"
        " RETURNING user_json(users)");
DB_STMT(user_q_get, "SELECT role, user_json(u) FROM users u WHERE id = $1");
DB_STMT(user_q_not_role,
        "SELECT coalesce((SELECT i.id FROM unnest($1::bigint[]) WITH ORDINALITY AS i(id, n)"
        " WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = i.id AND u.role = $2)"
        " ORDER BY i.n LIMIT 1), 0)");
DB_STMT(user_q_credentials,
        "SELECT id, role, password_hash FROM users WHERE lower(email) = lower($1)");

sd_err user_store_create(struct db_conn *conn, const char *email, const char *password_hash,
                         auth_role role, const char *display_name, json_t **out)
{
    const char *p[] = {email, password_hash, auth_role_name(role), display_name};
    return db_json_one(conn, &user_q_create, 4, p, out);
}

sd_err user_store_get(struct db_conn *conn, int64_t id, auth_role *role, json_t **out)
{
    char ids[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id)};
    PGresult *r = db_exec(conn, &user_q_get, 1, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        e = SD_ERR_NOT_FOUND;
    } else {
        *role = auth_role_parse(PQgetvalue(r, 0, 0));
        *out = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
        e = *out ? SD_OK : SD_ERR_INTERNAL;
    }
    PQclear(r);
    return e;
}

sd_err user_store_credentials(struct db_conn *conn, const char *email, int64_t *id, auth_role *role,
                              char hash[128])
{
    sd_err e = SD_OK;
    const char *p[] = {email};
    PGresult *r = db_exec(conn, &user_q_credentials, 1, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        e = SD_ERR_NOT_FOUND;
    } else {
        *id = db_get_i64(r, 0, 0);
        *role = auth_role_parse(PQgetvalue(r, 0, 1));
        snprintf(hash, 128, "%s", PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return e;
}

sd_err user_store_first_not_role(struct db_conn *conn, const char *ids, const char *role,
                                 int64_t *bad)
{
    sd_err e = SD_OK;
    const char *p[] = {ids, role};
    PGresult *r = db_exec(conn, &user_q_not_role, 2, p, &e);
    if (!r)
        return e;
    *bad = db_get_i64(r, 0, 0);
    PQclear(r);
    return SD_OK;
}
