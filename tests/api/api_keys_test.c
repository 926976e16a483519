/* API tests of API keys (POST/GET /v1/api-keys, DELETE /v1/api-keys/{id}) and of requests
 * authenticated by them: scopes, revocation within a second, expiry, the per-key rate limit
 * (scripts/test.sh starts the server with SELLERDESK_API_KEY_RATE=20) and the secret shown
 * once only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client.h"

#define KEYS          "/v1/api-keys"
#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"
#define KEY_RATE      20 /* SELLERDESK_API_KEY_RATE of the test server */

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

static const char *key_path(json_int_t id)
{
    static char path[64];
    snprintf(path, sizeof path, KEYS "/%lld", (long long)id);
    return path;
}

/* Creates a key of seller with the scopes (a JSON array text) and optional expiry; returns the
 * answer's body (caller decrefs). */
static json_t *key_create(const struct api_user *seller, const char *scopes, const char *expires)
{
    char body[512];
    snprintf(body, sizeof body, "{\"name\":\"integration\",\"scopes\":%s%s%s%s}", scopes,
             expires ? ",\"expires_at\":\"" : "", expires ? expires : "", expires ? "\"" : "");
    struct api_resp *r = api_post(KEYS, seller->token, body);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static int key_count(const struct api_user *seller)
{
    struct api_resp *r = api_get(KEYS "?limit=100", seller->token);
    ck_assert_status(r, 200);
    int n = (int)json_array_size(json_object_get(r->json, "items"));
    api_free(r);
    return n;
}

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    struct api_resp *r = userdata;
    size_t add = size * n;
    r->body = realloc(r->body, r->body_len + add + 1);
    memcpy(r->body + r->body_len, ptr, add);
    r->body_len += add;
    r->body[r->body_len] = '\0';
    return add;
}

static size_t collect_header(char *ptr, size_t size, size_t n, void *userdata)
{
    struct api_resp *r = userdata;
    size_t add = size * n, old = r->headers ? strlen(r->headers) : 0;
    r->headers = realloc(r->headers, old + add + 1);
    memcpy(r->headers + old, ptr, add);
    r->headers[old + add] = '\0';
    return add;
}

/* GET base + path with the key: with Client-Id and Api-Key headers when client_id is not 0
 * (the client's helpers send one extra header), else as a bearer; base NULL: the server under
 * test */
static struct api_resp *key_get_at(const char *base, const char *path, long long client_id,
                                   const char *secret)
{
    struct api_resp *r = calloc(1, sizeof *r);
    char url[1024], cid[64], key[128];
    struct curl_slist *h = NULL;
    CURL *c = curl_easy_init();
    base = base ? base : getenv("SD_BASE_URL");
    snprintf(url, sizeof url, "%s%s", base ? base : "http://127.0.0.1:8080", path);
    snprintf(cid, sizeof cid, "Client-Id: %lld", client_id);
    if (client_id)
        snprintf(key, sizeof key, "Api-Key: %s", secret);
    else
        snprintf(key, sizeof key, "Authorization: Bearer %s", secret);
    if (client_id)
        h = curl_slist_append(h, cid);
    h = curl_slist_append(h, key);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    CURLcode rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "GET %s: %s", path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (!r->body)
        r->body = calloc(1, 1);
    r->json = json_loads(r->body, JSON_DECODE_ANY, NULL);
    return r;
}

static struct api_resp *key_get_headers(const char *path, long long client_id, const char *secret)
{
    return key_get_at(NULL, path, client_id, secret);
}

static void assert_rate_headers(const struct api_resp *r)
{
    const char *names[] = {"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"};
    for (size_t i = 0; i < 3; i++) {
        char *v = api_header(r, names[i]);
        ck_assert_msg(v && atoi(v) >= 0 && *v, "%s missing: %s", names[i], r->headers);
        free(v);
    }
}

/* 403 insufficient_scope naming scope */
static void assert_insufficient(const struct api_resp *r, const char *scope)
{
    ck_assert_problem(r, 403, "insufficient_scope");
    ck_assert_str_eq(api_str(r, "required_scope"), scope);
    ck_assert_msg(strstr(api_str(r, "detail"), scope), "detail names %s: %s", scope, r->body);
}

