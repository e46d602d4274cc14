/*
 * nn_ops.c — tensors, activations, pooling, resizing, concat and the
 * elementwise ops of the CNN runtime (see nn.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn_int.h"
#ifdef NN_ASAN
#include <sanitizer/asan_interface.h>
#include <stdio.h>
#endif

/*
 * Tensor memory. Every layer allocates its output and frees its input, so
 * a frame's worth of large buffers cycles through malloc; glibc hands big
 * blocks back to the kernel and each new one costs page faults (measured:
 * ~10% of BlazeFace). A small per-thread cache of freed blocks of exactly
 * the sizes a network uses removes that. Blocks carry their size in a
 * 64-byte header. Sanitizer builds skip the cache so ASan still sees every
 * use after free.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NN_NO_CACHE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_NO_CACHE 1
#endif
#endif

#define CACHE_SLOTS 64
#define CACHE_MIN (64 * 1024)
#define HDR 64

static __thread struct { void *p; size_t sz; } g_cache[CACHE_SLOTS];

#ifdef NN_ASAN
void nn_check_range(const void *p, size_t bytes, const char *what)
{
	void *bad = bytes ? __asan_region_is_poisoned((void *)(uintptr_t)p, bytes) : NULL;

	if (bad) {
		fprintf(stderr, "nn: %s range %p+%zu reaches poisoned memory at %p\n", what, p,
		        bytes, bad);
		abort();
	}
}
#endif

void *nn_alloc(size_t bytes)
{
	void *p = NULL;

	/* Round up so vector loops may read whole cache lines at the end. */
	bytes = (bytes + 63) & ~(size_t)63;
	if (bytes == 0)
		bytes = 64;
	if (bytes >= CACHE_MIN)
		bytes = (bytes + 4095) & ~(size_t)4095;
#ifndef NN_NO_CACHE
	if (bytes >= CACHE_MIN)
		for (int i = 0; i < CACHE_SLOTS; i++)
			if (g_cache[i].p && g_cache[i].sz == bytes) {
				p = g_cache[i].p;
				g_cache[i].p = NULL;
				return (char *)p + HDR;
			}
#endif
	if (bytes > SIZE_MAX - HDR || posix_memalign(&p, 64, bytes + HDR) != 0)
		return NULL;
	memcpy(p, &bytes, sizeof(bytes));
	return (char *)p + HDR;
}

void nn_free(void *q)
{
	size_t bytes;
	char *p;

	if (q == NULL)
		return;
	p = (char *)q - HDR;
	memcpy(&bytes, p, sizeof(bytes));
#ifndef NN_NO_CACHE
	if (bytes >= CACHE_MIN)
		for (int i = 0; i < CACHE_SLOTS; i++)
			if (g_cache[i].p == NULL) {
				g_cache[i].p = p;
				g_cache[i].sz = bytes;
				return;
			}
#endif
	free(p);
}

void nn_cache_drain(void)
{
	for (int i = 0; i < CACHE_SLOTS; i++) {
		free(g_cache[i].p);
		g_cache[i].p = NULL;
	}
}

int nn_tensor_init(struct nn_tensor *t, int h, int w, int c)
{
	memset(t, 0, sizeof(*t));
	if (h <= 0 || w <= 0 || c <= 0 || h > NN_MAX_DIM || w > NN_MAX_DIM ||
	    c > NN_MAX_DIM || (size_t)h * w * c > NN_MAX_ELEMS)
		return -1;
	t->d = nn_alloc((size_t)h * w * c * sizeof(float));
	if (t->d == NULL)
		return -1;
	t->h = h;
	t->w = w;
	t->c = c;
	return 0;
}

void nn_tensor_release(struct nn_tensor *t)
{
	if (t == NULL)
		return;
	nn_free(t->d);
	memset(t, 0, sizeof(*t));
}

size_t nn_tensor_size(const struct nn_tensor *t)
{
	return (size_t)t->h * t->w * t->c;
}

/* One loop per activation so each vectorises on its own. Static: clang
 * cannot call a multiversioned function from another file. */
