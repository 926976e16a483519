#include "moderation_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_S 86400

int moderation_policy_parse(const char *s, moderation_policy *out)
{
    if (s && strcmp(s, "manual") == 0)
        *out = MODERATION_MANUAL;
    else if (s && strcmp(s, "auto") == 0)
        *out = MODERATION_AUTO;
    else
        return -1;
    return 0;
}

const char *moderation_policy_name(moderation_policy p)
{
    return p == MODERATION_AUTO ? "auto" : "manual";
}

const char *moderation_initial_status(moderation_policy p, int flagged)
{
    return p == MODERATION_AUTO && !flagged ? "approved" : "pending";
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int moderation_holidays_parse(const char *list, int32_t **days, size_t *n, char *bad, size_t badlen)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    size_t cap = 1;
    *n = 0;
    for (const char *p = list ? list : ""; *p; p++)
        cap += *p == ',';
    *days = malloc(cap * sizeof **days);
    if (!*days)
        return -1;
    for (const char *p = list ? list : ""; *p;) {
        char item[32];
        size_t len = strcspn(p, ",");
        snprintf(item, sizeof item, "%.*s", (int)(len < sizeof item ? len : sizeof item - 1), p);
        p += len + (p[len] == ',');
        char *s = item + strspn(item, " \t");
        s[strcspn(s, " \t")] = '\0';
        if (!*s)
            continue;
        int y, m, d, used = 0;
        int leap_ok;
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &used) != 3 || used != 10 || strlen(s) != 10 ||
            m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
            snprintf(bad, badlen, "%s", s);
            return -1;
        }
        leap_ok = m != 2 || d != 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
        if (!leap_ok) {
            snprintf(bad, badlen, "%s", s);
            return -1;
        }
        (*days)[(*n)++] = days_from_civil(y, m, d);
    }
    qsort(*days, *n, sizeof **days, cmp_day);
    return 0;
}

static int is_day_off(int64_t day, const int32_t *holidays, size_t n)
{
    /* 1970-01-01 was a Thursday: day % 7 == 2 is a Saturday, 3 a Sunday */
    int64_t wd = ((day % 7) + 7) % 7;
    if (wd == 2 || wd == 3)
        return 1;
    int32_t key = (int32_t)day;
    return n && bsearch(&key, holidays, n, sizeof *holidays, cmp_day) != NULL;
}

time_t moderation_due(time_t submitted, int business_days, const int32_t *holidays,
                      size_t nholidays)
{
    int64_t t = (int64_t)submitted;
    int64_t day = t >= 0 ? t / DAY_S : (t - DAY_S + 1) / DAY_S;
    int64_t time_of_day = t - day * DAY_S;
    for (int k = 0; k < business_days; k++)
        do
            day++;
        while (is_day_off(day, holidays, nholidays));
    return (time_t)(day * DAY_S + time_of_day);
}
