#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/moderation.h"
#include "../../src/moderation_model.h"
#include "../../src/moderation_text.h"
#include "unit.h"

/* How the learned opinion joins the rules, with models made here whose answer is known (all
 * weights zero, so P is the bias alone): the decision logic, not the trained weights, which
 * the blind sets measure (bench/README.md). */

#define FILE_BYTES (8 + 4 + 4 + 4 * MM_OUTPUTS * 2 + 8 + (size_t)MM_BUCKETS * MM_OUTPUTS)

static unsigned char *model_file(float bias_any, float bias_rule, int rule, float add_at,
                                 float keep_at)
{
    unsigned char *b = calloc(1, FILE_BYTES), *p = b;
    uint32_t bits = MM_BITS, outputs = MM_OUTPUTS;
    float scale[MM_OUTPUTS], bias[MM_OUTPUTS];
    for (int o = 0; o < MM_OUTPUTS; o++) {
        scale[o] = 1;
        bias[o] = o == 0 ? bias_any : o == 1 + rule ? bias_rule : -5;
    }
    memcpy(p, "SDMM0002", 8);
    memcpy(p + 8, &bits, 4);
    memcpy(p + 12, &outputs, 4);
    memcpy(p + 16, scale, sizeof scale);
    memcpy(p + 16 + sizeof scale, bias, sizeof bias);
    memcpy(p + 16 + 2 * sizeof scale, &add_at, 4);
    memcpy(p + 20 + 2 * sizeof scale, &keep_at, 4);
    return b;
}

static const char *const own[] = {"sellerdesk.dev"};

static int has(const struct mod_result *r, mod_rule rule)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].rule == rule)
            return 1;
    return 0;
}

START_TEST(the_builtin_model_parses)
{
    const char *why = NULL;
    const struct mm_model *m = mod_builtin_model(&why);
    ck_assert_msg(m != NULL, "the linked-in model: %s", why ? why : "?");
    ck_assert_msg(m->add_at > 0.5f && m->add_at <= 1, "add_at %f", (double)m->add_at);
    /* a finding falls only where the model finds the text more likely clean than not: the
     * trainer chooses keep_at in [0, 0.5] */
    ck_assert_msg(m->keep_at >= 0 && m->keep_at <= 0.5f, "keep_at %f", (double)m->keep_at);
}
END_TEST

START_TEST(malformed_models_are_refused)
{
    struct mm_model m;
    const char *why = NULL;
    unsigned char *b = model_file(0, 0, 0, 0.9f, 0.1f);
    ck_assert_int_eq(mm_parse(&m, b, FILE_BYTES, &why), 0);
    ck_assert_int_eq(mm_parse(&m, b, FILE_BYTES - 1, &why), -1);
    ck_assert_str_eq(why, "the model file's length does not match its shape");
    b[0] = 'X';
    ck_assert_int_eq(mm_parse(&m, b, FILE_BYTES, &why), -1);
    ck_assert_str_eq(why, "not a model file (magic SDMM0002)");
    free(b);
    b = model_file(0, 0, 0, 1.5f, 0.1f);
    ck_assert_int_eq(mm_parse(&m, b, FILE_BYTES, &why), -1);
    ck_assert_str_eq(why, "the model's thresholds are out of range");
    free(b);
}
END_TEST

/* a sure model refuses a clean text of six words or more under the rule it names; no word
 * speaks for it here (all weights are zero), so the finding is the whole text; a shorter text
 * it leaves to the rules */
