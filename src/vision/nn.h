/*
 * nn.h — a small CNN inference runtime in plain C.
 *
 * Tensors are float32, batch 1, NHWC (channels innermost). NHWC makes the
 * two layers that dominate mobile CNNs cheap: a 1x1 convolution is one
 * matrix product (pixels x Cin) * (Cin x Cout) over contiguous rows, and a
 * depthwise convolution is a multiply-add over contiguous channel vectors.
 * The tensor struct is public on purpose: detectors index it directly.
 *
 * Convolutions are prepared once (weights repacked into 16-column panels for
 * the matrix kernel, batch-norm folded by the caller) and run many times.
 * The kernels pick AVX-512 / AVX2+FMA / portable code at run time.
 *
 * Errors: functions that allocate return 0 or -1 (out of memory, shapes
 * that do not fit); a failed call leaves its output released.
 */
#ifndef SEALCAM_NN_H
#define SEALCAM_NN_H

#include <stddef.h>

/* Hard limits: a tensor above these is refused (bounds untrusted shapes). */
#define NN_MAX_DIM   8192
#define NN_MAX_ELEMS (64u * 1024 * 1024)

struct nn_tensor {
	int h, w, c;    /* height, width, channels */
	float *d;       /* h*w*c floats, 64-byte aligned; owned */
};

enum nn_act {
	NN_ACT_NONE,
	NN_ACT_RELU,
	NN_ACT_RELU6,
	NN_ACT_LEAKY,   /* x > 0 ? x : alpha * x */
	NN_ACT_HSWISH,  /* x * relu6(x + 3) * alpha (alpha 0: 1/6) */
	NN_ACT_SIGMOID,
};

enum nn_pad {
	NN_PAD_SAME,    /* TensorFlow SAME: out = ceil(in / stride), extra pad after */
	NN_PAD_VALID,   /* no padding: out = (in - k) / stride + 1 */
};

/* Tensors. nn_tensor_init allocates (contents undefined), release frees and
 * zeroes the struct; release of a zeroed struct is a no-op. */
int nn_tensor_init(struct nn_tensor *t, int h, int w, int c);
void nn_tensor_release(struct nn_tensor *t);
size_t nn_tensor_size(const struct nn_tensor *t);
void *nn_alloc(size_t bytes);       /* 64-byte aligned, NULL on failure */
void nn_free(void *p);
/* Free the calling thread's cache of tensor buffers (see nn_ops.c). */
void nn_cache_drain(void);

/* Apply an activation in place to n floats. */
void nn_act_apply(float *p, size_t n, enum nn_act act, float alpha);

/* Output size along one axis for a window k, stride s and padding mode;
 * *pad_before receives the leading padding. Returns 0 if nothing fits. */
int nn_out_size(int in, int k, int s, enum nn_pad pad, int *pad_before);

/* Convolution (groups = 1), weights in TensorFlow HWIO order
 * [kh][kw][cin][cout]; bias may be NULL. */
struct nn_conv {
	int kh, kw, cin, cout, sh, sw;
	enum nn_pad pad;
	enum nn_act act;
	float alpha;        /* for NN_ACT_LEAKY */
	float *panels;      /* packed weights: [ceil(cout/16)][kh*kw*cin][16] */
	float *bias;        /* [cout] */
};
int nn_conv_init(struct nn_conv *cv, const float *w_hwio, const float *bias,
                 int kh, int kw, int cin, int cout, int sh, int sw,
                 enum nn_pad pad, enum nn_act act, float alpha);
void nn_conv_release(struct nn_conv *cv);
/* Runs cv on in; out is initialised here (release it after use). */
int nn_conv_run(const struct nn_conv *cv, const struct nn_tensor *in,
                struct nn_tensor *out);
/* The same with a residual: out = act(conv(in) + res), res of out's shape
 * (NULL: none). The activation is cv->act, applied after the sum. */
int nn_conv_run_res(const struct nn_conv *cv, const struct nn_tensor *in,
                    const struct nn_tensor *res, struct nn_tensor *out);

/* Depthwise convolution, channel multiplier 1, weights [kh][kw][c] (the
 * TensorFlow [kh][kw][c][1] layout); bias may be NULL. */
struct nn_dwconv {
	int kh, kw, c, sh, sw;
	enum nn_pad pad;
	enum nn_act act;
	float alpha;
	float *w;           /* [kh*kw][c] */
	float *bias;        /* [c] */
};
int nn_dwconv_init(struct nn_dwconv *dw, const float *w, const float *bias,
                   int kh, int kw, int c, int sh, int sw,
                   enum nn_pad pad, enum nn_act act, float alpha);
