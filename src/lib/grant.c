/*
 * grant — grant documents, revocations and access records (grant.h).
 *
 * Grant document layout (docs/FORMAT.md "Grants"), integers big-endian:
 *	0    4  magic "SGRT"
 *	4    1  version 1
 *	5    1  mode: 1 original, 2 anonymized
 *	6    2  purpose length P (1..512)
 *	8   16  grant id
 *	24  16  camera id
 *	40  32  camera Ed25519 public key
 *	72  32  owner Ed25519 public key (the signer)
 *	104 16  grantee principal id
 *	120 32  grantee X25519 public key
 *	152 32  grantee Ed25519 public key
 *	184  8  from, ms          192 8 until, ms
 *	200  8  created, ms       208 8 expires, ms
 *	216  2  n objects
 *	218  P  purpose
 *	...     n objects: kind (1) seq (8) start ms (8) duration ms (4)
 *	        header hash (32) [original: sealed key (80)]
 *	end-64  Ed25519 signature over "sealcam-grant" NUL-padded to 16 || all before
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "codec.h"
#include "grant.h"
#include "labelhash.h"
#include "seg.h"
#include "staff.h"

#define SIG_PREFIX "sealcam-grant"	/* NUL-padded to 16 bytes */
#define REV_PREFIX "sealcam-grantrev"	/* exactly 16 bytes */
#define REV_MAGIC "SGRV"
#define ACC_MAGIC "SACC"

const char *
grant_strerror(int err)
{
	switch (err) {
	case GRANT_OK: return "ok";
	case GRANT_EMALFORMED: return "not a well-formed grant";
	case GRANT_EWRONGOWNER: return "grant is not signed by the camera's owner";
	case GRANT_EBADSIG: return "grant signature does not verify";
	case GRANT_EINVAL: return "invalid argument";
	case GRANT_ENOMEM: return "out of memory";
	}
	return "unknown error";
}

const char *
grant_mode_name(unsigned mode)
{
	return mode == GRANT_MODE_ORIGINAL ? "original" :
	    mode == GRANT_MODE_ANONYMIZED ? "anonymized" : "unknown";
}

static size_t
obj_bytes(uint8_t mode)
{
	return mode == GRANT_MODE_ORIGINAL ? GRANT_OBJ_ORIGINAL_BYTES :
	    GRANT_OBJ_ANONYMIZED_BYTES;
}

/* prefix (NUL-padded to 16 bytes) || msg, malloc'd. */
static uint8_t *
prefixed(const char *prefix, const uint8_t *msg, size_t len)
{
	uint8_t *m = malloc(16 + len);

	if (m == NULL)
		return NULL;
	memset(m, 0, 16);
	memcpy(m, prefix, strlen(prefix));
	memcpy(m + 16, msg, len);
	return m;
}

static int
sign_prefixed(const char *prefix, const uint8_t *msg, size_t len,
    const uint8_t sk[64], uint8_t sig[64])
{
	uint8_t *m = prefixed(prefix, msg, len);

	if (m == NULL)
		return -1;
	crypto_sign_detached(sig, NULL, m, 16 + len, sk);
	free(m);
	return 0;
}

/* 0 if sig is pk's signature of prefix || msg; -1 otherwise (or no memory). */
static int
verify_prefixed(const char *prefix, const uint8_t *msg, size_t len,
    const uint8_t sig[64], const uint8_t pk[32])
{
	uint8_t *m = prefixed(prefix, msg, len);
	int r;

	if (m == NULL)
		return -1;
	r = crypto_sign_verify_detached(sig, m, 16 + len, pk);
	free(m);
	return r == 0 ? 0 : -1;
}

