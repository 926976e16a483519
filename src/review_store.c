#include "review_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moderation_workflow_store.h"

DB_STMT(review_q_purchase,
        "SELECT po.id, po.status IN ('delivered', 'refused'), po.status = 'refused',"
        " po.seller_id, p.sku, coalesce(r.id, 0)"
        " FROM postings po JOIN posting_items i ON i.posting_id = po.id AND i.product_id = $3"
        " JOIN products p ON p.id = i.product_id"
        " LEFT JOIN reviews r ON r.posting_id = po.id AND r.product_id = i.product_id"
        "  AND r.deleted_at IS NULL"
        " WHERE po.posting_number = $1 AND po.buyer_id = $2");

/* One row per id given, in order: what stands against using it (NULL: nothing) and whether it
 * is a video ($3: the review it is for, 0 for a new one) */
DB_STMT(review_q_media,
        "SELECT m.n, CASE WHEN f.id IS NULL OR f.uploader_id <> $2 THEN 'not_found'"
        "  WHEN f.content_type NOT IN ('image/jpeg', 'image/png', 'image/webp', 'video/mp4',"
        "                              'video/webm', 'video/quicktime') THEN 'not_media'"
        "  WHEN count(*) OVER (PARTITION BY m.id) > 1 THEN 'duplicate'"
        "  WHEN EXISTS (SELECT 1 FROM chat_files c WHERE c.file_id = f.id)"
        "    OR EXISTS (SELECT 1 FROM review_media rm WHERE rm.file_id = f.id"
        "               AND rm.review_id <> $3) THEN 'in_use' END,"
        " coalesce(f.content_type LIKE 'video/%', false)"
        " FROM unnest($1::bigint[]) WITH ORDINALITY AS m(id, n)"
        " LEFT JOIN files f ON f.id = m.id ORDER BY m.n");

DB_STMT(
    review_q_create,
    "WITH r AS (INSERT INTO reviews (product_id, seller_id, buyer_id, posting_id, sku, refused)"
    "           VALUES ($1, $2, $3, $4, $5, $6) RETURNING id),"
    " v AS (INSERT INTO review_versions (review_id, seller_id, version, rating, text, pros, cons,"
    "                                    media, moderation_status, moderation_due_at, flags)"
    "       SELECT r.id, $2, 1, $7, $8, $9, $10, $11::bigint[], 'pending', $12::timestamptz,"
    "              $13::jsonb FROM r RETURNING id, review_id),"
    " m AS (INSERT INTO review_media (file_id, review_id)"
    "       SELECT f, r.id FROM r, unnest($11::bigint[]) AS f)"
    " SELECT v.review_id, v.id FROM v");

/* An edit: the version waiting is superseded first (a version is locked before its review
 * everywhere, as a decision locks them), then the review, which must be the author's. */
DB_STMT(review_q_supersede, "UPDATE review_versions SET superseded_at = now() WHERE review_id = $1"
                            " AND moderation_status = 'pending' AND superseded_at IS NULL"
                            " AND EXISTS (SELECT 1 FROM reviews WHERE id = $1 AND buyer_id = $2)");
DB_STMT(review_q_lock_own,
        "SELECT r.removed_at IS NOT NULL FROM reviews r WHERE r.id = $1 AND r.buyer_id = $2"
        " AND r.deleted_at IS NULL FOR UPDATE");
/* The new version: the members given, else those of the last version written: an edit that
 * was waiting (superseded by this transaction, now()), else the published version, else the
 * latest (a first version that was rejected). ($2 rating 0 and NULL texts or media keep.) */
