#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "http.h"

/* flags: who may call it, and what its body may be: a file (SELLERDESK_MAX_UPLOAD_BYTES), or
 * for an unauthenticated route a small JSON document, or else JSON up to
 * SELLERDESK_MAX_BODY_BYTES */
enum { PUBLIC = 0, AUTHENTICATED = 1, UPLOAD = 2 };

/* An unauthenticated body: the largest (register) is under 2 KiB. */
#define ROUTES_PUBLIC_BODY_MAX 16384

struct route {
    const char *method;
    const char *path;
    int flags;
    int (*handler)(const struct _u_request *, struct _u_response *, void *);
};

/* Every endpoint of the API, one line each. */
static const struct route routes[] = {
    {"GET", "/healthz", PUBLIC, ops_healthz},
    {"GET", "/readyz", PUBLIC, ops_readyz},
    {"GET", "/metrics", PUBLIC, ops_metrics},
    {"GET", "/openapi.yaml", PUBLIC, ops_openapi},
    {"POST", "/v1/auth/register", PUBLIC, auth_register},
    {"POST", "/v1/auth/login", PUBLIC, auth_login},
    {"POST", "/v1/auth/refresh", PUBLIC, auth_refresh},
    {"POST", "/v1/auth/logout", PUBLIC, auth_logout},
    {"GET", "/v1/me", AUTHENTICATED, me_get},
    {"POST", "/v1/products", AUTHENTICATED, products_create},
    {"GET", "/v1/products", AUTHENTICATED, products_list},
    {"GET", "/v1/products/:id", AUTHENTICATED, products_get},
    {"PATCH", "/v1/products/:id", AUTHENTICATED, products_update},
    {"POST", "/v1/products/:id/questions", AUTHENTICATED, questions_create},
    {"GET", "/v1/products/:id/questions", AUTHENTICATED, product_questions_list},
    {"GET", "/v1/questions", AUTHENTICATED, questions_list},
    {"GET", "/v1/questions/counts", AUTHENTICATED, questions_counts},
    {"POST", "/v1/questions/status", AUTHENTICATED, questions_set_status},
    {"GET", "/v1/questions/:id", AUTHENTICATED, questions_get},
    {"POST", "/v1/orders", AUTHENTICATED, orders_create},
    {"GET", "/v1/orders", AUTHENTICATED, orders_list},
    {"GET", "/v1/postings/:posting_number", AUTHENTICATED, postings_get},
    {"POST", "/v1/postings/:posting_number/status", AUTHENTICATED, postings_set_status},
    {"POST", "/v1/moderation/check", AUTHENTICATED, moderation_check},
    {"GET", "/v1/moderation/offenders", AUTHENTICATED, moderation_offenders},
    {"GET", "/v1/moderation/queue", AUTHENTICATED, moderation_queue},
    {"POST", "/v1/moderation/decisions", AUTHENTICATED, moderation_decisions},
    {"POST", "/v1/questions/:id/answers", AUTHENTICATED, answers_create},
    {"GET", "/v1/questions/:id/answers", AUTHENTICATED, answers_list},
    {"DELETE", "/v1/answers/:id", AUTHENTICATED, answers_delete},
    {"GET", "/v1/notifications", AUTHENTICATED, notifications_list},
    {"GET", "/v1/notifications/counters", AUTHENTICATED, notifications_counters},
    {"POST", "/v1/notifications/read-all", AUTHENTICATED, notifications_read_all},
    {"POST", "/v1/notifications/:id/read", AUTHENTICATED, notifications_read},
    {"GET", "/v1/notification-settings", AUTHENTICATED, notification_settings_get},
    {"PATCH", "/v1/notification-settings", AUTHENTICATED, notification_settings_patch},
    {"POST", "/v1/broadcasts", AUTHENTICATED, broadcasts_create},
    {"POST", "/v1/chats", AUTHENTICATED, chats_create},
    {"GET", "/v1/chats", AUTHENTICATED, chats_list},
    {"GET", "/v1/chats/:id", AUTHENTICATED, chats_get},
    {"GET", "/v1/chats/:id/messages", AUTHENTICATED, chat_messages_list},
    {"POST", "/v1/chats/:id/messages", AUTHENTICATED, chat_messages_create},
    {"POST", "/v1/chats/:id/read", AUTHENTICATED, chats_read},
    {"POST", "/v1/chats/:id/close", AUTHENTICATED, chats_close},
    {"GET", "/v1/templates", AUTHENTICATED, templates_list},
    {"POST", "/v1/templates", AUTHENTICATED, templates_create},
    {"GET", "/v1/templates/:id", AUTHENTICATED, templates_get},
    {"PATCH", "/v1/templates/:id", AUTHENTICATED, templates_update},
    {"DELETE", "/v1/templates/:id", AUTHENTICATED, templates_delete},
    {"PUT", "/v1/users/:id/chat-restriction", AUTHENTICATED, chat_restriction_put},
    {"GET", "/v1/users/:id/chat-restriction", AUTHENTICATED, chat_restriction_get},
    {"DELETE", "/v1/users/:id/chat-restriction", AUTHENTICATED, chat_restriction_delete},
    {"POST", "/v1/files", AUTHENTICATED | UPLOAD, files_upload},
    {"GET", "/v1/files/:id", AUTHENTICATED, files_get},
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

static int routes_path_matches(const char *pattern, const struct uri *u)
{
    int nseg = 1;
    for (const char *p = pattern + 1; *p; p++)
        nseg += *p == '/';
    if (nseg != u->nsegments)
        return 0;
    for (int i = 0; i < nseg; i++) {
        const char *seg;
        size_t n = routes_segment(pattern, i, &seg);
        if (seg[0] == ':')
            continue; /* a parameter takes any segment; its handler judges the value */
        if (strlen(u->segments[i]) != n || memcmp(seg, u->segments[i], n) != 0)
            return 0;
    }
    return 1;
}

/* The table's order decides where two patterns match one path (/v1/questions/counts before
 * /v1/questions/:id). */
int routes_match(const char *method, const struct uri *u, char *allow, size_t allowlen)
{
    size_t used = 0;
    allow[0] = '\0';
    for (int i = 0; i < NROUTES; i++) {
        if (!routes_path_matches(routes[i].path, u))
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

int routes_authenticated(int i)
{
    return i >= 0 && i < NROUTES && (routes[i].flags & AUTHENTICATED);
}

size_t routes_body_limit(int i, const struct sd_config *cfg)
{
    if (i >= 0 && i < NROUTES && (routes[i].flags & UPLOAD))
        return cfg->max_upload_bytes;
    if (i >= 0 && i < NROUTES && !(routes[i].flags & AUTHENTICATED))
        return ROUTES_PUBLIC_BODY_MAX;
    return cfg->max_body_bytes;
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
