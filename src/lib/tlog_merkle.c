/*
 * tlog_merkle.c — RFC 9162 tree hashing, proof generation and verification.
 *
 * Generation works on complete subtrees only (what tiles store): a hash of
 * an arbitrary range D[lo:hi) is folded from the complete subtrees that
 * tile it, which is what RFC 9162's MTH recursion computes when lo is
 * aligned to the range's size rounded up to a power of two — and every range
 * PATH and SUBPROOF ask for is.
 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "tlog.h"

/*
 * SHA-256 for the tree. Every proof check and every tile costs a few dozen
 * of these 33- and 65-byte hashes, so the implementation matters: OpenSSL's
 * uses the CPU's SHA extensions where present (about 2.5x libsodium's
 * portable code per node hash on this box, docs/BENCHMARKS.md "tlog"). The
 * algorithm is fetched once; should OpenSSL ever fail (out of memory), the
 * same hash is computed by libsodium, so the result never depends on the
 * path taken.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static void sha256_pair(const uint8_t *a, size_t alen, const uint8_t *b,
    size_t blen, uint8_t out[TLOG_HASH_LEN])
{
	crypto_hash_sha256_state st;
	EVP_MD_CTX *ctx;
	unsigned int olen = 0;
	int ok = 0;

	pthread_once(&sha256_once, sha256_fetch);
	if (sha256_md != NULL && (ctx = EVP_MD_CTX_new()) != NULL) {
		ok = EVP_DigestInit_ex2(ctx, sha256_md, NULL) == 1 &&
		    EVP_DigestUpdate(ctx, a, alen) == 1 &&
		    (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1) &&
		    EVP_DigestFinal_ex(ctx, out, &olen) == 1 && olen == TLOG_HASH_LEN;
		EVP_MD_CTX_free(ctx);
	}
	if (ok)
		return;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, a, alen);
	crypto_hash_sha256_update(&st, b, blen);
	crypto_hash_sha256_final(&st, out);
}

void tlog_leaf_hash(const uint8_t *entry, size_t len,
    uint8_t out[TLOG_HASH_LEN])
{
	static const uint8_t prefix = 0x00;

	sha256_pair(&prefix, 1, entry, len, out);
}

void tlog_node_hash(const uint8_t left[TLOG_HASH_LEN],
    const uint8_t right[TLOG_HASH_LEN], uint8_t out[TLOG_HASH_LEN])
{
	uint8_t buf[1 + 2 * TLOG_HASH_LEN];

	/* Copy first: out may be left or right. */
	buf[0] = 0x01;
	memcpy(buf + 1, left, TLOG_HASH_LEN);
	memcpy(buf + 1 + TLOG_HASH_LEN, right, TLOG_HASH_LEN);
	sha256_pair(buf, sizeof(buf), NULL, 0, out);
}

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
	return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static unsigned log2_exact(uint64_t pow2)
{
	return (unsigned)__builtin_ctzll(pow2);
}

/* MTH(D[lo:hi)), lo < hi, from complete subtrees folded right to left. */
static int range_hash(const struct tlog_hashsrc *src, uint64_t lo,
    uint64_t hi, uint8_t out[TLOG_HASH_LEN])
{
	uint8_t parts[2 * 64][TLOG_HASH_LEN];
	size_t n = 0;

	if (lo >= hi)
		return -1;
	while (lo < hi) {
		unsigned level = lo ? (unsigned)__builtin_ctzll(lo) : 63;

		while (level > 0 && ((uint64_t)1 << level) > hi - lo)
			level--;
		if (src->read(src->cookie, level, lo >> level, parts[n]) != 0)
			return -1;
		n++;
		lo += (uint64_t)1 << level;
	}
	memcpy(out, parts[n - 1], TLOG_HASH_LEN);
	while (n-- > 1)
		tlog_node_hash(parts[n - 1], out, out);
	return 0;
}

