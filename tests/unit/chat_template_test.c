/* Unit tests of the canned-reply placeholders (src/chat_template.c) and of the RFC 3339
 * parser of restriction end times (src/timestamp.c): pure functions, no database. */
#include <stdlib.h>
#include <string.h>

#include "../../src/chat_template.h"
#include "../../src/timestamp.h"
#include "unit.h"

static const struct chat_template_values all_values = {
    {"Anna", "Gadget Shop", "12345678-0001-1", "Blue kettle"}};

START_TEST(placeholder_names)
{
    ck_assert_str_eq(chat_placeholder_name(CHAT_PH_BUYER_NAME), "buyer_name");
    ck_assert_str_eq(chat_placeholder_name(CHAT_PH_SELLER_NAME), "seller_name");
    ck_assert_str_eq(chat_placeholder_name(CHAT_PH_POSTING_NUMBER), "posting_number");
    ck_assert_str_eq(chat_placeholder_name(CHAT_PH_PRODUCT_NAME), "product_name");
    ck_assert_str_eq(chat_placeholder_name(CHAT_PH__COUNT), "");
}
END_TEST

/* texts every placeholder of which is known, or that have no placeholder-shaped braces */
static const char *const check_ok[] = {
    "",
    "No placeholders at all.",
    "Hello, {buyer_name}! Your order {posting_number} is packed",
    "{seller_name}{product_name}{buyer_name}{posting_number}",
    "{{buyer_name}}",                      /* outer braces are plain text */
    "{} {Buyer_Name} {buyer name} {a1} {", /* not of the shape {[a-z_]+}: plain text */
    "json {\"a\": 1} and a smile {:-)}",
    "unclosed {buyer_name",
    "{buyer_name}}",
};

START_TEST(check_accepts_known_and_plain_text)
{
    char bad[64] = "untouched";
    ck_assert_msg(chat_template_check(check_ok[_i], bad, sizeof bad) == 0, "refused: %s",
                  check_ok[_i]);
    ck_assert_str_eq(bad, "untouched");
}
END_TEST

static const struct {
    const char *text, *bad;
} check_bad[] = {
    {"Hello, {name}!", "name"},
    {"{buyer_name} {phone} {email}", "phone"}, /* the first unknown one */
    {"{buyer_names}", "buyer_names"},          /* a known name is matched whole */
    {"{buyer}", "buyer"},
    {"{_}", "_"},
    {"{{order_id}}", "order_id"},
    {"ends with {x}", "x"},
};

START_TEST(check_names_first_unknown)
{
    char bad[64] = "";
    ck_assert_int_eq(chat_template_check(check_bad[_i].text, bad, sizeof bad), -1);
    ck_assert_str_eq(bad, check_bad[_i].bad);
}
END_TEST

START_TEST(check_truncates_long_unknown_name)
{
    char text[300], bad[8];
    memset(text + 1, 'z', 200);
    text[0] = '{';
    strcpy(text + 201, "}");
    ck_assert_int_eq(chat_template_check(text, bad, sizeof bad), -1);
    ck_assert_str_eq(bad, "zzzzzzz");
}
END_TEST

static const struct {
    const char *text, *filled;
} fill_cases[] = {
    {"", ""},
    {"plain", "plain"},
    {"Hello, {buyer_name}! Your order {posting_number} is packed",
     "Hello, Anna! Your order 12345678-0001-1 is packed"},
    {"{seller_name}{product_name}", "Gadget ShopBlue kettle"},
    {"{buyer_name} {buyer_name}", "Anna Anna"},
    {"{{buyer_name}}", "{Anna}"},
    {"{unknown} stays, {Buyer_Name} too", "{unknown} stays, {Buyer_Name} too"},
    {"trailing {", "trailing {"},
};

START_TEST(fill_replaces_every_placeholder)
{
    const char *missing = "unset";
    char *out = chat_template_fill(fill_cases[_i].text, &all_values, &missing);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_null(missing);
    ck_assert_str_eq(out, fill_cases[_i].filled);
    free(out);
}
END_TEST

START_TEST(fill_does_not_expand_values)
{
    /* a buyer who names themself "{posting_number}" gets exactly that text, not a number */
    struct chat_template_values v = {{"{posting_number}", NULL, "P-1", NULL}};
    const char *missing = NULL;
    char *out = chat_template_fill("Hi {buyer_name}, {posting_number}", &v, &missing);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, "Hi {posting_number}, P-1");
    free(out);
}
END_TEST

START_TEST(fill_reports_missing_value)
{
    struct chat_template_values v = {{"Anna", NULL, NULL, NULL}};
    const char *missing = NULL;
    ck_assert_ptr_null(chat_template_fill("Hi {buyer_name}, about {posting_number}", &v, &missing));
    ck_assert_str_eq(missing, "posting_number");
    /* an empty value is a value */
    v.v[CHAT_PH_POSTING_NUMBER] = "";
    char *out = chat_template_fill("Hi {buyer_name}, about {posting_number}.", &v, &missing);
    ck_assert_ptr_nonnull(out);
    ck_assert_ptr_null(missing);
    ck_assert_str_eq(out, "Hi Anna, about .");
    free(out);
    /* a value needed by no placeholder may be missing */
    out = chat_template_fill("Hi {buyer_name}", &v, &missing);
    ck_assert_str_eq(out, "Hi Anna");
    free(out);
}
END_TEST

