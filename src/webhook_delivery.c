#include "webhook_delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sys/socket.h>

#include "delivery.h"
#include "log.h"
#include "webhook_url.h"

#define WEBHOOK_BATCH 32
/* a lease outlives the longest attempt (timeout_ms) by this much */
#define WEBHOOK_LEASE_MARGIN_S 30

/* The body is the feed item of GET /v1/events built by the same expression from the same row;
 * a ping has no event and is described in the contract. */
DB_STMT(
    webhook_q_claim,
    "WITH c AS (SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
    "            WHERE d.status = 'pending' AND d.next_attempt_at <= now()"
    "              AND (d.locked_until IS NULL OR d.locked_until < now())"
    "              AND w.status <> 'disabled'"
    "            ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED)"
    " UPDATE webhook_deliveries d SET locked_until = now() + make_interval(secs => $2::int)"
    "   FROM c, webhooks w WHERE d.id = c.id AND w.id = d.webhook_id"
    " RETURNING d.id, d.attempts - d.attempts_base, w.id, w.url, w.secret,"
    "   CASE WHEN w.previous_secret_expires_at > now() THEN w.previous_secret END,"
    "   CASE WHEN d.event_position IS NULL"
    "     THEN json_build_object('id', NULL, 'type', d.type, 'created_at', sd_ts(d.created_at),"
    "                            'data', json_build_object('webhook_id', d.webhook_id))::text"
    "     ELSE (SELECT json_build_object('id', e.position, 'type', e.type,"
    "                                    'created_at', sd_ts(e.created_at), 'data', e.data)::text"
    "             FROM events e WHERE e.account = d.seller_id AND e.position = d.event_position)"
    "   END");
/* $2 outcome: ok | retry | fail. Health: a success makes a failing endpoint active again; a
 * failed attempt makes it failing, and the disable_after-th in a row disables it. */
DB_STMT(webhook_q_record,
        "WITH d AS (UPDATE webhook_deliveries SET"
        "    status = CASE WHEN $2 = 'ok' THEN 'succeeded'"
        "                  WHEN $2 = 'retry' AND attempts + 1 - attempts_base < $6::int"
        "                  THEN 'pending' ELSE 'failed' END,"
        "    attempts = attempts + 1, last_status_code = $3::int, last_error = $4,"
        "    last_attempt_at = now(),"
        "    next_attempt_at = CASE WHEN $2 = 'retry'"
        "        THEN now() + make_interval(secs => $5::int) ELSE next_attempt_at END,"
        "    locked_until = NULL"
        "  WHERE id = $1 RETURNING webhook_id)"
        " UPDATE webhooks w SET"
        "    consecutive_failures = CASE WHEN $2 = 'ok' THEN 0 ELSE w.consecutive_failures + 1 END,"
        "    status = CASE WHEN w.status = 'disabled' THEN 'disabled' WHEN $2 = 'ok' THEN 'active'"
        "                  WHEN w.consecutive_failures + 1 >= $7::int THEN 'disabled'"
        "                  ELSE 'failing' END,"
        "    status_reason = CASE WHEN w.status = 'disabled' THEN w.status_reason"
        "                         WHEN $2 = 'ok' THEN NULL ELSE $4 END,"
        "    disabled_reason = CASE WHEN w.status <> 'disabled' AND $2 <> 'ok'"
        "                            AND w.consecutive_failures + 1 >= $7::int"
        "        THEN format('disabled after %s consecutive failed attempts; the last: %s',"
        "                    w.consecutive_failures + 1, $4) ELSE w.disabled_reason END,"
        "    disabled_at = CASE WHEN w.status <> 'disabled' AND $2 <> 'ok'"
        "                        AND w.consecutive_failures + 1 >= $7::int"
        "        THEN now() ELSE w.disabled_at END,"
        "    last_success_at = CASE WHEN $2 = 'ok' THEN now() ELSE w.last_success_at END,"
        "    last_failure_at = CASE WHEN $2 = 'ok' THEN w.last_failure_at ELSE now() END"
        "   FROM d WHERE w.id = d.webhook_id");

/* The batch's endpoints locked first, in id order: two processes recording batches that share
 * endpoints, or a PATCH re-enabling one (endpoint, then its deliveries), then wait for each
 * other instead of deadlocking (which made a whole batch go out twice). */
