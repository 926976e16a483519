/* modtrain: trains the content-safety engine's learned second opinion
 * (src/moderation_model.h) on labelled lines and writes data/moderation_model.bin.
 *
 * One logistic output for "breaks a hard rule" and one per hard rule, over the engine's own
 * hashed features, by AdaGrad. The two thresholds that decide how the model joins the rules
 * (refuse what the rules let through at P >= add_at; overrule a finding made of words or
 * phrases only at P < keep_at) are chosen on out-of-fold scores of a k-fold split, never on
 * the lines the scores came from; the figures it prints are cross-validated training figures,
 * not a blind measure (that is tests/moderation/blind-eval.py on a set nobody trained on).
 *
 * In a text of more than MM_WINDOW words the engine judges a finding by its sentences and looks
 * for violations a window at a time; the lines here are scored whole, which is the same for all
 * but a handful of them (7 of 15,700 are longer). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/moderation.h"
#include "../src/moderation_model.h"
#include "../src/moderation_text.h"

static const char usage[] =
    "usage: modtrain [--out FILE] [--folds K] [--epochs N] [--max-fp PCT] SET.tsv...\n"
    "  Trains on lines \"expect<TAB>rules<TAB>family<TAB>text\" (the corpus format of\n"
    "  tests/moderation/*.tsv), chooses the thresholds on K-fold (default 5) out-of-fold\n"
    "  scores, lines of one family in one fold: the most refusals with at most PCT (default\n"
    "  1.0) % of clean lines refused, and writes the model (default data/moderation_model.bin).\n"
    "  Exit 2 on a line it cannot read. MODTRAIN_ERRORS=FILE writes the lines the chosen\n"
    "  thresholds get wrong out of fold.\n";

struct line {
    float y[MM_OUTPUTS];
    int refuse;
    struct mm_feature *f;
    size_t nf, words;
    char *text;
    unsigned rules_hard, rules_words; /* what the rules alone say */
    int fold;
    int synthetic; /* a few words cut from a clean line: trained on, never judged */
    float oof;     /* P(any) from the model that did not see the line's fold */
};

struct weights {
    float *w, *g; /* [MM_BUCKETS][MM_OUTPUTS]: weights and AdaGrad's sums of squares */
    float b[MM_OUTPUTS], gb[MM_OUTPUTS];
};

/* the sets were written for two platforms: the blind and training sets for ozon.ru, the first
 * corpus for sellerdesk.dev; a link to either is the platform's own */
static const char *const own_domains[] = {"ozon.ru", "sellerdesk.dev"};
static const char *const own_names[] = {"Ozon", "Озон", "Sellerdesk"};

static void die(const char *msg)
{
    fprintf(stderr, "modtrain: %s\n", msg);
    exit(2);
}

static void line_free(struct line *l)
{
    free(l->f);
    free(l->text);
    l->f = NULL;
    l->text = NULL;
}

static uint32_t fnv(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Reads one line into l; its family's hash in *family. 0, or -1 with nothing kept. */
static int parse_line(char *buf, struct line *l, const struct mod_config *cfg, uint32_t *family)
{
    char *expect = strtok(buf, "\t"), *rules = strtok(NULL, "\t");
    char *fam = strtok(NULL, "\t"), *text = strtok(NULL, "\n");
    if (!expect || !rules || !fam || !text || strchr(text, '\t'))
        return -1;
    memset(l, 0, sizeof *l);
    *family = fnv(fam);
    l->refuse = strcmp(expect, "refuse") == 0;
    if (!l->refuse && strcmp(expect, "pass") && strcmp(expect, "flag"))
        return -1;
    if (strcmp(rules, "-") != 0) {
        for (char *save = NULL, *n = strtok_r(rules, ",", &save); n;
             n = strtok_r(NULL, ",", &save)) {
            mod_rule r = mod_rule_parse(n);
            if (r == MOD_RULE__COUNT)
                return -1;
            if (l->refuse && mod_rule_is_hard(r))
                l->y[1 + r] = 1;
        }
    } else if (strcmp(expect, "pass") != 0) {
        return -1;
    }
    l->y[0] = (float)l->refuse;
    struct mt_text t;
    struct mod_rules_view v;
    if (mt_build(&t, text, strlen(text), MOD_MAX_CHARS) != 0)
        return -1;
    size_t n = mm_features(&t, NULL, 0);
    l->f = malloc((n + 1) * sizeof *l->f);
    l->text = strdup(text);
    if (!l->f || !l->text)
        die("out of memory");
    l->nf = mm_features(&t, l->f, n);
    l->words = t.ntok;
    mt_free(&t);
    if (mod_check_rules(cfg, text, strlen(text), &v) != MOD_OK) {
        line_free(l);
        return -1;
    }
    l->rules_hard = v.hard;
    l->rules_words = v.by_words;
    return 0;
}

static void forward(const struct weights *W, const struct line *l, float z[MM_OUTPUTS])
{
    float v = l->nf ? 1.0f / sqrtf((float)l->nf) : 0;
    for (int o = 0; o < MM_OUTPUTS; o++)
        z[o] = W->b[o];
    for (size_t i = 0; i < l->nf; i++) {
        const float *w = W->w + (size_t)l->f[i].bucket * MM_OUTPUTS;
        for (int o = 0; o < MM_OUTPUTS; o++)
            z[o] += w[o] * v;
    }
}

static float sigmoid(float z)
{
    return 1.0f / (1.0f + expf(-z));
}

/* a fixed generator (an LCG): the same sets give the same model */
static uint64_t next_random(uint64_t *seed)
{
    *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
    return *seed >> 33;
}

static void shuffle(size_t *order, size_t n, uint64_t *seed)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(next_random(seed) % i), t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}

