#include "log.h"

#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

void log_json(json_t *obj)
{
    char ts[40];
    if (!obj)
        return;
    log_timestamp(ts, sizeof ts);
    json_object_set_new(obj, "ts", json_string(ts));
    log_emit(obj);
}
