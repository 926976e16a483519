#ifndef SD_ORDER_STORE_H
#define SD_ORDER_STORE_H

#include <stddef.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"

struct order_line {
    int64_t product_id;
    int quantity;
};

/* Inside the caller's transaction: locks the products, checks and reserves stock, and
 * creates the order with one posting per seller. A product that does not exist is
 * SD_ERR_VALIDATION, short stock SD_ERR_CONFLICT; *bad_line names the line either way. */
sd_err order_store_create(struct db_conn *conn, int64_t buyer_id, const struct order_line *lines,
                          size_t n, json_t **out, size_t *bad_line);
/* Orders, newest first: buyer_id 0 lists everyone's (support). */
sd_err order_store_list(struct db_conn *conn, int64_t buyer_id, int64_t after_id, int limit,
                        char **items, int *has_more, int64_t *last_id);
/* A seller's postings, newest first, optionally of one status. */
sd_err order_store_list_postings(struct db_conn *conn, int64_t seller_id, const char *status,
                                 int64_t after_id, int limit, char **items, int *has_more,
                                 int64_t *last_id);
/* The posting if the viewer is its buyer or seller, or support; SD_ERR_NOT_FOUND otherwise. */
sd_err order_store_get_posting(struct db_conn *conn, const char *posting_number, int64_t viewer_id,
                               auth_role role, json_t **out);
/* Moves a posting of the actor's to status. SD_ERR_CONFLICT when the transition is not
 * allowed (state or role); SD_ERR_NOT_FOUND when it is not the actor's. Cancelling returns
 * the stock. */
sd_err order_store_set_status(struct db_conn *conn, const char *posting_number, int64_t actor_id,
                              auth_role role, const char *status, json_t **out);

/* The posting life cycle: may role move a posting from -> to? */
int order_transition_allowed(auth_role role, const char *from, const char *to);
int order_status_valid(const char *status);

#endif
