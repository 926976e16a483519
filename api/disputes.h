#ifndef SD_API_DISPUTES_H
#define SD_API_DISPUTES_H

#include <stdint.h>

#include <jansson.h>

#include "http.h"

/* What the dispute handlers share (api/disputes.c, dispute_actions.c, dispute_messages.c). */

/* Adds the caller's allowed actions, from the dispute's state, to one dispute object. */
void dispute_add_actions(json_t *d, auth_role role);
/* Answers the dispute as the caller sees it, with its history and allowed actions (status on
 * success), or 404 / the store's error. */
int dispute_answer(struct http_ctx *ctx, struct db_conn *conn, int64_t id, int status);

#endif
