/* Unit tests for src/agent/backoff: retry delays against the server. */
#include "t.h"

#include <sodium.h>

#include "../../src/agent/backoff.h"

int
main(void)
{
	struct backoff b;
	uint32_t d, prev_ceil, lo = UINT32_MAX, hi = 0;

	if (sodium_init() < 0)
		return 1;

	t_case("delays double from the base and stay within [ceiling/2, ceiling]");
	backoff_init(&b, 500, 30000);
	prev_ceil = 0;
	for (int i = 0; i < 12; i++) {
		uint32_t ceil = prev_ceil == 0 ? 500 :
		    (prev_ceil * 2 > 30000 ? 30000 : prev_ceil * 2);

		d = backoff_next(&b);
		T_ASSERT(d >= ceil / 2 && d <= ceil);
		prev_ceil = ceil;
	}

	t_case("delays never exceed the 30 s cap however many failures");
	for (int i = 0; i < 1000; i++)
		T_ASSERT(backoff_next(&b) <= 30000);
	T_EQ(b.ceil_ms, 30000);

	t_case("a success resets the next delay to the base");
	backoff_reset(&b);
	d = backoff_next(&b);
	T_ASSERT(d >= 250 && d <= 500);

	t_case("delays are jittered (agents do not retry in lockstep)");
	for (int i = 0; i < 200; i++) {
		backoff_init(&b, 500, 30000);
		for (int j = 0; j < 6; j++)
			d = backoff_next(&b);	/* ceiling 16 s */
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	T_ASSERT(lo >= 8000 && hi <= 16000);
	T_ASSERT(hi - lo > 4000);

	return t_done();
}
