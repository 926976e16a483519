/* API tests of the lists of disputes (GET /v1/disputes) and their counts
 * (GET /v1/disputes/counts) against the real server: whose disputes each role sees, the
 * filters, both orders, pages and cursors, bad parameters; counts as disputes move. Other
 * suites share the database: the support view (every dispute) is checked by the disputes
 * made here and by deltas. Part of the suite "disputes" (disputes_test.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispute_fixtures.h"

/* The ids of the list as "id,id,..." */
static void list_ids(const char *token, const char *query, int limit, char *out, size_t len)
{
    json_t *items = dp_list(token, query, limit);
    rv_ids(items, out, len);
    json_decref(items);
}

#define assert_list(token, query, expected)                                                        \
    assert_list_at(token, query, expected, __FILE__, __LINE__)
static void assert_list_at(const char *token, const char *query, const char *expected,
                           const char *file, int line)
{
    char got[512];
    list_ids(token, query, 100, got, sizeof got);
    ck_assert_msg(strcmp(got, expected) == 0, "%s:%d: GET /v1/disputes?%s: [%s], expected [%s]",
                  file, line, query, got, expected);
}

static void ids_text(char *out, size_t len, int n, const int64_t *ids)
{
    out[0] = '\0';
    for (int i = 0; i < n; i++)
        snprintf(out + strlen(out), len - strlen(out), "%s%lld", i ? "," : "", (long long)ids[i]);
}

/* ---------------------------------------------------------------------------------------------
 * Whose disputes, filters, orders
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_list_by_party)
{
    struct dworld w;
    struct api_user buyer2, seller2;
    char pn2[40], pn3[40], want[256], q[128];
    dw_init(&w, 1, "delivered");
    api_new_user(&buyer2, "buyer");
    api_new_user(&seller2, "seller");
    dw_posting(&w, "delivered", pn2);
    rv_buy(&buyer2, &w.seller, w.product[0], "delivered", pn3);
    int64_t d1 = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    int64_t d2 = dp_open_id(w.buyer.token, pn2, "refund", 0);
    int64_t d3 = dp_open_id(buyer2.token, pn3, "replacement", 0);

    /* a buyer: its own, newest first; the seller: its postings'; nobody else: none */
    ids_text(want, sizeof want, 2, (int64_t[]){d2, d1});
    assert_list(w.buyer.token, "", want);
    ids_text(want, sizeof want, 1, (int64_t[]){d3});
    assert_list(buyer2.token, "", want);
    ids_text(want, sizeof want, 3, (int64_t[]){d3, d2, d1});
    assert_list(w.seller.token, "", want);
    assert_list(seller2.token, "", "");
    /* support: every one */
    const char *pns[] = {w.pn, pn2, pn3};
    int64_t ids[] = {d1, d2, d3};
    for (int i = 0; i < 3; i++) {
        snprintf(q, sizeof q, "posting_number=%s", pns[i]);
        ids_text(want, sizeof want, 1, &ids[i]);
        assert_list(w.support.token, q, want);
    }

    /* items carry the caller's allowed actions and no history */
    const struct {
        const char *token, *actions;
    } viewers[] = {{w.buyer.token, "withdraw"},
                   {w.seller.token, "accept,offer,reject"},
                   {w.support.token, ""}};
    for (size_t v = 0; v < 3; v++) {
        snprintf(q, sizeof q, "posting_number=%s", w.pn);
        json_t *items = dp_list(viewers[v].token, q, 100);
        ck_assert_int_eq(json_array_size(items), 1);
        const json_t *it = json_array_get(items, 0);
        ck_assert_int_eq(api_jint(it, "id"), d1);
        ck_assert_msg(!json_object_get(it, "history"), "a list item has no history");
        assert_actions(it, viewers[v].actions);
        ck_assert_int_eq(api_jint(it, "paid"), 1000);
        ck_assert_str_eq(dp_state(it), "awaiting_seller");
        json_decref(items);
    }

    /* filters: state, posting, overdue (deadlines are whole seconds: the offer comes a second
     * after d3 was opened, so its deadline is later than d3's, not equal) */
    usleep(1100 * 1000);
    json_decref(dp_act_ok(w.seller.token, d2, "offer", json_pack("{s:i}", "amount", 100)));
    ids_text(want, sizeof want, 1, (int64_t[]){d2});
    assert_list(w.seller.token, "state=offered", want);
    assert_list(w.buyer.token, "state=offered", want);
    assert_list(buyer2.token, "state=offered", "");
    ids_text(want, sizeof want, 2, (int64_t[]){d3, d1});
    assert_list(w.seller.token, "state=awaiting_seller", want);
    assert_list(w.seller.token, "state=withdrawn", "");
    snprintf(q, sizeof q, "posting_number=%s", pn2);
    ids_text(want, sizeof want, 1, (int64_t[]){d2});
    assert_list(w.buyer.token, q, want);
    snprintf(q, sizeof q, "posting_number=%s", pn3);
    assert_list(w.buyer.token, q, "");
    snprintf(q, sizeof q, "posting_number=%s&state=offered", pn2);
    assert_list(w.seller.token, q, want);
    snprintf(q, sizeof q, "posting_number=%s&state=awaiting_seller", pn2);
    assert_list(w.seller.token, q, "");
    assert_list(w.seller.token, "overdue=true", "");
    ids_text(want, sizeof want, 3, (int64_t[]){d3, d2, d1});
    assert_list(w.seller.token, "overdue=false", want);

    /* by deadline: the oldest first (d2's began again with the offer), the final ones last */
    ids_text(want, sizeof want, 3, (int64_t[]){d1, d3, d2});
    assert_list(w.seller.token, "sort=deadline", want);
    json_decref(dp_act_ok(w.buyer.token, d1, "withdraw", NULL));
    ids_text(want, sizeof want, 3, (int64_t[]){d3, d2, d1});
    assert_list(w.seller.token, "sort=deadline", want);
    ids_text(want, sizeof want, 1, (int64_t[]){d1});
    assert_list(w.seller.token, "state=withdrawn", want);
    assert_list(w.buyer.token, "state=withdrawn&sort=deadline", want);
}
END_TEST

