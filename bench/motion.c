/*
 * bench/motion — how fast motion detection runs, next to its limit.
 *
 *	build/bench/motion                 pipeline frames/s (one core)
 *	build/bench/motion decode CLIP     decode + motion CPU for a clip
 *	build/bench/motion events CLIP [fps]  events found in a clip
 *	build/bench/motion scenes          the event scenes: name w h fps
 *	                                   frames events-expected description
 *	build/bench/motion gen NAME        a scene as raw grey frames on
 *	                                   stdout (bench/motion.sh turns them
 *	                                   into H.264 for both detectors)
 *
 * The limit is a bare vectorised frame difference with a threshold at the
 * same size and compiler flags, measured in the same run: no background
 * model, no noise, no components could be faster than that.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libswscale/swscale.h>

#include "motion.h"
#include "../tests/unit/motion_synth.h"

#define NFRAMES 8	/* distinct frames cycled through (stay in cache) */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The limit: |a - b| > t into a mask, vectorised like the pipeline (gcc
 * gets -O3 as src/vision does; clang vectorises at -O2). */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
__attribute__((noinline)) static void
framediff(const uint8_t *restrict a, const uint8_t *restrict b,
    uint8_t *restrict o, int n, uint8_t t)
{
	for (int i = 0; i < n; i++) {
		uint8_t d = a[i] > b[i] ? a[i] - b[i] : b[i] - a[i];
		o[i] = d > t ? 0xff : 0;
	}
}

/* A walker and sensor noise, NFRAMES frames of w x h. */
static uint8_t *
scene(int w, int h)
{
	struct synth_scene s;
	uint8_t *frames = malloc((size_t)w * h * NFRAMES);

	if (frames == NULL || synth_init(&s, w, h, 7, 30) == -1)
		exit(1);
	s.noise = 3;
	struct synth_obj *o = synth_add(&s, 0, h / 3.0, w / (double)NFRAMES, 0,
	    w / 10, h / 4, 0);
	o->level = synth_contrast_level(&s, 0, h / 3, w - 1, h / 3 + h / 4, 0,
	    60);
	for (int t = 0; t < NFRAMES; t++)
		synth_frame(&s, t, frames + (size_t)t * w * h, w, NULL);
	synth_free(&s);
	return frames;
}

static double
bench_diff(int w, int h, const uint8_t *frames, double secs)
{
	uint8_t *mask = malloc((size_t)w * h);
	size_t n = (size_t)w * h;
	long iters = 0;
	double t0 = now_s(), t;

	do {
		for (int k = 0; k < 1000; k++, iters++) {
			int i = (int)(iters % NFRAMES), j = (i + 1) % NFRAMES;
			framediff(frames + i * n, frames + j * n, mask, (int)n, 12);
		}
		t = now_s() - t0;
	} while (t < secs);
	free(mask);
	return iters / t;
}

static double
bench_pipeline(int w, int h, const uint8_t *frames, double secs, int *events)
{
	struct motion_config cfg;
	struct motion_result r;
	struct motion *m;
	size_t n = (size_t)w * h;
	long iters = 0;
	double t0, t;

	motion_config_default(&cfg);
	m = motion_new(&cfg, w, h);
	if (m == NULL)
		exit(1);
	/* Warm up past the learning period, then time. */
	for (int i = 0; i < 100; i++)
		motion_feed(m, frames + (i % NFRAMES) * n, w, i * 40, &r);
	*events = 0;
	t0 = now_s();
	do {
		for (int k = 0; k < 200; k++, iters++) {
			long i = iters + 100;
			motion_feed(m, frames + (i % NFRAMES) * n, w, i * 40, &r);
			*events += !!(r.flags & MOTION_EVENT_START);
		}
		t = now_s() - t0;
	} while (t < secs);
	motion_free(m);
	return iters / t;
}

