#include "moderation_text.h"

#include <stdlib.h>
#include <string.h>

/* ---- decoding ---------------------------------------------------------------------------- */

/* Decodes one code point; returns its byte length, 0 for invalid input. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = (s[0] & 0xE0) == 0xC0   ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0 || n > len)
        return 0;
    uint32_t c = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    /* overlong forms, surrogates and values past Unicode are not text */
    static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min_for_len[n] || (c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF)
        return 0;
    *cp = c;
    return n;
}

size_t mt_decode_literal(const char *s, uint32_t *out, size_t cap)
{
    size_t len = strlen(s), i = 0, n = 0;
    while (i < len && n < cap) {
        size_t k = utf8_next((const unsigned char *)s + i, len - i, &out[n]);
        if (!k)
            break;
        i += k;
        n++;
    }
    return n;
}

/* ---- folding ----------------------------------------------------------------------------- */

/* (0x20D0-0x20FF: combining marks for symbols, among them the keycap of "9️⃣", so a keycap
 * emoji reads as its digit) */
static int is_invisible(uint32_t c)
{
    return c == 0x00AD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 || c == 0x17B4 ||
           c == 0x17B5 || (c >= 0x180B && c <= 0x180E) || (c >= 0x200B && c <= 0x200F) ||
           (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) ||
           (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || (c >= 0x0300 && c <= 0x036F) ||
           (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xE0000 && c <= 0xE007F);
}

static uint32_t fold_latin1(uint32_t c)
{
    static const char map[] = "aaaaaaaceeeeiiiidnooooo/ouuuuyty"; /* U+00E0..U+00FF */
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        c += 0x20;
    if (c >= 0xE0 && c <= 0xFF && c != 0xF7)
        return (uint32_t)(unsigned char)map[c - 0xE0];
    return c;
}

/* Greek letters that pass for Latin ones. */
static uint32_t fold_greek(uint32_t c)
{
    static const struct {
        uint32_t from;
        char to;
    } g[] = {{0x03B1, 'a'}, {0x0391, 'a'}, {0x03B5, 'e'}, {0x0395, 'e'}, {0x03BF, 'o'},
             {0x039F, 'o'}, {0x03C1, 'p'}, {0x03A1, 'p'}, {0x03C4, 't'}, {0x03A4, 't'},
             {0x03C5, 'u'}, {0x03BD, 'v'}, {0x03BA, 'k'}, {0x039A, 'k'}, {0x03B9, 'i'},
             {0x0399, 'i'}, {0x0397, 'h'}, {0x0392, 'b'}, {0x039C, 'm'}, {0x039D, 'n'},
             {0x03A7, 'x'}, {0x03C7, 'x'}, {0x0396, 'z'}, {0x03A5, 'y'}};
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++)
        if (g[i].from == c)
            return (uint32_t)g[i].to;
    return c;
}

/* The normalized form of c: 0 drops it. */
static uint32_t fold(uint32_t c)
{
    if (is_invisible(c))
        return 0;
    if (c >= 'A' && c <= 'Z')
        return c + 32;
    if (c < 0x80)
        return c;
    if (c >= 0xFF01 && c <= 0xFF5E) /* full-width ASCII */
        return fold(c - 0xFEE0);
    if (c == 0x3000 || c == 0x00A0 || (c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F)
        return ' ';
    if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212 || c == 0xFE63 || c == 0xFF0D)
        return '-';
    if (c >= 0x1D400 && c <= 0x1D6A3) { /* mathematical alphanumerics */
        uint32_t k = (c - 0x1D400) % 52;
        return k < 26 ? 'a' + k : 'a' + k - 26;
    }
    if (c >= 0x1D7CE && c <= 0x1D7FF)
        return '0' + (c - 0x1D7CE) % 10;
    if (c >= 0x24B6 && c <= 0x24CF)
        return 'a' + (c - 0x24B6);
    if (c >= 0x24D0 && c <= 0x24E9)
        return 'a' + (c - 0x24D0);
    if (c >= 0x2460 && c <= 0x2468)
        return '1' + (c - 0x2460);
    if (c >= 0x0410 && c <= 0x042F)
        c += 0x20;
    else if (c >= 0x0400 && c <= 0x040F)
        c += 0x50;
    if (c == 0x0451 || c == 0x0450) /* ё, ѐ */
        return 0x0435;
    if (c == 0x0456 || c == 0x0406)
        return 'i';
    if (c == 0x0458 || c == 0x0408)
        return 'j';
    if (c == 0x0455 || c == 0x0405)
        return 's';
    if (c == 0x04CF || c == 0x04C0)
        return 'l';
    if (c >= 0xC0 && c <= 0xFF)
        return fold_latin1(c);
    if (c >= 0x0370 && c <= 0x03FF)
        return fold_greek(c);
    return c;
}

