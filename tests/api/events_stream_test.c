/* API tests of the live event stream, GET /v1/events/stream, against the real server at
 * $SD_BASE_URL (started by scripts/test.sh with SELLERDESK_STREAM_HEARTBEAT_S=1): the backlog
 * after Last-Event-ID or after= exactly, the types filter, heartbeats, a live event, nobody
 * else's events, and the refusals (401, 403 for a key without events:read, 400).
 * events_stream_processes: the stream on $SD_BASE_URL, the change made through $SD_OTHER_URL,
 * seen within a second. events_stream_limit: a server with SELLERDESK_MAX_STREAMS=$SD_MAX_STREAMS
 * ($SD_BASE_URL) refuses one stream more at once, and keeps answering other requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client.h"
#include "sse_client.h"

#define STREAM "/v1/events/stream"
#define MAX_EV 64

struct party {
    struct api_user seller, buyer;
    json_int_t chat;
};

/* A seller and a buyer in a chat about the seller's product; nothing in the seller's log yet. */
static void party_new(struct party *p)
{
    api_new_user(&p->seller, "seller");
    api_new_user(&p->buyer, "buyer");
    json_int_t product = api_make_product(&p->seller, 1000, 10);
    struct api_resp *r = api_postf("/v1/chats", p->buyer.token, "{s:s, s:I}", "kind",
                                   "buyer_seller", "product_id", product);
    ck_assert_msg(r->status == 201 || r->status == 200, "chat: %ld %s", r->status, r->body);
    p->chat = api_int(r, "id");
    api_free(r);
}

/* The buyer writes: one message.created in the seller's log. base NULL: $SD_BASE_URL. */
static void say(const struct party *p, const char *base)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/chats/%lld/messages", (long long)p->chat);
    if (!base) {
        struct api_resp *r = api_postf(path, p->buyer.token, "{s:s}", "text", "Is it in stock?");
        ck_assert_status(r, 201);
        api_free(r);
        return;
    }
    long st =
        sse_request(base, "POST", path, p->buyer.token, "{\"text\":\"Is it in stock?\"}", NULL);
    ck_assert_int_eq(st, 201);
}

/* The stream's events so far: their count; ids, types and each data line's JSON checked. */
static int events_of(struct sse *s, int64_t *ids, char types[][48], int64_t account)
{
    const char *t[MAX_EV], *d[MAX_EV];
    char *body = sse_body(s), *copy;
    int n = sse_parse(body, ids, t, d, MAX_EV, &copy);
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(t[i]);
        ck_assert_ptr_nonnull(d[i]);
        snprintf(types[i], 48, "%s", t[i]);
        json_error_t err;
        json_t *item = json_loads(d[i], 0, &err);
        ck_assert_msg(item != NULL, "data is not JSON: %s", d[i]);
        ck_assert_int_eq(api_jint(item, "id"), ids[i]);
        ck_assert_str_eq(api_jstr(item, "type"), t[i]);
        assert_timestamp(api_jstr(item, "created_at"));
        ck_assert_int_eq(api_jint(json_object_get(item, "data"), "account"), account);
        json_decref(item);
    }
    free(copy);
    free(body);
    return n;
}

static struct sse *open_ok(const char *base, const char *path, const char *token,
                           const char *header)
{
    struct sse *s = sse_open(base, path, token, header);
    ck_assert_int_eq(sse_status(s), 200);
    ck_assert_msg(sse_wait(s, "retry: ", 3000), "no retry line");
    return s;
}

