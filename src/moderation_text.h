#ifndef SD_MODERATION_TEXT_H
#define SD_MODERATION_TEXT_H

/* Internal to the content-safety engine: the text as the detectors see it. */

#include <stddef.h>
#include <stdint.h>

/* A word of the normalized text: letters and digits, case-folded, look-alike letters mapped
 * into the word's dominant script, leetspeak digits between letters mapped to letters. */
struct mt_token {
    size_t off, len;     /* code points in mt_text.tokbuf */
    size_t first, last;  /* normalized-stream indices: [first, last) */
    size_t ostart, oend; /* original character offsets: [ostart, oend) */
    int script;          /* MT_LATIN, MT_CYRILLIC, MT_DIGITS or MT_MIXED */
    int merged;          /* built from spaced-out single letters ("w h a t s") */
};

enum { MT_DIGITS = 0, MT_LATIN = 1, MT_CYRILLIC = 2, MT_MIXED = 3 };

struct mt_text {
    size_t n;       /* characters of the original */
    uint32_t *orig; /* original code points */
    size_t nnorm;   /* normalized stream: invisibles dropped, folded */
    uint32_t *norm;
    size_t *norm_orig; /* original index of each normalized character */
    size_t ntok;
    struct mt_token *tok;
    size_t nmerged; /* words spelled out letter by letter, joined ("w h a t s") */
    struct mt_token *merged;
    uint32_t *tokbuf;
    void *block; /* the one allocation behind all arrays */
};

/* 0 on success; -1 for invalid UTF-8; -2 for more than max characters. */
int mt_build(struct mt_text *t, const char *utf8, size_t len, size_t max);
void mt_free(struct mt_text *t);

int mt_is_letter(uint32_t c); /* folded Latin or Cyrillic letter */
int mt_is_digit(uint32_t c);
/* Decodes a UTF-8 literal into code points (for the lexicon); returns the count. */
size_t mt_decode_literal(const char *s, uint32_t *out, size_t cap);
/* Does token equal (prefix = 0) or start with (prefix = 1) the code points w[0..n)? '*' in
 * the token matches any one letter. */
int mt_token_is(const struct mt_text *t, const struct mt_token *tok, const uint32_t *w, size_t n,
                int prefix);

#endif
