/* The request checks of the HTTP layer that need no server: the strict target parser
 * (api/uri.c) and the head's framing rules (api/head.c). */
#include <stdio.h>
#include <string.h>

#include "../../api/head.h"
#include "../../api/uri.h"
#include "../../src/utf8.h"
#include "unit.h"

static const struct {
    const char *raw;
    uri_status want;
} targets[] = {
    {"/v1/products/1", URI_OK},
    {"/v1/products/%31", URI_OK}, /* an escaped digit is the digit */
    {"/v1/products?q=%D1%87%D0%B0%D0%B9&limit=2", URI_OK},
    {"/v1/products/1%00abc", URI_NUL},
    {"/v1/products/%zz", URI_BAD_ESCAPE},
    {"/v1/products/%4", URI_BAD_ESCAPE},
    {"/v1/products/%", URI_BAD_ESCAPE},
    {"/v1/products?limit=%ff", URI_BAD_UTF8},
    {"/v1/products?cursor=abc%00def", URI_NUL},
    {"/v1/products?q=%C0%AF", URI_BAD_UTF8},    /* overlong '/' */
    {"/v1/products?q=%ED%A0%80", URI_BAD_UTF8}, /* a surrogate */
    {"/v1/products?limit=1&limit=2", URI_DUPLICATE},
    {"/v1/products?=1", URI_EMPTY_NAME},
    {"/v1/products?a=1&&b=2", URI_OK}, /* an empty part names nothing, wherever it is */
    {"/v1/products?&a=1&", URI_OK},
    {"/v1/products?=&a=1", URI_EMPTY_NAME},
    {"/v1/products#frag", URI_NOT_ORIGIN},
    {"http://host/v1/products", URI_OK}, /* absolute-form: a server must accept it */
    {"HTTPS://host:8080/v1/products?limit=2", URI_OK},
    {"http://host", URI_NOT_ORIGIN},
    {"http://host?limit=2", URI_NOT_ORIGIN},
    {"ftp://host/v1/products", URI_NOT_ORIGIN},
    {"*", URI_NOT_ORIGIN},
    {"", URI_NOT_ORIGIN},
    {"/v1/a b", URI_BAD_CHAR},
    {"/v1/a\tb", URI_BAD_CHAR},
    {"/v1/\x7f", URI_BAD_CHAR},
    {"/v1/\xff", URI_BAD_UTF8}, /* a raw byte that is not UTF-8 */
};

START_TEST(test_target_verdicts)
{
    struct uri u;
    char where[80];
    uri_status got = uri_parse(targets[_i].raw, &u, where, sizeof where);
    ck_assert_msg(got == targets[_i].want, "%s: got %d, want %d", targets[_i].raw, got,
                  targets[_i].want);
    uri_free(&u);
}
END_TEST

START_TEST(test_target_decoding)
{
    struct uri u;
    char where[80];
    ck_assert_int_eq(uri_parse("/v1/a%2Fb/c?q=%D1%87+x&empty=&flag", &u, where, sizeof where),
                     URI_OK);
    ck_assert_int_eq(u.nsegments, 3);
    ck_assert_str_eq(u.segments[0], "v1");
    ck_assert_str_eq(u.segments[1], "a/b"); /* one segment: an escaped slash does not split */
    ck_assert_str_eq(u.segments[2], "c");
    ck_assert_int_eq(u.nparams, 3);
    ck_assert_str_eq(uri_param(&u, "q"), "\xd1\x87 x");
    ck_assert_str_eq(uri_param(&u, "empty"), "");
    ck_assert_str_eq(uri_param(&u, "flag"), "");
    ck_assert_ptr_null(uri_param(&u, "absent"));
    uri_free(&u);
    ck_assert_int_eq(uri_parse("/v1//me/", &u, where, sizeof where), URI_OK);
    ck_assert_int_eq(u.nsegments, 4); /* empty segments are kept: "//" is not "/" */
    uri_free(&u);
    ck_assert_int_eq(uri_parse("http://h.example:80/v1/me?x=1", &u, where, sizeof where), URI_OK);
    ck_assert_int_eq(u.nsegments, 2);
    ck_assert_str_eq(u.segments[1], "me");
    ck_assert_str_eq(uri_param(&u, "x"), "1");
    uri_free(&u);
}
END_TEST

