/* Webhooks of a seller's integrations: POST/GET /v1/webhooks, GET/PATCH/DELETE
 * /v1/webhooks/{id}, POST /v1/webhooks/{id}/rotate-secret. Deliveries: webhook_deliveries.c;
 * sending: src/webhook_delivery.c. The secret is in the answers of creation and rotation
 * only, never in a log line, a list or a replay of an Idempotency-Key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "../src/event_types.h"
#include "../src/webhook_store.h"
#include "../src/webhook_url.h"
#include "handlers.h"
#include "http.h"

#define WEBHOOKS_PAGE_DEFAULT   20
#define WEBHOOKS_PAGE_MAX       100
#define WEBHOOK_DESCRIPTION_MAX 500
#define WEBHOOK_SECRET_MIN      16
#define WEBHOOK_SECRET_MAX      128
#define WEBHOOK_EVENTS_MAX      64
#define WEBHOOK_GRACE_DEFAULT   86400
#define WEBHOOK_GRACE_MAX       (7 * 86400)
/* "whsec_" and 32 random bytes in unpadded base64url */
#define WEBHOOK_SECRET_NEW_LEN (6 + 43)

static const struct field_rule create_rules[] = {
    {"url", FT_STRING, 1, 1, WEBHOOK_URL_MAX},
    {"events", FT_ARRAY, 1, 1, WEBHOOK_EVENTS_MAX},
    {"secret", FT_STRING, 0, WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX},
    {"description", FT_STRING, 0, 0, WEBHOOK_DESCRIPTION_MAX},
    FIELD_RULES_END,
};
static const struct field_rule update_rules[] = {
    {"url", FT_STRING, 0, 1, WEBHOOK_URL_MAX},
    {"events", FT_ARRAY, 0, 1, WEBHOOK_EVENTS_MAX},
    {"description", FT_STRING, 0, 0, WEBHOOK_DESCRIPTION_MAX},
    {"status", FT_STRING, 0, 1, 16},
    FIELD_RULES_END,
};
static const struct field_rule rotate_rules[] = {
    {"secret", FT_STRING, 0, WEBHOOK_SECRET_MIN, WEBHOOK_SECRET_MAX},
    {"grace_seconds", FT_INT, 0, 0, WEBHOOK_GRACE_MAX},
    FIELD_RULES_END,
};

struct webhook_args {
    struct webhook_fields f;
    const char *secret; /* NULL: a new one is made */
    char events[1024];  /* text[] literal of registry names */
};

/* events: registry types (or "*" alone), each once; the literal in out */
static void webhook_parse_events(const json_t *events, char *out, size_t len, json_t *errors)
{
    size_t used = 0, i;
    json_t *v;
    char field[32];
    int star = 0;
    if (!json_is_array(events) || json_array_size(events) == 0 ||
        json_array_size(events) > WEBHOOK_EVENTS_MAX)
        return; /* http_check_fields named it */
    used += (size_t)snprintf(out, len, "{");
    json_array_foreach(events, i, v)
    {
        const char *s = json_string_value(v);
        const struct event_type *t = s ? event_type_find(s) : NULL;
        int dup = 0;
        snprintf(field, sizeof field, "events[%zu]", i);
        for (size_t k = 0; s && k < i; k++)
            dup |= json_equal(json_array_get(events, k), v);
        if (!s) {
            http_field_error(errors, field, "wrong_type", "must be a string");
        } else if (dup) {
            http_field_error(errors, field, "duplicate", "names %s again", s);
        } else if (strcmp(s, "*") == 0) {
            star = 1;
            used += (size_t)snprintf(out + used, len - used, "%s\"*\"", used > 1 ? "," : "");
        } else if (!t) {
            http_field_error(errors, field, "invalid_enum",
                             "must be an event type of GET /v1/events, or \"*\" for all");
        } else if (used + strlen(t->type) + 4 < len) {
            used +=
                (size_t)snprintf(out + used, len - used, "%s\"%s\"", used > 1 ? "," : "", t->type);
        }
    }
    if (star && json_array_size(events) > 1)
        http_field_error(errors, "events", "wildcard_not_alone",
                         "\"*\" already means every event type: list it alone");
    snprintf(out + used, len - used, "}");
}

