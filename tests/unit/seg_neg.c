/*
 * seg_neg — every way a container can be wrong fails with its own error,
 * never crashes, and never ends in success: flipped bits in every header
 * byte, every stanza and the trailer (exhaustively) and across the records;
 * truncation at every record boundary, in every record and in the trailer;
 * records reordered, duplicated, dropped or replayed; another camera's or
 * another sequence's genuine container; a reader who is not a recipient;
 * non-canonical headers and body framing.
 */
#include "segfix.h"
#include "t.h"

#define RC SEG_RECORD_CBYTES

static struct fix_sign cam, cam2;
static struct fix_box r[3], stranger;
static uint8_t rpks[3][32];

static struct seg_seal_params
params(uint64_t seq)
{
	struct seg_seal_params p = {
		.kind = SEG_KIND_SEGMENT, .seq = seq, .start_ms = 1764000000000ull,
		.duration_ms = 4000, .epoch = 3,
		.recipients = (const uint8_t (*)[32])rpks, .nrecipients = 3,
	};
	return p;
}

static const struct seg_expect *
expect(uint64_t seq)
{
	static struct seg_expect e;
	e.camera_pk = cam.pk;
	e.kind = SEG_KIND_SEGMENT;
	e.check_seq = 1;
	e.seq = seq;
	return &e;
}

/* Open (reader k, or verify-only if k is NULL) whole, then in 4 KiB chunks;
 * both must agree. Returns the code; *got is what the callback received. */
static int
try_open(const struct fix_box *k, const uint8_t *c, size_t n, size_t *got)
{
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	struct fix_buf out = { 0 };
	struct seg_opener *o;
	int rc1, rc2 = SEG_OK;

	rc1 = seg_open_buf(expect(7), k ? k->pk : NULL, k ? k->sk : NULL, c, n,
	    k ? &pt : NULL, k ? &ptlen : NULL, NULL);
	if (rc1 == SEG_OK ? (k != NULL && pt == NULL) : pt != NULL)
		rc1 = 1000;	/* contract broken: plaintext on failure */
	free(pt);
	o = seg_opener_new(expect(7), k ? k->pk : NULL, k ? k->sk : NULL,
	    fix_sink, &out);
	for (size_t off = 0; off < n && rc2 == SEG_OK; off += 4096)
		rc2 = seg_opener_write(o, c + off, n - off < 4096 ? n - off : 4096);
	if (rc2 == SEG_OK)
		rc2 = seg_opener_finish(o);
	seg_opener_free(o);
	if (got != NULL)
		*got = out.n;
	fix_buf_free(&out);
	return rc1 == rc2 ? rc1 : 2000 + rc2;
}

static int
kind_known(unsigned k)
{
	return k >= 1 && k <= 5;
}

/* What flipping bit b of header byte off must give (reader at stanza ri). */
static int
header_flip_expect(const uint8_t *c, size_t off, int b, int ri, int decrypt,
    int *alt)
{
	*alt = 1;	/* a second acceptable code, used only for n > 3 */
	if (off < 4)
		return SEG_EMAGIC;
	if (off == 4)
		return SEG_EVERSION;
	if (off == 5)
		return kind_known(c[5] ^ (1u << b)) ? SEG_EWRONGKIND : SEG_ENONCANON;
	if (off == 6)
		return b == 0 ? (decrypt ? SEG_EAUTH : SEG_EBADSIG) : SEG_ENONCANON;
	if (off == 7) {
		unsigned n = c[7] ^ (1u << b);
		if (n == 0 || n > 32)
			return SEG_ENONCANON;
		if (n < 3)
			return !decrypt ? SEG_EBADSIG :
			    ri < (int)n ? SEG_EAUTH : SEG_ENOTRECIPIENT;
		/* More stanzas than sealed: body bytes read as stanzas. */
		*alt = SEG_ENONCANON;
		return decrypt ? SEG_EAUTH : SEG_EBADSIG;
	}
	if (off < 24)
		return SEG_EWRONGCAMERA;
	if (off < 32)
		return SEG_EWRONGSEQ;
	if (off < 72)
		return decrypt ? SEG_EAUTH : SEG_EBADSIG;
	{
		size_t i = (off - 72) / 88, w = (off - 72) % 88;
		if (w < 8) {
			uint8_t ids[3][8];
			for (int j = 0; j < 3; j++)
				memcpy(ids[j], c + 72 + 88 * j, 8);
			ids[i][w] ^= (uint8_t)(1u << b);
			if (memcmp(ids[0], ids[1], 8) >= 0 ||
			    memcmp(ids[1], ids[2], 8) >= 0)
				return SEG_ENONCANON;
			if (!decrypt)
				return SEG_EBADSIG;
			return (int)i == ri ? SEG_ENOTRECIPIENT : SEG_EAUTH;
		}
		if (!decrypt)
			return SEG_EBADSIG;
		return (int)i == ri ? SEG_EKEY : SEG_EAUTH;
	}
}

