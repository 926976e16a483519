/* API tests of product questions against the real server: asking (POST
 * /v1/products/{id}/questions) under the auto policy (the test setup keeps the default), the
 * seller's and buyer's lists with filters and search, counts, opening (marks viewed), bulk
 * marking and the product page. Every test uses fresh users and products; support's lists span
 * every suite, so they are searched for specific ids, never counted.
 *
 * "processed" needs a published answer (the answers half of issue 6); its results are tested
 * with answers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "client.h"

#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"
#define NO_SUCH_ID    999999999
#define FLAGGED_TEXT  "WHERE IS MY ORDER WHY SO SLOW!!!!!!"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

struct shop {
    struct api_user seller, buyer;
    json_int_t product, sku;
    char offer_id[64];
};

/* A seller with a product of that name and a buyer. */
static void shop_open(struct shop *s, const char *name)
{
    api_new_user(&s->seller, "seller");
    api_new_user_named(&s->buyer, "buyer", "Asking Buyer");
    struct api_resp *r = api_postf("/v1/products", s->seller.token, "{s:s, s:s, s:I, s:I}",
                                   "offer_id", api_unique("QOF-", s->offer_id, sizeof s->offer_id),
                                   "name", name, "price", (json_int_t)1000, "stock", (json_int_t)5);
    ck_assert_status(r, 201);
    s->product = api_int(r, "id");
    s->sku = api_int(r, "sku");
    api_free(r);
}

static struct api_resp *ask_raw(const char *token, json_int_t product, const char *text)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/products/%lld/questions", (long long)product);
    return api_postf(path, token, "{s:s}", "text", text);
}

/* Asks and returns the 201 question (caller decrefs). */
static json_t *ask(const struct api_user *buyer, json_int_t product, const char *text)
{
    struct api_resp *r = ask_raw(buyer->token, product, text);
    ck_assert_status(r, 201);
    json_t *q = json_incref(r->json);
    api_free(r);
    return q;
}

static json_int_t ask_id(const struct api_user *buyer, json_int_t product, const char *text)
{
    json_t *q = ask(buyer, product, text);
    json_int_t id = api_jint(q, "id");
    json_decref(q);
    return id;
}

/* GET /v1/questions?<query> as 200: the items (caller decrefs). */
static json_t *list(const char *token, const char *query)
{
    char path[1024];
    snprintf(path, sizeof path, "/v1/questions?limit=100%s%s", *query ? "&" : "", query);
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    json_t *items = json_incref(json_object_get(r->json, "items"));
    ck_assert_msg(json_is_array(items), "no items: %s", r->body);
    api_free(r);
    return items;
}

/* The ids of a search for q (URL-encoded here) as one string "id,id,". */
static json_t *search(const char *token, const char *q)
{
    char query[512];
    char *esc = curl_easy_escape(NULL, q, 0);
    snprintf(query, sizeof query, "q=%s", esc);
    curl_free(esc);
    return list(token, query);
}

static int has_id(const json_t *items, json_int_t id)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (api_jint(it, "id") == id)
            return 1;
    }
    return 0;
}

static struct api_resp *get_question(const char *token, json_int_t id)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/questions/%lld", (long long)id);
    return api_get(path, token);
}

static json_t *counts(const char *token)
{
    struct api_resp *r = api_get("/v1/questions/counts", token);
    ck_assert_status(r, 200);
    json_t *c = json_incref(r->json);
    api_free(r);
    return c;
}

static void assert_counts(const char *token, json_int_t all, json_int_t n, json_int_t viewed,
                          json_int_t processed)
{
    json_t *c = counts(token);
    ck_assert_int_eq(api_jint(c, "all"), all);
    ck_assert_int_eq(api_jint(c, "new"), n);
    ck_assert_int_eq(api_jint(c, "viewed"), viewed);
    ck_assert_int_eq(api_jint(c, "processed"), processed);
    json_decref(c);
}

