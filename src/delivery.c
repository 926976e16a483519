#include "delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "log.h"

#define DELIVERY_BATCH 16

DB_STMT(delivery_q_claim,
        "SELECT d.id, d.channel, d.attempts, d.user_id, n.event, n.title, n.body, n.data::text,"
        "       sd_ts(n.created_at), u.email"
        "  FROM notification_deliveries d"
        "  JOIN notifications n ON n.id = d.notification_id JOIN users u ON u.id = d.user_id"
        " WHERE d.status = 'pending' AND d.next_attempt_at <= now()"
        " ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED");
DB_STMT(delivery_q_record,
        "UPDATE notification_deliveries SET status = $2, attempts = attempts + 1,"
        " last_error = $3, next_attempt_at = now() + make_interval(secs => $4::int),"
        " updated_at = now() WHERE id = $1");

void delivery_sign(const char *secret, const char *timestamp, const char *body, char out[80])
{
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)timestamp, strlen(timestamp));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, strlen(body));
    crypto_auth_hmacsha256_final(&st, mac);
    memcpy(out, "sha256=", 7);
    sodium_bin2hex(out + 7, 80 - 7, mac, sizeof mac);
}

int delivery_backoff(int base_s, int attempts)
{
    long s = base_s;
    for (int i = 0; i < attempts && s < 3600; i++)
        s *= 2;
    return s > 3600 ? 3600 : (int)s;
}

static size_t discard(char *p, size_t size, size_t n, void *u)
{
    (void)p;
    (void)u;
    return size * n;
}

/* 2xx sent; 4xx failed for good; 5xx, timeouts and connection errors retried. */
static enum delivery_outcome send_push(const struct delivery_config *cfg, PGresult *r, int row,
                                       char *err, size_t errlen)
{
    char ts[24], sig[80], hdr_ts[64], hdr_sig[128], hdr_id[64];
    long status = 0;
    json_t *data = json_loads(PQgetvalue(r, row, 7), 0, NULL);
    json_t *env = json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:s}", "delivery_id",
                            (json_int_t)db_get_i64(r, row, 0), "user_id",
                            (json_int_t)db_get_i64(r, row, 3), "event", PQgetvalue(r, row, 4),
                            "title", PQgetvalue(r, row, 5), "body", PQgetvalue(r, row, 6), "data",
                            data ? data : json_object(), "created_at", PQgetvalue(r, row, 8));
    char *body = json_dumps(env, JSON_COMPACT);
    json_decref(env);
    snprintf(ts, sizeof ts, "%lld", (long long)time(NULL));
    delivery_sign(cfg->push_secret ? cfg->push_secret : "", ts, body, sig);
    snprintf(hdr_ts, sizeof hdr_ts, "X-Sellerdesk-Timestamp: %s", ts);
    snprintf(hdr_sig, sizeof hdr_sig, "X-Sellerdesk-Signature: %s", sig);
    snprintf(hdr_id, sizeof hdr_id, "X-Sellerdesk-Delivery: %s", PQgetvalue(r, row, 0));
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, hdr_ts);
    h = curl_slist_append(h, hdr_sig);
    h = curl_slist_append(h, hdr_id);
    h = curl_slist_append(h, "Expect:");
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, cfg->push_url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    free(body);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "push: %s", curl_easy_strerror(rc));
        return DELIVERY_RETRY;
    }
    if (status >= 200 && status < 300)
        return DELIVERY_SENT;
    snprintf(err, errlen, "push: gateway answered %ld", status);
    return status >= 400 && status < 500 ? DELIVERY_FAILED : DELIVERY_RETRY;
}

struct mail_source {
    const char *data;
    size_t len, off;
};

static size_t mail_read(char *buf, size_t size, size_t n, void *u)
{
    struct mail_source *m = u;
    size_t k = m->len - m->off < size * n ? m->len - m->off : size * n;
    memcpy(buf, m->data + m->off, k);
    m->off += k;
    return k;
}

