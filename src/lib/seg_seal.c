/*
 * seg_seal — the streaming sealer (the agent side of docs/FORMAT.md).
 *
 * Plaintext is cut into 64 KiB records. A full record is pushed only once
 * more input arrives, because the last record (0..64 KiB) must carry
 * TAG_FINAL and we cannot know a record is last until finish. Ciphertext is
 * hashed for the signature as it is produced, from the same buffer, while it
 * is still in cache; seg_seal_buf() encrypts straight into its output.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "seg_int.h"

struct seg_sealer {
	crypto_generichash_state body_hash;	/* 64-byte aligned: keep first */
	crypto_secretstream_xchacha20poly1305_state ss;
	uint8_t camera_sk[SEG_SIGN_SK_BYTES];
	uint8_t header_hash[SEG_HASH_BYTES];
	seg_write_fn *out;
	void *cookie;
	uint8_t *direct;	/* seg_seal_buf: write here instead of out() */
	size_t direct_pos, direct_cap;
	uint64_t total;		/* plaintext bytes accepted */
	size_t npt;		/* plaintext bytes waiting in ptbuf */
	int err;		/* first error, sticky */
	int finished;
	uint8_t ptbuf[SEG_RECORD_BYTES];
	uint8_t ctbuf[SEG_RECORD_CBYTES];
};

/* Hand header/trailer bytes to the output. */
static int
put(struct seg_sealer *s, const uint8_t *buf, size_t len)
{
	if (s->direct != NULL) {
		if (len > s->direct_cap - s->direct_pos)
			return SEG_EINVAL;	/* size computed wrongly: a bug */
		memcpy(s->direct + s->direct_pos, buf, len);
		s->direct_pos += len;
		return SEG_OK;
	}
	return s->out(s->cookie, buf, len) == 0 ? SEG_OK : SEG_EWRITE;
}

/* Encrypt one record, hash its ciphertext, pass it on. */
static int
seal_record(struct seg_sealer *s, const uint8_t *pt, size_t ptlen, uint8_t tag)
{
	size_t clen = ptlen + SEG_RECORD_ABYTES;
	uint8_t *dst = s->ctbuf;

	if (s->direct != NULL) {
		if (clen > s->direct_cap - s->direct_pos)
			return SEG_EINVAL;
		dst = s->direct + s->direct_pos;
	}
	crypto_secretstream_xchacha20poly1305_push(&s->ss, dst, NULL, pt, ptlen,
	    s->header_hash, sizeof(s->header_hash), tag);
	crypto_generichash_update(&s->body_hash, dst, clen);
	if (s->direct != NULL) {
		s->direct_pos += clen;
		return SEG_OK;
	}
	return s->out(s->cookie, dst, clen) == 0 ? SEG_OK : SEG_EWRITE;
}

/* Wipe the secrets (stream state, camera key, plaintext); ctbuf holds only
 * ciphertext. */
static void
sealer_wipe_free(struct seg_sealer *s)
{
	sodium_memzero(&s->ss, sizeof(s->ss));
	sodium_memzero(s->camera_sk, sizeof(s->camera_sk));
	sodium_memzero(s->ptbuf, sizeof(s->ptbuf));
	free(s);
}

static struct seg_sealer *
sealer_new(const struct seg_seal_params *p, const uint8_t *camera_sk,
    seg_write_fn *out, void *cookie, uint8_t *direct, size_t direct_cap,
    int *err)
{
	struct seg_sealer *s = NULL;
	uint8_t key[SEG_DATA_KEY_BYTES];
	uint8_t ssh[SEG_SS_HEADER_BYTES];
	uint8_t camera_pk[SEG_PK_BYTES], camera_id[SEG_CAMERA_ID_BYTES];
	uint8_t hdr[SEG_HEADER_MAX];
	size_t hlen = 0;
	void *mem;
	int rc;

	if (p == NULL || camera_sk == NULL || (out == NULL && direct == NULL)) {
		*err = SEG_EINVAL;
		return NULL;
	}
	if (p->kind == SEG_KIND_LIVE) {
		*err = SEG_EUNSUPPORTED;
		return NULL;
	}
	if (sodium_init() < 0 ||
	    posix_memalign(&mem, 64, sizeof(struct seg_sealer)) != 0) {
		*err = SEG_ENOMEM;
		return NULL;
	}
	s = mem;
	memset(s, 0, offsetof(struct seg_sealer, ptbuf));
	s->out = out;
	s->cookie = cookie;
	s->direct = direct;
	s->direct_cap = direct_cap;
	memcpy(s->camera_sk, camera_sk, SEG_SIGN_SK_BYTES);

	/* Fresh data key per container; it lives only until sealed. */
	crypto_secretstream_xchacha20poly1305_keygen(key);
	crypto_secretstream_xchacha20poly1305_init_push(&s->ss, ssh, key);
	crypto_sign_ed25519_sk_to_pk(camera_pk, camera_sk);
	seg_camera_id(camera_pk, camera_id);
	rc = seg_header_encode(p, camera_id, key, ssh, hdr, &hlen);
	sodium_memzero(key, sizeof(key));
	if (rc != SEG_OK)
		goto fail;
	crypto_generichash(s->header_hash, sizeof(s->header_hash), hdr, hlen,
	    NULL, 0);
	crypto_generichash_init(&s->body_hash, NULL, 0, SEG_HASH_BYTES);
	if ((rc = put(s, hdr, hlen)) != SEG_OK)
		goto fail;
	return s;
fail:
	sealer_wipe_free(s);
	*err = rc;
	return NULL;
}