START_TEST(a_sure_model_refuses_what_the_rules_let_through)
{
    struct mm_model m;
    const char *why;
    unsigned char *b = model_file(6, 4, MOD_OFFSITE_SALE, 0.9f, 0.1f);
    ck_assert_int_eq(mm_parse(&m, b, FILE_BYTES, &why), 0);
    struct mod_config rules = {own, 1, NULL, 0, NULL}, both = rules;
    both.model = &m;
    const char *text = "Добрый день, подскажите пожалуйста, какой размер выбрать";
    struct mod_result r;
    ck_assert_int_eq(mod_check(&rules, text, strlen(text), &r), MOD_OK);
    ck_assert_int_eq(r.allowed, 1);
    ck_assert_int_eq(mod_check(&both, text, strlen(text), &r), MOD_OK);
    ck_assert_int_eq(r.allowed, 0);
    ck_assert_uint_eq(r.nfindings, 1);
    ck_assert_str_eq(mod_rule_name(r.findings[0].rule), "offsite_sale");
    ck_assert_uint_eq(r.findings[0].start, 0);
    ck_assert_uint_eq(r.findings[0].end, 56);
    const char *title = "Seller Shop";
    ck_assert_int_eq(mod_check(&both, title, strlen(title), &r), MOD_OK);
    ck_assert_int_eq(r.allowed, 1);
    free(b);
}
END_TEST

/* a model sure of innocence drops findings made of words or phrases; a number, an address, a
 * link or an obscenity always stands, and so do the words beside one */
START_TEST(a_sure_model_overrules_only_words)
{
    struct mm_model m;
    const char *why;
    unsigned char *b = model_file(-6, -6, 0, 0.9f, 0.1f);
    ck_assert_int_eq(mm_parse(&m, b, FILE_BYTES, &why), 0);
    struct mod_config rules = {own, 1, NULL, 0, NULL}, both = rules;
    both.model = &m;
    struct mod_result r;
    const char *words = "Пишите мне в телеграм, договоримся";
    ck_assert_int_eq(mod_check(&rules, words, strlen(words), &r), MOD_OK);
    ck_assert_int_eq(r.allowed, 0);
    ck_assert_int_eq(mod_check(&both, words, strlen(words), &r), MOD_OK);
    ck_assert_int_eq(r.allowed, 1);
    const char *stand[] = {"Пишите в телеграм +7 916 123-45-67",
                           "Подробнее на сайте shop-kettles.ru", "Ты тупой мудак, пиши в телеграм"};
    for (size_t i = 0; i < sizeof stand / sizeof stand[0]; i++) {
        ck_assert_int_eq(mod_check(&both, stand[i], strlen(stand[i]), &r), MOD_OK);
        ck_assert_msg(!r.allowed, "'%s' must stand", stand[i]);
        ck_assert_msg(has(&r, MOD_MESSENGER) || i == 1, "'%s': the words beside it stand",
                      stand[i]);
    }
    free(b);
}
END_TEST

/* A long text is read a window at a time, each window as if it were the whole text: clean
 * words before a violation cannot dilute it away (with the whole text scored, P fell with the
 * length alone). */
START_TEST(a_long_text_is_read_in_windows)
{
    const char *why = NULL;
    const struct mm_model *m = mod_builtin_model(&why);
    ck_assert_msg(m != NULL, "%s", why ? why : "?");
    char text[4096] = "", tail[sizeof text] = "";
    for (int i = 0; i < 60; i++)
        strcat(text, "отличный чайник ");
    strcat(text, "пишите мне в телеграм договоримся");
    struct mt_text t, w;
    ck_assert_int_eq(mt_build(&t, text, strlen(text), MOD_MAX_CHARS), 0);
    ck_assert_uint_eq(t.ntok, 125);
    size_t from = t.ntok - MM_WINDOW, to = t.ntok; /* the last window */
    /* the window's words (the tail of the text) as a text of their own score the same */
    const char *p = text;
    for (size_t i = 0; i < from; i++) /* skip the words before the window, one space each */
        p = strchr(p, ' ') + 1;
    snprintf(tail, sizeof tail, "%s", p);
    ck_assert_int_eq(mt_build(&w, tail, strlen(tail), MOD_MAX_CHARS), 0);
    ck_assert_uint_eq(w.ntok, t.ntok - from);
    float za[MM_OUTPUTS], zb[MM_OUTPUTS];
    mm_score_words(m, &t, from, to, 1, za);
    mm_score_words(m, &w, 0, w.ntok, 1, zb);
    ck_assert_msg(za[0] == zb[0], "window %f, as a text %f", (double)za[0], (double)zb[0]);
    /* the whole text would read otherwise */
    mm_score_words(m, &t, 0, t.ntok, 1, zb);
    ck_assert_msg(za[0] != zb[0], "window %f, whole %f", (double)za[0], (double)zb[0]);
    mt_free(&w);
    mt_free(&t);
}
END_TEST

