#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "../src/log.h"
#include "../src/principal_cache.h"
#include "../src/throttle_store.h"
#include "../src/token_cache.h"
#include "../src/token_store.h"
#include "../src/user_store.h"
#include "api_key_auth.h"
#include "handlers.h"
#include "http.h"
#include "moderation.h"
#include "principal.h"
#include "routes.h"

#define PASSWORD_MIN 10
#define PASSWORD_MAX 128

static int email_valid(const char *e)
{
    const char *at = strchr(e, '@');
    size_t n = strlen(e);
    if (n < 3 || n > 254 || !at || at == e || strchr(at + 1, '@'))
        return 0;
    if (!strchr(at + 1, '.') || at[1] == '.' || e[n - 1] == '.')
        return 0;
    for (const unsigned char *p = (const unsigned char *)e; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

/* "account:" and the SHA-256 of the address, ASCII letters lowered: every address, however
 * long or multibyte, has one key of its own and a fixed length. */
#define AUTH_THROTTLE_KEY (8 + 2 * crypto_hash_sha256_BYTES + 1)
static void auth_throttle_key(const char *email, char out[AUTH_THROTTLE_KEY])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (const char *p = email; *p; p++) {
        unsigned char c = (unsigned char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
        crypto_hash_sha256_update(&st, &c, 1);
    }
    crypto_hash_sha256_final(&st, h);
    memcpy(out, "account:", 8);
    sodium_bin2hex(out + 8, 2 * crypto_hash_sha256_BYTES + 1, h, sizeof h);
}

/* Every place for a password hash stayed taken: 503, retry shortly. */
static int auth_busy(struct http_ctx *ctx)
{
    return http_problem(ctx, SD_ERR_UNAVAILABLE, "busy",
                        "Too many sign-ins are being checked at once; retry shortly.");
}

/* 401 with the challenge RFC 6750 asks for */
static int auth_refuse(struct http_ctx *ctx, const char *code, const char *detail)
{
    int rc = http_problem(ctx, SD_ERR_UNAUTHORIZED, code, "%s", detail);
    http_set_header(ctx, "WWW-Authenticate", "Bearer");
    return rc;
}

/* The client's address, for the security log: worked out only when a request is refused
 * (on every accepted request it cost ~2k instructions for nothing: bench/README.md, "a
 * profile") */
struct auth_ip {
    char ip[64];
};
static struct auth_ip auth_client(struct http_ctx *ctx)
{
    struct auth_ip a;
    http_client_address(ctx, a.ip, sizeof a.ip);
    return a;
}

HANDLER(auth_authenticate)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct sd_app *a = app;
    struct auth_claims claims;
    const char *h = http_header(ctx, "Authorization");
    sd_err e;

    (void)req;
    if (apikey_presented(ctx)) /* an integration's key, not a person's token */
        return apikey_authenticate(ctx);
    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
        log_security(auth_client(ctx).ip, "missing_token", "Missing bearer token for %s %s",
                     ctx->method, routes_label(ctx->route_index));
        return auth_refuse(ctx, "missing_token",
                           "Send an access token: Authorization: Bearer <token>.");
    }
    /* the same token again (every request of a session) is not checked in full again */
    auth_token_status st =
        token_cache_verify(&a->cfg, h + 7, time(NULL), &claims, !ctx->token_counted);
    ctx->token_counted = 1; /* (its run again on a worker, or after its body, is not counted) */
    if (st != AUTH_TOKEN_OK) {
        log_security(auth_client(ctx).ip, "invalid_token", "Invalid access token: %s",
                     auth_token_status_text(st));
        return st == AUTH_TOKEN_EXPIRED
                   ? auth_refuse(ctx, "token_expired", "The access token has expired; refresh it.")
                   : auth_refuse(ctx, "invalid_token", "The access token is not valid.");
    }
    /* the account from the process's cache (kept in step with the database by NOTIFY), else
     * one round trip; a request's own statement is then its only one */
    if (!principal_load(ctx, claims.user_id, &e))
        return U_CALLBACK_COMPLETE;
    if (e == SD_ERR_NOT_FOUND || (e == SD_OK && ctx->role != claims.role)) {
        log_security(auth_client(ctx).ip, "invalid_token",
                     "Access token for a missing or changed account %lld",
                     (long long)claims.user_id);
        return auth_refuse(ctx, "invalid_token", "The access token is not valid.");
    }
    if (e != SD_OK)
        return http_store_error(ctx, e);
    ctx->user_id = claims.user_id;
    ctx->credential_expires_at = claims.exp;
    ctx->authenticated = 1;
    return U_CALLBACK_CONTINUE;
}

struct register_args {
    const char *email, *display_name;
    auth_role role;
    char hash[128];
};

