#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/chat_template.h"
#include "../src/template_store.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"

#define TEMPLATES_PAGE_DEFAULT 20
#define TEMPLATES_PAGE_MAX     100
#define TEMPLATES_PER_OWNER    200 /* canned replies, not a document store */
#define TEMPLATE_TITLE_MAX     100
#define TEMPLATE_TEXT_MAX      1000 /* a chat message holds at most 1,000 characters */

/* canned replies are a tool of the people who answer: sellers and support */
#define TEMPLATE_ROLES (ROLE_SELLER | ROLE_SUPPORT)

static const struct field_rule create_rules[] = {
    {"title", FT_STRING, 1, 1, TEMPLATE_TITLE_MAX},
    {"text", FT_STRING, 1, 1, TEMPLATE_TEXT_MAX},
    FIELD_RULES_END,
};
static const struct field_rule update_rules[] = {
    {"title", FT_STRING, 0, 1, TEMPLATE_TITLE_MAX},
    {"text", FT_STRING, 0, 1, TEMPLATE_TEXT_MAX},
    FIELD_RULES_END,
};

/* A template is checked as a buyer would read it, its placeholders filled with ordinary sample
 * values: "{posting_number}" is no word anyone wrote, and the content-safety model, which reads
 * words, should not judge it. The values filled in at send time are checked when it is sent. */
static const char *const template_texts[] = {"title", "text", NULL};

/* (no number among them: a sample posting number beside "call" read as a phone) */
static const struct chat_template_values template_samples = {
    {"Anna", "Kettle Shop", "order", "Electric kettle"}};

/* The guard over a copy of body with the placeholders of its texts filled. */
static int template_guard(struct http_ctx *ctx, json_t *body)
{
    json_t *copy = json_copy(body);
    for (size_t i = 0; copy && template_texts[i]; i++) {
        const char *text = json_string_value(json_object_get(copy, template_texts[i]));
        const char *missing = NULL;
        char *filled = text ? chat_template_fill(text, &template_samples, &missing) : NULL;
        if (filled)
            json_object_set_new(copy, template_texts[i], json_string(filled));
        free(filled);
    }
    int rc = moderation_guard(ctx, copy ? copy : body, template_texts);
    json_decref(copy);
    return rc;
}

struct template_args {
    const char *title, *text;
};

/* Validates body against rules; fills a with the strings given. */
static int template_parse(json_t *body, const struct field_rule *rules, struct template_args *a,
                          json_t *errors)
{
    char bad[64];
    http_check_fields(body, rules, NULL, errors);
    a->title = json_string_value(json_object_get(body, "title"));
    a->text = json_string_value(json_object_get(body, "text"));
    if (a->title && *a->title && utf8_blank(a->title))
        http_field_error(errors, "title", "too_short", "must not be blank");
    if (a->text && *a->text && utf8_blank(a->text))
        http_field_error(errors, "text", "too_short", "must not be blank");
    if (a->text && chat_template_check(a->text, bad, sizeof bad) != 0) {
        char known[128] = "";
        size_t used = 0;
        for (int i = 0; i < CHAT_PH__COUNT; i++)
            used += (size_t)snprintf(known + used, sizeof known - used, "%s{%s}", i ? ", " : "",
                                     chat_placeholder_name((enum chat_placeholder)i));
        http_field_error(errors, "text", "unknown_placeholder",
                         "uses the unknown placeholder {%s}; the known placeholders are %s", bad,
                         known);
    }
    return json_array_size(errors) ? -1 : 0;
}

static sd_err template_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg,
                                 json_t **out, int *answered)
{
    struct template_args *a = arg;
    sd_err e =
        template_store_create(conn, ctx->user_id, a->title, a->text, TEMPLATES_PER_OWNER, out);
    if (e == SD_ERR_CONFLICT) {
        *answered = 1;
        http_problem(ctx, SD_ERR_CONFLICT, "template_limit_reached",
                     "You have %d templates, the most one account may keep; delete one first.",
                     TEMPLATES_PER_OWNER);
    }
    return e;
}

static int template_create_parse(json_t *body, void *args, json_t *errors)
{
    return template_parse(body, create_rules, args, errors);
}

HANDLER(templates_create)
{
    static const struct http_create_op op = {
        TEMPLATE_ROLES, template_create_parse, "The template has invalid fields.",
        template_guard, "templates",           template_create_tx};
    struct template_args a = {0};
    (void)req;
    (void)app;
    return http_create(http_ctx_of(resp), &op, &a);
}

HANDLER(templates_list)
{
    (void)req;
    (void)app;
    return http_own_page(http_ctx_of(resp), TEMPLATE_ROLES, TEMPLATES_PAGE_DEFAULT,
                         TEMPLATES_PAGE_MAX, "templates", template_store_list);
}

HANDLER(templates_get)
{
    (void)req;
    (void)app;
    return http_get_own(http_ctx_of(resp), TEMPLATE_ROLES, template_store_get,
                        "No such template among yours.");
}

static void template_parse_update(json_t *body, void *args, json_t *errors)
{
    struct template_args *a = args;
    template_parse(body, update_rules, a, errors);
    if (!a->title && !a->text && !json_array_size(errors))
        http_field_error(errors, "", "empty_update", "name at least one field to change");
}

static sd_err template_owned(struct db_conn *conn, int64_t id, int64_t user_id, const void *args)
{
    (void)args;
    return template_store_owned(conn, id, user_id);
}

static sd_err template_update(struct db_conn *conn, int64_t id, int64_t user_id, const void *args,
                              json_t **out)
{
    const struct template_args *a = args;
    return template_store_update(conn, id, user_id, a->title, a->text, out);
}

HANDLER(templates_update)
{
    static const struct http_update_op op = {TEMPLATE_ROLES,        "No such template among yours.",
                                             template_parse_update, template_owned,
                                             template_guard,        template_update};
    struct template_args a = {0};
    (void)req;
    (void)app;
    return http_update_own(http_ctx_of(resp), &op, &a);
}

HANDLER(templates_delete)
{
    (void)req;
    (void)app;
    return http_delete_own(http_ctx_of(resp), TEMPLATE_ROLES, template_store_delete,
                           "No such template among yours.");
}
