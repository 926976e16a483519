#ifndef SD_HTTP_H
#define SD_HTTP_H

#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <ulfius.h>

#include "../src/auth.h"
#include "../src/db.h"
#include "../src/err.h"
#include "../src/utf8.h"
#include "app.h"

#include "uri.h"

/* The answer's headers, kept in the request's context rather than in Ulfius' maps, which
 * cost every request 26 allocator calls (bench/README.md, "The request path, a profile",
 * proposal 7): names are string literals, values are copied in. */
#define HTTP_MAX_HEADERS  16
#define HTTP_HEADER_BYTES 1024
struct http_answer_header {
    const char *name;
    const char *value;
};

/* Per-request state: made when the request line arrives (dispatch.c), freed when the answer
 * has been sent or the request abandoned. Handlers get its req and resp, with the Ulfius
 * callback signature; http_ctx_of(resp) leads back here. */
struct http_ctx {
    struct sd_app *app;
    struct MHD_Connection *connection; /* NULL on a connection the loop serves (front) */
    struct front_conn *front;          /* that connection (api/front.h), or NULL */
    struct conn_slot *slot;            /* either's place in conn.c */
    const struct _u_request *req;
    struct _u_response *resp;
    struct _u_request request; /* verb, path, client address, body */
    struct _u_response response;
    char *raw_uri; /* the request target as received */
    struct uri uri;
    int uri_ok;
    int route_index; /* -1 when no route matched */
    int head_seen;   /* the first call (head complete) has run */
    int heading;     /* the head is arriving: in this thread's list (dispatch.c) */
    struct http_ctx *heading_prev, *heading_next;
    int answered;      /* an answer is in response */
    int queued;        /* the answer is handed to libmicrohttpd */
    int close_after;   /* answer with Connection: close */
    int authenticated; /* the principal below is set */
    char request_id[40];
    char method[16];
    struct timespec start;
    int64_t content_length; /* -1: none */
    char *body;
    size_t body_len;
    const void *static_body; /* an answer from static memory, sent without a copy */
    size_t static_len;
    struct db_conn *conn;
    /* the authenticated principal */
    int64_t user_id;
    auth_role role;
    json_t *user;       /* the caller's user object, loaded by authentication */
    int found_existing; /* set by a create that found its object already there: 200, not 201 */
    /* members of a create's first answer that its stored copy for Idempotency-Key replays
     * leaves out (an API key's secret, which is never stored); http_idempotent_create frees */
    json_t *answer_once;
    /* set when an API key authenticated the request (api_key_auth.c) */
    int64_t api_key_id;
    unsigned api_key_scopes;
    time_t credential_expires_at; /* the access token's exp or the key's expiry, 0: never */
    int api_key_counted; /* the request was counted against the key's rate (once per request) */
    /* its token and its account were counted in the caches' figures (once per request) */
    int token_counted, principal_counted;
    char api_key_limit[16], api_key_remaining[16], api_key_reset[16];
    /* GET /v1/events/stream: the open stream, answered by events_stream_response */
    struct event_hub_stream *stream;
    /* a read run by http_read (http_read.c): on the pipe, the connection is suspended from
     * the submission until the pipe's turn has stored the outcome in res/err and resumed it;
     * then dispatch.c calls answer with it on this request's thread. The rest is the
     * handler's state for its answer. */
    struct http_reading {
        int (*answer)(struct http_ctx *ctx, PGresult *res, sd_err e);
        PGresult *res;
        sd_err err;
        int suspended;
        int limit;
        int64_t id;
        const char *not_found; /* a literal */
        char *scope;           /* malloc'd */
        /* a page kept while a second statement runs for its answer (http_read_keep) */
        char *items; /* malloc'd */
        int has_more;
        int64_t last;
    } read;
    /* on an HTTP thread, a request that would wait for a pool connection is handed to a
     * worker instead (defer_pool set by dispatch.c while it runs there); to_worker: it was,
     * with nothing answered, and runs again from its start on the worker (http_to_worker) */
    int defer_pool;
    int to_worker;
    /* the pipe of the loop that handed it to a worker: its reads go there (http_read) */
    struct db_pipe *home_pipe;
    /* the next request waiting for a worker (api/work.c), and when this one stops waiting */
    struct http_ctx *work_next;
    struct timespec work_deadline;
    struct http_answer_header headers[HTTP_MAX_HEADERS];
    int nheaders;
    size_t header_used;
    char header_bytes[HTTP_HEADER_BYTES]; /* last: dispatch_started does not clear it */
};

struct http_ctx *http_ctx_of(struct _u_response *resp);

