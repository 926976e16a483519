/* Requests authenticated by an API key. The secret never reaches a log or an answer: refusals
 * and security log lines name the key's id at most. */
#include "api_key_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../src/api_key.h"
#include "../src/api_key_cache.h"
#include "../src/api_key_store.h"
#include "../src/log.h"
#include "../src/ratelimit_store.h"
#include "principal.h"
#include "routes.h"

#define APIKEY_RATE_WINDOW_S 60

/* What a key may call: the routes under each path (a route's pattern equal to it or below it)
 * need the read scope for GET and the write scope for every other method. A route under none
 * of these (sign-in, the keys themselves, the account and its settings, notifications,
 * catalog, orders, moderation, files) refuses keys whatever their scopes. */
static const struct {
    const char *path;
    enum apikey_scope read, write;
} apikey_routes[] = {
    {"/v1/chats", APIKEY_CHATS_READ, APIKEY_CHATS_WRITE},
    {"/v1/templates", APIKEY_CHATS_READ, APIKEY_CHATS_WRITE}, /* canned chat replies */
    {"/v1/reviews", APIKEY_REVIEWS_READ, APIKEY_REVIEWS_WRITE},
    {"/v1/review-comments", APIKEY_REVIEWS_READ, APIKEY_REVIEWS_WRITE},
    {"/v1/products/:id/reviews", APIKEY_REVIEWS_READ, APIKEY_REVIEWS_WRITE},
    {"/v1/products/:id/rating", APIKEY_REVIEWS_READ, APIKEY_REVIEWS_WRITE},
    {"/v1/questions", APIKEY_QUESTIONS_READ, APIKEY_QUESTIONS_WRITE},
    {"/v1/answers", APIKEY_QUESTIONS_READ, APIKEY_QUESTIONS_WRITE},
    {"/v1/products/:id/questions", APIKEY_QUESTIONS_READ, APIKEY_QUESTIONS_WRITE},
    {"/v1/promotions", APIKEY_PROMOTIONS_READ, APIKEY_PROMOTIONS_WRITE},
    {"/v1/disputes", APIKEY_DISPUTES_READ, APIKEY_DISPUTES_WRITE},
    {"/v1/events", APIKEY_EVENTS_READ, APIKEY_EVENTS_READ}, /* the feed is read-only */
    {"/v1/webhooks", APIKEY_WEBHOOKS_READ, APIKEY_WEBHOOKS_WRITE},
    {"/v1/webhook-deliveries", APIKEY_WEBHOOKS_READ, APIKEY_WEBHOOKS_WRITE},
};

/* The scope route i needs, -1 when keys may not call it. */
static int apikey_route_scope(int i)
{
    const char *label = routes_label(i);
    int write = strcmp(routes_method(i), "GET") != 0;
    for (size_t k = 0; k < sizeof apikey_routes / sizeof apikey_routes[0]; k++) {
        size_t n = strlen(apikey_routes[k].path);
        if (strncmp(label, apikey_routes[k].path, n) == 0 && (label[n] == '\0' || label[n] == '/'))
            return (int)(write ? apikey_routes[k].write : apikey_routes[k].read);
    }
    return -1;
}

int apikey_presented(struct http_ctx *ctx)
{
    const char *h = http_header(ctx, "Authorization");
    return (h && strncasecmp(h, "Bearer sdk_", 11) == 0) || http_header(ctx, "Api-Key") ||
           http_header(ctx, "Client-Id");
}

/* 401 with the challenge of RFC 6750 */
static int apikey_refuse(struct http_ctx *ctx, const char *code, const char *detail)
{
    char ip[64];
    http_client_address(ctx, ip, sizeof ip);
    log_security(ip, code, "API key refused for %s %s (key %lld)", ctx->method,
                 routes_label(ctx->route_index), (long long)ctx->api_key_id);
    int rc = http_problem(ctx, SD_ERR_UNAUTHORIZED, code, "%s", detail);
    http_set_header(ctx, "WWW-Authenticate", "Bearer");
    return rc;
}

/* The secret and the key id the request names (0 when none); -1 after answering. */
static int apikey_credentials(struct http_ctx *ctx, const char **secret, int64_t *client_id)
{
    const char *auth = http_header(ctx, "Authorization");
    const char *key = http_header(ctx, "Api-Key"), *cid = http_header(ctx, "Client-Id");
    *client_id = 0;
    if ((key || cid) && auth) {
        apikey_refuse(ctx, "ambiguous_credentials",
                      "Send one credential: Authorization, or Client-Id with Api-Key.");
        return -1;
    }
    if (!key != !cid) {
        apikey_refuse(ctx, "invalid_api_key", "Send Client-Id and Api-Key together.");
        return -1;
    }
    if (cid) {
        char *end;
        long long v = strtoll(cid, &end, 10);
        if (*cid < '0' || *cid > '9' || *end || v <= 0) {
            apikey_refuse(ctx, "invalid_api_key", "Client-Id is not a key id.");
            return -1;
        }
        *client_id = v;
    }
    *secret = key ? key : auth + 7;
    if (!apikey_secret_wellformed(*secret)) {
        apikey_refuse(ctx, "invalid_api_key", "The API key is not valid.");
        return -1;
    }
    return 0;
}

