/*
 * tlogsrv — the server side of the transparency log (tlogsrv.h).
 *
 * An append, in order:
 *   1. wait until no other append of this chain is in flight (entry k+1
 *      names entry k's hash, so a chain is written one entry at a time),
 *      and note the published size as this append's "floor";
 *   2. the chain's state from the index (last seq, last entry's leaf hash),
 *      tlog_chain_build() -> 144 canonical bytes;
 *   3. tlog_store_append(): queued for the sequencer, batched with other
 *      chains' entries, returns once the checkpoint covering it is durable;
 *   4. the index row, in one transaction with the new "indexed below" mark:
 *      the lowest floor of the appends still in flight (every entry below
 *      it was appended by an append that has finished, hence indexed);
 *   5. the receipt: current checkpoint, inclusion proof from the tiles.
 * A crash between 3 and 4 leaves an entry without its row; tlogsrv_open
 * re-reads the log from the mark and writes the missing rows before any
 * new append, so the chain continues from the entry that is in the log.
 */
#include "tlogsrv.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "fsutil.h"
#include "http.h"
#include "keyring.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "tlog_store.h"
#include "workq.h"

#define COMP "tlog"
#define PATH_MAX_TLOG 4200

/* An append in flight: its chain is busy, its floor holds the mark. */
struct inflight {
	uint8_t log_id[TLOG_ID_LEN];
	uint64_t floor;
	struct inflight *next;
};

struct tlogsrv {
	struct store *st;
	struct tlog_signer *signer;
	struct tlog_store *log;
	char vkey[TLOG_VKEY_MAX];
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* an append finished */
	struct inflight *busy;        /* under mu */
	int broken;                   /* under mu: an entry is logged but not indexed */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the key ------------------------------------------------------------------ */

struct tlog_signer *
tlogsrv_key_load(const char *data_dir, const char *origin)
{
	char path[PATH_MAX_TLOG], skey[TLOG_SKEY_MAX];
	struct tlog_signer *s = NULL;
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s", data_dir, TLOGSRV_KEY_FILE) >=
	    (int)sizeof(path))
		return NULL;
	if (fsutil_read_bounded(path, TLOG_SKEY_MAX + 2, &buf, &len) == 0) {
		/* A secret: refuse one others can read, as ssh does. */
		if (stat(path, &sb) == 0 && (sb.st_mode & 077) != 0) {
			log_err(COMP, "path=%s err=\"log key readable by others: chmod 600\"", path);
			goto out;
		}
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
			buf[--len] = '\0';
		if ((s = tlog_signer_parse((const char *)buf)) == NULL)
			log_err(COMP, "path=%s err=\"not a log signing key\"", path);
		goto out;
	}
	if (errno != ENOENT) {
		log_err(COMP, "path=%s err=\"%s\"", path, strerror(errno));
		goto out;
	}
	/* First start: a new key, durable before any checkpoint is signed. */
	if (fsutil_mkdir_p(data_dir, 0700) != 0 ||
	    (s = tlog_signer_generate(origin)) == NULL) {
		log_err(COMP, "origin=\"%s\" err=\"cannot make a log key (origin must be"
		    " a key name: no spaces or '+')\"", origin);
		goto out;
	}
	{
		char line[TLOG_SKEY_MAX + 1];
		int w = -1;

		if (tlog_signer_skey(s, skey, sizeof(skey)) == 0) {
			size_t n = strlen(skey);
			memcpy(line, skey, n);
			line[n] = '\n';
			w = fsutil_write_durable(path, line, n + 1, 0600);
		}
		sodium_memzero(line, sizeof(line));
		sodium_memzero(skey, sizeof(skey));
		if (w != 0) {
			log_err(COMP, "path=%s err=\"cannot write the log key: %s\"", path,
			    strerror(errno));
			tlog_signer_free(s);
			s = NULL;
			goto out;
		}
	}
	log_info(COMP, "action=key_created path=%s", path);
out:
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
	return s;
}

/* --- open: the store, and the index repaired from the tiles -------------------- */

/* Index every log entry from the mark on that has no row (a crash between
 * an append and its row), then raise the mark to the published size. */
