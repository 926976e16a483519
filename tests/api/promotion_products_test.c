/* API tests of a seller's products in a promotion: candidates, the products in it, adding or
 * updating them with an action price or a discount and a quantity, removing them, each
 * rejection reason with the limit it broke, the freeze rules, and orders that charge the
 * action price while the promotion's quantity lasts, also under parallel orders. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "promotion_fixtures.h"

/* Base prices are 10000 kopecks; with the default discounts 5..50 % an action price must lie in
 * 5000..9500. */

static json_t *candidates_page(const char *token, int64_t id, const char *query, long *status,
                               char *next, size_t next_len)
{
    char path[512];
    snprintf(path, sizeof path, "/v1/promotions/%lld/candidates%s%s", (long long)id,
             *query ? "?" : "", query);
    struct api_resp *r = api_get(path, token);
    *status = r->status;
    json_t *items = r->status == 200 ? json_incref(json_object_get(r->json, "items")) : NULL;
    if (next)
        snprintf(next, next_len, "%s", api_str(r, "next_cursor") ? api_str(r, "next_cursor") : "");
    api_free(r);
    return items;
}

static struct api_resp *promo_remove(const char *token, int64_t id, json_t *product_ids)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/promotions/%lld/products/remove", (long long)id);
    json_t *body = json_pack("{s:o}", "product_ids", product_ids);
    char *text = json_dumps(body, 0);
    struct api_resp *r = api_post(path, token, text);
    free(text);
    json_decref(body);
    return r;
}

static size_t accepted_count(const struct api_resp *r)
{
    return json_array_size(json_object_get(r->json, "accepted"));
}

