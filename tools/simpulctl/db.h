/*
 * db: simpulctl's access to PostgreSQL, and the printing of what comes
 * back. The only simpulctl module that sees libpq (migrations go through
 * the hub's own store module).
 *
 * Every statement is sent with PQexecParams(): the SQL text is always a
 * constant of the program (or assembled from constant fragments with
 * struct db_sql), and every value from the command line travels as a
 * parameter. An argument such as "'; DROP TABLE event; --" is therefore
 * only ever compared with, or stored as, text.
 *
 * Failures are reported here, once, on stderr, prefixed with the command
 * ("simpulctl events query: PostgreSQL: ..."); callers only pass -1/NULL
 * up and exit with CTL_FAIL.
 *
 * Printing: results print as aligned text columns or as JSON, where a
 * column's PostgreSQL type decides the JSON type (numbers, booleans, json
 * and jsonb as they are, everything else as strings, NULL as null). Text
 * from the database is printed for a terminal with control characters
 * escaped, so a hostile payload cannot drive the operator's terminal.
 */
#ifndef SIMPUL_CTL_DB_H
#define SIMPUL_CTL_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct db;
struct db_res;

/* RFC 3339 UTC text of a timestamptz column, computed by the server. */
#define DB_RFC3339(col) \
	"to_char(" col " AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/*
 * Connects. who prefixes messages ("simpulctl dlq list"). Returns NULL
 * after printing why ("cannot connect to PostgreSQL: ...").
 */
struct db *db_open(const char *conninfo, const char *who);
/* The same without printing: the reason goes to err. */
struct db *db_open_quiet(const char *conninfo, const char *who, char *err,
    size_t errlen);
void db_close(struct db *db);
/* Tries to re-establish a lost connection; 0 when connected again. */
int db_reset(struct db *db);
int db_connected(const struct db *db);

/*
 * Runs one statement with n text parameters (NULL: SQL NULL). Returns the
 * result (possibly with no rows), or NULL after printing the error.
 */
struct db_res *db_query(struct db *db, const char *sql, int n,
    const char *const *params);
/* The same for a statement without rows; returns the rows affected or -1. */
long db_command(struct db *db, const char *sql, int n,
    const char *const *params);
/* Like db_query() but silent: the caller explains the failure itself. */
struct db_res *db_query_quiet(struct db *db, const char *sql, int n,
    const char *const *params);
/* The last error's message (first line), or "". */
const char *db_error(const struct db *db);

void db_res_free(struct db_res *r);
int db_rows(const struct db_res *r);
int db_cols(const struct db_res *r);
const char *db_colname(const struct db_res *r, int col);
/* Column number of name; a missing column is a bug (fatal). */
int db_col(const struct db_res *r, const char *name);
/* A value as text, NULL for SQL NULL. */
const char *db_value(const struct db_res *r, int row, int col);
size_t db_length(const struct db_res *r, int row, int col);
/* A bytea value, decoded into a fresh buffer (free()); NULL for NULL. */
unsigned char *db_bytea(const struct db_res *r, int row, int col,
    size_t *len);

/*
 * SQL assembled from constant fragments. Each "$?" in a fragment becomes
 * the next parameter number, bound to the value given with it. At most
 * DB_SQL_PARAMS parameters. db_sql_where() adds " WHERE " before the first
 * condition and " AND " before the others.
 */
#define DB_SQL_PARAMS 16
struct db_sql {
	char text[4096];
	size_t len;
	const char *params[DB_SQL_PARAMS];
	int n;
	int conds;
};
void db_sql_init(struct db_sql *q, const char *start);
void db_sql_add(struct db_sql *q, const char *fragment, const char *param);
void db_sql_where(struct db_sql *q, const char *cond, const char *param);
struct db_res *db_sql_run(struct db *db, const struct db_sql *q);

/*
 * Every row as an aligned table with a header, each line indented by
 * indent spaces; cells cut at maxw columns (0: no limit).
 */
void db_print_table(const struct db_res *r, FILE *out, size_t indent,
    size_t maxw);
/* Every row as a JSON array of objects, one object per line. */
void db_print_json(const struct db_res *r, FILE *out);
/*
 * A list command's answer on stdout: every row as JSON (json), else as a
 * table with cells cut at maxw, or none on stderr when there is no row.
 * Frees r.
 */
void db_print_list(struct db_res *r, int json, const char *none,
    size_t maxw);
/* One row as a JSON object (of its first ncols columns). */
void db_print_json_row(const struct db_res *r, int row, FILE *out);
void db_print_json_row_n(const struct db_res *r, int row, int ncols,
    FILE *out);
/* One cell as a JSON value (by its column's type). */
void db_print_json_value(const struct db_res *r, int row, int col,
    FILE *out);

/* A JSON string literal of p[0..len) (invalid UTF-8 becomes U+FFFD). */
void json_put_string(FILE *out, const char *p, size_t len);
/*
 * Text for a terminal: control characters escaped (\n, \t, \xNN), invalid
 * UTF-8 as \xNN, cut after maxw characters with "…" (0: no limit). Pads
 * with spaces to pad characters. Returns the characters written.
 */
size_t text_put(FILE *out, const char *p, size_t len, size_t maxw,
    size_t pad);
/* The display width text_put() would use for p (without a limit). */
size_t text_width(const char *p, size_t len);

#endif
