/* GET /docs: the rendered contract's page and scripts, served from the binary without
 * authentication, with their types, validators and the policy that keeps the page on this
 * server. (tests/docs/ opens the page in a real browser.) */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "client.h"

/* The status of a HEAD request (the test client reads a body, which HEAD never has). */
static long docs_head_status(const char *path)
{
    char url[512];
    long status = 0;
    const char *base = getenv("SD_BASE_URL");
    snprintf(url, sizeof url, "%s%s", base ? base : "http://127.0.0.1:8080", path);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    ck_assert_msg(rc == CURLE_OK, "HEAD %s: %s", path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    return status;
}

/* The quoted hex SHA-256 of an answer's bytes, as the server's ETag should be. */
static void docs_expected_etag(const struct api_resp *r, char out[67])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    crypto_hash_sha256(d, (const unsigned char *)r->body, r->body_len);
    sodium_bin2hex(hex, sizeof hex, d, sizeof d);
    snprintf(out, 67, "\"%s\"", hex);
}

/* status 200, the Content-Type, and the headers every docs answer carries */
static void docs_assert_served(const struct api_resp *r, const char *content_type)
{
    char expected[67];
    ck_assert_status(r, 200);
    char *ct = api_header(r, "Content-Type"), *etag = api_header(r, "ETag"),
         *cc = api_header(r, "Cache-Control"), *csp = api_header(r, "Content-Security-Policy"),
         *nosniff = api_header(r, "X-Content-Type-Options");
    ck_assert_str_eq(ct, content_type);
    docs_expected_etag(r, expected);
    ck_assert_str_eq(etag, expected);
    ck_assert_str_eq(cc, "public, no-cache");
    ck_assert_str_eq(nosniff, "nosniff");
    /* nothing from another host: no source of any kind but this server */
    ck_assert_ptr_nonnull(csp);
    ck_assert_msg(strncmp(csp, "default-src 'none'; script-src 'self';", 38) == 0, "CSP: %s", csp);
    ck_assert_ptr_null(strstr(csp, "http"));
    ck_assert_ptr_null(strstr(csp, "*"));
    free(ct);
    free(etag);
    free(cc);
    free(csp);
    free(nosniff);
}

START_TEST(page_is_public_html_loading_only_this_server)
{
    struct api_resp *r = api_get("/docs", NULL);
    docs_assert_served(r, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r->body, "<script src=\"/docs/redoc.standalone.js\"></script>"));
    ck_assert_ptr_nonnull(strstr(r->body, "<script src=\"/docs/init.js\"></script>"));
    /* no script, style, font or image from elsewhere: no absolute URL at all */
    ck_assert_ptr_null(strstr(r->body, "http:"));
    ck_assert_ptr_null(strstr(r->body, "https:"));
    ck_assert_ptr_null(strstr(r->body, "//cdn"));
    api_free(r);
}
END_TEST

START_TEST(scripts_are_served)
{
    struct api_resp *r = api_get("/docs/redoc.standalone.js", NULL);
    docs_assert_served(r, "text/javascript; charset=utf-8");
    /* the whole bundle (over a megabyte), not a stub */
    ck_assert_msg(r->body_len > 500000, "bundle of %zu bytes", r->body_len);
    ck_assert_ptr_nonnull(strstr(r->body, "e.Redoc=t("));
    /* its CDN logo is left out at build time */
    ck_assert_ptr_null(strstr(r->body, "cdn.redoc.ly/redoc/logo-mini.svg"));
    api_free(r);

    r = api_get("/docs/init.js", NULL);
    docs_assert_served(r, "text/javascript; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(r->body, "Redoc.init('/openapi.yaml'"));
    api_free(r);
}
END_TEST

START_TEST(current_copy_answers_304)
{
    struct api_resp *r = api_get("/docs/redoc.standalone.js", NULL);
    ck_assert_status(r, 200);
    char *etag = api_header(r, "ETag"), line[256];
    api_free(r);

    /* the tag itself, weak or among others, or "*": the copy is current */
    const char *forms[] = {"If-None-Match: %s", "If-None-Match: W/%s",
                           "If-None-Match: \"0000\", %s", "If-None-Match: *%.0s"};
    for (int i = 0; i < N_CASES(forms); i++) {
        snprintf(line, sizeof line, forms[i], etag);
        r = api_request("GET", "/docs/redoc.standalone.js", NULL, NULL, NULL, line);
        ck_assert_msg(r->status == 304, "%s: %ld", line, r->status);
        ck_assert_uint_eq(r->body_len, 0);
        char *again = api_header(r, "ETag"), *cc = api_header(r, "Cache-Control");
        ck_assert_str_eq(again, etag);
        ck_assert_str_eq(cc, "public, no-cache");
        free(again);
        free(cc);
        api_free(r);
    }
    /* another file's tag: the bytes */
    snprintf(line, sizeof line, "If-None-Match: \"%064d\"", 0);
    r = api_request("GET", "/docs/redoc.standalone.js", NULL, NULL, NULL, line);
    docs_assert_served(r, "text/javascript; charset=utf-8");
    api_free(r);
    /* the page's own tag is not the bundle's */
    r = api_request("GET", "/docs", NULL, NULL, NULL,
                    strcat(strcpy(line, "If-None-Match: "), etag));
    ck_assert_status(r, 200);
    api_free(r);
    free(etag);
}
END_TEST

START_TEST(other_methods_are_405_like_the_other_public_routes)
{
    const char *paths[] = {"/docs", "/docs/init.js", "/docs/redoc.standalone.js"};
    for (int i = 0; i < N_CASES(paths); i++) {
        /* HEAD is not served by any route of this API (the contract's conventions) */
        long head = docs_head_status(paths[i]);
        ck_assert_msg(head == 405, "HEAD %s: %ld", paths[i], head);
        struct api_resp *r = api_post(paths[i], NULL, "{}");
        ck_assert_problem(r, 405, "method_not_allowed");
        char *allow = api_header(r, "Allow");
        ck_assert_str_eq(allow, "GET");
        free(allow);
        api_free(r);
        r = api_request("DELETE", paths[i], NULL, NULL, NULL, NULL);
        ck_assert_problem(r, 405, "method_not_allowed");
        api_free(r);
    }
    /* nothing else is served under /docs */
    struct api_resp *r = api_get("/docs/other.js", NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

Suite *docs_suite(void)
{
    Suite *s = suite_create("docs");
    TCase *tc = api_tcase("docs");
    tcase_add_test(tc, page_is_public_html_loading_only_this_server);
    tcase_add_test(tc, scripts_are_served);
    tcase_add_test(tc, current_copy_answers_304);
    tcase_add_test(tc, other_methods_are_405_like_the_other_public_routes);
    suite_add_tcase(s, tc);
    return s;
}
