#include "promotion_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void promo_time(int seconds, char out[32])
{
    time_t t = time(NULL) + seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct api_resp *promo_post(const char *token, json_t *members)
{
    char start[32], end[32];
    promo_time(0, start);
    promo_time(10 * 86400, end);
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s}", "title", "Test sale", "type", "discount",
                  "date_start", start, "date_end", end, "min_discount_percent", 5,
                  "max_discount_percent", 50, "audience", "all");
    if (members) {
        json_object_update(body, members);
        json_decref(members);
    }
    /* a member set to the string "-" is left out */
    const char *key;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(body, tmp, key, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), "-") == 0)
            json_object_del(body, key);
    }
    char *text = json_dumps(body, 0);
    struct api_resp *r = api_post("/v1/promotions", token, text);
    free(text);
    json_decref(body);
    return r;
}

int64_t promo_create(const char *support_token, json_t *members)
{
    struct api_resp *r = promo_post(support_token, members);
    ck_assert_status(r, 201);
    int64_t id = api_int(r, "id");
    api_free(r);
    return id;
}

void promo_shop_open(struct promo_shop *s, int n, const int *stock)
{
    api_new_user_named(&s->seller, "seller", "Promo Shop");
    s->n = n;
    for (int i = 0; i < n && i < 8; i++)
        s->product[i] = api_make_product(&s->seller, 10000, stock ? stock[i] : 100);
}

struct api_resp *promo_add(const char *token, int64_t promotion, json_t *products)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/promotions/%lld/products", (long long)promotion);
    json_t *body = json_pack("{s:o}", "products", products);
    char *text = json_dumps(body, 0);
    struct api_resp *r = api_post(path, token, text);
    free(text);
    json_decref(body);
    return r;
}

json_t *promo_item_price(int64_t product, json_int_t price, json_int_t quantity)
{
    return json_pack("{s:I, s:I, s:I}", "product_id", (json_int_t)product, "action_price", price,
                     "quantity", quantity);
}

json_t *promo_item_discount(int64_t product, double discount, json_int_t quantity)
{
    return json_pack("{s:I, s:f, s:I}", "product_id", (json_int_t)product, "discount_percent",
                     discount, "quantity", quantity);
}

json_t *promo_rejection(const struct api_resp *r, int64_t product)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "rejected"), i, it)
    {
        if (api_jint(it, "product_id") == product)
            return it;
    }
    return NULL;
}

void promo_assert_rejected(const struct api_resp *r, int64_t product, const char *reason,
                           json_int_t limit, const char *file, int line)
{
    ck_assert_msg(r->status == 200, "%s:%d: HTTP %ld: %s", file, line, r->status, r->body);
    json_t *it = promo_rejection(r, product);
    ck_assert_msg(it != NULL, "%s:%d: product %lld not rejected: %s", file, line,
                  (long long)product, r->body);
    ck_assert_msg(strcmp(api_jstr(it, "reason"), reason) == 0, "%s:%d: reason %s, want %s", file,
                  line, api_jstr(it, "reason"), reason);
    if (limit >= 0)
        ck_assert_msg(api_jint(it, "limit") == limit, "%s:%d: limit %lld, want %lld", file, line,
                      (long long)api_jint(it, "limit"), (long long)limit);
}

json_t *promo_products(const char *token, int64_t promotion)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/promotions/%lld/products?limit=1000", (long long)promotion);
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    json_t *items = json_incref(json_object_get(r->json, "items"));
    api_free(r);
    return items;
}

json_t *promo_find(const json_t *list, int64_t product)
{
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        if (api_jint(it, "product_id") == product)
            return it;
    }
    return NULL;
}

void promo_wait_frozen(const char *token, int64_t promotion)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/promotions/%lld", (long long)promotion);
    for (int i = 0; i < 100; i++) {
        struct api_resp *r = api_get(path, token);
        int frozen = r->status == 200 && json_is_true(json_object_get(r->json, "frozen"));
        api_free(r);
        if (frozen)
            return;
        usleep(100000);
    }
    ck_abort_msg("promotion %lld did not freeze", (long long)promotion);
}
