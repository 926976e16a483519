#include "client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

struct buf {
    char *data;
    size_t len;
};

static size_t collect(char *ptr, size_t size, size_t n, void *userdata)
{
    struct buf *b = userdata;
    size_t add = size * n;
    b->data = realloc(b->data, b->len + add + 1);
    memcpy(b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

static const char *base_url(void)
{
    const char *u = getenv("SD_BASE_URL");
    return u ? u : "http://127.0.0.1:8080";
}

struct api_resp *api_request(const char *method, const char *path, const char *token,
                             const char *body, const char *content_type, const char *extra_header)
{
    return api_request_bytes(method, path, token, body, body ? strlen(body) : 0,
                             content_type ? content_type : "application/json", extra_header);
}

struct api_resp *api_request_bytes(const char *method, const char *path, const char *token,
                                   const void *body, size_t len, const char *content_type,
                                   const char *extra_header)
{
    struct api_resp *r = calloc(1, sizeof *r);
    struct buf bb = {calloc(1, 1), 0}, hb = {calloc(1, 1), 0};
    struct curl_slist *h = NULL;
    char url[4096], line[4096];
    CURL *c = curl_easy_init();
    snprintf(url, sizeof url, "%s%s", base_url(), path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &bb);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &hb);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, line);
    }
    if (body) {
        /* "Content-Type:" makes curl send none rather than its form default */
        snprintf(line, sizeof line, "Content-Type:%s%s", content_type ? " " : "",
                 content_type ? content_type : "");
        h = curl_slist_append(h, line);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (extra_header)
        h = curl_slist_append(h, extra_header);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        ck_abort_msg("%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    r->body = bb.data;
    r->body_len = bb.len;
    r->headers = hb.data;
    r->json = json_loadb(r->body, r->body_len, 0, NULL);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

struct api_resp *api_get(const char *path, const char *token)
{
    return api_request("GET", path, token, NULL, NULL, NULL);
}

struct api_resp *api_post(const char *path, const char *token, const char *body)
{
    return api_request("POST", path, token, body, NULL, NULL);
}

struct api_resp *api_patch(const char *path, const char *token, const char *body)
{
    return api_request("PATCH", path, token, body, NULL, NULL);
}

struct api_resp *api_postf(const char *path, const char *token, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_t *j = json_vpack_ex(NULL, 0, fmt, ap);
    va_end(ap);
    ck_assert_msg(j != NULL, "bad json_pack format %s", fmt);
    char *body = json_dumps(j, JSON_COMPACT);
    struct api_resp *r = api_post(path, token, body);
    free(body);
    json_decref(j);
    return r;
}

void api_free(struct api_resp *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    free(r);
}

char *api_header(const struct api_resp *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = r->headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        if (!eol)
            break;
        if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            return strndup(v, (size_t)(eol - v));
        }
        p = eol + 2;
    }
    return NULL;
}

const char *api_str(const struct api_resp *r, const char *key)
{
    return json_string_value(json_object_get(r->json, key));
}

json_int_t api_int(const struct api_resp *r, const char *key)
{
    return json_integer_value(json_object_get(r->json, key));
}

const char *api_unique(const char *prefix, char *buf, size_t len)
{
    static unsigned counter;
    unsigned rnd = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&rnd, sizeof rnd, 1, f) != 1)
            rnd = 0;
        fclose(f);
    }
    snprintf(buf, len, "%s%d%u%u", prefix, (int)getpid(), ++counter, rnd % 100000);
    return buf;
}

static void api_login_into(struct api_user *u)
{
    struct api_resp *r =
        api_postf("/v1/auth/login", NULL, "{s:s, s:s}", "email", u->email, "password", u->password);
    ck_assert_status(r, 200);
    snprintf(u->token, sizeof u->token, "%s", api_str(r, "access_token"));
    snprintf(u->refresh, sizeof u->refresh, "%s", api_str(r, "refresh_token"));
    api_free(r);
}

void api_new_user(struct api_user *u, const char *role)
{
    api_new_user_named(u, role, "Test User");
}

