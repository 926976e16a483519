#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../src/chat_restriction_store.h"
#include "../src/log.h"
#include "../src/timestamp.h"
#include "handlers.h"
#include "http.h"

#define REASON_MIN 3
#define REASON_MAX 500

/* The reason is not passed through the content-safety engine: support must be able to quote
 * what the fraudster wrote ("asked to pay by card transfer to +7 ..."), which is exactly what
 * the engine refuses. Only support accounts write it. */

/* Every change is written to the server log: who switched chat off or on for whom, and when
 * it ends. The reason stays in the database (it may quote personal data). */
static void restriction_audit(struct http_ctx *ctx, int64_t user_id, const json_t *set)
{
    const char *until = json_string_value(json_object_get(set, "until"));
    if (set)
        log_info("chat restricted: user %lld by support %lld until %s (request %s)",
                 (long long)user_id, (long long)ctx->user_id, until ? until : "lifted",
                 ctx->request_id);
    else
        log_info("chat restriction lifted: user %lld by support %lld (request %s)",
                 (long long)user_id, (long long)ctx->user_id, ctx->request_id);
}

/* The target of /v1/users/{id}/chat-restriction after the role check; -1 when answered. */
static int64_t restriction_target(struct http_ctx *ctx)
{
    if (http_require_role(ctx, ROLE_SUPPORT) != 0)
        return -1;
    int64_t id = http_path_id(ctx, "id");
    if (id < 0)
        http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such user.");
    return id;
}

HANDLER(chat_restriction_put)
{
    static const struct field_rule rules[] = {
        {"reason", FT_STRING, 1, REASON_MIN, REASON_MAX},
        {"until", FT_STRING, 0, 1, 64},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *body, *errors, *out = NULL;
    char until[32];
    time_t t;
    int rc;
    sd_err e;
    (void)req;
    (void)app;
    int64_t id = restriction_target(ctx);
    if (id < 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    const char *reason = json_string_value(json_object_get(body, "reason"));
    const char *until_in = json_string_value(json_object_get(body, "until"));
    if (reason && utf8_blank(reason) && !json_array_size(errors))
        http_field_error(errors, "reason", "too_short", "must not be blank");
    if (until_in && *until_in && ts_parse_rfc3339(until_in, &t) != 0)
        http_field_error(errors, "until", "invalid_format",
                         "must be an RFC 3339 timestamp such as 2027-01-01T00:00:00Z");
    else if (until_in && *until_in && t <= time(NULL))
        http_field_error(errors, "until", "not_in_future",
                         "must be in the future; leave it out to restrict until lifted");
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The restriction has invalid fields.");
        errors = NULL;
        goto cleanup;
    }
    if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
        goto cleanup;
    }
    e = chat_restriction_store_put(conn, id, reason,
                                   until_in ? ts_format_utc(t, until, sizeof until) : NULL,
                                   ctx->user_id, &out);
    if (e == SD_ERR_NOT_FOUND) {
        rc = http_problem(ctx, e, NULL, "No such user.");
    } else if (e == SD_ERR_UNPROCESSABLE) {
        rc = http_problem(ctx, e, "cannot_restrict_support",
                          "Chat cannot be switched off for a support account.");
    } else if (e != SD_OK) {
        rc = http_store_error(ctx, e);
    } else {
        restriction_audit(ctx, id, out);
        rc = http_json(ctx, 200, out);
    }
cleanup:
    json_decref(errors);
    json_decref(body);
    return rc;
}

HANDLER(chat_restriction_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *out = NULL;
    sd_err e;
    (void)req;
    (void)app;
    int64_t id = restriction_target(ctx);
    if (id < 0 || !(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = chat_restriction_store_get(conn, id, &out)) == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "This user's chat is not restricted.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_json(ctx, 200, out);
}

HANDLER(chat_restriction_delete)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    sd_err e;
    (void)req;
    (void)app;
    int64_t id = restriction_target(ctx);
    if (id < 0 || !(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = chat_restriction_store_delete(conn, id)) == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "This user's chat is not restricted.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    restriction_audit(ctx, id, NULL);
    return http_no_content(ctx);
}
