/*
 * codec — hex, Crockford base32, base64 (libsodium's constant-time coders
 * for hex and base64; base32 here, as libsodium has none).
 */
#include <sodium.h>
#include <string.h>

#include "codec.h"

static const char b32_alphabet[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static size_t
too_small(char *out, size_t outsz)
{
	if (outsz > 0)
		out[0] = '\0';
	return (size_t)-1;
}

size_t
codec_hex_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	if (n > (SIZE_MAX - 1) / 2 || outsz < n * 2 + 1)
		return too_small(out, outsz);
	sodium_bin2hex(out, outsz, in, n);
	return n * 2;
}

int
codec_hex_decode(const char *hex, uint8_t *out, size_t outlen)
{
	size_t hexlen = strlen(hex), binlen = 0;
	const char *end = NULL;

	if (hexlen != outlen * 2)
		return -1;
	if (sodium_hex2bin(out, outlen, hex, hexlen, NULL, &binlen, &end) != 0 ||
	    binlen != outlen || end != hex + hexlen)
		return -1;
	return 0;
}

int
codec_b32_value(char c)
{
	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	/* Crockford: I and L read as 1, O as 0; U is not a symbol. */
	if (c == 'I' || c == 'L')
		return 1;
	if (c == 'O')
		return 0;
	for (int i = 0; i < 32; i++)
		if (b32_alphabet[i] == c)
			return i;
	return -1;
}

char
codec_b32_char(unsigned v)
{
	return b32_alphabet[v & 31];
}

size_t
codec_b32_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	size_t need, o = 0;
	unsigned acc = 0, bits = 0;

	if (n > (SIZE_MAX - 5) / 8)
		return too_small(out, outsz);
	need = (n * 8 + 4) / 5;
	if (outsz < need + 1)
		return too_small(out, outsz);
	/* Big-endian bit order: the first symbol is the top 5 bits of in[0]. */
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 31];
		}
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
	return o;
}

int
codec_b32_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	unsigned acc = 0, bits = 0;
	size_t o = 0;

	for (size_t i = 0; i < slen; i++) {
		int v;

		if (s[i] == '-' || s[i] == ' ')
			continue;
		if ((v = codec_b32_value(s[i])) < 0)
			return -1;
		acc = (acc << 5) | (unsigned)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outmax)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	/* Canonical: fewer than 5 leftover bits, and all of them zero. */
	if (bits >= 5 || acc != 0)
		return -1;
	*outlen = o;
	return 0;
}

static size_t
b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz, int variant)
{
	size_t need;

	if (n > SIZE_MAX / 2)
		return too_small(out, outsz);
	need = sodium_base64_encoded_len(n, variant);
	if (outsz < need)
		return too_small(out, outsz);
	sodium_bin2base64(out, outsz, in, n, variant);
	return strlen(out);
}

static int
b64_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *outlen, int variant)
{
	const char *end = NULL;
	size_t n = 0;

	if (sodium_base642bin(out, outmax, s, slen, NULL, &n, &end, variant) != 0 ||
	    end != s + slen)
		return -1;
	*outlen = n;
	return 0;
}

size_t
codec_b64_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	return b64_encode(in, n, out, outsz, sodium_base64_VARIANT_ORIGINAL);
}

size_t
codec_b64url_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	return b64_encode(in, n, out, outsz,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
codec_b64_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	return b64_decode(s, slen, out, outmax, outlen,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
codec_b64url_decode(const char *s, size_t slen, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	return b64_decode(s, slen, out, outmax, outlen,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
codec_utf8_printable(const uint8_t *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t len;
		uint8_t b = s[i];

		if (b < 0x80) {
			if (b < 0x20 || b == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			len = 2;
			cp = b & 0x1f;
		} else if (b >= 0xe0 && b <= 0xef) {
			len = 3;
			cp = b & 0x0f;
		} else if (b >= 0xf0 && b <= 0xf4) {
			len = 4;
			cp = b & 0x07;
		} else {
			return 0;	/* continuation byte, overlong lead, > U+10FFFF */
		}
		if (len > n - i)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Shortest form, no surrogates, in range, no C1 controls. */
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += len;
	}
	return 1;
}
