#include "http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <sodium.h>

#include "../src/cursor.h"
#include "../src/idempotency_store.h"
#include "../src/log.h"
#include "front.h"
#include "routes.h"

#define RETRY_AFTER_UNAVAILABLE "2"
#define PROBLEM_TYPE_PREFIX     "https://sellerdesk.dev/problems/"

struct http_ctx *http_ctx_of(struct _u_response *resp)
{
    return (struct http_ctx *)resp->shared_data;
}

const char *http_header(struct http_ctx *ctx, const char *name)
{
    if (ctx->front)
        return front_header(ctx->front, name);
    return MHD_lookup_connection_value(ctx->connection, MHD_HEADER_KIND, name);
}

int http_to_worker(struct http_ctx *ctx)
{
    if (!ctx->defer_pool)
        return 0;
    ctx->to_worker = 1;
    return 1;
}

struct db_conn *http_conn(struct http_ctx *ctx)
{
    sd_err e = SD_OK;
    if (ctx->conn)
        return ctx->conn;
    if (http_to_worker(ctx))
        return NULL;
    ctx->conn = db_acquire(ctx->app->pool, &e);
    if (!ctx->conn)
        http_store_error(ctx, e);
    return ctx->conn;
}

int http_query_valid(struct http_ctx *ctx, json_t *errors)
{
    if (json_array_size(errors)) {
        http_problem_errors(ctx, SD_ERR_VALIDATION, NULL, errors,
                            "The query has invalid parameters.");
        return 0;
    }
    json_decref(errors);
    return 1;
}

struct db_conn *http_query_conn(struct http_ctx *ctx, json_t *errors)
{
    return http_query_valid(ctx, errors) ? http_conn(ctx) : NULL;
}

void http_conn_release(struct http_ctx *ctx)
{
    if (ctx->conn) {
        db_release(ctx->app->pool, ctx->conn);
        ctx->conn = NULL;
    }
}

static int http_send(struct http_ctx *ctx, int status, const char *content_type, const char *body)
{
    ulfius_set_string_body_response(ctx->resp, (unsigned int)status, body);
    http_set_header(ctx, "Content-Type", content_type);
    ctx->answered = 1;
    return U_CALLBACK_COMPLETE;
}

int http_json_text(struct http_ctx *ctx, int status, const char *body)
{
    return http_send(ctx, status, "application/json", body);
}

int http_json_owned(struct http_ctx *ctx, int status, char *body, size_t len)
{
    /* what ulfius_set_string_body_response does, without its strlen and copy: the buffer is
     * the response's now, freed by libmicrohttpd once sent (MHD_RESPMEM_MUST_FREE) */
    o_free(ctx->resp->binary_body);
    ctx->resp->binary_body = body;
    ctx->resp->binary_body_length = len;
    ctx->resp->status = (long)status;
    http_set_header(ctx, "Content-Type", "application/json");
    ctx->answered = 1;
    return U_CALLBACK_COMPLETE;
}

int http_json(struct http_ctx *ctx, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    int rc = http_send(ctx, status, "application/json", text ? text : "{}");
    free(text);
    json_decref(body);
    return rc;
}

int http_static(struct http_ctx *ctx, int status, const char *content_type, const void *data,
                size_t len)
{
    ulfius_set_empty_body_response(ctx->resp, (unsigned int)status);
    http_set_header(ctx, "Content-Type", content_type);
    ctx->static_body = data;
    ctx->static_len = len;
    ctx->answered = 1;
    return U_CALLBACK_COMPLETE;
}

int http_no_content(struct http_ctx *ctx)
{
    ulfius_set_empty_body_response(ctx->resp, 204);
    ctx->answered = 1;
    return U_CALLBACK_COMPLETE;
}

