/* GET /docs: the contract rendered for people. The page, its start script and the Redoc
 * bundle (the npm package pinned in package.json) are linked into the binary like the contract
 * itself (Makefile), so binary, contract and docs cannot drift apart, and the page loads
 * nothing from any other host: its Content-Security-Policy says so to the browser too. */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "../src/file_type.h"
#include "handlers.h"
#include "http.h"

extern const char _binary_docs_index_html_start[], _binary_docs_index_html_end[];
extern const char _binary_docs_init_js_start[], _binary_docs_init_js_end[];
extern const char _binary_redoc_standalone_js_start[], _binary_redoc_standalone_js_end[];

/* Scripts and the spec from this server only. Redoc's styled-components write <style>
 * elements, and its search index runs in a worker made from a blob: URL; data: images are
 * its inline icons. Nothing may be framed, posted or based elsewhere. */
#define DOCS_CSP                                                                                   \
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                    \
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "          \
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/* The URLs stay the same across versions: a cache keeps its copy but asks each time, and the
 * ETag (the bytes' SHA-256) answers 304 while the copy is current. */
#define DOCS_CACHE_CONTROL "public, no-cache"
/* Entity tags compared from one If-None-Match (as for files): past that, the bytes are sent. */
#define DOCS_MAX_ETAGS 8

enum { DOCS_PAGE, DOCS_INIT, DOCS_REDOC, DOCS_N };

struct docs_asset {
    const char *start, *end, *content_type;
    char etag[FILE_SHA256_HEX + 3]; /* quoted hex */
};

static struct docs_asset docs_assets[DOCS_N] = {
    {_binary_docs_index_html_start, _binary_docs_index_html_end, "text/html; charset=utf-8", ""},
    {_binary_docs_init_js_start, _binary_docs_init_js_end, "text/javascript; charset=utf-8", ""},
    {_binary_redoc_standalone_js_start, _binary_redoc_standalone_js_end,
     "text/javascript; charset=utf-8", ""},
};
static pthread_once_t docs_once = PTHREAD_ONCE_INIT;

/* The bytes never change while the process runs: each is hashed once, on first use. */
static void docs_hash_all(void)
{
    unsigned char digest[crypto_hash_sha256_BYTES];
    char hex[FILE_SHA256_HEX + 1];
    for (int i = 0; i < DOCS_N; i++) {
        struct docs_asset *a = &docs_assets[i];
        crypto_hash_sha256(digest, (const unsigned char *)a->start,
                           (unsigned long long)(a->end - a->start));
        sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
        snprintf(a->etag, sizeof a->etag, "\"%s\"", hex);
    }
}

/* 1 when If-None-Match names the asset's tag (or is "*"): the client's copy is current. */
static int docs_not_modified(struct http_ctx *ctx, const struct docs_asset *a)
{
    char tags[DOCS_MAX_ETAGS * (FILE_SHA256_HEX + 1) + 1];
    if (file_if_none_match(http_header(ctx, "If-None-Match"), tags, sizeof tags) != 0)
        return 0;
    if (strcmp(tags, "*") == 0)
        return 1;
    const char *hex = a->etag + 1;
    for (const char *p = tags; *p;) {
        size_t n = strcspn(p, ",");
        if (n == FILE_SHA256_HEX && memcmp(p, hex, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int docs_send(struct _u_response *resp, int which)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    const struct docs_asset *a = &docs_assets[which];
    pthread_once(&docs_once, docs_hash_all);
    if (docs_not_modified(ctx, a)) {
        ulfius_set_empty_body_response(resp, 304);
        ctx->answered = 1;
    } else {
        http_static(ctx, 200, a->content_type, a->start, (size_t)(a->end - a->start));
        http_set_header(ctx, "X-Content-Type-Options", "nosniff");
        http_set_header(ctx, "Content-Security-Policy", DOCS_CSP);
    }
    http_set_header(ctx, "ETag", a->etag);
    http_set_header(ctx, "Cache-Control", DOCS_CACHE_CONTROL);
    return U_CALLBACK_COMPLETE;
}

HANDLER(docs_page)
{
    (void)req;
    (void)app;
    return docs_send(resp, DOCS_PAGE);
}

HANDLER(docs_init_script)
{
    (void)req;
    (void)app;
    return docs_send(resp, DOCS_INIT);
}

HANDLER(docs_redoc_script)
{
    (void)req;
    (void)app;
    return docs_send(resp, DOCS_REDOC);
}
