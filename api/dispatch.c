/* Every request passes here: libmicrohttpd's through its callbacks (dispatch_mhd.c), the plain
 * GETs a loop reads itself through the front (api/front.c, dispatch_front_*), by the same
 * stages (dispatch_stages.h).
 *
 * Ulfius 2.7's own dispatcher reads a request's whole body before any callback runs, and
 * libmicrohttpd decodes the target leniently; neither can refuse ambiguous framing, an
 * oversized or unauthenticated body, or a malformed target before work is spent on them.
 * So the server drives libmicrohttpd itself and checks each request in stages, answering at
 * the first that refuses it:
 *   1. request line (dispatch_started): the raw target is kept for strict parsing;
 *   2. head (dispatch_head): framing, header limits, target, route, body limit, and for a
 *      request with a body, authentication: nothing unauthenticated or oversized is read;
 *   3. body: appended, never beyond the declared Content-Length the head accepted;
 *   4. complete (dispatch_run): authentication, then the route's handler, with the Ulfius
 *      request and response of the Ulfius callback signature.
 * An answer given at the head closes the connection when a body was announced (the body is
 * not read) or the framing was in doubt; otherwise connections are kept alive. */
#include "dispatch.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "../src/event_hub.h"
#include "../src/log.h"
#include "answer.h"
#include "api_key_auth.h"
#include "conn.h"
#include "dispatch_stages.h"
#include "events.h"
#include "front.h"
#include "handlers.h"
#include "head.h"
#include "http.h"
#include "loop.h"
#include "routes.h"
#include "work.h"

/* A request id: 8 random bytes drawn once per thread, then that thread's count of requests,
 * in hex (24 characters, as before). Unique in the process and unlikely to repeat across
 * processes; it only correlates a request with its log line, so it need not be unpredictable,
 * and drawing 12 random bytes for every request cost a getrandom() system call each. */
void dispatch_new_request_id(char *out, size_t len)
{
    static _Thread_local unsigned char id[12];
    static _Thread_local uint32_t count;
    if (count == 0)
        randombytes_buf(id, 8);
    count++;
    for (int i = 0; i < 4; i++)
        id[8 + i] = (unsigned char)(count >> (24 - 8 * i));
    sodium_bin2hex(out, len, id, sizeof id);
}

/* src cut to fit cap bytes with its NUL (snprintf's "%s" did this at 500 instructions) */
static void dispatch_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int dispatch_request_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n >= 40)
        return 0;
    return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

_Static_assert(offsetof(struct http_ctx, header_bytes) + HTTP_HEADER_BYTES ==
                   sizeof(struct http_ctx),
               "header_bytes ends the context: only what is before it is cleared");

/* A request's context, from its request line's target. NULL when out of memory. */
struct http_ctx *dispatch_ctx_new(struct sd_app *app, const char *uri)
{
    /* zeroed but for the bytes of the answer's header values, written before they are read
     * (1 KiB that calloc would clear on every request) */
    struct http_ctx *ctx = malloc(sizeof *ctx);
    if (!ctx)
        return NULL;
    memset(ctx, 0, offsetof(struct http_ctx, header_bytes));
    clock_gettime(CLOCK_MONOTONIC, &ctx->start);
    ctx->app = app;
    ctx->req = &ctx->request;
    ctx->resp = &ctx->response;
    ctx->route_index = ROUTES_NOT_FOUND;
    ctx->content_length = -1;
    memcpy(ctx->method, "-", 2);
    /* a target longer than the limit is refused; a copy of limit + 1 bytes shows it is */
    ctx->raw_uri = strndup(uri ? uri : "", URI_MAX_BYTES + 1);
    if (!ctx->raw_uri) {
        free(ctx);
        return NULL;
    }
    /* (not ulfius_init_response: its maps are not used, headers live in ctx; the body
     * setters of Ulfius touch only status and binary_body) */
    ctx->response.status = 200;
    ctx->response.shared_data = ctx;
    ctx->request.http_url = ctx->raw_uri;
    atomic_fetch_add(&app->inflight, 1);
    return ctx;
}

static void dispatch_request_id(struct http_ctx *ctx)
{
    const char *incoming = http_header(ctx, "X-Request-Id");
    if (dispatch_request_id_ok(incoming)) {
        memcpy(ctx->request_id, incoming, strlen(incoming) + 1); /* (shorter: checked) */
    } else {
        dispatch_new_request_id(ctx->request_id, sizeof ctx->request_id);
    }
    http_set_header(ctx, "X-Request-Id", ctx->request_id);
}

