/*
 * nn_gemm.c — the matrix product behind every convolution.
 *
 * C[i][n] = act(sum_k A[i][k] * B[k][n] + bias[n] + R[i][n]) with B packed
 * once at model load into 16-column panels ([K][16], contiguous) and A
 * read where it lies: a 1x1 convolution's A is its input tensor, a k x k
 * convolution's A rows are windows of a zero-padded input, each window kh
 * runs of kw*cin contiguous floats (struct nn_amat). Nothing is copied or
 * packed per run: packing A was ~20% of BlazeFace's time, and most layers
 * of these networks have K and N of 16 to 100, where a copy costs as much
 * as the arithmetic.
 *
 * A register-blocked micro-kernel computes MR rows x 16 or 32 columns
 * with every accumulator in a register, and applies the epilogue (bias,
 * residual, activation) before its single store: the residual adds and
 * activations of the networks cost no extra pass over memory.
 * Kernels: AVX-512 (12 x 32), AVX2+FMA (6 x 16), portable C (4 x 16). The
 * choice is made once, at first use, from cpuid;
 * SEALCAM_NN_ISA=generic|avx2|avx512 forces one (tests compare them).
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn_int.h"

#define NR 16           /* panel width (floats) */

/* Everything a kernel call needs besides its tile position. */
struct kctx {
	const struct nn_amat *A;
	ptrdiff_t pstride;      /* floats from one panel to the next: K * 16 */
	ptrdiff_t ldc, ldr;
	const float *res;       /* residual rows or NULL */
	enum nn_act act;
	float alpha;
};

typedef void (*kernel_fn)(const struct kctx *x, int rows, int cols, const float *a,
                          const float *b, const float *bias, const float *res, float *c);

NN_HOT static float act1(float v, enum nn_act act, float alpha)
{
	switch (act) {
	case NN_ACT_NONE:
		return v;
	case NN_ACT_RELU:
		return v > 0.f ? v : 0.f;
	case NN_ACT_RELU6:
		return v < 0.f ? 0.f : v > 6.f ? 6.f : v;
	case NN_ACT_LEAKY:
		return v > 0.f ? v : alpha * v;
	case NN_ACT_HSWISH: {
		float t = v + 3.f;
		t = t < 0.f ? 0.f : t > 6.f ? 6.f : t;
		return v * t * (alpha != 0.f ? alpha : 1.f / 6.f);
	}
	case NN_ACT_SIGMOID:
		return nn_sigmoid(v);
	}
	return v;
}

/* Portable kernel: 4 rows x 16 columns, plain loops the compiler may
 * vectorise. Rows past `rows` repeat the last row (never stored). */
NN_HOT static void kern_generic(const struct kctx *x, int rows, int cols, const float *a,
                         const float *b, const float *bias, const float *res, float *c)
{
	const struct nn_amat *A = x->A;
	const float *ap[4];
	float acc[4][NR];

	for (int i = 0; i < 4; i++) {
		ap[i] = a + (i < rows ? i : rows - 1) * A->lda;
		memcpy(acc[i], bias, sizeof(acc[i]));
	}
	for (int s = 0; s < A->nseg; s++) {
		for (int kk = 0; kk < A->seg; kk++, b += NR)
			for (int i = 0; i < 4; i++)
				for (int j = 0; j < NR; j++)
					acc[i][j] += ap[i][kk] * b[j];
		for (int i = 0; i < 4; i++)
			ap[i] += A->segstride;
	}
	for (int i = 0; i < rows; i++)
		for (int j = 0; j < cols; j++) {
			float v = acc[i][j] + (res ? res[i * x->ldr + j] : 0.f);
			c[i * x->ldc + j] = act1(v, x->act, x->alpha);
		}
}

#if defined(__x86_64__)
/* AVX2+FMA: 6 rows x 2 ymm = 12 accumulators. */
#define MR2 6
__attribute__((target("avx2,fma"))) NN_HOT
static inline __m256 act256(__m256 v, enum nn_act act, float alpha)
{
	const __m256 z = _mm256_setzero_ps(), six = _mm256_set1_ps(6.f);

	switch (act) {
	case NN_ACT_RELU:
		return _mm256_max_ps(v, z);
	case NN_ACT_RELU6:
		return _mm256_min_ps(_mm256_max_ps(v, z), six);
	case NN_ACT_LEAKY: {
		__m256 m = _mm256_mul_ps(v, _mm256_set1_ps(alpha));
		return _mm256_blendv_ps(m, v, _mm256_cmp_ps(v, z, _CMP_GT_OQ));
	}
	case NN_ACT_HSWISH: {
		__m256 t = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(v, _mm256_set1_ps(3.f)), z), six);
		return _mm256_mul_ps(_mm256_mul_ps(v, t), _mm256_set1_ps(alpha != 0.f ? alpha : 1.f / 6.f));
	}
	default:
		return v;
	}
}

