/* API tests of the catalog: POST/GET/PATCH /v1/products against the real server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define SKU_FIRST 100000001
#define PAGE_MAX  100

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

static char *product_body(const char *offer_id, const char *name, const char *description,
                          json_int_t price, json_int_t stock)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I}", "offer_id", offer_id, "name", name,
                          "description", description, "price", price, "stock", stock);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static struct api_resp *post_product(const char *token, const char *body)
{
    return api_post("/v1/products", token, body);
}

static struct api_resp *post_product_with_key(const char *token, const char *body, const char *key)
{
    char header[512];
    snprintf(header, sizeof header, "Idempotency-Key: %s", key);
    return api_request("POST", "/v1/products", token, body, NULL, header);
}

/* Creates a product with the given fields; returns the 201 body (caller decrefs). */
static json_t *create_product(const struct api_user *seller, const char *offer_id, const char *name,
                              json_int_t price, json_int_t stock)
{
    char *body = product_body(offer_id, name, "A test product", price, stock);
    struct api_resp *r = post_product(seller->token, body);
    free(body);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static char *product_path(json_int_t id)
{
    static char path[64];
    snprintf(path, sizeof path, "/v1/products/%lld", (long long)id);
    return path;
}

/* GET /v1/products/{id}; returns the 200 body (caller decrefs). */
static json_t *fetch_product(const char *token, json_int_t id)
{
    struct api_resp *r = api_get(product_path(id), token);
    ck_assert_status(r, 200);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

/* The product as stored now is exactly `before` (nothing was written, not even updated_at). */
#define assert_product_unchanged(token, before)                                                    \
    assert_product_unchanged_at(token, before, __FILE__, __LINE__)
static void assert_product_unchanged_at(const char *token, const json_t *before, const char *file,
                                        int line)
{
    json_t *now = fetch_product(token, api_jint(before, "id"));
    char *a = json_dumps(before, JSON_COMPACT | JSON_SORT_KEYS);
    char *b = json_dumps(now, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_msg(json_equal(before, now), "%s:%d: product changed: before %s, now %s", file, line,
                  a, b);
    free(a);
    free(b);
    json_decref(now);
}

/* Number of products of the seller, counted over all mine=true pages. */
static int seller_product_count(const struct api_user *seller)
{
    char path[512] = "/v1/products?mine=true&limit=100";
    int n = 0;
    for (;;) {
        struct api_resp *r = api_get(path, seller->token);
        ck_assert_status(r, 200);
        n += (int)json_array_size(json_object_get(r->json, "items"));
        const char *next = json_string_value(json_object_get(r->json, "next_cursor"));
        if (next)
            snprintf(path, sizeof path, "/v1/products?mine=true&limit=100&cursor=%s", next);
        api_free(r);
        if (!next)
            return n;
    }
}

/* id of the newest product on the platform (0 if none). */
static json_int_t newest_product_id(const char *token)
{
    struct api_resp *r = api_get("/v1/products?limit=1", token);
    ck_assert_status(r, 200);
    json_int_t id = api_jint(json_array_get(json_object_get(r->json, "items"), 0), "id");
    api_free(r);
    return id;
}

/* ---------------------------------------------------------------------------------------------
 * POST /v1/products
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_create_returns_product)
{
    struct api_user seller;
    char offer[64];
    api_new_user(&seller, "seller");
    api_unique("SKU-", offer, sizeof offer);
    char *body = product_body(offer, "Blue mug", "350 ml, ceramic", 129900, 42);
    struct api_resp *r = post_product(seller.token, body);
    free(body);

    ck_assert_status(r, 201);
    char *ct = api_header(r, "Content-Type");
    ck_assert_str_eq(ct, "application/json");
    free(ct);
    ck_assert_int_gt(api_int(r, "id"), 0);
    ck_assert_int_eq(api_int(r, "seller_id"), seller.id);
    ck_assert_int_ge(api_int(r, "sku"), SKU_FIRST);
    ck_assert_str_eq(api_str(r, "offer_id"), offer);
    ck_assert_str_eq(api_str(r, "name"), "Blue mug");
    ck_assert_str_eq(api_str(r, "description"), "350 ml, ceramic");
    ck_assert_int_eq(api_int(r, "price"), 129900);
    ck_assert_int_eq(api_int(r, "stock"), 42);
    assert_timestamp(api_str(r, "created_at"));
    assert_timestamp(api_str(r, "updated_at"));
    ck_assert_int_eq(json_object_size(r->json), 10);

    /* what was stored is what was answered, and any role may read it */
    struct api_user buyer;
    api_new_user(&buyer, "buyer");
    json_t *stored = fetch_product(buyer.token, api_int(r, "id"));
    ck_assert_msg(json_equal(stored, r->json), "GET differs from the 201 body: %s", r->body);
    json_decref(stored);
    ck_assert_int_eq(seller_product_count(&seller), 1);
    api_free(r);
}
END_TEST

START_TEST(test_create_without_description_stores_empty)
{
    struct api_user seller;
    char offer[64];
    api_new_user(&seller, "seller");
    struct api_resp *r = api_postf("/v1/products", seller.token, "{s:s, s:s, s:i, s:i}", "offer_id",
                                   api_unique("a.b_c-d/", offer, sizeof offer), "name", "Plain",
                                   "price", 1, "stock", 0);
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "offer_id"), offer);
    ck_assert_str_eq(api_str(r, "description"), "");
    ck_assert_int_eq(api_int(r, "price"), 1);
    ck_assert_int_eq(api_int(r, "stock"), 0);
    api_free(r);
}
END_TEST

