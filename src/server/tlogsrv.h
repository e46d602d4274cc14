/*
 * tlogsrv — sealcamd's transparency log: the one sequencer (a tlog_store
 * under the data directory), the log's signing key, the per-account chains
 * and their index in the metadata store, and receipts (entry + inclusion
 * proof + signed checkpoint) for what was appended.
 *
 *	// on a worker thread (never an HTTP thread: it waits for the disk)
 *	struct tlogsrv_receipt rc;
 *	if (tlogsrv_log_keyring(srv->tlog, owner, cam, epoch, kr, len, &rc) != 0)
 *		-> 503, nothing published
 *	... then make the change visible, then answer (with rc if wanted)
 *
 * Every tlogsrv_log_* call builds the account's next chained entry (seq and
 * previous-entry hash from the index), appends it, waits until it is
 * durable under a published checkpoint (at most the batch interval plus one
 * batch write), indexes it, and fills the receipt. An account's appends are
 * serialised (entry k+1 names entry k); different accounts share batches.
 *
 * Entries name accounts by their log id (store_log_id), never the account
 * id: tiles are public, and the log must not be linkable to accounts.
 *
 * HTTP handlers use tlogsrv_defer() to run such work with the request
 * suspended (h_keyring_put and h_vault_put show the pattern).
 */
#ifndef SEALCAMD_TLOGSRV_H
#define SEALCAMD_TLOGSRV_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tlog.h"
#include "tlog_entry.h"
#include "tlog_note.h"

struct store;
struct req;
struct tlog_store;

/* Our checkpoints are ~150 bytes; room for witness cosignatures. */
#define TLOGSRV_NOTE_MAX 4096
/* The key file under the data directory (signer key string, 0600). */
#define TLOGSRV_KEY_FILE "log.key"

struct tlogsrv_opts {
	const char *data_dir;     /* log.key lives here */
	const char *log_dir;      /* the tile store ("" = data_dir/log) */
	const char *origin;       /* key name for a new key (existing: its own) */
	unsigned interval_ms;     /* longest batch wait (<= 1000) */
	unsigned threads;         /* tlogsrv_defer worker threads */
};

/* What an append returns: where the entry is, and the proof. */
struct tlogsrv_receipt {
	uint64_t index;                        /* the entry's position */
	uint8_t entry[TLOG_ENTRY_LEN];         /* its bytes */
	uint64_t size;                         /* tree size of the checkpoint */
	char checkpoint[TLOGSRV_NOTE_MAX];     /* signed note, NUL-terminated */
	size_t checkpoint_len;
	struct tlog_proof proof;               /* inclusion of index in size */
};

struct tlogsrv;

/*
 * Load the log key from data_dir/log.key, making it (named origin, mode
 * 0600, written durably) if there is none. The caller frees the signer.
 * NULL on failure (logged). `sealcamd log-key` prints its verifier key.
 */
struct tlog_signer *tlogsrv_key_load(const char *data_dir, const char *origin);

/*
 * Open the log: key, tile store (recovering from a crash), the index
 * (rows missing after a crash are rebuilt from the tiles), worker threads.
 * st is borrowed. NULL on failure (logged).
 */
struct tlogsrv *tlogsrv_open(const struct tlogsrv_opts *o, struct store *st);

/* Finish queued work, close. NULL is a no-op. */
void tlogsrv_free(struct tlogsrv *t);

/* The verifier key string ("<origin>+<id>+<key>"). */
const char *tlogsrv_vkey(const struct tlogsrv *t);
const char *tlogsrv_origin(const struct tlogsrv *t);

/* The tile store, for serving tiles, checkpoints and proofs. */
struct tlog_store *tlogsrv_store(struct tlogsrv *t);

/*
 * Append e to the chain of log_id (e's type, subject, actor, number and
 * commitment filled by the caller; account, seq, prev and time are set
 * here) and wait until it is durable; then index it. rc (may be NULL)
 * gets the receipt. 0, or -1 (logged; the entry is not in the log, or it
 * is but could not be indexed — then later appends fail until a restart
 * repairs the index, so a chain never forks).
 */
int tlogsrv_append(struct tlogsrv *t, const uint8_t log_id[TLOG_ID_LEN],
    struct tlog_entry *e, struct tlogsrv_receipt *rc);

/* The same for an account (its log id looked up or made first). */
int tlogsrv_append_account(struct tlogsrv *t,
    const uint8_t account_id[TLOG_ID_LEN], struct tlog_entry *e,
    struct tlogsrv_receipt *rc);

/* --- what sealcamd logs (docs/FORMAT.md "Log entries"); rc may be NULL --- */

