/* API tests of the lists of reviews against the real server: the work list (GET /v1/reviews)
 * with every filter, sort and its cursor, who sees what, the counters, opening a review
 * (marks it viewed), bulk status, the product page and the product's rating. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "review_fixtures.h"

/* A seller with three products "Samovar tea 1..3", two buyers and six reviews:
 *   r[0] product 0, 5 stars, Russian text, a photo   r[3] product 0 (a 2nd purchase), 4, pros
 *   r[1] product 1, 1 star, English text             r[4] product 1 (buyer 2), 3, a video only
 *   r[2] product 2, 2 stars, no text                 r[5] product 2 (buyer 2), 1, Russian text
 * r[0] is opened by the seller (viewed); r[1] has an official answer approved (processed). */
struct shelf {
    struct purchase p;
    struct api_user buyer2;
    int64_t r[6];
};

static void shelf_open(struct shelf *s)
{
    char pn[3][40];
    rv_purchase(&s->p, "Samovar tea", 3, "delivered");
    api_new_user_named(&s->buyer2, "buyer", "Boris Buyer");
    rv_buy(&s->p.buyer, &s->p.seller, s->p.product[0], "delivered", pn[0]);
    rv_buy(&s->buyer2, &s->p.seller, s->p.product[1], "delivered", pn[1]);
    rv_buy(&s->buyer2, &s->p.seller, s->p.product[2], "delivered", pn[2]);
    const char *b1 = s->p.buyer.token, *b2 = s->buyer2.token;
    s->r[0] = rv_write_id(b1, s->p.pn, s->p.product[0], 5,
                          json_pack("{s:s, s:[I]}", "text", "Отличный ароматный чай", "media",
                                    (json_int_t)rv_upload(b1, "image/png")));
    s->r[1] = rv_write_id(b1, s->p.pn, s->p.product[1], 1,
                          json_pack("{s:s}", "text", "Bitter and stale leaves"));
    s->r[2] = rv_write_id(b1, s->p.pn, s->p.product[2], 2, NULL);
    s->r[3] = rv_write_id(b1, pn[0], s->p.product[0], 4, json_pack("{s:s}", "pros", "Aroma"));
    s->r[4] = rv_write_id(b2, pn[1], s->p.product[1], 3,
                          json_pack("{s:[I]}", "media", (json_int_t)rv_upload(b2, "video/mp4")));
    s->r[5] =
        rv_write_id(b2, pn[2], s->p.product[2], 1, json_pack("{s:s}", "text", "Упаковка порвана"));
    struct api_resp *r = rv_get(s->p.seller.token, s->r[0]);
    ck_assert_status(r, 200);
    api_free(r);
    json_t *answer =
        rv_comment(s->p.seller.token, s->r[1], "We are sorry, a new pack is on its way.", 0);
    qa_decide_ok(s->p.support.token, "review_comment", api_jint(answer, "id"), "approve", NULL);
    json_decref(answer);
}

/* The seller's list for query holds exactly the reviews of want (indexes into s->r, -1 ends),
 * newest first. */
static void assert_seller_list(const struct shelf *s, const char *query, const int *want)
{
    char got[256], expected[256] = "";
    size_t used = 0;
    int n = 0;
    while (want[n] >= 0)
        n++;
    for (int i = n - 1; i >= 0; i--)
        used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%lld", used ? "," : "",
                                 (long long)s->r[want[i]]);
    json_t *items = rv_list(s->p.seller.token, query);
    rv_ids(items, got, sizeof got);
    json_decref(items);
    ck_assert_msg(strcmp(got, expected) == 0, "?%s: got [%s], want [%s]", query, got, expected);
}

