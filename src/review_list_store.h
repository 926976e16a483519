#ifndef SD_REVIEW_LIST_STORE_H
#define SD_REVIEW_LIST_STORE_H

#include <jansson.h>

#include "db.h"

/* The lists of reviews: the work lists (the seller's reviews of own products, a buyer's own,
 * support's all), their counts, and the product page with its rating. */

enum review_scope { REVIEW_SELLER, REVIEW_BUYER, REVIEW_SUPPORT };
/* Every list is keyset-paginated in its own order: by date (created_at, id) or by rating
 * (rating, created_at, id), either way. A rating order lists rated (published) reviews. */
enum review_sort { REVIEW_DATE_DESC, REVIEW_DATE_ASC, REVIEW_RATING_DESC, REVIEW_RATING_ASC };

/* Filters; NULL = not filtered. */
struct review_filter {
    enum review_scope scope;
    enum review_sort sort;
    int64_t user_id;
    const char *status;              /* new | viewed | processed */
    const char *ratings;             /* int[] literal, e.g. "{1,2}" */
    const char *has_media;           /* "true" | "false" */
    const char *has_text;            /* "true" | "false" */
    const char *answered;            /* "true" | "false" */
    const char *product_id;          /* the product named by product_id and/or sku, resolved */
    const char *date_from, *date_to; /* YYYY-MM-DD, inclusive days (UTC) */
    const char *q;                   /* words of the text, pros, cons or the product's name */
    int64_t after_id;                /* the cursor's review; 0 from the top */
    int limit;
};
sd_err review_list(struct db_conn *conn, const struct review_filter *f, char **items, int *has_more,
                   int64_t *last_id);
/* The product named by product_id and/or sku (both must agree), as text for the filter:
 * *out NULL when none (the list is then empty). A seller's own products only. */
sd_err review_list_product(struct db_conn *conn, enum review_scope scope, int64_t user_id,
                           const char *product_id, const char *sku, char **out);

/* {all, new, viewed, processed, unanswered, by_rating: {1..5}} over the scope's reviews:
 * counters for a seller (one row) and support (a row per seller), counted for a buyer. */
sd_err review_counts(struct db_conn *conn, enum review_scope scope, int64_t user_id, json_t **out);

/* The product page: public reviews with their published comments; ratings (int[] literal)
 * and has_media filter, NULL = not filtered. SD_ERR_NOT_FOUND: no such product. */
sd_err review_product_page(struct db_conn *conn, int64_t product_id, int64_t viewer_id,
                           enum review_sort sort, const char *ratings, const char *has_media,
                           int64_t after_id, int limit, char **items, int *has_more,
                           int64_t *last_id);
/* {product_id, count, average (two decimals, null without reviews), histogram {1..5}} as
 * JSON text (malloc'd): the average is PostgreSQL's decimal as it is, not a double's digits. */
sd_err review_rating(struct db_conn *conn, int64_t product_id, char **out);

#endif
