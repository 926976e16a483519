/* API tests of chats against the real server at $SD_BASE_URL: POST/GET /v1/chats, GET
 * /v1/chats/{id}, its messages (list, send), read marks, close, the chat counters of
 * GET /v1/notifications/counters, content safety, anti-spam and Idempotency-Key.
 *
 * Every test uses fresh users. Support is the demo agent, and support sees every support chat
 * of every test (and of other suites sharing the server), so support's lists are searched for
 * specific chat ids and never counted.
 *
 * The rate test expects SELLERDESK_CHAT_MESSAGE_RATE 30 and the repeat test
 * SELLERDESK_CHAT_REPEAT_LIMIT 10 (the defaults; the test setup keeps them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"
#define NO_SUCH_ID    999999999

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

/* A seller with a product and a buyer with an order of it (one posting). */
struct deal {
    struct api_user seller, buyer;
    json_int_t product;
    char pn[64];
};

/* buyer orders one of product; returns the posting number in pn. */
static void order_of(const struct api_user *buyer, json_int_t product, char *pn, size_t len)
{
    struct api_resp *r = api_postf("/v1/orders", buyer->token, "{s:[{s:I, s:i}]}", "items",
                                   "product_id", product, "quantity", 1);
    ck_assert_status(r, 201);
    const char *n =
        api_jstr(json_array_get(json_object_get(r->json, "postings"), 0), "posting_number");
    ck_assert_msg(n != NULL, "order without a posting: %s", r->body);
    snprintf(pn, len, "%s", n);
    api_free(r);
}

static void deal_open(struct deal *d)
{
    api_new_user(&d->seller, "seller");
    api_new_user(&d->buyer, "buyer");
    d->product = api_make_product(&d->seller, 1000, 50);
    order_of(&d->buyer, d->product, d->pn, sizeof d->pn);
}

static void move(const char *token, const char *pn, const char *status)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/postings/%s/status", pn);
    struct api_resp *r = api_postf(path, token, "{s:s}", "status", status);
    ck_assert_status(r, 200);
    api_free(r);
}

static const char *chat_path(char *buf, size_t len, json_int_t id, const char *suffix)
{
    snprintf(buf, len, "/v1/chats/%lld%s", (long long)id, suffix);
    return buf;
}

/* POST /v1/chats expecting status; returns the chat id. */
static json_int_t start_expect(struct api_resp *r, int status)
{
    ck_assert_status(r, status);
    json_int_t id = api_int(r, "id");
    ck_assert_msg(id > 0, "chat without id: %s", r->body);
    api_free(r);
    return id;
}

static json_int_t product_chat(const struct api_user *buyer, json_int_t product)
{
    return start_expect(api_postf("/v1/chats", buyer->token, "{s:s, s:I}", "kind", "buyer_seller",
                                  "product_id", product),
                        201);
}

static json_int_t posting_chat(const struct api_user *buyer, const char *pn)
{
    return start_expect(api_postf("/v1/chats", buyer->token, "{s:s, s:s}", "kind", "buyer_seller",
                                  "posting_number", pn),
                        201);
}

static struct api_resp *send_text(const char *token, json_int_t chat, const char *text)
{
    char path[96];
    return api_postf(chat_path(path, sizeof path, chat, "/messages"), token, "{s:s}", "text", text);
}

/* Sends text as 201; returns the message id. */
static json_int_t send_ok(const char *token, json_int_t chat, const char *text)
{
    struct api_resp *r = send_text(token, chat, text);
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    ck_assert_msg(id > 0, "message without id: %s", r->body);
    api_free(r);
    return id;
}

/* GET path as 200; the whole body (caller decrefs). */
static json_t *get_ok(const char *token, const char *path)
{
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static json_t *get_chat(const char *token, json_int_t id)
{
    char path[96];
    return get_ok(token, chat_path(path, sizeof path, id, ""));
}

/* One page of a chat's messages with query q ("" or "?..."): {items, next_cursor}. */
static json_t *messages_page(const char *token, json_int_t chat, const char *q)
{
    char path[512];
    snprintf(path, sizeof path, "/v1/chats/%lld/messages%s", (long long)chat, q);
    json_t *page = get_ok(token, path);
    ck_assert_msg(json_is_array(json_object_get(page, "items")), "messages without items");
    ck_assert_msg(json_object_get(page, "next_cursor") != NULL, "messages without next_cursor");
    return page;
}

static size_t message_count(const char *token, json_int_t chat)
{
    json_t *page = messages_page(token, chat, "?limit=100");
    size_t n = json_array_size(json_object_get(page, "items"));
    json_decref(page);
    return n;
}

/* The ids of a page's items must be exactly ids[0..n). */
#define assert_ids(page, ...)                                                                      \
    do {                                                                                           \
        const json_int_t want_[] = {__VA_ARGS__};                                                  \
        assert_ids_at(page, want_, sizeof want_ / sizeof want_[0], __FILE__, __LINE__);            \
    } while (0)
static void assert_ids_at(const json_t *page, const json_int_t *ids, size_t n, const char *file,
                          int line)
{
    const json_t *items = json_object_get(page, "items");
    char *dump = json_dumps(page, JSON_COMPACT);
    ck_assert_msg(json_array_size(items) == n, "%s:%d: expected %zu items, got %s", file, line, n,
                  dump);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(api_jint(json_array_get(items, i), "id") == ids[i],
                      "%s:%d: item %zu: expected id %lld, got %s", file, line, i, (long long)ids[i],
                      dump);
    free(dump);
}

/* The chats list of token with query q ("" or "&a=b..."), first page of 100 (caller decrefs). */
static json_t *chats_page(const char *token, const char *q)
{
    char path[512];
    snprintf(path, sizeof path, "/v1/chats?limit=100%s", q);
    json_t *page = get_ok(token, path);
    ck_assert_msg(json_is_array(json_object_get(page, "items")), "chats without items");
    ck_assert_msg(json_is_integer(json_object_get(page, "total_unread")),
                  "chats without total_unread");
    return page;
}

static json_t *item_by_id(const json_t *items, json_int_t id)
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

/* Pages through the chats list of token with query q (may be "") until the chat id is found;
 * returns a copy of the item (caller decrefs) or NULL when the whole list lacks it. */
static json_t *find_in_list(const char *token, const char *q, json_int_t id)
{
    char path[1024];
    json_t *found = NULL;
    char *cursor = NULL;
    for (int pages = 0; pages < 1000 && !found; pages++) {
        snprintf(path, sizeof path, "/v1/chats?limit=100%s%s%s", q, cursor ? "&cursor=" : "",
                 cursor ? cursor : "");
        json_t *page = get_ok(token, path);
        json_t *it = item_by_id(json_object_get(page, "items"), id);
        if (it)
            found = json_deep_copy(it);
        free(cursor);
        const char *next = api_jstr(page, "next_cursor");
        cursor = next ? strdup(next) : NULL;
        json_decref(page);
        if (!cursor)
            break;
    }
    free(cursor);
    return found;
}

static size_t list_size(const char *token)
{
    json_t *page = chats_page(token, "");
    size_t n = json_array_size(json_object_get(page, "items"));
    json_decref(page);
    return n;
}

/* No member called key anywhere in v. */
static int has_key(const json_t *v, const char *key)
{
    const char *k;
    json_t *m;
    size_t i;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, m)
        {
            if (strcmp(k, key) == 0 || has_key(m, key))
                return 1;
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, m)
        {
            if (has_key(m, key))
                return 1;
        }
    }
    return 0;
}

static void assert_counterpart(const json_t *chat, json_int_t id, const char *role,
                               const char *display_name)
{
    const json_t *cp = json_object_get(chat, "counterpart");
    char *dump = json_dumps(chat, JSON_COMPACT);
    ck_assert_msg(json_is_object(cp), "no counterpart: %s", dump);
    if (id)
        ck_assert_msg(api_jint(cp, "id") == id, "counterpart id %lld expected: %s", (long long)id,
                      dump);
    else
        ck_assert_msg(json_is_null(json_object_get(cp, "id")), "counterpart id must be null: %s",
                      dump);
    ck_assert_msg(api_jstr(cp, "role") && strcmp(api_jstr(cp, "role"), role) == 0,
                  "counterpart role %s expected: %s", role, dump);
    ck_assert_msg(api_jstr(cp, "display_name") &&
                      strcmp(api_jstr(cp, "display_name"), display_name) == 0,
                  "counterpart display_name %s expected: %s", display_name, dump);
    ck_assert_msg(!has_key(chat, "email"), "a chat must not carry an e-mail: %s", dump);
    free(dump);
}

static const char *display_name_of(const struct api_user *u, char *buf, size_t len)
{
    json_t *me = get_ok(u->token, "/v1/me");
    snprintf(buf, len, "%s", api_jstr(me, "display_name"));
    json_decref(me);
    return buf;
}

