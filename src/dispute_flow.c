#include "dispute_flow.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "dispute_rules.h"
#include "log.h"
#include "notification_store.h"

#define DEADLINE_BATCH 50

long long dispute_flow_deadline(const struct sd_config *cfg, const char *state)
{
    static const struct {
        const char *state;
        size_t offset;
    } deadlines[] = {
        {"awaiting_seller", offsetof(struct sd_config, dispute_seller_s)},
        {"offered", offsetof(struct sd_config, dispute_buyer_s)},
        {"rejected", offsetof(struct sd_config, dispute_buyer_s)},
        {"awaiting_support", offsetof(struct sd_config, dispute_support_s)},
    };
    for (size_t i = 0; i < sizeof deadlines / sizeof deadlines[0]; i++)
        if (strcmp(deadlines[i].state, state) == 0)
            return *(const long long *)((const char *)cfg + deadlines[i].offset);
    return 0;
}

sd_err dispute_flow_notify(struct db_conn *conn, int64_t id, int64_t actor, const char *event,
                           const char *state)
{
    int64_t buyer = 0, seller = 0;
    char posting[40], body[160];
    sd_err e = dispute_store_parties(conn, id, &buyer, &seller, posting);
    if (e != SD_OK)
        return e;
    snprintf(body, sizeof body, "Dispute %lld on posting %s: %s.", (long long)id, posting, state);
    json_t *data = json_pack("{s:I, s:s, s:s}", "dispute_id", (json_int_t)id, "posting_number",
                             posting, "state", state);
    const char *title =
        strcmp(event, "dispute.opened") == 0 ? "A dispute was opened" : "A dispute was updated";
    /* lower account first: each notice appends an event, which locks the account's event
     * counter to commit, and every other change takes those locks in ascending order too
     * (two changes locking two accounts in opposite orders would deadlock) */
    int64_t to[2] = {buyer < seller ? buyer : seller, buyer < seller ? seller : buyer};
    for (int i = 0; i < 2 && e == SD_OK; i++)
        if (to[i] != actor)
            e = notification_store_create(conn, to[i], event, title, body, data);
    json_decref(data);
    return e;
}

sd_err dispute_flow_move(struct db_conn *conn, const struct sd_config *cfg, int64_t id,
                         struct dispute_move *m)
{
    m->deadline_s = dispute_flow_deadline(cfg, m->to);
    m->final = dispute_state_final(m->to);
    sd_err e = dispute_store_move(conn, id, m);
    if (e == SD_OK)
        e = dispute_flow_notify(conn, id, m->actor_id, "dispute.updated", m->to);
    return e;
}

sd_err dispute_flow_lapse(struct db_conn *conn, const struct sd_config *cfg, int64_t id,
                          struct dispute_locked *d)
{
    const char *to = dispute_deadline_target(d->state);
    if (!d->due || !to)
        return SD_OK;
    struct dispute_move m = {0};
    m.actor_role = "system";
    m.action = "deadline_passed";
    m.from = d->state;
    m.to = to;
    /* the buyer's silence after an offer or a rejection: nothing is refunded */
    if (dispute_state_final(to))
        m.outcome = "none";
    sd_err e = dispute_flow_move(conn, cfg, id, &m);
    if (e == SD_OK) {
        snprintf(d->state, sizeof d->state, "%s", to);
        d->due = 0;
    }
    return e;
}

/* One dispute per transaction: a transaction that moved several would lock the counters of
 * one state after those of a later one, against the order every request locks them in. A
 * dispute that fails is logged and the others still move. */
int dispute_deadlines_run(struct db_conn *conn, void *arg)
{
    const struct sd_config *cfg = arg;
    int64_t ids[DEADLINE_BATCH];
    int n = 0, moved = 0;
    sd_err e = dispute_store_due(conn, DEADLINE_BATCH, ids, &n);
    if (e != SD_OK) {
        log_warn("dispute deadlines: none moved this time (%s)", err_code(e));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        struct dispute_locked d;
        if ((e = db_begin(conn)) != SD_OK)
            return -1;
        e = dispute_store_lock_due(conn, ids[i], &d);
        if (e == SD_OK)
            e = dispute_flow_lapse(conn, cfg, ids[i], &d);
        if (e == SD_OK && (e = db_commit(conn)) == SD_OK) {
            moved++;
            continue;
        }
        db_rollback(conn);
        /* moved or taken by someone else meanwhile: nothing to say */
        if (e != SD_ERR_NOT_FOUND)
            log_warn("dispute deadlines: dispute %lld not moved (%s)", (long long)ids[i],
                     err_code(e));
        if (e == SD_ERR_UNAVAILABLE)
            return -1;
    }
    /* a full batch that moved something: more may be due */
    return n == DEADLINE_BATCH && moved > 0;
}
