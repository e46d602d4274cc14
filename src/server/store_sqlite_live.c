/*
 * store_sqlite_live — live views (store.h "live views"): one row per
 * viewer per live session, written when the view starts (before any
 * footage flows) and completed when it ends.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store_sqlite.h"

int
store_live_view_begin(struct store *st, const struct store_live_view *v,
    int64_t *id)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int r = -1;

	if ((s = sq_prep(c, "INSERT INTO live_views (camera_id, account_id,"
	    " session_id, started_ms) VALUES (?, ?, ?, ?)")) != NULL) {
		sqlite3_bind_blob(s, 1, v->camera_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, v->account_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, v->session_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, v->started_ms);
		r = sq_write1(st, c, s, NULL);
		if (r == 0)
			*id = sqlite3_last_insert_rowid(c->db);
	}
	sq_put(st, c);
	return r;
}

int
store_live_view_end(struct store *st, int64_t id, int64_t ended_ms,
    uint64_t bytes)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int r = -1;

	if ((s = sq_prep(c, "UPDATE live_views SET ended_ms = ?, bytes = ?"
	    " WHERE id = ?")) != NULL) {
		sqlite3_bind_int64(s, 1, ended_ms);
		sqlite3_bind_int64(s, 2, (int64_t)(bytes > INT64_MAX ? INT64_MAX : bytes));
		sqlite3_bind_int64(s, 3, id);
		r = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return r;
}

int
store_live_view_list(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    unsigned limit, store_live_view_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int r = -1, step;

	if ((s = sq_prep(c, "SELECT v.account_id, coalesce(a.email, ''), v.session_id,"
	    " v.started_ms, coalesce(v.ended_ms, 0), v.bytes FROM live_views v"
	    " LEFT JOIN accounts a ON a.id = v.account_id WHERE v.camera_id = ?"
	    " ORDER BY v.started_ms DESC, v.id DESC LIMIT ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, (int)limit);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_live_view v;
		const unsigned char *e;

		memset(&v, 0, sizeof(v));
		memcpy(v.camera_id, camera_id, STORE_ID_LEN);
		if (sq_col_fixed(s, 0, v.account_id, STORE_ID_LEN) != 0 ||
		    sq_col_fixed(s, 2, v.session_id, STORE_ID_LEN) != 0)
			continue;
		e = sqlite3_column_text(s, 1);
		snprintf(v.email, sizeof(v.email), "%s", e ? (const char *)e : "");
		v.started_ms = sqlite3_column_int64(s, 3);
		v.ended_ms = sqlite3_column_int64(s, 4);
		v.bytes = (uint64_t)sqlite3_column_int64(s, 5);
		if (fn(cookie, &v) != 0)
			break;
	}
	r = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
	if (r != 0)
		sq_log(c, "live_view_list");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return r;
}
