/*
 * facedet.c — face-api Tiny Face Detector in the nn runtime.
 *
 * Network (face-api src/tinyYolov2/TinyYolov2Base.ts, runMobilenet):
 *   x = (rgb - MEAN_RGB) / 255
 *   conv0 3x3 valid 3->16 + bias, leaky 0.1; maxpool 2/2 same
 *   conv1..conv5: depthwise 3x3 same (no bias) -> pointwise + bias, leaky;
 *                 maxpool 2/2 same after conv1..conv4, 2/1 same after conv5
 *   conv8 1x1 512->25 + bias: 5 anchors x (tx, ty, tw, th, score)
 * Decoding (extractBoxes): centre = (cell + sigmoid(t)) * cell size,
 * size = exp(t) * anchor * cell size, score = sigmoid; NMS at IoU 0.4.
 *
 * BlazeFace (human src/face/blazeface.ts): input rgb / 127.5 - 1; two heads,
 * stride 16 with 2 anchors and stride 32 with 6, each anchor a logit and 16
 * regressors: centre offset (x, y) from the cell centre and size (w, h) in
 * input pixels, then 6 landmarks (unused). NMS at IoU 0.3.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facedet.h"
#include "log.h"
#include "nn_model.h"
#include "vmodels.h"

#define BLAZE_IOU 0.3f
#define NANCHORS 5
#define LEAKY 0.1f
#define NMS_IOU 0.4f
#define ALIGN 32

static const float ANCHORS[NANCHORS][2] = {
	{ 1.603231f, 2.094468f }, { 6.041143f, 7.080126f }, { 2.882459f, 3.518061f },
	{ 4.266906f, 5.178857f }, { 9.041765f, 10.66308f },
};
static const float MEAN_RGB[3] = { 117.001f, 114.697f, 97.404f };
static const int FILTERS[7] = { 3, 16, 32, 64, 128, 256, 512 };

static const char *const BLAZE_OUT[4] = {
	"StatefulPartitionedCall/functional_1/conv2d_33/BiasAdd",   /* cls, stride 16 */
	"StatefulPartitionedCall/functional_1/conv2d_35/BiasAdd",   /* reg, stride 16 */
	"StatefulPartitionedCall/functional_1/conv2d_34/BiasAdd",   /* cls, stride 32 */
	"StatefulPartitionedCall/functional_1/conv2d_36/BiasAdd",   /* reg, stride 32 */
};

struct facedet {
	enum facedet_model model;
	struct nn_graph *blaze;
	struct nn_conv conv0;
	struct nn_dwconv dw[5];
	struct nn_conv pw[5];
	struct nn_conv conv8;
	struct nn_box *cand;    /* scratch for candidates */
	int ncand;
};

struct facedet *facedet_new(enum facedet_model model, const char *node_modules)
{
	char path[VMODELS_PATH_MAX], name[64];
	struct nn_weights *w = NULL;
	struct facedet *fd;
	const float *f, *b;

	fd = calloc(1, sizeof(*fd));
	if (fd == NULL)
		return NULL;
	fd->model = model;
	if (model == FACEDET_BLAZE) {
		if (vmodels_path(node_modules, FACEDET_MODEL_BLAZE, path, sizeof(path)) != 0 ||
		    (fd->blaze = nn_graph_load(path, BLAZE_OUT, 4)) == NULL)
			goto err;
		return fd;
	}
	if (vmodels_path(node_modules, FACEDET_MODEL_TINY, path, sizeof(path)) != 0)
		goto err;
	w = nn_weights_load(path);
	if (w == NULL)
		goto err;

	f = nn_weights_need(w, "conv0/filters", 3 * 3 * 3 * 16);
	b = nn_weights_need(w, "conv0/bias", 16);
	if (!f || !b || nn_conv_init(&fd->conv0, f, b, 3, 3, 3, 16, 1, 1, NN_PAD_VALID,
	                             NN_ACT_LEAKY, LEAKY) != 0)
		goto err;
	for (int i = 0; i < 5; i++) {
		int cin = FILTERS[i + 1], cout = FILTERS[i + 2];
		const float *dwf, *pwf, *bias;

		snprintf(name, sizeof(name), "conv%d/depthwise_filter", i + 1);
		dwf = nn_weights_need(w, name, 9 * (size_t)cin);
		snprintf(name, sizeof(name), "conv%d/pointwise_filter", i + 1);
		pwf = nn_weights_need(w, name, (size_t)cin * cout);
		snprintf(name, sizeof(name), "conv%d/bias", i + 1);
		bias = nn_weights_need(w, name, cout);
		if (!dwf || !pwf || !bias ||
		    nn_dwconv_init(&fd->dw[i], dwf, NULL, 3, 3, cin, 1, 1, NN_PAD_SAME,
		                   NN_ACT_NONE, 0) != 0 ||
		    nn_conv_init(&fd->pw[i], pwf, bias, 1, 1, cin, cout, 1, 1, NN_PAD_SAME,
		                 NN_ACT_LEAKY, LEAKY) != 0)
			goto err;
	}
	f = nn_weights_need(w, "conv8/filters", 512 * 25);
	b = nn_weights_need(w, "conv8/bias", 25);
	if (!f || !b || nn_conv_init(&fd->conv8, f, b, 1, 1, 512, 25, 1, 1, NN_PAD_SAME,
	                             NN_ACT_NONE, 0) != 0)
		goto err;
	nn_weights_free(w);
	return fd;
err:
	log_err("facedet", "err=\"face model unavailable\"");
	nn_weights_free(w);
	facedet_free(fd);
	return NULL;
}

