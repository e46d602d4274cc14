/*
 * tlog — RFC 9162 hashing and proofs, tile paths and entry bundles.
 *
 * The transparency-dev vectors are read at run time from
 * $SEALCAM_MERKLE_VECTORS, else $SEALCAM_ROOT/../shared/testdata/merkle
 * (tests/run.sh sets SEALCAM_ROOT). Missing vectors fail the test.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "t.h"
#include "tlog.h"

static char vecdir[1024];

static int find_vectors(void)
{
	const char *v = getenv("SEALCAM_MERKLE_VECTORS");
	const char *root = getenv("SEALCAM_ROOT");
	struct stat st;

	if (v != NULL && *v != '\0')
		snprintf(vecdir, sizeof(vecdir), "%s", v);
	else
		snprintf(vecdir, sizeof(vecdir), "%s/../shared/testdata/merkle",
		    root ? root : ".");
	if (stat(vecdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("# merkle test vectors not found at %s "
		    "(set SEALCAM_ROOT or SEALCAM_MERKLE_VECTORS)\n", vecdir);
		return -1;
	}
	return 0;
}

static void hex2bin(const char *hex, uint8_t *out, size_t *len)
{
	size_t n;

	if (sodium_hex2bin(out, 64, hex, strlen(hex), NULL, &n, NULL) != 0)
		n = 0;
	*len = n;
}

/* --- roots.txt ---------------------------------------------------------- */

static void test_roots(void)
{
	char path[1200], line[1024];
	uint8_t leaves[8][64], want[32], got[32], lh[32];
	size_t leaf_len[8], nleaves = 0, n;
	struct tlog_mem *m = tlog_mem_new();
	struct tlog_hashsrc src;
	int checked = 0;
	FILE *f;

	t_case("roots.txt: RFC 9162 tree heads of 0..8 leaves are reproduced");
	snprintf(path, sizeof(path), "%s/roots.txt", vecdir);
	f = fopen(path, "r");
	T_ASSERT(f != NULL);
	if (f == NULL)
		return;
	tlog_mem_source(m, &src);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "# leaves:", 9) == 0) {
			char *save = NULL, *tok;

			for (tok = strtok_r(line + 9, " ", &save); tok != NULL &&
			    nleaves < 8; tok = strtok_r(NULL, " ", &save)) {
				if (strcmp(tok, "(empty)") == 0)
					leaf_len[nleaves] = 0;
				else
					hex2bin(tok, leaves[nleaves],
					    &leaf_len[nleaves]);
				nleaves++;
			}
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		unsigned long size = strtoul(line, NULL, 10);
		char *hex = strchr(line, ' ');
		T_ASSERT(hex != NULL && nleaves == 8 && size <= 8);
		if (hex == NULL || nleaves != 8 || size > 8)
			break;
		hex2bin(hex + 1, want, &n);
		T_EQ(n, 32);
		while (tlog_mem_size(m) < size) {
			uint64_t i = tlog_mem_size(m);

			tlog_leaf_hash(leaves[i], leaf_len[i], lh);
			T_ASSERT(tlog_mem_append(m, lh) == 0);
		}
		T_ASSERT(tlog_tree_hash(&src, size, got) == 0);
		T_MEMEQ(got, want, 32);
		checked++;
	}
	fclose(f);
	T_EQ(checked, 9);
	tlog_mem_free(m);
}

/* --- the 196 JSON cases ------------------------------------------------- */

struct vecstats {
	int total, inclusion, consistency, wrong;
};

/* Raw base64 of any length (the vectors include 0-, 9- and 12-byte roots). */
static int b64_raw(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	if (*s == '\0') {
		*len = 0;
		return 0;
	}
	return sodium_base642bin(out, cap, s, strlen(s), NULL, len, NULL,
	    sodium_base64_VARIANT_ORIGINAL);
}

/* Proof elements go through the same decoder a client uses: anything that
 * is not one canonical 32-byte hash fails to parse, i.e. is rejected. */
static int parse_proof(json_t *arr, struct tlog_proof *p)
{
	size_t i;
	json_t *v;

	p->n = 0;
	if (json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > TLOG_PROOF_MAX)
		return -1;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL || tlog_hash_from_b64(s, strlen(s), p->h[i]) != 0)
			return -1;
		p->n = i + 1;
	}
	return 0;
}

