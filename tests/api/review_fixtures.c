#include "review_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rv_move(const char *token, const char *pn, const char *status)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/postings/%s/status", pn);
    struct api_resp *r = api_postf(path, token, "{s:s}", "status", status);
    ck_assert_status(r, 200);
    api_free(r);
}

/* awaiting_packaging → delivering → final */
static void rv_finish(const char *seller_token, const char *pn, const char *final)
{
    if (!final)
        return;
    rv_move(seller_token, pn, "delivering");
    rv_move(seller_token, pn, final);
}

static void rv_order(const struct api_user *buyer, json_t *items, char pn[40])
{
    json_t *body = json_pack("{s:o}", "items", items);
    char *text = json_dumps(body, 0);
    struct api_resp *r = api_post("/v1/orders", buyer->token, text);
    ck_assert_status(r, 201);
    json_t *postings = json_object_get(r->json, "postings");
    ck_assert_int_eq(json_array_size(postings), 1);
    snprintf(pn, 40, "%s", api_jstr(json_array_get(postings, 0), "posting_number"));
    api_free(r);
    free(text);
    json_decref(body);
}

void rv_purchase(struct purchase *p, const char *name, int n, const char *final)
{
    char offer[64], full[128];
    json_t *items = json_array();
    memset(p, 0, sizeof *p);
    api_new_user_named(&p->seller, "seller", "Tea House");
    api_new_user_named(&p->buyer, "buyer", "Anna Reviewer");
    api_demo_user(&p->support, SUPPORT_EMAIL);
    for (int i = 0; i < n && i < 3; i++) {
        snprintf(full, sizeof full, "%s %d", name, i + 1);
        struct api_resp *r = api_postf("/v1/products", p->seller.token, "{s:s, s:s, s:I, s:I}",
                                       "offer_id", api_unique("RV-", offer, sizeof offer), "name",
                                       full, "price", (json_int_t)1000, "stock", (json_int_t)50);
        ck_assert_status(r, 201);
        p->product[i] = api_int(r, "id");
        p->sku[i] = api_int(r, "sku");
        api_free(r);
        json_array_append_new(
            items, json_pack("{s:I, s:i}", "product_id", (json_int_t)p->product[i], "quantity", 1));
    }
    rv_order(&p->buyer, items, p->pn);
    rv_finish(p->seller.token, p->pn, final);
}

void rv_buy(const struct api_user *buyer, const struct api_user *seller, int64_t product,
            const char *final, char pn[40])
{
    rv_order(buyer, json_pack("[{s:I, s:i}]", "product_id", (json_int_t)product, "quantity", 1),
             pn);
    rv_finish(seller->token, pn, final);
}

struct api_resp *rv_post(const char *token, const char *pn, int64_t product, int rating,
                         json_t *extra)
{
    json_t *body = json_pack("{s:s, s:I, s:i}", "posting_number", pn, "product_id",
                             (json_int_t)product, "rating", rating);
    if (extra) {
        json_object_update(body, extra);
        json_decref(extra);
    }
    char *text = json_dumps(body, 0);
    struct api_resp *r = api_post("/v1/reviews", token, text);
    free(text);
    json_decref(body);
    return r;
}

json_t *rv_write(const char *token, const char *pn, int64_t product, int rating, json_t *extra)
{
    struct api_resp *r = rv_post(token, pn, product, rating, extra);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

int64_t rv_write_id(const char *token, const char *pn, int64_t product, int rating, json_t *extra)
{
    json_t *rv = rv_write(token, pn, product, rating, extra);
    int64_t id = api_jint(rv, "id");
    ck_assert_int_gt(id, 0);
    json_decref(rv);
    return id;
}

int64_t rv_upload(const char *token, const char *type)
{
    static const struct {
        const char *type, *magic;
        size_t len;
    } magics[] = {
        {"image/png", "\x89PNG\r\n\x1A\n", 8},
        {"image/jpeg", "\xFF\xD8\xFF\xE0", 4},
        {"image/webp", "RIFF\x24\x01\x00\x00WEBPVP8 ", 16},
        {"application/pdf", "%PDF-1.7\n", 9},
        {"video/mp4",
         "\x00\x00\x00\x18"
         "ftypmp42",
         12},
        {"video/quicktime",
         "\x00\x00\x00\x14"
         "ftypqt  ",
         12},
        {"video/webm", "\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\x82\x84webm", 16},
    };
    unsigned char b[128];
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++) {
        if (strcmp(magics[i].type, type) != 0)
            continue;
        memcpy(b, magics[i].magic, magics[i].len);
        for (size_t j = magics[i].len; j < sizeof b; j++)
            b[j] = (unsigned char)(j * 7);
        struct api_resp *r = api_request_bytes("POST", "/v1/files", token, b, sizeof b, type, NULL);
        ck_assert_status(r, 201);
        ck_assert_str_eq(api_str(r, "content_type"), type);
        int64_t id = api_int(r, "id");
        api_free(r);
        return id;
    }
    ck_abort_msg("no sample of %s", type);
    return 0;
}

struct api_resp *rv_get(const char *token, int64_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/reviews/%lld", (long long)id);
    return api_get(path, token);
}

