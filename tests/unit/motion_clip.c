/*
 * motion_clip — a real clip: vtest.avi from Debian's opencv-doc (people
 * walking in a hall, 768x576, 10 fps, 79.5 s), decoded with libavformat /
 * libavcodec and converted to grey 384x288 with libswscale, as the agent
 * would hand over a substream's luma plane.
 *
 * vtest has people moving in every frame, so the still spans are built,
 * and spliced into the real sequence:
 *
 *	A  real frames 0..299 (30 s)            people walk: an event
 *	B  frame 299 frozen for 25 s, with      the people in it stand still:
 *	   fresh sensor noise every frame       no motion after still_ms (the
 *	                                        event ends); they stay boxed
 *	                                        as still objects (absorb_ms
 *	                                        is 30 s)
 *	C  real frames 300..499 (20 s)          they walk on: motion again
 *	D  the empty hall for 20 s (per-pixel   nobody there: no motion at
 *	   median of the clip) with noise       all, the event ends
 *	E  real frames 500..794                 people again: a new event
 *
 * The noise is Gaussian, sigma 2 grey levels, drawn anew for each frame,
 * so a frozen frame is not bit-identical (a real camera never is).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>

#include "motion.h"
#include "t.h"

#define CLIP "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
#define W 384
#define H 288
#define FPS 10
#define MAXF 1000

static uint8_t *frames[MAXF];	/* the clip at W x H grey */
static int nframes;

/* Decode every frame of the clip into frames[]. */
static int
load_clip(const char *path)
{
	AVFormatContext *fmt = NULL;
	AVCodecContext *dec = NULL;
	struct SwsContext *sws = NULL;
	AVPacket *pkt = av_packet_alloc();
	AVFrame *fr = av_frame_alloc();
	int vs, ret = -1;

	if (!pkt || !fr || avformat_open_input(&fmt, path, NULL, NULL) < 0 ||
	    avformat_find_stream_info(fmt, NULL) < 0) {
		printf("# cannot open %s (package opencv-doc)\n", path);
		goto out;
	}
	if ((vs = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL,
	    0)) < 0)
		goto out;
	const AVCodec *codec = avcodec_find_decoder(
	    fmt->streams[vs]->codecpar->codec_id);
	if (!codec || !(dec = avcodec_alloc_context3(codec)) ||
	    avcodec_parameters_to_context(dec, fmt->streams[vs]->codecpar) < 0 ||
	    avcodec_open2(dec, codec, NULL) < 0)
		goto out;
	for (int flushing = 0;;) {
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
		int e;
		while ((e = avcodec_receive_frame(dec, fr)) == 0) {
			if (nframes < MAXF) {
				sws = sws_getCachedContext(sws, fr->width,
				    fr->height, fr->format, W, H, AV_PIX_FMT_GRAY8,
				    SWS_AREA, NULL, NULL, NULL);
				uint8_t *dst = malloc((size_t)W * H);
				if (sws == NULL || dst == NULL)
					goto out;
				uint8_t *dd[4] = { dst };
				int dl[4] = { W };
				sws_scale(sws, (const uint8_t *const *)fr->data,
				    fr->linesize, 0, fr->height, dd, dl);
				frames[nframes++] = dst;
			}
			av_frame_unref(fr);
		}
		if (e == AVERROR_EOF)
			break;
		if (e != AVERROR(EAGAIN) && flushing)
			break;
	}
	ret = 0;
out:
	sws_freeContext(sws);
	av_frame_free(&fr);
	av_packet_free(&pkt);
	avcodec_free_context(&dec);
	avformat_close_input(&fmt);
	return ret;
}

static int
cmp_u8(const void *a, const void *b)
{
	return *(const uint8_t *)a - *(const uint8_t *)b;
}

/* The empty hall: per-pixel median over every 8th frame (people keep
 * moving, so at each pixel most samples are the floor or the wall). */
