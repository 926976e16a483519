#include "dispute_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispute_rules.h"

/* A deadline secs from now, rounded up to a whole second: the deadline order's cursor carries
 * it in seconds, exactly. */
#define DISPUTE_DEADLINE_AT(secs)                                                                  \
    "date_trunc('second', now() + make_interval(secs => " secs "::bigint)"                         \
    " + interval '999999 microseconds')"

/* What k units of line i cost the buyer: the whole line's price paid (action prices included)
 * when all its units are disputed, else that share of it, rounded down: a refund never exceeds
 * what was paid. */
#define DISPUTE_ITEM_PAID(i, k)                                                                    \
    "(CASE WHEN " k " = " i ".quantity THEN posting_item_paid(" i ")"                              \
    " ELSE posting_item_paid(" i ") * " k " / " i ".quantity END)"

/* The posting of buyer $2 named $1: whether it may be disputed now ($3 seconds after delivery;
 * a posting in delivery once $4 seconds past its hand-over, when it was expected), its open
 * dispute, and the chosen items ($5: [{product_id, quantity}], NULL for all): their cost and,
 * per chosen item that does not fit, its place and why. */
DB_STMT(dispute_q_purchase,
        "WITH po AS (SELECT * FROM postings WHERE posting_number = $1 AND buyer_id "
        "= $2),"
        " q AS (SELECT e.n, (e.v->>'product_id')::bigint AS product_id,"
        "              (e.v->>'quantity')::int AS quantity"
        "         FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY e(v, n)),"
        " bad AS (SELECT q.n, CASE WHEN i.product_id IS NULL THEN 'not_found'"
        "                     WHEN row_number() OVER (PARTITION BY q.product_id"
        "                                             ORDER BY q.n) > 1 THEN 'duplicate'"
        "                     WHEN q.quantity > i.quantity THEN 'too_many' END AS "
        "problem"
        "           FROM q LEFT JOIN posting_items i"
        "             ON i.posting_id = (SELECT id FROM po) AND i.product_id = "
        "q.product_id)"
        " SELECT po.id, po.seller_id,"
        "  CASE WHEN po.status = 'delivered'"
        "        AND po.delivered_at + make_interval(secs => $3::bigint) >= now() "
        "THEN NULL"
        "       WHEN po.status = 'delivered' THEN 'window_over'"
        "       WHEN po.status = 'delivering'"
        "        AND po.delivering_at + make_interval(secs => $4::bigint) < now() "
        "THEN NULL"
        "       WHEN po.status = 'delivering' THEN 'not_yet_due'"
        "       ELSE 'not_disputable' END,"
        "  coalesce((SELECT d.id FROM disputes d"
        "             WHERE d.posting_id = po.id AND d.closed_at IS NULL), 0),"
        "  coalesce((SELECT sum(" DISPUTE_ITEM_PAID(
            "i", "least(coalesce(q.quantity, i.quantity),"
                 "                                                           "
                 "i.quantity)") ")"
                                "              FROM posting_items i LEFT JOIN q ON "
                                "q.product_id = i.product_id"
                                "             WHERE i.posting_id = po.id AND "
                                "($5::jsonb IS NULL OR q.n IS NOT NULL)), 0),"
                                "  (SELECT json_agg(json_build_object('n', n, "
                                "'problem', problem) ORDER BY n)"
                                "     FROM bad WHERE problem IS NOT NULL)::text"
                                " FROM po");

/* The items are written as they were bought (name, list price and what the chosen units
 * cost the buyer), only the quantity chosen; the sides of the thread and the files come with the
 * dispute. */
