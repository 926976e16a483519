/* API tests of orders and postings: POST/GET /v1/orders, GET /v1/postings/{n},
 * POST /v1/postings/{n}/status against the real server. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define ORDER_ID_FIRST 10000001
#define SUPPORT_EMAIL  "support@demo.sellerdesk.dev"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

#define assert_json_null(obj, key)                                                                 \
    ck_assert_msg(json_is_null(json_object_get(obj, key)), "%s: expected null in %s", key,         \
                  json_dumps(obj, JSON_COMPACT))

/* {"items":[{"product_id":..,"quantity":..}, ...]} (malloc'd) */
static char *order_body(size_t n, const json_int_t *product_ids, const int *quantities)
{
    json_t *items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:I, s:i}", "product_id", product_ids[i],
                                               "quantity", quantities[i]));
    json_t *j = json_pack("{s:o}", "items", items);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static struct api_resp *post_order(const char *token, const char *body)
{
    return api_post("/v1/orders", token, body);
}

static struct api_resp *post_order_with_key(const char *token, const char *body, const char *key)
{
    char header[512];
    snprintf(header, sizeof header, "Idempotency-Key: %s", key);
    return api_request("POST", "/v1/orders", token, body, NULL, header);
}

/* Places an order of the given lines; returns the 201 body (caller decrefs). */
static json_t *place_order(const struct api_user *buyer, size_t n, const json_int_t *product_ids,
                           const int *quantities)
{
    char *body = order_body(n, product_ids, quantities);
    struct api_resp *r = post_order(buyer->token, body);
    free(body);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static json_t *place_order1(const struct api_user *buyer, json_int_t product_id, int quantity)
{
    return place_order(buyer, 1, &product_id, &quantity);
}

static json_t *posting_at(const json_t *order, size_t i)
{
    return json_array_get(json_object_get(order, "postings"), i);
}

/* The posting of the order that belongs to the seller, or NULL. */
static json_t *posting_of_seller(const json_t *order, int64_t seller_id)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(order, "postings"), i, p)
    {
        if (api_jint(p, "seller_id") == seller_id)
            return p;
    }
    return NULL;
}

/* Current stock of a product as GET /v1/products/{id} reports it. */
static json_int_t stock_of(const char *token, json_int_t product_id)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/products/%lld", (long long)product_id);
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    json_int_t stock = api_int(r, "stock");
    api_free(r);
    return stock;
}

/* All items of GET /v1/orders<query> for the user, over every page (caller decrefs). */
static json_t *list_all(const char *token, const char *query)
{
    char path[512];
    json_t *all = json_array();
    snprintf(path, sizeof path, "/v1/orders%s", query);
    for (;;) {
        struct api_resp *r = api_get(path, token);
        ck_assert_status(r, 200);
        json_array_extend(all, json_object_get(r->json, "items"));
        const char *next = json_string_value(json_object_get(r->json, "next_cursor"));
        if (next)
            snprintf(path, sizeof path, "/v1/orders%s%scursor=%s", query, *query ? "&" : "?", next);
        api_free(r);
        if (!next)
            return all;
    }
}

static size_t order_count(const struct api_user *buyer)
{
    json_t *all = list_all(buyer->token, "?limit=100");
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

static struct api_resp *get_posting(const char *token, const char *posting_number)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/postings/%s", posting_number);
    return api_get(path, token);
}

static struct api_resp *set_status(const char *token, const char *posting_number,
                                   const char *status)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/postings/%s/status", posting_number);
    return api_postf(path, token, "{s:s}", "status", status);
}

/* The posting is in the given status (seen by the given party). */
#define assert_posting_status(token, pn, status)                                                   \
    assert_posting_status_at(token, pn, status, __FILE__, __LINE__)
static void assert_posting_status_at(const char *token, const char *pn, const char *status,
                                     const char *file, int line)
{
    struct api_resp *r = get_posting(token, pn);
    ck_assert_msg(r->status == 200, "%s:%d: GET posting %s: %ld %s", file, line, pn, r->status,
                  r->body);
    ck_assert_msg(api_str(r, "status") && strcmp(api_str(r, "status"), status) == 0,
                  "%s:%d: posting %s: expected status %s, got %s", file, line, pn, status,
                  api_str(r, "status") ? api_str(r, "status") : "(none)");
    api_free(r);
}

/* One seller, one product, one buyer with an order of it: the usual posting fixture. */
struct deal {
    struct api_user seller, buyer;
    json_int_t product;
    json_int_t stock_after_order;
    json_t *order;
    char pn[64];
};

static void deal_open(struct deal *d, json_int_t stock, int quantity)
{
    api_new_user(&d->seller, "seller");
    api_new_user(&d->buyer, "buyer");
    d->product = api_make_product(&d->seller, 1000, stock);
    d->order = place_order1(&d->buyer, d->product, quantity);
    d->stock_after_order = stock - quantity;
    snprintf(d->pn, sizeof d->pn, "%s", api_jstr(posting_at(d->order, 0), "posting_number"));
}

static void deal_close(struct deal *d)
{
    json_decref(d->order);
}

/* Moves the deal's posting along as its seller, asserting success. */
static void deal_seller_moves(struct deal *d, const char *status)
{
    struct api_resp *r = set_status(d->seller.token, d->pn, status);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "status"), status);
    api_free(r);
}

/* ---------------------------------------------------------------------------------------------
 * POST /v1/orders
 * ------------------------------------------------------------------------------------------- */

static void assert_new_posting(const json_t *p, const json_t *order, int64_t seller_id,
                               int64_t buyer_id, int n)
{
    char expected[64];
    snprintf(expected, sizeof expected, "%lld-%04d", (long long)api_jint(order, "id"), n);
    ck_assert_str_eq(api_jstr(p, "posting_number"), expected);
    ck_assert_int_eq(api_jint(p, "order_id"), api_jint(order, "id"));
    ck_assert_int_eq(api_jint(p, "seller_id"), seller_id);
    ck_assert_int_eq(api_jint(p, "buyer_id"), buyer_id);
    ck_assert_str_eq(api_jstr(p, "status"), "awaiting_packaging");
    assert_timestamp(api_jstr(p, "created_at"));
    assert_timestamp(api_jstr(p, "updated_at"));
    assert_json_null(p, "delivering_at");
    assert_json_null(p, "delivered_at");
    assert_json_null(p, "cancelled_at");
}

