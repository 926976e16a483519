#include "moderation_model.h"

#include <pthread.h>
#include <string.h>

/* ---- the file ----------------------------------------------------------------------------
 * "SDMM0002", u32 bits, u32 outputs, float scale[outputs], float bias[outputs], float add_at,
 * float keep_at, then int8 weights [1 << bits][outputs]; little-endian (written and read on the
 * same kind of machine: the build links the file in). */

#define MM_MAGIC "SDMM0002"

static const size_t header_bytes = 8 + 4 + 4 + 4 * MM_OUTPUTS * 2 + 4 + 4;

int mm_parse(struct mm_model *m, const void *data, size_t len, const char **why)
{
    const unsigned char *p = data;
    uint32_t bits, outputs;
    if (len < header_bytes || memcmp(p, MM_MAGIC, 8) != 0) {
        *why = "not a model file (magic SDMM0002)";
        return -1;
    }
    memcpy(&bits, p + 8, 4);
    memcpy(&outputs, p + 12, 4);
    if (bits != MM_BITS || outputs != MM_OUTPUTS) {
        *why = "the model's shape is not this engine's (bits, outputs)";
        return -1;
    }
    if (len != header_bytes + (size_t)MM_BUCKETS * MM_OUTPUTS) {
        *why = "the model file's length does not match its shape";
        return -1;
    }
    p += 16;
    memcpy(m->scale, p, sizeof m->scale);
    p += sizeof m->scale;
    memcpy(m->bias, p, sizeof m->bias);
    p += sizeof m->bias;
    memcpy(&m->add_at, p, 4);
    memcpy(&m->keep_at, p + 4, 4);
    m->w = (const int8_t *)(p + 8);
    for (int o = 0; o < MM_OUTPUTS; o++)
        if (!(m->scale[o] >= 0 && m->scale[o] < 1e3f) ||
            !(m->bias[o] > -1e3f && m->bias[o] < 1e3f)) {
            *why = "the model's scales or biases are out of range";
            return -1;
        }
    if (!(m->add_at > 0 && m->add_at <= 1) || !(m->keep_at >= 0 && m->keep_at < m->add_at)) {
        *why = "the model's thresholds are out of range";
        return -1;
    }
    return 0;
}

/* the linked-in file (ld -r -b binary data/moderation_model.bin) */
extern const unsigned char _binary_data_moderation_model_bin_start[];
extern const unsigned char _binary_data_moderation_model_bin_end[];

static struct mm_model builtin;
static const char *builtin_bad;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void builtin_parse(void)
{
    size_t len =
        (size_t)(_binary_data_moderation_model_bin_end - _binary_data_moderation_model_bin_start);
    if (mm_parse(&builtin, _binary_data_moderation_model_bin_start, len, &builtin_bad) != 0)
        builtin.w = NULL;
}

const struct mm_model *mm_builtin(const char **why)
{
    pthread_once(&builtin_once, builtin_parse);
    if (!builtin.w && why)
        *why = builtin_bad;
    return builtin.w ? &builtin : NULL;
}

/* ---- features ---------------------------------------------------------------------------- */

enum { F_WORD = 1, F_PAIR, F_GRAM, F_SEP, F_SHAPE_SEP, F_DIGITS, F_RUN, F_MERGED };

static uint32_t mix(uint32_t h, uint32_t c)
{
    h ^= c;
    return h * 16777619u;
}

static uint32_t start(int kind)
{
    return mix(2166136261u, (uint32_t)kind * 0x9E3779B1u);
}

static uint32_t bucket(uint32_t h)
{
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    return h & (MM_BUCKETS - 1);
}

/* digits of a word read as '0': the model learns shapes of numbers, not numbers */
static uint32_t unit(uint32_t c)
{
    return c >= '0' && c <= '9' ? '0' : c;
}

static uint32_t word_hash(const uint32_t *w, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n && i < 24; i++)
        h = mix(h, unit(w[i]));
    return h;
}

/* a word's shape: its script and a length class */
static uint32_t shape(const struct mt_token *tok)
{
    uint32_t lc = tok->len <= 2 ? 0 : tok->len <= 4 ? 1 : tok->len <= 8 ? 2 : 3;
    return (uint32_t)tok->script * 4 + lc;
}

/* Where features go: collected (the trainer), summed per output (a score), or summed per word
 * for one output (the word that speaks most for it). Generated on the fly, never stored. */
struct sink {
    struct mm_feature *out; /* collect: up to cap */
    size_t n, cap;
    const struct mm_model *m; /* score outputs [0, outputs) */
    int outputs;
    int32_t acc[MM_OUTPUTS];
    int track; /* strongest word for output track, or -1 */
    uint32_t cur, best;
    int32_t cur_sum, best_sum;
};

static void close_word(struct sink *s)
{
    if (s->cur != MM_NO_TOKEN && s->cur_sum > s->best_sum) {
        s->best_sum = s->cur_sum;
        s->best = s->cur;
    }
}

static void put(struct sink *s, uint32_t h, uint32_t token)
{
    uint32_t b = bucket(h);
    if (s->out && s->n < s->cap)
        s->out[s->n] = (struct mm_feature){b, token};
    s->n++;
    if (!s->m)
        return;
    const int8_t *w = s->m->w + (size_t)b * MM_OUTPUTS;
    if (s->track < 0) {
        for (int o = 0; o < s->outputs; o++)
            s->acc[o] += w[o];
        return;
    }
    if (token != s->cur) {
        close_word(s);
        s->cur = token;
        s->cur_sum = 0;
    }
    s->cur_sum += w[s->track];
}