static int
repair_index(struct tlogsrv *t)
{
	struct tlog_store_stats stats;
	struct store_log_entry row;
	struct tlog_entry e;
	uint64_t mark, fixed = 0;
	size_t len;
	int r;

	if (store_log_indexed_below(t->st, &mark) != 0)
		return -1;
	tlog_store_stats(t->log, &stats);
	for (uint64_t i = mark; i < stats.size; i++) {
		memset(&row, 0, sizeof(row));
		if (tlog_store_read_entry(t->log, i, row.entry, sizeof(row.entry), &len) != 0) {
			log_err(COMP, "action=repair index=%llu err=\"cannot read the entry\"",
			    (unsigned long long)i);
			return -1;
		}
		if (len != TLOG_ENTRY_LEN || tlog_entry_parse(row.entry, len, &e) != 0) {
			/* Not ours to index (nothing chains to it). */
			log_warn(COMP, "action=repair index=%llu err=\"not a sealcam entry\"",
			    (unsigned long long)i);
			continue;
		}
		memcpy(row.log_id, e.account, TLOG_ID_LEN);
		row.seq = e.seq;
		row.index = i;
		row.type = e.type;
		memcpy(row.subject, e.subject, TLOG_ID_LEN);
		row.number = e.number;
		memcpy(row.commitment, e.commitment, TLOG_HASH_LEN);
		r = store_log_put(t->st, &row, i + 1);
		if (r == STORE_OK)
			fixed++;
		else if (r != STORE_EXISTS)
			return -1;
	}
	if (store_log_mark(t->st, stats.size) != 0)
		return -1;
	if (fixed > 0)
		log_warn(COMP, "action=repair rows=%llu msg=\"indexed entries a crash left"
		    " without their row\"", (unsigned long long)fixed);
	return 0;
}

struct tlogsrv *
tlogsrv_open(const struct tlogsrv_opts *o, struct store *st)
{
	struct tlog_store_opts so;
	struct tlogsrv *t;
	char dir[PATH_MAX_TLOG];

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->st = st;
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->cv, NULL);
	if ((t->signer = tlogsrv_key_load(o->data_dir, o->origin)) == NULL)
		goto err;
	if (tlog_signer_vkey(t->signer, t->vkey, sizeof(t->vkey)) != 0)
		goto err;
	if (o->log_dir != NULL && o->log_dir[0] != '\0')
		snprintf(dir, sizeof(dir), "%s", o->log_dir);
	else if (snprintf(dir, sizeof(dir), "%s/log", o->data_dir) >= (int)sizeof(dir))
		goto err;
	memset(&so, 0, sizeof(so));
	so.origin = tlog_signer_name(t->signer);
	so.interval_ms = o->interval_ms;
	/* One sequencer per directory: a second sealcamd on the same log fails
	 * here (tlog_store_open holds an exclusive lock). */
	if ((t->log = tlog_store_open(dir, t->signer, &so)) == NULL) {
		log_err(COMP, "dir=%s err=\"cannot open the log (another sealcamd using it?"
		    " see --tlog-dir)\"", dir);
		goto err;
	}
	if (repair_index(t) != 0) {
		log_err(COMP, "err=\"cannot bring the log index up to date\"");
		goto err;
	}
	log_info(COMP, "action=open dir=%s key=%s", dir, t->vkey);
	return t;
err:
	tlogsrv_free(t);
	return NULL;
}

void
tlogsrv_free(struct tlogsrv *t)
{
	if (t == NULL)
		return;
	tlog_store_free(t->log);
	tlog_signer_free(t->signer);
	pthread_mutex_destroy(&t->mu);
	pthread_cond_destroy(&t->cv);
	free(t);
}

const char *
tlogsrv_vkey(const struct tlogsrv *t)
{
	return t->vkey;
}

const char *
tlogsrv_origin(const struct tlogsrv *t)
{
	return tlog_signer_name(t->signer);
}

struct tlog_store *
tlogsrv_store(struct tlogsrv *t)
{
	return t->log;
}

/* --- appending ------------------------------------------------------------------ */

static struct inflight *
busy_find(struct tlogsrv *t, const uint8_t log_id[TLOG_ID_LEN])
{
	for (struct inflight *f = t->busy; f != NULL; f = f->next)
		if (memcmp(f->log_id, log_id, TLOG_ID_LEN) == 0)
			return f;
	return NULL;
}