/* GET /v1/orders answers orders to buyers and support and postings to sellers: "list" says
 * which (the contract's discriminator), on an empty page too */
START_TEST(test_list_names_its_kind)
{
    struct api_user buyer, seller, support;
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    const struct {
        const struct api_user *u;
        const char *list;
    } cases[] = {{&buyer, "orders"}, {&seller, "postings"}, {&support, "orders"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_resp *r = api_get("/v1/orders?limit=1", cases[i].u->token);
        ck_assert_status(r, 200);
        ck_assert_str_eq(api_str(r, "list"), cases[i].list);
        ck_assert_uint_eq(json_object_size(r->json), 3); /* list, items, next_cursor */
        api_free(r);
    }
}
END_TEST

START_TEST(test_order_returns_order_and_reserves_stock)
{
    struct api_user seller, buyer;
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    struct api_resp *pr =
        api_postf("/v1/products", seller.token, "{s:s, s:s, s:I, s:i}", "offer_id", "MUG-1", "name",
                  "Blue mug", "price", (json_int_t)1500, "stock", 10);
    ck_assert_status(pr, 201);
    json_int_t product = api_int(pr, "id");

    json_t *order = place_order1(&buyer, product, 3);
    ck_assert_int_ge(api_jint(order, "id"), ORDER_ID_FIRST);
    ck_assert_int_eq(api_jint(order, "buyer_id"), buyer.id);
    assert_timestamp(api_jstr(order, "created_at"));
    ck_assert_int_eq(api_jint(order, "total"), 4500);
    ck_assert_int_eq(json_array_size(json_object_get(order, "postings")), 1);

    json_t *p = posting_at(order, 0);
    assert_new_posting(p, order, seller.id, buyer.id, 1);
    json_t *items = json_object_get(p, "items");
    ck_assert_int_eq(json_array_size(items), 1);
    json_t *item = json_array_get(items, 0);
    ck_assert_int_eq(api_jint(item, "product_id"), product);
    ck_assert_int_eq(api_jint(item, "sku"), api_int(pr, "sku"));
    ck_assert_str_eq(api_jstr(item, "offer_id"), "MUG-1");
    ck_assert_str_eq(api_jstr(item, "name"), "Blue mug");
    ck_assert_int_eq(api_jint(item, "quantity"), 3);
    ck_assert_int_eq(api_jint(item, "price"), 1500);

    ck_assert_int_eq(stock_of(buyer.token, product), 7);
    ck_assert_int_eq(order_count(&buyer), 1);
    json_decref(order);
    api_free(pr);
}
END_TEST

START_TEST(test_order_price_is_fixed_at_order_time)
{
    struct deal d;
    deal_open(&d, 10, 2);
    char path[64];
    snprintf(path, sizeof path, "/v1/products/%lld", (long long)d.product);
    struct api_resp *r = api_patch(path, d.seller.token, "{\"price\":99999}");
    ck_assert_status(r, 200);
    api_free(r);
    r = get_posting(d.buyer.token, d.pn);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "items"), 0), "price"), 1000);
    api_free(r);
    deal_close(&d);
}
END_TEST

/* An order with products of two sellers: one posting each, each seller sees only theirs. */
struct two_seller_order {
    struct api_user a, b, buyer;
    json_int_t pa, pb;
    json_t *order;
};

static void two_seller_order_open(struct two_seller_order *t)
{
    api_new_user(&t->a, "seller");
    api_new_user(&t->b, "seller");
    api_new_user(&t->buyer, "buyer");
    t->pa = api_make_product(&t->a, 100, 10);
    t->pb = api_make_product(&t->b, 250, 10);
    const json_int_t ids[] = {t->pa, t->pb};
    const int qty[] = {2, 1};
    t->order = place_order(&t->buyer, 2, ids, qty);
}

/* The seller's GET /v1/orders holds exactly the one posting, with only the seller's product. */
static void assert_seller_sees_only(const struct api_user *seller, const json_t *posting,
                                    json_int_t product)
{
    json_t *all = list_all(seller->token, "");
    ck_assert_int_eq(json_array_size(all), 1);
    json_t *seen = json_array_get(all, 0);
    ck_assert_str_eq(api_jstr(seen, "posting_number"), api_jstr(posting, "posting_number"));
    ck_assert_int_eq(api_jint(seen, "seller_id"), seller->id);
    ck_assert_ptr_null(json_object_get(seen, "postings")); /* a posting, not an order */
    json_t *items = json_object_get(seen, "items");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "product_id"), product);
    json_decref(all);
}

/* Support's GET /v1/orders (all orders) contains the order; returns it. */
static json_t *support_finds_order(json_int_t order_id)
{
    struct api_user support;
    api_demo_user(&support, SUPPORT_EMAIL);
    json_t *all = list_all(support.token, "?limit=100"), *found = NULL, *o;
    size_t i;
    json_array_foreach(all, i, o)
    {
        if (api_jint(o, "id") == order_id)
            found = json_incref(o);
    }
    json_decref(all);
    ck_assert_msg(found != NULL, "support does not see order %lld", (long long)order_id);
    return found;
}

START_TEST(test_order_across_two_sellers_makes_two_postings)
{
    struct two_seller_order t;
    two_seller_order_open(&t);
    json_t *order = t.order;
    ck_assert_int_eq(api_jint(order, "total"), 2 * 100 + 250);
    ck_assert_int_eq(json_array_size(json_object_get(order, "postings")), 2);
    json_t *posting_a = posting_of_seller(order, t.a.id),
           *posting_b = posting_of_seller(order, t.b.id);
    ck_assert_ptr_nonnull(posting_a);
    ck_assert_ptr_nonnull(posting_b);
    /* postings are numbered per seller in seller id order */
    int a_first = t.a.id < t.b.id;
    assert_new_posting(posting_a, order, t.a.id, t.buyer.id, a_first ? 1 : 2);
    assert_new_posting(posting_b, order, t.b.id, t.buyer.id, a_first ? 2 : 1);
    ck_assert_int_eq(json_array_size(json_object_get(posting_a, "items")), 1);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(posting_a, "items"), 0), "quantity"),
                     2);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(posting_b, "items"), 0), "quantity"),
                     1);
    ck_assert_int_eq(stock_of(t.buyer.token, t.pa), 8);
    ck_assert_int_eq(stock_of(t.buyer.token, t.pb), 9);

    assert_seller_sees_only(&t.a, posting_a, t.pa);
    assert_seller_sees_only(&t.b, posting_b, t.pb);

    /* the buyer sees the whole order with both postings */
    json_t *mine = list_all(t.buyer.token, "");
    ck_assert_int_eq(json_array_size(mine), 1);
    ck_assert_msg(json_equal(json_array_get(mine, 0), order), "buyer's list: %s",
                  json_dumps(mine, JSON_COMPACT));
    json_decref(mine);

    json_t *seen = support_finds_order(api_jint(order, "id"));
    ck_assert_msg(json_equal(seen, order), "support sees %s", json_dumps(seen, JSON_COMPACT));
    json_decref(seen);
    json_decref(order);
}
END_TEST

