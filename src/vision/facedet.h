/*
 * facedet.h — face detection with models from npm packages, run by the
 * nn runtime at the frame's own aspect ratio (no square letterbox).
 *
 *  FACEDET_BLAZE (default): MediaPipe BlazeFace "back camera" model as
 *    shipped by @vladmandic/human (models/blazeface.json, a TF.js graph).
 *    Anchors every 16 and 32 px, boxes regressed in pixels: it finds faces
 *    down to ~14 px at scale 1. Chosen by measurement, see docs/VISION.md.
 *  FACEDET_TINY: face-api's Tiny Face Detector (Tiny-YOLOv2 with separable
 *    convolutions, uint8 weights, @vladmandic/face-api). Good on faces of
 *    40 px and more, weak below 30 px; kept for comparison.
 *
 *	struct facedet *fd = facedet_new(FACEDET_BLAZE, NULL);
 *	int n = facedet_run(fd, img, 1.0f, FACEDET_DEFAULT_SCORE, boxes, 64);
 */
#ifndef SEALCAM_FACEDET_H
#define SEALCAM_FACEDET_H

#include "nn.h"
#include "vimage.h"

#define FACEDET_MODEL_BLAZE "@vladmandic/human/models/blazeface.json"
#define FACEDET_MODEL_TINY "@vladmandic/face-api/model/tiny_face_detector_model-weights_manifest.json"
#define FACEDET_MAX_BOXES 1024
/* Score threshold measured for recall >= 0.98 at <= 1 false positive per
 * image on the labelled face set (docs/VISION.md). */
#define FACEDET_DEFAULT_SCORE 0.29f

enum facedet_model {
	FACEDET_BLAZE,
	FACEDET_TINY,
};

struct facedet;

/* Load a model from node_modules (NULL: default search, see vmodels.h).
 * NULL on failure (logged) — callers must fail closed. */
struct facedet *facedet_new(enum facedet_model model, const char *node_modules);
void facedet_free(struct facedet *fd);

/* Detect faces in `im` scaled by `scale` first (rounded to 32-pixel
 * cells; > 1 finds smaller faces at quadratic cost). Boxes with score >=
 * min_score, after non-maximum suppression, go to out (at most max, best
 * first) in `im` pixel coordinates. Returns the count, or -1 on error.
 * One facedet must not be used by two threads at once. */
int facedet_run(struct facedet *fd, const struct vimage *im, float scale,
                float min_score, struct nn_box *out, int max);

/* The same on the rectangle (x, y, w, h) of im only (it must lie inside
 * im): e.g. motion regions or the head of a person box at native scale,
 * cheaper than the whole frame. The network sees the rectangle plus image
 * pixels up to the next 32-pixel cell (scale 1), so faces cut by its
 * edges may be missed: callers grow regions by a face size. Boxes are in
 * im coordinates. Returns the count or -1. */
int facedet_run_region(struct facedet *fd, const struct vimage *im, int x, int y, int w, int h,
                       float scale, float min_score, struct nn_box *out, int max);

#endif
