#ifndef SD_API_KEY_STORE_H
#define SD_API_KEY_STORE_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "api_key.h"
#include "db.h"

/* API keys of sellers. Every call but the lookup by hash is scoped to the seller: another
 * seller's key is SD_ERR_NOT_FOUND. The secret itself is never stored or answered here. */

/* scopes: a text[] literal of valid, distinct scope names; expires_at RFC 3339 or NULL.
 * *out is the key as lists show it. */
sd_err api_key_store_create(struct db_conn *conn, int64_t seller_id, const char *name,
                            const char *scopes, const char *expires_at, const char *prefix,
                            const char *hash_hex, json_t **out);
/* Newest first, ids below after_id (0 = from the top). */
sd_err api_key_store_list(struct db_conn *conn, int64_t seller_id, int64_t after_id, int limit,
                          char **items, int *has_more, int64_t *last_id);
/* Sets revoked_at (once: revoking a revoked key changes nothing and is SD_OK). */
sd_err api_key_store_revoke(struct db_conn *conn, int64_t id, int64_t seller_id);

/* What authentication needs of a key. */
struct api_key_record {
    int64_t id, seller_id;
    unsigned scopes;   /* bit i: scope i (api_key.h) */
    time_t expires_at; /* 0: never */
    int revoked;
};
/* The key whose secret has this hash, revoked or not; SD_ERR_NOT_FOUND when none. */
sd_err api_key_store_find(struct db_conn *conn, const char *hash_hex, struct api_key_record *out);
/* last_used_at = now(), unless it was set within the last minute (a write per request would
 * cost more than the request). */
sd_err api_key_store_touch(struct db_conn *conn, int64_t id);

#endif
