#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/chat_store.h"
#include "../src/chat_template.h"
#include "../src/event_store.h"
#include "../src/notification_store.h"
#include "../src/ratelimit_store.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define MESSAGE_MAX_CHARS    1000
#define MESSAGE_MAX_FILES    10
#define NOTIFY_PREVIEW_CHARS 100

static const char *const reasons[] = {"order_details", "delivery_problem", "availability",
                                      "buyer_request", NULL};

static int in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; s && list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

/* An optional member set to null is absent, as http_check_fields treats it. */
static int given(const json_t *body, const char *key)
{
    const json_t *v = json_object_get(body, key);
    return v && !json_is_null(v);
}

/* A 403 chat_disabled when the user may not chat with buyers and sellers right now. Support
 * chats stay open to them, so a restricted user can still appeal. Returns 1 when answered. */
static int refuse_if_restricted(struct http_ctx *ctx, struct db_conn *conn, sd_err *e)
{
    json_t *r = NULL;
    if ((*e = chat_store_restriction(conn, ctx->user_id, &r)) != SD_OK)
        return 0;
    if (!r)
        return 0;
    const char *until = json_string_value(json_object_get(r, "until"));
    json_t *members = json_pack("{s:O, s:O}", "reason", json_object_get(r, "reason"), "until",
                                json_object_get(r, "until"));
    /* the reason (up to 500 characters) is a member of its own, not part of the detail */
    http_problem_with(ctx, SD_ERR_FORBIDDEN, "chat_disabled", members,
                      "Chat with buyers and sellers is disabled for your account %s%s because "
                      "of suspected fraud or abuse (see reason). You can still read your chats "
                      "and write to support.",
                      until ? "until " : "until support lifts it", until ? until : "");
    json_decref(r);
    *e = SD_ERR_FORBIDDEN;
    return 1;
}

/* Which kinds each role may start, and with what. Errors go to errors; 403 for a kind the
 * role cannot start is answered here (returns -1). */
static int start_validate(struct http_ctx *ctx, const json_t *body, struct chat_start *s,
                          json_t *errors)
{
    s->kind = json_string_value(json_object_get(body, "kind"));
    s->posting_number = json_string_value(json_object_get(body, "posting_number"));
    s->product_id = json_integer_value(json_object_get(body, "product_id"));
    s->reason = json_string_value(json_object_get(body, "reason"));
    s->topic = json_string_value(json_object_get(body, "topic"));
    s->user_id = json_integer_value(json_object_get(body, "user_id"));
    if (!s->kind)
        return 0;
    if (chat_kind_index(s->kind) < 0) {
        http_field_error(errors, "kind", "invalid_enum",
                         "must be buyer_seller, seller_support or buyer_support");
        return 0;
    }
    int buyer_seller = strcmp(s->kind, "buyer_seller") == 0;
    int allowed = ctx->role == ROLE_BUYER    ? strcmp(s->kind, "seller_support") != 0
                  : ctx->role == ROLE_SELLER ? strcmp(s->kind, "buyer_support") != 0
                                             : !buyer_seller;
    if (!allowed) {
        http_problem(ctx, SD_ERR_FORBIDDEN, NULL, "A %s cannot start a %s chat.",
                     auth_role_name(ctx->role), s->kind);
        return -1;
    }
    /* what each (role, kind) takes: required 'r', optional 'o', refused otherwise */
    const char *posting = "", *product = "", *reason = "", *topic = "r", *user = "";
    if (buyer_seller && ctx->role == ROLE_BUYER) {
        posting = product = "o";
        topic = "";
        if (!!s->posting_number == !!s->product_id)
            http_field_error(errors, s->posting_number ? "product_id" : "posting_number",
                             s->posting_number ? "not_allowed" : "required",
                             "give exactly one context: posting_number (your order) or "
                             "product_id");
    } else if (buyer_seller) {
        posting = reason = "r";
        topic = "";
    } else if (ctx->role == ROLE_SUPPORT) {
        user = "r";
    }
    const struct {
        const char *name, *rule;
        int present;
    } f[] = {{"posting_number", posting, s->posting_number != NULL},
             {"product_id", product, given(body, "product_id")},
             {"reason", reason, s->reason != NULL},
             {"topic", topic, s->topic != NULL},
             {"user_id", user, given(body, "user_id")}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (f[i].present && !*f[i].rule)
            http_field_error(errors, f[i].name, "not_allowed",
                             "is not used when a %s starts a %s chat", auth_role_name(ctx->role),
                             s->kind);
        else if (!f[i].present && *f[i].rule == 'r')
            http_field_error(errors, f[i].name, "required",
                             "is required when a %s starts a %s chat", auth_role_name(ctx->role),
                             s->kind);
    }
    if (s->reason && !in_list(s->reason, reasons))
        http_field_error(errors, "reason", "invalid_enum",
                         "must be order_details, delivery_problem, availability or buyer_request");
    if (s->topic && utf8_blank(s->topic))
        http_field_error(errors, "topic", "too_short", "must not be blank");
    return 0;
}

