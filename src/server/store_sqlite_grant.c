/*
 * store_sqlite_grant — staff principals, consent grants and staff accesses
 * on SQLite (store.h). The documents themselves (directory records, signed
 * grants and revocations, access records) are kept verbatim: the clients
 * verify them, the columns beside them are only for finding rows.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_sqlite.h"

/* --- staff principals ------------------------------------------------------- */

#define STAFF_COLS "principal_id, account_id, role, name, box_pk, sign_pk, state," \
	" record, changed_ms"

static int
staff_row(sqlite3_stmt *s, struct store_staff *p)
{
	const unsigned char *name = sqlite3_column_text(s, 3);
	int n = sqlite3_column_bytes(s, 7);

	memset(p, 0, sizeof(*p));
	if (sq_col_fixed(s, 0, p->principal_id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 1, p->account_id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 4, p->box_pk, STORE_PK_LEN) != 0 ||
	    sq_col_fixed(s, 5, p->sign_pk, STORE_PK_LEN) != 0 ||
	    name == NULL || strlen((const char *)name) > STORE_STAFF_NAME_MAX ||
	    n < 0 || (size_t)n > sizeof(p->record))
		return -1;
	p->role = sqlite3_column_int(s, 2);
	memcpy(p->name, name, strlen((const char *)name) + 1);
	p->state = sqlite3_column_int(s, 6);
	if (n > 0)
		memcpy(p->record, sqlite3_column_blob(s, 7), (size_t)n);
	p->record_len = (size_t)n;
	p->changed_ms = sqlite3_column_int64(s, 8);
	return 0;
}

int
store_staff_add(struct store *st, const struct store_staff *p)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "INSERT INTO staff (" STAFF_COLS ") VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, ?, ?)")) != NULL) {
		sqlite3_bind_blob(s, 1, p->principal_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, p->account_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 3, p->role);
		sqlite3_bind_text(s, 4, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_blob(s, 5, p->box_pk, STORE_PK_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 6, p->sign_pk, STORE_PK_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 7, STORE_STAFF_ADDING);
		sqlite3_bind_blob(s, 8, p->record, (int)p->record_len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 9, p->changed_ms);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

static int
staff_one(struct store *st, const char *sql, const uint8_t *key, struct store_staff *p)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, sql)) != NULL) {
		sqlite3_bind_blob(s, 1, key, STORE_ID_LEN, SQLITE_STATIC);
		r = sqlite3_step(s);
		if (r == SQLITE_ROW)
			ret = staff_row(s, p);
		else if (r == SQLITE_DONE)
			ret = STORE_NOTFOUND;
		else
			sq_log(c, "staff_get");
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}

int
store_staff_get(struct store *st, const uint8_t principal_id[STORE_ID_LEN],
    struct store_staff *p)
{
	return staff_one(st, "SELECT " STAFF_COLS " FROM staff WHERE principal_id = ?",
	    principal_id, p);
}

int
store_staff_by_account(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    struct store_staff *p)
{
	return staff_one(st, "SELECT " STAFF_COLS " FROM staff WHERE account_id = ?"
	    " AND state != 3", account_id, p);
}

int
store_staff_transition(struct store *st, const uint8_t principal_id[STORE_ID_LEN],
    int from, int to, const uint8_t *record, size_t record_len, int64_t now_ms)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, n = 0;

	if ((s = sq_prep(c, "UPDATE staff SET state = ?, record = coalesce(?, record),"
	    " changed_ms = ? WHERE principal_id = ? AND state = ?")) != NULL) {
		sqlite3_bind_int(s, 1, to);
		if (record != NULL)
			sqlite3_bind_blob(s, 2, record, (int)record_len, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 2);
		sqlite3_bind_int64(s, 3, now_ms);
		sqlite3_bind_blob(s, 4, principal_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, from);
		ret = sq_write1(st, c, s, &n);
		if (ret == 0 && n == 0)
			ret = STORE_CONFLICT;
	}
	sq_put(st, c);
	return ret;
}

