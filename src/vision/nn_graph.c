/*
 * nn_graph.c — a small interpreter for TensorFlow.js graph models (the
 * "model.json" of @vladmandic/human), enough for BlazeFace and CenterNet.
 *
 * Load: parse the node list, walk back from the requested outputs, and
 * prepare only the nodes they need, in dependency order: convolutions get
 * their weights packed (nn_conv), constants become broadcastable tensors.
 * An op outside the supported set fails the load (fail closed: a model we
 * cannot run exactly is no model).
 * Fusion (nn_graph_fuse.c) and evaluation (nn_graph_run.c) follow.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nn_graph_int.h"
#include "nn_weights_int.h"

static const char *attr_s(json_t *node, const char *key)
{
	/* Strings in attrs are base64; we only compare the few values we need
	 * against their base64 forms. */
	return json_string_value(json_object_get(json_object_get(json_object_get(node, "attr"), key), "s"));
}

static int attr_ints(json_t *node, const char *key, int *v, int n)
{
	json_t *l = json_object_get(json_object_get(json_object_get(json_object_get(node, "attr"), key), "list"), "i");
	int cnt = (int)json_array_size(l);

	if (cnt != n)
		return -1;
	for (int i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(l, i));
		v[i] = s ? (int)strtol(s, NULL, 10) : 0;
	}
	return 0;
}

static int attr_bool(json_t *node, const char *key)
{
	return json_is_true(json_object_get(json_object_get(json_object_get(node, "attr"), key), "b"));
}

/* base64 of the strings we meet */
#define B64_SAME "U0FNRQ=="
#define B64_VALID "VkFMSUQ="
#define B64_BIASADD "Qmlhc0FkZA=="
#define B64_RELU "UmVsdQ=="
#define B64_RELU6 "UmVsdTY="

static int fused_act(json_t *node, enum nn_act *act)
{
	json_t *l = json_object_get(json_object_get(json_object_get(json_object_get(node, "attr"), "fused_ops"), "list"), "s");
	size_t n = json_array_size(l);

	*act = NN_ACT_NONE;
	if (n < 1 || strcmp(json_string_value(json_array_get(l, 0)), B64_BIASADD) != 0)
		return -1;
	if (n == 1)
		return 0;
	if (n == 2 && !strcmp(json_string_value(json_array_get(l, 1)), B64_RELU))
		*act = NN_ACT_RELU;
	else if (n == 2 && !strcmp(json_string_value(json_array_get(l, 1)), B64_RELU6))
		*act = NN_ACT_RELU6;
	else
		return -1;
	return 0;
}

static int pad_mode(json_t *node, enum nn_pad *pad)
{
	const char *p = attr_s(node, "padding");

	if (p && !strcmp(p, B64_SAME))
		*pad = NN_PAD_SAME;
	else if (p && !strcmp(p, B64_VALID))
		*pad = NN_PAD_VALID;
	else
		return -1;
	return 0;
}

struct loader {
	json_t *nodes;          /* modelTopology.node */
	struct nn_weights *w;
	struct nn_graph *g;
	int *state;             /* per json node: -1 unvisited, -2 visiting, else index in g->n */
	const char *path;
};

static int find_json_node(struct loader *L, const char *name)
{
	size_t n = json_array_size(L->nodes);

	for (size_t i = 0; i < n; i++) {
		const char *nm = json_string_value(json_object_get(json_array_get(L->nodes, i), "name"));
		if (nm && !strcmp(nm, name))
			return (int)i;
	}
	return -1;
}

static const struct nn_weight *find_weight(struct loader *L, const char *name)
{
	for (size_t i = 0; i < L->w->n; i++)
		if (!strcmp(L->w->v[i].name, name))
			return &L->w->v[i];
	return NULL;
}

static int prepare(struct loader *L, int ji);

/* Input `i` of json node `node` as a prepared node index. */
static int input_node(struct loader *L, json_t *node, int i)
{
	const char *nm = json_string_value(json_array_get(json_object_get(node, "input"), i));
	char base[512];
	int ji;

	if (nm == NULL || nm[0] == '^')
		return -1;
	/* "name:1" selects a second output; none of our ops has one. */
	snprintf(base, sizeof(base), "%s", nm);
	ji = find_json_node(L, base);
	if (ji < 0) {
		log_err("nn", "file=%s node=%s err=\"unknown input\"", L->path, base);
		return -1;
	}
	return prepare(L, ji);
}