static void webhook_parse_secret(const char *secret, const char *field, json_t *errors)
{
    for (const char *c = secret; c && *c; c++)
        if (*c < 0x21 || *c > 0x7e) {
            http_field_error(errors, field, "invalid_format",
                             "must be printable ASCII without spaces");
            return;
        }
}

/* the URL's form only: its address is the guard's (a 422, not a 400) */
static void webhook_parse_url(const char *url, json_t *errors)
{
    char why[160];
    if (url && webhook_url_check(url, 1, why, sizeof why) != WEBHOOK_URL_OK)
        http_field_error(errors, "url", "invalid_url", "%s", why);
}

static int webhook_parse(json_t *body, void *args, json_t *errors)
{
    struct webhook_args *a = args;
    const char *description;
    http_check_fields(body, create_rules, NULL, errors);
    a->f.url = json_string_value(json_object_get(body, "url"));
    webhook_parse_url(a->f.url, errors);
    webhook_parse_events(json_object_get(body, "events"), a->events, sizeof a->events, errors);
    a->f.events = a->events;
    a->secret = json_string_value(json_object_get(body, "secret"));
    webhook_parse_secret(a->secret, "secret", errors);
    description = json_string_value(json_object_get(body, "description"));
    a->f.description = description && *description ? description : NULL;
    return json_array_size(errors) ? -1 : 0;
}

/* 422 webhook_url_not_allowed for a URL whose host is not a public address */
static int webhook_url_guard(struct http_ctx *ctx, json_t *body)
{
    char why[200];
    const char *url = json_string_value(json_object_get(body, "url"));
    if (!url || webhook_url_check(url, ctx->app->cfg.webhook_allow_private, why, sizeof why) ==
                    WEBHOOK_URL_OK)
        return 0;
    http_problem_errors(
        ctx, SD_ERR_UNPROCESSABLE, "webhook_url_not_allowed",
        json_pack("[{s:s, s:s, s:s}]", "field", "url", "code", "not_allowed", "message", why),
        "Webhooks are sent to public addresses only: %s.", why);
    return -1;
}

