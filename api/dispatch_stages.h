#ifndef SD_DISPATCH_STAGES_H
#define SD_DISPATCH_STAGES_H

#include <stddef.h>
#include <sys/socket.h>

#include "head.h"
#include "http.h"

/* The stages of a request that dispatch.c (the loops' own requests, the workers) and
 * dispatch_mhd.c (libmicrohttpd's) share; see dispatch.c. */

/* A request's context from its request line's target; NULL when out of memory. */
struct http_ctx *dispatch_ctx_new(struct sd_app *app, const char *uri);
/* A request id of this thread (24 hex characters). */
void dispatch_new_request_id(char *out, size_t len);
/* Stage 2 begins: the head is complete and no body byte has been read. */
void dispatch_head_begin(struct http_ctx *ctx, const struct sockaddr *client, const char *version);
/* Stage 2, once the head's checks gave v: 1 when the answer must go now (and the connection
 * close), 0 when the body is to be read or the request run. */
int dispatch_head_checked(struct http_ctx *ctx, const char *method, struct head_verdict *v);
/* The whole request is here, or what it waited for has come: 1 when its answer is ready. */
int dispatch_step(struct http_ctx *ctx);
/* Logs the request, counts it and frees it; outcome NULL when it completed. */
void dispatch_finish(struct http_ctx *ctx, const char *outcome);
/* (dispatch_mhd.c) Takes a request out of its thread's list of heads still arriving. */
void dispatch_heading_remove(struct http_ctx *ctx);

#endif
