/* modcheck: runs the content-safety engine over lines of stdin and prints the verdicts, with
 * the server's configuration (defaults, the file named by SELLERDESK_CONFIG, the environment:
 * SELLERDESK_PLATFORM_DOMAINS and SELLERDESK_PLATFORM_NAMES matter here). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/config.h"
#include "../../src/moderation.h"

static const char usage[] =
    "usage: modcheck [--corpus] < FILE\n"
    "  modcheck            one verdict per input line: allowed|REFUSED [rule start-end 'text']...\n"
    "  modcheck --corpus   lines \"expect<TAB>rules<TAB>family<TAB>text\" (expect: refuse, flag "
    "or\n"
    "                      pass; rules: comma-separated rule names, '-' for none; '#' lines are\n"
    "                      comments): per-rule recall and false positives, \"N passed, N "
    "failed\";\n"
    "                      exit 1 on any miss, 2 on a line it cannot read\n"
    "The engine is configured as the server is: SELLERDESK_PLATFORM_DOMAINS (links allowed),\n"
    "SELLERDESK_PLATFORM_NAMES (the platform's own names), SELLERDESK_MODERATION_MODEL (1: the\n"
    "learned second opinion joins the rules, 0: the rules alone), from SELLERDESK_CONFIG or the\n"
    "environment.\n";

static struct mod_config cfg;

static void print_result(const struct mod_result *r)
{
    printf("%s", r->allowed ? "allowed" : "REFUSED");
    for (size_t i = 0; i < r->nfindings; i++)
        printf(" [%s %zu-%zu '%s']", mod_rule_name(r->findings[i].rule), r->findings[i].start,
               r->findings[i].end, r->findings[i].fragment);
    printf("\n");
}

static int has_rule(const struct mod_result *r, mod_rule rule)
{
    for (size_t i = 0; i < r->nfindings; i++)
        if (r->findings[i].rule == rule)
            return 1;
    return 0;
}

struct stats {
    int expected[MOD_RULE__COUNT], found[MOD_RULE__COUNT];
    int pass_total, pass_refused, flag_total, flag_wrong, lines, misses;
    int fp_by_rule[MOD_RULE__COUNT];
};

/* Checks one corpus line; returns 1 when the engine agrees with the label. */
static int corpus_line(char *line, struct stats *st, int verbose)
{
    char *expect = strtok(line, "\t"), *rules = strtok(NULL, "\t");
    char *family = strtok(NULL, "\t"), *text = strtok(NULL, "\n");
    struct mod_result r;
    if (!expect || !rules || !family || !text || strchr(text, '\t') ||
        (strcmp(expect, "refuse") && strcmp(expect, "flag") && strcmp(expect, "pass")))
        return -1;
    if (strcmp(rules, "-") != 0) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", rules);
        for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
             name = strtok_r(NULL, ",", &save))
            if (mod_rule_parse(name) == MOD_RULE__COUNT)
                return -1;
    } else if (strcmp(expect, "pass") != 0) {
        return -1;
    }
    st->lines++;
    if (mod_check(&cfg, text, strlen(text), &r) != MOD_OK)
        return 0;
    int ok = 1;
    if (strcmp(expect, "pass") == 0) {
        st->pass_total++;
        if (!r.allowed) {
            st->pass_refused++;
            for (size_t i = 0; i < r.nfindings; i++)
                if (r.findings[i].hard)
                    st->fp_by_rule[r.findings[i].rule]++;
            ok = 0;
        }
    } else {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", rules);
        for (char *save = NULL, *name = strtok_r(buf, ",", &save); name;
             name = strtok_r(NULL, ",", &save)) {
            mod_rule rule = mod_rule_parse(name);
            if (rule == MOD_RULE__COUNT)
                continue;
            st->expected[rule]++;
            if (has_rule(&r, rule))
                st->found[rule]++;
            else
                ok = 0;
        }
        if (strcmp(expect, "refuse") == 0 && r.allowed)
            ok = 0;
        if (strcmp(expect, "flag") == 0) {
            st->flag_total++;
            if (!r.allowed) {
                st->flag_wrong++;
                ok = 0;
            }
        }
    }
    if (!ok) {
        st->misses++;
        if (verbose) {
            printf("MISS %s %s %s: %s\n  -> ", expect, rules, family, text);
            print_result(&r);
        }
    }
    return ok;
}

