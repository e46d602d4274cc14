/*
 * nn_gemm.c — the matrix product behind every convolution.
 *
 * C[m][n] = A[m][k] * B[k][n] + bias[n], GotoBLAS-style: B is packed once
 * at model load into 16-column panels ([k][16], contiguous), A is packed per
 * block of rows into MR-row slivers ([k][MR]), and a register-blocked
 * micro-kernel computes an MR x 16 tile with all accumulators in registers.
 * Kernels: AVX-512 (MR 14), AVX2+FMA (MR 6), portable C (MR 4, whatever the
 * compiler vectorises). The choice is made once, at first use, from cpuid;
 * SEALCAM_NN_ISA=generic|avx2|avx512 forces one (tests compare them).
 */
#include <immintrin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"

#define NR 16           /* panel width (floats) */
#define MR_MAX 14

typedef void (*kernel_fn)(int k, const float *a, const float *b, float *c,
                          int ldc, const float *bias);

/* Portable kernel: 4 x 16, plain loops. */
static void kern_generic(int k, const float *a, const float *b, float *c,
                         int ldc, const float *bias)
{
	float acc[4][NR];

	for (int i = 0; i < 4; i++)
		memcpy(acc[i], bias, sizeof(acc[i]));
	for (int kk = 0; kk < k; kk++) {
		const float *bp = b + (size_t)kk * NR, *ap = a + (size_t)kk * 4;
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < NR; j++)
				acc[i][j] += ap[i] * bp[j];
	}
	for (int i = 0; i < 4; i++)
		memcpy(c + (size_t)i * ldc, acc[i], sizeof(acc[i]));
}

#if defined(__x86_64__)
/* AVX2+FMA: 6 rows x 2 ymm = 12 accumulators, 2 B loads, 6 broadcasts. */
__attribute__((target("avx2,fma")))
static void kern_avx2(int k, const float *a, const float *b, float *c,
                      int ldc, const float *bias)
{
	__m256 bl = _mm256_loadu_ps(bias), bh = _mm256_loadu_ps(bias + 8);
	__m256 c0l = bl, c0h = bh, c1l = bl, c1h = bh, c2l = bl, c2h = bh;
	__m256 c3l = bl, c3h = bh, c4l = bl, c4h = bh, c5l = bl, c5h = bh;

	for (int kk = 0; kk < k; kk++, a += 6, b += NR) {
		__m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8), x;
		x = _mm256_broadcast_ss(a + 0);
		c0l = _mm256_fmadd_ps(x, b0, c0l); c0h = _mm256_fmadd_ps(x, b1, c0h);
		x = _mm256_broadcast_ss(a + 1);
		c1l = _mm256_fmadd_ps(x, b0, c1l); c1h = _mm256_fmadd_ps(x, b1, c1h);
		x = _mm256_broadcast_ss(a + 2);
		c2l = _mm256_fmadd_ps(x, b0, c2l); c2h = _mm256_fmadd_ps(x, b1, c2h);
		x = _mm256_broadcast_ss(a + 3);
		c3l = _mm256_fmadd_ps(x, b0, c3l); c3h = _mm256_fmadd_ps(x, b1, c3h);
		x = _mm256_broadcast_ss(a + 4);
		c4l = _mm256_fmadd_ps(x, b0, c4l); c4h = _mm256_fmadd_ps(x, b1, c4h);
		x = _mm256_broadcast_ss(a + 5);
		c5l = _mm256_fmadd_ps(x, b0, c5l); c5h = _mm256_fmadd_ps(x, b1, c5h);
	}
	_mm256_storeu_ps(c, c0l); _mm256_storeu_ps(c + 8, c0h); c += ldc;
	_mm256_storeu_ps(c, c1l); _mm256_storeu_ps(c + 8, c1h); c += ldc;
	_mm256_storeu_ps(c, c2l); _mm256_storeu_ps(c + 8, c2h); c += ldc;
	_mm256_storeu_ps(c, c3l); _mm256_storeu_ps(c + 8, c3h); c += ldc;
	_mm256_storeu_ps(c, c4l); _mm256_storeu_ps(c + 8, c4h); c += ldc;
	_mm256_storeu_ps(c, c5l); _mm256_storeu_ps(c + 8, c5h);
}

/* AVX-512: 14 rows x 1 zmm; each FMA takes its A value as an embedded
 * broadcast, so one B load feeds 14 FMAs. */
