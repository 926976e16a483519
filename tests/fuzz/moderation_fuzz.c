/* libFuzzer target for the content-safety engine: any bytes in, no crash, no sanitizer
 * report, and every finding inside the text it came from. Run with `make fuzz`. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../src/moderation.h"

static const char *const own[] = {"sellerdesk.dev"};
/* the server's engine: rules and the learned second opinion (set at the first input) */
static struct mod_config cfg = {own, 1, NULL, 0, NULL};

static size_t utf8_chars(const uint8_t *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += (s[i] & 0xC0) != 0x80;
    return c;
}

/* the fragment is a piece of the original text, cut at a character boundary */
static int fragment_ok(const char *frag, const uint8_t *text, size_t n)
{
    size_t len = strlen(frag);
    if (len >= MOD_FRAGMENT_MAX)
        return 0;
    if (len == 0)
        return 1;
    if (((unsigned char)frag[0] & 0xC0) == 0x80)
        return 0;
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(text + i, frag, len) == 0)
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mod_result r;
    if (!cfg.model && !(cfg.model = mod_builtin_model(NULL)))
        __builtin_trap();
    if (mod_check(&cfg, (const char *)data, size, &r) != MOD_OK)
        return 0;
    size_t chars = utf8_chars(data, size);
    int hard = 0;
    if (r.nfindings > MOD_MAX_FINDINGS)
        __builtin_trap();
    for (size_t i = 0; i < r.nfindings; i++) {
        const struct mod_finding *f = &r.findings[i];
        if (f->rule >= MOD_RULE__COUNT || f->start >= f->end || f->end > chars ||
            f->hard != mod_rule_is_hard(f->rule) || !fragment_ok(f->fragment, data, size))
            __builtin_trap();
        hard |= f->hard;
        if (i > 0 && r.findings[i - 1].start > f->start)
            __builtin_trap();
    }
    if (r.allowed == hard)
        __builtin_trap();
    return 0;
}
