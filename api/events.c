/* GET /v1/events: the catch-up feed of the event log (src/event_store.c). A client keeps the
 * last id it processed and asks for what came after it; ids are the account's positions,
 * which commit in order, so nothing is ever skipped or repeated. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/event_store.h"
#include "../src/event_types.h"
#include "events.h"
#include "handlers.h"
#include "http.h"

#define EVENTS_DEFAULT 100
#define EVENTS_MAX     500

const char *events_types_filter(struct http_ctx *ctx, char *out, size_t len, json_t *errors)
{
    const char *s = http_query(ctx, "types");
    size_t used = 0;
    if (!s)
        return NULL;
    out[used++] = '{';
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        const struct event_type *t = NULL;
        for (size_t i = 0; !t && i < event_type_count(); i++) {
            const struct event_type *c = event_type_at(i);
            if (strlen(c->type) == n && memcmp(c->type, s, n) == 0)
                t = c;
        }
        if (!t) {
            http_field_error(errors, "types", "invalid_enum",
                             "must be a comma-separated list of event types (see the contract)");
            return NULL;
        }
        /* the registry's names are few and short: the literal always fits, even repeated */
        if (used + strlen(t->type) + 2 < len)
            used += (size_t)snprintf(out + used, len - used, "%s%s", used > 1 ? "," : "", t->type);
        if (!comma)
            break;
        s = comma + 1;
    }
    snprintf(out + used, len - used, "}");
    return out;
}

HANDLER(events_list)
{
    static const char *const allowed[] = {"after", "types", "limit", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct event_query q = {ctx->user_id, 0, NULL, EVENTS_DEFAULT};
    json_t *errors = json_array();
    char types[1024];
    char *items = NULL;
    int64_t last = 0;
    struct db_conn *conn;
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    q.after = http_query_int(ctx, "after", 0, 0, INT64_MAX, errors);
    q.types = events_types_filter(ctx, types, sizeof types, errors);
    q.limit = http_query_limit(ctx, EVENTS_DEFAULT, EVENTS_MAX, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = event_store_feed(conn, &q, &items, &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    /* the rows as PostgreSQL wrote them, never parsed and printed again (bench/README.md,
     * "Chats"); positions start at 1, so last is 0 only for an empty page */
    size_t n = strlen(items) + 48;
    char *body = malloc(n);
    int rc;
    if (!body) {
        rc = http_store_error(ctx, SD_ERR_INTERNAL);
    } else {
        snprintf(body, n, "{\"items\":%s,\"next_after\":%lld}", items,
                 (long long)(last ? last : q.after));
        rc = http_json_text(ctx, 200, body);
    }
    free(body);
    free(items);
    return rc;
}
