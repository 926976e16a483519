#ifndef SD_DISPUTE_THREAD_STORE_H
#define SD_DISPUTE_THREAD_STORE_H

#include <stdint.h>

#include <jansson.h>

#include "auth.h"
#include "db.h"

/* The thread of a dispute: its buyer, its seller and the support team (one shared side), each
 * with a read mark and an unread count. A message or a read first locks the dispute
 * (dispute_store_lock), so a count is never computed beside a message it cannot see. */

/* Inside the transaction, after the lock: stores the message (text NULL: attachments only;
 * attachment_ids a bigint[] literal or NULL), marks the author's side read up to it and
 * counts it unread for the others; the files become readable by the parties. *out is the
 * message. */
sd_err dispute_thread_add(struct db_conn *conn, int64_t dispute_id, int64_t author,
                          const char *side, const char *text, const char *attachment_ids,
                          json_t **out);
/* Newest first below the keyset id `before` (0: from the newest). The caller has checked the
 * dispute is the viewer's. */
sd_err dispute_thread_list(struct db_conn *conn, int64_t dispute_id, int64_t before, int limit,
                           char **items, int *has_more, int64_t *last);
/* Moves side's read mark up to message_id, a message of this dispute (else
 * SD_ERR_VALIDATION); *unread is what is left. After the lock. */
sd_err dispute_thread_read(struct db_conn *conn, int64_t dispute_id, const char *side,
                           int64_t message_id, int64_t *unread);

/* The side a caller of role speaks for in a dispute. */
const char *dispute_side_of(auth_role role);

#endif
