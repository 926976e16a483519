#include "front_head.h"

#include <string.h>
#include <strings.h>

#include "uri.h"

/* Fields whose request is libmicrohttpd's: a body (its framing and limits are checked there),
 * 100-continue, a protocol switch. */
static int front_field_other(const char *name, size_t len)
{
    return (len == 14 && strcasecmp(name, "Content-Length") == 0) ||
           (len == 17 && strcasecmp(name, "Transfer-Encoding") == 0) ||
           (len == 6 && strcasecmp(name, "Expect") == 0) ||
           (len == 7 && strcasecmp(name, "Upgrade") == 0);
}

/* Whether a Connection field's list names "close". */
static int front_says_close(const char *v)
{
    while (*v) {
        size_t n = strcspn(v, ", \t");
        if (n == 5 && strncasecmp(v, "close", 5) == 0)
            return 1;
        v += n;
        v += strspn(v, ", \t");
    }
    return 0;
}

/* One header line at *p (ending in CR LF, at head_end at the latest: the head's CR LF CR LF):
 * recorded in h->f with its name and value NUL-terminated in place, the value without
 * surrounding blanks. -1 when it is anything but a plain "token: value" line. */
static int front_field(struct front_head *h, char **p, char *head_end, size_t *bytes)
{
    char *name = *p, *c = name;
    while (head_is_tchar((unsigned char)*c))
        c++;
    if (c == name || *c != ':' || h->nf == HEAD_MAX_FIELDS)
        return -1;
    size_t name_len = (size_t)(c - name);
    *c++ = '\0';
    while (*c == ' ' || *c == '\t')
        c++;
    char *value = c;
    c = memchr(c, '\r', (size_t)(head_end + 2 - c)); /* (there is one: the head's end) */
    if (!head_bytes_plain(value, (size_t)(c - value)) || c[1] != '\n')
        return -1; /* a control byte, a bare CR: the existing checks judge it */
    char *end = c;
    while (end > value && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *end = '\0';
    if (front_field_other(name, name_len))
        return -1;
    if (name_len == 10 && strcasecmp(name, "Connection") == 0 && front_says_close(value))
        h->close_req = 1;
    h->f[h->nf++] = (struct head_field){name, value, name_len, (size_t)(end - value)};
    *bytes += name_len + (size_t)(end - value) + 4; /* (as dispatch.c counts libmicrohttpd's) */
    *p = c + 2;
    return 0;
}

/* Where CR LF CR LF is among the n bytes at b, looking from from on: a memchr for each line's
 * LF, where memmem's general search cost 1,500 instructions a request (bench/README.md,
 * twelfth step). NULL when it is not there, with *bare set when a line ends in a LF alone:
 * such a head is libmicrohttpd's to judge, at once rather than when the head deadline ends. */
static char *front_head_end(char *b, size_t from, size_t n, int *bare)
{
    for (char *p = b + from; (p = memchr(p, '\n', n - (size_t)(p - b))); p++) {
        if (p == b || p[-1] != '\r') {
            *bare = 1;
            return NULL;
        }
        if (p - b >= 3 && p[-2] == '\n' && p[-3] == '\r')
            return p - 3;
    }
    return NULL;
}

enum front_kind front_head_parse(struct front_head *h, char *b, size_t n, size_t max, char **target,
                                 size_t *len, size_t *bytes)
{
    if (memcmp(b, "GET ", n < 4 ? n : 4) != 0)
        return FRONT_OTHER;
    /* (a head arriving a byte at a time is searched once, not once per byte) */
    size_t from = h->scanned > 3 && h->scanned <= n ? h->scanned - 3 : 0;
    int bare = 0;
    char *end = front_head_end(b, from, n, &bare);
    h->scanned = end ? 0 : n;
    if (!end)
        return bare || n >= max ? FRONT_OTHER : FRONT_PARTIAL;
    char *p = b + 4, *t = p;
    while (p<end && * p> 0x20 && *p < 0x7f)
        p++;
    if (p == t || p - t > URI_MAX_BYTES || p + 11 > end + 2 || memcmp(p, " HTTP/1.1\r\n", 11) != 0)
        return FRONT_OTHER;
    *p = '\0';
    p += 11;
    h->nf = 0;
    h->close_req = 0;
    *bytes = 0;
    while (p < end + 2)
        if (front_field(h, &p, end, bytes) != 0)
            return FRONT_OTHER;
    *target = t;
    *len = (size_t)(end - b) + 4;
    return FRONT_PLAIN;
}

const char *front_head_field(const struct front_head *h, const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < h->nf; i++)
        if (h->f[i].name_len == len && strncasecmp(h->f[i].name, name, len) == 0)
            return h->f[i].value;
    return NULL;
}
