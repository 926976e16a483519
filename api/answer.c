/* The answer in ctx->response, handed to libmicrohttpd (answer_queue) or, when the library is
 * about to send a page of its own, written to the socket directly (answer_write_direct). */
#include "answer.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../src/text_out.h"
#include "conn.h"
#include "events.h"

/* An answer larger than this is handed out as it is read, so that the client's pace is seen
 * (conn.c holds it to the minimum transfer rate) and its memory counted against
 * SELLERDESK_MAX_ANSWER_MEMORY. */
#define ANSWER_STREAM_MIN   65536
#define ANSWER_STREAM_BLOCK 16384

static atomic_llong answer_memory; /* bytes of large answers not yet sent */

struct answer_stream {
    struct conn_slot *slot;
    char *owned; /* freed when sent; NULL for static bytes */
    const char *data;
    size_t len;
};

static ssize_t answer_stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct answer_stream *st = cls;
    size_t n = st->len - (size_t)pos < max ? st->len - (size_t)pos : max;
    memcpy(buf, st->data + pos, n);
    conn_send_progress(st->slot, (int64_t)(pos + n));
    return (ssize_t)n;
}

static void answer_stream_free(void *cls)
{
    struct answer_stream *st = cls;
    if (st->owned) {
        atomic_fetch_sub(&answer_memory, (long long)st->len);
        free(st->owned);
    }
    free(st);
}

/* The answer's bytes as a libmicrohttpd response: small ones from a buffer; large ones read
 * out as the client takes them, refused (NULL, *busy) when they would take the large answers
 * in flight past the memory limit. */
static struct MHD_Response *answer_body(struct http_ctx *ctx, int *busy)
{
    struct _u_response *r = &ctx->response;
    const char *data = ctx->static_body ? ctx->static_body : r->binary_body;
    size_t len = ctx->static_body ? ctx->static_len : r->binary_body_length;
    struct answer_stream *st;
    *busy = 0;
    if (len <= ANSWER_STREAM_MIN)
        return ctx->static_body
                   ? MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT)
                   : MHD_create_response_from_buffer(len, r->binary_body, MHD_RESPMEM_MUST_FREE);
    if (!ctx->static_body && atomic_fetch_add(&answer_memory, (long long)len) + (long long)len >
                                 (long long)ctx->app->cfg.max_answer_memory) {
        atomic_fetch_sub(&answer_memory, (long long)len);
        *busy = 1;
        return NULL;
    }
    if (!(st = calloc(1, sizeof *st))) {
        if (!ctx->static_body)
            atomic_fetch_sub(&answer_memory, (long long)len);
        return NULL;
    }
    *st = (struct answer_stream){ctx->slot, ctx->static_body ? NULL : r->binary_body, data, len};
    struct MHD_Response *m = MHD_create_response_from_callback(
        len, ANSWER_STREAM_BLOCK, answer_stream_read, st, answer_stream_free);
    if (!m) {
        st->owned = NULL; /* still the Ulfius response's */
        answer_stream_free(st);
        if (!ctx->static_body)
            atomic_fetch_sub(&answer_memory, (long long)len);
    }
    return m;
}

enum MHD_Result answer_queue(struct http_ctx *ctx)
{
    struct _u_response *r = &ctx->response;
    int busy = 0, stream = ctx->stream != NULL;
    /* an event stream is read out as its events come, for as long as its client stays: no
     * transfer deadline (conn_streaming took it out of them) */
    struct MHD_Response *m = stream ? events_stream_response(ctx) : answer_body(ctx, &busy);
    if (!m && busy) {
        /* the answer is dropped for a short one that fits */
        ctx->static_body = NULL;
        http_unset_header(ctx, "Content-Disposition");
        http_unset_header(ctx, "ETag");
        http_problem(ctx, SD_ERR_UNAVAILABLE, "busy",
                     "Too many large answers are being sent; retry shortly.");
        m = answer_body(ctx, &busy);
    }
    if (!m)
        return MHD_NO;
    if (!stream)
        conn_sending(ctx->slot,
                     (int64_t)(ctx->static_body ? ctx->static_len : r->binary_body_length));
    if (!ctx->static_body) {
        r->binary_body = NULL; /* libmicrohttpd, or the stream, frees it */
        r->binary_body_length = 0;
    }
    for (int i = 0; i < ctx->nheaders; i++)
        MHD_add_response_header(m, ctx->headers[i].name, ctx->headers[i].value);
    if (ctx->close_after || atomic_load(&ctx->app->draining))
        MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response(ctx->connection, (unsigned)r->status, m);
    MHD_destroy_response(m);
    ctx->queued = rc == MHD_YES;
    return rc;
}