/* ---------------------------------------------------------------------------------------------
 * Candidates
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_candidates)
{
    struct api_user support, buyer;
    struct promo_shop shop, other;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    promo_shop_open(&shop, 4, (int[]){3, 30, 300, 0});
    promo_shop_open(&other, 1, NULL);
    int64_t id = promo_create(support.token,
                              json_pack("{s:s, s:i}", "type", "stock_discount", "min_stock", 25));
    long status;
    char next[256];
    /* stock below the promotion's minimum is no candidate; the other seller's never are */
    json_t *items = candidates_page(shop.seller.token, id, "limit=1", &status, next, sizeof next);
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_msg(*next, "a second page is due");
    json_t *c = json_array_get(items, 0);
    ck_assert_int_eq(api_jint(c, "product_id"), shop.product[1]);
    ck_assert_int_eq(api_jint(c, "price"), 10000);
    ck_assert_int_eq(api_jint(c, "max_action_price"), 9500);
    ck_assert_int_eq(api_jint(c, "min_action_price"), 5000);
    ck_assert_int_eq(api_jint(c, "stock"), 30);
    ck_assert_int_eq(api_jint(c, "min_stock"), 25);
    json_decref(items);
    char q[300];
    snprintf(q, sizeof q, "limit=1&cursor=%s", next);
    items = candidates_page(shop.seller.token, id, q, &status, next, sizeof next);
    ck_assert_int_eq(status, 200);
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "product_id"), shop.product[2]);
    json_decref(items);
    if (*next) {
        snprintf(q, sizeof q, "limit=1&cursor=%s", next);
        items = candidates_page(shop.seller.token, id, q, &status, next, sizeof next);
        ck_assert_int_eq(json_array_size(items), 0);
        json_decref(items);
    }
    ck_assert_str_eq(next, "");

    /* a product that joined is no longer a candidate */
    struct api_resp *r = promo_add(shop.seller.token, id,
                                   json_pack("[o]", promo_item_price(shop.product[1], 9000, 10)));
    ck_assert_int_eq(accepted_count(r), 1);
    api_free(r);
    items = candidates_page(shop.seller.token, id, "", &status, NULL, 0);
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "product_id"), shop.product[2]);
    json_decref(items);

    /* only sellers; bad paging */
    items = candidates_page(buyer.token, id, "", &status, NULL, 0);
    ck_assert_int_eq(status, 403);
    items = candidates_page(support.token, id, "", &status, NULL, 0);
    ck_assert_int_eq(status, 403);
    items = candidates_page(shop.seller.token, 999999999, "", &status, NULL, 0);
    ck_assert_int_eq(status, 404);
    items = candidates_page(shop.seller.token, id, "limit=1001", &status, NULL, 0);
    ck_assert_int_eq(status, 400);
    items = candidates_page(shop.seller.token, id, "cursor=xyz", &status, NULL, 0);
    ck_assert_int_eq(status, 400);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Adding, updating, removing
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_add_update_remove)
{
    struct api_user support;
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 3, NULL);
    int64_t id = promo_create(support.token, NULL);
    /* a price, a discount (12.5 % of 10000 = 8750), both agreeing */
    json_t *both = promo_item_price(shop.product[2], 8000, 7);
    json_object_set_new(both, "discount_percent", json_integer(20));
    struct api_resp *r =
        promo_add(shop.seller.token, id,
                  json_pack("[o, o, o]", promo_item_price(shop.product[0], 9000, 10),
                            promo_item_discount(shop.product[1], 12.5, 4), both));
    ck_assert_status(r, 200);
    ck_assert_int_eq(accepted_count(r), 3);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "rejected")), 0);
    json_t *a = json_array_get(json_object_get(r->json, "accepted"), 1);
    ck_assert_int_eq(api_jint(a, "product_id"), shop.product[1]);
    ck_assert_int_eq(api_jint(a, "action_price"), 8750);
    ck_assert_int_eq(api_jint(a, "quantity"), 4);
    ck_assert_int_eq(api_jint(a, "remaining"), 4);
    api_free(r);

    json_t *items = promo_products(shop.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 3);
    json_t *p0 = promo_find(items, shop.product[0]);
    ck_assert_int_eq(api_jint(p0, "action_price"), 9000);
    ck_assert_msg(json_number_value(json_object_get(p0, "discount_percent")) == 10.0, "discount %f",
                  json_number_value(json_object_get(p0, "discount_percent")));
    ck_assert_int_eq(api_jint(p0, "quantity"), 10);
    ck_assert_int_eq(api_jint(p0, "sold"), 0);
    ck_assert_int_eq(api_jint(p0, "remaining"), 10);
    ck_assert_int_eq(api_jint(p0, "price"), 10000);
    json_t *p1 = promo_find(items, shop.product[1]);
    ck_assert_msg(json_number_value(json_object_get(p1, "discount_percent")) == 12.5, "discount %f",
                  json_number_value(json_object_get(p1, "discount_percent")));
    ck_assert_int_eq(api_jint(promo_find(items, shop.product[2]), "action_price"), 8000);
    json_decref(items);

    /* the same product again updates it; the seller's promotion now counts 3 */
    r = promo_add(shop.seller.token, id,
                  json_pack("[o]", promo_item_discount(shop.product[0], 33.33, 2)));
    ck_assert_int_eq(accepted_count(r), 1);
    ck_assert_int_eq(
        api_jint(json_array_get(json_object_get(r->json, "accepted"), 0), "action_price"), 6667);
    api_free(r);
    items = promo_products(shop.seller.token, id);
    ck_assert_int_eq(api_jint(promo_find(items, shop.product[0]), "quantity"), 2);
    json_decref(items);

    /* removing: what is in goes, what is not is said */
    r = promo_remove(shop.seller.token, id,
                     json_pack("[I, I]", (json_int_t)shop.product[0], (json_int_t)999999999));
    ck_assert_status(r, 200);
    ck_assert_int_eq(accepted_count(r), 1);
    ck_assert_int_eq(
        api_jint(json_array_get(json_object_get(r->json, "accepted"), 0), "product_id"),
        shop.product[0]);
    assert_rejected(r, 999999999, "not_found", -1);
    api_free(r);
    r = promo_remove(shop.seller.token, id, json_pack("[I]", (json_int_t)shop.product[0]));
    assert_rejected(r, shop.product[0], "not_participating", -1);
    api_free(r);
    items = promo_products(shop.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_ptr_null(promo_find(items, shop.product[0]));
    json_decref(items);
    /* support sees every seller's products in it */
    items = promo_products(support.token, id);
    ck_assert_int_eq(json_array_size(items), 2);
    json_decref(items);
}
END_TEST

