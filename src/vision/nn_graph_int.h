/*
 * nn_graph_int.h — the graph interpreter's internals, shared by its files:
 * nn_graph.c (loading), nn_graph_fuse.c (rewrites after loading),
 * nn_graph_run.c (evaluation) and nn_chain.c (row-streamed chains).
 */
#ifndef SEALCAM_NN_GRAPH_INT_H
#define SEALCAM_NN_GRAPH_INT_H

#include "nn_model.h"

#define NN_GRAPH_MAX_NODES 4096
#define NN_GRAPH_MAX_INPUTS 8

enum gop {
	G_INPUT, G_CONST, G_CONV, G_DWCONV, G_BINARY, G_ACT, G_MEAN, G_CONCAT,
	G_RESIZE, G_MAXPOOL, G_PAD, G_IDENTITY,
	G_HSWISH,       /* x * relu6(x + 3) * k: MobileNetV3's 4-node chain, fused */
	G_SEP,          /* depthwise then 1x1 convolution, fused (nn_sep_run) */
	G_DEAD,         /* folded into another node; never evaluated */
};

struct gnode {
	char *name;
	enum gop op;
	int in[NN_GRAPH_MAX_INPUTS];     /* producer node indices (non-const inputs) */
	int nin;
	int uses;               /* consumers within the prepared graph */
	int left;               /* consumers still to run (per run) */
	struct nn_tensor out;
	/* op parameters */
	struct nn_conv conv;
	struct nn_dwconv dw;
	enum nn_binop binop;
	enum nn_act act;
	int k, s;               /* maxpool */
	enum nn_pad pad;
	int rh, rw, align, halfpx; /* resize target (declared), flags */
	int pads[8];            /* pad: [before, after] per NHWC dim */
	struct nn_tensor cval;  /* constant value */
	enum nn_act post;       /* binary: activation fused from the next node */
	float hk;               /* hswish: the graph's 1/6 */
	int chain;              /* index in nn_graph.chains, or -1 */
	int lim0, lim1;         /* conv: only output channels [lim0, lim1) (0, 0: all) */
	double prof_ns;         /* SEALCAM_NN_PROFILE: time spent here */
	double prof_macs;
};

/* A chain: convolution nodes each reading the previous one's output (and
 * maybe an earlier one's as a residual), evaluated row by row so the
 * tensors between them live in a few rows of cache (nn_chain.c). Every
 * member but the last is read only by later members. */
#define NN_CHAIN_MAX 32
struct gchain {
	int m[NN_CHAIN_MAX];    /* node indices, in evaluation order */
	int n;
	int planar;             /* may run its separable blocks on planar rows */
};

struct nn_graph {
	struct gnode *n;        /* prepared nodes, in evaluation order */
	int count;
	int *outputs;           /* indices into n */
	int noutputs;
	int in_h, in_w;         /* declared input size */
	int cur_h, cur_w;       /* size of the current run's input */
	int profile;            /* $SEALCAM_NN_PROFILE set at load */
	int runs;
	struct gchain *chains;
	int nchains;
};

/* Rewrite a loaded graph into fewer, fused nodes (nn_graph_fuse.c). */
void nn_graph_fuse(struct nn_graph *G);
/* The tensor node i holds (its constant, or its output). */
const struct nn_tensor *nn_graph_value(const struct nn_graph *G, int i);
/* The convolution a node computes this run: its own, or a view of the
 * output channels nn_graph_limit_output asked for. */
void nn_graph_conv_view(const struct gnode *n, struct nn_conv *cv);
/* Evaluate a convolution node (G_CONV or G_SEP) into its out tensor. */
int nn_graph_run_conv(struct nn_graph *G, struct gnode *n);
/* Evaluate chain c (all its members' inputs are ready): its last
 * member's out receives the result; 0 / -1. */
int nn_chain_run(struct nn_graph *G, const struct gchain *c);
/* Print the per-node times of $SEALCAM_NN_PROFILE (nn_graph_run.c). */
void nn_graph_profile_print(const struct nn_graph *g);

#endif
