/*
 * store_sqlite — store.h on SQLite: the connection pool, the schema and its
 * migrations, accounts, vaults and sessions.
 *
 * Durability: WAL with synchronous=FULL. In WAL mode NORMAL already
 * survives a process crash (kill -9), but a power loss may undo the last
 * commits; sealcamd acknowledges an upload only after its row is
 * committed, so the WAL is fsynced at every commit (FULL). The cost is one
 * small fsync per write transaction, next to the two an upload needs anyway
 * (blob file and directory).
 */
#include "store_sqlite.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define SQ_STMT_SLOTS 256        /* distinct SQL statements per connection */

struct sq_slot {
	const char *sql;
	sqlite3_stmt *s;
};

struct store {
	pthread_mutex_t mu;       /* guards free list */
	pthread_cond_t cv;        /* a connection came back */
	pthread_mutex_t wmu;      /* one writer at a time */
	struct sq_conn *free;
	struct sq_conn *all[64];
	unsigned n;
};

/* Schema migrations: migrations[i] takes user_version i to i + 1. */
static const char *const migrations[] = {
	/* 1: everything issue 3 needs. Ids, keys and hashes are BLOBs. */
	"CREATE TABLE accounts ("
	"  id BLOB PRIMARY KEY, email TEXT NOT NULL UNIQUE, pwhash TEXT NOT NULL,"
	"  role INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
	"  box_pk BLOB, sign_pk BLOB, backup BLOB, vault_ms INTEGER);"
	"CREATE TABLE sessions ("
	"  hash BLOB PRIMARY KEY, account_id BLOB NOT NULL,"
	"  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
	"CREATE INDEX sessions_account ON sessions(account_id);"
	"CREATE INDEX sessions_expires ON sessions(expires_ms);"
	"CREATE TABLE pairings ("
	"  id BLOB PRIMARY KEY, owner BLOB NOT NULL, name TEXT NOT NULL,"
	"  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
	"  camera_id BLOB, camera_pk BLOB, proof BLOB, registered_ms INTEGER);"
	"CREATE INDEX pairings_owner ON pairings(owner);"
	"CREATE TABLE cameras ("
	"  id BLOB PRIMARY KEY, owner BLOB NOT NULL, name TEXT NOT NULL,"
	"  pk BLOB NOT NULL, token_hash BLOB NOT NULL UNIQUE,"
	"  created_ms INTEGER NOT NULL, last_seen_ms INTEGER NOT NULL DEFAULT 0,"
	"  keyring_epoch INTEGER NOT NULL DEFAULT 0,"
	"  ret_days INTEGER NOT NULL DEFAULT 0, ret_max_bytes INTEGER NOT NULL DEFAULT 0,"
	"  bytes INTEGER NOT NULL DEFAULT 0, objects INTEGER NOT NULL DEFAULT 0,"
	"  latest_segment INTEGER NOT NULL DEFAULT -1,"
	"  latest_thumbnail INTEGER NOT NULL DEFAULT -1);"
	"CREATE INDEX cameras_owner ON cameras(owner);"
	"CREATE TABLE members ("
	"  camera_id BLOB NOT NULL, account_id BLOB NOT NULL,"
	"  PRIMARY KEY (camera_id, account_id)) WITHOUT ROWID;"
	"CREATE INDEX members_account ON members(account_id);"
	"CREATE TABLE keyrings ("
	"  camera_id BLOB NOT NULL, epoch INTEGER NOT NULL, keyring BLOB NOT NULL,"
	"  created_ms INTEGER NOT NULL, PRIMARY KEY (camera_id, epoch)) WITHOUT ROWID;"
	"CREATE TABLE objects ("
	"  camera_id BLOB NOT NULL, kind INTEGER NOT NULL, seq INTEGER NOT NULL,"
	"  start_ms INTEGER NOT NULL, duration_ms INTEGER NOT NULL,"
	"  epoch INTEGER NOT NULL, flags INTEGER NOT NULL, size INTEGER NOT NULL,"
	"  content_id BLOB NOT NULL, blob_key BLOB NOT NULL, created_ms INTEGER NOT NULL,"
	"  PRIMARY KEY (camera_id, kind, seq)) WITHOUT ROWID;"
	"CREATE INDEX objects_start ON objects(camera_id, start_ms);"
	/* Eviction order for byte limits: continuous footage first, oldest first. */
	"CREATE INDEX objects_evict ON objects(camera_id, (flags & 1), start_ms);"
	"CREATE INDEX objects_blob ON objects(blob_key);"
	"CREATE TABLE trash (blob_key BLOB PRIMARY KEY, queued_ms INTEGER NOT NULL) WITHOUT ROWID;",
	/* 2: live views (issue 5): who watched which camera, when, how long. */
	"CREATE TABLE live_views ("
	"  id INTEGER PRIMARY KEY, camera_id BLOB NOT NULL, account_id BLOB NOT NULL,"
	"  session_id BLOB NOT NULL, started_ms INTEGER NOT NULL,"
	"  ended_ms INTEGER, bytes INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX live_views_camera ON live_views(camera_id, started_ms);",
	/* 3: the transparency log's index (store_sqlite_log.c). */
	"CREATE TABLE log_ids (account_id BLOB PRIMARY KEY, log_id BLOB NOT NULL UNIQUE)"
	"  WITHOUT ROWID;"
	"CREATE TABLE log_entries ("
	"  log_id BLOB NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL UNIQUE,"
	"  type INTEGER NOT NULL, subject BLOB NOT NULL, number INTEGER NOT NULL,"
	"  commitment BLOB NOT NULL, entry BLOB NOT NULL,"
	"  PRIMARY KEY (log_id, seq)) WITHOUT ROWID;"
	"CREATE INDEX log_entries_find ON log_entries(log_id, type, subject, number);"
	"CREATE TABLE log_meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO log_meta (k, v) VALUES ('indexed_below', 0);",
	/* 4: staff principals, consent grants, staff accesses (issue 7). */
	"CREATE TABLE staff ("
	"  principal_id BLOB PRIMARY KEY, account_id BLOB NOT NULL, role INTEGER NOT NULL,"
	"  name TEXT NOT NULL, box_pk BLOB NOT NULL, sign_pk BLOB NOT NULL,"
	"  state INTEGER NOT NULL, record BLOB NOT NULL, changed_ms INTEGER NOT NULL)"
	"  WITHOUT ROWID;"
	/* One live principal per account: a key change removes the old one first. */
	"CREATE UNIQUE INDEX staff_account ON staff(account_id) WHERE state != 3;"
	"CREATE TABLE grants ("
	"  id BLOB PRIMARY KEY, owner BLOB NOT NULL, camera_id BLOB NOT NULL,"
	"  grantee BLOB NOT NULL, mode INTEGER NOT NULL, from_ms INTEGER NOT NULL,"
	"  until_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
	"  expires_ms INTEGER NOT NULL, state INTEGER NOT NULL, doc BLOB NOT NULL,"
	"  revocation BLOB, revoked_ms INTEGER NOT NULL DEFAULT 0, blob_key BLOB,"
	"  blob_size INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	"CREATE INDEX grants_owner ON grants(owner, created_ms);"
	"CREATE INDEX grants_grantee ON grants(grantee, created_ms);"
	"CREATE TABLE accesses ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, id BLOB NOT NULL UNIQUE,"
	"  grant_id BLOB NOT NULL, owner BLOB NOT NULL, principal BLOB NOT NULL,"
	"  time_ms INTEGER NOT NULL, log_index INTEGER NOT NULL, record BLOB NOT NULL);"
	"CREATE INDEX accesses_owner ON accesses(owner, seq);"
	"CREATE INDEX accesses_grant ON accesses(grant_id);",
};
#define SQ_SCHEMA_VERSION (sizeof(migrations) / sizeof(migrations[0]))

