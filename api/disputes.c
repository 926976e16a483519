/* Disputes: a buyer opens one on a posting (POST /v1/disputes), every party reads it
 * (GET /v1/disputes/{id}) and lists its own (GET /v1/disputes, /counts), and every move is
 * POST /v1/disputes/{id}/actions, judged by the one state machine of src/dispute_rules.c. The
 * thread is in api/dispute_messages.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/cursor.h"
#include "../src/dispute_flow.h"
#include "../src/dispute_rules.h"
#include "../src/dispute_store.h"
#include "../src/review_store.h"
#include "disputes.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define DISPUTE_TEXT_MAX  5000
#define DISPUTE_ITEMS_MAX 100
#define DISPUTES_DEFAULT  20
#define DISPUTES_MAX      100

void dispute_add_actions(json_t *d, auth_role role)
{
    const char *state = json_string_value(json_object_get(d, "state"));
    json_object_set_new(d, "allowed_actions", dispute_allowed_actions(role, state));
}

int dispute_answer(struct http_ctx *ctx, struct db_conn *conn, int64_t id, int status)
{
    json_t *d = NULL;
    sd_err e = dispute_store_get(conn, id, ctx->user_id, ctx->role, 1, &d);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such dispute.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    dispute_add_actions(d, ctx->role);
    return http_json(ctx, status, d);
}

static void field_one_of(const json_t *body, const char *name, const char *const *list,
                         json_t *errors)
{
    const char *v = json_string_value(json_object_get(body, name));
    char allowed[256] = "";
    if (!v || dispute_in(list, v))
        return;
    for (int i = 0; list[i]; i++)
        snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s", i ? ", " : "",
                 list[i]);
    http_field_error(errors, name, "invalid_enum", "must be one of: %s", allowed);
}

static void field_not_blank(const json_t *body, const char *name, json_t *errors)
{
    const char *t = json_string_value(json_object_get(body, name));
    if (t && utf8_blank(t))
        http_field_error(errors, name, "too_short", "must not be blank");
}

/* items: [{product_id, quantity}] */
static void dispute_check_items(const json_t *items, json_t *errors)
{
    static const struct field_rule rules[] = {
        {"product_id", FT_INT, 1, 1, INT64_MAX},
        {"quantity", FT_INT, 1, 1, 1000000},
        FIELD_RULES_END,
    };
    json_t *it;
    size_t i;
    json_array_foreach(items, i, it)
    {
        char prefix[32];
        snprintf(prefix, sizeof prefix, "items[%zu]", i);
        if (!json_is_object(it))
            http_field_error(errors, prefix, "wrong_type", "must be an object");
        else
            http_check_fields(it, rules, prefix, errors);
    }
}

/* The amount asked for fits what is requested: required for a partial refund, optional for
 * a refund (all that was paid), refused for a replacement. */
static void dispute_check_request(const json_t *body, json_t *errors)
{
    const char *requested = json_string_value(json_object_get(body, "requested"));
    const json_t *amount = json_object_get(body, "amount");
    int has = amount && !json_is_null(amount);
    if (!requested)
        return;
    if (strcmp(requested, "partial_refund") == 0 && !has)
        http_field_error(errors, "amount", "required", "is required for a partial refund");
    if (strcmp(requested, "replacement") == 0 && has)
        http_field_error(errors, "amount", "not_allowed", "a replacement has no amount");
}

/* 404 / 409 for a posting that cannot be disputed now; 0 when it can. */
static int dispute_purchase_refused(struct http_ctx *ctx, sd_err e,
                                    const struct dispute_purchase *p)
{
    static const struct {
        const char *code, *detail;
    } refusals[] = {
        {"window_over", "The posting was delivered too long ago to be disputed."},
        {"not_yet_due", "The posting is still within its expected delivery time."},
        {"not_disputable", "Only a delivered posting, or one past its expected delivery, can "
                           "be disputed."},
    };
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such posting among your orders."), 1;
    if (e != SD_OK)
        return http_store_error(ctx, e), 1;
    if (p->existing) {
        http_problem_with(ctx, SD_ERR_CONFLICT, "dispute_exists",
                          json_pack("{s:I}", "dispute_id", (json_int_t)p->existing),
                          "This posting has an open dispute already.");
        return 1;
    }
    for (size_t i = 0; p->refusal && i < sizeof refusals / sizeof refusals[0]; i++)
        if (strcmp(p->refusal, refusals[i].code) == 0) {
            http_problem(ctx, SD_ERR_CONFLICT, refusals[i].code, "%s", refusals[i].detail);
            return 1;
        }
    return 0;
}

