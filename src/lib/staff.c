/*
 * staff — principal ids, directory records, the public key string.
 *
 * Record layout (docs/FORMAT.md "Staff directory"), integers big-endian:
 *	0   4  magic "SSTF"
 *	4   1  version 1
 *	5   1  action: 1 added, 2 removed
 *	6   1  role: 1 support, 2 research
 *	7   1  name length N (1..64)
 *	8  16  principal id
 *	24 32  X25519 public key
 *	56 32  Ed25519 public key
 *	88  8  time, ms since the Unix epoch
 *	96  N  name (printable UTF-8)
 */
#include <ctype.h>
#include <string.h>

#include <sodium.h>

#include "codec.h"
#include "labelhash.h"
#include "staff.h"

void
staff_principal_id(const uint8_t sign_pk[32], const uint8_t box_pk[32],
    uint8_t id[STAFF_ID_BYTES])
{
	uint8_t both[64];

	memcpy(both, sign_pk, 32);
	memcpy(both + 32, box_pk, 32);
	labelhash(id, STAFF_ID_BYTES, NULL, 0, "sealcam-staffid", both, sizeof(both));
}

const char *
staff_role_name(unsigned role)
{
	return role == STAFF_ROLE_SUPPORT ? "support" :
	    role == STAFF_ROLE_RESEARCH ? "research" : "unknown";
}

unsigned
staff_role_parse(const char *s)
{
	if (s == NULL)
		return 0;
	if (strcmp(s, "support") == 0)
		return STAFF_ROLE_SUPPORT;
	if (strcmp(s, "research") == 0)
		return STAFF_ROLE_RESEARCH;
	return 0;
}

static int
known(const struct staff_record *r, size_t namelen)
{
	return (r->action == STAFF_ADDED || r->action == STAFF_REMOVED) &&
	    (r->role == STAFF_ROLE_SUPPORT || r->role == STAFF_ROLE_RESEARCH) &&
	    namelen >= 1 && namelen <= STAFF_NAME_MAX &&
	    codec_utf8_printable((const uint8_t *)r->name, namelen);
}

int
staff_record_encode(const struct staff_record *r, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	size_t n = strnlen(r->name, STAFF_NAME_MAX + 1);

	*outlen = 0;
	if (!known(r, n) || outmax < STAFF_RECORD_FIXED + n)
		return -1;
	memcpy(out, STAFF_RECORD_MAGIC, 4);
	out[4] = STAFF_RECORD_VERSION;
	out[5] = r->action;
	out[6] = r->role;
	out[7] = (uint8_t)n;
	staff_principal_id(r->sign_pk, r->box_pk, out + 8);
	memcpy(out + 24, r->box_pk, 32);
	memcpy(out + 56, r->sign_pk, 32);
	codec_put_be64(out + 88, r->time_ms);
	memcpy(out + 96, r->name, n);
	*outlen = STAFF_RECORD_FIXED + n;
	return 0;
}

int
staff_record_parse(const uint8_t *buf, size_t len, struct staff_record *r)
{
	uint8_t id[STAFF_ID_BYTES];
	size_t n;

	memset(r, 0, sizeof(*r));
	if (len < STAFF_RECORD_FIXED || memcmp(buf, STAFF_RECORD_MAGIC, 4) != 0 ||
	    buf[4] != STAFF_RECORD_VERSION)
		return -1;
	n = buf[7];
	if (len != STAFF_RECORD_FIXED + n || n > STAFF_NAME_MAX)
		return -1;
	r->action = buf[5];
	r->role = buf[6];
	memcpy(r->principal_id, buf + 8, STAFF_ID_BYTES);
	memcpy(r->box_pk, buf + 24, 32);
	memcpy(r->sign_pk, buf + 56, 32);
	r->time_ms = codec_get_be64(buf + 88);
	memcpy(r->name, buf + 96, n);
	r->name[n] = '\0';
	/* An embedded NUL would make the name shorter than its length. */
	if (strlen(r->name) != n || !known(r, n))
		goto bad;
	staff_principal_id(r->sign_pk, r->box_pk, id);
	if (memcmp(id, r->principal_id, STAFF_ID_BYTES) != 0)	/* check-src: ok (public ids) */
		goto bad;
	return 0;
bad:
	memset(r, 0, sizeof(*r));
	return -1;
}

void
staff_key_format(const uint8_t box_pk[32], const uint8_t sign_pk[32], char *out)
{
	uint8_t both[64];

	memcpy(both, box_pk, 32);
	memcpy(both + 32, sign_pk, 32);
	memcpy(out, STAFF_KEY_PREFIX, sizeof(STAFF_KEY_PREFIX) - 1);
	codec_hex_encode(both, sizeof(both), out + sizeof(STAFF_KEY_PREFIX) - 1, 129);
}

int
staff_key_parse(const char *s, uint8_t box_pk[32], uint8_t sign_pk[32])
{
	const size_t pl = sizeof(STAFF_KEY_PREFIX) - 1;
	uint8_t both[64];
	char hex[129];
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n != STAFF_KEY_STRLEN || strncmp(s, STAFF_KEY_PREFIX, pl) != 0)
		return -1;
	memcpy(hex, s + pl, 128);
	hex[128] = '\0';
	for (size_t i = 0; i < 128; i++)
		if (hex[i] >= 'A' && hex[i] <= 'F')
			return -1;      /* one spelling */
	if (codec_hex_decode(hex, both, sizeof(both)) != 0)
		return -1;
	memcpy(box_pk, both, 32);
	memcpy(sign_pk, both + 32, 32);
	return 0;
}
