#include "events.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "camera.h"
#include "camera_int.h"
#include "evwork.h"
#include "log.h"
#include "seg.h"

#define EVENTS_TRACK_MAX 32		/* events remembered (open, ending, recent) */
#define EVENTS_CLOCK_SLACK_MS 200	/* detect vs main stream clocks */

static const char *const label_names[EVENTS_NLABELS] = { "person", "car", "animal" };

/* One event being tracked. */
struct ev {
	int used;
	uint32_t local;			/* evwork's key for this event */
	struct evrec rec;		/* everything known so far */
	int open;			/* motion still going on */
	int ended;			/* end known: clip_end set */
	int finalised;			/* end record queued */
	int64_t last_motion_ms;
	unsigned labels_seen;		/* bit per enum events_label */
	int notified;			/* a notification was asked for */
};

struct events {
	struct camera *c;
	struct evwork *w;
	pthread_mutex_t mu;

	/* Settings (events_configure). */
	int record, notify;
	int pre_roll_ms, post_roll_ms, ring_post_ms, start_frames;
	int nzones;
	char zones[MOTION_MAX_ZONES][MOTION_NAME_MAX];

	/* Clocks. */
	int detecting;
	int64_t watermark_ms;		/* latest analysed frame */
	int64_t det_dt_ms;		/* its frame interval */
	int64_t det_progress_mono;	/* monotonic ms the watermark last moved */
	int64_t rec_now_ms;		/* latest recorded packet */
	int64_t rec_decided_ms;		/* end of the latest decided segment */
	int rec_done;

	/* Thumbnail sources for rings. */
	AVFrame *last_frame;
	int last_w, last_h;
	AVPacket *key;
	AVCodecParameters *par;

	struct ev ev[EVENTS_TRACK_MAX];
	uint32_t next_local;
	int open_idx;			/* -1: no motion event open */
};

const char *
events_label_name(int label)
{
	return label >= 0 && label < EVENTS_NLABELS ? label_names[label] : "?";
}

static int64_t
wall_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct events *
events_new(struct camera *c, const char *token)
{
	struct events *e = calloc(1, sizeof(*e));
	struct detconf d;

	if (e == NULL)
		return NULL;
	e->c = c;
	e->open_idx = -1;
	e->det_dt_ms = 200;
	pthread_mutex_init(&e->mu, NULL);
	detconf_default(&d);
	events_configure(e, &d);
	if ((e->w = evwork_start(c, token)) == NULL) {
		events_free(e, 0);
		return NULL;
	}
	return e;
}

