/*
 * grant — grant documents, revocations, access records and staff
 * directory records: round trips, and every refusal (flipped signature,
 * foreign signer, ids that do not match their keys, unsorted or duplicate
 * objects, truncation, wrong mode/kind), plus the re-wrapped data key
 * opening the segment for the grantee only.
 */
#include <sodium.h>

#include "codec.h"
#include "grant.h"
#include "seg.h"
#include "staff.h"
#include "t.h"

static uint8_t owner_pk[32], owner_sk[64], other_pk[32], other_sk[64];
static uint8_t cam_pk[32], cam_sk[64];
static uint8_t owner_box_pk[32], owner_box_sk[32];
static uint8_t staff_box_pk[32], staff_box_sk[32], staff_sign_pk[32], staff_sign_sk[64];
static uint8_t stranger_box_pk[32], stranger_box_sk[32];

static void
seeds(void)
{
	uint8_t seed[32];

#define SEED(b) memset(seed, (b), sizeof(seed))
	SEED(0x21); crypto_sign_seed_keypair(owner_pk, owner_sk, seed);
	SEED(0x22); crypto_sign_seed_keypair(other_pk, other_sk, seed);
	SEED(0xc0); crypto_sign_seed_keypair(cam_pk, cam_sk, seed);
	SEED(0x20); crypto_box_seed_keypair(owner_box_pk, owner_box_sk, seed);
	SEED(0x30); crypto_box_seed_keypair(staff_box_pk, staff_box_sk, seed);
	SEED(0x31); crypto_sign_seed_keypair(staff_sign_pk, staff_sign_sk, seed);
	SEED(0x99); crypto_box_seed_keypair(stranger_box_pk, stranger_box_sk, seed);
#undef SEED
}

static void
make(struct grant *g, struct grant_object *objs, unsigned n, uint8_t mode)
{
	memset(g, 0, sizeof(*g));
	g->mode = mode;
	memset(g->grant_id, 0x77, 16);
	memcpy(g->camera_pk, cam_pk, 32);
	memcpy(g->grantee_box_pk, staff_box_pk, 32);
	memcpy(g->grantee_sign_pk, staff_sign_pk, 32);
	g->from_ms = 1795000000000ull;
	g->until_ms = g->from_ms + 4000ull * n;
	g->created_ms = 1795000100000ull;
	g->expires_ms = g->created_ms + 7 * 86400000ull;
	snprintf(g->purpose, sizeof(g->purpose), "ticket 4711: doorbell \xc3\xa9vents");
	memset(objs, 0, n * sizeof(*objs));
	for (unsigned i = 0; i < n; i++) {
		objs[i].kind = mode == GRANT_MODE_ORIGINAL ? SEG_KIND_SEGMENT : SEG_KIND_DERIVATIVE;
		objs[i].seq = 10 + i;
		objs[i].start_ms = g->from_ms + 4000ull * i;
		objs[i].duration_ms = 4000;
		memset(objs[i].header_hash, (int)(0x40 + i), 32);
		memset(objs[i].sealed_key, (int)(0x50 + i), 80);
	}
	g->n = n;
	g->obj = objs;
}

/* Re-sign raw bytes as the owner would (for structures grant_sign refuses). */
static void
resign(uint8_t *buf, size_t len, const uint8_t sk[64])
{
	static uint8_t msg[16 + GRANT_MAX_BYTES];

	memset(msg, 0, 16);
	memcpy(msg, "sealcam-grant", 13);
	memcpy(msg + 16, buf, len - 64);
	crypto_sign_detached(buf + len - 64, NULL, msg, 16 + len - 64, sk);
}