static sd_err start_create(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                           int *answered)
{
    const struct chat_start *s = arg;
    enum chat_start_refusal why = CHAT_START_OK;
    int existed = 0;
    sd_err e = SD_OK;
    if (ctx->role != ROLE_SUPPORT && strcmp(s->kind, "buyer_seller") == 0 &&
        refuse_if_restricted(ctx, conn, &e)) {
        *answered = 1;
        return e;
    }
    if (e != SD_OK)
        return e;
    e = chat_store_start(conn, ctx->user_id, ctx->role, s, ctx->app->cfg.chat_seller_window_h, out,
                         &existed, &why);
    ctx->found_existing = existed;
    if (why == CHAT_START_OK)
        return e;
    *answered = 1;
    json_t *errors = json_array();
    switch (why) {
    case CHAT_START_NO_POSTING:
        http_field_error(errors, "posting_number", "not_found", "is not a posting of yours");
        break;
    case CHAT_START_NO_PRODUCT:
        http_field_error(errors, "product_id", "not_found", "no such product");
        break;
    case CHAT_START_NO_USER:
        http_field_error(errors, "user_id", "not_found", "no such user");
        break;
    case CHAT_START_USER_ROLE:
        http_field_error(errors, "user_id", "wrong_role", "a %s chat is with a %s", s->kind,
                         strcmp(s->kind, "buyer_support") == 0 ? "buyer" : "seller");
        break;
    default:
        json_decref(errors);
        http_problem(ctx, SD_ERR_CONFLICT, "chat_window_closed",
                     "Sellers can start a chat about a posting until %d hours after its "
                     "delivery or cancellation; the buyer can still start one.",
                     ctx->app->cfg.chat_seller_window_h);
        return e;
    }
    http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The chat cannot be started.");
    return e;
}

HANDLER(chats_create)
{
    static const struct field_rule rules[] = {
        {"kind", FT_STRING, 1, 1, 32},
        {"posting_number", FT_STRING, 0, 1, 64},
        {"product_id", FT_INT, 0, 1, INT64_MAX},
        {"reason", FT_STRING, 0, 1, 32},
        {"topic", FT_STRING, 0, 3, 200},
        {"user_id", FT_INT, 0, 1, INT64_MAX},
        FIELD_RULES_END,
    };
    static const char *const guarded[] = {"topic", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct chat_start s = {0};
    json_t *body, *errors;
    int rc = U_CALLBACK_COMPLETE;
    (void)req;
    (void)app;
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    if (start_validate(ctx, body, &s, errors) < 0)
        goto cleanup;
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The chat cannot be started.");
        errors = NULL;
        goto cleanup;
    }
    if (moderation_guard(ctx, body, guarded) == 0)
        rc = http_idempotent_create(ctx, "chats", start_create, &s);
cleanup:
    json_decref(errors);
    json_decref(body);
    return rc;
}

struct send {
    json_t *body;
    int64_t chat_id;
};

/* A template's text for this chat, or NULL with the answer sent. */
static char *template_text(struct http_ctx *ctx, struct db_conn *conn, int64_t template_id,
                           int64_t chat_id, int *personal, sd_err *e)
{
    json_t *t = NULL, *errors;
    const char *missing = NULL;
    struct chat_template_values vals;
    *e = chat_store_template(conn, ctx->user_id, template_id, chat_id, &t);
    if (*e == SD_ERR_NOT_FOUND) {
        errors = json_array();
        http_field_error(errors, "template_id", "not_found", "is not a template of yours");
        http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The message cannot be sent.");
        *e = SD_ERR_VALIDATION;
        return NULL;
    }
    if (*e != SD_OK)
        return NULL;
    for (int i = 0; i < CHAT_PH__COUNT; i++)
        vals.v[i] = json_string_value(json_object_get(t, chat_placeholder_name(i)));
    const char *raw = json_string_value(json_object_get(t, "text"));
    char *text = chat_template_fill(raw, &vals, &missing);
    *personal = text && strcmp(text, raw) != 0;
    json_decref(t);
    if (!text && !missing) {
        *e = SD_ERR_INTERNAL;
        return NULL;
    }
    if (!text || utf8_length(text) > MESSAGE_MAX_CHARS) {
        errors = json_array();
        if (missing)
            http_field_error(errors, "template_id", "placeholder_unavailable",
                             "uses {%s}, which this chat has no value for", missing);
        else
            http_field_error(errors, "template_id", "too_long",
                             "filled in, it is longer than %d characters", MESSAGE_MAX_CHARS);
        http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The message cannot be sent.");
        *e = SD_ERR_VALIDATION;
        free(text);
        return NULL;
    }
    /* the template passed the engine when it was saved, but the values filled in (names,
     * product names) are only known now; a refusal here is not recorded, as it is rolled back
     * with the message */
    json_t *filled = json_pack("{s:s}", "text", text);
    static const char *const guarded[] = {"text", NULL};
    if (moderation_guard(ctx, filled, guarded) != 0) {
        *e = SD_ERR_UNPROCESSABLE;
        free(text);
        text = NULL;
    }
    json_decref(filled);
    return text;
}

