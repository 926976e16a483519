/* API tests of the moves of a dispute (POST /v1/disputes/{id}/actions) against the real
 * server: every transition the state machine allows with its history entry, resolution and
 * the parties' allowed actions after it; every (state, role, action) it refuses (403 for a
 * role that never takes the action, 409 for the right role at the wrong time); the rules of
 * each action's body; and the notifications of the parties. Concurrent moves are in
 * dispute_races_test.c. Part of the suite "disputes" (disputes_test.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispute_fixtures.h"

/* The state machine as the spec states it: who takes each action, and from which states. */
static const struct {
    const char *action, *role;
    const char *from[5];
} machine[] = {
    {"accept", "seller", {"awaiting_seller"}},
    {"offer", "seller", {"awaiting_seller"}},
    {"reject", "seller", {"awaiting_seller"}},
    {"accept_offer", "buyer", {"offered"}},
    {"decline", "buyer", {"offered"}},
    {"escalate", "buyer", {"rejected"}},
    {"withdraw", "buyer", {"awaiting_seller", "offered", "rejected", "awaiting_support"}},
    {"decide", "support", {"awaiting_support"}},
};
#define N_ACTIONS N_CASES(machine)

static const char *const all_states[] = {"awaiting_seller",  "offered",  "rejected",
                                         "awaiting_support", "accepted", "closed",
                                         "decided",          "withdrawn"};

static int machine_allows(size_t a, const char *role, const char *state)
{
    if (strcmp(machine[a].role, role) != 0)
        return 0;
    for (size_t i = 0; i < 5 && machine[a].from[i]; i++)
        if (strcmp(machine[a].from[i], state) == 0)
            return 1;
    return 0;
}

/* What role may do in state, as allowed_actions lists it: "a,b". */
static void expected_actions(const char *role, const char *state, char *out, size_t len)
{
    out[0] = '\0';
    for (size_t a = 0; a < N_ACTIONS; a++)
        if (machine_allows(a, role, state))
            snprintf(out + strlen(out), len - strlen(out), "%s%s", *out ? "," : "",
                     machine[a].action);
}

/* GET as each party: state and allowed_actions as the machine says. */
#define assert_parties(w, id, state) assert_parties_at(w, id, state, __FILE__, __LINE__)
static void assert_parties_at(const struct dworld *w, int64_t id, const char *state,
                              const char *file, int line)
{
    const char *roles[] = {"buyer", "seller", "support"};
    char expected[128];
    for (size_t i = 0; i < 3; i++) {
        json_t *d = dp_read(dw_token(w, roles[i]), id);
        ck_assert_msg(strcmp(dp_state(d), state) == 0, "%s:%d: %s sees state %s, expected %s", file,
                      line, roles[i], dp_state(d), state);
        expected_actions(roles[i], state, expected, sizeof expected);
        dp_assert_actions(d, expected, file, line);
        json_decref(d);
    }
}

static void assert_final(const json_t *d, const char *state, const char *outcome, json_int_t amount,
                         const char *decision, const char *reason)
{
    char *dump = json_dumps(d, JSON_COMPACT);
    const json_t *res = json_object_get(d, "resolution");
    ck_assert_msg(strcmp(dp_state(d), state) == 0, "state %s: %s", state, dump);
    ck_assert_msg(json_is_false(json_object_get(d, "open")), "open: %s", dump);
    ck_assert_msg(json_is_null(json_object_get(d, "deadline")), "deadline: %s", dump);
    ck_assert_msg(json_is_false(json_object_get(d, "overdue")), "overdue: %s", dump);
    assert_timestamp(api_jstr(d, "closed_at"));
    ck_assert_msg(json_is_object(res) && json_object_size(res) == 4, "resolution: %s", dump);
    ck_assert_msg(strcmp(api_jstr(res, "outcome"), outcome) == 0, "outcome %s: %s", outcome, dump);
    if (amount < 0)
        ck_assert_msg(json_is_null(json_object_get(res, "amount")), "amount null: %s", dump);
    else
        ck_assert_msg(api_jint(res, "amount") == amount, "amount %lld: %s", (long long)amount,
                      dump);
    if (decision)
        ck_assert_msg(api_jstr(res, "decision") && strcmp(api_jstr(res, "decision"), decision) == 0,
                      "decision %s: %s", decision, dump);
    else
        ck_assert_msg(json_is_null(json_object_get(res, "decision")), "decision null: %s", dump);
    if (reason)
        ck_assert_msg(api_jstr(res, "reason") && strcmp(api_jstr(res, "reason"), reason) == 0,
                      "reason %s: %s", reason, dump);
    else
        ck_assert_msg(json_is_null(json_object_get(res, "reason")), "reason null: %s", dump);
    assert_actions(d, "");
    free(dump);
}

