#include "moderation_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Sixteen digits written as a card is printed, whatever their Luhn sum (people make numbers
 * up or mistype them, and offer them all the same): one unbroken run, or four groups of four
 * cut by spaces, dashes or dots that start as Visa, Mastercard or Mir do and are not a list of
 * round figures ("модели 2019, 2020, 2021, 2022" has commas, "2400 3600 4800 6000" is round). */
static int printed_like_a_card(const struct digit_run *r)
{
    if (r->nd != 16)
        return 0;
    if (r->groups == 1)
        return 1;
    if (r->groups != 4 || !r->seps_ok_for_card)
        return 0;
    for (int g = 0; g < 4; g++)
        if (r->group_len[g] != 4)
            return 0;
    int round = 1;
    for (int g = 0; g < 4; g++)
        round &= r->d[4 * g + 3] == '0';
    int issuer = r->d[0] == '4' || (r->d[0] == '5' && r->d[1] >= '1' && r->d[1] <= '5') ||
                 (memcmp(r->d, "220", 3) == 0 && r->d[3] <= '4');
    return issuer && !round;
}

static int card_shape(const struct digit_run *r, int named)
{
    if (r->nd < 13 || r->nd > 19 || r->d[0] < '2' || r->d[0] > '6')
        return 0;
    /* sixteen digits named a card (or offered to be paid to), or printed as a card is, are one
     * even when they fail Luhn; other groups of four alone are not */
    if (!luhn_ok(r->d, r->nd) && !(r->nd == 16 && (named || printed_like_a_card(r))))
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
    if (card_shape(r, ms_said_around(s, r->first, r->last, &s->lex->card_words))) {
        if (ms_labelled_as(s, r->first, &s->lex->card_context))
            return;
        ms_add_norm(s, MOD_CARD_NUMBER, r->first, r->last);
        /* a card given to be paid to is payment outside the platform as well */
        if (ms_said_around(s, r->first, r->last, &s->lex->pay_words))
            ms_add_norm(s, MOD_PAYMENT_OFF_PLATFORM, r->first, r->last);
        return;
    }
    if (!ms_labelled_as(s, r->first, &s->lex->number_context) &&
        phone_shape(r, ms_said_before(s, r->first, &s->lex->phone_context)))
        ms_add_norm(s, MOD_PHONE, r->first, r->last);
}

/* an emoji between groups of digits is one more way to cut a number ("5599 💳 0020") */
static int digit_sep(uint32_t c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/' || c == '_' ||
           c == '+' || c == ',' || ms_is_emoji(c);
}

/* The digit a letter stands for inside a number, or 0: o and о for zero; i, l and the
 * Ukrainian і for one; з for three; б for six ("8-9I6-3З0-О1-22", "9б5"). */
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
    case 0x0431: /* б for six */
        return '6';
    default:
        return 0;
    }
}

static int is_o(uint32_t c)
{
    return lookalike_digit(c) != 0;
}

/* A group of look-alikes alone ("ОО" in "2З4 ОО 77") stands for digits when digits stand on
 * both sides of it, a separator or two apart. */
static int between_digits(const struct mt_text *t, size_t a, size_t b)
{
    size_t p = a, q = b;
    while (p > 0 && a - p < 2 && digit_sep(t->norm[p - 1]))
        p--;
    while (q < t->nnorm && q - b < 2 && digit_sep(t->norm[q]))
        q++;
    return p < a && p > 0 && mt_is_digit(t->norm[p - 1]) && q > b && q < t->nnorm &&
           mt_is_digit(t->norm[q]);
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
    if (!digits && !between_digits(t, a, b))
        return 0;
    *out = lookalike_digit(c);
    return 1;
}

void ms_detect_digit_runs(struct scan *s)
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

void ms_detect_phone_groups(struct scan *s)
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
                price |= words == 0 && ms_token_in_set(s, j, &s->lex->currency_words);
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
                r.d[r.nd++] = (char)ms_tok_text(s, j)[k];
            r.groups++;
            last = j;
        }
        if (r.groups >= 3 && gaps > 0 && !price && phone_shape(&r, 0) &&
            !ms_labelled_as(s, t->tok[i].first, &s->lex->number_context)) {
            ms_add_tokens(s, MOD_PHONE, i, last);
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

void ms_detect_spelled_numbers(struct scan *s)
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
            if (j > i && !ms_short_gap(t, t->tok[j - 1].last, tok->first))
                break;
            if (tok->script == MT_DIGITS) {
                spelled_digits(&sp, ms_tok_text(s, j), tok->len);
            } else if (j == i && ms_token_in_set(s, j, &s->lex->plus_words)) {
                plus = 1;
            } else if ((value = lex_number_word(ms_tok_text(s, j), tok->len, &kind)) >= 0) {
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
