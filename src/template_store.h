#ifndef SD_TEMPLATE_STORE_H
#define SD_TEMPLATE_STORE_H

#include <jansson.h>

#include "db.h"

/* Canned replies of one owner (a seller or a support agent). Every call is scoped to the
 * owner: another user's template is SD_ERR_NOT_FOUND, never a distinct answer. */

/* SD_ERR_CONFLICT when the owner already has max templates; call inside a transaction (the
 * owner's row is locked so concurrent creates cannot both take the last place). */
sd_err template_store_create(struct db_conn *conn, int64_t owner_id, const char *title,
                             const char *text, int max, json_t **out);
sd_err template_store_get(struct db_conn *conn, int64_t id, int64_t owner_id, json_t **out);
/* SD_OK when template id belongs to owner_id, SD_ERR_NOT_FOUND otherwise. */
sd_err template_store_owned(struct db_conn *conn, int64_t id, int64_t owner_id);
/* title or text NULL: unchanged; updated_at is set either way. */
sd_err template_store_update(struct db_conn *conn, int64_t id, int64_t owner_id, const char *title,
                             const char *text, json_t **out);
sd_err template_store_delete(struct db_conn *conn, int64_t id, int64_t owner_id);
/* Newest first, ids below after_id (0 = from the top). */
sd_err template_store_list(struct db_conn *conn, int64_t owner_id, int64_t after_id, int limit,
                           char **items, int *has_more, int64_t *last_id);

#endif
