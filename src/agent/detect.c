#include "detect.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/pixdesc.h>

#include "backoff.h"
#include "camera.h"
#include "camera_int.h"
#include "detconf.h"
#include "events.h"
#include "label.h"
#include "log.h"
#include "motion.h"
#include "source.h"

#define DETECT_TMAP 128		/* packet times remembered for frames */

/* What the recorder hands over (main-stream path). */
struct qitem {
	int type;		/* Q_BEGIN, Q_PKT, Q_END */
	AVPacket *pkt;
	int64_t wall_ms;
	AVCodecParameters *par;
	AVRational tb;
};
enum { Q_BEGIN = 1, Q_PKT, Q_END };

static void q_clear(struct detect *d);
static int q_push(struct detect *d, const struct qitem *it);

/* One decoder with its motion detector. */
struct dsess {
	AVCodecContext *dec;
	struct motion *m;
	int w, h;
	struct { int64_t pts, wall; } tmap[DETECT_TMAP];
	unsigned tn;
	int64_t last_wall;
	AVFrame *fr;
};

struct detect {
	struct camera *c;
	struct events *ev;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int reload;			/* under mu */
	int wants_main;			/* under mu */
	int idle;			/* nothing to analyse now (under mu) */
	int64_t analysed_ms;		/* latest frame analysed (under mu) */
	struct qitem q[DETECT_QUEUE_MAX];
	size_t qhead, qn;
	int skip_to_key;		/* queue overflowed: drop to a keyframe */
	AVCodecParameters *run_par;	/* the recorder's current run (or NULL) */
	AVRational run_tb;
	uint64_t dropped;

	/* Detect thread only. */
	struct detconf cfg;
	struct label *label;
	int label_failed;
	int64_t next_label_ms, next_label_mono;
	uint64_t frames;
};

static int
stopping(struct detect *d)
{
	return atomic_load(d->c->stop);
}

/* Load detect.json and apply the command line's overrides. */
static void
load_config(struct detect *d)
{
	struct camera_conf *cc = &d->c->conf;
	char err[256];

	if (detconf_load(cc->dir, &d->cfg, err, sizeof(err)) != 0) {
		log_err("detect", "camera=%s msg=\"bad detection settings; using "
		    "the defaults\" err=\"%s\"", cc->id_hex, err);
		detconf_default(&d->cfg);
	}
	if (cc->record_override > 0)
		d->cfg.record = cc->record_override;
	if (cc->detect_source_set)
		snprintf(d->cfg.detect_source, sizeof(d->cfg.detect_source), "%s",
		    cc->detect_source);
	events_configure(d->ev, &d->cfg);
	log_info("detect", "camera=%s msg=configured record=%s detect=%s "
	    "notify=%s labels_per_second=%g sensitivity=%d masks=%d zones=%d "
	    "decode=%s", cc->id_hex, detconf_record_name(d->cfg.record),
	    d->cfg.detect_source[0] ? "substream" : "main stream",
	    detconf_notify_name(d->cfg.notify), d->cfg.labels_per_s,
	    d->cfg.motion.sensitivity, d->cfg.motion.nmasks, d->cfg.motion.nzones,
	    d->cfg.decode_full ? "full" : "fast");
}

/* --- decoding and analysis ------------------------------------------------------- */

static void
sess_close(struct dsess *s)
{
	avcodec_free_context(&s->dec);
	motion_free(s->m);
	av_frame_free(&s->fr);
	memset(s, 0, sizeof(*s));
}

static int
sess_open(struct detect *d, struct dsess *s, const AVCodecParameters *par)
{
	const AVCodec *codec = avcodec_find_decoder(par->codec_id);

	sess_close(s);
	if (codec == NULL || (s->dec = avcodec_alloc_context3(codec)) == NULL ||
	    avcodec_parameters_to_context(s->dec, par) < 0 ||
	    (s->fr = av_frame_alloc()) == NULL)
		goto fail;
	/* One thread per camera; frame threads would add a frame of delay
	 * each and cost more CPU in total. */
	s->dec->thread_count = 1;
	if (!d->cfg.decode_full) {
		/* Motion works on a 2-6x box-downscaled plane: the deblocking
		 * filter's smoothing is not worth its ~third of decode time. */
		s->dec->skip_loop_filter = AVDISCARD_ALL;
		s->dec->flags2 |= AV_CODEC_FLAG2_FAST;
	}
	if (avcodec_open2(s->dec, codec, NULL) < 0)
		goto fail;
	return 0;
fail:
	log_err("detect", "camera=%s msg=\"cannot decode the detection stream\" "
	    "codec=%s", d->c->conf.id_hex, avcodec_get_name(par->codec_id));
	sess_close(s);
	return -1;
}

