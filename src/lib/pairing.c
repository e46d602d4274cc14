/*
 * pairing — pairing string, pairing id, camera proof.
 */
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "labelhash.h"
#include "pairing.h"
#include "seg.h"

const char *
pairing_strerror(int err)
{
	switch (err) {
	case PAIRING_OK: return "ok";
	case PAIRING_EINVAL: return "invalid argument";
	case PAIRING_EPREFIX: return "not a pairing string (must start with sealcam-pair:)";
	case PAIRING_ECHAR: return "pairing string has an invalid character or length";
	case PAIRING_ECHECKSUM: return "pairing string mistyped or damaged (checksum)";
	case PAIRING_EVERSION: return "unsupported pairing string version";
	case PAIRING_ELENGTH: return "pairing string is malformed";
	case PAIRING_EURL: return "server URL must be http:// or https:// and at most 256 bytes";
	case PAIRING_ENAME: return "camera name must be at most 64 bytes of printable UTF-8";
	case PAIRING_ECAMERAID: return "camera id does not match the camera key";
	case PAIRING_EBADPROOF: return "camera proof does not verify";
	}
	return "unknown error";
}

/* http(s), printable ASCII without spaces, something after the scheme. */
static int
url_ok(const char *url, size_t len)
{
	if (len == 0 || len > PAIRING_URL_MAX)
		return 0;
	if (!(len > 7 && strncmp(url, "http://", 7) == 0) &&
	    !(len > 8 && strncmp(url, "https://", 8) == 0))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return 0;
	return 1;
}

int
pairing_new(struct pairing *p, const char *url, const uint8_t owner_pk[32])
{
	size_t n;

	if (p == NULL || url == NULL || owner_pk == NULL || sodium_init() < 0)
		return PAIRING_EINVAL;
	memset(p, 0, sizeof(*p));
	n = strnlen(url, PAIRING_URL_MAX + 1);
	if (!url_ok(url, n))
		return PAIRING_EURL;
	memcpy(p->url, url, n);
	memcpy(p->owner_pk, owner_pk, 32);
	randombytes_buf(p->secret, sizeof(p->secret));
	return PAIRING_OK;
}

void
pairing_wipe(struct pairing *p)
{
	if (p != NULL)
		sodium_memzero(p, sizeof(*p));
}

int
pairing_encode(const struct pairing *p, char *out, size_t outsz)
{
	uint8_t pl[PAIRING_PAYLOAD_MAX];
	size_t ul, n, pre = sizeof(PAIRING_PREFIX) - 1;
	int rc = PAIRING_OK;

	if (p == NULL || out == NULL)
		return PAIRING_EINVAL;
	ul = strnlen(p->url, PAIRING_URL_MAX + 1);
	if (!url_ok(p->url, ul))
		return PAIRING_EURL;
	pl[0] = PAIRING_VERSION;
	codec_put_be16(pl + 1, (uint16_t)ul);
	memcpy(pl + 3, p->url, ul);
	memcpy(pl + 3 + ul, p->owner_pk, 32);
	memcpy(pl + 35 + ul, p->secret, PAIRING_SECRET_BYTES);
	n = 67 + ul;
	labelhash(pl + n, PAIRING_CHECK_BYTES, NULL, 0, "sealcam-pairchk", pl, n);
	n += PAIRING_CHECK_BYTES;
	if (outsz < pre + 1 ||
	    codec_b32_encode(pl, n, out + pre, outsz - pre) == (size_t)-1) {
		rc = PAIRING_EINVAL;
		if (outsz > 0)
			out[0] = '\0';
	} else {
		memcpy(out, PAIRING_PREFIX, pre);
	}
	sodium_memzero(pl, sizeof(pl));
	return rc;
}

