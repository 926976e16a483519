/* The answer's headers, in the request's context (http.h: struct http_answer_header). */
#include <string.h>
#include <strings.h>

#include "../src/log.h"
#include "http.h"

static int http_header_slot(const struct http_ctx *ctx, const char *name)
{
    for (int i = 0; i < ctx->nheaders; i++)
        if (strcasecmp(ctx->headers[i].name, name) == 0)
            return i;
    return -1;
}

void http_set_header(struct http_ctx *ctx, const char *name, const char *value)
{
    size_t n = strlen(value) + 1;
    int i = http_header_slot(ctx, name);
    if ((i < 0 && ctx->nheaders == HTTP_MAX_HEADERS) ||
        n > sizeof ctx->header_bytes - ctx->header_used) {
        log_error("answer header %s left out: more than %d headers or %zu bytes", name,
                  HTTP_MAX_HEADERS, sizeof ctx->header_bytes);
        return;
    }
    char *copy = memcpy(ctx->header_bytes + ctx->header_used, value, n);
    ctx->header_used += n; /* (a replaced value's bytes stay unused: answers set few) */
    if (i < 0)
        ctx->headers[i = ctx->nheaders++].name = name;
    ctx->headers[i].value = copy; /* (a replacement keeps the name as first written) */
}

const char *http_answer_header(const struct http_ctx *ctx, const char *name)
{
    int i = http_header_slot(ctx, name);
    return i < 0 ? NULL : ctx->headers[i].value;
}

void http_unset_header(struct http_ctx *ctx, const char *name)
{
    int i = http_header_slot(ctx, name);
    if (i < 0)
        return;
    memmove(&ctx->headers[i], &ctx->headers[i + 1],
            (size_t)(ctx->nheaders - i - 1) * sizeof ctx->headers[0]);
    ctx->nheaders--;
}