/* The target, parsed strictly; answers 400/414 and returns -1 when it is malformed. */
static int dispatch_target(struct http_ctx *ctx)
{
    char where[80];
    uri_status s = uri_parse(ctx->raw_uri, &ctx->uri, where, sizeof where);
    if (s == URI_OK) {
        ctx->uri_ok = 1;
        return 0;
    }
    if (s == URI_NO_MEMORY) {
        http_problem(ctx, SD_ERR_UNAVAILABLE, "busy", "%s", uri_status_text(s));
        return -1;
    }
    if (s == URI_TOO_LONG) {
        http_problem(ctx, SD_ERR_URI_TOO_LONG, NULL, "The request target exceeds %d bytes.",
                     URI_MAX_BYTES);
        return -1;
    }
    json_t *errors = json_array();
    http_field_error(errors, where, "invalid_uri", "%s", uri_status_text(s));
    http_problem_errors(ctx, SD_ERR_BAD_REQUEST, "invalid_uri", errors, "%s", uri_status_text(s));
    return -1;
}

/* Route, method and declared body size; answers and returns -1 when they do not fit. */
static int dispatch_route(struct http_ctx *ctx)
{
    char allow[128];
    ctx->route_index = routes_match(ctx->method, &ctx->uri, allow, sizeof allow);
    if (ctx->route_index == ROUTES_METHOD_NOT_ALLOWED) {
        http_set_header(ctx, "Allow", allow);
        http_problem(ctx, SD_ERR_METHOD, NULL, "%s is not allowed here; allowed: %s.", ctx->method,
                     allow);
        return -1;
    }
    if (ctx->route_index < 0) {
        http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such endpoint: %s %s.", ctx->method,
                     ctx->request.url_path);
        return -1;
    }
    if (ctx->uri.nparams && !routes_takes_query(ctx->route_index)) {
        /* a parameter nobody reads would pass silently: the client meant something by it */
        json_t *errors = json_array();
        for (int i = 0; i < ctx->uri.nparams; i++)
            http_field_error(errors, ctx->uri.params[i].name, "unknown_parameter",
                             "is not a known parameter");
        http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                            "This operation takes no query parameters.");
        return -1;
    }
    size_t limit =
        routes_body_limit(ctx->route_index, &ctx->app->cfg, http_header(ctx, "Content-Type"));
    if (ctx->content_length > 0 && (uint64_t)ctx->content_length > limit) {
        http_problem(ctx, SD_ERR_TOO_LARGE, NULL, "The request body exceeds %zu bytes.", limit);
        return -1;
    }
    return 0;
}

/* A refused request's body of up to this size is read and dropped, so that the answer is
 * not lost to a TCP reset (closing with unread bytes resets the connection, and a client
 * still sending sees "connection reset", not the answer) and the connection stays open. A
 * larger one is not read: the connection is closed after the answer. */
#define DISPATCH_DRAIN_MAX 65536

/* Whether code run here for this request may not wait for a pool connection but hand the
 * request to a worker instead (http_to_worker): on a loop's thread with workers. A loop's
 * thread waiting for the pool holds every other connection it serves (an account its cache
 * lacks, an API key's rate count, a question search). An event stream's start goes too: the
 * worker authenticates it and opens the stream (or sends its position read back to the loop's
 * pipe, whose answer opens it there); either way libmicrohttpd reads the stream on its
 * connection's loop, where the hub suspends it, and the hub's resumes wake that loop. */
static int dispatch_may_defer(const struct http_ctx *ctx)
{
    /* (not twice: a read sent back to its loop's pipe by a worker whose answer wanted the pool
     * would go round for ever) */
    return ctx->app->work && !ctx->home_pipe;
}

/* Stage 2 begins: the head is complete and no body byte has been read. */
void dispatch_head_begin(struct http_ctx *ctx, const struct sockaddr *client, const char *version)
{
    conn_working(ctx->slot); /* not shut down or evicted while this runs */
    ctx->head_seen = 1;
    dispatch_heading_remove(ctx);
    ctx->request.client_address = (struct sockaddr *)client;
    ctx->request.http_protocol = (char *)version;
    dispatch_request_id(ctx);
}

