/* POST /v1/disputes/{id}/actions: every move of a dispute. The state machine
 * (src/dispute_rules.c) says who may take an action and when; this file checks the body the
 * action needs, applies a passed deadline first, and answers 403 (a role that never may) or
 * 409 (not now) with the caller's allowed actions, or 200 with the dispute. */
#include <stdio.h>
#include <string.h>

#include "../src/dispute_flow.h"
#include "../src/dispute_rules.h"
#include "../src/dispute_store.h"
#include "disputes.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define ACTION_TEXT_MAX 1000
#define REJECT_TEXT_MIN 10

static const struct {
    const char *name;
    enum dispute_field flag;
} action_fields[] = {
    {"amount", DF_AMOUNT},
    {"text", DF_TEXT},
    {"reason", DF_REASON},
    {"outcome", DF_OUTCOME},
};

/* Members the action needs or refuses, and their values; decide's amount depends on its
 * outcome, reject's reason comes from a list and its text is at least REJECT_TEXT_MIN. */
static void action_check_body(const struct dispute_action *a, const json_t *body, json_t *errors)
{
    for (size_t i = 0; i < sizeof action_fields / sizeof action_fields[0]; i++) {
        const json_t *v = json_object_get(body, action_fields[i].name);
        int has = v && !json_is_null(v);
        if (has && !(a->allowed & action_fields[i].flag))
            http_field_error(errors, action_fields[i].name, "not_allowed",
                             "is not taken by the action %s", a->name);
        if (!has && (a->required & action_fields[i].flag))
            http_field_error(errors, action_fields[i].name, "required",
                             "is required by the action %s", a->name);
    }
    const char *text = json_string_value(json_object_get(body, "text"));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    const char *outcome = json_string_value(json_object_get(body, "outcome"));
    if (text && utf8_blank(text))
        http_field_error(errors, "text", "too_short", "must not be blank");
    if (strcmp(a->name, "reject") == 0 && text && utf8_length(text) < REJECT_TEXT_MIN)
        http_field_error(errors, "text", "too_short", "must be at least %d characters",
                         REJECT_TEXT_MIN);
    if (strcmp(a->name, "reject") == 0 && reason && !dispute_in(dispute_reject_reasons, reason))
        http_field_error(errors, "reason", "invalid_enum",
                         "must be one of the documented rejection reasons "
                         "(delivered_as_described, damage_after_delivery, complete_as_shipped, "
                         "buyer_misuse, outside_terms, other)");
    if (strcmp(a->name, "decide") == 0 && reason && utf8_blank(reason))
        http_field_error(errors, "reason", "too_short", "must not be blank");
    if (outcome && !dispute_in(dispute_outcomes, outcome))
        http_field_error(errors, "outcome", "invalid_enum",
                         "must be buyer_favour, seller_favour or partial");
    int has_amount = json_is_integer(json_object_get(body, "amount"));
    if (outcome && strcmp(outcome, "partial") == 0 && !has_amount)
        http_field_error(errors, "amount", "required", "is required for a partial decision");
    if (outcome && strcmp(outcome, "seller_favour") == 0 && has_amount)
        http_field_error(errors, "amount", "not_allowed", "nothing is refunded to the buyer");
}

/* The move an allowed action makes of dispute d. 0, or -1 with a field error (an amount over
 * what was paid, a refund amount for a replacement). */
static int action_move(const struct dispute_action *a, const json_t *body,
                       const struct dispute_locked *d, struct dispute_move *m, json_t *errors)
{
    const char *text = json_string_value(json_object_get(body, "text"));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    const char *outcome = json_string_value(json_object_get(body, "outcome"));
    int64_t amount = json_integer_value(json_object_get(body, "amount"));
    int replacement = strcmp(d->requested, "replacement") == 0;
    if (amount > d->paid) {
        http_field_error(errors, "amount", "too_large",
                         "is more than the %lld paid for the disputed items", (long long)d->paid);
        return -1;
    }
    m->action = a->name;
    m->from = d->state;
    m->to = a->to;
    m->text = text;
    m->amount = amount;
    if (strcmp(a->name, "accept") == 0) {
        m->outcome = d->requested;
        m->outcome_amount = d->amount;
    } else if (strcmp(a->name, "offer") == 0) {
        m->offer_amount = amount;
        m->offer_text = text;
    } else if (strcmp(a->name, "reject") == 0) {
        m->reject_reason = reason;
        m->reject_text = text;
        m->reason = reason;
    } else if (strcmp(a->name, "accept_offer") == 0) {
        m->outcome = "partial_refund";
        m->outcome_amount = m->amount = d->offer_amount;
    } else if (strcmp(a->name, "withdraw") == 0) {
        m->outcome = "none";
    } else if (strcmp(a->name, "decide") == 0) {
        m->decision = outcome;
        m->decision_reason = m->reason = reason;
        m->text = NULL;
        if (strcmp(outcome, "seller_favour") == 0) {
            m->outcome = "none";
        } else if (strcmp(outcome, "partial") == 0) {
            m->outcome = "partial_refund";
            m->outcome_amount = amount;
        } else if (replacement && amount) {
            http_field_error(errors, "amount", "not_allowed",
                             "the buyer asked for a replacement: in their favour it has no amount");
            return -1;
        } else {
            /* in the buyer's favour: what they asked for, or the amount support sets */
            m->outcome = d->requested;
            m->outcome_amount = m->amount = replacement ? 0 : amount ? amount : d->amount;
        }
    }
    return 0;
}

