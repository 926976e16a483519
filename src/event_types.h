#ifndef SD_EVENT_TYPES_H
#define SD_EVENT_TYPES_H

#include <stddef.h>

/* The registry of event log types (migrations/0015_events.sql): one row per type saying who
 * receives it and what its data holds, so the feed's filter, the contract and the writers
 * agree on one list. Every event's data also carries type, account and occurred_at. */
struct event_type {
    const char *type;         /* "message.created" */
    const char *notification; /* the notification it mirrors for each of its recipients, or
                               * NULL: its cause appends it itself */
    const char *recipients;   /* who receives it (for people: the contract says the same) */
    const char *payload;      /* the members of data besides type, account and occurred_at */
};

size_t event_type_count(void);
const struct event_type *event_type_at(size_t i);
/* The type of that name, or NULL. */
const struct event_type *event_type_find(const char *type);
/* The type that mirrors notification event, or NULL when none does (a notification whose
 * news another event carries already, e.g. chat.message_new by message.created). */
const struct event_type *event_type_of_notification(const char *notification);

#endif
