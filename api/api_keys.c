/* API keys of a seller's integrations: POST/GET /v1/api-keys, DELETE /v1/api-keys/{id}.
 * Only a seller signed in as a person manages keys: a key cannot make or revoke keys
 * (api_key_auth.c refuses keys on these routes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../src/api_key.h"
#include "../src/api_key_store.h"
#include "../src/timestamp.h"
#include "handlers.h"
#include "http.h"

#define API_KEYS_PAGE_DEFAULT 20
#define API_KEYS_PAGE_MAX     100
#define API_KEY_NAME_MAX      100

static const struct field_rule create_rules[] = {
    {"name", FT_STRING, 1, 1, API_KEY_NAME_MAX},
    {"scopes", FT_ARRAY, 1, 1, APIKEY_SCOPE__COUNT},
    {"expires_at", FT_STRING, 0, 1, 64},
    FIELD_RULES_END,
};

struct api_key_args {
    const char *name;
    char scopes[256]; /* text[] literal: {"chats:read","reviews:write"} */
    char expires_at[32];
    int has_expiry;
};

/* scopes: known names, each once; the text[] literal in a->scopes */
static void api_key_parse_scopes(const json_t *scopes, struct api_key_args *a, json_t *errors)
{
    unsigned seen = 0;
    size_t used = 0, i;
    json_t *v;
    char field[32];
    if (!json_is_array(scopes) || json_array_size(scopes) > APIKEY_SCOPE__COUNT)
        return; /* http_check_fields named it */
    used += (size_t)snprintf(a->scopes, sizeof a->scopes, "{");
    json_array_foreach(scopes, i, v)
    {
        int s = apikey_scope_parse(json_string_value(v));
        snprintf(field, sizeof field, "scopes[%zu]", i);
        if (!json_is_string(v)) {
            http_field_error(errors, field, "wrong_type", "must be a string");
        } else if (s < 0) {
            http_field_error(errors, field, "invalid_enum", "must be one of %s",
                             apikey_scope_list());
        } else if (seen & (1u << s)) {
            http_field_error(errors, field, "duplicate", "names %s again", apikey_scope_name(s));
        } else {
            seen |= 1u << s;
            used += (size_t)snprintf(a->scopes + used, sizeof a->scopes - used, "%s\"%s\"",
                                     used > 1 ? "," : "", apikey_scope_name(s));
        }
    }
    snprintf(a->scopes + used, sizeof a->scopes - used, "}");
}

static int api_key_parse(json_t *body, struct api_key_args *a, json_t *errors)
{
    time_t expires;
    http_check_fields(body, create_rules, NULL, errors);
    a->name = json_string_value(json_object_get(body, "name"));
    if (a->name && *a->name && utf8_blank(a->name))
        http_field_error(errors, "name", "too_short", "must not be blank");
    api_key_parse_scopes(json_object_get(body, "scopes"), a, errors);
    const char *exp = json_string_value(json_object_get(body, "expires_at"));
    if (exp && ts_parse_rfc3339(exp, &expires) != 0) {
        http_field_error(errors, "expires_at", "invalid_format",
                         "must be an RFC 3339 date-time such as 2027-01-01T00:00:00Z");
    } else if (exp && expires <= time(NULL)) {
        http_field_error(errors, "expires_at", "not_in_future", "must be in the future");
    } else if (exp) {
        ts_format_utc(expires, a->expires_at, sizeof a->expires_at);
        a->has_expiry = 1;
    }
    return json_array_size(errors) ? -1 : 0;
}

static sd_err api_key_create_tx(struct http_ctx *ctx, struct db_conn *conn, void *arg, json_t **out,
                                int *answered)
{
    struct api_key_args *a = arg;
    char secret[APIKEY_SECRET_LEN + 1], prefix[APIKEY_PREFIX_LEN + 1], hash[APIKEY_HASH_HEX];
    (void)answered;
    apikey_secret_new(secret);
    memcpy(prefix, secret, APIKEY_PREFIX_LEN);
    prefix[APIKEY_PREFIX_LEN] = '\0';
    apikey_secret_hash(secret, hash);
    sd_err e = api_key_store_create(conn, ctx->user_id, a->name, a->scopes,
                                    a->has_expiry ? a->expires_at : NULL, prefix, hash, out);
    /* the secret goes out in this answer only: a replay of the Idempotency-Key has the key
     * without it, since nothing but its hash is kept */
    if (e == SD_OK)
        ctx->answer_once = json_pack("{s:s}", "secret", secret);
    sodium_memzero(secret, sizeof secret);
    return e;
}

static int api_key_parse_args(json_t *body, void *args, json_t *errors)
{
    return api_key_parse(body, args, errors);
}

HANDLER(api_keys_create)
{
    static const struct http_create_op op = {
        ROLE_SELLER, api_key_parse_args, "The API key has invalid fields.",
        NULL,        "api-keys",         api_key_create_tx};
    struct api_key_args a = {0};
    (void)req;
    (void)app;
    return http_create(http_ctx_of(resp), &op, &a);
}

HANDLER(api_keys_list)
{
    (void)req;
    (void)app;
    return http_own_page(http_ctx_of(resp), ROLE_SELLER, API_KEYS_PAGE_DEFAULT, API_KEYS_PAGE_MAX,
                         "api-keys", api_key_store_list);
}

HANDLER(api_keys_revoke)
{
    (void)req;
    (void)app;
    return http_delete_own(http_ctx_of(resp), ROLE_SELLER, api_key_store_revoke,
                           "No such API key among yours.");
}
