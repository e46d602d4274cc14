/*
 * vdata.h — labelled data for the vision tests and bench/vision: the face
 * set in ../shared/testdata/faces, the generated small-face set, people
 * labels from tests/data/, and box matching. Header-only (static) so both
 * the unit tests and the benchmarks include it without build changes.
 *
 * Every loader fails loudly (message on stderr, NULL/-1): a missing data
 * set is a failed test, never a skipped one.
 */
#ifndef SEALCAM_VDATA_H
#define SEALCAM_VDATA_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "vimage.h"

#define VDATA_MAX_BOXES 64
#define VDATA_MAX_IMAGES 64
#define VDATA_VTEST "/usr/share/doc/opencv-doc/examples/data/vtest.avi"

struct vdata_image {
	char file[256];
	struct vimage *im;
	int nbox;
	struct nn_box box[VDATA_MAX_BOXES];
};

struct vdata_set {
	int n;
	struct vdata_image img[VDATA_MAX_IMAGES];
};

static inline void vdata_free(struct vdata_set *s)
{
	if (s == NULL)
		return;
	for (int i = 0; i < s->n; i++)
		vimage_free(s->img[i].im);
	free(s);
}

/* $SEALCAM_ROOT/<rel>, or ./<rel> when SEALCAM_ROOT is unset. */
static inline const char *vdata_path(const char *rel, char *buf, size_t n)
{
	const char *root = getenv("SEALCAM_ROOT");

	snprintf(buf, n, "%s/%s", root ? root : ".", rel);
	return buf;
}

static inline int vdata_attr(const char *line, const char *key, char *out, size_t n)
{
	char pat[32];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "%s='", key);
	p = strstr(line, pat);
	if (p == NULL)
		return -1;
	p += strlen(pat);
	e = strchr(p, '\'');
	if (e == NULL || (size_t)(e - p) >= n)
		return -1;
	memcpy(out, p, e - p);
	out[e - p] = 0;
	return 0;
}

/* Read dlib's imglab XML (training.xml, testing.xml) from the faces set. */
static inline int vdata_read_xml(struct vdata_set *s, const char *dir, const char *xml)
{
	char path[1024], line[1024], v[256];
	FILE *f;
	struct vdata_image *cur = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, xml);
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "# vdata: cannot open %s (test data missing)\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "<image ") && vdata_attr(line, "file", v, sizeof(v)) == 0) {
			if (s->n == VDATA_MAX_IMAGES)
				break;
			cur = &s->img[s->n++];
			memset(cur, 0, sizeof(*cur));
			snprintf(cur->file, sizeof(cur->file), "%s", v);
			snprintf(path, sizeof(path), "%s/%s", dir, v);
			cur->im = vimage_load(path);
			if (cur->im == NULL) {
				fprintf(stderr, "# vdata: cannot decode %s\n", path);
				fclose(f);
				return -1;
			}
		} else if (strstr(line, "<box ") && cur && cur->nbox < VDATA_MAX_BOXES) {
			char t[32], l[32], w[32], h[32];
			if (vdata_attr(line, "top", t, sizeof(t)) || vdata_attr(line, "left", l, sizeof(l)) ||
			    vdata_attr(line, "width", w, sizeof(w)) || vdata_attr(line, "height", h, sizeof(h)))
				continue;
			struct nn_box *b = &cur->box[cur->nbox++];
			b->x0 = strtof(l, NULL);
			b->y0 = strtof(t, NULL);
			b->x1 = b->x0 + strtof(w, NULL);
			b->y1 = b->y0 + strtof(h, NULL);
			b->score = 1;
		}
	}
	fclose(f);
	return 0;
}

/* The labelled face set (43 faces in 9 photos). */
static inline struct vdata_set *vdata_faces(void)
{
	char dir[1024];
	struct vdata_set *s = calloc(1, sizeof(*s));

	vdata_path("../shared/testdata/faces", dir, sizeof(dir));
	if (s == NULL || vdata_read_xml(s, dir, "training.xml") != 0 ||
	    vdata_read_xml(s, dir, "testing.xml") != 0) {
		vdata_free(s);
		return NULL;
	}
	return s;
}