START_TEST(test_order_accepts_fifty_items)
{
    struct api_user seller, buyer;
    json_int_t ids[50];
    int qty[50];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    for (int i = 0; i < 50; i++) {
        ids[i] = api_make_product(&seller, 10, 1000);
        qty[i] = i == 0 ? 1000 : 1;
    }
    json_t *order = place_order(&buyer, 50, ids, qty);
    ck_assert_int_eq(json_array_size(json_object_get(order, "postings")), 1);
    ck_assert_int_eq(json_array_size(json_object_get(posting_at(order, 0), "items")), 50);
    ck_assert_int_eq(api_jint(order, "total"), 10 * (1000 + 49));
    ck_assert_int_eq(stock_of(buyer.token, ids[0]), 0);
    ck_assert_int_eq(stock_of(buyer.token, ids[49]), 999);
    json_decref(order);
}
END_TEST

START_TEST(test_order_forbidden_for_seller_and_support)
{
    struct api_user seller, support;
    api_new_user(&seller, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t product = api_make_product(&seller, 100, 5);
    const int qty = 1;
    char *body = order_body(1, &product, &qty);
    const struct api_user *refused[] = {&seller, &support};
    for (size_t i = 0; i < 2; i++) {
        struct api_resp *r = post_order(refused[i]->token, body);
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
    ck_assert_int_eq(stock_of(seller.token, product), 5);
    json_t *postings = list_all(seller.token, "");
    ck_assert_int_eq(json_array_size(postings), 0);
    json_decref(postings);
    free(body);
}
END_TEST

/* Bodies with $P standing for a real product (stock 5) and $Q for a second one (stock 5). */
struct bad_order_case {
    const char *body;
    const char *field;
    const char *code;
};

static const struct bad_order_case bad_order_cases[] = {
    {"{}", "items", "required"},
    {"{\"items\":null}", "items", "required"},
    {"{\"items\":[]}", "items", "too_short"},
    {"{\"items\":\"$P\"}", "items", "wrong_type"},
    {"{\"items\":{\"product_id\":$P,\"quantity\":1}}", "items", "wrong_type"},
    {"{\"items\":[$P]}", "items[0]", "wrong_type"},
    {"{\"items\":[{\"product_id\":$P,\"quantity\":1},\"$Q\"]}", "items[1]", "wrong_type"},
    {"{\"items\":[{\"product_id\":$P,\"quantity\":1}],\"note\":\"x\"}", "note", "unknown_field"},
    {"{\"items\":[{\"product_id\":$P,\"quantity\":1,\"price\":1}]}", "items[0].price",
     "unknown_field"},
    {"{\"items\":[{\"product_id\":$P}]}", "items[0].quantity", "required"},
    {"{\"items\":[{\"quantity\":1}]}", "items[0].product_id", "required"},
    {"{\"items\":[{\"product_id\":$P,\"quantity\":0}]}", "items[0].quantity", "out_of_range"},
    {"{\"items\":[{\"product_id\":$P,\"quantity\":-1}]}", "items[0].quantity", "out_of_range"},
    {"{\"items\":[{\"product_id\":$P,\"quantity\":1001}]}", "items[0].quantity", "out_of_range"},
    {"{\"items\":[{\"product_id\":$P,\"quantity\":\"2\"}]}", "items[0].quantity", "wrong_type"},
    {"{\"items\":[{\"product_id\":$P,\"quantity\":1.5}]}", "items[0].quantity", "wrong_type"},
    {"{\"items\":[{\"product_id\":\"$P\",\"quantity\":1}]}", "items[0].product_id", "wrong_type"},
    {"{\"items\":[{\"product_id\":0,\"quantity\":1}]}", "items[0].product_id", "out_of_range"},
    {"{\"items\":[{\"product_id\":$Q,\"quantity\":1},{\"product_id\":$P,\"quantity\":1},"
     "{\"product_id\":$Q,\"quantity\":2}]}",
     "items[2]", "duplicate"},
};

/* tmpl with $P and $Q replaced by the product ids (malloc'd). */
static char *expand(const char *tmpl, json_int_t p, json_int_t q)
{
    size_t cap = strlen(tmpl) * 8 + 1, len = 0;
    char *out = malloc(cap);
    for (const char *s = tmpl; *s; s++) {
        if (s[0] == '$' && (s[1] == 'P' || s[1] == 'Q')) {
            len += (size_t)snprintf(out + len, cap - len, "%lld", (long long)(s[1] == 'P' ? p : q));
            s++;
        } else {
            out[len++] = *s;
        }
    }
    out[len] = '\0';
    return out;
}

START_TEST(test_order_rejects_bad_body)
{
    const struct bad_order_case *c = &bad_order_cases[_i];
    struct api_user seller, buyer;
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 5), q = api_make_product(&seller, 100, 5);
    char *body = expand(c->body, p, q);
    struct api_resp *r = post_order(buyer.token, body);
    ck_assert_msg(r->status == 400 && api_has_error(r, c->field, c->code),
                  "body %s: expected 400 with {field \"%s\", code \"%s\"}, got %ld %s", body,
                  c->field, c->code, r->status, r->body);
    assert_field_error(r, c->field, c->code);
    ck_assert_int_eq(stock_of(buyer.token, p), 5);
    ck_assert_int_eq(stock_of(buyer.token, q), 5);
    ck_assert_int_eq(order_count(&buyer), 0);
    api_free(r);
    free(body);
}
END_TEST

START_TEST(test_order_rejects_fifty_one_items)
{
    struct api_user buyer;
    json_int_t ids[51];
    int qty[51];
    api_new_user(&buyer, "buyer");
    for (int i = 0; i < 51; i++) {
        ids[i] = i + 1;
        qty[i] = 1;
    }
    char *body = order_body(51, ids, qty);
    struct api_resp *r = post_order(buyer.token, body);
    assert_field_error(r, "items", "too_long");
    ck_assert_int_eq(order_count(&buyer), 0);
    api_free(r);
    free(body);
}
END_TEST

START_TEST(test_order_rejects_malformed_body_and_media_type)
{
    struct api_user seller, buyer;
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 5);
    const int qty = 1;
    char *body = order_body(1, &p, &qty);
    struct api_resp *r = post_order(buyer.token, "{\"items\":[{\"product_id\":");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = post_order(buyer.token, "[]");
    ck_assert_problem(r, 400, "body_not_object");
    api_free(r);
    r = api_request("POST", "/v1/orders", buyer.token, body, "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    ck_assert_int_eq(order_count(&buyer), 0);
    ck_assert_int_eq(stock_of(buyer.token, p), 5);
    free(body);
}
END_TEST

/* The unknown product is reported by its index; the real line keeps its stock. */
static void assert_unknown_product_at(size_t unknown_index)
{
    struct api_user seller, buyer;
    char field[48];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t real = api_make_product(&seller, 100, 5);
    json_int_t ids[2];
    const int qty[] = {1, 1};
    ids[unknown_index] = 999999999;
    ids[1 - unknown_index] = real;
    char *body = order_body(2, ids, qty);
    struct api_resp *r = post_order(buyer.token, body);
    snprintf(field, sizeof field, "items[%zu].product_id", unknown_index);
    assert_field_error(r, field, "not_found");
    ck_assert_int_eq(stock_of(buyer.token, real), 5);
    ck_assert_int_eq(order_count(&buyer), 0);
    api_free(r);
    free(body);
}

START_TEST(test_order_rejects_unknown_product)
{
    assert_unknown_product_at(0);
    assert_unknown_product_at(1);
}
END_TEST

START_TEST(test_order_short_stock_reserves_nothing)
{
    struct api_user seller, other_seller, buyer;
    api_new_user(&seller, "seller");
    api_new_user(&other_seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t plenty = api_make_product(&seller, 100, 5);
    json_int_t scarce = api_make_product(&other_seller, 100, 1);
    const json_int_t ids[] = {plenty, scarce};
    const int qty[] = {2, 2};
    char *body = order_body(2, ids, qty);
    struct api_resp *r = post_order(buyer.token, body);
    ck_assert_problem(r, 409, "insufficient_stock");
    ck_assert_msg(api_has_error(r, "items[1].quantity", "insufficient_stock"),
                  "expected errors[] entry for items[1].quantity: %s", r->body);
    api_free(r);
    free(body);
    ck_assert_int_eq(stock_of(buyer.token, plenty), 5);
    ck_assert_int_eq(stock_of(buyer.token, scarce), 1);
    ck_assert_int_eq(order_count(&buyer), 0);
    json_t *postings = list_all(seller.token, "");
    ck_assert_int_eq(json_array_size(postings), 0);
    json_decref(postings);

    /* exactly the stock is fine, and then there is none left */
    json_t *order = place_order1(&buyer, scarce, 1);
    json_decref(order);
    ck_assert_int_eq(stock_of(buyer.token, scarce), 0);
    const int one = 1;
    body = order_body(1, &scarce, &one);
    r = post_order(buyer.token, body);
    ck_assert_problem(r, 409, "insufficient_stock");
    api_free(r);
    free(body);
    ck_assert_int_eq(order_count(&buyer), 1);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Idempotency-Key on POST /v1/orders
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_order_idempotent_replay_reserves_once)
{
    struct api_user seller, buyer;
    char key[64];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 10);
    const int qty = 2;
    char *body = order_body(1, &p, &qty);
    api_unique("order-key-", key, sizeof key);

    struct api_resp *first = post_order_with_key(buyer.token, body, key);
    ck_assert_status(first, 201);
    struct api_resp *again = post_order_with_key(buyer.token, body, key);
    ck_assert_status(again, 201);
    char *replayed = api_header(again, "Idempotent-Replayed");
    ck_assert_pstr_eq(replayed, "true");
    free(replayed);
    ck_assert_int_eq(api_int(again, "id"), api_int(first, "id"));
    ck_assert_msg(json_equal(first->json, again->json), "replay %s differs from original %s",
                  again->body, first->body);
    ck_assert_int_eq(stock_of(buyer.token, p), 8);
    ck_assert_int_eq(order_count(&buyer), 1);
    api_free(first);
    api_free(again);
    free(body);
}
END_TEST

START_TEST(test_order_idempotency_key_reused_with_other_body)
{
    struct api_user seller, buyer;
    char key[64];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 10);
    const int two = 2, three = 3;
    char *body = order_body(1, &p, &two), *other = order_body(1, &p, &three);
    api_unique("order-key-", key, sizeof key);

    struct api_resp *first = post_order_with_key(buyer.token, body, key);
    ck_assert_status(first, 201);
    struct api_resp *r = post_order_with_key(buyer.token, other, key);
    ck_assert_problem(r, 422, "idempotency_key_reused");
    ck_assert_int_eq(stock_of(buyer.token, p), 8);
    ck_assert_int_eq(order_count(&buyer), 1);
    api_free(r);
    api_free(first);
    free(body);
    free(other);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * GET /v1/orders
 * ------------------------------------------------------------------------------------------- */

/* GET path; checks the page size and returns next_cursor (malloc'd) or NULL. */
static char *orders_page(const char *token, const char *path, size_t expected, json_int_t *ids,
                         size_t *n_ids, const char *id_key)
{
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), expected);
    ck_assert_msg(json_object_get(r->json, "next_cursor") != NULL, "no next_cursor: %s", r->body);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        ids[(*n_ids)++] = api_jint(item, id_key);
    }
    const char *next = json_string_value(json_object_get(r->json, "next_cursor"));
    char *cursor = next ? strdup(next) : NULL;
    api_free(r);
    return cursor;
}