START_TEST(test_create_accepts_range_limits)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_t *p = create_product(&seller, "MAX-1", "Most expensive", 1000000000000LL, 1000000000LL);
    ck_assert_int_eq(api_jint(p, "price"), 1000000000000LL);
    ck_assert_int_eq(api_jint(p, "stock"), 1000000000LL);
    json_decref(p);
}
END_TEST

START_TEST(test_create_accepts_maximum_lengths)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    char *offer = api_repeat("o", 64), *name = api_repeat("\xD0\x96", 255),
         *desc = api_repeat("d", 5000);
    char *body = product_body(offer, name, desc, 100, 1);
    struct api_resp *r = post_product(seller.token, body);
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "offer_id"), offer);
    ck_assert_str_eq(api_str(r, "name"), name); /* 255 characters, 510 bytes */
    ck_assert_str_eq(api_str(r, "description"), desc);
    api_free(r);
    free(body);
    free(offer);
    free(name);
    free(desc);
}
END_TEST

struct too_long_case {
    const char *field;
    const char *ch;
    size_t n;
};

static const struct too_long_case too_long_cases[] = {
    {"offer_id", "o", 65},
    {"name", "n", 256},
    {"name", "\xD0\x96", 256}, /* counted in characters */
    {"description", "d", 5001},
};

START_TEST(test_create_rejects_too_long_string)
{
    const struct too_long_case *c = &too_long_cases[_i];
    struct api_user seller;
    api_new_user(&seller, "seller");
    char *s = api_repeat(c->ch, c->n);
    json_t *j = json_pack("{s:s, s:s, s:s, s:i, s:i}", "offer_id", "LONG-1", "name", "Long",
                          "description", "", "price", 100, "stock", 1);
    json_object_set_new(j, c->field, json_string(s));
    char *body = json_dumps(j, JSON_COMPACT);
    struct api_resp *r = post_product(seller.token, body);
    assert_field_error(r, c->field, "too_long");
    ck_assert_int_eq(seller_product_count(&seller), 0);
    api_free(r);
    free(body);
    json_decref(j);
    free(s);
}
END_TEST

struct bad_body_case {
    const char *body;
    const char *field;
    const char *code;
};

