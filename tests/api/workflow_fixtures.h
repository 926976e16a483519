#ifndef SD_TEST_WORKFLOW_FIXTURES_H
#define SD_TEST_WORKFLOW_FIXTURES_H

/* Helpers shared by the answers and moderation_workflow suites: questions, answers and
 * decisions made through the API only. */
#include "client.h"

#define SUPPORT_EMAIL "support@demo.sellerdesk.dev"
/* the content-safety engine's soft signal ("!!!"): stored as a flag, the text waits */
#define FLAGGED_SUFFIX " Really!!!"

/* A seller with one product and a buyer; the product id. */
struct qa_world {
    struct api_user seller, buyer, support;
    int64_t product;
};
void qa_world_init(struct qa_world *w);

/* POST /v1/products/{id}/questions as token: 201; the question's id. Needs the questions
 * endpoints (the other half of issue 6). A clean text is approved at once (policy auto), a
 * flagged one waits for a moderator. */
int64_t qa_ask(const char *token, int64_t product, const char *text);
/* POST /v1/questions/{id}/answers */
struct api_resp *qa_answer_post(const char *token, int64_t question, const char *text);
/* Same, asserting 201; the answer (caller decrefs). */
json_t *qa_answer(const char *token, int64_t question, const char *text);
/* GET /v1/questions/{id}/answers: 200, every page (caller decrefs), or the status if not 200. */
json_t *qa_answers(const char *token, int64_t question, long *status);
struct api_resp *qa_delete_answer(const char *token, int64_t answer);
/* POST /v1/moderation/decisions (single); reason may be NULL. */
struct api_resp *qa_decide(const char *token, const char *kind, int64_t id, const char *decision,
                           const char *reason);
/* Same, asserting 200. */
void qa_decide_ok(const char *token, const char *kind, int64_t id, const char *decision,
                  const char *reason);
/* The question's workflow status as its seller sees it (GET /v1/questions/{id}). */
char *qa_question_status(const char *token, int64_t question);
/* How many of the user's notifications have this event and data[key] == id; *last gets the
 * newest such one (caller decrefs) when last is not NULL. */
int qa_notifications(const char *token, const char *event, const char *key, int64_t id,
                     json_t **last);
/* The pending item of the queue with this kind and id (caller decrefs), or NULL; walks every
 * page of the query (e.g. "kind=question"), checking ids ascend. */
json_t *qa_queue_find(const char *token, const char *query, const char *kind, int64_t id);
/* Whether qa_queue_find finds it. */
int qa_queued(const char *token, const char *query, const char *kind, int64_t id);
/* An answer of a list by id (borrowed), or NULL. */
json_t *qa_find_id(json_t *list, int64_t id);

#endif