DB_STMT(
    review_q_add_version,
    "WITH base AS (SELECT v.* FROM review_versions v JOIN reviews r ON r.id = v.review_id"
    "              WHERE v.review_id = $1 ORDER BY v.superseded_at = now() DESC NULLS LAST,"
    "              v.version = r.version DESC, v.version DESC LIMIT 1),"
    " v AS (INSERT INTO review_versions (review_id, seller_id, version, rating, text, pros,"
    "                                    cons, media, moderation_status, moderation_due_at,"
    "                                    flags)"
    "       SELECT $1, b.seller_id, (SELECT max(version) + 1 FROM review_versions"
    "                                 WHERE review_id = $1),"
    "              coalesce(nullif($2::int, 0), b.rating), coalesce($3, b.text),"
    "              coalesce($4, b.pros), coalesce($5, b.cons), coalesce($6::bigint[], b.media),"
    "              'pending', $7::timestamptz, $8::jsonb FROM base b RETURNING id, media),"
    " m AS (INSERT INTO review_media (file_id, review_id) SELECT f, $1 FROM v, unnest(v.media) f"
    "       ON CONFLICT (file_id) DO NOTHING)"
    " SELECT v.id FROM v");
/* its files are released: the author may use them in a new review of the purchase */
DB_STMT(review_q_delete,
        "WITH d AS (UPDATE reviews SET deleted_at = now(), updated_at = now() WHERE id = $1"
        "           AND buyer_id = $2 AND deleted_at IS NULL RETURNING id),"
        " m AS (DELETE FROM review_media rm USING d WHERE rm.review_id = d.id)"
        " SELECT id FROM d");

/* Who may see it: the author and support always, the seller once listed, anyone once
 * public; $3 support. Columns: the review, whether the caller sees moderation, is its seller */
#define REVIEW_VISIBLE                                                                             \
    " r.id = $1 AND r.deleted_at IS NULL AND (r.buyer_id = $2 OR $3::bool OR r.public"             \
    " OR (r.seller_id = $2 AND r.listed))"
DB_STMT(review_q_open,
        "UPDATE reviews SET status = 'viewed', updated_at = now() WHERE id = $1 AND seller_id = $2"
        " AND status = 'new' AND listed");
DB_STMT(review_q_get, "SELECT review_json(r, CASE WHEN r.buyer_id = $2 OR $3::bool THEN 2"
                      " WHEN r.seller_id = $2 THEN 1 ELSE 0 END), r.seller_id = $2,"
                      " r.buyer_id = $2 OR $3::bool FROM reviews r WHERE" REVIEW_VISIBLE);
DB_STMT(review_q_versions,
        "SELECT coalesce(json_agg(json_build_object('version', v.version, 'rating', v.rating,"
        " 'text', v.text, 'pros', v.pros, 'cons', v.cons, 'media', review_media_json(v.media),"
        " 'moderation', json_build_object('status', v.moderation_status, 'reason',"
        "  v.moderation_reason, 'moderated_at', sd_ts(v.moderated_at)),"
        " 'superseded', v.superseded_at IS NOT NULL, 'submitted_at', sd_ts(v.created_at))"
        " ORDER BY v.version), '[]') FROM review_versions v WHERE v.review_id = $1");

/* Rows are locked before they are judged; an answered review stays processed. */
DB_STMT(review_q_set_status,
        "WITH i AS (SELECT id, n FROM unnest($2::bigint[]) WITH ORDINALITY AS i(id, n)),"
        " cur AS (SELECT r.id, r.status, r.official_answers FROM reviews r JOIN i ON i.id = r.id"
        "          WHERE r.seller_id = $1 AND r.listed FOR UPDATE OF r),"
        " upd AS (UPDATE reviews r SET status = $3, marked_processed = $3 = 'processed',"
        "          updated_at = now() FROM cur WHERE r.id = cur.id AND cur.official_answers = 0"
        "          AND cur.status <> $3 RETURNING r.id)"
        " SELECT coalesce(json_agg(json_build_object('id', i.id, 'result',"
        "        CASE WHEN cur.id IS NULL THEN 'not_found' WHEN upd.id IS NOT NULL THEN 'updated'"
        "             WHEN cur.official_answers > 0 AND $3 <> 'processed' THEN 'answered'"
        "             ELSE 'unchanged' END) ORDER BY i.n), '[]')"
        "   FROM i LEFT JOIN cur ON cur.id = i.id LEFT JOIN upd ON upd.id = i.id");

