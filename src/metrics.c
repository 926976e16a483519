#include "metrics.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define NBUCKETS   (sizeof buckets / sizeof buckets[0])
#define STATUS_MIN 100
#define NSTATUS    500

struct route_metrics {
    _Atomic uint64_t by_status[NSTATUS];
    _Atomic uint64_t bucket[NBUCKETS];
    _Atomic uint64_t count;
    _Atomic uint64_t sum_us;
};

struct metrics {
    int nroutes;
    struct route_metrics *routes; /* [0] is "no route", [i + 1] is route i */
};

struct metrics *metrics_new(int nroutes)
{
    struct metrics *m = calloc(1, sizeof *m);
    m->nroutes = nroutes;
    m->routes = calloc((size_t)nroutes + 1, sizeof *m->routes);
    return m;
}

void metrics_free(struct metrics *m)
{
    if (m) {
        free(m->routes);
        free(m);
    }
}

void metrics_observe(struct metrics *m, int route_index, int status, double seconds)
{
    struct route_metrics *r = &m->routes[route_index < 0 ? 0 : route_index + 1];
    if (status >= STATUS_MIN && status < STATUS_MIN + NSTATUS)
        atomic_fetch_add(&r->by_status[status - STATUS_MIN], 1);
    for (size_t b = 0; b < NBUCKETS; b++)
        if (seconds <= buckets[b])
            atomic_fetch_add(&r->bucket[b], 1);
    atomic_fetch_add(&r->count, 1);
    atomic_fetch_add(&r->sum_us, (uint64_t)(seconds * 1e6));
}

struct buf {
    char *data;
    size_t len, cap;
};

static void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
static void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        b->cap = b->cap * 2 + (size_t)n + 64;
        b->data = realloc(b->data, b->cap);
    }
}

char *metrics_render(struct metrics *m, const char *(*label)(int), const char *(*method)(int),
                     const struct db_pool_stats *pool)
{
    struct buf b = {malloc(4096), 0, 4096};
    buf_printf(&b, "# HELP sellerdesk_http_requests_total HTTP requests by route and status.\n"
                   "# TYPE sellerdesk_http_requests_total counter\n");
    for (int i = -1; i < m->nroutes; i++) {
        struct route_metrics *r = &m->routes[i + 1];
        for (int s = 0; s < NSTATUS; s++) {
            uint64_t v = atomic_load(&r->by_status[s]);
            if (v)
                buf_printf(&b,
                           "sellerdesk_http_requests_total{method=\"%s\",route=\"%s\","
                           "status=\"%d\"} %" PRIu64 "\n",
                           method(i), label(i), s + STATUS_MIN, v);
        }
    }
    buf_printf(&b, "# HELP sellerdesk_http_request_duration_seconds Time to answer, by route.\n"
                   "# TYPE sellerdesk_http_request_duration_seconds histogram\n");
    for (int i = -1; i < m->nroutes; i++) {
        struct route_metrics *r = &m->routes[i + 1];
        uint64_t count = atomic_load(&r->count);
        if (!count)
            continue;
        for (size_t k = 0; k < NBUCKETS; k++)
            buf_printf(&b,
                       "sellerdesk_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                       "le=\"%g\"} %" PRIu64 "\n",
                       method(i), label(i), buckets[k], atomic_load(&r->bucket[k]));
        buf_printf(&b,
                   "sellerdesk_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
                   "le=\"+Inf\"} %" PRIu64 "\n"
                   "sellerdesk_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} %.6f\n"
                   "sellerdesk_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} "
                   "%" PRIu64 "\n",
                   method(i), label(i), count, method(i), label(i),
                   (double)atomic_load(&r->sum_us) / 1e6, method(i), label(i), count);
    }
    buf_printf(&b,
               "# HELP sellerdesk_db_pool_size Database connections in the pool.\n"
               "# TYPE sellerdesk_db_pool_size gauge\nsellerdesk_db_pool_size %d\n"
               "# HELP sellerdesk_db_pool_in_use Connections lent out now.\n"
               "# TYPE sellerdesk_db_pool_in_use gauge\nsellerdesk_db_pool_in_use %d\n"
               "# HELP sellerdesk_db_pool_waiting Requests waiting for a connection now.\n"
               "# TYPE sellerdesk_db_pool_waiting gauge\nsellerdesk_db_pool_waiting %d\n"
               "# HELP sellerdesk_db_pool_acquired_total Connections lent out.\n"
               "# TYPE sellerdesk_db_pool_acquired_total counter\n"
               "sellerdesk_db_pool_acquired_total %" PRIu64 "\n"
               "# HELP sellerdesk_db_pool_timeouts_total Waits that gave up (answered 503).\n"
               "# TYPE sellerdesk_db_pool_timeouts_total counter\n"
               "sellerdesk_db_pool_timeouts_total %" PRIu64 "\n"
               "# HELP sellerdesk_db_pool_broken_total Connections returned broken and reset.\n"
               "# TYPE sellerdesk_db_pool_broken_total counter\n"
               "sellerdesk_db_pool_broken_total %" PRIu64 "\n",
               pool->size, pool->in_use, pool->waiting, pool->acquired, pool->timeouts,
               pool->resets);
    return b.data;
}