static void day(int offset, char out[11])
{
    time_t t = time(NULL) + (time_t)offset * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

START_TEST(test_seller_list_each_filter)
{
    struct shelf s;
    char q[128], today[11], tomorrow[11], yesterday[11], *esc;
    shelf_open(&s);
    day(0, today);
    day(1, tomorrow);
    day(-1, yesterday);
    assert_seller_list(&s, "", (int[]){0, 1, 2, 3, 4, 5, -1});
    assert_seller_list(&s, "status=all", (int[]){0, 1, 2, 3, 4, 5, -1});
    assert_seller_list(&s, "status=new", (int[]){2, 3, 4, 5, -1});
    assert_seller_list(&s, "status=viewed", (int[]){0, -1});
    assert_seller_list(&s, "status=processed", (int[]){1, -1});
    assert_seller_list(&s, "rating=1,2", (int[]){1, 2, 5, -1});
    assert_seller_list(&s, "rating=5", (int[]){0, -1});
    assert_seller_list(&s, "rating=4,3,5", (int[]){0, 3, 4, -1});
    assert_seller_list(&s, "has_media=true", (int[]){0, 4, -1});
    assert_seller_list(&s, "has_media=false", (int[]){1, 2, 3, 5, -1});
    assert_seller_list(&s, "has_text=true", (int[]){0, 1, 3, 5, -1});
    assert_seller_list(&s, "has_text=false", (int[]){2, 4, -1});
    assert_seller_list(&s, "answered=true", (int[]){1, -1});
    assert_seller_list(&s, "answered=false", (int[]){0, 2, 3, 4, 5, -1});
    snprintf(q, sizeof q, "product_id=%lld", (long long)s.p.product[0]);
    assert_seller_list(&s, q, (int[]){0, 3, -1});
    snprintf(q, sizeof q, "sku=%lld", (long long)s.p.sku[1]);
    assert_seller_list(&s, q, (int[]){1, 4, -1});
    snprintf(q, sizeof q, "product_id=%lld&sku=%lld", (long long)s.p.product[0],
             (long long)s.p.sku[1]);
    assert_seller_list(&s, q, (int[]){-1});
    snprintf(q, sizeof q, "date_from=%s&date_to=%s", today, today);
    assert_seller_list(&s, q, (int[]){0, 1, 2, 3, 4, 5, -1});
    snprintf(q, sizeof q, "date_from=%s", tomorrow);
    assert_seller_list(&s, q, (int[]){-1});
    snprintf(q, sizeof q, "date_to=%s", yesterday);
    assert_seller_list(&s, q, (int[]){-1});
    /* full text over text, pros, cons (either language, any word form) and the product name */
    static const struct {
        const char *q;
        int want[7];
    } searches[] = {
        {"ароматного", {0, -1}},
        {"stale", {1, -1}},
        {"упаковки порваны", {5, -1}},
        {"aromas", {3, -1}},
        {"bitterness", {1, -1}},
        {"sweet", {-1}},
        {"Samovar", {0, 1, 2, 3, 4, 5, -1}},
        {"samovar -stale", {0, 2, 3, 4, 5, -1}},
    };
    for (size_t i = 0; i < sizeof searches / sizeof searches[0]; i++) {
        esc = curl_easy_escape(NULL, searches[i].q, 0);
        snprintf(q, sizeof q, "q=%s", esc);
        curl_free(esc);
        assert_seller_list(&s, q, searches[i].want);
    }
    /* filters combine */
    snprintf(q, sizeof q, "rating=1&has_text=true&sku=%lld", (long long)s.p.sku[2]);
    assert_seller_list(&s, q, (int[]){5, -1});
    assert_seller_list(&s, "status=new&has_media=true", (int[]){4, -1});
}
END_TEST

/* Walks the seller's list in sort with pages of 2 and checks the order against the keys. */
static void assert_sorted(const struct shelf *s, const char *sort)
{
    char query[128], today[11];
    /* a date range around today keeps all six: the date bound sits in the keyset by date */
    day(0, today);
    snprintf(query, sizeof query, "sort=%s&date_from=%s&date_to=%s", sort, today, today);
    json_t *all = rv_walk(s->p.seller.token, "/v1/reviews", query, 2);
    ck_assert_int_eq(json_array_size(all), 6);
    int by_rating = strncmp(sort, "rating", 6) == 0, desc = strstr(sort, "desc") != NULL;
    for (size_t i = 1; i < json_array_size(all); i++) {
        json_t *a = json_array_get(all, i - 1), *b = json_array_get(all, i);
        json_int_t ka = by_rating ? api_jint(a, "rating") : 0;
        json_int_t kb = by_rating ? api_jint(b, "rating") : 0;
        int cmp = ka != kb ? (ka < kb ? -1 : 1)
                           : strcmp(api_jstr(a, "created_at"), api_jstr(b, "created_at"));
        if (cmp == 0)
            cmp = api_jint(a, "id") < api_jint(b, "id") ? -1 : 1;
        ck_assert_msg(desc ? cmp > 0 : cmp < 0, "%s: %lld before %lld", sort,
                      (long long)api_jint(a, "id"), (long long)api_jint(b, "id"));
    }
    json_decref(all);
}

START_TEST(test_every_sort_is_keyset_paginated)
{
    struct shelf s;
    shelf_open(&s);
    assert_sorted(&s, "date_desc");
    assert_sorted(&s, "date_asc");
    assert_sorted(&s, "rating_desc");
    assert_sorted(&s, "rating_asc");
    /* with a filter, across pages */
    json_t *low = rv_walk(s.p.seller.token, "/v1/reviews", "sort=rating_asc&rating=1,2", 1);
    char got[128], want[128];
    rv_ids(low, got, sizeof got);
    snprintf(want, sizeof want, "%lld,%lld,%lld", (long long)s.r[1], (long long)s.r[5],
             (long long)s.r[2]);
    ck_assert_str_eq(got, want);
    json_decref(low);
    /* a cursor belongs to its sort and filters */
    struct api_resp *r = api_get("/v1/reviews?limit=1&sort=rating_asc", s.p.seller.token);
    ck_assert_status(r, 200);
    char cursor[512], path[700];
    snprintf(cursor, sizeof cursor, "%s", api_str(r, "next_cursor"));
    api_free(r);
    const char *others[] = {"sort=rating_desc", "sort=rating_asc&rating=1", "",
                            "sort=rating_asc&q=tea"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/v1/reviews?limit=1&%s%scursor=%s", others[i],
                 *others[i] ? "&" : "", cursor);
        r = api_get(path, s.p.seller.token);
        assert_field_error(r, "cursor", "invalid_cursor");
        api_free(r);
    }
    /* and to its caller's list: another seller cannot continue it */
    struct api_user other;
    api_new_user(&other, "seller");
    snprintf(path, sizeof path, "/v1/reviews?limit=1&sort=rating_asc&cursor=%s", cursor);
    r = api_get(path, other.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
    api_free(r);
}
END_TEST

static const struct {
    const char *query, *field, *code;
} bad_queries[] = {
    {"sort=stars", "sort", "invalid_enum"},
    {"status=open", "status", "invalid_enum"},
    {"rating=0", "rating", "invalid_format"},
    {"rating=6", "rating", "invalid_format"},
    {"rating=1,1", "rating", "invalid_format"},
    {"rating=1,", "rating", "invalid_format"},
    {"rating=12", "rating", "invalid_format"},
    {"has_media=yes", "has_media", "invalid_enum"},
    {"answered=1", "answered", "invalid_enum"},
    {"product_id=abc", "product_id", "invalid_format"},
    {"sku=-4", "sku", "invalid_format"},
    {"date_from=2026-13-01", "date_from", "invalid_format"},
    {"date_from=2026-12-05&date_to=2026-12-01", "date_to", "invalid_range"},
    {"q=%20%20", "q", "invalid_length"},
    {"limit=0", "limit", "out_of_range"},
    {"limit=101", "limit", "out_of_range"},
    {"cursor=not-a-cursor", "cursor", "invalid_cursor"},
    {"stars=5", "stars", "unknown_parameter"},
};

START_TEST(test_list_rejects_bad_query)
{
    struct api_user seller;
    char path[256];
    api_new_user(&seller, "seller");
    for (size_t i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; i++) {
        snprintf(path, sizeof path, "/v1/reviews?%s", bad_queries[i].query);
        struct api_resp *r = api_get(path, seller.token);
        ck_assert_msg(r->status == 400 &&
                          api_has_error(r, bad_queries[i].field, bad_queries[i].code),
                      "?%s: %ld %s", bad_queries[i].query, r->status, r->body);
        api_free(r);
    }
    char *q = api_repeat("я", 201);
    snprintf(path, sizeof path, "/v1/reviews?q=%s", "x");
    char *long_path = malloc(strlen(q) * 3 + 32);
    char *esc = curl_easy_escape(NULL, q, 0);
    sprintf(long_path, "/v1/reviews?q=%s", esc);
    struct api_resp *r = api_get(long_path, seller.token);
    assert_field_error(r, "q", "invalid_length");
    api_free(r);
    curl_free(esc);
    free(long_path);
    free(q);
}
END_TEST

START_TEST(test_who_sees_which_reviews)
{
    struct shelf s;
    struct api_user other_seller;
    char q[64], got[128], want[128];
    shelf_open(&s);
    api_new_user(&other_seller, "seller");
    /* a buyer: own reviews only, also those waiting for moderation */
    char pn[40];
    rv_buy(&s.buyer2, &s.p.seller, s.p.product[0], "delivered", pn);
    int64_t waiting = rv_write_id(s.buyer2.token, pn, s.p.product[0], 2,
                                  json_pack("{s:s}", "text", "Meh" FLAGGED_SUFFIX));
    json_t *mine = rv_list(s.buyer2.token, "");
    rv_ids(mine, got, sizeof got);
    snprintf(want, sizeof want, "%lld,%lld,%lld", (long long)waiting, (long long)s.r[5],
             (long long)s.r[4]);
    ck_assert_str_eq(got, want);
    ck_assert_str_eq(api_jstr(json_object_get(json_array_get(mine, 0), "moderation"), "status"),
                     "pending");
    json_decref(mine);
    /* the seller: published ones only, without their moderation */
    json_t *theirs = rv_list(s.p.seller.token, "");
    ck_assert_ptr_null(rv_find(theirs, waiting));
    ck_assert_msg(json_is_null(json_object_get(json_array_get(theirs, 0), "moderation")),
                  "moderation shown to the seller");
    ck_assert_int_eq(json_array_size(theirs), 6);
    json_decref(theirs);
    /* another seller: none of them, not even by naming the product */
    json_t *none = rv_list(other_seller.token, "");
    ck_assert_int_eq(json_array_size(none), 0);
    json_decref(none);
    snprintf(q, sizeof q, "product_id=%lld", (long long)s.p.product[0]);
    none = rv_list(other_seller.token, q);
    ck_assert_int_eq(json_array_size(none), 0);
    json_decref(none);
    /* support: every review of the product, the waiting one too */
    json_t *all = rv_list(s.p.support.token, q);
    rv_ids(all, got, sizeof got);
    snprintf(want, sizeof want, "%lld,%lld,%lld", (long long)waiting, (long long)s.r[3],
             (long long)s.r[0]);
    ck_assert_str_eq(got, want);
    json_decref(all);
}
END_TEST

static void assert_counts(const char *token, json_int_t all, json_int_t n, json_int_t viewed,
                          json_int_t processed, json_int_t unanswered, const json_int_t r[5])
{
    json_t *c = rv_counts(token);
    ck_assert_int_eq(api_jint(c, "all"), all);
    ck_assert_int_eq(api_jint(c, "new"), n);
    ck_assert_int_eq(api_jint(c, "viewed"), viewed);
    ck_assert_int_eq(api_jint(c, "processed"), processed);
    ck_assert_int_eq(api_jint(c, "unanswered"), unanswered);
    for (int i = 0; i < 5; i++) {
        char k[2] = {(char)('1' + i), 0};
        ck_assert_int_eq(api_jint(json_object_get(c, "by_rating"), k), r[i]);
    }
    json_decref(c);
}

START_TEST(test_counts_follow_every_change)
{
    struct shelf s;
    shelf_open(&s);
    assert_counts(s.p.seller.token, 6, 4, 1, 1, 5, (json_int_t[]){2, 1, 1, 1, 1});
    assert_counts(s.buyer2.token, 2, 2, 0, 0, 2, (json_int_t[]){1, 0, 1, 0, 0});
    /* reading as the author or support does not mark it viewed; as its seller it does */
    struct api_resp *r = rv_get(s.buyer2.token, s.r[4]);
    api_free(r);
    r = rv_get(s.p.support.token, s.r[4]);
    api_free(r);
    assert_counts(s.p.seller.token, 6, 4, 1, 1, 5, (json_int_t[]){2, 1, 1, 1, 1});
    r = rv_get(s.p.seller.token, s.r[4]);
    ck_assert_str_eq(api_str(r, "status"), "viewed");
    api_free(r);
    assert_counts(s.p.seller.token, 6, 3, 2, 1, 5, (json_int_t[]){2, 1, 1, 1, 1});
    /* an edit moves a rating; a deletion takes a review out */
    r = rv_patch(s.buyer2.token, s.r[5], json_pack("{s:i}", "rating", 5));
    ck_assert_status(r, 200);
    api_free(r);
    r = rv_delete(s.p.buyer.token, s.r[2]);
    ck_assert_status(r, 204);
    api_free(r);
    assert_counts(s.p.seller.token, 5, 2, 2, 1, 4, (json_int_t[]){1, 0, 1, 1, 2});
    /* another seller has none */
    struct api_user other;
    api_new_user(&other, "seller");
    assert_counts(other.token, 0, 0, 0, 0, 0, (json_int_t[]){0, 0, 0, 0, 0});
}
END_TEST

static struct api_resp *set_status(const char *token, const char *body)
{
    return api_post("/v1/reviews/status", token, body);
}

START_TEST(test_bulk_status_per_item_results)
{
    struct shelf s;
    struct purchase other;
    char body[256];
    shelf_open(&s);
    rv_purchase(&other, "Other tea", 1, "delivered");
    int64_t foreign = rv_write_id(other.buyer.token, other.pn, other.product[0], 5, NULL);
    snprintf(body, sizeof body,
             "{\"review_ids\":[%lld,%lld,%lld,%lld,%lld],\"status\":\"processed\"}",
             (long long)s.r[2], (long long)s.r[0], (long long)s.r[1], (long long)foreign,
             (long long)RV_NO_SUCH_ID);
    struct api_resp *r = set_status(s.p.seller.token, body);
    ck_assert_status(r, 200);
    json_t *res = json_object_get(r->json, "results");
    ck_assert_int_eq(json_array_size(res), 5);
    static const char *const want[] = {"updated", "updated", "unchanged", "not_found", "not_found"};
    for (int i = 0; i < 5; i++)
        ck_assert_str_eq(api_jstr(json_array_get(res, (size_t)i), "result"), want[i]);
    api_free(r);
    /* an answered review stays processed */
    snprintf(body, sizeof body, "{\"review_ids\":[%lld,%lld],\"status\":\"new\"}",
             (long long)s.r[1], (long long)s.r[2]);
    r = set_status(s.p.seller.token, body);
    ck_assert_status(r, 200);
    res = json_object_get(r->json, "results");
    ck_assert_str_eq(api_jstr(json_array_get(res, 0), "result"), "answered");
    ck_assert_str_eq(api_jstr(json_array_get(res, 1), "result"), "updated");
    api_free(r);
    assert_counts(s.p.seller.token, 6, 4, 0, 2, 5, (json_int_t[]){2, 1, 1, 1, 1});
    r = rv_get(other.seller.token, foreign);
    ck_assert_str_eq(api_str(r, "status"), "viewed");
    api_free(r);
}
END_TEST

START_TEST(test_bulk_status_refused_roles_and_bad_input)
{
    struct shelf s;
    char body[128];
    shelf_open(&s);
    snprintf(body, sizeof body, "{\"review_ids\":[%lld],\"status\":\"processed\"}",
             (long long)s.r[3]);
    const char *refused[] = {s.p.buyer.token, s.p.support.token};
    for (int i = 0; i < 2; i++) {
        struct api_resp *r = set_status(refused[i], body);
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
    static const struct {
        const char *body, *field, *code;
    } bad[] = {
        {"{\"status\":\"processed\"}", "review_ids", "required"},
        {"{\"review_ids\":[1]}", "status", "required"},
        {"{\"review_ids\":[],\"status\":\"new\"}", "review_ids", "too_short"},
        {"{\"review_ids\":[1],\"status\":\"done\"}", "status", "invalid_enum"},
        {"{\"review_ids\":[\"1\"],\"status\":\"new\"}", "review_ids", "wrong_type"},
        {"{\"review_ids\":[1,1],\"status\":\"new\"}", "review_ids", "duplicate"},
        {"{\"review_ids\":[1],\"status\":\"new\",\"all\":true}", "all", "unknown_field"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct api_resp *r = set_status(s.p.seller.token, bad[i].body);
        ck_assert_msg(r->status == 400 && api_has_error(r, bad[i].field, bad[i].code), "%s: %s",
                      bad[i].body, r->body);
        api_free(r);
    }
    char big[2048] = "{\"status\":\"new\",\"review_ids\":[";
    for (int i = 1; i <= 101; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%s%d", i > 1 ? "," : "", i);
    strcat(big, "]}");
    struct api_resp *r = set_status(s.p.seller.token, big);
    assert_field_error(r, "review_ids", "too_long");
    api_free(r);
    /* nothing changed */
    assert_counts(s.p.seller.token, 6, 4, 1, 1, 5, (json_int_t[]){2, 1, 1, 1, 1});
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The product page and the rating
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_product_page_and_rating)
{
    struct shelf s;
    struct api_user visitor;
    char path[128], refused_pn[40], got[128], want[128];
    shelf_open(&s);
    api_new_user(&visitor, "buyer");
    int64_t p0 = s.p.product[0];
    /* refused at pickup: the seller sees and answers it, the page and the rating do not */
    rv_buy(&s.buyer2, &s.p.seller, p0, "refused", refused_pn);
    int64_t refused = rv_write_id(s.buyer2.token, refused_pn, p0, 1,
                                  json_pack("{s:s}", "text", "Refused, the box was crushed"));
    snprintf(path, sizeof path, "product_id=%lld", (long long)p0);
    json_t *seller_view = rv_list(s.p.seller.token, path);
    ck_assert_ptr_nonnull(rv_find(seller_view, refused));
    json_decref(seller_view);
    /* a published comment shows on the page; a pending one does not */
    json_t *c = rv_comment(s.buyer2.token, s.r[0], "Agree, lovely aroma", 0);
    json_t *pending = rv_comment(s.p.seller.token, s.r[0], "Thank you!", 0);

    snprintf(path, sizeof path, "/v1/products/%lld/reviews", (long long)p0);
    json_t *page = rv_walk(visitor.token, path, "", 1);
    rv_ids(page, got, sizeof got);
    snprintf(want, sizeof want, "%lld,%lld", (long long)s.r[3], (long long)s.r[0]);
    ck_assert_str_eq(got, want);
    json_t *first = rv_find(page, s.r[0]);
    json_t *comments = json_object_get(first, "comments");
    ck_assert_int_eq(json_array_size(comments), 1);
    ck_assert_int_eq(api_jint(json_array_get(comments, 0), "id"), api_jint(c, "id"));
    ck_assert_msg(json_is_null(json_object_get(first, "posting_number")), "posting shown");
    ck_assert_msg(json_is_null(json_object_get(first, "moderation")), "moderation shown");
    json_decref(page);
    page = rv_walk(visitor.token, path, "sort=rating_asc", 5);
    rv_ids(page, got, sizeof got);
    snprintf(want, sizeof want, "%lld,%lld", (long long)s.r[3], (long long)s.r[0]);
    ck_assert_str_eq(got, want);
    json_decref(page);
    page = rv_walk(visitor.token, path, "has_media=true&rating=5,4", 5);
    rv_ids(page, got, sizeof got);
    snprintf(want, sizeof want, "%lld", (long long)s.r[0]);
    ck_assert_str_eq(got, want);
    json_decref(page);

    json_t *rating = rv_rating(visitor.token, p0);
    ck_assert_int_eq(api_jint(rating, "product_id"), p0);
    ck_assert_int_eq(api_jint(rating, "count"), 2);
    ck_assert_msg(json_real_value(json_object_get(rating, "average")) == 4.5, "average: %s",
                  json_dumps(rating, 0));
    ck_assert_int_eq(api_jint(json_object_get(rating, "histogram"), "1"), 0);
    json_decref(rating);
    /* two decimals */
    rating = rv_rating(visitor.token, s.p.product[1]);
    ck_assert_int_eq(api_jint(rating, "count"), 2);
    ck_assert_msg(json_real_value(json_object_get(rating, "average")) == 2.0, "average");
    json_decref(rating);
    char pn[40];
    rv_buy(&visitor, &s.p.seller, s.p.product[1], "delivered", pn);
    rv_write_id(visitor.token, pn, s.p.product[1], 5, NULL);
    rating = rv_rating(visitor.token, s.p.product[1]);
    ck_assert_msg(json_real_value(json_object_get(rating, "average")) == 3.0, "average");
    json_decref(rating);
    rv_buy(&visitor, &s.p.seller, s.p.product[1], "delivered", pn);
    rv_write_id(visitor.token, pn, s.p.product[1], 5, NULL);
    rating = rv_rating(visitor.token, s.p.product[1]);
    ck_assert_msg(json_real_value(json_object_get(rating, "average")) == 3.5, "average");
    json_decref(rating);
    rv_buy(&visitor, &s.p.seller, s.p.product[1], "delivered", pn);
    rv_write_id(visitor.token, pn, s.p.product[1], 1, NULL);
    rating = rv_rating(visitor.token, s.p.product[1]);
    ck_assert_msg(json_real_value(json_object_get(rating, "average")) == 3.0, "average");
    rv_buy(&visitor, &s.p.seller, s.p.product[1], "delivered", pn);
    rv_write_id(visitor.token, pn, s.p.product[1], 2, NULL);
    json_decref(rating);
    rating = rv_rating(visitor.token, s.p.product[1]);
    ck_assert_int_eq(api_jint(rating, "count"), 6);
    ck_assert_msg(json_real_value(json_object_get(rating, "average")) == 2.83, "average %f",
                  json_real_value(json_object_get(rating, "average")));
    json_decref(rating);
    json_decref(c);
    json_decref(pending);
}
END_TEST

START_TEST(test_product_page_of_nothing)
{
    struct api_user seller, buyer;
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    int64_t product = api_make_product(&seller, 1000, 1);
    json_t *rating = rv_rating(buyer.token, product);
    ck_assert_int_eq(api_jint(rating, "count"), 0);
    ck_assert_msg(json_is_null(json_object_get(rating, "average")), "average of nothing");
    json_decref(rating);
    char path[96];
    snprintf(path, sizeof path, "/v1/products/%lld/reviews", (long long)product);
    json_t *page = rv_walk(buyer.token, path, "", 10);
    ck_assert_int_eq(json_array_size(page), 0);
    json_decref(page);
    snprintf(path, sizeof path, "/v1/products/%d/reviews", RV_NO_SUCH_ID);
    struct api_resp *r = api_get(path, buyer.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    snprintf(path, sizeof path, "/v1/products/%d/rating", RV_NO_SUCH_ID);
    r = api_get(path, buyer.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    snprintf(path, sizeof path, "/v1/products/%lld/reviews?sort=best", (long long)product);
    r = api_get(path, buyer.token);
    assert_field_error(r, "sort", "invalid_enum");
    api_free(r);
    snprintf(path, sizeof path, "/v1/products/%lld/reviews?q=tea", (long long)product);
    r = api_get(path, buyer.token);
    assert_field_error(r, "q", "unknown_parameter");
    api_free(r);
    r = api_get("/v1/products/1/rating", NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
}
END_TEST

Suite *review_lists_suite(void)
{
    Suite *s = suite_create("review_lists");
    TCase *list = api_tcase("work-list");
    tcase_add_test(list, test_seller_list_each_filter);
    tcase_add_test(list, test_every_sort_is_keyset_paginated);
    tcase_add_test(list, test_list_rejects_bad_query);
    tcase_add_test(list, test_who_sees_which_reviews);
    suite_add_tcase(s, list);
    TCase *counts = api_tcase("counts-status");
    tcase_add_test(counts, test_counts_follow_every_change);
    tcase_add_test(counts, test_bulk_status_per_item_results);
    tcase_add_test(counts, test_bulk_status_refused_roles_and_bad_input);
    suite_add_tcase(s, counts);
    TCase *page = api_tcase("product-page");
    tcase_add_test(page, test_product_page_and_rating);
    tcase_add_test(page, test_product_page_of_nothing);
    suite_add_tcase(s, page);
    return s;
}
