#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../src/event_hub.h"
#include "../src/metrics.h"
#include "../src/principal_cache.h"
#include "../src/token_cache.h"
#include "handlers.h"
#include "http.h"
#include "loop.h"
#include "routes.h"
#include "work.h"

/* openapi.yaml, linked into the binary by the Makefile (ld -r -b binary) */
extern const char _binary_openapi_yaml_start[];
extern const char _binary_openapi_yaml_end[];

DB_STMT(ops_q_ping, "SELECT 1");

HANDLER(ops_healthz)
{
    (void)req;
    (void)app;
    return http_json_text(http_ctx_of(resp), 200, "{\"status\":\"ok\"}");
}

HANDLER(ops_readyz)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct sd_app *a = app;
    struct db_conn *conn;
    sd_err e = SD_OK;
    PGresult *r;
    (void)req;
    if (atomic_load(&a->draining))
        return http_problem(ctx, SD_ERR_UNAVAILABLE, "shutting_down", "The server is stopping.");
    if (!(conn = http_conn(ctx)))
        return U_CALLBACK_COMPLETE;
    if (!(r = db_exec(conn, &ops_q_ping, 0, NULL, &e)))
        return http_problem(ctx, SD_ERR_UNAVAILABLE, NULL, "The database is unreachable.");
    PQclear(r);
    return http_json_text(ctx, 200, "{\"status\":\"ready\"}");
}

