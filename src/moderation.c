#include "moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moderation_lexicon.h"
#include "moderation_model.h"
#include "moderation_text.h"

static const struct {
    const char *name;
    int hard;
} rules[MOD_RULE__COUNT] = {
    [MOD_PHONE] = {"phone", 1},
    [MOD_EMAIL] = {"email", 1},
    [MOD_URL] = {"url", 1},
    [MOD_MESSENGER] = {"messenger", 1},
    [MOD_PAYMENT_OFF_PLATFORM] = {"payment_off_platform", 1},
    [MOD_CARD_NUMBER] = {"card_number", 1},
    [MOD_CREDENTIALS_REQUEST] = {"credentials_request", 1},
    [MOD_OFFSITE_SALE] = {"offsite_sale", 1},
    [MOD_PROFANITY] = {"profanity", 1},
    [MOD_CAPS] = {"caps", 0},
    [MOD_PUNCTUATION] = {"punctuation", 0},
    [MOD_EMOJI] = {"emoji", 0},
    [MOD_REPEATED_CHARS] = {"repeated_chars", 0},
};

const char *mod_rule_name(mod_rule r)
{
    return r < MOD_RULE__COUNT ? rules[r].name : "unknown";
}

int mod_rule_is_hard(mod_rule r)
{
    return r < MOD_RULE__COUNT && rules[r].hard;
}

mod_rule mod_rule_parse(const char *name)
{
    for (int r = 0; r < MOD_RULE__COUNT; r++)
        if (strcmp(rules[r].name, name) == 0)
            return (mod_rule)r;
    return MOD_RULE__COUNT;
}

struct variants;

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
};

/* ---- findings ---------------------------------------------------------------------------- */

static void add(struct scan *s, mod_rule rule, size_t ostart, size_t oend)
{
    struct mod_result *r = s->out;
    for (size_t i = 0; i < r->nfindings; i++) {
        struct mod_finding *f = &r->findings[i];
        if (f->rule == rule && ostart <= f->end && oend >= f->start) {
            f->start = ostart < f->start ? ostart : f->start;
            f->end = oend > f->end ? oend : f->end;
            return;
        }
    }
    if (r->nfindings == MOD_MAX_FINDINGS)
        return;
    struct mod_finding *f = &r->findings[r->nfindings++];
    f->rule = rule;
    f->hard = rules[rule].hard;
    f->start = ostart;
    f->end = oend;
}

static void add_norm(struct scan *s, mod_rule rule, size_t nfirst, size_t nlast)
{
    add(s, rule, s->t->norm_orig[nfirst], s->t->norm_orig[nlast - 1] + 1);
}

static void add_tokens(struct scan *s, mod_rule rule, size_t first_tok, size_t last_tok)
{
    add(s, rule, s->t->tok[first_tok].ostart, s->t->tok[last_tok].oend);
}

static void add_token(struct scan *s, mod_rule rule, const struct mt_token *tok)
{
    add(s, rule, tok->ostart, tok->oend);
}

/* ---- word matching ----------------------------------------------------------------------- */

static const uint32_t *tok_text(const struct scan *s, size_t i)
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

static int in_set(const uint32_t *w, size_t n, const struct lex_set *set)
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
static size_t make_variants(const struct scan *s, const struct mt_token *tok, struct variants *v,
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

static int variants_in_set(const struct variants *v, const struct lex_set *set)
{
    for (size_t k = 0; k < v->n; k++)
        if ((set->ncontains ||
             ((set->first_mask & v->first_bit[k]) && (set->second_mask & v->second_bit[k]))) &&
            in_set(v->w[k], v->len[k], set))
            return 1;
    return 0;
}

static int tok_in_set(const struct scan *s, const struct mt_token *tok, const struct lex_set *set)
{
    struct variants v;
    uint32_t spare[3 * VARIANT_MAX];
    make_variants(s, tok, &v, spare);
    return variants_in_set(&v, set);
}

/* (inline: the phrase loops ask this for every word and every phrase, and the masks of the
 * word's spellings, OR-ed once, turn most of them away before any call) */
static inline int token_in_set(const struct scan *s, size_t i, const struct lex_set *set)
{
    const struct variants *v = &s->tv[i];
    if (!set->ncontains &&
        !((set->first_mask & v->any_first) && (set->second_mask & v->any_second)))
        return 0;
    return variants_in_set(v, set);
}

/* ---- phones and card numbers ------------------------------------------------------------- */

#define DIGITS_MAX 40

struct digit_run {
    char d[DIGITS_MAX + 1];
    size_t nd, first, last; /* normalized indices [first, last) */
    int plus, groups, group_len[DIGITS_MAX], seps_ok_for_card;
};

static int luhn_ok(const char *d, size_t n)
{
    int sum = 0;
    for (size_t i = 0; i < n; i++) {
        int x = d[n - 1 - i] - '0';
        if (i % 2 == 1 && (x *= 2) > 9)
            x -= 9;
        sum += x;
    }
    return sum % 10 == 0;
}

/* Is the number at normalized index `first` labelled by a word of set (or by №/#)? */
static int labelled_as(const struct scan *s, size_t first, const struct lex_set *set)
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
        if (token_in_set(s, k - 1, set))
            return 1;
        if (token_in_set(s, k - 1, &s->lex->call_words))
            return 0;
    }
    return 0;
}

/* Is a word of set within four words before normalized index first ("звоните", "карта")? */
static int said_before(const struct scan *s, size_t first, const struct lex_set *set)
{
    const struct mt_text *t = s->t;
    size_t ti = 0;
    while (ti < t->ntok && t->tok[ti].last <= first)
        ti++;
    for (size_t k = ti, seen = 0; k > 0 && seen < 4; k--, seen++)
        if (token_in_set(s, k - 1, set))
            return 1;
    return 0;
}

/* ... or within four words after normalized index last ("4276 ... — на эту карту") */
static int said_around(const struct scan *s, size_t first, size_t last, const struct lex_set *set)
{
    const struct mt_text *t = s->t;
    size_t ti = 0;
    while (ti < t->ntok && t->tok[ti].first < last)
        ti++;
    for (size_t k = ti; k < t->ntok && k < ti + 4; k++)
        if (token_in_set(s, k, set))
            return 1;
    return said_before(s, first, set);
}

