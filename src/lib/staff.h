/*
 * staff — staff principals (support, research) and the staff directory
 * (docs/FORMAT.md "Staff directory").
 *
 * A staff member makes a key pair on their own machine (`sealcam staff
 * init`): X25519 (owners seal grants to it) and Ed25519. The principal id
 * commits to both keys, as a camera id commits to the camera key:
 *
 *	principal id = first 16 bytes of labelhash("sealcam-staffid",
 *	               sign_pk || box_pk)
 *
 * The operator registers the public half (`sealcamd admin staff add`);
 * each addition and removal is a directory record, committed to in the
 * transparency log (entry types staff_added / staff_removed, chain of the
 * directory). Owners' clients address grants to a principal only after
 * finding its record in that logged chain.
 *
 *	staff_record_encode(&rec, buf, sizeof(buf), &len);
 *	staff_record_parse(buf, len, &rec);   // canonical, id checked
 *
 * Functions return 0 or -1 unless said otherwise.
 */
#ifndef SEALCAM_STAFF_H
#define SEALCAM_STAFF_H

#include <stddef.h>
#include <stdint.h>

#define STAFF_ID_BYTES 16
#define STAFF_NAME_MAX 64		/* bytes of printable UTF-8 */
#define STAFF_RECORD_FIXED 96
#define STAFF_RECORD_MAX (STAFF_RECORD_FIXED + STAFF_NAME_MAX)
#define STAFF_RECORD_MAGIC "SSTF"
#define STAFF_RECORD_VERSION 1
/* "sealcam-staff:" + hex(box_pk || sign_pk) */
#define STAFF_KEY_PREFIX "sealcam-staff:"
#define STAFF_KEY_STRLEN (14 + 128)

enum staff_role { STAFF_ROLE_SUPPORT = 1, STAFF_ROLE_RESEARCH = 2 };
enum staff_action { STAFF_ADDED = 1, STAFF_REMOVED = 2 };

struct staff_record {
	uint8_t action;				/* enum staff_action */
	uint8_t role;				/* enum staff_role */
	uint8_t principal_id[STAFF_ID_BYTES];
	uint8_t box_pk[32];			/* X25519: grants are sealed to it */
	uint8_t sign_pk[32];			/* Ed25519 */
	uint64_t time_ms;			/* when the operator made the change */
	char name[STAFF_NAME_MAX + 1];		/* shown to owners, NUL-terminated */
};

/* The principal id of a key pair. */
void staff_principal_id(const uint8_t sign_pk[32], const uint8_t box_pk[32],
    uint8_t id[STAFF_ID_BYTES]);

/* "support" / "research" (and back: 0 if unknown). */
const char *staff_role_name(unsigned role);
unsigned staff_role_parse(const char *s);

/*
 * Encode r (principal_id is recomputed from the keys, name taken up to its
 * NUL). -1 for an unknown action or role, an empty, long or unprintable
 * name, or out too small (STAFF_RECORD_MAX is always enough).
 */
int staff_record_encode(const struct staff_record *r, uint8_t *out,
    size_t outmax, size_t *outlen);

/* Parse a canonical record: exact length, magic, version, known action and
 * role, printable name, principal id matching the keys. */
int staff_record_parse(const uint8_t *buf, size_t len, struct staff_record *r)
	__attribute__((warn_unused_result));

/* The public key string a staff member hands to the operator. out needs
 * STAFF_KEY_STRLEN + 1 bytes. */
void staff_key_format(const uint8_t box_pk[32], const uint8_t sign_pk[32],
    char *out);

/* Parse it back (surrounding white space allowed). */
int staff_key_parse(const char *s, uint8_t box_pk[32], uint8_t sign_pk[32])
	__attribute__((warn_unused_result));

#endif
