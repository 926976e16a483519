#include "answer_store.h"

#include <stdlib.h>
#include <string.h>

#include "moderation_workflow_store.h"

#define ANSWER_JSON(t)                                                                             \
    "json_build_object('id', " t ".id, 'question_id', " t ".question_id, 'text', " t ".text,"      \
    " 'moderation_status', " t ".moderation_status, 'moderation_reason', " t                       \
    ".moderation_reason, 'moderation_due_at', sd_ts(" t ".moderation_due_at),"                     \
    " 'flags', " t ".flags, 'published', " t ".moderation_status = 'approved' AND " t              \
    ".deleted_at IS NULL, 'deleted_at', sd_ts(" t ".deleted_at), 'created_at', sd_ts(" t           \
    ".created_at), 'view', 'full')"
/* "view" tells the two forms apart (the contract's discriminator): the full answer its seller
 * and support see, the public one everyone else sees */
#define ANSWER_PUBLIC_JSON(t)                                                                      \
    "json_build_object('id', " t ".id, 'question_id', " t ".question_id, 'text', " t ".text,"      \
    " 'created_at', sd_ts(" t ".created_at), 'view', 'public')"

DB_STMT(answer_q_answerable, "SELECT 1 FROM questions WHERE id = $1 AND seller_id = $2"
                             " AND moderation_status = 'approved'");
DB_STMT(answer_q_create,
        "INSERT INTO answers (question_id, seller_id, text, moderation_status, moderation_due_at,"
        " flags) SELECT q.id, $2, $3, 'pending', $4::timestamptz, $5::jsonb FROM questions q"
        " WHERE q.id = $1 AND q.seller_id = $2 AND q.moderation_status = 'approved'"
        " RETURNING id");
DB_STMT(answer_q_get, "SELECT " ANSWER_JSON("a") " FROM answers a WHERE a.id = $1");
/* Another seller's question is 404 here as in GET /v1/questions/{id}; its published answers
 * are public on the product page. ($4: the caller is a seller) */
DB_STMT(answer_q_access, "SELECT q.seller_id = $2 OR $3::bool FROM questions q WHERE q.id = $1"
                         " AND (q.moderation_status = 'approved' OR q.buyer_id = $2 OR $3::bool)"
                         " AND (NOT $4::bool OR q.seller_id = $2)");
DB_STMT(answer_q_list_all,
        DB_PAGE("$3", "SELECT a.id, " ANSWER_JSON("a") " FROM answers a WHERE a.question_id = $1"
                                                       " AND " DB_BEFORE("a.id",
                                                                         "$2") " ORDER BY a.id DESC"
                                                                               " LIMIT $3"));
DB_STMT(answer_q_list_published,
        DB_PAGE("$3",
                "SELECT a.id, " ANSWER_PUBLIC_JSON("a") " FROM answers a WHERE a.question_id = $1"
                                                        " AND a.moderation_status = 'approved'"
                                                        " AND a.deleted_at IS NULL AND " DB_BEFORE(
                                                            "a.id",
                                                            "$2") " ORDER BY a.id DESC LIMIT $3"));
/* the previous state decides what deleting means, so it is read under the same lock */
DB_STMT(answer_q_delete,
        "UPDATE answers a SET deleted_at = now(), updated_at = now() FROM"
        " (SELECT id, moderation_status FROM answers WHERE id = $1 AND seller_id = $2"
        "  AND deleted_at IS NULL FOR UPDATE) old WHERE a.id = old.id"
        " RETURNING old.moderation_status, a.question_id");

sd_err answer_store_answerable(struct db_conn *conn, int64_t question_id, int64_t seller_id)
{
    char qid[24], sid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(qid, question_id), db_i64(sid, seller_id)};
    PGresult *r = db_exec(conn, &answer_q_answerable, 2, p, &e);
    if (!r)
        return e;
    int n = PQntuples(r);
    PQclear(r);
    return n ? SD_OK : SD_ERR_NOT_FOUND;
}

sd_err answer_store_create(struct db_conn *conn, const struct answer_new *a, json_t **out)
{
    char qid[24], sid[24], aid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(qid, a->question_id), db_i64(sid, a->seller_id), a->text, a->due_at,
                       a->flags};
    PGresult *r = db_exec(conn, &answer_q_create, 5, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    int64_t id = db_get_i64(r, 0, 0);
    PQclear(r);
    if (a->publish) {
        if ((e = moderation_workflow_approve(conn, "answer", id)) != SD_OK)
            return e;
    }
    const char *g[] = {db_i64(aid, id)};
    return db_json_one(conn, &answer_q_get, 1, g, out);
}

sd_err answer_store_question_access(struct db_conn *conn, int64_t question_id, int64_t user_id,
                                    int support, int seller, int *all)
{
    char qid[24], uid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(qid, question_id), db_i64(uid, user_id), support ? "true" : "false",
                       seller ? "true" : "false"};
    PGresult *r = db_exec(conn, &answer_q_access, 4, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    *all = strcmp(db_get_str(r, 0, 0), "t") == 0;
    PQclear(r);
    return SD_OK;
}

