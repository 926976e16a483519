#ifndef SD_TOKEN_STORE_H
#define SD_TOKEN_STORE_H

#include "auth.h"
#include "db.h"

/* Refresh tokens live in families: a login starts one, each refresh spends the presented
 * token and adds its successor. Presenting a spent token means it was stolen or replayed,
 * so the whole family is revoked. */
typedef enum {
    TOKEN_OK = 0,
    TOKEN_UNKNOWN,
    TOKEN_EXPIRED,
    TOKEN_REVOKED,
    TOKEN_REUSED, /* family revoked just now */
} token_outcome;

/* Starts a new family for user_id; writes the opaque token to out. */
sd_err token_store_issue(struct db_conn *conn, int64_t user_id, int ttl_s, char out[64]);
/* Spends token and issues its successor (out) in one transaction. */
sd_err token_store_rotate(struct db_conn *conn, const char *token, int ttl_s, int64_t *user_id,
                          auth_role *role, char out[64], token_outcome *outcome);
/* Revokes the family of token; unknown tokens are ignored. */
sd_err token_store_revoke_family(struct db_conn *conn, const char *token);

#endif
