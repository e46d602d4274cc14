/* store_sqlite_cam — pairings, cameras, keyrings and members on SQLite. */
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "store_sqlite.h"

static void
text_col(sqlite3_stmt *s, int col, char *out, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	size_t n = t ? strlen((const char *)t) : 0;

	if (n >= cap)
		n = cap - 1;
	memcpy(out, t ? (const char *)t : "", n);
	out[n] = '\0';
}

/* --- pairings ------------------------------------------------------------ */

int
store_pairing_create(struct store *st, const struct store_pairing *p,
    unsigned max_pending, int64_t now_ms)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int r = -1;

	if (sq_begin(st, c) != 0)
		goto out;
	/* Bound pending pairings per owner: they are cheap rows, but rows. */
	if ((s = sq_prep(c, "SELECT count(*) FROM pairings WHERE owner = ?"
	    " AND camera_id IS NULL AND expires_ms > ?")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, p->owner, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, now_ms);
	if (sqlite3_step(s) != SQLITE_ROW)
		goto end;
	if (sqlite3_column_int64(s, 0) >= max_pending) {
		sqlite3_reset(s);
		r = STORE_CONFLICT;
		goto end;
	}
	sqlite3_reset(s);
	if ((s = sq_prep(c, "INSERT INTO pairings (id, owner, name, created_ms,"
	    " expires_ms) VALUES (?, ?, ?, ?, ?)")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, p->id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, p->owner, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now_ms);
	sqlite3_bind_int64(s, 5, p->expires_ms);
	r = sq_exec(c, s);
	sqlite3_reset(s);
end:
	if (sq_end(st, c, r) != 0 && r == 0)
		r = -1;
out:
	sq_put(st, c);
	return r;
}

int
store_pairing_get(struct store *st, const uint8_t id[STORE_ID_LEN],
    struct store_pairing *p)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT owner, name, expires_ms, camera_id, camera_pk,"
	    " proof FROM pairings WHERE id = ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, id, STORE_ID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		memset(p, 0, sizeof(*p));
		memcpy(p->id, id, STORE_ID_LEN);
		ret = sq_col_fixed(s, 0, p->owner, STORE_ID_LEN);
		text_col(s, 1, p->name, sizeof(p->name));
		p->expires_ms = sqlite3_column_int64(s, 2);
		if (sqlite3_column_type(s, 3) == SQLITE_BLOB) {
			size_t n = (size_t)sqlite3_column_bytes(s, 5);
			p->registered = 1;
			if (sq_col_fixed(s, 3, p->camera_id, STORE_ID_LEN) != 0 ||
			    sq_col_fixed(s, 4, p->camera_pk, STORE_PK_LEN) != 0 ||
			    n > sizeof(p->proof))
				ret = -1;
			else {
				memcpy(p->proof, sqlite3_column_blob(s, 5), n);
				p->proof_len = n;
			}
		}
	} else if (r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "pairing_get");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_pairing_register(struct store *st, const uint8_t id[STORE_ID_LEN],
    const uint8_t camera_id[STORE_ID_LEN], const uint8_t camera_pk[STORE_PK_LEN],
    const uint8_t *proof, size_t proof_len,
    const uint8_t token_hash[STORE_HASH_LEN], int64_t now_ms)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	uint8_t owner[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	int r = -1, step;

	if (sq_begin(st, c) != 0)
		goto out;
	if ((s = sq_prep(c, "SELECT owner, name, expires_ms, camera_id IS NOT NULL"
	    " FROM pairings WHERE id = ?")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, id, STORE_ID_LEN, SQLITE_STATIC);
	step = sqlite3_step(s);
	if (step == SQLITE_DONE) {
		r = STORE_NOTFOUND;
	} else if (step != SQLITE_ROW || sq_col_fixed(s, 0, owner, sizeof(owner)) != 0) {
		r = -1;
	} else if (sqlite3_column_int(s, 3)) {
		r = STORE_CONFLICT;          /* one-time: already used */
	} else if (sqlite3_column_int64(s, 2) <= now_ms) {
		r = STORE_EXPIRED;
	} else {
		text_col(s, 1, name, sizeof(name));
		r = 0;
	}
	sqlite3_reset(s);
	if (r != 0)
		goto end;
	r = -1;
	if ((s = sq_prep(c, "INSERT INTO cameras (id, owner, name, pk, token_hash,"
	    " created_ms) VALUES (?, ?, ?, ?, ?, ?)")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, owner, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 4, camera_pk, STORE_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 5, token_hash, STORE_HASH_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, now_ms);
	r = sq_exec(c, s);           /* STORE_EXISTS: camera id already paired */
	sqlite3_reset(s);
	if (r != 0)
		goto end;
	r = -1;
	if ((s = sq_prep(c, "UPDATE pairings SET camera_id = ?, camera_pk = ?,"
	    " proof = ?, registered_ms = ? WHERE id = ?")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, camera_pk, STORE_PK_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 3, proof, (int)proof_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now_ms);
	sqlite3_bind_blob(s, 5, id, STORE_ID_LEN, SQLITE_STATIC);
	r = sq_exec(c, s);
	sqlite3_reset(s);
end:
	if (sq_end(st, c, r) != 0 && r == 0)
		r = -1;
out:
	sq_put(st, c);
	return r;
}

int
store_pairing_purge(struct store *st, int64_t before_ms)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	/* Registered pairings stay: the owner's client reads the proof. They
	 * go with the camera. Pending ones vanish a while after expiry. */
	if ((s = sq_prep(c, "DELETE FROM pairings WHERE camera_id IS NULL"
	    " AND expires_ms < ?")) != NULL) {
		sqlite3_bind_int64(s, 1, before_ms);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

/* --- cameras ------------------------------------------------------------- */

#define CAMERA_COLS "c.id, c.owner, c.name, c.pk, c.last_seen_ms, c.keyring_epoch," \
	" c.ret_days, c.ret_max_bytes, c.bytes, c.objects, c.latest_segment," \
	" c.latest_thumbnail"

static int
camera_row(sqlite3_stmt *s, struct store_camera *cam)
{
	memset(cam, 0, sizeof(*cam));
	if (sq_col_fixed(s, 0, cam->id, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 1, cam->owner, STORE_ID_LEN) != 0 ||
	    sq_col_fixed(s, 3, cam->pk, STORE_PK_LEN) != 0)
		return -1;
	text_col(s, 2, cam->name, sizeof(cam->name));
	cam->last_seen_ms = sqlite3_column_int64(s, 4);
	cam->keyring_epoch = (uint64_t)sqlite3_column_int64(s, 5);
	cam->ret_days = (uint32_t)sqlite3_column_int64(s, 6);
	cam->ret_max_bytes = (uint64_t)sqlite3_column_int64(s, 7);
	cam->bytes = (uint64_t)sqlite3_column_int64(s, 8);
	cam->objects = (uint64_t)sqlite3_column_int64(s, 9);
	cam->latest_segment = sqlite3_column_int64(s, 10);
	cam->latest_thumbnail = sqlite3_column_int64(s, 11);
	return 0;
}

static int
camera_select(struct store *st, const char *sql, const uint8_t *key, int keylen,
    struct store_camera *cam)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, sql)) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, key, keylen, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		ret = camera_row(s, cam);
	else if (r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "camera_select");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_camera_get(struct store *st, const uint8_t id[STORE_ID_LEN],
    struct store_camera *cam)
{
	return camera_select(st, "SELECT " CAMERA_COLS " FROM cameras c WHERE c.id = ?",
	    id, STORE_ID_LEN, cam);
}

int
store_camera_by_token(struct store *st, const uint8_t hash[STORE_HASH_LEN],
    struct store_camera *cam)
{
	return camera_select(st, "SELECT " CAMERA_COLS " FROM cameras c"
	    " WHERE c.token_hash = ?", hash, STORE_HASH_LEN, cam);
}

int
store_camera_access(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    const uint8_t account_id[STORE_ID_LEN], int *is_owner)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT c.owner = ?2 FROM cameras c WHERE c.id = ?1 AND"
	    " (c.owner = ?2 OR EXISTS (SELECT 1 FROM members m"
	    "  WHERE m.camera_id = ?1 AND m.account_id = ?2))")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, account_id, STORE_ID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*is_owner = sqlite3_column_int(s, 0);
		ret = STORE_OK;
	} else if (r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "camera_access");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_camera_list(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    store_camera_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT " CAMERA_COLS ", c.owner = ?1, a.sign_pk"
	    " FROM cameras c JOIN accounts a ON a.id = c.owner"
	    " WHERE c.owner = ?1 OR c.id IN (SELECT camera_id FROM members"
	    "  WHERE account_id = ?1) ORDER BY c.created_ms, c.id")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, account_id, STORE_ID_LEN, SQLITE_STATIC);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_camera cam;

		if (camera_row(s, &cam) != 0)
			break;
		cam.is_owner = sqlite3_column_int(s, 12);
		cam.owner_has_vault = sq_col_fixed(s, 13, cam.owner_sign_pk,
		    STORE_PK_LEN) == 0;
		if (fn(cookie, &cam) != 0)
			break;
	}
	if (r == SQLITE_DONE)
		ret = 0;
	else if (r != SQLITE_ROW)
		sq_log(c, "camera_list");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_camera_touch(struct store *st, const uint8_t id[STORE_ID_LEN], int64_t now_ms)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "UPDATE cameras SET last_seen_ms = max(last_seen_ms, ?)"
	    " WHERE id = ?")) != NULL) {
		sqlite3_bind_int64(s, 1, now_ms);
		sqlite3_bind_blob(s, 2, id, STORE_ID_LEN, SQLITE_STATIC);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

int
store_camera_delete(struct store *st, const uint8_t id[STORE_ID_LEN])
{
	/* Every statement binds the camera id as ?1. Objects' blob keys go to
	 * the trash first, in the same transaction, so no blob is forgotten. */
	static const char *const sql[] = {
		("INSERT OR IGNORE INTO trash (blob_key, queued_ms)"
		" SELECT blob_key, strftime('%s','now') * 1000 FROM objects WHERE camera_id = ?1"),
		"DELETE FROM objects WHERE camera_id = ?1",
		"DELETE FROM members WHERE camera_id = ?1",
		"DELETE FROM keyrings WHERE camera_id = ?1",
		"DELETE FROM pairings WHERE camera_id = ?1",
		"DELETE FROM cameras WHERE id = ?1",
	};
	struct sq_conn *c = sq_get(st);
	int r = -1;

	if (sq_begin(st, c) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *s = sq_prep(c, sql[i]);
		if (s == NULL)
			goto end;
		sqlite3_bind_blob(s, 1, id, STORE_ID_LEN, SQLITE_STATIC);
		r = sq_exec(c, s);
		sqlite3_reset(s);
		if (r != 0)
			goto end;
	}
	r = sqlite3_changes(c->db) == 1 ? 0 : STORE_NOTFOUND;
end:
	if (sq_end(st, c, r) != 0 && r == 0)
		r = -1;
out:
	sq_put(st, c);
	return r;
}

int
store_retention_set(struct store *st, const uint8_t id[STORE_ID_LEN],
    uint32_t days, uint64_t max_bytes)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, n = 0;

	if ((s = sq_prep(c, "UPDATE cameras SET ret_days = ?, ret_max_bytes = ?"
	    " WHERE id = ?")) != NULL) {
		sqlite3_bind_int64(s, 1, days);
		sqlite3_bind_int64(s, 2, (int64_t)max_bytes);
		sqlite3_bind_blob(s, 3, id, STORE_ID_LEN, SQLITE_STATIC);
		ret = sq_write1(st, c, s, &n);
		if (ret == 0 && n == 0)
			ret = STORE_NOTFOUND;
	}
	sq_put(st, c);
	return ret;
}

