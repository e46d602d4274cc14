/*
 * motion_int.h — internals shared by motion*.c; not part of the API.
 *
 * Fixed-point conventions (all at working size, row-major, w bytes a row):
 *	bg     uint16, grey level * 128 (7 fractional bits, max 32640)
 *	dev    uint8,  mean absolute deviation * 8 (3 fractional bits)
 *	since  uint16, tick at which the pixel was last background
 *	bgi    uint8,  bg >> 7 (what motion_detect compares with)
 *	tl     uint8,  per-pixel threshold k * dev, 255 under a mask
 *	act    uint8,  0xff where detection applies, 0 under a mask
 *	fg     uint8,  1 foreground, 0 background
 */
#ifndef SEALCAM_MOTION_INT_H
#define SEALCAM_MOTION_INT_H

#include <stdint.h>

#include "motion.h"

#define MOTION_BG_SHIFT	7
#define MOTION_BG_MAX	(255 << MOTION_BG_SHIFT)
#define MOTION_LEARN_MS	200	/* learn at most this often (5 Hz) */

/* The per-pixel state, all w x h. */
struct motion_planes {
	uint16_t *bg, *since;
	uint8_t *bgi, *dev, *tl, *act, *fg;
};

/* Per-frame parameters of the classify-and-learn kernel. */
struct motion_px {
	int16_t a;		/* learning rate * 65536, 1..32767 */
	uint8_t kq;		/* noise multiplier * 4 (threshold = dev*kq/32) */
	uint16_t now;		/* current tick */
	uint16_t absorb;	/* ticks of foreground before absorbing */
	uint8_t absorb_on;	/* 0: never absorb */
	uint8_t learn_dev;	/* 0: keep dev (right after a light switch) */
};

/* One run of foreground pixels in a row: [x0, x1). A root run also holds
 * its component's sums. */
struct motion_run {
	uint16_t y, x0, x1;
	uint16_t zones;		/* root: zone bits of the component */
	int32_t parent;		/* union-find over runs */
	int32_t area;		/* root: pixels of the component */
	uint16_t bx0, by0, bx1, by1;	/* root: bounding box, inclusive */
	int32_t ecur, ebg, ne;	/* root: contrast across its border in the
				   frame and in the background, samples */
};

/* A connected component or a merged group of them, working coordinates. */
struct motion_blob {
	int x0, y0, x1, y1;	/* inclusive */
	int area;
	uint32_t zones;
};

/* motion_pixel.c — the vectorised per-pixel kernels. */
void motion_downscale(const uint8_t *src, int stride, int f, uint8_t *dst,
    int w, int h, uint16_t *acc);
/* Returns the number of foreground pixels. */
unsigned motion_detect(const uint8_t *cur, int cstride, const uint8_t *bgi,
    const uint8_t *tl, uint8_t *fg, int w, int h, uint8_t floor);
void motion_learn(const uint8_t *cur, int cstride, struct motion_planes *pl,
    int w, int h, const struct motion_px *p);
void motion_snap(const uint8_t *cur, int cstride, struct motion_planes *pl,
    int w, int h, uint16_t now);
void motion_bg_offset(uint16_t *bg, uint8_t *bgi, int n, int off);
void motion_bg_gain(uint16_t *bg, uint8_t *bgi, int n, int g256);
void motion_erode(const uint8_t *in, uint8_t *out, uint8_t *tmp, int w, int h);
void motion_dilate(const uint8_t *in, uint8_t *out, uint8_t *tmp, int w,
    int h);
void motion_majority(const uint8_t *in, uint8_t *out, uint8_t *tmp, int w,
    int h);

/* motion_blob.c — connected components, ghosts, boxes, merging. */
#define MOTION_FRAGS_MAX 256