static const struct nn_weight *const_input(struct loader *L, json_t *node, int i)
{
	const char *nm = json_string_value(json_array_get(json_object_get(node, "input"), i));
	const struct nn_weight *w = nm ? find_weight(L, nm) : NULL;

	if (w == NULL)
		log_err("nn", "file=%s input=%s err=\"constant missing\"", L->path, nm ? nm : "?");
	return w;
}

static int prep_conv(struct loader *L, json_t *node, struct gnode *g, int fused)
{
	const struct nn_weight *f = const_input(L, node, 1), *b = NULL;
	int st[4], dil[4];

	if (f == NULL || f->rank != 4 || pad_mode(node, &g->pad) != 0 ||
	    attr_ints(node, "strides", st, 4) != 0)
		return -1;
	if (attr_ints(node, "dilations", dil, 4) == 0 && (dil[1] != 1 || dil[2] != 1))
		return -1;
	g->act = NN_ACT_NONE;
	if (fused) {
		if (fused_act(node, &g->act) != 0 || (b = const_input(L, node, 2)) == NULL)
			return -1;
	}
	g->op = G_CONV;
	return nn_conv_init(&g->conv, f->d, b ? b->d : NULL, f->shape[0], f->shape[1],
	                    f->shape[2], f->shape[3], st[1], st[2], g->pad, g->act, 0);
}

static int prep_dwconv(struct loader *L, json_t *node, struct gnode *g, int fused)
{
	const struct nn_weight *f = const_input(L, node, 1), *b = NULL;
	int st[4];

	if (f == NULL || f->rank != 4 || f->shape[3] != 1 || pad_mode(node, &g->pad) != 0 ||
	    attr_ints(node, "strides", st, 4) != 0)
		return -1;
	g->act = NN_ACT_NONE;
	if (fused) {
		if (fused_act(node, &g->act) != 0 || (b = const_input(L, node, 2)) == NULL)
			return -1;
	}
	g->op = G_DWCONV;
	return nn_dwconv_init(&g->dw, f->d, b ? b->d : NULL, f->shape[0], f->shape[1],
	                      f->shape[2], st[1], st[2], g->pad, g->act, 0);
}

/* Constant as a broadcastable tensor: scalar -> 1x1x1, [C] or [1,1,1,C] -> 1x1xC. */
static int const_tensor(const struct nn_weight *w, struct nn_tensor *t)
{
	size_t c = w->count;

	for (int i = 0; i + 1 < w->rank; i++)
		if (w->shape[i] != 1)
			return -1;
	if (nn_tensor_init(t, 1, 1, (int)c) != 0)
		return -1;
	memcpy(t->d, w->d, c * sizeof(float));
	return 0;
}