int
store_staff_list(struct store *st, int pending_only, store_staff_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	struct store_staff p;
	sqlite3_stmt *s;
	int ret = -1, r;

	s = pending_only ?
	    sq_prep(c, "SELECT " STAFF_COLS " FROM staff WHERE state IN (0, 2)"
	    " ORDER BY changed_ms") :
	    sq_prep(c, "SELECT " STAFF_COLS " FROM staff ORDER BY changed_ms");
	if (s == NULL)
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (staff_row(s, &p) != 0)
			goto done;
		if (fn(cookie, &p) != 0) {
			ret = 0;
			goto done;
		}
	}
	if (r == SQLITE_DONE)
		ret = 0;
	else
		sq_log(c, "staff_list");
done:
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_session_delete_account(struct store *st, const uint8_t account_id[STORE_ID_LEN])
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "DELETE FROM sessions WHERE account_id = ?")) != NULL) {
		sqlite3_bind_blob(s, 1, account_id, STORE_ID_LEN, SQLITE_STATIC);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

/* --- grants ------------------------------------------------------------------ */

#define GRANT_COLS "id, owner, camera_id, grantee, mode, from_ms, until_ms, created_ms," \
	" expires_ms, state, revoked_ms, revocation, blob_key, blob_size, doc"

/* A row; g->doc points into the statement (valid until the next step). */
static int
grant_row(sqlite3_stmt *s, struct store_grant *g)
{
	int n;

	memset(g, 0, sizeof(*g));
	if (sq_col_fixed(s, 0, g->id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 1, g->owner, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 2, g->camera_id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 3, g->grantee, STORE_ID_LEN) != 0)
		return -1;
	g->mode = sqlite3_column_int(s, 4);
	g->from_ms = sqlite3_column_int64(s, 5);
	g->until_ms = sqlite3_column_int64(s, 6);
	g->created_ms = sqlite3_column_int64(s, 7);
	g->expires_ms = sqlite3_column_int64(s, 8);
	g->state = sqlite3_column_int(s, 9);
	g->revoked_ms = sqlite3_column_int64(s, 10);
	if (sqlite3_column_type(s, 11) != SQLITE_NULL) {
		if (sq_col_fixed(s, 11, g->revocation, STORE_REVOCATION_LEN) != 0)
			return -1;
		g->has_revocation = 1;
	}
	if (sqlite3_column_type(s, 12) != SQLITE_NULL) {
		if (sq_col_fixed(s, 12, g->blob_key, STORE_HASH_LEN) != 0)
			return -1;
		g->has_blob = 1;
	}
	g->blob_size = (uint64_t)sqlite3_column_int64(s, 13);
	n = sqlite3_column_bytes(s, 14);
	if (n <= 0 || n > STORE_GRANT_DOC_MAX)
		return -1;
	g->doc = (uint8_t *)(uintptr_t)sqlite3_column_blob(s, 14);
	g->doc_len = (size_t)n;
	return 0;
}

int
store_grant_create(struct store *st, const struct store_grant *g)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "INSERT INTO grants (id, owner, camera_id, grantee, mode,"
	    " from_ms, until_ms, created_ms, expires_ms, state, doc) VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)")) != NULL) {
		sqlite3_bind_blob(s, 1, g->id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, g->owner, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, g->camera_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 4, g->grantee, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 5, g->mode);
		sqlite3_bind_int64(s, 6, g->from_ms);
		sqlite3_bind_int64(s, 7, g->until_ms);
		sqlite3_bind_int64(s, 8, g->created_ms);
		sqlite3_bind_int64(s, 9, g->expires_ms);
		sqlite3_bind_blob(s, 10, g->doc, (int)g->doc_len, SQLITE_STATIC);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

int
store_grant_activate(struct store *st, const uint8_t id[STORE_ID_LEN],
    const uint8_t *blob_key, uint64_t blob_size)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, n = 0;

	if ((s = sq_prep(c, "UPDATE grants SET state = 1, blob_key = ?, blob_size = ?"
	    " WHERE id = ? AND state = 0")) != NULL) {
		if (blob_key != NULL)
			sqlite3_bind_blob(s, 1, blob_key, STORE_HASH_LEN, SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 1);
		sqlite3_bind_int64(s, 2, (int64_t)blob_size);
		sqlite3_bind_blob(s, 3, id, STORE_ID_LEN, SQLITE_STATIC);
		ret = sq_write1(st, c, s, &n);
		if (ret == 0 && n == 0)
			ret = STORE_CONFLICT;
	}
	sq_put(st, c);
	return ret;
}

