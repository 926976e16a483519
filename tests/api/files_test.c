/* API tests of chat attachments: POST /v1/files (raw body, its type in Content-Type, the bytes
 * checked against it) and GET /v1/files/{id} (the bytes back, cache validators, access).
 * Reading a file as a participant of a chat it was sent in needs chats and is tested with
 * them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client.h"

#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"
#define MAX_UPLOAD    (5u << 20) /* SELLERDESK_MAX_UPLOAD_BYTES left at its default */

/* A small file of each accepted type: its magic number, then every byte value (NULs and
 * high bytes prove the path is binary safe end to end). */
struct sample {
    const char *type;
    const char *magic;
    size_t magic_len;
    const char *disposition;
};
static const struct sample samples[] = {
    {"image/jpeg", "\xFF\xD8\xFF\xE0", 4, "inline"},
    {"image/png", "\x89PNG\r\n\x1A\n", 8, "inline"},
    {"image/webp", "RIFF\x24\x01\x00\x00WEBPVP8 ", 16, "inline"},
    {"application/pdf", "%PDF-1.7\n", 9, "attachment"},
};

static unsigned char *sample_bytes(const struct sample *s, size_t *len)
{
    *len = s->magic_len + 256;
    unsigned char *b = malloc(*len);
    memcpy(b, s->magic, s->magic_len);
    for (size_t i = 0; i < 256; i++)
        b[s->magic_len + i] = (unsigned char)i;
    return b;
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, data, len);
    sodium_bin2hex(out, 65, h, sizeof h);
}

static struct api_resp *upload(const char *token, const void *data, size_t len, const char *type)
{
    return api_request_bytes("POST", "/v1/files", token, data, len, type, NULL);
}

/* Uploads and checks the 201 answer; returns the id. */
static int64_t upload_ok(const char *token, const void *data, size_t len, const char *type,
                         const char *expect_type)
{
    char sha[65], loc[64];
    struct api_resp *r = upload(token, data, len, type);
    ck_assert_status(r, 201);
    int64_t id = api_int(r, "id");
    ck_assert_int_gt(id, 0);
    ck_assert_str_eq(api_str(r, "content_type"), expect_type);
    ck_assert_int_eq(api_int(r, "size"), (json_int_t)len);
    sha256_hex(data, len, sha);
    ck_assert_str_eq(api_str(r, "sha256"), sha);
    assert_timestamp(api_str(r, "created_at"));
    ck_assert_int_eq(json_object_size(r->json), 5);
    char *location = api_header(r, "Location");
    snprintf(loc, sizeof loc, "/v1/files/%lld", (long long)id);
    ck_assert_msg(location && strcmp(location, loc) == 0, "Location %s, want %s",
                  location ? location : "(none)", loc);
    free(location);
    api_free(r);
    return id;
}

static struct api_resp *download(const char *token, int64_t id, const char *extra_header)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/files/%lld", (long long)id);
    return api_request("GET", path, token, NULL, NULL, extra_header);
}

static void assert_header(const struct api_resp *r, const char *name, const char *want)
{
    char *v = api_header(r, name);
    ck_assert_msg(v && strcmp(v, want) == 0, "%s: got '%s', want '%s'", name, v ? v : "(none)",
                  want);
    free(v);
}

static void assert_not_found(const char *token, int64_t id)
{
    struct api_resp *r = download(token, id, NULL);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
}

/* The next file id is exactly one above the last: no row (not even a rolled back one) was
 * made between them. Tests run one at a time against their own database. */
static void assert_nothing_stored_since(const char *token, int64_t last_id)
{
    size_t len;
    unsigned char *b = sample_bytes(&samples[1], &len);
    int64_t next = upload_ok(token, b, len, "image/png", "image/png");
    ck_assert_msg(next == last_id + 1, "a file was stored in between: id %lld after %lld",
                  (long long)next, (long long)last_id);
    free(b);
}

static void setup(void)
{
    ck_assert_int_ge(sodium_init(), 0);
}

