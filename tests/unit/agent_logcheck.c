/*
 * The agent's log check (logcheck_keyring): a keyring is accepted only with
 * a receipt proving its own entry (this camera, epoch, hash, the owner's
 * chain) in a checkpoint of the pinned log that extends the last one seen.
 */
#include "t.h"

#include <sodium.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "keyring.h"
#include "log.h"
#include "tlog.h"
#include "tlog_entry.h"
#include "tlog_note.h"
#include "../../src/agent/logcheck.h"

static char dir[96];
static struct tlog_signer *signer, *stranger;
static struct tlog_mem *tree;
static struct tlog_hashsrc src;
static uint8_t entries[64][TLOG_ENTRY_LEN];
static uint64_t n;
static struct tlog_chain owner_chain, other_chain;
static uint8_t cam[16], cam2[16];

/* Append a keyring entry for (camera, epoch, keyring bytes) to chain c. */
static uint64_t
append_keyring(struct tlog_chain *c, const uint8_t *camera, uint32_t epoch,
    const uint8_t *kr, size_t len)
{
	struct tlog_entry e;
	uint8_t h[TLOG_HASH_LEN];

	memset(&e, 0, sizeof(e));
	e.type = TLOG_E_KEYRING;
	memcpy(e.subject, camera, 16);
	e.number = epoch;
	e.time_ms = 1764000000000ULL;
	keyring_hash(kr, len, e.commitment);
	if (tlog_chain_build(c, &e, entries[n]) != 0)
		abort();
	tlog_leaf_hash(entries[n], TLOG_ENTRY_LEN, h);
	tlog_mem_append(tree, h);
	if (tlog_chain_next(c, entries[n], TLOG_ENTRY_LEN, n) != TLOG_CHAIN_OK)
		abort();
	return n++;
}

/* The receipt JSON for entry index under a checkpoint of size (signed by
 * s), with a consistency proof from `from` (0: none). */
static json_t *
receipt(uint64_t index, uint64_t size, const struct tlog_signer *s, uint64_t from)
{
	struct tlog_checkpoint c;
	struct tlog_proof p;
	char note[1024], b64[TLOG_HASH_B64_LEN + 1], eb[256];
	size_t len;
	json_t *o, *a;

	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "cam.example/log");
	c.size = size;
	if (tlog_tree_hash(&src, size, c.root) != 0 ||
	    tlog_checkpoint_sign(s, &c, note, sizeof(note), &len) != 0 ||
	    tlog_prove_inclusion(&src, index, size, &p) != 0)
		abort();
	sodium_bin2base64(eb, sizeof(eb), entries[index], TLOG_ENTRY_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
	a = json_array();
	for (size_t i = 0; i < p.n; i++) {
		tlog_hash_to_b64(p.h[i], b64);
		json_array_append_new(a, json_string(b64));
	}
	o = json_pack("{s:I, s:s, s:I, s:s%, s:o}", "index", (json_int_t)index, "entry", eb,
	    "size", (json_int_t)size, "checkpoint", note, len, "proof", a);
	if (from > 0) {
		if (tlog_prove_consistency(&src, from, size, &p) != 0)
			abort();
		a = json_array();
		for (size_t i = 0; i < p.n; i++) {
			tlog_hash_to_b64(p.h[i], b64);
			json_array_append_new(a, json_string(b64));
		}
		json_object_set_new(o, "consistency", a);
	}
	return o;
}

static int
check(json_t *log, const uint8_t *kr, size_t len, uint32_t epoch)
{
	int r = logcheck_keyring(dir, "cam", cam, NULL, log, kr, len, epoch);

	json_decref(log);
	return r;
}