START_TEST(test_refused_roles_and_hidden)
{
    struct api_user support, buyer;
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    promo_shop_open(&shop, 1, NULL);
    int64_t id = promo_create(support.token, NULL);
    struct api_resp *r =
        promo_add(buyer.token, id, json_pack("[o]", promo_item_price(shop.product[0], 9000, 1)));
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = promo_add(support.token, id, json_pack("[o]", promo_item_price(shop.product[0], 9000, 1)));
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = promo_add(NULL, id, json_pack("[o]", promo_item_price(shop.product[0], 9000, 1)));
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = promo_add(shop.seller.token, 999999999,
                  json_pack("[o]", promo_item_price(shop.product[0], 9000, 1)));
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = promo_remove(buyer.token, id, json_pack("[I]", (json_int_t)shop.product[0]));
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    char path[96];
    snprintf(path, sizeof path, "/v1/promotions/%lld/products", (long long)id);
    r = api_get(path, buyer.token);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    json_t *items = promo_products(support.token, id);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
}
END_TEST

START_TEST(test_not_yours_never_applied)
{
    struct api_user support;
    struct promo_shop mine, theirs;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&mine, 1, NULL);
    promo_shop_open(&theirs, 1, NULL);
    int64_t id = promo_create(support.token, NULL);
    struct api_resp *r = promo_add(theirs.seller.token, id,
                                   json_pack("[o]", promo_item_price(theirs.product[0], 9000, 5)));
    ck_assert_int_eq(accepted_count(r), 1);
    api_free(r);
    /* neither joining it for them nor changing or removing what they set */
    r = promo_add(mine.seller.token, id,
                  json_pack("[o, o]", promo_item_price(theirs.product[0], 5000, 50),
                            promo_item_price(mine.product[0], 9000, 5)));
    assert_rejected(r, theirs.product[0], "not_yours", -1);
    ck_assert_int_eq(accepted_count(r), 1);
    api_free(r);
    r = promo_remove(mine.seller.token, id, json_pack("[I]", (json_int_t)theirs.product[0]));
    assert_rejected(r, theirs.product[0], "not_yours", -1);
    api_free(r);
    json_t *items = promo_products(theirs.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "action_price"), 9000);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "quantity"), 5);
    json_decref(items);
    items = promo_products(mine.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "product_id"), mine.product[0]);
    json_decref(items);
}
END_TEST

START_TEST(test_each_rejection_with_its_limit)
{
    struct api_user support;
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 8, (int[]){100, 100, 100, 100, 100, 100, 7, 100});
    int64_t id = promo_create(support.token, NULL);
    /* product 7 is in a running promotion already */
    int64_t first = promo_create(support.token, NULL);
    struct api_resp *r = promo_add(shop.seller.token, first,
                                   json_pack("[o]", promo_item_price(shop.product[7], 9000, 5)));
    ck_assert_int_eq(accepted_count(r), 1);
    api_free(r);
    json_t *disagree = promo_item_price(shop.product[4], 9000, 5);
    json_object_set_new(disagree, "discount_percent", json_integer(20));
    r = promo_add(
        shop.seller.token, id,
        json_pack(
            "[o, o, o, o, o, o, o, o, o]", promo_item_discount(shop.product[0], 60, 5),
            promo_item_discount(shop.product[1], 2, 5), promo_item_price(shop.product[2], 9600, 5),
            promo_item_price(shop.product[3], 4999, 5), disagree,
            promo_item_price(shop.product[5], 9000, 5), promo_item_price(shop.product[6], 9000, 8),
            promo_item_price(shop.product[7], 9000, 5), promo_item_price(999999999, 9000, 5)));
    ck_assert_status(r, 200);
    assert_rejected(r, shop.product[0], "discount_out_of_bounds", 50);
    assert_rejected(r, shop.product[1], "discount_out_of_bounds", 5);
    assert_rejected(r, shop.product[2], "price_above_max", 9500);
    assert_rejected(r, shop.product[3], "price_below_min", 5000);
    assert_rejected(r, shop.product[4], "price_and_discount_disagree", 8000);
    assert_rejected(r, shop.product[6], "quantity_above_stock", 7);
    assert_rejected(r, shop.product[7], "in_another_promotion", -1);
    assert_rejected(r, 999999999, "not_found", -1);
    /* the valid item of the batch went in all the same */
    ck_assert_int_eq(accepted_count(r), 1);
    ck_assert_int_eq(
        api_jint(json_array_get(json_object_get(r->json, "accepted"), 0), "product_id"),
        shop.product[5]);
    api_free(r);
    json_t *items = promo_products(shop.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 1);
    json_decref(items);

    /* a stock promotion wants its minimum stock */
    int64_t stock = promo_create(
        support.token, json_pack("{s:s, s:i}", "type", "stock_discount", "min_stock", 50));
    struct promo_shop small;
    promo_shop_open(&small, 1, (int[]){10});
    r = promo_add(small.seller.token, stock,
                  json_pack("[o]", promo_item_price(small.product[0], 9000, 5)));
    assert_rejected(r, small.product[0], "stock_below_min", 50);
    api_free(r);
}
END_TEST

