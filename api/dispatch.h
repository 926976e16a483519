#ifndef SD_DISPATCH_H
#define SD_DISPATCH_H

#include <microhttpd.h>

#include "../src/err.h"
#include "head.h"

struct front_conn;
struct conn_slot;
struct http_ctx;
struct sd_app;

/* libmicrohttpd callbacks, with the struct sd_app as cls: the request line has arrived
 * (MHD_OPTION_URI_LOG_CALLBACK), the access handler, and the request is over
 * (MHD_OPTION_NOTIFY_COMPLETED: logs it, counts it, frees it). */
void *dispatch_started(void *cls, const char *uri, struct MHD_Connection *c);
enum MHD_Result dispatch_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls);
void dispatch_done(void *cls, struct MHD_Connection *c, void **con_cls,
                   enum MHD_RequestTerminationCode toe);

/* A plain GET read by a loop itself (api/front.h), its head's fields f (n of them, bytes in
 * all, by head_check_size's count) in the connection's buffer: checked as libmicrohttpd's
 * are, the target parsed and routed. The context, its answer made when the head refused it;
 * NULL when out of memory, or with *handoff set when the request must go to libmicrohttpd
 * whole (an event stream): then nothing was answered or logged. */
struct http_ctx *dispatch_front_begin(struct sd_app *app, struct front_conn *fc,
                                      struct conn_slot *slot, const struct sockaddr *client,
                                      const char *target, const struct head_field *f, int n,
                                      size_t bytes, int *handoff);
/* Runs it, or goes on with it once resumed: 1 when its answer is ready in ctx->response, 0 when
 * it waits (front_resume follows). */
int dispatch_front_step(struct http_ctx *ctx);
/* Its answer sent (outcome NULL) or abandoned: logged, counted, freed. */
void dispatch_front_end(struct http_ctx *ctx, const char *outcome);
/* A request waiting for a worker or a read goes on, on its loop (from any thread). */
void dispatch_resume(struct http_ctx *ctx);

/* The workers that run the requests on the pool (api/work.h), as dispatch_access hands them
 * over when app->work is set; a request waits for one at most max_wait_ms. NULL when they
 * cannot start. */
struct work_pool *dispatch_workers(int nthreads, int max_wait_ms);

/* libmicrohttpd is about to answer the head arriving in this thread itself: answer with a
 * problem document instead (from its logger, server.c). */
void dispatch_library_refused(sd_err e, const char *code, const char *detail);

#endif
