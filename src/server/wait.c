#include "wait.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "ticker.h"

struct waitlist {
	pthread_mutex_t mu;
	struct req head;          /* circular list sentinel (wnext/wprev) */
	uint64_t gen;
	unsigned n;
	struct ticker *ticker;    /* told of every deadline */
};

struct waitlist *
wait_new(struct ticker *t)
{
	struct waitlist *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	w->head.wnext = w->head.wprev = &w->head;
	w->ticker = t;
	return w;
}

void
wait_free(struct waitlist *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->mu);
	free(w);
}

uint64_t
wait_gen(struct waitlist *w)
{
	uint64_t g;

	pthread_mutex_lock(&w->mu);
	g = w->gen;
	pthread_mutex_unlock(&w->mu);
	return g;
}

static void
unlink_locked(struct waitlist *w, struct req *rq)
{
	rq->wprev->wnext = rq->wnext;
	rq->wnext->wprev = rq->wprev;
	rq->wnext = rq->wprev = NULL;
	w->n--;
}

/* Wake one parked request (lock held). */
static void
wake_locked(struct waitlist *w, struct req *rq)
{
	unlink_locked(w, rq);
	rq->woken = 1;
	http_resume(rq);
}

int
wait_park(struct waitlist *w, struct req *rq, const uint8_t cam[STORE_ID_LEN],
    int64_t deadline_ms, uint64_t gen)
{
	pthread_mutex_lock(&w->mu);
	if (w->gen != gen) {
		pthread_mutex_unlock(&w->mu);
		return 1;
	}
	memcpy(rq->wcam, cam, STORE_ID_LEN);
	rq->wdeadline_ms = deadline_ms;
	rq->woken = 0;
	rq->wnext = w->head.wnext;
	rq->wprev = &w->head;
	w->head.wnext->wprev = rq;
	w->head.wnext = rq;
	w->n++;
	/* Suspend under the lock: no waker can resume before we suspend. */
	http_suspend(rq);
	pthread_mutex_unlock(&w->mu);
	ticker_due(w->ticker, deadline_ms);
	return 0;
}

void
wait_unpark(struct waitlist *w, struct req *rq)
{
	pthread_mutex_lock(&w->mu);
	if (rq->wnext != NULL)
		unlink_locked(w, rq);
	pthread_mutex_unlock(&w->mu);
}

void
wait_notify(struct waitlist *w, const uint8_t cam[STORE_ID_LEN])
{
	pthread_mutex_lock(&w->mu);
	w->gen++;
	for (struct req *rq = w->head.wnext, *next; rq != &w->head; rq = next) {
		next = rq->wnext;
		if (memcmp(rq->wcam, cam, STORE_ID_LEN) == 0)
			wake_locked(w, rq);
	}
	pthread_mutex_unlock(&w->mu);
}

int64_t
wait_tick(struct waitlist *w, int64_t now_ms)
{
	int64_t next = TICKER_NEVER;

	pthread_mutex_lock(&w->mu);
	for (struct req *rq = w->head.wnext, *next_rq; rq != &w->head; rq = next_rq) {
		next_rq = rq->wnext;
		if (rq->wdeadline_ms <= now_ms)
			wake_locked(w, rq);
		else if (rq->wdeadline_ms < next)
			next = rq->wdeadline_ms;
	}
	pthread_mutex_unlock(&w->mu);
	return next;
}

void
wait_wake_all(struct waitlist *w)
{
	pthread_mutex_lock(&w->mu);
	w->gen++;
	while (w->head.wnext != &w->head)
		wake_locked(w, w->head.wnext);
	pthread_mutex_unlock(&w->mu);
}

unsigned
wait_count(struct waitlist *w)
{
	unsigned n;

	pthread_mutex_lock(&w->mu);
	n = w->n;
	pthread_mutex_unlock(&w->mu);
	return n;
}