#define OK_FIELDS "\"price\":100,\"stock\":1"
static const struct bad_body_case bad_create_cases[] = {
    {"{\"name\":\"N\"," OK_FIELDS "}", "offer_id", "required"},
    {"{\"offer_id\":null,\"name\":\"N\"," OK_FIELDS "}", "offer_id", "required"},
    {"{\"offer_id\":\"A-1\"," OK_FIELDS "}", "name", "required"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"stock\":1}", "price", "required"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":100}", "stock", "required"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\"," OK_FIELDS ",\"color\":\"red\"}", "color",
     "unknown_field"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\"," OK_FIELDS ",\"sku\":100000001}", "sku",
     "unknown_field"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\"," OK_FIELDS ",\"seller_id\":1}", "seller_id",
     "unknown_field"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":\"100\",\"stock\":1}", "price", "wrong_type"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":99.5,\"stock\":1}", "price", "wrong_type"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":100,\"stock\":1.5}", "stock", "wrong_type"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":100,\"stock\":true}", "stock", "wrong_type"},
    {"{\"offer_id\":7,\"name\":\"N\"," OK_FIELDS "}", "offer_id", "wrong_type"},
    {"{\"offer_id\":\"A-1\",\"name\":[\"N\"]," OK_FIELDS "}", "name", "wrong_type"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"description\":5," OK_FIELDS "}", "description",
     "wrong_type"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":0,\"stock\":1}", "price", "out_of_range"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":-5,\"stock\":1}", "price", "out_of_range"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":1000000000001,\"stock\":1}", "price",
     "out_of_range"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":100,\"stock\":-1}", "stock", "out_of_range"},
    {"{\"offer_id\":\"A-1\",\"name\":\"N\",\"price\":100,\"stock\":1000000001}", "stock",
     "out_of_range"},
    {"{\"offer_id\":\"A-1\",\"name\":\"\"," OK_FIELDS "}", "name", "too_short"},
    {"{\"offer_id\":\"A-1\",\"name\":\"   \"," OK_FIELDS "}", "name", "too_short"},
    {"{\"offer_id\":\"\",\"name\":\"N\"," OK_FIELDS "}", "offer_id", "too_short"},
    {"{\"offer_id\":\"has space\",\"name\":\"N\"," OK_FIELDS "}", "offer_id", "invalid_format"},
    {"{\"offer_id\":\"a,b\",\"name\":\"N\"," OK_FIELDS "}", "offer_id", "invalid_format"},
    {"{\"offer_id\":\"caf\xC3\xA9\",\"name\":\"N\"," OK_FIELDS "}", "offer_id", "invalid_format"},
    {"{\"offer_id\":\"x'; drop table products;--\",\"name\":\"N\"," OK_FIELDS "}", "offer_id",
     "invalid_format"},
};

START_TEST(test_create_rejects_bad_field)
{
    const struct bad_body_case *c = &bad_create_cases[_i];
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r = post_product(seller.token, c->body);
    ck_assert_msg(r->status == 400 && api_has_error(r, c->field, c->code),
                  "body %s: expected 400 with {field \"%s\", code \"%s\"}, got %ld %s", c->body,
                  c->field, c->code, r->status, r->body);
    assert_field_error(r, c->field, c->code);
    ck_assert_int_eq(seller_product_count(&seller), 0);
    api_free(r);
}
END_TEST

START_TEST(test_create_rejects_malformed_body)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r = post_product(seller.token, "{\"offer_id\":\"A-1\",\"name\":");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = post_product(seller.token, "[{\"offer_id\":\"A-1\",\"name\":\"N\"," OK_FIELDS "}]");
    ck_assert_problem(r, 400, "body_not_object");
    api_free(r);
    ck_assert_int_eq(seller_product_count(&seller), 0);
}
END_TEST

START_TEST(test_create_rejects_wrong_content_type)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r =
        api_request("POST", "/v1/products", seller.token,
                    "{\"offer_id\":\"A-1\",\"name\":\"N\"," OK_FIELDS "}", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    ck_assert_int_eq(seller_product_count(&seller), 0);
}
END_TEST

START_TEST(test_create_forbidden_for_buyer_and_support)
{
    struct api_user buyer, support;
    api_new_user(&buyer, "buyer");
    api_demo_user(&support, "support@demo.sellerdesk.dev");
    json_int_t newest = newest_product_id(buyer.token);
    const struct api_user *refused[] = {&buyer, &support};
    for (size_t i = 0; i < 2; i++) {
        struct api_resp *r = post_product(refused[i]->token,
                                          "{\"offer_id\":\"NOPE-1\",\"name\":\"N\"," OK_FIELDS "}");
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
    ck_assert_int_eq(newest_product_id(buyer.token), newest);
}
END_TEST

START_TEST(test_offer_id_unique_per_seller)
{
    struct api_user a, b;
    char offer[64];
    api_new_user(&a, "seller");
    api_new_user(&b, "seller");
    api_unique("DUP-", offer, sizeof offer);
    json_t *first = create_product(&a, offer, "First", 100, 1);

    char *body = product_body(offer, "Second", "", 200, 2);
    struct api_resp *r = post_product(a.token, body);
    ck_assert_problem(r, 409, "offer_id_taken");
    api_free(r);
    ck_assert_int_eq(seller_product_count(&a), 1);
    assert_product_unchanged(a.token, first);

    /* another seller may use the same offer_id; it gets its own product and sku */
    r = post_product(b.token, body);
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "offer_id"), offer);
    ck_assert_int_eq(api_int(r, "seller_id"), b.id);
    ck_assert_int_ne(api_int(r, "id"), api_jint(first, "id"));
    ck_assert_int_ne(api_int(r, "sku"), api_jint(first, "sku"));
    api_free(r);
    free(body);
    json_decref(first);
}
END_TEST

