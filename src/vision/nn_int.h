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
/*
 * Planar rows (nn_planar.c): a row of w pixels x c channels stored as c
 * planes of nn_planar_stride(w) floats, pixel x of channel ch at
 * [ch * stride + NN_PL_OFF + x]. The floats either side of [0, w) in each
 * plane are zero (the 3-wide window reads them as padding): allocate rows
 * zeroed and write only [0, w). AVX-512 only: nn_planar_ok().
 */
#define NN_PL_OFF 16
#define NN_PL_NJ 6      /* output channels per tile of the 1x1 product */
int nn_planar_ok(void);
int nn_planar_stride(int w);
/* Weights and bias of a 1x1 convolution regrouped for nn_planar_pw. */
int nn_planar_pack(const struct nn_conv *cv, float **bp);
void nn_planar_from_nhwc(const float *in, int w, int c, float *o);
void nn_planar_to_nhwc(const float *in, int w, int c, float *o);
/* Depthwise 3x3, stride 1, padding 1 (SAME): three planar input rows
 * (a row of padding: zeros) -> planar o, activation included. */
void nn_planar_dw3(const struct nn_dwconv *dw, const float *const rows[3], int w, float *o);
/* 1x1 convolution of planar a (K channels) with nn_planar_pack's bp into
 * planar o (N channels): o = act(a . B + bias + res); res may be NULL. */
void nn_planar_pw(const float *a, int w, int K, int N, const float *bp, const float *res,
                  enum nn_act act, float alpha, float *o);

#endif
/*
 * Planar rows (nn_planar.c): a row of w pixels x c channels stored as c
 * planes of nn_planar_stride(w) floats, pixel x of channel ch at
 * [ch * stride + NN_PL_OFF + x]. The floats either side of [0, w) in each
 * plane are zero (the 3-wide window reads them as padding): allocate rows
 * zeroed and write only [0, w). AVX-512 only: nn_planar_ok().
 */
#define NN_PL_OFF 16
#define NN_PL_NJ 6      /* output channels per tile of the 1x1 product */
int nn_planar_ok(void);
int nn_planar_stride(int w);
/* Weights and bias of a 1x1 convolution regrouped for nn_planar_pw. */
int nn_planar_pack(const struct nn_conv *cv, float **bp);
void nn_planar_from_nhwc(const float *in, int w, int c, float *o);
void nn_planar_to_nhwc(const float *in, int w, int c, float *o);
/* Depthwise 3x3, stride 1, padding 1 (SAME): three planar input rows
 * (a row of padding: zeros) -> planar o, activation included. */
void nn_planar_dw3(const struct nn_dwconv *dw, const float *const rows[3], int w, float *o);
/* 1x1 convolution of planar a (K channels) with nn_planar_pack's bp into
 * planar o (N channels): o = act(a . B + bias + res); res may be NULL. */
void nn_planar_pw(const float *a, int w, int K, int N, const float *bp, const float *res,
                  enum nn_act act, float alpha, float *o);

#endif
#ifdef NN_ASAN
#define NN_HOT __attribute__((no_sanitize("address")))
void nn_check_range(const void *p, size_t bytes, const char *what);
#define NN_CHECK(p, bytes, what) nn_check_range((p), (bytes), (what))
#else
#define NN_HOT
#define NN_CHECK(p, bytes, what) ((void)0)
/*
 * Planar rows (nn_planar.c): a row of w pixels x c channels stored as c
 * planes of nn_planar_stride(w) floats, pixel x of channel ch at
 * [ch * stride + NN_PL_OFF + x]. The floats either side of [0, w) in each
 * plane are zero (the 3-wide window reads them as padding): allocate rows
 * zeroed and write only [0, w). AVX-512 only: nn_planar_ok().
 */
#define NN_PL_OFF 16
#define NN_PL_NJ 6      /* output channels per tile of the 1x1 product */
int nn_planar_ok(void);
int nn_planar_stride(int w);
/* Weights and bias of a 1x1 convolution regrouped for nn_planar_pw. */
int nn_planar_pack(const struct nn_conv *cv, float **bp);
void nn_planar_from_nhwc(const float *in, int w, int c, float *o);
void nn_planar_to_nhwc(const float *in, int w, int c, float *o);
/* Depthwise 3x3, stride 1, padding 1 (SAME): three planar input rows
 * (a row of padding: zeros) -> planar o, activation included. */
void nn_planar_dw3(const struct nn_dwconv *dw, const float *const rows[3], int w, float *o);
/* 1x1 convolution of planar a (K channels) with nn_planar_pack's bp into
 * planar o (N channels): o = act(a . B + bias + res); res may be NULL. */
void nn_planar_pw(const float *a, int w, int K, int N, const float *bp, const float *res,
                  enum nn_act act, float alpha, float *o);

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

/*
 * Planar rows (nn_planar.c): a row of w pixels x c channels stored as c
 * planes of nn_planar_stride(w) floats, pixel x of channel ch at
 * [ch * stride + NN_PL_OFF + x]. The floats either side of [0, w) in each
 * plane are zero (the 3-wide window reads them as padding): allocate rows
 * zeroed and write only [0, w). AVX-512 only: nn_planar_ok().
 */
#define NN_PL_OFF 16
#define NN_PL_NJ 6      /* output channels per tile of the 1x1 product */
int nn_planar_ok(void);
int nn_planar_stride(int w);
/* Weights and bias of a 1x1 convolution regrouped for nn_planar_pw. */
int nn_planar_pack(const struct nn_conv *cv, float **bp);
void nn_planar_from_nhwc(const float *in, int w, int c, float *o);
void nn_planar_to_nhwc(const float *in, int w, int c, float *o);
/* Depthwise 3x3, stride 1, padding 1 (SAME): three planar input rows
 * (a row of padding: zeros) -> planar o, activation included. */
void nn_planar_dw3(const struct nn_dwconv *dw, const float *const rows[3], int w, float *o);
/* 1x1 convolution of planar a (K channels) with nn_planar_pack's bp into
 * planar o (N channels): o = act(a . B + bias + res); res may be NULL. */
void nn_planar_pw(const float *a, int w, int K, int N, const float *bp, const float *res,
                  enum nn_act act, float alpha, float *o);

#endif
