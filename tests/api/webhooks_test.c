/* API tests of webhooks (POST/GET /v1/webhooks, GET/PATCH/DELETE /v1/webhooks/{id}, ping,
 * rotate-secret, deliveries, redeliver): who may call them, what they refuse and that a refusal
 * writes nothing, the address rule (the test server allows no private address), and API-key
 * scopes. Sending is tests/webhooks.sh's (the server here sends none: scripts/test.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define HOOKS         "/v1/webhooks"
#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"
/* a name that resolves nowhere here: accepted (each delivery checks the address it connects to) */
#define GOOD_URL "https://hooks.example.com/sellerdesk"

static const char *hook_path(json_int_t id, const char *suffix)
{
    static char path[96];
    snprintf(path, sizeof path, HOOKS "/%lld%s", (long long)id, suffix ? suffix : "");
    return path;
}

/* POST /v1/webhooks asserting 201: the answer (caller decrefs) */
static json_t *hook_create(const struct api_user *s, const char *events)
{
    char body[512];
    snprintf(body, sizeof body, "{\"url\":\"" GOOD_URL "\",\"events\":%s}", events);
    struct api_resp *r = api_post(HOOKS, s->token, body);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static int hook_count(const struct api_user *s)
{
    struct api_resp *r = api_get(HOOKS "?limit=100", s->token);
    ck_assert_status(r, 200);
    int n = (int)json_array_size(json_object_get(r->json, "items"));
    api_free(r);
    return n;
}

START_TEST(test_crud)
{
    struct api_user s;
    api_new_user(&s, "seller");
    struct api_resp *r = api_post(HOOKS, s.token,
                                  "{\"url\":\"" GOOD_URL "\",\"events\":[\"message.created\","
                                  "\"posting.status_changed\"],\"description\":\"ERP\"}");
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    char secret[128];
    snprintf(secret, sizeof secret, "%s", api_str(r, "secret"));
    ck_assert_msg(strncmp(secret, "whsec_", 6) == 0 && strlen(secret) == 49, "secret %s", secret);
    ck_assert_str_eq(api_str(r, "url"), GOOD_URL);
    ck_assert_str_eq(api_str(r, "status"), "active");
    ck_assert_str_eq(api_str(r, "description"), "ERP");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "events")), 2);
    assert_timestamp(api_str(r, "created_at"));
    api_free(r);

    r = api_get(HOOKS, s.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    ck_assert_msg(!strstr(r->body, secret) && !strstr(r->body, "secret\""), "secret listed: %s",
                  r->body);
    api_free(r);
    r = api_get(hook_path(id, NULL), s.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "id"), id);
    ck_assert_msg(!strstr(r->body, secret), "secret in GET: %s", r->body);
    api_free(r);

    r = api_patch(hook_path(id, NULL), s.token,
                  "{\"url\":\"https://erp.example.org/in\",\"events\":[\"*\"],"
                  "\"description\":\"\"}");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "url"), "https://erp.example.org/in");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "events"), 0)), "*");
    ck_assert(json_is_null(json_object_get(r->json, "description")));
    ck_assert_msg(!strstr(r->body, secret), "secret in PATCH: %s", r->body);
    api_free(r);

    r = api_request("DELETE", hook_path(id, NULL), s.token, NULL, NULL, NULL);
    ck_assert_status(r, 204);
    api_free(r);
    r = api_get(hook_path(id, NULL), s.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_int_eq(hook_count(&s), 0);
}
END_TEST