/* Frames/s of the bare difference and of the pipeline, best of 5. */
static int
cmd_speed(void)
{
	static const int sizes[][2] = { { 320, 180 }, { 640, 360 } };

	printf("# motion pipeline, one thread, best of 5 runs of 0.5 s\n");
	for (int s = 0; s < 2; s++) {
		int w = sizes[s][0], h = sizes[s][1], ev = 0;
		uint8_t *frames = scene(w, h);
		double bd = 0, bp = 0;
		for (int k = 0; k < 5; k++) {
			double d = bench_diff(320, 180, frames, 0.5);
			double p = bench_pipeline(w, h, frames, 0.5, &ev);
			bd = d > bd ? d : bd;
			bp = p > bp ? p : bp;
		}
		printf("input %dx%d (worked at 320x180): pipeline %.0f frames/s, "
		    "limit (bare 320x180 frame difference) %.0f frames/s, "
		    "ratio %.3f\n", w, h, bp, bd, bp / bd);
		printf("speed_%dx%d_fps=%.0f\nlimit_fps=%.0f\n", w, h, bp, bd);
		free(frames);
	}
	return 0;
}

/*
 * Decode a clip's video with libavcodec (one thread, like an agent that
 * decodes one substream per camera), optionally run motion on each Y
 * plane; report CPU seconds and the events. real-time % of one core =
 * CPU / clip duration.
 */
struct decoded {
	double cpu, wall, duration;
	int frames, events, motion_frames;
	int64_t start_ms[64], end_ms[64];
};

static int
decode_clip(const char *path, int with_motion, const struct motion_config *cfg,
    int verbose, struct decoded *out)
{
	AVFormatContext *fmt = NULL;
	AVCodecContext *dec = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *fr = av_frame_alloc();
	struct motion *m = NULL;
	struct motion_result r;
	int vs, ret = -1;
	double c0, w0;

	memset(out, 0, sizeof(*out));
	if (pkt == NULL || fr == NULL ||
	    avformat_open_input(&fmt, path, NULL, NULL) < 0 ||
	    avformat_find_stream_info(fmt, NULL) < 0) {
		fprintf(stderr, "%s: cannot open\n", path);
		goto out;
	}
	vs = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (vs < 0)
		goto out;
	AVStream *st = fmt->streams[vs];
	const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
	if (codec == NULL || (dec = avcodec_alloc_context3(codec)) == NULL ||
	    avcodec_parameters_to_context(dec, st->codecpar) < 0)
		goto out;
	dec->thread_count = 1;
	/* MOTION_DECODE=fast: what the agent's detection does by default
	 * (src/agent/detect.c): no deblocking filter, the decoder's fast
	 * flag; "nonref" also skips non-reference frames. */
	{
		const char *m = getenv("MOTION_DECODE");

		if (m != NULL && strncmp(m, "fast", 4) == 0) {
			dec->skip_loop_filter = AVDISCARD_ALL;
			dec->flags2 |= AV_CODEC_FLAG2_FAST;
		}
		if (m != NULL && strstr(m, "nonref") != NULL)
			dec->skip_frame = AVDISCARD_NONREF;
	}
	if (avcodec_open2(dec, codec, NULL) < 0)
		goto out;

	c0 = cpu_s();
	w0 = now_s();
	int64_t last = 0;
	for (int flushing = 0;;) {
		if (!flushing) {
			int e = av_read_frame(fmt, pkt);
			if (e < 0) {
				flushing = 1;
				avcodec_send_packet(dec, NULL);
			} else if (pkt->stream_index != vs) {
				av_packet_unref(pkt);
				continue;
			} else {
				avcodec_send_packet(dec, pkt);
				av_packet_unref(pkt);
			}
		}
		int e;
		while ((e = avcodec_receive_frame(dec, fr)) == 0) {
			int64_t ts = fr->best_effort_timestamp;
			int64_t ms = ts == AV_NOPTS_VALUE ? last + 40 :
			    av_rescale_q(ts, st->time_base, (AVRational){ 1, 1000 });
			last = ms;
			out->frames++;
			if (with_motion) {
				if (m == NULL && (m = motion_new(cfg, fr->width,
				    fr->height)) == NULL)
					goto out;
				motion_feed(m, fr->data[0], fr->linesize[0], ms, &r);
				out->motion_frames += !!(r.flags & MOTION_MOTION);
				if ((r.flags & MOTION_EVENT_START) && out->events < 64)
					out->start_ms[out->events] = r.event_start_ms;
				if (r.flags & MOTION_EVENT_END && out->events < 64)
					out->end_ms[out->events++] = r.event_end_ms;
				if (verbose && (r.flags & (MOTION_EVENT_START |
				    MOTION_EVENT_END | MOTION_LIGHTSWITCH)))
					printf("# %lld ms flags %#x\n", (long long)ms,
					    r.flags);
			}
			av_frame_unref(fr);
		}
		if (e == AVERROR_EOF)
			break;
		if (e != AVERROR(EAGAIN))
			goto out;
	}
	if (m && motion_finish(m, &r) && out->events < 64)
		out->end_ms[out->events++] = r.event_end_ms;
	out->cpu = cpu_s() - c0;
	out->wall = now_s() - w0;
	out->duration = last / 1000.0;
	ret = 0;
out:
	motion_free(m);
	av_frame_free(&fr);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	avformat_close_input(&fmt);
	return ret;
}

