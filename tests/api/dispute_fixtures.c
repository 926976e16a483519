#include "dispute_fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void dw_init(struct dworld *w, int n, const char *final)
{
    char offer[64], name[64];
    json_t *items = json_array();
    memset(w, 0, sizeof *w);
    w->n = n;
    api_new_user_named(&w->seller, "seller", "Kettle Shop");
    api_new_user_named(&w->buyer, "buyer", "Dana Buyer");
    api_demo_user(&w->support, SUPPORT_EMAIL);
    for (int i = 0; i < n && i < 3; i++) {
        snprintf(name, sizeof name, "Kettle part %d", i + 1);
        struct api_resp *r =
            api_postf("/v1/products", w->seller.token, "{s:s, s:s, s:I, s:I}", "offer_id",
                      api_unique("DP-", offer, sizeof offer), "name", name, "price",
                      (json_int_t)(i + 1) * 1000, "stock", (json_int_t)50);
        ck_assert_status(r, 201);
        w->product[i] = api_int(r, "id");
        api_free(r);
        json_array_append_new(items, json_pack("{s:I, s:i}", "product_id",
                                               (json_int_t)w->product[i], "quantity", i + 1));
    }
    json_t *body = json_pack("{s:o}", "items", items);
    char *text = json_dumps(body, 0);
    struct api_resp *r = api_post("/v1/orders", w->buyer.token, text);
    ck_assert_status(r, 201);
    json_t *postings = json_object_get(r->json, "postings");
    ck_assert_int_eq(json_array_size(postings), 1);
    snprintf(w->pn, sizeof w->pn, "%s", api_jstr(json_array_get(postings, 0), "posting_number"));
    api_free(r);
    free(text);
    json_decref(body);
    if (final)
        rv_move(w->seller.token, w->pn, "delivering");
    if (final && strcmp(final, "delivering") != 0)
        rv_move(w->seller.token, w->pn, final);
}

const char *dw_token(const struct dworld *w, const char *role)
{
    return strcmp(role, "buyer") == 0    ? w->buyer.token
           : strcmp(role, "seller") == 0 ? w->seller.token
                                         : w->support.token;
}

void dw_posting(const struct dworld *w, const char *final, char pn[40])
{
    rv_buy(&w->buyer, &w->seller, w->product[0], NULL, pn);
    if (final)
        rv_move(w->seller.token, pn, "delivering");
    if (final && strcmp(final, "delivering") != 0)
        rv_move(w->seller.token, pn, final);
}

json_t *dp_body(const char *pn, const char *requested, json_int_t amount)
{
    json_t *b = json_pack("{s:s, s:s, s:s, s:s}", "posting_number", pn, "reason", "damaged", "text",
                          DP_TEXT, "requested", requested);
    if (amount > 0)
        json_object_set_new(b, "amount", json_integer(amount));
    return b;
}

struct api_resp *dp_post(const char *token, json_t *body, const char *header)
{
    char *text = json_dumps(body, JSON_COMPACT);
    struct api_resp *r = api_request("POST", "/v1/disputes", token, text, NULL, header);
    free(text);
    json_decref(body);
    return r;
}

json_t *dp_open(const char *token, const char *pn, const char *requested, json_int_t amount)
{
    struct api_resp *r = dp_post(token, dp_body(pn, requested, amount), NULL);
    ck_assert_status(r, 201);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

int64_t dp_open_id(const char *token, const char *pn, const char *requested, json_int_t amount)
{
    json_t *d = dp_open(token, pn, requested, amount);
    int64_t id = api_jint(d, "id");
    ck_assert_int_gt(id, 0);
    json_decref(d);
    return id;
}

struct api_resp *dp_get(const char *token, int64_t id, const char *suffix)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/disputes/%lld%s", (long long)id, suffix);
    return api_get(path, token);
}

struct api_resp *dp_post_to(const char *token, int64_t id, const char *suffix, json_t *body)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/disputes/%lld%s", (long long)id, suffix);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct api_resp *r = api_post(path, token, text);
    free(text);
    json_decref(body);
    return r;
}

