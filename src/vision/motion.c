/*
 * motion.c — the detector: per-frame pipeline, global (light/IR switch)
 * decisions and event hysteresis. The pixel kernels are in motion_pixel.c,
 * components in motion_blob.c, the config in motion_config.c; the algorithm
 * is written up in docs/MOTION.md.
 *
 * Per frame:
 *	1. box-downscale the luma plane to the working size
 *	2. sparse global statistics: is the whole frame changing? (light
 *	   switch, IR day/night switch, exposure change) and the noise level
 *	3. classify and learn every pixel (motion_classify)
 *	4. despeckle, connected components, boxes, zones
 *	5. event hysteresis
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "motion_int.h"

#define MAX_FACTOR	16	/* downscale factor cap (block sums in uint16) */
#define GAP_RELEARN_MS	10000	/* a longer pts gap re-learns the scene */
#define FAST_FRAMES	16	/* cumulative-average frames after (re)start */

struct motion {
	struct motion_config cfg;
	int in_w, in_h;		/* caller's frame */
	int f;			/* integer downscale factor */
	int w, h;		/* working size */
	uint8_t *cur;		/* downscaled frame (f > 1) */
	uint16_t *acc;		/* downscale row sums */
	struct motion_planes pl;	/* per-pixel state (motion_int.h) */
	uint8_t *fg2, *tmp;	/* despeckle ping-pong and scratch */
	uint16_t *zonemap;	/* zone bits per pixel; NULL without zones */
	struct motion_run *runs;
	struct motion_blob frag[MOTION_FRAGS_MAX];
	struct motion_blob blobs[MOTION_MAX_BOXES];
	struct motion_global glob;	/* sparse statistics */
	int nactive;		/* unmasked working pixels */

	/* Derived from the config. */
	int kq, floor_cfg;	/* threshold = max(floor, kq/4 * noise) */
	int min_area_px, min_frag_px, merge_px, shrink;
	int grows;		/* despeckle dilates: no quiet-frame shortcut */
	int tick_ms;		/* absorb timer unit */
	uint16_t absorb_ticks;

	/* Learning state. */
	int64_t nframes;
	int64_t pts0, last_pts;
	double dt_ms;		/* frame interval estimate */
	int learn_n;		/* frames since the background was (re)set */
	int64_t last_learn;	/* pts of the last learning pass */
	int relearn;		/* in a light/IR switch */
	int64_t relearn_start;
	int stable;		/* calm frames while re-learning */
	float gdev;		/* global noise, mean |x - bg| in grey levels */
	float base;		/* changed fraction of ordinary frames */

	struct motion_tracks tracks;	/* moving or still (motion_track.c) */
	struct motion_ev ev;	/* event hysteresis (motion_event.c) */
};

static const char *COMP = "motion";

/* Sensitivity 1..100 -> noise multiplier (x4) and threshold floor: linear
 * from (1: 7.0, 30) through (50: 3.5, 10) to (100: 2.0, 4). */
static void
sensitivity_map(int s, int *kq, int *floor)
{
	double k, fl;

	if (s <= 50) {
		double t = (s - 1) / 49.0;
		k = 7.0 + t * (3.5 - 7.0);
		fl = 30 + t * (10 - 30);
	} else {
		double t = (s - 50) / 50.0;
		k = 3.5 + t * (2.0 - 3.5);
		fl = 10 + t * (4 - 10);
	}
	*kq = (int)lround(k * 4);
	*floor = (int)lround(fl);
}

static int
rasterise(struct motion *m)
{
	const struct motion_config *c = &m->cfg;

	if (c->nzones > 0) {
		m->zonemap = calloc((size_t)m->w * m->h, sizeof(*m->zonemap));
		if (m->zonemap == NULL)
			return -1;
	}
	m->nactive = 0;
	for (int y = 0; y < m->h; y++)
		for (int x = 0; x < m->w; x++) {
			/* Pixel centres, normalised. */
			float fx = (x + 0.5f) / m->w, fy = (y + 0.5f) / m->h;
			size_t i = (size_t)y * m->w + x;
			int masked = 0;
			for (int k = 0; k < c->nmasks && !masked; k++)
				masked = motion_poly_inside(&c->masks[k], fx, fy);
			m->pl.act[i] = masked ? 0 : 0xff;
			m->pl.tl[i] = masked ? 0xff : 0;
			m->nactive += !masked;
			for (int k = 0; k < c->nzones; k++)
				if (motion_poly_inside(&c->zones[k], fx, fy))
					m->zonemap[i] |= (uint16_t)(1u << k);
		}
	return 0;
}

