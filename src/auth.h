#ifndef SD_AUTH_H
#define SD_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"

typedef enum { ROLE_NONE = 0, ROLE_BUYER = 1, ROLE_SELLER = 2, ROLE_SUPPORT = 4 } auth_role;

auth_role auth_role_parse(const char *s);
const char *auth_role_name(auth_role r);

/* Once before any of these: initialises libsodium and the dummy hash used to keep unknown
 * accounts as slow to refuse as known ones; at most concurrency hashes run at once. */
int auth_init(unsigned long long opslimit, size_t memlimit, int concurrency);
/* A place among the concurrent password hashes for client (its address), without waiting:
 * its index, or -1 when every place is taken or client holds one already (the caller answers
 * 503). Waiting would hold an HTTP thread. auth_pwhash_end gives it back. */
int auth_pwhash_begin(const char *client);
void auth_pwhash_end(int place);

/* argon2id; out must hold crypto_pwhash_STRBYTES (128) bytes. */
int auth_password_hash(const char *password, unsigned long long opslimit, size_t memlimit,
                       char out[128]);
int auth_password_verify(const char *password, const char *hash);
/* Burns the same time as a real verification, for unknown accounts. */
void auth_password_dummy_verify(const char *password);

/* Why a token was refused; the text goes to the security log, never to the client. */
typedef enum {
    AUTH_TOKEN_OK = 0,
    AUTH_TOKEN_MALFORMED,
    AUTH_TOKEN_BAD_ALG,
    AUTH_TOKEN_BAD_SIGNATURE,
    AUTH_TOKEN_EXPIRED,
    AUTH_TOKEN_NOT_YET_VALID,
    AUTH_TOKEN_BAD_ISSUER,
    AUTH_TOKEN_BAD_AUDIENCE,
    AUTH_TOKEN_BAD_CLAIMS,
} auth_token_status;

const char *auth_token_status_text(auth_token_status s);

struct auth_claims {
    int64_t user_id;
    auth_role role;
    time_t iat, exp, nbf;
    int has_nbf;
    char jti[64];
};
/* The checks of a token that depend on the time: AUTH_TOKEN_EXPIRED, AUTH_TOKEN_NOT_YET_VALID
 * or AUTH_TOKEN_OK at now (with the verifier's leeway). */
auth_token_status auth_claims_timely(const struct auth_claims *c, time_t now);

/* Returns a malloc'd compact JWT or NULL. */
char *auth_jwt_issue(const struct sd_config *cfg, int64_t user_id, auth_role role, time_t now);
auth_token_status auth_jwt_verify(const struct sd_config *cfg, const char *token, time_t now,
                                  struct auth_claims *out);

/* Opaque refresh tokens: 32 random bytes, base64url; stored only as a SHA-256 hex digest. */
void auth_opaque_token(char out[64]);
void auth_token_digest(const char *token, char out_hex[65]);

#endif
