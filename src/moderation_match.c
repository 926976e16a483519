#include "moderation_scan.h"

#include <stdlib.h>
#include <string.h>

/* ---- findings ---------------------------------------------------------------------------- */

void ms_add(struct scan *s, mod_rule rule, size_t ostart, size_t oend)
{
    struct mod_result *r = s->out;
    for (size_t i = 0; i < r->nfindings; i++) {
        struct mod_finding *f = &r->findings[i];
        if (f->rule == rule && ostart <= f->end && oend >= f->start) {
            f->start = ostart < f->start ? ostart : f->start;
            f->end = oend > f->end ? oend : f->end;
            s->by_words[i] &= (unsigned char)s->words_phase;
            return;
        }
    }
    if (r->nfindings == MOD_MAX_FINDINGS)
        return;
    s->by_words[r->nfindings] = (unsigned char)s->words_phase;
    struct mod_finding *f = &r->findings[r->nfindings++];
    f->rule = rule;
    f->hard = mod_rule_is_hard(rule);
    f->start = ostart;
    f->end = oend;
}

void ms_add_norm(struct scan *s, mod_rule rule, size_t nfirst, size_t nlast)
{
    ms_add(s, rule, s->t->norm_orig[nfirst], s->t->norm_orig[nlast - 1] + 1);
}

void ms_add_tokens(struct scan *s, mod_rule rule, size_t first_tok, size_t last_tok)
{
    ms_add(s, rule, s->t->tok[first_tok].ostart, s->t->tok[last_tok].oend);
}

void ms_add_token(struct scan *s, mod_rule rule, const struct mt_token *tok)
{
    ms_add(s, rule, tok->ostart, tok->oend);
}

/* ---- word matching ----------------------------------------------------------------------- */

const uint32_t *ms_tok_text(const struct scan *s, size_t i)
{
    return s->t->tokbuf + s->t->tok[i].off;
}

/* '*' in the text stands for any one letter ("х*й", "f*ck") */
static int same_at(const uint32_t *w, const struct lex_word *lw)
{
    for (size_t i = 0; i < lw->len; i++)
        if (w[i] != lw->cp[i] && !(w[i] == '*' && mt_is_letter(lw->cp[i])))
            return 0;
    return 1;
}

static int word_matches(const uint32_t *w, size_t n, const struct lex_word *lw)
{
    if (lw->mode == LEX_CONTAINS) {
        for (size_t i = 0; i + lw->len <= n; i++)
            if (same_at(w + i, lw))
                return 1;
        return 0;
    }
    if (n < lw->len || (lw->mode == LEX_EXACT && n != lw->len))
        return 0;
    return same_at(w, lw);
}

int ms_in_set(const uint32_t *w, size_t n, const struct lex_set *set)
{
    if (n == 0 || (!set->ncontains && w[0] != '*' && !(set->first_mask & LEX_MASK_BIT(w[0]))))
        return 0;
    /* "contains" words: only where a letter could start one */
    for (size_t pos = 0; set->ncontains && pos < n; pos++) {
        if (w[pos] != '*' && !(set->contains_mask & LEX_MASK_BIT(w[pos])))
            continue;
        for (size_t i = 0; i < set->ncontains; i++)
            if (pos + set->words[i].len <= n && same_at(w + pos, &set->words[i]))
                return 1;
    }
    if (w[0] == '*') { /* a masked first letter could be any word */
        for (size_t i = set->ncontains; i < set->n; i++)
            if (word_matches(w, n, &set->words[i]))
                return 1;
        return 0;
    }
    size_t lo = set->ncontains, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (set->words[mid].cp[0] < w[0])
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < set->n && set->words[lo].cp[0] == w[0]; lo++)
        if (word_matches(w, n, &set->words[lo]))
            return 1;
    return 0;
}

static int lookalike_both(uint32_t c)
{
    return c && c < 0x80 ? strchr("abcehkmoptxy", (int)c) != NULL
                         : (c == 0x0430 || c == 0x0432 || c == 0x0441 || c == 0x0435 ||
                            c == 0x043D || c == 0x043A || c == 0x043C || c == 0x043E ||
                            c == 0x0440 || c == 0x0442 || c == 0x0445 || c == 0x0443);
}

static uint32_t swap_script(uint32_t c)
{
    static const char lat[] = "abcehkmoptxy";
    static const uint32_t cyr[] = {0x0430, 0x0432, 0x0441, 0x0435, 0x043D, 0x043A,
                                   0x043C, 0x043E, 0x0440, 0x0442, 0x0445, 0x0443};
    for (size_t i = 0; i < 12; i++) {
        if (c == (uint32_t)lat[i])
            return cyr[i];
        if (c == cyr[i])
            return (uint32_t)lat[i];
    }
    return c;
}

/* The other spellings are written to spare (room for 3 * VARIANT_MAX code points); returns
 * how much of it was used. */
