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
			/* The common case (640x360 -> 320x180): each pair of
			 * bytes read as one uint16, its two halves added (in
			 * either byte order) in 16-bit lanes: no shuffles, 3-4x
			 * faster than strided byte loads. */
			const uint8_t *restrict r1 = r0 + stride;
			for (int x = 0; x < w; x++) {
				uint16_t p, q;
				memcpy(&p, r0 + 2 * x, 2);
				memcpy(&q, r1 + 2 * x, 2);
				o[x] = (uint8_t)(((p & 0xff) + (p >> 8) +
				    (q & 0xff) + (q >> 8) + 2) >> 2);
			}
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
 * Detection, every frame: a pixel is foreground (1) where it differs from
 * the background by more than its threshold,
 *
 *	fg = |x - bg| > max(floor, tl)
 *
 * tl is the per-pixel part (k * noise, 255 under a mask) kept up to date by
 * motion_learn. Three byte loads and a store per pixel: this runs at close
 * to the speed of a bare frame difference.
 */
static inline unsigned
detect_row(const uint8_t *restrict x, const uint8_t *restrict bgi,
    const uint8_t *restrict tl, uint8_t *restrict fg, int w, uint8_t fl)
{
	unsigned n = 0;

	for (int i = 0; i < w; i++) {
		uint8_t d = (uint8_t)(x[i] > bgi[i] ? x[i] - bgi[i] :
		    bgi[i] - x[i]);
		uint8_t t = tl[i] > fl ? tl[i] : fl;
		fg[i] = d > t;
		n += fg[i];
	}
	return n;
}

unsigned
motion_detect(const uint8_t *cur, int cstride, const uint8_t *bgi,
    const uint8_t *tl, uint8_t *fg, int w, int h, uint8_t floor)
{
	unsigned n = 0;

	for (int y = 0; y < h; y++) {
		size_t o = (size_t)y * w;
		n += detect_row(cur + (size_t)y * cstride, bgi + o, tl + o,
		    fg + o, w, floor);
	}
	return n;
}

/*
 * Learning, at most every MOTION_LEARN_MS (and every frame while warming
 * up), on the foreground just detected:
 *
 *	bg    += (x - bg) * a    background pixels only (selective update:
 *	                         a moving object is never smeared into bg)
 *	dev   += (min(|x - bg|, 31) - dev) / 16     background pixels only
 *	a pixel foreground for `absorb` ticks becomes background at once
 *	(a parked car): bg = x, its timer restarts, fg is cleared
 *	bgi    = bg rounded down to a grey level, for motion_detect
 *	tl     = k * dev, or 255 under a mask
 */
static inline void
learn_row(const uint8_t *restrict x, uint16_t *restrict bg,
    uint8_t *restrict bgi, uint8_t *restrict dev, uint8_t *restrict tl,
    uint16_t *restrict since, const uint8_t *restrict act,
    uint8_t *restrict fg, int w, const struct motion_px *p)
{
	const int16_t a = p->a;
	const int16_t kq = p->kq;
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
		int16_t mfg = (int16_t)-(int16_t)fg[i];
		int16_t bi = (int16_t)(b >> MOTION_BG_SHIFT);
		int16_t d = (int16_t)(xi > bi ? xi - bi : bi - xi);
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
		int16_t nb = (int16_t)(b + upd);
		bg[i] = (uint16_t)nb;
		bgi[i] = (uint8_t)(nb >> MOTION_BG_SHIFT);

		/* Noise: mean |x - bg| * 8, rounded, background only. */
		int16_t dd = (int16_t)((d > 31 ? 31 : d) << 3);
		int16_t dupd = (int16_t)((dd - dv + 8) >> 4);
		int16_t nd = (int16_t)(dv + (dupd & dmask & ~mfg));
		dev[i] = (uint8_t)nd;
		int16_t t = (int16_t)((nd * kq) >> 5);
		t = t > 255 ? 255 : t;
		tl[i] = (uint8_t)((t & ac) | (255 & ~ac));

		since[i] = (uint16_t)((s & ~mab) | (now & mab));
		fg[i] = (uint8_t)(mfg & ~mab & 1);
	}
}

