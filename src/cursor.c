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

/* n big-endian 64-bit values and their MAC, base64url */
static void cursor_encode_n(const char *scope, const int64_t *v, int n, char out[CURSOR_MAX_LEN])
{
    unsigned char buf[16 + CURSOR_MAC_BYTES];
    for (int k = 0; k < n; k++)
        for (int i = 0; i < 8; i++)
            buf[8 * k + i] = (unsigned char)((uint64_t)v[k] >> (56 - 8 * i));
    cursor_mac(scope, buf, (size_t)(8 * n), buf + 8 * n);
    sodium_bin2base64(out, CURSOR_MAX_LEN, buf, (size_t)(8 * n) + CURSOR_MAC_BYTES,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static int cursor_decode_n(const char *scope, const char *cursor, int64_t *v, int n)
{
    unsigned char buf[16 + CURSOR_MAC_BYTES], mac[CURSOR_MAC_BYTES];
    size_t len = 0, want = (size_t)(8 * n) + CURSOR_MAC_BYTES;
    const char *end = NULL;
    if (!cursor || strlen(cursor) >= CURSOR_MAX_LEN)
        return -1;
    if (sodium_base642bin(buf, sizeof buf, cursor, strlen(cursor), NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != want || *end != '\0')
        return -1;
    cursor_mac(scope, buf, (size_t)(8 * n), mac);
    if (sodium_memcmp(mac, buf + 8 * n, CURSOR_MAC_BYTES) != 0)
        return -1;
    for (int k = 0; k < n; k++) {
        uint64_t x = 0;
        for (int i = 0; i < 8; i++)
            x = (x << 8) | buf[8 * k + i];
        v[k] = (int64_t)x;
    }
    return 0;
}

void cursor_encode(const char *scope, int64_t last_id, char out[CURSOR_MAX_LEN])
{
    cursor_encode_n(scope, &last_id, 1, out);
}

int cursor_decode(const char *scope, const char *cursor, int64_t *last_id)
{
    int64_t v;
    if (cursor_decode_n(scope, cursor, &v, 1) != 0 || v <= 0)
        return -1;
    *last_id = v;
    return 0;
}

void cursor_encode_key(const char *scope, int64_t key, int64_t last_id, char out[CURSOR_MAX_LEN])
{
    const int64_t v[2] = {key, last_id};
    cursor_encode_n(scope, v, 2, out);
}

int cursor_decode_key(const char *scope, const char *cursor, int64_t *key, int64_t *last_id)
{
    int64_t v[2];
    if (cursor_decode_n(scope, cursor, v, 2) != 0 || v[1] <= 0)
        return -1;
    *key = v[0];
    *last_id = v[1];
    return 0;
}