static int prepare(struct loader *L, int ji)
{
	json_t *node = json_array_get(L->nodes, ji);
	const char *op = json_string_value(json_object_get(node, "op"));
	const char *name = json_string_value(json_object_get(node, "name"));
	struct nn_graph *G = L->g;
	struct gnode g;
	int ninputs = (int)json_array_size(json_object_get(node, "input"));
	int idx;

	if (L->state[ji] >= 0)
		return L->state[ji];
	if (L->state[ji] == -2 || op == NULL || name == NULL || G->count >= NN_GRAPH_MAX_NODES)
		return -1;
	L->state[ji] = -2;
	memset(&g, 0, sizeof(g));
	g.op = G_IDENTITY;

	if (!strcmp(op, "Placeholder")) {
		g.op = G_INPUT;
	} else if (!strcmp(op, "Const")) {
		const struct nn_weight *w = find_weight(L, name);
		if (w == NULL || const_tensor(w, &g.cval) != 0)
			goto bad;
		g.op = G_CONST;
	} else if (!strcmp(op, "_FusedConv2D") || !strcmp(op, "Conv2D")) {
		if ((g.in[0] = input_node(L, node, 0)) < 0 ||
		    prep_conv(L, node, &g, op[0] == '_') != 0)
			goto bad;
		g.nin = 1;
	} else if (!strcmp(op, "DepthwiseConv2dNative") ||
	           !strcmp(op, "FusedDepthwiseConv2dNative")) {
		if ((g.in[0] = input_node(L, node, 0)) < 0 ||
		    prep_dwconv(L, node, &g, op[0] == 'F') != 0)
			goto bad;
		g.nin = 1;
	} else if (!strcmp(op, "Add") || !strcmp(op, "AddV2") || !strcmp(op, "Sub") ||
	           !strcmp(op, "Mul")) {
		g.op = G_BINARY;
		g.binop = op[0] == 'M' ? NN_MUL : op[0] == 'S' ? NN_SUB : NN_ADD;
		if (ninputs != 2 || (g.in[0] = input_node(L, node, 0)) < 0 ||
		    (g.in[1] = input_node(L, node, 1)) < 0)
			goto bad;
		g.nin = 2;
	} else if (!strcmp(op, "Relu") || !strcmp(op, "Relu6") || !strcmp(op, "Sigmoid")) {
		g.op = G_ACT;
		g.act = !strcmp(op, "Relu") ? NN_ACT_RELU : !strcmp(op, "Relu6") ? NN_ACT_RELU6 :
		        NN_ACT_SIGMOID;
		if ((g.in[0] = input_node(L, node, 0)) < 0)
			goto bad;
		g.nin = 1;
	} else if (!strcmp(op, "Identity")) {
		if ((g.in[0] = input_node(L, node, 0)) < 0)
			goto bad;
		g.nin = 1;
	} else if (!strcmp(op, "Mean")) {
		const struct nn_weight *ax = const_input(L, node, 1);
		if (ax == NULL || ax->count != 2 || ax->d[0] != 1 || ax->d[1] != 2 ||
		    !attr_bool(node, "keep_dims") || (g.in[0] = input_node(L, node, 0)) < 0)
			goto bad;
		g.op = G_MEAN;
		g.nin = 1;
	} else if (!strcmp(op, "ConcatV2")) {
		const struct nn_weight *ax = const_input(L, node, ninputs - 1);
		if (ax == NULL || (ax->d[0] != 3 && ax->d[0] != -1) || ninputs - 1 > NN_GRAPH_MAX_INPUTS)
			goto bad;
		for (int i = 0; i < ninputs - 1; i++)
			if ((g.in[i] = input_node(L, node, i)) < 0)
				goto bad;
		g.op = G_CONCAT;
		g.nin = ninputs - 1;
	} else if (!strcmp(op, "ResizeBilinear")) {
		const struct nn_weight *sz = const_input(L, node, 1);
		if (sz == NULL || sz->count != 2 || (g.in[0] = input_node(L, node, 0)) < 0)
			goto bad;
		g.op = G_RESIZE;
		g.rh = (int)sz->d[0];
		g.rw = (int)sz->d[1];
		g.align = attr_bool(node, "align_corners");
		g.halfpx = attr_bool(node, "half_pixel_centers");
		g.nin = 1;
	} else if (!strcmp(op, "MaxPool")) {
		int ks[4], st[4];
		if (attr_ints(node, "ksize", ks, 4) != 0 || attr_ints(node, "strides", st, 4) != 0 ||
		    ks[1] != ks[2] || st[1] != st[2] || pad_mode(node, &g.pad) != 0 ||
		    (g.in[0] = input_node(L, node, 0)) < 0)
			goto bad;
		g.op = G_MAXPOOL;
		g.k = ks[1];
		g.s = st[1];
		g.nin = 1;
	} else if (!strcmp(op, "Pad")) {
		const struct nn_weight *p = const_input(L, node, 1);
		if (p == NULL || p->count != 8 || p->d[0] != 0 || p->d[1] != 0 ||
		    (g.in[0] = input_node(L, node, 0)) < 0)
			goto bad;
		for (int i = 0; i < 8; i++) {
			g.pads[i] = (int)p->d[i];
			if (g.pads[i] < 0 || g.pads[i] > 1024)
				goto bad;
		}
		g.op = G_PAD;
		g.nin = 1;
	} else {
		log_err("nn", "file=%s node=%s op=%s err=\"unsupported op\"", L->path, name, op);
		goto bad;
	}

	g.name = strdup(name);
	if (g.name == NULL)
		goto bad;
	for (int i = 0; i < g.nin; i++)
		G->n[g.in[i]].uses++;
	idx = G->count++;
	G->n[idx] = g;
	L->state[ji] = idx;
	return idx;
bad:
	log_err("nn", "file=%s node=%s op=%s err=\"cannot prepare\"", L->path, name, op);
	nn_conv_release(&g.conv);
	nn_dwconv_release(&g.dw);
	nn_tensor_release(&g.cval);
	return -1;
}