/* Under mu: the mark an index row may carry (see the file comment). */
static uint64_t
mark_now(struct tlogsrv *t, const struct inflight *self)
{
	struct tlog_store_stats stats;
	uint64_t m;

	tlog_store_stats(t->log, &stats);
	m = stats.size;
	for (struct inflight *f = t->busy; f != NULL; f = f->next)
		if (f != self && f->floor < m)
			m = f->floor;
	return m;
}

int
tlogsrv_receipt(struct tlogsrv *t, uint64_t index, struct tlogsrv_receipt *rc)
{
	size_t len;

	memset(rc, 0, sizeof(*rc));
	rc->index = index;
	if (tlog_store_checkpoint(t->log, rc->checkpoint, sizeof(rc->checkpoint),
	    &rc->checkpoint_len, &rc->size) != 0 || index >= rc->size ||
	    tlog_store_read_entry(t->log, index, rc->entry, sizeof(rc->entry), &len) != 0 ||
	    len != TLOG_ENTRY_LEN ||
	    tlog_store_prove_inclusion(t->log, index, rc->size, &rc->proof) != 0) {
		log_err(COMP, "action=receipt index=%llu err=\"cannot prove the entry\"",
		    (unsigned long long)index);
		return -1;
	}
	return 0;
}

int
tlogsrv_append(struct tlogsrv *t, const uint8_t log_id[TLOG_ID_LEN],
    struct tlog_entry *e, struct tlogsrv_receipt *rc)
{
	struct tlog_store_stats stats;
	struct store_log_entry last, row;
	struct inflight self;
	struct tlog_chain chain;
	uint64_t index, mark;
	int r, ret = -1;

	/* 1. This chain's turn. */
	memset(&self, 0, sizeof(self));
	memcpy(self.log_id, log_id, TLOG_ID_LEN);
	pthread_mutex_lock(&t->mu);
	while (busy_find(t, log_id) != NULL && !t->broken)
		pthread_cond_wait(&t->cv, &t->mu);
	if (t->broken) {
		pthread_mutex_unlock(&t->mu);
		log_err(COMP, "err=\"log index out of date: restart sealcamd to repair it\"");
		return -1;
	}
	tlog_store_stats(t->log, &stats);
	self.floor = stats.size;
	self.next = t->busy;
	t->busy = &self;
	pthread_mutex_unlock(&t->mu);

	/* 2. The next entry of the chain. */
	memset(&row, 0, sizeof(row));
	tlog_chain_init(&chain, log_id);
	r = store_log_last(t->st, log_id, &last);
	if (r == STORE_OK) {
		chain.next_seq = last.seq + 1;
		tlog_leaf_hash(last.entry, sizeof(last.entry), chain.last_hash);
		chain.last_index = last.index;
	} else if (r != STORE_NOTFOUND)
		goto done;
	e->time_ms = (uint64_t)now_ms();
	if (tlog_chain_build(&chain, e, row.entry) != 0) {
		log_err(COMP, "type=%u err=\"entry not canonical\"", e->type);
		goto done;
	}

	/* 3. Durable in the log. */
	if (tlog_store_append(t->log, row.entry, sizeof(row.entry), &index) != 0) {
		log_err(COMP, "type=%s err=\"append failed\"", tlog_entry_type_name(e->type));
		goto done;
	}

	/* 4. Indexed. */
	memcpy(row.log_id, log_id, TLOG_ID_LEN);
	row.seq = e->seq;
	row.index = index;
	row.type = e->type;
	memcpy(row.subject, e->subject, TLOG_ID_LEN);
	row.number = e->number;
	memcpy(row.commitment, e->commitment, TLOG_HASH_LEN);
	pthread_mutex_lock(&t->mu);
	mark = mark_now(t, &self);
	pthread_mutex_unlock(&t->mu);
	if (store_log_put(t->st, &row, mark) != STORE_OK) {
		/* The entry is in the log; without its row the next entry of
		 * this chain would repeat its seq. Stop appending until a
		 * restart re-reads the log (repair_index). */
		pthread_mutex_lock(&t->mu);
		t->broken = 1;
		pthread_mutex_unlock(&t->mu);
		log_err(COMP, "index=%llu err=\"logged but not indexed: appends stop until"
		    " restart\"", (unsigned long long)index);
		goto done;
	}
	log_info(COMP, "action=append type=%s index=%llu seq=%llu",
	    tlog_entry_type_name(e->type), (unsigned long long)index,
	    (unsigned long long)e->seq);

