#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "moderation_policy.h"

/* K_DAYS, K_HOURS: a number in that unit (min and max too), or with a unit of its own (30s,
 * 15m, 2h, 3d) so tests can shorten a deadline of days to seconds; kept in seconds. */
enum kind { K_STR, K_INT, K_BOOL, K_SIZE, K_ULL, K_ALG, K_LEVEL, K_DAYS, K_HOURS };

struct setting {
    const char *env;
    enum kind kind;
    size_t offset;
    long long min, max;
};

#define OFF(f) offsetof(struct sd_config, f)
static const struct setting settings[] = {
    {"DATABASE_URL", K_STR, OFF(database_url), 0, 0},
    {"SELLERDESK_PORT", K_INT, OFF(port), 1, 65535},
    {"SELLERDESK_BIND_ADDRESS", K_STR, OFF(bind_address), 0, 0},
    {"SELLERDESK_JWT_ALG", K_ALG, OFF(jwt_alg), 0, 0},
    {"SELLERDESK_JWT_SECRET", K_STR, OFF(jwt_secret), 0, 0},
    {"SELLERDESK_JWT_PRIVATE_KEY_FILE", K_STR, OFF(jwt_private_key_file), 0, 0},
    {"SELLERDESK_JWT_PUBLIC_KEY_FILE", K_STR, OFF(jwt_public_key_file), 0, 0},
    {"SELLERDESK_JWT_ISSUER", K_STR, OFF(jwt_issuer), 0, 0},
    {"SELLERDESK_JWT_AUDIENCE", K_STR, OFF(jwt_audience), 0, 0},
    {"SELLERDESK_CURSOR_SECRET", K_STR, OFF(cursor_secret), 0, 0},
    {"SELLERDESK_ACCESS_TOKEN_TTL", K_INT, OFF(access_ttl_s), 30, 86400},
    {"SELLERDESK_REFRESH_TOKEN_TTL", K_INT, OFF(refresh_ttl_s), 60, 365 * 86400},
    {"SELLERDESK_DB_POOL_SIZE", K_INT, OFF(db_pool_size), 1, 500},
    {"SELLERDESK_DB_ACQUIRE_TIMEOUT_MS", K_INT, OFF(db_acquire_timeout_ms), 1, 60000},
    {"SELLERDESK_DB_STATEMENT_TIMEOUT_MS", K_INT, OFF(db_statement_timeout_ms), 0, 600000},
    {"SELLERDESK_DB_CONNECT_TIMEOUT", K_INT, OFF(db_connect_timeout_s), 1, 60},
    {"SELLERDESK_DB_PIPE_CONNS", K_INT, OFF(db_pipe_conns), 0, 16},
    {"SELLERDESK_MAX_BODY_BYTES", K_SIZE, OFF(max_body_bytes), 1024, 64LL << 20},
    {"SELLERDESK_CONNECTION_TIMEOUT", K_INT, OFF(connection_timeout_s), 1, 3600},
    {"SELLERDESK_HTTP_THREADS", K_INT, OFF(http_threads), 0, 256},
    {"SELLERDESK_HTTP_FRONT", K_INT, OFF(http_front), 0, 1},
    {"SELLERDESK_HTTP_WORKERS", K_INT, OFF(http_workers), 0, 500},
    {"SELLERDESK_MAX_CONNECTIONS", K_INT, OFF(max_connections), 16, 1000000},
    {"SELLERDESK_MAX_CONNECTIONS_PER_CLIENT", K_INT, OFF(max_connections_per_client), 1, 1000000},
    {"SELLERDESK_REQUEST_HEAD_TIMEOUT", K_INT, OFF(request_head_timeout_s), 1, 3600},
    {"SELLERDESK_MAX_ANSWER_MEMORY", K_SIZE, OFF(max_answer_memory), 1LL << 20, 1LL << 40},
    {"SELLERDESK_MIN_TRANSFER_RATE", K_SIZE, OFF(min_transfer_rate), 1, 1LL << 30},
    {"SELLERDESK_SHUTDOWN_GRACE", K_INT, OFF(shutdown_grace_s), 0, 600},
    {"SELLERDESK_LOG_LEVEL", K_LEVEL, OFF(log_level), 0, 0},
    {"SELLERDESK_LOGIN_MAX_FAILURES_ACCOUNT", K_INT, OFF(login_max_failures_account), 1, 1000},
    {"SELLERDESK_LOGIN_MAX_FAILURES_CLIENT", K_INT, OFF(login_max_failures_client), 1, 100000},
    {"SELLERDESK_LOGIN_WINDOW", K_INT, OFF(login_window_s), 1, 86400},
    {"SELLERDESK_LOGIN_LOCKOUT", K_INT, OFF(login_lockout_s), 1, 86400},
    {"SELLERDESK_IDEMPOTENCY_TTL", K_INT, OFF(idempotency_ttl_s), 60, 30 * 86400},
    {"SELLERDESK_PWHASH_OPSLIMIT", K_ULL, OFF(pwhash_opslimit), 1, 64},
    {"SELLERDESK_PWHASH_MEMLIMIT", K_SIZE, OFF(pwhash_memlimit), 8LL << 20, 4LL << 30},
    {"SELLERDESK_PWHASH_CONCURRENCY", K_INT, OFF(pwhash_concurrency), 1, 256},
    {"SELLERDESK_MIGRATIONS_DIR", K_STR, OFF(migrations_dir), 0, 0},
    {"SELLERDESK_PLATFORM_DOMAINS", K_STR, OFF(platform_domains), 0, 0},
    {"SELLERDESK_PLATFORM_NAMES", K_STR, OFF(platform_names), 0, 0},
    {"SELLERDESK_MODERATION_CHECK_RATE", K_INT, OFF(moderation_check_per_minute), 1, 100000},
    {"SELLERDESK_MODERATION_MODEL", K_INT, OFF(moderation_model), 0, 1},
    {"SELLERDESK_MAX_UPLOAD_BYTES", K_SIZE, OFF(max_upload_bytes), 1024, 64LL << 20},
    {"SELLERDESK_MAX_VIDEO_BYTES", K_SIZE, OFF(max_video_bytes), 1024, 256LL << 20},
    {"SELLERDESK_CHAT_SELLER_WINDOW_HOURS", K_INT, OFF(chat_seller_window_h), 0, 24 * 365},
    {"SELLERDESK_CHAT_MESSAGE_RATE", K_INT, OFF(chat_messages_per_minute), 1, 100000},
    {"SELLERDESK_CHAT_REPEAT_LIMIT", K_INT, OFF(chat_repeat_limit), 1, 100000},
    {"SELLERDESK_MODERATION_POLICY_QUESTIONS", K_STR, OFF(moderation_policy_questions), 0, 0},
    {"SELLERDESK_MODERATION_POLICY_ANSWERS", K_STR, OFF(moderation_policy_answers), 0, 0},
    {"SELLERDESK_MODERATION_POLICY_REVIEWS", K_STR, OFF(moderation_policy_reviews), 0, 0},
    {"SELLERDESK_MODERATION_POLICY_REVIEW_COMMENTS_SELLER", K_STR,
     OFF(moderation_policy_review_comments_seller), 0, 0},
    {"SELLERDESK_MODERATION_POLICY_REVIEW_COMMENTS_BUYER", K_STR,
     OFF(moderation_policy_review_comments_buyer), 0, 0},
    {"SELLERDESK_MODERATION_DAYS", K_INT, OFF(moderation_days), 0, 365},
    {"SELLERDESK_MODERATION_HOLIDAYS", K_STR, OFF(moderation_holidays), 0, 0},
    {"SELLERDESK_PUSH_URL", K_STR, OFF(push_url), 0, 0},
    {"SELLERDESK_PUSH_SECRET", K_STR, OFF(push_secret), 0, 0},
    {"SELLERDESK_SMTP_URL", K_STR, OFF(smtp_url), 0, 0},
    {"SELLERDESK_SMTP_FROM", K_STR, OFF(smtp_from), 0, 0},
    {"SELLERDESK_DELIVERY_MAX_ATTEMPTS", K_INT, OFF(delivery_max_attempts), 1, 100},
    {"SELLERDESK_DELIVERY_BACKOFF", K_INT, OFF(delivery_backoff_s), 1, 3600},
    {"SELLERDESK_DELIVERY_TIMEOUT_MS", K_INT, OFF(delivery_timeout_ms), 100, 60000},
    {"SELLERDESK_DELIVERY_INTERVAL_MS", K_INT, OFF(delivery_interval_ms), 50, 60000},
    {"SELLERDESK_SCHEDULER_INTERVAL_MS", K_INT, OFF(scheduler_interval_ms), 100, 60000},
    {"SELLERDESK_PRINCIPAL_CACHE_MS", K_INT, OFF(principal_cache_ms), 0, 3600000},
    {"SELLERDESK_API_KEY_RATE", K_INT, OFF(api_key_rate), 1, 1000000},
    {"SELLERDESK_STREAM_HEARTBEAT_S", K_INT, OFF(stream_heartbeat_s), 1, 300},
    {"SELLERDESK_MAX_STREAMS", K_INT, OFF(max_streams), 0, 500000},
    {"SELLERDESK_MAX_STREAMS_PER_ACCOUNT", K_INT, OFF(max_streams_per_account), 1, 500000},
    {"SELLERDESK_STREAM_BUFFER_BYTES", K_SIZE, OFF(stream_buffer_bytes), 4096, 64LL << 20},
    {"SELLERDESK_WEBHOOK_MAX_ATTEMPTS", K_INT, OFF(webhook_max_attempts), 1, 100},
    {"SELLERDESK_WEBHOOK_BACKOFF", K_INT, OFF(webhook_backoff_s), 1, 3600},
    {"SELLERDESK_WEBHOOK_TIMEOUT_MS", K_INT, OFF(webhook_timeout_ms), 100, 60000},
    {"SELLERDESK_WEBHOOK_INTERVAL_MS", K_INT, OFF(webhook_interval_ms), 50, 60000},
    {"SELLERDESK_WEBHOOK_DISABLE_AFTER", K_INT, OFF(webhook_disable_after), 1, 100000},
    {"SELLERDESK_WEBHOOK_CONCURRENCY", K_INT, OFF(webhook_concurrency), 1, 4096},
    {"SELLERDESK_WEBHOOK_PER_ENDPOINT", K_INT, OFF(webhook_per_endpoint), 1, 1000},
    {"SELLERDESK_WEBHOOK_ALLOW_PRIVATE", K_BOOL, OFF(webhook_allow_private), 0, 1},
    {"SELLERDESK_WEBHOOK_SEND", K_BOOL, OFF(webhook_send), 0, 1},
    {"SELLERDESK_DISPUTE_OPEN_DAYS", K_DAYS, OFF(dispute_open_s), 1, 365},
    {"SELLERDESK_DISPUTE_SELLER_HOURS", K_HOURS, OFF(dispute_seller_s), 1, 24 * 90},
    {"SELLERDESK_DISPUTE_BUYER_DAYS", K_DAYS, OFF(dispute_buyer_s), 1, 90},
    {"SELLERDESK_DISPUTE_SUPPORT_HOURS", K_HOURS, OFF(dispute_support_s), 1, 24 * 90},
    {"SELLERDESK_EXPECTED_DELIVERY_DAYS", K_DAYS, OFF(expected_delivery_s), 1, 365},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

static const char *alg_names[] = {"HS256", "HS384", "HS512", "RS256", "ES256"};

const char *config_jwt_alg_name(config_jwt_alg alg)
{
    return alg_names[alg];
}

void config_defaults(struct sd_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->database_url = strdup("postgresql://sellerdesk@127.0.0.1:5433/sellerdesk");
    cfg->port = 8080;
    cfg->bind_address = strdup("0.0.0.0");
    cfg->jwt_alg = JWT_HS256;
    cfg->jwt_issuer = strdup("sellerdesk");
    cfg->access_ttl_s = 900;
    cfg->refresh_ttl_s = 30 * 86400;
    cfg->db_pool_size = 16;
    cfg->db_acquire_timeout_ms = 2000;
    cfg->db_statement_timeout_ms = 5000;
    cfg->db_connect_timeout_s = 3;
    cfg->db_pipe_conns = 1;
    cfg->http_front = 1;
    cfg->max_body_bytes = 1 << 20;
    cfg->connection_timeout_s = 30;
    cfg->http_threads = 0; /* by the CPUs and the pipe: config_validate */
    cfg->http_workers = 0; /* by the CPUs: config_validate */
    cfg->max_connections = 4096;
    cfg->max_connections_per_client = 256;
    cfg->request_head_timeout_s = 10;
    cfg->min_transfer_rate = 16384;
    cfg->max_answer_memory = 256 << 20;
    cfg->shutdown_grace_s = 20;
    cfg->log_level = LOG_INFO;
    cfg->login_max_failures_account = 5;
    cfg->login_max_failures_client = 50;
    cfg->login_window_s = 900;
    cfg->login_lockout_s = 900;
    cfg->idempotency_ttl_s = 86400;
    cfg->pwhash_opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    cfg->pwhash_memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    cfg->pwhash_concurrency = 2;
    cfg->migrations_dir = strdup("migrations");
    cfg->platform_domains = strdup("sellerdesk.dev");
    cfg->platform_names = strdup("Sellerdesk");
    cfg->moderation_check_per_minute = 60;
    cfg->moderation_model = 1;
    cfg->max_upload_bytes = 5 << 20;
    cfg->max_video_bytes = 30 << 20;
    cfg->chat_seller_window_h = 72;
    cfg->chat_messages_per_minute = 30;
    cfg->chat_repeat_limit = 10;
    cfg->moderation_policy_questions = strdup("auto");
    cfg->moderation_policy_answers = strdup("manual");
    cfg->moderation_policy_reviews = strdup("auto");
    cfg->moderation_policy_review_comments_seller = strdup("manual");
    cfg->moderation_policy_review_comments_buyer = strdup("auto");
    cfg->moderation_days = 7;
    cfg->moderation_holidays = strdup("");
    cfg->smtp_from = strdup("noreply@sellerdesk.dev");
    cfg->delivery_max_attempts = 8;
    cfg->delivery_backoff_s = 30;
    cfg->delivery_timeout_ms = 5000;
    cfg->delivery_interval_ms = 1000;
    cfg->scheduler_interval_ms = 30000;
    cfg->principal_cache_ms = 30000;
    cfg->api_key_rate = 600;
    cfg->stream_heartbeat_s = 15;
    cfg->max_streams = 1024;
    cfg->max_streams_per_account = 32;
    cfg->stream_buffer_bytes = 256 * 1024;
    cfg->webhook_max_attempts = 8;
    cfg->webhook_backoff_s = 30;
    cfg->webhook_timeout_ms = 5000;
    cfg->webhook_interval_ms = 1000;
    cfg->webhook_disable_after = 20;
    cfg->webhook_concurrency = 64;
    cfg->webhook_per_endpoint = 2;
    cfg->webhook_allow_private = 0;
    cfg->webhook_send = 1;
    cfg->dispute_open_s = 14 * 86400;
    cfg->dispute_seller_s = 72 * 3600;
    cfg->dispute_buyer_s = 3 * 86400;
    cfg->dispute_support_s = 48 * 3600;
    cfg->expected_delivery_s = 7 * 86400;
}

static int parse_ll(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* "<n>" in the setting's unit, within its range, or "<n>s|m|h|d" from one second up to its
 * maximum: seconds in *out; -1 otherwise. */
static int parse_duration(const struct setting *s, const char *value, long long *out)
{
    static const struct {
        char suffix;
        long long seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    size_t len = strlen(value);
    char digits[24];
    long long v, unit = 0, unit_s = s->kind == K_DAYS ? 86400 : 3600;
    for (size_t i = 0; len > 1 && i < sizeof units / sizeof units[0]; i++)
        if (value[len - 1] == units[i].suffix)
            unit = units[i].seconds;
    if (!unit)
        return parse_ll(value, &v) == 0 && v >= s->min && v <= s->max ? (*out = v * unit_s, 0) : -1;
    if (len - 1 >= sizeof digits)
        return -1;
    memcpy(digits, value, len - 1);
    digits[len - 1] = '\0';
    if (parse_ll(digits, &v) != 0 || v < 1 || v > s->max * unit_s / unit)
        return -1;
    *out = v * unit;
    return 0;
}

static int config_set(struct sd_config *cfg, const struct setting *s, const char *value, char *err,
                      size_t errlen)
{
    char *base = (char *)cfg;
    long long v;
    switch (s->kind) {
    case K_STR: {
        char **slot = (char **)(base + s->offset);
        free(*slot);
        *slot = strdup(value);
        return 0;
    }
    case K_BOOL:
        if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0)
            *(int *)(base + s->offset) = 1;
        else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
            *(int *)(base + s->offset) = 0;
        else {
            snprintf(err, errlen, "%s: '%s' is not true or false", s->env, value);
            return -1;
        }
        return 0;
    case K_ALG:
        for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++) {
            if (strcmp(value, alg_names[i]) == 0) {
                cfg->jwt_alg = (config_jwt_alg)i;
                return 0;
            }
        }
        snprintf(err, errlen, "%s: unknown algorithm '%s' (HS256, HS384, HS512, RS256, ES256)",
                 s->env, value);
        return -1;
    case K_LEVEL:
        if (log_parse_level(value, &cfg->log_level) == 0)
            return 0;
        snprintf(err, errlen, "%s: unknown level '%s' (debug, info, warn, error)", s->env, value);
        return -1;
    case K_DAYS:
    case K_HOURS:
        if (parse_duration(s, value, &v) != 0) {
            snprintf(err, errlen,
                     "%s: '%s' is not a whole number between %lld and %lld (or a duration such "
                     "as 30s, 15m, 2h, 3d)",
                     s->env, value, s->min, s->max);
            return -1;
        }
        *(long long *)(base + s->offset) = v;
        return 0;
    case K_INT:
    case K_SIZE:
    case K_ULL:
        if (parse_ll(value, &v) != 0 || v < s->min || v > s->max) {
            snprintf(err, errlen, "%s: '%s' is not an integer between %lld and %lld", s->env, value,
                     s->min, s->max);
            return -1;
        }
        if (s->kind == K_INT)
            *(int *)(base + s->offset) = (int)v;
        else if (s->kind == K_SIZE)
            *(size_t *)(base + s->offset) = (size_t)v;
        else
            *(unsigned long long *)(base + s->offset) = (unsigned long long)v;
        return 0;
    }
    return -1;
}

static const struct setting *config_find(const char *name)
{
    for (size_t i = 0; i < N_SETTINGS; i++)
        if (strcmp(settings[i].env, name) == 0)
            return &settings[i];
    return NULL;
}

int config_load_file(struct sd_config *cfg, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    int lineno = 0, rc = 0;
    if (!f) {
        snprintf(err, errlen, "config file %s: %s", path, strerror(errno));
        return -1;
    }
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        char *eq = strchr(p, '=');
        if (!eq) {
            snprintf(err, errlen, "%s:%d: expected KEY=VALUE", path, lineno);
            rc = -1;
            break;
        }
        *eq = '\0';
        const struct setting *s = config_find(p);
        if (!s) {
            snprintf(err, errlen, "%s:%d: unknown setting '%s'", path, lineno, p);
            rc = -1;
            break;
        }
        rc = config_set(cfg, s, eq + 1, err, errlen);
    }
    fclose(f);
    return rc;
}

