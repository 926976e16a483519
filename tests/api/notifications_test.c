/* API tests of notifications: the feed (GET /v1/notifications), counters, read / read-all,
 * notification settings and platform broadcasts (POST /v1/broadcasts) against the real
 * server. Broadcasts are global, so counts are compared as before/after deltas of fresh users
 * and broadcast items are looked up by id. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"

static const char *const all_tabs[] = {"main",     "promotion", "training",        "services",
                                       "disputes", "buyers",    "customer_service"};

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

/* GET /v1/notifications<query> as 200; returns the whole body (caller decrefs). */
static json_t *feed_page(const char *token, const char *query)
{
    char path[1024];
    snprintf(path, sizeof path, "/v1/notifications%s", query);
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    ck_assert_msg(json_is_array(json_object_get(r->json, "items")), "no items: %s", r->body);
    ck_assert_msg(json_object_get(r->json, "next_cursor") != NULL, "no next_cursor: %s", r->body);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

/* The items of the first page (limit=100) of the feed with query params q ("" or "a=b&..."). */
static json_t *feed_items(const char *token, const char *q)
{
    char query[512];
    snprintf(query, sizeof query, "?limit=100%s%s", *q ? "&" : "", q);
    json_t *page = feed_page(token, query);
    json_t *items = json_incref(json_object_get(page, "items"));
    json_decref(page);
    return items;
}

static json_t *item_by_id(const json_t *items, json_int_t id)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (api_jint(it, "id") == id)
            return it;
    }
    return NULL;
}

/* Items of the given event (and, if posting_number, that posting), in feed order (a new
 * array holding references). */
static json_t *items_of(const json_t *items, const char *event, const char *posting_number)
{
    size_t i;
    json_t *it, *out = json_array();
    json_array_foreach(items, i, it)
    {
        if (strcmp(api_jstr(it, "event"), event) != 0)
            continue;
        if (posting_number &&
            (!api_jstr(json_object_get(it, "data"), "posting_number") ||
             strcmp(api_jstr(json_object_get(it, "data"), "posting_number"), posting_number) != 0))
            continue;
        json_array_append(out, it);
    }
    return out;
}

/* GET /v1/notifications/counters as 200, shape checked (caller decrefs). */
static json_t *counters(const char *token)
{
    struct api_resp *r = api_get("/v1/notifications/counters", token);
    ck_assert_status(r, 200);
    json_t *tabs = json_object_get(r->json, "tabs");
    ck_assert_msg(json_is_object(tabs), "counters without tabs: %s", r->body);
    json_int_t sum = 0;
    for (size_t i = 0; i < sizeof all_tabs / sizeof all_tabs[0]; i++) {
        json_t *n = json_object_get(tabs, all_tabs[i]);
        ck_assert_msg(json_is_integer(n) && json_integer_value(n) >= 0, "tab %s: %s", all_tabs[i],
                      r->body);
        sum += json_integer_value(n);
    }
    ck_assert_msg(json_object_size(tabs) == sizeof all_tabs / sizeof all_tabs[0],
                  "unexpected tabs: %s", r->body);
    ck_assert_msg(json_is_integer(json_object_get(r->json, "total")) && api_int(r, "total") == sum,
                  "total is not the sum of the tabs: %s", r->body);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static json_int_t tab_count(const json_t *c, const char *tab)
{
    return api_jint(json_object_get(c, "tabs"), tab);
}

static json_int_t unread_of(const char *token, const char *tab)
{
    json_t *c = counters(token);
    json_int_t n = tab ? tab_count(c, tab) : api_jint(c, "total");
    json_decref(c);
    return n;
}

static struct api_resp *mark_read(const char *token, json_int_t id)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/notifications/%lld/read", (long long)id);
    return api_post(path, token, NULL);
}

/* POST /v1/broadcasts with audience given as JSON text; returns the 201 body (caller decrefs). */
static json_t *broadcast(const struct api_user *support, const char *tab, const char *audience)
{
    char title[64];
    json_t *aud = json_loads(audience, JSON_DECODE_ANY, NULL);
    ck_assert_ptr_nonnull(aud);
    struct api_resp *r = api_postf("/v1/broadcasts", support->token, "{s:s, s:s, s:s, s:o}", "tab",
                                   tab, "title", api_unique("News ", title, sizeof title), "body",
                                   "Platform news body.", "audience", aud);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static json_int_t broadcast_id(const struct api_user *support, const char *tab,
                               const char *audience)
{
    json_t *b = broadcast(support, tab, audience);
    json_int_t id = api_jint(b, "id");
    json_decref(b);
    return id;
}

static json_int_t broadcast_to(const struct api_user *support, const char *tab, int64_t user_id)
{
    char aud[64];
    snprintf(aud, sizeof aud, "{\"user_ids\": [%lld]}", (long long)user_id);
    return broadcast_id(support, tab, aud);
}

/* The feed of token holds a broadcast item of that id (yes) or not (no). */
#define assert_sees(token, id, yes) assert_sees_at(token, id, yes, __FILE__, __LINE__)
static void assert_sees_at(const char *token, json_int_t id, int yes, const char *file, int line)
{
    json_t *items = feed_items(token, "");
    json_t *it = item_by_id(items, id);
    if (yes) {
        ck_assert_msg(it != NULL, "%s:%d: broadcast %lld missing from the feed", file, line,
                      (long long)id);
        ck_assert_str_eq(api_jstr(it, "event"), "platform.broadcast");
        ck_assert_msg(json_is_false(json_object_get(it, "read")), "%s:%d: read", file, line);
    } else {
        ck_assert_msg(it == NULL, "%s:%d: broadcast %lld must not be in the feed", file, line,
                      (long long)id);
    }
    json_decref(items);
}

/* A seller with a product and a buyer with an order of it. */
struct deal {
    struct api_user seller, buyer;
    char pn[64];
};

static void deal_open(struct deal *d)
{
    api_new_user(&d->seller, "seller");
    api_new_user(&d->buyer, "buyer");
    json_int_t product = api_make_product(&d->seller, 1000, 10);
    struct api_resp *r = api_postf("/v1/orders", d->buyer.token, "{s:[{s:I, s:i}]}", "items",
                                   "product_id", product, "quantity", 1);
    ck_assert_status(r, 201);
    snprintf(d->pn, sizeof d->pn, "%s",
             api_jstr(json_array_get(json_object_get(r->json, "postings"), 0), "posting_number"));
    api_free(r);
}

static void move(const char *token, const char *pn, const char *status)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/postings/%s/status", pn);
    struct api_resp *r = api_postf(path, token, "{s:s}", "status", status);
    ck_assert_status(r, 200);
    api_free(r);
}

