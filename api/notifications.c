#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/chat_store.h"
#include "../src/notification_store.h"
#include "../src/notify.h"
#include "handlers.h"
#include "http.h"

#define FEED_DEFAULT      20
#define FEED_MAX          100
#define BROADCAST_MAX_IDS 1000

HANDLER(notifications_list)
{
    static const char *const allowed[] = {"tab", "unread_only", "limit", "cursor", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct feed_query q = {ctx->user_id, NULL, 0, 0, FEED_DEFAULT};
    json_t *errors = json_array();
    char scope[64];
    struct db_read rd;
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    q.tab = http_query(ctx, "tab");
    if (q.tab && !notify_tab_valid(q.tab)) {
        http_field_error(errors, "tab", "invalid_enum",
                         "must be main, promotion, training, services, disputes, buyers or "
                         "customer_service");
        q.tab = NULL;
    }
    q.unread_only = http_query_bool(ctx, "unread_only", errors) == 1;
    /* a cursor belongs to one list: the same tab and filter */
    snprintf(scope, sizeof scope, "notifications:%s:%d", q.tab ? q.tab : "", q.unread_only);
    q.limit = http_query_limit(ctx, FEED_DEFAULT, FEED_MAX, errors);
    q.after_id = http_query_cursor(ctx, scope, errors);
    if (!http_query_valid(ctx, errors))
        return U_CALLBACK_COMPLETE;
    notification_store_feed_read(&rd, &q);
    return http_read_page(ctx, &rd, q.limit, scope);
}

static int counters_answer(struct http_ctx *ctx, PGresult *r, sd_err e)
{
    char *text = NULL;
    if (r)
        e = db_text_of(r, &text);
    json_t *counts = e == SD_OK ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!counts)
        return http_store_error(ctx, e == SD_OK ? SD_ERR_INTERNAL : e);
    json_t *unread = json_object_get(counts, "tabs"),
           *chats = json_incref(json_object_get(counts, "chats")),
           *disputes = json_incref(json_object_get(counts, "disputes"));
    /* every tab, zero when nothing is unread; chats with unread messages beside them (chat
     * messages stay out of the feed), and the dispute threads with unread messages */
    json_t *tabs = json_object();
    json_int_t total = 0;
    for (size_t i = 0; i < notify_ntabs; i++) {
        json_int_t n = json_integer_value(json_object_get(unread, notify_tabs[i]));
        json_object_set_new(tabs, notify_tabs[i], json_integer(n));
        total += n;
    }
    json_decref(counts);
    return http_json(ctx, 200,
                     json_pack("{s:o, s:I, s:o, s:o}", "tabs", tabs, "total", total, "chats", chats,
                               "disputes", disputes));
}

HANDLER(notifications_counters)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_read rd;
    (void)req;
    (void)app;
    notification_store_counters_read(&rd, ctx->user_id, ctx->role == ROLE_SUPPORT);
    return http_read(ctx, &rd, counters_answer);
}

HANDLER(notifications_read)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    int64_t id = http_path_id(ctx, "id");
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such notification.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = notification_store_read(conn, ctx->user_id, id);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "No such notification.");
    if (e != SD_OK)
        return http_store_error(ctx, e);
    return http_no_content(ctx);
}

HANDLER(notifications_read_all)
{
    static const struct field_rule rules[] = {
        {"tab", FT_STRING, 0, 1, 32},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *body = NULL, *errors;
    int64_t marked = 0;
    int rc;
    (void)app;
    /* the body is optional: no body marks every tab */
    if (req->binary_body_length > 0 && !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    const char *tab = NULL;
    if (body) {
        http_check_fields(body, rules, NULL, errors);
        tab = json_string_value(json_object_get(body, "tab"));
        if (tab && !notify_tab_valid(tab))
            http_field_error(errors, "tab", "invalid_enum", "is not a notification tab");
    }
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "Invalid request.");
        errors = NULL;
    } else if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
    } else {
        sd_err e = notification_store_read_all(conn, ctx->user_id, tab, &marked);
        rc = e == SD_OK ? http_json(ctx, 200, json_pack("{s:I}", "marked", (json_int_t)marked))
                        : http_store_error(ctx, e);
    }
    json_decref(errors);
    json_decref(body);
    return rc;
}

