/*
 * seg — container header, ids, data-key stanzas (docs/FORMAT.md).
 * Sealing is in seg_seal.c, opening in seg_open.c.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "labelhash.h"
#include "seg_int.h"

static _Thread_local int last_error;

void
seg_set_last_error(int err)
{
	last_error = err;
}

int
seg_last_error(void)
{
	return last_error;
}

const char *
seg_strerror(int err)
{
	switch (err) {
	case SEG_OK: return "ok";
	case SEG_EMORE: return "header incomplete: need more bytes";
	case SEG_ETRUNCATED: return "container truncated";
	case SEG_EMAGIC: return "not a sealed container (bad magic)";
	case SEG_EVERSION: return "unsupported container version";
	case SEG_ENONCANON: return "non-canonical container";
	case SEG_ETOOBIG: return "container exceeds the size limit";
	case SEG_ENOTRECIPIENT: return "this key is not a recipient";
	case SEG_EKEY: return "sealed data key does not open";
	case SEG_EAUTH: return "record failed to authenticate";
	case SEG_ENOFINAL: return "last record is not final";
	case SEG_EAFTERFINAL: return "data after the final record";
	case SEG_EBADSIG: return "camera signature does not verify";
	case SEG_EWRONGCAMERA: return "container is from another camera";
	case SEG_EWRONGSEQ: return "container has another sequence number";
	case SEG_EWRONGKIND: return "container is of another kind";
	case SEG_EINVAL: return "invalid argument";
	case SEG_ENOMEM: return "out of memory";
	case SEG_EWRITE: return "output callback failed";
	case SEG_EUNSUPPORTED: return "unsupported container kind";
	case SEG_ESTATE: return "sealer/opener used after error or finish";
	case SEG_EDUPLICATE: return "duplicate recipient";
	}
	return "unknown error";
}

void
seg_camera_id(const uint8_t camera_pk[SEG_PK_BYTES],
    uint8_t id[SEG_CAMERA_ID_BYTES])
{
	labelhash(id, SEG_CAMERA_ID_BYTES, NULL, 0, "sealcam-camid", camera_pk,
	    SEG_PK_BYTES);
}

void
seg_key_id(const uint8_t box_pk[SEG_PK_BYTES], uint8_t id[SEG_KEYID_BYTES])
{
	labelhash(id, SEG_KEYID_BYTES, NULL, 0, "sealcam-keyid", box_pk,
	    SEG_PK_BYTES);
}

uint64_t
seg_sealed_size(unsigned nrecipients, uint64_t ptlen)
{
	uint64_t records = ptlen == 0 ? 1 :
	    (ptlen + SEG_RECORD_BYTES - 1) / SEG_RECORD_BYTES;

	return SEG_HEADER_FIXED + (uint64_t)nrecipients * SEG_STANZA_BYTES +
	    ptlen + records * SEG_RECORD_ABYTES + SEG_TRAILER_BYTES;
}

void
seg_signed_message(uint8_t msg[SEG_SIGNED_BYTES],
    const uint8_t header_hash[SEG_HASH_BYTES],
    const uint8_t body_hash[SEG_HASH_BYTES])
{
	memset(msg, 0, SEG_SIG_PREFIX_BYTES);
	memcpy(msg, SEG_SIG_PREFIX, sizeof(SEG_SIG_PREFIX) - 1);
	memcpy(msg + SEG_SIG_PREFIX_BYTES, header_hash, SEG_HASH_BYTES);
	memcpy(msg + SEG_SIG_PREFIX_BYTES + SEG_HASH_BYTES, body_hash,
	    SEG_HASH_BYTES);
}

static int
kind_known(unsigned kind)
{
	return kind >= SEG_KIND_SEGMENT && kind <= SEG_KIND_DERIVATIVE;
}

int
seg_header_parse(const uint8_t *buf, size_t len, struct seg_header *h)
{
	size_t need;
	unsigned n;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		return SEG_EMORE;
	/* Judge whatever prefix we have, so garbage fails early. */
	if (len >= SEG_MAGIC_BYTES ? memcmp(buf, SEG_MAGIC, SEG_MAGIC_BYTES) != 0 :
	    memcmp(buf, SEG_MAGIC, len) != 0)	/* check-src: ok (public magic) */
		return SEG_EMAGIC;
	if (len <= SEG_OFF_VERSION)
		return SEG_EMORE;
	if (buf[SEG_OFF_VERSION] != SEG_VERSION)
		return SEG_EVERSION;
	if (len < SEG_HEADER_FIXED)
		return SEG_EMORE;
	if (!kind_known(buf[SEG_OFF_KIND]) ||
	    (buf[SEG_OFF_FLAGS] & ~SEG_FLAGS_KNOWN) != 0)
		return SEG_ENONCANON;
	n = buf[SEG_OFF_NREC];
	if (n < 1 || n > SEG_MAX_RECIPIENTS)
		return SEG_ENONCANON;
	need = SEG_HEADER_FIXED + (size_t)n * SEG_STANZA_BYTES;
	if (len < need)
		return SEG_EMORE;

	h->version = buf[SEG_OFF_VERSION];
	h->kind = buf[SEG_OFF_KIND];
	h->flags = buf[SEG_OFF_FLAGS];
	h->nrecipients = n;
	memcpy(h->camera_id, buf + SEG_OFF_CAMERA, SEG_CAMERA_ID_BYTES);
	h->seq = codec_get_be64(buf + SEG_OFF_SEQ);
	h->start_ms = codec_get_be64(buf + SEG_OFF_START);
	h->duration_ms = codec_get_be32(buf + SEG_OFF_DURATION);
	h->epoch = codec_get_be32(buf + SEG_OFF_EPOCH);
	memcpy(h->ss_header, buf + SEG_OFF_SSHEADER, SEG_SS_HEADER_BYTES);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *st = buf + SEG_OFF_STANZAS + (size_t)i * SEG_STANZA_BYTES;

		memcpy(h->key_ids[i], st, SEG_KEYID_BYTES);
		memcpy(h->sealed_keys[i], st + SEG_KEYID_BYTES,
		    SEG_SEALED_KEY_BYTES);
		/* Strictly ascending: one order, no duplicate key ids. */
		if (i > 0 && memcmp(h->key_ids[i - 1], h->key_ids[i],	/* check-src: ok (public ids) */
		    SEG_KEYID_BYTES) >= 0) {
			memset(h, 0, sizeof(*h));
			return SEG_ENONCANON;
		}
	}
	h->len = need;
	crypto_generichash(h->hash, SEG_HASH_BYTES, buf, need, NULL, 0);
	return SEG_OK;
}

