/* API tests of registration, login (with lockout), refresh-token rotation, logout, /v1/me and
 * access-token validation, against the real server at $SD_BASE_URL.
 *
 * Failed logins count against the per-client limit shared by every suite running from
 * 127.0.0.1 (SELLERDESK_LOGIN_MAX_FAILURES_CLIENT, 40 in the test setup). This suite causes
 * 10 of them: 4 in the "nothing written" checks, 1 wrong password, 2 in the unknown e-mail
 * comparison and 3 in the lockout test. Keep that count in mind when adding tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jwt.h>
#include <sodium.h>

#include "client.h"

#define REGISTER_PATH "/v1/auth/register"
#define LOGIN_PATH    "/v1/auth/login"
#define REFRESH_PATH  "/v1/auth/refresh"
#define LOGOUT_PATH   "/v1/auth/logout"
#define ME_PATH       "/v1/me"
#define PASSWORD      "correct horse battery"
#define DISPLAY_NAME  "Test User"
#define DEMO_SUPPORT  "support@demo.sellerdesk.dev"
#define OTHER_SECRET  "another-secret-another-secret-another-1"

/* ---- small helpers ---------------------------------------------------------------------- */

static void fresh_email(char *buf, size_t len, const char *prefix)
{
    char local[64];
    snprintf(buf, len, "%s@test.sellerdesk.dev", api_unique(prefix, local, sizeof local));
}

static void upper_case(char *dst, size_t len, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < len; i++)
        dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 32) : src[i];
    dst[i] = '\0';
}

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static struct api_resp *register_user(const char *email, const char *password, const char *role,
                                      const char *display_name)
{
    return api_postf(REGISTER_PATH, NULL, "{s:s, s:s, s:s, s:s}", "email", email, "password",
                     password, "role", role, "display_name", display_name);
}

static struct api_resp *login(const char *email, const char *password)
{
    return api_postf(LOGIN_PATH, NULL, "{s:s, s:s}", "email", email, "password", password);
}

static struct api_resp *refresh(const char *token)
{
    return api_postf(REFRESH_PATH, NULL, "{s:s}", "refresh_token", token);
}

static struct api_resp *logout(const char *token)
{
    return api_postf(LOGOUT_PATH, NULL, "{s:s}", "refresh_token", token);
}

/* A valid registration body as JSON text (for raw requests). */
static void register_body(char *buf, size_t len, const char *email, const char *role)
{
    snprintf(buf, len,
             "{\"email\":\"%s\",\"password\":\"%s\",\"role\":\"%s\",\"display_name\":\"%s\"}",
             email, PASSWORD, role, DISPLAY_NAME);
}

static void check_header(const struct api_resp *r, const char *name, const char *expected,
                         const char *file, int line)
{
    char *v = api_header(r, name);
    ck_assert_msg(v && strcmp(v, expected) == 0, "%s:%d: expected header %s: %s, got %s", file,
                  line, name, expected, v ? v : "(none)");
    free(v);
}
#define ck_assert_header(r, name, expected) check_header(r, name, expected, __FILE__, __LINE__)

static void check_field_error(const struct api_resp *r, const char *field, const char *code,
                              const char *file, int line)
{
    api_assert_problem(r, 400, "validation_failed", file, line);
    ck_assert_msg(api_has_error(r, field, code), "%s:%d: expected errors[] entry {%s, %s}: %s",
                  file, line, field, code, r->body);
}
/* 400 validation_failed with an errors[] entry for field and code */
#define ck_assert_field_error(r, field, code) check_field_error(r, field, code, __FILE__, __LINE__)

/* An RFC 3339 UTC timestamp as the API writes it: YYYY-MM-DDTHH:MM:SSZ. */
static int is_timestamp(const char *s)
{
    static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!s || strlen(s) != sizeof pattern - 1)
        return 0;
    for (size_t i = 0; pattern[i]; i++)
        if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i])
            return 0;
    return 1;
}

/* The user object: exactly {id, email, role, display_name, created_at}, never a password. */
static void check_user_object(const struct api_resp *r, const char *email, const char *role,
                              const char *file, int line)
{
    ck_assert_msg(json_is_object(r->json) && json_object_size(r->json) == 5,
                  "%s:%d: expected a user object with 5 fields: %s", file, line, r->body);
    ck_assert_msg(json_is_integer(json_object_get(r->json, "id")) && api_int(r, "id") > 0,
                  "%s:%d: bad id: %s", file, line, r->body);
    ck_assert_msg(api_str(r, "email") && strcmp(api_str(r, "email"), email) == 0,
                  "%s:%d: expected email %s: %s", file, line, email, r->body);
    ck_assert_msg(api_str(r, "role") && strcmp(api_str(r, "role"), role) == 0,
                  "%s:%d: expected role %s: %s", file, line, role, r->body);
    ck_assert_msg(api_str(r, "display_name") && *api_str(r, "display_name"),
                  "%s:%d: bad display_name: %s", file, line, r->body);
    ck_assert_msg(is_timestamp(api_str(r, "created_at")), "%s:%d: bad created_at: %s", file, line,
                  r->body);
    ck_assert_msg(!strstr(r->body, "password") && !strstr(r->body, "$argon2"),
                  "%s:%d: the password or its hash leaks: %s", file, line, r->body);
}
#define ck_assert_user_object(r, email, role) check_user_object(r, email, role, __FILE__, __LINE__)

/* A refused registration wrote nothing: the e-mail cannot log in (one failed login), and a
 * proper registration with it then succeeds. */
