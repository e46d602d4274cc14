/*
 * nn_chain.c — evaluating a chain of convolutions row by row.
 *
 * BlazeFace at 640x384 runs its first eight layers at 320x192x24: each
 * tensor is 5.9 MB, more than L2, so layer by layer every one of them is
 * written to and read back from L3 — the layers were bound by memory, not
 * arithmetic. A chain instead produces its last member's output one row
 * at a time, pulling just the rows each member needs from the one before
 * (its window, plus a residual row): the tensors between members exist
 * only as rings of a few rows, which stay in L1/L2.
 *
 * Pull order: row y of member k asks for the input rows its window
 * covers, which makes member k-1 produce rows up to there, recursively.
 * How many rows each ring must keep is found by a dry run of the same
 * order (no arithmetic) before the real one; the real run still checks
 * every row it reads is the one it asked for.
 *
 * Planar tail (AVX-512): the chain's trailing depthwise 3x3 + 1x1 blocks
 * of stride 1 keep their rows planar (nn_planar.c), so 24-channel rows
 * fill whole vectors. The member feeding them converts its NHWC row into
 * its planar ring; the last member converts its planar row into the NHWC
 * output. Residuals within the tail are read planar too.
 */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nn_graph_int.h"
#include "nn_int.h"

struct member {
	const struct gnode *n;
	struct nn_conv cv;      /* the node's convolution (or the limited view) */
	int src, rsrc;          /* input / residual: member index, -1 a full tensor, (rsrc) -2 none */
	const struct nn_tensor *in, *res;
	int ih, iw, ic, oh, ow, oc;
	int kh, sh, pt, pl;     /* vertical window of the first stage */
	struct nn_convsrc cs;   /* a k x k head convolution's (padded) input */
	float *ring;            /* R rows of ow * oc; the last member writes to out */
	int *tag;               /* row held by each ring slot */
	int R, done, span;
	float *tmp;             /* depthwise output row */
	size_t rowf;            /* floats per ring row */
	int pl_out;             /* its ring rows are planar */
	int pl_comp;            /* computed on planar rows (a separable block) */
	float *nrow;            /* pl_out, not pl_comp: its NHWC row before conversion */
	float *prow;            /* the last member, pl_comp: its planar row before conversion */
	float *bp;              /* pl_comp: nn_planar_pack'ed 1x1 weights */
};

struct crun {
	struct member m[NN_CHAIN_MAX];
	int n, dry, err;
	float *zrow;            /* zeros, as wide as the widest input row */
	struct nn_tensor *out;
};

static void produce(struct crun *c, int k, int y);

/* Member k has produced rows 0..y. */
static void ensure(struct crun *c, int k, int y)
{
	struct member *m = &c->m[k];

	while (m->done <= y && !c->err)
		produce(c, k, m->done++);
}

/* Row y of member k's output (k = -1: of the full tensor t). */
static const float *row_of(struct crun *c, int k, const struct nn_tensor *t, int y)
{
	struct member *m;

	if (k < 0)
		return t->d + (size_t)y * t->w * t->c;
	m = &c->m[k];
	ensure(c, k, y);
	if (m->done - 1 - y > m->span)
		m->span = m->done - 1 - y;
	if (c->dry || c->err)
		return c->zrow;
	if (m->tag[y % m->R] != y) {
		log_err("nn", "row=%d err=\"chain ring too short\"", y);
		c->err = 1;
		return c->zrow;
	}
	return m->ring + (size_t)(y % m->R) * m->rowf;
}

