/*
 * bench/vision — recall and speed of the face and person detectors, and
 * the anonymizer's throughput. Run through bench/vision.sh, which also
 * runs the OpenCV peer (Haar faces, HOG people) on the same data.
 *
 *	build/bench/vision --export DIR   write the data sets for the peer
 *	build/bench/vision                 our figures, one "key value" a line
 *	build/bench/vision --anon CLIP     anonymizer frames/s on CLIP
 *	build/bench/vision --levers        what each runtime rewrite and kernel
 *	                                   set buys (same run, interleaved)
 *
 * Data: the labelled face set, the small-face generator over six layouts
 * (tests/unit/vdata.h), the hand-labelled vtest people, and 20 vtest
 * frames at 640x360 for timing. Detector timings are CPU time of one
 * thread (the machine is shared and loaded: wall time would count the
 * waiting), median of 3 passes over the frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../tests/unit/vdata.h"
#include "anon.h"
#include "facedet.h"
#include "persondet.h"

#define NTIME 20
#define NLAYOUT 6

static const int SIZES[5] = { 12, 16, 20, 24, 32 };
static const int PER[NLAYOUT] = { 8, 10, 10, 10, 12, 16 };
static const uint32_t SEEDS[NLAYOUT] = { 12345, 12345, 1, 2, 3, 4 };

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* CPU time of this (single-threaded) process: on a shared, loaded
 * machine it is what one core spends, without the time spent waiting. */
static double cpu_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int timing_frames(struct vimage **f)
{
	int idx[NTIME];

	for (int i = 0; i < NTIME; i++)
		idx[i] = 10 + i * 39;
	return vimage_load_frames(VDATA_VTEST, idx, NTIME, 640, 360, f);
}

static int export(const char *dir, struct vdata_set *faces)
{
	char p[1024];
	FILE *gt;
	struct vimage *t[NTIME];
	struct vdata_set *people = vdata_people();

	mkdir(dir, 0755);
	snprintf(p, sizeof(p), "%s/small.csv", dir);
	gt = fopen(p, "w");
	if (gt == NULL || people == NULL)
		return -1;
	for (int l = 0; l < NLAYOUT; l++) {
		struct vdata_set *s = vdata_small_faces(faces, SIZES, 5, PER[l], SEEDS[l]);
		if (s == NULL)
			return -1;
		for (int i = 0; i < s->n; i++) {
			snprintf(p, sizeof(p), "%s/small-%d-%02d.ppm", dir, l, i);
			vimage_save_ppm(s->img[i].im, p);
			for (int j = 0; j < s->img[i].nbox; j++) {
				const struct nn_box *b = &s->img[i].box[j];
				fprintf(gt, "small-%d-%02d.ppm,%d,%.0f,%.0f,%.0f,%.0f\n", l, i,
				        SIZES[b->cls], b->x0, b->y0, b->x1, b->y1);
			}
		}
		vdata_free(s);
	}
	fclose(gt);
	for (int i = 0; i < people->n; i++) {
		snprintf(p, sizeof(p), "%s/%s.ppm", dir, people->img[i].file);
		vimage_save_ppm(people->img[i].im, p);
	}
	vdata_free(people);
	if (timing_frames(t) != 0)
		return -1;
	for (int i = 0; i < NTIME; i++) {
		snprintf(p, sizeof(p), "%s/time-%02d.ppm", dir, i);
		vimage_save_ppm(t[i], p);
		vimage_free(t[i]);
	}
	return 0;
}

static void face_set(const char *name, struct facedet *fd, const struct vdata_set *s,
                     float scale, float th)
{
	int found = 0, total = 0, fp = 0;

	for (int i = 0; i < s->n; i++) {
		struct nn_box b[256];
		int f, n = facedet_run(fd, s->img[i].im, scale, th, b, 256);
		found += vdata_match(s->img[i].box, s->img[i].nbox, b, n < 0 ? 0 : n, 0.3f, &f, NULL);
		total += s->img[i].nbox;
		fp += f;
	}
	printf("%s_faces_recall %.3f\n%s_faces_fp_per_image %.2f\n", name, (double)found / total,
	       name, (double)fp / s->n);
}