static void check_not_registered(const char *email, const char *file, int line)
{
    struct api_resp *r = login(email, PASSWORD);
    api_assert_problem(r, 401, "invalid_credentials", file, line);
    api_free(r);
    r = register_user(email, PASSWORD, "buyer", DISPLAY_NAME);
    ck_assert_msg(r->status == 201, "%s:%d: registering %s afterwards: HTTP %ld %s", file, line,
                  email, r->status, r->body);
    api_free(r);
    r = login(email, PASSWORD);
    ck_assert_msg(r->status == 200, "%s:%d: login after registering: HTTP %ld %s", file, line,
                  r->status, r->body);
    api_free(r);
}
#define ck_assert_not_registered(email) check_not_registered(email, __FILE__, __LINE__)

/* ---- register --------------------------------------------------------------------------- */

START_TEST(test_register_happy_path)
{
    char email[128];
    fresh_email(email, sizeof email, "reg");
    struct api_resp *r = register_user(email, PASSWORD, "seller", "Seller Shop");
    ck_assert_status(r, 201);
    ck_assert_header(r, "Content-Type", "application/json");
    ck_assert_user_object(r, email, "seller");
    ck_assert_str_eq(api_str(r, "display_name"), "Seller Shop");
    api_free(r);

    r = login(email, PASSWORD);
    ck_assert_status(r, 200);
    api_free(r);
}
END_TEST

START_TEST(test_register_boundaries_accepted)
{
    char email[128], *password = repeat('p', 128), *name = malloc(100 * 2 + 1);
    name[0] = '\0';
    for (int i = 0; i < 100; i++)
        strcat(name, "\xd0\xb6"); /* 100 characters, 200 bytes */
    fresh_email(email, sizeof email, "long");
    struct api_resp *r = register_user(email, password, "buyer", name);
    ck_assert_status(r, 201);
    ck_assert_str_eq(api_str(r, "display_name"), name);
    api_free(r);
    r = login(email, password);
    ck_assert_status(r, 200);
    api_free(r);

    fresh_email(email, sizeof email, "short");
    r = register_user(email, "0123456789", "buyer", "X");
    ck_assert_status(r, 201);
    api_free(r);
    free(password);
    free(name);
}
END_TEST

START_TEST(test_register_email_taken)
{
    char email[128], upper[128];
    fresh_email(email, sizeof email, "taken");
    upper_case(upper, sizeof upper, email);
    struct api_resp *r = register_user(email, PASSWORD, "buyer", DISPLAY_NAME);
    ck_assert_status(r, 201);
    api_free(r);

    r = register_user(email, "another password", "seller", "Someone Else");
    ck_assert_problem(r, 409, "email_taken");
    api_free(r);
    r = register_user(upper, "another password", "buyer", "Someone Else");
    ck_assert_problem(r, 409, "email_taken");
    api_free(r);

    /* the account is untouched, and e-mail addresses match regardless of case */
    r = login(upper, PASSWORD);
    ck_assert_status(r, 200);
    api_free(r);
}
END_TEST

START_TEST(test_register_support_role_refused)
{
    char email[128];
    fresh_email(email, sizeof email, "sup");
    struct api_resp *r = register_user(email, PASSWORD, "support", DISPLAY_NAME);
    ck_assert_field_error(r, "role", "invalid_enum");
    api_free(r);
    r = register_user(email, PASSWORD, "admin", DISPLAY_NAME);
    ck_assert_field_error(r, "role", "invalid_enum");
    api_free(r);
    ck_assert_not_registered(email);
}
END_TEST

START_TEST(test_register_missing_fields)
{
    static const char *const fields[] = {"email", "password", "role", "display_name"};
    struct api_resp *r = api_post(REGISTER_PATH, NULL, "{}");
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        ck_assert_field_error(r, fields[i], "required");
    api_free(r);

    r = api_postf(REGISTER_PATH, NULL, "{s:s}", "email", "only@test.sellerdesk.dev");
    ck_assert_field_error(r, "password", "required");
    ck_assert_field_error(r, "display_name", "required");
    ck_assert(!api_has_error(r, "email", "required"));
    api_free(r);
}
END_TEST

START_TEST(test_register_wrong_types)
{
    struct api_resp *r = api_postf(REGISTER_PATH, NULL, "{s:i, s:b, s:[s], s:{}}", "email", 5,
                                   "password", 1, "role", "buyer", "display_name");
    ck_assert_field_error(r, "email", "wrong_type");
    ck_assert_field_error(r, "password", "wrong_type");
    ck_assert_field_error(r, "role", "wrong_type");
    ck_assert_field_error(r, "display_name", "wrong_type");
    api_free(r);
}
END_TEST

START_TEST(test_register_unknown_field)
{
    char email[128];
    fresh_email(email, sizeof email, "unk");
    struct api_resp *r =
        api_postf(REGISTER_PATH, NULL, "{s:s, s:s, s:s, s:s, s:b}", "email", email, "password",
                  PASSWORD, "role", "buyer", "display_name", DISPLAY_NAME, "is_admin", 1);
    ck_assert_field_error(r, "is_admin", "unknown_field");
    api_free(r);
    ck_assert_not_registered(email);
}
END_TEST

START_TEST(test_register_short_password)
{
    char email[128];
    fresh_email(email, sizeof email, "pw");
    struct api_resp *r = register_user(email, "012345678", "buyer", DISPLAY_NAME);
    ck_assert_field_error(r, "password", "too_short");
    api_free(r);
    ck_assert_not_registered(email);
}
END_TEST

START_TEST(test_register_bad_emails)
{
    static const char *const bad[] = {
        "not-an-email",      "a@b",
        "@example.com",      "user@",
        "us er@example.com", "a@b@example.com",
        "user@.example.com", "user@example.com.",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct api_resp *r = register_user(bad[i], PASSWORD, "buyer", DISPLAY_NAME);
        ck_assert_msg(api_has_error(r, "email", "invalid_format"),
                      "%s: expected errors[] {email, invalid_format}: %s", bad[i], r->body);
        ck_assert_problem(r, 400, "validation_failed");
        api_free(r);
    }
}
END_TEST

