/*
 * Fuzz the event record parser (decrypted event records: a buggy or
 * compromised camera writes them, readers parse them). Oracle: a record
 * that parses encodes again, and that encoding parses to the same record
 * and re-encodes to the same bytes (one canonical form after one pass).
 */
#include <stdlib.h>
#include <string.h>

#include "evrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct evrec r, q;
	const uint8_t *j, *j2;
	size_t jlen, j2len, len, len2;
	uint8_t *enc, *enc2;
	char err[128];

	if (size > EVREC_MAX)
		return 0;
	if (evrec_parse(data, size, &r, &j, &jlen, err, sizeof(err)) != 0)
		return 0;
	if (jlen > 0 && (j < data || j + jlen != data + size))
		abort();
	if (evrec_encode(&r, j, jlen, &enc, &len) != 0)
		abort();
	if (evrec_parse(enc, len, &q, &j2, &j2len, err, sizeof(err)) != 0 ||
	    q.event != r.event || q.state != r.state || q.nboxes != r.nboxes ||
	    q.nlabels != r.nlabels || q.nzones != r.nzones || j2len != jlen)
		abort();
	if (evrec_encode(&q, j2, j2len, &enc2, &len2) != 0 || len2 != len ||
	    memcmp(enc, enc2, len) != 0)
		abort();
	free(enc);
	free(enc2);
	return 0;
}
