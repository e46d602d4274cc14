/*
 * sealtool — make the keys, keyrings and sealed objects the end-to-end
 * tests need, with the core library (what the agent and the CLI will do).
 *
 *	sealtool camera DIR              camera key: DIR/cam.sk; prints "id pk"
 *	sealtool vault DIR               owner vault: DIR/box.{pk,sk} DIR/sign.{pk,sk}; prints "box_pk sign_pk"
 *	sealtool keyring VAULTDIR CAMID EPOCH BOXPK... > keyring.b64
 *	                                 keyring signed by VAULTDIR's sign key (base64)
 *	sealtool seal CAMDIR KIND SEQ START_MS DUR_MS EPOCH FLAGS SIZE PATTERN BOXPK > obj
 *	                                 sealed object; PATTERN random|mp4|jpeg|zero
 *	sealtool open VAULTDIR CAMPK KIND SEQ < obj
 *	                                 verify and decrypt; prints plaintext size
 *	sealtool plain PATTERN SIZE      the plaintext seal would use (for checkers)
 *	sealtool resign CAMDIR < obj     same object, trailer signed by CAMDIR's key
 *	sealtool live CAMDIR SESSION EPOCH BOXPK NFRAG > stream
 *	                                 a whole live stream (head, INIT, NFRAG
 *	                                 fragments of 1000 'mp4' bytes, END) for
 *	                                 session id SESSION (32 hex)
 *
 * Keys are stored hex-encoded, one per file. Exit 0 on success.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "keyring.h"
#include "live.h"
#include "seg.h"

static int
save_hex(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[4096], hex[2 * 64 + 1];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	sodium_bin2hex(hex, sizeof(hex), b, n);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f, "%s\n", hex);
	return fclose(f);
}

static int
load_hex(const char *dir, const char *name, uint8_t *b, size_t n)
{
	char path[4096], hex[2 * 64 + 2];
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL || fgets(hex, sizeof(hex), f) == NULL) {
		fprintf(stderr, "sealtool: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	hex[strcspn(hex, "\n")] = '\0';
	return sodium_hex2bin(b, n, hex, strlen(hex), NULL, &len, NULL) == 0 && len == n ? 0 : -1;
}

static int
hexarg(const char *s, uint8_t *b, size_t n)
{
	size_t len = 0;

	return sodium_hex2bin(b, n, s, strlen(s), NULL, &len, NULL) == 0 && len == n ? 0 : -1;
}

static void
print_hex(const uint8_t *b, size_t n)
{
	char hex[2 * 64 + 1];

	sodium_bin2hex(hex, sizeof(hex), b, n);
	fputs(hex, stdout);
}

static unsigned long long
num(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	if (*end != '\0') {
		fprintf(stderr, "sealtool: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

/* Plaintext that looks like what must never appear at rest in clear:
 * "mp4": MP4 boxes (ftyp, moov, moof, mdat) with Annex B H.264 NAL units
 * (SPS, PPS, IDR) inside; "jpeg": JPEG start-of-image markers. */
static void
fill(uint8_t *pt, size_t n, const char *pattern)
{
	static const uint8_t nal[] = { 0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1e, 0, 0, 0, 1,
	    0x68, 0xce, 0x3c, 0x80, 0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00 };

	if (strcmp(pattern, "random") == 0) {
		randombytes_buf(pt, n);
		return;
	}
	memset(pt, 0x11, n);
	for (size_t i = 0; i + 512 <= n; i += 512) {
		if (strcmp(pattern, "mp4") == 0) {
			static const char *const boxes[] = { "ftyp", "moov", "moof", "mdat" };
			memcpy(pt + i, "\x00\x00\x02\x00", 4);     /* box size 512 */
			memcpy(pt + i + 4, boxes[(i / 512) % 4], 4);
			memcpy(pt + i + 16, nal, sizeof(nal));
		} else if (strcmp(pattern, "jpeg") == 0) {
			memcpy(pt + i, "\xff\xd8\xff\xe0\x00\x10JFIF", 10);
		}
	}
}

/* Replace the trailer with a signature by another camera key over the same
 * header and body: "a segment signed by another key". */
