/*
 * nn_conv.c — convolutions as matrix products read in place, depthwise
 * convolutions, and the two fused together (see nn.h).
 *
 * A 1x1 stride-1 convolution is nn_gemm over the input tensor as it lies
 * in memory. A k x k convolution reads its windows straight from a
 * zero-padded copy of the input (only when padding is needed: it is the
 * first layer, with 3 channels, in both models): output pixel x of row y
 * is A row x, kh runs of kw*cin floats starting at padded pixel
 * (y*sh, x*sw) — no im2col matrix. Residual adds and activations happen
 * in the matrix kernel's epilogue.
 */
#include <string.h>

#include "nn_int.h"

/* Floats of depthwise output per strip in nn_sep_run: small enough to
 * stay in L2 next to the pointwise weights. */
#define SEP_STRIP_FLOATS (24 * 1024)

int nn_conv_init(struct nn_conv *cv, const float *w_hwio, const float *bias,
                 int kh, int kw, int cin, int cout, int sh, int sw,
                 enum nn_pad pad, enum nn_act act, float alpha)
{
	memset(cv, 0, sizeof(*cv));
	if (kh <= 0 || kw <= 0 || cin <= 0 || cout <= 0 || sh <= 0 || sw <= 0 ||
	    kh > 16 || kw > 16 || cin > NN_MAX_DIM || cout > NN_MAX_DIM ||
	    act == NN_ACT_SIGMOID)
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
	/* HWIO flattened is exactly B[(ky*kw + kx)*cin + ci][co]: the order in
	 * which a window's runs of kw*cin floats are read. */
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

int nn_convsrc_init(const struct nn_conv *cv, const struct nn_tensor *in, struct nn_convsrc *s)
{
	const int cin = cv->cin;
	int pt, pl, ph, pw;

	memset(s, 0, sizeof(*s));
	if (in->c != cin)
		return -1;
	s->oh = nn_out_size(in->h, cv->kh, cv->sh, cv->pad, &pt);
	s->ow = nn_out_size(in->w, cv->kw, cv->sw, cv->pad, &pl);
	if (s->oh == 0 || s->ow == 0)
		return -1;
	/* The input rows and columns the windows cover, padding included. */
	ph = (s->oh - 1) * cv->sh + cv->kh;
	pw = (s->ow - 1) * cv->sw + cv->kw;
	s->base = in->d;
	s->pw = in->w;          /* no padding: read the input itself */
	if (pt == 0 && pl == 0 && ph <= in->h && pw <= in->w)
		return 0;
	/* input pixels that land inside: rows < ph - pt, columns < pw - pl */
	int cw = in->w < pw - pl ? in->w : pw - pl, chh = in->h < ph - pt ? in->h : ph - pt;
	s->pad = nn_alloc((size_t)ph * pw * cin * sizeof(float));
	if (s->pad == NULL)
		return -1;
	memset(s->pad, 0, (size_t)ph * pw * cin * sizeof(float));
	for (int y = 0; y < chh; y++)
		memcpy(s->pad + ((size_t)(y + pt) * pw + pl) * cin, in->d + (size_t)y * in->w * cin,
		       (size_t)cw * cin * sizeof(float));
	s->base = s->pad;
	s->pw = pw;
	return 0;
}

void nn_convsrc_release(struct nn_convsrc *s)
{
	nn_free(s->pad);
	memset(s, 0, sizeof(*s));
}

void nn_conv_row(const struct nn_conv *cv, const struct nn_convsrc *s, int oy,
                 const float *res, float *out)
{
	struct nn_epilogue e = { cv->bias, res, cv->cout, cv->act, cv->alpha };
	struct nn_amat A = {
		s->base + (size_t)oy * cv->sh * s->pw * cv->cin, (ptrdiff_t)cv->sw * cv->cin,
		cv->kw * cv->cin, cv->kh, (ptrdiff_t)s->pw * cv->cin,
	};

	nn_gemm(s->ow, cv->cout, &A, cv->panels, &e, out, cv->cout);
}

int nn_conv_run_res(const struct nn_conv *cv, const struct nn_tensor *in,
                    const struct nn_tensor *res, struct nn_tensor *out)
{
	struct nn_convsrc s;
	const int cout = cv->cout;

	memset(out, 0, sizeof(*out));
	if (nn_convsrc_init(cv, in, &s) != 0)
		return -1;
	if ((res && (res->h != s.oh || res->w != s.ow || res->c != cout)) ||
	    nn_tensor_init(out, s.oh, s.ow, cout) != 0) {
		nn_convsrc_release(&s);
		return -1;
	}
	if (cv->kh == 1 && cv->kw == 1 && cv->sh == 1 && cv->sw == 1) {
		/* The whole input is one matrix: one call, the longest runs. */
		struct nn_amat A = { in->d, cv->cin, cv->cin, 1, 0 };
		struct nn_epilogue e = { cv->bias, res ? res->d : NULL, cout, cv->act, cv->alpha };
		nn_gemm(s.oh * s.ow, cout, &A, cv->panels, &e, out->d, cout);
	} else {
		for (int oy = 0; oy < s.oh; oy++)
			nn_conv_row(cv, &s, oy, res ? res->d + (size_t)oy * s.ow * cout : NULL,
			            out->d + (size_t)oy * s.ow * cout);
	}
	nn_convsrc_release(&s);
	return 0;
}

int nn_conv_run(const struct nn_conv *cv, const struct nn_tensor *in,
                struct nn_tensor *out)
{
	return nn_conv_run_res(cv, in, NULL, out);
}

int nn_dwconv_init(struct nn_dwconv *dw, const float *w, const float *bias,
                   int kh, int kw, int c, int sh, int sw,
                   enum nn_pad pad, enum nn_act act, float alpha)
{
	memset(dw, 0, sizeof(*dw));
	if (kh <= 0 || kw <= 0 || c <= 0 || sh <= 0 || sw <= 0 || kh > 16 ||
	    kw > 16 || c > NN_MAX_DIM || act == NN_ACT_SIGMOID)
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

/* A row of zeros as wide as the input, for windows over padding rows;
 * NULL without padding rows (never read then). 0 / -1. */
static int zero_row(const struct nn_dwconv *dw, const struct nn_tensor *in, int oh, int pt,
                    float **z)
{
	*z = NULL;
	if (pt == 0 && (oh - 1) * dw->sh + dw->kh <= in->h)
		return 0;
	*z = nn_alloc((size_t)in->w * in->c * sizeof(float));
	if (*z == NULL)
		return -1;
	memset(*z, 0, (size_t)in->w * in->c * sizeof(float));
	return 0;
}

int nn_dwconv_run(const struct nn_dwconv *dw, const struct nn_tensor *in,
                  struct nn_tensor *out)
{
	int pt, pl, oh, ow;
	float *z;

