#include "dispute_rules.h"

#include <string.h>

const char *const dispute_reasons[] = {"not_received", "damaged", "wrong_item",
                                       "incomplete",   "quality", "not_as_described",
                                       "other",        NULL};
const char *const dispute_requests[] = {"refund", "partial_refund", "replacement", NULL};
const char *const dispute_reject_reasons[] = {
    "delivered_as_described", /* the item matches its description and the order */
    "damage_after_delivery",  /* the damage was done after the buyer received it */
    "complete_as_shipped",    /* everything was in the parcel */
    "buyer_misuse",           /* a fault from use against the instructions */
    "outside_terms",          /* the claim is outside the shop's warranty or return terms */
    "other",                  /* explained in the text */
    NULL};
const char *const dispute_outcomes[] = {"buyer_favour", "seller_favour", "partial", NULL};
const char *const dispute_states[] = {"awaiting_seller",  "offered",   "rejected",
                                      "awaiting_support", "accepted",  "closed",
                                      "decided",          "withdrawn", NULL};

static const char *const from_awaiting_seller[] = {"awaiting_seller", NULL};
static const char *const from_offered[] = {"offered", NULL};
static const char *const from_rejected[] = {"rejected", NULL};
static const char *const from_awaiting_support[] = {"awaiting_support", NULL};
static const char *const from_open[] = {"awaiting_seller", "offered", "rejected",
                                        "awaiting_support", NULL};

static const struct dispute_action actions[] = {
    {"accept", ROLE_SELLER, from_awaiting_seller, "accepted", DF_NONE, DF_TEXT},
    {"offer", ROLE_SELLER, from_awaiting_seller, "offered", DF_AMOUNT, DF_AMOUNT | DF_TEXT},
    {"reject", ROLE_SELLER, from_awaiting_seller, "rejected", DF_REASON | DF_TEXT,
     DF_REASON | DF_TEXT},
    {"accept_offer", ROLE_BUYER, from_offered, "closed", DF_NONE, DF_NONE},
    {"decline", ROLE_BUYER, from_offered, "awaiting_support", DF_NONE, DF_TEXT},
    {"escalate", ROLE_BUYER, from_rejected, "awaiting_support", DF_NONE, DF_TEXT},
    {"withdraw", ROLE_BUYER, from_open, "withdrawn", DF_NONE, DF_TEXT},
    {"decide", ROLE_SUPPORT, from_awaiting_support, "decided", DF_OUTCOME | DF_REASON,
     DF_OUTCOME | DF_REASON | DF_AMOUNT},
};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

/* A deadline passing: the seller's silence hands the dispute to support (Ozon's
 * CompensationRejectedBySla, but decided by a person rather than refused); the buyer's silence
 * after an offer or a rejection closes it without a refund. */
static const struct {
    const char *from, *to;
} lapses[] = {
    {"awaiting_seller", "awaiting_support"},
    {"offered", "closed"},
    {"rejected", "closed"},
};

int dispute_in(const char *const *list, const char *s)
{
    for (; s && *list; list++)
        if (strcmp(*list, s) == 0)
            return 1;
    return 0;
}

const struct dispute_action *dispute_action_find(const char *name)
{
    for (size_t i = 0; name && i < N_ACTIONS; i++)
        if (strcmp(actions[i].name, name) == 0)
            return &actions[i];
    return NULL;
}

int dispute_action_from(const struct dispute_action *a, const char *state)
{
    return dispute_in(a->from, state);
}

json_t *dispute_allowed_actions(auth_role role, const char *state)
{
    json_t *out = json_array();
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (actions[i].role == role && dispute_in(actions[i].from, state))
            json_array_append_new(out, json_string(actions[i].name));
    return out;
}

int dispute_state_final(const char *state)
{
    return !dispute_in(from_open, state);
}

const char *dispute_deadline_target(const char *state)
{
    for (size_t i = 0; state && i < sizeof lapses / sizeof lapses[0]; i++)
        if (strcmp(lapses[i].from, state) == 0)
            return lapses[i].to;
    return NULL;
}
