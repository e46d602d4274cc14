/*
 * tlog_entry — log entry encoding and per-account chains: canonical
 * layout, refusal of non-canonical entries, and every way a chain can be
 * broken (gap, reorder, replay, wrong previous hash, foreign entry, log
 * order), plus a server-like flow through a real tlog_store.
 */
#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "codec.h"
#include "t.h"
#include "tlog_entry.h"
#include "tlog_note.h"
#include "tlog_store.h"
#include "vault.h"

static const uint8_t acct_a[16] = { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t acct_b[16] = { 0xbb, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

static void fill(struct tlog_entry *e, unsigned type, uint64_t t)
{
	memset(e, 0, sizeof(*e));
	e->type = (uint8_t)type;
	e->time_ms = 1700000000000ULL + t;
	memset(e->commitment, (int)(0x40 + t), 32);
	switch (type) {
	case TLOG_E_KEYRING:
		memset(e->subject, 0xc0, 16);	/* camera */
		e->number = t + 1;		/* epoch */
		break;
	case TLOG_E_STAFF_ADDED:
	case TLOG_E_STAFF_REMOVED:
		memset(e->subject, 0x5f, 16);	/* principal */
		break;
	case TLOG_E_GRANT_CREATED:
	case TLOG_E_GRANT_REVOKED:
	case TLOG_E_STAFF_ACCESS:
	case TLOG_E_LIVE_SESSION:
		memset(e->subject, 0x61, 16);
		memset(e->actor, 0x5f, 16);
		break;
	}
}

static void test_layout(void)
{
	struct tlog_entry e, back;
	uint8_t b[TLOG_ENTRY_LEN];
	char hex[2 * TLOG_ENTRY_LEN + 1];
	/* Known answer: a keyring entry, seq 1, every field distinct. */
	static const char want[] =
	    "53434c45" "01" "01" "0000"
	    "aa0102030405060708090a0b0c0d0e0f"
	    "0000000000000001"
	    "1111111111111111111111111111111111111111111111111111111111111111"
	    "0000018bcfe56800"
	    "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0"
	    "00000000000000000000000000000000"
	    "0000000000000007"
	    "4242424242424242424242424242424242424242424242424242424242424242";

	t_case("entry layout: 144 bytes, fixed offsets, big-endian, known answer; every type round-trips");
	memset(&e, 0, sizeof(e));
	e.type = TLOG_E_KEYRING;
	memcpy(e.account, acct_a, 16);
	e.seq = 1;
	memset(e.prev, 0x11, 32);
	e.time_ms = 1700000000000ULL;
	memset(e.subject, 0xc0, 16);
	e.number = 7;
	memset(e.commitment, 0x42, 32);
	T_ASSERT(tlog_entry_encode(&e, b) == 0);
	codec_hex_encode(b, sizeof(b), hex, sizeof(hex));
	T_ASSERT(strcmp(hex, want) == 0);
	T_ASSERT(tlog_entry_parse(b, sizeof(b), &back) == 0);
	T_ASSERT(memcmp(&e, &back, sizeof(e)) == 0);
	for (unsigned type = 1; type <= TLOG_E_MAX; type++) {
		fill(&e, type, type);
		if (type != TLOG_E_STAFF_ADDED && type != TLOG_E_STAFF_REMOVED)
			memcpy(e.account, acct_b, 16);
		T_ASSERT(tlog_entry_encode(&e, b) == 0);
		T_ASSERT(tlog_entry_parse(b, sizeof(b), &back) == 0);
		T_ASSERT(memcmp(&e, &back, sizeof(e)) == 0);
		T_ASSERT(strcmp(tlog_entry_type_name(type), "unknown") != 0);
	}
	T_ASSERT(strcmp(tlog_entry_type_name(0), "unknown") == 0);
	T_ASSERT(strcmp(tlog_entry_type_name(9), "unknown") == 0);
}

static void test_noncanonical(void)
{
	struct tlog_entry e, back;
	uint8_t good[TLOG_ENTRY_LEN], b[TLOG_ENTRY_LEN + 1];
	int accepted = 0;

	t_case("entries: wrong length, magic, version, reserved bytes, type, unused fields or seq/prev rule are refused");
	fill(&e, TLOG_E_VAULT_KEY, 1);
	memcpy(e.account, acct_a, 16);
	T_ASSERT(tlog_entry_encode(&e, good) == 0);
	T_ASSERT(tlog_entry_parse(good, TLOG_ENTRY_LEN - 1, &back) == -1);
	memcpy(b, good, TLOG_ENTRY_LEN);
	b[TLOG_ENTRY_LEN] = 0;
	T_ASSERT(tlog_entry_parse(b, TLOG_ENTRY_LEN + 1, &back) == -1);
	/* single-byte changes in the header and in fields a vault entry must
	 * leave zero */
	static const int offs[] = { 0, 3, 4, 5, 6, 7, 72, 87, 88, 103, 104, 111 };
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		memcpy(b, good, TLOG_ENTRY_LEN);
		b[offs[i]] ^= 0x01;
		if (tlog_entry_parse(b, TLOG_ENTRY_LEN, &back) == 0) {
			printf("# accepted change at byte %d\n", offs[i]);
			accepted++;
		}
	}
	T_EQ(accepted, 0);
	/* seq 0 must have no prev; seq > 0 must have one */
	e.seq = 0;
	memset(e.prev, 1, 32);
	T_ASSERT(tlog_entry_encode(&e, b) == -1);
	e.seq = 3;
	memset(e.prev, 0, 32);
	T_ASSERT(tlog_entry_encode(&e, b) == -1);
	/* staff entries belong to the directory chain only */
	fill(&e, TLOG_E_STAFF_ADDED, 1);
	memcpy(e.account, acct_a, 16);
	T_ASSERT(tlog_entry_encode(&e, b) == -1);
	memcpy(e.account, TLOG_STAFF_DIRECTORY, 16);
	T_ASSERT(tlog_entry_encode(&e, b) == 0);
	/* a keyring entry has no actor; a grant has no number */
	fill(&e, TLOG_E_KEYRING, 1);
	e.actor[3] = 1;
	T_ASSERT(tlog_entry_encode(&e, b) == -1);
	fill(&e, TLOG_E_GRANT_CREATED, 1);
	e.number = 1;
	T_ASSERT(tlog_entry_encode(&e, b) == -1);
	e.type = 0;
	T_ASSERT(tlog_entry_encode(&e, b) == -1);
	e.type = TLOG_E_MAX + 1;
	T_ASSERT(tlog_entry_encode(&e, b) == -1);
}

static void test_commitments(void)
{
	uint8_t sign_pk[32], box_pk[32], c[32], want[32], l16[16] = { 0 };
	char fpr[VAULT_FINGERPRINT_LEN + 1], b32[32], nodash[32];
	crypto_generichash_state st;
	size_t k = 0;

	t_case("commitments: vault entry = the account fingerprint's hash; others = BLAKE2b of label and data");
	randombytes_buf(sign_pk, 32);
	randombytes_buf(box_pk, 32);
	tlog_commit_vault(sign_pk, box_pk, c);
	vault_fingerprint_account(sign_pk, box_pk, fpr);
	codec_b32_encode(c, 10, b32, sizeof(b32));
	for (size_t i = 0; fpr[i]; i++)
		if (fpr[i] != '-')
			nodash[k++] = fpr[i];
	nodash[k] = '\0';
	T_ASSERT(strcmp(nodash, b32) == 0);
	/* others: BLAKE2b-256(label NUL-padded to 16 || data) */
	tlog_commit("sealcam-logacc", (const uint8_t *)"\x01\x01\x02\x03\x04\x05\x06\x07\x08", 9, c);
	memcpy(l16, "sealcam-logacc", 14);
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, l16, 16);
	crypto_generichash_update(&st, (const uint8_t *)"\x01\x01\x02\x03\x04\x05\x06\x07\x08", 9);
	crypto_generichash_final(&st, want, 32);
	T_MEMEQ(c, want, 32);
	tlog_commit("sealcam-loggrant", (const uint8_t *)"grant", 5, c);
	tlog_commit("sealcam-logstaff", (const uint8_t *)"grant", 5, want);
	T_ASSERT(memcmp(c, want, 32) != 0);
}