static int phone_shape(const struct digit_run *r, int context)
{
    const char *d = r->d;
    if (r->plus && r->nd >= 10 && r->nd <= 13)
        return 1;
    if (context && r->nd >= 9 && r->nd <= 13)
        return 1;
    if (r->nd == 11 && (d[0] == '7' || d[0] == '8') && strchr("3489", d[1]))
        return 1;
    return r->nd == 10 && d[0] == '9';
}

static int card_shape(const struct digit_run *r, int named)
{
    if (r->nd < 13 || r->nd > 19 || r->d[0] < '2' || r->d[0] > '6')
        return 0;
    /* four groups of four are a card's own way of writing it */
    int written_as_card = r->groups == 4 && r->group_len[0] == 4 && r->group_len[1] == 4 &&
                          r->group_len[2] == 4 && r->group_len[3] == 4;
    if (!luhn_ok(r->d, r->nd) && !(r->nd == 16 && (named || written_as_card)))
        return 0;
    /* sixteen digits that pass Luhn (or are named a card) are a card however they are cut
     * ("8+8", "6+10", "4/4/4/4", one by one); other lengths keep a card's usual grouping */
    if (r->groups == 1 || r->nd == 16)
        return 1;
    if (!r->seps_ok_for_card)
        return 0;
    /* 4-4-4-4(-3), or 4-6-5 / 4-6-4 */
    int fours = 1;
    for (int g = 0; g < r->groups - 1; g++)
        fours &= r->group_len[g] == 4;
    if (fours)
        return 1;
    return r->groups == 3 && r->group_len[0] == 4 && r->group_len[1] == 6;
}

static void judge_digits(struct scan *s, struct digit_run *r)
{
    if (r->nd < 9)
        return;
    if (card_shape(r, said_around(s, r->first, r->last, &s->lex->card_words))) {
        if (labelled_as(s, r->first, &s->lex->card_context))
            return;
        add_norm(s, MOD_CARD_NUMBER, r->first, r->last);
        /* a card given to be paid to is payment outside the platform as well */
        if (said_around(s, r->first, r->last, &s->lex->pay_words))
            add_norm(s, MOD_PAYMENT_OFF_PLATFORM, r->first, r->last);
        return;
    }
    if (!labelled_as(s, r->first, &s->lex->number_context) &&
        phone_shape(r, said_before(s, r->first, &s->lex->phone_context)))
        add_norm(s, MOD_PHONE, r->first, r->last);
}

static int is_emoji(uint32_t c);

/* an emoji between groups of digits is one more way to cut a number ("5599 💳 0020") */
static int digit_sep(uint32_t c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '_' ||
           c == '+' || c == ',' || is_emoji(c);
}

/* The digit a letter stands for inside a number, or 0: o and о for zero; i, l and the
 * Ukrainian і for one; з for three ("8-9I6-3З0-О1-22"). */
static char lookalike_digit(uint32_t c)
{
    switch (c) {
    case 'o':
    case 0x043E:
        return '0';
    case 'i':
    case 'l':
    case 0x0456:
        return '1';
    case 0x0437:
        return '3';
    default:
        return 0;
    }
}

static int is_o(uint32_t c)
{
    return lookalike_digit(c) != 0;
}

/* A digit, or a look-alike letter written for one inside a number ("9O3", "1OO", "9I6",
 * "3З0"): the word around it holds only digits and look-alikes, at least one of them a
 * digit. */
static int digit_at(const struct mt_text *t, size_t i, char *out)
{
    uint32_t c = t->norm[i];
    if (mt_is_digit(c)) {
        *out = (char)c;
        return 1;
    }
    if (!is_o(c))
        return 0;
    size_t a = i, b = i + 1, digits = 0;
    while (a > 0 && (mt_is_digit(t->norm[a - 1]) || is_o(t->norm[a - 1])))
        a--;
    while (b < t->nnorm && (mt_is_digit(t->norm[b]) || is_o(t->norm[b])))
        b++;
    if ((a > 0 && mt_is_letter(t->norm[a - 1])) || (b < t->nnorm && mt_is_letter(t->norm[b])))
        return 0;
    for (size_t k = a; k < b; k++)
        digits += mt_is_digit(t->norm[k]);
    if (!digits)
        return 0;
    *out = lookalike_digit(c);
    return 1;
}

static void detect_digit_runs(struct scan *s)
{
    const struct mt_text *t = s->t;
    size_t i = 0;
    while (i < t->nnorm) {
        char dc;
        if (!digit_at(t, i, &dc) ||
            (i > 0 && mt_is_letter(t->norm[i - 1]) && !is_o(t->norm[i - 1]))) {
            i++;
            continue;
        }
        struct digit_run r;
        memset(&r, 0, sizeof r);
        r.first = i;
        r.seps_ok_for_card = 1;
        size_t back = i;
        while (back > 0 && t->norm[back - 1] == ' ')
            back--;
        r.plus = back > 0 && t->norm[back - 1] == '+';
        if (r.plus) /* the finding starts at the '+' */
            r.first = back - 1;
        r.groups = 1;
        while (i < t->nnorm) {
            if (digit_at(t, i, &dc)) {
                if (r.nd < DIGITS_MAX)
                    r.d[r.nd++] = dc;
                r.group_len[r.groups - 1]++;
                r.last = ++i;
                continue;
            }
            size_t j = i;
            while (j < t->nnorm && digit_sep(t->norm[j]) && j - i < 3)
                j++;
            if (j == i || j >= t->nnorm || !digit_at(t, j, &dc))
                break;
            for (size_t k = i; k < j; k++)
                if (t->norm[k] != ' ' && t->norm[k] != '-' && t->norm[k] != '.')
                    r.seps_ok_for_card = 0;
            if (r.groups < DIGITS_MAX)
                r.groups++;
            i = j;
        }
        /* a digit run glued to letters ("xr2000abc") is a model name, not a number */
        if (!(r.last < t->nnorm && mt_is_letter(t->norm[r.last])))
            judge_digits(s, &r);
        i = r.last > i ? r.last : i + 1;
    }
}

/* A phone dictated in groups with words between them ("начало 8903, потом 118, в конце 40 и
 * 12"): at least three groups of up to four digits, at most three words apart, that together
 * make a phone's shape. Groups already read as one number are left to detect_digit_runs. */
#define GROUP_GAP_WORDS 3

/* a currency sign right after normalized index i (spaces between allowed) */
static int followed_by_money(const struct mt_text *t, size_t i)
{
    while (i < t->nnorm && t->norm[i] == ' ')
        i++;
    if (i >= t->nnorm)
        return 0;
    uint32_t c = t->norm[i];
    return c == 0x20BD || c == '$' || c == 0x20AC || c == 0x00A3 || c == 0x00A5 || c == 0x20B8;
}