json_t *dp_read(const char *token, int64_t id)
{
    struct api_resp *r = dp_get(token, id, "");
    ck_assert_status(r, 200);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

struct api_resp *dp_act(const char *token, int64_t id, const char *action, json_t *extra)
{
    json_t *body = json_pack("{s:s}", "action", action);
    if (extra) {
        json_object_update(body, extra);
        json_decref(extra);
    }
    return dp_post_to(token, id, "/actions", body);
}

json_t *dp_act_ok(const char *token, int64_t id, const char *action, json_t *extra)
{
    struct api_resp *r = dp_act(token, id, action, extra);
    ck_assert_msg(r->status == 200, "%s on dispute %lld: expected 200, got %ld: %s", action,
                  (long long)id, r->status, r->body);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

json_t *dp_valid_members(const char *action)
{
    if (strcmp(action, "offer") == 0)
        return json_pack("{s:i}", "amount", 400);
    if (strcmp(action, "reject") == 0)
        return json_pack("{s:s, s:s}", "reason", "delivered_as_described", "text",
                         "The kettle left us intact, see the packing photos.");
    if (strcmp(action, "decide") == 0)
        return json_pack("{s:s, s:s}", "outcome", "seller_favour", "reason",
                         "The photos show the damage happened after delivery.");
    return json_object();
}

static void dp_step(const char *token, int64_t id, const char *action, const char *to)
{
    json_t *d = dp_act_ok(token, id, action, dp_valid_members(action));
    ck_assert_str_eq(dp_state(d), to);
    json_decref(d);
}

void dp_drive(const struct dworld *w, int64_t id, const char *state)
{
    if (strcmp(state, "awaiting_seller") == 0)
        return;
    if (strcmp(state, "withdrawn") == 0) {
        dp_step(w->buyer.token, id, "withdraw", "withdrawn");
        return;
    }
    if (strcmp(state, "accepted") == 0) {
        dp_step(w->seller.token, id, "accept", "accepted");
        return;
    }
    if (strcmp(state, "offered") == 0 || strcmp(state, "closed") == 0) {
        dp_step(w->seller.token, id, "offer", "offered");
        if (strcmp(state, "closed") == 0)
            dp_step(w->buyer.token, id, "accept_offer", "closed");
        return;
    }
    dp_step(w->seller.token, id, "reject", "rejected");
    if (strcmp(state, "rejected") == 0)
        return;
    dp_step(w->buyer.token, id, "escalate", "awaiting_support");
    if (strcmp(state, "awaiting_support") == 0)
        return;
    ck_assert_str_eq(state, "decided");
    dp_step(w->support.token, id, "decide", "decided");
}

const char *dp_state(const json_t *d)
{
    const char *s = api_jstr(d, "state");
    return s ? s : "(none)";
}

size_t dp_history_len(const json_t *d)
{
    const json_t *h = json_object_get(d, "history");
    ck_assert_msg(json_is_array(h), "no history");
    return json_array_size(h);
}

void dp_assert_actions(const json_t *obj, const char *list, const char *file, int line)
{
    const json_t *a = json_object_get(obj, "allowed_actions");
    char got[256] = "";
    size_t i;
    json_t *v;
    ck_assert_msg(json_is_array(a), "%s:%d: no allowed_actions array", file, line);
    json_array_foreach(a, i, v)
    {
        ck_assert_msg(json_is_string(v), "%s:%d: allowed_actions holds a non-string", file, line);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? "," : "",
                 json_string_value(v));
    }
    ck_assert_msg(strcmp(got, list) == 0, "%s:%d: allowed_actions [%s], expected [%s] (state %s)",
                  file, line, got, list, dp_state(obj));
}

static int same_or_null(const json_t *v, const char *expected)
{
    if (!expected)
        return json_is_null(v);
    return json_is_string(v) && strcmp(json_string_value(v), expected) == 0;
}

void dp_assert_event(const json_t *d, size_t i, const char *role, const char *action,
                     const char *from, const char *to, json_int_t amount, const char *file,
                     int line)
{
    const json_t *e = json_array_get(json_object_get(d, "history"), i);
    char *dump = json_dumps(json_object_get(d, "history"), JSON_COMPACT);
    ck_assert_msg(json_is_object(e), "%s:%d: no history[%zu]: %s", file, line, i, dump);
    const json_t *am = json_object_get(e, "amount");
    int ok =
        same_or_null(json_object_get(e, "actor_role"), role) &&
        same_or_null(json_object_get(e, "action"), action) &&
        same_or_null(json_object_get(e, "from_state"), from) &&
        same_or_null(json_object_get(e, "to_state"), to) &&
        (amount < 0 ? json_is_null(am) : json_is_integer(am) && json_integer_value(am) == amount);
    ck_assert_msg(ok, "%s:%d: history[%zu] expected {%s %s %s -> %s amount %lld}: %s", file, line,
                  i, role, action, from ? from : "null", to, (long long)amount, dump);
    ck_assert_msg(json_is_integer(json_object_get(e, "id")), "%s:%d: event without id", file, line);
    api_assert_timestamp(api_jstr(e, "at"), "history at", file, line);
    free(dump);
}

void dp_assert_refused(const struct api_resp *r, int status, const char *state, const char *list,
                       const char *file, int line)
{
    api_assert_problem(r, status, status == 403 ? "action_not_permitted" : "action_not_allowed",
                       file, line);
    ck_assert_msg(api_str(r, "state") && strcmp(api_str(r, "state"), state) == 0,
                  "%s:%d: problem state expected %s: %s", file, line, state, r->body);
    dp_assert_actions(r->json, list, file, line);
}

json_t *dp_list(const char *token, const char *query, int limit)
{
    return rv_walk(token, "/v1/disputes", query, limit);
}

size_t dp_list_size(const char *token, const char *query)
{
    json_t *items = dp_list(token, query, 100);
    size_t n = json_array_size(items);
    json_decref(items);
    return n;
}

json_t *dp_counts(const char *token)
{
    struct api_resp *r = api_get("/v1/disputes/counts", token);
    ck_assert_status(r, 200);
    ck_assert_msg(json_is_object(json_object_get(r->json, "by_state")) &&
                      json_is_integer(json_object_get(r->json, "open")) &&
                      json_is_integer(json_object_get(r->json, "overdue")),
                  "counts: %s", r->body);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

json_int_t dp_count(const json_t *counts, const char *what)
{
    if (strcmp(what, "open") == 0 || strcmp(what, "overdue") == 0)
        return api_jint(counts, what);
    const json_t *n = json_object_get(json_object_get(counts, "by_state"), what);
    /* only states with disputes are listed */
    ck_assert_msg(!n || (json_is_integer(n) && json_integer_value(n) > 0), "by_state.%s", what);
    return n ? json_integer_value(n) : 0;
}

long dp_file_status(const char *token, int64_t file)
{
    char path[64];
    snprintf(path, sizeof path, "/v1/files/%lld", (long long)file);
    struct api_resp *r = api_get(path, token);
    long status = r->status;
    api_free(r);
    return status;
}

int dp_notified(const char *token, const char *event, int64_t id)
{
    return qa_notifications(token, event, "dispute_id", id, NULL);
}

time_t dp_time(const char *ts)
{
    struct tm tm = {0};
    ck_assert_msg(ts && sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                               &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6,
                  "not a timestamp: %s", ts ? ts : "(null)");
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return timegm(&tm);
}

size_t dp_tab_items(const char *token)
{
    struct api_resp *r = api_get("/v1/notifications?limit=100&tab=disputes", token);
    ck_assert_status(r, 200);
    size_t n = json_array_size(json_object_get(r->json, "items"));
    api_free(r);
    return n;
}