/* --- chains ----------------------------------------------------------------- */

#define N 10
static uint8_t ents[N][TLOG_ENTRY_LEN];
static uint64_t idx[N];

/* Build an account's chain of N entries at log indexes 3, 7, 11, ... */
static void build_chain(void)
{
	struct tlog_chain c;

	tlog_chain_init(&c, acct_a);
	for (int i = 0; i < N; i++) {
		struct tlog_entry e;

		fill(&e, 1 + (unsigned)i % 2 * 4, (uint64_t)i);	/* keyring / grant */
		T_ASSERT(tlog_chain_build(&c, &e, ents[i]) == 0);
		idx[i] = 3 + 4 * (uint64_t)i;
		T_EQ(tlog_chain_next(&c, ents[i], TLOG_ENTRY_LEN, idx[i]), TLOG_CHAIN_OK);
	}
	T_EQ(c.next_seq, N);
}

/* Verify a sequence of (entry, index) from a fresh chain: first error, at. */
static int run(const int *order, int n, int *at)
{
	struct tlog_chain c;

	tlog_chain_init(&c, acct_a);
	for (int k = 0; k < n; k++) {
		int r = tlog_chain_next(&c, ents[order[k]], TLOG_ENTRY_LEN, idx[order[k]]);

		if (r != TLOG_CHAIN_OK) {
			*at = k;
			return r;
		}
	}
	*at = n;
	return TLOG_CHAIN_OK;
}