/* The punctuation between two words, spaces dropped, at most four characters: "@", ".",
 * "-", "://", ":" tell an address or a number apart from prose. */
static uint32_t separator(const struct mt_text *t, size_t from, size_t to)
{
    uint32_t h = 2166136261u;
    int k = 0;
    for (size_t i = from; i < to && k < 4; i++)
        if (t->norm[i] != ' ') {
            h = mix(h, t->norm[i]);
            k++;
        }
    return k ? h : 0;
}

static void word_grams(struct sink *s, const uint32_t *w, size_t n, uint32_t token)
{
    uint32_t buf[34];
    size_t m = 0;
    buf[m++] = '^';
    for (size_t i = 0; i < n && i < 32; i++)
        buf[m++] = unit(w[i]);
    buf[m++] = '$';
    /* the 3-, 4- and 5-gram at i share their prefix: one hash extended */
    for (size_t i = 0; i + 3 <= m; i++) {
        uint32_t h = mix(mix(start(F_GRAM), buf[i]), buf[i + 1]);
        for (size_t g = 3; g <= 5 && i + g <= m; g++) {
            h = mix(h, buf[i + g - 1]);
            put(s, h, token);
        }
    }
}

static uint32_t digit_class(size_t n)
{
    return n == 0 ? 0 : n < 5 ? 1 : n < 9 ? 2 : n < 12 ? 3 : n < 17 ? 4 : 5;
}

/* The features of words [from, to) as if they were the whole text: the first word's pair is
 * with the text's start, the counts of digits are the window's. */
static void generate(const struct mt_text *t, size_t from, size_t to, struct sink *sp)
{
    struct sink s = *sp;
    size_t digits = 0, run = 0, longest = 0;
    for (size_t i = from; i < to; i++) {
        const struct mt_token *tok = &t->tok[i];
        const uint32_t *w = t->tokbuf + tok->off;
        uint32_t wh = word_hash(w, tok->len);
        put(&s, mix(start(F_WORD), wh), (uint32_t)i);
        word_grams(&s, w, tok->len, (uint32_t)i);
        uint32_t prev = 0, sep = 0, prev_shape = 99;
        if (i > from) {
            const struct mt_token *p = &t->tok[i - 1];
            prev = word_hash(t->tokbuf + p->off, p->len);
            sep = separator(t, p->last, tok->first);
            prev_shape = shape(p);
        }
        put(&s, mix(mix(start(F_PAIR), prev), wh), (uint32_t)i);
        if (sep) {
            put(&s, mix(start(F_SEP), sep), (uint32_t)i);
            put(&s, mix(mix(mix(start(F_SHAPE_SEP), prev_shape), sep), shape(tok)), (uint32_t)i);
        }
        if (tok->script == MT_DIGITS) {
            digits += tok->len;
            run += tok->len;
        } else {
            run = 0;
        }
        if (run > longest)
            longest = run;
    }
    for (size_t i = 0; i < t->nmerged && from < to; i++) {
        const struct mt_token *m = &t->merged[i];
        const uint32_t *w = t->tokbuf + m->off;
        if (m->first < t->tok[from].first || m->last > t->tok[to - 1].last)
            continue;
        put(&s, mix(start(F_MERGED), word_hash(w, m->len)), MM_NO_TOKEN);
        word_grams(&s, w, m->len, MM_NO_TOKEN);
    }
    put(&s, mix(start(F_DIGITS), digit_class(digits)), MM_NO_TOKEN);
    put(&s, mix(start(F_RUN), digit_class(longest)), MM_NO_TOKEN);
    if (s.track >= 0)
        close_word(&s);
    *sp = s;
}

size_t mm_features(const struct mt_text *t, struct mm_feature *out, size_t cap)
{
    struct sink s = {.out = out, .cap = cap, .track = -1, .cur = MM_NO_TOKEN};
    generate(t, 0, t->ntok, &s);
    return s.n;
}

/* ---- scoring ----------------------------------------------------------------------------- */

void mm_score_words(const struct mm_model *m, const struct mt_text *t, size_t from, size_t to,
                    int outputs, float z[MM_OUTPUTS])
{
    struct sink s = {.m = m, .outputs = outputs, .track = -1, .cur = MM_NO_TOKEN};
    generate(t, from, to, &s);
    /* features are weighted 1/sqrt(n): the scale the model was trained on, texts of up to a
     * window's words; a longer text is scored a window at a time, never whole,
     * since over many words the sum drifts with the length alone */
    float v = s.n ? 1.0f / __builtin_sqrtf((float)s.n) : 0;
    for (int o = 0; o < MM_OUTPUTS; o++)
        z[o] = o < outputs ? m->bias[o] + m->scale[o] * v * (float)s.acc[o] : 0;
}

uint32_t mm_strongest_token(const struct mm_model *m, const struct mt_text *t, size_t from,
                            size_t to, int o)
{
    struct sink s = {.m = m, .track = o, .cur = MM_NO_TOKEN, .best = MM_NO_TOKEN};
    generate(t, from, to, &s);
    return s.best;
}
