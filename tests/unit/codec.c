/*
 * codec — encodings round-trip, decoders are strict, sizes are respected.
 */
#include <sodium.h>

#include "codec.h"
#include "t.h"

int
main(void)
{
	uint8_t in[64], out[64];
	char s[256];
	size_t n;

	if (sodium_init() < 0)
		return 1;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 1);

	t_case("hex: lowercase out, exact length in");
	T_EQ(codec_hex_encode((const uint8_t *)"\x01\xab\xff", 3, s, sizeof(s)), 6);
	T_ASSERT(strcmp(s, "01abff") == 0);
	T_EQ(codec_hex_decode("01ABff", out, 3), 0);
	T_MEMEQ(out, "\x01\xab\xff", 3);
	T_EQ(codec_hex_decode("01abf", out, 3), -1);
	T_EQ(codec_hex_decode("01abff00", out, 3), -1);
	T_EQ(codec_hex_decode("01abfg", out, 3), -1);
	T_EQ(codec_hex_encode(in, 3, s, 6), (size_t)-1);	/* no room for NUL */
	T_EQ(s[0], '\0');

	t_case("base32: Crockford alphabet, known values, every length round-trips");
	T_EQ(codec_b32_encode((const uint8_t *)"\x00\x44\x32\x14\xc7", 5, s,
	    sizeof(s)), 8);
	T_ASSERT(strcmp(s, "01234567") == 0);
	T_EQ(codec_b32_encode((const uint8_t *)"\xff", 1, s, sizeof(s)), 2);
	T_ASSERT(strcmp(s, "ZW") == 0);
	for (size_t len = 0; len <= sizeof(in); len++) {
		size_t el = codec_b32_encode(in, len, s, sizeof(s));
		T_EQ(el, (len * 8 + 4) / 5);
		T_EQ(codec_b32_decode(s, el, out, sizeof(out), &n), 0);
		T_EQ(n, len);
		T_ASSERT(memcmp(in, out, len) == 0);
	}

	t_case("base32: case, look-alikes and separators fold; junk is refused");
	T_EQ(codec_b32_decode("o1-23 il11", 10, out, sizeof(out), &n), 0);
	{
		uint8_t ref[8];
		size_t rn;
		T_EQ(codec_b32_decode("01231111", 8, ref, sizeof(ref), &rn), 0);
		T_EQ(n, rn);
		T_ASSERT(memcmp(out, ref, n) == 0);
	}
	T_EQ(codec_b32_value('u'), -1);
	T_EQ(codec_b32_value('z'), 31);
	T_EQ(codec_b32_decode("ZU", 2, out, sizeof(out), &n), -1);
	T_EQ(codec_b32_decode("ZZ", 2, out, sizeof(out), &n), -1);	/* bits left */
	T_EQ(codec_b32_decode("Z", 1, out, sizeof(out), &n), -1);	/* bad length */
	T_EQ(codec_b32_decode("ZZZZZZZZ", 8, out, 4, &n), -1);	/* overflow */

	t_case("base64 and base64url: round-trip, strict");
	for (size_t len = 0; len <= 10; len++) {
		size_t el = codec_b64_encode(in, len, s, sizeof(s));
		T_EQ(el, ((len + 2) / 3) * 4);
		T_EQ(codec_b64_decode(s, el, out, sizeof(out), &n), 0);
		T_ASSERT(n == len && memcmp(in, out, len) == 0);
		el = codec_b64url_encode(in, len, s, sizeof(s));
		T_ASSERT(strchr(s, '=') == NULL);
		T_EQ(codec_b64url_decode(s, el, out, sizeof(out), &n), 0);
		T_ASSERT(n == len && memcmp(in, out, len) == 0);
	}
	T_EQ(codec_b64_decode("AAE", 3, out, sizeof(out), &n), -1);	/* no pad */
	T_EQ(codec_b64url_decode("a+b", 3, out, sizeof(out), &n), -1);
	T_EQ(codec_b64_decode("AAAAAA==", 8, out, 2, &n), -1);	/* overflow */
	T_EQ(codec_b64_encode(in, 3, s, 4), (size_t)-1);

	t_case("UTF-8 labels: well-formed and printable only");
#define U8(lit) codec_utf8_printable((const uint8_t *)(lit), sizeof(lit) - 1)
	T_EQ(U8(""), 1);
	T_EQ(U8("Front door"), 1);
	T_EQ(U8("K\xc3\xbc" "che \xe2\x82\xac \xf0\x9f\x93\xb7"), 1);	/* Küche € camera */
	T_EQ(U8("tab\there"), 0);
	T_EQ(U8("del\x7f"), 0);
	T_EQ(U8("\xc2\x85"), 0);		/* C1 control NEL */
	T_EQ(U8("\xc0\xaf"), 0);		/* overlong '/' */
	T_EQ(U8("\xe0\x80\xaf"), 0);	/* overlong, 3 bytes */
	T_EQ(U8("\xed\xa0\x80"), 0);	/* surrogate */
	T_EQ(U8("\xf4\x90\x80\x80"), 0);	/* > U+10FFFF */
	T_EQ(U8("\xe2\x82"), 0);		/* cut short */
	T_EQ(U8("\x80"), 0);		/* stray continuation */
#undef U8

	t_case("big-endian helpers");
	codec_put_be64(out, 0x0102030405060708ull);
	T_MEMEQ(out, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	T_ASSERT(codec_get_be64(out) == 0x0102030405060708ull);
	T_EQ(codec_get_be32(out + 4), 0x05060708);
	codec_put_be16(out, 0xabcd);
	T_EQ(codec_get_be16(out), 0xabcd);
	return t_done();
}
