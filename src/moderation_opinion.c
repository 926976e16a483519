/* The learned second opinion beside the rules (src/moderation_model.c scores): it may drop a
 * finding that rests on words alone, and refuse a text the rules let through. */
#include "moderation_model.h"
#include "moderation_scan.h"

/* The hard rules found by words or phrases alone (every finding of the rule rests on them). */
unsigned ms_words_only_rules(const struct scan *s)
{
    unsigned words = 0, other = 0;
    for (size_t i = 0; i < s->out->nfindings; i++)
        if (s->out->findings[i].hard)
            *(s->by_words[i] ? &words : &other) |= 1u << s->out->findings[i].rule;
    return words & ~other;
}

static float p_any(const struct mm_model *m, const struct mt_text *t, size_t from, size_t to)
{
    float z[MM_OUTPUTS];
    mm_score_words(m, t, from, to, 1, z);
    return mm_prob(z[0]);
}

/* Does a sentence end between words i - 1 and i: '.', '!', '?', ';' or a line break, then a
 * space ("ozon.ru" is one sentence)? */
static int sentence_break(const struct mt_text *t, size_t i)
{
    int mark = 0;
    for (size_t k = t->tok[i - 1].last; k < t->tok[i].first; k++) {
        uint32_t c = t->norm[k];
        if (c == '.' || c == '!' || c == '?' || c == ';' || c == '\n')
            mark = 1;
        else if (mark && (c == ' ' || c == '\n' || c == '\t'))
            return 1;
    }
    return 0;
}

/* The words a finding covers, [*first, *last]; 0 when it covers none. */
static int finding_words(const struct mt_text *t, const struct mod_finding *f, size_t *first,
                         size_t *last)
{
    size_t i = 0;
    while (i < t->ntok && t->tok[i].oend <= f->start)
        i++;
    if (i == t->ntok || t->tok[i].ostart >= f->end)
        return 0;
    *first = *last = i;
    while (*last + 1 < t->ntok && t->tok[*last + 1].ostart < f->end)
        (*last)++;
    return 1;
}

/* What the model reads to judge a finding of words [first, last]: a text of up to MM_WINDOW
 * words whole (as it learned), a longer one only the sentences the finding is in, so the clean
 * words of the rest cannot speak for it ("...рекомендую всем. Пишите мне в телеграм"); 0 when
 * those are longer than MM_WINDOW words too: then the finding stands. */
static int judged_words(const struct mt_text *t, size_t first, size_t last, size_t *from,
                        size_t *to)
{
    *from = 0;
    *to = t->ntok;
    if (t->ntok <= MM_WINDOW)
        return 1;
    *from = first;
    while (*from > 0 && !sentence_break(t, *from))
        (*from)--;
    *to = last + 1;
    while (*to < t->ntok && !sentence_break(t, *to))
        (*to)++;
    return *to - *from <= MM_WINDOW;
}

/* A finding that rests on words or phrases alone falls when the model, reading what it is
 * judged on (judged_words), is sure it is clean. */
static void overrule_words(struct scan *s, const struct mm_model *m)
{
    struct mod_result *r = s->out;
    size_t k = 0;
    for (size_t i = 0; i < r->nfindings; i++) {
        size_t first, last, from, to;
        if (s->by_words[i] && finding_words(s->t, &r->findings[i], &first, &last) &&
            judged_words(s->t, first, last, &from, &to) && p_any(m, s->t, from, to) < m->keep_at)
            continue;
        r->findings[k++] = r->findings[i];
    }
    r->nfindings = k;
}

/* The model refuses a text of MM_MIN_WORDS words or more that the rules let through when it
 * is sure of a violation in some window of it, under the rule it names, at the word that speaks
 * most for it. */
static void refuse_unseen(struct scan *s, const struct mm_model *m)
{
    const struct mt_text *t = s->t;
    size_t best_from = 0, best_to = t->ntok;
    float best = -1;
    for (size_t from = 0;; from += MM_WINDOW / 2) {
        size_t to = from + MM_WINDOW < t->ntok ? from + MM_WINDOW : t->ntok;
        float p = p_any(m, t, from, to);
        if (p > best) {
            best = p;
            best_from = from;
            best_to = to;
        }
        if (to == t->ntok)
            break;
    }
    if (best < m->add_at)
        return;
    float z[MM_OUTPUTS];
    mm_score_words(m, t, best_from, best_to, MM_OUTPUTS, z);
    int rule = 1;
    for (int o = 2; o < MM_OUTPUTS; o++)
        if (z[o] > z[rule])
            rule = o;
    uint32_t tok = mm_strongest_token(m, t, best_from, best_to, rule);
    if (tok == MM_NO_TOKEN) {
        ms_add(s, (mod_rule)(rule - 1), t->tok[best_from].ostart, t->tok[best_to - 1].oend);
        return;
    }
    size_t first = tok > best_from ? tok - 1 : tok, last = tok + 1 < best_to ? tok + 1 : tok;
    ms_add_tokens(s, (mod_rule)(rule - 1), first, last);
}

/* The second opinion: a number, an address, a link or an obscenity always stands, and so does
 * every finding beside one; findings of words or phrases alone may fall (overrule_words); a
 * text the rules let through may be refused (refuse_unseen). Thresholds: the model file's,
 * chosen by the trainer on cross-validated scores. */
void ms_second_opinion(struct scan *s)
{
    const struct mm_model *m = s->cfg ? s->cfg->model : NULL; /* no configuration: rules alone */
    int hard = 0, stands = 0;
    for (size_t i = 0; i < s->out->nfindings; i++) {
        hard |= s->out->findings[i].hard;
        stands |= s->out->findings[i].hard && !s->by_words[i];
    }
    if (!m || stands)
        return;
    if (hard)
        overrule_words(s, m);
    else if (s->t->ntok >= MM_MIN_WORDS)
        refuse_unseen(s, m);
}
