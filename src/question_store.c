#include "question_store.h"

#include <stdlib.h>
#include <string.h>

#include "moderation_workflow_store.h"

DB_STMT(question_q_create,
        "INSERT INTO questions (product_id, seller_id, buyer_id, text, moderation_status,"
        "                       moderation_due_at, flags, search)"
        " SELECT p.id, p.seller_id, $2, $3, 'pending', $4::timestamptz, $5::jsonb,"
        "        to_tsvector('russian', $3) || to_tsvector('english', $3)"
        "        || to_tsvector('russian', p.name) || to_tsvector('english', p.name)"
        "   FROM products p WHERE p.id = $1 RETURNING id");
DB_STMT(question_q_get_created, "SELECT question_json(q, true) FROM questions q WHERE q.id = $1");

/* Who sees which questions, over the row alias a ($1 is the caller). */
/* clang-format off */
#define SCOPE_SELLER(a)  a ".seller_id = $1 AND " a ".moderation_status = 'approved'"
#define SCOPE_BUYER(a)   a ".buyer_id = $1"
#define SCOPE_SUPPORT(a) "$1::bigint > 0"
/* a product's questions: the product is the seller's own, and its questions are only ever
 * the seller's; without seller_id the planner walks the product's index alone (with it, it
 * ANDed the seller's whole entry of the search GIN, bench/README.md) */
#define SCOPE_SELLER_PRODUCT(a) a ".moderation_status = 'approved' AND $1::bigint > 0"
#define OWNER_SELLER " AND p.seller_id = $1"

/* Newest first by when a question was asked, (created_at, id) as every list index is keyed,
 * so that a date range is a range of the index the page walks: ordered by id, a month half a
 * year back was found by walking everything newer (1.1-2.9 s at 2M questions, 5 ms now).
 * The cursor keeps an id; the page continues below that question's (created_at, id), whose
 * two values the plan reads first, so they bound the index scan. $2 = 0: from the top; a
 * cursor whose question is gone ends the list rather than starting it again. */
#define NEWEST " ORDER BY q.created_at DESC, q.id DESC"
#define KEYSET                                                                                     \
    " AND (q.created_at, q.id) < ((SELECT coalesce(max(c.created_at), CASE WHEN $2::bigint = 0"   \
    " THEN 'infinity'::timestamptz ELSE '-infinity' END) FROM questions c WHERE c.id = $2),"      \
    " (SELECT coalesce(max(c.id), CASE WHEN $2::bigint = 0 THEN 9223372036854775807 ELSE 0 END)"  \
    " FROM questions c WHERE c.id = $2))"

/* ($1 user, $2 after, $3 limit + 1, $4 status, $5 product_id, $6 sku, $7 date_from,
 * $8 date_to, $9 show moderation); planned per call (DB_QUERY), a NULL filter folds away */
#define LIST_FILTERS                                                                               \
    KEYSET " AND ($4::text IS NULL OR q.status = $4)"                                             \
    " AND ($7::date IS NULL OR q.created_at >= ($7::date::timestamp AT TIME ZONE 'UTC'))"        \
    " AND ($8::date IS NULL OR q.created_at < (($8::date + 1)::timestamp AT TIME ZONE 'UTC'))"
#define PRODUCT_FILTERS                                                                            \
    " AND ($5::bigint IS NULL OR q.product_id = $5)"                                               \
    " AND ($6::bigint IS NULL OR q.product_id = (SELECT id FROM products WHERE sku = $6))"
/* (in LIST_SQL the product filters are always NULL, as a product filter takes
 * LIST_PRODUCT_SQL, and fold away; they stay so that $5 and $6 have a type) */
#define LIST_SQL(scope)                                                                            \
    "SELECT q.id, question_json(q, $9) FROM questions q WHERE " scope("q") LIST_FILTERS           \
    PRODUCT_FILTERS NEWEST " LIMIT $3"
/* with product_id or sku: the one product both name (none when they disagree) */
#define LIST_PRODUCT_SQL(scope, owner)                                                             \
    "SELECT q.id, question_json(q, $9) FROM questions q WHERE " scope("q") LIST_FILTERS           \
    " AND q.product_id = (SELECT p.id FROM products p WHERE ($5::bigint IS NULL OR p.id = $5)"    \
    " AND ($6::bigint IS NULL OR p.sku = $6)" owner ")" NEWEST " LIMIT $3"
