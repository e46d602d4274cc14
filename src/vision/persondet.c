/*
 * persondet.c — CenterNet (human src/object/centernet.ts) in the nn runtime.
 *
 * The graph ends in two maps at stride 4: "keypoints" (sigmoid heat per
 * class, 80 channels; read here before its sigmoid, as logits) and "wh" (distances from the centre to the left, top,
 * right and bottom edges, already in input pixels). The model's own tail
 * (3x3 max-pool peak test, top-100, gather) is done here in C instead:
 * a peak is a cell whose score equals the maximum of its 3x3 neighbourhood;
 * its box is (4x - l, 4y - t, 4x + r, 4y + b). Per-class NMS at IoU 0.5
 * follows, as human does.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nn_model.h"
#include "persondet.h"
#include "vmodels.h"

#define ALIGN 32
#define NMS_IOU 0.5f

/* The class logits before the graph's sigmoid ("tower_0/keypoints" is
 * sigmoid of this): peaks and thresholds are tested on logits (the
 * sigmoid is monotonic) and only a peak's score is put through it. */
static const char *const OUTPUTS[2] = {
	"tower_0/CenternetHead/centernet_cls_output/BiasAdd", "tower_0/wh",
};

static const char *const COCO[80] = {
	"person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck",
	"boat", "traffic light", "fire hydrant", "stop sign", "parking meter", "bench",
	"bird", "cat", "dog", "horse", "sheep", "cow", "elephant", "bear", "zebra",
	"giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
	"skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove",
	"skateboard", "surfboard", "tennis racket", "bottle", "wine glass", "cup",
	"fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich", "orange",
	"broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
	"potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse",
	"remote", "keyboard", "cell phone", "microwave", "oven", "toaster", "sink",
	"refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
	"hair drier", "toothbrush",
};

struct persondet {
	struct nn_graph *g;
	struct nn_box *cand;
	int ncand;
};

const char *persondet_class_name(int cls)
{
	return cls >= 0 && cls < 80 ? COCO[cls] : "?";
}

struct persondet *persondet_new(const char *node_modules)
{
	char path[VMODELS_PATH_MAX];
	struct persondet *pd = calloc(1, sizeof(*pd));

	if (pd == NULL)
		return NULL;
	if (vmodels_path(node_modules, PERSONDET_MODEL, path, sizeof(path)) != 0 ||
	    (pd->g = nn_graph_load(path, OUTPUTS, 2)) == NULL) {
		log_err("persondet", "err=\"person model unavailable\"");
		persondet_free(pd);
		return NULL;
	}
	return pd;
}

void persondet_free(struct persondet *pd)
{
	if (pd == NULL)
		return;
	nn_graph_free(pd->g);
	free(pd->cand);
	free(pd);
}

/* Is heat[y][x][c] the maximum of its 3x3 neighbourhood? */
static int is_peak(const struct nn_tensor *h, int y, int x, int c, float v)
{
	for (int dy = -1; dy <= 1; dy++)
		for (int dx = -1; dx <= 1; dx++) {
			int yy = y + dy, xx = x + dx;
			if (yy < 0 || yy >= h->h || xx < 0 || xx >= h->w)
				continue;
			if (h->d[((size_t)yy * h->w + xx) * h->c + c] > v)
				return 0;
		}
	return 1;
}

