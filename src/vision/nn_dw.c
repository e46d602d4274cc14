/*
 * nn_dw.c — depthwise convolution rows (see nn_int.h, nn_dwconv_run).
 *
 * Depthwise layers do 9 or 25 multiply-adds per value they read, so they
 * are bound by loads and loop overhead, not arithmetic. The kernels here
 * are specialised at compile time for the window and stride the models
 * use (3x3 and 5x5, stride 1 and 2; anything else takes the same code
 * with run-time sizes): a block of 16 channels keeps all its tap weights
 * in registers while the row streams past, 8 (3x3) or 4 (5x5) output
 * pixels at a time, each with its own accumulator (FMA latency), and the
 * activation is applied before the one store. Rows of padding read a zero
 * row; pixels whose window crosses the left or right edge take a checked
 * path (a few per row).
 */
#include <immintrin.h>
#include <string.h>

#include "nn_int.h"

#define MAXK 16

struct dwjob {
	const float *rows[MAXK];    /* the kh input rows of this output row */
	const float *w, *bias;
	float *o;
	int C, kh, kw, sw, iw, ow, pl;
	enum nn_act act;
	float alpha;
};

/* First and one-past-last output pixel whose window lies inside the row. */
NN_HOT static void interior(const struct dwjob *j, int KW, int SW, int *lo, int *hi)
{
	int l = (j->pl + SW - 1) / SW, h = j->iw - KW + j->pl < 0 ? 0 : (j->iw - KW + j->pl) / SW + 1;

	l = l > j->ow ? j->ow : l;
	h = h > j->ow ? j->ow : h;
	*lo = l;
	*hi = h < l ? l : h;
}

/* ---- portable C (also compiled for AVX2: the loops vectorise) -------- */

/* One pixel, every channel, window taps checked against the row. */
static inline __attribute__((always_inline)) NN_HOT
void dwc_pixel(const struct dwjob *j, int ox, const int KH, const int KW, const int SW)
{
	const int C = j->C;
	float *o = j->o + (size_t)ox * C;

	for (int c = 0; c < C; c++)
		o[c] = j->bias[c];
	for (int ky = 0; ky < KH; ky++)
		for (int kx = 0; kx < KW; kx++) {
			int ix = ox * SW + kx - j->pl;
			if (ix < 0 || ix >= j->iw)
				continue;
			const float *ip = j->rows[ky] + (size_t)ix * C, *wp = j->w + (size_t)(ky * KW + kx) * C;
			for (int c = 0; c < C; c++)
				o[c] += ip[c] * wp[c];
		}
}

/* 4 interior pixels x W channels from channel cb. */
#define DWC_TILE(W)                                                             \
	do {                                                                    \
		float acc[4][W];                                                \
		for (int p = 0; p < 4; p++)                                     \
			for (int q = 0; q < W; q++)                             \
				acc[p][q] = j->bias[cb + q];                    \
		for (int ky = 0; ky < KH; ky++)                                 \
			for (int kx = 0; kx < KW; kx++) {                       \
				const float *wp = j->w + (size_t)(ky * KW + kx) * C + cb; \
				const float *ip = j->rows[ky] + (size_t)(ox * SW + kx - j->pl) * C + cb; \
				for (int p = 0; p < 4; p++)                     \
					for (int q = 0; q < W; q++)             \
						acc[p][q] += ip[(size_t)p * SW * C + q] * wp[q]; \
			}                                                       \
		for (int p = 0; p < 4; p++)                                     \
			for (int q = 0; q < W; q++)                             \
				o[(size_t)p * C + cb + q] = acc[p][q];          \
	} while (0)

static inline __attribute__((always_inline)) NN_HOT
void dwc_row(const struct dwjob *j, const int KH, const int KW, const int SW)
{
	const int C = j->C;
	int lo, hi, ox = 0;

	interior(j, KW, SW, &lo, &hi);
	for (; ox < lo; ox++)
		dwc_pixel(j, ox, KH, KW, SW);
	for (; ox + 4 <= hi; ox += 4) {
		float *o = j->o + (size_t)ox * C;
		int cb = 0;
		for (; cb + 16 <= C; cb += 16)
			DWC_TILE(16);
		for (; cb + 8 <= C; cb += 8)
			DWC_TILE(8);
		for (; cb < C; cb++)
			DWC_TILE(1);
	}
	for (; ox < j->ow; ox++)
		dwc_pixel(j, ox, KH, KW, SW);
	nn_act_apply(j->o, (size_t)j->ow * C, j->act, j->alpha);
}

