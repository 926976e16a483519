/* The chats' reads: the list, one chat, a chat's messages (api/chats.c has the writes). The
 * list and the messages are reads of the statement pipe (api/http_read.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/chat_store.h"
#include "../src/cursor.h"
#include "../src/text_out.h"
#include "handlers.h"
#include "http.h"

#define CHATS_DEFAULT    20
#define CHATS_MAX        100
#define MESSAGES_DEFAULT 50
#define MESSAGES_MAX     100

/* The page with its total_unread. */
static int chats_list_page(struct http_ctx *ctx, char *items, int has_more, int64_t last,
                           int64_t total)
{
    char members[40];
    struct text_out t = text_out_of(members, sizeof members - 1);
    text_lit(&t, ",\"total_unread\":");
    text_uint(&t, total > 0 ? (unsigned long long)total : 0, 1); /* (a count) */
    members[text_len(&t, members)] = '\0';
    return http_page_text(ctx, items, has_more, last, ctx->read.scope, members);
}

/* An empty page's total, read alone after it (a second statement on the same pipe). */
static int chats_list_total_answer(struct http_ctx *ctx, PGresult *r, sd_err e)
{
    int64_t total;
    int found;
    char *items;
    if ((e = http_read_kept(ctx, r, e, &items, &total, &found)) != SD_OK) {
        free(items);
        return http_store_error(ctx, e);
    }
    return chats_list_page(ctx, items, ctx->read.has_more, ctx->read.last, total);
}

static int chats_list_answer(struct http_ctx *ctx, PGresult *r, sd_err e)
{
    char *items = NULL;
    int has_more = 0, has_total = 0;
    int64_t last = 0, total = 0;
    struct db_read rd;
    if (r)
        e = db_page_of(r, ctx->read.limit, &items, &has_more, &last, &total, &has_total);
    if (e != SD_OK) {
        free(items);
        return http_store_error(ctx, e);
    }
    /* an empty page carries no total: read alone (a second round trip, only then) */
    if (!has_total) {
        const char *kind = ctx->read.id >= 0 ? chat_kinds[ctx->read.id] : NULL;
        chat_store_total_unread_read(&rd, ctx->user_id, ctx->role, kind);
        http_read_keep(ctx, items, has_more, last);
        return http_read(ctx, &rd, chats_list_total_answer);
    }
    return chats_list_page(ctx, items, has_more, last, total);
}