/* A keyring published: owner's chain, camera, epoch, keyring hash. */
int tlogsrv_log_keyring(struct tlogsrv *t, const uint8_t owner[TLOG_ID_LEN],
    const uint8_t camera_id[TLOG_ID_LEN], uint32_t epoch,
    const uint8_t *keyring, size_t len, struct tlogsrv_receipt *rc);

/* Vault public keys published or rotated. */
int tlogsrv_log_vault(struct tlogsrv *t, const uint8_t account[TLOG_ID_LEN],
    const uint8_t sign_pk[32], const uint8_t box_pk[32],
    struct tlogsrv_receipt *rc);

/* Staff principal added (removed = 0) or removed: the directory's chain;
 * record is the directory record (committed to, not logged). */
int tlogsrv_log_staff(struct tlogsrv *t, int removed,
    const uint8_t principal[TLOG_ID_LEN], const uint8_t *record, size_t len,
    struct tlogsrv_receipt *rc);

/* Grant created (revoked = 0) or revoked, by its owner: signed is the
 * owner-signed grant or revocation. */
int tlogsrv_log_grant(struct tlogsrv *t, const uint8_t owner[TLOG_ID_LEN],
    int revoked, const uint8_t grant_id[TLOG_ID_LEN],
    const uint8_t grantee[TLOG_ID_LEN], const uint8_t *signed_bytes,
    size_t len, struct tlogsrv_receipt *rc);

/* A staff principal was given access under grant_id: logged in the
 * owner's chain before anything is served. record is the access record
 * (grant.h: which objects, when), committed to with
 * labelhash("sealcam-logacc", record). */
int tlogsrv_log_staff_access(struct tlogsrv *t,
    const uint8_t owner[TLOG_ID_LEN], const uint8_t grant_id[TLOG_ID_LEN],
    const uint8_t principal[TLOG_ID_LEN], const uint8_t *record, size_t len,
    struct tlogsrv_receipt *rc);

/* A live session of camera_id started for viewer (an account id; the
 * entry names the viewer's log id): the owner's chain. */
int tlogsrv_log_live_started(struct tlogsrv *t,
    const uint8_t owner[TLOG_ID_LEN], const uint8_t camera_id[TLOG_ID_LEN],
    const uint8_t viewer[TLOG_ID_LEN], const uint8_t *session_id, size_t len,
    struct tlogsrv_receipt *rc);

/* --- reading ------------------------------------------------------------- */

/*
 * A receipt for an entry already in the log (index from the store index):
 * its bytes from the tiles, the current checkpoint, the inclusion proof.
 * 0 or -1.
 */
int tlogsrv_receipt(struct tlogsrv *t, uint64_t index,
    struct tlogsrv_receipt *rc);

/*
 * The receipt of the owner's logged publication of this exact keyring
 * (camera, epoch, hash). 1 if found, 0 if the keyring is not in the log,
 * -1 on an error.
 */
int tlogsrv_keyring_receipt(struct tlogsrv *t,
    const uint8_t owner[TLOG_ID_LEN], const uint8_t camera_id[TLOG_ID_LEN],
    uint64_t epoch, const uint8_t *keyring, size_t len,
    struct tlogsrv_receipt *rc);

/*
 * The receipt of the latest entry of chain log_id with this type, subject,
 * number and commitment (a grant's creation, a directory record). 1 if
 * found, 0 if there is none in the log, -1 on an error.
 */
int tlogsrv_find_receipt(struct tlogsrv *t, const uint8_t log_id[TLOG_ID_LEN],
    int type, const uint8_t subject[TLOG_ID_LEN], uint64_t number,
    const uint8_t commitment[TLOG_HASH_LEN], struct tlogsrv_receipt *rc);

/* JSON of a receipt (PROTOCOL.md "Log receipts"): {"index", "entry",
 * "size", "checkpoint", "proof"}; NULL on allocation failure. */
json_t *tlogsrv_receipt_json(const struct tlogsrv_receipt *rc);

/* A proof as a JSON array of base64 hashes. */
json_t *tlogsrv_proof_json(const struct tlog_proof *p);

/* --- running log work off the HTTP threads ---------------------------------- */

typedef void tlogsrv_job_fn(struct req *rq);

/*
 * Suspend rq, run job(rq) on a log worker thread, then resume rq: the
 * route handler is called again with rq->resumed > 0 and answers from
 * what job left in rq->state. (When stopping, job runs right here.)
 */
void tlogsrv_defer(struct tlogsrv *t, struct req *rq, tlogsrv_job_fn *job);

#endif
