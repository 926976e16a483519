/* API tests of the event log's catch-up feed, GET /v1/events, against the real server at
 * $SD_BASE_URL: which changes append which events for whom (a chat message, a read mark, a
 * posting's status, a closed chat, a notified change), positions counting up by one, paging
 * with after and limit, the types filter, nobody seeing another account's events, bad input,
 * and many concurrent changes to one account read back gap-free and exactly once.
 *
 * Every test uses fresh accounts, so positions start at 1. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "dispute_fixtures.h"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

/* GET /v1/events?<query> as token, expecting 200; the answer (the caller frees it). */
static struct api_resp *feed(const char *token, const char *query)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/events%s%s", query[0] ? "?" : "", query);
    struct api_resp *r = api_get(path, token);
    ck_assert_status(r, 200);
    ck_assert(json_is_array(json_object_get(r->json, "items")));
    ck_assert(json_is_integer(json_object_get(r->json, "next_after")));
    return r;
}

/* The item of the page of that type (the first), or NULL. */
static json_t *item_of(const struct api_resp *r, const char *type)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
    {
        if (strcmp(api_jstr(it, "type"), type) == 0)
            return it;
    }
    return NULL;
}

static size_t count_of(const struct api_resp *r, const char *type)
{
    size_t i, n = 0;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it) n +=
        strcmp(api_jstr(it, "type"), type) == 0;
    return n;
}

/* Every item of a page: ids from first up by one, and the envelope's members. */
static void assert_page_shape(const struct api_resp *r, json_int_t first, int64_t account)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
    {
        ck_assert_int_eq(api_jint(it, "id"), first + (json_int_t)i);
        assert_timestamp(api_jstr(it, "created_at"));
        json_t *data = json_object_get(it, "data");
        ck_assert(json_is_object(data));
        ck_assert_str_eq(api_jstr(data, "type"), api_jstr(it, "type"));
        ck_assert_int_eq(api_jint(data, "account"), account);
        assert_timestamp(api_jstr(data, "occurred_at"));
    }
}

static json_int_t start_chat(const struct api_user *buyer, json_int_t product)
{
    struct api_resp *r = api_postf("/v1/chats", buyer->token, "{s:s, s:I}", "kind", "buyer_seller",
                                   "product_id", product);
    ck_assert_msg(r->status == 201 || r->status == 200, "chat start: %ld %s", r->status, r->body);
    json_int_t id = api_int(r, "id");
    api_free(r);
    return id;
}

/* Sends text to the chat; the message id. */
static json_int_t say(const char *token, json_int_t chat, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)chat);
    struct api_resp *r = api_postf(path, token, "{s:s}", "text", text);
    ck_assert_status(r, 201);
    json_int_t id = api_int(r, "id");
    api_free(r);
    return id;
}

/* ---------------------------------------------------------------------------------------------
 * What appends what, for whom
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_chat_events_reach_the_other_side)
{
    struct api_user seller, buyer;
    char path[96];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t product = api_make_product(&seller, 1000, 10);
    json_int_t chat = start_chat(&buyer, product);
    json_int_t msg = say(buyer.token, chat, "Hello, is the blue one still available?");

    /* the seller hears of the buyer's message; the buyer, who wrote it, does not */
    struct api_resp *r = feed(seller.token, "");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    assert_page_shape(r, 1, seller.id);
    json_t *it = item_of(r, "message.created");
    ck_assert_ptr_nonnull(it);
    json_t *data = json_object_get(it, "data");
    ck_assert_int_eq(api_jint(data, "chat_id"), chat);
    ck_assert_int_eq(api_jint(data, "message_id"), msg);
    ck_assert_int_eq(api_jint(data, "author_id"), buyer.id);
    ck_assert_str_eq(api_jstr(json_object_get(data, "message"), "text"),
                     "Hello, is the blue one still available?");
    ck_assert_int_eq(api_int(r, "next_after"), 1);
    api_free(r);
    r = feed(buyer.token, "");
    ck_assert_int_eq(count_of(r, "message.created"), 0);
    api_free(r);

    /* the seller reads it: the buyer hears of it */
    snprintf(path, sizeof path, "/v1/chats/%lld/read", (long long)chat);
    r = api_postf(path, seller.token, "{s:I}", "up_to_message_id", msg);
    ck_assert_status(r, 200);
    api_free(r);
    r = feed(buyer.token, "");
    it = item_of(r, "message.read");
    ck_assert_ptr_nonnull(it);
    ck_assert_int_eq(api_jint(it, "id"), 1);
    ck_assert_int_eq(api_jint(json_object_get(it, "data"), "up_to_message_id"), msg);
    ck_assert_int_eq(api_jint(json_object_get(it, "data"), "reader_id"), seller.id);
    api_free(r);
    /* reading it again moves nothing: no news (the close below is the buyer's position 2) */
    r = api_postf(path, seller.token, "{s:I}", "up_to_message_id", msg);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "unread_count"), 0);
    api_free(r);
    r = feed(buyer.token, "");
    ck_assert_int_eq(count_of(r, "message.read"), 1);
    api_free(r);

    /* the buyer closes it: both sides hear of it, once; closing again is no news */
    snprintf(path, sizeof path, "/v1/chats/%lld/close", (long long)chat);
    r = api_post(path, buyer.token, NULL);
    ck_assert_status(r, 200);
    api_free(r);
    r = api_post(path, buyer.token, NULL);
    ck_assert_status(r, 200);
    api_free(r);
    const struct api_user *both[] = {&seller, &buyer};
    for (int k = 0; k < 2; k++) {
        r = feed(both[k]->token, "");
        ck_assert_int_eq(count_of(r, "chat.closed"), 1);
        it = item_of(r, "chat.closed");
        ck_assert_int_eq(api_jint(it, "id"), 2);
        ck_assert_int_eq(api_jint(json_object_get(it, "data"), "closed_by"), buyer.id);
        ck_assert_str_eq(api_jstr(json_object_get(json_object_get(it, "data"), "chat"), "status"),
                         "closed");
        assert_page_shape(r, 1, both[k]->id);
        api_free(r);
    }
}
END_TEST

