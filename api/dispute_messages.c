/* The thread of a dispute (GET/POST /v1/disputes/{id}/messages, POST /v1/disputes/{id}/read):
 * its buyer, its seller and the support team write in it, with attachments; every text passes
 * the content-safety engine, and each side has a read mark and an unread count, counted in
 * GET /v1/notifications/counters under "disputes". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/chat_store.h"
#include "../src/dispute_flow.h"
#include "../src/dispute_rules.h"
#include "../src/dispute_store.h"
#include "../src/dispute_thread_store.h"
#include "../src/event_store.h"
#include "../src/ratelimit_store.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define THREAD_DEFAULT   50
#define THREAD_MAX       100
#define THREAD_TEXT_MAX  2000
#define THREAD_FILES_MAX 10

HANDLER(dispute_messages_list)
{
    static const char *const allowed[] = {"cursor", "limit", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array(), *d = NULL;
    char *items = NULL, scope[48];
    int has_more = 0, limit;
    int64_t id = http_path_id(ctx, "id"), before, last = 0;
    struct db_conn *conn;
    (void)req;
    (void)app;
    if (id < 0) {
        json_decref(errors);
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such dispute.");
    }
    http_check_query(ctx, allowed, errors);
    snprintf(scope, sizeof scope, "dispute-messages:%lld", (long long)id);
    before = http_query_cursor(ctx, scope, errors);
    limit = http_query_limit(ctx, THREAD_DEFAULT, THREAD_MAX, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = dispute_store_get(conn, id, ctx->user_id, ctx->role, 0, &d);
    json_decref(d);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such dispute.");
    if (e == SD_OK)
        e = dispute_thread_list(conn, id, before, limit, &items, &has_more, &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}

struct post {
    int64_t id;
    const char *text;
    char *files; /* bigint[] literal or NULL */
};

/* Locks the dispute for a change of its thread; 0 with the caller's side, or answered. */
static int thread_lock(struct http_ctx *ctx, struct db_conn *conn, int64_t id,
                       struct dispute_locked *d, sd_err *e)
{
    *e = dispute_store_lock(conn, id, ctx->user_id, ctx->role, d);
    if (*e == SD_ERR_NOT_FOUND) {
        http_problem(ctx, *e, NULL, "No such dispute.");
        return -1;
    }
    return *e == SD_OK ? 0 : -1;
}

/* News of a message for the dispute's parties' logs, in the message's transaction: the buyer
 * and the seller, not its author (the support team's shared side is nobody's account). */
static sd_err thread_event(struct db_conn *conn, const struct dispute_locked *d, int64_t author,
                           const json_t *msg)
{
    int64_t parties[] = {d->buyer_id, d->seller_id};
    json_t *data = json_pack(
        "{s:O, s:O, s:O, s:O}", "dispute_id", json_object_get(msg, "dispute_id"), "message_id",
        json_object_get(msg, "id"), "author_id", json_object_get(msg, "author_id"), "message", msg);
    sd_err e =
        data ? event_store_append_to(conn, parties, 2, author, "dispute.message_created", data)
             : SD_ERR_INTERNAL;
    json_decref(data);
    return e;
}

