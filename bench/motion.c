/*
 * bench/motion — how fast motion detection runs, next to its limit.
 *
 *	build/bench/motion                 pipeline frames/s (one core)
 *	build/bench/motion decode CLIP     decode + motion CPU for a clip
 *	build/bench/motion events CLIP [fps]  events found in a clip
 *	build/bench/motion gen NAME W H FPS  a synthetic scene as raw gray
 *	                                   frames on stdout (bench/motion.sh
 *	                                   turns them into video for Motion)
 *
 * The limit is a bare vectorised frame difference with a threshold at the
 * same size and compiler flags, measured in the same run: no background
 * model, no noise, no components could be faster than that.
 */
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
	fprintf(stderr, "usage: motion [decode CLIP | events CLIP [quiet_ms]]\n");
	return 2;
}
