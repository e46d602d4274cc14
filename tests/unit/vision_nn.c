/*
 * vision_nn — the CNN runtime against naive reference code, and the model
 * loaders against small manifests and graphs written here.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nn.h"
#include "nn_int.h"
#include "nn_model.h"
#include "t.h"

static uint32_t seed = 12345;

static float frand(void)
{
	seed = seed * 1664525u + 1013904223u;
	return ((seed >> 8) * (1.f / 16777216.f)) * 2.f - 1.f;
}

static void fill(float *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = frand();
}

static float maxdiff(const float *a, const float *b, size_t n)
{
	float m = 0;

	for (size_t i = 0; i < n; i++)
		if (fabsf(a[i] - b[i]) > m)
			m = fabsf(a[i] - b[i]);
	return m;
}

/* Naive reference convolution with TensorFlow padding; groups = 1, or
 * depthwise (w laid out [kh][kw][c]). */
static void ref_conv(const struct nn_tensor *in, const float *w, const float *b, int kh,
                     int kw, int cout, int s, enum nn_pad pad, int depthwise,
                     struct nn_tensor *out)
{
	int pt, pl, oh = nn_out_size(in->h, kh, s, pad, &pt), ow = nn_out_size(in->w, kw, s, pad, &pl);
	int C = in->c;

	nn_tensor_init(out, oh, ow, depthwise ? C : cout);
	for (int y = 0; y < oh; y++)
		for (int x = 0; x < ow; x++)
			for (int co = 0; co < out->c; co++) {
				double acc = b ? b[co] : 0;
				for (int ky = 0; ky < kh; ky++)
					for (int kx = 0; kx < kw; kx++) {
						int iy = y * s + ky - pt, ix = x * s + kx - pl;
						if (iy < 0 || iy >= in->h || ix < 0 || ix >= in->w)
							continue;
						const float *ip = in->d + ((size_t)iy * in->w + ix) * C;
						if (depthwise)
							acc += ip[co] * w[(ky * kw + kx) * C + co];
						else
							for (int ci = 0; ci < C; ci++)
								acc += ip[ci] * w[((ky * kw + kx) * C + ci) * cout + co];
					}
				out->d[((size_t)y * ow + x) * out->c + co] = (float)acc;
			}
}

/* Scalar reference activations. */
static float ref_act(float v, enum nn_act act)
{
	switch (act) {
	case NN_ACT_RELU: return v > 0 ? v : 0;
	case NN_ACT_RELU6: return v < 0 ? 0 : v > 6 ? 6 : v;
	case NN_ACT_LEAKY: return v > 0 ? v : 0.1f * v;
	case NN_ACT_HSWISH: return v * (v + 3 < 0 ? 0 : v + 3 > 6 ? 6 : v + 3) / 6;
	default: return v;
	}
}

/* The same block on planar rows (nn_planar.c, 3x3 stride 1): rows
 * converted from in and res, depthwise + 1x1 row by row, converted back.
 * 1 if it matches want (or planar rows are not available), else 0. */
static int planar_case(const struct nn_tensor *in, const struct nn_tensor *res,
                       const struct nn_dwconv *dw, const struct nn_conv *pw,
                       const struct nn_tensor *want)
{
	const int W = in->w, C = in->c, N = pw->cout, S = nn_planar_stride(W);
	float *pin = nn_alloc(sizeof(float) * (size_t)(in->h + 2) * C * S);
	float *pres = nn_alloc(sizeof(float) * (size_t)N * S), *mid = nn_alloc(sizeof(float) * C * S);
	float *po = nn_alloc(sizeof(float) * (size_t)N * S), *got = malloc(sizeof(float) * W * N);
	float *bp = NULL, md = 0;
	int ok = pin && pres && mid && po && got && nn_planar_pack(pw, &bp) == 0;

	if (!nn_planar_ok() || !ok)
		goto out;
	/* Rows 0 and h+1 stay zero: the vertical padding. */
	memset(pin, 0, sizeof(float) * (size_t)(in->h + 2) * C * S);
	memset(pres, 0, sizeof(float) * (size_t)N * S);
	for (int y = 0; y < in->h; y++)
		nn_planar_from_nhwc(in->d + (size_t)y * W * C, W, C, pin + (size_t)(y + 1) * C * S);
	for (int y = 0; y < in->h; y++) {
		const float *rows[3] = { pin + (size_t)y * C * S, pin + (size_t)(y + 1) * C * S,
		                         pin + (size_t)(y + 2) * C * S };
		nn_planar_from_nhwc(res->d + (size_t)y * W * N, W, N, pres);
		nn_planar_dw3(dw, rows, W, mid);
		nn_planar_pw(mid, W, C, N, bp, pres, pw->act, pw->alpha, po);
		nn_planar_to_nhwc(po, W, N, got);
		float d = maxdiff(got, want->d + (size_t)y * W * N, (size_t)W * N);
		md = d > md ? d : md;
	}
	ok = md < 1e-3f;
	if (!ok)
		printf("# planar %dx%dx%d -> %d: max diff %g\n", in->h, W, C, N, md);
out:
	nn_free(pin);
	nn_free(pres);
	nn_free(mid);
	nn_free(po);
	nn_free(bp);
	free(got);
	return ok;
}