/* unread_count / awaiting_reply_since of a chat as token sees it. */
static void assert_chat_state(const char *token, json_int_t chat, json_int_t unread, int awaiting)
{
    json_t *c = get_chat(token, chat);
    char *dump = json_dumps(c, JSON_COMPACT);
    ck_assert_msg(api_jint(c, "unread_count") == unread, "unread_count %lld expected: %s",
                  (long long)unread, dump);
    if (awaiting)
        assert_timestamp(api_jstr(c, "awaiting_reply_since"));
    else
        ck_assert_msg(json_is_null(json_object_get(c, "awaiting_reply_since")),
                      "awaiting_reply_since must be null: %s", dump);
    ck_assert_msg(json_is_false(json_object_get(c, "reply_overdue")),
                  "reply_overdue must be false: %s", dump);
    free(dump);
    json_decref(c);
}

static json_t *chat_counters(const char *token)
{
    json_t *c = get_ok(token, "/v1/notifications/counters");
    json_t *chats = json_object_get(c, "chats");
    ck_assert_msg(json_is_object(chats), "counters without chats");
    const char *keys[] = {"buyers", "sellers", "customer_service"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_msg(json_is_integer(json_object_get(chats, keys[i])), "chats.%s missing",
                      keys[i]);
    return c;
}

#define assert_chat_counts(token, buyers, sellers, cs)                                             \
    assert_chat_counts_at(token, buyers, sellers, cs, __FILE__, __LINE__)
static void assert_chat_counts_at(const char *token, json_int_t buyers, json_int_t sellers,
                                  json_int_t cs, const char *file, int line)
{
    json_t *c = chat_counters(token);
    json_t *chats = json_object_get(c, "chats");
    char *dump = json_dumps(c, JSON_COMPACT);
    ck_assert_msg(api_jint(chats, "buyers") == buyers && api_jint(chats, "sellers") == sellers &&
                      api_jint(chats, "customer_service") == cs,
                  "%s:%d: expected chats {buyers %lld, sellers %lld, customer_service %lld}: %s",
                  file, line, (long long)buyers, (long long)sellers, (long long)cs, dump);
    /* chat messages stay out of the feed's tabs */
    ck_assert_msg(api_jint(c, "total") == 0, "%s:%d: tabs must stay at 0: %s", file, line, dump);
    free(dump);
    json_decref(c);
}

static void assert_feed_empty(const char *token)
{
    json_t *f = get_ok(token, "/v1/notifications?limit=100");
    char *dump = json_dumps(f, JSON_COMPACT);
    ck_assert_msg(json_array_size(json_object_get(f, "items")) == 0,
                  "chat messages must not reach the feed: %s", dump);
    free(dump);
    json_decref(f);
}

static void assert_retry_after(const struct api_resp *r, int max)
{
    char *v = api_header(r, "Retry-After"), *end = NULL;
    ck_assert_msg(v != NULL, "429 without Retry-After: %s", r->body);
    long n = strtol(v, &end, 10);
    ck_assert_msg(*v && !*end && n >= 1 && n <= max, "Retry-After '%s' not in 1..%d", v, max);
    free(v);
}

/* ---------------------------------------------------------------------------------------------
 * Starting buyer–seller chats
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_buyer_starts_about_product)
{
    struct deal d;
    char path[96], name[128];
    deal_open(&d);
    struct api_resp *r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:I}", "kind", "buyer_seller",
                                   "product_id", d.product);
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    ck_assert_str_eq(api_str(r, "kind"), "buyer_seller");
    ck_assert_str_eq(api_str(r, "status"), "open");
    assert_counterpart(r->json, d.seller.id, "seller",
                       display_name_of(&d.seller, name, sizeof name));
    json_t *ctx = json_object_get(r->json, "context");
    snprintf(path, sizeof path, "/v1/products/%lld", (long long)d.product);
    json_t *product = get_ok(d.seller.token, path);
    ck_assert_int_eq(api_jint(ctx, "product_id"), d.product);
    ck_assert_msg(json_is_integer(json_object_get(ctx, "sku")) &&
                      api_jint(ctx, "sku") == api_jint(product, "sku"),
                  "context sku: %s", r->body);
    json_decref(product);
    ck_assert_msg(json_is_null(json_object_get(ctx, "posting_number")), "posting: %s", r->body);
    const char *nulls[] = {"reason",       "topic",     "assigned_to",
                           "last_message", "closed_at", "awaiting_reply_since"};
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++)
        ck_assert_msg(json_is_null(json_object_get(r->json, nulls[i])), "%s not null: %s", nulls[i],
                      r->body);
    ck_assert_int_eq(api_int(r, "unread_count"), 0);
    ck_assert_msg(json_is_false(json_object_get(r->json, "reply_overdue")), "overdue: %s", r->body);
    assert_timestamp(api_str(r, "created_at"));
    api_free(r);

    /* again: the same open chat */
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:I}", "kind", "buyer_seller", "product_id",
                  d.product);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "id"), id);
    api_free(r);

    /* about the own posting: another context, another chat */
    json_int_t about_posting = posting_chat(&d.buyer, d.pn);
    ck_assert_int_ne(about_posting, id);
    json_t *c = get_chat(d.buyer.token, about_posting);
    ck_assert_str_eq(api_jstr(json_object_get(c, "context"), "posting_number"), d.pn);
    json_decref(c);

    /* both are in the buyer's and the seller's lists; the seller sees the buyer */
    json_t *it = find_in_list(d.seller.token, "", id);
    ck_assert_msg(it != NULL, "the seller does not see chat %lld", (long long)id);
    assert_counterpart(it, d.buyer.id, "buyer", "Test User");
    json_decref(it);
    it = find_in_list(d.seller.token, "", about_posting);
    ck_assert_ptr_nonnull(it);
    json_decref(it);
    ck_assert_uint_eq(list_size(d.buyer.token), 2);
    ck_assert_uint_eq(list_size(d.seller.token), 2);
}
END_TEST

START_TEST(test_buyer_start_refusals)
{
    struct deal d, other;
    deal_open(&d);
    deal_open(&other);
    /* a posting of another buyer */
    struct api_resp *r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:s}", "kind", "buyer_seller",
                                   "posting_number", other.pn);
    assert_field_error(r, "posting_number", "not_found");
    api_free(r);
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", "00000000-0000-1");
    assert_field_error(r, "posting_number", "not_found");
    api_free(r);
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:I}", "kind", "buyer_seller", "product_id",
                  (json_int_t)NO_SUCH_ID);
    assert_field_error(r, "product_id", "not_found");
    api_free(r);
    /* exactly one context */
    r = api_postf("/v1/chats", d.buyer.token, "{s:s}", "kind", "buyer_seller");
    assert_field_error(r, "posting_number", "required");
    api_free(r);
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:s, s:I}", "kind", "buyer_seller",
                  "posting_number", d.pn, "product_id", d.product);
    assert_field_error(r, "product_id", "not_allowed");
    api_free(r);
    /* what a buyer does not give */
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:I, s:s}", "kind", "buyer_seller",
                  "product_id", d.product, "reason", "order_details");
    assert_field_error(r, "reason", "not_allowed");
    api_free(r);
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:I, s:s}", "kind", "buyer_seller",
                  "product_id", d.product, "topic", "About my order");
    assert_field_error(r, "topic", "not_allowed");
    api_free(r);
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:I, s:I}", "kind", "buyer_seller",
                  "product_id", d.product, "user_id", (json_int_t)d.seller.id);
    assert_field_error(r, "user_id", "not_allowed");
    api_free(r);
    /* kind */
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:I}", "kind", "buyer_chitchat", "product_id",
                  d.product);
    assert_field_error(r, "kind", "invalid_enum");
    api_free(r);
    r = api_postf("/v1/chats", d.buyer.token, "{s:I}", "product_id", d.product);
    assert_field_error(r, "kind", "required");
    api_free(r);
    r = api_postf("/v1/chats", d.buyer.token, "{s:i, s:I}", "kind", 1, "product_id", d.product);
    assert_field_error(r, "kind", "wrong_type");
    api_free(r);
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:s}", "kind", "buyer_seller", "product_id",
                  "12");
    assert_field_error(r, "product_id", "wrong_type");
    api_free(r);
    /* not JSON, not an object, no token */
    r = api_post("/v1/chats", d.buyer.token, "{\"kind\": \"buyer_seller\",");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_post("/v1/chats", d.buyer.token, "[1]");
    ck_assert_msg(r->status == 400, "an array body: %ld %s", r->status, r->body);
    api_free(r);
    r = api_postf("/v1/chats", NULL, "{s:s, s:I}", "kind", "buyer_seller", "product_id", d.product);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = api_get("/v1/chats", NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);

    /* nothing was started, for anyone */
    ck_assert_uint_eq(list_size(d.buyer.token), 0);
    ck_assert_uint_eq(list_size(d.seller.token), 0);
    ck_assert_uint_eq(list_size(other.seller.token), 0);
}
END_TEST

START_TEST(test_seller_starts_about_posting)
{
    struct deal d;
    char name[128];
    deal_open(&d);
    struct api_resp *r =
        api_postf("/v1/chats", d.seller.token, "{s:s, s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", d.pn, "reason", "availability");
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    ck_assert_str_eq(api_str(r, "reason"), "availability");
    ck_assert_str_eq(api_jstr(json_object_get(r->json, "context"), "posting_number"), d.pn);
    /* a posting's context names its (first) product too */
    ck_assert_int_eq(api_jint(json_object_get(r->json, "context"), "product_id"), d.product);
    assert_counterpart(r->json, d.buyer.id, "buyer", display_name_of(&d.buyer, name, sizeof name));
    api_free(r);

    /* the buyer starting about the same posting meets the seller in the same chat */
    r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", d.pn);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "id"), id);
    assert_counterpart(r->json, d.seller.id, "seller", "Test User");
    api_free(r);
    /* and the seller again too */
    r = api_postf("/v1/chats", d.seller.token, "{s:s, s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", d.pn, "reason", "order_details");
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "id"), id);
    api_free(r);
    ck_assert_uint_eq(list_size(d.buyer.token), 1);
    ck_assert_uint_eq(list_size(d.seller.token), 1);
}
END_TEST