/* The seconds from updated_at to the deadline. */
static long long deadline_in(const json_t *d)
{
    return (long long)(dp_time(api_jstr(d, "deadline")) - dp_time(api_jstr(d, "updated_at")));
}

/* ---------------------------------------------------------------------------------------------
 * Every transition allowed
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_accept)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "partial_refund", 700);
    json_t *d = dp_act_ok(w.seller.token, id, "accept",
                          json_pack("{s:s}", "text", "Sorry about that, refunding."));
    assert_final(d, "accepted", "partial_refund", 700, NULL, NULL);
    ck_assert_int_eq(dp_history_len(d), 2);
    assert_event(d, 0, "buyer", "open", NULL, "awaiting_seller", 700);
    assert_event(d, 1, "seller", "accept", "awaiting_seller", "accepted", -1);
    const json_t *ev = json_array_get(json_object_get(d, "history"), 1);
    ck_assert_int_eq(api_jint(ev, "actor_id"), w.seller.id);
    ck_assert_str_eq(api_jstr(ev, "text"), "Sorry about that, refunding.");
    json_decref(d);
    assert_parties(&w, id, "accepted");

    /* a refund is all that was asked; a replacement has no amount */
    dw_posting(&w, "delivered", pn);
    id = dp_open_id(w.buyer.token, pn, "refund", 0);
    d = dp_act_ok(w.seller.token, id, "accept", NULL);
    assert_final(d, "accepted", "refund", 1000, NULL, NULL);
    json_decref(d);
    dw_posting(&w, "delivered", pn);
    id = dp_open_id(w.buyer.token, pn, "replacement", 0);
    d = dp_act_ok(w.seller.token, id, "accept", NULL);
    assert_final(d, "accepted", "replacement", -1, NULL, NULL);
    json_decref(d);
}
END_TEST

START_TEST(test_offer_then_accept_offer)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    json_t *d = dp_act_ok(w.seller.token, id, "offer",
                          json_pack("{s:i, s:s}", "amount", 400, "text", "400 for the lid?"));
    ck_assert_str_eq(dp_state(d), "offered");
    ck_assert_msg(json_is_true(json_object_get(d, "open")), "open");
    const json_t *offer = json_object_get(d, "offer");
    ck_assert_int_eq(api_jint(offer, "amount"), 400);
    ck_assert_str_eq(api_jstr(offer, "text"), "400 for the lid?");
    ck_assert_msg(json_is_null(json_object_get(d, "resolution")), "resolution");
    /* the buyer has 3 days to answer */
    long long left = deadline_in(d);
    ck_assert_msg(left >= 3 * 86400 - 2 && left <= 3 * 86400 + 2, "deadline in %lld s", left);
    assert_event(d, 1, "seller", "offer", "awaiting_seller", "offered", 400);
    assert_actions(d, "");
    json_decref(d);
    assert_parties(&w, id, "offered");
    d = dp_read(w.buyer.token, id);
    assert_actions(d, "accept_offer,decline,withdraw");
    json_decref(d);

    d = dp_act_ok(w.buyer.token, id, "accept_offer", NULL);
    assert_final(d, "closed", "partial_refund", 400, NULL, NULL);
    ck_assert_int_eq(dp_history_len(d), 3);
    assert_event(d, 2, "buyer", "accept_offer", "offered", "closed", 400);
    /* the offer stays on record */
    ck_assert_int_eq(api_jint(json_object_get(d, "offer"), "amount"), 400);
    json_decref(d);
    assert_parties(&w, id, "closed");
}
END_TEST

