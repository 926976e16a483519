#ifndef SD_RATELIMIT_STORE_H
#define SD_RATELIMIT_STORE_H

#include "db.h"

/* Counts one hit of key in a fixed window of window_s seconds. More than limit hits in the
 * window: SD_ERR_RATE_LIMITED with the seconds until the window ends. */
sd_err ratelimit_store_hit(struct db_conn *conn, const char *key, int limit, int window_s,
                           int *retry_after_s);
/* The same, with the hits of the window so far (this one included), for X-RateLimit-*
 * headers; *retry_after_s is then the seconds until the window ends either way. */
sd_err ratelimit_store_count(struct db_conn *conn, const char *key, int limit, int window_s,
                             int *hits, int *retry_after_s);

#endif