static sd_err dispute_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                                int *answered)
{
    const struct dispute_new *d = arg;
    int64_t id = 0;
    sd_err e = dispute_store_create(conn, d, &id);
    if (e == SD_ERR_CONFLICT) {
        *answered = 1;
        http_problem_with(ctx, e, "dispute_exists",
                          json_pack("{s:I}", "dispute_id", (json_int_t)id),
                          "This posting has an open dispute already.");
        return e;
    }
    if (e == SD_OK)
        e = dispute_flow_notify(conn, id, ctx->user_id, "dispute.opened", "awaiting_seller");
    if (e == SD_OK && (e = dispute_store_get(conn, id, ctx->user_id, ctx->role, 1, out)) == SD_OK)
        dispute_add_actions(*out, ctx->role);
    return e;
}

/* The checks that need the database: the posting, the items, the amount, the media. 0 when
 * all pass; 1 when answered. */
static int dispute_check_purchase(struct http_ctx *ctx, struct db_conn *conn, json_t *body,
                                  struct dispute_purchase *p, json_t *errors)
{
    const struct sd_config *cfg = &ctx->app->cfg;
    json_t *items = json_object_get(body, "items");
    sd_err e = dispute_store_purchase(
        conn, ctx->user_id, json_string_value(json_object_get(body, "posting_number")),
        json_is_array(items) ? items : NULL, cfg->dispute_open_s, cfg->expected_delivery_s, p);
    if (dispute_purchase_refused(ctx, e, p))
        return 1;
    json_array_extend(errors, p->item_errors);
    int64_t amount = json_integer_value(json_object_get(body, "amount"));
    if (amount > p->paid)
        http_field_error(errors, "amount", "too_large",
                         "is more than the %lld paid for the disputed items", (long long)p->paid);
    json_t *media = json_object_get(body, "media");
    if (json_array_size(media) &&
        (e = review_store_check_media(conn, media, ctx->user_id, 0, errors)) != SD_OK)
        return http_store_error(ctx, e), 1;
    return 0;
}

