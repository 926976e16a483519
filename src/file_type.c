#include "file_type.h"

#include <string.h>
#include <strings.h>

const char *const file_types[] = {"image/jpeg", "image/png",  "image/webp",     "application/pdf",
                                  "video/mp4",  "video/webm", "video/quicktime"};
const size_t file_ntypes = sizeof file_types / sizeof file_types[0];

const char *file_type_allowed(const char *content_type)
{
    const char *s = content_type, *end;
    if (!s)
        return NULL;
    s += strspn(s, " \t");
    end = s + strcspn(s, "; \t");
    /* only blanks and parameters may follow the media type */
    if (end[strspn(end, " \t")] != '\0' && end[strspn(end, " \t")] != ';')
        return NULL;
    for (size_t i = 0; i < file_ntypes; i++)
        if (strlen(file_types[i]) == (size_t)(end - s) &&
            strncasecmp(file_types[i], s, (size_t)(end - s)) == 0)
            return file_types[i];
    return NULL;
}

static int file_starts_with(const unsigned char *b, size_t len, size_t at, const char *magic,
                            size_t n)
{
    return len >= at + n && memcmp(b + at, magic, n) == 0;
}

const char *file_type_sniff(const void *bytes, size_t len)
{
    const unsigned char *b = bytes;
    if (!b)
        return NULL;
    if (file_starts_with(b, len, 0, "\xFF\xD8\xFF", 3))
        return "image/jpeg";
    if (file_starts_with(b, len, 0, "\x89PNG\r\n\x1A\n", 8))
        return "image/png";
    /* a RIFF container (4 bytes of size between) holding WebP */
    if (file_starts_with(b, len, 0, "RIFF", 4) && file_starts_with(b, len, 8, "WEBP", 4))
        return "image/webp";
    if (file_starts_with(b, len, 0, "%PDF-", 5))
        return "application/pdf";
    /* ISO base media: a first box "ftyp" whose major brand "qt  " is QuickTime; older
     * QuickTime files open with a movie, media data or padding box */
    if (file_starts_with(b, len, 4, "ftyp", 4))
        return file_starts_with(b, len, 8, "qt  ", 4) ? "video/quicktime" : "video/mp4";
    if (file_starts_with(b, len, 4, "moov", 4) || file_starts_with(b, len, 4, "mdat", 4) ||
        file_starts_with(b, len, 4, "wide", 4))
        return "video/quicktime";
    /* EBML with the document type "webm" (Matroska's is "matroska") in its header */
    if (file_starts_with(b, len, 0, "\x1A\x45\xDF\xA3", 4)) {
        size_t n = len < 64 ? len : 64;
        for (size_t i = 4; i + 4 <= n; i++)
            if (memcmp(b + i, "webm", 4) == 0)
                return "video/webm";
    }
    return NULL;
}

int file_type_is_video(const char *type)
{
    return type && strncmp(type, "video/", 6) == 0;
}

int file_type_matches(const char *content_type, const void *bytes, size_t len)
{
    const char *declared = file_type_allowed(content_type);
    return declared && file_type_sniff(bytes, len) == declared;
}

static int file_is_hex_tag(const char *s, size_t n)
{
    return n == FILE_SHA256_HEX && strspn(s, "0123456789abcdef") >= n;
}

int file_if_none_match(const char *header, char *out, size_t outlen)
{
    size_t used = 0;
    if (outlen == 0)
        return -1;
    out[0] = '\0';
    if (!header)
        return 0;
    const char *p = header + strspn(header, " \t");
    if (p[0] == '*' && p[1 + strspn(p + 1, " \t")] == '\0') {
        if (outlen < 2)
            return -1;
        strcpy(out, "*");
        return 0;
    }
    while (*p) {
        p += strspn(p, " \t,");
        if (!*p)
            break;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        /* a tag is a quoted string; anything else up to the next comma is skipped */
        if (*p != '"') {
            p += strcspn(p, ",");
            continue;
        }
        const char *tag = ++p, *close = strchr(p, '"');
        if (!close)
            break;
        size_t n = (size_t)(close - tag);
        p = close + 1;
        if (!file_is_hex_tag(tag, n))
            continue;
        if (used + (used ? 1 : 0) + n + 1 > outlen) {
            out[0] = '\0';
            return -1;
        }
        if (used)
            out[used++] = ',';
        memcpy(out + used, tag, n);
        used += n;
        out[used] = '\0';
    }
    return 0;
}
