/*
 * evrec — the plaintext of a sealed event record (container kind 2,
 * docs/FORMAT.md "Event record plaintext").
 *
 *	"SEV1" | json_len (u32) | JSON object | jpeg_len (u32) | JPEG or nothing
 *
 * The agent writes one record when an event starts (with a thumbnail of
 * that moment), one when a new label is first found (with the frame it was
 * found in), and one when the event ends (times, zones, labels, the segment
 * sequence numbers the event's clip spans). All records of one event carry
 * the same "event" id: the sequence number of its first record. Readers
 * (the CLI, the browser) merge them, the highest sequence number winning.
 *
 * Records reach readers only sealed (seg.h): they are authenticated before
 * this parser sees them. The parser is strict anyway (exact lengths, known
 * fields, bounded arrays) because it also reads files handed over by hand.
 */
#ifndef SEALCAM_EVREC_H
#define SEALCAM_EVREC_H

#include <stddef.h>
#include <stdint.h>

#define EVREC_MAGIC "SEV1"
#define EVREC_VERSION 1
#define EVREC_JSON_MAX 65536		/* bytes of the JSON part */
#define EVREC_JPEG_MAX (512u << 10)	/* bytes of the thumbnail */
#define EVREC_MAX (12 + EVREC_JSON_MAX + EVREC_JPEG_MAX)
#define EVREC_MAX_ZONES 16
#define EVREC_MAX_LABELS 8
#define EVREC_MAX_BOXES 16
#define EVREC_NAME_MAX 32		/* zone or label name, with the NUL */

enum evrec_state { EVREC_START = 1, EVREC_UPDATE = 2, EVREC_END = 3 };
enum evrec_kind { EVREC_MOTION = 1, EVREC_RING = 2 };

/* A box in normalised frame coordinates (0..1 of width and height). */
struct evrec_box {
	float x, y, w, h;
	char label[EVREC_NAME_MAX];	/* "" = motion only */
	float score;			/* label confidence 0..1 (0 without label) */
};

struct evrec_label {
	char label[EVREC_NAME_MAX];	/* "person", "car", "animal" */
	float score;			/* best confidence seen, 0..1 */
};

struct evrec {
	uint64_t event;		/* id: sequence number of the first record */
	int state;		/* enum evrec_state */
	int kind;		/* enum evrec_kind */
	int64_t start_ms;	/* first motion frame / the press */
	int64_t end_ms;		/* last motion frame; -1 while open */
	int64_t clip_start_ms;	/* start_ms - pre-roll */
	int64_t clip_end_ms;	/* end_ms + post-roll; -1 while open */
	float score;		/* highest changed fraction of the frame */
	uint32_t frames;	/* motion frames so far */
	int nzones;
	char zones[EVREC_MAX_ZONES][EVREC_NAME_MAX];
	int nlabels;
	struct evrec_label labels[EVREC_MAX_LABELS];
	int nboxes;
	struct evrec_box boxes[EVREC_MAX_BOXES];	/* of the thumbnail frame */
	int64_t thumb_ms;	/* time of the thumbnail frame; -1 = none */
	int have_segments;	/* end records: the clip's segment seqs */
	uint64_t seg_first, seg_last;
};

/* An empty record: no times (-1), no zones, labels, boxes or segments. */
void evrec_init(struct evrec *r);

/*
 * Encode r and the JPEG (jlen bytes, may be 0) into a new buffer (*out,
 * malloc'd, the caller frees) of *outlen bytes. -1 if a field is out of
 * range or a name is not printable UTF-8 of at most EVREC_NAME_MAX-1 bytes.
 */
int evrec_encode(const struct evrec *r, const uint8_t *jpeg, size_t jlen,
    uint8_t **out, size_t *outlen);

/*
 * Parse a record of len bytes into *r; *jpeg points into buf (NULL if the
 * record has no thumbnail) and *jlen is its size. Returns 0, or -1 with a
 * message naming what was wrong in err (errlen bytes).
 */
int evrec_parse(const uint8_t *buf, size_t len, struct evrec *r,
    const uint8_t **jpeg, size_t *jlen, char *err, size_t errlen)
	__attribute__((warn_unused_result));

/* Name of a state or kind ("start", "ring"...). */
const char *evrec_state_name(int state);
const char *evrec_kind_name(int kind);

/* Best confidence of label in r, or 0 if r does not carry it. */
float evrec_label_score(const struct evrec *r, const char *label);

/* Merge a later record of the same event into *acc (later fields win;
 * labels keep the best score; the thumbnail is the caller's business). */
void evrec_merge(struct evrec *acc, const struct evrec *later);

#endif
