/*
 * vec_live.h — tests/vectors/live.json: one live stream (docs/FORMAT.md
 * "Live stream"): camera 0xc0, recipients 0x10 and 0x11, session id from
 * the deterministic generator; an init, a keyframe fragment, a fragment
 * and the end record, with every intermediate value a second
 * implementation (the browser viewer) needs. Included by vectors.c.
 */
#include "live.h"

static void
vec_live_kp(uint8_t fill, uint8_t *pk, uint8_t *sk, int sign)
{
	uint8_t seed[32];

	memset(seed, fill, 32);
	if (sign)
		crypto_sign_seed_keypair(pk, sk, seed);
	else
		crypto_box_seed_keypair(pk, sk, seed);
}

static json_t *
vec_live_make(void)
{
	static const struct { uint8_t type, flags; const char *pt; } recs[] = {
		{ LIVE_REC_INIT, 0, "ftyp....moov (init segment stand-in)" },
		{ LIVE_REC_FRAG, LIVE_FLAG_KEY, "moof....mdat keyframe fragment" },
		{ LIVE_REC_FRAG, 0, "moof....mdat next fragment" },
		{ LIVE_REC_END, 0, "" },
	};
	uint8_t cam_pk[32], cam_sk[64], r_pk[2][32], r_sk[2][32], sid[16];
	uint8_t head[LIVE_HEAD_MAX], key[32], rec[LIVE_RECORD_SIZE(64)];
	struct seg_header h;
	struct live_params p;
	struct live_sealer *s;
	json_t *doc = json_object(), *arr = json_array();
	uint8_t *all;
	size_t hl, alllen;

	vec_live_kp(0xc0, cam_pk, cam_sk, 1);
	vec_live_kp(0x10, r_pk[0], r_sk[0], 0);
	vec_live_kp(0x11, r_pk[1], r_sk[1], 0);
	detrand_reset("live/stream");
	randombytes_buf(sid, sizeof(sid));
	p = (struct live_params){ .session_seq = live_session_seq(sid),
	    .start_ms = 1767225600000ull, .epoch = 2,
	    .recipients = (const uint8_t (*)[32])r_pk, .nrecipients = 2 };
	if ((s = live_sealer_new(&p, cam_sk, head, &hl)) == NULL ||
	    seg_header_parse(head, hl - 64, &h) != SEG_OK ||
	    seg_unwrap_key(&h, r_pk[0], r_sk[0], key) != SEG_OK)
		abort();
	json_object_set_new(doc, "description", json_string(
	    "A live stream: header (kind 4) + header signature, then INIT, "
	    "keyframe FRAG, FRAG, END records (docs/FORMAT.md, Live stream)."));
	json_object_set_new(doc, "camera_pk", vj_hex(cam_pk, 32));
	json_object_set_new(doc, "recipient_box_seeds", json_pack("[s,s]",
	    "1010101010101010101010101010101010101010101010101010101010101010",
	    "1111111111111111111111111111111111111111111111111111111111111111"));
	json_object_set_new(doc, "session_id", vj_hex(sid, 16));
	json_object_set_new(doc, "session_seq", json_integer((json_int_t)p.session_seq));
	json_object_set_new(doc, "head", vj_hex(head, hl));
	json_object_set_new(doc, "header_hash", vj_hex(h.hash, 32));
	json_object_set_new(doc, "nonce_prefix", vj_hex(h.ss_header, 16));
	json_object_set_new(doc, "live_key", vj_hex(key, 32));
	alllen = hl;
	all = malloc(alllen);
	memcpy(all, head, hl);
	vj_corpus("live_parse", "head-only", head, hl);
	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		size_t n = strlen(recs[i].pt), rl = LIVE_RECORD_SIZE(n);
		uint64_t t = 1767225600000ull + 500 * i;
		uint8_t nonce[24], ad[56];

		if (live_seal(s, recs[i].type, recs[i].flags, t,
		    (const uint8_t *)recs[i].pt, n, rec) != LIVE_OK)
			abort();
		memcpy(nonce, h.ss_header, 16);
		codec_put_be64(nonce + 16, i);
		memcpy(ad, h.hash, 32);
		memcpy(ad + 32, rec, 24);
		json_array_append_new(arr, json_pack("{s:i, s:i, s:i, s:I, s:o, "
		    "s:o, s:o, s:o}", "type", recs[i].type, "flags", recs[i].flags,
		    "index", (int)i, "time_ms", (json_int_t)t,
		    "plaintext", vj_hex((const uint8_t *)recs[i].pt, n),
		    "nonce", vj_hex(nonce, 24), "ad", vj_hex(ad, 56),
		    "wire", vj_hex(rec, rl)));
		all = realloc(all, alllen + rl);
		memcpy(all + alllen, rec, rl);
		alllen += rl;
	}
	json_object_set_new(doc, "records", arr);
	json_object_set_new(doc, "stream", vj_hex(all, alllen));
	{
		/* Seeds for the fuzzer: chunk byte, then the stream. */
		uint8_t *seed = malloc(alllen + 1);
		seed[0] = 0;
		memcpy(seed + 1, all, alllen);
		vj_corpus("live_parse", "stream", seed, alllen + 1);
		seed[0] = 3;
		vj_corpus("live_parse", "stream-chunked", seed, alllen + 1);
		free(seed);
	}
	free(all);
	sodium_memzero(key, sizeof(key));
	live_sealer_free(s);
	return doc;
}

struct vec_live_got { int n; size_t ptlen[8]; uint8_t pt[8][64]; };

static int
callback_vec_live(void *cookie, const struct live_event *ev)
{
	struct vec_live_got *g = cookie;

	if (ev->type != LIVE_EV_HEAD && g->n < 8) {
		g->ptlen[g->n] = ev->ptlen < 64 ? ev->ptlen : 64;
		memcpy(g->pt[g->n], ev->pt, g->ptlen[g->n]);
		g->n++;
	}
	return 0;
}

static void
vec_live_check(const json_t *doc)
{
	uint8_t cam_pk[32], sid[16], r_pk[32], r_sk[32], *stream;
	struct vec_live_got g;
	struct live_reader *r;
	struct live_expect e;
	const json_t *recs = json_object_get(doc, "records");
	size_t n;

	memset(&g, 0, sizeof(g));
	T_ASSERT(vj_unhex(doc, "camera_pk", cam_pk, 32) == 0 &&
	    vj_unhex(doc, "session_id", sid, 16) == 0);
	stream = vj_unhex_alloc(doc, "stream", &n);
	T_ASSERT(stream != NULL);
	if (stream == NULL)
		return;
	vec_live_kp(0x11, r_pk, r_sk, 0);
	e = (struct live_expect){ .camera_pk = cam_pk, .check_session = 1,
	    .session_seq = live_session_seq(sid) };
	r = live_reader_new(&e, r_pk, r_sk);
	T_EQ(live_reader_write(r, stream, n, callback_vec_live, &g), LIVE_OK);
	T_EQ(live_reader_finish(r), LIVE_OK);
	T_EQ(g.n, (long long)json_array_size(recs));
	for (int i = 0; i < g.n; i++) {
		size_t pl;
		uint8_t *pt = vj_unhex_alloc(json_array_get(recs, (size_t)i),
		    "plaintext", &pl);
		T_ASSERT(pt != NULL && pl == g.ptlen[i] &&
		    memcmp(pt, g.pt[i], pl) == 0);
		free(pt);
	}
	live_reader_free(r);
	free(stream);
}
