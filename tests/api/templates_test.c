/* API tests of canned-reply templates (GET/POST /v1/templates, GET/PATCH/DELETE
 * /v1/templates/{id}) against the real server: the defaults every new seller gets, placeholders,
 * the content-safety guard at save time, the per-owner cap, roles and ownership. The demo
 * support account is shared, so support tests look only at the templates they made. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"
#define TEMPLATES     "/v1/templates"
#define PER_OWNER_MAX 200

static const char *const default_titles[] = {"Sorry for the delay", "Please confirm the colour",
                                             "Order packed and handed to delivery"};

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

static const char *tpl_path(json_int_t id)
{
    static char path[64];
    snprintf(path, sizeof path, TEMPLATES "/%lld", (long long)id);
    return path;
}

static struct api_resp *tpl_post(const char *token, const char *title, const char *text)
{
    return api_postf(TEMPLATES, token, "{s:s, s:s}", "title", title, "text", text);
}

static struct api_resp *tpl_delete(const char *token, json_int_t id)
{
    return api_request("DELETE", tpl_path(id), token, NULL, NULL, NULL);
}

/* A template as the API answers it: exactly these members, timestamps well-formed. */
static void assert_template_shape(const json_t *t)
{
    char *dump = json_dumps(t, JSON_COMPACT);
    ck_assert_msg(json_object_size(t) == 6, "expected 6 members: %s", dump);
    ck_assert_msg(json_is_integer(json_object_get(t, "id")) && api_jint(t, "id") > 0, "id: %s",
                  dump);
    ck_assert_msg(api_jstr(t, "title") && api_jstr(t, "text"), "title/text: %s", dump);
    ck_assert_msg(json_is_array(json_object_get(t, "placeholders")), "placeholders: %s", dump);
    assert_timestamp(api_jstr(t, "created_at"));
    assert_timestamp(api_jstr(t, "updated_at"));
    free(dump);
}

/* Creates a template (201); returns its body (caller decrefs). */
static json_t *tpl_create(const char *token, const char *title, const char *text)
{
    struct api_resp *r = tpl_post(token, title, text);
    ck_assert_status(r, 201);
    assert_template_shape(r->json);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

static json_int_t tpl_create_id(const char *token, const char *title, const char *text)
{
    json_t *t = tpl_create(token, title, text);
    json_int_t id = api_jint(t, "id");
    json_decref(t);
    return id;
}

/* GET /v1/templates/{id} as 200 (caller decrefs). */
static json_t *tpl_fetch(const char *token, json_int_t id)
{
    struct api_resp *r = api_get(tpl_path(id), token);
    ck_assert_status(r, 200);
    assert_template_shape(r->json);
    json_t *out = json_incref(r->json);
    api_free(r);
    return out;
}

/* Every template of token, walking the pages of size limit; checks newest first and that no
 * id repeats (caller decrefs). */
static json_t *tpl_all(const char *token, int limit)
{
    json_t *all = json_array();
    char path[1024], cursor[512] = "";
    json_int_t prev = 0;
    for (int pages = 0;; pages++) {
        ck_assert_int_lt(pages, 1000);
        snprintf(path, sizeof path, TEMPLATES "?limit=%d%s%s", limit, *cursor ? "&cursor=" : "",
                 cursor);
        struct api_resp *r = api_get(path, token);
        ck_assert_status(r, 200);
        json_t *items = json_object_get(r->json, "items"), *next;
        ck_assert_msg(json_is_array(items) && json_array_size(items) <= (size_t)limit, "%s",
                      r->body);
        size_t i;
        json_t *it;
        json_array_foreach(items, i, it)
        {
            assert_template_shape(it);
            ck_assert_msg(prev == 0 || api_jint(it, "id") < prev, "not newest first: %s", r->body);
            prev = api_jint(it, "id");
            json_array_append(all, it);
        }
        next = json_object_get(r->json, "next_cursor");
        ck_assert_msg(json_is_null(next) || json_is_string(next), "next_cursor: %s", r->body);
        if (json_is_null(next)) {
            api_free(r);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        api_free(r);
    }
    return all;
}

static size_t tpl_count(const char *token)
{
    json_t *all = tpl_all(token, 100);
    size_t n = json_array_size(all);
    json_decref(all);
    return n;
}

static int has_id(const json_t *items, json_int_t id)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (api_jint(it, "id") == id)
            return 1;
    }
    return 0;
}

