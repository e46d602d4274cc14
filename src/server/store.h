/*
 * store — sealcamd's metadata: accounts, sessions, pairings, cameras,
 * keyrings, and one row per sealed object (never its bytes; those are in
 * the blob store, see blob.h).
 *
 * The interface is backend-neutral: plain structs and fixed-size ids in,
 * results out, no SQL or driver types. store_sqlite.c implements it today;
 * a PostgreSQL backend (a later issue) adds a second implementation behind
 * the same names (store_open() picks it from the URI) without touching
 * routes. Every function is safe to call from any thread at once.
 *
 * Return values: 0 (STORE_OK) on success, STORE_ERR (-1) on an internal
 * failure (already logged), or one of the outcomes callers branch on.
 */
#ifndef SEALCAMD_STORE_H
#define SEALCAMD_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_ID_LEN 16          /* account, camera and pairing ids */
#define STORE_HASH_LEN 32        /* token hashes, pairing ids, content ids, blob keys */
#define STORE_PK_LEN 32          /* X25519 / Ed25519 public keys */
#define STORE_EMAIL_MAX 254      /* bytes, RFC 5321 path limit */
#define STORE_NAME_MAX 128       /* camera name, bytes of UTF-8 */
#define STORE_PROOF_MAX 128      /* pairing proof bytes */
#define STORE_PWHASH_MAX 128     /* crypto_pwhash_STRBYTES */
#define STORE_BACKUP_MAX 16384   /* encrypted vault backup bytes */
#define STORE_KEYRING_MAX 65536  /* signed keyring bytes */
#define STORE_MEMBERS_MAX 64     /* accounts named as members of one camera */

enum store_result {
	STORE_ERR = -1,
	STORE_OK = 0,
	STORE_NOTFOUND,          /* no such row */
	STORE_EXISTS,            /* unique key already taken */
	STORE_CONFLICT,          /* state forbids it (used, epoch not greater, ...) */
	STORE_EXPIRED,           /* pairing past its expiry */
};

enum store_role { STORE_ROLE_USER = 0, STORE_ROLE_STAFF = 1 };

/* Object kinds, equal to the sealed container kinds (FORMAT.md). */
enum store_kind { STORE_KIND_SEGMENT = 1, STORE_KIND_EVENT = 2, STORE_KIND_THUMBNAIL = 3 };

/* Object flags. */
#define STORE_FLAG_EVENT 1u      /* event footage: retention keeps it longest */

struct store;

struct store_account {
	uint8_t id[STORE_ID_LEN];
	char email[STORE_EMAIL_MAX + 1];  /* normalised */
	int role;                         /* enum store_role */
	int64_t created_ms;
	int has_vault;                    /* box_pk/sign_pk valid */
	uint8_t box_pk[STORE_PK_LEN];
	uint8_t sign_pk[STORE_PK_LEN];
};

struct store_session {
	uint8_t account_id[STORE_ID_LEN];
	int role;
	int64_t expires_ms;
};

