/* A seller's products in a promotion: the candidates (GET /v1/promotions/{id}/candidates), the
 * products in it (GET .../products), adding or updating them (POST .../products) and removing
 * them (POST .../products/remove), each item judged on its own with a reason when refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/promotion_product_store.h"
#include "../src/promotion_store.h"
#include "handlers.h"
#include "http.h"

#define ITEMS_MAX    1000
#define PRODUCTS_DEF 50
#define PRODUCTS_MAX 1000
#define QUANTITY_MAX 1000000000

/* 404 unless the promotion exists and the seller is in its audience (support: exists). */
static int pp_promotion_hidden(struct http_ctx *ctx, struct db_conn *conn, int64_t id)
{
    sd_err e =
        id < 0 ? SD_ERR_NOT_FOUND
               : promotion_store_visible(conn, id, ctx->role == ROLE_SUPPORT ? 0 : ctx->user_id);
    if (e == SD_OK)
        return 0;
    if (e == SD_ERR_NOT_FOUND)
        http_problem(ctx, e, NULL, "No such promotion.");
    else
        http_store_error(ctx, e);
    return 1;
}

/* GET candidates and products: one shape, another store call */
typedef sd_err (*pp_page_fn)(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                             int64_t after_id, int limit, char **items, int *has_more,
                             int64_t *last_id);