/* Stage 2, once the head's checks have given v: 1 when the answer must go now (and the
 * connection close), 0 when the body is to be read or the request run. */
int dispatch_head_checked(struct http_ctx *ctx, const char *method, struct head_verdict *v)
{
    if (v->err == SD_OK) /* the method is a token now: safe to log and echo */
        dispatch_copy(ctx->method, sizeof ctx->method, method);
    ctx->request.http_verb = ctx->method;
    ctx->content_length = v->content_length;

    if (v->err != SD_OK) {
        ctx->close_after = 1;
        http_problem(ctx, v->err, v->code, "%s", v->detail);
    } else if (atomic_load(&ctx->app->draining)) {
        ctx->close_after = 1;
        http_problem(ctx, SD_ERR_UNAVAILABLE, "shutting_down",
                     "The server is stopping; retry on a new connection.");
    } else if (dispatch_target(ctx) == 0) {
        ctx->request.url_path = (char *)uri_origin_form(ctx->raw_uri);
        char *q = strchr(ctx->raw_uri, '?');
        if (q)
            *q = '\0'; /* url_path: the raw path, valid UTF-8 now that it parsed */
        dispatch_route(ctx);
    }
    int64_t body = ctx->content_length > 0 ? ctx->content_length : 0;
    if (!ctx->answered && body > 0 && routes_authenticated(ctx->route_index)) {
        /* before the body: an unauthenticated upload costs its head only. A token's signature
         * is checked here, but an account the cache lacks is read after the body, on a
         * worker, rather than by this thread waiting for the pool; an API key is checked
         * here in full (its secret is all there is to check). */
        ctx->defer_pool = dispatch_may_defer(ctx) && !apikey_presented(ctx);
        auth_authenticate(ctx->req, ctx->resp, ctx->app);
        ctx->defer_pool = ctx->to_worker = 0;
        http_conn_release(ctx); /* not held while the body trickles in */
    }
    if (!ctx->answered && body > 0 && !(ctx->body = malloc((size_t)body + 1)))
        http_problem(ctx, SD_ERR_UNAVAILABLE, "busy",
                     "The server is out of memory; retry shortly.");
    if (ctx->answered && (ctx->close_after || body > DISPATCH_DRAIN_MAX)) {
        ctx->close_after = 1;
        if (body > 0)
            conn_linger(ctx->slot); /* its body unread: the close waits for the client */
        return 1;
    }
    if (body > 0)
        conn_body_started(ctx->slot); /* read (or, refused, drained), then answered */
    return 0;
}

/* A body sent to an operation that takes none: it may be "{}" (some clients always send a
 * body with POST); anything else would be ignored silently, so it is refused. */
