#include "review_comment_store.h"

#include <stdlib.h>
#include <string.h>

#include "moderation_workflow_store.h"

/* Who may see a review, as in review_store.c; $3 support */
DB_STMT(comment_q_access, "SELECT r.seller_id = $2, r.buyer_id = $2 FROM reviews r WHERE r.id = $1"
                          " AND r.deleted_at IS NULL AND (r.buyer_id = $2 OR $3::bool OR r.public"
                          " OR (r.seller_id = $2 AND r.listed))");
/* a reply goes under a top-level comment of the same review that its author can see */
DB_STMT(comment_q_create,
        "INSERT INTO review_comments (review_id, seller_id, author_id, official, parent_id, text,"
        "                             moderation_status, moderation_due_at, flags)"
        " SELECT r.id, r.seller_id, $2, $3::bool, nullif($4::bigint, 0), $5, 'pending',"
        "        $6::timestamptz, $7::jsonb FROM reviews r WHERE r.id = $1"
        " AND ($4::bigint = 0 OR EXISTS (SELECT 1 FROM review_comments pc WHERE pc.id = $4"
        "      AND pc.review_id = r.id AND pc.parent_id IS NULL AND pc.deleted_at IS NULL"
        "      AND (pc.moderation_status = 'approved' OR pc.author_id = $2)))"
        " RETURNING id");
DB_STMT(comment_q_mark_processed,
        "UPDATE reviews SET status = 'processed', marked_processed = true, updated_at = now()"
        " WHERE id = $1 AND seller_id = $2 AND listed AND NOT marked_processed");
DB_STMT(comment_q_get,
        "SELECT review_comment_json(c, c.author_id, false) FROM review_comments c WHERE c.id = $1");
DB_STMT(comment_q_list,
        DB_PAGE("$5",
                "SELECT c.id, review_comment_json(c, $2::bigint, $3::bool) FROM review_comments c"
                " WHERE c.review_id = $1 AND c.deleted_at IS NULL"
                " AND (c.moderation_status = 'approved' OR c.author_id = $2 OR $3::bool)"
                " AND c.id > $4::bigint ORDER BY c.id LIMIT $5"));
/* the previous state decides what deleting means, so it is read under the same lock */
DB_STMT(comment_q_delete,
        "UPDATE review_comments c SET deleted_at = now() FROM"
        " (SELECT id, moderation_status, official, review_id FROM review_comments"
        "  WHERE id = $1 AND author_id = $2 AND deleted_at IS NULL FOR UPDATE) old"
        " WHERE c.id = old.id RETURNING old.moderation_status = 'approved' AND old.official,"
        " old.review_id");
/* processed while an official answer is published or the seller marked it (the table's
 * CHECK holds it) */
DB_STMT(comment_q_answered,
        "UPDATE reviews SET official_answers = official_answers + 1, status = 'processed',"
        " updated_at = now() WHERE id = $1 RETURNING official_answers");
DB_STMT(comment_q_unanswered,
        "UPDATE reviews SET official_answers = official_answers - 1,"
        " status = CASE WHEN official_answers > 1 OR marked_processed THEN 'processed'"
        "          ELSE 'viewed' END, updated_at = now() WHERE id = $1 AND official_answers > 0");

sd_err review_comment_access(struct db_conn *conn, int64_t review_id, int64_t user_id, int support,
                             int *seller, int *author)
{
    char rid[24], uid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(rid, review_id), db_i64(uid, user_id), support ? "true" : "false"};
    PGresult *r = db_exec(conn, &comment_q_access, 3, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    *seller = strcmp(db_get_str(r, 0, 0), "t") == 0;
    *author = strcmp(db_get_str(r, 0, 1), "t") == 0;
    PQclear(r);
    return SD_OK;
}

sd_err review_comment_create(struct db_conn *conn, const struct review_comment_new *c, json_t **out)
{
    char rid[24], aid[24], pid[24], cid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(rid, c->review_id),
                       db_i64(aid, c->author_id),
                       c->official ? "true" : "false",
                       db_i64(pid, c->parent_id),
                       c->text,
                       c->due_at,
                       c->flags};
    PGresult *r = db_exec(conn, &comment_q_create, 7, p, &e);
    if (!r)
        return e;
    int64_t id = PQntuples(r) ? db_get_i64(r, 0, 0) : 0;
    PQclear(r);
    if (!id)
        return SD_ERR_VALIDATION;
    if (c->mark_processed) {
        const char *m[] = {rid, aid};
        if (!(r = db_exec(conn, &comment_q_mark_processed, 2, m, &e)))
            return e;
        PQclear(r);
    }
    if (c->publish && (e = moderation_workflow_approve(conn, "review_comment", id)) != SD_OK)
        return e;
    const char *g[] = {db_i64(cid, id)};
    return db_json_one(conn, &comment_q_get, 1, g, out);
}