/* ---------------------------------------------------------------------------------------------
 * POST /v1/files and GET /v1/files/{id}: the bytes round trip
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_upload_and_download_each_type)
{
    const struct sample *s = &samples[_i];
    struct api_user buyer;
    char sha[65], etag[80], size[24];
    size_t len;
    unsigned char *b = sample_bytes(s, &len);
    api_new_user(&buyer, "buyer");
    int64_t id = upload_ok(buyer.token, b, len, s->type, s->type);

    struct api_resp *r = download(buyer.token, id, NULL);
    ck_assert_status(r, 200);
    ck_assert_uint_eq(r->body_len, len);
    ck_assert_msg(memcmp(r->body, b, len) == 0, "%s: the bytes came back changed", s->type);
    sha256_hex(b, len, sha);
    snprintf(etag, sizeof etag, "\"%s\"", sha);
    snprintf(size, sizeof size, "%zu", len);
    assert_header(r, "Content-Type", s->type);
    assert_header(r, "Content-Length", size);
    assert_header(r, "ETag", etag);
    assert_header(r, "X-Content-Type-Options", "nosniff");
    char *cc = api_header(r, "Cache-Control"), *cd = api_header(r, "Content-Disposition");
    ck_assert_msg(cc && strncmp(cc, "private, max-age=", 17) == 0, "Cache-Control %s", cc);
    ck_assert_msg(cd && strncmp(cd, s->disposition, strlen(s->disposition)) == 0,
                  "Content-Disposition %s for %s", cd, s->type);
    free(cc);
    free(cd);
    api_free(r);
    free(b);
}
END_TEST

START_TEST(test_any_role_uploads)
{
    static const char *const roles[] = {"buyer", "seller"};
    struct api_user u;
    size_t len;
    unsigned char *b = sample_bytes(&samples[3], &len);
    for (size_t i = 0; i < 3; i++) {
        if (i < 2)
            api_new_user(&u, roles[i]);
        else
            api_demo_user(&u, SUPPORT_EMAIL);
        int64_t id = upload_ok(u.token, b, len, "application/pdf", "application/pdf");
        struct api_resp *r = download(u.token, id, NULL);
        ck_assert_status(r, 200);
        ck_assert_uint_eq(r->body_len, len);
        api_free(r);
    }
    free(b);
}
END_TEST

/* Parameters and case of Content-Type do not matter; the stored type is canonical. */
START_TEST(test_content_type_spellings)
{
    static const char *const spellings[] = {"Image/PNG", "image/png; charset=binary",
                                            " image/png ;name=\"a.png\""};
    struct api_user seller;
    size_t len;
    unsigned char *b = sample_bytes(&samples[1], &len);
    api_new_user(&seller, "seller");
    for (size_t i = 0; i < 3; i++) {
        int64_t id = upload_ok(seller.token, b, len, spellings[i], "image/png");
        struct api_resp *r = download(seller.token, id, NULL);
        ck_assert_status(r, 200);
        assert_header(r, "Content-Type", "image/png");
        api_free(r);
    }
    free(b);
}
END_TEST

START_TEST(test_largest_file_round_trips)
{
    struct api_user buyer;
    unsigned char *b = malloc(MAX_UPLOAD);
    randombytes_buf(b, MAX_UPLOAD);
    memcpy(b, "%PDF-", 5);
    api_new_user(&buyer, "buyer");
    int64_t id = upload_ok(buyer.token, b, MAX_UPLOAD, "application/pdf", "application/pdf");
    struct api_resp *r = download(buyer.token, id, NULL);
    ck_assert_status(r, 200);
    ck_assert_uint_eq(r->body_len, MAX_UPLOAD);
    ck_assert(memcmp(r->body, b, MAX_UPLOAD) == 0);
    api_free(r);
    free(b);
}
END_TEST

