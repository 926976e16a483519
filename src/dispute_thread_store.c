#include "dispute_thread_store.h"

#include <stdio.h>
#include <string.h>

DB_STMT(dispute_thread_q_add,
        "WITH m AS (INSERT INTO dispute_messages (dispute_id, author_id, side, text,"
        "                                         attachment_ids)"
        "           VALUES ($1, $2, $3, $4, coalesce($5::bigint[], '{}')) RETURNING *),"
        " mine AS (UPDATE dispute_sides s SET last_read_id = m.id, unread = 0 FROM m"
        "           WHERE s.dispute_id = m.dispute_id AND s.side = m.side),"
        " theirs AS (UPDATE dispute_sides s SET unread = s.unread + 1 FROM m"
        "             WHERE s.dispute_id = m.dispute_id AND s.side <> m.side),"
        " f AS (INSERT INTO dispute_files (file_id, dispute_id)"
        "       SELECT DISTINCT unnest(m.attachment_ids), m.dispute_id FROM m"
        "       ON CONFLICT DO NOTHING)"
        " SELECT dispute_message_json(m, (SELECT display_name FROM users WHERE id = m.author_id))"
        "        ::text FROM m");
DB_STMT(dispute_thread_q_list,
        DB_PAGE("$3", "SELECT m.id, dispute_message_json(m, u.display_name)::text"
                      "  FROM dispute_messages m JOIN users u ON u.id = m.author_id"
                      " WHERE m.dispute_id = $1 AND " DB_BEFORE(
                          "m.id", "$2") " ORDER BY m.dispute_id DESC, m.id DESC LIMIT $3"));
/* the unread count is recounted: whatever arrived before the lock is seen */
DB_STMT(dispute_thread_q_read,
        "UPDATE dispute_sides s SET last_read_id = greatest(s.last_read_id, $3),"
        "  unread = (SELECT count(*) FROM dispute_messages m WHERE m.dispute_id = $1"
        "             AND m.id > greatest(s.last_read_id, $3) AND m.side <> s.side)"
        " WHERE s.dispute_id = $1 AND s.side = $2"
        "   AND EXISTS (SELECT 1 FROM dispute_messages m WHERE m.id = $3 AND m.dispute_id = $1)"
        " RETURNING unread");

const char *dispute_side_of(auth_role role)
{
    return role == ROLE_BUYER ? "buyer" : role == ROLE_SELLER ? "seller" : "support";
}

sd_err dispute_thread_add(struct db_conn *conn, int64_t dispute_id, int64_t author,
                          const char *side, const char *text, const char *attachment_ids,
                          json_t **out)
{
    char d[24], a[24];
    const char *p[] = {db_i64(d, dispute_id), db_i64(a, author), side, text, attachment_ids};
    return db_json_one(conn, &dispute_thread_q_add, 5, p, out);
}

sd_err dispute_thread_list(struct db_conn *conn, int64_t dispute_id, int64_t before, int limit,
                           char **items, int *has_more, int64_t *last)
{
    char d[24], b[24], l[24];
    const char *p[] = {db_i64(d, dispute_id), db_i64(b, before), db_i64(l, limit + 1)};
    return db_json_page(conn, &dispute_thread_q_list, 3, p, limit, items, has_more, last);
}

sd_err dispute_thread_read(struct db_conn *conn, int64_t dispute_id, const char *side,
                           int64_t message_id, int64_t *unread)
{
    char d[24], m[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(d, dispute_id), side, db_i64(m, message_id)};
    PGresult *r = db_exec(conn, &dispute_thread_q_read, 3, p, &e);
    if (!r)
        return e;
    e = PQntuples(r) == 1 ? SD_OK : SD_ERR_VALIDATION;
    if (e == SD_OK)
        *unread = db_get_i64(r, 0, 0);
    PQclear(r);
    return e;
}
