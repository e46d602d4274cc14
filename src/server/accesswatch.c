/* accesswatch — wake the owner's event streams (accesswatch.h). */
#include "accesswatch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "ticker.h"

struct accesswatch_sub {
	struct accesswatch *w;
	uint8_t owner[16];
	int pending;                     /* announced since the last look */
	int64_t deadline_ms;
	int over;                        /* deadline passed */
	struct MHD_Connection *conn;     /* suspended, or NULL */
	struct accesswatch_sub *next, *prev;
};

struct accesswatch {
	pthread_mutex_t mu;
	struct accesswatch_sub *subs;
	int stopping;
	struct ticker *ticker;           /* told of every stream's deadline */
};

struct accesswatch *
accesswatch_new(struct ticker *t)
{
	struct accesswatch *w = calloc(1, sizeof(*w));

	if (w != NULL) {
		pthread_mutex_init(&w->mu, NULL);
		w->ticker = t;
	}
	return w;
}

void
accesswatch_free(struct accesswatch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->mu);
	free(w);
}

/* Resume s's connection if it is suspended (w->mu held). */
static void
wake_locked(struct accesswatch_sub *s)
{
	if (s->conn != NULL) {
		struct MHD_Connection *c = s->conn;
		s->conn = NULL;
		MHD_resume_connection(c);
	}
}

void
accesswatch_notify(struct accesswatch *w, const uint8_t owner[16], int64_t seq)
{
	(void)seq;              /* readers fetch what is new from the store */
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	for (struct accesswatch_sub *s = w->subs; s != NULL; s = s->next)
		if (memcmp(s->owner, owner, 16) == 0) {	/* check-src: ok (ids) */
			s->pending = 1;
			wake_locked(s);
		}
	pthread_mutex_unlock(&w->mu);
}

void
accesswatch_stop(struct accesswatch *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stopping = 1;
	for (struct accesswatch_sub *s = w->subs; s != NULL; s = s->next)
		wake_locked(s);
	pthread_mutex_unlock(&w->mu);
}

struct accesswatch_sub *
accesswatch_subscribe(struct accesswatch *w, const uint8_t owner[16],
    int64_t deadline_ms)
{
	struct accesswatch_sub *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->w = w;
	memcpy(s->owner, owner, 16);
	s->deadline_ms = deadline_ms;
	s->pending = 1;         /* the first look reads what is there */
	pthread_mutex_lock(&w->mu);
	s->next = w->subs;
	if (w->subs != NULL)
		w->subs->prev = s;
	w->subs = s;
	pthread_mutex_unlock(&w->mu);
	ticker_due(w->ticker, deadline_ms);
	return s;
}

int
accesswatch_sub_wait(struct accesswatch_sub *s, struct MHD_Connection *conn)
{
	struct accesswatch *w = s->w;
	int r;

	pthread_mutex_lock(&w->mu);
	if (w->stopping || s->over) {
		r = -1;
	} else if (s->pending) {
		s->pending = 0;
		r = 1;
	} else {
		s->conn = conn;
		MHD_suspend_connection(conn);
		r = 0;
	}
	pthread_mutex_unlock(&w->mu);
	return r;
}

int64_t
accesswatch_tick(struct accesswatch *w, int64_t now_ms)
{
	int64_t next = TICKER_NEVER;

	if (w == NULL)
		return next;
	pthread_mutex_lock(&w->mu);
	for (struct accesswatch_sub *s = w->subs; s != NULL; s = s->next)
		if (!s->over && now_ms >= s->deadline_ms) {
			s->over = 1;
			wake_locked(s);
		} else if (!s->over && s->deadline_ms < next) {
			next = s->deadline_ms;
		}
	pthread_mutex_unlock(&w->mu);
	return next;
}

void
accesswatch_release(struct accesswatch_sub *s)
{
	struct accesswatch *w;

	if (s == NULL)
		return;
	w = s->w;
	pthread_mutex_lock(&w->mu);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		w->subs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&w->mu);
	free(s);
}