static int64_t
frame_wall(struct dsess *s, int64_t pts)
{
	int64_t w = -1;

	for (unsigned i = 0; i < DETECT_TMAP && i < s->tn; i++)
		if (s->tmap[(s->tn - 1 - i) % DETECT_TMAP].pts == pts) {
			w = s->tmap[(s->tn - 1 - i) % DETECT_TMAP].wall;
			break;
		}
	if (w < 0)
		w = s->last_wall + 1;
	/* motion_feed wants non-decreasing times. */
	if (w < s->last_wall)
		w = s->last_wall;
	s->last_wall = w;
	return w;
}

static void
analyse(struct detect *d, struct dsess *s, const AVFrame *f)
{
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
	struct events_obj objs[EVENTS_MAX_OBJS];
	struct motion_result r;
	int64_t t = frame_wall(s, f->best_effort_timestamp);
	int nobjs = 0;

	if (desc == NULL || (desc->flags & AV_PIX_FMT_FLAG_RGB))
		return;
	if (s->m == NULL || s->w != f->width || s->h != f->height) {
		motion_free(s->m);
		s->w = f->width;
		s->h = f->height;
		if ((s->m = motion_new(&d->cfg.motion, f->width, f->height)) == NULL)
			return;
	}
	if (motion_feed(s->m, f->data[0], f->linesize[0], t, &r) != 0)
		return;
	d->frames++;
	/* Labels: only while an event is open, at most labels_per_second on
	 * the stream's clock and on the real one (tests run files fast). */
	if (d->cfg.labels_per_s > 0 && !d->label_failed &&
	    (r.flags & (MOTION_EVENT_START | MOTION_EVENT_ACTIVE)) &&
	    (r.flags & MOTION_MOTION) && t >= d->next_label_ms &&
	    camera_now_ms() >= d->next_label_mono) {
		int64_t gap = (int64_t)(1000.0 / d->cfg.labels_per_s);

		if (d->label == NULL &&
		    (d->label = label_new(getenv("SEALCAM_NODE_MODULES"))) == NULL) {
			log_warn("detect", "camera=%s msg=\"person detector not "
			    "available: events carry no labels\"", d->c->conf.id_hex);
			d->label_failed = 1;
		} else {
			nobjs = label_run(d->label, f, &r,
			    (float)d->cfg.label_min_score, objs, EVENTS_MAX_OBJS);
			if (nobjs < 0)
				nobjs = 0;
			d->next_label_ms = t + gap;
			d->next_label_mono = camera_now_ms() + gap;
		}
	}
	events_frame(d->ev, &r, objs, nobjs, f, f->width, f->height);
	pthread_mutex_lock(&d->mu);
	d->analysed_ms = t;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Decode one packet (NULL: drain) and analyse what comes out. */
static int
decode(struct detect *d, struct dsess *s, const AVPacket *pkt, int64_t wall)
{
	int r;

	if (s->dec == NULL)
		return -1;
	if (pkt != NULL) {
		s->tmap[s->tn++ % DETECT_TMAP].pts = pkt->pts != AV_NOPTS_VALUE ?
		    pkt->pts : pkt->dts;
		s->tmap[(s->tn - 1) % DETECT_TMAP].wall = wall;
	}
	r = avcodec_send_packet(s->dec, pkt);
	if (r < 0 && r != AVERROR(EAGAIN) && r != AVERROR_EOF)
		return 0;	/* a damaged packet: skip it */
	while ((r = avcodec_receive_frame(s->dec, s->fr)) == 0) {
		analyse(d, s, s->fr);
		av_frame_unref(s->fr);
	}
	return 0;
}

/* End of the input: close an open event at its last motion. */
static void
finish(struct detect *d, struct dsess *s)
{
	struct motion_result r;

	if (s->dec != NULL)
		decode(d, s, NULL, 0);
	if (s->m != NULL && motion_finish(s->m, &r) == 1)
		events_frame(d->ev, &r, NULL, 0, NULL, 0, 0);
	sess_close(s);
}

static int
reload_asked(struct detect *d)
{
	int r;

	pthread_mutex_lock(&d->mu);
	r = d->reload;
	pthread_mutex_unlock(&d->mu);
	return r;
}

static void
set_idle(struct detect *d, int idle)
{
	pthread_mutex_lock(&d->mu);
	d->idle = idle;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Wait for a reload or stop (up to ms). */
static void
doze(struct detect *d, int ms)
{
	int64_t end = camera_now_ms() + ms;
	struct timespec dl;

	pthread_mutex_lock(&d->mu);
	while (!d->reload && !stopping(d) && camera_now_ms() < end) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 100 * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->cv, &d->mu, &dl);
	}
	pthread_mutex_unlock(&d->mu);
}