/* The question.new notifications of the seller naming question id. */
static int question_notified(const struct api_user *seller, json_int_t id)
{
    struct api_resp *r = api_get("/v1/notifications?limit=100", seller->token);
    ck_assert_status(r, 200);
    size_t i;
    json_t *it;
    int n = 0;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
    {
        if (strcmp(api_jstr(it, "event"), "question.new") == 0 &&
            api_jint(json_object_get(it, "data"), "question_id") == id)
            n++;
    }
    api_free(r);
    return n;
}

/* 400 validation_failed with an errors[] entry for field, whatever its code. */
static void assert_bad_field(const struct api_resp *r, const char *field)
{
    size_t i;
    json_t *e;
    ck_assert_problem(r, 400, "validation_failed");
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        if (strcmp(api_jstr(e, "field"), field) == 0)
            return;
    }
    ck_abort_msg("no error for field %s: %s", field, r->body);
}

static struct api_resp *set_status(const char *token, const char *body)
{
    return api_post("/v1/questions/status", token, body);
}

/* ---------------------------------------------------------------------------------------------
 * Asking
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_ask_clean_question_is_published_at_once)
{
    struct shop s;
    shop_open(&s, "Электрический чайник");
    json_t *q = ask(&s.buyer, s.product, "Какой объём у чайника?");
    json_int_t id = api_jint(q, "id");
    ck_assert_int_gt(id, 0);
    json_t *p = json_object_get(q, "product"), *a = json_object_get(q, "author");
    ck_assert_int_eq(api_jint(p, "id"), s.product);
    ck_assert_int_eq(api_jint(p, "sku"), s.sku);
    ck_assert_str_eq(api_jstr(p, "offer_id"), s.offer_id);
    ck_assert_str_eq(api_jstr(p, "name"), "Электрический чайник");
    ck_assert_int_eq(api_jint(a, "id"), s.buyer.id);
    ck_assert_str_eq(api_jstr(a, "display_name"), "Asking Buyer");
    ck_assert_ptr_null(json_object_get(a, "email"));
    ck_assert_str_eq(api_jstr(q, "text"), "Какой объём у чайника?");
    ck_assert_str_eq(api_jstr(q, "status"), "new");
    ck_assert_int_eq(api_jint(q, "answers_count"), 0);
    json_t *m = json_object_get(q, "moderation");
    ck_assert_str_eq(api_jstr(m, "status"), "approved");
    ck_assert(json_is_null(json_object_get(m, "reason")));
    ck_assert_int_eq(json_array_size(json_object_get(m, "flags")), 0);
    assert_timestamp(api_jstr(m, "due_at"));
    assert_timestamp(api_jstr(q, "created_at"));
    assert_timestamp(api_jstr(q, "updated_at"));
    json_decref(q);

    /* the seller sees it at once, without the moderation details, and was told */
    json_t *items = list(s.seller.token, "");
    ck_assert_int_eq(json_array_size(items), 1);
    json_t *seen = json_array_get(items, 0);
    ck_assert_int_eq(api_jint(seen, "id"), id);
    ck_assert(json_is_null(json_object_get(seen, "moderation")));
    json_decref(items);
    ck_assert_int_eq(question_notified(&s.seller, id), 1);
    /* the author's own list */
    items = list(s.buyer.token, "");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_str_eq(api_jstr(json_object_get(json_array_get(items, 0), "moderation"), "status"),
                     "approved");
    json_decref(items);
}
END_TEST

START_TEST(test_ask_flagged_question_waits_for_moderation)
{
    struct shop s;
    shop_open(&s, "Пылесос");
    json_t *q = ask(&s.buyer, s.product, FLAGGED_TEXT);
    json_int_t id = api_jint(q, "id");
    json_t *m = json_object_get(q, "moderation");
    ck_assert_str_eq(api_jstr(m, "status"), "pending");
    ck_assert_int_gt(json_array_size(json_object_get(m, "flags")), 0);
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(m, "flags"), 0), "field"), "text");
    json_decref(q);

    /* invisible to the seller: not listed, not counted, not found, not notified */
    json_t *items = list(s.seller.token, "");
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    assert_counts(s.seller.token, 0, 0, 0, 0);
    struct api_resp *r = get_question(s.seller.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_int_eq(question_notified(&s.seller, id), 0);
    /* nor on the product page, even for another buyer */
    struct api_user other;
    api_new_user(&other, "buyer");
    char path[96];
    snprintf(path, sizeof path, "/v1/products/%lld/questions", (long long)s.product);
    r = api_get(path, other.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
    api_free(r);

    /* the author sees it, pending */
    r = get_question(s.buyer.token, id);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_jstr(json_object_get(r->json, "moderation"), "status"), "pending");
    api_free(r);
    assert_counts(s.buyer.token, 1, 1, 0, 0);
    /* support sees it too */
    struct api_user support;
    api_demo_user(&support, SUPPORT_EMAIL);
    r = get_question(support.token, id);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_jstr(json_object_get(r->json, "moderation"), "status"), "pending");
    api_free(r);
}
END_TEST