sd_err review_comment_list(struct db_conn *conn, int64_t review_id, int64_t user_id, int support,
                           int64_t after_id, int limit, char **items, int *has_more,
                           int64_t *last_id)
{
    char rid[24], uid[24], aid[24], lim[24];
    const char *p[] = {db_i64(rid, review_id), db_i64(uid, user_id), support ? "true" : "false",
                       db_i64(aid, after_id), db_i64(lim, limit + 1)};
    return db_json_page(conn, &comment_q_list, 5, p, limit, items, has_more, last_id);
}

sd_err review_comment_delete(struct db_conn *conn, int64_t id, int64_t author_id)
{
    char cid[24], aid[24], rid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(cid, id), db_i64(aid, author_id)};
    PGresult *r = db_exec(conn, &comment_q_delete, 2, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    int answer = strcmp(db_get_str(r, 0, 0), "t") == 0;
    const char *u[] = {db_i64(rid, db_get_i64(r, 0, 1))};
    PQclear(r);
    if (!answer)
        return SD_OK;
    if (!(r = db_exec(conn, &comment_q_unanswered, 1, u, &e)))
        return e;
    PQclear(r);
    return SD_OK;
}

/* ---------------------------------------------------------------------------------------------
 * Moderation of comments (the registry in moderation_workflow_store.c); extra: the review's
 * author
 * ------------------------------------------------------------------------------------------- */

DB_STMT(comment_q_lock,
        "SELECT c.moderation_status, c.deleted_at IS NOT NULL OR r.deleted_at IS NOT NULL,"
        " c.review_id, r.seller_id, c.author_id, r.product_id, p.name, r.buyer_id"
        " FROM review_comments c JOIN reviews r ON r.id = c.review_id"
        " JOIN products p ON p.id = r.product_id WHERE c.id = $1 FOR UPDATE OF c");
DB_STMT(comment_q_set_moderation,
        "UPDATE review_comments SET moderation_status = $2, moderation_reason = $3,"
        " moderated_by = $4, moderated_at = now() WHERE id = $1");
/* the people in a thread: the review's author, the seller and whoever commented there, but
 * the one who wrote the new comment; a thread with more than 50 commenters tells the first */
DB_STMT(comment_q_thread,
        "SELECT u FROM (SELECT $2::bigint AS u UNION SELECT $3::bigint"
        " UNION SELECT author_id FROM review_comments WHERE review_id = $1"
        " AND moderation_status = 'approved' AND deleted_at IS NULL) x WHERE u <> $4"
        " ORDER BY u LIMIT 50");

static sd_err comment_decided(struct db_conn *conn, const struct mwf_item *it, int approve,
                              const char *reason)
{
    char rid[24], buyer[24], seller[24], author[24];
    sd_err e = SD_OK;
    int official = it->author_id == it->seller_id;
    if (!approve)
        return mwf_notify(
            conn, it->author_id, "review.comment_rejected", "Comment rejected by moderation",
            json_pack("{s:I, s:I, s:s}", "review_id", (json_int_t)it->parent_id, "comment_id",
                      (json_int_t)it->id, "reason", reason),
            "Your comment on a review of \"%s\" was not published: %s", it->product_name, reason);
    const char *p[] = {db_i64(rid, it->parent_id), db_i64(buyer, it->extra_id),
                       db_i64(seller, it->seller_id), db_i64(author, it->author_id)};
    PGresult *r;
    if (official) {
        if (!(r = db_exec(conn, &comment_q_answered, 1, p, &e)))
            return e;
        PQclear(r);
    }
    if (!(r = db_exec(conn, &comment_q_thread, 4, p, &e)))
        return e;
    for (int i = 0; i < PQntuples(r) && e == SD_OK; i++)
        e = mwf_notify(conn, db_get_i64(r, i, 0), "review.comment_published",
                       official ? "The seller answered a review" : "New comment on a review",
                       json_pack("{s:I, s:I, s:I, s:b}", "review_id", (json_int_t)it->parent_id,
                                 "comment_id", (json_int_t)it->id, "product_id",
                                 (json_int_t)it->product_id, "is_official", official),
                       official ? "The seller answered the review of \"%s\"."
                                : "A new comment on the review of \"%s\".",
                       it->product_name);
    PQclear(r);
    return e;
}

const struct mwf_kind review_comment_kind = {
    "review_comment",
    "SELECT c.id, json_build_object('kind', 'review_comment', 'id', c.id, 'text', "
    "c.text, " MWF_QUEUE_COMMON(
        "c") ", 'is_official', c.official, 'parent_comment_id', c.parent_id,"
             " 'review', json_build_object('id', r.id, 'rating', r.rating, 'text', r.text))"
             " FROM review_comments c JOIN reviews r ON r.id = c.review_id"
             " JOIN users u ON u.id = c.author_id JOIN products p ON p.id = r.product_id"
             " WHERE c.moderation_status = 'pending' AND c.deleted_at IS NULL AND r.deleted_at IS "
             "NULL" MWF_QUEUE_FILTERS("c"),
    &comment_q_lock,
    &comment_q_set_moderation,
    0,
    comment_decided,
};

