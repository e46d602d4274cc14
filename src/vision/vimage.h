/*
 * vimage.h — packed RGB24 images for the detectors: load any picture or
 * the first frame of a video with FFmpeg (JPEG via the mjpeg decoder),
 * scale with libswscale, and turn into a normalised nn_tensor.
 */
#ifndef SEALCAM_VIMAGE_H
#define SEALCAM_VIMAGE_H

#include <stdint.h>

#include "nn.h"

#define VIMAGE_MAX_DIM 8192

struct vimage {
	int w, h;
	int stride;         /* bytes per row (>= 3 * w) */
	uint8_t *px;        /* RGB24; owned */
};

/* Allocate (contents zero); NULL on bad size or no memory. */
struct vimage *vimage_new(int w, int h);
void vimage_free(struct vimage *im);
struct vimage *vimage_copy(const struct vimage *im);

/* Decode the first frame of a file FFmpeg can read (JPEG, PNG, video).
 * NULL on error (logged). */
struct vimage *vimage_load(const char *path);

/* Decode the frames with the given (ascending) indices of a video into
 * out[0..n-1] (each scaled to w x h, or native size when w == 0).
 * Returns 0, or -1 (logged; out[] then holds nothing). */
int vimage_load_frames(const char *path, const int *idx, int n, int w, int h,
                       struct vimage **out);

/* Write as binary PPM (debugging, tests). 0 / -1. */
int vimage_save_ppm(const struct vimage *im, const char *path);

/* Scaled copy (bilinear, area-averaging when shrinking); NULL on error. */
struct vimage *vimage_scale(const struct vimage *im, int w, int h);

/* Convert an RGB image to a float tensor of the same size:
 * t = (pixel - mean[c]) * scale. `out` is initialised here. */
int vimage_to_tensor(const struct vimage *im, const float mean[3], float scale,
                     struct nn_tensor *out);

#endif
