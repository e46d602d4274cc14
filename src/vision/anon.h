/*
 * anon.h — anonymize a video so that people in it cannot be recognised.
 *
 *	struct anon_opts o;
 *	anon_opts_default(&o);
 *	enum anon_err e = anon_run(&o, "in.mp4", "out.mp4", "report.json");
 *	if (e != ANON_OK) fprintf(stderr, "%s\n", anon_strerror(e));
 *
 * Every frame is decoded and analysed (faces and people); boxes are
 * enlarged, held over the neighbouring frames (a detection gap of up to
 * hold_frames frames stays masked, thanks to a look-ahead buffer), whole
 * people are masked where no face is found with confidence, user privacy
 * masks are applied, and the masked pixels are replaced irreversibly
 * (solid grey, or coarse blocks plus random noise — never a blur). The
 * output is re-encoded with x264 with no audio, no metadata (creation
 * time, device, GPS: nothing is copied, the muxers write bit-exact
 * headers) and timestamps starting at 0 from the frame count.
 *
 * Fails closed: if a model cannot load, the input cannot be decoded
 * cleanly, or any frame cannot be analysed, nothing is written (the
 * output and report go to temporary files renamed only on success) and
 * the returned code says why.
 */
#ifndef SEALCAM_ANON_H
#define SEALCAM_ANON_H

#define ANON_MAX_MASKS 32
#define ANON_MAX_POLY 32
#define ANON_MAX_FRAMES (10 * 60 * 60 * 60)    /* an hour at 60 fps */
#define ANON_MAX_HOLD 25

enum anon_err {
	ANON_OK = 0,
	ANON_EINVAL,        /* bad options or paths */
	ANON_EMODEL,        /* a detector model could not be loaded */
	ANON_EINPUT,        /* input missing, unreadable, corrupt or without video */
	ANON_EANALYSE,      /* a frame could not be analysed */
	ANON_EENCODE,       /* the encoder or muxer failed */
	ANON_EOUTPUT,       /* output or report could not be written */
	ANON_ENOMEM,
};

enum anon_fill {
	ANON_FILL_PIXELATE,     /* blocks of >= 1/4 box size, mean colour + noise */
	ANON_FILL_SOLID,        /* flat grey */
};

enum anon_people {
	ANON_PEOPLE_UNCERTAIN,  /* whole person unless a confident face is in it */
	ANON_PEOPLE_ALWAYS,     /* every person, whole */
	ANON_PEOPLE_NEVER,      /* faces only */
};

/* A privacy mask: a polygon (n >= 3 points) in input-frame pixels; a
 * rectangle is a 4-point polygon. Applied to every frame. */
struct anon_poly {
	int n;
	float x[ANON_MAX_POLY], y[ANON_MAX_POLY];
};

struct anon_opts {
	const char *node_modules;   /* NULL: default search (vmodels.h) */
	float face_score;           /* detection threshold (low: fail closed) */
	float face_sure;            /* a face this confident spares its person */
	float person_score;
	float face_grow;            /* box enlargement factor for faces */
	float person_grow;
	int hold_frames;            /* keep each box over +-hold_frames frames */
	int analysis_width;         /* frames are analysed at this width (0: native) */
	enum anon_people people;
	enum anon_fill fill;
	int nmasks;
	struct anon_poly masks[ANON_MAX_MASKS];
	int threads;                /* analysis workers (0: one per core, max 8) */
	int crf;                    /* x264 quality, 0-51 */
	const char *preset;         /* x264 preset */
};

void anon_opts_default(struct anon_opts *o);
const char *anon_strerror(enum anon_err e);

/* Anonymize `in` into `out` (format from its extension, e.g. .mp4) and
 * write the JSON report to report_path (NULL: no report). On failure no
 * file exists at out or report_path that this call created. */
enum anon_err anon_run(const struct anon_opts *o, const char *in, const char *out,
                       const char *report_path);

/* ---- lower level, exposed for tests -------------------------------- */

enum anon_kind { ANON_FACE, ANON_PERSON, ANON_PRIVACY };

struct anon_box {
	int x0, y0, x1, y1;         /* frame pixels, x1/y1 exclusive */
	enum anon_kind kind;
	float score;
	int held;                   /* 1: from a neighbouring frame's detection */
	int hold;                   /* kept over +-hold frames (0: the buffer's hold) */
};

/* Temporal hold: detections go in per frame; a frame's final boxes are
 * the union of the detections of frames i-hold .. i+hold (each box's own
 * hold when set, at most the buffer's). Push frame i's detections with
 * anon_hold_push; anon_hold_boxes(h, i, ...) is valid once frame i+hold
 * was pushed (or at end of input). anon_hold_append adds boxes to a frame
 * already pushed and still kept (0 / -1). */
struct anon_hold;
struct anon_hold *anon_hold_new(int hold);
void anon_hold_free(struct anon_hold *h);
int anon_hold_push(struct anon_hold *h, const struct anon_box *b, int n);
int anon_hold_append(struct anon_hold *h, long frame, const struct anon_box *b, int n);
int anon_hold_boxes(const struct anon_hold *h, long frame, struct anon_box *out, int max);

/* Merge boxes of one kind that mostly overlap (intersection >= 60% of
 * the smaller) into the box covering both, in place; returns the new
 * count. Covers at least every pixel the inputs covered. */
int anon_boxes_merge(struct anon_box *b, int n);

/* Fill a rectangle of a YUV 4:2:0 picture irreversibly. */
void anon_fill_yuv420(unsigned char *const plane[3], const int stride[3], int w, int h,
                      const struct anon_box *b, enum anon_fill fill);
/* Fill the pixels inside a polygon the same way. */
void anon_fill_poly_yuv420(unsigned char *const plane[3], const int stride[3], int w, int h,
                           const struct anon_poly *p, enum anon_fill fill);

#endif
