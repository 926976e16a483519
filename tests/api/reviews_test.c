/* API tests of reviews against the real server: writing (POST /v1/reviews) under the default
 * auto policy, who may review what, media, reading one (GET /v1/reviews/{id}), editing
 * (a new version, moderated again) and deleting. Media are in review_media_test.c, the lists,
 * counts and the product page in review_lists_test.c, comments and complaints in
 * review_comments_test.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review_fixtures.h"

/* A buyer's own reviews as the work list shows them (every moderation state). */
static size_t own_reviews(const struct api_user *buyer)
{
    json_t *items = rv_list(buyer->token, "");
    size_t n = json_array_size(items);
    json_decref(items);
    return n;
}

static json_int_t rating_count(const char *token, int64_t product)
{
    json_t *r = rv_rating(token, product);
    json_int_t n = api_jint(r, "count");
    json_decref(r);
    return n;
}

static const json_t *moderation_of(const struct api_resp *r)
{
    const json_t *m = json_object_get(r->json, "moderation");
    ck_assert_msg(json_is_object(m), "no moderation: %s", r->body);
    return m;
}

/* ---------------------------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_write_rating_only_and_full_review)
{
    struct purchase p;
    rv_purchase(&p, "Sencha green tea", 2, "delivered");
    json_t *a = rv_write(p.buyer.token, p.pn, p.product[0], 5, NULL);
    ck_assert_int_eq(api_jint(a, "rating"), 5);
    ck_assert_str_eq(api_jstr(a, "text"), "");
    ck_assert_str_eq(api_jstr(a, "status"), "new");
    ck_assert_msg(json_is_true(json_object_get(a, "published")), "published: %s", "");
    ck_assert_msg(json_is_false(json_object_get(a, "answered")), "answered");
    ck_assert_msg(json_is_false(json_object_get(a, "refused_at_pickup")), "refused");
    ck_assert_int_eq(api_jint(a, "sku"), p.sku[0]);
    ck_assert_str_eq(api_jstr(a, "posting_number"), p.pn);
    ck_assert_int_eq(api_jint(json_object_get(a, "product"), "id"), p.product[0]);
    ck_assert_int_eq(api_jint(json_object_get(a, "author"), "id"), p.buyer.id);
    ck_assert_str_eq(api_jstr(json_object_get(a, "moderation"), "status"), "approved");
    assert_timestamp(api_jstr(a, "created_at"));

    int64_t photo = rv_upload(p.buyer.token, "image/jpeg");
    int64_t video = rv_upload(p.buyer.token, "video/mp4");
    json_t *b = rv_write(p.buyer.token, p.pn, p.product[1], 2,
                         json_pack("{s:s, s:s, s:s, s:[I, I]}", "text", "Горчит, заварка мелкая",
                                   "pros", "Aroma", "cons", "Bitter", "media", (json_int_t)photo,
                                   (json_int_t)video));
    ck_assert_str_eq(api_jstr(b, "text"), "Горчит, заварка мелкая");
    ck_assert_str_eq(api_jstr(b, "pros"), "Aroma");
    json_t *media = json_object_get(b, "media");
    ck_assert_int_eq(json_array_size(media), 2);
    ck_assert_int_eq(api_jint(json_array_get(media, 0), "id"), photo);
    ck_assert_str_eq(api_jstr(json_array_get(media, 1), "content_type"), "video/mp4");

    /* the seller hears of each, once; the rating counts both */
    ck_assert_int_eq(
        qa_notifications(p.seller.token, "review.new", "review_id", api_jint(a, "id"), NULL), 1);
    ck_assert_int_eq(
        qa_notifications(p.seller.token, "review.new", "review_id", api_jint(b, "id"), NULL), 1);
    ck_assert_int_eq(rating_count(p.buyer.token, p.product[0]), 1);
    ck_assert_int_eq(rating_count(p.seller.token, p.product[1]), 1);
    json_decref(a);
    json_decref(b);
}
END_TEST

