#include "webhook_delivery.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sys/socket.h>

#include "delivery.h"
#include "log.h"
#include "webhook_url.h"

/* a lease outlives the longest attempt (timeout_ms) by this much */
#define WEBHOOK_LEASE_MARGIN_S 30
/* an idle wait for curl never lasts longer than this, so a stop is seen promptly */
#define WEBHOOK_POLL_MS 100
/* after a stop, in-flight requests get their timeout plus this, then are abandoned */
#define WEBHOOK_STOP_GRACE_MS 2000

/* Due deliveries of endpoints below their cap ($3) of requests in flight. In flight is counted
 * from the leases of every process (pending, locked_until in the future), so the cap holds
 * across processes; two claims at the same instant may each take an endpoint's last free
 * slot (each process always sees its own leases, so never more than $3 from one process).
 * The lease's row conditions are checked again on the locked row, so a delivery another
 * process has just claimed is skipped. The CTEs are MATERIALIZED so each is computed once
 * whatever the planner guesses: right after a bulk of events, before autoanalyze, a nested
 * loop over the window rescanned it per row and the claim hit the statement timeout (bench,
 * 5 000 due deliveries). The window reads every due delivery: ~7 ms a claim at that
 * backlog. The body is the feed item of GET /v1/events built by
 * the same expression from the same row; a ping has no event and is described in the
 * contract. */
DB_STMT(
    webhook_q_claim,
    "WITH busy AS MATERIALIZED ("
    "   SELECT webhook_id, count(*) AS n FROM webhook_deliveries"
    "    WHERE status = 'pending' AND locked_until > now() GROUP BY webhook_id),"
    " due AS MATERIALIZED ("
    "   SELECT id, next_attempt_at FROM ("
    "     SELECT d.id, d.next_attempt_at, coalesce(b.n, 0)"
    "            + row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.id)"
    "            AS slot"
    "       FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id"
    "       LEFT JOIN busy b ON b.webhook_id = d.webhook_id"
    "      WHERE d.status = 'pending' AND d.next_attempt_at <= now()"
    "        AND (d.locked_until IS NULL OR d.locked_until < now())"
    "        AND w.status <> 'disabled') x"
    "   WHERE slot <= $3::int),"
    " c AS (SELECT d.id FROM due JOIN webhook_deliveries d ON d.id = due.id"
    "        WHERE d.status = 'pending' AND (d.locked_until IS NULL OR d.locked_until < now())"
    "        ORDER BY due.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED)"
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

/* The endpoints of the outcomes recorded together locked first, in id order: two processes
 * recording outcomes that share endpoints, or a PATCH re-enabling one (endpoint, then its
 * deliveries), then wait for each other instead of deadlocking (which made whole groups of
 * outcomes roll back and go out twice). */
DB_STMT(webhook_q_lock_endpoints, "SELECT 1 FROM webhooks WHERE id = ANY ($1::bigint[])"
                                  " ORDER BY id FOR NO KEY UPDATE");

struct webhook_send {
    CURL *easy;
    struct curl_slist *headers;
    char id[24], webhook_id[24];
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
    /* copied: the claim's result is freed once its requests are under way */
    snprintf(s->id, sizeof s->id, "%s", PQgetvalue(r, row, 0));
    s->attempts = atoi(PQgetvalue(r, row, 1));
    snprintf(s->webhook_id, sizeof s->webhook_id, "%s", PQgetvalue(r, row, 2));
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

/* The outcome in our own words: nothing the receiver sent but its status code is kept. */
static const char *webhook_outcome(const struct webhook_send *s, int timeout_ms, char *err,
                                   size_t len)
{
    err[0] = '\0';
    /* a refused address counts only when nothing else was reached: curl tries a host's other
     * addresses, and a request that got its answer from a public one was delivered */
    if (s->refused && s->rc != CURLE_OK) {
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
                       s->rc == CURLE_OK ? db_i64(code, s->status) : NULL,
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

static sd_err webhook_lock_endpoints(struct db_conn *conn, struct webhook_send **done, int n)
{
    size_t cap = (size_t)n * 24 + 3, used = 0;
    char *ids = malloc(cap);
    sd_err e = SD_OK;
    if (!ids)
        return SD_ERR_INTERNAL;
    ids[used++] = '{';
    for (int i = 0; i < n; i++)
        used += (size_t)snprintf(ids + used, cap - used, "%s%s", i ? "," : "", done[i]->webhook_id);
    snprintf(ids + used, cap - used, "}");
    const char *p[] = {ids};
    PGresult *r = db_exec(conn, &webhook_q_lock_endpoints, 1, p, &e);
    PQclear(r);
    free(ids);
    return r ? SD_OK : e;
}

/* The requests of one process in flight: slots[i].easy is NULL when slot i is free. */
struct webhook_pipe {
    CURLM *multi;
    struct webhook_send *slots;
    struct webhook_send **done; /* finished, waiting to be recorded */
    int nslots, inflight;
};

static long long webhook_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void webhook_release(struct webhook_pipe *p, struct webhook_send *s)
{
    curl_multi_remove_handle(p->multi, s->easy);
    curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->headers);
    memset(s, 0, sizeof *s);
    p->inflight--;
}

/* Claims up to the free slots' worth of due deliveries and puts them under way; the claim is
 * one statement, committed on its own, so the lease is held before anything is sent. Returns
 * how many were claimed, -1 on a database error. */
static int webhook_claim(struct db_conn *conn, struct webhook_pipe *p,
                         const struct webhook_delivery_config *cfg)
{
    char lim[24], lease[24], per[24];
    sd_err e = SD_OK;
    const char *params[] = {db_i64(lim, p->nslots - p->inflight),
                            db_i64(lease, cfg->timeout_ms / 1000 + WEBHOOK_LEASE_MARGIN_S),
                            db_i64(per, cfg->per_endpoint)};
    PGresult *r = db_exec(conn, &webhook_q_claim, 3, params, &e);
    if (!r)
        return -1;
    int n = PQntuples(r), slot = 0;
    for (int i = 0; i < n; i++) {
        while (p->slots[slot].easy)
            slot++; /* the statement's LIMIT is the number of free slots: one is left */
        webhook_prepare(&p->slots[slot], r, i, cfg);
        if (!p->slots[slot].easy) { /* out of memory: sent again after its lease */
            curl_slist_free_all(p->slots[slot].headers);
            memset(&p->slots[slot], 0, sizeof p->slots[slot]);
            continue;
        }
        curl_multi_add_handle(p->multi, p->slots[slot].easy);
        p->inflight++;
    }
    PQclear(r);
    return n;
}

/* The outcomes that finished together, in one transaction (a commit each cost more than the
 * sending: bench/README.md, webhooks); requests still in flight are not waited for. If the
 * transaction fails none of these is recorded, and each goes again once its lease has run
 * out. The slots are freed either way. */
static sd_err webhook_record_done(struct db_conn *conn, struct webhook_pipe *p, int n,
                                  const struct webhook_delivery_config *cfg)
{
    int failed = db_begin(conn) != SD_OK || webhook_lock_endpoints(conn, p->done, n) != SD_OK;
    for (int i = 0; i < n && !failed; i++)
        failed = webhook_record(conn, p->done[i], cfg) != SD_OK;
    if (failed || db_commit(conn) != SD_OK) {
        db_rollback(conn);
        failed = 1;
    }
    for (int i = 0; i < n; i++)
        webhook_release(p, p->done[i]);
    return failed ? SD_ERR_INTERNAL : SD_OK;
}

/* Moves the requests curl finished to p->done; returns how many. */
static int webhook_collect(struct webhook_pipe *p)
{
    int left = 0, n = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(p->multi, &left))) {
        struct webhook_send *s = NULL;
        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        s->rc = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &s->status);
        p->done[n++] = s;
    }
    return n;
}

