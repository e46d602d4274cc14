/*
 * seg — the sealed container (docs/FORMAT.md, "Sealed container").
 *
 * Every segment, event record, thumbnail and derivative is one container:
 *
 *	header  (plaintext, canonical: ids, times, epoch, recipient stanzas)
 *	body    crypto_secretstream_xchacha20poly1305 records of 64 KiB,
 *	        header hash as associated data, TAG_FINAL on the last
 *	trailer Ed25519 signature of the camera over header hash + body hash
 *
 * Sealing (the agent):
 *
 *	struct seg_seal_params p = { .kind = SEG_KIND_SEGMENT, .seq = 7, ...,
 *	    .recipients = pks, .nrecipients = 3 };
 *	struct seg_sealer *s = seg_sealer_new(&p, camera_sk, callback_out, f);
 *	seg_sealer_write(s, buf, n);  ...  seg_sealer_finish(s);  seg_sealer_free(s);
 *
 * Opening (clients; the server in verify-only mode):
 *
 *	struct seg_expect e = { .camera_pk = pk, .kind = SEG_KIND_SEGMENT,
 *	    .seq = 7, .check_seq = 1 };
 *	struct seg_opener *o = seg_opener_new(&e, my_pk, my_sk, callback_pt, f);
 *	seg_opener_write(o, chunk, n); ...  rc = seg_opener_finish(o);
 *
 * The opener hands plaintext to its callback one record at a time, each only
 * after that record authenticated — but the container as a whole is genuine
 * only when seg_opener_finish() returns SEG_OK (final tag seen, camera
 * signature verified). On any failure the caller must discard everything the
 * callback received.
 *
 * All functions return SEG_OK (0) or a negative enum seg_err; none exits,
 * none logs secrets. Data keys and stream states are wiped after use, also
 * on error paths.
 */
#ifndef SEALCAM_SEG_H
#define SEALCAM_SEG_H

#include <stddef.h>
#include <stdint.h>

#define SEG_MAGIC "SEAL"
#define SEG_MAGIC_BYTES 4
#define SEG_VERSION 1

#define SEG_KIND_SEGMENT 1	/* continuous recording (fMP4 fragment) */
#define SEG_KIND_EVENT 2	/* event record (labels, boxes) */
#define SEG_KIND_THUMBNAIL 3	/* event thumbnail (JPEG) */
#define SEG_KIND_LIVE 4		/* live session: header only here, body in the live issue */
#define SEG_KIND_DERIVATIVE 5	/* anonymized derivative made by the owner */

#define SEG_FLAG_EVENT 0x01	/* event footage: kept longest by retention */
#define SEG_FLAGS_KNOWN SEG_FLAG_EVENT

#define SEG_CAMERA_ID_BYTES 16
#define SEG_KEYID_BYTES 8
#define SEG_PK_BYTES 32			/* X25519 or Ed25519 public key */
#define SEG_BOX_SK_BYTES 32		/* X25519 secret key */
#define SEG_SIGN_SK_BYTES 64		/* Ed25519 secret key (seed || pk) */
#define SEG_DATA_KEY_BYTES 32
#define SEG_SEALED_KEY_BYTES 80		/* crypto_box_seal(32-byte data key) */
#define SEG_SS_HEADER_BYTES 24		/* secretstream header */
#define SEG_HASH_BYTES 32		/* BLAKE2b-256 */
#define SEG_MAX_RECIPIENTS 32
#define SEG_RECORD_BYTES 65536		/* plaintext per record (all but the last) */
#define SEG_RECORD_ABYTES 17		/* secretstream overhead per record */
#define SEG_RECORD_CBYTES (SEG_RECORD_BYTES + SEG_RECORD_ABYTES)
#define SEG_HEADER_FIXED 72
#define SEG_STANZA_BYTES (SEG_KEYID_BYTES + SEG_SEALED_KEY_BYTES)	/* 88 */
#define SEG_HEADER_MAX (SEG_HEADER_FIXED + SEG_MAX_RECIPIENTS * SEG_STANZA_BYTES)
#define SEG_TRAILER_BYTES 64
#define SEG_MAX_PLAINTEXT (256u * 1024 * 1024)
#define SEG_MAX_RECORDS (SEG_MAX_PLAINTEXT / SEG_RECORD_BYTES)	/* 4096 */
/* Largest well-formed container (every limit at its maximum). */
#define SEG_MAX_SEALED ((uint64_t)SEG_HEADER_MAX + \
	(uint64_t)SEG_MAX_RECORDS * SEG_RECORD_CBYTES + SEG_TRAILER_BYTES)
