/* API tests of disputes against the real server: opening one (POST /v1/disputes) with every
 * rule of its body, the postings that may be disputed, one open dispute a posting and
 * Idempotency-Key. Media and who may read a dispute are in dispute_access_test.c, the moves
 * in dispute_actions_test.c, concurrent requests in dispute_races_test.c, the lists and counts
 * in dispute_lists_test.c, the thread in dispute_thread_test.c; all of them make the one
 * suite "disputes". The deadlines need a server of their own: dispute_deadlines_test.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispute_fixtures.h"

/* an item as bought: no promotion here, so what the units cost is quantity x price */
static void assert_item(const json_t *items, size_t i, int64_t product, const char *name,
                        json_int_t quantity, json_int_t price)
{
    const json_t *it = json_array_get(items, i);
    char *dump = json_dumps(items, JSON_COMPACT);
    ck_assert_msg(json_is_object(it) && api_jint(it, "product_id") == product &&
                      api_jstr(it, "name") && strcmp(api_jstr(it, "name"), name) == 0 &&
                      api_jint(it, "quantity") == quantity && api_jint(it, "price") == price &&
                      api_jint(it, "paid") == quantity * price && json_object_size(it) == 5,
                  "items[%zu] expected {%lld, %s, %lld x %lld}: %s", i, (long long)product, name,
                  (long long)quantity, (long long)price, dump);
    free(dump);
}

/* ---------------------------------------------------------------------------------------------
 * Opening
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_open_and_read)
{
    struct dworld w;
    dw_init(&w, 2, "delivered");
    json_t *d = dp_open(w.buyer.token, w.pn, "refund", 0);
    int64_t id = api_jint(d, "id");
    ck_assert_int_gt(id, 0);
    ck_assert_str_eq(api_jstr(d, "posting_number"), w.pn);
    ck_assert_int_eq(api_jint(d, "buyer_id"), w.buyer.id);
    ck_assert_int_eq(api_jint(d, "seller_id"), w.seller.id);
    ck_assert_str_eq(dp_state(d), "awaiting_seller");
    ck_assert_msg(json_is_true(json_object_get(d, "open")), "open");
    ck_assert_msg(json_is_false(json_object_get(d, "overdue")), "overdue");
    ck_assert_str_eq(api_jstr(d, "reason"), "damaged");
    ck_assert_str_eq(api_jstr(d, "text"), DP_TEXT);
    ck_assert_str_eq(api_jstr(d, "requested"), "refund");
    /* a refund without an amount is all that was paid: 1 x 1000 + 2 x 2000 */
    ck_assert_int_eq(api_jint(d, "paid"), 5000);
    ck_assert_int_eq(api_jint(d, "amount"), 5000);
    json_t *items = json_object_get(d, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    assert_item(items, 0, w.product[0], "Kettle part 1", 1, 1000);
    assert_item(items, 1, w.product[1], "Kettle part 2", 2, 2000);
    ck_assert_msg(json_is_array(json_object_get(d, "media")) &&
                      json_array_size(json_object_get(d, "media")) == 0,
                  "media");
    ck_assert_msg(json_is_null(json_object_get(d, "offer")), "offer");
    ck_assert_msg(json_is_null(json_object_get(d, "rejection")), "rejection");
    ck_assert_msg(json_is_null(json_object_get(d, "resolution")), "resolution");
    ck_assert_msg(json_is_null(json_object_get(d, "closed_at")), "closed_at");
    ck_assert_int_eq(api_jint(d, "unread_count"), 0);
    assert_timestamp(api_jstr(d, "created_at"));
    assert_timestamp(api_jstr(d, "updated_at"));
    assert_timestamp(api_jstr(d, "deadline"));
    /* the seller has the default 72 hours to answer */
    long long left =
        (long long)(dp_time(api_jstr(d, "deadline")) - dp_time(api_jstr(d, "created_at")));
    ck_assert_msg(left >= 72 * 3600 - 2 && left <= 72 * 3600 + 2, "deadline %lld s after", left);
    /* the opening is the history's first entry */
    ck_assert_int_eq(dp_history_len(d), 1);
    assert_event(d, 0, "buyer", "open", NULL, "awaiting_seller", 5000);
    const json_t *ev = json_array_get(json_object_get(d, "history"), 0);
    ck_assert_int_eq(api_jint(ev, "actor_id"), w.buyer.id);
    ck_assert_str_eq(api_jstr(ev, "reason"), "damaged");
    ck_assert_str_eq(api_jstr(ev, "text"), DP_TEXT);
    assert_actions(d, "withdraw");
    ck_assert_uint_eq(json_object_size(d), 24);

    /* each party reads the same dispute with its own actions */
    const struct {
        const struct api_user *who;
        const char *actions;
    } readers[] = {{&w.buyer, "withdraw"}, {&w.seller, "accept,offer,reject"}, {&w.support, ""}};
    for (size_t i = 0; i < sizeof readers / sizeof readers[0]; i++) {
        json_t *g = dp_read(readers[i].who->token, id);
        ck_assert_int_eq(api_jint(g, "id"), id);
        ck_assert_str_eq(dp_state(g), "awaiting_seller");
        ck_assert_str_eq(api_jstr(g, "deadline"), api_jstr(d, "deadline"));
        ck_assert_int_eq(api_jint(g, "amount"), 5000);
        ck_assert_int_eq(dp_history_len(g), 1);
        assert_event(g, 0, "buyer", "open", NULL, "awaiting_seller", 5000);
        assert_actions(g, readers[i].actions);
        json_decref(g);
    }
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 1);
    json_decref(d);
}
END_TEST

