#include "server.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <microhttpd.h>

#include "../src/cursor.h"
#include "../src/event_hub.h"
#include "../src/log.h"
#include "conn.h"
#include "dispatch.h"
#include "loop.h"
#include "work.h"

/* Each connection's memory for its request head (libmicrohttpd's pool, mapped). libmicrohttpd
 * zeroes all of it after every request of a kept-alive connection, so a connection that has
 * been answered once holds all of it: this is the main cost of an open connection. A head
 * that fits reaches the server's own checks, which refuse anything over HEAD_MAX_BYTES or
 * URI_MAX_BYTES with a problem document; a larger one is refused by libmicrohttpd (a request
 * line with its own plain 414 page; header fields with a problem document, see
 * dispatch_library_refused). */
#define SERVER_HEAD_POOL (64 * 1024)
/* File descriptors kept for the database pool, the delivery worker and the process itself. */
#define SERVER_FD_RESERVE 128
/* libmicrohttpd's own connection limit is above the server's (conn.c decides), by this much:
 * sockets shut down and not yet closed still count there. */
#define SERVER_MHD_SLACK(cfg) ((rlim_t)(16 * (cfg)->http_threads))

static void server_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    unsigned status = 0;
    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    /* the library's own answers to heads it cannot take; dispatch_mhd.c sends a problem instead */
    if (strstr(msg, "Failed to parse `Content-Length' header"))
        dispatch_library_refused(SD_ERR_BAD_REQUEST, "invalid_content_length",
                                 "Content-Length must be a decimal number of bytes.");
    else if (strstr(msg, "Too large value of 'Content-Length' header"))
        dispatch_library_refused(SD_ERR_TOO_LARGE, "payload_too_large",
                                 "Content-Length is larger than any body the server accepts.");
    else if (sscanf(msg, "Error processing request (HTTP response code is %u", &status) == 1 &&
             status == 431)
        dispatch_library_refused(SD_ERR_HEADERS_TOO_LARGE, "headers_too_large",
                                 "The request has more or larger header fields than the server "
                                 "accepts.");
    /* mostly a client's malformed request: worth seeing when debugging, not in every log */
    log_debug("libmicrohttpd: %s", msg);
}

/* libmicrohttpd decodes the path in place after the request line; the server reads the
 * target as it arrived (dispatch.c), so this decoding is skipped. */
static size_t server_no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

/* Raises the open-file limit to what the system allows, and fits the connection limit
 * under it. */
static void server_fit_connections(struct sd_config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    rlim_t reserve = SERVER_FD_RESERVE + (rlim_t)cfg->db_pool_size + SERVER_MHD_SLACK(cfg) +
                     (rlim_t)cfg->http_threads * (rlim_t)(cfg->db_pipe_conns + 4);
    rlim_t room = rl.rlim_cur > reserve + 16 ? rl.rlim_cur - reserve : 16;
    if ((rlim_t)cfg->max_connections > room) {
        log_warn("SELLERDESK_MAX_CONNECTIONS %d is more than the open-file limit allows (%llu); "
                 "serving at most %llu connections",
                 cfg->max_connections, (unsigned long long)rl.rlim_cur, (unsigned long long)room);
        cfg->max_connections = (int)room;
    }
    if (cfg->max_connections_per_client > cfg->max_connections)
        cfg->max_connections_per_client = cfg->max_connections;
    /* streams hold their connections: half the places always stay for ordinary requests */
    if (cfg->max_streams > cfg->max_connections / 2) {
        log_warn("SELLERDESK_MAX_STREAMS %d is more than half of the %d connections; serving at "
                 "most %d streams",
                 cfg->max_streams, cfg->max_connections, cfg->max_connections / 2);
        cfg->max_streams = cfg->max_connections / 2;
    }
}

/* SELLERDESK_HTTP_WORKERS, at most the pool's connections less those kept for the HTTP
 * threads, which take one on their own thread in two cases only (an event stream's start, its
 * authentication included; an API key on the head of a request with a body; their other pool
 * uses go to a worker, dispatch.c): one per thread, at most a quarter of the pool. With every
 * worker held by statements waiting on locks, a thread still finds a connection at once
 * rather than holding its other connections until the acquire timeout. */
static int server_workers(const struct sd_config *cfg)
{
    int kept =
        cfg->http_threads < cfg->db_pool_size / 4 ? cfg->http_threads : cfg->db_pool_size / 4;
    int most = cfg->db_pool_size - kept > 1 ? cfg->db_pool_size - kept : 1;
    return cfg->http_workers < most ? cfg->http_workers : most;
}

static void server_wait_for_drain(struct sd_app *app)
{
    struct timespec step = {0, 20 * 1000000L};
    long waited_ms = 0, limit_ms = (long)app->cfg.shutdown_grace_s * 1000;
    while (atomic_load(&app->inflight) > 0 && waited_ms < limit_ms) {
        nanosleep(&step, NULL);
        waited_ms += 20;
    }
    if (atomic_load(&app->inflight) > 0)
        log_warn("shutdown: %d requests still running after %d s", atomic_load(&app->inflight),
                 app->cfg.shutdown_grace_s);
}