/* --- keyrings ------------------------------------------------------------ */

int
store_keyring_put(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    uint64_t epoch, const uint8_t *keyring, size_t len,
    const uint8_t (*members)[STORE_ID_LEN], size_t n, int64_t now_ms)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int r = -1, step;

	if (epoch > INT64_MAX || sq_begin(st, c) != 0)
		goto out;
	/* The epoch check happens inside the write transaction: two owners'
	 * devices publishing at once cannot both win. */
	if ((s = sq_prep(c, "SELECT keyring_epoch FROM cameras WHERE id = ?")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	step = sqlite3_step(s);
	if (step == SQLITE_DONE)
		r = STORE_NOTFOUND;
	else if (step == SQLITE_ROW)
		r = (uint64_t)sqlite3_column_int64(s, 0) >= epoch ? STORE_CONFLICT : 0;
	sqlite3_reset(s);
	if (r != 0)
		goto end;
	r = -1;
	if ((s = sq_prep(c, "INSERT INTO keyrings (camera_id, epoch, keyring, created_ms)"
	    " VALUES (?, ?, ?, ?)")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)epoch);
	sqlite3_bind_blob(s, 3, keyring, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now_ms);
	if ((r = sq_exec(c, s)) != 0)
		goto end_reset;
	sqlite3_reset(s);
	r = -1;
	if ((s = sq_prep(c, "UPDATE cameras SET keyring_epoch = ? WHERE id = ?")) == NULL)
		goto end;
	sqlite3_bind_int64(s, 1, (int64_t)epoch);
	sqlite3_bind_blob(s, 2, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	if ((r = sq_exec(c, s)) != 0)
		goto end_reset;
	sqlite3_reset(s);
	r = -1;
	if ((s = sq_prep(c, "DELETE FROM members WHERE camera_id = ?")) == NULL)
		goto end;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	if ((r = sq_exec(c, s)) != 0)
		goto end_reset;
	sqlite3_reset(s);
	for (size_t i = 0; i < n; i++) {
		r = -1;
		if ((s = sq_prep(c, "INSERT OR IGNORE INTO members (camera_id, account_id)"
		    " VALUES (?, ?)")) == NULL)
			goto end;
		sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, members[i], STORE_ID_LEN, SQLITE_STATIC);
		if ((r = sq_exec(c, s)) != 0)
			goto end_reset;
		sqlite3_reset(s);
	}
	r = 0;
	goto end;
end_reset:
	sqlite3_reset(s);
end:
	if (sq_end(st, c, r) != 0 && r == 0)
		r = -1;
out:
	sq_put(st, c);
	return r;
}

int
store_keyring_get(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    uint64_t epoch, uint64_t *epoch_out, uint8_t *buf, size_t cap, size_t *len)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if (epoch > INT64_MAX)
		epoch = INT64_MAX;
	/* epoch 0 = the current one (the highest). */
	if ((s = sq_prep(c, "SELECT epoch, keyring FROM keyrings WHERE camera_id = ?1"
	    " AND (?2 = 0 OR epoch = ?2) ORDER BY epoch DESC LIMIT 1")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, (int64_t)epoch);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		size_t n = (size_t)sqlite3_column_bytes(s, 1);
		if (n <= cap) {
			*epoch_out = (uint64_t)sqlite3_column_int64(s, 0);
			memcpy(buf, sqlite3_column_blob(s, 1), n);
			*len = n;
			ret = STORE_OK;
		}
	} else if (r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "keyring_get");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_keyring_list(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    store_keyring_fn *fn, void *cookie)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT epoch, keyring FROM keyrings WHERE camera_id = ?"
	    " ORDER BY epoch")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, camera_id, STORE_ID_LEN, SQLITE_STATIC);
	while ((r = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(cookie, (uint64_t)sqlite3_column_int64(s, 0),
		    sqlite3_column_blob(s, 1), (size_t)sqlite3_column_bytes(s, 1)) != 0)
			break;
	if (r == SQLITE_DONE)
		ret = 0;
	else if (r != SQLITE_ROW)
		sq_log(c, "keyring_list");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}