void
events_free(struct events *e, int64_t deadline_ms)
{
	if (e == NULL)
		return;
	evwork_stop(e->w, deadline_ms);
	av_frame_free(&e->last_frame);
	av_packet_free(&e->key);
	avcodec_parameters_free(&e->par);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

void
events_configure(struct events *e, const struct detconf *d)
{
	pthread_mutex_lock(&e->mu);
	e->record = d->record;
	e->notify = d->notify;
	e->pre_roll_ms = d->motion.pre_roll_ms;
	e->post_roll_ms = d->motion.post_roll_ms;
	e->start_frames = d->motion.start_frames;
	e->ring_post_ms = d->ring_post_s * 1000;
	e->nzones = d->motion.nzones;
	for (int i = 0; i < d->motion.nzones; i++)
		memcpy(e->zones[i], d->motion.zones[i].name, MOTION_NAME_MAX);
	pthread_mutex_unlock(&e->mu);
}

int
events_record_mode(struct events *e)
{
	int m;

	pthread_mutex_lock(&e->mu);
	m = e->record;
	pthread_mutex_unlock(&e->mu);
	return m;
}

void
events_detector_state(struct events *e, int running)
{
	pthread_mutex_lock(&e->mu);
	e->detecting = running;
	e->det_progress_mono = camera_now_ms();
	pthread_mutex_unlock(&e->mu);
}

/* --- records ------------------------------------------------------------------ */

static float
clamp01(float v)
{
	return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* Boxes of this frame: recognised objects first, then moving regions. */
static void
set_boxes(struct evrec *rec, const struct motion_result *r,
    const struct events_obj *objs, int nobjs, int fw, int fh)
{
	rec->nboxes = 0;
	for (int i = 0; i < nobjs && rec->nboxes < EVREC_MAX_BOXES; i++) {
		struct evrec_box *b = &rec->boxes[rec->nboxes++];

		b->x = clamp01(objs[i].x);
		b->y = clamp01(objs[i].y);
		b->w = clamp01(objs[i].w);
		b->h = clamp01(objs[i].h);
		snprintf(b->label, sizeof(b->label), "%s",
		    events_label_name(objs[i].label));
		b->score = clamp01(objs[i].score);
	}
	for (int i = 0; r != NULL && fw > 0 && fh > 0 && i < r->nboxes &&
	    rec->nboxes < EVREC_MAX_BOXES; i++) {
		struct evrec_box *b;

		if (!r->box[i].moving)
			continue;
		b = &rec->boxes[rec->nboxes++];
		memset(b, 0, sizeof(*b));
		b->x = clamp01((float)r->box[i].x / fw);
		b->y = clamp01((float)r->box[i].y / fh);
		b->w = clamp01((float)r->box[i].w / fw);
		b->h = clamp01((float)r->box[i].h / fh);
	}
}

/* Add objs' labels to ev; returns the bits of labels new to the event. */
static unsigned
add_labels(struct ev *ev, const struct events_obj *objs, int nobjs)
{
	unsigned fresh = 0;

	for (int i = 0; i < nobjs; i++) {
		int l = objs[i].label, k;

		if (l < 0 || l >= EVENTS_NLABELS)
			continue;
		for (k = 0; k < ev->rec.nlabels && strcmp(ev->rec.labels[k].label,
		    label_names[l]) != 0; k++)
			;
		if (k == ev->rec.nlabels) {
			if (k == EVREC_MAX_LABELS)
				continue;
			snprintf(ev->rec.labels[k].label, EVREC_NAME_MAX, "%s",
			    label_names[l]);
			ev->rec.labels[k].score = 0;
			ev->rec.nlabels++;
		}
		if (objs[i].score > ev->rec.labels[k].score)
			ev->rec.labels[k].score = clamp01(objs[i].score);
		if (!(ev->labels_seen & (1u << l)))
			fresh |= 1u << l;
		ev->labels_seen |= 1u << l;
	}
	return fresh;
}

/* Should this record notify? (lock held) */
static int
want_notify(struct events *e, struct ev *ev)
{
	if (ev->notified)
		return 0;
	if (ev->rec.kind == EVREC_RING || e->notify == DETCONF_NOTIFY_ALL ||
	    (e->notify == DETCONF_NOTIFY_PERSON &&
	    (ev->labels_seen & (1u << EVENTS_PERSON))))
		return ev->notified = 1;
	return 0;
}

/*
 * Queue a record of ev in state `state` (lock held). frame (referenced) or
 * the recorder's last keyframe make its thumbnail; waiter: see evwork.h.
 */
static void
queue_record(struct events *e, struct ev *ev, int state, const AVFrame *frame,
    int use_key, struct evwork_waiter *waiter)
{
	struct evwork_job *j = calloc(1, sizeof(*j));

	if (j == NULL) {
		log_err("event", "camera=%s msg=\"out of memory; record dropped\"",
		    e->c->conf.id_hex);
		evwork_waiter_cancel(e->w, waiter);
		return;
	}
	j->local = ev->local;
	j->rec = ev->rec;
	j->rec.state = state;
	if (state != EVREC_END) {
		j->rec.end_ms = -1;
		j->rec.clip_end_ms = -1;
	}
	j->notify = want_notify(e, ev);
	j->header_now_ms = e->watermark_ms > e->rec_now_ms ? e->watermark_ms :
	    e->rec_now_ms;
	if (frame != NULL)
		j->frame = av_frame_clone(frame);
	else if (use_key && e->key != NULL && e->par != NULL) {
		j->key = av_packet_clone(e->key);
		if ((j->par = avcodec_parameters_alloc()) != NULL)
			avcodec_parameters_copy(j->par, e->par);
	}
	j->waiter = waiter;
	(void)evwork_push(e->w, j);
}

static struct ev *
ev_new(struct events *e)
{
	int best = -1;

	for (int i = 0; i < EVENTS_TRACK_MAX; i++) {
		if (!e->ev[i].used) {
			best = i;
			break;
		}
		/* Reuse the oldest finished event. */
		if (e->ev[i].finalised && (best < 0 ||
		    e->ev[i].local < e->ev[best].local))
			best = i;
	}
	if (best < 0) {
		log_warn("event", "camera=%s msg=\"too many events at once\"",
		    e->c->conf.id_hex);
		return NULL;
	}
	memset(&e->ev[best], 0, sizeof(e->ev[best]));
	e->ev[best].used = 1;
	e->ev[best].local = ++e->next_local;
	evrec_init(&e->ev[best].rec);
	return &e->ev[best];
}

/* End record once every segment up to clip_end was decided (lock held). */
static void
try_finalise(struct events *e, struct ev *ev)
{
	if (!ev->used || !ev->ended || ev->finalised)
		return;
	if (!e->rec_done && e->rec_decided_ms < ev->rec.clip_end_ms)
		return;
	ev->finalised = 1;
	queue_record(e, ev, EVREC_END, NULL, 0, NULL);
}

/* --- the detector -------------------------------------------------------------- */

void
events_frame(struct events *e, const struct motion_result *r,
    const struct events_obj *objs, int nobjs, const AVFrame *frame,
    int fw, int fh)
{
	struct ev *ev = NULL;
	unsigned fresh = 0;

	pthread_mutex_lock(&e->mu);
	if (r->pts_ms > e->watermark_ms) {
		int64_t dt = e->watermark_ms > 0 ? r->pts_ms - e->watermark_ms : 200;

		e->det_dt_ms = dt < 10 ? 10 : dt > 1000 ? 1000 : dt;
		e->watermark_ms = r->pts_ms;
		e->det_progress_mono = camera_now_ms();
	}
	if (frame != NULL) {
		if (e->last_frame == NULL)
			e->last_frame = av_frame_alloc();
		if (e->last_frame != NULL) {
			av_frame_unref(e->last_frame);
			if (av_frame_ref(e->last_frame, frame) < 0)
				av_frame_free(&e->last_frame);
		}
	}
	if ((r->flags & MOTION_EVENT_START) && (ev = ev_new(e)) != NULL) {
		ev->open = 1;
		ev->rec.kind = EVREC_MOTION;
		ev->rec.start_ms = r->event_start_ms;
		ev->rec.clip_start_ms = r->clip_start_ms < 0 ? 0 : r->clip_start_ms;
		ev->rec.thumb_ms = r->pts_ms;
		e->open_idx = (int)(ev - e->ev);
	}
	if (e->open_idx >= 0 && (r->flags & (MOTION_EVENT_ACTIVE |
	    MOTION_EVENT_END))) {
		ev = &e->ev[e->open_idx];
		ev->rec.score = clamp01(r->event_score);
		ev->rec.frames = r->event_frames > 0 ? (uint32_t)r->event_frames : 0;
		ev->rec.nzones = 0;
		for (int i = 0; i < e->nzones; i++)
			if (r->event_zones & (1u << i))
				memcpy(ev->rec.zones[ev->rec.nzones++], e->zones[i],
				    EVREC_NAME_MAX < MOTION_NAME_MAX ? EVREC_NAME_MAX :
				    MOTION_NAME_MAX);
		if (r->flags & MOTION_MOTION)
			ev->last_motion_ms = r->pts_ms;
		else if (ev->last_motion_ms == 0)
			ev->last_motion_ms = r->event_start_ms;
		fresh = add_labels(ev, objs, nobjs);
		if (r->flags & MOTION_EVENT_START) {
			ev->rec.thumb_ms = r->pts_ms;
			set_boxes(&ev->rec, r, objs, nobjs, fw, fh);
			queue_record(e, ev, EVREC_START, frame, 0, NULL);
		} else if (fresh != 0) {
			/* A new kind of object: a record with that frame. */
			ev->rec.thumb_ms = r->pts_ms;
			set_boxes(&ev->rec, r, objs, nobjs, fw, fh);
			queue_record(e, ev, EVREC_UPDATE, frame, 0, NULL);
		}
		if (r->flags & MOTION_EVENT_END) {
			ev->open = 0;
			ev->ended = 1;
			ev->rec.end_ms = r->event_end_ms;
			ev->rec.clip_end_ms = r->clip_end_ms;
			ev->last_motion_ms = r->event_end_ms;
			e->open_idx = -1;
			try_finalise(e, ev);
		}
	}
	pthread_mutex_unlock(&e->mu);
}

int
events_active(struct events *e)
{
	int a;

	pthread_mutex_lock(&e->mu);
	a = e->open_idx >= 0;
	pthread_mutex_unlock(&e->mu);
	return a;
}

void
events_close(struct events *e)
{
	pthread_mutex_lock(&e->mu);
	if (e->open_idx >= 0) {
		struct ev *ev = &e->ev[e->open_idx];

		ev->open = 0;
		ev->ended = 1;
		ev->rec.end_ms = ev->last_motion_ms;
		ev->rec.clip_end_ms = ev->last_motion_ms + e->post_roll_ms;
		e->open_idx = -1;
	}
	e->rec_done = 1;
	for (int i = 0; i < EVENTS_TRACK_MAX; i++)
		try_finalise(e, &e->ev[i]);
	pthread_mutex_unlock(&e->mu);
}

/* --- the doorbell ----------------------------------------------------------------- */

int
events_ring(struct events *e, int wait_ms, uint64_t *id)
{
	struct evwork_waiter *wt;
	struct ev *ev;
	int64_t t;
	int have_keyring;

	*id = 0;
	pthread_mutex_lock(&e->c->mu);
	have_keyring = e->c->rcpt.epoch != 0;
	pthread_mutex_unlock(&e->c->mu);
	if (!have_keyring)
		return -1;
	pthread_mutex_lock(&e->mu);
	/* "Now" on the camera's clock: the frame being analysed, or the
	 * packet being recorded (file sources run on media time). */
	t = e->detecting && e->watermark_ms > 0 ? e->watermark_ms :
	    e->rec_now_ms > 0 ? e->rec_now_ms : wall_now_ms();
	if ((ev = ev_new(e)) == NULL) {
		pthread_mutex_unlock(&e->mu);
		return -1;
	}
	ev->rec.kind = EVREC_RING;
	ev->rec.start_ms = t;
	ev->rec.clip_start_ms = t > e->pre_roll_ms ? t - e->pre_roll_ms : 0;
	ev->rec.frames = 0;
	ev->rec.thumb_ms = t;
	ev->ended = 1;
	ev->rec.end_ms = t;
	ev->rec.clip_end_ms = t + e->ring_post_ms;
	ev->last_motion_ms = t;
	/* Without a waiter (no memory) the press goes on, unawaited. */
	wt = evwork_waiter_new();
	queue_record(e, ev, EVREC_START, e->detecting ? e->last_frame : NULL,
	    1, wt);
	pthread_mutex_unlock(&e->mu);
	log_info("event", "camera=%s msg=ring t_ms=%lld", e->c->conf.id_hex,
	    (long long)t);
	evwork_wait(e->w, wt, wait_ms, id);
	return 0;
}

/* --- the recorder ----------------------------------------------------------------- */

void
events_recorder_packet(struct events *e, int64_t t_ms,
    const AVCodecParameters *par, const AVPacket *key)
{
	pthread_mutex_lock(&e->mu);
	if (t_ms > e->rec_now_ms)
		e->rec_now_ms = t_ms;
	e->rec_done = 0;
	if (key != NULL && par != NULL) {
		if (e->key == NULL)
			e->key = av_packet_alloc();
		if (e->par == NULL)
			e->par = avcodec_parameters_alloc();
		if (e->key != NULL && e->par != NULL) {
			av_packet_unref(e->key);
			if (av_packet_ref(e->key, key) < 0 ||
			    avcodec_parameters_copy(e->par, par) < 0)
				av_packet_unref(e->key);
		}
	}
	pthread_mutex_unlock(&e->mu);
}

enum events_decision
events_decide(struct events *e, int64_t start, int64_t end, int force,
    uint32_t *flags)
{
	enum events_decision d = EVENTS_WAIT;
	int covered = 0, open_unknown = 0, analysed, clear;
	int64_t horizon;

	*flags = 0;
	pthread_mutex_lock(&e->mu);
	for (int i = 0; i < EVENTS_TRACK_MAX && !covered; i++) {
		struct ev *ev = &e->ev[i];

		if (ev->used && ev->ended && ev->rec.clip_start_ms < end &&
		    start <= ev->rec.clip_end_ms)
			covered = 1;
	}
	if (!covered && e->open_idx >= 0) {
		struct ev *ev = &e->ev[e->open_idx];

		if (end > ev->rec.clip_start_ms) {
			/* Inside the clip so far, or inside it if the event
			 * goes on: only its end tells. */
			if (start <= ev->last_motion_ms + e->post_roll_ms)
				covered = 1;
			else
				open_unknown = 1;
		}
	}
	/* How far an event not reported yet could reach back: its start is
	 * after what the detector has seen minus its start latency, and its
	 * clip begins a pre-roll earlier. Without detection only rings
	 * happen, at the recorder's "now". */
	analysed = e->record != DETCONF_CONTINUOUS && e->watermark_ms > 0;
	if (analysed)
		horizon = e->watermark_ms - (int64_t)e->start_frames * e->det_dt_ms -
		    EVENTS_CLOCK_SLACK_MS;
	else
		horizon = e->rec_now_ms;
	clear = !covered && !open_unknown && horizon >= end + e->pre_roll_ms;
	if (covered || (force && open_unknown)) {
		*flags = SEG_FLAG_EVENT;
		d = EVENTS_KEEP;
	} else if (clear || force) {
		/* Events only: footage the detector has looked at and found
		 * nothing in is dropped; footage it never saw (no detector, a
		 * stalled one) is kept: fail safe. */
		d = e->record == DETCONF_EVENTS && analysed &&
		    e->watermark_ms >= start ? EVENTS_DROP : EVENTS_KEEP;
	}
	pthread_mutex_unlock(&e->mu);
	return d;
}

void
events_segment(struct events *e, int64_t start, int64_t end, uint64_t seq)
{
	pthread_mutex_lock(&e->mu);
	for (int i = 0; i < EVENTS_TRACK_MAX; i++) {
		struct ev *ev = &e->ev[i];
		int64_t clip_end = ev->ended ? ev->rec.clip_end_ms : INT64_MAX;

		if (!ev->used || ev->finalised || seq == 0 ||
		    !(ev->rec.clip_start_ms < end && start <= clip_end))
			continue;
		if (!ev->rec.have_segments) {
			ev->rec.have_segments = 1;
			ev->rec.seg_first = seq;
		}
		ev->rec.seg_last = seq;
	}
	if (end > e->rec_decided_ms)
		e->rec_decided_ms = end;
	for (int i = 0; i < EVENTS_TRACK_MAX; i++)
		try_finalise(e, &e->ev[i]);
	pthread_mutex_unlock(&e->mu);
}

void
events_recorder_done(struct events *e)
{
	pthread_mutex_lock(&e->mu);
	e->rec_done = 1;
	for (int i = 0; i < EVENTS_TRACK_MAX; i++)
		try_finalise(e, &e->ev[i]);
	pthread_mutex_unlock(&e->mu);
}
