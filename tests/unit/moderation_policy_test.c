/* The moderation workflow's pure rules: policies, the initial state of a text, holidays and
 * the due date in business days. */
#include <stdlib.h>
#include <string.h>

#include "../../src/moderation_policy.h"
#include "unit.h"

/* 2026-11-20 is a Friday; times are UTC */
#define FRI_2026_11_20_1030 ((time_t)1795170600)
#define DAY                 86400

START_TEST(test_policy_parse)
{
    moderation_policy p;
    ck_assert_int_eq(moderation_policy_parse("manual", &p), 0);
    ck_assert_int_eq(p, MODERATION_MANUAL);
    ck_assert_int_eq(moderation_policy_parse("auto", &p), 0);
    ck_assert_int_eq(p, MODERATION_AUTO);
    ck_assert_int_eq(moderation_policy_parse("Auto", &p), -1);
    ck_assert_int_eq(moderation_policy_parse("", &p), -1);
    ck_assert_int_eq(moderation_policy_parse(NULL, &p), -1);
    ck_assert_str_eq(moderation_policy_name(MODERATION_AUTO), "auto");
}
END_TEST

START_TEST(test_initial_status)
{
    ck_assert_str_eq(moderation_initial_status(MODERATION_AUTO, 0), "approved");
    ck_assert_str_eq(moderation_initial_status(MODERATION_AUTO, 1), "pending");
    ck_assert_str_eq(moderation_initial_status(MODERATION_MANUAL, 0), "pending");
    ck_assert_str_eq(moderation_initial_status(MODERATION_MANUAL, 1), "pending");
}
END_TEST

START_TEST(test_due_skips_weekends)
{
    /* Friday + 7 business days: Mon..Fri of next week is 5, then Mon, Tue: Tuesday 12-01 */
    time_t due = moderation_due(FRI_2026_11_20_1030, 7, NULL, 0);
    ck_assert_int_eq((long long)(due - FRI_2026_11_20_1030), 11LL * DAY);
    /* submitted on a Saturday: the first business day is Monday */
    time_t sat = FRI_2026_11_20_1030 + DAY;
    ck_assert_int_eq((long long)(moderation_due(sat, 1, NULL, 0) - sat), 2LL * DAY);
    /* zero days: now */
    ck_assert_int_eq((long long)moderation_due(sat, 0, NULL, 0), (long long)sat);
}
END_TEST

START_TEST(test_due_skips_holidays)
{
    int32_t *days = NULL;
    size_t n = 0;
    char bad[32];
    /* Monday 11-23 and Thursday 11-26 are holidays: 7 business days from Friday 11-20 end on
     * Thursday 12-03 */
    ck_assert_int_eq(
        moderation_holidays_parse(" 2026-11-26, 2026-11-23 ,", &days, &n, bad, sizeof bad), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_lt(days[0], days[1]);
    time_t due = moderation_due(FRI_2026_11_20_1030, 7, days, n);
    ck_assert_int_eq((long long)(due - FRI_2026_11_20_1030), 13LL * DAY);
    free(days);
}
END_TEST

START_TEST(test_holidays_refused)
{
    const char *bad_lists[] = {"2026-13-01", "2026-02-30", "2027-02-29", "26-01-01",
                               "2026-1-1",   "tomorrow",   "2026-01-01x"};
    for (size_t i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++) {
        int32_t *days = NULL;
        size_t n = 0;
        char bad[32] = "";
        ck_assert_msg(moderation_holidays_parse(bad_lists[i], &days, &n, bad, sizeof bad) == -1,
                      "%s was accepted", bad_lists[i]);
        ck_assert_str_eq(bad, bad_lists[i]);
        free(days);
    }
    int32_t *days = NULL;
    size_t n = 9;
    char bad[32];
    ck_assert_int_eq(moderation_holidays_parse("", &days, &n, bad, sizeof bad), 0);
    ck_assert_uint_eq(n, 0);
    free(days);
    ck_assert_int_eq(moderation_holidays_parse("2028-02-29", &days, &n, bad, sizeof bad), 0);
    free(days);
}
END_TEST

Suite *moderation_policy_suite(void)
{
    Suite *s = suite_create("moderation_policy");
    TCase *tc = tcase_create("moderation_policy");
    tcase_add_test(tc, test_policy_parse);
    tcase_add_test(tc, test_initial_status);
    tcase_add_test(tc, test_due_skips_weekends);
    tcase_add_test(tc, test_due_skips_holidays);
    tcase_add_test(tc, test_holidays_refused);
    suite_add_tcase(s, tc);
    return s;
}