/* between the thresholds the rules decide alone */
START_TEST(an_unsure_model_changes_nothing)
{
    struct mm_model m;
    const char *why;
    unsigned char *b = model_file(0, 0, 0, 0.9f, 0.1f); /* P = 0.5 */
    ck_assert_int_eq(mm_parse(&m, b, FILE_BYTES, &why), 0);
    struct mod_config rules = {own, 1, NULL, 0, NULL}, both = rules;
    both.model = &m;
    const char *texts[] = {"Пишите мне в телеграм, договоримся",
                           "Добрый день, подскажите пожалуйста, какой размер выбрать"};
    for (int i = 0; i < 2; i++) {
        struct mod_result a, c;
        ck_assert_int_eq(mod_check(&rules, texts[i], strlen(texts[i]), &a), MOD_OK);
        ck_assert_int_eq(mod_check(&both, texts[i], strlen(texts[i]), &c), MOD_OK);
        ck_assert_int_eq(a.allowed, c.allowed);
        ck_assert_uint_eq(a.nfindings, c.nfindings);
    }
    free(b);
}
END_TEST

/* With the linked-in model: a long clean review cannot speak for a violation after it (the
 * finding is judged by its own sentence), and the same review alone stays clean. */
START_TEST(a_long_clean_text_cannot_hide_a_violation)
{
    const char *why = NULL;
    struct mod_config cfg = {own, 1, NULL, 0, mod_builtin_model(&why)};
    ck_assert_msg(cfg.model != NULL, "%s", why ? why : "?");
    static const char review[] =
        "Чайник пришёл быстро, упакован хорошо, кипятит тихо и быстро, крышка открывается "
        "плавно, пластиком не пахнет, шнур длинный, подставка устойчивая, пользуемся каждый "
        "день уже месяц, всем довольны, спасибо продавцу за качественный товар и быструю "
        "доставку, рекомендую всем.";
    const char *tails[] = {" Пишите мне в телеграм, договоримся.",
                           " Закажите у меня напрямую, будет дешевле.",
                           " Ещё больше моделей у нас на kettles-shop.ru", " А продавец — мудак."};
    char text[2048];
    struct mod_result r;
    ck_assert_int_eq(mod_check(&cfg, review, strlen(review), &r), MOD_OK);
    ck_assert_int_eq(r.allowed, 1);
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        snprintf(text, sizeof text, "%s%s", review, tails[i]);
        ck_assert_int_eq(mod_check(&cfg, text, strlen(text), &r), MOD_OK);
        ck_assert_msg(!r.allowed, "allowed: ...%s", tails[i]);
    }
}
END_TEST

Suite *moderation_model_suite(void)
{
    Suite *s = suite_create("moderation_model");
    TCase *tc = tcase_create("second_opinion");
    tcase_add_test(tc, the_builtin_model_parses);
    tcase_add_test(tc, malformed_models_are_refused);
    tcase_add_test(tc, a_sure_model_refuses_what_the_rules_let_through);
    tcase_add_test(tc, a_sure_model_overrules_only_words);
    tcase_add_test(tc, an_unsure_model_changes_nothing);
    tcase_add_test(tc, a_long_text_is_read_in_windows);
    tcase_add_test(tc, a_long_clean_text_cannot_hide_a_violation);
    suite_add_tcase(s, tc);
    return s;
}
