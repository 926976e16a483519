/* API tests of the anti-fraud switch (PUT/GET/DELETE /v1/users/{id}/chat-restriction) against
 * the real server: support only, replaces, expires, refuses support targets and bad input
 * without writing anything. Whether a restricted user can still chat is the chat core's test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"
#define FAR_FUTURE    "2099-01-01T00:00:00Z"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

static const char *cr_path(json_int_t user_id)
{
    static char path[96];
    snprintf(path, sizeof path, "/v1/users/%lld/chat-restriction", (long long)user_id);
    return path;
}

static struct api_resp *cr_put(const char *token, json_int_t user_id, const char *body)
{
    return api_request("PUT", cr_path(user_id), token, body, NULL, NULL);
}

static struct api_resp *cr_delete(const char *token, json_int_t user_id)
{
    return api_request("DELETE", cr_path(user_id), token, NULL, NULL, NULL);
}

/* The restriction object: exactly its six members with the given values (until NULL: null). */
static void assert_restriction(const json_t *r, json_int_t user_id, const char *reason,
                               const char *until, json_int_t by, int active)
{
    char *dump = json_dumps(r, JSON_COMPACT);
    ck_assert_msg(json_object_size(r) == 6, "expected 6 members: %s", dump);
    ck_assert_msg(api_jint(r, "user_id") == user_id, "user_id: %s", dump);
    ck_assert_msg(api_jstr(r, "reason") && strcmp(api_jstr(r, "reason"), reason) == 0, "reason: %s",
                  dump);
    if (until)
        ck_assert_msg(api_jstr(r, "until") && strcmp(api_jstr(r, "until"), until) == 0,
                      "until should be %s: %s", until, dump);
    else
        ck_assert_msg(json_is_null(json_object_get(r, "until")), "until should be null: %s", dump);
    ck_assert_msg(api_jint(r, "created_by") == by, "created_by: %s", dump);
    assert_timestamp(api_jstr(r, "created_at"));
    ck_assert_msg(json_is_boolean(json_object_get(r, "active")) &&
                      json_is_true(json_object_get(r, "active")) == !!active,
                  "active should be %d: %s", active, dump);
    free(dump);
}

/* GET as support: the 200 body (caller decrefs), or NULL after asserting 404. */
static json_t *cr_fetch(const struct api_user *support, json_int_t user_id)
{
    struct api_resp *r = api_get(cr_path(user_id), support->token);
    json_t *out = NULL;
    if (r->status == 404)
        ck_assert_problem(r, 404, "not_found");
    else {
        ck_assert_status(r, 200);
        out = json_incref(r->json);
    }
    api_free(r);
    return out;
}

static void assert_no_restriction(const struct api_user *support, json_int_t user_id)
{
    json_t *r = cr_fetch(support, user_id);
    char *dump = r ? json_dumps(r, JSON_COMPACT) : NULL;
    ck_assert_msg(r == NULL, "expected no restriction, got %s", dump);
    free(dump);
}

/* ---------------------------------------------------------------------------------------------
 * Tests
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_put_get_delete)
{
    struct api_user support, buyer;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    assert_no_restriction(&support, buyer.id);
    struct api_resp *r = cr_put(support.token, buyer.id,
                                "{\"reason\": \"Asked buyers to pay outside the platform\","
                                " \"until\": \"" FAR_FUTURE "\"}");
    ck_assert_status(r, 200);
    assert_restriction(r->json, buyer.id, "Asked buyers to pay outside the platform", FAR_FUTURE,
                       support.id, 1);
    json_t *got = cr_fetch(&support, buyer.id);
    ck_assert_msg(got && json_equal(got, r->json), "GET differs from the PUT answer");
    json_decref(got);
    api_free(r);
    r = cr_delete(support.token, buyer.id);
    ck_assert_status(r, 204);
    ck_assert_uint_eq(r->body_len, 0);
    api_free(r);
    assert_no_restriction(&support, buyer.id);
    r = cr_delete(support.token, buyer.id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

/* Without until it lasts until lifted; an offset is normalised to UTC; a second PUT replaces
 * the first. Sellers can be restricted too. */
