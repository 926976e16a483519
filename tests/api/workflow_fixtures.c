#include "workflow_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void qa_world_init(struct qa_world *w)
{
    api_new_user(&w->seller, "seller");
    api_new_user(&w->buyer, "buyer");
    api_demo_user(&w->support, SUPPORT_EMAIL);
    w->product = api_make_product(&w->seller, 1000, 10);
}

int64_t qa_ask(const char *token, int64_t product, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/products/%lld/questions", (long long)product);
    struct api_resp *r = api_postf(path, token, "{s:s}", "text", text);
    ck_assert_status(r, 201);
    int64_t id = api_int(r, "id");
    ck_assert_int_gt(id, 0);
    api_free(r);
    return id;
}

struct api_resp *qa_answer_post(const char *token, int64_t question, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/questions/%lld/answers", (long long)question);
    return api_postf(path, token, "{s:s}", "text", text);
}

json_t *qa_answer(const char *token, int64_t question, const char *text)
{
    struct api_resp *r = qa_answer_post(token, question, text);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

json_t *qa_answers(const char *token, int64_t question, long *status)
{
    char path[1024], cursor[512] = "";
    json_t *all = json_array();
    *status = 200;
    for (int pages = 0; pages < 100; pages++) {
        snprintf(path, sizeof path, "/v1/questions/%lld/answers?limit=2%s%s", (long long)question,
                 *cursor ? "&cursor=" : "", cursor);
        struct api_resp *r = api_get(path, token);
        if (r->status != 200) {
            *status = r->status;
            api_free(r);
            return all;
        }
        json_array_extend(all, json_object_get(r->json, "items"));
        json_t *next = json_object_get(r->json, "next_cursor");
        if (!json_is_string(next)) {
            api_free(r);
            return all;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        api_free(r);
    }
    ck_abort_msg("too many pages");
    return all;
}

struct api_resp *qa_delete_answer(const char *token, int64_t answer)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/answers/%lld", (long long)answer);
    return api_request("DELETE", path, token, NULL, NULL, NULL);
}

struct api_resp *qa_decide(const char *token, const char *kind, int64_t id, const char *decision,
                           const char *reason)
{
    json_t *b =
        json_pack("{s:s, s:I, s:s}", "kind", kind, "id", (json_int_t)id, "decision", decision);
    if (reason)
        json_object_set_new(b, "reason", json_string(reason));
    char *text = json_dumps(b, JSON_COMPACT);
    struct api_resp *r = api_post("/v1/moderation/decisions", token, text);
    free(text);
    json_decref(b);
    return r;
}

void qa_decide_ok(const char *token, const char *kind, int64_t id, const char *decision,
                  const char *reason)
{
    struct api_resp *r = qa_decide(token, kind, id, decision, reason);
    ck_assert_status(r, 200);
    api_free(r);
}

char *qa_question_status(const char *token, int64_t question)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/questions/%lld", (long long)question);
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    ck_assert_ptr_nonnull(api_str(r, "status"));
    char *s = strdup(api_str(r, "status"));
    api_free(r);
    return s;
}

int qa_notifications(const char *token, const char *event, const char *key, int64_t id,
                     json_t **last)
{
    struct api_resp *r = api_get("/v1/notifications?limit=100", token);
    ck_assert_status(r, 200);
    size_t i;
    json_t *it;
    int n = 0;
    if (last)
        *last = NULL;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
    {
        if (strcmp(api_jstr(it, "event"), event) != 0 ||
            api_jint(json_object_get(it, "data"), key) != id)
            continue;
        if (last && !*last)
            *last = json_incref(it);
        n++;
    }
    api_free(r);
    return n;
}

json_t *qa_queue_find(const char *token, const char *query, const char *kind, int64_t id)
{
    char path[1024], cursor[512] = "";
    json_int_t prev = 0;
    for (int pages = 0; pages < 1000; pages++) {
        snprintf(path, sizeof path, "/v1/moderation/queue?limit=100%s%s%s%s", *query ? "&" : "",
                 query, *cursor ? "&cursor=" : "", cursor);
        struct api_resp *r = api_get(path, token);
        ck_assert_status(r, 200);
        size_t i;
        json_t *it, *found = NULL;
        json_array_foreach(json_object_get(r->json, "items"), i, it)
        {
            ck_assert_msg(api_jint(it, "id") > prev, "queue not oldest first: %s", r->body);
            prev = api_jint(it, "id");
            if (api_jint(it, "id") == id && strcmp(api_jstr(it, "kind"), kind) == 0)
                found = json_incref(it);
        }
        json_t *next = json_object_get(r->json, "next_cursor");
        if (found || !json_is_string(next)) {
            api_free(r);
            return found;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        api_free(r);
    }
    ck_abort_msg("too many pages");
    return NULL;
}

int qa_queued(const char *token, const char *query, const char *kind, int64_t id)
{
    json_t *it = qa_queue_find(token, query, kind, id);
    json_decref(it);
    return it != NULL;
}

json_t *qa_find_id(json_t *list, int64_t id)
{
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        if (api_jint(it, "id") == id)
            return it;
    }
    return NULL;
}
