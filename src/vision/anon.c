/*
 * anon.c — anon_run: decode, analyse, hold, mask, encode (see anon.h).
 *
 * Data flow per frame: decode (strict: any decoder error aborts) -> convert
 * to YUV 4:2:0 at the output size and to RGB at the analysis size -> faces
 * and people -> boxes pushed into the hold buffer -> once the frame
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

#include "anon.h"
#include "facedet.h"
#include "log.h"
#include "persondet.h"
#include "vimage.h"

#define MAX_DIM 4096
#define MAX_DET 128
#define MAX_FRAME_BOXES (MAX_DET * 2 + ANON_MAX_MASKS)
#define MAX_WORKERS 8

void anon_opts_default(struct anon_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* Lower than the detector's balanced threshold: here a false
	 * positive costs a grey square, a miss costs a face. */
	o->face_score = 0.2f;
	o->face_sure = 0.6f;
	o->person_score = 0.2f;
	o->face_grow = 1.6f;
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

/* One analysis worker: its own detectors (they keep scratch state), the
 * frame it analyses and its result. */
struct worker {
	struct run *r;
	struct facedet *fd;
	struct persondet *pd;
	struct vimage *im;          /* analysis picture (RGB, aw x ah) */
	struct anon_box det[MAX_FRAME_BOXES];
	int ndet, ok;
};

struct run {
	const struct anon_opts *o;
	struct worker wk[MAX_WORKERS];
	int nwk, batch;             /* workers, frames waiting in this batch */
	/* input */
	AVFormatContext *ifmt;
	AVCodecContext *dec;
	int vsi;
	/* output */
	AVFormatContext *ofmt;
	AVCodecContext *enc;
	AVStream *ost;
	int W, H, fps;
	struct SwsContext *to_yuv, *to_rgb;
	int aw, ah;                 /* analysis size */
	/* look-ahead */
	struct anon_hold *hold;
	AVFrame **ring;             /* nring converted frames not yet emitted */
	int nring;
	long analysed, emitted;
	AVPacket *opkt;
	json_t *frames;             /* report: masked frames */
	long masked;
	struct anon_box *boxes;     /* emit() scratch: BOX_SCRATCH boxes */
};

#define BOX_SCRATCH ((2 * ANON_MAX_HOLD + 1) * MAX_FRAME_BOXES)

static void grow(struct anon_box *b, float gx, float gy_up, float gy_down, int W, int H)
{
	float w = (float)(b->x1 - b->x0), h = (float)(b->y1 - b->y0);
	float x0 = b->x0 - w * (gx - 1) / 2, x1 = b->x1 + w * (gx - 1) / 2;
	float y0 = b->y0 - h * gy_up, y1 = b->y1 + h * gy_down;

	b->x0 = (int)floorf(x0 < 0 ? 0 : x0);
	b->y0 = (int)floorf(y0 < 0 ? 0 : y0);
	b->x1 = (int)ceilf(x1 > W ? W : x1);
	b->y1 = (int)ceilf(y1 > H ? H : y1);
}

/* Faces and people of one frame, in output pixels (runs in a worker). */
static int analyse(struct worker *w)
{
	struct run *r = w->r;
	const struct anon_opts *o = r->o;
	struct vimage *im = w->im;
	struct nn_box faces[MAX_DET], people[MAX_DET];
	int nf = 0, np = 0, n = 0;
	float sx = (float)r->W / r->aw, sy = (float)r->H / r->ah;

	nf = facedet_run(w->fd, im, 1.0f, o->face_score, faces, MAX_DET);
	if (nf < 0)
		return -1;
	if (o->people != ANON_PEOPLE_NEVER) {
		float scale = r->aw > PERSONDET_NET_WIDTH ? (float)PERSONDET_NET_WIDTH / r->aw : 1.f;
		np = persondet_run(w->pd, im, scale, PERSONDET_PERSON, o->person_score, people, MAX_DET);
		if (np < 0)
			return -1;
	}
	for (int i = 0; i < nf; i++) {
		struct anon_box b = { (int)(faces[i].x0 * sx), (int)(faces[i].y0 * sy),
		                      (int)ceilf(faces[i].x1 * sx), (int)ceilf(faces[i].y1 * sy),
		                      ANON_FACE, faces[i].score, 0 };
		/* Wider, and more upwards (hair, forehead) than downwards. */
		grow(&b, o->face_grow, (o->face_grow - 1) * 0.75f, (o->face_grow - 1) * 0.5f, r->W, r->H);
		w->det[n++] = b;
	}
	for (int i = 0; i < np; i++) {
		int spare = 0;
		if (o->people == ANON_PEOPLE_UNCERTAIN) {
			/* A confident face in the top half: the face mask is enough. */
			float hy = people[i].y0 + (people[i].y1 - people[i].y0) / 2;
			for (int j = 0; j < nf && !spare; j++) {
				float cx = (faces[j].x0 + faces[j].x1) / 2, cy = (faces[j].y0 + faces[j].y1) / 2;
				spare = faces[j].score >= o->face_sure && cx > people[i].x0 &&
				        cx < people[i].x1 && cy > people[i].y0 && cy < hy;
			}
		}
		if (spare)
			continue;
		struct anon_box b = { (int)(people[i].x0 * sx), (int)(people[i].y0 * sy),
		                      (int)ceilf(people[i].x1 * sx), (int)ceilf(people[i].y1 * sy),
		                      ANON_PERSON, people[i].score, 0 };
		grow(&b, o->person_grow, (o->person_grow - 1) / 2, (o->person_grow - 1) / 2, r->W, r->H);
		w->det[n++] = b;
	}
	w->ndet = n;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->ok = analyse(w) == 0;
	/* Tensor buffers are cached per thread, and this thread ends here. */
	nn_cache_drain();
	return NULL;
}

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

