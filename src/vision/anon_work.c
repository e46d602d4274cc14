/*
 * anon_work.c — the anonymizer's analysis workers (see anon_int.h).
 *
 * Each frame gets, on one worker:
 *  1. the whole frame at analysis size (analysis_width, 640 by default):
 *     faces and people;
 *  2. when that size is below the frame's own (a 720p or 1080p input),
 *     faces again at native scale in regions: cells that changed since
 *     the previous frame (anything that moves), the upper part of every
 *     person box in faces-only mode (heads), the whole first frame, and
 *     one of `bands` horizontal bands that sweep the frame (band
 *     fno % bands). A small face that never moves is found at native
 *     scale at least once every `bands` frames and held over half that
 *     either side, so it stays masked in every frame; one that moves is
 *     in a changed cell. Changed cells are grown by a cell
 *     (32 px) so faces they cut are whole; cells inside a person box that
 *     is masked whole anyway are dropped; the rest is joined into
 *     rectangles, searched at scale 1.
 * Faces of the whole-frame pass below ~28 native pixels (at 1280 wide)
 * are found by step 2; larger ones by step 1. Boxes of step 1 and of
 * changed cells are held +-hold_frames; faces found by the sweep (and the
 * first frame's whole scan) are held +-2 * hold_frames, the sweep's
 * period being 4 * hold_frames + 1 frames; and at the end of input the
 * last frame gets a whole native scan held back over the frames the
 * sweep would have reached after it (anon_final_scan).
 */
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anon_int.h"
#include "log.h"

/* Grow b (frame pixels) by gx in width, gy_up / gy_down of its height. */
static void grow(struct anon_box *b, float gx, float gy_up, float gy_down, int W, int H)
{
	float w = (float)(b->x1 - b->x0), h = (float)(b->y1 - b->y0);
	float x0 = b->x0 - w * (gx - 1) / 2, x1 = b->x1 + w * (gx - 1) / 2;
	float y0 = b->y0 - h * gy_up, y1 = b->y1 + h * gy_down;

	b->x0 = (int)floorf(x0 < 0 ? 0 : x0);
	b->y0 = (int)floorf(y0 < 0 ? 0 : y0);
	b->x1 = (int)ceilf(x1 > W ? W : x1);
	b->y1 = (int)ceilf(y1 > H ? H : y1);
}

static void mark(const struct anon_run *r, unsigned char *cells, int x0, int y0, int x1, int y1)
{
	int cx0 = x0 / ANON_CELL, cy0 = y0 / ANON_CELL;
	int cx1 = (x1 - 1) / ANON_CELL, cy1 = (y1 - 1) / ANON_CELL;

	cx0 = cx0 < 0 ? 0 : cx0;
	cy0 = cy0 < 0 ? 0 : cy0;
	cx1 = cx1 >= r->gw ? r->gw - 1 : cx1;
	cy1 = cy1 >= r->gh ? r->gh - 1 : cy1;
	for (int y = cy0; y <= cy1; y++)
		for (int x = cx0; x <= cx1; x++)
			cells[y * r->gw + x] = 1;
}

/* Clear the cells lying wholly inside boxes that are masked anyway. */
static void exclude(const struct anon_run *r, int *lab, const struct anon_box *masked, int nm)
{
	for (int i = 0; i < nm; i++) {
		int cx0 = (masked[i].x0 + ANON_CELL - 1) / ANON_CELL;
		int cy0 = (masked[i].y0 + ANON_CELL - 1) / ANON_CELL;
		int cx1 = masked[i].x1 / ANON_CELL, cy1 = masked[i].y1 / ANON_CELL;
		for (int y = cy0; y < cy1 && y < r->gh; y++)
			for (int x = cx0; x < cx1 && x < r->gw; x++)
				lab[y * r->gw + x] = 0;
	}
}

/* Connected cells marked -1 in lab -> bounding rectangles appended to
 * rect (frame pixels); returns the new count. */
static int components(struct anon_worker *w, int *lab, int rect[][4], int nr, int max)
{
	const struct anon_run *r = w->r;
	const int gw = r->gw, gh = r->gh;

	for (int i = 0; i < gw * gh && nr < max; i++) {
		int x0 = gw, y0 = gh, x1 = -1, y1 = -1, top = 0;
		if (lab[i] != -1)
			continue;
		lab[i] = 1;
		w->stack[top++] = i;
		while (top > 0) {
			int k = w->stack[--top], x = k % gw, y = k / gw;
			x0 = x < x0 ? x : x0;
			x1 = x > x1 ? x : x1;
			y0 = y < y0 ? y : y0;
			y1 = y > y1 ? y : y1;
			int nb[4] = { x > 0 ? k - 1 : -1, x + 1 < gw ? k + 1 : -1,
			              y > 0 ? k - gw : -1, y + 1 < gh ? k + gw : -1 };
			for (int j = 0; j < 4; j++)
				if (nb[j] >= 0 && lab[nb[j]] == -1) {
					lab[nb[j]] = 1;
					w->stack[top++] = nb[j];
				}
		}
		rect[nr][0] = x0 * ANON_CELL;
		rect[nr][1] = y0 * ANON_CELL;
		rect[nr][2] = (x1 + 1) * ANON_CELL < r->W ? (x1 + 1) * ANON_CELL : r->W;
		rect[nr][3] = (y1 + 1) * ANON_CELL < r->H ? (y1 + 1) * ANON_CELL : r->H;
		nr++;
	}
	return nr;
}

