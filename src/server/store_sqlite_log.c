/*
 * store_sqlite_log — the transparency log's index on SQLite: log ids per
 * account, and per log id the chain's entries with their log index.
 *
 * The index is a cache of the log with a promise: a row exists only for an
 * entry that is durable in the log. tlogsrv.c writes a row after each
 * append and repairs missing rows from the tiles at start, beginning at
 * the "indexed_below" mark kept in log_meta.
 */
#include <sodium.h>
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "store_sqlite.h"

#define LOG_COLS "log_id, seq, idx, type, subject, number, commitment, entry"

int
store_log_id(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    uint8_t log_id[STORE_ID_LEN])
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	uint8_t fresh[STORE_ID_LEN];
	int ret = -1, r, tries;

	/* Read first: the id exists for every account that logged before. */
	for (tries = 0; tries < 3; tries++) {
		if ((s = sq_prep(c, "SELECT log_id FROM log_ids WHERE account_id = ?")) == NULL)
			goto out;
		sqlite3_bind_blob(s, 1, account_id, STORE_ID_LEN, SQLITE_STATIC);
		r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			ret = sq_col_fixed(s, 0, log_id, STORE_ID_LEN);
			sqlite3_reset(s);
			goto out;
		}
		sqlite3_reset(s);
		if (r != SQLITE_DONE) {
			sq_log(c, "log_id");
			goto out;
		}
		/* None yet: a random one. OR IGNORE lets a concurrent first use
		 * win; a (2^-128) clash with another account's id is retried. */
		randombytes_buf(fresh, sizeof(fresh));
		if ((s = sq_prep(c, "INSERT OR IGNORE INTO log_ids (account_id, log_id)"
		    " VALUES (?, ?)")) == NULL)
			goto out;
		sqlite3_bind_blob(s, 1, account_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, fresh, STORE_ID_LEN, SQLITE_STATIC);
		if (sq_write1(st, c, s, NULL) != 0)
			goto out;
	}
	log_err("store", "op=log_id err=\"no log id after 3 tries\"");
out:
	sq_put(st, c);
	return ret;
}

/* Raise the mark inside an open write transaction. */
static int
mark_raise(struct sq_conn *c, uint64_t below)
{
	sqlite3_stmt *s = sq_prep(c, "UPDATE log_meta SET v = ? WHERE k = 'indexed_below'"
	    " AND v < ?");
	int r;

	if (s == NULL)
		return -1;
	sqlite3_bind_int64(s, 1, (int64_t)below);
	sqlite3_bind_int64(s, 2, (int64_t)below);
	r = sq_exec(c, s);
	sqlite3_reset(s);
	return r;
}

int
store_log_put(struct store *st, const struct store_log_entry *e,
    uint64_t indexed_below)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int r = -1;

	if (e->seq > INT64_MAX || e->index > INT64_MAX || e->number > INT64_MAX)
		goto out;
	if (sq_begin(st, c) != 0)
		goto out;
	if ((s = sq_prep(c, "INSERT INTO log_entries (" LOG_COLS ")"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, e->log_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)e->seq);
	sqlite3_bind_int64(s, 3, (int64_t)e->index);
	sqlite3_bind_int(s, 4, e->type);
	sqlite3_bind_blob(s, 5, e->subject, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (int64_t)e->number);
	sqlite3_bind_blob(s, 7, e->commitment, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 8, e->entry, STORE_LOG_ENTRY_LEN, SQLITE_STATIC);
	r = sq_exec(c, s);
	sqlite3_reset(s);
	if (r == 0)
		r = mark_raise(c, indexed_below);
end:
	if (sq_end(st, c, r) != 0 && r == 0)
		r = -1;
out:
	sq_put(st, c);
	return r;
}

int
store_log_mark(struct store *st, uint64_t indexed_below)
{
	struct sq_conn *c = sq_get(st);
	int r = -1;

	if (indexed_below <= INT64_MAX && sq_begin(st, c) == 0) {
		r = mark_raise(c, indexed_below);
		if (sq_end(st, c, r) != 0)
			r = -1;
	}
	sq_put(st, c);
	return r;
}

