/* API tests of a dispute's thread against the real server: messages of the buyer, the seller
 * and support (POST/GET /v1/disputes/{id}/messages), each side's unread count on the dispute
 * and in GET /v1/notifications/counters ("disputes"), read marks (POST /v1/disputes/{id}/read),
 * attachments, content safety and a closed dispute. Support is one shared side for every
 * support user and every dispute, so its counters are compared as deltas. Part of the suite
 * "disputes" (disputes_test.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispute_fixtures.h"

static struct api_resp *say(const char *token, int64_t id, const char *text)
{
    return dp_post_to(token, id, "/messages", json_pack("{s:s}", "text", text));
}

/* A message as 201, checked against its author (caller decrefs). */
static json_t *said(const struct api_user *u, const char *side, const char *name, int64_t id,
                    const char *text)
{
    struct api_resp *r = say(u->token, id, text);
    ck_assert_status(r, 201);
    json_t *m = json_incref(r->json);
    api_free(r);
    ck_assert_int_gt(api_jint(m, "id"), 0);
    ck_assert_int_eq(api_jint(m, "dispute_id"), id);
    ck_assert_int_eq(api_jint(m, "author_id"), u->id);
    ck_assert_str_eq(api_jstr(m, "author_name"), name);
    ck_assert_str_eq(api_jstr(m, "side"), side);
    ck_assert_str_eq(api_jstr(m, "text"), text);
    ck_assert_int_eq(json_array_size(json_object_get(m, "attachment_ids")), 0);
    assert_timestamp(api_jstr(m, "created_at"));
    return m;
}

static json_int_t unread_on(const char *token, int64_t id)
{
    json_t *d = dp_read(token, id);
    json_int_t n = api_jint(d, "unread_count");
    json_decref(d);
    return n;
}

/* GET /v1/notifications/counters: disputes.threads, disputes.messages. */
static void thread_counters(const char *token, json_int_t *threads, json_int_t *messages)
{
    struct api_resp *r = api_get("/v1/notifications/counters", token);
    ck_assert_status(r, 200);
    const json_t *d = json_object_get(r->json, "disputes");
    ck_assert_msg(json_is_integer(json_object_get(d, "threads")) &&
                      json_is_integer(json_object_get(d, "messages")) && json_object_size(d) == 2,
                  "counters.disputes: %s", r->body);
    *threads = api_jint(d, "threads");
    *messages = api_jint(d, "messages");
    api_free(r);
}

#define assert_thread_counters(token, threads, messages)                                           \
    assert_thread_counters_at(token, threads, messages, __FILE__, __LINE__)
static void assert_thread_counters_at(const char *token, json_int_t threads, json_int_t messages,
                                      const char *file, int line)
{
    json_int_t t, m;
    thread_counters(token, &t, &m);
    ck_assert_msg(t == threads && m == messages,
                  "%s:%d: disputes counters {threads %lld, messages %lld}, expected {%lld, %lld}",
                  file, line, (long long)t, (long long)m, (long long)threads, (long long)messages);
}

static struct api_resp *read_up_to(const char *token, int64_t id, int64_t message)
{
    return dp_post_to(token, id, "/read", json_pack("{s:I}", "up_to_message_id", message));
}

static json_int_t read_ok(const char *token, int64_t id, int64_t message)
{
    struct api_resp *r = read_up_to(token, id, message);
    ck_assert_status(r, 200);
    ck_assert_uint_eq(json_object_size(r->json), 1);
    json_int_t n = api_int(r, "unread_count");
    api_free(r);
    return n;
}

static json_t *thread_of(const char *token, int64_t id, int limit)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/disputes/%lld/messages", (long long)id);
    return rv_walk(token, path, "", limit);
}