static void detect_phone_groups(struct scan *s)
{
    const struct mt_text *t = s->t;
    for (size_t i = 0; i < t->ntok; i++) {
        if (t->tok[i].script != MT_DIGITS || t->tok[i].len > 4)
            continue;
        struct digit_run r;
        memset(&r, 0, sizeof r);
        size_t last = i, words = 0;
        int gaps = 0;
        int price = 0;
        for (size_t j = i; j < t->ntok && r.nd < 12; j++) {
            const struct mt_token *tok = &t->tok[j];
            if (tok->script != MT_DIGITS) {
                price |= words == 0 && token_in_set(s, j, &s->lex->currency_words);
                if (++words > GROUP_GAP_WORDS)
                    break;
                continue;
            }
            price |= followed_by_money(t, tok->last);
            if (tok->len > 4)
                break;
            gaps += j > i && words > 0;
            words = 0;
            for (size_t k = 0; k < tok->len && r.nd < DIGITS_MAX; k++)
                r.d[r.nd++] = (char)tok_text(s, j)[k];
            r.groups++;
            last = j;
        }
        if (r.groups >= 3 && gaps > 0 && !price && phone_shape(&r, 0) &&
            !labelled_as(s, t->tok[i].first, &s->lex->number_context)) {
            add_tokens(s, MOD_PHONE, i, last);
            i = last;
        }
    }
}

/* Numbers written in words ("восемь девятьсот шестнадцать ..."), possibly mixed with
 * digits, read the way a person would dictate a phone number. */
struct spelled {
    char d[DIGITS_MAX + 1];
    size_t nd;
    int h, t, u, teen, any;
};

static void spelled_flush(struct spelled *sp)
{
    if (!sp->any)
        return;
    char buf[8];
    int v = sp->h + sp->t + sp->u + sp->teen, n = 0;
    if (v == 0)
        buf[n++] = '0';
    else
        n = snprintf(buf, sizeof buf, "%d", v);
    for (int k = 0; k < n && sp->nd < DIGITS_MAX; k++)
        sp->d[sp->nd++] = buf[k];
    sp->h = sp->t = sp->u = sp->teen = sp->any = 0;
}

static int spelled_add(struct spelled *sp, int value, int kind)
{
    switch (kind) {
    case NUM_HUNDREDS:
        if (sp->any)
            spelled_flush(sp);
        sp->h = value;
        break;
    case NUM_TENS:
        if (sp->t || sp->u || sp->teen)
            spelled_flush(sp);
        sp->t = value;
        break;
    case NUM_TEEN:
        if (sp->t || sp->u || sp->teen)
            spelled_flush(sp);
        sp->teen = value;
        break;
    default:
        if (sp->u || sp->teen || (sp->any && value == 0))
            spelled_flush(sp);
        sp->u = value;
    }
    sp->any = 1;
    return 0;
}

/* Digits among number words: "девятьсот 16" is 916, "сто 23" is 123. */
static void spelled_digits(struct spelled *sp, const uint32_t *w, size_t n)
{
    int v = 0;
    for (size_t k = 0; k < n && k < 3; k++)
        v = v * 10 + (int)(w[k] - '0');
    if (sp->any && sp->h && !sp->t && !sp->u && !sp->teen && n <= 2 && w[0] != '0') {
        sp->u = v;
        return;
    }
    if (sp->any && sp->t && !sp->u && n == 1 && w[0] != '0') {
        sp->u = v;
        return;
    }
    spelled_flush(sp);
    for (size_t k = 0; k < n && sp->nd < DIGITS_MAX; k++)
        sp->d[sp->nd++] = (char)w[k];
}

static int short_gap(const struct mt_text *t, size_t from, size_t to)
{
    if (to - from > 4)
        return 0;
    for (size_t i = from; i < to; i++)
        if (t->norm[i] == '\n')
            return 0;
    return 1;
}

static void detect_spelled_numbers(struct scan *s)
{
    const struct mt_text *t = s->t;
    size_t i = 0;
    while (i < t->ntok) {
        size_t j = i, words = 0;
        int plus = i > 0 ? 0 : 0;
        struct spelled sp;
        memset(&sp, 0, sizeof sp);
        while (j < t->ntok) {
            const struct mt_token *tok = &t->tok[j];
            int kind = 0, value;
            if (j > i && !short_gap(t, t->tok[j - 1].last, tok->first))
                break;
            if (tok->script == MT_DIGITS) {
                spelled_digits(&sp, tok_text(s, j), tok->len);
            } else if (j == i && token_in_set(s, j, &s->lex->plus_words)) {
                plus = 1;
            } else if ((value = lex_number_word(tok_text(s, j), tok->len, &kind)) >= 0) {
                spelled_add(&sp, value, kind);
                words++;
            } else {
                break;
            }
            j++;
        }
        spelled_flush(&sp);
        if (words >= 2 && j > i) {
            struct digit_run r;
            memset(&r, 0, sizeof r);
            memcpy(r.d, sp.d, sp.nd);
            r.nd = sp.nd;
            r.first = t->tok[i].first;
            r.last = t->tok[j - 1].last;
            r.groups = 1;
            size_t back = r.first;
            while (back > 0 && t->norm[back - 1] == ' ')
                back--;
            r.plus = plus || (back > 0 && t->norm[back - 1] == '+');
            judge_digits(s, &r);
        }
        i = j > i ? j : i + 1;
    }
}

/* ---- e-mail addresses and links ---------------------------------------------------------- */

static int addr_char(uint32_t c)
{
    return mt_is_letter(c) || mt_is_digit(c) || c == '.' || c == '-' || c == '_' || c == '+' ||
           c == '%';
}

/* "at" in English prose ("photos at http://...", "log in at site.com") is not an '@'; it is
 * one in brackets, or before a mail host, or before a domain whose dots are spelled too. */
static int at_word_is_at(const struct scan *s, size_t ti)
{
    const struct mt_text *t = s->t;
    if (!token_in_set(s, ti, &s->lex->email_bare_at))
        return 1; /* "собака" */
    uint32_t before = t->tok[ti].first > 0 ? t->norm[t->tok[ti].first - 1] : ' ';
    if (before == '(' || before == '[' || before == '{' || before == '<')
        return 1;
    if (ti + 1 < t->ntok && token_in_set(s, ti + 1, &s->lex->mail_hosts))
        return 1;
    return ti + 2 < t->ntok && token_in_set(s, ti + 2, &s->lex->email_dot);
}

