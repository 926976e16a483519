#include "cursor.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#define CURSOR_MAC_BYTES 16

static unsigned char cursor_key[crypto_generichash_KEYBYTES];

void cursor_set_key(const char *secret)
{
    /* derive, so the cursor key differs from the token key even when the secret is shared */
    crypto_generichash(cursor_key, sizeof cursor_key, (const unsigned char *)secret, strlen(secret),
                       (const unsigned char *)"sellerdesk-cursor-v1", 20);
}

static void cursor_mac(const char *scope, const unsigned char *payload, size_t len,
                       unsigned char mac[CURSOR_MAC_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, cursor_key, sizeof cursor_key, CURSOR_MAC_BYTES);
    crypto_generichash_update(&st, (const unsigned char *)scope, strlen(scope) + 1);
    crypto_generichash_update(&st, payload, len);
    crypto_generichash_final(&st, mac, CURSOR_MAC_BYTES);
}

void cursor_encode(const char *scope, int64_t last_id, char out[CURSOR_MAX_LEN])
{
    unsigned char buf[8 + CURSOR_MAC_BYTES];
    uint64_t v = (uint64_t)last_id;
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(v >> (56 - 8 * i));
    cursor_mac(scope, buf, 8, buf + 8);
    sodium_bin2base64(out, CURSOR_MAX_LEN, buf, sizeof buf,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int cursor_decode(const char *scope, const char *cursor, int64_t *last_id)
{
    unsigned char buf[8 + CURSOR_MAC_BYTES], mac[CURSOR_MAC_BYTES];
    size_t len = 0;
    const char *end = NULL;
    uint64_t v = 0;
    if (!cursor || strlen(cursor) >= CURSOR_MAX_LEN)
        return -1;
    if (sodium_base642bin(buf, sizeof buf, cursor, strlen(cursor), NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != sizeof buf || *end != '\0')
        return -1;
    cursor_mac(scope, buf, 8, mac);
    if (sodium_memcmp(mac, buf + 8, CURSOR_MAC_BYTES) != 0)
        return -1;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | buf[i];
    if ((int64_t)v <= 0)
        return -1;
    *last_id = (int64_t)v;
    return 0;
}
