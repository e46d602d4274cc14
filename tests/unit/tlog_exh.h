/*
 * tlog_exh.h — the exhaustive proof self-test, shared by two test programs
 * (tlog_exh_incl, tlog_exh_cons) so each stays within the per-test time
 * budget under sanitizers. Define EXH_WHAT before including.
 *
 * Over every tree size 1..130, every proof is generated and verified, then
 * altered one bit at a time (proof hashes, leaf, roots, index, sizes) and
 * each alteration must be rejected — except index/size changes that leave
 * the proof's shape identical, which no verifier can detect (see below).
 */
#ifndef SEALCAM_TLOG_EXH_H
#define SEALCAM_TLOG_EXH_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "t.h"
#include "tlog.h"

enum { EXH_INCLUSION, EXH_CONSISTENCY };
static int exh_what = EXH_WHAT;

/* --- exhaustive self-test ----------------------------------------------- */

#define EXH_MAX 130

static struct tlog_mem *exh_tree;
static uint8_t exh_roots[EXH_MAX + 1][32];
static uint8_t exh_leaf[EXH_MAX][32];
static int exh_full_upto = EXH_MAX;	/* every bit up to this size, see below */

struct exh_job {
	int first, step;	/* tree sizes first, first+step, ... */
	long proofs, flips, same_shape, failures;
};

/*
 * Bits of a 32-byte value to flip: every bit, for every size (about 40 M
 * altered proofs in all). TLOG_EXHAUSTIVE_QUICK=1 flips one bit per byte
 * (rotating through the 8 positions) above 16 leaves, for quick runs while
 * editing; the test suite always runs the full set.
 */
static int flip_bits(int size, int *bits)
{
	int n = 0;

	for (int byte = 0; byte < 32; byte++)
		for (int bit = 0; bit < 8; bit++)
			if (size <= exh_full_upto || bit == byte % 8)
				bits[n++] = byte * 8 + bit;
	return n;
}

/*
 * A Merkle root does not commit to the tree size: a proof of the same shape
 * (the same sequence of left/right siblings, and for consistency the same
 * seed rule) computes the same root for another size or index, so such a
 * change cannot be detected from the proof and root alone — it is the
 * signed checkpoint that binds size and root together. The shapes here come
 * from RFC 9162's PATH and SUBPROOF recursions, written independently of the
 * verifier; a changed size or index must be rejected exactly when its shape
 * differs (or it is out of range).
 */
struct shape {
	int valid;
	unsigned len, seed;
	uint64_t sides;
};

static uint64_t pow2_below(uint64_t n)
{
	uint64_t k = 1;

	while (k <= (n - 1) / 2)
		k *= 2;
	return k;
}

static struct shape incl_shape(uint64_t i, uint64_t n)
{
	struct shape s = { 0, 0, 0, 0 };
	uint64_t lo = 0, hi = n;

	if (i >= n)
		return s;
	s.valid = 1;
	while (hi - lo > 1 && s.len < 64) {
		uint64_t k = pow2_below(hi - lo);

		if (i < lo + k) {
			hi = lo + k;
		} else {
			lo += k;
			s.sides |= (uint64_t)1 << s.len;
		}
		s.len++;
	}
	if (hi - lo > 1)
		s.valid = 0;
	return s;
}

static struct shape cons_shape(uint64_t m, uint64_t n)
{
	struct shape s = { 0, 0, 0, 0 };
	uint64_t lo = 0, hi = n;

	if (m == 0 || m > n)
		return s;
	s.valid = 1;
	s.seed = 1;
	while (hi != m && s.len < 64) {
		uint64_t k = pow2_below(hi - lo);

		if (m - lo <= k) {
			hi = lo + k;
		} else {
			lo += k;
			s.seed = 0;	/* seed node carried in the proof */
			s.sides |= (uint64_t)1 << s.len;
		}
		s.len++;
	}
	if (hi != m)
		s.valid = 0;
	return s;
}

static int shape_eq(struct shape a, struct shape b)
{
	return a.valid && b.valid && a.len == b.len && a.seed == b.seed &&
	    a.sides == b.sides;
}