DB_STMT(webhook_q_lock_endpoints, "SELECT 1 FROM webhooks WHERE id = ANY ($1::bigint[])"
                                  " ORDER BY id FOR NO KEY UPDATE");

struct webhook_send {
    CURL *easy;
    struct curl_slist *headers;
    const char *id, *webhook_id;
    int attempts;
    int allow_private;
    int refused; /* the connection's address was not allowed */
    CURLcode rc;
    long status;
};

static size_t webhook_discard(char *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

/* The address rule at the moment of connecting: what the name resolved to now, not at
 * creation, so a name re-pointed at an internal address (DNS rebinding) gets nothing. */
static curl_socket_t webhook_open_socket(void *clientp, curlsocktype purpose,
                                         struct curl_sockaddr *addr)
{
    struct webhook_send *s = clientp;
    (void)purpose;
    if (!s->allow_private && webhook_addr_forbidden(&addr->addr)) {
        s->refused = 1;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype, addr->protocol);
}

static void webhook_prepare(struct webhook_send *s, PGresult *r, int row,
                            const struct webhook_delivery_config *cfg)
{
    char ts[24], sig[80], old[80], h_ts[64], h_id[64], h_sig[200];
    const char *body = PQgetvalue(r, row, 6);
    const char *previous = db_get_str(r, row, 5);
    s->id = PQgetvalue(r, row, 0);
    s->attempts = atoi(PQgetvalue(r, row, 1));
    s->webhook_id = PQgetvalue(r, row, 2);
    s->allow_private = cfg->allow_private;
    s->rc = CURLE_FAILED_INIT; /* until curl reports it done: a send that never ran is retried */
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    delivery_sign(PQgetvalue(r, row, 4), ts, body, sig);
    if (previous) {
        delivery_sign(previous, ts, body, old);
        snprintf(h_sig, sizeof h_sig, "X-Sellerdesk-Signature: %s, %s", sig, old);
    } else {
        snprintf(h_sig, sizeof h_sig, "X-Sellerdesk-Signature: %s", sig);
    }
    snprintf(h_ts, sizeof h_ts, "X-Sellerdesk-Timestamp: %s", ts);
    snprintf(h_id, sizeof h_id, "X-Sellerdesk-Delivery: %s", s->id);
    s->headers = curl_slist_append(NULL, "Content-Type: application/json");
    s->headers = curl_slist_append(s->headers, h_id);
    s->headers = curl_slist_append(s->headers, h_ts);
    s->headers = curl_slist_append(s->headers, h_sig);
    s->headers = curl_slist_append(s->headers, "Expect:");
    s->easy = curl_easy_init();
    CURL *c = s->easy;
    curl_easy_setopt(c, CURLOPT_URL, PQgetvalue(r, row, 3));
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    /* a proxy would be the address connected to: the rule must see the receiver's own */
    curl_easy_setopt(c, CURLOPT_PROXY, "");
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, webhook_open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, s);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sellerdesk-webhooks/1");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(c, CURLOPT_COPYPOSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, webhook_discard);
    curl_easy_setopt(c, CURLOPT_PRIVATE, s);
}

/* Sends every prepared request at once and waits for all of them. */
static void webhook_send_all(struct webhook_send *sends, int n)
{
    CURLM *m = curl_multi_init();
    int running = 0, left = 0;
    CURLMsg *msg;
    for (int i = 0; i < n; i++)
        curl_multi_add_handle(m, sends[i].easy);
    do {
        if (curl_multi_perform(m, &running) != CURLM_OK)
            break;
        if (running)
            curl_multi_poll(m, NULL, 0, 200, NULL);
    } while (running);
    while ((msg = curl_multi_info_read(m, &left))) {
        struct webhook_send *s = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        s->rc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &s->status);
    }
    for (int i = 0; i < n; i++)
        curl_multi_remove_handle(m, sends[i].easy);
    curl_multi_cleanup(m);
}

