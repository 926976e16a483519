/* API tests of the content-safety feature against the real server at $SD_BASE_URL:
 * POST /v1/moderation/check, the guard on the texts people write (registration display name,
 * product name and description) and GET /v1/moderation/offenders.
 *
 * The rate-limit test expects the server to run with SELLERDESK_MODERATION_CHECK_RATE (60 in
 * the test setup). This suite causes 1 failed login (the refused registration must not have
 * created an account), counted against SELLERDESK_LOGIN_MAX_FAILURES_CLIENT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

#define CHECK_PATH     "/v1/moderation/check"
#define OFFENDERS_PATH "/v1/moderation/offenders"
#define TEXT_MAX       20000
#define SUPPORT_EMAIL  "support@demo.sellerdesk.dev"

/* ---------------------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------------------- */

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

static struct api_resp *check_text(const char *token, const char *text)
{
    return api_postf(CHECK_PATH, token, "{s:s}", "text", text);
}

/* A 200 answer of /check: {allowed: bool, violations: [...]} and nothing else. */
#define assert_check_result(r, allowed, count)                                                     \
    assert_check_result_at(r, allowed, count, __FILE__, __LINE__)
static json_t *assert_check_result_at(const struct api_resp *r, int allowed, size_t count,
                                      const char *file, int line)
{
    char *ct = api_header(r, "Content-Type");
    ck_assert_msg(r->status == 200, "%s:%d: expected HTTP 200, got %ld: %s", file, line, r->status,
                  r->body);
    ck_assert_msg(ct && strcmp(ct, "application/json") == 0,
                  "%s:%d: expected application/json, got %s", file, line, ct ? ct : "(none)");
    free(ct);
    ck_assert_msg(json_object_size(r->json) == 2, "%s:%d: expected {allowed, violations}, got %s",
                  file, line, r->body);
    json_t *a = json_object_get(r->json, "allowed");
    ck_assert_msg(json_is_boolean(a) && json_is_true(a) == !!allowed,
                  "%s:%d: expected allowed %s, got %s", file, line, allowed ? "true" : "false",
                  r->body);
    json_t *v = json_object_get(r->json, "violations");
    ck_assert_msg(json_is_array(v) && json_array_size(v) == count,
                  "%s:%d: expected %zu violations, got %s", file, line, count, r->body);
    return v;
}

/* The one violation of /check with this rule; checks its shape and values. */
static void assert_finding(const json_t *violations, const char *rule, const char *severity,
                           json_int_t start, json_int_t end, const char *fragment)
{
    size_t i, found = 0;
    json_t *f, *hit = NULL;
    json_array_foreach(violations, i, f)
    {
        if (api_jstr(f, "rule") && strcmp(api_jstr(f, "rule"), rule) == 0) {
            hit = f;
            found++;
        }
    }
    char *dump = json_dumps(violations, JSON_COMPACT);
    ck_assert_msg(found == 1, "expected one '%s' violation, got %zu in %s", rule, found, dump);
    ck_assert_msg(json_object_size(hit) == 5, "expected {rule, severity, start, end, fragment}: %s",
                  dump);
    ck_assert_msg(api_jstr(hit, "severity") && strcmp(api_jstr(hit, "severity"), severity) == 0,
                  "'%s': expected severity %s: %s", rule, severity, dump);
    ck_assert_msg(json_is_integer(json_object_get(hit, "start")) &&
                      json_is_integer(json_object_get(hit, "end")),
                  "'%s': start/end must be integers: %s", rule, dump);
    ck_assert_msg(api_jint(hit, "start") == start && api_jint(hit, "end") == end,
                  "'%s': expected character offsets [%lld, %lld), got [%lld, %lld): %s", rule,
                  (long long)start, (long long)end, (long long)api_jint(hit, "start"),
                  (long long)api_jint(hit, "end"), dump);
    ck_assert_msg(api_jstr(hit, "fragment") && strcmp(api_jstr(hit, "fragment"), fragment) == 0,
                  "'%s': expected fragment '%s': %s", rule, fragment, dump);
    free(dump);
}

/* 422 content_violation whose violations[] holds {field, rule} (and fragment if given); every
 * entry has exactly field, rule and fragment. */