START_TEST(test_open_chosen_items)
{
    struct dworld w;
    dw_init(&w, 3, "delivered");
    /* two of the three products, fewer of one than were bought: 2 x 3000 + 1 x 1000 */
    json_t *body = dp_body(w.pn, "partial_refund", 6999);
    json_object_set_new(body, "items",
                        json_pack("[{s:I, s:i}, {s:I, s:i}]", "product_id",
                                  (json_int_t)w.product[2], "quantity", 2, "product_id",
                                  (json_int_t)w.product[0], "quantity", 1));
    struct api_resp *r = dp_post(w.buyer.token, body, NULL);
    ck_assert_status(r, 201);
    ck_assert_int_eq(api_int(r, "paid"), 7000);
    ck_assert_int_eq(api_int(r, "amount"), 6999);
    ck_assert_str_eq(api_str(r, "requested"), "partial_refund");
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    assert_item(items, 0, w.product[0], "Kettle part 1", 1, 1000);
    assert_item(items, 1, w.product[2], "Kettle part 3", 2, 3000);
    int64_t first = api_int(r, "id");
    api_free(r);
    json_decref(dp_act_ok(w.buyer.token, first, "withdraw", NULL));

    /* a refund of one product without an amount: what it cost */
    body = dp_body(w.pn, "refund", 0);
    json_object_set_new(
        body, "items",
        json_pack("[{s:I, s:i}]", "product_id", (json_int_t)w.product[1], "quantity", 2));
    r = dp_post(w.buyer.token, body, NULL);
    ck_assert_status(r, 201);
    ck_assert_int_eq(api_int(r, "paid"), 4000);
    ck_assert_int_eq(api_int(r, "amount"), 4000);
    assert_item(json_object_get(r->json, "items"), 0, w.product[1], "Kettle part 2", 2, 2000);
    ck_assert_int_ne(api_int(r, "id"), first);
    api_free(r);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 2);
}
END_TEST

START_TEST(test_open_amount_by_request)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    /* a partial refund needs its amount, a replacement has none, no one asks more than paid */
    struct api_resp *r = dp_post(w.buyer.token, dp_body(w.pn, "partial_refund", 0), NULL);
    assert_field_error(r, "amount", "required");
    api_free(r);
    r = dp_post(w.buyer.token, dp_body(w.pn, "replacement", 500), NULL);
    assert_field_error(r, "amount", "not_allowed");
    api_free(r);
    r = dp_post(w.buyer.token, dp_body(w.pn, "refund", 1001), NULL);
    assert_field_error(r, "amount", "too_large");
    api_free(r);
    r = dp_post(w.buyer.token, dp_body(w.pn, "partial_refund", 1001), NULL);
    assert_field_error(r, "amount", "too_large");
    api_free(r);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);

    /* a replacement: amount null; then a refund of exactly what was paid */
    json_t *d = dp_open(w.buyer.token, w.pn, "replacement", 0);
    ck_assert_msg(json_is_null(json_object_get(d, "amount")), "amount of a replacement");
    ck_assert_int_eq(api_jint(d, "paid"), 1000);
    assert_event(d, 0, "buyer", "open", NULL, "awaiting_seller", -1);
    json_decref(dp_act_ok(w.buyer.token, api_jint(d, "id"), "withdraw", NULL));
    json_decref(d);
    d = dp_open(w.buyer.token, w.pn, "partial_refund", 1000);
    ck_assert_int_eq(api_jint(d, "amount"), 1000);
    json_decref(d);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 2);
}
END_TEST

