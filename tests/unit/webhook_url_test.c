/* The webhook address rule without any network: IP literals in every form, IPv6 forms of
 * IPv4 addresses, and the URL's shape. Names that resolve are left to the API suite (the
 * test machine has no DNS). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "../../src/webhook_url.h"
#include "unit.h"

static int forbidden_literal(const char *text)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(text, ':')) {
        ss.ss_family = AF_INET6;
        ck_assert_int_eq(inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)&ss)->sin6_addr), 1);
    } else {
        ss.ss_family = AF_INET;
        ck_assert_int_eq(inet_pton(AF_INET, text, &((struct sockaddr_in *)&ss)->sin_addr), 1);
    }
    return webhook_addr_forbidden((struct sockaddr *)&ss);
}

static const char *const refused_addrs[] = {
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "10.0.0.1",
    "100.64.0.1",
    "100.127.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "192.0.0.8",
    "198.18.0.1",
    "224.0.0.1",
    "239.255.255.250",
    "255.255.255.255",
    "240.0.0.1",
    "::",
    "::1",
    "fe80::1",
    "febf::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "::ffff:169.254.169.254",
    "64:ff9b::7f00:1",
    "::127.0.0.1",
    "fec0::1",
    "2002:7f00:1::1",                       /* 6to4 of 127.0.0.1 */
    "2002:a9fe:a9fe::",                     /* 6to4 of 169.254.169.254 */
    "2001:0:4136:e378:8000:63bf:80ff:fffe", /* Teredo of 127.0.0.1 (inverted) */
    "64:ff9b:1::a00:1",                     /* local-use NAT64 */
};
static const char *const allowed_addrs[] = {
    "93.184.215.14",  "8.8.8.8",        "100.63.255.255",   "100.128.0.1",
    "172.15.255.255", "172.32.0.1",     "192.167.1.1",      "1.1.1.1",
    "2606:4700::1",   "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", /* 6to4 of 8.8.8.8 */
};

START_TEST(test_refused_addresses)
{
    ck_assert_msg(forbidden_literal(refused_addrs[_i]), "%s must be refused", refused_addrs[_i]);
}
END_TEST

START_TEST(test_allowed_addresses)
{
    ck_assert_msg(!forbidden_literal(allowed_addrs[_i]), "%s must be allowed", allowed_addrs[_i]);
}
END_TEST

static const struct {
    const char *url;
    enum webhook_url_verdict verdict;
} urls[] = {
    {"https://93.184.215.14/hook", WEBHOOK_URL_OK},
    {"http://127.0.0.1:8080/hook", WEBHOOK_URL_FORBIDDEN},
    {"http://2130706433/", WEBHOOK_URL_FORBIDDEN},   /* decimal */
    {"http://0x7f000001/", WEBHOOK_URL_FORBIDDEN},   /* hex */
    {"http://0x7f.1/", WEBHOOK_URL_FORBIDDEN},       /* hex, two parts */
    {"http://0177.0.0.1/", WEBHOOK_URL_FORBIDDEN},   /* octal */
    {"http://017700000001/", WEBHOOK_URL_FORBIDDEN}, /* octal, one part */
    {"http://127.1/", WEBHOOK_URL_FORBIDDEN},
    {"http://[::1]:9000/", WEBHOOK_URL_FORBIDDEN},
    {"http://[::ffff:7f00:1]/", WEBHOOK_URL_FORBIDDEN},
    {"http://[fe80::1%25eth0]/", WEBHOOK_URL_FORBIDDEN},
    {"http://localhost/", WEBHOOK_URL_FORBIDDEN},
    {"http://LOCALHOST./", WEBHOOK_URL_FORBIDDEN},
    {"http://api.localhost/", WEBHOOK_URL_FORBIDDEN},
    {"ftp://93.184.215.14/", WEBHOOK_URL_INVALID},
    {"file:///etc/passwd", WEBHOOK_URL_INVALID},
    {"gopher://93.184.215.14/", WEBHOOK_URL_INVALID},
    {"https://user:pw@93.184.215.14/", WEBHOOK_URL_INVALID},
    {"https://user@93.184.215.14/", WEBHOOK_URL_INVALID},
    {"https:///hook", WEBHOOK_URL_INVALID},
    {"//93.184.215.14/hook", WEBHOOK_URL_INVALID},
    {"https://93.184.215.14/a b", WEBHOOK_URL_INVALID},
    {"", WEBHOOK_URL_INVALID},
};

START_TEST(test_url_verdicts)
{
    char why[200];
    ck_assert_msg(webhook_url_check(urls[_i].url, 0, why, sizeof why) == urls[_i].verdict,
                  "%s: expected %d (%s)", urls[_i].url, urls[_i].verdict, why);
}
END_TEST

START_TEST(test_allow_private_keeps_the_form_rules)
{
    char why[200];
    ck_assert_int_eq(webhook_url_check("http://127.0.0.1:9/x", 1, why, sizeof why), WEBHOOK_URL_OK);
    ck_assert_int_eq(webhook_url_check("ftp://127.0.0.1/", 1, why, sizeof why),
                     WEBHOOK_URL_INVALID);
    ck_assert_int_eq(webhook_url_check("http://u:p@127.0.0.1/", 1, why, sizeof why),
                     WEBHOOK_URL_INVALID);
}
END_TEST

Suite *webhook_url_suite(void)
{
    Suite *s = suite_create("webhook_url");
    TCase *tc = tcase_create("rule");
    tcase_add_loop_test(tc, test_refused_addresses, 0,
                        (int)(sizeof refused_addrs / sizeof refused_addrs[0]));
    tcase_add_loop_test(tc, test_allowed_addresses, 0,
                        (int)(sizeof allowed_addrs / sizeof allowed_addrs[0]));
    tcase_add_loop_test(tc, test_url_verdicts, 0, (int)(sizeof urls / sizeof urls[0]));
    tcase_add_test(tc, test_allow_private_keeps_the_form_rules);
    suite_add_tcase(s, tc);
    return s;
}
