/* Platform promotions: support creates, changes (before the start) and ends them; sellers in
 * the audience and support list and read them (GET /v1/promotions[/{id}]). The products in a
 * promotion are in api/promotion_products.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/promotion_store.h"
#include "../src/timestamp.h"
#include "../src/user_store.h"
#include "handlers.h"
#include "http.h"

#define TITLE_MAX       200
#define DESCRIPTION_MAX 5000
#define AUDIENCE_MAX    10000
#define PROMOTIONS_DEF  20
#define PROMOTIONS_MAX  100
#define START_SLACK_S   60 /* a start "now" may reach the server a little late */

/* the promotion's numbers and texts, as text for the store */
struct promo_input {
    struct promotion_fields f;
    char min_d[16], max_d[16], min_stock[16];
    char *seller_ids;
    int clear_freeze;
};

static int promo_member(const json_t *body, const char *name)
{
    return json_object_get(body, name) != NULL;
}

static const char *promo_int(const json_t *body, const char *name, char *buf, size_t len)
{
    json_t *v = json_object_get(body, name);
    if (!json_is_integer(v))
        return NULL;
    snprintf(buf, len, "%lld", (long long)json_integer_value(v));
    return buf;
}

/* An RFC 3339 member: its text, or NULL (absent or null); a malformed one is reported. */
static const char *promo_time(const json_t *body, const char *name, time_t *t, json_t *errors)
{
    json_t *v = json_object_get(body, name);
    const char *s = json_string_value(v);
    if (!v || json_is_null(v))
        return NULL;
    /* (a promotion from before 1970 is a typo, and year 0 is one PostgreSQL refuses) */
    if (!s || ts_parse_rfc3339(s, t) != 0 || *t < 0) {
        http_field_error(errors, name, "invalid_format",
                         "must be an RFC 3339 date-time, e.g. 2027-03-01T00:00:00Z");
        return NULL;
    }
    return s;
}

static int promo_one_of(const char *s, const char *a, const char *b)
{
    return s && (strcmp(s, a) == 0 || strcmp(s, b) == 0);
}

/* Reads and checks the members given; creating, the required ones and the rules between
 * members are checked too (a change's are checked against the stored promotion). */