/* The rules every grant keeps, checked on both sides. */
static int
fields_ok(const struct grant *g, size_t plen)
{
	if (g->mode != GRANT_MODE_ORIGINAL && g->mode != GRANT_MODE_ANONYMIZED)
		return 0;
	if (plen < 1 || plen > GRANT_PURPOSE_MAX ||
	    !codec_utf8_printable((const uint8_t *)g->purpose, plen))
		return 0;
	if (g->n < 1 || g->n > GRANT_OBJECTS_MAX ||
	    (g->mode == GRANT_MODE_ANONYMIZED && g->n != 1))
		return 0;
	if (g->from_ms >= g->until_ms || g->created_ms >= g->expires_ms)
		return 0;
	for (unsigned i = 0; i < g->n; i++) {
		const struct grant_object *o = &g->obj[i];
		if (o->kind != (g->mode == GRANT_MODE_ORIGINAL ? SEG_KIND_SEGMENT :
		    SEG_KIND_DERIVATIVE))
			return 0;
		/* Strictly ascending: one encoding, no object twice. */
		if (i > 0 && o->seq <= g->obj[i - 1].seq)
			return 0;
		/* Each object overlaps the granted range. */
		if (o->start_ms >= g->until_ms ||
		    o->start_ms + (o->duration_ms ? o->duration_ms : 1) <= g->from_ms)
			return 0;
	}
	return 1;
}

int
grant_sign(const struct grant *g, const uint8_t owner_sk[64], uint8_t *out,
    size_t outmax, size_t *outlen)
{
	size_t plen, ob, pos, need;

	*outlen = 0;
	if (g == NULL || owner_sk == NULL || out == NULL || g->obj == NULL)
		return GRANT_EINVAL;
	plen = strnlen(g->purpose, GRANT_PURPOSE_MAX + 1);
	if (!fields_ok(g, plen))
		return GRANT_EINVAL;
	ob = obj_bytes(g->mode);
	need = GRANT_FIXED_BYTES + plen + g->n * ob + GRANT_SIG_BYTES;
	if (outmax < need)
		return GRANT_EINVAL;
	memcpy(out, GRANT_MAGIC, 4);
	out[4] = GRANT_VERSION;
	out[5] = g->mode;
	codec_put_be16(out + 6, (uint16_t)plen);
	memcpy(out + 8, g->grant_id, 16);
	seg_camera_id(g->camera_pk, out + 24);
	memcpy(out + 40, g->camera_pk, 32);
	crypto_sign_ed25519_sk_to_pk(out + 72, owner_sk);
	staff_principal_id(g->grantee_sign_pk, g->grantee_box_pk, out + 104);
	memcpy(out + 120, g->grantee_box_pk, 32);
	memcpy(out + 152, g->grantee_sign_pk, 32);
	codec_put_be64(out + 184, g->from_ms);
	codec_put_be64(out + 192, g->until_ms);
	codec_put_be64(out + 200, g->created_ms);
	codec_put_be64(out + 208, g->expires_ms);
	codec_put_be16(out + 216, (uint16_t)g->n);
	memcpy(out + 218, g->purpose, plen);
	pos = GRANT_FIXED_BYTES + plen;
	for (unsigned i = 0; i < g->n; i++) {
		out[pos] = g->obj[i].kind;
		codec_put_be64(out + pos + 1, g->obj[i].seq);
		codec_put_be64(out + pos + 9, g->obj[i].start_ms);
		codec_put_be32(out + pos + 17, g->obj[i].duration_ms);
		memcpy(out + pos + 21, g->obj[i].header_hash, 32);
		if (g->mode == GRANT_MODE_ORIGINAL)
			memcpy(out + pos + 53, g->obj[i].sealed_key, 80);
		pos += ob;
	}
	if (sign_prefixed(SIG_PREFIX, out, pos, owner_sk, out + pos) != 0)
		return GRANT_ENOMEM;
	*outlen = pos + GRANT_SIG_BYTES;
	return GRANT_OK;
}

int
grant_verify(const uint8_t *buf, size_t len, const uint8_t *owner_pk,
    struct grant *g)
{
	uint8_t id[16];
	size_t plen, ob, pos;
	int rc = GRANT_EMALFORMED;

