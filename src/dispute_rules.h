#ifndef SD_DISPUTE_RULES_H
#define SD_DISPUTE_RULES_H

#include <jansson.h>

#include "auth.h"

/* The dispute state machine, one table (dispute_rules.c): each action names the one role that
 * may ever take it, the states it may be taken in and the state it leads to. Everything that
 * decides what a caller may do asks here: the action endpoint (403 / 409), allowed_actions in
 * every answer, and the deadline job. A new action is an entry of the table. */

enum dispute_field { DF_NONE = 0, DF_AMOUNT = 1, DF_TEXT = 2, DF_REASON = 4, DF_OUTCOME = 8 };

struct dispute_action {
    const char *name;
    auth_role role;             /* the only role that may take it */
    const char *const *from;    /* states it may be taken in, NULL-terminated */
    const char *to;             /* the state it leads to */
    unsigned required, allowed; /* body members besides action (enum dispute_field) */
};

/* NULL for an unknown action. */
const struct dispute_action *dispute_action_find(const char *name);
/* 1 when the action may be taken in state. */
int dispute_action_from(const struct dispute_action *a, const char *state);
/* The actions role may take in state (a party of the dispute; support sees every one), as a
 * new JSON array of names. */
json_t *dispute_allowed_actions(auth_role role, const char *state);
/* 1 for a state that ends the dispute. */
int dispute_state_final(const char *state);
/* Where a deadline passing leads from state, and the resolution it carries (outcome, "none"
 * when nothing is refunded); NULL for a state without an automatic move. */
const char *dispute_deadline_target(const char *state);

/* The documented lists. */
extern const char *const dispute_reasons[];        /* why a buyer opens one */
extern const char *const dispute_requests[];       /* refund, partial_refund, replacement */
extern const char *const dispute_reject_reasons[]; /* why a seller rejects one */
extern const char *const dispute_outcomes[];       /* buyer_favour, seller_favour, partial */
extern const char *const dispute_states[];
/* 1 when s is in the NULL-terminated list. */
int dispute_in(const char *const *list, const char *s);

#endif
