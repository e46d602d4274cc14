/*
 * motion — motion detection on the luma plane of a (sub)stream.
 *
 *	struct motion_config cfg;
 *	motion_config_default(&cfg);
 *	motion_config_load(&cfg, "/etc/sealcam/cam1-motion.json");   (optional)
 *	struct motion *m = motion_new(&cfg, 640, 360);
 *	for each decoded frame:
 *		motion_feed(m, frame->data[0], frame->linesize[0], pts_ms, &r);
 *		if (r.flags & MOTION_EVENT_START) ... keep packets from r.clip_start_ms
 *		if (r.flags & MOTION_EVENT_END)   ... record until r.clip_end_ms
 *	motion_finish(m, &r);        (closes an open event at end of stream)
 *	motion_free(m);
 *
 * The caller hands over the Y plane at any size; it is box-downscaled by an
 * integer factor to about cfg.work_width pixels wide (640x360 -> 320x180)
 * and everything below runs at that working size. Boxes come back in the
 * caller's frame coordinates. The library keeps no frames or packets: the
 * caller keeps its packet ring and uses the event times reported here for
 * pre- and post-roll. The algorithm is described in docs/MOTION.md.
 *
 * Not thread-safe per instance; separate instances are independent.
 */
#ifndef SEALCAM_MOTION_H
#define SEALCAM_MOTION_H

#include <stddef.h>
#include <stdint.h>

#define MOTION_MAX_BOXES	16	/* boxes reported per frame */
#define MOTION_MAX_ZONES	16	/* zones per camera (bit i = zone i) */
#define MOTION_MAX_MASKS	16	/* ignore polygons per camera */
#define MOTION_MAX_POINTS	32	/* vertices per polygon */
#define MOTION_NAME_MAX		32	/* zone name bytes, with the NUL */
#define MOTION_DESPECKLE_MAX	8	/* despeckle steps, with the NUL */
#define MOTION_MIN_SIZE		16	/* smallest accepted frame side */
#define MOTION_MAX_SIZE		8192	/* largest accepted frame side */
#define MOTION_CONFIG_MAX	(256 * 1024)	/* largest config file, bytes */

/* A polygon in normalised frame coordinates: (0,0) top left, (1,1) bottom
 * right, so the same file works for any substream resolution. */
struct motion_point {
	float x, y;
};

struct motion_polygon {
	char name[MOTION_NAME_MAX];	/* zones: reported name; masks: "" */
	int n;				/* vertices used, 3..MOTION_MAX_POINTS */
	struct motion_point p[MOTION_MAX_POINTS];
};

/*
 * Configuration. motion_config_default() fills sensible values; every field
 * may then be changed. Times are milliseconds of presentation time, so the
 * behaviour does not depend on the frame rate.
 */
struct motion_config {
	int sensitivity;	/* 1..100 (50): maps to the noise multiplier
				   and the threshold floor */
	int threshold;		/* 0 (auto from sensitivity) or a fixed floor
				   of the per-pixel difference, 1..255 */
	float min_area;		/* smallest box, fraction of frame area (0.0005) */
	float merge_distance;	/* join blobs closer than this fraction of the
				   frame width into one box (0.02) */
	int work_width;		/* target working width in pixels (320) */
	int background_ms;	/* background time constant (10000) */
	int still_ms;		/* an object in which nothing changed for this
				   long is still: boxed, but not motion (3000);
				   0 = every box is motion */
	int absorb_ms;		/* a still object joins the background after
				   this long (30000) and is no longer boxed;
				   0 = never */
	int warmup_ms;		/* learn without reporting (1000, >= 8 frames) */
	int start_frames;	/* motion frames in a row to start an event (3) */
	int end_quiet_ms;	/* quiet time that ends an event (5000) */
	int pre_roll_ms;	/* clip starts this long before motion (3000) */
	int post_roll_ms;	/* clip ends this long after motion (2000) */
	float lightswitch;	/* fraction of the frame that changes at once to
				   count as a light/IR switch (0.35); 0 = off */
	int lightswitch_max_ms;	/* longest re-learning period (5000) */
	char despeckle[MOTION_DESPECKLE_MAX];	/* steps: M majority 3x3,
				   E erode 3x3, D dilate 3x3 ("M") */
	int nmasks;
	struct motion_polygon masks[MOTION_MAX_MASKS];	/* ignored areas */
	int nzones;
	struct motion_polygon zones[MOTION_MAX_ZONES];	/* reported areas */
};