void
sq_log(struct sq_conn *c, const char *what)
{
	log_err("store", "op=%s err=\"%s\"", what, sqlite3_errmsg(c->db));
}

sqlite3_stmt *
sq_prep(struct sq_conn *c, const char *sql)
{
	struct sq_slot *slots = (struct sq_slot *)(void *)c->stmt;
	size_t h = ((uintptr_t)sql >> 3) % SQ_STMT_SLOTS;

	for (size_t i = 0; i < SQ_STMT_SLOTS; i++, h = (h + 1) % SQ_STMT_SLOTS) {
		if (slots[h].sql == sql) {
			sqlite3_reset(slots[h].s);
			sqlite3_clear_bindings(slots[h].s);
			return slots[h].s;
		}
		if (slots[h].sql == NULL) {
			if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
			    &slots[h].s, NULL) != SQLITE_OK) {
				sq_log(c, "prepare");
				return NULL;
			}
			slots[h].sql = sql;
			return slots[h].s;
		}
	}
	log_err("store", "op=prepare err=\"statement cache full\"");
	return NULL;
}

int
sq_exec(struct sq_conn *c, sqlite3_stmt *s)
{
	int r = sqlite3_step(s);

	if (r == SQLITE_DONE || r == SQLITE_ROW)
		return 0;
	if ((r & 0xff) == SQLITE_CONSTRAINT)
		return STORE_EXISTS;
	sq_log(c, "step");
	return -1;
}