START_TEST(test_if_none_match)
{
    struct api_user buyer;
    char sha[65], hdr[160];
    size_t len;
    unsigned char *b = sample_bytes(&samples[0], &len);
    api_new_user(&buyer, "buyer");
    int64_t id = upload_ok(buyer.token, b, len, "image/jpeg", "image/jpeg");
    sha256_hex(b, len, sha);
    /* the tag as sent, weak, in a list, any: 304 without the bytes, validators repeated */
    const char *matching[] = {"If-None-Match: \"%s\"", "If-None-Match: W/\"%s\"",
                              "If-None-Match: \"0000\", \"%s\"", "If-None-Match: *"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(hdr, sizeof hdr, matching[i], sha);
        struct api_resp *r = download(buyer.token, id, hdr);
        ck_assert_status(r, 304);
        ck_assert_uint_eq(r->body_len, 0);
        snprintf(hdr, sizeof hdr, "\"%s\"", sha);
        assert_header(r, "ETag", hdr);
        char *cc = api_header(r, "Cache-Control");
        ck_assert_msg(cc && strncmp(cc, "private", 7) == 0, "Cache-Control %s", cc);
        free(cc);
        api_free(r);
    }
    /* another tag: the file itself */
    snprintf(hdr, sizeof hdr, "If-None-Match: \"%064d\"", 0);
    struct api_resp *r = download(buyer.token, id, hdr);
    ck_assert_status(r, 200);
    ck_assert_uint_eq(r->body_len, len);
    api_free(r);
    /* a matching tag does not open someone else's file */
    struct api_user other;
    api_new_user(&other, "buyer");
    snprintf(hdr, sizeof hdr, "If-None-Match: \"%s\"", sha);
    r = download(other.token, id, hdr);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    free(b);
}
END_TEST