/* Match detections to ground truth one-to-one, greedily by IoU.
 * A ground-truth box is found if some unused detection overlaps it with
 * IoU >= min_iou, or (for detectors that draw the whole head while the
 * labels are tight) the detection contains the label's centre and
 * their sizes are within 2x. Returns found; *fp = unmatched detections. */
static inline int vdata_match(const struct nn_box *gt, int ngt, const struct nn_box *det,
                              int ndet, float min_iou, int *fp, int *found_flags)
{
	unsigned char used[1024] = { 0 };
	int found = 0;

	for (int g = 0; g < ngt; g++) {
		int best = -1;
		float bi = 0;
		for (int d = 0; d < ndet && d < 1024; d++) {
			if (used[d])
				continue;
			float iou = nn_iou(&gt[g], &det[d]);
			float cx = (gt[g].x0 + gt[g].x1) / 2, cy = (gt[g].y0 + gt[g].y1) / 2;
			float gs = gt[g].x1 - gt[g].x0, ds = det[d].x1 - det[d].x0;
			int inside = cx > det[d].x0 && cx < det[d].x1 && cy > det[d].y0 &&
			             cy < det[d].y1 && ds < 2 * gs && gs < 2 * ds;
			if (iou >= min_iou || inside) {
				float key = iou + (inside ? 0.01f : 0);
				if (best < 0 || key > bi) {
					best = d;
					bi = key;
				}
			}
		}
		if (found_flags)
			found_flags[g] = best >= 0;
		if (best >= 0) {
			used[best] = 1;
			found++;
		}
	}
	if (fp) {
		*fp = 0;
		for (int d = 0; d < ndet && d < 1024; d++)
			*fp += !used[d];
	}
	return found;
}


/* ---- people in vtest.avi (tests/data/people-vtest.csv) -------------------- */

#define VDATA_PERSON 0
#define VDATA_IGNORE 1      /* occluded: neither a miss nor a false positive */

static inline struct vdata_set *vdata_people(void)
{
	char path[1024], line[256];
	int frames[VDATA_MAX_IMAGES], nf = 0;
	struct vimage *im[VDATA_MAX_IMAGES];
	struct vdata_set *s = calloc(1, sizeof(*s));
	FILE *f;

	vdata_path("tests/data/people-vtest.csv", path, sizeof(path));
	f = fopen(path, "r");
	if (s == NULL || f == NULL) {
		fprintf(stderr, "# vdata: cannot open %s\n", path);
		free(s);
		if (f)
			fclose(f);
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		int fr, x0, y0, x1, y1;
		char kind[32];
		if (line[0] == '#' || sscanf(line, "%d,%d,%d,%d,%d,%31s", &fr, &x0, &y0, &x1, &y1, kind) != 6)
			continue;
		if (nf == 0 || frames[nf - 1] != fr) {
			if (nf == VDATA_MAX_IMAGES)
				break;
			frames[nf] = fr;
			memset(&s->img[nf], 0, sizeof(s->img[nf]));
			snprintf(s->img[nf].file, sizeof(s->img[nf].file), "vtest-%d", fr);
			nf++;
		}
		struct vdata_image *vi = &s->img[nf - 1];
		if (vi->nbox < VDATA_MAX_BOXES)
			vi->box[vi->nbox++] = (struct nn_box){ (float)x0, (float)y0, (float)x1, (float)y1, 1.f,
				strcmp(kind, "person") == 0 ? VDATA_PERSON : VDATA_IGNORE };
	}
	fclose(f);
	if (nf == 0 || vimage_load_frames(VDATA_VTEST, frames, nf, 0, 0, im) != 0) {
		fprintf(stderr, "# vdata: cannot read frames of %s (package opencv-doc)\n", VDATA_VTEST);
		free(s);
		return NULL;
	}
	for (int i = 0; i < nf; i++)
		s->img[i].im = im[i];
	s->n = nf;
	return s;
}

/* Score person detections against labels with IoU >= 0.5 (one-to-one);
 * occluded labels are ignored both ways. Adds to *tp, *fn, *fp. */