HANDLER(ops_metrics)
{
    struct http_ctx *ctx = http_ctx_of(resp);
    struct sd_app *a = app;
    struct db_pool_stats ps;
    (void)req;
    db_pool_get_stats(a->pool, &ps);
    char *text = metrics_render(a->metrics, routes_label, routes_method, &ps);
    uint64_t hits, misses, forgotten;
    int on;
    uint64_t token_hits, token_misses;
    struct event_hub_stats hub;
    principal_cache_stats(&hits, &misses, &forgotten, &on);
    token_cache_stats(&token_hits, &token_misses);
    event_hub_get_stats(&hub);
    char extra[8192];
    snprintf(extra, sizeof extra,
             "# HELP sellerdesk_principal_cache_total Accounts of authenticated requests: from "
             "the process's cache (hit), read from the database (miss), forgotten on a change.\n"
             "# TYPE sellerdesk_principal_cache_total counter\n"
             "sellerdesk_principal_cache_total{result=\"hit\"} %llu\n"
             "sellerdesk_principal_cache_total{result=\"miss\"} %llu\n"
             "sellerdesk_principal_cache_total{result=\"forgotten\"} %llu\n"
             "# HELP sellerdesk_principal_cache_on 1 while the change listener is connected.\n"
             "# TYPE sellerdesk_principal_cache_on gauge\n"
             "sellerdesk_principal_cache_on %d\n"
             "# HELP sellerdesk_token_cache_total Access tokens of requests: verified before "
             "(hit), verified in full (miss).\n"
             "# TYPE sellerdesk_token_cache_total counter\n"
             "sellerdesk_token_cache_total{result=\"hit\"} %llu\n"
             "sellerdesk_token_cache_total{result=\"miss\"} %llu\n"
             "# HELP sellerdesk_event_streams Live event streams open now.\n"
             "# TYPE sellerdesk_event_streams gauge\n"
             "sellerdesk_event_streams %d\n"
             "# HELP sellerdesk_event_streams_dropped_total Streams closed because their client "
             "stopped reading with a full buffer.\n"
             "# TYPE sellerdesk_event_streams_dropped_total counter\n"
             "sellerdesk_event_streams_dropped_total %llu\n"
             "# HELP sellerdesk_event_stream_events_total Events sent to streams.\n"
             "# TYPE sellerdesk_event_stream_events_total counter\n"
             "sellerdesk_event_stream_events_total %llu\n"
             "# HELP sellerdesk_event_hub_reads_total Reads of an account's new events, each for "
             "all of its streams.\n"
             "# TYPE sellerdesk_event_hub_reads_total counter\n"
             "sellerdesk_event_hub_reads_total %llu\n"
             "# HELP sellerdesk_event_hub_listening 1 while the event listener is connected.\n"
             "# TYPE sellerdesk_event_hub_listening gauge\n"
             "sellerdesk_event_hub_listening %d\n",
             (unsigned long long)hits, (unsigned long long)misses, (unsigned long long)forgotten,
             on, (unsigned long long)token_hits, (unsigned long long)token_misses, hub.streams,
             (unsigned long long)hub.dropped, (unsigned long long)hub.delivered,
             (unsigned long long)hub.reads, hub.listening);
    if (a->npipes) {
        struct db_pipe_stats s = {0};
        size_t used = strlen(extra);
        for (int i = 0; i < a->npipes; i++)
            db_pipe_add_stats(a->pipes[i], &s);
        snprintf(extra + used, sizeof extra - used,
                 "# HELP sellerdesk_db_pipe_connections The statement pipe's connections: all, "
                 "and those ready now.\n"
                 "# TYPE sellerdesk_db_pipe_connections gauge\n"
                 "sellerdesk_db_pipe_connections{state=\"all\"} %d\n"
                 "sellerdesk_db_pipe_connections{state=\"ready\"} %d\n"
                 "# HELP sellerdesk_db_pipe_outstanding Reads submitted to the pipe and not yet "
                 "answered.\n"
                 "# TYPE sellerdesk_db_pipe_outstanding gauge\n"
                 "sellerdesk_db_pipe_outstanding %d\n"
                 "# HELP sellerdesk_db_pipe_statements_total Reads answered by the pipe.\n"
                 "# TYPE sellerdesk_db_pipe_statements_total counter\n"
                 "sellerdesk_db_pipe_statements_total %" PRIu64 "\n"
                 "# HELP sellerdesk_db_pipe_batches_total Sends of the pipe, each carrying the "
                 "reads that arrived together.\n"
                 "# TYPE sellerdesk_db_pipe_batches_total counter\n"
                 "sellerdesk_db_pipe_batches_total %" PRIu64 "\n"
                 "# HELP sellerdesk_db_pipe_retried_total Reads sent again after a lost "
                 "connection or another statement's error.\n"
                 "# TYPE sellerdesk_db_pipe_retried_total counter\n"
                 "sellerdesk_db_pipe_retried_total %" PRIu64 "\n"
                 "# HELP sellerdesk_db_pipe_unavailable_total Reads answered 503: queue full, no "
                 "connection, lost twice, timed out.\n"
                 "# TYPE sellerdesk_db_pipe_unavailable_total counter\n"
                 "sellerdesk_db_pipe_unavailable_total %" PRIu64 "\n"
                 "# HELP sellerdesk_db_pipe_reconnects_total Pipe connections made again.\n"
                 "# TYPE sellerdesk_db_pipe_reconnects_total counter\n"
                 "sellerdesk_db_pipe_reconnects_total %" PRIu64 "\n",
                 s.conns, s.live, s.outstanding, s.statements, s.batches, s.retried, s.refused,
                 s.reconnects);
    }
    if (a->loops) {
        int fewest, most;
        size_t used = strlen(extra);
        loop_connections(a->loops, &fewest, &most);
        snprintf(extra + used, sizeof extra - used,
                 "# HELP sellerdesk_http_thread_connections Open connections of the HTTP thread "
                 "serving the fewest and of the one serving the most.\n"
                 "# TYPE sellerdesk_http_thread_connections gauge\n"
                 "sellerdesk_http_thread_connections{thread=\"fewest\"} %d\n"
                 "sellerdesk_http_thread_connections{thread=\"most\"} %d\n",
                 fewest, most);
        int queued = 0, running = 0;
        unsigned long long expired = 0;
        if (a->work)
            work_counts(a->work, &queued, &running, &expired);
        used = strlen(extra);
        snprintf(extra + used, sizeof extra - used,
                 "# HELP sellerdesk_http_workers Requests that run on the pool: waiting for a "
                 "worker, and running on one.\n"
                 "# TYPE sellerdesk_http_workers gauge\n"
                 "sellerdesk_http_workers{state=\"waiting\"} %d\n"
                 "sellerdesk_http_workers{state=\"running\"} %d\n"
                 "# HELP sellerdesk_http_workers_timeouts_total Requests that waited for a worker "
                 "as long as one may wait for a pool connection (answered 503).\n"
                 "# TYPE sellerdesk_http_workers_timeouts_total counter\n"
                 "sellerdesk_http_workers_timeouts_total %llu\n",
                 queued, running, expired);
        uint64_t counts[LOOP_WORK_BUCKETS + 1], sum_us, cum = 0;
        const uint64_t *le = loop_work_bounds_us();
        loop_work(a->loops, counts, &sum_us);
        used = strlen(extra);
        snprintf(extra + used, sizeof extra - used,
                 "# HELP sellerdesk_http_loop_work_seconds Stretches of an HTTP thread's work "
                 "between its waits: long ones hold its connections.\n"
                 "# TYPE sellerdesk_http_loop_work_seconds histogram\n");
        for (int b = 0; b <= LOOP_WORK_BUCKETS; b++) {
            cum += counts[b];
            used = strlen(extra);
            if (b < LOOP_WORK_BUCKETS)
                snprintf(extra + used, sizeof extra - used,
                         "sellerdesk_http_loop_work_seconds_bucket{le=\"%g\"} %" PRIu64 "\n",
                         (double)le[b] / 1e6, cum);
            else
                snprintf(extra + used, sizeof extra - used,
                         "sellerdesk_http_loop_work_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
                         "sellerdesk_http_loop_work_seconds_sum %.6f\n"
                         "sellerdesk_http_loop_work_seconds_count %" PRIu64 "\n",
                         cum, (double)sum_us / 1e6, cum);
        }
    }
    size_t n = text ? strlen(text) : 0;
    char *all = malloc(n + strlen(extra) + 1);
    if (all) {
        memcpy(all, text ? text : "", n);
        strcpy(all + n, extra);
        free(text);
        text = all;
    }
    ulfius_set_string_body_response(resp, 200, text);
    http_set_header(ctx, "Content-Type", "text/plain; version=0.0.4");
    free(text);
    ctx->answered = 1;
    return U_CALLBACK_COMPLETE;
}

HANDLER(ops_openapi)
{
    (void)req;
    (void)app;
    return http_static(http_ctx_of(resp), 200, "application/yaml", _binary_openapi_yaml_start,
                       (size_t)(_binary_openapi_yaml_end - _binary_openapi_yaml_start));
}