/* 403 or 409 with what the caller may do instead. */
static int action_refused(struct http_ctx *ctx, const struct dispute_action *a,
                          const struct dispute_locked *d)
{
    json_t *members = json_pack("{s:o, s:s}", "allowed_actions",
                                dispute_allowed_actions(ctx->role, d->state), "state", d->state);
    if (a->role != ctx->role)
        return http_problem_with(ctx, SD_ERR_FORBIDDEN, "action_not_permitted", members,
                                 "A %s never takes the action %s.", auth_role_name(ctx->role),
                                 a->name);
    return http_problem_with(ctx, SD_ERR_CONFLICT, "action_not_allowed", members,
                             "The action %s cannot be taken while the dispute is %s.", a->name,
                             d->state);
}

static int action_run(struct http_ctx *ctx, int64_t id, const struct dispute_action *a,
                      const json_t *body)
{
    const struct sd_config *cfg = &ctx->app->cfg;
    struct dispute_locked d;
    struct dispute_move m = {0};
    struct db_conn *conn;
    json_t *errors;
    sd_err e;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = db_begin(conn)) != SD_OK)
        return http_store_error(ctx, e);
    e = dispute_store_lock(conn, id, ctx->user_id, ctx->role, &d);
    if (e == SD_ERR_NOT_FOUND) {
        db_rollback(conn);
        return http_problem(ctx, e, NULL, "No such dispute.");
    }
    /* a deadline that has passed moves the dispute before the action is judged, and stays
     * moved whatever the answer */
    if (e == SD_OK)
        e = dispute_flow_lapse(conn, cfg, id, &d);
    if (e != SD_OK)
        goto failed;
    if (a->role != ctx->role || !dispute_action_from(a, d.state)) {
        if ((e = db_commit(conn)) != SD_OK)
            goto failed;
        return action_refused(ctx, a, &d);
    }
    errors = json_array();
    if (action_move(a, body, &d, &m, errors) != 0) {
        /* nothing of the action is written; a deadline's move above stays */
        if ((e = db_commit(conn)) != SD_OK) {
            json_decref(errors);
            goto failed;
        }
        return http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                   "The action cannot be taken.");
    }
    json_decref(errors);
    m.actor_id = ctx->user_id;
    m.actor_role = auth_role_name(ctx->role);
    if ((e = dispute_flow_move(conn, cfg, id, &m)) == SD_OK && (e = db_commit(conn)) == SD_OK)
        return dispute_answer(ctx, conn, id, 200);
failed:
    db_rollback(conn);
    return http_store_error(ctx, e);
}

HANDLER(disputes_act)
{
    static const struct field_rule rules[] = {
        {"action", FT_STRING, 1, 1, 32},
        {"amount", FT_INT, 0, 1, INT64_MAX},
        {"text", FT_STRING, 0, 1, ACTION_TEXT_MAX},
        {"reason", FT_STRING, 0, 1, ACTION_TEXT_MAX},
        {"outcome", FT_STRING, 0, 1, 32},
        FIELD_RULES_END,
    };
    static const char *const guarded[] = {"text", "reason", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    const struct dispute_action *a = NULL;
    int64_t id = http_path_id(ctx, "id");
    json_t *body, *errors;
    int rc = U_CALLBACK_COMPLETE;
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such dispute.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    const char *name = json_string_value(json_object_get(body, "action"));
    if (name && !(a = dispute_action_find(name)))
        http_field_error(errors, "action", "invalid_enum",
                         "must be one of: accept, offer, reject, accept_offer, decline, "
                         "escalate, withdraw, decide");
    if (a && !json_array_size(errors))
        action_check_body(a, body, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The action cannot be taken.");
        errors = NULL;
    } else if (moderation_guard(ctx, body, guarded) == 0) {
        rc = action_run(ctx, id, a, body);
    }
    json_decref(errors);
    json_decref(body);
    return rc;
}