/* jansson's integers are signed 64-bit; the vectors use 2^64-1. Read the
 * integer fields from the text instead. */
static uint64_t raw_u64(const char *text, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(text, pat);
	if (p == NULL)
		return 0;
	p += strlen(pat);
	while (*p == ' ')
		p++;
	return strtoull(p, NULL, 10);
}

static void run_vector(const char *path, struct vecstats *st)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, JSON_DECODE_INT_AS_REAL, &jerr);
	char text[16384];
	size_t tn = 0;
	FILE *f = fopen(path, "r");

	if (f != NULL) {
		tn = fread(text, 1, sizeof(text) - 1, f);
		fclose(f);
	}
	text[tn] = '\0';
	struct tlog_proof proof;
	uint8_t a[64], b[64];
	size_t alen = 0, blen = 0;
	int want_err, ok;

	if (j == NULL) {
		printf("# %s: %s\n", path, jerr.text);
		st->wrong++;
		return;
	}
	want_err = json_is_true(json_object_get(j, "wantErr"));
	if (json_object_get(j, "leafIdx") != NULL) {
		uint64_t idx = raw_u64(text, "leafIdx");
		uint64_t size = raw_u64(text, "treeSize");

		ok = b64_raw(json_string_value(json_object_get(j, "leafHash")), a, sizeof(a), &alen) == 0 &&
		    b64_raw(json_string_value(json_object_get(j, "root")), b, sizeof(b), &blen) == 0 &&
		    parse_proof(json_object_get(j, "proof"), &proof) == 0 &&
		    tlog_verify_inclusion(a, alen, idx, size, &proof, b, blen) == 0;
		st->inclusion++;
	} else {
		uint64_t s1 = raw_u64(text, "size1");
		uint64_t s2 = raw_u64(text, "size2");

		ok = b64_raw(json_string_value(json_object_get(j, "root1")), a, sizeof(a), &alen) == 0 &&
		    b64_raw(json_string_value(json_object_get(j, "root2")), b, sizeof(b), &blen) == 0 &&
		    parse_proof(json_object_get(j, "proof"), &proof) == 0 &&
		    tlog_verify_consistency(s1, s2, &proof, a, alen, b, blen) == 0;
		st->consistency++;
	}
	if (ok == want_err) {
		printf("# %s: %s, expected %s\n", path, ok ? "accepted" : "rejected",
		    want_err ? "rejection" : "acceptance");
		st->wrong++;
	}
	st->total++;
	json_decref(j);
}

static void walk(const char *dir, struct vecstats *st)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);

	if (n < 0) {
		printf("# cannot read %s\n", dir);
		st->wrong++;
		return;
	}
	for (int i = 0; i < n; i++) {
		char path[2048];
		struct stat sb;
		const char *name = names[i]->d_name;

		if (name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
				walk(path, st);
			else if (strlen(name) > 5 &&
			    strcmp(name + strlen(name) - 5, ".json") == 0)
				run_vector(path, st);
		}
		free(names[i]);
	}
	free(names);
}

static void test_vectors(void)
{
	struct vecstats st = { 0 };
	char d[1200];

	t_case("transparency-dev vectors: all 196 inclusion and consistency cases give the expected result");
	snprintf(d, sizeof(d), "%s/inclusion", vecdir);
	walk(d, &st);
	snprintf(d, sizeof(d), "%s/consistency", vecdir);
	walk(d, &st);
	printf("# %d cases (%d inclusion, %d consistency), %d wrong\n",
	    st.total, st.inclusion, st.consistency, st.wrong);
	T_EQ(st.total, 196);
	T_EQ(st.wrong, 0);
}

/* --- hand-checked small cases -------------------------------------------- */

