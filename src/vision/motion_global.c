/*
 * motion_global.c — is the whole frame changing?
 *
 * About 1500 unmasked pixels on a regular grid are enough to tell a light
 * switch, an IR day/night switch or an exposure change from an object, and
 * to measure the noise level, at a cost of ~3 % of the per-pixel work.
 *
 *	raw  fraction of samples that differ from the background
 *	fd   fraction that differ from the previous frame (suddenness)
 *
 * An object changes part of the frame and leaves most of it alone. A
 * global change is explained by one gain (exposure: x = g * bg) or one
 * offset (x = bg + o) for the whole frame, fitted as medians so that
 * objects covering less than half the frame do not bias them; then the
 * background is adjusted and detection goes on in the same frame. A change
 * that no global model explains and that hits most of the frame at once
 * (colour to infrared, a lamp) is a switch: re-learn, report nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "motion_int.h"

int
motion_global_init(struct motion_global *g, const uint8_t *act, int w, int h)
{
	int step = (int)sqrt((double)w * h / MOTION_SAMPLES_WANTED);
	int cap, n = 0;

	if (step < 1)
		step = 1;
	cap = (w / step + 1) * (h / step + 1);
	memset(g, 0, sizeof(*g));
	g->sx = malloc((size_t)cap * sizeof(*g->sx));
	g->sy = malloc((size_t)cap * sizeof(*g->sy));
	g->prev = calloc((size_t)cap, 1);
	g->x = calloc((size_t)cap, 1);
	g->b = calloc((size_t)cap, 1);
	if (!g->sx || !g->sy || !g->prev || !g->x || !g->b) {
		motion_global_free(g);
		return -1;
	}
	for (int y = step / 2; y < h; y += step)
		for (int x = step / 2; x < w; x += step)
			if (act[(size_t)y * w + x] && n < cap) {
				g->sx[n] = (uint16_t)x;
				g->sy[n] = (uint16_t)y;
				n++;
			}
	g->n = n;
	return 0;
}

void
motion_global_free(struct motion_global *g)
{
	free(g->sx);
	free(g->sy);
	free(g->prev);
	free(g->x);
	free(g->b);
	memset(g, 0, sizeof(*g));
}

void
motion_global_sample(struct motion_global *g, const uint8_t *cur, int cs)
{
	for (int i = 0; i < g->n; i++)
		g->prev[i] = cur[(size_t)g->sy[i] * cs + g->sx[i]];
}

void
motion_global_commit(struct motion_global *g)
{
	memcpy(g->prev, g->x, (size_t)g->n);
}

/* Quantile q of a histogram of integer values, interpolated inside the
 * bin: integer |differences| of continuous noise fill bin k from k-0.5 to
 * k+0.5, so small noise levels are not rounded to 0 or 1. */
static float
quantile(const uint32_t *hist, int nbins, uint32_t total, float q)
{
	float target = q * (float)total, cum = 0;

	for (int k = 0; k < nbins; k++) {
		if (hist[k] > 0 && cum + (float)hist[k] >= target) {
			float lo = k == 0 ? 0.0f : k - 0.5f;
			float width = k == 0 ? 0.5f : 1.0f;
			return lo + width * (target - cum) / (float)hist[k];
		}
		cum += (float)hist[k];
	}
	return (float)nbins;
}

/* From the 40th percentile of |n| to the mean |n| of Gaussian noise:
 * 0.798 / 0.524. A low percentile stays right with objects in view. */
#define Q40_TO_MAD 1.523f

void
motion_global_stats(struct motion_global *g, const uint8_t *cur, int cs,
    const uint16_t *bg, int w, int thr, struct motion_gstat *st)
{
	uint32_t hb[256] = { 0 }, hp[256] = { 0 };
	int raw = 0, fd = 0;

	memset(st, 0, sizeof(*st));
	st->thr = thr;
	st->gain256 = 256;
	if (g->n == 0)
		return;
	for (int i = 0; i < g->n; i++) {
		int x = cur[(size_t)g->sy[i] * cs + g->sx[i]];
		int b = (bg[(size_t)g->sy[i] * w + g->sx[i]] +
		    (1 << (MOTION_BG_SHIFT - 1))) >> MOTION_BG_SHIFT;
		int db = abs(x - b), dp = abs(x - g->prev[i]);
		g->x[i] = (uint8_t)x;
		g->b[i] = (uint8_t)(b > 255 ? 255 : b);
		hb[db]++;
		hp[dp]++;
		raw += db > thr;
		fd += dp > thr;
	}
	st->n = g->n;
	st->raw = (float)raw / g->n;
	st->fd = (float)fd / g->n;
	st->noise = quantile(hb, 256, (uint32_t)g->n, 0.4f) * Q40_TO_MAD;
	st->fd_noise = quantile(hp, 256, (uint32_t)g->n, 0.4f) * Q40_TO_MAD /
	    1.41421356f;
}

/* Fraction of samples still differing when the background is predicted
 * through the offset or the gain. */
static float
residual(const struct motion_global *g, int thr, int use_gain, int off,
    int g256)
{
	int n = 0;

	for (int i = 0; i < g->n; i++) {
		int p = use_gain ? (g->b[i] * g256 + 128) >> 8 : g->b[i] + off;
		p = p < 0 ? 0 : (p > 255 ? 255 : p);
		n += abs(g->x[i] - p) > thr;
	}
	return (float)n / g->n;
}

enum motion_gdecision
motion_global_decide(const struct motion_global *g, struct motion_gstat *st,
    float base, float lightswitch)
{
	uint32_t ho[511] = { 0 }, hg[1024] = { 0 };
	uint32_t ng = 0;

	/* Little changed: objects, if anything. */
	if (st->n == 0 || st->raw < 0.15f)
		return MOTION_G_NONE;

	/* Fit: median offset, and median gain over samples that are neither
	 * too dark for a ratio nor clipped. */
	for (int i = 0; i < g->n; i++) {
		int x = g->x[i], b = g->b[i];
		ho[x - b + 255]++;
		if (b >= 16 && b <= 250 && x <= 250) {
			int r = (x * 256 + b / 2) / b;
			hg[r > 1023 ? 1023 : r]++;
			ng++;
		}
	}
	st->offset = (int)lroundf(quantile(ho, 511, (uint32_t)g->n, 0.5f)) - 255;
	float co = residual(g, st->thr, 0, st->offset, 256);
	float cg = 2;
	if (ng >= (uint32_t)g->n / 4) {
		st->gain256 = (int)lroundf(quantile(hg, 1024, ng, 0.5f));
		cg = residual(g, st->thr, 1, 0, st->gain256);
	}
	st->use_gain = cg < co;
	st->comp = st->use_gain ? cg : co;

	/* Explained by one global model down to what was changing before
	 * (objects in view): an exposure change. Adjust the background and
	 * go on detecting in this very frame. */
	if (st->comp <= base + 0.004f &&
	    (st->use_gain ? st->gain256 != 256 : st->offset != 0))
		return MOTION_G_COMPENSATE;

	/* Otherwise a sudden change that is global (a model explains much of
	 * it but leaves patches, as colour turning to infrared does) or that
	 * covers most of the frame is a switch; so is a change of all of it.
	 * A large object appearing at once is neither: no model fits it. */
	if (lightswitch > 0 && ((st->fd >= 0.5f * st->raw &&
	    (st->comp <= 0.5f * st->raw || st->raw >= lightswitch)) ||
	    st->raw >= 0.9f))
		return MOTION_G_SWITCH;
	return MOTION_G_NONE;
}