	memset(g, 0, sizeof(*g));
	if (buf == NULL || len < GRANT_FIXED_BYTES + GRANT_SIG_BYTES ||
	    len > GRANT_MAX_BYTES || memcmp(buf, GRANT_MAGIC, 4) != 0 ||
	    buf[4] != GRANT_VERSION)
		return GRANT_EMALFORMED;
	g->mode = buf[5];
	if (g->mode != GRANT_MODE_ORIGINAL && g->mode != GRANT_MODE_ANONYMIZED)
		return GRANT_EMALFORMED;
	plen = codec_get_be16(buf + 6);
	g->n = codec_get_be16(buf + 216);
	ob = obj_bytes(g->mode);
	if (plen > GRANT_PURPOSE_MAX || g->n > GRANT_OBJECTS_MAX ||
	    len != GRANT_FIXED_BYTES + plen + g->n * ob + GRANT_SIG_BYTES)
		return GRANT_EMALFORMED;
	memcpy(g->grant_id, buf + 8, 16);
	memcpy(g->camera_id, buf + 24, 16);
	memcpy(g->camera_pk, buf + 40, 32);
	memcpy(g->owner_pk, buf + 72, 32);
	memcpy(g->grantee_id, buf + 104, 16);
	memcpy(g->grantee_box_pk, buf + 120, 32);
	memcpy(g->grantee_sign_pk, buf + 152, 32);
	g->from_ms = codec_get_be64(buf + 184);
	g->until_ms = codec_get_be64(buf + 192);
	g->created_ms = codec_get_be64(buf + 200);
	g->expires_ms = codec_get_be64(buf + 208);
	memcpy(g->purpose, buf + 218, plen);
	g->purpose[plen] = '\0';
	if (g->n > 0 && (g->obj = calloc(g->n, sizeof(*g->obj))) == NULL) {
		rc = GRANT_ENOMEM;
		goto err;
	}
	pos = GRANT_FIXED_BYTES + plen;
	for (unsigned i = 0; i < g->n; i++) {
		g->obj[i].kind = buf[pos];
		g->obj[i].seq = codec_get_be64(buf + pos + 1);
		g->obj[i].start_ms = codec_get_be64(buf + pos + 9);
		g->obj[i].duration_ms = codec_get_be32(buf + pos + 17);
		memcpy(g->obj[i].header_hash, buf + pos + 21, 32);
		if (g->mode == GRANT_MODE_ORIGINAL)
			memcpy(g->obj[i].sealed_key, buf + pos + 53, 80);
		pos += ob;
	}
	/* Structure first; an embedded NUL in the purpose is not canonical. */
	if (strlen(g->purpose) != plen || !fields_ok(g, plen))
		goto err;
	seg_camera_id(g->camera_pk, id);
	if (memcmp(id, g->camera_id, 16) != 0)	/* check-src: ok (public ids) */
		goto err;
	staff_principal_id(g->grantee_sign_pk, g->grantee_box_pk, id);
	if (memcmp(id, g->grantee_id, 16) != 0)	/* check-src: ok (public ids) */
		goto err;
	if (owner_pk != NULL && sodium_memcmp(owner_pk, g->owner_pk, 32) != 0) {
		rc = GRANT_EWRONGOWNER;
		goto err;
	}
	if (verify_prefixed(SIG_PREFIX, buf, pos, buf + pos, g->owner_pk) != 0) {
		rc = GRANT_EBADSIG;
		goto err;
	}
	return GRANT_OK;
err:
	grant_clear(g);
	return rc;
}

void
grant_clear(struct grant *g)
{
	if (g == NULL)
		return;
	free(g->obj);
	memset(g, 0, sizeof(*g));
}

