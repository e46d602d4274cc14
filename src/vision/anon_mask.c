/*
 * anon_mask.c — the anonymizer's masks: holding boxes over neighbouring
 * frames, and filling boxes and polygons irreversibly in YUV 4:2:0.
 *
 * The fill replaces every pixel: by flat grey, or by the mean of a coarse
 * block (at least a quarter of the box, so a face becomes at most 4x4
 * colours) plus per-pixel noise from libsodium's CSPRNG (a random
 * texture per run, see below). No function of the output recovers the
 * original pixels: the block means keep 16 numbers per face, and the
 * noise never depended on them. (Noise flat per 8x8 or 4x4
 * cell was cheaper to encode, but its blocks drew face-like patterns: the
 * face detector fired inside 1 in 3-4 masked test clips at score 0.25.)
 *
 * Boxes of one kind that overlap most of each other (a detection and its
 * copies held from neighbouring frames) are merged into the box covering
 * both before filling: never less masked, and up to 11x less filling.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anon.h"

#define MAX_PER_FRAME 512
#define NOISE 24            /* luma noise amplitude, +- grey levels */

/*
 * Noise: one texture of NOISE_TEX x NOISE_TEX values in [-NOISE, NOISE]
 * per process, from libsodium's CSPRNG (randombytes_buf), tiled over the
 * frame in frame coordinates. The same texture in every frame costs the
 * reader nothing (the noise never depended on the picture: subtracting
 * it leaves the block means, which averaging a block of one frame gives
 * anyway), but a masked region that stays or moves a little is then
 * predicted from the previous frame by the encoder instead of being
 * fresh noise in every frame: fresh noise made the output ~7x larger
 * than the input and x264 ~10% slower. Each frame still gets the same
 * per-pixel noise as before (independent uniform values across a block),
 * so what the detectors see inside a mask is unchanged.
 */
#define NOISE_TEX 512       /* power of two */

static int8_t g_tex[NOISE_TEX * NOISE_TEX];
static pthread_once_t g_tex_once = PTHREAD_ONCE_INIT;

static void tex_make(void)
{
	/* Rejection-free mapping: a 32-bit value modulo 49 is uniform to
	 * within 1e-8, plenty for noise. */
	uint32_t *r = malloc(sizeof(uint32_t) * NOISE_TEX);

	for (int y = 0; y < NOISE_TEX; y++) {
		if (r == NULL) {
			for (int x = 0; x < NOISE_TEX; x++)
				g_tex[y * NOISE_TEX + x] =
					(int8_t)((int)randombytes_uniform(2 * NOISE + 1) - NOISE);
			continue;
		}
		randombytes_buf(r, sizeof(uint32_t) * NOISE_TEX);
		for (int x = 0; x < NOISE_TEX; x++)
			g_tex[y * NOISE_TEX + x] = (int8_t)((int)(r[x] % (2 * NOISE + 1)) - NOISE);
	}
	free(r);
}

struct anon_hold {
	int hold, cap;          /* cap = 2 * hold + 1 frames kept */
	long pushed;            /* frames pushed so far */
	struct anon_box *v;     /* [cap][MAX_PER_FRAME] */
	int *n;                 /* [cap] */
};

struct anon_hold *anon_hold_new(int hold)
{
	struct anon_hold *h;

	if (hold < 0 || hold > 2 * ANON_MAX_HOLD)     /* the sweep's boxes: 2 * hold */
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return NULL;
	h->hold = hold;
	h->cap = 2 * hold + 1;
	h->v = calloc((size_t)h->cap * MAX_PER_FRAME, sizeof(*h->v));
	h->n = calloc(h->cap, sizeof(*h->n));
	if (h->v == NULL || h->n == NULL) {
		anon_hold_free(h);
		return NULL;
	}
	return h;
}

void anon_hold_free(struct anon_hold *h)
{
	if (h == NULL)
		return;
	free(h->v);
	free(h->n);
	free(h);
}

