#include "ratelimit_store.h"

#include <stdlib.h>

DB_STMT(ratelimit_q_hit,
        "INSERT INTO rate_limits AS r (key, window_start, hits) VALUES ($1, now(), 1)"
        " ON CONFLICT (key) DO UPDATE SET"
        "  hits = CASE WHEN r.window_start <= now() - make_interval(secs => $2::int)"
        "              THEN 1 ELSE r.hits + 1 END,"
        "  window_start = CASE WHEN r.window_start <= now() - make_interval(secs => $2::int)"
        "              THEN now() ELSE r.window_start END"
        " RETURNING hits, greatest(1, ceil(extract(epoch FROM"
        "   r.window_start + make_interval(secs => $2::int) - now())))::int");

sd_err ratelimit_store_hit(struct db_conn *conn, const char *key, int limit, int window_s,
                           int *retry_after_s)
{
    int hits;
    return ratelimit_store_count(conn, key, limit, window_s, &hits, retry_after_s);
}

sd_err ratelimit_store_count(struct db_conn *conn, const char *key, int limit, int window_s,
                             int *hits_out, int *retry_after_s)
{
    char w[24];
    sd_err e = SD_OK;
    const char *p[] = {key, db_i64(w, window_s)};
    PGresult *r = db_exec(conn, &ratelimit_q_hit, 2, p, &e);
    if (!r)
        return e;
    int hits = atoi(PQgetvalue(r, 0, 0));
    *hits_out = hits;
    *retry_after_s = atoi(PQgetvalue(r, 0, 1));
    PQclear(r);
    return hits > limit ? SD_ERR_RATE_LIMITED : SD_OK;
}
