#ifndef SD_CONFIG_H
#define SD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"

typedef enum { JWT_HS256, JWT_HS384, JWT_HS512, JWT_RS256, JWT_ES256 } config_jwt_alg;

/* All settings of the process. Filled as defaults -> file -> environment, then validated. */
struct sd_config {
    char *database_url;
    int port;
    char *bind_address;
    config_jwt_alg jwt_alg;
    char *jwt_secret;           /* HS* key */
    char *jwt_private_key_file; /* RS256/ES256 signing key (PEM) */
    char *jwt_public_key_file;  /* RS256/ES256 verification key (PEM) */
    char *jwt_issuer;
    char *jwt_audience; /* optional; when set, required in tokens */
    char *cursor_secret;
    int access_ttl_s;
    int refresh_ttl_s;
    int db_pool_size;
    int db_acquire_timeout_ms;
    int db_statement_timeout_ms;
    int db_connect_timeout_s;
    size_t max_body_bytes;
    int connection_timeout_s;
    int db_pipe_conns; /* each HTTP thread's statement pipe's connections (db_pipe.h); 0: no pipe */
    int http_front;    /* 1: the loops serve plain GETs themselves (api/front.h); with the pipe */
    int http_threads;  /* HTTP threads (api/loop.h); 0 until validated: 2 per CPU with the pipe */
    int http_workers;  /* threads running the pool's requests (api/work.h); 0 until validated */
    int max_connections;            /* open at once, in all */
    int max_connections_per_client; /* per client IP address */
    int request_head_timeout_s;     /* a request head arrives within this of the connection
                                       opening or the previous answer */
    size_t max_answer_memory;       /* bytes of large answers (over 64 KiB) being sent */
    size_t min_transfer_rate;       /* bytes/s a body, received or sent, must keep up after
                                       that grace */
    int shutdown_grace_s;
    log_level log_level;
    int login_max_failures_account;
    int login_max_failures_client;
    int login_window_s;
    int login_lockout_s;
    int idempotency_ttl_s;
    unsigned long long pwhash_opslimit;
    size_t pwhash_memlimit;
    int pwhash_concurrency; /* password hashes at once (each takes pwhash_memlimit) */
    char *migrations_dir;
    char *platform_domains;          /* comma-separated: links there are not off-platform */
    char *platform_names;            /* comma-separated: the platform's own names, never a rival */
    int moderation_check_per_minute; /* POST /v1/moderation/check per user */
    int moderation_model;     /* 1: the learned second opinion joins the rules; 0: rules alone */
    size_t max_upload_bytes;  /* POST /v1/files: images and PDFs */
    size_t max_video_bytes;   /* POST /v1/files: videos */
    int chat_seller_window_h; /* a seller may start a chat until this long after delivery */
    int chat_messages_per_minute; /* chat messages per user */
    int chat_repeat_limit; /* a seller's same typed text reaches at most this many buyers/hour */
    char *moderation_policy_questions; /* manual | auto */
    char *moderation_policy_answers;
    char *moderation_policy_reviews;
    char *moderation_policy_review_comments_seller;
    char *moderation_policy_review_comments_buyer;
    int moderation_days;       /* business days a moderator has for a text */
    char *moderation_holidays; /* "YYYY-MM-DD,..." not counted as business days */
    int moderation_question_policy, moderation_answer_policy; /* parsed moderation_policy */
    int moderation_review_policy, moderation_seller_comment_policy, moderation_buyer_comment_policy;
    int32_t *moderation_holiday_days; /* parsed, sorted */
    size_t nmoderation_holidays;
    char *push_url;    /* push gateway; unset: push deliveries are skipped */
    char *push_secret; /* HMAC key of the push signature */
    char *smtp_url;    /* smtp://relay:port; unset: e-mail deliveries skipped */
    char *smtp_from;
    int delivery_max_attempts;
    int delivery_backoff_s;
    int delivery_timeout_ms;
    int delivery_interval_ms;
    int scheduler_interval_ms; /* how often the promotion notices are looked for */
    int principal_cache_ms;    /* accounts kept in the process, 0: off (see principal_cache.h) */
    int api_key_rate;          /* requests per minute per API key, across processes */
    int stream_heartbeat_s;    /* GET /v1/events/stream: a comment line this often */
    int max_streams;           /* open event streams per process (bench/README.md) */
    int max_streams_per_account;
    size_t stream_buffer_bytes; /* a stream's unsent bytes; a client that stops reading with
                                   this much waiting is dropped */
    /* webhooks (src/webhook_delivery.c) */
    int webhook_max_attempts;  /* attempts of a delivery before it fails */
    int webhook_backoff_s;     /* first retry after this, doubling, at most an hour */
    int webhook_timeout_ms;    /* per attempt */
    int webhook_interval_ms;   /* idle poll interval of the worker */
    int webhook_disable_after; /* consecutive failed attempts that disable an endpoint */
    int webhook_concurrency;   /* webhook requests in flight per process */
    int webhook_per_endpoint;  /* webhook requests in flight to one endpoint, all processes */
    int webhook_allow_private; /* 1: loopback and private addresses may receive webhooks */
    int webhook_send;          /* 0: this process sends no webhooks (others on the database do) */
    /* disputes, in seconds (set as days or hours, or with a unit: 30s) */
    long long dispute_open_s;      /* a delivered posting may be disputed this long */
    long long dispute_seller_s;    /* the seller answers within this, or support takes it */
    long long dispute_buyer_s;     /* the buyer answers an offer or a rejection within this */
    long long dispute_support_s;   /* support's target for a decision (overdue after) */
    long long expected_delivery_s; /* a posting handed to delivery is expected this long after */
    const char **platform_domain_list; /* platform_domains split, after validation */
    size_t nplatform_domains;
    const char **platform_name_list; /* platform_names split, after validation */
    size_t nplatform_names;
    /* loaded key material */
    unsigned char *jwt_sign_key;
    size_t jwt_sign_key_len;
    unsigned char *jwt_verify_key;
    size_t jwt_verify_key_len;
};

void config_defaults(struct sd_config *cfg);
/* KEY=VALUE lines with the same names as the environment variables; # comments. */
int config_load_file(struct sd_config *cfg, const char *path, char *err, size_t errlen);
int config_load_env(struct sd_config *cfg, char *err, size_t errlen);
/* need_jwt: serve needs keys; migrate/seed only need the database. Loads key files. */
int config_validate(struct sd_config *cfg, int need_jwt, char *err, size_t errlen);
void config_free(struct sd_config *cfg);
const char *config_jwt_alg_name(config_jwt_alg alg);

#endif
