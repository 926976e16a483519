#ifndef SD_ANSWER_STORE_H
#define SD_ANSWER_STORE_H

#include <jansson.h>

#include "db.h"

/* Sellers' answers to product questions. Who sees what: the product's seller and support see
 * every answer of a question in every state, withdrawn and unpublished ones included (with
 * deleted_at); anyone else sees published ones only (approved, not deleted), in a shorter
 * shape without the moderation details. */

/* SD_OK when seller_id may answer question_id: the question is on one of its products and
 * moderation let it through; SD_ERR_NOT_FOUND otherwise. */
sd_err answer_store_answerable(struct db_conn *conn, int64_t question_id, int64_t seller_id);

struct answer_new {
    int64_t question_id, seller_id;
    const char *text;
    const char *flags;  /* JSON array text of the soft signals */
    const char *due_at; /* "YYYY-MM-DDTHH:MM:SSZ" */
    int publish;        /* the policy approves it at once (auto, clean) */
};
/* Inside a transaction. SD_ERR_NOT_FOUND when the question is not answerable (as above). A
 * text published at once goes through the same decision as a moderator's approval, recorded
 * as the system's. *out: the answer (full shape). */
sd_err answer_store_create(struct db_conn *conn, const struct answer_new *a, json_t **out);

/* The question as the caller sees it: SD_ERR_NOT_FOUND when it is invisible to them (not
 * approved and they are neither its buyer nor support, or it is another seller's). *all
 * tells whether the caller sees every answer (the product's seller, support). */
sd_err answer_store_question_access(struct db_conn *conn, int64_t question_id, int64_t user_id,
                                    int support, int seller, int *all);
/* Newest first, ids below after_id (0 from the top). */
sd_err answer_store_list(struct db_conn *conn, int64_t question_id, int all, int64_t after_id,
                         int limit, char **items, int *has_more, int64_t *last_id);

/* Its author takes an answer down, inside a transaction: pending is withdrawn, approved is
 * unpublished (the question may go back to viewed), rejected is removed from the author's
 * sight. SD_ERR_NOT_FOUND when it is not the author's or was deleted already. */
sd_err answer_store_delete(struct db_conn *conn, int64_t id, int64_t author_id);

#endif