static void promo_read(const json_t *body, int creating, struct promo_input *in, json_t *errors)
{
    static const struct field_rule rules[] = {
        {"title", FT_STRING, 1, 1, TITLE_MAX},
        {"description", FT_STRING, 0, 0, DESCRIPTION_MAX},
        {"type", FT_STRING, 1, 1, 32},
        {"date_start", FT_STRING, 1, 20, 40},
        {"date_end", FT_STRING, 1, 20, 40},
        {"freeze_date", FT_STRING, 0, 20, 40},
        {"min_discount_percent", FT_INT, 1, 1, 95},
        {"max_discount_percent", FT_INT, 1, 1, 95},
        {"min_stock", FT_INT, 0, 1, 1000000000},
        {"audience", FT_STRING, 1, 1, 16},
        {"seller_ids", FT_ARRAY, 0, 1, AUDIENCE_MAX},
        FIELD_RULES_END,
    };
    struct promotion_fields *f = &in->f;
    time_t start = 0, end = 0, freeze = 0;
    if (creating) {
        http_check_fields(body, rules, NULL, errors);
    } else {
        /* a change: nothing is required, every member keeps its rule */
        struct field_rule optional[sizeof rules / sizeof rules[0]];
        memcpy(optional, rules, sizeof rules);
        for (size_t i = 0; optional[i].name; i++)
            optional[i].required = 0;
        http_check_fields(body, optional, NULL, errors);
    }
    if (json_array_size(errors))
        return;
    f->title = json_string_value(json_object_get(body, "title"));
    if (f->title && utf8_blank(f->title))
        http_field_error(errors, "title", "too_short", "must not be blank");
    f->description = json_string_value(json_object_get(body, "description"));
    f->type = json_string_value(json_object_get(body, "type"));
    if (f->type && !promo_one_of(f->type, "discount", "stock_discount"))
        http_field_error(errors, "type", "invalid_enum", "must be discount or stock_discount");
    f->audience = json_string_value(json_object_get(body, "audience"));
    if (f->audience && !promo_one_of(f->audience, "all", "sellers"))
        http_field_error(errors, "audience", "invalid_enum", "must be all or sellers");
    f->date_start = promo_time(body, "date_start", &start, errors);
    f->date_end = promo_time(body, "date_end", &end, errors);
    f->freeze_date = promo_time(body, "freeze_date", &freeze, errors);
    in->clear_freeze = json_is_null(json_object_get(body, "freeze_date"));
    f->min_discount = promo_int(body, "min_discount_percent", in->min_d, sizeof in->min_d);
    f->max_discount = promo_int(body, "max_discount_percent", in->max_d, sizeof in->max_d);
    f->min_stock = promo_int(body, "min_stock", in->min_stock, sizeof in->min_stock);
    if (f->date_start && start < time(NULL) - START_SLACK_S)
        http_field_error(errors, "date_start", "in_the_past", "must not be in the past");
    /* the audience's list goes with audience "sellers", given or changed, and only with it */
    json_t *ids = json_object_get(body, "seller_ids");
    int listed = promo_one_of(f->audience, "sellers", "sellers");
    /* within its size limit only (a longer list is refused by the field rules): the
     * duplicate check is quadratic in the ids given */
    if (json_is_array(ids) && json_array_size(ids) <= AUDIENCE_MAX &&
        !(in->seller_ids = http_id_list(ids, "seller_ids", errors)))
        return;
    f->seller_ids = in->seller_ids;
    if (listed && !in->seller_ids)
        http_field_error(errors, "seller_ids", "required", "is required for audience sellers");
    if (!listed && promo_member(body, "seller_ids"))
        http_field_error(errors, "seller_ids", "not_allowed",
                         "goes with audience sellers (send both to change the list)");
    if (!creating)
        return;
    /* the rules between members, all of them given */
    if (end <= start)
        http_field_error(errors, "date_end", "invalid_range", "must be after date_start");
    if (f->freeze_date && (freeze < start || freeze > end))
        http_field_error(errors, "freeze_date", "invalid_range",
                         "must be between date_start and date_end");
    if (f->min_discount && f->max_discount && atoi(f->max_discount) < atoi(f->min_discount))
        http_field_error(errors, "max_discount_percent", "invalid_range",
                         "must not be below min_discount_percent");
    if (f->type && strcmp(f->type, "stock_discount") == 0 && !f->min_stock)
        http_field_error(errors, "min_stock", "required", "is required for a stock_discount");
    if (f->type && strcmp(f->type, "discount") == 0 && f->min_stock)
        http_field_error(errors, "min_stock", "not_allowed", "is for a stock_discount only");
}

/* The audience's ids must be sellers: 400 naming the first that is not. */
static int promo_sellers_refused(struct http_ctx *ctx, struct db_conn *conn, const char *ids)
{
    int64_t bad = 0;
    sd_err e;
    if (!ids)
        return 0;
    if ((e = user_store_first_not_role(conn, ids, "seller", &bad)) != SD_OK) {
        http_store_error(ctx, e);
        return 1;
    }
    if (!bad)
        return 0;
    json_t *errors = json_array();
    http_field_error(errors, "seller_ids", "not_found", "%lld is not a seller", (long long)bad);
    http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The promotion is invalid.");
    return 1;
}

static sd_err promo_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                              int *answered)
{
    (void)answered;
    return promotion_store_create(conn, ctx->user_id, &((struct promo_input *)arg)->f, out);
}