START_TEST(test_posting_status_reaches_both_parties)
{
    struct api_user seller, buyer;
    char path[128];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t product = api_make_product(&seller, 1000, 10);
    struct api_resp *r = api_postf("/v1/orders", buyer.token, "{s:[{s:I, s:i}]}", "items",
                                   "product_id", product, "quantity", 1);
    ck_assert_status(r, 201);
    char pn[64];
    snprintf(pn, sizeof pn, "%s",
             api_jstr(json_array_get(json_object_get(r->json, "postings"), 0), "posting_number"));
    api_free(r);
    snprintf(path, sizeof path, "/v1/postings/%s/status", pn);
    r = api_postf(path, seller.token, "{s:s}", "status", "delivering");
    ck_assert_status(r, 200);
    api_free(r);
    const struct api_user *both[] = {&seller, &buyer};
    for (int k = 0; k < 2; k++) {
        r = feed(both[k]->token, "types=posting.status_changed");
        ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
        json_t *data = json_object_get(item_of(r, "posting.status_changed"), "data");
        ck_assert_str_eq(api_jstr(data, "posting_number"), pn);
        ck_assert_str_eq(api_jstr(data, "status"), "delivering");
        ck_assert_str_eq(api_jstr(data, "previous_status"), "awaiting_packaging");
        ck_assert_int_eq(api_jint(data, "changed_by"), seller.id);
        ck_assert_str_eq(api_jstr(json_object_get(data, "posting"), "status"), "delivering");
        api_free(r);
    }
}
END_TEST

/* a change the product notifies about is in the log too: a published question */
START_TEST(test_notified_change_is_an_event)
{
    struct api_user seller, buyer;
    char path[64];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    json_int_t product = api_make_product(&seller, 1000, 10);
    snprintf(path, sizeof path, "/v1/products/%lld/questions", (long long)product);
    struct api_resp *r = api_postf(path, buyer.token, "{s:s}", "text", "Which sizes are in stock?");
    ck_assert_status(r, 201);
    json_int_t q = api_int(r, "id");
    api_free(r);
    r = feed(seller.token, "types=question.new");
    json_t *it = item_of(r, "question.new");
    ck_assert_ptr_nonnull(it);
    ck_assert_int_eq(api_jint(json_object_get(it, "data"), "question_id"), q);
    ck_assert_int_eq(api_jint(json_object_get(it, "data"), "product_id"), product);
    ck_assert_ptr_nonnull(api_jstr(json_object_get(it, "data"), "title"));
    /* with the question as the change left it, as the seller sees it: no moderation */
    json_t *question = json_object_get(json_object_get(it, "data"), "question");
    ck_assert(json_is_object(question));
    ck_assert_int_eq(api_jint(question, "id"), q);
    ck_assert_str_eq(api_jstr(question, "text"), "Which sizes are in stock?");
    ck_assert_int_eq(api_jint(json_object_get(question, "product"), "id"), product);
    ck_assert(json_is_null(json_object_get(question, "moderation")));
    api_free(r);
}
END_TEST

