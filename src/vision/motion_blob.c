/*
 * motion_blob.c — connected components of the foreground mask, as boxes.
 *
 * Run-based labelling: each row's foreground runs are found by skipping
 * empty 8-byte words (the mask is mostly empty), a run joins every run of
 * the row above that touches it (8-connectivity) with union-find, and a
 * second pass over the runs sums area, bounding box and zone bits per root.
 * Work is proportional to the number of runs, not of pixels.
 *
 * Fragments of one object (a person whose shirt matches the wall) are then
 * merged when their boxes come within merge_px of each other, and boxes
 * smaller than min_area are dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "motion_int.h"

static int32_t
find(struct motion_run *r, int32_t i)
{
	while (r[i].parent != i) {
		r[i].parent = r[r[i].parent].parent;	/* path halving */
		i = r[i].parent;
	}
	return i;
}

static void
unite(struct motion_run *r, int32_t a, int32_t b)
{
	a = find(r, a);
	b = find(r, b);
	/* The smaller index becomes the root: roots stay in scan order. */
	if (a < b)
		r[b].parent = a;
	else if (b < a)
		r[a].parent = b;
}

/* Append the runs of one mask row to r[n...]; returns the new count. */
static int32_t
row_runs(const uint8_t *row, int w, int y, struct motion_run *r, int32_t n)
{
	int x = 0;

	while (x < w) {
		/* Skip empty words quickly. */
		while (x + 8 <= w) {
			uint64_t v;
			memcpy(&v, row + x, 8);
			if (v != 0)
				break;
			x += 8;
		}
		while (x < w && row[x] == 0)
			x++;
		if (x >= w)
			break;
		int x0 = x;
		while (x < w && row[x] != 0)
			x++;
		r[n].y = (uint16_t)y;
		r[n].x0 = (uint16_t)x0;
		r[n].x1 = (uint16_t)x;
		r[n].parent = n;
		n++;
	}
	return n;
}

static int
gap(const struct motion_blob *a, const struct motion_blob *b)
{
	int dx = a->x0 > b->x1 ? a->x0 - b->x1 : (b->x0 > a->x1 ? b->x0 - a->x1 : 0);
	int dy = a->y0 > b->y1 ? a->y0 - b->y1 : (b->y0 > a->y1 ? b->y0 - a->y1 : 0);
	return dx > dy ? dx : dy;
}

static void
absorb_blob(struct motion_blob *a, const struct motion_blob *b)
{
	a->x0 = a->x0 < b->x0 ? a->x0 : b->x0;
	a->y0 = a->y0 < b->y0 ? a->y0 : b->y0;
	a->x1 = a->x1 > b->x1 ? a->x1 : b->x1;
	a->y1 = a->y1 > b->y1 ? a->y1 : b->y1;
	a->area += b->area;
	a->zones |= b->zones;
}

/*
 * Contrast across a component's outer border, in the frame and in the
 * background: from the second pixel outside the mask to a pixel inside the
 * object (the mask is grown by `shrink` dilations, so step over those). A
 * real object has its edge in the frame; a ghost (background learnt while
 * an object stood there, which has since left) has it in the background
 * only. Only the outer border counts — the leftmost and rightmost run of
 * the component in a row, its top and bottom rows — because the holes of
 * a flat object over a busy background are object on both sides in the
 * frame and would look like a ghost's border.
 */