/* Bodies refused with 400 and the field they name; %s is the posting number. */
static const struct {
    const char *body, *field, *code;
} bad_bodies[] = {
    {"{\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":\"refund\"}", "posting_number",
     "required"},
    {"{\"posting_number\":\"\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\"}",
     "posting_number", "too_short"},
    {"{\"posting_number\":\"123456789012345678901234567890123\",\"reason\":\"damaged\",\"text\":"
     "\"Broken\",\"requested\":\"refund\"}",
     "posting_number", "too_long"},
    {"{\"posting_number\":7,\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":\"refund\"}",
     "posting_number", "wrong_type"},
    {"{\"posting_number\":\"%s\",\"text\":\"Broken\",\"requested\":\"refund\"}", "reason",
     "required"},
    {"{\"posting_number\":\"%s\",\"reason\":\"broken\",\"text\":\"Broken\",\"requested\":"
     "\"refund\"}",
     "reason", "invalid_enum"},
    {"{\"posting_number\":\"%s\",\"reason\":5,\"text\":\"Broken\",\"requested\":\"refund\"}",
     "reason", "wrong_type"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"requested\":\"refund\"}", "text",
     "required"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"\",\"requested\":\"refund\"}",
     "text", "too_short"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\" \\n\\t \",\"requested\":"
     "\"refund\"}",
     "text", "too_short"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\"}", "requested",
     "required"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"money_back\"}",
     "requested", "invalid_enum"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"priority\":\"high\"}",
     "priority", "unknown_field"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"amount\":\"100\"}",
     "amount", "wrong_type"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"amount\":0}",
     "amount", "out_of_range"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"partial_refund\",\"amount\":-5}",
     "amount", "out_of_range"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"items\":[]}",
     "items", "too_short"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"items\":{}}",
     "items", "wrong_type"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"items\":[5]}",
     "items[0]", "wrong_type"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"items\":[{\"quantity\":1}]}",
     "items[0].product_id", "required"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"items\":[{\"product_id\":0,\"quantity\":1}]}",
     "items[0].product_id", "out_of_range"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"items\":[{\"product_id\":1,\"quantity\":0}]}",
     "items[0].quantity", "out_of_range"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"items\":[{\"product_id\":1,\"quantity\":1000001}]}",
     "items[0].quantity", "out_of_range"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"items\":[{\"product_id\":1,\"quantity\":1,\"colour\":\"red\"}]}",
     "items[0].colour", "unknown_field"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"media\":5}",
     "media", "wrong_type"},
    {"{\"posting_number\":\"%s\",\"reason\":\"damaged\",\"text\":\"Broken\",\"requested\":"
     "\"refund\",\"media\":[1,2,3,4,5,6,7,8,9,10,11,12]}",
     "media", "too_long"},
};

START_TEST(test_open_bad_body)
{
    struct dworld w;
    char body[512];
    dw_init(&w, 1, "delivered");
    snprintf(body, sizeof body, bad_bodies[_i].body, w.pn);
    struct api_resp *r = api_post("/v1/disputes", w.buyer.token, body);
    assert_field_error(r, bad_bodies[_i].field, bad_bodies[_i].code);
    api_free(r);
    /* a text over 5,000 characters (2 bytes each) */
    char *text = api_repeat("ж", 5001);
    json_t *b = dp_body(w.pn, "refund", 0);
    json_object_set_new(b, "text", json_string(text));
    r = dp_post(w.buyer.token, b, NULL);
    assert_field_error(r, "text", "too_long");
    api_free(r);
    free(text);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);
    ck_assert_uint_eq(dp_tab_items(w.seller.token), 0);
}
END_TEST

START_TEST(test_open_not_json)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    struct api_resp *r = api_post("/v1/disputes", w.buyer.token, "{\"posting_number\":");
    ck_assert_int_eq(r->status, 400);
    api_free(r);
    r = api_post("/v1/disputes", w.buyer.token, "[]");
    ck_assert_int_eq(r->status, 400);
    api_free(r);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);
}
END_TEST

