/* API tests of promotions as support manages them and sellers see them: POST /v1/promotions,
 * GET one, GET the list by state, PATCH before the start, POST .../end, the audience and the
 * started/ending notices of the scheduler inside serve. The products in a promotion and the
 * orders it prices are in promotion_products_test.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "promotion_fixtures.h"
#include "workflow_fixtures.h"

static struct api_resp *promo_get(const char *token, int64_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/promotions/%lld", (long long)id);
    return api_get(path, token);
}

static struct api_resp *promo_patch(const char *token, int64_t id, json_t *body)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/promotions/%lld", (long long)id);
    char *text = json_dumps(body, 0);
    struct api_resp *r = api_patch(path, token, text);
    free(text);
    json_decref(body);
    return r;
}

static struct api_resp *promo_end(const char *token, int64_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/promotions/%lld/end", (long long)id);
    return api_post(path, token, NULL);
}

/* Every promotion of the list with this state ("" for none) as token sees it, walking the
 * pages (caller decrefs). */
static json_t *promo_list(const char *token, const char *state)
{
    json_t *all = json_array();
    char path[512], cursor[256] = "";
    for (int pages = 0; pages < 200; pages++) {
        snprintf(path, sizeof path, "/v1/promotions?limit=50%s%s%s%s", *state ? "&state=" : "",
                 state, *cursor ? "&cursor=" : "", cursor);
        struct api_resp *r = api_get(path, token);
        ck_assert_status(r, 200);
        json_array_extend(all, json_object_get(r->json, "items"));
        const char *next = api_str(r, "next_cursor");
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        api_free(r);
        if (!*cursor)
            return all;
    }
    ck_abort_msg("the promotion list never ended");
    return all;
}

static json_t *promo_in(json_t *list, int64_t id)
{
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        if (api_jint(it, "id") == id)
            return it;
    }
    return NULL;
}

static int promo_listed(const char *token, const char *state, int64_t id)
{
    json_t *list = promo_list(token, state);
    int found = promo_in(list, id) != NULL;
    json_decref(list);
    return found;
}

static size_t promo_count(const char *support_token)
{
    json_t *list = promo_list(support_token, "all");
    size_t n = json_array_size(list);
    json_decref(list);
    return n;
}

/* ---------------------------------------------------------------------------------------------
 * Support creates, everyone allowed reads
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_create_and_get)
{
    struct api_user support;
    struct promo_shop shop;
    char start[32], end[32], freeze[32];
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 3, (int[]){5, 50, 100});
    promo_time(3600, start);
    promo_time(5 * 86400, end);
    promo_time(2 * 86400, freeze);
    struct api_resp *r = promo_post(
        support.token,
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:i}", "title", "Stock clearance",
                  "description", "Big stocks, small prices", "type", "stock_discount", "date_start",
                  start, "date_end", end, "freeze_date", freeze, "min_discount_percent", 10,
                  "max_discount_percent", 40, "min_stock", 20));
    ck_assert_status(r, 201);
    int64_t id = api_int(r, "id");
    ck_assert_str_eq(api_str(r, "title"), "Stock clearance");
    ck_assert_str_eq(api_str(r, "description"), "Big stocks, small prices");
    ck_assert_str_eq(api_str(r, "type"), "stock_discount");
    ck_assert_str_eq(api_str(r, "date_start"), start);
    ck_assert_str_eq(api_str(r, "date_end"), end);
    ck_assert_str_eq(api_str(r, "freeze_date"), freeze);
    ck_assert_int_eq(api_int(r, "min_discount_percent"), 10);
    ck_assert_int_eq(api_int(r, "max_discount_percent"), 40);
    ck_assert_int_eq(api_int(r, "min_stock"), 20);
    ck_assert_str_eq(api_str(r, "audience"), "all");
    ck_assert_str_eq(api_str(r, "phase"), "upcoming");
    ck_assert_msg(json_is_false(json_object_get(r->json, "frozen")), "frozen: %s", r->body);
    ck_assert_int_eq(api_int(r, "products_count"), 0);
    assert_timestamp(api_str(r, "created_at"));
    api_free(r);

    /* the seller sees it with its state and counts for them: two products have the stock */
    r = promo_get(shop.seller.token, id);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "state"), "available");
    ck_assert_int_eq(api_int(r, "participating_products_count"), 0);
    ck_assert_int_eq(api_int(r, "candidate_products_count"), 2);
    ck_assert_str_eq(api_str(r, "freeze_date"), freeze);
    api_free(r);

    /* support reads it; a buyer, nobody and a missing id do not */
    r = promo_get(support.token, id);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "title"), "Stock clearance");
    api_free(r);
    struct api_user buyer;
    api_new_user(&buyer, "buyer");
    r = promo_get(buyer.token, id);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = promo_get(NULL, id);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = promo_get(shop.seller.token, 999999999);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

