/*
 * pairing — bringing a camera under an owner without trusting the server
 * (docs/FORMAT.md, "Pairing"; PROTOCOL.md "Pairing a camera").
 *
 * The owner's client makes a pairing string (server URL, owner signing key,
 * one-time 32-byte secret, checksum) that reaches the agent out of band. The
 * server only ever sees pairing_id() of the secret. The agent proves its
 * camera key with a MAC under the secret; the owner verifies it, so a server
 * that swapped keys is caught.
 *
 *	struct pairing p;  char s[PAIRING_STRING_MAX + 1];
 *	pairing_new(&p, "https://cam.example", owner_sign_pk);     // owner
 *	pairing_encode(&p, s, sizeof(s));
 *	pairing_decode(typed, &p);                                  // agent
 *	pairing_proof_create(p.secret, cam_id, cam_pk, name, proof);
 *	pairing_proof_verify(p.secret, cam_id, cam_pk, name, proof); // owner
 *	pairing_wipe(&p);
 *
 * Functions return PAIRING_OK (0) or a negative enum pairing_err.
 */
#ifndef SEALCAM_PAIRING_H
#define SEALCAM_PAIRING_H

#include <stddef.h>
#include <stdint.h>

#define PAIRING_PREFIX "sealcam-pair:"
#define PAIRING_VERSION 1
#define PAIRING_SECRET_BYTES 32
#define PAIRING_ID_BYTES 16
#define PAIRING_PROOF_BYTES 32
#define PAIRING_URL_MAX 256
#define PAIRING_NAME_MAX 64
#define PAIRING_CHECK_BYTES 4
/* version, url length, url, owner pk, secret, checksum */
#define PAIRING_PAYLOAD_MAX (1 + 2 + PAIRING_URL_MAX + 32 + \
	PAIRING_SECRET_BYTES + PAIRING_CHECK_BYTES)
#define PAIRING_STRING_MAX (sizeof(PAIRING_PREFIX) - 1 + \
	(PAIRING_PAYLOAD_MAX * 8 + 4) / 5)

enum pairing_err {
	PAIRING_OK = 0,
	PAIRING_EINVAL = -1,
	PAIRING_EPREFIX = -2,	/* does not start with sealcam-pair: */
	PAIRING_ECHAR = -3,	/* not base32, or a length no payload has */
	PAIRING_ECHECKSUM = -4,	/* mistyped or damaged */
	PAIRING_EVERSION = -5,
	PAIRING_ELENGTH = -6,	/* inner lengths do not add up */
	PAIRING_EURL = -7,	/* not an http(s) URL of at most 256 bytes */
	PAIRING_ENAME = -8,	/* camera name too long or not printable UTF-8 */
	PAIRING_ECAMERAID = -9,	/* camera id is not the hash of the camera key */
	PAIRING_EBADPROOF = -10,	/* MAC does not verify: wrong secret or swapped keys */
};

const char *pairing_strerror(int err);

struct pairing {
	char url[PAIRING_URL_MAX + 1];		/* NUL-terminated */
	uint8_t owner_pk[32];			/* owner Ed25519 key to pin */
	uint8_t secret[PAIRING_SECRET_BYTES];	/* one-time, never sent to the server */
};

/* Fill *p with url, owner key and a fresh secret. PAIRING_EURL if bad. */
int pairing_new(struct pairing *p, const char *url, const uint8_t owner_pk[32]);

/* Write "sealcam-pair:<base32>" (NUL-terminated) into out. */
int pairing_encode(const struct pairing *p, char *out, size_t outsz);

/*
 * Parse a pairing string as pasted or typed: surrounding white space, case
 * and dashes/spaces inside the base32 do not matter.
 */
int pairing_decode(const char *s, struct pairing *p)
	__attribute__((warn_unused_result));

/* Zero *p (the secret). */
void pairing_wipe(struct pairing *p);

/* What the server sees: first 16 bytes of labelhash("sealcam-pairid", secret). */
void pairing_id(const uint8_t secret[PAIRING_SECRET_BYTES],
    uint8_t id[PAIRING_ID_BYTES]);

/*
 * The camera's proof: BLAKE2b-256 keyed with the secret over label ||
 * camera id || camera pk || name length (1 byte) || name. name may be NULL
 * (= ""); at most 64 bytes of printable UTF-8 (PAIRING_ENAME).
 */
int pairing_proof_create(const uint8_t secret[PAIRING_SECRET_BYTES],
    const uint8_t camera_id[16], const uint8_t camera_pk[32], const char *name,
    uint8_t proof[PAIRING_PROOF_BYTES]);

/*
 * Verify a proof in constant time; also that camera_id is the camera id of
 * camera_pk (PAIRING_ECAMERAID). PAIRING_EBADPROOF otherwise.
 */
int pairing_proof_verify(const uint8_t secret[PAIRING_SECRET_BYTES],
    const uint8_t camera_id[16], const uint8_t camera_pk[32], const char *name,
    const uint8_t proof[PAIRING_PROOF_BYTES]) __attribute__((warn_unused_result));

#endif