START_TEST(test_buyer_orders_paginate_newest_first)
{
    struct api_user seller, buyer;
    json_int_t created[3], seen[4];
    size_t n_seen = 0;
    char path[256];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 10);
    for (int i = 0; i < 3; i++) {
        json_t *o = place_order1(&buyer, p, 1);
        created[i] = api_jint(o, "id");
        json_decref(o);
    }
    char *cursor = orders_page(buyer.token, "/v1/orders?limit=2", 2, seen, &n_seen, "id");
    ck_assert_ptr_nonnull(cursor);
    snprintf(path, sizeof path, "/v1/orders?limit=2&cursor=%s", cursor);
    free(cursor);
    cursor = orders_page(buyer.token, path, 1, seen, &n_seen, "id");
    ck_assert_ptr_null(cursor);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(seen[i], created[2 - i]);
}
END_TEST

START_TEST(test_seller_postings_paginate)
{
    struct api_user seller, buyer;
    json_int_t seen[4];
    size_t n_seen = 0;
    char path[256];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 10);
    for (int i = 0; i < 3; i++)
        json_decref(place_order1(&buyer, p, 1));
    char *cursor = orders_page(seller.token, "/v1/orders?limit=2", 2, seen, &n_seen, "order_id");
    ck_assert_ptr_nonnull(cursor);
    snprintf(path, sizeof path, "/v1/orders?limit=2&cursor=%s", cursor);
    free(cursor);
    cursor = orders_page(seller.token, path, 1, seen, &n_seen, "order_id");
    ck_assert_ptr_null(cursor);
    ck_assert_int_gt(seen[0], seen[1]);
    ck_assert_int_gt(seen[1], seen[2]);
}
END_TEST