int
main(void)
{
	uint8_t *c, *d, *src;
	size_t clen, hlen, got;
	int ri = -1;
	struct seg_header h;
	const size_t N = 150000;	/* records: 65536 M, 65536 M, 18928 F */

	if (sodium_init() < 0)
		return 1;
	fix_sign(&cam, 1);
	fix_sign(&cam2, 2);
	for (int i = 0; i < 3; i++) {
		fix_box(&r[i], (uint8_t)(10 + i));
		memcpy(rpks[i], r[i].pk, 32);
	}
	fix_box(&stranger, 99);
	src = fix_plaintext(N);
	{
		struct seg_seal_params p = params(7);
		if (seg_seal_buf(&p, cam.sk, src, N, &c, &clen) != SEG_OK ||
		    seg_header_parse(c, clen, &h) != SEG_OK)
			return 1;
	}
	hlen = h.len;
	/* The reader whose stanza comes first, so every flip is predictable. */
	for (int i = 0; i < 3; i++) {
		uint8_t kid[8];
		seg_key_id(r[i].pk, kid);
		if (memcmp(kid, h.key_ids[0], 8) == 0)
			ri = i;
	}
	d = malloc(clen + 2 * RC);

	t_case("genuine container opens (baseline for the cases below)");
	T_EQ(try_open(&r[ri], c, clen, &got), SEG_OK);
	T_EQ(got, N);
	T_EQ(try_open(NULL, c, clen, NULL), SEG_OK);

	t_case("one flipped bit in any header byte or stanza: specific error");
	/* Same recipients, so the same stanza order; a short body keeps the
	 * 5376 opens cheap but is long enough to be misread as 19 stanzas. */
	{
	uint8_t *sc;
	size_t sclen;
	struct seg_seal_params p = params(7);
	if (seg_seal_buf(&p, cam.sk, src, 3000, &sc, &sclen) != SEG_OK)
		return 1;
	for (size_t off = 0; off < hlen; off++)
		for (int b = 0; b < 8; b++)
			for (int dec = 0; dec < 2; dec++) {
				int alt, want = header_flip_expect(sc, off, b, 0, dec, &alt);
				int rc;
				memcpy(d, sc, sclen);
				d[off] ^= (uint8_t)(1u << b);
				rc = try_open(dec ? &r[ri] : NULL, d, sclen, &got);
				if (rc != want && rc != alt) {
					char m[128];
					snprintf(m, sizeof(m), "byte %zu bit %d %s: got %d want %d",
					    off, b, dec ? "open" : "verify", rc, want);
					t_fail(__FILE__, __LINE__, m);
				}
				/* Header damage is caught before any plaintext. */
				T_EQ(got, 0);
			}
	free(sc);
	}

	t_case("one flipped bit in any record: SEG_EAUTH (open), SEG_EBADSIG (verify)");
	for (size_t off = hlen; off < clen - 64; off += 1021) {
		memcpy(d, c, clen);
		d[off] ^= (uint8_t)(1u << (off % 8));
		T_EQ(try_open(&r[ri], d, clen, &got), SEG_EAUTH);
		/* Only records before the damaged one were released. */
		T_EQ(got, (off - hlen) / RC * 65536);
		T_EQ(try_open(NULL, d, clen, NULL), SEG_EBADSIG);
	}
	/* And the very first and last body bytes. */
	memcpy(d, c, clen);
	d[hlen] ^= 1;
	T_EQ(try_open(&r[ri], d, clen, NULL), SEG_EAUTH);
	memcpy(d, c, clen);
	d[clen - 65] ^= 0x80;
	T_EQ(try_open(&r[ri], d, clen, NULL), SEG_EAUTH);

	t_case("one flipped bit in the trailer: SEG_EBADSIG, last record withheld");
	for (size_t off = clen - 64; off < clen; off++)
		for (int b = (int)(off % 4); b < 8; b += 4) {	/* 2 bits a byte */
			memcpy(d, c, clen);
			d[off] ^= (uint8_t)(1u << b);
			T_EQ(try_open(&r[ri], d, clen, &got), SEG_EBADSIG);
			T_EQ(got, 2 * 65536);	/* the final record never left */
			T_EQ(try_open(NULL, d, clen, NULL), SEG_EBADSIG);
		}

	t_case("truncation inside the header: SEG_ETRUNCATED");
	for (size_t n = 0; n < hlen; n++) {
		T_EQ(try_open(&r[ri], c, n, NULL), SEG_ETRUNCATED);
		T_EQ(try_open(NULL, c, n, NULL), SEG_ETRUNCATED);
	}

	t_case("truncation at every record boundary: SEG_ETRUNCATED");
	{
		size_t cuts[] = { hlen, hlen + RC, hlen + 2 * RC, clen - 64 };
		for (size_t i = 0; i < 4; i++) {
			T_EQ(try_open(&r[ri], c, cuts[i], &got), SEG_ETRUNCATED);
			T_ASSERT(got < N);
			/* Without a key the server sees a bad signature. */
			T_EQ(try_open(NULL, c, cuts[i], NULL),
			    i == 0 ? SEG_ETRUNCATED : SEG_EBADSIG);
		}
	}

	t_case("truncation mid-record and mid-trailer: never success");
	for (size_t n = hlen + 1; n < clen; n += 509) {
		int rc = try_open(&r[ri], c, n, &got);
		T_ASSERT(rc == SEG_EAUTH || rc == SEG_ETRUNCATED ||
		    rc == SEG_ENOFINAL);
		T_ASSERT(got < N);
		rc = try_open(NULL, c, n, NULL);
		T_ASSERT(rc == SEG_EBADSIG || rc == SEG_ETRUNCATED);
	}
	for (size_t n = clen - 64; n < clen; n++)
		T_ASSERT(try_open(&r[ri], c, n, NULL) != SEG_OK);
	/* Specific points: inside a record, a trailer's worth into the next. */
	T_EQ(try_open(&r[ri], c, hlen + 1000, NULL), SEG_EAUTH);
	T_EQ(try_open(&r[ri], c, hlen + 30, NULL), SEG_ETRUNCATED);
	T_EQ(try_open(&r[ri], c, hlen + RC + 64, NULL), SEG_ENOFINAL);
	T_EQ(try_open(&r[ri], c, hlen + RC + 81, NULL), SEG_EAUTH);
	T_EQ(try_open(&r[ri], c, clen - 1, NULL), SEG_EAUTH);

	t_case("verify-only (the server): the same verdict whatever the write sizes");
	{
		/* The server hashes each network chunk in place: 1 byte, less or
		 * more than a trailer, a typical socket read, whole records. */
		static const size_t chunks[] = { 1, 63, 64, 65, 999, 32553, RC, RC + 65, 200000 };
		size_t cuts[] = { clen, clen - 1, hlen + 80, hlen + 81, hlen + RC + 64,
		    hlen + RC + 65, hlen + RC + 81, hlen + 2 * RC + 65 };
		/* A final record needs 17 bytes: 80 body bytes, or a whole
		 * record plus 65, leave 16 and 1 for it. */
		int want[] = { SEG_OK, SEG_EBADSIG, SEG_ETRUNCATED, SEG_EBADSIG,
		    SEG_EBADSIG, SEG_ETRUNCATED, SEG_EBADSIG, SEG_ETRUNCATED };

		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
			T_EQ(seg_open_buf(expect(7), NULL, NULL, c, cuts[i], NULL, NULL, NULL),
			    want[i]);
			for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
				struct seg_opener *o = seg_opener_new(expect(7), NULL, NULL,
				    NULL, NULL);
				int rc = SEG_OK;

				for (size_t off = 0; off < cuts[i] && rc == SEG_OK; off += chunks[k])
					rc = seg_opener_write(o, c + off, cuts[i] - off < chunks[k] ?
					    cuts[i] - off : chunks[k]);
				if (rc == SEG_OK)
					rc = seg_opener_finish(o);
				seg_opener_free(o);
				T_EQ(rc, want[i]);
			}
		}
	}

	t_case("records reordered, duplicated, dropped, replayed: SEG_EAUTH");
	{
		uint8_t *o2;
		size_t o2len;
		struct seg_seal_params p = params(7);

		/* swap records 0 and 1 */
		memcpy(d, c, clen);
		memcpy(d + hlen, c + hlen + RC, RC);
		memcpy(d + hlen + RC, c + hlen, RC);
		T_EQ(try_open(&r[ri], d, clen, &got), SEG_EAUTH);
		T_EQ(got, 0);
		T_EQ(try_open(NULL, d, clen, NULL), SEG_EBADSIG);
		/* duplicate record 0 */
		memcpy(d, c, hlen + RC);
		memcpy(d + hlen + RC, c + hlen, clen - hlen);
		T_EQ(try_open(&r[ri], d, clen + RC, &got), SEG_EAUTH);
		T_EQ(got, 65536);
		T_EQ(try_open(NULL, d, clen + RC, NULL), SEG_EBADSIG);
		/* drop record 1 */
		memcpy(d, c, hlen + RC);
		memcpy(d + hlen + RC, c + hlen + 2 * RC, clen - hlen - 2 * RC);
		T_EQ(try_open(&r[ri], d, clen - RC, NULL), SEG_EAUTH);
		T_EQ(try_open(NULL, d, clen - RC, NULL), SEG_EBADSIG);
		/* record 1 replayed from another sealing of the same input */
		T_EQ(seg_seal_buf(&p, cam.sk, src, N, &o2, &o2len), SEG_OK);
		memcpy(d, c, clen);
		memcpy(d + hlen + RC, o2 + hlen + RC, RC);
		T_EQ(try_open(&r[ri], d, clen, NULL), SEG_EAUTH);
		/* header of one, body and trailer of the other (splice) */
		memcpy(d, c, hlen);
		memcpy(d + hlen, o2 + hlen, clen - hlen);
		T_EQ(try_open(&r[ri], d, clen, NULL), SEG_EAUTH);
		T_EQ(try_open(NULL, d, clen, NULL), SEG_EBADSIG);
		free(o2);
	}

	t_case("data after the final record is refused");
	{
		struct seg_seal_params p = params(7);
		uint8_t *e;
		size_t elen;
		uint8_t *big = fix_plaintext(131072);

		/* 65536 M, 65536 F: anything appended puts F in a non-final slot */
		T_EQ(seg_seal_buf(&p, cam.sk, big, 131072, &e, &elen), SEG_OK);
		memcpy(d, e, elen);
		memset(d + elen, 0, 100);
		T_EQ(try_open(&r[ri], d, elen + 100, &got), SEG_EAFTERFINAL);
		T_EQ(got, 65536);
		T_EQ(try_open(NULL, d, elen + 100, NULL), SEG_EBADSIG);
		/* a byte appended to the 3-record one shifts the trailer */
		memcpy(d, c, clen);
		d[clen] = 0;
		T_EQ(try_open(&r[ri], d, clen + 1, NULL), SEG_EAUTH);
		free(e);
		free(big);
	}

	t_case("another camera's genuine container: SEG_EWRONGCAMERA");
	{
		struct seg_seal_params p = params(7);
		uint8_t *o2, id[16];
		size_t o2len;

		T_EQ(seg_seal_buf(&p, cam2.sk, src, 1000, &o2, &o2len), SEG_OK);
		T_EQ(try_open(&r[ri], o2, o2len, &got), SEG_EWRONGCAMERA);
		T_EQ(got, 0);
		T_EQ(try_open(NULL, o2, o2len, NULL), SEG_EWRONGCAMERA);
		/* relabelled as our camera: the signature and the AD catch it */
		seg_camera_id(cam.pk, id);
		memcpy(o2 + 8, id, 16);
		T_EQ(try_open(&r[ri], o2, o2len, NULL), SEG_EAUTH);
		T_EQ(try_open(NULL, o2, o2len, NULL), SEG_EBADSIG);
		free(o2);
	}

	t_case("a genuine container of another sequence or kind: specific error");
	{
		struct seg_seal_params p = params(8);
		uint8_t *o2;
		size_t o2len;

		T_EQ(seg_seal_buf(&p, cam.sk, src, 1000, &o2, &o2len), SEG_OK);
		T_EQ(try_open(&r[ri], o2, o2len, &got), SEG_EWRONGSEQ);
		{
			struct seg_opener *o = seg_opener_new(expect(7), NULL, NULL,
			    NULL, NULL);
			T_ASSERT(seg_opener_header(o) == NULL);
			T_EQ(seg_opener_write(o, o2, o2len), SEG_EWRONGSEQ);
			/* The refused header is there to report what came instead. */
			T_ASSERT(seg_opener_header(o) != NULL &&
			    seg_opener_header(o)->seq == 8);
			seg_opener_free(o);
		}
		T_EQ(try_open(NULL, o2, o2len, NULL), SEG_EWRONGSEQ);
		free(o2);
		p = params(7);
		p.kind = SEG_KIND_EVENT;
		T_EQ(seg_seal_buf(&p, cam.sk, src, 1000, &o2, &o2len), SEG_OK);
		T_EQ(try_open(&r[ri], o2, o2len, NULL), SEG_EWRONGKIND);
		/* seq rewritten to the requested one: signature and AD catch it */
		p = params(8);
		free(o2);
		T_EQ(seg_seal_buf(&p, cam.sk, src, 1000, &o2, &o2len), SEG_OK);
		codec_put_be64(o2 + 24, 7);
		T_EQ(try_open(&r[ri], o2, o2len, NULL), SEG_EAUTH);
		T_EQ(try_open(NULL, o2, o2len, NULL), SEG_EBADSIG);
		free(o2);
	}

	t_case("a reader who is not a recipient: SEG_ENOTRECIPIENT, no plaintext");
	T_EQ(try_open(&stranger, c, clen, &got), SEG_ENOTRECIPIENT);
	T_EQ(got, 0);
	{
		uint8_t key[32];
		T_EQ(seg_unwrap_key(&h, stranger.pk, stranger.sk, key),
		    SEG_ENOTRECIPIENT);
		/* right key id, wrong secret key: the sealed key does not open */
		T_EQ(seg_unwrap_key(&h, r[ri].pk, stranger.sk, key), SEG_EKEY);
	}

	t_case("non-canonical headers are refused by the parser");
	{
		struct seg_header x;
		for (size_t n = 0; n < hlen; n++)
			T_EQ(seg_header_parse(c, n, &x), SEG_EMORE);
		T_EQ(seg_header_parse((const uint8_t *)"SX", 2, &x), SEG_EMAGIC);
		T_EQ(seg_header_parse(NULL, 0, &x), SEG_EMORE);
		memcpy(d, c, hlen);
		d[7] = 0;
		T_EQ(seg_header_parse(d, hlen, &x), SEG_ENONCANON);
		d[7] = 33;
		T_EQ(seg_header_parse(d, clen, &x), SEG_ENONCANON);
		memcpy(d, c, hlen);
		memcpy(d + 72 + 88, d + 72, 8);		/* duplicate key id */
		T_EQ(seg_header_parse(d, hlen, &x), SEG_ENONCANON);
		memcpy(d, c, hlen);
		memcpy(d + 72, c + 72 + 88, 88);	/* stanzas out of order */
		memcpy(d + 72 + 88, c + 72, 88);
		T_EQ(seg_header_parse(d, hlen, &x), SEG_ENONCANON);
		for (int k = 0; k < 256; k++) {
			memcpy(d, c, hlen);
			d[5] = (uint8_t)k;
			T_EQ(seg_header_parse(d, hlen, &x),
			    kind_known((unsigned)k) ? SEG_OK : SEG_ENONCANON);
		}
		memcpy(d, c, hlen);
		d[5] = SEG_KIND_LIVE;
		{
			struct seg_expect any = { .camera_pk = cam.pk };
			struct seg_opener *o = seg_opener_new(&any, NULL, NULL, NULL, NULL);
			T_EQ(seg_opener_write(o, d, hlen), SEG_EUNSUPPORTED);
			seg_opener_free(o);
		}
	}

	t_case("non-canonical body framing and stray tags (camera-signed)");
	{
		struct seg_seal_params p = params(7);
		struct fix_rec ok[] = { { 100, 3 } },
		    empty_final[] = { { 65536, 0 }, { 0, 3 } },
		    full_final[] = { { 65536, 0 }, { 65536, 3 } },
		    final_early[] = { { 65536, 3 }, { 100, 3 } },
		    no_final[] = { { 65536, 0 }, { 100, 0 } },
		    push_tag[] = { { 65536, 1 }, { 100, 3 } },
		    rekey_final[] = { { 65536, 0 }, { 100, 2 } },
		    short_rec[] = { { 100, 0 }, { 100, 3 } };
		uint8_t *x;
		size_t xlen;

#define RAW(recs, want, wantv) do { \
	x = fix_raw_container(&p, &cam, &r[ri], recs, \
	    sizeof(recs) / sizeof(recs[0]), &xlen); \
	T_EQ(try_open(&r[ri], x, xlen, NULL), want); \
	T_EQ(try_open(NULL, x, xlen, NULL), wantv); \
	free(x); } while (0)
		RAW(ok, SEG_OK, SEG_OK);
		RAW(empty_final, SEG_OK, SEG_OK);	/* allowed: final 0..65536 */
		RAW(full_final, SEG_OK, SEG_OK);
		RAW(final_early, SEG_EAFTERFINAL, SEG_OK);
		RAW(no_final, SEG_ENOFINAL, SEG_OK);
		RAW(push_tag, SEG_ENONCANON, SEG_OK);
		RAW(rekey_final, SEG_ENONCANON, SEG_OK);
		RAW(short_rec, SEG_EAUTH, SEG_OK);
