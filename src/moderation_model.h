#ifndef SD_MODERATION_MODEL_H
#define SD_MODERATION_MODEL_H

/* Internal to the content-safety engine: the learned second opinion. A linear model over
 * hashed features of the normalized text (words, word pairs, the punctuation between words,
 * character 3- to 5-grams of each word with its digits as '0') scores the chance that a text
 * breaks a hard rule at all and, per hard rule, which one. Trained by tools/modtrain.c on the
 * labelled sets of tests/moderation/; the weights are data/moderation_model.bin, linked in. */

#include <stddef.h>
#include <stdint.h>

#include "moderation_text.h"

#define MM_BITS     17
#define MM_BUCKETS  (1u << MM_BITS)
#define MM_HARD     9              /* hard rules: mod_rule 0 .. MM_HARD-1 */
#define MM_OUTPUTS  (1 + MM_HARD)  /* 0: any hard rule; 1 + r: rule r */
#define MM_NO_TOKEN ((uint32_t)-1) /* a feature of the whole text, not of one word */
/* The model refuses on its own only a text of at least this many words: intent takes a
 * sentence, and a name, a title or a topic of a word or two gives it too little to go on (the
 * rules still judge those) */
#define MM_MIN_WORDS 6

struct mm_model {
    const int8_t *w; /* [MM_BUCKETS][MM_OUTPUTS], scaled by scale[output] */
    float scale[MM_OUTPUTS];
    float bias[MM_OUTPUTS];
    float add_at;  /* refuse a text the rules let through when P(any) >= add_at */
    float keep_at; /* drop a word-or-phrase finding of the rules when P(any) < keep_at */
};

struct mm_feature {
    uint32_t bucket;
    uint32_t token; /* index into t->tok, or MM_NO_TOKEN */
};

/* The model linked into the binary; NULL (and *why set) when its data is malformed. */
const struct mm_model *mm_builtin(const char **why);

/* Parses a model file's bytes (kept, not copied). 0 on success, -1 with *why. */
int mm_parse(struct mm_model *m, const void *data, size_t len, const char **why);

/* The text's features, in word order (the trainer's view); writes at most cap and returns
 * how many there are. */
size_t mm_features(const struct mt_text *t, struct mm_feature *out, size_t cap);

/* The model reads at most this many words at once, the length of the texts it learned from: a
 * longer text is read a window at a time */
#define MM_WINDOW 32

/* z[o]: the log-odds of outputs [0, outputs) for words [from, to) read as a text (the rest 0):
 * 1 asks only whether any hard rule is broken, MM_OUTPUTS which one too. Allocates nothing. */
void mm_score_words(const struct mm_model *m, const struct mt_text *t, size_t from, size_t to,
                    int outputs, float z[MM_OUTPUTS]);

/* The word of [from, to) that speaks most for output o (where a finding of the model is put),
 * or MM_NO_TOKEN. */
uint32_t mm_strongest_token(const struct mm_model *m, const struct mt_text *t, size_t from,
                            size_t to, int o);

static inline float mm_prob(float z)
{
    return z >= 0 ? 1.0f / (1.0f + __builtin_expf(-z))
                  : __builtin_expf(z) / (1.0f + __builtin_expf(z));
}

#endif
