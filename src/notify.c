#include "notify.h"

#include <string.h>

#define ALL_ROLES (ROLE_BUYER | ROLE_SELLER | ROLE_SUPPORT)

static const struct notify_event events[] = {
    {"question.new", "buyers", "New product question", ROLE_SELLER, 0, 1, 0},
    {"question.rejected", "main", "Question rejected by moderation", ROLE_BUYER, 0, 1, 0},
    {"question.answer_published", "main", "Your question was answered", ROLE_BUYER, 0, 1, 1},
    {"question.answer_rejected", "main", "Answer rejected by moderation", ROLE_SELLER, 0, 1, 1},
    {"review.new", "buyers", "New review of your product", ROLE_SELLER, 0, 1, 0},
    {"review.comment_published", "main", "New comment on a review", ROLE_BUYER | ROLE_SELLER, 0, 1,
     0},
    {"review.rejected", "main", "Review not published by moderation", ROLE_BUYER, 0, 1, 1},
    {"review.removed", "main", "Review removed after a complaint", ROLE_BUYER, 0, 1, 1},
    {"review.comment_rejected", "main", "Review comment rejected by moderation",
     ROLE_BUYER | ROLE_SELLER, 0, 1, 0},
    {"review.complaint_decided", "main", "Complaint about a review decided", ROLE_SELLER, 0, 1, 1},
    {"chat.message_new", "buyers", "New chat message", ALL_ROLES, 0, 1, 0},
    {"promotion.started", "promotion", "A promotion started", ROLE_SELLER, 0, 0, 1},
    {"promotion.ending", "promotion", "A promotion is ending", ROLE_SELLER, 0, 1, 1},
    {"dispute.opened", "disputes", "A dispute was opened", ROLE_SELLER | ROLE_SUPPORT, 1, 1, 1},
    {"dispute.updated", "disputes", "A dispute was updated", ROLE_BUYER | ROLE_SELLER, 1, 1, 1},
    {"order.status_changed", "main", "Order status changed", ROLE_BUYER | ROLE_SELLER, 0, 1, 0},
    {"platform.broadcast", "main", "Platform news", ALL_ROLES, 1, 0, 0},
};

const char *const notify_tabs[] = {"main",     "promotion", "training",        "services",
                                   "disputes", "buyers",    "customer_service"};
const size_t notify_ntabs = sizeof notify_tabs / sizeof notify_tabs[0];

size_t notify_event_count(void)
{
    return sizeof events / sizeof events[0];
}

const struct notify_event *notify_event_at(size_t i)
{
    return i < notify_event_count() ? &events[i] : NULL;
}

const struct notify_event *notify_event_find(const char *type)
{
    for (size_t i = 0; i < notify_event_count(); i++)
        if (strcmp(events[i].type, type) == 0)
            return &events[i];
    return NULL;
}

int notify_event_for_role(const struct notify_event *e, auth_role role)
{
    return (e->roles & (unsigned)role) != 0;
}

const char *notify_channel_name(enum notify_channel c)
{
    return c == NOTIFY_PUSH ? "push" : "email";
}

int notify_channel_parse(const char *name)
{
    if (strcmp(name, "push") == 0)
        return NOTIFY_PUSH;
    if (strcmp(name, "email") == 0)
        return NOTIFY_EMAIL;
    return -1;
}

int notify_tab_valid(const char *tab)
{
    for (size_t i = 0; i < notify_ntabs; i++)
        if (strcmp(notify_tabs[i], tab) == 0)
            return 1;
    return 0;
}

static int configured[NOTIFY__CHANNELS];

void notify_configure(int push, int email)
{
    configured[NOTIFY_PUSH] = push;
    configured[NOTIFY_EMAIL] = email;
}

int notify_channel_configured(enum notify_channel c)
{
    return c < NOTIFY__CHANNELS && configured[c];
}
