#include "moderation.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/log.h"
#include "../src/moderation_policy.h"
#include "../src/moderation_store.h"
#include "../src/moderation_workflow_store.h"
#include "../src/ratelimit_store.h"
#include "../src/timestamp.h"
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

int moderated_prepare(struct http_ctx *ctx, const json_t *body, const char *const *fields,
                      int policy, struct moderated *m)
{
    const struct sd_config *cfg = &ctx->app->cfg;
    json_t *soft = NULL;
    memset(m, 0, sizeof *m);
    if (moderation_guard_flags(ctx, body, fields, &soft) != 0)
        return -1;
    ts_format_utc(moderation_due(time(NULL), cfg->moderation_days, cfg->moderation_holiday_days,
                                 cfg->nmoderation_holidays),
                  m->due_at, sizeof m->due_at);
    m->publish =
        strcmp(moderation_initial_status((moderation_policy)policy, json_array_size(soft) > 0),
               "approved") == 0;
    m->flags = json_dumps(soft, JSON_COMPACT);
    json_decref(soft);
    if (!m->flags) {
        http_store_error(ctx, SD_ERR_INTERNAL);
        return -1;
    }
    return 0;
}

void moderated_free(struct moderated *m)
{
    free(m->flags);
    m->flags = NULL;
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
    days = (int)http_query_int(ctx, "days", days, 1, 365, errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = moderation_store_offenders(conn, days, limit, &items);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_json(ctx, 200, json_pack("{s:o, s:i}", "items", items, "days", days));
}

/* ---------------------------------------------------------------------------------------------
 * The moderation workflow: the support queue and the decisions
 * ------------------------------------------------------------------------------------------- */

#define QUEUE_DEFAULT       20
#define QUEUE_MAX           100
#define DECISIONS_MAX       100
#define DECISION_REASON_MIN 3
#define DECISION_REASON_MAX 500

HANDLER(moderation_queue)
{
    static const char *const allowed[] = {"kind", "flagged", "overdue", "limit", "cursor", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct moderation_queue_query q = {0};
    struct db_conn *conn;
    json_t *errors;
    char *items = NULL;
    int has_more = 0;
    int64_t last = 0;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SUPPORT) != 0)
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_query(ctx, allowed, errors);
    q.limit = http_query_limit(ctx, QUEUE_DEFAULT, QUEUE_MAX, errors);
    q.after_id = http_query_cursor(ctx, "moderation_queue", errors);
    q.kind = http_query(ctx, "kind");
    if (q.kind && !moderation_kind_find(q.kind))
        http_field_error(errors, "kind", "invalid_enum", "must be one of %s",
                         moderation_kind_names());
    q.flagged = http_query_bool(ctx, "flagged", errors);
    q.overdue = http_query_bool(ctx, "overdue", errors);
    if (!(conn = http_query_conn(ctx, errors)))
        return U_CALLBACK_COMPLETE;
    sd_err e = moderation_workflow_queue(conn, &q, &items, &has_more, &last);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_page(ctx, items, has_more, last, "moderation_queue");
}

struct decision {
    const char *kind, *reason;
    int64_t id;
    int approve;
};

/* Validates one decision object (prefix names it inside a batch) into d. */
static void decision_parse(const json_t *o, const char *prefix, struct decision *d, json_t *errors)
{
    static const struct field_rule rules[] = {
        {"kind", FT_STRING, 1, 1, 32},
        {"id", FT_INT, 1, 1, INT64_MAX},
        {"decision", FT_STRING, 1, 1, 16},
        {"reason", FT_STRING, 0, DECISION_REASON_MIN, DECISION_REASON_MAX},
        FIELD_RULES_END,
    };
    char field[64];
    size_t before = json_array_size(errors);
    const char *decision;
    http_check_fields(o, rules, prefix, errors);
    if (json_array_size(errors) > before)
        return;
    d->kind = json_string_value(json_object_get(o, "kind"));
    d->id = json_integer_value(json_object_get(o, "id"));
    d->reason = json_string_value(json_object_get(o, "reason"));
    decision = json_string_value(json_object_get(o, "decision"));
    d->approve = strcmp(decision, "approve") == 0;
#define DECISION_FIELD(name)                                                                       \
    (snprintf(field, sizeof field, "%s%s" name, prefix ? prefix : "", prefix ? "." : ""), field)
    const struct mwf_kind *k = moderation_kind_find(d->kind);
    if (!k)
        http_field_error(errors, DECISION_FIELD("kind"), "invalid_enum", "must be one of %s",
                         moderation_kind_names());
    if (!d->approve && strcmp(decision, "reject") != 0)
        http_field_error(errors, DECISION_FIELD("decision"), "invalid_enum",
                         "must be approve or reject");
    else if (!d->approve && !d->reason)
        http_field_error(errors, DECISION_FIELD("reason"), "required",
                         "is required to reject: the author is told why");
    else if (d->approve && !d->reason && k && k->reason_to_approve)
        http_field_error(errors, DECISION_FIELD("reason"), "required",
                         "is required to approve a %s: those concerned are told why", k->name);
    if (d->reason && utf8_blank(d->reason))
        http_field_error(errors, DECISION_FIELD("reason"), "too_short", "must not be blank");
#undef DECISION_FIELD
}