__attribute__((target_clones("avx2", "default")))
static void act_apply(float *restrict p, size_t n, enum nn_act act, float alpha)
{
	size_t i;

	switch (act) {
	case NN_ACT_NONE:
		break;
	case NN_ACT_RELU:
		for (i = 0; i < n; i++)
			p[i] = p[i] > 0.f ? p[i] : 0.f;
		break;
	case NN_ACT_RELU6:
		for (i = 0; i < n; i++) {
			float v = p[i] > 0.f ? p[i] : 0.f;
			p[i] = v < 6.f ? v : 6.f;
		}
		break;
	case NN_ACT_LEAKY:
		/* max(x, alpha x) for alpha <= 1: both sides computed, so it
		 * vectorises (a conditional multiply would not, under trapping math). */
		if (alpha <= 1.f) {
			for (i = 0; i < n; i++) {
				float m = alpha * p[i];
				p[i] = p[i] > m ? p[i] : m;
			}
		} else {
			for (i = 0; i < n; i++)
				p[i] = p[i] > 0.f ? p[i] : alpha * p[i];
		}
		break;
	case NN_ACT_HSWISH: {
		float k = alpha != 0.f ? alpha : 1.f / 6.f;
		for (i = 0; i < n; i++) {
			float v = p[i] + 3.f;
			v = v > 0.f ? v : 0.f;
			v = v < 6.f ? v : 6.f;
			p[i] = p[i] * v * k;
		}
		break;
	}
	case NN_ACT_SIGMOID:
		for (i = 0; i < n; i++)
			p[i] = 1.f / (1.f + expf(-p[i]));
		break;
	}
}

void nn_act_apply(float *p, size_t n, enum nn_act act, float alpha)
{
	act_apply(p, n, act, alpha);
}

int nn_out_size(int in, int k, int s, enum nn_pad pad, int *pad_before)
{
	int out, total;

	if (in <= 0 || k <= 0 || s <= 0)
		return 0;
	if (pad == NN_PAD_VALID) {
		*pad_before = 0;
		return in >= k ? (in - k) / s + 1 : 0;
	}
	/* TensorFlow SAME: the odd pixel of padding goes after. */
	out = (in + s - 1) / s;
	total = (out - 1) * s + k - in;
	if (total < 0)
		total = 0;
	*pad_before = total / 2;
	return out;
}

void nn_bn_fold(const float *gamma, const float *beta, const float *mean,
                const float *var, float eps, int n, float *scale, float *offset)
{
	for (int i = 0; i < n; i++) {
		float g = gamma ? gamma[i] : 1.f;
		scale[i] = g / sqrtf(var[i] + eps);
		offset[i] = beta[i] - mean[i] * scale[i];
	}
}

int nn_maxpool(const struct nn_tensor *in, struct nn_tensor *out,
               int k, int s, enum nn_pad pad)
{
	int pt, pl, oh, ow, C = in->c;

	oh = nn_out_size(in->h, k, s, pad, &pt);
	ow = nn_out_size(in->w, k, s, pad, &pl);
	if (oh == 0 || ow == 0 || nn_tensor_init(out, oh, ow, C) != 0)
		return -1;
	for (int oy = 0; oy < oh; oy++) {
		for (int ox = 0; ox < ow; ox++) {
			float *o = out->d + ((size_t)oy * ow + ox) * C;
			int first = 1;
			/* Padding never wins a max (TensorFlow semantics). */
			for (int ky = 0; ky < k; ky++) {
				int iy = oy * s + ky - pt;
				if (iy < 0 || iy >= in->h)
					continue;
				for (int kx = 0; kx < k; kx++) {
					int ix = ox * s + kx - pl;
					if (ix < 0 || ix >= in->w)
						continue;
					const float *p = in->d + ((size_t)iy * in->w + ix) * C;
					if (first) {
						memcpy(o, p, C * sizeof(float));
						first = 0;
					} else {
						for (int c = 0; c < C; c++)
							o[c] = p[c] > o[c] ? p[c] : o[c];
					}
				}
			}
		}
	}
	return 0;
}

