#ifndef SD_REVIEW_STORE_H
#define SD_REVIEW_STORE_H

#include <jansson.h>

#include "db.h"

/* Reviews of delivered purchases. A review's content is its versions: the buyer writes one,
 * every edit adds another, each is moderated (the registry kind "review" is a version), and
 * the last approved one is what everyone sees. Who sees a review: its author and support
 * always (with the moderation state); the product's seller once a version is published
 * (listed); everyone else when it is public too (listed, and the item was not refused at
 * pickup). A removed (complaint upheld) or deleted review is listed nowhere. */

#define REVIEW_MAX_PHOTOS      10
#define REVIEW_MAX_PHOTOS_TEXT "10"
#define REVIEW_MAX_VIDEOS      1
#define REVIEW_MAX_VIDEOS_TEXT "1"

/* Whether buyer_id may review product_id of posting_number: SD_OK with the posting's id, the
 * product's seller and sku, and whether the posting was refused at pickup;
 * SD_ERR_NOT_FOUND (not the buyer's posting, or the product is not in it); SD_ERR_CONFLICT
 * with *existing (a review of it exists) or *existing 0 (not delivered yet). */
struct review_purchase {
    int64_t posting_id, seller_id, sku, existing;
    int refused;
};
sd_err review_store_purchase(struct db_conn *conn, int64_t buyer_id, const char *posting_number,
                             int64_t product_id, struct review_purchase *out);

/* Checks media ids (a JSON array of integers) for author_id and review_id (0: a new review):
 * each must be the author's file, a photo (image/jpeg, png, webp) or a video (video/mp4, webm,
 * quicktime), in no chat and in no other review, once; at most REVIEW_MAX_PHOTOS photos and
 * REVIEW_MAX_VIDEOS videos. Problems are appended to errors as {field "media[i]", code}. */
sd_err review_store_check_media(struct db_conn *conn, const json_t *media, int64_t author_id,
                                int64_t review_id, json_t *errors);

struct review_content {
    int rating;
    const char *text, *pros, *cons;
    const char *media; /* bigint[] literal */
    const char *due_at, *flags;
    int publish; /* the policy approves it at once */
};
/* Inside a transaction: the review and its first version. SD_ERR_CONFLICT: a review of this
 * posting and product exists (a concurrent create), or a file was taken meanwhile. */
sd_err review_store_create(struct db_conn *conn, int64_t buyer_id, const struct review_purchase *p,
                           int64_t product_id, const struct review_content *c, json_t **out);

/* Inside a transaction: a new version by the author, unchanged members taken from the last
 * version written (an edit still waiting, else the published one); an edit waiting is
 * superseded. NULL text/pros/cons/media and rating 0 keep the member. SD_ERR_NOT_FOUND: not
 * the author's or deleted; SD_ERR_CONFLICT: removed by moderation. */
sd_err review_store_edit(struct db_conn *conn, int64_t id, int64_t author_id,
                         const struct review_content *c, json_t **out);
/* Inside a transaction: the author deletes it; an edit waiting is superseded. */
sd_err review_store_delete(struct db_conn *conn, int64_t id, int64_t author_id);

/* The review as the caller sees it (see above), with its versions for the author and
 * support; opening a new review as its seller marks it viewed. SD_ERR_NOT_FOUND when the
 * caller may not see it. *seller: the caller is the product's seller. */
sd_err review_store_get(struct db_conn *conn, int64_t id, int64_t user_id, int support,
                        json_t **out, int *seller);

/* The seller marks reviews (ids: bigint[] literal) new, viewed or processed: [{id, result:
 * updated|unchanged|answered|not_found}] in the order given. An answered review (an official
 * answer published) stays processed. */
sd_err review_store_set_status(struct db_conn *conn, int64_t seller_id, const char *ids,
                               const char *status, json_t **results);

#endif
