/*
 * tlog_note.c — C2SP signed notes (Ed25519) and tlog checkpoints.
 *
 * Everything read here may come from a hostile server: the whole note is
 * bounded, checked for UTF-8 and control characters before anything else,
 * and only our configured key's signature decides.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tlog_note.h"

#define SIG_ED25519 0x01
#define EMDASH_SP "\xe2\x80\x94 "	/* U+2014 then a space */
#define SIG_BLOB_MAX 8192		/* decoded signature line, bytes */

struct tlog_signer {
	char name[TLOG_NAME_MAX + 1];
	uint32_t id;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

struct tlog_verifier {
	char name[TLOG_NAME_MAX + 1];
	uint32_t id;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
};

/* --- text checks -------------------------------------------------------- */

/* Length of the UTF-8 sequence at s (n bytes available), code point in
 * *cp; 0 if invalid (overlong, surrogate, beyond U+10FFFF, truncated). */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		c = s[0] & 0x1f;
		len = 2;
	} else if ((s[0] & 0xf0) == 0xe0) {
		c = s[0] & 0x0f;
		len = 3;
	} else if ((s[0] & 0xf8) == 0xf0) {
		c = s[0] & 0x07;
		len = 4;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || c > 0x10ffff ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Valid UTF-8 without control characters other than newline. */
static int text_ok(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_next(p + i, n - i, &cp);

		if (l == 0 || (cp < 0x20 && cp != '\n') || cp == 0x7f)
			return 0;
		i += l;
	}
	return 1;
}

/* Unicode White_Space (what Go's unicode.IsSpace reports). */
static int is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/* Key name: non-empty, UTF-8, no spaces, no '+', no control characters. */
static int name_ok(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	if (n == 0 || n > TLOG_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t l = utf8_next(p + i, n - i, &cp);

		if (l == 0 || cp < 0x20 || cp == 0x7f || cp == '+' ||
		    is_space(cp))
			return 0;
		i += l;
	}
	return 1;
}

/* Strict standard base64 of exactly n characters. */
static int b64_decode(const char *s, size_t n, uint8_t *out, size_t cap,
    size_t *len)
{
	const char *end;

	if (n == 0)
		return -1;
	if (sodium_base642bin(out, cap, s, n, NULL, len, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n)
		return -1;
	return 0;
}

/* --- keys --------------------------------------------------------------- */

uint32_t tlog_key_id(const char *name, const uint8_t pk[32])
{
	crypto_hash_sha256_state st;
	uint8_t h[crypto_hash_sha256_BYTES];
	static const uint8_t sep[2] = { '\n', SIG_ED25519 };

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&st, sep, sizeof(sep));
	crypto_hash_sha256_update(&st, pk, 32);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
}

static struct tlog_signer *signer_from_seed(const char *name, size_t name_len,
    const uint8_t seed[crypto_sign_SEEDBYTES])
{
	struct tlog_signer *s;

	if (!name_ok(name, name_len))
		return NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	memcpy(s->name, name, name_len);
	crypto_sign_seed_keypair(s->pk, s->sk, seed);
	s->id = tlog_key_id(s->name, s->pk);
	return s;
}

struct tlog_signer *tlog_signer_generate(const char *name)
{
	uint8_t seed[crypto_sign_SEEDBYTES];
	struct tlog_signer *s;

	randombytes_buf(seed, sizeof(seed));
	s = signer_from_seed(name, strlen(name), seed);
	sodium_memzero(seed, sizeof(seed));
	return s;
}

/* Split "<name>+<8 hex>+<base64>" (the tail after any fixed prefix). */
static int split_key(const char *k, size_t *name_len, uint32_t *id,
    const char **b64)
{
	const char *plus = strchr(k, '+');
	unsigned long v;
	char hex[9], *end;

	if (plus == NULL)
		return -1;
	*name_len = (size_t)(plus - k);
	if (strlen(plus + 1) < 10 || plus[9] != '+')
		return -1;
	memcpy(hex, plus + 1, 8);
	hex[8] = '\0';
	for (int i = 0; i < 8; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f')))
			return -1;
	v = strtoul(hex, &end, 16);
	*id = (uint32_t)v;
	*b64 = plus + 10;
	return 0;
}

struct tlog_signer *tlog_signer_parse(const char *skey)
{
	static const char prefix[] = "PRIVATE+KEY+";
	uint8_t raw[1 + crypto_sign_SEEDBYTES + 4];
	struct tlog_signer *s = NULL;
	size_t name_len, n;
	const char *b64;
	uint32_t id;

	if (strncmp(skey, prefix, sizeof(prefix) - 1) != 0)
		return NULL;
	skey += sizeof(prefix) - 1;
	if (split_key(skey, &name_len, &id, &b64) != 0 ||
	    b64_decode(b64, strlen(b64), raw, sizeof(raw), &n) != 0 ||
	    n != 1 + crypto_sign_SEEDBYTES || raw[0] != SIG_ED25519)
		goto out;
	s = signer_from_seed(skey, name_len, raw + 1);
	if (s != NULL && s->id != id) {
		tlog_signer_free(s);
		s = NULL;
	}
out:
	sodium_memzero(raw, sizeof(raw));
	return s;
}

static int key_string(char *out, size_t cap, const char *prefix,
    const char *name, uint32_t id, const uint8_t *key32)
{
	uint8_t raw[33];
	char b64[64];
	int n;

	raw[0] = SIG_ED25519;
	memcpy(raw + 1, key32, 32);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, cap, "%s%s+%08x+%s", prefix, name, (unsigned)id, b64);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= cap) {
		sodium_memzero(out, cap);
		return -1;
	}
	return 0;
}

