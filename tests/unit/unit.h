#ifndef SD_UNIT_H
#define SD_UNIT_H

#include <check.h>

Suite *config_suite(void);
Suite *jwt_suite(void);
Suite *crypto_suite(void);
Suite *rules_suite(void);
Suite *moderation_suite(void);
Suite *moderation_model_suite(void);
Suite *chat_template_suite(void);
Suite *file_type_suite(void);
Suite *utf8_suite(void);
Suite *moderation_policy_suite(void);
Suite *request_suite(void);
Suite *answer_headers_suite(void);
Suite *dispute_rules_suite(void);
Suite *api_key_suite(void);
Suite *webhook_url_suite(void);
Suite *work_suite(void);
Suite *front_head_suite(void);
Suite *log_suite(void);
Suite *db_pipe_suite(void); /* needs DATABASE_URL */

#endif