START_TEST(test_put_replaces)
{
    struct api_user support, seller;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&seller, "seller");
    struct api_resp *r =
        cr_put(support.token, seller.id, "{\"reason\": \"Luring buyers to a messenger\"}");
    ck_assert_status(r, 200);
    assert_restriction(r->json, seller.id, "Luring buyers to a messenger", NULL, support.id, 1);
    api_free(r);
    r = cr_put(support.token, seller.id,
               "{\"reason\": \"Second look: a week is enough\","
               " \"until\": \"2099-01-01T03:00:00.250+03:00\"}");
    ck_assert_status(r, 200);
    assert_restriction(r->json, seller.id, "Second look: a week is enough", FAR_FUTURE, support.id,
                       1);
    api_free(r);
    json_t *got = cr_fetch(&support, seller.id);
    ck_assert_ptr_nonnull(got);
    assert_restriction(got, seller.id, "Second look: a week is enough", FAR_FUTURE, support.id, 1);
    json_decref(got);
    /* until: null is "until lifted" */
    r = cr_put(support.token, seller.id, "{\"reason\": \"Back to indefinite\", \"until\": null}");
    ck_assert_status(r, 200);
    assert_restriction(r->json, seller.id, "Back to indefinite", NULL, support.id, 1);
    api_free(r);
}
END_TEST

/* Once until passes the restriction is still there, but no longer active. */
START_TEST(test_expired_restriction_inactive)
{
    struct api_user support, buyer;
    char body[160], until[32];
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    time_t t = time(NULL) + 2;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", &tm);
    snprintf(body, sizeof body, "{\"reason\": \"Short cool-down\", \"until\": \"%s\"}", until);
    struct api_resp *r = cr_put(support.token, buyer.id, body);
    ck_assert_status(r, 200);
    assert_restriction(r->json, buyer.id, "Short cool-down", until, support.id, 1);
    api_free(r);
    sleep(3);
    json_t *got = cr_fetch(&support, buyer.id);
    ck_assert_ptr_nonnull(got);
    assert_restriction(got, buyer.id, "Short cool-down", until, support.id, 0);
    json_decref(got);
    /* an expired one can still be lifted */
    r = cr_delete(support.token, buyer.id);
    ck_assert_status(r, 204);
    api_free(r);
}
END_TEST

START_TEST(test_buyers_and_sellers_refused)
{
    struct api_user support, target, buyer, seller;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&target, "buyer");
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    const struct api_user *callers[] = {&buyer, &seller};
    for (size_t i = 0; i < 2; i++) {
        const char *tok = callers[i]->token;
        struct api_resp *r[] = {
            cr_put(tok, target.id, "{\"reason\": \"I do not like them\"}"),
            cr_put(tok, callers[i]->id, "{\"reason\": \"Myself\"}"),
            api_get(cr_path(target.id), tok),
            cr_delete(tok, target.id),
        };
        for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
            ck_assert_problem(r[k], 403, "forbidden");
            api_free(r[k]);
        }
        assert_no_restriction(&support, callers[i]->id);
    }
    assert_no_restriction(&support, target.id);
    /* nor can they lift one support set */
    struct api_resp *r = cr_put(support.token, target.id, "{\"reason\": \"Fraud reports\"}");
    ck_assert_status(r, 200);
    api_free(r);
    r = cr_delete(seller.token, target.id);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    json_t *got = cr_fetch(&support, target.id);
    ck_assert_ptr_nonnull(got);
    json_decref(got);
}
END_TEST