/* Support's queue: every dispute, oldest deadline first, the final ones (no deadline) last. */
START_TEST(test_list_support_queue)
{
    struct dworld w;
    char pn2[40];
    dw_init(&w, 1, "delivered");
    dw_posting(&w, "delivered", pn2);
    int64_t open = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    int64_t final = dp_open_id(w.buyer.token, pn2, "refund", 0);
    json_decref(dp_act_ok(w.buyer.token, final, "withdraw", NULL));
    json_t *all = dp_list(w.support.token, "", 100);
    size_t i;
    json_t *it;
    time_t prev = 0;
    int seen_final = 0, found = 0;
    json_array_foreach(all, i, it)
    {
        const json_t *dl = json_object_get(it, "deadline");
        if (json_is_null(dl)) {
            seen_final = 1;
        } else {
            ck_assert_msg(!seen_final, "an open dispute (%lld) after a final one",
                          (long long)api_jint(it, "id"));
            time_t t = dp_time(json_string_value(dl));
            ck_assert_msg(t >= prev, "dispute %lld: deadline out of order",
                          (long long)api_jint(it, "id"));
            prev = t;
        }
        found += api_jint(it, "id") == open || api_jint(it, "id") == final;
        ck_assert_msg(json_is_array(json_object_get(it, "allowed_actions")), "allowed_actions");
    }
    ck_assert_int_eq(found, 2);
    ck_assert_msg(json_is_null(json_object_get(rv_find(all, final), "deadline")), "final");
    json_decref(all);
    /* newest first when asked */
    struct api_resp *r = api_get("/v1/disputes?sort=newest&limit=50", w.support.token);
    ck_assert_status(r, 200);
    json_int_t last = INT64_MAX;
    json_array_foreach(json_object_get(r->json, "items"), i, it)
    {
        ck_assert_int_lt(api_jint(it, "id"), last);
        last = api_jint(it, "id");
    }
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "items"), 0), "id") >= final,
                     1);
    api_free(r);
}
END_TEST

/* The deadline order's cursor carries the last row's deadline: when that row moves (support
 * decides it, its deadline is gone; or a new state gives it a later one) the next page still
 * starts where the previous one ended, and every other row is listed once. */