void
motion_learn(const uint8_t *cur, int cstride, struct motion_planes *pl,
    int w, int h, const struct motion_px *p)
{
	for (int y = 0; y < h; y++) {
		size_t o = (size_t)y * w;
		learn_row(cur + (size_t)y * cstride, pl->bg + o, pl->bgi + o,
		    pl->dev + o, pl->tl + o, pl->since + o, pl->act + o,
		    pl->fg + o, w, p);
	}
}

/* Re-learn at once: bg = x everywhere (after a light or IR switch). */
static inline void
snap_row(const uint8_t *restrict x, uint16_t *restrict bg,
    uint8_t *restrict bgi, uint16_t *restrict since, int w, uint16_t now)
{
	for (int i = 0; i < w; i++) {
		bg[i] = (uint16_t)(x[i] << MOTION_BG_SHIFT);
		bgi[i] = x[i];
		since[i] = now;
	}
}

void
motion_snap(const uint8_t *cur, int cstride, struct motion_planes *pl, int w,
    int h, uint16_t now)
{
	for (int y = 0; y < h; y++) {
		size_t o = (size_t)y * w;
		snap_row(cur + (size_t)y * cstride, pl->bg + o, pl->bgi + o,
		    pl->since + o, w, now);
	}
}

/* Global brightness change explained by an offset: bg += off levels. */
void
motion_bg_offset(uint16_t *restrict bg, uint8_t *restrict bgi, int n, int off)
{
	int32_t o = off * (1 << MOTION_BG_SHIFT);

	for (int i = 0; i < n; i++) {
		int32_t v = bg[i] + o;
		v = v < 0 ? 0 : v;
		v = v > MOTION_BG_MAX ? MOTION_BG_MAX : v;
		bg[i] = (uint16_t)v;
		bgi[i] = (uint8_t)(v >> MOTION_BG_SHIFT);
	}
}

/* ... or by a gain (exposure): bg *= g256 / 256. */
void
motion_bg_gain(uint16_t *restrict bg, uint8_t *restrict bgi, int n, int g256)
{
	for (int i = 0; i < n; i++) {
		uint32_t v = ((uint32_t)bg[i] * (uint32_t)g256 + 128) >> 8;
		v = v > MOTION_BG_MAX ? MOTION_BG_MAX : v;
		bg[i] = (uint16_t)v;
		bgi[i] = (uint8_t)(v >> MOTION_BG_SHIFT);
	}
}

/*
 * 3x3 morphology on 0/1 masks, separable: a horizontal pass into tmp,
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
 * Majority (binary median) 3x3 on 0/1 masks: foreground where at least 5
 * of the 9 pixels are. Unlike an erosion it keeps a noisy object whose
 * mask has holes, and it removes isolated noise pixels just as well. One
 * pass: per row, vertical sums of three rows into a row buffer (w + 2
 * bytes, zero at both ends: outside the frame is background), then
 * horizontal sums of three of those.
 */
static inline void
vsum_row(const uint8_t *restrict a, const uint8_t *restrict b,
    const uint8_t *restrict c, uint8_t *restrict v, int w)
{
	for (int x = 0; x < w; x++)
		v[x] = (uint8_t)(a[x] + b[x] + c[x]);
}

static inline void
hmaj_row(const uint8_t *restrict v, uint8_t *restrict o, int w)
{
	for (int x = 0; x < w; x++)
		o[x] = (uint8_t)(v[x] + v[x + 1] + v[x + 2]) >= 5;
}

void
motion_majority(const uint8_t *in, uint8_t *out, uint8_t *tmp, int w, int h)
{
	/* tmp: a zero row (w bytes) and the row buffer (w + 2 bytes). */
	uint8_t *zero = tmp, *v = tmp + w;

	memset(zero, 0, (size_t)w);
	v[0] = v[w + 1] = 0;
	for (int y = 0; y < h; y++) {
		const uint8_t *a = y > 0 ? in + (size_t)(y - 1) * w : zero;
		const uint8_t *c = y < h - 1 ? in + (size_t)(y + 1) * w : zero;
		vsum_row(a, in + (size_t)y * w, c, v + 1, w);
		hmaj_row(v, out + (size_t)y * w, w);
	}
}
