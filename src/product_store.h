#ifndef SD_PRODUCT_STORE_H
#define SD_PRODUCT_STORE_H

#include <jansson.h>

#include "db.h"

/* Text arguments are the decimal/string forms validated by the API layer. */
struct product_fields {
    const char *offer_id, *name, *description, *price, *stock; /* NULL = unchanged/absent */
};

/* SD_ERR_CONFLICT when the seller already has that offer_id. */
sd_err product_store_create(struct db_conn *conn, int64_t seller_id, const struct product_fields *f,
                            json_t **out);
sd_err product_store_get(struct db_conn *conn, int64_t id, json_t **out);
/* The same as a read of its JSON text, for an answer passed on as it is. */
void product_store_get_read(struct db_read *rd, int64_t id);
/* SD_OK when product id belongs to seller_id, SD_ERR_NOT_FOUND otherwise. */
sd_err product_store_owned(struct db_conn *conn, int64_t id, int64_t seller_id);
/* Only the owner's product; another's is SD_ERR_NOT_FOUND. */
sd_err product_store_update(struct db_conn *conn, int64_t id, int64_t seller_id,
                            const struct product_fields *f, json_t **out);
/* Newest first, ids below after_id (0 = from the top); seller_id 0 = all sellers. Returns up
 * to limit items and whether more follow. */
sd_err product_store_list(struct db_conn *conn, int64_t seller_id, int64_t after_id, int limit,
                          char **items, int *has_more, int64_t *last_id);

#endif