START_TEST(test_write_refused_roles)
{
    struct purchase p;
    rv_purchase(&p, "Oolong", 1, "delivered");
    struct api_resp *r = rv_post(p.seller.token, p.pn, p.product[0], 5, NULL);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = rv_post(p.support.token, p.pn, p.product[0], 5, NULL);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = rv_post(NULL, p.pn, p.product[0], 5, NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    ck_assert_int_eq(own_reviews(&p.buyer), 0);
    ck_assert_int_eq(rating_count(p.buyer.token, p.product[0]), 0);
}
END_TEST

START_TEST(test_write_only_what_was_received)
{
    struct purchase p, other, waiting;
    struct api_user stranger;
    rv_purchase(&p, "Puer", 1, "delivered");
    rv_purchase(&other, "Rooibos", 1, "delivered");
    rv_purchase(&waiting, "Matcha", 1, NULL);
    api_new_user(&stranger, "buyer");
    /* someone else's posting, a product not in it, a posting that does not exist */
    struct api_resp *r = rv_post(stranger.token, p.pn, p.product[0], 5, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_post(p.buyer.token, p.pn, other.product[0], 5, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_post(p.buyer.token, "99999999-0001", p.product[0], 5, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    /* not received yet, then on its way: 409 */
    r = rv_post(waiting.buyer.token, waiting.pn, waiting.product[0], 5, NULL);
    ck_assert_problem(r, 409, "not_delivered");
    api_free(r);
    rv_move(waiting.seller.token, waiting.pn, "delivering");
    r = rv_post(waiting.buyer.token, waiting.pn, waiting.product[0], 5, NULL);
    ck_assert_problem(r, 409, "not_delivered");
    api_free(r);
    /* one review per product of a posting: the second names the first */
    int64_t id = rv_write_id(p.buyer.token, p.pn, p.product[0], 4, NULL);
    r = rv_post(p.buyer.token, p.pn, p.product[0], 1, json_pack("{s:s}", "text", "Again"));
    ck_assert_problem(r, 409, "review_exists");
    ck_assert_int_eq(api_int(r, "review_id"), id);
    api_free(r);
    /* a second purchase of the same product is another review */
    char pn2[40];
    rv_buy(&p.buyer, &p.seller, p.product[0], "delivered", pn2);
    rv_write_id(p.buyer.token, pn2, p.product[0], 3, NULL);
    ck_assert_int_eq(own_reviews(&p.buyer), 2);
    ck_assert_int_eq(own_reviews(&stranger), 0);
    ck_assert_int_eq(own_reviews(&waiting.buyer), 0);
}
END_TEST

/* Bodies the server must refuse with 400 and the field it names. */
static const struct {
    const char *body, *field, *code;
} bad_bodies[] = {
    {"{\"product_id\":%lld,\"rating\":5}", "posting_number", "required"},
    {"{\"posting_number\":\"%s\",\"rating\":5}", "product_id", "required"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld}", "rating", "required"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":0}", "rating", "out_of_range"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":6}", "rating", "out_of_range"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":\"5\"}", "rating", "wrong_type"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":4.5}", "rating", "wrong_type"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":5,\"text\":\"   \"}", "text",
     "too_short"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":5,\"pros\":7}", "pros",
     "wrong_type"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":5,\"media\":5}", "media",
     "wrong_type"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":5,\"media\":[0]}", "media[0]",
     "wrong_type"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":5,\"media\":[\"1\"]}", "media[0]",
     "wrong_type"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":5,\"stars\":5}", "stars",
     "unknown_field"},
    {"{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":5,\"media\":[1,2,3,4,5,6,7,8,9,"
     "10,11,12]}",
     "media", "too_long"},
};

START_TEST(test_write_bad_input_writes_nothing)
{
    struct purchase p;
    char body[512];
    rv_purchase(&p, "Assam", 1, "delivered");
    for (size_t i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
        const char *fmt = bad_bodies[i].body;
        /* the formats take the posting first and the product second, either may be absent */
        if (strstr(fmt, "%s") && strstr(fmt, "%lld"))
            snprintf(body, sizeof body, fmt, p.pn, (long long)p.product[0]);
        else if (strstr(fmt, "%s"))
            snprintf(body, sizeof body, fmt, p.pn);
        else
            snprintf(body, sizeof body, fmt, (long long)p.product[0]);
        struct api_resp *r = api_post("/v1/reviews", p.buyer.token, body);
        assert_field_error(r, bad_bodies[i].field, bad_bodies[i].code);
        api_free(r);
    }
    /* a text over 5,000 characters (Cyrillic: 2 bytes each) */
    char *long_text = api_repeat("ж", 5001);
    struct api_resp *r =
        rv_post(p.buyer.token, p.pn, p.product[0], 5, json_pack("{s:s}", "cons", long_text));
    assert_field_error(r, "cons", "too_long");
    api_free(r);
    free(long_text);
    long_text = api_repeat("ж", 5000);
    json_t *ok =
        rv_write(p.buyer.token, p.pn, p.product[0], 5, json_pack("{s:s}", "text", long_text));
    free(long_text);
    ck_assert_int_eq(own_reviews(&p.buyer), 1);
    json_decref(ok);
    r = api_post("/v1/reviews", p.buyer.token, "{\"posting_number\":");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_post("/v1/reviews", p.buyer.token, "[1]");
    ck_assert_problem(r, 400, "body_not_object");
    api_free(r);
    r = api_request("POST", "/v1/reviews", p.buyer.token, "{}", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    ck_assert_int_eq(own_reviews(&p.buyer), 1);
}
END_TEST

START_TEST(test_write_content_violation_stores_nothing)
{
    struct purchase p;
    rv_purchase(&p, "Darjeeling", 1, "delivered");
    struct api_resp *r = rv_post(p.buyer.token, p.pn, p.product[0], 1,
                                 json_pack("{s:s, s:s}", "text", "Fine tea", "cons",
                                           "Дешевле у меня, пишите в вотсап 89161234567"));
    ck_assert_problem(r, 422, "content_violation");
    json_t *v = json_array_get(json_object_get(r->json, "violations"), 0);
    ck_assert_str_eq(api_jstr(v, "field"), "cons");
    api_free(r);
    ck_assert_int_eq(own_reviews(&p.buyer), 0);
    ck_assert_int_eq(
        qa_notifications(p.seller.token, "review.new", "product_id", p.product[0], NULL), 0);
}
END_TEST

START_TEST(test_flagged_review_waits_for_support)
{
    struct purchase p;
    struct api_user other;
    rv_purchase(&p, "Genmaicha", 2, "delivered");
    api_new_user(&other, "buyer");
    int64_t id = rv_write_id(p.buyer.token, p.pn, p.product[0], 1,
                             json_pack("{s:s}", "text", "Stale tea" FLAGGED_SUFFIX));
    /* the author sees it waiting; nobody else sees it at all */
    struct api_resp *r = rv_get(p.buyer.token, id);
    ck_assert_status(r, 200);
    ck_assert_msg(json_is_false(json_object_get(r->json, "published")), "published: %s", r->body);
    ck_assert_str_eq(api_jstr(moderation_of(r), "status"), "pending");
    ck_assert_int_eq(json_array_size(json_object_get(moderation_of(r), "flags")), 1);
    ck_assert_str_eq(api_jstr(json_object_get(moderation_of(r), "pending"), "text"),
                     "Stale tea" FLAGGED_SUFFIX);
    api_free(r);
    r = rv_get(p.seller.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_get(other.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    json_t *seller_list = rv_list(p.seller.token, "");
    ck_assert_int_eq(json_array_size(seller_list), 0);
    json_decref(seller_list);
    ck_assert_int_eq(rating_count(p.buyer.token, p.product[0]), 0);
    ck_assert_int_eq(qa_notifications(p.seller.token, "review.new", "review_id", id, NULL), 0);

    /* support finds it in the queue with its flags and approves it */
    json_t *item = rv_queued_version(p.support.token, id);
    ck_assert_ptr_nonnull(item);
    ck_assert_int_eq(api_jint(json_object_get(item, "author"), "id"), p.buyer.id);
    ck_assert_int_eq(api_jint(json_object_get(item, "product"), "id"), p.product[0]);
    ck_assert_int_eq(api_jint(json_object_get(item, "review"), "rating"), 1);
    ck_assert_str_eq(api_jstr(item, "text"), "Stale tea" FLAGGED_SUFFIX);
    json_decref(item);
    rv_decide(p.support.token, id, "approve", NULL);
    r = rv_get(other.token, id);
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "text"), "Stale tea" FLAGGED_SUFFIX);
    ck_assert_msg(json_is_null(json_object_get(r->json, "moderation")), "moderation shown");
    ck_assert_msg(json_is_null(json_object_get(r->json, "posting_number")), "posting shown");
    api_free(r);
    ck_assert_int_eq(qa_notifications(p.seller.token, "review.new", "review_id", id, NULL), 1);
    ck_assert_int_eq(rating_count(p.buyer.token, p.product[0]), 1);

    /* a rejected one is never published; its author is told why */
    int64_t bad = rv_write_id(p.buyer.token, p.pn, p.product[1], 1,
                              json_pack("{s:s}", "text", "Awful" FLAGGED_SUFFIX));
    rv_decide(p.support.token, bad, "reject", "Not about the product");
    json_t *last = NULL;
    ck_assert_int_eq(qa_notifications(p.buyer.token, "review.rejected", "review_id", bad, &last),
                     1);
    ck_assert_str_eq(api_jstr(json_object_get(last, "data"), "reason"), "Not about the product");
    json_decref(last);
    r = rv_get(p.buyer.token, bad);
    ck_assert_str_eq(api_jstr(moderation_of(r), "status"), "rejected");
    ck_assert_str_eq(api_jstr(moderation_of(r), "reason"), "Not about the product");
    api_free(r);
    r = rv_get(p.seller.token, bad);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_int_eq(rating_count(p.buyer.token, p.product[1]), 0);
}
END_TEST

START_TEST(test_idempotent_write)
{
    struct purchase p;
    char key[64], header[128], body[256];
    rv_purchase(&p, "Kukicha", 1, "delivered");
    snprintf(header, sizeof header, "Idempotency-Key: %s", api_unique("rv-", key, sizeof key));
    snprintf(body, sizeof body, "{\"posting_number\":\"%s\",\"product_id\":%lld,\"rating\":4}",
             p.pn, (long long)p.product[0]);
    struct api_resp *a = api_request("POST", "/v1/reviews", p.buyer.token, body, NULL, header);
    struct api_resp *b = api_request("POST", "/v1/reviews", p.buyer.token, body, NULL, header);
    ck_assert_status(a, 201);
    ck_assert_status(b, 201);
    ck_assert_int_eq(api_int(a, "id"), api_int(b, "id"));
    char *replayed = api_header(b, "Idempotent-Replayed");
    ck_assert_msg(replayed && strcmp(replayed, "true") == 0, "Idempotent-Replayed: %s",
                  replayed ? replayed : "(none)");
    free(replayed);
    api_free(a);
    api_free(b);
    ck_assert_int_eq(own_reviews(&p.buyer), 1);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Reading, editing, deleting
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_other_users_review_not_found)
{
    struct purchase p, refused;
    struct api_user other, other_seller;
    rv_purchase(&p, "Earl grey", 1, "delivered");
    rv_purchase(&refused, "Breakfast tea", 1, "refused");
    api_new_user(&other, "buyer");
    api_new_user(&other_seller, "seller");
    int64_t pending = rv_write_id(p.buyer.token, p.pn, p.product[0], 3,
                                  json_pack("{s:s}", "text", "Hm" FLAGGED_SUFFIX));
    int64_t at_pickup = rv_write_id(refused.buyer.token, refused.pn, refused.product[0], 1,
                                    json_pack("{s:s}", "text", "Crushed box"));
    const char *strangers[] = {other.token, other_seller.token};
    for (int i = 0; i < 2; i++) {
        struct api_resp *r = rv_get(strangers[i], pending);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        /* refused at pickup: its seller answers it, nobody else sees it */
        r = rv_get(strangers[i], at_pickup);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
    }
    struct api_resp *r = rv_get(refused.seller.token, at_pickup);
    ck_assert_status(r, 200);
    ck_assert_msg(json_is_true(json_object_get(r->json, "refused_at_pickup")), "%s", r->body);
    ck_assert_str_eq(api_str(r, "posting_number"), refused.pn);
    ck_assert_msg(json_object_get(r->json, "versions") == NULL, "versions shown to the seller");
    api_free(r);
    r = rv_get(p.buyer.token, RV_NO_SUCH_ID);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_get(p.buyer.token, 0);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}
END_TEST

START_TEST(test_edit_keeps_versions_and_the_published_one)
{
    struct purchase p;
    struct api_user other;
    rv_purchase(&p, "Hojicha", 1, "delivered");
    api_new_user(&other, "buyer");
    int64_t id = rv_write_id(p.buyer.token, p.pn, p.product[0], 3,
                             json_pack("{s:s}", "text", "Roasted, fine"));
    /* a clean edit is published at once (policy auto); the members not sent are kept */
    struct api_resp *r = rv_patch(p.buyer.token, id, json_pack("{s:i}", "rating", 5));
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "rating"), 5);
    ck_assert_str_eq(api_str(r, "text"), "Roasted, fine");
    ck_assert_int_eq(api_jint(moderation_of(r), "version"), 2);
    api_free(r);
    json_t *rating = rv_rating(other.token, p.product[0]);
    ck_assert_int_eq(api_jint(json_object_get(rating, "histogram"), "5"), 1);
    ck_assert_int_eq(api_jint(json_object_get(rating, "histogram"), "3"), 0);
    json_decref(rating);
    /* a flagged edit waits; the published version stays public meanwhile */
    r = rv_patch(p.buyer.token, id,
                 json_pack("{s:i, s:s}", "rating", 1, "text", "Changed my mind" FLAGGED_SUFFIX));
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "rating"), 5);
    ck_assert_str_eq(api_jstr(json_object_get(moderation_of(r), "pending"), "text"),
                     "Changed my mind" FLAGGED_SUFFIX);
    api_free(r);
    r = rv_get(other.token, id);
    ck_assert_str_eq(api_str(r, "text"), "Roasted, fine");
    ck_assert_int_eq(api_int(r, "rating"), 5);
    api_free(r);
    rv_decide(p.support.token, id, "approve", NULL);
    r = rv_get(p.buyer.token, id);
    ck_assert_str_eq(api_str(r, "text"), "Changed my mind" FLAGGED_SUFFIX);
    ck_assert_int_eq(api_int(r, "rating"), 1);
    json_t *versions = json_object_get(r->json, "versions");
    ck_assert_int_eq(json_array_size(versions), 3);
    ck_assert_str_eq(api_jstr(json_array_get(versions, 0), "text"), "Roasted, fine");
    ck_assert_int_eq(api_jint(json_array_get(versions, 1), "rating"), 5);
    ck_assert_str_eq(api_jstr(json_object_get(json_array_get(versions, 2), "moderation"), "status"),
                     "approved");
    api_free(r);
    rating = rv_rating(other.token, p.product[0]);
    ck_assert_int_eq(api_jint(rating, "count"), 1);
    ck_assert_int_eq(api_jint(json_object_get(rating, "histogram"), "1"), 1);
    json_decref(rating);
    /* the seller hears of the review once, not of each edit */
    ck_assert_int_eq(qa_notifications(p.seller.token, "review.new", "review_id", id, NULL), 1);
}
END_TEST