START_TEST(test_create_refused_roles)
{
    struct api_user support, seller, buyer;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    size_t before = promo_count(support.token);
    struct api_resp *r = promo_post(seller.token, NULL);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = promo_post(buyer.token, NULL);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = promo_post(NULL, NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    ck_assert_int_eq(promo_count(support.token), before);
}
END_TEST

/* each case: members over the valid defaults and the {field, code} it must name */
static const struct {
    const char *json, *field, *code;
} bad_create[] = {
    {"{\"title\": \"-\"}", "title", "required"},
    {"{\"title\": \"   \"}", "title", "too_short"},
    {"{\"type\": \"flash\"}", "type", "invalid_enum"},
    {"{\"date_start\": \"2026-12-99T99:99:99Z\"}", "date_start", "invalid_format"},
    {"{\"date_start\": \"tomorrow\"}", "date_start", "too_short"},
    {"{\"date_start\": \"2020-01-01T00:00:00Z\"}", "date_start", "in_the_past"},
    {"{\"date_end\": \"2020-01-01T00:00:00Z\"}", "date_end", "invalid_range"},
    {"{\"freeze_date\": \"2099-01-01T00:00:00Z\"}", "freeze_date", "invalid_range"},
    {"{\"min_discount_percent\": 0}", "min_discount_percent", "out_of_range"},
    {"{\"max_discount_percent\": 96}", "max_discount_percent", "out_of_range"},
    {"{\"min_discount_percent\": 40, \"max_discount_percent\": 30}", "max_discount_percent",
     "invalid_range"},
    {"{\"min_discount_percent\": \"5\"}", "min_discount_percent", "wrong_type"},
    {"{\"type\": \"stock_discount\"}", "min_stock", "required"},
    {"{\"min_stock\": 10}", "min_stock", "not_allowed"},
    {"{\"audience\": \"buyers\"}", "audience", "invalid_enum"},
    {"{\"audience\": \"sellers\"}", "seller_ids", "required"},
    {"{\"seller_ids\": [1]}", "seller_ids", "not_allowed"},
    {"{\"audience\": \"sellers\", \"seller_ids\": [\"x\"]}", "seller_ids", "wrong_type"},
    {"{\"audience\": \"sellers\", \"seller_ids\": [999999999]}", "seller_ids", "not_found"},
    {"{\"colour\": \"red\"}", "colour", "unknown_field"},
};

START_TEST(test_create_bad_input)
{
    struct api_user support;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    size_t before = promo_count(support.token);
    json_error_t jerr;
    json_t *members = json_loads(bad_create[_i].json, 0, &jerr);
    ck_assert_msg(members != NULL, "case %d: %s", _i, jerr.text);
    struct api_resp *r = promo_post(support.token, members);
    assert_field_error(r, bad_create[_i].field, bad_create[_i].code);
    api_free(r);
    ck_assert_int_eq(promo_count(support.token), before);
}
END_TEST

START_TEST(test_create_not_json)
{
    struct api_user support;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    size_t before = promo_count(support.token);
    struct api_resp *r = api_post("/v1/promotions", support.token, "{\"title\": ");
    ck_assert_int_eq(r->status, 400);
    api_free(r);
    r = api_post("/v1/promotions", support.token, "[]");
    ck_assert_int_eq(r->status, 400);
    api_free(r);
    ck_assert_int_eq(promo_count(support.token), before);
}
END_TEST

START_TEST(test_audience_of_sellers)
{
    struct api_user support, buyer;
    struct promo_shop in, out;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    promo_shop_open(&in, 1, NULL);
    promo_shop_open(&out, 1, NULL);
    /* a buyer cannot be in the audience */
    struct api_resp *r =
        promo_post(support.token, json_pack("{s:s, s:[I, I]}", "audience", "sellers", "seller_ids",
                                            (json_int_t)in.seller.id, (json_int_t)buyer.id));
    assert_field_error(r, "seller_ids", "not_found");
    api_free(r);
    int64_t id = promo_create(support.token, json_pack("{s:s, s:[I]}", "audience", "sellers",
                                                       "seller_ids", (json_int_t)in.seller.id));
    r = promo_get(support.token, id);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "seller_ids")), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(r->json, "seller_ids"), 0)),
                     in.seller.id);
    api_free(r);
    r = promo_get(in.seller.token, id);
    ck_assert_status(r, 200);
    ck_assert_msg(json_is_null(json_object_get(r->json, "seller_ids")),
                  "a seller is not told the audience: %s", r->body);
    api_free(r);
    ck_assert(promo_listed(in.seller.token, "available", id));

    /* to a seller outside the audience it does not exist anywhere */
    r = promo_get(out.seller.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert(!promo_listed(out.seller.token, "available", id));
    ck_assert(!promo_listed(out.seller.token, "", id));
    char path[96];
    snprintf(path, sizeof path, "/v1/promotions/%lld/candidates", (long long)id);
    r = api_get(path, out.seller.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = promo_add(out.seller.token, id,
                  json_pack("[o]", promo_item_discount(out.product[0], 10, 1)));
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    json_t *items = promo_products(support.token, id);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
}
END_TEST

START_TEST(test_list_states)
{
    struct api_user support;
    struct promo_shop shop;
    char start[32], end[32];
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 3, NULL);
    int64_t joined = promo_create(support.token, json_pack("{s:s}", "title", "Joined"));
    int64_t open = promo_create(support.token, json_pack("{s:s}", "title", "Open"));
    promo_time(86400, start);
    promo_time(3 * 86400, end);
    int64_t later = promo_create(support.token, json_pack("{s:s, s:s, s:s}", "title", "Later",
                                                          "date_start", start, "date_end", end));
    int64_t over = promo_create(support.token, json_pack("{s:s}", "title", "Over"));
    struct api_resp *r = promo_add(shop.seller.token, joined,
                                   json_pack("[o, o]", promo_item_discount(shop.product[0], 10, 5),
                                             promo_item_price(shop.product[1], 9000, 5)));
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "accepted")), 2);
    api_free(r);
    r = promo_add(shop.seller.token, over,
                  json_pack("[o]", promo_item_discount(shop.product[2], 10, 5)));
    ck_assert_status(r, 200);
    api_free(r);
    r = promo_end(support.token, over);
    ck_assert_status(r, 200);
    api_free(r);

    json_t *available = promo_list(shop.seller.token, "available");
    json_t *participating = promo_list(shop.seller.token, "participating");
    json_t *finished = promo_list(shop.seller.token, "finished");
    json_t *all = promo_list(shop.seller.token, "");
    ck_assert(promo_in(available, joined) && promo_in(available, open) &&
              promo_in(available, later) && !promo_in(available, over));
    ck_assert(promo_in(participating, joined) && !promo_in(participating, open) &&
              !promo_in(participating, later) && !promo_in(participating, over));
    ck_assert(promo_in(finished, over) && !promo_in(finished, joined) &&
              !promo_in(finished, open) && !promo_in(finished, later));
    ck_assert(promo_in(all, joined) && promo_in(all, over) && promo_in(all, later));

    /* each item: period, freeze date, bounds and the caller's counts */
    json_t *j = promo_in(participating, joined);
    ck_assert_str_eq(api_jstr(j, "state"), "participating");
    ck_assert_int_eq(api_jint(j, "participating_products_count"), 2);
    ck_assert_int_eq(api_jint(j, "candidate_products_count"), 1);
    ck_assert_int_eq(api_jint(j, "min_discount_percent"), 5);
    ck_assert_int_eq(api_jint(j, "max_discount_percent"), 50);
    ck_assert_msg(json_object_get(j, "freeze_date") != NULL, "no freeze_date");
    assert_timestamp(api_jstr(j, "date_start"));
    assert_timestamp(api_jstr(j, "date_end"));
    json_t *o = promo_in(available, open);
    ck_assert_str_eq(api_jstr(o, "state"), "available");
    ck_assert_int_eq(api_jint(o, "participating_products_count"), 0);
    /* the two joined are held by the other running promotion; the one whose promotion ended
     * is free again */
    ck_assert_int_eq(api_jint(o, "candidate_products_count"), 1);
    ck_assert_str_eq(api_jstr(promo_in(available, later), "phase"), "upcoming");
    json_t *f = promo_in(finished, over);
    ck_assert_str_eq(api_jstr(f, "state"), "finished");
    ck_assert_str_eq(api_jstr(f, "phase"), "finished");
    assert_timestamp(api_jstr(f, "ended_at"));
    json_decref(available);
    json_decref(participating);
    json_decref(finished);
    json_decref(all);

    /* bad state, a buyer */
    r = api_get("/v1/promotions?state=running", shop.seller.token);
    assert_field_error(r, "state", "invalid_enum");
    api_free(r);
    r = api_get("/v1/promotions?colour=red", shop.seller.token);
    assert_field_error(r, "colour", "unknown_parameter");
    api_free(r);
    struct api_user buyer;
    api_new_user(&buyer, "buyer");
    r = api_get("/v1/promotions", buyer.token);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
}
END_TEST

