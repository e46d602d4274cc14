/*
 * motion — the detector boxes moving objects right: synthetic sequences
 * with exact ground truth (motion_synth.h) over several seeds, sizes,
 * speeds, frame rates and noise levels, so that it holds in general.
 * Light changes: motion_light.c; masks, zones, parking, events:
 * motion_events.c; the real clip: motion_clip.c.
 */
#include "motion_check.h"

/* 2. Moving object over a textured background with sensor noise. */
static void
test_noisy(void)
{
	static const double sigmas[] = { 4, 8, 12, 6, 10 };
	static const double fpss[] = { 10, 25, 15, 20, 8 };
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < NSIZES; i++) {
		double fps = fpss[i], speed = 0.15 + 0.1 * i;
		int enter = (int)(1.5 * fps) + 8;
		int frames = enter + (int)(1.2 / speed * fps);
		t_case("object on a noisy textured background is boxed every "
		    "frame (%dx%d, noise sigma %.0f, %.0f fps)", sizes[i][0],
		    sizes[i][1], sigmas[i], fps);
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 200 + i, 60) == 0);
		s.noise = sigmas[i];
		add_walker(&s, 200 + i, speed, fps, enter, frames, i % 2 ? 40 : 0);
		run_seq(&s, &cfg, frames, fps, enter, 0, &q);
		T_ASSERT(q.checked > (frames - enter) / 3);
		T_EQ(q.bad_iou, 0);
		T_EQ(q.starts, 1);
		printf("# checked %d frames, worst IoU %.2f\n", q.checked,
		    q.worst_iou);
		synth_free(&s);
	}
}

/* 2b. Moving object over a static background of random grey levels. */
static void
test_random_background(void)
{
	static const double sigmas[] = { 8, 2, 12 };
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < 3; i++) {
		double fps = 15;
		int enter = 30, frames = enter + 45;
		t_case("object over a background of random grey levels is boxed "
		    "every frame (%dx%d, noise sigma %.0f, %s object)",
		    sizes[i][0], sizes[i][1], sigmas[i], i == 1 ? "textured" :
		    i == 0 ? "mid-grey" : "white");
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 250 + i, 0) == 0);
		synth_random_background(&s);
		s.noise = sigmas[i];
		struct synth_obj *o = add_walker(&s, 250 + i, 0.4, fps, enter,
		    frames, i == 1 ? 120 : 0);
		/* Mid-grey at full resolution: every pixel of it matches
		 * some of the background, its mask has holes everywhere
		 * (downscaled, the background averages towards mid-grey
		 * and hides it entirely; white is seen). */
		o->level = i == 0 ? 128 : 255;
		run_seq(&s, &cfg, frames, fps, enter, 0, &q);
		T_ASSERT(q.checked > 10);
		T_EQ(q.bad_iou, 0);
		T_EQ(q.starts, 1);
		printf("# checked %d frames, worst IoU %.2f\n", q.checked,
		    q.worst_iou);
		synth_free(&s);
	}
}

/* 3. Noise alone, and a slow lighting drift, never make motion. */
static void
test_noise_only(void)
{
	static const double sigmas[] = { 2, 5, 10, 15, 20 };
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < NSIZES; i++) {
		double fps = i % 2 ? 25 : 10;
		int frames = (int)(12 * fps);
		t_case("sensor noise alone does not trigger (%dx%d, sigma %.0f)",
		    sizes[i][0], sizes[i][1], sigmas[i]);
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 300 + i,
		    i * 20) == 0);
		s.noise = sigmas[i];
		run_seq(&s, &cfg, frames, fps, frames, 0, &q);
		T_EQ(q.motion, 0);
		T_EQ(q.starts, 0);
		synth_free(&s);
	}
}

/* 10. An object already in view when the detector starts becomes
 * background (nothing can know what is behind it); once it has moved off
 * that spot, its ghost is dropped and it is boxed right. */
static void
test_present_at_start(void)
{
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < 3; i++) {
		double fps = 10 + 5 * i;
		int frames = (int)(8 * fps);
		t_case("object moving from the first frame is boxed once it "
		    "left its starting spot (%dx%d)", sizes[i][0], sizes[i][1]);
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 1000 + i,
		    10 * i) == 0);
		s.noise = 2;
		int ow = s.w / 10, oh = s.h / 4;
		double v = (s.w - ow - 4) / (double)frames;
		struct synth_obj *o = synth_add(&s, 2, s.h / 3, v, 0, ow, oh, 0);
		o->level = synth_contrast_level(&s, 0, s.h / 3, s.w - 1,
		    s.h / 3 + oh, 0, 60);
		o->texture = i == 1 ? 40 : 0;
		/* Warm-up plus the frames to move one width and a bit. */
		int check = (int)(fps * cfg.warmup_ms / 1000) + 8 +
		    (int)((ow * 1.5 + 4 * s.w / 320) / v);
		run_seq(&s, &cfg, frames, fps, check, 0, &q);
		T_ASSERT(q.checked > 5);
		T_EQ(q.bad_iou, 0);
		synth_free(&s);
	}
}

