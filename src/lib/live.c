/*
 * live — live-view sealing and reading (live.h, docs/FORMAT.md "Live
 * stream"). Built from libsodium primitives only: crypto_box_seal for the
 * stanzas (the container header code), XChaCha20-Poly1305 IETF AEAD per
 * record, Ed25519 signatures, BLAKE2b hashes.
 */
#include "live.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "seg_int.h"

#define LIVE_SIG_PREFIX_BYTES 16
#define LIVE_REC_SIGNED_BYTES (LIVE_SIG_PREFIX_BYTES + SEG_HASH_BYTES + \
	LIVE_REC_HDR_BYTES + SEG_HASH_BYTES)	/* 104 */
#define LIVE_AD_BYTES (SEG_HASH_BYTES + LIVE_REC_HDR_BYTES)	/* 56 */

const char *
live_strerror(int err)
{
	switch (err) {
	case LIVE_OK: return "ok";
	case LIVE_ETRUNCATED: return "live stream ended without its end record";
	case LIVE_EMAGIC: return "not a sealed header";
	case LIVE_EVERSION: return "unknown container version";
	case LIVE_ENONCANON: return "malformed live header or record";
	case LIVE_ETOOBIG: return "live record too large";
	case LIVE_ENOTRECIPIENT: return "this device's key is not a recipient";
	case LIVE_EKEY: return "the live key does not open";
	case LIVE_EAUTH: return "a live record does not authenticate";
	case LIVE_EAFTEREND: return "data after the end record";
	case LIVE_EBADSIG: return "camera signature does not verify";
	case LIVE_EWRONGCAMERA: return "stream is from another camera";
	case LIVE_EWRONGSESSION: return "stream is of another live session";
	case LIVE_EWRONGKIND: return "not a live stream";
	case LIVE_EINVAL: return "invalid argument";
	case LIVE_ENOMEM: return "out of memory";
	case LIVE_ECALLBACK: return "stopped by the receiver";
	case LIVE_ESTATE: return "used after an error or out of order";
	case LIVE_EORDER: return "live records reordered, replayed or dropped";
	}
	return "unknown error";
}

uint64_t
live_session_seq(const uint8_t session_id[16])
{
	return codec_get_be64(session_id);
}

static void
prefix16(uint8_t out[LIVE_SIG_PREFIX_BYTES], const char *label)
{
	memset(out, 0, LIVE_SIG_PREFIX_BYTES);
	memcpy(out, label, strlen(label) < LIVE_SIG_PREFIX_BYTES ?
	    strlen(label) : LIVE_SIG_PREFIX_BYTES);
}

/* "sealcam-live-v1" NUL || header hash: what the camera signs at start. */
static void
head_signed(uint8_t msg[LIVE_SIG_PREFIX_BYTES + SEG_HASH_BYTES],
    const uint8_t hh[SEG_HASH_BYTES])
{
	prefix16(msg, LIVE_HDR_SIG_PREFIX);
	memcpy(msg + LIVE_SIG_PREFIX_BYTES, hh, SEG_HASH_BYTES);
}

/* "sealcam-live-rec" || header hash || record header || BLAKE2b(ct). */
static void
rec_signed(uint8_t msg[LIVE_REC_SIGNED_BYTES], const uint8_t hh[SEG_HASH_BYTES],
    const uint8_t *rh, const uint8_t *ct, size_t ctlen)
{
	prefix16(msg, LIVE_REC_SIG_PREFIX);
	memcpy(msg + 16, hh, SEG_HASH_BYTES);
	memcpy(msg + 48, rh, LIVE_REC_HDR_BYTES);
	crypto_generichash(msg + 72, SEG_HASH_BYTES, ct, ctlen, NULL, 0);
}

static void
nonce_of(uint8_t nonce[24], const uint8_t prefix[LIVE_NONCE_PREFIX_BYTES],
    uint64_t index)
{
	memcpy(nonce, prefix, LIVE_NONCE_PREFIX_BYTES);
	codec_put_be64(nonce + LIVE_NONCE_PREFIX_BYTES, index);
}

/* ---- sealing ---------------------------------------------------------- */

