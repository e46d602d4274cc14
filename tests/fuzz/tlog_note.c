/*
 * Fuzz the signed-note and checkpoint parsers and the key-string parsers:
 * everything a client reads from a (possibly hostile) log server.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tlog_note.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tlog_verifier *v;
	struct tlog_checkpoint c;
	char *s;
	size_t tl;

	if (v == NULL) {
		if (sodium_init() < 0)
			abort();
		/* The reference example key: inputs seeded from its note hit
		 * the signature path. */
		v = tlog_verifier_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
		if (v == NULL)
			abort();
	}
	if (tlog_note_open((const char *)data, size, v, &tl) == 0 &&
	    tl > size)
		abort();
	if (tlog_checkpoint_parse((const char *)data, size, &c) == 0) {
		char out[TLOG_NAME_MAX + 128 + TLOG_CHECKPOINT_EXT_MAX];
		size_t n;
		struct tlog_checkpoint back;

		/* What parses must format back to the same bytes. */
		if (tlog_checkpoint_format(&c, out, sizeof(out), &n) == 0 &&
		    (tlog_checkpoint_parse(out, n, &back) != 0 ||
		    back.size != c.size))
			abort();
	}
	(void)tlog_checkpoint_open((const char *)data, size, v, NULL, &c);

	/* Key strings are NUL-terminated. */
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	tlog_verifier_free(tlog_verifier_parse(s));
	tlog_signer_free(tlog_signer_parse(s));
	free(s);
	return 0;
}
