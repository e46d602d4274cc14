/*
 * nn_conv.c — convolution (through nn_gemm) and depthwise convolution.
 *
 * A 1x1 stride-1 convolution is nn_gemm on the input as it lies in memory.
 * Any other convolution gathers a block of output pixels' receptive fields
 * (im2col, zeros for padding) into a scratch matrix and multiplies that, so
 * scratch stays bounded whatever the image size.
 */
#include <string.h>

#include "nn.h"

#define IM2COL_ROWS 252     /* output pixels per block: a multiple of every MR */

int nn_conv_init(struct nn_conv *cv, const float *w_hwio, const float *bias,
                 int kh, int kw, int cin, int cout, int sh, int sw,
                 enum nn_pad pad, enum nn_act act, float alpha)
{
	memset(cv, 0, sizeof(*cv));
	if (kh <= 0 || kw <= 0 || cin <= 0 || cout <= 0 || sh <= 0 || sw <= 0 ||
	    kh > 16 || kw > 16 || cin > NN_MAX_DIM || cout > NN_MAX_DIM)
		return -1;
	cv->kh = kh;
	cv->kw = kw;
	cv->cin = cin;
	cv->cout = cout;
	cv->sh = sh;
	cv->sw = sw;
	cv->pad = pad;
	cv->act = act;
	cv->alpha = alpha;
	cv->bias = nn_alloc(cout * sizeof(float));
	if (cv->bias == NULL)
		return -1;
	if (bias)
		memcpy(cv->bias, bias, cout * sizeof(float));
	else
		memset(cv->bias, 0, cout * sizeof(float));
	/* HWIO flattened is exactly B[(ky*kw + kx)*cin + ci][co]. */
	if (nn_pack_panels(w_hwio, kh * kw * cin, cout, &cv->panels) != 0) {
		nn_conv_release(cv);
		return -1;
	}
	return 0;
}

void nn_conv_release(struct nn_conv *cv)
{
	if (cv == NULL)
		return;
	nn_free(cv->panels);
	nn_free(cv->bias);
	memset(cv, 0, sizeof(*cv));
}

int nn_conv_run(const struct nn_conv *cv, const struct nn_tensor *in,
                struct nn_tensor *out)
{
	int pt, pl, oh, ow, mr, K = cv->kh * cv->kw * cv->cin;
	float *col = NULL;
	int blk;

	memset(out, 0, sizeof(*out));
	if (in->c != cv->cin)
		return -1;
	oh = nn_out_size(in->h, cv->kh, cv->sh, cv->pad, &pt);
	ow = nn_out_size(in->w, cv->kw, cv->sw, cv->pad, &pl);
	if (oh == 0 || ow == 0 || nn_tensor_init(out, oh, ow, cv->cout) != 0)
		return -1;

	if (cv->kh == 1 && cv->kw == 1 && cv->sh == 1 && cv->sw == 1) {
		if (nn_gemm(oh * ow, cv->cout, K, in->d, K, cv->panels, cv->bias,
		            out->d, cv->cout) != 0)
			goto err;
		nn_act_apply(out->d, nn_tensor_size(out), cv->act, cv->alpha);
		return 0;
	}

	/* im2col straight into the packed sliver layout nn_gemm_slivers reads:
	 * for each MR output pixels, [tap*cin + ci][MR]; zeros for padding. */
	mr = nn_gemm_mr();
	blk = IM2COL_ROWS;
	col = nn_alloc((size_t)IM2COL_ROWS * K * sizeof(float));
	if (col == NULL)
		goto err;
	size_t npx = (size_t)oh * ow;
	for (size_t p0 = 0; p0 < npx; p0 += blk) {
		int rows = npx - p0 < (size_t)blk ? (int)(npx - p0) : blk;
		int oy0 = (int)(p0 / ow), ox0 = (int)(p0 % ow);
		/* Locals: with -fno-strict-aliasing every store through d would
		 * otherwise force cv-> and in-> fields to be reloaded. */
		const int cin = cv->cin, kh = cv->kh, kw = cv->kw, sh = cv->sh, sw = cv->sw;
		const int ih = in->h, iw = in->w;
		const float *id = in->d;
		for (int s0 = 0; s0 < rows; s0 += mr) {
			float *sl = col + (size_t)s0 * K;
			for (int i = 0; i < mr; i++) {
				float *d = sl + i;
				if (s0 + i >= rows) {
					for (int kk = 0; kk < K; kk++)
						d[(size_t)kk * mr] = 0.f;
					continue;
				}
				for (int ky = 0; ky < kh; ky++) {
					int iy = oy0 * sh + ky - pt;
					int rowok = iy >= 0 && iy < ih;
					for (int kx = 0; kx < kw; kx++) {
						int ix = ox0 * sw + kx - pl;
						if (rowok && ix >= 0 && ix < iw) {
							const float *src = id + ((size_t)iy * iw + ix) * cin;
							if (cin == 3) {
								d[0] = src[0];
								d[mr] = src[1];
								d[2 * mr] = src[2];
								d += 3 * mr;
							} else {
								for (int ci = 0; ci < cin; ci++, d += mr)
									*d = src[ci];
							}
						} else {
							for (int ci = 0; ci < cin; ci++, d += mr)
								*d = 0.f;
						}
					}
				}
				if (++ox0 == ow) {
					ox0 = 0;
					oy0++;
				}
			}
		}
		nn_gemm_slivers(rows, cv->cout, K, col, cv->panels, cv->bias,
		                out->d + p0 * cv->cout, cv->cout);
		nn_act_apply(out->d + p0 * cv->cout, (size_t)rows * cv->cout,
		             cv->act, cv->alpha);
	}
	nn_free(col);
	return 0;
err:
	nn_free(col);
	nn_tensor_release(out);
	return -1;
}