/* ---------------------------------------------------------------------------------------------
 * Three sides
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_thread_three_sides)
{
    struct dworld w;
    json_int_t st0, sm0;
    char support_name[128];
    dw_init(&w, 1, "delivered");
    struct api_resp *r = api_get("/v1/me", w.support.token);
    ck_assert_status(r, 200);
    snprintf(support_name, sizeof support_name, "%s", api_str(r, "display_name"));
    api_free(r);
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    thread_counters(w.support.token, &st0, &sm0);

    json_t *m1 = said(&w.buyer, "buyer", "Dana Buyer", id, "Here is what the lid looks like.");
    ck_assert_int_eq(unread_on(w.buyer.token, id), 0);
    ck_assert_int_eq(unread_on(w.seller.token, id), 1);
    ck_assert_int_eq(unread_on(w.support.token, id), 1);
    assert_thread_counters(w.buyer.token, 0, 0);
    assert_thread_counters(w.seller.token, 1, 1);
    assert_thread_counters(w.support.token, st0 + 1, sm0 + 1);

    json_t *m2 = said(&w.seller, "seller", "Kettle Shop", id, "Was the box damaged as well?");
    ck_assert_int_eq(unread_on(w.buyer.token, id), 1);
    ck_assert_int_eq(unread_on(w.seller.token, id), 0);
    ck_assert_int_eq(unread_on(w.support.token, id), 2);
    assert_thread_counters(w.buyer.token, 1, 1);
    assert_thread_counters(w.seller.token, 0, 0);
    assert_thread_counters(w.support.token, st0 + 1, sm0 + 2);

    json_t *m3 = said(&w.support, "support", support_name, id, "We are looking into it.");
    ck_assert_int_eq(unread_on(w.buyer.token, id), 2);
    ck_assert_int_eq(unread_on(w.seller.token, id), 1);
    ck_assert_int_eq(unread_on(w.support.token, id), 0);
    assert_thread_counters(w.buyer.token, 1, 2);
    assert_thread_counters(w.seller.token, 1, 1);
    assert_thread_counters(w.support.token, st0, sm0);
    ck_assert_int_lt(api_jint(m1, "id"), api_jint(m2, "id"));
    ck_assert_int_lt(api_jint(m2, "id"), api_jint(m3, "id"));

    /* newest first, for every party, one a page too */
    const char *tokens[] = {w.buyer.token, w.seller.token, w.support.token};
    for (size_t t = 0; t < 3; t++) {
        for (int limit = 1; limit <= 50; limit += 49) {
            json_t *list = thread_of(tokens[t], id, limit);
            ck_assert_int_eq(json_array_size(list), 3);
            ck_assert_int_eq(api_jint(json_array_get(list, 0), "id"), api_jint(m3, "id"));
            ck_assert_int_eq(api_jint(json_array_get(list, 1), "id"), api_jint(m2, "id"));
            ck_assert_int_eq(api_jint(json_array_get(list, 2), "id"), api_jint(m1, "id"));
            ck_assert_str_eq(api_jstr(json_array_get(list, 1), "side"), "seller");
            ck_assert_str_eq(api_jstr(json_array_get(list, 1), "author_name"), "Kettle Shop");
            ck_assert_str_eq(api_jstr(json_array_get(list, 2), "text"),
                             "Here is what the lid looks like.");
            json_decref(list);
        }
    }
    /* reading changes no count */
    ck_assert_int_eq(unread_on(w.buyer.token, id), 2);

    /* read marks: part of it, then all; never backwards */
    ck_assert_int_eq(read_ok(w.buyer.token, id, api_jint(m2, "id")), 1);
    assert_thread_counters(w.buyer.token, 1, 1);
    ck_assert_int_eq(read_ok(w.buyer.token, id, api_jint(m3, "id")), 0);
    assert_thread_counters(w.buyer.token, 0, 0);
    ck_assert_int_eq(read_ok(w.buyer.token, id, api_jint(m1, "id")), 0);
    ck_assert_int_eq(unread_on(w.buyer.token, id), 0);
    ck_assert_int_eq(read_ok(w.seller.token, id, api_jint(m3, "id")), 0);
    assert_thread_counters(w.seller.token, 0, 0);
    ck_assert_int_eq(unread_on(w.seller.token, id), 0);
    /* a reply after the mark counts again */
    json_decref(said(&w.buyer, "buyer", "Dana Buyer", id, "Yes, the box was crushed."));
    ck_assert_int_eq(unread_on(w.seller.token, id), 1);
    assert_thread_counters(w.seller.token, 1, 1);
    assert_thread_counters(w.support.token, st0 + 1, sm0 + 1);
    json_t *list = thread_of(w.support.token, id, 50);
    ck_assert_int_eq(read_ok(w.support.token, id, api_jint(json_array_get(list, 0), "id")), 0);
    json_decref(list);
    assert_thread_counters(w.support.token, st0, sm0);
    json_decref(m1);
    json_decref(m2);
    json_decref(m3);
}
END_TEST