#define assert_violation(r, field, rule, fragment)                                                 \
    assert_violation_at(r, field, rule, fragment, __FILE__, __LINE__)
static void assert_violation_at(const struct api_resp *r, const char *field, const char *rule,
                                const char *fragment, const char *file, int line)
{
    size_t i;
    json_t *v, *violations = json_object_get(r->json, "violations");
    int found = 0;
    api_assert_problem(r, 422, "content_violation", file, line);
    ck_assert_msg(json_is_array(violations) && json_array_size(violations) > 0,
                  "%s:%d: content_violation without violations[]: %s", file, line, r->body);
    json_array_foreach(violations, i, v)
    {
        ck_assert_msg(json_object_size(v) == 3 && api_jstr(v, "field") && api_jstr(v, "rule") &&
                          api_jstr(v, "fragment"),
                      "%s:%d: a violation must be {field, rule, fragment}: %s", file, line,
                      r->body);
        if (strcmp(api_jstr(v, "field"), field) == 0 && strcmp(api_jstr(v, "rule"), rule) == 0 &&
            (!fragment || strcmp(api_jstr(v, "fragment"), fragment) == 0))
            found = 1;
    }
    ck_assert_msg(found, "%s:%d: expected a violation {field \"%s\", rule \"%s\"%s%s%s}, got %s",
                  file, line, field, rule, fragment ? ", fragment \"" : "",
                  fragment ? fragment : "", fragment ? "\"" : "", r->body);
}

static struct api_resp *post_product(const struct api_user *seller, const char *offer_id,
                                     const char *name, const char *description)
{
    if (description)
        return api_postf("/v1/products", seller->token, "{s:s, s:s, s:s, s:I, s:I}", "offer_id",
                         offer_id, "name", name, "description", description, "price",
                         (json_int_t)249900, "stock", (json_int_t)5);
    return api_postf("/v1/products", seller->token, "{s:s, s:s, s:I, s:I}", "offer_id", offer_id,
                     "name", name, "price", (json_int_t)249900, "stock", (json_int_t)5);
}

/* A refused product create of seller (422 content_violation naming rule). */
static void refused_product(const struct api_user *seller, const char *name,
                            const char *description, const char *field, const char *rule)
{
    char offer[64];
    struct api_resp *r =
        post_product(seller, api_unique("MOD-", offer, sizeof offer), name, description);
    assert_violation(r, field, rule, NULL);
    api_free(r);
}

/* GET /v1/products?mine=true of seller as a compact JSON string of the items (malloc'd). */
static char *my_products(const struct api_user *seller)
{
    struct api_resp *r = api_get("/v1/products?mine=true&limit=100", seller->token);
    ck_assert_status(r, 200);
    char *s = json_dumps(json_object_get(r->json, "items"), JSON_COMPACT | JSON_SORT_KEYS);
    api_free(r);
    return s;
}

/* The offenders list (support), days=1, limit=100; the caller frees it. */
static struct api_resp *offenders(void)
{
    struct api_user support;
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = api_get(OFFENDERS_PATH "?days=1&limit=100", support.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_jint(r->json, "days"), 1);
    ck_assert_msg(json_is_array(json_object_get(r->json, "items")), "no items[]: %s", r->body);
    return r;
}

/* Index of the item of user_id in items, or -1. */
static int offender_index(const json_t *items, int64_t user_id)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (api_jint(it, "user_id") == user_id)
            return (int)i;
    }
    return -1;
}

/* ---------------------------------------------------------------------------------------------
 * POST /v1/moderation/check
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_check_clean_text_allowed)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    struct api_resp *r = check_text(&u.token[0], "Отличный чайник, вскипает за три минуты.");
    assert_check_result(r, 1, 0);
    char *rid = api_header(r, "X-Request-Id");
    ck_assert_msg(rid && *rid, "no X-Request-Id");
    free(rid);
    api_free(r);
}
END_TEST

/* "Звоните " is 8 characters but 15 bytes: the offsets must count characters. */
START_TEST(test_check_phone_hard_punctuation_soft_character_offsets)
{
    struct api_user u;
    api_new_user(&u, "seller");
    struct api_resp *r = check_text(u.token, "Звоните 89161234567!!! Ждём вас");
    json_t *v = assert_check_result(r, 0, 2);
    assert_finding(v, "phone", "hard", 8, 19, "89161234567");
    assert_finding(v, "punctuation", "soft", 19, 22, "!!!");
    api_free(r);
}
END_TEST