int
sq_col_fixed(sqlite3_stmt *s, int col, void *out, size_t n)
{
	if ((size_t)sqlite3_column_bytes(s, col) != n || n == 0)
		return -1;
	memcpy(out, sqlite3_column_blob(s, col), n);
	return 0;
}

static int
sq_simple(struct sq_conn *c, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(c->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("store", "op=exec err=\"%s\"", err ? err : "?");
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

int
sq_begin(struct store *st, struct sq_conn *c)
{
	pthread_mutex_lock(&st->wmu);
	if (sq_exec(c, sq_prep(c, "BEGIN IMMEDIATE")) != 0) {
		pthread_mutex_unlock(&st->wmu);
		return -1;
	}
	return 0;
}

int
sq_end(struct store *st, struct sq_conn *c, int ok)
{
	int ret = -1;

	if (ok == 0 && sq_exec(c, sq_prep(c, "COMMIT")) == 0)
		ret = 0;
	else if (sqlite3_get_autocommit(c->db) == 0)
		(void)sq_exec(c, sq_prep(c, "ROLLBACK"));
	pthread_mutex_unlock(&st->wmu);
	return ret;
}

struct sq_conn *
sq_get(struct store *st)
{
	struct sq_conn *c;

	pthread_mutex_lock(&st->mu);
	while (st->free == NULL)
		pthread_cond_wait(&st->cv, &st->mu);
	c = st->free;
	st->free = c->next;
	pthread_mutex_unlock(&st->mu);
	return c;
}

void
sq_put(struct store *st, struct sq_conn *c)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&st->mu);
	c->next = st->free;
	st->free = c;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

static void
sq_conn_free(struct sq_conn *c)
{
	struct sq_slot *slots;

	if (c == NULL)
		return;
	slots = (struct sq_slot *)(void *)c->stmt;
	for (size_t i = 0; slots != NULL && i < SQ_STMT_SLOTS; i++)
		sqlite3_finalize(slots[i].s);
	free(c->stmt);
	sqlite3_close(c->db);
	free(c);
}

static struct sq_conn *
sq_conn_open(const char *path)
{
	struct sq_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->stmt = calloc(SQ_STMT_SLOTS, sizeof(struct sq_slot))) == NULL)
		goto err;
	/* NOMUTEX: a connection is used by one thread at a time (the pool). */
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("store", "op=open path=%s err=\"%s\"", path,
		    c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto err;
	}
	/* Another process (sealcamd admin) may hold the write lock briefly. */
	sqlite3_busy_timeout(c->db, 10000);
	if (sq_simple(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
	    "PRAGMA foreign_keys=OFF; PRAGMA temp_store=MEMORY;") != 0)
		goto err;
	return c;