int
store_grant_delete_pending(struct store *st, const uint8_t id[STORE_ID_LEN])
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "DELETE FROM grants WHERE id = ? AND state = 0")) != NULL) {
		sqlite3_bind_blob(s, 1, id, STORE_ID_LEN, SQLITE_STATIC);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

int
store_grant_get(struct store *st, const uint8_t id[STORE_ID_LEN], struct store_grant *g)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	uint8_t *doc;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT " GRANT_COLS " FROM grants WHERE id = ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, id, STORE_ID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		if (grant_row(s, g) == 0 && (doc = malloc(g->doc_len)) != NULL) {
			memcpy(doc, g->doc, g->doc_len);
			g->doc = doc;
			ret = 0;
		} else {
			memset(g, 0, sizeof(*g));
		}
	} else if (r == SQLITE_DONE) {
		ret = STORE_NOTFOUND;
	} else {
		sq_log(c, "grant_get");
	}
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

void
store_grant_clear(struct store_grant *g)
{
	if (g == NULL)
		return;
	free(g->doc);
	memset(g, 0, sizeof(*g));
}

int
store_grant_revoke(struct store *st, const uint8_t id[STORE_ID_LEN],
    const uint8_t rev[STORE_REVOCATION_LEN], int64_t revoked_ms)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int r = -1;

	if (sq_begin(st, c) != 0)
		goto out;
	/* The derivative (if any) goes to the trash in the same transaction. */
	if ((s = sq_prep(c, "INSERT OR IGNORE INTO trash (blob_key, queued_ms)"
	    " SELECT blob_key, ? FROM grants WHERE id = ? AND state = 1"
	    " AND blob_key IS NOT NULL")) == NULL)
		goto end;
	sqlite3_bind_int64(s, 1, revoked_ms);
	sqlite3_bind_blob(s, 2, id, STORE_ID_LEN, SQLITE_STATIC);
	r = sq_exec(c, s);
	sqlite3_reset(s);
	if (r != 0)
		goto end;
	if ((s = sq_prep(c, "UPDATE grants SET state = 2, revocation = ?, revoked_ms = ?,"
	    " blob_key = NULL WHERE id = ? AND state = 1")) == NULL) {
		r = -1;
		goto end;
	}
	sqlite3_bind_blob(s, 1, rev, STORE_REVOCATION_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, revoked_ms);
	sqlite3_bind_blob(s, 3, id, STORE_ID_LEN, SQLITE_STATIC);
	r = sq_exec(c, s);
	if (r == 0 && sqlite3_changes(c->db) == 0)
		r = STORE_CONFLICT;
	sqlite3_reset(s);
end:
	if (sq_end(st, c, r) != 0 && r == 0)
		r = -1;
out:
	sq_put(st, c);
	return r;
}

int
store_grant_list(struct store *st, const uint8_t *owner, const uint8_t *grantee,
    store_grant_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	struct store_grant g;
	sqlite3_stmt *s;
	int ret = -1, r;

	s = owner != NULL ?
	    sq_prep(c, "SELECT " GRANT_COLS " FROM grants WHERE owner = ? AND state != 0"
	    " ORDER BY created_ms DESC") :
	    sq_prep(c, "SELECT " GRANT_COLS " FROM grants WHERE grantee = ? AND state != 0"
	    " ORDER BY created_ms DESC");
	if (s == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, owner != NULL ? owner : grantee, STORE_ID_LEN, SQLITE_STATIC);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (grant_row(s, &g) != 0)
			goto done;
		if (fn(cookie, &g) != 0) {
			ret = 0;
			goto done;
		}
	}
	if (r == SQLITE_DONE)
		ret = 0;
	else
		sq_log(c, "grant_list");
done:
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

/* --- accesses ----------------------------------------------------------------- */

#define ACCESS_COLS "seq, id, grant_id, owner, principal, time_ms, log_index, record"

