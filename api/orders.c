#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/order_store.h"
#include "handlers.h"
#include "http.h"

#define ORDER_LINES_MAX     50
#define ORDER_QUANTITY_MAX  1000
#define ORDERS_PAGE_DEFAULT 20
#define ORDERS_PAGE_MAX     100

struct order_args {
    struct order_line *lines;
    size_t n;
};

static sd_err order_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                              int *answered)
{
    struct order_args *a = arg;
    size_t bad = 0;
    char field[48];
    sd_err e = order_store_create(conn, ctx->user_id, a->lines, a->n, out, &bad);
    if (e != SD_ERR_VALIDATION && e != SD_ERR_CONFLICT)
        return e;
    json_t *errors = json_array();
    *answered = 1;
    snprintf(field, sizeof field, "items[%zu].%s", bad,
             e == SD_ERR_VALIDATION ? "product_id" : "quantity");
    if (e == SD_ERR_VALIDATION) {
        http_field_error(errors, field, "not_found", "product %lld does not exist",
                         (long long)a->lines[bad].product_id);
        http_problem_errors(ctx, e, NULL, errors, "The order names a product that does not exist.");
    } else {
        http_field_error(errors, field, "insufficient_stock",
                         "product %lld has fewer than %d in stock",
                         (long long)a->lines[bad].product_id, a->lines[bad].quantity);
        http_problem_errors(ctx, e, "insufficient_stock", errors,
                            "Not enough stock for the order; nothing was reserved.");
    }
    return e;
}

/* Validates {items: [{product_id, quantity}]} into a->lines. */
static void order_parse(json_t *body, struct order_args *a, json_t *errors)
{
    static const struct field_rule rules[] = {
        {"items", FT_ARRAY, 1, 1, ORDER_LINES_MAX},
        FIELD_RULES_END,
    };
    static const struct field_rule item_rules[] = {
        {"product_id", FT_INT, 1, 1, 1LL << 62},
        {"quantity", FT_INT, 1, 1, ORDER_QUANTITY_MAX},
        FIELD_RULES_END,
    };
    char prefix[32];
    size_t i;
    json_t *item, *items;
    http_check_fields(body, rules, NULL, errors);
    items = json_object_get(body, "items");
    if (json_array_size(errors) || !json_is_array(items))
        return;
    a->lines = calloc(json_array_size(items), sizeof *a->lines);
    json_array_foreach(items, i, item)
    {
        snprintf(prefix, sizeof prefix, "items[%zu]", i);
        if (!json_is_object(item)) {
            http_field_error(errors, prefix, "wrong_type", "must be an object");
            continue;
        }
        http_check_fields(item, item_rules, prefix, errors);
        a->lines[i].product_id = json_integer_value(json_object_get(item, "product_id"));
        a->lines[i].quantity = (int)json_integer_value(json_object_get(item, "quantity"));
        for (size_t k = 0; k < i; k++)
            if (a->lines[k].product_id == a->lines[i].product_id && a->lines[i].product_id > 0)
                http_field_error(errors, prefix, "duplicate",
                                 "product %lld appears more than once; add up the quantity",
                                 (long long)a->lines[i].product_id);
    }
    a->n = json_array_size(items);
}

HANDLER(orders_create)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct order_args a = {0};
    json_t *body, *errors;
    int rc;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_BUYER) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    order_parse(body, &a, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The order has invalid fields.");
        errors = NULL;
    } else {
        rc = http_idempotent_create(ctx, "orders", order_create_tx, &a);
    }
    free(a.lines);
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(orders_list)
{
    static const char *const buyer_params[] = {"limit", "cursor", NULL};
    static const char *const seller_params[] = {"limit", "cursor", "status", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array();
    char *items = NULL;
    int has_more = 0;
    int64_t last = 0;
    struct db_conn *conn;
    sd_err e;
    int seller = ctx->role == ROLE_SELLER;
    char scope[48];
    (void)req;
    (void)app;
    http_check_query(ctx, seller ? seller_params : buyer_params, errors);
    const char *status = seller ? http_query(ctx, "status") : NULL;
    if (status && !order_status_valid(status)) {
        http_field_error(errors, "status", "invalid_enum",
                         "must be awaiting_packaging, delivering, delivered, cancelled or refused");
        status = NULL;
    }
    /* a cursor belongs to one list: the seller's postings of one status are a list of their own */
    snprintf(scope, sizeof scope, "%s%s%s", seller ? "postings" : "orders", status ? ":" : "",
             status ? status : "");
    int limit = http_query_limit(ctx, ORDERS_PAGE_DEFAULT, ORDERS_PAGE_MAX, errors);
    int64_t after = http_query_cursor(ctx, scope, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    if (seller)
        e = order_store_list_postings(conn, ctx->user_id, status, after, limit, &items, &has_more,
                                      &last);
    else
        e = order_store_list(conn, ctx->role == ROLE_SUPPORT ? 0 : ctx->user_id, after, limit,
                             &items, &has_more, &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    /* "list" tells the two pages apart (the contract's discriminator): a seller's postings,
     * or the orders a buyer (or support) sees */
    return http_page_text(ctx, items, has_more, last, scope,
                          seller ? ",\"list\":\"postings\"" : ",\"list\":\"orders\"");
}

static const char *posting_number_param(struct http_ctx *ctx)
{
    const char *pn = http_path_param(ctx, "posting_number");
    if (!pn || !*pn || strlen(pn) > 32 || strspn(pn, "0123456789-") != strlen(pn))
        return NULL;
    return pn;
}

HANDLER(postings_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *out = NULL;
    sd_err e;
    const char *pn = posting_number_param(ctx);
    (void)req;
    (void)app;
    if (!pn)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such posting.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    e = order_store_get_posting(conn, pn, ctx->user_id, ctx->role, &out);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such posting.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_json(ctx, 200, out);
}

HANDLER(postings_set_status)
{
    static const struct field_rule rules[] = {
        {"status", FT_STRING, 1, 1, 32},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *body, *errors, *out = NULL;
    int rc;
    sd_err e;
    const char *pn = posting_number_param(ctx);
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_BUYER | ROLE_SELLER) != 0)
        return U_CALLBACK_COMPLETE;
    if (!pn)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such posting.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    const char *status = json_string_value(json_object_get(body, "status"));
    if (status && !order_status_valid(status))
        http_field_error(errors, "status", "invalid_enum",
                         "must be awaiting_packaging, delivering, delivered, cancelled or refused");
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "Invalid status change.");
        errors = NULL;
    } else if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
    } else if ((e = order_store_set_status(conn, pn, ctx->user_id, ctx->role, status, &out)) ==
               SD_OK) {
        rc = http_json(ctx, 200, out);
    } else if (e == SD_ERR_NOT_FOUND) {
        rc = http_problem(ctx, e, NULL, "No such posting among yours.");
    } else if (e == SD_ERR_CONFLICT) {
        rc = http_problem(ctx, e, "invalid_transition",
                          "A %s cannot move this posting to '%s' from its current status. "
                          "Sellers move awaiting_packaging -> delivering -> delivered; buyers "
                          "may cancel while it is awaiting_packaging.",
                          auth_role_name(ctx->role), status);
    } else {
        rc = http_store_error(ctx, e);
    }
    json_decref(errors);
    json_decref(body);
    return rc;
}
