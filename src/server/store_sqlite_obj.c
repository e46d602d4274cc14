/* store_sqlite_obj — sealed object rows, retention and the blob trash on SQLite. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_sqlite.h"

#define OBJECT_COLS "camera_id, kind, seq, start_ms, duration_ms, epoch, flags," \
	" size, content_id, blob_key"

static int
object_row(sqlite3_stmt *s, struct store_object *o)
{
	memset(o, 0, sizeof(*o));
	if (sq_col_fixed(s, 0, o->camera_id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 8, o->content_id, STORE_HASH_LEN) != 0 ||
	    sq_col_fixed(s, 9, o->blob_key, STORE_HASH_LEN) != 0)
		return -1;
	o->kind = sqlite3_column_int(s, 1);
	o->seq = (uint64_t)sqlite3_column_int64(s, 2);
	o->start_ms = sqlite3_column_int64(s, 3);
	o->duration_ms = sqlite3_column_int64(s, 4);
	o->epoch = (uint64_t)sqlite3_column_int64(s, 5);
	o->flags = (uint32_t)sqlite3_column_int64(s, 6);
	o->size = (uint64_t)sqlite3_column_int64(s, 7);
	return 0;
}

int
store_object_get(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    int kind, uint64_t seq, struct store_object *o)
{
	struct sq_conn *c;
	sqlite3_stmt *s;
	int ret = -1, r;

	if (seq > INT64_MAX)
		return STORE_NOTFOUND;
	c = sq_get(st);
	if ((s = sq_prep(c, "SELECT " OBJECT_COLS " FROM objects WHERE camera_id = ?"
	    " AND kind = ? AND seq = ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, kind);
	sqlite3_bind_int64(s, 3, (int64_t)seq);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		ret = object_row(s, o);
	else if (r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "object_get");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

/* Insert one row and bump its camera's totals, inside an open transaction. */
static int
object_insert(struct sq_conn *c, const struct store_object *o, int64_t now_ms)
{
	sqlite3_stmt *s;
	int r;

	if (o->seq > INT64_MAX || o->size > INT64_MAX || o->epoch > INT64_MAX)
		return -1;
	/* The camera first: deleted while its upload was in flight? */
	if ((s = sq_prep(c, "SELECT 1 FROM cameras WHERE id = ?")) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, o->camera_id, STORE_ID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	sqlite3_reset(s);
	if (r == SQLITE_DONE)
		return STORE_NOTFOUND;
	if (r != SQLITE_ROW)
		return -1;
	if ((s = sq_prep(c, "INSERT INTO objects (" OBJECT_COLS ", created_ms)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, o->camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, o->kind);
	sqlite3_bind_int64(s, 3, (int64_t)o->seq);
	sqlite3_bind_int64(s, 4, o->start_ms);
	sqlite3_bind_int64(s, 5, o->duration_ms);
	sqlite3_bind_int64(s, 6, (int64_t)o->epoch);
	sqlite3_bind_int64(s, 7, o->flags);
	sqlite3_bind_int64(s, 8, (int64_t)o->size);
	sqlite3_bind_blob(s, 9, o->content_id, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 10, o->blob_key, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 11, now_ms);
	r = sq_exec(c, s);
	sqlite3_reset(s);
	if (r != 0)
		return -1;
	if (sqlite3_changes(c->db) == 0)
		return STORE_EXISTS;      /* (camera, kind, seq) taken */
	if ((s = sq_prep(c, "UPDATE cameras SET bytes = bytes + ?2, objects = objects + 1,"
	    " latest_segment = CASE WHEN ?3 = 1 THEN max(latest_segment, ?4) ELSE latest_segment END,"
	    " latest_thumbnail = CASE WHEN ?3 = 3 THEN max(latest_thumbnail, ?4) ELSE latest_thumbnail END,"
	    " last_seen_ms = max(last_seen_ms, ?5) WHERE id = ?1")) == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, o->camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)o->size);
	sqlite3_bind_int(s, 3, o->kind);
	sqlite3_bind_int64(s, 4, (int64_t)o->seq);
	sqlite3_bind_int64(s, 5, now_ms);
	r = sq_exec(c, s);
	sqlite3_reset(s);
	return r == 0 ? STORE_OK : -1;
}

int
store_object_put_many(struct store *st, const struct store_object *const *objs,
    size_t n, int64_t now_ms, int *results)
{
	struct sq_conn *c = sq_get(st);
	int ok = -1;

	for (size_t i = 0; i < n; i++)
		results[i] = STORE_ERR;
	if (sq_begin(st, c) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		/* A row's own failure (-1) fails the batch: nothing half-done. */
		if ((results[i] = object_insert(c, objs[i], now_ms)) == STORE_ERR) {
			sq_end(st, c, -1);
			goto fail;
		}
	}
	if (sq_end(st, c, 0) == 0) {
		ok = 0;
		goto out;
	}
fail:
	for (size_t i = 0; i < n; i++)
		results[i] = STORE_ERR;
out:
	sq_put(st, c);
	return ok;
}

int
store_object_put(struct store *st, const struct store_object *o, int64_t now_ms)
{
	int r;

	if (store_object_put_many(st, &o, 1, now_ms, &r) != 0)
		return STORE_ERR;
	return r;
}

int
store_object_list(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    int kind, int64_t from_ms, int64_t to_ms, int64_t after_seq,
    unsigned limit, store_object_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	/* Overlap of [start, start + duration) with [from, to). */
	if ((s = sq_prep(c, "SELECT " OBJECT_COLS " FROM objects WHERE camera_id = ?"
	    " AND kind = ? AND seq > ? AND start_ms < ? AND start_ms + duration_ms > ?"
	    " ORDER BY seq LIMIT ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, kind);
	sqlite3_bind_int64(s, 3, after_seq);
	sqlite3_bind_int64(s, 4, to_ms);
	sqlite3_bind_int64(s, 5, from_ms);
	sqlite3_bind_int64(s, 6, limit);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_object o;

		if (object_row(s, &o) != 0 || fn(cookie, &o) != 0)
			break;
	}
	if (r == SQLITE_DONE)
		ret = 0;
	else if (r != SQLITE_ROW)
		sq_log(c, "object_list");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_object_totals(struct store *st, uint64_t *objects, uint64_t *bytes)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	/* The cameras table keeps running totals: no scan of objects. */
	if ((s = sq_prep(c, "SELECT coalesce(sum(objects), 0), coalesce(sum(bytes), 0)"
	    " FROM cameras")) != NULL) {
		if (sqlite3_step(s) == SQLITE_ROW) {
			*objects = (uint64_t)sqlite3_column_int64(s, 0);
			*bytes = (uint64_t)sqlite3_column_int64(s, 1);
			ret = 0;
		}
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}

/* --- retention ------------------------------------------------------------ */

struct victim {
	int kind;
	int64_t seq;
	int64_t size;
	uint8_t key[STORE_HASH_LEN];
};

/* Select up to limit victims with sql (binds ?1 camera, ?2 bound, ?3 limit). */
static int
pick(struct sq_conn *c, const char *sql, const uint8_t *cam, int64_t bound,
    unsigned limit, struct victim *v, unsigned *n)
{
	sqlite3_stmt *s = sq_prep(c, sql);
	int r;

	*n = 0;
	if (s == NULL)
		return -1;
	sqlite3_bind_blob(s, 1, cam, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, bound);
	sqlite3_bind_int64(s, 3, limit);
	while ((r = sqlite3_step(s)) == SQLITE_ROW && *n < limit) {
		v[*n].kind = sqlite3_column_int(s, 0);
		v[*n].seq = sqlite3_column_int64(s, 1);
		v[*n].size = sqlite3_column_int64(s, 2);
		if (sq_col_fixed(s, 3, v[*n].key, STORE_HASH_LEN) != 0)
			break;
		(*n)++;
	}
	sqlite3_reset(s);
	return (r == SQLITE_DONE || r == SQLITE_ROW) ? 0 : -1;
}

/* Move victims to the trash and delete their rows; returns bytes freed or -1. */
static int64_t
evict(struct sq_conn *c, const uint8_t *cam, const struct victim *v, unsigned n,
    int64_t now_ms)
{
	int64_t freed = 0;

	for (unsigned i = 0; i < n; i++) {
		sqlite3_stmt *s = sq_prep(c, "INSERT OR IGNORE INTO trash (blob_key,"
		    " queued_ms) VALUES (?, ?)");
		if (s == NULL)
			return -1;
		sqlite3_bind_blob(s, 1, v[i].key, STORE_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, now_ms);
		if (sq_exec(c, s) != 0)
			return -1;
		sqlite3_reset(s);
		if ((s = sq_prep(c, "DELETE FROM objects WHERE camera_id = ? AND kind = ?"
		    " AND seq = ?")) == NULL)
			return -1;
		sqlite3_bind_blob(s, 1, cam, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int(s, 2, v[i].kind);
		sqlite3_bind_int64(s, 3, v[i].seq);
		if (sq_exec(c, s) != 0)
			return -1;
		sqlite3_reset(s);
		freed += v[i].size;
	}
	return freed;
}

int
store_retention_apply(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    int64_t now_ms, unsigned limit, unsigned *n)
{
	struct sq_conn *c;
	struct victim *v;
	sqlite3_stmt *s;
	int64_t days, max_bytes, bytes, freed;
	unsigned got = 0, total = 0;
	int r = -1;

	*n = 0;
	if (limit == 0)
		return 0;
	if ((v = calloc(limit, sizeof(*v))) == NULL)
		return -1;
	c = sq_get(st);
	if (sq_begin(st, c) != 0)
		goto out;
	if ((s = sq_prep(c, "SELECT ret_days, ret_max_bytes, bytes FROM cameras"
	    " WHERE id = ?")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		r = STORE_NOTFOUND;
		goto end;
	}
	days = sqlite3_column_int64(s, 0);
	max_bytes = sqlite3_column_int64(s, 1);
	bytes = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);

	/* Days: a promise to the owner that older footage is gone, event or
	 * not. */
	if (days > 0) {
		if (pick(c, "SELECT kind, seq, size, blob_key FROM objects"
		    " WHERE camera_id = ?1 AND start_ms < ?2 ORDER BY start_ms LIMIT ?3",
		    camera_id, now_ms - days * 86400000, limit, v, &got) != 0 ||
		    (freed = evict(c, camera_id, v, got, now_ms)) < 0)
			goto end;
		bytes -= freed;
		total += got;
	}
	/* Bytes: continuous footage first, then event footage, oldest first. */
	while (max_bytes > 0 && bytes > max_bytes && total < limit) {
		unsigned want = limit - total, i;
		int64_t over = bytes - max_bytes, acc = 0;

		if (pick(c, "SELECT kind, seq, size, blob_key FROM objects"
		    " WHERE camera_id = ?1 AND ?2 = ?2 ORDER BY (flags & 1), start_ms LIMIT ?3",
		    camera_id, 0, want, v, &got) != 0)
			goto end;
		if (got == 0)
			break;
		/* Only as many as needed to get under the limit. */
		for (i = 0; i < got && acc < over; i++)
			acc += v[i].size;
		if ((freed = evict(c, camera_id, v, i, now_ms)) < 0)
			goto end;
		bytes -= freed;
		total += i;
	}
	if (total > 0) {
		if ((s = sq_prep(c, "UPDATE cameras SET"
		    " bytes = (SELECT coalesce(sum(size), 0) FROM objects WHERE camera_id = ?1),"
		    " objects = (SELECT count(*) FROM objects WHERE camera_id = ?1),"
		    " latest_segment = coalesce((SELECT max(seq) FROM objects"
		    "  WHERE camera_id = ?1 AND kind = 1), -1),"
		    " latest_thumbnail = coalesce((SELECT max(seq) FROM objects"
		    "  WHERE camera_id = ?1 AND kind = 3), -1) WHERE id = ?1")) == NULL)
			goto end;
		sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
		if (sq_exec(c, s) != 0) {
			sqlite3_reset(s);
			goto end;
		}
		sqlite3_reset(s);
	}
	r = 0;
end:
	if (sq_end(st, c, r) != 0 && r == 0)
		r = -1;
	if (r == 0)
		*n = total;
out:
	sq_put(st, c);
	free(v);
	return r;
}

int
store_retention_cameras(struct store *st, store_id_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT id FROM cameras WHERE ret_days > 0"
	    " OR ret_max_bytes > 0")) == NULL)
		goto out;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		uint8_t id[STORE_ID_LEN];
		if (sq_col_fixed(s, 0, id, sizeof(id)) != 0 || fn(cookie, id) != 0)
			break;
	}
	if (r == SQLITE_DONE)
		ret = 0;
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_trash_list(struct store *st, unsigned limit, store_key_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT blob_key FROM trash ORDER BY queued_ms LIMIT ?")) == NULL)
		goto out;
	sqlite3_bind_int64(s, 1, limit);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		uint8_t key[STORE_HASH_LEN];
		if (sq_col_fixed(s, 0, key, sizeof(key)) != 0 || fn(cookie, key) != 0)
			break;
	}
	if (r == SQLITE_DONE)
		ret = 0;
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_trash_remove(struct store *st, const uint8_t key[STORE_HASH_LEN])
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "DELETE FROM trash WHERE blob_key = ?")) != NULL) {
		sqlite3_bind_blob(s, 1, key, STORE_HASH_LEN, SQLITE_STATIC);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

int
store_blob_referenced(struct store *st, const uint8_t key[STORE_HASH_LEN])
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT 1 FROM objects WHERE blob_key = ? LIMIT 1")) != NULL) {
		sqlite3_bind_blob(s, 1, key, STORE_HASH_LEN, SQLITE_STATIC);
		r = sqlite3_step(s);
		ret = r == SQLITE_ROW ? 1 : r == SQLITE_DONE ? 0 : -1;
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}