/* Mask, encode and report the oldest buffered frame. */
static enum anon_err emit(struct run *r)
{
	struct anon_box *boxes = r->boxes;
	AVFrame *f = r->ring[r->emitted % r->nring];
	int n = anon_hold_boxes(r->hold, r->emitted, boxes, BOX_SCRATCH);
	json_t *jb = NULL;

	if (n < 0)
		return ANON_EANALYSE;
	if (av_frame_make_writable(f) < 0)
		return ANON_ENOMEM;
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
	r->emitted++;
	return ANON_OK;
}

/* Analyse the batch of frames (one per worker, in parallel), then push
 * the results in frame order and emit every frame that is ready. */
static enum anon_err flush_batch(struct run *r)
{
	pthread_t th[MAX_WORKERS];
	int started[MAX_WORKERS] = { 0 };
	enum anon_err e = ANON_OK;

	for (int i = 1; i < r->batch; i++)
		started[i] = pthread_create(&th[i], NULL, worker_main, &r->wk[i]) == 0;
	/* The first frame of the batch is analysed on this thread. */
	if (r->batch > 0)
		r->wk[0].ok = analyse(&r->wk[0]) == 0;
	for (int i = 1; i < r->batch; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			r->wk[i].ok = analyse(&r->wk[i]) == 0;     /* no thread: here */
	}
	for (int i = 0; i < r->batch && e == ANON_OK; i++) {
		if (!r->wk[i].ok || anon_hold_push(r->hold, r->wk[i].det, r->wk[i].ndet) != 0) {
			log_err("anon", "frame=%ld err=\"analysis failed\"", r->analysed);
			e = ANON_EANALYSE;
			break;
		}
		r->analysed++;
		if (r->analysed > r->o->hold_frames)
			e = emit(r);
	}
	r->batch = 0;
	return e;
}

/* A decoded frame: convert for output and for analysis; full batches are
 * analysed and what is ready is emitted. */
static enum anon_err take(struct run *r, const AVFrame *in)
{
	long fno = r->analysed + r->batch;
	AVFrame *slot = r->ring[fno % r->nring];
	struct vimage *im = r->wk[r->batch].im;
	uint8_t *dst[4] = { im->px, NULL, NULL, NULL };
	int dstride[4] = { im->stride, 0, 0, 0 };

	if (fno >= ANON_MAX_FRAMES)
		return ANON_EINPUT;
	/* Any sign of damage fails the run: a half-decoded frame may hide a
	 * face the detector then cannot see. */
	if (in->decode_error_flags || (in->flags & AV_FRAME_FLAG_CORRUPT) ||
	    in->width != r->dec->width || in->height != r->dec->height)
		return ANON_EINPUT;
	slot->format = AV_PIX_FMT_YUV420P;
	slot->width = r->W;
	slot->height = r->H;
	if (av_frame_get_buffer(slot, 0) < 0)
		return ANON_ENOMEM;
	if (sws_scale(r->to_yuv, (const uint8_t *const *)in->data, in->linesize, 0, in->height,
	              slot->data, slot->linesize) != r->H ||
	    sws_scale(r->to_rgb, (const uint8_t *const *)in->data, in->linesize, 0, in->height,
	              dst, dstride) != r->ah)
		return ANON_EANALYSE;
	if (++r->batch == r->nwk)
		return flush_batch(r);
	return ANON_OK;
}

