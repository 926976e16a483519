#ifndef SD_CHAT_RESTRICTION_STORE_H
#define SD_CHAT_RESTRICTION_STORE_H

#include <jansson.h>

#include "db.h"

/* The anti-fraud switch that turns chat off for one user. The restriction object:
 * {user_id, reason, until|null, created_by, created_at, active}; active is false once until
 * has passed (the row stays until support lifts it or sets another). */

/* Sets or replaces the restriction of user_id; until is a timestamp text or NULL (until
 * lifted). SD_ERR_NOT_FOUND when the user does not exist, SD_ERR_UNPROCESSABLE when the user
 * is a support account (nothing is written then). */
sd_err chat_restriction_store_put(struct db_conn *conn, int64_t user_id, const char *reason,
                                  const char *until, int64_t by, json_t **out);
/* SD_ERR_NOT_FOUND when the user has none (expired ones are returned, active false). */
sd_err chat_restriction_store_get(struct db_conn *conn, int64_t user_id, json_t **out);
/* Lifts it; SD_ERR_NOT_FOUND when there is none. */
sd_err chat_restriction_store_delete(struct db_conn *conn, int64_t user_id);

#endif