err:
	sq_conn_free(c);
	return NULL;
}

static int
sq_migrate(struct store *st, struct sq_conn *c)
{
	sqlite3_stmt *s;
	int64_t v;

	if (sq_begin(st, c) != 0)
		return -1;
	if ((s = sq_prep(c, "PRAGMA user_version")) == NULL ||
	    sqlite3_step(s) != SQLITE_ROW)
		goto err;
	v = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (v > (int64_t)SQ_SCHEMA_VERSION) {
		log_err("store", "op=migrate err=\"database schema %lld is newer than this sealcamd (%zu)\"",
		    (long long)v, SQ_SCHEMA_VERSION);
		goto err;
	}
	for (; v < (int64_t)SQ_SCHEMA_VERSION; v++) {
		char pragma[64];

		if (sq_simple(c, migrations[v]) != 0)
			goto err;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%lld", (long long)v + 1);
		if (sq_simple(c, pragma) != 0)
			goto err;
		log_info("store", "op=migrate version=%lld", (long long)v + 1);
	}
	return sq_end(st, c, 0);
err:
	sq_end(st, c, -1);
	return -1;
}

struct store *
store_open(const char *uri, unsigned nconn)
{
	struct store *st;
	const char *path = uri;

	if (strncmp(uri, "sqlite:", 7) == 0)
		path = uri + 7;
	else if (strstr(uri, "://") != NULL) {
		log_err("store", "op=open err=\"unsupported store URI (only sqlite: for now)\"");
		return NULL;
	}
	if (nconn == 0)
		nconn = 1;
	if (nconn > sizeof(st->all) / sizeof(st->all[0]))
		nconn = sizeof(st->all) / sizeof(st->all[0]);
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return NULL;
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	pthread_mutex_init(&st->wmu, NULL);
	for (; st->n < nconn; st->n++) {
		if ((st->all[st->n] = sq_conn_open(path)) == NULL)
			goto err;
		st->all[st->n]->next = st->free;
		st->free = st->all[st->n];
		/* The first connection brings the schema up to date. */
		if (st->n == 0 && sq_migrate(st, st->all[0]) != 0)
			goto err;
	}
	return st;
err:
	store_close(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	/* Leave a checkpointed WAL behind: a clean close is a clean restart. */
	if (st->n > 0 && st->all[0] != NULL)
		sqlite3_wal_checkpoint_v2(st->all[0]->db, NULL,
		    SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	for (unsigned i = 0; i < st->n; i++)
		sq_conn_free(st->all[i]);
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->wmu);
	free(st);
}

int
store_ping(struct store *st)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s = sq_prep(c, "SELECT 1");
	int ret = (s != NULL && sqlite3_step(s) == SQLITE_ROW) ? 0 : -1;

	if (s != NULL)
		sqlite3_reset(s);
	sq_put(st, c);
	return ret;
}

/* --- accounts ------------------------------------------------------------ */

#define ACCOUNT_COLS "id, email, role, created_ms, box_pk, sign_pk, pwhash"