/* Three emoji are 12 bytes, 3 characters (code points). */
START_TEST(test_check_emoji_only_is_soft)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    struct api_resp *r = check_text(u.token, "😀😀😀");
    json_t *v = assert_check_result(r, 1, 1);
    assert_finding(v, "emoji", "soft", 0, 3, "😀😀😀");
    api_free(r);
}
END_TEST

START_TEST(test_check_platform_domain_allowed_foreign_refused)
{
    struct api_user u;
    api_new_user(&u, "seller");
    struct api_resp *r =
        check_text(u.token, "Условия возврата: https://help.sellerdesk.dev/returns");
    assert_check_result(r, 1, 0);
    api_free(r);
    r = check_text(u.token, "см. https://evil.example.com/returns");
    json_t *v = assert_check_result(r, 0, 1);
    assert_finding(v, "url", "hard", 4, 28, "https://evil.example.com");
    api_free(r);
}
END_TEST

START_TEST(test_check_accepts_maximum_length)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    char *text = api_repeat("я", TEXT_MAX); /* 20000 characters, 40000 bytes */
    struct api_resp *r = check_text(u.token, text);
    ck_assert_status(r, 200);
    ck_assert_msg(json_is_true(json_object_get(r->json, "allowed")), "%.200s", r->body);
    free(text);
    api_free(r);
}
END_TEST

static const char *const check_roles[] = {"buyer", "seller", "support"};

START_TEST(test_check_any_role)
{
    struct api_user u;
    if (strcmp(check_roles[_i], "support") == 0)
        api_demo_user(&u, SUPPORT_EMAIL);
    else
        api_new_user(&u, check_roles[_i]);
    ck_assert_str_eq(u.role, check_roles[_i]);
    struct api_resp *r = check_text(u.token, "Пишите на ivan@example.com");
    json_t *v = assert_check_result(r, 0, 1);
    assert_finding(v, "email", "hard", 10, 26, "ivan@example.com");
    api_free(r);
}
END_TEST

START_TEST(test_check_requires_token)
{
    struct api_resp *r = check_text(NULL, "Отличный чайник");
    ck_assert_problem(r, 401, "missing_token");
    char *www = api_header(r, "WWW-Authenticate");
    ck_assert_msg(www && strncmp(www, "Bearer", 6) == 0, "401 without WWW-Authenticate: Bearer");
    free(www);
    api_free(r);
    r = check_text("not-a-jwt", "Отличный чайник");
    ck_assert_problem(r, 401, "invalid_token");
    api_free(r);
}
END_TEST

START_TEST(test_check_other_methods_not_allowed)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    struct api_resp *r = api_get(CHECK_PATH, u.token);
    ck_assert_problem(r, 405, "method_not_allowed");
    char *allow = api_header(r, "Allow");
    ck_assert_msg(allow && strcmp(allow, "POST") == 0, "Allow: %s", allow ? allow : "(none)");
    free(allow);
    api_free(r);
}
END_TEST

struct bad_check {
    const char *body;         /* NULL: a text of 20001 characters */
    const char *content_type; /* NULL: application/json */
    int status;
    const char *code;
    const char *field; /* errors[] entry expected, or NULL */
    const char *error;
};

