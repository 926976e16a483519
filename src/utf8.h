#ifndef SD_UTF8_H
#define SD_UTF8_H

#include <stddef.h>

/* Texts here are valid UTF-8 (Jansson guarantees it for JSON strings). */

/* Characters, not bytes: the unit of every length limit of the API. */
size_t utf8_length(const char *s);
/* Nothing but white space, Unicode's included (no-break and ideographic spaces, zero-width
 * characters): a text that shows nothing. */
int utf8_blank(const char *s);
/* After snprintf truncated s, drops a character it cut in the middle (JSON and PostgreSQL
 * refuse invalid UTF-8). */
void utf8_cut(char *s);
/* n bytes of s are well-formed UTF-8: no overlong forms, surrogates or code points past
 * U+10FFFF. NUL bytes pass; callers that need C strings check for them. */
int utf8_valid(const char *s, size_t n);

#endif