START_TEST(test_seller_start_refusals)
{
    struct deal d, other;
    deal_open(&d);
    deal_open(&other);
    struct api_resp *r = api_postf("/v1/chats", d.seller.token, "{s:s, s:s}", "kind",
                                   "buyer_seller", "posting_number", d.pn);
    assert_field_error(r, "reason", "required");
    api_free(r);
    r = api_postf("/v1/chats", d.seller.token, "{s:s, s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", d.pn, "reason", "just_because");
    assert_field_error(r, "reason", "invalid_enum");
    api_free(r);
    r = api_postf("/v1/chats", d.seller.token, "{s:s, s:s}", "kind", "buyer_seller", "reason",
                  "order_details");
    assert_field_error(r, "posting_number", "required");
    api_free(r);
    /* a seller writes only about an own posting, never about a product */
    r = api_postf("/v1/chats", d.seller.token, "{s:s, s:s, s:s, s:I}", "kind", "buyer_seller",
                  "posting_number", d.pn, "reason", "order_details", "product_id", d.product);
    assert_field_error(r, "product_id", "not_allowed");
    api_free(r);
    r = api_postf("/v1/chats", d.seller.token, "{s:s, s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", other.pn, "reason", "order_details");
    assert_field_error(r, "posting_number", "not_found");
    api_free(r);
    ck_assert_uint_eq(list_size(d.seller.token), 0);
    ck_assert_uint_eq(list_size(other.buyer.token), 0);
}
END_TEST

/* The seller's window runs from the order until SELLERDESK_CHAT_SELLER_WINDOW_HOURS after
 * delivery or cancellation; the test server sets 0, so it closes at delivery. The buyer is
 * not bound by it, and the seller may answer in a chat the buyer started. */
START_TEST(test_seller_window)
{
    struct deal d, late, cancelled;
    char path[64];
    deal_open(&d);
    move(d.seller.token, d.pn, "delivering");
    struct api_resp *r =
        api_postf("/v1/chats", d.seller.token, "{s:s, s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", d.pn, "reason", "delivery_problem");
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "reason"), "delivery_problem");
    api_free(r);

    deal_open(&late);
    move(late.seller.token, late.pn, "delivering");
    move(late.seller.token, late.pn, "delivered");
    r = api_postf("/v1/chats", late.seller.token, "{s:s, s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", late.pn, "reason", "order_details");
    ck_assert_problem(r, 409, "chat_window_closed");
    api_free(r);
    ck_assert_uint_eq(list_size(late.seller.token), 0);
    r = api_postf("/v1/chats", late.buyer.token, "{s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", late.pn);
    ck_assert_status(r, 201);
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)api_int(r, "id"));
    api_free(r);
    r = api_postf(path, late.seller.token, "{s:s}", "text", "Happy to help with your order.");
    ck_assert_status(r, 201);
    api_free(r);

    deal_open(&cancelled);
    move(cancelled.buyer.token, cancelled.pn, "cancelled");
    r = api_postf("/v1/chats", cancelled.seller.token, "{s:s, s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", cancelled.pn, "reason", "order_details");
    ck_assert_problem(r, 409, "chat_window_closed");
    api_free(r);
}
END_TEST