/* Depthwise (k x k, stride s) then 1x1 to cout, plus a residual of the
 * output's shape, then an activation: nn_sep_run and nn_conv_run_res
 * against the reference (and planar rows for 3x3, stride 1). */
static int sep_case(int h, int w, int c, int cout, int k, int s, enum nn_act act)
{
	struct nn_tensor in, res, mid, want, got, got2, t;
	struct nn_dwconv dw;
	struct nn_conv pw;
	float *dwt = malloc(sizeof(float) * k * k * c), *dwb = malloc(sizeof(float) * c);
	float *pwt = malloc(sizeof(float) * c * cout), *pwb = malloc(sizeof(float) * cout);
	int ok;

	nn_tensor_init(&in, h, w, c);
	fill(in.d, nn_tensor_size(&in));
	fill(dwt, (size_t)k * k * c);
	fill(dwb, c);
	fill(pwt, (size_t)c * cout);
	fill(pwb, cout);
	ref_conv(&in, dwt, dwb, k, k, c, s, NN_PAD_SAME, 1, &mid);
	ref_conv(&mid, pwt, pwb, 1, 1, cout, 1, NN_PAD_SAME, 0, &want);
	nn_tensor_init(&res, want.h, want.w, cout);
	fill(res.d, nn_tensor_size(&res));
	for (size_t i = 0; i < nn_tensor_size(&want); i++)
		want.d[i] = ref_act(want.d[i] + res.d[i], act);
	ok = nn_dwconv_init(&dw, dwt, dwb, k, k, c, s, s, NN_PAD_SAME, NN_ACT_NONE, 0) == 0 &&
	     nn_conv_init(&pw, pwt, pwb, 1, 1, c, cout, 1, 1, NN_PAD_SAME, act, act == NN_ACT_LEAKY ? 0.1f : 0) == 0 &&
	     nn_sep_run(&dw, &pw, &in, &res, &got) == 0 &&
	     nn_dwconv_run(&dw, &in, &t) == 0 && nn_conv_run_res(&pw, &t, &res, &got2) == 0;
	ok = ok && got.h == want.h && got.w == want.w && got.c == cout &&
	     maxdiff(got.d, want.d, nn_tensor_size(&want)) < 1e-3f &&
	     maxdiff(got2.d, want.d, nn_tensor_size(&want)) < 1e-3f;
	if (ok && k == 3 && s == 1)
		ok = planar_case(&in, &res, &dw, &pw, &want);
	if (!ok)
		printf("# sep %dx%dx%d -> %d k%d s%d act%d failed\n", h, w, c, cout, k, s, act);
	nn_dwconv_release(&dw);
	nn_conv_release(&pw);
	nn_tensor_release(&in);
	nn_tensor_release(&res);
	nn_tensor_release(&mid);
	nn_tensor_release(&want);
	nn_tensor_release(&got);
	nn_tensor_release(&got2);
	nn_tensor_release(&t);
	free(dwt);
	free(dwb);
	free(pwt);
	free(pwb);
	return ok;
}