static void assert_status_item(const json_t *it, const char *pn, const char *status)
{
    ck_assert_ptr_nonnull(it);
    ck_assert_str_eq(api_jstr(it, "event"), "order.status_changed");
    ck_assert_str_eq(api_jstr(it, "tab"), "main");
    ck_assert_msg(json_is_false(json_object_get(it, "read")), "read is not false");
    ck_assert_msg(json_is_integer(json_object_get(it, "id")), "id");
    ck_assert_msg(api_jstr(it, "title") && *api_jstr(it, "title"), "title");
    ck_assert_msg(api_jstr(it, "body") && *api_jstr(it, "body"), "body");
    assert_timestamp(api_jstr(it, "created_at"));
    json_t *data = json_object_get(it, "data");
    ck_assert_str_eq(api_jstr(data, "posting_number"), pn);
    ck_assert_str_eq(api_jstr(data, "status"), status);
}

/* ---------------------------------------------------------------------------------------------
 * Order status notifications
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_seller_moves_notify_buyer)
{
    struct deal d;
    deal_open(&d);
    json_int_t main_before = unread_of(d.buyer.token, "main");
    move(d.seller.token, d.pn, "delivering");
    move(d.seller.token, d.pn, "delivered");

    json_t *items = feed_items(d.buyer.token, "");
    json_t *mine = items_of(items, "order.status_changed", d.pn);
    ck_assert_int_eq(json_array_size(mine), 2);
    /* newest first */
    assert_status_item(json_array_get(mine, 0), d.pn, "delivered");
    assert_status_item(json_array_get(mine, 1), d.pn, "delivering");
    ck_assert_int_gt(api_jint(json_array_get(mine, 0), "id"),
                     api_jint(json_array_get(mine, 1), "id"));
    json_decref(mine);
    json_decref(items);

    json_t *c = counters(d.buyer.token);
    ck_assert_int_ge(tab_count(c, "main"), 2);
    ck_assert_int_eq(tab_count(c, "main") - main_before, 2);
    json_decref(c);

    /* the seller made the moves: nothing for them */
    items = feed_items(d.seller.token, "");
    mine = items_of(items, "order.status_changed", NULL);
    ck_assert_int_eq(json_array_size(mine), 0);
    json_decref(mine);
    json_decref(items);
}
END_TEST

START_TEST(test_buyer_cancel_notifies_seller)
{
    struct deal d;
    deal_open(&d);
    move(d.buyer.token, d.pn, "cancelled");

    json_t *items = feed_items(d.seller.token, "");
    json_t *mine = items_of(items, "order.status_changed", d.pn);
    ck_assert_int_eq(json_array_size(mine), 1);
    assert_status_item(json_array_get(mine, 0), d.pn, "cancelled");
    json_decref(mine);
    json_decref(items);

    items = feed_items(d.buyer.token, "");
    mine = items_of(items, "order.status_changed", NULL);
    ck_assert_int_eq(json_array_size(mine), 0);
    json_decref(mine);
    json_decref(items);
}
END_TEST

START_TEST(test_feed_and_counters_need_token)
{
    static const char *const paths[] = {"/v1/notifications", "/v1/notifications/counters",
                                        "/v1/notification-settings"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct api_resp *r = api_get(paths[i], NULL);
        ck_assert_problem(r, 401, "missing_token");
        api_free(r);
    }
    struct api_resp *r = api_post("/v1/notifications/read-all", NULL, NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = api_postf("/v1/broadcasts", NULL, "{s:s}", "tab", "main");
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
}
END_TEST

START_TEST(test_fresh_user_counters_all_tabs_zero)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    json_t *c = counters(u.token); /* shape: every tab present */
    ck_assert_int_eq(api_jint(c, "total"), 0);
    json_decref(c);
    struct api_resp *r =
        api_request("GET", "/v1/notifications/counters", u.token, NULL, NULL, NULL);
    ck_assert_status(r, 200);
    char *rid = api_header(r, "X-Request-Id");
    ck_assert_ptr_nonnull(rid);
    free(rid);
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Broadcasts: audiences
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_broadcast_all_reaches_buyers_and_sellers)
{
    struct api_user support, buyer, seller;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    json_int_t before_b = unread_of(buyer.token, "training");
    json_int_t before_s = unread_of(seller.token, "training");

    json_t *b = broadcast(&support, "training", "\"all\"");
    json_int_t id = api_jint(b, "id");
    ck_assert_str_eq(api_jstr(b, "tab"), "training");
    ck_assert_str_eq(api_jstr(b, "audience"), "all");
    ck_assert_int_eq(api_jint(b, "created_by"), support.id);
    ck_assert_str_eq(api_jstr(b, "body"), "Platform news body.");
    ck_assert_msg(api_jstr(b, "title") != NULL, "title");
    assert_timestamp(api_jstr(b, "created_at"));
    json_decref(b);

    assert_sees(buyer.token, id, 1);
    assert_sees(seller.token, id, 1);
    json_t *items = feed_items(buyer.token, "");
    json_t *it = item_by_id(items, id);
    ck_assert_str_eq(api_jstr(it, "tab"), "training");
    ck_assert_msg(json_is_object(json_object_get(it, "data")), "data is not an object");
    assert_timestamp(api_jstr(it, "created_at"));
    json_decref(items);
    ck_assert_int_eq(unread_of(buyer.token, "training") - before_b, 1);
    ck_assert_int_eq(unread_of(seller.token, "training") - before_s, 1);
}
END_TEST