/* A login before word ti: the text back to the previous space holds a digit, '.' or '_'
 * ("katya.sh", "ivan85"). */
static int login_before(const struct scan *s, size_t ti)
{
    const struct mt_text *t = s->t;
    size_t k = t->tok[ti].first;
    while (k > 0 && t->norm[k - 1] == ' ')
        k--;
    int letters = 0, marks = 0;
    while (k > 0 && t->norm[k - 1] != ' ') {
        uint32_t c = t->norm[--k];
        letters += mt_is_letter(c);
        marks += mt_is_digit(c) || c == '.' || c == '_';
    }
    return letters && marks;
}

/* Builds s->addr: the normalized stream with spelled-out '@' and '.' put back. */
static void build_addr(struct scan *s)
{
    const struct mt_text *t = s->t;
    size_t ti = 0;
    s->naddr = 0;
    for (size_t i = 0; i < t->nnorm;) {
        while (ti < t->ntok && t->tok[ti].first < i)
            ti++;
        uint32_t repl = 0;
        size_t end = i;
        /* defanged "hxxps://", "[.]", "(@)": written to get past filters, read as meant */
        static const uint32_t hxxp[] = {'h', 'x', 'x', 'p'};
        if (i + 4 <= t->nnorm && memcmp(t->norm + i, hxxp, sizeof hxxp) == 0 &&
            (i == 0 || !mt_is_letter(t->norm[i - 1]))) {
            static const uint32_t http[] = {'h', 't', 't', 'p'};
            for (size_t k = 0; k < 4; k++) {
                s->addr[s->naddr] = http[k];
                s->addr_norm[s->naddr++] = i + k;
            }
            i += 4;
            continue;
        }
        if (i + 2 < t->nnorm && (t->norm[i] == '[' || t->norm[i] == '(' || t->norm[i] == '{') &&
            (t->norm[i + 1] == '.' || t->norm[i + 1] == '@') &&
            (t->norm[i + 2] == ']' || t->norm[i + 2] == ')' || t->norm[i + 2] == '}')) {
            repl = t->norm[i + 1];
            end = i + 3;
        } else if (ti < t->ntok && t->tok[ti].first == i && ti > 0 && ti + 1 < t->ntok) {
            if (token_in_set(s, ti, &s->lex->email_at) && at_word_is_at(s, ti))
                repl = '@';
            else if (token_in_set(s, ti, &s->lex->email_on) &&
                     token_in_set(s, ti + 1, &s->lex->mail_hosts) && login_before(s, ti))
                repl = '@';
            else if (token_in_set(s, ti, &s->lex->email_dot))
                repl = '.';
            end = t->tok[ti].last;
        }
        if (repl) {
            /* swallow brackets and spaces around it: "ivan (at) mail" */
            size_t a = s->naddr;
            while (a > 0 &&
                   (s->addr[a - 1] == ' ' || s->addr[a - 1] == '(' || s->addr[a - 1] == '[' ||
                    s->addr[a - 1] == '{' || s->addr[a - 1] == '<'))
                a--;
            size_t b = end;
            while (b < t->nnorm && (t->norm[b] == ' ' || t->norm[b] == ')' || t->norm[b] == ']' ||
                                    t->norm[b] == '}' || t->norm[b] == '>'))
                b++;
            if (a > 0 && addr_char(s->addr[a - 1]) && b < t->nnorm && addr_char(t->norm[b])) {
                s->naddr = a;
                s->addr[s->naddr] = repl;
                s->addr_norm[s->naddr++] = i;
                i = b;
                continue;
            }
        }
        s->addr[s->naddr] = t->norm[i];
        s->addr_norm[s->naddr++] = i;
        i++;
    }
}

static void add_addr(struct scan *s, mod_rule rule, size_t afirst, size_t alast)
{
    add_norm(s, rule, s->addr_norm[afirst], s->addr_norm[alast - 1] + 1);
}

/* The label sequence at a[i..): returns the end of "label(.label)+", and the start of the
 * last label; 0 if none. */
static size_t domain_at(const struct scan *s, size_t i, size_t *tld_start, size_t *nlabels)
{
    const uint32_t *a = s->addr;
    size_t n = s->naddr, end = i, label_start = i;
    *nlabels = 0;
    while (end < n) {
        size_t k = end;
        while (k < n && (mt_is_letter(a[k]) || mt_is_digit(a[k]) || a[k] == '-'))
            k++;
        if (k == end)
            break;
        (*nlabels)++;
        label_start = end;
        end = k;
        /* optional spaces around the dot only when the dot was spelled out */
        size_t d = end;
        while (d < n && a[d] == ' ')
            d++;
        if (d < n && a[d] == '.') {
            size_t e = d + 1;
            while (e < n && a[e] == ' ' && e - d < 3)
                e++;
            if (e < n && (mt_is_letter(a[e]) || mt_is_digit(a[e])) && (e == d + 1 || d > end)) {
                end = e;
                continue;
            }
        }
        break;
    }
    *tld_start = label_start;
    return *nlabels >= 2 ? (a[end - 1] == '.' ? end - 1 : end) : 0;
}

static int is_tld(const struct scan *s, size_t from, size_t to)
{
    if (to - from < 2 || to - from > 24)
        return 0;
    for (size_t k = from; k < to; k++)
        if (!mt_is_letter(s->addr[k]))
            return 0;
    return in_set(s->addr + from, to - from, &s->lex->tlds);
}

static void ascii_lower(const uint32_t *a, size_t n, char *out, size_t cap)
{
    size_t m = 0;
    for (size_t k = 0; k < n && m + 1 < cap; k++)
        out[m++] = a[k] < 0x80 ? (char)a[k] : '?';
    out[m] = '\0';
}

static int domain_allowed(const struct scan *s, size_t from, size_t to)
{
    char d[256];
    ascii_lower(s->addr + from, to - from, d, sizeof d);
    size_t dl = strlen(d);
    for (size_t i = 0; s->cfg && i < s->cfg->nallowed; i++) {
        const char *ok = s->cfg->allowed_domains[i];
        size_t ol = strlen(ok);
        if (dl == ol && strcmp(d, ok) == 0)
            return 1;
        if (dl > ol && d[dl - ol - 1] == '.' && strcmp(d + dl - ol, ok) == 0)
            return 1;
    }
    return 0;
}