static void test_small(void)
{
	struct tlog_mem *m = tlog_mem_new();
	struct tlog_hashsrc src;
	struct tlog_proof p;
	uint8_t h[8][32], l01[32], l23[32], l0123[32], l45[32], l456[32], root[32];
	uint8_t empty[32];

	t_case("proofs for a 7-leaf tree match the RFC 9162 example by hand");
	tlog_mem_source(m, &src);
	for (int i = 0; i < 7; i++) {
		uint8_t e = (uint8_t)i;

		tlog_leaf_hash(&e, 1, h[i]);
		T_ASSERT(tlog_mem_append(m, h[i]) == 0);
	}
	tlog_node_hash(h[0], h[1], l01);
	tlog_node_hash(h[2], h[3], l23);
	tlog_node_hash(l01, l23, l0123);
	tlog_node_hash(h[4], h[5], l45);
	tlog_node_hash(l45, h[6], l456);
	tlog_node_hash(l0123, l456, root);
	T_ASSERT(tlog_tree_hash(&src, 7, h[7]) == 0);
	T_MEMEQ(h[7], root, 32);
	/* RFC 9162 2.1.5: the inclusion proof for d0 is [b, h, l]. */
	T_ASSERT(tlog_prove_inclusion(&src, 0, 7, &p) == 0);
	T_EQ(p.n, 3);
	T_MEMEQ(p.h[0], h[1], 32);
	T_MEMEQ(p.h[1], l23, 32);
	T_MEMEQ(p.h[2], l456, 32);
	/* d6: [k, g] */
	T_ASSERT(tlog_prove_inclusion(&src, 6, 7, &p) == 0);
	T_EQ(p.n, 2);
	T_MEMEQ(p.h[0], l45, 32);
	T_MEMEQ(p.h[1], l0123, 32);
	/* Consistency 3 -> 7: [c, d, g, l] */
	T_ASSERT(tlog_prove_consistency(&src, 3, 7, &p) == 0);
	T_EQ(p.n, 4);
	T_MEMEQ(p.h[0], h[2], 32);
	T_MEMEQ(p.h[1], h[3], 32);
	T_MEMEQ(p.h[2], l01, 32);
	T_MEMEQ(p.h[3], l456, 32);
	/* 4 -> 7: [l] (the old root is implicit) */
	T_ASSERT(tlog_prove_consistency(&src, 4, 7, &p) == 0);
	T_EQ(p.n, 1);
	T_MEMEQ(p.h[0], l456, 32);
	/* 6 -> 7: [i, j, g] */
	T_ASSERT(tlog_prove_consistency(&src, 6, 7, &p) == 0);
	T_EQ(p.n, 3);
	T_MEMEQ(p.h[0], l45, 32);
	T_MEMEQ(p.h[1], h[6], 32);
	T_MEMEQ(p.h[2], l0123, 32);
	T_ASSERT(tlog_prove_inclusion(&src, 7, 7, &p) == -1);
	T_ASSERT(tlog_prove_consistency(&src, 0, 7, &p) == -1);
	T_ASSERT(tlog_prove_consistency(&src, 8, 7, &p) == -1);
	T_ASSERT(tlog_prove_consistency(&src, 7, 8, &p) == -1); /* not in source */
	T_ASSERT(tlog_tree_hash(&src, 0, empty) == 0);
	crypto_hash_sha256(h[0], (const uint8_t *)"", 0);
	T_MEMEQ(empty, h[0], 32);
	tlog_mem_free(m);
}

static void test_b64(void)
{
	uint8_t h[32], back[32];
	char s[TLOG_HASH_B64_LEN + 1];

	t_case("hash base64: round trip; wrong length, junk and non-canonical padding bits refused");
	for (int i = 0; i < 32; i++)
		h[i] = (uint8_t)(i * 7 + 1);
	tlog_hash_to_b64(h, s);
	T_EQ(strlen(s), 44);
	T_ASSERT(tlog_hash_from_b64(s, 44, back) == 0);
	T_MEMEQ(h, back, 32);
	T_ASSERT(tlog_hash_from_b64(s, 43, back) == -1);
	T_ASSERT(tlog_hash_from_b64("ZG9uJ3QgY2FyZSAy", 16, back) == -1);
	memcpy(s, "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB1=", 45);
	T_ASSERT(tlog_hash_from_b64(s, 44, back) == -1); /* ...B1= not canonical */
	s[42] = '0';
	T_ASSERT(tlog_hash_from_b64(s, 44, back) == 0);
	s[10] = '*';
	T_ASSERT(tlog_hash_from_b64(s, 44, back) == -1);
}

/* --- tiles and bundles ---------------------------------------------------- */

