#ifndef SD_TIMESTAMP_H
#define SD_TIMESTAMP_H

#include <stddef.h>
#include <time.h>

/* An RFC 3339 date-time ("2027-01-01T00:00:00Z", "2027-01-01T03:00:00.5+03:00"): 0 with the
 * instant in *out (fractions of a second dropped), -1 when s is anything else, including
 * dates that do not exist (2027-02-30) and bare dates. */
int ts_parse_rfc3339(const char *s, time_t *out);
/* t as the API writes timestamps: "YYYY-MM-DDTHH:MM:SSZ" (buf at least 21 bytes). */
const char *ts_format_utc(time_t t, char *buf, size_t len);

#endif