START_TEST(test_thread_read_refusals)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, "delivered");
    dw_posting(&w, "delivered", pn);
    int64_t a = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    int64_t b = dp_open_id(w.buyer.token, pn, "refund", 0);
    json_t *mb = said(&w.seller, "seller", "Kettle Shop", b, "About the other posting.");
    json_t *ma = said(&w.seller, "seller", "Kettle Shop", a, "About this posting.");
    /* a message of another dispute, none, bad ids */
    struct api_resp *r = read_up_to(w.buyer.token, a, api_jint(mb, "id"));
    assert_field_error(r, "up_to_message_id", "not_found");
    api_free(r);
    r = read_up_to(w.buyer.token, a, RV_NO_SUCH_ID);
    assert_field_error(r, "up_to_message_id", "not_found");
    api_free(r);
    r = dp_post_to(w.buyer.token, a, "/read", json_object());
    assert_field_error(r, "up_to_message_id", "required");
    api_free(r);
    r = dp_post_to(w.buyer.token, a, "/read", json_pack("{s:i}", "up_to_message_id", 0));
    assert_field_error(r, "up_to_message_id", "out_of_range");
    api_free(r);
    r = dp_post_to(w.buyer.token, a, "/read", json_pack("{s:s}", "up_to_message_id", "1"));
    assert_field_error(r, "up_to_message_id", "wrong_type");
    api_free(r);
    r = dp_post_to(w.buyer.token, a, "/read",
                   json_pack("{s:I, s:b}", "up_to_message_id", api_jint(ma, "id"), "all", 1));
    assert_field_error(r, "all", "unknown_field");
    api_free(r);
    /* nothing was marked */
    ck_assert_int_eq(unread_on(w.buyer.token, a), 1);
    ck_assert_int_eq(unread_on(w.buyer.token, b), 1);
    assert_thread_counters(w.buyer.token, 2, 2);
    ck_assert_int_eq(read_ok(w.buyer.token, a, api_jint(ma, "id")), 0);
    assert_thread_counters(w.buyer.token, 1, 1);
    json_decref(ma);
    json_decref(mb);
}
END_TEST

/* Messages refused with 400, nothing stored. */
static const struct {
    const char *body, *field, *code;
} bad_messages[] = {
    {"{}", "text", "required"},
    {"{\"text\":\"\"}", "text", "too_short"},
    {"{\"text\":\"  \\n \"}", "text", "too_short"},
    {"{\"text\":5}", "text", "wrong_type"},
    {"{\"attachment_ids\":[]}", "text", "required"},
    {"{\"text\":\"Hi\",\"attachment_ids\":7}", "attachment_ids", "wrong_type"},
    {"{\"text\":\"Hi\",\"attachment_ids\":[\"1\"]}", "attachment_ids[0]", "wrong_type"},
    {"{\"text\":\"Hi\",\"attachment_ids\":[0]}", "attachment_ids[0]", "wrong_type"},
    {"{\"text\":\"Hi\",\"attachment_ids\":[5,5]}", "attachment_ids[1]", "duplicate"},
    {"{\"text\":\"Hi\",\"attachment_ids\":[1,2,3,4,5,6,7,8,9,10,11]}", "attachment_ids",
     "too_long"},
    {"{\"text\":\"Hi\",\"colour\":\"red\"}", "colour", "unknown_field"},
};

START_TEST(test_thread_bad_messages)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    for (size_t i = 0; i < sizeof bad_messages / sizeof bad_messages[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/disputes/%lld/messages", (long long)id);
        struct api_resp *r = api_post(path, w.buyer.token, bad_messages[i].body);
        ck_assert_msg(r->status == 400 &&
                          api_has_error(r, bad_messages[i].field, bad_messages[i].code),
                      "%s: expected 400 {%s %s}, got %ld: %s", bad_messages[i].body,
                      bad_messages[i].field, bad_messages[i].code, r->status, r->body);
        api_free(r);
    }
    char *text = api_repeat("ж", 2001);
    struct api_resp *r = say(w.buyer.token, id, text);
    assert_field_error(r, "text", "too_long");
    api_free(r);
    free(text);
    /* contacts: refused before anything is stored */
    const char *violations[] = {"Call me on 89161234567, it is faster",
                                "Напишите мне в Telegram, там быстрее отвечу и скину живые фото"};
    for (size_t i = 0; i < 2; i++) {
        r = say(i ? w.seller.token : w.buyer.token, id, violations[i]);
        ck_assert_problem(r, 422, "content_violation");
        api_free(r);
    }
    json_t *list = thread_of(w.support.token, id, 50);
    ck_assert_int_eq(json_array_size(list), 0);
    json_decref(list);
    ck_assert_int_eq(unread_on(w.seller.token, id), 0);
    ck_assert_int_eq(unread_on(w.buyer.token, id), 0);
    assert_thread_counters(w.seller.token, 0, 0);
    /* and the largest text is fine */
    text = api_repeat("ж", 2000);
    r = say(w.buyer.token, id, text);
    ck_assert_status(r, 201);
    api_free(r);
    free(text);
}
END_TEST