START_TEST(test_ask_refused_roles)
{
    struct shop s;
    struct api_user support;
    shop_open(&s, "Test product");
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = ask_raw(s.seller.token, s.product, "Можно ли вернуть?");
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = ask_raw(support.token, s.product, "Можно ли вернуть?");
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    assert_counts(s.seller.token, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_ask_unknown_product_not_found)
{
    struct api_user buyer;
    api_new_user(&buyer, "buyer");
    struct api_resp *r = ask_raw(buyer.token, NO_SUCH_ID, "Есть ли в наличии?");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    assert_counts(buyer.token, 0, 0, 0, 0);
}
END_TEST

START_TEST(test_ask_bad_input_writes_nothing)
{
    struct shop s;
    shop_open(&s, "Test product");
    char *long_text = api_repeat("ж", 1001);
    struct {
        const char *text, *code;
    } cases[] = {{"я", "too_short"}, {" \t\u00a0 ", "too_short"}, {long_text, "too_long"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_resp *r = ask_raw(s.buyer.token, s.product, cases[i].text);
        assert_field_error(r, "text", cases[i].code);
        api_free(r);
    }
    free(long_text);
    char path[96];
    snprintf(path, sizeof path, "/v1/products/%lld/questions", (long long)s.product);
    struct api_resp *r = api_post(path, s.buyer.token, "{}");
    assert_field_error(r, "text", "required");
    api_free(r);
    r = api_postf(path, s.buyer.token, "{s:i}", "text", 5);
    assert_field_error(r, "text", "wrong_type");
    api_free(r);
    r = api_postf(path, s.buyer.token, "{s:s, s:s}", "text", "Нормальный вопрос", "extra", "x");
    ck_assert_problem(r, 400, "validation_failed");
    api_free(r);
    /* a hard violation: 422, nothing stored */
    r = ask_raw(s.buyer.token, s.product, "Напишите мне на buyer@example.com пожалуйста");
    ck_assert_problem(r, 422, "content_violation");
    api_free(r);
    assert_counts(s.buyer.token, 0, 0, 0, 0);
    assert_counts(s.seller.token, 0, 0, 0, 0);
    json_t *c = counts(s.buyer.token);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "all")), 0);
    json_decref(c);
}
END_TEST

START_TEST(test_ask_with_idempotency_key_once)
{
    struct shop s;
    shop_open(&s, "Test product");
    char path[96], key[64], header[128];
    snprintf(path, sizeof path, "/v1/products/%lld/questions", (long long)s.product);
    snprintf(header, sizeof header, "Idempotency-Key: %s", api_unique("q-", key, sizeof key));
    struct api_resp *a =
        api_request("POST", path, s.buyer.token, "{\"text\":\"Есть ли чехол?\"}", NULL, header);
    struct api_resp *b =
        api_request("POST", path, s.buyer.token, "{\"text\":\"Есть ли чехол?\"}", NULL, header);
    ck_assert_status(a, 201);
    ck_assert_int_eq(api_int(a, "id"), api_int(b, "id"));
    api_free(a);
    api_free(b);
    assert_counts(s.buyer.token, 1, 1, 0, 0);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_open_marks_viewed_for_its_seller_only)
{
    struct shop s;
    shop_open(&s, "Test product");
    json_int_t id = ask_id(&s.buyer, s.product, "Когда будет поставка?");
    /* the author opening it changes nothing */
    struct api_resp *r = get_question(s.buyer.token, id);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_jstr(r->json, "status"), "new");
    api_free(r);
    assert_counts(s.seller.token, 1, 1, 0, 0);
    r = get_question(s.seller.token, id);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_jstr(r->json, "status"), "viewed");
    ck_assert(json_is_null(json_object_get(r->json, "moderation")));
    api_free(r);
    assert_counts(s.seller.token, 1, 0, 1, 0);
    r = get_question(s.buyer.token, id);
    ck_assert_str_eq(api_jstr(r->json, "status"), "viewed");
    api_free(r);
}
END_TEST