int persondet_run_region(struct persondet *pd, const struct vimage *im, int rx, int ry, int w,
                         int h, float scale, int cls, float min_score, struct nn_box *out, int max)
{
	static const float mean[3] = { 0, 0, 0 };
	struct vimage *crop = NULL, *scaled = NULL;
	const struct vimage *src = im;
	struct nn_tensor t = { 0 }, o[2] = { { 0 } };
	int sw, sh, n = 0, ret = -1;

	if (scale <= 0.f || scale > 8.f || max < 0 || cls >= 80 || rx < 0 || ry < 0 || w < 1 ||
	    h < 1 || rx > im->w - w || ry > im->h - h)
		return -1;
	/* Scaled and stretched to whole 32-pixel cells (at most 16 pixels). */
	sw = (int)lrintf(w * scale / ALIGN) * ALIGN;
	sh = (int)lrintf(h * scale / ALIGN) * ALIGN;
	if (sw < ALIGN)
		sw = ALIGN;
	if (sh < ALIGN)
		sh = ALIGN;
	if (sw > NN_MAX_DIM || sh > NN_MAX_DIM)
		return -1;
	if (rx || ry || w != im->w || h != im->h) {
		if ((crop = vimage_new(w, h)) == NULL)
			goto out;
		for (int r = 0; r < h; r++)
			memcpy(crop->px + (size_t)r * crop->stride,
			       im->px + (size_t)(ry + r) * im->stride + (size_t)rx * 3, (size_t)w * 3);
		src = crop;
	}
	if (sw != w || sh != h) {
		if ((scaled = vimage_scale(src, sw, sh)) == NULL)
			goto out;
		src = scaled;
	}
	/* The graph takes pixel values 0..255 (its first convolution has the
	 * normalisation folded in). */
	/* One class asked for: the last layer computes its block of 16. */
	int c0 = cls < 0 ? 0 : cls, c1 = cls < 0 ? 80 : cls + 1, first = 0;
	if (nn_graph_limit_output(pd->g, 0, cls < 0 ? 0 : c0, cls < 0 ? 0 : c1, &first) != 0)
		goto out;
	if (vimage_to_tensor(src, mean, 1.f, &t) != 0 || nn_graph_run(pd->g, &t, o) != 0)
		goto out;
	const struct nn_tensor *heat = &o[0], *wh = &o[1];
	if (heat->c < c1 - first || heat->c > 80 || wh->c != 4 || heat->h != wh->h || heat->w != wh->w)
		goto out;
	float stride = (float)sh / heat->h, fx = (float)w / sw, fy = (float)h / sh;
	/* score >= min_score  <=>  logit >= log(s / (1 - s)) */
	float lmin = min_score <= 0.f ? -INFINITY : min_score >= 1.f ? INFINITY :
	             logf(min_score / (1.f - min_score));
	for (int y = 0; y < heat->h; y++)
		for (int x = 0; x < heat->w; x++)
			for (int c = c0; c < c1; c++) {
				float v = heat->d[((size_t)y * heat->w + x) * heat->c + c - first];
				if (v < lmin || !is_peak(heat, y, x, c - first, v))
					continue;
				if (n == pd->ncand) {
					int nc = pd->ncand ? pd->ncand * 2 : 256;
					struct nn_box *g;
					if (nc > PERSONDET_MAX_BOXES * 16)
						goto done;
					g = realloc(pd->cand, nc * sizeof(*g));
					if (g == NULL)
						goto out;
					pd->cand = g;
					pd->ncand = nc;
				}
				const float *d = wh->d + ((size_t)y * wh->w + x) * 4;
				float cx = x * stride, cy = y * stride;
				pd->cand[n++] = (struct nn_box){
					.x0 = (cx - d[0]) * fx + rx, .y0 = (cy - d[1]) * fy + ry,
					.x1 = (cx + d[2]) * fx + rx, .y1 = (cy + d[3]) * fy + ry,
					.score = nn_sigmoid(v), .cls = c,
				};
			}
done:
	n = nn_nms(pd->cand, n, NMS_IOU);
	if (n > max)
		n = max;
	if (n > 0)
		memcpy(out, pd->cand, n * sizeof(*out));
	ret = n;
out:
	nn_tensor_release(&o[0]);
	nn_tensor_release(&o[1]);
	nn_tensor_release(&t);
	vimage_free(crop);
	vimage_free(scaled);
	return ret;
}

int persondet_run(struct persondet *pd, const struct vimage *im, float scale,
                  int cls, float min_score, struct nn_box *out, int max)
{
	return persondet_run_region(pd, im, 0, 0, im->w, im->h, scale, cls, min_score, out, max);
}