/* Every event of the caller's role with its channels: the user's choice, else the default. */
static int settings_answer(struct http_ctx *ctx, struct db_conn *conn)
{
    json_t *choices = NULL, *events = json_array();
    sd_err e = notification_store_settings(conn, ctx->user_id, &choices);
    if (e != SD_OK) {
        json_decref(events);
        return http_store_error(ctx, e);
    }
    for (size_t i = 0; i < notify_event_count(); i++) {
        const struct notify_event *ev = notify_event_at(i);
        if (!notify_event_for_role(ev, ctx->role))
            continue;
        json_t *mine = json_object_get(choices, ev->type);
        json_t *push = json_object_get(mine, "push"), *email = json_object_get(mine, "email");
        json_array_append_new(
            events, json_pack("{s:s, s:s, s:s, s:b, s:b, s:{s:b, s:b, s:b}}", "event", ev->type,
                              "label", ev->label, "tab", ev->tab, "mandatory", ev->mandatory,
                              "changeable", !ev->mandatory, "channels", "in_app", 1, "push",
                              push ? json_is_true(push) : ev->default_push, "email",
                              email ? json_is_true(email) : ev->default_email));
    }
    json_decref(choices);
    return http_json(ctx, 200, json_pack("{s:o}", "events", events));
}

HANDLER(notification_settings_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    (void)req;
    (void)app;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    return settings_answer(ctx, conn);
}

/* Checks {events: {type: {channel: bool}}} against the registry; errors go to errors. */
static void settings_validate(struct http_ctx *ctx, json_t *events, json_t *errors)
{
    const char *type, *channel;
    json_t *chans, *v;
    char field[128];
    json_object_foreach(events, type, chans)
    {
        const struct notify_event *ev = notify_event_find(type);
        snprintf(field, sizeof field, "events.%s", type);
        if (!ev || !notify_event_for_role(ev, ctx->role)) {
            http_field_error(errors, field, "unknown_event", "is not an event the %s role receives",
                             auth_role_name(ctx->role));
            continue;
        }
        if (!json_is_object(chans) || json_object_size(chans) == 0) {
            http_field_error(errors, field, "wrong_type", "must be an object of channels");
            continue;
        }
        json_object_foreach(chans, channel, v)
        {
            snprintf(field, sizeof field, "events.%s.%s", type, channel);
            if (notify_channel_parse(channel) < 0)
                http_field_error(errors, field, "unknown_channel",
                                 "channels that can be changed are push and email (in_app is "
                                 "always on)");
            else if (!json_is_boolean(v))
                http_field_error(errors, field, "wrong_type", "must be a boolean");
            else if (ev->mandatory)
                http_field_error(errors, field, "mandatory",
                                 "contractual platform notices cannot be changed");
        }
    }
}

