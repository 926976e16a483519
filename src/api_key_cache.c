#include "api_key_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "principal_cache.h"

/* Direct-mapped by the hash (uniform: nobody can aim keys at one slot without the secrets);
 * a collision evicts. */
#define SLOTS   1024
#define STRIPES 32

struct slot {
    char hash[APIKEY_HASH_HEX]; /* "": empty */
    struct api_key_record rec;
    int64_t expires_ms, touched_ms;
};

static struct {
    struct slot slots[SLOTS];
    pthread_mutex_t locks[STRIPES];
    atomic_uint_fast64_t epoch; /* bumped when everything is forgotten */
    int ttl_ms;
} kc = {.locks = {[0 ... STRIPES - 1] = PTHREAD_MUTEX_INITIALIZER}};

#define TOUCH_EVERY_MS 60000

static _Thread_local uint64_t miss_epoch;

static struct slot *slot_of(const char *hash, pthread_mutex_t **lock)
{
    size_t i = 0;
    for (int k = 0; k < 8; k++) /* the first 4 bytes of the hash, from its hex */
        i = i * 16 + (size_t)(hash[k] <= '9' ? hash[k] - '0' : hash[k] - 'a' + 10);
    i %= SLOTS;
    *lock = &kc.locks[i % STRIPES];
    return &kc.slots[i];
}

void api_key_cache_init(int ttl_ms)
{
    kc.ttl_ms = ttl_ms;
}

int api_key_cache_get(const char *hash_hex, struct api_key_record *out, int *touch)
{
    pthread_mutex_t *lock;
    struct slot *s = slot_of(hash_hex, &lock);
    int hit = 0;
    *touch = 1;
    miss_epoch = atomic_load(&kc.epoch);
    if (!kc.ttl_ms || !principal_cache_listening())
        return 0;
    pthread_mutex_lock(lock);
    int64_t now = clock_coarse_ms();
    if (s->hash[0] && strcmp(s->hash, hash_hex) == 0 && s->expires_ms > now) {
        *out = s->rec;
        hit = 1;
        *touch = now - s->touched_ms >= TOUCH_EVERY_MS;
        if (*touch)
            s->touched_ms = now;
    }
    pthread_mutex_unlock(lock);
    return hit;
}

void api_key_cache_put(const char *hash_hex, const struct api_key_record *rec)
{
    pthread_mutex_t *lock;
    struct slot *s = slot_of(hash_hex, &lock);
    if (!kc.ttl_ms || !principal_cache_listening() || rec->revoked)
        return;
    pthread_mutex_lock(lock);
    /* a notice came while the key was read: what was read may be the old row */
    if (atomic_load(&kc.epoch) == miss_epoch) {
        memcpy(s->hash, hash_hex, APIKEY_HASH_HEX);
        s->rec = *rec;
        s->expires_ms = clock_coarse_ms() + kc.ttl_ms;
        s->touched_ms = clock_coarse_ms();
    }
    pthread_mutex_unlock(lock);
}

void api_key_cache_forget_all(void)
{
    atomic_fetch_add(&kc.epoch, 1);
    for (int k = 0; k < STRIPES; k++) {
        pthread_mutex_lock(&kc.locks[k]);
        for (size_t i = (size_t)k; i < SLOTS; i += STRIPES)
            kc.slots[i].hash[0] = '\0';
        pthread_mutex_unlock(&kc.locks[k]);
    }
}
