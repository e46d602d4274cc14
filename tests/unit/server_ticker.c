/*
 * ticker: sealcamd's tick thread sleeps until the earliest deadline, wakes
 * early for an earlier one, never for a later one, keeps its minimum gap;
 * the modules report their deadlines (relay, waits, event streams, guard).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "../../src/server/accesswatch.h"
#include "../../src/server/guard.h"
#include "../../src/server/http.h"
#include "../../src/server/relay.h"
#include "../../src/server/ticker.h"
#include "../../src/server/wait.h"
#include "log.h"
#include "t.h"

struct sleeper {
	struct ticker *t;
	int64_t last, next;
	_Atomic int64_t woke;        /* when ticker_sleep returned */
	atomic_int rc;
	pthread_t th;
};

static void *
sleeper_main(void *arg)
{
	struct sleeper *s = arg;

	atomic_store(&s->rc, ticker_sleep(s->t, s->last, s->next));
	atomic_store(&s->woke, http_now_ms());
	return NULL;
}

/* A tick thread stand-in: one sleep from last_ms towards next_ms. */
static void
sleeper_start(struct sleeper *s, struct ticker *t, int64_t last, int64_t next)
{
	s->t = t;
	s->last = last;
	s->next = next;
	atomic_store(&s->woke, 0);
	pthread_create(&s->th, NULL, sleeper_main, s);
}

static void
msleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int
main(void)
{
	struct ticker *t = ticker_new();
	struct sleeper s;
	int64_t t0, d;

	log_set_level(LOG_ERR);          /* the relay's expected warning */
	t_case("the tick thread sleeps until the deadline it found (600 ms), not a fixed period");
	T_ASSERT(t != NULL);
	t0 = http_now_ms();
	sleeper_start(&s, t, t0, t0 + 600);
	pthread_join(s.th, NULL);
	d = atomic_load(&s.woke) - t0;
	T_ASSERT(d >= 595 && d < 1500);
	T_EQ(atomic_load(&s.rc), 0);

	t_case("with no deadline it sleeps; a new earlier one (ticker_due) wakes it by then");
	t0 = http_now_ms();
	sleeper_start(&s, t, t0, TICKER_NEVER);
	msleep(300);
	T_EQ(atomic_load(&s.woke), 0);      /* still asleep */
	ticker_due(t, http_now_ms() + 200);
	pthread_join(s.th, NULL);
	d = atomic_load(&s.woke) - t0;
	T_ASSERT(d >= 495 && d < 1500);

	t_case("a later deadline does not wake it early");
	t0 = http_now_ms();
	sleeper_start(&s, t, t0, t0 + 500);
	msleep(100);
	ticker_due(t, t0 + 5000);
	pthread_join(s.th, NULL);
	d = atomic_load(&s.woke) - t0;
	T_ASSERT(d >= 495 && d < 1500);

	t_case("a deadline made while a pass runs is kept for the next sleep");
	t0 = http_now_ms();
	ticker_due(t, t0 + 400);         /* the pass above is "running" now */
	sleeper_start(&s, t, t0, TICKER_NEVER);
	pthread_join(s.th, NULL);
	d = atomic_load(&s.woke) - t0;
	T_ASSERT(d >= 395 && d < 1500);

	t_case("passes are at least TICKER_MIN_GAP_MS apart, even for a deadline already due");
	t0 = http_now_ms();
	sleeper_start(&s, t, t0, t0 - 10);
	pthread_join(s.th, NULL);
	d = atomic_load(&s.woke) - t0;
	T_ASSERT(d >= TICKER_MIN_GAP_MS - 5 && d < 1500);

	t_case("stopping wakes a sleeping tick thread at once, and it answers -1");
	t0 = http_now_ms();
	sleeper_start(&s, t, t0, TICKER_NEVER);
	msleep(50);
	ticker_stop(t);
	pthread_join(s.th, NULL);
	T_EQ(atomic_load(&s.rc), -1);
	T_ASSERT(atomic_load(&s.woke) - t0 < 1500);
	ticker_free(t);
	ticker_free(NULL);

	t_case("modules with nothing pending report no deadline");
	{
		struct relay_conf rc = { .grace_ms = 1000, .max_ms = 60000,
		    .start_timeout_ms = 300, .viewer_buffer = 1 << 20, .ping_ms = 15000 };
		struct relay *r;
		struct waitlist *w;
		struct accesswatch *aw;
		struct guard *g;
		struct accesswatch_sub *sub;
		struct relay_chan *ch;
		struct relay_viewer *v;
		struct relay_stats st;
		uint8_t cam[RELAY_ID_LEN] = { 1 }, sid[RELAY_ID_LEN], owner[16] = { 2 };
		int created;
		int64_t now = http_now_ms();

		t = ticker_new();
		r = relay_new(&rc, t);
		w = wait_new(t);
		aw = accesswatch_new(t);
		g = guard_new(10, 1024, t);
		T_ASSERT(r != NULL && w != NULL && aw != NULL && g != NULL);
		T_EQ(relay_tick(r, now), TICKER_NEVER);
		T_EQ(wait_tick(w, now), TICKER_NEVER);
		T_EQ(accesswatch_tick(aw, now), TICKER_NEVER);
		T_EQ(guard_tick(g, now), TICKER_NEVER);

		t_case("an event stream's deadline wakes the sleeping tick thread, and ends the stream");
		t0 = http_now_ms();
		sleeper_start(&s, t, t0, TICKER_NEVER);
		msleep(50);
		sub = accesswatch_subscribe(aw, owner, t0 + 400);
		T_ASSERT(sub != NULL);
		pthread_join(s.th, NULL);
		d = atomic_load(&s.woke) - t0;
		T_ASSERT(d >= 395 && d < 1500);
		T_EQ(accesswatch_tick(aw, t0 + 300), t0 + 400);
		T_EQ(accesswatch_tick(aw, atomic_load(&s.woke)), TICKER_NEVER);
		T_EQ(accesswatch_sub_wait(sub, NULL), -1);     /* over */
		accesswatch_release(sub);

		t_case("an agent's channel asks for its ping; a session waiting for the agent for its start timeout");
		now = http_now_ms();
		t0 = now;
		sleeper_start(&s, t, t0, TICKER_NEVER);
		ch = relay_chan_open(r, cam, now);
		T_ASSERT(ch != NULL);
		T_EQ(relay_tick(r, now), now + rc.ping_ms);
		T_EQ(relay_join(r, cam, now, &v, sid, &created), RELAY_JOINED);
		T_EQ(created, 1);
		/* The start timeout (300 ms) is the earliest: it woke the thread. */
		pthread_join(s.th, NULL);
		d = atomic_load(&s.woke) - t0;
		T_ASSERT(d >= TICKER_MIN_GAP_MS - 5 && d < 1500);
		T_EQ(relay_tick(r, now), now + rc.start_timeout_ms + 1);
		relay_stats(r, &st);
		T_EQ(st.sessions, 1);
		T_EQ(relay_tick(r, now + rc.start_timeout_ms + 1), now + rc.ping_ms);
		relay_stats(r, &st);
		T_EQ(st.sessions, 0);            /* the agent never answered: over */
		relay_viewer_release(v);
		relay_viewer_release(v);

		relay_shutdown(r);
		relay_chan_release(ch);
		relay_free(r);
		wait_free(w);
		accesswatch_free(aw);
		guard_free(g);
		ticker_free(t);
	}
	return t_done();
}