START_TEST(test_target_limits)
{
    static char raw[URI_MAX_BYTES + 64];
    struct uri u;
    char where[80];
    size_t n = 0;
    n += (size_t)snprintf(raw, sizeof raw, "/v1/products?");
    for (int i = 0; i <= URI_MAX_PARAMS; i++)
        n += (size_t)snprintf(raw + n, sizeof raw - n, "p%d=1&", i);
    raw[n - 1] = '\0';
    ck_assert_int_eq(uri_parse(raw, &u, where, sizeof where), URI_TOO_MANY_PARTS);
    memset(raw, 'a', URI_MAX_BYTES + 1);
    raw[0] = '/';
    raw[URI_MAX_BYTES + 1] = '\0';
    ck_assert_int_eq(uri_parse(raw, &u, where, sizeof where), URI_TOO_LONG);
    raw[URI_MAX_BYTES] = '\0';
    ck_assert_int_eq(uri_parse(raw, &u, where, sizeof where), URI_OK);
    uri_free(&u);
    /* the offending parameter is named, printable and short */
    ck_assert_int_eq(uri_parse("/x?ok=1&b%ffad=1", &u, where, sizeof where), URI_BAD_UTF8);
    ck_assert_str_eq(where, "b?ffad");
}
END_TEST

#define F(n, v)                                                                                    \
    {                                                                                              \
        n, v, sizeof(n) - 1, sizeof(v) - 1                                                         \
    }

static const struct {
    const char *what;
    struct head_field f[4];
    int n;
    sd_err want;
    int64_t length;
} heads[] = {
    {"plain", {F("Host", "x"), F("Content-Length", "12")}, 2, SD_OK, 12},
    {"no body", {F("Host", "x")}, 1, SD_OK, -1},
    {"CL and TE",
     {F("Host", "x"), F("Content-Length", "4"), F("Transfer-Encoding", "chunked")},
     3,
     SD_ERR_BAD_REQUEST,
     4},
    {"two CL",
     {F("Host", "x"), F("Content-Length", "2"), F("Content-Length", "40")},
     3,
     SD_ERR_BAD_REQUEST,
     2},
    {"same CL twice",
     {F("Host", "x"), F("Content-Length", "2"), F("Content-Length", "2")},
     3,
     SD_ERR_BAD_REQUEST,
     2},
    {"space before colon",
     {F("Host", "x"), F("Transfer-Encoding ", "chunked")},
     2,
     SD_ERR_BAD_REQUEST,
     -1},
    {"chunked twice",
     {F("Host", "x"), F("Transfer-Encoding", "chunked"), F("Transfer-Encoding", "x")},
     3,
     SD_ERR_BAD_REQUEST,
     -1},
    {"unknown coding",
     {F("Host", "x"), F("Transfer-Encoding", "gzip, chunked")},
     2,
     SD_ERR_BAD_REQUEST,
     -1},
    {"chunked",
     {F("Host", "x"), F("Transfer-Encoding", "Chunked ")},
     2,
     SD_ERR_LENGTH_REQUIRED,
     -1},
    {"CL not a number", {F("Host", "x"), F("Content-Length", "1e3")}, 2, SD_ERR_BAD_REQUEST, -1},
    {"CL signed", {F("Host", "x"), F("Content-Length", "+5")}, 2, SD_ERR_BAD_REQUEST, -1},
    {"CL huge",
     {F("Host", "x"), F("Content-Length", "99999999999999999999")},
     2,
     SD_ERR_TOO_LARGE,
     -2},
    {"CL leading zeros",
     {F("Host", "x"), F("Content-Length", "0000000000000000000007")},
     2,
     SD_OK,
     7},
    {"no Host", {F("Accept", "*/*")}, 1, SD_ERR_BAD_REQUEST, -1},
    {"two Hosts", {F("Host", "a"), F("Host", "b")}, 2, SD_ERR_BAD_REQUEST, -1},
    {"two Authorizations",
     {F("Host", "x"), F("Authorization", "Bearer a"), F("authorization", "Bearer b")},
     3,
     SD_ERR_BAD_REQUEST,
     -1},
    {"control in value",
     {F("Host", "x"), F("X-A", "a\x01"
                               "b")},
     2,
     SD_ERR_BAD_REQUEST,
     -1},
    {"non-token name", {F("Host", "x"), F("X(A)", "b")}, 2, SD_ERR_BAD_REQUEST, -1},
};

