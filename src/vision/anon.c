/*
 * anon.c — anon_run: decode, analyse, hold, mask, encode (see anon.h).
 *
 * Data flow per frame: decode (strict: any decoder error aborts) -> a
 * slot of the ring (YUV 4:2:0 at the output size; the decoder's own
 * frame when it is that already) and its motion cells against the
 * previous frame -> a worker finds faces and people (anon_work.c) ->
 * boxes pushed into the hold buffer in frame order -> once the frame
 * hold_frames ahead is analysed, the oldest buffered frame gets the union
 * of the boxes of its neighbourhood and the privacy masks, is filled,
 * encoded with x264 (pts = frame number) and listed in the report.
 * The output is muxed into a temporary file next to `out` and renamed only
 * when every frame made it; the report likewise.
 */
#include <errno.h>
#include <jansson.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anon_int.h"
#include "log.h"

#define MAX_DIM 4096
#define MOTION_STEP 4           /* luma sampled every 4th pixel for motion */
#define MOTION_LEVEL 6          /* mean |change| per cell that counts as motion */

void anon_opts_default(struct anon_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* Lower than the detector's balanced threshold: here a false
	 * positive costs a grey square, a miss costs a face. */
	o->face_score = 0.2f;
	o->face_sure = 0.6f;
	o->person_score = 0.2f;
	/* 2x wide, 0.75 of the height above, 0.5 below (anon_work.c): on the
	 * labelled face set, covering each labelled face box from BlazeFace's
	 * box at scales 1, 0.5 and 0.35 (faces of 13-109 px as detected)
	 * needed up to 2.07x / 0.38 / 0.35 — 1.6x (0.45 / 0.3) left slivers
	 * of 10 of those 129 faces unmasked. */
	o->face_grow = 2.0f;
	o->person_grow = 1.15f;
	o->hold_frames = 5;
	o->analysis_width = 640;
	o->people = ANON_PEOPLE_UNCERTAIN;
	o->fill = ANON_FILL_PIXELATE;
	o->crf = 23;
	o->preset = "veryfast";
}

const char *anon_strerror(enum anon_err e)
{
	switch (e) {
	case ANON_OK: return "ok";
	case ANON_EINVAL: return "invalid options or paths";
	case ANON_EMODEL: return "a detection model could not be loaded (run scripts/deps.sh)";
	case ANON_EINPUT: return "input missing, unreadable, corrupt or without video";
	case ANON_EANALYSE: return "a frame could not be analysed";
	case ANON_EENCODE: return "encoding failed";
	case ANON_EOUTPUT: return "output could not be written";
	case ANON_ENOMEM: return "out of memory";
	}
	return "unknown error";
}

/* The calling thread's state: input, output, report (the pipeline is
 * struct anon_run, shared with the workers). */
struct run {
	struct anon_run a;
	const struct anon_opts *o;
	/* input */
	AVFormatContext *ifmt;
	AVCodecContext *dec;
	int vsi;
	struct SwsContext *to_yuv;  /* for frames that are not YUV 4:2:0 at W x H already */
	uint8_t *luma[2];           /* sampled luma of the last two frames */
	/* output */
	AVFormatContext *ofmt;
	AVCodecContext *enc;
	AVStream *ost;
	int W, H, fps;
	struct anon_hold *hold;
	long emitted;
	AVPacket *opkt;
	json_t *frames;             /* report: masked frames */
	long masked;
	struct anon_box *boxes;     /* emit() scratch: BOX_SCRATCH boxes */
};

#define BOX_SCRATCH ((2 * ANON_MAX_HOLD + 1) * ANON_MAX_FRAME_BOXES)