/* CPU of decode alone and decode + motion, as % of one core in real time,
 * best of 3 (the machine is shared). */
static int
cmd_decode(const char *path)
{
	struct motion_config cfg;
	struct decoded d, dm;
	double best_d = 1e9, best_dm = 1e9;

	motion_config_default(&cfg);
	for (int k = 0; k < 3; k++) {
		if (decode_clip(path, 0, &cfg, 0, &d) == -1 ||
		    decode_clip(path, 1, &cfg, 0, &dm) == -1)
			return 1;
		best_d = d.cpu < best_d ? d.cpu : best_d;
		best_dm = dm.cpu < best_dm ? dm.cpu : best_dm;
	}
	double dur = dm.duration > 0 ? dm.duration : 1;
	printf("clip %s: %d frames, %.1f s\n", path, dm.frames, dur);
	printf("decode only: %.2f s CPU = %.2f %% of one core in real time\n",
	    best_d, 100 * best_d / dur);
	printf("decode + motion: %.2f s CPU = %.2f %% of one core in real "
	    "time (motion alone %.2f %%)\n", best_dm, 100 * best_dm / dur,
	    100 * (best_dm - best_d) / dur);
	printf("decode_pct=%.3f\ndecode_motion_pct=%.3f\n", 100 * best_d / dur,
	    100 * best_dm / dur);
	return 0;
}

/* Events in a clip with the default config (end_quiet_ms as given). */
static int
cmd_events(const char *path, int quiet_ms, int verbose)
{
	struct motion_config cfg;
	struct decoded d;

	motion_config_default(&cfg);
	if (quiet_ms >= 0)
		cfg.end_quiet_ms = quiet_ms;
	if (decode_clip(path, 1, &cfg, verbose, &d) == -1)
		return 1;
	printf("events=%d motion_frames=%d frames=%d\n", d.events,
	    d.motion_frames, d.frames);
	for (int i = 0; i < d.events; i++)
		printf("event %d: %.2f .. %.2f s\n", i + 1, d.start_ms[i] / 1000.0,
		    d.end_ms[i] / 1000.0);
	return 0;
}

/*
 * Event scenes, for counting events from sealcam and from Motion on the
 * same video. Each ends with 8 s in which nothing moves, so that both
 * close their last event; `events` is the number a person would count.
 */
static const struct scene {
	const char *name;
	int w, h, fps, frames, events;
	const char *what;
} scenes[] = {
	{ "walk", 640, 360, 25, 18 * 25, 1,
	    "a person crosses a textured scene, sensor noise sigma 3" },
	{ "walk2", 640, 360, 25, 30 * 25, 2,
	    "two people, 12 s apart" },
	{ "noise", 640, 360, 25, 20 * 25, 0,
	    "sensor noise sigma 6 on a textured scene, nobody" },
	{ "exposure", 640, 360, 25, 15 * 25, 0,
	    "exposure jumps x1.5 at 6 s, nobody" },
	{ "lamp", 640, 360, 25, 15 * 25, 0,
	    "a lamp: brightness +40 at 6 s, nobody" },
	{ "ir", 640, 360, 25, 24 * 25, 1,
	    "IR day/night switch at 5 s (grey, gain 1.4, noise 2->5), "
	    "a person at 12 s" },
	{ "park", 640, 360, 25, 30 * 25, 1,
	    "a car drives in at 3 s and parks" },
	{ "pause", 640, 360, 25, 30 * 25, 1,
	    "still 10 s, a person crosses from 10 to 17 s, still 13 s "
	    "(the agent's end-to-end ground truth)" },
	{ "vtest", 384, 288, 10, 1325, 3,
	    "vtest.avi: 30 s walking, frozen 25 s, 20 s walking, empty hall "
	    "20 s, 29.5 s walking, frozen 8 s" },
};
#define NSCENES ((int)(sizeof(scenes) / sizeof(scenes[0])))