/* The substream: its own source, until it ends, breaks, or a reload. */
static void
run_substream(struct detect *d, struct backoff *bo)
{
	struct source_opts so = { .loop = d->c->conf.loop,
	    .speed = d->c->conf.speed, .stop = d->c->stop,
	    .clock = &d->c->clock };
	struct dsess s = { 0 };
	const AVCodecParameters *par;
	struct source *src;
	AVRational tb;
	AVPacket *pkt = av_packet_alloc();
	int64_t wall;
	int r = SOURCE_ERR, stream;

	if (pkt == NULL)
		return;
	if ((src = source_open(d->cfg.detect_source, &so)) == NULL) {
		av_packet_free(&pkt);
		set_idle(d, 1);
		doze(d, (int)backoff_next(bo));
		return;
	}
	par = source_video(src, &tb);
	if (sess_open(d, &s, par) == 0) {
		events_detector_state(d->ev, 1);
		set_idle(d, 0);
		while (!reload_asked(d) &&
		    (r = source_read(src, pkt, &stream, &wall)) == SOURCE_OK) {
			if (stream == 0)
				decode(d, &s, pkt, wall);
			av_packet_unref(pkt);
			backoff_reset(bo);
		}
	}
	finish(d, &s);
	events_detector_state(d->ev, 0);
	set_idle(d, 1);
	source_free(src);
	av_packet_free(&pkt);
	if (r == SOURCE_EOF) {
		/* A file that ended does not come back: wait for a reload. */
		while (!stopping(d) && !reload_asked(d))
			doze(d, 1000);
	} else if (r == SOURCE_ERR && !stopping(d)) {
		log_warn("detect", "camera=%s msg=\"detection stream broke; "
		    "reconnecting\"", d->c->conf.id_hex);
		doze(d, (int)backoff_next(bo));
	}
}

/* The main stream's packets from the recorder, until a reload. */
static void
run_main(struct detect *d)
{
	struct dsess s = { 0 };
	struct qitem it;
	struct timespec dl;

	pthread_mutex_lock(&d->mu);
	d->wants_main = 1;
	/* Joining a recording run already going: start at its next keyframe. */
	if (d->run_par != NULL) {
		struct qitem it = { .type = Q_BEGIN, .tb = d->run_tb };

		if ((it.par = avcodec_parameters_alloc()) != NULL &&
		    avcodec_parameters_copy(it.par, d->run_par) >= 0) {
			q_clear(d);
			d->skip_to_key = 1;
			(void)q_push(d, &it);
		} else {
			avcodec_parameters_free(&it.par);
		}
	}
	pthread_mutex_unlock(&d->mu);
	for (;;) {
		pthread_mutex_lock(&d->mu);
		while (d->qn == 0 && !d->reload && !stopping(d)) {
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += 1;
			pthread_cond_timedwait(&d->cv, &d->mu, &dl);
		}
		if (d->qn == 0) {	/* reload or stop */
			d->wants_main = 0;
			pthread_mutex_unlock(&d->mu);
			break;
		}
		it = d->q[d->qhead];
		d->qhead = (d->qhead + 1) % DETECT_QUEUE_MAX;
		d->qn--;
		pthread_mutex_unlock(&d->mu);
		switch (it.type) {
		case Q_BEGIN:
			if (sess_open(d, &s, it.par) == 0) {
				events_detector_state(d->ev, 1);
				set_idle(d, 0);
			}
			avcodec_parameters_free(&it.par);
			break;
		case Q_PKT:
			decode(d, &s, it.pkt, it.wall_ms);
			av_packet_free(&it.pkt);
			break;
		case Q_END:
			finish(d, &s);
			events_detector_state(d->ev, 0);
			set_idle(d, 1);
			break;
		}
	}
	finish(d, &s);
	events_detector_state(d->ev, 0);
	set_idle(d, 1);
}

static void *
detect_main(void *cookie)
{
	struct detect *d = cookie;
	struct backoff bo;

	backoff_init(&bo, 1000, BACKOFF_CAP_MS);
	/* Like the recorder, start when there is someone to seal to. */
	for (;;) {
		int ready;

		pthread_mutex_lock(&d->c->mu);
		ready = d->c->rcpt.epoch != 0;
		pthread_mutex_unlock(&d->c->mu);
		if (ready || stopping(d))
			break;
		doze(d, 200);
	}
	while (!stopping(d)) {
		pthread_mutex_lock(&d->mu);
		d->reload = 0;
		pthread_mutex_unlock(&d->mu);
		load_config(d);
		if (d->cfg.record == DETCONF_CONTINUOUS) {
			/* No motion detection: rings only. */
			events_detector_state(d->ev, 0);
			set_idle(d, 1);
			while (!stopping(d) && !reload_asked(d))
				doze(d, 1000);
		} else if (d->cfg.detect_source[0] != '\0') {
			run_substream(d, &bo);
		} else {
			run_main(d);
		}
	}
	log_info("detect", "camera=%s msg=stopped frames=%llu dropped_packets=%llu",
	    d->c->conf.id_hex, (unsigned long long)d->frames,
	    (unsigned long long)d->dropped);
	return NULL;
}