/* lines whose fold is not skip (skip < 0: all), each epoch in a new fixed shuffled order */
static void train(struct weights *W, struct line *L, size_t n, size_t *order, int skip, int epochs)
{
    const float lr = 0.5f, l2 = 1e-5f;
    uint64_t seed = 88172645463325252ull;
    memset(W->w, 0, (size_t)MM_BUCKETS * MM_OUTPUTS * sizeof *W->w);
    for (size_t i = 0; i < (size_t)MM_BUCKETS * MM_OUTPUTS; i++)
        W->g[i] = 1e-6f;
    memset(W->b, 0, sizeof W->b);
    for (int o = 0; o < MM_OUTPUTS; o++)
        W->gb[o] = 1e-6f;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (int e = 0; e < epochs; e++) {
        shuffle(order, n, &seed);
        for (size_t k = 0; k < n; k++) {
            struct line *l = &L[order[k]];
            if (skip >= 0 && l->fold == skip)
                continue;
            float z[MM_OUTPUTS], d[MM_OUTPUTS];
            forward(W, l, z);
            for (int o = 0; o < MM_OUTPUTS; o++) {
                d[o] = sigmoid(z[o]) - l->y[o];
                W->gb[o] += d[o] * d[o];
                W->b[o] -= lr * d[o] / sqrtf(W->gb[o]);
            }
            float v = l->nf ? 1.0f / sqrtf((float)l->nf) : 0;
            for (size_t i = 0; i < l->nf; i++) {
                float *w = W->w + (size_t)l->f[i].bucket * MM_OUTPUTS;
                float *g = W->g + (size_t)l->f[i].bucket * MM_OUTPUTS;
                for (int o = 0; o < MM_OUTPUTS; o++) {
                    float grad = d[o] * v + l2 * w[o];
                    g[o] += grad * grad;
                    w[o] -= lr * grad / sqrtf(g[o]);
                }
            }
        }
    }
}

struct verdicts {
    int refuse_total, refused, clean_total, clean_refused;
};

/* the engine's decision for one line, as second_opinion() in src/moderation.c makes it */
static int refused(const struct line *l, float p, float add_at, float keep_at)
{
    if (l->rules_hard & ~l->rules_words)
        return 1;
    if (l->rules_hard)
        return p >= keep_at;
    return p >= add_at && l->words >= MM_MIN_WORDS;
}

static struct verdicts judge(const struct line *L, size_t n, float add_at, float keep_at)
{
    struct verdicts v = {0};
    for (size_t i = 0; i < n; i++) {
        if (L[i].synthetic)
            continue;
        int r = refused(&L[i], L[i].oof, add_at, keep_at);
        *(L[i].refuse ? &v.refuse_total : &v.clean_total) += 1;
        *(L[i].refuse ? &v.refused : &v.clean_refused) += r;
    }
    return v;
}

static void report(const char *what, struct verdicts v)
{
    printf("%-34s recall %5.1f %% (%d/%d), clean refused %4.1f %% (%d/%d)\n", what,
           100.0 * v.refused / v.refuse_total, v.refused, v.refuse_total,
           100.0 * v.clean_refused / v.clean_total, v.clean_refused, v.clean_total);
}