static int encode(struct run *r, AVFrame *f)
{
	int ret = avcodec_send_frame(r->enc, f);

	if (ret < 0)
		return -1;
	for (;;) {
		ret = avcodec_receive_packet(r->enc, r->opkt);
		if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF)
			return 0;
		if (ret < 0)
			return -1;
		/* Every frame lasts one tick; without it the muxer's edit list
		 * ends at the last frame's start and players drop that frame. */
		if (r->opkt->duration <= 0)
			r->opkt->duration = 1;
		av_packet_rescale_ts(r->opkt, r->enc->time_base, r->ost->time_base);
		r->opkt->stream_index = 0;
		ret = av_interleaved_write_frame(r->ofmt, r->opkt);
		av_packet_unref(r->opkt);
		if (ret < 0)
			return -1;
	}
}

static json_t *box_json(const struct anon_box *b)
{
	static const char *kinds[] = { "face", "person", "privacy" };

	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:f, s:b}", "kind", kinds[b->kind],
	                 "x", b->x0, "y", b->y0, "w", b->x1 - b->x0, "h", b->y1 - b->y0,
	                 "score", (double)b->score, "held", b->held);
}

/* Mask, encode and report the oldest buffered frame; frees its slot. */
static enum anon_err emit(struct run *r)
{
	struct anon_box *boxes = r->boxes;
	AVFrame *f = r->a.slot[r->emitted % r->a.nslot].f;
	int n = anon_hold_boxes(r->hold, r->emitted, boxes, BOX_SCRATCH);
	json_t *jb = NULL;

	if (n < 0)
		return ANON_EANALYSE;
	if (av_frame_make_writable(f) < 0)
		return ANON_ENOMEM;
	n = anon_boxes_merge(boxes, n);
	if (n > 0 || r->o->nmasks > 0)
		jb = json_array();
	for (int i = 0; i < n; i++) {
		anon_fill_yuv420(f->data, f->linesize, r->W, r->H, &boxes[i], r->o->fill);
		json_array_append_new(jb, box_json(&boxes[i]));
	}
	for (int i = 0; i < r->o->nmasks; i++) {
		anon_fill_poly_yuv420(f->data, f->linesize, r->W, r->H, &r->o->masks[i], r->o->fill);
		json_array_append_new(jb, json_pack("{s:s, s:i}", "kind", "privacy", "mask", i));
	}
	if (jb) {
		json_array_append_new(r->frames, json_pack("{s:I, s:o}", "frame",
		                      (json_int_t)r->emitted, "boxes", jb));
		r->masked++;
	}
	/* Coarse, synthetic timing: frame number at a whole frame rate. */
	f->pts = r->emitted;
	f->pict_type = AV_PICTURE_TYPE_NONE;
	if (encode(r, f) != 0)
		return ANON_EENCODE;
	av_frame_unref(f);
	pthread_mutex_lock(&r->a.mu);
	r->a.slot[r->emitted % r->a.nslot].st = SLOT_FREE;
	pthread_mutex_unlock(&r->a.mu);
	r->emitted++;
	return ANON_OK;
}

/* Push the boxes of analysed frames into the hold buffer, in frame order,
 * and emit every frame whose look-ahead is complete (all of them at the
 * end of input). block: wait until at least one more frame is analysed
 * (if any is in flight). */
static enum anon_err collect(struct run *r, int block, int eof)
{
	struct anon_run *a = &r->a;
	enum anon_err e = ANON_OK;
	int got = 0;

	/* One frame at a time: the hold buffer keeps 2 * hold + 1 frames, so
	 * a frame is emitted as soon as its look-ahead is in, before more
	 * are pushed. */
	while (e == ANON_OK) {
		enum anon_slot_state st = SLOT_FREE;
		struct anon_slot *s = &a->slot[a->pushed % a->nslot];
		pthread_mutex_lock(&a->mu);
		while (block && !got && a->pushed < a->decoded && s->st != SLOT_DONE &&
		       s->st != SLOT_FAILED)
			pthread_cond_wait(&a->done, &a->mu);
		if (a->pushed < a->decoded)
			st = s->st;
		pthread_mutex_unlock(&a->mu);
		if (st == SLOT_FAILED) {
			log_err("anon", "frame=%ld err=\"analysis failed\"", a->pushed);
			return ANON_EANALYSE;
		}
		if (st != SLOT_DONE)
			break;
		if (anon_hold_push(r->hold, s->det, s->ndet) != 0)
			return ANON_EANALYSE;
		a->pushed++;
		got = 1;
		while (e == ANON_OK && r->emitted + a->hold < a->pushed)
			e = emit(r);
	}
	while (e == ANON_OK && eof && r->emitted < a->pushed && a->pushed == a->decoded)
		e = emit(r);
	return e;
}

