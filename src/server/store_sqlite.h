/*
 * store_sqlite — private to the SQLite implementation of store.h
 * (store_sqlite.c: pool, schema, accounts, sessions; store_sqlite_cam.c:
 * pairings, cameras, keyrings; store_sqlite_obj.c: objects, retention).
 */
#ifndef SEALCAMD_STORE_SQLITE_H
#define SEALCAMD_STORE_SQLITE_H

#include <sqlite3.h>

#include "store.h"

/* One database connection with its prepared statements; a thread holds it
 * exclusively between sq_get() and sq_put(). */
struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt **stmt;      /* prepared lazily, indexed like the SQL table */
	struct sq_conn *next;     /* free list */
};

/* Take a connection (waits if all are busy); NULL on failure. */
struct sq_conn *sq_get(struct store *st);
void sq_put(struct store *st, struct sq_conn *c);

/*
 * The statement for sql (a string literal: its address is the cache key
 * within one of the registered tables), reset and with bindings cleared.
 * NULL on failure (logged).
 */
sqlite3_stmt *sq_prep(struct sq_conn *c, const char *sql);

/*
 * Write transactions: one writer at a time inside this process (a mutex,
 * so SQLite's sleeping busy handler never decides our latency), then
 * BEGIN IMMEDIATE. sq_end commits if ok is 0, else rolls back; returns 0
 * only if the commit succeeded.
 */
int sq_begin(struct store *st, struct sq_conn *c);
int sq_end(struct store *st, struct sq_conn *c, int ok);

/* Step a statement that returns no rows: 0 or -1 (logged; SQLITE_CONSTRAINT
 * gives STORE_EXISTS). */
int sq_exec(struct sq_conn *c, sqlite3_stmt *s);

/* Run one prepared write statement as its own transaction (under the
 * writer mutex); *changes (may be NULL) = rows changed. 0, -1 or STORE_EXISTS. */
int sq_write1(struct store *st, struct sq_conn *c, sqlite3_stmt *s, int *changes);

/* Log the connection's last error with context. */
void sq_log(struct sq_conn *c, const char *what);

/* Copy a blob column into out (exactly n bytes); -1 if the size differs. */
int sq_col_fixed(sqlite3_stmt *s, int col, void *out, size_t n);

#endif