int tlog_tree_hash(const struct tlog_hashsrc *src, uint64_t size,
    uint8_t root[TLOG_HASH_LEN])
{
	if (size == 0) {
		crypto_hash_sha256(root, (const uint8_t *)"", 0);
		return 0;
	}
	return range_hash(src, 0, size, root);
}

/* Proof nodes are found top-down; RFC 9162 sends them bottom-up. */
static void reverse_into(struct tlog_proof *out,
    uint8_t tmp[][TLOG_HASH_LEN], size_t n, size_t first)
{
	for (size_t i = 0; i < n; i++)
		memcpy(out->h[first + i], tmp[n - 1 - i], TLOG_HASH_LEN);
	out->n = first + n;
}

int tlog_prove_inclusion(const struct tlog_hashsrc *src, uint64_t index,
    uint64_t size, struct tlog_proof *out)
{
	uint8_t tmp[64][TLOG_HASH_LEN];
	uint64_t lo = 0, hi = size;
	size_t n = 0;

	out->n = 0;
	if (index >= size)
		return -1;
	/* PATH(m, D[lo:hi)): descend towards the leaf, keeping the sibling. */
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);

		if (index < lo + k) {
			if (range_hash(src, lo + k, hi, tmp[n++]) != 0)
				return -1;
			hi = lo + k;
		} else {
			if (src->read(src->cookie, log2_exact(k), lo / k,
			    tmp[n++]) != 0)
				return -1;
			lo += k;
		}
	}
	reverse_into(out, tmp, n, 0);
	return 0;
}

int tlog_prove_consistency(const struct tlog_hashsrc *src, uint64_t size1,
    uint64_t size2, struct tlog_proof *out)
{
	uint8_t tmp[64][TLOG_HASH_LEN];
	uint64_t lo = 0, hi = size2;
	size_t n = 0;
	int whole = 1;	/* RFC's b: still on the old tree's own root path */

	out->n = 0;
	if (size1 == 0 || size1 > size2)
		return -1;
	/* SUBPROOF(m, D[lo:hi), b) until the old tree's boundary is a root. */
	while (hi != size1) {
		uint64_t k = split_point(hi - lo);

		if (size1 - lo <= k) {
			if (range_hash(src, lo + k, hi, tmp[n++]) != 0)
				return -1;
			hi = lo + k;
		} else {
			if (src->read(src->cookie, log2_exact(k), lo / k,
			    tmp[n++]) != 0)
				return -1;
			lo += k;
			whole = 0;
		}
	}
	if (!whole) {
		/* The seed: the subtree of the old tree the path starts at. */
		if (range_hash(src, lo, hi, out->h[0]) != 0)
			return -1;
	}
	reverse_into(out, tmp, n, whole ? 0 : 1);
	return 0;
}

/* Proof lengths a well-formed proof must have, from the same recursions. */
static size_t inclusion_len(uint64_t index, uint64_t size)
{
	uint64_t lo = 0, hi = size;
	size_t n = 0;

	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);

		if (index < lo + k)
			hi = lo + k;
		else
			lo += k;
		n++;
	}
	return n;
}

static size_t consistency_len(uint64_t size1, uint64_t size2)
{
	uint64_t lo = 0, hi = size2;
	size_t n = 0;
	int whole = 1;

	while (hi != size1) {
		uint64_t k = split_point(hi - lo);

		if (size1 - lo <= k) {
			hi = lo + k;
		} else {
			lo += k;
			whole = 0;
		}
		n++;
	}
	return n + (whole ? 0 : 1);
}

static int hash_eq(const uint8_t *a, const uint8_t *b)
{
	return sodium_memcmp(a, b, TLOG_HASH_LEN) == 0;
}