struct motion_blobctx {
	const uint8_t *fg;	/* despeckled mask, w x h */
	int w, h;
	const uint16_t *zonemap;	/* or NULL */
	const uint8_t *cur;	/* the frame (cs bytes a row) and the */
	int cs;			/* background, to tell ghosts from objects */
	uint16_t *bg, *since;
	uint8_t *bgi;
	uint16_t now;
	int shrink;		/* net dilation of the despeckle steps */
	int ghosts;		/* 1: find and absorb ghosts */
	struct motion_run *runs;	/* h * (w / 2 + 1) entries */
	struct motion_blob *frag;	/* MOTION_FRAGS_MAX entries */
	int min_frag, merge_px, min_area;	/* pixels */
	int changed;		/* out: foreground pixels, ghosts excluded */
	int nghosts;		/* out: components absorbed as ghosts */
};

/* Boxes of at least min_area into out (at most maxout), largest first;
 * returns their number. */
int motion_blobs(struct motion_blobctx *c, struct motion_blob *out,
    int maxout);

/* motion_global.c — whole-frame statistics on a sparse grid of samples. */
#define MOTION_SAMPLES_WANTED 1024

struct motion_global {
	int n;			/* samples (unmasked grid points) */
	uint16_t *sx, *sy;	/* their working coordinates */
	uint8_t *prev;		/* previous frame at the samples */
	uint8_t *x, *b;		/* this frame and background at the samples */
};

struct motion_gstat {
	int n;			/* samples used; 0: no statistics */
	int thr;		/* difference counted as a change */
	float raw;		/* fraction differing from the background */
	float fd;		/* fraction differing from the previous frame */
	float noise;		/* noise (mean |x - bg|) estimated from x - bg */
	float fd_noise;		/* the same estimated from x - previous */
	int use_gain;		/* compensation: gain (1) or offset (0) */
	int offset;		/* grey levels */
	int gain256;		/* gain * 256 */
	float comp;		/* fraction still differing after it */
};

enum motion_gdecision {
	MOTION_G_NONE,		/* nothing global: detect as usual */
	MOTION_G_COMPENSATE,	/* exposure change: adjust the background */
	MOTION_G_SWITCH,	/* light/IR switch: re-learn, report nothing */
};

int motion_global_init(struct motion_global *g, const uint8_t *act, int w,
    int h);
void motion_global_free(struct motion_global *g);
void motion_global_sample(struct motion_global *g, const uint8_t *cur,
    int cs);
void motion_global_stats(struct motion_global *g, const uint8_t *cur, int cs,
    const uint16_t *bg, int w, int thr, struct motion_gstat *st);
/* base: the changed fraction of recent ordinary frames (objects). */
enum motion_gdecision motion_global_decide(const struct motion_global *g,
    struct motion_gstat *st, float base, float lightswitch);
void motion_global_commit(struct motion_global *g);

/* motion_event.c — event hysteresis. */
struct motion_ev {
	int run;		/* motion frames in a row */
	int64_t run_start;	/* pts of the first of them */
	uint32_t run_zones;
	float run_score;
	int active;		/* an event is open */
	uint32_t id;		/* of the last event */
	int64_t start, last;	/* first and last motion frame of the event */
	uint32_t zones;
	float score;
	int frames;
};

/* Account a frame (motion: it had boxes; r->pts_ms, zones and score set)
 * and fill the event fields and flags of *r. */
void motion_event_update(struct motion_ev *e, const struct motion_config *c,
    int motion, struct motion_result *r);
/* Close an open event into *r; 1 if one was open. */
int motion_event_finish(struct motion_ev *e, const struct motion_config *c,
    struct motion_result *r);

/* motion_track.c — is a box moving or still? Boxes are matched to the
 * previous frame's by overlap; a track whose box has not changed by more
 * than a small tolerance for still_ms is still. */
#define MOTION_TRACKS_MAX 32

struct motion_track {
	struct motion_blob ref;	/* box when it last changed */
	struct motion_blob box;	/* box now */
	int64_t changed;	/* pts of that change */
	int64_t seen;		/* pts it was last matched */
};

struct motion_tracks {
	int n;
	struct motion_track t[MOTION_TRACKS_MAX];
};

/* Match this frame's blobs (working coordinates) and set moving[i]. */
void motion_track_update(struct motion_tracks *tr, const struct motion_blob *b,
    int nb, int64_t pts, int still_ms, int *moving);

/* motion_config.c — polygon rasterising at working size. */
int motion_poly_inside(const struct motion_polygon *poly, float x, float y);

#endif