struct api_resp *rv_patch(const char *token, int64_t id, json_t *body)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/reviews/%lld", (long long)id);
    char *text = json_dumps(body, 0);
    struct api_resp *r = api_patch(path, token, text);
    free(text);
    json_decref(body);
    return r;
}

struct api_resp *rv_delete(const char *token, int64_t id)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/reviews/%lld", (long long)id);
    return api_request("DELETE", path, token, NULL, NULL, NULL);
}

json_t *rv_walk(const char *token, const char *path, const char *query, int limit)
{
    char url[2048], cursor[512] = "";
    json_t *all = json_array();
    for (int pages = 0; pages < 500; pages++) {
        snprintf(url, sizeof url, "%s?limit=%d%s%s%s%s", path, limit, *query ? "&" : "", query,
                 *cursor ? "&cursor=" : "", cursor);
        struct api_resp *r = api_get(url, token);
        ck_assert_status(r, 200);
        json_t *items = json_object_get(r->json, "items");
        ck_assert_msg(json_is_array(items) && json_array_size(items) <= (size_t)limit,
                      "page of %s: %s", url, r->body);
        json_array_extend(all, items);
        json_t *next = json_object_get(r->json, "next_cursor");
        if (!json_is_string(next)) {
            ck_assert_msg(json_is_null(next), "next_cursor: %s", r->body);
            api_free(r);
            return all;
        }
        ck_assert_int_eq(json_array_size(items), limit);
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        api_free(r);
    }
    ck_abort_msg("too many pages of %s", path);
    return all;
}

json_t *rv_list(const char *token, const char *query)
{
    return rv_walk(token, "/v1/reviews", query, 100);
}

void rv_ids(const json_t *items, char *out, size_t len)
{
    size_t i, used = 0;
    json_t *it;
    out[0] = '\0';
    json_array_foreach(items, i, it)
    {
        int n =
            snprintf(out + used, len - used, "%s%lld", i ? "," : "", (long long)api_jint(it, "id"));
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
}

static json_t *rv_get_json(const char *token, const char *path)
{
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

json_t *rv_counts(const char *token)
{
    return rv_get_json(token, "/v1/reviews/counts");
}

json_t *rv_rating(const char *token, int64_t product)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/products/%lld/rating", (long long)product);
    return rv_get_json(token, path);
}

json_t *rv_find(const json_t *items, int64_t id)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (api_jint(it, "id") == id)
            return it;
    }
    return NULL;
}

json_t *rv_queued_version(const char *support_token, int64_t review)
{
    char path[1024], cursor[512] = "";
    for (int pages = 0; pages < 1000; pages++) {
        snprintf(path, sizeof path, "/v1/moderation/queue?kind=review&limit=100%s%s",
                 *cursor ? "&cursor=" : "", cursor);
        struct api_resp *r = api_get(path, support_token);
        ck_assert_status(r, 200);
        size_t i;
        json_t *it, *found = NULL;
        json_array_foreach(json_object_get(r->json, "items"), i, it)
        {
            ck_assert_str_eq(api_jstr(it, "kind"), "review");
            if (api_jint(json_object_get(it, "review"), "id") == review)
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

void rv_decide(const char *support_token, int64_t review, const char *decision, const char *reason)
{
    json_t *item = rv_queued_version(support_token, review);
    ck_assert_msg(item != NULL, "review %lld has no version in the queue", (long long)review);
    qa_decide_ok(support_token, "review", api_jint(item, "id"), decision, reason);
    json_decref(item);
}

struct api_resp *rv_comment_post(const char *token, int64_t review, const char *text,
                                 int64_t parent, int mark_processed)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/reviews/%lld/comments", (long long)review);
    json_t *body = json_pack("{s:s}", "text", text);
    if (parent)
        json_object_set_new(body, "parent_comment_id", json_integer(parent));
    if (mark_processed >= 0)
        json_object_set_new(body, "mark_processed", json_boolean(mark_processed));
    char *s = json_dumps(body, 0);
    struct api_resp *r = api_post(path, token, s);
    free(s);
    json_decref(body);
    return r;
}

json_t *rv_comment(const char *token, int64_t review, const char *text, int64_t parent)
{
    struct api_resp *r = rv_comment_post(token, review, text, parent, -1);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

json_t *rv_comments(const char *token, int64_t review, long *status)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/reviews/%lld/comments?limit=1", (long long)review);
    struct api_resp *r = api_get(path, token);
    *status = r->status;
    api_free(r);
    if (*status != 200)
        return NULL;
    snprintf(path, sizeof path, "/v1/reviews/%lld/comments", (long long)review);
    return rv_walk(token, path, "", 2);
}

struct api_resp *rv_complain(const char *token, int64_t review, const char *reason,
                             const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/reviews/%lld/complaints", (long long)review);
    json_t *body = json_pack("{s:s}", "reason", reason);
    if (text)
        json_object_set_new(body, "text", json_string(text));
    char *s = json_dumps(body, 0);
    struct api_resp *r = api_post(path, token, s);
    free(s);
    json_decref(body);
    return r;
}
