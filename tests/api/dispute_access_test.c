/* API tests of what a dispute shows and to whom, against the real server: its media (the
 * buyer's own photos and video, downloadable by the dispute's parties and support only), its
 * items as they were bought, and someone else's dispute (404 on every endpoint; support sees
 * every one). Part of the suite "disputes" (disputes_test.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispute_fixtures.h"

/* ---------------------------------------------------------------------------------------------
 * Media
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_open_media)
{
    struct dworld w;
    struct api_user stranger_seller, stranger_buyer;
    dw_init(&w, 1, "delivered");
    api_new_user(&stranger_seller, "seller");
    api_new_user(&stranger_buyer, "buyer");
    int64_t photo = rv_upload(w.buyer.token, "image/png");
    int64_t video = rv_upload(w.buyer.token, "video/mp4");
    int64_t pdf = rv_upload(w.buyer.token, "application/pdf");
    int64_t foreign = rv_upload(stranger_buyer.token, "image/jpeg");
    /* private until it is a dispute's */
    ck_assert_int_eq(dp_file_status(w.seller.token, photo), 404);
    const struct {
        json_t *media;
        const char *field, *code;
    } cases[] = {
        {json_pack("[I]", (json_int_t)foreign), "media[0]", "not_found"},
        {json_pack("[I, I]", (json_int_t)photo, (json_int_t)RV_NO_SUCH_ID), "media[1]",
         "not_found"},
        {json_pack("[I]", (json_int_t)pdf), "media[0]", "not_media"},
        {json_pack("[I, I]", (json_int_t)photo, (json_int_t)photo), "media[1]", "duplicate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *b = dp_body(w.pn, "refund", 0);
        json_object_set_new(b, "media", cases[i].media);
        struct api_resp *r = dp_post(w.buyer.token, b, NULL);
        assert_field_error(r, cases[i].field, cases[i].code);
        api_free(r);
    }
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);

    json_t *b = dp_body(w.pn, "refund", 0);
    json_object_set_new(b, "media", json_pack("[I, I]", (json_int_t)photo, (json_int_t)video));
    struct api_resp *r = dp_post(w.buyer.token, b, NULL);
    ck_assert_status(r, 201);
    json_t *media = json_object_get(r->json, "media");
    ck_assert_int_eq(json_array_size(media), 2);
    ck_assert_int_eq(json_integer_value(json_array_get(media, 0)), photo);
    ck_assert_int_eq(json_integer_value(json_array_get(media, 1)), video);
    api_free(r);
    /* the dispute's parties and support may download them, nobody else */
    ck_assert_int_eq(dp_file_status(w.buyer.token, photo), 200);
    ck_assert_int_eq(dp_file_status(w.seller.token, photo), 200);
    ck_assert_int_eq(dp_file_status(w.seller.token, video), 200);
    ck_assert_int_eq(dp_file_status(w.support.token, photo), 200);
    ck_assert_int_eq(dp_file_status(stranger_seller.token, photo), 404);
    ck_assert_int_eq(dp_file_status(stranger_buyer.token, video), 404);
    ck_assert_int_eq(dp_file_status(w.seller.token, pdf), 404);
}
END_TEST

START_TEST(test_media_limits)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, "delivered");
    json_t *photos = json_array();
    for (int i = 0; i < 11; i++)
        json_array_append_new(photos, json_integer(rv_upload(w.buyer.token, "image/png")));
    int64_t v1 = rv_upload(w.buyer.token, "video/webm");
    int64_t v2 = rv_upload(w.buyer.token, "video/quicktime");
    /* a photo of the buyer's review is that review's */
    dw_posting(&w, "delivered", pn);
    int64_t reviewed = rv_upload(w.buyer.token, "image/jpeg");
    json_decref(rv_write(w.buyer.token, pn, w.product[0], 2,
                         json_pack("{s:[I]}", "media", (json_int_t)reviewed)));
    const struct {
        json_t *media;
        const char *field, *code;
    } cases[] = {
        {json_deep_copy(photos), "media[10]", "too_many_photos"},
        {json_pack("[I, I]", (json_int_t)v1, (json_int_t)v2), "media[1]", "too_many_videos"},
        {json_pack("[I]", (json_int_t)reviewed), "media[0]", "in_use"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *b = dp_body(w.pn, "refund", 0);
        json_object_set_new(b, "media", cases[i].media);
        struct api_resp *r = dp_post(w.buyer.token, b, NULL);
        assert_field_error(r, cases[i].field, cases[i].code);
        api_free(r);
    }
    ck_assert_uint_eq(dp_list_size(w.buyer.token, ""), 0);
    /* ten photos and a video: the most a dispute holds */
    json_array_remove(photos, 10);
    json_array_append_new(photos, json_integer(v2));
    json_t *b = dp_body(w.pn, "refund", 0);
    json_object_set(b, "media", photos);
    struct api_resp *r = dp_post(w.buyer.token, b, NULL);
    ck_assert_status(r, 201);
    ck_assert_msg(json_equal(json_object_get(r->json, "media"), photos), "media: %s", r->body);
    api_free(r);
    json_decref(photos);
}
END_TEST