int nn_resize_bilinear(const struct nn_tensor *in, struct nn_tensor *out,
                       int oh, int ow, int align_corners, int half_pixel)
{
	int C = in->c;
	float sy, sx;

	if (nn_tensor_init(out, oh, ow, C) != 0)
		return -1;
	sy = (align_corners && oh > 1) ? (float)(in->h - 1) / (oh - 1) : (float)in->h / oh;
	sx = (align_corners && ow > 1) ? (float)(in->w - 1) / (ow - 1) : (float)in->w / ow;
	for (int y = 0; y < oh; y++) {
		float fy = half_pixel ? (y + 0.5f) * sy - 0.5f : y * sy;
		if (fy < 0)
			fy = 0;
		int y0 = (int)fy, y1 = y0 + 1 < in->h ? y0 + 1 : in->h - 1;
		float wy = fy - y0;
		for (int x = 0; x < ow; x++) {
			float fx = half_pixel ? (x + 0.5f) * sx - 0.5f : x * sx;
			if (fx < 0)
				fx = 0;
			int x0 = (int)fx, x1 = x0 + 1 < in->w ? x0 + 1 : in->w - 1;
			float wx = fx - x0;
			const float *a = in->d + ((size_t)y0 * in->w + x0) * C;
			const float *b = in->d + ((size_t)y0 * in->w + x1) * C;
			const float *c = in->d + ((size_t)y1 * in->w + x0) * C;
			const float *d = in->d + ((size_t)y1 * in->w + x1) * C;
			float *o = out->d + ((size_t)y * ow + x) * C;
			for (int i = 0; i < C; i++) {
				float top = a[i] + (b[i] - a[i]) * wx;
				float bot = c[i] + (d[i] - c[i]) * wx;
				o[i] = top + (bot - top) * wy;
			}
		}
	}
	return 0;
}

int nn_concat(const struct nn_tensor *const *ins, int n, struct nn_tensor *out)
{
	int C = 0;

	for (int i = 0; i < n; i++) {
		if (ins[i]->h != ins[0]->h || ins[i]->w != ins[0]->w)
			return -1;
		C += ins[i]->c;
	}
	if (nn_tensor_init(out, ins[0]->h, ins[0]->w, C) != 0)
		return -1;
	size_t px = (size_t)ins[0]->h * ins[0]->w;
	for (size_t p = 0; p < px; p++) {
		float *o = out->d + p * C;
		for (int i = 0; i < n; i++) {
			memcpy(o, ins[i]->d + p * ins[i]->c, ins[i]->c * sizeof(float));
			o += ins[i]->c;
		}
	}
	return 0;
}

int nn_mean_hw(const struct nn_tensor *in, struct nn_tensor *out)
{
	size_t px = (size_t)in->h * in->w;

	if (nn_tensor_init(out, 1, 1, in->c) != 0)
		return -1;
	memset(out->d, 0, in->c * sizeof(float));
	for (size_t p = 0; p < px; p++) {
		const float *s = in->d + p * in->c;
		for (int c = 0; c < in->c; c++)
			out->d[c] += s[c];
	}
	for (int c = 0; c < in->c; c++)
		out->d[c] /= (float)px;
	return 0;
}

__attribute__((target_clones("avx2", "default")))
static void binop_rows(enum nn_binop op, float *o, const float *a,
                       const float *restrict b, size_t rows, int n, int bstride,
                       int astride)
{
	/* o[r][i] = a[r*astride + i] op b[r*bstride + i] for i < n. */
	for (size_t r = 0; r < rows; r++) {
		const float *pa = a + r * astride, *pb = b + r * bstride;
		float *po = o + r * n;
		switch (op) {
		case NN_ADD:
			for (int i = 0; i < n; i++)
				po[i] = pa[i] + pb[i];
			break;
		case NN_SUB:
			for (int i = 0; i < n; i++)
				po[i] = pa[i] - pb[i];
			break;
		case NN_MUL:
			for (int i = 0; i < n; i++)
				po[i] = pa[i] * pb[i];
			break;
		}
	}
}