static inline void vdata_score_people(const struct vdata_image *vi, const struct nn_box *det,
                                      int ndet, int *tp, int *fn, int *fp)
{
	unsigned char used[1024] = { 0 };

	for (int g = 0; g < vi->nbox; g++) {
		if (vi->box[g].cls != VDATA_PERSON)
			continue;
		int best = -1;
		float bi = 0.5f;
		for (int d = 0; d < ndet && d < 1024; d++) {
			float iou = nn_iou(&vi->box[g], &det[d]);
			if (!used[d] && iou >= bi) {
				best = d;
				bi = iou;
			}
		}
		if (best >= 0) {
			used[best] = 1;
			(*tp)++;
		} else {
			(*fn)++;
		}
	}
	for (int d = 0; d < ndet && d < 1024; d++) {
		if (used[d])
			continue;
		int ignored = 0;
		for (int g = 0; g < vi->nbox && !ignored; g++)
			ignored = vi->box[g].cls == VDATA_IGNORE && nn_iou(&vi->box[g], &det[d]) >= 0.3f;
		if (!ignored)
			(*fp)++;
	}
}

/* ---- generated small faces ------------------------------------------- */


static inline uint32_t vdata_rand(uint32_t *s)
{
	/* xorshift32: deterministic across machines and compilers. */
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* Approximately normal noise: sum of four uniforms, unit variance. */
static inline float vdata_gauss(uint32_t *s)
{
	float t = 0;
	for (int i = 0; i < 4; i++)
		t += (vdata_rand(s) >> 8) * (1.f / 16777216.f);
	return (t - 2.f) * 1.7320508f;
}

/* Street backgrounds: vtest.avi frames (768x576) scaled to 640x480 and the
 * middle 640x360 cut out. */
static inline int vdata_backgrounds(struct vimage **bg, int n)
{
	int idx[16];
	struct vimage *full[16];

	if (n > 16)
		return -1;
	for (int i = 0; i < n; i++)
		idx[i] = 20 + i * (760 / n);
	if (vimage_load_frames(VDATA_VTEST, idx, n, 640, 480, full) != 0) {
		fprintf(stderr, "# vdata: cannot read %s (package opencv-doc)\n", VDATA_VTEST);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		bg[i] = vimage_new(640, 360);
		if (bg[i])
			for (int y = 0; y < 360; y++)
				memcpy(bg[i]->px + (size_t)y * bg[i]->stride,
				       full[i]->px + (size_t)(y + 60) * full[i]->stride, 640 * 3);
		vimage_free(full[i]);
	}
	for (int i = 0; i < n; i++)
		if (bg[i] == NULL)
			return -1;
	return 0;
}

/* Paste the face box `fb` of `src`, with a margin of context around it, into
 * `dst` so that the face is `size` px wide, its box's top-left at (x, y).
 * Edges are feathered so no hard seam helps or hurts the detector. */
static inline void vdata_paste(struct vimage *dst, const struct vimage *src,
                               const struct nn_box *fb, int size, int x, int y,
                               struct nn_box *out)
{
	float fw = fb->x1 - fb->x0, fh = fb->y1 - fb->y0, k = size / fw;
	int cx0 = (int)fmaxf(0, fb->x0 - 0.4f * fw), cy0 = (int)fmaxf(0, fb->y0 - 0.4f * fh);
	int cx1 = (int)fminf(src->w, fb->x1 + 0.4f * fw), cy1 = (int)fminf(src->h, fb->y1 + 0.4f * fh);
	struct vimage *crop = vimage_new(cx1 - cx0, cy1 - cy0), *small;

	if (crop == NULL)
		return;
	for (int r = cy0; r < cy1; r++)
		memcpy(crop->px + (size_t)(r - cy0) * crop->stride,
		       src->px + (size_t)r * src->stride + cx0 * 3, (size_t)(cx1 - cx0) * 3);
	int sw = (int)lrintf(crop->w * k), sh = (int)lrintf(crop->h * k);
	small = vimage_scale(crop, sw < 1 ? 1 : sw, sh < 1 ? 1 : sh);
	vimage_free(crop);
	if (small == NULL)
		return;
	int ox = x - (int)lrintf((fb->x0 - cx0) * k), oy = y - (int)lrintf((fb->y0 - cy0) * k);
	float feather = fmaxf(1.f, 0.12f * size);
	for (int r = 0; r < small->h; r++) {
		int dy = oy + r;
		if (dy < 0 || dy >= dst->h)
			continue;
		for (int c = 0; c < small->w; c++) {
			int dx = ox + c;
			if (dx < 0 || dx >= dst->w)
				continue;
			float e = fminf(fminf(r + 0.5f, small->h - r - 0.5f), fminf(c + 0.5f, small->w - c - 0.5f));
			float a = fminf(1.f, e / feather);
			uint8_t *d = dst->px + (size_t)dy * dst->stride + dx * 3;
			const uint8_t *s = small->px + (size_t)r * small->stride + c * 3;
			for (int ch = 0; ch < 3; ch++)
				d[ch] = (uint8_t)lrintf(d[ch] * (1 - a) + s[ch] * a);
		}
	}
	vimage_free(small);
	out->x0 = x;
	out->y0 = y;
	out->x1 = x + size;
	out->y1 = y + fh * k;
	out->score = 1;
}

/* Blur (binomial 3x3, sigma ~0.7 px) and add noise (sigma in grey levels). */
static inline void vdata_degrade(struct vimage *im, float sigma, uint32_t *seed)
{
	struct vimage *t = vimage_copy(im);

	if (t == NULL)
		return;
	for (int y = 1; y < im->h - 1; y++)
		for (int x = 3; x < (im->w - 1) * 3; x++) {
			const uint8_t *p = t->px + (size_t)y * t->stride + x;
			int v = 4 * p[0] + 2 * (p[-3] + p[3] + p[-t->stride] + p[t->stride]) +
			        p[-t->stride - 3] + p[-t->stride + 3] + p[t->stride - 3] + p[t->stride + 3];
			im->px[(size_t)y * im->stride + x] = (uint8_t)((v + 8) / 16);
		}
	vimage_free(t);
	for (int y = 0; y < im->h; y++)
		for (int x = 0; x < im->w * 3; x++) {
			uint8_t *p = im->px + (size_t)y * im->stride + x;
			float v = *p + sigma * vdata_gauss(seed);
			*p = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v));
		}
}

