#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/config.h"
#include "unit.h"

#define SECRET "0123456789abcdef0123456789abcdef"

static const char *vars[] = {"DATABASE_URL",
                             "SELLERDESK_PORT",
                             "SELLERDESK_JWT_SECRET",
                             "SELLERDESK_JWT_ALG",
                             "SELLERDESK_LOG_LEVEL",
                             "SELLERDESK_DB_POOL_SIZE",
                             "SELLERDESK_CURSOR_SECRET",
                             "SELLERDESK_ACCESS_TOKEN_TTL",
                             "SELLERDESK_REFRESH_TOKEN_TTL",
                             "SELLERDESK_DISPUTE_SELLER_HOURS",
                             "SELLERDESK_DISPUTE_OPEN_DAYS",
                             "SELLERDESK_HTTP_WORKERS"};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

/* defaults -> env -> validate; returns 0/-1 and the message */
static int load(struct sd_config *cfg, char *err, size_t len)
{
    config_defaults(cfg);
    if (config_load_env(cfg, err, len) != 0)
        return -1;
    return config_validate(cfg, 1, err, len);
}

START_TEST(defaults_need_a_secret)
{
    struct sd_config cfg;
    char err[256] = "";
    clear_env();
    ck_assert_int_eq(load(&cfg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "SELLERDESK_JWT_SECRET"));
    config_free(&cfg);
}
END_TEST

START_TEST(short_secret_refused)
{
    struct sd_config cfg;
    char err[256] = "";
    clear_env();
    setenv("SELLERDESK_JWT_SECRET", "too-short", 1);
    ck_assert_int_eq(load(&cfg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "at least 32 bytes"));
    config_free(&cfg);
}
END_TEST

START_TEST(valid_environment)
{
    struct sd_config cfg;
    char err[256] = "";
    clear_env();
    setenv("SELLERDESK_JWT_SECRET", SECRET, 1);
    setenv("SELLERDESK_PORT", "9001", 1);
    setenv("SELLERDESK_DB_POOL_SIZE", "4", 1);
    setenv("SELLERDESK_LOG_LEVEL", "warn", 1);
    ck_assert_msg(load(&cfg, err, sizeof err) == 0, "unexpected error: %s", err);
    ck_assert_int_eq(cfg.port, 9001);
    ck_assert_int_eq(cfg.db_pool_size, 4);
    ck_assert_int_eq(cfg.log_level, LOG_WARN);
    ck_assert_int_eq(cfg.access_ttl_s, 900);
    ck_assert_uint_eq(cfg.max_body_bytes, 1u << 20);
    ck_assert_uint_eq(cfg.max_upload_bytes, 5u << 20);
    ck_assert_int_eq(cfg.chat_seller_window_h, 72);
    ck_assert_int_eq(cfg.chat_messages_per_minute, 30);
    ck_assert_int_eq(cfg.chat_repeat_limit, 10);
    ck_assert_str_eq(cfg.jwt_issuer, "sellerdesk");
    /* the cursor key falls back to the token secret */
    ck_assert_str_eq(cfg.cursor_secret, SECRET);
    config_free(&cfg);
}
END_TEST

/* The workers default to two per CPU (at most 16), as the HTTP threads with the pipe; a value
 * set is kept, and one out of range is refused by name. */
START_TEST(workers_two_per_cpu_unless_set)
{
    struct sd_config cfg;
    char err[256] = "";
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    cpus = cpus < 1 ? 1 : cpus > 8 ? 8 : cpus;
    clear_env();
    setenv("SELLERDESK_JWT_SECRET", SECRET, 1);
    ck_assert_msg(load(&cfg, err, sizeof err) == 0, "unexpected error: %s", err);
    ck_assert_int_eq(cfg.http_workers, 2 * cpus);
    config_free(&cfg);
    setenv("SELLERDESK_HTTP_WORKERS", "7", 1);
    ck_assert_msg(load(&cfg, err, sizeof err) == 0, "unexpected error: %s", err);
    ck_assert_int_eq(cfg.http_workers, 7);
    config_free(&cfg);
    setenv("SELLERDESK_HTTP_WORKERS", "501", 1);
    ck_assert_int_eq(load(&cfg, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "SELLERDESK_HTTP_WORKERS") != NULL, "not named: %s", err);
    config_free(&cfg);
    unsetenv("SELLERDESK_HTTP_WORKERS");
}
END_TEST