size_t ms_make_variants(const struct scan *s, const struct mt_token *tok, struct variants *v,
                        uint32_t *spare)
{
    const uint32_t *w = s->t->tokbuf + tok->off;
    size_t len = tok->len, all_lookalike = 1, runs = 0, used = 0;
    v->n = 1;
    v->w[0] = w;
    v->len[0] = len;
    if (len > VARIANT_MAX) {
        v->first_bit[0] = len && w[0] != '*' ? LEX_MASK_BIT(w[0]) : ~UINT64_C(0);
        v->second_bit[0] = len >= 2 && w[1] != '*' ? LEX_MASK_BIT(w[1]) : ~UINT64_C(0);
        v->any_first = v->first_bit[0];
        v->any_second = v->second_bit[0];
        return 0;
    }
    for (size_t k = 0; k < len; k++) {
        all_lookalike &= lookalike_both(w[k]) || w[k] == '*';
        runs += k >= 2 && w[k] == w[k - 1] && w[k] == w[k - 2];
    }
    if (all_lookalike && len >= 3) {
        uint32_t *out = spare + used;
        for (size_t k = 0; k < len; k++)
            out[k] = swap_script(w[k]);
        v->w[v->n] = out;
        v->len[v->n++] = len;
        used += len;
    }
    /* "п@здец": the symbol may stand for any letter, not only the one it looks like */
    size_t masked = 0;
    if (!tok->merged)
        for (size_t k = tok->first; k < tok->last; k++)
            masked += s->t->norm[k] == '@' || s->t->norm[k] == '$';
    if (masked && tok->last - tok->first == len) {
        uint32_t *out = spare + used;
        for (size_t k = 0; k < len; k++) {
            uint32_t c = s->t->norm[tok->first + k];
            out[k] = c == '@' || c == '$' ? '*' : w[k];
        }
        v->w[v->n] = out;
        v->len[v->n++] = len;
        used += len;
    }
    if (runs) { /* "fuuuuck": squeeze stretched letters */
        uint32_t *out = spare + used;
        size_t m = 0;
        for (size_t k = 0; k < len; k++)
            if (m == 0 || w[k] != out[m - 1])
                out[m++] = w[k];
        v->w[v->n] = out;
        v->len[v->n++] = m;
        used += m;
    }
    for (size_t k = 0; k < v->n; k++) {
        v->first_bit[k] =
            v->len[k] == 0 || v->w[k][0] == '*' ? ~UINT64_C(0) : LEX_MASK_BIT(v->w[k][0]);
        v->second_bit[k] =
            v->len[k] < 2 || v->w[k][1] == '*' ? ~UINT64_C(0) : LEX_MASK_BIT(v->w[k][1]);
    }
    v->any_first = v->any_second = 0;
    for (size_t k = 0; k < v->n; k++) {
        v->any_first |= v->first_bit[k];
        v->any_second |= v->second_bit[k];
    }
    return used;
}

int ms_variants_in_set(const struct variants *v, const struct lex_set *set)
{
    for (size_t k = 0; k < v->n; k++)
        if ((set->ncontains ||
             ((set->first_mask & v->first_bit[k]) && (set->second_mask & v->second_bit[k]))) &&
            ms_in_set(v->w[k], v->len[k], set))
            return 1;
    return 0;
}

int ms_tok_in_set(const struct scan *s, const struct mt_token *tok, const struct lex_set *set)
{
    struct variants v;
    uint32_t spare[3 * VARIANT_MAX];
    ms_make_variants(s, tok, &v, spare);
    return ms_variants_in_set(&v, set);
}

/* ---- the words around a number ---------------------------------------------------------- */

/* Is the number at normalized index `first` labelled by a word of set (or by №/#)? */
int ms_labelled_as(const struct scan *s, size_t first, const struct lex_set *set)
{
    const struct mt_text *t = s->t;
    size_t back = first, seen = 0;
    /* "№ 123", "#123" */
    while (back > 0 && seen < 4) {
        uint32_t c = t->norm[--back];
        if (c == 0x2116 || c == '#')
            return 1;
        if (mt_is_letter(c) || mt_is_digit(c))
            break;
        seen++;
    }
    size_t ti = 0, found = 0;
    while (ti < t->ntok && t->tok[ti].last <= first)
        ti++;
    /* five words back ("трек-номер в приложении 100...", "серийный номер на корпусе SN ..."),
     * unless a call is asked for nearer ("накладную и наберите меня 8916...") */
    for (size_t k = ti; k > 0 && found < 5; k--, found++) {
        if (ms_token_in_set(s, k - 1, set))
            return 1;
        /* (a card is labelled by "IMEI моего телефона" all the same) */
        if (set == &s->lex->number_context && ms_token_in_set(s, k - 1, &s->lex->call_words))
            return 0;
    }
    return 0;
}

/* Is a word of set within four words before normalized index first ("звоните", "карта")? */
int ms_said_before(const struct scan *s, size_t first, const struct lex_set *set)
{
    const struct mt_text *t = s->t;
    size_t ti = 0;
    while (ti < t->ntok && t->tok[ti].last <= first)
        ti++;
    for (size_t k = ti, seen = 0; k > 0 && seen < 4; k--, seen++)
        if (ms_token_in_set(s, k - 1, set))
            return 1;
    return 0;
}

/* ... or within four words after normalized index last ("4276 ... — на эту карту") */
int ms_said_around(const struct scan *s, size_t first, size_t last, const struct lex_set *set)
{
    const struct mt_text *t = s->t;
    size_t ti = 0;
    while (ti < t->ntok && t->tok[ti].first < last)
        ti++;
    for (size_t k = ti; k < t->ntok && k < ti + 4; k++)
        if (ms_token_in_set(s, k, set))
            return 1;
    return ms_said_before(s, first, set);
}

int ms_short_gap(const struct mt_text *t, size_t from, size_t to)
{
    if (to - from > 4)
        return 0;
    for (size_t i = from; i < to; i++)
        if (t->norm[i] == '\n')
            return 0;
    return 1;
}
