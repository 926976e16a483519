#include "moderation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "moderation_model.h"
#include "moderation_scan.h"

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

/* ---- words ------------------------------------------------------------------------------- */

static int any_in_range(const struct scan *s, size_t from, size_t to, const struct lex_set *set)
{
    for (size_t k = from; k < to && k < s->t->ntok; k++)
        if (ms_token_in_set(s, k, set))
            return 1;
    return 0;
}

/* Is there word a, then within gap words word b? */
static int pair_in_text(const struct scan *s, const struct lex_set *a, const struct lex_set *b,
                        size_t gap)
{
    for (size_t i = 0; i < s->t->ntok; i++)
        if (ms_token_in_set(s, i, a) && any_in_range(s, i + 1, i + 2 + gap, b))
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
        if (ms_tok_in_set(s, &t->merged[i], &s->lex->messenger_words))
            ms_add_token(s, MOD_MESSENGER, &t->merged[i]);
    for (size_t i = 0; i < t->ntok; i++) {
        if (ms_token_in_set(s, i, &s->lex->messenger_words)) {
            if (!messenger_as_feature(s, i) && !not_a_request(s, MOD_MESSENGER, i))
                ms_add_tokens(s, MOD_MESSENGER, i, i);
            continue;
        }
        /* "whats app", "теле грам", "w h a t s": glue words while they spell a name */
        uint32_t buf[64];
        size_t n = 0;
        for (size_t j = i; j < t->ntok && j < i + LEX_WORD_MAX; j++) {
            if (j > i && !ms_short_gap(t, t->tok[j - 1].last, t->tok[j].first))
                break;
            const struct mt_token *tok = &t->tok[j];
            if (n + tok->len > 64)
                break;
            memcpy(buf + n, ms_tok_text(s, j), tok->len * sizeof *buf);
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
                ms_add_tokens(s, MOD_MESSENGER, i, j);
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
        if ((j < first || j > last) && ms_token_in_set(s, j, &ph->context))
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
    if (first > 0 && ms_token_in_set(s, first - 1, &lx->negations))
        return 1;
    /* "переводы на карты мы не принимаем": a negation after it, then the verb that refuses */
    for (size_t j = last + 1; j < last + 4 && j < s->t->ntok; j++) {
        if (ms_token_in_set(s, j, &lx->otherwise_words))
            break;
        if ((ms_token_in_set(s, j, &lx->negations) || ms_token_in_set(s, j, &lx->negations_aux)) &&
            any_in_range(s, j + 1, j + 3, &lx->refusal_verbs))
            return 1;
    }
    /* "не буду переводить", "I won't transfer": a negation, then up to two auxiliaries */
    size_t k = first;
    while (k > 0 && first - k < 2 && ms_token_in_set(s, k - 1, &lx->auxiliaries))
        k--;
    if (k < first && k > 0 &&
        (ms_token_in_set(s, k - 1, &lx->negations) ||
         ms_token_in_set(s, k - 1, &lx->negations_aux)))
        return 1;
    if (any_in_range(s, before, first, &lx->negations_wide) ||
        any_in_range(s, last + 1, last + 4, &lx->negations_wide))
        return 1;
    size_t cond_from = first >= 8 ? first - 8 : 0;
    return any_in_range(s, cond_from, first, &lx->conditionals) &&
           any_in_range(s, 0, s->t->ntok, &lx->fraud_words);
}

/* The platform's own name, in any case and with up to two letters of a case ending ("Озона",
 * "OZON"): the shop talking about its own platform, never a rival. */
#define NAME_MAX_CHARS 64
static int is_vowel(uint32_t c)
{
    return (c < 0x80 && c && strchr("aeiouy", (int)c)) || c == 0x0430 || c == 0x044F ||
           c == 0x043E || c == 0x0435 || c == 0x044B || c == 0x0438 || c == 0x0443 || c == 0x044E;
}

static int platform_name(const struct scan *s, size_t i)
{
    const struct mt_token *tok = &s->t->tok[i];
    for (size_t k = 0; s->cfg && k < s->cfg->nnames; k++) {
        uint32_t w[NAME_MAX_CHARS];
        size_t n = mt_decode_literal(s->cfg->platform_names[k], w, NAME_MAX_CHARS);
        for (size_t j = 0; j < n; j++)
            w[j] = ms_is_upper(w[j]) ? (w[j] == 0x0401 ? 0x0451 : w[j] + (w[j] < 0x80 ? 32 : 0x20))
                                     : w[j];
        /* inflected: "Озона", and "Ярмарки" of "Ярмарка" (a final vowel may change) */
        size_t stem = n > 3 && is_vowel(w[n - 1]) ? n - 1 : n;
        if (n && tok->len <= n + 2 && mt_token_is(s->t, tok, w, stem, 1))
            return 1;
    }
    return 0;
}

/* "Подскажите код цвета краски": a request for a code that names what it is the code of */
static int code_of_a_thing(const struct scan *s, const struct lex_phrase *ph, size_t last)
{
    return ph->rule == MOD_CREDENTIALS_REQUEST && last + 1 < s->t->ntok &&
           ms_token_in_set(s, last + 1, &s->lex->code_objects);
}

/* A phrase step: one of its words, or the platform's own name where the step names it */
static int step_matches(const struct scan *s, size_t i, const struct lex_set *step)
{
    return ms_token_in_set(s, i, step) || (step->platform && platform_name(s, i));
}

/* Does phrase ph match from word i on? Adds the finding when it does. */
static void phrase_at(struct scan *s, const struct lex_phrase *ph, size_t i)
{
    const struct mt_text *t = s->t;
    if (!step_matches(s, i, &ph->steps[0]) || (ph->rule == MOD_OFFSITE_SALE && platform_name(s, i)))
        return;
    size_t at = i, step = 1;
    while (step < ph->nsteps) {
        size_t found = 0;
        for (size_t j = at + 1; j < t->ntok && j <= at + 1 + (size_t)ph->gap; j++)
            if (step_matches(s, j, &ph->steps[step])) {
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
        ms_add_tokens(s, ph->rule, i, at);
}

/* Each word is tried only against the phrases whose first step could start with one of its
 * spellings' first letters (lexicon.phrase_first): a text meets a handful of phrases a word,
 * not all of them. */
static void detect_phrases(struct scan *s)
{
    for (size_t i = 0; i < s->t->ntok; i++) {
        uint64_t cand[LEX_PHRASE_WORDS] = {0};
        for (uint64_t bits = s->tv[i].any_first; bits; bits &= bits - 1)
            for (int k = 0; k < LEX_PHRASE_WORDS; k++)
                cand[k] |= s->lex->phrase_first[__builtin_ctzll(bits)][k];
        for (int k = 0; k < LEX_PHRASE_WORDS; k++)
            for (uint64_t c = cand[k]; c; c &= c - 1)
                phrase_at(s, &s->lex->phrases[64 * k + (size_t)__builtin_ctzll(c)], i);
    }
}

/* A question of a few words that asks for a means of paying or a secret and nothing else
 * ("Реквизиты скинуть?", "Код?"): one entry per kind of thing asked for. */
#define SHORT_ASK_WORDS 6

static int has_question_mark(const struct mt_text *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->orig[i] == '?')
            return 1;
    return 0;
}

static void detect_short_asks(struct scan *s)
{
    const struct mt_text *t = s->t;
    const struct {
        mod_rule rule;
        const struct lex_set *words;
    } kinds[] = {
        {MOD_PAYMENT_OFF_PLATFORM, &s->lex->short_ask_payment},
        {MOD_CREDENTIALS_REQUEST, &s->lex->short_ask_credentials},
    };
    if (t->ntok == 0 || t->ntok > SHORT_ASK_WORDS || !has_question_mark(t))
        return;
    for (size_t i = 0; i < t->ntok; i++)
        if (ms_token_in_set(s, i, &s->lex->short_ask_platform) || platform_name(s, i) ||
            ms_token_in_set(s, i, &s->lex->negations))
            return;
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t i = 0; i < t->ntok; i++)
            if (ms_token_in_set(s, i, kinds[k].words) &&
                !(i + 1 < t->ntok && ms_token_in_set(s, i + 1, &s->lex->code_objects))) {
                ms_add_tokens(s, kinds[k].rule, i, i);
                break;
            }
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
        used += ms_make_variants(&s, &t.tok[i], &s.tv[i], spare + used);
    ms_build_addr(&s);
    ms_detect_emails(&s);
    ms_detect_links(&s);
    ms_detect_handles(&s);
    ms_detect_digit_runs(&s);
    ms_detect_phone_groups(&s);
    ms_detect_spelled_numbers(&s);
    s.words_phase = 1;
    detect_messenger_words(&s);
    detect_phrases(&s);
    detect_short_asks(&s);
    s.words_phase = 0;
    ms_detect_profanity(&s);
    if (by_words_out)
        *by_words_out = ms_words_only_rules(&s);
    else
        ms_second_opinion(&s);
    ms_detect_soft(&s);
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
