#include "event_types.h"

#include <string.h>

/* the object each of these carries (question, answer, review, comment, complaint, promotion,
 * dispute) is added by the log itself: event_object() in migrations/0019_event_objects.sql */
#define NOTICE "title, body (the notification's text), "

/* Two notifications have no event of their own: chat.message_new goes to one person of a chat
 * and order.status_changed to one party of a posting, while message.created and
 * posting.status_changed go to everyone concerned and carry the object itself. */
static const struct event_type types[] = {
    {"question.new", "question.new", "the seller of the product, once the question is published",
     NOTICE "question_id, product_id, question"},
    {"question.rejected", "question.rejected", "the question's author",
     NOTICE "question_id, product_id, reason, question"},
    {"question.answer_published", "question.answer_published", "the question's author",
     NOTICE "question_id, answer_id, product_id, question, answer"},
    {"question.answer_rejected", "question.answer_rejected", "the seller who answered",
     NOTICE "question_id, answer_id, product_id, reason, question, answer"},
    {"review.new", "review.new", "the seller of the product, once the review is published",
     NOTICE "review_id, product_id, review"},
    {"review.comment_published", "review.comment_published",
     "the review's author and the seller (not the comment's author)",
     NOTICE "review_id, comment_id, product_id, is_official, comment"},
    {"review.rejected", "review.rejected", "the review's author",
     NOTICE "review_id, product_id, reason, review"},
    {"review.removed", "review.removed", "the review's author",
     NOTICE "review_id, product_id, reason, review"},
    {"review.comment_rejected", "review.comment_rejected", "the comment's author",
     NOTICE "review_id, comment_id, reason, comment"},
    {"review.complaint_decided", "review.complaint_decided", "the complaint's author",
     NOTICE "complaint_id, review_id, product_id, outcome, reason, complaint"},
    {"promotion.started", "promotion.started", "the sellers the promotion is open to",
     NOTICE "promotion_id, ends_at, promotion"},
    {"promotion.ending", "promotion.ending", "the sellers the promotion is open to",
     NOTICE "promotion_id, ends_at, promotion"},
    {"dispute.opened", "dispute.opened", "the buyer and the seller of the posting, not the actor",
     NOTICE "dispute_id, posting_number, state, dispute"},
    {"dispute.updated", "dispute.updated", "the buyer and the seller of the posting, not the actor",
     NOTICE "dispute_id, posting_number, state, dispute"},
    {"dispute.message_created", NULL,
     "the buyer and the seller of the dispute, not the message's author",
     "dispute_id, message_id, author_id, message (as sent)"},
    {"message.created", NULL,
     "the chat's other participants: buyer, seller, the support agent who took the chat",
     "chat_id, message_id, author_id, message (as sent)"},
    {"message.read", NULL, "the chat's other participants",
     "chat_id, reader_id, side, up_to_message_id, unread_count"},
    {"chat.closed", NULL, "every participant of the chat", "chat_id, closed_by, chat (as closed)"},
    {"posting.status_changed", NULL, "the posting's buyer and seller",
     "posting_number, status, previous_status, changed_by, posting (as changed)"},
};

size_t event_type_count(void)
{
    return sizeof types / sizeof types[0];
}

const struct event_type *event_type_at(size_t i)
{
    return i < event_type_count() ? &types[i] : NULL;
}

const struct event_type *event_type_find(const char *type)
{
    for (size_t i = 0; i < event_type_count(); i++)
        if (strcmp(types[i].type, type) == 0)
            return &types[i];
    return NULL;
}

const struct event_type *event_type_of_notification(const char *notification)
{
    for (size_t i = 0; i < event_type_count(); i++)
        if (types[i].notification && strcmp(types[i].notification, notification) == 0)
            return &types[i];
    return NULL;
}