struct detect *
detect_start(struct camera *c, struct events *ev)
{
	struct detect *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->c = c;
	d->ev = ev;
	d->idle = 1;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	detconf_default(&d->cfg);
	if (pthread_create(&d->thread, NULL, detect_main, d) != 0) {
		detect_stop(d);
		return NULL;
	}
	d->started = 1;
	return d;
}

static void
q_clear(struct detect *d)
{
	while (d->qn > 0) {
		struct qitem *it = &d->q[d->qhead];

		av_packet_free(&it->pkt);
		avcodec_parameters_free(&it->par);
		d->qhead = (d->qhead + 1) % DETECT_QUEUE_MAX;
		d->qn--;
	}
}

void
detect_stop(struct detect *d)
{
	if (d == NULL)
		return;
	pthread_mutex_lock(&d->mu);
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	if (d->started)
		pthread_join(d->thread, NULL);
	q_clear(d);
	avcodec_parameters_free(&d->run_par);
	label_free(d->label);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}

void
detect_reload(struct detect *d)
{
	pthread_mutex_lock(&d->mu);
	d->reload = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Queue an item (lock held); 0, or -1 if full. */
static int
q_push(struct detect *d, const struct qitem *it)
{
	if (d->qn == DETECT_QUEUE_MAX)
		return -1;
	d->q[(d->qhead + d->qn) % DETECT_QUEUE_MAX] = *it;
	d->qn++;
	pthread_cond_broadcast(&d->cv);
	return 0;
}

void
detect_main_begin(struct detect *d, const AVCodecParameters *par,
    AVRational tb)
{
	struct qitem it = { .type = Q_BEGIN, .tb = tb };

	pthread_mutex_lock(&d->mu);
	/* Remembered, so detection can join this run later (it starts or is
	 * reconfigured to the main stream while the recorder runs). */
	if (d->run_par == NULL)
		d->run_par = avcodec_parameters_alloc();
	if (d->run_par != NULL && avcodec_parameters_copy(d->run_par, par) < 0)
		avcodec_parameters_free(&d->run_par);
	d->run_tb = tb;
	if (d->wants_main && (it.par = avcodec_parameters_alloc()) != NULL &&
	    avcodec_parameters_copy(it.par, par) >= 0) {
		/* A run starts with a keyframe; older packets are useless. */
		q_clear(d);
		d->skip_to_key = 1;
		(void)q_push(d, &it);
		d->idle = 0;
	} else {
		avcodec_parameters_free(&it.par);
	}
	pthread_mutex_unlock(&d->mu);
}

void
detect_main_packet(struct detect *d, const AVPacket *pkt, int64_t wall_ms)
{
	struct qitem it = { .type = Q_PKT, .wall_ms = wall_ms };
	int key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;

	pthread_mutex_lock(&d->mu);
	if (!d->wants_main || (d->skip_to_key && !key) ||
	    d->qn >= DETECT_QUEUE_MAX - 1) {
		/* Behind: drop up to the next keyframe (the decoder restarts
		 * cleanly there) rather than hold the recorder. */
		if (d->wants_main && d->qn >= DETECT_QUEUE_MAX - 1) {
			d->skip_to_key = 1;
			d->dropped++;
		}
		pthread_mutex_unlock(&d->mu);
		return;
	}
	d->skip_to_key = 0;
	if ((it.pkt = av_packet_clone(pkt)) != NULL && q_push(d, &it) != 0)
		av_packet_free(&it.pkt);
	pthread_mutex_unlock(&d->mu);
}

void
detect_main_end(struct detect *d)
{
	struct qitem it = { .type = Q_END };

	pthread_mutex_lock(&d->mu);
	avcodec_parameters_free(&d->run_par);
	if (d->wants_main && q_push(d, &it) != 0) {
		/* Full: make room for the end marker. */
		struct qitem *last = &d->q[(d->qhead + d->qn - 1) % DETECT_QUEUE_MAX];

		av_packet_free(&last->pkt);
		avcodec_parameters_free(&last->par);
		*last = it;
	}
	pthread_mutex_unlock(&d->mu);
}

void
detect_sync(struct detect *d, int64_t t_ms, int timeout_ms)
{
	int64_t end = camera_now_ms() + timeout_ms;
	struct timespec dl;

	pthread_mutex_lock(&d->mu);
	while (!stopping(d) && camera_now_ms() < end && d->analysed_ms < t_ms &&
	    !(d->idle && d->qn == 0)) {
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_nsec += 50 * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->cv, &d->mu, &dl);
	}
	pthread_mutex_unlock(&d->mu);
}