START_TEST(test_role_refusals)
{
    struct deal d;
    struct api_user support;
    deal_open(&d);
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = api_postf("/v1/chats", d.buyer.token, "{s:s, s:s}", "kind",
                                   "seller_support", "topic", "Payout question");
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = api_postf("/v1/chats", d.seller.token, "{s:s, s:s}", "kind", "buyer_support", "topic",
                  "Payout question");
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = api_postf("/v1/chats", support.token, "{s:s, s:s}", "kind", "buyer_seller",
                  "posting_number", d.pn);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    r = api_postf("/v1/chats", support.token, "{s:s, s:I}", "kind", "buyer_seller", "product_id",
                  d.product);
    ck_assert_problem(r, 403, "forbidden");
    api_free(r);
    ck_assert_uint_eq(list_size(d.buyer.token), 0);
    ck_assert_uint_eq(list_size(d.seller.token), 0);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Support chats
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_buyer_support_chat)
{
    struct api_user buyer, other, seller, support;
    char path[96], sname[128];
    api_new_user(&buyer, "buyer");
    api_new_user(&other, "buyer");
    api_new_user(&seller, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    display_name_of(&support, sname, sizeof sname);

    struct api_resp *r = api_postf("/v1/chats", buyer.token, "{s:s, s:s}", "kind", "buyer_support",
                                   "topic", "Where is my refund?");
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    ck_assert_str_eq(api_str(r, "kind"), "buyer_support");
    ck_assert_str_eq(api_str(r, "topic"), "Where is my refund?");
    ck_assert_msg(json_is_null(json_object_get(r->json, "assigned_to")), "assigned: %s", r->body);
    ck_assert_msg(json_is_null(json_object_get(r->json, "context")), "context: %s", r->body);
    assert_counterpart(r->json, 0, "support", "Support");
    api_free(r);

    /* the shared inbox has it, unassigned */
    json_t *it = find_in_list(support.token, "&assigned=none", id);
    ck_assert_msg(it != NULL, "support inbox (assigned=none) lacks chat %lld", (long long)id);
    assert_counterpart(it, buyer.id, "buyer", "Test User");
    json_decref(it);
    it = find_in_list(support.token, "&kind=buyer_support", id);
    ck_assert_ptr_nonnull(it);
    json_decref(it);
    it = get_chat(support.token, id);
    ck_assert_int_eq(api_jint(it, "id"), id);
    json_decref(it);

    /* nobody else */
    const struct api_user *outsiders[] = {&other, &seller};
    for (size_t i = 0; i < 2; i++) {
        r = api_get(chat_path(path, sizeof path, id, ""), outsiders[i]->token);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        ck_assert_uint_eq(list_size(outsiders[i]->token), 0);
    }

    /* the customer writes: unassigned, support owes an answer */
    json_int_t m1 = send_ok(buyer.token, id, "Hello, my refund has not arrived.");
    it = find_in_list(support.token, "&assigned=none", id);
    ck_assert_ptr_nonnull(it);
    ck_assert_int_eq(api_jint(it, "unread_count"), 1);
    assert_timestamp(api_jstr(it, "awaiting_reply_since"));
    json_decref(it);

    /* the first support reply assigns the chat to that agent */
    json_int_t m2 = send_ok(support.token, id, "We are looking into it.");
    ck_assert_int_gt(m2, m1);
    it = get_chat(support.token, id);
    ck_assert_int_eq(api_jint(it, "assigned_to"), support.id);
    ck_assert_msg(json_is_null(json_object_get(it, "awaiting_reply_since")), "support answered");
    json_decref(it);
    it = get_chat(buyer.token, id);
    ck_assert_int_eq(api_jint(it, "assigned_to"), support.id);
    assert_counterpart(it, support.id, "support", sname);
    ck_assert_int_eq(api_jint(it, "unread_count"), 1);
    json_decref(it);
    json_t *page = messages_page(buyer.token, id, "");
    json_t *reply = json_array_get(json_object_get(page, "items"), 0);
    ck_assert_int_eq(api_jint(reply, "id"), m2);
    ck_assert_int_eq(api_jint(json_object_get(reply, "author"), "id"), support.id);
    ck_assert_str_eq(api_jstr(json_object_get(reply, "author"), "role"), "support");
    ck_assert_msg(!has_key(page, "email"), "messages must not carry an e-mail");
    json_decref(page);

    it = find_in_list(support.token, "&assigned=me", id);
    ck_assert_msg(it != NULL, "assigned=me lacks chat %lld", (long long)id);
    json_decref(it);
    it = find_in_list(support.token, "&assigned=none", id);
    ck_assert_msg(it == NULL, "an assigned chat is still in assigned=none");

    /* only support filters by assignment */
    r = api_get("/v1/chats?assigned=me", buyer.token);
    assert_field_error(r, "assigned", "not_allowed");
    api_free(r);
    r = api_get("/v1/chats?assigned=none", seller.token);
    assert_field_error(r, "assigned", "not_allowed");
    api_free(r);
    r = api_get("/v1/chats?assigned=somebody", support.token);
    assert_field_error(r, "assigned", "invalid_enum");
    api_free(r);
}
END_TEST

START_TEST(test_support_chat_refusals)
{
    struct api_user buyer, seller;
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    struct api_resp *r = api_postf("/v1/chats", buyer.token, "{s:s}", "kind", "buyer_support");
    assert_field_error(r, "topic", "required");
    api_free(r);
    r = api_postf("/v1/chats", buyer.token, "{s:s, s:s}", "kind", "buyer_support", "topic", "   ");
    assert_field_error(r, "topic", "too_short");
    api_free(r);
    r = api_postf("/v1/chats", buyer.token, "{s:s, s:s}", "kind", "buyer_support", "topic", "ab");
    ck_assert_problem(r, 400, "validation_failed");
    ck_assert_msg(api_has_error(r, "topic", "too_short"), "topic too short: %s", r->body);
    api_free(r);
    r = api_postf("/v1/chats", seller.token, "{s:s, s:s, s:s}", "kind", "seller_support", "topic",
                  "Payouts", "reason", "order_details");
    assert_field_error(r, "reason", "not_allowed");
    api_free(r);
    r = api_postf("/v1/chats", seller.token, "{s:s, s:s, s:I}", "kind", "seller_support", "topic",
                  "Payouts", "user_id", (json_int_t)buyer.id);
    assert_field_error(r, "user_id", "not_allowed");
    api_free(r);
    /* a topic with contacts is refused before anything is stored */
    r = api_postf("/v1/chats", buyer.token, "{s:s, s:s}", "kind", "buyer_support", "topic",
                  "Answer me at ivan@example.com");
    ck_assert_problem(r, 422, "content_violation");
    api_free(r);
    r = api_postf("/v1/chats", seller.token, "{s:s, s:s}", "kind", "seller_support", "topic",
                  "Call me 89161234567");
    ck_assert_problem(r, 422, "content_violation");
    api_free(r);
    ck_assert_uint_eq(list_size(buyer.token), 0);
    ck_assert_uint_eq(list_size(seller.token), 0);

    /* a seller can open one */
    r = api_postf("/v1/chats", seller.token, "{s:s, s:s}", "kind", "seller_support", "topic",
                  "Payouts are late");
    ck_assert_status(r, 201);
    assert_counterpart(r->json, 0, "support", "Support");
    api_free(r);
    ck_assert_uint_eq(list_size(seller.token), 1);
}
END_TEST

START_TEST(test_support_opens_chat_with_user)
{
    struct api_user seller, buyer, other, support;
    char path[96], sname[128];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    api_new_user(&other, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    display_name_of(&support, sname, sizeof sname);

    struct api_resp *r =
        api_postf("/v1/chats", support.token, "{s:s, s:I, s:s}", "kind", "seller_support",
                  "user_id", (json_int_t)seller.id, "topic", "Your documents");
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    ck_assert_int_eq(api_int(r, "assigned_to"), support.id);
    assert_counterpart(r->json, seller.id, "seller", "Test User");
    api_free(r);

    /* the seller has it, with the agent as counterpart */
    json_t *it = find_in_list(seller.token, "", id);
    ck_assert_msg(it != NULL, "the seller does not see chat %lld", (long long)id);
    assert_counterpart(it, support.id, "support", sname);
    json_decref(it);
    it = find_in_list(support.token, "&assigned=me", id);
    ck_assert_ptr_nonnull(it);
    json_decref(it);
    r = api_get(chat_path(path, sizeof path, id, ""), other.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);

    /* a buyer too */
    r = api_postf("/v1/chats", support.token, "{s:s, s:I, s:s}", "kind", "buyer_support", "user_id",
                  (json_int_t)buyer.id, "topic", "About your return");
    ck_assert_status(r, 201);
    json_int_t bid = api_int(r, "id");
    api_free(r);
    it = get_chat(buyer.token, bid);
    assert_counterpart(it, support.id, "support", sname);
    json_decref(it);

    /* wrong role, unknown user, no user */
    r = api_postf("/v1/chats", support.token, "{s:s, s:I, s:s}", "kind", "seller_support",
                  "user_id", (json_int_t)buyer.id, "topic", "Your documents");
    assert_field_error(r, "user_id", "wrong_role");
    api_free(r);
    r = api_postf("/v1/chats", support.token, "{s:s, s:I, s:s}", "kind", "buyer_support", "user_id",
                  (json_int_t)seller.id, "topic", "Your documents");
    assert_field_error(r, "user_id", "wrong_role");
    api_free(r);
    r = api_postf("/v1/chats", support.token, "{s:s, s:I, s:s}", "kind", "buyer_support", "user_id",
                  (json_int_t)support.id, "topic", "Your documents");
    assert_field_error(r, "user_id", "wrong_role");
    api_free(r);
    r = api_postf("/v1/chats", support.token, "{s:s, s:I, s:s}", "kind", "seller_support",
                  "user_id", (json_int_t)NO_SUCH_ID, "topic", "Your documents");
    assert_field_error(r, "user_id", "not_found");
    api_free(r);
    r = api_postf("/v1/chats", support.token, "{s:s, s:s}", "kind", "seller_support", "topic",
                  "Your documents");
    assert_field_error(r, "user_id", "required");
    api_free(r);
    r = api_postf("/v1/chats", support.token, "{s:s, s:n, s:s}", "kind", "seller_support",
                  "user_id", "topic", "Your documents");
    assert_field_error(r, "user_id", "required");
    api_free(r);
    ck_assert_uint_eq(list_size(seller.token), 1);
    ck_assert_uint_eq(list_size(buyer.token), 1);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_send_message_shape)
{
    struct deal d;
    char path[96];
    deal_open(&d);
    json_int_t chat = product_chat(&d.buyer, d.product);
    struct api_resp *r = send_text(d.buyer.token, chat, "Is it available in blue?");
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    ck_assert_int_eq(api_int(r, "chat_id"), chat);
    ck_assert_str_eq(api_str(r, "text"), "Is it available in blue?");
    json_t *author = json_object_get(r->json, "author");
    ck_assert_int_eq(api_jint(author, "id"), d.buyer.id);
    ck_assert_str_eq(api_jstr(author, "role"), "buyer");
    ck_assert_str_eq(api_jstr(author, "display_name"), "Test User");
    ck_assert_msg(json_is_array(json_object_get(r->json, "attachments")) &&
                      json_array_size(json_object_get(r->json, "attachments")) == 0,
                  "attachments: %s", r->body);
    assert_timestamp(api_str(r, "created_at"));
    ck_assert_msg(json_is_false(json_object_get(r->json, "read_by_counterpart")), "read: %s",
                  r->body);
    ck_assert_msg(!has_key(r->json, "email"), "e-mail in a message: %s", r->body);
    api_free(r);

    /* the chat shows it as its last message */
    json_t *c = get_chat(d.seller.token, chat);
    json_t *last = json_object_get(c, "last_message");
    ck_assert_int_eq(api_jint(last, "id"), id);
    ck_assert_str_eq(api_jstr(last, "author_role"), "buyer");
    ck_assert_str_eq(api_jstr(last, "preview"), "Is it available in blue?");
    ck_assert_int_eq(api_jint(last, "attachments"), 0);
    json_decref(c);

    /* 1,000 characters (not bytes) is the limit; the preview is the first 100 */
    char *cyr = api_repeat("я", 1000);
    r = send_text(d.seller.token, chat, cyr);
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "text"), cyr);
    ck_assert_str_eq(api_jstr(json_object_get(r->json, "author"), "role"), "seller");
    api_free(r);
    free(cyr);
    c = get_chat(d.buyer.token, chat);
    char *hundred = api_repeat("я", 100);
    ck_assert_str_eq(api_jstr(json_object_get(c, "last_message"), "preview"), hundred);
    free(hundred);
    json_decref(c);

    /* an empty body, no body at all */
    r = api_request("POST", chat_path(path, sizeof path, chat, "/messages"), d.buyer.token, "",
                    NULL, NULL);
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_request("POST", path, d.buyer.token, NULL, NULL, NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    ck_assert_uint_eq(message_count(d.buyer.token, chat), 2);
}
END_TEST

START_TEST(test_messages_paging)
{
    struct deal d;
    json_int_t m[5];
    char q[256];
    deal_open(&d);
    json_int_t chat = product_chat(&d.buyer, d.product);
    for (int i = 0; i < 5; i++) {
        char text[32];
        snprintf(text, sizeof text, "Message number %d", i + 1);
        m[i] = send_ok(i % 2 ? d.seller.token : d.buyer.token, chat, text);
        if (i)
            ck_assert_int_gt(m[i], m[i - 1]);
    }

    /* newest first */
    json_t *page = messages_page(d.buyer.token, chat, "");
    assert_ids(page, m[4], m[3], m[2], m[1], m[0]);
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(page, "items"), 4), "text"),
                     "Message number 1");
    ck_assert_msg(json_is_null(json_object_get(page, "next_cursor")), "one page only");
    json_decref(page);

    /* next_cursor pages down */
    page = messages_page(d.buyer.token, chat, "?limit=2");
    assert_ids(page, m[4], m[3]);
    snprintf(q, sizeof q, "?limit=2&cursor=%s", api_jstr(page, "next_cursor"));
    json_decref(page);
    page = messages_page(d.buyer.token, chat, q);
    assert_ids(page, m[2], m[1]);
    snprintf(q, sizeof q, "?limit=2&cursor=%s", api_jstr(page, "next_cursor"));
    json_decref(page);
    page = messages_page(d.buyer.token, chat, q);
    assert_ids(page, m[0]);
    ck_assert_msg(json_is_null(json_object_get(page, "next_cursor")), "last page has a cursor");
    json_decref(page);

    /* before: older than that message, newest first */
    snprintf(q, sizeof q, "?before=%lld", (long long)m[3]);
    page = messages_page(d.seller.token, chat, q);
    assert_ids(page, m[2], m[1], m[0]);
    json_decref(page);

    /* after: newer than that message, oldest first; its cursor keeps going up */
    snprintf(q, sizeof q, "?after=%lld", (long long)m[1]);
    page = messages_page(d.seller.token, chat, q);
    assert_ids(page, m[2], m[3], m[4]);
    json_decref(page);
    snprintf(q, sizeof q, "?after=%lld&limit=2", (long long)m[0]);
    page = messages_page(d.seller.token, chat, q);
    assert_ids(page, m[1], m[2]);
    snprintf(q, sizeof q, "?limit=2&cursor=%s", api_jstr(page, "next_cursor"));
    json_decref(page);
    page = messages_page(d.seller.token, chat, q);
    assert_ids(page, m[3], m[4]);
    json_decref(page);
    snprintf(q, sizeof q, "?after=%lld", (long long)m[4]);
    page = messages_page(d.seller.token, chat, q);
    ck_assert_uint_eq(json_array_size(json_object_get(page, "items")), 0);
    json_decref(page);

    /* bad queries */
    static const struct {
        const char *q, *field, *code;
    } bad[] = {
        {"?before=1&after=1", "after", "not_allowed"},
        {"?cursor=garbage", "cursor", "invalid_cursor"},
        {"?limit=101", "limit", "out_of_range"},
        {"?limit=0", "limit", "out_of_range"},
        {"?before=abc", "before", "invalid_format"},
        {"?after=-3", "after", "invalid_format"},
        {"?sort=asc", "sort", "unknown_parameter"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "/v1/chats/%lld/messages%s", (long long)chat, bad[i].q);
        struct api_resp *r = api_get(path, d.buyer.token);
        ck_assert_problem(r, 400, "validation_failed");
        if (strcmp(bad[i].field, "sort") != 0)
            assert_field_error(r, bad[i].field, bad[i].code);
        api_free(r);
    }
    /* a cursor of another chat's list is not this list's */
    json_int_t chat2 = posting_chat(&d.buyer, d.pn);
    send_ok(d.buyer.token, chat2, "One");
    send_ok(d.buyer.token, chat2, "Two");
    page = messages_page(d.buyer.token, chat2, "?limit=1");
    snprintf(q, sizeof q, "/v1/chats/%lld/messages?cursor=%s", (long long)chat,
             api_jstr(page, "next_cursor"));
    json_decref(page);
    struct api_resp *r = api_get(q, d.buyer.token);
    assert_field_error(r, "cursor", "invalid_cursor");
    api_free(r);
}
END_TEST