START_TEST(test_idempotent_upload)
{
    struct api_user buyer;
    char key[64], hdr[128];
    size_t len;
    unsigned char *b = sample_bytes(&samples[2], &len);
    api_new_user(&buyer, "buyer");
    snprintf(hdr, sizeof hdr, "Idempotency-Key: %s", api_unique("file-", key, sizeof key));
    struct api_resp *first =
        api_request_bytes("POST", "/v1/files", buyer.token, b, len, "image/webp", hdr);
    ck_assert_status(first, 201);
    struct api_resp *again =
        api_request_bytes("POST", "/v1/files", buyer.token, b, len, "image/webp", hdr);
    ck_assert_status(again, 201);
    ck_assert_int_eq(api_int(again, "id"), api_int(first, "id"));
    assert_header(again, "Idempotent-Replayed", "true");
    char *l1 = api_header(first, "Location"), *l2 = api_header(again, "Location");
    ck_assert_msg(l1 && l2 && strcmp(l1, l2) == 0, "Location %s then %s", l1, l2);
    free(l1);
    free(l2);
    /* the key with other bytes (one byte changed past the magic number) */
    b[len - 1] ^= 0xFF;
    struct api_resp *other =
        api_request_bytes("POST", "/v1/files", buyer.token, b, len, "image/webp", hdr);
    ck_assert_problem(other, 422, "idempotency_key_reused");
    assert_nothing_stored_since(buyer.token, api_int(first, "id"));
    api_free(first);
    api_free(again);
    api_free(other);
    free(b);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Refusals
 * ------------------------------------------------------------------------------------------- */

/* Declared as sample _i, the bytes of the next sample: 422, nothing stored. */
START_TEST(test_mismatch_refused)
{
    struct api_user seller;
    size_t len, plen;
    const struct sample *declared = &samples[_i], *actual = &samples[(_i + 1) % 4];
    unsigned char *b = sample_bytes(actual, &len), *p = sample_bytes(&samples[1], &plen);
    api_new_user(&seller, "seller");
    int64_t before = upload_ok(seller.token, p, plen, "image/png", "image/png");
    struct api_resp *r = upload(seller.token, b, len, declared->type);
    ck_assert_problem(r, 422, "file_type_mismatch");
    api_free(r);
    /* bytes of no accepted kind: a script dressed as an image */
    static const char html[] = "<html><script>alert(1)</script></html>";
    r = upload(seller.token, html, sizeof html - 1, declared->type);
    ck_assert_problem(r, 422, "file_type_mismatch");
    api_free(r);
    assert_nothing_stored_since(seller.token, before);
    free(b);
    free(p);
}
END_TEST

START_TEST(test_unsupported_type_refused)
{
    static const char *const refused[] = {"image/gif", "application/json", "text/html",
                                          "image/svg+xml", NULL};
    struct api_user buyer;
    size_t len;
    unsigned char *b = sample_bytes(&samples[1], &len);
    api_new_user(&buyer, "buyer");
    int64_t before = upload_ok(buyer.token, b, len, "image/png", "image/png");
    for (size_t i = 0; i < 5; i++) {
        struct api_resp *r = upload(buyer.token, b, len, refused[i]);
        ck_assert_problem(r, 415, "unsupported_file_type");
        json_t *allowed = json_object_get(r->json, "allowed");
        /* the four of a chat attachment, then the videos of reviews */
        ck_assert_msg(json_array_size(allowed) == 7, "allowed: %s", r->body);
        for (size_t k = 0; k < 4; k++)
            ck_assert_str_eq(json_string_value(json_array_get(allowed, k)), samples[k].type);
        api_free(r);
    }
    assert_nothing_stored_since(buyer.token, before);
    free(b);
}
END_TEST

START_TEST(test_empty_body_refused)
{
    struct api_user buyer;
    size_t len;
    unsigned char *b = sample_bytes(&samples[1], &len);
    api_new_user(&buyer, "buyer");
    int64_t before = upload_ok(buyer.token, b, len, "image/png", "image/png");
    struct api_resp *r = upload(buyer.token, "", 0, "image/png");
    assert_field_error(r, "body", "required");
    api_free(r);
    assert_nothing_stored_since(buyer.token, before);
    free(b);
}
END_TEST

START_TEST(test_over_limit_refused)
{
    struct api_user buyer;
    unsigned char *b = calloc(1, MAX_UPLOAD + 1);
    memcpy(b, "%PDF-", 5);
    api_new_user(&buyer, "buyer");
    size_t plen;
    unsigned char *p = sample_bytes(&samples[1], &plen);
    int64_t before = upload_ok(buyer.token, p, plen, "image/png", "image/png");
    struct api_resp *r = upload(buyer.token, b, MAX_UPLOAD + 1, "application/pdf");
    ck_assert_problem(r, 413, "payload_too_large");
    api_free(r);
    assert_nothing_stored_since(buyer.token, before);
    free(b);
    free(p);
}
END_TEST

START_TEST(test_no_token_refused)
{
    size_t len;
    unsigned char *b = sample_bytes(&samples[1], &len);
    struct api_resp *r = upload(NULL, b, len, "image/png");
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = api_get("/v1/files/1", NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    free(b);
}
END_TEST

/* Another user's file, a support agent and a file never sent in a chat, a missing file and
 * ids that are not ids: the same 404. */
START_TEST(test_others_cannot_read)
{
    struct api_user buyer, seller, support;
    size_t len;
    unsigned char *b = sample_bytes(&samples[0], &len);
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    int64_t id = upload_ok(buyer.token, b, len, "image/jpeg", "image/jpeg");
    assert_not_found(seller.token, id);
    assert_not_found(support.token, id);
    /* and the other way round */
    int64_t sid = upload_ok(seller.token, b, len, "image/jpeg", "image/jpeg");
    assert_not_found(buyer.token, sid);
    /* the uploader still reads both of theirs */
    struct api_resp *r = download(buyer.token, id, NULL);
    ck_assert_status(r, 200);
    api_free(r);
    assert_not_found(buyer.token, sid + 1000000);
    static const char *const bad_ids[] = {"abc",
                                          "0",
                                          "-1",
                                          "1.5",
                                          "1e3",
                                          "99999999999999999999",
                                          "%20"
                                          "1"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/files/%s", bad_ids[i]);
        r = api_get(path, buyer.token);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
    }
    free(b);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Files sent in chats: the participants may read them, nobody else
 * ------------------------------------------------------------------------------------------- */

static json_int_t start_chat(const char *token, const char *body)
{
    struct api_resp *r = api_request("POST", "/v1/chats", token, body, NULL, NULL);
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    api_free(r);
    return id;
}

static struct api_resp *send_files(const char *token, json_int_t chat, const char *text,
                                   int64_t file)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chat);
    return api_postf(path, token, "{s:s, s:[I]}", "text", text, "attachment_ids", (json_int_t)file);
}

START_TEST(test_chat_participants_read_sent_files)
{
    struct api_user buyer, seller, other, support;
    char body[96];
    size_t len;
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    api_new_user(&other, "buyer");
    api_demo_user(&support, "support@demo.sellerdesk.dev");
    unsigned char *b = sample_bytes(&samples[0], &len);
    int64_t file = upload_ok(buyer.token, b, len, "image/jpeg", "image/jpeg");
    assert_not_found(seller.token, file); /* not sent anywhere yet */

    snprintf(body, sizeof body, "{\"kind\":\"buyer_seller\",\"product_id\":%lld}",
             (long long)api_make_product(&seller, 1000, 3));
    json_int_t chat = start_chat(buyer.token, body);
    struct api_resp *r = send_files(buyer.token, chat, "This is how it arrived.", file);
    ck_assert_status(r, 201);
    json_t *att = json_array_get(json_object_get(r->json, "attachments"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "attachments")), 1);
    ck_assert_int_eq(api_jint(att, "id"), file);
    ck_assert_str_eq(api_jstr(att, "content_type"), "image/jpeg");
    ck_assert_int_eq(api_jint(att, "size"), (json_int_t)len);
    api_free(r);

    r = download(seller.token, file, NULL); /* the other participant */
    ck_assert_status(r, 200);
    ck_assert_uint_eq(r->body_len, len);
    ck_assert_msg(memcmp(r->body, b, len) == 0, "the seller got other bytes");
    api_free(r);
    assert_not_found(other.token, file);
    assert_not_found(support.token, file); /* support does not read buyer-seller chats */

    /* a file can only be sent by its uploader */
    r = send_files(seller.token, chat, "Same photo?", file);
    assert_field_error(r, "attachment_ids", "not_found");
    api_free(r);

    /* sent to support, any support agent reads it */
    json_int_t help =
        start_chat(buyer.token, "{\"kind\":\"buyer_support\",\"topic\":\"Damaged box\"}");
    r = send_files(buyer.token, help, "The box was crushed.", file);
    ck_assert_status(r, 201);
    api_free(r);
    r = download(support.token, file, NULL);
    ck_assert_status(r, 200);
    ck_assert_uint_eq(r->body_len, len);
    api_free(r);
    free(b);
}
END_TEST

Suite *files_suite(void)
{
    Suite *s = suite_create("files");
    TCase *ok = api_tcase("round trip");
    tcase_add_checked_fixture(ok, setup, NULL);
    tcase_add_loop_test(ok, test_upload_and_download_each_type, 0, N_CASES(samples));
    tcase_add_test(ok, test_any_role_uploads);
    tcase_add_test(ok, test_content_type_spellings);
    tcase_add_test(ok, test_largest_file_round_trips);
    tcase_add_test(ok, test_if_none_match);
    tcase_add_test(ok, test_idempotent_upload);
    tcase_add_test(ok, test_chat_participants_read_sent_files);
    suite_add_tcase(s, ok);
    TCase *bad = api_tcase("refusals");
    tcase_add_checked_fixture(bad, setup, NULL);
    tcase_add_loop_test(bad, test_mismatch_refused, 0, N_CASES(samples));
    tcase_add_test(bad, test_unsupported_type_refused);
    tcase_add_test(bad, test_empty_body_refused);
    tcase_add_test(bad, test_over_limit_refused);
    tcase_add_test(bad, test_no_token_refused);
    tcase_add_test(bad, test_others_cannot_read);
    suite_add_tcase(s, bad);
    return s;
}