/* The server's configuration: defaults, the file, the environment, validated. */
static int load_config(struct sd_config *sc)
{
    char err[512];
    const char *file = getenv("SELLERDESK_CONFIG");
    config_defaults(sc);
    if ((file && *file && config_load_file(sc, file, err, sizeof err) != 0) ||
        config_load_env(sc, err, sizeof err) != 0 || config_validate(sc, 0, err, sizeof err) != 0) {
        fprintf(stderr, "modcheck: %s\n", err);
        return -1;
    }
    cfg.allowed_domains = sc->platform_domain_list;
    cfg.nallowed = sc->nplatform_domains;
    cfg.platform_names = sc->platform_name_list;
    cfg.nnames = sc->nplatform_names;
    if (sc->moderation_model) {
        const char *why = NULL;
        if (!(cfg.model = mod_builtin_model(&why))) {
            fprintf(stderr, "modcheck: the content-safety model is unusable: %s\n", why);
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    char line[65536], copy[65536];
    int corpus = argc == 2 && strcmp(argv[1], "--corpus") == 0;
    long lineno = 0;
    struct stats st;
    struct sd_config sc;
    if (argc > 2 || (argc == 2 && !corpus)) {
        fputs(usage,
              strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? stdout : stderr);
        return argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) ? 0 : 2;
    }
    if (load_config(&sc) != 0)
        return 2;
    memset(&st, 0, sizeof st);
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        if (corpus) {
            if (line[0] == '#' || line[0] == '\n')
                continue;
            snprintf(copy, sizeof copy, "%s", line);
            /* a line that does not parse is an error, not a silent pass */
            if (corpus_line(line, &st, 1) < 0) {
                fprintf(stderr,
                        "modcheck: line %ld is not expect<TAB>rules<TAB>family<TAB>text: %s",
                        lineno, copy);
                config_free(&sc);
                return 2;
            }
            continue;
        }
        line[strcspn(line, "\n")] = '\0';
        struct mod_result r;
        mod_status ms = mod_check(&cfg, line, strlen(line), &r);
        if (ms != MOD_OK)
            printf("error %d\n", ms);
        else
            print_result(&r);
    }
    config_free(&sc);
    if (!corpus)
        return 0;
    if (st.lines == 0) {
        fprintf(stderr, "modcheck: no corpus lines read\n");
        return 2;
    }
    printf("\n%-22s %8s %8s %8s\n", "rule", "expected", "found", "recall");
    for (int r = 0; r < MOD_RULE__COUNT; r++)
        if (st.expected[r])
            printf("%-22s %8d %8d %7.1f%%\n", mod_rule_name(r), st.expected[r], st.found[r],
                   100.0 * st.found[r] / st.expected[r]);
    printf("\nmust-pass lines: %d, refused: %d (false-positive rate %.1f%%)\n", st.pass_total,
           st.pass_refused, st.pass_total ? 100.0 * st.pass_refused / st.pass_total : 0.0);
    for (int r = 0; r < MOD_RULE__COUNT; r++)
        if (st.fp_by_rule[r])
            printf("  false positives by %s: %d\n", mod_rule_name(r), st.fp_by_rule[r]);
    printf("flag lines: %d, wrongly refused: %d\n", st.flag_total, st.flag_wrong);
    printf("%d passed, %d failed\n", st.lines - st.misses, st.misses);
    return st.misses ? 1 : 0;
}
