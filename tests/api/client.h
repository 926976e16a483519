#ifndef SD_TEST_CLIENT_H
#define SD_TEST_CLIENT_H

#include <stdint.h>

#include <check.h>
#include <jansson.h>

/* A tiny HTTP client for API tests against the real server at $SD_BASE_URL. */
struct api_resp {
    long status;
    char *body; /* NUL-terminated for convenience; binary answers: see body_len */
    size_t body_len;
    char *headers; /* raw response headers */
    json_t *json;  /* parsed body, NULL if not JSON */
};

/* method, path (appended to SD_BASE_URL), bearer token or NULL, body or NULL (sent as
 * application/json unless content_type says otherwise), extra header line or NULL. */
struct api_resp *api_request(const char *method, const char *path, const char *token,
                             const char *body, const char *content_type, const char *extra_header);
/* The same with a body of len bytes (binary safe) sent with content_type as it is: NULL sends
 * no Content-Type at all. The answer's bytes are body, body_len of them. */
struct api_resp *api_request_bytes(const char *method, const char *path, const char *token,
                                   const void *body, size_t len, const char *content_type,
                                   const char *extra_header);
struct api_resp *api_get(const char *path, const char *token);
struct api_resp *api_post(const char *path, const char *token, const char *body);
struct api_resp *api_patch(const char *path, const char *token, const char *body);
/* json_pack-style body, e.g. api_postf(path, tok, "{s:s}", "k", v) */
struct api_resp *api_postf(const char *path, const char *token, const char *fmt, ...);
void api_free(struct api_resp *r);
/* Value of a response header (case-insensitive), malloc'd, or NULL. */
char *api_header(const struct api_resp *r, const char *name);

const char *api_str(const struct api_resp *r, const char *key);
json_int_t api_int(const struct api_resp *r, const char *key);

/* A fresh account: registers a unique e-mail with the role and logs in. */
struct api_user {
    int64_t id;
    char email[128];
    char password[64];
    char role[16];
    char token[2048];
    char refresh[128];
};
void api_new_user(struct api_user *u, const char *role);
void api_new_user_named(struct api_user *u, const char *role, const char *display_name);
/* Logs in a demo account (password demo-password-1); fills token and id. */
void api_demo_user(struct api_user *u, const char *email);
/* A unique string for names (e-mails, offer ids). */
const char *api_unique(const char *prefix, char *buf, size_t len);

/* Creates a product of seller with the given stock; returns its id. */
int64_t api_make_product(const struct api_user *seller, int64_t price, int64_t stock);

/* Assertions that print what came back. */
#define ck_assert_status(r, expected)                                                              \
    ck_assert_msg((r)->status == (expected), "%s:%d: expected HTTP %d, got %ld: %s", __FILE__,     \
                  __LINE__, (int)(expected), (r)->status, (r)->body ? (r)->body : "")
/* status, application/problem+json, code and request_id */
#define ck_assert_problem(r, expected_status, expected_code)                                       \
    api_assert_problem(r, expected_status, expected_code, __FILE__, __LINE__)
void api_assert_problem(const struct api_resp *r, int status, const char *code, const char *file,
                        int line);
/* errors[] contains an entry with field and code */
int api_has_error(const struct api_resp *r, const char *field, const char *code);

/* 400 validation_failed whose errors[] holds {field, code}. */
#define assert_field_error(r, field, code)                                                         \
    api_assert_field_error(r, field, code, __FILE__, __LINE__)
void api_assert_field_error(const struct api_resp *r, const char *field, const char *code,
                            const char *file, int line);
/* A timestamp as the API writes it: YYYY-MM-DDTHH:MM:SSZ */
#define assert_timestamp(value) api_assert_timestamp(value, #value, __FILE__, __LINE__)
void api_assert_timestamp(const char *v, const char *what, const char *file, int line);
/* Members of a JSON object; a string of n copies of the UTF-8 character ch (malloc'd). */
const char *api_jstr(const json_t *o, const char *key);
json_int_t api_jint(const json_t *o, const char *key);
char *api_repeat(const char *ch, size_t n);

/* Number of entries of a case table, for tcase_add_loop_test. */
#define N_CASES(a) ((int)(sizeof(a) / sizeof((a)[0])))
/* A test case with a timeout that suits requests to a real server. */
TCase *api_tcase(const char *name);

Suite *http_suite(void);
Suite *docs_suite(void);
Suite *auth_suite(void);
Suite *products_suite(void);
Suite *orders_suite(void);
Suite *moderation_api_suite(void);
Suite *notifications_suite(void);
Suite *templates_suite(void);
Suite *chat_restrictions_suite(void);
Suite *files_suite(void);
Suite *chats_suite(void);
Suite *questions_suite(void);
Suite *answers_suite(void);
Suite *moderation_workflow_suite(void);
Suite *reviews_suite(void);
Suite *review_media_suite(void);
Suite *review_lists_suite(void);
Suite *review_comments_suite(void);
Suite *promotions_suite(void);
Suite *promotion_products_suite(void);
Suite *disputes_suite(void);
Suite *dispute_deadlines_suite(void);
Suite *events_suite(void);
Suite *api_keys_suite(void);
Suite *api_keys_processes_suite(void);
Suite *events_stream_suite(void);
Suite *events_stream_processes_suite(void);
Suite *events_stream_limit_suite(void);
Suite *webhooks_suite(void);

#endif
