#define _GNU_SOURCE /* memmem */
#include "front_head.h"

#include <string.h>
#include <strings.h>

#include "uri.h"

/* tchar of RFC 9110 5.6.2. */
static int front_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

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

/* One header line at *p (ending in CR LF before the head's end): recorded in h->f with its
 * name and value NUL-terminated in place, the value without surrounding blanks. -1 when it is
 * anything but a plain "token: value" line. */
static int front_field(struct front_head *h, char **p, size_t *bytes)
{
    char *name = *p, *c = name;
    while (front_tchar((unsigned char)*c))
        c++;
    if (c == name || *c != ':' || h->nf == HEAD_MAX_FIELDS)
        return -1;
    size_t name_len = (size_t)(c - name);
    *c++ = '\0';
    while (*c == ' ' || *c == '\t')
        c++;
    char *value = c;
    for (; *c != '\r'; c++) {
        unsigned char b = (unsigned char)*c;
        if ((b < 0x20 && b != '\t') || b == 0x7f)
            return -1; /* a control byte, a bare LF: the existing checks judge it */
    }
    if (c[1] != '\n')
        return -1;
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

enum front_kind front_head_parse(struct front_head *h, char *b, size_t n, size_t max, char **target,
                                 size_t *len, size_t *bytes)
{
    if (memcmp(b, "GET ", n < 4 ? n : 4) != 0)
        return FRONT_OTHER;
    /* (a head arriving a byte at a time is searched once, not once per byte) */
    size_t from = h->scanned > 3 && h->scanned <= n ? h->scanned - 3 : 0;
    char *end = memmem(b + from, n - from, "\r\n\r\n", 4);
    h->scanned = end ? 0 : n;
    if (!end)
        return n >= max ? FRONT_OTHER : FRONT_PARTIAL;
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
        if (front_field(h, &p, bytes) != 0)
            return FRONT_OTHER;
    *target = t;
    *len = (size_t)(end - b) + 4;
    return FRONT_PLAIN;
}

const char *front_head_field(const struct front_head *h, const char *name)
{
    for (int i = 0; i < h->nf; i++)
        if (strcasecmp(h->f[i].name, name) == 0)
            return h->f[i].value;
    return NULL;
}