static void write_model(const char *path, const struct weights *W, float add_at, float keep_at)
{
    static int8_t q[(size_t)MM_BUCKETS * MM_OUTPUTS];
    float scale[MM_OUTPUTS];
    for (int o = 0; o < MM_OUTPUTS; o++) {
        float mx = 0;
        for (size_t b = 0; b < MM_BUCKETS; b++)
            mx = fmaxf(mx, fabsf(W->w[b * MM_OUTPUTS + o]));
        scale[o] = mx > 0 ? mx / 127.0f : 1.0f;
        for (size_t b = 0; b < MM_BUCKETS; b++)
            q[b * MM_OUTPUTS + o] = (int8_t)lrintf(W->w[b * MM_OUTPUTS + o] / scale[o]);
    }
    FILE *f = fopen(path, "wb");
    uint32_t bits = MM_BITS, outputs = MM_OUTPUTS;
    if (!f || fwrite("SDMM0002", 1, 8, f) != 8 || fwrite(&bits, 4, 1, f) != 1 ||
        fwrite(&outputs, 4, 1, f) != 1 || fwrite(scale, sizeof scale, 1, f) != 1 ||
        fwrite(W->b, sizeof W->b, 1, f) != 1 || fwrite(&add_at, 4, 1, f) != 1 ||
        fwrite(&keep_at, 4, 1, f) != 1 || fwrite(q, sizeof q, 1, f) != 1 || fclose(f) != 0)
        die("cannot write the model file");
}

/* The engine reads int8 weights: the written file must decide as the float model does, on all
 * but a few lines whose score sits on a threshold. */
static void check_written(const char *path, const struct weights *W, const struct line *L, size_t n)
{
    static unsigned char bytes[(size_t)MM_BUCKETS * MM_OUTPUTS + 4096];
    struct mm_model m;
    const char *why = "?";
    FILE *f = fopen(path, "rb");
    size_t len = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f)
        fclose(f);
    if (mm_parse(&m, bytes, len, &why) != 0)
        die(why);
    size_t differ = 0;
    for (size_t i = 0; i < n; i++) {
        float z[MM_OUTPUTS];
        int32_t acc = 0;
        forward(W, &L[i], z);
        for (size_t k = 0; k < L[i].nf; k++)
            acc += m.w[(size_t)L[i].f[k].bucket * MM_OUTPUTS];
        float v = L[i].nf ? 1.0f / sqrtf((float)L[i].nf) : 0;
        float pq = sigmoid(m.bias[0] + m.scale[0] * v * (float)acc), pf = sigmoid(z[0]);
        differ += (pq >= m.add_at) != (pf >= m.add_at) || (pq < m.keep_at) != (pf < m.keep_at);
    }
    printf("int8 weights decide as the float model on %zu of %zu lines\n", n - differ, n);
    if (differ * 100 > n)
        die("the int8 weights decide otherwise on more than 1 % of the lines");
}

/* A clean line also teaches as a few of its words: titles, topics and short replies are clean
 * texts of three to six words, and the sets hold few of them. A cut the rules refuse (the words
 * that made the line clean, a negation or a report, were cut off) is not clean: left out. */