struct nn_graph *nn_graph_load(const char *json_path, const char *const *outputs,
                               int noutputs)
{
	struct loader L = { 0 };
	json_t *root = NULL, *shape;
	struct nn_graph *G = NULL;
	size_t nn;

	L.path = json_path;
	L.w = nn_weights_load_json(json_path, &root);
	if (L.w == NULL)
		return NULL;
	L.nodes = json_object_get(json_object_get(root, "modelTopology"), "node");
	nn = json_array_size(L.nodes);
	if (nn == 0 || nn > NN_GRAPH_MAX_NODES)
		goto err;
	G = calloc(1, sizeof(*G));
	L.state = malloc(nn * sizeof(int));
	if (G == NULL || L.state == NULL)
		goto err;
	G->n = calloc(nn, sizeof(*G->n));
	G->outputs = calloc(noutputs, sizeof(int));
	if (G->n == NULL || G->outputs == NULL)
		goto err;
	L.g = G;
	for (size_t i = 0; i < nn; i++)
		L.state[i] = -1;
	for (int o = 0; o < noutputs; o++) {
		int ji = find_json_node(&L, outputs[o]);
		if (ji < 0) {
			log_err("nn", "file=%s node=%s err=\"no such output\"", json_path, outputs[o]);
			goto err;
		}
		if ((G->outputs[o] = prepare(&L, ji)) < 0)
			goto err;
		G->n[G->outputs[o]].uses++;     /* the caller is a consumer too */
	}
	G->noutputs = noutputs;
	G->profile = getenv("SEALCAM_NN_PROFILE") != NULL;
	nn_graph_fuse(G);
	/* Declared input size from the Placeholder's shape [1, H, W, 3]. */
	for (int i = 0; i < G->count; i++) {
		if (G->n[i].op != G_INPUT)
			continue;
		int ji = find_json_node(&L, G->n[i].name);
		shape = json_object_get(json_object_get(json_object_get(json_object_get(
			json_array_get(L.nodes, ji), "attr"), "shape"), "shape"), "dim");
		G->in_h = (int)strtol(json_string_value(json_object_get(json_array_get(shape, 1), "size")) ?: "0", NULL, 10);
		G->in_w = (int)strtol(json_string_value(json_object_get(json_array_get(shape, 2), "size")) ?: "0", NULL, 10);
	}
	if (G->in_h <= 0 || G->in_w <= 0) {
		log_err("nn", "file=%s err=\"input size not declared\"", json_path);
		goto err;
	}
	free(L.state);
	nn_weights_free(L.w);
	json_decref(root);
	return G;
err:
	free(L.state);
	nn_weights_free(L.w);
	json_decref(root);
	nn_graph_free(G);
	return NULL;
}

void nn_graph_free(struct nn_graph *g)
{
	if (g == NULL)
		return;
	if (g->profile && g->runs > 0)
		nn_graph_profile_print(g);
	for (int i = 0; g->n && i < g->count; i++) {
		struct gnode *n = &g->n[i];
		free(n->name);
		nn_tensor_release(&n->out);
		nn_conv_release(&n->conv);
		nn_dwconv_release(&n->dw);
		nn_tensor_release(&n->cval);
	}
	free(g->n);
	free(g->outputs);
	free(g->chains);
	free(g);
}

void nn_graph_input_size(const struct nn_graph *g, int *h, int *w)
{
	*h = g->in_h;
	*w = g->in_w;
}