int server_run(struct sd_app *app)
{
    struct sd_config *cfg = &app->cfg;
    struct sockaddr_in addr;
    sigset_t sigs;
    int sig = 0;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)cfg->port);
    if (inet_pton(AF_INET, cfg->bind_address, &addr.sin_addr) != 1) {
        log_error("SELLERDESK_BIND_ADDRESS '%s' is not an IPv4 address", cfg->bind_address);
        return -1;
    }
    cursor_set_key(cfg->cursor_secret);
    server_fit_connections(cfg);
    /* Answers and bodies above 128 KiB get their own mapping, returned to the system when
     * freed. glibc would otherwise raise this threshold after the first such block is freed,
     * and a burst of large answers held by clients that do not read them would leave the
     * memory in the heap for good. */
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);

    /* signals are taken synchronously by this thread; every other thread inherits the mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct conn_limits limits = {cfg->max_connections, cfg->max_connections_per_client,
                                 cfg->request_head_timeout_s * 1000,
                                 (int64_t)cfg->min_transfer_rate, 0};
    if (conn_start(&limits) != 0)
        return -1;
    /* Connections are multiplexed over a pool of threads with epoll, so an idle or slow
     * connection costs a little memory, not a thread; conn.c bounds how many and how long.
     * (The first item is where to listen; the loops listen through their acceptor, loop.h.) */
    struct MHD_OptionItem options[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &addr},
        {MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections + (int)SERVER_MHD_SLACK(cfg), NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, SERVER_HEAD_POOL, NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)conn_notify, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)dispatch_started, app},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)dispatch_done, app},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)server_no_unescape, NULL},
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)server_mhd_log, NULL},
        {MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, NULL},
        {MHD_OPTION_THREAD_POOL_SIZE, cfg->http_threads, NULL}, /* (the pool's only) */
        {MHD_OPTION_END, 0, NULL},
    };
    struct loop_set *loops = NULL;
    struct MHD_Daemon *d = NULL;
    if (cfg->db_pipe_conns > 0) {
        /* (each loop its own daemon, without a listening socket of its own: loop.h) */
        options[10] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
        /* (the workers first: a loop may hand a request over as soon as it serves) */
        int nworkers = server_workers(cfg);
        app->work = dispatch_workers(nworkers, cfg->db_acquire_timeout_ms);
        if (!app->work) {
            log_error("cannot start the worker threads");
            conn_stop();
            return -1;
        }
        log_info("%d workers run the requests on the pool", nworkers);
        loops = loop_start(app, &addr, options + 1);
    } else {
        d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
                                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
                             (uint16_t)cfg->port, conn_accept, NULL, dispatch_access, app,
                             MHD_OPTION_ARRAY, options, MHD_OPTION_END);
    }
    if (!d && !loops) {
        log_error("cannot listen on %s:%d (is the port in use?)", cfg->bind_address, cfg->port);
        work_stop(app->work);
        work_free(app->work);
        app->work = NULL;
        conn_stop();
        return -1;
    }
    log_info("sellerdesk listening on http://%s:%d (%d threads%s, at most %d connections, %d per "
             "client)",
             cfg->bind_address, cfg->port, cfg->http_threads,
             loops ? ", each with its statement pipe" : "", cfg->max_connections,
             cfg->max_connections_per_client);
    sigwait(&sigs, &sig);
    log_info("received %s: finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    /* From here a new request on an open connection is answered 503 with Connection: close
     * (dispatch.c), and new connections are closed as soon as they are accepted rather than
     * left to complete handshakes nobody will serve. */
    atomic_store(&app->draining, 1);
    /* libmicrohttpd's own way to stop listening (MHD_quiesce_daemon) races with its workers
     * taking the listening socket in and out of their epoll sets at their connection limits,
     * and panics: the accept policy refuses instead, closing each new connection at once. */
    conn_drain();
    /* event streams end now, not at the end of the grace: their clients reconnect elsewhere */
    event_hub_drain();
    server_wait_for_drain(app);
    if (loops) {
        /* requests still waiting for a worker, and reads still on a pipe, are answered 503
         * now: libmicrohttpd does not stop with a connection suspended, and their requests must
         * end first (a request running on a worker finishes: while the server drains, a worker
         * runs its read on the pool, not on a pipe, http_read.c) */
        work_stop(app->work); /* (returns when the requests running on workers have ended) */
        loop_stop_pipes(loops);
        server_wait_for_drain(app);
        loop_end(loops);   /* closes the idle kept-alive connections */
        app->loops = NULL; /* (no request runs any more: their threads have ended) */
        app->npipes = 0;
        work_free(app->work);
        app->work = NULL;
    } else {
        MHD_stop_daemon(d); /* closes the idle kept-alive connections */
    }
    conn_stop();
    log_info("stopped");
    return 0;
}
