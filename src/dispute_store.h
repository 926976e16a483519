#ifndef SD_DISPUTE_STORE_H
#define SD_DISPUTE_STORE_H

#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"

/* Disputes in PostgreSQL: opening one, reading and listing them, and recording a move the
 * state machine (dispute_rules.h) allowed. The thread is in dispute_thread_store.h. */

/* Whether a buyer's posting may be disputed now, and what the chosen items cost. */
struct dispute_purchase {
    int64_t posting_id, seller_id;
    const char *refusal; /* NULL, or why not: not_disputable, window_over, not_yet_due */
    int64_t existing;    /* the posting's open dispute, 0 when none */
    int64_t paid;        /* what the chosen items cost (all items when none were chosen) */
    json_t *item_errors; /* [{field, code, message}] for chosen items that do not fit */
};
/* items: the JSON array [{product_id, quantity}] (validated for shape) or NULL for all of the
 * posting. SD_ERR_NOT_FOUND when the posting is not the buyer's. out->item_errors is the
 * caller's to release. */
sd_err dispute_store_purchase(struct db_conn *conn, int64_t buyer_id, const char *posting_number,
                              const json_t *items, long long open_s, long long expected_s,
                              struct dispute_purchase *out);

struct dispute_new {
    int64_t buyer_id;
    const struct dispute_purchase *purchase;
    const char *posting_number, *reason, *text, *requested;
    int64_t amount;      /* 0: none (replacement), else the refund asked for */
    const json_t *items; /* as given, or NULL */
    const char *media;   /* bigint[] literal or NULL */
    long long seller_s;  /* the seller's deadline from now */
};
/* Inside a transaction: the dispute, its opening in the history, its thread's sides and its
 * files. SD_ERR_CONFLICT when the posting got an open dispute meanwhile, *id then that one. */
sd_err dispute_store_create(struct db_conn *conn, const struct dispute_new *d, int64_t *id);

/* The dispute as the caller sees it (full: with its history), and its state; SD_ERR_NOT_FOUND
 * unless the caller is its buyer or seller, or support. */
sd_err dispute_store_get(struct db_conn *conn, int64_t id, int64_t viewer, auth_role role, int full,
                         json_t **out);

/* What a move needs of a dispute, read under its row lock. */
struct dispute_locked {
    char state[24];
    int due; /* its deadline has passed */
    int64_t buyer_id, seller_id, paid, amount, offer_amount;
    char requested[16];
};
/* Inside a transaction: locks the dispute (FOR UPDATE) for a caller who may see it, else
 * SD_ERR_NOT_FOUND. */
sd_err dispute_store_lock(struct db_conn *conn, int64_t id, int64_t viewer, auth_role role,
                          struct dispute_locked *out);

/* A transition from `from` to `to`, with what it records; NULL / 0 members change nothing. */
struct dispute_move {
    int64_t actor_id; /* 0: the server at a deadline */
    const char *actor_role, *action, *from, *to;
    int64_t amount; /* the event's amount (offer, decision), 0 none */
    const char *reason, *text;
    int64_t offer_amount;
    const char *offer_text, *reject_reason, *reject_text;
    const char *outcome; /* once final: refund, partial_refund, replacement, none */
    int64_t outcome_amount;
    const char *decision, *decision_reason;
    long long deadline_s; /* the new state's deadline from now; 0: none (final) */
    int final;
};
/* Records the move of a locked dispute and its history entry. */
sd_err dispute_store_move(struct db_conn *conn, int64_t id, const struct dispute_move *m);

enum dispute_sort { DISPUTE_NEWEST, DISPUTE_DEADLINE };
struct dispute_filter {
    int64_t viewer;
    auth_role role;
    const char *state, *posting_number; /* NULL: any */
    int overdue;                        /* -1 any, 0 not overdue, 1 overdue */
    enum dispute_sort sort;
    int64_t after;     /* keyset: the last id of the previous page, 0 from the top */
    int64_t after_key; /* DISPUTE_DEADLINE: that row's deadline, epoch seconds (INT64_MAX none) */
    int limit;
};
/* The caller's disputes (a buyer's own, a seller's, all for support), without history, each
 * with the caller's allowed_actions; *last is the last item's id, *last_key its deadline key
 * (see dispute_filter.after_key). */
sd_err dispute_store_list(struct db_conn *conn, const struct dispute_filter *f, char **items,
                          int *has_more, int64_t *last, int64_t *last_key);
/* {by_state: {state: n}, open, overdue} over the caller's disputes. */
sd_err dispute_store_counts(struct db_conn *conn, int64_t viewer, auth_role role, json_t **out);

/* The deadline job's batch: up to max open disputes in a state a deadline moves, whose
 * deadline has passed, oldest deadline first (read, not locked). */
sd_err dispute_store_due(struct db_conn *conn, int max, int64_t *ids, int *n);
/* Inside a transaction: locks one of them if it is still due and no one else holds it
 * (SKIP LOCKED: another process, or a request moving it now); SD_ERR_NOT_FOUND otherwise. */
sd_err dispute_store_lock_due(struct db_conn *conn, int64_t id, struct dispute_locked *out);
/* The parties of a dispute: who hears of a change. */
sd_err dispute_store_parties(struct db_conn *conn, int64_t id, int64_t *buyer_id,
                             int64_t *seller_id, char posting_number[40]);

#endif