static void produce(struct crun *c, int k, int y)
{
	struct member *m = &c->m[k];
	const float *rows[16], *res = NULL, *a;
	float *dst = NULL, *pdst = NULL;

	/* Make every row this needs exist first: producing one input row may
	 * produce (and recycle ring slots of) earlier members, so pointers
	 * are taken only once nothing more will be produced. */
	if (m->src >= 0) {
		int last = y;
		if (m->n->op == G_SEP)
			last = y * m->sh + m->kh - 1 - m->pt < m->ih ? y * m->sh + m->kh - 1 - m->pt :
			       m->ih - 1;
		ensure(c, m->src, last);
	}
	if (m->rsrc >= 0)
		ensure(c, m->rsrc, y);
	if (m->n->op == G_SEP) {
		for (int ky = 0; ky < m->kh; ky++) {
			int iy = y * m->sh + ky - m->pt;
			rows[ky] = iy >= 0 && iy < m->ih ? row_of(c, m->src, m->in, iy) : c->zrow;
		}
	}
	a = m->n->op == G_CONV && m->src >= 0 ? row_of(c, m->src, m->in, y) : NULL;
	if (m->rsrc > -2)
		res = row_of(c, m->rsrc, m->res, y);
	if (c->dry || c->err)
		return;
	if (k == c->n - 1) {
		dst = c->out->d + (size_t)y * m->ow * m->oc;
	} else {
		dst = m->ring + (size_t)(y % m->R) * m->rowf;
		m->tag[y % m->R] = y;
	}
	if (m->pl_comp) {
		float *o = k == c->n - 1 ? m->prow : dst;
		nn_planar_dw3(&m->n->dw, rows, m->iw, m->tmp);
		nn_planar_pw(m->tmp, m->ow, m->ic, m->oc, m->bp, res, m->cv.act, m->cv.alpha, o);
		if (k == c->n - 1)
			nn_planar_to_nhwc(o, m->ow, m->oc, dst);
		return;
	}
	if (m->pl_out) {
		/* Computed in NHWC, stored planar for the members after it. */
		pdst = dst;
		dst = m->nrow;
	}
	if (m->n->op == G_SEP) {
		struct nn_amat A = { m->tmp, m->ic, m->ic, 1, 0 };
		struct nn_epilogue e = { m->cv.bias, res, m->oc, m->cv.act, m->cv.alpha };
		nn_dw_row(&m->n->dw, rows, m->iw, m->ow, m->pl, m->tmp);
		nn_gemm(m->ow, m->oc, &A, m->cv.panels, &e, dst, m->oc);
	} else if (a) {
		struct nn_amat A = { a, m->ic, m->ic, 1, 0 };
		struct nn_epilogue e = { m->cv.bias, res, m->oc, m->cv.act, m->cv.alpha };
		nn_gemm(m->ow, m->oc, &A, m->cv.panels, &e, dst, m->oc);
	} else {
		nn_conv_row(&m->cv, &m->cs, y, res, dst);
	}
	if (pdst)
		nn_planar_from_nhwc(dst, m->ow, m->oc, pdst);
}

/* Shapes of every member from its input; 0, or -1 if a residual does not
 * match (a broadcast add: the chain runs node by node instead). */
static int setup(struct crun *c, struct nn_graph *G, const struct gchain *ch, size_t *zw)
{
	*zw = 0;
	for (int k = 0; k < ch->n; k++) {
		struct member *m = &c->m[k];
		const struct gnode *n = &G->n[ch->m[k]];
		int pl;
		memset(m, 0, sizeof(*m));
		m->n = n;
		nn_graph_conv_view(n, &m->cv);
		m->src = k == 0 ? -1 : k - 1;
		m->in = k == 0 ? nn_graph_value(G, n->in[0]) : NULL;
		if (k == 0) {
			m->ih = m->in->h;
			m->iw = m->in->w;
			m->ic = m->in->c;
		} else {
			m->ih = c->m[k - 1].oh;
			m->iw = c->m[k - 1].ow;
			m->ic = c->m[k - 1].oc;
		}
		if (n->op == G_SEP) {
			if (m->ic != n->dw.c)
				return -1;
			m->kh = n->dw.kh;
			m->sh = n->dw.sh;
			m->oh = nn_out_size(m->ih, n->dw.kh, n->dw.sh, n->dw.pad, &m->pt);
			m->ow = nn_out_size(m->iw, n->dw.kw, n->dw.sw, n->dw.pad, &m->pl);
		} else {
			if (m->ic != n->conv.cin)
				return -1;
			m->oh = nn_out_size(m->ih, n->conv.kh, n->conv.sh, n->conv.pad, &m->pt);
			m->ow = nn_out_size(m->iw, n->conv.kw, n->conv.sw, n->conv.pad, &pl);
		}
		m->oc = m->cv.cout;
		/* Only the last member's channels may be limited (it is an output). */
		if (k + 1 < ch->n && m->oc != n->conv.cout)
			return -1;
		if (m->oh == 0 || m->ow == 0)
			return -1;
		if ((size_t)m->iw * m->ic > *zw)
			*zw = (size_t)m->iw * m->ic;
		m->rsrc = -2;
		if (n->nin == 2) {
			m->rsrc = -1;
			for (int j = 0; j < k; j++)
				if (ch->m[j] == n->in[1])
					m->rsrc = j;
			if (m->rsrc == -1) {
				m->res = nn_graph_value(G, n->in[1]);
				if (m->res->h != m->oh || m->res->w != m->ow || m->res->c != m->oc)
					return -1;
			} else if (c->m[m->rsrc].oh != m->oh || c->m[m->rsrc].ow != m->ow ||
			           c->m[m->rsrc].oc != m->oc) {
				return -1;
			}
		}
	}
	return 0;
}

/* A depthwise 3x3 + 1x1 block of stride 1 with SAME padding, whose
 * channels leave NHWC vectors part empty (24: BlazeFace's first chains;
 * with 48 or 96 channels NHWC measured as fast or faster). */
static int planar_fits(const struct member *m)
{
	const struct nn_dwconv *dw = &m->n->dw;

	return m->n->op == G_SEP && (m->ic % 16 != 0 || m->oc % 16 != 0) && dw->kh == 3 && dw->kw == 3 && dw->sh == 1 && dw->sw == 1 &&
	       dw->pad == NN_PAD_SAME && m->iw == m->ow && m->cv.kh == 1 && m->cv.kw == 1;
}

