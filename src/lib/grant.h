/*
 * grant — consent as a signature (docs/FORMAT.md "Grants").
 *
 * A grant document says, signed by the owner's Ed25519 key: this staff
 * principal may see these objects of this camera, for this purpose, until
 * this time. In mode *original* every object entry carries the segment's
 * data key sealed to the grantee (seg_rewrap): the grant is the only way a
 * staff key reaches that footage. In mode *anonymized* the one object is a
 * derivative the owner's client made (anonymizer, then sealed to the
 * grantee and signed by the owner key): the original never leaves.
 *
 *	struct grant g = { .mode = GRANT_MODE_ORIGINAL, ..., .n = 3, .obj = objs };
 *	grant_sign(&g, owner_sign_sk, buf, sizeof(buf), &len);     // owner
 *	grant_verify(buf, len, owner_pk_or_NULL, &g2);  ... grant_clear(&g2);
 *
 * A revocation is a small owner-signed document naming the grant. An
 * access record is what sealcamd commits to in the owner's log chain
 * before it serves a grantee anything (type staff_access): which objects
 * of which grant, to which principal, when.
 *
 * Functions return GRANT_OK (0) or a negative enum grant_err.
 */
#ifndef SEALCAM_GRANT_H
#define SEALCAM_GRANT_H

#include <stddef.h>
#include <stdint.h>

#define GRANT_MAGIC "SGRT"
#define GRANT_VERSION 1
#define GRANT_ID_BYTES 16
#define GRANT_PURPOSE_MAX 512		/* bytes of printable UTF-8 */
#define GRANT_OBJECTS_MAX 1024		/* clip-sized: ~1 h of 4 s segments */
#define GRANT_FIXED_BYTES 218
#define GRANT_SIG_BYTES 64
#define GRANT_OBJ_ORIGINAL_BYTES 133	/* kind, seq, start, duration, header hash, sealed key */
#define GRANT_OBJ_ANONYMIZED_BYTES 53	/* kind, seq, start, duration, header hash */
#define GRANT_MAX_BYTES (GRANT_FIXED_BYTES + GRANT_PURPOSE_MAX + \
	GRANT_OBJECTS_MAX * GRANT_OBJ_ORIGINAL_BYTES + GRANT_SIG_BYTES)
#define GRANT_REVOCATION_BYTES 128
#define GRANT_ACCESS_FIXED 80
#define GRANT_ACCESS_OBJ_BYTES 9
#define GRANT_ACCESS_MAX (GRANT_ACCESS_FIXED + GRANT_OBJECTS_MAX * GRANT_ACCESS_OBJ_BYTES)

enum grant_mode {
	GRANT_MODE_ORIGINAL = 1,	/* data keys re-wrapped to the grantee */
	GRANT_MODE_ANONYMIZED = 2,	/* an owner-made derivative sealed to the grantee */
};

enum grant_err {
	GRANT_OK = 0,
	GRANT_EMALFORMED = -1,		/* length, magic, version, field rules */
	GRANT_EWRONGOWNER = -2,		/* signer is not the expected owner key */
	GRANT_EBADSIG = -3,		/* signature does not verify */
	GRANT_EINVAL = -4,		/* caller error (sign: bad fields, small buffer) */
	GRANT_ENOMEM = -5,
};

const char *grant_strerror(int err);
const char *grant_mode_name(unsigned mode);	/* "original", "anonymized" */

struct grant_object {
	uint8_t kind;			/* SEG_KIND_SEGMENT (original) or SEG_KIND_DERIVATIVE */
	uint64_t seq;
	uint64_t start_ms;		/* from the container header (which the hash covers) */
	uint32_t duration_ms;
	uint8_t header_hash[32];	/* BLAKE2b-256 of the container's header */
	uint8_t sealed_key[80];		/* original only: data key sealed to the grantee */
};

