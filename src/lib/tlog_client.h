/*
 * tlog_client — what a client of sealcam's log checks, shared by the CLI
 * (`sealcam log verify`) and the agent (keyring acceptance):
 *
 *	// pinned: the log's verifier key; prev: the last checkpoint accepted
 *	r = tlog_client_advance(v, origin, &prev, note, len, &consistency, &cp);
 *	r = tlog_client_included(&cp, index, entry, 144, &proof);
 *	... then save cp as the new prev
 *
 * A checkpoint is accepted only if it is signed by the pinned key for its
 * origin, and extends the tree seen before: equal size with the same root,
 * or a larger size with a valid consistency proof. So a client that has
 * seen tree M never accepts a tree in which M's history was changed.
 */
#ifndef SEALCAM_TLOG_CLIENT_H
#define SEALCAM_TLOG_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tlog.h"
#include "tlog_note.h"

enum tlog_client_err {
	TLOG_CLIENT_OK = 0,
	TLOG_CLIENT_EMALFORMED = -1,	/* not a checkpoint, proof or entry */
	TLOG_CLIENT_ESIGNATURE = -2,	/* not signed by the pinned key (or other origin) */
	TLOG_CLIENT_ESHRANK = -3,	/* a smaller tree than one seen before */
	TLOG_CLIENT_EFORK = -4,		/* does not extend the tree seen before */
	TLOG_CLIENT_ENOTINCLUDED = -5,	/* the inclusion proof does not verify */
};

/* "the log was rewritten: ..." and so on, for people. */
const char *tlog_client_strerror(int err);

/*
 * Open the signed checkpoint note (len bytes) under v for origin, and check
 * that it extends prev (prev NULL or prev->size 0: nothing seen yet; then
 * consistency is not used). consistency: the proof from prev->size to the
 * new size (may be NULL when the sizes are equal). On TLOG_CLIENT_OK *out
 * is the new checkpoint.
 */
int tlog_client_advance(const struct tlog_verifier *v, const char *origin,
    const struct tlog_checkpoint *prev, const char *note, size_t len,
    const struct tlog_proof *consistency, struct tlog_checkpoint *out)
	TLOG_WUR;

/* Is entry (len bytes) leaf `index` of the checkpoint's tree? */
int tlog_client_included(const struct tlog_checkpoint *cp, uint64_t index,
    const uint8_t *entry, size_t len, const struct tlog_proof *proof) TLOG_WUR;

/* A proof from JSON (an array of base64 hashes, PROTOCOL.md). 0 or -1. */
int tlog_client_proof_json(const json_t *arr, struct tlog_proof *out) TLOG_WUR;

/*
 * From a verifier key string: its name (= the log's origin) and the
 * fingerprint of its public key as people compare it ("XXXX-XXXX-XXXX-XXXX",
 * vault_fingerprint). 0, or -1 if vkey is not an Ed25519 verifier key.
 */
int tlog_client_vkey_info(const char *vkey, char name[TLOG_NAME_MAX + 1],
    char fpr[20]);

#endif