START_TEST(test_read_state_and_awaiting)
{
    struct deal d;
    char path[96];
    deal_open(&d);
    json_int_t chat = product_chat(&d.buyer, d.product);
    json_int_t m1 = send_ok(d.buyer.token, chat, "First question");
    json_int_t m2 = send_ok(d.buyer.token, chat, "Second question");

    /* the seller owes an answer; the buyer does not */
    assert_chat_state(d.seller.token, chat, 2, 1);
    assert_chat_state(d.buyer.token, chat, 0, 0);
    json_t *list = chats_page(d.seller.token, "");
    ck_assert_int_eq(api_jint(list, "total_unread"), 2);
    json_t *it = item_by_id(json_object_get(list, "items"), chat);
    ck_assert_ptr_nonnull(it);
    ck_assert_int_eq(api_jint(it, "unread_count"), 2);
    assert_timestamp(api_jstr(it, "awaiting_reply_since"));
    ck_assert_msg(json_is_false(json_object_get(it, "reply_overdue")), "overdue");
    json_decref(list);
    list = chats_page(d.buyer.token, "");
    ck_assert_int_eq(api_jint(list, "total_unread"), 0);
    json_decref(list);

    /* nothing read yet */
    json_t *page = messages_page(d.buyer.token, chat, "");
    for (size_t i = 0; i < 2; i++)
        ck_assert_msg(
            json_is_false(json_object_get(json_array_get(json_object_get(page, "items"), i),
                                          "read_by_counterpart")),
            "message %zu read too early", i);
    json_decref(page);

    /* the seller reads the first */
    struct api_resp *r = api_postf(chat_path(path, sizeof path, chat, "/read"), d.seller.token,
                                   "{s:I}", "up_to_message_id", m1);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "unread_count"), 1);
    ck_assert_uint_eq(json_object_size(r->json), 1);
    api_free(r);
    page = messages_page(d.buyer.token, chat, "");
    assert_ids(page, m2, m1);
    ck_assert_msg(json_is_false(json_object_get(json_array_get(json_object_get(page, "items"), 0),
                                                "read_by_counterpart")),
                  "m2 is not read yet");
    ck_assert_msg(json_is_true(json_object_get(json_array_get(json_object_get(page, "items"), 1),
                                               "read_by_counterpart")),
                  "m1 is read");
    json_decref(page);

    /* then both; reading is not answering */
    r = api_postf(path, d.seller.token, "{s:I}", "up_to_message_id", m2);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "unread_count"), 0);
    api_free(r);
    assert_chat_state(d.seller.token, chat, 0, 1);
    list = chats_page(d.seller.token, "&unread_only=true");
    ck_assert_uint_eq(json_array_size(json_object_get(list, "items")), 0);
    ck_assert_int_eq(api_jint(list, "total_unread"), 0);
    json_decref(list);
    list = chats_page(d.seller.token, "&awaiting_reply=true");
    ck_assert_ptr_nonnull(item_by_id(json_object_get(list, "items"), chat));
    json_decref(list);

    /* read marks only move forward */
    r = api_postf(path, d.seller.token, "{s:I}", "up_to_message_id", m1);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "unread_count"), 0);
    api_free(r);
    page = messages_page(d.buyer.token, chat, "");
    ck_assert_msg(json_is_true(json_object_get(json_array_get(json_object_get(page, "items"), 0),
                                               "read_by_counterpart")),
                  "m2 became unread again");
    json_decref(page);

    /* the answer clears the seller's awaiting and makes the buyer owe one */
    json_int_t m3 = send_ok(d.seller.token, chat, "Here is the answer");
    assert_chat_state(d.seller.token, chat, 0, 0);
    assert_chat_state(d.buyer.token, chat, 1, 1);
    list = chats_page(d.seller.token, "&awaiting_reply=true");
    ck_assert_ptr_null(item_by_id(json_object_get(list, "items"), chat));
    json_decref(list);
    list = chats_page(d.seller.token, "&awaiting_reply=false");
    ck_assert_ptr_nonnull(item_by_id(json_object_get(list, "items"), chat));
    json_decref(list);
    list = chats_page(d.buyer.token, "&unread_only=true");
    ck_assert_ptr_nonnull(item_by_id(json_object_get(list, "items"), chat));
    ck_assert_int_eq(api_jint(list, "total_unread"), 1);
    json_decref(list);
    /* and the buyer's answer clears the buyer's */
    send_ok(d.buyer.token, chat, "Thank you");
    assert_chat_state(d.buyer.token, chat, 0, 0);
    assert_chat_state(d.seller.token, chat, 1, 1);

    /* a message of another chat, none at all, an unknown one */
    json_int_t other = posting_chat(&d.buyer, d.pn);
    json_int_t foreign = send_ok(d.buyer.token, other, "About the order");
    r = api_postf(path, d.seller.token, "{s:I}", "up_to_message_id", foreign);
    assert_field_error(r, "up_to_message_id", "not_found");
    api_free(r);
    r = api_postf(path, d.seller.token, "{s:I}", "up_to_message_id", (json_int_t)NO_SUCH_ID);
    assert_field_error(r, "up_to_message_id", "not_found");
    api_free(r);
    r = api_postf(path, d.seller.token, "{}");
    assert_field_error(r, "up_to_message_id", "required");
    api_free(r);
    r = api_postf(path, d.seller.token, "{s:s}", "up_to_message_id", "3");
    assert_field_error(r, "up_to_message_id", "wrong_type");
    api_free(r);
    /* nothing moved */
    assert_chat_state(d.seller.token, chat, 1, 1);
    assert_chat_state(d.seller.token, other, 1, 1);
    (void)m3;
}
END_TEST