struct live_sealer {
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	uint8_t sk[SEG_SIGN_SK_BYTES];
	uint8_t prefix[LIVE_NONCE_PREFIX_BYTES];
	uint8_t hh[SEG_HASH_BYTES];
	uint64_t next;		/* next index */
	int ended;
};

struct live_sealer *
live_sealer_new(const struct live_params *p,
    const uint8_t camera_sk[SEG_SIGN_SK_BYTES], uint8_t *head, size_t *headlen)
{
	struct seg_seal_params sp = { .kind = SEG_KIND_LIVE };
	uint8_t pk[SEG_PK_BYTES], id[SEG_CAMERA_ID_BYTES], ssh[SEG_SS_HEADER_BYTES];
	uint8_t msg[LIVE_SIG_PREFIX_BYTES + SEG_HASH_BYTES];
	struct live_sealer *s;
	size_t hlen = 0;

	if (p == NULL || camera_sk == NULL || head == NULL || headlen == NULL ||
	    sodium_init() < 0)
		return NULL;
	if ((s = sodium_malloc(sizeof(*s))) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	memcpy(s->sk, camera_sk, SEG_SIGN_SK_BYTES);
	crypto_aead_xchacha20poly1305_ietf_keygen(s->key);
	randombytes_buf(s->prefix, sizeof(s->prefix));
	/* The header's 24-byte stream-header field carries the nonce prefix;
	 * its last 8 bytes are zero (one encoding). */
	memset(ssh, 0, sizeof(ssh));
	memcpy(ssh, s->prefix, sizeof(s->prefix));
	sp.seq = p->session_seq;
	sp.start_ms = p->start_ms;
	sp.epoch = p->epoch;
	sp.recipients = p->recipients;
	sp.nrecipients = p->nrecipients;
	crypto_sign_ed25519_sk_to_pk(pk, camera_sk);
	seg_camera_id(pk, id);
	if (seg_header_encode(&sp, id, s->key, ssh, head, &hlen) != SEG_OK) {
		live_sealer_free(s);
		return NULL;
	}
	crypto_generichash(s->hh, sizeof(s->hh), head, hlen, NULL, 0);
	head_signed(msg, s->hh);
	crypto_sign_detached(head + hlen, NULL, msg, sizeof(msg), s->sk);
	*headlen = hlen + LIVE_SIG_BYTES;
	return s;
}

uint64_t
live_sealer_next_index(const struct live_sealer *s)
{
	return s->next;
}

int
live_seal(struct live_sealer *s, uint8_t type, uint8_t flags,
    uint64_t time_ms, const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	uint8_t nonce[24], ad[LIVE_AD_BYTES], msg[LIVE_REC_SIGNED_BYTES];
	uint8_t *rh = out, *ct = out + LIVE_REC_HDR_BYTES;
	unsigned long long clen = 0;

	if (s == NULL || out == NULL || (pt == NULL && ptlen > 0) ||
	    type < LIVE_REC_INIT || type > LIVE_REC_END ||
	    (flags & ~(type == LIVE_REC_FRAG ? LIVE_FLAG_KEY : 0)) != 0 ||
	    (type == LIVE_REC_END && ptlen != 0))
		return LIVE_EINVAL;
	if (ptlen > LIVE_MAX_PLAINTEXT)
		return LIVE_ETOOBIG;
	/* INIT first, END last, nothing after it. */
	if (s->ended || (s->next == 0) != (type == LIVE_REC_INIT))
		return LIVE_ESTATE;
	rh[0] = type;
	rh[1] = flags;
	rh[2] = rh[3] = 0;
	codec_put_be32(rh + 4, (uint32_t)(ptlen + LIVE_TAG_BYTES));
	codec_put_be64(rh + 8, s->next);
	codec_put_be64(rh + 16, time_ms);
	memcpy(ad, s->hh, SEG_HASH_BYTES);
	memcpy(ad + SEG_HASH_BYTES, rh, LIVE_REC_HDR_BYTES);
	nonce_of(nonce, s->prefix, s->next);
	crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, pt, ptlen, ad,
	    sizeof(ad), NULL, nonce, s->key);
	rec_signed(msg, s->hh, rh, ct, (size_t)clen);
	crypto_sign_detached(ct + clen, NULL, msg, sizeof(msg), s->sk);
	s->next++;
	if (type == LIVE_REC_END) {
		s->ended = 1;
		sodium_memzero(s->key, sizeof(s->key));
	}
	return LIVE_OK;
}