START_TEST(test_broadcast_buyers_only)
{
    struct api_user support, buyer, seller;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    json_int_t before_s = unread_of(seller.token, NULL);
    json_int_t id = broadcast_id(&support, "services", "\"buyers\"");
    assert_sees(buyer.token, id, 1);
    assert_sees(seller.token, id, 0);
    ck_assert_int_eq(unread_of(seller.token, NULL), before_s);
}
END_TEST

START_TEST(test_broadcast_sellers_only)
{
    struct api_user support, buyer, seller;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    json_int_t id = broadcast_id(&support, "promotion", "\"sellers\"");
    assert_sees(seller.token, id, 1);
    assert_sees(buyer.token, id, 0);
}
END_TEST

START_TEST(test_broadcast_to_user_ids)
{
    struct api_user support, x, other;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&x, "seller");
    api_new_user(&other, "seller");
    json_int_t before_x = unread_of(x.token, "main"), before_o = unread_of(other.token, "main");
    json_t *b;
    char aud[64];
    snprintf(aud, sizeof aud, "{\"user_ids\": [%lld]}", (long long)x.id);
    b = broadcast(&support, "main", aud);
    json_int_t id = api_jint(b, "id");
    json_t *ids = json_object_get(json_object_get(b, "audience"), "user_ids");
    ck_assert_int_eq(json_array_size(ids), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(ids, 0)), x.id);
    json_decref(b);
    assert_sees(x.token, id, 1);
    assert_sees(other.token, id, 0);
    ck_assert_int_eq(unread_of(x.token, "main") - before_x, 1);
    ck_assert_int_eq(unread_of(other.token, "main"), before_o);
    /* and a read attempt by the other user is 404 */
    struct api_resp *r = mark_read(other.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

START_TEST(test_broadcast_not_seen_by_later_users)
{
    struct api_user support, later;
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t id = broadcast_id(&support, "main", "\"all\"");
    api_new_user(&later, "buyer");
    assert_sees(later.token, id, 0);
    struct api_resp *r = mark_read(later.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Read state
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_read_one_broadcast)
{
    struct api_user support, u;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&u, "buyer");
    json_int_t id = broadcast_to(&support, "promotion", u.id);
    json_int_t before = unread_of(u.token, "promotion"), total = unread_of(u.token, NULL);
    ck_assert_int_ge(before, 1);

    struct api_resp *r = mark_read(u.token, id);
    ck_assert_status(r, 204);
    api_free(r);
    ck_assert_int_eq(unread_of(u.token, "promotion"), before - 1);
    ck_assert_int_eq(unread_of(u.token, NULL), total - 1);
    json_t *items = feed_items(u.token, "");
    json_t *it = item_by_id(items, id);
    ck_assert_ptr_nonnull(it);
    ck_assert_msg(json_is_true(json_object_get(it, "read")), "broadcast not read");
    json_decref(items);

    /* reading again is still 204 and changes nothing */
    r = mark_read(u.token, id);
    ck_assert_status(r, 204);
    api_free(r);
    ck_assert_int_eq(unread_of(u.token, "promotion"), before - 1);
}
END_TEST

START_TEST(test_read_one_personal)
{
    struct deal d;
    deal_open(&d);
    move(d.seller.token, d.pn, "delivering");
    json_t *items = feed_items(d.buyer.token, "tab=main");
    json_t *mine = items_of(items, "order.status_changed", d.pn);
    ck_assert_int_eq(json_array_size(mine), 1);
    json_int_t id = api_jint(json_array_get(mine, 0), "id");
    json_decref(mine);
    json_decref(items);
    json_int_t before = unread_of(d.buyer.token, "main");

    /* another user's notification: 404, and it stays unread */
    struct api_resp *r = mark_read(d.seller.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_int_eq(unread_of(d.buyer.token, "main"), before);

    r = mark_read(d.buyer.token, id);
    ck_assert_status(r, 204);
    api_free(r);
    ck_assert_int_eq(unread_of(d.buyer.token, "main"), before - 1);
    items = feed_items(d.buyer.token, "");
    ck_assert_msg(json_is_true(json_object_get(item_by_id(items, id), "read")), "not read");
    json_decref(items);
}
END_TEST

START_TEST(test_read_unknown_ids_not_found)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    struct api_resp *r = mark_read(u.token, 999999999999LL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_post("/v1/notifications/abc/read", u.token, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_post("/v1/notifications/-1/read", u.token, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

START_TEST(test_read_all_one_tab)
{
    struct api_user support;
    struct deal d;
    api_demo_user(&support, SUPPORT_EMAIL);
    deal_open(&d);
    move(d.seller.token, d.pn, "delivering");
    json_int_t promo = broadcast_to(&support, "promotion", d.buyer.id);
    json_int_t main_before = unread_of(d.buyer.token, "main");
    ck_assert_int_ge(main_before, 1);
    ck_assert_int_ge(unread_of(d.buyer.token, "promotion"), 1);

    struct api_resp *r =
        api_postf("/v1/notifications/read-all", d.buyer.token, "{s:s}", "tab", "promotion");
    ck_assert_status(r, 200);
    ck_assert_int_ge(api_int(r, "marked"), 1);
    api_free(r);
    ck_assert_int_eq(unread_of(d.buyer.token, "promotion"), 0);
    ck_assert_int_eq(unread_of(d.buyer.token, "main"), main_before);
    json_t *items = feed_items(d.buyer.token, "");
    ck_assert_msg(json_is_true(json_object_get(item_by_id(items, promo), "read")), "promo");
    json_t *mine = items_of(items, "order.status_changed", d.pn);
    ck_assert_msg(json_is_false(json_object_get(json_array_get(mine, 0), "read")), "main read");
    json_decref(mine);
    json_decref(items);

    /* nothing left in that tab */
    r = api_postf("/v1/notifications/read-all", d.buyer.token, "{s:s}", "tab", "promotion");
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "marked"), 0);
    api_free(r);
}
END_TEST

START_TEST(test_read_all_without_body)
{
    struct api_user support;
    struct deal d;
    api_demo_user(&support, SUPPORT_EMAIL);
    deal_open(&d);
    move(d.seller.token, d.pn, "delivering");
    move(d.seller.token, d.pn, "delivered");
    broadcast_to(&support, "services", d.buyer.id);
    json_int_t total = unread_of(d.buyer.token, NULL);
    ck_assert_int_ge(total, 3);

    struct api_resp *r = api_post("/v1/notifications/read-all", d.buyer.token, NULL);
    ck_assert_status(r, 200);
    ck_assert_int_ge(api_int(r, "marked"), 3);
    api_free(r);
    ck_assert_int_eq(unread_of(d.buyer.token, NULL), 0);
    json_t *items = feed_items(d.buyer.token, "unread_only=true");
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);

    /* an empty object marks everything too */
    r = api_post("/v1/notifications/read-all", d.buyer.token, "{}");
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "marked"), 0);
    api_free(r);
}
END_TEST

