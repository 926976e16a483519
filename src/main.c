#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "../api/routes.h"
#include "../api/server.h"
#include "api_key_cache.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "delivery.h"
#include "dispute_flow.h"
#include "event_hub.h"
#include "log.h"
#include "metrics.h"
#include "migrate.h"
#include "notify.h"
#include "periodic.h"
#include "principal_cache.h"
#include "promotion_scheduler.h"
#include "seed.h"
#include "token_cache.h"
#include "user_store.h"
#include "webhook_delivery.h"

static int usage(void)
{
    fprintf(stderr, "usage: sellerdesk [--config FILE] COMMAND\n"
                    "  serve                 serve the API (configuration from the environment)\n"
                    "  migrate               apply pending migrations\n"
                    "  seed --demo           load demo accounts, products and orders (idempotent)\n"
                    "  user create --role buyer|seller|support --email E --password-file F\n"
                    "              [--display-name NAME]\n"
                    "Settings: see README.md (DATABASE_URL, SELLERDESK_*).\n");
    return 2;
}

/* defaults -> file -> environment -> validation; exits with a clear message on error */
static int load_config(struct sd_config *cfg, const char *file, int need_jwt)
{
    char err[512];
    config_defaults(cfg);
    if (!file)
        file = getenv("SELLERDESK_CONFIG");
    if ((file && config_load_file(cfg, file, err, sizeof err) != 0) ||
        config_load_env(cfg, err, sizeof err) != 0 ||
        config_validate(cfg, need_jwt, err, sizeof err) != 0) {
        fprintf(stderr, "sellerdesk: configuration error: %s\n", err);
        return -1;
    }
    log_set_level(cfg->log_level);
    return 0;
}

static struct db_conn *cli_connect(const struct sd_config *cfg)
{
    sd_err e;
    struct db_conn *c = db_connect(cfg->database_url, 0, cfg->db_connect_timeout_s, &e);
    if (!c)
        fprintf(stderr, "sellerdesk: cannot connect to the database (DATABASE_URL)\n");
    return c;
}

static int cmd_serve(struct sd_config *cfg)
{
    struct sd_app app;
    /* SIGINT and SIGTERM blocked before any thread starts (the account listener and the
     * background jobs start before the server): every thread inherits the mask and only the
     * server's sigwait takes them, also during the drain */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    memset(&app, 0, sizeof app);
    app.cfg = *cfg;
    app.pool = db_pool_new(cfg->database_url, cfg->db_pool_size, cfg->db_acquire_timeout_ms,
                           cfg->db_statement_timeout_ms, cfg->db_connect_timeout_s);
    app.metrics = metrics_new(routes_count());
    app.moderation.allowed_domains = cfg->platform_domain_list;
    app.moderation.nallowed = cfg->nplatform_domains;
    app.moderation.platform_names = cfg->platform_name_list;
    app.moderation.nnames = cfg->nplatform_names;
    if (cfg->moderation_model) {
        const char *why = NULL;
        app.moderation.model = mod_builtin_model(&why);
        if (!app.moderation.model) {
            fprintf(stderr, "sellerdesk: the content-safety model is unusable: %s\n", why);
            return 1;
        }
    }
    notify_configure(cfg->push_url != NULL, cfg->smtp_url != NULL);
    struct delivery_config dc = {cfg->push_url,
                                 cfg->push_secret,
                                 cfg->smtp_url,
                                 cfg->smtp_from,
                                 cfg->delivery_max_attempts,
                                 cfg->delivery_backoff_s,
                                 cfg->delivery_timeout_ms,
                                 cfg->delivery_interval_ms};
    struct periodic_db jobs_db = {cfg->database_url, cfg->db_statement_timeout_ms,
                                  cfg->db_connect_timeout_s};
    struct periodic *outbox =
        cfg->push_url || cfg->smtp_url
            ? periodic_start(&jobs_db, cfg->delivery_interval_ms, delivery_job, &dc)
            : NULL;
    struct periodic *scheduler =
        periodic_start(&jobs_db, cfg->scheduler_interval_ms, promotion_scheduler_run, NULL);
    /* disputes whose deadline passed move by themselves; an action on one moves it first */
    struct periodic *deadlines =
        periodic_start(&jobs_db, cfg->scheduler_interval_ms, dispute_deadlines_run, cfg);
    /* webhooks have a job of their own: a slow receiver must not hold up notifications */
    struct webhook_delivery_config wc = {
        cfg->webhook_max_attempts,  cfg->webhook_backoff_s,     cfg->webhook_timeout_ms,
        cfg->webhook_disable_after, cfg->webhook_allow_private, cfg->webhook_concurrency,
        cfg->webhook_per_endpoint,  cfg->webhook_interval_ms,   0};
    struct periodic *webhooks =
        cfg->webhook_send
            ? periodic_start(&jobs_db, cfg->webhook_interval_ms, webhook_delivery_job, &wc)
            : NULL;
    api_key_cache_init(cfg->principal_cache_ms);
    if (principal_cache_start(cfg->database_url, cfg->principal_cache_ms,
                              cfg->db_connect_timeout_s) != 0)
        log_warn("principal cache: not started; every request reads its account");
    struct event_hub_config hub = {
        cfg->database_url, cfg->db_connect_timeout_s,    cfg->stream_heartbeat_s,
        cfg->max_streams,  cfg->max_streams_per_account, cfg->stream_buffer_bytes};
    if (event_hub_start(&hub) != 0)
        log_warn("event hub: not started; GET /v1/events/stream answers 503");
    if (log_writer_start() != 0)
        log_warn("access log: no writer thread; each request's thread writes its line");
    int rc = server_run(&app);
    log_writer_stop();
    event_hub_stop();
    principal_cache_stop();
    token_cache_clear();
    webhook_delivery_stop(&wc); /* bounded: in-flight requests get their timeout at most */
    periodic_stop(webhooks);
    periodic_stop(deadlines);
    periodic_stop(scheduler);
    periodic_stop(outbox);
    db_pool_free(app.pool);
    metrics_free(app.metrics);
    return rc == 0 ? 0 : 1;
}

