/* The libmicrohttpd side of dispatch.c: its callbacks (the request line, the access handler,
 * the end of a request), the head's checks on libmicrohttpd's records of it, and the problem
 * documents sent in place of the library's own refusals. A request read by a loop itself
 * (api/front.c) goes through the same stages without these (dispatch_stages.h). */
#include "dispatch.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "conn.h"
#include "dispatch_stages.h"
#include "head.h"
#include "http.h"

struct head_fields {
    struct head_field f[HEAD_MAX_FIELDS];
    int n, total;
    size_t bytes;
};

static enum MHD_Result dispatch_collect(void *cls, enum MHD_ValueKind kind, const char *key,
                                        size_t key_size, const char *value, size_t value_size)
{
    struct head_fields *h = cls;
    (void)kind;
    h->total++;
    h->bytes += key_size + value_size + 4;
    if (h->n < HEAD_MAX_FIELDS)
        h->f[h->n++] =
            (struct head_field){key, value ? value : "", key_size, value ? value_size : 0};
    return MHD_YES;
}

/* Requests of this thread whose head is still arriving, newest first. libmicrohttpd's log
 * messages name no connection; when exactly one is here, a message about a request head is
 * about this one (see dispatch_library_refused). */
static _Thread_local struct http_ctx *heading;

static void dispatch_heading_add(struct http_ctx *ctx)
{
    ctx->heading_prev = NULL;
    ctx->heading_next = heading;
    if (heading)
        heading->heading_prev = ctx;
    heading = ctx;
    ctx->heading = 1;
}

void dispatch_heading_remove(struct http_ctx *ctx)
{
    if (!ctx->heading)
        return;
    if (ctx->heading_prev)
        ctx->heading_prev->heading_next = ctx->heading_next;
    else
        heading = ctx->heading_next;
    if (ctx->heading_next)
        ctx->heading_next->heading_prev = ctx->heading_prev;
    ctx->heading = 0;
}

void *dispatch_started(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct http_ctx *ctx = dispatch_ctx_new(cls, uri);
    if (!ctx)
        return NULL;
    ctx->connection = c;
    ctx->slot = conn_of(c);
    /* libmicrohttpd would parse the query too, after this callback: into the connection's
     * fixed memory pool (a flood of parameters exhausts it, and the connection closes with no
     * answer) and leniently (an invalid escape or %00 decodes to other bytes). The server
     * parses the copy strictly instead, so the query ends here for libmicrohttpd. */
    char *q = uri ? strchr((char *)uri, '?') : NULL;
    if (q && q[1])
        q[1] = '\0';
    dispatch_heading_add(ctx);
    return ctx;
}

void dispatch_library_refused(sd_err e, const char *code, const char *detail)
{
    struct http_ctx *ctx = heading;
    /* libmicrohttpd 0.9.75 answers a head it cannot take (larger than the connection's
     * memory, or with a Content-Length it cannot parse) with an HTML page of its own, and for
     * a bad Content-Length writes that page's head twice. It logs the refusal just before,
     * in the connection's thread, and the page is not sent yet: the problem document goes out
     * in its place, and with the socket closed for sending, the page never leaves. Where more
     * than one head is arriving in this thread, which one is meant is unknown: the library's
     * page goes out then. */
    if (!ctx || ctx->heading_next || ctx->queued)
        return;
    dispatch_new_request_id(ctx->request_id, sizeof ctx->request_id);
    http_set_header(ctx, "X-Request-Id", ctx->request_id);
    ctx->close_after = 1;
    http_problem(ctx, e, code, "%s", detail);
    answer_write_direct(ctx);
    conn_linger(ctx->slot);
}

/* The target as libmicrohttpd read it ends where the protocol begins: a raw NUL byte in it
 * would have cut the copy taken in dispatch_started short, and the rest would be ignored. */
static int dispatch_target_intact(struct http_ctx *ctx, const char *url, const char *version)
{
    size_t n = strlen(ctx->raw_uri);
    return n > URI_MAX_BYTES || (url + n + 1 == version && version[-1] == '\0');
}

/* The method as libmicrohttpd read it: a token of at most 15 bytes, not cut by a raw NUL
 * (libmicrohttpd takes any bytes; a NUL would leave "GET" of "GET\0X"). */
static int dispatch_method_ok(const char *method, const char *url)
{
    size_t n = strlen(method);
    if (n == 0 || n >= sizeof((struct http_ctx *)0)->method || method + n + 1 != url)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("!#$%&'*+-.^_`|~", method[i]) && !isalnum((unsigned char)method[i]))
            return 0;
    return 1;
}

