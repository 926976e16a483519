#include "moderation_workflow_store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notification_store.h"

/* One branch of the queue per kind, each walking its own partial index of pending ids. */
#define QUEUE_FILTERS(t)                                                                           \
    " AND " t ".id > $2::bigint AND ($3::bool IS NULL OR (" t ".flags <> '[]'::jsonb) = $3)"       \
    " AND ($4::bool IS NULL OR (" t ".moderation_due_at < now()) = $4)"
#define QUEUE_COMMON(t)                                                                            \
    "'text', " t ".text, 'flags', " t ".flags, 'submitted_at', sd_ts(" t ".created_at),"           \
    " 'due_at', sd_ts(" t ".moderation_due_at), 'overdue', " t ".moderation_due_at < now(),"       \
    " 'author', json_build_object('id', u.id, 'role', u.role, 'display_name', u.display_name),"    \
    " 'product', json_build_object('id', p.id, 'sku', p.sku, 'name', p.name)"

DB_STMT(
    mwf_q_queue,
    "SELECT id, j FROM ("
    " (SELECT q.id, json_build_object('kind', 'question', 'id', q.id, " QUEUE_COMMON(
        "q") ") AS j"
             " FROM questions q JOIN users u ON u.id = q.buyer_id"
             " JOIN products p ON p.id = q.product_id"
             " WHERE q.moderation_status = 'pending' AND coalesce($1::text, 'question') = "
             "'question'" QUEUE_FILTERS(
                 "q") " ORDER BY q.id LIMIT $5)"
                      " UNION ALL"
                      " (SELECT a.id, json_build_object('kind', 'answer', 'id', "
                      "a.id, " QUEUE_COMMON(
                          "a") ", 'question', json_build_object('id', q.id, 'text', q.text)) AS j"
                               " FROM answers a JOIN questions q ON q.id = a.question_id"
                               " JOIN users u ON u.id = a.seller_id"
                               " JOIN products p ON p.id = q.product_id"
                               " WHERE a.moderation_status = 'pending' AND a.deleted_at IS NULL"
                               " AND coalesce($1::text, 'answer') = 'answer'" QUEUE_FILTERS(
                                   "a") " ORDER BY a.id LIMIT $5)"
                                        ") x ORDER BY id LIMIT $5");

/* The item and who a decision concerns, locked until commit: a second decision waits here and
 * then finds the item decided. */
DB_STMT(mwf_q_lock_question,
        "SELECT q.moderation_status, false, q.id, q.seller_id, q.buyer_id, q.product_id, p.name"
        " FROM questions q JOIN products p ON p.id = q.product_id WHERE q.id = $1 FOR UPDATE OF q");
DB_STMT(mwf_q_lock_answer,
        "SELECT a.moderation_status, a.deleted_at IS NOT NULL, q.id, a.seller_id, q.buyer_id,"
        " q.product_id, p.name FROM answers a JOIN questions q ON q.id = a.question_id"
        " JOIN products p ON p.id = q.product_id WHERE a.id = $1 FOR UPDATE OF a");
DB_STMT(mwf_q_record,
        "INSERT INTO moderation_decisions (kind, item_id, decision, reason, decided_by)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING json_build_object('kind', kind, 'id', item_id,"
        " 'decision', decision, 'reason', reason, 'decided_by', decided_by,"
        " 'decided_at', sd_ts(decided_at), 'moderation_status',"
        " CASE decision WHEN 'approve' THEN 'approved' ELSE 'rejected' END)");
DB_STMT(mwf_q_set_question,
        "UPDATE questions SET moderation_status = $2, moderation_reason = $3, moderated_by = $4,"
        " moderated_at = now(), updated_at = now() WHERE id = $1");
DB_STMT(mwf_q_set_answer,
        "UPDATE answers SET moderation_status = $2, moderation_reason = $3, moderated_by = $4,"
        " moderated_at = now(), updated_at = now() WHERE id = $1");
/* processed exactly while at least one answer is published (the table's CHECK holds it) */
DB_STMT(mwf_q_publish,
        "UPDATE questions SET published_answers = published_answers + 1, status = 'processed',"
        " updated_at = now() WHERE id = $1 RETURNING published_answers");
DB_STMT(mwf_q_unpublish,
        "UPDATE questions SET published_answers = published_answers - 1,"
        " status = CASE WHEN published_answers > 1 THEN 'processed' ELSE 'viewed' END,"
        " updated_at = now() WHERE id = $1 AND published_answers > 0");

sd_err moderation_workflow_queue(struct db_conn *conn, const struct moderation_queue_query *q,
                                 char **items, int *has_more, int64_t *last_id)
{
    char after[24], lim[24];
    const char *tf[] = {"false", "true"};
    const char *p[] = {q->kind, db_i64(after, q->after_id),
                       q->flagged < 0 ? NULL : tf[q->flagged != 0],
                       q->overdue < 0 ? NULL : tf[q->overdue != 0], db_i64(lim, q->limit + 1)};
    return db_json_page(conn, &mwf_q_queue, 5, p, q->limit, items, has_more, last_id);
}

/* Who and what a decision concerns. */
struct mwf_item {
    const char *kind;
    int64_t id, question_id, seller_id, buyer_id, product_id;
    const char *product_name;
};

