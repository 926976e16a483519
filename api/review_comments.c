/* The comment threads of reviews (POST/GET /v1/reviews/{id}/comments, DELETE
 * /v1/review-comments/{id}) and sellers' complaints about reviews (POST
 * /v1/reviews/{id}/complaints). Both are moderated: api/moderation.c decides. */
#include <stdio.h>
#include <string.h>

#include "../src/moderation_policy.h"
#include "../src/review_comment_store.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define COMMENT_TEXT_MAX   3000
#define COMPLAINT_TEXT_MAX 1000
#define COMMENTS_DEFAULT   20
#define COMMENTS_MAX       100

static const char *const comment_texts[] = {"text", NULL};

static sd_err comment_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                                int *answered)
{
    sd_err e = review_comment_create(conn, arg, out);
    if (e == SD_ERR_VALIDATION) {
        json_t *errors = json_array();
        http_field_error(errors, "parent_comment_id", "not_top_level",
                         "must be a top-level comment of this review that you can see (replies "
                         "nest one level)");
        http_problem_errors(ctx, e, NULL, errors, "The comment is invalid.");
        *answered = 1;
    }
    return e;
}

/* The product's seller answers officially; the review's author and other buyers comment;
 * support moderates and does not take part. */
HANDLER(review_comments_create)
{
    static const struct field_rule rules[] = {
        {"text", FT_STRING, 1, 1, COMMENT_TEXT_MAX},
        {"parent_comment_id", FT_INT, 0, 1, INT64_MAX},
        {"mark_processed", FT_BOOL, 0, 0, 0},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct review_comment_new c = {0};
    struct moderated m = {0};
    struct db_conn *conn;
    json_t *body, *errors;
    int seller = 0, author = 0, rc = U_CALLBACK_COMPLETE;
    sd_err e;
    (void)req;
    (void)app;
    c.review_id = http_path_id(ctx, "id");
    if (http_require_role(ctx, ROLE_BUYER | ROLE_SELLER) != 0)
        return U_CALLBACK_COMPLETE;
    if (c.review_id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such review.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    c.text = json_string_value(json_object_get(body, "text"));
    if (!json_array_size(errors) && utf8_blank(c.text))
        http_field_error(errors, "text", "too_short", "must not be blank");
    c.parent_id = json_integer_value(json_object_get(body, "parent_comment_id"));
    c.mark_processed = json_is_true(json_object_get(body, "mark_processed"));
    if (json_array_size(errors))
        goto invalid;
    if (!(conn = http_conn(ctx)))
        goto cleanup;
    e = review_comment_access(conn, c.review_id, ctx->user_id, 0, &seller, &author);
    if (e != SD_OK) {
        rc = e == SD_ERR_NOT_FOUND ? http_problem(ctx, e, NULL, "No such review.")
                                   : http_store_error(ctx, e);
        goto cleanup;
    }
    if (ctx->role == ROLE_SELLER && !seller) {
        rc = http_problem(ctx, SD_ERR_FORBIDDEN, NULL,
                          "Only the product's seller, the review's author and buyers comment.");
        goto cleanup;
    }
    if (c.mark_processed && !seller) {
        http_field_error(errors, "mark_processed", "not_allowed",
                         "only the product's seller marks a review processed");
        goto invalid;
    }
    int policy = seller ? ctx->app->cfg.moderation_seller_comment_policy
                        : ctx->app->cfg.moderation_buyer_comment_policy;
    if (moderated_prepare(ctx, body, comment_texts, policy, &m) != 0)
        goto cleanup;
    c.author_id = ctx->user_id;
    c.official = seller;
    c.due_at = m.due_at;
    c.flags = m.flags;
    c.publish = m.publish;
    rc = http_idempotent_create(ctx, "review-comments", comment_create_tx, &c);
    goto cleanup;
invalid:
    rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The comment is invalid.");
    errors = NULL;
cleanup:
    moderated_free(&m);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(review_comments_list)
{
    static const char *const allowed[] = {"cursor", "limit", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array();
    char *items = NULL, scope[48];
    int has_more = 0, seller = 0, author = 0, support = ctx->role == ROLE_SUPPORT;
    int64_t last = 0, id = http_path_id(ctx, "id");
    struct db_conn *conn;
    (void)req;
    (void)app;
    if (id < 0) {
        json_decref(errors);
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such review.");
    }
    snprintf(scope, sizeof scope, "review-comments:%lld", (long long)id);
    http_check_query(ctx, allowed, errors);
    int limit = http_query_limit(ctx, COMMENTS_DEFAULT, COMMENTS_MAX, errors);
    int64_t after = http_query_cursor(ctx, scope, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = review_comment_access(conn, id, ctx->user_id, support, &seller, &author);
    if (e == SD_OK)
        e = review_comment_list(conn, id, ctx->user_id, support, after, limit, &items, &has_more,
                                &last);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such review.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}

HANDLER(review_comments_delete)
{
    (void)req;
    (void)app;
    return http_delete_own(http_ctx_of(resp), ROLE_BUYER | ROLE_SELLER, review_comment_delete,
                           "No such comment of yours.");
}

static sd_err complaint_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg,
                                  json_t **out, int *answered)
{
    sd_err e = review_complaint_create(conn, arg, out);
    *answered = 1;
    if (e == SD_ERR_NOT_FOUND)
        http_problem(ctx, e, NULL, "No such review of your products.");
    else if (e == SD_ERR_CONFLICT)
        http_problem(ctx, e, "complaint_open",
                     "Your complaint about this review is still waiting for support.");
    else
        *answered = 0;
    return e;
}

HANDLER(review_complaints_create)
{
    static const struct field_rule rules[] = {
        {"reason", FT_STRING, 1, 1, 32},
        {"text", FT_STRING, 0, 0, COMPLAINT_TEXT_MAX},
        FIELD_RULES_END,
    };
    static const char *const reasons[] = {"not_about_product", "competitor", "spam", "obscene",
                                          "personal_data",     "other",      NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct review_complaint_new c = {0};
    struct moderated m = {0};
    json_t *body, *errors;
    int rc = U_CALLBACK_COMPLETE;
    (void)req;
    (void)app;
    c.review_id = http_path_id(ctx, "id");
    if (http_require_role(ctx, ROLE_SELLER) != 0)
        return U_CALLBACK_COMPLETE;
    if (c.review_id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such review of your products.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    c.reason = json_string_value(json_object_get(body, "reason"));
    c.text = json_string_value(json_object_get(body, "text"));
    int known = 0;
    for (int i = 0; c.reason && reasons[i]; i++)
        known |= strcmp(c.reason, reasons[i]) == 0;
    if (c.reason && !known)
        http_field_error(errors, "reason", "invalid_enum",
                         "must be not_about_product, competitor, spam, obscene, personal_data "
                         "or other");
    if (c.text && *c.text && utf8_blank(c.text))
        http_field_error(errors, "text", "too_short", "must not be blank");
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The complaint is invalid.");
        errors = NULL;
        goto cleanup;
    }
    /* support decides every complaint: never published by itself */
    if (moderated_prepare(ctx, body, comment_texts, MODERATION_MANUAL, &m) != 0)
        goto cleanup;
    c.seller_id = ctx->user_id;
    c.due_at = m.due_at;
    c.flags = m.flags;
    rc = http_idempotent_create(ctx, "review-complaints", complaint_create_tx, &c);
cleanup:
    moderated_free(&m);
    json_decref(errors);
    json_decref(body);
    return rc;
}