/* Sample the luma of f every MOTION_STEP pixels into l. */
static void sample_luma(const struct run *r, const AVFrame *f, uint8_t *l)
{
	int sw = r->W / MOTION_STEP, sh = r->H / MOTION_STEP;

	for (int y = 0; y < sh; y++) {
		const uint8_t *row = f->data[0] + (size_t)y * MOTION_STEP * f->linesize[0];
		for (int x = 0; x < sw; x++)
			l[y * sw + x] = row[x * MOTION_STEP];
	}
}

/* Cells whose sampled luma changed by MOTION_LEVEL on average. */
static void motion_cells(const struct run *r, const uint8_t *cur, const uint8_t *prev,
                         unsigned char *cells)
{
	const int per = ANON_CELL / MOTION_STEP, sw = r->W / MOTION_STEP, sh = r->H / MOTION_STEP;

	for (int cy = 0; cy < r->a.gh; cy++)
		for (int cx = 0; cx < r->a.gw; cx++) {
			int sum = 0, n = 0;
			for (int y = cy * per; y < (cy + 1) * per && y < sh; y++)
				for (int x = cx * per; x < (cx + 1) * per && x < sw; x++, n++)
					sum += abs(cur[y * sw + x] - prev[y * sw + x]);
			cells[cy * r->a.gw + cx] = n > 0 && sum >= MOTION_LEVEL * n;
		}
}

/* A decoded frame: into the next slot (waiting for it to be free), motion
 * cells, then ready for a worker; emit what is ready. */
static enum anon_err take(struct run *r, const AVFrame *in)
{
	struct anon_run *a = &r->a;
	long fno = a->decoded;
	struct anon_slot *s = &a->slot[fno % a->nslot];
	enum anon_err e;

	if (fno >= ANON_MAX_FRAMES)
		return ANON_EINPUT;
	/* Any sign of damage fails the run: a half-decoded frame may hide a
	 * face the detector then cannot see. */
	if (in->decode_error_flags || (in->flags & AV_FRAME_FLAG_CORRUPT) ||
	    in->width != r->dec->width || in->height != r->dec->height)
		return ANON_EINPUT;
	/* The slot is free once its last frame was emitted. */
	while (r->emitted <= fno - a->nslot)
		if ((e = collect(r, 1, 0)) != ANON_OK)
			return e;
	if (in->format == AV_PIX_FMT_YUV420P && in->width == r->W && in->height == r->H) {
		if (av_frame_ref(s->f, in) < 0)
			return ANON_ENOMEM;
	} else {
		r->to_yuv = sws_getCachedContext(r->to_yuv, in->width, in->height, in->format, r->W,
		                                 r->H, AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
		if (r->to_yuv == NULL)
			return ANON_EINPUT;
		s->f->format = AV_PIX_FMT_YUV420P;
		s->f->width = r->W;
		s->f->height = r->H;
		if (av_frame_get_buffer(s->f, 0) < 0)
			return ANON_ENOMEM;
		if (sws_scale(r->to_yuv, (const uint8_t *const *)in->data, in->linesize, 0,
		              in->height, s->f->data, s->f->linesize) != r->H)
			return ANON_EANALYSE;
	}
	if (a->native) {
		uint8_t *cur = r->luma[fno % 2], *prev = r->luma[(fno + 1) % 2];
		sample_luma(r, s->f, cur);
		if (fno > 0)
			motion_cells(r, cur, prev, s->motion);
	}
	pthread_mutex_lock(&a->mu);
	s->fno = fno;
	s->ndet = 0;
	s->st = SLOT_READY;
	a->decoded++;
	pthread_cond_signal(&a->work);
	pthread_mutex_unlock(&a->mu);
	return collect(r, 0, 0);
}

static enum anon_err open_input(struct run *r, const char *in)
{
	const AVCodec *codec;
	AVStream *st;
	struct anon_run *a = &r->a;