static void detect_emails(struct scan *s)
{
    const uint32_t *a = s->addr;
    for (size_t i = 0; i < s->naddr; i++) {
        if (a[i] != '@')
            continue;
        size_t l = i;
        while (l > 0 && a[l - 1] == ' ' && i - l < 2)
            l--;
        size_t local_end = l;
        while (l > 0 && (addr_char(a[l - 1]) ||
                         (a[l - 1] == ' ' && l >= 2 && (a[l - 2] == '.' || a[l] == '.'))))
            l--;
        while (l < local_end && a[l] == ' ')
            l++;
        size_t r = i + 1;
        while (r < s->naddr && a[r] == ' ' && r - i < 3)
            r++;
        size_t tld, nl;
        size_t end = domain_at(s, r, &tld, &nl);
        if (local_end > l && end && is_tld(s, tld, end)) {
            add_addr(s, MOD_EMAIL, l, end);
            s->email_end = s->t->norm_orig[s->addr_norm[end - 1]] + 1;
            continue;
        }
        /* "ivan85 собака яндекс ру", "ivan@gmail": a mail host is enough */
        size_t h = r;
        while (h < s->naddr && mt_is_letter(a[h]))
            h++;
        if (local_end > l && h > r && in_set(a + r, h - r, &s->lex->mail_hosts)) {
            add_addr(s, MOD_EMAIL, l, h);
            s->email_end = s->t->norm_orig[s->addr_norm[h - 1]] + 1;
        }
    }
}

/* Link shorteners and messenger links: contacts, whatever the TLD. */
static const char *const messenger_hosts[] = {
    "wa.me",     "t.me",         "telegram.me",       "telegram.org",    "vk.com",
    "vk.me",     "vk.cc",        "instagram.com",     "ig.me",           "m.me",
    "viber.com", "whatsapp.com", "chat.whatsapp.com", "invite.viber.com"};

static int is_messenger_host(const char *d)
{
    for (size_t i = 0; i < sizeof messenger_hosts / sizeof messenger_hosts[0]; i++) {
        size_t hl = strlen(messenger_hosts[i]), dl = strlen(d);
        if (strcmp(d, messenger_hosts[i]) == 0 ||
            (dl > hl && d[dl - hl - 1] == '.' && strcmp(d + dl - hl, messenger_hosts[i]) == 0))
            return 1;
    }
    return 0;
}

static void detect_links(struct scan *s)
{
    const uint32_t *a = s->addr;
    for (size_t i = 0; i < s->naddr; i++) {
        if (i > 0 && (addr_char(a[i - 1]) || a[i - 1] == '@' || a[i - 1] == '/'))
            continue;
        if (!mt_is_letter(a[i]) && !mt_is_digit(a[i]))
            continue;
        size_t start = i, p = i;
        /* scheme:// and www. */
        static const uint32_t http[] = {'h', 't', 't', 'p'};
        if (s->naddr - p > 7 && memcmp(a + p, http, sizeof http) == 0) {
            size_t q = p + 4 + (a[p + 4] == 's');
            if (q + 2 < s->naddr && a[q] == ':' && a[q + 1] == '/' && a[q + 2] == '/')
                p = q + 3;
        }
        size_t tld, nl, end = domain_at(s, p, &tld, &nl);
        if (!end || !is_tld(s, tld, end)) {
            if (p != start) /* "http://" followed by anything is a link */
                add_addr(s, MOD_URL, start, p);
            continue;
        }
        size_t first_label_len = 0;
        while (p + first_label_len < end && a[p + first_label_len] != '.')
            first_label_len++;
        size_t orig_start = s->t->norm_orig[s->addr_norm[start]];
        char host[256];
        ascii_lower(a + p, end - p, host, sizeof host);
        if (is_messenger_host(host)) {
            add_addr(s, MOD_MESSENGER, start, end);
        } else if (orig_start >= s->email_end && !domain_allowed(s, p, end) &&
                   (first_label_len >= 2 || nl >= 3 || p != start)) {
            add_addr(s, MOD_URL, start, end);
        }
        i = end;
    }
}

/* "@ivan_shop" offered as a contact (not the @ of an e-mail address). */
static void detect_handles(struct scan *s)
{
    const struct mt_text *t = s->t;
    for (size_t i = 0; i + 3 < t->nnorm; i++) {
        if (t->norm[i] != '@' ||
            (i > 0 && (mt_is_letter(t->norm[i - 1]) || mt_is_digit(t->norm[i - 1]))))
            continue;
        size_t k = i + 1;
        while (k < t->nnorm &&
               (t->norm[k] < 0x80 && (mt_is_letter(t->norm[k]) || mt_is_digit(t->norm[k]) ||
                                      t->norm[k] == '_' || t->norm[k] == '.')))
            k++;
        if (k - i - 1 >= 3)
            add_norm(s, MOD_MESSENGER, i, k);
    }
}

/* ---- words ------------------------------------------------------------------------------- */

static int any_in_range(const struct scan *s, size_t from, size_t to, const struct lex_set *set)
{
    for (size_t k = from; k < to && k < s->t->ntok; k++)
        if (token_in_set(s, k, set))
            return 1;
    return 0;
}

/* Is there word a, then within gap words word b? */
static int pair_in_text(const struct scan *s, const struct lex_set *a, const struct lex_set *b,
                        size_t gap)
{
    for (size_t i = 0; i < s->t->ntok; i++)
        if (token_in_set(s, i, a) && any_in_range(s, i + 1, i + 2 + gap, b))
            return 1;
    return 0;
}

/* The text reports or warns about contact, payment or a sale elsewhere rather than asking
 * for it ("мне кто-то написал с просьбой перейти в WhatsApp, это не вы?", "we keep everything
 * here, only through the site"). Computed once per text. */
static int reported(struct scan *s)
{
    if (s->reported_known)
        return s->reported;
    const struct lexicon *lx = s->lex;
    s->reported = any_in_range(s, 0, s->t->ntok, &lx->report_words) ||
                  pair_in_text(s, &lx->report_who, &lx->report_did, 2) ||
                  pair_in_text(s, &lx->only_words, &lx->only_where, 1);
    s->reported_known = 1;
    return s->reported;
}