sd_err answer_store_list(struct db_conn *conn, int64_t question_id, int all, int64_t after_id,
                         int limit, char **items, int *has_more, int64_t *last_id)
{
    char qid[24], aid[24], lim[24];
    const char *p[] = {db_i64(qid, question_id), db_i64(aid, after_id), db_i64(lim, limit + 1)};
    return db_json_page(conn, all ? &answer_q_list_all : &answer_q_list_published, 3, p, limit,
                        items, has_more, last_id);
}

/* processed exactly while at least one answer is published (the table's CHECK holds it) */
DB_STMT(answer_q_publish,
        "UPDATE questions SET published_answers = published_answers + 1, status = 'processed',"
        " updated_at = now() WHERE id = $1 RETURNING published_answers");
DB_STMT(answer_q_unpublish,
        "UPDATE questions SET published_answers = published_answers - 1,"
        " status = CASE WHEN published_answers > 1 THEN 'processed' ELSE 'viewed' END,"
        " updated_at = now() WHERE id = $1 AND published_answers > 0");

/* An approved answer taken down by its author: the question loses one published answer and
 * is viewed again when none is left. Inside the transaction that set deleted_at. */
static sd_err answer_unpublished(struct db_conn *conn, int64_t question_id)
{
    char qid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(qid, question_id)};
    PGresult *r = db_exec(conn, &answer_q_unpublish, 1, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

sd_err answer_store_delete(struct db_conn *conn, int64_t id, int64_t author_id)
{
    char ids[24], aid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id), db_i64(aid, author_id)};
    PGresult *r = db_exec(conn, &answer_q_delete, 2, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    int published = strcmp(db_get_str(r, 0, 0), "approved") == 0;
    int64_t question_id = db_get_i64(r, 0, 1);
    PQclear(r);
    return published ? answer_unpublished(conn, question_id) : SD_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Moderation of answers (the registry in moderation_workflow_store.c)
 * ------------------------------------------------------------------------------------------- */

DB_STMT(answer_q_lock,
        "SELECT a.moderation_status, a.deleted_at IS NOT NULL, q.id, a.seller_id, a.seller_id,"
        " q.product_id, p.name, q.buyer_id FROM answers a JOIN questions q ON q.id = a.question_id"
        " JOIN products p ON p.id = q.product_id WHERE a.id = $1 FOR UPDATE OF a");
DB_STMT(answer_q_set_moderation,
        "UPDATE answers SET moderation_status = $2, moderation_reason = $3, moderated_by = $4,"
        " moderated_at = now(), updated_at = now() WHERE id = $1");

/* A published answer makes its question processed; the buyer hears once the question turns
 * answered, not for every further answer. A refusal goes to the seller who wrote it. */
static sd_err answer_decided(struct db_conn *conn, const struct mwf_item *it, int approve,
                             const char *reason)
{
    char qid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(qid, it->parent_id)};
    if (!approve)
        return mwf_notify(
            conn, it->seller_id, "question.answer_rejected", "Answer rejected by moderation",
            json_pack("{s:I, s:I, s:I, s:s}", "question_id", (json_int_t)it->parent_id, "answer_id",
                      (json_int_t)it->id, "product_id", (json_int_t)it->product_id, "reason",
                      reason),
            "Your answer to a question about \"%s\" was rejected: %s", it->product_name, reason);
    PGresult *r = db_exec(conn, &answer_q_publish, 1, p, &e);
    if (!r)
        return e;
    int64_t published = db_get_i64(r, 0, 0);
    PQclear(r);
    if (published != 1)
        return SD_OK;
    return mwf_notify(conn, it->extra_id, "question.answer_published", "Your question was answered",
                      json_pack("{s:I, s:I, s:I}", "question_id", (json_int_t)it->parent_id,
                                "answer_id", (json_int_t)it->id, "product_id",
                                (json_int_t)it->product_id),
                      "The seller answered your question about \"%s\".", it->product_name);
}

const struct mwf_kind answer_kind = {
    "answer",
    "SELECT a.id, json_build_object('kind', 'answer', 'id', a.id, 'text', "
    "a.text, " MWF_QUEUE_COMMON(
        "a") ", 'question', json_build_object('id', q.id, 'text', q.text))"
             " FROM answers a JOIN questions q ON q.id = a.question_id JOIN users u ON u.id = "
             "a.seller_id"
             " JOIN products p ON p.id = q.product_id WHERE a.moderation_status = 'pending'"
             " AND a.deleted_at IS NULL" MWF_QUEUE_FILTERS("a"),
    &answer_q_lock,
    &answer_q_set_moderation,
    0,
    answer_decided,
};
