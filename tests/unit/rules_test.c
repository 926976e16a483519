#include "../../src/auth.h"
#include "../../src/delivery.h"
#include "../../src/err.h"
#include "../../src/notify.h"
#include "../../src/order_store.h"
#include "unit.h"

START_TEST(error_mapping)
{
    static const struct {
        sd_err e;
        int status;
        const char *code;
    } cases[] = {
        {SD_ERR_BAD_REQUEST, 400, "bad_request"},
        {SD_ERR_VALIDATION, 400, "validation_failed"},
        {SD_ERR_UNAUTHORIZED, 401, "unauthorized"},
        {SD_ERR_FORBIDDEN, 403, "forbidden"},
        {SD_ERR_NOT_FOUND, 404, "not_found"},
        {SD_ERR_METHOD, 405, "method_not_allowed"},
        {SD_ERR_CONFLICT, 409, "conflict"},
        {SD_ERR_TOO_LARGE, 413, "payload_too_large"},
        {SD_ERR_MEDIA_TYPE, 415, "unsupported_media_type"},
        {SD_ERR_UNPROCESSABLE, 422, "unprocessable"},
        {SD_ERR_RATE_LIMITED, 429, "rate_limited"},
        {SD_ERR_INTERNAL, 500, "internal_error"},
        {SD_ERR_UNAVAILABLE, 503, "service_unavailable"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ck_assert_int_eq(err_http_status(cases[i].e), cases[i].status);
        ck_assert_str_eq(err_code(cases[i].e), cases[i].code);
    }
    /* anything out of range is an internal error, never a crash */
    ck_assert_int_eq(err_http_status((sd_err)999), 500);
    ck_assert_int_eq(err_http_status((sd_err)-1), 500);
}
END_TEST

START_TEST(posting_life_cycle)
{
    static const char *st[] = {"awaiting_packaging", "delivering", "delivered", "cancelled"};
    static const auth_role roles[] = {ROLE_BUYER, ROLE_SELLER, ROLE_SUPPORT};
    int allowed = 0;
    for (size_t r = 0; r < 3; r++)
        for (size_t f = 0; f < 4; f++)
            for (size_t t = 0; t < 4; t++)
                allowed += order_transition_allowed(roles[r], st[f], st[t]);
    ck_assert_int_eq(allowed, 3); /* exactly the three moves below */
    ck_assert_int_eq(order_transition_allowed(ROLE_SELLER, "awaiting_packaging", "delivering"), 1);
    ck_assert_int_eq(order_transition_allowed(ROLE_SELLER, "delivering", "delivered"), 1);
    ck_assert_int_eq(order_transition_allowed(ROLE_BUYER, "awaiting_packaging", "cancelled"), 1);
    ck_assert_int_eq(order_transition_allowed(ROLE_SELLER, "awaiting_packaging", "delivered"), 0);
    ck_assert_int_eq(order_transition_allowed(ROLE_BUYER, "delivering", "cancelled"), 0);
    ck_assert_int_eq(order_transition_allowed(ROLE_SUPPORT, "delivering", "delivered"), 0);
    ck_assert_int_eq(order_status_valid("delivered"), 1);
    ck_assert_int_eq(order_status_valid("lost"), 0);
    ck_assert_int_eq(order_status_valid(""), 0);
}
END_TEST

START_TEST(roles)
{
    ck_assert_int_eq(auth_role_parse("buyer"), ROLE_BUYER);
    ck_assert_int_eq(auth_role_parse("seller"), ROLE_SELLER);
    ck_assert_int_eq(auth_role_parse("support"), ROLE_SUPPORT);
    ck_assert_int_eq(auth_role_parse("Support"), ROLE_NONE);
    ck_assert_int_eq(auth_role_parse("admin"), ROLE_NONE);
    ck_assert_int_eq(auth_role_parse(NULL), ROLE_NONE);
    ck_assert_str_eq(auth_role_name(ROLE_SELLER), "seller");
}
END_TEST

START_TEST(notification_registry)
{
    static const char *const issue_events[] = {
        "question.new",      "question.answer_published", "question.answer_rejected",
        "review.new",        "review.comment_published",  "chat.message_new",
        "promotion.started", "promotion.ending",          "dispute.opened",
        "dispute.updated",   "order.status_changed",      "platform.broadcast",
        "question.rejected"};
    for (size_t i = 0; i < sizeof issue_events / sizeof issue_events[0]; i++)
        ck_assert_msg(notify_event_find(issue_events[i]) != NULL, "%s is not registered",
                      issue_events[i]);
    for (size_t i = 0; i < notify_event_count(); i++) {
        const struct notify_event *e = notify_event_at(i);
        ck_assert_msg(notify_tab_valid(e->tab), "%s has unknown tab %s", e->type, e->tab);
        ck_assert_msg(e->roles != 0, "%s applies to no role", e->type);
        ck_assert_ptr_eq(notify_event_find(e->type), e); /* types are unique */
    }
    ck_assert_ptr_null(notify_event_find("no.such_event"));
    ck_assert_ptr_null(notify_event_at(notify_event_count()));
    /* the platform's notices cannot be switched off; sellers get questions, buyers do not */
    ck_assert_int_eq(notify_event_find("platform.broadcast")->mandatory, 1);
    ck_assert_int_eq(notify_event_for_role(notify_event_find("question.new"), ROLE_SELLER), 1);
    ck_assert_int_eq(notify_event_for_role(notify_event_find("question.new"), ROLE_BUYER), 0);
    /* a rejected question is the asking buyer's news: in the app and by push, not by e-mail */
    const struct notify_event *rejected = notify_event_find("question.rejected");
    ck_assert_str_eq(rejected->tab, "main");
    ck_assert_uint_eq(rejected->roles, ROLE_BUYER);
    ck_assert_int_eq(rejected->mandatory, 0);
    ck_assert_int_eq(rejected->default_push, 1);
    ck_assert_int_eq(rejected->default_email, 0);
    ck_assert_int_eq(notify_channel_parse("push"), NOTIFY_PUSH);
    ck_assert_int_eq(notify_channel_parse("email"), NOTIFY_EMAIL);
    ck_assert_int_eq(notify_channel_parse("in_app"), -1);
    ck_assert_int_eq(notify_tab_valid("customer_service"), 1);
    ck_assert_int_eq(notify_tab_valid("spam"), 0);
}
END_TEST

START_TEST(push_signature_and_backoff)
{
    char sig[80];
    /* the same HMAC computed by Python's hmac module */
    delivery_sign("push-secret-0123456789", "1700000000", "{\"delivery_id\":7}", sig);
    ck_assert_str_eq(sig,
                     "sha256=efaa1d899dfae906524af60508d86fa8622758d9a6ec9cc5304614bf359f186d");
    delivery_sign("another-secret-0123456", "1700000000", "{\"delivery_id\":7}", sig);
    ck_assert_str_ne(sig,
                     "sha256=efaa1d899dfae906524af60508d86fa8622758d9a6ec9cc5304614bf359f186d");
    ck_assert_int_eq(delivery_backoff(30, 0), 30);
    ck_assert_int_eq(delivery_backoff(30, 1), 60);
    ck_assert_int_eq(delivery_backoff(30, 3), 240);
    ck_assert_int_eq(delivery_backoff(30, 40), 3600); /* capped at an hour, no overflow */
}
END_TEST

Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("mapping");
    tcase_add_test(tc, error_mapping);
    tcase_add_test(tc, posting_life_cycle);
    tcase_add_test(tc, roles);
    tcase_add_test(tc, notification_registry);
    tcase_add_test(tc, push_signature_and_backoff);
    suite_add_tcase(s, tc);
    return s;
}