int nn_dwconv_init(struct nn_dwconv *dw, const float *w, const float *bias,
                   int kh, int kw, int c, int sh, int sw,
                   enum nn_pad pad, enum nn_act act, float alpha)
{
	memset(dw, 0, sizeof(*dw));
	if (kh <= 0 || kw <= 0 || c <= 0 || sh <= 0 || sw <= 0 || kh > 16 ||
	    kw > 16 || c > NN_MAX_DIM)
		return -1;
	dw->kh = kh;
	dw->kw = kw;
	dw->c = c;
	dw->sh = sh;
	dw->sw = sw;
	dw->pad = pad;
	dw->act = act;
	dw->alpha = alpha;
	dw->w = nn_alloc((size_t)kh * kw * c * sizeof(float));
	dw->bias = nn_alloc(c * sizeof(float));
	if (dw->w == NULL || dw->bias == NULL) {
		nn_dwconv_release(dw);
		return -1;
	}
	memcpy(dw->w, w, (size_t)kh * kw * c * sizeof(float));
	if (bias)
		memcpy(dw->bias, bias, c * sizeof(float));
	else
		memset(dw->bias, 0, c * sizeof(float));
	return 0;
}

void nn_dwconv_release(struct nn_dwconv *dw)
{
	if (dw == NULL)
		return;
	nn_free(dw->w);
	nn_free(dw->bias);
	memset(dw, 0, sizeof(*dw));
}

/* Four output pixels x W channels from channel cb: 4 independent
 * accumulator chains (FMA latency), all in registers across the taps.
 * Taps outside the image read a zero row instead of branching per lane;
 * INTERIOR tiles (every tap inside the row) skip that test. */
#define DW_TILE(W, INTERIOR)                                                    \
	do {                                                                    \
		float acc[4][W];                                                \
		for (int p = 0; p < 4; p++)                                     \
			for (int j = 0; j < W; j++)                             \
				acc[p][j] = bias[cb + j];                       \
		for (int ky = 0; ky < kh; ky++) {                               \
			int iy = oy * sh + ky - pt;                             \
			if (iy < 0 || iy >= ih)                                 \
				continue;                                       \
			const float *row = id + (size_t)iy * iw * C + cb;       \
			for (int kx = 0; kx < kw; kx++) {                       \
				const float *wp = wt + (size_t)(ky * kw + kx) * C + cb; \
				for (int p = 0; p < 4; p++) {                   \
					int ix = (ox0 + p) * sw + kx - pl;      \
					const float *ip = (INTERIOR || (p < np && ix >= 0 && ix < iw)) ? \
						row + (size_t)ix * C : zero;     \
					for (int j = 0; j < W; j++)             \
						acc[p][j] += ip[j] * wp[j];     \
				}                                               \
			}                                                       \
		}                                                               \
		for (int p = 0; p < np; p++)                                    \
			for (int j = 0; j < W; j++)                             \
				o[(size_t)(ox0 + p) * C + cb + j] = acc[p][j];  \
	} while (0)

#define DW_CHANNELS(INTERIOR)                                                   \
	do {                                                                    \
		int cb = 0;                                                     \
		for (; cb + 16 <= C; cb += 16)                                  \
			DW_TILE(16, INTERIOR);                                  \
		for (; cb + 8 <= C; cb += 8)                                    \
			DW_TILE(8, INTERIOR);                                   \
		for (; cb < C; cb++)                                            \
			DW_TILE(1, INTERIOR);                                   \
	} while (0)

#if defined(__clang__)   /* clang cannot combine the two attributes */
#define DW_ATTR target_clones("avx512f", "avx2", "default")
#else
#define DW_ATTR target_clones("avx512f", "avx2", "default"), no_sanitize("address", "undefined")
#endif
__attribute__((DW_ATTR))
static void dw_row(const struct nn_dwconv *dw, const struct nn_tensor *in,
                   float *restrict o, int oy, int ow, int pt, int pl)
{
	const int C = dw->c, kh = dw->kh, kw = dw->kw, sh = dw->sh, sw = dw->sw;
	const int ih = in->h, iw = in->w;
	const float *id = in->d, *wt = dw->w, *bias = dw->bias;
	static const float zero[16];

	/* Tiles whose every tap lies inside the row: ox0*sw - pl >= 0 and
	 * (ox0 + 3)*sw + kw - 1 - pl < iw. */
	int lo = (pl + sw - 1) / sw, hi = (iw - kw + pl) / sw - 3;

	for (int ox0 = 0; ox0 < ow; ox0 += 4) {
		int np = ow - ox0 < 4 ? ow - ox0 : 4;
		if (np == 4 && ox0 >= lo && ox0 <= hi)
			DW_CHANNELS(1);
		else
			DW_CHANNELS(0);
	}
}

int nn_dwconv_run(const struct nn_dwconv *dw, const struct nn_tensor *in,
                  struct nn_tensor *out)
{
	int pt, pl, oh, ow;

	memset(out, 0, sizeof(*out));
	if (in->c != dw->c)
		return -1;
	oh = nn_out_size(in->h, dw->kh, dw->sh, dw->pad, &pt);
	ow = nn_out_size(in->w, dw->kw, dw->sw, dw->pad, &pl);
	if (oh == 0 || ow == 0 || nn_tensor_init(out, oh, ow, dw->c) != 0)
		return -1;
	for (int oy = 0; oy < oh; oy++) {
		float *o = out->d + (size_t)oy * ow * dw->c;
		dw_row(dw, in, o, oy, ow, pt, pl);
		nn_act_apply(o, (size_t)ow * dw->c, dw->act, dw->alpha);
	}
	return 0;
}
