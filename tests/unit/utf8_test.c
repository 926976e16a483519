/* UTF-8 helpers: lengths in characters, blank texts in any script's spaces, and repairing a
 * text snprintf cut inside a character. */
#include <string.h>

#include "../../src/utf8.h"
#include "unit.h"

START_TEST(test_length_counts_characters)
{
    ck_assert_uint_eq(utf8_length(""), 0);
    ck_assert_uint_eq(utf8_length("abc"), 3);
    ck_assert_uint_eq(utf8_length("\xd0\x96\xd0\x96"), 2);  /* ЖЖ */
    ck_assert_uint_eq(utf8_length("\xe6\xbc\xa2z"), 2);     /* 漢z */
    ck_assert_uint_eq(utf8_length("\xf0\x9f\x98\x80!"), 2); /* 😀! */
}
END_TEST

static const struct {
    const char *text;
    int blank;
} blanks[] = {
    {"", 1},
    {" \t\r\n", 1},
    {"\xc2\xa0", 1},                 /* no-break space */
    {"\xe3\x80\x80", 1},             /* ideographic space */
    {"\xe2\x80\x8b\xe2\x80\x8d", 1}, /* zero-width space and joiner */
    {"\xef\xbb\xbf ", 1},            /* byte order mark */
    {" a ", 0},
    {"\xc2\xa0\xd0\x96", 0},
    {"\xf0\x9f\x98\x80", 0}, /* an emoji shows something */
    {".", 0},
};

START_TEST(test_blank)
{
    ck_assert_msg(utf8_blank(blanks[_i].text) == blanks[_i].blank, "case %d: want %d", _i,
                  blanks[_i].blank);
}
END_TEST

START_TEST(test_cut_drops_a_partial_character)
{
    char s[16];
    strcpy(s, "ab\xd0"); /* Ж cut after its first byte */
    utf8_cut(s);
    ck_assert_str_eq(s, "ab");
    strcpy(s, "a\xe6\xbc"); /* 漢 cut after two of three */
    utf8_cut(s);
    ck_assert_str_eq(s, "a");
    strcpy(s, "\xf0\x9f\x98"); /* 😀 cut after three of four */
    utf8_cut(s);
    ck_assert_str_eq(s, "");
}
END_TEST

START_TEST(test_cut_keeps_whole_text)
{
    const char *whole[] = {"", "abc", "a\xd0\x96", "\xe6\xbc\xa2", "x\xf0\x9f\x98\x80"};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        char s[16];
        strcpy(s, whole[i]);
        utf8_cut(s);
        ck_assert_str_eq(s, whole[i]);
    }
}
END_TEST

Suite *utf8_suite(void)
{
    Suite *s = suite_create("utf8");
    TCase *tc = tcase_create("utf8");
    tcase_add_test(tc, test_length_counts_characters);
    tcase_add_loop_test(tc, test_blank, 0, (int)(sizeof blanks / sizeof blanks[0]));
    tcase_add_test(tc, test_cut_drops_a_partial_character);
    tcase_add_test(tc, test_cut_keeps_whole_text);
    suite_add_tcase(s, tc);
    return s;
}