START_TEST(test_quantity_never_below_sold)
{
    struct api_user support, buyer;
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    promo_shop_open(&shop, 1, NULL);
    int64_t id = promo_create(support.token, NULL);
    struct api_resp *r = promo_add(shop.seller.token, id,
                                   json_pack("[o]", promo_item_price(shop.product[0], 8000, 5)));
    api_free(r);
    r = api_postf("/v1/orders", buyer.token, "{s:[{s:I, s:i}]}", "items", "product_id",
                  (json_int_t)shop.product[0], "quantity", 3);
    ck_assert_status(r, 201);
    api_free(r);
    r = promo_add(shop.seller.token, id,
                  json_pack("[o]", promo_item_price(shop.product[0], 8000, 2)));
    assert_rejected(r, shop.product[0], "quantity_below_sold", 3);
    api_free(r);
    /* nor does it leave: the units sold stay counted; quantity = sold stops the discount */
    r = promo_remove(shop.seller.token, id, json_pack("[I]", (json_int_t)shop.product[0]));
    assert_rejected(r, shop.product[0], "has_sales", 3);
    api_free(r);
    r = promo_add(shop.seller.token, id,
                  json_pack("[o]", promo_item_price(shop.product[0], 8000, 3)));
    ck_assert_int_eq(accepted_count(r), 1);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "accepted"), 0), "remaining"),
                     0);
    api_free(r);
}
END_TEST

/* each case: the products array and the {field, code} it must name */
static const struct {
    const char *json, *field, *code;
} bad_add[] = {
    {"{\"products\": []}", "products", "too_short"},
    {"{}", "products", "required"},
    {"{\"products\": {}}", "products", "wrong_type"},
    {"{\"products\": [{\"product_id\": PID, \"quantity\": 1}]}", "products[0]", "required"},
    {"{\"products\": [{\"product_id\": PID, \"action_price\": 100}]}", "products[0].quantity",
     "required"},
    {"{\"products\": [{\"product_id\": PID, \"action_price\": 100, \"quantity\": 0}]}",
     "products[0].quantity", "out_of_range"},
    {"{\"products\": [{\"product_id\": PID, \"action_price\": 0, \"quantity\": 1}]}",
     "products[0].action_price", "out_of_range"},
    {"{\"products\": [{\"product_id\": PID, \"discount_percent\": 100, \"quantity\": 1}]}",
     "products[0].discount_percent", "out_of_range"},
    {"{\"products\": [{\"product_id\": PID, \"discount_percent\": \"10\", \"quantity\": 1}]}",
     "products[0].discount_percent", "wrong_type"},
    {"{\"products\": [{\"product_id\": \"1\", \"action_price\": 100, \"quantity\": 1}]}",
     "products[0].product_id", "wrong_type"},
    {"{\"products\": [{\"product_id\": PID, \"action_price\": 100, \"quantity\": 1, \"x\": 1}]}",
     "products[0].x", "unknown_field"},
    {"{\"products\": [{\"product_id\": PID, \"action_price\": 100, \"quantity\": 1},"
     " {\"product_id\": PID, \"action_price\": 100, \"quantity\": 2}]}",
     "products[1].product_id", "duplicate"},
};

