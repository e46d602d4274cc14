/*
 * backoff — exponential backoff with jitter for retries against the server.
 *
 * Each failure doubles the ceiling (base, 2 base, 4 base, ... up to cap);
 * the delay handed out is drawn uniformly from [ceiling/2, ceiling] so that
 * many agents that lost the server at the same moment do not come back in
 * lockstep ("equal jitter"). A success resets to base.
 */
#ifndef SEALCAM_AGENT_BACKOFF_H
#define SEALCAM_AGENT_BACKOFF_H

#include <stdint.h>

#define BACKOFF_BASE_MS 500
#define BACKOFF_CAP_MS 30000

struct backoff {
	uint32_t base_ms;	/* first ceiling */
	uint32_t cap_ms;	/* ceiling never exceeds this */
	uint32_t ceil_ms;	/* current ceiling; 0 = no failure yet */
};

/* Start a backoff with the given base and cap (milliseconds, base <= cap). */
void backoff_init(struct backoff *b, uint32_t base_ms, uint32_t cap_ms);

/* After a failure: the delay to wait before the next try, in milliseconds. */
uint32_t backoff_next(struct backoff *b);

/* After a success: the next failure starts again from base. */
void backoff_reset(struct backoff *b);

#endif