void nn_dwconv_release(struct nn_dwconv *dw);
int nn_dwconv_run(const struct nn_dwconv *dw, const struct nn_tensor *in,
                  struct nn_tensor *out);
/* A depthwise convolution feeding a 1x1 stride-1 convolution, computed in
 * strips of rows: the depthwise result of a strip stays in cache and the
 * pointwise product reads it there (the separable blocks of BlazeFace and
 * MobileNet). out = act(pw(dw(in)) + res); res may be NULL. */
int nn_sep_run(const struct nn_dwconv *dw, const struct nn_conv *pw,
               const struct nn_tensor *in, const struct nn_tensor *res,
               struct nn_tensor *out);

/* Fold batch normalisation into per-channel scale and offset:
 * y = (x - mean) / sqrt(var + eps) * gamma + beta = x * scale + offset. */
void nn_bn_fold(const float *gamma, const float *beta, const float *mean,
                const float *var, float eps, int n, float *scale, float *offset);

/* Matrix products. B is packed once into 16-column panels
 * ([ceil(n/16)][K][16], zero-padded; nn_pack_panels from a K x n row-major
 * matrix). A is read in place: element (i, k) is at
 *   a[i * lda + (k / seg) * segstride + k % seg],  K = seg * nseg,
 * i.e. each row is nseg runs of seg contiguous floats: one run for a 1x1
 * convolution's input pixel, kh runs of kw*cin for a kh x kw window of a
 * (padded) NHWC image. */
struct nn_amat {
	const float *a;
	ptrdiff_t lda;
	int seg, nseg;
	ptrdiff_t segstride;
};
/* Applied to each result before it is stored: + bias[n] (NULL: none),
 * + res[i * ldr + n] (NULL: none), then the activation. */
struct nn_epilogue {
	const float *bias;
	const float *res;
	ptrdiff_t ldr;
	enum nn_act act;        /* not NN_ACT_SIGMOID */
	float alpha;
};
int nn_pack_panels(const float *b, int k, int n, float **panels);
/* C[i][j] (i < m, j < n, row stride ldc) = epilogue(A[i] . B[.][j]). */
void nn_gemm(int m, int n, const struct nn_amat *A, const float *panels,
             const struct nn_epilogue *e, float *c, ptrdiff_t ldc);
const char *nn_isa(void);          /* which kernel runs: "avx512", "avx2", "generic" */
/* Force a kernel ("generic", "avx2", "avx512"; also $SEALCAM_NN_ISA at
 * first use). Returns -1 (and picks the best one below it) if the CPU
 * lacks it. Not thread-safe: for tests and benchmarks. */
int nn_set_isa(const char *name);

/* Pooling, resizing and elementwise ops; out is initialised by the call. */
int nn_maxpool(const struct nn_tensor *in, struct nn_tensor *out,
               int k, int s, enum nn_pad pad);
int nn_resize_bilinear(const struct nn_tensor *in, struct nn_tensor *out,
                       int oh, int ow, int align_corners, int half_pixel);
int nn_concat(const struct nn_tensor *const *ins, int n, struct nn_tensor *out);
int nn_mean_hw(const struct nn_tensor *in, struct nn_tensor *out);
/* Broadcasting binary ops: shapes equal, or b is 1x1xC, or b is a scalar
 * (1x1x1); either operand may be the broadcast one. */
enum nn_binop { NN_ADD, NN_SUB, NN_MUL };
int nn_binary(enum nn_binop op, const struct nn_tensor *a,
              const struct nn_tensor *b, struct nn_tensor *out);
/* a = a op b, b of a's shape or broadcast (1x1xC, 1x1x1); 0 / -1. */
int nn_binary_inplace(enum nn_binop op, struct nn_tensor *a, const struct nn_tensor *b);

/* Boxes and post-processing. */
struct nn_box {
	float x0, y0, x1, y1;   /* pixels, x1/y1 exclusive */
	float score;
	int cls;
};
float nn_sigmoid(float x);
float nn_iou(const struct nn_box *a, const struct nn_box *b);
/* Greedy non-maximum suppression: sorts boxes by score (descending) and
 * keeps those whose IoU with every kept box is <= iou. Returns the count
 * kept (they are moved to the front). */
int nn_nms(struct nn_box *boxes, int n, float iou);

#endif
