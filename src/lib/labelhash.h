/*
 * labelhash — domain-separated BLAKE2b-256, shared by seg, vault, keyring
 * and pairing (docs/FORMAT.md, "Hashes and labels").
 *
 *	labelhash(out, outlen, key, keylen, "sealcam-camid", in, inlen)
 *	  = first outlen bytes of BLAKE2b-256(key; label16 || in)
 *
 * label16 is the label's ASCII bytes padded with NUL to 16 bytes. A prefix
 * rather than BLAKE2b's personalization parameter, because libsodium.js (the
 * browser viewer) cannot hash a message under a personalization.
 */
#ifndef SEALCAM_LABELHASH_H
#define SEALCAM_LABELHASH_H

#include <sodium.h>
#include <stdint.h>
#include <string.h>

#define LABELHASH_LABEL_BYTES 16

static inline void
labelhash(uint8_t *out, size_t outlen, const uint8_t *key, size_t keylen,
    const char *label, const uint8_t *in, size_t inlen)
{
	crypto_generichash_state st;
	uint8_t l16[LABELHASH_LABEL_BYTES] = { 0 };
	uint8_t h[crypto_generichash_BYTES];
	size_t ll = strlen(label);

	/* Labels are compile-time constants of at most 16 characters. */
	memcpy(l16, label, ll < sizeof(l16) ? ll : sizeof(l16));
	crypto_generichash_init(&st, key, keylen, sizeof(h));
	crypto_generichash_update(&st, l16, sizeof(l16));
	crypto_generichash_update(&st, in, inlen);
	crypto_generichash_final(&st, h, sizeof(h));
	memcpy(out, h, outlen < sizeof(h) ? outlen : sizeof(h));
	sodium_memzero(h, sizeof(h));
	sodium_memzero(&st, sizeof(st));
}

#endif