/* The outcome in our own words: nothing the receiver sent but its status code is kept. */
static const char *webhook_outcome(const struct webhook_send *s, int timeout_ms, char *err,
                                   size_t len)
{
    err[0] = '\0';
    if (s->refused) {
        snprintf(err, len, "address not allowed: the host resolved to a non-public address");
        return "fail";
    }
    if (s->rc == CURLE_OK) {
        if (s->status >= 200 && s->status < 300)
            return "ok";
        if (s->status >= 300 && s->status < 400) {
            snprintf(err, len, "redirect (HTTP %ld) not followed", s->status);
            return "fail";
        }
        snprintf(err, len, "HTTP %ld", s->status);
        return s->status >= 500 || s->status == 408 || s->status == 429 ? "retry" : "fail";
    }
    switch (s->rc) {
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(err, len, "timeout after %d ms", timeout_ms);
        break;
    case CURLE_COULDNT_CONNECT:
        snprintf(err, len, "connection refused");
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(err, len, "host name not found");
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
        snprintf(err, len, "TLS handshake failed");
        break;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        snprintf(err, len, "connection closed without an answer");
        break;
    default:
        snprintf(err, len, "network error (curl code %d)", (int)s->rc);
    }
    return "retry";
}

static sd_err webhook_record(struct db_conn *conn, const struct webhook_send *s,
                             const struct webhook_delivery_config *cfg)
{
    char err[160], code[24], delay[24], max[24], disable[24];
    const char *outcome = webhook_outcome(s, cfg->timeout_ms, err, sizeof err);
    const int ok = strcmp(outcome, "ok") == 0;
    sd_err e = SD_OK;
    const char *p[] = {s->id,
                       outcome,
                       s->rc == CURLE_OK && !s->refused ? db_i64(code, s->status) : NULL,
                       ok ? NULL : err,
                       db_i64(delay, delivery_backoff(cfg->backoff_s, s->attempts)),
                       db_i64(max, cfg->max_attempts),
                       db_i64(disable, cfg->disable_after)};
    if (!ok)
        log_warn("webhook delivery %s (endpoint %s) not delivered: %s", s->id, s->webhook_id, err);
    PGresult *r = db_exec(conn, &webhook_q_record, 7, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

static sd_err webhook_lock_endpoints(struct db_conn *conn, const struct webhook_send *sends, int n)
{
    size_t cap = (size_t)n * 24 + 3, used = 0;
    char *ids = malloc(cap);
    sd_err e = SD_OK;
    if (!ids)
        return SD_ERR_INTERNAL;
    ids[used++] = '{';
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(ids + used, cap - used, "%s%s", i ? "," : "", sends[i].webhook_id);
    snprintf(ids + used, cap - used, "}");
    const char *p[] = {ids};
    PGresult *r = db_exec(conn, &webhook_q_lock_endpoints, 1, p, &e);
    PQclear(r);
    free(ids);
    return r ? SD_OK : e;
}

int webhook_delivery_run_once(struct db_conn *conn, const struct webhook_delivery_config *cfg)
{
    char lim[24], lease[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(lim, WEBHOOK_BATCH),
                       db_i64(lease, cfg->timeout_ms / 1000 + WEBHOOK_LEASE_MARGIN_S)};
    /* one statement, committed on its own: the lease is held before anything is sent */
    PGresult *r = db_exec(conn, &webhook_q_claim, 2, p, &e);
    if (!r)
        return -1;
    int n = PQntuples(r), failed = 0;
    struct webhook_send *sends = calloc((size_t)(n ? n : 1), sizeof *sends);
    for (int i = 0; sends && i < n; i++)
        webhook_prepare(&sends[i], r, i, cfg);
    if (sends && n)
        webhook_send_all(sends, n);
    /* the batch's outcomes in one transaction, one commit (a commit each cost more than the
     * sending: bench/README.md, webhooks); if it fails, none is recorded and the whole batch is
     * sent again once its lease has run out */
    failed =
        sends && n && (db_begin(conn) != SD_OK || webhook_lock_endpoints(conn, sends, n) != SD_OK);
    for (int i = 0; sends && i < n; i++) {
        if (!failed && webhook_record(conn, &sends[i], cfg) != SD_OK)
            failed = 1;
        curl_easy_cleanup(sends[i].easy);
        curl_slist_free_all(sends[i].headers);
    }
    if (sends && n && (failed || db_commit(conn) != SD_OK)) {
        db_rollback(conn);
        failed = 1;
    }
    free(sends);
    PQclear(r);
    return failed || !sends ? -1 : n;
}

int webhook_delivery_job(struct db_conn *conn, void *cfg)
{
    return webhook_delivery_run_once(conn, cfg) == WEBHOOK_BATCH;
}