/* Mark the planar tail: members p..n-1 that fit, p >= 1 (member p-1
 * converts), every residual they read stored planar (member >= p-1). */
static void plan_planar(struct crun *c, const struct gchain *ch, size_t *zw)
{
	int p = c->n, again = 1;

	if (!ch->planar || !nn_planar_ok())
		return;
	while (p > 1 && planar_fits(&c->m[p - 1]))
		p--;
	while (again) {
		again = 0;
		for (int k = p; k < c->n && !again; k++) {
			int r = c->m[k].rsrc;
			if (r == -1 || (r >= 0 && r < p - 1)) {
				p = k + 1;
				again = 1;
			}
		}
	}
	if (c->n - p < 2)
		return;
	for (int k = p - 1; k < c->n; k++) {
		struct member *m = &c->m[k];
		m->pl_out = k + 1 < c->n;
		m->pl_comp = k >= p;
		if (m->pl_comp && (size_t)m->ic * nn_planar_stride(m->iw) > *zw)
			*zw = (size_t)m->ic * nn_planar_stride(m->iw);
	}
}

static void release(struct crun *c)
{
	for (int k = 0; k < c->n; k++) {
		nn_free(c->m[k].nrow);
		nn_free(c->m[k].prow);
		nn_free(c->m[k].bp);
		nn_free(c->m[k].ring);
		nn_free(c->m[k].tmp);
		free(c->m[k].tag);
		nn_convsrc_release(&c->m[k].cs);
	}
	nn_free(c->zrow);
}

int nn_chain_run(struct nn_graph *G, const struct gchain *ch)
{
	struct crun c;
	struct gnode *last = &G->n[ch->m[ch->n - 1]];
	size_t zw;
	int ret = -1;

	memset(&c, 0, sizeof(c));
	c.n = ch->n;
	if (setup(&c, G, ch, &zw) != 0) {
		/* Node by node, in order: every input exists by now. */
		for (int k = 0; k < ch->n; k++)
			if (nn_graph_run_conv(G, &G->n[ch->m[k]]) != 0)
				return -1;
		for (int k = 0; k + 1 < ch->n; k++)
			nn_tensor_release(&G->n[ch->m[k]].out);
		return 0;
	}
	plan_planar(&c, ch, &zw);
	/* Dry run: how far behind its newest row each member is read. */
	c.dry = 1;
	for (int y = 0; y < c.m[c.n - 1].oh; y++)
		produce(&c, c.n - 1, y);
	c.dry = 0;
	c.zrow = nn_alloc(zw * sizeof(float));
	if (c.zrow == NULL)
		goto out;
	memset(c.zrow, 0, zw * sizeof(float));
	for (int k = 0; k < c.n; k++) {
		struct member *m = &c.m[k];
		m->done = 0;
		m->R = m->span + 1;
		m->rowf = m->pl_out ? (size_t)m->oc * nn_planar_stride(m->ow) : (size_t)m->ow * m->oc;
		if (k + 1 < c.n) {
			m->ring = nn_alloc((size_t)m->R * m->rowf * sizeof(float));
			m->tag = malloc(m->R * sizeof(int));
			if (m->ring == NULL || m->tag == NULL)
				goto out;
			for (int r = 0; r < m->R; r++)
				m->tag[r] = -1;
			/* Planar rows keep zeros either side of each plane. */
			if (m->pl_out)
				memset(m->ring, 0, (size_t)m->R * m->rowf * sizeof(float));
		}
		if (m->pl_comp) {
			size_t pf = (size_t)m->oc * nn_planar_stride(m->ow);
			m->tmp = nn_alloc((size_t)m->ic * nn_planar_stride(m->iw) * sizeof(float));
			if (m->tmp == NULL || nn_planar_pack(&m->cv, &m->bp) != 0)
				goto out;
			if (k + 1 == c.n && (m->prow = nn_alloc(pf * sizeof(float))) == NULL)
				goto out;
		} else if (m->n->op == G_SEP &&
		           (m->tmp = nn_alloc((size_t)m->ow * m->ic * sizeof(float))) == NULL) {
			goto out;
		}
		if (m->pl_out && !m->pl_comp &&
		    (m->nrow = nn_alloc((size_t)m->ow * m->oc * sizeof(float))) == NULL)
			goto out;
		if (k == 0 && m->n->op == G_CONV && nn_convsrc_init(&m->cv, m->in, &m->cs) != 0)
			goto out;
	}
	if (nn_tensor_init(&last->out, c.m[c.n - 1].oh, c.m[c.n - 1].ow, c.m[c.n - 1].oc) != 0)
		goto out;
	c.out = &last->out;
	for (int y = 0; y < c.m[c.n - 1].oh && !c.err; y++)
		produce(&c, c.n - 1, y);
	ret = c.err ? -1 : 0;
out:
	release(&c);
	return ret;
}
