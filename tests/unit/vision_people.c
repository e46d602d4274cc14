/*
 * vision_people — the person detector against people labelled by hand in
 * eight frames of vtest.avi (tests/data/people-vtest.csv, 46 people).
 * Thresholds: recall >= 0.85 and precision >= 0.85 — the model measured
 * 0.91 / 1.00 when the labels were made; the margin absorbs float
 * differences between kernels, not a worse model.
 */
#include <stdio.h>

#include "persondet.h"
#include "t.h"
#include "vdata.h"

int main(void)
{
	struct vdata_set *s;
	struct persondet *pd;
	int tp = 0, fn = 0, fp = 0;

	t_case("a missing person model is refused, not ignored");
	T_ASSERT(persondet_new("/nonexistent/node_modules") == NULL);

	t_case("person model and labelled frames load");
	s = vdata_people();
	pd = persondet_new(NULL);
	T_ASSERT(s != NULL && pd != NULL);
	if (s == NULL || pd == NULL)
		return t_done();
	T_EQ(s->n, 8);

	for (int i = 0; i < s->n; i++) {
		struct nn_box b[128];
		float scale = (float)PERSONDET_NET_WIDTH / s->img[i].im->w;
		int n = persondet_run(pd, s->img[i].im, scale, PERSONDET_PERSON,
		                      PERSONDET_DEFAULT_SCORE, b, 128);
		T_ASSERT(n >= 0);
		vdata_score_people(&s->img[i], b, n < 0 ? 0 : n, &tp, &fn, &fp);
	}
	double recall = (double)tp / (tp + fn), precision = tp + fp ? (double)tp / (tp + fp) : 0;
	t_case("people: recall %.3f (%d/%d) >= 0.85, precision %.3f >= 0.85", recall, tp,
	       tp + fn, precision);
	T_EQ(tp + fn, 46);
	T_ASSERT(recall >= 0.85);
	T_ASSERT(precision >= 0.85);

	t_case("the detector labels other classes too (a car in the car park)");
	{
		struct nn_box b[128];
		int n = persondet_run(pd, s->img[0].im, 0.5f, -1, 0.3f, b, 128), cars = 0;
		for (int i = 0; i < n; i++)
			cars += b[i].cls == PERSONDET_CAR;
		T_ASSERT(cars >= 1);
		T_ASSERT(persondet_class_name(PERSONDET_CAR)[0] == 'c');
	}
	t_case("a region finds the person inside it, in image coordinates");
	{
		/* The tallest labelled person of the first frame, with as much
		 * room again around it. */
		const struct vdata_image *im = &s->img[0];
		const struct nn_box *g = NULL;
		for (int i = 0; i < im->nbox; i++)
			if (im->box[i].cls == VDATA_PERSON &&
			    (g == NULL || im->box[i].y1 - im->box[i].y0 > g->y1 - g->y0))
				g = &im->box[i];
		T_ASSERT(g != NULL);
		if (g) {
			int bw = (int)(g->x1 - g->x0), bh = (int)(g->y1 - g->y0);
			int x = (int)g->x0 - bw, y = (int)g->y0 - bh / 2, w = 3 * bw, h = 2 * bh;
			x = x < 0 ? 0 : x;
			y = y < 0 ? 0 : y;
			w = x + w > im->im->w ? im->im->w - x : w;
			h = y + h > im->im->h ? im->im->h - y : h;
			struct nn_box b[64];
			int n = persondet_run_region(pd, im->im, x, y, w, h, 1.0f, PERSONDET_PERSON,
			                             PERSONDET_DEFAULT_SCORE, b, 64), hit = 0;
			for (int i = 0; i < n; i++)
				hit += nn_iou(&b[i], g) > 0.5f;
			printf("# region %dx%d at %d,%d: %d people, %d on the label\n", w, h, x, y, n, hit);
			T_ASSERT(hit == 1);
			T_ASSERT(persondet_run_region(pd, im->im, -1, 0, 10, 10, 1.0f, 0, 0.3f, b, 64) == -1);
		}
	}
	persondet_free(pd);
	vdata_free(s);
	return t_done();
}
