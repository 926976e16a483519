/* API tests of the deadlines of disputes against a server started with deadlines of seconds
 * (scripts/test.sh starts one; registered in main.c only when SD_DEADLINE_SERVER is set):
 * the seller's silence hands a dispute to support, the buyer's silence after an offer or a
 * rejection closes it, an action after a deadline finds the deadline applied first, support's
 * deadline marks a dispute overdue, and the windows in which a posting may be disputed. The
 * durations are read from the same SELLERDESK_* variables the server was given (with a unit,
 * e.g. "6s"); every wait polls with a generous margin, as under valgrind every request is
 * slow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dispute_fixtures.h"

/* The poll's margin past a deadline: the job runs every 200 ms, but under valgrind a request
 * takes a while. */
#define MARGIN_S 30

/* A duration variable of the server ("6s", "2m", "1h", "1d"), in seconds; def when unset. */
static long long env_seconds(const char *name, long long def)
{
    const char *v = getenv(name);
    char unit = 0;
    long long n = 0;
    if (!v || sscanf(v, "%lld%c", &n, &unit) != 2 || n < 1)
        return def;
    switch (unit) {
    case 's':
        return n;
    case 'm':
        return n * 60;
    case 'h':
        return n * 3600;
    case 'd':
        return n * 86400;
    default:
        return def;
    }
}

/* the values scripts/test.sh starts the deadline server with */
static long long seller_s(void)
{
    return env_seconds("SELLERDESK_DISPUTE_SELLER_HOURS", 6);
}
static long long buyer_s(void)
{
    return env_seconds("SELLERDESK_DISPUTE_BUYER_DAYS", 4);
}
static long long support_s(void)
{
    return env_seconds("SELLERDESK_DISPUTE_SUPPORT_HOURS", 3);
}
static long long expected_delivery_s(void)
{
    return env_seconds("SELLERDESK_EXPECTED_DELIVERY_DAYS", 4);
}
static long long open_window_s(void)
{
    return env_seconds("SELLERDESK_DISPUTE_OPEN_DAYS", 6);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* GET the dispute every 250 ms until it leaves state from (or max_s pass): the dispute
 * (caller decrefs). Only reads: nothing but the deadline job may move it. */
static json_t *wait_leaves(const char *token, int64_t id, const char *from, long long max_s)
{
    double until = now_s() + (double)max_s;
    for (;;) {
        json_t *d = dp_read(token, id);
        if (strcmp(dp_state(d), from) != 0 || now_s() > until)
            return d;
        json_decref(d);
        usleep(250 * 1000);
    }
}

/* Sleeps until the wall clock is past the timestamp ts by extra seconds. */
static void sleep_past(const char *ts, int extra)
{
    time_t t = dp_time(ts) + extra;
    while (time(NULL) <= t)
        usleep(100 * 1000);
}

static void assert_lapse(const json_t *d, size_t i, const char *from, const char *to)
{
    assert_event(d, i, "system", "deadline_passed", from, to, -1);
    const json_t *e = json_array_get(json_object_get(d, "history"), i);
    ck_assert_msg(json_is_null(json_object_get(e, "actor_id")), "a lapse has no actor");
    ck_assert_msg(json_is_null(json_object_get(e, "reason")), "a lapse has no reason");
}

/* ---------------------------------------------------------------------------------------------
 * Deadlines that move a dispute
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_seller_silence_goes_to_support)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    json_t *opened = dp_open(w.buyer.token, w.pn, "refund", 0);
    int64_t id = api_jint(opened, "id");
    long long given = (long long)(dp_time(api_jstr(opened, "deadline")) -
                                  dp_time(api_jstr(opened, "created_at")));
    ck_assert_msg(given >= seller_s() - 1 && given <= seller_s() + 1,
                  "the seller's deadline is %lld s after opening, expected %lld", given,
                  seller_s());
    json_t *d = wait_leaves(w.buyer.token, id, "awaiting_seller", seller_s() + MARGIN_S);
    ck_assert_str_eq(dp_state(d), "awaiting_support");
    ck_assert_int_eq(dp_history_len(d), 2);
    assert_lapse(d, 1, "awaiting_seller", "awaiting_support");
    /* not before its time */
    const json_t *ev = json_array_get(json_object_get(d, "history"), 1);
    ck_assert_int_ge(dp_time(api_jstr(ev, "at")), dp_time(api_jstr(opened, "deadline")) - 1);
    ck_assert_msg(json_is_true(json_object_get(d, "open")), "still open");
    assert_timestamp(api_jstr(d, "deadline"));
    assert_actions(d, "withdraw");
    json_decref(d);
    d = dp_read(w.seller.token, id);
    assert_actions(d, "");
    json_decref(d);
    d = dp_read(w.support.token, id);
    assert_actions(d, "decide");
    json_decref(d);
    /* both parties hear of it */
    json_t *last = NULL;
    ck_assert_int_eq(qa_notifications(w.buyer.token, "dispute.updated", "dispute_id", id, &last),
                     1);
    ck_assert_str_eq(api_jstr(json_object_get(last, "data"), "state"), "awaiting_support");
    json_decref(last);
    ck_assert_int_eq(dp_notified(w.seller.token, "dispute.updated", id), 1);
    /* and support decides as usual */
    d = dp_act_ok(w.support.token, id, "decide",
                  json_pack("{s:s, s:s}", "outcome", "buyer_favour", "reason", "No answer."));
    ck_assert_str_eq(api_jstr(json_object_get(d, "resolution"), "outcome"), "refund");
    json_decref(d);
    json_decref(opened);
}
END_TEST

