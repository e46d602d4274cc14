/*
 * live — the live-view wire format (docs/FORMAT.md, "Live stream").
 *
 * A live stream is the standard sealed-container header of kind 4 (a fresh
 * live key sealed to the keyring recipients) followed by the camera's
 * signature over it, then records that each stand on their own:
 *
 *	header (72 + 88 n)  || header signature (64)
 *	record: rec header (24) || AEAD ciphertext (L) || record signature (64)
 *
 * Records are sealed with crypto_aead_xchacha20poly1305_ietf under the live
 * key; nonce = 16-byte per-session prefix (from the header) || record index;
 * AD = header hash || record header. Any record can be opened without the
 * ones before it, so a viewer can join a running session at a keyframe.
 * Each record is also signed by the camera: a household member, who holds
 * the live key, still cannot forge footage for another member.
 *
 * Order a reader accepts: INIT (index 0), then a FRAG with the keyframe flag
 * at any index >= 1 (the join point), then consecutive indices, then END.
 * Reordered, replayed, dropped and spliced records fail (LIVE_EORDER); a
 * stream that stops without END is LIVE_ETRUNCATED at finish.
 *
 * Sealing (the agent):
 *	struct live_sealer *s = live_sealer_new(&p, camera_sk, hdr, &hlen);
 *	live_seal(s, LIVE_REC_INIT, 0, t, init, n, out);  ... live_sealer_free(s);
 * Reading (CLI; the server in verify-only mode; the fuzz harness):
 *	struct live_reader *r = live_reader_new(&expect, my_pk, my_sk);
 *	live_reader_write(r, chunk, n, callback_event, cookie); ...
 *	live_reader_finish(r);
 */
#ifndef SEALCAM_LIVE_H
#define SEALCAM_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include "seg.h"

#define LIVE_REC_INIT 1		/* fMP4 init segment (ftyp + moov) */
#define LIVE_REC_FRAG 2		/* one fragment (moof + mdat) */
#define LIVE_REC_END 3		/* the session is over (empty plaintext) */
#define LIVE_FLAG_KEY 0x01	/* FRAG: starts with a keyframe (join point) */

#define LIVE_REC_HDR_BYTES 24
#define LIVE_TAG_BYTES 16	/* crypto_aead_xchacha20poly1305_ietf_ABYTES */
#define LIVE_SIG_BYTES 64
#define LIVE_NONCE_PREFIX_BYTES 16
#define LIVE_MAX_PLAINTEXT (4u << 20)	/* per record */
/* Bytes of a record on the wire for ptlen bytes of plaintext. */
#define LIVE_RECORD_SIZE(ptlen) \
	((size_t)LIVE_REC_HDR_BYTES + (ptlen) + LIVE_TAG_BYTES + LIVE_SIG_BYTES)
#define LIVE_RECORD_MAX LIVE_RECORD_SIZE(LIVE_MAX_PLAINTEXT)
/* Header plus its signature: what opens every stream. */
#define LIVE_HEAD_MAX (SEG_HEADER_MAX + LIVE_SIG_BYTES)

/* Signature prefixes (16 bytes with NUL padding, FORMAT.md labels). */
#define LIVE_HDR_SIG_PREFIX "sealcam-live-v1"
#define LIVE_REC_SIG_PREFIX "sealcam-live-rec"

enum live_err {
	LIVE_OK = 0,
	LIVE_ETRUNCATED = -2,	/* stream ended before END */
	LIVE_EMAGIC = -3,
	LIVE_EVERSION = -4,
	LIVE_ENONCANON = -5,	/* header or record framing not canonical */
	LIVE_ETOOBIG = -6,	/* record over LIVE_MAX_PLAINTEXT */
	LIVE_ENOTRECIPIENT = -7,
	LIVE_EKEY = -8,
	LIVE_EAUTH = -9,	/* a record does not decrypt */
	LIVE_EAFTEREND = -11,	/* bytes after END */
	LIVE_EBADSIG = -12,	/* header or record signature */
	LIVE_EWRONGCAMERA = -13,
	LIVE_EWRONGSESSION = -14,	/* header seq is not the session asked for */
	LIVE_EWRONGKIND = -15,	/* header kind is not 4 */
	LIVE_EINVAL = -16,
	LIVE_ENOMEM = -17,
	LIVE_ECALLBACK = -18,	/* the event callback asked to stop */
	LIVE_ESTATE = -20,	/* used after an error, or sealer order broken */
	LIVE_EORDER = -22,	/* record index/type out of order */
};

