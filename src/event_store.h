#ifndef SD_EVENT_STORE_H
#define SD_EVENT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db.h"

/* Inside the transaction of the change that causes it: one event of type for each account of
 * accounts (a bigint[] literal "{1,2}"; duplicates and NULLs count once and not at all), at
 * each account's next position. data (borrowed, an object) gets type, account and
 * occurred_at added. The accounts' counter rows stay locked until the transaction ends. */
sd_err event_store_append(struct db_conn *conn, const char *accounts, const char *type,
                          const json_t *data);
/* The same for a few account ids (a chat's or a posting's parties); zeros and except (the actor, or
 * 0) are left out. */
sd_err event_store_append_to(struct db_conn *conn, const int64_t *ids, size_t n, int64_t except,
                             const char *type, const json_t *data);

struct event_query {
    int64_t account;
    int64_t after;     /* positions above this */
    const char *types; /* a text[] literal "{a,b}" of known types, or NULL: every type */
    int limit;
};
/* The account's events after a position, oldest first: *items the text of a JSON array of
 * {id, type, created_at, data} (malloc'd), *last the position of the last one (0 if none). */
sd_err event_store_feed(struct db_conn *conn, const struct event_query *q, char **items,
                        int64_t *last);

/* Up to limit of the account's events after a position, of every type, oldest first: rows of
 * (position, type, the feed item's JSON text on one line); the caller PQclear()s them. */
sd_err event_store_since(struct db_conn *conn, int64_t account, int64_t after, int limit,
                         PGresult **rows);
/* The read of the account's last committed position: one row, one column (0 when it has no
 * events); db_i64_of takes it. A read, so that an event stream's start can run it on its loop's
 * pipe (api/events_stream.c). */
void event_store_last_read(struct db_read *rd, int64_t account);

#endif
