#include "server.h"

#include <arpa/inet.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <ulfius.h>
#include <unistd.h>

#include "../src/cursor.h"
#include "../src/log.h"
#include "routes.h"

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
    struct _u_instance instance;
    struct sockaddr_in addr;
    sigset_t sigs;
    int sig = 0, rc = -1;

    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)app->cfg.port);
    if (inet_pton(AF_INET, app->cfg.bind_address, &addr.sin_addr) != 1) {
        log_error("SELLERDESK_BIND_ADDRESS '%s' is not an IPv4 address", app->cfg.bind_address);
        return -1;
    }
    if (ulfius_init_instance(&instance, (unsigned int)app->cfg.port, &addr, NULL) != U_OK) {
        log_error("cannot initialise the HTTP server");
        return -1;
    }
    /* one byte over the limit, so an oversized body is visible as such (Ulfius truncates) */
    instance.max_post_body_size =
        (app->cfg.max_upload_bytes > app->cfg.max_body_bytes ? app->cfg.max_upload_bytes
                                                             : app->cfg.max_body_bytes) +
        1;
    instance.timeout = (unsigned int)app->cfg.connection_timeout_s;
    instance.check_utf8 = 1;
    /* bodies are JSON or raw bytes; never let Ulfius parse forms into maps */
    instance.allowed_post_processor = U_POST_PROCESS_NONE;
    cursor_set_key(app->cfg.cursor_secret);

    /* signals are taken synchronously by this thread; request threads inherit the mask */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (routes_register(&instance, app) != 0) {
        log_error("cannot register the routes");
        goto cleanup;
    }
    if (ulfius_start_framework(&instance) != U_OK) {
        log_error("cannot listen on %s:%d (is the port in use?)", app->cfg.bind_address,
                  app->cfg.port);
        goto cleanup;
    }
    log_info("sellerdesk listening on http://%s:%d", app->cfg.bind_address, app->cfg.port);
    sigwait(&sigs, &sig);
    log_info("received %s: finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    atomic_store(&app->draining, 1);
    /* stop accepting; connections already open finish their requests */
    MHD_socket listener = MHD_quiesce_daemon(instance.mhd_daemon);
    server_wait_for_drain(app);
    ulfius_stop_framework(&instance);
    if (listener != MHD_INVALID_SOCKET)
        close(listener);
    log_info("stopped");
    rc = 0;
cleanup:
    ulfius_clean_instance(&instance);
    return rc;
}
