/*
 * seg_open — the streaming opener (clients; the server in verify-only mode).
 *
 * Record boundaries are implied: every record but the last is exactly
 * SEG_RECORD_CBYTES, then comes the final record (17..SEG_RECORD_CBYTES
 * bytes) and the 64-byte trailer. A record can therefore be judged non-final
 * only when at least SEG_RECORD_CBYTES + SEG_TRAILER_BYTES + 1 bytes are
 * buffered; the rest waits for more input or for finish. Large writes are
 * decrypted in place of the caller's buffer, only the tail is copied.
 *
 * Verify-only (the server) decrypts nothing, so records need not be whole
 * in one buffer: every byte is hashed in place as it arrives except the
 * last 64 seen (the trailer, if the stream ends there), and record
 * boundaries follow from the byte count. Same verdicts, at the same byte,
 * as the record path; no copy of the body whatever the caller's chunk size.
 */
#include <sodium.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "seg_int.h"

#define LOOKAHEAD (SEG_RECORD_CBYTES + SEG_TRAILER_BYTES + 1)
#define TAG_MESSAGE crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
#define TAG_FINAL crypto_secretstream_xchacha20poly1305_TAG_FINAL

enum { MODE_KEYPAIR, MODE_KEY, MODE_VERIFY };
enum { ST_HEADER, ST_BODY, ST_DONE };

struct seg_opener {
	crypto_generichash_state body_hash;	/* 64-byte aligned: keep first */
	crypto_secretstream_xchacha20poly1305_state ss;
	int mode;
	uint8_t rpk[SEG_PK_BYTES], rsk[SEG_BOX_SK_BYTES];	/* MODE_KEYPAIR */
	uint8_t key[SEG_DATA_KEY_BYTES];			/* MODE_KEY */
	uint8_t camera_pk[SEG_PK_BYTES];
	uint8_t camera_id[SEG_CAMERA_ID_BYTES];
	uint8_t kind;
	int check_seq;
	uint64_t seq;
	seg_write_fn *out;	/* NULL: plaintext is dropped */
	void *cookie;
	uint8_t *direct;	/* seg_open_buf: plaintext goes here */
	size_t direct_len, direct_cap;
	int err;		/* first error, sticky */
	int state;
	struct seg_header hdr;
	uint8_t hbuf[SEG_HEADER_MAX];
	size_t nh;
	uint64_t nrecords;	/* non-final records done */
	uint64_t nbody;		/* verify-only: body bytes seen (records + trailer) */
	size_t npend;
	uint8_t pend[LOOKAHEAD];
	uint8_t ptbuf[SEG_RECORD_BYTES];
};

/* Wipe what is secret (keys, stream state, plaintext); the buffers of
 * ciphertext need not be, and skipping them keeps small opens cheap.
 * Verify-only never decrypts: its plaintext buffer was never touched, and
 * wiping it would only fault its pages in (64 KiB per upload, server). */
static void
opener_wipe_free(struct seg_opener *o)
{
	sodium_memzero(&o->ss, sizeof(o->ss));
	sodium_memzero(o->rsk, sizeof(o->rsk));
	sodium_memzero(o->key, sizeof(o->key));
	if (o->mode != MODE_VERIFY)
		sodium_memzero(o->ptbuf, sizeof(o->ptbuf));
	free(o);
}

static struct seg_opener *
opener_new(const struct seg_expect *e, int mode, seg_write_fn *out,
    void *cookie)
{
	struct seg_opener *o;
	void *mem;

	if (e == NULL || e->camera_pk == NULL ||
	    e->kind > SEG_KIND_DERIVATIVE) {
		seg_set_last_error(SEG_EINVAL);
		return NULL;
	}
	if (e->kind == SEG_KIND_LIVE) {
		seg_set_last_error(SEG_EUNSUPPORTED);
		return NULL;
	}
	if (sodium_init() < 0 ||
	    posix_memalign(&mem, 64, sizeof(struct seg_opener)) != 0) {
		seg_set_last_error(SEG_ENOMEM);
		return NULL;
	}
	o = mem;
	/* Everything up to the big buffers; those are written before read. */
	memset(o, 0, offsetof(struct seg_opener, pend));
	o->mode = mode;
	memcpy(o->camera_pk, e->camera_pk, SEG_PK_BYTES);
	seg_camera_id(o->camera_pk, o->camera_id);
	o->kind = e->kind;
	o->check_seq = e->check_seq;
	o->seq = e->seq;
	o->out = out;
	o->cookie = cookie;
	o->state = ST_HEADER;
	seg_set_last_error(SEG_OK);
	return o;
}

