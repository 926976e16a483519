#include "routes.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../src/file_type.h"
#include "handlers.h"
#include "http.h"

/* flags: who may call it (PUBLIC, AUTHENTICATED); whether it reads query parameters (QUERY);
 * what body it takes: a JSON object (BODY: up to SELLERDESK_MAX_BODY_BYTES, or a small one on
 * a public route), a file (UPLOAD: SELLERDESK_MAX_UPLOAD_BYTES), or none (at most "{}"); whether
 * it runs on the HTTP thread that took it (LOOP: it asks PostgreSQL nothing, or only through
 * the statement pipe, or holds its connection open as a stream), not on a worker (api/work.h);
 * a LOOP route's request that would wait for a pool connection goes to a worker then; a
 * STREAM's connection is handed from the loop's own HTTP to libmicrohttpd (api/front.c) */
enum { PUBLIC = 0, AUTHENTICATED = 1, UPLOAD = 2, QUERY = 4, BODY = 8, LOOP = 16, STREAM = 32 };

/* An unauthenticated body (the largest, register, is under 2 KiB) or one where none is taken. */
#define ROUTES_SMALL_BODY_MAX 16384

struct route {
    const char *method;
    const char *path;
    int flags;
    int (*handler)(const struct _u_request *, struct _u_response *, void *);
};

