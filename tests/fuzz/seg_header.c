/*
 * Fuzz the container header parser: any bytes, any length. A header that
 * parses must be canonical: its length is 72 + 88 n, its stanzas ascend, and
 * re-parsing exactly its own bytes gives the same result.
 */
#include <stdlib.h>
#include <string.h>

#include "seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seg_header h, h2;
	int rc = seg_header_parse(data, size, &h);

	if (rc != SEG_OK)
		return 0;
	if (h.len != SEG_HEADER_FIXED + (size_t)h.nrecipients * SEG_STANZA_BYTES ||
	    h.len > size || h.nrecipients < 1 || h.nrecipients > SEG_MAX_RECIPIENTS)
		abort();
	for (unsigned i = 1; i < h.nrecipients; i++)
		if (memcmp(h.key_ids[i - 1], h.key_ids[i], SEG_KEYID_BYTES) >= 0)
			abort();
	/* Exactly its own bytes suffice; one fewer does not. */
	if (seg_header_parse(data, h.len, &h2) != SEG_OK ||
	    memcmp(&h, &h2, sizeof(h)) != 0 ||
	    seg_header_parse(data, h.len - 1, &h2) != SEG_EMORE)
		abort();
	return 0;
}
