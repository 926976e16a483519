#ifndef SD_USER_STORE_H
#define SD_USER_STORE_H

#include <jansson.h>

#include "auth.h"
#include "db.h"

/* SD_ERR_CONFLICT when the e-mail is taken (case-insensitively). *out is the user object. */
sd_err user_store_create(struct db_conn *conn, const char *email, const char *password_hash,
                         auth_role role, const char *display_name, json_t **out);
/* The user object and role; SD_ERR_NOT_FOUND if the account no longer exists. */
sd_err user_store_get(struct db_conn *conn, int64_t id, auth_role *role, json_t **out);
/* For login: id, role and password hash by e-mail; SD_ERR_NOT_FOUND if unknown. */
sd_err user_store_credentials(struct db_conn *conn, const char *email, int64_t *id, auth_role *role,
                              char hash[128]);
/* The first of ids (a bigint[] literal, in order) that is not an account of that role, or 0
 * in *bad when all are. */
sd_err user_store_first_not_role(struct db_conn *conn, const char *ids, const char *role,
                                 int64_t *bad);

#endif
