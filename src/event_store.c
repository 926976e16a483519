#include "event_store.h"

#include <stdio.h>
#include <stdlib.h>

/* The counters are taken in account order: two changes that reach the same accounts (a
 * promotion notice to every seller) lock them in one order and cannot deadlock each other. */
DB_STMT(event_q_append, "WITH pos AS (INSERT INTO event_counters AS c (account, position)"
                        "              SELECT DISTINCT a, 1 FROM unnest($1::bigint[]) a"
                        "               WHERE a IS NOT NULL ORDER BY a"
                        "             ON CONFLICT (account) DO UPDATE SET position = c.position + 1"
                        "             RETURNING account, position)"
                        " INSERT INTO events (account, position, type, data)"
                        " SELECT account, position, $2,"
                        "        $3::jsonb || event_object($2, $3::jsonb, account)"
                        "        || jsonb_build_object('type', $2::text, 'account', account,"
                        "                                        'occurred_at', sd_ts(now()))"
                        "   FROM pos");
/* planned per call: with and without a type filter are different plans */
/* ($4 is the limit itself: the feed goes on from the last position, with no has_more) */
DB_QUERY(
    event_q_feed,
    DB_PAGE(
        "$4 + 1",
        "SELECT position, json_build_object('id', position, 'type', type,"
        "                                   'created_at', sd_ts(created_at), 'data', data)::text"
        "  FROM events WHERE account = $1 AND position > $2"
        "   AND ($3::text[] IS NULL OR type = ANY ($3::text[]))"
        " ORDER BY position LIMIT $4"));

/* every type: the process's listener reads an account once for all its streams, which filter */
DB_STMT(event_q_since,
        "SELECT position, type,"
        "       json_build_object('id', position, 'type', type,"
        "                         'created_at', sd_ts(created_at), 'data', data)::text"
        "  FROM events WHERE account = $1 AND position > $2 ORDER BY position LIMIT $3");
/* the last committed position: positions commit in order, so nothing below it is still to come */
DB_STMT(event_q_last,
        "SELECT coalesce((SELECT position FROM event_counters WHERE account = $1), 0)");

sd_err event_store_append(struct db_conn *conn, const char *accounts, const char *type,
                          const json_t *data)
{
    sd_err e = SD_OK;
    char *d = json_dumps(data, JSON_COMPACT);
    if (!d)
        return SD_ERR_INTERNAL;
    const char *p[] = {accounts, type, d};
    PGresult *r = db_exec(conn, &event_q_append, 3, p, &e);
    PQclear(r);
    free(d);
    return r ? SD_OK : e;
}

sd_err event_store_append_to(struct db_conn *conn, const int64_t *ids, size_t n, int64_t except,
                             const char *type, const json_t *data)
{
    char list[512];
    size_t used = 0;
    list[used++] = '{';
    for (size_t i = 0; i < n && used < sizeof list - 24; i++)
        if (ids[i] && ids[i] != except)
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%lld", used > 1 ? "," : "",
                                     (long long)ids[i]);
    if (used == 1)
        return SD_OK; /* nobody to tell */
    snprintf(list + used, sizeof list - used, "}");
    return event_store_append(conn, list, type, data);
}

sd_err event_store_feed(struct db_conn *conn, const struct event_query *q, char **items,
                        int64_t *last)
{
    char a[24], after[24], lim[24];
    int has_more = 0;
    const char *p[] = {db_i64(a, q->account), db_i64(after, q->after), q->types,
                       db_i64(lim, q->limit)};
    return db_json_page(conn, &event_q_feed, 4, p, q->limit, items, &has_more, last);
}

sd_err event_store_since(struct db_conn *conn, int64_t account, int64_t after, int limit,
                         PGresult **rows)
{
    char a[24], p[24], l[24];
    sd_err e = SD_OK;
    const char *params[] = {db_i64(a, account), db_i64(p, after), db_i64(l, limit)};
    *rows = db_exec(conn, &event_q_since, 3, params, &e);
    return *rows ? SD_OK : e;
}

void event_store_last_read(struct db_read *rd, int64_t account)
{
    rd->st = &event_q_last;
    rd->n = 1;
    db_read_i64(rd, 0, account);
}