int
main(void)
{
	static uint8_t buf[GRANT_MAX_BYTES], b2[GRANT_MAX_BYTES];
	struct grant_object objs[GRANT_OBJECTS_MAX + 1];
	struct grant g, out;
	size_t len, l2;
	uint8_t id[16];

	if (sodium_init() < 0)
		return 1;
	seeds();

	t_case("a signed grant verifies and reads back every field");
	make(&g, objs, 3, GRANT_MODE_ORIGINAL);
	T_EQ(grant_sign(&g, owner_sk, buf, sizeof(buf), &len), GRANT_OK);
	T_EQ(len, GRANT_FIXED_BYTES + strlen(g.purpose) + 3 * GRANT_OBJ_ORIGINAL_BYTES + 64);
	T_EQ(grant_verify(buf, len, owner_pk, &out), GRANT_OK);
	T_EQ(out.mode, GRANT_MODE_ORIGINAL);
	T_EQ(out.n, 3);
	T_ASSERT(memcmp(out.owner_pk, owner_pk, 32) == 0);
	seg_camera_id(cam_pk, id);
	T_ASSERT(memcmp(out.camera_id, id, 16) == 0);
	staff_principal_id(staff_sign_pk, staff_box_pk, id);
	T_ASSERT(memcmp(out.grantee_id, id, 16) == 0);
	T_ASSERT(strcmp(out.purpose, g.purpose) == 0);
	T_EQ(out.from_ms, g.from_ms);
	T_EQ(out.expires_ms, g.expires_ms);
	T_ASSERT(memcmp(out.obj[2].sealed_key, objs[2].sealed_key, 80) == 0);
	T_ASSERT(grant_find(&out, SEG_KIND_SEGMENT, 11) == &out.obj[1]);
	T_ASSERT(grant_find(&out, SEG_KIND_SEGMENT, 13) == NULL);
	T_ASSERT(grant_find(&out, SEG_KIND_THUMBNAIL, 11) == NULL);
	grant_clear(&out);
	T_EQ(grant_verify(buf, len, NULL, &out), GRANT_OK);
	grant_clear(&out);

	t_case("a grant is refused when any byte (or the signature) is flipped");
	for (size_t i = 0; i < len; i += 7) {
		memcpy(b2, buf, len);
		b2[i] ^= 0x01;
		int r = grant_verify(b2, len, owner_pk, &out);
		T_ASSERT(r != GRANT_OK);
		T_ASSERT(out.obj == NULL);
	}
	memcpy(b2, buf, len);
	b2[len - 1] ^= 0x80;
	T_EQ(grant_verify(b2, len, owner_pk, &out), GRANT_EBADSIG);
	b2[len - 1] ^= 0x80;
	b2[len - 70] ^= 0x04;                   /* inside the last sealed key */
	T_EQ(grant_verify(b2, len, owner_pk, &out), GRANT_EBADSIG);

	t_case("a grant signed by another key is refused under the owner's key");
	T_EQ(grant_sign(&g, other_sk, b2, sizeof(b2), &l2), GRANT_OK);
	T_EQ(grant_verify(b2, l2, owner_pk, &out), GRANT_EWRONGOWNER);
	/* Relabelled as the owner's: the signature no longer holds. */
	memcpy(b2 + 72, owner_pk, 32);
	T_EQ(grant_verify(b2, l2, owner_pk, &out), GRANT_EBADSIG);

	t_case("ids must match their keys: another camera id or grantee id is refused");
	memcpy(b2, buf, len);
	b2[24] ^= 1;                            /* camera id */
	resign(b2, len, owner_sk);
	T_EQ(grant_verify(b2, len, owner_pk, &out), GRANT_EMALFORMED);
	memcpy(b2, buf, len);
	memcpy(b2 + 120, stranger_box_pk, 32);  /* grantee box key swapped */
	resign(b2, len, owner_sk);
	T_EQ(grant_verify(b2, len, owner_pk, &out), GRANT_EMALFORMED);

	t_case("truncated, extended, unknown version or mode, empty purpose: refused");
	T_EQ(grant_verify(buf, len - 1, owner_pk, &out), GRANT_EMALFORMED);
	memcpy(b2, buf, len);
	b2[len] = 0;
	T_EQ(grant_verify(b2, len + 1, owner_pk, &out), GRANT_EMALFORMED);
	memcpy(b2, buf, len);
	b2[4] = 2;
	resign(b2, len, owner_sk);
	T_EQ(grant_verify(b2, len, owner_pk, &out), GRANT_EMALFORMED);
	memcpy(b2, buf, len);
	b2[5] = 3;
	resign(b2, len, owner_sk);
	T_EQ(grant_verify(b2, len, owner_pk, &out), GRANT_EMALFORMED);
	make(&g, objs, 3, GRANT_MODE_ORIGINAL);
	g.purpose[0] = '\0';
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);
	snprintf(g.purpose, sizeof(g.purpose), "line\nbreak");
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);

	t_case("objects must be strictly ascending, of the mode's kind, 1..1024");
	make(&g, objs, 3, GRANT_MODE_ORIGINAL);
	objs[2].seq = objs[1].seq;
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);
	make(&g, objs, 3, GRANT_MODE_ORIGINAL);
	objs[1].kind = SEG_KIND_THUMBNAIL;
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);
	make(&g, objs, 3, GRANT_MODE_ORIGINAL);
	memcpy(b2, buf, len);
	b2[GRANT_FIXED_BYTES + strlen(g.purpose) + GRANT_OBJ_ORIGINAL_BYTES + 8] = 10;
	T_EQ(out.obj == NULL, 1);
	resign(b2, len, owner_sk);             /* second object's seq = first's */
	T_EQ(grant_verify(b2, len, owner_pk, &out), GRANT_EMALFORMED);
	make(&g, objs, GRANT_OBJECTS_MAX, GRANT_MODE_ORIGINAL);
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_OK);
	T_EQ(l2 <= GRANT_MAX_BYTES, 1);
	T_EQ(grant_verify(b2, l2, owner_pk, &out), GRANT_OK);
	grant_clear(&out);
	g.n = GRANT_OBJECTS_MAX + 1;
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);
	make(&g, objs, 2, GRANT_MODE_ANONYMIZED);
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);
	make(&g, objs, 1, GRANT_MODE_ANONYMIZED);
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_OK);
	T_EQ(l2, GRANT_FIXED_BYTES + strlen(g.purpose) + GRANT_OBJ_ANONYMIZED_BYTES + 64);
	T_EQ(grant_verify(b2, l2, owner_pk, &out), GRANT_OK);
	T_EQ(out.obj[0].kind, SEG_KIND_DERIVATIVE);
	grant_clear(&out);

	t_case("objects outside the granted range are refused");
	make(&g, objs, 3, GRANT_MODE_ORIGINAL);
	objs[2].start_ms = g.until_ms;
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);
	make(&g, objs, 3, GRANT_MODE_ORIGINAL);
	objs[0].start_ms = g.from_ms - 4000;   /* ends exactly at from: no overlap */
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);
	objs[0].start_ms = g.from_ms - 3999;
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_OK);

	t_case("an empty range and an expiry not after creation are refused");
	make(&g, objs, 1, GRANT_MODE_ORIGINAL);
	g.until_ms = g.from_ms;
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);
	make(&g, objs, 1, GRANT_MODE_ORIGINAL);
	g.expires_ms = g.created_ms;
	T_EQ(grant_sign(&g, owner_sk, b2, sizeof(b2), &l2), GRANT_EINVAL);

	t_case("a re-wrapped data key opens the segment for the grantee, nobody else");
	{
		const uint8_t (*rcpt)[32] = (const uint8_t (*)[32])owner_box_pk;
		struct seg_seal_params p = { .kind = SEG_KIND_SEGMENT, .seq = 10,
		    .start_ms = 1795000000000ull, .duration_ms = 4000, .epoch = 1,
		    .recipients = rcpt, .nrecipients = 1 };
		struct seg_expect e = { .camera_pk = cam_pk, .kind = SEG_KIND_SEGMENT,
		    .check_seq = 1, .seq = 10 };
		uint8_t pt[5000], *sealed = NULL, sk80[80], key[32];
		size_t slen = 0;
		struct seg_header h;
		struct seg_opener *o;

		randombytes_buf(pt, sizeof(pt));
		T_EQ(seg_seal_buf(&p, cam_sk, pt, sizeof(pt), &sealed, &slen), SEG_OK);
		T_EQ(seg_header_parse(sealed, slen, &h), SEG_OK);
		/* The staff key is no recipient of the segment itself. */
		T_EQ(seg_unwrap_key(&h, staff_box_pk, staff_box_sk, key), SEG_ENOTRECIPIENT);
		T_EQ(seg_rewrap(&h, owner_box_pk, owner_box_sk, staff_box_pk, sk80), SEG_OK);
		T_EQ(seg_unseal_key(sk80, stranger_box_pk, stranger_box_sk, key), SEG_EKEY);
		T_EQ(seg_unseal_key(sk80, staff_box_pk, staff_box_sk, key), SEG_OK);
		o = seg_opener_new_with_key(&e, key, NULL, NULL);
		T_ASSERT(o != NULL);
		T_EQ(seg_opener_write(o, sealed, slen), SEG_OK);
		T_EQ(seg_opener_finish(o), SEG_OK);
		seg_opener_free(o);
		free(sealed);
	}

	t_case("revocations: signed by the owner, exact, refused when altered");
	{
		struct grant_revocation r = { .revoked_ms = 1795000200000ull }, ro;
		uint8_t rb[GRANT_REVOCATION_BYTES];

		memset(r.grant_id, 0x77, 16);
		T_EQ(grant_revocation_sign(&r, owner_sk, rb), GRANT_OK);
		T_EQ(grant_revocation_verify(rb, sizeof(rb), owner_pk, &ro), GRANT_OK);
		T_ASSERT(memcmp(ro.grant_id, r.grant_id, 16) == 0);
		T_EQ(ro.revoked_ms, r.revoked_ms);
		T_EQ(grant_revocation_verify(rb, sizeof(rb), other_pk, &ro), GRANT_EWRONGOWNER);
		rb[10] ^= 1;
		T_EQ(grant_revocation_verify(rb, sizeof(rb), owner_pk, &ro), GRANT_EBADSIG);
		T_EQ(grant_revocation_verify(rb, sizeof(rb) - 1, owner_pk, &ro), GRANT_EMALFORMED);
	}

	t_case("access records: round trip, canonical order, commitment");
	{
		static struct grant_access a, ao;
		uint8_t ab[GRANT_ACCESS_MAX], c1[32], c2[32];
		size_t al;

		memset(&a, 0, sizeof(a));
		memset(a.access_id, 1, 16);
		memset(a.grant_id, 0x77, 16);
		a.time_ms = 1795000300000ull;
		a.n = 2;
		a.obj[0] = (struct grant_access_obj){ SEG_KIND_SEGMENT, 10 };
		a.obj[1] = (struct grant_access_obj){ SEG_KIND_SEGMENT, 12 };
		T_EQ(grant_access_encode(&a, ab, sizeof(ab), &al), GRANT_OK);
		T_EQ(al, GRANT_ACCESS_FIXED + 2 * 9);
		T_EQ(grant_access_parse(ab, al, &ao), GRANT_OK);
		T_EQ(ao.n, 2);
		T_EQ(ao.obj[1].seq, 12);
		T_EQ(ao.time_ms, a.time_ms);
		grant_access_commitment(ab, al, c1);
		ab[81 + 7] ^= 1;                        /* seq 10 -> 11 */
		grant_access_commitment(ab, al, c2);
		T_ASSERT(memcmp(c1, c2, 32) != 0);
		ab[81 + 7] ^= 1;
		ab[81 + 9 + 7] = 10;                   /* second seq = first: not canonical */
		T_EQ(grant_access_parse(ab, al, &ao), GRANT_EMALFORMED);
		T_EQ(grant_access_parse(ab, al - 1, &ao), GRANT_EMALFORMED);
		a.obj[1].seq = 9;
		T_EQ(grant_access_encode(&a, ab, sizeof(ab), &al), GRANT_EINVAL);
	}

	t_case("staff records: round trip, id from the keys, refusals");
	{
		struct staff_record r, ro;
		uint8_t rb[STAFF_RECORD_MAX], box[32], sign[32];
		char ks[STAFF_KEY_STRLEN + 1];
		size_t rl;

		memset(&r, 0, sizeof(r));
		r.action = STAFF_ADDED;
		r.role = STAFF_ROLE_SUPPORT;
		memcpy(r.box_pk, staff_box_pk, 32);
		memcpy(r.sign_pk, staff_sign_pk, 32);
		r.time_ms = 1795000000000ull;
		snprintf(r.name, sizeof(r.name), "support@vendor.example");
		T_EQ(staff_record_encode(&r, rb, sizeof(rb), &rl), 0);
		T_EQ(rl, STAFF_RECORD_FIXED + strlen(r.name));
		T_EQ(staff_record_parse(rb, rl, &ro), 0);
		staff_principal_id(staff_sign_pk, staff_box_pk, id);
		T_ASSERT(memcmp(ro.principal_id, id, 16) == 0);
		T_ASSERT(strcmp(ro.name, r.name) == 0);
		rb[30] ^= 1;                            /* box key: id no longer matches */
		T_EQ(staff_record_parse(rb, rl, &ro), -1);
		rb[30] ^= 1;
		rb[6] = 3;                              /* unknown role */
		T_EQ(staff_record_parse(rb, rl, &ro), -1);
		rb[6] = 1;
		T_EQ(staff_record_parse(rb, rl + 1, &ro), -1);
		r.name[0] = '\0';
		T_EQ(staff_record_encode(&r, rb, sizeof(rb), &rl), -1);
		staff_key_format(staff_box_pk, staff_sign_pk, ks);
		T_EQ(strlen(ks), STAFF_KEY_STRLEN);
		T_EQ(staff_key_parse(ks, box, sign), 0);
		T_ASSERT(memcmp(box, staff_box_pk, 32) == 0 && memcmp(sign, staff_sign_pk, 32) == 0);
		ks[20] = ks[20] == 'a' ? 'b' : 'a';
		T_EQ(staff_key_parse(ks, box, sign), 0);   /* another key, well-formed */
		T_EQ(staff_key_parse("sealcam-staff:00", box, sign), -1);
		T_EQ(staff_role_parse("research"), STAFF_ROLE_RESEARCH);
		T_EQ(staff_role_parse("admin"), 0);
	}
	return t_done();
}