static const struct {
    const char *body;
    const char *field, *code; /* NULL field: a problem code alone */
} bad_read_all_cases[] = {
    {"{\"tab\": \"nope\"}", "tab", "invalid_enum"},
    {"{\"tab\": 1}", "tab", "wrong_type"},
    {"{\"tab\": \"main\", \"extra\": 1}", "extra", "unknown_field"},
    {"{\"tab\": ", NULL, "malformed_json"},
    {"[]", NULL, "body_not_object"},
};

START_TEST(test_read_all_rejects_bad_body)
{
    struct api_user u;
    api_new_user(&u, "seller");
    struct api_resp *r =
        api_post("/v1/notifications/read-all", u.token, bad_read_all_cases[_i].body);
    if (bad_read_all_cases[_i].field)
        assert_field_error(r, bad_read_all_cases[_i].field, bad_read_all_cases[_i].code);
    else
        ck_assert_problem(r, 400, bad_read_all_cases[_i].code);
    api_free(r);
}
END_TEST

START_TEST(test_read_all_rejects_media_type)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    struct api_resp *r = api_request("POST", "/v1/notifications/read-all", u.token,
                                     "{\"tab\": \"main\"}", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Feed filters and pagination
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_feed_tab_and_unread_filters)
{
    struct api_user support;
    struct deal d;
    api_demo_user(&support, SUPPORT_EMAIL);
    deal_open(&d);
    move(d.seller.token, d.pn, "delivering");
    move(d.seller.token, d.pn, "delivered");
    json_int_t promo = broadcast_to(&support, "promotion", d.buyer.id);

    json_t *items = feed_items(d.buyer.token, "tab=promotion");
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) ck_assert_str_eq(api_jstr(it, "tab"), "promotion");
    ck_assert_ptr_nonnull(item_by_id(items, promo));
    json_decref(items);

    items = feed_items(d.buyer.token, "tab=main");
    json_array_foreach(items, i, it) ck_assert_str_eq(api_jstr(it, "tab"), "main");
    ck_assert_ptr_null(item_by_id(items, promo));
    json_t *mine = items_of(items, "order.status_changed", d.pn);
    ck_assert_int_eq(json_array_size(mine), 2);
    json_int_t first = api_jint(json_array_get(mine, 0), "id");
    json_int_t second = api_jint(json_array_get(mine, 1), "id");
    json_decref(mine);
    json_decref(items);

    items = feed_items(d.buyer.token, "tab=disputes");
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);

    struct api_resp *r = mark_read(d.buyer.token, first);
    ck_assert_status(r, 204);
    api_free(r);
    items = feed_items(d.buyer.token, "unread_only=true");
    json_array_foreach(items, i, it)
        ck_assert_msg(json_is_false(json_object_get(it, "read")), "read item in unread_only");
    ck_assert_ptr_null(item_by_id(items, first));
    ck_assert_ptr_nonnull(item_by_id(items, second));
    ck_assert_ptr_nonnull(item_by_id(items, promo));
    json_decref(items);

    items = feed_items(d.buyer.token, "unread_only=true&tab=main");
    ck_assert_ptr_null(item_by_id(items, first));
    ck_assert_ptr_nonnull(item_by_id(items, second));
    ck_assert_ptr_null(item_by_id(items, promo));
    json_decref(items);

    items = feed_items(d.buyer.token, "unread_only=false");
    ck_assert_ptr_nonnull(item_by_id(items, first));
    ck_assert_ptr_nonnull(item_by_id(items, second));
    json_decref(items);
}
END_TEST

START_TEST(test_feed_keyset_pagination)
{
    struct api_user support;
    struct deal d;
    api_demo_user(&support, SUPPORT_EMAIL);
    deal_open(&d);
    move(d.seller.token, d.pn, "delivering");
    json_int_t b1 = broadcast_to(&support, "main", d.buyer.id);
    move(d.seller.token, d.pn, "delivered");
    json_int_t b2 = broadcast_to(&support, "main", d.buyer.id);

    json_t *all = feed_items(d.buyer.token, "tab=main");
    ck_assert_int_ge(json_array_size(all), 4);

    /* walk limit=1 over the same list */
    char query[512];
    json_t *walked = json_array();
    snprintf(query, sizeof query, "?tab=main&limit=1");
    for (int pages = 0;; pages++) {
        ck_assert_int_lt(pages, 200);
        json_t *page = feed_page(d.buyer.token, query);
        json_t *items = json_object_get(page, "items");
        ck_assert_int_le(json_array_size(items), 1);
        json_array_extend(walked, items);
        const char *next = api_jstr(page, "next_cursor");
        if (next)
            snprintf(query, sizeof query, "?tab=main&limit=1&cursor=%s", next);
        json_decref(page);
        if (!next)
            break;
    }
    /* every item once, ids strictly descending, the four known ones among them */
    for (size_t i = 1; i < json_array_size(walked); i++)
        ck_assert_int_gt(api_jint(json_array_get(walked, i - 1), "id"),
                         api_jint(json_array_get(walked, i), "id"));
    ck_assert_ptr_nonnull(item_by_id(walked, b1));
    ck_assert_ptr_nonnull(item_by_id(walked, b2));
    json_t *mine = items_of(walked, "order.status_changed", d.pn);
    ck_assert_int_eq(json_array_size(mine), 2);
    json_decref(mine);
    size_t i;
    json_t *it;
    json_array_foreach(all, i, it) ck_assert_ptr_nonnull(item_by_id(walked, api_jint(it, "id")));
    json_decref(walked);
    json_decref(all);
}
END_TEST

