#include "chat_template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[CHAT_PH__COUNT] = {"buyer_name", "seller_name", "posting_number",
                                                  "product_name"};

const char *chat_placeholder_name(enum chat_placeholder p)
{
    return p < CHAT_PH__COUNT ? names[p] : "";
}

/* Length of "{name}" at s when it has the shape of a placeholder, else 0. */
static size_t placeholder_at(const char *s)
{
    size_t n = 1;
    if (s[0] != '{')
        return 0;
    while ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_')
        n++;
    return n > 1 && s[n] == '}' ? n + 1 : 0;
}

static int placeholder_find(const char *s, size_t len)
{
    for (int i = 0; i < CHAT_PH__COUNT; i++)
        if (strlen(names[i]) == len - 2 && memcmp(names[i], s + 1, len - 2) == 0)
            return i;
    return -1;
}

int chat_template_check(const char *text, char *bad, size_t badlen)
{
    for (const char *s = text; *s; s++) {
        size_t len = placeholder_at(s);
        if (len && placeholder_find(s, len) < 0) {
            snprintf(bad, badlen, "%.*s", (int)(len - 2), s + 1);
            return -1;
        }
    }
    return 0;
}

char *chat_template_fill(const char *text, const struct chat_template_values *vals,
                         const char **missing)
{
    size_t cap = strlen(text) + 1, used = 0;
    char *out = NULL;
    *missing = NULL;
    /* two passes: measure, then write */
    for (int pass = 0; pass < 2; pass++) {
        used = 0;
        for (const char *s = text; *s;) {
            size_t len = placeholder_at(s);
            int ph = len ? placeholder_find(s, len) : -1;
            const char *piece = s;
            size_t plen = 1;
            if (ph >= 0) {
                if (!vals->v[ph]) {
                    *missing = names[ph];
                    free(out);
                    return NULL;
                }
                piece = vals->v[ph];
                plen = strlen(piece);
            }
            if (out)
                memcpy(out + used, piece, plen);
            used += plen;
            s += ph >= 0 ? len : 1;
        }
        if (!out) {
            cap = used + 1;
            out = malloc(cap);
            if (!out)
                return NULL;
        }
    }
    out[used] = '\0';
    return out;
}