/* Fill *cfg with the defaults above. */
void motion_config_default(struct motion_config *cfg);

/*
 * Update *cfg from a JSON object (text of len bytes); keys not present keep
 * their value. Keys: the field names above, plus "masks": [[[x,y],...],...]
 * and "zones": [{"name": "...", "polygon": [[x,y],...]}, ...]. Unknown keys,
 * wrong types and out-of-range values are errors. On error returns -1, writes
 * a message naming the field into err (errlen bytes) and leaves *cfg unchanged.
 */
int motion_config_parse(struct motion_config *cfg, const char *json,
    size_t len, char *err, size_t errlen);

/* The same from a file of at most MOTION_CONFIG_MAX bytes. */
int motion_config_load(struct motion_config *cfg, const char *path,
    char *err, size_t errlen);

/*
 * The whole config as a JSON object (every key, masks and zones), text that
 * motion_config_parse reads back to the same config. malloc'd (the caller
 * frees), NULL on allocation failure.
 */
char *motion_config_dump(const struct motion_config *cfg);

/* 0 if every field is in range, else -1 with a message in err. */
int motion_config_check(const struct motion_config *cfg, char *err,
    size_t errlen);

/* One moving region, in the caller's frame coordinates. */
struct motion_box {
	int x, y, w, h;		/* pixels of the frame given to motion_new */
	int area;		/* changed pixels in it, at working size */
	int moving;		/* 1: changed within still_ms; 0: stopped */
	uint32_t zones;		/* bit i set: touches cfg.zones[i] */
};

/* Flags of a result. */
#define MOTION_MOTION		0x01	/* at least one moving box */
#define MOTION_EVENT_START	0x02	/* an event started (see event_*) */
#define MOTION_EVENT_END	0x04	/* the event ended at this frame */
#define MOTION_EVENT_ACTIVE	0x08	/* an event is open after this frame */
#define MOTION_WARMUP		0x10	/* still learning; nothing reported */
#define MOTION_LIGHTSWITCH	0x20	/* whole-frame change; re-learning */
#define MOTION_COMPENSATED	0x40	/* global gain/offset change absorbed */

struct motion_result {
	int64_t pts_ms;		/* of this frame */
	unsigned flags;		/* MOTION_* above */
	float score;		/* changed fraction of the unmasked frame */
	uint32_t zones;		/* union of the boxes' zones */
	int nboxes;		/* largest first */
	struct motion_box box[MOTION_MAX_BOXES];

	/* Event bookkeeping: valid while MOTION_EVENT_ACTIVE, and in the frame
	 * that reports MOTION_EVENT_END. */
	uint32_t event_id;	/* 1, 2, ... per instance */
	int64_t event_start_ms;	/* first motion frame of the event */
	int64_t event_end_ms;	/* last motion frame (at END) */
	int64_t clip_start_ms;	/* event_start_ms - pre_roll_ms */
	int64_t clip_end_ms;	/* event_end_ms + post_roll_ms (at END) */
	uint32_t event_zones;	/* union of zones over the event so far */
	float event_score;	/* highest frame score in the event so far */
	int event_frames;	/* motion frames in the event so far */
};

struct motion;

/*
 * New detector for frames of width x height (MOTION_MIN_SIZE..MAX_SIZE).
 * The config is copied and checked. Returns NULL on a bad config (logged)
 * or out of memory.
 */
struct motion *motion_new(const struct motion_config *cfg, int width,
    int height);

/*
 * Process one frame: y points at the top-left luma sample, stride bytes
 * between rows (>= width), pts_ms its presentation time (non-decreasing).
 * Fills *r. Returns 0, or -1 on bad arguments (nothing changed).
 */
int motion_feed(struct motion *m, const uint8_t *y, int stride,
    int64_t pts_ms, struct motion_result *r);

/* End of stream: close an open event (MOTION_EVENT_END in *r, which carries
 * no boxes). Returns 1 if an event was closed, 0 if none was open. */
int motion_finish(struct motion *m, struct motion_result *r);

/* Working size chosen for the frame size (after the integer downscale). */
void motion_work_size(const struct motion *m, int *w, int *h);

/* Name of zone i, or NULL. */
const char *motion_zone_name(const struct motion *m, int i);

void motion_free(struct motion *m);

#endif
