#ifndef SD_LOG_H
#define SD_LOG_H

#include <stdint.h>

#include <jansson.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_set_level(log_level level);
int log_parse_level(const char *s, log_level *out);
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Authentication failures, one JSON line each: {"ts", "level":"warn", "security":event,
 * "ip", "msg"}, in that order, for fail2ban-style tools to match on "security" and "ip". */
void log_security(const char *ip, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The access log's line of one request, whatever the level, written without building a JSON
 * document: it is the one log line every request writes. user_id 0, status 0 and outcome NULL are
 * left null or out. */
struct log_access {
    const char *request_id, *method, *route, *outcome;
    int status;
    double duration_ms;
    int64_t user_id;
};
void log_request(const struct log_access *a);
/* On a thread that calls them (an HTTP loop), access lines are kept and handed on together by
 * log_batch_flush, which the thread calls before it waits (one lock of the writer's a turn,
 * below). Other lines flush the kept ones first. log_batch_end flushes and hands each line on at
 * once again. */
void log_batch_begin(void);
void log_batch_flush(void);
void log_batch_end(void);
/* While the server runs, a thread of its own writes the access lines: requests' threads copy
 * them into its buffer, and it writes them 10 ms after the first, or sooner when 128 KiB wait,
 * so a request's thread makes no write(2) for them; it does, waiting for the writer, when 256
 * KiB wait (a slow reader of stderr). Other lines are written at once, after the access lines
 * waiting. log_writer_stop writes what is left. A crash loses the access lines not yet written:
 * those of the last 10 ms, more while the writer is behind (up to 512 KiB). Without the writer
 * (the commands) every line is written at once. */
int log_writer_start(void);
void log_writer_stop(void);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