struct grant {
	uint8_t mode;			/* enum grant_mode */
	uint8_t grant_id[GRANT_ID_BYTES];
	uint8_t camera_id[16];
	uint8_t camera_pk[32];		/* camera id = seg_camera_id(camera_pk) */
	uint8_t owner_pk[32];		/* the signer (filled by grant_sign) */
	uint8_t grantee_id[16];		/* staff principal id of the two keys below */
	uint8_t grantee_box_pk[32];
	uint8_t grantee_sign_pk[32];
	uint64_t from_ms, until_ms;	/* the range the objects cover */
	uint64_t created_ms, expires_ms;
	char purpose[GRANT_PURPOSE_MAX + 1];
	unsigned n;			/* 1..GRANT_OBJECTS_MAX (anonymized: 1) */
	struct grant_object *obj;	/* ascending by (kind, seq) */
};

/*
 * Encode and sign as the owner (owner_sk: libsodium's 64-byte form).
 * camera id and grantee id are recomputed from their keys; objects must
 * already be in ascending order. GRANT_EINVAL for any rule broken (see
 * grant_verify) or an out buffer smaller than needed (GRANT_MAX_BYTES is
 * always enough).
 */
int grant_sign(const struct grant *g, const uint8_t owner_sk[64], uint8_t *out,
    size_t outmax, size_t *outlen);

/*
 * Parse and verify: structure, canonical order, ids matching their keys,
 * from < until, created < expires, the signer = owner_pk (unless NULL:
 * then any signer, whose key is in out->owner_pk), the signature. On
 * GRANT_OK out->obj is malloc'd (free with grant_clear); on error out is
 * zeroed.
 */
int grant_verify(const uint8_t *buf, size_t len, const uint8_t *owner_pk,
    struct grant *out) __attribute__((warn_unused_result));

/* Free out->obj and zero the struct. NULL is a no-op. */
void grant_clear(struct grant *g);

/* The object (kind, seq) of a verified grant, or NULL. */
const struct grant_object *grant_find(const struct grant *g, uint8_t kind,
    uint64_t seq);

/* ---- revocation ---------------------------------------------------------- */

struct grant_revocation {
	uint8_t grant_id[GRANT_ID_BYTES];
	uint8_t owner_pk[32];		/* the signer */
	uint64_t revoked_ms;
};

int grant_revocation_sign(const struct grant_revocation *r,
    const uint8_t owner_sk[64], uint8_t out[GRANT_REVOCATION_BYTES]);

int grant_revocation_verify(const uint8_t *buf, size_t len,
    const uint8_t *owner_pk, struct grant_revocation *out)
	__attribute__((warn_unused_result));

/* ---- access record ------------------------------------------------------- */

struct grant_access_obj {
	uint8_t kind;
	uint64_t seq;
};

struct grant_access {
	uint8_t access_id[16];		/* random, made by the server */
	uint8_t grant_id[GRANT_ID_BYTES];
	uint8_t principal_id[16];	/* who fetched */
	uint8_t camera_id[16];		/* whose footage (the grant's camera) */
	uint64_t time_ms;
	unsigned n;			/* 1..GRANT_OBJECTS_MAX */
	struct grant_access_obj obj[GRANT_OBJECTS_MAX];	/* ascending */
};

/* Encode (objects must be ascending and distinct). out needs up to
 * GRANT_ACCESS_MAX bytes. */
int grant_access_encode(const struct grant_access *a, uint8_t *out,
    size_t outmax, size_t *outlen);

int grant_access_parse(const uint8_t *buf, size_t len, struct grant_access *a)
	__attribute__((warn_unused_result));

/* Its log commitment: labelhash("sealcam-logacc", record). */
void grant_access_commitment(const uint8_t *buf, size_t len, uint8_t out[32]);

/* A grant's log commitment: labelhash("sealcam-loggrant", document) — the
 * same for a revocation. */
void grant_commitment(const uint8_t *buf, size_t len, uint8_t out[32]);

#endif