START_TEST(test_register_blank_display_name)
{
    static const char *const blank[] = {"", " ", " \t "};
    char email[128];
    fresh_email(email, sizeof email, "blank");
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) {
        struct api_resp *r = register_user(email, PASSWORD, "buyer", blank[i]);
        ck_assert_field_error(r, "display_name", "too_short");
        api_free(r);
    }
}
END_TEST

START_TEST(test_register_too_long)
{
    char email[300], *local = repeat('a', 250), *password = repeat('p', 129);
    char *name = repeat('n', 101);
    snprintf(email, sizeof email, "%s@x.io", local); /* 255 characters */
    struct api_resp *r = register_user(email, password, "buyer", name);
    ck_assert_field_error(r, "email", "too_long");
    ck_assert_field_error(r, "password", "too_long");
    ck_assert_field_error(r, "display_name", "too_long");
    api_free(r);
    free(local);
    free(password);
    free(name);
}
END_TEST

START_TEST(test_register_malformed_json)
{
    static const char *const bodies[] = {
        "{\"email\": \"a@b.co\",", "", "{email: 1}",
        "{\"email\":\"a@b.co\",\"email\":\"c@d.co\"}", /* duplicate keys */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct api_resp *r = api_post(REGISTER_PATH, NULL, bodies[i]);
        ck_assert_problem(r, 400, "malformed_json");
        api_free(r);
    }
}
END_TEST

START_TEST(test_register_body_not_object)
{
    static const char *const bodies[] = {"[]", "[{\"email\":\"a@b.co\"}]", "\"text\"", "42",
                                         "null"};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct api_resp *r = api_post(REGISTER_PATH, NULL, bodies[i]);
        ck_assert_problem(r, 400, "body_not_object");
        api_free(r);
    }
}
END_TEST

START_TEST(test_register_wrong_content_type)
{
    static const char *const types[] = {"text/plain", "application/x-www-form-urlencoded",
                                        "application/jsonx"};
    char email[128], body[512];
    fresh_email(email, sizeof email, "ctype");
    register_body(body, sizeof body, email, "buyer");
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct api_resp *r = api_request("POST", REGISTER_PATH, NULL, body, types[i], NULL);
        ck_assert_problem(r, 415, "unsupported_media_type");
        api_free(r);
    }
    ck_assert_not_registered(email);
}
END_TEST

START_TEST(test_register_json_with_charset)
{
    char email[128], body[512];
    fresh_email(email, sizeof email, "charset");
    register_body(body, sizeof body, email, "buyer");
    struct api_resp *r =
        api_request("POST", REGISTER_PATH, NULL, body, "application/json; charset=utf-8", NULL);
    ck_assert_status(r, 201);
    api_free(r);
}
END_TEST

/* ---- register: Idempotency-Key ---------------------------------------------------------- */

static struct api_resp *register_with_key(const char *body, const char *key)
{
    char header[512];
    snprintf(header, sizeof header, "Idempotency-Key: %s", key);
    return api_request("POST", REGISTER_PATH, NULL, body, NULL, header);
}

START_TEST(test_register_idempotent_replay)
{
    char email[128], key[64], body[512];
    fresh_email(email, sizeof email, "idem");
    register_body(body, sizeof body, email, "seller");
    api_unique("reg-key-", key, sizeof key);

    struct api_resp *first = register_with_key(body, key);
    ck_assert_status(first, 201);
    char *replayed = api_header(first, "Idempotent-Replayed");
    ck_assert_msg(replayed == NULL, "first answer marked as replayed: %s", replayed);
    ck_assert_user_object(first, email, "seller");

    struct api_resp *again = register_with_key(body, key);
    ck_assert_status(again, 201);
    ck_assert_header(again, "Idempotent-Replayed", "true");
    ck_assert_int_eq(api_int(again, "id"), api_int(first, "id"));
    ck_assert_str_eq(again->body, first->body);
    api_free(first);
    api_free(again);
}
END_TEST

START_TEST(test_register_idempotency_key_reused)
{
    char email[128], other[128], key[64], body[512], other_body[512];
    fresh_email(email, sizeof email, "idem");
    fresh_email(other, sizeof other, "idem-other");
    register_body(body, sizeof body, email, "buyer");
    register_body(other_body, sizeof other_body, other, "buyer");
    api_unique("reg-key-", key, sizeof key);

    struct api_resp *r = register_with_key(body, key);
    ck_assert_status(r, 201);
    api_free(r);
    r = register_with_key(other_body, key);
    ck_assert_problem(r, 422, "idempotency_key_reused");
    api_free(r);

    /* the refused request created nothing: its e-mail is still free */
    r = api_post(REGISTER_PATH, NULL, other_body);
    ck_assert_status(r, 201);
    api_free(r);
}
END_TEST

START_TEST(test_register_idempotency_key_too_long)
{
    char email[128], body[512], *key = repeat('k', 256);
    fresh_email(email, sizeof email, "idem-long");
    register_body(body, sizeof body, email, "buyer");
    struct api_resp *r = register_with_key(body, key);
    ck_assert_problem(r, 400, "invalid_idempotency_key");
    api_free(r);
    r = api_post(REGISTER_PATH, NULL, body);
    ck_assert_status(r, 201);
    api_free(r);
    free(key);
}
END_TEST

/* ---- login ------------------------------------------------------------------------------ */