static void
border(struct motion_blobctx *c, const struct motion_run *ri,
    struct motion_run *rt, int left, int right, int top, int bottom)
{
	const int w = c->w, h = c->h, s = c->shrink, y = ri->y;
	const uint8_t *cur = c->cur;
	const uint16_t *bg = c->bg;
	int ecur = 0, ebg = 0, ne = 0;

#define EDGE(yo, xo, yi, xi) do {					\
	ecur += abs(cur[(size_t)(yo) * c->cs + (xo)] -			\
	    cur[(size_t)(yi) * c->cs + (xi)]);				\
	ebg += abs((bg[(size_t)(yo) * w + (xo)] >> MOTION_BG_SHIFT) -	\
	    (bg[(size_t)(yi) * w + (xi)] >> MOTION_BG_SHIFT));		\
	ne++;								\
} while (0)

	/* Two pixels out: a mask edge often falls one pixel inside the
	 * object (where the object happens to match the background). */
	if (left && ri->x0 > 1) {
		int in = ri->x0 + 1 + s < ri->x1 ? ri->x0 + 1 + s : ri->x1 - 1;
		EDGE(y, ri->x0 - 2, y, in);
	}
	if (right && ri->x1 < w - 1) {
		int in = ri->x1 - 2 - s > ri->x0 ? ri->x1 - 2 - s : ri->x0;
		EDGE(y, ri->x1 + 1, y, in);
	}
	const uint8_t *up = top && y > 1 ? c->fg + (size_t)(y - 1) * w : NULL;
	const uint8_t *dn = bottom && y < h - 2 ? c->fg + (size_t)(y + 1) * w :
	    NULL;
	int yin_up = y + 1 + s < h ? y + 1 + s : h - 1;
	int yin_dn = y - 1 - s > 0 ? y - 1 - s : 0;
	for (int x = ri->x0; x < ri->x1 && (up || dn); x++) {
		if (up && up[x] == 0)
			EDGE(y - 2, x, yin_up, x);
		if (dn && dn[x] == 0)
			EDGE(y + 2, x, yin_dn, x);
	}
#undef EDGE
	rt->ecur += ecur;
	rt->ebg += ebg;
	rt->ne += ne;
}

/* A component whose border contrast is in the background, not in the
 * frame, is a ghost. The 8-level minimum keeps flat scenes (where both
 * are noise) out. */
static int
is_ghost(const struct motion_run *rt)
{
	return rt->ne >= 8 && rt->ebg >= 8 * rt->ne && 2 * rt->ecur < rt->ebg;
}

