#ifndef SD_API_KEY_CACHE_H
#define SD_API_KEY_CACHE_H

/* API keys the process has verified, so that a request with a key costs no lookup of it. An
 * entry is keyed by the secret's hash (compared in full) and lives at most
 * SELLERDESK_PRINCIPAL_CACHE_MS. A revocation or any other change of a key in the database
 * (a trigger NOTIFYs sellerdesk_api_key_changed) empties the cache in every process as soon
 * as the account cache's listener (principal_cache.c) reads the notice; while that listener is
 * not connected the cache is off and every request reads its key. So a revoked key is refused
 * within the listener's poll interval in every process. Revocations are rare: emptying the
 * whole table on one keeps the race of a read against a notice simple (see principal_cache.c).
 * Only keys found and not revoked are kept; expiry is judged at every use. Thread-safe. */
#include <stdint.h>

#include "api_key_store.h"

/* 1 and the key when cached and fresh; *touch set when its last_used_at is due again (once a
 * minute per process). On a miss the thread remembers the moment, and api_key_cache_put of
 * what it then read keeps it only if no notice came in between. */
int api_key_cache_get(const char *hash_hex, struct api_key_record *out, int *touch);
void api_key_cache_put(const char *hash_hex, const struct api_key_record *rec);
/* Forgets every key (a notice came, or the listener lost its connection). */
void api_key_cache_forget_all(void);
void api_key_cache_init(int ttl_ms);

#endif