/* What the camera signs: this 16-byte prefix || header hash || body hash. */
#define SEG_SIG_PREFIX "sealcam-seal-v1"	/* + NUL = 16 bytes */

enum seg_err {
	SEG_OK = 0,
	SEG_EMORE = -1,		/* header parse: need more bytes */
	SEG_ETRUNCATED = -2,	/* stream ended early (header, body or trailer) */
	SEG_EMAGIC = -3,	/* not "SEAL" */
	SEG_EVERSION = -4,	/* unknown version */
	SEG_ENONCANON = -5,	/* non-canonical header or body framing */
	SEG_ETOOBIG = -6,	/* beyond SEG_MAX_PLAINTEXT / records */
	SEG_ENOTRECIPIENT = -7,	/* reader's key is not in the stanzas */
	SEG_EKEY = -8,		/* our stanza's sealed key does not open */
	SEG_EAUTH = -9,		/* a record failed to authenticate */
	SEG_ENOFINAL = -10,	/* last record does not carry TAG_FINAL */
	SEG_EAFTERFINAL = -11,	/* data after the TAG_FINAL record */
	SEG_EBADSIG = -12,	/* camera signature does not verify */
	SEG_EWRONGCAMERA = -13,	/* camera id is not the expected camera's */
	SEG_EWRONGSEQ = -14,	/* sequence number is not the requested one */
	SEG_EWRONGKIND = -15,	/* kind is not the requested one */
	SEG_EINVAL = -16,	/* bad argument (caller error) */
	SEG_ENOMEM = -17,
	SEG_EWRITE = -18,	/* the output callback failed */
	SEG_EUNSUPPORTED = -19,	/* kind LIVE: body framing not here */
	SEG_ESTATE = -20,	/* used after an error or after finish */
	SEG_EDUPLICATE = -21,	/* sealer: two recipients share a key id */
};

/* A short English description of a seg_err (never NULL). */
const char *seg_strerror(int err);

/* Why the last seg_sealer_new/seg_opener_new of this thread returned NULL. */
int seg_last_error(void);

/* Parsed header. All fields are copies; nothing points into the input. */
struct seg_header {
	uint8_t version;
	uint8_t kind;			/* SEG_KIND_* */
	uint8_t flags;			/* SEG_FLAG_* */
	uint8_t camera_id[SEG_CAMERA_ID_BYTES];
	uint64_t seq;
	uint64_t start_ms;		/* ms since the Unix epoch */
	uint32_t duration_ms;
	uint32_t epoch;			/* keyring epoch sealed to */
	unsigned nrecipients;		/* 1..SEG_MAX_RECIPIENTS */
	uint8_t key_ids[SEG_MAX_RECIPIENTS][SEG_KEYID_BYTES];	/* ascending */
	uint8_t sealed_keys[SEG_MAX_RECIPIENTS][SEG_SEALED_KEY_BYTES];
	uint8_t ss_header[SEG_SS_HEADER_BYTES];
	size_t len;			/* header bytes = 72 + 88 * nrecipients */
	uint8_t hash[SEG_HASH_BYTES];	/* BLAKE2b-256 of the header bytes */
};