static sd_err register_create(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                              int *answered)
{
    struct register_args *r = arg;
    sd_err e = user_store_create(conn, r->email, r->hash, r->role, r->display_name, out);
    if (e == SD_ERR_CONFLICT) {
        *answered = 1;
        http_problem(ctx, SD_ERR_CONFLICT, "email_taken",
                     "An account with this e-mail address already exists.");
    }
    return e;
}

HANDLER(auth_register)
{
    static const struct field_rule rules[] = {
        {"email", FT_STRING, 1, 3, 254},
        {"password", FT_STRING, 1, PASSWORD_MIN, PASSWORD_MAX},
        {"role", FT_STRING, 1, 0, 16},
        {"display_name", FT_STRING, 1, 1, 100},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct sd_app *a = app;
    struct register_args args = {0};
    json_t *body = http_body_object(ctx), *errors = json_array();
    int rc;
    (void)req;
    if (!body) {
        json_decref(errors);
        return U_CALLBACK_COMPLETE;
    }
    http_check_fields(body, rules, NULL, errors);
    args.email = json_string_value(json_object_get(body, "email"));
    args.display_name = json_string_value(json_object_get(body, "display_name"));
    const char *role = json_string_value(json_object_get(body, "role"));
    const char *password = json_string_value(json_object_get(body, "password"));
    if (args.email && !email_valid(args.email))
        http_field_error(errors, "email", "invalid_format", "is not an e-mail address");
    args.role = auth_role_parse(role);
    if (role && args.role != ROLE_BUYER && args.role != ROLE_SELLER)
        http_field_error(errors, "role", "invalid_enum", "must be buyer or seller");
    if (args.display_name && utf8_blank(args.display_name))
        http_field_error(errors, "display_name", "too_short", "must not be blank");
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The registration has invalid fields.");
        errors = NULL; /* the problem owns it now */
        goto cleanup;
    }
    json_decref(errors);
    errors = NULL;
    /* the display name is shown to every counterpart: no contacts in it */
    static const char *const texts[] = {"display_name", NULL};
    if (moderation_guard(ctx, body, texts) != 0) {
        rc = U_CALLBACK_COMPLETE;
        goto cleanup;
    }
    char ip[64];
    http_client_address(ctx, ip, sizeof ip);
    int place = auth_pwhash_begin(ip);
    if (place < 0) {
        rc = auth_busy(ctx);
        goto cleanup;
    }
    int hashed =
        auth_password_hash(password, a->cfg.pwhash_opslimit, a->cfg.pwhash_memlimit, args.hash);
    auth_pwhash_end(place);
    if (hashed != 0) {
        rc = http_problem(ctx, SD_ERR_INTERNAL, NULL, "Could not hash the password.");
        goto cleanup;
    }
    rc = http_idempotent_create(ctx, "register", register_create, &args);
cleanup:
    json_decref(errors);
    json_decref(body);
    return rc;
}

static int token_answer(struct http_ctx *ctx, int64_t user_id, auth_role role, const char *refresh)
{
    char *access = auth_jwt_issue(&ctx->app->cfg, user_id, role, time(NULL));
    if (!access)
        return http_problem(ctx, SD_ERR_INTERNAL, NULL, "Could not issue a token.");
    json_t *out = json_pack("{s:s, s:s, s:i, s:s}", "access_token", access, "token_type", "Bearer",
                            "expires_in", ctx->app->cfg.access_ttl_s, "refresh_token", refresh);
    free(access);
    http_set_header(ctx, "Cache-Control", "no-store");
    return http_json(ctx, 200, out);
}

/* Parses a body of exactly the given string fields; answers and returns NULL if invalid. */
static json_t *auth_body(struct http_ctx *ctx, const struct field_rule *rules)
{
    json_t *body = http_body_object(ctx), *errors;
    if (!body)
        return NULL;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    if (json_array_size(errors)) {
        http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                            "The request has invalid fields.");
        json_decref(body);
        return NULL;
    }
    json_decref(errors);
    return body;
}