/* q ($10): the words of the question or the product's name, or exactly the product's sku or
 * offer_id, whose products ($11) are looked up first. One OR the planner serves either way:
 * a broad term walks the scope's index newest first and stops at the page; a rare word, sku
 * or offer_id is a BitmapOr of the GIN and the product index. As "id IN (match UNION ALL
 * match)" every match was found and sorted before the page (95 ms for a broad term at 200k
 * questions) and a rare one walked the primary key (75 ms). The products are a parameter, not
 * a subquery, so that the planner, planning each call, knows there are none or one: a
 * subquery it assumes matches 100 questions, and walked 200k rows for a rare word. */
#define SEARCH_SQL(scope)                                                                          \
    "SELECT q.id, question_json(q, $9) FROM questions q WHERE " scope("q") LIST_FILTERS           \
    PRODUCT_FILTERS " AND (q.search @@ (websearch_to_tsquery('russian', $10) ||"                 \
    " websearch_to_tsquery('english', $10)) OR q.product_id = ANY ($11::bigint[]))" NEWEST        \
    " LIMIT $3"
/* ($1 user, $2 q, $3 q when it is all digits); a seller's q names own products only, found
 * by the (seller_id, offer_id) key */
#define SEARCH_PRODUCTS(where)                                                                     \
    "SELECT coalesce(array_agg(p.id), '{}') FROM products p WHERE " where                         \
    " (p.sku = $3::bigint OR p.offer_id = $2)"
DB_QUERY(question_q_list_seller, DB_PAGE("$3", LIST_SQL(SCOPE_SELLER)));
DB_QUERY(question_q_list_buyer, DB_PAGE("$3", LIST_SQL(SCOPE_BUYER)));
DB_QUERY(question_q_list_support, DB_PAGE("$3", LIST_SQL(SCOPE_SUPPORT)));
DB_QUERY(question_q_list_product_seller, DB_PAGE("$3", LIST_PRODUCT_SQL(SCOPE_SELLER_PRODUCT, OWNER_SELLER)));
DB_QUERY(question_q_list_product_buyer, DB_PAGE("$3", LIST_PRODUCT_SQL(SCOPE_BUYER, "")));
DB_QUERY(question_q_list_product_support, DB_PAGE("$3", LIST_PRODUCT_SQL(SCOPE_SUPPORT, "")));
DB_QUERY(question_q_search_seller, DB_PAGE("$3", SEARCH_SQL(SCOPE_SELLER)));
DB_QUERY(question_q_search_buyer, DB_PAGE("$3", SEARCH_SQL(SCOPE_BUYER)));
DB_QUERY(question_q_search_support, DB_PAGE("$3", SEARCH_SQL(SCOPE_SUPPORT)));
DB_STMT(question_q_search_products_seller, SEARCH_PRODUCTS("p.seller_id = $1 AND"));
DB_STMT(question_q_search_products_any, SEARCH_PRODUCTS("$1::bigint > 0 AND"));
/* clang-format on */

/* A seller's and support's counts read the counters the triggers of question_counts keep:
 * one row, or one per seller for support, however many questions there are. A buyer's own
 * questions are few and counted. */
#define COUNTS_JSON(all, n, viewed, processed)                                                     \
    "SELECT json_build_object('all', " all ", 'new', " n ", 'viewed', " viewed                     \
    ", 'processed', " processed ")"
DB_STMT(question_q_counts_seller,
        COUNTS_JSON("coalesce(c.new + c.viewed + c.processed, 0)", "coalesce(c.new, 0)",
                    "coalesce(c.viewed, 0)",
                    "coalesce(c.processed, 0)") " FROM (SELECT $1::bigint AS id) s"
                                                " LEFT JOIN question_counts c ON c.seller_id = "
                                                "s.id AND c.approved");
DB_STMT(question_q_counts_buyer,
        COUNTS_JSON("count(*)", "count(*) FILTER (WHERE q.status = 'new')",
                    "count(*) FILTER (WHERE q.status = 'viewed')",
                    "count(*) FILTER (WHERE q.status = 'processed')") " FROM questions q "
                                                                      "WHERE " SCOPE_BUYER("q"));
DB_STMT(
    question_q_counts_support,
    COUNTS_JSON("coalesce(sum(c.new + c.viewed + c.processed), 0)", "coalesce(sum(c.new), 0)",
                "coalesce(sum(c.viewed), 0)",
                "coalesce(sum(c.processed), 0)") " FROM question_counts c WHERE $1::bigint > 0");

DB_STMT(question_q_open,
        "UPDATE questions SET status = 'viewed', updated_at = now()"
        " WHERE id = $2 AND seller_id = $1 AND status = 'new' AND moderation_status = 'approved'");