/*
 * Parse the header at the start of buf. Returns SEG_OK and fills *h (h->len
 * is how many bytes it used), SEG_EMORE if len is too short to tell (the
 * caller reads more; at most SEG_HEADER_MAX is ever needed), or SEG_EMAGIC,
 * SEG_EVERSION, SEG_ENONCANON (unknown kind, reserved flag bits, recipient
 * count 0 or > 32, stanzas not strictly ascending by key id).
 */
int seg_header_parse(const uint8_t *buf, size_t len, struct seg_header *h)
	__attribute__((warn_unused_result));

/* Camera id: first 16 bytes of BLAKE2b-256("sealcam-camid" label || pk). */
void seg_camera_id(const uint8_t camera_pk[SEG_PK_BYTES],
    uint8_t id[SEG_CAMERA_ID_BYTES]);
/* Recipient key id: first 8 bytes of BLAKE2b-256("sealcam-keyid" label || pk). */
void seg_key_id(const uint8_t box_pk[SEG_PK_BYTES], uint8_t id[SEG_KEYID_BYTES]);

/* Total sealed size for a plaintext of ptlen bytes and n recipients. */
uint64_t seg_sealed_size(unsigned nrecipients, uint64_t ptlen);

/*
 * Output callback: consume len bytes at buf (valid only during the call).
 * Return 0 on success, non-zero to abort (the caller then gets SEG_EWRITE).
 */
typedef int seg_write_fn(void *cookie, const uint8_t *buf, size_t len);

/* ---- sealing ------------------------------------------------------------ */

struct seg_seal_params {
	uint8_t kind;		/* SEG_KIND_* except LIVE */
	uint8_t flags;		/* SEG_FLAG_* */
	uint64_t seq;
	uint64_t start_ms;
	uint32_t duration_ms;
	uint32_t epoch;		/* epoch of the keyring the recipients come from */
	const uint8_t (*recipients)[SEG_PK_BYTES];	/* X25519 public keys */
	unsigned nrecipients;	/* 1..SEG_MAX_RECIPIENTS, distinct */
};

struct seg_sealer;

/*
 * Start sealing: make a fresh data key, seal it to each recipient, write the
 * header through out(cookie, ...). camera_sk is the camera's Ed25519 secret
 * key (libsodium form; the camera id is derived from its public half); it is
 * copied and wiped on free. Returns NULL on failure; seg_last_error() then
 * tells why: SEG_EINVAL (bad params), SEG_EDUPLICATE, SEG_EUNSUPPORTED
 * (live), SEG_ENOMEM, SEG_EWRITE.
 */
struct seg_sealer *seg_sealer_new(const struct seg_seal_params *p,
    const uint8_t camera_sk[SEG_SIGN_SK_BYTES], seg_write_fn *out,
    void *cookie);

/* Feed plaintext; full records are encrypted and written as they fill. */
int seg_sealer_write(struct seg_sealer *s, const uint8_t *buf, size_t len);

/* Write the final record and the trailer. No further writes after it. */
int seg_sealer_finish(struct seg_sealer *s);

/* Wipe and free (NULL is a no-op). */
void seg_sealer_free(struct seg_sealer *s);

/*
 * Seal a whole buffer into a new malloc'd one (*out, *outlen; the caller
 * frees). Encrypts straight into the output, no intermediate copies.
 */
int seg_seal_buf(const struct seg_seal_params *p,
    const uint8_t camera_sk[SEG_SIGN_SK_BYTES], const uint8_t *pt, size_t ptlen,
    uint8_t **out, size_t *outlen);

/* ---- opening ------------------------------------------------------------ */

struct seg_expect {
	const uint8_t *camera_pk;	/* required: the camera key the reader trusts */
	uint8_t kind;			/* required kind, 0 = any (not LIVE) */
	int check_seq;			/* non-zero: seq must equal .seq */
	uint64_t seq;
};

struct seg_opener;