int
pairing_decode(const char *s, struct pairing *p)
{
	uint8_t pl[PAIRING_PAYLOAD_MAX], chk[PAIRING_CHECK_BYTES];
	size_t pre = sizeof(PAIRING_PREFIX) - 1, slen, n, ul;
	int rc;

	if (p == NULL || s == NULL)
		return PAIRING_EINVAL;
	memset(p, 0, sizeof(*p));
	/* Pasted text often carries spaces or a newline around it. */
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	slen = strlen(s);
	while (slen > 0 && (s[slen - 1] == ' ' || s[slen - 1] == '\t' ||
	    s[slen - 1] == '\n' || s[slen - 1] == '\r'))
		slen--;
	/* Case-insensitive: a QR code in alphanumeric mode is upper case. */
	if (slen < pre || strncasecmp(s, PAIRING_PREFIX, pre) != 0)
		return PAIRING_EPREFIX;
	if (codec_b32_decode(s + pre, slen - pre, pl, sizeof(pl), &n) != 0)
		return PAIRING_ECHAR;
	if (n < 67 + PAIRING_CHECK_BYTES) {
		rc = PAIRING_ELENGTH;
		goto out;
	}
	/* The checksum first: a typo should read as a typo. */
	n -= PAIRING_CHECK_BYTES;
	labelhash(chk, sizeof(chk), NULL, 0, "sealcam-pairchk", pl, n);
	if (sodium_memcmp(chk, pl + n, sizeof(chk)) != 0) {
		rc = PAIRING_ECHECKSUM;
		goto out;
	}
	if (pl[0] != PAIRING_VERSION) {
		rc = PAIRING_EVERSION;
		goto out;
	}
	ul = codec_get_be16(pl + 1);
	if (67 + ul != n) {
		rc = PAIRING_ELENGTH;
		goto out;
	}
	if (!url_ok((const char *)pl + 3, ul) || memchr(pl + 3, 0, ul) != NULL) {
		rc = PAIRING_EURL;
		goto out;
	}
	memcpy(p->url, pl + 3, ul);
	p->url[ul] = '\0';
	memcpy(p->owner_pk, pl + 3 + ul, 32);
	memcpy(p->secret, pl + 35 + ul, PAIRING_SECRET_BYTES);
	rc = PAIRING_OK;
out:
	sodium_memzero(pl, sizeof(pl));
	return rc;
}

void
pairing_id(const uint8_t secret[PAIRING_SECRET_BYTES],
    uint8_t id[PAIRING_ID_BYTES])
{
	labelhash(id, PAIRING_ID_BYTES, NULL, 0, "sealcam-pairid", secret,
	    PAIRING_SECRET_BYTES);
}

int
pairing_proof_create(const uint8_t secret[PAIRING_SECRET_BYTES],
    const uint8_t camera_id[16], const uint8_t camera_pk[32], const char *name,
    uint8_t proof[PAIRING_PROOF_BYTES])
{
	uint8_t msg[16 + 32 + 1 + PAIRING_NAME_MAX];
	size_t nl;

	memset(proof, 0, PAIRING_PROOF_BYTES);
	if (name == NULL)
		name = "";
	nl = strnlen(name, PAIRING_NAME_MAX + 1);
	if (nl > PAIRING_NAME_MAX ||
	    !codec_utf8_printable((const uint8_t *)name, nl))
		return PAIRING_ENAME;
	memcpy(msg, camera_id, 16);
	memcpy(msg + 16, camera_pk, 32);
	msg[48] = (uint8_t)nl;
	memcpy(msg + 49, name, nl);
	labelhash(proof, PAIRING_PROOF_BYTES, secret, PAIRING_SECRET_BYTES,
	    "sealcam-pairprf", msg, 49 + nl);
	return PAIRING_OK;
}

int
pairing_proof_verify(const uint8_t secret[PAIRING_SECRET_BYTES],
    const uint8_t camera_id[16], const uint8_t camera_pk[32], const char *name,
    const uint8_t proof[PAIRING_PROOF_BYTES])
{
	uint8_t want[PAIRING_PROOF_BYTES], id[16];
	int rc;

	/* The id must commit to the key, or a server could pair another key
	 * under this camera's id. */
	seg_camera_id(camera_pk, id);
	if (sodium_memcmp(id, camera_id, 16) != 0)
		return PAIRING_ECAMERAID;
	if ((rc = pairing_proof_create(secret, camera_id, camera_pk, name,
	    want)) != PAIRING_OK)
		return rc;
	rc = sodium_memcmp(want, proof, PAIRING_PROOF_BYTES) == 0 ?
	    PAIRING_OK : PAIRING_EBADPROOF;
	sodium_memzero(want, sizeof(want));
	return rc;
}