static void test_chain(void)
{
	int at;
	static const int all[N] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const int gap[N - 1] = { 0, 1, 2, 4, 5, 6, 7, 8, 9 };
	static const int swap[N] = { 0, 1, 2, 4, 3, 5, 6, 7, 8, 9 };
	static const int dup[N + 1] = { 0, 1, 2, 3, 3, 4, 5, 6, 7, 8, 9 };
	static const int nofirst[N - 1] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	t_case("chains: complete chain verifies; a gap, a reorder, a replay, a missing first entry are reported where they occur");
	build_chain();
	T_EQ(run(all, N, &at), TLOG_CHAIN_OK);
	T_EQ(at, N);
	T_EQ(run(gap, N - 1, &at), TLOG_CHAIN_GAP);
	T_EQ(at, 3);
	T_EQ(run(swap, N, &at), TLOG_CHAIN_GAP);
	T_EQ(at, 3);
	T_EQ(run(dup, N + 1, &at), TLOG_CHAIN_STALE);
	T_EQ(at, 4);
	T_EQ(run(nofirst, N - 1, &at), TLOG_CHAIN_GAP);
	T_EQ(at, 0);
	T_ASSERT(strstr(tlog_chain_strerror(TLOG_CHAIN_GAP), "missing") != NULL);
}

static void test_chain_links(void)
{
	struct tlog_chain c, saved;
	struct tlog_entry e;
	uint8_t forged[TLOG_ENTRY_LEN], other[TLOG_ENTRY_LEN];

	t_case("chains: wrong previous hash, another account's entry, log order, malformed bytes; state kept on error and resumable");
	build_chain();
	tlog_chain_init(&c, acct_a);
	for (int i = 0; i < 4; i++)
		T_EQ(tlog_chain_next(&c, ents[i], TLOG_ENTRY_LEN, idx[i]), TLOG_CHAIN_OK);
	saved = c;
	/* Entry 4 rewritten by a server that changed entry 3: same seq,
	 * prev = the hash of something else. */
	T_ASSERT(tlog_entry_parse(ents[4], TLOG_ENTRY_LEN, &e) == 0);
	e.prev[0] ^= 1;
	T_ASSERT(tlog_entry_encode(&e, forged) == 0);
	T_EQ(tlog_chain_next(&c, forged, TLOG_ENTRY_LEN, idx[4]), TLOG_CHAIN_PREV);
	T_ASSERT(memcmp(&c, &saved, sizeof(c)) == 0);
	/* the same entry under another account */
	memcpy(e.account, acct_b, 16);
	e.prev[0] ^= 1;
	T_ASSERT(tlog_entry_encode(&e, other) == 0);
	T_EQ(tlog_chain_next(&c, other, TLOG_ENTRY_LEN, idx[4]), TLOG_CHAIN_ACCOUNT);
	/* logged before its predecessor */
	T_EQ(tlog_chain_next(&c, ents[4], TLOG_ENTRY_LEN, idx[3]), TLOG_CHAIN_ORDER);
	T_EQ(tlog_chain_next(&c, ents[4], TLOG_ENTRY_LEN - 1, idx[4]), TLOG_CHAIN_MALFORMED);
	T_ASSERT(memcmp(&c, &saved, sizeof(c)) == 0);
	/* resume from the saved state (what a client stores between runs) */
	for (int i = 4; i < N; i++)
		T_EQ(tlog_chain_next(&c, ents[i], TLOG_ENTRY_LEN, idx[i]), TLOG_CHAIN_OK);
	T_EQ(c.next_seq, N);
}