void facedet_free(struct facedet *fd)
{
	if (fd == NULL)
		return;
	nn_graph_free(fd->blaze);
	nn_conv_release(&fd->conv0);
	for (int i = 0; i < 5; i++) {
		nn_dwconv_release(&fd->dw[i]);
		nn_conv_release(&fd->pw[i]);
	}
	nn_conv_release(&fd->conv8);
	free(fd->cand);
	free(fd);
}

/* Replace *t by op(*t); the old tensor is released either way. */
#define STEP(call) do { struct nn_tensor nt_; int r_ = (call); \
	nn_tensor_release(&t); if (r_ != 0) goto err; t = nt_; } while (0)

static int forward(struct facedet *fd, const struct vimage *im, struct nn_tensor *out)
{
	struct nn_tensor t = { 0 };

	if (vimage_to_tensor(im, MEAN_RGB, 1.f / 255.f, &t) != 0)
		return -1;
	STEP(nn_conv_run(&fd->conv0, &t, &nt_));
	STEP(nn_maxpool(&t, &nt_, 2, 2, NN_PAD_SAME));
	for (int i = 0; i < 5; i++) {
		STEP(nn_dwconv_run(&fd->dw[i], &t, &nt_));
		STEP(nn_conv_run(&fd->pw[i], &t, &nt_));
		STEP(nn_maxpool(&t, &nt_, 2, i < 4 ? 2 : 1, NN_PAD_SAME));
	}
	STEP(nn_conv_run(&fd->conv8, &t, &nt_));
	*out = t;
	return 0;
err:
	return -1;
}

static int ensure_cand(struct facedet *fd, int n)
{
	if (fd->ncand >= n)
		return 0;
	free(fd->cand);
	fd->ncand = 0;
	fd->cand = malloc((size_t)n * sizeof(*fd->cand));
	if (fd->cand == NULL)
		return -1;
	fd->ncand = n;
	return 0;
}

/* Tiny Face Detector: decode the 5-anchor YOLO grid. */
static int tiny_detect(struct facedet *fd, const struct vimage *scaled,
                       float fx, float fy, float min_score)
{
	struct nn_tensor o = { 0 };
	int n = 0;
	float cw, ch;

	if (forward(fd, scaled, &o) != 0)
		return -1;
	cw = (float)scaled->w / o.w;
	ch = (float)scaled->h / o.h;
	if (ensure_cand(fd, o.h * o.w * NANCHORS) != 0) {
		nn_tensor_release(&o);
		return -1;
	}
	for (int y = 0; y < o.h; y++)
		for (int x = 0; x < o.w; x++)
			for (int a = 0; a < NANCHORS; a++) {
				const float *v = o.d + ((size_t)(y * o.w + x) * NANCHORS + a) * 5;
				float score = nn_sigmoid(v[4]), cx, cy, bw, bh;
				if (score < min_score)
					continue;
				cx = (x + nn_sigmoid(v[0])) * cw;
				cy = (y + nn_sigmoid(v[1])) * ch;
				bw = expf(v[2] > 8.f ? 8.f : v[2]) * ANCHORS[a][0] * cw;
				bh = expf(v[3] > 8.f ? 8.f : v[3]) * ANCHORS[a][1] * ch;
				fd->cand[n++] = (struct nn_box){
					.x0 = (cx - bw / 2) * fx, .y0 = (cy - bh / 2) * fy,
					.x1 = (cx + bw / 2) * fx, .y1 = (cy + bh / 2) * fy,
					.score = score, .cls = 0,
				};
			}
	nn_tensor_release(&o);
	return nn_nms(fd->cand, n, NMS_IOU);
}