START_TEST(test_feed_cursor_bound_to_list)
{
    struct api_user support;
    struct deal d;
    api_demo_user(&support, SUPPORT_EMAIL);
    deal_open(&d);
    move(d.seller.token, d.pn, "delivering");
    move(d.seller.token, d.pn, "delivered");
    json_t *page = feed_page(d.buyer.token, "?tab=main&limit=1");
    const char *next = api_jstr(page, "next_cursor");
    ck_assert_ptr_nonnull(next);
    static const char *const others[] = {"?tab=promotion&limit=1&cursor=%s", "?limit=1&cursor=%s",
                                         "?tab=main&unread_only=true&limit=1&cursor=%s"};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char path[512], query[400];
        snprintf(query, sizeof query, others[i], next);
        snprintf(path, sizeof path, "/v1/notifications%s", query);
        struct api_resp *r = api_get(path, d.buyer.token);
        assert_field_error(r, "cursor", "invalid_cursor");
        api_free(r);
    }
    /* the same list accepts it */
    char query[400];
    snprintf(query, sizeof query, "?tab=main&limit=1&cursor=%s", next);
    json_decref(feed_page(d.buyer.token, query));
    json_decref(page);

    struct api_resp *r = api_get("/v1/notifications?cursor=forged", d.buyer.token);
    assert_field_error(r, "cursor", "invalid_cursor");
    api_free(r);
}
END_TEST

static const struct {
    const char *query, *field, *code;
} bad_feed_cases[] = {
    {"?tab=nope", "tab", "invalid_enum"},  {"?unread_only=yes", "unread_only", "invalid_enum"},
    {"?limit=0", "limit", "out_of_range"}, {"?limit=101", "limit", "out_of_range"},
    {"?limit=abc", "limit", NULL},         {"?foo=1", "foo", "unknown_parameter"},
};

START_TEST(test_feed_rejects_bad_query)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    char path[256];
    snprintf(path, sizeof path, "/v1/notifications%s", bad_feed_cases[_i].query);
    struct api_resp *r = api_get(path, u.token);
    if (bad_feed_cases[_i].code) {
        assert_field_error(r, bad_feed_cases[_i].field, bad_feed_cases[_i].code);
    } else {
        ck_assert_problem(r, 400, "validation_failed");
    }
    api_free(r);
}
END_TEST

START_TEST(test_notification_methods_not_allowed)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    static const struct {
        const char *method, *path;
    } cases[] = {
        {"DELETE", "/v1/notifications"},       {"POST", "/v1/notifications/counters"},
        {"GET", "/v1/notifications/read-all"}, {"GET", "/v1/notifications/1/read"},
        {"POST", "/v1/notification-settings"}, {"GET", "/v1/broadcasts"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_resp *r = api_request(cases[i].method, cases[i].path, u.token, NULL, NULL, NULL);
        ck_assert_msg(r->status == 405, "%s %s: expected 405, got %ld %s", cases[i].method,
                      cases[i].path, r->status, r->body);
        ck_assert_problem(r, 405, "method_not_allowed");
        char *allow = api_header(r, "Allow");
        ck_assert_ptr_nonnull(allow);
        free(allow);
        api_free(r);
    }
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Settings
 * ------------------------------------------------------------------------------------------- */

static json_t *settings(const char *token)
{
    struct api_resp *r = api_get("/v1/notification-settings", token);
    ck_assert_status(r, 200);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static json_t *setting_of(const json_t *s, const char *event)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(s, "events"), i, e)
    {
        if (strcmp(api_jstr(e, "event"), event) == 0)
            return e;
    }
    return NULL;
}

static int channel_of(const json_t *s, const char *event, const char *channel)
{
    json_t *v = json_object_get(json_object_get(setting_of(s, event), "channels"), channel);
    ck_assert_msg(json_is_boolean(v), "%s.%s is not a boolean", event, channel);
    return json_is_true(v);
}

START_TEST(test_settings_shape_by_role)
{
    struct api_user buyer, seller;
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    json_t *sb = settings(buyer.token), *ss = settings(seller.token);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(ss, "events"), i, e)
    {
        ck_assert_msg(api_jstr(e, "event") && api_jstr(e, "label") && api_jstr(e, "tab"),
                      "event entry fields");
        ck_assert_msg(json_is_boolean(json_object_get(e, "mandatory")), "mandatory");
        ck_assert_msg(json_is_boolean(json_object_get(e, "changeable")), "changeable");
        ck_assert_msg(json_is_true(json_object_get(e, "mandatory")) ==
                          json_is_false(json_object_get(e, "changeable")),
                      "changeable is not !mandatory");
        json_t *ch = json_object_get(e, "channels");
        ck_assert_msg(json_is_true(json_object_get(ch, "in_app")), "in_app not true");
        ck_assert_msg(json_is_boolean(json_object_get(ch, "push")), "push");
        ck_assert_msg(json_is_boolean(json_object_get(ch, "email")), "email");
    }
    ck_assert_ptr_nonnull(setting_of(ss, "question.new"));
    ck_assert_ptr_null(setting_of(sb, "question.new"));
    ck_assert_ptr_nonnull(setting_of(sb, "question.answer_published"));
    ck_assert_ptr_null(setting_of(ss, "question.answer_published"));
    ck_assert_ptr_nonnull(setting_of(sb, "order.status_changed"));
    ck_assert_ptr_nonnull(setting_of(ss, "order.status_changed"));
    json_t *bc = setting_of(sb, "platform.broadcast");
    ck_assert_ptr_nonnull(bc);
    ck_assert_msg(json_is_true(json_object_get(bc, "mandatory")), "broadcast mandatory");
    ck_assert_msg(json_is_false(json_object_get(bc, "changeable")), "broadcast changeable");
    ck_assert_str_eq(api_jstr(setting_of(ss, "question.new"), "tab"), "buyers");
    /* registry defaults */
    ck_assert_int_eq(channel_of(ss, "question.new", "push"), 1);
    ck_assert_int_eq(channel_of(ss, "question.new", "email"), 0);
    json_decref(sb);
    json_decref(ss);
}
END_TEST