START_TEST(test_offer_decline_decide_partial)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    json_decref(dp_act_ok(w.seller.token, id, "offer", json_pack("{s:i}", "amount", 200)));
    json_t *d =
        dp_act_ok(w.buyer.token, id, "decline", json_pack("{s:s}", "text", "200 is too little."));
    ck_assert_str_eq(dp_state(d), "awaiting_support");
    assert_event(d, 2, "buyer", "decline", "offered", "awaiting_support", -1);
    ck_assert_str_eq(api_jstr(json_array_get(json_object_get(d, "history"), 2), "text"),
                     "200 is too little.");
    /* support has 48 hours */
    long long left = deadline_in(d);
    ck_assert_msg(left >= 48 * 3600 - 2 && left <= 48 * 3600 + 2, "deadline in %lld s", left);
    assert_actions(d, "withdraw");
    json_decref(d);
    assert_parties(&w, id, "awaiting_support");

    d = dp_act_ok(w.support.token, id, "decide",
                  json_pack("{s:s, s:i, s:s}", "outcome", "partial", "amount", 600, "reason",
                            "Half the kettle works."));
    assert_final(d, "decided", "partial_refund", 600, "partial", "Half the kettle works.");
    ck_assert_int_eq(dp_history_len(d), 4);
    assert_event(d, 3, "support", "decide", "awaiting_support", "decided", 600);
    const json_t *ev = json_array_get(json_object_get(d, "history"), 3);
    ck_assert_int_eq(api_jint(ev, "actor_id"), w.support.id);
    ck_assert_str_eq(api_jstr(ev, "reason"), "Half the kettle works.");
    json_decref(d);
    assert_parties(&w, id, "decided");
}
END_TEST

/* In the buyer's favour: what was asked, or the amount support sets; replacement: none. */
START_TEST(test_decide_buyer_favour)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "partial_refund", 700);
    dp_drive(&w, id, "awaiting_support");
    json_t *d = dp_act_ok(w.support.token, id, "decide",
                          json_pack("{s:s, s:s}", "outcome", "buyer_favour", "reason", "Cracked."));
    assert_final(d, "decided", "partial_refund", 700, "buyer_favour", "Cracked.");
    assert_event(d, 3, "support", "decide", "awaiting_support", "decided", 700);
    json_decref(d);

    dw_posting(&w, "delivered", pn);
    id = dp_open_id(w.buyer.token, pn, "refund", 0);
    dp_drive(&w, id, "awaiting_support");
    d = dp_act_ok(w.support.token, id, "decide",
                  json_pack("{s:s, s:s}", "outcome", "buyer_favour", "reason", "Cracked."));
    assert_final(d, "decided", "refund", 1000, "buyer_favour", "Cracked.");
    json_decref(d);

    dw_posting(&w, "delivered", pn);
    id = dp_open_id(w.buyer.token, pn, "refund", 0);
    dp_drive(&w, id, "awaiting_support");
    d = dp_act_ok(w.support.token, id, "decide",
                  json_pack("{s:s, s:s, s:i}", "outcome", "buyer_favour", "reason", "Cracked.",
                            "amount", 900));
    assert_final(d, "decided", "refund", 900, "buyer_favour", "Cracked.");
    assert_event(d, 3, "support", "decide", "awaiting_support", "decided", 900);
    json_decref(d);

    /* a replacement has no amount: support may not set one */
    dw_posting(&w, "delivered", pn);
    id = dp_open_id(w.buyer.token, pn, "replacement", 0);
    dp_drive(&w, id, "awaiting_support");
    struct api_resp *r = dp_act(w.support.token, id, "decide",
                                json_pack("{s:s, s:s, s:i}", "outcome", "buyer_favour", "reason",
                                          "Cracked.", "amount", 100));
    assert_field_error(r, "amount", "not_allowed");
    api_free(r);
    d = dp_act_ok(w.support.token, id, "decide",
                  json_pack("{s:s, s:s}", "outcome", "buyer_favour", "reason", "Cracked."));
    assert_final(d, "decided", "replacement", -1, "buyer_favour", "Cracked.");
    ck_assert_int_eq(dp_history_len(d), 4);
    json_decref(d);
}
END_TEST