START_TEST(test_other_persons_chat)
{
    struct deal d;
    struct api_user buyer2, seller2, support;
    char path[96];
    deal_open(&d);
    api_new_user(&buyer2, "buyer");
    api_new_user(&seller2, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t chat = product_chat(&d.buyer, d.product);
    json_int_t m1 = send_ok(d.buyer.token, chat, "Hello there");

    const struct api_user *outsiders[] = {&buyer2, &seller2, &support};
    for (size_t i = 0; i < 3; i++) {
        const char *tok = outsiders[i]->token;
        struct api_resp *r = api_get(chat_path(path, sizeof path, chat, ""), tok);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        r = api_get(chat_path(path, sizeof path, chat, "/messages"), tok);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        r = api_postf(path, tok, "{s:s}", "text", "Intruding");
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        r = api_postf(chat_path(path, sizeof path, chat, "/read"), tok, "{s:I}", "up_to_message_id",
                      m1);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        r = api_post(chat_path(path, sizeof path, chat, "/close"), tok, NULL);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        json_t *it = find_in_list(tok, "", chat);
        ck_assert_msg(it == NULL, "an outsider lists chat %lld", (long long)chat);
    }
    /* the chat is untouched */
    json_t *c = get_chat(d.seller.token, chat);
    ck_assert_str_eq(api_jstr(c, "status"), "open");
    ck_assert_int_eq(api_jint(c, "unread_count"), 1);
    json_decref(c);
    json_t *page = messages_page(d.buyer.token, chat, "");
    assert_ids(page, m1);
    ck_assert_msg(json_is_false(json_object_get(json_array_get(json_object_get(page, "items"), 0),
                                                "read_by_counterpart")),
                  "an outsider's read mark counted");
    json_decref(page);

    /* unknown and non-numeric ids */
    const char *missing[] = {"/v1/chats/999999999", "/v1/chats/abc", "/v1/chats/0", "/v1/chats/-1"};
    for (size_t i = 0; i < 4; i++) {
        struct api_resp *r = api_get(missing[i], d.buyer.token);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        snprintf(path, sizeof path, "%s/messages", missing[i]);
        r = api_get(path, d.buyer.token);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        r = api_postf(path, d.buyer.token, "{s:s}", "text", "Anyone?");
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        snprintf(path, sizeof path, "%s/read", missing[i]);
        r = api_postf(path, d.buyer.token, "{s:I}", "up_to_message_id", m1);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
        snprintf(path, sizeof path, "%s/close", missing[i]);
        r = api_post(path, d.buyer.token, NULL);
        ck_assert_problem(r, 404, "not_found");
        api_free(r);
    }
    /* support never sees buyer–seller chats, nor in its list */
    json_t *it = find_in_list(support.token, "&kind=buyer_seller", chat);
    ck_assert_ptr_null(it);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Content safety and validation
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_content_safety)
{
    struct deal d;
    deal_open(&d);
    json_int_t chat = product_chat(&d.buyer, d.product);
    json_int_t m1 = send_ok(d.buyer.token, chat, "Is it in stock?");
    static const char *const refused[] = {
        "Call me at 89161234567",
        "write me on telegram @ivan_shop",
        "Cheaper here: https://evil.example.com/kettle",
        "my mail is ivan@example.com",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        struct api_resp *r = send_text(i % 2 ? d.seller.token : d.buyer.token, chat, refused[i]);
        ck_assert_problem(r, 422, "content_violation");
        ck_assert_msg(json_array_size(json_object_get(r->json, "violations")) > 0,
                      "no violations: %s", r->body);
        ck_assert_str_eq(
            api_jstr(json_array_get(json_object_get(r->json, "violations"), 0), "field"), "text");
        api_free(r);
    }
    /* nothing stored, nothing delivered */
    json_t *page = messages_page(d.seller.token, chat, "");
    assert_ids(page, m1);
    json_decref(page);
    assert_chat_state(d.seller.token, chat, 1, 1);
    assert_chat_state(d.buyer.token, chat, 0, 0);
}
END_TEST

START_TEST(test_message_validation)
{
    struct deal d;
    char path[96];
    deal_open(&d);
    json_int_t chat = product_chat(&d.buyer, d.product);
    json_int_t m1 = send_ok(d.buyer.token, chat, "Hello");
    chat_path(path, sizeof path, chat, "/messages");
    char *long_text = api_repeat("a", 1001);

    struct api_resp *r = api_postf(path, d.buyer.token, "{}");
    assert_field_error(r, "text", "required");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:[]}", "attachment_ids");
    assert_field_error(r, "text", "required");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s}", "text", long_text);
    assert_field_error(r, "text", "too_long");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s}", "text", "");
    ck_assert_problem(r, 400, "validation_failed");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s}", "text", "   ");
    assert_field_error(r, "text", "too_short");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s}", "text", " \n\t ");
    assert_field_error(r, "text", "too_short");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s}", "text", "\xc2\xa0\xe3\x80\x80\xe2\x80\x8b");
    assert_field_error(r, "text", "too_short"); /* no-break, ideographic, zero-width spaces */
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:i}", "text", 5);
    assert_field_error(r, "text", "wrong_type");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s, s:I}", "text", "Hi", "template_id",
                  (json_int_t)NO_SUCH_ID);
    assert_field_error(r, "template_id", "not_allowed");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s, s:[I, I]}", "text", "Hi", "attachment_ids",
                  (json_int_t)5, (json_int_t)5);
    assert_field_error(r, "attachment_ids[1]", "duplicate");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s, s:[s]}", "text", "Hi", "attachment_ids", "x");
    assert_field_error(r, "attachment_ids[0]", "wrong_type");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:s, s:[I]}", "text", "Hi", "attachment_ids",
                  (json_int_t)NO_SUCH_ID);
    assert_field_error(r, "attachment_ids", "not_found");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:[I]}", "attachment_ids", (json_int_t)NO_SUCH_ID);
    assert_field_error(r, "attachment_ids", "not_found");
    api_free(r);
    r = api_postf(path, d.buyer.token, "{s:[i,i,i,i,i,i,i,i,i,i,i]}", "attachment_ids", 1, 2, 3, 4,
                  5, 6, 7, 8, 9, 10, 11);
    ck_assert_problem(r, 400, "validation_failed");
    ck_assert_msg(api_has_error(r, "attachment_ids", "too_long") ||
                      api_has_error(r, "attachment_ids", "too_many"),
                  "11 attachments: %s", r->body);
    api_free(r);
    /* a template that is not the sender's */
    r = api_postf(path, d.seller.token, "{s:I}", "template_id", (json_int_t)NO_SUCH_ID);
    assert_field_error(r, "template_id", "not_found");
    api_free(r);
    r = api_post(path, d.buyer.token, "{\"text\": ");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_postf(path, NULL, "{s:s}", "text", "Hi");
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    free(long_text);

    /* a null template_id is no template: nothing to send (was a 500) */
    r = api_postf(path, d.seller.token, "{s:n}", "template_id");
    assert_field_error(r, "text", "required");
    api_free(r);
    r = api_postf(path, d.seller.token, "{s:n, s:n}", "text", "attachment_ids");
    assert_field_error(r, "text", "required");
    api_free(r);

    /* nothing stored */
    json_t *page = messages_page(d.buyer.token, chat, "");
    assert_ids(page, m1);
    json_decref(page);
    assert_chat_state(d.seller.token, chat, 1, 1);

    /* null members are absent: text with a null template_id is a plain message */
    r = api_postf(path, d.seller.token, "{s:s, s:n, s:n}", "text", "Hello to you", "template_id",
                  "attachment_ids");
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "text"), "Hello to you");
    api_free(r);
    ck_assert_uint_eq(message_count(d.buyer.token, chat), 2);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Closing
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_close)
{
    struct deal d;
    char path[96];
    deal_open(&d);
    json_int_t chat = product_chat(&d.buyer, d.product);
    json_int_t m1 = send_ok(d.buyer.token, chat, "Hello");
    assert_chat_state(d.seller.token, chat, 1, 1);

    /* the operation's declared body is {} at most (openapi.yaml, NoBody), and it is JSON:
     * anything else is refused and the chat stays open */
    chat_path(path, sizeof path, chat, "/close");
    struct api_resp *r =
        api_request("POST", path, d.buyer.token, "{\"reason\":\"done\"}", NULL, NULL);
    ck_assert_problem(r, 400, "unexpected_body");
    api_free(r);
    r = api_request("POST", path, d.buyer.token, "{}", "text/plain", NULL);
    ck_assert_status(r, 415);
    api_free(r);
    assert_chat_state(d.seller.token, chat, 1, 1);
    r = api_post(path, d.buyer.token, "{}");
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "id"), chat);
    ck_assert_str_eq(api_str(r, "status"), "closed");
    assert_timestamp(api_str(r, "closed_at"));
    char closed_at[32];
    snprintf(closed_at, sizeof closed_at, "%s", api_str(r, "closed_at"));
    api_free(r);

    /* closed for both sides; a closed chat takes no answer, so the seller owes none (it would
     * otherwise turn reply_overdue after 24 hours) */
    json_t *c = get_chat(d.seller.token, chat);
    ck_assert_str_eq(api_jstr(c, "status"), "closed");
    json_decref(c);
    assert_chat_state(d.seller.token, chat, 1, 0);
    json_t *waiting = chats_page(d.seller.token, "&awaiting_reply=true");
    ck_assert_ptr_null(item_by_id(json_object_get(waiting, "items"), chat));
    json_decref(waiting);
    r = send_text(d.seller.token, chat, "Wait, one more thing");
    ck_assert_problem(r, 409, "chat_closed");
    api_free(r);
    r = send_text(d.buyer.token, chat, "Hello again");
    ck_assert_problem(r, 409, "chat_closed");
    api_free(r);
    json_t *page = messages_page(d.seller.token, chat, "");
    assert_ids(page, m1);
    json_decref(page);

    /* closing again: unchanged, also with an empty object body */
    r = api_post(path, d.seller.token, "{}");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "status"), "closed");
    ck_assert_str_eq(api_str(r, "closed_at"), closed_at);
    api_free(r);
    r = api_post(path, d.seller.token, "{not json");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);

    /* the history stays readable and can be marked read */
    r = api_postf(chat_path(path, sizeof path, chat, "/read"), d.seller.token, "{s:I}",
                  "up_to_message_id", m1);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "unread_count"), 0);
    api_free(r);

    /* status filters */
    json_t *list = chats_page(d.buyer.token, "&status=closed");
    ck_assert_ptr_nonnull(item_by_id(json_object_get(list, "items"), chat));
    json_decref(list);
    list = chats_page(d.buyer.token, "&status=open");
    ck_assert_ptr_null(item_by_id(json_object_get(list, "items"), chat));
    json_decref(list);

    /* starting again about the product: a new chat */
    json_int_t again = product_chat(&d.buyer, d.product);
    ck_assert_int_ne(again, chat);
    c = get_chat(d.buyer.token, again);
    ck_assert_str_eq(api_jstr(c, "status"), "open");
    ck_assert_msg(json_is_null(json_object_get(c, "last_message")), "a new chat has no messages");
    json_decref(c);
    send_ok(d.buyer.token, again, "Hello again");
    ck_assert_uint_eq(list_size(d.buyer.token), 2);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Lists
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_list_order_and_filters)
{
    struct deal d;
    char q[256];
    deal_open(&d);
    json_int_t a = product_chat(&d.buyer, d.product);
    json_int_t b = posting_chat(&d.buyer, d.pn);
    json_int_t s = start_expect(api_postf("/v1/chats", d.buyer.token, "{s:s, s:s}", "kind",
                                          "buyer_support", "topic", "General question"),
                                201);

    /* most recent activity first; a message moves a chat to the top */
    json_t *list = chats_page(d.buyer.token, "");
    assert_ids(list, s, b, a);
    json_decref(list);
    send_ok(d.seller.token, a, "News about your product");
    list = chats_page(d.buyer.token, "");
    assert_ids(list, a, s, b);
    json_decref(list);

    /* kind */
    list = chats_page(d.buyer.token, "&kind=buyer_seller");
    assert_ids(list, a, b);
    ck_assert_int_eq(api_jint(list, "total_unread"), 1);
    json_decref(list);
    list = chats_page(d.buyer.token, "&kind=buyer_support");
    assert_ids(list, s);
    ck_assert_int_eq(api_jint(list, "total_unread"), 0);
    json_decref(list);
    list = chats_page(d.buyer.token, "&unread_only=true");
    assert_ids(list, a);
    json_decref(list);

    /* paging with a cursor */
    json_t *page = get_ok(d.buyer.token, "/v1/chats?limit=2");
    assert_ids(page, a, s);
    ck_assert_msg(api_jstr(page, "next_cursor") != NULL, "no next_cursor");
    snprintf(q, sizeof q, "/v1/chats?limit=2&cursor=%s", api_jstr(page, "next_cursor"));
    json_decref(page);
    page = get_ok(d.buyer.token, q);
    assert_ids(page, b);
    ck_assert_msg(json_is_null(json_object_get(page, "next_cursor")), "last page has a cursor");
    json_decref(page);

    /* bad queries */
    static const struct {
        const char *q, *field, *code;
    } bad[] = {
        {"?kind=buyer_chitchat", "kind", "invalid_enum"},
        {"?status=archived", "status", "invalid_enum"},
        {"?unread_only=yes", "unread_only", "invalid_enum"},
        {"?awaiting_reply=1", "awaiting_reply", "invalid_enum"},
        {"?limit=101", "limit", "out_of_range"},
        {"?cursor=garbage", "cursor", "invalid_cursor"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(q, sizeof q, "/v1/chats%s", bad[i].q);
        struct api_resp *r = api_get(q, d.buyer.token);
        assert_field_error(r, bad[i].field, bad[i].code);
        api_free(r);
    }
    struct api_resp *r = api_get("/v1/chats?colour=red", d.buyer.token);
    ck_assert_problem(r, 400, "validation_failed");
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Counters and notifications
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_counters)
{
    struct api_user seller, buyer, support;
    char path[96];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t product = api_make_product(&seller, 1000, 5);
    assert_chat_counts(seller.token, 0, 0, 0);
    assert_chat_counts(buyer.token, 0, 0, 0);

    json_int_t chat = product_chat(&buyer, product);
    json_int_t m1 = send_ok(buyer.token, chat, "Hello, seller");
    send_ok(buyer.token, chat, "Are you there?");
    assert_chat_counts(seller.token, 1, 0, 0);
    assert_chat_counts(buyer.token, 0, 0, 0);

    /* one chat however many messages; reading part of them keeps it unread */
    struct api_resp *r = api_postf(chat_path(path, sizeof path, chat, "/read"), seller.token,
                                   "{s:I}", "up_to_message_id", m1);
    ck_assert_status(r, 200);
    api_free(r);
    assert_chat_counts(seller.token, 1, 0, 0);
    json_int_t last = send_ok(seller.token, chat, "Yes, hello");
    /* sending reads everything before it */
    assert_chat_counts(seller.token, 0, 0, 0);
    assert_chat_counts(buyer.token, 0, 1, 0);
    r = api_postf(path, buyer.token, "{s:I}", "up_to_message_id", last);
    ck_assert_status(r, 200);
    api_free(r);
    assert_chat_counts(buyer.token, 0, 0, 0);

    /* support chats count as customer_service */
    json_int_t sc = start_expect(api_postf("/v1/chats", buyer.token, "{s:s, s:s}", "kind",
                                           "buyer_support", "topic", "A question for support"),
                                 201);
    send_ok(buyer.token, sc, "Hello, support");
    json_int_t reply = send_ok(support.token, sc, "Hello, how can we help?");
    assert_chat_counts(buyer.token, 0, 0, 1);
    r = api_postf(chat_path(path, sizeof path, sc, "/read"), buyer.token, "{s:I}",
                  "up_to_message_id", reply);
    ck_assert_status(r, 200);
    api_free(r);
    assert_chat_counts(buyer.token, 0, 0, 0);

    /* chat messages stay out of the in-app feed */
    assert_feed_empty(buyer.token);
    assert_feed_empty(seller.token);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Anti-spam
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_message_rate_limit)
{
    struct deal d;
    deal_open(&d);
    json_int_t chat = product_chat(&d.buyer, d.product);
    json_int_t other = posting_chat(&d.buyer, d.pn);
    int i;
    /* 30 a minute per user, over all their chats */
    for (i = 0; i < 30; i++) {
        char text[32];
        snprintf(text, sizeof text, "Message %d", i + 1);
        struct api_resp *r = send_text(d.buyer.token, i < 20 ? chat : other, text);
        ck_assert_msg(r->status == 201, "message %d: expected 201, got %ld: %s", i + 1, r->status,
                      r->body);
        api_free(r);
    }
    struct api_resp *r = send_text(d.buyer.token, chat, "Message 31");
    ck_assert_problem(r, 429, "rate_limited");
    assert_retry_after(r, 60);
    api_free(r);
    r = send_text(d.buyer.token, other, "Message 32");
    ck_assert_problem(r, 429, "rate_limited");
    api_free(r);
    ck_assert_uint_eq(message_count(d.buyer.token, chat), 20);
    ck_assert_uint_eq(message_count(d.buyer.token, other), 10);

    /* the limit is per user: the seller still writes */
    send_ok(d.seller.token, chat, "Thanks for all the questions");
}
END_TEST

START_TEST(test_repeat_limit)
{
    struct api_user seller, buyers[11];
    char pn[11][64];
    json_int_t chats[11];
    const char *spam = "Leave us five stars and get a gift with your next order!";
    api_new_user(&seller, "seller");
    json_int_t product = api_make_product(&seller, 1000, 20);
    for (int i = 0; i < 11; i++) {
        api_new_user(&buyers[i], "buyer");
        order_of(&buyers[i], product, pn[i], sizeof pn[i]);
        chats[i] = start_expect(api_postf("/v1/chats", seller.token, "{s:s, s:s, s:s}", "kind",
                                          "buyer_seller", "posting_number", pn[i], "reason",
                                          "order_details"),
                                201);
    }
    for (int i = 0; i < 10; i++)
        send_ok(seller.token, chats[i], spam);
    /* the 11th buyer would be the 11th to get the same text within the hour */
    struct api_resp *r = send_text(seller.token, chats[10], spam);
    ck_assert_problem(r, 429, "rate_limited");
    assert_retry_after(r, 3600);
    api_free(r);
    ck_assert_uint_eq(message_count(buyers[10].token, chats[10]), 0);
    json_t *c = get_chat(buyers[10].token, chats[10]);
    ck_assert_int_eq(api_jint(c, "unread_count"), 0);
    json_decref(c);
    /* another text is fine */
    send_ok(seller.token, chats[10], "Your order is packed and ready.");
    ck_assert_uint_eq(message_count(buyers[10].token, chats[10]), 1);
    /* and the same text once more to a buyer who already has it: 9 other buyers */
    send_ok(seller.token, chats[0], spam);
    /* the spam saved as a template is still the same text to an 11th buyer */
    char path[64];
    r = api_postf("/v1/templates", seller.token, "{s:s, s:s}", "title", "Promo", "text", spam);
    ck_assert_status(r, 201);
    json_int_t same = api_int(r, "id");
    api_free(r);
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chats[10]);
    r = api_postf(path, seller.token, "{s:I}", "template_id", same);
    ck_assert_problem(r, 429, "rate_limited");
    api_free(r);
    /* a personalised canned reply is what a seller sends to many buyers on purpose: even
     * where two buyers have the same name and so get the same words, it is not limited */
    r = api_postf("/v1/templates", seller.token, "{s:s, s:s}", "title", "Thanks", "text",
                  "Thank you for your order, {buyer_name}!");
    ck_assert_status(r, 201);
    json_int_t tpl = api_int(r, "id");
    api_free(r);
    for (int i = 0; i < 11; i++) {
        snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chats[i]);
        r = api_postf(path, seller.token, "{s:I}", "template_id", tpl);
        ck_assert_status(r, 201);
        ck_assert_str_eq(api_str(r, "text"), "Thank you for your order, Test User!");
        api_free(r);
    }
}
END_TEST