void api_new_user_named(struct api_user *u, const char *role, const char *display_name)
{
    char local[64];
    memset(u, 0, sizeof *u);
    snprintf(u->email, sizeof u->email, "%s@test.sellerdesk.dev",
             api_unique(role, local, sizeof local));
    snprintf(u->password, sizeof u->password, "correct horse battery");
    snprintf(u->role, sizeof u->role, "%s", role);
    struct api_resp *r =
        api_postf("/v1/auth/register", NULL, "{s:s, s:s, s:s, s:s}", "email", u->email, "password",
                  u->password, "role", role, "display_name", display_name);
    ck_assert_status(r, 201);
    u->id = api_int(r, "id");
    api_free(r);
    api_login_into(u);
}

void api_demo_user(struct api_user *u, const char *email)
{
    memset(u, 0, sizeof *u);
    snprintf(u->email, sizeof u->email, "%s", email);
    snprintf(u->password, sizeof u->password, "demo-password-1");
    api_login_into(u);
    struct api_resp *r = api_get("/v1/me", u->token);
    ck_assert_status(r, 200);
    u->id = api_int(r, "id");
    snprintf(u->role, sizeof u->role, "%s", api_str(r, "role"));
    api_free(r);
}

int64_t api_make_product(const struct api_user *seller, int64_t price, int64_t stock)
{
    char offer[64];
    struct api_resp *r =
        api_postf("/v1/products", seller->token, "{s:s, s:s, s:I, s:I}", "offer_id",
                  api_unique("OF-", offer, sizeof offer), "name", "Test product", "price",
                  (json_int_t)price, "stock", (json_int_t)stock);
    ck_assert_status(r, 201);
    int64_t id = api_int(r, "id");
    api_free(r);
    return id;
}

void api_assert_problem(const struct api_resp *r, int status, const char *code, const char *file,
                        int line)
{
    char *ct = api_header(r, "Content-Type");
    ck_assert_msg(r->status == status, "%s:%d: expected HTTP %d, got %ld: %s", file, line, status,
                  r->status, r->body ? r->body : "");
    ck_assert_msg(ct && strcmp(ct, "application/problem+json") == 0,
                  "%s:%d: expected application/problem+json, got %s", file, line,
                  ct ? ct : "(none)");
    free(ct);
    ck_assert_msg(r->json != NULL, "%s:%d: problem body is not JSON: %s", file, line, r->body);
    ck_assert_msg(api_int(r, "status") == status, "%s:%d: body status %lld != %d", file, line,
                  (long long)api_int(r, "status"), status);
    ck_assert_msg(api_str(r, "code") && strcmp(api_str(r, "code"), code) == 0,
                  "%s:%d: expected code '%s', got '%s'", file, line, code,
                  api_str(r, "code") ? api_str(r, "code") : "(none)");
    ck_assert_msg(api_str(r, "request_id") && *api_str(r, "request_id"),
                  "%s:%d: problem without request_id", file, line);
    ck_assert_msg(api_str(r, "title") && api_str(r, "type") && api_str(r, "detail"),
                  "%s:%d: problem lacks type/title/detail", file, line);
}

int api_has_error(const struct api_resp *r, const char *field, const char *code)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "field")), field) == 0 &&
            strcmp(json_string_value(json_object_get(e, "code")), code) == 0)
            return 1;
    }
    return 0;
}

TCase *api_tcase(const char *name)
{
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 60);
    return tc;
}

void api_assert_field_error(const struct api_resp *r, const char *field, const char *code,
                            const char *file, int line)
{
    api_assert_problem(r, 400, "validation_failed", file, line);
    ck_assert_msg(api_has_error(r, field, code),
                  "%s:%d: expected errors[] entry {field \"%s\", code \"%s\"}, got %s", file, line,
                  field, code, r->body);
}

void api_assert_timestamp(const char *v, const char *what, const char *file, int line)
{
    ck_assert_msg(v && strlen(v) == 20 && v[4] == '-' && v[10] == 'T' && v[13] == ':' &&
                      v[19] == 'Z',
                  "%s:%d: %s: expected a YYYY-MM-DDTHH:MM:SSZ timestamp, got %s", file, line, what,
                  v ? v : "(null)");
}

const char *api_jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

json_int_t api_jint(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

char *api_repeat(const char *ch, size_t n)
{
    size_t len = strlen(ch);
    char *s = malloc(len * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, ch, len);
    s[len * n] = '\0';
    return s;
}