static const struct bad_check bad_checks[] = {
    {"{}", NULL, 400, "validation_failed", "text", "required"},
    {"{\"text\":\"\"}", NULL, 400, "validation_failed", "text", "too_short"},
    {"{\"text\":5}", NULL, 400, "validation_failed", "text", "wrong_type"},
    {"{\"text\":[\"a\"]}", NULL, 400, "validation_failed", "text", "wrong_type"},
    {"{\"text\":\"a\",\"lang\":\"ru\"}", NULL, 400, "validation_failed", "lang", "unknown_field"},
    {NULL, NULL, 400, "validation_failed", "text", "too_long"},
    {"{\"text\":", NULL, 400, "malformed_json", NULL, NULL},
    {"", NULL, 400, "malformed_json", NULL, NULL},
    {"{\"text\":\"a\",\"text\":\"b\"}", NULL, 400, "malformed_json", NULL, NULL},
    {"[\"text\"]", NULL, 400, "body_not_object", NULL, NULL},
    {"{\"text\":\"a\"}", "text/plain", 415, "unsupported_media_type", NULL, NULL},
    {"text=a", "application/x-www-form-urlencoded", 415, "unsupported_media_type", NULL, NULL},
};

START_TEST(test_check_rejects_bad_input)
{
    const struct bad_check *c = &bad_checks[_i];
    struct api_user u;
    api_new_user(&u, "buyer");
    char *body = NULL;
    if (!c->body) {
        char *text = api_repeat("я", TEXT_MAX + 1);
        json_t *j = json_pack("{s:s}", "text", text);
        body = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        free(text);
    }
    struct api_resp *r =
        api_request("POST", CHECK_PATH, u.token, body ? body : c->body, c->content_type, NULL);
    ck_assert_problem(r, c->status, c->code);
    if (c->field)
        assert_field_error(r, c->field, c->error);
    ck_assert_msg(!json_object_get(r->json, "allowed"), "a refused request was checked: %s",
                  r->body);
    free(body);
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * Rate limit of /check
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_check_rate_limited_per_user)
{
    int limit = env_int("SELLERDESK_MODERATION_CHECK_RATE", 60);
    struct api_user a, b;
    api_new_user(&a, "seller");
    api_new_user(&b, "buyer");
    for (int i = 1; i <= limit; i++) {
        struct api_resp *r = check_text(a.token, "Отличный чайник");
        ck_assert_msg(r->status == 200, "check %d of %d: expected 200, got %ld: %s", i, limit,
                      r->status, r->body);
        api_free(r);
    }
    struct api_resp *r = check_text(a.token, "Отличный чайник");
    ck_assert_problem(r, 429, "rate_limited");
    char *ra = api_header(r, "Retry-After"), *end = NULL;
    ck_assert_msg(ra != NULL, "429 without Retry-After");
    long s = strtol(ra, &end, 10);
    ck_assert_msg(end != ra && *end == '\0' && s >= 1 && s <= 60,
                  "Retry-After '%s' is not an integer in 1..60", ra);
    free(ra);
    api_free(r);
    /* still limited, and another user is not */
    r = check_text(a.token, "Отличный чайник");
    ck_assert_problem(r, 429, "rate_limited");
    api_free(r);
    r = check_text(b.token, "Отличный чайник");
    assert_check_result(r, 1, 0);
    api_free(r);
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * The guard: registration, product create, product change
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_register_refuses_contacts_in_display_name)
{
    char local[64], email[128];
    snprintf(email, sizeof email, "%s@test.sellerdesk.dev",
             api_unique("modreg", local, sizeof local));
    struct api_resp *r = api_postf("/v1/auth/register", NULL, "{s:s, s:s, s:s, s:s}", "email",
                                   email, "password", "correct horse battery", "role", "seller",
                                   "display_name", "Пишите в вотсап 89161234567");
    assert_violation(r, "display_name", "phone", "89161234567");
    assert_violation(r, "display_name", "messenger", NULL);
    ck_assert_msg(!json_object_get(r->json, "id"), "a refused registration answered a user");
    api_free(r);

    /* nothing was stored: no such account */
    r = api_postf("/v1/auth/login", NULL, "{s:s, s:s}", "email", email, "password",
                  "correct horse battery");
    ck_assert_problem(r, 401, "invalid_credentials");
    api_free(r);

    /* and the e-mail address is still free */
    r = api_postf("/v1/auth/register", NULL, "{s:s, s:s, s:s, s:s}", "email", email, "password",
                  "correct horse battery", "role", "seller", "display_name", "Иван Петров");
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "display_name"), "Иван Петров");
    api_free(r);
}
END_TEST

