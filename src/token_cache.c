#include "token_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define TOKEN_CACHE_LOCKS 64
/* longer ones are refused by the full check as malformed: not worth a slot */
#define TOKEN_CACHE_MAX_LEN 4096

struct token_entry {
    char *token; /* NULL: empty */
    size_t len;
    struct auth_claims claims;
};

static struct token_entry slots[TOKEN_CACHE_SLOTS];
/* slot i is guarded by locks[i % TOKEN_CACHE_LOCKS] */
static pthread_rwlock_t locks[TOKEN_CACHE_LOCKS];
static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static atomic_uint_fast64_t hits, misses;

static void token_cache_init(void)
{
    for (int i = 0; i < TOKEN_CACHE_LOCKS; i++)
        pthread_rwlock_init(&locks[i], NULL);
    crypto_shorthash_keygen(hash_key);
}

static size_t token_slot(const char *token, size_t len)
{
    unsigned char h[crypto_shorthash_BYTES];
    uint64_t v;
    crypto_shorthash(h, (const unsigned char *)token, len, hash_key);
    memcpy(&v, h, sizeof v);
    return (size_t)(v % TOKEN_CACHE_SLOTS);
}

auth_token_status token_cache_verify(const struct sd_config *cfg, const char *token, time_t now,
                                     struct auth_claims *out, int count)
{
    size_t len = token ? strlen(token) : 0, i;
    int found = 0;
    if (!token || len == 0 || len > TOKEN_CACHE_MAX_LEN)
        return auth_jwt_verify(cfg, token, now, out);
    pthread_once(&init_once, token_cache_init);
    i = token_slot(token, len);
    pthread_rwlock_rdlock(&locks[i % TOKEN_CACHE_LOCKS]);
    if (slots[i].token && slots[i].len == len && memcmp(slots[i].token, token, len) == 0) {
        *out = slots[i].claims;
        found = 1;
    }
    pthread_rwlock_unlock(&locks[i % TOKEN_CACHE_LOCKS]);
    if (found) {
        if (count)
            atomic_fetch_add(&hits, 1);
        return auth_claims_timely(out, now);
    }
    if (count)
        atomic_fetch_add(&misses, 1);
    auth_token_status st = auth_jwt_verify(cfg, token, now, out);
    char *copy;
    if (st != AUTH_TOKEN_OK || !(copy = malloc(len)))
        return st;
    memcpy(copy, token, len);
    pthread_rwlock_wrlock(&locks[i % TOKEN_CACHE_LOCKS]);
    free(slots[i].token);
    slots[i].token = copy;
    slots[i].len = len;
    slots[i].claims = *out;
    pthread_rwlock_unlock(&locks[i % TOKEN_CACHE_LOCKS]);
    return st;
}

void token_cache_clear(void)
{
    pthread_once(&init_once, token_cache_init);
    for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++) {
        pthread_rwlock_wrlock(&locks[i % TOKEN_CACHE_LOCKS]);
        free(slots[i].token);
        slots[i].token = NULL;
        pthread_rwlock_unlock(&locks[i % TOKEN_CACHE_LOCKS]);
    }
}

void token_cache_stats(uint64_t *h, uint64_t *m)
{
    *h = atomic_load(&hits);
    *m = atomic_load(&misses);
}
