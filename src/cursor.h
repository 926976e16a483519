#ifndef SD_CURSOR_H
#define SD_CURSOR_H

#include <stddef.h>
#include <stdint.h>

/* Opaque keyset cursors: base64url(scope-bound payload + MAC). A cursor minted for one list
 * (scope) or altered in any byte does not decode. */
#define CURSOR_MAX_LEN 128

void cursor_set_key(const char *secret);
/* Encodes the last seen key (id) of a list named scope. */
void cursor_encode(const char *scope, int64_t last_id, char out[CURSOR_MAX_LEN]);
/* 0 on success; -1 for anything forged, truncated or from another list. */
int cursor_decode(const char *scope, const char *cursor, int64_t *last_id);
/* For a list in another order than its ids: the last row's sort key beside its id, both
 * carried by the cursor, so the next page starts where this one ended even when that row has
 * moved since. */
void cursor_encode_key(const char *scope, int64_t key, int64_t last_id, char out[CURSOR_MAX_LEN]);
int cursor_decode_key(const char *scope, const char *cursor, int64_t *key, int64_t *last_id);

#endif