START_TEST(test_backlog_after_last_event_id_exactly)
{
    struct party p;
    int64_t ids[MAX_EV];
    char types[MAX_EV][48];
    party_new(&p);
    for (int i = 0; i < 6; i++)
        say(&p, NULL);
    struct sse *s = open_ok(NULL, STREAM, p.seller.token, "Last-Event-ID: 2");
    char *ct = sse_header(s, "Content-Type"), *cc = sse_header(s, "Cache-Control"),
         *xa = sse_header(s, "X-Accel-Buffering");
    ck_assert_str_eq(ct, "text/event-stream");
    ck_assert_str_eq(cc, "no-store");
    ck_assert_str_eq(xa, "no");
    free(ct), free(cc), free(xa);
    ck_assert(sse_wait(s, "id: 6\n", 3000));
    /* a heartbeat after the backlog: nothing more came with it */
    ck_assert(sse_wait(s, ": heartbeat\n\n", 3000));
    char *body = sse_body(s);
    ck_assert_msg(strncmp(body, "retry: ", 7) == 0, "the stream starts with retry: %s", body);
    free(body);
    int n = events_of(s, ids, types, p.seller.id);
    ck_assert_int_eq(n, 4);
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(ids[i], 3 + i);
        ck_assert_str_eq(types[i], "message.created");
    }
    sse_close(s);

    /* after= when there is no Last-Event-ID; Last-Event-ID wins over it */
    s = open_ok(NULL, STREAM "?after=4", p.seller.token, NULL);
    ck_assert(sse_wait(s, ": heartbeat\n\n", 3000));
    n = events_of(s, ids, types, p.seller.id);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ids[0], 5);
    ck_assert_int_eq(ids[1], 6);
    sse_close(s);
    s = open_ok(NULL, STREAM "?after=1", p.seller.token, "Last-Event-ID: 5");
    ck_assert(sse_wait(s, ": heartbeat\n\n", 3000));
    n = events_of(s, ids, types, p.seller.id);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ids[0], 6);
    sse_close(s);
}
END_TEST

/* A backlog of more than one page of the hub (200 rows), with changes made while it is read
 * out: every position once, in order. The chat rate limit (30 a minute per sender) takes ten
 * buyers. */
#define CROWD          10
#define CROWD_MESSAGES 23

static void crowd_say(struct party *buyers, int from, int to)
{
    for (int m = from; m < to; m++)
        for (int b = 0; b < CROWD; b++)
            say(&buyers[b], NULL);
}

START_TEST(test_long_backlog_then_live_in_order)
{
    static struct party crowd[CROWD];
    party_new(&crowd[0]);
    for (int b = 1; b < CROWD; b++) {
        crowd[b].seller = crowd[0].seller;
        api_new_user(&crowd[b].buyer, "buyer");
        json_int_t product = api_make_product(&crowd[0].seller, 1000, 10);
        struct api_resp *r = api_postf("/v1/chats", crowd[b].buyer.token, "{s:s, s:I}", "kind",
                                       "buyer_seller", "product_id", product);
        ck_assert_msg(r->status == 201 || r->status == 200, "chat: %ld %s", r->status, r->body);
        crowd[b].chat = api_int(r, "id");
        api_free(r);
    }
    crowd_say(crowd, 0, CROWD_MESSAGES / 2);
    struct sse *s = open_ok(NULL, STREAM "?after=0", crowd[0].seller.token, NULL);
    crowd_say(crowd, CROWD_MESSAGES / 2, CROWD_MESSAGES);
    char last[32];
    snprintf(last, sizeof last, "id: %d\n", CROWD * CROWD_MESSAGES);
    ck_assert_msg(sse_wait(s, last, 10000), "the last event never came");
    ck_assert(sse_wait(s, ": heartbeat\n\n", 3000));
    char *body = sse_body(s);
    int64_t expect = 1;
    for (const char *at = strstr(body, "id: "); at; at = strstr(at + 1, "\nid: ")) {
        char *end;
        if (*at == '\n')
            at++;
        int64_t id = strtoll(at + 4, &end, 10);
        if (strncmp(end, "\nevent: ", 8) != 0)
            continue; /* a bare id: (the start, 0) */
        ck_assert_int_eq(id, expect);
        expect++;
    }
    ck_assert_int_eq(expect, CROWD * CROWD_MESSAGES + 1);
    free(body);
    sse_close(s);
}
END_TEST

START_TEST(test_types_filter)
{
    struct party p;
    int64_t ids[MAX_EV];
    char types[MAX_EV][48], path[64];
    party_new(&p);
    say(&p, NULL);
    say(&p, NULL);
    snprintf(path, sizeof path, "/v1/chats/%lld/close", (long long)p.chat);
    struct api_resp *r = api_post(path, p.buyer.token, NULL);
    ck_assert_status(r, 200);
    api_free(r);
    struct sse *s = open_ok(NULL, STREAM "?after=0&types=chat.closed", p.seller.token, NULL);
    ck_assert(sse_wait(s, ": heartbeat\n\n", 3000));
    int n = events_of(s, ids, types, p.seller.id);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ids[0], 3);
    ck_assert_str_eq(types[0], "chat.closed");
    sse_close(s);
}
END_TEST

