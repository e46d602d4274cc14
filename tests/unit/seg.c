/*
 * seg — the sealed container round-trips: every size class, every chunking,
 * every recipient, streaming and whole-buffer, verify-only, re-wrapped keys.
 * Tampering and truncation are in seg_neg.c.
 */
#include "segfix.h"
#include "t.h"

static struct fix_sign cam;
static struct fix_box r[3], stranger;
static uint8_t rpks[3][32];

static struct seg_seal_params
params(uint64_t seq, unsigned n)
{
	struct seg_seal_params p = {
		.kind = SEG_KIND_SEGMENT, .flags = 0, .seq = seq,
		.start_ms = 1764000000000ull, .duration_ms = 4000, .epoch = 3,
		.recipients = (const uint8_t (*)[32])rpks, .nrecipients = n,
	};
	return p;
}

static struct seg_expect
expect(uint64_t seq)
{
	struct seg_expect e = { .camera_pk = cam.pk, .kind = SEG_KIND_SEGMENT,
	    .check_seq = 1, .seq = seq };
	return e;
}

/* Seal with the streaming sealer, feeding chunks of size chunk. */
static int
seal_stream(const struct seg_seal_params *p, const uint8_t *pt, size_t n,
    size_t chunk, struct fix_buf *out)
{
	struct seg_sealer *s = seg_sealer_new(p, cam.sk, fix_sink, out);
	int rc = SEG_OK;

	if (s == NULL)
		return seg_last_error();
	for (size_t off = 0; off < n && rc == SEG_OK; off += chunk)
		rc = seg_sealer_write(s, pt + off, n - off < chunk ? n - off : chunk);
	if (rc == SEG_OK)
		rc = seg_sealer_finish(s);
	seg_sealer_free(s);
	return rc;
}

/* Open with the streaming opener, feeding chunks of size chunk. */
static int
open_stream(const struct seg_expect *e, const struct fix_box *k,
    const uint8_t *c, size_t n, size_t chunk, struct fix_buf *out)
{
	struct seg_opener *o = seg_opener_new(e, k ? k->pk : NULL,
	    k ? k->sk : NULL, fix_sink, out);
	int rc = SEG_OK;

	if (o == NULL)
		return seg_last_error();
	for (size_t off = 0; off < n && rc == SEG_OK; off += chunk)
		rc = seg_opener_write(o, c + off, n - off < chunk ? n - off : chunk);
	if (rc == SEG_OK)
		rc = seg_opener_finish(o);
	seg_opener_free(o);
	return rc;
}

