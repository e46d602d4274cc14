/*
 * motion_check.h — running synthetic scenes (motion_synth.h) through the
 * detector and comparing with the ground truth; shared by the motion tests.
 */
#ifndef SEALCAM_MOTION_CHECK_H
#define SEALCAM_MOTION_CHECK_H

#include <math.h>
#include <stdio.h>

#include "motion.h"
#include "motion_synth.h"
#include "t.h"

/* What a sequence did, frame by frame. */
struct seq {
	int frames;
	int warm;		/* frames flagged MOTION_WARMUP */
	int checked;		/* frames whose boxes were compared */
	int bad_iou;		/* ... with IoU < 0.5 or a wrong box count */
	double worst_iou;
	int first_bad;		/* frame of the first bad one, -1 */
	int motion;		/* frames with MOTION_MOTION */
	int motion_after;	/* ... at or after frame `after` */
	int starts, ends;
	int lightswitch, compensated;
	int64_t start_ms[16], end_ms[16], start_at[16], end_at[16];
	int64_t clip_start[16], clip_end[16];
	int last_motion;	/* last frame with motion, -1 */
	int boxes;		/* frames with at least one box (moving or not) */
	int last_box;		/* last frame with a box, -1 */
	int still_boxes;	/* frames whose boxes are all still */
};

/*
 * Feed frames 0..n-1 of scene s at fps into a detector built from cfg.
 * From frame `check` on, every frame where all objects are fully visible
 * and at least min_px big must carry one box per object with IoU >= 0.5.
 * `after` splits motion counting (e.g. frames after a light switch).
 */
static inline void
run_seq(struct synth_scene *s, const struct motion_config *cfg, int n,
    double fps, int check, int after, struct seq *q)
{
	struct motion *m = motion_new(cfg, s->w, s->h);
	int stride = s->w + 16;	/* a stride that is not the width */
	uint8_t *frame = calloc((size_t)stride * s->h, 1);
	struct synth_box gt[SYNTH_MAX_OBJ];
	struct motion_result r;

	memset(q, 0, sizeof(*q));
	q->worst_iou = 1;
	q->first_bad = -1;
	q->last_motion = -1;
	q->last_box = -1;
	T_ASSERT(m != NULL && frame != NULL);
	if (m == NULL || frame == NULL)
		goto out;
	for (int t = 0; t < n; t++) {
		int64_t pts = (int64_t)llround(t * 1000.0 / fps);
		synth_frame(s, t, frame, stride, gt);
		T_ASSERT(motion_feed(m, frame, stride, pts, &r) == 0);
		q->frames++;
		q->warm += !!(r.flags & MOTION_WARMUP);
		q->lightswitch += !!(r.flags & MOTION_LIGHTSWITCH);
		q->compensated += !!(r.flags & MOTION_COMPENSATED);
		if (r.nboxes > 0) {
			q->boxes++;
			q->last_box = t;
			q->still_boxes += !(r.flags & MOTION_MOTION);
		}
		if (r.flags & MOTION_MOTION) {
			q->motion++;
			q->motion_after += t >= after;
			q->last_motion = t;
		}
		if ((r.flags & MOTION_EVENT_START) && q->starts < 16) {
			q->start_ms[q->starts] = r.event_start_ms;
			q->clip_start[q->starts] = r.clip_start_ms;
			q->start_at[q->starts++] = t;
		}
		if ((r.flags & MOTION_EVENT_END) && q->ends < 16) {
			q->end_ms[q->ends] = r.event_end_ms;
			q->clip_end[q->ends] = r.clip_end_ms;
			q->end_at[q->ends++] = t;
		}
		if (t < check)
			continue;
		/* Compare with the ground truth when every object is whole
		 * in the frame (a half-visible object is checked elsewhere). */
		int nvis = 0, whole = 1;
		for (int k = 0; k < s->nobj; k++) {
			if (gt[k].w == 0)
				continue;
			nvis++;
			int ox, oy;
			synth_pos(&s->obj[k], t, &ox, &oy);
			if (ox < 0 || oy < 0 || ox + s->obj[k].w > s->w ||
			    oy + s->obj[k].h > s->h)
				whole = 0;
		}
		if (!whole)
			continue;
		q->checked++;
		int bad = r.nboxes != nvis;
		for (int k = 0; k < s->nobj; k++) {
			double best = 0;
			if (gt[k].w == 0)
				continue;
			for (int i = 0; i < r.nboxes; i++) {
				double iou = synth_iou(gt[k].x, gt[k].y, gt[k].w,
				    gt[k].h, r.box[i].x, r.box[i].y, r.box[i].w,
				    r.box[i].h);
				best = iou > best ? iou : best;
			}
			if (best < q->worst_iou)
				q->worst_iou = best;
			bad |= best < 0.5;
		}
		if (bad) {
			if (q->first_bad < 0) {
				q->first_bad = t;
				printf("# frame %d: %d boxes, %d objects", t,
				    r.nboxes, nvis);
				for (int i = 0; i < r.nboxes; i++)
					printf(" [%d,%d %dx%d]", r.box[i].x,
					    r.box[i].y, r.box[i].w, r.box[i].h);
				for (int k = 0; k < s->nobj; k++)
					printf(" gt[%d,%d %dx%d]", gt[k].x,
					    gt[k].y, gt[k].w, gt[k].h);
				printf("\n");
			}
			q->bad_iou++;
		}
	}
	if (motion_finish(m, &r) && q->ends < 16) {
		q->end_ms[q->ends] = r.event_end_ms;
		q->clip_end[q->ends] = r.clip_end_ms;
		q->end_at[q->ends++] = n;
	}
out:
	motion_free(m);
	free(frame);
}

