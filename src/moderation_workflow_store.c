#include "moderation_workflow_store.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notification_store.h"
#include "utf8.h"

/* Every kind of moderated item, defined by its store. */
extern const struct mwf_kind question_kind, answer_kind, review_kind, review_comment_kind,
    review_complaint_kind;
static const struct mwf_kind *const kinds[] = {
    &question_kind, &answer_kind, &review_kind, &review_comment_kind, &review_complaint_kind,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

const struct mwf_kind *moderation_kind_find(const char *name)
{
    for (size_t i = 0; name && i < NKINDS; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

static pthread_once_t assembled = PTHREAD_ONCE_INIT;
static char kind_names[256];
static db_stmt queue_stmt = {"mwf_q_queue", NULL, 0};

/* The queue is one keyset over every kind: each kind's branch walks the partial index of its
 * pending ids and stops at the page, and the union is cut to the page again; a DB_PAGE of it.
 * Built once from the registry's constant SQL ($1 kind, $5 limit + 1). */
static void mwf_assemble(void)
{
    static const char open[] = DB_PAGE_OPEN("$5", "") "SELECT * FROM (",
                      close[] = ") x ORDER BY 1 LIMIT $5" DB_PAGE_CLOSE("(id, j)");
    size_t len = sizeof open + sizeof close, used = 0;
    for (size_t i = 0; i < NKINDS; i++)
        len += strlen(kinds[i]->queue) + 2 * strlen(kinds[i]->name) + 96;
    char *sql = malloc(len);
    if (!sql)
        return;
    used += (size_t)snprintf(sql, len, "%s", open);
    for (size_t i = 0; i < NKINDS; i++)
        used += (size_t)snprintf(sql + used, len - used,
                                 "%s(%s AND coalesce($1::text, '%s') = '%s' ORDER BY 1 LIMIT $5)",
                                 i ? " UNION ALL " : "", kinds[i]->queue, kinds[i]->name,
                                 kinds[i]->name);
    snprintf(sql + used, len - used, "%s", close);
    queue_stmt.sql = sql; /* kept for the process's life */
    used = 0;
    for (size_t i = 0; i < NKINDS; i++)
        used += (size_t)snprintf(kind_names + used, sizeof kind_names - used, "%s%s", i ? ", " : "",
                                 kinds[i]->name);
}

const char *moderation_kind_names(void)
{
    pthread_once(&assembled, mwf_assemble);
    return kind_names;
}

DB_STMT(mwf_q_record,
        "INSERT INTO moderation_decisions (kind, item_id, decision, reason, decided_by)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING json_build_object('kind', kind, 'id', item_id,"
        " 'decision', decision, 'reason', reason, 'decided_by', decided_by,"
        " 'decided_at', sd_ts(decided_at), 'moderation_status',"
        " CASE decision WHEN 'approve' THEN 'approved' ELSE 'rejected' END)");

sd_err moderation_workflow_queue(struct db_conn *conn, const struct moderation_queue_query *q,
                                 char **items, int *has_more, int64_t *last_id)
{
    char after[24], lim[24];
    const char *tf[] = {"false", "true"};
    const char *p[] = {q->kind, db_i64(after, q->after_id),
                       q->flagged < 0 ? NULL : tf[q->flagged != 0],
                       q->overdue < 0 ? NULL : tf[q->overdue != 0], db_i64(lim, q->limit + 1)};
    pthread_once(&assembled, mwf_assemble);
    if (!queue_stmt.sql)
        return SD_ERR_INTERNAL;
    return db_json_page(conn, &queue_stmt, 5, p, q->limit, items, has_more, last_id);
}

sd_err mwf_notify(struct db_conn *conn, int64_t user, const char *event, const char *title,
                  json_t *data, const char *fmt, ...)
{
    char body[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    utf8_cut(body);
    sd_err e =
        data ? notification_store_create(conn, user, event, title, body, data) : SD_ERR_INTERNAL;
    json_decref(data);
    return e;
}

sd_err moderation_workflow_decide(struct db_conn *conn, const char *kind, int64_t id, int approve,
                                  const char *reason, int64_t decided_by, json_t **out)
{
    const struct mwf_kind *k = moderation_kind_find(kind);
    char ids[24], by[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(ids, id)};
    *out = NULL;
    if (!k)
        return SD_ERR_NOT_FOUND;
    PGresult *r = db_exec(conn, k->lock, 1, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) == 0 || strcmp(db_get_str(r, 0, 1), "t") == 0) {
        /* an item withdrawn while pending has left the queue: nothing to decide */
        e = PQntuples(r) && strcmp(db_get_str(r, 0, 0), "pending") != 0 ? SD_ERR_CONFLICT
                                                                        : SD_ERR_NOT_FOUND;
        PQclear(r);
        return e;
    }
    if (strcmp(db_get_str(r, 0, 0), "pending") != 0) {
        PQclear(r);
        return SD_ERR_CONFLICT;
    }
    const char *name = db_get_str(r, 0, 6);
    struct mwf_item it = {
        .kind = k->name,
        .id = id,
        .parent_id = db_get_i64(r, 0, 2),
        .seller_id = db_get_i64(r, 0, 3),
        .author_id = db_get_i64(r, 0, 4),
        .product_id = db_get_i64(r, 0, 5),
        .product_name = strdup(name ? name : ""),
        .extra_id = db_get_i64(r, 0, 7),
    };
    PQclear(r);
    if (!it.product_name)
        return SD_ERR_INTERNAL;
    const char *decider = decided_by > 0 ? db_i64(by, decided_by) : NULL;
    const char *rec[] = {k->name, ids, approve ? "approve" : "reject", reason, decider};
    const char *set[] = {ids, approve ? "approved" : "rejected", reason, decider};
    if ((e = db_json_one(conn, &mwf_q_record, 5, rec, out)) != SD_OK)
        goto cleanup;
    if (!(r = db_exec(conn, k->set, 4, set, &e)))
        goto cleanup;
    PQclear(r);
    e = k->decided(conn, &it, approve, reason);
cleanup:
    if (e != SD_OK) {
        json_decref(*out);
        *out = NULL;
    }
    free((char *)it.product_name);
    return e;
}

sd_err moderation_workflow_approve(struct db_conn *conn, const char *kind, int64_t id)
{
    json_t *decision = NULL;
    sd_err e = moderation_workflow_decide(conn, kind, id, 1, NULL, 0, &decision);
    json_decref(decision);
    return e;
}
