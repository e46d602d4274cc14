/*
 * tlog_entry — what sealcam writes into its transparency log, and the
 * per-account chain that makes an omission visible.
 *
 * Every entry is 144 bytes, fixed layout (docs/FORMAT.md "Log entries"):
 * type, account id, the account's sequence number, the leaf hash of the
 * account's previous entry, time, and type-specific ids and a 32-byte
 * commitment. Entries hold ids and commitments only — never keys'
 * secrets, labels, clips or anything the server should not publish.
 *
 * The server appends an account's entries one at a time (it must serialize
 * them per account: entry k+1 names entry k's hash). A client fetches its
 * account's entries (with their log indexes) and feeds them in sequence
 * order to tlog_chain_next(): a missing entry, one out of order, a broken
 * hash link or another account's entry is reported exactly.
 */
#ifndef SEALCAM_TLOG_ENTRY_H
#define SEALCAM_TLOG_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "tlog.h"

#define TLOG_ENTRY_LEN 144
#define TLOG_ID_LEN 16

/* The staff directory's own chain uses this account id (all zero). */
extern const uint8_t TLOG_STAFF_DIRECTORY[TLOG_ID_LEN];

enum tlog_entry_type {
	TLOG_E_KEYRING = 1,		/* keyring published: camera, epoch, keyring hash */
	TLOG_E_VAULT_KEY = 2,		/* vault public keys published or rotated */
	TLOG_E_STAFF_ADDED = 3,		/* staff principal added (directory chain) */
	TLOG_E_STAFF_REMOVED = 4,	/* staff principal removed (directory chain) */
	TLOG_E_GRANT_CREATED = 5,	/* owner-signed grant created */
	TLOG_E_GRANT_REVOKED = 6,	/* grant revoked */
	TLOG_E_STAFF_ACCESS = 7,	/* a grantee was given objects under a grant */
	TLOG_E_LIVE_SESSION = 8,	/* a live session started */
};
#define TLOG_E_MAX TLOG_E_LIVE_SESSION

struct tlog_entry {
	uint8_t type;			/* enum tlog_entry_type */
	uint8_t account[TLOG_ID_LEN];	/* whose chain */
	uint64_t seq;			/* 0, 1, 2, ... within the account */
	uint8_t prev[TLOG_HASH_LEN];	/* leaf hash of entry seq-1; 0 for seq 0 */
	uint64_t time_ms;		/* server time, ms since the Unix epoch */
	uint8_t subject[TLOG_ID_LEN];	/* camera / principal / grant id */
	uint8_t actor[TLOG_ID_LEN];	/* grantee / principal / viewer id */
	uint64_t number;		/* keyring epoch; 0 for other types */
	uint8_t commitment[TLOG_HASH_LEN];
};

/* Encode canonically. -1 if e breaks a rule of its type (unknown type,
 * a field that must be zero is not, seq 0 with a prev or seq > 0 without). */
int tlog_entry_encode(const struct tlog_entry *e, uint8_t out[TLOG_ENTRY_LEN]);

/* Parse exactly TLOG_ENTRY_LEN canonical bytes. 0 or -1. */
int tlog_entry_parse(const uint8_t *buf, size_t len,
    struct tlog_entry *e) TLOG_WUR;

/* "keyring", "vault_key", ...; "unknown" otherwise. */
const char *tlog_entry_type_name(unsigned type);

/* Commitment helpers (docs/FORMAT.md): BLAKE2b-256 under a label. */
/* Vault keys: labelhash("sealcam-fpr-acct", sign_pk || box_pk), whose
 * first 10 bytes are the account fingerprint people compare. */
void tlog_commit_vault(const uint8_t sign_pk[32], const uint8_t box_pk[32],
    uint8_t out[TLOG_HASH_LEN]);
/* Anything else (a staff directory record, a signed grant or revocation,
 * a staff access record, a live session id): labelhash(label, data) with
 * the label of its type ("sealcam-logstaff", "sealcam-loggrant",
 * "sealcam-logacc", "sealcam-loglive"). */
void tlog_commit(const char *label, const uint8_t *data, size_t len,
    uint8_t out[TLOG_HASH_LEN]);

/*
 * Chain state of one account: the next expected sequence number, the leaf
 * hash of the last entry, the log index of the last entry. A client keeps
 * it between runs (so it verifies only new entries); the server keeps it
 * to build the next entry.
 */
struct tlog_chain {
	uint8_t account[TLOG_ID_LEN];
	uint64_t next_seq;
	uint8_t last_hash[TLOG_HASH_LEN];
	uint64_t last_index;	/* valid when next_seq > 0 */
};

enum tlog_chain_err {
	TLOG_CHAIN_OK = 0,
	TLOG_CHAIN_MALFORMED = -1,	/* not a valid entry */
	TLOG_CHAIN_ACCOUNT = -2,	/* another account's entry */
	TLOG_CHAIN_GAP = -3,		/* seq beyond the next: entries missing */
	TLOG_CHAIN_STALE = -4,		/* seq below the next: replayed or reordered */
	TLOG_CHAIN_PREV = -5,		/* prev is not the last entry's hash */
	TLOG_CHAIN_ORDER = -6,		/* log index not after the last entry's */
};

/* A chain at its start (no entry yet). */
void tlog_chain_init(struct tlog_chain *c, const uint8_t account[TLOG_ID_LEN]);

/* Check the account's next entry (as stored in the log, at log_index) and
 * advance. On error c is unchanged. */
int tlog_chain_next(struct tlog_chain *c, const uint8_t *entry, size_t len,
    uint64_t log_index) TLOG_WUR;

/* Fill e's account, seq and prev from c and encode: the entry to append
 * next. c is not advanced (call tlog_chain_next with the log index once
 * the append succeeded). 0 or -1 (e not canonical). */
int tlog_chain_build(const struct tlog_chain *c, struct tlog_entry *e,
    uint8_t out[TLOG_ENTRY_LEN]);

/* What an error means, for people ("entry missing (sequence gap)", ...). */
const char *tlog_chain_strerror(int err);

#endif