START_TEST(test_sku_platform_wide_and_increasing)
{
    struct api_user a, b;
    api_new_user(&a, "seller");
    api_new_user(&b, "seller");
    json_t *p1 = create_product(&a, "SAME-1", "One", 100, 1);
    json_t *p2 = create_product(&b, "SAME-1", "Two", 100, 1);
    json_t *p3 = create_product(&a, "SAME-2", "Three", 100, 1);
    ck_assert_int_ge(api_jint(p1, "sku"), SKU_FIRST);
    ck_assert_int_gt(api_jint(p2, "sku"), api_jint(p1, "sku"));
    ck_assert_int_gt(api_jint(p3, "sku"), api_jint(p2, "sku"));
    json_decref(p1);
    json_decref(p2);
    json_decref(p3);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Idempotency-Key on POST /v1/products
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_create_idempotent_replay)
{
    struct api_user seller;
    char key[64];
    api_new_user(&seller, "seller");
    api_unique("key-", key, sizeof key);
    char *body = product_body("IDEM-1", "Once", "", 500, 3);

    struct api_resp *first = post_product_with_key(seller.token, body, key);
    ck_assert_status(first, 201);
    char *replayed = api_header(first, "Idempotent-Replayed");
    ck_assert_ptr_null(replayed);

    struct api_resp *again = post_product_with_key(seller.token, body, key);
    ck_assert_status(again, 201);
    replayed = api_header(again, "Idempotent-Replayed");
    ck_assert_pstr_eq(replayed, "true");
    free(replayed);
    ck_assert_int_eq(api_int(again, "id"), api_int(first, "id"));
    ck_assert_msg(json_equal(first->json, again->json), "replay %s differs from original %s",
                  again->body, first->body);
    ck_assert_int_eq(seller_product_count(&seller), 1);
    api_free(first);
    api_free(again);
    free(body);
}
END_TEST

START_TEST(test_create_idempotency_key_reused_with_other_body)
{
    struct api_user seller;
    char key[64];
    api_new_user(&seller, "seller");
    api_unique("key-", key, sizeof key);
    char *body = product_body("IDEM-1", "Once", "", 500, 3);
    char *other = product_body("IDEM-2", "Other", "", 500, 3);

    struct api_resp *first = post_product_with_key(seller.token, body, key);
    ck_assert_status(first, 201);
    struct api_resp *r = post_product_with_key(seller.token, other, key);
    ck_assert_problem(r, 422, "idempotency_key_reused");
    ck_assert_int_eq(seller_product_count(&seller), 1);
    assert_product_unchanged(seller.token, first->json);
    api_free(r);
    api_free(first);
    free(body);
    free(other);
}
END_TEST

START_TEST(test_create_idempotency_key_scoped_per_seller)
{
    struct api_user a, b;
    char key[64];
    api_new_user(&a, "seller");
    api_new_user(&b, "seller");
    api_unique("key-", key, sizeof key);
    char *body = product_body("IDEM-1", "Once", "", 500, 3);
    struct api_resp *ra = post_product_with_key(a.token, body, key);
    struct api_resp *rb = post_product_with_key(b.token, body, key);
    ck_assert_status(ra, 201);
    ck_assert_status(rb, 201);
    char *replayed = api_header(rb, "Idempotent-Replayed");
    ck_assert_ptr_null(replayed);
    ck_assert_int_eq(api_int(rb, "seller_id"), b.id);
    ck_assert_int_ne(api_int(rb, "id"), api_int(ra, "id"));
    ck_assert_int_eq(seller_product_count(&b), 1);
    api_free(ra);
    api_free(rb);
    free(body);
}
END_TEST

START_TEST(test_create_rejects_bad_idempotency_key)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    char *key = api_repeat("k", 256);
    char *body = product_body("IDEM-1", "Once", "", 500, 3);
    struct api_resp *r = post_product_with_key(seller.token, body, key);
    ck_assert_problem(r, 400, "invalid_idempotency_key");
    api_free(r);
    /* "Name;" makes curl send the header with an empty value */
    r = api_request("POST", "/v1/products", seller.token, body, NULL, "Idempotency-Key;");
    ck_assert_problem(r, 400, "invalid_idempotency_key");
    api_free(r);
    ck_assert_int_eq(seller_product_count(&seller), 0);
    free(body);
    free(key);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * GET /v1/products, GET /v1/products/{id}
 * ------------------------------------------------------------------------------------------- */