static void check_token_pair(const struct api_resp *r, const char *file, int line)
{
    const char *access = api_str(r, "access_token"), *refresh_token = api_str(r, "refresh_token");
    ck_assert_msg(r->status == 200, "%s:%d: expected HTTP 200, got %ld: %s", file, line, r->status,
                  r->body);
    ck_assert_msg(api_str(r, "token_type") && strcmp(api_str(r, "token_type"), "Bearer") == 0,
                  "%s:%d: token_type: %s", file, line, r->body);
    ck_assert_msg(json_is_integer(json_object_get(r->json, "expires_in")) &&
                      api_int(r, "expires_in") > 0,
                  "%s:%d: expires_in: %s", file, line, r->body);
    ck_assert_msg(access && strchr(access, '.') && strchr(strchr(access, '.') + 1, '.'),
                  "%s:%d: access_token is not a JWT: %s", file, line, r->body);
    ck_assert_msg(refresh_token && strlen(refresh_token) >= 32, "%s:%d: refresh_token: %s", file,
                  line, r->body);
    check_header(r, "Cache-Control", "no-store", file, line);
}
#define ck_assert_token_pair(r) check_token_pair(r, __FILE__, __LINE__)

START_TEST(test_login_happy_path)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    struct api_resp *r = login(u.email, u.password);
    ck_assert_token_pair(r);
    ck_assert_str_ne(api_str(r, "access_token"), u.token);
    ck_assert_str_ne(api_str(r, "refresh_token"), u.refresh);

    struct api_resp *me = api_get(ME_PATH, api_str(r, "access_token"));
    ck_assert_status(me, 200);
    ck_assert_int_eq(api_int(me, "id"), u.id);
    api_free(me);
    api_free(r);
}
END_TEST

START_TEST(test_login_wrong_password)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    struct api_resp *r = login(u.email, "wrong password!");
    ck_assert_problem(r, 401, "invalid_credentials");
    ck_assert(api_str(r, "access_token") == NULL);
    api_free(r);
}
END_TEST

START_TEST(test_login_unknown_email_same_answer)
{
    struct api_user u;
    char unknown[128];
    api_new_user(&u, "seller");
    fresh_email(unknown, sizeof unknown, "nobody");
    struct api_resp *missing = login(unknown, PASSWORD);
    struct api_resp *wrong = login(u.email, "wrong password!");
    ck_assert_problem(missing, 401, "invalid_credentials");
    ck_assert_problem(wrong, 401, "invalid_credentials");
    /* nothing tells an unknown account from a wrong password */
    ck_assert_str_eq(api_str(missing, "title"), api_str(wrong, "title"));
    ck_assert_str_eq(api_str(missing, "detail"), api_str(wrong, "detail"));
    api_free(missing);
    api_free(wrong);
}
END_TEST

START_TEST(test_login_bad_bodies)
{
    struct api_resp *r = api_post(LOGIN_PATH, NULL, "{}");
    ck_assert_field_error(r, "email", "required");
    ck_assert_field_error(r, "password", "required");
    api_free(r);
    r = api_postf(LOGIN_PATH, NULL, "{s:i, s:s}", "email", 7, "password", PASSWORD);
    ck_assert_field_error(r, "email", "wrong_type");
    api_free(r);
    r = api_post(LOGIN_PATH, NULL, "{\"email\":");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_request("POST", LOGIN_PATH, NULL, "email=a&password=b", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
}
END_TEST

static int env_int(const char *name, int fallback)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : fallback;
}

/* Retry-After as an integer within 1..max seconds */
static int retry_after(const struct api_resp *r, int max)
{
    char *v = api_header(r, "Retry-After"), *end = NULL;
    ck_assert_msg(v != NULL, "429 without Retry-After");
    long n = strtol(v, &end, 10);
    ck_assert_msg(end != v && *end == '\0' && n >= 1 && n <= max,
                  "Retry-After '%s' is not an integer in 1..%d", v, max);
    free(v);
    return (int)n;
}

START_TEST(test_login_lockout)
{
    int max_failures = env_int("SELLERDESK_LOGIN_MAX_FAILURES_ACCOUNT", 3);
    int lockout = env_int("SELLERDESK_LOGIN_LOCKOUT", 3);
    char upper[128];
    struct api_user u;
    api_new_user(&u, "buyer");
    upper_case(upper, sizeof upper, u.email);
    for (int i = 0; i < max_failures; i++) {
        struct api_resp *r = login(u.email, "wrong password!");
        ck_assert_problem(r, 401, "invalid_credentials");
        api_free(r);
    }
    /* locked: even the right password is refused, whatever the e-mail's case */
    struct api_resp *r = login(u.email, u.password);
    ck_assert_problem(r, 429, "rate_limited");
    int wait_s = retry_after(r, lockout);
    api_free(r);
    r = login(upper, u.password);
    ck_assert_problem(r, 429, "rate_limited");
    retry_after(r, lockout);
    api_free(r);

    sleep((unsigned)wait_s + 1);
    r = login(u.email, u.password);
    ck_assert_token_pair(r);
    api_free(r);
}
END_TEST

/* ---- refresh and logout ----------------------------------------------------------------- */

/* Rotates token; checks the answer and copies the new refresh token into out. */
static void rotate(const char *token, char *out, size_t len)
{
    struct api_resp *r = refresh(token);
    ck_assert_token_pair(r);
    snprintf(out, len, "%s", api_str(r, "refresh_token"));
    api_free(r);
}

static void check_refresh_refused(const char *token, const char *code, const char *file, int line)
{
    struct api_resp *r = refresh(token);
    api_assert_problem(r, 401, code, file, line);
    ck_assert_msg(api_str(r, "access_token") == NULL, "%s:%d: tokens issued: %s", file, line,
                  r->body);
    api_free(r);
}
#define ck_assert_refresh_refused(token, code)                                                     \
    check_refresh_refused(token, code, __FILE__, __LINE__)

START_TEST(test_refresh_rotates)
{
    struct api_user u;
    api_new_user(&u, "seller");
    struct api_resp *r = refresh(u.refresh);
    ck_assert_token_pair(r);
    ck_assert_str_ne(api_str(r, "refresh_token"), u.refresh);
    ck_assert_str_ne(api_str(r, "access_token"), u.token);

    struct api_resp *me = api_get(ME_PATH, api_str(r, "access_token"));
    ck_assert_status(me, 200);
    ck_assert_int_eq(api_int(me, "id"), u.id);
    ck_assert_str_eq(api_str(me, "role"), "seller");
    api_free(me);

    /* the new refresh token rotates in turn */
    char next[128];
    rotate(api_str(r, "refresh_token"), next, sizeof next);
    ck_assert_str_ne(next, api_str(r, "refresh_token"));
    api_free(r);
}
END_TEST

