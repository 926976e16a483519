#include "api_key_store.h"

#include <stdlib.h>
#include <string.h>

#define API_KEY_JSON(k)                                                                            \
    "json_build_object('id', " k ".id, 'name', " k ".name, 'prefix', " k ".prefix,"                \
    " 'scopes', to_json(" k ".scopes), 'created_at', sd_ts(" k ".created_at),"                     \
    " 'expires_at', sd_ts(" k ".expires_at), 'revoked_at', sd_ts(" k ".revoked_at),"               \
    " 'last_used_at', sd_ts(" k ".last_used_at))"

DB_STMT(api_key_q_create,
        "INSERT INTO api_keys (seller_id, name, scopes, expires_at, prefix, secret_hash)"
        " VALUES ($1, $2, $3::text[], $4::timestamptz, $5, $6)"
        " RETURNING " API_KEY_JSON("api_keys"));
DB_STMT(api_key_q_list,
        DB_PAGE("$3", "SELECT k.id, " API_KEY_JSON("k") " FROM api_keys k"
                                                        " WHERE k.seller_id = $1 AND " DB_BEFORE(
                                                            "k.id",
                                                            "$2") " ORDER BY k.id DESC LIMIT $3"));
DB_STMT(api_key_q_revoke, "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())"
                          " WHERE id = $1 AND seller_id = $2");
DB_STMT(api_key_q_find,
        "SELECT id, seller_id, array_to_string(scopes, ','),"
        " coalesce(floor(extract(epoch FROM expires_at))::bigint, 0), revoked_at IS NOT NULL"
        " FROM api_keys WHERE secret_hash = $1");
DB_STMT(api_key_q_touch,
        "UPDATE api_keys SET last_used_at = now() WHERE id = $1"
        " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')");

sd_err api_key_store_create(struct db_conn *conn, int64_t seller_id, const char *name,
                            const char *scopes, const char *expires_at, const char *prefix,
                            const char *hash_hex, json_t **out)
{
    char sid[24];
    const char *p[] = {db_i64(sid, seller_id), name, scopes, expires_at, prefix, hash_hex};
    return db_json_one(conn, &api_key_q_create, 6, p, out);
}

sd_err api_key_store_list(struct db_conn *conn, int64_t seller_id, int64_t after_id, int limit,
                          char **items, int *has_more, int64_t *last_id)
{
    char sid[24], aid[24], lim[24];
    const char *p[] = {db_i64(sid, seller_id), db_i64(aid, after_id), db_i64(lim, limit + 1)};
    return db_json_page(conn, &api_key_q_list, 3, p, limit, items, has_more, last_id);
}

sd_err api_key_store_revoke(struct db_conn *conn, int64_t id, int64_t seller_id)
{
    char ids[24], sid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id), db_i64(sid, seller_id)};
    PGresult *r = db_exec(conn, &api_key_q_revoke, 2, p, &e);
    if (!r)
        return e;
    int n = atoi(PQcmdTuples(r));
    PQclear(r);
    return n > 0 ? SD_OK : SD_ERR_NOT_FOUND;
}

/* "chats:read,reviews:write" -> the bits; a name no longer known grants nothing */
static unsigned api_key_scope_bits(const char *list)
{
    unsigned bits = 0;
    char name[32];
    while (*list) {
        size_t n = strcspn(list, ",");
        if (n < sizeof name) {
            memcpy(name, list, n);
            name[n] = '\0';
            int s = apikey_scope_parse(name);
            if (s >= 0)
                bits |= 1u << s;
        }
        list += n + (list[n] == ',');
    }
    return bits;
}

sd_err api_key_store_find(struct db_conn *conn, const char *hash_hex, struct api_key_record *out)
{
    sd_err e = SD_OK;
    const char *p[] = {hash_hex};
    PGresult *r = db_exec(conn, &api_key_q_find, 1, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    out->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    out->seller_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
    out->scopes = api_key_scope_bits(PQgetvalue(r, 0, 2));
    out->expires_at = (time_t)strtoll(PQgetvalue(r, 0, 3), NULL, 10);
    out->revoked = PQgetvalue(r, 0, 4)[0] == 't';
    PQclear(r);
    return SD_OK;
}

sd_err api_key_store_touch(struct db_conn *conn, int64_t id)
{
    char ids[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id)};
    PGresult *r = db_exec(conn, &api_key_q_touch, 1, p, &e);
    PQclear(r);
    return e;
}