/* Fetches one page; checks its size and whether it has a next cursor; returns the cursor. */
static char *fetch_page(const char *token, const char *path, size_t expected_items,
                        json_int_t *ids_out, size_t *n_ids)
{
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_msg(json_is_array(items), "items is not an array: %s", r->body);
    ck_assert_int_eq(json_array_size(items), expected_items);
    ck_assert_msg(json_object_get(r->json, "next_cursor") != NULL, "next_cursor missing: %s",
                  r->body);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        ids_out[(*n_ids)++] = api_jint(item, "id");
    }
    const char *next = json_string_value(json_object_get(r->json, "next_cursor"));
    char *cursor = next ? strdup(next) : NULL;
    api_free(r);
    return cursor;
}

START_TEST(test_mine_pagination_walks_each_product_once)
{
    struct api_user seller, other;
    json_int_t created[5], seen[8];
    size_t n_seen = 0;
    char path[256], offer[16];
    api_new_user(&seller, "seller");
    api_new_user(&other, "seller");
    for (int i = 0; i < 5; i++) {
        snprintf(offer, sizeof offer, "PAGE-%d", i);
        json_t *p = create_product(&seller, offer, "Paged", 100 + i, i);
        created[i] = api_jint(p, "id");
        json_decref(p);
        if (i == 2) /* interleaved product of someone else must not show up */
            api_make_product(&other, 100, 1);
    }

    const size_t sizes[] = {2, 2, 1};
    char *cursor = NULL;
    for (size_t page = 0; page < 3; page++) {
        if (cursor)
            snprintf(path, sizeof path, "/v1/products?mine=true&limit=2&cursor=%s", cursor);
        else
            snprintf(path, sizeof path, "/v1/products?mine=true&limit=2");
        free(cursor);
        cursor = fetch_page(seller.token, path, sizes[page], seen, &n_seen);
        ck_assert_msg((cursor != NULL) == (page < 2), "page %zu: next_cursor %s", page,
                      cursor ? cursor : "null");
    }
    /* newest first, each exactly once */
    ck_assert_int_eq(n_seen, 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(seen[i], created[4 - i]);
}
END_TEST

START_TEST(test_list_all_newest_first_across_sellers)
{
    struct api_user a, b, buyer;
    api_new_user(&a, "seller");
    api_new_user(&b, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t pa = api_make_product(&a, 100, 1);
    json_int_t pb = api_make_product(&b, 200, 2);

    struct api_resp *r = api_get("/v1/products?limit=2", buyer.token);
    ck_assert_status(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), pb);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "seller_id"), b.id);
    ck_assert_int_eq(api_jint(json_array_get(items, 1), "id"), pa);
    ck_assert_int_eq(api_jint(json_array_get(items, 1), "seller_id"), a.id);
    ck_assert_msg(json_is_string(json_object_get(r->json, "next_cursor")),
                  "expected a next_cursor: %s", r->body);
    api_free(r);

    /* mine=false is the same list */
    r = api_get("/v1/products?limit=1&mine=false", a.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "items"), 0), "id"), pb);
    api_free(r);
}
END_TEST

START_TEST(test_list_mine_forbidden_for_non_sellers)
{
    struct api_user buyer, support;
    api_new_user(&buyer, "buyer");
    api_demo_user(&support, "support@demo.sellerdesk.dev");
    struct api_resp *r = api_get("/v1/products?mine=true", buyer.token);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = api_get("/v1/products?mine=true", support.token);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    /* the whole catalog is open to both */
    r = api_get("/v1/products", support.token);
    ck_assert_status(r, 200);
    api_free(r);
}
END_TEST

struct bad_query_case {
    const char *query;
    const char *field;
    const char *code;
};

static const struct bad_query_case bad_list_cases[] = {
    {"?limit=0", "limit", "out_of_range"},
    {"?limit=101", "limit", "out_of_range"},
    {"?limit=abc", "limit", "out_of_range"},
    {"?limit=-1", "limit", "out_of_range"},
    {"?limit=2x", "limit", "out_of_range"},
    {"?mine=yes", "mine", "invalid_enum"},
    {"?cursor=AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAA", "cursor", "invalid_cursor"},
    {"?cursor=not-a-cursor", "cursor", "invalid_cursor"},
    {"?sort=price", "sort", "unknown_parameter"},
    {"?limit=5&seller_id=1", "seller_id", "unknown_parameter"},
};