START_TEST(test_requires_authentication)
{
    struct api_resp *r = api_get(cr_path(1), NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = cr_put(NULL, 1, "{\"reason\": \"No token\"}");
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
}
END_TEST

START_TEST(test_unknown_user_not_found)
{
    static const char *const ids[] = {"999999999999", "0", "abc"};
    struct api_user support;
    char path[96];
    api_demo_user(&support, SUPPORT_EMAIL);
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        snprintf(path, sizeof path, "/v1/users/%s/chat-restriction", ids[i]);
        struct api_resp *r[] = {
            api_request("PUT", path, support.token, "{\"reason\": \"Nobody\"}", NULL, NULL),
            api_get(path, support.token),
            api_request("DELETE", path, support.token, NULL, NULL, NULL),
        };
        for (size_t k = 0; k < 3; k++) {
            ck_assert_problem(r[k], 404, "not_found");
            api_free(r[k]);
        }
    }
}
END_TEST

/* Support accounts answer the chats; switching their chat off is refused, not stored. */
START_TEST(test_support_target_refused)
{
    struct api_user support;
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = cr_put(support.token, support.id, "{\"reason\": \"Testing myself\"}");
    ck_assert_problem(r, 422, "cannot_restrict_support");
    api_free(r);
    assert_no_restriction(&support, support.id);
}
END_TEST

static const struct {
    const char *body, *field, *code;
} bad_put_cases[] = {
    {"{}", "reason", "required"},
    {"{\"until\": \"" FAR_FUTURE "\"}", "reason", "required"},
    {"{\"reason\": \"ab\"}", "reason", "too_short"},
    {"{\"reason\": \"    \"}", "reason", "too_short"},
    {"{\"reason\": 42}", "reason", "wrong_type"},
    {"{\"reason\": \"Fraud\", \"until\": \"2000-01-01T00:00:00Z\"}", "until", "not_in_future"},
    {"{\"reason\": \"Fraud\", \"until\": \"tomorrow\"}", "until", "invalid_format"},
    {"{\"reason\": \"Fraud\", \"until\": \"2099-01-01\"}", "until", "invalid_format"},
    {"{\"reason\": \"Fraud\", \"until\": \"2099-02-30T00:00:00Z\"}", "until", "invalid_format"},
    {"{\"reason\": \"Fraud\", \"until\": \"2099-01-01T00:00:00\"}", "until", "invalid_format"},
    {"{\"reason\": \"Fraud\", \"until\": \"\"}", "until", "too_short"},
    {"{\"reason\": \"Fraud\", \"until\": 4070908800}", "until", "wrong_type"},
    {"{\"reason\": \"Fraud\", \"user_id\": 1}", "user_id", "unknown_field"},
};

/* Bad input: 400, nothing written, and an existing restriction left as it was. */
START_TEST(test_put_rejects_bad_input)
{
    struct api_user support, fresh, restricted;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&fresh, "buyer");
    api_new_user(&restricted, "seller");
    struct api_resp *r = cr_put(support.token, restricted.id, "{\"reason\": \"Kept as is\"}");
    ck_assert_status(r, 200);
    char *before = json_dumps(r->json, JSON_COMPACT | JSON_SORT_KEYS);
    api_free(r);
    r = cr_put(support.token, fresh.id, bad_put_cases[_i].body);
    assert_field_error(r, bad_put_cases[_i].field, bad_put_cases[_i].code);
    api_free(r);
    assert_no_restriction(&support, fresh.id);
    r = cr_put(support.token, restricted.id, bad_put_cases[_i].body);
    assert_field_error(r, bad_put_cases[_i].field, bad_put_cases[_i].code);
    api_free(r);
    json_t *got = cr_fetch(&support, restricted.id);
    char *after = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_str_eq(before, after);
    json_decref(got);
    free(before);
    free(after);
}
END_TEST

START_TEST(test_put_reason_length_limits)
{
    struct api_user support, buyer;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    char *longest = api_repeat("ж", 500), *too_long = api_repeat("ж", 501), body[2100];
    snprintf(body, sizeof body, "{\"reason\": \"%s\"}", too_long);
    struct api_resp *r = cr_put(support.token, buyer.id, body);
    assert_field_error(r, "reason", "too_long");
    api_free(r);
    assert_no_restriction(&support, buyer.id);
    snprintf(body, sizeof body, "{\"reason\": \"%s\"}", longest);
    r = cr_put(support.token, buyer.id, body);
    ck_assert_status(r, 200);
    assert_restriction(r->json, buyer.id, longest, NULL, support.id, 1);
    api_free(r);
    r = cr_put(support.token, buyer.id, "{\"reason\": \"abc\"}");
    ck_assert_status(r, 200);
    api_free(r);
    free(longest);
    free(too_long);
}
END_TEST