/* Inside «...» or "...": words quoted, not said */
static int quoted(const struct scan *s, size_t tok)
{
    const struct mt_text *t = s->t;
    int guillemets = 0, straight = 0;
    for (size_t k = 0; k < t->tok[tok].ostart && k < t->n; k++) {
        uint32_t c = t->orig[k];
        guillemets += c == 0x00AB || c == 0x201C || c == 0x201E;
        guillemets -= c == 0x00BB || c == 0x201D;
        straight += c == '"';
    }
    return guillemets > 0 || straight % 2 == 1;
}

/* Contact, payment and sale talk reported, warned about or quoted is not asked for; codes
 * are another matter (a fake "security service" warns and asks in one breath). */
static int not_a_request(struct scan *s, mod_rule rule, size_t first)
{
    if (rule != MOD_MESSENGER && rule != MOD_PAYMENT_OFF_PLATFORM && rule != MOD_OFFSITE_SALE)
        return 0;
    return quoted(s, first) || reported(s);
}

/* "Показывают ли часы уведомления WhatsApp?": a feature word near the name and no one asked
 * to write there (a number or a handle beside it is found by their own detectors). */
static int messenger_as_feature(const struct scan *s, size_t i)
{
    size_t from = i >= 4 ? i - 4 : 0, to = i + 5;
    return any_in_range(s, from, to, &s->lex->messenger_features) &&
           !any_in_range(s, from, to, &s->lex->contact_verbs);
}

static void detect_messenger_words(struct scan *s)
{
    const struct mt_text *t = s->t;
    const struct lex_set *join = &s->lex->messenger_joinable;
    for (size_t i = 0; i < t->nmerged; i++)
        if (tok_in_set(s, &t->merged[i], &s->lex->messenger_words))
            add_token(s, MOD_MESSENGER, &t->merged[i]);
    for (size_t i = 0; i < t->ntok; i++) {
        if (token_in_set(s, i, &s->lex->messenger_words)) {
            if (!messenger_as_feature(s, i) && !not_a_request(s, MOD_MESSENGER, i))
                add_tokens(s, MOD_MESSENGER, i, i);
            continue;
        }
        /* "whats app", "теле грам", "w h a t s": glue words while they spell a name */
        uint32_t buf[64];
        size_t n = 0;
        for (size_t j = i; j < t->ntok && j < i + LEX_WORD_MAX; j++) {
            if (j > i && !short_gap(t, t->tok[j - 1].last, t->tok[j].first))
                break;
            const struct mt_token *tok = &t->tok[j];
            if (n + tok->len > 64)
                break;
            memcpy(buf + n, tok_text(s, j), tok->len * sizeof *buf);
            n += tok->len;
            int prefix_of_some = 0, whole = 0;
            for (size_t w = 0; w < join->n; w++) {
                const struct lex_word *lw = &join->words[w];
                if (n <= lw->len && memcmp(buf, lw->cp, n * sizeof *buf) == 0) {
                    prefix_of_some = 1;
                    whole |= n == lw->len;
                }
            }
            if (whole && j > i) {
                add_tokens(s, MOD_MESSENGER, i, j);
                break;
            }
            if (!prefix_of_some)
                break;
        }
    }
}

static int phrase_context_ok(const struct scan *s, const struct lex_phrase *ph, size_t first,
                             size_t last)
{
    if (!ph->context.n)
        return 1;
    size_t from = first > (size_t)ph->context_gap ? first - (size_t)ph->context_gap : 0;
    for (size_t j = from; j < s->t->ntok && j <= last + (size_t)ph->context_gap; j++)
        if ((j < first || j > last) && token_in_set(s, j, &ph->context))
            return 1;
    return 0;
}

/* A warning, not a request: "не сообщайте код", "код нельзя называть никому", "если кто-то
 * просит перевести деньги на карту, это мошенники". A plain "не" counts only right before
 * the phrase ("доставка не включена, оплатите ..." is still a request). */
static int negated(const struct scan *s, size_t first, size_t last)
{
    const struct lexicon *lx = s->lex;
    size_t before = first >= 5 ? first - 5 : 0;
    if (first > 0 && token_in_set(s, first - 1, &lx->negations))
        return 1;
    /* "переводы на карты мы не принимаем": a negation after it, then the verb that refuses */
    for (size_t j = last + 1; j < last + 4 && j < s->t->ntok; j++) {
        if (token_in_set(s, j, &lx->otherwise_words))
            break;
        if ((token_in_set(s, j, &lx->negations) || token_in_set(s, j, &lx->negations_aux)) &&
            any_in_range(s, j + 1, j + 3, &lx->refusal_verbs))
            return 1;
    }
    /* "не буду переводить", "I won't transfer": a negation, then up to two auxiliaries */
    size_t k = first;
    while (k > 0 && first - k < 2 && token_in_set(s, k - 1, &lx->auxiliaries))
        k--;
    if (k < first && k > 0 &&
        (token_in_set(s, k - 1, &lx->negations) || token_in_set(s, k - 1, &lx->negations_aux)))
        return 1;
    if (any_in_range(s, before, first, &lx->negations_wide) ||
        any_in_range(s, last + 1, last + 4, &lx->negations_wide))
        return 1;
    size_t cond_from = first >= 8 ? first - 8 : 0;
    return any_in_range(s, cond_from, first, &lx->conditionals) &&
           any_in_range(s, 0, s->t->ntok, &lx->fraud_words);
}

static int is_upper(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 0x0410 && c <= 0x042F) || c == 0x0401;
}

/* The platform's own name, in any case and with up to two letters of a case ending ("Озона",
 * "OZON"): the shop talking about its own platform, never a rival. */
#define NAME_MAX_CHARS 64
static int platform_name(const struct scan *s, size_t i)
{
    const struct mt_token *tok = &s->t->tok[i];
    for (size_t k = 0; s->cfg && k < s->cfg->nnames; k++) {
        uint32_t w[NAME_MAX_CHARS];
        size_t n = mt_decode_literal(s->cfg->platform_names[k], w, NAME_MAX_CHARS);
        for (size_t j = 0; j < n; j++)
            w[j] = is_upper(w[j]) ? (w[j] == 0x0401 ? 0x0451 : w[j] + (w[j] < 0x80 ? 32 : 0x20))
                                  : w[j];
        if (n && tok->len <= n + 2 && mt_token_is(s->t, tok, w, n, 1))
            return 1;
    }
    return 0;
}