START_TEST(test_list_rejects_bad_query)
{
    const struct bad_query_case *c = &bad_list_cases[_i];
    struct api_user seller;
    char path[256];
    api_new_user(&seller, "seller");
    snprintf(path, sizeof path, "/v1/products%s", c->query);
    struct api_resp *r = api_get(path, seller.token);
    ck_assert_msg(r->status == 400 && api_has_error(r, c->field, c->code),
                  "GET %s: expected 400 with {field \"%s\", code \"%s\"}, got %ld %s", path,
                  c->field, c->code, r->status, r->body);
    assert_field_error(r, c->field, c->code);
    api_free(r);
}
END_TEST

/* A next_cursor of the seller's mine=true list (the seller gets 2 products). */
static char *mine_cursor(const struct api_user *seller)
{
    json_int_t ids[2];
    size_t n = 0;
    api_make_product(seller, 100, 1);
    api_make_product(seller, 100, 1);
    char *cursor = fetch_page(seller->token, "/v1/products?mine=true&limit=1", 1, ids, &n);
    ck_assert_ptr_nonnull(cursor);
    return cursor;
}

START_TEST(test_list_rejects_tampered_cursor)
{
    struct api_user seller;
    char path[256];
    api_new_user(&seller, "seller");
    char *cursor = mine_cursor(&seller);
    /* the cursor works as given */
    snprintf(path, sizeof path, "/v1/products?mine=true&limit=1&cursor=%s", cursor);
    struct api_resp *r = api_get(path, seller.token);
    ck_assert_status(r, 200);
    api_free(r);
    /* one character changed */
    cursor[0] = cursor[0] == 'A' ? 'B' : 'A';
    snprintf(path, sizeof path, "/v1/products?mine=true&limit=1&cursor=%s", cursor);
    r = api_get(path, seller.token);
    assert_field_error(r, "cursor", "invalid_cursor");
    api_free(r);
    free(cursor);
}
END_TEST

START_TEST(test_list_rejects_cursor_of_orders_list)
{
    struct api_user seller, buyer;
    char path[256];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t p = api_make_product(&seller, 100, 5);
    for (int i = 0; i < 2; i++) {
        struct api_resp *o = api_postf("/v1/orders", buyer.token, "{s:[{s:I, s:i}]}", "items",
                                       "product_id", (json_int_t)p, "quantity", 1);
        ck_assert_status(o, 201);
        api_free(o);
    }
    struct api_resp *r = api_get("/v1/orders?limit=1", buyer.token);
    ck_assert_status(r, 200);
    const char *cursor = json_string_value(json_object_get(r->json, "next_cursor"));
    ck_assert_ptr_nonnull(cursor);
    snprintf(path, sizeof path, "/v1/products?limit=1&cursor=%s", cursor);
    api_free(r);
    r = api_get(path, buyer.token);
    assert_field_error(r, "cursor", "invalid_cursor");
    api_free(r);
}
END_TEST

/* The server's own comment says mine=true pages are a different list with their own cursors. */
START_TEST(test_list_rejects_cursor_of_mine_list)
{
    struct api_user seller;
    char path[256];
    api_new_user(&seller, "seller");
    char *cursor = mine_cursor(&seller);
    snprintf(path, sizeof path, "/v1/products?limit=1&cursor=%s", cursor);
    struct api_resp *r = api_get(path, seller.token);
    assert_field_error(r, "cursor", "invalid_cursor");
    api_free(r);
    free(cursor);
}
END_TEST