START_TEST(bad_values_named_in_the_message)
{
    static const struct {
        const char *var, *value, *expect;
    } cases[] = {
        {"SELLERDESK_PORT", "0", "SELLERDESK_PORT"},
        {"SELLERDESK_PORT", "80a", "SELLERDESK_PORT"},
        {"SELLERDESK_PORT", "70000", "between 1 and 65535"},
        {"SELLERDESK_DB_POOL_SIZE", "-1", "SELLERDESK_DB_POOL_SIZE"},
        {"SELLERDESK_JWT_ALG", "none", "unknown algorithm"},
        {"SELLERDESK_LOG_LEVEL", "loud", "unknown level"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sd_config cfg;
        char err[256] = "";
        clear_env();
        setenv("SELLERDESK_JWT_SECRET", SECRET, 1);
        setenv(cases[i].var, cases[i].value, 1);
        ck_assert_int_eq(load(&cfg, err, sizeof err), -1);
        ck_assert_msg(strstr(err, cases[i].expect) != NULL, "%s=%s: message '%s' lacks '%s'",
                      cases[i].var, cases[i].value, err, cases[i].expect);
        config_free(&cfg);
    }
}
END_TEST

/* A dispute deadline is a number in the unit of its name, or a number with its own unit, so
 * tests can shorten days to seconds; anything else, or past the maximum, is refused. */
START_TEST(durations_in_their_unit_or_with_one)
{
    static const struct {
        const char *var, *value;
        long long seconds; /* -1: refused */
    } cases[] = {
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "72", 72 * 3600},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "3s", 3},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "15m", 900},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "2h", 7200},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "90d", 90 * 86400},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "91d", -1},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "0", -1},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "0s", -1},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "-5s", -1},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "s", -1},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "3 s", -1},
        {"SELLERDESK_DISPUTE_SELLER_HOURS", "3w", -1},
        {"SELLERDESK_DISPUTE_OPEN_DAYS", "14", 14 * 86400},
        {"SELLERDESK_DISPUTE_OPEN_DAYS", "4s", 4},
        {"SELLERDESK_DISPUTE_OPEN_DAYS", "366", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sd_config cfg;
        char err[256] = "";
        clear_env();
        setenv("SELLERDESK_JWT_SECRET", SECRET, 1);
        setenv(cases[i].var, cases[i].value, 1);
        int rc = load(&cfg, err, sizeof err);
        if (cases[i].seconds < 0) {
            ck_assert_msg(rc == -1 && strstr(err, cases[i].var), "%s=%s: accepted (%s)",
                          cases[i].var, cases[i].value, err);
        } else {
            long long got = strcmp(cases[i].var, "SELLERDESK_DISPUTE_OPEN_DAYS") == 0
                                ? cfg.dispute_open_s
                                : cfg.dispute_seller_s;
            ck_assert_msg(rc == 0 && got == cases[i].seconds, "%s=%s: %lld s, expected %lld (%s)",
                          cases[i].var, cases[i].value, got, cases[i].seconds, err);
        }
        config_free(&cfg);
    }
    clear_env();
}
END_TEST

START_TEST(refresh_must_outlive_access)
{
    struct sd_config cfg;
    char err[256] = "";
    clear_env();
    setenv("SELLERDESK_JWT_SECRET", SECRET, 1);
    setenv("SELLERDESK_ACCESS_TOKEN_TTL", "3600", 1);
    setenv("SELLERDESK_REFRESH_TOKEN_TTL", "600", 1);
    ck_assert_int_eq(load(&cfg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "SELLERDESK_REFRESH_TOKEN_TTL"));
    config_free(&cfg);
}
END_TEST

START_TEST(asymmetric_needs_key_files)
{
    struct sd_config cfg;
    char err[256] = "";
    clear_env();
    setenv("SELLERDESK_JWT_ALG", "RS256", 1);
    ck_assert_int_eq(load(&cfg, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "SELLERDESK_JWT_PRIVATE_KEY_FILE"));
    config_free(&cfg);
}
END_TEST

START_TEST(file_then_environment)
{
    struct sd_config cfg;
    char err[256] = "", path[] = "/tmp/sd-config-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "# comment\nSELLERDESK_PORT=7000\nSELLERDESK_DB_POOL_SIZE=3\n"
               "SELLERDESK_JWT_SECRET=" SECRET "\n");
    fclose(f);
    clear_env();
    setenv("SELLERDESK_PORT", "7001", 1);
    config_defaults(&cfg);
    ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof err), 0);
    ck_assert_int_eq(cfg.port, 7000);
    ck_assert_int_eq(config_load_env(&cfg, err, sizeof err), 0);
    ck_assert_int_eq(cfg.port, 7001); /* environment wins */
    ck_assert_int_eq(cfg.db_pool_size, 3);
    ck_assert_int_eq(config_validate(&cfg, 1, err, sizeof err), 0);
    config_free(&cfg);
    unlink(path);
}
END_TEST

START_TEST(file_with_unknown_key)
{
    struct sd_config cfg;
    char err[256] = "", path[] = "/tmp/sd-config-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "SELLERDESK_PORTT=7000\n");
    fclose(f);
    config_defaults(&cfg);
    ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unknown setting 'SELLERDESK_PORTT'"));
    ck_assert_ptr_nonnull(strstr(err, ":1:"));
    config_free(&cfg);
    unlink(path);
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, defaults_need_a_secret);
    tcase_add_test(tc, short_secret_refused);
    tcase_add_test(tc, valid_environment);
    tcase_add_test(tc, workers_two_per_cpu_unless_set);
    tcase_add_test(tc, bad_values_named_in_the_message);
    tcase_add_test(tc, refresh_must_outlive_access);
    tcase_add_test(tc, durations_in_their_unit_or_with_one);
    tcase_add_test(tc, asymmetric_needs_key_files);
    tcase_add_test(tc, file_then_environment);
    tcase_add_test(tc, file_with_unknown_key);
    suite_add_tcase(s, tc);
    return s;
}
