#include "api_key.h"

#include <string.h>

static const char *const scope_names[APIKEY_SCOPE__COUNT] = {
    "chats:read",      "chats:write",     "reviews:read",     "reviews:write", "questions:read",
    "questions:write", "promotions:read", "promotions:write", "disputes:read", "disputes:write",
    "events:read",     "webhooks:read",   "webhooks:write",
};

/* The hash's key separates these hashes from any other BLAKE2b of the same bytes; it is no
 * secret (the secret's 256 random bits are what nobody can guess), so it may be a constant
 * and a key survives any change of the server's configuration. */
static const unsigned char hash_key[crypto_generichash_KEYBYTES] = "sellerdesk api key secret v1";

const char *apikey_scope_name(int scope)
{
    return scope >= 0 && scope < APIKEY_SCOPE__COUNT ? scope_names[scope] : "";
}

int apikey_scope_parse(const char *name)
{
    for (int i = 0; name && i < APIKEY_SCOPE__COUNT; i++)
        if (strcmp(name, scope_names[i]) == 0)
            return i;
    return -1;
}

const char *apikey_scope_list(void)
{
    return "chats:read, chats:write, reviews:read, reviews:write, questions:read, "
           "questions:write, promotions:read, promotions:write, disputes:read, disputes:write, "
           "events:read, webhooks:read, webhooks:write";
}

void apikey_secret_new(char out[APIKEY_SECRET_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(out, "sdk_", 4);
    sodium_bin2base64(out + 4, APIKEY_SECRET_LEN - 4 + 1, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

int apikey_secret_wellformed(const char *s)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_";
    return s && strlen(s) == APIKEY_SECRET_LEN && strncmp(s, "sdk_", 4) == 0 &&
           strspn(s + 4, alphabet) == APIKEY_SECRET_LEN - 4;
}

void apikey_secret_hash(const char *secret, char out[APIKEY_HASH_HEX])
{
    unsigned char h[APIKEY_HASH_BYTES];
    crypto_generichash(h, sizeof h, (const unsigned char *)secret, strlen(secret), hash_key,
                       sizeof hash_key);
    sodium_bin2hex(out, APIKEY_HASH_HEX, h, sizeof h);
}