sd_err review_store_purchase(struct db_conn *conn, int64_t buyer_id, const char *posting_number,
                             int64_t product_id, struct review_purchase *out)
{
    char bid[24], pid[24];
    sd_err e = SD_OK;
    const char *p[] = {posting_number, db_i64(bid, buyer_id), db_i64(pid, product_id)};
    PGresult *r = db_exec(conn, &review_q_purchase, 3, p, &e);
    if (!r)
        return e;
    memset(out, 0, sizeof *out);
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    out->posting_id = db_get_i64(r, 0, 0);
    int received = strcmp(db_get_str(r, 0, 1), "t") == 0;
    out->refused = strcmp(db_get_str(r, 0, 2), "t") == 0;
    out->seller_id = db_get_i64(r, 0, 3);
    out->sku = db_get_i64(r, 0, 4);
    out->existing = db_get_i64(r, 0, 5);
    PQclear(r);
    return received && !out->existing ? SD_OK : SD_ERR_CONFLICT;
}

static void review_media_error(json_t *errors, const char *field, const char *code)
{
    static const struct {
        const char *code, *message;
    } messages[] = {
        {"not_found", "is not a file you uploaded"},
        {"not_media", "must be a photo (JPEG, PNG, WebP) or a video (MP4, WebM, QuickTime)"},
        {"duplicate", "is given more than once"},
        {"in_use", "is attached to a chat or another review already"},
        {"too_many_photos", "is a photo past the limit of " REVIEW_MAX_PHOTOS_TEXT},
        {"too_many_videos", "is a video past the limit of " REVIEW_MAX_VIDEOS_TEXT},
    };
    const char *message = "cannot be used";
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
        if (strcmp(messages[i].code, code) == 0)
            message = messages[i].message;
    json_array_append_new(
        errors, json_pack("{s:s, s:s, s:s}", "field", field, "code", code, "message", message));
}

sd_err review_store_check_media(struct db_conn *conn, const json_t *media, int64_t author_id,
                                int64_t review_id, json_t *errors)
{
    char *ids = db_id_array(media), aid[24], rid[24];
    sd_err e = SD_OK;
    int photos = 0, videos = 0;
    if (!ids)
        return SD_ERR_INTERNAL;
    const char *p[] = {ids, db_i64(aid, author_id), db_i64(rid, review_id)};
    PGresult *r = db_exec(conn, &review_q_media, 3, p, &e);
    free(ids);
    if (!r)
        return e;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *problem = db_get_str(r, i, 1);
        char field[32];
        int video = strcmp(db_get_str(r, i, 2), "t") == 0;
        snprintf(field, sizeof field, "media[%d]", i);
        if (!problem && video && ++videos > REVIEW_MAX_VIDEOS)
            problem = "too_many_videos";
        if (!problem && !video && ++photos > REVIEW_MAX_PHOTOS)
            problem = "too_many_photos";
        if (problem)
            review_media_error(errors, field, problem);
    }
    PQclear(r);
    return SD_OK;
}

sd_err review_store_create(struct db_conn *conn, int64_t buyer_id, const struct review_purchase *pu,
                           int64_t product_id, const struct review_content *c, json_t **out)
{
    char prod[24], sid[24], bid[24], post[24], sku[24], rating[8], rid[24], vid[24];
    sd_err e = SD_OK;
    snprintf(rating, sizeof rating, "%d", c->rating);
    const char *p[] = {db_i64(prod, product_id),
                       db_i64(sid, pu->seller_id),
                       db_i64(bid, buyer_id),
                       db_i64(post, pu->posting_id),
                       db_i64(sku, pu->sku),
                       pu->refused ? "true" : "false",
                       rating,
                       c->text ? c->text : "",
                       c->pros ? c->pros : "",
                       c->cons ? c->cons : "",
                       c->media ? c->media : "{}",
                       c->due_at,
                       c->flags};
    PGresult *r = db_exec(conn, &review_q_create, 13, p, &e);
    if (!r)
        return e;
    int64_t review = db_get_i64(r, 0, 0), version = db_get_i64(r, 0, 1);
    PQclear(r);
    if (c->publish && (e = moderation_workflow_approve(conn, "review", version)) != SD_OK)
        return e;
    const char *g[] = {db_i64(rid, review), db_i64(vid, buyer_id), "true"};
    return db_json_one(conn, &review_q_get, 3, g, out);
}