HANDLER(disputes_create)
{
    static const struct field_rule rules[] = {
        {"posting_number", FT_STRING, 1, 1, 32},
        {"items", FT_ARRAY, 0, 1, DISPUTE_ITEMS_MAX},
        {"reason", FT_STRING, 1, 1, 32},
        {"text", FT_STRING, 1, 1, DISPUTE_TEXT_MAX},
        {"media", FT_ARRAY, 0, 0, REVIEW_MAX_PHOTOS + REVIEW_MAX_VIDEOS},
        {"requested", FT_STRING, 1, 1, 32},
        {"amount", FT_INT, 0, 1, INT64_MAX},
        FIELD_RULES_END,
    };
    static const char *const guarded[] = {"text", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct dispute_purchase p = {0};
    struct db_conn *conn;
    json_t *body, *errors;
    char *media = NULL;
    int rc = U_CALLBACK_COMPLETE;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_BUYER) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    field_one_of(body, "reason", dispute_reasons, errors);
    field_one_of(body, "requested", dispute_requests, errors);
    field_not_blank(body, "text", errors);
    if (!json_array_size(errors)) { /* within the size limits checked above */
        dispute_check_items(json_object_get(body, "items"), errors);
        http_check_file_ids(json_object_get(body, "media"), "media", 0, errors);
    }
    dispute_check_request(body, errors);
    if (json_array_size(errors))
        goto invalid;
    if (http_idempotent_replay(ctx, "disputes") || !(conn = http_conn(ctx)))
        goto cleanup;
    if (dispute_check_purchase(ctx, conn, body, &p, errors))
        goto cleanup;
    if (json_array_size(errors))
        goto invalid;
    if (moderation_guard(ctx, body, guarded) != 0)
        goto cleanup;
    json_t *mj = json_object_get(body, "media");
    media = json_array_size(mj) ? db_id_array(mj) : NULL;
    const char *requested = json_string_value(json_object_get(body, "requested"));
    int64_t amount = json_integer_value(json_object_get(body, "amount"));
    if (strcmp(requested, "refund") == 0 && !amount)
        amount = p.paid;
    json_t *items = json_object_get(body, "items");
    struct dispute_new d = {ctx->user_id,
                            &p,
                            json_string_value(json_object_get(body, "posting_number")),
                            json_string_value(json_object_get(body, "reason")),
                            json_string_value(json_object_get(body, "text")),
                            requested,
                            amount,
                            json_is_array(items) ? items : NULL,
                            media,
                            ctx->app->cfg.dispute_seller_s};
    rc = http_idempotent_create(ctx, "disputes", dispute_create_tx, &d);
    goto cleanup;
invalid:
    rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The dispute is invalid.");
    errors = NULL;
cleanup:
    free(media);
    json_decref(p.item_errors);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(disputes_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    int64_t id = http_path_id(ctx, "id");
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such dispute.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    return dispute_answer(ctx, conn, id, 200);
}

/* The deadline order's cursor: the last row's key and id. */
static void dispute_deadline_cursor(struct http_ctx *ctx, const char *scope,
                                    struct dispute_filter *f, json_t *errors)
{
    const char *s = http_query(ctx, "cursor");
    if (s && *s && cursor_decode_key(scope, s, &f->after_key, &f->after) != 0)
        http_field_error(errors, "cursor", "invalid_cursor",
                         "is not a cursor returned by this list");
}

HANDLER(disputes_list)
{
    static const char *const allowed[] = {"state",  "posting_number", "overdue", "sort",
                                          "cursor", "limit",          NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array();
    struct dispute_filter f = {ctx->user_id, ctx->role, NULL, NULL, -1, DISPUTE_NEWEST, 0, 0, 0};
    char *items = NULL, scope[200];
    int has_more = 0;
    int64_t last = 0;
    struct db_conn *conn;
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    f.state = http_query(ctx, "state");
    if (f.state && !dispute_in(dispute_states, f.state))
        http_field_error(errors, "state", "invalid_enum",
                         "must be a dispute state (see the Dispute schema)");
    f.posting_number = http_query(ctx, "posting_number");
    if (f.posting_number && (!*f.posting_number || strlen(f.posting_number) > 32))
        http_field_error(errors, "posting_number", "out_of_range", "must be 1 to 32 characters");
    f.overdue = http_query_bool(ctx, "overdue", errors);
    /* support works the queue by deadline; a party reads its own newest first */
    const char *sort = http_query(ctx, "sort");
    f.sort = ctx->role == ROLE_SUPPORT ? DISPUTE_DEADLINE : DISPUTE_NEWEST;
    if (sort && strcmp(sort, "deadline") == 0)
        f.sort = DISPUTE_DEADLINE;
    else if (sort && strcmp(sort, "newest") == 0)
        f.sort = DISPUTE_NEWEST;
    else if (sort)
        http_field_error(errors, "sort", "invalid_enum", "must be newest or deadline");
    f.limit = http_query_limit(ctx, DISPUTES_DEFAULT, DISPUTES_MAX, errors);
    /* a cursor belongs to one list: the same filters and order */
    snprintf(scope, sizeof scope, "disputes:%d:%s:%s:%d:%d", (int)f.sort, f.state ? f.state : "",
             f.posting_number ? f.posting_number : "", f.overdue, (int)f.role);
    if (f.sort == DISPUTE_NEWEST)
        f.after = http_query_cursor(ctx, scope, errors);
    else
        dispute_deadline_cursor(ctx, scope, &f, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    int64_t last_key = 0;
    sd_err e = dispute_store_list(conn, &f, &items, &has_more, &last, &last_key);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    json_t *more = json_object();
    if (has_more && f.sort == DISPUTE_DEADLINE) {
        char cur[CURSOR_MAX_LEN];
        cursor_encode_key(scope, last_key, last, cur);
        json_object_set_new(more, "next_cursor", json_string(cur));
        has_more = 0;
    }
    return http_page_with(ctx, items, has_more, last, scope, more);
}

HANDLER(disputes_counts)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    static const char *const allowed[] = {NULL};
    json_t *errors = json_array(), *out = NULL;
    struct db_conn *conn;
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = dispute_store_counts(conn, ctx->user_id, ctx->role, &out);
    return e == SD_OK ? http_json(ctx, 200, out) : http_store_error(ctx, e);
}