static int
account_row(sqlite3_stmt *s, struct store_account *a, char *pwhash)
{
	const unsigned char *email = sqlite3_column_text(s, 1);
	const unsigned char *ph = sqlite3_column_text(s, 6);

	memset(a, 0, sizeof(*a));
	if (sq_col_fixed(s, 0, a->id, sizeof(a->id)) != 0 || email == NULL ||
	    strlen((const char *)email) > STORE_EMAIL_MAX)
		return -1;
	memcpy(a->email, email, strlen((const char *)email) + 1);
	a->role = sqlite3_column_int(s, 2);
	a->created_ms = sqlite3_column_int64(s, 3);
	if (sqlite3_column_type(s, 4) == SQLITE_BLOB &&
	    sq_col_fixed(s, 4, a->box_pk, sizeof(a->box_pk)) == 0 &&
	    sq_col_fixed(s, 5, a->sign_pk, sizeof(a->sign_pk)) == 0)
		a->has_vault = 1;
	if (pwhash != NULL) {
		if (ph == NULL || strlen((const char *)ph) >= STORE_PWHASH_MAX)
			return -1;
		memcpy(pwhash, ph, strlen((const char *)ph) + 1);
	}
	return 0;
}

int
store_account_create(struct store *st, const struct store_account *a,
    const char *pwhash)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "INSERT INTO accounts (id, email, pwhash, role, created_ms)"
	    " VALUES (?, ?, ?, ?, ?)")) != NULL) {
		sqlite3_bind_blob(s, 1, a->id, sizeof(a->id), SQLITE_STATIC);
		sqlite3_bind_text(s, 2, a->email, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, pwhash, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, a->role);
		sqlite3_bind_int64(s, 5, a->created_ms);
		/* A single statement commits on its own; the write mutex keeps
		 * SQLite's busy handler out of the picture. */
		pthread_mutex_lock(&st->wmu);
		ret = sq_exec(c, s);
		pthread_mutex_unlock(&st->wmu);
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}

static int
account_select(struct store *st, const char *sql, const void *key, int keylen,
    struct store_account *a, char *pwhash)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, sql)) == NULL)
		goto out;
	if (keylen < 0)
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	else
		sqlite3_bind_blob(s, 1, key, keylen, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		ret = account_row(s, a, pwhash) == 0 ? STORE_OK : STORE_ERR;
	else if (r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "account_select");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_account_get(struct store *st, const uint8_t id[STORE_ID_LEN],
    struct store_account *a)
{
	return account_select(st, "SELECT " ACCOUNT_COLS " FROM accounts WHERE id = ?",
	    id, STORE_ID_LEN, a, NULL);
}

int
store_account_find(struct store *st, const char *email, struct store_account *a,
    char *pwhash)
{
	return account_select(st, "SELECT " ACCOUNT_COLS " FROM accounts WHERE email = ?",
	    email, -1, a, pwhash);
}

int
sq_write1(struct store *st, struct sq_conn *c, sqlite3_stmt *s, int *changes)
{
	int ret;

	pthread_mutex_lock(&st->wmu);
	ret = sq_exec(c, s);
	if (changes != NULL)
		*changes = sqlite3_changes(c->db);
	pthread_mutex_unlock(&st->wmu);
	sqlite3_reset(s);
	return ret;
}

int
store_account_set_role(struct store *st, const char *email, int role)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, n = 0;

	if ((s = sq_prep(c, "UPDATE accounts SET role = ? WHERE email = ?")) != NULL) {
		sqlite3_bind_int(s, 1, role);
		sqlite3_bind_text(s, 2, email, -1, SQLITE_STATIC);
		ret = sq_write1(st, c, s, &n);
		if (ret == 0 && n == 0)
			ret = STORE_NOTFOUND;
	}
	sq_put(st, c);
	return ret;
}

int
store_vault_put(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    const uint8_t box_pk[STORE_PK_LEN], const uint8_t sign_pk[STORE_PK_LEN],
    const uint8_t *backup, size_t backup_len)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, n = 0;

	if ((s = sq_prep(c, "UPDATE accounts SET box_pk = ?, sign_pk = ?, backup = ?,"
	    " vault_ms = strftime('%s','now') * 1000 WHERE id = ?")) != NULL) {
		sqlite3_bind_blob(s, 1, box_pk, STORE_PK_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, sign_pk, STORE_PK_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 3, backup, (int)backup_len, SQLITE_STATIC);
		sqlite3_bind_blob(s, 4, account_id, STORE_ID_LEN, SQLITE_STATIC);
		ret = sq_write1(st, c, s, &n);
		if (ret == 0 && n == 0)
			ret = STORE_NOTFOUND;
	}
	sq_put(st, c);
	return ret;
}

