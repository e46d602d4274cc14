/*
 * Fuzz the whole open path with a fixed recipient key and camera key (those
 * of tests/vectors/container.json, so the seed corpus gets past the header
 * and the stanza): whole-buffer open, streaming open in odd chunks, and
 * verify-only. Oracles: whole and streamed opens agree on the result and the
 * plaintext; a success never comes with a plaintext of the wrong size.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t rpk[32], rsk[32], cpk[32], csk[64];

struct sink {
	uint8_t *p;
	size_t n, cap;
};

static int
callback_sink(void *cookie, const uint8_t *buf, size_t len)
{
	struct sink *s = cookie;

	if (s->n + len > s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		while (cap < s->n + len)
			cap *= 2;
		if ((s->p = realloc(s->p, cap)) == NULL)
			abort();
		s->cap = cap;
	}
	memcpy(s->p + s->n, buf, len);
	s->n += len;
	return 0;
}

static void
init_keys(void)
{
	static int done;
	uint8_t seed[32];

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	memset(seed, 0x10, 32);
	crypto_box_seed_keypair(rpk, rsk, seed);
	memset(seed, 0xc0, 32);
	crypto_sign_seed_keypair(cpk, csk, seed);
	done = 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seg_expect e = { .camera_pk = cpk };
	struct sink s = { 0 };
	struct seg_opener *o;
	uint8_t *pt = NULL;
	size_t ptlen = 0, chunk = 1 + size % 4099;
	int rc1, rc2 = SEG_OK, rc3;

	init_keys();
	rc1 = seg_open_buf(&e, rpk, rsk, data, size, &pt, &ptlen, NULL);
	if ((rc1 == SEG_OK) != (pt != NULL))
		abort();

	if ((o = seg_opener_new(&e, rpk, rsk, callback_sink, &s)) == NULL)
		abort();
	for (size_t off = 0; off < size && rc2 == SEG_OK; off += chunk)
		rc2 = seg_opener_write(o, data + off,
		    size - off < chunk ? size - off : chunk);
	if (rc2 == SEG_OK)
		rc2 = seg_opener_finish(o);
	seg_opener_free(o);
	if (rc1 != rc2)
		abort();
	if (rc1 == SEG_OK && (ptlen != s.n ||
	    (ptlen > 0 && memcmp(pt, s.p, ptlen) != 0)))
		abort();

	/* The server's view must accept whatever a reader accepts. */
	rc3 = seg_open_buf(&e, NULL, NULL, data, size, NULL, NULL, NULL);
	if (rc1 == SEG_OK && rc3 != SEG_OK)
		abort();
	free(pt);
	free(s.p);
	return 0;
}