START_TEST(test_reject_escalate_seller_favour)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    json_t *d = dp_act_ok(w.seller.token, id, "reject",
                          json_pack("{s:s, s:s}", "reason", "damage_after_delivery", "text",
                                    "The courier's photo shows it whole."));
    ck_assert_str_eq(dp_state(d), "rejected");
    const json_t *rej = json_object_get(d, "rejection");
    ck_assert_str_eq(api_jstr(rej, "reason"), "damage_after_delivery");
    ck_assert_str_eq(api_jstr(rej, "text"), "The courier's photo shows it whole.");
    long long left = deadline_in(d);
    ck_assert_msg(left >= 3 * 86400 - 2 && left <= 3 * 86400 + 2, "deadline in %lld s", left);
    assert_event(d, 1, "seller", "reject", "awaiting_seller", "rejected", -1);
    const json_t *ev = json_array_get(json_object_get(d, "history"), 1);
    ck_assert_str_eq(api_jstr(ev, "reason"), "damage_after_delivery");
    ck_assert_str_eq(api_jstr(ev, "text"), "The courier's photo shows it whole.");
    json_decref(d);
    assert_parties(&w, id, "rejected");
    d = dp_read(w.buyer.token, id);
    assert_actions(d, "escalate,withdraw");
    json_decref(d);

    d = dp_act_ok(w.buyer.token, id, "escalate", NULL);
    ck_assert_str_eq(dp_state(d), "awaiting_support");
    assert_event(d, 2, "buyer", "escalate", "rejected", "awaiting_support", -1);
    json_decref(d);
    assert_parties(&w, id, "awaiting_support");
    d = dp_read(w.support.token, id);
    assert_actions(d, "decide");
    json_decref(d);

    d = dp_act_ok(
        w.support.token, id, "decide",
        json_pack("{s:s, s:s}", "outcome", "seller_favour", "reason", "Damage after delivery."));
    assert_final(d, "decided", "none", -1, "seller_favour", "Damage after delivery.");
    assert_event(d, 3, "support", "decide", "awaiting_support", "decided", -1);
    /* the rejection stays on record */
    ck_assert_str_eq(api_jstr(json_object_get(d, "rejection"), "reason"), "damage_after_delivery");
    json_decref(d);
    assert_parties(&w, id, "decided");
}
END_TEST

static const char *const reject_reasons[] = {"delivered_as_described", "damage_after_delivery",
                                             "complete_as_shipped",    "buyer_misuse",
                                             "outside_terms",          "other"};

START_TEST(test_reject_each_reason)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "replacement", 0);
    /* exactly ten characters is enough */
    json_t *d =
        dp_act_ok(w.seller.token, id, "reject",
                  json_pack("{s:s, s:s}", "reason", reject_reasons[_i], "text", "Ten chars!"));
    ck_assert_str_eq(dp_state(d), "rejected");
    ck_assert_str_eq(api_jstr(json_object_get(d, "rejection"), "reason"), reject_reasons[_i]);
    ck_assert_str_eq(api_jstr(json_object_get(d, "rejection"), "text"), "Ten chars!");
    json_decref(d);
}
END_TEST

static const char *const open_states[] = {"awaiting_seller", "offered", "rejected",
                                          "awaiting_support"};

