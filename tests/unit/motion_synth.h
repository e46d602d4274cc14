/*
 * motion_synth.h — synthetic camera scenes with exact ground truth, for the
 * motion tests and bench/motion (which turns them into video for Motion).
 *
 * A scene is a static background (smooth colour fields plus texture), up
 * to SYNTH_MAX_OBJ objects (rectangles or ellipses, flat or textured) that
 * move at constant velocity, may stop (a car that parks) and appear or
 * vanish at given frames, temporal sensor noise, and global events: a
 * brightness change (gain and offset) or an IR day/night switch (luma
 * recomputed from the colour planes with infrared weights and a gain).
 * Every frame also yields the exact bounding box of each object's drawn
 * pixels, and which zone polygons those pixels touch.
 *
 * Everything is driven by one seed; nothing here depends on the library.
 */
#ifndef SEALCAM_MOTION_SYNTH_H
#define SEALCAM_MOTION_SYNTH_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SYNTH_MAX_OBJ 8

struct synth_rng {
	uint64_t s;
};

static inline uint64_t
synth_next(struct synth_rng *r)
{
	/* xorshift64* */
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static inline double
synth_uniform(struct synth_rng *r)
{
	return (synth_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

struct synth_obj {
	double x, y;		/* top-left at frame 0, pixels */
	double vx, vy;		/* pixels per frame */
	int w, h;
	int level;		/* grey level of a flat object */
	int texture;		/* 0 flat, else amplitude of its texture */
	int ellipse;
	int start, end;		/* visible for start <= t < end (end 0: always) */
	int stop;		/* stops moving at this frame (0: never) */
};

struct synth_box {
	int x, y, w, h;		/* w == 0: not visible */
};

struct synth_scene {
	int w, h;
	struct synth_rng rng;
	double noise;		/* temporal noise sigma, grey levels */
	uint8_t *r, *g, *b;	/* colour background */
	uint8_t *otex;		/* object texture source */
	float *day, *night;	/* luma of the background, day and infrared */
	float *gauss;		/* unit Gaussian samples (noise) */
	size_t ngauss;		/* 2 frames' worth plus a margin */
	int nobj;
	struct synth_obj obj[SYNTH_MAX_OBJ];
	int jump_frame;		/* from this frame: luma * gain + offset */
	double gain, offset;
	int ir_frame;		/* from this frame: infrared luma */
	double ir_gain;
	double ir_noise;	/* noise sigma from ir_frame on (0: same) */
};

/* A smooth random field: sum of a few random 2-D cosines, 0..255;
 * cos(a + b) = cos a cos b - sin a sin b keeps it to per-row and
 * per-column tables. */
static inline void
synth_field(struct synth_rng *rng, uint8_t *out, int w, int h, int texture)
{
	double fx[3], fy[3], ph[3], amp[3];
	double *cx = malloc(sizeof(double) * 3 * (size_t)w);
	double *sx = malloc(sizeof(double) * 3 * (size_t)w);
	double *cy = malloc(sizeof(double) * 3 * (size_t)h);
	double *sy = malloc(sizeof(double) * 3 * (size_t)h);

	for (int k = 0; k < 3; k++) {
		fx[k] = (0.5 + 3 * synth_uniform(rng)) * 2 * M_PI / w;
		fy[k] = (0.5 + 3 * synth_uniform(rng)) * 2 * M_PI / h;
		ph[k] = 2 * M_PI * synth_uniform(rng);
		amp[k] = 5 + 12 * synth_uniform(rng);
	}
	double base = 60 + 130 * synth_uniform(rng);
	if (!cx || !sx || !cy || !sy)
		goto out;
	for (int k = 0; k < 3; k++) {
		for (int x = 0; x < w; x++) {
			cx[k * w + x] = cos(fx[k] * x + ph[k]);
			sx[k * w + x] = sin(fx[k] * x + ph[k]);
		}
		for (int y = 0; y < h; y++) {
			cy[k * h + y] = cos(fy[k] * y);
			sy[k * h + y] = sin(fy[k] * y);
		}
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			double v = base;
			for (int k = 0; k < 3; k++)
				v += amp[k] * (cx[k * w + x] * cy[k * h + y] -
				    sx[k * w + x] * sy[k * h + y]);
			if (texture)
				v += texture * (synth_uniform(rng) - 0.5);
			out[(size_t)y * w + x] = (uint8_t)(v < 0 ? 0 :
			    (v > 255 ? 255 : v));
		}
out:
	free(cx);
	free(sx);
	free(cy);
	free(sy);
}

/* New scene of w x h with a background texture amplitude (0 = smooth). */
static inline int
synth_init(struct synth_scene *s, int w, int h, uint64_t seed, int texture)
{
	size_t n = (size_t)w * h;

	memset(s, 0, sizeof(*s));
	s->w = w;
	s->h = h;
	s->rng.s = seed * 0x9E3779B97F4A7C15ULL + 1;
	s->gain = 1;
	s->ir_gain = 1;
	s->r = malloc(n);
	s->g = malloc(n);
	s->b = malloc(n);
	s->otex = malloc(n);
	s->day = malloc(n * sizeof(float));
	s->night = malloc(n * sizeof(float));
	s->ngauss = 2 * n + 65536;
	s->gauss = malloc(s->ngauss * sizeof(float));
	if (!s->r || !s->g || !s->b || !s->otex || !s->day || !s->night ||
	    !s->gauss)
		return -1;
	synth_field(&s->rng, s->r, w, h, texture);
	synth_field(&s->rng, s->g, w, h, texture);
	synth_field(&s->rng, s->b, w, h, texture);
	for (size_t i = 0; i < n; i++) {
		s->otex[i] = (uint8_t)(synth_next(&s->rng) >> 56);
		s->day[i] = (float)(0.299 * s->r[i] + 0.587 * s->g[i] +
		    0.114 * s->b[i]);
		/* Infrared: a grey picture in which red (foliage, skin)
		 * reflects most; the gain is applied per frame. */
		s->night[i] = (float)(0.6 * s->r[i] + 0.25 * s->g[i] +
		    0.15 * s->b[i]);
	}
	for (size_t i = 0; i + 1 < s->ngauss; i += 2) {
		/* Box-Muller, two samples at a time. */
		double u1 = (synth_uniform(&s->rng) + 1e-12), u2 =
		    synth_uniform(&s->rng);
		double rad = sqrt(-2 * log(u1));
		s->gauss[i] = (float)(rad * cos(2 * M_PI * u2));
		s->gauss[i + 1] = (float)(rad * sin(2 * M_PI * u2));
	}
	return 0;
}

/* Replace the background by independent uniform grey levels per pixel
 * (a "noisy" static picture: gravel, foliage, a patterned floor). */
static inline void
synth_random_background(struct synth_scene *s)
{
	for (size_t i = 0; i < (size_t)s->w * s->h; i++)
		s->day[i] = s->night[i] = (float)(synth_next(&s->rng) >> 56);
}

static inline void
synth_free(struct synth_scene *s)
{
	free(s->r);
	free(s->g);
	free(s->b);
	free(s->otex);
	free(s->day);
	free(s->night);
	free(s->gauss);
}

static inline struct synth_obj *
synth_add(struct synth_scene *s, double x, double y, double vx, double vy,
    int w, int h, int level)
{
	struct synth_obj *o = &s->obj[s->nobj++];

	memset(o, 0, sizeof(*o));
	o->x = x;
	o->y = y;
	o->vx = vx;
	o->vy = vy;
	o->w = w;
	o->h = h;
	o->level = level;
	return o;
}

/* Luma of the background at pixel i for frame t, before the brightness
 * change and the noise. */
static inline double
synth_bg_luma(const struct synth_scene *s, size_t i, int t)
{
	if (s->ir_frame > 0 && t >= s->ir_frame)
		return s->ir_gain * s->night[i];
	return s->day[i];
}

/* ... and as the camera sees it (with the brightness change). */
static inline double
synth_seen_luma(const struct synth_scene *s, size_t i, int t)
{
	double v = synth_bg_luma(s, i, t);
	if (s->jump_frame > 0 && t >= s->jump_frame)
		v = v * s->gain + s->offset;
	return v < 0 ? 0 : (v > 255 ? 255 : v);
}

/* Object position at frame t (it stops at o->stop). */
static inline void
synth_pos(const struct synth_obj *o, int t, int *x, int *y)
{
	int tm = o->stop > 0 && t > o->stop ? o->stop : t;

	*x = (int)lround(o->x + o->vx * tm);
	*y = (int)lround(o->y + o->vy * tm);
}

static inline int
synth_visible(const struct synth_obj *o, int t)
{
	return t >= o->start && (o->end == 0 || t < o->end);
}

static inline int
synth_in_obj(const struct synth_obj *o, int ox, int oy, int x, int y)
{
	if (x < ox || y < oy || x >= ox + o->w || y >= oy + o->h)
		return 0;
	if (!o->ellipse)
		return 1;
	double dx = (x + 0.5 - ox - o->w / 2.0) / (o->w / 2.0);
	double dy = (y + 0.5 - oy - o->h / 2.0) / (o->h / 2.0);
	return dx * dx + dy * dy <= 1.0;
}

/* One row of background: luma * gain + offset + sigma * noise, rounded
 * and clamped. Built at -O3 by gcc too (clang vectorises at -O2 anyway):
 * it is most of the test's run time. */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("O3")))
#endif
static inline void
synth_row(uint8_t *restrict o, const float *restrict l,
    const float *restrict g, int w, float gain, float off, float sigma)
{
	for (int x = 0; x < w; x++) {
		float v = l[x] * gain + off + sigma * g[x] + 0.5f;
		v = v < 0 ? 0 : (v > 255 ? 255 : v);
		o[x] = (uint8_t)v;
	}
}

/*
 * Render frame t into out (stride bytes a row) and the ground truth box of
 * each object (gt[nobj], w == 0 when not visible or outside the frame).
 */
static inline void
synth_frame(struct synth_scene *s, int t, uint8_t *out, int stride,
    struct synth_box *gt)
{
	int jump = s->jump_frame > 0 && t >= s->jump_frame;
	float gain = jump ? (float)s->gain : 1, off = jump ? (float)s->offset : 0;
	float sigma = (float)(s->ir_frame > 0 && t >= s->ir_frame &&
	    s->ir_noise > 0 ? s->ir_noise : s->noise);
	const float *lum = s->day;
	float lgain = gain;

	if (s->ir_frame > 0 && t >= s->ir_frame) {
		lum = s->night;
		lgain = gain * (float)s->ir_gain;
	}
	/* Background with noise: each frame reads the Gaussian samples from
	 * its own random offset, so the loop is a plain multiply-add. */
	size_t n = (size_t)s->w * s->h;
	const float *noise = s->gauss + synth_next(&s->rng) % (s->ngauss - n);
	for (int y = 0; y < s->h; y++)
		synth_row(out + (size_t)y * stride, lum + (size_t)y * s->w,
		    noise + (size_t)y * s->w, s->w, lgain, off, sigma);
	/* Objects on top, in order, over their own rectangles only. */
	for (int k = 0; k < s->nobj; k++) {
		const struct synth_obj *ob = &s->obj[k];
		int ox, oy, x0 = 1 << 30, y0 = 1 << 30, x1 = -1, y1 = -1;

		synth_pos(ob, t, &ox, &oy);
		if (!synth_visible(ob, t))
			goto box;
		for (int y = oy > 0 ? oy : 0; y < oy + ob->h && y < s->h; y++) {
			uint64_t r = synth_next(&s->rng);
			for (int x = ox > 0 ? ox : 0; x < ox + ob->w && x < s->w;
			    x++) {
				if (!synth_in_obj(ob, ox, oy, x, y))
					continue;
				float v = (float)ob->level;
				if (ob->texture) {
					/* Texture moves with the object. */
					size_t ti = (size_t)(y - oy) * s->w +
					    (size_t)(x - ox);
					v += ob->texture *
					    (s->otex[ti] / 255.0f - 0.5f);
				}
				r = r * 6364136223846793005ULL + 1442695040888963407ULL;
				v = v * gain + off + sigma * s->gauss[(r >> 32) % s->ngauss];
				out[(size_t)y * stride + x] = (uint8_t)(v < 0 ? 0 :
				    (v > 255 ? 255 : (int)(v + 0.5f)));
				if (x < x0) x0 = x;
				if (x > x1) x1 = x;
				if (y < y0) y0 = y;
				if (y > y1) y1 = y;
			}
		}
box:
		if (gt == NULL)
			continue;
		if (x1 < 0) {
			memset(&gt[k], 0, sizeof(gt[k]));
			continue;
		}
		gt[k].x = x0;
		gt[k].y = y0;
		gt[k].w = x1 - x0 + 1;
		gt[k].h = y1 - y0 + 1;
	}
}

/*
 * A flat level that stands out by at least `contrast` from the background
 * everywhere in the rectangle (x0,y0)-(x1,y1) as seen at frame t (after
 * brightness changes), returned in the scene's own units (before them), so
 * the object cannot be camouflaged by chance.
 */
static inline int
synth_contrast_level(const struct synth_scene *s, int x0, int y0, int x1,
    int y1, int t, int contrast)
{
	double lo = 255, hi = 0, want;
	int jump = s->jump_frame > 0 && t >= s->jump_frame;
	double gain = jump ? s->gain : 1, off = jump ? s->offset : 0;

	x0 = x0 < 0 ? 0 : x0;
	y0 = y0 < 0 ? 0 : y0;
	x1 = x1 >= s->w ? s->w - 1 : x1;
	y1 = y1 >= s->h ? s->h - 1 : y1;
	for (int y = y0; y <= y1; y++)
		for (int x = x0; x <= x1; x++) {
			double v = synth_seen_luma(s, (size_t)y * s->w + x, t);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	/* The side with more room; darker if both fit. */
	if (lo - contrast >= 0)
		want = lo - contrast;
	else if (hi + contrast <= 255)
		want = hi + contrast;
	else
		want = lo > 255 - hi ? 0 : 255;
	return (int)lround((want - off) / gain);
}

/*
 * An object of about 8-13% x 20-33% of the frame that walks in from the
 * left or right edge at frame `enter` and crosses at `speed` frame widths
 * per second (slower if it would leave the frame before `frames`), with a
 * contrast of 40..90 grey levels to the background behind it, either way.
 */
static inline struct synth_obj *
synth_add_walker(struct synth_scene *s, int seed, double speed, double fps,
    int enter, int frames, int texture)
{
	struct synth_rng r = { .s = (uint64_t)seed * 7919 + 3 };
	int ow = s->w / 12 + (int)(synth_uniform(&r) * s->w / 20);
	int oh = s->h / 5 + (int)(synth_uniform(&r) * s->h / 8);
	double vx = speed * s->w / fps;
	int dir = synth_uniform(&r) < 0.5;
	double y0 = 1 + synth_uniform(&r) * (s->h - oh - 2);
	double room = s->w + ow;
	if (vx * (frames - enter) > room)
		vx = room / (frames - enter);
	double vy = (synth_uniform(&r) - 0.5) * 0.2 * vx;
	double ylast = y0 + vy * (frames - enter);
	if (ylast < 0 || ylast > s->h - oh - 1)
		vy = 0;
	if (!dir)
		vx = -vx;
	double xe = dir ? -ow : s->w;	/* just outside at `enter` */
	struct synth_obj *o = synth_add(s, xe - vx * enter, y0 - vy * enter,
	    vx, vy, ow, oh, 0);
	/* Contrast 40..90 against everything it walks over. */
	int contrast = 40 + (int)(synth_uniform(&r) * 50);
	double yl = y0 + vy * (frames - enter);
	o->level = synth_contrast_level(s, 0, (int)(y0 < yl ? y0 : yl),
	    s->w - 1, (int)(y0 > yl ? y0 : yl) + oh, enter, contrast);
	o->texture = texture;
	o->ellipse = seed % 3 == 0;
	o->start = enter;
	return o;
}

static inline double
synth_iou(int ax, int ay, int aw, int ah, int bx, int by, int bw, int bh)
{
	int ix0 = ax > bx ? ax : bx, iy0 = ay > by ? ay : by;
	int ix1 = ax + aw < bx + bw ? ax + aw : bx + bw;
	int iy1 = ay + ah < by + bh ? ay + ah : by + bh;
	double inter = ix1 > ix0 && iy1 > iy0 ?
	    (double)(ix1 - ix0) * (iy1 - iy0) : 0;
	double uni = (double)aw * ah + (double)bw * bh - inter;
	return uni > 0 ? inter / uni : 0;
}

#endif