static enum anon_err open_input(struct run *r, const char *in)
{
	const AVCodec *codec;
	AVStream *st;

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
	r->aw = r->o->analysis_width > 0 && r->o->analysis_width < r->W ? r->o->analysis_width : r->W;
	r->ah = (int)lrint((double)r->H * r->aw / r->W);
	if (r->ah < 16)
		return ANON_EINPUT;
	r->to_yuv = sws_getContext(r->dec->width, r->dec->height, r->dec->pix_fmt, r->W, r->H,
	                           AV_PIX_FMT_YUV420P, SWS_BILINEAR, NULL, NULL, NULL);
	r->to_rgb = sws_getContext(r->dec->width, r->dec->height, r->dec->pix_fmt, r->aw, r->ah,
	                           AV_PIX_FMT_RGB24, SWS_AREA, NULL, NULL, NULL);
	return r->to_yuv && r->to_rgb ? ANON_OK : ANON_EINPUT;
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
	/* End of input: analyse the last batch; the last frames get what
	 * look-ahead there is. */
	if (e == ANON_OK)
		e = flush_batch(r);
	while (e == ANON_OK && r->emitted < r->analysed)
		e = emit(r);
	if (e == ANON_OK && r->analysed == 0)
		e = ANON_EINPUT;
	if (e == ANON_OK && (encode(r, NULL) != 0 || av_write_trailer(r->ofmt) < 0))
		e = ANON_EENCODE;
out:
	if (e != ANON_OK)
		log_err("anon", "frame=%ld err=\"%s\"", r->analysed, anon_strerror(e));
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

enum anon_err anon_run(const struct anon_opts *o, const char *in, const char *out,
                       const char *report_path)
{
	struct run r;
	enum anon_err e;
	char tmp[4096] = "", rtmp[4096] = "";

	memset(&r, 0, sizeof(r));
	r.o = o;
	if (o == NULL || in == NULL || out == NULL || o->hold_frames < 0 ||
	    o->hold_frames > ANON_MAX_HOLD || o->nmasks < 0 || o->nmasks > ANON_MAX_MASKS ||
	    o->crf < 0 || o->crf > 51 || o->face_grow < 1 || o->person_grow < 1)
		return ANON_EINVAL;
	for (int i = 0; i < o->nmasks; i++)
		if (o->masks[i].n < 3 || o->masks[i].n > ANON_MAX_POLY)
			return ANON_EINVAL;
	if (sodium_init() < 0)
		return ANON_ENOMEM;

	/* Models first: without them there is nothing to decide with. One
	 * pair of detectors per worker; a worker per core (at most 8). */
	r.nwk = (int)sysconf(_SC_NPROCESSORS_ONLN);
	r.nwk = o->threads > 0 ? o->threads : r.nwk;
	r.nwk = r.nwk < 1 ? 1 : r.nwk > MAX_WORKERS ? MAX_WORKERS : r.nwk;
	for (int i = 0; i < r.nwk; i++) {
		r.wk[i].r = &r;
		r.wk[i].fd = facedet_new(FACEDET_BLAZE, o->node_modules);
		r.wk[i].pd = persondet_new(o->node_modules);
		if (r.wk[i].fd == NULL || r.wk[i].pd == NULL) {
			e = ANON_EMODEL;
			goto out;
		}
	}
	if ((e = open_input(&r, in)) != ANON_OK)
		goto out;
	r.hold = anon_hold_new(o->hold_frames);
	/* Frames wait for hold_frames of look-ahead plus one batch. */
	r.nring = o->hold_frames + r.nwk + 1;
	r.ring = calloc(r.nring, sizeof(*r.ring));
	for (int i = 0; i < r.nwk; i++)
		if ((r.wk[i].im = vimage_new(r.aw, r.ah)) == NULL) {
			e = ANON_ENOMEM;
			goto out;
		}
	r.frames = json_array();
	r.boxes = malloc(BOX_SCRATCH * sizeof(*r.boxes));
	if (r.hold == NULL || r.ring == NULL || r.frames == NULL || r.boxes == NULL) {
		e = ANON_ENOMEM;
		goto out;
	}
	for (int i = 0; i < r.nring; i++)
		if ((r.ring[i] = av_frame_alloc()) == NULL) {
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
	if ((e = run_frames(&r)) != ANON_OK)
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
	log_info("anon", "frames=%ld masked=%ld out=%s", r.emitted, r.masked, out);
out:
	if (r.ofmt && r.ofmt->pb)
		avio_closep(&r.ofmt->pb);
	if (tmp[0])
		unlink(tmp);
	if (rtmp[0])
		unlink(rtmp);
	if (r.ring)
		for (int i = 0; i < r.nring; i++)
			av_frame_free(&r.ring[i]);
	free(r.ring);
	free(r.boxes);
	anon_hold_free(r.hold);
	json_decref(r.frames);
	av_packet_free(&r.opkt);
	avcodec_free_context(&r.enc);
	avformat_free_context(r.ofmt);
	avcodec_free_context(&r.dec);
	avformat_close_input(&r.ifmt);
	sws_freeContext(r.to_yuv);
	sws_freeContext(r.to_rgb);
	for (int i = 0; i < MAX_WORKERS; i++) {
		facedet_free(r.wk[i].fd);
		persondet_free(r.wk[i].pd);
		vimage_free(r.wk[i].im);
	}
	return e;
}