START_TEST(test_add_bad_input)
{
    struct api_user support;
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 1, NULL);
    int64_t id = promo_create(support.token, NULL);
    char path[96], body[512];
    snprintf(path, sizeof path, "/v1/promotions/%lld/products", (long long)id);
    /* PID stands for the shop's product, so a valid item would have been applied */
    const char *src = bad_add[_i].json, *at;
    size_t n = 0;
    while ((at = strstr(src, "PID")) != NULL) {
        n += (size_t)snprintf(body + n, sizeof body - n, "%.*s%lld", (int)(at - src), src,
                              (long long)shop.product[0]);
        src = at + 3;
    }
    snprintf(body + n, sizeof body - n, "%s", src);
    struct api_resp *r = api_post(path, shop.seller.token, body);
    assert_field_error(r, bad_add[_i].field, bad_add[_i].code);
    api_free(r);
    json_t *items = promo_products(shop.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
}
END_TEST

START_TEST(test_add_too_many_items)
{
    struct api_user support;
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 1, NULL);
    int64_t id = promo_create(support.token, NULL);
    json_t *list = json_array();
    json_array_append_new(list, promo_item_price(shop.product[0], 9000, 1));
    for (int i = 1; i <= 1000; i++)
        json_array_append_new(list, promo_item_price(900000000 + i, 9000, 1));
    struct api_resp *r = promo_add(shop.seller.token, id, list);
    assert_field_error(r, "products", "too_long");
    api_free(r);
    json_t *items = promo_products(shop.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    r = promo_remove(shop.seller.token, id, json_array());
    assert_field_error(r, "product_ids", "too_short");
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * After the freeze date: only lower prices and more units
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_freeze_rules)
{
    struct api_user support;
    struct promo_shop shop;
    char freeze[32];
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 3, NULL);
    promo_time(2, freeze);
    int64_t id = promo_create(support.token, json_pack("{s:s}", "freeze_date", freeze));
    struct api_resp *r = promo_add(shop.seller.token, id,
                                   json_pack("[o, o]", promo_item_price(shop.product[0], 8000, 10),
                                             promo_item_price(shop.product[1], 8000, 10)));
    ck_assert_int_eq(accepted_count(r), 2);
    api_free(r);
    promo_wait_frozen(shop.seller.token, id);

    r = promo_add(shop.seller.token, id,
                  json_pack("[o, o, o]", promo_item_price(shop.product[0], 8500, 10),
                            promo_item_price(shop.product[1], 8000, 9),
                            promo_item_price(shop.product[2], 8000, 10)));
    assert_rejected(r, shop.product[0], "frozen", 8000);
    assert_rejected(r, shop.product[1], "frozen", 10);
    assert_rejected(r, shop.product[2], "frozen", -1);
    ck_assert_int_eq(accepted_count(r), 0);
    api_free(r);
    /* frozen comes before the price bounds in the documented order: a rise above the maximum
     * too is refused as frozen, with the current price */
    r = promo_add(shop.seller.token, id,
                  json_pack("[o]", promo_item_price(shop.product[0], 9600, 10)));
    assert_rejected(r, shop.product[0], "frozen", 8000);
    api_free(r);
    r = promo_remove(shop.seller.token, id, json_pack("[I]", (json_int_t)shop.product[0]));
    assert_rejected(r, shop.product[0], "frozen", -1);
    api_free(r);

    /* lower and more are welcome */
    r = promo_add(shop.seller.token, id,
                  json_pack("[o, o]", promo_item_price(shop.product[0], 7000, 10),
                            promo_item_price(shop.product[1], 8000, 20)));
    ck_assert_int_eq(accepted_count(r), 2);
    api_free(r);
    json_t *items = promo_products(shop.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_int_eq(api_jint(promo_find(items, shop.product[0]), "action_price"), 7000);
    ck_assert_int_eq(api_jint(promo_find(items, shop.product[1]), "quantity"), 20);
    json_decref(items);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Orders honour promotions
 * ------------------------------------------------------------------------------------------- */

/* POST /v1/orders of quantity units of product; the posting number into pn (NULL: none). */
static long order(const char *token, int64_t product, int quantity, char pn[40])
{
    char body[128];
    snprintf(body, sizeof body, "{\"items\": [{\"product_id\": %lld, \"quantity\": %d}]}",
             (long long)product, quantity);
    struct api_resp *r = api_post("/v1/orders", token, body);
    long status = r->status;
    if (pn) {
        json_t *postings = json_object_get(r->json, "postings");
        const char *n = api_jstr(json_array_get(postings, 0), "posting_number");
        snprintf(pn, 40, "%s", status == 201 && n ? n : "");
    }
    api_free(r);
    return status;
}

/* The posting's only item (caller decrefs). */
static json_t *posting_item(const char *token, const char *pn)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/postings/%s", pn);
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 1);
    json_t *it = json_incref(json_array_get(items, 0));
    ck_assert_int_eq(api_int(r, "total"), api_jint(it, "paid"));
    api_free(r);
    return it;
}

