/*
 * vec_seg.h — vectors for ids (key id, camera id) and the sealed container.
 * Included by vectors.c only (one test program per .c).
 */

/* Fixed keys shared by all vector files (and the fuzz harnesses). */
#define VEC_CAMERA_FILL 0xc0
#define VEC_CAMERA2_FILL 0xc1
#define VEC_RECIPIENT_FILL 0x10	/* recipients 0x10, 0x11, 0x12 */
#define VEC_STRANGER_FILL 0x99

/* Error names as they appear in the vector files. */

static const struct {
	int code;
	const char *name;
} seg_err_names[] = {
	{ SEG_OK, "SEG_OK" },
	{ SEG_EMORE, "SEG_EMORE" },
	{ SEG_ETRUNCATED, "SEG_ETRUNCATED" },
	{ SEG_EMAGIC, "SEG_EMAGIC" },
	{ SEG_EVERSION, "SEG_EVERSION" },
	{ SEG_ENONCANON, "SEG_ENONCANON" },
	{ SEG_ETOOBIG, "SEG_ETOOBIG" },
	{ SEG_ENOTRECIPIENT, "SEG_ENOTRECIPIENT" },
	{ SEG_EKEY, "SEG_EKEY" },
	{ SEG_EAUTH, "SEG_EAUTH" },
	{ SEG_ENOFINAL, "SEG_ENOFINAL" },
	{ SEG_EAFTERFINAL, "SEG_EAFTERFINAL" },
	{ SEG_EBADSIG, "SEG_EBADSIG" },
	{ SEG_EWRONGCAMERA, "SEG_EWRONGCAMERA" },
	{ SEG_EWRONGSEQ, "SEG_EWRONGSEQ" },
	{ SEG_EWRONGKIND, "SEG_EWRONGKIND" },
	{ SEG_EINVAL, "SEG_EINVAL" },
	{ SEG_ENOMEM, "SEG_ENOMEM" },
	{ SEG_EWRITE, "SEG_EWRITE" },
	{ SEG_EUNSUPPORTED, "SEG_EUNSUPPORTED" },
	{ SEG_ESTATE, "SEG_ESTATE" },
	{ SEG_EDUPLICATE, "SEG_EDUPLICATE" },
};

static const char *
seg_err_name(int code)
{
	for (size_t i = 0; i < sizeof(seg_err_names) / sizeof(seg_err_names[0]); i++)
		if (seg_err_names[i].code == code)
			return seg_err_names[i].name;
	return "?";
}

static json_t *
vec_ids_make(void)
{
	json_t *doc = json_object(), *kids = json_array(), *cids = json_array();

	json_object_set_new(doc, "description", json_string(
	    "key_id = first 8 bytes of BLAKE2b-256(\"sealcam-keyid\" NUL-padded "
	    "to 16 bytes || X25519 pk); camera_id = first 16 bytes of "
	    "BLAKE2b-256(\"sealcam-camid\" NUL-padded to 16 || Ed25519 pk)"));
	for (int i = 0; i < 3; i++) {
		json_t *o = json_object();
		struct fix_box k;
		vj_seed_box(o, (uint8_t)(VEC_RECIPIENT_FILL + i), &k);
		json_array_append_new(kids, o);
	}
	for (int i = 0; i < 2; i++) {
		json_t *o = json_object();
		struct fix_sign k;
		uint8_t id[16];
		vj_seed_sign(o, "camera", (uint8_t)(VEC_CAMERA_FILL + i), &k);
		seg_camera_id(k.pk, id);
		json_object_set_new(o, "camera_id", vj_hex(id, 16));
		json_array_append_new(cids, o);
	}
	json_object_set_new(doc, "key_ids", kids);
	json_object_set_new(doc, "camera_ids", cids);
	return doc;
}

static void
vec_ids_check(const json_t *doc)
{
	size_t i;
	json_t *o;

	json_array_foreach(json_object_get(doc, "key_ids"), i, o) {
		uint8_t pk[32], want[8], got[8];
		T_ASSERT(vj_unhex(o, "pk", pk, 32) == 0);
		T_ASSERT(vj_unhex(o, "key_id", want, 8) == 0);
		seg_key_id(pk, got);
		T_MEMEQ(got, want, 8);
	}
	T_EQ(i, 3);
	json_array_foreach(json_object_get(doc, "camera_ids"), i, o) {
		uint8_t pk[32], want[16], got[16];
		T_ASSERT(vj_unhex(o, "camera_pk", pk, 32) == 0);
		T_ASSERT(vj_unhex(o, "camera_id", want, 16) == 0);
		seg_camera_id(pk, got);
		T_MEMEQ(got, want, 16);
	}
	T_EQ(i, 2);
}

