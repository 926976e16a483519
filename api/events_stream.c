/* GET /v1/events/stream: the caller's event log as Server-Sent Events, its backlog after a
 * position and then what happens, from any process (src/event_hub.c reads and formats them).
 *
 * libmicrohttpd runs connections on a pool of epoll threads: a content reader must neither
 * block nor return 0 for nothing (it would be called again at once, spinning). So a stream
 * with nothing to send suspends its connection from inside the reader (allowed there by
 * libmicrohttpd 0.9.75, with MHD_ALLOW_SUSPEND_RESUME and its ITC), and the hub resumes it when
 * bytes arrive, waking the connection's thread (api/loop.h); a suspended connection costs no
 * thread and is not timed out by the library. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "../src/event_hub.h"
#include "../src/event_store.h"
#include "conn.h"
#include "events.h"
#include "handlers.h"
#include "http.h"
#include "loop.h"

/* what an EventSource waits before reconnecting after the stream ends */
#define STREAM_RETRY_MS 2000
#define STREAM_BLOCK    16384

static void stream_suspend(void *connection)
{
    MHD_suspend_connection(connection);
}

/* (on the hub's thread: the connection's own loop is woken to send, api/loop.h) */
static void stream_resume(void *connection)
{
    loop_resume(connection);
}

/* the connection is shut by conn.c's sweeper, which alone may shut a connection's socket while
 * libmicrohttpd holds it */
static void stream_drop(void *connection)
{
    conn_stream_drop(conn_of(connection));
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    ssize_t n = event_hub_read(cls, buf, max);
    return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void stream_free(void *cls)
{
    event_hub_close(cls);
}

struct MHD_Response *events_stream_response(struct http_ctx *ctx)
{
    struct MHD_Response *m = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, ctx->stream, stream_free);
    if (m)
        ctx->stream = NULL; /* the answer's now: closed when libmicrohttpd frees it */
    return m;
}

/* Last-Event-ID: a position as `after` takes it; -1 when absent; an error when not one. */
static int64_t stream_last_event_id(struct http_ctx *ctx, json_t *errors)
{
    const char *s = http_header(ctx, "Last-Event-ID");
    char *end;
    if (!s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || s[0] < '0' || s[0] > '9') {
        http_field_error(errors, "Last-Event-ID", "out_of_range",
                         "must be an event id: an integer from 0 to %lld", (long long)INT64_MAX);
        return -1;
    }
    return v;
}

static int stream_refuse(struct http_ctx *ctx, const char *detail)
{
    return http_problem(ctx, SD_ERR_UNAVAILABLE, "too_many_streams", "%s", detail);
}

/* Opens the caller's stream after a position and answers with it. The types filter is taken
 * from the query again: checked already, and this may run after the start's read. */
static int stream_open(struct http_ctx *ctx, int64_t after)
{
    char types[1024];
    json_t *errors = json_array();
    const char *literal = events_types_filter(ctx, types, sizeof types, errors);
    json_decref(errors);
    if (literal) { /* "{a,b}" from the registry's names; the hub takes "a,b" */
        types[strlen(types) - 1] = '\0';
        literal = types + 1;
    }
    struct event_hub_client client = {stream_suspend, stream_resume, stream_drop, ctx->connection};
    struct event_hub_who who = {ctx->user_id, ctx->api_key_id, ctx->credential_expires_at};
    switch (event_hub_open(&who, after, literal, STREAM_RETRY_MS, &client, &ctx->stream)) {
    case EVENT_HUB_OK:
        break;
    case EVENT_HUB_FULL:
        return stream_refuse(ctx, "This server holds as many event streams as it may; retry "
                                  "shortly (another process may have room).");
    case EVENT_HUB_ACCOUNT_FULL:
        return stream_refuse(ctx, "This account holds as many event streams on this server as "
                                  "it may; close one or retry later.");
    default:
        return http_problem(ctx, SD_ERR_UNAVAILABLE, "shutting_down",
                            "The server is not taking new event streams; retry shortly.");
    }
    if (conn_streaming(ctx->slot) != 0) {
        event_hub_close(ctx->stream);
        ctx->stream = NULL;
        return stream_refuse(ctx, "Event streams hold as many of the server's connections, or "
                                  "of this client's, as they may; retry shortly.");
    }
    http_set_header(ctx, "Content-Type", "text/event-stream");
    http_set_header(ctx, "Cache-Control", "no-store");
    http_set_header(ctx, "X-Accel-Buffering", "no");
    ctx->resp->status = 200;
    ctx->answered = 1;
    return U_CALLBACK_COMPLETE;
}

/* The account's last position has come: the stream starts after it (what happens from now). */
static int stream_from_last(struct http_ctx *ctx, PGresult *r, sd_err e)
{
    int64_t last = 0;
    int found = 0;
    if (r)
        e = db_i64_of(r, &last, &found);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return stream_open(ctx, last);
}

/* The stream starts after Last-Event-ID, else after=, else the account's last position. That
 * last is a read on the thread's pipe, as the pages' are, so it never makes the thread wait for
 * the pool (it did, and every connection of the thread waited with it while the pool was busy).
 * A start whose authentication needs the pool (an account the cache lacks, an API key's rate
 * count) runs on a worker, as other reads' do; its position read goes back to the loop's pipe. */
HANDLER(events_stream)
{
    static const char *const allowed[] = {"after", "types", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array();
    char types[1024];
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    events_types_filter(ctx, types, sizeof types, errors);
    int64_t last_id = stream_last_event_id(ctx, errors);
    int64_t after = http_query_int(ctx, "after", -1, 0, INT64_MAX, errors);
    if (json_array_size(errors) > 0) {
        http_query_conn(ctx, errors); /* answers 400 with them */
        return U_CALLBACK_COMPLETE;
    }
    json_decref(errors);
    if (last_id >= 0 || after >= 0)
        return stream_open(ctx, last_id >= 0 ? last_id : after);
    struct db_read rd;
    event_store_last_read(&rd, ctx->user_id);
    return http_read(ctx, &rd, stream_from_last);
}