START_TEST(test_withdraw_from_each_open_state)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    dp_drive(&w, id, open_states[_i]);
    json_t *before = dp_read(w.buyer.token, id);
    size_t n = dp_history_len(before);
    json_decref(before);
    json_t *d = dp_act_ok(w.buyer.token, id, "withdraw",
                          json_pack("{s:s}", "text", "The seller sent a new lid."));
    assert_final(d, "withdrawn", "none", -1, NULL, NULL);
    ck_assert_int_eq(dp_history_len(d), n + 1);
    assert_event(d, n, "buyer", "withdraw", open_states[_i], "withdrawn", -1);
    json_decref(d);
    assert_parties(&w, id, "withdrawn");
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Every transition refused: each state, each role, each action it may not take now
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_refused_in_state)
{
    const char *state = all_states[_i];
    const char *roles[] = {"buyer", "seller", "support"};
    struct dworld w;
    char expected[128];
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    dp_drive(&w, id, state);
    json_t *before = dp_read(w.support.token, id);
    int tried = 0;
    for (size_t k = 0; k < 3; k++) {
        expected_actions(roles[k], state, expected, sizeof expected);
        for (size_t a = 0; a < N_ACTIONS; a++) {
            if (machine_allows(a, roles[k], state))
                continue; /* the allowed moves: see the tests above */
            int never = strcmp(machine[a].role, roles[k]) != 0;
            struct api_resp *r = dp_act(dw_token(&w, roles[k]), id, machine[a].action,
                                        dp_valid_members(machine[a].action));
            ck_assert_msg(r->status == (never ? 403 : 409), "%s %s in %s: expected %d, got %ld: %s",
                          roles[k], machine[a].action, state, never ? 403 : 409, r->status,
                          r->body);
            assert_refused(r, never ? 403 : 409, state, expected);
            api_free(r);
            tried++;
        }
    }
    /* 24 (role, action) pairs less the 1 to 4 the state allows */
    ck_assert_int_ge(tried, 20);
    /* nothing moved */
    json_t *after = dp_read(w.support.token, id);
    ck_assert_str_eq(dp_state(after), state);
    ck_assert_int_eq(dp_history_len(after), dp_history_len(before));
    ck_assert_str_eq(api_jstr(after, "updated_at"), api_jstr(before, "updated_at"));
    json_decref(before);
    json_decref(after);
    assert_parties(&w, id, state);
}
END_TEST