START_TEST(test_refresh_reuse_revokes_family)
{
    struct api_user u;
    char newest[128], other_family[128];
    api_new_user(&u, "buyer");
    struct api_resp *r = login(u.email, u.password); /* a second, independent session */
    ck_assert_status(r, 200);
    snprintf(other_family, sizeof other_family, "%s", api_str(r, "refresh_token"));
    api_free(r);

    rotate(u.refresh, newest, sizeof newest);
    ck_assert_refresh_refused(u.refresh, "refresh_token_reused");
    /* the thief's (or the victim's) newest token of that family is revoked too */
    ck_assert_refresh_refused(newest, "invalid_refresh_token");

    /* another login's family is not affected */
    rotate(other_family, newest, sizeof newest);
}
END_TEST

START_TEST(test_refresh_unknown_token)
{
    ck_assert_refresh_refused("definitely-not-a-refresh-token", "invalid_refresh_token");
    ck_assert_refresh_refused("kLJXK3zItTd3NR50MJ3qWdcAk1ygTK7KQb172hPBe-0",
                              "invalid_refresh_token");
}
END_TEST

START_TEST(test_logout_revokes_family)
{
    struct api_user u;
    char newest[128], other_family[128];
    api_new_user(&u, "buyer");
    struct api_resp *r = login(u.email, u.password);
    ck_assert_status(r, 200);
    snprintf(other_family, sizeof other_family, "%s", api_str(r, "refresh_token"));
    api_free(r);

    rotate(u.refresh, newest, sizeof newest);
    r = logout(newest);
    ck_assert_status(r, 204);
    ck_assert_uint_eq(r->body_len, 0);
    api_free(r);
    ck_assert_refresh_refused(newest, "invalid_refresh_token");

    /* other sessions stay signed in */
    rotate(other_family, newest, sizeof newest);
}
END_TEST

START_TEST(test_logout_with_ancestor_revokes_descendants)
{
    struct api_user u;
    char newest[128];
    api_new_user(&u, "seller");
    rotate(u.refresh, newest, sizeof newest);
    struct api_resp *r = logout(u.refresh); /* the spent ancestor of newest */
    ck_assert_status(r, 204);
    api_free(r);
    ck_assert_refresh_refused(newest, "invalid_refresh_token");
}
END_TEST

static void check_bad_token_bodies(const char *path)
{
    struct api_resp *r = api_post(path, NULL, "{}");
    ck_assert_field_error(r, "refresh_token", "required");
    api_free(r);
    r = api_postf(path, NULL, "{s:i}", "refresh_token", 42);
    ck_assert_field_error(r, "refresh_token", "wrong_type");
    api_free(r);
    r = api_postf(path, NULL, "{s:s}", "refresh_token", "");
    ck_assert_field_error(r, "refresh_token", "too_short");
    api_free(r);
    r = api_postf(path, NULL, "{s:s, s:s}", "refresh_token", "abc", "user_id", "1");
    ck_assert_field_error(r, "user_id", "unknown_field");
    api_free(r);
    r = api_post(path, NULL, "{\"refresh_token\":");
    ck_assert_problem(r, 400, "malformed_json");
    api_free(r);
    r = api_post(path, NULL, "[\"abc\"]");
    ck_assert_problem(r, 400, "body_not_object");
    api_free(r);
    r = api_request("POST", path, NULL, "{\"refresh_token\":\"abc\"}", "text/plain", NULL);
    ck_assert_problem(r, 415, "unsupported_media_type");
    api_free(r);
}

START_TEST(test_refresh_bad_bodies)
{
    check_bad_token_bodies(REFRESH_PATH);
}
END_TEST

START_TEST(test_logout_bad_bodies)
{
    check_bad_token_bodies(LOGOUT_PATH);
}
END_TEST

/* ---- GET /v1/me ------------------------------------------------------------------------- */

static void check_me(const struct api_user *u, const char *role)
{
    struct api_resp *r = api_get(ME_PATH, u->token);
    ck_assert_status(r, 200);
    ck_assert_header(r, "Content-Type", "application/json");
    ck_assert_user_object(r, u->email, role);
    ck_assert_int_eq(api_int(r, "id"), u->id);
    api_free(r);
}

START_TEST(test_me_buyer)
{
    struct api_user u;
    api_new_user(&u, "buyer");
    check_me(&u, "buyer");
}
END_TEST

START_TEST(test_me_seller)
{
    struct api_user u;
    api_new_user(&u, "seller");
    check_me(&u, "seller");
}
END_TEST

/* A figure of /metrics, 0 when the line is missing. */
static long long metric_value(const char *line_prefix)
{
    struct api_resp *r = api_get("/metrics", NULL);
    ck_assert_status(r, 200);
    const char *at = strstr(r->body, line_prefix);
    long long v = at ? strtoll(at + strlen(line_prefix), NULL, 10) : 0;
    api_free(r);
    return v;
}

#define PRINCIPAL_MISS "sellerdesk_principal_cache_total{result=\"miss\"} "
#define PRINCIPAL_HIT  "sellerdesk_principal_cache_total{result=\"hit\"} "
#define TOKEN_MISS     "sellerdesk_token_cache_total{result=\"miss\"} "
#define TOKEN_HIT      "sellerdesk_token_cache_total{result=\"hit\"} "

/* A request with a body is authenticated before its body, and runs again on a worker when its
 * account must be read: the caches' figures still count it once (one account read, one full
 * check of its token). The suite's requests run one at a time, so the differences are exact. */
