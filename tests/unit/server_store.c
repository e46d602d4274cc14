/* store_sqlite: the metadata store sealcamd's routes rely on. */
#include <sodium.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../src/server/store.h"
#include "t.h"

static char dir[96];
static char uri[256];

static void
id(uint8_t *out, size_t n, int v)
{
	memset(out, 0, n);
	out[0] = (uint8_t)v;
	out[n - 1] = 0xaa;
}

static struct store_account
account(int v, const char *email)
{
	struct store_account a;

	memset(&a, 0, sizeof(a));
	id(a.id, sizeof(a.id), v);
	snprintf(a.email, sizeof(a.email), "%s", email);
	a.created_ms = 1000;
	return a;
}

static struct store_object
object(const uint8_t *cam, int kind, uint64_t seq, int64_t start, uint64_t size,
    uint32_t flags)
{
	struct store_object o;

	memset(&o, 0, sizeof(o));
	memcpy(o.camera_id, cam, STORE_ID_LEN);
	o.kind = kind;
	o.seq = seq;
	o.start_ms = start;
	o.duration_ms = 4000;
	o.epoch = 1;
	o.flags = flags;
	o.size = size;
	randombytes_buf(o.content_id, sizeof(o.content_id));
	randombytes_buf(o.blob_key, sizeof(o.blob_key));
	return o;
}

struct collect {
	int n;
	uint64_t seqs[64];
	uint8_t keys[64][STORE_HASH_LEN];
};

static int
callback_object(void *cookie, const struct store_object *o)
{
	struct collect *c = cookie;

	if (c->n < 64)
		c->seqs[c->n++] = o->seq;
	return 0;
}

static int
callback_camera(void *cookie, const struct store_camera *cam)
{
	struct collect *c = cookie;

	if (c->n < 64)
		c->seqs[c->n++] = (uint64_t)cam->is_owner;
	return 0;
}

static int
callback_key(void *cookie, const uint8_t key[STORE_HASH_LEN])
{
	struct collect *c = cookie;

	if (c->n < 64)
		memcpy(c->keys[c->n++], key, STORE_HASH_LEN);
	return 0;
}

