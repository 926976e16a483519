#ifndef SD_TEST_DISPUTE_FIXTURES_H
#define SD_TEST_DISPUTE_FIXTURES_H

/* Helpers shared by the dispute suites (disputes, dispute_deadlines): purchases, disputes and
 * their moves, all made through the API. */
#include <time.h>

#include "review_fixtures.h"

#define DP_TEXT "The lid of the kettle came cracked and it leaks."

/* A seller "Kettle Shop" with n products (1 to 3): product i priced (i + 1) * 1000, of which
 * the buyer "Dana Buyer" bought i + 1 in one order (one posting, pn), moved to final
 * ("delivered", "delivering", or NULL: left awaiting packaging). Paid for everything:
 * 1000, 5000 (n 2) or 14000 (n 3). Support is the demo support account. */
struct dworld {
    struct api_user seller, buyer, support;
    int64_t product[3];
    int n;
    char pn[40];
};
void dw_init(struct dworld *w, int n, const char *final);
/* The token of the world's "buyer", "seller" or "support". */
const char *dw_token(const struct dworld *w, const char *role);
/* Another posting of the world's buyer: one of product[0] (1000), moved to final. */
void dw_posting(const struct dworld *w, const char *final, char pn[40]);

/* {posting_number, reason damaged, text DP_TEXT, requested} plus amount when > 0. */
json_t *dp_body(const char *pn, const char *requested, json_int_t amount);
/* POST /v1/disputes with body (stolen), extra header line or NULL. */
struct api_resp *dp_post(const char *token, json_t *body, const char *header);
/* The same asserting 201: the dispute (caller decrefs) or its id. */
json_t *dp_open(const char *token, const char *pn, const char *requested, json_int_t amount);
int64_t dp_open_id(const char *token, const char *pn, const char *requested, json_int_t amount);

/* GET /v1/disputes/{id}<suffix>; POST /v1/disputes/{id}<suffix> with body (stolen, NULL:
 * none). */
struct api_resp *dp_get(const char *token, int64_t id, const char *suffix);
struct api_resp *dp_post_to(const char *token, int64_t id, const char *suffix, json_t *body);
/* GET /v1/disputes/{id} as 200 (caller decrefs). */
json_t *dp_read(const char *token, int64_t id);
/* POST /v1/disputes/{id}/actions {action} plus the members of extra (stolen, may be NULL). */
struct api_resp *dp_act(const char *token, int64_t id, const char *action, json_t *extra);
/* The same asserting 200: the dispute (caller decrefs). */
json_t *dp_act_ok(const char *token, int64_t id, const char *action, json_t *extra);
/* A body an action takes as valid (amount 100 for offer, a reason and text for reject,
 * seller_favour for decide), as a new object without "action". */
json_t *dp_valid_members(const char *action);
/* Moves an awaiting_seller dispute of w to state through the API: offered (offer 400),
 * rejected, awaiting_support (rejected, escalated), accepted, closed (offer accepted),
 * decided (support in the seller's favour), withdrawn. */
void dp_drive(const struct dworld *w, int64_t id, const char *state);

/* The member state / the history's length of a dispute. */
const char *dp_state(const json_t *d);
size_t dp_history_len(const json_t *d);

/* allowed_actions (of a dispute or a problem) is exactly the comma list ("" for none). */
#define assert_actions(obj, list) dp_assert_actions(obj, list, __FILE__, __LINE__)
void dp_assert_actions(const json_t *obj, const char *list, const char *file, int line);
/* history[i] is {actor_role, action, from_state (NULL: null), to_state, amount (-1: null)}. */
#define assert_event(d, i, role, action, from, to, amount)                                         \
    dp_assert_event(d, i, role, action, from, to, amount, __FILE__, __LINE__)
void dp_assert_event(const json_t *d, size_t i, const char *role, const char *action,
                     const char *from, const char *to, json_int_t amount, const char *file,
                     int line);
/* 403 action_not_permitted / 409 action_not_allowed with state and the exact allowed list. */
#define assert_refused(r, status, state, list)                                                     \
    dp_assert_refused(r, status, state, list, __FILE__, __LINE__)
void dp_assert_refused(const struct api_resp *r, int status, const char *state, const char *list,
                       const char *file, int line);

/* GET /v1/disputes?<query> following every cursor, limit a page (caller decrefs). */
json_t *dp_list(const char *token, const char *query, int limit);
/* The number of items of that list. */
size_t dp_list_size(const char *token, const char *query);
/* GET /v1/disputes/counts (caller decrefs); one count of it (by_state.<state>, or "open" /
 * "overdue"). */
json_t *dp_counts(const char *token);
json_int_t dp_count(const json_t *counts, const char *what);

/* A timestamp of the API as seconds since the epoch. */
time_t dp_time(const char *ts);
/* GET /v1/files/{id}: the status. */
long dp_file_status(const char *token, int64_t file);
/* How many notifications of event about dispute id the user has; how many notifications the
 * user has on the disputes tab. */
int dp_notified(const char *token, const char *event, int64_t id);
size_t dp_tab_items(const char *token);

/* The parts of the suite "disputes" kept in other files. */
void dispute_actions_tcases(Suite *s);
void dispute_lists_tcases(Suite *s);
void dispute_thread_tcases(Suite *s);
void dispute_races_tcases(Suite *s);
void dispute_access_tcases(Suite *s);

#endif
