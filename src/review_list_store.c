#include "review_list_store.h"

#include <stdlib.h>
#include <string.h>

/* Who sees which reviews in the work lists, over the row alias r ($1 the caller) */
/* clang-format off */
/* (listed implies deleted_at IS NULL; said again so the product's index serves the seller) */
#define SCOPE_SELLER  "r.seller_id = $1 AND r.listed AND r.deleted_at IS NULL"
#define SCOPE_BUYER   "r.buyer_id = $1 AND r.deleted_at IS NULL"
#define SCOPE_SUPPORT "r.deleted_at IS NULL AND $1::bigint > 0"

/* The page continues after the cursor's review ($2; 0: from the top) in the list's own
 * order, over the keys its index is built on, whose values two or three InitPlans read first
 * so that they bound the index scan. A cursor whose review is gone ends the list. */
#define CURSOR_TIME(top, gone)                                                                     \
    "(SELECT coalesce(max(c.created_at), CASE WHEN $2::bigint = 0 THEN '" top "'::timestamptz"    \
    " ELSE '" gone "' END) FROM reviews c WHERE c.id = $2)"
#define CURSOR_ID(top, gone)                                                                       \
    "(SELECT coalesce(max(c.id), CASE WHEN $2::bigint = 0 THEN " top " ELSE " gone " END)"        \
    " FROM reviews c WHERE c.id = $2)"
#define CURSOR_RATING(top, gone)                                                                   \
    "(SELECT coalesce(max(c.rating), CASE WHEN $2::bigint = 0 THEN " top " ELSE " gone " END)"    \
    " FROM reviews c WHERE c.id = $2)"
#define MAXID "9223372036854775807"
#define KEYSET_DATE_DESC                                                                           \
    " AND (r.created_at, r.id) < (" CURSOR_TIME("infinity", "-infinity") ", "                     \
    CURSOR_ID(MAXID, "0") ")"
#define KEYSET_DATE_ASC                                                                            \
    " AND (r.created_at, r.id) > (" CURSOR_TIME("-infinity", "infinity") ", "                     \
    CURSOR_ID("0", MAXID) ")"
#define KEYSET_RATING_DESC                                                                         \
    " AND (r.rating, r.created_at, r.id) < (" CURSOR_RATING("6", "0") ", "                         \
    CURSOR_TIME("infinity", "-infinity") ", " CURSOR_ID(MAXID, "0") ")"
#define KEYSET_RATING_ASC                                                                          \
    " AND (r.rating, r.created_at, r.id) > (" CURSOR_RATING("0", "6") ", "                         \
    CURSOR_TIME("-infinity", "infinity") ", " CURSOR_ID("0", MAXID) ")"
/* A work list by date starts at its date bound when that is tighter than the cursor: the
 * bound folded into the keyset's row, (created_at, id) < (date_to + 1 day, 0) being
 * created_at < date_to + 1 day (ids are positive), so the index scan starts there. Given as a
 * second condition beside the row instead, the scan started at the cursor and filtered its
 * way back: 55 ms for a month 200 days back at 10M reviews. */
#define DATE_FROM_TS "($10::date::timestamp AT TIME ZONE 'UTC')"
#define DATE_TO_TS   "(($11::date + 1)::timestamp AT TIME ZONE 'UTC')"
#define KEYSET_LIST_DATE_DESC                                                                      \
    " AND (r.created_at, r.id) < (least(" CURSOR_TIME("infinity", "-infinity") ", " DATE_TO_TS    \
    "), CASE WHEN " DATE_TO_TS " <= " CURSOR_TIME("infinity", "-infinity") " THEN 0 ELSE "         \
    CURSOR_ID(MAXID, "0") " END)"
#define KEYSET_LIST_DATE_ASC                                                                       \
    " AND (r.created_at, r.id) > (greatest(" CURSOR_TIME("-infinity", "infinity") ", "             \
    DATE_FROM_TS "), CASE WHEN " DATE_FROM_TS " > " CURSOR_TIME("-infinity", "infinity")          \
    " THEN 0 ELSE " CURSOR_ID("0", MAXID) " END)"
