/*
 * Fuzz keyring parsing and verification with the owner key and camera of
 * tests/vectors/keyring.json. Oracle: a keyring that verifies is canonical —
 * signing its parsed content again gives exactly the input bytes.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "keyring.h"
#include "seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t opk[32], osk[64], cam[16];
	static int init;
	struct keyring kr;
	uint8_t out[KEYRING_MAX_BYTES];
	size_t outlen;
	int rc;

	if (!init) {
		uint8_t seed[32], cpk[32], csk[64];
		if (sodium_init() < 0)
			abort();
		memset(seed, 0x21, 32);
		crypto_sign_seed_keypair(opk, osk, seed);
		memset(seed, 0xc0, 32);
		crypto_sign_seed_keypair(cpk, csk, seed);
		seg_camera_id(cpk, cam);
		init = 1;
	}
	if (keyring_parse_unverified(data, size, &kr) == KEYRING_OK) {
		if (kr.n < 1 || kr.n > KEYRING_MAX_RECIPIENTS)
			abort();
		for (unsigned i = 0; i < kr.n; i++)
			if (kr.r[i].label_len > KEYRING_LABEL_MAX ||
			    strlen(kr.r[i].label) != kr.r[i].label_len)
				abort();
	}
	rc = keyring_verify(data, size, opk, cam, 0, &kr);
	if (rc != KEYRING_OK)
		return 0;
	if (keyring_sign(&kr, osk, out, sizeof(out), &outlen) != KEYRING_OK ||
	    outlen != size || memcmp(out, data, size) != 0)
		abort();
	return 0;
}