int anon_hold_push(struct anon_hold *h, const struct anon_box *b, int n)
{
	int slot = (int)(h->pushed % h->cap);

	/* More boxes than we keep would unmask someone: refuse instead. */
	if (n < 0 || n > MAX_PER_FRAME)
		return -1;
	memcpy(h->v + (size_t)slot * MAX_PER_FRAME, b, n * sizeof(*b));
	h->n[slot] = n;
	h->pushed++;
	return 0;
}

int anon_hold_boxes(const struct anon_hold *h, long frame, struct anon_box *out, int max)
{
	long lo = frame - h->hold, hi = frame + h->hold;
	int k = 0;

	if (lo < 0)
		lo = 0;
	if (lo < h->pushed - h->cap)
		return -1;      /* those frames were already dropped */
	if (hi > h->pushed - 1)
		hi = h->pushed - 1;
	for (long f = lo; f <= hi; f++) {
		int slot = (int)(f % h->cap);
		long d = f > frame ? f - frame : frame - f;
		for (int i = 0; i < h->n[slot]; i++) {
			const struct anon_box *b = &h->v[(size_t)slot * MAX_PER_FRAME + i];
			if (b->hold > 0 && d > b->hold)
				continue;
			if (k == max)
				return -1;
			out[k] = *b;
			out[k].held = f != frame;
			k++;
		}
	}
	return k;
}

int anon_hold_append(struct anon_hold *h, long frame, const struct anon_box *b, int n)
{
	int slot = (int)(frame % h->cap);

	if (frame < 0 || frame >= h->pushed || frame < h->pushed - h->cap || n < 0 ||
	    h->n[slot] + n > MAX_PER_FRAME)
		return -1;
	memcpy(h->v + (size_t)slot * MAX_PER_FRAME + h->n[slot], b, n * sizeof(*b));
	h->n[slot] += n;
	return 0;
}

/* Inside test for a polygon (even-odd rule) at pixel centre (x, y). */
static int poly_inside(const struct anon_poly *p, float x, float y)
{
	int in = 0;

	for (int i = 0, j = p->n - 1; i < p->n; j = i++) {
		if ((p->y[i] > y) != (p->y[j] > y) &&
		    x < (p->x[j] - p->x[i]) * (y - p->y[i]) / (p->y[j] - p->y[i]) + p->x[i])
			in = !in;
	}
	return in;
}

/* Fill [x0,x1) x [y0,y1) (even-aligned, clipped) block by block; when p is
 * given only pixels inside it change. */
static void fill_region(unsigned char *const plane[3], const int stride[3], int w, int h,
                        int x0, int y0, int x1, int y1, const struct anon_poly *p,
                        enum anon_fill fill)
{
	int bw, bs;

	pthread_once(&g_tex_once, tex_make);

	x0 = x0 < 0 ? 0 : x0 & ~1;
	y0 = y0 < 0 ? 0 : y0 & ~1;
	x1 = x1 > w ? w : x1;
	y1 = y1 > h ? h : y1;
	if (x1 <= x0 || y1 <= y0)
		return;
	/* Blocks: at least 8 px and a quarter of the region's larger side. */
	bw = (x1 - x0) > (y1 - y0) ? (x1 - x0) : (y1 - y0);
	bs = (bw + 3) / 4;
	bs = bs < 8 ? 8 : (bs + 1) & ~1;
	for (int by = y0; by < y1; by += bs)
		for (int bx = x0; bx < x1; bx += bs) {
			int ex = bx + bs < x1 ? bx + bs : x1, ey = by + bs < y1 ? by + bs : y1;
			long sy = 0, su = 0, sv = 0, n = 0, nc = 0;
			int my = 128, mu = 128, mv = 128;
			if (fill == ANON_FILL_PIXELATE) {
				for (int y = by; y < ey; y++)
					for (int x = bx; x < ex; x++, n++)
						sy += plane[0][(size_t)y * stride[0] + x];
				for (int y = by / 2; y < (ey + 1) / 2; y++)
					for (int x = bx / 2; x < (ex + 1) / 2; x++, nc++) {
						su += plane[1][(size_t)y * stride[1] + x];
						sv += plane[2][(size_t)y * stride[2] + x];
					}
				my = (int)(sy / (n ? n : 1));
				mu = (int)(su / (nc ? nc : 1));
				mv = (int)(sv / (nc ? nc : 1));
			}
			for (int y = by; y < ey; y++) {
				const int8_t *t = g_tex + (size_t)(y & (NOISE_TEX - 1)) * NOISE_TEX;
				int amp = fill == ANON_FILL_PIXELATE;
				for (int x = bx; x < ex; x++) {
					if (p && !poly_inside(p, x + 0.5f, y + 0.5f))
						continue;
					int v = my + amp * t[x & (NOISE_TEX - 1)];
					plane[0][(size_t)y * stride[0] + x] =
						(unsigned char)(v < 16 ? 16 : v > 235 ? 235 : v);
				}
			}
			for (int y = by / 2; y < (ey + 1) / 2; y++)
				for (int x = bx / 2; x < (ex + 1) / 2; x++) {
					if (p && !poly_inside(p, 2 * x + 1.f, 2 * y + 1.f))
						continue;
					plane[1][(size_t)y * stride[1] + x] = (unsigned char)mu;
					plane[2][(size_t)y * stride[2] + x] = (unsigned char)mv;
				}
		}
}

