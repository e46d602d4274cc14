/*
 * keyring — sign and verify, and every refusal: bad signature, foreign
 * signer, downgrade, replay, wrong camera, duplicates, too many, truncated,
 * non-canonical.
 */
#include <sodium.h>

#include "codec.h"
#include "keyring.h"
#include "seg.h"
#include "t.h"

static uint8_t owner_pk[32], owner_sk[64], other_pk[32], other_sk[64];
static uint8_t cam_id[16], cam2_id[16];

static void
make(struct keyring *kr, uint32_t epoch, unsigned n)
{
	memset(kr, 0, sizeof(*kr));
	memcpy(kr->camera_id, cam_id, 16);
	kr->epoch = epoch;
	kr->issued_ms = 1764000000000ull + epoch;
	kr->n = n;
	for (unsigned i = 0; i < n; i++) {
		uint8_t seed[32], sk[32];
		memset(seed, (int)(i + 1), sizeof(seed));
		crypto_box_seed_keypair(kr->r[i].pk, sk, seed);
		kr->r[i].role = i == 0 ? KEYRING_ROLE_OWNER : KEYRING_ROLE_MEMBER;
		snprintf(kr->r[i].label, sizeof(kr->r[i].label), "member %u", i);
	}
}

/* Sign raw bytes as the owner would (for structures keyring_sign refuses). */
static void
resign(uint8_t *buf, size_t len, const uint8_t sk[64])
{
	uint8_t msg[16 + KEYRING_MAX_BYTES];
	memset(msg, 0, 16);
	memcpy(msg, "sealcam-keyring", 15);
	memcpy(msg + 16, buf, len - 64);
	crypto_sign_detached(buf + len - 64, NULL, msg, 16 + len - 64, sk);
}