HANDLER(auth_login)
{
    static const struct field_rule rules[] = {
        {"email", FT_STRING, 1, 1, 254},
        {"password", FT_STRING, 1, 1, 1024},
        FIELD_RULES_END,
    };
    struct http_ctx *ctx = http_ctx_of(resp);
    struct sd_app *a = app;
    struct sd_config *cfg = &a->cfg;
    char account_key[AUTH_THROTTLE_KEY], client_key[80], ip[64], hash[128], refresh[64];
    int64_t user_id = 0;
    auth_role role = ROLE_NONE;
    int retry = 0, rc;
    struct db_conn *conn;
    sd_err e;
    json_t *body = auth_body(ctx, rules);
    (void)req;
    if (!body)
        return U_CALLBACK_COMPLETE;
    const char *email = json_string_value(json_object_get(body, "email"));
    const char *password = json_string_value(json_object_get(body, "password"));
    http_client_address(ctx, ip, sizeof ip);
    auth_throttle_key(email, account_key);
    snprintf(client_key, sizeof client_key, "client:%s", ip);

    if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
        goto cleanup;
    }
    if ((e = throttle_store_locked(conn, account_key, client_key, &retry)) != SD_OK) {
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    if (retry > 0) {
        log_security(ip, "login_locked", "Login refused while locked for %s", email);
        rc = http_rate_limited(ctx, retry, "Too many failed logins; try again later.");
        goto cleanup;
    }
    e = user_store_credentials(conn, email, &user_id, &role, hash);
    if (e != SD_OK && e != SD_ERR_NOT_FOUND) {
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    /* hashing is slow: do not hold a database connection meanwhile */
    http_conn_release(ctx);
    int place = auth_pwhash_begin(ip);
    if (place < 0) {
        rc = auth_busy(ctx);
        goto cleanup;
    }
    int ok = e == SD_OK && auth_password_verify(password, hash);
    if (e != SD_OK)
        auth_password_dummy_verify(password);
    auth_pwhash_end(place);
    if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
        goto cleanup;
    }
    if (!ok) {
        log_security(ip, "login_failed", "Authorization invalid for username %s", email);
        if ((e = throttle_store_fail(conn, account_key, cfg->login_max_failures_account,
                                     cfg->login_window_s, cfg->login_lockout_s)) != SD_OK ||
            (e = throttle_store_fail(conn, client_key, cfg->login_max_failures_client,
                                     cfg->login_window_s, cfg->login_lockout_s)) != SD_OK) {
            rc = http_store_error(ctx, e);
            goto cleanup;
        }
        rc = http_problem(ctx, SD_ERR_UNAUTHORIZED, "invalid_credentials",
                          "The e-mail address or password is wrong.");
        goto cleanup;
    }
    if ((e = throttle_store_reset(conn, account_key)) != SD_OK ||
        (e = token_store_issue(conn, user_id, cfg->refresh_ttl_s, refresh)) != SD_OK) {
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    ctx->user_id = user_id;
    rc = token_answer(ctx, user_id, role, refresh);
cleanup:
    sodium_memzero(hash, sizeof hash);
    json_decref(body);
    return rc;
}

static const struct field_rule refresh_rules[] = {
    {"refresh_token", FT_STRING, 1, 1, 128},
    FIELD_RULES_END,
};

HANDLER(auth_refresh)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct sd_app *a = app;
    char refresh[64], ip[64];
    int64_t user_id = 0;
    auth_role role = ROLE_NONE;
    token_outcome outcome;
    struct db_conn *conn;
    int rc;
    sd_err e;
    json_t *body = auth_body(ctx, refresh_rules);
    (void)req;
    if (!body)
        return U_CALLBACK_COMPLETE;
    if (!(conn = http_conn(ctx))) {
        rc = U_CALLBACK_COMPLETE;
        goto cleanup;
    }
    e = token_store_rotate(conn, json_string_value(json_object_get(body, "refresh_token")),
                           a->cfg.refresh_ttl_s, &user_id, &role, refresh, &outcome);
    if (e != SD_OK) {
        rc = http_store_error(ctx, e);
        goto cleanup;
    }
    http_client_address(ctx, ip, sizeof ip);
    switch (outcome) {
    case TOKEN_OK:
        ctx->user_id = user_id;
        rc = token_answer(ctx, user_id, role, refresh);
        break;
    case TOKEN_REUSED:
        log_security(ip, "refresh_reused",
                     "Spent refresh token presented again for user %lld; its family is revoked",
                     (long long)user_id);
        rc = http_problem(ctx, SD_ERR_UNAUTHORIZED, "refresh_token_reused",
                          "This refresh token was already used; all sessions descending from "
                          "the same login are revoked. Log in again.");
        break;
    default:
        log_security(ip, "refresh_invalid", "Invalid refresh token");
        rc = http_problem(ctx, SD_ERR_UNAUTHORIZED, "invalid_refresh_token",
                          "The refresh token is unknown, expired or revoked. Log in again.");
    }
cleanup:
    json_decref(body);
    return rc;
}

HANDLER(auth_logout)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct db_conn *conn;
    int rc;
    sd_err e;
    json_t *body = auth_body(ctx, refresh_rules);
    (void)req;
    (void)app;
    if (!body)
        return U_CALLBACK_COMPLETE;
    if (!(conn = http_conn(ctx)))
        rc = U_CALLBACK_COMPLETE;
    else if ((e = token_store_revoke_family(
                  conn, json_string_value(json_object_get(body, "refresh_token")))) != SD_OK)
        rc = http_store_error(ctx, e);
    else
        rc = http_no_content(ctx);
    json_decref(body);
    return rc;
}

HANDLER(me_get)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    size_t len = 0;
    (void)req;
    (void)app;
    char *text = principal_cache_text(ctx->user_id, ctx->user, &len);
    return text ? http_json_owned(ctx, 200, text, len) : http_store_error(ctx, SD_ERR_INTERNAL);
}