void anon_fill_yuv420(unsigned char *const plane[3], const int stride[3], int w, int h,
                      const struct anon_box *b, enum anon_fill fill)
{
	/* Round outwards to even pixels so chroma samples are covered whole. */
	fill_region(plane, stride, w, h, b->x0, b->y0, (b->x1 + 1) & ~1, (b->y1 + 1) & ~1,
	            NULL, fill);
}

void anon_fill_poly_yuv420(unsigned char *const plane[3], const int stride[3], int w, int h,
                           const struct anon_poly *p, enum anon_fill fill)
{
	float x0 = p->x[0], y0 = p->y[0], x1 = p->x[0], y1 = p->y[0];

	if (p->n < 3 || p->n > ANON_MAX_POLY)
		return;
	for (int i = 1; i < p->n; i++) {
		x0 = p->x[i] < x0 ? p->x[i] : x0;
		y0 = p->y[i] < y0 ? p->y[i] : y0;
		x1 = p->x[i] > x1 ? p->x[i] : x1;
		y1 = p->y[i] > y1 ? p->y[i] : y1;
	}
	fill_region(plane, stride, w, h, (int)x0 - 1, (int)y0 - 1, (int)x1 + 2, (int)y1 + 2, p, fill);
}

/* Area of the intersection over the smaller box's area. */
static float overlap(const struct anon_box *a, const struct anon_box *b)
{
	int ix0 = a->x0 > b->x0 ? a->x0 : b->x0, iy0 = a->y0 > b->y0 ? a->y0 : b->y0;
	int ix1 = a->x1 < b->x1 ? a->x1 : b->x1, iy1 = a->y1 < b->y1 ? a->y1 : b->y1;
	long aa = (long)(a->x1 - a->x0) * (a->y1 - a->y0), ab = (long)(b->x1 - b->x0) * (b->y1 - b->y0);
	long m = aa < ab ? aa : ab;

	if (ix1 <= ix0 || iy1 <= iy0 || m <= 0)
		return 0.f;
	return (float)((long)(ix1 - ix0) * (iy1 - iy0)) / (float)m;
}

int anon_boxes_merge(struct anon_box *b, int n)
{
	int merged = 1;

	while (merged) {
		merged = 0;
		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++) {
				if (b[i].kind != b[j].kind || overlap(&b[i], &b[j]) < 0.6f)
					continue;
				b[i].x0 = b[j].x0 < b[i].x0 ? b[j].x0 : b[i].x0;
				b[i].y0 = b[j].y0 < b[i].y0 ? b[j].y0 : b[i].y0;
				b[i].x1 = b[j].x1 > b[i].x1 ? b[j].x1 : b[i].x1;
				b[i].y1 = b[j].y1 > b[i].y1 ? b[j].y1 : b[i].y1;
				b[i].score = b[j].score > b[i].score ? b[j].score : b[i].score;
				b[i].held = b[i].held && b[j].held;
				b[j--] = b[--n];
				merged = 1;
			}
	}
	return n;
}
