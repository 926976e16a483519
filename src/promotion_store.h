#ifndef SD_PROMOTION_STORE_H
#define SD_PROMOTION_STORE_H

#include <jansson.h>

#include "db.h"

/* A promotion as support writes it; text members as the API sends them (timestamps in
 * RFC 3339, NULL = not given). seller_ids: a bigint[] literal for audience "sellers". */
struct promotion_fields {
    const char *title, *description, *type, *date_start, *date_end, *freeze_date;
    const char *min_discount, *max_discount, *min_stock, *audience, *seller_ids;
};

/* Inserts it; *out as support sees it. */
sd_err promotion_store_create(struct db_conn *conn, int64_t author,
                              const struct promotion_fields *f, json_t **out);
/* Changes the members given (NULL keeps; clear_freeze / clear_min_stock set them to null)
 * of a promotion that has not started: SD_ERR_NOT_FOUND, SD_ERR_CONFLICT (started or
 * ended), or SD_ERR_VALIDATION with *problem naming the rule the result would break. */
sd_err promotion_store_update(struct db_conn *conn, int64_t id, const struct promotion_fields *f,
                              int clear_freeze, json_t **out, const char **problem);
/* Ends it now: SD_ERR_CONFLICT when it has finished already. */
sd_err promotion_store_end(struct db_conn *conn, int64_t id, json_t **out);

/* One promotion as the viewer sees it (seller id; 0 for support); SD_ERR_NOT_FOUND when a
 * seller is not in its audience. */
sd_err promotion_store_get(struct db_conn *conn, int64_t id, int64_t viewer, json_t **out);
/* Whether the seller may see it (in its audience; seller 0: support, it exists): SD_OK or
 * SD_ERR_NOT_FOUND. */
sd_err promotion_store_visible(struct db_conn *conn, int64_t id, int64_t seller);

/* state: "available" (not finished, open to the seller), "participating" (not finished,
 * with some of the seller's products), "finished"; NULL for every one. Support (viewer 0)
 * sees every promotion, the states by time alone (participating: anyone's products).
 * Newest first, keyset on id. */
sd_err promotion_store_list(struct db_conn *conn, int64_t viewer, const char *state,
                            int64_t after_id, int limit, char **items, int *has_more,
                            int64_t *last_id);

#endif