	/* 5. The receipt. */
	ret = 0;
	if (rc != NULL && tlogsrv_receipt(t, index, rc) != 0)
		ret = -1;
done:
	pthread_mutex_lock(&t->mu);
	for (struct inflight **pp = &t->busy; *pp != NULL; pp = &(*pp)->next)
		if (*pp == &self) {
			*pp = self.next;
			break;
		}
	pthread_cond_broadcast(&t->cv);
	pthread_mutex_unlock(&t->mu);
	return ret;
}

int
tlogsrv_append_account(struct tlogsrv *t, const uint8_t account_id[TLOG_ID_LEN],
    struct tlog_entry *e, struct tlogsrv_receipt *rc)
{
	uint8_t log_id[TLOG_ID_LEN];

	if (store_log_id(t->st, account_id, log_id) != 0)
		return -1;
	return tlogsrv_append(t, log_id, e, rc);
}

/* --- what is logged ---------------------------------------------------------------- */

int
tlogsrv_log_keyring(struct tlogsrv *t, const uint8_t owner[TLOG_ID_LEN],
    const uint8_t camera_id[TLOG_ID_LEN], uint32_t epoch, const uint8_t *keyring,
    size_t len, struct tlogsrv_receipt *rc)
{
	struct tlog_entry e;

	memset(&e, 0, sizeof(e));
	e.type = TLOG_E_KEYRING;
	memcpy(e.subject, camera_id, TLOG_ID_LEN);
	e.number = epoch;
	keyring_hash(keyring, len, e.commitment);
	return tlogsrv_append_account(t, owner, &e, rc);
}

int
tlogsrv_log_vault(struct tlogsrv *t, const uint8_t account[TLOG_ID_LEN],
    const uint8_t sign_pk[32], const uint8_t box_pk[32], struct tlogsrv_receipt *rc)
{
	struct tlog_entry e;

	memset(&e, 0, sizeof(e));
	e.type = TLOG_E_VAULT_KEY;
	tlog_commit_vault(sign_pk, box_pk, e.commitment);
	return tlogsrv_append_account(t, account, &e, rc);
}

int
tlogsrv_log_staff(struct tlogsrv *t, int removed, const uint8_t principal[TLOG_ID_LEN],
    const uint8_t *record, size_t len, struct tlogsrv_receipt *rc)
{
	struct tlog_entry e;

	memset(&e, 0, sizeof(e));
	e.type = removed ? TLOG_E_STAFF_REMOVED : TLOG_E_STAFF_ADDED;
	memcpy(e.subject, principal, TLOG_ID_LEN);
	tlog_commit("sealcam-logstaff", record, len, e.commitment);
	/* The directory's chain is public by design: its id is all zero. */
	return tlogsrv_append(t, TLOG_STAFF_DIRECTORY, &e, rc);
}

int
tlogsrv_log_grant(struct tlogsrv *t, const uint8_t owner[TLOG_ID_LEN], int revoked,
    const uint8_t grant_id[TLOG_ID_LEN], const uint8_t grantee[TLOG_ID_LEN],
    const uint8_t *signed_bytes, size_t len, struct tlogsrv_receipt *rc)
{
	struct tlog_entry e;

	memset(&e, 0, sizeof(e));
	e.type = revoked ? TLOG_E_GRANT_REVOKED : TLOG_E_GRANT_CREATED;
	memcpy(e.subject, grant_id, TLOG_ID_LEN);
	memcpy(e.actor, grantee, TLOG_ID_LEN);
	tlog_commit("sealcam-loggrant", signed_bytes, len, e.commitment);
	return tlogsrv_append_account(t, owner, &e, rc);
}

int
tlogsrv_log_staff_access(struct tlogsrv *t, const uint8_t owner[TLOG_ID_LEN],
    const uint8_t grant_id[TLOG_ID_LEN], const uint8_t principal[TLOG_ID_LEN],
    const uint8_t *record, size_t len, struct tlogsrv_receipt *rc)
{
	struct tlog_entry e;

	memset(&e, 0, sizeof(e));
	e.type = TLOG_E_STAFF_ACCESS;
	memcpy(e.subject, grant_id, TLOG_ID_LEN);
	memcpy(e.actor, principal, TLOG_ID_LEN);
	tlog_commit("sealcam-logacc", record, len, e.commitment);
	return tlogsrv_append_account(t, owner, &e, rc);
}

