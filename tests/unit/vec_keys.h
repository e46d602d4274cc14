/*
 * vec_keys.h — vectors for fingerprints, recovery codes, the vault and its
 * backup, keyrings and pairing. Included by vectors.c only.
 */
#include "keyring.h"
#include "pairing.h"
#include "vault.h"

#define VEC_OWNER_BOX_FILL 0x20
#define VEC_OWNER_SIGN_FILL 0x21

static void
vec_owner_vault(struct vault *v)
{
	uint8_t seed[32];

	memset(seed, VEC_OWNER_BOX_FILL, 32);
	crypto_box_seed_keypair(v->box_pk, v->box_sk, seed);
	memset(seed, VEC_OWNER_SIGN_FILL, 32);
	crypto_sign_seed_keypair(v->sign_pk, v->sign_sk, seed);
}

/* ---- fingerprints ------------------------------------------------------- */

static json_t *
vec_fingerprints(void)
{
	json_t *a = json_array(), *o;
	struct vault v;
	char fp[VAULT_FINGERPRINT_LEN + 1];

	vec_owner_vault(&v);
	o = json_object();
	json_object_set_new(o, "pk", vj_hex(v.box_pk, 32));
	vault_fingerprint(v.box_pk, fp);
	json_object_set_new(o, "fingerprint", json_string(fp));
	json_array_append_new(a, o);
	o = json_object();
	json_object_set_new(o, "pk", vj_hex(v.sign_pk, 32));
	vault_fingerprint(v.sign_pk, fp);
	json_object_set_new(o, "fingerprint", json_string(fp));
	json_array_append_new(a, o);
	o = json_object();
	json_object_set_new(o, "sign_pk", vj_hex(v.sign_pk, 32));
	json_object_set_new(o, "box_pk", vj_hex(v.box_pk, 32));
	vault_fingerprint_account(v.sign_pk, v.box_pk, fp);
	json_object_set_new(o, "account_fingerprint", json_string(fp));
	json_array_append_new(a, o);
	vault_wipe(&v);
	return a;
}

static void
vec_fingerprints_check(const json_t *a)
{
	size_t i;
	json_t *o;

	json_array_foreach(a, i, o) {
		char fp[VAULT_FINGERPRINT_LEN + 1];
		const char *want = json_string_value(json_object_get(o, "fingerprint"));
		uint8_t pk[32], pk2[32];

		if (want == NULL) {
			want = json_string_value(json_object_get(o, "account_fingerprint"));
			T_ASSERT(want != NULL && vj_unhex(o, "sign_pk", pk, 32) == 0 &&
			    vj_unhex(o, "box_pk", pk2, 32) == 0);
			vault_fingerprint_account(pk, pk2, fp);
		} else {
			T_ASSERT(vj_unhex(o, "pk", pk, 32) == 0);
			vault_fingerprint(pk, fp);
		}
		T_ASSERT(want != NULL && strcmp(fp, want) == 0);
	}
	T_EQ(i, 3);
}

/* ---- recovery codes ----------------------------------------------------- */

