/*
 * Fuzz the consent parsers: grant documents (what sealcamd and a staff
 * client read from the other side), revocations, access records (a staff
 * client and the owner read them from the server) and staff directory
 * records. The first byte picks the target; anything accepted must encode
 * back to the same bytes (one encoding per content).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "grant.h"
#include "staff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	static struct grant_access a;
	static uint8_t again[GRANT_ACCESS_MAX];
	struct grant g;
	struct grant_revocation r;
	struct staff_record s;
	uint8_t sb[STAFF_RECORD_MAX];
	size_t n;

	if (!init) {
		if (sodium_init() < 0)
			abort();
		init = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (grant_verify(data + 1, size - 1, NULL, &g) == GRANT_OK) {
			if (g.n == 0 || g.obj == NULL ||
			    grant_find(&g, g.obj[0].kind, g.obj[0].seq) != &g.obj[0])
				abort();
			grant_clear(&g);
		} else if (g.obj != NULL) {
			abort();
		}
		break;
	case 1:
		(void)grant_revocation_verify(data + 1, size - 1, NULL, &r);
		break;
	case 2:
		if (grant_access_parse(data + 1, size - 1, &a) == GRANT_OK &&
		    (grant_access_encode(&a, again, sizeof(again), &n) != GRANT_OK ||
		    n != size - 1 || memcmp(again, data + 1, n) != 0))
			abort();
		break;
	default:
		if (staff_record_parse(data + 1, size - 1, &s) == 0 &&
		    (staff_record_encode(&s, sb, sizeof(sb), &n) != 0 ||
		    n != size - 1 || memcmp(sb, data + 1, n) != 0))
			abort();
		break;
	}
	return 0;
}
