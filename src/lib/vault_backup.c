/*
 * vault_backup — the recovery code and the vault backup blob.
 *
 * Recovery code: 28 Crockford base32 symbols d0..d27 read as elements of
 * GF(32) = GF(2)[x]/(x^5 + x^2 + 1). d0..d25 are random (130 bits); d26,
 * d27 make both checks zero:
 *
 *	S0 = d0 + d1 + ... + d27 = 0,   S1 = sum of a^i * di = 0   (a = x)
 *
 * i.e. a Reed-Solomon-style code of distance 3 (n = 28 < 32): every error in
 * one or two positions changes (S0, S1), so a mistyped character and a swap
 * of two neighbours are always caught, deterministically.
 */
#include <sodium.h>
#include <string.h>

#include "codec.h"
#include "vault.h"

#define GF_POLY 0x25	/* x^5 + x^2 + 1 */

static uint8_t
gf_mul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	for (int i = 0; i < 5; i++) {
		if (b & 1)
			r ^= a;
		b >>= 1;
		a <<= 1;
		if (a & 0x20)
			a ^= GF_POLY;
	}
	return r;
}

/* a^i */
static uint8_t
gf_pow_a(unsigned i)
{
	uint8_t r = 1;

	while (i-- > 0)
		r = gf_mul(r, 2);
	return r;
}

/* Inverse by x^30 (the multiplicative group has order 31). */
static uint8_t
gf_inv(uint8_t x)
{
	uint8_t r = 1;

	for (int i = 0; i < 30; i++)
		r = gf_mul(r, x);
	return r;
}

void
vault_recovery_syndrome(const uint8_t sym[VAULT_RECOVERY_SYMBOLS], uint8_t *s0,
    uint8_t *s1)
{
	*s0 = *s1 = 0;
	for (unsigned i = 0; i < VAULT_RECOVERY_SYMBOLS; i++) {
		*s0 ^= sym[i];
		*s1 ^= gf_mul(gf_pow_a(i), sym[i]);
	}
}

void
vault_recovery_format(const char canon[VAULT_RECOVERY_SYMBOLS + 1],
    char out[VAULT_RECOVERY_LEN + 1])
{
	size_t o = 0;

	for (int i = 0; i < VAULT_RECOVERY_SYMBOLS; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = canon[i];
	}
	out[o] = '\0';
}

int
vault_recovery_generate(char out[VAULT_RECOVERY_LEN + 1])
{
	uint8_t sym[VAULT_RECOVERY_SYMBOLS], s0 = 0, s1 = 0, p, q;
	char canon[VAULT_RECOVERY_SYMBOLS + 1];

	if (sodium_init() < 0)
		return VAULT_EINVAL;
	/* 256 is a multiple of 32: masking keeps each symbol uniform. */
	randombytes_buf(sym, 26);
	for (int i = 0; i < 26; i++) {
		sym[i] &= 31;
		s0 ^= sym[i];
		s1 ^= gf_mul(gf_pow_a((unsigned)i), sym[i]);
	}
	/* Solve d26 + d27 = s0, a^26 d26 + a^27 d27 = s1 (char. 2: - is +). */
	p = gf_pow_a(26);
	q = gf_pow_a(27);
	sym[27] = gf_mul(s1 ^ gf_mul(p, s0), gf_inv(p ^ q));
	sym[26] = s0 ^ sym[27];
	for (int i = 0; i < VAULT_RECOVERY_SYMBOLS; i++)
		canon[i] = codec_b32_char(sym[i]);
	canon[VAULT_RECOVERY_SYMBOLS] = '\0';
	vault_recovery_format(canon, out);
	sodium_memzero(sym, sizeof(sym));
	sodium_memzero(canon, sizeof(canon));
	return VAULT_OK;
}

