/* Obscene words and insults: the lexicon's roots in every spelling of a word, the е-б root
 * after a prefix, words masked with stars or cut into pieces (moderation_lexicon.c holds the
 * words). */
#include <string.h>

#include "moderation_scan.h"

/* The obscene е-б root after a prefix ("заебал", "уебок") but not inside other words
 * ("хлебать", "колебания", "небеса"). */
static int obscene_eb(const struct scan *s, const uint32_t *w, size_t n)
{
    size_t at = 0;
    while (at + 1 < n && !(w[at] == 0x0435 && w[at + 1] == 0x0431))
        at++;
    if (at + 1 >= n) /* no е-б at all: the common case */
        return 0;
    static const uint32_t follow[] = {0x0430, 0x0443, 0x043B, 0x043D, 0x0442, 0x0438,
                                      0x044B, 0x044C, 0x0448, 0x0435, 0x0451, 0x043E};
    const struct lex_set *pre = &s->lex->obscene_prefixes;
    for (size_t p = 0; p < pre->n; p++) {
        size_t pl = pre->words[p].len;
        if (pl + 2 > n || memcmp(w, pre->words[p].cp, pl * sizeof *w) != 0)
            continue;
        if (w[pl] != 0x0435 || w[pl + 1] != 0x0431) /* е б */
            continue;
        if (pl + 2 == n)
            return pl > 0;
        for (size_t f = 0; f < sizeof follow / sizeof follow[0]; f++)
            if (w[pl + 2] == follow[f])
                return 1;
    }
    return 0;
}

static void profanity_in(struct scan *s, const struct mt_token *tok, const struct variants *vp)
{
    struct variants own;
    uint32_t spare[3 * VARIANT_MAX];
    if (!vp) {
        ms_make_variants(s, tok, &own, spare);
        vp = &own;
    }
    const struct variants *v = vp;
    /* the exclusions ("страхуй", "сукно") are asked only of a word that matched: most words
     * match nothing, and the exclusions' "contains" words cost a look at every letter */
    size_t first = 0;
    while (first < v->n && !ms_in_set(v->w[first], v->len[first], &s->lex->profanity) &&
           !obscene_eb(s, v->w[first], v->len[first]))
        first++;
    if (first == v->n)
        return;
    /* a spelling up to the first obscene one may be an excluded word (as when each spelling
     * was asked the exclusions first) */
    for (size_t k = 0; k <= first; k++)
        if (ms_in_set(v->w[k], v->len[k], &s->lex->profanity_exclusions))
            return;
    ms_add_token(s, MOD_PROFANITY, tok);
}

/* Is the text between words a and a + 1 a short run of dots, dashes or underscores (no
 * space), the way a word is cut to slip past a filter ("на.ху.й", "ху-й-ня", "пи...ц")? */
static size_t cut_between(const struct mt_text *t, size_t a)
{
    size_t from = t->tok[a].last, to = t->tok[a + 1].first;
    if (to - from == 0 || to - from > 3)
        return 0;
    for (size_t k = from; k < to; k++)
        if (t->norm[k] != '.' && t->norm[k] != '-' && t->norm[k] != '_')
            return 0;
    return to - from;
}

#define CUT_WORD_MAX 16

static int cut_piece(const struct mt_token *tok)
{
    return tok->len <= 3 && tok->script != MT_DIGITS;
}

/* A word cut into pieces of up to three letters is read twice: the pieces joined ("нахуй"),
 * and with each cut standing for hidden letters, as '*' does inside a word ("пи***ц"). */
static void profanity_cut(struct scan *s)
{
    const struct mt_text *t = s->t;
    for (size_t i = 0; i + 1 < t->ntok; i++) {
        if (!cut_piece(&t->tok[i]))
            continue;
        uint32_t joined[CUT_WORD_MAX], hidden[CUT_WORD_MAX];
        const uint32_t *w = t->tokbuf + t->tok[i].off;
        size_t nj = t->tok[i].len, nh = nj, k = i, cut;
        memcpy(joined, w, nj * sizeof *w);
        memcpy(hidden, w, nh * sizeof *w);
        while (k + 1 < t->ntok && (cut = cut_between(t, k)) && cut_piece(&t->tok[k + 1]) &&
               nh + cut + t->tok[k + 1].len <= CUT_WORD_MAX) {
            const struct mt_token *next = &t->tok[++k];
            w = t->tokbuf + next->off;
            for (size_t c = 0; c < cut; c++)
                hidden[nh++] = '*';
            memcpy(joined + nj, w, next->len * sizeof *w);
            memcpy(hidden + nh, w, next->len * sizeof *w);
            nj += next->len;
            nh += next->len;
        }
        if (k == i || ms_in_set(joined, nj, &s->lex->profanity_exclusions))
            continue;
        if (ms_in_set(joined, nj, &s->lex->profanity) || obscene_eb(s, joined, nj) ||
            ms_in_set(hidden, nh, &s->lex->profanity)) {
            ms_add_tokens(s, MOD_PROFANITY, i, k);
            i = k;
        }
    }
}

void ms_detect_profanity(struct scan *s)
{
    for (size_t i = 0; i < s->t->ntok; i++)
        profanity_in(s, &s->t->tok[i], &s->tv[i]);
    for (size_t i = 0; i < s->t->nmerged; i++)
        profanity_in(s, &s->t->merged[i], NULL);
    profanity_cut(s);
}
