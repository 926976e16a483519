#ifndef SD_REVIEW_COMMENT_STORE_H
#define SD_REVIEW_COMMENT_STORE_H

#include <jansson.h>

#include "db.h"

/* The comment threads of reviews and sellers' complaints about reviews; both are moderated
 * kinds of the registry ("review_comment", "review_complaint"). */

/* The caller's place in a review's thread: SD_ERR_NOT_FOUND when the caller may not see the
 * review (its author and support always, the product's seller once listed, anyone once
 * public); else *seller / *author tell whether the caller is the product's seller or the
 * review's author. */
sd_err review_comment_access(struct db_conn *conn, int64_t review_id, int64_t user_id, int support,
                             int *seller, int *author);

struct review_comment_new {
    int64_t review_id, author_id, parent_id; /* parent_id 0: a comment, else a reply */
    int official;                            /* the author is the product's seller */
    int mark_processed;                      /* the seller marks the review processed now */
    const char *text, *due_at, *flags;
    int publish; /* the policy approves it at once */
};
/* Inside a transaction. SD_ERR_VALIDATION: the parent is not a top-level comment of this
 * review that the author can see (replies nest one level). *out: as its author sees it. */
sd_err review_comment_create(struct db_conn *conn, const struct review_comment_new *c,
                             json_t **out);
/* Oldest first, ids above after_id: approved comments, and the caller's own in any state. */
sd_err review_comment_list(struct db_conn *conn, int64_t review_id, int64_t user_id, int support,
                           int64_t after_id, int limit, char **items, int *has_more,
                           int64_t *last_id);
/* Its author takes a comment down, inside a transaction; a published official answer then
 * counts no more (the review is viewed again when none is left, unless marked processed).
 * SD_ERR_NOT_FOUND when it is not the author's or was deleted already. */
sd_err review_comment_delete(struct db_conn *conn, int64_t id, int64_t author_id);

struct review_complaint_new {
    int64_t review_id, seller_id;
    const char *reason, *text, *due_at, *flags;
};
/* Inside a transaction: the review must be the seller's and listed (else SD_ERR_NOT_FOUND);
 * SD_ERR_CONFLICT when the seller's complaint about it is still open. */
sd_err review_complaint_create(struct db_conn *conn, const struct review_complaint_new *c,
                               json_t **out);

#endif