struct store_pairing {
	uint8_t id[STORE_ID_LEN];             /* pairing id (hash of the secret) */
	uint8_t owner[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	int64_t expires_ms;
	int registered;                   /* camera_* and proof valid */
	uint8_t camera_id[STORE_ID_LEN];
	uint8_t camera_pk[STORE_PK_LEN];
	uint8_t proof[STORE_PROOF_MAX];
	size_t proof_len;
};

struct store_camera {
	uint8_t id[STORE_ID_LEN];
	uint8_t owner[STORE_ID_LEN];
	char name[STORE_NAME_MAX + 1];
	uint8_t pk[STORE_PK_LEN];
	int64_t last_seen_ms;             /* 0 = never */
	uint64_t keyring_epoch;           /* 0 = no keyring yet */
	uint32_t ret_days;                /* 0 = unlimited */
	uint64_t ret_max_bytes;           /* 0 = unlimited */
	uint64_t bytes, objects;          /* stored now */
	int64_t latest_segment;           /* highest seq, -1 = none */
	int64_t latest_thumbnail;
	/* Filled by store_camera_list only: */
	int is_owner;                     /* else a member */
	int owner_has_vault;
	uint8_t owner_sign_pk[STORE_PK_LEN];
};

struct store_object {
	uint8_t camera_id[STORE_ID_LEN];
	int kind;                         /* enum store_kind */
	uint64_t seq;
	int64_t start_ms, duration_ms;
	uint64_t epoch;
	uint32_t flags;                   /* STORE_FLAG_* */
	uint64_t size;
	uint8_t content_id[STORE_HASH_LEN];  /* identifies the exact bytes */
	uint8_t blob_key[STORE_HASH_LEN];    /* where the bytes are (blob.h) */
};

/*
 * Open (creating and migrating as needed) the store at uri: "sqlite:PATH"
 * or a plain path (SQLite). nconn bounds concurrent database connections.
 * Returns NULL on failure (logged).
 */
struct store *store_open(const char *uri, unsigned nconn);

/* Close every connection. store_close(NULL) is a no-op. */
void store_close(struct store *st);

/* 0 if the database answers a trivial query. */
int store_ping(struct store *st);

/* --- accounts and vaults ------------------------------------------------ */

/* Insert a (has_vault = 0) account with its password hash; STORE_EXISTS if
 * the e-mail or id is taken. */
int store_account_create(struct store *st, const struct store_account *a,
    const char *pwhash);

int store_account_get(struct store *st, const uint8_t id[STORE_ID_LEN],
    struct store_account *a);

/* Look up by normalised e-mail; pwhash (STORE_PWHASH_MAX bytes) may be NULL. */
int store_account_find(struct store *st, const char *email,
    struct store_account *a, char *pwhash);

/* Operator tool (never reachable over HTTP): set the role of an account. */
int store_account_set_role(struct store *st, const char *email, int role);

/* Publish (or replace) the vault public keys and encrypted backup. */
int store_vault_put(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    const uint8_t box_pk[STORE_PK_LEN], const uint8_t sign_pk[STORE_PK_LEN],
    const uint8_t *backup, size_t backup_len);

/* Read the backup into buf (cap bytes); STORE_NOTFOUND if none published. */
int store_vault_get(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    uint8_t *buf, size_t cap, size_t *len);

/* --- sessions (only hashes of tokens are stored) ------------------------ */

int store_session_create(struct store *st, const uint8_t hash[STORE_HASH_LEN],
    const uint8_t account_id[STORE_ID_LEN], int64_t now_ms, int64_t expires_ms);

/* Find a session by token hash (expired ones too: callers tell them apart). */
int store_session_get(struct store *st, const uint8_t hash[STORE_HASH_LEN],
    struct store_session *s);

int store_session_delete(struct store *st, const uint8_t hash[STORE_HASH_LEN]);

/* Delete sessions that expired before before_ms; *n = how many. */
int store_session_purge(struct store *st, int64_t before_ms, uint64_t *n);

/* Sessions not yet expired at now_ms. */
int store_session_count(struct store *st, int64_t now_ms, uint64_t *n);

/* --- pairings ------------------------------------------------------------ */

/* Create a pending pairing; STORE_EXISTS if the id is taken, STORE_CONFLICT
 * if the owner already has max_pending unexpired pending pairings. */
int store_pairing_create(struct store *st, const struct store_pairing *p,
    unsigned max_pending, int64_t now_ms);

int store_pairing_get(struct store *st, const uint8_t id[STORE_ID_LEN],
    struct store_pairing *p);

/*
 * Register a camera through a pending pairing, atomically: the pairing
 * becomes registered and a camera row (owner = pairing creator, name =
 * pairing name, token hash) appears. STORE_NOTFOUND, STORE_EXPIRED,
 * STORE_CONFLICT (already used), STORE_EXISTS (camera id already paired).
 */
int store_pairing_register(struct store *st, const uint8_t id[STORE_ID_LEN],
    const uint8_t camera_id[STORE_ID_LEN], const uint8_t camera_pk[STORE_PK_LEN],
    const uint8_t *proof, size_t proof_len,
    const uint8_t token_hash[STORE_HASH_LEN], int64_t now_ms);

/* Delete pairings that expired before before_ms. */
int store_pairing_purge(struct store *st, int64_t before_ms);

/* --- cameras ------------------------------------------------------------- */

int store_camera_get(struct store *st, const uint8_t id[STORE_ID_LEN],
    struct store_camera *c);

/* The camera whose token hashes to hash. */
int store_camera_by_token(struct store *st, const uint8_t hash[STORE_HASH_LEN],
    struct store_camera *c);

/* What account may do with camera: *is_owner = 1 owner, 0 member;
 * STORE_NOTFOUND if neither (or no such camera). */
int store_camera_access(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    const uint8_t account_id[STORE_ID_LEN], int *is_owner);

typedef int store_camera_fn(void *cookie, const struct store_camera *c);

/* Call fn for each camera account owns or is a member of (fn's -1 stops). */
int store_camera_list(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    store_camera_fn *fn, void *cookie);

/* Record that the camera was seen at now_ms. */
int store_camera_touch(struct store *st, const uint8_t id[STORE_ID_LEN],
    int64_t now_ms);

/* Delete a camera, its token, members and keyrings; its objects' blob keys
 * move to the trash (store_trash_*) for the caller/sweeper to delete. */
int store_camera_delete(struct store *st, const uint8_t id[STORE_ID_LEN]);

int store_retention_set(struct store *st, const uint8_t id[STORE_ID_LEN],
    uint32_t days, uint64_t max_bytes);

/* --- keyrings and members ------------------------------------------------ */

/*
 * Store keyring bytes as the camera's epoch `epoch` and make members[0..n)
 * its member set (replacing the previous one). STORE_CONFLICT if epoch is
 * not greater than the current one (checked inside the transaction).
 */
int store_keyring_put(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    uint64_t epoch, const uint8_t *keyring, size_t len,
    const uint8_t (*members)[STORE_ID_LEN], size_t n, int64_t now_ms);

/* The keyring of epoch (0 = current) into buf; STORE_NOTFOUND if none. */
int store_keyring_get(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    uint64_t epoch, uint64_t *epoch_out, uint8_t *buf, size_t cap, size_t *len);

typedef int store_keyring_fn(void *cookie, uint64_t epoch,
    const uint8_t *keyring, size_t len);

/* Every keyring of the camera, oldest first. */
int store_keyring_list(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    store_keyring_fn *fn, void *cookie);

/* --- sealed objects ------------------------------------------------------ */

int store_object_get(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    int kind, uint64_t seq, struct store_object *o);

/*
 * Insert the row for an object whose bytes are already durable in the blob
 * store, and update the camera's totals, latest sequence and last-seen time
 * in the same transaction. STORE_EXISTS if (camera, kind, seq) is taken
 * (the caller compares content ids); STORE_NOTFOUND if the camera is gone.
 */
int store_object_put(struct store *st, const struct store_object *o,
    int64_t now_ms);

/*
 * The same for n objects in one transaction (group commit: one WAL fsync
 * for all of them). results[i] gets each object's outcome as above; the
 * return value is 0 if the transaction committed, -1 if not (then every
 * result is STORE_ERR).
 */
int store_object_put_many(struct store *st, const struct store_object *const *objs,
    size_t n, int64_t now_ms, int *results);

typedef int store_object_fn(void *cookie, const struct store_object *o);

/*
 * Objects of one camera and kind with seq > after_seq (-1: all) whose
 * [start, start + duration) overlaps [from_ms, to_ms), ordered by seq, at
 * most limit of them.
 */
int store_object_list(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    int kind, int64_t from_ms, int64_t to_ms, int64_t after_seq,
    unsigned limit, store_object_fn *fn, void *cookie);

/* Totals over all cameras (metrics). */
int store_object_totals(struct store *st, uint64_t *objects, uint64_t *bytes);

/* --- retention and the trash --------------------------------------------- */

/*
 * Apply the camera's retention once: objects that started before
 * now - days go, then, while the camera holds more than max_bytes, the
 * oldest objects without STORE_FLAG_EVENT, then the oldest event objects.
 * At most limit rows per call; their blob keys move to the trash in the
 * same transaction. *n = rows removed.
 */
int store_retention_apply(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    int64_t now_ms, unsigned limit, unsigned *n);

/* Call fn for each camera with a retention limit (camera ids only). */
typedef int store_id_fn(void *cookie, const uint8_t id[STORE_ID_LEN]);
int store_retention_cameras(struct store *st, store_id_fn *fn, void *cookie);

typedef int store_key_fn(void *cookie, const uint8_t key[STORE_HASH_LEN]);

/* Up to limit blob keys waiting to be deleted. */
int store_trash_list(struct store *st, unsigned limit, store_key_fn *fn,
    void *cookie);

/* Forget a trashed key (after its blob is gone). */
int store_trash_remove(struct store *st, const uint8_t key[STORE_HASH_LEN]);

/* 1 if some object row references this blob key, 0 if none, -1 on error. */
int store_blob_referenced(struct store *st, const uint8_t key[STORE_HASH_LEN]);

/* --- live views (store_sqlite_live.c) ------------------------------------ */

/* One viewer's live session: who, which camera, when, how long. */
struct store_live_view {
	uint8_t camera_id[STORE_ID_LEN];
	uint8_t account_id[STORE_ID_LEN];
	char email[STORE_EMAIL_MAX + 1];  /* the viewer's, filled by the list */
	uint8_t session_id[STORE_ID_LEN];
	int64_t started_ms;
	int64_t ended_ms;                 /* 0 = still watching (or the server stopped) */
	uint64_t bytes;                   /* ciphertext bytes sent to the viewer */
};

/* Record a view starting; *id identifies it for store_live_view_end. */
int store_live_view_begin(struct store *st, const struct store_live_view *v,
    int64_t *id);
int store_live_view_end(struct store *st, int64_t id, int64_t ended_ms,
    uint64_t bytes);

typedef int store_live_view_fn(void *cookie, const struct store_live_view *v);

/* The camera's views, newest first, at most limit (fn's -1 stops). */
int store_live_view_list(struct store *st, const uint8_t camera_id[STORE_ID_LEN],
    unsigned limit, store_live_view_fn *fn, void *cookie);

/* --- transparency log index (tlogsrv.c) ------------------------------------
 *
 * The log itself (tiles, checkpoints) lives in the tlog store on disk; the
 * metadata store keeps what the log cannot answer quickly: each account's
 * opaque log id, and per log id the entries in its chain with their log
 * index. Rows are written only after the entry is durable in the log, so
 * the index may lag the log (repaired from the tiles at start, see
 * store_log_indexed_below) but never runs ahead of it.
 */

#define STORE_LOG_ENTRY_LEN 144  /* = TLOG_ENTRY_LEN */

struct store_log_entry {
	uint8_t log_id[STORE_ID_LEN];     /* the chain (entry's account field) */
	uint64_t seq;                     /* position in the chain */
	uint64_t index;                   /* position in the log */
	int type;                         /* enum tlog_entry_type */
	uint8_t subject[STORE_ID_LEN];
	uint64_t number;
	uint8_t commitment[STORE_HASH_LEN];
	uint8_t entry[STORE_LOG_ENTRY_LEN]; /* the entry bytes as logged */
};

/*
 * The account's log id: made (random, unique) on first use, then fixed.
 * It names the account's chain in the public log instead of the account
 * id, which other users can learn (lookup by e-mail). 0 or -1.
 */
int store_log_id(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    uint8_t log_id[STORE_ID_LEN]);

/*
 * Index one logged entry, and raise the "indexed below" mark to
 * indexed_below if it is higher (every log entry below the mark has its
 * row). STORE_EXISTS if (log_id, seq) or the index already has a row
 * (nothing changes then).
 */
int store_log_put(struct store *st, const struct store_log_entry *e,
    uint64_t indexed_below);

/* Raise the mark alone (after a repair scan). */
int store_log_mark(struct store *st, uint64_t indexed_below);

/* The mark: log entries below it are all indexed (0 for a new store). */
int store_log_indexed_below(struct store *st, uint64_t *mark);

/* The chain's last entry (highest seq); STORE_NOTFOUND if it has none. */
int store_log_last(struct store *st, const uint8_t log_id[STORE_ID_LEN],
    struct store_log_entry *e);

typedef int store_log_fn(void *cookie, const struct store_log_entry *e);

/* The chain's entries with seq > after_seq (-1: all), ascending, at most
 * limit; fn's -1 stops. */
int store_log_list(struct store *st, const uint8_t log_id[STORE_ID_LEN],
    int64_t after_seq, unsigned limit, store_log_fn *fn, void *cookie);

/* The chain's latest entry of type with this subject, number and
 * commitment (a keyring publication, say). STORE_NOTFOUND if none. */
int store_log_find(struct store *st, const uint8_t log_id[STORE_ID_LEN],
    int type, const uint8_t subject[STORE_ID_LEN], uint64_t number,
    const uint8_t commitment[STORE_HASH_LEN], struct store_log_entry *e);

/* --- staff principals, grants and accesses (routes_grants.c, staffsrv.c) ---
 *
 * A staff principal is a key pair registered by the operator for a staff
 * account; it is usable (grants addressed to it, directory listing) only
 * once its addition is in the transparency log. Grants are owner-signed
 * documents kept verbatim; accesses are the records sealcamd committed to
 * in the owner's log chain before serving a grantee anything.
 */

#define STORE_STAFF_NAME_MAX 64
#define STORE_STAFF_RECORD_MAX 160      /* >= STAFF_RECORD_MAX */
#define STORE_GRANT_DOC_MAX 140000      /* >= GRANT_MAX_BYTES */
#define STORE_REVOCATION_LEN 128        /* = GRANT_REVOCATION_BYTES */
#define STORE_ACCESS_MAX 9296           /* = GRANT_ACCESS_MAX */

enum store_staff_state {
	STORE_STAFF_ADDING = 0,           /* waiting for its log entry */
	STORE_STAFF_ACTIVE = 1,
	STORE_STAFF_REMOVING = 2,         /* removal waiting for its log entry */
	STORE_STAFF_REMOVED = 3,
};

struct store_staff {
	uint8_t principal_id[STORE_ID_LEN];
	uint8_t account_id[STORE_ID_LEN]; /* the staff account that logs in */
	int role;                         /* enum staff_role */
	char name[STORE_STAFF_NAME_MAX + 1];
	uint8_t box_pk[STORE_PK_LEN], sign_pk[STORE_PK_LEN];
	int state;                        /* enum store_staff_state */
	uint8_t record[STORE_STAFF_RECORD_MAX]; /* directory record (to log / logged) */
	size_t record_len;
	int64_t changed_ms;
};

/* A new principal in state ADDING; STORE_EXISTS if its id is taken or the
 * account has a principal that is not REMOVED. */
int store_staff_add(struct store *st, const struct store_staff *s);

int store_staff_get(struct store *st, const uint8_t principal_id[STORE_ID_LEN],
    struct store_staff *s);

/* The account's principal that is not REMOVED (STORE_NOTFOUND if none). */
int store_staff_by_account(struct store *st, const uint8_t account_id[STORE_ID_LEN],
    struct store_staff *s);

/* Move a principal from state `from` to `to`, recording the directory
 * record of the change (record may be NULL to keep it). STORE_CONFLICT if
 * it is not in state `from`. */
int store_staff_transition(struct store *st, const uint8_t principal_id[STORE_ID_LEN],
    int from, int to, const uint8_t *record, size_t record_len, int64_t now_ms);

typedef int store_staff_fn(void *cookie, const struct store_staff *s);

/* Every principal (pending_only: those ADDING or REMOVING), oldest change first. */
int store_staff_list(struct store *st, int pending_only, store_staff_fn *fn,
    void *cookie);

/* End every session of an account (a removed staff member). */
int store_session_delete_account(struct store *st, const uint8_t account_id[STORE_ID_LEN]);

enum store_grant_state {
	STORE_GRANT_PENDING = 0,          /* being logged: never served */
	STORE_GRANT_ACTIVE = 1,
	STORE_GRANT_REVOKED = 2,
};

struct store_grant {
	uint8_t id[STORE_ID_LEN];
	uint8_t owner[STORE_ID_LEN];      /* account */
	uint8_t camera_id[STORE_ID_LEN];
	uint8_t grantee[STORE_ID_LEN];    /* principal id */
	int mode;                         /* enum grant_mode */
	int64_t from_ms, until_ms, created_ms, expires_ms;
	int state;                        /* enum store_grant_state */
	int64_t revoked_ms;
	int has_revocation;
	uint8_t revocation[STORE_REVOCATION_LEN];
	int has_blob;                     /* anonymized: the derivative */
	uint8_t blob_key[STORE_HASH_LEN];
	uint64_t blob_size;
	uint8_t *doc;                     /* the signed document (malloc'd by reads) */
	size_t doc_len;
};

/* Insert in state PENDING (doc copied); STORE_EXISTS if the id is taken. */
int store_grant_create(struct store *st, const struct store_grant *g);

/* PENDING -> ACTIVE, with the derivative's blob (blob_key NULL: none). */
int store_grant_activate(struct store *st, const uint8_t id[STORE_ID_LEN],
    const uint8_t *blob_key, uint64_t blob_size);

/* Forget a PENDING grant whose log entry could not be written. */
int store_grant_delete_pending(struct store *st, const uint8_t id[STORE_ID_LEN]);

/* Read one (g->doc malloc'd: store_grant_clear). */
int store_grant_get(struct store *st, const uint8_t id[STORE_ID_LEN],
    struct store_grant *g);
void store_grant_clear(struct store_grant *g);

/* ACTIVE -> REVOKED with the owner's signed revocation; STORE_CONFLICT if
 * not active. A derivative's blob key moves to the trash. */
int store_grant_revoke(struct store *st, const uint8_t id[STORE_ID_LEN],
    const uint8_t rev[STORE_REVOCATION_LEN], int64_t revoked_ms);

typedef int store_grant_fn(void *cookie, const struct store_grant *g);

/* Grants (not PENDING) made by owner, or addressed to grantee (one of the
 * two non-NULL), newest first; g->doc valid during the call only. */
int store_grant_list(struct store *st, const uint8_t *owner, const uint8_t *grantee,
    store_grant_fn *fn, void *cookie);

struct store_access {
	int64_t seq;                      /* order of recording (SSE event id) */
	uint8_t id[STORE_ID_LEN];
	uint8_t grant_id[STORE_ID_LEN];
	uint8_t owner[STORE_ID_LEN];
	uint8_t principal[STORE_ID_LEN];
	int64_t time_ms;
	uint64_t log_index;               /* its staff_access entry */
	uint8_t record[STORE_ACCESS_MAX];
	size_t record_len;
};

/* Record a logged access; a->seq is assigned. */
int store_access_put(struct store *st, struct store_access *a);

int store_access_get(struct store *st, const uint8_t id[STORE_ID_LEN],
    struct store_access *a);

typedef int store_access_fn(void *cookie, const struct store_access *a);

/* Accesses under the owner's grants with seq > after_seq, ascending, at
 * most limit. */
int store_access_list(struct store *st, const uint8_t owner[STORE_ID_LEN],
    int64_t after_seq, unsigned limit, store_access_fn *fn, void *cookie);

/* The highest access seq of the owner's grants (-1 if none). */
int store_access_last(struct store *st, const uint8_t owner[STORE_ID_LEN], int64_t *seq);

/* Number of accesses under one grant. */
int store_access_count(struct store *st, const uint8_t grant_id[STORE_ID_LEN],
    uint64_t *n);

#endif