HANDLER(promotions_create)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct promo_input in = {0};
    struct db_conn *conn;
    json_t *body, *errors;
    int rc = U_CALLBACK_COMPLETE;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SUPPORT) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    promo_read(body, 1, &in, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The promotion is invalid.");
        errors = NULL;
    } else if ((conn = http_conn(ctx)) && !promo_sellers_refused(ctx, conn, in.seller_ids)) {
        rc = http_idempotent_create(ctx, "promotions", promo_create_tx, &in);
    }
    free(in.seller_ids);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(promotions_update)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct promo_input in = {0};
    struct db_conn *conn = NULL;
    json_t *body, *errors, *out = NULL;
    const char *problem = NULL;
    int64_t id = http_path_id(ctx, "id");
    int rc = U_CALLBACK_COMPLETE;
    sd_err e;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SUPPORT) != 0)
        return U_CALLBACK_COMPLETE;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such promotion.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    if (json_object_size(body) == 0)
        http_field_error(errors, "body", "empty_update", "send at least one member to change");
    else
        promo_read(body, 0, &in, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The change is invalid.");
        errors = NULL;
        goto cleanup;
    }
    if (!(conn = http_conn(ctx)) || promo_sellers_refused(ctx, conn, in.seller_ids))
        goto cleanup;
    if ((e = db_begin(conn)) != SD_OK) {
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    e = promotion_store_update(conn, id, &in.f, in.clear_freeze, &out, &problem);
    if (e == SD_OK && (e = db_commit(conn)) == SD_OK) {
        rc = http_json(ctx, 200, out);
        goto cleanup;
    }
    json_decref(out);
    db_rollback(conn);
    if (e == SD_ERR_NOT_FOUND) {
        rc = http_problem(ctx, e, NULL, "No such promotion.");
    } else if (e == SD_ERR_CONFLICT && problem && strcmp(problem, "participations") == 0) {
        rc = http_problem(ctx, e, "participations_outside_rules",
                          "Products already in the promotion would break the changed rules (an "
                          "action price outside the new discount bounds, or stock below "
                          "min_stock): change or remove them first.");
    } else if (e == SD_ERR_CONFLICT && problem) {
        rc = http_problem(ctx, e, "promotion_started",
                          "The promotion has started (or was ended): it cannot change any more.");
    } else if (e == SD_ERR_CONFLICT) {
        rc = http_problem(ctx, e, "period_overlap",
                          "A product in this promotion takes part in another one at the new "
                          "dates; remove it first.");
    } else if (e == SD_ERR_VALIDATION) {
        /* (errors is the still empty array of the request's own checks) */
        http_field_error(errors, problem, "invalid_range",
                         "breaks the promotion's rules once the change is applied (dates in "
                         "order, freeze_date inside them, min_discount_percent <= "
                         "max_discount_percent, min_stock for a stock_discount)");
        rc = http_problem_errors(ctx, e, NULL, errors, "The change is invalid.");
        errors = NULL;
    } else {
        rc = http_store_error(ctx, e);
    }
cleanup:
    free(in.seller_ids);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(promotions_end)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *out = NULL;
    int64_t id = http_path_id(ctx, "id");
    sd_err e;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SUPPORT) != 0)
        return U_CALLBACK_COMPLETE;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such promotion.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = db_begin(conn)) == SD_OK && (e = promotion_store_end(conn, id, &out)) == SD_OK &&
        (e = db_commit(conn)) != SD_OK) {
        json_decref(out);
        out = NULL;
    }
    if (e != SD_OK)
        db_rollback(conn);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such promotion.");
    if (e == SD_ERR_CONFLICT)
        return http_problem(ctx, e, "promotion_finished", "The promotion has finished already.");
    return e == SD_OK ? http_json(ctx, 200, out) : http_store_error(ctx, e);
}

/* sellers see what their audience lets them, support everything (viewer 0) */
static int64_t promo_viewer(const struct http_ctx *ctx)
{
    return ctx->role == ROLE_SUPPORT ? 0 : ctx->user_id;
}

HANDLER(promotions_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *out = NULL;
    int64_t id = http_path_id(ctx, "id");
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SELLER | ROLE_SUPPORT) != 0)
        return U_CALLBACK_COMPLETE;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such promotion.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = promotion_store_get(conn, id, promo_viewer(ctx), &out);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such promotion.");
    return e == SD_OK ? http_json(ctx, 200, out) : http_store_error(ctx, e);
}

HANDLER(promotions_list)
{
    static const char *const allowed[] = {"state", "cursor", "limit", NULL};
    static const char *const states[] = {"available", "participating", "finished", "all", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors;
    char *items = NULL, scope[64];
    int has_more = 0, known = 0;
    int64_t last = 0;
    struct db_conn *conn;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SELLER | ROLE_SUPPORT) != 0)
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_query(ctx, allowed, errors);
    const char *state = http_query(ctx, "state");
    for (int i = 0; state && states[i]; i++)
        known |= strcmp(state, states[i]) == 0;
    if (state && !known)
        http_field_error(errors, "state", "invalid_enum",
                         "must be available, participating, finished or all");
    if (state && strcmp(state, "all") == 0)
        state = NULL;
    int limit = http_query_limit(ctx, PROMOTIONS_DEF, PROMOTIONS_MAX, errors);
    snprintf(scope, sizeof scope, "promotions:%s", state ? state : "");
    int64_t after = http_query_cursor(ctx, scope, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = promotion_store_list(conn, promo_viewer(ctx), state, after, limit, &items, &has_more,
                                    &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}
