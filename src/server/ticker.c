/* ticker — the tick thread's next wake-up (ticker.h). */
#include "ticker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "http.h"

struct ticker {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* When the thread wakes next: TICKER_NEVER while it runs a pass, so
	 * a deadline created during a pass (which the pass may have missed)
	 * is recorded here and honoured by the next sleep. Written under mu;
	 * read without it by ticker_due's fast path. */
	_Atomic int64_t wake_ms;
	int stop;
};

struct ticker *
ticker_new(void)
{
	struct ticker *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;

	if (t == NULL)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	/* Deadlines are wall-clock ms (http_now_ms), but the sleep itself
	 * runs on the monotonic clock, so a step of the wall clock cannot
	 * stretch one sleep beyond TICKER_MAX_SLEEP_MS. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&t->wake_ms, TICKER_NEVER);
	return t;
}

void
ticker_free(struct ticker *t)
{
	if (t == NULL)
		return;
	pthread_cond_destroy(&t->cv);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

void
ticker_due(struct ticker *t, int64_t at_ms)
{
	if (t == NULL || at_ms >= atomic_load(&t->wake_ms))
		return;               /* it wakes by then anyway */
	pthread_mutex_lock(&t->mu);
	if (at_ms < atomic_load(&t->wake_ms)) {
		atomic_store(&t->wake_ms, at_ms);
		pthread_cond_signal(&t->cv);
	}
	pthread_mutex_unlock(&t->mu);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ticker_sleep(struct ticker *t, int64_t last_ms, int64_t next_ms)
{
	int64_t cap = mono_ms() + TICKER_MAX_SLEEP_MS;
	int stopped;

	pthread_mutex_lock(&t->mu);
	if (next_ms < atomic_load(&t->wake_ms))
		atomic_store(&t->wake_ms, next_ms);
	/* Woken by ticker_due (wake_ms lowered), the time, or a stop: each
	 * turn re-reads all three. */
	while (!t->stop) {
		int64_t at = atomic_load(&t->wake_ms), now = http_now_ms(), mono;
		struct timespec ts;

		/* Not sooner than the minimum gap, not later than the cap. */
		if (at < last_ms + TICKER_MIN_GAP_MS)
			at = last_ms + TICKER_MIN_GAP_MS;
		if (now >= at)
			break;
		mono = mono_ms();
		if (mono >= cap)
			break;
		mono += at - now < cap - mono ? at - now : cap - mono;
		ts.tv_sec = (time_t)(mono / 1000);
		ts.tv_nsec = (long)(mono % 1000) * 1000000L;
		(void)pthread_cond_timedwait(&t->cv, &t->mu, &ts);
	}
	stopped = t->stop;
	atomic_store(&t->wake_ms, TICKER_NEVER);  /* a pass runs now */
	pthread_mutex_unlock(&t->mu);
	return stopped ? -1 : 0;
}

void
ticker_stop(struct ticker *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = 1;
	pthread_cond_signal(&t->cv);
	pthread_mutex_unlock(&t->mu);
}