static int http_problem_v(struct http_ctx *ctx, sd_err e, const char *code, json_t *extra,
                          const char *fmt, va_list ap)
{
    char detail[1024], type[128];
    int status = err_http_status(e);
    code = code ? code : err_code(e);
    vsnprintf(detail, sizeof detail, fmt, ap);
    utf8_cut(detail); /* a long detail may have been cut inside a character */
    snprintf(type, sizeof type, PROBLEM_TYPE_PREFIX "%s", code);
    json_t *p =
        json_pack("{s:s, s:s, s:i, s:s, s:s, s:s}", "type", type, "title", err_title(e), "status",
                  status, "detail", detail, "code", code, "request_id", ctx->request_id);
    if (extra) {
        json_object_update_missing(p, extra);
        json_decref(extra);
    }
    if (e == SD_ERR_UNAVAILABLE)
        http_set_header(ctx, "Retry-After", RETRY_AFTER_UNAVAILABLE);
    char *text = json_dumps(p, JSON_COMPACT);
    int rc = http_send(ctx, status, "application/problem+json", text ? text : "{}");
    free(text);
    json_decref(p);
    return rc;
}

int http_problem(struct http_ctx *ctx, sd_err e, const char *code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = http_problem_v(ctx, e, code, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

int http_problem_errors(struct http_ctx *ctx, sd_err e, const char *code, json_t *errors,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = http_problem_v(ctx, e, code, json_pack("{s:o}", "errors", errors), fmt, ap);
    va_end(ap);
    return rc;
}

int http_problem_with(struct http_ctx *ctx, sd_err e, const char *code, json_t *members,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = http_problem_v(ctx, e, code, members, fmt, ap);
    va_end(ap);
    return rc;
}

int http_store_error(struct http_ctx *ctx, sd_err e)
{
    switch (e) {
    case SD_ERR_UNAVAILABLE:
        return http_problem(ctx, e, NULL, "The database is unavailable; retry shortly.");
    case SD_ERR_NOT_FOUND:
        return http_problem(ctx, e, NULL, "The resource does not exist.");
    case SD_ERR_CONFLICT:
        return http_problem(ctx, e, NULL, "The request conflicts with the current state.");
    default:
        return http_problem(
            ctx, SD_ERR_INTERNAL, NULL,
            "An unexpected error occurred; quote the request id when reporting it.");
    }
}

int http_require_role(struct http_ctx *ctx, unsigned mask)
{
    if ((unsigned)ctx->role & mask)
        return 0;
    http_problem(ctx, SD_ERR_FORBIDDEN, NULL, "This action is not available to the %s role.",
                 auth_role_name(ctx->role));
    return -1;
}

int http_content_is_json(const char *ct)
{
    size_t ctlen = strlen("application/json");
    return ct && strncasecmp(ct, "application/json", ctlen) == 0 &&
           (ct[ctlen] == '\0' || ct[ctlen] == ';' || ct[ctlen] == ' ');
}

json_t *http_body_object(struct http_ctx *ctx)
{
    json_error_t jerr;
    if (!http_content_is_json(http_header(ctx, "Content-Type"))) {
        http_problem(ctx, SD_ERR_MEDIA_TYPE, NULL,
                     "The body must be JSON with Content-Type: application/json.");
        return NULL;
    }
    if (ctx->req->binary_body_length == 0) {
        http_problem(ctx, SD_ERR_BAD_REQUEST, "malformed_json", "The request body is empty.");
        return NULL;
    }
    json_t *body = json_loadb(ctx->req->binary_body, ctx->req->binary_body_length,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!body) {
        http_problem(ctx, SD_ERR_BAD_REQUEST, "malformed_json",
                     "The body is not valid JSON: %s (line %d, column %d).", jerr.text, jerr.line,
                     jerr.column);
        return NULL;
    }
    if (!json_is_object(body)) {
        json_decref(body);
        http_problem(ctx, SD_ERR_BAD_REQUEST, "body_not_object", "The body must be a JSON object.");
        return NULL;
    }
    return body;
}

void http_field_error(json_t *errors, const char *field, const char *code, const char *fmt, ...)
{
    char msg[512], name[128];
    size_t n = json_array_size(errors);
    va_list ap;
    /* a body of a thousand unknown members gets a short answer, not a thousand errors */
    if (n > HTTP_MAX_FIELD_ERRORS)
        return;
    if (n == HTTP_MAX_FIELD_ERRORS) {
        json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "field", "(more)", "code",
                                                "too_many_errors", "message",
                                                "further errors are not listed"));
        return;
    }
    snprintf(name, sizeof name, "%s", field);
    utf8_cut(name);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_cut(msg);
    json_array_append_new(
        errors, json_pack("{s:s, s:s, s:s}", "field", name, "code", code, "message", msg));
}