static json_int_t participation(const char *token, int64_t id, int64_t product, const char *key)
{
    json_t *items = promo_products(token, id);
    json_t *p = promo_find(items, product);
    ck_assert_ptr_nonnull(p);
    json_int_t v = api_jint(p, key);
    json_decref(items);
    return v;
}

START_TEST(test_orders_charge_action_price)
{
    struct api_user support, buyer;
    struct promo_shop shop;
    char pn1[40], pn2[40], pn3[40];
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    promo_shop_open(&shop, 1, NULL);
    int64_t id = promo_create(support.token, NULL);
    struct api_resp *r = promo_add(shop.seller.token, id,
                                   json_pack("[o]", promo_item_discount(shop.product[0], 20, 3)));
    ck_assert_int_eq(accepted_count(r), 1);
    api_free(r);

    /* two at 8000 */
    ck_assert_int_eq(order(buyer.token, shop.product[0], 2, pn1), 201);
    json_t *it = posting_item(buyer.token, pn1);
    ck_assert_int_eq(api_jint(it, "paid"), 16000);
    ck_assert_int_eq(api_jint(it, "price"), 10000);
    json_t *promo = json_object_get(it, "promotion");
    ck_assert_int_eq(api_jint(promo, "id"), id);
    ck_assert_int_eq(api_jint(promo, "action_price"), 8000);
    ck_assert_int_eq(api_jint(promo, "quantity"), 2);
    json_decref(it);
    /* one left at 8000, the other at the base price */
    ck_assert_int_eq(order(buyer.token, shop.product[0], 2, pn2), 201);
    it = posting_item(shop.seller.token, pn2);
    ck_assert_int_eq(api_jint(it, "paid"), 18000);
    ck_assert_int_eq(api_jint(json_object_get(it, "promotion"), "quantity"), 1);
    json_decref(it);
    ck_assert_int_eq(participation(shop.seller.token, id, shop.product[0], "sold"), 3);
    ck_assert_int_eq(participation(shop.seller.token, id, shop.product[0], "remaining"), 0);
    /* none left: full price, no promotion */
    ck_assert_int_eq(order(buyer.token, shop.product[0], 1, pn3), 201);
    it = posting_item(buyer.token, pn3);
    ck_assert_int_eq(api_jint(it, "paid"), 10000);
    ck_assert_msg(json_is_null(json_object_get(it, "promotion")), "promotion on a full price");
    json_decref(it);

    /* a cancelled posting gives its promotion units back */
    char path[96];
    snprintf(path, sizeof path, "/v1/postings/%s/status", pn1);
    r = api_post(path, buyer.token, "{\"status\": \"cancelled\"}");
    ck_assert_status(r, 200);
    api_free(r);
    ck_assert_int_eq(participation(shop.seller.token, id, shop.product[0], "sold"), 1);
    ck_assert_int_eq(participation(shop.seller.token, id, shop.product[0], "remaining"), 2);

    /* after the promotion ends, full price again */
    r = api_post((snprintf(path, sizeof path, "/v1/promotions/%lld/end", (long long)id), path),
                 support.token, NULL);
    ck_assert_status(r, 200);
    api_free(r);
    ck_assert_int_eq(order(buyer.token, shop.product[0], 1, pn3), 201);
    it = posting_item(buyer.token, pn3);
    ck_assert_int_eq(api_jint(it, "paid"), 10000);
    json_decref(it);
}
END_TEST

START_TEST(test_upcoming_promotion_does_not_price)
{
    struct api_user support, buyer;
    struct promo_shop shop;
    char start[32], end[32], pn[40];
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    promo_shop_open(&shop, 1, NULL);
    promo_time(3600, start);
    promo_time(86400 * 3, end);
    int64_t id =
        promo_create(support.token, json_pack("{s:s, s:s}", "date_start", start, "date_end", end));
    struct api_resp *r = promo_add(shop.seller.token, id,
                                   json_pack("[o]", promo_item_price(shop.product[0], 6000, 5)));
    ck_assert_int_eq(accepted_count(r), 1);
    api_free(r);
    ck_assert_int_eq(order(buyer.token, shop.product[0], 1, pn), 201);
    json_t *it = posting_item(buyer.token, pn);
    ck_assert_int_eq(api_jint(it, "paid"), 10000);
    json_decref(it);
    ck_assert_int_eq(participation(shop.seller.token, id, shop.product[0], "sold"), 0);
}
END_TEST

