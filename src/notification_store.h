#ifndef SD_NOTIFICATION_STORE_H
#define SD_NOTIFICATION_STORE_H

#include <jansson.h>

#include "db.h"

/* Inside the transaction of the change that causes it: so a notification exists if and only
 * if its cause was committed. data is a JSON object (borrowed) or NULL. */
sd_err notification_store_create(struct db_conn *conn, int64_t user_id, const char *event,
                                 const char *title, const char *body, const json_t *data);
/* Same for many users at once (user_ids a bigint[] literal): one statement. */
sd_err notification_store_create_many(struct db_conn *conn, const char *user_ids, const char *event,
                                      const char *title, const char *body, const json_t *data);
/* Same, delivered by push and e-mail only: it stays out of the feed and its counters (chat
 * messages, which have their own unread counts). */
sd_err notification_store_create_unlisted(struct db_conn *conn, int64_t user_id, const char *event,
                                          const char *title, const char *body, const json_t *data);

struct feed_query {
    int64_t user_id;
    const char *tab; /* NULL: every tab */
    int unread_only;
    int64_t after_id; /* keyset: ids below this; 0 from the top */
    int limit;
};
/* Personal notifications and the broadcasts meant for the user, newest first: a DB_PAGE read
 * of q->limit (q->tab must outlive the read's submission). */
void notification_store_feed_read(struct db_read *rd, const struct feed_query *q);
/* {tabs: {tab: unread} for every tab with unread items, chats: the unread chats by kind (see
 * chat_store_unread_chats; support: the support side's)}, in one statement: a read of its JSON
 * text. */
void notification_store_counters_read(struct db_read *rd, int64_t user_id, int support);
/* Marks one feed item read; SD_ERR_NOT_FOUND if it is not the user's. */
sd_err notification_store_read(struct db_conn *conn, int64_t user_id, int64_t id);
/* Marks every unread item (of one tab, or all) read; *marked is how many. */
sd_err notification_store_read_all(struct db_conn *conn, int64_t user_id, const char *tab,
                                   int64_t *marked);
/* The user's explicit choices: {"event": {"push": bool, "email": bool}} (only those set). */
sd_err notification_store_settings(struct db_conn *conn, int64_t user_id, json_t **choices);
sd_err notification_store_set(struct db_conn *conn, int64_t user_id, const char *event,
                              const char *channel, int enabled);
/* audience: "all", "buyers", "sellers" or "users" with user_ids ("{1,2}") */
sd_err notification_store_broadcast(struct db_conn *conn, int64_t author, const char *tab,
                                    const char *title, const char *body, const char *audience,
                                    const char *user_ids, json_t **out);

#endif