START_TEST(test_product_create_refuses_phone_in_description)
{
    struct api_user seller;
    char offer[64];
    api_new_user(&seller, "seller");
    api_make_product(&seller, 100000, 3);
    char *before = my_products(&seller);

    api_unique("MOD-", offer, sizeof offer);
    struct api_resp *r = post_product(&seller, offer, "Электрический чайник 1,7 л",
                                      "Звоните по номеру 89161234567, отвечу на вопросы");
    assert_violation(r, "description", "phone", "89161234567");
    api_free(r);

    char *after = my_products(&seller);
    ck_assert_msg(strcmp(before, after) == 0, "the seller's products changed:\n%s\n%s", before,
                  after);
    free(before);
    free(after);

    /* nothing was stored: the same offer_id is still free */
    r = post_product(&seller, offer, "Электрический чайник 1,7 л", "Нержавеющая сталь");
    ck_assert_status(r, 201);
    api_free(r);
}
END_TEST

START_TEST(test_product_patch_refuses_email_in_name)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    int64_t id = api_make_product(&seller, 100000, 3);
    char path[64];
    snprintf(path, sizeof path, "/v1/products/%lld", (long long)id);
    struct api_resp *r = api_get(path, seller.token);
    ck_assert_status(r, 200);
    char *before = json_dumps(r->json, JSON_COMPACT | JSON_SORT_KEYS);
    api_free(r);

    r = api_patch(path, seller.token,
                  "{\"name\":\"Пишите на ivan@example.com\",\"price\":1,\"stock\":0}");
    assert_violation(r, "name", "email", "ivan@example.com");
    api_free(r);

    r = api_get(path, seller.token);
    ck_assert_status(r, 200);
    char *after = json_dumps(r->json, JSON_COMPACT | JSON_SORT_KEYS);
    ck_assert_msg(strcmp(before, after) == 0, "the product changed:\n%s\n%s", before, after);
    free(before);
    free(after);
    api_free(r);
}
END_TEST

/* another seller's product is 404 whatever the text says, and no refusal is recorded */
START_TEST(test_product_patch_of_others_product_is_404_before_the_guard)
{
    struct api_user owner, other, support;
    api_new_user(&owner, "seller");
    api_new_user(&other, "seller");
    api_demo_user(&support, "support@demo.sellerdesk.dev");
    int64_t id = api_make_product(&owner, 100000, 3);
    char path[64];
    snprintf(path, sizeof path, "/v1/products/%lld", (long long)id);
    struct api_resp *r = api_patch(path, other.token, "{\"name\":\"Звоните 89161234567\"}");
    ck_assert_problem(r, 404, "not_found");
    api_free(r);
    r = api_get("/v1/moderation/offenders?limit=100", support.token);
    ck_assert_status(r, 200);
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(r->json, "items"), i, item)
    {
        ck_assert_msg(json_integer_value(json_object_get(item, "user_id")) != other.id,
                      "a refusal was recorded for a PATCH that answered 404");
    }
    api_free(r);
}
END_TEST

START_TEST(test_product_create_allows_platform_link)
{
    struct api_user seller;
    char offer[64];
    const char *desc = "Условия возврата: https://help.sellerdesk.dev/returns";
    api_new_user(&seller, "seller");
    struct api_resp *r =
        post_product(&seller, api_unique("MOD-", offer, sizeof offer), "Чайник", desc);
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "description"), desc);
    api_free(r);
}
END_TEST

START_TEST(test_product_create_refuses_foreign_link)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    refused_product(&seller, "Чайник", "Дешевле тут: https://evil.example.com/kettle",
                    "description", "url");
}
END_TEST

/* ---------------------------------------------------------------------------------------------
 * GET /v1/moderation/offenders
 * ------------------------------------------------------------------------------------------- */

