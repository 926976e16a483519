/* The answer's headers kept in the request's context (api/answer_headers.c). */
#include <stdlib.h>
#include <string.h>

#include "../../api/http.h"
#include "unit.h"

START_TEST(test_set_replace_unset)
{
    struct http_ctx *ctx = calloc(1, sizeof *ctx);
    char etag[] = "\"abc\"";
    ck_assert_ptr_nonnull(ctx);
    http_set_header(ctx, "Content-Type", "application/json");
    http_set_header(ctx, "ETag", etag);
    etag[1] = 'x'; /* the value is copied, not kept */
    ck_assert_str_eq(http_answer_header(ctx, "etag"), "\"abc\"");
    /* the same name in another case replaces, in place */
    http_set_header(ctx, "content-type", "application/problem+json");
    ck_assert_int_eq(ctx->nheaders, 2);
    ck_assert_str_eq(ctx->headers[0].name, "Content-Type");
    ck_assert_str_eq(http_answer_header(ctx, "Content-Type"), "application/problem+json");
    http_unset_header(ctx, "Content-Type");
    ck_assert_int_eq(ctx->nheaders, 1);
    ck_assert_ptr_null(http_answer_header(ctx, "Content-Type"));
    ck_assert_str_eq(ctx->headers[0].name, "ETag");
    http_unset_header(ctx, "Retry-After"); /* absent: nothing happens */
    ck_assert_int_eq(ctx->nheaders, 1);
    free(ctx);
}
END_TEST

START_TEST(test_limits_leave_out_and_keep_the_rest)
{
    static const char *const names[] = {"A0", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8",
                                        "A9", "B0", "B1", "B2", "B3", "B4", "B5", "B6"};
    struct http_ctx *ctx = calloc(1, sizeof *ctx);
    ck_assert_ptr_nonnull(ctx);
    for (int i = 0; i < HTTP_MAX_HEADERS + 1; i++)
        http_set_header(ctx, names[i], "v");
    ck_assert_int_eq(ctx->nheaders, HTTP_MAX_HEADERS);
    ck_assert_ptr_null(http_answer_header(ctx, names[HTTP_MAX_HEADERS]));
    http_set_header(ctx, "A0", "w"); /* a replacement still fits */
    ck_assert_str_eq(http_answer_header(ctx, "A0"), "w");

    char big[HTTP_HEADER_BYTES];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    http_unset_header(ctx, "A1");
    http_set_header(ctx, "Big", big); /* more bytes than are left: left out */
    ck_assert_ptr_null(http_answer_header(ctx, "Big"));
    ck_assert_int_eq(ctx->nheaders, HTTP_MAX_HEADERS - 1);
    ck_assert_str_eq(http_answer_header(ctx, "A2"), "v");
    free(ctx);
}
END_TEST

Suite *answer_headers_suite(void)
{
    Suite *s = suite_create("answer headers");
    TCase *tc = tcase_create("headers");
    tcase_add_test(tc, test_set_replace_unset);
    tcase_add_test(tc, test_limits_leave_out_and_keep_the_rest);
    suite_add_tcase(s, tc);
    return s;
}