static void utc_in(int seconds, char *out, size_t len)
{
    time_t t = time(NULL) + seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---------------------------------------------------------------------------------------------
 * Managing keys
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_create_list_revoke)
{
    struct api_user s;
    api_new_user(&s, "seller");
    json_t *k = key_create(&s, "[\"reviews:read\",\"chats:write\"]", NULL);
    const char *secret = api_jstr(k, "secret");
    json_int_t id = api_jint(k, "id");
    ck_assert_msg(secret && strncmp(secret, "sdk_", 4) == 0 && strlen(secret) == 47, "secret: %s",
                  secret);
    ck_assert_msg(strncmp(api_jstr(k, "prefix"), secret, 12) == 0 &&
                      strlen(api_jstr(k, "prefix")) == 12,
                  "prefix %s", api_jstr(k, "prefix"));
    ck_assert_str_eq(api_jstr(k, "name"), "integration");
    ck_assert_int_eq(json_array_size(json_object_get(k, "scopes")), 2);
    assert_timestamp(api_jstr(k, "created_at"));
    ck_assert(json_is_null(json_object_get(k, "expires_at")));
    ck_assert(json_is_null(json_object_get(k, "revoked_at")));
    ck_assert(json_is_null(json_object_get(k, "last_used_at")));

    struct api_resp *r = api_get(KEYS, s.token);
    ck_assert_status(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 1);
    json_t *listed = json_array_get(items, 0);
    ck_assert_int_eq(api_jint(listed, "id"), id);
    ck_assert_msg(!json_object_get(listed, "secret"), "secret listed: %s", r->body);
    ck_assert_msg(!strstr(r->body, secret), "the secret appears in GET: %s", r->body);
    ck_assert_msg(!strstr(r->body, secret + 12), "the secret's tail appears in GET: %s", r->body);
    ck_assert_str_eq(api_jstr(listed, "prefix"), api_jstr(k, "prefix"));
    ck_assert(json_is_null(json_object_get(r->json, "next_cursor")));
    api_free(r);

    /* used: last_used_at is set */
    r = api_get("/v1/reviews", secret);
    ck_assert_status(r, 200);
    api_free(r);
    r = api_get(KEYS, s.token);
    assert_timestamp(
        api_jstr(json_array_get(json_object_get(r->json, "items"), 0), "last_used_at"));
    api_free(r);

    r = api_request("DELETE", key_path(id), s.token, NULL, NULL, NULL);
    ck_assert_status(r, 204);
    api_free(r);
    r = api_request("DELETE", key_path(id), s.token, NULL, NULL, NULL); /* again: unchanged */
    ck_assert_status(r, 204);
    api_free(r);
    r = api_get(KEYS, s.token);
    assert_timestamp(api_jstr(json_array_get(json_object_get(r->json, "items"), 0), "revoked_at"));
    api_free(r);
    json_decref(k);
}
END_TEST

START_TEST(test_idempotent_create_shows_secret_once)
{
    struct api_user s;
    api_new_user(&s, "seller");
    const char *body = "{\"name\":\"erp\",\"scopes\":[\"chats:read\"]}";
    struct api_resp *a = api_request("POST", KEYS, s.token, body, NULL, "Idempotency-Key: k-1");
    struct api_resp *b = api_request("POST", KEYS, s.token, body, NULL, "Idempotency-Key: k-1");
    ck_assert_status(a, 201);
    ck_assert_status(b, 201);
    ck_assert_int_eq(api_int(a, "id"), api_int(b, "id"));
    ck_assert_msg(api_str(a, "secret"), "first answer has the secret: %s", a->body);
    ck_assert_msg(!json_object_get(b->json, "secret") && !strstr(b->body, api_str(a, "secret")),
                  "a replay repeats the secret: %s", b->body);
    char *replayed = api_header(b, "Idempotent-Replayed");
    ck_assert_msg(replayed && strcmp(replayed, "true") == 0, "not marked replayed");
    free(replayed);
    ck_assert_int_eq(key_count(&s), 1);
    api_free(a);
    api_free(b);
}
END_TEST