static size_t add_synthetic(struct line **Lp, size_t n, size_t *cap, const struct mod_config *cfg)
{
    static char buf[65536];
    size_t originals = n;
    for (size_t i = 0; i < originals; i++) {
        struct line *L = *Lp;
        if (L[i].refuse || L[i].words < 7)
            continue;
        const char *start[64], *end[64];
        size_t nw = 0;
        for (const char *p = L[i].text; *p && nw < 64;) {
            while (*p == ' ')
                p++;
            if (!*p)
                break;
            start[nw] = p;
            while (*p && *p != ' ')
                p++;
            end[nw++] = p;
        }
        size_t k = 3 + i % 4;
        if (nw < k + 1)
            continue;
        size_t from = (i * 7) % (nw - k + 1);
        int len = (int)(end[from + k - 1] - start[from]);
        if (n == *cap && !(*Lp = realloc(*Lp, (*cap *= 2) * sizeof **Lp)))
            die("out of memory");
        L = *Lp;
        uint32_t family;
        snprintf(buf, sizeof buf, "pass\t-\tsynthetic\t%.*s", len, start[from]);
        if (parse_line(buf, &L[n], cfg, &family) != 0)
            continue;
        if (L[n].rules_hard) {
            line_free(&L[n]);
            continue;
        }
        L[n].fold = L[i].fold;
        L[n].synthetic = 1;
        n++;
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *out = "data/moderation_model.bin";
    int folds = 5, epochs = 8, first = 1;
    float max_fp = 1.0f;
    for (; first < argc && argv[first][0] == '-'; first += 2) {
        if (first + 1 >= argc) {
            fputs(usage, stderr);
            return 2;
        }
        if (strcmp(argv[first], "--out") == 0)
            out = argv[first + 1];
        else if (strcmp(argv[first], "--folds") == 0)
            folds = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "--epochs") == 0)
            epochs = atoi(argv[first + 1]);
        else if (strcmp(argv[first], "--max-fp") == 0)
            max_fp = strtof(argv[first + 1], NULL);
        else {
            fputs(usage, stderr);
            return 2;
        }
    }
    if (first >= argc || folds < 2 || epochs < 1 || !(max_fp >= 0 && max_fp <= 100)) {
        fputs(usage, stderr);
        return 2;
    }
    const struct mod_config cfg = {own_domains, 2, own_names, 3, NULL};
    size_t n = 0, cap = 1024;
    struct line *L = malloc(cap * sizeof *L);
    static char buf[65536], copy[65536];
    if (!L)
        die("out of memory");
    for (int a = first; a < argc; a++) {
        FILE *f = fopen(argv[a], "r");
        long no = 0;
        if (!f)
            die("cannot open a set");
        while (fgets(buf, sizeof buf, f)) {
            no++;
            if (buf[0] == '#' || buf[0] == '\n')
                continue;
            if (n == cap && !(L = realloc(L, (cap *= 2) * sizeof *L)))
                die("out of memory");
            snprintf(copy, sizeof copy, "%s", buf);
            uint32_t family;
            if (parse_line(buf, &L[n], &cfg, &family) != 0) {
                fprintf(stderr, "modtrain: %s:%ld is not expect<TAB>rules<TAB>family<TAB>text: %s",
                        argv[a], no, copy);
                return 2;
            }
            /* lines of one family (often one frame with other values) share a fold, so a
             * line's score never comes from a model that saw its near twin */
            L[n].fold = (int)(family % (uint32_t)folds);
            n++;
        }
        fclose(f);
    }
    size_t originals = n;
    n = add_synthetic(&L, n, &cap, &cfg);
    size_t *order = malloc(n * sizeof *order);
    struct weights W;
    W.w = malloc((size_t)MM_BUCKETS * MM_OUTPUTS * sizeof *W.w);
    W.g = malloc((size_t)MM_BUCKETS * MM_OUTPUTS * sizeof *W.g);
    if (!order || !W.w || !W.g)
        die("out of memory");
    for (int k = 0; k < folds; k++) {
        train(&W, L, n, order, k, epochs);
        for (size_t i = 0; i < n; i++) {
            if (L[i].fold != k)
                continue;
            float z[MM_OUTPUTS];
            forward(&W, &L[i], z);
            L[i].oof = sigmoid(z[0]);
        }
    }
    printf("%zu lines (and %zu cut from clean ones), %d folds by family, %d epochs\n", originals,
           n - originals, folds, epochs);
    report("rules alone:", judge(L, n, 2.0f, 0.0f));
    struct verdicts alone = {0};
    for (size_t i = 0; i < n; i++) {
        if (L[i].synthetic)
            continue;
        *(L[i].refuse ? &alone.refuse_total : &alone.clean_total) += 1;
        *(L[i].refuse ? &alone.refused : &alone.clean_refused) += L[i].oof >= 0.5f;
    }
    report("model alone (P >= 0.5):", alone);
    /* the goal is a bound on false refusals: within it, the most refusals; past it, the fewest
     * false ones */
    float best_add = 2.0f, best_keep = 0.0f, best_cost = 1e30f;
    for (int a = 50; a <= 99; a++)
        for (int k = 0; k < a && k <= 50; k++) {
            float add = (float)a / 100, keep = (float)k / 100;
            struct verdicts v = judge(L, n, add, keep);
            float fp = 100.0f * (float)v.clean_refused / (float)v.clean_total;
            float cost = fp > max_fp ? 1000.0f + fp
                                     : (float)(v.refuse_total - v.refused) / (float)v.refuse_total;
            if (cost < best_cost - 1e-6f) {
                best_cost = cost;
                best_add = add;
                best_keep = keep;
            }
        }
    char what[80];
    snprintf(what, sizeof what, "rules + model (add %.2f, keep %.2f):", best_add, best_keep);
    report(what, judge(L, n, best_add, best_keep));
    snprintf(what, sizeof what, "rules + model, adding only (%.2f):", best_add);
    report(what, judge(L, n, best_add, 0.0f));
    const char *errors = getenv("MODTRAIN_ERRORS");
    FILE *ef = errors ? fopen(errors, "w") : NULL;
    for (size_t i = 0; ef && i < n; i++)
        if (!L[i].synthetic && refused(&L[i], L[i].oof, best_add, best_keep) != L[i].refuse)
            fprintf(ef, "%s\t%.2f\trules=%x words=%x\t%s\n", L[i].refuse ? "MISSED" : "REFUSED",
                    (double)L[i].oof, L[i].rules_hard, L[i].rules_words, L[i].text);
    if (ef)
        fclose(ef);
    train(&W, L, n, order, -1, epochs);
    write_model(out, &W, best_add, best_keep);
    check_written(out, &W, L, n);
    printf("wrote %s (thresholds from out-of-fold scores; figures above are not blind)\n", out);
    for (size_t i = 0; i < n; i++)
        line_free(&L[i]);
    free(L);
    free(order);
    free(W.w);
    free(W.g);
    return 0;
}