int
vault_recovery_normalize(const char *in, char out[VAULT_RECOVERY_SYMBOLS + 1])
{
	uint8_t sym[VAULT_RECOVERY_SYMBOLS], s0, s1;
	size_t n = 0;
	int rc = VAULT_OK;

	out[0] = '\0';
	if (in == NULL)
		return VAULT_EINVAL;
	for (; *in != '\0'; in++) {
		int v;

		if (*in == ' ' || *in == '-' || *in == '\t' || *in == '\n' ||
		    *in == '\r')
			continue;
		if ((v = codec_b32_value(*in)) < 0) {
			rc = VAULT_ECHAR;
			goto out;
		}
		if (n == VAULT_RECOVERY_SYMBOLS) {
			rc = VAULT_ECODELEN;
			goto out;
		}
		sym[n++] = (uint8_t)v;
	}
	if (n != VAULT_RECOVERY_SYMBOLS) {
		rc = VAULT_ECODELEN;
		goto out;
	}
	vault_recovery_syndrome(sym, &s0, &s1);
	if (s0 != 0 || s1 != 0) {
		rc = VAULT_ECHECKSUM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = codec_b32_char(sym[i]);
	out[n] = '\0';
out:
	sodium_memzero(sym, sizeof(sym));
	return rc;
}

/* Argon2id of the canonical code under the blob's salt and limits. */
static int
derive_key(uint8_t key[32], const char canon[VAULT_RECOVERY_SYMBOLS + 1],
    const uint8_t salt[16], uint64_t ops, uint64_t mem)
{
	if (crypto_pwhash(key, 32, canon, VAULT_RECOVERY_SYMBOLS, salt, ops,
	    (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return VAULT_ENOMEM;
	return VAULT_OK;
}

int
vault_backup_seal(const struct vault *v, const char *recovery_code,
    uint8_t out[VAULT_BACKUP_BYTES])
{
	char canon[VAULT_RECOVERY_SYMBOLS + 1];
	uint8_t key[32], ser[VAULT_SERIAL_BYTES];
	const uint64_t ops = crypto_pwhash_OPSLIMIT_MODERATE;
	const uint64_t mem = crypto_pwhash_MEMLIMIT_MODERATE;
	int rc;

	memset(out, 0, VAULT_BACKUP_BYTES);
	if (v == NULL || sodium_init() < 0)
		return VAULT_EINVAL;
	if ((rc = vault_recovery_normalize(recovery_code, canon)) != VAULT_OK)
		return rc;
	memcpy(out, VAULT_BACKUP_MAGIC, 4);
	out[4] = VAULT_VERSION;
	out[5] = crypto_pwhash_ALG_ARGON2ID13;
	codec_put_be64(out + 6, ops);
	codec_put_be64(out + 14, mem);
	randombytes_buf(out + 22, 16);	/* salt */
	randombytes_buf(out + 38, 24);	/* nonce */
	if ((rc = derive_key(key, canon, out + 22, ops, mem)) == VAULT_OK) {
		vault_serialize(v, ser);
		crypto_aead_xchacha20poly1305_ietf_encrypt(
		    out + VAULT_BACKUP_HEADER_BYTES, NULL, ser, sizeof(ser),
		    out, VAULT_BACKUP_HEADER_BYTES, NULL, out + 38, key);
	}
	sodium_memzero(key, sizeof(key));
	sodium_memzero(ser, sizeof(ser));
	sodium_memzero(canon, sizeof(canon));
	return rc;
}

int
vault_backup_open(const uint8_t *blob, size_t len, const char *recovery_code,
    struct vault *v)
{
	char canon[VAULT_RECOVERY_SYMBOLS + 1];
	uint8_t key[32], ser[VAULT_SERIAL_BYTES];
	uint64_t ops, mem;
	int rc;

	memset(v, 0, sizeof(*v));
	if (blob == NULL || sodium_init() < 0)
		return VAULT_EINVAL;
	if (len != VAULT_BACKUP_BYTES)
		return VAULT_ELENGTH;
	if (memcmp(blob, VAULT_BACKUP_MAGIC, 4) != 0)	/* check-src: ok (public magic) */
		return VAULT_EMAGIC;
	if (blob[4] != VAULT_VERSION)
		return VAULT_EVERSION;
	/* Limits come from the (untrusted) blob: refuse a cheap KDF that would
	 * ease guessing and a huge one that would exhaust the device. */
	ops = codec_get_be64(blob + 6);
	mem = codec_get_be64(blob + 14);
	if (blob[5] != crypto_pwhash_ALG_ARGON2ID13 ||
	    ops < crypto_pwhash_OPSLIMIT_INTERACTIVE ||
	    ops > crypto_pwhash_OPSLIMIT_SENSITIVE ||
	    mem < crypto_pwhash_MEMLIMIT_INTERACTIVE ||
	    mem > crypto_pwhash_MEMLIMIT_SENSITIVE)
		return VAULT_ELIMITS;
	/* A typo is reported before a second of key derivation. */
	if ((rc = vault_recovery_normalize(recovery_code, canon)) != VAULT_OK)
		return rc;
	if ((rc = derive_key(key, canon, blob + 22, ops, mem)) != VAULT_OK)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(ser, NULL, NULL,
	    blob + VAULT_BACKUP_HEADER_BYTES,
	    VAULT_BACKUP_BYTES - VAULT_BACKUP_HEADER_BYTES, blob,
	    VAULT_BACKUP_HEADER_BYTES, blob + 38, key) != 0) {
		rc = VAULT_EAUTH;
		goto out;
	}
	rc = vault_parse(ser, sizeof(ser), v);
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(ser, sizeof(ser));
	sodium_memzero(canon, sizeof(canon));
	return rc;
}
