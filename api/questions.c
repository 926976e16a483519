/* Product questions: buyers ask (POST /v1/products/{id}/questions), sellers work through them
 * (lists, counts, opening marks viewed, bulk marking), everyone reads the approved ones on the
 * product page. Answers and moderators' decisions live in api/answers.c and api/moderation.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/moderation_policy.h"
#include "../src/notification_store.h"
#include "../src/product_store.h"
#include "../src/question_store.h"
#include "../src/timestamp.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define QUESTION_MIN      2
#define QUESTION_MAX      1000
#define QUESTIONS_DEFAULT 20
#define QUESTIONS_MAX     100
#define NOTIFY_NAME_MAX   120

static enum question_scope scope_of(const struct http_ctx *ctx)
{
    return ctx->role == ROLE_SELLER  ? QUESTION_SELLER
           : ctx->role == ROLE_BUYER ? QUESTION_BUYER
                                     : QUESTION_SUPPORT;
}

static sd_err question_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg,
                                 json_t **out, int *answered)
{
    sd_err e = question_store_create(conn, arg, out);
    if (e == SD_ERR_NOT_FOUND) {
        *answered = 1;
        http_problem(ctx, e, NULL, "No such product.");
    }
    return e;
}

HANDLER(questions_create)
{
    static const struct field_rule rules[] = {
        {"text", FT_STRING, 1, QUESTION_MIN, QUESTION_MAX},
        FIELD_RULES_END,
    };
    static const char *const guarded[] = {"text", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct question_new q = {0};
    struct moderated m = {0};
    struct db_conn *conn;
    json_t *body = NULL, *errors = NULL, *product = NULL;
    int64_t id = http_path_id(ctx, "id");
    int rc = U_CALLBACK_COMPLETE;
    sd_err e;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_BUYER) != 0)
        return U_CALLBACK_COMPLETE;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such product.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    q.text = json_string_value(json_object_get(body, "text"));
    if (q.text && utf8_blank(q.text))
        http_field_error(errors, "text", "too_short", "must not be blank");
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The question has invalid fields.");
        errors = NULL;
        goto cleanup;
    }
    /* an unknown product is 404 before the text is judged: no refusal is recorded for it */
    if (!(conn = http_conn(ctx)))
        goto cleanup;
    if ((e = product_store_get(conn, id, &product)) != SD_OK) {
        rc = e == SD_ERR_NOT_FOUND ? http_problem(ctx, e, NULL, "No such product.")
                                   : http_store_error(ctx, e);
        goto cleanup;
    }
    if (moderated_prepare(ctx, body, guarded, ctx->app->cfg.moderation_question_policy, &m) != 0)
        goto cleanup;
    q.buyer_id = ctx->user_id;
    q.product_id = id;
    q.due_at = m.due_at;
    q.flags = m.flags;
    q.publish = m.publish;
    rc = http_idempotent_create(ctx, "questions", question_create_tx, &q);
cleanup:
    moderated_free(&m);
    json_decref(product);
    json_decref(errors);
    json_decref(body);
    return rc;
}

#define S(v) ((v) ? (v) : "")

HANDLER(questions_list)
{
    static const char *const allowed[] = {"status",  "product_id", "sku",   "q", "date_from",
                                          "date_to", "cursor",     "limit", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct question_filter f = {0};
    json_t *errors = json_array();
    char *items = NULL;
    char scope[1100]; /* q: at most 200 characters of up to 4 bytes */
    int has_more = 0;
    int64_t last = 0;
    struct db_conn *conn;
    struct db_read rd;
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    f.scope = scope_of(ctx);
    f.user_id = ctx->user_id;
    f.status = http_query(ctx, "status");
    if (f.status && strcmp(f.status, "new") && strcmp(f.status, "viewed") &&
        strcmp(f.status, "processed") && strcmp(f.status, "all"))
        http_field_error(errors, "status", "invalid_enum", "must be new, viewed, processed or all");
    if (f.status && strcmp(f.status, "all") == 0)
        f.status = NULL;
    f.product_id = http_query_id(ctx, "product_id", errors);
    f.sku = http_query_id(ctx, "sku", errors);
    f.q = http_query(ctx, "q");
    if (f.q && (utf8_blank(f.q) || utf8_length(f.q) > 200)) {
        http_field_error(errors, "q", "invalid_length", "must be 1 to 200 characters, not blank");
        f.q = NULL;
    }
    /* all digits may be an item number (sku) as well as words */
    if (f.q && strspn(f.q, "0123456789") == strlen(f.q) && strlen(f.q) <= 18)
        f.q_sku = f.q;
    f.date_from = http_query_date(ctx, "date_from", errors);
    f.date_to = http_query_date(ctx, "date_to", errors);
    if (f.date_from && f.date_to && *f.date_from && *f.date_to &&
        strcmp(f.date_from, f.date_to) > 0)
        http_field_error(errors, "date_to", "invalid_range", "must not be before date_from");
    f.limit = http_query_limit(ctx, QUESTIONS_DEFAULT, QUESTIONS_MAX, errors);
    /* a cursor belongs to one list: the same filters; q goes last because it may hold any
     * character, the others cannot hold the separator */
    snprintf(scope, sizeof scope, "questions:%s:%s:%s:%s:%s:%s", S(f.status), S(f.product_id),
             S(f.sku), S(f.date_from), S(f.date_to), S(f.q));
    f.after_id = http_query_cursor(ctx, scope, errors);
    if (!f.q) {
        if (!http_query_valid(ctx, errors))
            return U_CALLBACK_COMPLETE;
        question_store_list_read(&rd, &f);
        return http_read_page(ctx, &rd, f.limit, scope);
    }
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = question_store_search(conn, &f, &items, &has_more, &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}

HANDLER(questions_counts)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_read rd;
    (void)req;
    (void)app;
    /* (an aggregate: always one row) */
    question_store_counts_read(&rd, scope_of(ctx), ctx->user_id);
    return http_read_one(ctx, &rd, "No counts.");
}

HANDLER(questions_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *out = NULL;
    int64_t id = http_path_id(ctx, "id");
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such question.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = question_store_get(conn, scope_of(ctx), ctx->user_id, id, &out);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such question.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_json(ctx, 200, out);
}

/* processed follows published answers; it is never set by hand */
HANDLER(questions_set_status)
{
    static const char *const statuses[] = {"new", "viewed", NULL};
    (void)req;
    (void)app;
    return http_bulk_status(http_ctx_of(resp), "question_ids", statuses, "new or viewed",
                            question_store_set_status);
}

HANDLER(product_questions_list)
{
    static const char *const allowed[] = {"cursor", "limit", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array();
    char *items = NULL, scope[48];
    int has_more = 0;
    int64_t last = 0, id = http_path_id(ctx, "id");
    struct db_conn *conn;
    (void)req;
    (void)app;
    if (id < 0) {
        json_decref(errors);
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such product.");
    }
    snprintf(scope, sizeof scope, "product-questions:%lld", (long long)id);
    http_check_query(ctx, allowed, errors);
    int limit = http_query_limit(ctx, QUESTIONS_DEFAULT, QUESTIONS_MAX, errors);
    int64_t after = http_query_cursor(ctx, scope, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = question_store_product_page(conn, id, ctx->user_id, ctx->role == ROLE_SUPPORT, after,
                                           limit, &items, &has_more, &last);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such product.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}
