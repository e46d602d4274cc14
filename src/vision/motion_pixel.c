/*
 * motion_pixel.c — the per-pixel kernels of motion detection.
 *
 * Plain C written so that gcc and clang vectorise every inner loop at -O3
 * (check with -fopt-info-vec): no calls, no early exits, restrict pointers,
 * branch-free selects, and the narrowest integer types that hold the values
 * (uint8 pixels, int16 fixed-point background) so one SSE2 register carries
 * 16 or 8 pixels. Borders are handled outside the inner loops.
 */
#include <string.h>

#include "motion_int.h"

/* Box-average f x f blocks of src into dst (w x h). acc holds w * f
 * uint16; f <= 16 so a block sum (<= 256 * 255) fits. */
void
motion_downscale(const uint8_t *src, int stride, int f, uint8_t *dst, int w,
    int h, uint16_t *acc)
{
	int n = w * f;
	uint32_t mul = (65536u + (uint32_t)(f * f) - 1) / (uint32_t)(f * f);

	for (int y = 0; y < h; y++) {
		const uint8_t *restrict r0 = src + (size_t)y * f * stride;
		uint8_t *restrict o = dst + (size_t)y * w;
		uint16_t *restrict a = acc;

		if (f == 2) {
			/* The common case (640x360 -> 320x180): add the two
			 * rows, then pairs of columns. */
			const uint8_t *restrict r1 = r0 + stride;
			for (int x = 0; x < n; x++)
				a[x] = (uint16_t)(r0[x] + r1[x]);
			for (int x = 0; x < w; x++)
				o[x] = (uint8_t)((a[2 * x] + a[2 * x + 1] + 2) >> 2);
			continue;
		}
		/* Vertical sums over f rows, then f columns at a time. */
		for (int x = 0; x < n; x++)
			a[x] = r0[x];
		for (int k = 1; k < f; k++) {
			const uint8_t *restrict r = r0 + (size_t)k * stride;
			for (int x = 0; x < n; x++)
				a[x] = (uint16_t)(a[x] + r[x]);
		}
		for (int x = 0; x < w; x++) {
			uint32_t s = 0;
			for (int k = 0; k < f; k++)
				s += a[x * f + k];
			o[x] = (uint8_t)((s * mul + 32768) >> 16);
		}
	}
}

/*
 * The core: for every pixel compare with the background, decide foreground,
 * and learn.
 *
 *	d      = |x - bg|
 *	thr    = max(floor, k * dev)            per-pixel noise, global floor
 *	fg     = d > thr and not masked
 *	bg    += (x - bg) * a    for background pixels only (selective update:
 *	                         a moving object is never smeared into bg)
 *	dev   += (min(d,31) - dev) / 16   for background pixels
 *	a pixel foreground for `absorb` ticks becomes background at once
 *	(a parked car): bg = x, and its timer restarts.
 */
