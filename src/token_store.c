#include "token_store.h"

DB_STMT(token_q_insert,
        "INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)"
        " VALUES ($1, coalesce($2::bigint, nextval('refresh_token_family_seq')), decode($3, 'hex'),"
        " now() + make_interval(secs => $4::int))");
DB_STMT(token_q_lock, "SELECT t.id, t.user_id, t.family_id, u.role, t.used_at IS NOT NULL,"
                      " t.revoked_at IS NOT NULL, t.expires_at <= now()"
                      " FROM refresh_tokens t JOIN users u ON u.id = t.user_id"
                      " WHERE t.token_hash = decode($1, 'hex') FOR UPDATE OF t");
DB_STMT(token_q_spend, "UPDATE refresh_tokens SET used_at = now() WHERE id = $1");
DB_STMT(token_q_revoke_family, "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now())"
                               " WHERE family_id = $1");
DB_STMT(token_q_revoke_by_token,
        "UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE family_id ="
        " (SELECT family_id FROM refresh_tokens WHERE token_hash = decode($1, 'hex'))");

static sd_err token_insert(struct db_conn *conn, int64_t user_id, const char *family, int ttl_s,
                           char out[64])
{
    char digest[65], uid[24], ttl[24];
    sd_err e = SD_OK;
    auth_opaque_token(out);
    auth_token_digest(out, digest);
    const char *p[] = {db_i64(uid, user_id), family, digest, db_i64(ttl, ttl_s)};
    PGresult *r = db_exec(conn, &token_q_insert, 4, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

sd_err token_store_issue(struct db_conn *conn, int64_t user_id, int ttl_s, char out[64])
{
    return token_insert(conn, user_id, NULL, ttl_s, out);
}

static sd_err token_exec1(struct db_conn *conn, const db_stmt *st, const char *param)
{
    sd_err e = SD_OK;
    const char *p[] = {param};
    PGresult *r = db_exec(conn, st, 1, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

sd_err token_store_rotate(struct db_conn *conn, const char *token, int ttl_s, int64_t *user_id,
                          auth_role *role, char out[64], token_outcome *outcome)
{
    char digest[65];
    sd_err e;
    PGresult *r = NULL;
    auth_token_digest(token, digest);
    const char *p[] = {digest};
    *outcome = TOKEN_UNKNOWN;
    if ((e = db_begin(conn)) != SD_OK)
        return e;
    if (!(r = db_exec(conn, &token_q_lock, 1, p, &e)))
        goto fail;
    if (PQntuples(r) == 0)
        goto done;
    *user_id = db_get_i64(r, 0, 1);
    *role = auth_role_parse(PQgetvalue(r, 0, 3));
    if (PQgetvalue(r, 0, 5)[0] == 't') {
        *outcome = TOKEN_REVOKED;
    } else if (PQgetvalue(r, 0, 4)[0] == 't') {
        *outcome = TOKEN_REUSED;
        if ((e = token_exec1(conn, &token_q_revoke_family, PQgetvalue(r, 0, 2))) != SD_OK)
            goto fail;
    } else if (PQgetvalue(r, 0, 6)[0] == 't') {
        *outcome = TOKEN_EXPIRED;
    } else {
        if ((e = token_exec1(conn, &token_q_spend, PQgetvalue(r, 0, 0))) != SD_OK ||
            (e = token_insert(conn, *user_id, PQgetvalue(r, 0, 2), ttl_s, out)) != SD_OK)
            goto fail;
        *outcome = TOKEN_OK;
    }
done:
    PQclear(r);
    return db_commit(conn);
fail:
    PQclear(r);
    db_rollback(conn);
    return e;
}

sd_err token_store_revoke_family(struct db_conn *conn, const char *token)
{
    char digest[65];
    auth_token_digest(token, digest);
    return token_exec1(conn, &token_q_revoke_by_token, digest);
}