#undef RAW
	}

	t_case("more than 4096 records: SEG_ETOOBIG (limit enforced by readers)");
	{
		struct seg_expect any = { .camera_pk = cam.pk };
		uint8_t *zero = calloc(1, 1 << 20);
		uint64_t body = (uint64_t)SEG_MAX_RECORDS * RC + 65, fed = 0;
		struct seg_opener *o = seg_opener_new(&any, NULL, NULL, NULL, NULL);
		int rc = seg_opener_write(o, c, hlen);

		/* Verify-only counts records without keys; zeros are enough. */
		while (rc == SEG_OK && fed < body) {
			size_t n = body - fed < (1 << 20) ? body - fed : (1 << 20);
			rc = seg_opener_write(o, zero, n);
			fed += n;
		}
		T_EQ(rc, SEG_ETOOBIG);
		T_ASSERT(fed > (uint64_t)(SEG_MAX_RECORDS - 1) * RC);
		seg_opener_free(o);
		/* One record fewer is within the limit (fails only on the signature). */
		o = seg_opener_new(&any, NULL, NULL, NULL, NULL);
		rc = seg_opener_write(o, c, hlen);
		body = (uint64_t)SEG_MAX_RECORDS * RC + 64;
		for (fed = 0; rc == SEG_OK && fed < body; fed += 1 << 20)
			rc = seg_opener_write(o, zero,
			    body - fed < (1 << 20) ? body - fed : (1 << 20));
		T_EQ(rc, SEG_OK);
		T_EQ(seg_opener_finish(o), SEG_EBADSIG);
		seg_opener_free(o);
		free(zero);
	}

	t_case("opener refuses use after finish; errors stick");
	{
		struct seg_opener *o = seg_opener_new(expect(7), r[ri].pk, r[ri].sk,
		    NULL, NULL);
		T_EQ(seg_opener_write(o, c, clen), SEG_OK);
		T_EQ(seg_opener_finish(o), SEG_OK);
		T_EQ(seg_opener_write(o, c, 1), SEG_ESTATE);
		T_EQ(seg_opener_finish(o), SEG_ESTATE);
		seg_opener_free(o);
		o = seg_opener_new(expect(7), r[ri].pk, r[ri].sk, NULL, NULL);
		T_EQ(seg_opener_write(o, (const uint8_t *)"SEAX", 4), SEG_EMAGIC);
		T_EQ(seg_opener_write(o, c + 4, clen - 4), SEG_EMAGIC);
		T_EQ(seg_opener_finish(o), SEG_EMAGIC);
		seg_opener_free(o);
	}

	free(d);
	free(c);
	free(src);
	return t_done();
}