static void webhook_secret_new(char out[WEBHOOK_SECRET_NEW_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(out, "whsec_", 6);
    sodium_bin2base64(out + 6, WEBHOOK_SECRET_NEW_LEN - 6 + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

static sd_err webhook_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                                int *answered)
{
    struct webhook_args *a = arg;
    char made[WEBHOOK_SECRET_NEW_LEN + 1];
    const char *secret = a->secret;
    if (!secret) {
        webhook_secret_new(made);
        secret = made;
    }
    sd_err e = webhook_store_create(conn, ctx->user_id, &a->f, secret, out);
    if (e == SD_ERR_CONFLICT) {
        http_problem(ctx, e, "webhook_limit_reached",
                     "You have %d webhooks, the most a seller may have; delete one first.",
                     WEBHOOKS_PER_SELLER);
        *answered = 1;
    }
    /* shown in this answer only: a replay of the Idempotency-Key has the endpoint without it */
    if (e == SD_OK)
        ctx->answer_once = json_pack("{s:s}", "secret", secret);
    sodium_memzero(made, sizeof made);
    return e;
}

HANDLER(webhooks_create)
{
    static const struct http_create_op op = {
        ROLE_SELLER,       webhook_parse, "The webhook has invalid fields.",
        webhook_url_guard, "webhooks",    webhook_create_tx};
    struct webhook_args a = {0};
    (void)req;
    (void)app;
    return http_create(http_ctx_of(resp), &op, &a);
}

HANDLER(webhooks_list)
{
    (void)req;
    (void)app;
    return http_own_page(http_ctx_of(resp), ROLE_SELLER, WEBHOOKS_PAGE_DEFAULT, WEBHOOKS_PAGE_MAX,
                         "webhooks", webhook_store_list);
}

HANDLER(webhooks_get)
{
    (void)req;
    (void)app;
    return http_get_own(http_ctx_of(resp), ROLE_SELLER, webhook_store_get,
                        "No such webhook among yours.");
}

static void webhook_parse_update(json_t *body, void *args, json_t *errors)
{
    struct webhook_args *a = args;
    const char *status, *description;
    json_t *d = json_object_get(body, "description");
    http_check_fields(body, update_rules, NULL, errors);
    a->f.url = json_string_value(json_object_get(body, "url"));
    webhook_parse_url(a->f.url, errors);
    /* null is absent, as for every optional member: the events are kept (a null here once
     * reached the store with no list written, a 500) */
    const json_t *events = json_object_get(body, "events");
    if (events && !json_is_null(events)) {
        webhook_parse_events(events, a->events, sizeof a->events, errors);
        a->f.events = a->events;
    }
    description = json_string_value(d);
    a->f.set_description = d != NULL;
    a->f.description = description && *description ? description : NULL;
    status = json_string_value(json_object_get(body, "status"));
    if (status && strcmp(status, "active") != 0)
        http_field_error(errors, "status", "invalid_enum",
                         "can only be set to active (it re-enables the endpoint)");
    a->f.reenable = status != NULL;
    if (!a->f.url && !a->f.events && !a->f.set_description && !a->f.reenable &&
        !json_array_size(errors))
        http_field_error(errors, "", "empty_update", "name at least one field to change");
}

static sd_err webhook_update(struct db_conn *conn, int64_t id, int64_t user_id, const void *args,
                             json_t **out)
{
    return webhook_store_update(conn, id, user_id, &((const struct webhook_args *)args)->f, out);
}

HANDLER(webhooks_update)
{
    static const struct http_update_op op = {ROLE_SELLER,          "No such webhook among yours.",
                                             webhook_parse_update, NULL,
                                             webhook_url_guard,    webhook_update};
    struct webhook_args a = {0};
    (void)req;
    (void)app;
    return http_update_own(http_ctx_of(resp), &op, &a);
}

HANDLER(webhooks_delete)
{
    (void)req;
    (void)app;
    return http_delete_own(http_ctx_of(resp), ROLE_SELLER, webhook_store_delete,
                           "No such webhook among yours.");
}

HANDLER(webhooks_rotate_secret)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *body, *errors, *out = NULL;
    char made[WEBHOOK_SECRET_NEW_LEN + 1];
    int64_t id = http_path_id(ctx, "id");
    int rc;
    sd_err e;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SELLER) != 0)
        return U_CALLBACK_COMPLETE;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such webhook among yours.");
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rotate_rules, NULL, errors);
    const char *secret = json_string_value(json_object_get(body, "secret"));
    json_t *g = json_object_get(body, "grace_seconds");
    int grace = json_is_integer(g) ? (int)json_integer_value(g) : WEBHOOK_GRACE_DEFAULT;
    webhook_parse_secret(secret, "secret", errors);
    if (!secret) {
        webhook_secret_new(made);
        secret = made;
    }
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The rotation has invalid fields.");
        errors = NULL;
    } else if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
    } else if ((e = webhook_store_rotate(conn, id, ctx->user_id, secret, grace, &out)) ==
               SD_ERR_NOT_FOUND) {
        rc = http_problem(ctx, e, NULL, "No such webhook among yours.");
    } else if (e != SD_OK) {
        rc = http_store_error(ctx, e);
    } else {
        json_object_set_new(out, "secret", json_string(secret));
        rc = http_json(ctx, 200, out);
    }
    sodium_memzero(made, sizeof made);
    json_decref(errors);
    json_decref(body);
    return rc;
}
