/* Reviews of delivered purchases: buyers write, edit and delete them (POST /v1/reviews,
 * PATCH and DELETE /v1/reviews/{id}); everyone who may see one reads it whole
 * (GET /v1/reviews/{id}); sellers mark them in bulk (POST /v1/reviews/status). The lists are
 * in api/review_lists.c, the comment threads and complaints in api/review_comments.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cursor.h"
#include "../src/review_comment_store.h"
#include "../src/review_store.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define REVIEW_TEXT_MAX  5000
#define REVIEW_MEDIA_MAX (REVIEW_MAX_PHOTOS + REVIEW_MAX_VIDEOS)
#define COMMENTS_FIRST   20

static const char *const review_texts[] = {"text", "pros", "cons", NULL};

/* Texts may be empty (a rating alone is a review) but not blank; media hold file ids. */
static void review_check_content(const json_t *body, json_t *errors)
{
    for (int i = 0; review_texts[i]; i++) {
        const char *t = json_string_value(json_object_get(body, review_texts[i]));
        if (t && *t && utf8_blank(t))
            http_field_error(errors, review_texts[i], "too_short",
                             "must not be blank (leave it out or send \"\")");
    }
    http_check_file_ids(json_object_get(body, "media"), "media", 0, errors);
}

/* The content of a version from the body; media as a bigint[] literal (malloc'd, NULL when
 * absent). */
static char *review_content(const json_t *body, const struct moderated *m, struct review_content *c)
{
    json_t *media = json_object_get(body, "media");
    c->rating = (int)json_integer_value(json_object_get(body, "rating"));
    c->text = json_string_value(json_object_get(body, "text"));
    c->pros = json_string_value(json_object_get(body, "pros"));
    c->cons = json_string_value(json_object_get(body, "cons"));
    c->due_at = m->due_at;
    c->flags = m->flags;
    c->publish = m->publish;
    c->media = json_is_array(media) ? db_id_array(media) : NULL;
    return (char *)c->media;
}

struct review_args {
    struct review_purchase purchase;
    int64_t product_id;
    struct review_content content;
};

static sd_err review_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                               int *answered)
{
    struct review_args *a = arg;
    sd_err e =
        review_store_create(conn, ctx->user_id, &a->purchase, a->product_id, &a->content, out);
    if (e == SD_ERR_CONFLICT) {
        /* a second request raced this one for the review or for a file */
        *answered = 1;
        http_problem(ctx, e, "conflict",
                     "A review of this purchase was written, or a file was used, meanwhile.");
    }
    return e;
}

/* 404 / 409 for a purchase that cannot be reviewed; 0 when it can. */
static int review_purchase_refused(struct http_ctx *ctx, sd_err e, const struct review_purchase *p)
{
    if (e == SD_ERR_NOT_FOUND)
        http_problem(ctx, e, NULL, "No such product among your postings.");
    else if (e == SD_ERR_CONFLICT && p->existing)
        http_problem_with(ctx, e, "review_exists",
                          json_pack("{s:I}", "review_id", (json_int_t)p->existing),
                          "You reviewed this product of this posting already; edit that review.");
    else if (e == SD_ERR_CONFLICT)
        http_problem(ctx, e, "not_delivered",
                     "The posting is not delivered yet: a purchase is reviewed once received.");
    else if (e != SD_OK)
        http_store_error(ctx, e);
    return e != SD_OK;
}

