/*
 * vision_smallfaces — faces of the labelled set pasted at 12-32 px into
 * street frames of vtest.avi, blurred and noised (tests/unit/vdata.h,
 * deterministic seed; 16 faces a frame keeps it fast under sanitizers):
 * recall per size, and >= 0.9 from 16 px up. bench/vision reports the
 * same over six layouts.
 */
#include <stdio.h>

#include "facedet.h"
#include "t.h"
#include "vdata.h"

int main(void)
{
	static const int sizes[] = { 12, 16, 20, 24, 32 };
	enum { NS = 5 };
	struct vdata_set *faces, *s = NULL;
	struct facedet *fd;
	int found[NS] = { 0 }, total[NS] = { 0 }, fp = 0;

	t_case("small-face set generates from the face set and vtest.avi");
	faces = vdata_faces();
	if (faces)
		s = vdata_small_faces(faces, sizes, NS, 16, 4);
	fd = facedet_new(FACEDET_BLAZE, NULL);
	T_ASSERT(s != NULL && fd != NULL);
	if (s == NULL || fd == NULL)
		return t_done();
	T_EQ(s->n, NS * 3);

	for (int i = 0; i < s->n; i++) {
		struct nn_box b[64];
		int flags[VDATA_MAX_BOXES], f;
		int n = facedet_run(fd, s->img[i].im, 1.0f, FACEDET_DEFAULT_SCORE, b, 64);
		if (n < 0)
			n = 0;
		vdata_match(s->img[i].box, s->img[i].nbox, b, n, 0.3f, &f, flags);
		for (int j = 0; j < s->img[i].nbox; j++) {
			total[s->img[i].box[j].cls]++;
			found[s->img[i].box[j].cls] += flags[j];
		}
		fp += f;
	}
	printf("# unlabelled detections (vtest's own people included): %.2f per frame\n",
	       (double)fp / s->n);
	for (int b = 0; b < NS; b++) {
		double r = (double)found[b] / total[b];
		t_case("small faces %d px: recall %.2f (%d/%d)%s", sizes[b], r, found[b], total[b],
		       sizes[b] >= 16 ? ", goal >= 0.90" : ", reported only");
		T_EQ(total[b], 43);
		if (sizes[b] >= 16)
			T_ASSERT(r >= 0.90);
	}
	facedet_free(fd);
	vdata_free(s);
	vdata_free(faces);
	return t_done();
}
