/*
 * nn_graph_run.c — evaluating a loaded graph: the prepared nodes in
 * order, each intermediate tensor released as soon as its last consumer
 * has run. $SEALCAM_NN_PROFILE (set when the graph is loaded) times each
 * node and prints a table when the graph is freed.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "nn_graph_int.h"

static const char *const OPNAME[] = {
	"input", "const", "conv", "dwconv", "binary", "act", "mean", "concat",
	"resize", "maxpool", "pad", "identity", "hswish", "sep", "dead",
};

void nn_graph_profile_print(const struct nn_graph *g)
{
	double tot = 0, macs = 0, by[G_DEAD + 1] = { 0 };

	for (int i = 0; i < g->count; i++) {
		tot += g->n[i].prof_ns;
		macs += g->n[i].prof_macs;
		by[g->n[i].op] += g->n[i].prof_ns;
	}
	fprintf(stderr, "nn profile: %d runs, %.2f ms/run, %.1f MMAC/run\n", g->runs,
	        tot / 1e6 / g->runs, macs / 1e6 / g->runs);
	for (int i = 0; i < g->count; i++) {
		const struct gnode *n = &g->n[i];
		if (n->prof_ns < tot * 0.005)
			continue;
		fprintf(stderr, "  %5.1f%% %7.3f ms %7.2f MMAC %5.1f GMAC/s %-8s %s\n",
		        100 * n->prof_ns / tot, n->prof_ns / 1e6 / g->runs,
		        n->prof_macs / 1e6 / g->runs, n->prof_ns ? n->prof_macs / n->prof_ns : 0,
		        OPNAME[n->op], n->name);
	}
	for (int o = 0; o <= G_DEAD; o++)
		if (by[o] > 0)
			fprintf(stderr, "  by op: %-8s %5.1f%%\n", OPNAME[o], 100 * by[o] / tot);
}

static double mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int pad_tensor(const struct nn_tensor *in, const int *p, struct nn_tensor *out)
{
	int oh = in->h + p[2] + p[3], ow = in->w + p[4] + p[5], oc = in->c + p[6] + p[7];

	if (nn_tensor_init(out, oh, ow, oc) != 0)
		return -1;
	memset(out->d, 0, nn_tensor_size(out) * sizeof(float));
	for (int y = 0; y < in->h; y++)
		for (int x = 0; x < in->w; x++)
			memcpy(out->d + ((size_t)(y + p[2]) * ow + x + p[4]) * oc + p[6],
			       in->d + ((size_t)y * in->w + x) * in->c, in->c * sizeof(float));
	return 0;
}

const struct nn_tensor *nn_graph_value(const struct nn_graph *G, int i)
{
	return G->n[i].op == G_CONST ? &G->n[i].cval : &G->n[i].out;
}

static void consumed(struct nn_graph *G, int i)
{
	struct gnode *n = &G->n[i];

	if (n->op != G_CONST && --n->left == 0)
		nn_tensor_release(&n->out);
}

/* A convolution node, with its residual operand when an add was fused in
 * (in[1]). A residual of another shape (a broadcast add) is added after
 * the convolution, as the unfused graph would. */
void nn_graph_conv_view(const struct gnode *n, struct nn_conv *cv)
{
	*cv = n->conv;
	if (n->lim1 > 0) {
		/* Panels are 16 output channels each, [K][16]. */
		cv->panels += (size_t)(n->lim0 / 16) * cv->kh * cv->kw * cv->cin * 16;
		cv->bias += n->lim0;
		cv->cout = n->lim1 - n->lim0;
	}
}

int nn_graph_limit_output(struct nn_graph *G, int o, int c0, int c1, int *first)
{
	struct gnode *n;

	if (o < 0 || o >= G->noutputs)
		return -1;
	n = &G->n[G->outputs[o]];
	if ((n->op != G_CONV && n->op != G_SEP) || n->nin != 1 || c0 < 0 || c1 < c0 ||
	    c1 > n->conv.cout)
		return -1;
	if (c1 == 0) {
		n->lim0 = n->lim1 = 0;
	} else {
		n->lim0 = c0 / 16 * 16;
		n->lim1 = (c1 + 15) / 16 * 16;
		if (n->lim1 > n->conv.cout)
			n->lim1 = n->conv.cout;
	}
	if (first)
		*first = n->lim0;
	return 0;
}