START_TEST(test_settings_patch_applies)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r =
        api_patch("/v1/notification-settings", seller.token,
                  "{\"events\": {\"question.new\": {\"push\": false, \"email\": true},"
                  " \"order.status_changed\": {\"email\": true}}}");
    ck_assert_status(r, 200);
    ck_assert_int_eq(channel_of(r->json, "question.new", "push"), 0);
    ck_assert_int_eq(channel_of(r->json, "question.new", "email"), 1);
    api_free(r);
    json_t *s = settings(seller.token);
    ck_assert_int_eq(channel_of(s, "question.new", "push"), 0);
    ck_assert_int_eq(channel_of(s, "question.new", "email"), 1);
    ck_assert_int_eq(channel_of(s, "question.new", "in_app"), 1);
    ck_assert_int_eq(channel_of(s, "order.status_changed", "email"), 1);
    ck_assert_int_eq(channel_of(s, "order.status_changed", "push"), 1); /* untouched default */
    json_decref(s);

    /* and back; another user is untouched */
    r = api_patch("/v1/notification-settings", seller.token,
                  "{\"events\": {\"question.new\": {\"push\": true}}}");
    ck_assert_status(r, 200);
    ck_assert_int_eq(channel_of(r->json, "question.new", "push"), 1);
    ck_assert_int_eq(channel_of(r->json, "question.new", "email"), 1);
    api_free(r);
    struct api_user other;
    api_new_user(&other, "seller");
    s = settings(other.token);
    ck_assert_int_eq(channel_of(s, "question.new", "email"), 0);
    json_decref(s);
}
END_TEST

static const struct {
    const char *role, *events, *field, *code;
} bad_settings_cases[] = {
    /* one valid entry beside the invalid one: the valid one must not be applied */
    {"seller", "\"question.new\": {\"push\": false}, \"no.such.event\": {\"push\": true}",
     "events.no.such.event", "unknown_event"},
    {"seller", "\"question.new\": {\"push\": false}, \"dispute.opened\": {\"email\": false}",
     "events.dispute.opened.email", "mandatory"},
    {"buyer",
     "\"order.status_changed\": {\"push\": false}, \"platform.broadcast\": {\"push\": true}",
     "events.platform.broadcast.push", "mandatory"},
    {"seller", "\"question.new\": {\"push\": false, \"in_app\": false}",
     "events.question.new.in_app", "unknown_channel"},
    {"seller", "\"question.new\": {\"push\": false, \"sms\": true}", "events.question.new.sms",
     "unknown_channel"},
    {"buyer", "\"order.status_changed\": {\"push\": false}, \"question.new\": {\"push\": false}",
     "events.question.new", "unknown_event"},
    {"seller",
     "\"order.status_changed\": {\"push\": false}, \"question.answer_published\":"
     " {\"push\": false}",
     "events.question.answer_published", "unknown_event"},
    {"seller", "\"question.new\": {\"push\": false, \"email\": \"yes\"}",
     "events.question.new.email", "wrong_type"},
    {"seller", "\"question.new\": {\"push\": false, \"email\": 1}", "events.question.new.email",
     "wrong_type"},
    {"seller", "\"order.status_changed\": {\"push\": false}, \"question.new\": true",
     "events.question.new", "wrong_type"},
};

START_TEST(test_settings_patch_rejects_and_changes_nothing)
{
    struct api_user u;
    char body[1024];
    api_new_user(&u, bad_settings_cases[_i].role);
    json_t *before = settings(u.token);
    snprintf(body, sizeof body, "{\"events\": {%s}}", bad_settings_cases[_i].events);
    struct api_resp *r = api_patch("/v1/notification-settings", u.token, body);
    ck_assert_problem(r, 422, "invalid_settings");
    ck_assert_msg(api_has_error(r, bad_settings_cases[_i].field, bad_settings_cases[_i].code),
                  "expected errors[] {%s, %s}, got %s", bad_settings_cases[_i].field,
                  bad_settings_cases[_i].code, r->body);
    api_free(r);
    json_t *after = settings(u.token);
    ck_assert_msg(json_equal(before, after), "settings changed by a rejected PATCH");
    json_decref(before);
    json_decref(after);
}
END_TEST

static const struct {
    const char *body, *field, *code;
} malformed_settings_cases[] = {
    {"{\"events\": ", NULL, "malformed_json"},
    {"[]", NULL, "body_not_object"},
    {"{}", "events", "required"},
    {"{\"events\": [1]}", "events", "wrong_type"},
    {"{\"events\": \"question.new\"}", "events", "wrong_type"},
    {"{\"events\": {}, \"extra\": 1}", "extra", "unknown_field"},
};

START_TEST(test_settings_patch_rejects_malformed)
{
    struct api_user u;
    api_new_user(&u, "seller");
    json_t *before = settings(u.token);
    struct api_resp *r =
        api_patch("/v1/notification-settings", u.token, malformed_settings_cases[_i].body);
    if (malformed_settings_cases[_i].field)
        assert_field_error(r, malformed_settings_cases[_i].field,
                           malformed_settings_cases[_i].code);
    else
        ck_assert_problem(r, 400, malformed_settings_cases[_i].code);
    api_free(r);
    json_t *after = settings(u.token);
    ck_assert_msg(json_equal(before, after), "settings changed by a rejected PATCH");
    json_decref(before);
    json_decref(after);
}
END_TEST