DB_STMT(
    dispute_q_create,
    "WITH q AS (SELECT (v->>'product_id')::bigint AS product_id, (v->>'quantity')::int AS qty"
    "             FROM jsonb_array_elements($11::jsonb) v),"
    " sel AS (SELECT i.product_id, coalesce(q.qty, i.quantity) AS quantity, i.price,"
    "                " DISPUTE_ITEM_PAID(
        "i",
        "coalesce(q.qty, i.quantity)") " AS paid, p.name"
                                       "           FROM posting_items i JOIN products p ON p.id = "
                                       "i.product_id"
                                       "           LEFT JOIN q ON q.product_id = i.product_id"
                                       "          WHERE i.posting_id = $1 AND ($11::jsonb IS NULL "
                                       "OR q.product_id IS NOT NULL)),"
                                       " d AS (INSERT INTO disputes (posting_id, posting_number, "
                                       "buyer_id, seller_id, reason,"
                                       "                             text, requested, amount, "
                                       "paid, items, media, deadline)"
                                       "       SELECT $1, $2, $3, $4, $5, $6, $7, $8::bigint, "
                                       "$9::bigint,"
                                       "              (SELECT "
                                       "jsonb_agg(jsonb_build_object('product_id', product_id, "
                                       "'name', name,"
                                       "                      'quantity', quantity, 'price', "
                                       "price, 'paid', paid)"
                                       "                      ORDER BY product_id)"
                                       "                 FROM sel),"
                                       "              coalesce($10::bigint[], '{}'),"
                                       "              " DISPUTE_DEADLINE_AT(
                                           "$12") ""
                                                  "       ON CONFLICT (posting_id) WHERE closed_at "
                                                  "IS NULL"
                                                  "       DO NOTHING"
                                                  "       RETURNING id, buyer_id, seller_id, "
                                                  "media, amount, "
                                                  "text),"
                                                  " ev AS (INSERT INTO dispute_events (dispute_id, "
                                                  "actor_id, "
                                                  "actor_role, action, to_state,"
                                                  "                                    amount, "
                                                  "reason, text)"
                                                  "        SELECT d.id, d.buyer_id, 'buyer', "
                                                  "'open', "
                                                  "'awaiting_seller', d.amount, $5, d.text"
                                                  "          FROM d),"
                                                  " s AS (INSERT INTO dispute_sides (dispute_id, "
                                                  "side, "
                                                  "user_id)"
                                                  "       SELECT d.id, v.side, v.uid FROM d,"
                                                  "              LATERAL (VALUES ('buyer', "
                                                  "d.buyer_id), "
                                                  "('seller', d.seller_id),"
                                                  "                              ('support', "
                                                  "NULL::bigint)) "
                                                  "v(side, uid)),"
                                                  " f AS (INSERT INTO dispute_files (file_id, "
                                                  "dispute_id)"
                                                  "       SELECT DISTINCT unnest(d.media), d.id "
                                                  "FROM d)"
                                                  " SELECT id FROM d");

DB_STMT(dispute_q_open_of_posting,
        "SELECT id FROM disputes WHERE posting_id = $1 AND closed_at IS NULL");

/* Who may see dispute d: its buyer ($2 with role $3 buyer), its seller, support. */
#define DISPUTE_VISIBLE                                                                            \
    "(($3 = 'buyer' AND d.buyer_id = $2) OR ($3 = 'seller' AND d.seller_id = $2)"                  \
    " OR ($3 = 'support' AND $2::bigint > 0))"
DB_STMT(dispute_q_get,
        "SELECT dispute_json(d, $3)::text,"
        "       CASE WHEN $4::bool THEN (SELECT coalesce(json_agg(dispute_event_json(e)"
        "                                                ORDER BY e.id), '[]')"
        "                                  FROM dispute_events e WHERE e.dispute_id = d.id)::text"
        "       END"
        "  FROM disputes d WHERE d.id = $1 AND " DISPUTE_VISIBLE);
DB_STMT(dispute_q_lock,
        "SELECT d.state, coalesce(d.deadline <= now(), false), d.buyer_id, d.seller_id, d.paid,"
        "       coalesce(d.amount, 0), coalesce(d.offer_amount, 0), d.requested"
        "  FROM disputes d WHERE d.id = $1 AND " DISPUTE_VISIBLE " FOR UPDATE");

