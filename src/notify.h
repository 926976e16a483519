#ifndef SD_NOTIFY_H
#define SD_NOTIFY_H

#include <stddef.h>

#include "auth.h"

/* The registry of notification events: each has a tab, the roles it applies to, whether a
 * person may switch it off, and the default of each optional channel. In-app is always on. */
struct notify_event {
    const char *type;  /* "question.new" */
    const char *tab;   /* main, promotion, training, services, disputes, buyers, customer_service */
    const char *label; /* what the settings screen shows */
    unsigned roles;    /* auth_role bits */
    int mandatory;     /* contractual platform notices cannot be switched off */
    int default_push, default_email;
};

enum notify_channel { NOTIFY_PUSH = 0, NOTIFY_EMAIL = 1, NOTIFY__CHANNELS };

extern const char *const notify_tabs[];
extern const size_t notify_ntabs;

size_t notify_event_count(void);
const struct notify_event *notify_event_at(size_t i);
/* The event of that type, or NULL. */
const struct notify_event *notify_event_find(const char *type);
int notify_event_for_role(const struct notify_event *e, auth_role role);
const char *notify_channel_name(enum notify_channel c);
/* "push" -> NOTIFY_PUSH; -1 for anything else ("in_app" cannot be changed). */
int notify_channel_parse(const char *name);
int notify_tab_valid(const char *tab);
/* Set once at start by serve: which channels have a gateway. Unconfigured channels are
 * recorded as skipped, never silently dropped. */
void notify_configure(int push, int email);
int notify_channel_configured(enum notify_channel c);

#endif