/* and a dispute: its opening reaches the seller, a move by the seller the buyer */
START_TEST(test_dispute_events)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    struct api_resp *r = feed(w.seller.token, "types=dispute.opened,dispute.updated");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    json_t *data = json_object_get(item_of(r, "dispute.opened"), "data");
    ck_assert_int_eq(api_jint(data, "dispute_id"), id);
    ck_assert_str_eq(api_jstr(data, "posting_number"), w.pn);
    ck_assert_str_eq(api_jstr(data, "state"), "awaiting_seller");
    /* the dispute itself, as the seller's side saw it then */
    json_t *d = json_object_get(data, "dispute");
    ck_assert_int_eq(api_jint(d, "id"), id);
    ck_assert_str_eq(api_jstr(d, "state"), "awaiting_seller");
    ck_assert_int_eq(api_jint(d, "seller_id"), w.seller.id);
    api_free(r);
    /* a message in its thread reaches the other party, as posted, and not its author */
    r = dp_post_to(w.seller.token, id, "/messages",
                   json_pack("{s:s}", "text", "We can send a replacement lid."));
    ck_assert_status(r, 201);
    json_int_t msg = api_int(r, "id");
    api_free(r);
    r = feed(w.buyer.token, "types=dispute.message_created");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    data = json_object_get(item_of(r, "dispute.message_created"), "data");
    ck_assert_int_eq(api_jint(data, "dispute_id"), id);
    ck_assert_int_eq(api_jint(data, "message_id"), msg);
    ck_assert_int_eq(api_jint(data, "author_id"), w.seller.id);
    ck_assert_str_eq(api_jstr(json_object_get(data, "message"), "text"),
                     "We can send a replacement lid.");
    api_free(r);
    r = feed(w.seller.token, "types=dispute.message_created");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
    api_free(r);
    json_decref(dp_act_ok(w.seller.token, id, "accept", NULL));
    r = feed(w.buyer.token, "types=dispute.opened,dispute.updated");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 1);
    data = json_object_get(item_of(r, "dispute.updated"), "data");
    ck_assert_int_eq(api_jint(data, "dispute_id"), id);
    ck_assert_str_eq(api_jstr(data, "state"), "accepted");
    ck_assert_str_eq(api_jstr(json_object_get(data, "dispute"), "state"), "accepted");
    ck_assert(json_is_false(json_object_get(json_object_get(data, "dispute"), "open")));
    api_free(r);
    /* the buyer's log also holds the posting's moves to delivered, before the dispute */
    r = feed(w.buyer.token, "types=posting.status_changed");
    ck_assert_int_ge(json_array_size(json_object_get(r->json, "items")), 1);
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Paging, filter, privacy
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_paging_and_types)
{
    struct api_user seller, buyer, other;
    char path[96];
    api_new_user(&seller, "seller");
    api_new_user(&buyer, "buyer");
    api_new_user(&other, "buyer");
    json_int_t product = api_make_product(&seller, 1000, 10);
    json_int_t chat = start_chat(&buyer, product);
    json_int_t last = 0;
    for (int i = 0; i < 5; i++)
        last = say(buyer.token, chat, i % 2 ? "Any news about my parcel?" : "Thank you so much!");
    /* the buyer's mark is at their own last message already: a reply moves it (the seller's
     * own message is not in the seller's log) */
    last = say(seller.token, chat, "It ships tomorrow.");
    snprintf(path, sizeof path, "/v1/chats/%lld/read", (long long)chat);
    struct api_resp *r = api_postf(path, buyer.token, "{s:I}", "up_to_message_id", last);
    ck_assert_status(r, 200);
    api_free(r);
    snprintf(path, sizeof path, "/v1/chats/%lld/close", (long long)chat);
    r = api_post(path, seller.token, NULL);
    ck_assert_status(r, 200);
    api_free(r);
    /* the seller: 5 messages, the buyer's read mark, the closing = positions 1..7 */
    json_int_t after = 0;
    int pages = 0;
    for (;;) {
        char q[64];
        snprintf(q, sizeof q, "after=%lld&limit=3", (long long)after);
        r = feed(seller.token, q);
        size_t n = json_array_size(json_object_get(r->json, "items"));
        if (n == 0) {
            ck_assert_int_eq(api_int(r, "next_after"), after);
            api_free(r);
            break;
        }
        assert_page_shape(r, after + 1, seller.id);
        ck_assert_int_le(n, 3);
        after = api_int(r, "next_after");
        ck_assert_int_eq(after,
                         api_jint(json_array_get(json_object_get(r->json, "items"), n - 1), "id"));
        api_free(r);
        pages++;
    }
    ck_assert_int_eq(after, 7);
    ck_assert_int_eq(pages, 3);
    /* the filter: only those types, their own positions kept */
    r = feed(seller.token, "types=message.read,chat.closed");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "items"), 0), "id"), 6);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "items"), 1), "id"), 7);
    ck_assert_int_eq(api_int(r, "next_after"), 7);
    api_free(r);
    r = feed(seller.token, "types=message.created&after=3");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
    assert_page_shape(r, 4, seller.id);
    api_free(r);
    /* the default limit covers them all */
    r = feed(seller.token, "");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 7);
    api_free(r);
    /* another account sees none of it, from any position */
    const char *queries[] = {"", "after=0&limit=500", "types=message.created"};
    for (size_t i = 0; i < 3; i++) {
        r = feed(other.token, queries[i]);
        ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 0);
        ck_assert_int_eq(api_int(r, "next_after"), 0);
        api_free(r);
    }
    /* and the buyer only its own: the seller's reply at 1, the closing at 2 */
    r = feed(buyer.token, "");
    ck_assert_int_eq(json_array_size(json_object_get(r->json, "items")), 2);
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(r->json, "items"), 0), "type"),
                     "message.created");
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(r->json, "items"), 1), "type"),
                     "chat.closed");
    assert_page_shape(r, 1, buyer.id);
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Bad input
 * ------------------------------------------------------------------------------------------- */