START_TEST(test_open_item_errors)
{
    struct dworld w, other;
    dw_init(&w, 2, "delivered");
    dw_init(&other, 1, "delivered");
    const struct {
        json_t *items;
        const char *field, *code;
    } cases[] = {
        /* a product of another posting */
        {json_pack("[{s:I, s:i}]", "product_id", (json_int_t)other.product[0], "quantity", 1),
         "items[0]", "not_found"},
        {json_pack("[{s:I, s:i}, {s:I, s:i}]", "product_id", (json_int_t)w.product[0], "quantity",
                   1, "product_id", (json_int_t)w.product[0], "quantity", 1),
         "items[1]", "duplicate"},
        /* two of the second product were bought */
        {json_pack("[{s:I, s:i}]", "product_id", (json_int_t)w.product[1], "quantity", 3),
         "items[0]", "too_many"},
        {json_pack("[{s:I, s:i}, {s:I, s:i}, {s:I, s:i}]", "product_id", (json_int_t)w.product[0],
                   "quantity", 1, "product_id", (json_int_t)RV_NO_SUCH_ID, "quantity", 1,
                   "product_id", (json_int_t)w.product[1], "quantity", 5),
         "items[1]", "not_found"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *b = dp_body(w.pn, "refund", 0);
        json_object_set_new(b, "items", cases[i].items);
        struct api_resp *r = dp_post(w.buyer.token, b, NULL);
        assert_field_error(r, cases[i].field, cases[i].code);
        if (i == 3)
            assert_field_error(r, "items[2]", "too_many");
        api_free(r);
    }
    /* the amount is judged against the chosen items: 1000 for the first product */
    json_t *b = dp_body(w.pn, "partial_refund", 1001);
    json_object_set_new(
        b, "items",
        json_pack("[{s:I, s:i}]", "product_id", (json_int_t)w.product[0], "quantity", 1));
    struct api_resp *r = dp_post(w.buyer.token, b, NULL);
    assert_field_error(r, "amount", "too_large");
    api_free(r);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);
}
END_TEST

START_TEST(test_open_content_violation)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    const char *texts[] = {
        "The lid is cracked, call me 89161234567 to sort it out",
        "Напишите мне в Telegram, там быстрее отвечу и скину живые фото",
        "ватсап 89164821735, пишите туда",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        json_t *b = dp_body(w.pn, "refund", 0);
        json_object_set_new(b, "text", json_string(texts[i]));
        struct api_resp *r = dp_post(w.buyer.token, b, NULL);
        ck_assert_problem(r, 422, "content_violation");
        ck_assert_msg(json_array_size(json_object_get(r->json, "violations")) > 0, "violations: %s",
                      r->body);
        api_free(r);
    }
    /* nothing was written, nobody was told */
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);
    json_t *list = dp_list(w.seller.token, "", 100);
    ck_assert_int_eq(json_array_size(list), 0);
    json_decref(list);
    ck_assert_uint_eq(dp_tab_items(w.seller.token), 0);
}
END_TEST

START_TEST(test_open_who_and_what)
{
    struct dworld w, other;
    dw_init(&w, 1, "delivered");
    dw_init(&other, 1, "delivered");
    /* only a buyer opens one */
    struct api_resp *r = dp_post(w.seller.token, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = dp_post(w.support.token, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = dp_post(NULL, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    /* on the buyer's own posting only */
    r = dp_post(other.buyer.token, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = dp_post(w.buyer.token, dp_body("99999999-0001", "refund", 0), NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);
    ck_assert_uint_eq(dp_list_size(other.buyer.token, ""), 0);
}
END_TEST

START_TEST(test_open_posting_states)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, NULL);
    /* awaiting packaging */
    struct api_resp *r = dp_post(w.buyer.token, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 409, "not_disputable");
    api_free(r);
    /* handed to delivery just now: expected within 7 days */
    rv_move(w.seller.token, w.pn, "delivering");
    r = dp_post(w.buyer.token, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 409, "not_yet_due");
    api_free(r);
    /* cancelled by the buyer, refused at pickup */
    dw_posting(&w, NULL, pn);
    rv_move(w.buyer.token, pn, "cancelled");
    r = dp_post(w.buyer.token, dp_body(pn, "refund", 0), NULL);
    ck_assert_problem(r, 409, "not_disputable");
    api_free(r);
    dw_posting(&w, "refused", pn);
    r = dp_post(w.buyer.token, dp_body(pn, "refund", 0), NULL);
    ck_assert_problem(r, 409, "not_disputable");
    api_free(r);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);
    /* delivered: yes */
    rv_move(w.seller.token, w.pn, "delivered");
    json_decref(dp_open(w.buyer.token, w.pn, "refund", 0));
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 1);
}
END_TEST