START_TEST(test_heartbeat_and_live_event)
{
    struct party p;
    int64_t ids[MAX_EV];
    char types[MAX_EV][48];
    party_new(&p);
    say(&p, NULL);
    say(&p, NULL);
    /* no position: what happens from now on */
    struct sse *s = open_ok(NULL, STREAM, p.seller.token, NULL);
    ck_assert_msg(sse_wait(s, ": heartbeat\n\n", 2500), "no heartbeat within 2.5 s");
    ck_assert_int_eq(events_of(s, ids, types, p.seller.id), 0);
    int64_t t0 = sse_now_ms();
    say(&p, NULL);
    ck_assert_msg(sse_wait(s, "id: 3\n", 2000), "the live event did not come");
    int64_t took = sse_now_ms() - t0;
    ck_assert_msg(took < 1000, "the live event took %lld ms", (long long)took);
    int n = events_of(s, ids, types, p.seller.id);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ids[0], 3);
    sse_close(s);
}
END_TEST

START_TEST(test_other_accounts_events_never_appear)
{
    struct party a, b;
    int64_t ids[MAX_EV];
    char types[MAX_EV][48];
    party_new(&a);
    party_new(&b);
    say(&b, NULL);
    struct sse *s = open_ok(NULL, STREAM "?after=0", a.seller.token, NULL);
    say(&b, NULL);
    say(&a, NULL);
    say(&b, NULL);
    ck_assert(sse_wait(s, "id: 1\n", 3000));
    ck_assert(sse_wait(s, ": heartbeat\n\n", 3000));
    /* events_of checks that every event's data.account is a's seller */
    int n = events_of(s, ids, types, a.seller.id);
    ck_assert_int_eq(n, 1);
    sse_close(s);
}
END_TEST

START_TEST(test_refusals)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct sse *s = sse_open(NULL, STREAM, NULL, NULL);
    ck_assert_int_eq(sse_status(s), 401);
    sse_close(s);

    const char *bad[] = {"Last-Event-ID: abc", "Last-Event-ID: -1", "Last-Event-ID: 1.5",
                         "Last-Event-ID: 99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct api_resp *r = api_request("GET", STREAM, seller.token, NULL, NULL, bad[i]);
        assert_field_error(r, "Last-Event-ID", "out_of_range");
        api_free(r);
    }
    struct api_resp *r = api_get(STREAM "?types=no.such", seller.token);
    assert_field_error(r, "types", "invalid_enum");
    api_free(r);
    r = api_get(STREAM "?after=-3", seller.token);
    assert_field_error(r, "after", "out_of_range");
    api_free(r);
    r = api_get(STREAM "?limit=3", seller.token);
    ck_assert_problem(r, 400, "validation_failed");
    api_free(r);

    /* API keys: events:read opens it, another scope does not */
    r = api_post("/v1/api-keys", seller.token, "{\"name\":\"erp\",\"scopes\":[\"chats:read\"]}");
    ck_assert_status(r, 201);
    char secret[256];
    snprintf(secret, sizeof secret, "%s", api_str(r, "secret"));
    api_free(r);
    r = api_get(STREAM, secret);
    ck_assert_problem(r, 403, "insufficient_scope");
    api_free(r);
    r = api_post("/v1/api-keys", seller.token, "{\"name\":\"feed\",\"scopes\":[\"events:read\"]}");
    ck_assert_status(r, 201);
    snprintf(secret, sizeof secret, "%s", api_str(r, "secret"));
    api_free(r);
    s = open_ok(NULL, STREAM, secret, NULL);
    sse_close(s);
}
END_TEST

/* The client always knows where it is: the stream opens with a bare id: of its start, and a
 * position it filtered out is told as a bare id: at the next heartbeat, so a reconnect with the
 * browser's Last-Event-ID does not go back before what it skipped, nor miss what came after. */
START_TEST(test_bare_ids_keep_the_position)
{
    struct party p;
    party_new(&p);
    struct sse *s = open_ok(NULL, STREAM "?types=chat.closed", p.seller.token, NULL);
    ck_assert_msg(sse_wait(s, "retry: 2000\n\nid: 0\n\n", 3000), "no bare id of the start");
    say(&p, NULL); /* message.created: filtered out, position 1 */
    ck_assert_msg(sse_wait(s, "\nid: 1\n\n", 3000), "position 1 not told");
    char *body = sse_body(s);
    ck_assert_msg(strstr(body, "event: ") == NULL, "an event of another type: %s", body);
    free(body);
    sse_close(s);
}
END_TEST

