#ifndef SD_QUESTION_STORE_H
#define SD_QUESTION_STORE_H

#include <jansson.h>

#include "db.h"

/* Whose questions a caller sees: a seller those on own products that moderation let
 * through, a buyer own ones in any state, support all. */
enum question_scope { QUESTION_SELLER, QUESTION_BUYER, QUESTION_SUPPORT };

struct question_new {
    int64_t buyer_id, product_id;
    const char *text;
    const char *due_at; /* timestamptz text */
    const char *flags;  /* JSON array text */
    int publish;        /* the policy approves it at once */
};
/* Inside a transaction: inserts the question, and publishes it at once through the same
 * decision as a moderator's (the system's, recorded; the seller is notified). *out is the
 * question as its author sees it. SD_ERR_NOT_FOUND when the product does not exist. */
sd_err question_store_create(struct db_conn *conn, const struct question_new *q, json_t **out);

/* Filters of the list; NULL = not filtered. Dates are YYYY-MM-DD (inclusive days, UTC). */
struct question_filter {
    enum question_scope scope;
    int64_t user_id;
    const char *status, *product_id, *sku, *q, *q_sku, *date_from, *date_to;
    int64_t after_id;
    int limit;
};
/* Newest first, keyset on id: a DB_PAGE read of f->limit when f->q is NULL (the filter's
 * strings must outlive the read's submission). */
void question_store_list_read(struct db_read *rd, const struct question_filter *f);
/* The same list searched for f->q: two statements (the products the words name first), run
 * on the request's connection. */
sd_err question_store_search(struct db_conn *conn, const struct question_filter *f, char **items,
                             int *has_more, int64_t *last_id);
/* {all, new, viewed, processed} over what the caller sees: a read of its JSON text. */
void question_store_counts_read(struct db_read *rd, enum question_scope scope, int64_t user_id);
/* One question the caller sees, else SD_ERR_NOT_FOUND. The product's seller opening a new
 * one marks it viewed first, so the answer shows viewed. */
sd_err question_store_get(struct db_conn *conn, enum question_scope scope, int64_t user_id,
                          int64_t id, json_t **out);
/* The seller's bulk marking: ids a "{1,2}" array, status new|viewed. *results is
 * [{id, result: updated|unchanged|not_found|processed}] in the order asked. */
sd_err question_store_set_status(struct db_conn *conn, int64_t seller_id, const char *ids,
                                 const char *status, json_t **results);
/* The product page: approved questions of the product with their published answers, newest
 * first. SD_ERR_NOT_FOUND when the product does not exist. */
sd_err question_store_product_page(struct db_conn *conn, int64_t product_id, int64_t viewer_id,
                                   int viewer_support, int64_t after_id, int limit, char **items,
                                   int *has_more, int64_t *last_id);

#endif
