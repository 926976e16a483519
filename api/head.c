#include "head.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

static int head_name_is_n(const struct head_field *f, const char *name, size_t len)
{
    return f->name_len == len && strncasecmp(f->name, name, len) == 0;
}
/* (a literal's length is known at compile time: no strlen per field and name) */
#define head_name_is(f, literal) head_name_is_n((f), literal, sizeof(literal) - 1)

static int head_name_ok(const struct head_field *f)
{
    if (f->name_len == 0)
        return 0;
    for (size_t i = 0; i < f->name_len; i++)
        if (!head_is_tchar((unsigned char)f->name[i]))
            return 0;
    return 1;
}

/* Eight bytes at a time: a byte below 0x20 (a tab too) or equal to 0x7f in a word sends the
 * rest to the byte-by-byte rule. The Authorization value makes most of a head's bytes, and one
 * test per byte cost 4 000 instructions a request (bench/README.md, issue 15's profile). */
int head_bytes_plain(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, del;
        memcpy(&x, p + i, 8);
        del = x ^ (ones * 0x7f);
        if (((x - ones * 0x20) & ~x & highs) | ((del - ones) & ~del & highs))
            break;
    }
    for (; i < n; i++)
        if ((p[i] < ' ' && p[i] != '\t') || p[i] == 0x7f)
            return 0;
    return 1;
}

static int head_value_ok(const struct head_field *f)
{
    return head_bytes_plain(f->value, f->value_len);
}