/* The pipeline: as soon as requests finish their outcomes are recorded and their slots refilled
 * by a new claim, so a slow receiver holds only its own slots (at most per_endpoint of them)
 * and never the others' deliveries. Runs while anything is in flight; returns when idle (the
 * periodic job then waits its interval), on a stop (in-flight requests get their timeout, then
 * are abandoned: their leases run out) or on a database error (in-flight requests are
 * abandoned alike, and the job reconnects). */
int webhook_delivery_run(struct db_conn *conn, struct webhook_delivery_config *cfg)
{
    struct webhook_pipe p = {curl_multi_init(), calloc((size_t)cfg->concurrency, sizeof *p.slots),
                             calloc((size_t)cfg->concurrency, sizeof *p.done), cfg->concurrency, 0};
    int total = 0, claim = 1, failed = !p.multi || !p.slots || !p.done;
    long long last_claim = 0, stop_at = 0;
    while (!failed) {
        const int stopping = atomic_load(&cfg->stop);
        if (stopping && !stop_at)
            stop_at = webhook_now_ms() + cfg->timeout_ms + WEBHOOK_STOP_GRACE_MS;
        /* refill when a slot was freed, and look for new work every interval while busy */
        if (!stopping && p.inflight < p.nslots &&
            (claim || webhook_now_ms() - last_claim >= cfg->interval_ms)) {
            int n = webhook_claim(conn, &p, cfg);
            if (n < 0) {
                failed = 1;
                break;
            }
            total += n;
            claim = 0;
            last_claim = webhook_now_ms();
        }
        if (!p.inflight)
            break;
        int running = 0;
        if (curl_multi_perform(p.multi, &running) != CURLM_OK) {
            failed = 1;
            break;
        }
        int n = webhook_collect(&p);
        if (n) {
            if (webhook_record_done(conn, &p, n, cfg) != SD_OK)
                failed = 1;
            claim = 1;
            continue;
        }
        if (stopping && webhook_now_ms() >= stop_at)
            break;
        curl_multi_poll(p.multi, NULL, 0, WEBHOOK_POLL_MS, NULL);
    }
    if (p.inflight)
        log_warn("webhooks: %d deliveries in flight abandoned (%s); sent again after their lease",
                 p.inflight, failed ? "database error" : "stopping");
    for (int i = 0; p.slots && i < p.nslots; i++)
        if (p.slots[i].easy)
            webhook_release(&p, &p.slots[i]);
    if (p.multi)
        curl_multi_cleanup(p.multi);
    free(p.slots);
    free(p.done);
    return failed ? -1 : total;
}

int webhook_delivery_job(struct db_conn *conn, void *cfg)
{
    webhook_delivery_run(conn, cfg);
    return 0; /* it ran until idle: the job waits its interval */
}

void webhook_delivery_stop(struct webhook_delivery_config *cfg)
{
    atomic_store(&cfg->stop, 1);
}