START_TEST(fill_long_text)
{
    /* 500 placeholders: the result is measured, not guessed */
    char text[6001] = "";
    for (int i = 0; i < 500; i++)
        strcat(text, "{buyer_name}");
    const char *missing = NULL;
    struct chat_template_values v = {{"a much longer name than the placeholder", 0, 0, 0}};
    char *out = chat_template_fill(text, &v, &missing);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(strlen(out), 500 * strlen(v.v[0]));
    free(out);
}
END_TEST

static const struct {
    const char *s;
    time_t t;
} ts_ok[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"2027-01-01T00:00:00Z", 1798761600},
    {"2027-01-01t00:00:00z", 1798761600},
    {"2027-01-01T03:00:00+03:00", 1798761600},
    {"2026-12-31T19:30:00-04:30", 1798761600},
    {"2027-01-01T00:00:00.999999Z", 1798761600},
    {"2028-02-29T00:00:00Z", 1835395200}, /* a leap year */
    {"2000-02-29T00:00:00Z", 951782400},  /* divisible by 400 */
};

START_TEST(ts_parses_rfc3339)
{
    time_t t = -1;
    ck_assert_msg(ts_parse_rfc3339(ts_ok[_i].s, &t) == 0, "refused %s", ts_ok[_i].s);
    ck_assert_msg(t == ts_ok[_i].t, "%s: got %lld", ts_ok[_i].s, (long long)t);
}
END_TEST

static const char *const ts_bad[] = {
    "",
    "2027-01-01",                 /* a date is not an instant */
    "2027-01-01T00:00:00",        /* no offset: whose midnight? */
    "2027-01-01 00:00:00Z",       /* the T is required */
    "2027-1-01T00:00:00Z",        /* two-digit month */
    "2027-13-01T00:00:00Z",       /* no 13th month */
    "2027-02-29T00:00:00Z",       /* not a leap year */
    "2100-02-29T00:00:00Z",       /* divisible by 100, not 400 */
    "2027-04-31T00:00:00Z",       /* April has 30 days */
    "2027-01-00T00:00:00Z",       /* no day 0 */
    "2027-01-01T24:00:00Z",       /* hours 0-23 */
    "2027-01-01T00:60:00Z",       /* minutes 0-59 */
    "2027-01-01T00:00:61Z",       /* 60 at most (a leap second) */
    "2027-01-01T00:00:00.Z",      /* a fraction needs digits */
    "2027-01-01T00:00:00+0300",   /* the offset has a colon */
    "2027-01-01T00:00:00+24:00",  /* offset hours 0-23 */
    "2027-01-01T00:00:00Zjunk",   /* nothing after the offset */
    "2027-01-01T00:00:00+03:00x", /* nothing after the offset */
    "tomorrow",
    "+2027-01-01T00:00:00Z",
    "2O27-01-01T00:00:00Z", /* a letter O */
};

START_TEST(ts_refuses_other_text)
{
    time_t t;
    ck_assert_msg(ts_parse_rfc3339(ts_bad[_i], &t) == -1, "accepted %s", ts_bad[_i]);
}
END_TEST

START_TEST(ts_formats_utc)
{
    char buf[32];
    ck_assert_str_eq(ts_format_utc(1798761600, buf, sizeof buf), "2027-01-01T00:00:00Z");
    time_t t;
    ck_assert_int_eq(ts_parse_rfc3339(ts_format_utc(1835395199, buf, sizeof buf), &t), 0);
    ck_assert_int_eq(t, 1835395199);
}
END_TEST

Suite *chat_template_suite(void)
{
    Suite *s = suite_create("chat_template");
    TCase *tc = tcase_create("placeholders");
    tcase_add_test(tc, placeholder_names);
    tcase_add_loop_test(tc, check_accepts_known_and_plain_text, 0,
                        (int)(sizeof check_ok / sizeof check_ok[0]));
    tcase_add_loop_test(tc, check_names_first_unknown, 0,
                        (int)(sizeof check_bad / sizeof check_bad[0]));
    tcase_add_test(tc, check_truncates_long_unknown_name);
    tcase_add_loop_test(tc, fill_replaces_every_placeholder, 0,
                        (int)(sizeof fill_cases / sizeof fill_cases[0]));
    tcase_add_test(tc, fill_does_not_expand_values);
    tcase_add_test(tc, fill_reports_missing_value);
    tcase_add_test(tc, fill_long_text);
    suite_add_tcase(s, tc);
    TCase *ts = tcase_create("rfc3339");
    tcase_add_loop_test(ts, ts_parses_rfc3339, 0, (int)(sizeof ts_ok / sizeof ts_ok[0]));
    tcase_add_loop_test(ts, ts_refuses_other_text, 0, (int)(sizeof ts_bad / sizeof ts_bad[0]));
    tcase_add_test(ts, ts_formats_utc);
    suite_add_tcase(s, ts);
    return s;
}
