/*
 * Fuzz what a client parses besides notes: tile paths (the server maps them
 * to files), entry bundles, log entries and account chains, and the proof
 * verifiers fed arbitrary sizes, indexes, hashes and proof lengths. The
 * first byte picks the target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tlog.h"
#include "tlog_entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t take_u64(const uint8_t **p, size_t *n)
{
	uint64_t v = 0;

	for (int i = 0; i < 8 && *n > 0; i++, (*p)++, (*n)--)
		v = v << 8 | **p;
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	uint8_t mode;

	if (!init) {
		if (sodium_init() < 0)
			abort();
		init = 1;
	}
	if (size < 1)
		return 0;
	mode = data[0] % 4;
	data++;
	size--;
	if (mode == 0) {
		char path[TLOG_PATH_MAX * 2], again[TLOG_PATH_MAX];
		int level;
		uint64_t index;
		unsigned width;

		if (size >= sizeof(path))
			return 0;
		memcpy(path, data, size);
		path[size] = '\0';
		if (tlog_tile_path_parse(path, &level, &index, &width) == 0) {
			/* Exactly one spelling per tile. */
			if (tlog_tile_path(again, level, index, width) != 0 ||
			    strcmp(again, path) != 0 || strstr(path, "..") != NULL)
				abort();
		}
	} else if (mode == 1) {
		const uint8_t *e;
		size_t off = 0, n, total = 0;
		int r;

		while ((r = tlog_bundle_next(data, size, &off, &e, &n)) == 1) {
			if (e < data || e + n > data + size)
				abort();
			total += 2 + n;
		}
		if (r == 0 && total != size)
			abort();
	} else if (mode == 3) {
		/* entries: what parses must encode back to the same bytes; a
		 * chain fed the bundle's entries never accepts a foreign one */
		struct tlog_entry e;
		uint8_t again[TLOG_ENTRY_LEN];
		struct tlog_chain c;
		const uint8_t *x;
		size_t off = 0, n;
		uint64_t i = 0;

		if (tlog_entry_parse(data, size, &e) == 0 &&
		    (tlog_entry_encode(&e, again) != 0 ||
		    memcmp(again, data, TLOG_ENTRY_LEN) != 0))
			abort();
		memset(&c, 0, sizeof(c));
		while (tlog_bundle_next(data, size, &off, &x, &n) == 1) {
			struct tlog_chain before = c;
			int r = tlog_chain_next(&c, x, n, i++);

			if (r != TLOG_CHAIN_OK &&
			    memcmp(&before, &c, sizeof(c)) != 0)
				abort();
			if (r == TLOG_CHAIN_OK && (tlog_entry_parse(x, n, &e) != 0 ||
			    e.seq + 1 != c.next_seq))
				abort();
		}
	} else {
		struct tlog_proof p;
		uint64_t a = take_u64(&data, &size), b = take_u64(&data, &size);
		uint8_t leaf[32] = { 0 }, root[32] = { 0 };
		size_t k;

		if (size >= 64) {
			memcpy(leaf, data, 32);
			memcpy(root, data + 32, 32);
			data += 64;
			size -= 64;
		}
		k = size / 32;
		if (k > TLOG_PROOF_MAX)
			k = TLOG_PROOF_MAX;
		p.n = k;
		memcpy(p.h, data, k * 32);
		/* Random data must not verify (nor crash, nor loop). */
		if (tlog_verify_inclusion(leaf, 32, a, b, &p, root, 32) == 0 &&
		    k > 0)
			abort();
		if (tlog_verify_consistency(a, b, &p, leaf, 32, root, 32) == 0 &&
		    k > 0 && memcmp(leaf, root, 32) != 0)
			abort();
	}
	return 0;
}
