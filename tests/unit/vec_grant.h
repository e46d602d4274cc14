/*
 * vec_grant.h — vectors for consent grants (docs/FORMAT.md "Staff
 * directory", "Grants"): a staff key and its directory record, an
 * original-mode grant over two sealed segments (data keys re-wrapped to
 * the staff key), an anonymized-mode grant over an owner-signed
 * derivative, a revocation, an access record and every log commitment.
 * Included by vectors.c only (after vec_keys.h: vec_owner_vault).
 */
#include "grant.h"
#include "staff.h"
#include "tlog_entry.h"

#define VEC_STAFF_BOX_FILL 0x30
#define VEC_STAFF_SIGN_FILL 0x31
#define VEC_GRANT_T0 1795000000000ull

static void
vec_staff_keys(struct fix_box *box, struct fix_sign *sign)
{
	uint8_t seed[32];

	memset(seed, VEC_STAFF_BOX_FILL, 32);
	crypto_box_seed_keypair(box->pk, box->sk, seed);
	memset(seed, VEC_STAFF_SIGN_FILL, 32);
	crypto_sign_seed_keypair(sign->pk, sign->sk, seed);
}

/* Two 4 s segments of camera 0xc0 sealed to the owner's box key. */
static void
vec_grant_segments(const struct vault *owner, uint8_t *seg[2], size_t len[2])
{
	struct fix_sign cam;
	uint8_t seed[32], pt[3000];
	const uint8_t (*rcpt)[32] = (const uint8_t (*)[32])owner->box_pk;

	memset(seed, VEC_CAMERA_FILL, 32);
	crypto_sign_seed_keypair(cam.pk, cam.sk, seed);
	for (int i = 0; i < 2; i++) {
		struct seg_seal_params p = { .kind = SEG_KIND_SEGMENT, .seq = 41 + (uint64_t)i,
		    .start_ms = VEC_GRANT_T0 + 4000ull * (uint64_t)i, .duration_ms = 4000,
		    .epoch = 2, .recipients = rcpt, .nrecipients = 1 };
		for (size_t j = 0; j < sizeof(pt); j++)
			pt[j] = (uint8_t)(j * 7 + (size_t)i);
		if (seg_seal_buf(&p, cam.sk, pt, sizeof(pt), &seg[i], &len[i]) != SEG_OK)
			abort();
	}
}

/* A seed for tests/fuzz/grant.c: its first byte picks the parser. */
static void
vec_grant_corpus(const char *name, uint8_t target, const uint8_t *b, size_t n)
{
	uint8_t *s = malloc(n + 1);

	s[0] = target;
	memcpy(s + 1, b, n);
	vj_corpus("grant", name, s, n + 1);
	free(s);
}