struct seg_sealer *
seg_sealer_new(const struct seg_seal_params *p,
    const uint8_t camera_sk[SEG_SIGN_SK_BYTES], seg_write_fn *out,
    void *cookie)
{
	int err = SEG_OK;
	struct seg_sealer *s = sealer_new(p, camera_sk, out, cookie, NULL, 0,
	    &err);

	seg_set_last_error(err);
	return s;
}

int
seg_sealer_write(struct seg_sealer *s, const uint8_t *buf, size_t len)
{
	if (s->err != SEG_OK)
		return s->err;
	if (s->finished)
		return SEG_ESTATE;
	if (len > SEG_MAX_PLAINTEXT - s->total)
		return s->err = SEG_ETOOBIG;
	s->total += len;
	while (len > 0) {
		size_t take;

		/* A full record with more input behind it is not the last. */
		if (s->npt == SEG_RECORD_BYTES) {
			if ((s->err = seal_record(s, s->ptbuf, SEG_RECORD_BYTES,
			    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)) != SEG_OK)
				return s->err;
			s->npt = 0;
		}
		/* Straight from the caller's buffer: no copy. */
		if (s->npt == 0 && len > SEG_RECORD_BYTES) {
			if ((s->err = seal_record(s, buf, SEG_RECORD_BYTES,
			    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)) != SEG_OK)
				return s->err;
			buf += SEG_RECORD_BYTES;
			len -= SEG_RECORD_BYTES;
			continue;
		}
		take = SEG_RECORD_BYTES - s->npt;
		if (take > len)
			take = len;
		memcpy(s->ptbuf + s->npt, buf, take);
		s->npt += take;
		buf += take;
		len -= take;
	}
	return SEG_OK;
}

int
seg_sealer_finish(struct seg_sealer *s)
{
	uint8_t body_hash[SEG_HASH_BYTES], msg[SEG_SIGNED_BYTES];
	uint8_t sig[SEG_TRAILER_BYTES];

	if (s->err != SEG_OK)
		return s->err;
	if (s->finished)
		return SEG_ESTATE;
	s->finished = 1;
	if ((s->err = seal_record(s, s->ptbuf, s->npt,
	    crypto_secretstream_xchacha20poly1305_TAG_FINAL)) != SEG_OK)
		goto out;
	crypto_generichash_final(&s->body_hash, body_hash, sizeof(body_hash));
	seg_signed_message(msg, s->header_hash, body_hash);
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), s->camera_sk);
	s->err = put(s, sig, sizeof(sig));
out:
	/* Nothing secret is needed after the final record. */
	sodium_memzero(&s->ss, sizeof(s->ss));
	sodium_memzero(s->camera_sk, sizeof(s->camera_sk));
	sodium_memzero(s->ptbuf, s->npt);
	s->npt = 0;
	return s->err;
}

void
seg_sealer_free(struct seg_sealer *s)
{
	if (s != NULL)
		sealer_wipe_free(s);
}

int
seg_seal_buf(const struct seg_seal_params *p,
    const uint8_t camera_sk[SEG_SIGN_SK_BYTES], const uint8_t *pt, size_t ptlen,
    uint8_t **out, size_t *outlen)
{
	struct seg_sealer *s;
	uint8_t *buf;
	size_t size;
	int rc = SEG_OK;

	*out = NULL;
	*outlen = 0;
	if (p == NULL || (pt == NULL && ptlen > 0) ||
	    p->nrecipients > SEG_MAX_RECIPIENTS)
		return SEG_EINVAL;
	if (ptlen > SEG_MAX_PLAINTEXT)
		return SEG_ETOOBIG;
	size = (size_t)seg_sealed_size(p->nrecipients, ptlen);
	if ((buf = malloc(size)) == NULL)
		return SEG_ENOMEM;
	if ((s = sealer_new(p, camera_sk, NULL, NULL, buf, size, &rc)) == NULL)
		goto fail;
	if ((rc = seg_sealer_write(s, pt, ptlen)) == SEG_OK)
		rc = seg_sealer_finish(s);
	if (rc == SEG_OK && s->direct_pos != size)
		rc = SEG_EINVAL;
	seg_sealer_free(s);
	if (rc != SEG_OK)
		goto fail;
	*out = buf;
	*outlen = size;
	return SEG_OK;
fail:
	free(buf);
	return rc;
}