/* Stanza order for sealing: by key id. */
struct stanza_src {
	uint8_t key_id[SEG_KEYID_BYTES];
	const uint8_t *pk;
};

static int
cmp_stanza(const void *a, const void *b)
{
	return memcmp(((const struct stanza_src *)a)->key_id,	/* check-src: ok (public ids) */
	    ((const struct stanza_src *)b)->key_id, SEG_KEYID_BYTES);
}

int
seg_header_encode(const struct seg_seal_params *p,
    const uint8_t camera_id[SEG_CAMERA_ID_BYTES],
    const uint8_t data_key[SEG_DATA_KEY_BYTES],
    const uint8_t ss_header[SEG_SS_HEADER_BYTES], uint8_t *out, size_t *outlen)
{
	struct stanza_src src[SEG_MAX_RECIPIENTS];
	unsigned n = p->nrecipients;

	if (p->recipients == NULL || n < 1 || n > SEG_MAX_RECIPIENTS ||
	    !kind_known(p->kind) || (p->flags & ~SEG_FLAGS_KNOWN) != 0)
		return SEG_EINVAL;
	for (unsigned i = 0; i < n; i++) {
		seg_key_id(p->recipients[i], src[i].key_id);
		src[i].pk = p->recipients[i];
	}
	qsort(src, n, sizeof(src[0]), cmp_stanza);
	for (unsigned i = 1; i < n; i++)
		if (cmp_stanza(&src[i - 1], &src[i]) == 0)
			return SEG_EDUPLICATE;

	memcpy(out + SEG_OFF_MAGIC, SEG_MAGIC, SEG_MAGIC_BYTES);
	out[SEG_OFF_VERSION] = SEG_VERSION;
	out[SEG_OFF_KIND] = p->kind;
	out[SEG_OFF_FLAGS] = p->flags;
	out[SEG_OFF_NREC] = (uint8_t)n;
	memcpy(out + SEG_OFF_CAMERA, camera_id, SEG_CAMERA_ID_BYTES);
	codec_put_be64(out + SEG_OFF_SEQ, p->seq);
	codec_put_be64(out + SEG_OFF_START, p->start_ms);
	codec_put_be32(out + SEG_OFF_DURATION, p->duration_ms);
	codec_put_be32(out + SEG_OFF_EPOCH, p->epoch);
	memcpy(out + SEG_OFF_SSHEADER, ss_header, SEG_SS_HEADER_BYTES);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *st = out + SEG_OFF_STANZAS + (size_t)i * SEG_STANZA_BYTES;

		memcpy(st, src[i].key_id, SEG_KEYID_BYTES);
		/* Fails only for a public key that is not a curve point. */
		if (crypto_box_seal(st + SEG_KEYID_BYTES, data_key,
		    SEG_DATA_KEY_BYTES, src[i].pk) != 0)
			return SEG_EINVAL;
	}
	*outlen = SEG_HEADER_FIXED + (size_t)n * SEG_STANZA_BYTES;
	return SEG_OK;
}

