/*
 * nn_int.h — internals shared by the runtime's files (not for detectors).
 */
#ifndef SEALCAM_NN_INT_H
#define SEALCAM_NN_INT_H

#include "nn.h"

/*
 * AddressSanitizer and the hot loops. Instrumenting every vector load of
 * the matrix and depthwise kernels made ASan builds of the vision tests
 * 10-20x slower than the rest of the code. Those loops (NN_HOT) are built
 * without it; instead their drivers check every range a kernel call will
 * read or write (NN_CHECK: one shadow-memory test per row, aborting like
 * ASan on a bad range), so an out-of-bounds access is still caught.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_ASAN 1
#endif
#endif
#ifdef NN_ASAN
#define NN_HOT __attribute__((no_sanitize("address")))
void nn_check_range(const void *p, size_t bytes, const char *what);
#define NN_CHECK(p, bytes, what) nn_check_range((p), (bytes), (what))
#else
#define NN_HOT
#define NN_CHECK(p, bytes, what) ((void)0)
#endif

/* Which kernels run: 0 portable C, 1 AVX2+FMA, 2 AVX-512 (nn_gemm.c picks
 * it once from cpuid or $SEALCAM_NN_ISA; nn_set_isa changes it). */
int nn_isa_level(void);

/* One output row of a depthwise convolution from its kh input rows
 * (rows[ky]; a row of padding must point at iw * c zeros), activation
 * included, into o (ow * c floats). */
void nn_dw_row(const struct nn_dwconv *dw, const float *const *rows, int iw, int ow, int pl,
               float *o);

/* Rows [oy0, oy1) of a depthwise convolution of `in` (output width ow,
 * leading padding pt/pl), activation included, into o (rows of ow * c
 * floats, contiguous). zrow: iw * c zeros, read for rows of padding. */
void nn_dw_rows(const struct nn_dwconv *dw, const struct nn_tensor *in, int oy0, int oy1,
                int ow, int pt, int pl, const float *zrow, float *o);

/* A convolution's input prepared for row-by-row products: the input
 * itself, or a zero-padded copy when the windows reach outside it. */
struct nn_convsrc {
	const float *base;      /* row 0 of the (padded) input */
	float *pad;             /* owned copy, or NULL */
	int pw;                 /* floats / cin between rows */
	int oh, ow;
};
int nn_convsrc_init(const struct nn_conv *cv, const struct nn_tensor *in, struct nn_convsrc *s);
void nn_convsrc_release(struct nn_convsrc *s);
/* Output row oy: out[ow][cout] = act(conv + res); res (a row) may be NULL. */
void nn_conv_row(const struct nn_conv *cv, const struct nn_convsrc *s, int oy,
                 const float *res, float *out);

#endif