int tlog_verify_inclusion(const uint8_t *leaf_hash, size_t leaf_len,
    uint64_t index, uint64_t size, const struct tlog_proof *proof,
    const uint8_t *root, size_t root_len)
{
	uint8_t r[TLOG_HASH_LEN];
	uint64_t fn, sn;

	if (leaf_len != TLOG_HASH_LEN || root_len != TLOG_HASH_LEN ||
	    index >= size || proof->n > TLOG_PROOF_MAX)
		return -1;
	/* A proof of the wrong length cannot verify; say so before hashing. */
	if (proof->n != inclusion_len(index, size))
		return -1;

	/* RFC 9162, 2.1.3.2. */
	fn = index;
	sn = size - 1;
	memcpy(r, leaf_hash, TLOG_HASH_LEN);
	for (size_t i = 0; i < proof->n; i++) {
		const uint8_t *p = proof->h[i];

		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			tlog_node_hash(p, r, r);
			if (!(fn & 1)) {
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			tlog_node_hash(r, p, r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return (sn == 0 && hash_eq(r, root)) ? 0 : -1;
}

int tlog_verify_consistency(uint64_t size1, uint64_t size2,
    const struct tlog_proof *proof, const uint8_t *root1, size_t root1_len,
    const uint8_t *root2, size_t root2_len)
{
	uint8_t fr[TLOG_HASH_LEN], sr[TLOG_HASH_LEN];
	const uint8_t *seed;
	uint64_t fn, sn;
	size_t i;

	if (size1 == 0 || size1 > size2 || proof->n > TLOG_PROOF_MAX)
		return -1;
	if (size1 == size2) {
		/* Same tree: nothing to prove, the roots must be the same. */
		if (proof->n != 0 || root1_len != root2_len)
			return -1;
		return sodium_memcmp(root1, root2, root1_len) == 0 ? 0 : -1;
	}
	if (root1_len != TLOG_HASH_LEN || root2_len != TLOG_HASH_LEN)
		return -1;
	if (proof->n == 0 || proof->n != consistency_len(size1, size2))
		return -1;

	/* RFC 9162, 2.1.4.2. A power-of-two old tree is its own seed node:
	 * the proof omits it and we start from root1. */
	i = 0;
	if ((size1 & (size1 - 1)) == 0)
		seed = root1;
	else
		seed = proof->h[i++];
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, seed, TLOG_HASH_LEN);
	memcpy(sr, seed, TLOG_HASH_LEN);
	for (; i < proof->n; i++) {
		const uint8_t *c = proof->h[i];

		if (sn == 0)
			return -1;
		if ((fn & 1) || fn == sn) {
			tlog_node_hash(c, fr, fr);
			tlog_node_hash(c, sr, sr);
			if (!(fn & 1)) {
				while (fn != 0 && !(fn & 1)) {
					fn >>= 1;
					sn >>= 1;
				}
			}
		} else {
			tlog_node_hash(sr, c, sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return (sn == 0 && hash_eq(fr, root1) && hash_eq(sr, root2)) ? 0 : -1;
}

void tlog_hash_to_b64(const uint8_t h[TLOG_HASH_LEN],
    char out[TLOG_HASH_B64_LEN + 1])
{
	sodium_bin2base64(out, TLOG_HASH_B64_LEN + 1, h, TLOG_HASH_LEN,
	    sodium_base64_VARIANT_ORIGINAL);
}

int tlog_hash_from_b64(const char *s, size_t len, uint8_t out[TLOG_HASH_LEN])
{
	uint8_t buf[TLOG_HASH_LEN + 3];
	char again[TLOG_HASH_B64_LEN + 1];
	size_t n;
	const char *end;

	if (len != TLOG_HASH_B64_LEN)
		return -1;
	if (sodium_base642bin(buf, sizeof(buf), s, len, NULL, &n, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + len ||
	    n != TLOG_HASH_LEN)
		return -1;
	/* Canonical only: the unused low bits of the last character are 0. */
	tlog_hash_to_b64(buf, again);
	if (memcmp(again, s, len) != 0) /* check-src: ok, public encoding */
		return -1;
	memcpy(out, buf, TLOG_HASH_LEN);
	return 0;
}
