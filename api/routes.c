#include "routes.h"

#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "http.h"

/* flags: who may call it, and whether its body is an uploaded file (a larger limit) */
enum { PUBLIC = 0, AUTHENTICATED = 1, UPLOAD = 2 };

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

/* Where two patterns match one path (/v1/questions/counts and /v1/questions/:id) Ulfius runs
 * the callbacks of both; the handler is the one routes_match chose in http_begin, so the
 * table's order decides, not Ulfius' ordering of equal priorities. */
static int routes_dispatch(const struct _u_request *req, struct _u_response *resp, void *app)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    if (!ctx || ctx->route_index < 0)
        return U_CALLBACK_CONTINUE;
    return routes[ctx->route_index].handler(req, resp, app);
}

int routes_register(struct _u_instance *in, struct sd_app *app)
{
    int rc = ulfius_add_endpoint_by_val(in, "*", NULL, "*", PRIORITY_BEGIN, http_begin, app);
    for (int i = 0; i < NROUTES && rc == U_OK; i++) {
        const struct route *r = &routes[i];
        if (r->flags & AUTHENTICATED)
            rc = ulfius_add_endpoint_by_val(in, r->method, NULL, r->path, PRIORITY_AUTH,
                                            auth_authenticate, app);
        if (rc == U_OK)
            rc = ulfius_add_endpoint_by_val(in, r->method, NULL, r->path, PRIORITY_APP,
                                            routes_dispatch, app);
    }
    if (rc == U_OK)
        rc = ulfius_add_endpoint_by_val(in, "*", NULL, "*", PRIORITY_FALLBACK, http_fallback, app);
    return rc == U_OK ? 0 : -1;
}

/* Next non-empty segment of a path; returns its length and advances *p. */
static size_t next_segment(const char **p, const char **seg)
{
    while (**p == '/')
        (*p)++;
    *seg = *p;
    while (**p && **p != '/')
        (*p)++;
    return (size_t)(*p - *seg);
}

static int path_matches(const char *pattern, const char *path)
{
    const char *ps, *us;
    for (;;) {
        size_t pl = next_segment(&pattern, &ps), ul = next_segment(&path, &us);
        if (pl == 0 || ul == 0)
            return pl == ul;
        if (ps[0] != ':' && (pl != ul || memcmp(ps, us, pl) != 0))
            return 0;
    }
}

int routes_match(const char *method, const char *path, char *allow, size_t allowlen)
{
    size_t used = 0;
    allow[0] = '\0';
    for (int i = 0; i < NROUTES; i++) {
        if (!path_matches(routes[i].path, path))
            continue;
        if (strcmp(routes[i].method, method) == 0)
            return i;
        used += (size_t)snprintf(allow + used, allowlen - used, "%s%s", used ? ", " : "",
                                 routes[i].method);
        if (used >= allowlen)
            used = allowlen - 1;
    }
    return used ? ROUTES_METHOD_NOT_ALLOWED : ROUTES_NOT_FOUND;
}

int routes_takes_upload(int i)
{
    return i >= 0 && i < NROUTES && (routes[i].flags & UPLOAD);
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

int routes_has_path_param(int i, const char *name)
{
    const char *p;
    size_t n = strlen(name);
    if (i < 0 || i >= NROUTES)
        return 0;
    for (p = strchr(routes[i].path, ':'); p; p = strchr(p + 1, ':'))
        if (strncmp(p + 1, name, n) == 0 && (p[n + 1] == '/' || p[n + 1] == '\0'))
            return 1;
    return 0;
}