static int conv_case(int h, int w, int cin, int cout, int k, int s, enum nn_pad pad)
{
	struct nn_tensor in, got, want;
	struct nn_conv cv;
	float *wt = malloc(sizeof(float) * k * k * cin * cout), *b = malloc(sizeof(float) * cout);
	int ok;

	nn_tensor_init(&in, h, w, cin);
	fill(in.d, nn_tensor_size(&in));
	fill(wt, (size_t)k * k * cin * cout);
	fill(b, cout);
	ok = nn_conv_init(&cv, wt, b, k, k, cin, cout, s, s, pad, NN_ACT_NONE, 0) == 0 &&
	     nn_conv_run(&cv, &in, &got) == 0;
	ref_conv(&in, wt, b, k, k, cout, s, pad, 0, &want);
	ok = ok && got.h == want.h && got.w == want.w && got.c == want.c &&
	     maxdiff(got.d, want.d, nn_tensor_size(&want)) < 1e-3f;
	if (!ok)
		printf("# conv %dx%dx%d -> %d k%d s%d pad%d: shape %dx%dx%d vs %dx%dx%d\n", h, w, cin,
		       cout, k, s, pad, got.h, got.w, got.c, want.h, want.w, want.c);
	nn_conv_release(&cv);
	nn_tensor_release(&in);
	nn_tensor_release(&got);
	nn_tensor_release(&want);
	free(wt);
	free(b);
	return ok;
}

static int dw_case(int h, int w, int c, int k, int s, enum nn_pad pad, enum nn_act act)
{
	struct nn_tensor in, got, want;
	struct nn_dwconv dw;
	float *wt = malloc(sizeof(float) * k * k * c), *b = malloc(sizeof(float) * c);
	int ok;

	nn_tensor_init(&in, h, w, c);
	fill(in.d, nn_tensor_size(&in));
	fill(wt, (size_t)k * k * c);
	fill(b, c);
	ok = nn_dwconv_init(&dw, wt, b, k, k, c, s, s, pad, act, act == NN_ACT_LEAKY ? 0.1f : 0) == 0 &&
	     nn_dwconv_run(&dw, &in, &got) == 0;
	ref_conv(&in, wt, b, k, k, c, s, pad, 1, &want);
	for (size_t i = 0; i < nn_tensor_size(&want); i++)
		want.d[i] = ref_act(want.d[i], act);
	ok = ok && got.h == want.h && got.w == want.w &&
	     maxdiff(got.d, want.d, nn_tensor_size(&want)) < 1e-4f;
	nn_dwconv_release(&dw);
	nn_tensor_release(&in);
	nn_tensor_release(&got);
	nn_tensor_release(&want);
	free(wt);
	free(b);
	return ok;
}

