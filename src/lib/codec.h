/*
 * codec — text encodings of binary data and big-endian integers.
 *
 * hex (lowercase), Crockford base32 (docs/FORMAT.md, "Base32"), base64
 * standard with padding (PROTOCOL.md JSON blobs) and base64url without
 * padding (tokens). Decoders are strict and canonical: they accept exactly
 * one spelling of each value (except base32's documented case and look-alike
 * folding) and never write past the output size given.
 */
#ifndef SEALCAM_CODEC_H
#define SEALCAM_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes, plus the NUL. */
#define CODEC_HEX_LEN(n) ((n) * 2 + 1)
#define CODEC_B32_LEN(n) (((n) * 8 + 4) / 5 + 1)
#define CODEC_B64_LEN(n) ((((n) + 2) / 3) * 4 + 1)

/*
 * Encode n bytes into out (outsz bytes, NUL-terminated). Return the string
 * length, or (size_t)-1 when out is too small (out is then "" if outsz > 0).
 */
size_t codec_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
size_t codec_b32_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
size_t codec_b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz);
size_t codec_b64url_encode(const uint8_t *in, size_t n, char *out, size_t outsz);

/*
 * Decode exactly: hex must be 2*outlen lowercase or uppercase digits and
 * nothing else. 0 on success, -1 otherwise (out then unspecified).
 */
int codec_hex_decode(const char *hex, uint8_t *out, size_t outlen);

/*
 * Decode slen characters (hex, base32, base64, base64url) into at most outmax
 * bytes; *outlen gets the count. Base32 accepts lower case and folds I/L to 1
 * and O to 0, ignores '-' and ' ', and requires the unused trailing bits to
 * be zero. 0 on success, -1 on a bad character, length or overflow.
 */
int codec_b32_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *outlen);
int codec_b64_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *outlen);
int codec_b64url_decode(const char *s, size_t slen, uint8_t *out,
    size_t outmax, size_t *outlen);

/*
 * 1 if s[0..n) is well-formed UTF-8 (shortest forms, no surrogates, at most
 * U+10FFFF) without control characters (C0, DEL, C1), else 0. For labels
 * and names shown to people.
 */
int codec_utf8_printable(const uint8_t *s, size_t n);

/* Crockford symbol value of c (case-insensitive, I/L = 1, O = 0), or -1. */
int codec_b32_value(char c);
/* Crockford symbol for a value 0..31. */
char codec_b32_char(unsigned v);

static inline void
codec_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
codec_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline void
codec_put_be64(uint8_t *p, uint64_t v)
{
	codec_put_be32(p, (uint32_t)(v >> 32));
	codec_put_be32(p + 4, (uint32_t)v);
}

static inline uint16_t
codec_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
codec_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t
codec_get_be64(const uint8_t *p)
{
	return (uint64_t)codec_get_be32(p) << 32 | codec_get_be32(p + 4);
}

#endif
