#ifndef SD_MODERATION_POLICY_H
#define SD_MODERATION_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* How a kind of public text is moderated: manual, everything waits for a moderator; auto,
 * a clean text (no soft signal) is approved by the system at once and a flagged one waits. */
typedef enum { MODERATION_MANUAL = 0, MODERATION_AUTO = 1 } moderation_policy;

/* "manual" / "auto"; -1 for anything else. */
int moderation_policy_parse(const char *s, moderation_policy *out);
const char *moderation_policy_name(moderation_policy p);

/* The state a submitted text starts in: "approved" or "pending". */
const char *moderation_initial_status(moderation_policy p, int flagged);

/* "YYYY-MM-DD,YYYY-MM-DD,..." (blanks allowed, empty: none) into sorted day numbers (days
 * since 1970-01-01, UTC); 0, or -1 naming the bad entry in bad. *days is malloc'd. */
int moderation_holidays_parse(const char *list, int32_t **days, size_t *n, char *bad,
                              size_t badlen);
/* submitted plus `business_days` working days: Saturdays, Sundays and holidays (sorted, as
 * parsed) are skipped, the time of day is kept (UTC). */
time_t moderation_due(time_t submitted, int business_days, const int32_t *holidays,
                      size_t nholidays);

#endif