int config_load_env(struct sd_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        const char *v = getenv(settings[i].env);
        if (v && *v && config_set(cfg, &settings[i], v, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int read_file(const char *path, unsigned char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    long n;
    if (!f) {
        snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || n > 1 << 20 ||
        fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "key file %s is empty or unreadable", path);
        fclose(f);
        return -1;
    }
    *out = malloc((size_t)n + 1);
    *len = fread(*out, 1, (size_t)n, f);
    (*out)[*len] = '\0';
    fclose(f);
    return 0;
}

static int config_validate_jwt(struct sd_config *cfg, char *err, size_t errlen)
{
    if (cfg->jwt_alg <= JWT_HS512) {
        if (!cfg->jwt_secret || strlen(cfg->jwt_secret) < 32) {
            snprintf(err, errlen,
                     "SELLERDESK_JWT_SECRET is required for %s and must be at least 32 bytes",
                     alg_names[cfg->jwt_alg]);
            return -1;
        }
        cfg->jwt_sign_key = (unsigned char *)strdup(cfg->jwt_secret);
        cfg->jwt_sign_key_len = strlen(cfg->jwt_secret);
        cfg->jwt_verify_key = (unsigned char *)strdup(cfg->jwt_secret);
        cfg->jwt_verify_key_len = cfg->jwt_sign_key_len;
        return 0;
    }
    if (!cfg->jwt_private_key_file || !cfg->jwt_public_key_file) {
        snprintf(err, errlen,
                 "%s needs SELLERDESK_JWT_PRIVATE_KEY_FILE and SELLERDESK_JWT_PUBLIC_KEY_FILE",
                 alg_names[cfg->jwt_alg]);
        return -1;
    }
    if (read_file(cfg->jwt_private_key_file, &cfg->jwt_sign_key, &cfg->jwt_sign_key_len, err,
                  errlen) != 0 ||
        read_file(cfg->jwt_public_key_file, &cfg->jwt_verify_key, &cfg->jwt_verify_key_len, err,
                  errlen) != 0)
        return -1;
    if (!cfg->cursor_secret) {
        snprintf(err, errlen, "SELLERDESK_CURSOR_SECRET (at least 32 bytes) is required with %s",
                 alg_names[cfg->jwt_alg]);
        return -1;
    }
    return 0;
}

/* "a.example, b.example" -> lower-case list; each must look like a domain */
static int config_split_domains(struct sd_config *cfg, char *err, size_t errlen)
{
    char *copy = strdup(cfg->platform_domains), *save = NULL;
    size_t n = 0;
    cfg->platform_domain_list = calloc(strlen(copy) / 2 + 2, sizeof(char *));
    for (char *d = strtok_r(copy, ", ", &save); d; d = strtok_r(NULL, ", ", &save)) {
        for (char *c = d; *c; c++)
            *c = (char)((*c >= 'A' && *c <= 'Z') ? *c + 32 : *c);
        if (strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789.-") != strlen(d) || !strchr(d, '.')) {
            snprintf(err, errlen, "SELLERDESK_PLATFORM_DOMAINS: '%s' is not a domain name", d);
            free(copy);
            return -1;
        }
        cfg->platform_domain_list[n++] = strdup(d);
    }
    cfg->nplatform_domains = n;
    free(copy);
    return 0;
}

/* "Ozon, Озон" -> a list of single words: letters (any script) and hyphens */
static int config_split_names(struct sd_config *cfg, char *err, size_t errlen)
{
    char *copy = strdup(cfg->platform_names), *save = NULL;
    size_t n = 0;
    cfg->platform_name_list = calloc(strlen(copy) / 2 + 2, sizeof(char *));
    for (char *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
        for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
            if (*c >= 0x80 || *c == '-' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
                continue;
            snprintf(err, errlen, "SELLERDESK_PLATFORM_NAMES: '%s' is not a name (letters and -)",
                     w);
            free(copy);
            return -1;
        }
        cfg->platform_name_list[n++] = strdup(w);
    }
    cfg->nplatform_names = n;
    free(copy);
    return 0;
}

/* The moderation policies and the holiday list, parsed once. */
static int config_moderation(struct sd_config *cfg, char *err, size_t errlen)
{
    const struct {
        const char *env;
        char *value;
        int *parsed;
    } policies[] = {
        {"SELLERDESK_MODERATION_POLICY_QUESTIONS", cfg->moderation_policy_questions,
         &cfg->moderation_question_policy},
        {"SELLERDESK_MODERATION_POLICY_ANSWERS", cfg->moderation_policy_answers,
         &cfg->moderation_answer_policy},
        {"SELLERDESK_MODERATION_POLICY_REVIEWS", cfg->moderation_policy_reviews,
         &cfg->moderation_review_policy},
        {"SELLERDESK_MODERATION_POLICY_REVIEW_COMMENTS_SELLER",
         cfg->moderation_policy_review_comments_seller, &cfg->moderation_seller_comment_policy},
        {"SELLERDESK_MODERATION_POLICY_REVIEW_COMMENTS_BUYER",
         cfg->moderation_policy_review_comments_buyer, &cfg->moderation_buyer_comment_policy},
    };
    char bad[32];
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
        moderation_policy p;
        if (moderation_policy_parse(policies[i].value, &p) != 0) {
            snprintf(err, errlen, "%s must be manual or auto", policies[i].env);
            return -1;
        }
        *policies[i].parsed = p;
    }
    free(cfg->moderation_holiday_days);
    cfg->moderation_holiday_days = NULL;
    if (moderation_holidays_parse(cfg->moderation_holidays, &cfg->moderation_holiday_days,
                                  &cfg->nmoderation_holidays, bad, sizeof bad) != 0) {
        snprintf(err, errlen, "SELLERDESK_MODERATION_HOLIDAYS: '%s' is not a date YYYY-MM-DD", bad);
        return -1;
    }
    return 0;
}

int config_validate(struct sd_config *cfg, int need_jwt, char *err, size_t errlen)
{
    if (!cfg->database_url || !*cfg->database_url) {
        snprintf(err, errlen, "DATABASE_URL is required");
        return -1;
    }
    /* With the statement pipe a thread sleeps only on the pool (writes, the rarer reads), and
     * fewer threads batch more of the hot reads on each pipe: two per CPU served best
     * (bench/README.md, the seventh step). Without it every read sleeps on its thread. */
    if (cfg->http_threads == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        cpus = cpus < 1 ? 1 : cpus > 8 ? 8 : cpus; /* (each has its PostgreSQL connection) */
        cfg->http_threads = cfg->db_pipe_conns > 0 ? (int)(2 * cpus) : 16;
    }
    /* Workers run the writes: more of them at once than two per CPU made PostgreSQL slower on
     * two CPUs (12 wrote 7-25 % fewer chat messages a second than 4: bench/README.md, the eighth
     * step). The pool bounds them further (api/server.c). */
    if (cfg->http_workers == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        cpus = cpus < 1 ? 1 : cpus > 8 ? 8 : cpus;
        cfg->http_workers = (int)(2 * cpus);
    }
    if (config_split_domains(cfg, err, errlen) != 0 || config_split_names(cfg, err, errlen) != 0 ||
        config_moderation(cfg, err, errlen) != 0)
        return -1;
    if (cfg->push_url && (!cfg->push_secret || strlen(cfg->push_secret) < 16)) {
        snprintf(err, errlen,
                 "SELLERDESK_PUSH_URL needs SELLERDESK_PUSH_SECRET of 16+ bytes "
                 "(it signs every push)");
        return -1;
    }
    if ((cfg->push_url && strncmp(cfg->push_url, "http://", 7) &&
         strncmp(cfg->push_url, "https://", 8)) ||
        (cfg->smtp_url && strncmp(cfg->smtp_url, "smtp://", 7) &&
         strncmp(cfg->smtp_url, "smtps://", 8))) {
        snprintf(err, errlen,
                 "SELLERDESK_PUSH_URL must be http(s)://, SELLERDESK_SMTP_URL smtp(s)://");
        return -1;
    }
    if (!need_jwt)
        return 0;
    if (!cfg->jwt_issuer || !*cfg->jwt_issuer) {
        snprintf(err, errlen, "SELLERDESK_JWT_ISSUER must not be empty");
        return -1;
    }
    if (cfg->refresh_ttl_s <= cfg->access_ttl_s) {
        snprintf(err, errlen,
                 "SELLERDESK_REFRESH_TOKEN_TTL (%d) must exceed "
                 "SELLERDESK_ACCESS_TOKEN_TTL (%d)",
                 cfg->refresh_ttl_s, cfg->access_ttl_s);
        return -1;
    }
    if (config_validate_jwt(cfg, err, errlen) != 0)
        return -1;
    if (!cfg->cursor_secret)
        cfg->cursor_secret = strdup(cfg->jwt_secret);
    if (strlen(cfg->cursor_secret) < 32) {
        snprintf(err, errlen, "SELLERDESK_CURSOR_SECRET must be at least 32 bytes");
        return -1;
    }
    return 0;
}

void config_free(struct sd_config *cfg)
{
    for (size_t i = 0; i < N_SETTINGS; i++) {
        if (settings[i].kind == K_STR) {
            char **slot = (char **)((char *)cfg + settings[i].offset);
            free(*slot);
            *slot = NULL;
        }
    }
    free(cfg->moderation_holiday_days);
    cfg->moderation_holiday_days = NULL;
    cfg->nmoderation_holidays = 0;
    for (size_t i = 0; i < cfg->nplatform_domains; i++)
        free((char *)cfg->platform_domain_list[i]);
    free(cfg->platform_domain_list);
    cfg->platform_domain_list = NULL;
    cfg->nplatform_domains = 0;
    for (size_t i = 0; i < cfg->nplatform_names; i++)
        free((char *)cfg->platform_name_list[i]);
    free(cfg->platform_name_list);
    cfg->platform_name_list = NULL;
    cfg->nplatform_names = 0;
    if (cfg->jwt_sign_key)
        sodium_memzero(cfg->jwt_sign_key, cfg->jwt_sign_key_len);
    free(cfg->jwt_sign_key);
    free(cfg->jwt_verify_key);
    cfg->jwt_sign_key = cfg->jwt_verify_key = NULL;
}