	memset(out, 0, sizeof(*out));
	if (in->c != dw->c)
		return -1;
	oh = nn_out_size(in->h, dw->kh, dw->sh, dw->pad, &pt);
	ow = nn_out_size(in->w, dw->kw, dw->sw, dw->pad, &pl);
	if (oh == 0 || ow == 0 || zero_row(dw, in, oh, pt, &z) != 0)
		return -1;
	if (nn_tensor_init(out, oh, ow, dw->c) != 0) {
		nn_free(z);
		return -1;
	}
	nn_dw_rows(dw, in, 0, oh, ow, pt, pl, z, out->d);
	nn_free(z);
	return 0;
}

int nn_sep_run(const struct nn_dwconv *dw, const struct nn_conv *pw,
               const struct nn_tensor *in, const struct nn_tensor *res,
               struct nn_tensor *out)
{
	struct nn_epilogue e = { pw->bias, NULL, pw->cout, pw->act, pw->alpha };
	int pt, pl, oh, ow, strip;
	float *z = NULL, *buf = NULL;

	memset(out, 0, sizeof(*out));
	if (in->c != dw->c || pw->cin != dw->c || pw->kh != 1 || pw->kw != 1 || pw->sh != 1 ||
	    pw->sw != 1)
		return -1;
	oh = nn_out_size(in->h, dw->kh, dw->sh, dw->pad, &pt);
	ow = nn_out_size(in->w, dw->kw, dw->sw, dw->pad, &pl);
	if (oh == 0 || ow == 0)
		return -1;
	if (res && (res->h != oh || res->w != ow || res->c != pw->cout))
		return -1;
	strip = SEP_STRIP_FLOATS / (ow * dw->c);
	strip = strip < 1 ? 1 : strip > oh ? oh : strip;
	if (zero_row(dw, in, oh, pt, &z) != 0 ||
	    (buf = nn_alloc((size_t)strip * ow * dw->c * sizeof(float))) == NULL ||
	    nn_tensor_init(out, oh, ow, pw->cout) != 0) {
		nn_free(z);
		nn_free(buf);
		return -1;
	}
	for (int y0 = 0; y0 < oh; y0 += strip) {
		int y1 = oh - y0 < strip ? oh : y0 + strip;
		struct nn_amat A = { buf, dw->c, dw->c, 1, 0 };
		size_t off = (size_t)y0 * ow * pw->cout;
		nn_dw_rows(dw, in, y0, y1, ow, pt, pl, z, buf);
		e.res = res ? res->d + off : NULL;
		nn_gemm((y1 - y0) * ow, pw->cout, &A, pw->panels, &e, out->d + off, pw->cout);
	}
	nn_free(z);
	nn_free(buf);
	return 0;
}
