#include "throttle_store.h"

#include <stdlib.h>

DB_STMT(throttle_q_locked,
        "SELECT coalesce(max(ceil(extract(epoch FROM locked_until - now())))::int, 0)"
        " FROM auth_throttle WHERE key IN ($1, $2) AND locked_until > now()");
DB_STMT(throttle_q_fail,
        "INSERT INTO auth_throttle AS t (key, failures, window_start) VALUES ($1, 1, now())"
        " ON CONFLICT (key) DO UPDATE SET"
        "  failures = CASE WHEN t.window_start < now() - make_interval(secs => $2::int)"
        "                  THEN 1 ELSE t.failures + 1 END,"
        "  window_start = CASE WHEN t.window_start < now() - make_interval(secs => $2::int)"
        "                  THEN now() ELSE t.window_start END"
        " RETURNING failures");
DB_STMT(throttle_q_lock,
        "UPDATE auth_throttle SET locked_until = now() + make_interval(secs => $2::int),"
        " failures = 0, window_start = now() WHERE key = $1");
DB_STMT(throttle_q_reset, "DELETE FROM auth_throttle WHERE key = $1");

sd_err throttle_store_locked(struct db_conn *conn, const char *key1, const char *key2,
                             int *retry_after_s)
{
    sd_err e = SD_OK;
    const char *p[] = {key1, key2};
    PGresult *r = db_exec(conn, &throttle_q_locked, 2, p, &e);
    if (!r)
        return e;
    *retry_after_s = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    return SD_OK;
}

sd_err throttle_store_fail(struct db_conn *conn, const char *key, int max, int window_s,
                           int lockout_s)
{
    char w[24], l[24];
    sd_err e = SD_OK;
    const char *p[] = {key, db_i64(w, window_s)};
    PGresult *r = db_exec(conn, &throttle_q_fail, 2, p, &e);
    if (!r)
        return e;
    int failures = atoi(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (failures < max)
        return SD_OK;
    const char *lp[] = {key, db_i64(l, lockout_s)};
    r = db_exec(conn, &throttle_q_lock, 2, lp, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

sd_err throttle_store_reset(struct db_conn *conn, const char *key)
{
    sd_err e = SD_OK;
    const char *p[] = {key};
    PGresult *r = db_exec(conn, &throttle_q_reset, 1, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}