static inline __attribute__((always_inline)) NN_HOT
void dwc_dispatch(const struct dwjob *j)
{
	if (j->kh == 3 && j->kw == 3 && j->sw == 1)
		dwc_row(j, 3, 3, 1);
	else if (j->kh == 3 && j->kw == 3 && j->sw == 2)
		dwc_row(j, 3, 3, 2);
	else if (j->kh == 5 && j->kw == 5 && j->sw == 1)
		dwc_row(j, 5, 5, 1);
	else if (j->kh == 5 && j->kw == 5 && j->sw == 2)
		dwc_row(j, 5, 5, 2);
	else
		dwc_row(j, j->kh, j->kw, j->sw);
}

NN_HOT static void dw_row_generic(const struct dwjob *j)
{
	dwc_dispatch(j);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) NN_HOT
static void dw_row_avx2(const struct dwjob *j)
{
	dwc_dispatch(j);
}

/* ---- AVX-512 ------------------------------------------------------------ */

__attribute__((target("avx512f"))) NN_HOT
static inline __m512 act16(__m512 v, enum nn_act act, float alpha)
{
	const __m512 z = _mm512_setzero_ps(), six = _mm512_set1_ps(6.f);

	switch (act) {
	case NN_ACT_RELU:
		return _mm512_max_ps(v, z);
	case NN_ACT_RELU6:
		return _mm512_min_ps(_mm512_max_ps(v, z), six);
	case NN_ACT_LEAKY:
		return _mm512_mask_mul_ps(v, _mm512_cmp_ps_mask(v, z, _CMP_LE_OQ), v,
		                          _mm512_set1_ps(alpha));
	case NN_ACT_HSWISH: {
		__m512 t = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, _mm512_set1_ps(3.f)), z), six);
		return _mm512_mul_ps(_mm512_mul_ps(v, t), _mm512_set1_ps(alpha != 0.f ? alpha : 1.f / 6.f));
	}
	default:
		return v;
	}
}

/* One block of 16 channels (mask m; FULL: all 16) of a whole row: the
 * KH*KW weight vectors live in registers, P pixels per step. */
__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) NN_HOT
void dw512_block(const struct dwjob *j, int cb, __mmask16 m, const int FULL,
                 const int KH, const int KW, const int SW, const int P)
{
	const int C = j->C, pl = j->pl;
	__m512 w[25], bias = _mm512_maskz_loadu_ps(m, j->bias + cb);
	int lo, hi, ox = 0;

#pragma GCC unroll 25
	for (int t = 0; t < KH * KW; t++)     /* KH * KW <= 25: see dw_row_avx512 */
		w[t] = _mm512_maskz_loadu_ps(m, j->w + (size_t)t * C + cb);
	interior(j, KW, SW, &lo, &hi);
	for (; ox < j->ow; ox++) {
		if (ox >= lo && ox + P <= hi)
			break;
		/* edge pixel: taps checked */
		__m512 acc = bias;
		for (int ky = 0; ky < KH; ky++)
			for (int kx = 0; kx < KW; kx++) {
				int ix = ox * SW + kx - pl;
				if (ix >= 0 && ix < j->iw)
					acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, j->rows[ky] + (size_t)ix * C + cb),
					                      w[ky * KW + kx], acc);
			}
		_mm512_mask_storeu_ps(j->o + (size_t)ox * C + cb, m, act16(acc, j->act, j->alpha));
	}
	for (; ox + P <= hi; ox += P) {
		__m512 acc[8];
#pragma GCC unroll 8
		for (int p = 0; p < P; p++)
			acc[p] = bias;
#pragma GCC unroll 5
		for (int ky = 0; ky < KH; ky++) {
			const float *ip = j->rows[ky] + (size_t)(ox * SW - pl) * C + cb;
#pragma GCC unroll 5
			for (int kx = 0; kx < KW; kx++)
#pragma GCC unroll 8
				for (int p = 0; p < P; p++) {
					const float *q = ip + (size_t)(p * SW + kx) * C;
					__m512 v = FULL ? _mm512_loadu_ps(q) : _mm512_maskz_loadu_ps(m, q);
					acc[p] = _mm512_fmadd_ps(v, w[ky * KW + kx], acc[p]);
				}
		}
#pragma GCC unroll 8
		for (int p = 0; p < P; p++) {
			float *q = j->o + (size_t)(ox + p) * C + cb;
			__m512 v = act16(acc[p], j->act, j->alpha);
			if (FULL)
				_mm512_storeu_ps(q, v);
			else
				_mm512_mask_storeu_ps(q, m, v);
		}
	}
	for (; ox < j->ow; ox++) {
		__m512 acc = bias;
		for (int ky = 0; ky < KH; ky++)
			for (int kx = 0; kx < KW; kx++) {
				int ix = ox * SW + kx - pl;
				if (ix >= 0 && ix < j->iw)
					acc = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, j->rows[ky] + (size_t)ix * C + cb),
					                      w[ky * KW + kx], acc);
			}
		_mm512_mask_storeu_ps(j->o + (size_t)ox * C + cb, m, act16(acc, j->act, j->alpha));
	}
}