static void test_tile_paths(void)
{
	char p[TLOG_PATH_MAX];
	int level;
	uint64_t index;
	unsigned width;
	static const struct {
		int level;
		uint64_t index;
		unsigned width;
		const char *path;
	} ok[] = {
		{ 0, 0, 256, "tile/0/000" },
		{ 0, 1234067, 256, "tile/0/x001/x234/067" },
		{ 4, 1234067, 8, "tile/4/x001/x234/067.p/8" },
		{ 1, 999, 255, "tile/1/999.p/255" },
		{ 1, 1000, 1, "tile/1/x001/000.p/1" },
		{ 63, 5, 256, "tile/63/005" },
		{ TLOG_LEVEL_ENTRIES, 0, 17, "tile/entries/000.p/17" },
		{ TLOG_LEVEL_ENTRIES, 1234067, 256, "tile/entries/x001/x234/067" },
		{ 0, UINT64_MAX, 256, "tile/0/x018/x446/x744/x073/x709/x551/615" },
	};
	static const char *bad[] = {
		"tile/0/1", "tile/0/01", "tile/00/000", "tile/64/000",
		"tile/0/x000/001", "tile/0/001/002", "tile/0/x001", "tile/0/x001/",
		"tile/0/000.p/256", "tile/0/000.p/0", "tile/0/000.p/08",
		"tile/0/000.p/", "tile/0/000.q/1", "tile/0/000/", "tile/0/000 ",
		"tile//000", "tile/entries/", "tile/entry/000", "/tile/0/000",
		"tile/0/x018/x446/x744/x073/x709/x551/616", "tile/-1/000",
		"tile/0/x001/x002/x003/x004/x005/x006/x007/008", "checkpoint",
		"tile/0/000.p/1/2", "tile/0/../000",
	};

	t_case("tile paths: C2SP spellings (x001/x234/067, .p/W, entries) and exact parsing");
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		T_ASSERT(tlog_tile_path(p, ok[i].level, ok[i].index, ok[i].width) == 0);
		if (strcmp(p, ok[i].path) != 0)
			printf("# got %s want %s\n", p, ok[i].path);
		T_ASSERT(strcmp(p, ok[i].path) == 0);
		T_ASSERT(tlog_tile_path_parse(ok[i].path, &level, &index, &width) == 0);
		T_EQ(level, ok[i].level);
		T_ASSERT(index == ok[i].index);
		T_EQ(width, ok[i].width);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = tlog_tile_path_parse(bad[i], &level, &index, &width);

		if (r == 0)
			printf("# accepted %s\n", bad[i]);
		T_EQ(r, -1);
	}
	T_ASSERT(tlog_tile_path(p, 0, 0, 0) == -1);
	T_ASSERT(tlog_tile_path(p, 0, 0, 257) == -1);
	T_ASSERT(tlog_tile_path(p, 64, 0, 1) == -1);
	T_ASSERT(tlog_tile_path(p, -2, 0, 1) == -1);
}

static void test_bundles(void)
{
	static const uint8_t b[] = { 0, 1, 'a', 0, 0, 0, 3, 'x', 'y', 'z' };
	const uint8_t *e;
	size_t off = 0, n;

	t_case("entry bundles: uint16 big-endian lengths; truncation is an error");
	T_EQ(tlog_bundle_next(b, sizeof(b), &off, &e, &n), 1);
	T_EQ(n, 1);
	T_ASSERT(e[0] == 'a');
	T_EQ(tlog_bundle_next(b, sizeof(b), &off, &e, &n), 1);
	T_EQ(n, 0);
	T_EQ(tlog_bundle_next(b, sizeof(b), &off, &e, &n), 1);
	T_EQ(n, 3);
	T_ASSERT(memcmp(e, "xyz", 3) == 0);
	T_EQ(tlog_bundle_next(b, sizeof(b), &off, &e, &n), 0);
	off = 0;
	T_EQ(tlog_bundle_next(b, sizeof(b) - 1, &off, &e, &n), 1);
	T_EQ(tlog_bundle_next(b, sizeof(b) - 1, &off, &e, &n), 1);
	T_EQ(tlog_bundle_next(b, sizeof(b) - 1, &off, &e, &n), -1);
	off = 0;
	T_EQ(tlog_bundle_next(b, 1, &off, &e, &n), -1);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	t_case("merkle test vectors are present");
	T_ASSERT(find_vectors() == 0);
	if (vecdir[0] != '\0' && find_vectors() == 0) {
		test_roots();
		test_vectors();
	}
	test_small();
	test_b64();
	test_tile_paths();
	test_bundles();
	return t_done();
}
