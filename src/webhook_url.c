#include "webhook_url.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

static int v4_forbidden(uint32_t a) /* host order */
{
    static const struct {
        uint32_t net, mask;
    } nets[] = {
        {0x00000000, 0xff000000}, /* 0.0.0.0/8 "this network", unspecified */
        {0x0a000000, 0xff000000}, /* 10/8 */
        {0x64400000, 0xffc00000}, /* 100.64/10 CGNAT */
        {0x7f000000, 0xff000000}, /* 127/8 loopback */
        {0xa9fe0000, 0xffff0000}, /* 169.254/16 link-local, cloud metadata */
        {0xac100000, 0xfff00000}, /* 172.16/12 */
        {0xc0000000, 0xffffff00}, /* 192.0.0/24 protocol assignments */
        {0xc0a80000, 0xffff0000}, /* 192.168/16 */
        {0xc6120000, 0xfffe0000}, /* 198.18/15 benchmarking */
        {0xe0000000, 0xf0000000}, /* 224/4 multicast */
        {0xf0000000, 0xf0000000}, /* 240/4 reserved, 255.255.255.255 broadcast */
    };
    for (size_t i = 0; i < sizeof nets / sizeof nets[0]; i++)
        if ((a & nets[i].mask) == nets[i].net)
            return 1;
    return 0;
}

static int v6_forbidden(const unsigned char *b)
{
    static const unsigned char zero[16] = {0};
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    uint32_t v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
    /* an IPv4 address written as IPv6 reaches that IPv4 host */
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 || memcmp(b, zero, 12) == 0)
        return memcmp(b, zero, 16) == 0 || v4_forbidden(v4) ||
               (memcmp(b, zero, 12) == 0 && v4 == 1); /* ::, ::1 */
    /* prefixes that carry an IPv4 address inside, where a relay may route them: 6to4
     * (2002:V4ADDR::/48) and Teredo (2001:0::/32, the client's address inverted); the local-use
     * NAT64 prefix 64:ff9b:1::/48 has no fixed place for it: all of it is refused */
    if (b[0] == 0x20 && b[1] == 0x02)
        return v4_forbidden((uint32_t)b[2] << 24 | (uint32_t)b[3] << 16 | (uint32_t)b[4] << 8 |
                            b[5]);
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
        return v4_forbidden(~v4);
    if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1)
        return 1;
    return (b[0] & 0xfe) == 0xfc ||                   /* fc00::/7 unique local */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) || /* fe80::/10 link-local */
           (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) || /* fec0::/10 old site-local */
           b[0] == 0xff;                              /* multicast */
}

int webhook_addr_forbidden(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return v4_forbidden(ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr));
    if (sa->sa_family == AF_INET6)
        return v6_forbidden(((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr);
    return 1; /* nothing else is HTTP */
}

/* The host as an address when it is a literal: 1 with *sa filled, 0 for a name. inet_aton
 * takes every form a URL parser or resolver might (2130706433, 0177.0.0.1, 0x7f.1). */
static int host_literal(const char *host, struct sockaddr_storage *sa)
{
    char inner[64];
    size_t n = strlen(host);
    memset(sa, 0, sizeof *sa);
    if (host[0] == '[' && n > 2 && n - 2 < sizeof inner && host[n - 1] == ']') {
        memcpy(inner, host + 1, n - 2);
        inner[n - 2] = '\0';
        inner[strcspn(inner, "%")] = '\0'; /* a zone id */
        sa->ss_family = AF_INET6;
        return inet_pton(AF_INET6, inner, &((struct sockaddr_in6 *)sa)->sin6_addr) == 1;
    }
    sa->ss_family = AF_INET;
    return inet_aton(host, &((struct sockaddr_in *)sa)->sin_addr) != 0;
}

static int name_is_local(const char *host)
{
    size_t n = strlen(host);
    return strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0 ||
           (n > 10 && strcasecmp(host + n - 10, ".localhost") == 0) ||
           (n > 11 && strcasecmp(host + n - 11, ".localhost.") == 0);
}

/* WEBHOOK_URL_FORBIDDEN when host is, or resolves to, a forbidden address */
static enum webhook_url_verdict host_check(const char *host, char *why, size_t len)
{
    struct sockaddr_storage sa;
    struct addrinfo hints, *res = NULL;
    enum webhook_url_verdict v = WEBHOOK_URL_OK;
    if (host_literal(host, &sa)) {
        if (webhook_addr_forbidden((struct sockaddr *)&sa)) {
            snprintf(why, len,
                     "the host %s is a loopback, private, link-local or other "
                     "non-public address",
                     host);
            return WEBHOOK_URL_FORBIDDEN;
        }
        return WEBHOOK_URL_OK;
    }
    if (name_is_local(host)) {
        snprintf(why, len, "the host %s names this machine", host);
        return WEBHOOK_URL_FORBIDDEN;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0)
        return WEBHOOK_URL_OK; /* the connection's address is checked at every delivery */
    for (struct addrinfo *a = res; a && v == WEBHOOK_URL_OK; a = a->ai_next)
        if (webhook_addr_forbidden(a->ai_addr)) {
            snprintf(why, len, "the host %s resolves to a non-public address", host);
            v = WEBHOOK_URL_FORBIDDEN;
        }
    freeaddrinfo(res);
    return v;
}

enum webhook_url_verdict webhook_url_check(const char *url, int allow_private, char *why,
                                           size_t len)
{
    enum webhook_url_verdict v = WEBHOOK_URL_INVALID;
    char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
    CURLU *u = curl_url();
    snprintf(why, len, "must be an absolute http or https URL");
    if (!u || strlen(url) > WEBHOOK_URL_MAX || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto cleanup;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        goto cleanup;
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK) {
        snprintf(why, len, "must not contain a user name or password");
        goto cleanup;
    }
    /* curl reads "http:///x" as host x: the URL must say its host where a reader looks */
    const char *sep = strstr(url, "://");
    if (!sep || sep[3] == '/' || sep[3] == '\\' ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
        snprintf(why, len, "must name a host");
        goto cleanup;
    }
    v = allow_private ? WEBHOOK_URL_OK : host_check(host, why, len);
cleanup:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_url_cleanup(u);
    return v;
}
