/*
 * live — the live-view wire format: round trip, late join, every order
 * violation, tampering, forgery by a key holder, verify-only mode.
 */
#include <sodium.h>

#include "codec.h"
#include "live.h"
#include "t.h"

struct keys {
	uint8_t cam_pk[32], cam_sk[64];
	uint8_t r_pk[3][32], r_sk[3][32];
	uint8_t x_pk[32], x_sk[32];	/* a stranger */
};

static void
keys_make(struct keys *k)
{
	uint8_t seed[32];

	memset(seed, 0xc0, 32);
	crypto_sign_seed_keypair(k->cam_pk, k->cam_sk, seed);
	for (int i = 0; i < 3; i++) {
		memset(seed, 0x10 + i, 32);
		crypto_box_seed_keypair(k->r_pk[i], k->r_sk[i], seed);
	}
	memset(seed, 0x99, 32);
	crypto_box_seed_keypair(k->x_pk, k->x_sk, seed);
}

/* A sealed stream: head, then records, each kept apart. */
#define NREC 12
struct stream {
	uint8_t head[LIVE_HEAD_MAX];
	size_t headlen;
	uint8_t *rec[NREC];
	size_t reclen[NREC];
	int n;
};

static void
stream_make(struct stream *st, const struct keys *k, int nfrag, int with_end)
{
	struct live_params p = { .session_seq = 0x0102030405060708ull,
	    .start_ms = 1700000000000ull, .epoch = 3,
	    .recipients = (const uint8_t (*)[32])k->r_pk, .nrecipients = 3 };
	struct live_sealer *s;
	uint8_t pt[3000];

	memset(st, 0, sizeof(*st));
	s = live_sealer_new(&p, k->cam_sk, st->head, &st->headlen);
	T_ASSERT(s != NULL);
	for (int i = 0; i <= nfrag + with_end && st->n < NREC; i++) {
		uint8_t type = i == 0 ? LIVE_REC_INIT : i <= nfrag ? LIVE_REC_FRAG :
		    LIVE_REC_END;
		size_t n = type == LIVE_REC_END ? 0 : 100 + 200 * (size_t)i;
		uint8_t flags = type == LIVE_REC_FRAG && (i % 3 == 1) ? LIVE_FLAG_KEY : 0;

		if (type == LIVE_REC_END && !with_end)
			break;
		memset(pt, 'a' + i, n);
		st->reclen[st->n] = LIVE_RECORD_SIZE(n);
		st->rec[st->n] = malloc(st->reclen[st->n]);
		T_EQ(live_seal(s, type, flags, 1700000000000ull + 40 * (uint64_t)i,
		    pt, n, st->rec[st->n]), LIVE_OK);
		st->n++;
	}
	live_sealer_free(s);
}

static void
stream_free(struct stream *st)
{
	for (int i = 0; i < st->n; i++)
		free(st->rec[i]);
}

struct got {
	int heads, n;
	int types[32];
	uint64_t idx[32];
	size_t ptlen[32];
	uint8_t first_byte[32];
};

static int
callback_got(void *cookie, const struct live_event *ev)
{
	struct got *g = cookie;

	if (ev->type == LIVE_EV_HEAD) {
		g->heads++;
		return 0;
	}
	if (g->n < 32) {
		g->types[g->n] = ev->type;
		g->idx[g->n] = ev->index;
		g->ptlen[g->n] = ev->ptlen;
		g->first_byte[g->n] = ev->ptlen ? ev->pt[0] : 0;
		g->n++;
	}
	return 0;
}

/* Feed head then the records listed in order[] (-1 ends), chunk bytes at a
 * time; returns the write error or the finish result. */
static int
feed(const struct stream *st, const int *order, size_t chunk,
    const uint8_t *pk, const uint8_t *sk, const struct keys *k, struct got *g)
{
	struct live_expect e = { .camera_pk = k->cam_pk, .check_session = 1,
	    .session_seq = 0x0102030405060708ull };
	struct live_reader *r = live_reader_new(&e, pk, sk);
	int rc = LIVE_OK;

	memset(g, 0, sizeof(*g));
	for (int i = -1; rc == LIVE_OK && (i < 0 || order[i] >= 0); i++) {
		const uint8_t *b = i < 0 ? st->head : st->rec[order[i]];
		size_t n = i < 0 ? st->headlen : st->reclen[order[i]];

		for (size_t off = 0; off < n && rc == LIVE_OK; off += chunk)
			rc = live_reader_write(r, b + off, n - off < chunk ?
			    n - off : chunk, callback_got, g);
	}
	if (rc == LIVE_OK)
		rc = live_reader_finish(r);
	live_reader_free(r);
	return rc;
}