START_TEST(test_put_rejects_malformed_body)
{
    struct api_user support, buyer;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&buyer, "buyer");
    struct api_resp *r = cr_put(support.token, buyer.id, "{\"reason\": ");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_request("PUT", cr_path(buyer.id), support.token, "reason=fraud", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    assert_no_restriction(&support, buyer.id);
}
END_TEST

/* A buyer's chat about a fresh product of seller, with one message from each side. */
static json_int_t chat_with_messages(const struct api_user *buyer, const struct api_user *seller)
{
    char path[64];
    int64_t product = api_make_product(seller, 1000, 5);
    struct api_resp *r = api_postf("/v1/chats", buyer->token, "{s:s, s:I}", "kind", "buyer_seller",
                                   "product_id", (json_int_t)product);
    ck_assert_status(r, 201);
    json_int_t chat = api_int(r, "id");
    api_free(r);
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chat);
    r = api_postf(path, buyer->token, "{s:s}", "text", "Is it still available?");
    ck_assert_status(r, 201);
    api_free(r);
    r = api_postf(path, seller->token, "{s:s}", "text", "Yes, it is.");
    ck_assert_status(r, 201);
    api_free(r);
    return chat;
}

static size_t message_count(const struct api_user *u, json_int_t chat)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chat);
    struct api_resp *r = api_get(path, u->token);
    ck_assert_status(r, 200);
    size_t n = json_array_size(json_object_get(r->json, "items"));
    api_free(r);
    return n;
}

/* A restricted seller cannot write to buyers or start chats with them, sees a clear 403
 * chat_disabled with the reason and end, still reads the history, and can still write to
 * support; lifting the restriction lets them write again. */
START_TEST(test_restricted_user_cannot_chat)
{
    struct api_user buyer, seller, support;
    char path[64], body[160];
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t chat = chat_with_messages(&buyer, &seller);
    snprintf(body, sizeof body,
             "{\"reason\":\"asked buyers to pay by card transfer\",\"until\":\"%s\"}", FAR_FUTURE);
    struct api_resp *r = cr_put(support.token, seller.id, body);
    ck_assert_status(r, 200);
    api_free(r);

    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chat);
    r = api_postf(path, seller.token, "{s:s}", "text", "I can give you a discount.");
    ck_assert_problem(r, 403, "chat_disabled");
    ck_assert_str_eq(api_str(r, "reason"), "asked buyers to pay by card transfer");
    ck_assert_str_eq(api_str(r, "until"), FAR_FUTURE);
    ck_assert_msg(strstr(api_str(r, "detail"), "support") != NULL, "detail: %s", r->body);
    api_free(r);
    ck_assert_uint_eq(message_count(&seller, chat), 2); /* nothing stored, history readable */

    /* starting a chat with a buyer is refused too; a chat with support is not */
    struct api_user buyer2;
    api_new_user(&buyer2, "buyer");
    int64_t product = api_make_product(&seller, 1000, 5);
    r = api_postf("/v1/orders", buyer2.token, "{s:[{s:I, s:i}]}", "items", "product_id",
                  (json_int_t)product, "quantity", 1);
    ck_assert_status(r, 201);
    char posting[40];
    snprintf(posting, sizeof posting, "%s",
             api_jstr(json_array_get(json_object_get(r->json, "postings"), 0), "posting_number"));
    api_free(r);
    r = api_postf("/v1/chats", seller.token, "{s:s, s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", posting, "reason", "availability");
    ck_assert_problem(r, 403, "chat_disabled");
    api_free(r);
    r = api_postf("/v1/chats", seller.token, "{s:s, s:s}", "kind", "seller_support", "topic",
                  "Why is my chat disabled?");
    ck_assert_status(r, 201);
    json_int_t appeal = api_int(r, "id");
    api_free(r);
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)appeal);
    r = api_postf(path, seller.token, "{s:s}", "text", "I think this is a mistake.");
    ck_assert_status(r, 201);
    api_free(r);

    /* the buyer of the chat is not restricted */
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chat);
    r = api_postf(path, buyer.token, "{s:s}", "text", "Hello?");
    ck_assert_status(r, 201);
    api_free(r);

    r = cr_delete(support.token, seller.id);
    ck_assert_status(r, 204);
    api_free(r);
    r = api_postf(path, seller.token, "{s:s}", "text", "Sorry, I am back.");
    ck_assert_status(r, 201);
    api_free(r);
    ck_assert_uint_eq(message_count(&buyer, chat), 4);
}
END_TEST

