#ifndef SD_MODERATION_WORKFLOW_STORE_H
#define SD_MODERATION_WORKFLOW_STORE_H

#include <jansson.h>

#include "db.h"

/* The moderation workflow every public text goes through: the support queue and the
 * decisions, with everything a decision causes. Each kind of moderated item is one entry of
 * a registry (moderation_workflow_store.c), defined next to the store of its table: where its
 * pending items are and how they look in the queue, how a decision locks and marks one, and
 * what a decision causes (publication, notifications). A new kind is an entry and its store,
 * not a branch in these functions. */

/* What a decision needs to know of an item and whom it concerns, read under the item's lock
 * by its kind's lock statement, whose columns are, in order: moderation_status, gone (the
 * author withdrew it: no longer decidable), parent_id, seller_id, author_id, product_id,
 * product name, extra_id. */
struct mwf_item {
    const char *kind;
    int64_t id;
    int64_t parent_id; /* the question of an answer; the review of a version or comment */
    int64_t seller_id; /* the product's seller */
    int64_t author_id; /* who wrote the item */
    int64_t product_id;
    int64_t extra_id; /* the kind's own: the review's author for a comment or complaint */
    const char *product_name;
};

struct mwf_kind {
    const char *name;
    /* The kind's branch of the queue: (id, json) of its pending items, over the parameters
     * $2 after (ids above), $3 flagged and $4 overdue (NULL: either); built with the
     * MWF_QUEUE_* macros below. */
    const char *queue;
    const db_stmt *lock;   /* $1 id: one row as in struct mwf_item, FOR UPDATE */
    const db_stmt *set;    /* $1 id, $2 'approved'|'rejected', $3 reason, $4 decided by */
    int reason_to_approve; /* an approval is explained too (a complaint upheld) */
    /* Everything the decision causes, in its transaction. */
    sd_err (*decided)(struct db_conn *conn, const struct mwf_item *it, int approve,
                      const char *reason);
};

/* The registry: the kind named, or NULL. */
const struct mwf_kind *moderation_kind_find(const char *name);
/* "question, answer, ..." for messages. */
const char *moderation_kind_names(void);

/* The conditions every branch of the queue ends with, over the item's row alias t. */
#define MWF_QUEUE_FILTERS(t)                                                                       \
    " AND " t ".id > $2::bigint AND ($3::bool IS NULL OR (" t ".flags <> '[]'::jsonb) = $3)"       \
    " AND ($4::bool IS NULL OR (" t ".moderation_due_at < now()) = $4)"
/* The members every queue item has, over the item t, its author u and its product p. */
#define MWF_QUEUE_COMMON(t)                                                                        \
    "'flags', " t ".flags, 'submitted_at', sd_ts(" t ".created_at),"                               \
    " 'due_at', sd_ts(" t ".moderation_due_at), 'overdue', " t ".moderation_due_at < now(),"       \
    " 'author', json_build_object('id', u.id, 'role', u.role, 'display_name', u.display_name),"    \
    " 'product', json_build_object('id', p.id, 'sku', p.sku, 'name', p.name)"

/* Pending items oldest first: kind NULL (every kind) or one kind's name; flagged and overdue
 * -1 (either), 0 or 1. Keyset on the item id ascending: every kind takes its ids from one
 * sequence and a due date follows its submission, so id order is due order. */
struct moderation_queue_query {
    const char *kind;
    int flagged, overdue;
    int64_t after_id; /* ids above this; 0 from the start */
    int limit;
};
sd_err moderation_workflow_queue(struct db_conn *conn, const struct moderation_queue_query *q,
                                 char **items, int *has_more, int64_t *last_id);

/* Decides one pending item; call inside a transaction (one item per transaction keeps the
 * lock order item -> parent everywhere). decided_by 0 is the system (auto policy). Records the
 * decision, marks the item and, in the same transaction, does what its kind's decision causes.
 * SD_ERR_NOT_FOUND: no such item (or kind), or one its author withdrew; SD_ERR_CONFLICT: it
 * was decided already. *out: {kind, id, decision, reason, decided_by, decided_at,
 * moderation_status}. */
sd_err moderation_workflow_decide(struct db_conn *conn, const char *kind, int64_t id, int approve,
                                  const char *reason, int64_t decided_by, json_t **out);
/* The system's approval at submission (auto policy, clean text): the same decision. */
sd_err moderation_workflow_approve(struct db_conn *conn, const char *kind, int64_t id);

/* A notification whose body is printf-formatted (a title or name cut at a character);
 * data (stolen) is its JSON object. For the kinds' decided functions. */
sd_err mwf_notify(struct db_conn *conn, int64_t user, const char *event, const char *title,
                  json_t *data, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
