#include "moderation_store.h"

#include <stdio.h>
#include <string.h>

DB_STMT(moderation_q_record, "INSERT INTO moderation_events (user_id, rule, endpoint)"
                             " SELECT nullif($1::bigint, 0), r, $3 FROM unnest($2::text[]) AS r");
DB_STMT(moderation_q_offenders,
        "SELECT json_build_object('user_id', u.id, 'display_name', u.display_name,"
        "  'role', u.role, 'refusals', e.n, 'rules', e.rules,"
        "  'last_refusal_at', sd_ts(e.last_at))"
        " FROM (SELECT user_id, sum(n)::int AS n, json_object_agg(rule, n) AS rules,"
        "              max(last_at) AS last_at"
        "         FROM (SELECT user_id, rule, count(*)::int AS n, max(created_at) AS last_at"
        "                 FROM moderation_events"
        "                WHERE user_id IS NOT NULL"
        "                  AND created_at > now() - make_interval(days => $1::int)"
        "                GROUP BY user_id, rule) per_rule"
        "        GROUP BY user_id) e"
        " JOIN users u ON u.id = e.user_id"
        " ORDER BY e.n DESC, e.last_at DESC LIMIT $2");

sd_err moderation_store_record(struct db_conn *conn, int64_t user_id, const char *endpoint,
                               const struct mod_result *const *results, size_t nresults)
{
    char uid[24], rules[512];
    size_t len = 0;
    int seen[MOD_RULE__COUNT] = {0};
    sd_err e = SD_OK;
    rules[len++] = '{';
    for (size_t k = 0; k < nresults; k++)
        for (size_t i = 0; i < results[k]->nfindings; i++) {
            const struct mod_finding *f = &results[k]->findings[i];
            if (!f->hard || seen[f->rule]++)
                continue;
            /* rule names are our own identifiers: letters and underscores only */
            len += (size_t)snprintf(rules + len, sizeof rules - len, "%s%s", len > 1 ? "," : "",
                                    mod_rule_name(f->rule));
        }
    if (len == 1)
        return SD_OK;
    snprintf(rules + len, sizeof rules - len, "}");
    const char *p[] = {db_i64(uid, user_id), rules, endpoint};
    PGresult *r = db_exec(conn, &moderation_q_record, 3, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

sd_err moderation_store_offenders(struct db_conn *conn, int days, int limit, json_t **items)
{
    char d[24], l[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(d, days), db_i64(l, limit)};
    PGresult *r = db_exec(conn, &moderation_q_offenders, 2, p, &e);
    if (!r)
        return e;
    *items = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(*items, json_loads(PQgetvalue(r, i, 0), 0, NULL));
    PQclear(r);
    return SD_OK;
}