HANDLER(chats_list)
{
    static const char *const allowed[] = {"kind",     "status", "unread_only", "awaiting_reply",
                                          "assigned", "limit",  "cursor",      NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    struct chat_list_query q = {.viewer = ctx->user_id, .role = ctx->role, .awaiting = -1};
    json_t *errors = json_array();
    char scope[96];
    struct db_read rd;
    (void)req;
    (void)app;
    http_check_query(ctx, allowed, errors);
    q.kind = http_query(ctx, "kind");
    if (q.kind && chat_kind_index(q.kind) < 0)
        http_field_error(errors, "kind", "invalid_enum",
                         "must be buyer_seller, seller_support or buyer_support");
    q.status = http_query(ctx, "status");
    if (q.status && strcmp(q.status, "open") != 0 && strcmp(q.status, "closed") != 0)
        http_field_error(errors, "status", "invalid_enum", "must be open or closed");
    q.unread_only = http_query_bool(ctx, "unread_only", errors) == 1;
    q.awaiting = http_query_bool(ctx, "awaiting_reply", errors);
    q.assigned = http_query(ctx, "assigned");
    if (q.assigned && ctx->role != ROLE_SUPPORT)
        http_field_error(errors, "assigned", "not_allowed", "is a filter of the support inbox");
    else if (q.assigned && strcmp(q.assigned, "me") != 0 && strcmp(q.assigned, "none") != 0)
        http_field_error(errors, "assigned", "invalid_enum", "must be me or none");
    /* a cursor belongs to one list: the same filters */
    snprintf(scope, sizeof scope, "chats:%s:%s:%d:%d:%s", q.kind ? q.kind : "",
             q.status ? q.status : "", q.unread_only, q.awaiting, q.assigned ? q.assigned : "");
    q.limit = http_query_limit(ctx, CHATS_DEFAULT, CHATS_MAX, errors);
    q.before = http_query_cursor(ctx, scope, errors);
    if (!http_query_valid(ctx, errors))
        return U_CALLBACK_COMPLETE;
    chat_store_list_read(&rd, &q);
    /* (kept for an empty page, whose total is read alone) */
    ctx->read.id = q.kind ? chat_kind_index(q.kind) : -1;
    return http_read_page_with(ctx, &rd, q.limit, scope, chats_list_answer);
}

HANDLER(chats_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    json_t *chat = NULL;
    int64_t id = http_path_id(ctx, "id");
    (void)req;
    (void)app;
    if (id < 0)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such chat.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    sd_err e = chat_store_get(conn, id, ctx->user_id, ctx->role, &chat);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such chat.");
    return e == SD_OK ? http_json(ctx, 200, chat) : http_store_error(ctx, e);
}

/* The scope a cursor of the chat's pages in that direction is signed for:
 * "chat-messages:ID:before" or ":after" (written by hand: three snprintf calls were 2,300
 * instructions of every history page, bench/README.md, twelfth step). */
static void messages_scope(char *out, size_t len, int64_t chat_id, const char *direction)
{
    struct text_out t = text_out_of(out, len - 1);
    text_lit(&t, "chat-messages:");
    text_uint(&t, (unsigned long long)chat_id, 1);
    text_lit(&t, ":");
    text_str(&t, direction);
    *t.p = '\0';
}

/* before/after (message ids) or a cursor of this chat's list, which carries its direction. */
static void messages_position(struct http_ctx *ctx, int64_t chat_id, int64_t *before,
                              int64_t *after, char *scope, size_t len, json_t *errors)
{
    const char *names[] = {"before", "after"};
    int64_t *vals[] = {before, after};
    for (int i = 0; i < 2; i++) {
        json_t *bad = json_array();
        *vals[i] = http_query_int(ctx, names[i], 0, 1, INT64_MAX, bad);
        if (json_array_size(bad))
            http_field_error(errors, names[i], "invalid_format", "must be a message id");
        json_decref(bad);
    }
    if (*before && *after)
        http_field_error(errors, "after", "not_allowed", "give before or after, not both");
    const char *cur = http_query(ctx, "cursor");
    char up[64], down[64];
    if (cur && !*cur)
        cur = NULL; /* an empty cursor is the first page, as on every list */
    if (cur && (*before || *after)) {
        http_field_error(errors, "cursor", "not_allowed", "give a cursor or before/after");
    } else if (cur) {
        messages_scope(down, sizeof down, chat_id, "before");
        messages_scope(up, sizeof up, chat_id, "after");
        if (cursor_decode(down, cur, before) != 0 && cursor_decode(up, cur, after) != 0)
            http_field_error(errors, "cursor", "invalid_cursor",
                             "is not a cursor returned by this list");
    }
    messages_scope(scope, len, chat_id, *after ? "after" : "before");
}

/* Another person's chat is 404, and nothing of it is read: the page's statement returns rows
 * only for a viewer with a side in it, and only an empty page asks whether it is the
 * viewer's (a second statement on the same pipe). */
static int chat_messages_refused(struct http_ctx *ctx, sd_err e, char *items)
{
    free(items);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such chat.");
    return http_store_error(ctx, e);
}

static int chat_messages_check_answer(struct http_ctx *ctx, PGresult *r, sd_err e)
{
    int64_t one;
    int found;
    char *items;
    e = http_read_kept(ctx, r, e, &items, &one, &found);
    if (e == SD_OK && !found)
        e = SD_ERR_NOT_FOUND;
    if (e != SD_OK)
        return chat_messages_refused(ctx, e, items);
    return http_page(ctx, items, ctx->read.has_more, ctx->read.last, ctx->read.scope);
}

static int chat_messages_answer(struct http_ctx *ctx, PGresult *r, sd_err e)
{
    char *items = NULL;
    int has_more = 0;
    int64_t last = 0;
    struct db_read rd;
    if (r)
        e = db_page_of(r, ctx->read.limit, &items, &has_more, &last, NULL, NULL);
    if (e != SD_OK)
        return chat_messages_refused(ctx, e, items);
    if (strcmp(items, "[]") == 0) {
        chat_store_can_read_read(&rd, ctx->read.id, ctx->user_id, ctx->role);
        http_read_keep(ctx, items, has_more, last);
        return http_read(ctx, &rd, chat_messages_check_answer);
    }
    return http_page(ctx, items, has_more, last, ctx->read.scope);
}

HANDLER(chat_messages_list)
{
    static const char *const allowed[] = {"before", "after", "cursor", "limit", NULL};
    struct http_ctx *ctx = http_ctx_of(resp);
    json_t *errors = json_array();
    char scope[64];
    int limit;
    int64_t before = 0, after = 0;
    int64_t id = http_path_id(ctx, "id");
    struct db_read rd;
    (void)req;
    (void)app;
    if (id < 0) {
        json_decref(errors);
        return http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "No such chat.");
    }
    http_check_query(ctx, allowed, errors);
    messages_position(ctx, id, &before, &after, scope, sizeof scope, errors);
    limit = http_query_limit(ctx, MESSAGES_DEFAULT, MESSAGES_MAX, errors);
    if (!http_query_valid(ctx, errors))
        return U_CALLBACK_COMPLETE;
    chat_store_messages_read(&rd, id, ctx->user_id, ctx->role, before, after, limit);
    ctx->read.id = id;
    return http_read_page_with(ctx, &rd, limit, scope, chat_messages_answer);
}
