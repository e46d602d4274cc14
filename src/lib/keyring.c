/*
 * keyring — canonical encoding, owner signature, verification.
 */
#include <sodium.h>
#include <stdlib.h>	/* qsort */
#include <string.h>

#include "codec.h"
#include "keyring.h"
#include "labelhash.h"
#include "seg.h"

#define SIG_PREFIX "sealcam-keyring"	/* + NUL = 16 bytes */

const char *
keyring_strerror(int err)
{
	switch (err) {
	case KEYRING_OK: return "ok";
	case KEYRING_ETRUNCATED: return "keyring truncated";
	case KEYRING_EMAGIC: return "not a keyring";
	case KEYRING_EVERSION: return "unsupported keyring version";
	case KEYRING_ENONCANON: return "non-canonical keyring";
	case KEYRING_ETOOMANY: return "keyring has more than 32 recipients";
	case KEYRING_EDUPLICATE: return "keyring names a recipient twice";
	case KEYRING_EWRONGOWNER: return "keyring is not signed by the camera's owner";
	case KEYRING_EBADSIG: return "keyring signature does not verify";
	case KEYRING_EWRONGCAMERA: return "keyring is for another camera";
	case KEYRING_EEPOCH: return "keyring epoch is not newer than the current one";
	case KEYRING_EINVAL: return "invalid argument";
	}
	return "unknown error";
}

static int
cmp_recipient(const void *a, const void *b)
{
	return memcmp(((const struct keyring_recipient *)a)->pk,	/* check-src: ok (public keys) */
	    ((const struct keyring_recipient *)b)->pk, 32);
}

/* Two distinct keys with one key id would make their stanzas ambiguous. */
static int
key_ids_distinct(const struct keyring_recipient *r, unsigned n)
{
	uint8_t ids[KEYRING_MAX_RECIPIENTS][SEG_KEYID_BYTES];

	for (unsigned i = 0; i < n; i++) {
		seg_key_id(r[i].pk, ids[i]);
		for (unsigned j = 0; j < i; j++)
			if (memcmp(ids[i], ids[j], SEG_KEYID_BYTES) == 0)	/* check-src: ok (public ids) */
				return 0;
	}
	return 1;
}

static void
signed_message_prefix(uint8_t p[16])
{
	memset(p, 0, 16);
	memcpy(p, SIG_PREFIX, sizeof(SIG_PREFIX) - 1);
}

int
keyring_sign(const struct keyring *kr, const uint8_t owner_sk[64],
    uint8_t *out, size_t outmax, size_t *outlen)
{
	struct keyring_recipient r[KEYRING_MAX_RECIPIENTS];
	uint8_t msg[16 + KEYRING_MAX_BYTES];	/* bounded: no allocation */
	size_t pos = KEYRING_FIXED_BYTES;
	int rc = KEYRING_OK;

	*outlen = 0;
	if (kr == NULL || owner_sk == NULL || out == NULL)
		return KEYRING_EINVAL;
	if (kr->n > KEYRING_MAX_RECIPIENTS)
		return KEYRING_ETOOMANY;
	if (kr->n == 0 || kr->epoch == 0)
		return KEYRING_ENONCANON;
	memcpy(r, kr->r, sizeof(*r) * kr->n);
	qsort(r, kr->n, sizeof(*r), cmp_recipient);

	for (unsigned i = 0; i < kr->n; i++) {
		size_t ll = strnlen(r[i].label, KEYRING_LABEL_MAX + 1);

		if (i > 0 && cmp_recipient(&r[i - 1], &r[i]) == 0) {
			rc = KEYRING_EDUPLICATE;
			goto out;
		}
		if (r[i].role < KEYRING_ROLE_OWNER || r[i].role > KEYRING_ROLE_HUB ||
		    ll > KEYRING_LABEL_MAX ||
		    !codec_utf8_printable((const uint8_t *)r[i].label, ll)) {
			rc = KEYRING_ENONCANON;
			goto out;
		}
		if (pos + 34 + ll + KEYRING_SIG_BYTES > outmax) {
			rc = KEYRING_EINVAL;
			goto out;
		}
		memcpy(out + pos, r[i].pk, 32);
		out[pos + 32] = r[i].role;
		out[pos + 33] = (uint8_t)ll;
		memcpy(out + pos + 34, r[i].label, ll);
		pos += 34 + ll;
	}
	if (!key_ids_distinct(r, kr->n)) {
		rc = KEYRING_EDUPLICATE;
		goto out;
	}
	memcpy(out, KEYRING_MAGIC, 4);
	out[4] = KEYRING_VERSION;
	out[5] = (uint8_t)kr->n;
	memcpy(out + 6, kr->camera_id, 16);
	codec_put_be32(out + 22, kr->epoch);
	codec_put_be64(out + 26, kr->issued_ms);
	crypto_sign_ed25519_sk_to_pk(out + 34, owner_sk);

	/* Sign prefix || everything before the signature. */
	signed_message_prefix(msg);
	memcpy(msg + 16, out, pos);
	crypto_sign_detached(out + pos, NULL, msg, 16 + pos, owner_sk);
	*outlen = pos + KEYRING_SIG_BYTES;
out:
	sodium_memzero(msg, sizeof(msg));
	return rc;
}

