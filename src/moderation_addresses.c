#include "moderation_scan.h"

#include <stdlib.h>
#include <string.h>

/* ---- e-mail addresses and links ---------------------------------------------------------- */

static int addr_char(uint32_t c)
{
    return mt_is_letter(c) || mt_is_digit(c) || c == '.' || c == '-' || c == '_' || c == '+' ||
           c == '%';
}

/* "at" in English prose ("photos at http://...", "log in at site.com") is not an '@'; it is
 * one in brackets, or before a mail host, or before a domain whose dots are spelled too. */
static int at_word_is_at(const struct scan *s, size_t ti)
{
    const struct mt_text *t = s->t;
    if (!ms_token_in_set(s, ti, &s->lex->email_bare_at))
        return 1; /* "собака" */
    uint32_t before = t->tok[ti].first > 0 ? t->norm[t->tok[ti].first - 1] : ' ';
    if (before == '(' || before == '[' || before == '{' || before == '<')
        return 1;
    if (ti + 1 < t->ntok && ms_token_in_set(s, ti + 1, &s->lex->mail_hosts))
        return 1;
    return ti + 2 < t->ntok && ms_token_in_set(s, ti + 2, &s->lex->email_dot);
}

/* A login before word ti: the text back to the previous space holds a digit, '.' or '_'
 * ("katya.sh", "ivan85"). */
static int login_before(const struct scan *s, size_t ti)
{
    const struct mt_text *t = s->t;
    size_t k = t->tok[ti].first;
    while (k > 0 && t->norm[k - 1] == ' ')
        k--;
    int letters = 0, marks = 0;
    while (k > 0 && t->norm[k - 1] != ' ') {
        uint32_t c = t->norm[--k];
        letters += mt_is_letter(c);
        marks += mt_is_digit(c) || c == '.' || c == '_';
    }
    return letters && marks;
}

/* Builds s->addr: the normalized stream with spelled-out '@' and '.' put back. */
void ms_build_addr(struct scan *s)
{
    const struct mt_text *t = s->t;
    size_t ti = 0;
    s->naddr = 0;
    for (size_t i = 0; i < t->nnorm;) {
        while (ti < t->ntok && t->tok[ti].first < i)
            ti++;
        uint32_t repl = 0;
        size_t end = i;
        /* defanged "hxxps://", "[.]", "(@)": written to get past filters, read as meant */
        static const uint32_t hxxp[] = {'h', 'x', 'x', 'p'};
        if (i + 4 <= t->nnorm && memcmp(t->norm + i, hxxp, sizeof hxxp) == 0 &&
            (i == 0 || !mt_is_letter(t->norm[i - 1]))) {
            static const uint32_t http[] = {'h', 't', 't', 'p'};
            for (size_t k = 0; k < 4; k++) {
                s->addr[s->naddr] = http[k];
                s->addr_norm[s->naddr++] = i + k;
            }
            i += 4;
            continue;
        }
        if (i + 2 < t->nnorm && (t->norm[i] == '[' || t->norm[i] == '(' || t->norm[i] == '{') &&
            (t->norm[i + 1] == '.' || t->norm[i + 1] == '@') &&
            (t->norm[i + 2] == ']' || t->norm[i + 2] == ')' || t->norm[i + 2] == '}')) {
            repl = t->norm[i + 1];
            end = i + 3;
        } else if (ti < t->ntok && t->tok[ti].first == i && ti > 0 && ti + 1 < t->ntok) {
            if (ms_token_in_set(s, ti, &s->lex->email_at) && at_word_is_at(s, ti))
                repl = '@';
            else if (ms_token_in_set(s, ti, &s->lex->email_on) &&
                     ms_token_in_set(s, ti + 1, &s->lex->mail_hosts) && login_before(s, ti))
                repl = '@';
            else if (ms_token_in_set(s, ti, &s->lex->email_dot))
                repl = '.';
            end = t->tok[ti].last;
        }
        if (repl) {
            /* swallow brackets and spaces around it: "ivan (at) mail" */
            size_t a = s->naddr;
            while (a > 0 &&
                   (s->addr[a - 1] == ' ' || s->addr[a - 1] == '(' || s->addr[a - 1] == '[' ||
                    s->addr[a - 1] == '{' || s->addr[a - 1] == '<'))
                a--;
            size_t b = end;
            while (b < t->nnorm && (t->norm[b] == ' ' || t->norm[b] == ')' || t->norm[b] == ']' ||
                                    t->norm[b] == '}' || t->norm[b] == '>'))
                b++;
            if (a > 0 && addr_char(s->addr[a - 1]) && b < t->nnorm && addr_char(t->norm[b])) {
                s->naddr = a;
                s->addr[s->naddr] = repl;
                s->addr_norm[s->naddr++] = i;
                i = b;
                continue;
            }
        }
        s->addr[s->naddr] = t->norm[i];
        s->addr_norm[s->naddr++] = i;
        i++;
    }
}