static void notify_message(struct http_ctx *ctx, struct db_conn *conn,
                           const struct chat_side_info *side, const json_t *msg, sd_err *e)
{
    char title[160], body[NOTIFY_PREVIEW_CHARS * 4 + 8];
    const char *text = json_string_value(json_object_get(msg, "text"));
    if (!side->notify_user || side->notify_user == ctx->user_id)
        return;
    snprintf(title, sizeof title, "New message from %s",
             json_string_value(json_object_get(ctx->user, "display_name")));
    utf8_cut(title); /* a long name in a wide script does not fit */
    if (!text) {
        snprintf(body, sizeof body, "Sent an attachment.");
    } else {
        /* the first characters, cut at a character boundary */
        size_t n = 0, chars = 0;
        while (text[n] && chars < NOTIFY_PREVIEW_CHARS) {
            n++;
            while ((text[n] & 0xC0) == 0x80)
                n++;
            chars++;
        }
        snprintf(body, sizeof body, "%.*s%s", (int)n, text, text[n] ? "…" : "");
    }
    json_t *data = json_pack("{s:O, s:O, s:s}", "chat_id", json_object_get(msg, "chat_id"),
                             "message_id", json_object_get(msg, "id"), "kind", side->kind);
    *e = notification_store_create_unlisted(conn, side->notify_user, "chat.message_new", title,
                                            body, data);
    json_decref(data);
}

/* An event of the chat (data stolen) for its participants: the buyer, the seller and the
 * support agent who took it (the shared support inbox is nobody's account); the actor too
 * when with_actor. */
static sd_err chat_event(struct db_conn *conn, const struct chat_side_info *side, int64_t actor,
                         int with_actor, const char *type, json_t *data)
{
    int64_t parties[] = {side->buyer_id, side->seller_id, side->assigned_to};
    sd_err e = data ? event_store_append_to(conn, parties, 3, with_actor ? 0 : actor, type, data)
                    : SD_ERR_INTERNAL;
    json_decref(data);
    return e;
}

/* The checks a message passes once the chat is locked; 1 when one refused it (answered). */
static int send_refused(struct http_ctx *ctx, struct db_conn *conn,
                        const struct chat_side_info *side, sd_err *e)
{
    const struct sd_config *cfg = &ctx->app->cfg;
    char key[48];
    int retry = 0;
    if (strcmp(side->status, "open") != 0) {
        http_problem(ctx, SD_ERR_CONFLICT, "chat_closed", "This chat is closed; start a new one.");
        *e = SD_ERR_CONFLICT;
        return 1;
    }
    if (strcmp(side->kind, "buyer_seller") == 0 && refuse_if_restricted(ctx, conn, e))
        return 1;
    if (*e != SD_OK)
        return 0;
    snprintf(key, sizeof key, "chat-message:%lld", (long long)ctx->user_id);
    *e = ratelimit_store_hit(conn, key, cfg->chat_messages_per_minute, 60, &retry);
    if (*e == SD_ERR_RATE_LIMITED) {
        http_rate_limited(ctx, retry, "Too many messages; slow down.");
        return 1;
    }
    return 0;
}

/* A seller sending one text to many buyers is spamming them. text is what is checked: typed
 * text, or a template's without placeholders (personalised canned replies are what a seller
 * sends to many buyers on purpose, and differ per buyer anyway). 1 when refused (answered). */
