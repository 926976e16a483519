/* API tests of a review's photos and video against the real server: which uploaded files a
 * review may hold, who may download them at each stage of the review (waiting, published,
 * edited, deleted), and the separate size limit of videos. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "review_fixtures.h"

/* ---------------------------------------------------------------------------------------------
 * Media
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_media_rules)
{
    struct purchase p;
    struct api_user other;
    rv_purchase(&p, "Lapsang", 1, "delivered");
    api_new_user(&other, "buyer");
    int64_t foreign = rv_upload(other.token, "image/png");
    int64_t pdf = rv_upload(p.buyer.token, "application/pdf");
    int64_t photo = rv_upload(p.buyer.token, "image/webp");
    int64_t v1 = rv_upload(p.buyer.token, "video/webm");
    int64_t v2 = rv_upload(p.buyer.token, "video/quicktime");
    static const struct {
        int slot;
        const char *code;
    } cases[] = {{0, "not_found"}, {1, "not_media"}, {2, "duplicate"}, {3, "too_many_videos"}};
    int64_t sets[][3] = {{photo, foreign, 0}, {pdf, 0, 0}, {photo, photo, 0}, {v1, v2, 0}};
    int slots[] = {1, 0, 1, 1};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *media = json_array();
        for (int j = 0; j < 3 && sets[i][j]; j++)
            json_array_append_new(media, json_integer(sets[i][j]));
        char field[16];
        snprintf(field, sizeof field, "media[%d]", slots[i]);
        struct api_resp *r =
            rv_post(p.buyer.token, p.pn, p.product[0], 5, json_pack("{s:o}", "media", media));
        assert_field_error(r, field, cases[i].code);
        api_free(r);
    }
    /* eleven photos: the eleventh is one too many */
    json_t *many = json_array();
    for (int i = 0; i < 11; i++)
        json_array_append_new(many, json_integer(rv_upload(p.buyer.token, "image/png")));
    struct api_resp *r =
        rv_post(p.buyer.token, p.pn, p.product[0], 5, json_pack("{s:O}", "media", many));
    assert_field_error(r, "media[10]", "too_many_photos");
    api_free(r);
    json_t *none = rv_list(p.buyer.token, "");
    ck_assert_int_eq(json_array_size(none), 0);
    json_decref(none);
    /* ten photos and a video are fine; a file of a review is not a chat attachment nor the
     * media of another review */
    json_array_remove(many, 10);
    json_array_append_new(many, json_integer(v1));
    json_t *rv = rv_write(p.buyer.token, p.pn, p.product[0], 5, json_pack("{s:o}", "media", many));
    ck_assert_int_eq(json_array_size(json_object_get(rv, "media")), 11);
    json_decref(rv);
    char pn2[40];
    rv_buy(&p.buyer, &p.seller, p.product[0], "delivered", pn2);
    r = rv_post(p.buyer.token, pn2, p.product[0], 5, json_pack("{s:[I]}", "media", (json_int_t)v1));
    assert_field_error(r, "media[0]", "in_use");
    api_free(r);
}
END_TEST

static long download(const char *token, int64_t file)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/files/%lld", (long long)file);
    struct api_resp *r = api_get(path, token);
    long status = r->status;
    api_free(r);
    return status;
}

START_TEST(test_media_readable_once_published)
{
    struct purchase p;
    struct api_user other, other_seller;
    rv_purchase(&p, "Jasmine pearls", 1, "delivered");
    api_new_user(&other, "buyer");
    api_new_user(&other_seller, "seller");
    int64_t photo = rv_upload(p.buyer.token, "image/png");
    int64_t id = rv_write_id(
        p.buyer.token, p.pn, p.product[0], 4,
        json_pack("{s:s, s:[I]}", "text", "Nice" FLAGGED_SUFFIX, "media", (json_int_t)photo));
    /* waiting: the author and support only */
    ck_assert_int_eq(download(p.buyer.token, photo), 200);
    ck_assert_int_eq(download(p.support.token, photo), 200);
    ck_assert_int_eq(download(p.seller.token, photo), 404);
    ck_assert_int_eq(download(other.token, photo), 404);
    rv_decide(p.support.token, id, "approve", NULL);
    ck_assert_int_eq(download(p.seller.token, photo), 200);
    ck_assert_int_eq(download(other.token, photo), 200);
    ck_assert_int_eq(download(other_seller.token, photo), 200);
    /* an edit's new photo stays private until the edit is approved */
    int64_t second = rv_upload(p.buyer.token, "image/jpeg");
    struct api_resp *r = rv_patch(p.buyer.token, id,
                                  json_pack("{s:s, s:[I, I]}", "text", "Nicer" FLAGGED_SUFFIX,
                                            "media", (json_int_t)photo, (json_int_t)second));
    ck_assert_status(r, 200);
    api_free(r);
    ck_assert_int_eq(download(other.token, second), 404);
    ck_assert_int_eq(download(other.token, photo), 200);
    rv_decide(p.support.token, id, "approve", NULL);
    ck_assert_int_eq(download(other.token, second), 200);
    /* deleted: gone for everyone but the uploader */
    r = rv_delete(p.buyer.token, id);
    ck_assert_status(r, 204);
    api_free(r);
    ck_assert_int_eq(download(other.token, photo), 404);
    ck_assert_int_eq(download(p.seller.token, photo), 404);
    ck_assert_int_eq(download(p.buyer.token, photo), 200);
}
END_TEST

START_TEST(test_video_has_its_own_size_limit)
{
    struct api_user buyer;
    api_new_user(&buyer, "buyer");
    size_t len = 6u << 20; /* over the 5 MiB of other files, under the 30 MiB of videos */
    unsigned char *b = calloc(1, len);
    memcpy(b,
           "\x00\x00\x00\x18"
           "ftypisom",
           12);
    struct api_resp *r =
        api_request_bytes("POST", "/v1/files", buyer.token, b, len, "video/mp4", NULL);
    ck_assert_status(r, 201);
    ck_assert_int_eq(api_int(r, "size"), (json_int_t)len);
    api_free(r);
    memcpy(b, "\x89PNG\r\n\x1A\n", 8);
    r = api_request_bytes("POST", "/v1/files", buyer.token, b, len, "image/png", NULL);
    ck_assert_problem(r, 413, "payload_too_large");
    api_free(r);
    /* the bytes must be the declared video */
    r = api_request_bytes("POST", "/v1/files", buyer.token, b, 4096, "video/webm", NULL);
    ck_assert_problem(r, 422, "file_type_mismatch");
    api_free(r);
    free(b);
}
END_TEST

Suite *review_media_suite(void)
{
    Suite *s = suite_create("review_media");
    TCase *media = api_tcase("media");
    tcase_add_test(media, test_media_rules);
    tcase_add_test(media, test_media_readable_once_published);
    tcase_add_test(media, test_video_has_its_own_size_limit);
    suite_add_tcase(s, media);
    return s;
}