sd_err review_store_edit(struct db_conn *conn, int64_t id, int64_t author_id,
                         const struct review_content *c, json_t **out)
{
    char rid[24], aid[24], rating[8];
    sd_err e = SD_OK;
    const char *own[] = {db_i64(rid, id), db_i64(aid, author_id)};
    PGresult *r = db_exec(conn, &review_q_supersede, 2, own, &e);
    if (!r)
        return e;
    PQclear(r);
    if (!(r = db_exec(conn, &review_q_lock_own, 2, own, &e)))
        return e;
    e = PQntuples(r) == 0                       ? SD_ERR_NOT_FOUND
        : strcmp(db_get_str(r, 0, 0), "t") == 0 ? SD_ERR_CONFLICT
                                                : SD_OK;
    PQclear(r);
    if (e != SD_OK)
        return e;
    snprintf(rating, sizeof rating, "%d", c->rating);
    const char *p[] = {rid, rating, c->text, c->pros, c->cons, c->media, c->due_at, c->flags};
    if (!(r = db_exec(conn, &review_q_add_version, 8, p, &e)))
        return e;
    int64_t version = PQntuples(r) ? db_get_i64(r, 0, 0) : 0;
    PQclear(r);
    if (!version)
        return SD_ERR_NOT_FOUND;
    if (c->publish && (e = moderation_workflow_approve(conn, "review", version)) != SD_OK)
        return e;
    const char *g[] = {rid, aid, "false"};
    return db_json_one(conn, &review_q_get, 3, g, out);
}

sd_err review_store_delete(struct db_conn *conn, int64_t id, int64_t author_id)
{
    char rid[24], aid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(rid, id), db_i64(aid, author_id)};
    PGresult *r = db_exec(conn, &review_q_supersede, 2, p, &e);
    if (!r)
        return e;
    PQclear(r);
    if (!(r = db_exec(conn, &review_q_delete, 2, p, &e)))
        return e;
    e = PQntuples(r) ? SD_OK : SD_ERR_NOT_FOUND;
    PQclear(r);
    return e;
}

sd_err review_store_get(struct db_conn *conn, int64_t id, int64_t user_id, int support,
                        json_t **out, int *seller)
{
    char rid[24], uid[24];
    sd_err e = SD_OK;
    json_error_t jerr;
    const char *p[] = {db_i64(rid, id), db_i64(uid, user_id), support ? "true" : "false"};
    PGresult *r = db_exec(conn, &review_q_open, 2, p, &e);
    if (!r)
        return e;
    PQclear(r);
    if (!(r = db_exec(conn, &review_q_get, 3, p, &e)))
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    *out = json_loads(db_get_str(r, 0, 0), 0, &jerr);
    *seller = strcmp(db_get_str(r, 0, 1), "t") == 0;
    int moderation = strcmp(db_get_str(r, 0, 2), "t") == 0;
    PQclear(r);
    if (!*out)
        return SD_ERR_INTERNAL;
    if (moderation) {
        json_t *versions = NULL;
        if ((e = db_json_one(conn, &review_q_versions, 1, p, &versions)) != SD_OK) {
            json_decref(*out);
            *out = NULL;
            return e;
        }
        json_object_set_new(*out, "versions", versions);
    }
    return SD_OK;
}

sd_err review_store_set_status(struct db_conn *conn, int64_t seller_id, const char *ids,
                               const char *status, json_t **results)
{
    char sid[24];
    const char *p[] = {db_i64(sid, seller_id), ids, status};
    return db_json_one(conn, &review_q_set_status, 3, p, results);
}