/* The placeholders array of t is exactly names (in that order). */
static void assert_placeholders(const json_t *t, const char *const *names, size_t n)
{
    json_t *p = json_object_get(t, "placeholders");
    char *dump = json_dumps(t, JSON_COMPACT);
    ck_assert_msg(json_array_size(p) == n, "expected %zu placeholders: %s", n, dump);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(json_string_value(json_array_get(p, i)) &&
                          strcmp(json_string_value(json_array_get(p, i)), names[i]) == 0,
                      "placeholder %zu should be %s: %s", i, names[i], dump);
    free(dump);
}

/* One template of the caller, as JSON text for before/after comparisons (malloc'd). */
static char *tpl_snapshot(const char *token, json_int_t id)
{
    json_t *t = tpl_fetch(token, id);
    char *s = json_dumps(t, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(t);
    return s;
}

/* 422 content_violation naming field and rule. */
static void assert_violation(const struct api_resp *r, const char *field, const char *rule)
{
    size_t i;
    json_t *v;
    int found = 0;
    ck_assert_problem(r, 422, "content_violation");
    json_array_foreach(json_object_get(r->json, "violations"), i, v)
    {
        if (strcmp(api_jstr(v, "field"), field) == 0 && strcmp(api_jstr(v, "rule"), rule) == 0)
            found = 1;
    }
    ck_assert_msg(found, "expected a %s violation in %s: %s", rule, field, r->body);
}

/* ---------------------------------------------------------------------------------------------
 * Defaults and roles
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_new_seller_gets_three_defaults)
{
    static const char *const used[] = {"buyer_name", "posting_number"};
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r = api_get(TEMPLATES, seller.token);
    ck_assert_status(r, 200);
    json_t *items = json_object_get(r->json, "items");
    ck_assert_msg(json_array_size(items) == 3, "expected the 3 defaults: %s", r->body);
    ck_assert_msg(json_is_null(json_object_get(r->json, "next_cursor")), "%s", r->body);
    for (size_t i = 0; i < 3; i++) {
        json_t *t = json_array_get(items, i);
        assert_template_shape(t);
        ck_assert_str_eq(api_jstr(t, "title"), default_titles[i]);
        ck_assert_msg(strstr(api_jstr(t, "text"), "{posting_number}") != NULL, "%s", r->body);
        ck_assert_str_eq(api_jstr(t, "created_at"), api_jstr(t, "updated_at"));
    }
    /* "Sorry ..." names the buyer first; the other two too, so the order is the same */
    for (size_t i = 0; i < 3; i++)
        assert_placeholders(json_array_get(items, i), used, 2);
    /* each one is the seller's own: readable by id */
    json_t *t = tpl_fetch(seller.token, api_jint(json_array_get(items, 0), "id"));
    ck_assert_str_eq(api_jstr(t, "title"), default_titles[0]);
    json_decref(t);
    api_free(r);
}
END_TEST

