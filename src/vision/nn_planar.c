/*
 * nn_planar.c — separable blocks on planar rows, for chains (nn_chain.c).
 *
 * BlazeFace's first chains are seven depthwise 3x3 + 1x1 blocks of 24
 * channels at 320x192 and 160x96: 61% of the detector's time. In NHWC a
 * row of 24 channels fills the 16-wide vectors of AVX-512 a quarter
 * empty (16 + 8 lanes), both in the depthwise taps and in the 1x1
 * product's output columns, and each broadcast input value feeds only
 * the few columns there are. Here a chain row is stored planar instead —
 * one plane of W floats per channel (struct nn_planar layout below) — so
 * vectors run along the row, whatever the channel count:
 *  - the depthwise 3x3 taps are three unaligned loads (x-1, x, x+1) of a
 *    plane, every lane useful; the zeros either side of each plane are
 *    the left and right padding;
 *  - the 1x1 product computes 64 pixels x 6 output channels per tile (24
 *    accumulators): per input channel, 4 vector loads and 6 broadcast
 *    weights feed 24 multiply-adds, and no lane is padding.
 * AVX-512 only (nn_planar_ok); other kernels run the NHWC chain.
 */
#include <immintrin.h>
#include <string.h>

#include "nn_int.h"

int nn_planar_ok(void)
{
	return nn_isa_level() >= 2;
}

int nn_planar_stride(int w)
{
	return NN_PL_OFF + (w + 15) / 16 * 16 + 16;
}

int nn_planar_pack(const struct nn_conv *cv, float **bp)
{
	const int K = cv->kh * cv->kw * cv->cin, N = cv->cout, G = (N + NN_PL_NJ - 1) / NN_PL_NJ;
	float *p = nn_alloc((size_t)G * (K * NN_PL_NJ + NN_PL_NJ) * sizeof(float));

	*bp = p;
	if (p == NULL)
		return -1;
	/* Group g: K rows of NN_PL_NJ weights, then its NN_PL_NJ biases. */
	for (int g = 0; g < G; g++) {
		float *q = p + (size_t)g * (K * NN_PL_NJ + NN_PL_NJ);
		for (int j = 0; j < NN_PL_NJ; j++) {
			int n = g * NN_PL_NJ + j;
			for (int k = 0; k < K; k++)
				q[k * NN_PL_NJ + j] = n < N ? cv->panels[((size_t)(n / 16) * K + k) * 16 + n % 16] : 0.f;
			q[K * NN_PL_NJ + j] = n < N && cv->bias ? cv->bias[n] : 0.f;
		}
	}
	return 0;
}

#if defined(__x86_64__)
__attribute__((target("avx512f"))) NN_HOT
static inline __m512 pl_act(__m512 v, enum nn_act act, float alpha)
{
	const __m512 z = _mm512_setzero_ps(), six = _mm512_set1_ps(6.f);

	switch (act) {
	case NN_ACT_RELU:
		return _mm512_max_ps(v, z);
	case NN_ACT_RELU6:
		return _mm512_min_ps(_mm512_max_ps(v, z), six);
	case NN_ACT_LEAKY: {
		__mmask16 neg = _mm512_cmp_ps_mask(v, z, _CMP_LE_OQ);
		return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(alpha));
	}
	case NN_ACT_HSWISH: {
		__m512 t = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, _mm512_set1_ps(3.f)), z), six);
		return _mm512_mul_ps(_mm512_mul_ps(v, t), _mm512_set1_ps(alpha != 0.f ? alpha : 1.f / 6.f));
	}
	default:
		return v;
	}
}

/* Conversions at the tail's two ends, a gather per 16 floats (the
 * scalar loops cost 13% of the detector). */
__attribute__((target("avx512f"))) NN_HOT
void nn_planar_from_nhwc(const float *in, int w, int c, float *o)
{
	const int S = nn_planar_stride(w);
	const __m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5,
	                                                        4, 3, 2, 1, 0), _mm512_set1_epi32(c));

	NN_CHECK(in, (size_t)w * c * sizeof(float), "planar nhwc in");
	NN_CHECK(o, (size_t)c * S * sizeof(float), "planar out");

	for (int x = 0; x < w; x += 16) {
		__mmask16 m = w - x >= 16 ? 0xffff : (__mmask16)((1u << (w - x)) - 1);
		const float *ip = in + (size_t)x * c;
		for (int ch = 0; ch < c; ch++) {
			__m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, ip + ch, 4);
			_mm512_mask_storeu_ps(o + (size_t)ch * S + NN_PL_OFF + x, m, v);
		}
	}
}