int
main(void)
{
	uint8_t kr1[100], kr2[120], kr3[90], owner_id[16], other_id[16];
	char vkey[TLOG_VKEY_MAX];
	uint64_t i1, i2, i3, ix;

	if (sodium_init() < 0 || t_mkdtemp(dir, sizeof(dir), "sealcam-logcheck") == NULL)
		return 1;
	log_set_level(LOG_ERR);
	signer = tlog_signer_generate("cam.example/log");
	stranger = tlog_signer_generate("cam.example/log");
	tree = tlog_mem_new();
	tlog_mem_source(tree, &src);
	randombytes_buf(kr1, sizeof(kr1));
	randombytes_buf(kr2, sizeof(kr2));
	randombytes_buf(kr3, sizeof(kr3));
	randombytes_buf(owner_id, 16);
	randombytes_buf(other_id, 16);
	memset(cam, 0xca, 16);
	memset(cam2, 0xcb, 16);
	tlog_chain_init(&owner_chain, owner_id);
	tlog_chain_init(&other_chain, other_id);
	tlog_signer_vkey(signer, vkey, sizeof(vkey));

	t_case("the log key from registration is pinned; no checkpoint yet");
	T_EQ(logcheck_pin_key(dir, vkey), 0);
	T_EQ(logcheck_size(dir), 0);
	T_EQ(logcheck_pin_key(dir, "not a key"), -1);

	t_case("no receipt (not in the log): refused");
	i1 = append_keyring(&owner_chain, cam, 1, kr1, sizeof(kr1));
	T_EQ(check(NULL, kr1, sizeof(kr1), 1), -1);
	T_EQ(check(json_null(), kr1, sizeof(kr1), 1), -1);

	t_case("a checkpoint signed by another key: refused");
	T_EQ(check(receipt(i1, n, stranger, 0), kr1, sizeof(kr1), 1), -1);

	t_case("a receipt whose entry is not this keyring (hash, epoch, camera): refused");
	T_EQ(check(receipt(i1, n, signer, 0), kr2, sizeof(kr2), 1), -1);
	T_EQ(check(receipt(i1, n, signer, 0), kr1, sizeof(kr1), 2), -1);
	{
		json_t *r = receipt(i1, n, signer, 0);
		T_EQ(logcheck_keyring(dir, "cam", cam2, NULL, r, kr1, sizeof(kr1), 1), -1);
		json_decref(r);
	}

	t_case("a receipt whose inclusion proof does not verify: refused");
	ix = append_keyring(&other_chain, cam2, 1, kr3, sizeof(kr3));
	{
		json_t *r = receipt(i1, n, signer, 0);
		json_array_set_new(json_object_get(r, "proof"), 0,
		    json_string("6Zhuan3yhMDszIrBPe43YdjwvUDGYf5qbvWb1PVYaDs="));
		T_EQ(check(r, kr1, sizeof(kr1), 1), -1);
		r = receipt(ix, n, signer, 0);       /* another entry's proof */
		json_object_set_new(r, "index", json_integer((json_int_t)i1));
		T_EQ(check(r, kr3, sizeof(kr3), 1), -1);
	}
	T_EQ(logcheck_size(dir), 0);

	t_case("the real receipt is accepted: checkpoint saved, owner's chain pinned");
	T_EQ(check(receipt(i1, n, signer, 0), kr1, sizeof(kr1), 1), 0);
	T_EQ(logcheck_size(dir), n);

	t_case("the next keyring: accepted with a consistency proof from the saved tree");
	{
		uint64_t saved = n;
		i2 = append_keyring(&owner_chain, cam, 2, kr2, sizeof(kr2));
		T_EQ(check(receipt(i2, n, signer, 0), kr2, sizeof(kr2), 2), -1);  /* no proof */
		T_EQ(check(receipt(i2, n, signer, saved), kr2, sizeof(kr2), 2), 0);
		T_EQ(logcheck_size(dir), n);
	}

	t_case("a keyring logged in another chain (not the owner's): refused");
	i3 = append_keyring(&other_chain, cam, 3, kr3, sizeof(kr3));
	T_EQ(check(receipt(i3, n, signer, logcheck_size(dir)), kr3, sizeof(kr3), 3), -1);

	t_case("a smaller tree than the one saved (history removed): refused");
	i3 = append_keyring(&owner_chain, cam, 3, kr3, sizeof(kr3));
	T_EQ(check(receipt(i1, 2, signer, 0), kr1, sizeof(kr1), 1), -1);
	T_EQ(check(receipt(i3, n, signer, logcheck_size(dir)), kr3, sizeof(kr3), 3), 0);

	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	tlog_mem_free(tree);
	tlog_signer_free(signer);
	tlog_signer_free(stranger);
	return t_done();
}
