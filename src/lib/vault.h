/*
 * vault — an account's keys, their backup, and human-checkable fingerprints
 * (docs/FORMAT.md, "Vault").
 *
 * A vault is an X25519 key pair (the recipient key footage is sealed to) and
 * an Ed25519 key pair (the owner key that signs keyrings and grants). It is
 * made on the first device; a backup encrypted under a key derived (Argon2id)
 * from a generated recovery code is stored on the server, opaque to it.
 *
 *	struct vault v;  char code[VAULT_RECOVERY_LEN + 1];
 *	uint8_t blob[VAULT_BACKUP_BYTES];
 *	vault_generate(&v);
 *	vault_recovery_generate(code);          // show once to the user
 *	vault_backup_seal(&v, code, blob);      // upload blob
 *	...
 *	vault_backup_open(blob, n, typed_code, &v);   // on a new device
 *	vault_wipe(&v);
 *
 * Functions return VAULT_OK (0) or a negative enum vault_err.
 */
#ifndef SEALCAM_VAULT_H
#define SEALCAM_VAULT_H

#include <stddef.h>
#include <stdint.h>

#define VAULT_MAGIC "SVLT"
#define VAULT_BACKUP_MAGIC "SVBK"
#define VAULT_VERSION 1
#define VAULT_SERIAL_BYTES 69		/* magic, version, box sk, sign seed */
#define VAULT_BACKUP_HEADER_BYTES 62	/* the AD of the backup's AEAD */
#define VAULT_BACKUP_BYTES (VAULT_BACKUP_HEADER_BYTES + VAULT_SERIAL_BYTES + 16)
#define VAULT_FINGERPRINT_LEN 19	/* "XXXX-XXXX-XXXX-XXXX" */
#define VAULT_RECOVERY_SYMBOLS 28	/* 26 random (130 bits) + 2 check */
#define VAULT_RECOVERY_LEN 34		/* 7 groups of 4, 6 dashes */

enum vault_err {
	VAULT_OK = 0,
	VAULT_EINVAL = -1,	/* bad argument */
	VAULT_ELENGTH = -2,	/* blob or serialisation of the wrong size */
	VAULT_EMAGIC = -3,
	VAULT_EVERSION = -4,
	VAULT_ELIMITS = -5,	/* backup: unknown KDF or limits out of range */
	VAULT_ECHAR = -6,	/* recovery code: a character that is not in it */
	VAULT_ECODELEN = -7,	/* recovery code: not 28 characters */
	VAULT_ECHECKSUM = -8,	/* recovery code mistyped (check failed) */
	VAULT_EAUTH = -9,	/* wrong recovery code, or blob altered */
	VAULT_ENOMEM = -10,	/* the KDF could not get its memory */
};

const char *vault_strerror(int err);

struct vault {
	uint8_t box_pk[32];	/* X25519: footage is sealed to it */
	uint8_t box_sk[32];
	uint8_t sign_pk[32];	/* Ed25519 owner key: signs keyrings, grants */
	uint8_t sign_sk[64];	/* libsodium form: seed || pk */
};

/* Fresh key pairs. */
int vault_generate(struct vault *v);

/* Zero all of *v. */
void vault_wipe(struct vault *v);

/* Serialise (secret!) for local storage or the backup; wipe out after use. */
void vault_serialize(const struct vault *v, uint8_t out[VAULT_SERIAL_BYTES]);

/* Parse a serialisation; public keys are derived. */
int vault_parse(const uint8_t *buf, size_t len, struct vault *v)
	__attribute__((warn_unused_result));

/*
 * Fingerprint of a public key, "XXXX-XXXX-XXXX-XXXX" (80 bits, Crockford
 * base32), for people to compare out of band.
 */
void vault_fingerprint(const uint8_t pk[32], char out[VAULT_FINGERPRINT_LEN + 1]);

/*
 * Fingerprint of an account: both public keys (sign, then box). This is
 * what a user compares before sharing with another account.
 */
void vault_fingerprint_account(const uint8_t sign_pk[32],
    const uint8_t box_pk[32], char out[VAULT_FINGERPRINT_LEN + 1]);

/* A new recovery code, "XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX". */
int vault_recovery_generate(char out[VAULT_RECOVERY_LEN + 1]);

/*
 * Check a typed recovery code and write its canonical form (28 upper-case
 * symbols, no separators) to out. Case, spaces and dashes do not matter; I
 * and L read as 1, O as 0. VAULT_ECHAR, VAULT_ECODELEN or VAULT_ECHECKSUM
 * (any single mistyped character and any swap of two neighbours is always
 * caught) on failure.
 */
int vault_recovery_normalize(const char *in, char out[VAULT_RECOVERY_SYMBOLS + 1])
	__attribute__((warn_unused_result));

/* Format a canonical 28-symbol code in groups ("XXXX-...") into out. */
void vault_recovery_format(const char canon[VAULT_RECOVERY_SYMBOLS + 1],
    char out[VAULT_RECOVERY_LEN + 1]);

/*
 * Encrypt the vault under the recovery code (Argon2id MODERATE: about a
 * second and 256 MiB). VAULT_ECHAR/ECODELEN/ECHECKSUM for a bad code,
 * VAULT_ENOMEM if the KDF fails.
 */
int vault_backup_seal(const struct vault *v, const char *recovery_code,
    uint8_t out[VAULT_BACKUP_BYTES]);

/*
 * Decrypt a backup. A mistyped code fails fast with VAULT_ECHECKSUM (no
 * KDF); a wrong code or an altered blob with VAULT_EAUTH.
 */
int vault_backup_open(const uint8_t *blob, size_t len,
    const char *recovery_code, struct vault *v)
	__attribute__((warn_unused_result));

/* For the tests: the syndrome of 28 symbol values; (0, 0) iff valid. */
void vault_recovery_syndrome(const uint8_t sym[VAULT_RECOVERY_SYMBOLS],
    uint8_t *s0, uint8_t *s1);

#endif