void
live_sealer_free(struct live_sealer *s)
{
	if (s != NULL)
		sodium_free(s);	/* zeroes the key and camera key */
}

/* ---- reading ---------------------------------------------------------- */

enum rstate { R_HEAD, R_INIT, R_JOIN, R_NEXT, R_ENDED, R_FAILED };

struct live_reader {
	struct live_expect e;
	uint8_t camera_pk[SEG_PK_BYTES];
	uint8_t camera_id[SEG_CAMERA_ID_BYTES];
	int decrypt;
	uint8_t rpk[SEG_PK_BYTES], rsk[SEG_BOX_SK_BYTES];
	uint8_t *key;		/* sodium_malloc'd live key once unwrapped */
	struct seg_header h;
	enum rstate st;
	int err;
	uint64_t last_index, last_time;
	uint8_t *buf;		/* the piece being assembled */
	size_t len, cap;
	uint8_t *pt;		/* decrypted plaintext */
	size_t ptcap;
};

struct live_reader *
live_reader_new(const struct live_expect *e, const uint8_t *recipient_pk,
    const uint8_t *recipient_sk)
{
	struct live_reader *r;

	if (e == NULL || e->camera_pk == NULL ||
	    (recipient_pk == NULL) != (recipient_sk == NULL) || sodium_init() < 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->e = *e;
	memcpy(r->camera_pk, e->camera_pk, SEG_PK_BYTES);
	r->e.camera_pk = r->camera_pk;
	seg_camera_id(r->camera_pk, r->camera_id);
	if (recipient_pk != NULL) {
		r->decrypt = 1;
		memcpy(r->rpk, recipient_pk, SEG_PK_BYTES);
		memcpy(r->rsk, recipient_sk, SEG_BOX_SK_BYTES);
	}
	r->st = R_HEAD;
	return r;
}

void
live_reader_free(struct live_reader *r)
{
	if (r == NULL)
		return;
	if (r->key != NULL)
		sodium_free(r->key);
	if (r->pt != NULL) {
		sodium_memzero(r->pt, r->ptcap);
		free(r->pt);
	}
	free(r->buf);
	sodium_memzero(r->rsk, sizeof(r->rsk));
	free(r);
}

const struct seg_header *
live_reader_header(const struct live_reader *r)
{
	return r->st == R_HEAD || r->st == R_FAILED ? NULL : &r->h;
}

static int
fail(struct live_reader *r, int err)
{
	r->st = R_FAILED;
	r->err = err;
	return err;
}

/* Make room for n bytes in the assembly buffer (bounded by the caller). */
static int
reserve(uint8_t **b, size_t *cap, size_t n)
{
	uint8_t *nb;
	size_t c = *cap ? *cap : 4096;

	if (n <= *cap)
		return 0;
	while (c < n)
		c *= 2;
	if ((nb = realloc(*b, c)) == NULL)
		return -1;
	*b = nb;
	*cap = c;
	return 0;
}

/* Header + signature complete in r->buf[0..hlen+64). */
static int
head_done(struct live_reader *r, size_t hlen, live_event_fn *cb, void *cookie)
{
	uint8_t msg[LIVE_SIG_PREFIX_BYTES + SEG_HASH_BYTES];
	struct live_event ev;
	int rc;

	head_signed(msg, r->h.hash);
	if (crypto_sign_verify_detached(r->buf + hlen, msg, sizeof(msg),
	    r->camera_pk) != 0)
		return LIVE_EBADSIG;
	if (r->decrypt) {
		if ((r->key = sodium_malloc(SEG_DATA_KEY_BYTES)) == NULL)
			return LIVE_ENOMEM;
		rc = seg_unwrap_key(&r->h, r->rpk, r->rsk, r->key);
		if (rc != SEG_OK)
			return rc == SEG_ENOTRECIPIENT ? LIVE_ENOTRECIPIENT : LIVE_EKEY;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = LIVE_EV_HEAD;
	ev.time_ms = r->h.start_ms;
	ev.head = &r->h;
	ev.wire = r->buf;
	ev.wirelen = hlen + LIVE_SIG_BYTES;
	r->st = R_INIT;
	return cb != NULL && cb(cookie, &ev) != 0 ? LIVE_ECALLBACK : LIVE_OK;
}

/* Check the record header against the order rules; LIVE_OK or error. */
static int
rec_order(struct live_reader *r, uint8_t type, uint8_t flags, uint64_t index,
    uint64_t time_ms)
{
	switch (r->st) {
	case R_INIT:
		return type == LIVE_REC_INIT && index == 0 ? LIVE_OK : LIVE_EORDER;
	case R_JOIN:
		/* The join point: a keyframe fragment anywhere after the init
		 * (the relay starts late joiners there), or the end. */
		if (index == 0 || type == LIVE_REC_INIT ||
		    (type == LIVE_REC_FRAG && !(flags & LIVE_FLAG_KEY)))
			return LIVE_EORDER;
		break;
	case R_NEXT:
		if (type == LIVE_REC_INIT || index != r->last_index + 1)
			return LIVE_EORDER;
		break;
	default:
		return LIVE_ESTATE;
	}
	return time_ms < r->last_time ? LIVE_EORDER : LIVE_OK;
}

/* One whole record in r->buf[0..total). */
static int
rec_done(struct live_reader *r, size_t total, live_event_fn *cb, void *cookie)
{
	const uint8_t *rh = r->buf, *ct = r->buf + LIVE_REC_HDR_BYTES;
	size_t ctlen = total - LIVE_REC_HDR_BYTES - LIVE_SIG_BYTES;
	uint8_t msg[LIVE_REC_SIGNED_BYTES], ad[LIVE_AD_BYTES], nonce[24];
	unsigned long long mlen = 0;
	struct live_event ev;
	int rc;

	memset(&ev, 0, sizeof(ev));
	ev.type = rh[0];
	ev.flags = rh[1];
	ev.index = codec_get_be64(rh + 8);
	ev.time_ms = codec_get_be64(rh + 16);
	if ((rc = rec_order(r, rh[0], rh[1], ev.index, ev.time_ms)) != LIVE_OK)
		return rc;
	/* Verify before decrypt: the camera's signature first. */
	rec_signed(msg, r->h.hash, rh, ct, ctlen);
	if (crypto_sign_verify_detached(ct + ctlen, msg, sizeof(msg),
	    r->camera_pk) != 0)
		return LIVE_EBADSIG;
	if (r->decrypt) {
		if (reserve(&r->pt, &r->ptcap, ctlen) != 0)
			return LIVE_ENOMEM;
		memcpy(ad, r->h.hash, SEG_HASH_BYTES);
		memcpy(ad + SEG_HASH_BYTES, rh, LIVE_REC_HDR_BYTES);
		/* The nonce prefix is the header's stream-header field. */
		nonce_of(nonce, r->h.ss_header, ev.index);
		if (crypto_aead_xchacha20poly1305_ietf_decrypt(r->pt, &mlen, NULL,
		    ct, ctlen, ad, sizeof(ad), nonce, r->key) != 0)
			return LIVE_EAUTH;
		ev.pt = r->pt;
		ev.ptlen = (size_t)mlen;
	}
	ev.head = &r->h;
	ev.wire = r->buf;
	ev.wirelen = total;
	r->last_index = ev.index;
	r->last_time = ev.time_ms;
	r->st = ev.type == LIVE_REC_END ? R_ENDED :
	    ev.type == LIVE_REC_INIT ? R_JOIN : R_NEXT;
	return cb != NULL && cb(cookie, &ev) != 0 ? LIVE_ECALLBACK : LIVE_OK;
}

/* How many bytes the piece at the start of r->buf needs in total, 0 if
 * not known yet; negative = error. */
static long long
piece_need(struct live_reader *r)
{
	if (r->st == R_HEAD) {
		int rc;
		size_t hl;

		if (r->len < SEG_HEADER_FIXED)
			return 0;
		rc = seg_header_parse(r->buf, r->len, &r->h);
		if (rc == SEG_EMORE) {
			/* Fixed part is fine; the count says how much follows. */
			hl = SEG_HEADER_FIXED + (size_t)r->buf[7] * SEG_STANZA_BYTES;
			return (long long)(hl + LIVE_SIG_BYTES);
		}
		if (rc != SEG_OK)
			return rc == SEG_EMAGIC ? LIVE_EMAGIC :
			    rc == SEG_EVERSION ? LIVE_EVERSION : LIVE_ENONCANON;
		if (r->h.kind != SEG_KIND_LIVE)
			return LIVE_EWRONGKIND;
		/* Live headers: no flags, no duration, zero nonce-prefix tail. */
		for (int i = LIVE_NONCE_PREFIX_BYTES; i < SEG_SS_HEADER_BYTES; i++)
			if (r->h.ss_header[i] != 0)
				return LIVE_ENONCANON;
		if (r->h.flags != 0 || r->h.duration_ms != 0)
			return LIVE_ENONCANON;
		if (sodium_memcmp(r->h.camera_id, r->camera_id,
		    SEG_CAMERA_ID_BYTES) != 0)
			return LIVE_EWRONGCAMERA;
		if (r->e.check_session && r->h.seq != r->e.session_seq)
			return LIVE_EWRONGSESSION;
		return (long long)(r->h.len + LIVE_SIG_BYTES);
	}
	if (r->len < LIVE_REC_HDR_BYTES)
		return 0;
	{
		const uint8_t *rh = r->buf;
		uint32_t L = codec_get_be32(rh + 4);

		if (rh[0] < LIVE_REC_INIT || rh[0] > LIVE_REC_END || rh[2] != 0 ||
		    rh[3] != 0 || (rh[1] & ~(rh[0] == LIVE_REC_FRAG ?
		    LIVE_FLAG_KEY : 0)) != 0 || L < LIVE_TAG_BYTES ||
		    (rh[0] == LIVE_REC_END && L != LIVE_TAG_BYTES))
			return LIVE_ENONCANON;
		if (L > LIVE_MAX_PLAINTEXT + LIVE_TAG_BYTES)
			return LIVE_ETOOBIG;
		return (long long)LIVE_REC_HDR_BYTES + L + LIVE_SIG_BYTES;
	}
}

int
live_reader_write(struct live_reader *r, const uint8_t *buf, size_t len,
    live_event_fn *cb, void *cookie)
{
	if (r == NULL || (buf == NULL && len > 0))
		return LIVE_EINVAL;
	if (r->st == R_FAILED)
		return r->err;
	while (len > 0) {
		long long need;
		size_t take;
		int rc;

		if (r->st == R_ENDED)
			return fail(r, LIVE_EAFTEREND);
		/* Grow the piece a little at a time until its size is known:
		 * headers need at most SEG_HEADER_MAX, records 24 bytes. */
		need = piece_need(r);
		if (need < 0)
			return fail(r, (int)need);
		if (need == 0) {
			size_t want = r->st == R_HEAD ? SEG_HEADER_FIXED :
			    LIVE_REC_HDR_BYTES;
			take = want - r->len < len ? want - r->len : len;
		} else {
			take = (size_t)need - r->len < len ? (size_t)need - r->len : len;
		}
		if (reserve(&r->buf, &r->cap, r->len + take) != 0)
			return fail(r, LIVE_ENOMEM);
		memcpy(r->buf + r->len, buf, take);
		r->len += take;
		buf += take;
		len -= take;
		/* Judge a piece as soon as its size is known, so a bad length
		 * fails before anything more is buffered. */
		if (need == 0 && (need = piece_need(r)) < 0)
			return fail(r, (int)need);
		if (need == 0 || r->len < (size_t)need)
			continue;
		/* A header is complete once its signature is: parse it whole
		 * (need came from the stanza count alone). */
		if (r->st == R_HEAD && (need = piece_need(r)) < 0)
			return fail(r, (int)need);
		rc = r->st == R_HEAD ? head_done(r, r->h.len, cb, cookie) :
		    rec_done(r, (size_t)need, cb, cookie);
		if (rc != LIVE_OK)
			return fail(r, rc);
		r->len = 0;
	}
	return LIVE_OK;
}

int
live_reader_finish(struct live_reader *r)
{
	if (r == NULL)
		return LIVE_EINVAL;
	if (r->st == R_FAILED)
		return r->err;
	return r->st == R_ENDED && r->len == 0 ? LIVE_OK : LIVE_ETRUNCATED;
}