static int
resign(const char *dir)
{
	uint8_t sk[64], *in = NULL, msg[80], hh[32], bh[32];
	size_t len = 0, cap = 0, hlen;

	if (load_hex(dir, "cam.sk", sk, 64) != 0)
		return 1;
	for (;;) {
		size_t n;
		if (len == cap && (in = realloc(in, cap = cap ? cap * 2 : 1 << 20)) == NULL)
			return 1;
		if ((n = fread(in + len, 1, cap - len, stdin)) == 0)
			break;
		len += n;
	}
	hlen = len > 8 ? SEG_HEADER_FIXED + (size_t)in[7] * SEG_STANZA_BYTES : len;
	if (len < hlen + SEG_TRAILER_BYTES)
		return 1;
	crypto_generichash(hh, 32, in, hlen, NULL, 0);
	crypto_generichash(bh, 32, in + hlen, len - hlen - SEG_TRAILER_BYTES, NULL, 0);
	memcpy(msg, SEG_SIG_PREFIX, 16);
	memcpy(msg + 16, hh, 32);
	memcpy(msg + 48, bh, 32);
	crypto_sign_detached(in + len - SEG_TRAILER_BYTES, NULL, msg, sizeof(msg), sk);
	fwrite(in, 1, len, stdout);
	free(in);
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
write_out(void *cookie, const uint8_t *buf, size_t len)
{
	return fwrite(buf, 1, len, cookie) == len ? 0 : -1;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0 || argc < 3)
		goto usage;
	if (strcmp(argv[1], "camera") == 0 || strcmp(argv[1], "vault") == 0)
		(void)mkdir(argv[2], 0700);

	if (strcmp(argv[1], "camera") == 0) {
		uint8_t pk[32], sk[64], id[16];
		crypto_sign_keypair(pk, sk);
		seg_camera_id(pk, id);
		if (save_hex(argv[2], "cam.sk", sk, 64) != 0 || save_hex(argv[2], "cam.pk", pk, 32) != 0)
			return 1;
		print_hex(id, 16);
		putchar(' ');
		print_hex(pk, 32);
		putchar('\n');
		return 0;
	}
	if (strcmp(argv[1], "vault") == 0) {
		uint8_t bpk[32], bsk[32], spk[32], ssk[64];
		crypto_box_keypair(bpk, bsk);
		crypto_sign_keypair(spk, ssk);
		if (save_hex(argv[2], "box.pk", bpk, 32) || save_hex(argv[2], "box.sk", bsk, 32) ||
		    save_hex(argv[2], "sign.pk", spk, 32) || save_hex(argv[2], "sign.sk", ssk, 64))
			return 1;
		print_hex(bpk, 32);
		putchar(' ');
		print_hex(spk, 32);
		putchar('\n');
		return 0;
	}
	if (strcmp(argv[1], "keyring") == 0 && argc >= 6) {
		static struct keyring kr;
		uint8_t ssk[64], out[KEYRING_MAX_BYTES];
		char b64[sodium_base64_ENCODED_LEN(KEYRING_MAX_BYTES, sodium_base64_VARIANT_ORIGINAL)];
		size_t len;
		int r;

		if (load_hex(argv[2], "sign.sk", ssk, 64) != 0 || hexarg(argv[3], kr.camera_id, 16) != 0)
			goto usage;
		kr.epoch = (uint32_t)num(argv[4]);
		kr.issued_ms = 1;
		for (int i = 5; i < argc && kr.n < KEYRING_MAX_RECIPIENTS; i++, kr.n++) {
			if (hexarg(argv[i], kr.r[kr.n].pk, 32) != 0)
				goto usage;
			kr.r[kr.n].role = i == 5 ? KEYRING_ROLE_OWNER : KEYRING_ROLE_MEMBER;
			snprintf(kr.r[kr.n].label, sizeof(kr.r[kr.n].label), "r%d", i - 5);
		}
		if ((r = keyring_sign(&kr, ssk, out, sizeof(out), &len)) != KEYRING_OK) {
			fprintf(stderr, "sealtool: keyring: %s\n", keyring_strerror(r));
			return 1;
		}
		sodium_bin2base64(b64, sizeof(b64), out, len, sodium_base64_VARIANT_ORIGINAL);
		puts(b64);
		return 0;
	}
	if (strcmp(argv[1], "seal") == 0 && argc == 12) {
		struct seg_seal_params p;
		uint8_t sk[64], rcpt[1][32], *pt;
		size_t size = (size_t)num(argv[9]);
		int r;

		memset(&p, 0, sizeof(p));
		if (load_hex(argv[2], "cam.sk", sk, 64) != 0 || hexarg(argv[11], rcpt[0], 32) != 0)
			goto usage;
		p.kind = (uint8_t)num(argv[3]);
		p.seq = num(argv[4]);
		p.start_ms = num(argv[5]);
		p.duration_ms = (uint32_t)num(argv[6]);
		p.epoch = (uint32_t)num(argv[7]);
		p.flags = (uint8_t)num(argv[8]);
		p.recipients = (const uint8_t (*)[32])rcpt;
		p.nrecipients = 1;
		if ((pt = malloc(size ? size : 1)) == NULL)
			return 1;
		fill(pt, size, argv[10]);
		{
			struct seg_sealer *s = seg_sealer_new(&p, sk, write_out, stdout);
			if (s == NULL) {
				fprintf(stderr, "sealtool: seal: %s\n", seg_strerror(seg_last_error()));
				return 1;
			}
			/* Feed in odd chunks: the streaming path, as the agent does. */
			for (size_t off = 0; off < size; off += 100003) {
				size_t n = size - off < 100003 ? size - off : 100003;
				if ((r = seg_sealer_write(s, pt + off, n)) != SEG_OK)
					return 1;
			}
			r = seg_sealer_finish(s);
			seg_sealer_free(s);
		}
		free(pt);
		return r == SEG_OK && fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "plain") == 0 && argc == 4) {
		size_t size = (size_t)num(argv[3]);
		uint8_t *pt = malloc(size ? size : 1);
		if (pt == NULL)
			return 1;
		fill(pt, size, argv[2]);
		fwrite(pt, 1, size, stdout);
		free(pt);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "resign") == 0)
		return resign(argv[2]);
	if (strcmp(argv[1], "live") == 0 && argc == 7) {
		uint8_t sk[64], rcpt[1][32], sid[16], head[LIVE_HEAD_MAX];
		uint8_t pt[1000], rec[LIVE_RECORD_SIZE(1000)];
		struct live_params p;
		struct live_sealer *ls;
		size_t hl;
		uint64_t now = (uint64_t)time(NULL) * 1000;
		unsigned nfrag = (unsigned)num(argv[6]);

		if (load_hex(argv[2], "cam.sk", sk, 64) != 0 || hexarg(argv[3], sid, 16) != 0 ||
		    hexarg(argv[5], rcpt[0], 32) != 0)
			goto usage;
		memset(&p, 0, sizeof(p));
		p.session_seq = live_session_seq(sid);
		p.start_ms = now;
		p.epoch = (uint32_t)num(argv[4]);
		p.recipients = (const uint8_t (*)[32])rcpt;
		p.nrecipients = 1;
		if ((ls = live_sealer_new(&p, sk, head, &hl)) == NULL)
			return 1;
		fwrite(head, 1, hl, stdout);
		fill(pt, sizeof(pt), "mp4");
		for (unsigned i = 0; i <= nfrag + 1; i++) {
			uint8_t type = i == 0 ? LIVE_REC_INIT : i <= nfrag ? LIVE_REC_FRAG : LIVE_REC_END;
			size_t n = type == LIVE_REC_END ? 0 : sizeof(pt);
			if (live_seal(ls, type, type == LIVE_REC_FRAG && i == 1 ? LIVE_FLAG_KEY : 0,
			    now + i, pt, n, rec) != LIVE_OK)
				return 1;
			fwrite(rec, 1, LIVE_RECORD_SIZE(n), stdout);
		}
		live_sealer_free(ls);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "open") == 0 && argc == 6) {
		struct seg_expect e;
		uint8_t bpk[32], bsk[32], cpk[32], *in = NULL, *pt = NULL;
		size_t len = 0, cap = 0, ptlen = 0;
		int r;

		if (load_hex(argv[2], "box.pk", bpk, 32) || load_hex(argv[2], "box.sk", bsk, 32) ||
		    hexarg(argv[3], cpk, 32))
			goto usage;
		for (;;) {
			if (len == cap && (in = realloc(in, cap = cap ? cap * 2 : 1 << 20)) == NULL)
				return 1;
			size_t n = fread(in + len, 1, cap - len, stdin);
			if (n == 0)
				break;
			len += n;
		}
		memset(&e, 0, sizeof(e));
		e.camera_pk = cpk;
		e.kind = (uint8_t)num(argv[4]);
		e.check_seq = 1;
		e.seq = num(argv[5]);
		r = seg_open_buf(&e, bpk, bsk, in, len, &pt, &ptlen, NULL);
		if (r != SEG_OK) {
			fprintf(stderr, "sealtool: open: %s\n", seg_strerror(r));
			return 1;
		}
		printf("%zu\n", ptlen);
		free(pt);
		free(in);
		return 0;
	}
usage:
	fprintf(stderr, "usage: see the comment at the top of tests/tools/sealtool.c\n");
	return 2;
}