static int cmd_migrate(struct sd_config *cfg)
{
    struct db_conn *c = cli_connect(cfg);
    int rc = c && migrate_run(c, cfg->migrations_dir) == 0 ? 0 : 1;
    db_close(c);
    return rc;
}

static int cmd_seed(struct sd_config *cfg, int argc, char **argv)
{
    if (argc != 1 || strcmp(argv[0], "--demo") != 0)
        return usage();
    struct db_conn *c = cli_connect(cfg);
    int rc = c && seed_demo(c, cfg) == 0 ? 0 : 1;
    db_close(c);
    return rc;
}

static int read_password(const char *path, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f || !fgets(out, (int)len, f)) {
        if (f)
            fclose(f);
        fprintf(stderr, "sellerdesk: cannot read the password file %s\n", path);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int cmd_user(struct sd_config *cfg, int argc, char **argv)
{
    const char *role = NULL, *email = NULL, *pwfile = NULL, *name = NULL;
    char password[256], hash[128];
    json_t *out = NULL;
    int rc = 1;
    if (argc < 1 || strcmp(argv[0], "create") != 0)
        return usage();
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--role") == 0)
            role = argv[i + 1];
        else if (strcmp(argv[i], "--email") == 0)
            email = argv[i + 1];
        else if (strcmp(argv[i], "--password-file") == 0)
            pwfile = argv[i + 1];
        else if (strcmp(argv[i], "--display-name") == 0)
            name = argv[i + 1];
        else
            return usage();
    }
    auth_role r = auth_role_parse(role);
    if (!email || !pwfile || r == ROLE_NONE || (argc - 1) % 2 != 0)
        return usage();
    if (read_password(pwfile, password, sizeof password) != 0)
        return 1;
    if (strlen(password) < 10) {
        fprintf(stderr, "sellerdesk: the password must have at least 10 characters\n");
        return 1;
    }
    if (auth_password_hash(password, cfg->pwhash_opslimit, cfg->pwhash_memlimit, hash) != 0)
        return 1;
    struct db_conn *c = cli_connect(cfg);
    if (!c)
        return 1;
    sd_err e = user_store_create(c, email, hash, r, name ? name : email, &out);
    if (e == SD_ERR_CONFLICT) {
        fprintf(stderr, "sellerdesk: an account with e-mail %s already exists\n", email);
    } else if (e == SD_OK) {
        char *text = json_dumps(out, JSON_COMPACT);
        printf("%s\n", text);
        free(text);
        rc = 0;
    }
    json_decref(out);
    db_close(c);
    return rc;
}

int main(int argc, char **argv)
{
    struct sd_config cfg;
    const char *file = NULL;
    int rc;
    if (argc >= 3 && strcmp(argv[1], "--config") == 0) {
        file = argv[2];
        argv += 2;
        argc -= 2;
    }
    if (argc < 2)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") && strcmp(cmd, "migrate") && strcmp(cmd, "seed") &&
        strcmp(cmd, "user"))
        return usage();
    if (load_config(&cfg, file, strcmp(cmd, "serve") == 0) != 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (auth_init(cfg.pwhash_opslimit, cfg.pwhash_memlimit, cfg.pwhash_concurrency) != 0) {
        fprintf(stderr, "sellerdesk: libsodium failed to initialise\n");
        config_free(&cfg);
        return 1;
    }
    if (strcmp(cmd, "serve") == 0)
        rc = cmd_serve(&cfg);
    else if (strcmp(cmd, "migrate") == 0)
        rc = cmd_migrate(&cfg);
    else if (strcmp(cmd, "seed") == 0)
        rc = cmd_seed(&cfg, argc - 2, argv + 2);
    else
        rc = cmd_user(&cfg, argc - 2, argv + 2);
    config_free(&cfg);
    curl_global_cleanup();
    return rc;
}