START_TEST(test_other_users_question_not_found)
{
    struct shop s;
    struct api_user seller2, buyer2;
    shop_open(&s, "Test product");
    api_new_user(&seller2, "seller");
    api_new_user(&buyer2, "buyer");
    json_int_t id = ask_id(&s.buyer, s.product, "Есть ли гарантия?");
    struct api_resp *r = get_question(seller2.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = get_question(buyer2.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = get_question(s.seller.token, NO_SUCH_ID);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    json_t *items = list(seller2.token, "");
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    /* nobody else's opening changed it */
    r = get_question(s.buyer.token, id);
    ck_assert_str_eq(api_jstr(r->json, "status"), "new");
    api_free(r);
}
END_TEST

START_TEST(test_list_filters_and_paging)
{
    struct shop s;
    shop_open(&s, "Test product");
    json_int_t p2 = api_make_product(&s.seller, 500, 1);
    json_int_t a = ask_id(&s.buyer, s.product, "Первый вопрос?");
    json_int_t b = ask_id(&s.buyer, p2, "Второй вопрос?");
    json_int_t c = ask_id(&s.buyer, s.product, "Третий вопрос?");
    struct api_resp *r = get_question(s.seller.token, b);
    api_free(r);
    json_t *items = list(s.seller.token, "");
    ck_assert_int_eq(json_array_size(items), 3);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), c); /* newest first */
    ck_assert_int_eq(api_jint(json_array_get(items, 2), "id"), a);
    json_decref(items);
    items = list(s.seller.token, "status=viewed");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), b);
    json_decref(items);
    items = list(s.seller.token, "status=new");
    ck_assert_int_eq(json_array_size(items), 2);
    json_decref(items);
    items = list(s.seller.token, "status=processed");
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    char q[128];
    snprintf(q, sizeof q, "product_id=%lld", (long long)p2);
    items = list(s.seller.token, q);
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), b);
    json_decref(items);
    snprintf(q, sizeof q, "sku=%lld", (long long)s.sku);
    items = list(s.seller.token, q);
    ck_assert_int_eq(json_array_size(items), 2);
    json_decref(items);
    /* a product filter names one product: both filters must agree, and it must be the
     * caller's own (another seller's product lists nothing, support sees its questions) */
    snprintf(q, sizeof q, "product_id=%lld&sku=%lld", (long long)p2, (long long)s.sku);
    items = list(s.seller.token, q);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    snprintf(q, sizeof q, "product_id=%lld&status=viewed", (long long)p2);
    items = list(s.seller.token, q);
    ck_assert_int_eq(json_array_size(items), 1);
    json_decref(items);
    struct api_user rival, support;
    api_new_user(&rival, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    snprintf(q, sizeof q, "product_id=%lld", (long long)s.product);
    items = list(rival.token, q);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    snprintf(q, sizeof q, "sku=%lld", (long long)s.sku);
    items = list(rival.token, q);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    items = list(support.token, q);
    ck_assert_int_eq(json_array_size(items), 2);
    json_decref(items);
    /* dates: today (UTC) holds them all, a day long past none */
    char today[16];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    snprintf(q, sizeof q, "date_from=%s&date_to=%s", today, today);
    items = list(s.seller.token, q);
    ck_assert_int_eq(json_array_size(items), 3);
    json_decref(items);
    items = list(s.seller.token, "date_to=2020-01-01");
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    /* pages of one */
    r = api_get("/v1/questions?limit=2", s.seller.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
    const char *cursor = api_str(r, "next_cursor");
    ck_assert_ptr_nonnull(cursor);
    char path[512];
    snprintf(path, sizeof path, "/v1/questions?limit=2&cursor=%s", cursor);
    api_free(r);
    r = api_get(path, s.seller.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "items"), 0), "id"), a);
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    api_free(r);
    /* a cursor belongs to its filters: the unfiltered list's cursor is refused by the
     * status=new list, whose own cursor carries on within it */
    r = api_get("/v1/questions?limit=1", s.seller.token);
    char other[512];
    snprintf(other, sizeof other, "/v1/questions?status=new&limit=1&cursor=%s",
             api_str(r, "next_cursor"));
    api_free(r);
    r = api_get(other, s.seller.token);
    assert_bad_field(r, "cursor");
    api_free(r);
    r = api_get("/v1/questions?status=new&limit=1", s.seller.token);
    ck_assert_status(r, 200);
    snprintf(other, sizeof other, "/v1/questions?status=new&limit=1&cursor=%s",
             api_str(r, "next_cursor"));
    api_free(r);
    r = api_get(other, s.seller.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(r->json, "items"), 0), "status"),
                     "new");
    api_free(r);
}
END_TEST