/* Only from the state the caller saw under its lock; a member given as NULL keeps its value. */
DB_STMT(
    dispute_q_move,
    "WITH d AS (UPDATE disputes SET state = $3, updated_at = now(),"
    "             deadline = CASE WHEN $16::bigint > 0"
    "                        THEN " DISPUTE_DEADLINE_AT(
        "$16") " END,"
               "             closed_at = CASE WHEN $17::bool THEN now() END,"
               "             offer_amount = coalesce($9::bigint, offer_amount),"
               "             offer_text = coalesce($10, offer_text),"
               "             reject_reason = coalesce($11, reject_reason),"
               "             reject_text = coalesce($12, reject_text),"
               "             outcome = coalesce($13, outcome),"
               "             outcome_amount = coalesce($14::bigint, outcome_amount),"
               "             decision = coalesce($15, decision),"
               "             decision_reason = coalesce($18, decision_reason),"
               "             decided_by = CASE WHEN $15 IS NULL THEN decided_by ELSE $4::bigint END"
               "            WHERE id = $1 AND state = $2 RETURNING id)"
               " INSERT INTO dispute_events (dispute_id, actor_id, actor_role, action, from_state,"
               "                             to_state, amount, reason, text)"
               " SELECT d.id, $4::bigint, $5, $6, $2, $3, $7::bigint, $8, $19 FROM d RETURNING id");

/* A list: $1 viewer, $2 role, $3 state, $4 posting, $5 overdue, $6 after, $7 limit + 1. */
#define DISPUTE_LIST_SQL(keyset, order)                                                            \
    "SELECT d.id, dispute_json(d, $2)::text, d.state,"                                             \
    "       CASE WHEN d.deadline IS NULL THEN 9223372036854775807"                                 \
    "            ELSE extract(epoch FROM d.deadline)::bigint END"                                  \
    "  FROM disputes d"                                                                            \
    " WHERE " DISPUTE_LIST_WHO " AND ($3::text IS NULL OR d.state = $3)"                           \
    "   AND ($4::text IS NULL OR d.posting_number = $4)"                                           \
    "   AND ($5::bool IS NULL OR (d.closed_at IS NULL AND d.deadline < now()) = $5)"               \
    "   AND " keyset " ORDER BY " order " LIMIT $7"
#define DISPUTE_LIST_WHO                                                                           \
    "(($2 = 'buyer' AND d.buyer_id = $1) OR ($2 = 'seller' AND d.seller_id = $1)"                  \
    " OR $2 = 'support')"
DB_QUERY(dispute_q_list_newest, DISPUTE_LIST_SQL(DB_BEFORE("d.id", "$6"), "d.id DESC"));
/* oldest deadline first, final ones (no deadline) last. The keyset is the previous page's last
 * (deadline, id) as the cursor carries it ($6 the deadline in epoch seconds, the largest bigint
 * for none; $8 the id): deadlines are whole seconds, so the key is exact, and a row that moved
 * since does not move the page. */
#define DISPUTE_DEADLINE_KEY                                                                       \
    "(CASE WHEN $6::bigint = 9223372036854775807 THEN 'infinity'::timestamptz"                     \
    " ELSE to_timestamp($6::bigint) END, $8::bigint)"
DB_QUERY(dispute_q_list_deadline,
         DISPUTE_LIST_SQL(
             "($8::bigint = 0 OR (coalesce(d.deadline, 'infinity'), d.id) > " DISPUTE_DEADLINE_KEY
             ")",
             "coalesce(d.deadline, 'infinity'), d.id"));

/* planned per call: the role's condition folds away, and a seller's overdue disputes come
 * from the seller's index of open ones */
DB_QUERY(dispute_q_counts,
         "SELECT json_build_object("
         "  'by_state', (SELECT coalesce(json_object_agg(state, n), '{}') FROM dispute_counts"
         "                WHERE party_id = $3 AND n > 0),"
         "  'open', (SELECT coalesce(sum(n), 0) FROM dispute_counts WHERE party_id = $3"
         "            AND state IN ('awaiting_seller', 'offered', 'rejected', 'awaiting_support')),"
         "  'overdue', (SELECT count(*) FROM disputes d WHERE d.closed_at IS NULL"
         "               AND d.deadline < now() AND " DISPUTE_LIST_WHO "))::text");

DB_STMT(dispute_q_due, "SELECT id FROM disputes"
                       " WHERE closed_at IS NULL AND deadline <= now()"
                       "   AND state IN ('awaiting_seller', 'offered', 'rejected')"
                       " ORDER BY deadline LIMIT $1");
