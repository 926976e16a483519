#ifndef SD_API_MODERATION_H
#define SD_API_MODERATION_H

#include <jansson.h>

#include "http.h"

/* Every text a person writes passes here before anything is stored. Runs the content-safety
 * engine over the named string fields of body; on a hard violation records the refusal
 * (who, which rules, which endpoint; not the text), answers 422 content_violation with
 * violations [{field, rule, fragment}] and returns -1. 0 when all fields may be stored. */
int moderation_guard(struct http_ctx *ctx, const json_t *body, const char *const *fields);
/* Same; when the text may be stored, *soft gets the soft signals found ([{field, rule,
 * fragment}], caller decrefs) for the moderators. On a refusal *soft is released. */
int moderation_guard_flags(struct http_ctx *ctx, const json_t *body, const char *const *fields,
                           json_t **soft);

/* What the submission of every moderated text shares (questions, answers, reviews, review
 * comments, complaints): the content guard over its fields (a hard violation answers 422 and
 * nothing is stored), the soft signals kept as flags for the moderators, the due date
 * (SELLERDESK_MODERATION_DAYS business days), and whether the kind's policy publishes it at
 * once (auto and clean). The store inserts the item pending and, with publish, approves it
 * through the same decision as a moderator's. */
struct moderated {
    char due_at[32];
    char *flags; /* JSON array text */
    int publish;
};
/* 0, or -1 when the request is answered. policy is a moderation_policy. */
int moderated_prepare(struct http_ctx *ctx, const json_t *body, const char *const *fields,
                      int policy, struct moderated *m);
void moderated_free(struct moderated *m);

#endif
