#ifndef SD_DB_H
#define SD_DB_H

#include <stdint.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "err.h"

/* A statement with a name unique in the program; each connection prepares it on first use. */
typedef struct {
    const char *name;
    const char *sql;
    int per_call; /* planned at every call, never prepared (DB_QUERY) */
} db_stmt;

#define DB_STMT(var, text) static const db_stmt var = {#var, text, 0}
/* For lists whose optional filters ("$n IS NULL OR col = $n") decide which index serves
 * them: a prepared statement switches to one generic plan after five calls, and that plan
 * cannot use an index for a filter that may be absent, so a rare product's questions were
 * found by walking the whole seller's list. Planned per call, an absent filter folds away. */
#define DB_QUERY(var, text) static const db_stmt var = {#var, text, 1}

/* The keyset condition of a newest-first page: rows below the cursor id, every row when the
 * cursor is 0. Written so the cursor bounds the index scan; "($2 = 0 OR id < $2)" does not,
 * and a deep page then reads every row above it (bench/README.md, notifications). */
#define DB_BEFORE(col, param) col " < coalesce(nullif(" param "::bigint, 0), 9223372036854775807)"

/* A keyset page as one row: (rows, every row's JSON joined with commas, the id of the last
 * item of the page, the length of the extra row's JSON when there is one[, the figure of the
 * whole list]). The inner statement returns (id, json) rows in page order, at most limit + 1
 * (its LIMIT is lim, the parameter that carries limit + 1); json_page_of cuts the extra row
 * off. Joined by PostgreSQL, a page of 50 rows is one value: libpq parses one row, not 51,
 * and the 16 KB arrive back to back, so the request thread wakes once for them instead of
 * two or three (bench/README.md, "The request path, a profile"). The aggregates read the
 * rows in the order the inner ORDER BY ... LIMIT gave them (a subquery with a LIMIT is
 * never merged into the outer query, and a plain aggregate reads its input in order); with
 * row_number() and ordered aggregates instead, PostgreSQL spooled and sorted every page
 * twice and served 28 % fewer pages (pgbench, 16 clients). */
#define DB_PAGE_OPEN(lim, extra)                                                                   \
    "SELECT count(*), coalesce(string_agg(r.j::text, ','), ''),"                                   \
    " (array_agg(r.id))[least(count(*), " lim " - 1)],"                                            \
    " CASE WHEN count(*) >= " lim " THEN (array_agg(octet_length(r.j::text)))[count(*)] END" extra \
    " FROM ("
#define DB_PAGE_CLOSE(cols) ") r" cols
#define DB_PAGE(lim, inner) DB_PAGE_OPEN(lim, "") inner DB_PAGE_CLOSE("(id, j)")
/* ... whose rows carry a third column, the same on every row (db_page_of's extra) */
#define DB_PAGE_EXTRA(lim, inner) DB_PAGE_OPEN(lim, ", min(r.x)") inner DB_PAGE_CLOSE("(id, j, x)")

struct db_conn;
struct db_pool;

struct db_pool_stats {
    int size, in_use, waiting;
    uint64_t acquired, timeouts, resets;
};

struct db_pool *db_pool_new(const char *url, int size, int acquire_timeout_ms,
                            int statement_timeout_ms, int connect_timeout_s);
void db_pool_free(struct db_pool *pool);
/* NULL with *err = SD_ERR_UNAVAILABLE when no connection is free in time or the database is
 * unreachable. */
struct db_conn *db_acquire(struct db_pool *pool, sd_err *err);
void db_release(struct db_pool *pool, struct db_conn *conn);
void db_pool_get_stats(struct db_pool *pool, struct db_pool_stats *out);

/* A connection outside any pool (CLI commands). */
struct db_conn *db_connect(const char *url, int statement_timeout_ms, int connect_timeout_s,
                           sd_err *err);
void db_close(struct db_conn *conn);

/* Runs a prepared statement with text parameters (NULL = SQL NULL). Returns the result, or
 * NULL with *err set; a unique violation is SD_ERR_CONFLICT, a lost connection or timeout
 * SD_ERR_UNAVAILABLE. The caller PQclear()s the result. */
PGresult *db_exec(struct db_conn *conn, const db_stmt *stmt, int nparams, const char *const *params,
                  sd_err *err);
