#ifndef SD_CHAT_TEMPLATE_H
#define SD_CHAT_TEMPLATE_H

#include <stddef.h>

/* Placeholders of canned replies, filled from the chat a template is sent in. */
enum chat_placeholder {
    CHAT_PH_BUYER_NAME,
    CHAT_PH_SELLER_NAME,
    CHAT_PH_POSTING_NUMBER,
    CHAT_PH_PRODUCT_NAME,
    CHAT_PH__COUNT
};

struct chat_template_values {
    const char *v[CHAT_PH__COUNT]; /* NULL: this chat has no such value */
};

const char *chat_placeholder_name(enum chat_placeholder p); /* "buyer_name" */
/* 0 when every {name} in text is a known placeholder; otherwise -1 with the first unknown
 * name (without braces) in bad. Braces around anything but [a-z_] are plain text. */
int chat_template_check(const char *text, char *bad, size_t badlen);
/* text with its placeholders replaced (malloc'd); NULL with *missing naming the placeholder
 * this chat has no value for. */
char *chat_template_fill(const char *text, const struct chat_template_values *vals,
                         const char **missing);

#endif