START_TEST(test_list_pages)
{
    struct api_user support;
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 1, NULL);
    for (int i = 0; i < 3; i++)
        promo_create(support.token, NULL);
    struct api_resp *r = api_get("/v1/promotions?state=available&limit=2", shop.seller.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
    ck_assert_msg(api_str(r, "next_cursor") != NULL, "no next_cursor: %s", r->body);
    api_free(r);
    json_t *all = promo_list(shop.seller.token, "available");
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(all, i, a)
    {
        json_array_foreach(all, j, b)
        {
            ck_assert_msg(i == j || api_jint(a, "id") != api_jint(b, "id"),
                          "promotion %lld listed twice", (long long)api_jint(a, "id"));
        }
    }
    json_decref(all);
    r = api_get("/v1/promotions?limit=0", shop.seller.token);
    assert_field_error(r, "limit", "out_of_range");
    api_free(r);
    r = api_get("/v1/promotions?cursor=garbage", shop.seller.token);
    assert_field_error(r, "cursor", "invalid_cursor");
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Changing and ending
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_patch_before_start_only)
{
    struct api_user support;
    struct promo_shop shop;
    char start[32], end[32], end2[32];
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 1, NULL);
    promo_time(3600, start);
    promo_time(3 * 86400, end);
    promo_time(4 * 86400, end2);
    int64_t id =
        promo_create(support.token, json_pack("{s:s, s:s}", "date_start", start, "date_end", end));
    struct api_resp *r = promo_patch(support.token, id,
                                     json_pack("{s:s, s:s, s:i}", "title", "Renamed", "date_end",
                                               end2, "max_discount_percent", 60));
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "title"), "Renamed");
    ck_assert_str_eq(api_str(r, "date_end"), end2);
    ck_assert_int_eq(api_int(r, "max_discount_percent"), 60);
    ck_assert_str_eq(api_str(r, "date_start"), start);
    api_free(r);

    /* bad changes: nothing changes */
    r = promo_patch(support.token, id, json_pack("{s:i}", "min_discount_percent", 70));
    assert_field_error(r, "max_discount_percent", "invalid_range");
    api_free(r);
    r = promo_patch(support.token, id, json_object());
    assert_field_error(r, "body", "empty_update");
    api_free(r);
    r = promo_patch(support.token, id, json_pack("{s:s}", "title", ""));
    ck_assert_int_eq(r->status, 400);
    api_free(r);
    r = promo_patch(shop.seller.token, id, json_pack("{s:s}", "title", "Mine"));
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = promo_patch(support.token, 999999999, json_pack("{s:s}", "title", "Nobody's"));
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = promo_get(support.token, id);
    ck_assert_str_eq(api_str(r, "title"), "Renamed");
    ck_assert_int_eq(api_int(r, "min_discount_percent"), 5);
    ck_assert_int_eq(api_int(r, "max_discount_percent"), 60);
    api_free(r);

    /* a change without dates (the store once freed its result twice on this path) */
    r = promo_patch(support.token, id, json_pack("{s:s}", "description", "Only the text"));
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "description"), "Only the text");
    api_free(r);
    /* a year PostgreSQL cannot hold is a 400, not a 500 */
    r = promo_patch(support.token, id, json_pack("{s:s}", "date_end", "0000-01-01T00:00:00Z"));
    assert_field_error(r, "date_end", "invalid_format");
    api_free(r);
    /* the products already in it must fit the changed bounds */
    r = promo_add(shop.seller.token, id,
                  json_pack("[o]", promo_item_price(shop.product[0], 5000, 5)));
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "accepted")), 1);
    api_free(r);
    r = promo_patch(support.token, id, json_pack("{s:i}", "max_discount_percent", 20));
    ck_assert_problem(r, 409, "participations_outside_rules");
    api_free(r);
    r = promo_get(support.token, id);
    ck_assert_int_eq(api_int(r, "max_discount_percent"), 60);
    api_free(r);

    /* once started it is what sellers signed up for */
    int64_t running = promo_create(support.token, NULL);
    r = promo_patch(support.token, running, json_pack("{s:s}", "title", "Too late"));
    ck_assert_problem(r, 409, "promotion_started");
    api_free(r);
    r = promo_get(support.token, running);
    ck_assert_str_eq(api_str(r, "title"), "Test sale");
    api_free(r);
}
END_TEST

