#ifndef SD_FRONT_HEAD_H
#define SD_FRONT_HEAD_H

#include <stddef.h>

#include "head.h"

/* The front's reading of a request head (api/front.h): a GET of HTTP/1.1 whose fields are all
 * plain "token: value" lines, with no Content-Length, Transfer-Encoding, Expect or Upgrade.
 * Anything else is another kind of request, for libmicrohttpd and the server's checks there;
 * so what is taken here is a subset of what they take, read the same way. */
struct front_head {
    int nf;         /* fields in f */
    int close_req;  /* a Connection field names "close" */
    size_t scanned; /* of a partial head, the bytes already searched for its end */
    struct head_field f[HEAD_MAX_FIELDS]; /* pointing into the parsed bytes */
};

enum front_kind { FRONT_PLAIN, FRONT_PARTIAL, FRONT_OTHER };

/* The first head among the n bytes at b (b[n] readable, at most max of them are peeked):
 * plain (its target, fields and Connection: close in h, parsed in place: NUL bytes where the
 * target, names and values end; *len the head's bytes; *bytes the fields' count for
 * head_check_size), partial (nothing written), or another kind of request. */
enum front_kind front_head_parse(struct front_head *h, char *b, size_t n, size_t max, char **target,
                                 size_t *len, size_t *bytes);
/* A field's value (the first of that name, case-insensitive), or NULL. */
const char *front_head_field(const struct front_head *h, const char *name);

#endif
