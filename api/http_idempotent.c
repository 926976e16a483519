/* Idempotent creates: an Idempotency-Key's first answer is stored with the request's hash in
 * the transaction that created it and replayed for a retry of the same request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../src/idempotency_store.h"
#include "http.h"

static void http_request_hash(struct http_ctx *ctx, const char *scope, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)scope, strlen(scope) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)ctx->req->binary_body,
                              ctx->req->binary_body_length);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, 65, h, sizeof h);
}

/* Replays the stored answer of key in keyscope: 1 when answered (the answer, or 422 for a key
 * reused with another request), 0 when the key is new; -1 with e on a store error. */
static int http_idempotent_stored(struct http_ctx *ctx, struct db_conn *conn, const char *keyscope,
                                  const char *key, const char *hash, sd_err *e)
{
    struct idem_record rec = {0};
    if ((*e = idem_lookup(conn, keyscope, key, ctx->app->cfg.idempotency_ttl_s, &rec)) != SD_OK)
        return -1;
    if (!rec.found)
        return 0;
    if (strcmp(rec.request_hash, hash) == 0) {
        http_json_text(ctx, rec.status, rec.body);
        http_set_header(ctx, "Idempotent-Replayed", "true");
    } else {
        http_problem(ctx, SD_ERR_UNPROCESSABLE, "idempotency_key_reused",
                     "This Idempotency-Key was used with a different request.");
    }
    idem_record_free(&rec);
    return 1;
}

static int http_idempotency_key(struct http_ctx *ctx, const char *scope, const char **key,
                                char keyscope[96], char hash[65])
{
    *key = http_header(ctx, "Idempotency-Key");
    if (!*key)
        return 0;
    if (strlen(*key) == 0 || strlen(*key) > 255) {
        http_problem(ctx, SD_ERR_BAD_REQUEST, "invalid_idempotency_key",
                     "Idempotency-Key must be 1 to 255 characters.");
        return -1;
    }
    /* anonymous creates (register) share one scope; signed-in ones are per user */
    snprintf(keyscope, 96, "%s:%lld", scope, (long long)ctx->user_id);
    http_request_hash(ctx, keyscope, hash);
    return 0;
}

int http_idempotent_replay(struct http_ctx *ctx, const char *scope)
{
    const char *key;
    char hash[65], keyscope[96];
    struct db_conn *conn;
    sd_err e = SD_OK;
    if (http_idempotency_key(ctx, scope, &key, keyscope, hash) != 0)
        return 1;
    if (!key)
        return 0;
    if (!(conn = http_conn(ctx)))
        return 1;
    int found = http_idempotent_stored(ctx, conn, keyscope, key, hash, &e);
    if (found < 0)
        http_store_error(ctx, e);
    return found != 0;
}

int http_idempotent_create(struct http_ctx *ctx, const char *scope, http_create_fn create,
                           void *arg)
{
    const char *key;
    char hash[65], keyscope[96];
    struct db_conn *conn;
    json_t *out = NULL;
    int answered = 0, rc, found;
    sd_err e;

    if (http_idempotency_key(ctx, scope, &key, keyscope, hash) != 0)
        return U_CALLBACK_COMPLETE;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = db_begin(conn)) != SD_OK)
        return http_store_error(ctx, e);
    if (key && (found = http_idempotent_stored(ctx, conn, keyscope, key, hash, &e)) != 0) {
        if (found < 0)
            goto fail;
        db_rollback(conn);
        return U_CALLBACK_COMPLETE;
    }
    if ((e = create(ctx, conn, arg, &out, &answered)) != SD_OK)
        goto fail;
    char *text = json_dumps(out, JSON_COMPACT);
    int status = ctx->found_existing ? 200 : 201;
    if (key && (e = idem_save(conn, keyscope, key, hash, status, text)) != SD_OK) {
        free(text);
        goto fail;
    }
    if ((e = db_commit(conn)) != SD_OK) {
        free(text);
        goto fail;
    }
    if (ctx->answer_once) {
        json_object_update(out, ctx->answer_once);
        rc = http_json(ctx, status, out);
        out = NULL;
    } else {
        rc = http_json_text(ctx, status, text);
    }
    free(text);
    json_decref(out);
    json_decref(ctx->answer_once);
    ctx->answer_once = NULL;
    return rc;
fail:
    db_rollback(conn);
    json_decref(out);
    json_decref(ctx->answer_once);
    ctx->answer_once = NULL;
    return answered ? U_CALLBACK_COMPLETE : http_store_error(ctx, e);
}

int http_create(struct http_ctx *ctx, const struct http_create_op *op, void *args)
{
    json_t *body, *errors;
    int rc;
    if (http_require_role(ctx, op->roles) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    if (op->parse(body, args, errors) != 0 || json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "%s", op->invalid);
        errors = NULL;
    } else if (op->guard && op->guard(ctx, body) != 0) {
        rc = U_CALLBACK_COMPLETE;
    } else {
        rc = http_idempotent_create(ctx, op->scope, op->create, args);
    }
    json_decref(errors);
    json_decref(body);
    return rc;
}

int http_own_page(struct http_ctx *ctx, unsigned roles, int limit_default, int limit_max,
                  const char *scope, http_own_list_fn list)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    char *items = NULL;
    int has_more = 0;
    int64_t last = 0;
    struct db_conn *conn;
    if (http_require_role(ctx, roles) != 0)
        return U_CALLBACK_COMPLETE;
    json_t *errors = json_array();
    http_check_query(ctx, allowed, errors);
    int limit = http_query_limit(ctx, limit_default, limit_max, errors);
    int64_t after = http_query_cursor(ctx, scope, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = list(conn, ctx->user_id, after, limit, &items, &has_more, &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}