static const struct cvec {
	const char *name;
	uint8_t kind, flags;
	uint64_t seq;
	unsigned nrec;
	size_t ptlen;
} cvecs[] = {
	{ "empty", SEG_KIND_SEGMENT, 0, 0, 1, 0 },
	{ "small-event", SEG_KIND_EVENT, SEG_FLAG_EVENT, 42, 3, 1000 },
	{ "exact-record", SEG_KIND_SEGMENT, 0, 7, 1, 65536 },
	{ "multi-record", SEG_KIND_SEGMENT, 0, 8, 3, 150000 },
};

static json_t *
container_vec(const struct cvec *v, uint8_t **sealed_out, size_t *sealed_len)
{
	json_t *o = json_object(), *recs = json_array(), *rl = json_array();
	struct fix_sign cam;
	struct fix_box r[3];
	uint8_t pks[3][32], *pt, *c, key[32], bh[32], msg[80];
	size_t clen, pos;
	struct seg_header h;
	char label[64];
	struct seg_seal_params p = {
		.kind = v->kind, .flags = v->flags, .seq = v->seq,
		.start_ms = 1764000000000ull + v->seq * 4000, .duration_ms = 4000,
		.epoch = 1, .recipients = (const uint8_t (*)[32])pks,
		.nrecipients = v->nrec,
	};

	json_object_set_new(o, "name", json_string(v->name));
	json_object_set_new(o, "kind", json_integer(v->kind));
	json_object_set_new(o, "flags", json_integer(v->flags));
	json_object_set_new(o, "seq", json_integer((json_int_t)v->seq));
	json_object_set_new(o, "start_ms", json_integer((json_int_t)p.start_ms));
	json_object_set_new(o, "duration_ms", json_integer(p.duration_ms));
	json_object_set_new(o, "epoch", json_integer(p.epoch));
	vj_seed_sign(o, "camera", VEC_CAMERA_FILL, &cam);
	{
		uint8_t id[16];
		seg_camera_id(cam.pk, id);
		json_object_set_new(o, "camera_id", vj_hex(id, 16));
	}
	for (unsigned i = 0; i < v->nrec; i++) {
		json_t *ro = json_object();
		vj_seed_box(ro, (uint8_t)(VEC_RECIPIENT_FILL + i), &r[i]);
		memcpy(pks[i], r[i].pk, 32);
		json_array_append_new(rl, ro);
	}
	json_object_set_new(o, "recipients", rl);

	pt = fix_plaintext(v->ptlen);
	snprintf(label, sizeof(label), "container/%s", v->name);
	detrand_reset(label);
	if (seg_seal_buf(&p, cam.sk, pt, v->ptlen, &c, &clen) != SEG_OK ||
	    seg_header_parse(c, clen, &h) != SEG_OK ||
	    seg_unwrap_key(&h, r[0].pk, r[0].sk, key) != SEG_OK)
		abort();
	json_object_set_new(o, "data_key", vj_hex(key, 32));
	json_object_set_new(o, "ss_header", vj_hex(h.ss_header, 24));
	json_object_set_new(o, "plaintext_len", json_integer((json_int_t)v->ptlen));
	json_object_set_new(o, "plaintext", vj_hex(pt, v->ptlen));
	json_object_set_new(o, "header_len", json_integer((json_int_t)h.len));
	json_object_set_new(o, "header", vj_hex(c, h.len));
	json_object_set_new(o, "header_hash", vj_hex(h.hash, 32));
	crypto_generichash(bh, 32, c + h.len, clen - h.len - 64, NULL, 0);
	json_object_set_new(o, "body_hash", vj_hex(bh, 32));
	memset(msg, 0, 16);
	memcpy(msg, "sealcam-seal-v1", 15);
	memcpy(msg + 16, h.hash, 32);
	memcpy(msg + 48, bh, 32);
	json_object_set_new(o, "signed_message", vj_hex(msg, 80));
	json_object_set_new(o, "signature", vj_hex(c + clen - 64, 64));
	for (pos = h.len; pos < clen - 64; pos += SEG_RECORD_CBYTES) {
		json_t *ro = json_object();
		size_t n = clen - 64 - pos;
		int last = n <= SEG_RECORD_CBYTES;
		if (!last)
			n = SEG_RECORD_CBYTES;
		json_object_set_new(ro, "offset", json_integer((json_int_t)pos));
		json_object_set_new(ro, "ciphertext_len", json_integer((json_int_t)n));
		json_object_set_new(ro, "plaintext_len",
		    json_integer((json_int_t)(n - SEG_RECORD_ABYTES)));
		json_object_set_new(ro, "tag", json_string(last ? "FINAL" : "MESSAGE"));
		json_array_append_new(recs, ro);
	}
	json_object_set_new(o, "records", recs);
	json_object_set_new(o, "sealed_len", json_integer((json_int_t)clen));
	json_object_set_new(o, "sealed", vj_hex(c, clen));
	sodium_memzero(key, sizeof(key));
	free(pt);
	*sealed_out = c;
	*sealed_len = clen;
	return o;
}

