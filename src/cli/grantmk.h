/*
 * grantmk — the owner's client makes a grant's objects (sealcam grant create):
 *
 *   original    each segment of the range is downloaded and verified like
 *               'clips get' (camera signature, keyring-vouched camera key);
 *               its data key is re-wrapped to the grantee (seg_rewrap): the
 *               grant carries those keys, the footage stays where it is.
 *   anonymized  the segments are verified and decrypted here, joined into
 *               one MP4 in a private temporary directory, run through the
 *               anonymizer (anon_run, fail closed), and the result is sealed
 *               to the grantee and this owner (kind derivative, signed with
 *               the owner key). The original never leaves this device.
 */
#ifndef SEALCAM_CLI_GRANTMK_H
#define SEALCAM_CLI_GRANTMK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "grant.h"

struct cli;
struct acct;
struct trust_cam;

/* What the objects of one grant are made from. */
struct grantmk_in {
	const struct acct *me;			/* this device's keys */
	const struct trust_cam *tc;		/* the verified camera */
	const json_t *objs;			/* the segments of the range (listing) */
	const uint8_t *grantee_box_pk;
	int mode;				/* enum grant_mode */
};

/*
 * Fill g->obj / g->n (malloc'd: free g->obj) and for anonymized grants
 * *deriv / *derivlen (the sealed derivative, malloc'd). g->from_ms and
 * g->until_ms must be set (the range the segments cover). 0, or -1 with
 * the error printed and nothing left behind.
 */
int grantmk_objects(struct cli *cli, const struct grantmk_in *in, struct grant *g,
    uint8_t **deriv, size_t *derivlen);

#endif