#define ORDER_DATE_DESC   " ORDER BY r.created_at DESC, r.id DESC"
#define ORDER_DATE_ASC    " ORDER BY r.created_at, r.id"
#define ORDER_RATING_DESC " ORDER BY r.rating DESC, r.created_at DESC, r.id DESC"
#define ORDER_RATING_ASC  " ORDER BY r.rating, r.created_at, r.id"

/* ($1 user, $2 cursor, $3 limit + 1, $4 status, $5 ratings, $6 has_media, $7 has_text,
 * $8 answered, $9 product, $10 date_from, $11 date_to, $12 q, $13 show moderation); planned
 * per call (DB_QUERY): an absent filter folds away and the planner picks the index of the
 * order and the filters that are there */
#define FILTERS                                                                                    \
    " AND ($4::text IS NULL OR r.status = $4)"                                                     \
    " AND ($5::int[] IS NULL OR r.rating = ANY ($5::int[]))"                                       \
    " AND ($6::bool IS NULL OR r.has_media = $6)"                                                  \
    " AND ($7::bool IS NULL OR r.has_text = $7)"                                                   \
    " AND ($8::bool IS NULL OR (r.official_answers > 0) = $8)"                                     \
    " AND ($9::bigint IS NULL OR r.product_id = $9)"                                               \
    " AND ($12::text IS NULL OR r.search @@ (websearch_to_tsquery('russian', $12)"                \
    " || websearch_to_tsquery('english', $12)))"
#define FILTER_FROM " AND ($10::date IS NULL OR r.created_at >= " DATE_FROM_TS ")"
#define FILTER_TO   " AND ($11::date IS NULL OR r.created_at < " DATE_TO_TS ")"
/* by date the keyset holds the date on its side, by rating both dates are filters */
#define LIST_SQL(scope, keyset, dates, order)                                                      \
    "SELECT r.id, review_json(r, $13::int) FROM reviews r WHERE " scope keyset FILTERS dates order \
    " LIMIT $3"