int
keyring_parse_unverified(const uint8_t *buf, size_t len, struct keyring *kr)
{
	size_t pos = KEYRING_FIXED_BYTES;

	memset(kr, 0, sizeof(*kr));
	if (buf == NULL)
		return KEYRING_EINVAL;
	if (len >= 4 && memcmp(buf, KEYRING_MAGIC, 4) != 0)	/* check-src: ok (public magic) */
		return KEYRING_EMAGIC;
	if (len >= 5 && buf[4] != KEYRING_VERSION)
		return KEYRING_EVERSION;
	if (len < KEYRING_FIXED_BYTES + KEYRING_SIG_BYTES)
		return KEYRING_ETRUNCATED;
	if (buf[5] > KEYRING_MAX_RECIPIENTS)
		return KEYRING_ETOOMANY;
	kr->n = buf[5];
	memcpy(kr->camera_id, buf + 6, 16);
	kr->epoch = codec_get_be32(buf + 22);
	kr->issued_ms = codec_get_be64(buf + 26);
	memcpy(kr->owner_pk, buf + 34, 32);
	if (kr->n == 0 || kr->epoch == 0)
		goto noncanon;
	for (unsigned i = 0; i < kr->n; i++) {
		struct keyring_recipient *r = &kr->r[i];

		if (len - KEYRING_SIG_BYTES < pos + 34)
			goto truncated;
		memcpy(r->pk, buf + pos, 32);
		r->role = buf[pos + 32];
		r->label_len = buf[pos + 33];
		if (r->label_len > KEYRING_LABEL_MAX)
			goto noncanon;
		if (len - KEYRING_SIG_BYTES - (pos + 34) < r->label_len)
			goto truncated;
		memcpy(r->label, buf + pos + 34, r->label_len);
		r->label[r->label_len] = '\0';
		pos += 34 + r->label_len;
		if (i > 0) {
			int c = cmp_recipient(&kr->r[i - 1], r);
			if (c == 0) {
				memset(kr, 0, sizeof(*kr));
				return KEYRING_EDUPLICATE;
			}
			if (c > 0)
				goto noncanon;
		}
		if (r->role < KEYRING_ROLE_OWNER || r->role > KEYRING_ROLE_HUB ||
		    !codec_utf8_printable((const uint8_t *)r->label, r->label_len))
			goto noncanon;
	}
	/* Exactly the signature after the last recipient. */
	if (pos + KEYRING_SIG_BYTES != len)
		goto noncanon;
	if (!key_ids_distinct(kr->r, kr->n)) {
		memset(kr, 0, sizeof(*kr));
		return KEYRING_EDUPLICATE;
	}
	return KEYRING_OK;
truncated:
	memset(kr, 0, sizeof(*kr));
	return KEYRING_ETRUNCATED;
noncanon:
	memset(kr, 0, sizeof(*kr));
	return KEYRING_ENONCANON;
}

int
keyring_verify(const uint8_t *buf, size_t len, const uint8_t pinned_owner_pk[32],
    const uint8_t camera_id[16], uint32_t last_epoch, struct keyring *out)
{
	uint8_t msg[16 + KEYRING_MAX_BYTES];
	size_t body;
	int rc;

	if (pinned_owner_pk == NULL || camera_id == NULL || out == NULL)
		return KEYRING_EINVAL;
	if ((rc = keyring_parse_unverified(buf, len, out)) != KEYRING_OK)
		return rc;
	/* A keyring signed by anyone but the owner pinned at pairing. */
	if (sodium_memcmp(out->owner_pk, pinned_owner_pk, 32) != 0) {
		rc = KEYRING_EWRONGOWNER;
		goto fail;
	}
	/* Parsed, so len <= KEYRING_MAX_BYTES and msg is large enough. */
	body = len - KEYRING_SIG_BYTES;
	signed_message_prefix(msg);
	memcpy(msg + 16, buf, body);
	if (crypto_sign_verify_detached(buf + body, msg, 16 + body,
	    pinned_owner_pk) != 0) {
		rc = KEYRING_EBADSIG;
		goto fail;
	}
	if (sodium_memcmp(out->camera_id, camera_id, 16) != 0) {
		rc = KEYRING_EWRONGCAMERA;
		goto fail;
	}
	/* Downgrade and replay: only a newer keyring replaces the current. */
	if (out->epoch <= last_epoch) {
		rc = KEYRING_EEPOCH;
		goto fail;
	}
	return KEYRING_OK;
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

void
keyring_hash(const uint8_t *buf, size_t len, uint8_t out[KEYRING_HASH_BYTES])
{
	labelhash(out, KEYRING_HASH_BYTES, NULL, 0, "sealcam-krhash", buf, len);
}