/* one of them, if still due and not being moved by someone else right now */
DB_STMT(dispute_q_lock_due,
        "SELECT d.state, true, d.buyer_id, d.seller_id, d.paid, coalesce(d.amount, 0),"
        "       coalesce(d.offer_amount, 0), d.requested"
        "  FROM disputes d WHERE d.id = $1 AND d.closed_at IS NULL AND d.deadline <= now()"
        " FOR UPDATE SKIP LOCKED");
DB_STMT(dispute_q_parties,
        "SELECT buyer_id, seller_id, posting_number FROM disputes WHERE id = $1");

static const char *opt_i64(char *buf, int64_t v)
{
    return v ? db_i64(buf, v) : NULL;
}

static const char *role_text(auth_role role)
{
    return auth_role_name(role);
}

sd_err dispute_store_purchase(struct db_conn *conn, int64_t buyer_id, const char *posting_number,
                              const json_t *items, long long open_s, long long expected_s,
                              struct dispute_purchase *out)
{
    char b[24], o[24], x[24];
    char *itext = items ? json_dumps(items, JSON_COMPACT) : NULL;
    sd_err e = SD_OK;
    const char *p[] = {posting_number, db_i64(b, buyer_id), db_i64(o, open_s),
                       db_i64(x, expected_s), itext};
    memset(out, 0, sizeof *out);
    PGresult *r = db_exec(conn, &dispute_q_purchase, 5, p, &e);
    free(itext);
    if (!r)
        return e;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    static const char *const refusals[] = {"window_over", "not_yet_due", "not_disputable"};
    const char *why = db_get_str(r, 0, 2);
    out->posting_id = db_get_i64(r, 0, 0);
    out->seller_id = db_get_i64(r, 0, 1);
    for (size_t i = 0; why && i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(why, refusals[i]) == 0)
            out->refusal = refusals[i];
    out->existing = db_get_i64(r, 0, 3);
    out->paid = db_get_i64(r, 0, 4);
    out->item_errors = json_array();
    const char *bad = db_get_str(r, 0, 5);
    json_t *list = bad ? json_loads(bad, 0, NULL) : NULL, *v;
    size_t i;
    json_array_foreach(list, i, v)
    {
        static const struct {
            const char *code, *message;
        } why_item[] = {
            {"not_found", "is not a product of this posting"},
            {"duplicate", "names a product listed before"},
            {"too_many", "is more than were bought"},
        };
        const char *code = json_string_value(json_object_get(v, "problem"));
        char field[40];
        snprintf(field, sizeof field, "items[%lld]",
                 (long long)json_integer_value(json_object_get(v, "n")) - 1);
        for (size_t k = 0; code && k < sizeof why_item / sizeof why_item[0]; k++)
            if (strcmp(why_item[k].code, code) == 0)
                json_array_append_new(out->item_errors,
                                      json_pack("{s:s, s:s, s:s}", "field", field, "code", code,
                                                "message", why_item[k].message));
    }
    json_decref(list);
    PQclear(r);
    return SD_OK;
}

sd_err dispute_store_create(struct db_conn *conn, const struct dispute_new *d, int64_t *id)
{
    char po[24], b[24], s[24], a[24], paid[24], dl[24];
    char *itext = d->items ? json_dumps(d->items, JSON_COMPACT) : NULL;
    sd_err e = SD_OK;
    const char *p[] = {db_i64(po, d->purchase->posting_id),
                       d->posting_number,
                       db_i64(b, d->buyer_id),
                       db_i64(s, d->purchase->seller_id),
                       d->reason,
                       d->text,
                       d->requested,
                       opt_i64(a, d->amount),
                       db_i64(paid, d->purchase->paid),
                       d->media,
                       itext,
                       db_i64(dl, d->seller_s)};
    PGresult *r = db_exec(conn, &dispute_q_create, 12, p, &e);
    free(itext);
    if (!r)
        return e;
    if (PQntuples(r) == 1) {
        *id = db_get_i64(r, 0, 0);
        PQclear(r);
        return SD_OK;
    }
    PQclear(r);
    /* another request opened one since the check: that one, committed, is the answer's */
    const char *q[] = {p[0]};
    if (!(r = db_exec(conn, &dispute_q_open_of_posting, 1, q, &e)))
        return e;
    *id = PQntuples(r) == 1 ? db_get_i64(r, 0, 0) : 0;
    PQclear(r);
    return SD_ERR_CONFLICT;
}