static int pp_page(struct http_ctx *ctx, unsigned roles, const char *what, pp_page_fn page)
{
    static const char *const allowed[] = {"cursor", "limit", NULL};
    json_t *errors;
    char *items = NULL, scope[64];
    int has_more = 0;
    int64_t last = 0, id = http_path_id(ctx, "id");
    struct db_conn *conn;
    if (http_require_role(ctx, roles) != 0)
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_query(ctx, allowed, errors);
    int limit = http_query_limit(ctx, PRODUCTS_DEF, PRODUCTS_MAX, errors);
    snprintf(scope, sizeof scope, "promotion-%s:%lld", what, (long long)id);
    int64_t after = http_query_cursor(ctx, scope, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    if (pp_promotion_hidden(ctx, conn, id))
        return U_CALLBACK_COMPLETE;
    int64_t seller = ctx->role == ROLE_SUPPORT ? 0 : ctx->user_id;
    sd_err e = page(conn, id, seller, after, limit, &items, &has_more, &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}

HANDLER(promotion_candidates)
{
    (void)req;
    (void)app;
    return pp_page(http_ctx_of(resp), ROLE_SELLER, "candidates", promotion_product_candidates);
}

HANDLER(promotion_products_list)
{
    (void)req;
    (void)app;
    return pp_page(http_ctx_of(resp), ROLE_SELLER | ROLE_SUPPORT, "products",
                   promotion_product_list);
}

/* A discount in percent: a number above 0 and below 100 with at most two decimals, as text. */
static int pp_discount(const json_t *v, char *buf, size_t len)
{
    double d = json_number_value(v), cents = d * 100.0;
    if (!json_is_number(v) || !(d > 0.0 && d < 100.0))
        return -1;
    long long whole = (long long)(cents + 0.5);
    double off = cents - (double)whole;
    if (off > 1e-6 || off < -1e-6)
        return -1;
    snprintf(buf, len, "%lld.%02lld", whole / 100, whole % 100);
    return 0;
}

struct pp_request {
    struct promotion_item *items;
    char (*prices)[24];
    char (*discounts)[32];
    size_t n;
};

static void pp_request_free(struct pp_request *r)
{
    free(r->items);
    free(r->prices);
    free(r->discounts);
}

/* {products: [{product_id, action_price? | discount_percent?, quantity}]} into r */
static void pp_read_items(const json_t *body, struct pp_request *r, json_t *errors)
{
    static const struct field_rule rules[] = {
        {"products", FT_ARRAY, 1, 1, ITEMS_MAX},
        FIELD_RULES_END,
    };
    static const struct field_rule item_rules[] = {
        {"product_id", FT_INT, 1, 1, INT64_MAX},
        {"action_price", FT_INT, 0, 1, INT64_MAX / 200},
        {"discount_percent", FT_NUMBER, 0, 0, 0},
        {"quantity", FT_INT, 1, 1, QUANTITY_MAX},
        FIELD_RULES_END,
    };
    char prefix[32];
    size_t i;
    json_t *item;
    http_check_fields(body, rules, NULL, errors);
    if (json_array_size(errors))
        return;
    json_t *list = json_object_get(body, "products");
    r->n = json_array_size(list);
    r->items = calloc(r->n, sizeof *r->items);
    r->prices = calloc(r->n, sizeof *r->prices);
    r->discounts = calloc(r->n, sizeof *r->discounts);
    json_array_foreach(list, i, item)
    {
        snprintf(prefix, sizeof prefix, "products[%zu]", i);
        if (!json_is_object(item)) {
            http_field_error(errors, prefix, "wrong_type", "must be an object");
            continue;
        }
        size_t before = json_array_size(errors);
        http_check_fields(item, item_rules, prefix, errors);
        if (json_array_size(errors) > before)
            continue;
        struct promotion_item *it = &r->items[i];
        json_t *price = json_object_get(item, "action_price");
        json_t *discount = json_object_get(item, "discount_percent");
        it->product_id = json_integer_value(json_object_get(item, "product_id"));
        it->quantity = json_integer_value(json_object_get(item, "quantity"));
        if (json_is_integer(price)) {
            snprintf(r->prices[i], sizeof r->prices[i], "%lld",
                     (long long)json_integer_value(price));
            it->action_price = r->prices[i];
        }
        if (discount && !json_is_null(discount)) {
            char field[64];
            snprintf(field, sizeof field, "%s.discount_percent", prefix);
            if (pp_discount(discount, r->discounts[i], sizeof r->discounts[i]) != 0)
                http_field_error(errors, field, "out_of_range",
                                 "must be a number above 0 and below 100, at most two decimals");
            it->discount = r->discounts[i];
        }
        if (!it->action_price && !it->discount)
            http_field_error(errors, prefix, "required",
                             "needs action_price or discount_percent (or both, agreeing)");
        for (size_t k = 0; k < i; k++)
            if (r->items[k].product_id == it->product_id) {
                char field[64];
                snprintf(field, sizeof field, "%s.product_id", prefix);
                http_field_error(errors, field, "duplicate", "product %lld is listed twice",
                                 (long long)it->product_id);
                break;
            }
    }
}

/* adds and removals: validate, then run the store's verdicts in one transaction */
typedef sd_err (*pp_change_fn)(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                               const void *arg, char **out);

static int pp_change(struct http_ctx *ctx, json_t *body, json_t *errors, pp_change_fn change,
                     const void *arg)
{
    struct db_conn *conn;
    char *out = NULL;
    int64_t id = http_path_id(ctx, "id");
    int rc;
    sd_err e;
    if (json_array_size(errors))
        return http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, json_incref(errors),
                                   "The request is invalid; nothing was changed.");
    (void)body;
    if (!(conn = http_conn(ctx)) || pp_promotion_hidden(ctx, conn, id))
        return U_CALLBACK_COMPLETE;
    if ((e = db_begin(conn)) != SD_OK)
        return http_store_error(ctx, e);
    if ((e = change(conn, id, ctx->user_id, arg, &out)) == SD_OK &&
        (e = db_commit(conn)) == SD_OK) {
        rc = http_json_text(ctx, 200, out);
        free(out);
        return rc;
    }
    free(out);
    db_rollback(conn);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such promotion.");
    if (e == SD_ERR_CONFLICT)
        return http_problem(ctx, e, "conflict",
                            "Another change of these products was committed meanwhile; retry.");
    return http_store_error(ctx, e);
}

static sd_err pp_upsert(struct db_conn *conn, int64_t promotion_id, int64_t seller, const void *arg,
                        char **out)
{
    const struct pp_request *r = arg;
    return promotion_product_upsert(conn, promotion_id, seller, r->items, r->n, out);
}

static sd_err pp_remove(struct db_conn *conn, int64_t promotion_id, int64_t seller, const void *arg,
                        char **out)
{
    return promotion_product_remove(conn, promotion_id, seller, arg, out);
}

HANDLER(promotion_products_add)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct pp_request r = {0};
    json_t *body, *errors;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SELLER) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    pp_read_items(body, &r, errors);
    int rc = pp_change(ctx, body, errors, pp_upsert, &r);
    pp_request_free(&r);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(promotion_products_remove)
{
    static const struct field_rule rules[] = {
        {"product_ids", FT_ARRAY, 1, 1, ITEMS_MAX},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *body, *errors;
    char *ids = NULL;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SELLER) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    if (!json_array_size(errors))
        ids = http_id_list(json_object_get(body, "product_ids"), "product_ids", errors);
    int rc = pp_change(ctx, body, errors, pp_remove, ids);
    free(ids);
    json_decref(errors);
    json_decref(body);
    return rc;
}