/* "Подскажите код цвета краски": a request for a code that names what it is the code of */
static int code_of_a_thing(const struct scan *s, const struct lex_phrase *ph, size_t last)
{
    return ph->rule == MOD_CREDENTIALS_REQUEST && last + 1 < s->t->ntok &&
           token_in_set(s, last + 1, &s->lex->code_objects);
}

static void detect_phrases(struct scan *s)
{
    const struct mt_text *t = s->t;
    for (size_t p = 0; p < s->lex->nphrases; p++) {
        const struct lex_phrase *ph = &s->lex->phrases[p];
        for (size_t i = 0; i < t->ntok; i++) {
            if (!token_in_set(s, i, &ph->steps[0]) ||
                (ph->rule == MOD_OFFSITE_SALE && platform_name(s, i)))
                continue;
            size_t at = i, step = 1;
            while (step < ph->nsteps) {
                size_t found = 0;
                for (size_t j = at + 1; j < t->ntok && j <= at + 1 + (size_t)ph->gap; j++)
                    if (token_in_set(s, j, &ph->steps[step])) {
                        found = j;
                        break;
                    }
                if (!found)
                    break;
                at = found;
                step++;
            }
            if (step == ph->nsteps && phrase_context_ok(s, ph, i, at) && !negated(s, i, at) &&
                !code_of_a_thing(s, ph, at) && !not_a_request(s, ph->rule, i))
                add_tokens(s, ph->rule, i, at);
        }
    }
}

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
                                      0x044B, 0x044C, 0x0448, 0x0435, 0x0451};
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
        make_variants(s, tok, &own, spare);
        vp = &own;
    }
    const struct variants *v = vp;
    for (size_t k = 0; k < v->n; k++) {
        size_t n = v->len[k];
        if (in_set(v->w[k], n, &s->lex->profanity_exclusions))
            return;
        if (in_set(v->w[k], n, &s->lex->profanity) || obscene_eb(s, v->w[k], n)) {
            add_token(s, MOD_PROFANITY, tok);
            return;
        }
    }
}

static void detect_profanity(struct scan *s)
{
    for (size_t i = 0; i < s->t->ntok; i++)
        profanity_in(s, &s->t->tok[i], &s->tv[i]);
    for (size_t i = 0; i < s->t->nmerged; i++)
        profanity_in(s, &s->t->merged[i], NULL);
}

/* ---- soft signals ------------------------------------------------------------------------ */

static int is_lower(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 0x0430 && c <= 0x044F) || c == 0x0451;
}

static int is_emoji(uint32_t c)
{
    return (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x2600 && c <= 0x27BF) ||
           (c >= 0x1F000 && c <= 0x1F2FF) || c == 0x2B50 || c == 0x2B55 || c == 0x2B06 ||
           c == 0x2B07 || c == 0x2934 || c == 0x2935 || c == 0x3030 || c == 0x303D;
}

#define EMOJI_EXCESS 3

/* Three of one letter ("www", "AAA", "ООО", "III") or a clothing size ("XXXL", "XXS") spell
 * a name, not a stretched sound ("мммм" is one). */
static int one_letter_word(const struct mt_text *t, const struct mt_token *tok)
{
    size_t n = tok->last - tok->first, k = 0;
    const uint32_t *w = t->norm + tok->first;
    while (k < n && w[k] == w[0])
        k++;
    if (k == n)
        return n == 3;
    return w[0] == 'x' && k == n - 1 && (w[k] == 'l' || w[k] == 's');
}

static void stretched_in(struct scan *s, const struct mt_token *tok)
{
    const struct mt_text *t = s->t;
    if (tok->merged || one_letter_word(t, tok))
        return;
    for (size_t i = tok->first; i < tok->last;) {
        size_t k = i + 1;
        while (k < tok->last && t->norm[k] == t->norm[i])
            k++;
        if (k - i >= 3 && mt_is_letter(t->norm[i]))
            add_norm(s, MOD_REPEATED_CHARS, i, k);
        i = k;
    }
}

static void detect_soft(struct scan *s)
{
    const struct mt_text *t = s->t;
    size_t letters = 0, upper = 0, first_up = 0, last_up = 0;
    size_t emoji_first = 0, emoji_last = 0, emojis = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t c = t->orig[i];
        if (is_upper(c)) {
            if (!upper)
                first_up = i;
            last_up = i;
            upper++;
        }
        letters += is_upper(c) || is_lower(c);
        if (is_emoji(c)) {
            if (!emojis)
                emoji_first = i;
            emoji_last = i;
            emojis++;
        }
        /* !!! ??? ?!?! */
        if ((c == '!' || c == '?') &&
            (i == 0 || (t->orig[i - 1] != '!' && t->orig[i - 1] != '?'))) {
            size_t k = i;
            while (k < t->n && (t->orig[k] == '!' || t->orig[k] == '?'))
                k++;
            if (k - i >= 3)
                add(s, MOD_PUNCTUATION, i, k);
        }
        /* "......": more than an ellipsis */
        if (c == '.' && (i == 0 || t->orig[i - 1] != '.')) {
            size_t k = i;
            while (k < t->n && t->orig[k] == '.')
                k++;
            if (k - i >= 5)
                add(s, MOD_PUNCTUATION, i, k);
        }
    }
    if (letters >= 10 && upper * 10 >= letters * 7)
        add(s, MOD_CAPS, first_up, last_up + 1);
    /* the rules frown on emoji in excess, not on one smile */
    if (emojis >= EMOJI_EXCESS)
        add(s, MOD_EMOJI, emoji_first, emoji_last + 1);
    /* "сууупер", "sooo": the same letter three times inside a word of other letters too */
    for (size_t w = 0; w < t->ntok; w++)
        stretched_in(s, &t->tok[w]);
}

/* ---- the check --------------------------------------------------------------------------- */