START_TEST(test_head_verdicts)
{
    struct head_verdict v;
    head_check(heads[_i].f, heads[_i].n, HEAD_HTTP11, &v);
    ck_assert_msg(v.err == heads[_i].want, "%s: got %d, want %d", heads[_i].what, v.err,
                  heads[_i].want);
    ck_assert_msg(v.content_length == heads[_i].length, "%s: length %lld, want %lld",
                  heads[_i].what, (long long)v.content_length, (long long)heads[_i].length);
}
END_TEST

/* With the bytes known plain (the front's heads), the rules about fields still hold. */
START_TEST(test_head_bytes_checked)
{
    struct head_field dup[] = {F("Host", "x"), F("authorization", "a"), F("Authorization", "b")};
    struct head_field none[] = {F("Accept", "*/*")};
    struct head_verdict v;
    head_check(dup, 3, HEAD_HTTP11 | HEAD_BYTES_CHECKED, &v);
    ck_assert_int_eq(v.err, SD_ERR_BAD_REQUEST);
    ck_assert_str_eq(v.code, "duplicate_header");
    head_check(none, 1, HEAD_HTTP11 | HEAD_BYTES_CHECKED, &v);
    ck_assert_str_eq(v.code, "invalid_host");
    head_check(dup + 1, 1, HEAD_BYTES_CHECKED, &v);
    ck_assert_int_eq(v.err, SD_OK);
}
END_TEST

START_TEST(test_head_http10_needs_no_host)
{
    struct head_field f[] = {F("Accept", "*/*")};
    struct head_verdict v;
    head_check(f, 1, 0, &v);
    ck_assert_int_eq(v.err, SD_OK);
}
END_TEST

START_TEST(test_head_size)
{
    struct head_verdict v = {0};
    head_check_size(HEAD_MAX_FIELDS, HEAD_MAX_BYTES, &v);
    ck_assert_int_eq(v.err, SD_OK);
    head_check_size(HEAD_MAX_FIELDS + 1, 10, &v);
    ck_assert_int_eq(v.err, SD_ERR_HEADERS_TOO_LARGE);
    v.err = SD_OK;
    head_check_size(1, HEAD_MAX_BYTES + 1, &v);
    ck_assert_int_eq(v.err, SD_ERR_HEADERS_TOO_LARGE);
}
END_TEST

/* Every byte in a field name, against RFC 9110's tchar written out plainly: the name is
 * refused exactly when the byte is not one. */
START_TEST(test_head_name_bytes)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; c++) {
        char name[3] = {'X', (char)c, 'Y'};
        struct head_field f[] = {{"Host", "a", 4, 1}, {name, "v", 3, 1}};
        struct head_verdict v;
        int tchar = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    (c != 0 && memchr(extra, c, sizeof extra - 1) != NULL);
        head_check(f, 2, HEAD_HTTP11, &v);
        ck_assert_msg((v.err == SD_OK) == tchar, "byte 0x%02x: verdict %d, tchar %d", c, (int)v.err,
                      tchar);
    }
}
END_TEST

/* Every byte at every place of a value that spans words: refused exactly for the controls but
 * tab, and DEL. */
START_TEST(test_head_value_bytes)
{
    for (int c = 0; c < 256; c++)
        for (int at = 0; at < 19; at++) {
            char value[19];
            memset(value, at % 2 ? 'a' : 0xd0, sizeof value); /* letters and obs-text */
            value[at] = (char)c;
            struct head_field f[] = {{"Host", "a", 4, 1}, {"X-V", value, 3, sizeof value}};
            struct head_verdict v;
            int ok = !((c < ' ' && c != '\t') || c == 0x7f);
            head_check(f, 2, HEAD_HTTP11, &v);
            ck_assert_msg((v.err == SD_OK) == ok, "byte 0x%02x at %d: verdict %d, allowed %d", c,
                          at, (int)v.err, ok);
        }
}
END_TEST