START_TEST(test_end_early)
{
    struct api_user support;
    struct promo_shop shop;
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&shop, 2, NULL);
    int64_t id = promo_create(support.token, NULL);
    struct api_resp *r = promo_add(shop.seller.token, id,
                                   json_pack("[o]", promo_item_discount(shop.product[0], 10, 5)));
    ck_assert_status(r, 200);
    api_free(r);
    r = promo_end(shop.seller.token, id);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = promo_end(support.token, 999999999);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = promo_end(support.token, id);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "phase"), "finished");
    assert_timestamp(api_str(r, "ended_at"));
    api_free(r);
    r = promo_end(support.token, id);
    ck_assert_problem(r, 409, "promotion_finished");
    api_free(r);
    /* an upcoming promotion ended early is finished, not upcoming */
    char start[32], end[32];
    promo_time(3600, start);
    promo_time(86400, end);
    int64_t upcoming =
        promo_create(support.token, json_pack("{s:s, s:s}", "date_start", start, "date_end", end));
    r = promo_end(support.token, upcoming);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "phase"), "finished");
    api_free(r);
    r = promo_get(shop.seller.token, upcoming);
    ck_assert_str_eq(api_str(r, "phase"), "finished");
    ck_assert_str_eq(api_str(r, "state"), "finished");
    api_free(r);
    /* after the end nothing changes */
    r = promo_add(shop.seller.token, id,
                  json_pack("[o, o]", promo_item_discount(shop.product[0], 20, 5),
                            promo_item_discount(shop.product[1], 10, 5)));
    assert_rejected(r, shop.product[0], "finished", -1);
    assert_rejected(r, shop.product[1], "finished", -1);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "accepted")), 0);
    api_free(r);
    json_t *items = promo_products(shop.seller.token, id);
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_msg(
        json_number_value(json_object_get(json_array_get(items, 0), "discount_percent")) == 10.0,
        "the discount changed after the end");
    json_decref(items);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The scheduler's notices (the suite's server runs it every 200 ms)
 * ------------------------------------------------------------------------------------------- */

