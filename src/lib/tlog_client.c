/* tlog_client — checkpoint advancement and receipts (tlog_client.h). */
#include "tlog_client.h"

#include <string.h>

#include <sodium.h>

#include "vault.h"

const char *
tlog_client_strerror(int err)
{
	switch (err) {
	case TLOG_CLIENT_OK:
		return "verified";
	case TLOG_CLIENT_EMALFORMED:
		return "malformed checkpoint, proof or entry";
	case TLOG_CLIENT_ESIGNATURE:
		return "checkpoint not signed by the pinned log key";
	case TLOG_CLIENT_ESHRANK:
		return "the log is smaller than a checkpoint seen before (history removed)";
	case TLOG_CLIENT_EFORK:
		return "the log does not extend the checkpoint seen before (history rewritten)";
	case TLOG_CLIENT_ENOTINCLUDED:
		return "entry not included in the checkpoint's tree";
	}
	return "unknown error";
}

int
tlog_client_advance(const struct tlog_verifier *v, const char *origin,
    const struct tlog_checkpoint *prev, const char *note, size_t len,
    const struct tlog_proof *consistency, struct tlog_checkpoint *out)
{
	struct tlog_checkpoint cp;

	memset(out, 0, sizeof(*out));
	if (note == NULL || len == 0 || len > TLOG_NOTE_MAX)
		return TLOG_CLIENT_EMALFORMED;
	if (tlog_checkpoint_open(note, len, v, origin, &cp) != 0)
		return TLOG_CLIENT_ESIGNATURE;
	if (prev != NULL && prev->size > 0) {
		if (cp.size < prev->size)
			return TLOG_CLIENT_ESHRANK;
		if (cp.size == prev->size) {
			if (sodium_memcmp(cp.root, prev->root, TLOG_HASH_LEN) != 0)
				return TLOG_CLIENT_EFORK;
		} else if (consistency == NULL ||
		    tlog_verify_consistency(prev->size, cp.size, consistency,
		    prev->root, sizeof(prev->root), cp.root, sizeof(cp.root)) != 0)
			return TLOG_CLIENT_EFORK;
	}
	*out = cp;
	return TLOG_CLIENT_OK;
}

int
tlog_client_included(const struct tlog_checkpoint *cp, uint64_t index,
    const uint8_t *entry, size_t len, const struct tlog_proof *proof)
{
	uint8_t leaf[TLOG_HASH_LEN];

	if (entry == NULL || len == 0 || len > TLOG_ENTRY_MAX)
		return TLOG_CLIENT_EMALFORMED;
	tlog_leaf_hash(entry, len, leaf);
	if (tlog_verify_inclusion(leaf, sizeof(leaf), index, cp->size, proof,
	    cp->root, sizeof(cp->root)) != 0)
		return TLOG_CLIENT_ENOTINCLUDED;
	return TLOG_CLIENT_OK;
}

int
tlog_client_proof_json(const json_t *arr, struct tlog_proof *out)
{
	const json_t *h;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_array(arr) || json_array_size(arr) > TLOG_PROOF_MAX)
		return -1;
	json_array_foreach(arr, i, h) {
		const char *s = json_string_value(h);

		if (s == NULL || tlog_hash_from_b64(s, strlen(s), out->h[i]) != 0)
			return -1;
	}
	out->n = json_array_size(arr);
	return 0;
}

int
tlog_client_vkey_info(const char *vkey, char name[TLOG_NAME_MAX + 1], char fpr[20])
{
	struct tlog_verifier *v = tlog_verifier_parse(vkey);
	const char *p1, *p2;
	uint8_t raw[33];
	size_t n;

	/* The parser checks the form and the key id; then the parts are
	 * <name>+<8 hex>+<base64(0x01 || key)> with no '+' in the name. */
	if (v == NULL)
		return -1;
	tlog_verifier_free(v);
	if ((p1 = strchr(vkey, '+')) == NULL || (p2 = strchr(p1 + 1, '+')) == NULL ||
	    (size_t)(p1 - vkey) > TLOG_NAME_MAX)
		return -1;
	if (sodium_base642bin(raw, sizeof(raw), p2 + 1, strlen(p2 + 1), NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || n != 33 || raw[0] != 0x01)
		return -1;
	memcpy(name, vkey, (size_t)(p1 - vkey));
	name[p1 - vkey] = '\0';
	vault_fingerprint(raw + 1, fpr);
	return 0;
}