int
main(void)
{
	static const size_t sizes[] = { 0, 1, 17, 65535, 65536, 65537, 131072,
	    150000, 200001 };
	static const size_t chunks[] = { 1, 7, 4096, 65536, 65553, 65618, 1 << 20 };
	uint8_t *c, *pt;
	size_t clen, ptlen;
	struct seg_header h;

	if (sodium_init() < 0)
		return 1;
	fix_sign(&cam, 1);
	for (int i = 0; i < 3; i++) {
		fix_box(&r[i], (uint8_t)(10 + i));
		memcpy(rpks[i], r[i].pk, 32);
	}
	fix_box(&stranger, 99);

	t_case("ids: camera id and key id commit to the key");
	{
		uint8_t a[16], b[16], k1[8], k2[8];
		seg_camera_id(cam.pk, a);
		seg_camera_id(r[0].pk, b);
		T_ASSERT(memcmp(a, b, 16) != 0);
		seg_key_id(r[0].pk, k1);
		seg_key_id(r[1].pk, k2);
		T_ASSERT(memcmp(k1, k2, 8) != 0);
		/* Different labels: a key's id differs from its camera id prefix. */
		T_ASSERT(memcmp(k1, b, 8) != 0);
	}

	t_case("whole-buffer seal/open round-trips every size, any recipient");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct seg_seal_params p = params(i, 3);
		struct seg_expect e = expect(i);
		uint8_t *src = fix_plaintext(sizes[i]);

		T_EQ(seg_seal_buf(&p, cam.sk, src, sizes[i], &c, &clen), SEG_OK);
		T_EQ(clen, seg_sealed_size(3, sizes[i]));
		for (int k = 0; k < 3; k++) {
			T_EQ(seg_open_buf(&e, r[k].pk, r[k].sk, c, clen, &pt, &ptlen, &h),
			    SEG_OK);
			T_EQ(ptlen, sizes[i]);
			T_ASSERT(pt != NULL && memcmp(pt, src, sizes[i]) == 0);
			free(pt);
		}
		T_EQ(h.seq, i);
		T_EQ(h.nrecipients, 3);
		T_EQ(h.len, SEG_HEADER_FIXED + 3 * SEG_STANZA_BYTES);
		T_EQ(h.epoch, 3);
		T_EQ(h.duration_ms, 4000);
		T_ASSERT(h.start_ms == 1764000000000ull);
		/* The server's view: verify only, no key. */
		T_EQ(seg_open_buf(&e, NULL, NULL, c, clen, NULL, NULL, NULL), SEG_OK);
		free(c);
		free(src);
	}

	t_case("overhead: 400 bytes + 17 per 64 KiB record with 3 recipients");
	T_EQ(seg_sealed_size(3, 0) - 0, 400 + 17);
	T_EQ(seg_sealed_size(3, 2u << 20) - (2u << 20), 400 + 17 * 32);
	T_EQ(seg_sealed_size(1, 65537), 72 + 88 + 65537 + 2 * 17 + 64);

	t_case("streaming sealer and opener agree under every chunking");
	{
		size_t n = 200001;
		uint8_t *src = fix_plaintext(n);
		struct seg_seal_params p = params(77, 2);
		struct seg_expect e = expect(77);

		for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
			struct fix_buf sealed = { 0 }, plain = { 0 };

			T_EQ(seal_stream(&p, src, n, chunks[i], &sealed), SEG_OK);
			T_EQ(sealed.n, seg_sealed_size(2, n));
			for (size_t j = 0; j < sizeof(chunks) / sizeof(chunks[0]); j++) {
				plain.n = 0;
				T_EQ(open_stream(&e, &r[1], sealed.p, sealed.n,
				    chunks[j], &plain), SEG_OK);
				T_EQ(plain.n, n);
				T_ASSERT(plain.n == n && memcmp(plain.p, src, n) == 0);
			}
			T_EQ(open_stream(&e, NULL, sealed.p, sealed.n, chunks[i], NULL),
			    SEG_OK);
			fix_buf_free(&sealed);
			fix_buf_free(&plain);
		}
		free(src);
	}

	t_case("streaming sealer output opens with seg_open_buf (record sizes)");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct seg_seal_params p = params(5, 1);
		struct seg_expect e = expect(5);
		struct fix_buf sealed = { 0 };
		uint8_t *src = fix_plaintext(sizes[i]);

		T_EQ(seal_stream(&p, src, sizes[i], 65536, &sealed), SEG_OK);
		T_EQ(sealed.n, seg_sealed_size(1, sizes[i]));
		T_EQ(seg_open_buf(&e, r[0].pk, r[0].sk, sealed.p, sealed.n, &pt, &ptlen,
		    NULL), SEG_OK);
		T_ASSERT(ptlen == sizes[i] && memcmp(pt, src, ptlen) == 0);
		free(pt);
		free(src);
		fix_buf_free(&sealed);
	}

	t_case("header fields survive: kind, event flag, times, epoch");
	{
		struct seg_seal_params p = params(1ull << 40, 1);
		struct seg_expect e = { .camera_pk = cam.pk, .kind = SEG_KIND_THUMBNAIL,
		    .check_seq = 1, .seq = 1ull << 40 };
		p.kind = SEG_KIND_THUMBNAIL;
		p.flags = SEG_FLAG_EVENT;
		p.start_ms = UINT64_MAX - 1;
		p.duration_ms = UINT32_MAX;
		p.epoch = 0x01020304;
		T_EQ(seg_seal_buf(&p, cam.sk, (const uint8_t *)"jpeg", 4, &c, &clen),
		    SEG_OK);
		T_EQ(seg_header_parse(c, clen, &h), SEG_OK);
		T_EQ(h.kind, SEG_KIND_THUMBNAIL);
		T_EQ(h.flags, SEG_FLAG_EVENT);
		T_ASSERT(h.start_ms == UINT64_MAX - 1 && h.seq == 1ull << 40);
		T_ASSERT(h.duration_ms == UINT32_MAX && h.epoch == 0x01020304);
		T_EQ(c[SEG_HEADER_FIXED - 24 - 4], 0x01);	/* epoch big-endian at 44 */
		T_EQ(seg_open_buf(&e, r[0].pk, r[0].sk, c, clen, &pt, &ptlen, NULL),
		    SEG_OK);
		T_ASSERT(ptlen == 4 && memcmp(pt, "jpeg", 4) == 0);
		free(pt);
		free(c);
	}

	t_case("any kind and sequence accepted when the reader does not ask");
	{
		struct seg_seal_params p = params(9, 1);
		struct seg_expect e = { .camera_pk = cam.pk };
		p.kind = SEG_KIND_DERIVATIVE;
		T_EQ(seg_seal_buf(&p, cam.sk, (const uint8_t *)"x", 1, &c, &clen),
		    SEG_OK);
		T_EQ(seg_open_buf(&e, r[0].pk, r[0].sk, c, clen, &pt, &ptlen, &h),
		    SEG_OK);
		T_EQ(h.kind, SEG_KIND_DERIVATIVE);
		free(pt);
		free(c);
	}

	t_case("32 recipients: each one opens; 33 are refused");
	{
		struct fix_box many[33];
		uint8_t pks[33][32];
		struct seg_seal_params p = params(1, 32);
		struct seg_expect e = expect(1);

		for (int i = 0; i < 33; i++) {
			fix_box(&many[i], (uint8_t)(100 + i));
			memcpy(pks[i], many[i].pk, 32);
		}
		p.recipients = (const uint8_t (*)[32])pks;
		T_EQ(seg_seal_buf(&p, cam.sk, (const uint8_t *)"hi", 2, &c, &clen),
		    SEG_OK);
		T_EQ(clen, seg_sealed_size(32, 2));
		for (int i = 0; i < 32; i++) {
			T_EQ(seg_open_buf(&e, many[i].pk, many[i].sk, c, clen, &pt, &ptlen,
			    NULL), SEG_OK);
			free(pt);
		}
		T_EQ(seg_open_buf(&e, many[32].pk, many[32].sk, c, clen, &pt, &ptlen,
		    NULL), SEG_ENOTRECIPIENT);
		free(c);
		p.nrecipients = 33;
		T_EQ(seg_seal_buf(&p, cam.sk, (const uint8_t *)"hi", 2, &c, &clen),
		    SEG_EINVAL);
		T_ASSERT(c == NULL);
	}

	t_case("re-wrapped data key opens for the grantee only");
	{
		struct seg_seal_params p = params(3, 3);
		struct seg_expect e = expect(3);
		uint8_t sealed[80], key[32], zero[32] = { 0 };
		struct fix_box grantee;
		struct fix_buf plain = { 0 };
		struct seg_opener *o;
		uint8_t *src = fix_plaintext(100000);

		fix_box(&grantee, 55);
		T_EQ(seg_seal_buf(&p, cam.sk, src, 100000, &c, &clen), SEG_OK);
		T_EQ(seg_header_parse(c, clen, &h), SEG_OK);
		T_EQ(seg_rewrap(&h, r[2].pk, r[2].sk, grantee.pk, sealed), SEG_OK);
		T_EQ(seg_rewrap(&h, stranger.pk, stranger.sk, grantee.pk, sealed),
		    SEG_ENOTRECIPIENT);
		T_EQ(seg_rewrap(&h, r[2].pk, r[2].sk, grantee.pk, sealed), SEG_OK);
		T_EQ(seg_unseal_key(sealed, stranger.pk, stranger.sk, key), SEG_EKEY);
		T_MEMEQ(key, zero, 32);	/* wiped on failure */
		T_EQ(seg_unseal_key(sealed, grantee.pk, grantee.sk, key), SEG_OK);
		o = seg_opener_new_with_key(&e, key, fix_sink, &plain);
		sodium_memzero(key, sizeof(key));
		T_ASSERT(o != NULL);
		T_EQ(seg_opener_write(o, c, clen), SEG_OK);
		T_EQ(seg_opener_finish(o), SEG_OK);
		T_ASSERT(seg_opener_header(o) != NULL &&
		    seg_opener_header(o)->seq == 3);
		seg_opener_free(o);
		T_ASSERT(plain.n == 100000 && memcmp(plain.p, src, 100000) == 0);
		/* A wrong key fails at the first record. */
		memset(key, 7, 32);
		o = seg_opener_new_with_key(&e, key, NULL, NULL);
		T_EQ(seg_opener_write(o, c, clen), SEG_EAUTH);
		T_EQ(seg_opener_finish(o), SEG_EAUTH);	/* sticky */
		seg_opener_free(o);
		fix_buf_free(&plain);
		free(src);
		free(c);
	}

	t_case("sealer refuses bad parameters with specific codes");
	{
		struct seg_seal_params p = params(1, 3);
		uint8_t dup[2][32];

		memcpy(dup[0], r[0].pk, 32);
		memcpy(dup[1], r[0].pk, 32);
		p.recipients = (const uint8_t (*)[32])dup;
		p.nrecipients = 2;
		T_ASSERT(seg_sealer_new(&p, cam.sk, fix_sink, NULL) == NULL);
		T_EQ(seg_last_error(), SEG_EDUPLICATE);
		p = params(1, 0);
		T_EQ(seg_seal_buf(&p, cam.sk, NULL, 0, &c, &clen), SEG_EINVAL);
		p = params(1, 1);
		p.flags = 0x02;
		T_EQ(seg_seal_buf(&p, cam.sk, NULL, 0, &c, &clen), SEG_EINVAL);
		p = params(1, 1);
		p.kind = 6;
		T_EQ(seg_seal_buf(&p, cam.sk, NULL, 0, &c, &clen), SEG_EINVAL);
		p.kind = SEG_KIND_LIVE;
		T_EQ(seg_seal_buf(&p, cam.sk, NULL, 0, &c, &clen), SEG_EUNSUPPORTED);
		T_ASSERT(seg_sealer_new(NULL, cam.sk, fix_sink, NULL) == NULL);
		T_EQ(seg_last_error(), SEG_EINVAL);
	}

	t_case("sealer: size limit, use after finish, failing output");
	{
		struct seg_seal_params p = params(1, 1);
		struct fix_buf out = { 0 };
		struct seg_sealer *s = seg_sealer_new(&p, cam.sk, fix_sink, &out);
		uint8_t b[16] = { 0 };

		T_ASSERT(s != NULL);
		/* The limit is checked before a byte is read. */
		T_EQ(seg_sealer_write(s, b, (size_t)SEG_MAX_PLAINTEXT + 1), SEG_ETOOBIG);
		T_EQ(seg_sealer_finish(s), SEG_ETOOBIG);
		seg_sealer_free(s);
		out.n = 0;
		s = seg_sealer_new(&p, cam.sk, fix_sink, &out);
		T_EQ(seg_sealer_write(s, b, 16), SEG_OK);
		T_EQ(seg_sealer_finish(s), SEG_OK);
		T_EQ(seg_sealer_write(s, b, 16), SEG_ESTATE);
		T_EQ(seg_sealer_finish(s), SEG_ESTATE);
		seg_sealer_free(s);
		/* Header write fails: no sealer. */
		out.n = 0;
		out.fail_after = 1;
		out.calls = 0;
		T_ASSERT(seg_sealer_new(&p, cam.sk, fix_sink, &out) == NULL);
		T_EQ(seg_last_error(), SEG_EWRITE);
		/* Trailer write fails. */
		out.fail_after = 3;
		out.calls = 0;
		s = seg_sealer_new(&p, cam.sk, fix_sink, &out);
		T_ASSERT(s != NULL);
		T_EQ(seg_sealer_write(s, b, 16), SEG_OK);
		T_EQ(seg_sealer_finish(s), SEG_EWRITE);
		seg_sealer_free(s);
		T_ASSERT(seg_seal_buf(&p, cam.sk, b, (size_t)SEG_MAX_PLAINTEXT + 1,
		    &c, &clen) == SEG_ETOOBIG);
		fix_buf_free(&out);
		seg_sealer_free(NULL);
		seg_opener_free(NULL);
	}

	t_case("opener: failing plaintext output gives SEG_EWRITE");
	{
		struct seg_seal_params p = params(1, 1);
		struct seg_expect e = expect(1);
		uint8_t *src = fix_plaintext(200000);
		struct fix_buf out = { .fail_after = 2 };

		T_EQ(seg_seal_buf(&p, cam.sk, src, 200000, &c, &clen), SEG_OK);
		T_EQ(open_stream(&e, &r[0], c, clen, 1 << 20, &out), SEG_EWRITE);
		fix_buf_free(&out);
		free(src);
		free(c);
	}

	t_case("opener: bad arguments are refused");
	{
		struct seg_expect e = { 0 };
		T_ASSERT(seg_opener_new(&e, NULL, NULL, NULL, NULL) == NULL);
		T_EQ(seg_last_error(), SEG_EINVAL);
		e.camera_pk = cam.pk;
		T_ASSERT(seg_opener_new(&e, r[0].pk, NULL, NULL, NULL) == NULL);
		T_EQ(seg_last_error(), SEG_EINVAL);
		e.kind = SEG_KIND_LIVE;
		T_ASSERT(seg_opener_new(&e, NULL, NULL, NULL, NULL) == NULL);
		T_EQ(seg_last_error(), SEG_EUNSUPPORTED);
		e.kind = 9;
		T_ASSERT(seg_opener_new(&e, NULL, NULL, NULL, NULL) == NULL);
		T_EQ(seg_last_error(), SEG_EINVAL);
	}

	t_case("every error code has its own message");
	for (int a = SEG_EDUPLICATE; a <= SEG_OK; a++)
		for (int b = a + 1; b <= SEG_OK; b++)
			T_ASSERT(strcmp(seg_strerror(a), seg_strerror(b)) != 0);
	T_ASSERT(strcmp(seg_strerror(-1000), "unknown error") == 0);

	return t_done();
}
