#include "sse_client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

struct sse {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    CURL *curl;
    struct curl_slist *headers;
    char *url;
    char *head, *body;
    size_t head_len, body_len;
    long status;
    int head_done, ended, stop;
};

int64_t sse_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sse_append(char **buf, size_t *len, const char *data, size_t n)
{
    *buf = realloc(*buf, *len + n + 1);
    memcpy(*buf + *len, data, n);
    *len += n;
    (*buf)[*len] = '\0';
}

static size_t sse_on_header(char *ptr, size_t size, size_t n, void *userdata)
{
    struct sse *s = userdata;
    pthread_mutex_lock(&s->lock);
    sse_append(&s->head, &s->head_len, ptr, size * n);
    if (size * n == 2 && memcmp(ptr, "\r\n", 2) == 0) {
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
        s->head_done = 1;
        pthread_cond_broadcast(&s->changed);
    }
    pthread_mutex_unlock(&s->lock);
    return size * n;
}

static size_t sse_on_body(char *ptr, size_t size, size_t n, void *userdata)
{
    struct sse *s = userdata;
    pthread_mutex_lock(&s->lock);
    sse_append(&s->body, &s->body_len, ptr, size * n);
    int stop = s->stop;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return stop ? 0 : size * n;
}

/* called at least once a second, also while nothing arrives: how a test ends the transfer */
static int sse_on_progress(void *userdata, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct sse *s = userdata;
    (void)a, (void)b, (void)c, (void)d;
    pthread_mutex_lock(&s->lock);
    int stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static void *sse_run(void *arg)
{
    struct sse *s = arg;
    curl_easy_perform(s->curl);
    pthread_mutex_lock(&s->lock);
    if (!s->head_done)
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
    s->head_done = s->ended = 1;
    pthread_cond_broadcast(&s->changed);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static int sse_wait_until(struct sse *s, int64_t deadline_ms,
                          int (*done)(struct sse *, const void *), const void *arg)
{
    int ok;
    pthread_mutex_lock(&s->lock);
    while (!(ok = done(s, arg)) && sse_now_ms() < deadline_ms) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 20 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->changed, &s->lock, &until);
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static int sse_has_head(struct sse *s, const void *arg)
{
    (void)arg;
    return s->head_done;
}

static int sse_has(struct sse *s, const void *needle)
{
    return s->body && strstr(s->body, needle) != NULL;
}

static int sse_has_ended(struct sse *s, const void *arg)
{
    (void)arg;
    return s->ended;
}

struct sse *sse_open(const char *base_url, const char *path, const char *token,
                     const char *extra_header)
{
    struct sse *s = calloc(1, sizeof *s);
    char auth[2200];
    const char *base = base_url ? base_url : getenv("SD_BASE_URL");
    size_t n = strlen(base) + strlen(path) + 1;
    s->url = malloc(n);
    snprintf(s->url, n, "%s%s", base, path);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->changed, NULL);
    s->curl = curl_easy_init();
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        s->headers = curl_slist_append(s->headers, auth);
    }
    if (extra_header)
        s->headers = curl_slist_append(s->headers, extra_header);
    s->headers = curl_slist_append(s->headers, "Accept: text/event-stream");
    curl_easy_setopt(s->curl, CURLOPT_URL, s->url);
    curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, sse_on_header);
    curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
    curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, sse_on_body);
    curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(s->curl, CURLOPT_XFERINFOFUNCTION, sse_on_progress);
    curl_easy_setopt(s->curl, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
    pthread_create(&s->thread, NULL, sse_run, s);
    sse_wait_until(s, sse_now_ms() + 10000, sse_has_head, NULL);
    return s;
}

long sse_status(struct sse *s)
{
    pthread_mutex_lock(&s->lock);
    long st = s->status;
    pthread_mutex_unlock(&s->lock);
    return st;
}

char *sse_header(struct sse *s, const char *name)
{
    char *out = NULL;
    size_t n = strlen(name);
    pthread_mutex_lock(&s->lock);
    for (const char *line = s->head; line && *line;) {
        const char *end = strstr(line, "\r\n");
        if (!end)
            break;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            out = strndup(v, (size_t)(end - v));
        }
        line = end + 2;
    }
    pthread_mutex_unlock(&s->lock);
    return out;
}

int sse_wait(struct sse *s, const char *needle, int timeout_ms)
{
    return sse_wait_until(s, sse_now_ms() + timeout_ms, sse_has, needle);
}

int sse_wait_end(struct sse *s, int timeout_ms)
{
    return sse_wait_until(s, sse_now_ms() + timeout_ms, sse_has_ended, NULL);
}

char *sse_body(struct sse *s)
{
    pthread_mutex_lock(&s->lock);
    char *b = strdup(s->body ? s->body : "");
    pthread_mutex_unlock(&s->lock);
    return b;
}

void sse_close(struct sse *s)
{
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->headers);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s->url);
    free(s->head);
    free(s->body);
    free(s);
}

int sse_parse(const char *body, int64_t *ids, const char **types, const char **data, int max,
              char **copy)
{
    int count = 0;
    char *save = NULL;
    *copy = strdup(body);
    /* events are separated by a blank line; a comment or retry block has no id */
    for (char *block = *copy, *next; block && *block && count < max; block = next) {
        next = strstr(block, "\n\n");
        if (next) {
            *next = '\0';
            next += 2;
        }
        int64_t id = -1;
        const char *type = NULL, *d = NULL;
        for (char *line = strtok_r(block, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (strncmp(line, "id: ", 4) == 0)
                id = strtoll(line + 4, NULL, 10);
            else if (strncmp(line, "event: ", 7) == 0)
                type = line + 7;
            else if (strncmp(line, "data: ", 6) == 0)
                d = line + 6;
        }
        /* a bare id: (no data) moves the client's last event id and fires nothing */
        if (id >= 0 && d) {
            ids[count] = id;
            types[count] = type;
            data[count] = d;
            count++;
        }
    }
    return count;
}

long sse_request(const char *base_url, const char *method, const char *path, const char *token,
                 const char *body, char **body_out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char auth[2200], *url;
    char *answer = NULL;
    size_t answer_len = 0;
    long status = 0;
    size_t n = strlen(base_url) + strlen(path) + 1;
    url = malloc(n);
    snprintf(url, n, "%s%s", base_url, path);
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
    }
    h = curl_slist_append(h, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    FILE *f = open_memstream(&answer, &answer_len);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    fclose(f);
    if (body_out)
        *body_out = answer;
    else
        free(answer);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    free(url);
    return status;
}