static void *exh_run(void *arg)
{
	int do_incl = exh_what == EXH_INCLUSION, do_cons = !do_incl;
	struct exh_job *job = arg;
	struct tlog_hashsrc src;
	struct tlog_proof p;
	int bits[256];

	tlog_mem_source(exh_tree, &src);
	for (int n = job->first; n <= EXH_MAX; n += job->step) {
		int nb = flip_bits(n, bits);
		uint8_t *root = exh_roots[n];

		for (int i = 0; do_incl && i < n; i++) {
			uint8_t *leaf = exh_leaf[i];

			job->proofs++;
			if (tlog_prove_inclusion(&src, (uint64_t)i, (uint64_t)n, &p) != 0 ||
			    tlog_verify_inclusion(leaf, 32, (uint64_t)i, (uint64_t)n, &p, root, 32) != 0) {
				printf("# inclusion %d in %d does not verify\n", i, n);
				job->failures++;
				continue;
			}
			for (int b = 0; b < 64; b++) {
				uint64_t x = (uint64_t)1 << b, ii = (uint64_t)i ^ x, nn = (uint64_t)n ^ x;
				struct shape sh = incl_shape((uint64_t)i, (uint64_t)n);
				int want_i = shape_eq(incl_shape(ii, (uint64_t)n), sh);
				int want_n = shape_eq(incl_shape((uint64_t)i, nn), sh);
				int got_i = tlog_verify_inclusion(leaf, 32, ii, (uint64_t)n, &p, root, 32) == 0;
				int got_n = tlog_verify_inclusion(leaf, 32, (uint64_t)i, nn, &p, root, 32) == 0;

				job->flips += 2 - want_i - want_n;
				job->same_shape += want_i + want_n;
				if (got_i != want_i || got_n != want_n) {
					printf("# inclusion %d/%d: bit %d of index (%s) or size (%s)\n",
					    i, n, b, got_i ? "accepted" : "rejected", got_n ? "accepted" : "rejected");
					job->failures++;
				}
			}
			for (int k = 0; k < nb; k++) {
				uint8_t l2[32], r2[32];
				int byte = bits[k] / 8, m = 1 << (bits[k] % 8);

				memcpy(l2, leaf, 32);
				memcpy(r2, root, 32);
				l2[byte] ^= (uint8_t)m;
				r2[byte] ^= (uint8_t)m;
				job->flips += 2;
				if (tlog_verify_inclusion(l2, 32, (uint64_t)i, (uint64_t)n, &p, root, 32) == 0 ||
				    tlog_verify_inclusion(leaf, 32, (uint64_t)i, (uint64_t)n, &p, r2, 32) == 0) {
					printf("# inclusion %d/%d: leaf or root bit %d flipped verifies\n", i, n, bits[k]);
					job->failures++;
				}
				for (size_t e = 0; e < p.n; e++) {
					p.h[e][byte] ^= (uint8_t)m;
					job->flips++;
					if (tlog_verify_inclusion(leaf, 32, (uint64_t)i, (uint64_t)n, &p, root, 32) == 0) {
						printf("# inclusion %d/%d: proof[%zu] bit %d flipped verifies\n", i, n, e, bits[k]);
						job->failures++;
					}
					p.h[e][byte] ^= (uint8_t)m;
				}
			}
		}
		for (int m1 = 1; do_cons && m1 <= n; m1++) {
			uint8_t *r1 = exh_roots[m1];

			job->proofs++;
			if (tlog_prove_consistency(&src, (uint64_t)m1, (uint64_t)n, &p) != 0 ||
			    tlog_verify_consistency((uint64_t)m1, (uint64_t)n, &p, r1, 32, root, 32) != 0) {
				printf("# consistency %d -> %d does not verify\n", m1, n);
				job->failures++;
				continue;
			}
			for (int b = 0; b < 64; b++) {
				uint64_t x = (uint64_t)1 << b, mm = (uint64_t)m1 ^ x, nn = (uint64_t)n ^ x;
				struct shape sh = cons_shape((uint64_t)m1, (uint64_t)n);
				/* Equal sizes: the empty proof only fits equal sizes. */
				int want_m = m1 != n && shape_eq(cons_shape(mm, (uint64_t)n), sh);
				int want_n = m1 != n && shape_eq(cons_shape((uint64_t)m1, nn), sh);
				int got_m = tlog_verify_consistency(mm, (uint64_t)n, &p, r1, 32, root, 32) == 0;
				int got_n = tlog_verify_consistency((uint64_t)m1, nn, &p, r1, 32, root, 32) == 0;

				job->flips += 2 - want_m - want_n;
				job->same_shape += want_m + want_n;
				if (got_m != want_m || got_n != want_n) {
					printf("# consistency %d->%d: bit %d of size1 (%s) or size2 (%s)\n",
					    m1, n, b, got_m ? "accepted" : "rejected", got_n ? "accepted" : "rejected");
					job->failures++;
				}
			}
			for (int k = 0; k < nb; k++) {
				uint8_t a2[32], b2[32];
				int byte = bits[k] / 8, m = 1 << (bits[k] % 8);

				memcpy(a2, r1, 32);
				memcpy(b2, root, 32);
				a2[byte] ^= (uint8_t)m;
				b2[byte] ^= (uint8_t)m;
				job->flips += 2;
				if (tlog_verify_consistency((uint64_t)m1, (uint64_t)n, &p, a2, 32, root, 32) == 0 ||
				    tlog_verify_consistency((uint64_t)m1, (uint64_t)n, &p, r1, 32, b2, 32) == 0) {
					printf("# consistency %d->%d: root bit %d flipped verifies\n", m1, n, bits[k]);
					job->failures++;
				}
				for (size_t e = 0; e < p.n; e++) {
					p.h[e][byte] ^= (uint8_t)m;
					job->flips++;
					if (tlog_verify_consistency((uint64_t)m1, (uint64_t)n, &p, r1, 32, root, 32) == 0) {
						printf("# consistency %d->%d: proof[%zu] bit %d flipped verifies\n", m1, n, e, bits[k]);
						job->failures++;
					}
					p.h[e][byte] ^= (uint8_t)m;
				}
			}
		}
	}
	return NULL;
}

