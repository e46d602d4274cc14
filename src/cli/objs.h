/*
 * objs — a camera's sealed objects on the server: listing a time range
 * (all pages), and downloading one object while verifying and decrypting
 * it with the core opener (src/lib/seg.h).
 *
 * The download streams the ciphertext straight into the opener; plaintext
 * is collected in memory and handed out only when the opener reports the
 * whole container genuine (final tag and camera signature). On any failure
 * the collected plaintext is wiped and nothing is returned.
 */
#ifndef SEALCAM_CLI_OBJS_H
#define SEALCAM_CLI_OBJS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "seg.h"

struct cli;

/* Most objects one listing may return (a day of 2 s segments is 43200). */
#define OBJS_LIST_MAX 200000

/*
 * All objects of kind ("segment", ...) of camera cam_id (hex) overlapping
 * [from_ms, to_ms), ordered by sequence number: a new JSON array of the
 * server's objects, or NULL with the error printed.
 */
json_t *objs_list(struct cli *cli, const char *cam_id, const char *kind,
    int64_t from_ms, int64_t to_ms);

/* Who reads, and what the object must be. */
struct objs_reader {
	const uint8_t *camera_pk;	/* the camera key the keyring vouches for */
	const uint8_t *box_pk;		/* this device's X25519 key pair */
	const uint8_t *box_sk;
	const uint8_t *data_key;	/* if set: open with this data key instead
					 * (a grantee's re-wrapped key) */
};

/*
 * Download object (kind, seq) of camera cam_id and open it. On success
 * returns 0 with *pt and *ptlen (malloc'd, the caller wipes and frees) and *h.
 * When sealed_fd >= 0 the ciphertext is also written there as it arrives
 * (the caller keeps it only on success). On failure returns -1 and writes
 * a one-line reason to why: "the server refused: ...", or the opener's
 * verdict ("bad camera signature", "not a recipient", "truncated", ...).
 */
int objs_fetch_open(struct cli *cli, const char *cam_id, uint8_t kind,
    const char *kind_name, uint64_t seq, const struct objs_reader *r,
    int sealed_fd, uint8_t **pt, size_t *ptlen, struct seg_header *h,
    char *why, size_t whylen);

/*
 * The same for any download path (e.g. a grantee's
 * /v1/grants/{grant}/objects/{kind}/{seq}?access=...), no sealed copy.
 */
int objs_fetch_open_path(struct cli *cli, const char *path, uint8_t kind,
    uint64_t seq, const struct objs_reader *r, uint8_t **pt, size_t *ptlen,
    struct seg_header *h, char *why, size_t whylen);

/*
 * Open a sealed object held in memory (a local file), expecting kind and,
 * if check_seq, seq. Same results and reasons as objs_fetch_open().
 */
int objs_open_buf(const uint8_t *buf, size_t len, uint8_t kind, int check_seq,
    uint64_t seq, const struct objs_reader *r, uint8_t **pt, size_t *ptlen,
    struct seg_header *h, char *why, size_t whylen);

/* A reason for a seg_err that a user understands. */
const char *objs_reason(int seg_err);

#endif
