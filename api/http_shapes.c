/* Handler shapes several resources share: reading, changing and deleting one of the caller's
 * own things, and a seller's bulk status change with per-item results. The resource brings its
 * store call and its words; validation, transactions and answers are the same for all of them. */
#include <stdlib.h>
#include <string.h>

#include "http.h"

#define BULK_IDS_MAX 100

/* The path's id of one of the caller's own things, the caller's role in roles: the id, or -1
 * when the request is answered already (*rc: that answer). */
static int64_t own_id(struct http_ctx *ctx, unsigned roles, const char *missing, int *rc)
{
    int64_t id = http_path_id(ctx, "id");
    *rc = U_CALLBACK_COMPLETE;
    if (http_require_role(ctx, roles) != 0)
        return -1;
    if (id < 0)
        *rc = http_problem(ctx, SD_ERR_NOT_FOUND, NULL, "%s", missing);
    return id;
}

int http_delete_own(struct http_ctx *ctx, unsigned roles, http_delete_fn del, const char *missing)
{
    struct db_conn *conn;
    int rc;
    int64_t id = own_id(ctx, roles, missing, &rc);
    sd_err e;
    if (id < 0)
        return rc;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = db_begin(conn)) != SD_OK)
        return http_store_error(ctx, e);
    if ((e = del(conn, id, ctx->user_id)) == SD_OK && (e = db_commit(conn)) == SD_OK)
        return http_no_content(ctx);
    db_rollback(conn);
    return e == SD_ERR_NOT_FOUND ? http_problem(ctx, e, NULL, "%s", missing)
                                 : http_store_error(ctx, e);
}

int http_act_own(struct http_ctx *ctx, unsigned roles, http_get_fn act, const char *missing,
                 int status)
{
    struct db_conn *conn;
    json_t *out = NULL;
    int rc;
    int64_t id = own_id(ctx, roles, missing, &rc);
    sd_err e;
    if (id < 0)
        return rc;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if ((e = act(conn, id, ctx->user_id, &out)) == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "%s", missing);
    return e == SD_OK ? http_json(ctx, status, out) : http_store_error(ctx, e);
}

int http_get_own(struct http_ctx *ctx, unsigned roles, http_get_fn get, const char *missing)
{
    return http_act_own(ctx, roles, get, missing, 200);
}

/* After the body's fields passed: ownership, the guard, the update; the answer given. */
static int http_update_checked(struct http_ctx *ctx, const struct http_update_op *op, int64_t id,
                               json_t *body, void *args)
{
    struct db_conn *conn;
    json_t *out = NULL;
    sd_err e = SD_OK;
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if (op->owned)
        e = op->owned(conn, id, ctx->user_id, args);
    if (e == SD_OK && op->guard && op->guard(ctx, body) != 0)
        return U_CALLBACK_COMPLETE;
    if (e == SD_OK)
        e = op->update(conn, id, ctx->user_id, args, &out);
    if (e == SD_ERR_NOT_FOUND)
        return http_problem(ctx, e, NULL, "%s", op->missing);
    return e == SD_OK ? http_json(ctx, 200, out) : http_store_error(ctx, e);
}

int http_update_own(struct http_ctx *ctx, const struct http_update_op *op, void *args)
{
    json_t *body, *errors;
    int rc;
    int64_t id = own_id(ctx, op->roles, op->missing, &rc);
    if (id < 0)
        return rc;
    if (!(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    op->parse(body, args, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                                 "The update has invalid fields.");
        errors = NULL;
    } else {
        rc = http_update_checked(ctx, op, id, body, args);
    }
    json_decref(errors);
    json_decref(body);
    return rc;
}

int http_bulk_status(struct http_ctx *ctx, const char *ids_field, const char *const *statuses,
                     const char *statuses_text, http_status_fn set)
{
    const struct field_rule rules[] = {
        {ids_field, FT_ARRAY, 1, 1, BULK_IDS_MAX},
        {"status", FT_STRING, 1, 1, 16},
        FIELD_RULES_END,
    };
    struct db_conn *conn;
    json_t *body, *errors, *results = NULL;
    char *ids = NULL;
    int rc = U_CALLBACK_COMPLETE, known = 0;
    if (http_require_role(ctx, ROLE_SELLER) != 0 || !(body = http_body_object(ctx)))
        return U_CALLBACK_COMPLETE;
    errors = json_array();
    http_check_fields(body, rules, NULL, errors);
    const char *status = json_string_value(json_object_get(body, "status"));
    for (int i = 0; status && statuses[i]; i++)
        known |= strcmp(status, statuses[i]) == 0;
    if (status && !known)
        http_field_error(errors, "status", "invalid_enum", "must be %s", statuses_text);
    if (!json_array_size(errors))
        ids = http_id_list(json_object_get(body, ids_field), ids_field, errors);
    if (json_array_size(errors)) {
        rc = http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors, "Invalid request.");
        errors = NULL;
        goto cleanup;
    }
    if (!(conn = http_conn(ctx)))
        goto cleanup;
    sd_err e = set(conn, ctx->user_id, ids, status, &results);
    rc = e == SD_OK ? http_json(ctx, 200, json_pack("{s:o}", "results", results))
                    : http_store_error(ctx, e);
cleanup:
    free(ids);
    json_decref(errors);
    json_decref(body);
    return rc;
}