START_TEST(test_get_unknown_product_not_found)
{
    struct api_user buyer;
    api_new_user(&buyer, "buyer");
    const char *paths[] = {"/v1/products/999999999", "/v1/products/0", "/v1/products/abc",
                           "/v1/products/-1"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct api_resp *r = api_get(paths[i], buyer.token);
        ck_assert_msg(r->status == 404, "GET %s: expected 404, got %ld %s", paths[i], r->status,
                      r->body);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
    }
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * PATCH /v1/products/{id}
 * ------------------------------------------------------------------------------------------- */

static struct api_resp *patch_product(const char *token, json_int_t id, const char *body)
{
    return api_patch(product_path(id), token, body);
}

START_TEST(test_patch_updates_given_fields_only)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_t *before = create_product(&seller, "EDIT-1", "Old name", 100, 5);
    json_int_t id = api_jint(before, "id");

    struct api_resp *r = patch_product(seller.token, id, "{\"name\":\"New name\",\"price\":250}");
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "id"), id);
    ck_assert_int_eq(api_int(r, "seller_id"), seller.id);
    ck_assert_int_eq(api_int(r, "sku"), api_jint(before, "sku"));
    ck_assert_str_eq(api_str(r, "offer_id"), "EDIT-1");
    ck_assert_str_eq(api_str(r, "name"), "New name");
    ck_assert_str_eq(api_str(r, "description"), "A test product");
    ck_assert_int_eq(api_int(r, "price"), 250);
    ck_assert_int_eq(api_int(r, "stock"), 5);
    ck_assert_str_eq(api_str(r, "created_at"), api_jstr(before, "created_at"));
    assert_timestamp(api_str(r, "updated_at"));
    ck_assert_msg(strcmp(api_str(r, "updated_at"), api_jstr(before, "updated_at")) >= 0,
                  "updated_at went back: %s -> %s", api_jstr(before, "updated_at"),
                  api_str(r, "updated_at"));
    assert_product_unchanged(seller.token, r->json); /* stored as answered */
    api_free(r);

    r = patch_product(seller.token, id, "{\"stock\":0,\"description\":\"\"}");
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "stock"), 0);
    ck_assert_str_eq(api_str(r, "description"), "");
    ck_assert_str_eq(api_str(r, "name"), "New name");
    ck_assert_int_eq(api_int(r, "price"), 250);
    api_free(r);
    json_decref(before);
}
END_TEST

START_TEST(test_patch_other_sellers_product_not_found)
{
    struct api_user owner, intruder;
    api_new_user(&owner, "seller");
    api_new_user(&intruder, "seller");
    json_t *before = create_product(&owner, "MINE-1", "Owned", 100, 5);
    struct api_resp *r =
        patch_product(intruder.token, api_jint(before, "id"), "{\"price\":1,\"stock\":0}");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    assert_product_unchanged(owner.token, before);
    json_decref(before);
}
END_TEST

START_TEST(test_patch_forbidden_for_buyer_and_support)
{
    struct api_user seller, buyer, support;
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    api_demo_user(&support, "support@demo.sellerdesk.dev");
    json_t *before = create_product(&seller, "ROLE-1", "Owned", 100, 5);
    const struct api_user *refused[] = {&buyer, &support};
    for (size_t i = 0; i < 2; i++) {
        struct api_resp *r =
            patch_product(refused[i]->token, api_jint(before, "id"), "{\"price\":1}");
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
    assert_product_unchanged(seller.token, before);
    json_decref(before);
}
END_TEST

START_TEST(test_patch_unknown_product_not_found)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r = patch_product(seller.token, 999999999, "{\"price\":1}");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_patch("/v1/products/abc", seller.token, "{\"price\":1}");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

static const struct bad_body_case bad_patch_cases[] = {
    {"{}", "", "empty_update"},
    {"{\"offer_id\":\"OTHER-1\"}", "offer_id", "unknown_field"},
    {"{\"sku\":1}", "sku", "unknown_field"},
    {"{\"seller_id\":1}", "seller_id", "unknown_field"},
    {"{\"price\":0}", "price", "out_of_range"},
    {"{\"price\":1000000000001}", "price", "out_of_range"},
    {"{\"price\":1.5}", "price", "wrong_type"},
    {"{\"stock\":-1}", "stock", "out_of_range"},
    {"{\"stock\":1000000001}", "stock", "out_of_range"},
    {"{\"stock\":\"5\"}", "stock", "wrong_type"},
    {"{\"name\":\"\"}", "name", "too_short"},
    {"{\"name\":\" \\t \"}", "name", "too_short"},
    {"{\"name\":false}", "name", "wrong_type"},
    {"{\"price\":7,\"name\":\"ok\",\"colour\":\"red\"}", "colour", "unknown_field"},
};

START_TEST(test_patch_rejects_bad_field)
{
    const struct bad_body_case *c = &bad_patch_cases[_i];
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_t *before = create_product(&seller, "BAD-1", "Owned", 100, 5);
    struct api_resp *r = patch_product(seller.token, api_jint(before, "id"), c->body);
    ck_assert_msg(r->status == 400 && api_has_error(r, c->field, c->code),
                  "PATCH %s: expected 400 with {field \"%s\", code \"%s\"}, got %ld %s", c->body,
                  c->field, c->code, r->status, r->body);
    assert_field_error(r, c->field, c->code);
    api_free(r);
    assert_product_unchanged(seller.token, before);
    json_decref(before);
}
END_TEST

START_TEST(test_patch_rejects_too_long_name)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_t *before = create_product(&seller, "BAD-1", "Owned", 100, 5);
    char *name = api_repeat("n", 256);
    json_t *j = json_pack("{s:s}", "name", name);
    char *body = json_dumps(j, JSON_COMPACT);
    struct api_resp *r = patch_product(seller.token, api_jint(before, "id"), body);
    assert_field_error(r, "name", "too_long");
    api_free(r);
    assert_product_unchanged(seller.token, before);
    free(body);
    json_decref(j);
    free(name);
    json_decref(before);
}
END_TEST

