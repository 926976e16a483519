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

/* The answer for a connection a loop serves itself (api/front.c): its head as libmicrohttpd
 * writes one (status line, Date, Connection: close when close, the answer's headers,
 * Content-Length) and its body, taken over from ctx (ctx->queued is set). A large body counts
 * against SELLERDESK_MAX_ANSWER_MEMORY until answer_out_free; over it, the answer becomes
 * 503 busy as answer_queue's does. -1 when the head does not fit (close). */
#define ANSWER_HEAD_MAX 3072
struct answer_out {
    char head[ANSWER_HEAD_MAX];
    size_t head_len;
    const char *body;
    size_t body_len;
    char *owned;       /* freed by answer_out_free */
    long long counted; /* of the large answers' memory */
};
int answer_take(struct http_ctx *ctx, int close, struct answer_out *o);
void answer_out_free(struct answer_out *o);

#endif