START_TEST(test_settings_patch_rejects_media_type)
{
    struct api_user u;
    api_new_user(&u, "seller");
    struct api_resp *r =
        api_request("PATCH", "/v1/notification-settings", u.token,
                    "{\"events\": {\"question.new\": {\"push\": false}}}", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    json_t *s = settings(u.token);
    ck_assert_int_eq(channel_of(s, "question.new", "push"), 1);
    json_decref(s);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Broadcast creation: validation, roles, idempotency
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_broadcast_forbidden_for_buyers_and_sellers)
{
    static const char *const roles[] = {"buyer", "seller"};
    for (size_t i = 0; i < 2; i++) {
        struct api_user u;
        api_new_user(&u, roles[i]);
        struct api_resp *r = api_post(
            "/v1/broadcasts", u.token,
            "{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": \"all\"}");
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
}
END_TEST

static const struct {
    const char *body, *field, *code; /* NULL code: any errors[] entry for field */
} bad_broadcast_cases[] = {
    {"{\"title\": \"t\", \"body\": \"b\", \"audience\": \"all\"}", "tab", "required"},
    {"{\"tab\": \"disputes\", \"title\": \"t\", \"body\": \"b\", \"audience\": \"all\"}", "tab",
     "invalid_enum"},
    {"{\"tab\": \"buyers\", \"title\": \"t\", \"body\": \"b\", \"audience\": \"all\"}", "tab",
     "invalid_enum"},
    {"{\"tab\": \"nope\", \"title\": \"t\", \"body\": \"b\", \"audience\": \"all\"}", "tab",
     "invalid_enum"},
    {"{\"tab\": 1, \"title\": \"t\", \"body\": \"b\", \"audience\": \"all\"}", "tab", "wrong_type"},
    {"{\"tab\": \"main\", \"title\": \"\", \"body\": \"b\", \"audience\": \"all\"}", "title",
     "too_short"},
    {"{\"tab\": \"main\", \"body\": \"b\", \"audience\": \"all\"}", "title", "required"},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"\", \"audience\": \"all\"}", "body",
     "too_short"},
    {"{\"tab\": \"main\", \"title\": \"t\", \"audience\": \"all\"}", "body", "required"},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\"}", "audience", "required"},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": \"everyone\"}",
     "audience", "invalid_enum"},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": \"support\"}",
     "audience", "invalid_enum"},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": 1}", "audience", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": {\"user_ids\": []}}",
     "audience", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": {}}", "audience", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": {\"user_ids\": [1],"
     " \"x\": 1}}",
     "audience", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": {\"user_ids\": \"1\"}}",
     "audience", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": {\"user_ids\": "
     "[\"1\"]}}",
     "audience.user_ids", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": {\"user_ids\": [1.5]}}",
     "audience.user_ids", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": {\"user_ids\": [0]}}",
     "audience.user_ids", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": {\"user_ids\": [-3]}}",
     "audience.user_ids", NULL},
    {"{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": \"all\", \"x\": 1}", "x",
     "unknown_field"},
};

static int has_error_field(const struct api_resp *r, const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        if (strcmp(api_jstr(e, "field"), field) == 0)
            return 1;
    }
    return 0;
}

START_TEST(test_broadcast_rejects_bad_body)
{
    struct api_user support;
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = api_post("/v1/broadcasts", support.token, bad_broadcast_cases[_i].body);
    if (bad_broadcast_cases[_i].code) {
        assert_field_error(r, bad_broadcast_cases[_i].field, bad_broadcast_cases[_i].code);
    } else {
        ck_assert_problem(r, 400, "validation_failed");
        ck_assert_msg(has_error_field(r, bad_broadcast_cases[_i].field),
                      "expected an errors[] entry for %s: %s", bad_broadcast_cases[_i].field,
                      r->body);
    }
    api_free(r);
}
END_TEST

/* {"tab":"main","title":title,"body":body,"audience":audience} with a long part (malloc'd) */
static char *broadcast_body(const char *title, const char *body, json_t *audience)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:o}", "tab", "main", "title", title, "body", body,
                          "audience", audience);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

START_TEST(test_broadcast_length_limits)
{
    struct api_user support, u;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&u, "buyer");
    char aud[64];
    snprintf(aud, sizeof aud, "{\"user_ids\": [%lld]}", (long long)u.id);

    char *t200 = api_repeat("é", 200), *t201 = api_repeat("t", 201);
    char *b5000 = api_repeat("ж", 5000), *b5001 = api_repeat("b", 5001);
    char *s = broadcast_body(t201, "b", json_loads(aud, 0, NULL));
    struct api_resp *r = api_post("/v1/broadcasts", support.token, s);
    assert_field_error(r, "title", "too_long");
    api_free(r);
    free(s);
    s = broadcast_body("t", b5001, json_loads(aud, 0, NULL));
    r = api_post("/v1/broadcasts", support.token, s);
    assert_field_error(r, "body", "too_long");
    api_free(r);
    free(s);
    s = broadcast_body(t200, b5000, json_loads(aud, 0, NULL));
    r = api_post("/v1/broadcasts", support.token, s);
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "title"), t200);
    ck_assert_str_eq(api_str(r, "body"), b5000);
    api_free(r);
    free(s);
    free(t200);
    free(t201);
    free(b5000);
    free(b5001);
}
END_TEST

START_TEST(test_broadcast_user_ids_count_limits)
{
    struct api_user support, u;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&u, "seller");
    json_t *ids = json_array();
    json_array_append_new(ids, json_integer(u.id));
    for (int i = 1; i < 1001; i++)
        json_array_append_new(ids, json_integer(900000000 + i));
    char *s = broadcast_body("t", "b", json_pack("{s:O}", "user_ids", ids));
    struct api_resp *r = api_post("/v1/broadcasts", support.token, s);
    ck_assert_problem(r, 400, "validation_failed");
    ck_assert_msg(has_error_field(r, "audience"), "no audience error: %s", r->body);
    api_free(r);
    free(s);

    /* exactly 1000 is fine, and reaches u */
    json_array_remove(ids, 1000);
    ck_assert_int_eq(json_array_size(ids), 1000);
    s = broadcast_body("t", "b", json_pack("{s:O}", "user_ids", ids));
    r = api_post("/v1/broadcasts", support.token, s);
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    ck_assert_int_eq(
        json_array_size(json_object_get(json_object_get(r->json, "audience"), "user_ids")), 1000);
    api_free(r);
    free(s);
    json_decref(ids);
    assert_sees(u.token, id, 1);
}
END_TEST