/* The framing and syntax of the head; a refusal to answer, then close. */
static void dispatch_check_head(struct http_ctx *ctx, const char *url, const char *method,
                                const char *version, struct head_verdict *v)
{
    struct head_fields *h = malloc(sizeof *h);
    if (!h) {
        v->err = SD_ERR_UNAVAILABLE;
        v->code = "busy";
        v->detail = "The server is out of memory; retry shortly.";
        return;
    }
    h->n = h->total = 0;
    h->bytes = 0;
    MHD_get_connection_values_n(ctx->connection, MHD_HEADER_KIND, dispatch_collect, h);
    head_check(h->f, h->n, strcmp(version, MHD_HTTP_VERSION_1_0) != 0 ? HEAD_HTTP11 : 0, v);
    head_check_size(h->total, h->bytes, v);
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(ctx->connection, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (v->err == SD_OK &&
        (!hs || head_layout_intact(method, hs->header_size, version, h->f, h->n) != 0)) {
        v->err = SD_ERR_BAD_REQUEST;
        v->code = "invalid_header";
        v->detail = "The request head has a NUL byte, a folded line (obs-fold), a line without "
                    "a field name, or a line not ended by CR LF.";
    }
    if (v->err == SD_OK && !dispatch_method_ok(method, url)) {
        v->err = SD_ERR_BAD_REQUEST;
        v->code = "invalid_method";
        v->detail = "The request method is not a token of at most 15 characters.";
    }
    if (v->err == SD_OK && !dispatch_target_intact(ctx, url, version)) {
        v->err = SD_ERR_BAD_REQUEST;
        v->code = "invalid_uri";
        v->detail = "The request target contains a raw NUL byte.";
    }
    free(h);
}

/* Stage 2 on libmicrohttpd. */
static enum MHD_Result dispatch_head(struct http_ctx *ctx, const char *url, const char *method,
                                     const char *version)
{
    struct head_verdict v;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(ctx->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    dispatch_head_begin(ctx, ci ? ci->client_addr : NULL, version);
    dispatch_check_head(ctx, url, method, version, &v);
    return dispatch_head_checked(ctx, method, &v) ? answer_queue(ctx) : MHD_YES;
}

enum MHD_Result dispatch_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls)
{
    struct http_ctx *ctx = *con_cls;
    (void)cls;
    (void)c;
    if (!ctx)
        return MHD_NO; /* out of memory when the request line came */
    if (!ctx->head_seen)
        return dispatch_head(ctx, url, method, version);
    if (*upload_data_size) {
        /* libmicrohttpd delivers at most the Content-Length the head accepted; a refused
         * request's body (no buffer) is dropped */
        size_t n = *upload_data_size;
        if (ctx->body) {
            if (ctx->body_len + n > (size_t)ctx->content_length)
                return MHD_NO; /* libmicrohttpd stops at Content-Length: cannot happen */
            memcpy(ctx->body + ctx->body_len, upload_data, n);
            ctx->body[ctx->body_len + n] = '\0';
        }
        ctx->body_len += n;
        conn_body_progress(ctx->slot, (int64_t)ctx->body_len);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (ctx->queued)
        return MHD_YES;
    return dispatch_step(ctx) ? answer_queue(ctx) : MHD_YES;
}

static const char *dispatch_outcome(enum MHD_RequestTerminationCode toe)
{
    switch (toe) {
    case MHD_REQUEST_TERMINATED_COMPLETED_OK:
        return "completed";
    case MHD_REQUEST_TERMINATED_TIMEOUT_REACHED:
        return "timeout";
    case MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN:
        return "shutdown";
    case MHD_REQUEST_TERMINATED_CLIENT_ABORT:
        return "client_abort";
    case MHD_REQUEST_TERMINATED_READ_ERROR:
        return "read_error";
    default:
        return "error";
    }
}

void dispatch_done(void *cls, struct MHD_Connection *c, void **con_cls,
                   enum MHD_RequestTerminationCode toe)
{
    struct http_ctx *ctx = *con_cls;
    (void)cls;
    (void)c;
    if (!ctx)
        return;
    dispatch_finish(ctx, toe != MHD_REQUEST_TERMINATED_COMPLETED_OK ? dispatch_outcome(toe) : NULL);
    *con_cls = NULL;
}