static int repeat_refused(struct http_ctx *ctx, struct db_conn *conn,
                          const struct chat_side_info *side, const char *text, sd_err *e)
{
    const struct sd_config *cfg = &ctx->app->cfg;
    int retry = 0;
    int64_t buyers = 0;
    if (!text || ctx->role != ROLE_SELLER || strcmp(side->kind, "buyer_seller") != 0)
        return 0;
    if ((*e = chat_store_repeats(conn, ctx->user_id, text, side->buyer_id, cfg->chat_repeat_limit,
                                 &buyers, &retry)) != SD_OK)
        return 0;
    if (buyers >= cfg->chat_repeat_limit) {
        char detail[160];
        snprintf(detail, sizeof detail,
                 "The same text already went to %lld other buyers within an hour.",
                 (long long)buyers);
        http_rate_limited(ctx, retry, detail);
        *e = SD_ERR_RATE_LIMITED;
        return 1;
    }
    return 0;
}

static sd_err send_create(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                          int *answered)
{
    struct send *s = arg;
    struct chat_side_info side;
    json_t *ids = json_object_get(s->body, "attachment_ids");
    int64_t template_id = json_integer_value(json_object_get(s->body, "template_id"));
    const char *typed = json_string_value(json_object_get(s->body, "text"));
    char *filled = NULL, *idtext = NULL;
    int64_t foreign = 0;
    int personal = 0;
    sd_err e = chat_store_lock(conn, s->chat_id, ctx->user_id, ctx->role, &side);
    if (e == SD_ERR_NOT_FOUND) {
        http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such chat.");
        goto done;
    }
    if (e != SD_OK || send_refused(ctx, conn, &side, &e) || e != SD_OK)
        goto done;
    if (template_id && !(filled = template_text(ctx, conn, template_id, s->chat_id, &personal, &e)))
        goto done;
    if (repeat_refused(ctx, conn, &side,
                       typed      ? typed
                       : personal ? NULL
                                  : filled,
                       &e) ||
        e != SD_OK)
        goto done;
    if (json_array_size(ids) && !(idtext = db_id_array(ids))) {
        e = SD_ERR_INTERNAL;
        goto done;
    }
    if (idtext && (e = chat_store_foreign_file(conn, ctx->user_id, idtext, &foreign)) == SD_OK &&
        foreign) {
        json_t *errors = json_array();
        http_field_error(errors, "attachment_ids", "not_found",
                         "file %lld is not one you uploaded (or is a review's media)",
                         (long long)foreign);
        http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "The message cannot be sent.");
        e = SD_ERR_VALIDATION;
        goto done;
    }
    if (e != SD_OK)
        goto done;
    struct chat_message_new m = {s->chat_id, ctx->user_id, side.side, filled ? filled : typed,
                                 idtext,     template_id};
    if ((e = chat_store_add_message(conn, &m, out)) == SD_OK)
        notify_message(ctx, conn, &side, *out, &e);
    if (e == SD_OK)
        e = chat_event(conn, &side, ctx->user_id, 0, "message.created",
                       json_pack("{s:O, s:O, s:I, s:O}", "chat_id",
                                 json_object_get(*out, "chat_id"), "message_id",
                                 json_object_get(*out, "id"), "author_id", (json_int_t)ctx->user_id,
                                 "message", *out));
done:
    *answered = ctx->answered;
    free(filled);
    free(idtext);
    return e;
}

static void message_validate(const json_t *body, json_t *errors)
{
    const json_t *ids = json_object_get(body, "attachment_ids");
    const char *text = json_string_value(json_object_get(body, "text"));
    if (!text && !json_array_size(ids) && !given(body, "template_id"))
        http_field_error(errors, "text", "required",
                         "give text, attachment_ids or template_id (at least one)");
    if (text && utf8_blank(text))
        http_field_error(errors, "text", "too_short", "must not be blank");
    if (text && given(body, "template_id"))
        http_field_error(errors, "template_id", "not_allowed",
                         "a template gives the text; send text or template_id");
    http_check_file_ids(ids, "attachment_ids", 1, errors);
}