static json_t *
vec_grant_make(void)
{
	json_t *doc = json_object(), *segs = json_array(), *neg = json_array(), *o;
	struct fix_box sbox;
	struct fix_sign ssign, cam;
	struct vault owner;
	struct staff_record rec;
	struct grant g;
	struct grant_object objs[2], dobj;
	struct grant_revocation rv;
	static struct grant_access acc;
	static uint8_t gbuf[GRANT_MAX_BYTES], dbuf[GRANT_MAX_BYTES];
	uint8_t rbuf[STAFF_RECORD_MAX], revb[GRANT_REVOCATION_BYTES];
	uint8_t abuf[GRANT_ACCESS_MAX], c[32], seed[32], *seg[2], *deriv;
	size_t rlen, glen, dlen, alen, seglen[2], derivlen;
	char ks[STAFF_KEY_STRLEN + 1];

	detrand_reset("grant");
	vec_owner_vault(&owner);
	vec_staff_keys(&sbox, &ssign);
	memset(seed, VEC_CAMERA_FILL, 32);
	crypto_sign_seed_keypair(cam.pk, cam.sk, seed);
	json_object_set_new(doc, "description", json_string(
	    "Consent grants (docs/FORMAT.md 'Staff directory', 'Grants'). Keys: "
	    "owner vault box 0x20 / sign 0x21, camera 0xc0, staff box 0x30 / sign "
	    "0x31. Randomness (data keys, sealed boxes, stream headers) from the "
	    "test generator, so readers need none. 'negative': grants that must "
	    "be refused under owner_sign_pk, with the error."));

	/* The staff principal and its directory record. */
	memset(&rec, 0, sizeof(rec));
	rec.action = STAFF_ADDED;
	rec.role = STAFF_ROLE_SUPPORT;
	memcpy(rec.box_pk, sbox.pk, 32);
	memcpy(rec.sign_pk, ssign.pk, 32);
	rec.time_ms = VEC_GRANT_T0 - 86400000ull;
	snprintf(rec.name, sizeof(rec.name), "Support (Jo)");
	if (staff_record_encode(&rec, rbuf, sizeof(rbuf), &rlen) != 0 ||
	    staff_record_parse(rbuf, rlen, &rec) != 0)
		abort();
	staff_key_format(sbox.pk, ssign.pk, ks);
	o = json_object();
	memset(seed, VEC_STAFF_BOX_FILL, 32);
	json_object_set_new(o, "box_seed", vj_hex(seed, 32));
	json_object_set_new(o, "box_pk", vj_hex(sbox.pk, 32));
	memset(seed, VEC_STAFF_SIGN_FILL, 32);
	json_object_set_new(o, "sign_seed", vj_hex(seed, 32));
	json_object_set_new(o, "sign_pk", vj_hex(ssign.pk, 32));
	json_object_set_new(o, "principal_id", vj_hex(rec.principal_id, 16));
	json_object_set_new(o, "key_string", json_string(ks));
	json_object_set_new(o, "record", vj_hex(rbuf, rlen));
	tlog_commit("sealcam-logstaff", rbuf, rlen, c);
	json_object_set_new(o, "record_commitment", vj_hex(c, 32));
	json_object_set_new(doc, "staff", o);
	vec_grant_corpus("staff-record", 3, rbuf, rlen);

	/* An original-mode grant over two segments. */
	vec_grant_segments(&owner, seg, seglen);
	memset(&g, 0, sizeof(g));
	g.mode = GRANT_MODE_ORIGINAL;
	detrand_buf(g.grant_id, 16);
	memcpy(g.camera_pk, cam.pk, 32);
	memcpy(g.grantee_box_pk, sbox.pk, 32);
	memcpy(g.grantee_sign_pk, ssign.pk, 32);
	g.from_ms = VEC_GRANT_T0;
	g.until_ms = VEC_GRANT_T0 + 8000;
	g.created_ms = VEC_GRANT_T0 + 3600000ull;
	g.expires_ms = g.created_ms + 7 * 86400000ull;
	snprintf(g.purpose, sizeof(g.purpose), "Ticket 4711: the doorbell misses evening rings");
	for (int i = 0; i < 2; i++) {
		struct seg_header h;
		json_t *so = json_object();

		if (seg_header_parse(seg[i], seglen[i], &h) != SEG_OK ||
		    seg_rewrap(&h, owner.box_pk, owner.box_sk, sbox.pk,
		    objs[i].sealed_key) != SEG_OK)
			abort();
		objs[i].kind = SEG_KIND_SEGMENT;
		objs[i].seq = h.seq;
		objs[i].start_ms = h.start_ms;
		objs[i].duration_ms = h.duration_ms;
		memcpy(objs[i].header_hash, h.hash, 32);
		json_object_set_new(so, "seq", json_integer((json_int_t)h.seq));
		json_object_set_new(so, "sealed", vj_hex(seg[i], seglen[i]));
		json_object_set_new(so, "header_hash", vj_hex(h.hash, 32));
		json_object_set_new(so, "sealed_key_to_grantee", vj_hex(objs[i].sealed_key, 80));
		json_array_append_new(segs, so);
	}
	g.n = 2;
	g.obj = objs;
	if (grant_sign(&g, owner.sign_sk, gbuf, sizeof(gbuf), &glen) != GRANT_OK)
		abort();
	o = json_object();
	json_object_set_new(o, "grant_id", vj_hex(g.grant_id, 16));
	json_object_set_new(o, "purpose", json_string(g.purpose));
	json_object_set_new(o, "from_ms", json_integer((json_int_t)g.from_ms));
	json_object_set_new(o, "until_ms", json_integer((json_int_t)g.until_ms));
	json_object_set_new(o, "created_ms", json_integer((json_int_t)g.created_ms));
	json_object_set_new(o, "expires_ms", json_integer((json_int_t)g.expires_ms));
	json_object_set_new(o, "segments", segs);
	json_object_set_new(o, "signed", vj_hex(gbuf, glen));
	grant_commitment(gbuf, glen, c);
	json_object_set_new(o, "commitment", vj_hex(c, 32));
	json_object_set_new(doc, "owner_sign_pk", vj_hex(owner.sign_pk, 32));
	json_object_set_new(doc, "camera_pk", vj_hex(cam.pk, 32));
	json_object_set_new(doc, "original", o);
	vec_grant_corpus("original", 0, gbuf, glen);

	/* Its revocation. */
	memcpy(rv.grant_id, g.grant_id, 16);
	rv.revoked_ms = g.created_ms + 86400000ull;
	if (grant_revocation_sign(&rv, owner.sign_sk, revb) != GRANT_OK)
		abort();
	vec_grant_corpus("revocation", 1, revb, sizeof(revb));
	o = json_object();
	json_object_set_new(o, "revoked_ms", json_integer((json_int_t)rv.revoked_ms));
	json_object_set_new(o, "signed", vj_hex(revb, sizeof(revb)));
	grant_commitment(revb, sizeof(revb), c);
	json_object_set_new(o, "commitment", vj_hex(c, 32));
	json_object_set_new(doc, "revocation", o);

	/* An access record of both segments. */
	memset(&acc, 0, sizeof(acc));
	detrand_buf(acc.access_id, 16);
	memcpy(acc.grant_id, g.grant_id, 16);
	memcpy(acc.principal_id, rec.principal_id, 16);
	seg_camera_id(cam.pk, acc.camera_id);
	acc.time_ms = g.created_ms + 60000;
	acc.n = 2;
	acc.obj[0] = (struct grant_access_obj){ SEG_KIND_SEGMENT, objs[0].seq };
	acc.obj[1] = (struct grant_access_obj){ SEG_KIND_SEGMENT, objs[1].seq };
	if (grant_access_encode(&acc, abuf, sizeof(abuf), &alen) != GRANT_OK)
		abort();
	o = json_object();
	json_object_set_new(o, "record", vj_hex(abuf, alen));
	grant_access_commitment(abuf, alen, c);
	json_object_set_new(o, "commitment", vj_hex(c, 32));
	json_object_set_new(doc, "access", o);
	vec_grant_corpus("access", 2, abuf, alen);

	/* An anonymized-mode grant: the derivative is sealed to the grantee
	 * (and the owner) and signed by the owner key, whose camera-id-form
	 * is the container's camera id. */
	{
		struct fix_sign osign;
		uint8_t rcpt[2][32];
		struct seg_seal_params p = { .kind = SEG_KIND_DERIVATIVE, .seq = 1,
		    .start_ms = g.from_ms, .duration_ms = (uint32_t)(g.until_ms - g.from_ms),
		    .epoch = 0, .nrecipients = 2 };
		struct seg_header h;
		uint8_t pt[2000];

		memcpy(osign.pk, owner.sign_pk, 32);
		memcpy(osign.sk, owner.sign_sk, 64);
		memcpy(rcpt[0], sbox.pk, 32);
		memcpy(rcpt[1], owner.box_pk, 32);
		p.recipients = (const uint8_t (*)[32])rcpt;
		for (size_t j = 0; j < sizeof(pt); j++)
			pt[j] = (uint8_t)(j * 13);
		if (seg_seal_buf(&p, osign.sk, pt, sizeof(pt), &deriv, &derivlen) != SEG_OK ||
		    seg_header_parse(deriv, derivlen, &h) != SEG_OK)
			abort();
		memset(&dobj, 0, sizeof(dobj));
		dobj.kind = SEG_KIND_DERIVATIVE;
		dobj.seq = 1;
		dobj.start_ms = h.start_ms;
		dobj.duration_ms = h.duration_ms;
		memcpy(dobj.header_hash, h.hash, 32);
		g.mode = GRANT_MODE_ANONYMIZED;
		detrand_buf(g.grant_id, 16);
		snprintf(g.purpose, sizeof(g.purpose), "Research: porch lighting study");
		g.n = 1;
		g.obj = &dobj;
		if (grant_sign(&g, owner.sign_sk, dbuf, sizeof(dbuf), &dlen) != GRANT_OK)
			abort();
		o = json_object();
		json_object_set_new(o, "grant_id", vj_hex(g.grant_id, 16));
		json_object_set_new(o, "derivative", vj_hex(deriv, derivlen));
		json_object_set_new(o, "derivative_plaintext_len", json_integer((json_int_t)sizeof(pt)));
		json_object_set_new(o, "signed", vj_hex(dbuf, dlen));
		grant_commitment(dbuf, dlen, c);
		json_object_set_new(o, "commitment", vj_hex(c, 32));
		json_object_set_new(doc, "anonymized", o);
		vec_grant_corpus("anonymized", 0, dbuf, dlen);
		sodium_memzero(osign.sk, 64);
		free(deriv);
	}

	/* Refusals. */
#define NEGG(name, bytes, n, err) do { \
	json_t *no = json_object(); \
	json_object_set_new(no, "name", json_string(name)); \
	json_object_set_new(no, "signed", vj_hex(bytes, n)); \
	json_object_set_new(no, "error", json_string(err)); \
	json_array_append_new(neg, no); } while (0)
	{
		static uint8_t b2[GRANT_MAX_BYTES];
		size_t l2;
		struct fix_sign other;

		memcpy(b2, gbuf, glen);
		b2[glen - 1] ^= 1;
		NEGG("signature bit flipped", b2, glen, "GRANT_EBADSIG");
		memcpy(b2, gbuf, glen);
		b2[GRANT_FIXED_BYTES + strlen("Ticket 4711: the doorbell misses evening rings") + 8] ^= 1;
		NEGG("first object's seq changed", b2, glen, "GRANT_EBADSIG");
		memset(seed, 0xee, 32);
		crypto_sign_seed_keypair(other.pk, other.sk, seed);
		g.mode = GRANT_MODE_ORIGINAL;
		g.n = 2;
		g.obj = objs;
		if (grant_sign(&g, other.sk, b2, sizeof(b2), &l2) != GRANT_OK)
			abort();
		NEGG("signed by a foreign key", b2, l2, "GRANT_EWRONGOWNER");
		NEGG("truncated", gbuf, glen - 1, "GRANT_EMALFORMED");
	}