static const int sizes[][2] = {
	{ 320, 180 }, { 640, 360 }, { 480, 270 }, { 352, 288 }, { 960, 540 },
};
#define NSIZES ((int)(sizeof(sizes) / sizeof(sizes[0])))

static inline struct synth_obj *
add_walker(struct synth_scene *s, int seed, double speed, double fps,
    int enter, int frames, int texture)
{
	return synth_add_walker(s, seed, speed, fps, enter, frames, texture);
}

/* Is any pixel centre of object k (at its frame-t position, shifted by
 * dx, dy) inside the polygon? Even-odd rule, normalised coordinates. */
static inline int
obj_touches(const struct synth_scene *s, int k, int t, int dx, int dy,
    const struct motion_polygon *poly)
{
	const struct synth_obj *o = &s->obj[k];
	int ox, oy;

	synth_pos(o, t, &ox, &oy);
	ox += dx;
	oy += dy;
	for (int y = oy; y < oy + o->h; y++)
		for (int x = ox; x < ox + o->w; x++) {
			if (x < 0 || y < 0 || x >= s->w || y >= s->h ||
			    !synth_in_obj(o, ox, oy, x, y))
				continue;
			float fx = (x + 0.5f) / s->w, fy = (y + 0.5f) / s->h;
			int in = 0;
			for (int i = 0, j = poly->n - 1; i < poly->n; j = i++) {
				const struct motion_point *pi = &poly->p[i],
				    *pj = &poly->p[j];
				if ((pi->y > fy) != (pj->y > fy) &&
				    fx < (pj->x - pi->x) * (fy - pi->y) /
				    (pj->y - pi->y) + pi->x)
					in = !in;
			}
			if (in)
				return 1;
		}
	return 0;
}

static inline void
poly_rect(struct motion_polygon *p, const char *name, float x0, float y0,
    float x1, float y1)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->n = 4;
	p->p[0] = (struct motion_point){ x0, y0 };
	p->p[1] = (struct motion_point){ x1, y0 };
	p->p[2] = (struct motion_point){ x1, y1 };
	p->p[3] = (struct motion_point){ x0, y1 };
}

static inline int64_t
pts_of(int t, double fps)
{
	return (int64_t)llround(t * 1000.0 / fps);
}

#endif
