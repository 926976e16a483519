#ifndef SD_PRINCIPAL_H
#define SD_PRINCIPAL_H

#include "http.h"

/* The account user_id as the request's principal (ctx->role, ctx->user): from the process's
 * cache, else read on the request's connection and kept (src/principal_cache.h). 1 with *e the
 * outcome (SD_OK, SD_ERR_NOT_FOUND, a store error); 0 when it did not settle here: no
 * connection (answered), or the read goes to run again on a worker (http_to_worker).
 *
 * The cache's hit or miss is counted once a request, by the run that settles it: a loop's run
 * that hands the read to a worker is not, nor the second run of a request with a body, whose
 * head was authenticated before the body (api/dispatch.c). So an account forgotten while the
 * body arrived, read again on the second run, stays counted as the first run's hit; and a
 * request no worker took in time (503) is not counted. */
int principal_load(struct http_ctx *ctx, int64_t user_id, sd_err *e);

#endif
