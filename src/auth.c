#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <jwt.h>
#include <sodium.h>

#define AUTH_MAX_TOKEN_LEN 4096
/* Tolerated clock difference between the issuer and us. */
#define AUTH_LEEWAY_S 30

static char dummy_hash[crypto_pwhash_STRBYTES];
/* Password hashes running at once: each takes SELLERDESK_PWHASH_MEMLIMIT (64 MiB by default)
 * and a core for tens of milliseconds, on behalf of a caller nobody has authenticated yet.
 * Each place is held by one client address at most, so one client looping logins to its own
 * account holds one place, not every place. */
#define AUTH_CLIENT_LEN 64
static pthread_mutex_t pwhash_lock = PTHREAD_MUTEX_INITIALIZER;
static char (*pwhash_holders)[AUTH_CLIENT_LEN];
static int pwhash_places;

int auth_init(unsigned long long opslimit, size_t memlimit, int concurrency)
{
    if (sodium_init() < 0)
        return -1;
    pwhash_places = concurrency > 0 ? concurrency : 1;
    if (!(pwhash_holders = calloc((size_t)pwhash_places, sizeof *pwhash_holders)))
        return -1;
    return crypto_pwhash_str(dummy_hash, "not a real password", 19, opslimit, memlimit) == 0 ? 0
                                                                                             : -1;
}

auth_role auth_role_parse(const char *s)
{
    if (!s)
        return ROLE_NONE;
    if (strcmp(s, "buyer") == 0)
        return ROLE_BUYER;
    if (strcmp(s, "seller") == 0)
        return ROLE_SELLER;
    if (strcmp(s, "support") == 0)
        return ROLE_SUPPORT;
    return ROLE_NONE;
}

const char *auth_role_name(auth_role r)
{
    switch (r) {
    case ROLE_BUYER:
        return "buyer";
    case ROLE_SELLER:
        return "seller";
    case ROLE_SUPPORT:
        return "support";
    default:
        return "none";
    }
}

int auth_pwhash_begin(const char *client)
{
    int place = -1;
    pthread_mutex_lock(&pwhash_lock);
    for (int i = 0; i < pwhash_places; i++) {
        if (strncmp(pwhash_holders[i], client, AUTH_CLIENT_LEN - 1) == 0) {
            place = -1; /* this client is hashing already */
            break;
        }
        if (place < 0 && pwhash_holders[i][0] == '\0')
            place = i;
    }
    if (place >= 0)
        snprintf(pwhash_holders[place], AUTH_CLIENT_LEN, "%s", client[0] ? client : "-");
    pthread_mutex_unlock(&pwhash_lock);
    return place;
}

void auth_pwhash_end(int place)
{
    if (place < 0 || place >= pwhash_places)
        return;
    pthread_mutex_lock(&pwhash_lock);
    pwhash_holders[place][0] = '\0';
    pthread_mutex_unlock(&pwhash_lock);
}

int auth_password_hash(const char *password, unsigned long long opslimit, size_t memlimit,
                       char out[128])
{
    return crypto_pwhash_str(out, password, strlen(password), opslimit, memlimit);
}

