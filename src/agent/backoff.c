#include "backoff.h"

#include <assert.h>

#include <sodium.h>

void
backoff_init(struct backoff *b, uint32_t base_ms, uint32_t cap_ms)
{
	assert(base_ms > 0 && base_ms <= cap_ms);
	b->base_ms = base_ms;
	b->cap_ms = cap_ms;
	b->ceil_ms = 0;
}

uint32_t
backoff_next(struct backoff *b)
{
	uint32_t half;

	if (b->ceil_ms == 0)
		b->ceil_ms = b->base_ms;
	else if (b->ceil_ms > b->cap_ms / 2)
		b->ceil_ms = b->cap_ms;
	else
		b->ceil_ms *= 2;
	/* Equal jitter: never less than half the ceiling, so retries still
	 * slow down, but spread over the other half. */
	half = b->ceil_ms / 2;
	return half + randombytes_uniform(b->ceil_ms - half + 1);
}

void
backoff_reset(struct backoff *b)
{
	b->ceil_ms = 0;
}
