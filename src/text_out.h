#ifndef SD_TEXT_OUT_H
#define SD_TEXT_OUT_H

#include <stddef.h>
#include <string.h>

/* Text written into a fixed buffer, for what is made on every request (an answer's head, the
 * access line): snprintf interprets its format on every call, and eight calls were 6,200
 * instructions of a product read (bench/README.md, "The request path, twelfth step"). What does
 * not fit is cut and remembered in over. */
struct text_out {
    char *p, *end;
    int over;
};

static inline struct text_out text_out_of(char *buf, size_t len)
{
    return (struct text_out){buf, buf + len, 0};
}

static inline void text_put(struct text_out *t, const char *s, size_t n)
{
    size_t room = (size_t)(t->end - t->p);
    if (n > room) {
        n = room;
        t->over = 1;
    }
    memcpy(t->p, s, n);
    t->p += n;
}

/* (a literal's length is known when compiling) */
#define text_lit(t, literal) text_put((t), literal, sizeof(literal) - 1)

static inline void text_str(struct text_out *t, const char *s)
{
    text_put(t, s, strlen(s));
}

/* v in decimal, with leading zeros up to min_digits. */
static inline void text_uint(struct text_out *t, unsigned long long v, int min_digits)
{
    char d[24];
    int n = 0;
    do {
        d[sizeof d - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while ((v || n < min_digits) && n < (int)sizeof d);
    text_put(t, d + sizeof d - n, (size_t)n);
}

static inline size_t text_len(const struct text_out *t, const char *buf)
{
    return (size_t)(t->p - buf);
}

#endif
