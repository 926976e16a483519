#ifndef SD_CHAT_STORE_H
#define SD_CHAT_STORE_H

#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"

/* Where a chat is started from; what is not given is NULL / 0. */
struct chat_start {
    const char *kind; /* buyer_seller, seller_support, buyer_support */
    const char *posting_number;
    int64_t product_id;
    const char *reason;
    const char *topic;
    int64_t user_id; /* support opening a chat with a user */
};

/* Why a start was refused, for the field-level answer. */
enum chat_start_refusal {
    CHAT_START_OK,
    CHAT_START_NO_POSTING,  /* not a posting of the caller's */
    CHAT_START_NO_PRODUCT,  /* no such product */
    CHAT_START_NO_USER,     /* no such user */
    CHAT_START_USER_ROLE,   /* the user's role does not fit the kind */
    CHAT_START_WINDOW_OVER, /* the seller's window after delivery has passed */
};

/* Inside the caller's transaction: the open chat of that context, or a new one. *existed
 * tells which. On a refusal returns SD_ERR_VALIDATION (or SD_ERR_CONFLICT for the window)
 * with *why set. */
sd_err chat_store_start(struct db_conn *conn, int64_t actor, auth_role role,
                        const struct chat_start *s, int window_hours, json_t **out, int *existed,
                        enum chat_start_refusal *why);

/* The chat as viewer sees it; SD_ERR_NOT_FOUND unless viewer takes part (support: any
 * support chat). */
sd_err chat_store_get(struct db_conn *conn, int64_t chat_id, int64_t viewer, auth_role role,
                      json_t **out);

/* A read (db_read_run or the pipe) of one row when viewer may read the chat, none when not:
 * the check of chat_store_get, without building it. */
void chat_store_can_read_read(struct db_read *rd, int64_t chat_id, int64_t viewer, auth_role role);

/* The kinds of chat, NULL-terminated, and a kind's index there (-1: not a kind). */
extern const char *const chat_kinds[];
int chat_kind_index(const char *kind);

struct chat_list_query {
    int64_t viewer;
    auth_role role;
    const char *kind;   /* NULL: every kind */
    const char *status; /* NULL, open, closed */
    int unread_only;
    int awaiting;         /* -1 any, 0 not awaiting, 1 awaiting a reply from the viewer */
    const char *assigned; /* support only: NULL, "me", "none" */
    int64_t before;       /* keyset on activity; 0 from the top */
    int limit;
};
/* Most recent activity first: a DB_PAGE_EXTRA read of q->limit whose figure is the viewer's
 * unread messages; an empty page carries none (chat_store_total_unread_read reads it). The query's
 * strings must outlive the read's submission. */
void chat_store_list_read(struct db_read *rd, const struct chat_list_query *q);
/* Unread messages over the viewer's chats (of one kind, or all: kind NULL, else a literal),
 * as a read of one number (db_i64_of). */
void chat_store_total_unread_read(struct db_read *rd, int64_t viewer, auth_role role,
                                  const char *kind);
/* {buyers, sellers, customer_service}: how many of the viewer's chats have unread messages. */
/* The viewer's chats with unread messages by kind, as JSON text, over chat_sides where who
 * holds ($1 the viewer): for statements of other stores that answer it beside their own
 * figures in one round trip (GET /v1/notifications/counters). */
#define CHAT_UNREAD_CHATS_SQL(who)                                                                 \
    "SELECT json_build_object("                                                                    \
    "  'buyers', count(*) FILTER (WHERE kind = 'buyer_seller' AND side = 'seller'),"               \
    "  'sellers', count(*) FILTER (WHERE kind = 'buyer_seller' AND side = 'buyer'),"               \
    "  'customer_service', count(*) FILTER (WHERE kind <> 'buyer_seller'))::text"                  \
    " FROM chat_sides WHERE unread > 0 AND " who
#define CHAT_USER_SIDES    "user_id = $1"
#define CHAT_SUPPORT_SIDES "side = 'support' AND $1::bigint > 0"
sd_err chat_store_unread_chats(struct db_conn *conn, int64_t viewer, auth_role role, json_t **out);

/* The viewer's side of a chat: what sending and reading need. */
struct chat_side_info {
    char side[8]; /* buyer, seller, support */
    char kind[16];
    char status[8];
    int64_t buyer_id, seller_id, assigned_to;
    int64_t notify_user; /* who hears of a message from this side; 0 nobody */
};
/* Locks the chat for a change (a message, a read, closing) and describes the viewer's side;
 * SD_ERR_NOT_FOUND when the viewer does not take part. */
sd_err chat_store_lock(struct db_conn *conn, int64_t chat_id, int64_t viewer, auth_role role,
                       struct chat_side_info *out);

/* Messages of a chat: newest first below `before`, or oldest first above `after` (when
 * after > 0), a DB_PAGE read of limit. Rows come only for a viewer with a side in the chat:
 * an empty page is an empty page of the viewer's chat or not the viewer's chat
 * (chat_store_can_read_read tells). */
void chat_store_messages_read(struct db_read *rd, int64_t chat_id, int64_t viewer, auth_role role,
                              int64_t before, int64_t after, int limit);

/* Active restriction of a user: *out {reason, until} or NULL when chat is allowed. */
sd_err chat_store_restriction(struct db_conn *conn, int64_t user_id, json_t **out);

/* Anti-spam: how many other buyers got this same text from author in the last hour, and, when
 * that is limit or more, in how many seconds it falls below the limit. */
sd_err chat_store_repeats(struct db_conn *conn, int64_t author, const char *text,
                          int64_t except_buyer, int limit, int64_t *buyers, int *retry_after_s);

/* Which of the attachment ids (a "{1,2}" array) were not uploaded by author: the first such
 * id in *bad, 0 when all are the author's. */
sd_err chat_store_foreign_file(struct db_conn *conn, int64_t author, const char *ids, int64_t *bad);

/* A template of owner's with the values its placeholders can take in this chat:
 * *out {text, buyer_name, seller_name, posting_number, product_name} (nulls where the chat
 * has none); SD_ERR_NOT_FOUND when the template is not the owner's. */
sd_err chat_store_template(struct db_conn *conn, int64_t owner, int64_t template_id,
                           int64_t chat_id, json_t **out);

struct chat_message_new {
    int64_t chat_id, author;
    const char *side;
    const char *text;           /* NULL: attachments only */
    const char *attachment_ids; /* "{1,2}" or NULL */
    int64_t template_id;        /* 0: typed */
};
/* Inside the caller's transaction, after chat_store_lock: stores the message, moves both
 * sides' read, unread and awaiting state, the chat's activity and assignment (the first
 * support reply takes the chat). *out is the message. */
sd_err chat_store_add_message(struct db_conn *conn, const struct chat_message_new *m, json_t **out);

/* Moves the viewer's read mark up to message_id (a message of this chat, else
 * SD_ERR_VALIDATION); *unread is what is left unread, *moved whether the mark moved (not when
 * it was already there or past it). After chat_store_lock. */
sd_err chat_store_read(struct db_conn *conn, int64_t chat_id, const char *side, int64_t message_id,
                       int64_t *unread, int *moved);
/* Closes an open chat (closing a closed one changes nothing). */
sd_err chat_store_close(struct db_conn *conn, int64_t chat_id, int64_t actor);

#endif