/* Every endpoint of the API, one line each. */
static const struct route routes[] = {
    {"GET", "/healthz", PUBLIC | LOOP, ops_healthz},
    {"GET", "/readyz", PUBLIC, ops_readyz},
    {"GET", "/metrics", PUBLIC | LOOP, ops_metrics},
    {"GET", "/openapi.yaml", PUBLIC | LOOP, ops_openapi},
    {"GET", "/docs", PUBLIC | LOOP, docs_page},
    {"GET", "/docs/init.js", PUBLIC | LOOP, docs_init_script},
    {"GET", "/docs/redoc.standalone.js", PUBLIC | LOOP, docs_redoc_script},
    {"POST", "/v1/auth/register", PUBLIC | BODY, auth_register},
    {"POST", "/v1/auth/login", PUBLIC | BODY, auth_login},
    {"POST", "/v1/auth/refresh", PUBLIC | BODY, auth_refresh},
    {"POST", "/v1/auth/logout", PUBLIC | BODY, auth_logout},
    {"GET", "/v1/me", AUTHENTICATED | LOOP, me_get},
    {"POST", "/v1/products", AUTHENTICATED | BODY, products_create},
    {"GET", "/v1/products", AUTHENTICATED | QUERY, products_list},
    {"GET", "/v1/products/:id", AUTHENTICATED | LOOP, products_get},
    {"PATCH", "/v1/products/:id", AUTHENTICATED | BODY, products_update},
    {"POST", "/v1/products/:id/questions", AUTHENTICATED | BODY, questions_create},
    {"GET", "/v1/products/:id/questions", AUTHENTICATED | QUERY, product_questions_list},
    {"GET", "/v1/questions", AUTHENTICATED | QUERY | LOOP, questions_list},
    {"GET", "/v1/questions/counts", AUTHENTICATED | LOOP, questions_counts},
    {"POST", "/v1/questions/status", AUTHENTICATED | BODY, questions_set_status},
    {"GET", "/v1/questions/:id", AUTHENTICATED, questions_get},
    {"POST", "/v1/reviews", AUTHENTICATED | BODY, reviews_create},
    {"GET", "/v1/reviews", AUTHENTICATED | QUERY, reviews_list},
    {"GET", "/v1/reviews/counts", AUTHENTICATED, reviews_counts},
    {"POST", "/v1/reviews/status", AUTHENTICATED | BODY, reviews_set_status},
    {"GET", "/v1/reviews/:id", AUTHENTICATED, reviews_get},
    {"PATCH", "/v1/reviews/:id", AUTHENTICATED | BODY, reviews_update},
    {"DELETE", "/v1/reviews/:id", AUTHENTICATED, reviews_delete},
    {"POST", "/v1/reviews/:id/comments", AUTHENTICATED | BODY, review_comments_create},
    {"GET", "/v1/reviews/:id/comments", AUTHENTICATED | QUERY, review_comments_list},
    {"DELETE", "/v1/review-comments/:id", AUTHENTICATED, review_comments_delete},
    {"POST", "/v1/reviews/:id/complaints", AUTHENTICATED | BODY, review_complaints_create},
    {"GET", "/v1/products/:id/reviews", AUTHENTICATED | QUERY, product_reviews_list},
    {"GET", "/v1/products/:id/rating", AUTHENTICATED, product_rating},
    {"POST", "/v1/promotions", AUTHENTICATED | BODY, promotions_create},
    {"GET", "/v1/promotions", AUTHENTICATED | QUERY, promotions_list},
    {"GET", "/v1/promotions/:id", AUTHENTICATED, promotions_get},
    {"PATCH", "/v1/promotions/:id", AUTHENTICATED | BODY, promotions_update},
    {"POST", "/v1/promotions/:id/end", AUTHENTICATED, promotions_end},
    {"GET", "/v1/promotions/:id/candidates", AUTHENTICATED | QUERY, promotion_candidates},
    {"GET", "/v1/promotions/:id/products", AUTHENTICATED | QUERY, promotion_products_list},
    {"POST", "/v1/promotions/:id/products", AUTHENTICATED | BODY, promotion_products_add},
    {"POST", "/v1/promotions/:id/products/remove", AUTHENTICATED | BODY, promotion_products_remove},
    {"POST", "/v1/disputes", AUTHENTICATED | BODY, disputes_create},
    {"GET", "/v1/disputes", AUTHENTICATED | QUERY, disputes_list},
    {"GET", "/v1/disputes/counts", AUTHENTICATED, disputes_counts},
    {"GET", "/v1/disputes/:id", AUTHENTICATED, disputes_get},
    {"POST", "/v1/disputes/:id/actions", AUTHENTICATED | BODY, disputes_act},
    {"GET", "/v1/disputes/:id/messages", AUTHENTICATED | QUERY, dispute_messages_list},
    {"POST", "/v1/disputes/:id/messages", AUTHENTICATED | BODY, dispute_messages_create},
    {"POST", "/v1/disputes/:id/read", AUTHENTICATED | BODY, dispute_messages_read},
    {"POST", "/v1/orders", AUTHENTICATED | BODY, orders_create},
    {"GET", "/v1/orders", AUTHENTICATED | QUERY, orders_list},
    {"GET", "/v1/postings/:posting_number", AUTHENTICATED, postings_get},
    {"POST", "/v1/postings/:posting_number/status", AUTHENTICATED | BODY, postings_set_status},
    {"POST", "/v1/moderation/check", AUTHENTICATED | BODY, moderation_check},
    {"GET", "/v1/moderation/offenders", AUTHENTICATED | QUERY, moderation_offenders},
    {"GET", "/v1/moderation/queue", AUTHENTICATED | QUERY, moderation_queue},
    {"POST", "/v1/moderation/decisions", AUTHENTICATED | BODY, moderation_decisions},
    {"POST", "/v1/questions/:id/answers", AUTHENTICATED | BODY, answers_create},
    {"GET", "/v1/questions/:id/answers", AUTHENTICATED | QUERY, answers_list},
    {"DELETE", "/v1/answers/:id", AUTHENTICATED, answers_delete},
    {"GET", "/v1/notifications", AUTHENTICATED | QUERY | LOOP, notifications_list},
    {"GET", "/v1/notifications/counters", AUTHENTICATED | LOOP, notifications_counters},
    {"POST", "/v1/notifications/read-all", AUTHENTICATED | BODY, notifications_read_all},
    {"POST", "/v1/notifications/:id/read", AUTHENTICATED, notifications_read},
    {"GET", "/v1/notification-settings", AUTHENTICATED, notification_settings_get},
    {"PATCH", "/v1/notification-settings", AUTHENTICATED | BODY, notification_settings_patch},
    {"POST", "/v1/broadcasts", AUTHENTICATED | BODY, broadcasts_create},
    {"GET", "/v1/events", AUTHENTICATED | QUERY, events_list},
    {"GET", "/v1/events/stream", AUTHENTICATED | QUERY | LOOP | STREAM, events_stream},
    {"POST", "/v1/chats", AUTHENTICATED | BODY, chats_create},
    {"GET", "/v1/chats", AUTHENTICATED | QUERY | LOOP, chats_list},
    {"GET", "/v1/chats/:id", AUTHENTICATED, chats_get},
    {"GET", "/v1/chats/:id/messages", AUTHENTICATED | QUERY | LOOP, chat_messages_list},
    {"POST", "/v1/chats/:id/messages", AUTHENTICATED | BODY, chat_messages_create},
    {"POST", "/v1/chats/:id/read", AUTHENTICATED | BODY, chats_read},
    {"POST", "/v1/chats/:id/close", AUTHENTICATED, chats_close},
    {"GET", "/v1/templates", AUTHENTICATED | QUERY, templates_list},
    {"POST", "/v1/templates", AUTHENTICATED | BODY, templates_create},
    {"GET", "/v1/templates/:id", AUTHENTICATED, templates_get},
    {"PATCH", "/v1/templates/:id", AUTHENTICATED | BODY, templates_update},
    {"DELETE", "/v1/templates/:id", AUTHENTICATED, templates_delete},
    {"PUT", "/v1/users/:id/chat-restriction", AUTHENTICATED | BODY, chat_restriction_put},
    {"GET", "/v1/users/:id/chat-restriction", AUTHENTICATED, chat_restriction_get},
    {"DELETE", "/v1/users/:id/chat-restriction", AUTHENTICATED, chat_restriction_delete},
    {"POST", "/v1/files", AUTHENTICATED | UPLOAD, files_upload},
    {"GET", "/v1/files/:id", AUTHENTICATED, files_get},
    {"POST", "/v1/api-keys", AUTHENTICATED | BODY, api_keys_create},
    {"GET", "/v1/api-keys", AUTHENTICATED | QUERY, api_keys_list},
    {"DELETE", "/v1/api-keys/:id", AUTHENTICATED, api_keys_revoke},
    {"POST", "/v1/webhooks", AUTHENTICATED | BODY, webhooks_create},
    {"GET", "/v1/webhooks", AUTHENTICATED | QUERY, webhooks_list},
    {"GET", "/v1/webhooks/:id", AUTHENTICATED, webhooks_get},
    {"PATCH", "/v1/webhooks/:id", AUTHENTICATED | BODY, webhooks_update},
    {"DELETE", "/v1/webhooks/:id", AUTHENTICATED, webhooks_delete},
    {"POST", "/v1/webhooks/:id/ping", AUTHENTICATED, webhooks_ping},
    {"POST", "/v1/webhooks/:id/rotate-secret", AUTHENTICATED | BODY, webhooks_rotate_secret},
    {"GET", "/v1/webhooks/:id/deliveries", AUTHENTICATED | QUERY, webhook_deliveries_list},
    {"POST", "/v1/webhook-deliveries/:id/redeliver", AUTHENTICATED, webhook_deliveries_redeliver},
};
#define NROUTES ((int)(sizeof routes / sizeof routes[0]))

