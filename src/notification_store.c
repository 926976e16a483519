#include "notification_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chat_store.h"
#include "event_store.h"
#include "event_types.h"
#include "notify.h"

/* the notification of each user ($1, a bigint[]) and its outbox rows: a channel the user
 * (or the event's default) wants is pending when configured, skipped when not; one the user
 * switched off gets no row */
DB_STMT(
    notification_q_create,
    "WITH n AS (INSERT INTO notifications (user_id, event, tab, title, body, data, in_feed)"
    "            SELECT u, $2, $3, $4, $5, coalesce($6::jsonb, '{}'), $11::bool"
    "              FROM unnest($1::bigint[]) u"
    "            RETURNING id, user_id)"
    " INSERT INTO notification_deliveries (notification_id, user_id, channel, status, last_error)"
    " SELECT n.id, n.user_id, c.channel,"
    "        CASE WHEN c.configured THEN 'pending' ELSE 'skipped' END,"
    "        CASE WHEN c.configured THEN NULL ELSE 'channel not configured' END"
    "   FROM n, (VALUES ('push', $7::bool, $8::bool), ('email', $9::bool, $10::bool))"
    "        AS c(channel, wanted, configured)"
    "  WHERE coalesce((SELECT s.enabled FROM notification_settings s WHERE s.user_id = n.user_id"
    "                    AND s.event = $2 AND s.channel = c.channel), c.wanted)");
/* the user's own rows, then the broadcasts meant for them; one keyset over both. Two
 * statements, so the tab filter uses its own index instead of filtering every row. */
#define FEED_SQL(own_tab, broadcast_tab, unread, limit)                                            \
    "WITH me AS (SELECT id, role, created_at FROM users WHERE id = $1)"                            \
    " SELECT id, j FROM ("                                                                         \
    "  (SELECT n.id, notification_json(n)::text AS j FROM notifications n"                         \
    "    WHERE n.user_id = $1 AND n.in_feed AND " DB_BEFORE("n.id", "$2") own_tab                  \
        "      AND (NOT " unread "::bool OR n.read_at IS NULL)"                                    \
        "    ORDER BY n.id DESC LIMIT " limit ")"                                                  \
        "  UNION ALL"                                                                              \
        "  (SELECT b.id, broadcast_feed_json(b, r.read_at)::text FROM me, broadcasts b"            \
        "     LEFT JOIN broadcast_reads r ON r.broadcast_id = b.id AND r.user_id = $1"             \
        "    WHERE broadcast_targets(b, me.id, me.role, me.created_at)"                            \
        "      AND " DB_BEFORE("b.id", "$2") broadcast_tab                                         \
        "      AND (NOT " unread "::bool OR r.read_at IS NULL)"                                    \
        "    ORDER BY b.id DESC LIMIT " limit ")"                                                  \
        " ) f ORDER BY id DESC LIMIT " limit
DB_STMT(notification_q_feed, DB_PAGE("$4", FEED_SQL("", "", "$3", "$4")));
DB_STMT(notification_q_feed_tab,
        DB_PAGE("$4", FEED_SQL(" AND n.tab = $5", " AND b.tab = $5", "$3", "$4")));
/* {tabs: {tab: unread}, chats: {...}}: the feed's unread by tab and the unread chats, one
 * statement (one round trip) for GET /v1/notifications/counters */
#define COUNTERS_SQL(chat_sides, dispute_sides)                                                    \
    "WITH me AS (SELECT id, role, created_at FROM users WHERE id = $1)"                            \
    " SELECT json_build_object('tabs', (SELECT coalesce(json_object_agg(tab, n), '{}') FROM ("     \
    "  SELECT tab, sum(c)::int AS n FROM ("                                                        \
    "    SELECT tab, count(*) AS c FROM notifications"                                             \
    "     WHERE user_id = $1 AND read_at IS NULL AND in_feed GROUP BY tab"                         \
    "    UNION ALL"                                                                                \
    "    SELECT b.tab, count(*) FROM me, broadcasts b"                                             \
    "     WHERE broadcast_targets(b, me.id, me.role, me.created_at)"                               \
    "       AND NOT EXISTS (SELECT 1 FROM broadcast_reads r"                                       \
    "                        WHERE r.broadcast_id = b.id AND r.user_id = $1)"                      \
    "     GROUP BY b.tab) u GROUP BY tab) t),"                                                     \
    " 'chats', (" CHAT_UNREAD_CHATS_SQL(                                                           \
        chat_sides) ")::json,"                                                                     \
                    " 'disputes', (SELECT json_build_object('threads', count(*),"                  \
                    "                                       'messages', coalesce(sum(unread), 0))" \
                    "               FROM dispute_sides WHERE unread > 0 AND " dispute_sides        \
                    "))::text"