START_TEST(test_edit_refused_and_bad_input)
{
    struct purchase p;
    struct api_user other;
    rv_purchase(&p, "Gyokuro", 1, "delivered");
    api_new_user(&other, "buyer");
    int64_t id = rv_write_id(p.buyer.token, p.pn, p.product[0], 4,
                             json_pack("{s:s}", "text", "Sweet and grassy"));
    struct api_resp *r = rv_patch(other.token, id, json_pack("{s:i}", "rating", 1));
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_patch(p.seller.token, id, json_pack("{s:i}", "rating", 1));
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = rv_patch(p.support.token, id, json_pack("{s:i}", "rating", 1));
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = rv_patch(p.buyer.token, RV_NO_SUCH_ID, json_pack("{s:i}", "rating", 1));
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_patch(p.buyer.token, id, json_object());
    assert_field_error(r, "body", "empty_update");
    api_free(r);
    r = rv_patch(p.buyer.token, id, json_pack("{s:i}", "rating", 9));
    assert_field_error(r, "rating", "out_of_range");
    api_free(r);
    r = rv_patch(p.buyer.token, id, json_pack("{s:s}", "text", " \t "));
    assert_field_error(r, "text", "too_short");
    api_free(r);
    r = rv_patch(p.buyer.token, id, json_pack("{s:s}", "text", "Звоните +7 916 123-45-67"));
    ck_assert_problem(r, 422, "content_violation");
    api_free(r);
    /* nothing was written: one version, the first */
    r = rv_get(p.buyer.token, id);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "versions")), 1);
    ck_assert_int_eq(api_int(r, "rating"), 4);
    api_free(r);
}
END_TEST