static int write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(data, 1, n, f) == n;

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int main(void)
{
	static const char *isas[] = { "generic", "avx2", "avx512" };

	printf("# kernel at start: %s\n", nn_isa());

	t_case("SAME padding puts the odd pixel after, as TensorFlow does");
	{
		int pb;
		T_EQ(nn_out_size(8, 3, 2, NN_PAD_SAME, &pb), 4);
		T_EQ(pb, 0);
		T_EQ(nn_out_size(7, 3, 2, NN_PAD_SAME, &pb), 4);
		T_EQ(pb, 1);
		T_EQ(nn_out_size(10, 5, 1, NN_PAD_SAME, &pb), 10);
		T_EQ(pb, 2);
		T_EQ(nn_out_size(10, 3, 1, NN_PAD_VALID, &pb), 8);
		T_EQ(nn_out_size(2, 3, 1, NN_PAD_VALID, &pb), 0);
	}

	for (int i = 0; i < 3; i++) {
		if (nn_set_isa(isas[i]) != 0) {
			printf("# %s kernel not supported on this CPU\n", isas[i]);
			continue;
		}
		t_case("convolutions match the reference (%s kernel)", isas[i]);
		T_ASSERT(conv_case(9, 11, 3, 16, 3, 1, NN_PAD_VALID));    /* RGB first layer */
		T_ASSERT(conv_case(16, 16, 3, 16, 3, 2, NN_PAD_SAME));    /* strided */
		T_ASSERT(conv_case(7, 13, 40, 17, 1, 1, NN_PAD_SAME));    /* 1x1, column tail */
		T_ASSERT(conv_case(23, 5, 24, 33, 1, 1, NN_PAD_SAME));    /* row tails */
		T_ASSERT(conv_case(10, 10, 8, 24, 5, 1, NN_PAD_SAME));
		T_ASSERT(conv_case(9, 9, 16, 8, 1, 2, NN_PAD_SAME));      /* 1x1 stride 2 */
		T_ASSERT(conv_case(1, 1, 720, 184, 1, 1, NN_PAD_SAME));   /* squeeze-excite */
		T_ASSERT(conv_case(19, 21, 3, 24, 5, 2, NN_PAD_SAME));    /* BlazeFace's first */
		T_ASSERT(conv_case(30, 37, 64, 80, 1, 1, NN_PAD_SAME));   /* 2.5 column tiles */

		t_case("depthwise convolutions match the reference (%s kernel)", isas[i]);
		T_ASSERT(dw_case(12, 10, 24, 3, 1, NN_PAD_SAME, NN_ACT_NONE));
		T_ASSERT(dw_case(12, 10, 40, 3, 2, NN_PAD_SAME, NN_ACT_RELU));
		T_ASSERT(dw_case(11, 9, 7, 5, 1, NN_PAD_SAME, NN_ACT_HSWISH));
		T_ASSERT(dw_case(11, 9, 72, 5, 2, NN_PAD_SAME, NN_ACT_RELU6));
		T_ASSERT(dw_case(6, 6, 33, 3, 1, NN_PAD_VALID, NN_ACT_LEAKY));
		T_ASSERT(dw_case(23, 41, 18, 5, 1, NN_PAD_SAME, NN_ACT_NONE));  /* 16 + 2 channels */
		T_ASSERT(dw_case(9, 13, 22, 7, 2, NN_PAD_SAME, NN_ACT_NONE));   /* any other window */
		T_ASSERT(dw_case(2, 3, 16, 5, 1, NN_PAD_SAME, NN_ACT_NONE));    /* all edge pixels */

		t_case("depthwise + 1x1 + residual + activation, fused, match (%s kernel)", isas[i]);
		T_ASSERT(sep_case(40, 33, 24, 24, 3, 1, NN_ACT_RELU));     /* BlazeFace block */
		T_ASSERT(sep_case(17, 20, 24, 48, 3, 2, NN_ACT_NONE));     /* stage change */
		T_ASSERT(sep_case(13, 11, 72, 40, 5, 1, NN_ACT_HSWISH));   /* MobileNetV3 */
		T_ASSERT(sep_case(64, 70, 16, 20, 3, 1, NN_ACT_RELU6));    /* several strips */
		T_ASSERT(sep_case(5, 128, 24, 24, 3, 1, NN_ACT_RELU));     /* planar: 64-pixel tiles */
		T_ASSERT(sep_case(4, 16, 7, 13, 3, 1, NN_ACT_LEAKY));      /* planar: one vector */
	}
	nn_set_isa("avx512");   /* back to the best the CPU has */

	t_case("activations: relu6, leaky, hard-swish, sigmoid");
	{
		float v[6] = { -2, -0.5f, 0, 1, 4, 8 };
		float a[6];
		memcpy(a, v, sizeof(v));
		nn_act_apply(a, 6, NN_ACT_RELU6, 0);
		T_ASSERT(a[0] == 0 && a[3] == 1 && a[5] == 6);
		memcpy(a, v, sizeof(v));
		nn_act_apply(a, 6, NN_ACT_LEAKY, 0.1f);
		T_ASSERT(fabsf(a[0] + 0.2f) < 1e-6f && a[4] == 4);
		memcpy(a, v, sizeof(v));
		nn_act_apply(a, 6, NN_ACT_HSWISH, 0);
		T_ASSERT(fabsf(a[0] + 2.f / 6) < 1e-6f && fabsf(a[3] - 1 * 4 / 6.f) < 1e-6f && a[5] == 8);
		memcpy(a, v, sizeof(v));
		nn_act_apply(a, 6, NN_ACT_SIGMOID, 0);
		T_ASSERT(fabsf(a[2] - 0.5f) < 1e-6f && a[5] > 0.999f);
	}

	t_case("max pooling ignores padding; bilinear 2x resize interpolates");
	{
		struct nn_tensor in, out;
		nn_tensor_init(&in, 3, 3, 1);
		for (int i = 0; i < 9; i++)
			in.d[i] = -(float)i;
		T_ASSERT(nn_maxpool(&in, &out, 2, 2, NN_PAD_SAME) == 0);
		T_ASSERT(out.h == 2 && out.w == 2);
		T_ASSERT(out.d[0] == 0 && out.d[3] == -8);      /* padding is not 0 */
		nn_tensor_release(&out);
		T_ASSERT(nn_resize_bilinear(&in, &out, 6, 6, 0, 0) == 0);
		T_ASSERT(out.d[0] == 0 && fabsf(out.d[1] + 0.5f) < 1e-6f && out.d[35] == -8);
		nn_tensor_release(&out);
		nn_tensor_release(&in);
	}

	t_case("concat, mean and broadcast add/mul");
	{
		struct nn_tensor a, b, c, o;
		const struct nn_tensor *v[2] = { &a, &b };
		nn_tensor_init(&a, 2, 2, 2);
		nn_tensor_init(&b, 2, 2, 1);
		nn_tensor_init(&c, 1, 1, 2);
		for (int i = 0; i < 8; i++)
			a.d[i] = (float)i;
		for (int i = 0; i < 4; i++)
			b.d[i] = 100.f + i;
		c.d[0] = 10;
		c.d[1] = 20;
		T_ASSERT(nn_concat(v, 2, &o) == 0 && o.c == 3 && o.d[2] == 100 && o.d[5] == 101);
		nn_tensor_release(&o);
		T_ASSERT(nn_mean_hw(&a, &o) == 0 && o.d[0] == 3 && o.d[1] == 4);
		nn_tensor_release(&o);
		T_ASSERT(nn_binary(NN_MUL, &a, &c, &o) == 0 && o.d[3] == 60 && o.d[2] == 20);
		nn_tensor_release(&o);
		T_ASSERT(nn_binary(NN_SUB, &c, &a, &o) == 0 && o.d[3] == 17);   /* c - a */
		nn_tensor_release(&o);
		T_ASSERT(nn_binary(NN_ADD, &a, &b, &o) == -1);                /* shapes differ */
		nn_tensor_release(&a);
		nn_tensor_release(&b);
		nn_tensor_release(&c);
	}

	t_case("non-maximum suppression keeps the best of overlapping boxes");
	{
		struct nn_box b[4] = {
			{ 0, 0, 10, 10, 0.6f, 0 }, { 1, 1, 11, 11, 0.9f, 0 },
			{ 50, 50, 60, 60, 0.5f, 0 }, { 1, 0, 10, 10, 0.7f, 1 },
		};
		int n = nn_nms(b, 4, 0.5f);
		T_EQ(n, 3);
		T_ASSERT(b[0].score == 0.9f && b[1].score == 0.7f && b[2].score == 0.5f);
	}

	t_case("weights load and dequantise: uint8 min/scale, float16, float32, int32");
	{
		char dir[96], p[256];
		T_ASSERT(t_mkdtemp(dir, sizeof(dir), "sealcam-nn") != NULL);
		snprintf(p, sizeof(p), "%s/m.json", dir);
		const char *json =
			"[{\"paths\":[\"m.bin\"],\"weights\":["
			"{\"name\":\"q\",\"shape\":[2,2],\"dtype\":\"float32\","
			"\"quantization\":{\"dtype\":\"uint8\",\"scale\":0.5,\"min\":-1}},"
			"{\"name\":\"h\",\"shape\":[2],\"dtype\":\"float32\","
			"\"quantization\":{\"dtype\":\"float16\"}},"
			"{\"name\":\"f\",\"shape\":[],\"dtype\":\"float32\"},"
			"{\"name\":\"i\",\"shape\":[1],\"dtype\":\"int32\"}]}]";
		unsigned char bin[4 + 4 + 4 + 4];
		uint16_t h[2] = { 0x3c00, 0xc100 };     /* 1.0, -2.5 */
		float f = 3.25f;
		int32_t iv = -7;
		bin[0] = 0; bin[1] = 1; bin[2] = 2; bin[3] = 255;
		memcpy(bin + 4, h, 4);
		memcpy(bin + 8, &f, 4);
		memcpy(bin + 12, &iv, 4);
		T_ASSERT(write_file(p, json, strlen(json)) == 0);
		snprintf(p, sizeof(p), "%s/m.bin", dir);
		T_ASSERT(write_file(p, bin, sizeof(bin)) == 0);
		snprintf(p, sizeof(p), "%s/m.json", dir);
		struct nn_weights *w = nn_weights_load(p);
		T_ASSERT(w != NULL);
		if (w) {
			const float *q = nn_weights_need(w, "q", 4), *hh = nn_weights_need(w, "h", 2);
			const float *ff = nn_weights_need(w, "f", 1), *ii = nn_weights_need(w, "i", 1);
			T_ASSERT(q && q[0] == -1.f && q[1] == -0.5f && q[3] == 126.5f);
			T_ASSERT(hh && hh[0] == 1.f && hh[1] == -2.5f);
			T_ASSERT(ff && *ff == 3.25f && ii && *ii == -7.f);
			T_ASSERT(nn_weights_need(w, "q", 5) == NULL);   /* wrong size */
			T_ASSERT(nn_weights_need(w, "nope", 1) == NULL);
			nn_weights_free(w);
		}

		t_case("truncated shard, missing shard and broken JSON are refused");
		snprintf(p, sizeof(p), "%s/m.bin", dir);
		T_ASSERT(write_file(p, bin, sizeof(bin) - 1) == 0);
		snprintf(p, sizeof(p), "%s/m.json", dir);
		T_ASSERT(nn_weights_load(p) == NULL);
		snprintf(p, sizeof(p), "%s/m.bin", dir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/m.json", dir);
		T_ASSERT(nn_weights_load(p) == NULL);
		T_ASSERT(write_file(p, "[{\"paths\":", 11) == 0);
		T_ASSERT(nn_weights_load(p) == NULL);
		T_ASSERT(nn_weights_load("/nonexistent/model.json") == NULL);

		t_case("a graph model runs: conv + bias + relu, add, and refuses unknown ops");
		{
			/* x (1x2x2x1) -> conv 1x1 weight 2, bias 1, relu -> + x */
			const char *g =
				"{\"modelTopology\":{\"node\":["
				"{\"name\":\"x\",\"op\":\"Placeholder\",\"attr\":{\"shape\":{\"shape\":{\"dim\":"
				"[{\"size\":\"1\"},{\"size\":\"2\"},{\"size\":\"2\"},{\"size\":\"1\"}]}}}},"
				"{\"name\":\"w\",\"op\":\"Const\"},{\"name\":\"b\",\"op\":\"Const\"},"
				"{\"name\":\"c\",\"op\":\"_FusedConv2D\",\"input\":[\"x\",\"w\",\"b\"],\"attr\":{"
				"\"strides\":{\"list\":{\"i\":[\"1\",\"1\",\"1\",\"1\"]}},\"padding\":{\"s\":\"U0FNRQ==\"},"
				"\"fused_ops\":{\"list\":{\"s\":[\"Qmlhc0FkZA==\",\"UmVsdQ==\"]}}}},"
				"{\"name\":\"y\",\"op\":\"AddV2\",\"input\":[\"c\",\"x\"]},"
				"{\"name\":\"z\",\"op\":\"Foo\",\"input\":[\"y\"]}"
				"]},\"weightsManifest\":[{\"paths\":[\"g.bin\"],\"weights\":["
				"{\"name\":\"w\",\"shape\":[1,1,1,1],\"dtype\":\"float32\"},"
				"{\"name\":\"b\",\"shape\":[1],\"dtype\":\"float32\"}]}]}";
			float wb[2] = { 2.f, 1.f };
			const char *outy[1] = { "y" }, *outz[1] = { "z" };
			snprintf(p, sizeof(p), "%s/g.bin", dir);
			T_ASSERT(write_file(p, wb, sizeof(wb)) == 0);
			snprintf(p, sizeof(p), "%s/g.json", dir);
			T_ASSERT(write_file(p, g, strlen(g)) == 0);
			struct nn_graph *G = nn_graph_load(p, outy, 1);
			T_ASSERT(G != NULL);
			if (G) {
				struct nn_tensor in, out;
				nn_tensor_init(&in, 2, 2, 1);
				in.d[0] = 1; in.d[1] = -3; in.d[2] = 0; in.d[3] = 2;
				T_ASSERT(nn_graph_run(G, &in, &out) == 0);
				/* relu(2x + 1) + x */
				T_ASSERT(out.d[0] == 4 && out.d[1] == -3 && out.d[2] == 1 && out.d[3] == 7);
				nn_tensor_release(&in);
				nn_tensor_release(&out);
				nn_graph_free(G);
			}
			T_ASSERT(nn_graph_load(p, outz, 1) == NULL);
			unlink(p);
			snprintf(p, sizeof(p), "%s/g.bin", dir);
			unlink(p);
		}
		snprintf(p, sizeof(p), "%s/m.json", dir);
		unlink(p);
		rmdir(dir);
	}
	return t_done();
}
