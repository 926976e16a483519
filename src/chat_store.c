#include "chat_store.h"

#include <stdlib.h>
#include <string.h>

/* The viewer's side of chat $1: their own, or the support team's for a support agent. */
#define VIEWER_SIDE "(s.user_id = $2 OR ($3 = 'support' AND s.side = 'support'))"

DB_STMT(chat_q_posting_of_buyer,
        "SELECT seller_id FROM postings WHERE posting_number = $1 AND buyer_id = $2");
DB_STMT(chat_q_posting_of_seller,
        "SELECT buyer_id, coalesce(delivered_at, cancelled_at) IS NULL"
        "       OR coalesce(delivered_at, cancelled_at) + make_interval(hours => $3::int) > now()"
        "  FROM postings WHERE posting_number = $1 AND seller_id = $2");
DB_STMT(chat_q_product_seller, "SELECT seller_id FROM products WHERE id = $1");
DB_STMT(chat_q_user_role, "SELECT role FROM users WHERE id = $1");
/* the chat and both its sides; nothing when the context already has an open chat */
DB_STMT(chat_q_create,
        "WITH c AS (INSERT INTO chats (kind, buyer_id, seller_id, posting_number, product_id,"
        "                              reason, topic, assigned_to, started_by)"
        "           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        "           ON CONFLICT (buyer_id, seller_id, coalesce(posting_number, ''),"
        "                        coalesce(product_id, 0))"
        "              WHERE kind = 'buyer_seller' AND status = 'open' DO NOTHING"
        "           RETURNING id, kind, buyer_id, seller_id),"
        " s AS (INSERT INTO chat_sides (chat_id, side, user_id, kind)"
        "        SELECT c.id, v.side, v.uid, c.kind"
        "          FROM c, LATERAL (VALUES ('buyer', c.buyer_id), ('seller', c.seller_id),"
        "                                  ('support', NULL::bigint)) v(side, uid)"
        "         WHERE v.uid IS NOT NULL OR (v.side = 'support' AND c.kind <> 'buyer_seller'))"
        " SELECT id FROM c");
DB_STMT(chat_q_open_of_context,
        "SELECT id FROM chats WHERE kind = 'buyer_seller' AND status = 'open' AND buyer_id = $1"
        " AND seller_id = $2 AND coalesce(posting_number, '') = coalesce($3, '')"
        " AND coalesce(product_id, 0) = coalesce($4::bigint, 0)");
DB_STMT(chat_q_can_read, "SELECT 1 FROM chat_sides s WHERE s.chat_id = $1 AND " VIEWER_SIDE);
DB_STMT(chat_q_get,
        "SELECT chat_json(c, s)::text FROM chats c JOIN chat_sides s ON s.chat_id = c.id"
        " WHERE c.id = $1 AND " VIEWER_SIDE);
/* (the third column, the viewer's unread messages of the kind over all chats, is one InitPlan:
 * the list and its total in one round trip) */
#define LIST_SQL(who, total_who)                                                                   \
    "SELECT s.activity, chat_json(c, s)::text,"                                                    \
    " (SELECT coalesce(sum(t.unread), 0) FROM chat_sides t WHERE " total_who                       \
    "   AND t.unread > 0 AND ($3::text IS NULL OR t.kind = $3))"                                   \
    " FROM chat_sides s JOIN chats c ON c.id = s.chat_id"                                          \
    " WHERE " who " AND " DB_BEFORE(                                                               \
        "s.activity",                                                                              \
        "$2") " AND ($3::text IS NULL OR s.kind = $3)"                                             \
              "   AND ($4::text IS NULL OR s.status = $4) AND (NOT $5::bool OR s.unread > 0)"      \
              "   AND ($6::int < 0 OR (s.awaiting_since IS NOT NULL) = ($6::int = 1))"             \
              "   AND ($7::text IS NULL OR ($7 = 'me' AND c.assigned_to = $1)"                     \
              "        OR ($7 = 'none' AND c.assigned_to IS NULL))"                                \
              " ORDER BY s.activity DESC LIMIT $8"
DB_STMT(chat_q_list_user, DB_PAGE_EXTRA("$8", LIST_SQL("s.user_id = $1", "t.user_id = $1")));
DB_STMT(chat_q_list_support,
        DB_PAGE_EXTRA("$8", LIST_SQL("s.side = 'support' AND $1::bigint > 0",
                                     "t.side = 'support' AND $1::bigint > 0")));
DB_STMT(chat_q_total_user,
        "SELECT coalesce(sum(unread), 0) FROM chat_sides"
        " WHERE user_id = $1 AND unread > 0 AND ($2::text IS NULL OR kind = $2)");
DB_STMT(chat_q_total_support,
        "SELECT coalesce(sum(unread), 0) FROM chat_sides"
        " WHERE side = 'support' AND unread > 0 AND ($2::text IS NULL OR kind = $2)"
        "   AND $1::bigint > 0");
DB_STMT(chat_q_unread_chats_user, CHAT_UNREAD_CHATS_SQL("user_id = $1"));
DB_STMT(chat_q_unread_chats_support, CHAT_UNREAD_CHATS_SQL(CHAT_SUPPORT_SIDES));
/* the side row is locked too: a read mark and a message of the other side are then counted
 * in one order */
DB_STMT(chat_q_lock, "SELECT s.side, c.kind, c.status, coalesce(c.buyer_id, 0),"
                     " coalesce(c.seller_id, 0), coalesce(c.assigned_to, 0)"
                     " FROM chats c JOIN chat_sides s ON s.chat_id = c.id"
                     " WHERE c.id = $1 AND " VIEWER_SIDE " FOR NO KEY UPDATE OF c, s");
/* Ordered by (chat_id, id), which only chat_messages_chat_idx gives: ordered by id alone, the
 * generic plan of a small table walked the primary key from the newest message of all chats,
 * filtering on chat_id (bench/README.md, "Chats"). */
/* The page only when the viewer ($4, role $5) has a side in the chat: the access check and the
 * page in one round trip (an empty page then asks chat_q_can_read whether it is 404). */
#define MESSAGES_SIDES                                                                             \
    "WITH sides AS (SELECT side, last_read_id, user_id FROM chat_sides WHERE chat_id = $1)"        \
    " SELECT m.id, chat_message_json(m, (SELECT last_read_id FROM sides"                           \
    "                                    WHERE side <> m.side), u.display_name)::text"             \
    " FROM chat_messages m JOIN users u ON u.id = m.author_id"                                     \
    " WHERE EXISTS (SELECT 1 FROM sides s WHERE s.user_id = $4"                                    \
    "               OR ($5 = 'support' AND s.side = 'support')) AND m.chat_id = $1"
DB_STMT(chat_q_messages_before,
        DB_PAGE("$3", MESSAGES_SIDES
                " AND " DB_BEFORE("m.id", "$2") " ORDER BY m.chat_id DESC, m.id DESC LIMIT $3"));
DB_STMT(chat_q_messages_after,
        DB_PAGE("$3", MESSAGES_SIDES " AND m.id > $2 ORDER BY m.chat_id, m.id LIMIT $3"));
DB_STMT(chat_q_restriction,
        "SELECT json_build_object('reason', reason, 'until', sd_ts(until))::text"
        " FROM chat_restrictions WHERE user_id = $1 AND (until IS NULL OR until > now())");
/* per other buyer who got the text within the hour: seconds until that buyer's latest copy
 * leaves the window, soonest first */
DB_STMT(chat_q_repeats,
        "SELECT greatest(ceil(extract(epoch FROM max(m.created_at) + interval '1 hour' - now())),"
        "                1)::int AS left_s"
        "  FROM chat_messages m JOIN chats c ON c.id = m.chat_id"
        " WHERE m.author_id = $1 AND md5(m.text) = md5($2) AND m.text = $2"
        "   AND m.text IS NOT NULL AND m.created_at > now() - interval '1 hour'"
        "   AND c.kind = 'buyer_seller' AND c.buyer_id <> $3"
        " GROUP BY c.buyer_id ORDER BY left_s");
DB_STMT(chat_q_foreign_file,
        "SELECT coalesce(min(i), 0) FROM unnest($2::bigint[]) i"
        " WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = i AND f.uploader_id = $1)"
        "    OR EXISTS (SELECT 1 FROM review_media rm WHERE rm.file_id = i)");
DB_STMT(chat_q_template,
        "SELECT json_build_object('text', t.text, 'buyer_name', b.display_name,"
        "  'seller_name', s.display_name, 'posting_number', c.posting_number,"
        "  'product_name', p.name)::text"
        "  FROM chat_templates t, chats c LEFT JOIN users b ON b.id = c.buyer_id"
        "  LEFT JOIN users s ON s.id = c.seller_id LEFT JOIN products p ON p.id = c.product_id"
        " WHERE t.id = $2 AND t.owner_id = $1 AND c.id = $3");
DB_STMT(chat_q_add_message,
        "WITH m AS (INSERT INTO chat_messages (chat_id, author_id, side, text, attachment_ids,"
        "                                      template_id)"
        "           VALUES ($1, $2, $3, $4, coalesce($5::bigint[], '{}'), $6) RETURNING *),"
        " act AS (SELECT nextval('chat_activity_seq') AS a),"
        " mine AS (UPDATE chat_sides s SET last_read_id = m.id, unread = 0, awaiting_since = NULL,"
        "                                  activity = act.a"
        "           FROM m, act WHERE s.chat_id = m.chat_id AND s.side = m.side RETURNING 1),"
        " theirs AS (UPDATE chat_sides s SET unread = s.unread + 1,"
        "                   awaiting_since = coalesce(s.awaiting_since, m.created_at),"
        "                   activity = act.a"
        "             FROM m, act WHERE s.chat_id = m.chat_id AND s.side <> m.side"
        "             RETURNING s.last_read_id),"
        " c AS (UPDATE chats SET last_message_id = m.id,"
        "              assigned_to = CASE WHEN m.side = 'support'"
        "                                 THEN coalesce(chats.assigned_to, m.author_id)"
        "                                 ELSE chats.assigned_to END"
        "        FROM m WHERE chats.id = m.chat_id RETURNING 1),"
        " f AS (INSERT INTO chat_files (file_id, chat_id)"
        "        SELECT unnest(m.attachment_ids), m.chat_id FROM m ON CONFLICT DO NOTHING)"
        " SELECT chat_message_json(ROW(m.*)::chat_messages, (SELECT last_read_id FROM theirs),"
        "                          (SELECT display_name FROM users WHERE id = m.author_id))::text"
        "   FROM m WHERE (SELECT count(*) FROM mine) + (SELECT count(*) FROM c) = 2");
DB_STMT(chat_q_read_check, "SELECT 1 FROM chat_messages WHERE id = $2 AND chat_id = $1");
/* the unread count, and whether the mark moved: a mark at or past $3 stays as it is, and
 * nobody hears of a read that changed nothing */
DB_STMT(chat_q_read,
        "WITH u AS (UPDATE chat_sides s SET last_read_id = $3,"
        "       unread = (SELECT count(*) FROM chat_messages m WHERE m.chat_id = s.chat_id"
        "                    AND m.id > $3 AND m.side <> s.side)"
        " WHERE s.chat_id = $1 AND s.side = $2 AND coalesce(s.last_read_id, 0) < $3"
        " RETURNING unread)"
        " SELECT coalesce((SELECT unread FROM u),"
        "                 (SELECT unread FROM chat_sides WHERE chat_id = $1 AND side = $2)),"
        "        EXISTS (SELECT 1 FROM u)");
/* a closed chat takes no answers, so neither side owes one any more */
DB_STMT(chat_q_close,
        "WITH c AS (UPDATE chats SET status = 'closed', closed_at = now(), closed_by = $2"
        "            WHERE id = $1 AND status = 'open' RETURNING id)"
        " UPDATE chat_sides s SET status = 'closed', awaiting_since = NULL FROM c"
        "  WHERE s.chat_id = c.id");

/* One row, first column as int64 (0 when no row); *found tells whether there was one. */
static sd_err one_i64(struct db_conn *conn, const db_stmt *st, int n, const char *const *p,
                      int64_t *v, int *found)
{
    sd_err e = SD_OK;
    PGresult *r = db_exec(conn, st, n, p, &e);
    return r ? db_i64_of(r, v, found) : e;
}

/* Who the chat is between: fills buyer and seller from the context, or refuses. */
static sd_err start_parties(struct db_conn *conn, int64_t actor, auth_role role,
                            const struct chat_start *s, int window_hours, int64_t *buyer,
                            int64_t *seller, enum chat_start_refusal *why)
{
    char a[24], b[24], h[24];
    int found = 0;
    int64_t other = 0;
    sd_err e = SD_OK;
    *buyer = role == ROLE_BUYER ? actor : 0;
    *seller = role == ROLE_SELLER ? actor : 0;
    if (role == ROLE_SUPPORT) {
        const char *p[] = {db_i64(a, s->user_id)};
        PGresult *r = db_exec(conn, &chat_q_user_role, 1, p, &e);
        if (!r)
            return e;
        const char *urole = PQntuples(r) ? db_get_str(r, 0, 0) : NULL;
        const char *want = strcmp(s->kind, "buyer_support") == 0 ? "buyer" : "seller";
        *why = !urole                     ? CHAT_START_NO_USER
               : strcmp(urole, want) != 0 ? CHAT_START_USER_ROLE
                                          : CHAT_START_OK;
        PQclear(r);
        *(strcmp(want, "buyer") == 0 ? buyer : seller) = s->user_id;
        return *why == CHAT_START_OK ? SD_OK : SD_ERR_VALIDATION;
    }
    if (strcmp(s->kind, "buyer_seller") != 0)
        return SD_OK; /* the caller and the support team */
    if (role == ROLE_SELLER) {
        const char *p[] = {s->posting_number, db_i64(a, actor), db_i64(h, window_hours)};
        PGresult *r = db_exec(conn, &chat_q_posting_of_seller, 3, p, &e);
        if (!r)
            return e;
        *why = PQntuples(r) == 0                       ? CHAT_START_NO_POSTING
               : strcmp(db_get_str(r, 0, 1), "t") != 0 ? CHAT_START_WINDOW_OVER
                                                       : CHAT_START_OK;
        *buyer = PQntuples(r) ? db_get_i64(r, 0, 0) : 0;
        PQclear(r);
        /* past the window the parties are still known: an open chat is found, not refused */
        return *why == CHAT_START_NO_POSTING ? SD_ERR_VALIDATION : SD_OK;
    }
    if (s->posting_number) {
        const char *p[] = {s->posting_number, db_i64(a, actor)};
        e = one_i64(conn, &chat_q_posting_of_buyer, 2, p, &other, &found);
    } else {
        const char *p[] = {db_i64(b, s->product_id)};
        e = one_i64(conn, &chat_q_product_seller, 1, p, &other, &found);
    }
    if (e != SD_OK)
        return e;
    if (!found) {
        *why = s->posting_number ? CHAT_START_NO_POSTING : CHAT_START_NO_PRODUCT;
        return SD_ERR_VALIDATION;
    }
    *seller = other;
    return SD_OK;
}

sd_err chat_store_start(struct db_conn *conn, int64_t actor, auth_role role,
                        const struct chat_start *s, int window_hours, json_t **out, int *existed,
                        enum chat_start_refusal *why)
{
    char b[24], se[24], pr[24], as[24], ac[24];
    int64_t buyer = 0, seller = 0, id = 0;
    int found = 0;
    *why = CHAT_START_OK;
    *existed = 0;
    sd_err e = start_parties(conn, actor, role, s, window_hours, &buyer, &seller, why);
    if (e != SD_OK)
        return e;
    const char *pid = s->product_id ? db_i64(pr, s->product_id) : NULL;
    const char *p[] = {s->kind,
                       buyer ? db_i64(b, buyer) : NULL,
                       seller ? db_i64(se, seller) : NULL,
                       s->posting_number,
                       pid,
                       s->reason,
                       s->topic,
                       role == ROLE_SUPPORT ? db_i64(as, actor) : NULL,
                       db_i64(ac, actor)};
    const char *q[] = {p[1], p[2], s->posting_number, pid};
    /* the open chat of the context, if any, is the answer; else a new one. Twice: the open
     * chat that made the insert do nothing may be closed before it is looked up. */
    for (int attempt = 0; attempt < 2 && !found; attempt++) {
        if (strcmp(s->kind, "buyer_seller") == 0 &&
            (e = one_i64(conn, &chat_q_open_of_context, 4, q, &id, &found)) != SD_OK)
            return e;
        if (found) {
            *existed = 1;
            break;
        }
        if (*why == CHAT_START_WINDOW_OVER)
            return SD_ERR_CONFLICT;
        if ((e = one_i64(conn, &chat_q_create, 9, p, &id, &found)) != SD_OK)
            return e;
    }
    if (!found)
        return SD_ERR_INTERNAL;
    *why = CHAT_START_OK;
    return chat_store_get(conn, id, actor, role, out);
}

sd_err chat_store_get(struct db_conn *conn, int64_t chat_id, int64_t viewer, auth_role role,
                      json_t **out)
{
    char c[24], v[24];
    const char *p[] = {db_i64(c, chat_id), db_i64(v, viewer), auth_role_name(role)};
    return db_json_one(conn, &chat_q_get, 3, p, out);
}

const char *const chat_kinds[] = {"buyer_seller", "seller_support", "buyer_support", NULL};

int chat_kind_index(const char *kind)
{
    for (int i = 0; kind && chat_kinds[i]; i++)
        if (strcmp(kind, chat_kinds[i]) == 0)
            return i;
    return -1;
}

void chat_store_can_read_read(struct db_read *rd, int64_t chat_id, int64_t viewer, auth_role role)
{
    rd->st = &chat_q_can_read;
    rd->n = 3;
    db_read_i64(rd, 0, chat_id);
    db_read_i64(rd, 1, viewer);
    rd->params[2] = auth_role_name(role);
}

void chat_store_list_read(struct db_read *rd, const struct chat_list_query *q)
{
    rd->st = q->role == ROLE_SUPPORT ? &chat_q_list_support : &chat_q_list_user;
    rd->n = 8;
    db_read_i64(rd, 0, q->viewer);
    db_read_i64(rd, 1, q->before);
    rd->params[2] = q->kind;
    rd->params[3] = q->status;
    rd->params[4] = q->unread_only ? "true" : "false";
    db_read_i64(rd, 5, q->awaiting);
    rd->params[6] = q->assigned;
    db_read_i64(rd, 7, q->limit + 1);
}

void chat_store_total_unread_read(struct db_read *rd, int64_t viewer, auth_role role,
                                  const char *kind)
{
    rd->st = role == ROLE_SUPPORT ? &chat_q_total_support : &chat_q_total_user;
    rd->n = 2;
    db_read_i64(rd, 0, viewer);
    rd->params[1] = kind;
}

sd_err chat_store_unread_chats(struct db_conn *conn, int64_t viewer, auth_role role, json_t **out)
{
    char v[24];
    const char *p[] = {db_i64(v, viewer)};
    return db_json_one(
        conn, role == ROLE_SUPPORT ? &chat_q_unread_chats_support : &chat_q_unread_chats_user, 1, p,
        out);
}

sd_err chat_store_lock(struct db_conn *conn, int64_t chat_id, int64_t viewer, auth_role role,
                       struct chat_side_info *out)
{
    char c[24], v[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(c, chat_id), db_i64(v, viewer), auth_role_name(role)};
    PGresult *r = db_exec(conn, &chat_q_lock, 3, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    memset(out, 0, sizeof *out);
    snprintf(out->side, sizeof out->side, "%s", db_get_str(r, 0, 0));
    snprintf(out->kind, sizeof out->kind, "%s", db_get_str(r, 0, 1));
    snprintf(out->status, sizeof out->status, "%s", db_get_str(r, 0, 2));
    out->buyer_id = db_get_i64(r, 0, 3);
    out->seller_id = db_get_i64(r, 0, 4);
    out->assigned_to = db_get_i64(r, 0, 5);
    PQclear(r);
    /* a message from the support team goes to the customer; one from the customer to the
     * agent who took the chat (nobody yet: the shared inbox shows it) */
    if (strcmp(out->side, "support") == 0)
        out->notify_user = out->buyer_id ? out->buyer_id : out->seller_id;
    else if (strcmp(out->kind, "buyer_seller") != 0)
        out->notify_user = out->assigned_to;
    else
        out->notify_user = strcmp(out->side, "buyer") == 0 ? out->seller_id : out->buyer_id;
    return SD_OK;
}

void chat_store_messages_read(struct db_read *rd, int64_t chat_id, int64_t viewer, auth_role role,
                              int64_t before, int64_t after, int limit)
{
    rd->st = after > 0 ? &chat_q_messages_after : &chat_q_messages_before;
    rd->n = 5;
    db_read_i64(rd, 0, chat_id);
    db_read_i64(rd, 1, after > 0 ? after : before);
    db_read_i64(rd, 2, limit + 1);
    db_read_i64(rd, 3, viewer);
    rd->params[4] = auth_role_name(role);
}

sd_err chat_store_restriction(struct db_conn *conn, int64_t user_id, json_t **out)
{
    char u[24];
    const char *p[] = {db_i64(u, user_id)};
    sd_err e = db_json_one(conn, &chat_q_restriction, 1, p, out);
    if (e == SD_ERR_NOT_FOUND) {
        *out = NULL;
        return SD_OK;
    }
    return e;
}

sd_err chat_store_repeats(struct db_conn *conn, int64_t author, const char *text,
                          int64_t except_buyer, int limit, int64_t *buyers, int *retry_after_s)
{
    char a[24], b[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(a, author), text, db_i64(b, except_buyer)};
    PGresult *r = db_exec(conn, &chat_q_repeats, 3, p, &e);
    if (!r)
        return e;
    int n = PQntuples(r);
    *buyers = n;
    /* the count falls below the limit when the (n - limit + 1)-th soonest buyer drops out */
    *retry_after_s = n >= limit && limit > 0 ? (int)db_get_i64(r, n - limit, 0) : 0;
    PQclear(r);
    return SD_OK;
}

sd_err chat_store_foreign_file(struct db_conn *conn, int64_t author, const char *ids, int64_t *bad)
{
    char a[24];
    int found = 0;
    const char *p[] = {db_i64(a, author), ids};
    return one_i64(conn, &chat_q_foreign_file, 2, p, bad, &found);
}

sd_err chat_store_template(struct db_conn *conn, int64_t owner, int64_t template_id,
                           int64_t chat_id, json_t **out)
{
    char o[24], t[24], c[24];
    const char *p[] = {db_i64(o, owner), db_i64(t, template_id), db_i64(c, chat_id)};
    return db_json_one(conn, &chat_q_template, 3, p, out);
}

sd_err chat_store_add_message(struct db_conn *conn, const struct chat_message_new *m, json_t **out)
{
    char c[24], a[24], t[24];
    const char *p[] = {db_i64(c, m->chat_id),
                       db_i64(a, m->author),
                       m->side,
                       m->text,
                       m->attachment_ids,
                       m->template_id ? db_i64(t, m->template_id) : NULL};
    sd_err e = db_json_one(conn, &chat_q_add_message, 6, p, out);
    /* no row: the sides were not both there, which the schema does not allow */
    return e == SD_ERR_NOT_FOUND ? SD_ERR_INTERNAL : e;
}

sd_err chat_store_read(struct db_conn *conn, int64_t chat_id, const char *side, int64_t message_id,
                       int64_t *unread, int *moved)
{
    char c[24], m[24];
    int found = 0;
    int64_t one = 0;
    const char *p[] = {db_i64(c, chat_id), db_i64(m, message_id)};
    sd_err e = one_i64(conn, &chat_q_read_check, 2, p, &one, &found);
    if (e != SD_OK)
        return e;
    if (!found)
        return SD_ERR_VALIDATION;
    const char *q[] = {p[0], side, p[1]};
    PGresult *r = db_exec(conn, &chat_q_read, 3, q, &e);
    if (!r)
        return e;
    *unread = db_get_i64(r, 0, 0);
    *moved = PQgetvalue(r, 0, 1)[0] == 't';
    PQclear(r);
    return SD_OK;
}

sd_err chat_store_close(struct db_conn *conn, int64_t chat_id, int64_t actor)
{
    char c[24], a[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(c, chat_id), db_i64(a, actor)};
    PGresult *r = db_exec(conn, &chat_q_close, 2, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}
