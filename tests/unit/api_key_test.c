/* The API key's secret and scopes (src/api_key.c): the form every secret has, what is refused
 * before any lookup, and a hash that depends on every byte of the secret. */
#include <string.h>

#include "../../src/api_key.h"
#include "unit.h"

START_TEST(test_secret_form)
{
    char a[APIKEY_SECRET_LEN + 1], b[APIKEY_SECRET_LEN + 1];
    apikey_secret_new(a);
    apikey_secret_new(b);
    ck_assert_uint_eq(strlen(a), APIKEY_SECRET_LEN);
    ck_assert(strncmp(a, "sdk_", 4) == 0);
    ck_assert(apikey_secret_wellformed(a));
    ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_malformed_secrets_refused)
{
    char s[APIKEY_SECRET_LEN + 1];
    apikey_secret_new(s);
    ck_assert(!apikey_secret_wellformed(NULL));
    ck_assert(!apikey_secret_wellformed(""));
    ck_assert(!apikey_secret_wellformed("sdk_"));
    s[10] = '+'; /* not base64url */
    ck_assert(!apikey_secret_wellformed(s));
    apikey_secret_new(s);
    s[0] = 'S';
    ck_assert(!apikey_secret_wellformed(s));
    apikey_secret_new(s);
    s[APIKEY_SECRET_LEN - 1] = '\0'; /* one short */
    ck_assert(!apikey_secret_wellformed(s));
}
END_TEST

START_TEST(test_hash_depends_on_every_byte)
{
    char s[APIKEY_SECRET_LEN + 1], h1[APIKEY_HASH_HEX], h2[APIKEY_HASH_HEX];
    apikey_secret_new(s);
    apikey_secret_hash(s, h1);
    apikey_secret_hash(s, h2);
    ck_assert_str_eq(h1, h2);
    ck_assert_uint_eq(strlen(h1), 2 * APIKEY_HASH_BYTES);
    s[APIKEY_SECRET_LEN - 1] = s[APIKEY_SECRET_LEN - 1] == 'A' ? 'B' : 'A';
    apikey_secret_hash(s, h2);
    ck_assert_str_ne(h1, h2);
}
END_TEST

START_TEST(test_scopes)
{
    ck_assert_int_eq(apikey_scope_parse("chats:read"), APIKEY_CHATS_READ);
    ck_assert_int_eq(apikey_scope_parse("events:read"), APIKEY_EVENTS_READ);
    ck_assert_int_eq(apikey_scope_parse("events:write"), -1);
    ck_assert_int_eq(apikey_scope_parse("Chats:read"), -1);
    ck_assert_int_eq(apikey_scope_parse(NULL), -1);
    for (int i = 0; i < APIKEY_SCOPE__COUNT; i++) {
        ck_assert_int_eq(apikey_scope_parse(apikey_scope_name(i)), i);
        ck_assert_ptr_nonnull(strstr(apikey_scope_list(), apikey_scope_name(i)));
    }
}
END_TEST

Suite *api_key_suite(void)
{
    Suite *s = suite_create("api_key");
    TCase *tc = tcase_create("secret and scopes");
    tcase_add_test(tc, test_secret_form);
    tcase_add_test(tc, test_malformed_secrets_refused);
    tcase_add_test(tc, test_hash_depends_on_every_byte);
    tcase_add_test(tc, test_scopes);
    suite_add_tcase(s, tc);
    return s;
}
