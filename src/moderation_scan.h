#ifndef SD_MODERATION_SCAN_H
#define SD_MODERATION_SCAN_H

/* Internal to the content-safety engine: one check in progress, shared by its detectors
 * (moderation_numbers.c, moderation_addresses.c, moderation_profanity.c, moderation_soft.c, the
 * phrases in moderation.c), the model's second opinion (moderation_opinion.c) and the matching of
 * words against the lexicon (moderation_match.c). */

#include <stddef.h>
#include <stdint.h>

#include "moderation.h"
#include "moderation_lexicon.h"
#include "moderation_text.h"

/* The spellings of a word worth trying: as written (look-alikes already mapped into the
 * dominant script) and, for words made only of letters that exist in both alphabets, the
 * other alphabet ("cyka" is "сука"). */
#define MAX_VARIANTS 4
#define VARIANT_MAX  64
struct variants {
    size_t n;
    size_t len[MAX_VARIANTS];
    const uint32_t *w[MAX_VARIANTS];
    uint64_t first_bit[MAX_VARIANTS];  /* LEX_MASK_BIT of the first letter, all ones for '*' */
    uint64_t second_bit[MAX_VARIANTS]; /* the same for the second (all ones when none) */
    uint64_t any_first, any_second;    /* the OR of them over the spellings */
};

/* One check in progress. */
struct scan {
    struct variants *tv; /* spellings of each word of t->tok, computed once */
    const struct mod_config *cfg;
    const struct lexicon *lex;
    struct mt_text *t;
    struct mod_result *out;
    /* the normalized stream rewritten for addresses: "(at)" -> '@', "точка" -> '.' */
    uint32_t *addr;
    size_t *addr_norm; /* normalized index of each addr character */
    size_t naddr;
    size_t email_end; /* original offset up to which an e-mail was found (no url inside) */
    int reported, reported_known; /* the text reports or warns (see reported()) */
    /* findings made while words_phase is set rest on words or phrases alone (by_words[i]),
     * until another detector finds the same thing: the model may overrule only those */
    int words_phase;
    unsigned char by_words[MOD_MAX_FINDINGS];
};

/* ---- findings (moderation_match.c) ---- */
void ms_add(struct scan *s, mod_rule rule, size_t ostart, size_t oend);
void ms_add_norm(struct scan *s, mod_rule rule, size_t nfirst, size_t nlast);
void ms_add_tokens(struct scan *s, mod_rule rule, size_t first_tok, size_t last_tok);
void ms_add_token(struct scan *s, mod_rule rule, const struct mt_token *tok);

/* ---- words against the lexicon (moderation_match.c) ---- */
const uint32_t *ms_tok_text(const struct scan *s, size_t i);
int ms_in_set(const uint32_t *w, size_t n, const struct lex_set *set);
size_t ms_make_variants(const struct scan *s, const struct mt_token *tok, struct variants *v,
                        uint32_t *spare);
int ms_variants_in_set(const struct variants *v, const struct lex_set *set);
int ms_tok_in_set(const struct scan *s, const struct mt_token *tok, const struct lex_set *set);
int ms_labelled_as(const struct scan *s, size_t first, const struct lex_set *set);
int ms_said_before(const struct scan *s, size_t first, const struct lex_set *set);
int ms_said_around(const struct scan *s, size_t first, size_t last, const struct lex_set *set);
int ms_short_gap(const struct mt_text *t, size_t from, size_t to);

/* (inline: the phrase loops ask this for every word and every phrase, and the masks of the
 * word's spellings, OR-ed once, turn most of them away before any call) */
static inline int ms_token_in_set(const struct scan *s, size_t i, const struct lex_set *set)
{
    const struct variants *v = &s->tv[i];
    if (!set->ncontains &&
        !((set->first_mask & v->any_first) && (set->second_mask & v->any_second)))
        return 0;
    return ms_variants_in_set(v, set);
}

/* ---- detectors ---- */
void ms_detect_digit_runs(struct scan *s); /* moderation_numbers.c */
void ms_detect_phone_groups(struct scan *s);
void ms_detect_spelled_numbers(struct scan *s);
void ms_build_addr(struct scan *s); /* moderation_addresses.c */
void ms_detect_emails(struct scan *s);
void ms_detect_links(struct scan *s);
void ms_detect_handles(struct scan *s);
void ms_detect_profanity(struct scan *s); /* moderation_profanity.c */
void ms_detect_soft(struct scan *s);      /* moderation_soft.c */
int ms_is_emoji(uint32_t c);
int ms_is_upper(uint32_t c);
int ms_is_lower(uint32_t c);
/* moderation_opinion.c: the hard rules found by words or phrases alone, and the model's say */
unsigned ms_words_only_rules(const struct scan *s);
void ms_second_opinion(struct scan *s);

#endif