START_TEST(test_buyer_is_refused_everywhere)
{
    struct api_user buyer, seller;
    api_new_user(&buyer, "buyer");
    api_new_user(&seller, "seller");
    json_int_t id = tpl_create_id(seller.token, "Hi", "Hello, {buyer_name}!");
    char *before = tpl_snapshot(seller.token, id);
    struct api_resp *r[] = {
        api_get(TEMPLATES, buyer.token),
        tpl_post(buyer.token, "Mine", "A text"),
        api_get(tpl_path(id), buyer.token),
        api_patch(tpl_path(id), buyer.token, "{\"title\": \"Taken\"}"),
        tpl_delete(buyer.token, id),
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        ck_assert_problem(r[i], 403, "forbidden");
        api_free(r[i]);
    }
    char *after = tpl_snapshot(seller.token, id);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(test_support_has_own_templates_only)
{
    struct api_user support, seller;
    api_demo_user(&support, SUPPORT_EMAIL);
    api_new_user(&seller, "seller");
    json_t *seller_items = tpl_all(seller.token, 100);
    ck_assert_uint_eq(json_array_size(seller_items), 3);
    json_int_t mine =
        /* a fixed title: a random number in it can read as a phone number to the engine */
        tpl_create_id(support.token, "Support follow-up",
                      "Hello, {buyer_name}! We have looked into {posting_number} for you.");
    json_t *support_items = tpl_all(support.token, 100);
    ck_assert_msg(has_id(support_items, mine), "support's own template missing from its list");
    size_t i;
    json_t *it;
    json_array_foreach(seller_items, i, it)
    {
        ck_assert_msg(!has_id(support_items, api_jint(it, "id")), "a seller's template listed");
    }
    /* support is not a seller: the new-seller defaults are not in its list */
    json_array_foreach(support_items, i, it)
    {
        for (size_t k = 0; k < 3; k++)
            ck_assert_str_ne(api_jstr(it, "title"), default_titles[k]);
    }
    /* neither reads the other's template */
    struct api_resp *r =
        api_get(tpl_path(api_jint(json_array_get(seller_items, 0), "id")), support.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_get(tpl_path(mine), seller.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = tpl_delete(support.token, mine);
    ck_assert_status(r, 204);
    api_free(r);
    json_decref(seller_items);
    json_decref(support_items);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Create
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_create_returns_template)
{
    static const char *const used[] = {"seller_name", "posting_number", "product_name"};
    struct api_user seller;
    api_new_user(&seller, "seller");
    const char *text = "This is {seller_name}: {posting_number} with {product_name} ships "
                       "today. {seller_name} thanks you.";
    json_t *t = tpl_create(seller.token, "Ships today", text);
    ck_assert_str_eq(api_jstr(t, "title"), "Ships today");
    ck_assert_str_eq(api_jstr(t, "text"), text);
    /* in order of first use, each once */
    assert_placeholders(t, used, 3);
    ck_assert_str_eq(api_jstr(t, "created_at"), api_jstr(t, "updated_at"));
    json_t *got = tpl_fetch(seller.token, api_jint(t, "id"));
    ck_assert_msg(json_equal(t, got), "GET differs from the created template");
    /* newest first: ahead of the defaults */
    json_t *all = tpl_all(seller.token, 100);
    ck_assert_uint_eq(json_array_size(all), 4);
    ck_assert_int_eq(api_jint(json_array_get(all, 0), "id"), api_jint(t, "id"));
    json_decref(all);
    json_decref(got);
    json_decref(t);
}
END_TEST

/* Placeholders contain braces and '_': the content-safety engine must let them through. */
START_TEST(test_create_accepts_placeholder_text)
{
    static const char *const used[] = {"buyer_name", "posting_number"};
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_t *t = tpl_create(seller.token, "Packed",
                           "Hello, {buyer_name}! Your order {posting_number} is packed");
    assert_placeholders(t, used, 2);
    json_decref(t);
    t = tpl_create(seller.token, "No placeholders", "Thank you for your order!");
    assert_placeholders(t, NULL, 0);
    json_decref(t);
}
END_TEST

START_TEST(test_create_accepts_length_limits)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    /* characters, not bytes: 100 and 1000 two-byte letters */
    char *title = api_repeat("ж", 100), *text = api_repeat("ж", 1000);
    json_t *t = tpl_create(seller.token, title, text);
    ck_assert_str_eq(api_jstr(t, "title"), title);
    ck_assert_str_eq(api_jstr(t, "text"), text);
    json_decref(t);
    free(title);
    free(text);
}
END_TEST

START_TEST(test_create_unknown_placeholder)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r =
        tpl_post(seller.token, "Call me", "Hello, {buyer_name}! My number is {phone}.");
    assert_field_error(r, "text", "unknown_placeholder");
    json_t *e = json_array_get(json_object_get(r->json, "errors"), 0);
    const char *msg = api_jstr(e, "message");
    ck_assert_msg(strstr(msg, "{phone}") && strstr(msg, "{buyer_name}") &&
                      strstr(msg, "{seller_name}") && strstr(msg, "{posting_number}") &&
                      strstr(msg, "{product_name}"),
                  "the message must name the unknown one and list the known ones: %s", msg);
    api_free(r);
    ck_assert_uint_eq(tpl_count(seller.token), 3);
}
END_TEST

static const struct {
    const char *body, *field, *code;
} bad_create_cases[] = {
    {"{\"text\": \"A text\"}", "title", "required"},
    {"{\"title\": \"A title\"}", "text", "required"},
    {"{\"title\": \"\", \"text\": \"A text\"}", "title", "too_short"},
    {"{\"title\": \"  \\t \", \"text\": \"A text\"}", "title", "too_short"},
    {"{\"title\": \"A title\", \"text\": \"\"}", "text", "too_short"},
    {"{\"title\": \"A title\", \"text\": \" \\n \"}", "text", "too_short"},
    {"{\"title\": 5, \"text\": \"A text\"}", "title", "wrong_type"},
    {"{\"title\": \"A title\", \"text\": [\"A text\"]}", "text", "wrong_type"},
    {"{\"title\": null, \"text\": \"A text\"}", "title", "required"},
    {"{\"title\": \"A title\", \"text\": \"A text\", \"owner_id\": 1}", "owner_id",
     "unknown_field"},
};

START_TEST(test_create_rejects_bad_field)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r = api_post(TEMPLATES, seller.token, bad_create_cases[_i].body);
    assert_field_error(r, bad_create_cases[_i].field, bad_create_cases[_i].code);
    api_free(r);
    ck_assert_uint_eq(tpl_count(seller.token), 3);
}
END_TEST

