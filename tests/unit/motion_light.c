/*
 * motion_light — whole-frame changes are not motion: brightness jumps
 * (gain, offset), IR day/night switches (colour to infrared grey with a
 * big gain and more noise), a slow drift; and detection works after them.
 */
#include "motion_check.h"

/* 4. A global brightness jump (lamp, exposure, cloud) is not motion, and
 * detection works right after it. */
static void
test_brightness(void)
{
	static const struct { double gain, offset; } jumps[] = {
		{ 1, 40 }, { 1, -50 }, { 1.6, 0 }, { 0.5, 0 }, { 1.3, 12 },
		{ 1, 15 }, { 0.8, -10 },
	};
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < (int)(sizeof(jumps) / sizeof(jumps[0])); i++) {
		int sz = i % NSIZES;
		double fps = i % 2 ? 15 : 25;
		int jump = (int)(2 * fps), frames = (int)(5.5 * fps);
		t_case("brightness jump x%.1f %+.0f is not motion (%dx%d)",
		    jumps[i].gain, jumps[i].offset, sizes[sz][0], sizes[sz][1]);
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, sizes[sz][0], sizes[sz][1], 400 + i,
		    i % 2 ? 40 : 0) == 0);
		s.noise = 2 + i % 3;
		s.jump_frame = jump;
		s.gain = jumps[i].gain;
		s.offset = jumps[i].offset;
		run_seq(&s, &cfg, frames, fps, frames, 0, &q);
		T_EQ(q.motion, 0);
		T_EQ(q.starts, 0);

		/* The same jump with someone walking in 0.5 s after it:
		 * boxed right, one event. */
		t_case("object walking in after a brightness jump x%.1f %+.0f "
		    "is boxed", jumps[i].gain, jumps[i].offset);
		synth_free(&s);
		T_ASSERT(synth_init(&s, sizes[sz][0], sizes[sz][1], 400 + i,
		    i % 2 ? 40 : 0) == 0);
		s.noise = 2 + i % 3;
		s.jump_frame = jump;
		s.gain = jumps[i].gain;
		s.offset = jumps[i].offset;
		int enter = jump + (int)(fps / 2);
		add_walker(&s, 400 + i, 0.3, fps, enter, frames, 0);
		run_seq(&s, &cfg, frames, fps, enter, 0, &q);
		T_EQ(q.bad_iou, 0);
		T_ASSERT(q.checked > 5);
		T_EQ(q.starts, 1);
		synth_free(&s);
	}
}

/* 5. IR day/night switch: colour to infrared grey, big gain, more noise. */
static void
test_ir(void)
{
	static const double gains[] = { 1.5, 0.6, 2.0, 0.8, 1.2 };
	struct motion_config cfg;
	struct synth_scene s;
	struct seq q;

	for (int i = 0; i < NSIZES; i++) {
		double fps = i % 2 ? 10 : 25;
		int sw = (int)(3 * fps), frames = (int)(14 * fps);
		int enter = sw + (int)(7 * fps);
		t_case("IR day/night switch (gain %.1f) is not motion; a walker "
		    "after it is boxed (%dx%d)", gains[i], sizes[i][0],
		    sizes[i][1]);
		motion_config_default(&cfg);
		T_ASSERT(synth_init(&s, sizes[i][0], sizes[i][1], 500 + i,
		    i * 10) == 0);
		s.noise = 2;
		s.ir_frame = sw;
		s.ir_gain = gains[i];
		s.ir_noise = i % 2 ? 6 : 3;
		add_walker(&s, 500 + i, 0.3, fps, enter, frames, 0);
		run_seq(&s, &cfg, frames, fps, enter, enter, &q);
		T_EQ(q.motion - q.motion_after, 0);
		T_ASSERT(q.lightswitch > 0 || q.compensated > 0);
		T_EQ(q.bad_iou, 0);
		T_ASSERT(q.checked > 5);
		T_EQ(q.starts, 1);
		T_ASSERT(q.starts == 0 || q.start_at[0] >= enter);
		synth_free(&s);
	}
}

int
main(void)
{
	test_brightness();
	test_ir();
	return t_done();
}
