/* Deliveries of a seller's webhooks: GET /v1/webhooks/{id}/deliveries, POST
 * /v1/webhooks/{id}/ping, POST /v1/webhook-deliveries/{id}/redeliver. What a delivery shows of
 * an attempt is in our words (last_error) and the receiver's status code: never anything the
 * receiver sent. */
#include <string.h>

#include "../src/webhook_store.h"
#include "handlers.h"
#include "http.h"

#define DELIVERIES_PAGE_DEFAULT 50
#define DELIVERIES_PAGE_MAX     200

HANDLER(webhook_deliveries_list)
{
    static const char *const allowed[] = {"status", "limit", "cursor", NULL};
    static const char *const statuses[] = {"pending", "succeeded", "failed", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    char *items = NULL;
    int has_more = 0;
    int64_t last = 0, id = http_path_id(ctx, "id");
    const char *status;
    sd_err e;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SELLER) != 0)
        return U_CALLBACK_COMPLETE;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such webhook among yours.");
    json_t *errors = json_array();
    http_check_query(ctx, allowed, errors);
    status = http_query(ctx, "status");
    if (status) {
        size_t i = 0;
        while (statuses[i] && strcmp(statuses[i], status) != 0)
            i++;
        if (!statuses[i])
            http_field_error(errors, "status", "invalid_enum",
                             "must be one of pending, succeeded, failed");
        status = statuses[i];
    }
    int limit = http_query_limit(ctx, DELIVERIES_PAGE_DEFAULT, DELIVERIES_PAGE_MAX, errors);
    int64_t after = http_query_cursor(ctx, "webhook-deliveries", errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    e = webhook_store_deliveries(conn, id, ctx->user_id, status, after, limit, &items, &has_more,
                                 &last);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such webhook among yours.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, "webhook-deliveries");
}

/* ping (of a webhook) and redeliver (of a delivery): 202 with the delivery, due now */
HANDLER(webhooks_ping)
{
    (void)req;
    (void)app;
    return http_act_own(http_ctx_of(resp), ROLE_SELLER, webhook_store_ping,
                        "No such webhook among yours.", 202);
}

HANDLER(webhook_deliveries_redeliver)
{
    (void)req;
    (void)app;
    return http_act_own(http_ctx_of(resp), ROLE_SELLER, webhook_store_redeliver,
                        "No such webhook delivery among yours.", 202);
}
