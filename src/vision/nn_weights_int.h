/*
 * nn_weights_int.h — internals shared by nn_weights.c and nn_graph.c.
 */
#ifndef SEALCAM_NN_WEIGHTS_INT_H
#define SEALCAM_NN_WEIGHTS_INT_H

#include <jansson.h>
#include <stddef.h>

#include "nn_model.h"

struct nn_weight {
	char *name;
	int shape[NN_MODEL_MAX_RANK];
	int rank;
	size_t count;
	float *d;
};

struct nn_weights {
	struct nn_weight *v;
	size_t n, cap;
};

/* Load weights; if root_out is given it receives the parsed JSON root
 * (caller json_decref()s it). */
struct nn_weights *nn_weights_load_json(const char *json_path, json_t **root_out);

#endif
