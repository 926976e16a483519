/* The soft signals: a text that passes but is flagged for moderators (capitals, runs of
 * punctuation, emoji in excess, stretched letters). */
#include "moderation_scan.h"

int ms_is_upper(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 0x0410 && c <= 0x042F) || c == 0x0401;
}

int ms_is_lower(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 0x0430 && c <= 0x044F) || c == 0x0451;
}

int ms_is_emoji(uint32_t c)
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
            ms_add_norm(s, MOD_REPEATED_CHARS, i, k);
        i = k;
    }
}

/* A sentence written in capitals is shouting even when the rest of the text is not ("Товар
 * разбит. ТРЕБУЮ ЗАМЕНУ НЕМЕДЛЕННО."): eight letters or more, nine in ten capitals, two words
 * of capitals at least, so "ООО Ромашка" or "размер XXL" stay what they are. */
static void caps_sentences(struct scan *s)
{
    const struct mt_text *t = s->t;
    size_t from = 0;
    for (size_t i = 0; i <= t->n; i++) {
        uint32_t c = i < t->n ? t->orig[i] : '.';
        if (c != '.' && c != '!' && c != '?' && c != '\n' && c != ';')
            continue;
        size_t letters = 0, upper = 0, caps_words = 0, word = 0, word_up = 0;
        size_t first_up = 0, last_up = 0;
        for (size_t k = from; k <= i; k++) {
            uint32_t x = k < i ? t->orig[k] : ' ';
            int up = ms_is_upper(x), letter = up || ms_is_lower(x);
            if (letter) {
                letters++;
                word++;
                if (up) {
                    if (!upper)
                        first_up = k;
                    last_up = k;
                    upper++;
                    word_up++;
                }
                continue;
            }
            caps_words += word >= 2 && word_up == word;
            word = word_up = 0;
        }
        if (letters >= 8 && upper * 10 >= letters * 9 && caps_words >= 2) {
            ms_add(s, MOD_CAPS, first_up, last_up + 1);
            return;
        }
        from = i + 1;
    }
}

void ms_detect_soft(struct scan *s)
{
    const struct mt_text *t = s->t;
    size_t letters = 0, upper = 0, first_up = 0, last_up = 0;
    size_t emoji_first = 0, emoji_last = 0, emojis = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint32_t c = t->orig[i];
        if (ms_is_upper(c)) {
            if (!upper)
                first_up = i;
            last_up = i;
            upper++;
        }
        letters += ms_is_upper(c) || ms_is_lower(c);
        if (ms_is_emoji(c)) {
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
                ms_add(s, MOD_PUNCTUATION, i, k);
        }
        /* "......": more than an ellipsis */
        if (c == '.' && (i == 0 || t->orig[i - 1] != '.')) {
            size_t k = i;
            while (k < t->n && t->orig[k] == '.')
                k++;
            if (k - i >= 5)
                ms_add(s, MOD_PUNCTUATION, i, k);
        }
    }
    if (letters >= 10 && upper * 10 >= letters * 7)
        ms_add(s, MOD_CAPS, first_up, last_up + 1);
    else
        caps_sentences(s);
    /* the rules frown on emoji in excess, not on one smile */
    if (emojis >= EMOJI_EXCESS)
        ms_add(s, MOD_EMOJI, emoji_first, emoji_last + 1);
    /* "сууупер", "sooo": the same letter three times inside a word of other letters too */
    for (size_t w = 0; w < t->ntok; w++)
        stretched_in(s, &t->tok[w]);
}