sd_err dispute_store_get(struct db_conn *conn, int64_t id, int64_t viewer, auth_role role, int full,
                         json_t **out)
{
    char i[24], v[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(i, id), db_i64(v, viewer), role_text(role), full ? "true" : "false"};
    PGresult *r = db_exec(conn, &dispute_q_get, 4, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    *out = json_loads(db_get_str(r, 0, 0), 0, NULL);
    json_t *history = full ? json_loads(db_get_str(r, 0, 1), 0, NULL) : NULL;
    PQclear(r);
    if (!*out || (full && !history)) {
        json_decref(*out);
        json_decref(history);
        *out = NULL;
        return SD_ERR_INTERNAL;
    }
    if (history)
        json_object_set_new(*out, "history", history);
    return SD_OK;
}

static sd_err lock_row(struct db_conn *conn, const db_stmt *stmt, int n, const char *const *p,
                       struct dispute_locked *out)
{
    sd_err e = SD_OK;
    PGresult *r = db_exec(conn, stmt, n, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    snprintf(out->state, sizeof out->state, "%s", db_get_str(r, 0, 0));
    out->due = strcmp(db_get_str(r, 0, 1), "t") == 0;
    out->buyer_id = db_get_i64(r, 0, 2);
    out->seller_id = db_get_i64(r, 0, 3);
    out->paid = db_get_i64(r, 0, 4);
    out->amount = db_get_i64(r, 0, 5);
    out->offer_amount = db_get_i64(r, 0, 6);
    snprintf(out->requested, sizeof out->requested, "%s", db_get_str(r, 0, 7));
    PQclear(r);
    return SD_OK;
}

sd_err dispute_store_lock(struct db_conn *conn, int64_t id, int64_t viewer, auth_role role,
                          struct dispute_locked *out)
{
    char i[24], v[24];
    const char *p[] = {db_i64(i, id), db_i64(v, viewer), role_text(role)};
    return lock_row(conn, &dispute_q_lock, 3, p, out);
}

sd_err dispute_store_lock_due(struct db_conn *conn, int64_t id, struct dispute_locked *out)
{
    char i[24];
    const char *p[] = {db_i64(i, id)};
    return lock_row(conn, &dispute_q_lock_due, 1, p, out);
}

sd_err dispute_store_move(struct db_conn *conn, int64_t id, const struct dispute_move *m)
{
    char i[24], actor[24], amount[24], offer[24], outcome[24], dl[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(i, id),
                       m->from,
                       m->to,
                       opt_i64(actor, m->actor_id),
                       m->actor_role,
                       m->action,
                       opt_i64(amount, m->amount),
                       m->reason,
                       opt_i64(offer, m->offer_amount),
                       m->offer_text,
                       m->reject_reason,
                       m->reject_text,
                       m->outcome,
                       opt_i64(outcome, m->outcome_amount),
                       m->decision,
                       db_i64(dl, m->deadline_s),
                       m->final ? "true" : "false",
                       m->decision_reason,
                       m->text};
    PGresult *r = db_exec(conn, &dispute_q_move, 19, p, &e);
    if (!r)
        return e;
    /* the caller holds the row lock, so the state is the one it saw */
    e = PQntuples(r) == 1 ? SD_OK : SD_ERR_CONFLICT;
    PQclear(r);
    return e;
}

/* The rows (id, dispute, state, deadline key) joined into a JSON array as PostgreSQL wrote
 * them, each with the caller's allowed actions spliced in before its closing brace: parsing
 * a page and printing it again to add one member was most of a list's CPU (bench/README.md,
 * "Disputes"). The actions of each state are printed once per page. */
static sd_err dispute_page(PGresult *r, auth_role role, int limit, char **items, int *has_more,
                           int64_t *last, int64_t *last_key)
{
    char *actions[16] = {0};
    int rows = PQntuples(r), nstates = 0;
    size_t len = 3;
    sd_err e = SD_OK;
    while (dispute_states[nstates] && nstates < 16)
        nstates++;
    *has_more = rows > limit;
    rows = rows > limit ? limit : rows;
    for (int i = 0; i < rows; i++) {
        int k = 0;
        while (k < nstates && strcmp(dispute_states[k], PQgetvalue(r, i, 2)) != 0)
            k++;
        if (k == nstates || PQgetlength(r, i, 1) < 2) {
            e = SD_ERR_INTERNAL;
            goto done;
        }
        if (!actions[k]) {
            json_t *a = dispute_allowed_actions(role, dispute_states[k]);
            actions[k] = json_dumps(a, JSON_COMPACT);
            json_decref(a);
            if (!actions[k]) {
                e = SD_ERR_INTERNAL;
                goto done;
            }
        }
        len += (size_t)PQgetlength(r, i, 1) + strlen(actions[k]) + sizeof ",\"allowed_actions\":";
    }
    char *out = malloc(len), *p = out;
    if (!out) {
        e = SD_ERR_INTERNAL;
        goto done;
    }
    *p++ = '[';
    for (int i = 0; i < rows; i++) {
        int k = 0;
        while (strcmp(dispute_states[k], PQgetvalue(r, i, 2)) != 0)
            k++;
        size_t n = (size_t)PQgetlength(r, i, 1) - 1; /* without its closing brace */
        if (i)
            *p++ = ',';
        memcpy(p, PQgetvalue(r, i, 1), n);
        p += n;
        p += sprintf(p, ",\"allowed_actions\":%s}", actions[k]);
        *last = db_get_i64(r, i, 0);
        *last_key = db_get_i64(r, i, 3);
    }
    memcpy(p, "]", 2);
    *items = out;
done:
    for (int k = 0; k < 16; k++)
        free(actions[k]);
    return e;
}

sd_err dispute_store_list(struct db_conn *conn, const struct dispute_filter *f, char **items,
                          int *has_more, int64_t *last, int64_t *last_key)
{
    char v[24], a[24], l[24], id[24];
    int deadline = f->sort == DISPUTE_DEADLINE;
    sd_err e = SD_OK;
    const char *p[] = {db_i64(v, f->viewer),
                       role_text(f->role),
                       f->state,
                       f->posting_number,
                       f->overdue < 0 ? NULL
                       : f->overdue   ? "true"
                                      : "false",
                       db_i64(a, deadline ? f->after_key : f->after),
                       db_i64(l, f->limit + 1),
                       db_i64(id, f->after)};
    PGresult *r = db_exec(conn, deadline ? &dispute_q_list_deadline : &dispute_q_list_newest,
                          deadline ? 8 : 7, p, &e);
    if (!r)
        return e;
    *last = *last_key = 0;
    e = dispute_page(r, f->role, f->limit, items, has_more, last, last_key);
    PQclear(r);
    return e;
}

sd_err dispute_store_counts(struct db_conn *conn, int64_t viewer, auth_role role, json_t **out)
{
    char v[24], party[24];
    const char *p[] = {db_i64(v, viewer), role_text(role),
                       db_i64(party, role == ROLE_SUPPORT ? 0 : viewer)};
    return db_json_one(conn, &dispute_q_counts, 3, p, out);
}

sd_err dispute_store_due(struct db_conn *conn, int max, int64_t *ids, int *n)
{
    char m[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(m, max)};
    PGresult *r = db_exec(conn, &dispute_q_due, 1, p, &e);
    if (!r)
        return e;
    *n = PQntuples(r) < max ? PQntuples(r) : max;
    for (int i = 0; i < *n; i++)
        ids[i] = db_get_i64(r, i, 0);
    PQclear(r);
    return SD_OK;
}

sd_err dispute_store_parties(struct db_conn *conn, int64_t id, int64_t *buyer_id,
                             int64_t *seller_id, char posting_number[40])
{
    char i[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(i, id)};
    PGresult *r = db_exec(conn, &dispute_q_parties, 1, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    *buyer_id = db_get_i64(r, 0, 0);
    *seller_id = db_get_i64(r, 0, 1);
    snprintf(posting_number, 40, "%s", db_get_str(r, 0, 2));
    PQclear(r);
    return SD_OK;
}