#define BY_DATE_DESC   KEYSET_LIST_DATE_DESC, FILTER_FROM, ORDER_DATE_DESC
#define BY_DATE_ASC    KEYSET_LIST_DATE_ASC, FILTER_TO, ORDER_DATE_ASC
#define BY_RATING_DESC KEYSET_RATING_DESC, FILTER_FROM FILTER_TO, ORDER_RATING_DESC
#define BY_RATING_ASC  KEYSET_RATING_ASC, FILTER_FROM FILTER_TO, ORDER_RATING_ASC
/* (a DB_PAGE of the list: src/db.h) */
#define LIST(scope, by) DB_PAGE("$3", LIST_SQL(scope, by))
/* a scope's four sorts, and their row of review_list's table */
#define LISTS(who, scope)                                                                          \
    DB_QUERY(review_q_list_##who##_date_desc, LIST(scope, BY_DATE_DESC));                          \
    DB_QUERY(review_q_list_##who##_date_asc, LIST(scope, BY_DATE_ASC));                            \
    DB_QUERY(review_q_list_##who##_rating_desc, LIST(scope, BY_RATING_DESC));                      \
    DB_QUERY(review_q_list_##who##_rating_asc, LIST(scope, BY_RATING_ASC))
#define LISTS_ROW(who)                                                                             \
    {&review_q_list_##who##_date_desc, &review_q_list_##who##_date_asc,                            \
     &review_q_list_##who##_rating_desc, &review_q_list_##who##_rating_asc}
LISTS(seller, SCOPE_SELLER);
LISTS(buyer, SCOPE_BUYER);
LISTS(support, SCOPE_SUPPORT);

/* the product page: public reviews ($1 product, $2 cursor, $3 limit + 1, $4 ratings,
 * $5 has_media, $6 the caller), each with its published comments */
#define PAGE_SQL(keyset, order)                                                                    \
    "SELECT r.id, review_page_json(r, $6) FROM reviews r WHERE r.product_id = $1 AND r.public"       \
    keyset " AND ($4::int[] IS NULL OR r.rating = ANY ($4::int[]))"                                \
    " AND ($5::bool IS NULL OR r.has_media = $5)" order " LIMIT $3"
#define PAGE(keyset, order) DB_PAGE("$3", PAGE_SQL(keyset, order))
DB_QUERY(review_q_page_date_desc, PAGE(KEYSET_DATE_DESC, ORDER_DATE_DESC));
DB_QUERY(review_q_page_date_asc, PAGE(KEYSET_DATE_ASC, ORDER_DATE_ASC));
DB_QUERY(review_q_page_rating_desc, PAGE(KEYSET_RATING_DESC, ORDER_RATING_DESC));
DB_QUERY(review_q_page_rating_asc, PAGE(KEYSET_RATING_ASC, ORDER_RATING_ASC));
/* clang-format on */

/* the product both name; a seller's own only ($1 the caller, $4: restricted to the seller) */
DB_STMT(review_q_product,
        "SELECT p.id FROM products p WHERE ($2::bigint IS NULL OR p.id = $2)"
        " AND ($3::bigint IS NULL OR p.sku = $3) AND (NOT $4::bool OR p.seller_id = $1)");
DB_STMT(review_q_product_exists, "SELECT 1 FROM products WHERE id = $1");

#define COUNTS_JSON(all, n, viewed, processed, unanswered, r1, r2, r3, r4, r5)                     \
    "SELECT json_build_object('all', " all ", 'new', " n ", 'viewed', " viewed                     \
    ", 'processed', " processed ", 'unanswered', " unanswered ", 'by_rating',"                     \
    " json_build_object('1', " r1 ", '2', " r2 ", '3', " r3 ", '4', " r4 ", '5', " r5 "))"
DB_STMT(review_q_counts_seller,
        COUNTS_JSON("coalesce(c.total, 0)", "coalesce(c.new, 0)", "coalesce(c.viewed, 0)",
                    "coalesce(c.processed, 0)", "coalesce(c.unanswered, 0)", "coalesce(c.r1, 0)",
                    "coalesce(c.r2, 0)", "coalesce(c.r3, 0)", "coalesce(c.r4, 0)",
                    "coalesce(c.r5, 0)") " FROM (SELECT $1::bigint AS id) s"
                                         " LEFT JOIN review_counts c ON c.seller_id = s.id");
DB_STMT(review_q_counts_support,
        COUNTS_JSON("coalesce(sum(c.total), 0)", "coalesce(sum(c.new), 0)",
                    "coalesce(sum(c.viewed), 0)", "coalesce(sum(c.processed), 0)",
                    "coalesce(sum(c.unanswered), 0)", "coalesce(sum(c.r1), 0)",
                    "coalesce(sum(c.r2), 0)", "coalesce(sum(c.r3), 0)", "coalesce(sum(c.r4), 0)",
                    "coalesce(sum(c.r5), 0)") " FROM review_counts c WHERE $1::bigint > 0");
/* a buyer's own reviews are few: counted, all of them (whatever their moderation) in all */
#define MINE(cond) "count(*) FILTER (WHERE r.listed AND " cond ")"
DB_STMT(review_q_counts_buyer,
        COUNTS_JSON("count(*)", MINE("r.status = 'new'"), MINE("r.status = 'viewed'"),
                    MINE("r.status = 'processed'"), MINE("r.official_answers = 0"),
                    MINE("r.rating = 1"), MINE("r.rating = 2"), MINE("r.rating = 3"),
                    MINE("r.rating = 4"),
                    MINE("r.rating = 5")) " FROM reviews r WHERE " SCOPE_BUYER);

DB_STMT(review_q_rating,
        "SELECT json_build_object('product_id', p.id, 'count', coalesce(pr.count, 0),"
        " 'average', CASE WHEN pr.count > 0 THEN round(pr.total::numeric / pr.count, 2) END,"
        " 'histogram', json_build_object('1', coalesce(pr.r1, 0), '2', coalesce(pr.r2, 0),"
        " '3', coalesce(pr.r3, 0), '4', coalesce(pr.r4, 0), '5', coalesce(pr.r5, 0)))"
        " FROM products p LEFT JOIN product_ratings pr ON pr.product_id = p.id WHERE p.id = $1");

sd_err review_list(struct db_conn *conn, const struct review_filter *f, char **items, int *has_more,
                   int64_t *last_id)
{
    static const db_stmt *const lists[3][4] = {
        LISTS_ROW(seller),
        LISTS_ROW(buyer),
        LISTS_ROW(support),
    };
    char uid[24], aid[24], lim[24];
    const char *p[] = {db_i64(uid, f->user_id),
                       db_i64(aid, f->after_id),
                       db_i64(lim, f->limit + 1),
                       f->status,
                       f->ratings,
                       f->has_media,
                       f->has_text,
                       f->answered,
                       f->product_id,
                       f->date_from,
                       f->date_to,
                       f->q,
                       f->scope == REVIEW_SELLER ? "1" : "2"};
    return db_json_page(conn, lists[f->scope][f->sort], 13, p, f->limit, items, has_more, last_id);
}

sd_err review_list_product(struct db_conn *conn, enum review_scope scope, int64_t user_id,
                           const char *product_id, const char *sku, char **out)
{
    char uid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(uid, user_id), product_id, sku,
                       scope == REVIEW_SELLER ? "true" : "false"};
    PGresult *r = db_exec(conn, &review_q_product, 4, p, &e);
    *out = NULL;
    if (!r)
        return e;
    if (PQntuples(r) && !(*out = strdup(db_get_str(r, 0, 0))))
        e = SD_ERR_INTERNAL;
    PQclear(r);
    return e;
}

sd_err review_counts(struct db_conn *conn, enum review_scope scope, int64_t user_id, json_t **out)
{
    static const db_stmt *const counts[] = {&review_q_counts_seller, &review_q_counts_buyer,
                                            &review_q_counts_support};
    char uid[24];
    const char *p[] = {db_i64(uid, user_id)};
    return db_json_one(conn, counts[scope], 1, p, out);
}

sd_err review_product_page(struct db_conn *conn, int64_t product_id, int64_t viewer_id,
                           enum review_sort sort, const char *ratings, const char *has_media,
                           int64_t after_id, int limit, char **items, int *has_more,
                           int64_t *last_id)
{
    static const db_stmt *const pages[] = {&review_q_page_date_desc, &review_q_page_date_asc,
                                           &review_q_page_rating_desc, &review_q_page_rating_asc};
    char pid[24], aid[24], lim[24], vid[24];
    sd_err e = SD_OK;
    const char *p[] = {
        db_i64(pid, product_id), db_i64(aid, after_id), db_i64(lim, limit + 1), ratings, has_media,
        db_i64(vid, viewer_id)};
    PGresult *r = db_exec(conn, &review_q_product_exists, 1, p, &e);
    if (!r)
        return e;
    e = PQntuples(r) ? SD_OK : SD_ERR_NOT_FOUND;
    PQclear(r);
    if (e != SD_OK)
        return e;
    return db_json_page(conn, pages[sort], 6, p, limit, items, has_more, last_id);
}

sd_err review_rating(struct db_conn *conn, int64_t product_id, char **out)
{
    char pid[24];
    sd_err e = SD_OK;
    const char *p[] = {db_i64(pid, product_id)};
    PGresult *r = db_exec(conn, &review_q_rating, 1, p, &e);
    *out = NULL;
    if (!r)
        return e;
    if (PQntuples(r) == 0)
        e = SD_ERR_NOT_FOUND;
    else if (!(*out = strdup(db_get_str(r, 0, 0))))
        e = SD_ERR_INTERNAL;
    PQclear(r);
    return e;
}