/* A negative case: bytes, who reads, what is expected, which error. */
static json_t *
neg_case(const char *name, const char *what, const uint8_t *c, size_t n,
    const struct fix_box *reader, const uint8_t *camera_pk, unsigned kind,
    uint64_t seq)
{
	json_t *o = json_object();
	uint8_t *pt = NULL;
	size_t ptlen;
	struct seg_expect e = { .camera_pk = camera_pk, .kind = (uint8_t)kind,
	    .check_seq = 1, .seq = seq };
	int rc = seg_open_buf(&e, reader->pk, reader->sk, c, n, &pt, &ptlen, NULL);

	free(pt);
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "what", json_string(what));
	json_object_set_new(o, "reader_pk", vj_hex(reader->pk, 32));
	json_object_set_new(o, "reader_sk", vj_hex(reader->sk, 32));
	json_object_set_new(o, "expect_camera_pk", vj_hex(camera_pk, 32));
	json_object_set_new(o, "expect_kind", json_integer(kind));
	json_object_set_new(o, "expect_seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "sealed", vj_hex(c, n));
	json_object_set_new(o, "error", json_string(seg_err_name(rc)));
	return o;
}

static json_t *
vec_container_make(void)
{
	json_t *doc = json_object(), *vs = json_array(), *neg = json_array();
	uint8_t *small = NULL, *d;
	size_t smalllen = 0;
	struct fix_box r0, stranger;
	struct fix_sign cam, cam2;
	uint8_t seed[32];

	json_object_set_new(doc, "description", json_string(
	    "Sealed containers (docs/FORMAT.md). Plaintext byte i = (7*i + 3) "
	    "mod 256. Open with any recipient's sk; 'negative' lists altered "
	    "containers and the error a reader must give."));
	for (size_t i = 0; i < sizeof(cvecs) / sizeof(cvecs[0]); i++) {
		uint8_t *c;
		size_t clen;
		json_array_append_new(vs, container_vec(&cvecs[i], &c, &clen));
		vj_corpus("seg_open", cvecs[i].name, c, clen);
		vj_corpus("seg_header", cvecs[i].name, c,
		    clen < SEG_HEADER_MAX ? clen : SEG_HEADER_MAX);
		if (strcmp(cvecs[i].name, "small-event") == 0) {
			small = c;
			smalllen = clen;
		} else {
			free(c);
		}
	}
	json_object_set_new(doc, "vectors", vs);

	memset(seed, VEC_RECIPIENT_FILL, 32);
	crypto_box_seed_keypair(r0.pk, r0.sk, seed);
	memset(seed, VEC_STRANGER_FILL, 32);
	crypto_box_seed_keypair(stranger.pk, stranger.sk, seed);
	memset(seed, VEC_CAMERA_FILL, 32);
	crypto_sign_seed_keypair(cam.pk, cam.sk, seed);
	memset(seed, VEC_CAMERA2_FILL, 32);
	crypto_sign_seed_keypair(cam2.pk, cam2.sk, seed);
	d = malloc(smalllen);
	/* small-event: header 72 + 3*88 = 336, one record of 1017, trailer. */
#define NEG(name, what, mutate, len, reader, campk, kind, seq) do { \
	memcpy(d, small, smalllen); mutate; \
	json_array_append_new(neg, neg_case(name, what, d, len, reader, campk, \
	    kind, seq)); } while (0)
	NEG("genuine", "unaltered (must open)", (void)0, smalllen, &r0, cam.pk, 2, 42);
	NEG("record-bit", "bit 0 of body byte 10 flipped", d[336 + 10] ^= 1,
	    smalllen, &r0, cam.pk, 2, 42);
	NEG("trailer-bit", "bit 7 of the last byte flipped", d[smalllen - 1] ^= 0x80,
	    smalllen, &r0, cam.pk, 2, 42);
	NEG("no-trailer", "last 64 bytes cut off", (void)0, smalllen - 64, &r0,
	    cam.pk, 2, 42);
	NEG("start-time", "start_ms low byte (offset 39) flipped", d[39] ^= 1,
	    smalllen, &r0, cam.pk, 2, 42);
	NEG("wrong-seq", "reader asks for sequence 43", (void)0, smalllen, &r0,
	    cam.pk, 2, 43);
	NEG("wrong-kind", "reader asks for kind 1", (void)0, smalllen, &r0,
	    cam.pk, 1, 42);
	NEG("wrong-camera", "reader expects another camera key", (void)0,
	    smalllen, &r0, cam2.pk, 2, 42);
	NEG("not-recipient", "reader's key is not in the stanzas", (void)0,
	    smalllen, &stranger, cam.pk, 2, 42);
	NEG("version", "version byte set to 2", d[4] = 2, smalllen, &r0, cam.pk,
	    2, 42);
	NEG("unsorted", "stanzas 0 and 1 swapped",
	    (memcpy(d + 72, small + 160, 88), memcpy(d + 160, small + 72, 88)),
	    smalllen, &r0, cam.pk, 2, 42);
	NEG("flag-bit", "reserved flag bit 1 set", d[6] |= 2, smalllen, &r0,
	    cam.pk, 2, 42);