/* A key's stream is opened on a worker (its rate count needs the pool; api/dispatch.c) and then
 * served on its connection's thread: from now on (its start read on the loop's pipe), and
 * after a Last-Event-ID (opened on the worker itself), each with what follows. */
START_TEST(test_key_streams_from_now_and_from_an_id)
{
    struct party p;
    int64_t ids[MAX_EV];
    char types[MAX_EV][48], secret[256];
    party_new(&p);
    say(&p, NULL); /* position 1: before the stream from now on */
    struct api_resp *r = api_post("/v1/api-keys", p.seller.token,
                                  "{\"name\":\"feed\",\"scopes\":[\"events:read\"]}");
    ck_assert_status(r, 201);
    snprintf(secret, sizeof secret, "%s", api_str(r, "secret"));
    api_free(r);
    struct sse *now = open_ok(NULL, STREAM, secret, NULL);
    ck_assert_msg(sse_wait(now, "id: 1\n\n", 3000), "the start is not after position 1");
    struct sse *from = open_ok(NULL, STREAM, secret, "Last-Event-ID: 0");
    say(&p, NULL); /* position 2 */
    ck_assert(sse_wait(now, "id: 2\n", 3000));
    ck_assert(sse_wait(from, "id: 2\n", 3000));
    int n = events_of(now, ids, types, p.seller.id);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(ids[0], 2);
    n = events_of(from, ids, types, p.seller.id);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(ids[0], 1);
    ck_assert_int_eq(ids[1], 2);
    char *limit = sse_header(now, "X-RateLimit-Limit");
    ck_assert_msg(limit != NULL, "a key's stream carries its rate headers");
    free(limit);
    sse_close(now);
    sse_close(from);
}
END_TEST

/* A stream ends when the key it was opened with is revoked, and the key cannot open another:
 * a leaked key stops reading the account's events within about a second. */
START_TEST(test_stream_ends_when_its_key_is_revoked)
{
    struct api_user seller;
    char secret[256], path[64];
    api_new_user(&seller, "seller");
    struct api_resp *r =
        api_post("/v1/api-keys", seller.token, "{\"name\":\"feed\",\"scopes\":[\"events:read\"]}");
    ck_assert_status(r, 201);
    snprintf(secret, sizeof secret, "%s", api_str(r, "secret"));
    snprintf(path, sizeof path, "/v1/api-keys/%lld", (long long)api_int(r, "id"));
    api_free(r);
    struct sse *s = open_ok(NULL, STREAM, secret, NULL);
    struct sse *mine = open_ok(NULL, STREAM, seller.token, NULL); /* the person's own stays */
    r = api_request("DELETE", path, seller.token, NULL, NULL, NULL);
    ck_assert_status(r, 204);
    api_free(r);
    ck_assert_msg(sse_wait_end(s, 3000), "the revoked key's stream is still open");
    ck_assert_msg(!sse_wait_end(mine, 1500), "the seller's own stream ended too");
    sse_close(s);
    sse_close(mine);
    r = api_get(STREAM, secret);
    ck_assert_problem(r, 401, "api_key_revoked");
    api_free(r);
}
END_TEST

Suite *events_stream_suite(void)
{
    Suite *s = suite_create("events_stream");
    TCase *tc = api_tcase("stream");
    tcase_add_test(tc, test_backlog_after_last_event_id_exactly);
    tcase_add_test(tc, test_long_backlog_then_live_in_order);
    tcase_add_test(tc, test_types_filter);
    tcase_add_test(tc, test_heartbeat_and_live_event);
    tcase_add_test(tc, test_other_accounts_events_never_appear);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_bare_ids_keep_the_position);
    tcase_add_test(tc, test_key_streams_from_now_and_from_an_id);
    tcase_add_test(tc, test_stream_ends_when_its_key_is_revoked);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- two processes ------------------------------------------------------------------------ */

START_TEST(test_change_on_other_process_arrives_within_a_second)
{
    struct party p;
    const char *other = getenv("SD_OTHER_URL");
    party_new(&p);
    struct sse *s = open_ok(NULL, STREAM "?after=0", p.seller.token, NULL);
    for (int i = 1; i <= 5; i++) {
        char want[32];
        snprintf(want, sizeof want, "id: %d\n", i);
        int64_t t0 = sse_now_ms();
        say(&p, other); /* committed when its 201 is back */
        ck_assert_msg(sse_wait(s, want, 3000), "event %d never came", i);
        int64_t took = sse_now_ms() - t0;
        ck_assert_msg(took < 1000, "event %d took %lld ms across processes", i, (long long)took);
    }
    sse_close(s);
}
END_TEST

