#include "log.h"

#include "utf8.h"

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

static void log_timestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void log_emit(json_t *obj)
{
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

/* s as the body of a JSON string, at most cap bytes of out (NUL-terminated); anything but
 * printable ASCII becomes '?': these are tokens (methods, ids, route labels), and a byte that
 * is not valid UTF-8 must not make the line invalid JSON. */
static void log_token(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        out[n++] = c < 0x20 || c >= 0x7f || c == '"' || c == '\\' ? '?' : (char)c;
    }
    out[n] = '\0';
}

void log_request(const struct log_access *a)
{
    char ts[40], line[512], id[48], method[24], route[128], status[16], user[24], outcome[48];
    log_timestamp(ts, sizeof ts);
    log_token(id, sizeof id, a->request_id && a->request_id[0] ? a->request_id : "-");
    log_token(method, sizeof method, a->method);
    log_token(route, sizeof route, a->route);
    snprintf(status, sizeof status, a->status ? "%d" : "null", a->status);
    snprintf(user, sizeof user, a->user_id ? "%lld" : "null", (long long)a->user_id);
    outcome[0] = '\0';
    if (a->outcome) {
        char o[32];
        log_token(o, sizeof o, a->outcome);
        snprintf(outcome, sizeof outcome, ",\"outcome\":\"%s\"", o);
    }
    int n = snprintf(line, sizeof line,
                     "{\"ts\":\"%s\",\"level\":\"info\",\"msg\":\"request\",\"request_id\":\"%s\","
                     "\"method\":\"%s\",\"route\":\"%s\",\"status\":%s,\"duration_ms\":%.3f,"
                     "\"user_id\":%s%s}\n",
                     ts, id, method, route, status, a->duration_ms, user, outcome);
    /* one write(2) per line, straight to the descriptor: stderr's FILE lock, taken by every
     * request's thread, was a futex wait whenever two requests ended at once (strace: 1.4
     * futex calls per request), and the kernel already keeps one write's line whole (a pipe
     * up to PIPE_BUF, a file under its position lock) */
    if (n > 0 &&
        write(STDERR_FILENO, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
        return; /* nowhere to say it */
}