/* The buyer's silence after an offer or a rejection closes the dispute, nothing refunded. */
START_TEST(test_buyer_silence_closes)
{
    const char *move = _i == 0 ? "offered" : "rejected";
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    dp_drive(&w, id, move);
    json_t *d = wait_leaves(w.seller.token, id, move, buyer_s() + MARGIN_S);
    ck_assert_str_eq(dp_state(d), "closed");
    ck_assert_int_eq(dp_history_len(d), 3);
    assert_lapse(d, 2, move, "closed");
    const json_t *res = json_object_get(d, "resolution");
    ck_assert_str_eq(api_jstr(res, "outcome"), "none");
    ck_assert_msg(json_is_null(json_object_get(res, "amount")), "amount");
    ck_assert_msg(json_is_null(json_object_get(res, "decision")), "decision");
    ck_assert_msg(json_is_false(json_object_get(d, "open")), "open");
    ck_assert_msg(json_is_null(json_object_get(d, "deadline")), "deadline");
    assert_timestamp(api_jstr(d, "closed_at"));
    assert_actions(d, "");
    json_decref(d);
    d = dp_read(w.buyer.token, id);
    assert_actions(d, "");
    json_decref(d);
    /* the buyer heard of the move and of the end; a new dispute may be opened */
    ck_assert_int_eq(dp_notified(w.buyer.token, "dispute.updated", id), 2);
    ck_assert_int_eq(dp_notified(w.seller.token, "dispute.updated", id), 1);
    json_decref(dp_open(w.buyer.token, w.pn, "replacement", 0));
}
END_TEST

/* An action after its deadline: the deadline is applied first, then the action is judged in
 * the new state. */
START_TEST(test_too_late)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, "delivered");
    dw_posting(&w, "delivered", pn);
    json_t *a = dp_open(w.buyer.token, w.pn, "refund", 0);
    int64_t b = dp_open_id(w.buyer.token, pn, "refund", 0);
    json_t *offered = dp_act_ok(w.seller.token, b, "offer", json_pack("{s:i}", "amount", 300));

    sleep_past(api_jstr(a, "deadline"), 1);
    struct api_resp *r = dp_act(w.seller.token, api_jint(a, "id"), "accept", NULL);
    assert_refused(r, 409, "awaiting_support", "");
    api_free(r);
    r = dp_act(w.seller.token, api_jint(a, "id"), "offer", json_pack("{s:i}", "amount", 10));
    assert_refused(r, 409, "awaiting_support", "");
    api_free(r);
    json_t *d = dp_read(w.buyer.token, api_jint(a, "id"));
    ck_assert_int_eq(dp_history_len(d), 2);
    assert_lapse(d, 1, "awaiting_seller", "awaiting_support");
    json_decref(d);

    sleep_past(api_jstr(offered, "deadline"), 1);
    r = dp_act(w.buyer.token, b, "accept_offer", NULL);
    assert_refused(r, 409, "closed", "");
    api_free(r);
    d = dp_read(w.buyer.token, b);
    ck_assert_int_eq(dp_history_len(d), 3);
    assert_lapse(d, 2, "offered", "closed");
    ck_assert_str_eq(api_jstr(json_object_get(d, "resolution"), "outcome"), "none");
    json_decref(d);
    json_decref(a);
    json_decref(offered);
}
END_TEST