/* db_exec for bytes: formats[i] = 1 sends params[i] as binary, lengths[i] bytes long (a bytea
 * without escaping it); 0 sends it as text, its length ignored (NULL formats: all text).
 * result_format 1 returns every column in binary: bytea as its raw bytes (PQgetlength), text
 * as it is, numbers and timestamps in their binary wire forms, so callers cast those to text
 * in SQL. */
PGresult *db_exec_binary(struct db_conn *conn, const db_stmt *stmt, int nparams,
                         const char *const *params, const int *lengths, const int *formats,
                         int result_format, sd_err *err);
/* Plain command without parameters (BEGIN, migrations' own SQL). */
sd_err db_command(struct db_conn *conn, const char *sql);
sd_err db_begin(struct db_conn *conn);
sd_err db_commit(struct db_conn *conn);
void db_rollback(struct db_conn *conn);
/* SQLSTATE of the last failed statement on this connection, "" if none. */
const char *db_last_sqlstate(const struct db_conn *conn);
/* Constraint named by the last failed statement, "" if none. */
const char *db_last_constraint(const struct db_conn *conn);
PGconn *db_pg(struct db_conn *conn);

/* Result helpers. */
int64_t db_get_i64(const PGresult *res, int row, int col);
const char *db_get_str(const PGresult *res, int row, int col); /* NULL for SQL NULL */
/* The integers of a JSON array (validated by the caller) as a PostgreSQL array literal
 * "{1,2,3}" for a bigint[] parameter; malloc'd, NULL when out of memory. */
char *db_id_array(const json_t *ids);
/* Writes v in decimal into buf (at least 24 bytes) and returns buf. */
const char *db_i64(char *buf, int64_t v);

/* Single-row statement whose first column is JSON text: *out parsed; no row is
 * SD_ERR_NOT_FOUND. */
sd_err db_json_one(struct db_conn *conn, const db_stmt *stmt, int nparams,
                   const char *const *params, json_t **out);
/* The same, the JSON text as PostgreSQL wrote it (malloc'd), for an answer that is passed on
 * as it is: parsing it only to print it again cost a product read as much CPU as the rest of
 * the request (bench/README.md, issue 15). */
sd_err db_text_one(struct db_conn *conn, const db_stmt *stmt, int nparams,
                   const char *const *params, char **out);
/* Keyset page: the statement is a DB_PAGE (one row), its inner statement returning at most
 * limit + 1 rows (the caller passes limit + 1 as its LIMIT). *items gets up to limit objects as the
 * text of a JSON array (malloc'd); *has_more tells whether the extra row came back; *last_id is the
 * id of the last item returned. */
sd_err db_json_page(struct db_conn *conn, const db_stmt *stmt, int nparams,
                    const char *const *params, int limit, char **items, int *has_more,
                    int64_t *last_id);

/* A read as data: its statement and parameters, built by a store and run by whoever holds a
 * connection: the request's pool connection (db_read_run) or the statement pipe
 * (db_pipe.h), which runs it without the request's thread waiting. The parameters point into
 * num (db_read_i64) or at the caller's strings; they need to live only until the read is run
 * or submitted (the pipe copies them). */
#define DB_READ_MAX_PARAMS 16
struct db_read {
    const db_stmt *st;
    int n;
    const char *params[DB_READ_MAX_PARAMS];
    char num[DB_READ_MAX_PARAMS][24];
};
/* Parameter i is v in decimal. */
void db_read_i64(struct db_read *rd, int i, int64_t v);
PGresult *db_read_run(struct db_conn *conn, const struct db_read *rd, sd_err *err);
/* The outcomes of db_text_one and db_json_page from a result (taken: PQclear()ed here),
 * wherever it was run. A DB_PAGE_EXTRA's inner rows carry a third column, the same on every row
 * (a figure of the whole list, e.g. a total, computed once): *extra gets it, and *has_extra is
 * 0 when the page came back empty (the caller reads the figure another way); both may be NULL
 * for a plain DB_PAGE. */
sd_err db_text_of(PGresult *r, char **out);
/* The first column of the first row as a number, and whether there was a row. */
sd_err db_i64_of(PGresult *r, int64_t *v, int *found);
sd_err db_page_of(PGresult *r, int limit, char **items, int *has_more, int64_t *last_id,
                  int64_t *extra, int *has_extra);
/* The error a failed statement stands for: SQLSTATE state (NULL: libpq's own error) on a
 * connection that is (conn_ok) or is not still usable. Conflicts, timeouts and lost
 * connections are told apart as db_exec tells them. */
sd_err db_err_of_state(const char *state, int conn_ok);

#endif