static int wait_notices(const char *token, const char *event, int64_t id, int want)
{
    int n = 0;
    for (int i = 0;
         i < 100 && (n = qa_notifications(token, event, "promotion_id", id, NULL)) < want; i++)
        usleep(100000);
    return n;
}

START_TEST(test_started_and_ending_notices_once)
{
    struct api_user support;
    struct promo_shop in, out;
    char start[32], end[32];
    api_demo_user(&support, PROMO_SUPPORT_EMAIL);
    promo_shop_open(&in, 1, NULL);
    promo_shop_open(&out, 1, NULL);
    promo_time(2, start);
    promo_time(86400 + 4, end);
    int64_t id =
        promo_create(support.token, json_pack("{s:s, s:s, s:s, s:s, s:[I]}", "title", "Night sale",
                                              "date_start", start, "date_end", end, "audience",
                                              "sellers", "seller_ids", (json_int_t)in.seller.id));
    ck_assert_int_eq(
        qa_notifications(in.seller.token, "promotion.started", "promotion_id", id, NULL), 0);
    ck_assert_int_eq(wait_notices(in.seller.token, "promotion.started", id, 1), 1);
    ck_assert_int_eq(wait_notices(in.seller.token, "promotion.ending", id, 1), 1);
    json_t *last;
    qa_notifications(in.seller.token, "promotion.ending", "promotion_id", id, &last);
    ck_assert_str_eq(api_jstr(last, "tab"), "promotion");
    ck_assert_str_eq(api_jstr(json_object_get(last, "data"), "ends_at"), end);
    json_decref(last);
    /* several more ticks: still once each; nobody outside the audience heard */
    usleep(1000000);
    ck_assert_int_eq(
        qa_notifications(in.seller.token, "promotion.started", "promotion_id", id, NULL), 1);
    ck_assert_int_eq(
        qa_notifications(in.seller.token, "promotion.ending", "promotion_id", id, NULL), 1);
    ck_assert_int_eq(
        qa_notifications(out.seller.token, "promotion.started", "promotion_id", id, NULL), 0);
}
END_TEST

Suite *promotions_suite(void)
{
    Suite *s = suite_create("promotions");
    TCase *tc = api_tcase("promotions");
    tcase_add_test(tc, test_create_and_get);
    tcase_add_test(tc, test_create_refused_roles);
    tcase_add_loop_test(tc, test_create_bad_input, 0, N_CASES(bad_create));
    tcase_add_test(tc, test_create_not_json);
    tcase_add_test(tc, test_audience_of_sellers);
    tcase_add_test(tc, test_list_states);
    tcase_add_test(tc, test_list_pages);
    tcase_add_test(tc, test_patch_before_start_only);
    tcase_add_test(tc, test_end_early);
    tcase_add_test(tc, test_started_and_ending_notices_once);
    suite_add_tcase(s, tc);
    return s;
}