__attribute__((target("avx512f"))) static inline __attribute__((always_inline)) NN_HOT
void dw512_row(const struct dwjob *j, const int KH, const int KW, const int SW, const int P)
{
	int cb = 0;

	for (; cb + 16 <= j->C; cb += 16)
		dw512_block(j, cb, 0xffff, 1, KH, KW, SW, P);
	if (cb < j->C)
		dw512_block(j, cb, (__mmask16)((1u << (j->C - cb)) - 1), 0, KH, KW, SW, P);
}

__attribute__((target("avx512f"))) NN_HOT
static void dw_row_avx512(const struct dwjob *j)
{
	if (j->kh == 3 && j->kw == 3 && j->sw == 1)
		dw512_row(j, 3, 3, 1, 8);
	else if (j->kh == 3 && j->kw == 3 && j->sw == 2)
		dw512_row(j, 3, 3, 2, 8);
	else if (j->kh == 5 && j->kw == 5 && j->sw == 1)
		dw512_row(j, 5, 5, 1, 4);
	else if (j->kh == 5 && j->kw == 5 && j->sw == 2)
		dw512_row(j, 5, 5, 2, 4);
	else
		dwc_row(j, j->kh, j->kw, j->sw);
}
#endif

static void dw_job(struct dwjob *j, const struct nn_dwconv *dw, int iw, int ow, int pl)
{
	memset(j, 0, sizeof(*j));
	j->w = dw->w;
	j->bias = dw->bias;
	j->C = dw->c;
	j->kh = dw->kh;
	j->kw = dw->kw;
	j->sw = dw->sw;
	j->iw = iw;
	j->ow = ow;
	j->pl = pl;
	j->act = dw->act;
	j->alpha = dw->alpha;
}

static void dw_go(const struct dwjob *j)
{
	int level = nn_isa_level();

	/* What the row kernel reads and writes (see nn_int.h). */
	for (int ky = 0; ky < j->kh; ky++)
		NN_CHECK(j->rows[ky], (size_t)j->iw * j->C * sizeof(float), "depthwise input");
	NN_CHECK(j->o, (size_t)j->ow * j->C * sizeof(float), "depthwise output");
	NN_CHECK(j->w, (size_t)j->kh * j->kw * j->C * sizeof(float), "depthwise weights");

#if defined(__x86_64__)
	if (level == 2)
		dw_row_avx512(j);
	else if (level == 1)
		dw_row_avx2(j);
	else
#endif
		dw_row_generic(j);
	(void)level;
}

void nn_dw_row(const struct nn_dwconv *dw, const float *const *rows, int iw, int ow, int pl,
               float *o)
{
	struct dwjob j;

	dw_job(&j, dw, iw, ow, pl);
	for (int ky = 0; ky < dw->kh; ky++)
		j.rows[ky] = rows[ky];
	j.o = o;
	dw_go(&j);
}

void nn_dw_rows(const struct nn_dwconv *dw, const struct nn_tensor *in, int oy0, int oy1,
                int ow, int pt, int pl, const float *zrow, float *o)
{
	struct dwjob j;

	dw_job(&j, dw, in->w, ow, pl);
	for (int oy = oy0; oy < oy1; oy++) {
		for (int ky = 0; ky < dw->kh; ky++) {
			int iy = oy * dw->sh + ky - pt;
			j.rows[ky] = iy >= 0 && iy < in->h ? in->d + (size_t)iy * in->w * dw->c : zrow;
		}
		j.o = o + (size_t)(oy - oy0) * ow * dw->c;
		dw_go(&j);
	}
}
