#ifndef SD_MODERATION_WORKFLOW_STORE_H
#define SD_MODERATION_WORKFLOW_STORE_H

#include <jansson.h>

#include "db.h"

/* The moderation workflow every public text goes through (questions and answers today):
 * the support queue and the decisions, with everything a decision causes. */

/* Pending items oldest first: kind NULL (both), "question" or "answer"; flagged and overdue
 * -1 (either), 0 or 1. Keyset on the item id ascending: ids come from one sequence over both
 * kinds and a due date follows its submission, so id order is due order. */
struct moderation_queue_query {
    const char *kind;
    int flagged, overdue;
    int64_t after_id; /* ids above this; 0 from the start */
    int limit;
};
sd_err moderation_workflow_queue(struct db_conn *conn, const struct moderation_queue_query *q,
                                 char **items, int *has_more, int64_t *last_id);

/* Decides one pending item; call inside a transaction (one item per transaction keeps the
 * lock order item -> question everywhere). decided_by 0 is the system (auto policy). Records
 * the decision, updates the item's moderation columns and, in the same transaction, publishes
 * an approved answer and sends the notifications. SD_ERR_NOT_FOUND: no such item, or an answer
 * its author withdrew; SD_ERR_CONFLICT: it was decided already. *out: {kind, id, decision,
 * reason, decided_by, decided_at, moderation_status}. */
sd_err moderation_workflow_decide(struct db_conn *conn, const char *kind, int64_t id, int approve,
                                  const char *reason, int64_t decided_by, json_t **out);

/* An approved answer taken down by its author: the question loses one published answer and
 * is viewed again when none is left. Inside the transaction that set deleted_at. */
sd_err moderation_workflow_unpublish(struct db_conn *conn, int64_t question_id);

#endif
