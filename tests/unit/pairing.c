/*
 * pairing — pairing strings round-trip and refuse damage with clear errors;
 * the camera proof verifies only under the right secret, id, key and name.
 */
#include <sodium.h>

#include "pairing.h"
#include "seg.h"
#include "t.h"

int
main(void)
{
	struct pairing p, q;
	char s[PAIRING_STRING_MAX + 1], t[PAIRING_STRING_MAX + 8];
	uint8_t owner_pk[32], owner_sk[64], cam_pk[32], cam_sk[64], cam_id[16];
	uint8_t proof[32], id1[16], id2[16];
	char longurl[300];

	if (sodium_init() < 0)
		return 1;
	crypto_sign_keypair(owner_pk, owner_sk);
	crypto_sign_keypair(cam_pk, cam_sk);
	seg_camera_id(cam_pk, cam_id);

	t_case("pairing string round-trips url, owner key and secret");
	T_EQ(pairing_new(&p, "https://cam.example:8443/base", owner_pk), PAIRING_OK);
	T_EQ(pairing_encode(&p, s, sizeof(s)), PAIRING_OK);
	T_ASSERT(strncmp(s, "sealcam-pair:", 13) == 0);
	T_EQ(pairing_decode(s, &q), PAIRING_OK);
	T_ASSERT(strcmp(q.url, p.url) == 0);
	T_MEMEQ(q.owner_pk, owner_pk, 32);
	T_ASSERT(sodium_memcmp(q.secret, p.secret, 32) == 0);

	t_case("pasted or typed forms decode: spaces, newline, case, dashes");
	snprintf(t, sizeof(t), "  %s\n", s);
	T_EQ(pairing_decode(t, &q), PAIRING_OK);
	for (size_t i = 0; s[i]; i++)
		t[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
	t[strlen(s)] = '\0';
	T_EQ(pairing_decode(t, &q), PAIRING_OK);	/* all upper case (QR) */
	for (size_t i = 13; s[i]; i++)
		t[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	T_EQ(pairing_decode(t, &q), PAIRING_OK);
	snprintf(t, sizeof(t), "sealcam-pair:%.10s-%s", s + 13, s + 23);
	T_EQ(pairing_decode(t, &q), PAIRING_OK);

	t_case("one mistyped character anywhere in the payload: PAIRING_ECHECKSUM or ECHAR");
	for (size_t i = 13; s[i]; i++) {
		int rc;
		memcpy(t, s, strlen(s) + 1);
		t[i] = t[i] == 'Z' ? 'Y' : 'Z';
		rc = pairing_decode(t, &q);
		T_ASSERT(rc == PAIRING_ECHECKSUM || rc == PAIRING_ECHAR);
		if (s[i + 1] != '\0')
			T_EQ(rc, PAIRING_ECHECKSUM);	/* the last symbol has pad bits */
	}

	t_case("damage has clear errors: prefix, character, length");
	T_EQ(pairing_decode("sealcam-pairing:ABC", &q), PAIRING_EPREFIX);
	T_EQ(pairing_decode("", &q), PAIRING_EPREFIX);
	memcpy(t, s, strlen(s) + 1);
	t[20] = 'U';
	T_EQ(pairing_decode(t, &q), PAIRING_ECHAR);
	T_EQ(pairing_decode("sealcam-pair:0000000000", &q), PAIRING_ELENGTH);
	memcpy(t, s, strlen(s) + 1);
	t[strlen(s) - 8] = '\0';	/* 5 bytes short */
	T_ASSERT(pairing_decode(t, &q) != PAIRING_OK);
	T_EQ(q.secret[0] | q.secret[31], 0);	/* nothing left on failure */

	t_case("only http(s) URLs of at most 256 bytes");
	T_EQ(pairing_new(&q, "ftp://x", owner_pk), PAIRING_EURL);
	T_EQ(pairing_new(&q, "https://", owner_pk), PAIRING_EURL);
	T_EQ(pairing_new(&q, "https://a b", owner_pk), PAIRING_EURL);
	T_EQ(pairing_new(&q, "http://127.0.0.1:8080", owner_pk), PAIRING_OK);
	memset(longurl, 'a', sizeof(longurl));
	memcpy(longurl, "https://", 8);
	longurl[256] = '\0';
	T_EQ(pairing_new(&q, longurl, owner_pk), PAIRING_OK);
	T_EQ(pairing_encode(&q, s, sizeof(s)), PAIRING_OK);
	T_EQ(strlen(s), PAIRING_STRING_MAX);
	T_EQ(pairing_decode(s, &q), PAIRING_OK);
	T_EQ(strlen(q.url), 256);
	T_EQ(pairing_encode(&q, s, 50), PAIRING_EINVAL);
	longurl[257] = '\0';
	longurl[256] = 'a';
	T_EQ(pairing_new(&q, longurl, owner_pk), PAIRING_EURL);

	t_case("pairing id: from the secret alone, one-way, distinct per secret");
	pairing_id(p.secret, id1);
	pairing_new(&q, "https://x", owner_pk);
	pairing_id(q.secret, id2);
	T_ASSERT(memcmp(id1, id2, 16) != 0);
	T_ASSERT(memcmp(id1, p.secret, 16) != 0);
	pairing_id(p.secret, id2);
	T_MEMEQ(id1, id2, 16);

	t_case("camera proof verifies under the pairing secret");
	T_EQ(pairing_proof_create(p.secret, cam_id, cam_pk, "Front door", proof),
	    PAIRING_OK);
	T_EQ(pairing_proof_verify(p.secret, cam_id, cam_pk, "Front door", proof),
	    PAIRING_OK);

	t_case("proof with the wrong secret, key, id or name: refused");
	T_EQ(pairing_proof_verify(q.secret, cam_id, cam_pk, "Front door", proof),
	    PAIRING_EBADPROOF);
	T_EQ(pairing_proof_verify(p.secret, cam_id, cam_pk, "Back door", proof),
	    PAIRING_EBADPROOF);
	T_EQ(pairing_proof_verify(p.secret, cam_id, cam_pk, NULL, proof),
	    PAIRING_EBADPROOF);
	{
		uint8_t pk2[32], sk2[64], id3[16], bad[32];
		crypto_sign_keypair(pk2, sk2);
		seg_camera_id(pk2, id3);
		/* a server swapping in its own camera key (with a matching id) */
		T_EQ(pairing_proof_verify(p.secret, id3, pk2, "Front door", proof),
		    PAIRING_EBADPROOF);
		/* an id that does not commit to the key */
		T_EQ(pairing_proof_verify(p.secret, id3, cam_pk, "Front door", proof),
		    PAIRING_ECAMERAID);
		for (int i = 0; i < 32; i++) {
			memcpy(bad, proof, 32);
			bad[i] ^= 0x10;
			T_EQ(pairing_proof_verify(p.secret, cam_id, cam_pk, "Front door",
			    bad), PAIRING_EBADPROOF);
		}
	}
	T_EQ(pairing_proof_create(p.secret, cam_id, cam_pk, "bad\x01name", proof),
	    PAIRING_ENAME);
	memset(longurl, 'n', 65);
	longurl[65] = '\0';
	T_EQ(pairing_proof_create(p.secret, cam_id, cam_pk, longurl, proof),
	    PAIRING_ENAME);

	t_case("every error code has its own message");
	for (int a = PAIRING_EBADPROOF; a <= PAIRING_OK; a++)
		for (int b = a + 1; b <= PAIRING_OK; b++)
			T_ASSERT(strcmp(pairing_strerror(a), pairing_strerror(b)) != 0);
	pairing_wipe(&p);
	pairing_wipe(&q);
	return t_done();
}