#define PAR_THREADS 8
#define PAR_ORDERS  4

struct par_arg {
    const char *token;
    int64_t product;
    char pn[PAR_ORDERS][40];
    long status[PAR_ORDERS];
};

/* no ck_assert here: Check's assertions belong to the test's own thread */
static void *par_orders(void *p)
{
    struct par_arg *a = p;
    for (int i = 0; i < PAR_ORDERS; i++)
        a->status[i] = order(a->token, a->product, 2, a->pn[i]);
    return NULL;
}

START_TEST(test_parallel_orders_never_oversell)
{
    struct api_user support, buyers[PAR_THREADS];
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 1, (int[]){1000});
    int64_t id = promo_create(support.token, NULL);
    struct api_resp *r = promo_add(shop.seller.token, id,
                                   json_pack("[o]", promo_item_price(shop.product[0], 7000, 9)));
    ck_assert_int_eq(accepted_count(r), 1);
    api_free(r);
    struct par_arg args[PAR_THREADS];
    pthread_t th[PAR_THREADS];
    for (int t = 0; t < PAR_THREADS; t++) {
        api_new_user(&buyers[t], "buyer");
        memset(&args[t], 0, sizeof args[t]);
        args[t].token = buyers[t].token;
        args[t].product = shop.product[0];
    }
    for (int t = 0; t < PAR_THREADS; t++)
        ck_assert_int_eq(pthread_create(&th[t], NULL, par_orders, &args[t]), 0);
    for (int t = 0; t < PAR_THREADS; t++)
        pthread_join(th[t], NULL);

    json_int_t promo_units = 0, paid = 0;
    for (int t = 0; t < PAR_THREADS; t++) {
        for (int i = 0; i < PAR_ORDERS; i++) {
            ck_assert_msg(args[t].status[i] == 201, "order %d/%d: HTTP %ld", t, i,
                          args[t].status[i]);
            json_t *it = posting_item(buyers[t].token, args[t].pn[i]);
            json_t *promo = json_object_get(it, "promotion");
            json_int_t q = json_is_object(promo) ? api_jint(promo, "quantity") : 0;
            promo_units += q;
            ck_assert_int_eq(api_jint(it, "paid"), q * 7000 + (2 - q) * 10000);
            paid += api_jint(it, "paid");
            json_decref(it);
        }
    }
    /* exactly the promotion's 9 units at the action price, the other 55 at the base price */
    ck_assert_int_eq(promo_units, 9);
    ck_assert_int_eq(paid, 9 * 7000 + (PAR_THREADS * PAR_ORDERS * 2 - 9) * 10000);
    ck_assert_int_eq(participation(shop.seller.token, id, shop.product[0], "sold"), 9);
    ck_assert_int_eq(participation(shop.seller.token, id, shop.product[0], "remaining"), 0);
}
END_TEST

Suite *promotion_products_suite(void)
{
    Suite *s = suite_create("promotion_products");
    TCase *tc = api_tcase("promotion_products");
    tcase_add_test(tc, test_candidates);
    tcase_add_test(tc, test_add_update_remove);
    tcase_add_test(tc, test_refused_roles_and_hidden);
    tcase_add_test(tc, test_not_yours_never_applied);
    tcase_add_test(tc, test_each_rejection_with_its_limit);
    tcase_add_test(tc, test_quantity_never_below_sold);
    tcase_add_loop_test(tc, test_add_bad_input, 0, N_CASES(bad_add));
    tcase_add_test(tc, test_add_too_many_items);
    tcase_add_test(tc, test_freeze_rules);
    tcase_add_test(tc, test_orders_charge_action_price);
    tcase_add_test(tc, test_upcoming_promotion_does_not_price);
    tcase_add_test(tc, test_parallel_orders_never_oversell);
    suite_add_tcase(s, tc);
    return s;
}
