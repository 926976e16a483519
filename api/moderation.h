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

#endif