START_TEST(test_idempotent_create)
{
    struct api_user s;
    char key[80], body[256];
    api_new_user(&s, "seller");
    snprintf(key, sizeof key, "Idempotency-Key: %s", api_unique("hook", body, sizeof body));
    snprintf(body, sizeof body, "{\"url\":\"" GOOD_URL "\",\"events\":[\"chat.closed\"]}");
    struct api_resp *a = api_request("POST", HOOKS, s.token, body, NULL, key);
    struct api_resp *b = api_request("POST", HOOKS, s.token, body, NULL, key);
    ck_assert_status(a, 201);
    ck_assert_msg(b->status == 201 || b->status == 200, "replay: %ld %s", b->status, b->body);
    ck_assert_int_eq(api_int(a, "id"), api_int(b, "id"));
    ck_assert_msg(api_str(a, "secret") && !json_object_get(b->json, "secret"),
                  "the secret is shown once: %s", b->body);
    api_free(a);
    api_free(b);
    ck_assert_int_eq(hook_count(&s), 1);
}
END_TEST

START_TEST(test_buyer_and_support_refused)
{
    struct api_user u;
    if (_i == 0)
        api_new_user(&u, "buyer");
    else
        api_demo_user(&u, SUPPORT_EMAIL);
    struct api_resp *r =
        api_post(HOOKS, u.token, "{\"url\":\"" GOOD_URL "\",\"events\":[\"message.created\"]}");
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = api_get(HOOKS, u.token);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = api_post("/v1/webhook-deliveries/1/redeliver", u.token, NULL);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
}
END_TEST

