#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "../src/file_store.h"
#include "../src/file_type.h"
#include "handlers.h"
#include "http.h"

/* A file never changes under its id; only who may read it can, hence private and a day. */
#define FILE_CACHE_CONTROL "private, max-age=86400"
/* If-None-Match tags worth comparing: a browser sends one, a proxy a few */
#define FILE_MAX_ETAGS 8

struct file_upload {
    const char *content_type; /* canonical */
    const void *data;
    size_t len;
    char sha256[FILE_SHA256_HEX + 1];
};

static sd_err file_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                             int *answered)
{
    struct file_upload *u = arg;
    (void)answered;
    return file_store_create(conn, ctx->user_id, u->content_type, u->data, u->len, u->sha256, out);
}

static int file_unsupported(struct http_ctx *ctx, const char *declared)
{
    json_t *allowed = json_array();
    for (size_t i = 0; i < file_ntypes; i++)
        json_array_append_new(allowed, json_string(file_types[i]));
    return http_problem_with(ctx, SD_ERR_MEDIA_TYPE, "unsupported_file_type",
                             json_pack("{s:o}", "allowed", allowed),
                             "%s%s%s; send the file with Content-Type image/jpeg, image/png, "
                             "image/webp, application/pdf, video/mp4, video/webm or "
                             "video/quicktime.",
                             declared ? "Files of type " : "The request has no Content-Type",
                             declared ? declared : "", declared ? " are not accepted" : "");
}

/* Location of the file a create answered with (fresh or replayed), taken from its body. */
static void file_set_location(struct http_ctx *ctx)
{
    const struct _u_response *resp = ctx->resp;
    char loc[64];
    if (resp->status != 201 && resp->status != 200)
        return;
    json_t *body = json_loadb(resp->binary_body, resp->binary_body_length, 0, NULL);
    json_int_t id = json_integer_value(json_object_get(body, "id"));
    if (id > 0) {
        snprintf(loc, sizeof loc, "/v1/files/%lld", (long long)id);
        http_set_header(ctx, "Location", loc);
    }
    json_decref(body);
}

HANDLER(files_upload)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct file_upload u = {0};
    unsigned char digest[crypto_hash_sha256_BYTES];
    (void)app;
    const char *declared = http_header(ctx, "Content-Type");
    if (!(u.content_type = file_type_allowed(declared)))
        return file_unsupported(ctx, declared);
    u.data = req->binary_body;
    u.len = req->binary_body_length;
    if (u.len == 0) {
        json_t *errors = json_array();
        http_field_error(errors, "body", "required", "must hold the file's bytes");
        return http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                   "The request body is empty.");
    }
    if (!file_type_matches(u.content_type, u.data, u.len)) {
        const char *seen = file_type_sniff(u.data, u.len);
        return http_problem(ctx, SD_ERR_UNPROCESSABLE, "file_type_mismatch",
                            "The bytes are not %s%s%s; nothing was stored.", u.content_type,
                            seen ? " but " : "", seen ? seen : "");
    }
    crypto_hash_sha256(digest, u.data, u.len);
    sodium_bin2hex(u.sha256, sizeof u.sha256, digest, sizeof digest);
    int rc = http_idempotent_create(ctx, "files", file_create_tx, &u);
    file_set_location(ctx);
    return rc;
}

/* Headers a download and its 304 share: the cache validators and policy. */
static void file_cache_headers(struct http_ctx *ctx, const struct file_blob *b)
{
    char etag[FILE_SHA256_HEX + 3];
    snprintf(etag, sizeof etag, "\"%s\"", b->sha256);
    http_set_header(ctx, "ETag", etag);
    http_set_header(ctx, "Cache-Control", FILE_CACHE_CONTROL);
}

HANDLER(files_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    struct file_blob b;
    char etags[FILE_MAX_ETAGS * (FILE_SHA256_HEX + 1) + 1], disposition[64];
    int64_t id = http_path_id(ctx, "id");
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such file.");
    /* more tags than that: compare none and send the file */
    if (file_if_none_match(http_header(ctx, "If-None-Match"), etags, sizeof etags) != 0)
        etags[0] = '\0';
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = file_store_get(conn, id, ctx->user_id, auth_role_name(ctx->role), etags, &b);
    /* someone else's file is as absent as a missing one */
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such file.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    if (b.not_modified) {
        ulfius_set_empty_body_response(resp, 304);
    } else {
        ulfius_set_binary_body_response(resp, 200, b.data, b.size);
        http_set_header(ctx, "Content-Type", b.content_type);
        /* the bytes were checked to be this type: no browser may guess another, run a script
         * or a plugin from them; a PDF is saved, not opened inside our origin */
        http_set_header(ctx, "X-Content-Type-Options", "nosniff");
        http_set_header(ctx, "Content-Security-Policy", "default-src 'none'; sandbox");
        if (strcmp(b.content_type, "application/pdf") == 0)
            snprintf(disposition, sizeof disposition, "attachment; filename=\"file-%lld.pdf\"",
                     (long long)id);
        else
            snprintf(disposition, sizeof disposition, "inline");
        http_set_header(ctx, "Content-Disposition", disposition);
    }
    file_cache_headers(ctx, &b);
    ctx->answered = 1;
    file_blob_free(&b);
    return U_CALLBACK_COMPLETE;
}
