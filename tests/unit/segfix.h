/*
 * segfix.h — fixtures for the container tests: fixed key pairs, a growable
 * output buffer for the callbacks, and a raw container builder that can make
 * what the real sealer refuses to (bad framing, stray tags), signed by the
 * real camera key, so the opener's checks are exercised one by one.
 */
#ifndef SEALCAM_SEGFIX_H
#define SEALCAM_SEGFIX_H

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "seg.h"

struct fix_box { uint8_t pk[32], sk[32]; };
struct fix_sign { uint8_t pk[32], sk[64]; };

static inline void
fix_box(struct fix_box *k, uint8_t seedbyte)
{
	uint8_t seed[32];
	memset(seed, seedbyte, sizeof(seed));
	crypto_box_seed_keypair(k->pk, k->sk, seed);
}

static inline void
fix_sign(struct fix_sign *k, uint8_t seedbyte)
{
	uint8_t seed[32];
	memset(seed, seedbyte, sizeof(seed));
	crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

/* Growable byte buffer, also a seg_write_fn sink. */
struct fix_buf {
	uint8_t *p;
	size_t n, cap;
	int fail_after;		/* > 0: fail the nth call */
	int calls;
};

static inline int
fix_sink(void *cookie, const uint8_t *buf, size_t len)
{
	struct fix_buf *b = cookie;

	if (b->fail_after > 0 && ++b->calls >= b->fail_after)
		return -1;
	if (b->n + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + len)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (b->p == NULL)
			abort();
		b->cap = cap;
	}
	if (len > 0)
		memcpy(b->p + b->n, buf, len);
	b->n += len;
	return 0;
}

static inline void
fix_buf_free(struct fix_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Pattern plaintext: byte i = (i * 7 + 3) mod 256. */
static inline uint8_t *
fix_plaintext(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	return p;
}

/* One record of a raw container: plaintext length and secretstream tag. */
struct fix_rec { size_t len; uint8_t tag; };

/*
 * Build a container by hand: a real header (sealed to the given recipients
 * by the real sealer, then its data key recovered with rk and a fresh
 * stream header put in), records as listed, the camera's signature. Returns
 * a malloc'd buffer.
 */
static inline uint8_t *
fix_raw_container(const struct seg_seal_params *p, const struct fix_sign *cam,
    const struct fix_box *rk, const struct fix_rec *recs, size_t nrecs,
    size_t *outlen)
{
	uint8_t *hdrc = NULL, *out, key[32], hh[32], bh[32], msg[80];
	size_t hlen, total = 0, pos;
	struct seg_header h;
	crypto_secretstream_xchacha20poly1305_state ss;
	crypto_generichash_state bs;
	uint8_t *pt;

	if (seg_seal_buf(p, cam->sk, NULL, 0, &hdrc, &hlen) != SEG_OK ||
	    seg_header_parse(hdrc, hlen, &h) != SEG_OK ||
	    seg_unwrap_key(&h, rk->pk, rk->sk, key) != SEG_OK)
		abort();
	for (size_t i = 0; i < nrecs; i++)
		total += recs[i].len + 17;
	out = malloc(h.len + total + 64);
	memcpy(out, hdrc, h.len);
	crypto_secretstream_xchacha20poly1305_init_push(&ss, out + 48, key);
	crypto_generichash(hh, 32, out, h.len, NULL, 0);
	crypto_generichash_init(&bs, NULL, 0, 32);
	pt = fix_plaintext(65536);
	pos = h.len;
	for (size_t i = 0; i < nrecs; i++) {
		crypto_secretstream_xchacha20poly1305_push(&ss, out + pos, NULL, pt,
		    recs[i].len, hh, 32, recs[i].tag);
		crypto_generichash_update(&bs, out + pos, recs[i].len + 17);
		pos += recs[i].len + 17;
	}
	crypto_generichash_final(&bs, bh, 32);
	memset(msg, 0, 16);
	memcpy(msg, "sealcam-seal-v1", 15);
	memcpy(msg + 16, hh, 32);
	memcpy(msg + 48, bh, 32);
	crypto_sign_detached(out + pos, NULL, msg, 80, cam->sk);
	*outlen = pos + 64;
	free(pt);
	free(hdrc);
	return out;
}

#endif