int nn_binary_inplace(enum nn_binop op, struct nn_tensor *a, const struct nn_tensor *b)
{
	size_t px = (size_t)a->h * a->w;

	if (b->h == a->h && b->w == a->w && b->c == a->c) {
		binop_rows(op, a->d, a->d, b->d, 1, (int)nn_tensor_size(a), 0, 0);
		return 0;
	}
	if (b->h == 1 && b->w == 1 && b->c == a->c) {
		binop_rows(op, a->d, a->d, b->d, px, a->c, 0, a->c);
		return 0;
	}
	if (b->h == 1 && b->w == 1 && b->c == 1) {
		float v = b->d[0];
		for (size_t i = 0; i < nn_tensor_size(a); i++)
			a->d[i] = op == NN_ADD ? a->d[i] + v : op == NN_SUB ? a->d[i] - v : a->d[i] * v;
		return 0;
	}
	return -1;
}

int nn_binary(enum nn_binop op, const struct nn_tensor *a,
              const struct nn_tensor *b, struct nn_tensor *out)
{
	const struct nn_tensor *big = a, *small = b;
	int swapped = 0;

	if (nn_tensor_size(b) > nn_tensor_size(a)) {
		big = b;
		small = a;
		swapped = 1;
	}
	if (nn_tensor_init(out, big->h, big->w, big->c) != 0)
		return -1;
	size_t px = (size_t)big->h * big->w;
	if (small->h == big->h && small->w == big->w && small->c == big->c) {
		binop_rows(op, out->d, a->d, b->d, 1, (int)nn_tensor_size(big), 0, 0);
		return 0;
	}
	if (small->h == 1 && small->w == 1 && (small->c == big->c || small->c == 1)) {
		float *row = NULL;
		const float *bv = small->d;
		if (small->c == 1) {
			row = nn_alloc(big->c * sizeof(float));
			if (row == NULL)
				goto err;
			for (int i = 0; i < big->c; i++)
				row[i] = small->d[0];
			bv = row;
		}
		/* Subtraction is not commutative: keep operand order. */
		if (!swapped)
			binop_rows(op, out->d, big->d, bv, px, big->c, 0, big->c);
		else if (op != NN_SUB)
			binop_rows(op, out->d, big->d, bv, px, big->c, 0, big->c);
		else {
			for (size_t p = 0; p < px; p++)
				for (int i = 0; i < big->c; i++)
					out->d[p * big->c + i] = bv[i] - big->d[p * big->c + i];
		}
		nn_free(row);
		return 0;
	}
err:
	nn_tensor_release(out);
	return -1;
}

float nn_sigmoid(float x)
{
	return 1.f / (1.f + expf(-x));
}

float nn_iou(const struct nn_box *a, const struct nn_box *b)
{
	float ix0 = a->x0 > b->x0 ? a->x0 : b->x0;
	float iy0 = a->y0 > b->y0 ? a->y0 : b->y0;
	float ix1 = a->x1 < b->x1 ? a->x1 : b->x1;
	float iy1 = a->y1 < b->y1 ? a->y1 : b->y1;
	float aa = (a->x1 - a->x0) * (a->y1 - a->y0);
	float ab = (b->x1 - b->x0) * (b->y1 - b->y0);
	float inter;

	if (ix1 <= ix0 || iy1 <= iy0 || aa <= 0 || ab <= 0)
		return 0.f;
	inter = (ix1 - ix0) * (iy1 - iy0);
	return inter / (aa + ab - inter);
}

static int box_by_score_desc(const void *pa, const void *pb)
{
	const struct nn_box *a = pa, *b = pb;

	return (a->score < b->score) - (a->score > b->score);
}

int nn_nms(struct nn_box *boxes, int n, float iou)
{
	int kept = 0;

	if (n <= 0)
		return 0;
	qsort(boxes, n, sizeof(*boxes), box_by_score_desc);
	for (int i = 0; i < n; i++) {
		int ok = 1;
		for (int j = 0; j < kept && ok; j++)
			if (boxes[i].cls == boxes[j].cls && nn_iou(&boxes[i], &boxes[j]) > iou)
				ok = 0;
		if (ok)
			boxes[kept++] = boxes[i];
	}
	return kept;
}