int tlog_signer_skey(const struct tlog_signer *s, char *out, size_t cap)
{
	/* libsodium's secret key is seed || public key. */
	return key_string(out, cap, "PRIVATE+KEY+", s->name, s->id, s->sk);
}

int tlog_signer_vkey(const struct tlog_signer *s, char *out, size_t cap)
{
	return key_string(out, cap, "", s->name, s->id, s->pk);
}

const char *tlog_signer_name(const struct tlog_signer *s)
{
	return s->name;
}

void tlog_signer_free(struct tlog_signer *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof(*s));
	free(s);
}

struct tlog_verifier *tlog_verifier_parse(const char *vkey)
{
	uint8_t raw[1 + crypto_sign_PUBLICKEYBYTES + 4];
	struct tlog_verifier *v;
	size_t name_len, n;
	const char *b64;
	uint32_t id;

	if (split_key(vkey, &name_len, &id, &b64) != 0 ||
	    !name_ok(vkey, name_len) ||
	    b64_decode(b64, strlen(b64), raw, sizeof(raw), &n) != 0 ||
	    n != 1 + crypto_sign_PUBLICKEYBYTES || raw[0] != SIG_ED25519)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return NULL;
	memcpy(v->name, vkey, name_len);
	memcpy(v->pk, raw + 1, sizeof(v->pk));
	v->id = tlog_key_id(v->name, v->pk);
	if (v->id != id) {
		free(v);
		return NULL;
	}
	return v;
}

void tlog_verifier_free(struct tlog_verifier *v)
{
	free(v);
}

/* --- notes -------------------------------------------------------------- */

int tlog_note_sign(const struct tlog_signer *s, const char *text,
    size_t text_len, char *out, size_t cap, size_t *out_len)
{
	uint8_t blob[4 + crypto_sign_BYTES];
	char b64[sizeof(blob) * 4 / 3 + 4];
	size_t name_len = strlen(s->name), need;

	if (text_len == 0 || text[text_len - 1] != '\n' ||
	    text_len > TLOG_NOTE_MAX || !text_ok(text, text_len))
		return -1;
	blob[0] = (uint8_t)(s->id >> 24);
	blob[1] = (uint8_t)(s->id >> 16);
	blob[2] = (uint8_t)(s->id >> 8);
	blob[3] = (uint8_t)s->id;
	crypto_sign_detached(blob + 4, NULL, (const uint8_t *)text, text_len,
	    s->sk);
	sodium_bin2base64(b64, sizeof(b64), blob, sizeof(blob),
	    sodium_base64_VARIANT_ORIGINAL);
	need = text_len + 1 + strlen(EMDASH_SP) + name_len + 1 + strlen(b64) + 1;
	if (need > cap)
		return -1;
	/* text, blank line, "— name sig\n" */
	memmove(out, text, text_len);
	snprintf(out + text_len, cap - text_len, "\n" EMDASH_SP "%s %s\n",
	    s->name, b64);
	*out_len = need;
	return 0;
}

int tlog_note_open(const char *note, size_t len, const struct tlog_verifier *v,
    size_t *text_len)
{
	uint8_t blob[SIG_BLOB_MAX];
	size_t split, off, nsigs = 0;
	int verified = 0;

	*text_len = 0;
	if (len < 2 || len > TLOG_NOTE_MAX || !text_ok(note, len) ||
	    note[len - 1] != '\n')
		return -1;
	/* The text ends at the last blank line. */
	for (split = len - 1; split > 0; split--)
		if (note[split - 1] == '\n' && note[split] == '\n')
			break;
	if (split == 0 || split + 1 >= len)
		return -1;
	off = split + 1;	/* first signature line */

	while (off < len) {
		const char *line = note + off;
		const char *nl = memchr(line, '\n', len - off);
		const char *sp, *b64;
		size_t line_len = (size_t)(nl - line), name_len, n;
		uint32_t id;

		off += line_len + 1;
		if (++nsigs > TLOG_NOTE_SIGS_MAX)
			return -1;
		if (line_len < 4 || memcmp(line, EMDASH_SP, 4) != 0)
			return -1;
		line += 4;
		line_len -= 4;
		sp = memchr(line, ' ', line_len);
		if (sp == NULL)
			return -1;
		name_len = (size_t)(sp - line);
		b64 = sp + 1;
		if (!name_ok(line, name_len) ||
		    b64_decode(b64, line_len - name_len - 1, blob, sizeof(blob),
		    &n) != 0 || n < 5)
			return -1;
		id = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 |
		    (uint32_t)blob[2] << 8 | blob[3];
		/* Unknown signers are ignored (witnesses, rotated keys). */
		if (id != v->id || name_len != strlen(v->name) ||
		    memcmp(line, v->name, name_len) != 0)
			continue;
		if (verified)
			continue;	/* a repeated signature by our key */
		if (n != 4 + crypto_sign_BYTES ||
		    crypto_sign_verify_detached(blob + 4,
		    (const uint8_t *)note, split, v->pk) != 0)
			return -1;
		verified = 1;
	}
	if (!verified)
		return -1;
	*text_len = split;
	return 0;
}