static enum delivery_outcome send_email(const struct delivery_config *cfg, PGresult *r, int row,
                                        char *err, size_t errlen)
{
    const char *to = PQgetvalue(r, row, 9), *title = PQgetvalue(r, row, 5);
    char subject[1024], rcpt[320], from[320];
    /* RFC 2047, so any title survives 7-bit mail headers */
    size_t tl = strlen(title) > 600 ? 600 : strlen(title);
    memcpy(subject, "=?UTF-8?B?", 10);
    sodium_bin2base64(subject + 10, sizeof subject - 12, (const unsigned char *)title, tl,
                      sodium_base64_VARIANT_ORIGINAL);
    strcat(subject, "?=");
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    snprintf(from, sizeof from, "<%s>", cfg->smtp_from ? cfg->smtp_from : "noreply@sellerdesk.dev");
    size_t cap = strlen(PQgetvalue(r, row, 6)) + strlen(subject) + 1024;
    char *msg = malloc(cap);
    int len =
        snprintf(msg, cap,
                 "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <delivery-%s@sellerdesk>\r\n"
                 "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                 "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n",
                 from, rcpt, subject, PQgetvalue(r, row, 0), PQgetvalue(r, row, 6));
    struct mail_source src = {msg, (size_t)len, 0};
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, mail_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &src);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_cleanup(c);
    curl_slist_free_all(rcpts);
    free(msg);
    if (rc == CURLE_OK)
        return DELIVERY_SENT;
    snprintf(err, errlen, "email: %s (%ld)", curl_easy_strerror(rc), code);
    /* 5xx from the relay (e.g. unknown recipient) will not get better */
    return code >= 500 && code < 600 ? DELIVERY_FAILED : DELIVERY_RETRY;
}

static sd_err record(struct db_conn *conn, const char *id, enum delivery_outcome o, int attempts,
                     const struct delivery_config *cfg, const char *err)
{
    char delay[24];
    const char *status = o == DELIVERY_SENT ? "sent" : o == DELIVERY_FAILED ? "failed" : "pending";
    if (o == DELIVERY_RETRY && attempts + 1 >= cfg->max_attempts)
        status = "failed";
    sd_err e = SD_OK;
    const char *p[] = {
        id, status, o == DELIVERY_SENT ? NULL : err,
        db_i64(delay, o == DELIVERY_RETRY ? delivery_backoff(cfg->backoff_s, attempts) : 0)};
    PGresult *r = db_exec(conn, &delivery_q_record, 4, p, &e);
    PQclear(r);
    return r ? SD_OK : e;
}

int delivery_run_once(struct db_conn *conn, const struct delivery_config *cfg)
{
    char lim[24], err[256];
    sd_err e;
    const char *p[] = {db_i64(lim, DELIVERY_BATCH)};
    if ((e = db_begin(conn)) != SD_OK)
        return -1;
    PGresult *r = db_exec(conn, &delivery_q_claim, 1, p, &e);
    if (!r) {
        db_rollback(conn);
        return -1;
    }
    int n = PQntuples(r);
    for (int i = 0; i < n && e == SD_OK; i++) {
        int push = strcmp(PQgetvalue(r, i, 1), "push") == 0;
        err[0] = '\0';
        enum delivery_outcome o =
            push ? send_push(cfg, r, i, err, sizeof err) : send_email(cfg, r, i, err, sizeof err);
        if (o != DELIVERY_SENT)
            log_warn("delivery %s (%s) not sent: %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                     err);
        e = record(conn, PQgetvalue(r, i, 0), o, atoi(PQgetvalue(r, i, 2)), cfg, err);
    }
    PQclear(r);
    if (e != SD_OK || db_commit(conn) != SD_OK) {
        db_rollback(conn);
        return -1;
    }
    return n;
}

/* a job of the periodic worker: more is due at once when the batch was full */
int delivery_job(struct db_conn *conn, void *cfg)
{
    return delivery_run_once(conn, cfg) == DELIVERY_BATCH;
}