START_TEST(test_create_rejects_too_long)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    char *title = api_repeat("a", 101), *text = api_repeat("ж", 1001);
    struct api_resp *r = tpl_post(seller.token, title, "A text");
    assert_field_error(r, "title", "too_long");
    api_free(r);
    r = tpl_post(seller.token, "A title", text);
    assert_field_error(r, "text", "too_long");
    api_free(r);
    free(title);
    free(text);
    ck_assert_uint_eq(tpl_count(seller.token), 3);
}
END_TEST

START_TEST(test_create_rejects_malformed_body)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r = api_post(TEMPLATES, seller.token, "{\"title\": ");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_request("POST", TEMPLATES, seller.token, "title=a&text=b", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
    ck_assert_uint_eq(tpl_count(seller.token), 3);
}
END_TEST

START_TEST(test_create_refuses_content_violation)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    struct api_resp *r =
        tpl_post(seller.token, "Call me", "Hello, {buyer_name}! Call me on 89161234567.");
    assert_violation(r, "text", "phone");
    api_free(r);
    r = tpl_post(seller.token, "Write to ivan@example.com", "Hello, {buyer_name}!");
    assert_violation(r, "title", "email");
    api_free(r);
    /* nothing stored: still only the defaults */
    json_t *all = tpl_all(seller.token, 100);
    ck_assert_uint_eq(json_array_size(all), 3);
    size_t i;
    json_t *it;
    json_array_foreach(all, i, it)
    {
        ck_assert_ptr_null(strstr(api_jstr(it, "text"), "8916"));
    }
    json_decref(all);
}
END_TEST