/* A name of 100 characters in a wide script (up to 400 bytes) still fits the notification: it
 * is cut at a character, never inside one (PostgreSQL refused the message with a 500). */
START_TEST(test_wide_display_name)
{
    struct api_user buyer, seller;
    char *name = api_repeat("\xe6\xbc\xa2", 100); /* 漢 */
    api_new_user_named(&buyer, "buyer", name);
    api_new_user(&seller, "seller");
    json_int_t chat =
        start_expect(api_postf("/v1/chats", buyer.token, "{s:s, s:I}", "kind", "buyer_seller",
                               "product_id", (json_int_t)api_make_product(&seller, 1000, 5)),
                     201);
    send_ok(buyer.token, chat, "Is it available in blue?");
    ck_assert_uint_eq(message_count(seller.token, chat), 1);
    free(name);
}
END_TEST

/* The seller's default templates fill their placeholders from the chat; a placeholder the chat
 * has no value for, and another seller's template, are refused with nothing sent. */
START_TEST(test_template_messages)
{
    struct deal d;
    struct api_user other;
    char want[256];
    deal_open(&d);
    api_new_user(&other, "seller");
    struct api_resp *r = api_get("/v1/templates", d.seller.token);
    ck_assert_status(r, 200);
    json_int_t packed = 0, others = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(r->json, "items"), i, t)
    {
        if (strcmp(api_jstr(t, "title"), "Order packed and handed to delivery") == 0)
            packed = api_jint(t, "id");
    }
    api_free(r);
    ck_assert_msg(packed > 0, "the default template is missing");
    r = api_get("/v1/templates", other.token);
    others = api_jint(json_array_get(json_object_get(r->json, "items"), 0), "id");
    api_free(r);

    json_int_t about_posting =
        start_expect(api_postf("/v1/chats", d.seller.token, "{s:s, s:s, s:s}", "kind",
                               "buyer_seller", "posting_number", d.pn, "reason", "order_details"),
                     201);
    char path[64];
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)about_posting);
    r = api_postf(path, d.seller.token, "{s:I}", "template_id", packed);
    ck_assert_status(r, 201);
    snprintf(want, sizeof want,
             "Hello, Test User! Your order %s is packed and has been handed to the delivery "
             "service. You can follow it in your orders.",
             d.pn);
    ck_assert_str_eq(api_str(r, "text"), want);
    api_free(r);

    r = api_postf(path, d.seller.token, "{s:I}", "template_id", others);
    assert_field_error(r, "template_id", "not_found");
    api_free(r);

    /* a chat about a product has no posting number */
    json_int_t about_product =
        start_expect(api_postf("/v1/chats", d.buyer.token, "{s:s, s:I}", "kind", "buyer_seller",
                               "product_id", d.product),
                     201);
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)about_product);
    r = api_postf(path, d.seller.token, "{s:I}", "template_id", packed);
    assert_field_error(r, "template_id", "placeholder_unavailable");
    api_free(r);
    ck_assert_uint_eq(message_count(d.buyer.token, about_product), 0);
    ck_assert_uint_eq(message_count(d.buyer.token, about_posting), 1);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Idempotency-Key
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_idempotent_send)
{
    struct deal d;
    char path[96], key[64], header[128];
    deal_open(&d);
    json_int_t chat = product_chat(&d.buyer, d.product);
    chat_path(path, sizeof path, chat, "/messages");
    snprintf(header, sizeof header, "Idempotency-Key: %s", api_unique("msg-", key, sizeof key));
    const char *body = "{\"text\":\"Is it still available?\"}";

    struct api_resp *first = api_request("POST", path, d.buyer.token, body, NULL, header);
    ck_assert_status(first, 201);
    char *replayed = api_header(first, "Idempotent-Replayed");
    ck_assert_msg(replayed == NULL, "the first answer is not a replay");
    struct api_resp *again = api_request("POST", path, d.buyer.token, body, NULL, header);
    ck_assert_status(again, 201);
    replayed = api_header(again, "Idempotent-Replayed");
    ck_assert_msg(replayed && strcmp(replayed, "true") == 0, "Idempotent-Replayed: %s",
                  replayed ? replayed : "(none)");
    free(replayed);
    ck_assert_int_eq(api_int(again, "id"), api_int(first, "id"));
    ck_assert_str_eq(api_str(again, "text"), api_str(first, "text"));
    ck_assert_uint_eq(message_count(d.buyer.token, chat), 1);
    assert_chat_state(d.seller.token, chat, 1, 1);

    /* the same key with another body */
    struct api_resp *r =
        api_request("POST", path, d.buyer.token, "{\"text\":\"Something else\"}", NULL, header);
    ck_assert_problem(r, 422, "idempotency_key_reused");
    api_free(r);
    /* the same key in another chat is another request */
    json_int_t other = posting_chat(&d.buyer, d.pn);
    char opath[96];
    r = api_request("POST", chat_path(opath, sizeof opath, other, "/messages"), d.buyer.token, body,
                    NULL, header);
    ck_assert_status(r, 201);
    ck_assert_int_ne(api_int(r, "id"), api_int(first, "id"));
    ck_assert_int_eq(api_int(r, "chat_id"), other);
    api_free(r);
    ck_assert_uint_eq(message_count(d.buyer.token, chat), 1);
    ck_assert_uint_eq(message_count(d.buyer.token, other), 1);
    api_free(first);
    api_free(again);
}
END_TEST

