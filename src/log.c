#include "log.h"

#include "text_out.h"
#include "utf8.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Whole lines to stderr. A short write, as to a non-blocking descriptor, goes on with the rest;
 * on an error the lines are dropped: there is nowhere to say so. */
static void log_write_all(const char *p, size_t n)
{
    for (size_t done = 0; done < n;) {
        ssize_t w = write(STDERR_FILENO, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
}

/* The access lines' writer (log_writer_start): requests' threads copy their lines into buf and
 * the writer's thread writes them LOG_WRITER_MS after the first, or when buf is half full. One
 * write(2) was made per loop turn, about one for every two cheap reads at 16 connections: 5.7 %
 * of the server's CPU (bench/README.md, "fourteenth step").
 *
 * Whoever writes holds wmu and writes spare, the buffer it swapped out of buf under mu: the swap
 * waits for the write before it, so lines go out in the order they came in. Lock order: wmu, then
 * mu; mu is held for a swap or an append only, never across a write or a wait for wmu, so the
 * requests' threads that append never wait for a write (but when the buffer is full). */
#define LOG_WRITER_MS  10
#define LOG_WRITER_CAP (256 * 1024)
static struct {
    pthread_mutex_t wmu, mu;
    pthread_cond_t cv; /* (mu) lines came to an empty buf, buf is half full, or the stop */
    int cv_ready;      /* (initialised once a process: a signal may follow the stop) */
    char *buf;         /* (mu) the lines waiting */
    char *spare;       /* (wmu) the lines being written */
    size_t n;          /* (mu) */
    int on, stop;      /* (mu; on changes under wmu too) */
    int whole;         /* (wmu and mu at the start, then read-only) stderr is a regular file */
    pthread_t thread;
} lw = {.wmu = PTHREAD_MUTEX_INITIALIZER, .mu = PTHREAD_MUTEX_INITIALIZER};

/* (wmu) To a pipe or a socket in pieces of at most PIPE_BUF cut after a line: a write of that
 * size is never interleaved with another's, so lines stay whole under a log collector. */
static void lw_write(const char *p, size_t n)
{
    while (n > 0) {
        size_t k = n;
        if (!lw.whole && k > PIPE_BUF) {
            k = PIPE_BUF;
            while (k > 0 && p[k - 1] != '\n')
                k--;
            if (k == 0)
                k = PIPE_BUF; /* (no line is that long: log_request's are under 512 bytes) */
        }
        log_write_all(p, k);
        p += k;
        n -= k;
    }
}

/* (wmu, not mu) Writes the lines waiting, then extra (a line of another kind) after them. 0 when
 * the writer is off: nothing written. */
static int lw_write_waiting(const char *extra, size_t extra_n)
{
    pthread_mutex_lock(&lw.mu);
    if (!lw.on) {
        pthread_mutex_unlock(&lw.mu);
        return 0;
    }
    char *out = lw.buf;
    size_t n = lw.n;
    lw.buf = lw.spare;
    lw.spare = out;
    lw.n = 0;
    pthread_mutex_unlock(&lw.mu);
    lw_write(out, n);
    if (extra)
        log_write_all(extra, extra_n);
    return 1;
}

static void *lw_main(void *arg)
{
    (void)arg;
    sigset_t all; /* (the server takes its signals on its main thread: sigwait) */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&lw.mu);
    while (!lw.stop) {
        while (!lw.stop && lw.n == 0)
            pthread_cond_wait(&lw.cv, &lw.mu);
        struct timespec due;
        clock_gettime(CLOCK_MONOTONIC, &due);
        due.tv_nsec += LOG_WRITER_MS * 1000000L;
        if (due.tv_nsec >= 1000000000L) {
            due.tv_sec++;
            due.tv_nsec -= 1000000000L;
        }
        while (!lw.stop && lw.n < LOG_WRITER_CAP / 2 &&
               pthread_cond_timedwait(&lw.cv, &lw.mu, &due) != ETIMEDOUT) {
        }
        if (lw.stop)
            break;
        pthread_mutex_unlock(&lw.mu);
        pthread_mutex_lock(&lw.wmu);
        lw_write_waiting(NULL, 0);
        pthread_mutex_unlock(&lw.wmu);
        pthread_mutex_lock(&lw.mu);
    }
    pthread_mutex_unlock(&lw.mu);
    /* what is left, then off: with wmu held no other thread is writing from the buffers, and once
     * on is 0 none will (lw_write_waiting), so log_writer_stop may free them. (Lines may still
     * come from the background threads: written until none wait, without holding mu.) */
    pthread_mutex_lock(&lw.wmu);
    for (;;) {
        pthread_mutex_lock(&lw.mu);
        if (lw.n == 0) {
            lw.on = 0;
            pthread_mutex_unlock(&lw.mu);
            break;
        }
        pthread_mutex_unlock(&lw.mu);
        lw_write_waiting(NULL, 0);
    }
    pthread_mutex_unlock(&lw.wmu);
    return NULL;
}

int log_writer_start(void)
{
    struct stat st;
    int ok;
    pthread_mutex_lock(&lw.wmu);
    pthread_mutex_lock(&lw.mu);
    if (lw.on) { /* (started already) */
        pthread_mutex_unlock(&lw.mu);
        pthread_mutex_unlock(&lw.wmu);
        return -1;
    }
    if (!lw.cv_ready) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        lw.cv_ready = pthread_cond_init(&lw.cv, &ca) == 0;
        pthread_condattr_destroy(&ca);
    }
    lw.whole = fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode);
    lw.buf = malloc(LOG_WRITER_CAP);
    lw.spare = malloc(LOG_WRITER_CAP);
    lw.n = 0;
    lw.stop = 0;
    ok = lw.cv_ready && lw.buf && lw.spare && pthread_create(&lw.thread, NULL, lw_main, NULL) == 0;
    if (ok) {
        lw.on = 1; /* (the writer waits for mu: it sees it set) */
    } else {
        free(lw.buf);
        free(lw.spare);
        lw.buf = lw.spare = NULL;
    }
    pthread_mutex_unlock(&lw.mu);
    pthread_mutex_unlock(&lw.wmu);
    return ok ? 0 : -1;
}

