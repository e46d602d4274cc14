#include "evnotes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const uint8_t evnotes_wait_key[STORE_ID_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

struct evnotes {
	pthread_mutex_t mu;
	struct evnote ring[EVNOTES_CAP];
	int64_t first_id;	/* id of the oldest note held */
	int64_t next_id;	/* id the next note gets */
};

struct evnotes *
evnotes_new(int64_t now_ms)
{
	struct evnotes *en = calloc(1, sizeof(*en));

	if (en == NULL)
		return NULL;
	pthread_mutex_init(&en->mu, NULL);
	/* Above any id an earlier run handed out (at most 1024 notes per ms
	 * of uptime), and exact in a JavaScript number (< 2^53). */
	en->next_id = en->first_id = now_ms * 1024;
	return en;
}

void
evnotes_free(struct evnotes *en)
{
	if (en == NULL)
		return;
	pthread_mutex_destroy(&en->mu);
	free(en);
}

static struct evnote *
slot(struct evnotes *en, int64_t id)
{
	return &en->ring[(uint64_t)id % EVNOTES_CAP];
}

int
evnotes_add(struct evnotes *en, const struct evnote *n, int64_t *id)
{
	pthread_mutex_lock(&en->mu);
	for (int64_t i = en->next_id - 1; i >= en->first_id; i--) {
		struct evnote *o = slot(en, i);

		if (o->seq == n->seq && o->type == n->type &&
		    memcmp(o->camera_id, n->camera_id, STORE_ID_LEN) == 0) {
			*id = o->id;
			pthread_mutex_unlock(&en->mu);
			return 0;
		}
	}
	if (en->next_id - en->first_id == EVNOTES_CAP)
		en->first_id++;
	*slot(en, en->next_id) = *n;
	slot(en, en->next_id)->id = en->next_id;
	*id = en->next_id++;
	pthread_mutex_unlock(&en->mu);
	return 1;
}

int64_t
evnotes_last(struct evnotes *en)
{
	int64_t v;

	pthread_mutex_lock(&en->mu);
	v = en->next_id - 1;
	pthread_mutex_unlock(&en->mu);
	return v;
}

size_t
evnotes_since(struct evnotes *en, int64_t after, evnotes_want_fn *want,
    void *cookie, struct evnote *out, size_t max, int64_t *next, int *gap)
{
	size_t k = 0;
	int64_t i;

	pthread_mutex_lock(&en->mu);
	/* Notes after the cursor that are no longer held (overwritten, or
	 * from before a restart): the watcher may have missed some. */
	*gap = after + 1 < en->first_id;
	i = *gap ? en->first_id : after + 1;
	/* A cursor from the future (server clock went back) resyncs. */
	*next = after > en->next_id - 1 ? en->next_id - 1 : after;
	for (; i < en->next_id && k < max; i++) {
		struct evnote *n = slot(en, i);

		*next = i;
		if (want(cookie, n->camera_id))
			out[k++] = *n;
	}
	pthread_mutex_unlock(&en->mu);
	return k;
}