/* Native-scale regions of frame s as rectangles (frame pixels); returns
 * how many (at most max). heads: person boxes whose heads to search
 * (faces-only mode); masked: person boxes that will be masked whole —
 * nothing inside them needs a closer look. Changed cells and the band
 * make separate rectangles: their union's bounding boxes would cover
 * much more than either. */
static int regions(struct anon_worker *w, const struct anon_slot *s, const struct anon_box *heads,
                   int nh, const struct anon_box *masked, int nm, int rect[][4], int max,
                   int *nmotion)
{
	struct anon_run *r = w->r;
	const int gw = r->gw, gh = r->gh;
	unsigned char *c = w->cells;
	int *lab = w->label, nr;
	int band = (int)(s->fno % r->bands);

	memset(c, 0, (size_t)gw * gh);
	if (s->fno == 0) {
		memset(c, 1, (size_t)gw * gh);
	} else {
		for (int i = 0; i < gw * gh; i++)
			c[i] = s->motion[i];
		for (int i = 0; i < nh; i++)
			mark(r, c, heads[i].x0, heads[i].y0, heads[i].x1,
			     heads[i].y0 + (heads[i].y1 - heads[i].y0) * 2 / 5 + 1);
	}
	/* Changed cells, grown by one cell. */
	for (int y = 0; y < gh; y++)
		for (int x = 0; x < gw; x++) {
			int on = 0;
			for (int dy = -1; dy <= 1 && !on; dy++)
				for (int dx = -1; dx <= 1 && !on; dx++) {
					int yy = y + dy, xx = x + dx;
					on = yy >= 0 && yy < gh && xx >= 0 && xx < gw && c[yy * gw + xx];
				}
			lab[y * gw + x] = on ? -1 : 0;
		}
	exclude(r, lab, masked, nm);
	nr = components(w, lab, rect, 0, max);
	*nmotion = s->fno == 0 ? 0 : nr;       /* the first frame's scan holds like a band */
	if (s->fno == 0)
		return nr;
	/* The band, not grown: consecutive bands share one row of cells, so
	 * a face up to a cell high (larger ones are the whole-frame pass's)
	 * lies wholly inside one of them. */
	memset(lab, 0, (size_t)gw * gh * sizeof(*lab));
	for (int y = band * gh / r->bands; y <= (band + 1) * gh / r->bands && y < gh; y++)
		for (int x = 0; x < gw; x++)
			lab[y * gw + x] = -1;
	exclude(r, lab, masked, nm);
	return components(w, lab, rect, nr, max);
}

static int to_box(const struct nn_box *b, float sx, float sy, enum anon_kind kind, int hold,
                  struct anon_box *o)
{
	*o = (struct anon_box){ (int)(b->x0 * sx), (int)(b->y0 * sy), (int)ceilf(b->x1 * sx),
	                        (int)ceilf(b->y1 * sy), kind, b->score, 0, hold };
	return 0;
}

/*
 * Rectangle [x0,x1) x [y0,y1) (even corners) of a YUV 4:2:0 frame into the
 * same place of an RGB24 picture: BT.601 limited range, as swscale's
 * default. Only the native-scale regions are converted (~1/6 of a 720p
 * frame on the bench clip) instead of the whole frame for every frame.
 */
static inline uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static void rgb_rect(const AVFrame *f, struct vimage *im, int x0, int y0, int x1, int y1)
{
	for (int y = y0; y < y1; y++) {
		const uint8_t *py = f->data[0] + (size_t)y * f->linesize[0];
		const uint8_t *pu = f->data[1] + (size_t)(y / 2) * f->linesize[1];
		const uint8_t *pv = f->data[2] + (size_t)(y / 2) * f->linesize[2];
		uint8_t *o = im->px + (size_t)y * im->stride + (size_t)x0 * 3;
		for (int x = x0; x < x1; x++, o += 3) {
			int c = 298 * (py[x] - 16) + 128, d = pu[x >> 1] - 128, e = pv[x >> 1] - 128;
			o[0] = clamp8((c + 409 * e) >> 8);
			o[1] = clamp8((c - 100 * d - 208 * e) >> 8);
			o[2] = clamp8((c + 516 * d) >> 8);
		}
	}
}

