#include "workq.h"

#include <pthread.h>
#include <stdlib.h>

struct job {
	workq_fn *fn;
	void *arg;
	struct job *next;
};

struct workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	unsigned pending, nthreads;
	int stop;
	pthread_t th[64];
};

static void *
workq_main(void *arg)
{
	struct workq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct job *j;

		while (q->head == NULL && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->head == NULL)
			break;            /* stopping and drained */
		j = q->head;
		if ((q->head = j->next) == NULL)
			q->tail = NULL;
		pthread_mutex_unlock(&q->mu);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&q->mu);
		q->pending--;
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct workq *
workq_new(unsigned n)
{
	struct workq *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	if (n == 0)
		n = 1;
	if (n > sizeof(q->th) / sizeof(q->th[0]))
		n = sizeof(q->th) / sizeof(q->th[0]);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	for (; q->nthreads < n; q->nthreads++)
		if (pthread_create(&q->th[q->nthreads], NULL, workq_main, q) != 0) {
			workq_free(q);
			return NULL;
		}
	return q;
}

int
workq_submit(struct workq *q, workq_fn *fn, void *arg)
{
	struct job *j = malloc(sizeof(*j));

	if (j == NULL)
		return -1;
	j->fn = fn;
	j->arg = arg;
	j->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->stop) {
		pthread_mutex_unlock(&q->mu);
		free(j);
		return -1;
	}
	if (q->tail)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->pending++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

void
workq_stop(struct workq *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < q->nthreads; i++)
		pthread_join(q->th[i], NULL);
	q->nthreads = 0;
}

void
workq_free(struct workq *q)
{
	if (q == NULL)
		return;
	workq_stop(q);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q);
}

unsigned
workq_pending(struct workq *q)
{
	unsigned n;

	pthread_mutex_lock(&q->mu);
	n = q->pending;
	pthread_mutex_unlock(&q->mu);
	return n;
}