static const struct {
    const char *query, *field, *code;
} bad[] = {
    {"after=-1", "after", "out_of_range"},
    {"after=abc", "after", "out_of_range"},
    {"after=1.5", "after", "out_of_range"},
    {"after=", "after", "out_of_range"},
    {"after=99999999999999999999", "after", "out_of_range"},
    {"types=nope", "types", "invalid_enum"},
    {"types=message.created,", "types", "invalid_enum"},
    {"types=", "types", "invalid_enum"},
    {"types=message.created,MESSAGE.READ", "types", "invalid_enum"},
    {"limit=0", "limit", "out_of_range"},
    {"limit=501", "limit", "out_of_range"},
    {"limit=-5", "limit", "out_of_range"},
    {"limit=ten", "limit", "out_of_range"},
};

START_TEST(test_bad_input)
{
    struct api_user u;
    char path[128];
    api_new_user(&u, "buyer");
    snprintf(path, sizeof path, "/v1/events?%s", bad[_i].query);
    struct api_resp *r = api_get(path, u.token);
    assert_field_error(r, bad[_i].field, bad[_i].code);
    api_free(r);
}
END_TEST

START_TEST(test_unknown_parameter_and_anonymous)
{
    struct api_user u;
    api_new_user(&u, "seller");
    struct api_resp *r = api_get("/v1/events?cursor=abc", u.token);
    ck_assert_problem(r, 400, "validation_failed");
    api_free(r);
    r = api_get("/v1/events", NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    /* every role may read its own */
    struct api_user support;
    api_demo_user(&support, "support@demo.sellerdesk.dev");
    r = api_get("/v1/events?limit=1", support.token);
    ck_assert_status(r, 200);
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Concurrency: no event lost, none twice
 * ------------------------------------------------------------------------------------------- */

#define RACE_THREADS           8
#define RACE_BUYERS_PER_THREAD 50
/* under the chat rate limit of 30 messages a minute per sender: 10,000 changes in all; under
 * valgrind (every request some 50 times slower) scripts/test.sh asks for fewer with
 * SD_EVENTS_MESSAGES_PER_BUYER */
#define RACE_MESSAGES_MAX 25

static int race_messages(void)
{
    const char *v = getenv("SD_EVENTS_MESSAGES_PER_BUYER");
    int n = v ? atoi(v) : RACE_MESSAGES_MAX;
    return n >= 1 && n <= RACE_MESSAGES_MAX ? n : RACE_MESSAGES_MAX;
}

static atomic_int race_finished;

struct race_buyer {
    struct api_user user;
    json_int_t chat;
};

struct racer {
    struct race_buyer *buyers; /* RACE_BUYERS_PER_THREAD of them */
    pthread_barrier_t *start;
    int failed;
    char why[256];
};

/* Sends the thread's messages, its buyers taking turns: chats of one seller written at once. */
static void *race(void *arg)
{
    struct racer *r = arg;
    char path[64];
    pthread_barrier_wait(r->start);
    for (int m = 0, nm = race_messages(); m < nm && !r->failed; m++)
        for (int b = 0; b < RACE_BUYERS_PER_THREAD && !r->failed; b++) {
            snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)r->buyers[b].chat);
            struct api_resp *resp =
                api_postf(path, r->buyers[b].user.token, "{s:s}", "text", "Is it still there?");
            if (resp->status != 201) {
                r->failed = 1;
                snprintf(r->why, sizeof r->why, "%ld %s", resp->status,
                         resp->body ? resp->body : "");
            }
            api_free(resp);
        }
    atomic_fetch_add(&race_finished, 1);
    return NULL;
}

