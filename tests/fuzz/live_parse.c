/*
 * Fuzz the live record parser (src/lib/live.c) as the server runs it
 * (verify-only) and as a viewer does (with a recipient key): the input is
 * a whole live stream, cut into chunks whose sizes come from its first
 * byte, so chunk boundaries land inside headers, record headers and
 * signatures. Seeds (tests/fuzz/corpus/live_parse) are genuine streams
 * from tests/vectors/live.json, so mutations reach the record framing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "live.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t cam_pk[32], cam_sk[64], r_pk[32], r_sk[32];

static int
callback_event(void *cookie, const struct live_event *ev)
{
	size_t *sum = cookie;

	/* Touch what the reader hands on: ASan sees any overread. */
	for (size_t i = 0; i < ev->wirelen; i += 64)
		*sum += ev->wire[i];
	for (size_t i = 0; i < ev->ptlen; i += 64)
		*sum += ev->pt[i];
	return 0;
}

static void
run(const uint8_t *data, size_t size, size_t chunk, int decrypt)
{
	struct live_expect e = { .camera_pk = cam_pk };
	struct live_reader *r = live_reader_new(&e, decrypt ? r_pk : NULL,
	    decrypt ? r_sk : NULL);
	size_t sum = 0;
	int rc = LIVE_OK;

	if (r == NULL)
		abort();
	for (size_t off = 0; off < size && rc == LIVE_OK; off += chunk)
		rc = live_reader_write(r, data + off, size - off < chunk ?
		    size - off : chunk, callback_event, &sum);
	if (rc == LIVE_OK)
		(void)live_reader_finish(r);
	live_reader_free(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	size_t chunk;

	if (!init) {
		uint8_t seed[32];

		if (sodium_init() < 0)
			abort();
		/* The vector keys: camera 0xc0, recipient 0x10. */
		memset(seed, 0xc0, 32);
		crypto_sign_seed_keypair(cam_pk, cam_sk, seed);
		memset(seed, 0x10, 32);
		crypto_box_seed_keypair(r_pk, r_sk, seed);
		init = 1;
	}
	if (size < 1)
		return 0;
	chunk = data[0] == 0 ? size : (size_t)data[0] * 7;
	run(data + 1, size - 1, chunk, 0);
	run(data + 1, size - 1, chunk, 1);
	return 0;
}