int
tlogsrv_log_live_started(struct tlogsrv *t, const uint8_t owner[TLOG_ID_LEN],
    const uint8_t camera_id[TLOG_ID_LEN], const uint8_t viewer[TLOG_ID_LEN],
    const uint8_t *session_id, size_t len, struct tlogsrv_receipt *rc)
{
	struct tlog_entry e;

	memset(&e, 0, sizeof(e));
	e.type = TLOG_E_LIVE_SESSION;
	memcpy(e.subject, camera_id, TLOG_ID_LEN);
	/* The viewer by log id: a member's account id would link the two
	 * accounts in the public log. */
	if (store_log_id(t->st, viewer, e.actor) != 0)
		return -1;
	tlog_commit("sealcam-loglive", session_id, len, e.commitment);
	return tlogsrv_append_account(t, owner, &e, rc);
}

/* --- reading ---------------------------------------------------------------------- */

int
tlogsrv_keyring_receipt(struct tlogsrv *t, const uint8_t owner[TLOG_ID_LEN],
    const uint8_t camera_id[TLOG_ID_LEN], uint64_t epoch, const uint8_t *keyring,
    size_t len, struct tlogsrv_receipt *rc)
{
	struct store_log_entry row;
	uint8_t log_id[TLOG_ID_LEN], h[TLOG_HASH_LEN];
	int r;

	if (store_log_id(t->st, owner, log_id) != 0)
		return -1;
	keyring_hash(keyring, len, h);
	r = store_log_find(t->st, log_id, TLOG_E_KEYRING, camera_id, epoch, h, &row);
	if (r == STORE_NOTFOUND)
		return 0;
	if (r != STORE_OK || tlogsrv_receipt(t, row.index, rc) != 0)
		return -1;
	return 1;
}

int
tlogsrv_find_receipt(struct tlogsrv *t, const uint8_t log_id[TLOG_ID_LEN], int type,
    const uint8_t subject[TLOG_ID_LEN], uint64_t number,
    const uint8_t commitment[TLOG_HASH_LEN], struct tlogsrv_receipt *rc)
{
	struct store_log_entry row;
	int r = store_log_find(t->st, log_id, type, subject, number, commitment, &row);

	if (r == STORE_NOTFOUND)
		return 0;
	if (r != STORE_OK || tlogsrv_receipt(t, row.index, rc) != 0)
		return -1;
	return 1;
}

json_t *
tlogsrv_proof_json(const struct tlog_proof *p)
{
	json_t *a = json_array();
	char b64[TLOG_HASH_B64_LEN + 1];

	for (size_t i = 0; a != NULL && i < p->n; i++) {
		tlog_hash_to_b64(p->h[i], b64);
		if (json_array_append_new(a, json_string(b64)) != 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *
tlogsrv_receipt_json(const struct tlogsrv_receipt *rc)
{
	char entry[sodium_base64_ENCODED_LEN(TLOG_ENTRY_LEN, sodium_base64_VARIANT_ORIGINAL)];

	sodium_bin2base64(entry, sizeof(entry), rc->entry, sizeof(rc->entry),
	    sodium_base64_VARIANT_ORIGINAL);
	return json_pack("{s:I, s:s, s:I, s:s%, s:o}", "index", (json_int_t)rc->index,
	    "entry", entry, "size", (json_int_t)rc->size,
	    "checkpoint", rc->checkpoint, rc->checkpoint_len,
	    "proof", tlogsrv_proof_json(&rc->proof));
}

/* --- deferring log work off the HTTP threads ---------------------------------------- */

struct deferred {
	struct req *rq;
	tlogsrv_job_fn *job;
};

static void
job_run(void *arg)
{
	struct deferred *d = arg;
	struct req *rq = d->rq;

	d->job(rq);
	free(d);
	http_resume(rq);
}

void
tlogsrv_defer(struct tlogsrv *t, struct req *rq, tlogsrv_job_fn *job)
{
	struct deferred *d = malloc(sizeof(*d));

	(void)t;
	/* Suspend first, so the job's resume always follows it. */
	http_suspend(rq);
	if (d == NULL) {
		job(rq);
		http_resume(rq);
		return;
	}
	d->rq = rq;
	d->job = job;
	if (workq_submit(rq->srv->logjobs, job_run, d) != 0)
		job_run(d);             /* stopping: do it here */
}
