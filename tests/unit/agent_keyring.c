/*
 * Unit tests for the agent's keyring acceptance (keyring_poll_accept): only
 * a keyring signed by the owner key pinned at pairing, naming this camera,
 * with an epoch above the last accepted one, changes who the agent seals to.
 */
#include "t.h"

#include <sodium.h>

#include "keyring.h"
#include "log.h"
#include "seg.h"
#include "../../src/agent/camera_int.h"

static uint8_t owner_pk[32], owner_sk[64], other_pk[32], other_sk[64];
static uint8_t box_pk[3][32], box_sk[3][32];

/* A keyring for cam at epoch with the first n box keys, signed by sk. */
static size_t
make(const uint8_t cam[16], uint32_t epoch, unsigned n, const uint8_t *sk,
    uint8_t *out)
{
	struct keyring kr;
	size_t len = 0;

	memset(&kr, 0, sizeof(kr));
	memcpy(kr.camera_id, cam, 16);
	kr.epoch = epoch;
	kr.issued_ms = 1764000000000ULL;
	kr.n = n;
	for (unsigned i = 0; i < n; i++) {
		memcpy(kr.r[i].pk, box_pk[i], 32);
		kr.r[i].role = i == 0 ? KEYRING_ROLE_OWNER : KEYRING_ROLE_MEMBER;
		snprintf(kr.r[i].label, sizeof(kr.r[i].label), "member %u", i);
	}
	if (keyring_sign(&kr, sk, out, KEYRING_MAX_BYTES, &len) != KEYRING_OK)
		return 0;
	return len;
}

static int
has(const struct camera_recipients *r, const uint8_t pk[32])
{
	for (unsigned i = 0; i < r->n; i++)
		if (memcmp(r->pk[i], pk, 32) == 0)
			return 1;
	return 0;
}

int
main(void)
{
	struct camera cam;
	struct camera_recipients r;
	uint8_t cam_pk[32], other_cam[16], kr[KEYRING_MAX_BYTES];
	size_t len;

	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_ERR);
	crypto_sign_keypair(owner_pk, owner_sk);
	crypto_sign_keypair(other_pk, other_sk);
	for (int i = 0; i < 3; i++)
		crypto_box_keypair(box_pk[i], box_sk[i]);
	memset(&cam, 0, sizeof(cam));
	snprintf(cam.conf.id_hex, sizeof(cam.conf.id_hex), "test");
	memcpy(cam.conf.owner_sign_pk, owner_pk, 32);
	crypto_sign_keypair(cam_pk, cam.sk);
	seg_camera_id(cam_pk, cam.camera_id);
	randombytes_buf(other_cam, sizeof(other_cam));

	t_case("the owner's keyring for this camera is accepted with its recipients");
	len = make(cam.camera_id, 1, 2, owner_sk, kr);
	T_ASSERT(len > 0);
	T_EQ(keyring_poll_accept(&cam, kr, len, 0, &r), 0);
	T_EQ(r.epoch, 1);
	T_EQ(r.n, 2);
	T_ASSERT(has(&r, box_pk[0]) && has(&r, box_pk[1]));

	t_case("a newer epoch replaces the recipients (member removed, another added)");
	memcpy(box_pk[1], box_pk[2], 32);
	len = make(cam.camera_id, 2, 2, owner_sk, kr);
	T_EQ(keyring_poll_accept(&cam, kr, len, 1, &r), 0);
	T_EQ(r.epoch, 2);
	T_ASSERT(has(&r, box_pk[2]));

	t_case("replayed or older epochs are refused (no downgrade to a removed member)");
	len = make(cam.camera_id, 1, 2, owner_sk, kr);
	T_ASSERT(keyring_poll_accept(&cam, kr, len, 2, &r) != 0);
	T_EQ(r.n, 0);
	len = make(cam.camera_id, 2, 2, owner_sk, kr);
	T_ASSERT(keyring_poll_accept(&cam, kr, len, 2, &r) != 0);

	t_case("a keyring signed by anyone but the pinned owner (e.g. the server) is refused");
	len = make(cam.camera_id, 3, 2, other_sk, kr);
	T_ASSERT(len > 0);
	T_ASSERT(keyring_poll_accept(&cam, kr, len, 2, &r) != 0);

	t_case("the owner's genuine keyring of another camera is refused");
	len = make(other_cam, 3, 2, owner_sk, kr);
	T_ASSERT(keyring_poll_accept(&cam, kr, len, 2, &r) != 0);

	t_case("a tampered or truncated keyring is refused");
	len = make(cam.camera_id, 3, 2, owner_sk, kr);
	kr[len / 2] ^= 1;
	T_ASSERT(keyring_poll_accept(&cam, kr, len, 2, &r) != 0);
	kr[len / 2] ^= 1;
	T_ASSERT(keyring_poll_accept(&cam, kr, len - 1, 2, &r) != 0);
	T_EQ(keyring_poll_accept(&cam, kr, len, 2, &r), 0);

	return t_done();
}
