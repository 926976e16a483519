#ifndef SD_API_KEY_H
#define SD_API_KEY_H

/* API keys of integrators: the secret's form, its hash, and the scopes a key may hold. No
 * database, no HTTP: api_key_store.c keeps keys, api/api_key_auth.c checks requests. */
#include <stddef.h>

#include <sodium.h>

/* "sdk_" and 32 random bytes in unpadded base64url */
#define APIKEY_SECRET_LEN (4 + 43)
#define APIKEY_PREFIX_LEN 12 /* "sdk_" and 8 characters, shown in lists */
#define APIKEY_HASH_BYTES crypto_generichash_BYTES
#define APIKEY_HASH_HEX   (2 * APIKEY_HASH_BYTES + 1)

/* The scopes, in the order of their bits. */
enum apikey_scope {
    APIKEY_CHATS_READ,
    APIKEY_CHATS_WRITE,
    APIKEY_REVIEWS_READ,
    APIKEY_REVIEWS_WRITE,
    APIKEY_QUESTIONS_READ,
    APIKEY_QUESTIONS_WRITE,
    APIKEY_PROMOTIONS_READ,
    APIKEY_PROMOTIONS_WRITE,
    APIKEY_DISPUTES_READ,
    APIKEY_DISPUTES_WRITE,
    APIKEY_EVENTS_READ,
    APIKEY_WEBHOOKS_READ,
    APIKEY_WEBHOOKS_WRITE,
    APIKEY_SCOPE__COUNT
};

const char *apikey_scope_name(int scope);
/* The scope's index, -1 when the name is none of them. */
int apikey_scope_parse(const char *name);
/* All scope names, comma-separated, for messages. */
const char *apikey_scope_list(void);

/* A fresh secret (NUL-terminated) from randombytes. */
void apikey_secret_new(char out[APIKEY_SECRET_LEN + 1]);
/* 1 when s has the form of a secret (any other text is refused before any lookup). */
int apikey_secret_wellformed(const char *s);
/* The secret's keyed hash, in hex: what the database keeps and what a key is found by. */
void apikey_secret_hash(const char *secret, char out[APIKEY_HASH_HEX]);

#endif