START_TEST(test_buyer_and_support_refused)
{
    struct api_user b, sup;
    api_new_user(&b, "buyer");
    api_demo_user(&sup, SUPPORT_EMAIL);
    const struct api_user *who[] = {&b, &sup};
    for (int i = 0; i < 2; i++) {
        struct api_resp *r =
            api_post(KEYS, who[i]->token, "{\"name\":\"x\",\"scopes\":[\"chats:read\"]}");
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
        r = api_get(KEYS, who[i]->token);
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
        r = api_request("DELETE", key_path(1), who[i]->token, NULL, NULL, NULL);
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
}
END_TEST

START_TEST(test_other_sellers_key_is_not_found)
{
    struct api_user a, b;
    api_new_user(&a, "seller");
    api_new_user(&b, "seller");
    json_t *k = key_create(&a, "[\"reviews:read\"]", NULL);
    struct api_resp *r =
        api_request("DELETE", key_path(api_jint(k, "id")), b.token, NULL, NULL, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_int_eq(key_count(&b), 0);
    r = api_get("/v1/reviews", api_jstr(k, "secret")); /* still works */
    ck_assert_status(r, 200);
    api_free(r);
    r = api_request("DELETE", key_path(999999999), a.token, NULL, NULL, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    json_decref(k);
}
END_TEST

static const struct {
    const char *body, *field, *code;
} bad_cases[] = {
    {"{\"scopes\":[\"chats:read\"]}", "name", "required"},
    {"{\"name\":\"\",\"scopes\":[\"chats:read\"]}", "name", "too_short"},
    {"{\"name\":\"  \\t \",\"scopes\":[\"chats:read\"]}", "name", "too_short"},
    {"{\"name\":7,\"scopes\":[\"chats:read\"]}", "name", "wrong_type"},
    {"{\"name\":\"x\"}", "scopes", "required"},
    {"{\"name\":\"x\",\"scopes\":[]}", "scopes", "too_short"},
    {"{\"name\":\"x\",\"scopes\":\"chats:read\"}", "scopes", "wrong_type"},
    {"{\"name\":\"x\",\"scopes\":[\"chats:admin\"]}", "scopes[0]", "invalid_enum"},
    {"{\"name\":\"x\",\"scopes\":[\"chats:read\",3]}", "scopes[1]", "wrong_type"},
    {"{\"name\":\"x\",\"scopes\":[\"chats:read\",\"chats:read\"]}", "scopes[1]", "duplicate"},
    {"{\"name\":\"x\",\"scopes\":[\"chats:read\"],\"expires_at\":\"tomorrow\"}", "expires_at",
     "invalid_format"},
    {"{\"name\":\"x\",\"scopes\":[\"chats:read\"],\"expires_at\":\"2020-01-01T00:00:00Z\"}",
     "expires_at", "not_in_future"},
    {"{\"name\":\"x\",\"scopes\":[\"chats:read\"],\"owner\":1}", "owner", "unknown_field"},
};

START_TEST(test_bad_input)
{
    struct api_user s;
    api_new_user(&s, "seller");
    struct api_resp *r = api_post(KEYS, s.token, bad_cases[_i].body);
    assert_field_error(r, bad_cases[_i].field, bad_cases[_i].code);
    api_free(r);
    ck_assert_int_eq(key_count(&s), 0);
}
END_TEST

START_TEST(test_name_too_long)
{
    struct api_user s;
    api_new_user(&s, "seller");
    char *name = api_repeat("я", 101);
    char body[1024];
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"scopes\":[\"chats:read\"]}", name);
    struct api_resp *r = api_post(KEYS, s.token, body);
    assert_field_error(r, "name", "too_long");
    api_free(r);
    ck_assert_int_eq(key_count(&s), 0);
    name[strlen(name) - 2] = '\0'; /* 100 characters: accepted */
    snprintf(body, sizeof body, "{\"name\":\"%s\",\"scopes\":[\"chats:read\"]}", name);
    r = api_post(KEYS, s.token, body);
    ck_assert_status(r, 201);
    api_free(r);
    free(name);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Requests with a key
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_key_within_and_outside_scopes)
{
    struct api_user s;
    api_new_user(&s, "seller");
    json_t *k = key_create(&s, "[\"reviews:read\",\"chats:write\"]", NULL);
    const char *secret = api_jstr(k, "secret");

    /* in scope: a read and a write, as the key's seller */
    struct api_resp *r = api_get("/v1/reviews", secret);
    ck_assert_status(r, 200);
    assert_rate_headers(r);
    api_free(r);
    r = api_postf("/v1/templates", secret, "{s:s, s:s}", "title", "From the ERP", "text",
                  "Thank you for your order!");
    ck_assert_status(r, 201);
    assert_rate_headers(r);
    api_free(r);
    r = api_get("/v1/templates", s.token); /* the seller's own, made by the key */
    ck_assert_msg(strstr(r->body, "From the ERP"), "template not the seller's: %s", r->body);
    api_free(r);

    /* out of scope: the scope needed is named */
    r = api_get("/v1/promotions", secret);
    assert_insufficient(r, "promotions:read");
    assert_rate_headers(r);
    api_free(r);
    r = api_get("/v1/chats", secret); /* chats:write does not read */
    assert_insufficient(r, "chats:read");
    api_free(r);
    r = api_post("/v1/reviews/status", secret, "{\"review_ids\":[1],\"status\":\"viewed\"}");
    assert_insufficient(r, "reviews:write");
    api_free(r);

    /* routes no scope covers refuse keys */
    r = api_get("/v1/me", secret);
    ck_assert_problem(r, 403, "api_key_not_allowed");
    api_free(r);
    r = api_get(KEYS, secret);
    ck_assert_problem(r, 403, "api_key_not_allowed");
    api_free(r);
    r = api_post(KEYS, secret, "{\"name\":\"x\",\"scopes\":[\"events:read\"]}");
    ck_assert_problem(r, 403, "api_key_not_allowed");
    api_free(r);
    ck_assert_int_eq(key_count(&s), 1);

    /* Client-Id and Api-Key headers */
    r = key_get_headers("/v1/reviews", (long long)api_jint(k, "id"), secret);
    ck_assert_status(r, 200);
    api_free(r);
    r = key_get_headers("/v1/reviews", (long long)api_jint(k, "id") + 1, secret);
    ck_assert_problem(r, 401, "invalid_api_key");
    api_free(r);

    /* not a key of anyone */
    r = api_get("/v1/reviews", "sdk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    ck_assert_problem(r, 401, "invalid_api_key");
    api_free(r);
    r = api_get("/v1/reviews", "sdk_short");
    ck_assert_problem(r, 401, "invalid_api_key");
    api_free(r);
    json_decref(k);
}
END_TEST

START_TEST(test_revoked_key_refused_within_a_second)
{
    struct api_user s;
    api_new_user(&s, "seller");
    json_t *k = key_create(&s, "[\"reviews:read\"]", NULL);
    const char *secret = api_jstr(k, "secret");
    struct api_resp *r = api_get("/v1/reviews", secret); /* verified: cached now */
    ck_assert_status(r, 200);
    api_free(r);
    r = api_request("DELETE", key_path(api_jint(k, "id")), s.token, NULL, NULL, NULL);
    ck_assert_status(r, 204);
    api_free(r);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long status;
    double waited;
    do {
        r = api_get("/v1/reviews", secret);
        status = r->status;
        if (status == 401)
            ck_assert_problem(r, 401, "api_key_revoked");
        api_free(r);
        clock_gettime(CLOCK_MONOTONIC, &t);
        waited = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
        if (status != 401)
            usleep(20000);
    } while (status != 401 && waited < 1.0);
    ck_assert_msg(status == 401, "revoked key still accepted after %.2f s", waited);
    json_decref(k);
}
END_TEST

/* A key revoked through one process is refused by another that had it cached, within a
 * second: scripts/test.sh names a second server on the same database in SD_OTHER_URL. */
START_TEST(test_revoked_in_one_process_refused_by_another)
{
    const char *other = getenv("SD_OTHER_URL");
    struct api_user s;
    api_new_user(&s, "seller");
    json_t *k = key_create(&s, "[\"reviews:read\"]", NULL);
    const char *secret = api_jstr(k, "secret");
    struct api_resp *r = key_get_at(other, "/v1/reviews", 0, secret); /* cached there now */
    ck_assert_status(r, 200);
    api_free(r);
    r = key_get_at(other, "/v1/reviews", 0, secret); /* and answered from its cache */
    ck_assert_status(r, 200);
    api_free(r);
    r = api_request("DELETE", key_path(api_jint(k, "id")), s.token, NULL, NULL, NULL);
    ck_assert_status(r, 204);
    api_free(r);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long status;
    double waited;
    do {
        r = key_get_at(other, "/v1/reviews", 0, secret);
        status = r->status;
        api_free(r);
        clock_gettime(CLOCK_MONOTONIC, &t);
        waited = (double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9;
        if (status != 401)
            usleep(20000);
    } while (status != 401 && waited < 1.0);
    ck_assert_msg(status == 401, "the other process still accepts the key after %.2f s", waited);
    json_decref(k);
}
END_TEST

Suite *api_keys_processes_suite(void)
{
    Suite *s = suite_create("api_keys_processes");
    TCase *tc = api_tcase("revocation across processes");
    tcase_add_test(tc, test_revoked_in_one_process_refused_by_another);
    suite_add_tcase(s, tc);
    return s;
}

START_TEST(test_expired_key_refused)
{
    struct api_user s;
    char at[32];
    api_new_user(&s, "seller");
    utc_in(2, at, sizeof at);
    json_t *k = key_create(&s, "[\"reviews:read\"]", at);
    ck_assert_str_eq(api_jstr(k, "expires_at"), at);
    struct api_resp *r = api_get("/v1/reviews", api_jstr(k, "secret"));
    ck_assert_status(r, 200);
    api_free(r);
    sleep(3);
    r = api_get("/v1/reviews", api_jstr(k, "secret"));
    ck_assert_problem(r, 401, "api_key_expired");
    api_free(r);
    json_decref(k);
}
END_TEST

START_TEST(test_rate_limit)
{
    struct api_user s;
    api_new_user(&s, "seller");
    json_t *k = key_create(&s, "[\"reviews:read\"]", NULL);
    struct api_resp *r;
    for (int i = 1; i <= KEY_RATE; i++) {
        r = api_get("/v1/reviews", api_jstr(k, "secret"));
        ck_assert_status(r, 200);
        char *lim = api_header(r, "X-RateLimit-Limit"),
             *rem = api_header(r, "X-RateLimit-Remaining");
        ck_assert_int_eq(atoi(lim), KEY_RATE);
        ck_assert_int_eq(atoi(rem), KEY_RATE - i);
        free(lim);
        free(rem);
        api_free(r);
    }
    r = api_get("/v1/reviews", api_jstr(k, "secret"));
    ck_assert_problem(r, 429, "rate_limited");
    char *ra = api_header(r, "Retry-After"), *rem = api_header(r, "X-RateLimit-Remaining");
    ck_assert_msg(ra && atoi(ra) >= 1 && atoi(ra) <= 60, "Retry-After: %s", ra ? ra : "none");
    ck_assert_str_eq(rem, "0");
    assert_rate_headers(r);
    free(ra);
    free(rem);
    api_free(r);
    /* another key of the same seller has its own budget */
    json_t *k2 = key_create(&s, "[\"reviews:read\"]", NULL);
    r = api_get("/v1/reviews", api_jstr(k2, "secret"));
    ck_assert_status(r, 200);
    api_free(r);
    json_decref(k2);
    json_decref(k);
}
END_TEST

Suite *api_keys_suite(void)
{
    Suite *s = suite_create("api_keys");
    TCase *manage = api_tcase("manage");
    tcase_add_test(manage, test_create_list_revoke);
    tcase_add_test(manage, test_idempotent_create_shows_secret_once);
    tcase_add_test(manage, test_buyer_and_support_refused);
    tcase_add_test(manage, test_other_sellers_key_is_not_found);
    tcase_add_loop_test(manage, test_bad_input, 0, N_CASES(bad_cases));
    tcase_add_test(manage, test_name_too_long);
    suite_add_tcase(s, manage);
    TCase *use = api_tcase("use");
    tcase_add_test(use, test_key_within_and_outside_scopes);
    tcase_add_test(use, test_revoked_key_refused_within_a_second);
    tcase_add_test(use, test_expired_key_refused);
    tcase_add_test(use, test_rate_limit);
    suite_add_tcase(s, use);
    return s;
}
