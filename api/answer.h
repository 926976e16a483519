#ifndef SD_ANSWER_H
#define SD_ANSWER_H

#include <microhttpd.h>

#include "http.h"

/* Hands the answer in ctx->response to libmicrohttpd: small ones from their buffer, large ones
 * read out as the client takes them (within SELLERDESK_MAX_ANSWER_MEMORY), an event stream as
 * its events come; ctx->queued is set when it is queued. */
enum MHD_Result answer_queue(struct http_ctx *ctx);
/* Writes the answer to the connection's socket directly and closes it for sending (the head
 * libmicrohttpd refused, dispatch_library_refused). */
void answer_write_direct(struct http_ctx *ctx);

#endif
