#ifndef SD_URI_H
#define SD_URI_H

#include <stddef.h>

/* Limits of a request target. A longer target answers 414; more parameters or segments
 * answer 400. No route has more than six segments or takes more than a dozen parameters. */
#define URI_MAX_BYTES    8192
#define URI_MAX_SEGMENTS 16
#define URI_MAX_PARAMS   32

typedef enum {
    URI_OK = 0,
    URI_TOO_LONG,       /* over URI_MAX_BYTES */
    URI_NOT_ORIGIN,     /* not "/path[?query]" or "http://authority/path[?query]" ("*", a
                           fragment) */
    URI_BAD_CHAR,       /* a control character, space or DEL, raw */
    URI_BAD_ESCAPE,     /* '%' not followed by two hex digits */
    URI_NUL,            /* %00: would cut the value short */
    URI_BAD_UTF8,       /* the decoded bytes are not UTF-8 */
    URI_TOO_MANY_PARTS, /* segments or parameters over the limits */
    URI_EMPTY_NAME,     /* "?=x" or "?&" */
    URI_DUPLICATE,      /* a parameter given twice: which one counts would be a guess */
    URI_NO_MEMORY,
} uri_status;

struct uri_param {
    const char *name, *value; /* decoded, NUL-terminated, valid UTF-8 */
};

/* A request target split and percent-decoded strictly: nothing is dropped, cut or guessed;
 * anything ambiguous is an error instead. The strings live in buf. */
struct uri {
    char *buf;
    const char *segments[URI_MAX_SEGMENTS]; /* path segments, decoded ("" for "//") */
    int nsegments;
    struct uri_param params[URI_MAX_PARAMS];
    int nparams;
};

/* Parses raw (as received). On an error, where names the offending part for the problem's
 * errors[].field ("path", or the parameter's name, sanitised), and out holds nothing to free. */
uri_status uri_parse(const char *raw, struct uri *out, char *where, size_t wherelen);
void uri_free(struct uri *u);
/* The origin-form part of raw ("/path?query"): raw itself, or in the absolute-form
 * ("http://host/path?query", RFC 9112 section 3.2.2) what follows the authority; NULL when
 * there is none. */
const char *uri_origin_form(const char *raw);
/* The parameter's value, or NULL when absent. */
const char *uri_param(const struct uri *u, const char *name);
/* One sentence for a problem's detail. */
const char *uri_status_text(uri_status s);

#endif
