/*
 * vault — key pairs, serialisation, fingerprints. The recovery code and the
 * backup blob are in vault_backup.c.
 */
#include <sodium.h>
#include <string.h>

#include "codec.h"
#include "labelhash.h"
#include "vault.h"

const char *
vault_strerror(int err)
{
	switch (err) {
	case VAULT_OK: return "ok";
	case VAULT_EINVAL: return "invalid argument";
	case VAULT_ELENGTH: return "vault data has the wrong size";
	case VAULT_EMAGIC: return "not a sealcam vault";
	case VAULT_EVERSION: return "unsupported vault version";
	case VAULT_ELIMITS: return "backup key derivation parameters not accepted";
	case VAULT_ECHAR: return "recovery code contains a character it cannot have";
	case VAULT_ECODELEN: return "recovery code must have 28 characters";
	case VAULT_ECHECKSUM: return "recovery code mistyped (check failed)";
	case VAULT_EAUTH: return "wrong recovery code, or the backup was altered";
	case VAULT_ENOMEM: return "not enough memory for the key derivation";
	}
	return "unknown error";
}

int
vault_generate(struct vault *v)
{
	if (v == NULL || sodium_init() < 0)
		return VAULT_EINVAL;
	crypto_box_keypair(v->box_pk, v->box_sk);
	crypto_sign_keypair(v->sign_pk, v->sign_sk);
	return VAULT_OK;
}

void
vault_wipe(struct vault *v)
{
	if (v != NULL)
		sodium_memzero(v, sizeof(*v));
}

/*
 * Only the secrets are stored (X25519 secret key, Ed25519 seed): the public
 * keys follow from them, so a serialisation cannot hold a mismatched pair.
 */
void
vault_serialize(const struct vault *v, uint8_t out[VAULT_SERIAL_BYTES])
{
	memcpy(out, VAULT_MAGIC, 4);
	out[4] = VAULT_VERSION;
	memcpy(out + 5, v->box_sk, 32);
	memcpy(out + 37, v->sign_sk, 32);	/* the seed half */
}

int
vault_parse(const uint8_t *buf, size_t len, struct vault *v)
{
	memset(v, 0, sizeof(*v));
	if (len != VAULT_SERIAL_BYTES)
		return VAULT_ELENGTH;
	if (memcmp(buf, VAULT_MAGIC, 4) != 0)	/* check-src: ok (public magic) */
		return VAULT_EMAGIC;
	if (buf[4] != VAULT_VERSION)
		return VAULT_EVERSION;
	memcpy(v->box_sk, buf + 5, 32);
	crypto_scalarmult_base(v->box_pk, v->box_sk);
	crypto_sign_seed_keypair(v->sign_pk, v->sign_sk, buf + 37);
	return VAULT_OK;
}

static void
fingerprint_format(const uint8_t h[10], char out[VAULT_FINGERPRINT_LEN + 1])
{
	char b32[17];
	size_t o = 0;

	codec_b32_encode(h, 10, b32, sizeof(b32));	/* 80 bits = 16 symbols */
	for (int i = 0; i < 16; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = b32[i];
	}
	out[o] = '\0';
}

void
vault_fingerprint(const uint8_t pk[32], char out[VAULT_FINGERPRINT_LEN + 1])
{
	uint8_t h[10];

	labelhash(h, sizeof(h), NULL, 0, "sealcam-fpr", pk, 32);
	fingerprint_format(h, out);
}

void
vault_fingerprint_account(const uint8_t sign_pk[32], const uint8_t box_pk[32],
    char out[VAULT_FINGERPRINT_LEN + 1])
{
	uint8_t both[64], h[10];

	memcpy(both, sign_pk, 32);
	memcpy(both + 32, box_pk, 32);
	labelhash(h, sizeof(h), NULL, 0, "sealcam-fpr-acct", both, sizeof(both));
	fingerprint_format(h, out);
}
