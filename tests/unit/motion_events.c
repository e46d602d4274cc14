/*
 * motion_events — masks, zones, parked cars absorbed after absorb_ms, and
 * the event hysteresis with its pre- and post-roll arithmetic.
 */
#include "motion_check.h"

/* 6. Masks: motion inside a mask is ignored, outside it is not. */
static void
test_mask(void)
{
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < 3; i++) {
		double fps = 15;
		int enter = 30, frames = 120;
		t_case("object moving inside a mask does not trigger (%dx%d)",
		    sizes[i][0], sizes[i][1]);
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 600 + i, 30) == 0);
		s.noise = 3;
		struct synth_obj *o = add_walker(&s, 600 + i, 0.3, fps, enter,
		    frames, 20);
		/* A mask band over the walker's rows, whole width. */
		double ya = o->y + o->vy * enter, yb = o->y + o->vy * frames;
		float y0 = (float)((ya < yb ? ya : yb) / s.h) - 0.05f;
		float y1 = (float)(((ya > yb ? ya : yb) + o->h) / s.h) + 0.05f;
		cfg.nmasks = 1;
		poly_rect(&cfg.masks[0], "", 0, y0 < 0 ? 0 : y0, 1,
		    y1 > 1 ? 1 : y1);
		run_seq(&s, &cfg, frames, fps, frames, 0, &q);
		T_EQ(q.motion, 0);
		T_EQ(q.starts, 0);

		t_case("the same object with the mask elsewhere triggers");
		cfg.masks[0].p[0].y = cfg.masks[0].p[1].y = y1 > 0.9f ? 0 : y1;
		cfg.masks[0].p[2].y = cfg.masks[0].p[3].y = y1 > 0.9f ? y0 : 1;
		run_seq(&s, &cfg, frames, fps, enter, 0, &q);
		T_EQ(q.starts, 1);
		T_EQ(q.bad_iou, 0);
		synth_free(&s);
	}
}

/* 7. A car drives in and parks: motion while it drives; once stopped it
 * is still boxed but not motion (the event ends), until absorb_ms after it
 * stopped, when it joins the background and is no longer boxed. */
static void
test_park(void)
{
	static const int absorbs[] = { 3000, 6000, 10000 };
	static const int stills[] = { 1000, 3000, 2000 };
	static const double fpss[] = { 10, 25, 15 };
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < 3; i++) {
		double fps = fpss[i];
		int enter = (int)(2 * fps), stop = enter + (int)(2 * fps);
		int frames = stop + (int)((absorbs[i] + 8000) / 1000.0 * fps);
		t_case("a car that parks is still after still_ms=%d and absorbed "
		    "after absorb_ms=%d (%dx%d, %.0f fps)", stills[i],
		    absorbs[i], sizes[i][0], sizes[i][1], fps);
		motion_config_default(&cfg);
		cfg.absorb_ms = absorbs[i];
		cfg.still_ms = stills[i];
		cfg.end_quiet_ms = 2000;
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 700 + i, 20) == 0);
		s.noise = 2;
		/* A wide, low car: drives in from the left over 2 s. */
		int cw = s.w / 4, ch = s.h / 6;
		double v = (s.w * 0.45 + cw) / (stop - enter);
		struct synth_obj *o = synth_add(&s, -cw - v * enter,
		    s.h * 0.6, v, 0, cw, ch, 0);
		o->stop = stop;
		o->level = synth_contrast_level(&s, 0, (int)(s.h * 0.6), s.w - 1,
		    (int)(s.h * 0.6) + ch, 0, 60);
		o->texture = 20;
		run_seq(&s, &cfg, frames, fps, frames, 0, &q);
		double stop_ms = stop * 1000.0 / fps, dt = 1000.0 / fps;
		double last_motion = q.last_motion * dt, last_box = q.last_box * dt;
		printf("# stopped at %.0f ms: motion until %+.0f ms (still_ms %d), "
		    "boxed until %+.0f ms (absorb_ms %d)\n", stop_ms,
		    last_motion - stop_ms, stills[i], last_box - stop_ms,
		    absorbs[i]);
		/* One event: from driving in to still_ms after stopping. */
		T_EQ(q.starts, 1);
		T_EQ(q.ends, 1);
		T_ASSERT(q.motion >= q.last_motion - enter - 3);
		/* (a box moves when its edges moved 1/8 of its size: the last
		 * few frames before the stop may not count) */
		T_ASSERT(last_motion >= stop_ms + stills[i] - 500);
		T_ASSERT(last_motion <= stop_ms + stills[i] + 2 * dt);
		if (q.ends == 1)
			T_ASSERT(q.end_ms[0] == pts_of(q.last_motion, fps));
		/* Boxed, still, until absorbed: at 90 % of absorb_ms it is
		 * there, within 10 % after it it is gone. */
		T_ASSERT(last_box >= stop_ms + 0.9 * absorbs[i]);
		T_ASSERT(last_box <= stop_ms + 1.1 * absorbs[i] + dt);
		T_ASSERT(q.still_boxes >= (int)((0.9 * absorbs[i] -
		    stills[i]) / dt) - 2);

		if (i > 0) {
			synth_free(&s);
			continue;
		}
		t_case("with still_ms=0 the parked car is motion until absorbed");
		cfg.still_ms = 0;
		run_seq(&s, &cfg, frames, fps, frames, 0, &q);
		T_EQ(q.starts, 1);
		T_EQ(q.still_boxes, 0);
		T_EQ(q.last_motion, q.last_box);
		T_ASSERT(q.last_motion * dt >= stop_ms + 0.9 * absorbs[i]);
		synth_free(&s);
	}
}

