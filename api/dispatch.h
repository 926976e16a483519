#ifndef SD_DISPATCH_H
#define SD_DISPATCH_H

#include <microhttpd.h>

#include "../src/err.h"

/* libmicrohttpd callbacks, with the struct sd_app as cls: the request line has arrived
 * (MHD_OPTION_URI_LOG_CALLBACK), the access handler, and the request is over
 * (MHD_OPTION_NOTIFY_COMPLETED: logs it, counts it, frees it). */
void *dispatch_started(void *cls, const char *uri, struct MHD_Connection *c);
enum MHD_Result dispatch_access(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **con_cls);
void dispatch_done(void *cls, struct MHD_Connection *c, void **con_cls,
                   enum MHD_RequestTerminationCode toe);

/* The workers that run the requests on the pool (api/work.h), as dispatch_access hands them
 * over when app->work is set; a request waits for one at most max_wait_ms. NULL when they
 * cannot start. */
struct work_pool *dispatch_workers(int nthreads, int max_wait_ms);

/* libmicrohttpd is about to answer the head arriving in this thread itself: answer with a
 * problem document instead (from its logger, server.c). */
void dispatch_library_refused(sd_err e, const char *code, const char *detail);

#endif
