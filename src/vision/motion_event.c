/*
 * motion_event.c — per-frame motion into events, with hysteresis.
 *
 * An event starts at the start_frames-th motion frame in a row (its start
 * time is the first of them: the clip's pre-roll counts from there), takes
 * in every later motion frame, and ends at the first frame end_quiet_ms or
 * more after the last motion frame. The caller keeps the packets; the times
 * it needs are in the result (clip_start_ms, clip_end_ms).
 */
#include <string.h>

#include "motion_int.h"

static void
fill(const struct motion_ev *e, const struct motion_config *c,
    struct motion_result *r)
{
	r->event_id = e->id;
	r->event_start_ms = e->start;
	r->clip_start_ms = e->start - c->pre_roll_ms;
	r->event_zones = e->zones;
	r->event_score = e->score;
	r->event_frames = e->frames;
}

void
motion_event_update(struct motion_ev *e, const struct motion_config *c,
    int motion, struct motion_result *r)
{
	int64_t pts = r->pts_ms;

	if (motion) {
		if (e->run == 0) {
			e->run_start = pts;
			e->run_zones = 0;
			e->run_score = 0;
		}
		e->run++;
		e->run_zones |= r->zones;
		if (r->score > e->run_score)
			e->run_score = r->score;
		if (e->active) {
			e->last = pts;
			e->frames++;
			e->zones |= r->zones;
			if (r->score > e->score)
				e->score = r->score;
		} else if (e->run >= c->start_frames) {
			/* The frames that confirmed it belong to it. */
			e->active = 1;
			e->id++;
			e->start = e->run_start;
			e->last = pts;
			e->frames = e->run;
			e->zones = e->run_zones;
			e->score = e->run_score;
			r->flags |= MOTION_EVENT_START;
		}
	} else {
		e->run = 0;
		if (e->active && pts - e->last >= c->end_quiet_ms) {
			e->active = 0;
			r->flags |= MOTION_EVENT_END;
		}
	}
	if (e->active || (r->flags & MOTION_EVENT_END))
		fill(e, c, r);
	if (e->active)
		r->flags |= MOTION_EVENT_ACTIVE;
	if (r->flags & MOTION_EVENT_END) {
		r->event_end_ms = e->last;
		r->clip_end_ms = e->last + c->post_roll_ms;
	}
}

int
motion_event_finish(struct motion_ev *e, const struct motion_config *c,
    struct motion_result *r)
{
	e->run = 0;
	if (!e->active)
		return 0;
	e->active = 0;
	r->flags |= MOTION_EVENT_END;
	fill(e, c, r);
	r->event_end_ms = e->last;
	r->clip_end_ms = e->last + c->post_roll_ms;
	return 1;
}