START_TEST(test_delete_removes_it_everywhere)
{
    struct purchase p;
    struct api_user other;
    rv_purchase(&p, "Chamomile", 1, "delivered");
    api_new_user(&other, "buyer");
    int64_t id = rv_write_id(p.buyer.token, p.pn, p.product[0], 2, NULL);
    json_t *c = rv_counts(p.seller.token);
    ck_assert_int_eq(api_jint(c, "all"), 1);
    json_decref(c);
    struct api_resp *r = rv_delete(other.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = rv_delete(p.seller.token, id);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = rv_delete(p.buyer.token, id);
    ck_assert_status(r, 204);
    api_free(r);
    r = rv_delete(p.buyer.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    const char *everyone[] = {p.buyer.token, p.seller.token, p.support.token, other.token};
    for (int i = 0; i < 4; i++) {
        r = rv_get(everyone[i], id);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
    }
    c = rv_counts(p.seller.token);
    ck_assert_int_eq(api_jint(c, "all"), 0);
    ck_assert_int_eq(api_jint(json_object_get(c, "by_rating"), "2"), 0);
    json_decref(c);
    ck_assert_int_eq(rating_count(other.token, p.product[0]), 0);
    ck_assert_int_eq(own_reviews(&p.buyer), 0);
    /* the purchase may be reviewed anew */
    int64_t again = rv_write_id(p.buyer.token, p.pn, p.product[0], 4, NULL);
    ck_assert_int_ne(again, id);
    ck_assert_int_eq(rating_count(other.token, p.product[0]), 1);
}
END_TEST

Suite *reviews_suite(void)
{
    Suite *s = suite_create("reviews");
    TCase *write = api_tcase("write");
    tcase_add_test(write, test_write_rating_only_and_full_review);
    tcase_add_test(write, test_write_refused_roles);
    tcase_add_test(write, test_write_only_what_was_received);
    tcase_add_test(write, test_write_bad_input_writes_nothing);
    tcase_add_test(write, test_write_content_violation_stores_nothing);
    tcase_add_test(write, test_flagged_review_waits_for_support);
    tcase_add_test(write, test_idempotent_write);
    suite_add_tcase(s, write);
    TCase *change = api_tcase("read-edit-delete");
    tcase_add_test(change, test_other_users_review_not_found);
    tcase_add_test(change, test_edit_keeps_versions_and_the_published_one);
    tcase_add_test(change, test_edit_refused_and_bad_input);
    tcase_add_test(change, test_delete_removes_it_everywhere);
    suite_add_tcase(s, change);
    return s;
}
