#include "moderation.h"

#include <stdio.h>
#include <string.h>

#include "../src/log.h"
#include "../src/moderation_store.h"
#include "../src/ratelimit_store.h"
#include "handlers.h"
#include "routes.h"

#define GUARD_MAX_FIELDS  8
#define OFFENDERS_DEFAULT 20
#define OFFENDERS_MAX     100

static json_t *finding_json(const struct mod_finding *f, const char *field)
{
    json_t *v = json_pack("{s:s, s:s}", "rule", mod_rule_name(f->rule), "fragment", f->fragment);
    if (field)
        json_object_set_new(v, "field", json_string(field));
    return v;
}

int moderation_guard(struct http_ctx *ctx, const json_t *body, const char *const *fields)
{
    return moderation_guard_flags(ctx, body, fields, NULL);
}

int moderation_guard_flags(struct http_ctx *ctx, const json_t *body, const char *const *fields,
                           json_t **soft)
{
    struct mod_result results[GUARD_MAX_FIELDS];
    const struct mod_result *refused[GUARD_MAX_FIELDS];
    size_t nrefused = 0;
    json_t *violations = json_array();
    char endpoint[160];
    if (soft)
        *soft = json_array();
    for (size_t i = 0; fields[i] && i < GUARD_MAX_FIELDS; i++) {
        const char *text = json_string_value(json_object_get(body, fields[i]));
        if (!text)
            continue;
        /* callers validate lengths first and JSON strings are UTF-8, so this does not happen;
         * if it ever does, the text is refused: a safety check fails closed */
        if (mod_check(&ctx->app->moderation, text, strlen(text), &results[i]) != MOD_OK) {
            json_decref(violations);
            http_problem(ctx, SD_ERR_VALIDATION, NULL,
                         "The field %s cannot be checked (too long or not text).", fields[i]);
            goto refused;
        }
        for (size_t k = 0; soft && k < results[i].nfindings; k++)
            if (!results[i].findings[k].hard)
                json_array_append_new(*soft, finding_json(&results[i].findings[k], fields[i]));
        if (results[i].allowed)
            continue;
        refused[nrefused++] = &results[i];
        for (size_t k = 0; k < results[i].nfindings; k++)
            if (results[i].findings[k].hard)
                json_array_append_new(violations, finding_json(&results[i].findings[k], fields[i]));
    }
    if (!nrefused) {
        json_decref(violations);
        return 0;
    }
    snprintf(endpoint, sizeof endpoint, "%s %s", routes_method(ctx->route_index),
             routes_label(ctx->route_index));
    struct db_conn *conn = http_conn(ctx);
    if (!conn) {
        json_decref(violations);
        goto refused;
    }
    sd_err e = moderation_store_record(conn, ctx->user_id, endpoint, refused, nrefused);
    if (e != SD_OK)
        log_warn("could not record a refused text at %s", endpoint);
    http_problem_with(ctx, SD_ERR_UNPROCESSABLE, "content_violation",
                      json_pack("{s:o}", "violations", violations),
                      "The text breaks the platform's rules (contacts, payment or sales outside "
                      "the platform, requests for codes or passwords, or abusive language). "
                      "Nothing was saved.");
refused:
    if (soft) {
        json_decref(*soft);
        *soft = NULL;
    }
    return -1;
}

HANDLER(moderation_check)
{
    static const struct field_rule rules[] = {
        {"text", FT_STRING, 1, 1, MOD_MAX_CHARS},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct sd_app *a = app;
    struct db_conn *conn;
    struct mod_result result;
    char key[48];
    int retry = 0, rc;
    json_t *body, *errors;
    (void)req;
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The text is invalid.");
        goto cleanup;
    }
    json_decref(errors);
    if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
        goto cleanup;
    }
    snprintf(key, sizeof key, "modcheck:%lld", (long long)ctx->user_id);
    sd_err e = ratelimit_store_hit(conn, key, a->cfg.moderation_check_per_minute, 60, &retry);
    if (e == SD_ERR_RATE_LIMITED) {
        rc = http_rate_limited(ctx, retry, "Too many checks; slow down.");
        goto cleanup;
    }
    if (e != SD_OK) {
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    http_conn_release(ctx);
    const char *text = json_string_value(json_object_get(body, "text"));
    mod_check(&a->moderation, text, strlen(text), &result);
    json_t *violations = json_array();
    for (size_t i = 0; i < result.nfindings; i++) {
        const struct mod_finding *f = &result.findings[i];
        json_array_append_new(violations,
                              json_pack("{s:s, s:s, s:I, s:I, s:s}", "rule", mod_rule_name(f->rule),
                                        "severity", f->hard ? "hard" : "soft", "start",
                                        (json_int_t)f->start, "end", (json_int_t)f->end, "fragment",
                                        f->fragment));
    }
    rc = http_json(ctx, 200,
                   json_pack("{s:b, s:o}", "allowed", result.allowed, "violations", violations));
cleanup:
    json_decref(body);
    return rc;
}

HANDLER(moderation_offenders)
{
    static const char *const allowed[] = {"days", "limit", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *errors = json_array(), *items = NULL;
    int days = 30;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SUPPORT) != 0) {
        json_decref(errors);
        return U_CALLBACK_COMPLETE;
    }
    http_check_query(ctx, allowed, errors);
    int limit = http_query_limit(ctx, OFFENDERS_DEFAULT, OFFENDERS_MAX, errors);
    const char *d = http_query(ctx, "days");
    if (d) {
        char *end;
        long v = strtol(d, &end, 10);
        if (end == d || *end || v < 1 || v > 365)
            http_field_error(errors, "days", "out_of_range", "must be an integer from 1 to 365");
        else
            days = (int)v;
    }
    if (json_array_size(errors))
        return http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                   "The query has invalid parameters.");
    json_decref(errors);
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = moderation_store_offenders(conn, days, limit, &items);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_json(ctx, 200, json_pack("{s:o, s:i}", "items", items, "days", days));
}