/* The key of the secret, from the process's cache or the database; -1 after answering. */
static int apikey_lookup(struct http_ctx *ctx, const char *secret, struct api_key_record *rec)
{
    char hash[APIKEY_HASH_HEX];
    struct db_conn *conn;
    int touch;
    sd_err e = SD_OK;
    apikey_secret_hash(secret, hash);
    if (!api_key_cache_get(hash, rec, &touch)) {
        if (!(conn = http_conn(ctx)))
            return -1;
        if ((e = api_key_store_find(conn, hash, rec)) == SD_OK)
            api_key_cache_put(hash, rec);
    }
    if (e == SD_ERR_NOT_FOUND) {
        apikey_refuse(ctx, "invalid_api_key", "The API key is not valid.");
        return -1;
    }
    if (e != SD_OK) {
        http_store_error(ctx, e);
        return -1;
    }
    ctx->api_key_id = rec->id;
    if (rec->revoked) {
        apikey_refuse(ctx, "api_key_revoked", "The API key has been revoked.");
        return -1;
    }
    if (rec->expires_at && rec->expires_at <= time(NULL)) {
        apikey_refuse(ctx, "api_key_expired", "The API key has expired.");
        return -1;
    }
    /* when it was last used, for the seller's list; at most once a minute per process */
    if (touch && (conn = http_conn(ctx)) && (e = api_key_store_touch(conn, rec->id)) != SD_OK)
        log_warn("API key %lld: last use not recorded (%s)", (long long)rec->id, err_code(e));
    return ctx->answered ? -1 : 0;
}

/* The key's seller, as a token's account is found (auth.c); -1 after answering. */
static int apikey_principal(struct http_ctx *ctx, int64_t seller_id)
{
    sd_err e;
    if (!principal_load(ctx, seller_id, &e))
        return -1;
    if (e == SD_ERR_NOT_FOUND || (e == SD_OK && ctx->role != ROLE_SELLER)) {
        apikey_refuse(ctx, "invalid_api_key", "The API key is not valid.");
        return -1;
    }
    if (e != SD_OK) {
        http_store_error(ctx, e);
        return -1;
    }
    ctx->user_id = seller_id;
    return 0;
}

/* Counts the request against the key's rate once (the head of a request with a body is
 * authenticated before the body and again after it); -1 after answering 429. */
static int apikey_rate(struct http_ctx *ctx)
{
    int limit = ctx->app->cfg.api_key_rate, hits = 0, reset = 0;
    char key[40];
    struct db_conn *conn;
    sd_err e;
    if (!ctx->api_key_counted) {
        snprintf(key, sizeof key, "apikey:%lld", (long long)ctx->api_key_id);
        if (!(conn = http_conn(ctx)))
            return -1;
        e = ratelimit_store_count(conn, key, limit, APIKEY_RATE_WINDOW_S, &hits, &reset);
        if (e != SD_OK && e != SD_ERR_RATE_LIMITED) {
            http_store_error(ctx, e);
            return -1;
        }
        ctx->api_key_counted = 1;
        snprintf(ctx->api_key_limit, sizeof ctx->api_key_limit, "%d", limit);
        snprintf(ctx->api_key_remaining, sizeof ctx->api_key_remaining, "%d",
                 hits < limit ? limit - hits : 0);
        snprintf(ctx->api_key_reset, sizeof ctx->api_key_reset, "%d", reset > 0 ? reset : 1);
    }
    http_set_header(ctx, "X-RateLimit-Limit", ctx->api_key_limit);
    http_set_header(ctx, "X-RateLimit-Remaining", ctx->api_key_remaining);
    http_set_header(ctx, "X-RateLimit-Reset", ctx->api_key_reset);
    if (strcmp(ctx->api_key_remaining, "0") == 0 && hits > limit) {
        http_rate_limited(ctx, atoi(ctx->api_key_reset),
                          "This API key has made too many requests; retry after the window ends.");
        return -1;
    }
    return 0;
}

int apikey_authenticate(struct http_ctx *ctx)
{
    const char *secret = NULL;
    int64_t client_id;
    struct api_key_record rec;
    if (apikey_credentials(ctx, &secret, &client_id) != 0)
        return U_CALLBACK_COMPLETE;
    /* every request of a key costs a statement on the pool (its rate count): on a worker */
    if (http_to_worker(ctx) || apikey_lookup(ctx, secret, &rec) != 0)
        return U_CALLBACK_COMPLETE;
    if (client_id && client_id != rec.id) {
        apikey_refuse(ctx, "invalid_api_key", "The API key is not valid.");
        return U_CALLBACK_COMPLETE;
    }
    if (apikey_principal(ctx, rec.seller_id) != 0)
        return U_CALLBACK_COMPLETE;
    ctx->api_key_scopes = rec.scopes;
    ctx->credential_expires_at = rec.expires_at;
    ctx->authenticated = 1;
    /* refused whatever the key's budget: such a request costs the key nothing */
    int scope = apikey_route_scope(ctx->route_index);
    if (scope < 0)
        return http_problem(ctx, SD_ERR_FORBIDDEN, "api_key_not_allowed",
                            "%s %s does not accept API keys; sign in as a person.", ctx->method,
                            routes_label(ctx->route_index));
    if (apikey_rate(ctx) != 0)
        return U_CALLBACK_COMPLETE;
    if (!(rec.scopes & (1u << scope))) {
        char challenge[96];
        snprintf(challenge, sizeof challenge, "Bearer error=\"insufficient_scope\", scope=\"%s\"",
                 apikey_scope_name(scope));
        http_set_header(ctx, "WWW-Authenticate", challenge);
        return http_problem_with(ctx, SD_ERR_FORBIDDEN, "insufficient_scope",
                                 json_pack("{s:s}", "required_scope", apikey_scope_name(scope)),
                                 "This API key lacks the scope %s.", apikey_scope_name(scope));
    }
    return U_CALLBACK_CONTINUE;
}