int
main(void)
{
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	t_case("defaults pass their own check; a bad config is refused");
	{
		char err[256];
		motion_config_default(&cfg);
		T_EQ(motion_config_check(&cfg, err, sizeof(err)), 0);
		struct motion_config bad = cfg;
		bad.sensitivity = 0;
		T_EQ(motion_config_check(&bad, err, sizeof(err)), -1);
		T_ASSERT(strstr(err, "sensitivity") != NULL);
		T_ASSERT(motion_new(&bad, 320, 180) == NULL);
		T_ASSERT(motion_new(&cfg, 8, 8) == NULL);
		struct motion *m = motion_new(&cfg, 640, 360);
		int w = 0, h = 0;
		T_ASSERT(m != NULL);
		motion_work_size(m, &w, &h);
		T_EQ(w, 320);
		T_EQ(h, 180);
		motion_free(m);
		motion_free(NULL);
	}

	/* 1. A moving object on a static background, many ways. */
	for (int i = 0; i < NSIZES; i++) {
		static const double speeds[] = { 0.1, 0.25, 0.5 };
		static const double fpss[] = { 25, 10, 15, 30, 5 };
		double fps = fpss[i];
		int enter = (int)(1.5 * fps) + 8;
		double speed = speeds[i % 3];
		int frames = enter + (int)(1.2 / speed * fps);
		t_case("object on a static background is boxed every frame "
		    "(%dx%d, %.0f fps, %.2f widths/s)", sizes[i][0],
		    sizes[i][1], fps, speed);
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 100 + i, 0) == 0);
		s.noise = 1.0;
		add_walker(&s, 100 + i, speed, fps, enter, frames, i % 2 ? 30 : 0);
		run_seq(&s, &cfg, frames, fps, enter, 0, &q);
		T_ASSERT(q.checked > (frames - enter) / 3);
		T_EQ(q.bad_iou, 0);
		T_EQ(q.starts, 1);
		printf("# checked %d frames, worst IoU %.2f\n", q.checked,
		    q.worst_iou);
		synth_free(&s);
	}

	t_case("a 1280x720 frame is worked at 320x180 and boxed in its own "
	    "coordinates");
	{
		double fps = 5;
		int enter = 16, frames = enter + 30;
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, 1280, 720, 150, 20) == 0);
		s.noise = 3;
		add_walker(&s, 150, 0.3, fps, enter, frames, 0);
		run_seq(&s, &cfg, frames, fps, enter, 0, &q);
		T_ASSERT(q.checked > 10);
		T_EQ(q.bad_iou, 0);
		T_EQ(q.starts, 1);
		synth_free(&s);
	}

	t_case("odd sizes, extreme aspect ratios and random pictures: boxes "
	    "stay inside the frame, bad arguments are refused");
	{
		static const int dims[][2] = {
			{ 16, 16 }, { 33, 17 }, { 641, 361 }, { 4000, 16 },
			{ 16, 3000 }, { 1280, 720 },
		};
		struct synth_rng rr = { .s = 99 };
		for (int d = 0; d < 6; d++) {
			int w = dims[d][0], h = dims[d][1], stride = w + 3;
			uint8_t *f = malloc((size_t)stride * h);
			struct motion_result r;
			motion_config_default(&cfg);
			struct motion *m = motion_new(&cfg, w, h);
			T_ASSERT(m != NULL && f != NULL);
			if (m == NULL || f == NULL) {
				free(f);
				motion_free(m);
				continue;
			}
			T_EQ(motion_feed(m, f, w - 1, 0, &r), -1);
			T_EQ(motion_feed(m, NULL, stride, 0, &r), -1);
			for (int t = 0; t < 24; t++) {
				/* Random blocks: every kind of change at once. */
				int bs = 1 + (int)(synth_next(&rr) % 16);
				for (int y = 0; y < h; y++)
					for (int x = 0; x < w; x++)
						f[(size_t)y * stride + x] = (uint8_t)
						    ((x / bs * 31 + y / bs * 17 + t *
						    (int)(synth_next(&rr) % 3)) * 7);
				T_EQ(motion_feed(m, f, stride, t * 100, &r), 0);
				for (int i = 0; i < r.nboxes; i++) {
					T_ASSERT(r.box[i].x >= 0 && r.box[i].y >= 0);
					T_ASSERT(r.box[i].w > 0 && r.box[i].h > 0);
					T_ASSERT(r.box[i].x + r.box[i].w <= w);
					T_ASSERT(r.box[i].y + r.box[i].h <= h);
				}
				T_ASSERT(r.score >= 0 && r.score <= 1);
			}
			motion_free(m);
			free(f);
		}
	}

	test_noisy();
	test_random_background();
	test_noise_only();
	test_present_at_start();
	return t_done();
}