int
main(void)
{
	static struct keys k;
	static struct stream st;
	struct got g;
	int all[] = { 0, 1, 2, 3, 4, 5, 6, 7, -1 };

	if (sodium_init() < 0)
		return 1;
	keys_make(&k);
	stream_make(&st, &k, 6, 1);	/* init, 6 fragments, end: 8 records */

	t_case("every recipient decrypts every record, in any chunking");
	for (int rcp = 0; rcp < 3; rcp++) {
		T_EQ(feed(&st, all, rcp == 0 ? 1 : rcp == 1 ? 7 : 1 << 20,
		    k.r_pk[rcp], k.r_sk[rcp], &k, &g), LIVE_OK);
		T_EQ(g.heads, 1);
		T_EQ(g.n, 8);
		T_EQ(g.types[0], LIVE_REC_INIT);
		T_EQ(g.types[7], LIVE_REC_END);
		T_EQ(g.ptlen[3], 100 + 200 * 3);
		T_EQ(g.first_byte[3], 'a' + 3);
	}

	t_case("a late viewer joins at a keyframe fragment (init, then 4..)");
	{
		int late[] = { 0, 4, 5, 6, 7, -1 };
		T_EQ(feed(&st, late, 100, k.r_pk[1], k.r_sk[1], &k, &g), LIVE_OK);
		T_EQ(g.n, 5);
		T_EQ(g.idx[1], 4);
	}

	t_case("joining at a fragment that is not a keyframe is refused");
	{
		int bad[] = { 0, 2, 3, -1 };
		T_EQ(feed(&st, bad, 4096, k.r_pk[0], k.r_sk[0], &k, &g), LIVE_EORDER);
	}

	t_case("reordered, replayed, dropped records are refused");
	{
		int reorder[] = { 0, 1, 3, 2, -1 }, replay[] = { 0, 1, 2, 2, -1 },
		    drop[] = { 0, 1, 2, 4, -1 }, noinit[] = { 1, 2, -1 },
		    twoinit[] = { 0, 0, -1 };
		T_EQ(feed(&st, reorder, 4096, k.r_pk[0], k.r_sk[0], &k, &g), LIVE_EORDER);
		T_EQ(feed(&st, replay, 4096, k.r_pk[0], k.r_sk[0], &k, &g), LIVE_EORDER);
		T_EQ(feed(&st, drop, 4096, k.r_pk[0], k.r_sk[0], &k, &g), LIVE_EORDER);
		T_EQ(feed(&st, noinit, 4096, k.r_pk[0], k.r_sk[0], &k, &g), LIVE_EORDER);
		T_EQ(feed(&st, twoinit, 4096, k.r_pk[0], k.r_sk[0], &k, &g), LIVE_EORDER);
	}

	t_case("a stream cut before its end record is truncated; data after end refused");
	{
		int cut[] = { 0, 1, 2, -1 }, after[] = { 0, 1, 2, 3, 4, 5, 6, 7, 7, -1 };
		T_EQ(feed(&st, cut, 4096, k.r_pk[0], k.r_sk[0], &k, &g), LIVE_ETRUNCATED);
		T_EQ(g.n, 3);
		T_EQ(feed(&st, after, 4096, k.r_pk[0], k.r_sk[0], &k, &g), LIVE_EAFTEREND);
	}

	t_case("a stranger's key is not a recipient; verify-only mode checks all but content");
	T_EQ(feed(&st, all, 4096, k.x_pk, k.x_sk, &k, &g), LIVE_ENOTRECIPIENT);
	T_EQ(feed(&st, all, 4096, NULL, NULL, &k, &g), LIVE_OK);
	T_EQ(g.n, 8);
	T_EQ(g.ptlen[3], 0);

	t_case("any flipped bit in header, record header, ciphertext or signature is caught");
	{
		int one[] = { 0, 1, -1 };
		size_t hl = st.headlen, rl = st.reclen[1];
		int bad = 0;

		for (size_t i = 0; i < hl; i += 7) {
			st.head[i] ^= 0x10;
			if (feed(&st, one, 4096, k.r_pk[0], k.r_sk[0], &k, &g) == LIVE_OK ||
			    g.n != 0)
				bad++;
			st.head[i] ^= 0x10;
		}
		for (size_t i = 0; i < rl; i++) {
			int rc;
			st.rec[1][i] ^= 0x01;
			rc = feed(&st, one, 4096, k.r_pk[0], k.r_sk[0], &k, &g);
			/* The record never reaches the receiver (a flipped
			 * length only makes the reader wait for more). */
			if (rc == LIVE_OK || g.n != 1)
				bad++;
			st.rec[1][i] ^= 0x01;
		}
		T_EQ(bad, 0);
	}

	t_case("a recipient holding the live key cannot forge a record (camera signature)");
	{
		/* Re-encrypt record 2's plaintext under the real key with a
		 * member's own signature: the AEAD opens, the signature fails. */
		uint8_t forged[4096], other_pk[32], other_sk[64], seed[32];
		struct live_expect e = { .camera_pk = k.cam_pk };
		struct live_reader *r = live_reader_new(&e, NULL, NULL);
		size_t n = st.reclen[2];

		memset(seed, 0x42, 32);
		crypto_sign_seed_keypair(other_pk, other_sk, seed);
		memcpy(forged, st.rec[2], n);
		forged[n - 1] ^= 1;
		T_EQ(live_reader_write(r, st.head, st.headlen, NULL, NULL), LIVE_OK);
		T_EQ(live_reader_write(r, st.rec[0], st.reclen[0], NULL, NULL), LIVE_OK);
		T_EQ(live_reader_write(r, st.rec[1], st.reclen[1], NULL, NULL), LIVE_OK);
		T_EQ(live_reader_write(r, forged, n, NULL, NULL), LIVE_EBADSIG);
		live_reader_free(r);
	}

	t_case("wrong camera key, wrong session are refused at the header");
	{
		struct live_expect e = { .camera_pk = k.r_pk[0] };
		struct live_reader *r = live_reader_new(&e, NULL, NULL);
		T_EQ(live_reader_write(r, st.head, st.headlen, NULL, NULL),
		    LIVE_EWRONGCAMERA);
		live_reader_free(r);
		e.camera_pk = k.cam_pk;
		e.check_session = 1;
		e.session_seq = 5;
		r = live_reader_new(&e, NULL, NULL);
		T_EQ(live_reader_write(r, st.head, st.headlen, NULL, NULL),
		    LIVE_EWRONGSESSION);
		live_reader_free(r);
	}

	t_case("the sealer enforces init first, end last, size limits");
	{
		struct live_params p = { .session_seq = 1, .start_ms = 1,
		    .epoch = 1, .recipients = (const uint8_t (*)[32])k.r_pk,
		    .nrecipients = 1 };
		uint8_t head[LIVE_HEAD_MAX], out[LIVE_RECORD_SIZE(16)];
		size_t hl;
		struct live_sealer *s = live_sealer_new(&p, k.cam_sk, head, &hl);

		T_ASSERT(s != NULL);
		T_EQ(hl, 72 + 88 + 64);
		T_EQ(live_seal(s, LIVE_REC_FRAG, LIVE_FLAG_KEY, 1, out, 16, out),
		    LIVE_ESTATE);
		T_EQ(live_seal(s, LIVE_REC_INIT, LIVE_FLAG_KEY, 1, out, 16, out),
		    LIVE_EINVAL);
		T_EQ(live_seal(s, LIVE_REC_INIT, 0, 1, out, 16, out), LIVE_OK);
		T_EQ(live_seal(s, LIVE_REC_INIT, 0, 1, out, 16, out), LIVE_ESTATE);
		T_EQ(live_seal(s, LIVE_REC_FRAG, 0, 1, NULL, LIVE_MAX_PLAINTEXT + 1,
		    out), LIVE_EINVAL);
		T_EQ(live_seal(s, LIVE_REC_END, 0, 1, NULL, 0, out), LIVE_OK);
		T_EQ(live_seal(s, LIVE_REC_END, 0, 1, NULL, 0, out), LIVE_ESTATE);
		live_sealer_free(s);
	}

	t_case("an oversized record length is refused before anything is buffered");
	{
		struct live_expect e = { .camera_pk = k.cam_pk };
		struct live_reader *r = live_reader_new(&e, NULL, NULL);
		uint8_t rh[24] = { LIVE_REC_INIT, 0, 0, 0 };

		codec_put_be32(rh + 4, LIVE_MAX_PLAINTEXT + LIVE_TAG_BYTES + 1);
		T_EQ(live_reader_write(r, st.head, st.headlen, NULL, NULL), LIVE_OK);
		T_EQ(live_reader_write(r, rh, sizeof(rh), NULL, NULL), LIVE_ETOOBIG);
		live_reader_free(r);
	}

	stream_free(&st);
	return t_done();
}