/* The value without surrounding spaces and tabs, case-insensitively equal to word. */
static int head_value_is(const struct head_field *f, const char *word)
{
    const char *s = f->value, *e = f->value + f->value_len;
    while (s < e && (*s == ' ' || *s == '\t'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    return (size_t)(e - s) == strlen(word) && strncasecmp(s, word, (size_t)(e - s)) == 0;
}

/* 1*DIGIT of at most 18 digits; -1 when not a number, -2 when larger. */
static int64_t head_length(const struct head_field *f)
{
    int64_t v = 0;
    size_t n = f->value_len, i = 0;
    if (n == 0)
        return -1;
    for (size_t k = 0; k < n; k++)
        if (f->value[k] < '0' || f->value[k] > '9')
            return -1;
    while (i + 1 < n && f->value[i] == '0') /* leading zeros do not make a number larger */
        i++;
    if (n - i > 18)
        return -2;
    for (; i < n; i++)
        v = v * 10 + (f->value[i] - '0');
    return v;
}

/* Fields the server reads one value of: a second copy would make which one counts a guess
 * (and a proxy in front may have guessed the other way). */
#define HEAD_NAME(literal)                                                                         \
    {                                                                                              \
        literal, sizeof(literal) - 1                                                               \
    }
static const struct {
    const char *name;
    size_t len;
} head_singletons[] = {HEAD_NAME("Authorization"), HEAD_NAME("Content-Type"),
                       HEAD_NAME("Idempotency-Key"), HEAD_NAME("X-Request-Id"),
                       HEAD_NAME("If-None-Match")};

static int head_is_singleton(const struct head_field *f)
{
    for (size_t i = 0; i < sizeof head_singletons / sizeof head_singletons[0]; i++)
        if (head_name_is_n(f, head_singletons[i].name, head_singletons[i].len))
            return 1;
    return 0;
}

static void head_refuse(struct head_verdict *v, sd_err err, const char *code, const char *detail)
{
    if (v->err != SD_OK)
        return; /* the first reason found is the one reported */
    v->err = err;
    v->code = code;
    v->detail = detail;
}

void head_check(const struct head_field *f, int n, int flags, struct head_verdict *v)
{
    int http11 = flags & HEAD_HTTP11, bytes_checked = flags & HEAD_BYTES_CHECKED;
    const struct head_field *length = NULL, *coding = NULL;
    int nlength = 0, ncoding = 0, nhost = 0, repeated = 0;

    memset(v, 0, sizeof *v);
    v->content_length = -1;
    for (int i = 0; i < n; i++) {
        if (!bytes_checked && !head_name_ok(&f[i]))
            head_refuse(v, SD_ERR_BAD_REQUEST, "invalid_header",
                        "A header field name is not a token (RFC 9110 section 5.1); a space "
                        "before the colon is not allowed.");
        else if (!bytes_checked && !head_value_ok(&f[i]))
            head_refuse(v, SD_ERR_BAD_REQUEST, "invalid_header",
                        "A header field value contains a control character.");
        if (head_name_is(&f[i], "Content-Length"))
            length = nlength++ ? length : &f[i];
        else if (head_name_is(&f[i], "Transfer-Encoding"))
            coding = ncoding++ ? coding : &f[i];
        else if (head_name_is(&f[i], "Host"))
            nhost++;
        else if (head_is_singleton(&f[i]))
            for (int j = 0; j < i; j++)
                repeated |= f[j].name_len == f[i].name_len &&
                            strncasecmp(f[j].name, f[i].name, f[i].name_len) == 0;
    }
    if (length) {
        int64_t cl = head_length(length);
        if (cl == -2)
            head_refuse(v, SD_ERR_TOO_LARGE, "payload_too_large",
                        "Content-Length is larger than any body the server accepts.");
        if (cl < 0)
            head_refuse(v, SD_ERR_BAD_REQUEST, "invalid_content_length",
                        "Content-Length must be a decimal number of bytes.");
        v->content_length = cl;
    }
    if (coding && length)
        head_refuse(v, SD_ERR_BAD_REQUEST, "ambiguous_length",
                    "The request has both Transfer-Encoding and Content-Length; its length "
                    "is ambiguous (RFC 9112 section 6.3).");
    if (nlength > 1)
        head_refuse(v, SD_ERR_BAD_REQUEST, "ambiguous_length",
                    "The request has more than one Content-Length field.");
    if (ncoding > 1 || (coding && !head_value_is(coding, "chunked")))
        head_refuse(v, SD_ERR_BAD_REQUEST, "unsupported_transfer_coding",
                    "The only transfer coding is chunked, sent once; this request's body "
                    "length cannot be determined.");
    if (coding)
        head_refuse(v, SD_ERR_LENGTH_REQUIRED, "length_required",
                    "Send the body with a Content-Length; chunked request bodies are not "
                    "accepted.");
    if (repeated)
        head_refuse(v, SD_ERR_BAD_REQUEST, "duplicate_header",
                    "A header field the server reads once (Authorization, Content-Type, "
                    "Idempotency-Key, X-Request-Id, If-None-Match) is repeated.");
    if (http11 && nhost != 1)
        head_refuse(v, SD_ERR_BAD_REQUEST, "invalid_host",
                    "An HTTP/1.1 request carries exactly one Host field.");
}

void head_check_size(int nfields, size_t bytes, struct head_verdict *v)
{
    if (nfields <= HEAD_MAX_FIELDS && bytes <= HEAD_MAX_BYTES)
        return;
    /* too large outranks a bad field: the fields past the limit were not even looked at */
    v->err = SD_ERR_HEADERS_TOO_LARGE;
    v->code = "headers_too_large";
    v->detail = "The request has more or larger header fields than the server accepts.";
}

/* The n bytes at p are the NULs libmicrohttpd left of line ends, and nothing else. */
static int head_all_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != '\0')
            return 0;
    return 1;
}

int head_layout_intact(const char *method, size_t head_size, const char *version,
                       const struct head_field *f, int n)
{
    const char *end = version + strlen(version); /* the end of the previous line */
    for (int i = 0; i < n; i++) {
        /* the line end: CR LF as two NULs, and the next name right after them */
        if (f[i].name != end + 2 || !head_all_zero(end, 2))
            return -1;
        /* name, the colon's NUL, optional blanks, value */
        const char *p = f[i].name + f[i].name_len;
        if (*p++ != '\0' || f[i].value < p)
            return -1;
        while (p < f[i].value && (*p == ' ' || *p == '\t'))
            p++;
        if (p != f[i].value)
            return -1;
        end = f[i].value + f[i].value_len;
    }
    /* the last line's CR LF and the empty line's, and there the head ends */
    return end + 4 == method + head_size && head_all_zero(end, 4) ? 0 : -1;
}