/* ---------------------------------------------------------------------------------------------
 * Complaints: a moderated kind whose approval upholds it (the review is removed) and whose
 * rejection dismisses it; both are explained. extra: the review's author
 * ------------------------------------------------------------------------------------------- */

DB_STMT(complaint_q_create,
        "INSERT INTO review_complaints (review_id, seller_id, reason, text, moderation_due_at,"
        "                               flags)"
        " SELECT r.id, $2, $3, $4, $5::timestamptz, $6::jsonb FROM reviews r"
        " WHERE r.id = $1 AND r.seller_id = $2 AND r.listed"
        " RETURNING review_complaint_json(review_complaints)");
DB_STMT(complaint_q_lock,
        "SELECT k.moderation_status, r.deleted_at IS NOT NULL, k.review_id, r.seller_id,"
        " k.seller_id, r.product_id, p.name, r.buyer_id FROM review_complaints k"
        " JOIN reviews r ON r.id = k.review_id JOIN products p ON p.id = r.product_id"
        " WHERE k.id = $1 FOR UPDATE OF k");
DB_STMT(complaint_q_set_moderation,
        "UPDATE review_complaints SET moderation_status = $2, moderation_reason = $3,"
        " moderated_by = $4, moderated_at = now() WHERE id = $1");
DB_STMT(complaint_q_remove,
        "UPDATE reviews SET removed_at = now(), removed_reason = $2, updated_at = now()"
        " WHERE id = $1 AND removed_at IS NULL");

sd_err review_complaint_create(struct db_conn *conn, const struct review_complaint_new *c,
                               json_t **out)
{
    char rid[24], sid[24];
    const char *p[] = {db_i64(rid, c->review_id),
                       db_i64(sid, c->seller_id),
                       c->reason,
                       c->text ? c->text : "",
                       c->due_at,
                       c->flags};
    return db_json_one(conn, &complaint_q_create, 6, p, out);
}

static sd_err notify_removed(struct db_conn *conn, const struct mwf_item *it, const char *reason)
{
    return mwf_notify(conn, it->extra_id, "review.removed", "Your review was removed",
                      json_pack("{s:I, s:I, s:s}", "review_id", (json_int_t)it->parent_id,
                                "product_id", (json_int_t)it->product_id, "reason", reason),
                      "Your review of \"%s\" was removed: %s", it->product_name, reason);
}

static sd_err notify_decided(struct db_conn *conn, const struct mwf_item *it, int approve,
                             const char *reason)
{
    return mwf_notify(conn, it->author_id, "review.complaint_decided",
                      approve ? "Complaint upheld: the review was removed" : "Complaint dismissed",
                      json_pack("{s:I, s:I, s:I, s:s, s:s}", "complaint_id", (json_int_t)it->id,
                                "review_id", (json_int_t)it->parent_id, "product_id",
                                (json_int_t)it->product_id, "outcome",
                                approve ? "upheld" : "dismissed", "reason", reason),
                      approve ? "Your complaint about a review of \"%s\" was upheld: %s"
                              : "Your complaint about a review of \"%s\" was dismissed: %s",
                      it->product_name, reason);
}

static sd_err complaint_decided(struct db_conn *conn, const struct mwf_item *it, int approve,
                                const char *reason)
{
    char rid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(rid, it->parent_id), reason};
    if (!approve)
        return notify_decided(conn, it, 0, reason);
    PGresult *r = db_exec(conn, &complaint_q_remove, 2, p, &e);
    if (!r)
        return e;
    PQclear(r);
    /* each notice appends to its account's event log and locks that account's counter until
     * commit: the lower account first, as every change does, so two changes never wait on each
     * other's counters in a circle */
    if (it->extra_id < it->author_id) {
        if ((e = notify_removed(conn, it, reason)) != SD_OK)
            return e;
        return notify_decided(conn, it, 1, reason);
    }
    if ((e = notify_decided(conn, it, 1, reason)) != SD_OK)
        return e;
    return notify_removed(conn, it, reason);
}

const struct mwf_kind review_complaint_kind = {
    "review_complaint",
    "SELECT k.id, json_build_object('kind', 'review_complaint', 'id', k.id, 'text', "
    "k.text, " MWF_QUEUE_COMMON(
        "k") ", 'reason', k.reason, 'review', json_build_object('id', r.id,"
             " 'rating', r.rating, 'text', r.text, 'pros', r.pros, 'cons', r.cons,"
             " 'media', r.media_json, 'author_id', r.buyer_id))"
             " FROM review_complaints k JOIN reviews r ON r.id = k.review_id"
             " JOIN users u ON u.id = k.seller_id JOIN products p ON p.id = r.product_id"
             " WHERE k.moderation_status = 'pending' AND r.deleted_at IS NULL" MWF_QUEUE_FILTERS(
                 "k"),
    &complaint_q_lock,
    &complaint_q_set_moderation,
    1,
    complaint_decided,
};