/* --- checkpoints ---------------------------------------------------------- */

int tlog_checkpoint_format(const struct tlog_checkpoint *c, char *out,
    size_t cap, size_t *len)
{
	char root[TLOG_HASH_B64_LEN + 1];
	size_t olen = strnlen(c->origin, sizeof(c->origin));
	int n;

	if (!name_ok(c->origin, olen) || c->ext_len > TLOG_CHECKPOINT_EXT_MAX)
		return -1;
	/* Extension lines: non-empty, each ending in a newline. */
	for (size_t i = 0; i < c->ext_len; i++)
		if (c->ext[i] == '\n' && (i == 0 || c->ext[i - 1] == '\n'))
			return -1;
	if (c->ext_len > 0 && (c->ext[c->ext_len - 1] != '\n' ||
	    !text_ok(c->ext, c->ext_len)))
		return -1;
	tlog_hash_to_b64(c->root, root);
	n = snprintf(out, cap, "%s\n%llu\n%s\n%.*s", c->origin,
	    (unsigned long long)c->size, root, (int)c->ext_len, c->ext);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	*len = (size_t)n;
	return 0;
}

/* One line starting at *off, without its newline; -1 if none. */
static int next_line(const char *s, size_t len, size_t *off,
    const char **line, size_t *line_len)
{
	const char *nl;

	if (*off >= len)
		return -1;
	nl = memchr(s + *off, '\n', len - *off);
	if (nl == NULL)
		return -1;
	*line = s + *off;
	*line_len = (size_t)(nl - *line);
	*off += *line_len + 1;
	return 0;
}

int tlog_checkpoint_parse(const char *text, size_t len,
    struct tlog_checkpoint *c)
{
	const char *line;
	size_t off = 0, n;
	uint64_t size = 0;

	memset(c, 0, sizeof(*c));
	if (len > TLOG_NOTE_MAX || !text_ok(text, len))
		return -1;
	/* origin */
	if (next_line(text, len, &off, &line, &n) != 0 || n == 0 ||
	    n > TLOG_NAME_MAX)
		return -1;
	memcpy(c->origin, line, n);
	/* tree size: decimal, no leading zeros */
	if (next_line(text, len, &off, &line, &n) != 0 || n == 0 || n > 20 ||
	    (line[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)(line[i] - '0');

		if (line[i] < '0' || line[i] > '9' ||
		    size > (UINT64_MAX - d) / 10)
			return -1;
		size = size * 10 + d;
	}
	c->size = size;
	/* root hash */
	if (next_line(text, len, &off, &line, &n) != 0 ||
	    tlog_hash_from_b64(line, n, c->root) != 0)
		return -1;
	/* extension lines */
	if (len - off > TLOG_CHECKPOINT_EXT_MAX)
		return -1;
	c->ext_len = len - off;
	memcpy(c->ext, text + off, c->ext_len);
	while (off < len) {
		if (next_line(text, len, &off, &line, &n) != 0 || n == 0)
			return -1;
	}
	return 0;
}

int tlog_checkpoint_sign(const struct tlog_signer *s,
    const struct tlog_checkpoint *c, char *out, size_t cap, size_t *len)
{
	char text[TLOG_NAME_MAX + 128 + TLOG_CHECKPOINT_EXT_MAX];
	size_t tlen;

	if (tlog_checkpoint_format(c, text, sizeof(text), &tlen) != 0)
		return -1;
	return tlog_note_sign(s, text, tlen, out, cap, len);
}

int tlog_checkpoint_open(const char *note, size_t len,
    const struct tlog_verifier *v, const char *origin,
    struct tlog_checkpoint *c)
{
	size_t tlen;

	memset(c, 0, sizeof(*c));
	if (tlog_note_open(note, len, v, &tlen) != 0 ||
	    tlog_checkpoint_parse(note, tlen, c) != 0)
		return -1;
	if (origin != NULL && strcmp(origin, c->origin) != 0) {
		memset(c, 0, sizeof(*c));
		return -1;
	}
	return 0;
}
