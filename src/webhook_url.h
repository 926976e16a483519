#ifndef SD_WEBHOOK_URL_H
#define SD_WEBHOOK_URL_H

/* What a webhook may be sent to. No database, no HTTP server: api/webhooks.c checks the URL a
 * seller gives, src/webhook_delivery.c checks each address it is about to connect to (so a
 * name that resolves somewhere else later, DNS rebinding, is caught too). */
#include <stddef.h>
#include <sys/socket.h>

#define WEBHOOK_URL_MAX 2048

enum webhook_url_verdict {
    WEBHOOK_URL_OK,
    WEBHOOK_URL_INVALID,   /* not an http(s) URL with a host and without user info */
    WEBHOOK_URL_FORBIDDEN, /* its host is (or resolves to) an address of the list below */
};

/* 1 when the address is one a webhook must not reach: loopback, unspecified, link-local,
 * private, CGNAT, multicast, broadcast and reserved IPv4, and the IPv6 forms of those
 * (IPv4-mapped, IPv4-compatible, NAT64 ones are judged by their IPv4 address). */
int webhook_addr_forbidden(const struct sockaddr *sa);

/* Checks url: WEBHOOK_URL_INVALID or _FORBIDDEN with a reason in why (for the client), or
 * WEBHOOK_URL_OK. A host that is an IP literal in any form (dotted, decimal, octal, hex,
 * bracketed IPv6) is judged as that address; a name is resolved and refused when any of its
 * addresses is forbidden, accepted when it does not resolve (each delivery checks again).
 * allow_private skips the address rule. */
enum webhook_url_verdict webhook_url_check(const char *url, int allow_private, char *why,
                                           size_t len);

#endif