int nn_graph_run_conv(struct nn_graph *G, struct gnode *n)
{
	const struct nn_tensor *a = nn_graph_value(G, n->in[0]);
	const struct nn_tensor *res = n->nin == 2 ? nn_graph_value(G, n->in[1]) : NULL;
	struct nn_conv cv;
	int oh, ow, pt, pl, r;

	nn_graph_conv_view(n, &cv);

	if (res) {
		oh = nn_out_size(a->h, n->op == G_SEP ? n->dw.kh : cv.kh,
		                 n->op == G_SEP ? n->dw.sh : cv.sh, n->op == G_SEP ? n->dw.pad : cv.pad, &pt);
		ow = nn_out_size(a->w, n->op == G_SEP ? n->dw.kw : cv.kw,
		                 n->op == G_SEP ? n->dw.sw : cv.sw, n->op == G_SEP ? n->dw.pad : cv.pad, &pl);
		if (res->h != oh || res->w != ow || res->c != cv.cout) {
			cv.act = NN_ACT_NONE;
			r = n->op == G_SEP ? nn_sep_run(&n->dw, &cv, a, NULL, &n->out) :
			    nn_conv_run(&cv, a, &n->out);
			if (r == 0 && nn_tensor_size(res) > nn_tensor_size(&n->out)) {
				struct nn_tensor sum;
				r = nn_binary(NN_ADD, &n->out, res, &sum);
				nn_tensor_release(&n->out);
				n->out = sum;
			} else if (r == 0) {
				r = nn_binary_inplace(NN_ADD, &n->out, res);
			}
			if (r == 0)
				nn_act_apply(n->out.d, nn_tensor_size(&n->out), n->conv.act, n->conv.alpha);
			return r;
		}
	}
	return n->op == G_SEP ? nn_sep_run(&n->dw, &cv, a, res, &n->out) :
	       nn_conv_run_res(&cv, a, res, &n->out);
}

/* Multiply-adds of a convolution node, estimated from the chain's output
 * size (exact for the last member; members of one chain share a size
 * or differ by the strides, which the profile only reports). */
static double member_macs(const struct gnode *n, const struct nn_tensor *out)
{
	double px = (double)out->h * out->w;
	double m = px * n->conv.cout * n->conv.kh * n->conv.kw * n->conv.cin;

	if (n->op == G_SEP)
		m += px * n->dw.c * n->dw.kh * n->dw.kw;
	return m;
}