#define GET_SQL(scope, show)                                                                       \
    "SELECT question_json(q, " show ") FROM questions q WHERE q.id = $2 AND " scope("q")
DB_STMT(question_q_get_seller, GET_SQL(SCOPE_SELLER, "false"));
DB_STMT(question_q_get_buyer, GET_SQL(SCOPE_BUYER, "true"));
DB_STMT(question_q_get_support, GET_SQL(SCOPE_SUPPORT, "true"));

/* Rows are locked before they are judged: a question published meanwhile (processed) is
 * reported as such, never moved back by hand. */
DB_STMT(question_q_set_status,
        "WITH i AS (SELECT id, n FROM unnest($2::bigint[]) WITH ORDINALITY AS i(id, n)),"
        " cur AS (SELECT q.id, q.status FROM questions q JOIN i ON i.id = q.id"
        "          WHERE q.seller_id = $1 AND q.moderation_status = 'approved' FOR UPDATE OF q),"
        " upd AS (UPDATE questions q SET status = $3, updated_at = now() FROM cur"
        "          WHERE q.id = cur.id AND cur.status <> 'processed' AND cur.status <> $3"
        "          RETURNING q.id)"
        " SELECT coalesce(json_agg(json_build_object('id', i.id, 'result',"
        "        CASE WHEN cur.id IS NULL THEN 'not_found' WHEN cur.status = 'processed'"
        "             THEN 'processed' WHEN upd.id IS NOT NULL THEN 'updated'"
        "             ELSE 'unchanged' END) ORDER BY i.n), '[]')"
        "   FROM i LEFT JOIN cur ON cur.id = i.id LEFT JOIN upd ON upd.id = i.id");

DB_STMT(question_q_product_exists, "SELECT 1 FROM products WHERE id = $1");
/* ($1 product, $2 after, $3 limit + 1, $4 viewer, $5 viewer is support) */
DB_STMT(question_q_product_page,
        DB_PAGE("$3",
                "SELECT q.id, question_page_json(q, $5::bool OR q.buyer_id = $4) FROM questions q"
                " WHERE q.product_id = $1 AND q.moderation_status = 'approved'" KEYSET NEWEST
                " LIMIT $3"));

sd_err question_store_create(struct db_conn *conn, const struct question_new *q, json_t **out)
{
    char pid[24], bid[24], qid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(pid, q->product_id), db_i64(bid, q->buyer_id), q->text, q->due_at,
                       q->flags};
    PGresult *r = db_exec(conn, &question_q_create, 5, p, &e);
    if (!r)
        return e;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return SD_ERR_NOT_FOUND;
    }
    int64_t id = db_get_i64(r, 0, 0);
    PQclear(r);
    if (q->publish && (e = moderation_workflow_approve(conn, "question", id)) != SD_OK)
        return e;
    const char *g[] = {db_i64(qid, id)};
    return db_json_one(conn, &question_q_get_created, 1, g, out);
}

/* The parameters every list statement shares; the search's two more follow. */
static void question_list_params(struct db_read *rd, const struct question_filter *f)
{
    db_read_i64(rd, 0, f->user_id);
    db_read_i64(rd, 1, f->after_id);
    db_read_i64(rd, 2, f->limit + 1);
    rd->params[3] = f->status;
    rd->params[4] = f->product_id;
    rd->params[5] = f->sku;
    rd->params[6] = f->date_from;
    rd->params[7] = f->date_to;
    rd->params[8] = f->scope == QUESTION_SELLER ? "false" : "true";
    rd->n = 9;
}

void question_store_list_read(struct db_read *rd, const struct question_filter *f)
{
    static const db_stmt *const lists[] = {&question_q_list_seller, &question_q_list_buyer,
                                           &question_q_list_support};
    static const db_stmt *const product_lists[] = {&question_q_list_product_seller,
                                                   &question_q_list_product_buyer,
                                                   &question_q_list_product_support};
    rd->st = (f->product_id || f->sku ? product_lists : lists)[f->scope];
    question_list_params(rd, f);
}

sd_err question_store_search(struct db_conn *conn, const struct question_filter *f, char **items,
                             int *has_more, int64_t *last_id)
{
    static const db_stmt *const searches[] = {&question_q_search_seller, &question_q_search_buyer,
                                              &question_q_search_support};
    struct db_read rd = {.st = searches[f->scope]};
    question_list_params(&rd, f);
    const char *pp[] = {rd.params[0], f->q, f->q_sku};
    sd_err e = SD_OK;
    PGresult *r = db_exec(conn,
                          f->scope == QUESTION_SELLER ? &question_q_search_products_seller
                                                      : &question_q_search_products_any,
                          3, pp, &e);
    if (!r)
        return e;
    rd.params[9] = f->q;
    rd.params[10] = db_get_str(r, 0, 0);
    rd.n = 11;
    e = db_json_page(conn, rd.st, rd.n, rd.params, f->limit, items, has_more, last_id);
    PQclear(r); /* (after the page: params[10] is in it) */
    return e;
}