/* Copies the original text of characters [start, end) into out, cut at a character. */
static void fragment(const char *text, size_t len, size_t start, size_t end, char *out)
{
    size_t ci = 0, b = 0, from = len, to = len;
    while (b < len) {
        if (ci == start)
            from = b;
        if (ci == end) {
            to = b;
            break;
        }
        unsigned char c = (unsigned char)text[b];
        b += c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
        ci++;
    }
    if (from > len)
        from = len;
    if (to > len)
        to = len;
    size_t n = to > from ? to - from : 0;
    if (n >= MOD_FRAGMENT_MAX) {
        n = MOD_FRAGMENT_MAX - 1;
        while (n > 0 && ((unsigned char)text[from + n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(out, text + from, n);
    out[n] = '\0';
}

static int by_start(const void *a, const void *b)
{
    const struct mod_finding *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (int)x->rule - (int)y->rule;
}

/* ---- the learned second opinion ---------------------------------------------------------- */

/* Findings [from, to) came from words or phrases only; add() merges a finding into an earlier
 * one of the same rule, so a rule also found by a pattern keeps that pattern's finding. */
static unsigned words_only_rules(const struct mod_result *r, size_t from, size_t to)
{
    unsigned words = 0, other = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].hard)
            *(i >= from && i < to ? &words : &other) |= 1u << r->findings[i].rule;
    return words & ~other;
}

/* what the model never overrules: a phone, an address, a card are there or not */
#define MOD_FACTS ((1u << MOD_PHONE) | (1u << MOD_EMAIL) | (1u << MOD_CARD_NUMBER))

static void drop_rules(struct mod_result *r, unsigned rules_mask)
{
    size_t k = 0;
    for (size_t i = 0; i < r->nfindings; i++)
        if (!(rules_mask & (1u << r->findings[i].rule)))
            r->findings[k++] = r->findings[i];
    r->nfindings = k;
}

/* The model refuses a text the rules let through when it is sure of a violation (the rule it
 * names, at the word that speaks most for it). It overrules findings that rest on words or
 * phrases alone when it is sure the text is clean (P < keep_at), and any finding but a phone,
 * an address or a card when it is surer still (P < clear_at: "Moby Dick", "ASP.NET"). The
 * thresholds are the model file's, chosen by the trainer on cross-validated scores. */
static void second_opinion(struct scan *s, unsigned by_words)
{
    const struct mm_model *m = s->cfg ? s->cfg->model : NULL; /* no configuration: rules alone */
    float z[MM_OUTPUTS];
    unsigned hard = 0;
    for (size_t i = 0; i < s->out->nfindings; i++)
        if (s->out->findings[i].hard)
            hard |= 1u << s->out->findings[i].rule;
    if (!m || (hard & MOD_FACTS))
        return;
    mm_score_text(m, s->t, 1, z);
    float p = mm_prob(z[0]);
    if (hard & ~by_words) {
        if (p < m->clear_at)
            drop_rules(s->out, hard);
        return;
    }
    if (hard && p < m->keep_at) {
        drop_rules(s->out, by_words);
        return;
    }
    if (hard || p < m->add_at || s->t->ntok < MM_MIN_WORDS)
        return;
    mm_score_text(m, s->t, MM_OUTPUTS, z);
    int best = 1;
    for (int o = 2; o < MM_OUTPUTS; o++)
        if (z[o] > z[best])
            best = o;
    uint32_t tok = mm_strongest_token(m, s->t, best);
    if (tok == MM_NO_TOKEN) {
        add(s, (mod_rule)(best - 1), 0, s->t->n);
        return;
    }
    size_t first = tok > 0 ? tok - 1 : tok, last = tok + 1 < s->t->ntok ? tok + 1 : tok;
    add_tokens(s, (mod_rule)(best - 1), first, last);
}

static mod_status check(const struct mod_config *cfg, const char *text, size_t len,
                        struct mod_result *out, unsigned *by_words_out)
{
    struct mt_text t;
    struct scan s;
    memset(out, 0, sizeof *out);
    out->allowed = 1;
    int rc = mt_build(&t, text, len, MOD_MAX_CHARS);
    if (rc != 0)
        return rc == -1 ? MOD_BAD_UTF8 : MOD_TOO_LONG;
    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.lex = lex_get();
    s.t = &t;
    s.out = out;
    /* the address view reuses the tail of the text's block: same size as the stream */
    /* the 8-byte array first, so both stay aligned */
    s.addr_norm = malloc((t.nnorm + 1) * (sizeof *s.addr + sizeof *s.addr_norm));
    if (!s.addr_norm) {
        mt_free(&t);
        return MOD_TOO_LONG;
    }
    s.addr = (uint32_t *)(void *)(s.addr_norm + t.nnorm + 1);
    /* each word's other spellings take at most three times its length */
    s.tv = malloc((t.ntok + 1) * sizeof *s.tv + 3 * (t.nnorm + 1) * sizeof(uint32_t));
    if (!s.tv) {
        free(s.addr_norm);
        mt_free(&t);
        return MOD_TOO_LONG;
    }
    uint32_t *spare = (uint32_t *)(void *)(s.tv + t.ntok + 1);
    for (size_t i = 0, used = 0; i < t.ntok; i++)
        used += make_variants(&s, &t.tok[i], &s.tv[i], spare + used);
    build_addr(&s);
    detect_emails(&s);
    detect_links(&s);
    detect_handles(&s);
    detect_digit_runs(&s);
    detect_phone_groups(&s);
    detect_spelled_numbers(&s);
    size_t words_from = out->nfindings;
    detect_messenger_words(&s);
    detect_phrases(&s);
    unsigned by_words = words_only_rules(out, words_from, out->nfindings);
    detect_profanity(&s);
    if (by_words_out)
        *by_words_out = by_words;
    else
        second_opinion(&s, by_words);
    detect_soft(&s);
    qsort(out->findings, out->nfindings, sizeof out->findings[0], by_start);
    for (size_t i = 0; i < out->nfindings; i++) {
        fragment(text, len, out->findings[i].start, out->findings[i].end,
                 out->findings[i].fragment);
        if (out->findings[i].hard)
            out->allowed = 0;
    }
    free(s.tv);
    free(s.addr_norm);
    mt_free(&t);
    return MOD_OK;
}

const struct mm_model *mod_builtin_model(const char **why)
{
    return mm_builtin(why);
}

mod_status mod_check(const struct mod_config *cfg, const char *text, size_t len,
                     struct mod_result *out)
{
    return check(cfg, text, len, out, NULL);
}

mod_status mod_check_rules(const struct mod_config *cfg, const char *text, size_t len,
                           struct mod_rules_view *view)
{
    struct mod_result *r = malloc(sizeof *r);
    if (!r)
        return MOD_TOO_LONG;
    memset(view, 0, sizeof *view);
    mod_status st = check(cfg, text, len, r, &view->by_words);
    for (size_t i = 0; i < r->nfindings && st == MOD_OK; i++)
        if (r->findings[i].hard)
            view->hard |= 1u << r->findings[i].rule;
    view->by_words &= view->hard;
    free(r);
    return st;
}
