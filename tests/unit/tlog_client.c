/* tlog_client: a client accepts only checkpoints of its pinned log that
 * extend what it saw, and only entries proven in the tree. */
#include <sodium.h>

#include "tlog.h"
#include "tlog_client.h"
#include "tlog_note.h"
#include "t.h"

static struct tlog_mem *m;
static struct tlog_hashsrc src;
static uint8_t ents[16][8];

static void
note_of(const struct tlog_signer *s, uint64_t size, char *out, size_t cap, size_t *len)
{
	struct tlog_checkpoint c;

	memset(&c, 0, sizeof(c));
	snprintf(c.origin, sizeof(c.origin), "%s", tlog_signer_name(s));
	c.size = size;
	if (tlog_tree_hash(&src, size, c.root) != 0 ||
	    tlog_checkpoint_sign(s, &c, out, cap, len) != 0)
		*len = 0;
}

int
main(void)
{
	struct tlog_signer *s, *other;
	struct tlog_verifier *v;
	struct tlog_checkpoint prev, cp;
	struct tlog_proof p;
	char n5[1024], n9[1024], n9b[1024], vkey[TLOG_VKEY_MAX], name[TLOG_NAME_MAX + 1], fpr[20];
	size_t l5, l9, l9b;
	json_t *arr;

	if (sodium_init() < 0)
		return 1;
	m = tlog_mem_new();
	tlog_mem_source(m, &src);
	for (int i = 0; i < 16; i++) {
		uint8_t h[TLOG_HASH_LEN];
		memset(ents[i], 'a' + i, sizeof(ents[i]));
		tlog_leaf_hash(ents[i], sizeof(ents[i]), h);
		tlog_mem_append(m, h);
	}
	s = tlog_signer_generate("example.org/log");
	other = tlog_signer_generate("example.org/log");
	tlog_signer_vkey(s, vkey, sizeof(vkey));
	v = tlog_verifier_parse(vkey);
	note_of(s, 5, n5, sizeof(n5), &l5);
	note_of(s, 9, n9, sizeof(n9), &l9);
	note_of(other, 9, n9b, sizeof(n9b), &l9b);

	t_case("a first checkpoint of the pinned log is accepted");
	T_EQ(tlog_client_advance(v, "example.org/log", NULL, n5, l5, NULL, &prev), TLOG_CLIENT_OK);
	T_EQ(prev.size, 5);

	t_case("a larger tree with a valid consistency proof is accepted");
	T_EQ(tlog_prove_consistency(&src, 5, 9, &p), 0);
	T_EQ(tlog_client_advance(v, "example.org/log", &prev, n9, l9, &p, &cp), TLOG_CLIENT_OK);
	T_EQ(cp.size, 9);
	T_EQ(tlog_client_advance(v, "example.org/log", &cp, n9, l9, NULL, &cp), TLOG_CLIENT_OK);

	t_case("a larger tree without a proof, or with any bit of it flipped, is a fork");
	T_EQ(tlog_client_advance(v, "example.org/log", &prev, n9, l9, NULL, &cp), TLOG_CLIENT_EFORK);
	for (size_t i = 0; i < p.n; i++)
		for (int b = 0; b < 256; b += 37) {
			p.h[i][b / 8] ^= (uint8_t)(1 << (b % 8));
			T_EQ(tlog_client_advance(v, "example.org/log", &prev, n9, l9, &p, &cp),
			    TLOG_CLIENT_EFORK);
			p.h[i][b / 8] ^= (uint8_t)(1 << (b % 8));
		}

	t_case("the same size with another root is a fork; a smaller tree is refused");
	prev.root[0] ^= 1;
	T_EQ(tlog_client_advance(v, "example.org/log", &prev, n5, l5, NULL, &cp), TLOG_CLIENT_EFORK);
	prev.root[0] ^= 1;
	T_EQ(tlog_client_advance(v, "example.org/log", NULL, n9, l9, NULL, &cp), TLOG_CLIENT_OK);
	T_EQ(tlog_client_advance(v, "example.org/log", &cp, n5, l5, NULL, &prev), TLOG_CLIENT_ESHRANK);

	t_case("another key (same name) or another origin: not the pinned log");
	T_EQ(tlog_client_advance(v, "example.org/log", NULL, n9b, l9b, NULL, &cp),
	    TLOG_CLIENT_ESIGNATURE);
	T_EQ(tlog_client_advance(v, "example.org/other", NULL, n9, l9, NULL, &cp),
	    TLOG_CLIENT_ESIGNATURE);
	T_EQ(tlog_client_advance(v, "example.org/log", NULL, n9, 0, NULL, &cp),
	    TLOG_CLIENT_EMALFORMED);

	t_case("an entry is included only at its index and with its bytes");
	T_EQ(tlog_client_advance(v, "example.org/log", NULL, n9, l9, NULL, &cp), TLOG_CLIENT_OK);
	T_EQ(tlog_prove_inclusion(&src, 3, 9, &p), 0);
	T_EQ(tlog_client_included(&cp, 3, ents[3], 8, &p), TLOG_CLIENT_OK);
	T_EQ(tlog_client_included(&cp, 4, ents[3], 8, &p), TLOG_CLIENT_ENOTINCLUDED);
	T_EQ(tlog_client_included(&cp, 3, ents[4], 8, &p), TLOG_CLIENT_ENOTINCLUDED);
	T_EQ(tlog_client_included(&cp, 3, ents[3], 7, &p), TLOG_CLIENT_ENOTINCLUDED);

	t_case("proofs from JSON: base64 hashes only, at most 65");
	arr = json_pack("[s, s]", "6Zhuan3yhMDszIrBPe43YdjwvUDGYf5qbvWb1PVYaDs=",
	    "45Q2U2eSCmt5mkzuUCQeYZvBfaKzfzwuXk/CH0kQweo=");
	T_EQ(tlog_client_proof_json(arr, &p), 0);
	T_EQ(p.n, 2);
	json_array_append_new(arr, json_string("not base64"));
	T_EQ(tlog_client_proof_json(arr, &p), -1);
	json_decref(arr);
	arr = json_array();
	for (int i = 0; i < 66; i++)
		json_array_append_new(arr, json_string("6Zhuan3yhMDszIrBPe43YdjwvUDGYf5qbvWb1PVYaDs="));
	T_EQ(tlog_client_proof_json(arr, &p), -1);
	json_decref(arr);
	T_EQ(tlog_client_proof_json(NULL, &p), -1);

	t_case("a verifier key's name and fingerprint; anything else refused");
	T_EQ(tlog_client_vkey_info(vkey, name, fpr), 0);
	T_ASSERT(strcmp(name, "example.org/log") == 0);
	T_EQ(strlen(fpr), 19);
	T_EQ(tlog_client_vkey_info("example.org/log+00000000+AAAA", name, fpr), -1);
	T_EQ(tlog_client_vkey_info("", name, fpr), -1);
	/* The x/mod/sumdb/note example key: the name is everything before '+'. */
	T_EQ(tlog_client_vkey_info("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    name, fpr), 0);
	T_ASSERT(strcmp(name, "PeterNeumann") == 0);

	tlog_verifier_free(v);
	tlog_signer_free(s);
	tlog_signer_free(other);
	tlog_mem_free(m);
	return t_done();
}
