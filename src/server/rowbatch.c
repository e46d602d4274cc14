#include "rowbatch.h"

#include <pthread.h>
#include <stdlib.h>

struct waiter {
	const struct store_object *o;
	int result;
	int done;
	struct waiter *next;
};

struct rowbatch {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store *st;
	struct waiter *head, *tail;
	int leading;              /* a leader is committing */
	unsigned max;
	uint64_t transactions, rows;
};

struct rowbatch *
rowbatch_new(struct store *st, unsigned max_batch)
{
	struct rowbatch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->st = st;
	b->max = max_batch ? max_batch : 1;
	return b;
}

void
rowbatch_free(struct rowbatch *b)
{
	if (b == NULL)
		return;
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b);
}

int
rowbatch_put(struct rowbatch *b, const struct store_object *o, int64_t now_ms)
{
	struct waiter w = { o, STORE_ERR, 0, NULL };

	pthread_mutex_lock(&b->mu);
	if (b->tail)
		b->tail->next = &w;
	else
		b->head = &w;
	b->tail = &w;
	while (!w.done) {
		const struct store_object *objs[256];
		struct waiter *batch[256];
		int results[256];
		size_t n = 0;

		if (b->leading) {
			pthread_cond_wait(&b->cv, &b->mu);
			continue;
		}
		/* Lead: take what is queued (we are in it, or ahead of us is). */
		b->leading = 1;
		while (b->head != NULL && n < b->max && n < 256) {
			batch[n] = b->head;
			objs[n] = b->head->o;
			n++;
			if ((b->head = b->head->next) == NULL)
				b->tail = NULL;
		}
		pthread_mutex_unlock(&b->mu);
		(void)store_object_put_many(b->st, objs, n, now_ms, results);
		pthread_mutex_lock(&b->mu);
		for (size_t i = 0; i < n; i++) {
			batch[i]->result = results[i];
			batch[i]->done = 1;
			b->rows += results[i] == STORE_OK;
		}
		b->transactions++;
		b->leading = 0;
		pthread_cond_broadcast(&b->cv);
	}
	pthread_mutex_unlock(&b->mu);
	return w.result;
}

void
rowbatch_stats(struct rowbatch *b, uint64_t *transactions, uint64_t *rows)
{
	pthread_mutex_lock(&b->mu);
	*transactions = b->transactions;
	*rows = b->rows;
	pthread_mutex_unlock(&b->mu);
}