START_TEST(test_list_deadline_cursor_survives_a_move)
{
    struct dworld w;
    char pns[4][40];
    int64_t ids[4];
    dw_init(&w, 1, "delivered");
    for (int i = 0; i < 4; i++) {
        dw_posting(&w, "delivered", pns[i]);
        ids[i] = dp_open_id(w.buyer.token, pns[i], "refund", 0);
        usleep(1100 * 1000); /* deadlines are whole seconds: one apart, an order to keep */
    }
    /* first page of two: the two oldest deadlines */
    struct api_resp *r =
        api_get("/v1/disputes?sort=deadline&state=awaiting_seller&limit=2", w.seller.token);
    ck_assert_status(r, 200);
    const json_t *items = json_object_get(r->json, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_int_eq(api_jint(json_array_get(items, 0), "id"), ids[0]);
    ck_assert_int_eq(api_jint(json_array_get(items, 1), "id"), ids[1]);
    char path[400];
    snprintf(path, sizeof path,
             "/v1/disputes?sort=deadline&state=awaiting_seller&limit=2&cursor=%s",
             api_str(r, "next_cursor"));
    api_free(r);
    /* the page's last row leaves the list's order (withdrawn: no deadline any more) */
    json_decref(dp_act_ok(w.buyer.token, ids[1], "withdraw", NULL));
    r = api_get(path, w.seller.token);
    ck_assert_status(r, 200);
    items = json_object_get(r->json, "items");
    ck_assert_msg(json_array_size(items) == 2 &&
                      api_jint(json_array_get(items, 0), "id") == ids[2] &&
                      api_jint(json_array_get(items, 1), "id") == ids[3],
                  "after the cursor's row moved, the next page is %s", r->body);
    api_free(r);
}
END_TEST

START_TEST(test_list_pages)
{
    struct dworld w;
    char pn[40], want[256], got[256], q[128];
    int64_t ids[4];
    dw_init(&w, 1, "delivered");
    ids[0] = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    for (int i = 1; i < 4; i++) {
        dw_posting(&w, "delivered", pn);
        ids[i] = dp_open_id(w.buyer.token, pn, "refund", 0);
    }
    /* one a page: each exactly once, in order */
    ids_text(want, sizeof want, 4, (int64_t[]){ids[3], ids[2], ids[1], ids[0]});
    list_ids(w.seller.token, "", 1, got, sizeof got);
    ck_assert_str_eq(got, want);
    list_ids(w.buyer.token, "", 1, got, sizeof got);
    ck_assert_str_eq(got, want);
    list_ids(w.seller.token, "", 3, got, sizeof got);
    ck_assert_str_eq(got, want);
    ids_text(want, sizeof want, 4, ids);
    list_ids(w.seller.token, "sort=deadline", 1, got, sizeof got);
    ck_assert_str_eq(got, want);
    /* support, one posting with two disputes: the open one before the closed one */
    json_decref(dp_act_ok(w.buyer.token, ids[0], "withdraw", NULL));
    int64_t again = dp_open_id(w.buyer.token, w.pn, "replacement", 0);
    snprintf(q, sizeof q, "posting_number=%s", w.pn);
    ids_text(want, sizeof want, 2, (int64_t[]){again, ids[0]});
    list_ids(w.support.token, q, 1, got, sizeof got);
    ck_assert_str_eq(got, want);

    /* a cursor belongs to its list */
    struct api_resp *r = api_get("/v1/disputes?limit=1", w.seller.token);
    ck_assert_status(r, 200);
    ck_assert_msg(json_is_string(json_object_get(r->json, "next_cursor")), "next_cursor: %s",
                  r->body);
    char cursor[512];
    snprintf(cursor, sizeof cursor, "%s", api_str(r, "next_cursor"));
    api_free(r);
    const char *others[] = {"state=awaiting_seller&", "sort=deadline&", "overdue=false&", q};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "/v1/disputes?%s%slimit=1&cursor=%s", others[i],
                 i == 3 ? "&" : "", cursor);
        r = api_get(path, w.seller.token);
        assert_field_error(r, "cursor", "invalid_cursor");
        api_free(r);
    }
    /* the same cursor in its own list goes on */
    char path[1024];
    snprintf(path, sizeof path, "/v1/disputes?limit=1&cursor=%s", cursor);
    r = api_get(path, w.seller.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_jint(json_array_get(json_object_get(r->json, "items"), 0), "id"), ids[3]);
    api_free(r);
}
END_TEST

static const struct {
    const char *query, *field, *code;
} bad_queries[] = {
    {"state=open", "state", "invalid_enum"},
    {"state=", "state", "invalid_enum"},
    {"overdue=yes", "overdue", "invalid_enum"},
    {"sort=oldest", "sort", "invalid_enum"},
    {"limit=0", "limit", "out_of_range"},
    {"limit=101", "limit", "out_of_range"},
    {"limit=ten", "limit", "out_of_range"},
    {"posting_number=", "posting_number", "out_of_range"},
    {"posting_number=123456789012345678901234567890123", "posting_number", "out_of_range"},
    {"cursor=not-a-cursor", "cursor", "invalid_cursor"},
    {"status=closed", "status", "unknown_parameter"},
};