/* 8. Zones: each box names exactly the zones its object touches. */
static void
test_zones(void)
{
	struct motion_config cfg;
	struct synth_scene s;

	for (int i = 0; i < 3; i++) {
		double fps = 15;
		int enter = 30, frames = enter + 60;
		t_case("zones touched by a walker are reported (%dx%d)",
		    sizes[i][0], sizes[i][1]);
		motion_config_default(&cfg);
		cfg.nzones = 3;
		poly_rect(&cfg.zones[0], "left", 0, 0, 0.3f, 1);
		poly_rect(&cfg.zones[1], "right", 0.65f, 0, 1, 1);
		/* A triangle across the middle. */
		memset(&cfg.zones[2], 0, sizeof(cfg.zones[2]));
		snprintf(cfg.zones[2].name, MOTION_NAME_MAX, "path");
		cfg.zones[2].n = 3;
		cfg.zones[2].p[0] = (struct motion_point){ 0.35f, 0 };
		cfg.zones[2].p[1] = (struct motion_point){ 0.6f, 0 };
		cfg.zones[2].p[2] = (struct motion_point){ 0.5f, 1 };
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 800 + i, 20) == 0);
		s.noise = 2;
		add_walker(&s, 800 + i, 0.4, fps, enter, frames, 0);
		struct motion *m = motion_new(&cfg, s.w, s.h);
		uint8_t *frame = malloc((size_t)s.w * s.h);
		struct synth_box gt[SYNTH_MAX_OBJ];
		struct motion_result r;
		int checked = 0, wrong = 0;
		uint32_t seen = 0;
		T_ASSERT(m != NULL && frame != NULL);
		T_ASSERT(strcmp(motion_zone_name(m, 2), "path") == 0);
		T_ASSERT(motion_zone_name(m, 3) == NULL);
		for (int t = 0; m && frame && t < frames; t++) {
			synth_frame(&s, t, frame, s.w, gt);
			motion_feed(m, frame, s.w, pts_of(t, fps), &r);
			if (t < enter || gt[0].w == 0 || r.nboxes != 1)
				continue;
			/* Decide only where a shift of a few pixels does not
			 * change the truth (box edges are quantised). */
			int d = 2 * (s.w / 320 + 1);
			uint32_t want = 0, robust = 1;
			for (int z = 0; z < cfg.nzones; z++) {
				int v = obj_touches(&s, 0, t, 0, 0, &cfg.zones[z]);
				for (int k = 0; k < 4; k++)
					robust &= v == obj_touches(&s, 0, t,
					    k == 0 ? d : k == 1 ? -d : 0,
					    k == 2 ? d : k == 3 ? -d : 0,
					    &cfg.zones[z]);
				want |= (uint32_t)v << z;
			}
			if (!robust)
				continue;
			checked++;
			seen |= want;
			if (r.box[0].zones != want || r.zones != want) {
				if (!wrong)
					printf("# frame %d: zones %#x, want %#x\n",
					    t, r.box[0].zones, want);
				wrong++;
			}
			if (r.flags & MOTION_EVENT_ACTIVE)
				T_EQ(r.event_zones & want, want);
		}
		T_EQ(wrong, 0);
		T_ASSERT(checked > 10);
		/* The walk crossed all three zones and the gaps. */
		T_EQ(seen, 7);
		motion_free(m);
		free(frame);
		synth_free(&s);
	}
}

/* 9. Hysteresis: an event starts at the start_frames-th motion frame and
 * ends end_quiet_ms after the last one; pre/post roll are arithmetic. */