/* A body the action does not take: 400 with the field, before the dispute is looked at. */
static const struct {
    int who; /* 0: seller on the awaiting_seller one, 1: its buyer, 2: support on the
                awaiting_support one */
    const char *body, *field, *code;
} bad_actions[] = {
    {0, "{\"action\":\"offer\"}", "amount", "required"},
    {0, "{\"action\":\"offer\",\"amount\":0}", "amount", "out_of_range"},
    {0, "{\"action\":\"offer\",\"amount\":-1}", "amount", "out_of_range"},
    {0, "{\"action\":\"offer\",\"amount\":1001}", "amount", "too_large"},
    {0, "{\"action\":\"offer\",\"amount\":\"500\"}", "amount", "wrong_type"},
    {0, "{\"action\":\"offer\",\"amount\":500,\"reason\":\"other\"}", "reason", "not_allowed"},
    {0, "{\"action\":\"offer\",\"amount\":500,\"outcome\":\"partial\"}", "outcome", "not_allowed"},
    {0, "{\"action\":\"reject\",\"text\":\"Long enough text\"}", "reason", "required"},
    {0, "{\"action\":\"reject\",\"reason\":\"other\"}", "text", "required"},
    {0, "{\"action\":\"reject\",\"reason\":\"because\",\"text\":\"Long enough text\"}", "reason",
     "invalid_enum"},
    {0, "{\"action\":\"reject\",\"reason\":\"other\",\"text\":\"Nine char\"}", "text", "too_short"},
    {0, "{\"action\":\"reject\",\"reason\":\"other\",\"text\":\"            \"}", "text",
     "too_short"},
    {0, "{\"action\":\"reject\",\"reason\":\"other\",\"text\":\"Long enough text\",\"amount\":5}",
     "amount", "not_allowed"},
    {0, "{\"action\":\"accept\",\"amount\":100}", "amount", "not_allowed"},
    {0, "{\"action\":\"accept\",\"reason\":\"other\"}", "reason", "not_allowed"},
    {0, "{\"action\":\"accept\",\"text\":\"\"}", "text", "too_short"},
    {0, "{\"action\":\"accept\",\"text\":\"  \"}", "text", "too_short"},
    {0, "{\"action\":\"accept\",\"text\":7}", "text", "wrong_type"},
    {0, "{\"action\":\"accept\",\"colour\":\"red\"}", "colour", "unknown_field"},
    {0, "{\"action\":\"refund\"}", "action", "invalid_enum"},
    {0, "{\"action\":\"\"}", "action", "too_short"},
    {0, "{}", "action", "required"},
    {0, "{\"action\":5}", "action", "wrong_type"},
    {1, "{\"action\":\"withdraw\",\"amount\":5}", "amount", "not_allowed"},
    {1, "{\"action\":\"withdraw\",\"outcome\":\"partial\"}", "outcome", "not_allowed"},
    {1, "{\"action\":\"accept_offer\",\"text\":\"Fine\"}", "text", "not_allowed"},
    {1, "{\"action\":\"cancel\"}", "action", "invalid_enum"},
    {2, "{\"action\":\"decide\",\"reason\":\"Cracked\"}", "outcome", "required"},
    {2, "{\"action\":\"decide\",\"outcome\":\"seller_favour\"}", "reason", "required"},
    {2, "{\"action\":\"decide\",\"outcome\":\"split\",\"reason\":\"Cracked\"}", "outcome",
     "invalid_enum"},
    {2, "{\"action\":\"decide\",\"outcome\":\"partial\",\"reason\":\"Cracked\"}", "amount",
     "required"},
    {2, "{\"action\":\"decide\",\"outcome\":\"seller_favour\",\"reason\":\"Cracked\",\"amount\":5}",
     "amount", "not_allowed"},
    {2,
     "{\"action\":\"decide\",\"outcome\":\"buyer_favour\",\"reason\":\"Cracked\",\"amount\":1001}",
     "amount", "too_large"},
    {2, "{\"action\":\"decide\",\"outcome\":\"partial\",\"reason\":\"Cracked\",\"amount\":1001}",
     "amount", "too_large"},
    {2, "{\"action\":\"decide\",\"outcome\":\"partial\",\"reason\":\"Cracked\",\"amount\":0}",
     "amount", "out_of_range"},
    {2,
     "{\"action\":\"decide\",\"outcome\":\"buyer_favour\",\"reason\":\"Cracked\",\"text\":\"x\"}",
     "text", "not_allowed"},
    {2, "{\"action\":\"decide\",\"outcome\":\"buyer_favour\",\"reason\":\"   \"}", "reason",
     "too_short"},
};