START_TEST(test_offenders_counts_refusals_per_rule)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    refused_product(&seller, "Чайник", "Звоните 89161234567", "description", "phone");
    refused_product(&seller, "Чайник, сука, лучший", NULL, "name", "profanity");

    struct api_resp *r = offenders();
    json_t *items = json_object_get(r->json, "items");
    int at = offender_index(items, seller.id);
    ck_assert_msg(at >= 0, "seller %lld is not among the offenders: %s", (long long)seller.id,
                  r->body);
    json_t *it = json_array_get(items, (size_t)at);
    char *dump = json_dumps(it, JSON_COMPACT);
    ck_assert_msg(json_object_size(it) == 6, "expected 6 members: %s", dump);
    ck_assert_msg(api_jint(it, "refusals") >= 2, "expected at least 2 refusals: %s", dump);
    ck_assert_msg(api_jint(it, "refusals") == 2, "expected exactly 2 refusals: %s", dump);
    json_t *rules = json_object_get(it, "rules");
    ck_assert_msg(json_is_object(rules) && json_object_size(rules) == 2 &&
                      api_jint(rules, "phone") == 1 && api_jint(rules, "profanity") == 1,
                  "expected rules {phone: 1, profanity: 1}: %s", dump);
    ck_assert_msg(api_jstr(it, "display_name") &&
                      strcmp(api_jstr(it, "display_name"), "Test User") == 0,
                  "display_name: %s", dump);
    ck_assert_msg(api_jstr(it, "role") && strcmp(api_jstr(it, "role"), "seller") == 0, "role: %s",
                  dump);
    assert_timestamp(api_jstr(it, "last_refusal_at"));
    free(dump);
    api_free(r);
}
END_TEST

/* A text refused for the same rule in two fields counts once per rule. */
START_TEST(test_offenders_one_event_per_distinct_rule)
{
    struct api_user seller;
    api_new_user(&seller, "seller");
    refused_product(&seller, "Чайник 89161234567", "или 89167654321, или ivan@example.com", "name",
                    "phone");
    struct api_resp *r = offenders();
    json_t *items = json_object_get(r->json, "items");
    int at = offender_index(items, seller.id);
    ck_assert_msg(at >= 0, "seller %lld is not among the offenders: %s", (long long)seller.id,
                  r->body);
    json_t *it = json_array_get(items, (size_t)at);
    json_t *rules = json_object_get(it, "rules");
    char *dump = json_dumps(it, JSON_COMPACT);
    ck_assert_msg(api_jint(it, "refusals") == 2 && json_object_size(rules) == 2 &&
                      api_jint(rules, "phone") == 1 && api_jint(rules, "email") == 1,
                  "expected 2 refusals {phone: 1, email: 1}: %s", dump);
    free(dump);
    api_free(r);
}
END_TEST

START_TEST(test_offenders_most_refusals_first)
{
    struct api_user many, one;
    api_new_user(&many, "seller");
    api_new_user(&one, "seller");
    refused_product(&many, "Чайник", "Звоните 89161234567", "description", "phone");
    refused_product(&many, "Чайник", "Пишите на ivan@example.com", "description", "email");
    refused_product(&many, "Чайник", "Дешевле тут: https://evil.example.com", "description", "url");
    refused_product(&one, "Чайник", "Звоните 89161234567", "description", "phone");
    struct api_resp *r = offenders();
    json_t *items = json_object_get(r->json, "items");
    int a = offender_index(items, many.id), b = offender_index(items, one.id);
    ck_assert_msg(a >= 0 && b >= 0 && a < b,
                  "expected seller %lld (3 refusals) before %lld (1 refusal): %s",
                  (long long)many.id, (long long)one.id, r->body);
    ck_assert_int_eq(api_jint(json_array_get(items, (size_t)a), "refusals"), 3);
    ck_assert_int_eq(api_jint(json_array_get(items, (size_t)b), "refusals"), 1);
    json_t *it;
    size_t i;
    json_int_t prev = -1;
    json_array_foreach(items, i, it)
    {
        ck_assert_msg(prev < 0 || api_jint(it, "refusals") <= prev, "not sorted by refusals: %s",
                      r->body);
        prev = api_jint(it, "refusals");
    }
    api_free(r);
}
END_TEST

START_TEST(test_offenders_default_days)
{
    struct api_user support;
    api_demo_user(&support, SUPPORT_EMAIL);
    struct api_resp *r = api_get(OFFENDERS_PATH, support.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_jint(r->json, "days"), 30);
    ck_assert_msg(json_is_array(json_object_get(r->json, "items")) &&
                      json_array_size(json_object_get(r->json, "items")) <= 20,
                  "expected at most 20 items by default: %s", r->body);
    api_free(r);
    r = api_get(OFFENDERS_PATH "?days=365&limit=1", support.token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_jint(r->json, "days"), 365);
    ck_assert_msg(json_array_size(json_object_get(r->json, "items")) <= 1, "limit=1: %s", r->body);
    api_free(r);
}
END_TEST

