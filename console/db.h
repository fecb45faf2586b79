/*
 * db: the console's connections to PostgreSQL. The only console module
 * that sees libpq (case actions go through the hub's store module, which
 * has a connection of its own).
 *
 * A pool of a fixed number of connections serves the request threads: a
 * request takes one for its queries and gives it back, waiting at most
 * DB_WAIT_MS when all are busy (then the API answers 503). A connection
 * that failed is reset when it is next taken. The live tail opens one more
 * connection outside the pool (dbc_open()).
 *
 * Every statement is sent with PQexecParams(): the SQL text is a constant
 * of the program and every value from a browser travels as a text
 * parameter. Most answers are built as JSON by PostgreSQL itself
 * (json_build_object, json_agg), so the C side passes text through.
 *
 * Failures are logged here once; callers get NULL / -1.
 */
#ifndef SIMPUL_CONSOLE_DB_H
#define SIMPUL_CONSOLE_DB_H

#include <stddef.h>

#define DB_WAIT_MS 10000

struct dbpool;
struct dbc;
struct dbres;

/* Connects lazily: creating never fails. size 1..64. */
struct dbpool *dbpool_new(const char *conninfo, int size);
void dbpool_free(struct dbpool *p);
/* A connected connection, or NULL (database down, or all busy too long). */
struct dbc *dbpool_get(struct dbpool *p);
void dbpool_put(struct dbpool *p, struct dbc *c);

/* A connection of its own (the live tail). NULL when it cannot connect. */
struct dbc *dbc_open(const char *conninfo);
void dbc_close(struct dbc *c);
/* 1 while the connection is usable. */
int dbc_ok(const struct dbc *c);

/*
 * Runs one statement with n text parameters (NULL: SQL NULL). Returns the
 * result (maybe without rows), or NULL after logging the failure.
 */
struct dbres *dbc_query(struct dbc *c, const char *sql, int n,
    const char *const *params);
/* The SQLSTATE of the last failure ("" if none). */
const char *dbc_sqlstate(const struct dbc *c);

void dbres_free(struct dbres *r);
int dbres_rows(const struct dbres *r);
/* A value as text; NULL for SQL NULL or out of range. */
const char *dbres_value(const struct dbres *r, int row, int col);

/*
 * The first column of the first row as a fresh string (free()): the
 * usual "SELECT json_build_object(...)" answer. *out is NULL when there
 * is no row or the value is NULL. Returns 0, or -1 (logged).
 */
int dbc_text(struct dbc *c, const char *sql, int n,
    const char *const *params, char **out);

#endif
