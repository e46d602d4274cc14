/*
 * trust — which camera key this device believes, and why.
 *
 * A segment is only as trustworthy as the camera key it is checked under.
 * That key comes from the server (camera_pk), so it is accepted only when:
 *   - camera_id = hash(camera_pk) (seg_camera_id), and
 *   - the camera's current keyring names that camera id and verifies under
 *     the owner's signing key: for the owner, this device's own key; for a
 *     member, the owner key pinned on this device the first time the camera
 *     was seen (its fingerprint printed then, to compare with the owner's
 *     'sealcam whoami'), and
 *   - the keyring epoch is not lower than one this device saw before (no
 *     rollback to a keyring from before someone was removed), and
 *   - the camera key is the one this device remembered for the camera.
 * What was accepted is remembered in the client home (trust/<camera id>.json)
 * so a changed owner or camera key is refused, and so sealed files can be
 * checked offline later (sealcam clips open).
 */
#ifndef SEALCAM_CLI_TRUST_H
#define SEALCAM_CLI_TRUST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "keyring.h"
#include "seg.h"

struct cli;

#define TRUST_ID_HEX (2 * SEG_CAMERA_ID_BYTES + 1)

/* A camera as this device trusts it. */
struct trust_cam {
	char cam_id[TRUST_ID_HEX];		/* hex, as in the API */
	uint8_t camera_id[SEG_CAMERA_ID_BYTES];
	uint8_t camera_pk[SEG_PK_BYTES];	/* verify footage under this */
	uint8_t owner_pk[32];			/* keyrings are signed by this */
	struct keyring kr;			/* the current keyring, verified */
};

/*
 * Establish the camera key to verify footage of cam (an entry of GET
 * /v1/cameras) with, as described above. my_sign_pk is this device's owner
 * key (needed for cameras this account owns; may be NULL otherwise).
 * First-time pins are announced on note. Returns 0 with *tc filled, or -1
 * with the error printed.
 */
int trust_camera(struct cli *cli, const uint8_t *my_sign_pk, const json_t *cam,
    FILE *note, struct trust_cam *tc);

/*
 * The keyring epochs of the camera (GET .../keyring?all=1, every one
 * verified under tc->owner_pk for tc's camera) that name box_pk as a
 * recipient: a sorted malloc'd array in *epochs (caller frees), count in
 * *n. Footage sealed under other epochs was never meant for that key.
 * 0, or -1 with the error printed.
 */
int trust_epochs_for(struct cli *cli, const struct trust_cam *tc,
    const uint8_t box_pk[32], uint32_t **epochs, size_t *n);

/*
 * GET /v1/cameras/{cam}/keyring into buf (at most KEYRING_MAX_BYTES).
 * Returns 0 with *len set, or -1 with the error printed.
 */
int trust_fetch_keyring(struct cli *cli, const char *cam_id, uint8_t *buf,
    size_t *len);

/*
 * Remember a camera this device has verified itself (after pairing, or
 * after publishing a keyring): camera key, owner key, epoch, name, role.
 * 0, or -1 with the error printed.
 */
int trust_remember(struct cli *cli, const char *cam_id, const char *name,
    const uint8_t camera_pk[SEG_PK_BYTES], const uint8_t owner_pk[32],
    uint32_t epoch, const char *role);

/*
 * The camera key remembered on this device for `what` (a camera name or an
 * id prefix of at least 8 hex digits) — to check sealed files without the
 * server. Fills camera_pk and cam_id and returns 0, or -1 with the error
 * printed.
 */
int trust_local_camera(struct cli *cli, const char *what,
    uint8_t camera_pk[SEG_PK_BYTES], char cam_id[TRUST_ID_HEX]);

#endif