/* One decision in its own transaction. */
static sd_err decision_apply(struct http_ctx *ctx, struct db_conn *conn, const struct decision *d,
                             json_t **out)
{
    sd_err e = db_begin(conn);
    if (e != SD_OK)
        return e;
    e = moderation_workflow_decide(conn, d->kind, d->id, d->approve, d->reason, ctx->user_id, out);
    if (e == SD_OK && (e = db_commit(conn)) != SD_OK) {
        json_decref(*out);
        *out = NULL;
    }
    if (e != SD_OK)
        db_rollback(conn);
    return e;
}

static const char *const decision_texts[] = {"reason", NULL};

static int decisions_single(struct http_ctx *ctx, json_t *body)
{
    struct decision d = {0};
    struct db_conn *conn;
    json_t *errors = json_array(), *out = NULL;
    decision_parse(body, NULL, &d, errors);
    if (json_array_size(errors))
        return http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                   "The decision is invalid; nothing was decided.");
    json_decref(errors);
    if (moderation_guard(ctx, body, decision_texts) != 0 || !(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = decision_apply(ctx, conn, &d, &out);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such %s waiting for moderation.", d.kind);
    if (e == SD_ERR_CONFLICT)
        return http_problem(ctx, e, "already_decided", "This %s was decided already.", d.kind);
    if (e != SD_OK)
        return http_store_error(ctx, e);
    /* "form" tells the two answers of this operation apart (the contract's discriminator) */
    json_object_set_new(out, "form", json_string("single"));
    return http_json(ctx, 200, out);
}

/* Every item is validated and guarded before any is decided; then each is decided in its own
 * transaction and answered with its own result. */
static int decisions_batch(struct http_ctx *ctx, json_t *body)
{
    static const struct field_rule rules[] = {
        {"items", FT_ARRAY, 1, 1, DECISIONS_MAX},
        FIELD_RULES_END,
    };
    struct decision d[DECISIONS_MAX];
    struct db_conn *conn;
    json_t *errors = json_array(), *items = json_object_get(body, "items"), *it, *results;
    char prefix[32];
    size_t i, n;
    http_check_fields(body, rules, NULL, errors);
    n = json_array_size(errors) ? 0 : json_array_size(items);
    for (i = 0; i < n; i++) {
        snprintf(prefix, sizeof prefix, "items[%zu]", i);
        it = json_array_get(items, i);
        memset(&d[i], 0, sizeof d[i]);
        if (!json_is_object(it))
            http_field_error(errors, prefix, "wrong_type", "must be an object");
        else
            decision_parse(it, prefix, &d[i], errors);
    }
    if (json_array_size(errors))
        return http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                   "Some decisions are invalid; nothing was decided.");
    json_decref(errors);
    for (i = 0; i < n; i++)
        if (moderation_guard(ctx, json_array_get(items, i), decision_texts) != 0)
            return U_CALLBACK_COMPLETE;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    results = json_array();
    for (i = 0; i < n; i++) {
        json_t *out = NULL;
        sd_err e = decision_apply(ctx, conn, &d[i], &out);
        if (e == SD_OK) {
            json_object_set_new(out, "result", json_string("decided"));
            json_array_append_new(results, out);
        } else if (e == SD_ERR_NOT_FOUND || e == SD_ERR_CONFLICT) {
            json_array_append_new(
                results,
                json_pack("{s:s, s:I, s:s}", "kind", d[i].kind, "id", (json_int_t)d[i].id, "result",
                          e == SD_ERR_CONFLICT ? "already_decided" : "not_found"));
        } else {
            /* the items before this one stay decided; a retry reports them already_decided */
            json_decref(results);
            return http_store_error(ctx, e);
        }
    }
    return http_json(ctx, 200, json_pack("{s:s, s:o}", "form", "batch", "results", results));
}

HANDLER(moderation_decisions)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *body;
    int rc;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SUPPORT) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    rc = json_object_get(body, "items") ? decisions_batch(ctx, body) : decisions_single(ctx, body);
    json_decref(body);
    return rc;
}