__attribute__((target("avx512f")))
static void kern_avx512(int k, const float *a, const float *b, float *c,
                        int ldc, const float *bias)
{
	__m512 bv = _mm512_loadu_ps(bias);
	__m512 c0 = bv, c1 = bv, c2 = bv, c3 = bv, c4 = bv, c5 = bv, c6 = bv;
	__m512 c7 = bv, c8 = bv, c9 = bv, c10 = bv, c11 = bv, c12 = bv, c13 = bv;

	for (int kk = 0; kk < k; kk++, a += 14, b += NR) {
		__m512 x = _mm512_load_ps(b);
		c0 = _mm512_fmadd_ps(_mm512_set1_ps(a[0]), x, c0);
		c1 = _mm512_fmadd_ps(_mm512_set1_ps(a[1]), x, c1);
		c2 = _mm512_fmadd_ps(_mm512_set1_ps(a[2]), x, c2);
		c3 = _mm512_fmadd_ps(_mm512_set1_ps(a[3]), x, c3);
		c4 = _mm512_fmadd_ps(_mm512_set1_ps(a[4]), x, c4);
		c5 = _mm512_fmadd_ps(_mm512_set1_ps(a[5]), x, c5);
		c6 = _mm512_fmadd_ps(_mm512_set1_ps(a[6]), x, c6);
		c7 = _mm512_fmadd_ps(_mm512_set1_ps(a[7]), x, c7);
		c8 = _mm512_fmadd_ps(_mm512_set1_ps(a[8]), x, c8);
		c9 = _mm512_fmadd_ps(_mm512_set1_ps(a[9]), x, c9);
		c10 = _mm512_fmadd_ps(_mm512_set1_ps(a[10]), x, c10);
		c11 = _mm512_fmadd_ps(_mm512_set1_ps(a[11]), x, c11);
		c12 = _mm512_fmadd_ps(_mm512_set1_ps(a[12]), x, c12);
		c13 = _mm512_fmadd_ps(_mm512_set1_ps(a[13]), x, c13);
	}
	_mm512_storeu_ps(c, c0); c += ldc; _mm512_storeu_ps(c, c1); c += ldc;
	_mm512_storeu_ps(c, c2); c += ldc; _mm512_storeu_ps(c, c3); c += ldc;
	_mm512_storeu_ps(c, c4); c += ldc; _mm512_storeu_ps(c, c5); c += ldc;
	_mm512_storeu_ps(c, c6); c += ldc; _mm512_storeu_ps(c, c7); c += ldc;
	_mm512_storeu_ps(c, c8); c += ldc; _mm512_storeu_ps(c, c9); c += ldc;
	_mm512_storeu_ps(c, c10); c += ldc; _mm512_storeu_ps(c, c11); c += ldc;
	_mm512_storeu_ps(c, c12); c += ldc; _mm512_storeu_ps(c, c13);
}
#endif

static struct {
	kernel_fn fn;
	int mr;
	const char *name;
} g_kern;

static void pick_kernel_named(const char *force)
{

	g_kern.fn = kern_generic;
	g_kern.mr = 4;
	g_kern.name = "generic";
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
		g_kern.mr = 14;
		g_kern.name = "avx512";
	} else if (has2) {
		g_kern.fn = kern_avx2;
		g_kern.mr = 6;
		g_kern.name = "avx2";
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

/* Pack rows [i0, i0+rows) of A into MR-row slivers, zero-padding the last. */
static void pack_a(const float *a, int lda, int rows, int k, int mr, float *dst)
{
	for (int s = 0; s < rows; s += mr) {
		int r = rows - s < mr ? rows - s : mr;
		float *d = dst + (size_t)s * k;
		for (int i = 0; i < r; i++) {
			const float *src = a + (size_t)(s + i) * lda;
			for (int kk = 0; kk < k; kk++)
				d[(size_t)kk * mr + i] = src[kk];
		}
		for (int i = r; i < mr; i++)
			for (int kk = 0; kk < k; kk++)
				d[(size_t)kk * mr + i] = 0.f;
	}
}

int nn_gemm_mr(void)
{
	ensure_kernel();
	return g_kern.mr;
}

void nn_gemm_slivers(int rows, int n, int k, const float *apacked,
                     const float *panels, const float *bias, float *c, int ldc)
{
	int mr = nn_gemm_mr(), np = (n + NR - 1) / NR;
	float tile[MR_MAX * NR];
	float bias16[NR];

	for (int q = 0; q < np; q++) {
		int cols = n - q * NR < NR ? n - q * NR : NR;
		const float *bp = panels + (size_t)q * k * NR;
		for (int j = 0; j < NR; j++)
			bias16[j] = (bias && j < cols) ? bias[q * NR + j] : 0.f;
		for (int s = 0; s < rows; s += mr) {
			int r = rows - s < mr ? rows - s : mr;
			float *cp = c + (size_t)s * ldc + q * NR;
			if (r == mr && cols == NR) {
				g_kern.fn(k, apacked + (size_t)s * k, bp, cp, ldc, bias16);
				continue;
			}
			g_kern.fn(k, apacked + (size_t)s * k, bp, tile, NR, bias16);
			for (int i = 0; i < r; i++)
				memcpy(cp + (size_t)i * ldc, tile + i * NR, cols * sizeof(float));
		}
	}
}

int nn_gemm(int m, int n, int k, const float *a, int lda, const float *panels,
            const float *bias, float *c, int ldc)
{
	int mr = nn_gemm_mr(), mc;
	float *abuf;

	/* Row block: its packed A (mc * k floats) stays in L2 while every
	 * panel of B streams past it. */
	mc = (48 * 1024) / (k > 0 ? k : 1);
	mc = mc < mr ? mr : mc > 1024 ? 1024 : mc;
	mc -= mc % mr;
	abuf = nn_alloc((size_t)mc * k * sizeof(float));
	if (abuf == NULL)
		return -1;
	for (int i0 = 0; i0 < m; i0 += mc) {
		int rows = m - i0 < mc ? m - i0 : mc;
		pack_a(a + (size_t)i0 * lda, lda, rows, k, mr, abuf);
		nn_gemm_slivers(rows, n, k, abuf, panels, bias, c + (size_t)i0 * ldc, ldc);
	}
	nn_free(abuf);
	return 0;
}