struct motion *
motion_new(const struct motion_config *cfg, int width, int height)
{
	struct motion *m;
	char err[256];
	size_t n;

	if (motion_config_check(cfg, err, sizeof(err)) == -1) {
		log_err(COMP, "msg=\"bad config\" err=\"%s\"", err);
		return NULL;
	}
	if (width < MOTION_MIN_SIZE || height < MOTION_MIN_SIZE ||
	    width > MOTION_MAX_SIZE || height > MOTION_MAX_SIZE) {
		log_err(COMP, "msg=\"bad frame size\" width=%d height=%d",
		    width, height);
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->cfg = *cfg;
	m->in_w = width;
	m->in_h = height;

	/* Integer factor nearest to the wanted working width, keeping at
	 * least MOTION_MIN_SIZE/2 pixels a side. */
	m->f = (int)lround((double)width / cfg->work_width);
	if (m->f < 1)
		m->f = 1;
	if (m->f > MAX_FACTOR)
		m->f = MAX_FACTOR;
	while (m->f > 1 && (width / m->f < MOTION_MIN_SIZE / 2 ||
	    height / m->f < MOTION_MIN_SIZE / 2))
		m->f--;
	m->w = width / m->f;
	m->h = height / m->f;
	n = (size_t)m->w * m->h;

	if (m->f > 1) {
		m->cur = malloc(n);
		m->acc = malloc((size_t)m->w * m->f * sizeof(*m->acc));
		if (m->cur == NULL || m->acc == NULL)
			goto err;
	}
	m->pl.bg = calloc(n, sizeof(*m->pl.bg));
	m->pl.since = calloc(n, sizeof(*m->pl.since));
	m->pl.bgi = calloc(n, 1);
	m->pl.dev = calloc(n, 1);
	m->pl.tl = calloc(n, 1);
	m->pl.act = malloc(n);
	m->pl.fg = calloc(n, 1);
	m->fg2 = calloc(n, 1);
	m->tmp = calloc(n + 2 * (size_t)m->w + 2, 1);
	/* Worst case: every other pixel of every row starts a run. */
	m->runs = malloc((size_t)m->h * (m->w / 2 + 1) * sizeof(*m->runs));
	if (!m->pl.bg || !m->pl.since || !m->pl.bgi || !m->pl.dev ||
	    !m->pl.tl || !m->pl.act || !m->pl.fg || !m->fg2 ||
	    !m->tmp || !m->runs)
		goto err;
	if (rasterise(m) == -1)
		goto err;
	if (motion_global_init(&m->glob, m->pl.act, m->w, m->h) == -1)
		goto err;

	sensitivity_map(cfg->sensitivity, &m->kq, &m->floor_cfg);
	if (cfg->threshold > 0)
		m->floor_cfg = cfg->threshold;
	m->min_area_px = (int)lround(cfg->min_area * (double)n);
	if (m->min_area_px < 1)
		m->min_area_px = 1;
	m->min_frag_px = m->min_area_px / 4 > 2 ? m->min_area_px / 4 : 2;
	m->merge_px = (int)lround(cfg->merge_distance * m->w);
	for (const char *s = cfg->despeckle; *s; s++) {
		m->shrink += (*s == 'D') - (*s == 'E');
		m->grows |= *s == 'D';
	}
	if (m->shrink < 0)
		m->shrink = 0;
	/* Absorb timer: uint16 ticks, at most 16384 of them per absorb time
	 * so that differences never wrap. */
	m->tick_ms = cfg->absorb_ms / 16384 + 1;
	m->absorb_ticks = (uint16_t)(cfg->absorb_ms / m->tick_ms);
	if (m->absorb_ticks == 0)
		m->absorb_ticks = 1;

	m->dt_ms = 40;
	return m;
err:
	log_err(COMP, "msg=\"out of memory\" width=%d height=%d", width, height);
	motion_free(m);
	return NULL;
}

void
motion_free(struct motion *m)
{
	if (m == NULL)
		return;
	motion_global_free(&m->glob);
	free(m->cur);
	free(m->acc);
	free(m->pl.bg);
	free(m->pl.since);
	free(m->pl.bgi);
	free(m->pl.dev);
	free(m->pl.tl);
	free(m->pl.act);
	free(m->pl.fg);
	free(m->fg2);
	free(m->tmp);
	free(m->zonemap);
	free(m->runs);
	free(m);
}

void
motion_work_size(const struct motion *m, int *w, int *h)
{
	*w = m->w;
	*h = m->h;
}

const char *
motion_zone_name(const struct motion *m, int i)
{
	if (i < 0 || i >= m->cfg.nzones)
		return NULL;
	return m->cfg.zones[i].name;
}

/* Despeckle steps from the config, then the mask is in m->pl.fg. */
static void
despeckle(struct motion *m)
{
	for (const char *s = m->cfg.despeckle; *s; s++) {
		if (*s == 'M')
			motion_majority(m->pl.fg, m->fg2, m->tmp, m->w, m->h);
		else if (*s == 'E')
			motion_erode(m->pl.fg, m->fg2, m->tmp, m->w, m->h);
		else
			motion_dilate(m->pl.fg, m->fg2, m->tmp, m->w, m->h);
		uint8_t *t = m->pl.fg;
		m->pl.fg = m->fg2;
		m->fg2 = t;
	}
}

/* Working-size blob to a box in the caller's coordinates, undoing the net
 * growth of the despeckle dilations. */
static void
blob_to_box(const struct motion *m, const struct motion_blob *b,
    struct motion_box *box)
{
	int x0 = b->x0, x1 = b->x1, y0 = b->y0, y1 = b->y1, s = m->shrink;

	if (x1 - x0 >= 2 * s) {
		x0 += s;
		x1 -= s;
	}
	if (y1 - y0 >= 2 * s) {
		y0 += s;
		y1 -= s;
	}
	box->x = x0 * m->f;
	box->y = y0 * m->f;
	box->w = (x1 - x0 + 1) * m->f;
	box->h = (y1 - y0 + 1) * m->f;
	box->area = b->area;
	box->zones = b->zones;
}

/* Learning rate for this frame: frame interval over the background time
 * constant, and a cumulative average (1/n) right after a (re)start. */
static int16_t
learning_rate(const struct motion *m, double dt_ms)
{
	double a = dt_ms / m->cfg.background_ms;

	if (m->learn_n < FAST_FRAMES && a < 1.0 / (m->learn_n + 1))
		a = 1.0 / (m->learn_n + 1);
	a *= 65536;
	if (a > 32767)
		a = 32767;
	if (a < 1)
		a = 1;
	return (int16_t)a;
}

static void
update_clock(struct motion *m, int64_t pts)
{
	int64_t delta = pts - m->last_pts;

	if (delta < 0)
		delta = 0;
	if (delta > GAP_RELEARN_MS && !m->relearn) {
		/* A reconnect: the scene may have changed while away. */
		m->relearn = 1;
		m->relearn_start = pts;
		m->stable = 0;
	}
	if (delta > 1000)
		delta = 1000;
	if (delta < 1)
		delta = 1;
	if (m->nframes < 4)
		m->dt_ms = (double)delta;
	else
		m->dt_ms += (delta - m->dt_ms) * 0.1;
	m->last_pts = pts;
}

int
motion_feed(struct motion *m, const uint8_t *y, int stride, int64_t pts,
    struct motion_result *r)
{
	const struct motion_config *c = &m->cfg;
	const uint8_t *cur = y;
	int cs = stride, motion = 0;
	struct motion_px px;
	uint16_t now;

	if (m == NULL || y == NULL || r == NULL || stride < m->in_w)
		return -1;
	memset(r, 0, sizeof(*r));
	r->pts_ms = pts;

	/* 1. Working-size frame. */
	if (m->f > 1) {
		motion_downscale(y, stride, m->f, m->cur, m->w, m->h, m->acc);
		cur = m->cur;
		cs = m->w;
	}
	if (m->nframes == 0) {
		m->pts0 = m->last_pts = pts;
		motion_snap(cur, cs, &m->pl, m->w, m->h, 0);
		motion_global_sample(&m->glob, cur, cs);
		m->nframes = 1;
		m->learn_n = 1;
		m->last_learn = pts;
		r->flags = MOTION_WARMUP;
		motion_event_update(&m->ev, &m->cfg, 0, r);
		return 0;
	}
	update_clock(m, pts);
	now = (uint16_t)((pts - m->pts0) / m->tick_ms);
	m->nframes++;

	/* 2. Global statistics and decisions. */
	int thr = (int)lround(m->kq * m->gdev / 4);
	if (thr < m->floor_cfg)
		thr = m->floor_cfg;
	int warm = m->nframes < (c->warmup_ms > 0 ? 8 : 2) ||
	    pts - m->pts0 < c->warmup_ms;
	struct motion_gstat g;
	motion_global_stats(&m->glob, cur, cs, m->pl.bg, m->w, thr, &g);

	if (!warm && !m->relearn) {
		enum motion_gdecision d = motion_global_decide(&m->glob, &g,
		    m->base, c->lightswitch);
		if (d == MOTION_G_NONE)
			m->base += (g.raw - m->base) * 0.1f;
		if (d != MOTION_G_NONE)
			log_debug(COMP, "msg=\"global change\" pts=%lld "
			    "decision=%s changed=%.3f sudden=%.3f residual=%.3f "
			    "gain=%.3f offset=%d", (long long)pts,
			    d == MOTION_G_SWITCH ? "relearn" : "compensate",
			    g.raw, g.fd, g.comp, g.use_gain ? g.gain256 / 256.0 :
			    1.0, g.use_gain ? 0 : g.offset);
		if (d == MOTION_G_COMPENSATE) {
			if (g.use_gain)
				motion_bg_gain(m->pl.bg, m->pl.bgi, m->w * m->h,
				    g.gain256);
			else
				motion_bg_offset(m->pl.bg, m->pl.bgi, m->w * m->h,
				    g.offset);
			r->flags |= MOTION_COMPENSATED;
		} else if (d == MOTION_G_SWITCH) {
			m->relearn = 1;
			m->relearn_start = pts;
			m->stable = 0;
		}
	}

	if (m->relearn) {
		/* Re-learning: the background follows the frame exactly until
		 * the picture settles (IR exposure takes a few frames). */
		m->stable = g.raw < 0.05f ? m->stable + 1 : 0;
		if (g.n > 0)
			m->gdev = g.fd_noise;
		motion_snap(cur, cs, &m->pl, m->w, m->h, now);
		if (m->stable >= 2 ||
		    pts - m->relearn_start >= c->lightswitch_max_ms) {
			m->relearn = 0;
			m->learn_n = 1;
		}
		r->flags |= MOTION_LIGHTSWITCH;
		goto done;
	}

	/* Noise follows the scene while little of it changes. */
	if (g.n > 0 && g.raw < 0.25f)
		m->gdev += (g.noise - m->gdev) * (warm ? 0.3f : 0.05f);

	/* 3. Detect every frame; learn at most every MOTION_LEARN_MS (every
	 * frame while warming up or right after a re-learn). During warm-up
	 * nothing is reported, and what stays foreground for a few frames is
	 * absorbed at once: the background then holds the last steady value
	 * of every pixel, not a smear of what moved while it started. */
	unsigned nfg = motion_detect(cur, cs, m->pl.bgi, m->pl.tl, m->pl.fg,
	    m->w, m->h, (uint8_t)thr);
	int64_t since_learn = pts - m->last_learn;
	int learn = warm || m->learn_n < FAST_FRAMES ||
	    since_learn >= MOTION_LEARN_MS;
	if (learn) {
		px.a = learning_rate(m, warm || m->learn_n < FAST_FRAMES ?
		    m->dt_ms : (double)since_learn);
		px.kq = (uint8_t)m->kq;
		px.now = now;
		px.absorb = m->absorb_ticks;
		px.absorb_on = c->absorb_ms > 0;
		if (warm) {
			int t = (int)(2.5 * m->dt_ms / m->tick_ms) + 1;
			px.absorb = (uint16_t)(t < px.absorb ? t : px.absorb);
			px.absorb_on = 1;
		}
		px.learn_dev = 1;
		motion_learn(cur, cs, &m->pl, m->w, m->h, &px);
		m->last_learn = pts;
		if (m->learn_n < FAST_FRAMES)
			m->learn_n++;
	}
	if (warm) {
		r->flags |= MOTION_WARMUP;
		goto done;
	}

	/* 4. Despeckle, components, boxes. A quiet frame (too few
	 * foreground pixels to make a fragment even after despeckling, which
	 * without dilation at most multiplies them by 9/5) stops here: most
	 * frames of a security camera. Ghosts are looked for on learning
	 * frames only (5 Hz is soon enough to drop them). */
	int nb = 0, changed = 0;
	if (nfg > 0 && (m->grows || 2 * nfg >= (unsigned)m->min_frag_px)) {
		despeckle(m);
		struct motion_blobctx bc = {
			.fg = m->pl.fg, .w = m->w, .h = m->h,
			.zonemap = m->zonemap, .cur = cur, .cs = cs,
			.bg = m->pl.bg, .since = m->pl.since, .bgi = m->pl.bgi,
			.now = now, .shrink = m->shrink, .ghosts = learn,
			.runs = m->runs, .frag = m->frag,
			.min_frag = m->min_frag_px, .merge_px = m->merge_px,
			.min_area = m->min_area_px,
		};
		nb = motion_blobs(&bc, m->blobs, MOTION_MAX_BOXES);
		changed = bc.changed;
	}
	r->score = m->nactive > 0 ? (float)changed / m->nactive : 0;
	int moving[MOTION_MAX_BOXES];
	motion_track_update(&m->tracks, m->blobs, nb, pts, c->still_ms, moving);
	for (int i = 0; i < nb; i++) {
		blob_to_box(m, &m->blobs[i], &r->box[i]);
		r->box[i].moving = moving[i];
		motion |= moving[i];
		r->zones |= r->box[i].zones;
	}
	r->nboxes = nb;
	if (motion)
		r->flags |= MOTION_MOTION;
done:
	motion_global_commit(&m->glob);
	/* 5. Events. */
	motion_event_update(&m->ev, c, motion, r);
	return 0;
}

int
motion_finish(struct motion *m, struct motion_result *r)
{
	memset(r, 0, sizeof(*r));
	r->pts_ms = m->last_pts;
	return motion_event_finish(&m->ev, &m->cfg, r);
}
