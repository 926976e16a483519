/* Reads whose statement may run on the pipe (src/db_pipe.h) without holding the request's
 * thread: the connection is suspended while the statement runs and resumed by its
 * completion; libmicrohttpd then calls the access handler again, which makes the answer
 * (dispatch.c). Without the pipe the same answer is made at once from the pool. */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "front.h"
#include "http.h"
#include "loop.h"

/* The pipe of the HTTP thread running this (api/loop.c); NULL: reads on the pool. */
static _Thread_local struct db_pipe *thread_pipe;
/* On a worker: the request it runs has gone to its loop's pipe (http_read_sent_home). */
static _Thread_local int sent_home;

void http_read_use_pipe(struct db_pipe *p)
{
    thread_pipe = p;
}

struct db_pipe *http_read_thread_pipe(void)
{
    return thread_pipe;
}

int http_read_sent_home(int clear)
{
    int v = sent_home;
    if (clear)
        sent_home = 0;
    return v;
}

/* On the request's thread, in its pipe's turn (or in db_pipe_submit when the statement was
 * refused). */
static void http_read_done(void *arg, PGresult *res, sd_err e)
{
    struct http_ctx *ctx = arg;
    ctx->read.res = res;
    ctx->read.err = e;
    /* the last touch of ctx here: once resumed, the request's thread answers and may free it.
     * (On a worker, when the pipe refused the statement at once, its loop is woken too.) */
    if (ctx->front)
        front_resume(ctx->front);
    else if (thread_pipe)
        loop_resume_here(ctx->connection);
    else
        loop_resume(ctx->connection);
}

int http_read(struct http_ctx *ctx, const struct db_read *rd, http_read_fn answer)
{
    struct db_pipe *pipe = thread_pipe;
    ctx->read.answer = answer;
    if (!pipe && ctx->home_pipe && !atomic_load(&ctx->app->draining)) {
        /* on a worker (the account or the key's count needed the pool): the statement goes to
         * the pipe of the loop the request came from, suspended already by its hand-over. Its
         * answer resumes it there, and that loop may answer and free ctx at once: this is the
         * last touch of ctx on the worker (dispatch.c asks http_read_sent_home). (Not once the
         * server drains: the pipes stop as soon as the workers have, which would answer it
         * 503; on the pool it is answered before the worker ends.) */
        http_conn_release(ctx);
        ctx->read.suspended = 1;
        sent_home = 1;
        db_pipe_submit(ctx->home_pipe, rd, http_read_done, ctx);
        return U_CALLBACK_COMPLETE;
    }
    if (!pipe) {
        struct db_conn *conn = http_conn(ctx);
        sd_err e = SD_OK;
        if (!conn)
            return U_CALLBACK_COMPLETE;
        PGresult *r = db_read_run(conn, rd, &e);
        return answer(ctx, r, e);
    }
    /* a pool connection taken before (authentication read an account its cache lacked) goes
     * back first: held across the suspension, it deadlocked the server at 64 connections,
     * every thread waiting in db_acquire for connections only the suspended requests, which
     * those threads must resume, would give back */
    http_conn_release(ctx);
    /* suspended before the statement is submitted: its completion may come at once (a full
     * queue), and the resume must find the connection suspended */
    ctx->read.suspended = 1;
    if (!ctx->front)
        MHD_suspend_connection(ctx->connection);
    db_pipe_submit(pipe, rd, http_read_done, ctx);
    return U_CALLBACK_COMPLETE;
}

static int http_read_one_answer(struct http_ctx *ctx, PGresult *r, sd_err e)
{
    char *out = NULL;
    if (r)
        e = db_text_of(r, &out);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "%s", ctx->read.not_found);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_json_owned(ctx, 200, out, strlen(out));
}

int http_read_one(struct http_ctx *ctx, const struct db_read *rd, const char *not_found)
{
    ctx->read.not_found = not_found;
    return http_read(ctx, rd, http_read_one_answer);
}

static int http_read_page_answer(struct http_ctx *ctx, PGresult *r, sd_err e)
{
    char *items = NULL;
    int has_more = 0;
    int64_t last = 0;
    if (r)
        e = db_page_of(r, ctx->read.limit, &items, &has_more, &last, NULL, NULL);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, ctx->read.scope);
}

int http_read_page_with(struct http_ctx *ctx, const struct db_read *rd, int limit,
                        const char *scope, http_read_fn answer)
{
    ctx->read.limit = limit;
    free(ctx->read.scope); /* (set already when the request runs again on a worker) */
    if (!(ctx->read.scope = strdup(scope)))
        return http_store_error(ctx, SD_ERR_INTERNAL);
    return http_read(ctx, rd, answer);
}

int http_read_page(struct http_ctx *ctx, const struct db_read *rd, int limit, const char *scope)
{
    return http_read_page_with(ctx, rd, limit, scope, http_read_page_answer);
}

void http_read_keep(struct http_ctx *ctx, char *items, int has_more, int64_t last)
{
    free(ctx->read.items);
    ctx->read.items = items;
    ctx->read.has_more = has_more;
    ctx->read.last = last;
}

sd_err http_read_kept(struct http_ctx *ctx, PGresult *r, sd_err e, char **items, int64_t *v,
                      int *found)
{
    *items = ctx->read.items;
    ctx->read.items = NULL;
    *v = 0;
    *found = 0;
    return r ? db_i64_of(r, v, found) : e;
}
