/*
 * granttool — consent grants for tests that drive the HTTP API directly
 * (the authorization matrix), made with the core library as the CLI does.
 *
 *	granttool original VAULTDIR CAMPK STAFFDIR EXPIRES_MS SEGFILE...
 *	    the PUT /v1/grants/{id} body (4-byte length, signed document) of an
 *	    original-mode grant of the sealed segments SEGFILE... (sealed to
 *	    VAULTDIR's box key) to STAFFDIR's keys, signed by VAULTDIR's sign
 *	    key; the grant id is bytes 12..27 of the output
 *	granttool revoke VAULTDIR GRANT-ID-HEX
 *	    a signed revocation, base64
 *
 * VAULTDIR and STAFFDIR are sealtool vault directories (box.pk, box.sk,
 * sign.pk, sign.sk, hex). Exit 0 on success.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "codec.h"
#include "fsutil.h"
#include "grant.h"
#include "seg.h"

static int
load_hex(const char *dir, const char *name, uint8_t *b, size_t n)
{
	char path[4096], hex[2 * 64 + 2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL || fgets(hex, sizeof(hex), f) == NULL) {
		fprintf(stderr, "granttool: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	hex[strcspn(hex, "\n")] = '\0';
	return codec_hex_decode(hex, b, n);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
original(int argc, char **argv)
{
	static uint8_t doc[GRANT_MAX_BYTES + 4];
	uint8_t box_pk[32], box_sk[32], sign_sk[64];
	struct grant g;
	size_t len;
	int n = argc - 6;

	memset(&g, 0, sizeof(g));
	if (n < 1 || load_hex(argv[2], "box.pk", box_pk, 32) != 0 ||
	    load_hex(argv[2], "box.sk", box_sk, 32) != 0 ||
	    load_hex(argv[2], "sign.sk", sign_sk, 64) != 0 ||
	    codec_hex_decode(argv[3], g.camera_pk, 32) != 0 ||
	    load_hex(argv[4], "box.pk", g.grantee_box_pk, 32) != 0 ||
	    load_hex(argv[4], "sign.pk", g.grantee_sign_pk, 32) != 0)
		return 1;
	if ((g.obj = calloc((size_t)n, sizeof(*g.obj))) == NULL)
		return 1;
	g.mode = GRANT_MODE_ORIGINAL;
	randombytes_buf(g.grant_id, sizeof(g.grant_id));
	g.created_ms = now_ms();
	g.expires_ms = strtoull(argv[5], NULL, 10);
	snprintf(g.purpose, sizeof(g.purpose), "test grant");
	for (int i = 0; i < n; i++) {
		struct seg_header h;
		uint8_t *buf = NULL;
		size_t blen = 0;

		if (fsutil_read_bounded(argv[6 + i], (size_t)SEG_MAX_SEALED, &buf, &blen) != 0 ||
		    seg_header_parse(buf, blen, &h) != SEG_OK ||
		    seg_rewrap(&h, box_pk, box_sk, g.grantee_box_pk, g.obj[i].sealed_key) != SEG_OK) {
			fprintf(stderr, "granttool: %s: not a segment sealed to the vault\n", argv[6 + i]);
			return 1;
		}
		g.obj[i].kind = h.kind;
		g.obj[i].seq = h.seq;
		g.obj[i].start_ms = h.start_ms;
		g.obj[i].duration_ms = h.duration_ms;
		memcpy(g.obj[i].header_hash, h.hash, 32);
		if (i == 0 || h.start_ms < g.from_ms)
			g.from_ms = h.start_ms;
		if (h.start_ms + h.duration_ms > g.until_ms)
			g.until_ms = h.start_ms + h.duration_ms;
		free(buf);
	}
	g.n = (unsigned)n;
	if (grant_sign(&g, sign_sk, doc + 4, sizeof(doc) - 4, &len) != GRANT_OK) {
		fprintf(stderr, "granttool: cannot sign\n");
		return 1;
	}
	codec_put_be32(doc, (uint32_t)len);
	fwrite(doc, 1, len + 4, stdout);
	free(g.obj);
	sodium_memzero(sign_sk, sizeof(sign_sk));
	sodium_memzero(box_sk, sizeof(box_sk));
	return 0;
}

static int
revoke_one(char **argv)
{
	struct grant_revocation r;
	uint8_t sign_sk[64], rev[GRANT_REVOCATION_BYTES];
	char b64[CODEC_B64_LEN(GRANT_REVOCATION_BYTES)];

	if (load_hex(argv[2], "sign.sk", sign_sk, 64) != 0 ||
	    codec_hex_decode(argv[3], r.grant_id, 16) != 0)
		return 1;
	r.revoked_ms = now_ms();
	if (grant_revocation_sign(&r, sign_sk, rev) != GRANT_OK)
		return 1;
	codec_b64_encode(rev, sizeof(rev), b64, sizeof(b64));
	printf("%s\n", b64);
	sodium_memzero(sign_sk, sizeof(sign_sk));
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc >= 7 && strcmp(argv[1], "original") == 0)
		return original(argc, argv);
	if (argc == 4 && strcmp(argv[1], "revoke") == 0)
		return revoke_one(argv);
	fprintf(stderr, "usage: granttool original VAULTDIR CAMPK STAFFDIR EXPIRES_MS SEGFILE...\n"
	    "       granttool revoke VAULTDIR GRANT-ID-HEX\n");
	return 2;
}
