#ifndef SD_WORK_H
#define SD_WORK_H

struct http_ctx;

/* Requests that run on the pool, taken off the HTTP threads (issue 15). An HTTP thread is a
 * loop serving an equal share of the connections (loop.h); a write run on it held every one of
 * them until its statements ended (a lock wait, a password hash). Such a request's connection
 * is suspended instead and the request queued here, first come first served, for a worker
 * thread; the worker runs it and resumes the connection, and its loop sends the answer. A
 * request waits for a worker at most max_wait_ms, as it would for a pool connection: then it is
 * refused (503). Without the pipe there are no loops, and no workers: libmicrohttpd's own
 * threads run every request as before. */
struct work_pool;

/* The whole request, on a worker. Must resume the connection as its last touch of ctx, or
 * leave that to whatever its last touch handed the request to (a loop's pipe). */
typedef void (*work_fn)(struct http_ctx *ctx);
/* Its answer when no worker took it: waited too long (stopping 0), or the pool stopped
 * (stopping 1). On the waiting thread (the reaper's, or work_stop's caller's, or work_submit's
 * caller's after the stop). Must resume the connection as its last touch of ctx. */
typedef void (*work_refuse_fn)(struct http_ctx *ctx, int stopping);

struct work_pool *work_start(int nthreads, int max_wait_ms, work_fn run, work_refuse_fn refuse);
/* Queues ctx, its connection suspended by the caller; after work_stop it is refused at once. */
void work_submit(struct work_pool *w, struct http_ctx *ctx);
/* Refuses what waits and what comes later, and returns once what runs has finished (each
 * request's statements are bounded by the statement timeout) and the threads have ended.
 * NULL is ignored. */
void work_stop(struct work_pool *w);
/* Frees it, after work_stop, once no loop can hand it a request any more. NULL is ignored. */
void work_free(struct work_pool *w);
/* Requests waiting for a worker, requests running on one, and requests refused so far for
 * waiting too long (for the metrics). */
void work_counts(struct work_pool *w, int *queued, int *running, unsigned long long *expired);

#endif