static double thread_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Faces and people of one frame, in output pixels, into s->det. */
static int analyse(struct anon_worker *w, struct anon_slot *s)
{
	struct anon_run *r = w->r;
	const struct anon_opts *o = r->o;
	struct nn_box nb[ANON_MAX_DET];
	struct anon_box faces[2 * ANON_MAX_DET], people[ANON_MAX_DET];
	int nf = 0, np = 0, n, nd = 0;
	float sx = (float)r->W / r->aw, sy = (float)r->H / r->ah;
	uint8_t *dst[4] = { w->im->px, NULL, NULL, NULL };
	int dstride[4] = { w->im->stride, 0, 0, 0 };

	double t0 = thread_ms(), t1;
	if (sws_scale(w->to_rgb, (const uint8_t *const *)s->f->data, s->f->linesize, 0, r->H,
	              dst, dstride) != r->ah)
		return -1;
	t1 = thread_ms();
	w->ms[0] += t1 - t0;
	n = facedet_run(w->fd, w->im, 1.0f, o->face_score, nb, ANON_MAX_DET);
	if (n < 0)
		return -1;
	t0 = thread_ms();
	w->ms[1] += t0 - t1;
	for (int i = 0; i < n; i++)
		to_box(&nb[i], sx, sy, ANON_FACE, o->hold_frames, &faces[nf++]);
	if (o->people != ANON_PEOPLE_NEVER || r->native) {
		float scale = r->aw > PERSONDET_NET_WIDTH ? (float)PERSONDET_NET_WIDTH / r->aw : 1.f;
		n = persondet_run(w->pd, w->im, scale, PERSONDET_PERSON, o->person_score, nb, ANON_MAX_DET);
		if (n < 0)
			return -1;
		for (int i = 0; i < n; i++)
			to_box(&nb[i], sx, sy, ANON_PERSON, o->hold_frames, &people[np++]);
	}
	t1 = thread_ms();
	w->ms[2] += t1 - t0;
	/* People: masked whole unless a confident face (whole-frame pass) is
	 * in the top half of the box. */
	struct anon_box masked[ANON_MAX_DET];
	int nm = 0;
	for (int i = 0; i < np && o->people != ANON_PEOPLE_NEVER; i++) {
		const struct anon_box *p = &people[i];
		int spare = 0;
		if (o->people == ANON_PEOPLE_UNCERTAIN) {
			int hy = p->y0 + (p->y1 - p->y0) / 2;
			for (int j = 0; j < nf && !spare; j++) {
				int cx = (faces[j].x0 + faces[j].x1) / 2, cy = (faces[j].y0 + faces[j].y1) / 2;
				spare = faces[j].score >= o->face_sure && cx > p->x0 && cx < p->x1 &&
				        cy > p->y0 && cy < hy;
			}
		}
		if (spare)
			continue;
		masked[nm] = *p;
		grow(&masked[nm], o->person_grow, (o->person_grow - 1) / 2, (o->person_grow - 1) / 2,
		     r->W, r->H);
		nm++;
	}
	if (r->native) {
		int rect[64][4], nmotion;
		int nr = regions(w, s, people, o->people == ANON_PEOPLE_NEVER ? np : 0, masked, nm, rect,
		                 64, &nmotion);
		/* The detector reads each rectangle and the image up to its
		 * next 32-pixel cell (facedet_run_region): convert that much. */
		for (int k = 0; k < nr; k++) {
			int x1 = rect[k][0] + (rect[k][2] - rect[k][0] + 31) / 32 * 32;
			int y1 = rect[k][1] + (rect[k][3] - rect[k][1] + 31) / 32 * 32;
			rgb_rect(s->f, w->native, rect[k][0], rect[k][1], x1 < r->W ? x1 : r->W,
			         y1 < r->H ? y1 : r->H);
		}
		for (int k = 0; k < nr; k++) {
			int rw = rect[k][2] - rect[k][0], rh = rect[k][3] - rect[k][1];
			n = facedet_run_region(w->fd, w->native, rect[k][0], rect[k][1], rw, rh, 1.0f,
			                       o->face_score, nb, ANON_MAX_DET);
			if (n < 0)
				return -1;
			w->native_px += (long)rw * rh;
			for (int i = 0; i < n && nf < 2 * ANON_MAX_DET; i++) {
				to_box(&nb[i], 1.f, 1.f, ANON_FACE, 0, &faces[nf]);
				/* Found by the sweep: held over the whole sweep period
				 * (the buffer's hold), so a face that stays still is
				 * covered until the band comes round again. */
				faces[nf++].hold = k < nmotion ? o->hold_frames : 0;
			}
		}
	}
	w->ms[3] += thread_ms() - t1;
	for (int i = 0; i < nf; i++) {
		struct anon_box b = faces[i];
		/* Wider, and more upwards (hair, forehead) than downwards. */
		grow(&b, o->face_grow, (o->face_grow - 1) * 0.75f, (o->face_grow - 1) * 0.5f, r->W, r->H);
		s->det[nd++] = b;
	}
	for (int i = 0; i < nm; i++)
		s->det[nd++] = masked[i];
	s->ndet = nd;
	return 0;
}