struct seg_opener *
seg_opener_new(const struct seg_expect *expect, const uint8_t *recipient_pk,
    const uint8_t *recipient_sk, seg_write_fn *plaintext_out, void *cookie)
{
	struct seg_opener *o;

	if ((recipient_pk == NULL) != (recipient_sk == NULL)) {
		seg_set_last_error(SEG_EINVAL);
		return NULL;
	}
	o = opener_new(expect, recipient_pk ? MODE_KEYPAIR : MODE_VERIFY,
	    plaintext_out, cookie);
	if (o != NULL && recipient_pk != NULL) {
		memcpy(o->rpk, recipient_pk, SEG_PK_BYTES);
		memcpy(o->rsk, recipient_sk, SEG_BOX_SK_BYTES);
	}
	return o;
}

struct seg_opener *
seg_opener_new_with_key(const struct seg_expect *expect,
    const uint8_t data_key[SEG_DATA_KEY_BYTES], seg_write_fn *plaintext_out,
    void *cookie)
{
	struct seg_opener *o;

	if (data_key == NULL) {
		seg_set_last_error(SEG_EINVAL);
		return NULL;
	}
	if ((o = opener_new(expect, MODE_KEY, plaintext_out, cookie)) != NULL)
		memcpy(o->key, data_key, SEG_DATA_KEY_BYTES);
	return o;
}

const struct seg_header *
seg_opener_header(const struct seg_opener *o)
{
	/* Also after a refusal of the header's contents (wrong camera, ...). */
	return o->hdr.len != 0 ? &o->hdr : NULL;
}

/* Pass authenticated plaintext on. */
static int
release(struct seg_opener *o, const uint8_t *pt, size_t len)
{
	if (o->direct != NULL) {
		o->direct_len += len;	/* decrypted in place already */
		return SEG_OK;
	}
	if (o->out == NULL || len == 0)
		return SEG_OK;
	return o->out(o->cookie, pt, len) == 0 ? SEG_OK : SEG_EWRITE;
}

/* Where the next record's plaintext is decrypted to. */
static uint8_t *
pt_dst(struct seg_opener *o, size_t len)
{
	if (o->direct == NULL)
		return o->ptbuf;
	if (len > o->direct_cap - o->direct_len)
		return NULL;
	return o->direct + o->direct_len;
}

