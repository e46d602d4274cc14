/*
 * motion_track.c — moving or still.
 *
 * A foreground box stays until its object is absorbed into the background
 * (absorb_ms), but an object that stopped (a parked car, people frozen in
 * a paused picture) is not motion. Pixel-level cues are unreliable here:
 * noise makes the edges of a stopped object flicker, and frame differences
 * fire everywhere in a noisy picture. The shape is reliable: each box is
 * matched to the previous frame's by overlap, and a box whose edges have
 * not moved by more than a tolerance (3 pixels or 1/8 of its size, at
 * working size: noise makes edges jitter by that much) for still_ms is
 * still. Only growing outwards counts: a box shrinks when its object
 * is absorbed into the background piece by piece, or when its mask splits.
 */
#include <stdlib.h>
#include <string.h>

#include "motion_int.h"

#define LOST_MS	1000	/* forget a track not seen for this long */

static int
overlap(const struct motion_blob *a, const struct motion_blob *b)
{
	int ix = (a->x1 < b->x1 ? a->x1 : b->x1) - (a->x0 > b->x0 ? a->x0 : b->x0) + 1;
	int iy = (a->y1 < b->y1 ? a->y1 : b->y1) - (a->y0 > b->y0 ? a->y0 : b->y0) + 1;
	return ix > 0 && iy > 0 ? ix * iy : 0;
}

static int
area(const struct motion_blob *a)
{
	return (a->x1 - a->x0 + 1) * (a->y1 - a->y0 + 1);
}

/* Has b moved or changed shape since ref (2: grown outwards, 1: only
 * shrunk, 0: no)? The tolerance follows the larger of the two, so that an
 * object that drifted a little before it started shrinking (absorbed) is
 * not taken for one that grows. */
static int
changed(const struct motion_blob *ref, const struct motion_blob *b)
{
	int w = b->x1 - b->x0 > ref->x1 - ref->x0 ? b->x1 - b->x0 :
	    ref->x1 - ref->x0;
	int h = b->y1 - b->y0 > ref->y1 - ref->y0 ? b->y1 - b->y0 :
	    ref->y1 - ref->y0;
	int tw = (w + 1) / 8 > 3 ? (w + 1) / 8 : 3;
	int th = (h + 1) / 8 > 3 ? (h + 1) / 8 : 3;

	if (b->x0 < ref->x0 - tw || b->x1 > ref->x1 + tw ||
	    b->y0 < ref->y0 - th || b->y1 > ref->y1 + th)
		return 2;
	return b->x0 > ref->x0 + tw || b->x1 < ref->x1 - tw ||
	    b->y0 > ref->y0 + th || b->y1 < ref->y1 - th;
}

static void
unite_box(struct motion_blob *u, const struct motion_blob *b)
{
	u->x0 = u->x0 < b->x0 ? u->x0 : b->x0;
	u->y0 = u->y0 < b->y0 ? u->y0 : b->y0;
	u->x1 = u->x1 > b->x1 ? u->x1 : b->x1;
	u->y1 = u->y1 > b->y1 ? u->y1 : b->y1;
}

/*
 * Each box inherits from every track it overlaps (a third of the smaller
 * of the two): the union of their reference boxes and the latest of their
 * change times. So a still object that splits into pieces or whose pieces
 * join again (the despeckled mask of a standing person flickers) stays
 * still, and a box touching a moving object moves.
 */
void
motion_track_update(struct motion_tracks *tr, const struct motion_blob *b,
    int nb, int64_t pts, int still_ms, int *moving)
{
	struct motion_track next[MOTION_TRACKS_MAX];
	int matched[MOTION_TRACKS_MAX] = { 0 }, nn = 0;

	for (int i = 0; i < nb; i++) {
		struct motion_blob ref = b[i];
		int64_t ch = pts;
		int any = 0;

		for (int k = 0; k < tr->n; k++) {
			const struct motion_track *t = &tr->t[k];
			int amin = area(&t->box) < area(&b[i]) ?
			    area(&t->box) : area(&b[i]);
			if (3 * overlap(&t->box, &b[i]) < amin)
				continue;
			if (!any || t->changed > ch)
				ch = t->changed;
			if (!any)
				ref = t->ref;
			else
				unite_box(&ref, &t->ref);
			any = 1;
			matched[k] = 1;
		}
		if (any) {
			/* Grown outwards: it moved. Shrunk only: the reference
			 * follows, but that is not motion (a still object being
			 * absorbed, or its mask splitting into pieces). */
			int c = changed(&ref, &b[i]);
			if (c == 2)
				ch = pts;
			if (c)
				ref = b[i];
		}
		moving[i] = still_ms == 0 || pts - ch < still_ms;
		if (nn < MOTION_TRACKS_MAX)
			next[nn++] = (struct motion_track){ .ref = ref,
			    .box = b[i], .changed = ch, .seen = pts };
	}
	/* Tracks not seen this frame live on for a while: a blob that
	 * drops below min_area for a frame keeps its history. */
	for (int k = 0; k < tr->n && nn < MOTION_TRACKS_MAX; k++)
		if (!matched[k] && pts - tr->t[k].seen <= LOST_MS)
			next[nn++] = tr->t[k];
	memcpy(tr->t, next, sizeof(next[0]) * (size_t)nn);
	tr->n = nn;
}