static int
put(const uint8_t *f, size_t n)
{
	return fwrite(f, 1, n, stdout) == n ? 0 : -1;
}

static void
add_noise(const uint8_t *src, uint8_t *dst, size_t n, uint64_t *rng)
{
	for (size_t i = 0; i < n; i++) {
		*rng ^= *rng >> 12;
		*rng ^= *rng << 25;
		*rng ^= *rng >> 27;
		uint64_t r = *rng * 0x2545F4914F6CDD1DULL;
		double s = (double)(r & 0xffff) + (double)((r >> 16) & 0xffff) +
		    (double)((r >> 32) & 0xffff) + (double)(r >> 48) - 131070.0;
		int v = src[i] + (int)lround(s * 2.0 / 37837.0);
		dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

static int
cmp_u8(const void *a, const void *b)
{
	return *(const uint8_t *)a - *(const uint8_t *)b;
}

/* vtest.avi spliced like tests/unit/motion_clip.c, at w x h grey. */
static int
gen_vtest(int w, int h)
{
	const char *clip = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
	AVFormatContext *fmt = NULL;
	AVCodecContext *dec = NULL;
	struct SwsContext *sws = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *fr = av_frame_alloc();
	size_t n = (size_t)w * h;
	uint8_t *frames[800], *plate = malloc(n), *buf = malloc(n), v[128];
	int nf = 0, vs;
	uint64_t rng = 0x9E3779B97F4A7C15ULL;

	if (!pkt || !fr || !plate || !buf ||
	    avformat_open_input(&fmt, clip, NULL, NULL) < 0 ||
	    avformat_find_stream_info(fmt, NULL) < 0 ||
	    (vs = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL,
	    0)) < 0)
		return 1;
	const AVCodec *codec = avcodec_find_decoder(
	    fmt->streams[vs]->codecpar->codec_id);
	if (!codec || !(dec = avcodec_alloc_context3(codec)) ||
	    avcodec_parameters_to_context(dec, fmt->streams[vs]->codecpar) < 0 ||
	    avcodec_open2(dec, codec, NULL) < 0)
		return 1;
	for (int flushing = 0, e = 0; e != AVERROR_EOF;) {
		if (!flushing) {
			if (av_read_frame(fmt, pkt) < 0) {
				flushing = 1;
				avcodec_send_packet(dec, NULL);
			} else {
				if (pkt->stream_index == vs)
					avcodec_send_packet(dec, pkt);
				av_packet_unref(pkt);
			}
		}
		while ((e = avcodec_receive_frame(dec, fr)) == 0) {
			if (nf < 800) {
				sws = sws_getCachedContext(sws, fr->width,
				    fr->height, fr->format, w, h, AV_PIX_FMT_GRAY8,
				    SWS_AREA, NULL, NULL, NULL);
				uint8_t *dst = malloc(n);
				if (!sws || !dst)
					return 1;
				uint8_t *dd[4] = { dst };
				int dl[4] = { w };
				sws_scale(sws, (const uint8_t *const *)fr->data,
				    fr->linesize, 0, fr->height, dd, dl);
				frames[nf++] = dst;
			}
			av_frame_unref(fr);
		}
		if (e != AVERROR(EAGAIN) && e != AVERROR_EOF && flushing)
			break;
	}
	if (nf < 795)
		return 1;
	for (size_t i = 0; i < n; i++) {
		int k = 0;
		for (int f = 0; f < nf; f += 8)
			v[k++] = frames[f][i];
		qsort(v, (size_t)k, 1, cmp_u8);
		plate[i] = v[k / 2];
	}
	/* A 300, B 250 frozen, C 200, D 200 plate, E 295, tail 80 frozen. */
	for (int f = 0; f < 300; f++)
		put(frames[f], n);
	for (int k = 0; k < 250; k++) {
		add_noise(frames[299], buf, n, &rng);
		put(buf, n);
	}
	for (int f = 300; f < 500; f++)
		put(frames[f], n);
	for (int k = 0; k < 200; k++) {
		add_noise(plate, buf, n, &rng);
		put(buf, n);
	}
	for (int f = 500; f < 795; f++)
		put(frames[f], n);
	for (int k = 0; k < 80; k++) {
		add_noise(frames[794], buf, n, &rng);
		put(buf, n);
	}
	return 0;
}

static int
cmd_scenes(void)
{
	for (int i = 0; i < NSCENES; i++)
		printf("%s %d %d %d %d %d %s\n", scenes[i].name, scenes[i].w,
		    scenes[i].h, scenes[i].fps, scenes[i].frames,
		    scenes[i].events, scenes[i].what);
	return 0;
}

static int
cmd_gen(const char *name)
{
	const struct scene *sc = NULL;
	struct synth_scene s;

	for (int i = 0; i < NSCENES; i++)
		if (strcmp(scenes[i].name, name) == 0)
			sc = &scenes[i];
	if (sc == NULL)
		return 2;
	if (strcmp(name, "vtest") == 0)
		return gen_vtest(sc->w, sc->h);
	if (synth_init(&s, sc->w, sc->h, 4242, 40) == -1)
		return 1;
	s.noise = 3;
	int fps = sc->fps;
	if (strcmp(name, "walk") == 0) {
		synth_add_walker(&s, 11, 0.25, fps, 3 * fps, 10 * fps, 0);
	} else if (strcmp(name, "pause") == 0) {
		synth_add_walker(&s, 11, 0.25, fps, 10 * fps, 17 * fps, 0);
	} else if (strcmp(name, "walk2") == 0) {
		synth_add_walker(&s, 12, 0.3, fps, 3 * fps, 8 * fps, 0);
		synth_add_walker(&s, 13, 0.3, fps, 15 * fps, 22 * fps, 30);
	} else if (strcmp(name, "noise") == 0) {
		s.noise = 6;
	} else if (strcmp(name, "exposure") == 0) {
		s.jump_frame = 6 * fps;
		s.gain = 1.5;
	} else if (strcmp(name, "lamp") == 0) {
		s.jump_frame = 6 * fps;
		s.offset = 40;
	} else if (strcmp(name, "ir") == 0) {
		s.noise = 2;
		s.ir_frame = 5 * fps;
		s.ir_gain = 1.4;
		s.ir_noise = 5;
		synth_add_walker(&s, 14, 0.3, fps, 12 * fps, 19 * fps, 0);
	} else if (strcmp(name, "park") == 0) {
		int cw = s.w / 4, ch = s.h / 6, enter = 3 * fps;
		int stop = enter + 5 * fps / 2;
		double v = (s.w * 0.45 + cw) / (stop - enter);
		struct synth_obj *o = synth_add(&s, -cw - v * enter, s.h * 0.6,
		    v, 0, cw, ch, 0);
		o->stop = stop;
		o->level = synth_contrast_level(&s, 0, (int)(s.h * 0.6),
		    s.w - 1, (int)(s.h * 0.6) + ch, 0, 60);
		o->texture = 20;
	}
	uint8_t *f = malloc((size_t)sc->w * sc->h);
	if (f == NULL)
		return 1;
	for (int t = 0; t < sc->frames; t++) {
		synth_frame(&s, t, f, sc->w, NULL);
		if (put(f, (size_t)sc->w * sc->h) == -1)
			return 1;
	}
	free(f);
	synth_free(&s);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 1)
		return cmd_speed();
	if (argc >= 3 && strcmp(argv[1], "decode") == 0)
		return cmd_decode(argv[2]);
	if (argc >= 3 && strcmp(argv[1], "events") == 0)
		return cmd_events(argv[2], argc > 3 ? (int)strtol(argv[3], NULL,
		    10) : -1, getenv("VERBOSE") != NULL);
	if (argc == 2 && strcmp(argv[1], "scenes") == 0)
		return cmd_scenes();
	if (argc == 3 && strcmp(argv[1], "gen") == 0)
		return cmd_gen(argv[2]);
	fprintf(stderr, "usage: motion [decode CLIP | events CLIP [quiet_ms] | "
	    "scenes | gen NAME]\n");
	return 2;
}