int
main(void)
{
	struct keyring kr, out;
	uint8_t buf[KEYRING_MAX_BYTES + 64], b2[KEYRING_MAX_BYTES + 64];
	size_t len, l2;
	uint8_t seed[32];

	if (sodium_init() < 0)
		return 1;
	memset(seed, 0xa1, 32);
	crypto_sign_seed_keypair(owner_pk, owner_sk, seed);
	memset(seed, 0xa2, 32);
	crypto_sign_seed_keypair(other_pk, other_sk, seed);
	seg_camera_id(owner_pk, cam_id);	/* any 16 bytes will do */
	seg_camera_id(other_pk, cam2_id);

	t_case("a signed keyring verifies and reads back sorted");
	make(&kr, 5, 3);
	snprintf(kr.r[2].label, sizeof(kr.r[2].label), "Küche");
	T_EQ(keyring_sign(&kr, owner_sk, buf, sizeof(buf), &len), KEYRING_OK);
	T_EQ(keyring_verify(buf, len, owner_pk, cam_id, 4, &out), KEYRING_OK);
	T_EQ(out.epoch, 5);
	T_EQ(out.n, 3);
	T_ASSERT(out.issued_ms == 1764000000005ull);
	T_MEMEQ(out.owner_pk, owner_pk, 32);
	for (unsigned i = 1; i < out.n; i++)
		T_ASSERT(memcmp(out.r[i - 1].pk, out.r[i].pk, 32) < 0);
	for (unsigned i = 0; i < kr.n; i++) {
		int found = 0;
		for (unsigned j = 0; j < out.n; j++)
			if (memcmp(kr.r[i].pk, out.r[j].pk, 32) == 0) {
				found = 1;
				T_ASSERT(strcmp(kr.r[i].label, out.r[j].label) == 0);
				T_EQ(kr.r[i].role, out.r[j].role);
				T_EQ(out.r[j].label_len, strlen(kr.r[i].label));
			}
		T_ASSERT(found);
	}
	T_EQ(keyring_verify(buf, len, owner_pk, cam_id, 0, &out), KEYRING_OK);

	t_case("the encoding is canonical: input order does not matter");
	{
		struct keyring rev = kr;
		rev.r[0] = kr.r[2];
		rev.r[2] = kr.r[0];
		T_EQ(keyring_sign(&rev, owner_sk, b2, sizeof(b2), &l2), KEYRING_OK);
		T_EQ(l2, len);
		T_ASSERT(memcmp(buf, b2, len) == 0);	/* Ed25519 is deterministic */
	}

	t_case("keyring hash is stable and covers every byte");
	{
		uint8_t h1[32], h2[32];
		keyring_hash(buf, len, h1);
		keyring_hash(buf, len, h2);
		T_MEMEQ(h1, h2, 32);
		buf[len - 1] ^= 1;
		keyring_hash(buf, len, h2);
		T_ASSERT(memcmp(h1, h2, 32) != 0);
		buf[len - 1] ^= 1;
	}

	t_case("downgrade and replay: KEYRING_EEPOCH");
	T_EQ(keyring_verify(buf, len, owner_pk, cam_id, 5, &out), KEYRING_EEPOCH);
	T_EQ(keyring_verify(buf, len, owner_pk, cam_id, 6, &out), KEYRING_EEPOCH);
	T_EQ(keyring_verify(buf, len, owner_pk, cam_id, UINT32_MAX, &out),
	    KEYRING_EEPOCH);
	T_EQ(out.n, 0);	/* nothing handed out on refusal */

	t_case("foreign signature: another key as signer, or forged under the owner's");
	make(&kr, 6, 2);
	T_EQ(keyring_sign(&kr, other_sk, b2, sizeof(b2), &l2), KEYRING_OK);
	T_EQ(keyring_verify(b2, l2, owner_pk, cam_id, 5, &out), KEYRING_EWRONGOWNER);
	memcpy(b2 + 34, owner_pk, 32);	/* claim the owner, signed by other */
	resign(b2, l2, other_sk);
	T_EQ(keyring_verify(b2, l2, owner_pk, cam_id, 5, &out), KEYRING_EBADSIG);

	t_case("one flipped bit anywhere: refused with a specific error");
	for (size_t off = 0; off < len; off++)
		for (int b = 0; b < 8; b++) {
			int rc;
			memcpy(b2, buf, len);
			b2[off] ^= (uint8_t)(1u << b);
			rc = keyring_verify(b2, len, owner_pk, cam_id, 4, &out);
			if (off < 4)
				T_EQ(rc, KEYRING_EMAGIC);
			else if (off == 4)
				T_EQ(rc, KEYRING_EVERSION);
			else if (off >= 34 && off < 66)
				T_EQ(rc, KEYRING_EWRONGOWNER);
			else if (off >= len - 64)
				T_EQ(rc, KEYRING_EBADSIG);
			else
				T_ASSERT(rc == KEYRING_EBADSIG || rc == KEYRING_ENONCANON ||
				    rc == KEYRING_ETRUNCATED || rc == KEYRING_ETOOMANY);
		}

	t_case("wrong camera: KEYRING_EWRONGCAMERA");
	T_EQ(keyring_verify(buf, len, owner_pk, cam2_id, 4, &out),
	    KEYRING_EWRONGCAMERA);

	t_case("duplicate recipients: refused when signing and when verifying");
	make(&kr, 7, 3);
	memcpy(kr.r[2].pk, kr.r[0].pk, 32);
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_EDUPLICATE);
	/* Owner-signed bytes with a recipient twice (built by hand). */
	make(&kr, 7, 2);
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_OK);
	{
		size_t e0 = 66, e1 = e0 + 34 + b2[e0 + 33];
		memcpy(b2 + e1, b2 + e0, 32);
		resign(b2, l2, owner_sk);
		T_EQ(keyring_verify(b2, l2, owner_pk, cam_id, 0, &out),
		    KEYRING_EDUPLICATE);
		/* and the two swapped: not ascending */
		T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_OK);
		{
			uint8_t a[32];
			memcpy(a, b2 + e0, 32);
			memcpy(b2 + e0, b2 + e1, 32);
			memcpy(b2 + e1, a, 32);
		}
		resign(b2, l2, owner_sk);
		T_EQ(keyring_verify(b2, l2, owner_pk, cam_id, 0, &out),
		    KEYRING_ENONCANON);
	}

	t_case("too many recipients: KEYRING_ETOOMANY (sign and verify)");
	make(&kr, 8, 32);
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_OK);
	T_EQ(keyring_verify(b2, l2, owner_pk, cam_id, 0, &out), KEYRING_OK);
	T_EQ(out.n, 32);
	kr.n = 33;
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_ETOOMANY);
	make(&kr, 8, 1);
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_OK);
	b2[5] = 33;
	resign(b2, l2, owner_sk);
	T_EQ(keyring_verify(b2, l2, owner_pk, cam_id, 0, &out), KEYRING_ETOOMANY);

	t_case("non-canonical: trailing byte, no recipient, epoch 0, bad role or label");
	make(&kr, 9, 2);
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_OK);
	memmove(b2 + l2 - 63, b2 + l2 - 64, 64);	/* a byte before the signature */
	b2[l2 - 64] = 0;
	resign(b2, l2 + 1, owner_sk);
	T_EQ(keyring_verify(b2, l2 + 1, owner_pk, cam_id, 0, &out),
	    KEYRING_ENONCANON);
	make(&kr, 9, 0);
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_ENONCANON);
	make(&kr, 0, 1);
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_ENONCANON);
	make(&kr, 9, 1);
	kr.r[0].role = 4;
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_ENONCANON);
	make(&kr, 9, 1);
	snprintf(kr.r[0].label, sizeof(kr.r[0].label), "tab\there");
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_ENONCANON);
	make(&kr, 9, 1);
	memset(kr.r[0].label, 'a', 64);
	kr.r[0].label[64] = '\0';	/* exactly 64: fine */
	T_EQ(keyring_sign(&kr, owner_sk, b2, sizeof(b2), &l2), KEYRING_OK);
	T_EQ(keyring_verify(b2, l2, owner_pk, cam_id, 0, &out), KEYRING_OK);
	T_EQ(out.r[0].label_len, 64);
	b2[66 + 33] = 65;	/* label length beyond the maximum */
	resign(b2, l2, owner_sk);
	T_EQ(keyring_verify(b2, l2, owner_pk, cam_id, 0, &out), KEYRING_ENONCANON);
	T_EQ(keyring_sign(&kr, owner_sk, b2, 100, &l2), KEYRING_EINVAL);

	t_case("truncated anywhere: refused, never read past the end");
	for (size_t n = 0; n < len; n++) {
		int rc = keyring_verify(buf, n, owner_pk, cam_id, 0, &out);
		T_ASSERT(rc == KEYRING_ETRUNCATED || rc == KEYRING_ENONCANON ||
		    rc == KEYRING_EBADSIG);
		T_ASSERT(rc != KEYRING_OK);
	}
	T_EQ(keyring_verify(buf, 3, owner_pk, cam_id, 0, &out), KEYRING_ETRUNCATED);
	T_EQ(keyring_verify(buf, 100, owner_pk, cam_id, 0, &out), KEYRING_ETRUNCATED);
	T_EQ(keyring_parse_unverified(buf, len, &out), KEYRING_OK);

	t_case("every error code has its own message");
	for (int a = KEYRING_EINVAL; a <= KEYRING_OK; a++)
		for (int b = a + 1; b <= KEYRING_OK; b++)
			T_ASSERT(strcmp(keyring_strerror(a), keyring_strerror(b)) != 0);
	return t_done();
}