START_TEST(test_cache_figures_count_a_request_once)
{
    struct api_user u;
    if (metric_value("sellerdesk_principal_cache_on ") != 1)
        return; /* (its listener not connected: the cache is off and counts nothing) */
    api_new_user(&u, "buyer");
    long long m0 = metric_value(PRINCIPAL_MISS);
    struct api_resp *me = api_get(ME_PATH, u.token); /* read on a worker for the loop */
    ck_assert_status(me, 200);
    api_free(me);
    ck_assert_int_eq(metric_value(PRINCIPAL_MISS) - m0, 1);
    api_new_user(&u, "seller");
    long long pm = metric_value(PRINCIPAL_MISS), ph = metric_value(PRINCIPAL_HIT);
    long long tm = metric_value(TOKEN_MISS), th = metric_value(TOKEN_HIT);
    api_make_product(&u, 1000, 1); /* the account's first request, with a body */
    ck_assert_int_eq(metric_value(PRINCIPAL_MISS) - pm, 1);
    ck_assert_int_eq(metric_value(PRINCIPAL_HIT) - ph, 0);
    ck_assert_int_eq(metric_value(TOKEN_MISS) - tm, 1);
    ck_assert_int_eq(metric_value(TOKEN_HIT) - th, 0);
    api_make_product(&u, 1000, 1); /* its account cached now: a hit, counted once */
    ck_assert_int_eq(metric_value(PRINCIPAL_MISS) - pm, 1);
    ck_assert_int_eq(metric_value(PRINCIPAL_HIT) - ph, 1);
    ck_assert_int_eq(metric_value(TOKEN_MISS) - tm, 1);
    ck_assert_int_eq(metric_value(TOKEN_HIT) - th, 1);
    struct api_resp *r = api_get(ME_PATH, u.token); /* on the loop, no worker */
    ck_assert_status(r, 200);
    api_free(r);
    ck_assert_int_eq(metric_value(PRINCIPAL_HIT) - ph, 2);
    ck_assert_int_eq(metric_value(TOKEN_HIT) - th, 2);
}
END_TEST

START_TEST(test_me_support)
{
    struct api_user u;
    api_demo_user(&u, DEMO_SUPPORT);
    ck_assert_int_gt(u.id, 0);
    check_me(&u, "support");
}
END_TEST

/* ---- access tokens ---------------------------------------------------------------------- */

static struct api_user token_user; /* a fresh buyer per test (checked fixture) */

static void token_setup(void)
{
    ck_assert_msg(sodium_init() >= 0, "sodium_init failed");
    api_new_user(&token_user, "buyer");
}

static const char *jwt_secret(void)
{
    const char *s = getenv("SELLERDESK_JWT_SECRET");
    ck_assert_msg(s && *s, "set SELLERDESK_JWT_SECRET to the server's secret");
    return s;
}

static const char *jwt_issuer(void)
{
    const char *s = getenv("SELLERDESK_JWT_ISSUER");
    return s && *s ? s : "sellerdesk";
}

/* The claims the server itself would issue for the token user: each attack changes one. */
static json_t *valid_claims(void)
{
    char sub[24], jti[33];
    unsigned char rnd[16];
    json_int_t now = (json_int_t)time(NULL);
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(jti, sizeof jti, rnd, sizeof rnd);
    snprintf(sub, sizeof sub, "%lld", (long long)token_user.id);
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "sub", sub, "role", token_user.role, "iss",
                     jwt_issuer(), "jti", jti, "iat", now, "exp", now + 600);
}

static void set_int(json_t *claims, const char *name, json_int_t v)
{
    json_object_set_new(claims, name, json_integer(v));
}

static void set_str(json_t *claims, const char *name, const char *v)
{
    json_object_set_new(claims, name, json_string(v));
}

/* Signs claims (consumed) with libjwt; returns a malloc'd compact JWT. */
static char *sign_claims(json_t *claims, jwt_alg_t alg, const char *key)
{
    jwt_t *jwt = NULL;
    char *grants = json_dumps(claims, JSON_COMPACT);
    ck_assert_int_eq(jwt_new(&jwt), 0);
    ck_assert_int_eq(jwt_add_grants_json(jwt, grants), 0);
    ck_assert_int_eq(jwt_set_alg(jwt, alg, (const unsigned char *)key, (int)strlen(key)), 0);
    char *token = jwt_encode_str(jwt);
    ck_assert_ptr_nonnull(token);
    jwt_free(jwt);
    free(grants);
    json_decref(claims);
    return token;
}

/* HS256 with the server's secret: a token the server must accept unless its claims are bad. */
static char *forge(json_t *claims)
{
    return sign_claims(claims, JWT_ALG_HS256, jwt_secret());
}