int
store_log_indexed_below(struct store *st, uint64_t *mark)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "SELECT v FROM log_meta WHERE k = 'indexed_below'")) != NULL) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int64(s, 0) >= 0) {
			*mark = (uint64_t)sqlite3_column_int64(s, 0);
			ret = 0;
		} else
			sq_log(c, "log_mark");
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}

static int
entry_row(sqlite3_stmt *s, struct store_log_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (sq_col_fixed(s, 0, e->log_id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 4, e->subject, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 6, e->commitment, STORE_HASH_LEN) != 0 ||
	    sq_col_fixed(s, 7, e->entry, STORE_LOG_ENTRY_LEN) != 0 ||
	    sqlite3_column_int64(s, 1) < 0 || sqlite3_column_int64(s, 2) < 0 ||
	    sqlite3_column_int64(s, 5) < 0)
		return -1;
	e->seq = (uint64_t)sqlite3_column_int64(s, 1);
	e->index = (uint64_t)sqlite3_column_int64(s, 2);
	e->type = sqlite3_column_int(s, 3);
	e->number = (uint64_t)sqlite3_column_int64(s, 5);
	return 0;
}

/* One row from a prepared query whose first parameter is bound. */
static int
one_row(struct sq_conn *c, sqlite3_stmt *s, struct store_log_entry *e)
{
	int r = sqlite3_step(s), ret = -1;

	if (r == SQLITE_ROW)
		ret = entry_row(s, e) == 0 ? STORE_OK : STORE_ERR;
	else if (r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "log_row");
	sqlite3_reset(s);
	return ret;
}

int
store_log_last(struct store *st, const uint8_t log_id[STORE_ID_LEN],
    struct store_log_entry *e)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "SELECT " LOG_COLS " FROM log_entries WHERE log_id = ?"
	    " ORDER BY seq DESC LIMIT 1")) != NULL) {
		sqlite3_bind_blob(s, 1, log_id, STORE_ID_LEN, SQLITE_STATIC);
		ret = one_row(c, s, e);
	}
	sq_put(st, c);
	return ret;
}

int
store_log_list(struct store *st, const uint8_t log_id[STORE_ID_LEN],
    int64_t after_seq, unsigned limit, store_log_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	struct store_log_entry e;
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT " LOG_COLS " FROM log_entries WHERE log_id = ?"
	    " AND seq > ? ORDER BY seq LIMIT ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, log_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, after_seq);
	sqlite3_bind_int64(s, 3, limit);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (entry_row(s, &e) != 0) {
			log_err("store", "op=log_list err=\"malformed row\"");
			break;
		}
		if (fn(cookie, &e) != 0)
			break;
	}
	if (r == SQLITE_DONE)
		ret = 0;
	else if (r != SQLITE_ROW)
		sq_log(c, "log_list");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_log_find(struct store *st, const uint8_t log_id[STORE_ID_LEN], int type,
    const uint8_t subject[STORE_ID_LEN], uint64_t number,
    const uint8_t commitment[STORE_HASH_LEN], struct store_log_entry *e)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if (number > INT64_MAX)
		goto out;
	if ((s = sq_prep(c, "SELECT " LOG_COLS " FROM log_entries WHERE log_id = ?"
	    " AND type = ? AND subject = ? AND number = ? AND commitment = ?"
	    " ORDER BY seq DESC LIMIT 1")) != NULL) {
		sqlite3_bind_blob(s, 1, log_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, type);
		sqlite3_bind_blob(s, 3, subject, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, (int64_t)number);
		sqlite3_bind_blob(s, 5, commitment, STORE_HASH_LEN, SQLITE_STATIC);
		ret = one_row(c, s, e);
	}
out:
	sq_put(st, c);
	return ret;
}
