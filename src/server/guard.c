#include "guard.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "ticker.h"

#define GUARD_GRACE_MS 10000     /* before the minimum body rate applies */

enum gc_phase {
	GC_HEADERS,               /* waiting for a complete request head */
	GC_BODY,                  /* receiving a request body */
	GC_BUSY,                  /* handler, suspended, or sending: not policed */
};

struct guard_conn {
	struct guard_conn *next, *prev;
	struct guard *g;
	int fd;
	int cut;                  /* shutdown() already done */
	_Atomic int phase;
	_Atomic int64_t since_ms; /* phase start */
	_Atomic uint64_t body_bytes;
};

struct guard {
	pthread_mutex_t mu;
	struct guard_conn head;   /* circular list sentinel */
	int64_t header_ms;
	uint64_t min_rate;
	struct ticker *ticker;    /* told of every new deadline */
	_Atomic uint64_t cut_total;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct guard *
guard_new(unsigned header_timeout_s, uint64_t min_rate, struct ticker *t)
{
	struct guard *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	g->head.next = g->head.prev = &g->head;
	g->header_ms = (int64_t)header_timeout_s * 1000;
	g->min_rate = min_rate;
	g->ticker = t;
	return g;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	/* MHD has closed every connection by now (CLOSED frees records). */
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void
guard_callback_connection(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	struct guard *g = cls;
	struct guard_conn *gc;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);

		if ((gc = calloc(1, sizeof(*gc))) == NULL) {
			*socket_context = NULL;
			return;
		}
		gc->g = g;
		gc->fd = ci ? ci->connect_fd : -1;
		atomic_store(&gc->phase, GC_HEADERS);
		atomic_store(&gc->since_ms, now_ms());
		pthread_mutex_lock(&g->mu);
		gc->next = g->head.next;
		gc->prev = &g->head;
		g->head.next->prev = gc;
		g->head.next = gc;
		pthread_mutex_unlock(&g->mu);
		*socket_context = gc;
		ticker_due(g->ticker, atomic_load(&gc->since_ms) + g->header_ms + 1);
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if ((gc = *socket_context) == NULL)
			return;
		/* Unlink before MHD closes the fd: guard_tick never touches a
		 * descriptor number that could belong to someone else. */
		pthread_mutex_lock(&g->mu);
		gc->prev->next = gc->next;
		gc->next->prev = gc->prev;
		pthread_mutex_unlock(&g->mu);
		free(gc);
		*socket_context = NULL;
	}
}

void
guard_request_begin(struct guard_conn *gc, int64_t body_len, int64_t t)
{
	if (gc == NULL)
		return;
	atomic_store(&gc->body_bytes, 0);
	atomic_store(&gc->since_ms, t);
	atomic_store(&gc->phase, body_len == 0 ? GC_BUSY : GC_BODY);
	if (body_len != 0 && gc->g->min_rate > 0)
		ticker_due(gc->g->ticker, t + GUARD_GRACE_MS + 1);
}

void
guard_request_body(struct guard_conn *gc, uint64_t n)
{
	if (gc != NULL)
		atomic_fetch_add(&gc->body_bytes, n);
}

void
guard_request_body_done(struct guard_conn *gc)
{
	if (gc != NULL)
		atomic_store(&gc->phase, GC_BUSY);
}

void
guard_request_end(struct guard_conn *gc, int64_t t)
{
	if (gc == NULL)
		return;
	atomic_store(&gc->since_ms, t);
	atomic_store(&gc->phase, GC_HEADERS);
	ticker_due(gc->g->ticker, t + gc->g->header_ms + 1);
}

int64_t
guard_tick(struct guard *g, int64_t t)
{
	int64_t next = TICKER_NEVER;
	unsigned cut = 0;

	pthread_mutex_lock(&g->mu);
	for (struct guard_conn *gc = g->head.next; gc != &g->head; gc = gc->next) {
		int64_t since = atomic_load(&gc->since_ms), age = t - since, due;
		int phase = atomic_load(&gc->phase);
		uint64_t bytes;
		const char *why = NULL;

		if (gc->cut || gc->fd < 0)
			continue;
		if (phase == GC_HEADERS) {
			if (age > g->header_ms)
				why = "headers too slow";
			else if ((due = since + g->header_ms + 1) < next)
				next = due;
		} else if (phase == GC_BODY && g->min_rate > 0) {
			bytes = atomic_load(&gc->body_bytes);
			if (age > GUARD_GRACE_MS && bytes * 1000 / (uint64_t)age < g->min_rate)
				why = "body too slow";
			else {
				/* The average falls below min_rate at age
				 * bytes*1000/min_rate if no more bytes come: look
				 * again then (or when the grace ends). */
				uint64_t at = bytes * 1000 / g->min_rate + 1;
				if (at < GUARD_GRACE_MS + 1)
					at = GUARD_GRACE_MS + 1;
				if (at > INT32_MAX)
					at = INT32_MAX;
				due = since + (int64_t)at;
				if (due < next)
					next = due;
			}
		}
		if (why == NULL)
			continue;
		/* Wakes the MHD thread owning it, which then closes it. */
		(void)shutdown(gc->fd, SHUT_RDWR);
		gc->cut = 1;
		cut++;
		log_debug("guard", "action=cut reason=\"%s\" age_ms=%lld", why, (long long)age);
	}
	pthread_mutex_unlock(&g->mu);
	atomic_fetch_add(&g->cut_total, cut);
	return next;
}

uint64_t
guard_cut_total(struct guard *g)
{
	return atomic_load(&g->cut_total);
}