/* The small-face set: every face of `faces` pasted at each size of sizes[]
 * into 640x360 street frames, `per_frame` faces per frame on a jittered
 * grid, then blurred and noised. Box .cls holds the size-bin index.
 * Deterministic for a given seed. */
static inline struct vdata_set *vdata_small_faces(const struct vdata_set *faces,
                                                  const int *sizes, int nsizes,
                                                  int per_frame, uint32_t seed)
{
	struct vdata_set *s = calloc(1, sizeof(*s));
	struct vimage *bg[8] = { NULL };
	int total = 0, gx = per_frame > 4 ? (per_frame + 1) / 2 : per_frame;
	int gy = per_frame > 4 ? 2 : 1;

	if (s == NULL || vdata_backgrounds(bg, 8) != 0)
		goto err;
	for (int i = 0; i < faces->n; i++)
		total += faces->img[i].nbox;
	for (int b = 0; b < nsizes; b++) {
		for (int f0 = 0; f0 < total; f0 += per_frame) {
			if (s->n == VDATA_MAX_IMAGES)
				goto err;
			struct vdata_image *o = &s->img[s->n];
			memset(o, 0, sizeof(*o));
			o->im = vimage_copy(bg[s->n % 8]);
			if (o->im == NULL)
				goto err;
			s->n++;
			snprintf(o->file, sizeof(o->file), "small-%dpx-%d", sizes[b], f0 / per_frame);
			for (int f = f0; f < f0 + per_frame && f < total; f++) {
				int img = 0, k = f;
				while (k >= faces->img[img].nbox)
					k -= faces->img[img++].nbox;
				int cell = f - f0, cw = 640 / gx, ch = 360 / gy;
				int x = (cell % gx) * cw + 8 + (int)(vdata_rand(&seed) % (uint32_t)(cw - sizes[b] - 16));
				int y = (cell / gx) * ch + 8 + (int)(vdata_rand(&seed) % (uint32_t)(ch - 2 * sizes[b] - 16));
				vdata_paste(o->im, faces->img[img].im, &faces->img[img].box[k], sizes[b],
				            x, y, &o->box[o->nbox]);
				o->box[o->nbox++].cls = b;
			}
			vdata_degrade(o->im, 4.f, &seed);
		}
	}
	for (int i = 0; i < 8; i++)
		vimage_free(bg[i]);
	return s;
err:
	for (int i = 0; i < 8; i++)
		vimage_free(bg[i]);
	vdata_free(s);
	return NULL;
}

#endif