static void *worker_main(void *arg)
{
	struct anon_worker *w = arg;
	struct anon_run *r = w->r;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct anon_slot *s;
		while (!r->stop && r->next >= r->decoded)
			pthread_cond_wait(&r->work, &r->mu);
		if (r->stop)
			break;
		s = &r->slot[r->next % r->nslot];
		r->next++;
		s->st = SLOT_BUSY;
		pthread_mutex_unlock(&r->mu);
		int ok = analyse(w, s) == 0;
		pthread_mutex_lock(&r->mu);
		s->st = ok ? SLOT_DONE : SLOT_FAILED;
		pthread_cond_broadcast(&r->done);
	}
	pthread_mutex_unlock(&r->mu);
	/* Tensor buffers are cached per thread, and this thread ends here. */
	nn_cache_drain();
	return NULL;
}

int anon_final_scan(struct anon_run *r, const struct anon_slot *s, struct anon_box *out, int max)
{
	struct anon_worker *w = &r->wk[0];
	const struct anon_opts *o = r->o;
	struct nn_box nb[ANON_MAX_DET];
	int n, k = 0;

	rgb_rect(s->f, w->native, 0, 0, r->W, r->H);
	n = facedet_run(w->fd, w->native, 1.0f, o->face_score, nb, ANON_MAX_DET);
	if (n < 0)
		return -1;
	for (int i = 0; i < n && k < max; i++) {
		to_box(&nb[i], 1.f, 1.f, ANON_FACE, 0, &out[k]);
		grow(&out[k], o->face_grow, (o->face_grow - 1) * 0.75f, (o->face_grow - 1) * 0.5f,
		     r->W, r->H);
		k++;
	}
	w->native_px += (long)r->W * r->H;
	return k;
}

int anon_workers_start(struct anon_run *r)
{
	for (int i = 0; i < r->nwk; i++) {
		if (pthread_create(&r->wk[i].th, NULL, worker_main, &r->wk[i]) != 0)
			return -1;
		r->wk[i].started = 1;
	}
	return 0;
}

void anon_workers_stop(struct anon_run *r)
{
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->work);
	pthread_mutex_unlock(&r->mu);
	for (int i = 0; i < r->nwk; i++)
		if (r->wk[i].started) {
			pthread_join(r->wk[i].th, NULL);
			r->wk[i].started = 0;
		}
}

enum anon_err anon_worker_load(struct anon_run *r, struct anon_worker *w)
{
	w->r = r;
	w->fd = facedet_new(FACEDET_BLAZE, r->o->node_modules);
	w->pd = persondet_new(r->o->node_modules);
	return w->fd && w->pd ? ANON_OK : ANON_EMODEL;
}

enum anon_err anon_worker_prepare(struct anon_run *r, struct anon_worker *w)
{
	w->im = vimage_new(r->aw, r->ah);
	w->to_rgb = sws_getContext(r->W, r->H, AV_PIX_FMT_YUV420P, r->aw, r->ah, AV_PIX_FMT_RGB24,
	                           SWS_AREA, NULL, NULL, NULL);
	if (w->im == NULL || w->to_rgb == NULL)
		return ANON_ENOMEM;
	if (!r->native)
		return ANON_OK;
	w->native = vimage_new(r->W, r->H);
	w->cells = malloc((size_t)r->gw * r->gh);
	w->label = malloc((size_t)r->gw * r->gh * sizeof(int));
	w->stack = malloc((size_t)r->gw * r->gh * sizeof(int));
	if (w->native == NULL || w->cells == NULL || w->label == NULL ||
	    w->stack == NULL)
		return ANON_ENOMEM;
	return ANON_OK;
}

void anon_worker_release(struct anon_worker *w)
{
	facedet_free(w->fd);
	persondet_free(w->pd);
	sws_freeContext(w->to_rgb);
	vimage_free(w->im);
	vimage_free(w->native);
	free(w->cells);
	free(w->label);
	free(w->stack);
	memset(w, 0, sizeof(*w));
}
