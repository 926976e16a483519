/* Sellers' answers to product questions: POST/GET /v1/questions/{id}/answers and
 * DELETE /v1/answers/{id}. Every answer goes through moderation (api/moderation.c decides). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/answer_store.h"
#include "../src/moderation_policy.h"
#include "../src/timestamp.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define ANSWER_TEXT_MIN      2
#define ANSWER_TEXT_MAX      3000
#define ANSWERS_PAGE_DEFAULT 20
#define ANSWERS_PAGE_MAX     100

static const char *const answer_texts[] = {"text", NULL};

struct answer_args {
    struct answer_new a;
};

static sd_err answer_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                               int *answered)
{
    struct answer_args *args = arg;
    sd_err e = answer_store_create(conn, &args->a, out);
    if (e == SD_ERR_NOT_FOUND) {
        *answered = 1;
        http_problem(ctx, e, NULL, "No such question on your products.");
    }
    return e;
}

HANDLER(answers_create)
{
    static const struct field_rule rules[] = {
        {"text", FT_STRING, 1, ANSWER_TEXT_MIN, ANSWER_TEXT_MAX},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct sd_app *a = app;
    struct answer_args args = {0};
    struct moderated m = {0};
    struct db_conn *conn;
    json_t *body, *errors;
    int64_t qid = http_path_id(ctx, "id");
    int rc = U_CALLBACK_COMPLETE;
    sd_err e;
    (void)req;
    if (http_require_role(ctx, ROLE_SELLER) != 0)
        return U_CALLBACK_COMPLETE;
    if (qid < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such question on your products.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    const char *text = json_string_value(json_object_get(body, "text"));
    if (!json_array_size(errors) && utf8_blank(text))
        http_field_error(errors, "text", "too_short", "must not be blank");
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The answer is invalid.");
        goto cleanup;
    }
    json_decref(errors);
    /* someone else's question is 404 whatever the text says */
    if (!(conn = http_conn(ctx)))
        goto cleanup;
    if ((e = answer_store_answerable(conn, qid, ctx->user_id)) != SD_OK) {
        rc = e == SD_ERR_NOT_FOUND
                 ? http_problem(ctx, e, NULL, "No such question on your products.")
                 : http_store_error(ctx, e);
        goto cleanup;
    }
    if (moderated_prepare(ctx, body, answer_texts, a->cfg.moderation_answer_policy, &m) != 0)
        goto cleanup;
    args.a = (struct answer_new){
        .question_id = qid,
        .seller_id = ctx->user_id,
        .text = text,
        .flags = m.flags,
        .due_at = m.due_at,
        .publish = m.publish,
    };
    rc = http_idempotent_create(ctx, "answers", answer_create_tx, &args);
cleanup:
    moderated_free(&m);
    json_decref(body);
    return rc;
}

HANDLER(answers_list)
{
    static const char *const allowed[] = {"limit", "cursor", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *errors;
    char *items = NULL;
    int has_more = 0, all = 0;
    int64_t last = 0, qid = http_path_id(ctx, "id");
    sd_err e;
    (void)req;
    (void)app;
    if (qid < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such question.");
    errors = json_array();
    http_check_query(ctx, allowed, errors);
    int limit = http_query_limit(ctx, ANSWERS_PAGE_DEFAULT, ANSWERS_PAGE_MAX, errors);
    int64_t after = http_query_cursor(ctx, "answers", errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    e = answer_store_question_access(conn, qid, ctx->user_id, ctx->role == ROLE_SUPPORT,
                                     ctx->role == ROLE_SELLER, &all);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such question.");
    if (e == SD_OK)
        e = answer_store_list(conn, qid, all, after, limit, &items, &has_more, &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, "answers");
}

HANDLER(answers_delete)
{
    (void)req;
    (void)app;
    return http_delete_own(http_ctx_of(resp), ROLE_BUYER | ROLE_SELLER | ROLE_SUPPORT,
                           answer_store_delete, "No such answer among yours.");
}