DB_STMT(notification_q_counters_user, COUNTERS_SQL(CHAT_USER_SIDES, "user_id = $1"));
DB_STMT(notification_q_counters_support,
        COUNTERS_SQL(CHAT_SUPPORT_SIDES, "side = 'support' AND $1::bigint > 0"));
DB_STMT(notification_q_read,
        "WITH me AS (SELECT id, role, created_at FROM users WHERE id = $1),"
        " own AS (UPDATE notifications SET read_at = coalesce(read_at, now())"
        "          WHERE id = $2 AND user_id = $1 AND in_feed RETURNING id),"
        " bc AS (INSERT INTO broadcast_reads (broadcast_id, user_id)"
        "         SELECT b.id, $1 FROM me, broadcasts b"
        "          WHERE b.id = $2 AND broadcast_targets(b, me.id, me.role, me.created_at)"
        "         ON CONFLICT DO NOTHING RETURNING broadcast_id),"
        " seen AS (SELECT b.id FROM me, broadcasts b"
        "           WHERE b.id = $2 AND broadcast_targets(b, me.id, me.role, me.created_at))"
        " SELECT (SELECT count(*) FROM own) + (SELECT count(*) FROM seen)");
DB_STMT(notification_q_read_all,
        "WITH me AS (SELECT id, role, created_at FROM users WHERE id = $1),"
        " own AS (UPDATE notifications SET read_at = now()"
        "          WHERE user_id = $1 AND read_at IS NULL AND in_feed"
        "            AND ($2::text IS NULL OR tab = $2)"
        "          RETURNING id),"
        " bc AS (INSERT INTO broadcast_reads (broadcast_id, user_id)"
        "         SELECT b.id, $1 FROM me, broadcasts b"
        "          WHERE broadcast_targets(b, me.id, me.role, me.created_at)"
        "            AND ($2::text IS NULL OR b.tab = $2)"
        "         ON CONFLICT DO NOTHING RETURNING broadcast_id)"
        " SELECT (SELECT count(*) FROM own) + (SELECT count(*) FROM bc)");
DB_STMT(notification_q_settings,
        "SELECT coalesce(json_object_agg(event, c), '{}')::text FROM ("
        "  SELECT event, json_object_agg(channel, enabled) AS c FROM notification_settings"
        "   WHERE user_id = $1 GROUP BY event) s");
DB_STMT(notification_q_set,
        "INSERT INTO notification_settings (user_id, event, channel, enabled)"
        " VALUES ($1, $2, $3, $4::bool)"
        " ON CONFLICT (user_id, event, channel) DO UPDATE SET enabled = excluded.enabled");
DB_STMT(notification_q_broadcast,
        "INSERT INTO broadcasts (tab, title, body, audience, user_ids, created_by)"
        " VALUES ($1, $2, $3, $4, $5::bigint[], $6) RETURNING broadcast_json(broadcasts)");