static void small_faces(const char *name, struct facedet *fd, const struct vdata_set *faces,
                        float th)
{
	int found[5] = { 0 }, total[5] = { 0 }, fp = 0, frames = 0;

	for (int l = 0; l < NLAYOUT; l++) {
		struct vdata_set *s = vdata_small_faces(faces, SIZES, 5, PER[l], SEEDS[l]);
		for (int i = 0; s && i < s->n; i++) {
			struct nn_box b[256];
			int flags[VDATA_MAX_BOXES], f;
			int n = facedet_run(fd, s->img[i].im, 1.0f, th, b, 256);
			vdata_match(s->img[i].box, s->img[i].nbox, b, n < 0 ? 0 : n, 0.3f, &f, flags);
			for (int j = 0; j < s->img[i].nbox; j++) {
				total[s->img[i].box[j].cls]++;
				found[s->img[i].box[j].cls] += flags[j];
			}
			fp += f;
			frames++;
		}
		vdata_free(s);
	}
	for (int k = 0; k < 5; k++)
		printf("%s_small_%dpx_recall %.3f\n", name, SIZES[k], (double)found[k] / total[k]);
	printf("%s_small_unlabelled_per_frame %.2f\n", name, (double)fp / frames);
}

static void people(struct persondet *pd)
{
	struct vdata_set *s = vdata_people();
	int tp = 0, fn = 0, fp = 0;

	for (int i = 0; s && i < s->n; i++) {
		struct nn_box b[256];
		int n = persondet_run(pd, s->img[i].im, (float)PERSONDET_NET_WIDTH / s->img[i].im->w,
		                      PERSONDET_PERSON, PERSONDET_DEFAULT_SCORE, b, 256);
		vdata_score_people(&s->img[i], b, n < 0 ? 0 : n, &tp, &fn, &fp);
	}
	printf("ours_people_recall %.3f\nours_people_precision %.3f\n", (double)tp / (tp + fn),
	       tp + fp ? (double)tp / (tp + fp) : 0);
	vdata_free(s);
}

static double time_ms(struct facedet *fd, struct persondet *pd, struct vimage **f)
{
	double pass[3];

	for (int r = 0; r < 3; r++) {
		double t0 = cpu_ms();
		for (int i = 0; i < NTIME; i++) {
			struct nn_box b[256];
			if (fd)
				facedet_run(fd, f[i], 1.0f, FACEDET_DEFAULT_SCORE, b, 256);
			else
				persondet_run(pd, f[i], (float)PERSONDET_NET_WIDTH / f[i]->w,
				              PERSONDET_PERSON, PERSONDET_DEFAULT_SCORE, b, 256);
		}
		pass[r] = (cpu_ms() - t0) / NTIME;
	}
	qsort(pass, 3, sizeof(double), cmp_d);
	return pass[1];
}

/* Face and person ms per 640x360 frame with each graph rewrite switched
 * off in turn ($SEALCAM_NN_NOFUSE at load) and with each kernel set:
 * configurations are timed round-robin, best of ROUNDS, so they share the
 * machine's load. */