START_TEST(test_open_one_at_a_time)
{
    struct dworld w;
    char pn2[40];
    dw_init(&w, 1, "delivered");
    int64_t first = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    struct api_resp *r = dp_post(w.buyer.token, dp_body(w.pn, "replacement", 0), NULL);
    ck_assert_problem(r, 409, "dispute_exists");
    ck_assert_int_eq(api_int(r, "dispute_id"), first);
    api_free(r);
    /* another posting of the same buyer is another matter */
    dw_posting(&w, "delivered", pn2);
    int64_t other = dp_open_id(w.buyer.token, pn2, "refund", 0);
    ck_assert_int_ne(other, first);
    /* once the first is closed, a new one may be opened */
    json_decref(dp_act_ok(w.buyer.token, first, "withdraw", NULL));
    json_t *d = dp_open(w.buyer.token, w.pn, "replacement", 0);
    int64_t second = api_jint(d, "id");
    ck_assert_int_gt(second, first);
    ck_assert_str_eq(dp_state(d), "awaiting_seller");
    ck_assert_int_eq(dp_history_len(d), 1);
    json_decref(d);
    /* and it blocks the next one in turn; the first stays as it was */
    r = dp_post(w.buyer.token, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 409, "dispute_exists");
    ck_assert_int_eq(api_int(r, "dispute_id"), second);
    api_free(r);
    d = dp_read(w.buyer.token, first);
    ck_assert_str_eq(dp_state(d), "withdrawn");
    json_decref(d);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 3);
}
END_TEST

START_TEST(test_open_idempotent)
{
    struct dworld w;
    char key[64], header[128];
    dw_init(&w, 1, "delivered");
    snprintf(header, sizeof header, "Idempotency-Key: %s", api_unique("dp-", key, sizeof key));
    struct api_resp *a = dp_post(w.buyer.token, dp_body(w.pn, "refund", 0), header);
    ck_assert_status(a, 201);
    char *replayed = api_header(a, "Idempotent-Replayed");
    ck_assert_msg(replayed == NULL, "the first answer is not a replay");
    struct api_resp *b = dp_post(w.buyer.token, dp_body(w.pn, "refund", 0), header);
    ck_assert_status(b, 201);
    replayed = api_header(b, "Idempotent-Replayed");
    ck_assert_msg(replayed && strcmp(replayed, "true") == 0, "Idempotent-Replayed: %s",
                  replayed ? replayed : "(none)");
    free(replayed);
    ck_assert_int_eq(api_int(b, "id"), api_int(a, "id"));
    ck_assert_str_eq(api_str(b, "state"), "awaiting_seller");
    /* the same key with another body */
    struct api_resp *c = dp_post(w.buyer.token, dp_body(w.pn, "replacement", 0), header);
    ck_assert_problem(c, 422, "idempotency_key_reused");
    api_free(c);
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 1);
    ck_assert_int_eq(dp_notified(w.seller.token, "dispute.opened", api_int(a, "id")), 1);
    api_free(a);
    api_free(b);
}
END_TEST

Suite *disputes_suite(void)
{
    Suite *s = suite_create("disputes");
    TCase *tc = api_tcase("open");
    tcase_add_test(tc, test_open_and_read);
    tcase_add_test(tc, test_open_chosen_items);
    tcase_add_test(tc, test_open_amount_by_request);
    tcase_add_loop_test(tc, test_open_bad_body, 0, N_CASES(bad_bodies));
    tcase_add_test(tc, test_open_not_json);
    tcase_add_test(tc, test_open_item_errors);
    tcase_add_test(tc, test_open_content_violation);
    tcase_add_test(tc, test_open_who_and_what);
    tcase_add_test(tc, test_open_posting_states);
    tcase_add_test(tc, test_open_one_at_a_time);
    tcase_add_test(tc, test_open_idempotent);
    suite_add_tcase(s, tc);
    dispute_access_tcases(s);
    dispute_actions_tcases(s);
    dispute_races_tcases(s);
    dispute_lists_tcases(s);
    dispute_thread_tcases(s);
    return s;
}