#undef NEG
	json_object_set_new(doc, "negative", neg);
	free(d);
	free(small);

	/* Valid framings this library's sealer does not write; readers accept. */
	{
		json_t *alt = json_array(), *o = json_object();
		struct fix_rec recs[] = { { 65536, 0 }, { 0, 3 } };
		uint8_t pk1[32];
		struct seg_seal_params p = { .kind = SEG_KIND_SEGMENT, .seq = 9,
		    .start_ms = 1764000036000ull, .duration_ms = 4000, .epoch = 1,
		    .recipients = (const uint8_t (*)[32])pk1, .nrecipients = 1 };
		uint8_t *x, *pt = fix_plaintext(65536);
		size_t xlen;

		memcpy(pk1, r0.pk, 32);
		detrand_reset("container/empty-final");
		x = fix_raw_container(&p, &cam, &r0, recs, 2, &xlen);
		json_object_set_new(o, "name", json_string("empty-final-after-full"));
		json_object_set_new(o, "what", json_string(
		    "65536 bytes as a full TAG_MESSAGE record and an empty TAG_FINAL "
		    "record (the final record may carry 0..65536 bytes)"));
		json_object_set_new(o, "kind", json_integer(p.kind));
		json_object_set_new(o, "seq", json_integer((json_int_t)p.seq));
		json_object_set_new(o, "camera_pk", vj_hex(cam.pk, 32));
		json_object_set_new(o, "reader_pk", vj_hex(r0.pk, 32));
		json_object_set_new(o, "reader_sk", vj_hex(r0.sk, 32));
		json_object_set_new(o, "plaintext", vj_hex(pt, 65536));
		json_object_set_new(o, "sealed", vj_hex(x, xlen));
		json_array_append_new(alt, o);
		json_object_set_new(doc, "alternative", alt);
		free(x);
		free(pt);
	}
	return doc;
}