/* The seller's postings filtered by status: exactly the expected posting numbers. */
static void assert_status_filter(const struct api_user *seller, const char *status,
                                 const char *expected_pn)
{
    char query[64];
    snprintf(query, sizeof query, "?status=%s", status);
    json_t *all = list_all(seller->token, query);
    ck_assert_msg(json_array_size(all) == (expected_pn ? 1u : 0u),
                  "?status=%s: expected %s, got %s", status, expected_pn ? expected_pn : "none",
                  json_dumps(all, JSON_COMPACT));
    if (expected_pn) {
        ck_assert_str_eq(api_jstr(json_array_get(all, 0), "posting_number"), expected_pn);
        ck_assert_str_eq(api_jstr(json_array_get(all, 0), "status"), status);
    }
    json_decref(all);
}

START_TEST(test_seller_filters_postings_by_status)
{
    struct api_user seller, buyer;
    char pn[3][64];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 10);
    for (int i = 0; i < 3; i++) {
        json_t *o = place_order1(&buyer, p, 1);
        snprintf(pn[i], sizeof pn[i], "%s", api_jstr(posting_at(o, 0), "posting_number"));
        json_decref(o);
    }
    const char *moves[] = {"delivering", "delivered"};
    for (int i = 0; i < 2; i++) {
        struct api_resp *r = set_status(seller.token, pn[0], moves[i]);
        ck_assert_status(r, 200);
        api_free(r);
    }
    struct api_resp *r = set_status(seller.token, pn[1], "delivering");
    ck_assert_status(r, 200);
    api_free(r);

    assert_status_filter(&seller, "delivered", pn[0]);
    assert_status_filter(&seller, "delivering", pn[1]);
    assert_status_filter(&seller, "awaiting_packaging", pn[2]);
    assert_status_filter(&seller, "cancelled", NULL);
    json_t *all = list_all(seller.token, "");
    ck_assert_int_eq(json_array_size(all), 3);
    json_decref(all);
}
END_TEST

struct bad_list_case {
    const char *role;
    const char *query;
    const char *field;
    const char *code;
};

static const struct bad_list_case bad_list_cases[] = {
    {"buyer", "?limit=0", "limit", "out_of_range"},
    {"buyer", "?limit=101", "limit", "out_of_range"},
    {"buyer", "?limit=abc", "limit", "out_of_range"},
    {"seller", "?limit=0", "limit", "out_of_range"},
    {"seller", "?limit=101", "limit", "out_of_range"},
    {"seller", "?limit=abc", "limit", "out_of_range"},
    {"buyer", "?cursor=AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA", "cursor", "invalid_cursor"},
    {"seller", "?cursor=forged", "cursor", "invalid_cursor"},
    {"buyer", "?page=2", "page", "unknown_parameter"},
    {"seller", "?limit=5&sort=id", "sort", "unknown_parameter"},
    {"buyer", "?status=delivered", "status", "unknown_parameter"},
    {"seller", "?status=shipped", "status", "invalid_enum"},
};

START_TEST(test_orders_list_rejects_bad_query)
{
    const struct bad_list_case *c = &bad_list_cases[_i];
    struct api_user u;
    char path[256];
    api_new_user(&u, c->role);
    snprintf(path, sizeof path, "/v1/orders%s", c->query);
    struct api_resp *r = api_get(path, u.token);
    ck_assert_msg(r->status == 400 && api_has_error(r, c->field, c->code),
                  "%s GET %s: expected 400 with {field \"%s\", code \"%s\"}, got %ld %s", c->role,
                  path, c->field, c->code, r->status, r->body);
    assert_field_error(r, c->field, c->code);
    api_free(r);
}
END_TEST

START_TEST(test_support_list_rejects_bad_limit)
{
    struct api_user support;
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = api_get("/v1/orders?limit=0", support.token);
    assert_field_error(r, "limit", "out_of_range");
    api_free(r);
}
END_TEST

