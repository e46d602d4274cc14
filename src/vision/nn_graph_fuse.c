/*
 * nn_graph_fuse.c — rewrites of a loaded graph that make it cheaper to run
 * without changing what it computes: activations, hard swish, residual
 * adds and depthwise+pointwise pairs are folded into the nodes that
 * produce their inputs, so each is done while the value is in a register
 * or in cache instead of in a separate pass over memory.
 */
#include <stdlib.h>
#include <string.h>

#include "nn_graph_int.h"

static void bypass_identities(struct nn_graph *G);
static void find_chains(struct nn_graph *G);

/* Peephole: an activation whose input has no other consumer is done by
 * the producer (conv, depthwise, add/mul) as it writes its output; the
 * activation node then only hands the tensor on (see G_IDENTITY). Saves a
 * pass over the tensor and a copy. */
static void fuse_act(struct nn_graph *G)
{
	for (int i = 0; i < G->count; i++) {
		struct gnode *n = &G->n[i], *p;
		if (n->op != G_ACT || n->act == NN_ACT_SIGMOID)
			continue;
		p = &G->n[n->in[0]];
		if (p->uses != 1)
			continue;
		if (p->op == G_CONV && p->conv.act == NN_ACT_NONE)
			p->conv.act = n->act;
		else if (p->op == G_DWCONV && p->dw.act == NN_ACT_NONE)
			p->dw.act = n->act;
		else if (p->op == G_BINARY && p->post == NN_ACT_NONE)
			p->post = n->act;
		else
			continue;
		n->op = G_IDENTITY;
	}
}

/* MobileNetV3's four-node hard swish becomes one node. */
static void fuse_hswish_chain(struct nn_graph *G)
{
	/* Hard swish, as TF.js exports it: m = Mul(k, x); a = Add(x, 3) with
	 * Relu6 fused above and handed on by an identity r; y = Mul(m, r).
	 * Four passes over the tensor become one. */
	for (int i = 0; i < G->count; i++) {
		struct gnode *y = &G->n[i], *m, *r, *a;
		if (y->op != G_BINARY || y->binop != NN_MUL || y->post != NN_ACT_NONE)
			continue;
		for (int sw = 0; sw < 2; sw++) {
			m = &G->n[y->in[sw]];
			r = &G->n[y->in[!sw]];
			if (m->op != G_BINARY || m->binop != NN_MUL || m->post != NN_ACT_NONE ||
			    m->uses != 1 || r->op != G_IDENTITY || r->uses != 1)
				continue;
			a = &G->n[r->in[0]];
			if (a->op != G_BINARY || a->binop != NN_ADD || a->post != NN_ACT_RELU6 ||
			    a->uses != 1)
				continue;
			/* m = k * x (either order), a = x + 3 (either order) */
			int mk = G->n[m->in[0]].op == G_CONST ? 0 : 1, ak = G->n[a->in[0]].op == G_CONST ? 0 : 1;
			const struct gnode *kc = &G->n[m->in[mk]], *tc = &G->n[a->in[ak]];
			int x = m->in[!mk];
			if (kc->op != G_CONST || tc->op != G_CONST || nn_tensor_size(&kc->cval) != 1 ||
			    nn_tensor_size(&tc->cval) != 1 || tc->cval.d[0] != 3.f || a->in[!ak] != x)
				continue;
			y->op = G_HSWISH;
			y->hk = kc->cval.d[0];
			y->in[0] = x;
			y->nin = 1;
			m->op = a->op = r->op = G_DEAD;
			G->n[x].uses -= 1;      /* was read by m and a, now by y */
			break;
		}
	}
}