static sd_err exec_ok(struct db_conn *conn, const db_stmt *st, int n, const char *const *p)
{
    sd_err e = SD_OK;
    PGresult *r = db_exec(conn, st, n, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

/* Every notification is also news for the recipients' integrations: the event log gets it here,
 * in the same transaction, so no place that notifies can forget it. */
static sd_err notification_event(struct db_conn *conn, const char *users, const char *event,
                                 const char *title, const char *body, const json_t *data)
{
    const struct event_type *t = event_type_of_notification(event);
    if (!t)
        return SD_OK;
    json_t *d = data ? json_deep_copy(data) : json_object();
    sd_err e = SD_ERR_INTERNAL;
    if (d && json_object_set_new(d, "title", json_string(title)) == 0 &&
        json_object_set_new(d, "body", json_string(body)) == 0)
        e = event_store_append(conn, users, t->type, d);
    json_decref(d);
    return e;
}

static sd_err create(struct db_conn *conn, const char *users, const char *event, const char *title,
                     const char *body, const json_t *data, int in_feed)
{
    const struct notify_event *ev = notify_event_find(event);
    if (!ev)
        return SD_ERR_INTERNAL;
    char *d = data ? json_dumps(data, JSON_COMPACT) : NULL;
    const char *p[] = {users,
                       event,
                       ev->tab,
                       title,
                       body,
                       d,
                       ev->default_push ? "true" : "false",
                       notify_channel_configured(NOTIFY_PUSH) ? "true" : "false",
                       ev->default_email ? "true" : "false",
                       notify_channel_configured(NOTIFY_EMAIL) ? "true" : "false",
                       in_feed ? "true" : "false"};
    sd_err e = exec_ok(conn, &notification_q_create, 11, p);
    free(d);
    if (e == SD_OK)
        e = notification_event(conn, users, event, title, body, data);
    return e;
}

sd_err notification_store_create(struct db_conn *conn, int64_t user_id, const char *event,
                                 const char *title, const char *body, const json_t *data)
{
    char users[32];
    snprintf(users, sizeof users, "{%lld}", (long long)user_id);
    return create(conn, users, event, title, body, data, 1);
}

sd_err notification_store_create_many(struct db_conn *conn, const char *user_ids, const char *event,
                                      const char *title, const char *body, const json_t *data)
{
    return create(conn, user_ids, event, title, body, data, 1);
}

sd_err notification_store_create_unlisted(struct db_conn *conn, int64_t user_id, const char *event,
                                          const char *title, const char *body, const json_t *data)
{
    char users[32];
    snprintf(users, sizeof users, "{%lld}", (long long)user_id);
    return create(conn, users, event, title, body, data, 0);
}

void notification_store_feed_read(struct db_read *rd, const struct feed_query *q)
{
    rd->st = q->tab ? &notification_q_feed_tab : &notification_q_feed;
    rd->n = q->tab ? 5 : 4;
    db_read_i64(rd, 0, q->user_id);
    db_read_i64(rd, 1, q->after_id);
    rd->params[2] = q->unread_only ? "true" : "false";
    db_read_i64(rd, 3, q->limit + 1);
    rd->params[4] = q->tab;
}

void notification_store_counters_read(struct db_read *rd, int64_t user_id, int support)
{
    rd->st = support ? &notification_q_counters_support : &notification_q_counters_user;
    rd->n = 1;
    db_read_i64(rd, 0, user_id);
}

static sd_err count_of(struct db_conn *conn, const db_stmt *st, int n, const char *const *p,
                       int64_t *count)
{
    sd_err e = SD_OK;
    PGresult *r = db_exec(conn, st, n, p, &e);
    if (!r)
        return e;
    *count = db_get_i64(r, 0, 0);
    PQclear(r);
    return SD_OK;
}

sd_err notification_store_read(struct db_conn *conn, int64_t user_id, int64_t id)
{
    char uid[24], nid[24];
    int64_t n = 0;
    const char *p[] = {db_i64(uid, user_id), db_i64(nid, id)};
    sd_err e = count_of(conn, &notification_q_read, 2, p, &n);
    if (e != SD_OK)
        return e;
    return n > 0 ? SD_OK : SD_ERR_NOT_FOUND;
}

sd_err notification_store_read_all(struct db_conn *conn, int64_t user_id, const char *tab,
                                   int64_t *marked)
{
    char uid[24];
    const char *p[] = {db_i64(uid, user_id), tab};
    return count_of(conn, &notification_q_read_all, 2, p, marked);
}

sd_err notification_store_settings(struct db_conn *conn, int64_t user_id, json_t **choices)
{
    char uid[24];
    const char *p[] = {db_i64(uid, user_id)};
    return db_json_one(conn, &notification_q_settings, 1, p, choices);
}

sd_err notification_store_set(struct db_conn *conn, int64_t user_id, const char *event,
                              const char *channel, int enabled)
{
    char uid[24];
    const char *p[] = {db_i64(uid, user_id), event, channel, enabled ? "true" : "false"};
    return exec_ok(conn, &notification_q_set, 4, p);
}

sd_err notification_store_broadcast(struct db_conn *conn, int64_t author, const char *tab,
                                    const char *title, const char *body, const char *audience,
                                    const char *user_ids, json_t **out)
{
    char a[24];
    const char *p[] = {tab, title, body, audience, user_ids, db_i64(a, author)};
    return db_json_one(conn, &notification_q_broadcast, 6, p, out);
}
