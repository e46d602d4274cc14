/*
 * tlog_note — C2SP signed notes and tlog checkpoints with Ed25519 keys.
 *
 * A checkpoint is the log's signed tree head:
 *
 *	sealcam.example/log
 *	20852163
 *	CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=
 *
 *	— sealcam.example/log Az3grlgtzPICa5OS8npVmf1My...
 *
 * The signature line carries base64(4-byte key id || 64-byte signature),
 * key id = SHA-256(key name || 0x0A || 0x01 || public key)[:4]. Keys travel
 * as strings in the golang.org/x/mod/sumdb/note formats:
 *	verifier  <name>+<8 hex key id>+<base64(0x01 || public key)>
 *	signer    PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || seed)>
 *
 * Verifiers ignore signatures by keys they do not know (witness cosignatures,
 * a rotated key), reject the note if a signature by their key fails, and
 * reject it if their key did not sign at all.
 */
#ifndef SEALCAM_TLOG_NOTE_H
#define SEALCAM_TLOG_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "tlog.h"

/* Whole signed notes larger than this are refused (room for 16+
 * post-quantum cosignatures as C2SP asks; ours are ~200 bytes). */
#define TLOG_NOTE_MAX 65536
/* At most this many signature lines are looked at. */
#define TLOG_NOTE_SIGS_MAX 100
/* Key names and checkpoint origins, bytes. */
#define TLOG_NAME_MAX 255
/* Verifier and signer key strings, with NUL. */
#define TLOG_VKEY_MAX (TLOG_NAME_MAX + 1 + 8 + 1 + 44 + 1)
#define TLOG_SKEY_MAX (12 + TLOG_VKEY_MAX)
/* Checkpoint extension lines kept (raw, each ending in \n). */
#define TLOG_CHECKPOINT_EXT_MAX 1024

struct tlog_signer;
struct tlog_verifier;

/* A new random Ed25519 key named `name` (a valid key name: non-empty,
 * UTF-8, no spaces, no '+'). NULL on a bad name or allocation failure. */
struct tlog_signer *tlog_signer_generate(const char *name);

/* Read a signer key string (PRIVATE+KEY+...). NULL if malformed or if its
 * key id does not match. The string is a secret: wipe it after use. */
struct tlog_signer *tlog_signer_parse(const char *skey);

/* Write the signer key string (a secret) / the public verifier key string
 * into out (cap bytes, NUL-terminated). 0, or -1 if cap is too small. */
int tlog_signer_skey(const struct tlog_signer *s, char *out, size_t cap);
int tlog_signer_vkey(const struct tlog_signer *s, char *out, size_t cap);

const char *tlog_signer_name(const struct tlog_signer *s);

/* Wipe and free. NULL is a no-op. */
void tlog_signer_free(struct tlog_signer *s);

/* Read a verifier key string. NULL if malformed, not Ed25519, or if the
 * key id in the string is not the one of the name and key. */
struct tlog_verifier *tlog_verifier_parse(const char *vkey);
void tlog_verifier_free(struct tlog_verifier *v);

/* The C2SP key id of an Ed25519 key (big-endian uint32). */
uint32_t tlog_key_id(const char *name, const uint8_t pk[32]);

/*
 * Sign a note text (text_len bytes, ending in '\n', UTF-8, no control
 * characters but '\n'): out gets text, a blank line and one signature line,
 * *out_len its length (no NUL added). -1 on bad text or small cap.
 */
int tlog_note_sign(const struct tlog_signer *s, const char *text,
    size_t text_len, char *out, size_t cap, size_t *out_len);

/*
 * Open a signed note: check its form (UTF-8, no control characters but
 * newlines, text ending in a newline, a blank line, well-formed signature
 * lines), verify the signature of v, ignore unknown signers. On success
 * *text_len is the length of the signed text at the start of note.
 * 0 = verified, -1 = not (malformed, v's signature missing or bad).
 */
int tlog_note_open(const char *note, size_t len, const struct tlog_verifier *v,
    size_t *text_len) TLOG_WUR;

struct tlog_checkpoint {
	char origin[TLOG_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[TLOG_HASH_LEN];
	char ext[TLOG_CHECKPOINT_EXT_MAX + 1];	/* extension lines, raw */
	size_t ext_len;
};

/* Checkpoint text: origin, size, base64 root, extension lines. out gets it
 * NUL-terminated, *len without the NUL. -1 on a bad origin/ext or small cap. */
int tlog_checkpoint_format(const struct tlog_checkpoint *c, char *out,
    size_t cap, size_t *len);

/* Parse checkpoint text (exactly: decimal size without leading zeros,
 * canonical 32-byte base64 root, non-empty extension lines). 0 or -1. */
int tlog_checkpoint_parse(const char *text, size_t len,
    struct tlog_checkpoint *c) TLOG_WUR;

/* Format and sign: a complete signed checkpoint note in out. */
int tlog_checkpoint_sign(const struct tlog_signer *s,
    const struct tlog_checkpoint *c, char *out, size_t cap, size_t *len);

/*
 * Open a signed checkpoint: tlog_note_open(), then parse, then (if origin is
 * not NULL) require that exact origin line. 0 = verified checkpoint in *c.
 */
int tlog_checkpoint_open(const char *note, size_t len,
    const struct tlog_verifier *v, const char *origin,
    struct tlog_checkpoint *c) TLOG_WUR;

#endif
