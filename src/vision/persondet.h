/*
 * persondet.h — person (and other COCO object) detection: CenterNet with a
 * MobileNetV3 backbone as shipped by @vladmandic/human
 * (models/centernet.json, a TF.js graph, 80 COCO classes, float16
 * weights), run by the nn runtime at the frame's own aspect ratio.
 *
 *	struct persondet *pd = persondet_new(NULL);
 *	int n = persondet_run(pd, img, 0.8f, PERSONDET_DEFAULT_SCORE, boxes, 64);
 *	boxes[i].cls == PERSONDET_PERSON ...
 */
#ifndef SEALCAM_PERSONDET_H
#define SEALCAM_PERSONDET_H

#include "nn.h"
#include "vimage.h"

#define PERSONDET_MODEL "@vladmandic/human/models/centernet.json"
#define PERSONDET_MAX_BOXES 1024
/* Measured on the hand-labelled vtest frames at a 384-pixel-wide input
 * (docs/VISION.md): recall 0.91, precision 1.0. */
#define PERSONDET_DEFAULT_SCORE 0.3f
#define PERSONDET_NET_WIDTH 384

/* COCO class indices (0-based) the agent cares about. */
enum {
	PERSONDET_PERSON = 0,
	PERSONDET_BICYCLE = 1,
	PERSONDET_CAR = 2,
	PERSONDET_MOTORCYCLE = 3,
	PERSONDET_BUS = 5,
	PERSONDET_TRUCK = 7,
	PERSONDET_BIRD = 14,
	PERSONDET_CAT = 15,
	PERSONDET_DOG = 16,
	PERSONDET_BACKPACK = 24,
	PERSONDET_HANDBAG = 26,
	PERSONDET_SUITCASE = 28,
};

struct persondet;

/* Load the model; NULL on failure (logged) — callers must fail closed. */
struct persondet *persondet_new(const char *node_modules);
void persondet_free(struct persondet *pd);

/* Detect objects in `im` scaled by `scale` (rounded to 32-pixel cells).
 * Objects of class `cls` (-1: every class) with score >= min_score, after
 * per-class non-maximum suppression, go to out (at most max, best first;
 * .cls = COCO index) in `im` pixels. Returns the count or -1. */
int persondet_run(struct persondet *pd, const struct vimage *im, float scale,
                  int cls, float min_score, struct nn_box *out, int max);

/* The same on the rectangle (x, y, w, h) of im only (inside im): e.g. a
 * motion region, at a scale that makes it ~PERSONDET_NET_WIDTH wide.
 * Boxes are in im coordinates. Returns the count or -1. */
int persondet_run_region(struct persondet *pd, const struct vimage *im, int x, int y, int w,
                         int h, float scale, int cls, float min_score, struct nn_box *out,
                         int max);

/* COCO class name for an index ("person", "car", ...), "?" if unknown. */
const char *persondet_class_name(int cls);

#endif