static int
access_row(sqlite3_stmt *s, struct store_access *a)
{
	int n = sqlite3_column_bytes(s, 7);

	if (sq_col_fixed(s, 1, a->id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 2, a->grant_id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 3, a->owner, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 4, a->principal, STORE_ID_LEN) != 0 ||
	    n <= 0 || (size_t)n > sizeof(a->record))
		return -1;
	a->seq = sqlite3_column_int64(s, 0);
	a->time_ms = sqlite3_column_int64(s, 5);
	a->log_index = (uint64_t)sqlite3_column_int64(s, 6);
	memcpy(a->record, sqlite3_column_blob(s, 7), (size_t)n);
	a->record_len = (size_t)n;
	return 0;
}

int
store_access_put(struct store *st, struct store_access *a)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if (a->log_index > INT64_MAX)
		goto out;
	if ((s = sq_prep(c, "INSERT INTO accesses (id, grant_id, owner, principal, time_ms,"
	    " log_index, record) VALUES (?, ?, ?, ?, ?, ?, ?)")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, a->id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, a->grant_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, a->owner, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, a->principal, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, a->time_ms);
	sqlite3_bind_int64(s, 6, (int64_t)a->log_index);
	sqlite3_bind_blob(s, 7, a->record, (int)a->record_len, SQLITE_STATIC);
	/* The writer mutex covers the insert and reading its rowid. */
	if (sq_begin(st, c) != 0)
		goto out;
	ret = sq_exec(c, s);
	sqlite3_reset(s);
	if (ret == 0)
		a->seq = sqlite3_last_insert_rowid(c->db);
	if (sq_end(st, c, ret) != 0 && ret == 0)
		ret = -1;
out:
	sq_put(st, c);
	return ret;
}

int
store_access_get(struct store *st, const uint8_t id[STORE_ID_LEN], struct store_access *a)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT " ACCESS_COLS " FROM accesses WHERE id = ?")) != NULL) {
		sqlite3_bind_blob(s, 1, id, STORE_ID_LEN, SQLITE_STATIC);
		r = sqlite3_step(s);
		if (r == SQLITE_ROW)
			ret = access_row(s, a);
		else if (r == SQLITE_DONE)
			ret = STORE_NOTFOUND;
		else
			sq_log(c, "access_get");
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}

int
store_access_list(struct store *st, const uint8_t owner[STORE_ID_LEN],
    int64_t after_seq, unsigned limit, store_access_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	struct store_access *a = malloc(sizeof(*a));
	sqlite3_stmt *s;
	int ret = -1, r;

	if (a == NULL || (s = sq_prep(c, "SELECT " ACCESS_COLS " FROM accesses"
	    " WHERE owner = ? AND seq > ? ORDER BY seq LIMIT ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, owner, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, after_seq);
	sqlite3_bind_int(s, 3, (int)limit);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (access_row(s, a) != 0)
			goto done;
		if (fn(cookie, a) != 0) {
			ret = 0;
			goto done;
		}
	}
	if (r == SQLITE_DONE)
		ret = 0;
	else
		sq_log(c, "access_list");
done:
	sqlite3_reset(s);
out:
	free(a);
	sq_put(st, c);
	return ret;
}

int
store_access_count(struct store *st, const uint8_t grant_id[STORE_ID_LEN], uint64_t *n)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "SELECT count(*) FROM accesses WHERE grant_id = ?")) != NULL) {
		sqlite3_bind_blob(s, 1, grant_id, STORE_ID_LEN, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			*n = (uint64_t)sqlite3_column_int64(s, 0);
			ret = 0;
		} else
			sq_log(c, "access_count");
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}

int
store_access_last(struct store *st, const uint8_t owner[STORE_ID_LEN], int64_t *seq)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "SELECT coalesce(max(seq), -1) FROM accesses WHERE owner = ?"))
	    != NULL) {
		sqlite3_bind_blob(s, 1, owner, STORE_ID_LEN, SQLITE_STATIC);
		if (sqlite3_step(s) == SQLITE_ROW) {
			*seq = sqlite3_column_int64(s, 0);
			ret = 0;
		} else
			sq_log(c, "access_last");
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}