START_TEST(test_list_rejects_bad_query)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    static const struct {
        const char *query, *field;
    } cases[] = {
        {"status=open", "status"},
        {"date_from=2024-13-01", "date_from"},
        {"date_to=yesterday", "date_to"},
        {"date_from=2024-02-30", "date_from"},
        {"product_id=abc", "product_id"},
        {"sku=-5", "sku"},
        {"limit=0", "limit"},
        {"cursor=zzz", "cursor"},
        {"q=%20%20", "q"},
        {"date_from=2024-05-02&date_to=2024-05-01", "date_to"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "/v1/questions?%s", cases[i].query);
        struct api_resp *r = api_get(path, seller.token);
        assert_bad_field(r, cases[i].field);
        api_free(r);
    }
    struct api_resp *r = api_get("/v1/questions?colour=red", seller.token);
    ck_assert_problem(r, 400, "validation_failed");
    api_free(r);
}
END_TEST

START_TEST(test_search_russian_english_sku_offer_id)
{
    struct shop s;
    shop_open(&s, "Беспроводные наушники");
    json_int_t ru = ask_id(&s.buyer, s.product, "Какой срок доставки в Казань?");
    json_int_t en = ask_id(&s.buyer, s.product, "What warranties do you offer?");
    struct shop other;
    shop_open(&other, "Кофемолка");
    json_int_t elsewhere = ask_id(&other.buyer, other.product, "Какой срок доставки в Казань?");

    json_t *items = search(s.seller.token, "доставка"); /* another form of the word */
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), ru);
    json_decref(items);
    items = search(s.seller.token, "warranty");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), en);
    json_decref(items);
    items = search(s.seller.token, "наушников"); /* the product's name */
    ck_assert_int_eq(json_array_size(items), 2);
    json_decref(items);
    items = search(s.seller.token, "телевизор");
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    char sku[32];
    snprintf(sku, sizeof sku, "%lld", (long long)s.sku);
    items = search(s.seller.token, sku);
    ck_assert_int_eq(json_array_size(items), 2);
    json_decref(items);
    items = search(s.seller.token, s.offer_id);
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert(has_id(items, ru) && has_id(items, en));
    json_decref(items);
    /* search stays within what the caller sees */
    items = search(other.seller.token, "доставки");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), elsewhere);
    json_decref(items);
    items = search(other.seller.token, sku);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
    items = search(s.buyer.token, "доставка");
    ck_assert_int_eq(json_array_size(items), 1);
    json_decref(items);
    /* search combines with the other filters */
    char q[256];
    char *esc = curl_easy_escape(NULL, "доставки", 0);
    snprintf(q, sizeof q, "status=viewed&q=%s", esc);
    curl_free(esc);
    items = list(s.seller.token, q);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
}
END_TEST