__attribute__((target("avx2,fma"))) NN_HOT
static void kern_avx2(const struct kctx *x, int rows, int cols, const float *a,
                      const float *b, const float *bias, const float *res, float *c)
{
	const struct nn_amat *A = x->A;
	const float *ap[MR2];
	__m256 lo[MR2], hi[MR2];
	__m256 bl = _mm256_loadu_ps(bias), bh = _mm256_loadu_ps(bias + 8);

	for (int i = 0; i < MR2; i++) {
		ap[i] = a + (i < rows ? i : rows - 1) * A->lda;
		lo[i] = bl;
		hi[i] = bh;
	}
	for (int s = 0; s < A->nseg; s++) {
		for (int kk = 0; kk < A->seg; kk++, b += NR) {
			__m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 6
			for (int i = 0; i < MR2; i++) {
				__m256 v = _mm256_broadcast_ss(ap[i] + kk);
				lo[i] = _mm256_fmadd_ps(v, b0, lo[i]);
				hi[i] = _mm256_fmadd_ps(v, b1, hi[i]);
			}
		}
		for (int i = 0; i < MR2; i++)
			ap[i] += A->segstride;
	}
	for (int i = 0; i < rows; i++) {
		float *cp = c + i * x->ldc;
		if (res) {
			const float *rp = res + i * x->ldr;
			if (cols == NR) {
				lo[i] = _mm256_add_ps(lo[i], _mm256_loadu_ps(rp));
				hi[i] = _mm256_add_ps(hi[i], _mm256_loadu_ps(rp + 8));
			} else {
				float t[NR] = { 0 };
				memcpy(t, rp, cols * sizeof(float));
				lo[i] = _mm256_add_ps(lo[i], _mm256_loadu_ps(t));
				hi[i] = _mm256_add_ps(hi[i], _mm256_loadu_ps(t + 8));
			}
		}
		__m256 v0 = act256(lo[i], x->act, x->alpha), v1 = act256(hi[i], x->act, x->alpha);
		if (cols == NR) {
			_mm256_storeu_ps(cp, v0);
			_mm256_storeu_ps(cp + 8, v1);
		} else {
			float t[NR];
			_mm256_storeu_ps(t, v0);
			_mm256_storeu_ps(t + 8, v1);
			memcpy(cp, t, cols * sizeof(float));
		}
	}
}

/* AVX-512: 12 rows x 2 zmm (two panels) = 24 accumulators; each A value
 * is broadcast once and feeds two FMAs. cols <= 16 uses one panel. */
#define MR5 12
__attribute__((target("avx512f"))) NN_HOT
static inline __m512 act512(__m512 v, enum nn_act act, float alpha)
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

__attribute__((target("avx512f"))) NN_HOT
static void kern_avx512(const struct kctx *x, int rows, int cols, const float *a,
                        const float *b, const float *bias, const float *res, float *c)
{
	const struct nn_amat *A = x->A;
	const ptrdiff_t ps = x->pstride;
	const float *ap[MR5];
	__m512 c0[MR5], c1[MR5];
	__m512 b0v = _mm512_loadu_ps(bias), b1v = _mm512_setzero_ps();
	__mmask16 m0 = cols >= 16 ? 0xffff : (__mmask16)((1u << cols) - 1);
	__mmask16 m1 = cols >= 32 ? 0xffff : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;

	if (cols > 16)
		b1v = _mm512_loadu_ps(bias + 16);
	for (int i = 0; i < MR5; i++) {
		ap[i] = a + (i < rows ? i : rows - 1) * A->lda;
		c0[i] = b0v;
		c1[i] = b1v;
	}
	if (cols > 16) {
		for (int s = 0; s < A->nseg; s++) {
			for (int kk = 0; kk < A->seg; kk++, b += NR) {
				__m512 w0 = _mm512_load_ps(b), w1 = _mm512_load_ps(b + ps);
#pragma GCC unroll 12
				for (int i = 0; i < MR5; i++) {
					__m512 v = _mm512_set1_ps(ap[i][kk]);
					c0[i] = _mm512_fmadd_ps(v, w0, c0[i]);
					c1[i] = _mm512_fmadd_ps(v, w1, c1[i]);
				}
			}
			for (int i = 0; i < MR5; i++)
				ap[i] += A->segstride;
		}
	} else {
		for (int s = 0; s < A->nseg; s++) {
			for (int kk = 0; kk < A->seg; kk++, b += NR) {
				__m512 w0 = _mm512_load_ps(b);
#pragma GCC unroll 12
				for (int i = 0; i < MR5; i++)
					c0[i] = _mm512_fmadd_ps(_mm512_set1_ps(ap[i][kk]), w0, c0[i]);
			}
			for (int i = 0; i < MR5; i++)
				ap[i] += A->segstride;
		}
	}
	for (int i = 0; i < rows; i++) {
		float *cp = c + i * x->ldc;
		__m512 v0 = c0[i], v1 = c1[i];
		if (res) {
			const float *rp = res + i * x->ldr;
			v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, rp));
			if (m1)
				v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, rp + 16));
		}
		_mm512_mask_storeu_ps(cp, m0, act512(v0, x->act, x->alpha));
		if (m1)
			_mm512_mask_storeu_ps(cp + 16, m1, act512(v1, x->act, x->alpha));
	}
}
#endif