__attribute__((target("avx512f"))) NN_HOT
void nn_planar_to_nhwc(const float *in, int w, int c, float *o)
{
	const int S = nn_planar_stride(w);
	const __m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5,
	                                                        4, 3, 2, 1, 0), _mm512_set1_epi32(S));

	NN_CHECK(in, (size_t)c * S * sizeof(float), "planar in");
	NN_CHECK(o, (size_t)w * c * sizeof(float), "planar nhwc out");

	for (int x = 0; x < w; x++) {
		const float *ip = in + NN_PL_OFF + x;
		float *op = o + (size_t)x * c;
		for (int ch = 0; ch < c; ch += 16) {
			__mmask16 m = c - ch >= 16 ? 0xffff : (__mmask16)((1u << (c - ch)) - 1);
			__m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, ip + (size_t)ch * S, 4);
			_mm512_mask_storeu_ps(op + ch, m, v);
		}
	}
}

__attribute__((target("avx512f"))) NN_HOT
void nn_planar_dw3(const struct nn_dwconv *dw, const float *const rows[3], int w, float *o)
{
	const int C = dw->c, S = nn_planar_stride(w);
	const enum nn_act act = dw->act;
	const float alpha = dw->alpha;

	for (int i = 0; i < 3; i++)
		NN_CHECK(rows[i], (size_t)C * S * sizeof(float), "planar dw row");
	NN_CHECK(o, (size_t)C * S * sizeof(float), "planar dw out");

	for (int c = 0; c < C; c++) {
		__m512 t[9], b = _mm512_set1_ps(dw->bias ? dw->bias[c] : 0.f);
		const float *r0 = rows[0] + (size_t)c * S + NN_PL_OFF;
		const float *r1 = rows[1] + (size_t)c * S + NN_PL_OFF;
		const float *r2 = rows[2] + (size_t)c * S + NN_PL_OFF;
		float *op = o + (size_t)c * S + NN_PL_OFF;
		for (int i = 0; i < 9; i++)
			t[i] = _mm512_set1_ps(dw->w[(size_t)i * C + c]);
		/* Aligned loads only (planes start on 64 bytes): the x-1 and x+1
		 * vectors are shifted from the previous, current and next ones
		 * (unaligned loads split cache lines, 6 of 9 taps). */
		__m512 p0 = _mm512_load_ps(r0 - 16), p1 = _mm512_load_ps(r1 - 16), p2 = _mm512_load_ps(r2 - 16);
		__m512 c0 = _mm512_load_ps(r0), c1 = _mm512_load_ps(r1), c2 = _mm512_load_ps(r2);
		for (int x = 0; x < w; x += 16) {
			__m512 n0 = _mm512_load_ps(r0 + x + 16), n1 = _mm512_load_ps(r1 + x + 16);
			__m512 n2 = _mm512_load_ps(r2 + x + 16);
#define L(p, c) _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(c), _mm512_castps_si512(p), 15))
#define R(c, n) _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(n), _mm512_castps_si512(c), 1))
			/* Two accumulators: the FMA latency, not its throughput, would
			 * bind a single chain of nine. */
			__m512 s0 = _mm512_fmadd_ps(t[0], L(p0, c0), b);
			__m512 s1 = _mm512_mul_ps(t[1], c0);
			s0 = _mm512_fmadd_ps(t[2], R(c0, n0), s0);
			s1 = _mm512_fmadd_ps(t[3], L(p1, c1), s1);
			s0 = _mm512_fmadd_ps(t[4], c1, s0);
			s1 = _mm512_fmadd_ps(t[5], R(c1, n1), s1);
			s0 = _mm512_fmadd_ps(t[6], L(p2, c2), s0);
			s1 = _mm512_fmadd_ps(t[7], c2, s1);
			s0 = _mm512_fmadd_ps(t[8], R(c2, n2), s0);
#undef L
#undef R
			_mm512_store_ps(op + x, pl_act(_mm512_add_ps(s0, s1), act, alpha));
			p0 = c0, p1 = c1, p2 = c2;
			c0 = n0, c1 = n1, c2 = n2;
		}
	}
}

