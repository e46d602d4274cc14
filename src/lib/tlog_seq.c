/*
 * tlog_seq.c — the sequencer: producers queue entries, one thread cuts
 * them into batches and integrates each batch (tlog_store.c), then reports
 * every entry's index once the covering checkpoint is durable.
 *
 * A batch is cut when batch_max entries wait, or interval_ms after the
 * oldest waiting entry was queued, whichever comes first. While a batch is
 * being written the next one accumulates, so under load batches grow to
 * what arrives during one write (group commit) and latency stays near
 * interval + two batch writes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "tlog_store_int.h"

#define COMP "tlog"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void deadline_ts(uint64_t ms, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ms / 1000);
	ts->tv_nsec = (long)(ms % 1000) * 1000000;
}

static void *seq_main(void *arg)
{
	struct tlog_store *s = arg;
	size_t cap = s->o.batch_max;
	const uint8_t **ents = malloc(cap * sizeof(*ents));
	size_t *lens = malloc(cap * sizeof(*lens));
	struct ts_item **items = malloc(cap * sizeof(*items));

	if (ents == NULL || lens == NULL || items == NULL) {
		log_err(COMP, "msg=\"sequencer out of memory\"");
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_lock(&s->mu);
	for (;;) {
		size_t n = 0;
		uint64_t first = 0;
		int r;

		while (s->qcount == 0 && !s->stop)
			pthread_cond_wait(&s->cv_work, &s->mu);
		if (s->qcount == 0 || items == NULL)
			break;
		/* Wait for a full batch or the oldest entry's deadline (a
		 * stopping store flushes at once). */
		while (s->qcount < cap && !s->stop) {
			uint64_t due = s->qhead->t_ms + s->o.interval_ms;
			struct timespec ts;

			if (now_ms() >= due)
				break;
			deadline_ts(due, &ts);
			pthread_cond_timedwait(&s->cv_work, &s->mu, &ts);
		}
		while (n < cap && s->qhead != NULL) {
			struct ts_item *it = s->qhead;

			s->qhead = it->next;
			items[n] = it;
			ents[n] = it->data;
			lens[n] = it->len;
			n++;
		}
		if (s->qhead == NULL)
			s->qtail = NULL;
		s->qcount -= n;
		pthread_cond_broadcast(&s->cv_space);
		pthread_mutex_unlock(&s->mu);

		r = ts_write_batch(s, ents, lens, n, &first);
		for (size_t i = 0; i < n; i++) {
			items[i]->cb(items[i]->cookie, r, r == 0 ? first + i : 0);
			free(items[i]);
		}
		pthread_mutex_lock(&s->mu);
	}
	/* Stopping (or out of memory): fail whatever is still queued. */
	while (s->qhead != NULL) {
		struct ts_item *it = s->qhead;

		s->qhead = it->next;
		pthread_mutex_unlock(&s->mu);
		it->cb(it->cookie, -1, 0);
		free(it);
		pthread_mutex_lock(&s->mu);
	}
	s->qtail = NULL;
	s->qcount = 0;
	pthread_cond_broadcast(&s->cv_space);
	pthread_mutex_unlock(&s->mu);
	free(ents);
	free(lens);
	free(items);
	return NULL;
}

int ts_seq_start(struct tlog_store *s)
{
	if (pthread_create(&s->thread, NULL, seq_main, s) != 0)
		return -1;
	s->thread_started = 1;
	return 0;
}

void ts_seq_stop(struct tlog_store *s)
{
	if (!s->thread_started)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_broadcast(&s->cv_work);
	pthread_cond_broadcast(&s->cv_space);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	s->thread_started = 0;
}

int tlog_store_submit(struct tlog_store *s, const uint8_t *entry, size_t len,
    tlog_callback_integrated *cb, void *cookie)
{
	struct ts_item *it;

	if (len == 0 || len > TLOG_ENTRY_MAX)
		return -1;
	it = malloc(sizeof(*it) + len);
	if (it == NULL)
		return -1;
	it->next = NULL;
	it->cb = cb;
	it->cookie = cookie;
	it->len = len;
	memcpy(it->data, entry, len);

	pthread_mutex_lock(&s->mu);
	while (s->qcount >= s->o.queue_max && !s->stop)
		pthread_cond_wait(&s->cv_space, &s->mu);
	if (s->stop) {
		pthread_mutex_unlock(&s->mu);
		free(it);
		return -1;
	}
	it->t_ms = now_ms();
	if (s->qtail != NULL)
		s->qtail->next = it;
	else
		s->qhead = it;
	s->qtail = it;
	s->qcount++;
	/* The sequencer needs waking for a first entry (to start the
	 * interval) and for a full batch. */
	if (s->qcount == 1 || s->qcount >= s->o.batch_max)
		pthread_cond_signal(&s->cv_work);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

struct waiter {
	struct tlog_store *s;
	int done, status;
	uint64_t index;
};

static void callback_appended(void *cookie, int status, uint64_t index)
{
	struct waiter *w = cookie;
	struct tlog_store *s = w->s;

	pthread_mutex_lock(&s->mu);
	w->status = status;
	w->index = index;
	w->done = 1;
	pthread_cond_broadcast(&s->cv_done);
	pthread_mutex_unlock(&s->mu);
}

int tlog_store_append(struct tlog_store *s, const uint8_t *entry, size_t len,
    uint64_t *index)
{
	struct waiter w = { s, 0, -1, 0 };

	if (tlog_store_submit(s, entry, len, callback_appended, &w) != 0)
		return -1;
	pthread_mutex_lock(&s->mu);
	while (!w.done)
		pthread_cond_wait(&s->cv_done, &s->mu);
	pthread_mutex_unlock(&s->mu);
	if (w.status == 0)
		*index = w.index;
	return w.status;
}
