#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "unit.h"

int main(void)
{
    if (sodium_init() < 0)
        return EXIT_FAILURE;
    SRunner *sr = srunner_create(config_suite());
    srunner_add_suite(sr, jwt_suite());
    srunner_add_suite(sr, crypto_suite());
    srunner_add_suite(sr, rules_suite());
    srunner_add_suite(sr, moderation_suite());
    srunner_add_suite(sr, moderation_model_suite());
    srunner_add_suite(sr, chat_template_suite());
    srunner_add_suite(sr, file_type_suite());
    srunner_add_suite(sr, utf8_suite());
    srunner_add_suite(sr, moderation_policy_suite());
    srunner_add_suite(sr, request_suite());
    srunner_add_suite(sr, answer_headers_suite());
    srunner_add_suite(sr, dispute_rules_suite());
    srunner_add_suite(sr, api_key_suite());
    srunner_add_suite(sr, webhook_url_suite());
    srunner_add_suite(sr, work_suite());
    srunner_add_suite(sr, front_head_suite());
    srunner_add_suite(sr, log_suite());
    /* (scripts/test.sh starts PostgreSQL first; run alone, the suite says what it needs) */
    if (getenv("DATABASE_URL"))
        srunner_add_suite(sr, db_pipe_suite());
    else
        fprintf(stderr, "unit tests: DATABASE_URL unset: the db_pipe suite is not run\n");
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
