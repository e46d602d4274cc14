/*
 * agent events: what the recorder keeps. Finished segments are decided
 * only when no event, reported or still to come, can reach back into
 * them; event clips (pre-roll .. post-roll) flag the segments they
 * overlap; events-only recording drops what the detector saw nothing in
 * and keeps what it never saw.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/agent/camera_int.h"
#include "../../src/agent/detconf.h"
#include "../../src/agent/events.h"
#include "log.h"
#include "t.h"

static atomic_int stop;
static struct camera cam;

/* A frame at t ms: motion or not, maybe starting or ending an event. */
static void
frame(struct events *e, int64_t t, unsigned flags, int64_t ev_start,
    int64_t ev_end)
{
	struct motion_result r;

	memset(&r, 0, sizeof(r));
	r.pts_ms = t;
	r.flags = flags;
	r.event_start_ms = ev_start;
	r.clip_start_ms = ev_start - 3000;
	r.event_end_ms = ev_end;
	r.clip_end_ms = ev_end + 2000;
	events_frame(e, &r, NULL, 0, NULL, 0, 0);
}

/* Frames every 40 ms from a to b (exclusive) with these flags. */
static void
frames(struct events *e, int64_t a, int64_t b, unsigned flags, int64_t ev_start)
{
	for (int64_t t = a; t < b; t += 40)
		frame(e, t, flags, ev_start, 0);
}

static int
decide(struct events *e, int64_t s, int64_t end, int force, uint32_t *fl)
{
	return events_decide(e, s, end, force, fl);
}

static struct events *
make(int record)
{
	struct detconf d;
	struct events *e;

	detconf_default(&d);
	d.record = record;
	e = events_new(&cam, "c.test");
	events_configure(e, &d);
	return e;
}

int
main(void)
{
	char dir[96];
	const unsigned ACT = MOTION_EVENT_ACTIVE | MOTION_MOTION;
	struct events *e;
	uint32_t fl;
	uint64_t id;

	log_set_level(LOG_ERR);
	if (t_mkdtemp(dir, sizeof(dir), "sealcam-agent-events") == NULL)
		return 1;
	cam.stop = &stop;
	pthread_mutex_init(&cam.mu, NULL);
	pthread_cond_init(&cam.cv, NULL);
	snprintf(cam.conf.dir, sizeof(cam.conf.dir), "%s", dir);
	snprintf(cam.conf.id_hex, sizeof(cam.conf.id_hex), "test");
	snprintf(cam.conf.server, sizeof(cam.conf.server), "http://127.0.0.1:9");

	t_case("a quiet segment waits until the detector has seen pre-roll + start latency past it");
	e = make(DETCONF_BOTH);
	events_detector_state(e, 1);
	frames(e, 0, 4000, 0, 0);
	T_EQ(decide(e, 0, 2000, 0, &fl), EVENTS_WAIT);	/* seen to 3.96 s only */
	frames(e, 4000, 6000, 0, 0);
	T_EQ(decide(e, 0, 2000, 0, &fl), EVENTS_KEEP);
	T_EQ(fl, 0);
	T_EQ(decide(e, 2000, 4000, 0, &fl), EVENTS_WAIT);

	t_case("an event flags exactly the segments its clip (pre-roll to post-roll) overlaps");
	/* Motion from 10 s to 17 s: clip 7 s .. 19 s. */
	frames(e, 6000, 10000, 0, 0);
	frame(e, 10000, ACT, 10000, 0);
	frame(e, 10040, ACT | MOTION_EVENT_START, 10000, 0);
	T_EQ(events_active(e), 1);
	T_EQ(decide(e, 4000, 6000, 0, &fl), EVENTS_KEEP);
	T_EQ(fl, 0);
	T_EQ(decide(e, 6000, 8000, 0, &fl), EVENTS_KEEP);	/* overlaps 7 s */
	T_EQ(fl, SEG_FLAG_EVENT);
	frames(e, 10080, 17000, ACT, 10000);
	/* Quiet after 17 s: a segment past last motion + post-roll waits,
	 * the event may go on. */
	frames(e, 17000, 21000, MOTION_EVENT_ACTIVE, 10000);
	T_EQ(decide(e, 18000, 20000, 0, &fl), EVENTS_KEEP);	/* 18 < 19 */
	T_EQ(fl, SEG_FLAG_EVENT);
	T_EQ(decide(e, 20000, 22000, 0, &fl), EVENTS_WAIT);
	frame(e, 22000, MOTION_EVENT_END, 10000, 16960);
	T_EQ(events_active(e), 0);
	T_EQ(decide(e, 20000, 22000, 0, &fl), EVENTS_WAIT);	/* not seen far enough */
	frames(e, 22040, 27000, 0, 0);
	T_EQ(decide(e, 20000, 22000, 0, &fl), EVENTS_KEEP);
	T_EQ(fl, 0);
	events_free(e, 0);

	t_case("events only: nothing seen is dropped, footage never analysed is kept");
	e = make(DETCONF_EVENTS);
	T_EQ(decide(e, 0, 2000, 1, &fl), EVENTS_KEEP);	/* no detector yet: keep */
	events_detector_state(e, 1);
	frames(e, 0, 6000, 0, 0);
	T_EQ(decide(e, 0, 2000, 0, &fl), EVENTS_DROP);
	T_EQ(decide(e, 6000, 8000, 1, &fl), EVENTS_KEEP);	/* forced, unseen */
	T_EQ(fl, 0);
	frame(e, 6040, ACT | MOTION_EVENT_START, 6000, 0);
	T_EQ(decide(e, 2000, 4000, 0, &fl), EVENTS_KEEP);	/* pre-roll: 3 s */
	T_EQ(fl, SEG_FLAG_EVENT);
	events_free(e, 0);

	t_case("an open event forced to decide keeps the footage after it, flagged");
	e = make(DETCONF_EVENTS);
	events_detector_state(e, 1);
	frame(e, 1000, ACT | MOTION_EVENT_START, 1000, 0);
	frames(e, 1040, 9000, MOTION_EVENT_ACTIVE, 1000);
	T_EQ(decide(e, 6000, 8000, 0, &fl), EVENTS_WAIT);
	T_EQ(decide(e, 6000, 8000, 1, &fl), EVENTS_KEEP);
	T_EQ(fl, SEG_FLAG_EVENT);
	events_free(e, 0);

	t_case("without a keyring a press is refused; with one, continuous recording keeps the ring's clip");
	e = make(DETCONF_CONTINUOUS);
	T_EQ(events_ring(e, 0, &id), -1);
	cam.rcpt.epoch = 1;
	events_recorder_packet(e, 50000, NULL, NULL);
	T_EQ(events_ring(e, 100, &id), 0);
	/* Ring at 50 s: clip 47 s .. 60 s. */
	T_EQ(decide(e, 44000, 46000, 0, &fl), EVENTS_KEEP);
	T_EQ(fl, 0);
	T_EQ(decide(e, 46000, 48000, 0, &fl), EVENTS_KEEP);
	T_EQ(fl, SEG_FLAG_EVENT);
	T_EQ(decide(e, 58000, 60000, 0, &fl), EVENTS_KEEP);
	T_EQ(fl, SEG_FLAG_EVENT);
	T_EQ(decide(e, 62000, 64000, 0, &fl), EVENTS_WAIT);	/* a later ring may come */
	events_free(e, 0);
	cam.rcpt.epoch = 0;

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return t_done();
}
