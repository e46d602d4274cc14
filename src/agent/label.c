#include "label.h"

#include <math.h>
#include <stdlib.h>

#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>

#include "log.h"
#include "persondet.h"
#include "vimage.h"

#define LABEL_UPSCALE_MAX 2.0	/* enlarge a small region at most this much */
#define LABEL_CELL 32

struct label {
	struct persondet *pd;
	struct nn_box box[64];
};

struct label *
label_new(const char *node_modules)
{
	struct label *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	if ((l->pd = persondet_new(node_modules)) == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

void
label_free(struct label *l)
{
	if (l == NULL)
		return;
	persondet_free(l->pd);
	free(l);
}

/* COCO class -> agent label, -1 for the rest. */
static int
map_class(int cls)
{
	switch (cls) {
	case PERSONDET_PERSON:
		return EVENTS_PERSON;
	case PERSONDET_CAR: case PERSONDET_TRUCK: case PERSONDET_BUS:
	case PERSONDET_MOTORCYCLE:
		return EVENTS_CAR;
	case PERSONDET_BIRD: case PERSONDET_CAT: case PERSONDET_DOG:
	case 17: case 18: case 19: case 21:	/* horse, sheep, cow, bear */
		return EVENTS_ANIMAL;
	default:
		return -1;
	}
}

static int
clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int
label_run(struct label *l, const AVFrame *f, const struct motion_result *r,
    float min_score, struct events_obj *out, int max)
{
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
	int x0 = f->width, y0 = f->height, x1 = 0, y1 = 0, any = 0;
	int rw, rh, nw, nh, n, k = 0, cw, ch;
	struct SwsContext *sws = NULL;
	struct vimage *im = NULL;
	const uint8_t *src[4] = { NULL };
	int srcls[4] = { 0 };
	double s;

	if (desc == NULL || (desc->flags & AV_PIX_FMT_FLAG_RGB) ||
	    !(desc->flags & AV_PIX_FMT_FLAG_PLANAR) || desc->nb_components < 3)
		return -1;
	for (int i = 0; i < r->nboxes; i++) {
		const struct motion_box *b = &r->box[i];

		if (!b->moving)
			continue;
		any = 1;
		x0 = b->x < x0 ? b->x : x0;
		y0 = b->y < y0 ? b->y : y0;
		x1 = b->x + b->w > x1 ? b->x + b->w : x1;
		y1 = b->y + b->h > y1 ? b->y + b->h : y1;
	}
	if (!any)
		return 0;
	/* Grow by half the size each way (context), at least the minimum. */
	cw = x1 - x0;
	ch = y1 - y0;
	x0 -= cw / 2;
	x1 += cw / 2;
	y0 -= ch / 2;
	y1 += ch / 2;
	if (x1 - x0 < LABEL_MIN_REGION) {
		x0 -= (LABEL_MIN_REGION - (x1 - x0)) / 2;
		x1 = x0 + LABEL_MIN_REGION;
	}
	if (y1 - y0 < LABEL_MIN_REGION) {
		y0 -= (LABEL_MIN_REGION - (y1 - y0)) / 2;
		y1 = y0 + LABEL_MIN_REGION;
	}
	/* Even corners: chroma planes are subsampled. */
	x0 = clampi(x0, 0, f->width - 2) & ~1;
	y0 = clampi(y0, 0, f->height - 2) & ~1;
	x1 = clampi(x1, x0 + 2, f->width);
	y1 = clampi(y1, y0 + 2, f->height);
	rw = x1 - x0;
	rh = y1 - y0;
	s = (double)LABEL_NET_MAX / (rw > rh ? rw : rh);
	if (s > LABEL_UPSCALE_MAX)
		s = LABEL_UPSCALE_MAX;
	nw = (int)lround(rw * s / LABEL_CELL) * LABEL_CELL;
	nh = (int)lround(rh * s / LABEL_CELL) * LABEL_CELL;
	nw = nw < LABEL_CELL ? LABEL_CELL : nw;
	nh = nh < LABEL_CELL ? LABEL_CELL : nh;

	/* Cut and scale in one pass: plane pointers at the region's corner. */
	for (int p = 0; p < 3; p++) {
		int sx = p ? desc->log2_chroma_w : 0, sy = p ? desc->log2_chroma_h : 0;

		src[p] = f->data[p] + (size_t)(y0 >> sy) * f->linesize[p] +
		    (x0 >> sx);
		srcls[p] = f->linesize[p];
	}
	if ((im = vimage_new(nw, nh)) == NULL ||
	    (sws = sws_getContext(rw, rh, (enum AVPixelFormat)f->format, nw, nh,
	    AV_PIX_FMT_RGB24, SWS_BILINEAR, NULL, NULL, NULL)) == NULL) {
		k = -1;
		goto out;
	}
	{
		uint8_t *dst[4] = { im->px, NULL, NULL, NULL };
		int dstls[4] = { im->stride, 0, 0, 0 };

		if (sws_scale(sws, src, srcls, 0, rh, dst, dstls) != nh) {
			k = -1;
			goto out;
		}
	}
	n = persondet_run(l->pd, im, 1.0f, -1, min_score, l->box,
	    (int)(sizeof(l->box) / sizeof(l->box[0])));
	if (n < 0) {
		k = -1;
		goto out;
	}
	for (int i = 0; i < n && k < max; i++) {
		int lab = map_class(l->box[i].cls);
		double fx = (double)rw / nw, fy = (double)rh / nh;
		double bx0 = x0 + l->box[i].x0 * fx, by0 = y0 + l->box[i].y0 * fy;
		double bx1 = x0 + l->box[i].x1 * fx, by1 = y0 + l->box[i].y1 * fy;

		if (lab < 0)
			continue;
		out[k].label = lab;
		out[k].score = l->box[i].score;
		out[k].x = (float)(bx0 / f->width);
		out[k].y = (float)(by0 / f->height);
		out[k].w = (float)((bx1 - bx0) / f->width);
		out[k].h = (float)((by1 - by0) / f->height);
		k++;
	}
out:
	sws_freeContext(sws);
	vimage_free(im);
	return k;
}