START_TEST(test_offenders_support_only)
{
    static const char *const roles[] = {"buyer", "seller"};
    for (size_t i = 0; i < 2; i++) {
        struct api_user u;
        api_new_user(&u, roles[i]);
        struct api_resp *r = api_get(OFFENDERS_PATH, u.token);
        ck_assert_problem(r, 403, "forbidden");
        api_free(r);
    }
    struct api_resp *r = api_get(OFFENDERS_PATH, NULL);
    ck_assert_problem(r, 401, "missing_token");
    api_free(r);
}
END_TEST

struct bad_query {
    const char *query;
    const char *field;
    const char *code;
};

static const struct bad_query bad_queries[] = {
    {"?days=0", "days", "out_of_range"},    {"?days=400", "days", "out_of_range"},
    {"?days=366", "days", "out_of_range"},  {"?days=x", "days", "out_of_range"},
    {"?days=", "days", "out_of_range"},     {"?days=1.5", "days", "out_of_range"},
    {"?limit=0", "limit", "out_of_range"},  {"?limit=101", "limit", "out_of_range"},
    {"?foo=1", "foo", "unknown_parameter"}, {"?days=7&cursor=abc", "cursor", "unknown_parameter"},
};

START_TEST(test_offenders_rejects_bad_query)
{
    struct api_user support;
    char path[128];
    api_demo_user(&support, SUPPORT_EMAIL);
    snprintf(path, sizeof path, "%s%s", OFFENDERS_PATH, bad_queries[_i].query);
    struct api_resp *r = api_get(path, support.token);
    assert_field_error(r, bad_queries[_i].field, bad_queries[_i].code);
    api_free(r);
}
END_TEST

Suite *moderation_api_suite(void)
{
    Suite *s = suite_create("moderation-api");

    TCase *check = api_tcase("check");
    tcase_add_test(check, test_check_clean_text_allowed);
    tcase_add_test(check, test_check_phone_hard_punctuation_soft_character_offsets);
    tcase_add_test(check, test_check_emoji_only_is_soft);
    tcase_add_test(check, test_check_platform_domain_allowed_foreign_refused);
    tcase_add_test(check, test_check_accepts_maximum_length);
    tcase_add_loop_test(check, test_check_any_role, 0, N_CASES(check_roles));
    tcase_add_test(check, test_check_requires_token);
    tcase_add_test(check, test_check_other_methods_not_allowed);
    tcase_add_loop_test(check, test_check_rejects_bad_input, 0, N_CASES(bad_checks));
    suite_add_tcase(s, check);

    TCase *rate = api_tcase("check-rate-limit");
    tcase_add_test(rate, test_check_rate_limited_per_user);
    suite_add_tcase(s, rate);

    TCase *guard = api_tcase("guard");
    tcase_add_test(guard, test_register_refuses_contacts_in_display_name);
    tcase_add_test(guard, test_product_create_refuses_phone_in_description);
    tcase_add_test(guard, test_product_patch_refuses_email_in_name);
    tcase_add_test(guard, test_product_patch_of_others_product_is_404_before_the_guard);
    tcase_add_test(guard, test_product_create_allows_platform_link);
    tcase_add_test(guard, test_product_create_refuses_foreign_link);
    suite_add_tcase(s, guard);

    TCase *off = api_tcase("offenders");
    tcase_add_test(off, test_offenders_counts_refusals_per_rule);
    tcase_add_test(off, test_offenders_one_event_per_distinct_rule);
    tcase_add_test(off, test_offenders_most_refusals_first);
    tcase_add_test(off, test_offenders_default_days);
    tcase_add_test(off, test_offenders_support_only);
    tcase_add_loop_test(off, test_offenders_rejects_bad_query, 0, N_CASES(bad_queries));
    suite_add_tcase(s, off);
    return s;
}