START_TEST(test_concurrent_changes_read_back_exactly_once)
{
    static struct race_buyer buyers[RACE_THREADS * RACE_BUYERS_PER_THREAD];
    struct racer racers[RACE_THREADS];
    pthread_t t[RACE_THREADS];
    pthread_barrier_t start;
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_int_t product = api_make_product(&seller, 1000, 10);
    for (size_t i = 0; i < RACE_THREADS * RACE_BUYERS_PER_THREAD; i++) {
        api_new_user(&buyers[i].user, "buyer");
        buyers[i].chat = start_chat(&buyers[i].user, product);
    }
    /* a reader pages while the writers write: each page goes on exactly from the last
     * position, so a gap it passed over could never be filled in later */
    pthread_barrier_init(&start, NULL, RACE_THREADS + 1);
    for (int k = 0; k < RACE_THREADS; k++) {
        racers[k] = (struct racer){&buyers[k * RACE_BUYERS_PER_THREAD], &start, 0, ""};
        ck_assert_int_eq(pthread_create(&t[k], NULL, race, &racers[k]), 0);
    }
    pthread_barrier_wait(&start);
    /* a promotion starting meanwhile for every seller may take positions too: positions are
     * checked whatever their type, and the messages counted */
    const json_int_t race_total = RACE_THREADS * RACE_BUYERS_PER_THREAD * race_messages();
    json_int_t after = 0, messages = 0;
    for (;;) {
        char q[64];
        /* read before the page: when every writer had finished, an empty page is the end */
        int done = atomic_load(&race_finished) == RACE_THREADS;
        snprintf(q, sizeof q, "after=%lld&limit=%d", (long long)after, done ? 500 : 37);
        struct api_resp *r = feed(seller.token, q);
        json_t *items = json_object_get(r->json, "items");
        size_t i, n = json_array_size(items);
        json_t *it;
        json_array_foreach(items, i, it)
        {
            /* each position once, none skipped: a gap passed over could never be filled */
            json_int_t id = api_jint(it, "id");
            ck_assert_int_eq(id, after + 1);
            messages += strcmp(api_jstr(it, "type"), "message.created") == 0;
            after = id;
        }
        ck_assert_int_eq(api_int(r, "next_after"), after);
        api_free(r);
        if (messages == race_total || (done && n == 0))
            break;
    }
    for (int k = 0; k < RACE_THREADS; k++)
        pthread_join(t[k], NULL);
    pthread_barrier_destroy(&start);
    for (int k = 0; k < RACE_THREADS; k++)
        ck_assert_msg(!racers[k].failed, "a writer failed: %s", racers[k].why);
    ck_assert_int_eq(messages, race_total);
    struct api_resp *r = feed(seller.token, "after=0&limit=1");
    ck_assert_int_eq(api_int(r, "next_after"), 1);
    api_free(r);
}
END_TEST

Suite *events_suite(void)
{
    Suite *s = suite_create("events");
    TCase *tc = api_tcase("events");
    tcase_add_test(tc, test_chat_events_reach_the_other_side);
    tcase_add_test(tc, test_posting_status_reaches_both_parties);
    tcase_add_test(tc, test_notified_change_is_an_event);
    tcase_add_test(tc, test_dispute_events);
    tcase_add_test(tc, test_paging_and_types);
    tcase_add_loop_test(tc, test_bad_input, 0, N_CASES(bad));
    tcase_add_test(tc, test_unknown_parameter_and_anonymous);
    suite_add_tcase(s, tc);
    TCase *race_tc = api_tcase("events_concurrent");
    /* ten thousand writes: minutes under valgrind */
    tcase_set_timeout(race_tc, 600);
    tcase_add_test(race_tc, test_concurrent_changes_read_back_exactly_once);
    suite_add_tcase(s, race_tc);
    return s;
}