static void dispatch_refuse_body(struct http_ctx *ctx)
{
    /* the "{}" such an operation takes is JSON too (openapi.yaml declares it so): "{}" as
     * text/plain is refused like any body of another type */
    if (!http_content_is_json(http_header(ctx, "Content-Type"))) {
        http_problem(ctx, SD_ERR_MEDIA_TYPE, NULL,
                     "The body must be JSON with Content-Type: application/json.");
        return;
    }
    json_t *body =
        json_loadb(ctx->body, ctx->body_len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    if (!body)
        http_problem(ctx, SD_ERR_BAD_REQUEST, "malformed_json", "The body is not valid JSON.");
    else if (!json_is_object(body) || json_object_size(body) > 0)
        http_problem(ctx, SD_ERR_BAD_REQUEST, "unexpected_body",
                     "This operation takes no body (an empty JSON object at most).");
    json_decref(body);
}

/* Stage 4: the whole request is here. */
static void dispatch_run(struct http_ctx *ctx)
{
    int i = ctx->route_index;
    ctx->request.binary_body = ctx->body;
    ctx->request.binary_body_length = ctx->body_len;
    /* (again when the head was checked before a body: the body may have taken minutes to
     * arrive, and an account deleted or re-roled meanwhile must not act; the account comes
     * from the process's cache, so this costs microseconds) */
    if (routes_authenticated(i) && ctx->authenticated) {
        ctx->authenticated = 0;
        json_decref(ctx->user);
        ctx->user = NULL;
        ctx->user_id = ctx->api_key_id = 0; /* (logged: whoever this run finds, if anyone) */
    }
    if (routes_authenticated(i))
        auth_authenticate(ctx->req, ctx->resp, ctx->app);
    if (ctx->to_worker)
        return; /* (its account or API key is read on a worker) */
    if (!ctx->answered && ctx->body_len > 0 && !routes_takes_body(i))
        dispatch_refuse_body(ctx);
    if (!ctx->answered)
        routes_call(i, ctx->req, ctx->resp, ctx->app);
    if (http_read_sent_home(0))
        return; /* ctx is its loop's now (http_read) */
    if (!ctx->answered && !ctx->read.suspended && !ctx->to_worker) {
        log_error("%s %s returned without an answer", ctx->method, routes_label(i));
        http_problem(ctx, SD_ERR_INTERNAL, NULL,
                     "An unexpected error occurred; quote the request id when reporting it.");
    }
}

/* On a worker (api/work.h): the whole request, its pool connection given back, then its
 * connection resumed, the last touch of ctx (its loop answers and may free it). */
static void dispatch_on_worker(struct http_ctx *ctx)
{
    dispatch_run(ctx);
    if (http_read_sent_home(1))
        return; /* its read's answer resumes it, on its loop */
    http_conn_release(ctx);
    dispatch_resume(ctx);
}

/* A request no worker took: it waited as long as one may wait for a pool connection, and is
 * answered as that wait is (503); or the workers stopped (the end of the drain). */
static void dispatch_refuse_work(struct http_ctx *ctx, int stopping)
{
    if (stopping) {
        ctx->close_after = 1;
        http_problem(ctx, SD_ERR_UNAVAILABLE, "shutting_down",
                     "The server is stopping; retry on a new connection.");
    } else {
        log_warn("no worker free within %d ms: %s %s answered 503",
                 ctx->app->cfg.db_acquire_timeout_ms, ctx->method, routes_label(ctx->route_index));
        http_store_error(ctx, SD_ERR_UNAVAILABLE);
    }
    dispatch_resume(ctx);
}

struct work_pool *dispatch_workers(int nthreads, int max_wait_ms)
{
    return work_start(nthreads, max_wait_ms, dispatch_on_worker, dispatch_refuse_work);
}

static void dispatch_hand(struct http_ctx *ctx)
{
    /* suspended before it is queued: a worker may be done with it and resume it at once */
    if (!ctx->front)
        MHD_suspend_connection(ctx->connection);
    work_submit(ctx->app->work, ctx);
}

/* Hands a request that runs on the pool to a worker; 0 when it runs here (on the loop's
 * thread: it asks PostgreSQL nothing or only by the pipe; or there are no workers). */
static int dispatch_to_worker(struct http_ctx *ctx)
{
    if (!ctx->app->work || routes_on_loop(ctx->route_index))
        return 0;
    dispatch_hand(ctx);
    return 1;
}

/* Runs fn for ctx on this (a loop's) thread, unless it would wait for the pool: then the
 * request goes to a worker, to run again from its start there. 1 when it went. */
static int dispatch_here_or_worker(struct http_ctx *ctx, void (*fn)(struct http_ctx *))
{
    ctx->defer_pool = dispatch_may_defer(ctx);
    fn(ctx);
    ctx->defer_pool = 0;
    if (!ctx->to_worker)
        return 0;
    ctx->to_worker = 0;
    if (ctx->answered || ctx->read.suspended) {
        /* (http_to_worker's callers return at once, so this cannot happen; if it did,
         * handing over would answer twice or race the pipe's resume) */
        log_error("%s %s would go to a worker after it answered or read", ctx->method,
                  routes_label(ctx->route_index));
        return 0;
    }
    /* its read goes on to this loop's pipe from the worker (http_read): a read, so never a
     * write's, whose statements must share the pool connection of its transaction */
    ctx->home_pipe = http_read_thread_pipe();
    dispatch_hand(ctx);
    return 1;
}

/* The outcome of a read run on the pipe (http_read.c), once it has resumed the connection. */
static void dispatch_read_done(struct http_ctx *ctx)
{
    PGresult *r = ctx->read.res;
    ctx->read.res = NULL;
    ctx->read.suspended = 0;
    ctx->read.answer(ctx, r, ctx->read.err);
    if (!ctx->answered && !ctx->to_worker && !ctx->read.suspended)
        http_problem(ctx, SD_ERR_INTERNAL, NULL,
                     "An unexpected error occurred; quote the request id when reporting it.");
}

/* The whole request is here, or what it waited for has come (its read's outcome, its run on a
 * worker): 1 when its answer is ready to go, 0 when it waits again (it is resumed). */
int dispatch_step(struct http_ctx *ctx)
{
    /* (not a stream its worker opened: conn_streaming gave it its phase there, and a drop or
     * the drain may have given it a deadline while it was suspended; as working it would be
     * neither swept nor cut at the drain) */
    if (!(ctx->answered && ctx->stream))
        conn_working(ctx->slot);
    if (ctx->read.suspended) {
        /* called again once the pipe has resumed the connection: the statement's outcome is
         * in (http_read.c). Its answer may read once more (an empty chat page's second
         * statement), or, needing the pool, send the whole read again to a worker. */
        if (dispatch_here_or_worker(ctx, dispatch_read_done) || ctx->read.suspended)
            return 0;
    } else if (!ctx->answered) {
        if (dispatch_to_worker(ctx) || dispatch_here_or_worker(ctx, dispatch_run))
            return 0; /* answered once its worker has resumed the connection */
        if (ctx->read.suspended)
            return 0; /* answered when the statement's outcome comes */
    }
    /* nothing of the request is needed while the answer goes out, however slowly it is read:
     * the database connection above all */
    http_conn_release(ctx);
    json_decref(ctx->user);
    ctx->user = NULL;
    free(ctx->body);
    ctx->body = NULL;
    ctx->request.binary_body = NULL;
    return 1;
}

/* Logs the request, counts it and frees it; outcome NULL when it completed. */
void dispatch_finish(struct http_ctx *ctx, const char *outcome)
{
    dispatch_heading_remove(ctx);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs =
        (double)(now.tv_sec - ctx->start.tv_sec) + (double)(now.tv_nsec - ctx->start.tv_nsec) / 1e9;
    int status = ctx->queued ? (int)ctx->response.status : 0;
    struct log_access line = {ctx->request_id, ctx->method, routes_label(ctx->route_index),
                              outcome,         status,      secs * 1000.0,
                              ctx->user_id};
    log_request(&line);
    metrics_observe(ctx->app->metrics, ctx->route_index, status, secs);
    conn_request_done(ctx->slot);
    http_conn_release(ctx);
    json_decref(ctx->user);
    uri_free(&ctx->uri);
    free(ctx->raw_uri);
    free(ctx->body);
    event_hub_close(ctx->stream); /* opened, but its answer never made */
    /* a read's result that came after the client had left: libmicrohttpd resumed the
     * connection, found it closed and ended the request without calling the handler again */
    PQclear(ctx->read.res);
    free(ctx->read.scope);
    free(ctx->read.items);
    free(ctx->response.binary_body);
    atomic_fetch_sub(&ctx->app->inflight, 1);
    free(ctx);
}

/* A request of a connection the loop serves itself (api/front.c). */
struct http_ctx *dispatch_front_begin(struct sd_app *app, struct front_conn *fc,
                                      struct conn_slot *slot, const struct sockaddr *client,
                                      const char *target, const struct head_field *f, int n,
                                      size_t bytes, int *handoff)
{
    struct head_verdict v;
    struct http_ctx *ctx = dispatch_ctx_new(app, target);
    *handoff = 0;
    if (!ctx)
        return NULL;
    ctx->front = fc;
    ctx->slot = slot;
    dispatch_head_begin(ctx, client, "HTTP/1.1");
    head_check(f, n, HEAD_HTTP11 | HEAD_BYTES_CHECKED, &v); /* (front_head_parse checked them) */
    head_check_size(n, bytes, &v);
    dispatch_head_checked(ctx, "GET", &v);
    if (!ctx->answered && routes_streams(ctx->route_index)) {
        /* an event stream is libmicrohttpd's (events_stream.c): nothing was read or answered,
         * so the request is dropped unlogged and the connection handed over whole */
        *handoff = 1;
        uri_free(&ctx->uri);
        free(ctx->raw_uri);
        atomic_fetch_sub(&ctx->app->inflight, 1);
        free(ctx);
        return NULL;
    }
    return ctx;
}

int dispatch_front_step(struct http_ctx *ctx)
{
    return dispatch_step(ctx);
}

void dispatch_front_end(struct http_ctx *ctx, const char *outcome)
{
    dispatch_finish(ctx, outcome);
}

void dispatch_resume(struct http_ctx *ctx)
{
    if (ctx->front)
        front_resume(ctx->front);
    else
        loop_resume(ctx->connection);
}