const struct grant_object *
grant_find(const struct grant *g, uint8_t kind, uint64_t seq)
{
	size_t lo = 0, hi = g->n;

	/* Objects are ascending by seq within the grant's one kind. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->obj[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->n && g->obj[lo].seq == seq && g->obj[lo].kind == kind)
		return &g->obj[lo];
	return NULL;
}

/* ---- revocation: "SGRV" 1 0 0 0 | grant id | owner pk | revoked ms | sig ---- */

int
grant_revocation_sign(const struct grant_revocation *r, const uint8_t owner_sk[64],
    uint8_t out[GRANT_REVOCATION_BYTES])
{
	memset(out, 0, GRANT_REVOCATION_BYTES);
	memcpy(out, REV_MAGIC, 4);
	out[4] = GRANT_VERSION;
	memcpy(out + 8, r->grant_id, 16);
	crypto_sign_ed25519_sk_to_pk(out + 24, owner_sk);
	codec_put_be64(out + 56, r->revoked_ms);
	return sign_prefixed(REV_PREFIX, out, 64, owner_sk, out + 64) == 0 ?
	    GRANT_OK : GRANT_ENOMEM;
}

int
grant_revocation_verify(const uint8_t *buf, size_t len, const uint8_t *owner_pk,
    struct grant_revocation *r)
{
	memset(r, 0, sizeof(*r));
	if (len != GRANT_REVOCATION_BYTES || memcmp(buf, REV_MAGIC, 4) != 0 ||
	    buf[4] != GRANT_VERSION || buf[5] != 0 || buf[6] != 0 || buf[7] != 0)
		return GRANT_EMALFORMED;
	if (owner_pk != NULL && sodium_memcmp(owner_pk, buf + 24, 32) != 0)
		return GRANT_EWRONGOWNER;
	if (verify_prefixed(REV_PREFIX, buf, 64, buf + 64, buf + 24) != 0)
		return GRANT_EBADSIG;
	memcpy(r->grant_id, buf + 8, 16);
	memcpy(r->owner_pk, buf + 24, 32);
	r->revoked_ms = codec_get_be64(buf + 56);
	return GRANT_OK;
}

/* ---- access record ----------------------------------------------------------
 *	0  4 "SACC"   4 1 version 1   5 1 reserved 0   6 2 n
 *	8 16 access id   24 16 grant id   40 16 principal id   56 16 camera id
 *	72 8 time ms     80 n x (kind (1), seq (8)), strictly ascending
 */

static int
access_ok(const struct grant_access *a)
{
	if (a->n < 1 || a->n > GRANT_OBJECTS_MAX)
		return 0;
	for (unsigned i = 1; i < a->n; i++) {
		const struct grant_access_obj *p = &a->obj[i - 1], *o = &a->obj[i];
		if (o->kind < p->kind || (o->kind == p->kind && o->seq <= p->seq))
			return 0;
	}
	return 1;
}

int
grant_access_encode(const struct grant_access *a, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	size_t len;

	*outlen = 0;
	if (!access_ok(a))
		return GRANT_EINVAL;
	len = GRANT_ACCESS_FIXED + a->n * GRANT_ACCESS_OBJ_BYTES;
	if (outmax < len)
		return GRANT_EINVAL;
	memcpy(out, ACC_MAGIC, 4);
	out[4] = GRANT_VERSION;
	out[5] = 0;
	codec_put_be16(out + 6, (uint16_t)a->n);
	memcpy(out + 8, a->access_id, 16);
	memcpy(out + 24, a->grant_id, 16);
	memcpy(out + 40, a->principal_id, 16);
	memcpy(out + 56, a->camera_id, 16);
	codec_put_be64(out + 72, a->time_ms);
	for (unsigned i = 0; i < a->n; i++) {
		out[80 + i * 9] = a->obj[i].kind;
		codec_put_be64(out + 81 + i * 9, a->obj[i].seq);
	}
	*outlen = len;
	return GRANT_OK;
}

int
grant_access_parse(const uint8_t *buf, size_t len, struct grant_access *a)
{
	memset(a, 0, sizeof(*a));
	if (len < GRANT_ACCESS_FIXED || memcmp(buf, ACC_MAGIC, 4) != 0 ||
	    buf[4] != GRANT_VERSION || buf[5] != 0)
		return GRANT_EMALFORMED;
	a->n = codec_get_be16(buf + 6);
	if (a->n > GRANT_OBJECTS_MAX ||
	    len != GRANT_ACCESS_FIXED + a->n * GRANT_ACCESS_OBJ_BYTES)
		goto bad;
	memcpy(a->access_id, buf + 8, 16);
	memcpy(a->grant_id, buf + 24, 16);
	memcpy(a->principal_id, buf + 40, 16);
	memcpy(a->camera_id, buf + 56, 16);
	a->time_ms = codec_get_be64(buf + 72);
	for (unsigned i = 0; i < a->n; i++) {
		a->obj[i].kind = buf[80 + i * 9];
		a->obj[i].seq = codec_get_be64(buf + 81 + i * 9);
	}
	if (!access_ok(a))
		goto bad;
	return GRANT_OK;
bad:
	memset(a, 0, sizeof(*a));
	return GRANT_EMALFORMED;
}

void
grant_access_commitment(const uint8_t *buf, size_t len, uint8_t out[32])
{
	labelhash(out, 32, NULL, 0, "sealcam-logacc", buf, len);
}

void
grant_commitment(const uint8_t *buf, size_t len, uint8_t out[32])
{
	labelhash(out, 32, NULL, 0, "sealcam-loggrant", buf, len);
}