static char *b64url(const void *data, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = malloc(n);
    sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* "<header>.<payload>." with the given alg and no signature; claims consumed. */
static char *unsigned_token(const char *alg, json_t *claims)
{
    char header[64], *payload = json_dumps(claims, JSON_COMPACT);
    snprintf(header, sizeof header, "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
    char *h = b64url(header, strlen(header)), *p = b64url(payload, strlen(payload));
    char *token = malloc(strlen(h) + strlen(p) + 3);
    sprintf(token, "%s.%s.", h, p);
    free(h);
    free(p);
    free(payload);
    json_decref(claims);
    return token;
}

/* 401 problem+json with code and a WWW-Authenticate: Bearer challenge, for GET /v1/me sent
 * with the token, or (token NULL) with the raw header line (or none at all). */
static void check_me_refused(const char *token, const char *header, const char *code,
                             const char *file, int line)
{
    struct api_resp *r = api_request("GET", ME_PATH, token, NULL, NULL, header);
    api_assert_problem(r, 401, code, file, line);
    char *www = api_header(r, "WWW-Authenticate");
    ck_assert_msg(www && strncmp(www, "Bearer", 6) == 0,
                  "%s:%d: expected WWW-Authenticate: Bearer..., got %s", file, line,
                  www ? www : "(none)");
    free(www);
    api_free(r);
}
#define ck_assert_token_refused(token, code) check_me_refused(token, NULL, code, __FILE__, __LINE__)
#define ck_assert_header_refused(header, code)                                                     \
    check_me_refused(NULL, header, code, __FILE__, __LINE__)

/* Forges claims (consumed) with the right key and expects the refusal. */
static void check_claims_refused(json_t *claims, const char *code, const char *file, int line)
{
    char *token = forge(claims);
    check_me_refused(token, NULL, code, file, line);
    free(token);
}
#define ck_assert_claims_refused(claims, code)                                                     \
    check_claims_refused(claims, code, __FILE__, __LINE__)

START_TEST(test_token_forged_correctly_is_accepted)
{
    char *token = forge(valid_claims());
    struct api_resp *r = api_get(ME_PATH, token);
    ck_assert_status(r, 200);
    ck_assert_int_eq(api_int(r, "id"), token_user.id);
    ck_assert_str_eq(api_str(r, "role"), "buyer");
    api_free(r);
    free(token);
}
END_TEST

START_TEST(test_token_missing)
{
    ck_assert_header_refused(NULL, "missing_token");
}
END_TEST

START_TEST(test_token_empty_bearer)
{
    ck_assert_header_refused("Authorization: Bearer ", "missing_token");
    ck_assert_header_refused("Authorization: Bearer", "missing_token");
}
END_TEST

START_TEST(test_token_basic_scheme)
{
    ck_assert_header_refused("Authorization: Basic xyz", "missing_token");
    ck_assert_header_refused("Authorization: Basic dXNlcjpwYXNzd29yZA==", "missing_token");
}
END_TEST

START_TEST(test_token_malformed)
{
    static const char *const tokens[] = {
        "not-a-jwt-at-all", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0", /* two segments
                                                                                     */
        "!!!.@@@.###",      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.%%%%.$$$$",       "a.b.c", "...",
    };
    for (size_t i = 0; i < sizeof tokens / sizeof tokens[0]; i++)
        ck_assert_token_refused(tokens[i], "invalid_token");
}
END_TEST

/* Changes the last base64url character so that the decoded signature bytes change too (the
 * low bits of the last character of a 32-byte signature are padding). */
static void tamper_last_char(char *token)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t n = strlen(token);
    const char *p = strchr(alphabet, token[n - 1]);
    ck_assert_ptr_nonnull(p);
    token[n - 1] = alphabet[(p - alphabet) ^ 0x10];
}

START_TEST(test_token_bad_signature)
{
    char token[sizeof token_user.token];
    struct api_resp *r = api_get(ME_PATH, token_user.token); /* the genuine one works */
    ck_assert_status(r, 200);
    api_free(r);
    snprintf(token, sizeof token, "%s", token_user.token);
    tamper_last_char(token);
    ck_assert_token_refused(token, "invalid_token");
}
END_TEST

START_TEST(test_token_other_secret)
{
    char *token = sign_claims(valid_claims(), JWT_ALG_HS256, OTHER_SECRET);
    ck_assert_token_refused(token, "invalid_token");
    free(token);
}
END_TEST

/* The genuine header and signature around a payload that claims the support role. */
static char *escalated_payload_token(const char *genuine)
{
    const char *dot1 = strchr(genuine, '.'), *dot2 = strrchr(genuine, '.');
    json_t *claims = valid_claims();
    set_str(claims, "role", "support");
    char *payload = json_dumps(claims, JSON_COMPACT), *p = b64url(payload, strlen(payload));
    size_t hlen = (size_t)(dot1 - genuine);
    char *token = malloc(hlen + strlen(p) + strlen(dot2) + 2);
    sprintf(token, "%.*s.%s%s", (int)hlen, genuine, p, dot2);
    free(p);
    free(payload);
    json_decref(claims);
    return token;
}

START_TEST(test_token_tampered_payload)
{
    char *token = escalated_payload_token(token_user.token);
    ck_assert_token_refused(token, "invalid_token");
    free(token);
}
END_TEST

START_TEST(test_token_alg_none)
{
    static const char *const algs[] = {"none", "None", "NONE"};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++) {
        char *token = unsigned_token(algs[i], valid_claims());
        ck_assert_token_refused(token, "invalid_token");
        free(token);
    }
}
END_TEST

START_TEST(test_token_hs512_with_real_secret)
{
    char *token = sign_claims(valid_claims(), JWT_ALG_HS512, jwt_secret());
    ck_assert_token_refused(token, "invalid_token");
    free(token);
}
END_TEST

START_TEST(test_token_expired_1970)
{
    json_t *claims = valid_claims();
    set_int(claims, "iat", 0);
    set_int(claims, "exp", 86400);
    ck_assert_claims_refused(claims, "token_expired");
}
END_TEST

START_TEST(test_token_expired_two_minutes_ago)
{
    json_t *claims = valid_claims();
    json_int_t now = (json_int_t)time(NULL);
    set_int(claims, "iat", now - 720);
    set_int(claims, "exp", now - 120);
    ck_assert_claims_refused(claims, "token_expired");
}
END_TEST

START_TEST(test_token_not_before_in_future)
{
    json_t *claims = valid_claims();
    set_int(claims, "nbf", (json_int_t)time(NULL) + 3600);
    ck_assert_claims_refused(claims, "invalid_token");
}
END_TEST

START_TEST(test_token_issued_in_future)
{
    json_t *claims = valid_claims();
    json_int_t now = (json_int_t)time(NULL);
    set_int(claims, "iat", now + 3600);
    set_int(claims, "exp", now + 7200);
    ck_assert_claims_refused(claims, "invalid_token");
}
END_TEST

