/* Microbenchmark of the content-safety check on realistic messages of about 200 and 2,000
 * characters (clean and with violations). Prints microseconds per check, by the rules alone
 * and with the learned second opinion (the server's default).
 *   build/release/moderation_bench [iterations]                                            */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/moderation.h"

static const char *const own[] = {"sellerdesk.dev"};
static struct mod_config cfg = {own, 1, NULL, 0, NULL};

/* ~200 characters each */
static const char *const short_msgs[] = {
    "Здравствуйте! Подскажите, пожалуйста, "
    "подойдёт ли этот чехол для iPhone 15 Pro? "
    "Заказ №48571234-0012-1, размер 42–44, "
    "цена 1 999 ₽. Доставка Почтой России "
    "или СДЭК, спасибо!",
    "Hello, I ordered the XR-2000 kettle (posting 10000004-0001) on 12.05.2024, 220 V, but the "
    "lid does not close properly. Could you send a replacement through the platform? Thanks.",
    "Добрый день, товар пришёл, но коробка "
    "помята. Пишите мне в вотсап 8 916 123-45-67 "
    "или на почту ivan (at) mail (dot) ru, "
    "переведу деньги на карту 4111 1111 1111 1111 "
    "дешевле.",
};

static double per_check_us(const struct mod_config *c, const char *text, long iterations)
{
    struct timespec a, b;
    struct mod_result r;
    size_t len = strlen(text);
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < iterations; i++)
        mod_check(c, text, len, &r);
    clock_gettime(CLOCK_MONOTONIC, &b);
    return ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1e3 /
           (double)iterations;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 20000;
    char long_msg[16384] = "";
    /* ~2,000 characters: ten short messages in a row, like a long review */
    for (int i = 0; i < 10; i++) {
        strcat(long_msg, short_msgs[i % 2]);
        strcat(long_msg, " ");
    }
    struct mod_result warm;
    mod_check(&cfg, "warm up", 7, &warm); /* builds the lexicon once */
    const char *why = NULL;
    struct mod_config with_model = cfg;
    if (!(with_model.model = mod_builtin_model(&why))) {
        fprintf(stderr, "moderation_bench: the model is unusable: %s\n", why);
        return 1;
    }
    printf("%-34s %6s %12s %12s\n", "message", "chars", "rules us", "+model us");
    const char *names[] = {"short, clean (ru)", "short, clean (en)", "short, five violations"};
    for (int i = 0; i < 3; i++)
        printf("%-34s %6zu %12.2f %12.2f\n", names[i], utf8_chars(short_msgs[i]),
               per_check_us(&cfg, short_msgs[i], iterations),
               per_check_us(&with_model, short_msgs[i], iterations));
    printf("%-34s %6zu %12.2f %12.2f\n", "long, clean (ru+en)", utf8_chars(long_msg),
           per_check_us(&cfg, long_msg, iterations / 10),
           per_check_us(&with_model, long_msg, iterations / 10));
    return 0;
}