/* --- the server's flow through a real store --------------------------------------- */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void test_store_flow(void)
{
	struct tlog_signer *sg = tlog_signer_generate("sealcam.test/log");
	struct tlog_verifier *v = NULL;
	struct tlog_store_opts o = { .interval_ms = 2 };
	char dir[96], vk[TLOG_VKEY_MAX], note[1024];
	struct tlog_store *s = NULL;
	struct tlog_chain srv[2], cli[2];
	uint64_t at[2][12];
	struct tlog_checkpoint cp;
	size_t len;
	uint64_t size;
	int bad = 0;

	t_case("server flow: two accounts' entries appended interleaved; each client verifies its chain and every inclusion proof");
	T_ASSERT(sg != NULL && t_mkdtemp(dir, sizeof(dir), "tlog-entry") != NULL);
	T_ASSERT(tlog_signer_vkey(sg, vk, sizeof(vk)) == 0);
	v = tlog_verifier_parse(vk);
	s = tlog_store_open(dir, sg, &o);
	T_ASSERT(s != NULL && v != NULL);
	if (s == NULL || v == NULL)
		goto out;
	tlog_chain_init(&srv[0], acct_a);
	tlog_chain_init(&srv[1], acct_b);
	for (int i = 0; i < 12; i++)
		for (int a = 0; a < 2; a++) {
			struct tlog_entry e;
			uint8_t b[TLOG_ENTRY_LEN];

			fill(&e, (unsigned)(i % 2 ? TLOG_E_STAFF_ACCESS : TLOG_E_VAULT_KEY), (uint64_t)i);
			if (tlog_chain_build(&srv[a], &e, b) != 0 ||
			    tlog_store_append(s, b, sizeof(b), &at[a][i]) != 0 ||
			    tlog_chain_next(&srv[a], b, sizeof(b), at[a][i]) != TLOG_CHAIN_OK)
				bad++;
		}
	T_EQ(bad, 0);
	T_ASSERT(tlog_store_checkpoint(s, note, sizeof(note), &len, &size) == 0);
	T_ASSERT(tlog_checkpoint_open(note, len, v, "sealcam.test/log", &cp) == 0);
	T_EQ(cp.size, 24);
	for (int a = 0; a < 2; a++) {
		tlog_chain_init(&cli[a], a ? acct_b : acct_a);
		for (int i = 0; i < 12; i++) {
			uint8_t b[TLOG_ENTRY_LEN], lh[32];
			struct tlog_proof p;

			if (tlog_store_read_entry(s, at[a][i], b, sizeof(b), &len) != 0 ||
			    tlog_chain_next(&cli[a], b, len, at[a][i]) != TLOG_CHAIN_OK ||
			    tlog_store_prove_inclusion(s, at[a][i], cp.size, &p) != 0) {
				bad++;
				continue;
			}
			tlog_leaf_hash(b, len, lh);
			bad += tlog_verify_inclusion(lh, 32, at[a][i], cp.size, &p, cp.root, 32) != 0;
		}
		T_ASSERT(memcmp(cli[a].last_hash, srv[a].last_hash, 32) == 0);
	}
	T_EQ(bad, 0);
	/* An index that leaves out one of a's entries: the client sees it. */
	{
		struct tlog_chain c;
		uint8_t b[TLOG_ENTRY_LEN];
		int r = TLOG_CHAIN_OK;

		tlog_chain_init(&c, acct_a);
		for (int i = 0; i < 12 && r == TLOG_CHAIN_OK; i++) {
			if (i == 5)
				continue;
			if (tlog_store_read_entry(s, at[0][i], b, sizeof(b), &len) != 0)
				break;
			r = tlog_chain_next(&c, b, len, at[0][i]);
		}
		T_EQ(r, TLOG_CHAIN_GAP);
		T_EQ(c.next_seq, 5);
	}
out:
	tlog_store_free(s);
	tlog_verifier_free(v);
	tlog_signer_free(sg);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_layout();
	test_noncanonical();
	test_commitments();
	test_chain();
	test_chain_links();
	test_store_flow();
	return t_done();
}