START_TEST(test_token_wrong_issuer)
{
    json_t *claims = valid_claims();
    set_str(claims, "iss", "evil-issuer");
    ck_assert_claims_refused(claims, "invalid_token");
    claims = valid_claims();
    json_object_del(claims, "iss");
    ck_assert_claims_refused(claims, "invalid_token");
}
END_TEST

START_TEST(test_token_missing_exp)
{
    json_t *claims = valid_claims();
    json_object_del(claims, "exp");
    ck_assert_claims_refused(claims, "invalid_token");
}
END_TEST

START_TEST(test_token_unknown_role)
{
    json_t *claims = valid_claims();
    set_str(claims, "role", "admin");
    ck_assert_claims_refused(claims, "invalid_token");
    claims = valid_claims();
    json_object_del(claims, "role");
    ck_assert_claims_refused(claims, "invalid_token");
}
END_TEST

START_TEST(test_token_sub_not_a_number)
{
    static const char *const subs[] = {"abc", "12abc", "", "0", "-5", "1e3"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        json_t *claims = valid_claims();
        set_str(claims, "sub", subs[i]);
        ck_assert_claims_refused(claims, "invalid_token");
    }
    json_t *claims = valid_claims();
    set_int(claims, "sub", token_user.id); /* a JSON number, not the string the server issues */
    ck_assert_claims_refused(claims, "invalid_token");
}
END_TEST

START_TEST(test_token_user_does_not_exist)
{
    json_t *claims = valid_claims();
    set_str(claims, "sub", "999999999");
    ck_assert_claims_refused(claims, "invalid_token");
}
END_TEST

START_TEST(test_token_role_differs_from_account)
{
    static const char *const roles[] = {"seller", "support"};
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        json_t *claims = valid_claims(); /* the token user is a buyer */
        set_str(claims, "role", roles[i]);
        ck_assert_claims_refused(claims, "invalid_token");
    }
}
END_TEST

/* ---- suite ------------------------------------------------------------------------------ */

static TCase *register_case(void)
{
    TCase *tc = tcase_create("register");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_register_happy_path);
    tcase_add_test(tc, test_register_boundaries_accepted);
    tcase_add_test(tc, test_register_email_taken);
    tcase_add_test(tc, test_register_support_role_refused);
    tcase_add_test(tc, test_register_missing_fields);
    tcase_add_test(tc, test_register_wrong_types);
    tcase_add_test(tc, test_register_unknown_field);
    tcase_add_test(tc, test_register_short_password);
    tcase_add_test(tc, test_register_bad_emails);
    tcase_add_test(tc, test_register_blank_display_name);
    tcase_add_test(tc, test_register_too_long);
    tcase_add_test(tc, test_register_malformed_json);
    tcase_add_test(tc, test_register_body_not_object);
    tcase_add_test(tc, test_register_wrong_content_type);
    tcase_add_test(tc, test_register_json_with_charset);
    tcase_add_test(tc, test_register_idempotent_replay);
    tcase_add_test(tc, test_register_idempotency_key_reused);
    tcase_add_test(tc, test_register_idempotency_key_too_long);
    return tc;
}

static TCase *login_case(void)
{
    TCase *tc = tcase_create("login");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_login_happy_path);
    tcase_add_test(tc, test_login_wrong_password);
    tcase_add_test(tc, test_login_unknown_email_same_answer);
    tcase_add_test(tc, test_login_bad_bodies);
    tcase_add_test(tc, test_login_lockout);
    return tc;
}

static TCase *refresh_case(void)
{
    TCase *tc = tcase_create("refresh");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_refresh_rotates);
    tcase_add_test(tc, test_refresh_reuse_revokes_family);
    tcase_add_test(tc, test_refresh_unknown_token);
    tcase_add_test(tc, test_logout_revokes_family);
    tcase_add_test(tc, test_logout_with_ancestor_revokes_descendants);
    tcase_add_test(tc, test_refresh_bad_bodies);
    tcase_add_test(tc, test_logout_bad_bodies);
    return tc;
}

static TCase *me_case(void)
{
    TCase *tc = tcase_create("me");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_me_buyer);
    tcase_add_test(tc, test_me_seller);
    tcase_add_test(tc, test_me_support);
    tcase_add_test(tc, test_cache_figures_count_a_request_once);
    return tc;
}

static TCase *token_case(void)
{
    TCase *tc = tcase_create("access tokens");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, token_setup, NULL);
    tcase_add_test(tc, test_token_forged_correctly_is_accepted);
    tcase_add_test(tc, test_token_missing);
    tcase_add_test(tc, test_token_empty_bearer);
    tcase_add_test(tc, test_token_basic_scheme);
    tcase_add_test(tc, test_token_malformed);
    tcase_add_test(tc, test_token_bad_signature);
    tcase_add_test(tc, test_token_other_secret);
    tcase_add_test(tc, test_token_tampered_payload);
    tcase_add_test(tc, test_token_alg_none);
    tcase_add_test(tc, test_token_hs512_with_real_secret);
    tcase_add_test(tc, test_token_expired_1970);
    tcase_add_test(tc, test_token_expired_two_minutes_ago);
    tcase_add_test(tc, test_token_not_before_in_future);
    tcase_add_test(tc, test_token_issued_in_future);
    tcase_add_test(tc, test_token_wrong_issuer);
    tcase_add_test(tc, test_token_missing_exp);
    tcase_add_test(tc, test_token_unknown_role);
    tcase_add_test(tc, test_token_sub_not_a_number);
    tcase_add_test(tc, test_token_user_does_not_exist);
    tcase_add_test(tc, test_token_role_differs_from_account);
    return tc;
}

Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    suite_add_tcase(s, register_case());
    suite_add_tcase(s, login_case());
    suite_add_tcase(s, refresh_case());
    suite_add_tcase(s, me_case());
    suite_add_tcase(s, token_case());
    return s;
}
