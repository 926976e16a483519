#ifndef SD_MODERATION_LEXICON_H
#define SD_MODERATION_LEXICON_H

/* Internal to the content-safety engine: word lists, compiled once to code points. */

#include <stddef.h>
#include <stdint.h>

#include "moderation.h"

#define LEX_WORD_MAX 24

enum { LEX_EXACT = 0, LEX_PREFIX = 1, LEX_CONTAINS = 2 };

struct lex_word {
    uint32_t cp[LEX_WORD_MAX];
    uint8_t len, mode;
};

/* Words sorted: "contains" words first, then by first letter, so a lookup only compares the
 * words that start with the word's first letter. */
struct lex_set {
    const struct lex_word *words;
    size_t n;
    size_t ncontains;
    uint64_t first_mask;    /* bit (first letter % 64) of every word: a quick "surely not" */
    uint64_t contains_mask; /* the same for the "contains" words only */
    uint64_t second_mask;   /* the same for the second letter (all bits for a one-letter word) */
    int platform; /* a phrase step written "@platform": the platform's configured names too */
};

#define LEX_MASK_BIT(c) (UINT64_C(1) << ((c)&63))

/* A phrase: steps matched in order, each within `gap` words of the previous one; when
 * `context` is set, one of its words must also stand within `context_gap` words of the match,
 * on either side ("На Авито у меня ... дешевле"). */
#define LEX_MAX_STEPS    4
#define LEX_PHRASE_WORDS 4 /* at most 256 phrases */
#define LEX_MAX_PHRASES  (64 * LEX_PHRASE_WORDS)

/* A phrase as written in moderation_phrases.c: each step and the context are alternatives
 * "a|b*|~c" (see the word lists); "@platform" in a step stands for the platform's names. */
struct lex_phrase_src {
    mod_rule rule;
    int gap;
    const char *steps[LEX_MAX_STEPS];
    const char *context;
    int context_gap;
};
extern const struct lex_phrase_src lex_phrase_src[];
extern const size_t lex_nphrase_src;
struct lex_phrase {
    mod_rule rule;
    int gap;
    size_t nsteps;
    struct lex_set steps[LEX_MAX_STEPS];
    struct lex_set context;
    int context_gap;
};

struct lexicon {
    struct lex_set messenger_words;    /* whole words: whatsapp, телега, tg ... */
    struct lex_set messenger_joinable; /* long names also found split over words: "whats app" */
    struct lex_set profanity;
    struct lex_set profanity_exclusions; /* words that merely contain a root */
    struct lex_set obscene_prefixes;     /* за-, вы-, от- ... before the еб- root */
    struct lex_set number_context;       /* №-like words before a number: not a phone */
    struct lex_set email_at, email_dot;  /* "собака", "(at)"; "точка", "dot" */
    struct lex_set email_bare_at;        /* "at" without brackets: only before a mail host */
    struct lex_set email_on;             /* "на", "on": '@' between a login and a mail host */
    struct lex_set mail_hosts;           /* gmail, yandex, mail ... */
    struct lex_set phone_context;        /* "звоните", "phone": the number is a phone */
    struct lex_set plus_words;           /* "плюс", "plus" */
    struct lex_set negations;            /* "не", "not" right before: the phrase is a warning */
    struct lex_set negations_wide;       /* "никому", "never" near, before or after */
    struct lex_set conditionals;         /* "если" ... */
    struct lex_set fraud_words;          /* ... "мошенники": a warning about fraud */
    struct lex_set auxiliaries;          /* "буду", "will": between a negation and a verb */
    struct lex_set negations_aux;        /* "won", "cant": negations before an auxiliary */
    struct lex_set messenger_features; /* "уведомления": a messenger as a product feature */
    struct lex_set contact_verbs;      /* "пишите", "add me": ... unless asked to go there */
    struct lex_set code_objects;       /* "код цвета": the code of a thing, no secret */
    struct lex_set short_ask_payment; /* "По СБП можно?": a means of paying asked for */
    struct lex_set short_ask_credentials; /* "Код?", "CVV?": a secret asked for */
    struct lex_set short_ask_platform;    /* ...unless the question is about the platform */
    struct lex_set refusal_verbs; /* "(не) принимаем": a negation after the phrase */
    struct lex_set report_words;  /* "жалоба", "reported": a report, no request */
    struct lex_set report_who, report_did; /* "кто-то написал", "you asked" */
    struct lex_set only_words, only_where; /* "только здесь", "only through" */
    struct lex_set otherwise_words;        /* "по-другому (не работаем)" */
    struct lex_set card_context; /* "штрихкод", "артикул": not a card number */
    struct lex_set card_words;   /* "карта", "visa": the number after them is a card's */
    struct lex_set call_words; /* "наберите", "call": a call asked for, nearer than a label */
    struct lex_set currency_words; /* "руб", "usd": the digits before them are a price */
    struct lex_set pay_words;      /* "переведите", "pay": a card given to be paid to */
    struct lex_set tlds;
    struct lex_set number_words;
    const struct lex_phrase *phrases;
    size_t nphrases;
    /* phrase_first[b]: the phrases whose first step may match a word whose first letter has
     * mask bit b (a bit set of phrase indices), so a word is tried only against those */
    uint64_t phrase_first[64][LEX_PHRASE_WORDS];
};

/* Built on first use; immutable afterwards, so safe to share between threads. */
const struct lexicon *lex_get(void);

/* Number words: value and kind, or -1 when w is not one. */
enum { NUM_UNIT = 1, NUM_TEEN, NUM_TENS, NUM_HUNDREDS };
int lex_number_word(const uint32_t *w, size_t n, int *kind);

#endif
