/*
 * vectors — the known-answer vectors in tests/vectors/ (JSON files) (listed in
 * docs/FORMAT.md, "Test vectors").
 *
 *	build/tests/vectors            re-derive every vector, compare byte for
 *	                               byte with the committed files, and check
 *	                               the committed bytes independently (open,
 *	                               verify, decode with the normal API)
 *	build/tests/vectors --write    regenerate tests/vectors/ and the fuzz
 *	                               seed corpora (after a deliberate change)
 *
 * Randomness is made deterministic (detrand.h, test-only) so sealing, key
 * wrapping, salts and nonces are reproducible.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/stat.h>

#include "detrand.h"
#include "fsutil.h"
#include "segfix.h"
#include "t.h"

static const char *root = ".";
static int writing;

/* ---- JSON helpers ------------------------------------------------------- */

static json_t *
vj_hex(const uint8_t *b, size_t n)
{
	char *s = malloc(n * 2 + 1);
	json_t *j;

	codec_hex_encode(b, n, s, n * 2 + 1);
	j = json_string(s);
	free(s);
	return j;
}

static int
vj_unhex(const json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL && codec_hex_decode(s, out, n) == 0 ? 0 : -1;
}

/* A hex field of any length, malloc'd. */
static uint8_t *
vj_unhex_alloc(const json_t *o, const char *key, size_t *n)
{
	const char *s = json_string_value(json_object_get(o, key));
	uint8_t *b;

	if (s == NULL || strlen(s) % 2 != 0)
		return NULL;
	*n = strlen(s) / 2;
	b = malloc(*n + 1);
	if (codec_hex_decode(s, b, *n) != 0) {
		free(b);
		return NULL;
	}
	return b;
}

static void
vj_seed_box(json_t *o, uint8_t fill, struct fix_box *k)
{
	uint8_t seed[32];
	uint8_t kid[8];

	memset(seed, fill, sizeof(seed));
	crypto_box_seed_keypair(k->pk, k->sk, seed);
	seg_key_id(k->pk, kid);
	json_object_set_new(o, "seed", vj_hex(seed, 32));
	json_object_set_new(o, "pk", vj_hex(k->pk, 32));
	json_object_set_new(o, "sk", vj_hex(k->sk, 32));
	json_object_set_new(o, "key_id", vj_hex(kid, 8));
}

static void
vj_seed_sign(json_t *o, const char *prefix, uint8_t fill, struct fix_sign *k)
{
	uint8_t seed[32];
	char name[64];

	memset(seed, fill, sizeof(seed));
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
	snprintf(name, sizeof(name), "%s_seed", prefix);
	json_object_set_new(o, name, vj_hex(seed, 32));
	snprintf(name, sizeof(name), "%s_pk", prefix);
	json_object_set_new(o, name, vj_hex(k->pk, 32));
	snprintf(name, sizeof(name), "%s_sk", prefix);
	json_object_set_new(o, name, vj_hex(k->sk, 64));
}

static void
vj_corpus(const char *fuzzer, const char *name, const uint8_t *b, size_t n)
{
	char dir[512], path[600];

	if (!writing)
		return;
	snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", root, fuzzer);
	if (fsutil_mkdir_p(dir, 0755) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (fsutil_write_durable(path, b, n, 0644) != 0)
		abort();
}

/* ---- the generators, one header per format ------------------------------- */

#include "vec_seg.h"
#include "vec_keys.h"
#include "vec_live.h"
#include "vec_grant.h"

/* ---- the table of vector files ------------------------------------------ */

static const struct vecfile {
	const char *file;
	json_t *(*make)(void);
	void (*check)(const json_t *committed);	/* independent checks */
} files[] = {
	{ "ids.json", vec_ids_make, vec_ids_check },
	{ "container.json", vec_container_make, vec_container_check },
	{ "recovery.json", vec_recovery_make, vec_recovery_check },
	{ "vault.json", vec_vault_make, vec_vault_check },
	{ "keyring.json", vec_keyring_make, vec_keyring_check },
	{ "pairing.json", vec_pairing_make, vec_pairing_check },
	{ "live.json", vec_live_make, vec_live_check },
	{ "grant.json", vec_grant_make, vec_grant_check },
};

/* Say where two documents first differ (top level / first array level). */
static void
report_diff(const char *file, const json_t *want, const json_t *have)
{
	const char *key;
	json_t *v;
	char m[512];

	json_object_foreach((json_t *)want, key, v) {
		json_t *h = json_object_get(have, key);
		if (json_equal(v, h))
			continue;
		if (json_is_array(v) && json_is_array(h)) {
			for (size_t i = 0; i < json_array_size(v); i++) {
				const char *k2;
				json_t *v2, *h2 = json_array_get(h, i);
				json_object_foreach(json_array_get(v, i), k2, v2)
					if (!json_equal(v2, json_object_get(h2, k2))) {
						snprintf(m, sizeof(m), "%s: %s[%zu].%s differs",
						    file, key, i, k2);
						t_fail(__FILE__, __LINE__, m);
						return;
					}
			}
		}
		snprintf(m, sizeof(m), "%s: %s differs", file, key);
		t_fail(__FILE__, __LINE__, m);
		return;
	}
	snprintf(m, sizeof(m), "%s: extra or missing fields", file);
	t_fail(__FILE__, __LINE__, m);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--write") == 0)
		writing = 1;
	if (getenv("SEALCAM_ROOT") != NULL)
		root = getenv("SEALCAM_ROOT");
	/* Before sodium_init: libsodium must never use its own generator here. */
	detrand_install();
	if (sodium_init() < 0)
		return 1;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[512];
		json_t *made, *have;
		json_error_t jerr;

		snprintf(path, sizeof(path), "%s/tests/vectors/%s", root,
		    files[i].file);
		made = files[i].make();
		if (writing) {
			char *s = json_dumps(made, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
			size_t n = strlen(s);
			fsutil_mkdir_p("tests/vectors", 0755);
			s = realloc(s, n + 2);
			s[n] = '\n';
			if (fsutil_write_durable(path, s, n + 1, 0644) != 0) {
				fprintf(stderr, "write %s: %s\n", path, strerror(errno));
				return 1;
			}
			free(s);
			printf("# wrote %s\n", path);
		}
		t_case("%s: re-derived vectors equal the committed file", files[i].file);
		have = json_load_file(path, 0, &jerr);
		T_ASSERT(have != NULL);
		if (have != NULL && !json_equal(made, have))
			report_diff(files[i].file, made, have);
		t_case("%s: committed bytes check out with the normal API",
		    files[i].file);
		if (have != NULL)
			files[i].check(have);
		json_decref(have);
		json_decref(made);
	}
	return t_done();
}