/* Support's deadline only marks the dispute overdue. */
START_TEST(test_support_overdue)
{
    struct dworld w;
    char q[128];
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    json_decref(dp_act_ok(w.seller.token, id, "reject", dp_valid_members("reject")));
    json_t *d = dp_act_ok(w.buyer.token, id, "escalate", NULL);
    ck_assert_str_eq(dp_state(d), "awaiting_support");
    ck_assert_msg(json_is_false(json_object_get(d, "overdue")), "overdue at once");
    long long given =
        (long long)(dp_time(api_jstr(d, "deadline")) - dp_time(api_jstr(d, "updated_at")));
    ck_assert_msg(given >= support_s() - 1 && given <= support_s() + 1,
                  "support's deadline %lld s, expected %lld", given, support_s());

    sleep_past(api_jstr(d, "deadline"), 1);
    json_decref(d);
    d = dp_read(w.buyer.token, id);
    ck_assert_str_eq(dp_state(d), "awaiting_support");
    ck_assert_msg(json_is_true(json_object_get(d, "overdue")), "overdue");
    ck_assert_int_eq(dp_history_len(d), 3);
    json_decref(d);
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)id);
    const char *tokens[] = {w.buyer.token, w.seller.token};
    for (size_t i = 0; i < 2; i++) {
        json_t *items = dp_list(tokens[i], "overdue=true", 100);
        char got[256];
        rv_ids(items, got, sizeof got);
        ck_assert_str_eq(got, want);
        ck_assert_msg(json_is_true(json_object_get(json_array_get(items, 0), "overdue")), "item");
        json_decref(items);
        items = dp_list(tokens[i], "overdue=false", 100);
        ck_assert_int_eq(json_array_size(items), 0);
        json_decref(items);
        json_t *c = dp_counts(tokens[i]);
        ck_assert_int_eq(dp_count(c, "overdue"), 1);
        ck_assert_int_eq(dp_count(c, "open"), 1);
        ck_assert_int_eq(dp_count(c, "awaiting_support"), 1);
        json_decref(c);
    }
    snprintf(q, sizeof q, "overdue=true&posting_number=%s", w.pn);
    json_t *items = dp_list(w.support.token, q, 100);
    ck_assert_int_eq(json_array_size(items), 1);
    json_decref(items);
    json_t *c = dp_counts(w.support.token);
    ck_assert_int_ge(dp_count(c, "overdue"), 1);
    json_decref(c);

    /* support still decides; then it is overdue no more */
    d = dp_act_ok(w.support.token, id, "decide",
                  json_pack("{s:s, s:s}", "outcome", "seller_favour", "reason", "Late, but no."));
    ck_assert_msg(json_is_false(json_object_get(d, "overdue")), "decided is not overdue");
    json_decref(d);
    c = dp_counts(w.buyer.token);
    ck_assert_int_eq(dp_count(c, "overdue"), 0);
    ck_assert_int_eq(dp_count(c, "open"), 0);
    json_decref(c);
    items = dp_list(w.buyer.token, "overdue=true", 100);
    ck_assert_int_eq(json_array_size(items), 0);
    json_decref(items);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * When a posting may be disputed
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_delivering_becomes_disputable)
{
    struct dworld w;
    dw_init(&w, 1, "delivering");
    double since = now_s();
    struct api_resp *r = dp_post(w.buyer.token, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 409, "not_yet_due");
    api_free(r);
    double until = since + (double)(expected_delivery_s() + MARGIN_S);
    for (;;) {
        r = dp_post(w.buyer.token, dp_body(w.pn, "refund", 0), NULL);
        if (r->status != 409 || now_s() > until)
            break;
        ck_assert_problem(r, 409, "not_yet_due");
        api_free(r);
        usleep(250 * 1000);
    }
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "state"), "awaiting_seller");
    ck_assert_msg(now_s() - since >= (double)expected_delivery_s() - 1.5,
                  "disputable after %.1f s, expected %lld", now_s() - since, expected_delivery_s());
    api_free(r);
}
END_TEST

START_TEST(test_window_over)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, "delivered");
    /* inside the window: fine */
    dw_posting(&w, "delivered", pn);
    json_t *d = dp_open(w.buyer.token, pn, "refund", 0);
    json_decref(d);
    /* past it: refused */
    sleep((unsigned)open_window_s() + 2);
    struct api_resp *r = dp_post(w.buyer.token, dp_body(w.pn, "refund", 0), NULL);
    ck_assert_problem(r, 409, "window_over");
    api_free(r);
    json_t *items = dp_list(w.buyer.token, "", 100);
    ck_assert_int_eq(json_array_size(items), 1);
    json_decref(items);
}
END_TEST

Suite *dispute_deadlines_suite(void)
{
    Suite *s = suite_create("dispute_deadlines");
    TCase *tc = api_tcase("deadlines");
    /* waits of a few deadlines each, polled with a margin */
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_seller_silence_goes_to_support);
    tcase_add_loop_test(tc, test_buyer_silence_closes, 0, 2);
    tcase_add_test(tc, test_too_late);
    tcase_add_test(tc, test_support_overdue);
    tcase_add_test(tc, test_delivering_becomes_disputable);
    tcase_add_test(tc, test_window_over);
    suite_add_tcase(s, tc);
    return s;
}