/* The answer in ctx->response, written to the socket directly, which is then closed for
 * sending. */
void answer_write_direct(struct http_ctx *ctx)
{
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(ctx->connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    struct _u_response *r = &ctx->response;
    const char *ct = http_answer_header(ctx, "Content-Type");
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %ld %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "X-Request-Id: %s\r\nConnection: close\r\n\r\n",
                     r->status, MHD_get_reason_phrase_for((unsigned)r->status), ct ? ct : "",
                     r->binary_body_length, ctx->request_id);
    if (!fd || n <= 0 || (size_t)n >= sizeof head)
        return;
    struct iovec iov[2] = {{head, (size_t)n}, {r->binary_body, r->binary_body_length}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    if (sendmsg(fd->connect_fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
        ctx->queued = 1;
    shutdown(fd->connect_fd, SHUT_WR);
}

/* The Date header's value, made once a second per thread. */
static const char *answer_date(void)
{
    static _Thread_local char text[40];
    static _Thread_local time_t made = -1;
    time_t now = time(NULL);
    struct tm tm;
    if (now != made && gmtime_r(&now, &tm) &&
        strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm) > 0)
        made = now;
    return text;
}

/* Whether the body of a large answer fits in SELLERDESK_MAX_ANSWER_MEMORY with the others in
 * flight; counted when it does (answer_out_free gives it back). */
static int answer_reserve(struct http_ctx *ctx, size_t len)
{
    if (atomic_fetch_add(&answer_memory, (long long)len) + (long long)len <=
        (long long)ctx->app->cfg.max_answer_memory)
        return 0;
    atomic_fetch_sub(&answer_memory, (long long)len);
    return -1;
}

int answer_take(struct http_ctx *ctx, int close, struct answer_out *o)
{
    struct _u_response *r = &ctx->response;
    memset(o, 0, sizeof *o);
    if (!ctx->static_body && r->binary_body_length > ANSWER_STREAM_MIN) {
        if (answer_reserve(ctx, r->binary_body_length) == 0) {
            o->counted = (long long)r->binary_body_length;
        } else {
            /* the answer is dropped for a short one that fits, as answer_queue does */
            http_unset_header(ctx, "Content-Disposition");
            http_unset_header(ctx, "ETag");
            http_problem(ctx, SD_ERR_UNAVAILABLE, "busy",
                         "Too many large answers are being sent; retry shortly.");
        }
    }
    o->body = ctx->static_body ? ctx->static_body : r->binary_body;
    o->body_len = ctx->static_body ? ctx->static_len : r->binary_body_length;
    if (!ctx->static_body) {
        o->owned = r->binary_body; /* sent from here, freed once sent */
        r->binary_body = NULL;
        r->binary_body_length = 0;
    }
    struct text_out t = text_out_of(o->head, sizeof o->head);
    text_lit(&t, "HTTP/1.1 ");
    text_uint(&t, (unsigned long long)r->status, 3);
    text_lit(&t, " ");
    text_str(&t, MHD_get_reason_phrase_for((unsigned)r->status));
    text_lit(&t, "\r\nDate: ");
    text_str(&t, answer_date());
    text_lit(&t, "\r\n");
    if (close)
        text_lit(&t, "Connection: close\r\n");
    for (int i = 0; i < ctx->nheaders; i++) {
        text_str(&t, ctx->headers[i].name);
        text_lit(&t, ": ");
        text_str(&t, ctx->headers[i].value);
        text_lit(&t, "\r\n");
    }
    /* (no length on an answer that has no body by definition, RFC 9110 8.6) */
    if (r->status != 204 && r->status != 304) {
        text_lit(&t, "Content-Length: ");
        text_uint(&t, o->body_len, 1);
        text_lit(&t, "\r\n");
    }
    text_lit(&t, "\r\n");
    if (t.over) {
        answer_out_free(o);
        return -1; /* (the headers' bytes are bounded below this: http.h) */
    }
    size_t n = text_len(&t, o->head);
    o->head_len = n;
    ctx->queued = 1;
    return 0;
}

void answer_out_free(struct answer_out *o)
{
    if (o->counted)
        atomic_fetch_sub(&answer_memory, o->counted);
    free(o->owned);
    o->owned = NULL;
    o->counted = 0;
}
