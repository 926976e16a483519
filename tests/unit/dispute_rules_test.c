#include <string.h>

#include "../../src/dispute_rules.h"
#include "unit.h"

/* allowed_actions as "a,b,c" */
static void allowed(auth_role role, const char *state, char *out, size_t len)
{
    json_t *a = dispute_allowed_actions(role, state), *v;
    size_t i;
    out[0] = '\0';
    json_array_foreach(a, i, v)
    {
        strncat(out, i ? "," : "", len - strlen(out) - 1);
        strncat(out, json_string_value(v), len - strlen(out) - 1);
    }
    json_decref(a);
}

/* The whole table as each party sees it: what a buyer, a seller and support may do in each
 * state. A change of the machine changes this test on purpose. */
START_TEST(allowed_actions_by_state_and_role)
{
    static const struct {
        const char *state, *buyer, *seller, *support;
    } cases[] = {
        {"awaiting_seller", "withdraw", "accept,offer,reject", ""},
        {"offered", "accept_offer,decline,withdraw", "", ""},
        {"rejected", "escalate,withdraw", "", ""},
        {"awaiting_support", "withdraw", "", "decide"},
        {"accepted", "", "", ""},
        {"closed", "", "", ""},
        {"decided", "", "", ""},
        {"withdrawn", "", "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char got[128];
        allowed(ROLE_BUYER, cases[i].state, got, sizeof got);
        ck_assert_msg(strcmp(got, cases[i].buyer) == 0, "%s buyer: '%s', expected '%s'",
                      cases[i].state, got, cases[i].buyer);
        allowed(ROLE_SELLER, cases[i].state, got, sizeof got);
        ck_assert_msg(strcmp(got, cases[i].seller) == 0, "%s seller: '%s', expected '%s'",
                      cases[i].state, got, cases[i].seller);
        allowed(ROLE_SUPPORT, cases[i].state, got, sizeof got);
        ck_assert_msg(strcmp(got, cases[i].support) == 0, "%s support: '%s', expected '%s'",
                      cases[i].state, got, cases[i].support);
        ck_assert_int_eq(dispute_state_final(cases[i].state), i >= 4);
    }
}
END_TEST

START_TEST(every_action_leads_to_a_known_state)
{
    static const char *const names[] = {"accept",  "offer",    "reject",   "accept_offer",
                                        "decline", "escalate", "withdraw", "decide"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct dispute_action *a = dispute_action_find(names[i]);
        ck_assert_msg(a != NULL, "%s is not in the table", names[i]);
        ck_assert_msg(dispute_in(dispute_states, a->to), "%s leads to unknown '%s'", names[i],
                      a->to);
        for (int k = 0; a->from[k]; k++)
            ck_assert_msg(!dispute_state_final(a->from[k]), "%s is taken in final state %s",
                          names[i], a->from[k]);
        ck_assert_msg((a->required & ~a->allowed) == 0, "%s requires a member it refuses",
                      names[i]);
    }
    ck_assert_ptr_null(dispute_action_find("approve"));
    ck_assert_ptr_null(dispute_action_find(NULL));
}
END_TEST

START_TEST(deadlines_move_only_waiting_states)
{
    static const struct {
        const char *from, *to;
    } cases[] = {
        {"awaiting_seller", "awaiting_support"},
        {"offered", "closed"},
        {"rejected", "closed"},
        {"awaiting_support", NULL},
        {"decided", NULL},
        {"withdrawn", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *to = dispute_deadline_target(cases[i].from);
        ck_assert_msg(to == cases[i].to || (to && cases[i].to && strcmp(to, cases[i].to) == 0),
                      "%s: deadline leads to '%s', expected '%s'", cases[i].from,
                      to ? to : "(nothing)", cases[i].to ? cases[i].to : "(nothing)");
    }
}
END_TEST

Suite *dispute_rules_suite(void)
{
    Suite *s = suite_create("dispute_rules");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, allowed_actions_by_state_and_role);
    tcase_add_test(tc, every_action_leads_to_a_known_state);
    tcase_add_test(tc, deadlines_move_only_waiting_states);
    suite_add_tcase(s, tc);
    return s;
}
