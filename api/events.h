#ifndef SD_EVENTS_H
#define SD_EVENTS_H

#include <stddef.h>

#include <jansson.h>

#include "http.h"

/* types=a,b as a text[] literal "{a,b}" written from the registry's own names (so nothing the
 * client typed reaches it); NULL when absent; an error for an unknown or empty name. */
const char *events_types_filter(struct http_ctx *ctx, char *out, size_t len, json_t *errors);

/* The libmicrohttpd answer of a request that events_stream opened (ctx->stream): read out as
 * the stream's events come, the connection suspended in between (answer.c queues it). */
struct MHD_Response *events_stream_response(struct http_ctx *ctx);

#endif
