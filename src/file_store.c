#include "file_store.h"

#include <string.h>

DB_STMT(file_q_create,
        "INSERT INTO files (uploader_id, content_type, size, sha256, data)"
        " VALUES ($1, $2, $3::int, $4, $5)"
        " RETURNING json_build_object('id', id, 'content_type', content_type, 'size', size,"
        "                             'sha256', sha256, 'created_at', sd_ts(created_at))");
/* Answered in binary (the bytes come without escaping), so every other column is text. Access
 * and the If-None-Match comparison happen here, so data is only read for a reader who gets
 * it. $1 file, $2 viewer, $3 viewer's role, $4 entity tags ("a,b" or "*"). */
DB_STMT(file_q_get,
        "SELECT f.content_type, f.sha256, sd_ts(f.created_at), f.size::text,"
        "       m.fresh::text, CASE WHEN m.fresh THEN NULL ELSE f.data END"
        "  FROM files f,"
        "       LATERAL (SELECT $4::text = '*' OR f.sha256 = ANY (string_to_array($4::text, ','))"
        "                AS fresh) m"
        " WHERE f.id = $1::bigint"
        "   AND (f.uploader_id = $2::bigint"
        "        OR EXISTS (SELECT 1 FROM chat_files cf JOIN chat_sides s ON s.chat_id = cf.chat_id"
        "                    WHERE cf.file_id = f.id"
        "                      AND (s.user_id = $2::bigint"
        "                           OR ($3::text = 'support' AND s.side = 'support')))"
        /* a review's media: support sees every version's; anyone else only the published
         * version's (an edit's new photo stays private until it is approved), anyone once
         * the review is public, its seller once it is listed */
        /* a dispute's media and attachments: its parties and support */
        "        OR EXISTS (SELECT 1 FROM dispute_files df JOIN disputes d ON d.id = df.dispute_id"
        "                    WHERE df.file_id = f.id"
        "                      AND (d.buyer_id = $2::bigint OR d.seller_id = $2::bigint"
        "                           OR $3::text = 'support'))"
        "        OR EXISTS (SELECT 1 FROM review_media rm JOIN reviews r ON r.id = rm.review_id"
        "                    WHERE rm.file_id = f.id AND r.deleted_at IS NULL"
        "                      AND ($3::text = 'support'"
        "                           OR (f.id = ANY (r.media)"
        "                               AND (r.public"
        "                                    OR (r.seller_id = $2::bigint AND r.listed))))))");

sd_err file_store_create(struct db_conn *conn, int64_t uploader_id, const char *content_type,
                         const void *data, size_t len, const char *sha256, json_t **out)
{
    char uid[24], size[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(uid, uploader_id), content_type, db_i64(size, (int64_t)len), sha256,
                       data};
    const int lengths[] = {0, 0, 0, 0, (int)len};
    const int formats[] = {0, 0, 0, 0, 1};
    PGresult *r = db_exec_binary(conn, &file_q_create, 5, p, lengths, formats, 0, &e);
    if (!r)
        return e;
    *out = PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    e = *out ? SD_OK : SD_ERR_INTERNAL;
    PQclear(r);
    return e;
}

sd_err file_store_get(struct db_conn *conn, int64_t id, int64_t viewer_id, const char *viewer_role,
                      const char *etags, struct file_blob *out)
{
    char ids[24], vid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id), db_i64(vid, viewer_id), viewer_role, etags};
    memset(out, 0, sizeof *out);
    PGresult *r = db_exec_binary(conn, &file_q_get, 4, p, NULL, NULL, 1, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    out->res = r;
    out->content_type = PQgetvalue(r, 0, 0);
    out->sha256 = PQgetvalue(r, 0, 1);
    out->created_at = PQgetvalue(r, 0, 2);
    out->size = (size_t)db_get_i64(r, 0, 3);
    out->not_modified = strcmp(PQgetvalue(r, 0, 4), "true") == 0;
    if (!out->not_modified) {
        out->data = PQgetvalue(r, 0, 5);
        out->size = (size_t)PQgetlength(r, 0, 5);
    }
    return SD_OK;
}

void file_blob_free(struct file_blob *b)
{
    PQclear(b->res);
    memset(b, 0, sizeof *b);
}