static const char *http_type_name(enum field_type t)
{
    switch (t) {
    case FT_STRING:
        return "a string";
    case FT_INT:
        return "an integer";
    case FT_BOOL:
        return "a boolean";
    case FT_ARRAY:
        return "an array";
    case FT_OBJECT:
        return "an object";
    case FT_NUMBER:
        return "a number";
    }
    return "a value";
}

static int http_type_ok(const json_t *v, enum field_type t)
{
    switch (t) {
    case FT_STRING:
        return json_is_string(v);
    case FT_INT:
        return json_is_integer(v);
    case FT_BOOL:
        return json_is_boolean(v);
    case FT_ARRAY:
        return json_is_array(v);
    case FT_OBJECT:
        return json_is_object(v);
    case FT_NUMBER:
        return json_is_number(v);
    }
    return 0;
}

static void http_check_range(const json_t *v, const struct field_rule *r, const char *field,
                             json_t *errors)
{
    long long n;
    const char *unit;
    switch (r->type) {
    case FT_STRING:
        n = (long long)utf8_length(json_string_value(v));
        unit = "characters";
        break;
    case FT_INT:
        n = json_integer_value(v);
        if (n < r->min || n > r->max)
            http_field_error(errors, field, "out_of_range", "must be between %lld and %lld", r->min,
                             r->max);
        return;
    case FT_ARRAY:
        n = (long long)json_array_size(v);
        unit = "items";
        break;
    default:
        return;
    }
    if (n < r->min)
        http_field_error(errors, field, "too_short", "must have at least %lld %s", r->min, unit);
    else if (n > r->max)
        http_field_error(errors, field, "too_long", "must have at most %lld %s", r->max, unit);
}