int mt_is_letter(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 0x0430 && c <= 0x044F);
}

int mt_is_digit(uint32_t c)
{
    return c >= '0' && c <= '9';
}

/* ---- look-alikes inside a word ----------------------------------------------------------- */

static uint32_t to_cyrillic(uint32_t c)
{
    /* look-alikes, and letters that stand in by sound: z for з ("пиzдец"), i (and the Ukrainian
     * і, folded to it) for и ("ідіот"), d for д ("бляdь"), l for л, g for г, s for с */
    static const char *lat = "abcehkmoptxyuzidlgs";
    static const uint32_t cyr[] = {0x0430, 0x0432, 0x0441, 0x0435, 0x043D, 0x043A, 0x043C,
                                   0x043E, 0x0440, 0x0442, 0x0445, 0x0443, 0x0438, 0x0437,
                                   0x0438, 0x0434, 0x043B, 0x0433, 0x0441};
    const char *p = c < 0x80 ? strchr(lat, (int)c) : NULL;
    return p && c ? cyr[p - lat] : c;
}

static uint32_t to_latin(uint32_t c)
{
    static const uint32_t cyr[] = {0x0430, 0x0432, 0x0441, 0x0435, 0x043D, 0x043A, 0x043C,
                                   0x043E, 0x0440, 0x0442, 0x0445, 0x0443, 0x044C, 0x0438};
    static const char lat[] = "abcehkmoptxybu";
    for (size_t i = 0; i < sizeof cyr / sizeof cyr[0]; i++)
        if (cyr[i] == c)
            return (uint32_t)lat[i];
    return c;
}

/* Digits and symbols written for letters: "п1зда", "f4ck", "wh@tsapp". */
static uint32_t leet(uint32_t c, int cyrillic)
{
    static const char from[] = "0134569@$";
    static const char lat[] = "oieasgbas";
    static const uint32_t cyr[] = {0x043E, 0x0438, 0x0437, 0x0447, 0x0431,
                                   0x0431, 0x044F, 0x0430, 0x0441};
    const char *p = c < 0x80 && c ? strchr(from, (int)c) : NULL;
    if (!p)
        return c;
    return cyrillic ? cyr[p - from] : (uint32_t)lat[p - from];
}

static int is_word_char(uint32_t c)
{
    return mt_is_letter(c) || mt_is_digit(c);
}

/* '*', '@', '$', '!', '#' and '%' stand for letters only inside a word ("п!здец") */
/* Is the original of normalized character k an upper-case letter? */
static int upper_at(const struct mt_text *t, size_t k)
{
    uint32_t c = t->orig[t->norm_orig[k]];
    return (c >= 'A' && c <= 'Z') || (c >= 0x0410 && c <= 0x042F) || c == 0x0401;
}

/* Stars that end a short word hide its end ("х**", "бл*", "f***"): after one to three
 * letters that start the word, before a space, a mark or the end. A longer word's star is a
 * footnote ("Цена*"). */