static void
median_plate(uint8_t *plate)
{
	uint8_t v[MAXF / 8 + 1];

	for (size_t i = 0; i < (size_t)W * H; i++) {
		int n = 0;
		for (int f = 0; f < nframes; f += 8)
			v[n++] = frames[f][i];
		qsort(v, (size_t)n, 1, cmp_u8);
		plate[i] = v[n / 2];
	}
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

/* src plus Gaussian noise (sigma 2; sum of 4 uniforms is close enough). */
static void
noisy(const uint8_t *src, uint8_t *dst)
{
	for (size_t i = 0; i < (size_t)W * H; i++) {
		rng ^= rng >> 12;
		rng ^= rng << 25;
		rng ^= rng >> 27;
		uint64_t r = rng * 0x2545F4914F6CDD1DULL;
		double s = (double)(r & 0xffff) + (double)((r >> 16) & 0xffff) +
		    (double)((r >> 32) & 0xffff) + (double)(r >> 48) - 131070.0;
		int v = src[i] + (int)lround(s * 2.0 / 37837.0);
		dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
	}
}

/* What happened in one part of the spliced sequence. */
struct part {
	const char *name;
	int frames;		/* fed */
	int motion;		/* frames with motion */
	int first_motion;	/* index in the part, -1 */
	int last_motion;
	int starts, ends;
	int first_start;	/* index of the first event start, -1 */
	int last_end;		/* index of the last event end, -1 */
	int active_at_end;
	int boxed;		/* frames with boxes, moving or still */
	int last_box;
};

static struct motion *m;
static int64_t pts;

static void
feed(struct part *p, const uint8_t *frame)
{
	struct motion_result r;
	int i = p->frames++;

	T_ASSERT(motion_feed(m, frame, W, pts, &r) == 0);
	pts += 1000 / FPS;
	if (r.nboxes > 0) {
		p->boxed++;
		p->last_box = i;
	}
	if (r.flags & MOTION_MOTION) {
		p->motion++;
		if (p->first_motion < 0)
			p->first_motion = i;
		p->last_motion = i;
	}
	if (r.flags & MOTION_EVENT_START) {
		p->starts++;
		if (p->first_start < 0)
			p->first_start = i;
	}
	if (r.flags & MOTION_EVENT_END) {
		p->ends++;
		p->last_end = i;
	}
	p->active_at_end = !!(r.flags & MOTION_EVENT_ACTIVE);
}

static void
part_init(struct part *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->first_motion = p->last_motion = p->first_start = p->last_end = -1;
	p->last_box = -1;
}

static void
report(const struct part *p)
{
	printf("# %-24s %4d frames, %4d with motion (first %d, last %d), "
	    "%4d boxed, %d starts, %d ends%s\n", p->name, p->frames, p->motion,
	    p->first_motion, p->last_motion, p->boxed, p->starts, p->ends,
	    p->active_at_end ? ", event open" : "");
}

int
main(void)
{
	struct motion_config cfg;
	struct part a, b, c, d, e;
	uint8_t *plate = malloc((size_t)W * H), *buf = malloc((size_t)W * H);

	t_case("vtest.avi decodes (libavformat, libavcodec, libswscale)");
	T_ASSERT(plate != NULL && buf != NULL);
	T_EQ(load_clip(CLIP), 0);
	T_EQ(nframes, 795);
	if (nframes < 795)
		return t_done();
	median_plate(plate);

	motion_config_default(&cfg);	/* the defaults, as shipped */
	m = motion_new(&cfg, W, H);
	T_ASSERT(m != NULL);
	if (m == NULL)
		return t_done();

	/* A: people walking. */
	part_init(&a, "A real 0..299");
	for (int f = 0; f < 300; f++)
		feed(&a, frames[f]);
	/* B: frame 299 frozen, with noise. */
	part_init(&b, "B frame 299 frozen 25 s");
	for (int k = 0; k < 25 * FPS; k++) {
		noisy(frames[299], buf);
		feed(&b, buf);
	}
	/* C: real again. */
	part_init(&c, "C real 300..499");
	for (int f = 300; f < 500; f++)
		feed(&c, frames[f]);
	/* D: the empty hall. */
	part_init(&d, "D empty hall 20 s");
	for (int k = 0; k < 20 * FPS; k++) {
		noisy(plate, buf);
		feed(&d, buf);
	}
	/* E: real again. */
	part_init(&e, "E real 500..794");
	for (int f = 500; f < nframes; f++)
		feed(&e, frames[f]);
	report(&a);
	report(&b);
	report(&c);
	report(&d);
	report(&e);

	t_case("people walking: an event from the start, motion in nearly "
	    "every frame after warm-up");
	T_EQ(a.starts, 1);
	T_ASSERT(a.first_start >= 0 && a.first_start <= 2 * FPS);
	T_ASSERT(a.motion >= (300 - 2 * FPS) * 9 / 10);
	T_ASSERT(a.active_at_end);

	t_case("frozen frame: no motion once still_ms has passed, the event "
	    "ends, none starts; the people stay boxed as still objects");
	T_EQ(b.starts, 0);
	T_EQ(b.ends, 1);
	T_ASSERT(b.last_motion >= 0);
	T_ASSERT(b.last_motion * 1000 / FPS <= cfg.still_ms + 500);
	T_ASSERT(b.last_end * 1000 / FPS <= cfg.still_ms + 500 +
	    cfg.end_quiet_ms + 1000 / FPS);
	T_ASSERT(!b.active_at_end);
	T_EQ(b.boxed, b.frames);	/* 25 s < absorb_ms */

	t_case("real frames resume: motion within 0.5 s and a new event");
	T_ASSERT(c.first_motion >= 0 && c.first_motion <= FPS / 2);
	T_EQ(c.starts, 1);
	T_ASSERT(c.first_start >= 0 &&
	    c.first_start <= FPS / 2 + cfg.start_frames);
	T_ASSERT(c.motion >= 200 * 9 / 10);

	t_case("empty hall with sensor noise: no motion, the event ends, none "
	    "starts");
	T_ASSERT(d.motion <= 2);
	T_ASSERT(d.last_motion < 2);
	T_EQ(d.starts, 0);
	T_EQ(d.ends, 1);
	T_ASSERT(!d.active_at_end);

	t_case("people come back: motion and an event again");
	T_ASSERT(e.first_motion >= 0 && e.first_motion <= 1);
	T_EQ(e.starts, 1);
	T_ASSERT(e.motion >= (nframes - 500) * 9 / 10);

	motion_free(m);
	for (int i = 0; i < nframes; i++)
		free(frames[i]);
	free(plate);
	free(buf);
	return t_done();
}