Suite *events_stream_processes_suite(void)
{
    Suite *s = suite_create("events_stream_processes");
    TCase *tc = api_tcase("processes");
    tcase_add_test(tc, test_change_on_other_process_arrives_within_a_second);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- the limit ---------------------------------------------------------------------------- */

static int64_t timed_get(const char *path, const char *token, long expect)
{
    int64_t t0 = sse_now_ms();
    struct api_resp *r = api_get(path, token);
    int64_t took = sse_now_ms() - t0;
    ck_assert_status(r, expect);
    api_free(r);
    return took;
}

/* The second server of scripts/test.sh: SELLERDESK_MAX_STREAMS=$SD_MAX_STREAMS (5) and
 * SELLERDESK_MAX_STREAMS_PER_ACCOUNT=$SD_MAX_STREAMS_PER_ACCOUNT (3). */
static int env_int(const char *name, int def)
{
    const char *v = getenv(name);
    return v ? atoi(v) : def;
}

static void assert_refused(const char *token)
{
    int64_t t0 = sse_now_ms();
    struct api_resp *r = api_get(STREAM, token);
    int64_t took = sse_now_ms() - t0;
    ck_assert_problem(r, 503, "too_many_streams");
    char *ra = api_header(r, "Retry-After");
    ck_assert_ptr_nonnull(ra);
    ck_assert_int_gt(atoi(ra), 0);
    free(ra);
    api_free(r);
    ck_assert_msg(took < 1000, "the refusal took %lld ms", (long long)took);
}

/* Opens a stream as token, retrying while a closed one's place is not yet given back (a
 * closed stream is seen at its next heartbeat); NULL if none opened within 4 s. */
static struct sse *open_when_free(const char *token)
{
    for (int k = 0; k < 40; k++) {
        struct sse *s = sse_open(NULL, STREAM, token, NULL);
        if (sse_status(s) == 200)
            return s;
        ck_assert_int_eq(sse_status(s), 503);
        sse_close(s);
        struct timespec pause = {0, 100 * 1000000L};
        nanosleep(&pause, NULL);
    }
    return NULL;
}

START_TEST(test_one_stream_over_the_limit)
{
    int max = env_int("SD_MAX_STREAMS", 5), per_account = env_int("SD_MAX_STREAMS_PER_ACCOUNT", 3);
    struct api_user u[3];
    struct sse *open[64];
    ck_assert(max > 0 && max < 64 && per_account > 0);
    for (int k = 0; k < 3; k++)
        api_new_user(&u[k], "seller");
    /* the accounts' caps first: one account's streams beyond its cap, the process has room */
    for (int i = 0; i < per_account && i < max; i++)
        open[i] = open_ok(NULL, STREAM, u[0].token, NULL);
    if (per_account < max)
        assert_refused(u[0].token);
    /* then the process's: the others fill it, one more of any account is refused */
    for (int i = per_account; i < max; i++)
        open[i] = open_ok(NULL, STREAM, u[1 + (i - per_account) / per_account].token, NULL);
    assert_refused(u[2].token);
    /* the open streams take nothing from ordinary requests */
    for (int i = 0; i < 5; i++) {
        int64_t h = timed_get("/healthz", NULL, 200), m = timed_get("/v1/me", u[2].token, 200);
        ck_assert_msg(h < 1000 && m < 1000, "healthz %lld ms, me %lld ms", (long long)h,
                      (long long)m);
    }
    /* a stream that ends gives its place back */
    sse_close(open[0]);
    struct sse *again = open_when_free(u[2].token);
    ck_assert_msg(again != NULL, "the closed stream's place never came back");
    sse_close(again);
    for (int i = 1; i < max; i++)
        sse_close(open[i]);
}
END_TEST

Suite *events_stream_limit_suite(void)
{
    Suite *s = suite_create("events_stream_limit");
    TCase *tc = api_tcase("limit");
    tcase_add_test(tc, test_one_stream_over_the_limit);
    suite_add_tcase(s, tc);
    return s;
}
