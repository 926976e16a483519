#include "idempotency_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DB_STMT(idem_q_lock, "SELECT pg_advisory_xact_lock(hashtextextended($1 || chr(31) || $2, 0))");
DB_STMT(idem_q_get,
        "SELECT encode(request_hash, 'hex'), status, body FROM idempotency_keys"
        " WHERE scope = $1 AND key = $2 AND created_at > now() - make_interval(secs => $3::int)");
/* an expired record under the same key is replaced */
DB_STMT(idem_q_put, "INSERT INTO idempotency_keys (scope, key, request_hash, status, body)"
                    " VALUES ($1, $2, decode($3, 'hex'), $4::int, $5)"
                    " ON CONFLICT (scope, key) DO UPDATE SET request_hash = excluded.request_hash,"
                    " status = excluded.status, body = excluded.body, created_at = now()");

sd_err idem_lookup(struct db_conn *conn, const char *scope, const char *key, int ttl_s,
                   struct idem_record *out)
{
    char ttl[24];
    sd_err e = SD_OK;
    const char *p[] = {scope, key, db_i64(ttl, ttl_s)};
    PGresult *r = db_exec(conn, &idem_q_lock, 2, p, &e);
    memset(out, 0, sizeof *out);
    if (!r)
        return e;
    PQclear(r);
    if (!(r = db_exec(conn, &idem_q_get, 3, p, &e)))
        return e;
    if (PQntuples(r) == 1) {
        out->found = 1;
        snprintf(out->request_hash, sizeof out->request_hash, "%s", PQgetvalue(r, 0, 0));
        out->status = atoi(PQgetvalue(r, 0, 1));
        out->body = strdup(PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return SD_OK;
}

sd_err idem_save(struct db_conn *conn, const char *scope, const char *key, const char *request_hash,
                 int status, const char *body)
{
    char st[24];
    sd_err e = SD_OK;
    const char *p[] = {scope, key, request_hash, db_i64(st, status), body};
    PGresult *r = db_exec(conn, &idem_q_put, 5, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

void idem_record_free(struct idem_record *rec)
{
    free(rec->body);
    rec->body = NULL;
}