#define ROUNDS 5
static int levers(struct vimage **f)
{
	static const struct { const char *name, *nofuse, *isa; } cfg[] = {
		{ "all", "", NULL },
		{ "no_chain", "chain", NULL },
		{ "no_chain_res", "chain,res", NULL },
		{ "no_chain_res_sep", "chain,res,sep", NULL },
		{ "no_fusion", "chain,res,sep,hswish,act", NULL },
		{ "avx2", "", "avx2" },
		{ "generic", "", "generic" },
	};
	enum { NC = sizeof(cfg) / sizeof(cfg[0]) };
	struct facedet *fd[NC];
	struct persondet *pd[NC];
	double best[NC][2];
	const char *isa0 = nn_isa();

	for (int c = 0; c < NC; c++) {
		setenv("SEALCAM_NN_NOFUSE", cfg[c].nofuse, 1);
		fd[c] = facedet_new(FACEDET_BLAZE, NULL);
		pd[c] = persondet_new(NULL);
		if (fd[c] == NULL || pd[c] == NULL)
			return 1;
		best[c][0] = best[c][1] = 1e9;
	}
	unsetenv("SEALCAM_NN_NOFUSE");
	for (int r = 0; r < ROUNDS; r++)
		for (int c = 0; c < NC; c++) {
			nn_set_isa(cfg[c].isa ? cfg[c].isa : isa0);
			for (int k = 0; k < 2; k++) {
				double t0 = cpu_ms(), t;
				for (int i = 0; i < NTIME; i++) {
					struct nn_box b[256];
					if (k == 0)
						facedet_run(fd[c], f[i], 1.0f, FACEDET_DEFAULT_SCORE, b, 256);
					else
						persondet_run(pd[c], f[i], (float)PERSONDET_NET_WIDTH / f[i]->w,
						              PERSONDET_PERSON, PERSONDET_DEFAULT_SCORE, b, 256);
				}
				t = (cpu_ms() - t0) / NTIME;
				best[c][k] = t < best[c][k] ? t : best[c][k];
			}
		}
	nn_set_isa(isa0);
	/* The person detector asked for every class (the agent's labels) vs
	 * person only (the anonymizer): the last layer's 80 channels vs 16. */
	double all = 1e9;
	for (int r = 0; r < ROUNDS; r++) {
		double t0 = cpu_ms(), t;
		for (int i = 0; i < NTIME; i++) {
			struct nn_box b[256];
			persondet_run(pd[0], f[i], (float)PERSONDET_NET_WIDTH / f[i]->w, -1,
			              PERSONDET_DEFAULT_SCORE, b, 256);
		}
		t = (cpu_ms() - t0) / NTIME;
		all = t < all ? t : all;
	}
	printf("lever_all_classes_person_ms %.1f\n", all);
	for (int c = 0; c < NC; c++) {
		printf("lever_%s_face_ms %.1f\nlever_%s_person_ms %.1f\n", cfg[c].name, best[c][0],
		       cfg[c].name, best[c][1]);
		facedet_free(fd[c]);
		persondet_free(pd[c]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vdata_set *faces = vdata_faces();
	struct facedet *blaze = facedet_new(FACEDET_BLAZE, NULL);
	struct facedet *tiny = facedet_new(FACEDET_TINY, NULL);
	struct persondet *pd = persondet_new(NULL);
	struct vimage *f[NTIME];

	if (faces == NULL || blaze == NULL || tiny == NULL || pd == NULL) {
		fprintf(stderr, "bench/vision: data or models missing\n");
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "--export") == 0)
		return export(argv[2], faces) == 0 ? 0 : 1;
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "--anon") == 0) {
		struct anon_opts o;
		double t0;
		enum anon_err e;
		char out[1024];
		anon_opts_default(&o);
		if (argc == 4)
			o.preset = argv[3];
		snprintf(out, sizeof(out), "%s.anon.mp4", argv[2]);
		double c0 = cpu_ms();
		t0 = now_ms();
		e = anon_run(&o, argv[2], out, NULL);
		printf("anon_result %s\nanon_seconds %.2f\nanon_cpu_seconds %.2f\n", anon_strerror(e),
		       (now_ms() - t0) / 1e3, (cpu_ms() - c0) / 1e3);
		if (argc == 4)
			printf("anon_preset %s\n", argv[3]);
		remove(out);
		return e == ANON_OK ? 0 : 1;
	}
	if (argc == 2 && strcmp(argv[1], "--levers") == 0) {
		int rc = timing_frames(f) != 0 || levers(f) != 0;
		for (int i = 0; !rc && i < NTIME; i++)
			vimage_free(f[i]);
		return rc;
	}
	printf("isa %s\n", nn_isa());
	face_set("ours", blaze, faces, 1.0f, FACEDET_DEFAULT_SCORE);
	face_set("tiny", tiny, faces, 1.0f, 0.3f);
	small_faces("ours", blaze, faces, FACEDET_DEFAULT_SCORE);
	small_faces("tiny", tiny, faces, 0.3f);
	people(pd);
	if (timing_frames(f) != 0)
		return 1;
	printf("ours_face_ms %.1f\n", time_ms(blaze, NULL, f));
	printf("tiny_face_ms %.1f\n", time_ms(tiny, NULL, f));
	printf("ours_person_ms %.1f\n", time_ms(NULL, pd, f));
	for (int i = 0; i < NTIME; i++)
		vimage_free(f[i]);
	facedet_free(blaze);
	facedet_free(tiny);
	persondet_free(pd);
	vdata_free(faces);
	return 0;
}