/* A request header's value (the first, case-insensitive name), or NULL. */
const char *http_header(struct http_ctx *ctx, const char *name);

/* Sets a header of the answer, replacing one of the same name; name must be a literal (it is
 * kept, not copied). A header beyond the limits above is logged and left out. */
void http_set_header(struct http_ctx *ctx, const char *name, const char *value);
const char *http_answer_header(const struct http_ctx *ctx, const char *name); /* NULL: none */
void http_unset_header(struct http_ctx *ctx, const char *name);

/* The request's database connection, acquired on first use and released when the request
 * ends. NULL means the answer (503) has been sent already, or the request is to run on a
 * worker (http_to_worker): either way its handler returns at once. */
struct db_conn *http_conn(struct http_ctx *ctx);
/* 1 when the request runs on an HTTP thread that must not wait for the pool: it is marked to
 * run again from its start on a worker, nothing answered (dispatch.c hands it over once its
 * code returns). Only reads run on those threads, so running one again repeats no effect. */
int http_to_worker(struct http_ctx *ctx);
void http_conn_release(struct http_ctx *ctx);
/* Ends the checks of a list's query: with errors gathered (stolen), answers 400
 * validation_failed and gives NULL; otherwise the request's connection (NULL: 503 sent). */
struct db_conn *http_query_conn(struct http_ctx *ctx, json_t *errors);

/* Answers; each returns U_CALLBACK_COMPLETE so handlers can `return http_...(...)`. */
int http_json(struct http_ctx *ctx, int status, json_t *body);          /* steals body */
int http_json_text(struct http_ctx *ctx, int status, const char *body); /* already JSON */
/* JSON text of len bytes in a malloc'd buffer, which the answer takes over (not copied). */
int http_json_owned(struct http_ctx *ctx, int status, char *body, size_t len);
int http_no_content(struct http_ctx *ctx);
/* An answer whose bytes live as long as the process (the embedded contract): not copied, so
 * a client that does not read it costs no memory per request. */
int http_static(struct http_ctx *ctx, int status, const char *content_type, const void *data,
                size_t len);