int
motion_blobs(struct motion_blobctx *c, struct motion_blob *out, int maxout)
{
	struct motion_run *runs = c->runs;
	struct motion_blob *frag = c->frag;
	const int w = c->w, h = c->h;
	int32_t n = 0, prev0 = 0, prev1 = 0;
	int nfrag = 0, total = 0;

	/* 1. Runs per row, joined to touching runs of the row above. */
	for (int y = 0; y < h; y++) {
		int32_t cur0 = n;
		n = row_runs(c->fg + (size_t)y * w, w, y, runs, n);
		int32_t j = prev0;
		for (int32_t i = cur0; i < n; i++) {
			/* Runs above that end left of this run (diagonal
			 * contact allowed) cannot touch later runs either. */
			while (j < prev1 && runs[j].x1 < runs[i].x0)
				j++;
			for (int32_t k = j; k < prev1 && runs[k].x0 <= runs[i].x1;
			    k++)
				unite(runs, i, k);
		}
		prev0 = cur0;
		prev1 = n;
	}

	/* 2. Sum each component into its root run. A root is the first run
	 * of its component in scan order (unite keeps the smaller index), so
	 * it is initialised before any of its other runs is added. */
	for (int32_t i = 0; i < n; i++) {
		struct motion_run *ri = &runs[i];
		struct motion_run *rt = &runs[find(runs, i)];
		int len = ri->x1 - ri->x0;
		uint16_t zones = 0;

		if (c->zonemap) {
			const uint16_t *z = c->zonemap + (size_t)ri->y * w;
			for (int x = ri->x0; x < ri->x1; x++)
				zones |= z[x];
		}
		if (rt == ri) {
			ri->area = 0;
			ri->zones = 0;
			ri->bx0 = ri->x0;
			ri->bx1 = (uint16_t)(ri->x1 - 1);
			ri->by0 = ri->by1 = ri->y;
			ri->ecur = ri->ebg = ri->ne = 0;
		}
		rt->area += len;
		rt->zones |= zones;
		if (ri->x0 < rt->bx0)
			rt->bx0 = ri->x0;
		if (ri->x1 - 1 > rt->bx1)
			rt->bx1 = (uint16_t)(ri->x1 - 1);
		rt->by1 = ri->y;	/* rows come in order */
	}

	/* Every run points at its root from here on. */
	for (int32_t i = 0; i < n; i++)
		runs[i].parent = find(runs, i);

	/* 3. Outer border contrast, for the ghost test. Runs of a row are in
	 * x order: a run is its component's leftmost (rightmost) in the row
	 * unless its neighbour in the row belongs to the same component
	 * (a neighbour further away very rarely does; missing it only adds
	 * a sample). */
	if (c->ghosts) {
		for (int32_t i = 0; i < n; i++) {
			struct motion_run *ri = &runs[i];
			struct motion_run *rt = &runs[ri->parent];
			int left = !(i > 0 && runs[i - 1].y == ri->y &&
			    runs[i - 1].parent == ri->parent);
			int right = !(i + 1 < n && runs[i + 1].y == ri->y &&
			    runs[i + 1].parent == ri->parent);
			border(c, ri, rt, left, right, ri->y == rt->by0,
			    ri->y == rt->by1);
		}
	}

	/* 4. Ghosts join the background now rather than after absorb_ms. */
	c->nghosts = 0;
	if (c->ghosts) {
		for (int32_t i = 0; i < n; i++) {
			struct motion_run *ri = &runs[i];
			int32_t root = ri->parent;
			if (!is_ghost(&runs[root]))
				continue;
			c->nghosts += root == i;
			const uint8_t *x = c->cur + (size_t)ri->y * c->cs;
			uint16_t *bg = c->bg + (size_t)ri->y * w;
			uint8_t *bgi = c->bgi + (size_t)ri->y * w;
			uint16_t *since = c->since + (size_t)ri->y * w;
			for (int k = ri->x0; k < ri->x1; k++) {
				bg[k] = (uint16_t)(x[k] << MOTION_BG_SHIFT);
				bgi[k] = x[k];
				since[k] = c->now;
			}
		}
	}

	/* 5. Components big enough to matter become fragments; when there are
	 * more than MOTION_FRAGS_MAX, the smallest give way. */
	for (int32_t i = 0; i < n; i++) {
		const struct motion_run *r = &runs[i];
		if (r->parent != i || (c->ghosts && is_ghost(r)))
			continue;
		total += r->area;
		if (r->area < c->min_frag)
			continue;
		struct motion_blob b = {
			.x0 = r->bx0, .y0 = r->by0, .x1 = r->bx1, .y1 = r->by1,
			.area = r->area, .zones = r->zones,
		};
		if (nfrag < MOTION_FRAGS_MAX) {
			frag[nfrag++] = b;
			continue;
		}
		int small = 0;
		for (int k = 1; k < nfrag; k++)
			if (frag[k].area < frag[small].area)
				small = k;
		if (frag[small].area < b.area)
			frag[small] = b;
	}
	c->changed = total;

	/* 6. Merge fragments whose boxes come within merge_px, until stable. */
	for (int again = 1; again;) {
		again = 0;
		for (int i = 0; i < nfrag; i++)
			for (int k = i + 1; k < nfrag; k++) {
				if (gap(&frag[i], &frag[k]) > c->merge_px)
					continue;
				absorb_blob(&frag[i], &frag[k]);
				frag[k--] = frag[--nfrag];
				again = 1;
			}
	}

	/* 7. Big enough boxes, largest first (insertion sort: few boxes). */
	int nout = 0;
	for (int i = 0; i < nfrag; i++) {
		if (frag[i].area < c->min_area)
			continue;
		int k;
		if (nout < maxout)
			k = nout++;
		else if (out[maxout - 1].area >= frag[i].area)
			continue;
		else
			k = maxout - 1;
		while (k > 0 && out[k - 1].area < frag[i].area) {
			out[k] = out[k - 1];
			k--;
		}
		out[k] = frag[i];
	}
	return nout;
}