/* printf into a fresh buffer (caller frees); NULL when out of memory. */
static char *mwf_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *mwf_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static sd_err mwf_notify(struct db_conn *conn, int64_t user, const char *event, const char *title,
                         char *body, json_t *data)
{
    sd_err e = body && data ? notification_store_create(conn, user, event, title, body, data)
                            : SD_ERR_INTERNAL;
    free(body);
    json_decref(data);
    return e;
}

/* The effects of a decision beyond the item itself. */
static sd_err mwf_effects(struct db_conn *conn, const struct mwf_item *it, int approve,
                          const char *reason)
{
    char qid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(qid, it->question_id)};
    if (strcmp(it->kind, "question") == 0) {
        if (approve)
            return mwf_notify(
                conn, it->seller_id, "question.new", "New product question",
                mwf_printf("A buyer asked a question about \"%s\".", it->product_name),
                json_pack("{s:I, s:I}", "question_id", (json_int_t)it->id, "product_id",
                          (json_int_t)it->product_id));
        return mwf_notify(conn, it->buyer_id, "question.rejected",
                          "Question rejected by moderation",
                          mwf_printf("Your question about \"%s\" was not published: %s",
                                     it->product_name, reason),
                          json_pack("{s:I, s:I, s:s}", "question_id", (json_int_t)it->id,
                                    "product_id", (json_int_t)it->product_id, "reason", reason));
    }
    if (!approve)
        return mwf_notify(conn, it->seller_id, "question.answer_rejected",
                          "Answer rejected by moderation",
                          mwf_printf("Your answer to a question about \"%s\" was rejected: %s",
                                     it->product_name, reason),
                          json_pack("{s:I, s:I, s:I, s:s}", "question_id",
                                    (json_int_t)it->question_id, "answer_id", (json_int_t)it->id,
                                    "product_id", (json_int_t)it->product_id, "reason", reason));
    PGresult *r = db_exec(conn, &mwf_q_publish, 1, p, &e);
    if (!r)
        return e;
    int64_t published = db_get_i64(r, 0, 0);
    PQclear(r);
    /* the buyer hears once the question turns answered, not for every further answer */
    if (published != 1)
        return SD_OK;
    return mwf_notify(
        conn, it->buyer_id, "question.answer_published", "Your question was answered",
        mwf_printf("The seller answered your question about \"%s\".", it->product_name),
        json_pack("{s:I, s:I, s:I}", "question_id", (json_int_t)it->question_id, "answer_id",
                  (json_int_t)it->id, "product_id", (json_int_t)it->product_id));
}

sd_err moderation_workflow_decide(struct db_conn *conn, const char *kind, int64_t id, int approve,
                                  const char *reason, int64_t decided_by, json_t **out)
{
    char ids[24], by[24];
    sd_err e = SD_OK;
    int question = strcmp(kind, "question") == 0;
    const char *p[] = {db_i64(ids, id)};
    struct mwf_item it = {.kind = question ? "question" : "answer", .id = id};
    PGresult *r = db_exec(conn, question ? &mwf_q_lock_question : &mwf_q_lock_answer, 1, p, &e);
    *out = NULL;
    if (!r)
        return e;
    if (PQntuples(r) == 0 || strcmp(db_get_str(r, 0, 1), "t") == 0) {
        /* an answer withdrawn while pending has left the queue: nothing to decide */
        e = PQntuples(r) && strcmp(db_get_str(r, 0, 0), "pending") != 0 ? SD_ERR_CONFLICT
                                                                        : SD_ERR_NOT_FOUND;
        PQclear(r);
        return e;
    }
    if (strcmp(db_get_str(r, 0, 0), "pending") != 0) {
        PQclear(r);
        return SD_ERR_CONFLICT;
    }
    it.question_id = db_get_i64(r, 0, 2);
    it.seller_id = db_get_i64(r, 0, 3);
    it.buyer_id = db_get_i64(r, 0, 4);
    it.product_id = db_get_i64(r, 0, 5);
    char *name = strdup(db_get_str(r, 0, 6));
    PQclear(r);
    if (!name)
        return SD_ERR_INTERNAL;
    it.product_name = name;
    const char *decider = decided_by > 0 ? db_i64(by, decided_by) : NULL;
    const char *rec[] = {it.kind, ids, approve ? "approve" : "reject", reason, decider};
    const char *set[] = {ids, approve ? "approved" : "rejected", reason, decider};
    if ((e = db_json_one(conn, &mwf_q_record, 5, rec, out)) != SD_OK)
        goto cleanup;
    r = db_exec(conn, question ? &mwf_q_set_question : &mwf_q_set_answer, 4, set, &e);
    if (!r)
        goto cleanup;
    PQclear(r);
    e = mwf_effects(conn, &it, approve, reason);
cleanup:
    if (e != SD_OK) {
        json_decref(*out);
        *out = NULL;
    }
    free(name);
    return e;
}

sd_err moderation_workflow_unpublish(struct db_conn *conn, int64_t question_id)
{
    char qid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(qid, question_id)};
    PGresult *r = db_exec(conn, &mwf_q_unpublish, 1, p, &e);
    if (!r)
        return e;
    PQclear(r);
    return SD_OK;
}