static void
vec_container_check(const json_t *doc)
{
	size_t i, j;
	json_t *v, *r;

	json_array_foreach(json_object_get(doc, "vectors"), i, v) {
		uint8_t *c, *pt, *want, campk[32], hh[32], bh[32];
		size_t clen, wlen, ptlen;
		struct seg_header h;
		struct seg_expect e = { .camera_pk = campk, .check_seq = 1 };

		c = vj_unhex_alloc(v, "sealed", &clen);
		want = vj_unhex_alloc(v, "plaintext", &wlen);
		T_ASSERT(c != NULL && want != NULL);
		T_ASSERT(vj_unhex(v, "camera_pk", campk, 32) == 0);
		e.kind = (uint8_t)json_integer_value(json_object_get(v, "kind"));
		e.seq = (uint64_t)json_integer_value(json_object_get(v, "seq"));
		json_array_foreach(json_object_get(v, "recipients"), j, r) {
			uint8_t pk[32], sk[32];
			T_ASSERT(vj_unhex(r, "pk", pk, 32) == 0);
			T_ASSERT(vj_unhex(r, "sk", sk, 32) == 0);
			T_EQ(seg_open_buf(&e, pk, sk, c, clen, &pt, &ptlen, &h), SEG_OK);
			T_ASSERT(ptlen == wlen && memcmp(pt, want, wlen) == 0);
			free(pt);
		}
		T_EQ(seg_open_buf(&e, NULL, NULL, c, clen, NULL, NULL, NULL), SEG_OK);
		T_ASSERT(vj_unhex(v, "header_hash", hh, 32) == 0);
		T_MEMEQ(h.hash, hh, 32);
		T_ASSERT(vj_unhex(v, "body_hash", bh, 32) == 0);
		crypto_generichash(hh, 32, c + h.len, clen - h.len - 64, NULL, 0);
		T_MEMEQ(hh, bh, 32);
		free(c);
		free(want);
	}
	T_EQ(i, sizeof(cvecs) / sizeof(cvecs[0]));
	json_array_foreach(json_object_get(doc, "negative"), i, v) {
		uint8_t *c, rpk[32], rsk[32], campk[32], *pt = NULL;
		size_t clen, ptlen;
		struct seg_expect e = { .camera_pk = campk, .check_seq = 1 };
		const char *want = json_string_value(json_object_get(v, "error"));
		int rc;

		c = vj_unhex_alloc(v, "sealed", &clen);
		T_ASSERT(c != NULL && want != NULL);
		T_ASSERT(vj_unhex(v, "reader_pk", rpk, 32) == 0 &&
		    vj_unhex(v, "reader_sk", rsk, 32) == 0 &&
		    vj_unhex(v, "expect_camera_pk", campk, 32) == 0);
		e.kind = (uint8_t)json_integer_value(json_object_get(v, "expect_kind"));
		e.seq = (uint64_t)json_integer_value(json_object_get(v, "expect_seq"));
		rc = seg_open_buf(&e, rpk, rsk, c, clen, &pt, &ptlen, NULL);
		T_ASSERT(want != NULL && strcmp(seg_err_name(rc), want) == 0);
		/* Every case but the genuine one must fail. */
		T_ASSERT((i == 0) == (rc == SEG_OK));
		free(pt);
		free(c);
	}
	T_EQ(i, 12);
	json_array_foreach(json_object_get(doc, "alternative"), i, v) {
		uint8_t *c, *want, *pt, rpk[32], rsk[32], campk[32];
		size_t clen, wlen, ptlen;
		struct seg_expect e = { .camera_pk = campk, .check_seq = 1 };

		c = vj_unhex_alloc(v, "sealed", &clen);
		want = vj_unhex_alloc(v, "plaintext", &wlen);
		T_ASSERT(c != NULL && want != NULL &&
		    vj_unhex(v, "reader_pk", rpk, 32) == 0 &&
		    vj_unhex(v, "reader_sk", rsk, 32) == 0 &&
		    vj_unhex(v, "camera_pk", campk, 32) == 0);
		e.kind = (uint8_t)json_integer_value(json_object_get(v, "kind"));
		e.seq = (uint64_t)json_integer_value(json_object_get(v, "seq"));
		T_EQ(seg_open_buf(&e, rpk, rsk, c, clen, &pt, &ptlen, NULL), SEG_OK);
		T_ASSERT(ptlen == wlen && memcmp(pt, want, wlen) == 0);
		free(pt);
		free(c);
		free(want);
	}
	T_EQ(i, 1);
}