START_TEST(test_other_sellers_webhook_not_found)
{
    struct api_user a, b;
    api_new_user(&a, "seller");
    api_new_user(&b, "seller");
    json_t *h = hook_create(&a, "[\"review.new\"]");
    json_int_t id = api_jint(h, "id");
    struct api_resp *r = api_post(hook_path(id, "/ping"), a.token, NULL);
    ck_assert_status(r, 202);
    json_int_t delivery = api_int(r, "id");
    api_free(r);

    const char *paths[] = {NULL, "/deliveries"};
    for (size_t i = 0; i < 2; i++) {
        r = api_get(hook_path(id, paths[i]), b.token);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
    }
    r = api_patch(hook_path(id, NULL), b.token, "{\"description\":\"mine now\"}");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_post(hook_path(id, "/ping"), b.token, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_post(hook_path(id, "/rotate-secret"), b.token, "{}");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_request("DELETE", hook_path(id, NULL), b.token, NULL, NULL, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    char path[96];
    snprintf(path, sizeof path, "/v1/webhook-deliveries/%lld/redeliver", (long long)delivery);
    r = api_post(path, b.token, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);

    /* untouched: still a's, with its description and one delivery */
    r = api_get(hook_path(id, "/deliveries"), a.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    api_free(r);
    ck_assert_int_eq(hook_count(&a), 1);
    ck_assert_int_eq(hook_count(&b), 0);
    json_decref(h);
}
END_TEST

static const struct {
    const char *body, *field, *code;
} bad_cases[] = {
    {"{\"url\":\"ftp://hooks.example.com/x\",\"events\":[\"review.new\"]}", "url", "invalid_url"},
    {"{\"url\":\"hooks.example.com/x\",\"events\":[\"review.new\"]}", "url", "invalid_url"},
    {"{\"url\":\"https://user:pw@hooks.example.com/x\",\"events\":[\"review.new\"]}", "url",
     "invalid_url"},
    {"{\"url\":\"https://user@hooks.example.com/x\",\"events\":[\"review.new\"]}", "url",
     "invalid_url"},
    {"{\"url\":\"https:///x\",\"events\":[\"review.new\"]}", "url", "invalid_url"},
    {"{\"url\":\"" GOOD_URL "\",\"events\":[\"review.nope\"]}", "events[0]", "invalid_enum"},
    {"{\"url\":\"" GOOD_URL "\",\"events\":[]}", "events", "too_short"},
    {"{\"url\":\"" GOOD_URL "\",\"events\":[\"review.new\",\"review.new\"]}", "events[1]",
     "duplicate"},
    {"{\"url\":\"" GOOD_URL "\",\"events\":[\"*\",\"review.new\"]}", "events",
     "wildcard_not_alone"},
    {"{\"url\":\"" GOOD_URL "\",\"events\":[\"review.new\"],\"secret\":\"short\"}", "secret",
     "too_short"},
    {"{\"url\":\"" GOOD_URL "\",\"events\":[\"review.new\"],\"secret\":\"with spaces in it, 16+\"}",
     "secret", "invalid_format"},
    {"{\"url\":\"" GOOD_URL "\",\"events\":[\"review.new\"],\"colour\":\"red\"}", "colour",
     "unknown_field"},
    {"{\"events\":[\"review.new\"]}", "url", "required"},
    {"{\"url\":\"" GOOD_URL "\"}", "events", "required"},
    {"{\"url\":42,\"events\":[\"review.new\"]}", "url", "wrong_type"},
};

START_TEST(test_bad_input)
{
    struct api_user s;
    api_new_user(&s, "seller");
    struct api_resp *r = api_post(HOOKS, s.token, bad_cases[_i].body);
    assert_field_error(r, bad_cases[_i].field, bad_cases[_i].code);
    api_free(r);
    ck_assert_int_eq(hook_count(&s), 0);
}
END_TEST

/* the test server runs without SELLERDESK_WEBHOOK_ALLOW_PRIVATE */
static const char *const private_urls[] = {
    "http://127.0.0.1/hook",
    "http://localhost:8080/hook",
    "http://[::1]/hook",
    "http://10.0.0.5/hook",
    "http://169.254.169.254/latest",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0x7f.1/hook",
    "http://0177.0.0.1/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://224.0.0.1/hook",
    "http://255.255.255.255/",
};

START_TEST(test_private_address_refused)
{
    struct api_user s;
    char body[256];
    api_new_user(&s, "seller");
    snprintf(body, sizeof body, "{\"url\":\"%s\",\"events\":[\"review.new\"]}", private_urls[_i]);
    struct api_resp *r = api_post(HOOKS, s.token, body);
    ck_assert_problem(r, 422, "webhook_url_not_allowed");
    ck_assert_msg(api_has_error(r, "url", "not_allowed"), "%s: %s", private_urls[_i], r->body);
    api_free(r);
    ck_assert_int_eq(hook_count(&s), 0);

    /* nor may an update point an endpoint there */
    json_t *h = hook_create(&s, "[\"review.new\"]");
    snprintf(body, sizeof body, "{\"url\":\"%s\"}", private_urls[_i]);
    r = api_patch(hook_path(api_jint(h, "id"), NULL), s.token, body);
    ck_assert_problem(r, 422, "webhook_url_not_allowed");
    api_free(r);
    r = api_get(hook_path(api_jint(h, "id"), NULL), s.token);
    ck_assert_str_eq(api_str(r, "url"), GOOD_URL);
    api_free(r);
    json_decref(h);
}
END_TEST

START_TEST(test_update_rules)
{
    struct api_user s;
    api_new_user(&s, "seller");
    json_t *h = hook_create(&s, "[\"review.new\"]");
    const char *path = hook_path(api_jint(h, "id"), NULL);
    struct api_resp *r = api_patch(path, s.token, "{}");
    assert_field_error(r, "", "empty_update");
    api_free(r);
    r = api_patch(path, s.token, "{\"status\":\"disabled\"}");
    assert_field_error(r, "status", "invalid_enum");
    api_free(r);
    r = api_patch(path, s.token, "{\"events\":[]}");
    assert_field_error(r, "events", "too_short");
    api_free(r);
    /* null events are absent: kept as they were, not a 500 */
    r = api_patch(path, s.token, "{\"events\":null}");
    assert_field_error(r, "", "empty_update");
    api_free(r);
    r = api_patch(path, s.token, "{\"events\":null,\"description\":\"ERP\"}");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "description"), "ERP");
    api_free(r);
    r = api_patch(path, s.token, "{\"status\":\"active\"}");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "status"), "active");
    api_free(r);
    r = api_get(path, s.token);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r->json, "events"), 0)),
                     "review.new");
    api_free(r);
    json_decref(h);
}
END_TEST

