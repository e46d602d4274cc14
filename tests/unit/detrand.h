/*
 * detrand.h — TEST-ONLY deterministic randombytes for known-answer vectors.
 *
 * Installed with randombytes_set_implementation() before sodium_init(), it
 * makes every "random" value (data keys, stream headers, crypto_box_seal's
 * ephemeral keys, salts, nonces, recovery codes) a function of a label, so
 * the vector files can be re-derived byte for byte. Never link this into a
 * program: it would make every key predictable.
 *
 *	output of call i after detrand_reset(label) =
 *	  randombytes_buf_deterministic(n, BLAKE2b-256(label) ^ ... counter i)
 */
#ifndef SEALCAM_DETRAND_H
#define SEALCAM_DETRAND_H

#include <sodium.h>
#include <stdint.h>
#include <string.h>

static uint8_t detrand_seed[32];
static uint64_t detrand_counter;

static inline void
detrand_reset(const char *label)
{
	crypto_generichash(detrand_seed, sizeof(detrand_seed),
	    (const uint8_t *)label, strlen(label), NULL, 0);
	detrand_counter = 0;
}

static inline void
detrand_buf(void *buf, size_t n)
{
	uint8_t in[40], seed[32];

	memcpy(in, detrand_seed, 32);
	for (int i = 0; i < 8; i++)
		in[32 + i] = (uint8_t)(detrand_counter >> (8 * i));
	detrand_counter++;
	crypto_generichash(seed, sizeof(seed), in, sizeof(in), NULL, 0);
	randombytes_buf_deterministic(buf, n, seed);
}

static inline uint32_t
detrand_random(void)
{
	uint32_t v;
	detrand_buf(&v, sizeof(v));
	return v;
}

static inline const char *
detrand_name(void)
{
	return "sealcam-test-deterministic";
}

static inline void
detrand_install(void)
{
	static randombytes_implementation impl = {
		.implementation_name = detrand_name,
		.random = detrand_random,
		.buf = detrand_buf,
	};
	randombytes_set_implementation(&impl);
	detrand_reset("init");
}

#endif
