#ifndef SD_LOG_H
#define SD_LOG_H

#include <jansson.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

void log_set_level(log_level level);
int log_parse_level(const char *s, log_level *out);
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Authentication failures, one JSON line each: {"ts", "level":"warn", "security":event,
 * "ip", "msg"}, in that order, for fail2ban-style tools to match on "security" and "ip". */
void log_security(const char *ip, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes one JSON object as one line; takes ownership of obj. */
void log_json(json_t *obj);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