/* A restriction that has ended no longer stops anyone. */
START_TEST(test_expired_restriction_lets_chat)
{
    struct api_user buyer, seller, support;
    char path[64], until[32], body[160];
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t chat = chat_with_messages(&buyer, &seller);
    time_t t = time(NULL) + 2;
    strftime(until, sizeof until, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    snprintf(body, sizeof body, "{\"reason\":\"cooling off\",\"until\":\"%s\"}", until);
    struct api_resp *r = cr_put(support.token, buyer.id, body);
    ck_assert_status(r, 200);
    api_free(r);
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chat);
    r = api_postf(path, buyer.token, "{s:s}", "text", "Hello?");
    ck_assert_problem(r, 403, "chat_disabled");
    api_free(r);
    sleep(3);
    r = api_postf(path, buyer.token, "{s:s}", "text", "Hello again?");
    ck_assert_status(r, 201);
    api_free(r);
}
END_TEST

/* The longest reason in a two-byte script still gives a whole problem with code and reason. */
START_TEST(test_long_reason_in_refusal)
{
    struct api_user buyer, seller, support;
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    char *reason = api_repeat("\xd0\x96", 500); /* Ж */
    json_t *body = json_pack("{s:s}", "reason", reason);
    char *text = json_dumps(body, JSON_COMPACT);
    struct api_resp *r = cr_put(support.token, buyer.id, text);
    ck_assert_status(r, 200);
    api_free(r);
    r = api_postf("/v1/chats", buyer.token, "{s:s, s:I}", "kind", "buyer_seller", "product_id",
                  (json_int_t)api_make_product(&seller, 1000, 5));
    ck_assert_problem(r, 403, "chat_disabled");
    ck_assert_str_eq(api_str(r, "reason"), reason);
    ck_assert_msg(json_is_null(json_object_get(r->json, "until")), "until: %s", r->body);
    api_free(r);
    free(text);
    json_decref(body);
    free(reason);
}
END_TEST

Suite *chat_restrictions_suite(void)
{
    Suite *s = suite_create("chat_restrictions");
    TCase *tc = api_tcase("chat restrictions");
    tcase_add_test(tc, test_put_get_delete);
    tcase_add_test(tc, test_put_replaces);
    tcase_add_test(tc, test_expired_restriction_inactive);
    tcase_add_test(tc, test_buyers_and_sellers_refused);
    tcase_add_test(tc, test_requires_authentication);
    tcase_add_test(tc, test_unknown_user_not_found);
    tcase_add_test(tc, test_support_target_refused);
    tcase_add_loop_test(tc, test_put_rejects_bad_input, 0, N_CASES(bad_put_cases));
    tcase_add_test(tc, test_put_reason_length_limits);
    tcase_add_test(tc, test_put_rejects_malformed_body);
    tcase_add_test(tc, test_restricted_user_cannot_chat);
    tcase_add_test(tc, test_expired_restriction_lets_chat);
    tcase_add_test(tc, test_long_reason_in_refusal);
    suite_add_tcase(s, tc);
    return s;
}