START_TEST(test_counts_per_caller)
{
    struct shop s;
    struct api_user buyer2;
    shop_open(&s, "Test product");
    api_new_user(&buyer2, "buyer");
    ask_id(&s.buyer, s.product, "Вопрос один?");
    json_int_t two = ask_id(&buyer2, s.product, "Вопрос два?");
    ask_id(&s.buyer, s.product, FLAGGED_TEXT);
    assert_counts(s.seller.token, 2, 2, 0, 0);
    assert_counts(s.buyer.token, 2, 2, 0, 0);
    assert_counts(buyer2.token, 1, 1, 0, 0);
    struct api_resp *r = get_question(s.seller.token, two);
    api_free(r);
    assert_counts(s.seller.token, 2, 1, 1, 0);
    assert_counts(buyer2.token, 1, 0, 1, 0);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Bulk marking
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_bulk_status_per_item_results)
{
    struct shop s, other;
    shop_open(&s, "Test product");
    shop_open(&other, "Test product");
    json_int_t a = ask_id(&s.buyer, s.product, "Вопрос А?");
    json_int_t b = ask_id(&s.buyer, s.product, "Вопрос Б?");
    json_int_t foreign = ask_id(&other.buyer, other.product, "Чужой вопрос?");
    json_int_t pending = ask_id(&s.buyer, s.product, FLAGGED_TEXT);
    char body[256];
    snprintf(body, sizeof body,
             "{\"question_ids\": [%lld, %lld, %lld, %d, %lld], \"status\": \"viewed\"}",
             (long long)a, (long long)foreign, (long long)b, NO_SUCH_ID, (long long)pending);
    struct api_resp *r = set_status(s.seller.token, body);
    ck_assert_status(r, 200);
    json_t *res = json_object_get(r->json, "results");
    ck_assert_int_eq(json_array_size(res), 5);
    static const char *const expected[] = {"updated", "not_found", "updated", "not_found",
                                           "not_found"};
    json_int_t ids[] = {a, foreign, b, NO_SUCH_ID, pending};
    for (size_t i = 0; i < 5; i++) {
        ck_assert_int_eq(api_jint(json_array_get(res, i), "id"), ids[i]);
        ck_assert_str_eq(api_jstr(json_array_get(res, i), "result"), expected[i]);
    }
    api_free(r);
    assert_counts(s.seller.token, 2, 0, 2, 0);
    assert_counts(other.seller.token, 1, 1, 0, 0);
    /* again: unchanged; and back to new */
    snprintf(body, sizeof body, "{\"question_ids\": [%lld], \"status\": \"viewed\"}", (long long)a);
    r = set_status(s.seller.token, body);
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(r->json, "results"), 0), "result"),
                     "unchanged");
    api_free(r);
    snprintf(body, sizeof body, "{\"question_ids\": [%lld], \"status\": \"new\"}", (long long)a);
    r = set_status(s.seller.token, body);
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(r->json, "results"), 0), "result"),
                     "updated");
    api_free(r);
    assert_counts(s.seller.token, 2, 1, 1, 0);
    /* the pending one was not touched */
    r = get_question(s.buyer.token, pending);
    ck_assert_str_eq(api_jstr(r->json, "status"), "new");
    api_free(r);
}
END_TEST