static void exh_test(void)
{
	struct tlog_hashsrc src;
	struct exh_job jobs[2] = { { 1, 2, 0, 0, 0, 0 }, { 2, 2, 0, 0, 0, 0 } };
	pthread_t th;
	const char *quick = getenv("TLOG_EXHAUSTIVE_QUICK"), *scope;

	if (quick != NULL && strcmp(quick, "1") == 0)
		exh_full_upto = 16;
	scope = exh_full_upto == EXH_MAX ? "all 256 bits of every hash" :
	    "QUICK: all bits up to size 16, one per byte above";
	if (exh_what == EXH_INCLUSION)
		t_case("sizes 1..%d: every inclusion proof verifies; every bit flip "
		    "of proof, root or leaf is rejected (%s); index and size flips "
		    "are rejected unless the proof shape is identical", EXH_MAX, scope);
	else
		t_case("sizes 1..%d: every consistency proof (all pairs) verifies; "
		    "every bit flip of proof or roots is rejected (%s); size flips "
		    "are rejected unless the proof shape is identical", EXH_MAX, scope);
	exh_tree = tlog_mem_new();
	tlog_mem_source(exh_tree, &src);
	for (int i = 0; i < EXH_MAX; i++) {
		char e[32];

		snprintf(e, sizeof(e), "entry %d", i);
		tlog_leaf_hash((const uint8_t *)e, strlen(e), exh_leaf[i]);
		T_ASSERT(tlog_mem_append(exh_tree, exh_leaf[i]) == 0);
	}
	for (int n = 0; n <= EXH_MAX; n++)
		T_ASSERT(tlog_tree_hash(&src, (uint64_t)n, exh_roots[n]) == 0);
	/* Two threads: the box has two cores and this is pure hashing. */
	T_ASSERT(pthread_create(&th, NULL, exh_run, &jobs[1]) == 0);
	exh_run(&jobs[0]);
	pthread_join(th, NULL);
	printf("# %ld proofs, %ld altered proofs rejected, %ld size/index changes "
	    "with an identical proof shape accepted as the math requires\n",
	    jobs[0].proofs + jobs[1].proofs, jobs[0].flips + jobs[1].flips,
	    jobs[0].same_shape + jobs[1].same_shape);
	T_EQ(jobs[0].proofs + jobs[1].proofs, EXH_MAX * (EXH_MAX + 1) / 2);
	T_EQ(jobs[0].failures + jobs[1].failures, 0);
	tlog_mem_free(exh_tree);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	exh_test();
	return t_done();
}

#endif
