/*
 * vision_faces — the face detector on the labelled face set
 * (../shared/testdata/faces: 43 faces, 37-109 px, 9 photos): recall at
 * most one false positive per image; and a missing model fails closed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "facedet.h"
#include "t.h"
#include "vdata.h"

int main(void)
{
	struct vdata_set *s;
	struct facedet *fd;

	t_case("a missing face model is refused, not ignored");
	T_ASSERT(facedet_new(FACEDET_BLAZE, "/nonexistent/node_modules") == NULL);
	T_ASSERT(facedet_new(FACEDET_TINY, "/nonexistent/node_modules") == NULL);

	t_case("face model and labelled face set load");
	s = vdata_faces();
	fd = facedet_new(FACEDET_BLAZE, NULL);
	T_ASSERT(s != NULL && fd != NULL);
	if (s == NULL || fd == NULL)
		return t_done();

	t_case("face recall >= 0.98 with <= 1 false positive per image");
	{
		int found = 0, total = 0, fp = 0;
		for (int i = 0; i < s->n; i++) {
			struct nn_box b[64];
			int f, n = facedet_run(fd, s->img[i].im, 1.0f, FACEDET_DEFAULT_SCORE, b, 64);
			T_ASSERT(n >= 0);
			found += vdata_match(s->img[i].box, s->img[i].nbox, b, n < 0 ? 0 : n, 0.3f, &f, NULL);
			total += s->img[i].nbox;
			fp += f;
			printf("# %s: %d faces, %d detections, %d false\n", s->img[i].file,
			       s->img[i].nbox, n, f);
		}
		printf("# recall %d/%d = %.3f, false positives %d in %d images\n", found, total,
		       (double)found / total, fp, s->n);
		T_EQ(total, 43);
		T_ASSERT(found >= 0.98 * total);
		T_ASSERT(fp <= s->n);
	}
	t_case("a region finds the faces inside it, in image coordinates, and only those");
	{
		/* The image with most faces; a region around its first face. */
		const struct vdata_image *im = &s->img[0];
		for (int i = 1; i < s->n; i++)
			if (s->img[i].nbox > im->nbox)
				im = &s->img[i];
		const struct nn_box *g = &im->box[0];
		int fw = (int)(g->x1 - g->x0), x = (int)g->x0 - fw, y = (int)g->y0 - fw;
		int w = 3 * fw, h = 3 * fw;
		x = x < 0 ? 0 : x;
		y = y < 0 ? 0 : y;
		w = x + w > im->im->w ? im->im->w - x : w;
		h = y + h > im->im->h ? im->im->h - y : h;
		struct nn_box b[64];
		int n = facedet_run_region(fd, im->im, x, y, w, h, 1.0f, FACEDET_DEFAULT_SCORE, b, 64);
		int hit = 0, outside = 0;
		for (int i = 0; i < n; i++) {
			hit += nn_iou(&b[i], g) > 0.3f;
			/* a box may reach past the region by the cell padding, not more */
			outside += b[i].x0 < x - 32 || b[i].y0 < y - 32 || b[i].x1 > x + w + 64 ||
			           b[i].y1 > y + h + 64;
		}
		printf("# region %dx%d at %d,%d: %d boxes\n", w, h, x, y, n);
		T_ASSERT(n >= 1 && hit == 1 && outside == 0);
		T_ASSERT(facedet_run_region(fd, im->im, im->im->w - 10, 0, 20, 20, 1.0f, 0.3f, b, 64) == -1);
		T_ASSERT(facedet_run_region(fd, im->im, 0, 0, 0, 10, 1.0f, 0.3f, b, 64) == -1);
	}
	t_case("the same faces with chains on planar rows as with NHWC rows (AVX-512 only)");
	{
		/* $SEALCAM_NN_NOFUSE is read when a model loads. */
		setenv("SEALCAM_NN_NOFUSE", "planar", 1);
		struct facedet *nhwc = facedet_new(FACEDET_BLAZE, NULL);
		unsetenv("SEALCAM_NN_NOFUSE");
		int boxes = 0, same = 1;
		float md = 0;
		T_ASSERT(nhwc != NULL);
		for (int i = 0; nhwc && i < s->n; i++) {
			struct nn_box a[64], b[64];
			int na = facedet_run(fd, s->img[i].im, 1.0f, 0.1f, a, 64);
			int nb = facedet_run(nhwc, s->img[i].im, 1.0f, 0.1f, b, 64);
			same = same && na == nb && na >= 0;
			for (int j = 0; same && j < na; j++) {
				float d = fabsf(a[j].score - b[j].score) + fabsf(a[j].x0 - b[j].x0) +
				          fabsf(a[j].y0 - b[j].y0) + fabsf(a[j].x1 - b[j].x1) +
				          fabsf(a[j].y1 - b[j].y1);
				md = d > md ? d : md;
			}
			boxes += na;
		}
		printf("# %d boxes at score 0.1, largest difference %g\n", boxes, md);
		T_ASSERT(same && boxes > 43 && md < 0.01f);
		facedet_free(nhwc);
	}
	facedet_free(fd);
	vdata_free(s);
	return t_done();
}