START_TEST(test_create_idempotent_replay)
{
    struct api_user seller;
    char key[64], header[128];
    api_new_user(&seller, "seller");
    snprintf(header, sizeof header, "Idempotency-Key: %s", api_unique("tpl-", key, sizeof key));
    const char *body = "{\"title\": \"Once\", \"text\": \"Only once, {buyer_name}.\"}";
    struct api_resp *a = api_request("POST", TEMPLATES, seller.token, body, NULL, header);
    struct api_resp *b = api_request("POST", TEMPLATES, seller.token, body, NULL, header);
    ck_assert_status(a, 201);
    ck_assert_status(b, 201);
    ck_assert_int_eq(api_int(a, "id"), api_int(b, "id"));
    char *replayed = api_header(b, "Idempotent-Replayed");
    ck_assert_msg(replayed && strcmp(replayed, "true") == 0, "no Idempotent-Replayed header");
    free(replayed);
    api_free(a);
    api_free(b);
    ck_assert_uint_eq(tpl_count(seller.token), 4);
}
END_TEST

/* 200 per owner, the defaults included; deleting one frees a place. Also walks the list in
 * pages: every template once, newest first (checked by tpl_all). */
START_TEST(test_per_owner_cap)
{
    struct api_user seller;
    char title[32];
    api_new_user(&seller, "seller");
    for (int i = 3; i < PER_OWNER_MAX; i++) {
        snprintf(title, sizeof title, "Template %d", i);
        struct api_resp *r = tpl_post(seller.token, title, "A canned reply, {buyer_name}.");
        ck_assert_status(r, 201);
        api_free(r);
    }
    struct api_resp *r = tpl_post(seller.token, "One too many", "A canned reply.");
    ck_assert_problem(r, 409, "template_limit_reached");
    api_free(r);
    json_t *all = tpl_all(seller.token, 7);
    ck_assert_uint_eq(json_array_size(all), PER_OWNER_MAX);
    ck_assert_str_eq(api_jstr(json_array_get(all, 0), "title"), "Template 199");
    json_int_t oldest = api_jint(json_array_get(all, PER_OWNER_MAX - 1), "id");
    json_decref(all);
    r = tpl_delete(seller.token, oldest);
    ck_assert_status(r, 204);
    api_free(r);
    r = tpl_post(seller.token, "Back under the cap", "A canned reply.");
    ck_assert_status(r, 201);
    api_free(r);
    ck_assert_uint_eq(tpl_count(seller.token), PER_OWNER_MAX);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * List
 * ------------------------------------------------------------------------------------------- */

static const struct {
    const char *query, *field, *code;
} bad_list_cases[] = {
    {"?limit=0", "limit", "out_of_range"},
    {"?limit=101", "limit", "out_of_range"},
    {"?limit=ten", "limit", "out_of_range"},
    {"?cursor=not-a-cursor", "cursor", "invalid_cursor"},
    {"?mine=true", "mine", "unknown_parameter"},
};

START_TEST(test_list_rejects_bad_query)
{
    struct api_user seller;
    char path[128];
    api_new_user(&seller, "seller");
    snprintf(path, sizeof path, TEMPLATES "%s", bad_list_cases[_i].query);
    struct api_resp *r = api_get(path, seller.token);
    assert_field_error(r, bad_list_cases[_i].field, bad_list_cases[_i].code);
    api_free(r);
}
END_TEST

START_TEST(test_list_rejects_cursor_of_another_list)
{
    struct api_user seller;
    char path[512];
    api_new_user(&seller, "seller");
    api_make_product(&seller, 100, 1);
    api_make_product(&seller, 100, 1);
    struct api_resp *r = api_get("/v1/products?mine=true&limit=1", seller.token);
    ck_assert_status(r, 200);
    snprintf(path, sizeof path, TEMPLATES "?cursor=%s", api_str(r, "next_cursor"));
    api_free(r);
    r = api_get(path, seller.token);
    assert_field_error(r, "cursor", "invalid_cursor");
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Patch and delete
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_patch_changes_given_fields)
{
    static const char *const used[] = {"product_name"};
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_t *t = tpl_create(seller.token, "Before", "Hello, {buyer_name}!");
    json_int_t id = api_jint(t, "id");
    sleep(1); /* timestamps have whole seconds: updated_at must move */
    struct api_resp *r = api_patch(tpl_path(id), seller.token, "{\"title\": \"After\"}");
    ck_assert_status(r, 200);
    assert_template_shape(r->json);
    ck_assert_str_eq(api_str(r, "title"), "After");
    ck_assert_str_eq(api_str(r, "text"), "Hello, {buyer_name}!");
    ck_assert_str_eq(api_str(r, "created_at"), api_jstr(t, "created_at"));
    ck_assert_msg(strcmp(api_str(r, "updated_at"), api_jstr(t, "created_at")) > 0,
                  "updated_at not bumped: %s", r->body);
    api_free(r);
    r = api_patch(tpl_path(id), seller.token, "{\"text\": \"{product_name} is back in stock.\"}");
    ck_assert_status(r, 200);
    ck_assert_str_eq(api_str(r, "title"), "After");
    assert_placeholders(r->json, used, 1);
    api_free(r);
    json_t *got = tpl_fetch(seller.token, id);
    ck_assert_str_eq(api_jstr(got, "title"), "After");
    ck_assert_str_eq(api_jstr(got, "text"), "{product_name} is back in stock.");
    json_decref(got);
    json_decref(t);
}
END_TEST

static const struct {
    const char *body, *field, *code;
} bad_patch_cases[] = {
    {"{}", "", "empty_update"},
    {"{\"title\": null}", "", "empty_update"},
    {"{\"title\": \"\"}", "title", "too_short"},
    {"{\"title\": \"   \"}", "title", "too_short"},
    {"{\"text\": \" \"}", "text", "too_short"},
    {"{\"text\": 1}", "text", "wrong_type"},
    {"{\"text\": \"Dear {customer}\"}", "text", "unknown_placeholder"},
    {"{\"title\": \"New\", \"owner_id\": 2}", "owner_id", "unknown_field"},
};

START_TEST(test_patch_rejects_bad_field)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_int_t id = tpl_create_id(seller.token, "Kept", "Kept text, {buyer_name}.");
    char *before = tpl_snapshot(seller.token, id);
    struct api_resp *r = api_patch(tpl_path(id), seller.token, bad_patch_cases[_i].body);
    assert_field_error(r, bad_patch_cases[_i].field, bad_patch_cases[_i].code);
    api_free(r);
    char *after = tpl_snapshot(seller.token, id);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(test_patch_refuses_content_violation)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_int_t id = tpl_create_id(seller.token, "Kept", "Kept text, {buyer_name}.");
    char *before = tpl_snapshot(seller.token, id);
    struct api_resp *r = api_patch(tpl_path(id), seller.token,
                                   "{\"text\": \"{buyer_name}, write to ivan@example.com\"}");
    assert_violation(r, "text", "email");
    api_free(r);
    char *after = tpl_snapshot(seller.token, id);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

/* Another owner's template is 404 for every method, whatever the body says. */
START_TEST(test_other_owners_template_not_found)
{
    struct api_user owner, other, support;
    api_new_user(&owner, "seller");
    api_new_user(&other, "seller");
    api_demo_user(&support, SUPPORT_EMAIL);
    json_int_t id = tpl_create_id(owner.token, "Owner's", "Owner's text, {buyer_name}.");
    char *before = tpl_snapshot(owner.token, id);
    const struct api_user *strangers[] = {&other, &support};
    for (size_t i = 0; i < 2; i++) {
        const char *tok = strangers[i]->token;
        struct api_resp *r[] = {
            api_get(tpl_path(id), tok),
            api_patch(tpl_path(id), tok, "{\"title\": \"Taken\"}"),
            api_patch(tpl_path(id), tok, "{\"text\": \"Call 89161234567\"}"),
            tpl_delete(tok, id),
        };
        for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) {
            ck_assert_problem(r[k], 404, "not_found");
            api_free(r[k]);
        }
    }
    char *after = tpl_snapshot(owner.token, id);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(test_delete_removes_template)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    json_int_t id = tpl_create_id(seller.token, "Short-lived", "Gone soon.");
    struct api_resp *r = tpl_delete(seller.token, id);
    ck_assert_status(r, 204);
    ck_assert_uint_eq(r->body_len, 0);
    api_free(r);
    r = api_get(tpl_path(id), seller.token);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = tpl_delete(seller.token, id);
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_patch(tpl_path(id), seller.token, "{\"title\": \"Back?\"}");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    ck_assert_uint_eq(tpl_count(seller.token), 3);
}
END_TEST