START_TEST(test_action_bodies)
{
    struct dworld w;
    char pn[40], path[96];
    dw_init(&w, 1, "delivered");
    int64_t a = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    dw_posting(&w, "delivered", pn);
    int64_t b = dp_open_id(w.buyer.token, pn, "refund", 0);
    dp_drive(&w, b, "awaiting_support");
    json_t *a0 = dp_read(w.buyer.token, a), *b0 = dp_read(w.buyer.token, b);
    for (size_t i = 0; i < sizeof bad_actions / sizeof bad_actions[0]; i++) {
        const char *token = bad_actions[i].who == 0   ? w.seller.token
                            : bad_actions[i].who == 1 ? w.buyer.token
                                                      : w.support.token;
        snprintf(path, sizeof path, "/v1/disputes/%lld/actions",
                 (long long)(bad_actions[i].who == 2 ? b : a));
        struct api_resp *r = api_post(path, token, bad_actions[i].body);
        ck_assert_msg(r->status == 400 &&
                          api_has_error(r, bad_actions[i].field, bad_actions[i].code),
                      "case %zu %s: expected 400 {%s %s}, got %ld: %s", i, bad_actions[i].body,
                      bad_actions[i].field, bad_actions[i].code, r->status, r->body);
        ck_assert_problem(r, 400, "validation_failed");
        api_free(r);
    }
    /* texts over 1,000 characters */
    char *text = api_repeat("ж", 1001);
    struct api_resp *r = dp_act(w.seller.token, a, "accept", json_pack("{s:s}", "text", text));
    assert_field_error(r, "text", "too_long");
    api_free(r);
    r = dp_act(w.support.token, b, "decide",
               json_pack("{s:s, s:s}", "outcome", "seller_favour", "reason", text));
    assert_field_error(r, "reason", "too_long");
    api_free(r);
    free(text);
    /* nothing moved */
    json_t *a1 = dp_read(w.buyer.token, a), *b1 = dp_read(w.buyer.token, b);
    ck_assert_str_eq(dp_state(a1), "awaiting_seller");
    ck_assert_str_eq(dp_state(b1), "awaiting_support");
    ck_assert_int_eq(dp_history_len(a1), dp_history_len(a0));
    ck_assert_int_eq(dp_history_len(b1), dp_history_len(b0));
    json_decref(a0);
    json_decref(b0);
    json_decref(a1);
    json_decref(b1);
    /* an offer of everything that was paid is fine */
    json_t *d = dp_act_ok(w.seller.token, a, "offer", json_pack("{s:i}", "amount", 1000));
    ck_assert_int_eq(api_jint(json_object_get(d, "offer"), "amount"), 1000);
    /* an offer without a text has none (given as null or "") */
    const json_t *t = json_object_get(json_object_get(d, "offer"), "text");
    ck_assert_msg(json_is_null(t), "offer.text of an offer without a note is null");
    assert_event(d, 1, "seller", "offer", "awaiting_seller", "offered", 1000);
    json_decref(d);
}
END_TEST