/* NQ x 16 pixels from x (a, res, o point at pixel x of plane 0) times
 * one group of NN_PL_NJ output channels (nj of them real). */
__attribute__((target("avx512f"))) NN_HOT
static inline __attribute__((always_inline)) void
pw_tile(const float *a, ptrdiff_t S, int K, const float *bg, int nj, const float *res, float *o,
        enum nn_act act, float alpha, const int NQ, __mmask16 tail)
{
	__m512 acc[NN_PL_NJ][4];
	const float *bias = bg + (size_t)K * NN_PL_NJ;

	for (int j = 0; j < NN_PL_NJ; j++)
		for (int q = 0; q < NQ; q++)
			acc[j][q] = _mm512_set1_ps(bias[j]);
	for (int k = 0; k < K; k++, a += S, bg += NN_PL_NJ) {
		__m512 av[4];
		for (int q = 0; q < NQ; q++)
			av[q] = _mm512_loadu_ps(a + 16 * q);
		for (int j = 0; j < NN_PL_NJ; j++) {
			__m512 b = _mm512_set1_ps(bg[j]);
			for (int q = 0; q < NQ; q++)
				acc[j][q] = _mm512_fmadd_ps(av[q], b, acc[j][q]);
		}
	}
	for (int j = 0; j < nj; j++)
		for (int q = 0; q < NQ; q++) {
			__mmask16 m = q == NQ - 1 ? tail : 0xffff;
			__m512 v = acc[j][q];
			if (res)
				v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, res + j * S + 16 * q));
			_mm512_mask_storeu_ps(o + j * S + 16 * q, m, pl_act(v, act, alpha));
		}
}

__attribute__((target("avx512f"))) NN_HOT
void nn_planar_pw(const float *a, int w, int K, int N, const float *bp, const float *res,
                  enum nn_act act, float alpha, float *o)
{
	const ptrdiff_t S = nn_planar_stride(w), gs = (ptrdiff_t)K * NN_PL_NJ + NN_PL_NJ;
	const int G = (N + NN_PL_NJ - 1) / NN_PL_NJ;
	int x = 0;

	NN_CHECK(a, (size_t)K * S * sizeof(float), "planar pw in");
	NN_CHECK(o, (size_t)N * S * sizeof(float), "planar pw out");
	if (res)
		NN_CHECK(res, (size_t)N * S * sizeof(float), "planar pw residual");
	a += NN_PL_OFF;
	o += NN_PL_OFF;
	if (res)
		res += NN_PL_OFF;
	/* 64 pixels at a time; their K input planes (K x 256 bytes) stay in
	 * L1 while every group of output channels reads them. */
	for (; x + 64 <= w; x += 64)
		for (int g = 0; g < G; g++) {
			int nj = N - g * NN_PL_NJ < NN_PL_NJ ? N - g * NN_PL_NJ : NN_PL_NJ;
			pw_tile(a + x, S, K, bp + g * gs, nj, res ? res + g * NN_PL_NJ * S + x : NULL,
			        o + g * NN_PL_NJ * S + x, act, alpha, 4, 0xffff);
		}
	for (; x < w; x += 16) {
		__mmask16 tail = w - x >= 16 ? 0xffff : (__mmask16)((1u << (w - x)) - 1);
		for (int g = 0; g < G; g++) {
			int nj = N - g * NN_PL_NJ < NN_PL_NJ ? N - g * NN_PL_NJ : NN_PL_NJ;
			pw_tile(a + x, S, K, bp + g * gs, nj, res ? res + g * NN_PL_NJ * S + x : NULL,
			        o + g * NN_PL_NJ * S + x, act, alpha, 1, tail);
		}
	}
}
#else
void nn_planar_from_nhwc(const float *in, int w, int c, float *o)
{
	(void)in, (void)w, (void)c, (void)o;
}

void nn_planar_to_nhwc(const float *in, int w, int c, float *o)
{
	(void)in, (void)w, (void)c, (void)o;
}

void nn_planar_dw3(const struct nn_dwconv *dw, const float *const rows[3], int w, float *o)
{
	(void)dw, (void)rows, (void)w, (void)o;
}

void nn_planar_pw(const float *a, int w, int K, int N, const float *bp, const float *res,
                  enum nn_act act, float alpha, float *o)
{
	(void)a, (void)w, (void)K, (void)N, (void)bp, (void)res, (void)act, (void)alpha, (void)o;
}
#endif