static int masked_ending(const uint32_t *s, size_t i, size_t n)
{
    size_t a = i, k = i, before = 0;
    while (a > 0 && s[a - 1] == '*')
        a--;
    while (a > before && mt_is_letter(s[a - before - 1]))
        before++;
    if (before < 1 || before > 3 || (a > before && is_word_char(s[a - before - 1])))
        return 0;
    while (k < n && s[k] == '*')
        k++;
    return k >= n || !is_word_char(s[k]);
}

static int is_inner_char(const struct mt_text *t, size_t i)
{
    const uint32_t *s = t->norm;
    size_t n = t->nnorm;
    uint32_t c = s[i];
    if (c != '*' && c != '@' && c != '$' && c != '!' && c != '#' && c != '%')
        return 0;
    if (c == '*' && masked_ending(s, i, n))
        return 1;
    if (i == 0 || i + 1 >= n || (!mt_is_letter(s[i - 1]) && s[i - 1] != c))
        return 0;
    /* "a$$hole", "х**н": runs of the same symbol between letters */
    size_t k = i + 1;
    while (k < n && s[k] == c)
        k++;
    if (k >= n || !mt_is_letter(s[k]))
        return 0;
    if (c != '!' && c != '#' && c != '%')
        return 1;
    /* '!', '#' and '%' also end sentences and tag words: one hides a letter only after one or
     * two letters and before a small one ("п!здец", "бл#ть"), so "Привет!Как" and "hello!whatsapp"
     * stay two words (an interjection glued to a small letter, "ох!ещё", still reads as one) */
    size_t before = 0;
    for (size_t j = i; j > 0 && mt_is_letter(s[j - 1]); j--)
        before++;
    return before <= 2 && !upper_at(t, k);
}

static void finish_token(struct mt_text *t, struct mt_token *tok, size_t *bufused)
{
    size_t lat = 0, cyr = 0, dig = 0;
    uint32_t *w = t->tokbuf + tok->off;
    for (size_t i = 0; i < tok->len; i++) {
        lat += w[i] >= 'a' && w[i] <= 'z';
        cyr += w[i] >= 0x0430 && w[i] <= 0x044F;
        dig += mt_is_digit(w[i]);
    }
    int cyrillic = cyr > lat;
    /* a symbol hiding a letter matches any letter, as '*' does */
    for (size_t i = 0; i < tok->len; i++)
        if (w[i] == '!' || w[i] == '#' || w[i] == '%')
            w[i] = '*';
    if (lat + cyr >= 2) {
        for (size_t i = 0; i < tok->len; i++) {
            int next_letter = i + 1 < tok->len && mt_is_letter(w[i + 1]);
            int prev_letter = i > 0 && mt_is_letter(w[i - 1]);
            if (!mt_is_letter(w[i]) && w[i] != '*' && (prev_letter || next_letter))
                w[i] = leet(w[i], cyrillic);
            else if (lat && cyr)
                w[i] = cyrillic ? to_cyrillic(w[i]) : to_latin(w[i]);
        }
    }
    tok->script = lat + cyr == 0 ? MT_DIGITS
                  : (lat && cyr) ? MT_MIXED
                  : cyr          ? MT_CYRILLIC
                                 : MT_LATIN;
    if (dig && lat + cyr && lat + cyr < 2)
        tok->script = MT_MIXED;
    *bufused += tok->len;
}

static size_t tokenize(struct mt_text *t)
{
    size_t used = 0, i = 0;
    t->ntok = 0;
    while (i < t->nnorm) {
        if (!is_word_char(t->norm[i])) {
            i++;
            continue;
        }
        struct mt_token *tok = &t->tok[t->ntok++];
        memset(tok, 0, sizeof *tok);
        tok->off = used;
        tok->first = i;
        while (i < t->nnorm && (is_word_char(t->norm[i]) || is_inner_char(t, i)))
            t->tokbuf[used + tok->len++] = t->norm[i++];
        tok->last = i;
        tok->ostart = t->norm_orig[tok->first];
        tok->oend = t->norm_orig[tok->last - 1] + 1;
        finish_token(t, tok, &used);
    }
    return used;
}