static json_t *
vec_recovery_make(void)
{
	json_t *doc = json_object(), *valid = json_array(), *bad = json_array();
	char code[VAULT_RECOVERY_LEN + 1], canon[VAULT_RECOVERY_SYMBOLS + 1];

	json_object_set_new(doc, "description", json_string(
	    "Recovery codes: 28 Crockford base32 symbols d0..d27 in GF(32) = "
	    "GF(2)[x]/(x^5+x^2+1), a = x; valid iff XOR of all di = 0 and XOR "
	    "of a^i*di = 0. 'typed' forms normalise to 'canonical'; 'invalid' "
	    "ones give 'error'."));
	for (int k = 0; k < 4; k++) {
		json_t *o = json_object(), *syms = json_array();
		char label[32];
		snprintf(label, sizeof(label), "recovery/%d", k);
		detrand_reset(label);
		if (vault_recovery_generate(code) != VAULT_OK ||
		    vault_recovery_normalize(code, canon) != VAULT_OK)
			abort();
		for (int i = 0; i < VAULT_RECOVERY_SYMBOLS; i++)
			json_array_append_new(syms, json_integer(codec_b32_value(canon[i])));
		json_object_set_new(o, "formatted", json_string(code));
		json_object_set_new(o, "canonical", json_string(canon));
		json_object_set_new(o, "symbols", syms);
		json_array_append_new(valid, o);
	}
	/* Typed variants of the last code. */
	{
		char typed[64];
		size_t o = 0;
		json_t *t = json_object();
		for (int i = 0; i < VAULT_RECOVERY_SYMBOLS; i++) {
			char ch = canon[i];
			typed[o++] = ch == '0' ? 'o' : ch == '1' ? 'l' :
			    (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
			if (i == 13)
				typed[o++] = ' ';
		}
		typed[o] = '\0';
		json_object_set_new(t, "typed", json_string(typed));
		json_object_set_new(t, "canonical", json_string(canon));
		json_object_set_new(doc, "typed", t);
	}
	/* Mistakes: one substitution, one neighbour swap, bad char, length. */
	{
		static const struct { const char *what; int pos; int kind; } m[] = {
			{ "symbol 0 replaced", 0, 0 }, { "symbol 27 replaced", 27, 0 },
			{ "symbols 10 and 11 swapped", 10, 1 }, { "U typed", 5, 2 },
			{ "one symbol missing", 0, 3 },
		};
		for (size_t k = 0; k < sizeof(m) / sizeof(m[0]); k++) {
			char t[VAULT_RECOVERY_SYMBOLS + 1], out[VAULT_RECOVERY_SYMBOLS + 1];
			json_t *o = json_object();
			int rc;

			memcpy(t, canon, sizeof(t));
			if (m[k].kind == 0) {
				t[m[k].pos] = t[m[k].pos] == 'Z' ? 'Y' : 'Z';
			} else if (m[k].kind == 1) {
				char c = t[m[k].pos];
				t[m[k].pos] = t[m[k].pos + 1];
				t[m[k].pos + 1] = c;
				if (t[m[k].pos] == c)
					t[m[k].pos + 1] = c == 'Z' ? 'Y' : 'Z';	/* keep it a change */
			} else if (m[k].kind == 2) {
				t[m[k].pos] = 'U';
			} else {
				memmove(t, t + 1, VAULT_RECOVERY_SYMBOLS);
			}
			rc = vault_recovery_normalize(t, out);
			json_object_set_new(o, "what", json_string(m[k].what));
			json_object_set_new(o, "typed", json_string(t));
			json_object_set_new(o, "error", json_string(
			    rc == VAULT_ECHECKSUM ? "VAULT_ECHECKSUM" :
			    rc == VAULT_ECHAR ? "VAULT_ECHAR" :
			    rc == VAULT_ECODELEN ? "VAULT_ECODELEN" : "?"));
			json_array_append_new(bad, o);
		}
	}
	json_object_set_new(doc, "valid", valid);
	json_object_set_new(doc, "invalid", bad);
	return doc;
}

static void
vec_recovery_check(const json_t *doc)
{
	size_t i;
	json_t *o;
	char out[VAULT_RECOVERY_SYMBOLS + 1];

	json_array_foreach(json_object_get(doc, "valid"), i, o) {
		const char *f = json_string_value(json_object_get(o, "formatted"));
		const char *c = json_string_value(json_object_get(o, "canonical"));
		T_ASSERT(f != NULL && c != NULL);
		T_EQ(vault_recovery_normalize(f, out), VAULT_OK);
		T_ASSERT(strcmp(out, c) == 0);
	}
	o = json_object_get(doc, "typed");
	T_EQ(vault_recovery_normalize(json_string_value(json_object_get(o, "typed")),
	    out), VAULT_OK);
	T_ASSERT(strcmp(out, json_string_value(json_object_get(o, "canonical"))) == 0);
	json_array_foreach(json_object_get(doc, "invalid"), i, o) {
		int rc = vault_recovery_normalize(
		    json_string_value(json_object_get(o, "typed")), out);
		const char *want = json_string_value(json_object_get(o, "error"));
		T_ASSERT(rc != VAULT_OK);
		T_ASSERT(want != NULL && strcmp(want, rc == VAULT_ECHECKSUM ?
		    "VAULT_ECHECKSUM" : rc == VAULT_ECHAR ? "VAULT_ECHAR" :
		    "VAULT_ECODELEN") == 0);
	}
	T_EQ(i, 5);
}

/* ---- vault and backup --------------------------------------------------- */

static json_t *
vec_vault_make(void)
{
	json_t *doc = json_object(), *b = json_object();
	struct vault v;
	uint8_t ser[VAULT_SERIAL_BYTES], blob[VAULT_BACKUP_BYTES], key[32];
	char code[VAULT_RECOVERY_LEN + 1], canon[VAULT_RECOVERY_SYMBOLS + 1];

	vec_owner_vault(&v);
	json_object_set_new(doc, "description", json_string(
	    "Vault serialisation and backup blob (docs/FORMAT.md). The backup "
	    "key is Argon2id(password = the 28 canonical code symbols as ASCII, "
	    "salt, opslimit, memlimit) -> 32 bytes; the ciphertext is "
	    "XChaCha20-Poly1305-IETF(serialisation, ad = blob[0..62), nonce)."));
	json_object_set_new(doc, "box_seed", vj_hex((const uint8_t *)
	    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20"
	    "\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20\x20", 32));
	json_object_set_new(doc, "box_sk", vj_hex(v.box_sk, 32));
	json_object_set_new(doc, "box_pk", vj_hex(v.box_pk, 32));
	json_object_set_new(doc, "sign_seed", vj_hex(v.sign_sk, 32));
	json_object_set_new(doc, "sign_pk", vj_hex(v.sign_pk, 32));
	vault_serialize(&v, ser);
	json_object_set_new(doc, "serialised", vj_hex(ser, sizeof(ser)));
	json_object_set_new(doc, "fingerprints", vec_fingerprints());

	detrand_reset("vault/code");
	vault_recovery_generate(code);
	detrand_reset("vault/backup");
	if (vault_backup_seal(&v, code, blob) != VAULT_OK ||
	    vault_recovery_normalize(code, canon) != VAULT_OK ||
	    crypto_pwhash(key, 32, canon, VAULT_RECOVERY_SYMBOLS, blob + 22,
	    crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		abort();
	json_object_set_new(b, "recovery_code", json_string(code));
	json_object_set_new(b, "password", json_string(canon));
	json_object_set_new(b, "alg", json_integer(blob[5]));
	json_object_set_new(b, "opslimit",
	    json_integer((json_int_t)codec_get_be64(blob + 6)));
	json_object_set_new(b, "memlimit",
	    json_integer((json_int_t)codec_get_be64(blob + 14)));
	json_object_set_new(b, "salt", vj_hex(blob + 22, 16));
	json_object_set_new(b, "nonce", vj_hex(blob + 38, 24));
	json_object_set_new(b, "key", vj_hex(key, 32));
	json_object_set_new(b, "ad", vj_hex(blob, VAULT_BACKUP_HEADER_BYTES));
	json_object_set_new(b, "blob", vj_hex(blob, sizeof(blob)));
	json_object_set_new(doc, "backup", b);
	vault_wipe(&v);
	sodium_memzero(key, sizeof(key));
	return doc;
}

static void
vec_vault_check(const json_t *doc)
{
	struct vault v, w;
	uint8_t ser[VAULT_SERIAL_BYTES], blob[VAULT_BACKUP_BYTES], pk[32];
	const json_t *b = json_object_get(doc, "backup");
	const char *code = json_string_value(json_object_get(b, "recovery_code"));

	T_ASSERT(vj_unhex(doc, "serialised", ser, sizeof(ser)) == 0);
	T_EQ(vault_parse(ser, sizeof(ser), &v), VAULT_OK);
	T_ASSERT(vj_unhex(doc, "box_pk", pk, 32) == 0);
	T_MEMEQ(v.box_pk, pk, 32);
	T_ASSERT(vj_unhex(doc, "sign_pk", pk, 32) == 0);
	T_MEMEQ(v.sign_pk, pk, 32);
	T_ASSERT(vj_unhex(b, "blob", blob, sizeof(blob)) == 0);
	T_EQ(vault_backup_open(blob, sizeof(blob), code, &w), VAULT_OK);
	T_ASSERT(sodium_memcmp(&v, &w, sizeof(v)) == 0);
	vec_fingerprints_check(json_object_get(doc, "fingerprints"));
	vault_wipe(&v);
	vault_wipe(&w);
}

/* ---- keyring ------------------------------------------------------------ */

static json_t *
vec_keyring_make(void)
{
	json_t *doc = json_object(), *rs = json_array(), *neg = json_array();
	struct vault owner;
	struct keyring kr = { .epoch = 2, .issued_ms = 1764000000000ull, .n = 3 };
	uint8_t buf[KEYRING_MAX_BYTES], h[32], campk[32], camsk[64], seed[32];
	uint8_t other_pk[32], other_sk[64];
	size_t len;
	static const char *labels[] = { "Alice's phone", "Bob", "Hub (Küche)" };
	static const uint8_t roles[] = { KEYRING_ROLE_OWNER, KEYRING_ROLE_MEMBER,
	    KEYRING_ROLE_HUB };

	vec_owner_vault(&owner);
	memset(seed, VEC_CAMERA_FILL, 32);
	crypto_sign_seed_keypair(campk, camsk, seed);
	seg_camera_id(campk, kr.camera_id);
	memcpy(kr.r[0].pk, owner.box_pk, 32);
	for (int i = 0; i < 3; i++) {
		if (i > 0) {
			uint8_t sk[32];
			memset(seed, VEC_RECIPIENT_FILL + i, 32);
			crypto_box_seed_keypair(kr.r[i].pk, sk, seed);
		}
		kr.r[i].role = roles[i];
		snprintf(kr.r[i].label, sizeof(kr.r[i].label), "%s", labels[i]);
	}
	if (keyring_sign(&kr, owner.sign_sk, buf, sizeof(buf), &len) != KEYRING_OK)
		abort();
	keyring_hash(buf, len, h);
	json_object_set_new(doc, "description", json_string(
	    "Signed keyring (docs/FORMAT.md). Recipients as given (the encoding "
	    "sorts them by pk). 'negative' lists verifications that must fail."));
	json_object_set_new(doc, "owner_sign_seed", vj_hex(owner.sign_sk, 32));
	json_object_set_new(doc, "owner_sign_pk", vj_hex(owner.sign_pk, 32));
	json_object_set_new(doc, "camera_id", vj_hex(kr.camera_id, 16));
	json_object_set_new(doc, "epoch", json_integer(kr.epoch));
	json_object_set_new(doc, "issued_ms", json_integer((json_int_t)kr.issued_ms));
	for (int i = 0; i < 3; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "pk", vj_hex(kr.r[i].pk, 32));
		json_object_set_new(o, "role", json_integer(kr.r[i].role));
		json_object_set_new(o, "label", json_string(kr.r[i].label));
		json_array_append_new(rs, o);
	}
	json_object_set_new(doc, "recipients", rs);
	json_object_set_new(doc, "signed", vj_hex(buf, len));
	json_object_set_new(doc, "hash", vj_hex(h, 32));
	vj_corpus("keyring", "three-recipients", buf, len);

	/* Refusals a verifier must give, with its inputs. */
#define NEGK(name, bytes, n, pinned, last, err) do { \
	json_t *o = json_object(); \
	json_object_set_new(o, "name", json_string(name)); \
	json_object_set_new(o, "signed", vj_hex(bytes, n)); \
	json_object_set_new(o, "pinned_owner_pk", vj_hex(pinned, 32)); \
	json_object_set_new(o, "camera_id", vj_hex(kr.camera_id, 16)); \
	json_object_set_new(o, "last_epoch", json_integer(last)); \
	json_object_set_new(o, "error", json_string(err)); \
	json_array_append_new(neg, o); } while (0)
	NEGK("replay (same epoch)", buf, len, owner.sign_pk, 2, "KEYRING_EEPOCH");
	NEGK("downgrade", buf, len, owner.sign_pk, 3, "KEYRING_EEPOCH");
	memset(seed, 0xee, 32);
	crypto_sign_seed_keypair(other_pk, other_sk, seed);
	NEGK("pinned key is another owner's", buf, len, other_pk, 1,
	    "KEYRING_EWRONGOWNER");
	{
		uint8_t b2[KEYRING_MAX_BYTES];
		size_t l2;
		if (keyring_sign(&kr, other_sk, b2, sizeof(b2), &l2) != KEYRING_OK)
			abort();
		vj_corpus("keyring", "foreign", b2, l2);
		NEGK("signed by a foreign key", b2, l2, owner.sign_pk, 1,
		    "KEYRING_EWRONGOWNER");
		memcpy(b2, buf, len);
		b2[len - 1] ^= 1;
		NEGK("signature bit flipped", b2, len, owner.sign_pk, 1,
		    "KEYRING_EBADSIG");
	}
#undef NEGK
	json_object_set_new(doc, "negative", neg);
	vault_wipe(&owner);
	return doc;
}

static int
keyring_err_from_name(const char *n)
{
	if (n == NULL)
		return 1;
	return strcmp(n, "KEYRING_EEPOCH") == 0 ? KEYRING_EEPOCH :
	    strcmp(n, "KEYRING_EWRONGOWNER") == 0 ? KEYRING_EWRONGOWNER :
	    strcmp(n, "KEYRING_EBADSIG") == 0 ? KEYRING_EBADSIG : 1;
}

static void
vec_keyring_check(const json_t *doc)
{
	uint8_t *buf, pk[32], cam[16], h[32], want[32];
	size_t len, i;
	struct keyring kr;
	json_t *o;

	buf = vj_unhex_alloc(doc, "signed", &len);
	T_ASSERT(buf != NULL && vj_unhex(doc, "owner_sign_pk", pk, 32) == 0 &&
	    vj_unhex(doc, "camera_id", cam, 16) == 0);
	T_EQ(keyring_verify(buf, len, pk, cam, 1, &kr), KEYRING_OK);
	T_EQ(kr.n, 3);
	T_EQ(kr.epoch, json_integer_value(json_object_get(doc, "epoch")));
	keyring_hash(buf, len, h);
	T_ASSERT(vj_unhex(doc, "hash", want, 32) == 0);
	T_MEMEQ(h, want, 32);
	free(buf);
	json_array_foreach(json_object_get(doc, "negative"), i, o) {
		buf = vj_unhex_alloc(o, "signed", &len);
		T_ASSERT(buf != NULL && vj_unhex(o, "pinned_owner_pk", pk, 32) == 0);
		T_EQ(keyring_verify(buf, len, pk, cam,
		    (uint32_t)json_integer_value(json_object_get(o, "last_epoch")), &kr),
		    keyring_err_from_name(json_string_value(json_object_get(o, "error"))));
		free(buf);
	}
	T_EQ(i, 5);
}

/* ---- pairing ------------------------------------------------------------ */

static json_t *
vec_pairing_make(void)
{
	json_t *doc = json_object();
	struct vault owner;
	struct pairing p;
	char s[PAIRING_STRING_MAX + 1];
	uint8_t id[16], campk[32], camsk[64], camid[16], seed[32], proof[32];

	vec_owner_vault(&owner);
	detrand_reset("pairing/secret");
	if (pairing_new(&p, "https://sealcam.example:8443", owner.sign_pk) !=
	    PAIRING_OK || pairing_encode(&p, s, sizeof(s)) != PAIRING_OK)
		abort();
	pairing_id(p.secret, id);
	memset(seed, VEC_CAMERA_FILL, 32);
	crypto_sign_seed_keypair(campk, camsk, seed);
	seg_camera_id(campk, camid);
	if (pairing_proof_create(p.secret, camid, campk, "Front door", proof) !=
	    PAIRING_OK)
		abort();
	json_object_set_new(doc, "description", json_string(
	    "Pairing string, pairing id and camera proof (docs/FORMAT.md)."));
	json_object_set_new(doc, "url", json_string(p.url));
	json_object_set_new(doc, "owner_sign_pk", vj_hex(p.owner_pk, 32));
	json_object_set_new(doc, "secret", vj_hex(p.secret, 32));
	json_object_set_new(doc, "string", json_string(s));
	json_object_set_new(doc, "pairing_id", vj_hex(id, 16));
	json_object_set_new(doc, "camera_pk", vj_hex(campk, 32));
	json_object_set_new(doc, "camera_id", vj_hex(camid, 16));
	json_object_set_new(doc, "camera_name", json_string("Front door"));
	json_object_set_new(doc, "proof", vj_hex(proof, 32));
	vj_corpus("pairing", "https", (const uint8_t *)s, strlen(s));
	pairing_wipe(&p);
	vault_wipe(&owner);
	return doc;
}

static void
vec_pairing_check(const json_t *doc)
{
	struct pairing p;
	uint8_t secret[32], pk[32], id[16], want[16], campk[32], camid[16], proof[32];

	T_EQ(pairing_decode(json_string_value(json_object_get(doc, "string")), &p),
	    PAIRING_OK);
	T_ASSERT(strcmp(p.url, json_string_value(json_object_get(doc, "url"))) == 0);
	T_ASSERT(vj_unhex(doc, "secret", secret, 32) == 0 &&
	    vj_unhex(doc, "owner_sign_pk", pk, 32) == 0);
	T_MEMEQ(p.secret, secret, 32);
	T_MEMEQ(p.owner_pk, pk, 32);
	pairing_id(secret, id);
	T_ASSERT(vj_unhex(doc, "pairing_id", want, 16) == 0);
	T_MEMEQ(id, want, 16);
	T_ASSERT(vj_unhex(doc, "camera_pk", campk, 32) == 0 &&
	    vj_unhex(doc, "camera_id", camid, 16) == 0 &&
	    vj_unhex(doc, "proof", proof, 32) == 0);
	T_EQ(pairing_proof_verify(secret, camid, campk,
	    json_string_value(json_object_get(doc, "camera_name")), proof),
	    PAIRING_OK);
	pairing_wipe(&p);
}