START_TEST(test_rotate_secret)
{
    struct api_user s;
    api_new_user(&s, "seller");
    json_t *h = hook_create(&s, "[\"review.new\"]");
    const char *path = hook_path(api_jint(h, "id"), "/rotate-secret");
    struct api_resp *r = api_post(path, s.token, "{\"grace_seconds\":604801}");
    assert_field_error(r, "grace_seconds", "out_of_range");
    api_free(r);
    r = api_post(path, s.token, "{\"secret\":\"tiny\"}");
    assert_field_error(r, "secret", "too_short");
    api_free(r);
    r = api_post(path, s.token, "{}");
    ck_assert_status(r, 200);
    ck_assert_msg(strncmp(api_str(r, "secret"), "whsec_", 6) == 0 &&
                      strcmp(api_str(r, "secret"), api_jstr(h, "secret")) != 0,
                  "a new secret: %s", r->body);
    assert_timestamp(api_str(r, "previous_secret_expires_at"));
    api_free(r);
    r = api_post(path, s.token, "{\"secret\":\"my-own-secret-0123456789\",\"grace_seconds\":0}");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "secret"), "my-own-secret-0123456789");
    ck_assert(json_is_null(json_object_get(r->json, "previous_secret_expires_at")));
    api_free(r);
    r = api_get(hook_path(api_jint(h, "id"), NULL), s.token);
    ck_assert_msg(!strstr(r->body, "my-own-secret"), "secret in GET: %s", r->body);
    api_free(r);
    json_decref(h);
}
END_TEST

START_TEST(test_ping_and_deliveries)
{
    struct api_user s;
    api_new_user(&s, "seller");
    json_t *h = hook_create(&s, "[\"review.new\"]");
    json_int_t id = api_jint(h, "id");
    struct api_resp *r = api_post(hook_path(id, "/ping"), s.token, NULL);
    ck_assert_status(r, 202);
    ck_assert_str_eq(api_str(r, "type"), "webhook.ping");
    ck_assert_str_eq(api_str(r, "status"), "pending");
    ck_assert_int_eq(api_int(r, "webhook_id"), id);
    ck_assert(json_is_null(json_object_get(r->json, "event_id")));
    ck_assert_int_eq(api_int(r, "attempts"), 0);
    json_int_t d = api_int(r, "id");
    api_free(r);
    r = api_get(hook_path(id, "/deliveries?status=pending"), s.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "items"), 0), "id"), d);
    api_free(r);
    r = api_get(hook_path(id, "/deliveries?status=succeeded"), s.token);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
    api_free(r);
    r = api_get(hook_path(id, "/deliveries?status=sent"), s.token);
    assert_field_error(r, "status", "invalid_enum");
    api_free(r);
    r = api_get(hook_path(id, "/deliveries?limit=0"), s.token);
    assert_field_error(r, "limit", "out_of_range");
    api_free(r);
    char path[96];
    snprintf(path, sizeof path, "/v1/webhook-deliveries/%lld/redeliver", (long long)d);
    r = api_post(path, s.token, NULL);
    ck_assert_status(r, 202);
    ck_assert_int_eq(api_int(r, "id"), d);
    ck_assert_str_eq(api_str(r, "status"), "pending");
    api_free(r);
    r = api_post("/v1/webhook-deliveries/999999999999/redeliver", s.token, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    json_decref(h);
}
END_TEST

START_TEST(test_limit_per_seller)
{
    struct api_user s;
    api_new_user(&s, "seller");
    for (int i = 0; i < 20; i++)
        json_decref(hook_create(&s, "[\"review.new\"]"));
    struct api_resp *r =
        api_post(HOOKS, s.token, "{\"url\":\"" GOOD_URL "\",\"events\":[\"review.new\"]}");
    ck_assert_problem(r, 409, "webhook_limit_reached");
    api_free(r);
    ck_assert_int_eq(hook_count(&s), 20);
}
END_TEST