int
seg_unseal_key(const uint8_t sealed[SEG_SEALED_KEY_BYTES],
    const uint8_t pk[SEG_PK_BYTES], const uint8_t sk[SEG_BOX_SK_BYTES],
    uint8_t key_out[SEG_DATA_KEY_BYTES])
{
	if (crypto_box_seal_open(key_out, sealed, SEG_SEALED_KEY_BYTES, pk,
	    sk) != 0) {
		sodium_memzero(key_out, SEG_DATA_KEY_BYTES);
		return SEG_EKEY;
	}
	return SEG_OK;
}

int
seg_unwrap_key(const struct seg_header *h,
    const uint8_t recipient_pk[SEG_PK_BYTES],
    const uint8_t recipient_sk[SEG_BOX_SK_BYTES],
    uint8_t key_out[SEG_DATA_KEY_BYTES])
{
	uint8_t kid[SEG_KEYID_BYTES];

	sodium_memzero(key_out, SEG_DATA_KEY_BYTES);
	seg_key_id(recipient_pk, kid);
	for (unsigned i = 0; i < h->nrecipients && i < SEG_MAX_RECIPIENTS; i++)
		if (memcmp(h->key_ids[i], kid, SEG_KEYID_BYTES) == 0)	/* check-src: ok (public ids) */
			return seg_unseal_key(h->sealed_keys[i], recipient_pk,
			    recipient_sk, key_out);
	return SEG_ENOTRECIPIENT;
}

int
seg_rewrap(const struct seg_header *h,
    const uint8_t recipient_pk[SEG_PK_BYTES],
    const uint8_t recipient_sk[SEG_BOX_SK_BYTES],
    const uint8_t grantee_pk[SEG_PK_BYTES],
    uint8_t sealed_out[SEG_SEALED_KEY_BYTES])
{
	uint8_t key[SEG_DATA_KEY_BYTES];
	int rc;

	memset(sealed_out, 0, SEG_SEALED_KEY_BYTES);
	if ((rc = seg_unwrap_key(h, recipient_pk, recipient_sk, key)) != SEG_OK)
		return rc;
	rc = crypto_box_seal(sealed_out, key, sizeof(key), grantee_pk) == 0 ?
	    SEG_OK : SEG_EINVAL;
	sodium_memzero(key, sizeof(key));
	return rc;
}