/* A cursor of one list is refused by another. */
START_TEST(test_orders_list_rejects_cursor_of_other_list)
{
    struct api_user seller, buyer;
    char path[256];
    json_int_t ids[3];
    size_t n = 0;
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 10);
    api_make_product(&seller, 100, 10);
    json_decref(place_order1(&buyer, p, 1));
    json_decref(place_order1(&buyer, p, 1));

    char *postings_cursor = orders_page(seller.token, "/v1/orders?limit=1", 1, ids, &n, "order_id");
    char *orders_cursor = orders_page(buyer.token, "/v1/orders?limit=1", 1, ids, &n, "id");
    char *products_cursor =
        orders_page(seller.token, "/v1/products?mine=true&limit=1", 1, ids, &n, "id");
    ck_assert_ptr_nonnull(postings_cursor);
    ck_assert_ptr_nonnull(orders_cursor);
    ck_assert_ptr_nonnull(products_cursor);
    const struct {
        const char *token, *cursor;
    } cases[] = {
        {buyer.token, postings_cursor},
        {seller.token, orders_cursor},
        {buyer.token, products_cursor},
        {seller.token, products_cursor},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(path, sizeof path, "/v1/orders?limit=1&cursor=%s", cases[i].cursor);
        struct api_resp *r = api_get(path, cases[i].token);
        assert_field_error(r, "cursor", "invalid_cursor");
        api_free(r);
    }
    free(postings_cursor);
    free(orders_cursor);
    free(products_cursor);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * GET /v1/postings/{posting_number}
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_posting_visible_to_parties_and_support)
{
    struct deal d;
    struct api_user support;
    deal_open(&d, 5, 1);
    api_demo_user(&support, SUPPORT_EMAIL);
    const struct api_user *parties[] = {&d.buyer, &d.seller, &support};
    for (size_t i = 0; i < 3; i++) {
        struct api_resp *r = get_posting(parties[i]->token, d.pn);
        ck_assert_status(r, 200);
        ck_assert_msg(json_equal(r->json, posting_at(d.order, 0)), "%s sees %s, the order said %s",
                      parties[i]->email, r->body, json_dumps(posting_at(d.order, 0), JSON_COMPACT));
        api_free(r);
    }
    deal_close(&d);
}
END_TEST

START_TEST(test_posting_hidden_from_others)
{
    struct deal d;
    struct api_user other_buyer, other_seller;
    char unknown[64];
    deal_open(&d, 5, 1);
    api_new_user(&other_buyer, "buyer");
    api_new_user(&other_seller, "seller");
    snprintf(unknown, sizeof unknown, "%lld-0002", (long long)api_jint(d.order, "id"));
    const struct {
        const char *token, *pn;
    } cases[] = {
        {other_buyer.token, d.pn}, {other_seller.token, d.pn}, {d.buyer.token, unknown},
        {d.buyer.token, "abc"},    {d.buyer.token, "1-0001"},  {d.buyer.token, "99999999-0001"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_resp *r = get_posting(cases[i].token, cases[i].pn);
        ck_assert_msg(r->status == 404, "GET /v1/postings/%s: expected 404, got %ld %s",
                      cases[i].pn, r->status, r->body);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
    }
    deal_close(&d);
}
END_TEST

START_TEST(test_posting_of_other_seller_in_same_order_hidden)
{
    struct two_seller_order t;
    two_seller_order_open(&t);
    const char *pn_b = api_jstr(posting_of_seller(t.order, t.b.id), "posting_number");
    struct api_resp *r = get_posting(t.a.token, pn_b);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = set_status(t.a.token, pn_b, "delivering");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    assert_posting_status(t.b.token, pn_b, "awaiting_packaging");
    json_decref(t.order);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * POST /v1/postings/{posting_number}/status
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_seller_delivers_posting)
{
    struct deal d;
    deal_open(&d, 5, 2);
    struct api_resp *r = set_status(d.seller.token, d.pn, "delivering");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "posting_number"), d.pn);
    ck_assert_str_eq(api_str(r, "status"), "delivering");
    assert_timestamp(api_str(r, "delivering_at"));
    assert_json_null(r->json, "delivered_at");
    assert_json_null(r->json, "cancelled_at");
    char *delivering_at = strdup(api_str(r, "delivering_at"));
    api_free(r);
    assert_posting_status(d.buyer.token, d.pn, "delivering");

    r = set_status(d.seller.token, d.pn, "delivered");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "status"), "delivered");
    ck_assert_str_eq(api_str(r, "delivering_at"), delivering_at);
    assert_timestamp(api_str(r, "delivered_at"));
    assert_json_null(r->json, "cancelled_at");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    api_free(r);
    assert_posting_status(d.buyer.token, d.pn, "delivered");
    ck_assert_int_eq(stock_of(d.buyer.token, d.product), d.stock_after_order);
    free(delivering_at);
    deal_close(&d);
}
END_TEST

/* The change is refused with 409 invalid_transition; status and stock stay. */
static void assert_refused_transition(const struct deal *d, const char *token, const char *to,
                                      const char *current)
{
    struct api_resp *r = set_status(token, d->pn, to);
    ck_assert_msg(r->status == 409, "-> %s from %s: expected 409, got %ld %s", to, current,
                  r->status, r->body);
    ck_assert_problem(r, 409, "invalid_transition");
    api_free(r);
    assert_posting_status(d->buyer.token, d->pn, current);
    ck_assert_int_eq(stock_of(d->buyer.token, d->product), d->stock_after_order);
}

START_TEST(test_seller_cannot_skip_or_cancel)
{
    struct deal d;
    deal_open(&d, 5, 2);
    assert_refused_transition(&d, d.seller.token, "delivered", "awaiting_packaging");
    assert_refused_transition(&d, d.seller.token, "cancelled", "awaiting_packaging");
    assert_refused_transition(&d, d.seller.token, "awaiting_packaging", "awaiting_packaging");
    struct api_resp *r = get_posting(d.seller.token, d.pn);
    assert_json_null(r->json, "delivered_at");
    assert_json_null(r->json, "cancelled_at");
    api_free(r);
    deal_seller_moves(&d, "delivering");
    assert_refused_transition(&d, d.seller.token, "cancelled", "delivering");
    assert_refused_transition(&d, d.seller.token, "awaiting_packaging", "delivering");
    deal_seller_moves(&d, "delivered");
    assert_refused_transition(&d, d.seller.token, "delivering", "delivered");
    assert_refused_transition(&d, d.seller.token, "cancelled", "delivered");
    deal_close(&d);
}
END_TEST

START_TEST(test_buyer_cancels_and_stock_returns)
{
    struct deal d;
    deal_open(&d, 5, 2);
    ck_assert_int_eq(stock_of(d.buyer.token, d.product), 3);
    struct api_resp *r = set_status(d.buyer.token, d.pn, "cancelled");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "status"), "cancelled");
    assert_timestamp(api_str(r, "cancelled_at"));
    assert_json_null(r->json, "delivering_at");
    assert_json_null(r->json, "delivered_at");
    api_free(r);
    ck_assert_int_eq(stock_of(d.buyer.token, d.product), 5);
    d.stock_after_order = 5;

    /* a cancelled posting stays cancelled, and its stock is not returned twice */
    assert_refused_transition(&d, d.buyer.token, "cancelled", "cancelled");
    assert_refused_transition(&d, d.seller.token, "delivering", "cancelled");
    deal_close(&d);
}
END_TEST

