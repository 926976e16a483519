/* The front's head parser (api/front_head.c): what the loops serve themselves is a subset of
 * what libmicrohttpd and head_check take, so everything else must come out FRONT_OTHER; and
 * the fixed-buffer text writer the answer's head, the access line and a statement's number
 * parameters are made with (src/text_out.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../../api/front_head.h"
#include "../../src/clock.h"
#include "../../src/db.h"
#include "../../src/text_out.h"
#include "unit.h"

struct parsed {
    enum front_kind kind;
    struct front_head h;
    char *target;
    size_t len, bytes;
    char buf[512];
};

static void parse(struct parsed *p, const char *head, size_t max)
{
    size_t n = strlen(head);
    ck_assert_uint_lt(n, sizeof p->buf);
    memset(p, 0, sizeof *p);
    memcpy(p->buf, head, n + 1);
    p->kind = front_head_parse(&p->h, p->buf, n, max, &p->target, &p->len, &p->bytes);
}

START_TEST(test_front_plain)
{
    static struct parsed p;
    const char *head = "GET /v1/products/1?x=2 HTTP/1.1\r\nHost: a.example\r\n"
                       "Authorization:   Bearer abc \t\r\nConnection: keep-alive, Close\r\n\r\n";
    parse(&p, head, 8192);
    ck_assert_int_eq(p.kind, FRONT_PLAIN);
    ck_assert_str_eq(p.target, "/v1/products/1?x=2");
    ck_assert_uint_eq(p.len, strlen(head));
    ck_assert_int_eq(p.h.nf, 3);
    ck_assert_str_eq(front_head_field(&p.h, "host"), "a.example");
    ck_assert_str_eq(front_head_field(&p.h, "Authorization"), "Bearer abc");
    ck_assert_uint_eq(p.h.f[1].value_len, 10);
    ck_assert_ptr_null(front_head_field(&p.h, "Authorizatio"));
    ck_assert_int_eq(p.h.close_req, 1);
    /* (name + value + 4 per field, as dispatch.c counts libmicrohttpd's) */
    ck_assert_uint_eq(p.bytes, (4 + 9 + 4) + (13 + 10 + 4) + (10 + 17 + 4));
}
END_TEST

START_TEST(test_front_no_fields_and_pipelined)
{
    static struct parsed p;
    parse(&p, "GET / HTTP/1.1\r\n\r\n", 8192);
    ck_assert_int_eq(p.kind, FRONT_PLAIN);
    ck_assert_int_eq(p.h.nf, 0);
    ck_assert_uint_eq(p.len, 18);
    /* the first of two heads, and nothing of the second */
    parse(&p, "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: i\r\n\r\n", 8192);
    ck_assert_int_eq(p.kind, FRONT_PLAIN);
    ck_assert_str_eq(p.target, "/a");
    ck_assert_uint_eq(p.len, 28);
    ck_assert_int_eq(p.h.nf, 1);
    ck_assert_int_eq(p.h.close_req, 0);
}
END_TEST

/* A head arriving in pieces, cut at every byte: partial until its last byte, then the same
 * head, although its end was searched for from where the last search stopped. */
START_TEST(test_front_partial)
{
    static struct parsed p;
    const char *head = "GET /v1/me HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n";
    size_t n = strlen(head);
    struct front_head h;
    memset(&h, 0, sizeof h);
    for (size_t k = 1; k <= n; k++) {
        char buf[128];
        char *target = NULL;
        size_t len = 0, bytes = 0;
        memcpy(buf, head, k);
        buf[k] = '\0';
        enum front_kind kind = front_head_parse(&h, buf, k, 8192, &target, &len, &bytes);
        if (k < n) {
            ck_assert_msg(kind == FRONT_PARTIAL, "%zu of %zu bytes: kind %d", k, n, (int)kind);
            continue;
        }
        ck_assert_int_eq(kind, FRONT_PLAIN);
        ck_assert_uint_eq(len, n);
        ck_assert_str_eq(target, "/v1/me");
        ck_assert_int_eq(h.nf, 2);
    }
    /* no end within the most the loop peeks: another kind of request */
    parse(&p, "GET / HTTP/1.1\r\nHost: h\r\nX-Long: aaaaaaaaaaaaaaaa", 40);
    ck_assert_int_eq(p.kind, FRONT_OTHER);
    parse(&p, "GET / HTTP/1.1\r\nHost: h\r\nX-Long: aaaaaaaaaaaaaaaa", 4096);
    ck_assert_int_eq(p.kind, FRONT_PARTIAL);
}
END_TEST

