/*
 * store_sqlite_grant: staff principals (states as compare-and-set, one live
 * principal per account), grants (pending until logged, revocation moving
 * a derivative's blob to the trash), accesses (ordered seqs, per owner),
 * and staffsrv_apply logging pending directory changes once.
 */
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../src/server/staffsrv.h"
#include "../../src/server/store.h"
#include "../../src/server/tlogsrv.h"
#include "t.h"

static char dir[96];

static int
count_staff(void *cookie, const struct store_staff *s)
{
	(void)s;
	(*(int *)cookie)++;
	return 0;
}

struct seqs {
	int n;
	int64_t v[16];
};

static int
callback_access(void *cookie, const struct store_access *a)
{
	struct seqs *s = cookie;

	s->v[s->n++] = a->seq;
	return 0;
}

static int
callback_grant(void *cookie, const struct store_grant *g)
{
	struct seqs *s = cookie;

	s->v[s->n++] = g->state;
	return 0;
}

static int
callback_trash(void *cookie, const uint8_t key[STORE_HASH_LEN])
{
	int *n = cookie;

	(void)key;
	(*n)++;
	return 0;
}

int
main(void)
{
	struct store *st;
	struct store_staff s, got;
	struct store_grant g, gg;
	struct store_access a, ag;
	struct tlogsrv *t;
	struct tlogsrv_opts lo;
	struct seqs sq;
	uint8_t acct[16], acct2[16], owner[16], other[16], blob[32];
	uint8_t doc[300];
	char uri[300];
	int n;
	int64_t last;
	uint64_t cnt;

	if (sodium_init() < 0 || t_mkdtemp(dir, sizeof(dir), "sealcam-grants") == NULL)
		return 1;
	snprintf(uri, sizeof(uri), "sqlite:%s/db", dir);
	if ((st = store_open(uri, 4)) == NULL)
		return 1;
	randombytes_buf(acct, 16);
	randombytes_buf(acct2, 16);
	randombytes_buf(owner, 16);
	randombytes_buf(other, 16);

	t_case("a staff principal starts ADDING and moves only from the state expected");
	memset(&s, 0, sizeof(s));
	randombytes_buf(s.principal_id, 16);
	memcpy(s.account_id, acct, 16);
	s.role = 1;
	snprintf(s.name, sizeof(s.name), "Support (Jo)");
	s.record_len = 100;
	memset(s.record, 7, s.record_len);
	s.changed_ms = 1;
	T_EQ(store_staff_add(st, &s), STORE_OK);
	T_EQ(store_staff_get(st, s.principal_id, &got), STORE_OK);
	T_EQ(got.state, STORE_STAFF_ADDING);
	T_EQ(strcmp(got.name, "Support (Jo)"), 0);
	T_EQ(store_staff_transition(st, s.principal_id, STORE_STAFF_ACTIVE, STORE_STAFF_REMOVING,
	    NULL, 0, 2), STORE_CONFLICT);
	T_EQ(store_staff_transition(st, s.principal_id, STORE_STAFF_ADDING, STORE_STAFF_ACTIVE,
	    NULL, 0, 2), STORE_OK);
	T_EQ(store_staff_by_account(st, acct, &got), STORE_OK);
	T_EQ(got.state, STORE_STAFF_ACTIVE);
	T_EQ(got.record_len, 100);

	t_case("one live principal per account; a removed one makes room for a new key");
	memcpy(&got, &s, sizeof(s));
	randombytes_buf(got.principal_id, 16);
	T_EQ(store_staff_add(st, &got), STORE_EXISTS);
	T_EQ(store_staff_transition(st, s.principal_id, STORE_STAFF_ACTIVE, STORE_STAFF_REMOVED,
	    NULL, 0, 3), STORE_OK);
	T_EQ(store_staff_add(st, &got), STORE_OK);
	T_EQ(store_staff_by_account(st, acct, &s), STORE_OK);
	T_ASSERT(memcmp(s.principal_id, got.principal_id, 16) == 0);
	n = 0;
	T_EQ(store_staff_list(st, 1, count_staff, &n), 0);
	T_EQ(n, 1);                             /* the new one, ADDING */
	n = 0;
	T_EQ(store_staff_list(st, 0, count_staff, &n), 0);
	T_EQ(n, 2);

	t_case("staffsrv_apply logs a pending addition once and activates it");
	memset(&lo, 0, sizeof(lo));
	lo.data_dir = dir;
	lo.origin = "sealcam.test/log";
	lo.interval_ms = 1;
	t = tlogsrv_open(&lo, st);
	T_ASSERT(t != NULL);
	T_EQ(staffsrv_apply(st, t), 1);
	T_EQ(staffsrv_apply(st, t), 0);
	T_EQ(store_staff_get(st, got.principal_id, &s), STORE_OK);
	T_EQ(s.state, STORE_STAFF_ACTIVE);
	{
		/* A crash between the append and the state change: re-running
		 * finds the entry and does not log it again. */
		struct store_log_entry last_e;
		T_EQ(store_staff_transition(st, got.principal_id, STORE_STAFF_ACTIVE,
		    STORE_STAFF_ADDING, NULL, 0, 4), STORE_OK);
		T_EQ(staffsrv_apply(st, t), 1);
		T_EQ(store_log_last(st, TLOG_STAFF_DIRECTORY, &last_e), STORE_OK);
		T_EQ(last_e.seq, 0);            /* still the one entry */
	}
	tlogsrv_free(t);

	t_case("a grant is pending until activated, then listed for owner and grantee");
	memset(&g, 0, sizeof(g));
	randombytes_buf(g.id, 16);
	memcpy(g.owner, owner, 16);
	randombytes_buf(g.camera_id, 16);
	memcpy(g.grantee, got.principal_id, 16);
	g.mode = 2;
	g.from_ms = 10;
	g.until_ms = 20;
	g.created_ms = 30;
	g.expires_ms = 40;
	memset(doc, 3, sizeof(doc));
	g.doc = doc;
	g.doc_len = sizeof(doc);
	T_EQ(store_grant_create(st, &g), STORE_OK);
	T_EQ(store_grant_create(st, &g), STORE_EXISTS);
	sq.n = 0;
	T_EQ(store_grant_list(st, owner, NULL, callback_grant, &sq), 0);
	T_EQ(sq.n, 0);                          /* pending: not listed */
	randombytes_buf(blob, 32);
	T_EQ(store_grant_activate(st, g.id, blob, 1234), STORE_OK);
	T_EQ(store_grant_activate(st, g.id, blob, 1234), STORE_CONFLICT);
	T_EQ(store_grant_get(st, g.id, &gg), STORE_OK);
	T_EQ(gg.state, STORE_GRANT_ACTIVE);
	T_EQ(gg.has_blob, 1);
	T_EQ(gg.blob_size, 1234);
	T_EQ(gg.doc_len, sizeof(doc));
	T_ASSERT(memcmp(gg.doc, doc, sizeof(doc)) == 0);
	store_grant_clear(&gg);
	sq.n = 0;
	T_EQ(store_grant_list(st, NULL, got.principal_id, callback_grant, &sq), 0);
	T_EQ(sq.n, 1);
	sq.n = 0;
	T_EQ(store_grant_list(st, other, NULL, callback_grant, &sq), 0);
	T_EQ(sq.n, 0);

	t_case("revoking keeps the signed revocation and trashes the derivative, once");
	{
		uint8_t rev[STORE_REVOCATION_LEN];
		memset(rev, 9, sizeof(rev));
		T_EQ(store_grant_revoke(st, g.id, rev, 50), STORE_OK);
		T_EQ(store_grant_revoke(st, g.id, rev, 51), STORE_CONFLICT);
		T_EQ(store_grant_get(st, g.id, &gg), STORE_OK);
		T_EQ(gg.state, STORE_GRANT_REVOKED);
		T_EQ(gg.has_revocation, 1);
		T_EQ(gg.has_blob, 0);
		T_EQ(gg.revoked_ms, 50);
		store_grant_clear(&gg);
		n = 0;
		T_EQ(store_trash_list(st, 10, callback_trash, &n), 0);
		T_EQ(n, 1);
	}

	t_case("a pending grant whose log entry failed is forgotten; an active one is not");
	memcpy(&gg, &g, sizeof(g));
	randombytes_buf(gg.id, 16);
	T_EQ(store_grant_create(st, &gg), STORE_OK);
	T_EQ(store_grant_delete_pending(st, gg.id), STORE_OK);
	T_EQ(store_grant_get(st, gg.id, &gg), STORE_NOTFOUND);
	T_EQ(store_grant_delete_pending(st, g.id), STORE_OK);   /* revoked: untouched */
	T_EQ(store_grant_get(st, g.id, &gg), STORE_OK);
	store_grant_clear(&gg);

	t_case("accesses get ascending seqs per owner; last and count");
	T_EQ(store_access_last(st, owner, &last), STORE_OK);
	T_EQ(last, -1);
	for (int i = 0; i < 3; i++) {
		memset(&a, 0, sizeof(a));
		randombytes_buf(a.id, 16);
		memcpy(a.grant_id, g.id, 16);
		memcpy(a.owner, i == 1 ? other : owner, 16);
		memcpy(a.principal, got.principal_id, 16);
		a.time_ms = 100 + i;
		a.log_index = 7 + (uint64_t)i;
		a.record_len = 89;
		memset(a.record, i, a.record_len);
		T_EQ(store_access_put(st, &a), STORE_OK);
		T_EQ(a.seq, i + 1);
	}
	sq.n = 0;
	T_EQ(store_access_list(st, owner, -1, 100, callback_access, &sq), 0);
	T_EQ(sq.n, 2);
	T_EQ(sq.v[0], 1);
	T_EQ(sq.v[1], 3);
	sq.n = 0;
	T_EQ(store_access_list(st, owner, 1, 100, callback_access, &sq), 0);
	T_EQ(sq.n, 1);
	T_EQ(store_access_last(st, owner, &last), STORE_OK);
	T_EQ(last, 3);
	T_EQ(store_access_count(st, g.id, &cnt), STORE_OK);
	T_EQ(cnt, 3);
	T_EQ(store_access_get(st, a.id, &ag), STORE_OK);
	T_EQ(ag.log_index, 9);
	T_EQ(ag.record_len, 89);

	t_case("ending a removed staff member's sessions");
	{
		uint8_t h1[32], h2[32];
		struct store_session ss;
		randombytes_buf(h1, 32);
		randombytes_buf(h2, 32);
		T_EQ(store_session_create(st, h1, acct2, 1, 1000000), STORE_OK);
		T_EQ(store_session_create(st, h2, acct2, 1, 1000000), STORE_OK);
		T_EQ(store_session_delete_account(st, acct2), STORE_OK);
		T_EQ(store_session_get(st, h1, &ss), STORE_NOTFOUND);
		T_EQ(store_session_get(st, h2, &ss), STORE_NOTFOUND);
	}

	store_close(st);
	{
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
