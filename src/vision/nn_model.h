/*
 * nn_model.h — loading TensorFlow.js models from their npm packages.
 *
 * Two on-disk forms exist and both are read here:
 *  - a weights manifest (face-api: "*-weights_manifest.json", a JSON array
 *    of {paths, weights}) whose network is written in C by the caller;
 *  - a graph model (human: "model.json" with "modelTopology" and
 *    "weightsManifest"), run by the small interpreter nn_graph_*.
 * Weights are dequantised at load (uint8/uint16 with min and scale,
 * float16) to float32; int32 constants are kept as floats too (they are
 * shapes and axes, all small).
 *
 * Files are trusted only as far as their size: the JSON is capped at
 * NN_MODEL_MAX_JSON, shards at NN_MODEL_MAX_BIN, and every weight must lie
 * inside the shard bytes. Failures log which file and why.
 */
#ifndef SEALCAM_NN_MODEL_H
#define SEALCAM_NN_MODEL_H

#include "nn.h"

#define NN_MODEL_MAX_JSON (16u * 1024 * 1024)
#define NN_MODEL_MAX_BIN  (64u * 1024 * 1024)
#define NN_MODEL_MAX_RANK 4

struct nn_weights;
struct nn_graph;

/* Load a manifest or graph model JSON and its shards (paths relative to the
 * JSON's folder). Returns NULL on any error. */
struct nn_weights *nn_weights_load(const char *json_path);
void nn_weights_free(struct nn_weights *w);

/* Find a weight by name: returns its float data (owned by w) and fills
 * shape/rank (rank 0 = scalar), or NULL if absent. */
const float *nn_weights_get(const struct nn_weights *w, const char *name,
                            int shape[NN_MODEL_MAX_RANK], int *rank);
/* The same, but also checks the element count; logs and returns NULL if
 * the weight is missing or has another size. */
const float *nn_weights_need(const struct nn_weights *w, const char *name,
                             size_t count);

/* Graph models. nn_graph_load prepares every node needed to compute the
 * named outputs (convolution weights packed, batch norms folded); an op it
 * does not know makes the load fail. Inputs are scaled to the actual size:
 * the graph declares H x W, the caller may feed any multiple of `align`
 * pixels, and fixed resize targets are scaled by the same ratio. */
struct nn_graph *nn_graph_load(const char *json_path, const char *const *outputs,
                               int noutputs);
void nn_graph_free(struct nn_graph *g);
/* Declared input height and width. */
void nn_graph_input_size(const struct nn_graph *g, int *h, int *w);
/* Compute only channels [c0, c1) of output o, when a convolution without
 * a residual produces it (the last 1x1 layer of a classifier: one class
 * of 80 costs 1/5 of the layer). The output tensor then holds the
 * channels of the 16-channel blocks covering them, the first being
 * *first (a multiple of 16). c0 = c1 = 0 restores all channels.
 * Returns 0, or -1 if output o cannot be limited (nothing changes). */
int nn_graph_limit_output(struct nn_graph *g, int o, int c0, int c1, int *first);
/* Run on `in` (h x w x 3); outs[i] receives output i (caller releases). */
int nn_graph_run(struct nn_graph *g, const struct nn_tensor *in,
                 struct nn_tensor *outs);

#endif
