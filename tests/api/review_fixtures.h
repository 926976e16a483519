#ifndef SD_TEST_REVIEW_FIXTURES_H
#define SD_TEST_REVIEW_FIXTURES_H

/* Helpers shared by the review suites: purchases, reviews, media, comments and moderation
 * decisions, all made through the API. The test server keeps the default policies: reviews
 * and buyers' comments auto, sellers' comments manual. */
#include "workflow_fixtures.h"

#define RV_NO_SUCH_ID 999999999

/* A seller with n products (1 to 3) named "<name> <i>", and a buyer who bought one of each
 * in one order (one posting); the posting is moved to final: "delivered", "refused" (at
 * pickup) or NULL (left awaiting packaging). Support is the demo support account. */
struct purchase {
    struct api_user seller, buyer, support;
    int64_t product[3], sku[3];
    char pn[40];
};
void rv_purchase(struct purchase *p, const char *name, int n, const char *final);
/* buyer buys product (of seller) in a new order moved to final; the posting number. */
void rv_buy(const struct api_user *buyer, const struct api_user *seller, int64_t product,
            const char *final, char pn[40]);
/* POST /v1/postings/{pn}/status as token, asserting 200. */
void rv_move(const char *token, const char *pn, const char *status);

/* POST /v1/reviews {posting_number, product_id, rating} plus the members of extra (stolen,
 * may be NULL). */
struct api_resp *rv_post(const char *token, const char *pn, int64_t product, int rating,
                         json_t *extra);
/* The same, asserting 201; the review (caller decrefs) or its id. */
json_t *rv_write(const char *token, const char *pn, int64_t product, int rating, json_t *extra);
int64_t rv_write_id(const char *token, const char *pn, int64_t product, int rating, json_t *extra);
/* A small file of an accepted type ("image/png", "image/jpeg", "video/mp4", "video/webm",
 * "video/quicktime", "application/pdf"), uploaded by token: its id. */
int64_t rv_upload(const char *token, const char *type);

/* GET /v1/reviews/{id}; PATCH with body (stolen); DELETE. */
struct api_resp *rv_get(const char *token, int64_t id);
struct api_resp *rv_patch(const char *token, int64_t id, json_t *body);
struct api_resp *rv_delete(const char *token, int64_t id);
/* GET <path>?<query> as 200 following every cursor with limit per page: all items (caller
 * decrefs). */
json_t *rv_walk(const char *token, const char *path, const char *query, int limit);
/* GET /v1/reviews?<query>: the items of every page (100 each). */
json_t *rv_list(const char *token, const char *query);
/* The ids of a list as "id,id,..." for comparisons. */
void rv_ids(const json_t *items, char *out, size_t len);
/* GET /v1/reviews/counts; GET /v1/products/{id}/rating (200, caller decrefs). */
json_t *rv_counts(const char *token);
json_t *rv_rating(const char *token, int64_t product);
/* The review of a list by id (borrowed), or NULL. */
json_t *rv_find(const json_t *items, int64_t id);

/* The pending version of a review in the moderation queue (kind review): the queue item
 * (caller decrefs), or NULL. */
json_t *rv_queued_version(const char *support_token, int64_t review);
/* Approves (reason NULL) or rejects the review's pending version, asserting it is queued. */
void rv_decide(const char *support_token, int64_t review, const char *decision, const char *reason);

/* POST /v1/reviews/{id}/comments {text, parent_comment_id (0: none), mark_processed (-1:
 * absent)}. */
struct api_resp *rv_comment_post(const char *token, int64_t review, const char *text,
                                 int64_t parent, int mark_processed);
/* The same, asserting 201: the comment (caller decrefs). */
json_t *rv_comment(const char *token, int64_t review, const char *text, int64_t parent);
/* GET /v1/reviews/{id}/comments, every page (limit 2 a page): the items, or NULL with the
 * status in *status when not 200. */
json_t *rv_comments(const char *token, int64_t review, long *status);
/* POST /v1/reviews/{id}/complaints {reason, text (NULL: absent)}. */
struct api_resp *rv_complain(const char *token, int64_t review, const char *reason,
                             const char *text);

#endif