int
store_vault_get(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    uint8_t *buf, size_t cap, size_t *len)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT backup FROM accounts WHERE id = ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, account_id, STORE_ID_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_BLOB) {
		size_t n = (size_t)sqlite3_column_bytes(s, 0);
		if (n <= cap) {
			memcpy(buf, sqlite3_column_blob(s, 0), n);
			*len = n;
			ret = STORE_OK;
		}
	} else if (r == SQLITE_ROW || r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "vault_get");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

/* --- sessions ------------------------------------------------------------ */

int
store_session_create(struct store *st, const uint8_t hash[STORE_HASH_LEN],
    const uint8_t account_id[STORE_ID_LEN], int64_t now_ms, int64_t expires_ms)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "INSERT INTO sessions (hash, account_id, created_ms,"
	    " expires_ms) VALUES (?, ?, ?, ?)")) != NULL) {
		sqlite3_bind_blob(s, 1, hash, STORE_HASH_LEN, SQLITE_STATIC);
		sqlite3_bind_blob(s, 2, account_id, STORE_ID_LEN, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, now_ms);
		sqlite3_bind_int64(s, 4, expires_ms);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

int
store_session_get(struct store *st, const uint8_t hash[STORE_HASH_LEN],
    struct store_session *ss)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, r;

	if ((s = sq_prep(c, "SELECT s.account_id, a.role, s.expires_ms FROM sessions s"
	    " JOIN accounts a ON a.id = s.account_id WHERE s.hash = ?")) == NULL)
		goto out;
	sqlite3_bind_blob(s, 1, hash, STORE_HASH_LEN, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		memset(ss, 0, sizeof(*ss));
		ret = sq_col_fixed(s, 0, ss->account_id, STORE_ID_LEN);
		ss->role = sqlite3_column_int(s, 1);
		ss->expires_ms = sqlite3_column_int64(s, 2);
	} else if (r == SQLITE_DONE)
		ret = STORE_NOTFOUND;
	else
		sq_log(c, "session_get");
	sqlite3_reset(s);
out:
	sq_put(st, c);
	return ret;
}

int
store_session_delete(struct store *st, const uint8_t hash[STORE_HASH_LEN])
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "DELETE FROM sessions WHERE hash = ?")) != NULL) {
		sqlite3_bind_blob(s, 1, hash, STORE_HASH_LEN, SQLITE_STATIC);
		ret = sq_write1(st, c, s, NULL);
	}
	sq_put(st, c);
	return ret;
}

int
store_session_purge(struct store *st, int64_t before_ms, uint64_t *n)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1, changes = 0;

	if ((s = sq_prep(c, "DELETE FROM sessions WHERE expires_ms < ?")) != NULL) {
		sqlite3_bind_int64(s, 1, before_ms);
		ret = sq_write1(st, c, s, &changes);
		*n = (uint64_t)changes;
	}
	sq_put(st, c);
	return ret;
}

int
store_session_count(struct store *st, int64_t now_ms, uint64_t *n)
{
	struct sq_conn *c = sq_get(st);
	sqlite3_stmt *s;
	int ret = -1;

	if ((s = sq_prep(c, "SELECT count(*) FROM sessions WHERE expires_ms > ?")) != NULL) {
		sqlite3_bind_int64(s, 1, now_ms);
		if (sqlite3_step(s) == SQLITE_ROW) {
			*n = (uint64_t)sqlite3_column_int64(s, 0);
			ret = 0;
		}
		sqlite3_reset(s);
	}
	sq_put(st, c);
	return ret;
}