START_TEST(test_broadcast_rejects_malformed_and_media_type)
{
    struct api_user support;
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = api_post("/v1/broadcasts", support.token, "{\"tab\": ");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_post("/v1/broadcasts", support.token, "[1]");
    ck_assert_problem(r, 400, "body_not_object");
    api_free(r);
    r = api_request("POST", "/v1/broadcasts", support.token,
                    "{\"tab\": \"main\", \"title\": \"t\", \"body\": \"b\", \"audience\": \"all\"}",
                    "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
}
END_TEST

START_TEST(test_broadcast_idempotency_key)
{
    struct api_user support, u;
    char key[128], hdr[160], body[256];
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&u, "buyer");
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", api_unique("bc-", key, sizeof key));
    snprintf(body, sizeof body,
             "{\"tab\": \"services\", \"title\": \"Once\", \"body\": \"b\","
             " \"audience\": {\"user_ids\": [%lld]}}",
             (long long)u.id);
    json_int_t before = unread_of(u.token, "services");
    struct api_resp *r1 = api_request("POST", "/v1/broadcasts", support.token, body, NULL, hdr);
    ck_assert_status(r1, 201);
    struct api_resp *r2 = api_request("POST", "/v1/broadcasts", support.token, body, NULL, hdr);
    ck_assert_status(r2, 201);
    ck_assert_int_eq(api_int(r2, "id"), api_int(r1, "id"));
    ck_assert_msg(json_equal(r1->json, r2->json), "replay differs: %s vs %s", r1->body, r2->body);
    char *replayed = api_header(r2, "Idempotent-Replayed");
    ck_assert_ptr_nonnull(replayed);
    ck_assert_str_eq(replayed, "true");
    free(replayed);
    api_free(r1);
    api_free(r2);
    ck_assert_int_eq(unread_of(u.token, "services") - before, 1);

    /* same key, other body */
    r1 = api_request("POST", "/v1/broadcasts", support.token,
                     "{\"tab\": \"main\", \"title\": \"Other\", \"body\": \"b\","
                     " \"audience\": \"sellers\"}",
                     NULL, hdr);
    ck_assert_problem(r1, 422, "idempotency_key_reused");
    api_free(r1);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Suite
 * ------------------------------------------------------------------------------------------- */

Suite *notifications_suite(void)
{
    Suite *s = suite_create("notifications");
    TCase *orders = api_tcase("order_events");
    tcase_add_test(orders, test_seller_moves_notify_buyer);
    tcase_add_test(orders, test_buyer_cancel_notifies_seller);
    tcase_add_test(orders, test_feed_and_counters_need_token);
    tcase_add_test(orders, test_fresh_user_counters_all_tabs_zero);
    suite_add_tcase(s, orders);

    TCase *audience = api_tcase("broadcast_audience");
    tcase_add_test(audience, test_broadcast_all_reaches_buyers_and_sellers);
    tcase_add_test(audience, test_broadcast_buyers_only);
    tcase_add_test(audience, test_broadcast_sellers_only);
    tcase_add_test(audience, test_broadcast_to_user_ids);
    tcase_add_test(audience, test_broadcast_not_seen_by_later_users);
    suite_add_tcase(s, audience);

    TCase *read = api_tcase("read");
    tcase_add_test(read, test_read_one_broadcast);
    tcase_add_test(read, test_read_one_personal);
    tcase_add_test(read, test_read_unknown_ids_not_found);
    tcase_add_test(read, test_read_all_one_tab);
    tcase_add_test(read, test_read_all_without_body);
    tcase_add_loop_test(read, test_read_all_rejects_bad_body, 0, N_CASES(bad_read_all_cases));
    tcase_add_test(read, test_read_all_rejects_media_type);
    suite_add_tcase(s, read);

    TCase *feed = api_tcase("feed");
    tcase_add_test(feed, test_feed_tab_and_unread_filters);
    tcase_add_test(feed, test_feed_keyset_pagination);
    tcase_add_test(feed, test_feed_cursor_bound_to_list);
    tcase_add_loop_test(feed, test_feed_rejects_bad_query, 0, N_CASES(bad_feed_cases));
    tcase_add_test(feed, test_notification_methods_not_allowed);
    suite_add_tcase(s, feed);

    TCase *settings_tc = api_tcase("settings");
    tcase_add_test(settings_tc, test_settings_shape_by_role);
    tcase_add_test(settings_tc, test_settings_patch_applies);
    tcase_add_loop_test(settings_tc, test_settings_patch_rejects_and_changes_nothing, 0,
                        N_CASES(bad_settings_cases));
    tcase_add_loop_test(settings_tc, test_settings_patch_rejects_malformed, 0,
                        N_CASES(malformed_settings_cases));
    tcase_add_test(settings_tc, test_settings_patch_rejects_media_type);
    suite_add_tcase(s, settings_tc);

    TCase *bc = api_tcase("broadcast_create");
    tcase_add_test(bc, test_broadcast_forbidden_for_buyers_and_sellers);
    tcase_add_loop_test(bc, test_broadcast_rejects_bad_body, 0, N_CASES(bad_broadcast_cases));
    tcase_add_test(bc, test_broadcast_length_limits);
    tcase_add_test(bc, test_broadcast_user_ids_count_limits);
    tcase_add_test(bc, test_broadcast_rejects_malformed_and_media_type);
    tcase_add_test(bc, test_broadcast_idempotency_key);
    suite_add_tcase(s, bc);
    return s;
}