HANDLER(notification_settings_patch)
{
    static const struct field_rule rules[] = {
        {"events", FT_OBJECT, 1, 0, 0},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *body, *errors;
    const char *type, *channel;
    json_t *chans, *v;
    int rc;
    sd_err e = SD_OK;
    (void)req;
    (void)app;
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    json_t *events = json_object_get(body, "events");
    /* malformed is 400; well-formed but not applicable (unknown event, mandatory) 422 */
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "Invalid settings.");
        goto cleanup;
    }
    settings_validate(ctx, events, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_UNPROCESSABLE, "invalid_settings", errors,
                                 "Some settings cannot be applied; nothing was changed.");
        goto cleanup;
    }
    json_decref(errors);
    if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
        goto cleanup;
    }
    if ((e = db_begin(conn)) != SD_OK) {
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    json_object_foreach(events, type, chans)
    {
        json_object_foreach(chans, channel, v)
        {
            if (e == SD_OK)
                e = notification_store_set(conn, ctx->user_id, type, channel, json_is_true(v));
        }
    }
    if (e == SD_OK)
        e = db_commit(conn);
    if (e != SD_OK) {
        db_rollback(conn);
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    rc = settings_answer(ctx, conn);
cleanup:
    json_decref(body);
    return rc;
}

struct broadcast_args {
    const char *tab, *title, *body, *audience;
    char *user_ids;
};

static sd_err broadcast_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg,
                                  json_t **out, int *answered)
{
    struct broadcast_args *a = arg;
    (void)answered;
    return notification_store_broadcast(conn, ctx->user_id, a->tab, a->title, a->body, a->audience,
                                        a->user_ids, out);
}

/* Broadcasts are platform news: not the disputes or chat tabs. */
static int broadcast_tab_valid(const char *tab)
{
    static const char *const tabs[] = {"main", "promotion", "training", "services"};
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++)
        if (strcmp(tab, tabs[i]) == 0)
            return 1;
    return 0;
}

/* audience: "all" | "buyers" | "sellers" | {"user_ids": [1, 2, ...]} */
static void broadcast_audience(json_t *aud, struct broadcast_args *a, json_t *errors)
{
    if (json_is_string(aud)) {
        a->audience = json_string_value(aud);
        if (strcmp(a->audience, "all") && strcmp(a->audience, "buyers") &&
            strcmp(a->audience, "sellers"))
            http_field_error(errors, "audience", "invalid_enum",
                             "must be all, buyers, sellers or {\"user_ids\": [...]}");
        return;
    }
    json_t *ids = json_object_get(aud, "user_ids");
    if (!json_is_object(aud) || json_object_size(aud) != 1 || !json_is_array(ids) ||
        json_array_size(ids) < 1 || json_array_size(ids) > BROADCAST_MAX_IDS) {
        http_field_error(errors, "audience", "invalid_format",
                         "must be all, buyers, sellers or {\"user_ids\": [1 to 1000 ids]}");
        return;
    }
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
    {
        if (!json_is_integer(id) || json_integer_value(id) <= 0) {
            http_field_error(errors, "audience.user_ids", "wrong_type",
                             "must hold positive integers");
            return;
        }
    }
    a->user_ids = db_id_array(ids);
    a->audience = "users";
}

HANDLER(broadcasts_create)
{
    static const struct field_rule shape[] = {
        {"tab", FT_STRING, 1, 1, 32},
        {"title", FT_STRING, 1, 1, 200},
        {"body", FT_STRING, 1, 1, 5000},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct broadcast_args a = {0};
    json_t *body, *errors;
    int rc;
    (void)req;
    (void)app;
    if (http_require_role(ctx, ROLE_SUPPORT) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    /* audience is a string or an object, so it is checked apart from the other fields */
    json_t *aud = json_incref(json_object_get(body, "audience"));
    json_object_del(body, "audience");
    http_check_fields(body, shape, NULL, errors);
    a.tab = json_string_value(json_object_get(body, "tab"));
    a.title = json_string_value(json_object_get(body, "title"));
    a.body = json_string_value(json_object_get(body, "body"));
    if (a.tab && !broadcast_tab_valid(a.tab))
        http_field_error(errors, "tab", "invalid_enum",
                         "must be main, promotion, training or services");
    if (!aud)
        http_field_error(errors, "audience", "required", "is required");
    else
        broadcast_audience(aud, &a, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The broadcast has invalid fields.");
        errors = NULL;
    } else {
        rc = http_idempotent_create(ctx, "broadcasts", broadcast_create_tx, &a);
    }
    free(a.user_ids);
    json_decref(aud);
    json_decref(errors);
    json_decref(body);
    return rc;
}
