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
    ".created_at))"
#define ANSWER_PUBLIC_JSON(t)                                                                      \
    "json_build_object('id', " t ".id, 'question_id', " t ".question_id, 'text', " t ".text,"      \
    " 'created_at', sd_ts(" t ".created_at))"

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
        "SELECT a.id, " ANSWER_JSON("a") " FROM answers a WHERE a.question_id = $1"
                                         " AND " DB_BEFORE("a.id", "$2") " ORDER BY a.id DESC"
                                                                         " LIMIT $3");
DB_STMT(answer_q_list_published,
        "SELECT a.id, " ANSWER_PUBLIC_JSON("a") " FROM answers a WHERE a.question_id = $1"
                                                " AND a.moderation_status = 'approved'"
                                                " AND a.deleted_at IS NULL AND " DB_BEFORE(
                                                    "a.id", "$2") " ORDER BY a.id DESC LIMIT $3");
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
        json_t *decision = NULL;
        if ((e = moderation_workflow_decide(conn, "answer", id, 1, NULL, 0, &decision)) != SD_OK)
            return e;
        json_decref(decision);
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
    return published ? moderation_workflow_unpublish(conn, question_id) : SD_OK;
}