/* A hard swish node after a convolution becomes its activation. */
static void fuse_hswish(struct nn_graph *G)
{
	/* A hard swish right after a convolution is its activation (the
	 * kernels compute x * relu6(x + 3) / 6 in registers). */
	for (int i = 0; i < G->count; i++) {
		struct gnode *n = &G->n[i], *p;
		if (n->op != G_HSWISH || n->hk == 0.f)
			continue;
		p = &G->n[n->in[0]];
		if (p->uses != 1)
			continue;
		if (p->op == G_CONV && p->conv.act == NN_ACT_NONE) {
			p->conv.act = NN_ACT_HSWISH;
			p->conv.alpha = n->hk;
		} else if (p->op == G_DWCONV && p->dw.act == NN_ACT_NONE) {
			p->dw.act = NN_ACT_HSWISH;
			p->dw.alpha = n->hk;
		} else {
			continue;
		}
		n->op = G_IDENTITY;
	}
}

/* Depthwise + 1x1 convolution pairs become one node. */
static void fuse_sep(struct nn_graph *G)
{
	/* Depthwise followed by a 1x1 convolution (a separable block): one
	 * node, computed in strips that stay in cache. The fused node takes
	 * the 1x1 convolution's place; the depthwise one is dropped. */
	for (int i = 0; i < G->count; i++) {
		struct gnode *n = &G->n[i], *d;
		if (n->op != G_CONV || n->nin != 1 || n->conv.kh != 1 || n->conv.kw != 1 ||
		    n->conv.sh != 1 || n->conv.sw != 1)
			continue;
		d = &G->n[n->in[0]];
		if (d->op != G_DWCONV || d->uses != 1)
			continue;
		n->op = G_SEP;
		n->dw = d->dw;
		memset(&d->dw, 0, sizeof(d->dw));
		n->in[0] = d->in[0];
		d->op = G_DEAD;
	}
}

/* Residual adds move into the convolution producing one operand. */
static void fuse_res(struct nn_graph *G)
{
	/* x + conv(...) (then an activation): the residual is added in the
	 * matrix kernel's epilogue. The convolution moves to the add's place
	 * in the order, where both operands exist. */
	for (int i = 0; i < G->count; i++) {
		struct gnode *n = &G->n[i], *p = NULL;
		int k;
		if (n->op != G_BINARY || n->binop != NN_ADD || n->in[0] == n->in[1] ||
		    (n->post != NN_ACT_NONE && n->post != NN_ACT_RELU && n->post != NN_ACT_RELU6))
			continue;
		for (k = 0; k < 2; k++) {
			p = &G->n[n->in[k]];
			if ((p->op == G_CONV || p->op == G_SEP) && p->nin == 1 && p->uses == 1 &&
			    p->conv.act == NN_ACT_NONE && G->n[n->in[!k]].op != G_CONST)
				break;
		}
		if (k == 2)
			continue;
		int other = n->in[!k];
		n->op = p->op;
		n->conv = p->conv;
		n->conv.act = n->post;
		n->dw = p->dw;
		memset(&p->conv, 0, sizeof(p->conv));
		memset(&p->dw, 0, sizeof(p->dw));
		n->in[0] = p->in[0];
		n->in[1] = other;
		n->nin = 2;
		n->post = NN_ACT_NONE;
		p->op = G_DEAD;
	}
}

/*
 * $SEALCAM_NN_NOFUSE (read at load; for measuring what each rewrite buys):
 * comma-separated passes to skip: act, hswish, sep, res, chain, planar.
 */
static int skipped(const char *pass)
{
	const char *e = getenv("SEALCAM_NN_NOFUSE");
	size_t n = strlen(pass);

	for (const char *p = e; p && *p;) {
		const char *c = strchr(p, ',');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		if (len == n && !strncmp(p, pass, n))
			return 1;
		p = c ? c + 1 : NULL;
	}
	return 0;
}