START_TEST(test_thread_list_parameters)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    for (int i = 0; i < 3; i++) {
        char text[32];
        snprintf(text, sizeof text, "Message number %d", i + 1);
        json_decref(said(&w.buyer, "buyer", "Dana Buyer", id, text));
    }
    const struct {
        const char *query, *field, *code;
    } bad[] = {
        {"?limit=0", "limit", "out_of_range"},
        {"?limit=101", "limit", "out_of_range"},
        {"?cursor=nope", "cursor", "invalid_cursor"},
        {"?sort=oldest", "sort", "unknown_parameter"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char suffix[64];
        snprintf(suffix, sizeof suffix, "/messages%s", bad[i].query);
        struct api_resp *r = dp_get(w.seller.token, id, suffix);
        assert_field_error(r, bad[i].field, bad[i].code);
        api_free(r);
    }
    /* a cursor of another dispute's thread */
    char pn[40];
    dw_posting(&w, "delivered", pn);
    int64_t other = dp_open_id(w.buyer.token, pn, "refund", 0);
    struct api_resp *r = dp_get(w.seller.token, id, "/messages?limit=1");
    ck_assert_status(r, 200);
    ck_assert_msg(json_is_string(json_object_get(r->json, "next_cursor")), "next_cursor");
    char suffix[600];
    snprintf(suffix, sizeof suffix, "/messages?limit=1&cursor=%s", api_str(r, "next_cursor"));
    api_free(r);
    r = dp_get(w.seller.token, other, suffix);
    assert_field_error(r, "cursor", "invalid_cursor");
    api_free(r);
    r = dp_get(w.seller.token, id, suffix);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(r->json, "items"), 0), "text"),
                     "Message number 2");
    api_free(r);
    /* the default page holds all three */
    r = dp_get(w.seller.token, id, "/messages");
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 3);
    ck_assert_msg(json_is_null(json_object_get(r->json, "next_cursor")), "next_cursor");
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(r->json, "items"), 0), "text"),
                     "Message number 3");
    api_free(r);
}
END_TEST

START_TEST(test_thread_attachments)
{
    struct dworld w;
    struct api_user stranger;
    dw_init(&w, 1, "delivered");
    api_new_user(&stranger, "seller");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    int64_t photo = rv_upload(w.buyer.token, "image/jpeg");
    int64_t invoice = rv_upload(w.seller.token, "application/pdf");
    int64_t foreign = rv_upload(stranger.token, "image/png");
    ck_assert_int_eq(dp_file_status(w.seller.token, photo), 404);

    /* someone else's file: refused, nothing stored */
    struct api_resp *r = dp_post_to(
        w.buyer.token, id, "/messages",
        json_pack("{s:s, s:[I]}", "text", "See this", "attachment_ids", (json_int_t)foreign));
    assert_field_error(r, "attachment_ids", "not_found");
    api_free(r);
    r = dp_post_to(w.buyer.token, id, "/messages",
                   json_pack("{s:[I]}", "attachment_ids", (json_int_t)invoice));
    assert_field_error(r, "attachment_ids", "not_found");
    api_free(r);
    json_t *list = thread_of(w.buyer.token, id, 50);
    ck_assert_int_eq(json_array_size(list), 0);
    json_decref(list);
    ck_assert_int_eq(dp_file_status(w.buyer.token, invoice), 404);

    /* own files: a photo alone, a document with a text */
    r = dp_post_to(w.buyer.token, id, "/messages",
                   json_pack("{s:[I]}", "attachment_ids", (json_int_t)photo));
    ck_assert_status(r, 201);
    ck_assert_msg(json_is_null(json_object_get(r->json, "text")), "text null: %s", r->body);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "attachment_ids")), 1);
    ck_assert_int_eq(
        json_integer_value(json_array_get(json_object_get(r->json, "attachment_ids"), 0)), photo);
    api_free(r);
    r = dp_post_to(w.seller.token, id, "/messages",
                   json_pack("{s:s, s:[I]}", "text", "The shipping invoice", "attachment_ids",
                             (json_int_t)invoice));
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "text"), "The shipping invoice");
    api_free(r);
    /* the parties and support download them; nobody else */
    ck_assert_int_eq(dp_file_status(w.seller.token, photo), 200);
    ck_assert_int_eq(dp_file_status(w.support.token, photo), 200);
    ck_assert_int_eq(dp_file_status(w.buyer.token, invoice), 200);
    ck_assert_int_eq(dp_file_status(w.support.token, invoice), 200);
    ck_assert_int_eq(dp_file_status(stranger.token, photo), 404);
    ck_assert_int_eq(dp_file_status(stranger.token, invoice), 404);
    ck_assert_int_eq(unread_on(w.support.token, id), 2);
}
END_TEST