START_TEST(test_list_bad_parameters)
{
    char path[256];
    struct api_user u;
    api_new_user(&u, _i % 2 ? "seller" : "buyer");
    snprintf(path, sizeof path, "/v1/disputes?%s", bad_queries[_i].query);
    struct api_resp *r = api_get(path, u.token);
    assert_field_error(r, bad_queries[_i].field, bad_queries[_i].code);
    api_free(r);
    r = api_get("/v1/disputes/counts?state=open", u.token);
    assert_field_error(r, "state", "unknown_parameter");
    api_free(r);
    r = api_get("/v1/disputes", NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Counts
 * ------------------------------------------------------------------------------------------- */

static const char *const counted[] = {
    "awaiting_seller", "offered",   "rejected", "awaiting_support", "accepted", "closed",
    "decided",         "withdrawn", "open",     "overdue"};
#define N_COUNTED N_CASES(counted)

static void snapshot(const char *token, json_int_t out[N_COUNTED])
{
    json_t *c = dp_counts(token);
    for (size_t i = 0; i < N_COUNTED; i++)
        out[i] = dp_count(c, counted[i]);
    json_decref(c);
}

/* The n of "state:n,..." for name, 0 when absent. */
static json_int_t delta_of(const char *delta, const char *name)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", delta);
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (colon && (size_t)(colon - tok) == strlen(name) && strncmp(tok, name, strlen(name)) == 0)
            return strtoll(colon + 1, NULL, 10);
    }
    return 0;
}

/* counts of token are base + delta, delta given as "state:n,..." (others 0). */
#define assert_counts(token, base, delta) assert_counts_at(token, base, delta, __FILE__, __LINE__)
static void assert_counts_at(const char *token, const json_int_t base[N_COUNTED], const char *delta,
                             const char *file, int line)
{
    json_int_t now[N_COUNTED];
    snapshot(token, now);
    for (size_t i = 0; i < N_COUNTED; i++) {
        json_int_t d = delta_of(delta, counted[i]);
        ck_assert_msg(now[i] == base[i] + d, "%s:%d: %s is %lld, expected %lld + %lld", file, line,
                      counted[i], (long long)now[i], (long long)base[i], (long long)d);
    }
}

START_TEST(test_counts)
{
    struct dworld w;
    char pn2[40];
    json_int_t zero[N_COUNTED] = {0}, support[N_COUNTED];
    dw_init(&w, 1, "delivered");
    dw_posting(&w, "delivered", pn2);
    json_t *c = dp_counts(w.buyer.token);
    ck_assert_uint_eq(json_object_size(json_object_get(c, "by_state")), 0);
    json_decref(c);
    assert_counts(w.seller.token, zero, "");
    snapshot(w.support.token, support);

    int64_t a = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    assert_counts(w.buyer.token, zero, "awaiting_seller:1,open:1");
    assert_counts(w.seller.token, zero, "awaiting_seller:1,open:1");
    assert_counts(w.support.token, support, "awaiting_seller:1,open:1");

    json_decref(dp_act_ok(w.seller.token, a, "offer", json_pack("{s:i}", "amount", 100)));
    int64_t b = dp_open_id(w.buyer.token, pn2, "refund", 0);
    assert_counts(w.buyer.token, zero, "awaiting_seller:1,offered:1,open:2");
    assert_counts(w.seller.token, zero, "awaiting_seller:1,offered:1,open:2");
    assert_counts(w.support.token, support, "awaiting_seller:1,offered:1,open:2");
    c = dp_counts(w.seller.token);
    ck_assert_uint_eq(json_object_size(json_object_get(c, "by_state")), 2);
    json_decref(c);

    json_decref(dp_act_ok(w.buyer.token, a, "accept_offer", NULL));
    dp_drive(&w, b, "awaiting_support");
    assert_counts(w.buyer.token, zero, "awaiting_support:1,closed:1,open:1");
    assert_counts(w.seller.token, zero, "awaiting_support:1,closed:1,open:1");
    assert_counts(w.support.token, support, "awaiting_support:1,closed:1,open:1");

    json_decref(dp_act_ok(w.buyer.token, b, "withdraw", NULL));
    assert_counts(w.buyer.token, zero, "closed:1,withdrawn:1");
    assert_counts(w.seller.token, zero, "closed:1,withdrawn:1");
    assert_counts(w.support.token, support, "closed:1,withdrawn:1");
    /* a new one on the same posting counts again */
    int64_t d = dp_open_id(w.buyer.token, pn2, "replacement", 0);
    dp_drive(&w, d, "accepted");
    assert_counts(w.buyer.token, zero, "accepted:1,closed:1,withdrawn:1");
    assert_counts(w.support.token, support, "accepted:1,closed:1,withdrawn:1");
    /* someone else's do not */
    struct api_user other;
    api_new_user(&other, "seller");
    assert_counts(other.token, zero, "");
}
END_TEST

void dispute_lists_tcases(Suite *s)
{
    TCase *tc = api_tcase("lists");
    tcase_add_test(tc, test_list_by_party);
    tcase_add_test(tc, test_list_support_queue);
    tcase_add_test(tc, test_list_pages);
    tcase_add_test(tc, test_list_deadline_cursor_survives_a_move);
    tcase_add_loop_test(tc, test_list_bad_parameters, 0, N_CASES(bad_queries));
    tcase_add_test(tc, test_counts);
    suite_add_tcase(s, tc);
}