const char *live_strerror(int err);

/* Session number carried in the header's seq field: the first 8 bytes of
 * the 16-byte session id, big-endian. */
uint64_t live_session_seq(const uint8_t session_id[16]);

/* ---- sealing -------------------------------------------------------- */

struct live_params {
	uint64_t session_seq;	/* live_session_seq(session id) */
	uint64_t start_ms;	/* session start, ms since the Unix epoch */
	uint32_t epoch;		/* keyring epoch of the recipients */
	const uint8_t (*recipients)[SEG_PK_BYTES];
	unsigned nrecipients;
};

struct live_sealer;

/*
 * Start a session: fresh live key and nonce prefix, header sealed to the
 * recipients and signed with camera_sk (copied, wiped on free). The header
 * and its signature go to head (LIVE_HEAD_MAX bytes), length to *headlen.
 * NULL on failure (bad params, memory).
 */
struct live_sealer *live_sealer_new(const struct live_params *p,
    const uint8_t camera_sk[SEG_SIGN_SK_BYTES], uint8_t *head,
    size_t *headlen);

/*
 * Seal the next record into out (LIVE_RECORD_SIZE(ptlen) bytes). Indices
 * are assigned here: INIT must come first (index 0), END last (empty pt).
 * LIVE_OK, LIVE_EINVAL, LIVE_ETOOBIG or LIVE_ESTATE (order broken).
 */
int live_seal(struct live_sealer *s, uint8_t type, uint8_t flags,
    uint64_t time_ms, const uint8_t *pt, size_t ptlen, uint8_t *out);

/* Index the next record will get. */
uint64_t live_sealer_next_index(const struct live_sealer *s);

void live_sealer_free(struct live_sealer *s);

/* ---- reading -------------------------------------------------------- */

struct live_expect {
	const uint8_t *camera_pk;	/* required: the trusted camera key */
	int check_session;		/* non-zero: header seq must be .session_seq */
	uint64_t session_seq;
};

#define LIVE_EV_HEAD 0			/* header + signature verified */

/* What the reader hands on, each piece only after it verified. */
struct live_event {
	int type;			/* LIVE_EV_HEAD or LIVE_REC_* */
	uint8_t flags;
	uint64_t index;
	uint64_t time_ms;
	const struct seg_header *head;	/* always set */
	const uint8_t *pt;		/* plaintext (NULL in verify-only mode) */
	size_t ptlen;
	const uint8_t *wire;		/* the exact bytes of this piece */
	size_t wirelen;
};

/* Return 0 to go on, non-zero to stop (LIVE_ECALLBACK). Pointers are
 * valid only during the call. */
typedef int live_event_fn(void *cookie, const struct live_event *ev);

struct live_reader;

/*
 * A reader for one stream. recipient_pk/sk: the viewer's X25519 key pair;
 * both NULL = verify-only (header, framing, order, signatures; the server).
 * NULL on bad arguments or memory.
 */
struct live_reader *live_reader_new(const struct live_expect *e,
    const uint8_t *recipient_pk, const uint8_t *recipient_sk);

/* Feed stream bytes in any chunking. LIVE_OK or the first error (sticky). */
int live_reader_write(struct live_reader *r, const uint8_t *buf, size_t len,
    live_event_fn *cb, void *cookie) __attribute__((warn_unused_result));

/* End of input: LIVE_OK only if END was seen and nothing is left over. */
int live_reader_finish(struct live_reader *r)
	__attribute__((warn_unused_result));

/* The header once verified, else NULL. */
const struct seg_header *live_reader_header(const struct live_reader *r);

void live_reader_free(struct live_reader *r);

#endif
