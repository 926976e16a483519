#include "uri.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../src/utf8.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes src[0..n) into dst (NUL-terminated); plus_is_space for the query. */
static uri_status uri_decode(const char *src, size_t n, int plus_is_space, char *dst)
{
    char *start = dst;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c == '%') {
            int hi = i + 2 < n ? hex_value(src[i + 1]) : -1;
            int lo = i + 2 < n ? hex_value(src[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return URI_BAD_ESCAPE;
            c = (char)(hi * 16 + lo);
            if (c == '\0')
                return URI_NUL;
            i += 2;
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        }
        *dst++ = c;
    }
    *dst = '\0';
    return utf8_valid(start, (size_t)(dst - start)) ? URI_OK : URI_BAD_UTF8;
}

/* The absolute-form (RFC 9112 section 3.2.2, "http://host/path"), which a server must
 * accept: the part from the path on; the authority names this server whatever it says. */
const char *uri_origin_form(const char *raw)
{
    const char *p = NULL;
    if (strncasecmp(raw, "http://", 7) == 0)
        p = raw + 7;
    else if (strncasecmp(raw, "https://", 8) == 0)
        p = raw + 8;
    if (!p)
        return raw[0] == '/' ? raw : NULL;
    p += strcspn(p, "/?#");
    return *p == '/' ? p : NULL; /* "http://host" and "http://host?q" name no path */
}

/* The raw target may hold no control character, space, DEL or fragment; everything else is
 * taken literally or percent-decoded. */
static uri_status uri_scan(const char *raw, size_t n)
{
    if (n > URI_MAX_BYTES)
        return URI_TOO_LONG;
    if (n == 0 || !uri_origin_form(raw))
        return URI_NOT_ORIGIN;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c <= ' ' || c == 0x7f)
            return URI_BAD_CHAR;
        if (c == '#')
            return URI_NOT_ORIGIN;
    }
    return URI_OK;
}

static void uri_where(char *where, size_t len, const char *name, size_t n)
{
    size_t j = 0;
    /* the name goes into a problem document: printable ASCII only, and short */
    for (size_t i = 0; i < n && j + 1 < len && j < 64; i++) {
        unsigned char c = (unsigned char)name[i];
        where[j++] = (c > ' ' && c < 0x7f && c != '%') ? (char)c : '?';
    }
    where[j] = '\0';
}

static uri_status uri_parse_path(const char *raw, size_t n, struct uri *u, char **cur, char *where,
                                 size_t wherelen)
{
    size_t i = 1; /* past the leading '/' */
    for (;;) {
        size_t j = i;
        while (j < n && raw[j] != '/')
            j++;
        if (u->nsegments == URI_MAX_SEGMENTS) {
            uri_where(where, wherelen, "path", 4);
            return URI_TOO_MANY_PARTS;
        }
        uri_status s = uri_decode(raw + i, j - i, 0, *cur);
        if (s != URI_OK) {
            uri_where(where, wherelen, "path", 4);
            return s;
        }
        u->segments[u->nsegments++] = *cur;
        *cur += strlen(*cur) + 1;
        if (j >= n)
            return URI_OK;
        i = j + 1;
    }
}

static uri_status uri_parse_query(const char *q, size_t n, struct uri *u, char **cur, char *where,
                                  size_t wherelen)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i, eq = (size_t)-1;
        while (j < n && q[j] != '&') {
            if (q[j] == '=' && eq == (size_t)-1)
                eq = j;
            j++;
        }
        size_t name_end = eq == (size_t)-1 ? j : eq;
        uri_where(where, wherelen, q + i, name_end - i);
        if (j == i) { /* "a=1&&b=2", "?&a=1", "?a=1&": an empty part names nothing */
            i = j + 1;
            continue;
        }
        if (name_end == i)
            return URI_EMPTY_NAME;
        if (u->nparams == URI_MAX_PARAMS)
            return URI_TOO_MANY_PARTS;
        struct uri_param *p = &u->params[u->nparams];
        uri_status s = uri_decode(q + i, name_end - i, 1, *cur);
        if (s != URI_OK)
            return s;
        p->name = *cur;
        *cur += strlen(*cur) + 1;
        s = eq == (size_t)-1 ? uri_decode("", 0, 1, *cur)
                             : uri_decode(q + eq + 1, j - eq - 1, 1, *cur);
        if (s != URI_OK)
            return s;
        p->value = *cur;
        *cur += strlen(*cur) + 1;
        if (uri_param(u, p->name))
            return URI_DUPLICATE;
        u->nparams++;
        i = j + 1;
    }
    return URI_OK;
}

uri_status uri_parse(const char *raw, struct uri *out, char *where, size_t wherelen)
{
    size_t n = strlen(raw), path_len;
    const char *q;
    uri_status s;
    char *cur;

    memset(out, 0, sizeof *out);
    uri_where(where, wherelen, "path", 4);
    if ((s = uri_scan(raw, n)) != URI_OK)
        return s;
    /* the authority is checked for forbidden bytes with the rest, then left behind */
    const char *origin = uri_origin_form(raw);
    n -= (size_t)(origin - raw);
    raw = origin;
    q = memchr(raw, '?', n);
    path_len = q ? (size_t)(q - raw) : n;
    /* decoding never lengthens a string; one NUL per segment, name and value */
    out->buf = malloc(n + 2 * URI_MAX_PARAMS + URI_MAX_SEGMENTS + 2);
    if (!out->buf)
        return URI_NO_MEMORY;
    cur = out->buf;
    s = uri_parse_path(raw, path_len, out, &cur, where, wherelen);
    if (s == URI_OK && q)
        s = uri_parse_query(q + 1, n - path_len - 1, out, &cur, where, wherelen);
    if (s != URI_OK)
        uri_free(out);
    return s;
}

void uri_free(struct uri *u)
{
    free(u->buf);
    memset(u, 0, sizeof *u);
}

const char *uri_param(const struct uri *u, const char *name)
{
    for (int i = 0; i < u->nparams; i++)
        if (strcmp(u->params[i].name, name) == 0)
            return u->params[i].value;
    return NULL;
}

const char *uri_status_text(uri_status s)
{
    switch (s) {
    case URI_OK:
        return "ok";
    case URI_TOO_LONG:
        return "The request target is longer than the server accepts.";
    case URI_NOT_ORIGIN:
        return "The request target must be a path with an optional query, without a fragment.";
    case URI_BAD_CHAR:
        return "The request target contains a control character or space; percent-encode it.";
    case URI_BAD_ESCAPE:
        return "A '%' in the request target is not followed by two hexadecimal digits.";
    case URI_NUL:
        return "The request target contains an encoded NUL byte (%00).";
    case URI_BAD_UTF8:
        return "The request target decodes to bytes that are not UTF-8.";
    case URI_TOO_MANY_PARTS:
        return "The request target has more path segments or query parameters than any "
               "operation takes.";
    case URI_EMPTY_NAME:
        return "A query parameter has no name.";
    case URI_DUPLICATE:
        return "A query parameter is given more than once.";
    case URI_NO_MEMORY:
        return "The server is out of memory; retry shortly.";
    }
    return "The request target is malformed.";
}