HANDLER(chat_messages_create)
{
    static const struct field_rule rules[] = {
        {"text", FT_STRING, 0, 1, MESSAGE_MAX_CHARS},
        {"attachment_ids", FT_ARRAY, 0, 0, MESSAGE_MAX_FILES},
        {"template_id", FT_INT, 0, 1, INT64_MAX},
        FIELD_RULES_END,
    };
    static const char *const guarded[] = {"text", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct send s = {NULL, http_path_id(ctx, "id")};
    json_t *errors;
    int rc = U_CALLBACK_COMPLETE;
    (void)req;
    (void)app;
    if (s.chat_id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such chat.");
    if (!(s.body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(s.body, rules, NULL, errors);
    if (!json_array_size(errors))
        message_validate(s.body, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The message cannot be sent.");
        errors = NULL;
    } else if (moderation_guard(ctx, s.body, guarded) == 0) {
        /* the scope is per chat: one key cannot replay a message into another chat */
        char scope[48];
        snprintf(scope, sizeof scope, "chat-message:%lld", (long long)s.chat_id);
        rc = http_idempotent_create(ctx, scope, send_create, &s);
    }
    json_decref(errors);
    json_decref(s.body);
    return rc;
}

/* Runs fn on a locked chat in a transaction and answers 200 with what it returns once that
 * is committed. fn returns NULL with an error, answered or not. */
typedef json_t *(*locked_fn)(struct http_ctx *ctx, struct db_conn *conn, int64_t chat_id,
                             const struct chat_side_info *side, void *arg, sd_err *e);

static int with_locked_chat(struct http_ctx *ctx, int64_t chat_id, locked_fn fn, void *arg)
{
    struct chat_side_info side;
    struct db_conn *conn;
    json_t *out = NULL;
    sd_err e;
    if (chat_id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such chat.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = db_begin(conn)) != SD_OK)
        return http_store_error(ctx, e);
    e = chat_store_lock(conn, chat_id, ctx->user_id, ctx->role, &side);
    if (e == SD_ERR_NOT_FOUND) {
        db_rollback(conn);
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such chat.");
    }
    if (e == SD_OK)
        out = fn(ctx, conn, chat_id, &side, arg, &e);
    if (out && (e = db_commit(conn)) == SD_OK)
        return http_json(ctx, 200, out);
    json_decref(out);
    db_rollback(conn);
    return ctx->answered ? U_CALLBACK_COMPLETE : http_store_error(ctx, e);
}

static json_t *read_locked(struct http_ctx *ctx, struct db_conn *conn, int64_t chat_id,
                           const struct chat_side_info *side, void *arg, sd_err *e)
{
    int64_t unread = 0, up_to = *(const int64_t *)arg;
    int moved = 0;
    *e = chat_store_read(conn, chat_id, side->side, up_to, &unread, &moved);
    if (*e == SD_ERR_VALIDATION) {
        json_t *errors = json_array();
        http_field_error(errors, "up_to_message_id", "not_found", "is not a message of this chat");
        http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "Nothing was marked.");
        return NULL;
    }
    if (*e == SD_OK && moved)
        *e = chat_event(conn, side, ctx->user_id, 0, "message.read",
                        json_pack("{s:I, s:I, s:s, s:I, s:I}", "chat_id", (json_int_t)chat_id,
                                  "reader_id", (json_int_t)ctx->user_id, "side", side->side,
                                  "up_to_message_id", (json_int_t)up_to, "unread_count",
                                  (json_int_t)unread));
    return *e == SD_OK ? json_pack("{s:I}", "unread_count", (json_int_t)unread) : NULL;
}

HANDLER(chats_read)
{
    static const struct field_rule rules[] = {
        {"up_to_message_id", FT_INT, 1, 1, INT64_MAX},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *body, *errors;
    int rc;
    (void)req;
    (void)app;
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "Nothing was marked.");
        errors = NULL;
    } else {
        int64_t up_to = json_integer_value(json_object_get(body, "up_to_message_id"));
        rc = with_locked_chat(ctx, http_path_id(ctx, "id"), read_locked, &up_to);
    }
    json_decref(errors);
    json_decref(body);
    return rc;
}

static json_t *close_locked(struct http_ctx *ctx, struct db_conn *conn, int64_t chat_id,
                            const struct chat_side_info *side, void *arg, sd_err *e)
{
    json_t *chat = NULL;
    (void)arg;
    if ((*e = chat_store_close(conn, chat_id, ctx->user_id)) != SD_OK ||
        (*e = chat_store_get(conn, chat_id, ctx->user_id, ctx->role, &chat)) != SD_OK)
        return NULL;
    /* the chat is locked: open here means this request closed it (closing again is no news) */
    if (strcmp(side->status, "open") == 0)
        *e = chat_event(conn, side, ctx->user_id, 1, "chat.closed",
                        json_pack("{s:I, s:I, s:O}", "chat_id", (json_int_t)chat_id, "closed_by",
                                  (json_int_t)ctx->user_id, "chat", chat));
    if (*e != SD_OK) {
        json_decref(chat);
        return NULL;
    }
    return chat;
}

HANDLER(chats_close)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    (void)req;
    (void)app;
    return with_locked_chat(ctx, http_path_id(ctx, "id"), close_locked, NULL);
}