static inline void
classify_row(const uint8_t *restrict x, uint16_t *restrict bg,
    uint8_t *restrict dev, uint16_t *restrict since,
    const uint8_t *restrict act, uint8_t *restrict fg, int w,
    const struct motion_px *p)
{
	const int16_t a = p->a;
	const int16_t kq = p->kq, fl = p->floor;
	const int16_t now = (int16_t)p->now;
	const uint16_t absorb = p->absorb;
	const int16_t dmask = p->learn_dev ? -1 : 0;
	const int16_t amask = p->absorb_on ? -1 : 0;

	for (int i = 0; i < w; i++) {
		/* Every load unconditional and every select a mask (0 or -1):
		 * gcc would turn ?: into branches here. */
		int16_t b = (int16_t)bg[i];
		int16_t xi = x[i];
		int16_t s0 = (int16_t)since[i];
		int16_t ac = (int16_t)(int8_t)act[i];
		int16_t dv = dev[i];
		int16_t bi = (int16_t)(b >> MOTION_BG_SHIFT);
		int16_t d = (int16_t)(xi > bi ? xi - bi : bi - xi);
		int16_t t = (int16_t)((dv * kq) >> 5);
		t = t > fl ? t : fl;
		int16_t mfg = (int16_t)(-(d > t) & ac);
		int16_t s = (int16_t)((s0 & mfg) | (now & ~mfg));
		int16_t mab = (int16_t)(mfg & amask &
		    -((uint16_t)(now - s) >= absorb));

		/* Background: x*128 - bg fits int16; the high half of the
		 * product is the update (pmulhw), +1 when positive so that it
		 * converges from below as well as from above. */
		int16_t diff = (int16_t)((xi << MOTION_BG_SHIFT) - b);
		int16_t upd = (int16_t)(((int32_t)diff * a) >> 16);
		upd = (int16_t)((upd + (diff > 0)) & ~mfg);
		upd = (int16_t)((upd & ~mab) | (diff & mab));
		bg[i] = (uint16_t)(b + upd);

		/* Noise: mean |x - bg| * 8, rounded, background only. */
		int16_t dd = (int16_t)((d > 31 ? 31 : d) << 3);
		int16_t dupd = (int16_t)((dd - dv + 8) >> 4);
		dev[i] = (uint8_t)(dv + (dupd & dmask & ~mfg));

		since[i] = (uint16_t)((s & ~mab) | (now & mab));
		fg[i] = (uint8_t)(mfg & ~mab);
	}
}

void
motion_classify(const uint8_t *cur, int cstride, uint16_t *bg, uint8_t *dev,
    uint16_t *since, const uint8_t *act, uint8_t *fg, int w, int h,
    const struct motion_px *p)
{
	for (int y = 0; y < h; y++) {
		size_t o = (size_t)y * w;
		classify_row(cur + (size_t)y * cstride, bg + o, dev + o,
		    since + o, act + o, fg + o, w, p);
	}
}

/* Re-learn at once: bg = x everywhere (after a light or IR switch). */
void
motion_snap(const uint8_t *cur, int cstride, uint16_t *bgp, uint16_t *sincep,
    int w, int h, uint16_t now)
{
	for (int y = 0; y < h; y++) {
		const uint8_t *restrict x = cur + (size_t)y * cstride;
		uint16_t *restrict bg = bgp + (size_t)y * w;
		uint16_t *restrict since = sincep + (size_t)y * w;

		for (int i = 0; i < w; i++) {
			bg[i] = (uint16_t)(x[i] << MOTION_BG_SHIFT);
			since[i] = now;
		}
	}
}

/* Global brightness change explained by an offset: bg += off levels. */
void
motion_bg_offset(uint16_t *restrict bg, int n, int off)
{
	int32_t o = off * (1 << MOTION_BG_SHIFT);

	for (int i = 0; i < n; i++) {
		int32_t v = bg[i] + o;
		v = v < 0 ? 0 : v;
		v = v > MOTION_BG_MAX ? MOTION_BG_MAX : v;
		bg[i] = (uint16_t)v;
	}
}

/* ... or by a gain (exposure): bg *= g256 / 256. */
void
motion_bg_gain(uint16_t *restrict bg, int n, int g256)
{
	for (int i = 0; i < n; i++) {
		uint32_t v = ((uint32_t)bg[i] * (uint32_t)g256 + 128) >> 8;
		v = v > MOTION_BG_MAX ? MOTION_BG_MAX : v;
		bg[i] = (uint16_t)v;
	}
}

/*
 * 3x3 morphology on 0/0xff masks, separable: a horizontal pass into tmp,
 * then a vertical pass into out. Outside the frame counts as the operation's
 * neutral value (erosion keeps objects touching the border intact).
 */
#define MIN3(a, b, c) ((uint8_t)((a) < (b) ? ((a) < (c) ? (a) : (c)) : \
	((b) < (c) ? (b) : (c))))
#define MAX3(a, b, c) ((uint8_t)((a) > (b) ? ((a) > (c) ? (a) : (c)) : \
	((b) > (c) ? (b) : (c))))