int http_problem(struct http_ctx *ctx, sd_err e, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, with an errors array [{field, code, message}] (stolen). */
int http_problem_errors(struct http_ctx *ctx, sd_err e, const char *code, json_t *errors,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Same, with more members (an object, stolen) merged into the problem. */
int http_problem_with(struct http_ctx *ctx, sd_err e, const char *code, json_t *members,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* 503/500 etc. for an error coming from the store, with a generic detail. */
int http_store_error(struct http_ctx *ctx, sd_err e);

/* Requires the caller's role to be one of mask; answers 403 and returns -1 otherwise. */
int http_require_role(struct http_ctx *ctx, unsigned mask);

/* Whether a Content-Type names JSON (application/json, parameters allowed). */
int http_content_is_json(const char *ct);
/* The JSON object body. Answers 415 (not JSON), 400 (malformed, not an object) and
 * returns NULL in that case. */
json_t *http_body_object(struct http_ctx *ctx);

enum field_type { FT_STRING, FT_INT, FT_BOOL, FT_ARRAY, FT_OBJECT, FT_NUMBER };
struct field_rule {
    const char *name;
    enum field_type type;
    int required;
    long long min, max; /* characters for strings, value for integers, items for arrays */
};
#define FIELD_RULES_END                                                                            \
    {                                                                                              \
        NULL, FT_STRING, 0, 0, 0                                                                   \
    }

/* Unknown fields, wrong types, missing required fields and out-of-range values of obj are
 * appended to errors as {field, code, message}; prefix names nested objects ("items[2]"). */
void http_check_fields(const json_t *obj, const struct field_rule *rules, const char *prefix,
                       json_t *errors);
/* Appends {field, code, message}; past HTTP_MAX_FIELD_ERRORS one last {"field":"(more)",
 * "code":"too_many_errors"} and nothing more. */
#define HTTP_MAX_FIELD_ERRORS 20
void http_field_error(json_t *errors, const char *field, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Query parameters: only the allowed names; limit within [1,max]; cursor of this list. */
int http_check_query(struct http_ctx *ctx, const char *const *allowed, json_t *errors);
int http_query_limit(struct http_ctx *ctx, int def, int max, json_t *errors);
/* An integer parameter (decimal digits) in [min, max]; def when absent; an error otherwise. */
int64_t http_query_int(struct http_ctx *ctx, const char *name, int64_t def, int64_t min,
                       int64_t max, json_t *errors);
int64_t http_query_cursor(struct http_ctx *ctx, const char *scope, json_t *errors);
/* YYYY-MM-DD naming a real day; NULL when absent, "" (after an error) when invalid. */
const char *http_query_date(struct http_ctx *ctx, const char *name, json_t *errors);
/* A positive integer (1 to 18 digits) as text; NULL when absent or invalid (error added). */
const char *http_query_id(struct http_ctx *ctx, const char *name, json_t *errors);
/* true|false: -1 absent (or invalid, error added), else 0/1. */
int http_query_bool(struct http_ctx *ctx, const char *name, json_t *errors);
/* Each member of ids (a JSON array of file ids, or NULL) must be a positive integer, else
 * {"<field>[i]", wrong_type}; with duplicates, one listed before is {"<field>[i]", duplicate}
 * (quadratic: call it once the array's size limit has passed). */
void http_check_file_ids(const json_t *ids, const char *field, int duplicates, json_t *errors);
/* A JSON array of distinct positive integers as a bigint[] literal (malloc'd); NULL with an
 * error for field otherwise. */
char *http_id_list(json_t *ids, const char *field, json_t *errors);
const char *http_query(struct http_ctx *ctx, const char *name);
/* The decoded path segment named :name in the route's pattern. */
const char *http_path_param(struct http_ctx *ctx, const char *name);
/* Positive integer path parameter, or -1 (the caller answers 404). */
int64_t http_path_id(struct http_ctx *ctx, const char *name);

/* {items, next_cursor}: items is the JSON array text of a db_json_page (freed here);
 * next_cursor from last_id when has_more. */
int http_page(struct http_ctx *ctx, char *items, int has_more, int64_t last_id, const char *scope);
/* Same, with more members of the answer (an object, stolen), e.g. a total; a list whose
 * cursor is not the last id passes has_more 0 and its own next_cursor among them. */
int http_page_with(struct http_ctx *ctx, char *items, int has_more, int64_t last_id,
                   const char *scope, json_t *members);
/* Same, with members written as JSON text, each with its comma before it
 * (",\"total_unread\":3"): without jansson, for the hot lists. */
int http_page_text(struct http_ctx *ctx, char *items, int has_more, int64_t last_id,
                   const char *scope, const char *members);

/* A creating POST: runs create in a transaction on the request's connection and answers
 * 201 with what it returned. With an Idempotency-Key header the first answer is stored in
 * the same transaction and replayed for a retry with the same body; another body with the
 * same key is 422. create returns SD_OK with *out, or an error it has already answered
 * (answered = 1) or not (answered = 0, a generic problem is sent). */
typedef sd_err (*http_create_fn)(struct http_ctx *ctx, struct db_conn *conn, void *arg,
                                 json_t **out, int *answered);
int http_idempotent_create(struct http_ctx *ctx, const char *scope, http_create_fn create,
                           void *arg);
/* A creating POST of the common shape: the caller's role in roles, a JSON object body, parse
 * (a non-zero return or any error in errors answers 400 with them and `invalid`), then guard
 * when given (the content-safety check; it answers a refusal itself), then
 * http_idempotent_create of create with args, which parse filled. */
struct http_create_op {
    unsigned roles;
    int (*parse)(json_t *body, void *args, json_t *errors);
    const char *invalid; /* "The product has invalid fields." */
    int (*guard)(struct http_ctx *ctx, json_t *body);
    const char *scope;
    http_create_fn create;
};
int http_create(struct http_ctx *ctx, const struct http_create_op *op, void *args);
/* GET of a page of the caller's own things (limit and cursor only): the caller's role in
 * roles; list returns the page's JSON items, whether more follow and the last id. */
typedef sd_err (*http_own_list_fn)(struct db_conn *conn, int64_t user_id, int64_t after, int limit,
                                   char **items, int *has_more, int64_t *last);
int http_own_page(struct http_ctx *ctx, unsigned roles, int limit_default, int limit_max,
                  const char *scope, http_own_list_fn list);
/* For a create whose checks before http_idempotent_create read what the first request
 * changed (a review refuses a second review of the purchase): replays a stored answer of the
 * Idempotency-Key (1: answered, also for a bad key or a store error), 0 to go on. */
int http_idempotent_replay(struct http_ctx *ctx, const char *scope);
/* DELETE of one of the caller's own things named by the path's id: the caller's role must be
 * in roles; del runs in a transaction and answers SD_ERR_NOT_FOUND for what is not the
 * caller's; 204, or 404 saying missing. */
typedef sd_err (*http_delete_fn)(struct db_conn *conn, int64_t id, int64_t user_id);
int http_delete_own(struct http_ctx *ctx, unsigned roles, http_delete_fn del, const char *missing);
/* GET of one of the caller's own things named by the path's id: 200 with *out from get, or
 * 404 saying missing (get answers SD_ERR_NOT_FOUND for what is not the caller's). */
typedef sd_err (*http_get_fn)(struct db_conn *conn, int64_t id, int64_t user_id, json_t **out);
int http_get_own(struct http_ctx *ctx, unsigned roles, http_get_fn get, const char *missing);
/* The same for an action on it that answers the thing (a webhook's ping: 202): status and *out
 * from act, or 404 saying missing. */
int http_act_own(struct http_ctx *ctx, unsigned roles, http_get_fn act, const char *missing,
                 int status);
/* PATCH of one of the caller's own things named by the path's id: the caller's role in roles, a
 * JSON object body; parse fills args and adds field errors (an update naming no field
 * included); owned (optional) refuses another's thing with SD_ERR_NOT_FOUND before the guard
 * reads the body's texts, so it is 404 whatever they say; guard (optional) answers a refused
 * body and returns non-zero; update answers SD_ERR_NOT_FOUND for what is not the caller's.
 * 200 with the thing as changed, 400 with the field errors, or 404 saying missing. */
struct http_update_op {
    unsigned roles;
    const char *missing;
    void (*parse)(json_t *body, void *args, json_t *errors);
    sd_err (*owned)(struct db_conn *conn, int64_t id, int64_t user_id, const void *args);
    int (*guard)(struct http_ctx *ctx, json_t *body);
    sd_err (*update)(struct db_conn *conn, int64_t id, int64_t user_id, const void *args,
                     json_t **out);
};
int http_update_own(struct http_ctx *ctx, const struct http_update_op *op, void *args);
/* A seller's bulk status change {<ids_field>: 1..100 distinct ids, status: one of statuses
 * (NULL-terminated; statuses_text lists them for the message)}: 200 {results} from set, whose
 * ids are a bigint[] literal. */
typedef sd_err (*http_status_fn)(struct db_conn *conn, int64_t seller_id, const char *ids,
                                 const char *status, json_t **results);
int http_bulk_status(struct http_ctx *ctx, const char *ids_field, const char *const *statuses,
                     const char *statuses_text, http_status_fn set);
/* A read (its statement built by a store) whose answer is made by answer from the result on
 * this request's thread: at once, on the request's pool connection, or, with the statement
 * pipe on (src/db_pipe.h), once PostgreSQL has answered, the thread serving its other
 * connections meanwhile. answer gets the result (it PQclear()s it) or NULL and the error.
 * The handler returns what this returns and touches ctx no more. State answer needs goes in
 * ctx->read. */
typedef int (*http_read_fn)(struct http_ctx *ctx, PGresult *res, sd_err e);
int http_read(struct http_ctx *ctx, const struct db_read *rd, http_read_fn answer);
/* ... a single row of JSON text, passed on as PostgreSQL wrote it; no row: 404 not_found. */
int http_read_one(struct http_ctx *ctx, const struct db_read *rd, const char *not_found);
/* ... a DB_PAGE of at most limit items, answered as http_page with scope. */
int http_read_page(struct http_ctx *ctx, const struct db_read *rd, int limit, const char *scope);
/* ... a page answered by answer, with limit and scope kept in ctx->read. */
int http_read_page_with(struct http_ctx *ctx, const struct db_read *rd, int limit,
                        const char *scope, http_read_fn answer);
/* Keeps a page (items taken) in ctx->read while an answer reads once more with http_read
 * (its answer then takes ctx->read.items); freed with the request if it never answers. */
void http_read_keep(struct http_ctx *ctx, char *items, int has_more, int64_t last);
/* In that answer: the kept page (taken) and the second statement's number (db_i64_of), or its
 * error e. */
sd_err http_read_kept(struct http_ctx *ctx, PGresult *r, sd_err e, char **items, int64_t *v,
                      int *found);
/* Reads on this thread go to p, the thread's own statement pipe (api/loop.c); NULL: on the
 * pool. */
void http_read_use_pipe(struct db_pipe *p);
/* This thread's pipe (NULL on a worker or without the pipe). */
struct db_pipe *http_read_thread_pipe(void);
/* On a worker: 1 when the request it ran went on to its loop's pipe (http_read), which will
 * answer it: the worker must not touch it again. clear: reset for the next request. */
int http_read_sent_home(int clear);
/* Answers 400 with errors (and returns 0) when it holds any; frees it either way. */
int http_query_valid(struct http_ctx *ctx, json_t *errors);

/* 429 with Retry-After. */
int http_rate_limited(struct http_ctx *ctx, int retry_after_s, const char *detail);
/* The client's IP address as text. */
void http_client_address(struct http_ctx *ctx, char *out, size_t len);

#endif