int auth_password_verify(const char *password, const char *hash)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void auth_password_dummy_verify(const char *password)
{
    if (crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
        return; /* cannot happen: nobody knows the dummy password */
}

const char *auth_token_status_text(auth_token_status s)
{
    static const char *texts[] = {"ok",
                                  "malformed token",
                                  "algorithm not accepted",
                                  "bad signature",
                                  "token expired",
                                  "token not yet valid",
                                  "wrong issuer",
                                  "wrong audience",
                                  "missing or invalid claims"};
    return texts[s];
}

static jwt_alg_t auth_libjwt_alg(config_jwt_alg a)
{
    switch (a) {
    case JWT_HS256:
        return JWT_ALG_HS256;
    case JWT_HS384:
        return JWT_ALG_HS384;
    case JWT_HS512:
        return JWT_ALG_HS512;
    case JWT_RS256:
        return JWT_ALG_RS256;
    case JWT_ES256:
        return JWT_ALG_ES256;
    }
    return JWT_ALG_INVAL;
}

char *auth_jwt_issue(const struct sd_config *cfg, int64_t user_id, auth_role role, time_t now)
{
    jwt_t *jwt = NULL;
    char *out = NULL, *enc = NULL, sub[24], jti[64];
    unsigned char rnd[16];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2hex(jti, sizeof jti, rnd, sizeof rnd);
    snprintf(sub, sizeof sub, "%lld", (long long)user_id);
    if (jwt_new(&jwt) != 0)
        return NULL;
    if (jwt_add_grant(jwt, "sub", sub) || jwt_add_grant(jwt, "role", auth_role_name(role)) ||
        jwt_add_grant(jwt, "iss", cfg->jwt_issuer) || jwt_add_grant(jwt, "jti", jti) ||
        jwt_add_grant_int(jwt, "iat", now) ||
        jwt_add_grant_int(jwt, "exp", now + cfg->access_ttl_s) ||
        (cfg->jwt_audience && jwt_add_grant(jwt, "aud", cfg->jwt_audience)) ||
        jwt_set_alg(jwt, auth_libjwt_alg(cfg->jwt_alg), cfg->jwt_sign_key,
                    (int)cfg->jwt_sign_key_len) != 0)
        goto cleanup;
    enc = jwt_encode_str(jwt);
    if (enc)
        out = strdup(enc);
cleanup:
    free(enc);
    jwt_free(jwt);
    return out;
}

/* libjwt 1.10 trusts the header's alg: check it ourselves before any signature work. */
static auth_token_status auth_check_header(const struct sd_config *cfg, const char *token)
{
    const char *dot = strchr(token, '.');
    unsigned char header[512];
    size_t hlen = 0;
    auth_token_status st = AUTH_TOKEN_MALFORMED;
    json_t *h = NULL;
    if (!dot || dot == token || (size_t)(dot - token) > 680)
        return AUTH_TOKEN_MALFORMED;
    if (sodium_base642bin(header, sizeof header - 1, token, (size_t)(dot - token), NULL, &hlen,
                          NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return AUTH_TOKEN_MALFORMED;
    h = json_loadb((const char *)header, hlen, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(h))
        goto cleanup;
    const char *alg = json_string_value(json_object_get(h, "alg"));
    json_t *typ = json_object_get(h, "typ");
    if (!alg || (typ && (!json_is_string(typ) || strcasecmp(json_string_value(typ), "JWT") != 0)))
        goto cleanup;
    st = strcmp(alg, config_jwt_alg_name(cfg->jwt_alg)) == 0 ? AUTH_TOKEN_OK : AUTH_TOKEN_BAD_ALG;
cleanup:
    json_decref(h);
    return st;
}

static int auth_grant_int(jwt_t *jwt, const char *name, long *out)
{
    errno = 0;
    *out = jwt_get_grant_int(jwt, name);
    return errno == 0 ? 0 : -1;
}

auth_token_status auth_claims_timely(const struct auth_claims *c, time_t now)
{
    if (c->exp + AUTH_LEEWAY_S <= now)
        return AUTH_TOKEN_EXPIRED;
    if ((c->has_nbf && c->nbf > now + AUTH_LEEWAY_S) || c->iat > now + AUTH_LEEWAY_S)
        return AUTH_TOKEN_NOT_YET_VALID;
    return AUTH_TOKEN_OK;
}

static auth_token_status auth_check_claims(const struct sd_config *cfg, jwt_t *jwt, time_t now,
                                           struct auth_claims *out)
{
    long exp, iat, nbf;
    const char *sub = jwt_get_grant(jwt, "sub"), *role = jwt_get_grant(jwt, "role");
    const char *iss = jwt_get_grant(jwt, "iss"), *jti = jwt_get_grant(jwt, "jti");
    char *end;
    auth_token_status st;
    if (auth_grant_int(jwt, "exp", &exp) != 0 || auth_grant_int(jwt, "iat", &iat) != 0)
        return AUTH_TOKEN_BAD_CLAIMS;
    out->exp = exp;
    out->iat = iat;
    out->has_nbf = auth_grant_int(jwt, "nbf", &nbf) == 0;
    out->nbf = out->has_nbf ? nbf : 0;
    if ((st = auth_claims_timely(out, now)) != AUTH_TOKEN_OK)
        return st;
    if (!iss || strcmp(iss, cfg->jwt_issuer) != 0)
        return AUTH_TOKEN_BAD_ISSUER;
    if (cfg->jwt_audience) {
        const char *aud = jwt_get_grant(jwt, "aud");
        if (!aud || strcmp(aud, cfg->jwt_audience) != 0)
            return AUTH_TOKEN_BAD_AUDIENCE;
    }
    if (!sub || !jti || strlen(jti) >= sizeof out->jti)
        return AUTH_TOKEN_BAD_CLAIMS;
    errno = 0;
    long long id = strtoll(sub, &end, 10);
    if (errno || *end || end == sub || id <= 0)
        return AUTH_TOKEN_BAD_CLAIMS;
    out->role = auth_role_parse(role);
    if (out->role == ROLE_NONE)
        return AUTH_TOKEN_BAD_CLAIMS;
    out->user_id = id;
    snprintf(out->jti, sizeof out->jti, "%s", jti);
    return AUTH_TOKEN_OK;
}

auth_token_status auth_jwt_verify(const struct sd_config *cfg, const char *token, time_t now,
                                  struct auth_claims *out)
{
    jwt_t *jwt = NULL;
    auth_token_status st;
    memset(out, 0, sizeof *out);
    if (!token || strlen(token) > AUTH_MAX_TOKEN_LEN || strchr(token, '.') == NULL)
        return AUTH_TOKEN_MALFORMED;
    if ((st = auth_check_header(cfg, token)) != AUTH_TOKEN_OK)
        return st;
    /* never an empty key: libjwt would then skip verification */
    if (cfg->jwt_verify_key_len == 0)
        return AUTH_TOKEN_BAD_SIGNATURE;
    if (jwt_decode(&jwt, token, cfg->jwt_verify_key, (int)cfg->jwt_verify_key_len) != 0)
        return AUTH_TOKEN_BAD_SIGNATURE;
    if (jwt_get_alg(jwt) != auth_libjwt_alg(cfg->jwt_alg))
        st = AUTH_TOKEN_BAD_ALG;
    else
        st = auth_check_claims(cfg, jwt, now, out);
    jwt_free(jwt);
    return st;
}

void auth_opaque_token(char out[64])
{
    unsigned char rnd[32];
    randombytes_buf(rnd, sizeof rnd);
    sodium_bin2base64(out, 64, rnd, sizeof rnd, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void auth_token_digest(const char *token, char out_hex[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out_hex, 65, h, sizeof h);
}
