/* Behaviour every endpoint inherits: problems, 404/405, body limits, media types, request
 * ids and the operational endpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "client.h"

START_TEST(unknown_route_is_json_404)
{
    struct api_resp *r = api_get("/v1/nothing-here", NULL);
    ck_assert_problem(r, 404, "not_found");
    char *rid = api_header(r, "X-Request-Id");
    ck_assert_ptr_nonnull(rid);
    ck_assert_str_eq(rid, api_str(r, "request_id"));
    free(rid);
    api_free(r);
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    struct api_resp *r = api_request("DELETE", "/v1/me", NULL, NULL, NULL, NULL);
    ck_assert_problem(r, 405, "method_not_allowed");
    char *allow = api_header(r, "Allow");
    ck_assert_ptr_nonnull(allow);
    ck_assert_str_eq(allow, "GET");
    free(allow);
    api_free(r);
    r = api_request("PUT", "/v1/products", NULL, "{}", NULL, NULL);
    ck_assert_problem(r, 405, "method_not_allowed");
    allow = api_header(r, "Allow");
    ck_assert_ptr_nonnull(strstr(allow, "GET"));
    ck_assert_ptr_nonnull(strstr(allow, "POST"));
    free(allow);
    api_free(r);
}
END_TEST

START_TEST(request_id_echoed_when_sane)
{
    struct api_resp *r =
        api_request("GET", "/healthz", NULL, NULL, NULL, "X-Request-Id: client-chosen-id-123");
    char *rid = api_header(r, "X-Request-Id");
    ck_assert_str_eq(rid, "client-chosen-id-123");
    free(rid);
    api_free(r);
    /* header injection attempts and oversized ids are replaced */
    r = api_request("GET", "/healthz", NULL, NULL, NULL,
                    "X-Request-Id: bad id with spaces and \"quotes\"");
    rid = api_header(r, "X-Request-Id");
    ck_assert_ptr_nonnull(rid);
    ck_assert_ptr_null(strchr(rid, ' '));
    ck_assert_uint_eq(strlen(rid), 24);
    free(rid);
    api_free(r);
}
END_TEST

START_TEST(json_body_required)
{
    struct api_resp *r = api_request("POST", "/v1/auth/login", NULL, "email=a&password=b",
                                     "application/x-www-form-urlencoded", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    r = api_request("POST", "/v1/auth/login", NULL, "{\"email\":\"a\"}", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    r = api_request("POST", "/v1/auth/login", NULL, "{\"email\":\"a@b.c\",\"password\":\"x\"}",
                    "application/jsonp", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    /* parameters after the media type are fine */
    r = api_request("POST", "/v1/auth/login", NULL,
                    "{\"email\":\"nobody@test.sellerdesk.dev\",\"password\":\"x\"}",
                    "application/json; charset=utf-8", NULL);
    ck_assert_problem(r, 401, "invalid_credentials");
    api_free(r);
}
END_TEST

START_TEST(malformed_and_non_object_bodies)
{
    static const char *malformed[] = {"{",           "{\"email\": }",     "not json",
                                      "{\"a\":1}{}", "{\"a\":1,\"a\":2}", "{\"a\":\"\xff\"}"};
    static const char *non_objects[] = {"[]", "42", "\"string\"", "null", "true"};
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        struct api_resp *r = api_post("/v1/auth/register", NULL, malformed[i]);
        ck_assert_problem(r, 400, "malformed_json");
        api_free(r);
    }
    for (size_t i = 0; i < sizeof non_objects / sizeof non_objects[0]; i++) {
        struct api_resp *r = api_post("/v1/auth/register", NULL, non_objects[i]);
        ck_assert_problem(r, 400, "body_not_object");
        api_free(r);
    }
    struct api_resp *r = api_request("POST", "/v1/auth/register", NULL, NULL, NULL,
                                     "Content-Type: application/json");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
}
END_TEST

static char *big_register_body(size_t size, const char *email)
{
    char *body = malloc(size + 1);
    int n = snprintf(body, size,
                     "{\"email\":\"%s\",\"password\":\"long enough pw\","
                     "\"role\":\"buyer\",\"display_name\":\"",
                     email);
    memset(body + n, 'x', size - (size_t)n - 2);
    memcpy(body + size - 2, "\"}", 3);
    return body;
}

START_TEST(oversized_body_is_413_and_nothing_written)
{
    char local[64], email[128];
    snprintf(email, sizeof email, "%s@test.sellerdesk.dev", api_unique("big", local, sizeof local));
    char *body = big_register_body((1u << 20) + 100, email);
    struct api_resp *r = api_post("/v1/auth/register", NULL, body);
    ck_assert_problem(r, 413, "payload_too_large");
    api_free(r);
    free(body);
    r = api_postf("/v1/auth/login", NULL, "{s:s, s:s}", "email", email, "password",
                  "long enough pw");
    ck_assert_problem(r, 401, "invalid_credentials");
    api_free(r);
}
END_TEST

struct chunk_src {
    const char *data;
    size_t len, off;
};

static size_t read_chunk(char *buf, size_t size, size_t n, void *userdata)
{
    struct chunk_src *s = userdata;
    size_t room = size * n, left = s->len - s->off;
    size_t k = left < room ? left : room;
    if (k > 4096)
        k = 4096;
    memcpy(buf, s->data + s->off, k);
    s->off += k;
    return k;
}

static size_t discard(char *ptr, size_t size, size_t n, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * n;
}

static long post_chunked(const char *path, const char *body)
{
    char url[512];
    long status = 0;
    struct chunk_src src = {body, strlen(body), 0};
    struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    h = curl_slist_append(h, "Content-Type: application/json");
    CURL *c = curl_easy_init();
    snprintf(url, sizeof url, "%s%s", getenv("SD_BASE_URL"), path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_chunk);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* Bodies must declare their length: a chunked body, small or large, is refused with 411
 * before it is read, and nothing is written. */
START_TEST(chunked_body_is_411_and_nothing_written)
{
    char local[64], email[128], small[512];
    snprintf(email, sizeof email, "%s@test.sellerdesk.dev",
             api_unique("chunk", local, sizeof local));
    char *body = big_register_body((1u << 20) + 5000, email);
    ck_assert_int_eq(post_chunked("/v1/auth/register", body), 411);
    free(body);
    snprintf(small, sizeof small,
             "{\"email\":\"%s\",\"password\":\"long enough pw\",\"role\":\"buyer\","
             "\"display_name\":\"Chunky\"}",
             email);
    ck_assert_int_eq(post_chunked("/v1/auth/register", small), 411);
    struct api_resp *r = api_postf("/v1/auth/login", NULL, "{s:s, s:s}", "email", email, "password",
                                   "long enough pw");
    ck_assert_problem(r, 401, "invalid_credentials");
    api_free(r);
}
END_TEST

START_TEST(operational_endpoints)
{
    struct api_resp *r = api_get("/healthz", NULL);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "status"), "ok");
    api_free(r);
    r = api_get("/readyz", NULL);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "status"), "ready");
    api_free(r);
    r = api_get("/openapi.yaml", NULL);
    ck_assert_status(r, 200);
    ck_assert_msg(strncmp(r->body, "openapi: 3.1", 12) == 0, "contract starts with: %.40s",
                  r->body);
    char *ct = api_header(r, "Content-Type");
    ck_assert_str_eq(ct, "application/yaml");
    free(ct);
    api_free(r);
}
END_TEST