static const char *const others[] = {
    "POST /v1/chats HTTP/1.1\r\nHost: h\r\n\r\n",
    "HEAD / HTTP/1.1\r\nHost: h\r\n\r\n",
    "get / HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET / HTTP/1.0\r\nHost: h\r\n\r\n",
    "GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
    "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: chunked\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n",
    "GET / HTTP/1.1\r\nHost : h\r\n\r\n",                 /* a space before the colon */
    "GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n",       /* obs-fold */
    "GET / HTTP/1.1\r\nHost: h\nX-A: b\r\n\r\n",          /* a bare LF */
    "GET / HTTP/1.1\r\nHost: h\rX-A: b\r\n\r\n",          /* a bare CR */
    "GET / HTTP/1.1\r\nHost: h\x01\r\n\r\n",              /* a control byte */
    "GET / HTTP/1.1\r\nX-A: long value\x7f here\r\n\r\n", /* DEL, past the first 8 bytes */
    "GET / HTTP/1.1\r\n: empty name\r\n\r\n",
    "GET / HTTP/1.1\r\nHost\r\n\r\n",
    "GET / HTTP/1.1\r\nH\xc3\xa9: v\r\n\r\n", /* a name that is not a token */
    "GET / HTTP/1.1\n\n",
    "GET / HTTP/1.1\nHost: h", /* not waited for: a bare LF is seen before the head ends */
};

START_TEST(test_front_other)
{
    static struct parsed p;
    parse(&p, others[_i], 8192);
    ck_assert_msg(p.kind == FRONT_OTHER, "%s: kind %d", others[_i], (int)p.kind);
}
END_TEST

START_TEST(test_text_out)
{
    char buf[16];
    struct text_out t = text_out_of(buf, sizeof buf);
    text_lit(&t, "HTTP/1.1 ");
    text_uint(&t, 200, 3);
    text_lit(&t, " ");
    text_uint(&t, 7, 3);
    ck_assert_int_eq(t.over, 0);
    ck_assert_uint_eq(text_len(&t, buf), 16);
    ck_assert_int_eq(memcmp(buf, "HTTP/1.1 200 007", 16), 0);
    text_lit(&t, "x"); /* one byte past the end: cut, and said */
    ck_assert_int_eq(t.over, 1);
    ck_assert_uint_eq(text_len(&t, buf), 16);

    t = text_out_of(buf, sizeof buf);
    text_uint(&t, 0, 1);
    text_uint(&t, 18446744073709551615ull, 1);
    ck_assert_int_eq(t.over, 1);
    ck_assert_int_eq(memcmp(buf, "0184467440737095", 16), 0);
    t = text_out_of(buf, sizeof buf);
    text_str(&t, "abc");
    text_uint(&t, 42, 1);
    ck_assert_uint_eq(text_len(&t, buf), 5);
    ck_assert_int_eq(memcmp(buf, "abc42", 5), 0);
}
END_TEST

/* a statement's number parameter, written with text_out (src/db.c) */
START_TEST(test_db_i64)
{
    char buf[24];
    ck_assert_str_eq(db_i64(buf, 0), "0");
    ck_assert_str_eq(db_i64(buf, 1234567), "1234567");
    ck_assert_str_eq(db_i64(buf, -42), "-42");
    ck_assert_str_eq(db_i64(buf, INT64_MAX), "9223372036854775807");
    ck_assert_str_eq(db_i64(buf, INT64_MIN), "-9223372036854775808");
}
END_TEST

/* the deadlines' clock (src/clock.h): the monotonic clock read at its tick, never going back */
static int64_t precise_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

START_TEST(test_clock_coarse)
{
    struct timespec res;
    ck_assert_int_eq(clock_getres(CLOCK_MONOTONIC_COARSE, &res), 0);
    /* (it lags by up to about two ticks, more when the CPU keeping time is held up, as on a
     * busy virtual machine: ten ticks, so that a slow moment does not fail the test) */
    int64_t slack = 10 * (res.tv_sec * 1000 + res.tv_nsec / 1000000) + 1, last = clock_coarse_ms();
    for (int i = 0; i < 1000; i++) {
        int64_t before = precise_ms(), c = clock_coarse_ms(), after = precise_ms();
        ck_assert_int_ge(c, last);
        ck_assert_int_le(c, after);
        ck_assert_int_ge(c, before - slack);
        last = c;
    }
}
END_TEST

Suite *front_head_suite(void)
{
    Suite *s = suite_create("front_head");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_front_plain);
    tcase_add_test(tc, test_front_no_fields_and_pipelined);
    tcase_add_test(tc, test_front_partial);
    tcase_add_loop_test(tc, test_front_other, 0, (int)(sizeof others / sizeof others[0]));
    tcase_add_test(tc, test_text_out);
    tcase_add_test(tc, test_db_i64);
    tcase_add_test(tc, test_clock_coarse);
    suite_add_tcase(s, tc);
    return s;
}