int routes_call(int i, const struct _u_request *req, struct _u_response *resp, void *app)
{
    return routes[i].handler(req, resp, app);
}

/* Segment i of a pattern: its text and length. */
static size_t routes_segment(const char *pattern, int i, const char **seg)
{
    const char *p = pattern + 1;
    for (; i > 0; i--) {
        p = strchr(p, '/');
        if (!p)
            return (size_t)-1;
        p++;
    }
    *seg = p;
    const char *e = strchr(p, '/');
    return e ? (size_t)(e - p) : strlen(p);
}

/* One pass over the pattern's segments, leaving at the first literal one that differs: most
 * routes differ in their second segment. (Counting each pattern's segments first and finding
 * each segment again from the start cost the chat history's route 12 000 instructions a
 * request under callgrind, a tenth of the request's own work.) */
static int routes_path_matches(const char *pattern, const struct uri *u)
{
    const char *p = pattern + 1;
    for (int i = 0;; i++) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (i >= u->nsegments)
            return 0;
        /* a parameter takes any segment; its handler judges the value */
        if (p[0] != ':' && (strlen(u->segments[i]) != n || memcmp(p, u->segments[i], n) != 0))
            return 0;
        if (!e)
            return i + 1 == u->nsegments;
        p = e + 1;
    }
}