static void add_addr(struct scan *s, mod_rule rule, size_t afirst, size_t alast)
{
    ms_add_norm(s, rule, s->addr_norm[afirst], s->addr_norm[alast - 1] + 1);
}

/* The label sequence at a[i..): returns the end of "label(.label)+", and the start of the
 * last label; 0 if none. */
static size_t domain_at(const struct scan *s, size_t i, size_t *tld_start, size_t *nlabels)
{
    const uint32_t *a = s->addr;
    size_t n = s->naddr, end = i, label_start = i;
    *nlabels = 0;
    while (end < n) {
        size_t k = end;
        while (k < n && (mt_is_letter(a[k]) || mt_is_digit(a[k]) || a[k] == '-'))
            k++;
        if (k == end)
            break;
        (*nlabels)++;
        label_start = end;
        end = k;
        /* optional spaces around the dot only when the dot was spelled out */
        size_t d = end;
        while (d < n && a[d] == ' ')
            d++;
        if (d < n && a[d] == '.') {
            size_t e = d + 1;
            while (e < n && a[e] == ' ' && e - d < 3)
                e++;
            if (e < n && (mt_is_letter(a[e]) || mt_is_digit(a[e])) && (e == d + 1 || d > end)) {
                end = e;
                continue;
            }
        }
        break;
    }
    *tld_start = label_start;
    return *nlabels >= 2 ? (a[end - 1] == '.' ? end - 1 : end) : 0;
}

/* An address by number with a path or a port after it ("185.22.14.9/app.apk",
 * "10.0.0.1:8080"): four numbers up to 255 cut by dots. A version or a date ("1.2.3.4",
 * "12.05.2024") has no path after it. */
static int ip_link(const struct scan *s, size_t from, size_t end)
{
    const uint32_t *a = s->addr;
    int parts = 0, value = 0, digits = 0;
    for (size_t k = from; k < end; k++) {
        if (mt_is_digit(a[k])) {
            value = value * 10 + (int)(a[k] - '0');
            if (++digits > 3 || value > 255)
                return 0;
        } else if (a[k] == '.' && digits) {
            parts++;
            value = digits = 0;
        } else {
            return 0;
        }
    }
    return parts == 3 && digits && end < s->naddr && (a[end] == '/' || a[end] == ':');
}

/* the original character behind address character k */
static uint32_t original_at(const struct scan *s, size_t k)
{
    return s->t->orig[s->t->norm_orig[s->addr_norm[k]]];
}

static int is_capital(uint32_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 0x0410 && c <= 0x042F) || c == 0x0401;
}

static int is_tld(const struct scan *s, size_t from, size_t to)
{
    if (to - from < 2 || to - from > 24)
        return 0;
    for (size_t k = from; k < to; k++)
        if (!mt_is_letter(s->addr[k]))
            return 0;
    /* "Please fix.It broke", "promo.Sale ends": a capital then small letters after the dot
     * start a sentence written without a space (a shouted "SHOP.RU" is still a domain) */
    if (is_capital(original_at(s, from)) && !is_capital(original_at(s, from + 1)))
        return 0;
    return ms_in_set(s->addr + from, to - from, &s->lex->tlds);
}

static void ascii_lower(const uint32_t *a, size_t n, char *out, size_t cap)
{
    size_t m = 0;
    for (size_t k = 0; k < n && m + 1 < cap; k++)
        out[m++] = a[k] < 0x80 ? (char)a[k] : '?';
    out[m] = '\0';
}

static int domain_allowed(const struct scan *s, size_t from, size_t to)
{
    char d[256];
    ascii_lower(s->addr + from, to - from, d, sizeof d);
    size_t dl = strlen(d);
    for (size_t i = 0; s->cfg && i < s->cfg->nallowed; i++) {
        const char *ok = s->cfg->allowed_domains[i];
        size_t ol = strlen(ok);
        if (dl == ol && strcmp(d, ok) == 0)
            return 1;
        if (dl > ol && d[dl - ol - 1] == '.' && strcmp(d + dl - ol, ok) == 0)
            return 1;
    }
    return 0;
}