/* BlazeFace: two anchor grids, boxes regressed in input pixels. */
static int blaze_detect(struct facedet *fd, const struct vimage *scaled,
                        float fx, float fy, float min_score)
{
	static const float mean[3] = { 127.5f, 127.5f, 127.5f };
	struct nn_tensor t = { 0 }, o[4] = { { 0 } };
	int n = 0, ret = -1;

	if (vimage_to_tensor(scaled, mean, 1.f / 127.5f, &t) != 0)
		return -1;
	if (nn_graph_run(fd->blaze, &t, o) != 0)
		goto out;
	if (ensure_cand(fd, (int)(nn_tensor_size(&o[0]) + nn_tensor_size(&o[2]))) != 0)
		goto out;
	for (int l = 0; l < 2; l++) {
		const struct nn_tensor *cl = &o[2 * l], *rg = &o[2 * l + 1];
		int A = cl->c;
		float stride = (float)scaled->h / cl->h;
		if (rg->h != cl->h || rg->w != cl->w || rg->c != A * 16)
			goto out;
		for (int y = 0; y < cl->h; y++)
			for (int x = 0; x < cl->w; x++)
				for (int a = 0; a < A; a++) {
					size_t i = ((size_t)y * cl->w + x) * A + a;
					float score = nn_sigmoid(cl->d[i]);
					if (score < min_score)
						continue;
					const float *r = rg->d + i * 16;
					float cx = (x + 0.5f) * stride + r[0];
					float cy = (y + 0.5f) * stride + r[1];
					float w = r[2] > 0 ? r[2] : 0, h = r[3] > 0 ? r[3] : 0;
					fd->cand[n++] = (struct nn_box){
						.x0 = (cx - w / 2) * fx, .y0 = (cy - h / 2) * fy,
						.x1 = (cx + w / 2) * fx, .y1 = (cy + h / 2) * fy,
						.score = score, .cls = 0,
					};
				}
	}
	ret = nn_nms(fd->cand, n, BLAZE_IOU);
out:
	for (int i = 0; i < 4; i++)
		nn_tensor_release(&o[i]);
	nn_tensor_release(&t);
	return ret;
}

/* The picture the network sees: rectangle (x, y, w, h) of im scaled to
 * sw x sh, then grown right and down to whole 32-pixel cells — with the
 * image's own pixels where it has them at scale 1, grey elsewhere (grey
 * is zero after normalisation; padding, unlike stretching to the cell
 * grid, leaves small faces unresampled). */
static struct vimage *net_input(const struct vimage *im, int x, int y, int w, int h,
                                int sw, int sh)
{
	int pw = (sw + ALIGN - 1) / ALIGN * ALIGN, ph = (sh + ALIGN - 1) / ALIGN * ALIGN;
	struct vimage *crop = NULL, *scaled = NULL, *net = vimage_new(pw, ph);
	const struct vimage *src = im;
	int sx = x, sy = y, cw, ch;

	if (net == NULL)
		return NULL;
	memset(net->px, 127, (size_t)net->stride * net->h);
	if (sw != w || sh != h) {
		crop = vimage_new(w, h);
		if (crop == NULL)
			goto err;
		for (int r = 0; r < h; r++)
			memcpy(crop->px + (size_t)r * crop->stride,
			       im->px + (size_t)(y + r) * im->stride + (size_t)x * 3, (size_t)w * 3);
		scaled = vimage_scale(crop, sw, sh);
		if (scaled == NULL)
			goto err;
		src = scaled;
		sx = sy = 0;
		cw = sw;
		ch = sh;
	} else {
		/* Scale 1: context from the image up to the cell boundary. */
		cw = im->w - x < pw ? im->w - x : pw;
		ch = im->h - y < ph ? im->h - y : ph;
	}
	for (int r = 0; r < ch; r++)
		memcpy(net->px + (size_t)r * net->stride,
		       src->px + (size_t)(sy + r) * src->stride + (size_t)sx * 3, (size_t)cw * 3);
	vimage_free(crop);
	vimage_free(scaled);
	return net;
err:
	vimage_free(crop);
	vimage_free(scaled);
	vimage_free(net);
	return NULL;
}

int facedet_run_region(struct facedet *fd, const struct vimage *im, int x, int y, int w, int h,
                       float scale, float min_score, struct nn_box *out, int max)
{
	struct vimage *net;
	int sw, sh, n;

	if (scale <= 0.f || scale > 8.f || max < 0 || x < 0 || y < 0 || w < 1 || h < 1 ||
	    x > im->w - w || y > im->h - h)
		return -1;
	sw = (int)lrintf(w * scale);
	sh = (int)lrintf(h * scale);
	if (sw < 1 || sh < 1 || sw > NN_MAX_DIM - ALIGN || sh > NN_MAX_DIM - ALIGN)
		return -1;
	net = net_input(im, x, y, w, h, sw, sh);
	if (net == NULL)
		return -1;
	/* Boxes come back in network pixels times f (f = region / scaled). */
	if (fd->model == FACEDET_BLAZE)
		n = blaze_detect(fd, net, (float)w / sw, (float)h / sh, min_score);
	else
		n = tiny_detect(fd, net, (float)w / sw, (float)h / sh, min_score);
	vimage_free(net);
	if (n < 0)
		return -1;
	if (n > max)
		n = max;
	for (int i = 0; i < n; i++) {
		out[i] = fd->cand[i];
		out[i].x0 += x;
		out[i].x1 += x;
		out[i].y0 += y;
		out[i].y1 += y;
	}
	return n;
}

int facedet_run(struct facedet *fd, const struct vimage *im, float scale,
                float min_score, struct nn_box *out, int max)
{
	return facedet_run_region(fd, im, 0, 0, im->w, im->h, scale, min_score, out, max);
}