START_TEST(test_unknown_ids_not_found)
{
    static const char *const ids[] = {"0", "-1", "abc", "999999999999", "1e3"};
    struct api_user seller;
    char path[64];
    api_new_user(&seller, "seller");
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        snprintf(path, sizeof path, TEMPLATES "/%s", ids[i]);
        struct api_resp *r[] = {
            api_get(path, seller.token),
            api_patch(path, seller.token, "{\"title\": \"x\"}"),
            api_request("DELETE", path, seller.token, NULL, NULL, NULL),
        };
        for (size_t k = 0; k < 3; k++) {
            ck_assert_problem(r[k], 404, "not_found");
            api_free(r[k]);
        }
    }
}
END_TEST

START_TEST(test_requires_authentication)
{
    struct api_resp *r = api_get(TEMPLATES, NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
    r = api_postf(TEMPLATES, NULL, "{s:s, s:s}", "title", "a", "text", "b");
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
}
END_TEST

Suite *templates_suite(void)
{
    Suite *s = suite_create("templates");
    TCase *roles = api_tcase("defaults and roles");
    tcase_add_test(roles, test_new_seller_gets_three_defaults);
    tcase_add_test(roles, test_buyer_is_refused_everywhere);
    tcase_add_test(roles, test_support_has_own_templates_only);
    tcase_add_test(roles, test_requires_authentication);
    suite_add_tcase(s, roles);

    TCase *create = api_tcase("create");
    tcase_add_test(create, test_create_returns_template);
    tcase_add_test(create, test_create_accepts_placeholder_text);
    tcase_add_test(create, test_create_accepts_length_limits);
    tcase_add_test(create, test_create_unknown_placeholder);
    tcase_add_loop_test(create, test_create_rejects_bad_field, 0, N_CASES(bad_create_cases));
    tcase_add_test(create, test_create_rejects_too_long);
    tcase_add_test(create, test_create_rejects_malformed_body);
    tcase_add_test(create, test_create_refuses_content_violation);
    tcase_add_test(create, test_create_idempotent_replay);
    tcase_add_test(create, test_per_owner_cap);
    suite_add_tcase(s, create);

    TCase *list = api_tcase("list");
    tcase_add_loop_test(list, test_list_rejects_bad_query, 0, N_CASES(bad_list_cases));
    tcase_add_test(list, test_list_rejects_cursor_of_another_list);
    suite_add_tcase(s, list);

    TCase *change = api_tcase("patch and delete");
    tcase_add_test(change, test_patch_changes_given_fields);
    tcase_add_loop_test(change, test_patch_rejects_bad_field, 0, N_CASES(bad_patch_cases));
    tcase_add_test(change, test_patch_refuses_content_violation);
    tcase_add_test(change, test_other_owners_template_not_found);
    tcase_add_test(change, test_delete_removes_template);
    tcase_add_test(change, test_unknown_ids_not_found);
    suite_add_tcase(s, change);
    return s;
}
