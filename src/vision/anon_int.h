/*
 * anon_int.h — the anonymizer's run state, shared by anon.c (input,
 * output, the frame pipeline) and anon_work.c (analysis workers).
 *
 * Pipeline: the calling thread demuxes and decodes, puts each frame in a
 * slot of a ring and marks it READY; persistent workers (one per core)
 * take READY slots in frame order, analyse them (faces and people) and
 * mark them DONE; the calling thread pushes DONE slots' boxes into the
 * hold buffer in frame order and, once a frame has hold_frames of
 * look-ahead, masks, encodes and reports it, freeing its slot. Decoding,
 * encoding and both workers overlap, so two cores stay busy.
 */
#ifndef SEALCAM_ANON_INT_H
#define SEALCAM_ANON_INT_H

#include <libavutil/frame.h>
#include <pthread.h>

#include "anon.h"
#include "facedet.h"
#include "persondet.h"
#include "vimage.h"

#define ANON_MAX_DET 128                /* per detector and pass */
#define ANON_MAX_FRAME_BOXES (3 * ANON_MAX_DET)
#define ANON_MAX_WORKERS 8
#define ANON_CELL 32                    /* native pixels per motion / region cell */

enum anon_slot_state { SLOT_FREE, SLOT_READY, SLOT_BUSY, SLOT_DONE, SLOT_FAILED };

struct anon_slot {
	AVFrame *f;             /* the frame at output size, YUV 4:2:0 */
	long fno;
	unsigned char *motion;  /* gw x gh cells, 1: changed since the last frame */
	struct anon_box det[ANON_MAX_FRAME_BOXES];
	int ndet;
	enum anon_slot_state st;
};

struct anon_run;

struct anon_worker {
	struct anon_run *r;
	struct facedet *fd;
	struct persondet *pd;
	struct SwsContext *to_rgb;
	struct vimage *im;      /* analysis picture, aw x ah */
	struct vimage *native;  /* output-size picture for native-scale regions */
	unsigned char *cells;   /* gw x gh scratch */
	int *label, *stack;     /* gw x gh scratch each */
	pthread_t th;
	int started;
	enum anon_err load_err; /* anon_worker_load's result, from its loading thread */
	long native_px;         /* pixels searched at native scale (statistics) */
	double ms[4];           /* thread CPU ms: convert, faces, people, native regions */
};

struct anon_run {
	const struct anon_opts *o;
	int W, H, fps;          /* output (= input, made even) size and rate */
	int aw, ah;             /* whole-frame analysis size */
	int native;             /* aw < W: also search regions at native scale */
	int gw, gh;             /* cells of ANON_CELL pixels */
	int bands;              /* the frame is swept in this many bands */
	int hold;               /* the hold buffer's (longest) hold: 2 * hold_frames if native */
	struct anon_slot *slot;
	int nslot;
	struct anon_worker wk[ANON_MAX_WORKERS];
	int nwk;
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	long decoded;           /* under mu: frames put in slots */
	long next;              /* under mu: next frame a worker takes */
	long pushed;            /* frames whose boxes went to the hold buffer (caller's thread only) */
	int stop;               /* under mu: workers exit */
};

/* Start r->nwk workers (their detectors are loaded already); 0 / -1. */
int anon_workers_start(struct anon_run *r);
/* Stop and join them. */
void anon_workers_stop(struct anon_run *r);
/* Load one worker's detectors (before the input is opened: a missing
 * model is reported as such); ANON_OK or ANON_EMODEL. */
enum anon_err anon_worker_load(struct anon_run *r, struct anon_worker *w);
/* Its pictures and scratch, once sizes are known; ANON_OK or an error. */
enum anon_err anon_worker_prepare(struct anon_run *r, struct anon_worker *w);
void anon_worker_release(struct anon_worker *w);
/* At the end of input, on the calling thread with every worker idle: the
 * whole of frame s searched at native scale (worker 0's detectors); the
 * grown face boxes go to out (at most max). Returns the count or -1. */
int anon_final_scan(struct anon_run *r, const struct anon_slot *s, struct anon_box *out, int max);

#endif