void http_check_fields(const json_t *obj, const struct field_rule *rules, const char *prefix,
                       json_t *errors)
{
    const char *key;
    json_t *v;
    char field[160];
    json_object_foreach((json_t *)obj, key, v)
    {
        const struct field_rule *r = rules;
        while (r->name && strcmp(r->name, key) != 0)
            r++;
        snprintf(field, sizeof field, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
        if (!r->name) {
            http_field_error(errors, field, "unknown_field", "is not a known field");
            continue;
        }
        if (json_is_null(v) && !r->required)
            continue;
        if (!http_type_ok(v, r->type)) {
            http_field_error(errors, field, "wrong_type", "must be %s", http_type_name(r->type));
            continue;
        }
        http_check_range(v, r, field, errors);
    }
    for (const struct field_rule *r = rules; r->name; r++) {
        v = json_object_get(obj, r->name);
        if (r->required && (!v || json_is_null(v))) {
            snprintf(field, sizeof field, "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
                     r->name);
            http_field_error(errors, field, "required", "is required");
        }
    }
}

const char *http_query(struct http_ctx *ctx, const char *name)
{
    return uri_param(&ctx->uri, name);
}

int http_check_query(struct http_ctx *ctx, const char *const *allowed, json_t *errors)
{
    int bad = 0;
    for (int i = 0; i < ctx->uri.nparams; i++) {
        const char *name = ctx->uri.params[i].name;
        const char *const *a = allowed;
        while (*a && strcmp(*a, name) != 0)
            a++;
        if (!*a) {
            http_field_error(errors, name, "unknown_parameter", "is not a known parameter");
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

int64_t http_query_int(struct http_ctx *ctx, const char *name, int64_t def, int64_t min,
                       int64_t max, json_t *errors)
{
    const char *s = http_query(ctx, name);
    char *end;
    if (!s)
        return def;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    /* digits only: strtoll would also take spaces, a sign and a value past int64 (clamped) */
    if (errno || end == s || *end || s[0] < '0' || s[0] > '9' || v < min || v > max) {
        http_field_error(errors, name, "out_of_range", "must be an integer from %lld to %lld",
                         (long long)min, (long long)max);
        return def;
    }
    return v;
}

int http_query_limit(struct http_ctx *ctx, int def, int max, json_t *errors)
{
    return (int)http_query_int(ctx, "limit", def, 1, max, errors);
}

const char *http_query_date(struct http_ctx *ctx, const char *name, json_t *errors)
{
    const char *s = http_query(ctx, name);
    struct tm tm = {0};
    char back[16];
    if (!s)
        return NULL;
    if (strlen(s) == 10 && s[4] == '-' && s[7] == '-' && strspn(s, "0123456789-") == 10 &&
        sscanf(s, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) == 3) {
        tm.tm_year -= 1900;
        tm.tm_mon -= 1;
        time_t t = timegm(&tm);
        struct tm norm;
        gmtime_r(&t, &norm);
        strftime(back, sizeof back, "%Y-%m-%d", &norm);
        if (strcmp(back, s) == 0) /* a real day: not 2026-02-30 */
            return s;
    }
    http_field_error(errors, name, "invalid_format", "must be a date YYYY-MM-DD");
    return "";
}

const char *http_query_id(struct http_ctx *ctx, const char *name, json_t *errors)
{
    const char *s = http_query(ctx, name);
    if (!s)
        return NULL;
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18 || s[0] == '0') {
        http_field_error(errors, name, "invalid_format", "must be a positive integer");
        return NULL;
    }
    return s;
}

int http_query_bool(struct http_ctx *ctx, const char *name, json_t *errors)
{
    const char *v = http_query(ctx, name);
    if (!v)
        return -1;
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
        return strcmp(v, "true") == 0;
    http_field_error(errors, name, "invalid_enum", "must be true or false");
    return -1;
}

void http_check_file_ids(const json_t *ids, const char *field, int duplicates, json_t *errors)
{
    const json_t *v;
    size_t i, k;
    json_array_foreach(ids, i, v)
    {
        char name[64];
        snprintf(name, sizeof name, "%s[%zu]", field, i);
        if (!json_is_integer(v) || json_integer_value(v) <= 0) {
            http_field_error(errors, name, "wrong_type", "must be a file id");
            continue;
        }
        for (k = 0; duplicates && k < i; k++)
            if (json_equal(v, json_array_get(ids, k)))
                http_field_error(errors, name, "duplicate", "is listed twice");
    }
}

char *http_id_list(json_t *ids, const char *field, json_t *errors)
{
    size_t i;
    json_t *id;
    if (!json_is_array(ids))
        return NULL; /* http_check_fields reported it */
    json_array_foreach(ids, i, id)
    {
        if (!json_is_integer(id) || json_integer_value(id) <= 0) {
            http_field_error(errors, field, "wrong_type", "must hold positive integers");
            return NULL;
        }
        for (size_t k = 0; k < i; k++)
            if (json_integer_value(json_array_get(ids, k)) == json_integer_value(id)) {
                http_field_error(errors, field, "duplicate", "holds %lld twice",
                                 (long long)json_integer_value(id));
                return NULL;
            }
    }
    return db_id_array(ids);
}

int64_t http_query_cursor(struct http_ctx *ctx, const char *scope, json_t *errors)
{
    const char *s = http_query(ctx, "cursor");
    int64_t id = 0;
    if (!s || !*s)
        return 0;
    if (cursor_decode(scope, s, &id) != 0) {
        http_field_error(errors, "cursor", "invalid_cursor",
                         "is not a cursor returned by this list");
        return 0;
    }
    return id;
}

const char *http_path_param(struct http_ctx *ctx, const char *name)
{
    return routes_path_param(ctx->route_index, &ctx->uri, name);
}

int64_t http_path_id(struct http_ctx *ctx, const char *name)
{
    const char *s = http_path_param(ctx, name);
    char *end;
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
        return -1;
    long long v = strtoll(s, &end, 10);
    return v > 0 ? v : -1;
}

/* The members after "items", as ',"next_cursor":...}'; malloc'd. A plain page's tail is
 * written by hand, with text members before the cursor when there are any: a cursor is
 * base64url and needs no escaping, and printing it through jansson cost a history page 8 000
 * instructions and 17 allocations (bench/README.md, "The request path, a profile", proposal
 * 4); a chat list's total through jansson, 7 900 and 8 (thirteenth step). */
static char *http_page_tail(int has_more, int64_t last_id, const char *scope, const char *text,
                            json_t *members)
{
    char cur[CURSOR_MAX_LEN];
    if (has_more)
        cursor_encode(scope, last_id, cur);
    if (!members) {
        size_t nm = strlen(text), n = has_more ? strlen(cur) : 0;
        char *t = malloc(nm + n + 24);
        if (!t)
            return NULL;
        memcpy(t, text, nm);
        if (has_more)
            sprintf(t + nm, ",\"next_cursor\":\"%s\"}", cur);
        else
            memcpy(t + nm, ",\"next_cursor\":null}", 21);
        return t;
    }
    if (has_more) /* (a list with a cursor of its own kind passes it in members) */
        json_object_set_new(members, "next_cursor", json_string(cur));
    else if (!json_object_get(members, "next_cursor"))
        json_object_set_new(members, "next_cursor", json_null());
    char *t = json_dumps(members, JSON_COMPACT);
    json_decref(members);
    if (t)
        t[0] = ','; /* the object's '{' becomes the comma after the items */
    return t;
}

/* {"items":<the rows as PostgreSQL wrote them>,<the other members>}, in one buffer that
 * becomes the answer as it is */
static int http_page_of(struct http_ctx *ctx, char *items, char *tail)
{
    size_t ni = strlen(items), nt = tail ? strlen(tail) : 0;
    char *body = tail ? malloc(ni + nt + 16) : NULL;
    int rc;
    if (!body) {
        rc = http_store_error(ctx, SD_ERR_INTERNAL);
    } else {
        memcpy(body, "{\"items\":", 9);
        memcpy(body + 9, items, ni);
        memcpy(body + 9 + ni, tail, nt + 1);
        rc = http_json_owned(ctx, 200, body, 9 + ni + nt);
    }
    free(tail);
    free(items);
    return rc;
}

int http_page(struct http_ctx *ctx, char *items, int has_more, int64_t last_id, const char *scope)
{
    return http_page_of(ctx, items, http_page_tail(has_more, last_id, scope, "", NULL));
}

int http_page_with(struct http_ctx *ctx, char *items, int has_more, int64_t last_id,
                   const char *scope, json_t *members)
{
    return http_page_of(ctx, items, http_page_tail(has_more, last_id, scope, "", members));
}

int http_page_text(struct http_ctx *ctx, char *items, int has_more, int64_t last_id,
                   const char *scope, const char *members)
{
    return http_page_of(ctx, items, http_page_tail(has_more, last_id, scope, members, NULL));
}

int http_rate_limited(struct http_ctx *ctx, int retry_after_s, const char *detail)
{
    char ra[24];
    int rc = http_problem(ctx, SD_ERR_RATE_LIMITED, NULL, "%s", detail);
    snprintf(ra, sizeof ra, "%d", retry_after_s > 0 ? retry_after_s : 1);
    http_set_header(ctx, "Retry-After", ra);
    return rc;
}

void http_client_address(struct http_ctx *ctx, char *out, size_t len)
{
    const struct sockaddr *sa = ctx->req->client_address;
    snprintf(out, len, "unknown");
    if (!sa)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    /* Ulfius copies only sizeof(struct sockaddr) bytes, too few for an IPv6 address; the
     * server listens on IPv4 only, so this is not reached in practice */
    else if (sa->sa_family == AF_INET6)
        snprintf(out, len, "ipv6");
}