#undef NEGG
	json_object_set_new(doc, "negative", neg);
	free(seg[0]);
	free(seg[1]);
	vault_wipe(&owner);
	return doc;
}

static int
grant_err_from_name(const char *n)
{
	if (n == NULL)
		return 1;
	return strcmp(n, "GRANT_EBADSIG") == 0 ? GRANT_EBADSIG :
	    strcmp(n, "GRANT_EWRONGOWNER") == 0 ? GRANT_EWRONGOWNER :
	    strcmp(n, "GRANT_EMALFORMED") == 0 ? GRANT_EMALFORMED : 1;
}

static void
vec_grant_check(const json_t *doc)
{
	const json_t *st = json_object_get(doc, "staff"), *orig = json_object_get(doc, "original");
	const json_t *an = json_object_get(doc, "anonymized"), *o;
	uint8_t owner_pk[32], cam_pk[32], box_pk[32], box_sk[32], sign_pk[32], seed[32];
	uint8_t c[32], want[32], key[32], *buf, *seg;
	struct staff_record rec;
	struct grant g;
	static struct grant_access acc;
	struct grant_revocation rv;
	size_t len, slen, i;

	T_ASSERT(vj_unhex(doc, "owner_sign_pk", owner_pk, 32) == 0 &&
	    vj_unhex(doc, "camera_pk", cam_pk, 32) == 0 &&
	    vj_unhex(st, "box_seed", seed, 32) == 0 && vj_unhex(st, "sign_pk", sign_pk, 32) == 0);
	crypto_box_seed_keypair(box_pk, box_sk, seed);

	/* The directory record names the key string's keys. */
	buf = vj_unhex_alloc(st, "record", &len);
	T_ASSERT(buf != NULL && staff_record_parse(buf, len, &rec) == 0);
	T_MEMEQ(rec.box_pk, box_pk, 32);
	T_MEMEQ(rec.sign_pk, sign_pk, 32);
	tlog_commit("sealcam-logstaff", buf, len, c);
	T_ASSERT(vj_unhex(st, "record_commitment", want, 32) == 0);
	T_MEMEQ(c, want, 32);
	free(buf);
	{
		uint8_t b2[32], s2[32];
		T_EQ(staff_key_parse(json_string_value(json_object_get(st, "key_string")), b2, s2), 0);
		T_MEMEQ(b2, box_pk, 32);
		T_MEMEQ(s2, sign_pk, 32);
	}

	/* The original grant verifies, and each wrapped key opens its segment
	 * for the staff key. */
	buf = vj_unhex_alloc(orig, "signed", &len);
	T_ASSERT(buf != NULL);
	T_EQ(grant_verify(buf, len, owner_pk, &g), GRANT_OK);
	grant_commitment(buf, len, c);
	T_ASSERT(vj_unhex(orig, "commitment", want, 32) == 0);
	T_MEMEQ(c, want, 32);
	T_EQ(g.n, 2);
	json_array_foreach(json_object_get(orig, "segments"), i, o) {
		struct seg_expect e = { .camera_pk = cam_pk, .kind = SEG_KIND_SEGMENT,
		    .check_seq = 1, .seq = g.obj[i].seq };
		struct seg_opener *op;
		struct seg_header h;

		seg = vj_unhex_alloc(o, "sealed", &slen);
		T_ASSERT(seg != NULL && seg_header_parse(seg, slen, &h) == SEG_OK);
		T_MEMEQ(h.hash, g.obj[i].header_hash, 32);
		T_EQ(seg_unwrap_key(&h, box_pk, box_sk, key), SEG_ENOTRECIPIENT);
		T_EQ(seg_unseal_key(g.obj[i].sealed_key, box_pk, box_sk, key), SEG_OK);
		op = seg_opener_new_with_key(&e, key, NULL, NULL);
		T_ASSERT(op != NULL && seg_opener_write(op, seg, slen) == SEG_OK &&
		    seg_opener_finish(op) == SEG_OK);
		seg_opener_free(op);
		free(seg);
	}
	T_EQ(i, 2);
	free(buf);

	/* Revocation and access record. */
	o = json_object_get(doc, "revocation");
	buf = vj_unhex_alloc(o, "signed", &len);
	T_ASSERT(buf != NULL && grant_revocation_verify(buf, len, owner_pk, &rv) == GRANT_OK);
	T_MEMEQ(rv.grant_id, g.grant_id, 16);
	free(buf);
	o = json_object_get(doc, "access");
	buf = vj_unhex_alloc(o, "record", &len);
	T_ASSERT(buf != NULL && grant_access_parse(buf, len, &acc) == GRANT_OK);
	T_MEMEQ(acc.grant_id, g.grant_id, 16);
	T_MEMEQ(acc.principal_id, rec.principal_id, 16);
	grant_access_commitment(buf, len, c);
	T_ASSERT(vj_unhex(o, "commitment", want, 32) == 0);
	T_MEMEQ(c, want, 32);
	free(buf);
	grant_clear(&g);

	/* The anonymized grant's derivative opens for the staff key under the
	 * owner's signing key. */
	buf = vj_unhex_alloc(an, "signed", &len);
	seg = vj_unhex_alloc(an, "derivative", &slen);
	T_ASSERT(buf != NULL && seg != NULL);
	T_EQ(grant_verify(buf, len, owner_pk, &g), GRANT_OK);
	{
		struct seg_expect e = { .camera_pk = owner_pk, .kind = SEG_KIND_DERIVATIVE,
		    .check_seq = 1, .seq = 1 };
		struct seg_header h;
		uint8_t *pt = NULL;
		size_t ptlen = 0;

		T_EQ(seg_open_buf(&e, box_pk, box_sk, seg, slen, &pt, &ptlen, &h), SEG_OK);
		T_MEMEQ(h.hash, g.obj[0].header_hash, 32);
		T_EQ(ptlen, json_integer_value(json_object_get(an, "derivative_plaintext_len")));
		free(pt);
	}
	grant_clear(&g);
	free(buf);
	free(seg);

	json_array_foreach(json_object_get(doc, "negative"), i, o) {
		buf = vj_unhex_alloc(o, "signed", &len);
		T_ASSERT(buf != NULL);
		T_EQ(grant_verify(buf, len, owner_pk, &g),
		    grant_err_from_name(json_string_value(json_object_get(o, "error"))));
		free(buf);
	}
	T_EQ(i, 4);
	sodium_memzero(box_sk, 32);
}