START_TEST(test_buyer_cancels_one_posting_of_two)
{
    struct two_seller_order t;
    two_seller_order_open(&t);
    const char *pn_a = api_jstr(posting_of_seller(t.order, t.a.id), "posting_number");
    const char *pn_b = api_jstr(posting_of_seller(t.order, t.b.id), "posting_number");
    struct api_resp *r = set_status(t.buyer.token, pn_a, "cancelled");
    ck_assert_status(r, 200);
    api_free(r);
    ck_assert_int_eq(stock_of(t.buyer.token, t.pa), 10);
    ck_assert_int_eq(stock_of(t.buyer.token, t.pb), 9);
    assert_posting_status(t.buyer.token, pn_a, "cancelled");
    assert_posting_status(t.buyer.token, pn_b, "awaiting_packaging");
    json_decref(t.order);
}
END_TEST

START_TEST(test_buyer_cannot_cancel_once_delivering)
{
    struct deal d;
    deal_open(&d, 5, 2);
    deal_seller_moves(&d, "delivering");
    assert_refused_transition(&d, d.buyer.token, "cancelled", "delivering");
    deal_seller_moves(&d, "delivered");
    assert_refused_transition(&d, d.buyer.token, "cancelled", "delivered");
    deal_close(&d);
}
END_TEST

START_TEST(test_buyer_cannot_move_delivery)
{
    struct deal d;
    deal_open(&d, 5, 2);
    assert_refused_transition(&d, d.buyer.token, "delivered", "awaiting_packaging");
    assert_refused_transition(&d, d.buyer.token, "delivering", "awaiting_packaging");
    deal_seller_moves(&d, "delivering");
    assert_refused_transition(&d, d.buyer.token, "delivered", "delivering");
    deal_close(&d);
}
END_TEST

START_TEST(test_support_cannot_change_status)
{
    struct deal d;
    struct api_user support;
    deal_open(&d, 5, 2);
    api_demo_user(&support, SUPPORT_EMAIL);
    const char *targets[] = {"delivering", "cancelled"};
    for (size_t i = 0; i < 2; i++) {
        struct api_resp *r = set_status(support.token, d.pn, targets[i]);
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
    assert_posting_status(d.buyer.token, d.pn, "awaiting_packaging");
    ck_assert_int_eq(stock_of(d.buyer.token, d.product), d.stock_after_order);
    deal_close(&d);
}
END_TEST

START_TEST(test_status_of_others_posting_not_found)
{
    struct deal d;
    struct api_user other_buyer, other_seller;
    deal_open(&d, 5, 2);
    api_new_user(&other_buyer, "buyer");
    api_new_user(&other_seller, "seller");
    struct api_resp *r = set_status(other_buyer.token, d.pn, "cancelled");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = set_status(other_seller.token, d.pn, "delivering");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = set_status(d.buyer.token, "99999999-0001", "cancelled");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = set_status(d.seller.token, "junk", "delivering");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    assert_posting_status(d.buyer.token, d.pn, "awaiting_packaging");
    ck_assert_int_eq(stock_of(d.buyer.token, d.product), d.stock_after_order);
    deal_close(&d);
}
END_TEST

static const struct bad_order_case bad_status_cases[] = {
    {"{\"status\":\"shipped\"}", "status", "invalid_enum"},
    {"{\"status\":\"CANCELLED\"}", "status", "invalid_enum"},
    {"{\"status\":\"\"}", "status", "too_short"},
    {"{}", "status", "required"},
    {"{\"status\":null}", "status", "required"},
    {"{\"status\":3}", "status", "wrong_type"},
    {"{\"status\":\"cancelled\",\"reason\":\"x\"}", "reason", "unknown_field"},
};

START_TEST(test_status_rejects_bad_body)
{
    const struct bad_order_case *c = &bad_status_cases[_i];
    struct deal d;
    char path[128];
    deal_open(&d, 5, 2);
    snprintf(path, sizeof path, "/v1/postings/%s/status", d.pn);
    struct api_resp *r = api_post(path, d.buyer.token, c->body);
    ck_assert_msg(r->status == 400 && api_has_error(r, c->field, c->code),
                  "body %s: expected 400 with {field \"%s\", code \"%s\"}, got %ld %s", c->body,
                  c->field, c->code, r->status, r->body);
    assert_field_error(r, c->field, c->code);
    api_free(r);
    assert_posting_status(d.buyer.token, d.pn, "awaiting_packaging");
    ck_assert_int_eq(stock_of(d.buyer.token, d.product), d.stock_after_order);
    deal_close(&d);
}
END_TEST

START_TEST(test_status_rejects_malformed_body_and_media_type)
{
    struct deal d;
    char path[128];
    deal_open(&d, 5, 2);
    snprintf(path, sizeof path, "/v1/postings/%s/status", d.pn);
    struct api_resp *r = api_post(path, d.buyer.token, "{\"status\":");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_request("POST", path, d.buyer.token, "{\"status\":\"cancelled\"}", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    assert_posting_status(d.buyer.token, d.pn, "awaiting_packaging");
    ck_assert_int_eq(stock_of(d.buyer.token, d.product), d.stock_after_order);
    deal_close(&d);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Concurrency: the same writes at once
 * ------------------------------------------------------------------------------------------- */

#define PARALLEL_MAX 10

struct parallel_call {
    const char *path, *token, *body, *header;
    long status;
    json_int_t id;
};

static void *parallel_call_run(void *arg)
{
    struct parallel_call *c = arg;
    struct api_resp *r = api_request("POST", c->path, c->token, c->body, NULL, c->header);
    c->status = r->status;
    c->id = api_int(r, "id");
    api_free(r);
    return NULL;
}

/* Sends all calls at once and waits for every answer. */
static void run_parallel(struct parallel_call *calls, size_t n)
{
    pthread_t threads[PARALLEL_MAX];
    ck_assert_uint_le(n, PARALLEL_MAX);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, parallel_call_run, &calls[i]), 0);
    for (size_t i = 0; i < n; i++)
        pthread_join(threads[i], NULL);
}

static size_t count_status(const struct parallel_call *calls, size_t n, long status)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += calls[i].status == status;
    return k;
}

