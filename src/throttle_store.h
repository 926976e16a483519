#ifndef SD_THROTTLE_STORE_H
#define SD_THROTTLE_STORE_H

#include "db.h"

/* Failed-login counting per key ("account:<email>", "client:<address>"). */

/* Seconds until the most restrictive of keys unlocks; 0 when none is locked. */
sd_err throttle_store_locked(struct db_conn *conn, const char *key1, const char *key2,
                             int *retry_after_s);
/* Counts one failure; locks the key for lockout_s once max failures fall within window_s. */
sd_err throttle_store_fail(struct db_conn *conn, const char *key, int max, int window_s,
                           int lockout_s);
sd_err throttle_store_reset(struct db_conn *conn, const char *key);

#endif