	if (avformat_open_input(&r->ifmt, in, NULL, NULL) < 0 ||
	    avformat_find_stream_info(r->ifmt, NULL) < 0) {
		log_err("anon", "file=%s err=\"cannot open input\"", in);
		return ANON_EINPUT;
	}
	r->vsi = av_find_best_stream(r->ifmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
	if (r->vsi < 0)
		return ANON_EINPUT;
	st = r->ifmt->streams[r->vsi];
	r->dec = avcodec_alloc_context3(codec);
	if (r->dec == NULL)
		return ANON_ENOMEM;
	if (avcodec_parameters_to_context(r->dec, st->codecpar) < 0)
		return ANON_EINPUT;
	/* Strict decoding: report damage instead of concealing it. */
	r->dec->err_recognition |= AV_EF_EXPLODE | AV_EF_CRCCHECK;
	r->dec->thread_count = 0;
	if (avcodec_open2(r->dec, codec, NULL) < 0)
		return ANON_EINPUT;
	if (r->dec->width < 16 || r->dec->height < 16 || r->dec->width > MAX_DIM ||
	    r->dec->height > MAX_DIM)
		return ANON_EINPUT;
	r->W = r->dec->width & ~1;
	r->H = r->dec->height & ~1;
	r->fps = (int)lrint(av_q2d(st->avg_frame_rate.num ? st->avg_frame_rate : st->r_frame_rate));
	if (r->fps < 1 || r->fps > 120)
		r->fps = 25;
	a->W = r->W;
	a->H = r->H;
	a->fps = r->fps;
	a->aw = r->o->analysis_width > 0 && r->o->analysis_width < r->W ? r->o->analysis_width : r->W;
	a->ah = (int)lrint((double)r->H * a->aw / r->W);
	if (a->ah < 16)
		return ANON_EINPUT;
	a->native = a->aw < r->W;
	a->gw = (r->W + ANON_CELL - 1) / ANON_CELL;
	a->gh = (r->H + ANON_CELL - 1) / ANON_CELL;
	/* Native regions: faces found by the sweep are held twice as long
	 * (anon_work.c), so the buffer keeps 2 * hold_frames either side. */
	a->hold = a->native ? 2 * r->o->hold_frames : r->o->hold_frames;
	a->bands = 2 * a->hold + 1;
	return ANON_OK;
}

static enum anon_err open_output(struct run *r, const char *out, const char *tmp)
{
	const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
	char crf[16];