void log_writer_stop(void)
{
    pthread_mutex_lock(&lw.mu);
    int on = lw.on;
    lw.stop = 1;
    if (on)
        pthread_cond_signal(&lw.cv);
    pthread_mutex_unlock(&lw.mu);
    if (!on)
        return;
    pthread_join(lw.thread, NULL); /* (it writes what is left and turns the writer off first) */
    pthread_mutex_lock(&lw.wmu);
    pthread_mutex_lock(&lw.mu);
    free(lw.buf);
    free(lw.spare);
    lw.buf = lw.spare = NULL;
    pthread_mutex_unlock(&lw.mu);
    pthread_mutex_unlock(&lw.wmu);
}

/* Access lines out: to the writer while it runs, else written at once. */
static void log_access_out(const char *p, size_t n)
{
    pthread_mutex_lock(&lw.mu);
    while (lw.on && lw.n + n > LOG_WRITER_CAP) {
        /* the writer is behind (a slow reader of stderr): this thread writes, waiting for the
         * write in progress, as its own write(2) would wait without the writer */
        pthread_mutex_unlock(&lw.mu);
        pthread_mutex_lock(&lw.wmu);
        lw_write_waiting(NULL, 0);
        pthread_mutex_unlock(&lw.wmu);
        pthread_mutex_lock(&lw.mu);
    }
    if (!lw.on) {
        pthread_mutex_unlock(&lw.mu);
        log_write_all(p, n);
        return;
    }
    size_t before = lw.n;
    memcpy(lw.buf + lw.n, p, n); /* (n is at most PIPE_BUF, far below the buffer) */
    lw.n += n;
    int wake = before == 0 || (before < LOG_WRITER_CAP / 2 && lw.n >= LOG_WRITER_CAP / 2);
    pthread_mutex_unlock(&lw.mu);
    if (wake)
        pthread_cond_signal(&lw.cv); /* (cv lives as long as the process: cv_ready) */
}

/* A line of another kind goes after the access lines before it: those waiting are written
 * first, and this one with them. */
static void log_line_out(const char *p, size_t n)
{
    pthread_mutex_lock(&lw.wmu);
    int written = lw_write_waiting(p, n);
    pthread_mutex_unlock(&lw.wmu);
    if (!written)
        log_write_all(p, n);
}

/* A loop's access lines, gathered over a turn (log_batch_begin) and handed on together: one
 * lock of the writer's a turn, or one write(2) without it. PIPE_BUF at most (see lw_write). */
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
    if (batch.n > 0)
        log_access_out(batch.buf, batch.n);
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
        /* the line and its newline in one write: lines of concurrent threads must not
         * interleave */
        size_t n = strlen(line);
        char *buf = realloc(line, n + 2);
        if (buf) {
            buf[n] = '\n';
            log_line_out(buf, n + 1);
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
    /* not through stderr's FILE: its lock, taken by every request's thread, was a futex wait
     * whenever two requests ended at once (strace: 1.4 futex calls per request) */
    log_access_out(line, n);
}