int nn_graph_run(struct nn_graph *G, const struct nn_tensor *in, struct nn_tensor *outs)
{
	int ret = -1;

	G->cur_h = in->h;
	G->cur_w = in->w;
	for (int i = 0; i < G->count; i++)
		G->n[i].left = G->n[i].uses;
	G->runs++;
	for (int i = 0; i < G->count; i++) {
		struct gnode *n = &G->n[i];
		const struct nn_tensor *a = n->nin > 0 ? nn_graph_value(G, n->in[0]) : NULL;
		int r = -1;
		double t0 = G->profile ? mono_ns() : 0;

		switch (n->op) {
		case G_CONST:
		case G_DEAD:
			continue;
		case G_HSWISH: {
			struct gnode *src = &G->n[n->in[0]];
			if (src->op != G_INPUT && src->left == 1) {
				n->out = src->out;
				memset(&src->out, 0, sizeof(src->out));
				r = 0;
			} else {
				r = nn_tensor_init(&n->out, a->h, a->w, a->c);
				if (r == 0)
					memcpy(n->out.d, a->d, nn_tensor_size(a) * sizeof(float));
			}
			if (r == 0) {
				float *d = n->out.d, hk = n->hk;
				size_t cnt = nn_tensor_size(&n->out);
				for (size_t j = 0; j < cnt; j++) {
					float v = d[j] + 3.f;
					v = v < 0.f ? 0.f : v > 6.f ? 6.f : v;
					d[j] = d[j] * hk * v;
				}
			}
			break;
		}
		case G_INPUT:
			r = nn_tensor_init(&n->out, in->h, in->w, in->c);
			if (r == 0)
				memcpy(n->out.d, in->d, nn_tensor_size(in) * sizeof(float));
			break;
		case G_CONV:
		case G_SEP:
			if (n->chain < 0)
				r = nn_graph_run_conv(G, n);
			else if (i != G->chains[n->chain].m[G->chains[n->chain].n - 1])
				continue;       /* computed with its chain's last member */
			else
				r = nn_chain_run(G, &G->chains[n->chain]);
			break;
		case G_DWCONV:
			r = nn_dwconv_run(&n->dw, a, &n->out);
			break;
		case G_BINARY: {
			/* When an operand of the output's shape dies here, reuse
			 * its buffer (the second only if the op commutes). */
			struct gnode *s0 = &G->n[n->in[0]], *s1 = &G->n[n->in[1]];
			const struct nn_tensor *b = nn_graph_value(G, n->in[1]);
			r = -1;
			if (n->in[0] != n->in[1] && s0->op != G_CONST && s0->op != G_INPUT &&
			    s0->left == 1 && nn_tensor_size(a) >= nn_tensor_size(b)) {
				n->out = s0->out;
				memset(&s0->out, 0, sizeof(s0->out));
				r = nn_binary_inplace(n->binop, &n->out, b);
			} else if (n->in[0] != n->in[1] && n->binop != NN_SUB && s1->op != G_CONST &&
			           s1->op != G_INPUT && s1->left == 1 &&
			           nn_tensor_size(b) >= nn_tensor_size(a)) {
				n->out = s1->out;
				memset(&s1->out, 0, sizeof(s1->out));
				r = nn_binary_inplace(n->binop, &n->out, a);
			} else {
				r = nn_binary(n->binop, a, b, &n->out);
			}
			if (r == 0 && n->post != NN_ACT_NONE)
				nn_act_apply(n->out.d, nn_tensor_size(&n->out), n->post, 0);
			break;
		}
		case G_ACT:
		case G_IDENTITY: {
			struct gnode *src = &G->n[n->in[0]];
			if (src->op != G_CONST && src->left == 1) {
				/* Last consumer: take the buffer instead of copying. */
				n->out = src->out;
				memset(&src->out, 0, sizeof(src->out));
				r = 0;
			} else {
				r = nn_tensor_init(&n->out, a->h, a->w, a->c);
				if (r == 0)
					memcpy(n->out.d, a->d, nn_tensor_size(a) * sizeof(float));
			}
			if (r == 0 && n->op == G_ACT)
				nn_act_apply(n->out.d, nn_tensor_size(&n->out), n->act, 0);
			break;
		}
		case G_MEAN:
			r = nn_mean_hw(a, &n->out);
			break;
		case G_CONCAT: {
			const struct nn_tensor *v[NN_GRAPH_MAX_INPUTS];
			for (int j = 0; j < n->nin; j++)
				v[j] = nn_graph_value(G, n->in[j]);
			r = nn_concat(v, n->nin, &n->out);
			break;
		}
		case G_RESIZE: {
			/* Targets were fixed for the declared input; scale them. */
			int oh = (int)((long)n->rh * G->cur_h / G->in_h);
			int ow = (int)((long)n->rw * G->cur_w / G->in_w);
			r = nn_resize_bilinear(a, &n->out, oh, ow, n->align, n->halfpx);
			break;
		}
		case G_MAXPOOL:
			r = nn_maxpool(a, &n->out, n->k, n->s, n->pad);
			break;
		case G_PAD:
			r = pad_tensor(a, n->pads, &n->out);
			break;
		}
		if (r != 0) {
			log_err("nn", "node=%s err=\"evaluation failed\"", n->name);
			goto out;
		}
		if (G->profile) {
			n->prof_ns += mono_ns() - t0;
			if (n->op == G_CONV || n->op == G_SEP)
				n->prof_macs += member_macs(n, &n->out);
			else if (n->op == G_DWCONV)
				n->prof_macs += (double)nn_tensor_size(&n->out) * n->dw.kh * n->dw.kw;
		}
		if (n->chain >= 0) {
			/* The members before the last ran here too: their inputs
			 * are consumed now. */
			const struct gchain *c = &G->chains[n->chain];
			for (int k = 0; k + 1 < c->n; k++) {
				struct gnode *m = &G->n[c->m[k]];
				for (int j = 0; j < m->nin; j++)
					consumed(G, m->in[j]);
				if (G->profile)
					n->prof_macs += member_macs(m, &n->out);
			}
		}
		for (int j = 0; j < n->nin; j++)
			consumed(G, n->in[j]);
	}
	for (int o = 0; o < G->noutputs; o++) {
		struct gnode *n = &G->n[G->outputs[o]];
		outs[o] = n->out;       /* ownership moves to the caller */
		memset(&n->out, 0, sizeof(n->out));
	}
	ret = 0;
out:
	for (int i = 0; i < G->count; i++)
		nn_tensor_release(&G->n[i].out);
	return ret;
}