void nn_graph_fuse(struct nn_graph *G)
{
	if (!skipped("act"))
		fuse_act(G);
	fuse_hswish_chain(G);   /* an op rewrite the rest relies on, not measured */
	if (!skipped("hswish"))
		fuse_hswish(G);
	if (!skipped("sep"))
		fuse_sep(G);
	if (!skipped("res"))
		fuse_res(G);
	bypass_identities(G);
	if (!skipped("chain"))
		find_chains(G);
	else
		for (int i = 0; i < G->count; i++)
			G->n[i].chain = -1;
}

/* Identity nodes (and activations folded away) only hand a tensor on:
 * point their consumers at the source and recount every node's uses. */
static void bypass_identities(struct nn_graph *G)
{
	for (int i = 0; i < G->count; i++) {
		struct gnode *n = &G->n[i];
		if (n->op == G_DEAD || n->op == G_IDENTITY)
			continue;
		for (int j = 0; j < n->nin; j++)
			while (G->n[n->in[j]].op == G_IDENTITY)
				n->in[j] = G->n[n->in[j]].in[0];
	}
	for (int o = 0; o < G->noutputs; o++)
		while (G->n[G->outputs[o]].op == G_IDENTITY)
			G->outputs[o] = G->n[G->outputs[o]].in[0];
	for (int i = 0; i < G->count; i++) {
		if (G->n[i].op == G_IDENTITY)
			G->n[i].op = G_DEAD;
		G->n[i].uses = 0;
	}
	for (int i = 0; i < G->count; i++)
		if (G->n[i].op != G_DEAD)
			for (int j = 0; j < G->n[i].nin; j++)
				G->n[G->n[i].in[j]].uses++;
	for (int o = 0; o < G->noutputs; o++)
		G->n[G->outputs[o]].uses++;
}

/* May node n follow a chain whose last member is t? A depthwise+1x1 or a
 * 1x1 stride-1 convolution reading t, not yet in a chain. */
static int can_follow(const struct gnode *n, int t)
{
	if (n->chain >= 0 || n->in[0] != t)
		return 0;
	if (n->op == G_SEP)
		return 1;
	return n->op == G_CONV && n->conv.kh == 1 && n->conv.kw == 1 && n->conv.sh == 1 &&
	       n->conv.sw == 1;
}

/* References to node x from the members of c. */
static int refs_within(const struct nn_graph *G, const struct gchain *c, int x)
{
	int r = 0;

	for (int k = 0; k < c->n; k++)
		for (int j = 0; j < G->n[c->m[k]].nin; j++)
			r += G->n[c->m[k]].in[j] == x;
	return r;
}

/* Greedy chains: from each convolution not yet in one, keep appending the
 * first later node that reads the last member as its main input; then
 * drop members from the end until every member but the last is read
 * only by members (its rows never exist outside the chain). */
static void find_chains(struct nn_graph *G)
{
	struct gchain c;

	for (int i = 0; i < G->count; i++)
		G->n[i].chain = -1;
	for (int i = 0; i < G->count; i++) {
		struct gnode *h = &G->n[i];
		if ((h->op != G_CONV && h->op != G_SEP) || h->chain >= 0)
			continue;
		c.n = 0;
		c.planar = !skipped("planar");
		c.m[c.n++] = i;
		for (int j = i + 1; j < G->count && c.n < NN_CHAIN_MAX; j++)
			if (can_follow(&G->n[j], c.m[c.n - 1]))
				c.m[c.n++] = j;
		for (;;) {
			int ok = 1;
			for (int k = 0; k + 1 < c.n && ok; k++)
				ok = refs_within(G, &c, c.m[k]) == G->n[c.m[k]].uses;
			if (ok || c.n < 2)
				break;
			c.n--;
		}
		if (c.n < 2)
			continue;
		struct gchain *nc = realloc(G->chains, (G->nchains + 1) * sizeof(*nc));
		if (nc == NULL)
			return;         /* no chain: nodes run one by one */
		G->chains = nc;
		G->chains[G->nchains] = c;
		for (int k = 0; k < c.n; k++)
			G->n[c.m[k]].chain = G->nchains;
		G->nchains++;
	}
}