/*
 * Open a container streamed in through seg_opener_write(). recipient_pk/sk
 * are the reader's X25519 key pair; both NULL = verify-only mode (the server:
 * header, framing, body hash and camera signature are checked, nothing is
 * decrypted, plaintext_out may be NULL). The expectations in *expect are
 * checked as soon as the header is complete (camera id, kind, sequence).
 * Returns NULL on bad arguments (SEG_EINVAL) or memory failure (SEG_ENOMEM),
 * see seg_last_error().
 */
struct seg_opener *seg_opener_new(const struct seg_expect *expect,
    const uint8_t *recipient_pk, const uint8_t *recipient_sk,
    seg_write_fn *plaintext_out, void *cookie);

/* The same with the data key given directly (e.g. a re-wrapped key). */
struct seg_opener *seg_opener_new_with_key(const struct seg_expect *expect,
    const uint8_t data_key[SEG_DATA_KEY_BYTES], seg_write_fn *plaintext_out,
    void *cookie);

/*
 * Feed container bytes in any chunking. Plaintext of each record goes to the
 * callback once it authenticates (the final record only in finish, after the
 * signature). Returns SEG_OK or the first error, which sticks.
 */
int seg_opener_write(struct seg_opener *o, const uint8_t *buf, size_t len)
	__attribute__((warn_unused_result));

/*
 * End of input. SEG_OK only if the final record carried TAG_FINAL and the
 * camera signature verified; otherwise the error, and everything the callback
 * received must be discarded.
 */
int seg_opener_finish(struct seg_opener *o) __attribute__((warn_unused_result));

/* The parsed header once complete (also when its contents were refused:
 * wrong camera, kind, sequence), else NULL. */
const struct seg_header *seg_opener_header(const struct seg_opener *o);

/* Wipe and free (NULL is a no-op). */
void seg_opener_free(struct seg_opener *o);

/*
 * Open a whole buffer. On SEG_OK *pt (malloc'd, caller frees; non-NULL even
 * for empty plaintext) and *ptlen hold the plaintext, and *h (if non-NULL)
 * the header. On error *pt is NULL. recipient_pk/sk NULL = verify only
 * (pt and ptlen may then be NULL).
 */
int seg_open_buf(const struct seg_expect *expect, const uint8_t *recipient_pk,
    const uint8_t *recipient_sk, const uint8_t *in, size_t inlen,
    uint8_t **pt, size_t *ptlen, struct seg_header *h)
	__attribute__((warn_unused_result));

/* ---- data keys ---------------------------------------------------------- */

/*
 * Find the reader's stanza and unseal the data key into key_out (wipe it
 * after use). SEG_ENOTRECIPIENT if no stanza has the reader's key id,
 * SEG_EKEY if it does not open.
 */
int seg_unwrap_key(const struct seg_header *h,
    const uint8_t recipient_pk[SEG_PK_BYTES],
    const uint8_t recipient_sk[SEG_BOX_SK_BYTES],
    uint8_t key_out[SEG_DATA_KEY_BYTES]) __attribute__((warn_unused_result));

/*
 * Unseal the data key as the reader and seal it again to grantee_pk (for a
 * consent grant). The data key never leaves this function.
 */
int seg_rewrap(const struct seg_header *h,
    const uint8_t recipient_pk[SEG_PK_BYTES],
    const uint8_t recipient_sk[SEG_BOX_SK_BYTES],
    const uint8_t grantee_pk[SEG_PK_BYTES],
    uint8_t sealed_out[SEG_SEALED_KEY_BYTES]) __attribute__((warn_unused_result));

/* Open a key sealed by seg_rewrap() (the grantee's side). */
int seg_unseal_key(const uint8_t sealed[SEG_SEALED_KEY_BYTES],
    const uint8_t pk[SEG_PK_BYTES], const uint8_t sk[SEG_BOX_SK_BYTES],
    uint8_t key_out[SEG_DATA_KEY_BYTES]) __attribute__((warn_unused_result));

#endif
