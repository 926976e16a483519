#include "log.h"

#include "text_out.h"
#include "utf8.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static log_level current_level = LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(log_level level)
{
    current_level = level;
}

int log_parse_level(const char *s, log_level *out)
{
    for (int i = 0; i <= LOG_ERROR; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (log_level)i;
            return 0;
        }
    }
    return -1;
}

/* The date and time to the second change once a second: formatted then, per thread (gmtime_r,
 * strftime and snprintf were half of an access-log line's cost; bench/README.md, issue 15) */
static void log_timestamp(char *buf, size_t len)
{
    static _Thread_local time_t second = -1;
    static _Thread_local char prefix[32];
    static _Thread_local size_t n;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != second) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        n = strftime(prefix, sizeof prefix, "%Y-%m-%dT%H:%M:%S", &tm);
        second = ts.tv_sec;
    }
    if (len < n + 6) {
        buf[0] = '\0';
        return;
    }
    long ms = ts.tv_nsec / 1000000;
    memcpy(buf, prefix, n);
    buf[n] = '.';
    buf[n + 1] = (char)('0' + ms / 100);
    buf[n + 2] = (char)('0' + ms / 10 % 10);
    buf[n + 3] = (char)('0' + ms % 10);
    buf[n + 4] = 'Z';
    buf[n + 5] = '\0';
}

/* A loop's access lines, written together once a turn (log_batch_begin). PIPE_BUF at most: a
 * write of that size to a pipe is never interleaved with another thread's, so lines stay whole
 * under a log collector reading stderr as a pipe. */
static _Thread_local struct {
    char buf[PIPE_BUF];
    size_t n;
    int on;
} batch;

void log_batch_begin(void)
{
    batch.on = 1;
}

void log_batch_flush(void)
{
    /* (a short write, as to a non-blocking descriptor, goes on with the rest; on an error the
     * lines are dropped: there is nowhere to say so) */
    for (size_t done = 0; done < batch.n;) {
        ssize_t w = write(STDERR_FILENO, batch.buf + done, batch.n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    batch.n = 0;
}

void log_batch_end(void)
{
    log_batch_flush();
    batch.on = 0;
}

static void log_emit(json_t *obj)
{
    /* the thread's earlier access lines first, so its lines keep their order */
    log_batch_flush();
    char *line = json_dumps(obj, JSON_COMPACT);
    if (line) {
        /* one write per line: stderr is unbuffered, and lines of concurrent requests must
         * neither interleave nor cost two system calls */
        size_t n = strlen(line);
        char *buf = realloc(line, n + 2);
        if (buf) {
            buf[n] = '\n';
            fwrite(buf, 1, n + 1, stderr);
            line = buf;
        }
        free(line);
    }
    json_decref(obj);
}

void log_msg(log_level level, const char *fmt, ...)
{
    if (level < current_level)
        return;
    char msg[2048], ts[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    log_timestamp(ts, sizeof ts);
    log_emit(json_pack("{s:s, s:s, s:s}", "ts", ts, "level", level_names[level], "msg", msg));
}

void log_security(const char *ip, const char *event, const char *fmt, ...)
{
    char msg[1024], ts[40];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    utf8_cut(msg);
    log_timestamp(ts, sizeof ts);
    /* JSON escapes whatever the client chose to send (a newline in an e-mail address forges
     * no line); the address and event come first, written by the server, so a pattern
     * anchored on them cannot match text from the client */
    json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ts", ts, "level", "warn", "security",
                             event, "ip", ip, "msg", "");
    json_t *m = json_string(msg);
    json_object_set_new(line, "msg", m ? m : json_string("(not UTF-8)"));
    log_emit(line);
}

/* The access line is written by hand into one buffer: snprintf of its format cost about 6,500
 * instructions a request, more than a third of /v1/me's own work (bench/README.md, "a
 * profile"). The line is the same: the members in the same order, tokens cut as before.
 *
 * A token (a method, an id, a route label) as the body of a JSON string, at most cap - 1
 * bytes; anything but printable ASCII becomes '?': a byte that is not valid UTF-8 must not make
 * the line invalid JSON. */
static void line_token(struct text_out *l, const char *s, size_t cap)
{
    for (size_t n = 0; s && *s && n + 1 < cap && l->p < l->end; s++, n++) {
        unsigned char c = (unsigned char)*s;
        *l->p++ = c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '?' : (char)c;
    }
}

void log_request(const struct log_access *a)
{
    char ts[40], line[512];
    /* (the members' bounds below keep a line far under 512 bytes: "}\n" always fits) */
    struct text_out l = text_out_of(line, sizeof line);
    log_timestamp(ts, sizeof ts);
    text_lit(&l, "{\"ts\":\"");
    text_str(&l, ts);
    text_lit(&l, "\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"");
    line_token(&l, a->request_id && a->request_id[0] ? a->request_id : "-", 48);
    text_lit(&l, "\",\"method\":\"");
    line_token(&l, a->method, 24);
    text_lit(&l, "\",\"route\":\"");
    line_token(&l, a->route, 128);
    text_lit(&l, "\",\"status\":");
    if (a->status > 0)
        text_uint(&l, (unsigned long long)a->status, 1);
    else
        text_lit(&l, "null");
    /* duration_ms with three decimals, as %.3f wrote it */
    double ms = a->duration_ms > 0 ? a->duration_ms : 0;
    unsigned long long thousandths = (unsigned long long)(ms * 1000.0 + 0.5);
    text_lit(&l, ",\"duration_ms\":");
    text_uint(&l, thousandths / 1000, 1);
    text_lit(&l, ".");
    text_uint(&l, thousandths % 1000, 3);
    text_lit(&l, ",\"user_id\":");
    if (a->user_id > 0)
        text_uint(&l, (unsigned long long)a->user_id, 1);
    else
        text_lit(&l, "null");
    if (a->outcome) {
        text_lit(&l, ",\"outcome\":\"");
        line_token(&l, a->outcome, 32);
        text_lit(&l, "\"");
    }
    text_lit(&l, "}\n");
    size_t n = text_len(&l, line);
    if (batch.on) {
        if (batch.n + n > sizeof batch.buf)
            log_batch_flush();
        memcpy(batch.buf + batch.n, line, n);
        batch.n += n;
        return;
    }
    /* one write(2) per line, straight to the descriptor: stderr's FILE lock, taken by every
     * request's thread, was a futex wait whenever two requests ended at once (strace: 1.4
     * futex calls per request), and the kernel already keeps one write's line whole (a pipe
     * up to PIPE_BUF, a file under its position lock) */
    if (write(STDERR_FILENO, line, n) < 0)
        return; /* nowhere to say it */
}