int
main(void)
{
	struct store *st;
	struct store_account alice = account(1, "alice@example.com"), bob = account(2, "bob@example.com"), got;
	struct store_session ss;
	struct store_pairing p, pg;
	struct store_camera cam;
	struct store_object o, og;
	uint8_t h1[STORE_HASH_LEN], h2[STORE_HASH_LEN], camid[STORE_ID_LEN], pk[STORE_PK_LEN];
	uint8_t buf[256], members[2][STORE_ID_LEN];
	char pwhash[STORE_PWHASH_MAX];
	struct collect c;
	uint64_t n64, epoch, objs, bytes;
	size_t len;
	unsigned n;
	int is_owner;

	if (sodium_init() < 0 || t_mkdtemp(dir, sizeof(dir), "sealcam-store") == NULL)
		return 1;
	snprintf(uri, sizeof(uri), "sqlite:%s/db", dir);

	t_case("a new store opens and answers");
	st = store_open(uri, 4);
	T_ASSERT(st != NULL);
	if (st == NULL)
		return t_done();
	T_EQ(store_ping(st), 0);

	t_case("accounts: create, find by e-mail, e-mail unique");
	T_EQ(store_account_create(st, &alice, "$argon2id$fake-a"), STORE_OK);
	T_EQ(store_account_create(st, &bob, "$argon2id$fake-b"), STORE_OK);
	{
		struct store_account dup = account(3, "alice@example.com");
		T_EQ(store_account_create(st, &dup, "x"), STORE_EXISTS);
	}
	T_EQ(store_account_find(st, "alice@example.com", &got, pwhash), STORE_OK);
	T_MEMEQ(got.id, alice.id, STORE_ID_LEN);
	T_ASSERT(strcmp(pwhash, "$argon2id$fake-a") == 0);
	T_EQ(got.has_vault, 0);
	T_EQ(store_account_find(st, "carol@example.com", &got, NULL), STORE_NOTFOUND);
	T_EQ(store_account_set_role(st, "bob@example.com", STORE_ROLE_STAFF), STORE_OK);
	T_EQ(store_account_get(st, bob.id, &got), STORE_OK);
	T_EQ(got.role, STORE_ROLE_STAFF);
	T_EQ(store_account_set_role(st, "nobody@example.com", STORE_ROLE_STAFF), STORE_NOTFOUND);

	t_case("vault: absent until published, then keys and backup round-trip");
	T_EQ(store_vault_get(st, alice.id, buf, sizeof(buf), &len), STORE_NOTFOUND);
	memset(pk, 7, sizeof(pk));
	T_EQ(store_vault_put(st, alice.id, pk, pk, (const uint8_t *)"backup!", 7), STORE_OK);
	T_EQ(store_vault_get(st, alice.id, buf, sizeof(buf), &len), STORE_OK);
	T_EQ(len, 7);
	T_MEMEQ(buf, "backup!", 7);
	T_EQ(store_account_get(st, alice.id, &got), STORE_OK);
	T_EQ(got.has_vault, 1);
	T_MEMEQ(got.box_pk, pk, STORE_PK_LEN);

	t_case("sessions: by hash, expiry kept, delete, purge, count");
	randombytes_buf(h1, sizeof(h1));
	randombytes_buf(h2, sizeof(h2));
	T_EQ(store_session_create(st, h1, alice.id, 1000, 5000), STORE_OK);
	T_EQ(store_session_create(st, h2, bob.id, 1000, 9000), STORE_OK);
	T_EQ(store_session_get(st, h1, &ss), STORE_OK);
	T_MEMEQ(ss.account_id, alice.id, STORE_ID_LEN);
	T_EQ(ss.expires_ms, 5000);
	T_EQ(ss.role, STORE_ROLE_USER);
	T_EQ(store_session_get(st, h2, &ss), STORE_OK);
	T_EQ(ss.role, STORE_ROLE_STAFF);
	T_EQ(store_session_count(st, 6000, &n64), 0);
	T_EQ(n64, 1);
	T_EQ(store_session_purge(st, 6000, &n64), 0);
	T_EQ(n64, 1);
	T_EQ(store_session_get(st, h1, &ss), STORE_NOTFOUND);
	T_EQ(store_session_delete(st, h2), 0);
	T_EQ(store_session_get(st, h2, &ss), STORE_NOTFOUND);

	t_case("pairing: pending, registered once, camera row appears");
	memset(&p, 0, sizeof(p));
	randombytes_buf(p.id, sizeof(p.id));
	memcpy(p.owner, alice.id, STORE_ID_LEN);
	snprintf(p.name, sizeof(p.name), "Front door");
	p.expires_ms = 100000;
	T_EQ(store_pairing_create(st, &p, 10, 1000), STORE_OK);
	T_EQ(store_pairing_create(st, &p, 10, 1000), STORE_EXISTS);
	T_EQ(store_pairing_get(st, p.id, &pg), STORE_OK);
	T_EQ(pg.registered, 0);
	T_ASSERT(strcmp(pg.name, "Front door") == 0);
	id(camid, sizeof(camid), 9);
	T_EQ(store_pairing_register(st, p.id, camid, pk, (const uint8_t *)"proof", 5, h1, 2000), STORE_OK);
	T_EQ(store_pairing_register(st, p.id, camid, pk, (const uint8_t *)"proof", 5, h2, 2000), STORE_CONFLICT);
	T_EQ(store_pairing_get(st, p.id, &pg), STORE_OK);
	T_EQ(pg.registered, 1);
	T_EQ(pg.proof_len, 5);
	T_MEMEQ(pg.camera_id, camid, STORE_ID_LEN);
	T_EQ(store_camera_by_token(st, h1, &cam), STORE_OK);
	T_MEMEQ(cam.owner, alice.id, STORE_ID_LEN);
	T_ASSERT(strcmp(cam.name, "Front door") == 0);
	T_EQ(cam.latest_segment, -1);

	t_case("pairing: expired and unknown refused, pending bounded per owner");
	{
		struct store_pairing q = p;
		randombytes_buf(q.id, sizeof(q.id));
		q.expires_ms = 1500;
		T_EQ(store_pairing_create(st, &q, 10, 1000), STORE_OK);
		T_EQ(store_pairing_register(st, q.id, camid, pk, buf, 1, h2, 2000), STORE_EXPIRED);
		randombytes_buf(q.id, sizeof(q.id));
		T_EQ(store_pairing_register(st, q.id, camid, pk, buf, 1, h2, 2000), STORE_NOTFOUND);
		q.expires_ms = 100000;
		/* One pending (unexpired at 1000) so far: a second fits in 2, a third not. */
		T_EQ(store_pairing_create(st, &q, 2, 1000), STORE_OK);
		randombytes_buf(q.id, sizeof(q.id));
		T_EQ(store_pairing_create(st, &q, 2, 1000), STORE_CONFLICT);
		/* Same camera id through another pairing: already paired. */
		q.expires_ms = 100000;
		T_EQ(store_pairing_create(st, &q, 10, 1000), STORE_OK);
		T_EQ(store_pairing_register(st, q.id, camid, pk, buf, 1, h2, 2000), STORE_EXISTS);
	}

	t_case("camera access: owner, member after keyring, stranger none");
	T_EQ(store_camera_access(st, camid, alice.id, &is_owner), STORE_OK);
	T_EQ(is_owner, 1);
	T_EQ(store_camera_access(st, camid, bob.id, &is_owner), STORE_NOTFOUND);
	memcpy(members[0], bob.id, STORE_ID_LEN);
	T_EQ(store_keyring_put(st, camid, 1, (const uint8_t *)"kr1", 3, members, 1, 3000), STORE_OK);
	T_EQ(store_camera_access(st, camid, bob.id, &is_owner), STORE_OK);
	T_EQ(is_owner, 0);
	memset(&c, 0, sizeof(c));
	T_EQ(store_camera_list(st, bob.id, callback_camera, &c), 0);
	T_EQ(c.n, 1);
	T_EQ(c.seqs[0], 0);

	t_case("keyrings: epoch must increase; members replaced; history kept");
	T_EQ(store_keyring_put(st, camid, 1, (const uint8_t *)"again", 5, NULL, 0, 3000), STORE_CONFLICT);
	T_EQ(store_camera_access(st, camid, bob.id, &is_owner), STORE_OK);
	T_EQ(store_keyring_put(st, camid, 2, (const uint8_t *)"kr2", 3, NULL, 0, 3000), STORE_OK);
	T_EQ(store_camera_access(st, camid, bob.id, &is_owner), STORE_NOTFOUND);
	T_EQ(store_keyring_get(st, camid, 0, &epoch, buf, sizeof(buf), &len), STORE_OK);
	T_EQ(epoch, 2);
	T_MEMEQ(buf, "kr2", 3);
	T_EQ(store_keyring_get(st, camid, 1, &epoch, buf, sizeof(buf), &len), STORE_OK);
	T_MEMEQ(buf, "kr1", 3);
	T_EQ(store_camera_get(st, camid, &cam), STORE_OK);
	T_EQ(cam.keyring_epoch, 2);

	t_case("objects: put once, duplicate key refused, list by time overlap");
	o = object(camid, STORE_KIND_SEGMENT, 1, 10000, 100, 0);
	T_EQ(store_object_put(st, &o, 4000), STORE_OK);
	T_EQ(store_object_put(st, &o, 4000), STORE_EXISTS);
	T_EQ(store_object_get(st, camid, STORE_KIND_SEGMENT, 1, &og), STORE_OK);
	T_MEMEQ(og.content_id, o.content_id, STORE_HASH_LEN);
	T_MEMEQ(og.blob_key, o.blob_key, STORE_HASH_LEN);
	T_EQ(store_object_get(st, camid, STORE_KIND_EVENT, 1, &og), STORE_NOTFOUND);
	for (int i = 2; i <= 5; i++) {
		o = object(camid, STORE_KIND_SEGMENT, (uint64_t)i, 10000 + (i - 1) * 4000, 100,
		    i == 2 ? STORE_FLAG_EVENT : 0);
		T_EQ(store_object_put(st, &o, 4000), STORE_OK);
	}
	memset(&c, 0, sizeof(c));
	/* [17000, 22000) overlaps seq 2 [14000,18000), 3 [18000,22000). */
	T_EQ(store_object_list(st, camid, STORE_KIND_SEGMENT, 17000, 22000, 0, 100,
	    callback_object, &c), 0);
	T_EQ(c.n, 2);
	T_EQ(c.seqs[0], 2);
	T_EQ(c.seqs[1], 3);
	memset(&c, 0, sizeof(c));
	T_EQ(store_object_list(st, camid, STORE_KIND_SEGMENT, 0, INT64_MAX, 3, 1,
	    callback_object, &c), 0);
	T_EQ(c.n, 1);
	T_EQ(c.seqs[0], 4);
	T_EQ(store_camera_get(st, camid, &cam), STORE_OK);
	T_EQ(cam.objects, 5);
	T_EQ(cam.bytes, 500);
	T_EQ(cam.latest_segment, 5);
	T_EQ(store_object_totals(st, &objs, &bytes), 0);
	T_EQ(objs, 5);

	t_case("retention by bytes: continuous footage goes before event footage");
	T_EQ(store_retention_set(st, camid, 0, 250), STORE_OK);
	T_EQ(store_retention_apply(st, camid, 50000, 100, &n), 0);
	T_EQ(n, 3);  /* 500 -> 200: seqs 1, 3, 4 (2 is event footage) */
	T_EQ(store_object_get(st, camid, STORE_KIND_SEGMENT, 2, &og), STORE_OK);
	T_EQ(store_object_get(st, camid, STORE_KIND_SEGMENT, 5, &og), STORE_OK);
	T_EQ(store_object_get(st, camid, STORE_KIND_SEGMENT, 1, &og), STORE_NOTFOUND);
	T_EQ(store_camera_get(st, camid, &cam), STORE_OK);
	T_EQ(cam.bytes, 200);
	T_EQ(cam.objects, 2);
	memset(&c, 0, sizeof(c));
	T_EQ(store_trash_list(st, 100, callback_key, &c), 0);
	T_EQ(c.n, 3);

	t_case("retention by days: older footage goes, event or not");
	T_EQ(store_retention_set(st, camid, 1, 0), STORE_OK);
	/* now = start of seq 5 + 1 day + 1 ms: everything started before. */
	T_EQ(store_retention_apply(st, camid, 26000 + 86400000 + 1, 100, &n), 0);
	T_EQ(n, 2);
	T_EQ(store_camera_get(st, camid, &cam), STORE_OK);
	T_EQ(cam.objects, 0);
	T_EQ(cam.latest_segment, -1);

	t_case("trash: keys leave once removed; re-referenced keys are reported");
	memset(&c, 0, sizeof(c));
	T_EQ(store_trash_list(st, 100, callback_key, &c), 0);
	T_EQ(c.n, 5);
	for (int i = 0; i < c.n; i++) {
		T_EQ(store_blob_referenced(st, c.keys[i]), 0);
		T_EQ(store_trash_remove(st, c.keys[i]), 0);
	}
	memset(&c, 0, sizeof(c));
	T_EQ(store_trash_list(st, 100, callback_key, &c), 0);
	T_EQ(c.n, 0);

	t_case("deleting a camera removes token, members, objects (keys to trash)");
	o = object(camid, STORE_KIND_THUMBNAIL, 1, 1, 10, 0);
	T_EQ(store_object_put(st, &o, 5000), STORE_OK);
	T_EQ(store_camera_delete(st, camid), STORE_OK);
	T_EQ(store_camera_by_token(st, h1, &cam), STORE_NOTFOUND);
	T_EQ(store_object_get(st, camid, STORE_KIND_THUMBNAIL, 1, &og), STORE_NOTFOUND);
	T_EQ(store_object_put(st, &o, 5000), STORE_NOTFOUND);
	memset(&c, 0, sizeof(c));
	T_EQ(store_trash_list(st, 100, callback_key, &c), 0);
	T_EQ(c.n, 1);
	T_EQ(store_camera_delete(st, camid), STORE_NOTFOUND);

	t_case("reopening keeps data and the schema version");
	store_close(st);
	st = store_open(uri, 2);
	T_ASSERT(st != NULL);
	if (st != NULL) {
		T_EQ(store_account_find(st, "bob@example.com", &got, NULL), STORE_OK);
		store_close(st);
	}

	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
