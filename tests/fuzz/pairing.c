/*
 * Fuzz the text parsers people type into: pairing strings, recovery codes,
 * base32. Oracles: a decoded pairing string encodes and decodes back to the
 * same fields; a recovery code that normalises is a fixed point.
 */
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "pairing.h"
#include "vault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, enc[PAIRING_STRING_MAX + 1];
	char canon[VAULT_RECOVERY_SYMBOLS + 1], again[VAULT_RECOVERY_SYMBOLS + 1];
	struct pairing p, q;
	uint8_t bin[1024];
	size_t n;

	if (size > 4096)
		return 0;
	if ((s = malloc(size + 1)) == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';

	if (pairing_decode(s, &p) == PAIRING_OK) {
		if (pairing_encode(&p, enc, sizeof(enc)) != PAIRING_OK ||
		    pairing_decode(enc, &q) != PAIRING_OK ||
		    strcmp(p.url, q.url) != 0 ||
		    memcmp(p.owner_pk, q.owner_pk, 32) != 0 ||
		    memcmp(p.secret, q.secret, 32) != 0)
			abort();
	}
	if (vault_recovery_normalize(s, canon) == VAULT_OK &&
	    (vault_recovery_normalize(canon, again) != VAULT_OK ||
	    strcmp(canon, again) != 0))
		abort();
	if (codec_b32_decode(s, size, bin, sizeof(bin), &n) == 0 && n > sizeof(bin))
		abort();
	free(s);
	return 0;
}
