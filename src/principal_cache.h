#ifndef SD_PRINCIPAL_CACHE_H
#define SD_PRINCIPAL_CACHE_H

/* The accounts requests authenticate as, kept in the process so a read costs one round trip
 * (its own statement) instead of two (the account, then the statement). An entry lives at
 * most ttl_ms; any change of the account in the database (a trigger NOTIFYs
 * sellerdesk_user_changed) removes it in every process as soon as the listener thread reads
 * the notice, and while the listener is not connected the cache is off (every request reads
 * the account), so a deleted or re-roled account loses access within the listener's poll
 * interval (PRINCIPAL_POLL_MS) in every process; a connection that falls silent is found by a
 * heartbeat within about 2 s, and the cache is off from then until the listener is back. */
#include <stdint.h>

#include <jansson.h>

#include "auth.h"

#define PRINCIPAL_POLL_MS 100

/* ttl_ms 0: no cache at all. Starts the listener on its own connection. */
int principal_cache_start(const char *database_url, int ttl_ms, int connect_timeout_s);
void principal_cache_stop(void);
/* 1 and the account (a new reference to a shared, read-only object) when cached and fresh;
 * on a miss the thread remembers the moment, and principal_cache_put of the account it then
 * read keeps it only if no notice about it came in between. */
int principal_cache_get(int64_t user_id, auth_role *role, json_t **user);
void principal_cache_put(int64_t user_id, auth_role role, json_t *user);
/* Counts a request's lookup for the metrics: a hit, or a miss (its account read from the
 * database); nothing while the cache is off. The caller counts once a request
 * (api/principal.c). */
void principal_cache_count(int hit);
void principal_cache_forget(int64_t user_id);
/* user (an account principal_cache_get or the database gave) as compact JSON, malloc'd, *len its
 * length; NULL when out of memory. While the cache holds this very object its text is made once
 * and copied after: json_dumps was 13,000 of GET /v1/me's 26,000 instructions
 * (bench/README.md, "The request path, thirteenth step"). */
char *principal_cache_text(int64_t user_id, const json_t *user, size_t *len);
/* 1 while the listener is connected: caches that live on its notices (api_key_cache.c) are
 * off otherwise. */
int principal_cache_listening(void);
/* counters for /metrics: hits, misses, invalidations, whether it is on */
void principal_cache_stats(uint64_t *hits, uint64_t *misses, uint64_t *forgotten, int *on);

#endif
