#ifndef SD_MODERATION_STORE_H
#define SD_MODERATION_STORE_H

#include <jansson.h>

#include "db.h"
#include "moderation.h"

/* Records that a text of user_id (0: not signed in) was refused at endpoint, one row per
 * distinct hard rule among the findings. Never the text. */
sd_err moderation_store_record(struct db_conn *conn, int64_t user_id, const char *endpoint,
                               const struct mod_result *const *results, size_t nresults);
/* Users with the most refusals in the last `days` days: [{user_id, display_name, role,
 * refusals, rules: {rule: count}, last_refusal_at}], most refusals first. */
sd_err moderation_store_offenders(struct db_conn *conn, int days, int limit, json_t **items);

#endif