HANDLER(reviews_create)
{
    static const struct field_rule rules[] = {
        {"posting_number", FT_STRING, 1, 1, 32},
        {"product_id", FT_INT, 1, 1, INT64_MAX},
        {"rating", FT_INT, 1, 1, 5},
        {"text", FT_STRING, 0, 0, REVIEW_TEXT_MAX},
        {"pros", FT_STRING, 0, 0, REVIEW_TEXT_MAX},
        {"cons", FT_STRING, 0, 0, REVIEW_TEXT_MAX},
        {"media", FT_ARRAY, 0, 0, REVIEW_MEDIA_MAX},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct review_args a = {0};
    struct moderated m = {0};
    struct db_conn *conn;
    json_t *body, *errors;
    char *media = NULL;
    int rc = U_CALLBACK_COMPLETE;
    sd_err e;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_BUYER) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    if (!json_array_size(errors))
        review_check_content(body, errors);
    if (json_array_size(errors))
        goto invalid;
    a.product_id = json_integer_value(json_object_get(body, "product_id"));
    const char *posting = json_string_value(json_object_get(body, "posting_number"));
    /* a retry is answered as the first request was, whatever it wrote since; a purchase
     * that cannot be reviewed is refused before its texts are judged */
    if (http_idempotent_replay(ctx, "reviews") || !(conn = http_conn(ctx)))
        goto cleanup;
    e = review_store_purchase(conn, ctx->user_id, posting, a.product_id, &a.purchase);
    if (review_purchase_refused(ctx, e, &a.purchase))
        goto cleanup;
    if (json_object_get(body, "media") &&
        (e = review_store_check_media(conn, json_object_get(body, "media"), ctx->user_id, 0,
                                      errors)) != SD_OK) {
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    if (json_array_size(errors))
        goto invalid;
    if (moderated_prepare(ctx, body, review_texts, ctx->app->cfg.moderation_review_policy, &m) != 0)
        goto cleanup;
    media = review_content(body, &m, &a.content);
    rc = http_idempotent_create(ctx, "reviews", review_create_tx, &a);
    goto cleanup;
invalid:
    rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The review is invalid.");
    errors = NULL;
cleanup:
    free(media);
    moderated_free(&m);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(reviews_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *review = NULL;
    char *items = NULL, scope[48], cur[CURSOR_MAX_LEN];
    int seller = 0, has_more = 0;
    int64_t id = http_path_id(ctx, "id"), last = 0;
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such review.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e =
        review_store_get(conn, id, ctx->user_id, ctx->role == ROLE_SUPPORT, &review, &seller);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such review.");
    if (e == SD_OK)
        e = review_comment_list(conn, id, ctx->user_id, ctx->role == ROLE_SUPPORT, 0,
                                COMMENTS_FIRST, &items, &has_more, &last);
    if (e != SD_OK) {
        json_decref(review);
        return http_store_error(ctx, e);
    }
    /* the first page of the thread, with the cursor GET /v1/reviews/{id}/comments goes on
     * with */
    json_error_t jerr;
    json_t *comments = json_loads(items, 0, &jerr);
    free(items);
    snprintf(scope, sizeof scope, "review-comments:%lld", (long long)id);
    if (has_more)
        cursor_encode(scope, last, cur);
    json_object_set_new(review, "comments",
                        json_pack("{s:o, s:o}", "items", comments ? comments : json_array(),
                                  "next_cursor", has_more ? json_string(cur) : json_null()));
    return http_json(ctx, 200, review);
}

/* An edit by the author: a new version, moderated again; the published one stays public. */
HANDLER(reviews_update)
{
    static const struct field_rule rules[] = {
        {"rating", FT_INT, 0, 1, 5},
        {"text", FT_STRING, 0, 0, REVIEW_TEXT_MAX},
        {"pros", FT_STRING, 0, 0, REVIEW_TEXT_MAX},
        {"cons", FT_STRING, 0, 0, REVIEW_TEXT_MAX},
        {"media", FT_ARRAY, 0, 0, REVIEW_MEDIA_MAX},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct review_content c = {0};
    struct moderated m = {0};
    struct db_conn *conn = NULL;
    json_t *body, *errors, *out = NULL;
    char *media = NULL;
    int64_t id = http_path_id(ctx, "id");
    int rc = U_CALLBACK_COMPLETE, began = 0;
    sd_err e = SD_OK;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_BUYER) != 0)
        return U_CALLBACK_COMPLETE;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such review of yours.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    if (!json_array_size(errors))
        review_check_content(body, errors);
    int given = 0;
    for (const struct field_rule *r = rules; r->name; r++)
        given += json_object_get(body, r->name) && !json_is_null(json_object_get(body, r->name));
    if (!json_array_size(errors) && !given)
        http_field_error(errors, "body", "empty_update",
                         "send at least one of rating, text, pros, cons, media");
    if (json_array_size(errors))
        goto invalid;
    if (!(conn = http_conn(ctx)) || (e = db_begin(conn)) != SD_OK)
        goto fail;
    began = 1;
    if (json_object_get(body, "media") &&
        (e = review_store_check_media(conn, json_object_get(body, "media"), ctx->user_id, id,
                                      errors)) != SD_OK)
        goto fail;
    if (json_array_size(errors))
        goto invalid;
    if (moderated_prepare(ctx, body, review_texts, ctx->app->cfg.moderation_review_policy, &m) != 0)
        goto cleanup;
    media = review_content(body, &m, &c);
    e = review_store_edit(conn, id, ctx->user_id, &c, &out);
    if (e == SD_OK && (e = db_commit(conn)) == SD_OK) {
        began = 0;
        rc = http_json(ctx, 200, out);
        out = NULL;
        goto cleanup;
    }
fail:
    if (e == SD_ERR_NOT_FOUND)
        rc = http_problem(ctx, e, NULL, "No such review of yours.");
    else if (e == SD_ERR_CONFLICT)
        rc = http_problem(ctx, e, "review_removed",
                          "This review was removed by moderation and cannot be edited.");
    else if (conn)
        rc = http_store_error(ctx, e);
    goto cleanup;
invalid:
    rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The edit is invalid.");
    errors = NULL;
cleanup:
    if (began)
        db_rollback(conn);
    json_decref(out);
    free(media);
    moderated_free(&m);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(reviews_delete)
{
    (void)req;
    (void)app;
    return http_delete_own(http_ctx_of(resp), ROLE_BUYER, review_store_delete,
                           "No such review of yours.");
}

HANDLER(reviews_set_status)
{
    static const char *const statuses[] = {"new", "viewed", "processed", NULL};
    (void)req;
    (void)app;
    return http_bulk_status(http_ctx_of(resp), "review_ids", statuses, "new, viewed or processed",
                            review_store_set_status);
}
