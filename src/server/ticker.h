/*
 * ticker — when sealcamd's tick thread (http.c) must next wake.
 *
 * Deadlines live in their modules (guard: slow clients; wait: keyring and
 * event long-polls; relay: live sessions' grace, limits and pings;
 * accesswatch: owners' event streams). Each module's tick pass returns
 * the earliest deadline it still holds, and whoever creates a new deadline
 * calls ticker_due() with it. The tick thread sleeps until the earliest of
 * these, so an idle server does not wake at all (it used to every 250 ms).
 *
 * Times are http_now_ms() milliseconds (CLOCK_REALTIME). Passes are at
 * least TICKER_MIN_GAP_MS apart: many close deadlines (a burst of
 * connections) cost at most 4 passes a second, as the fixed tick did; a
 * deadline is served at most that late. TICKER_MAX_SLEEP_MS bounds a sleep
 * (measured on the monotonic clock, so also across a wall-clock step; and
 * a deadline some module forgot to report is still met within it).
 */
#ifndef SEALCAMD_TICKER_H
#define SEALCAMD_TICKER_H

#include <stdint.h>

#define TICKER_NEVER INT64_MAX       /* "no deadline" from a tick pass */
#define TICKER_MIN_GAP_MS 250
#define TICKER_MAX_SLEEP_MS 60000

struct ticker;

struct ticker *ticker_new(void);
/* NULL is a no-op. */
void ticker_free(struct ticker *t);

/*
 * Something is due at at_ms: make sure the tick thread wakes by then.
 * One atomic load when it wakes earlier anyway (the usual case);
 * otherwise a lock and a signal. Any thread; t NULL is a no-op.
 */
void ticker_due(struct ticker *t, int64_t at_ms);

/*
 * The tick thread: sleep until next_ms (the earliest deadline its pass
 * found, or TICKER_NEVER), an earlier ticker_due(), or ticker_stop().
 * last_ms is when the last pass began (the minimum gap counts from it).
 * 0 = run a pass; -1 = stopped.
 */
int ticker_sleep(struct ticker *t, int64_t last_ms, int64_t next_ms);

/* Wake the tick thread for good: ticker_sleep answers -1 from now on. */
void ticker_stop(struct ticker *t);

#endif
