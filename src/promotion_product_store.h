#ifndef SD_PROMOTION_PRODUCT_STORE_H
#define SD_PROMOTION_PRODUCT_STORE_H

#include <jansson.h>

#include "db.h"

/* The seller's products that may join the promotion now, ascending product id after
 * after_id, each with its price, the action prices it may take and its stock. */
sd_err promotion_product_candidates(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                                    int64_t after_id, int limit, char **items, int *has_more,
                                    int64_t *last_id);
/* The products in it (the seller's; every seller's for support: seller 0), ascending id. */
sd_err promotion_product_list(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                              int64_t after_id, int limit, char **items, int *has_more,
                              int64_t *last_id);

/* One item of an add: action_price and discount are NULL when not given (text numbers). */
struct promotion_item {
    int64_t product_id;
    const char *action_price, *discount;
    int64_t quantity;
};
/* Inside a transaction: adds or updates the items, each judged on its own against the
 * promotion's rules; *out the JSON text (malloc'd) of {accepted: [participation], rejected:
 * [{product_id, reason, limit}]} in the order given. The promotion and the products are locked
 * first, so that orders and other changes of the same products wait for the verdicts. */
sd_err promotion_product_upsert(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                                const struct promotion_item *items, size_t n, char **out);
/* The same for removals of product ids (a bigint[] literal). */
sd_err promotion_product_remove(struct db_conn *conn, int64_t promotion_id, int64_t seller,
                                const char *ids, char **out);

#endif