START_TEST(test_patch_rejects_malformed_body_and_media_type)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_t *before = create_product(&seller, "BAD-1", "Owned", 100, 5);
    json_int_t id = api_jint(before, "id");
    struct api_resp *r = patch_product(seller.token, id, "{\"price\":");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = patch_product(seller.token, id, "{\"price\":1,\"price\":2}"); /* duplicate key */
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = patch_product(seller.token, id, "[1]");
    ck_assert_problem(r, 400, "body_not_object");
    api_free(r);
    r = api_request("PATCH", product_path(id), seller.token, "{\"price\":1}",
                    "application/x-www-form-urlencoded", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    assert_product_unchanged(seller.token, before);
    json_decref(before);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Suite
 * ------------------------------------------------------------------------------------------- */

Suite *products_suite(void)
{
    Suite *s = suite_create("products");
    TCase *create = api_tcase("create");
    tcase_add_test(create, test_create_returns_product);
    tcase_add_test(create, test_create_without_description_stores_empty);
    tcase_add_test(create, test_create_accepts_range_limits);
    tcase_add_test(create, test_create_accepts_maximum_lengths);
    tcase_add_loop_test(create, test_create_rejects_too_long_string, 0, N_CASES(too_long_cases));
    tcase_add_loop_test(create, test_create_rejects_bad_field, 0, N_CASES(bad_create_cases));
    tcase_add_test(create, test_create_rejects_malformed_body);
    tcase_add_test(create, test_create_rejects_wrong_content_type);
    tcase_add_test(create, test_create_forbidden_for_buyer_and_support);
    tcase_add_test(create, test_offer_id_unique_per_seller);
    tcase_add_test(create, test_sku_platform_wide_and_increasing);
    suite_add_tcase(s, create);

    TCase *idem = api_tcase("idempotency");
    tcase_add_test(idem, test_create_idempotent_replay);
    tcase_add_test(idem, test_create_idempotency_key_reused_with_other_body);
    tcase_add_test(idem, test_create_idempotency_key_scoped_per_seller);
    tcase_add_test(idem, test_create_rejects_bad_idempotency_key);
    suite_add_tcase(s, idem);

    TCase *list = api_tcase("list");
    tcase_add_test(list, test_mine_pagination_walks_each_product_once);
    tcase_add_test(list, test_list_all_newest_first_across_sellers);
    tcase_add_test(list, test_list_mine_forbidden_for_non_sellers);
    tcase_add_loop_test(list, test_list_rejects_bad_query, 0, N_CASES(bad_list_cases));
    tcase_add_test(list, test_list_rejects_tampered_cursor);
    tcase_add_test(list, test_list_rejects_cursor_of_orders_list);
    tcase_add_test(list, test_list_rejects_cursor_of_mine_list);
    tcase_add_test(list, test_get_unknown_product_not_found);
    suite_add_tcase(s, list);

    TCase *patch = api_tcase("patch");
    tcase_add_test(patch, test_patch_updates_given_fields_only);
    tcase_add_test(patch, test_patch_other_sellers_product_not_found);
    tcase_add_test(patch, test_patch_forbidden_for_buyer_and_support);
    tcase_add_test(patch, test_patch_unknown_product_not_found);
    tcase_add_loop_test(patch, test_patch_rejects_bad_field, 0, N_CASES(bad_patch_cases));
    tcase_add_test(patch, test_patch_rejects_too_long_name);
    tcase_add_test(patch, test_patch_rejects_malformed_body_and_media_type);
    suite_add_tcase(s, patch);
    return s;
}