/* Separators between spaced-out letters: "w h a t s", "в.а.т.с", "т-е-л-е". */
static int spacer_run(const struct mt_text *t, size_t from, size_t to)
{
    if (to - from == 0 || to - from > 3)
        return 0;
    for (size_t i = from; i < to; i++)
        if (!strchr(" .-_*,/|+", (int)(t->norm[i] < 0x80 ? t->norm[i] : 1)) || t->norm[i] == 0)
            return 0;
    return 1;
}

/* Runs of three or more single-letter tokens become one extra word in t->merged; the
 * letters are copied after the words' own text in tokbuf. */
static void merge_spaced(struct mt_text *t, size_t used)
{
    t->nmerged = 0;
    for (size_t i = 0; i < t->ntok;) {
        size_t j = i;
        while (j + 1 < t->ntok && t->tok[j].len == 1 && t->tok[j + 1].len == 1 &&
               mt_is_letter(t->tokbuf[t->tok[j].off]) &&
               mt_is_letter(t->tokbuf[t->tok[j + 1].off]) &&
               spacer_run(t, t->tok[j].last, t->tok[j + 1].first))
            j++;
        if (j - i + 1 < 3) {
            i++;
            continue;
        }
        struct mt_token *m = &t->merged[t->nmerged++];
        memset(m, 0, sizeof *m);
        m->off = used;
        for (size_t k = i; k <= j; k++)
            t->tokbuf[used + m->len++] = t->tokbuf[t->tok[k].off];
        m->first = t->tok[i].first;
        m->last = t->tok[j].last;
        m->ostart = t->tok[i].ostart;
        m->oend = t->tok[j].oend;
        m->merged = 1;
        finish_token(t, m, &used);
        i = j + 1;
    }
}

int mt_build(struct mt_text *t, const char *utf8, size_t len, size_t max)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t i = 0, n = 0;
    memset(t, 0, sizeof *t);
    /* at most len characters; one block for every array */
    size_t cap = len + 1;
    /* words are separated, so there are at most (characters + 1) / 2 of them */
    size_t ntokcap = cap / 2 + 1;
    size_t bytes = cap * (sizeof(uint32_t) * 4 + sizeof(size_t)) +
                   (ntokcap + ntokcap / 3 + 1) * sizeof(struct mt_token);
    t->block = malloc(bytes);
    if (!t->block)
        return -2;
    t->orig = t->block;
    t->norm = t->orig + cap;
    t->tokbuf = t->norm + cap; /* 2 * cap: the words, then the merged words */
    t->norm_orig = (size_t *)(void *)(t->tokbuf + 2 * cap);
    t->tok = (struct mt_token *)(void *)(t->norm_orig + cap);
    t->merged = t->tok + ntokcap;
    while (i < len) {
        size_t k = utf8_next(s + i, len - i, &t->orig[n]);
        if (!k || t->orig[n] == 0) {
            mt_free(t);
            return -1;
        }
        if (++n > max) {
            mt_free(t);
            return -2;
        }
        i += k;
    }
    t->n = n;
    for (size_t c = 0; c < n; c++) {
        uint32_t f = fold(t->orig[c]);
        if (!f)
            continue;
        t->norm[t->nnorm] = f;
        t->norm_orig[t->nnorm++] = c;
    }
    merge_spaced(t, tokenize(t));
    return 0;
}

void mt_free(struct mt_text *t)
{
    free(t->block);
    t->block = NULL;
}

int mt_token_is(const struct mt_text *t, const struct mt_token *tok, const uint32_t *w, size_t n,
                int prefix)
{
    const uint32_t *s = t->tokbuf + tok->off;
    if (tok->len < n || (!prefix && tok->len != n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] != w[i] && !(s[i] == '*' && mt_is_letter(w[i])))
            return 0;
    return 1;
}
