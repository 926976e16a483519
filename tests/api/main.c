#include <stdlib.h>

#include <curl/curl.h>

#include "client.h"

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    SRunner *sr = srunner_create(http_suite());
    srunner_add_suite(sr, docs_suite());
    srunner_add_suite(sr, auth_suite());
    srunner_add_suite(sr, products_suite());
    srunner_add_suite(sr, orders_suite());
    srunner_add_suite(sr, moderation_api_suite());
    srunner_add_suite(sr, notifications_suite());
    srunner_add_suite(sr, templates_suite());
    srunner_add_suite(sr, chat_restrictions_suite());
    srunner_add_suite(sr, files_suite());
    srunner_add_suite(sr, chats_suite());
    srunner_add_suite(sr, questions_suite());
    srunner_add_suite(sr, answers_suite());
    srunner_add_suite(sr, moderation_workflow_suite());
    srunner_add_suite(sr, reviews_suite());
    srunner_add_suite(sr, review_media_suite());
    srunner_add_suite(sr, review_lists_suite());
    srunner_add_suite(sr, review_comments_suite());
    srunner_add_suite(sr, promotions_suite());
    srunner_add_suite(sr, promotion_products_suite());
    srunner_add_suite(sr, disputes_suite());
    srunner_add_suite(sr, events_suite());
    srunner_add_suite(sr, api_keys_suite());
    srunner_add_suite(sr, events_stream_suite());
    srunner_add_suite(sr, webhooks_suite());
    /* deadlines of seconds need a server started with them (scripts/test.sh starts one) */
    if (getenv("SD_DEADLINE_SERVER"))
        srunner_add_suite(sr, dispute_deadlines_suite());
    /* a second server on the same database (scripts/test.sh names it) */
    if (getenv("SD_OTHER_URL")) {
        srunner_add_suite(sr, api_keys_processes_suite());
        srunner_add_suite(sr, events_stream_processes_suite());
    }
    /* a server started with a small SELLERDESK_MAX_STREAMS (scripts/test.sh) */
    if (getenv("SD_MAX_STREAMS"))
        srunner_add_suite(sr, events_stream_limit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