START_TEST(test_bulk_status_refused_roles_and_bad_input)
{
    struct shop s;
    struct api_user support;
    shop_open(&s, "Test product");
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t a = ask_id(&s.buyer, s.product, "Вопрос?");
    char body[256];
    snprintf(body, sizeof body, "{\"question_ids\": [%lld], \"status\": \"viewed\"}", (long long)a);
    struct api_resp *r = set_status(s.buyer.token, body);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = set_status(support.token, body);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);

    char dup[128], processed[128];
    snprintf(dup, sizeof dup, "{\"question_ids\": [%lld, %lld], \"status\": \"viewed\"}",
             (long long)a, (long long)a);
    snprintf(processed, sizeof processed, "{\"question_ids\": [%lld], \"status\": \"processed\"}",
             (long long)a);
    /* 101 ids */
    char many[1200] = "{\"status\": \"viewed\", \"question_ids\": [";
    for (int i = 1; i <= 101; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "%s%d", i > 1 ? "," : "", i);
    strcat(many, "]}");
    static const char *const fields[] = {"question_ids", "status",       "question_ids",
                                         "question_ids", "question_ids", "status"};
    const char *bodies[] = {dup,
                            processed,
                            "{\"question_ids\": [], \"status\": \"viewed\"}",
                            many,
                            "{\"question_ids\": [\"x\"], \"status\": \"viewed\"}",
                            "{\"question_ids\": [1]}"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        r = set_status(s.seller.token, bodies[i]);
        assert_bad_field(r, fields[i]);
        api_free(r);
    }
    assert_counts(s.seller.token, 1, 1, 0, 0);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The product page
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_product_page_shows_approved_questions_to_everyone)
{
    struct shop s;
    struct api_user buyer2, seller2, support;
    shop_open(&s, "Test product");
    api_new_user(&buyer2, "buyer");
    api_new_user(&seller2, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t a = ask_id(&s.buyer, s.product, "Вопрос для страницы?");
    ask_id(&s.buyer, s.product, FLAGGED_TEXT);
    json_int_t b = ask_id(&buyer2, s.product, "Ещё вопрос?");
    char path[128];
    snprintf(path, sizeof path, "/v1/products/%lld/questions", (long long)s.product);
    const struct api_user *readers[] = {&buyer2, &seller2, &s.seller, &support};
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) {
        struct api_resp *r = api_get(path, readers[i]->token);
        ck_assert_status(r, 200);
        json_t *items = json_object_get(r->json, "items");
        ck_assert_int_eq(json_array_size(items), 2);
        ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), b);
        ck_assert_int_eq(api_jint(json_array_get(items, 1), "id"), a);
        json_t *answers = json_object_get(json_array_get(items, 1), "answers");
        ck_assert(json_is_array(answers) && json_array_size(answers) == 0);
        api_free(r);
    }
    /* the moderation state: only for the author and support */
    struct api_resp *r = api_get(path, buyer2.token);
    ck_assert(json_is_null(
        json_object_get(json_array_get(json_object_get(r->json, "items"), 1), "moderation")));
    ck_assert(json_is_object(
        json_object_get(json_array_get(json_object_get(r->json, "items"), 0), "moderation")));
    api_free(r);
    snprintf(path, sizeof path, "/v1/products/%d/questions", NO_SUCH_ID);
    r = api_get(path, buyer2.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    snprintf(path, sizeof path, "/v1/products/%lld/questions?limit=1", (long long)s.product);
    r = api_get(path, buyer2.token);
    ck_assert_status(r, 200);
    ck_assert_ptr_nonnull(api_str(r, "next_cursor"));
    api_free(r);
    r = api_get(path, NULL);
    ck_assert_status(r, 401);
    api_free(r);
}
END_TEST

Suite *questions_suite(void)
{
    Suite *s = suite_create("questions");
    TCase *ask_tc = api_tcase("ask");
    tcase_add_test(ask_tc, test_ask_clean_question_is_published_at_once);
    tcase_add_test(ask_tc, test_ask_flagged_question_waits_for_moderation);
    tcase_add_test(ask_tc, test_ask_refused_roles);
    tcase_add_test(ask_tc, test_ask_unknown_product_not_found);
    tcase_add_test(ask_tc, test_ask_bad_input_writes_nothing);
    tcase_add_test(ask_tc, test_ask_with_idempotency_key_once);
    suite_add_tcase(s, ask_tc);
    TCase *read = api_tcase("read");
    tcase_add_test(read, test_open_marks_viewed_for_its_seller_only);
    tcase_add_test(read, test_other_users_question_not_found);
    tcase_add_test(read, test_list_filters_and_paging);
    tcase_add_test(read, test_list_rejects_bad_query);
    tcase_add_test(read, test_search_russian_english_sku_offer_id);
    tcase_add_test(read, test_counts_per_caller);
    suite_add_tcase(s, read);
    TCase *bulk = api_tcase("bulk");
    tcase_add_test(bulk, test_bulk_status_per_item_results);
    tcase_add_test(bulk, test_bulk_status_refused_roles_and_bad_input);
    suite_add_tcase(s, bulk);
    TCase *page = api_tcase("product_page");
    tcase_add_test(page, test_product_page_shows_approved_questions_to_everyone);
    suite_add_tcase(s, page);
    return s;
}