static sd_err post_create(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                          int *answered)
{
    struct post *p = arg;
    struct dispute_locked d;
    char key[48];
    int retry = 0;
    int64_t foreign = 0;
    sd_err e;
    if (thread_lock(ctx, conn, p->id, &d, &e) != 0)
        goto done;
    /* a deadline that has passed is applied first, so no message lands in an offer or a
     * rejection that has closed meanwhile (when the message is then refused, the transaction
     * and the move with it are rolled back, and the deadline job makes the move) */
    if ((e = dispute_flow_lapse(conn, &ctx->app->cfg, p->id, &d)) != SD_OK)
        goto done;
    if (dispute_state_final(d.state)) {
        http_problem(ctx, SD_ERR_CONFLICT, "dispute_closed",
                     "This dispute is %s; its thread takes no more messages.", d.state);
        e = SD_ERR_CONFLICT;
        goto done;
    }
    snprintf(key, sizeof key, "dispute-message:%lld", (long long)ctx->user_id);
    e = ratelimit_store_hit(conn, key, ctx->app->cfg.chat_messages_per_minute, 60, &retry);
    if (e == SD_ERR_RATE_LIMITED) {
        http_rate_limited(ctx, retry, "Too many messages; slow down.");
        goto done;
    }
    if (e == SD_OK && p->files &&
        (e = chat_store_foreign_file(conn, ctx->user_id, p->files, &foreign)) == SD_OK && foreign) {
        json_t *errors = json_array();
        http_field_error(errors, "attachment_ids", "not_found",
                         "file %lld is not one you uploaded (or is a review's media)",
                         (long long)foreign);
        http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The message cannot be sent.");
        e = SD_ERR_VALIDATION;
        goto done;
    }
    if (e == SD_OK)
        e = dispute_thread_add(conn, p->id, ctx->user_id, dispute_side_of(ctx->role), p->text,
                               p->files, out);
    if (e == SD_OK)
        e = thread_event(conn, &d, ctx->user_id, *out);
done:
    *answered = ctx->answered;
    return e;
}

HANDLER(dispute_messages_create)
{
    static const struct field_rule rules[] = {
        {"text", FT_STRING, 0, 1, THREAD_TEXT_MAX},
        {"attachment_ids", FT_ARRAY, 0, 0, THREAD_FILES_MAX},
        FIELD_RULES_END,
    };
    static const char *const guarded[] = {"text", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct post p = {http_path_id(ctx, "id"), NULL, NULL};
    json_t *body, *errors;
    int rc = U_CALLBACK_COMPLETE;
    (void)req;
    (void)app;
    if (p.id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such dispute.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    json_t *ids = json_object_get(body, "attachment_ids");
    p.text = json_string_value(json_object_get(body, "text"));
    if (!json_array_size(errors) && !p.text && !json_array_size(ids))
        http_field_error(errors, "text", "required", "give text or attachment_ids (at least one)");
    if (p.text && utf8_blank(p.text))
        http_field_error(errors, "text", "too_short", "must not be blank");
    /* only within its size limit: the duplicate check is quadratic in the ids given */
    if (!json_array_size(errors))
        http_check_file_ids(ids, "attachment_ids", 1, errors);
    if (json_array_size(ids) && !json_array_size(errors) && !(p.files = db_id_array(ids))) {
        rc = http_store_error(ctx, SD_ERR_INTERNAL); /* out of memory */
    } else if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The message cannot be sent.");
        errors = NULL;
    } else if (moderation_guard(ctx, body, guarded) == 0) {
        char scope[48];
        snprintf(scope, sizeof scope, "dispute-message:%lld", (long long)p.id);
        rc = http_idempotent_create(ctx, scope, post_create, &p);
    }
    free(p.files);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(dispute_messages_read)
{
    static const struct field_rule rules[] = {
        {"up_to_message_id", FT_INT, 1, 1, INT64_MAX},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct dispute_locked d;
    struct db_conn *conn;
    int64_t id = http_path_id(ctx, "id"), unread = 0;
    json_t *body, *errors;
    sd_err e;
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such dispute.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    int64_t up_to = json_integer_value(json_object_get(body, "up_to_message_id"));
    json_decref(body);
    if (json_array_size(errors))
        return http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "Nothing was marked.");
    json_decref(errors);
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = db_begin(conn)) != SD_OK)
        return http_store_error(ctx, e);
    if (thread_lock(ctx, conn, id, &d, &e) == 0)
        e = dispute_thread_read(conn, id, dispute_side_of(ctx->role), up_to, &unread);
    if (e == SD_OK && (e = db_commit(conn)) == SD_OK)
        return http_json(ctx, 200, json_pack("{s:I}", "unread_count", (json_int_t)unread));
    db_rollback(conn);
    if (ctx->answered)
        return U_CALLBACK_COMPLETE;
    if (e == SD_ERR_VALIDATION) {
        errors = json_array();
        http_field_error(errors, "up_to_message_id", "not_found",
                         "is not a message of this dispute");
        return http_problem_errors(ctx, e, NULL, errors, "Nothing was marked.");
    }
    return http_store_error(ctx, e);
}