	if (codec == NULL) {
		log_err("anon", "err=\"libx264 encoder missing from libavcodec\"");
		return ANON_EENCODE;
	}
	if (avformat_alloc_output_context2(&r->ofmt, NULL, NULL, out) < 0 || r->ofmt == NULL)
		return ANON_EINVAL;
	/* No "encoder" tag, no version strings, nothing from the input. */
	r->ofmt->flags |= AVFMT_FLAG_BITEXACT;
	r->enc = avcodec_alloc_context3(codec);
	r->ost = avformat_new_stream(r->ofmt, NULL);
	r->opkt = av_packet_alloc();
	if (r->enc == NULL || r->ost == NULL || r->opkt == NULL)
		return ANON_ENOMEM;
	r->enc->width = r->W;
	r->enc->height = r->H;
	r->enc->pix_fmt = AV_PIX_FMT_YUV420P;
	r->enc->time_base = (AVRational){ 1, r->fps };
	r->enc->framerate = (AVRational){ r->fps, 1 };
	r->enc->gop_size = 2 * r->fps;
	r->enc->flags |= AV_CODEC_FLAG_BITEXACT;
	if (r->ofmt->oformat->flags & AVFMT_GLOBALHEADER)
		r->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
	snprintf(crf, sizeof(crf), "%d", r->o->crf);
	/* One encoder thread: the analysis workers keep every core busy, and
	 * x264's frame threads (3 on 2 cores) only added their own overhead
	 * there (~1.5-3 CPU-ms a 720p frame in A/B runs); one thread encodes
	 * 720p veryfast at ~90 frames/s, well ahead of the analysis. */
	r->enc->thread_count = 1;
	av_opt_set(r->enc->priv_data, "preset", r->o->preset ? r->o->preset : "veryfast", 0);
	av_opt_set(r->enc->priv_data, "crf", crf, 0);
	if (avcodec_open2(r->enc, codec, NULL) < 0 ||
	    avcodec_parameters_from_context(r->ost->codecpar, r->enc) < 0)
		return ANON_EENCODE;
	r->ost->time_base = r->enc->time_base;
	if (avio_open(&r->ofmt->pb, tmp, AVIO_FLAG_WRITE) < 0) {
		log_err("anon", "file=%s err=\"cannot create output\"", tmp);
		return ANON_EOUTPUT;
	}
	if (avformat_write_header(r->ofmt, NULL) < 0)
		return ANON_EENCODE;
	return ANON_OK;
}

static enum anon_err run_frames(struct run *r)
{
	AVPacket *pkt = av_packet_alloc();
	AVFrame *f = av_frame_alloc();
	enum anon_err e = ANON_OK;
	int eof = 0, ret;