/* The table's order decides where two patterns match one path (/v1/questions/counts before
 * /v1/questions/:id). */
/* Each pattern's number of segments and its second one ("chats" of /v1/chats/:id/messages),
 * worked out once: a path is compared in full only with the few patterns that have as many
 * segments and the same second one (the history's route, 100th of the table, cost 11,700
 * instructions a request to find: bench/README.md, "a profile"). */
static struct {
    int nsegments;
    const char *second; /* NULL: a parameter, or none */
    size_t second_len;
} route_shape[NROUTES];
static pthread_once_t route_shape_once = PTHREAD_ONCE_INIT;

static void routes_shape_all(void)
{
    for (int i = 0; i < NROUTES; i++) {
        const char *seg;
        int n = 0;
        while (routes_segment(routes[i].path, n, &seg) != (size_t)-1)
            n++;
        route_shape[i].nsegments = n;
        size_t len = n > 1 ? routes_segment(routes[i].path, 1, &seg) : 0;
        if (len && seg[0] != ':') {
            route_shape[i].second = seg;
            route_shape[i].second_len = len;
        }
    }
}

static int routes_shape_fits(int i, const struct uri *u, size_t second_len)
{
    if (route_shape[i].nsegments != u->nsegments)
        return 0;
    return !route_shape[i].second ||
           (route_shape[i].second_len == second_len &&
            memcmp(route_shape[i].second, u->segments[1], second_len) == 0);
}

int routes_match(const char *method, const struct uri *u, char *allow, size_t allowlen)
{
    size_t used = 0;
    size_t second_len = u->nsegments > 1 ? strlen(u->segments[1]) : 0;
    allow[0] = '\0';
    pthread_once(&route_shape_once, routes_shape_all);
    for (int i = 0; i < NROUTES; i++) {
        if (!routes_shape_fits(i, u, second_len) || !routes_path_matches(routes[i].path, u))
            continue;
        if (strcmp(routes[i].method, method) == 0)
            return i;
        if (strstr(allow, routes[i].method))
            continue;
        used += (size_t)snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
                                 routes[i].method);
        if (used >= allowlen)
            used = allowlen - 1;
    }
    return used ? ROUTES_METHOD_NOT_ALLOWED : ROUTES_NOT_FOUND;
}

const char *routes_path_param(int i, const struct uri *u, const char *name)
{
    size_t n = strlen(name);
    if (i < 0 || i >= NROUTES)
        return NULL;
    for (int k = 0; k < u->nsegments; k++) {
        const char *seg;
        size_t len = routes_segment(routes[i].path, k, &seg);
        if (len == n + 1 && seg[0] == ':' && memcmp(seg + 1, name, n) == 0)
            return u->segments[k];
    }
    return NULL;
}

int routes_takes_query(int i)
{
    return i >= 0 && i < NROUTES && (routes[i].flags & QUERY);
}

int routes_authenticated(int i)
{
    return i >= 0 && i < NROUTES && (routes[i].flags & AUTHENTICATED);
}

int routes_on_loop(int i)
{
    return i < 0 || i >= NROUTES || (routes[i].flags & LOOP);
}

int routes_streams(int i)
{
    return i >= 0 && i < NROUTES && (routes[i].flags & STREAM);
}

size_t routes_body_limit(int i, const struct sd_config *cfg, const char *content_type)
{
    int f = i >= 0 && i < NROUTES ? routes[i].flags : 0;
    if (f & UPLOAD)
        return file_type_is_video(file_type_allowed(content_type)) ? cfg->max_video_bytes
                                                                   : cfg->max_upload_bytes;
    if ((f & BODY) && (f & AUTHENTICATED))
        return cfg->max_body_bytes;
    return ROUTES_SMALL_BODY_MAX; /* public, or no body: "{}" at most */
}

int routes_takes_body(int i)
{
    return i >= 0 && i < NROUTES && (routes[i].flags & (BODY | UPLOAD));
}

int routes_count(void)
{
    return NROUTES;
}

const char *routes_label(int i)
{
    return i >= 0 && i < NROUTES ? routes[i].path : "unmatched";
}

const char *routes_method(int i)
{
    return i >= 0 && i < NROUTES ? routes[i].method : "";
}