void
motion_erode(const uint8_t *in, uint8_t *out, uint8_t *tmp, int w, int h)
{
	for (int y = 0; y < h; y++) {
		const uint8_t *restrict s = in + (size_t)y * w;
		uint8_t *restrict t = tmp + (size_t)y * w;

		t[0] = s[0] < s[1] ? s[0] : s[1];
		for (int x = 1; x < w - 1; x++)
			t[x] = MIN3(s[x - 1], s[x], s[x + 1]);
		t[w - 1] = s[w - 2] < s[w - 1] ? s[w - 2] : s[w - 1];
	}
	for (int y = 0; y < h; y++) {
		const uint8_t *restrict a = tmp + (size_t)(y > 0 ? y - 1 : y) * w;
		const uint8_t *restrict b = tmp + (size_t)y * w;
		const uint8_t *restrict c = tmp + (size_t)(y < h - 1 ? y + 1 : y) * w;
		uint8_t *restrict o = out + (size_t)y * w;

		for (int x = 0; x < w; x++)
			o[x] = MIN3(a[x], b[x], c[x]);
	}
}

void
motion_dilate(const uint8_t *in, uint8_t *out, uint8_t *tmp, int w, int h)
{
	for (int y = 0; y < h; y++) {
		const uint8_t *restrict s = in + (size_t)y * w;
		uint8_t *restrict t = tmp + (size_t)y * w;

		t[0] = s[0] > s[1] ? s[0] : s[1];
		for (int x = 1; x < w - 1; x++)
			t[x] = MAX3(s[x - 1], s[x], s[x + 1]);
		t[w - 1] = s[w - 2] > s[w - 1] ? s[w - 2] : s[w - 1];
	}
	for (int y = 0; y < h; y++) {
		const uint8_t *restrict a = tmp + (size_t)(y > 0 ? y - 1 : y) * w;
		const uint8_t *restrict b = tmp + (size_t)y * w;
		const uint8_t *restrict c = tmp + (size_t)(y < h - 1 ? y + 1 : y) * w;
		uint8_t *restrict o = out + (size_t)y * w;

		for (int x = 0; x < w; x++)
			o[x] = MAX3(a[x], b[x], c[x]);
	}
}

/*
 * Majority (binary median) 3x3: foreground where at least 5 of the 9
 * pixels are. Unlike an erosion it keeps a noisy object whose mask has
 * holes, and it removes isolated noise pixels just as well. Counts are
 * built separably in bytes: tmp = horizontal sums of 0/1, then vertical.
 * Outside the frame counts as background.
 */
void
motion_majority(const uint8_t *in, uint8_t *out, uint8_t *tmp, int w, int h)
{
	for (int y = 0; y < h; y++) {
		const uint8_t *restrict s = in + (size_t)y * w;
		uint8_t *restrict t = tmp + (size_t)y * w;

		t[0] = (uint8_t)((s[0] & 1) + (s[1] & 1));
		for (int x = 1; x < w - 1; x++)
			t[x] = (uint8_t)((s[x - 1] & 1) + (s[x] & 1) +
			    (s[x + 1] & 1));
		t[w - 1] = (uint8_t)((s[w - 2] & 1) + (s[w - 1] & 1));
	}
	for (int y = 0; y < h; y++) {
		const uint8_t *restrict b = tmp + (size_t)y * w;
		uint8_t *restrict o = out + (size_t)y * w;

		if (y == 0 || y == h - 1) {
			const uint8_t *restrict c = tmp +
			    (size_t)(y == 0 ? (h > 1 ? 1 : 0) : y - 1) * w;
			for (int x = 0; x < w; x++)
				o[x] = (uint8_t)((b[x] + c[x]) >= 5 ? 0xff : 0);
			continue;
		}
		const uint8_t *restrict a = tmp + (size_t)(y - 1) * w;
		const uint8_t *restrict c = tmp + (size_t)(y + 1) * w;
		for (int x = 0; x < w; x++)
			o[x] = (uint8_t)((a[x] + b[x] + c[x]) >= 5 ? 0xff : 0);
	}
}