	if (pkt == NULL || f == NULL) {
		e = ANON_ENOMEM;
		goto out;
	}
	while (e == ANON_OK) {
		ret = avcodec_receive_frame(r->dec, f);
		if (ret == 0) {
			e = take(r, f);
			av_frame_unref(f);
			continue;
		}
		if (ret == AVERROR_EOF)
			break;
		if (ret != AVERROR(EAGAIN)) {
			e = ANON_EINPUT;
			break;
		}
		if (eof) {
			e = ANON_EINPUT;
			break;
		}
		ret = av_read_frame(r->ifmt, pkt);
		if (ret == AVERROR_EOF) {
			eof = 1;
			avcodec_send_packet(r->dec, NULL);
			continue;
		}
		if (ret < 0) {
			e = ANON_EINPUT;        /* truncated or unreadable container */
			break;
		}
		if (pkt->stream_index == r->vsi &&
		    ((pkt->flags & AV_PKT_FLAG_CORRUPT) || avcodec_send_packet(r->dec, pkt) < 0))
			e = ANON_EINPUT;
		av_packet_unref(pkt);   /* audio and other streams are dropped here */
	}
	/* End of input: wait for the last analyses; the last frames get what
	 * look-ahead there is, and (native regions) the last frame a whole
	 * native scan: the sweep would have reached the other bands after it. */
	while (e == ANON_OK && r->a.pushed < r->a.decoded)
		e = collect(r, 1, 0);
	if (e == ANON_OK && r->a.native && r->a.hold > 0 && r->a.decoded > 0) {
		struct anon_box fin[ANON_MAX_DET];
		int n = anon_final_scan(&r->a, &r->a.slot[(r->a.decoded - 1) % r->a.nslot], fin,
		                        ANON_MAX_DET);
		if (n < 0 || anon_hold_append(r->hold, r->a.decoded - 1, fin, n) != 0)
			e = ANON_EANALYSE;
	}
	while (e == ANON_OK && r->emitted < r->a.decoded)
		e = collect(r, 1, 1);
	if (e == ANON_OK && r->a.decoded == 0)
		e = ANON_EINPUT;
	if (e == ANON_OK && (encode(r, NULL) != 0 || av_write_trailer(r->ofmt) < 0))
		e = ANON_EENCODE;
out:
	if (e != ANON_OK)
		log_err("anon", "frame=%ld err=\"%s\"", r->a.pushed, anon_strerror(e));
	av_packet_free(&pkt);
	av_frame_free(&f);
	return e;
}

static int tmp_name(const char *path, char *buf, size_t n)
{
	int fd;

	if ((size_t)snprintf(buf, n, "%s.tmp-XXXXXX", path) >= n)
		return -1;
	fd = mkstemp(buf);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static enum anon_err write_report(struct run *r, const char *tmp)
{
	json_t *root = json_pack("{s:i, s:I, s:I, s:i, s:i, s:i, s:o}", "version", 1,
	                         "frames_total", (json_int_t)r->emitted,
	                         "frames_masked", (json_int_t)r->masked, "width", r->W,
	                         "height", r->H, "fps", r->fps, "frames", json_incref(r->frames));
	int ok = root && json_dump_file(root, tmp, JSON_COMPACT) == 0;

	json_decref(root);
	return ok ? ANON_OK : ANON_EOUTPUT;
}

static void *load_main(void *arg)
{
	struct anon_worker *w = arg;

	w->load_err = anon_worker_load(w->r, w);
	nn_cache_drain();       /* tensor buffers cached by this thread, if any */
	return NULL;
}

/* Every worker's detectors, loaded at once (one thread each): reading
 * and repacking the person model takes ~0.1 s, which serially was ~5% of
 * the wall time of a 4-second clip on 2 cores. */
static enum anon_err load_workers(struct anon_run *a)
{
	pthread_t th[ANON_MAX_WORKERS];
	int started[ANON_MAX_WORKERS] = { 0 };
	enum anon_err e = ANON_OK;

	/* The matrix kernel is picked on first use: pick it here, once,
	 * before threads race to. */
	(void)nn_isa();
	for (int i = 1; i < a->nwk; i++) {
		a->wk[i].r = a;
		started[i] = pthread_create(&th[i], NULL, load_main, &a->wk[i]) == 0;
	}
	e = anon_worker_load(a, &a->wk[0]);
	for (int i = 1; i < a->nwk; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			a->wk[i].load_err = anon_worker_load(a, &a->wk[i]);
		if (e == ANON_OK)
			e = a->wk[i].load_err;
	}
	return e;
}

enum anon_err anon_run(const struct anon_opts *o, const char *in, const char *out,
                       const char *report_path)
{
	struct run r;
	struct anon_run *a = &r.a;
	enum anon_err e;
	char tmp[4096] = "", rtmp[4096] = "";
	int started = 0;

	memset(&r, 0, sizeof(r));
	r.o = o;
	a->o = o;
	if (o == NULL || in == NULL || out == NULL || o->hold_frames < 0 ||
	    o->hold_frames > ANON_MAX_HOLD || o->nmasks < 0 || o->nmasks > ANON_MAX_MASKS ||
	    o->crf < 0 || o->crf > 51 || o->face_grow < 1 || o->person_grow < 1 ||
	    o->analysis_width < 0)
		return ANON_EINVAL;
	for (int i = 0; i < o->nmasks; i++)
		if (o->masks[i].n < 3 || o->masks[i].n > ANON_MAX_POLY)
			return ANON_EINVAL;
	if (sodium_init() < 0)
		return ANON_ENOMEM;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->work, NULL);
	pthread_cond_init(&a->done, NULL);

	/* Models first: without them there is nothing to decide with. One
	 * pair of detectors per worker; a worker per core (at most 8). */
	a->nwk = (int)sysconf(_SC_NPROCESSORS_ONLN);
	a->nwk = o->threads > 0 ? o->threads : a->nwk;
	a->nwk = a->nwk < 1 ? 1 : a->nwk > ANON_MAX_WORKERS ? ANON_MAX_WORKERS : a->nwk;
	if ((e = load_workers(a)) != ANON_OK)
		goto out;
	if ((e = open_input(&r, in)) != ANON_OK)
		goto out;
	for (int i = 0; i < a->nwk; i++)
		if ((e = anon_worker_prepare(a, &a->wk[i])) != ANON_OK)
			goto out;
	r.hold = anon_hold_new(a->hold);
	/* Frames wait for the longest hold of look-ahead, and up to two per
	 * worker may be in analysis or waiting for one. */
	a->nslot = a->hold + 2 * a->nwk + 2;
	a->slot = calloc(a->nslot, sizeof(*a->slot));
	r.frames = json_array();
	r.boxes = malloc(BOX_SCRATCH * sizeof(*r.boxes));
	r.luma[0] = malloc((size_t)(r.W / MOTION_STEP + 1) * (r.H / MOTION_STEP + 1));
	r.luma[1] = malloc((size_t)(r.W / MOTION_STEP + 1) * (r.H / MOTION_STEP + 1));
	if (r.hold == NULL || a->slot == NULL || r.frames == NULL || r.boxes == NULL ||
	    r.luma[0] == NULL || r.luma[1] == NULL) {
		e = ANON_ENOMEM;
		goto out;
	}
	for (int i = 0; i < a->nslot; i++)
		if ((a->slot[i].f = av_frame_alloc()) == NULL ||
		    (a->slot[i].motion = calloc((size_t)a->gw * a->gh, 1)) == NULL) {
			e = ANON_ENOMEM;
			goto out;
		}
	if (tmp_name(out, tmp, sizeof(tmp)) != 0 ||
	    (report_path && tmp_name(report_path, rtmp, sizeof(rtmp)) != 0)) {
		e = ANON_EOUTPUT;
		goto out;
	}
	if ((e = open_output(&r, out, tmp)) != ANON_OK)
		goto out;
	if (anon_workers_start(a) != 0) {
		e = ANON_ENOMEM;
		goto out;
	}
	started = 1;
	e = run_frames(&r);
	anon_workers_stop(a);
	started = 0;
	if (e != ANON_OK)
		goto out;
	if (avio_closep(&r.ofmt->pb) < 0) {
		e = ANON_EOUTPUT;
		goto out;
	}
	if (report_path && (e = write_report(&r, rtmp)) != ANON_OK)
		goto out;
	/* Commit: the video first, then the report that describes it. */
	if (rename(tmp, out) != 0) {
		e = ANON_EOUTPUT;
		goto out;
	}
	tmp[0] = 0;
	if (report_path && rename(rtmp, report_path) != 0) {
		unlink(out);
		e = ANON_EOUTPUT;
		goto out;
	}
	rtmp[0] = 0;
	{
		/* Per frame: share of the frame searched at native scale, and
		 * the workers' CPU ms by stage. */
		long px = 0;
		double ms[4] = { 0 }, nfr = r.emitted ? (double)r.emitted : 1;
		for (int i = 0; i < a->nwk; i++) {
			px += a->wk[i].native_px;
			for (int k = 0; k < 4; k++)
				ms[k] += a->wk[i].ms[k];
		}
		log_info("anon", "frames=%ld masked=%ld out=%s native_share=%.2f convert_ms=%.1f "
		         "faces_ms=%.1f people_ms=%.1f native_ms=%.1f", r.emitted, r.masked, out,
		         (double)px / nfr / ((double)r.W * r.H), ms[0] / nfr, ms[1] / nfr, ms[2] / nfr,
		         ms[3] / nfr);
	}
out:
	if (started)
		anon_workers_stop(a);
	if (r.ofmt && r.ofmt->pb)
		avio_closep(&r.ofmt->pb);
	if (tmp[0])
		unlink(tmp);
	if (rtmp[0])
		unlink(rtmp);
	if (a->slot)
		for (int i = 0; i < a->nslot; i++) {
			av_frame_free(&a->slot[i].f);
			free(a->slot[i].motion);
		}
	free(a->slot);
	free(r.boxes);
	free(r.luma[0]);
	free(r.luma[1]);
	anon_hold_free(r.hold);
	json_decref(r.frames);
	av_packet_free(&r.opkt);
	avcodec_free_context(&r.enc);
	avformat_free_context(r.ofmt);
	avcodec_free_context(&r.dec);
	avformat_close_input(&r.ifmt);
	sws_freeContext(r.to_yuv);
	for (int i = 0; i < ANON_MAX_WORKERS; i++)
		anon_worker_release(&a->wk[i]);
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->done);
	pthread_mutex_destroy(&a->mu);
	return e;
}