/* a key of seller with scopes (JSON array text): its secret */
static void key_of(const struct api_user *s, const char *scopes, char *out, size_t len)
{
    char body[256];
    snprintf(body, sizeof body, "{\"name\":\"hooks\",\"scopes\":%s}", scopes);
    struct api_resp *r = api_post("/v1/api-keys", s->token, body);
    ck_assert_status(r, 201);
    snprintf(out, len, "%s", api_str(r, "secret"));
    api_free(r);
}

static void assert_scope_refused(const struct api_resp *r, const char *scope)
{
    ck_assert_problem(r, 403, "insufficient_scope");
    ck_assert_str_eq(api_str(r, "required_scope"), scope);
    ck_assert_msg(strstr(api_str(r, "detail"), scope), "detail names %s: %s", scope, r->body);
}

START_TEST(test_api_key_scopes)
{
    struct api_user s;
    char reader[96], writer[96], other[96];
    const char *create = "{\"url\":\"" GOOD_URL "\",\"events\":[\"review.new\"]}";
    api_new_user(&s, "seller");
    key_of(&s, "[\"webhooks:read\"]", reader, sizeof reader);
    key_of(&s, "[\"webhooks:write\"]", writer, sizeof writer);
    key_of(&s, "[\"events:read\",\"chats:write\"]", other, sizeof other);

    struct api_resp *r = api_post(HOOKS, writer, create);
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    api_free(r);
    r = api_get(HOOKS, reader);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    api_free(r);
    r = api_get(hook_path(id, "/deliveries"), reader);
    ck_assert_status(r, 200);
    api_free(r);

    r = api_post(HOOKS, reader, create);
    assert_scope_refused(r, "webhooks:write");
    api_free(r);
    r = api_post(hook_path(id, "/ping"), reader, NULL);
    assert_scope_refused(r, "webhooks:write");
    api_free(r);
    r = api_post("/v1/webhook-deliveries/1/redeliver", reader, NULL);
    assert_scope_refused(r, "webhooks:write");
    api_free(r);
    r = api_get(HOOKS, other);
    assert_scope_refused(r, "webhooks:read");
    api_free(r);
    r = api_post(HOOKS, other, create);
    assert_scope_refused(r, "webhooks:write");
    api_free(r);
    ck_assert_int_eq(hook_count(&s), 1);

    /* the scope names are known to key creation */
    r = api_post("/v1/api-keys", s.token, "{\"name\":\"x\",\"scopes\":[\"webhooks:admin\"]}");
    assert_field_error(r, "scopes[0]", "invalid_enum");
    ck_assert_msg(strstr(r->body, "webhooks:write"), "the message lists the scopes: %s", r->body);
    api_free(r);
}
END_TEST

Suite *webhooks_suite(void)
{
    Suite *s = suite_create("webhooks");
    TCase *manage = api_tcase("manage");
    tcase_add_test(manage, test_crud);
    tcase_add_test(manage, test_idempotent_create);
    tcase_add_loop_test(manage, test_buyer_and_support_refused, 0, 2);
    tcase_add_test(manage, test_other_sellers_webhook_not_found);
    tcase_add_loop_test(manage, test_bad_input, 0, N_CASES(bad_cases));
    tcase_add_loop_test(manage, test_private_address_refused, 0, N_CASES(private_urls));
    tcase_add_test(manage, test_update_rules);
    tcase_add_test(manage, test_rotate_secret);
    tcase_add_test(manage, test_ping_and_deliveries);
    tcase_add_test(manage, test_limit_per_seller);
    suite_add_tcase(s, manage);
    TCase *keys = api_tcase("api_keys");
    tcase_add_test(keys, test_api_key_scopes);
    suite_add_tcase(s, keys);
    return s;
}