/* Header complete: check what the reader asked for, then get the key. */
static int
start_body(struct seg_opener *o)
{
	const struct seg_header *h = &o->hdr;
	uint8_t key[SEG_DATA_KEY_BYTES];
	int rc;

	if (sodium_memcmp(h->camera_id, o->camera_id, SEG_CAMERA_ID_BYTES) != 0)
		return SEG_EWRONGCAMERA;
	if (o->kind != 0 && h->kind != o->kind)
		return SEG_EWRONGKIND;
	if (o->check_seq && h->seq != o->seq)
		return SEG_EWRONGSEQ;
	if (h->kind == SEG_KIND_LIVE)
		return SEG_EUNSUPPORTED;
	crypto_generichash_init(&o->body_hash, NULL, 0, SEG_HASH_BYTES);
	o->state = ST_BODY;
	if (o->mode == MODE_VERIFY)
		return SEG_OK;
	if (o->mode == MODE_KEYPAIR) {
		rc = seg_unwrap_key(h, o->rpk, o->rsk, key);
		sodium_memzero(o->rsk, sizeof(o->rsk));
		if (rc != SEG_OK)
			return rc;
	} else {
		memcpy(key, o->key, sizeof(key));
		sodium_memzero(o->key, sizeof(o->key));
	}
	rc = crypto_secretstream_xchacha20poly1305_init_pull(&o->ss,
	    h->ss_header, key) == 0 ? SEG_OK : SEG_EAUTH;
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* Feed header bytes; returns how many were used, or sets o->err. */
static size_t
header_write(struct seg_opener *o, const uint8_t *buf, size_t len)
{
	size_t used = 0;

	for (;;) {
		size_t need, take;
		int rc = seg_header_parse(o->hbuf, o->nh, &o->hdr);

		if (rc == SEG_OK) {
			o->err = start_body(o);
			return used;
		}
		if (rc != SEG_EMORE) {
			o->err = rc;
			return used;
		}
		if (used == len)
			return used;	/* wait for more */
		/* Ask for the fixed part first, then for the stanzas. */
		need = o->nh < SEG_HEADER_FIXED ? SEG_HEADER_FIXED :
		    SEG_HEADER_FIXED + (size_t)o->hbuf[SEG_OFF_NREC] * SEG_STANZA_BYTES;
		take = need - o->nh;
		if (take > len - used)
			take = len - used;
		memcpy(o->hbuf + o->nh, buf + used, take);
		o->nh += take;
		used += take;
	}
}

/* One record known not to be the last. */
static int
body_record(struct seg_opener *o, const uint8_t *ct)
{
	unsigned long long mlen;
	unsigned char tag;
	uint8_t *dst;

	/* The final record will follow: at most SEG_MAX_RECORDS in all. */
	if (o->nrecords + 1 >= SEG_MAX_RECORDS)
		return SEG_ETOOBIG;
	crypto_generichash_update(&o->body_hash, ct, SEG_RECORD_CBYTES);
	o->nrecords++;
	if (o->mode == MODE_VERIFY)
		return SEG_OK;
	if ((dst = pt_dst(o, SEG_RECORD_BYTES)) == NULL)
		return SEG_EINVAL;
	if (crypto_secretstream_xchacha20poly1305_pull(&o->ss, dst, &mlen, &tag,
	    ct, SEG_RECORD_CBYTES, o->hdr.hash, SEG_HASH_BYTES) != 0)
		return SEG_EAUTH;
	if (tag == TAG_FINAL)
		return SEG_EAFTERFINAL;
	if (tag != TAG_MESSAGE)
		return SEG_ENONCANON;
	return release(o, dst, (size_t)mlen);
}

/* Verify-only body bytes: hash all but the last SEG_TRAILER_BYTES seen,
 * which wait in pend (at most SEG_TRAILER_BYTES of it is used). */
static int
verify_write(struct seg_opener *o, const uint8_t *buf, size_t len)
{
	/* The record path's limit, at the same byte: record SEG_MAX_RECORDS - 1
	 * is known not to be the last once LOOKAHEAD bytes start with it. */
	if (o->nbody + len >= (uint64_t)(SEG_MAX_RECORDS - 1) * SEG_RECORD_CBYTES + LOOKAHEAD)
		return SEG_ETOOBIG;
	o->nbody += len;
	if (len >= SEG_TRAILER_BYTES) {
		crypto_generichash_update(&o->body_hash, o->pend, o->npend);
		crypto_generichash_update(&o->body_hash, buf, len - SEG_TRAILER_BYTES);
		memcpy(o->pend, buf + len - SEG_TRAILER_BYTES, SEG_TRAILER_BYTES);
		o->npend = SEG_TRAILER_BYTES;
		return SEG_OK;
	}
	if (o->npend + len > SEG_TRAILER_BYTES) {
		size_t out = o->npend + len - SEG_TRAILER_BYTES;	/* < npend */

		crypto_generichash_update(&o->body_hash, o->pend, out);
		memmove(o->pend, o->pend + out, o->npend - out);
		o->npend -= out;
	}
	memcpy(o->pend + o->npend, buf, len);
	o->npend += len;
	return SEG_OK;
}

int
seg_opener_write(struct seg_opener *o, const uint8_t *buf, size_t len)
{
	if (o->err != SEG_OK)
		return o->err;
	if (o->state == ST_DONE)
		return SEG_ESTATE;
	if (o->state == ST_HEADER) {
		size_t used = header_write(o, buf, len);
		if (o->err != SEG_OK)
			return o->err;
		buf += used;
		len -= used;
	}
	if (o->mode == MODE_VERIFY && o->state == ST_BODY) {
		o->err = verify_write(o, buf, len);
		return o->err;
	}
	while (len > 0) {
		size_t take;

		/* Whole records straight from the caller's buffer. */
		if (o->npend == 0 && len >= LOOKAHEAD) {
			if ((o->err = body_record(o, buf)) != SEG_OK)
				return o->err;
			buf += SEG_RECORD_CBYTES;
			len -= SEG_RECORD_CBYTES;
			continue;
		}
		take = LOOKAHEAD - o->npend;
		if (take > len)
			take = len;
		memcpy(o->pend + o->npend, buf, take);
		o->npend += take;
		buf += take;
		len -= take;
		if (o->npend == LOOKAHEAD) {
			if ((o->err = body_record(o, o->pend)) != SEG_OK)
				return o->err;
			o->npend -= SEG_RECORD_CBYTES;
			memmove(o->pend, o->pend + SEG_RECORD_CBYTES, o->npend);
		}
	}
	return SEG_OK;
}

/*
 * The last record failed: was the trailer simply cut off? If all that is
 * left authenticates as the next record, the stream stopped at a record
 * boundary — report truncation rather than tampering. Nothing is released.
 */
static int
classify_final_failure(struct seg_opener *o)
{
	crypto_secretstream_xchacha20poly1305_state ss = o->ss;
	unsigned long long mlen;
	unsigned char tag;
	int rc = SEG_EAUTH;

	if (o->npend <= SEG_RECORD_CBYTES &&
	    crypto_secretstream_xchacha20poly1305_pull(&ss, o->ptbuf, &mlen, &tag,
	    o->pend, o->npend, o->hdr.hash, SEG_HASH_BYTES) == 0)
		rc = SEG_ETRUNCATED;
	sodium_memzero(&ss, sizeof(ss));
	sodium_memzero(o->ptbuf, sizeof(o->ptbuf));
	return rc;
}

static int
finish(struct seg_opener *o)
{
	uint8_t body_hash[SEG_HASH_BYTES], msg[SEG_SIGNED_BYTES];
	unsigned long long mlen = 0;
	unsigned char tag = 0;
	size_t flen;
	uint8_t *dst = NULL;

	if (o->state == ST_HEADER)
		return SEG_ETRUNCATED;
	if (o->mode == MODE_VERIFY) {
		/* All but the trailer is hashed; the final record is what
		 * follows the last whole record that had LOOKAHEAD bytes. */
		uint64_t h = o->nbody - SEG_TRAILER_BYTES;

		if (o->nbody < SEG_RECORD_ABYTES + SEG_TRAILER_BYTES ||
		    h - (h - 1) / SEG_RECORD_CBYTES * SEG_RECORD_CBYTES < SEG_RECORD_ABYTES)
			return SEG_ETRUNCATED;
		flen = 0;		/* pend holds the trailer only */
	} else {
		if (o->npend < SEG_RECORD_ABYTES + SEG_TRAILER_BYTES)
			return SEG_ETRUNCATED;
		/* The final record carries 0..65536 bytes (this library's sealer
		 * writes an empty one only for empty plaintext; others may not). */
		flen = o->npend - SEG_TRAILER_BYTES;
		crypto_generichash_update(&o->body_hash, o->pend, flen);
	}
	crypto_generichash_final(&o->body_hash, body_hash, sizeof(body_hash));
	seg_signed_message(msg, o->hdr.hash, body_hash);

	if (o->mode != MODE_VERIFY) {
		if ((dst = pt_dst(o, flen - SEG_RECORD_ABYTES)) == NULL)
			return SEG_EINVAL;
		if (crypto_secretstream_xchacha20poly1305_pull(&o->ss, dst, &mlen,
		    &tag, o->pend, flen, o->hdr.hash, SEG_HASH_BYTES) != 0)
			return classify_final_failure(o);
		if (tag != TAG_FINAL) {
			sodium_memzero(dst, (size_t)mlen);
			return tag == TAG_MESSAGE ? SEG_ENOFINAL : SEG_ENONCANON;
		}
	}
	if (crypto_sign_verify_detached(o->pend + flen, msg, sizeof(msg),
	    o->camera_pk) != 0) {
		if (dst != NULL)
			sodium_memzero(dst, (size_t)mlen);
		return SEG_EBADSIG;
	}
	/* Genuine: only now does the last record leave. */
	return dst != NULL ? release(o, dst, (size_t)mlen) : SEG_OK;
}

int
seg_opener_finish(struct seg_opener *o)
{
	if (o->err != SEG_OK)
		return o->err;
	if (o->state == ST_DONE)
		return SEG_ESTATE;
	o->err = finish(o);
	o->state = ST_DONE;
	sodium_memzero(&o->ss, sizeof(o->ss));
	if (o->mode != MODE_VERIFY)
		sodium_memzero(o->ptbuf, sizeof(o->ptbuf));
	return o->err;
}

void
seg_opener_free(struct seg_opener *o)
{
	if (o != NULL)
		opener_wipe_free(o);
}

int
seg_open_buf(const struct seg_expect *expect, const uint8_t *recipient_pk,
    const uint8_t *recipient_sk, const uint8_t *in, size_t inlen,
    uint8_t **pt, size_t *ptlen, struct seg_header *h)
{
	struct seg_opener *o;
	uint8_t *buf = NULL;
	int rc;

	if (pt != NULL)
		*pt = NULL;
	if (ptlen != NULL)
		*ptlen = 0;
	if (in == NULL || (recipient_pk != NULL && (pt == NULL || ptlen == NULL)))
		return SEG_EINVAL;
	if ((o = seg_opener_new(expect, recipient_pk, recipient_sk, NULL,
	    NULL)) == NULL)
		return seg_last_error();
	if (recipient_pk != NULL) {
		/* Plaintext is shorter than the input: decrypt straight into it. */
		if ((buf = malloc(inlen > 0 ? inlen : 1)) == NULL) {
			seg_opener_free(o);
			return SEG_ENOMEM;
		}
		o->direct = buf;
		o->direct_cap = inlen;
	}
	if ((rc = seg_opener_write(o, in, inlen)) == SEG_OK)
		rc = seg_opener_finish(o);
	if (rc == SEG_OK && h != NULL)
		*h = o->hdr;
	if (rc == SEG_OK && buf != NULL) {
		*pt = buf;
		*ptlen = o->direct_len;
	} else if (buf != NULL) {
		/* Records released before the failure; the rest was never written. */
		sodium_memzero(buf, o->direct_len);
		free(buf);
	}
	seg_opener_free(o);
	return rc;
}