/* The items and what was paid are those of the purchase, and stay as the dispute was opened. */
START_TEST(test_items_as_bought)
{
    struct dworld w;
    char path[64];
    dw_init(&w, 2, "delivered");
    /* the seller raises a price after the sale: the posting's price counts */
    snprintf(path, sizeof path, "/v1/products/%lld", (long long)w.product[1]);
    struct api_resp *r = api_patch(path, w.seller.token, "{\"price\":9999}");
    ck_assert_status(r, 200);
    api_free(r);
    json_t *d = dp_open(w.buyer.token, w.pn, "refund", 0);
    ck_assert_int_eq(api_jint(d, "paid"), 5000);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(d, "items"), 1), "price"), 2000);
    /* later changes of the products do not touch the dispute */
    snprintf(path, sizeof path, "/v1/products/%lld", (long long)w.product[0]);
    r = api_patch(path, w.seller.token, "{\"name\":\"Renamed kettle\",\"price\":1}");
    ck_assert_status(r, 200);
    api_free(r);
    json_t *again = dp_read(w.seller.token, api_jint(d, "id"));
    ck_assert_msg(json_equal(json_object_get(again, "items"), json_object_get(d, "items")),
                  "the items changed with the product");
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(again, "items"), 0), "name"),
                     "Kettle part 1");
    ck_assert_int_eq(api_jint(again, "paid"), 5000);
    ck_assert_int_eq(api_jint(again, "amount"), 5000);
    json_decref(again);
    json_decref(d);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Someone else's dispute
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_others_disputes)
{
    struct dworld w, other;
    dw_init(&w, 1, "delivered");
    dw_init(&other, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    struct api_resp *r = dp_post_to(w.buyer.token, id, "/messages",
                                    json_pack("{s:s}", "text", "Photos are attached above."));
    ck_assert_status(r, 201);
    int64_t message = api_int(r, "id");
    api_free(r);
    const struct api_user *strangers[] = {&other.buyer, &other.seller};
    for (size_t i = 0; i < 2; i++) {
        const char *token = strangers[i]->token;
        r = dp_get(token, id, "");
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        r = dp_get(token, id, "/messages");
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        r = dp_post_to(token, id, "/messages", json_pack("{s:s}", "text", "Hello there"));
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        r = dp_post_to(token, id, "/read", json_pack("{s:I}", "up_to_message_id", message));
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        /* every action, the one its role could take included */
        const char *actions[] = {"withdraw", "accept", "offer", "reject"};
        for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++) {
            r = dp_act(token, id, actions[k], dp_valid_members(actions[k]));
            ck_assert_problem(r, 404, "not_found");
            api_free(r);
        }
        json_t *list = dp_list(token, "", 100);
        ck_assert_int_eq(json_array_size(list), 0);
        json_decref(list);
    }
    /* nothing moved; support sees it, as every dispute */
    json_t *d = dp_read(w.support.token, id);
    ck_assert_str_eq(dp_state(d), "awaiting_seller");
    ck_assert_int_eq(dp_history_len(d), 1);
    ck_assert_int_eq(api_jint(d, "unread_count"), 1);
    json_decref(d);
    d = dp_read(other.support.token, id);
    ck_assert_int_eq(api_jint(d, "id"), id);
    json_decref(d);
    /* no such dispute; not a number */
    r = dp_get(w.buyer.token, RV_NO_SUCH_ID, "");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_get("/v1/disputes/abc", w.support.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = dp_act(w.support.token, RV_NO_SUCH_ID, "decide", dp_valid_members("decide"));
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = dp_get(NULL, id, "");
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
}
END_TEST

void dispute_access_tcases(Suite *s)
{
    TCase *tc = api_tcase("access");
    tcase_add_test(tc, test_open_media);
    tcase_add_test(tc, test_media_limits);
    tcase_add_test(tc, test_items_as_bought);
    tcase_add_test(tc, test_others_disputes);
    suite_add_tcase(s, tc);
}