START_TEST(metrics_count_requests)
{
    api_free(api_get("/v1/nothing-here", NULL));
    api_free(api_get("/healthz", NULL));
    struct api_resp *r = api_get("/metrics", NULL);
    ck_assert_status(r, 200);
    ck_assert_ptr_nonnull(strstr(r->body, "# TYPE sellerdesk_http_requests_total counter"));
    ck_assert_ptr_nonnull(
        strstr(r->body,
               "sellerdesk_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"));
    ck_assert_ptr_nonnull(strstr(
        r->body, "sellerdesk_http_requests_total{method=\"\",route=\"unmatched\",status=\"404\"}"));
    ck_assert_ptr_nonnull(strstr(r->body, "sellerdesk_http_request_duration_seconds_bucket"));
    ck_assert_ptr_nonnull(strstr(r->body, "sellerdesk_db_pool_size "));
    ck_assert_ptr_nonnull(strstr(r->body, "sellerdesk_db_pool_timeouts_total "));
    api_free(r);
}
END_TEST

START_TEST(protected_routes_need_a_token)
{
    static const struct {
        const char *method, *path;
    } routes[] = {{"GET", "/v1/me"},
                  {"GET", "/v1/products"},
                  {"POST", "/v1/products"},
                  {"GET", "/v1/products/1"},
                  {"PATCH", "/v1/products/1"},
                  {"POST", "/v1/orders"},
                  {"GET", "/v1/orders"},
                  {"GET", "/v1/postings/1-0001"},
                  {"POST", "/v1/postings/1-0001/status"}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        struct api_resp *r = api_request(routes[i].method, routes[i].path, NULL, "{}", NULL, NULL);
        ck_assert_problem(r, 401, "missing_token");
        char *www = api_header(r, "WWW-Authenticate");
        ck_assert_ptr_nonnull(www);
        free(www);
        api_free(r);
    }
}
END_TEST

Suite *http_suite(void)
{
    Suite *s = suite_create("http");
    TCase *tc = tcase_create("conventions");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, unknown_route_is_json_404);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, request_id_echoed_when_sane);
    tcase_add_test(tc, json_body_required);
    tcase_add_test(tc, malformed_and_non_object_bodies);
    tcase_add_test(tc, oversized_body_is_413_and_nothing_written);
    tcase_add_test(tc, chunked_body_is_411_and_nothing_written);
    tcase_add_test(tc, operational_endpoints);
    tcase_add_test(tc, metrics_count_requests);
    tcase_add_test(tc, protected_routes_need_a_token);
    suite_add_tcase(s, tc);
    return s;
}
