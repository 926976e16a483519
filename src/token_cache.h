#ifndef SD_TOKEN_CACHE_H
#define SD_TOKEN_CACHE_H

#include <stdint.h>
#include <time.h>

#include "auth.h"
#include "config.h"

/* Access tokens the process has verified, so a client sending the same token again (every
 * request of a session) is not made to pay the signature check and the JSON parse of the
 * token again. An entry is keyed by the token's exact bytes (compared in full, never by hash
 * alone) and keeps the claims the full check found, under the configuration the process has
 * for its whole life; what depends on the time (exp, nbf, iat with the leeway) is judged again
 * at every use, so an expired token is refused exactly as the full check would. Only tokens
 * that passed are kept: a forged one is checked in full every time. A fixed table of
 * TOKEN_CACHE_SLOTS entries (direct-mapped by a keyed hash, so no client can aim its tokens at
 * one slot): a new token evicts the one in its slot. Thread-safe. */
#define TOKEN_CACHE_SLOTS 1024

/* auth_jwt_verify, remembered: the same answers for the same (token, now). count: 1 to count
 * the lookup in the figures (a request's first; its run again is not counted). */
auth_token_status token_cache_verify(const struct sd_config *cfg, const char *token, time_t now,
                                     struct auth_claims *out, int count);
/* Frees every entry (at shutdown, so a leak check sees nothing). */
void token_cache_clear(void);
/* hits and misses since start, for /metrics */
void token_cache_stats(uint64_t *hits, uint64_t *misses);

#endif
