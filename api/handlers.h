#ifndef SD_HANDLERS_H
#define SD_HANDLERS_H

#include <ulfius.h>

/* Every handler has the Ulfius callback signature; user_data is the struct sd_app. */
#define HANDLER(name) int name(const struct _u_request *req, struct _u_response *resp, void *app)

/* api/ops.c */
HANDLER(ops_healthz);
HANDLER(ops_readyz);
HANDLER(ops_metrics);
HANDLER(ops_openapi);
/* api/docs.c */
HANDLER(docs_page);
HANDLER(docs_init_script);
HANDLER(docs_redoc_script);
/* api/auth.c */
HANDLER(auth_authenticate); /* PRIORITY_AUTH callback of every protected route */
HANDLER(auth_register);
HANDLER(auth_login);
HANDLER(auth_refresh);
HANDLER(auth_logout);
HANDLER(me_get);
/* api/products.c */
HANDLER(products_create);
HANDLER(products_list);
HANDLER(products_get);
HANDLER(products_update);
/* api/questions.c */
HANDLER(questions_create);
HANDLER(product_questions_list);
HANDLER(questions_list);
HANDLER(questions_counts);
HANDLER(questions_get);
HANDLER(questions_set_status);
/* api/reviews.c */
HANDLER(reviews_create);
HANDLER(reviews_get);
HANDLER(reviews_update);
HANDLER(reviews_delete);
HANDLER(reviews_set_status);
/* api/review_lists.c */
HANDLER(reviews_list);
HANDLER(reviews_counts);
HANDLER(product_reviews_list);
HANDLER(product_rating);
HANDLER(promotions_create);
HANDLER(promotions_list);
HANDLER(promotions_get);
HANDLER(promotions_update);
HANDLER(promotions_end);
HANDLER(promotion_candidates);
HANDLER(promotion_products_list);
HANDLER(promotion_products_add);
HANDLER(promotion_products_remove);
/* api/review_comments.c */
HANDLER(review_comments_create);
HANDLER(review_comments_list);
HANDLER(review_comments_delete);
HANDLER(review_complaints_create);
/* api/disputes.c */
HANDLER(disputes_create);
HANDLER(disputes_list);
HANDLER(disputes_counts);
HANDLER(disputes_get);
/* api/dispute_actions.c */
HANDLER(disputes_act);
/* api/dispute_messages.c */
HANDLER(dispute_messages_list);
HANDLER(dispute_messages_create);
HANDLER(dispute_messages_read);
/* api/orders.c */
HANDLER(orders_create);
HANDLER(orders_list);
HANDLER(postings_get);
HANDLER(postings_set_status);
/* api/moderation.c */
HANDLER(moderation_check);
HANDLER(moderation_offenders);
HANDLER(moderation_queue);
HANDLER(moderation_decisions);
/* api/answers.c */
HANDLER(answers_create);
HANDLER(answers_list);
HANDLER(answers_delete);
/* api/events.c */
HANDLER(events_list);
HANDLER(events_stream);
/* api/notifications.c */
HANDLER(notifications_list);
HANDLER(notifications_counters);
HANDLER(notifications_read);
HANDLER(notifications_read_all);
HANDLER(notification_settings_get);
HANDLER(notification_settings_patch);
HANDLER(broadcasts_create);
/* api/chats.c */
HANDLER(chats_create);
HANDLER(chats_list);
HANDLER(chats_get);
HANDLER(chat_messages_list);
HANDLER(chat_messages_create);
HANDLER(chats_read);
HANDLER(chats_close);
/* api/templates.c */
HANDLER(templates_list);
HANDLER(templates_create);
HANDLER(templates_get);
HANDLER(templates_update);
HANDLER(templates_delete);
/* api/chat_restrictions.c */
HANDLER(chat_restriction_put);
HANDLER(chat_restriction_get);
HANDLER(chat_restriction_delete);
/* api/api_keys.c */
HANDLER(api_keys_create);
HANDLER(api_keys_list);
HANDLER(api_keys_revoke);
/* api/webhooks.c */
HANDLER(webhooks_create);
HANDLER(webhooks_list);
HANDLER(webhooks_get);
HANDLER(webhooks_update);
HANDLER(webhooks_delete);
HANDLER(webhooks_rotate_secret);
/* api/webhook_deliveries.c */
HANDLER(webhooks_ping);
HANDLER(webhook_deliveries_list);
HANDLER(webhook_deliveries_redeliver);
/* api/files.c */
HANDLER(files_upload);
HANDLER(files_get);

#endif