START_TEST(test_action_content_violation)
{
    struct dworld w;
    char pn[40];
    dw_init(&w, 1, "delivered");
    int64_t a = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    dw_posting(&w, "delivered", pn);
    int64_t b = dp_open_id(w.buyer.token, pn, "refund", 0);
    dp_drive(&w, b, "offered");
    const struct {
        const char *token;
        int64_t id;
        const char *action;
        json_t *members;
    } cases[] = {
        {w.seller.token, a, "reject",
         json_pack("{s:s, s:s}", "reason", "other", "text", "Call me at 89161234567 instead")},
        {w.seller.token, a, "offer",
         json_pack("{s:i, s:s}", "amount", 300, "text", "Напишите мне в Telegram, там обсудим")},
        {w.seller.token, a, "accept", json_pack("{s:s}", "text", "ватсап 89164821735, пишите")},
        {w.buyer.token, a, "withdraw", json_pack("{s:s}", "text", "Write to ivan@example.com")},
        {w.buyer.token, b, "decline", json_pack("{s:s}", "text", "Call 89161234567 please")},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct api_resp *r = dp_act(cases[i].token, cases[i].id, cases[i].action, cases[i].members);
        ck_assert_problem(r, 422, "content_violation");
        api_free(r);
    }
    json_t *d = dp_read(w.seller.token, a);
    ck_assert_str_eq(dp_state(d), "awaiting_seller");
    ck_assert_int_eq(dp_history_len(d), 1);
    ck_assert_msg(json_is_null(json_object_get(d, "offer")), "offer");
    json_decref(d);
    d = dp_read(w.seller.token, b);
    ck_assert_str_eq(dp_state(d), "offered");
    ck_assert_int_eq(dp_history_len(d), 2);
    json_decref(d);
    /* support's reason too */
    json_decref(dp_act_ok(w.buyer.token, b, "decline", NULL));
    struct api_resp *r = dp_act(w.support.token, b, "decide",
                                json_pack("{s:s, s:s}", "outcome", "seller_favour", "reason",
                                          "Seller says call 89161234567"));
    ck_assert_problem(r, 422, "content_violation");
    api_free(r);
    d = dp_read(w.support.token, b);
    ck_assert_str_eq(dp_state(d), "awaiting_support");
    ck_assert_int_eq(dp_history_len(d), 3);
    json_decref(d);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Notifications: the other party hears of every move
 * ------------------------------------------------------------------------------------------- */

static void assert_notice(const char *token, const char *event, int64_t id, int count,
                          const char *pn, const char *state)
{
    json_t *last = NULL;
    int n = qa_notifications(token, event, "dispute_id", id, &last);
    ck_assert_msg(n == count, "%s about %lld: %d, expected %d", event, (long long)id, n, count);
    if (!count)
        return;
    const json_t *data = json_object_get(last, "data");
    ck_assert_str_eq(api_jstr(last, "tab"), "disputes");
    ck_assert_str_eq(api_jstr(data, "posting_number"), pn);
    ck_assert_str_eq(api_jstr(data, "state"), state);
    ck_assert_int_eq(api_jint(data, "dispute_id"), id);
    json_decref(last);
}

START_TEST(test_notifications)
{
    struct dworld w;
    dw_init(&w, 1, "delivered");
    int64_t id = dp_open_id(w.buyer.token, w.pn, "refund", 0);
    assert_notice(w.seller.token, "dispute.opened", id, 1, w.pn, "awaiting_seller");
    assert_notice(w.buyer.token, "dispute.opened", id, 0, w.pn, NULL);
    assert_notice(w.seller.token, "dispute.updated", id, 0, w.pn, NULL);
    /* the seller's move: the buyer hears */
    json_decref(dp_act_ok(w.seller.token, id, "offer", json_pack("{s:i}", "amount", 300)));
    assert_notice(w.buyer.token, "dispute.updated", id, 1, w.pn, "offered");
    assert_notice(w.seller.token, "dispute.updated", id, 0, w.pn, NULL);
    /* the buyer's: the seller */
    json_decref(dp_act_ok(w.buyer.token, id, "decline", NULL));
    assert_notice(w.seller.token, "dispute.updated", id, 1, w.pn, "awaiting_support");
    assert_notice(w.buyer.token, "dispute.updated", id, 1, w.pn, "offered");
    /* support's: both */
    json_decref(dp_act_ok(w.support.token, id, "decide",
                          json_pack("{s:s, s:s}", "outcome", "seller_favour", "reason", "No.")));
    assert_notice(w.seller.token, "dispute.updated", id, 2, w.pn, "decided");
    assert_notice(w.buyer.token, "dispute.updated", id, 2, w.pn, "decided");
    /* a refused move tells nobody */
    struct api_resp *r = dp_act(w.buyer.token, id, "withdraw", NULL);
    ck_assert_problem(r, 409, "action_not_allowed");
    api_free(r);
    assert_notice(w.seller.token, "dispute.updated", id, 2, w.pn, "decided");
    ck_assert_uint_eq(dp_tab_items(w.seller.token), 3);
    ck_assert_uint_eq(dp_tab_items(w.buyer.token), 2);
}
END_TEST

void dispute_actions_tcases(Suite *s)
{
    TCase *tc = api_tcase("actions");
    tcase_add_test(tc, test_accept);
    tcase_add_test(tc, test_offer_then_accept_offer);
    tcase_add_test(tc, test_offer_decline_decide_partial);
    tcase_add_test(tc, test_decide_buyer_favour);
    tcase_add_test(tc, test_reject_escalate_seller_favour);
    tcase_add_loop_test(tc, test_reject_each_reason, 0, N_CASES(reject_reasons));
    tcase_add_loop_test(tc, test_withdraw_from_each_open_state, 0, N_CASES(open_states));
    tcase_add_loop_test(tc, test_refused_in_state, 0, N_CASES(all_states));
    tcase_add_test(tc, test_action_bodies);
    tcase_add_test(tc, test_action_content_violation);
    tcase_add_test(tc, test_notifications);
    suite_add_tcase(s, tc);
}