START_TEST(test_concurrent_orders_never_oversell)
{
    struct api_user seller, buyers[PARALLEL_MAX];
    struct parallel_call calls[PARALLEL_MAX];
    api_new_user(&seller, "seller");
    json_int_t p = api_make_product(&seller, 100, 5);
    const int one = 1;
    char *body = order_body(1, &p, &one);
    for (size_t i = 0; i < PARALLEL_MAX; i++) {
        api_new_user(&buyers[i], "buyer");
        calls[i] = (struct parallel_call){"/v1/orders", buyers[i].token, body, NULL, 0, 0};
    }
    run_parallel(calls, PARALLEL_MAX);
    ck_assert_uint_eq(count_status(calls, PARALLEL_MAX, 201), 5);
    ck_assert_uint_eq(count_status(calls, PARALLEL_MAX, 409), PARALLEL_MAX - 5);
    ck_assert_int_eq(stock_of(seller.token, p), 0);
    json_t *postings = list_all(seller.token, "");
    ck_assert_int_eq(json_array_size(postings), 5);
    json_decref(postings);
    free(body);
}
END_TEST

START_TEST(test_concurrent_cancels_return_stock_once)
{
    struct deal d;
    struct parallel_call calls[PARALLEL_MAX];
    char path[128];
    deal_open(&d, 5, 2);
    snprintf(path, sizeof path, "/v1/postings/%s/status", d.pn);
    for (size_t i = 0; i < PARALLEL_MAX; i++)
        calls[i] =
            (struct parallel_call){path, d.buyer.token, "{\"status\":\"cancelled\"}", NULL, 0, 0};
    run_parallel(calls, PARALLEL_MAX);
    ck_assert_uint_eq(count_status(calls, PARALLEL_MAX, 200), 1);
    ck_assert_uint_eq(count_status(calls, PARALLEL_MAX, 409), PARALLEL_MAX - 1);
    ck_assert_int_eq(stock_of(d.buyer.token, d.product), 5);
    assert_posting_status(d.buyer.token, d.pn, "cancelled");
    deal_close(&d);
}
END_TEST

START_TEST(test_concurrent_idempotent_orders_reserve_once)
{
    struct api_user seller, buyer;
    struct parallel_call calls[PARALLEL_MAX];
    char key[64], header[128];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 10);
    const int two = 2;
    char *body = order_body(1, &p, &two);
    snprintf(header, sizeof header, "Idempotency-Key: %s", api_unique("k-", key, sizeof key));
    for (size_t i = 0; i < PARALLEL_MAX; i++)
        calls[i] = (struct parallel_call){"/v1/orders", buyer.token, body, header, 0, 0};
    run_parallel(calls, PARALLEL_MAX);
    ck_assert_uint_eq(count_status(calls, PARALLEL_MAX, 201), PARALLEL_MAX);
    for (size_t i = 1; i < PARALLEL_MAX; i++)
        ck_assert_int_eq(calls[i].id, calls[0].id);
    ck_assert_int_eq(stock_of(buyer.token, p), 8);
    ck_assert_int_eq(order_count(&buyer), 1);
    free(body);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Suite
 * ------------------------------------------------------------------------------------------- */

Suite *orders_suite(void)
{
    Suite *s = suite_create("orders");
    TCase *create = api_tcase("create");
    tcase_add_test(create, test_order_returns_order_and_reserves_stock);
    tcase_add_test(create, test_list_names_its_kind);
    tcase_add_test(create, test_order_price_is_fixed_at_order_time);
    tcase_add_test(create, test_order_across_two_sellers_makes_two_postings);
    tcase_add_test(create, test_order_accepts_fifty_items);
    tcase_add_test(create, test_order_forbidden_for_seller_and_support);
    tcase_add_loop_test(create, test_order_rejects_bad_body, 0, N_CASES(bad_order_cases));
    tcase_add_test(create, test_order_rejects_fifty_one_items);
    tcase_add_test(create, test_order_rejects_malformed_body_and_media_type);
    tcase_add_test(create, test_order_rejects_unknown_product);
    tcase_add_test(create, test_order_short_stock_reserves_nothing);
    suite_add_tcase(s, create);

    TCase *idem = api_tcase("idempotency");
    tcase_add_test(idem, test_order_idempotent_replay_reserves_once);
    tcase_add_test(idem, test_order_idempotency_key_reused_with_other_body);
    suite_add_tcase(s, idem);

    TCase *list = api_tcase("list");
    tcase_add_test(list, test_buyer_orders_paginate_newest_first);
    tcase_add_test(list, test_seller_postings_paginate);
    tcase_add_test(list, test_seller_filters_postings_by_status);
    tcase_add_loop_test(list, test_orders_list_rejects_bad_query, 0, N_CASES(bad_list_cases));
    tcase_add_test(list, test_support_list_rejects_bad_limit);
    tcase_add_test(list, test_orders_list_rejects_cursor_of_other_list);
    suite_add_tcase(s, list);

    TCase *postings = api_tcase("postings");
    tcase_add_test(postings, test_posting_visible_to_parties_and_support);
    tcase_add_test(postings, test_posting_hidden_from_others);
    tcase_add_test(postings, test_posting_of_other_seller_in_same_order_hidden);
    suite_add_tcase(s, postings);

    TCase *status = api_tcase("status");
    tcase_add_test(status, test_seller_delivers_posting);
    tcase_add_test(status, test_seller_cannot_skip_or_cancel);
    tcase_add_test(status, test_buyer_cancels_and_stock_returns);
    tcase_add_test(status, test_buyer_cancels_one_posting_of_two);
    tcase_add_test(status, test_buyer_cannot_cancel_once_delivering);
    tcase_add_test(status, test_buyer_cannot_move_delivery);
    tcase_add_test(status, test_support_cannot_change_status);
    tcase_add_test(status, test_status_of_others_posting_not_found);
    tcase_add_loop_test(status, test_status_rejects_bad_body, 0, N_CASES(bad_status_cases));
    tcase_add_test(status, test_status_rejects_malformed_body_and_media_type);
    suite_add_tcase(s, status);

    TCase *race = api_tcase("concurrency");
    tcase_add_test(race, test_concurrent_orders_never_oversell);
    tcase_add_test(race, test_concurrent_cancels_return_stock_once);
    tcase_add_test(race, test_concurrent_idempotent_orders_reserve_once);
    suite_add_tcase(s, race);
    return s;
}
