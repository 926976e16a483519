#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/product_store.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define PRODUCTS_PAGE_DEFAULT 20
#define PRODUCTS_PAGE_MAX     100
#define PRICE_MAX             1000000000000LL /* 10 billion roubles in kopecks */
#define STOCK_MAX             1000000000LL

static const struct field_rule create_rules[] = {
    {"offer_id", FT_STRING, 1, 1, 64},      {"name", FT_STRING, 1, 1, 255},
    {"description", FT_STRING, 0, 0, 5000}, {"price", FT_INT, 1, 1, PRICE_MAX},
    {"stock", FT_INT, 1, 0, STOCK_MAX},     FIELD_RULES_END,
};
static const struct field_rule update_rules[] = {
    {"name", FT_STRING, 0, 1, 255},
    {"description", FT_STRING, 0, 0, 5000},
    {"price", FT_INT, 0, 1, PRICE_MAX},
    {"stock", FT_INT, 0, 0, STOCK_MAX},
    FIELD_RULES_END,
};

/* what buyers read on the product card passes the content-safety engine */
static const char *const product_texts[] = {"name", "description", NULL};

struct product_args {
    struct product_fields f;
    char price[24], stock[24];
};

/* Validates body against rules and fills args with text forms for the store. */
static int product_parse(json_t *body, const struct field_rule *rules, struct product_args *a,
                         json_t *errors)
{
    json_t *v;
    http_check_fields(body, rules, NULL, errors);
    a->f.offer_id = json_string_value(json_object_get(body, "offer_id"));
    a->f.name = json_string_value(json_object_get(body, "name"));
    a->f.description = json_string_value(json_object_get(body, "description"));
    if (a->f.offer_id &&
        strspn(a->f.offer_id,
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") !=
            strlen(a->f.offer_id))
        http_field_error(errors, "offer_id", "invalid_format",
                         "may contain only Latin letters, digits and . _ - /");
    if (a->f.name && utf8_blank(a->f.name))
        http_field_error(errors, "name", "too_short", "must not be blank");
    if ((v = json_object_get(body, "price")) && json_is_integer(v))
        a->f.price = db_i64(a->price, json_integer_value(v));
    if ((v = json_object_get(body, "stock")) && json_is_integer(v))
        a->f.stock = db_i64(a->stock, json_integer_value(v));
    return json_array_size(errors) ? -1 : 0;
}

static sd_err product_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                                int *answered)
{
    struct product_args *a = arg;
    sd_err e = product_store_create(conn, ctx->user_id, &a->f, out);
    if (e == SD_ERR_CONFLICT) {
        *answered = 1;
        http_problem(ctx, SD_ERR_CONFLICT, "offer_id_taken",
                     "You already have a product with offer_id '%s'.", a->f.offer_id);
    }
    return e;
}

static int product_create_parse(json_t *body, void *args, json_t *errors)
{
    return product_parse(body, create_rules, args, errors);
}

static int product_guard(struct http_ctx *ctx, json_t *body)
{
    return moderation_guard(ctx, body, product_texts);
}

HANDLER(products_create)
{
    static const struct http_create_op op = {
        ROLE_SELLER,   product_create_parse, "The product has invalid fields.",
        product_guard, "products",           product_create_tx};
    struct product_args a = {0};
    (void)req;
    (void)app;
    return http_create(http_ctx_of(resp), &op, &a);
}

HANDLER(products_list)
{
    static const char *const allowed[] = {"limit", "cursor", "mine", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array();
    char *items = NULL;
    int has_more = 0;
    int64_t last = 0;
    struct db_conn *conn;
    sd_err e;
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    int only_mine = http_query_bool(ctx, "mine", errors) == 1;
    /* the cursor is bound to the list it came from: "mine" pages are a different list */
    const char *scope = only_mine ? "products:mine" : "products";
    int limit = http_query_limit(ctx, PRODUCTS_PAGE_DEFAULT, PRODUCTS_PAGE_MAX, errors);
    int64_t after = http_query_cursor(ctx, scope, errors);
    if (json_array_size(errors))
        return http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                   "The query has invalid parameters.");
    json_decref(errors);
    if (only_mine && http_require_role(ctx, ROLE_SELLER) != 0)
        return U_CALLBACK_COMPLETE;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    e = product_store_list(conn, only_mine ? ctx->user_id : 0, after, limit, &items, &has_more,
                           &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}

HANDLER(products_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_read rd;
    int64_t id = http_path_id(ctx, "id");
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such product.");
    /* the JSON PostgreSQL built goes out as it is */
    product_store_get_read(&rd, id);
    return http_read_one(ctx, &rd, "No such product.");
}

static void product_parse_update(json_t *body, void *args, json_t *errors)
{
    struct product_args *a = args;
    product_parse(body, update_rules, a, errors);
    if (!a->f.name && !a->f.description && !a->f.price && !a->f.stock && !json_array_size(errors))
        http_field_error(errors, "", "empty_update", "name at least one field to change");
}

/* only a change of the texts is checked before the guard: a price or stock change of another's
 * product is refused by the update itself */
static sd_err product_owned(struct db_conn *conn, int64_t id, int64_t user_id, const void *args)
{
    const struct product_args *a = args;
    return a->f.name || a->f.description ? product_store_owned(conn, id, user_id) : SD_OK;
}

static sd_err product_update(struct db_conn *conn, int64_t id, int64_t user_id, const void *args,
                             json_t **out)
{
    return product_store_update(conn, id, user_id, &((const struct product_args *)args)->f, out);
}

HANDLER(products_update)
{
    static const struct http_update_op op = {ROLE_SELLER,          "No such product among yours.",
                                             product_parse_update, product_owned,
                                             product_guard,        product_update};
    struct product_args a = {0};
    (void)req;
    (void)app;
    return http_update_own(http_ctx_of(resp), &op, &a);
}
