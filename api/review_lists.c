/* The lists of reviews: the work list (GET /v1/reviews: a seller's reviews of own products, a
 * buyer's own, support's all) with its counts, and the product page
 * (GET /v1/products/{id}/reviews) with the product's rating. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/review_list_store.h"
#include "handlers.h"
#include "http.h"

#define REVIEWS_DEFAULT 20
#define REVIEWS_MAX     100
#define Q_MAX           200

static enum review_scope scope_of(const struct http_ctx *ctx)
{
    return ctx->role == ROLE_SELLER  ? REVIEW_SELLER
           : ctx->role == ROLE_BUYER ? REVIEW_BUYER
                                     : REVIEW_SUPPORT;
}

static enum review_sort review_sort_of(struct http_ctx *ctx, json_t *errors)
{
    static const char *const names[] = {"date_desc", "date_asc", "rating_desc", "rating_asc"};
    const char *s = http_query(ctx, "sort");
    for (int i = 0; s && i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return (enum review_sort)i;
    if (s)
        http_field_error(errors, "sort", "invalid_enum",
                         "must be date_desc, date_asc, rating_desc or rating_asc");
    return REVIEW_DATE_DESC;
}

/* rating=1,2: a set of ratings as an int[] literal into buf; NULL when absent. */
static const char *review_ratings(struct http_ctx *ctx, char *buf, size_t len, json_t *errors)
{
    const char *s = http_query(ctx, "rating");
    int seen[6] = {0};
    size_t used = 0;
    if (!s)
        return NULL;
    used += (size_t)snprintf(buf, len, "{");
    for (const char *p = s;; p += 2) {
        if (p[0] < '1' || p[0] > '5' || (p[1] != ',' && p[1] != '\0') || seen[p[0] - '0']++) {
            http_field_error(errors, "rating", "invalid_format",
                             "must be ratings 1 to 5, comma-separated, each once");
            return NULL;
        }
        used += (size_t)snprintf(buf + used, len - used, "%s%c", used > 1 ? "," : "", p[0]);
        if (p[1] == '\0')
            break;
    }
    snprintf(buf + used, len - used, "}");
    return buf;
}

static const char *const tf[] = {"false", "true"};
#define S(v)    ((v) ? (v) : "")
#define FLAG(v) ((v) < 0 ? NULL : tf[(v)])

HANDLER(reviews_list)
{
    static const char *const allowed[] = {
        "status",    "rating",  "has_media", "has_text", "answered", "product_id", "sku",
        "date_from", "date_to", "q",         "sort",     "cursor",   "limit",      NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct review_filter f = {0};
    json_t *errors = json_array();
    char *items = NULL, *product = NULL, ratings[16];
    char scope[1100]; /* q: at most 200 characters of up to 4 bytes */
    int has_more = 0;
    int64_t last = 0;
    struct db_conn *conn;
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    f.scope = scope_of(ctx);
    f.user_id = ctx->user_id;
    f.sort = review_sort_of(ctx, errors);
    f.status = http_query(ctx, "status");
    if (f.status && strcmp(f.status, "new") && strcmp(f.status, "viewed") &&
        strcmp(f.status, "processed") && strcmp(f.status, "all"))
        http_field_error(errors, "status", "invalid_enum", "must be new, viewed, processed or all");
    if (f.status && strcmp(f.status, "all") == 0)
        f.status = NULL;
    f.ratings = review_ratings(ctx, ratings, sizeof ratings, errors);
    f.has_media = FLAG(http_query_bool(ctx, "has_media", errors));
    f.has_text = FLAG(http_query_bool(ctx, "has_text", errors));
    f.answered = FLAG(http_query_bool(ctx, "answered", errors));
    const char *pid = http_query_id(ctx, "product_id", errors);
    const char *sku = http_query_id(ctx, "sku", errors);
    f.q = http_query(ctx, "q");
    if (f.q && (utf8_blank(f.q) || utf8_length(f.q) > Q_MAX)) {
        http_field_error(errors, "q", "invalid_length", "must be 1 to 200 characters, not blank");
        f.q = NULL;
    }
    f.date_from = http_query_date(ctx, "date_from", errors);
    f.date_to = http_query_date(ctx, "date_to", errors);
    if (f.date_from && f.date_to && *f.date_from && *f.date_to &&
        strcmp(f.date_from, f.date_to) > 0)
        http_field_error(errors, "date_to", "invalid_range", "must not be before date_from");
    f.limit = http_query_limit(ctx, REVIEWS_DEFAULT, REVIEWS_MAX, errors);
    /* a cursor belongs to one list: the same filters and order; q goes last as it may hold
     * any character, the others cannot hold the separator */
    snprintf(scope, sizeof scope, "reviews:%d:%s:%s:%s:%s:%s:%s:%s:%s:%s:%s", (int)f.sort,
             S(f.status), S(f.ratings), S(f.has_media), S(f.has_text), S(f.answered), S(pid),
             S(sku), S(f.date_from), S(f.date_to), S(f.q));
    f.after_id = http_query_cursor(ctx, scope, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = SD_OK;
    if (pid || sku) {
        /* the one product both name (none when they disagree; a seller's own only) */
        if ((e = review_list_product(conn, f.scope, ctx->user_id, pid, sku, &product)) != SD_OK)
            return http_store_error(ctx, e);
        if (!product)
            return http_page(ctx, strdup("[]"), 0, 0, scope);
        f.product_id = product;
    }
    e = review_list(conn, &f, &items, &has_more, &last);
    free(product);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}

HANDLER(reviews_counts)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *out = NULL;
    (void)req;
    (void)app;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = review_counts(conn, scope_of(ctx), ctx->user_id, &out);
    return e == SD_OK ? http_json(ctx, 200, out) : http_store_error(ctx, e);
}

HANDLER(product_reviews_list)
{
    static const char *const allowed[] = {"rating", "has_media", "sort", "cursor", "limit", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array();
    char *items = NULL, ratings[16], scope[96];
    int has_more = 0;
    int64_t last = 0, id = http_path_id(ctx, "id");
    struct db_conn *conn;
    (void)req;
    (void)app;
    if (id < 0) {
        json_decref(errors);
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such product.");
    }
    http_check_query(ctx, allowed, errors);
    enum review_sort sort = review_sort_of(ctx, errors);
    const char *rset = review_ratings(ctx, ratings, sizeof ratings, errors);
    const char *media = FLAG(http_query_bool(ctx, "has_media", errors));
    int limit = http_query_limit(ctx, REVIEWS_DEFAULT, REVIEWS_MAX, errors);
    snprintf(scope, sizeof scope, "product-reviews:%lld:%d:%s:%s", (long long)id, (int)sort,
             S(rset), S(media));
    int64_t after = http_query_cursor(ctx, scope, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = review_product_page(conn, id, ctx->user_id, sort, rset, media, after, limit, &items,
                                   &has_more, &last);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such product.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, scope);
}

HANDLER(product_rating)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    char *out = NULL;
    int64_t id = http_path_id(ctx, "id");
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such product.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = review_rating(conn, id, &out);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such product.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    int rc = http_json_text(ctx, 200, out);
    free(out);
    return rc;
}
