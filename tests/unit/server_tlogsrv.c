/* tlogsrv: sealcamd's log — key, chained appends, receipts, index repair. */
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/server/store.h"
#include "../../src/server/tlogsrv.h"
#include "keyring.h"
#include "log.h"
#include "tlog_store.h"
#include "t.h"

static char dir[96];
static char uri[600], dbpath[512];

static struct tlogsrv *
open_log(struct store *st)
{
	struct tlogsrv_opts o = { .data_dir = dir, .log_dir = "", .origin = "test.example/log",
	    .interval_ms = 5 };

	return tlogsrv_open(&o, st);
}

/* Verify a receipt as a client would: checkpoint under vkey, inclusion. */
static int
receipt_ok(const struct tlogsrv_receipt *rc, const char *vkey)
{
	struct tlog_verifier *v = tlog_verifier_parse(vkey);
	struct tlog_checkpoint cp;
	uint8_t leaf[TLOG_HASH_LEN];
	int ok;

	ok = v != NULL && tlog_checkpoint_open(rc->checkpoint, rc->checkpoint_len, v,
	    "test.example/log", &cp) == 0 && cp.size == rc->size;
	tlog_leaf_hash(rc->entry, sizeof(rc->entry), leaf);
	ok = ok && tlog_verify_inclusion(leaf, sizeof(leaf), rc->index, rc->size,
	    &rc->proof, cp.root, sizeof(cp.root)) == 0;
	tlog_verifier_free(v);
	return ok;
}

struct chain_check {
	struct tlog_chain c;
	int bad, n;
};

static int
callback_chain(void *cookie, const struct store_log_entry *e)
{
	struct chain_check *k = cookie;

	if (tlog_chain_next(&k->c, e->entry, sizeof(e->entry), e->index) != TLOG_CHAIN_OK)
		k->bad++;
	k->n++;
	return 0;
}

/* The account's chain from the index, checked as a client checks it. */
static int
chain_len(struct store *st, const uint8_t account[16], int *bad)
{
	struct chain_check k;
	uint8_t log_id[16];

	memset(&k, 0, sizeof(k));
	if (store_log_id(st, account, log_id) != 0)
		return -1;
	tlog_chain_init(&k.c, log_id);
	if (store_log_list(st, log_id, -1, 1000, callback_chain, &k) != 0)
		return -1;
	*bad = k.bad;
	return k.n;
}

struct worker {
	struct tlogsrv *t;
	uint8_t account[16];
	int n, failed;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	uint8_t sign[32], box[32];

	for (int i = 0; i < w->n; i++) {
		randombytes_buf(sign, sizeof(sign));
		randombytes_buf(box, sizeof(box));
		if (tlogsrv_log_vault(w->t, w->account, sign, box, NULL) != 0)
			w->failed++;
	}
	return NULL;
}

