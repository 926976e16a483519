#include "principal.h"

#include "../src/principal_cache.h"
#include "../src/user_store.h"

int principal_load(struct http_ctx *ctx, int64_t user_id, sd_err *e)
{
    struct db_conn *conn = NULL;
    int hit = principal_cache_get(user_id, &ctx->role, &ctx->user);
    if (!hit && !(conn = http_conn(ctx)) && ctx->to_worker)
        return 0; /* counted by its run on the worker */
    if (!ctx->principal_counted)
        principal_cache_count(hit);
    ctx->principal_counted = 1;
    if (!hit && !conn)
        return 0; /* no connection: answered (503) */
    *e = SD_OK;
    if (!hit && (*e = user_store_get(conn, user_id, &ctx->role, &ctx->user)) == SD_OK)
        principal_cache_put(user_id, ctx->role, ctx->user);
    return 1;
}
