#ifndef SD_HEAD_H
#define SD_HEAD_H

#include <stddef.h>
#include <stdint.h>

#include "../src/err.h"

/* Limits of a request head (RFC 9112 leaves them to the server; 431 above them). */
#define HEAD_MAX_FIELDS 100
#define HEAD_MAX_BYTES  16384

/* tchar (RFC 9110 section 5.6.2) as two 64-bit masks of the ASCII codes: a bit test per byte of
 * every field name, where a strchr per byte showed in the profile (bench/README.md) */
#define HEAD_BIT(c)         ((uint64_t)1 << ((c)&63))
#define HEAD_BITS(from, to) ((~(uint64_t)0 >> (63 - ((to)&63))) & (~(uint64_t)0 << ((from)&63)))
static inline int head_is_tchar(unsigned char c)
{
    const uint64_t lo = /* codes 0-63 */
        HEAD_BITS('0', '9') | HEAD_BIT('!') | HEAD_BIT('#') | HEAD_BIT('$') | HEAD_BIT('%') |
        HEAD_BIT('&') | HEAD_BIT('\'') | HEAD_BIT('*') | HEAD_BIT('+') | HEAD_BIT('-') |
        HEAD_BIT('.');
    const uint64_t hi = /* codes 64-127 */
        HEAD_BITS('A', 'Z') | HEAD_BITS('a', 'z') | HEAD_BIT('^') | HEAD_BIT('_') | HEAD_BIT('`') |
        HEAD_BIT('|') | HEAD_BIT('~');
    return c < 64 ? (int)((lo >> c) & 1) : c < 128 ? (int)((hi >> (c - 64)) & 1) : 0;
}

struct head_field {
    const char *name, *value;
    size_t name_len, value_len;
};

/* What the head says about the request, or why it must be refused. */
struct head_verdict {
    sd_err err;             /* SD_OK: acceptable; otherwise what to answer, then close */
    const char *code;       /* the problem's code */
    const char *detail;     /* one sentence */
    int64_t content_length; /* -1: none */
};

/* Checks the framing and syntax of a request head (RFC 9112 sections 2-6): every field
 * name a token, no control characters in values, bounded count and size, exactly one Host
 * on HTTP/1.1, and an unambiguous body length. A body length that is not exactly one
 * Content-Length is refused: Transfer-Encoding with Content-Length, several Content-Length
 * fields, unknown or repeated codings answer 400; chunked alone answers 411, as the API takes
 * bodies of a declared length only. */
#define HEAD_HTTP11 1 /* HTTP/1.1: exactly one Host */
/* every name is already known to be a token and every value plain (head_bytes_plain): the
 * front's parser hands over any other head (api/front_head.c), and a second pass over each
 * byte was 800 instructions a request */
#define HEAD_BYTES_CHECKED 2
void head_check(const struct head_field *f, int n, int flags, struct head_verdict *v);
/* libmicrohttpd 0.9.75 parses a head in place in its read buffer: it ends each line with NUL
 * bytes where CR LF were and the name with one where the colon was, and keeps pointers to
 * names and values in arrival order. It also cuts a name or value at a raw NUL byte, appends a
 * folded continuation line to the field's name (moving it), skips a line with an empty name,
 * and takes a line of ":" or of NUL bytes for the end of the head: each would make the server
 * read another request than the bytes say. All of them leave bytes between the records, or
 * between the last record and the end of the head, that are not exactly the CR LF line ends.
 * f holds every field in order; the head runs from method for head_size bytes (libmicrohttpd's
 * count, through the empty line); version is the request line's protocol, whose end starts
 * the first gap. 0 when the layout is intact; -1 otherwise (answer 400, close). */
int head_layout_intact(const char *method, size_t head_size, const char *version,
                       const struct head_field *f, int n);
/* field-value (RFC 9110 5.5): the n bytes at s are visible characters, obs-text, spaces and
 * tabs; never NUL, CR, LF or another control byte. */
int head_bytes_plain(const char *s, size_t n);
/* The whole head: nfields fields of bytes in all, of which the first n are in f. */
void head_check_size(int nfields, size_t bytes, struct head_verdict *v);

#endif
