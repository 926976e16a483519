#ifndef SD_MODERATION_H
#define SD_MODERATION_H

#include <stddef.h>

/* The content-safety engine: pure, thread-safe, no database, no HTTP.
 * Hard rules refuse a text; soft rules let it through flagged for a human moderator. */
typedef enum {
    MOD_PHONE = 0,
    MOD_EMAIL,
    MOD_URL,
    MOD_MESSENGER,
    MOD_PAYMENT_OFF_PLATFORM,
    MOD_CARD_NUMBER,
    MOD_CREDENTIALS_REQUEST,
    MOD_OFFSITE_SALE,
    MOD_PROFANITY,
    MOD_CAPS, /* first soft rule */
    MOD_PUNCTUATION,
    MOD_EMOJI,
    MOD_REPEATED_CHARS,
    MOD_RULE__COUNT
} mod_rule;

#define MOD_MAX_CHARS    20000 /* longer texts are not checked: the caller refuses them */
#define MOD_MAX_FINDINGS 32
#define MOD_FRAGMENT_MAX 128 /* bytes of the original text kept per finding */

struct mod_finding {
    mod_rule rule;
    int hard;
    size_t start, end; /* character (code point) offsets into the original text, end exclusive */
    char fragment[MOD_FRAGMENT_MAX]; /* the original text of [start, end), cut at a character */
};

struct mod_result {
    int allowed; /* no hard finding */
    size_t nfindings;
    struct mod_finding findings[MOD_MAX_FINDINGS];
};

struct mm_model; /* the learned second opinion (src/moderation_model.h) */

/* The platform's own domains: links to them (and their subdomains) are allowed; and its own
 * names ("Ozon", "Озон", any case, with a case ending): never a rival marketplace. */
struct mod_config {
    const char *const *allowed_domains;
    size_t nallowed;
    const char *const *platform_names;
    size_t nnames;
    /* NULL: the rules alone. Otherwise the model may refuse what they missed and overrule a
     * finding that rests on words or phrases only (never a number, address, link or obscenity,
     * nor anything in a text that holds one). */
    const struct mm_model *model;
};

typedef enum { MOD_OK = 0, MOD_TOO_LONG, MOD_BAD_UTF8 } mod_status;

/* Checks len bytes of UTF-8 text. out is fully written on MOD_OK. */
mod_status mod_check(const struct mod_config *cfg, const char *text, size_t len,
                     struct mod_result *out);

/* What the rules alone found, for the trainer (tools/modtrain.c): bit r of hard for each hard
 * rule found, of by_words for each found only by words or phrases (those the model may
 * overrule). */
struct mod_rules_view {
    unsigned hard, by_words;
};
mod_status mod_check_rules(const struct mod_config *cfg, const char *text, size_t len,
                           struct mod_rules_view *view);

/* The learned model linked into the binary, or NULL with *why when its data is malformed. */
const struct mm_model *mod_builtin_model(const char **why);

const char *mod_rule_name(mod_rule rule);
int mod_rule_is_hard(mod_rule rule);
/* The rule of a name, or MOD_RULE__COUNT. */
mod_rule mod_rule_parse(const char *name);

#endif