void question_store_counts_read(struct db_read *rd, enum question_scope scope, int64_t user_id)
{
    static const db_stmt *const counts[] = {&question_q_counts_seller, &question_q_counts_buyer,
                                            &question_q_counts_support};
    rd->st = counts[scope];
    rd->n = 1;
    db_read_i64(rd, 0, user_id);
}

sd_err question_store_get(struct db_conn *conn, enum question_scope scope, int64_t user_id,
                          int64_t id, json_t **out)
{
    static const db_stmt *const gets[] = {&question_q_get_seller, &question_q_get_buyer,
                                          &question_q_get_support};
    char uid[24], qid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(uid, user_id), db_i64(qid, id)};
    if (scope == QUESTION_SELLER) {
        PGresult *r = db_exec(conn, &question_q_open, 2, p, &e);
        if (!r)
            return e;
        PQclear(r);
    }
    return db_json_one(conn, gets[scope], 2, p, out);
}

sd_err question_store_set_status(struct db_conn *conn, int64_t seller_id, const char *ids,
                                 const char *status, json_t **results)
{
    char sid[24];
    const char *p[] = {db_i64(sid, seller_id), ids, status};
    return db_json_one(conn, &question_q_set_status, 3, p, results);
}

sd_err question_store_product_page(struct db_conn *conn, int64_t product_id, int64_t viewer_id,
                                   int viewer_support, int64_t after_id, int limit, char **items,
                                   int *has_more, int64_t *last_id)
{
    char pid[24], aid[24], lim[24], vid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(pid, product_id), db_i64(aid, after_id), db_i64(lim, limit + 1),
                       db_i64(vid, viewer_id), viewer_support ? "true" : "false"};
    PGresult *r = db_exec(conn, &question_q_product_exists, 1, p, &e);
    if (!r)
        return e;
    e = PQntuples(r) == 1 ? SD_OK : SD_ERR_NOT_FOUND;
    PQclear(r);
    if (e != SD_OK)
        return e;
    return db_json_page(conn, &question_q_product_page, 5, p, limit, items, has_more, last_id);
}

/* ---------------------------------------------------------------------------------------------
 * Moderation of questions (the registry in moderation_workflow_store.c)
 * ------------------------------------------------------------------------------------------- */

DB_STMT(question_q_lock,
        "SELECT q.moderation_status, false, 0, q.seller_id, q.buyer_id, q.product_id, p.name, 0"
        " FROM questions q JOIN products p ON p.id = q.product_id WHERE q.id = $1 FOR UPDATE OF q");
DB_STMT(question_q_set_moderation,
        "UPDATE questions SET moderation_status = $2, moderation_reason = $3, moderated_by = $4,"
        " moderated_at = now(), updated_at = now() WHERE id = $1");

/* The seller hears of a question once the public may see it; its author, of a refusal. */
static sd_err question_decided(struct db_conn *conn, const struct mwf_item *it, int approve,
                               const char *reason)
{
    if (approve)
        return mwf_notify(conn, it->seller_id, "question.new", "New product question",
                          json_pack("{s:I, s:I}", "question_id", (json_int_t)it->id, "product_id",
                                    (json_int_t)it->product_id),
                          "A buyer asked a question about \"%s\".", it->product_name);
    return mwf_notify(conn, it->author_id, "question.rejected", "Question rejected by moderation",
                      json_pack("{s:I, s:I, s:s}", "question_id", (json_int_t)it->id, "product_id",
                                (json_int_t)it->product_id, "reason", reason),
                      "Your question about \"%s\" was not published: %s", it->product_name, reason);
}

const struct mwf_kind question_kind = {
    "question",
    "SELECT q.id, json_build_object('kind', 'question', 'id', q.id, 'text', "
    "q.text, " MWF_QUEUE_COMMON("q") ") FROM questions q JOIN users u ON u.id = q.buyer_id"
                                     " JOIN products p ON p.id = q.product_id WHERE "
                                     "q.moderation_status = 'pending'" MWF_QUEUE_FILTERS("q"),
    &question_q_lock,
    &question_q_set_moderation,
    0,
    question_decided,
};
