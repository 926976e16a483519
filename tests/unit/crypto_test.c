#include <string.h>

#include <sodium.h>

#include "../../src/auth.h"
#include "../../src/cursor.h"
#include "unit.h"

START_TEST(password_hash_and_verify)
{
    char h1[128], h2[128];
    ck_assert_int_eq(auth_password_hash("correct horse", 1, 8u << 20, h1), 0);
    ck_assert_int_eq(auth_password_hash("correct horse", 1, 8u << 20, h2), 0);
    ck_assert_str_ne(h1, h2); /* salted */
    ck_assert_ptr_nonnull(strstr(h1, "$argon2id$"));
    ck_assert_int_eq(auth_password_verify("correct horse", h1), 1);
    ck_assert_int_eq(auth_password_verify("correct horsE", h1), 0);
    ck_assert_int_eq(auth_password_verify("", h1), 0);
    ck_assert_int_eq(auth_password_verify("correct horse", "not a hash"), 0);
}
END_TEST

START_TEST(opaque_tokens)
{
    char a[64], b[64], da[65], db[65];
    auth_opaque_token(a);
    auth_opaque_token(b);
    ck_assert_uint_eq(strlen(a), 43); /* 32 bytes, base64url without padding */
    ck_assert_str_ne(a, b);
    auth_token_digest(a, da);
    auth_token_digest(a, db);
    ck_assert_str_eq(da, db);
    ck_assert_uint_eq(strlen(da), 64);
    ck_assert_uint_eq(strspn(da, "0123456789abcdef"), 64);
}
END_TEST

START_TEST(cursor_round_trip)
{
    char c[CURSOR_MAX_LEN];
    int64_t id = 0;
    cursor_set_key("cursor-secret-cursor-secret-12345");
    cursor_encode("products", 123456789012345LL, c);
    ck_assert_int_eq(cursor_decode("products", c, &id), 0);
    ck_assert_int_eq(id, 123456789012345LL);
    ck_assert_uint_eq(strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                      strlen(c)); /* URL-safe */
}
END_TEST

START_TEST(cursor_tamper_refused)
{
    char c[CURSOR_MAX_LEN];
    int64_t id = 0;
    cursor_set_key("cursor-secret-cursor-secret-12345");
    cursor_encode("orders", 42, c);
    /* every single-character change is refused */
    for (size_t i = 0; i < strlen(c); i++) {
        char t[CURSOR_MAX_LEN];
        strcpy(t, c);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        ck_assert_msg(cursor_decode("orders", t, &id) == -1, "change at %zu accepted", i);
    }
    ck_assert_int_eq(cursor_decode("postings", c, &id), -1); /* another list */
    ck_assert_int_eq(cursor_decode("orders", "", &id), -1);
    ck_assert_int_eq(cursor_decode("orders", "not a cursor", &id), -1);
    char longer[CURSOR_MAX_LEN + 8];
    snprintf(longer, sizeof longer, "%sAA", c);
    ck_assert_int_eq(cursor_decode("orders", longer, &id), -1);
    /* a cursor minted under another key */
    cursor_set_key("another-secret-another-secret-999");
    ck_assert_int_eq(cursor_decode("orders", c, &id), -1);
}
END_TEST

Suite *crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("passwords-tokens-cursors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, password_hash_and_verify);
    tcase_add_test(tc, opaque_tokens);
    tcase_add_test(tc, cursor_round_trip);
    tcase_add_test(tc, cursor_tamper_refused);
    suite_add_tcase(s, tc);
    return s;
}