START_TEST(test_thread_idempotent)
{
    struct dworld w;
    char key[64], header[128], path[64];
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    snprintf(path, sizeof path, "/v1/disputes/%lld/messages", (long long)id);
    snprintf(header, sizeof header, "Idempotency-Key: %s", api_unique("dm-", key, sizeof key));
    const char *body = "{\"text\":\"Any news?\"}";
    struct api_resp *a = api_request("POST", path, w.buyer.token, body, NULL, header);
    ck_assert_status(a, 201);
    struct api_resp *b = api_request("POST", path, w.buyer.token, body, NULL, header);
    ck_assert_status(b, 201);
    ck_assert_int_eq(api_int(b, "id"), api_int(a, "id"));
    struct api_resp *c =
        api_request("POST", path, w.buyer.token, "{\"text\":\"Other\"}", NULL, header);
    ck_assert_problem(c, 422, "idempotency_key_reused");
    json_t *list = thread_of(w.buyer.token, id, 50);
    ck_assert_int_eq(json_array_size(list), 1);
    json_decref(list);
    ck_assert_int_eq(unread_on(w.seller.token, id), 1);
    api_free(a);
    api_free(b);
    api_free(c);
}
END_TEST

START_TEST(test_thread_rate_limit)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, "delivered");
    dw_posting(&w, "delivered", pn);
    int64_t a = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    int64_t b = dp_open_id(w.buyer.token, pn, "refund", 0);
    /* 30 a minute per user, over all the user's disputes */
    for (int i = 0; i < 30; i++) {
        char text[32];
        snprintf(text, sizeof text, "Update number %d", i + 1);
        struct api_resp *r = say(w.buyer.token, i < 20 ? a : b, text);
        ck_assert_msg(r->status == 201, "message %d: %ld %s", i + 1, r->status, r->body);
        api_free(r);
    }
    struct api_resp *r = say(w.buyer.token, a, "One too many");
    ck_assert_problem(r, 429, "rate_limited");
    char *retry = api_header(r, "Retry-After");
    ck_assert_msg(retry && atoi(retry) >= 1 && atoi(retry) <= 60, "Retry-After: %s",
                  retry ? retry : "(none)");
    free(retry);
    api_free(r);
    json_t *list = thread_of(w.seller.token, a, 100);
    ck_assert_int_eq(json_array_size(list), 20);
    json_decref(list);
    ck_assert_int_eq(unread_on(w.seller.token, a), 20);
    /* the seller has a budget of its own */
    json_decref(said(&w.seller, "seller", "Kettle Shop", a, "Please stop, we read you."));
}
END_TEST

START_TEST(test_thread_of_closed_dispute)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    json_t *m = said(&w.seller, "seller", "Kettle Shop", id, "We will send a new lid.");
    dp_drive(&w, id, "accepted");
    const char *tokens[] = {w.buyer.token, w.seller.token, w.support.token};
    for (size_t i = 0; i < 3; i++) {
        struct api_resp *r = say(tokens[i], id, "One more thing");
        ck_assert_problem(r, 409, "dispute_closed");
        api_free(r);
    }
    /* it can still be read, and marked read */
    json_t *list = thread_of(w.buyer.token, id, 50);
    ck_assert_int_eq(json_array_size(list), 1);
    json_decref(list);
    ck_assert_int_eq(unread_on(w.buyer.token, id), 1);
    ck_assert_int_eq(read_ok(w.buyer.token, id, api_jint(m, "id")), 0);
    json_decref(m);
}
END_TEST

void dispute_thread_tcases(Suite *s)
{
    TCase *tc = api_tcase("thread");
    tcase_add_test(tc, test_thread_three_sides);
    tcase_add_test(tc, test_thread_read_refusals);
    tcase_add_test(tc, test_thread_bad_messages);
    tcase_add_test(tc, test_thread_list_parameters);
    tcase_add_test(tc, test_thread_attachments);
    tcase_add_test(tc, test_thread_idempotent);
    tcase_add_test(tc, test_thread_rate_limit);
    tcase_add_test(tc, test_thread_of_closed_dispute);
    suite_add_tcase(s, tc);
}