START_TEST(test_idempotent_start)
{
    struct api_user buyer;
    char key[64], header[128];
    api_new_user(&buyer, "buyer");
    snprintf(header, sizeof header, "Idempotency-Key: %s", api_unique("chat-", key, sizeof key));
    const char *body = "{\"kind\":\"buyer_support\",\"topic\":\"Account question\"}";
    struct api_resp *a = api_request("POST", "/v1/chats", buyer.token, body, NULL, header);
    ck_assert_status(a, 201);
    struct api_resp *b = api_request("POST", "/v1/chats", buyer.token, body, NULL, header);
    ck_assert_status(b, 201);
    ck_assert_int_eq(api_int(b, "id"), api_int(a, "id"));
    char *replayed = api_header(b, "Idempotent-Replayed");
    ck_assert_msg(replayed && strcmp(replayed, "true") == 0, "not replayed");
    free(replayed);
    api_free(a);
    api_free(b);
    ck_assert_uint_eq(list_size(buyer.token), 1);
}
END_TEST

Suite *chats_suite(void)
{
    Suite *s = suite_create("chats");
    TCase *tc = api_tcase("start");
    tcase_add_test(tc, test_buyer_starts_about_product);
    tcase_add_test(tc, test_buyer_start_refusals);
    tcase_add_test(tc, test_seller_starts_about_posting);
    tcase_add_test(tc, test_seller_start_refusals);
    tcase_add_test(tc, test_seller_window);
    tcase_add_test(tc, test_role_refusals);
    tcase_add_test(tc, test_idempotent_start);
    suite_add_tcase(s, tc);

    tc = api_tcase("support");
    tcase_add_test(tc, test_buyer_support_chat);
    tcase_add_test(tc, test_support_chat_refusals);
    tcase_add_test(tc, test_support_opens_chat_with_user);
    suite_add_tcase(s, tc);

    tc = api_tcase("messages");
    tcase_add_test(tc, test_send_message_shape);
    tcase_add_test(tc, test_messages_paging);
    tcase_add_test(tc, test_read_state_and_awaiting);
    tcase_add_test(tc, test_other_persons_chat);
    tcase_add_test(tc, test_content_safety);
    tcase_add_test(tc, test_message_validation);
    tcase_add_test(tc, test_close);
    tcase_add_test(tc, test_list_order_and_filters);
    tcase_add_test(tc, test_idempotent_send);
    tcase_add_test(tc, test_template_messages);
    tcase_add_test(tc, test_wide_display_name);
    suite_add_tcase(s, tc);

    tc = api_tcase("counters");
    tcase_add_test(tc, test_counters);
    suite_add_tcase(s, tc);

    tc = api_tcase("anti-spam");
    tcase_add_test(tc, test_message_rate_limit);
    tcase_add_test(tc, test_repeat_limit);
    suite_add_tcase(s, tc);
    return s;
}
