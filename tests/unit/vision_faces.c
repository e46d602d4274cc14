/*
 * vision_faces — the face detector on the labelled face set
 * (../shared/testdata/faces: 43 faces, 37-109 px, 9 photos): recall at
 * most one false positive per image; and a missing model fails closed.
 */
#include <stdio.h>

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
	facedet_free(fd);
	vdata_free(s);
	return t_done();
}