/* ---------------------------------------------------------------------------------------------
 * Moderation of reviews: the item is a version (the registry in moderation_workflow_store.c)
 * ------------------------------------------------------------------------------------------- */

/* extra: the version the review has published (0: none yet) */
DB_STMT(review_q_lock_version,
        "SELECT v.moderation_status, v.superseded_at IS NOT NULL OR r.deleted_at IS NOT NULL"
        " OR r.removed_at IS NOT NULL,"
        " r.id, r.seller_id, r.buyer_id, r.product_id, p.name, r.version"
        " FROM review_versions v JOIN reviews r ON r.id = v.review_id"
        " JOIN products p ON p.id = r.product_id WHERE v.id = $1 FOR UPDATE OF v");
DB_STMT(review_q_set_moderation,
        "UPDATE review_versions SET moderation_status = $2, moderation_reason = $3,"
        " moderated_by = $4, moderated_at = now() WHERE id = $1");
/* the approved version becomes the review's content and its words its search */
DB_STMT(review_q_publish,
        "UPDATE reviews r SET version = v.version, rating = v.rating, text = v.text, pros = v.pros,"
        " cons = v.cons, media = v.media, media_json = review_media_json(v.media),"
        " updated_at = now(),"
        " search = to_tsvector('russian', v.text || ' ' || v.pros || ' ' || v.cons)"
        "       || to_tsvector('english', v.text || ' ' || v.pros || ' ' || v.cons)"
        "       || to_tsvector('russian', p.name) || to_tsvector('english', p.name)"
        " FROM review_versions v, products p WHERE v.id = $1 AND r.id = v.review_id"
        " AND p.id = r.product_id AND v.version > r.version");

static sd_err review_decided(struct db_conn *conn, const struct mwf_item *it, int approve,
                             const char *reason)
{
    char vid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(vid, it->id)};
    int first = it->extra_id == 0;
    if (!approve)
        return mwf_notify(conn, it->author_id, "review.rejected",
                          "Review not published by moderation",
                          json_pack("{s:I, s:I, s:s}", "review_id", (json_int_t)it->parent_id,
                                    "product_id", (json_int_t)it->product_id, "reason", reason),
                          first ? "Your review of \"%s\" was not published: %s"
                                : "Your edit of the review of \"%s\" was not published, the "
                                  "previous version stays: %s",
                          it->product_name, reason);
    PGresult *r = db_exec(conn, &review_q_publish, 1, p, &e);
    if (!r)
        return e;
    PQclear(r);
    /* the seller hears of a review once, when it is first published */
    if (!first)
        return SD_OK;
    return mwf_notify(conn, it->seller_id, "review.new", "New review of your product",
                      json_pack("{s:I, s:I}", "review_id", (json_int_t)it->parent_id, "product_id",
                                (json_int_t)it->product_id),
                      "A buyer reviewed \"%s\".", it->product_name);
}

const struct mwf_kind review_kind = {
    "review",
    "SELECT v.id, json_build_object('kind', 'review', 'id', v.id, 'text', "
    "v.text, " MWF_QUEUE_COMMON(
        "v") ", 'review', json_build_object('id', r.id, 'version', v.version, 'rating', v.rating,"
             " 'pros', v.pros, 'cons', v.cons, 'media', review_media_json(v.media),"
             " 'refused_at_pickup', r.refused, 'published_version', r.version))"
             " FROM review_versions v JOIN reviews r ON r.id = v.review_id"
             " JOIN users u ON u.id = r.buyer_id JOIN products p ON p.id = r.product_id"
             " WHERE v.moderation_status = 'pending' AND v.superseded_at IS NULL"
             " AND r.deleted_at IS NULL AND r.removed_at IS NULL" MWF_QUEUE_FILTERS("v"),
    &review_q_lock_version,
    &review_q_set_moderation,
    0,
    review_decided,
};
