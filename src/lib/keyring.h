/*
 * keyring — who may decrypt a camera's new footage (docs/FORMAT.md,
 * "Keyring").
 *
 * {camera id, epoch, issued time, recipients (X25519 key, role, label)},
 * canonically encoded and signed by the owner's Ed25519 key. The server
 * stores and relays keyrings but cannot make one: the agent accepts a
 * keyring only if keyring_verify() passes against the owner key it pinned
 * at pairing, its own camera id and the last epoch it accepted.
 *
 *	struct keyring kr = { .epoch = 2, .issued_ms = now, .n = 2, ... };
 *	keyring_sign(&kr, owner_sk, buf, sizeof(buf), &len);      // owner
 *	keyring_verify(buf, len, pinned_owner_pk, my_id, last_epoch, &kr);  // agent
 *
 * Functions return KEYRING_OK (0) or a negative enum keyring_err.
 */
#ifndef SEALCAM_KEYRING_H
#define SEALCAM_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#define KEYRING_MAGIC "SKRG"
#define KEYRING_VERSION 1
#define KEYRING_MAX_RECIPIENTS 32	/* = SEG_MAX_RECIPIENTS */
#define KEYRING_LABEL_MAX 64		/* bytes of UTF-8 */
#define KEYRING_FIXED_BYTES 66
#define KEYRING_SIG_BYTES 64
#define KEYRING_MAX_BYTES (KEYRING_FIXED_BYTES + \
	KEYRING_MAX_RECIPIENTS * (34 + KEYRING_LABEL_MAX) + KEYRING_SIG_BYTES)
#define KEYRING_HASH_BYTES 32

enum keyring_role {
	KEYRING_ROLE_OWNER = 1,
	KEYRING_ROLE_MEMBER = 2,
	KEYRING_ROLE_HUB = 3,
};

enum keyring_err {
	KEYRING_OK = 0,
	KEYRING_ETRUNCATED = -1,	/* shorter than its own lengths say */
	KEYRING_EMAGIC = -2,
	KEYRING_EVERSION = -3,
	KEYRING_ENONCANON = -4,		/* unsorted, trailing bytes, bad role/label, epoch 0, no recipient */
	KEYRING_ETOOMANY = -5,		/* more than 32 recipients */
	KEYRING_EDUPLICATE = -6,	/* a recipient key (or key id) twice */
	KEYRING_EWRONGOWNER = -7,	/* signer is not the pinned owner key */
	KEYRING_EBADSIG = -8,
	KEYRING_EWRONGCAMERA = -9,
	KEYRING_EEPOCH = -10,		/* epoch not greater than the last accepted */
	KEYRING_EINVAL = -11,
};

const char *keyring_strerror(int err);

struct keyring_recipient {
	uint8_t pk[32];		/* X25519 public key */
	uint8_t role;		/* enum keyring_role */
	uint8_t label_len;	/* bytes in label, 0..64 */
	char label[KEYRING_LABEL_MAX + 1];	/* UTF-8, NUL-terminated */
};

struct keyring {
	uint8_t camera_id[16];
	uint32_t epoch;		/* >= 1, only increases */
	uint64_t issued_ms;	/* ms since the Unix epoch */
	uint8_t owner_pk[32];	/* signer (filled by keyring_sign) */
	unsigned n;
	struct keyring_recipient r[KEYRING_MAX_RECIPIENTS];	/* ascending by pk */
};

/*
 * Encode and sign: recipients are sorted by key (kr is not changed), labels
 * taken up to their NUL (label_len is ignored). out needs up to
 * KEYRING_MAX_BYTES. KEYRING_EDUPLICATE, KEYRING_ETOOMANY, KEYRING_ENONCANON
 * (no recipient, epoch 0, bad role, label too long or not printable UTF-8),
 * KEYRING_EINVAL (out too small).
 */
int keyring_sign(const struct keyring *kr, const uint8_t owner_sk[64],
    uint8_t *out, size_t outmax, size_t *outlen);

/*
 * Parse the structure only — no signature check. For displays; nothing
 * may be trusted from it.
 */
int keyring_parse_unverified(const uint8_t *buf, size_t len, struct keyring *out)
	__attribute__((warn_unused_result));

/*
 * Parse and verify: structure, signer = pinned_owner_pk, signature,
 * camera id, epoch > last_epoch (pass 0 to accept any epoch). *out is filled
 * only on KEYRING_OK (zeroed otherwise).
 */
int keyring_verify(const uint8_t *buf, size_t len,
    const uint8_t pinned_owner_pk[32], const uint8_t camera_id[16],
    uint32_t last_epoch, struct keyring *out)
	__attribute__((warn_unused_result));

/* Stable hash of a signed keyring (all its bytes), for the transparency log. */
void keyring_hash(const uint8_t *buf, size_t len, uint8_t out[KEYRING_HASH_BYTES]);

#endif