int
main(void)
{
	struct tlogsrv_receipt rc;
	struct store *st;
	struct tlogsrv *t, *t2;
	struct tlog_entry e;
	char vkey[TLOG_VKEY_MAX], path[1100];
	uint8_t alice[16], bob[16], cam[16], kr[64], sign[32], box[32];
	struct stat sb;
	int bad = 0;

	if (sodium_init() < 0 || t_mkdtemp(dir, sizeof(dir), "sealcam-tlogsrv") == NULL)
		return 1;
	log_set_level(LOG_WARN);
	snprintf(dbpath, sizeof(dbpath), "%s/sealcamd.db", dir);
	snprintf(uri, sizeof(uri), "sqlite:%s", dbpath);
	st = store_open(uri, 16);
	memset(alice, 0xa1, sizeof(alice));
	memset(bob, 0xb0, sizeof(bob));
	memset(cam, 0xca, sizeof(cam));
	randombytes_buf(kr, sizeof(kr));

	t_case("first start makes the log key (0600) and an empty signed log");
	T_ASSERT(st != NULL);
	t = open_log(st);
	T_ASSERT(t != NULL);
	if (t == NULL)
		return t_done();
	snprintf(vkey, sizeof(vkey), "%s", tlogsrv_vkey(t));
	T_ASSERT(strncmp(vkey, "test.example/log+", 17) == 0);
	snprintf(path, sizeof(path), "%s/log.key", dir);
	T_ASSERT(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);

	t_case("an account's entries are chained, each with a receipt that verifies");
	for (int i = 0; i < 3; i++) {
		randombytes_buf(sign, sizeof(sign));
		randombytes_buf(box, sizeof(box));
		T_EQ(tlogsrv_log_vault(t, alice, sign, box, &rc), 0);
		T_EQ(rc.index, (uint64_t)i);
		T_ASSERT(receipt_ok(&rc, vkey));
	}
	T_EQ(tlogsrv_log_keyring(t, alice, cam, 1, kr, sizeof(kr), &rc), 0);
	T_ASSERT(receipt_ok(&rc, vkey));
	T_ASSERT(tlog_entry_parse(rc.entry, sizeof(rc.entry), &e) == 0);
	T_EQ(e.type, TLOG_E_KEYRING);
	T_EQ(e.seq, 3);
	T_EQ(e.number, 1);
	T_ASSERT(memcmp(e.subject, cam, 16) == 0);
	T_EQ(chain_len(st, alice, &bad), 4);
	T_EQ(bad, 0);

	t_case("entries name the account's log id, never its account id");
	{
		uint8_t lid[16];
		T_EQ(store_log_id(st, alice, lid), 0);
		T_ASSERT(memcmp(e.account, lid, 16) == 0);
		T_ASSERT(memcmp(e.account, alice, 16) != 0);
	}

	t_case("the keyring's receipt is found for exactly that keyring");
	T_EQ(tlogsrv_keyring_receipt(t, alice, cam, 1, kr, sizeof(kr), &rc), 1);
	T_ASSERT(receipt_ok(&rc, vkey));
	T_EQ(tlogsrv_keyring_receipt(t, alice, cam, 2, kr, sizeof(kr), &rc), 0);
	kr[0] ^= 1;
	T_EQ(tlogsrv_keyring_receipt(t, alice, cam, 1, kr, sizeof(kr), &rc), 0);
	kr[0] ^= 1;
	T_EQ(tlogsrv_keyring_receipt(t, bob, cam, 1, kr, sizeof(kr), &rc), 0);

	t_case("one sequencer: a second server cannot open the same log");
	t2 = open_log(st);
	T_ASSERT(t2 == NULL);
	tlogsrv_free(t2);

	t_case("8 threads, 4 accounts, 80 appends at once: every chain whole, in order");
	{
		struct worker w[8];
		pthread_t th[8];
		uint8_t accts[4][16];

		for (int a = 0; a < 4; a++)
			randombytes_buf(accts[a], 16);
		for (int i = 0; i < 8; i++) {
			memset(&w[i], 0, sizeof(w[i]));
			w[i].t = t;
			memcpy(w[i].account, accts[i % 4], 16);
			w[i].n = 10;
			pthread_create(&th[i], NULL, worker_main, &w[i]);
		}
		for (int i = 0; i < 8; i++) {
			pthread_join(th[i], NULL);
			T_EQ(w[i].failed, 0);
		}
		for (int a = 0; a < 4; a++) {
			T_EQ(chain_len(st, accts[a], &bad), 20);
			T_EQ(bad, 0);
		}
	}

	t_case("a crash between append and index: rows rebuilt from the tiles at start");
	{
		struct tlog_store_stats s;
		sqlite3 *db;
		uint64_t mark = 0;

		tlog_store_stats(tlogsrv_store(t), &s);
		T_EQ(s.size, 84);
		tlogsrv_free(t);
		/* What a kill -9 leaves: alice's last two entries logged, their
		 * rows never written, the mark below them. */
		T_EQ(sqlite3_open(dbpath, &db), SQLITE_OK);
		T_EQ(sqlite3_exec(db, "DELETE FROM log_entries WHERE idx IN (2, 3);"
		    "UPDATE log_meta SET v = 2;", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
		T_EQ(chain_len(st, alice, &bad), 2);
		t = open_log(st);
		T_ASSERT(t != NULL);
		if (t == NULL)
			return t_done();
		T_EQ(chain_len(st, alice, &bad), 4);
		T_EQ(bad, 0);
		T_EQ(store_log_indexed_below(st, &mark), 0);
		T_EQ(mark, 84);
		/* ...and the chain continues from the entry that is in the log. */
		T_EQ(tlogsrv_log_keyring(t, alice, cam, 2, kr, sizeof(kr), &rc), 0);
		T_ASSERT(tlog_entry_parse(rc.entry, sizeof(rc.entry), &e) == 0);
		T_EQ(e.seq, 4);
		T_EQ(chain_len(st, alice, &bad), 5);
		T_EQ(bad, 0);
	}

	t_case("the staff directory has its own chain (all-zero id)");
	T_EQ(tlogsrv_log_staff(t, 0, bob, (const uint8_t *)"record", 6, &rc), 0);
	T_ASSERT(tlog_entry_parse(rc.entry, sizeof(rc.entry), &e) == 0);
	T_EQ(e.type, TLOG_E_STAFF_ADDED);
	T_EQ(e.seq, 0);
	T_ASSERT(memcmp(e.account, TLOG_STAFF_DIRECTORY, 16) == 0);
	T_ASSERT(receipt_ok(&rc, vkey));

	t_case("grants, staff accesses and live sessions land in the owner's chain");
	T_EQ(tlogsrv_log_grant(t, alice, 0, cam, bob, kr, sizeof(kr), NULL), 0);
	T_EQ(tlogsrv_log_staff_access(t, alice, cam, bob, kr, sizeof(kr), NULL), 0);
	T_EQ(tlogsrv_log_grant(t, alice, 1, cam, bob, kr, sizeof(kr), NULL), 0);
	T_EQ(tlogsrv_log_live_started(t, alice, cam, bob, kr, 16, &rc), 0);
	T_ASSERT(tlog_entry_parse(rc.entry, sizeof(rc.entry), &e) == 0);
	T_EQ(e.type, TLOG_E_LIVE_SESSION);
	{
		uint8_t blid[16];
		T_EQ(store_log_id(st, bob, blid), 0);
		T_ASSERT(memcmp(e.actor, blid, 16) == 0);    /* viewer by log id */
	}
	T_EQ(chain_len(st, alice, &bad), 9);
	T_EQ(bad, 0);
	tlogsrv_free(t);

	t_case("the key survives a restart; one readable by others is refused");
	t = open_log(st);
	T_ASSERT(t != NULL && strcmp(tlogsrv_vkey(t), vkey) == 0);
	tlogsrv_free(t);
	chmod(path, 0644);
	t = open_log(st);
	T_ASSERT(t == NULL);
	tlogsrv_free(t);

	store_close(st);
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