static struct {
	kernel_fn fn;
	int mr, nr;     /* rows and columns a call covers */
	int level;      /* 0 generic, 1 avx2, 2 avx512 */
	const char *name;
} g_kern;

static void pick_kernel_named(const char *force)
{
	g_kern.fn = kern_generic;
	g_kern.mr = 4;
	g_kern.nr = NR;
	g_kern.name = "generic";
	g_kern.level = 0;
#if defined(__x86_64__)
	__builtin_cpu_init();
	int has512 = __builtin_cpu_supports("avx512f");
	int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	if (force && strcmp(force, "generic") == 0)
		has512 = has2 = 0;
	else if (force && strcmp(force, "avx2") == 0)
		has512 = 0;
	if (has512) {
		g_kern.fn = kern_avx512;
		g_kern.mr = MR5;
		g_kern.nr = 2 * NR;
		g_kern.name = "avx512";
		g_kern.level = 2;
	} else if (has2) {
		g_kern.fn = kern_avx2;
		g_kern.mr = MR2;
		g_kern.name = "avx2";
		g_kern.level = 1;
	}
#else
	(void)force;
#endif
}

static void ensure_kernel(void)
{
	/* Benign race: every thread computes the same answer. */
	if (g_kern.fn == NULL)
		pick_kernel_named(getenv("SEALCAM_NN_ISA"));
}

int nn_set_isa(const char *name)
{
	pick_kernel_named(name);
	return strcmp(g_kern.name, name) == 0 ? 0 : -1;
}

int nn_isa_level(void)
{
	ensure_kernel();
	return g_kern.level;
}

const char *nn_isa(void)
{
	ensure_kernel();
	return g_kern.name;
}

int nn_pack_panels(const float *b, int k, int n, float **panels)
{
	int np = (n + NR - 1) / NR;
	float *p = nn_alloc((size_t)np * k * NR * sizeof(float));

	*panels = NULL;
	if (p == NULL)
		return -1;
	for (int q = 0; q < np; q++)
		for (int kk = 0; kk < k; kk++)
			for (int j = 0; j < NR; j++) {
				int col = q * NR + j;
				p[((size_t)q * k + kk) * NR + j] =
					col < n ? b[(size_t)kk * n + col] : 0.f;
			}
	*panels = p;
	return 0;
}

void nn_gemm(int m, int n, const struct nn_amat *A, const float *panels,
             const struct nn_epilogue *e, float *c, ptrdiff_t ldc)
{
	struct kctx x;
	int K = A->seg * A->nseg, mr, nr;
	float bias[2 * NR];

	ensure_kernel();
	mr = g_kern.mr;
	nr = g_kern.nr;
	x.A = A;
	x.pstride = (ptrdiff_t)K * NR;
	x.ldc = ldc;
	x.ldr = e->ldr;
	x.res = e->res;
	x.act = e->act;
	x.alpha = e->alpha;
	NN_CHECK(panels, (size_t)((n + NR - 1) / NR) * K * NR * sizeof(float), "gemm B");
	/* Blocks of rows whose A (mb x K floats) stays in L2; within a block,
	 * columns outer so a column tile's panels (K x 32 floats) stay in L1
	 * while the block's rows stream past. */
	int mb = (int)((128 * 1024 / sizeof(float)) / (K > 0 ? K : 1));
	mb = mb < mr ? mr : mb - mb % mr;
	for (int b0 = 0; b0 < m; b0 += mb) {
		int b1 = m - b0 < mb ? m : b0 + mb;
		for (int j0 = 0; j0 < n; j0 += nr) {
			int cols = n - j0 < nr ? n - j0 : nr;
			const float *bp = panels + (size_t)(j0 / NR) * K * NR;
			for (int j = 0; j < 2 * NR; j++)
				bias[j] = e->bias && j < cols ? e->bias[j0 + j] : 0.f;
			for (int i0 = b0; i0 < b1; i0 += mr) {
				int rows = b1 - i0 < mr ? b1 - i0 : mr;
#ifdef NN_ASAN
				/* What the kernel call reads and writes (see nn_int.h). */
				for (int i = i0; i < i0 + rows; i++) {
					for (int sg = 0; sg < A->nseg; sg++)
						NN_CHECK(A->a + (ptrdiff_t)i * A->lda + sg * A->segstride,
						         A->seg * sizeof(float), "gemm A");
					NN_CHECK(c + (ptrdiff_t)i * ldc + j0, cols * sizeof(float), "gemm C");
					if (e->res)
						NN_CHECK(e->res + (ptrdiff_t)i * e->ldr + j0,
						         cols * sizeof(float), "gemm residual");
				}
#endif
				g_kern.fn(&x, rows, cols, A->a + (ptrdiff_t)i0 * A->lda, bp, bias,
				          e->res ? e->res + (ptrdiff_t)i0 * e->ldr + j0 : NULL,
				          c + (ptrdiff_t)i0 * ldc + j0);
			}
		}
	}
}