/* A head as libmicrohttpd leaves it in its buffer: line ends and colons turned into NULs. */
static const char laid_out[] = "GET / HTTP/1.1\0\0Host\0 a\0\0X-B\0\tb c \0\0X-C\0\0\0\0\0";

START_TEST(test_head_layout)
{
    const char *b = laid_out, *version = b + 6;
    struct head_field f[] = {
        {b + 16, b + 22, 4, 1}, /* Host: a */
        {b + 25, b + 30, 3, 4}, /* X-B: "b c " after a tab */
        {b + 36, b + 40, 3, 0}, /* X-C: "" */
    };
    size_t size = sizeof laid_out - 1; /* through the empty line */
    ck_assert_int_eq(head_layout_intact(b, size, version, f, 3), 0);
    ck_assert_int_eq(head_layout_intact(b, size, version, f, 0), -1);     /* lines skipped */
    ck_assert_int_eq(head_layout_intact(b, size + 1, version, f, 3), -1); /* a line more */
    /* a value cut by a raw NUL: "Host: a\0z" leaves z between the records */
    static const char cut[] = "GET / HTTP/1.1\0\0Host\0 a\0z\0\0\0\0";
    struct head_field g = {cut + 16, cut + 22, 4, 1};
    ck_assert_int_eq(head_layout_intact(cut, sizeof cut - 1, cut + 6, &g, 1), -1);
    /* a folded line: the name was moved elsewhere */
    static const char moved[] = "Content-Length58";
    struct head_field h[] = {{b + 16, b + 22, 4, 1}, {moved, b + 30, 16, 4}};
    ck_assert_int_eq(head_layout_intact(b, size, version, h, 2), -1);
    /* bare LF line ends leave one NUL where CR LF leave two */
    static const char lf[] = "GET / HTTP/1.1\0Host\0 a\0\0";
    struct head_field k = {lf + 15, lf + 21, 4, 1};
    ck_assert_int_eq(head_layout_intact(lf, sizeof lf - 1, lf + 6, &k, 1), -1);
    /* a line of ":" taken for the end of the head, after which the next request begins */
    static const char colon[] = "GET / HTTP/1.1\0\0Host\0 a\0\0\0\0\0";
    struct head_field m = {colon + 16, colon + 22, 4, 1};
    ck_assert_int_eq(head_layout_intact(colon, sizeof colon - 1, colon + 6, &m, 1), -1);
}
END_TEST

START_TEST(test_utf8_valid)
{
    ck_assert(utf8_valid("", 0));
    ck_assert(utf8_valid("ascii", 5));
    ck_assert(utf8_valid("\xd0\x96\xe6\xbc\xa2\xf0\x9f\x98\x80", 9));
    ck_assert(!utf8_valid("\x80", 1));             /* continuation first */
    ck_assert(!utf8_valid("\xc0\xaf", 2));         /* overlong */
    ck_assert(!utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
    ck_assert(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    ck_assert(!utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    ck_assert(!utf8_valid("\xd0", 1));             /* cut short */
    ck_assert(!utf8_valid("\xff", 1));
}
END_TEST

Suite *request_suite(void)
{
    Suite *s = suite_create("request");
    TCase *tc = tcase_create("target");
    tcase_add_loop_test(tc, test_target_verdicts, 0, (int)(sizeof targets / sizeof targets[0]));
    tcase_add_test(tc, test_target_decoding);
    tcase_add_test(tc, test_target_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("head");
    tcase_add_loop_test(tc, test_head_verdicts, 0, (int)(sizeof heads / sizeof heads[0]));
    tcase_add_test(tc, test_head_http10_needs_no_host);
    tcase_add_test(tc, test_head_bytes_checked);
    tcase_add_test(tc, test_head_size);
    tcase_add_test(tc, test_head_name_bytes);
    tcase_add_test(tc, test_head_value_bytes);
    tcase_add_test(tc, test_head_layout);
    tcase_add_test(tc, test_utf8_valid);
    suite_add_tcase(s, tc);
    return s;
}