void ms_detect_emails(struct scan *s)
{
    const uint32_t *a = s->addr;
    for (size_t i = 0; i < s->naddr; i++) {
        if (a[i] != '@')
            continue;
        size_t l = i;
        while (l > 0 && a[l - 1] == ' ' && i - l < 2)
            l--;
        size_t local_end = l;
        while (l > 0 && (addr_char(a[l - 1]) ||
                         (a[l - 1] == ' ' && l >= 2 && (a[l - 2] == '.' || a[l] == '.'))))
            l--;
        while (l < local_end && a[l] == ' ')
            l++;
        size_t r = i + 1;
        while (r < s->naddr && a[r] == ' ' && r - i < 3)
            r++;
        size_t tld, nl;
        size_t end = domain_at(s, r, &tld, &nl);
        if (local_end > l && end && is_tld(s, tld, end)) {
            add_addr(s, MOD_EMAIL, l, end);
            s->email_end = s->t->norm_orig[s->addr_norm[end - 1]] + 1;
            continue;
        }
        /* "ivan85 собака яндекс ру", "ivan@gmail": a mail host is enough */
        size_t h = r;
        while (h < s->naddr && mt_is_letter(a[h]))
            h++;
        if (local_end > l && h > r && ms_in_set(a + r, h - r, &s->lex->mail_hosts)) {
            add_addr(s, MOD_EMAIL, l, h);
            s->email_end = s->t->norm_orig[s->addr_norm[h - 1]] + 1;
        }
    }
}

/* Link shorteners and messenger links: contacts, whatever the TLD. */
static const char *const messenger_hosts[] = {
    "wa.me",     "t.me",         "telegram.me",       "telegram.org",    "vk.com",
    "vk.me",     "vk.cc",        "instagram.com",     "ig.me",           "m.me",
    "viber.com", "whatsapp.com", "chat.whatsapp.com", "invite.viber.com"};

static int is_messenger_host(const char *d)
{
    for (size_t i = 0; i < sizeof messenger_hosts / sizeof messenger_hosts[0]; i++) {
        size_t hl = strlen(messenger_hosts[i]), dl = strlen(d);
        if (strcmp(d, messenger_hosts[i]) == 0 ||
            (dl > hl && d[dl - hl - 1] == '.' && strcmp(d + dl - hl, messenger_hosts[i]) == 0))
            return 1;
    }
    return 0;
}

void ms_detect_links(struct scan *s)
{
    const uint32_t *a = s->addr;
    for (size_t i = 0; i < s->naddr; i++) {
        if (i > 0 && (addr_char(a[i - 1]) || a[i - 1] == '@' || a[i - 1] == '/'))
            continue;
        if (!mt_is_letter(a[i]) && !mt_is_digit(a[i]))
            continue;
        size_t start = i, p = i;
        /* scheme:// and www. */
        static const uint32_t http[] = {'h', 't', 't', 'p'};
        if (s->naddr - p > 7 && memcmp(a + p, http, sizeof http) == 0) {
            size_t q = p + 4 + (a[p + 4] == 's');
            if (q + 2 < s->naddr && a[q] == ':' && a[q + 1] == '/' && a[q + 2] == '/')
                p = q + 3;
        }
        size_t tld, nl, end = domain_at(s, p, &tld, &nl);
        if (end && ip_link(s, p, end)) {
            add_addr(s, MOD_URL, start, end);
            i = end;
            continue;
        }
        if (!end || !is_tld(s, tld, end)) {
            if (p != start) /* "http://" followed by anything is a link */
                add_addr(s, MOD_URL, start, p);
            continue;
        }
        size_t first_label_len = 0;
        while (p + first_label_len < end && a[p + first_label_len] != '.')
            first_label_len++;
        size_t orig_start = s->t->norm_orig[s->addr_norm[start]];
        char host[256];
        ascii_lower(a + p, end - p, host, sizeof host);
        if (is_messenger_host(host)) {
            /* a messenger's link moves the talk there and is a link off the platform too */
            add_addr(s, MOD_MESSENGER, start, end);
            add_addr(s, MOD_URL, start, end);
        } else if (orig_start >= s->email_end && !domain_allowed(s, p, end) &&
                   (first_label_len >= 2 || nl >= 3 || p != start)) {
            add_addr(s, MOD_URL, start, end);
        }
        i = end;
    }
}

/* "@ivan_shop" offered as a contact (not the @ of an e-mail address). */
void ms_detect_handles(struct scan *s)
{
    const struct mt_text *t = s->t;
    for (size_t i = 0; i + 3 < t->nnorm; i++) {
        if (t->norm[i] != '@' ||
            (i > 0 && (mt_is_letter(t->norm[i - 1]) || mt_is_digit(t->norm[i - 1]))))
            continue;
        size_t k = i + 1;
        while (k < t->nnorm &&
               (t->norm[k] < 0x80 && (mt_is_letter(t->norm[k]) || mt_is_digit(t->norm[k]) ||
                                      t->norm[k] == '_' || t->norm[k] == '.')))
            k++;
        if (k - i - 1 >= 3)
            ms_add_norm(s, MOD_MESSENGER, i, k);
    }
}