static void
test_hysteresis(void)
{
	static const struct { double fps; int n, quiet; } v[] = {
		{ 25, 3, 2000 }, { 10, 1, 1000 }, { 15, 5, 3000 }, { 30, 2, 1500 },
	};
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < (int)(sizeof(v) / sizeof(v[0])); i++) {
		double fps = v[i].fps;
		int a = (int)(2 * fps), b = a + (int)(2 * fps);
		int frames = b + (int)((v[i].quiet + 2000) / 1000.0 * fps);
		t_case("event starts at motion frame %d and ends %d ms after "
		    "the last (%.0f fps)", v[i].n, v[i].quiet, fps);
		motion_config_default(&cfg);
		cfg.start_frames = v[i].n;
		cfg.end_quiet_ms = v[i].quiet;
		cfg.pre_roll_ms = 1000 + 500 * i;
		cfg.post_roll_ms = 700 + 300 * i;
		T_ASSERT(synth_init(&s, 320, 180, 900 + i, 10) == 0);
		s.noise = 2;
		/* Appears at a, gone at b, moving inside the frame. */
		struct synth_obj *o = synth_add(&s, 40, 60, 2, 0, 30, 50, 0);
		o->level = synth_contrast_level(&s, 0, 60, 319, 110, 0, 60);
		o->start = a;
		o->end = b;
		run_seq(&s, &cfg, frames, fps, frames, 0, &q);
		T_EQ(q.starts, 1);
		T_EQ(q.ends, 1);
		T_EQ(q.start_at[0], a + v[i].n - 1);
		T_EQ(q.start_ms[0], pts_of(a, fps));
		T_EQ(q.clip_start[0], pts_of(a, fps) - cfg.pre_roll_ms);
		int e = b;
		while (pts_of(e, fps) - pts_of(b - 1, fps) < v[i].quiet)
			e++;
		T_EQ(q.end_at[0], e);
		T_EQ(q.end_ms[0], pts_of(b - 1, fps));
		T_EQ(q.clip_end[0], pts_of(b - 1, fps) + cfg.post_roll_ms);
		T_EQ(q.motion, b - a);
		synth_free(&s);
	}

	t_case("a blip shorter than start_frames is no event; gaps shorter "
	    "than end_quiet_ms join events, longer ones split them");
	{
		double fps = 20;
		motion_config_default(&cfg);
		cfg.start_frames = 4;
		cfg.end_quiet_ms = 1000;
		T_ASSERT(synth_init(&s, 320, 180, 950, 10) == 0);
		s.noise = 2;
		int lv = synth_contrast_level(&s, 0, 60, 319, 110, 0, 60);
		/* blip: 3 frames; A: 1 s; gap 0.5 s; B: 1 s; gap 2 s; C. */
		static const int when[][2] = {
			{ 40, 43 }, { 60, 80 }, { 90, 110 }, { 150, 170 },
		};
		for (int k = 0; k < 4; k++) {
			struct synth_obj *o = synth_add(&s, 40 + 40 * k, 60, 0,
			    0, 30, 50, lv);
			o->start = when[k][0];
			o->end = when[k][1];
		}
		run_seq(&s, &cfg, 220, fps, 220, 0, &q);
		T_EQ(q.starts, 2);
		T_EQ(q.ends, 2);
		T_EQ(q.start_ms[0], pts_of(60, fps));
		T_EQ(q.end_ms[0], pts_of(109, fps));
		T_EQ(q.start_ms[1], pts_of(150, fps));
		T_EQ(q.end_ms[1], pts_of(169, fps));
		synth_free(&s);
	}

	t_case("an object that appears and stands still is motion for "
	    "still_ms, then a still box; the event ends end_quiet_ms later");
	{
		double fps = 20;
		motion_config_default(&cfg);
		cfg.still_ms = 2000;
		cfg.end_quiet_ms = 1000;
		T_ASSERT(synth_init(&s, 320, 180, 955, 10) == 0);
		s.noise = 2;
		struct synth_obj *o = synth_add(&s, 100, 60, 0, 0, 30, 50, 0);
		o->level = synth_contrast_level(&s, 100, 60, 130, 110, 0, 60);
		o->start = 40;
		o->end = 40 + 6 * 20;	/* 6 s */
		run_seq(&s, &cfg, 200, fps, 200, 0, &q);
		T_EQ(q.starts, 1);
		T_EQ(q.ends, 1);
		T_EQ(q.start_ms[0], pts_of(40, fps));
		/* Motion from 40 for 2 s (the frame at exactly 2 s is still). */
		T_EQ(q.motion, 40);
		T_EQ(q.last_motion, 79);
		T_EQ(q.end_ms[0], pts_of(79, fps));
		T_EQ(q.end_at[0], 99);
		T_EQ(q.boxes, 120);
		T_EQ(q.still_boxes, 80);
		synth_free(&s);
	}

	t_case("motion_finish closes an event still open at end of stream");
	{
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, 320, 180, 960, 10) == 0);
		s.noise = 2;
		struct synth_obj *o = synth_add(&s, 40, 60, 1, 0, 30, 50, 0);
		o->level = synth_contrast_level(&s, 0, 60, 319, 110, 0, 60);
		o->start = 40;
		run_seq(&s, &cfg, 80, 20, 80, 0, &q);
		T_EQ(q.starts, 1);
		T_EQ(q.ends, 1);
		T_EQ(q.end_at[0], 80);	/* from motion_finish */
		T_EQ(q.end_ms[0], pts_of(79, 20));
		synth_free(&s);
	}
}

int
main(void)
{
	test_mask();
	test_park();
	test_zones();
	test_hysteresis();
	return t_done();
}
