/* grantmk — a grant's objects, made on the owner's device (grantmk.h). */
#include "grantmk.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "acct.h"
#include "anon.h"
#include "cli.h"
#include "fsutil.h"
#include "join.h"
#include "objs.h"
#include "seg.h"
#include "timespec.h"
#include "trust.h"

/* The largest anonymized clip sealed in one derivative. */
#define DERIV_MAX SEG_MAX_PLAINTEXT

/* Fetch, verify and decrypt one segment of the listing; *h its header. */
static int
fetch(struct cli *cli, const struct grantmk_in *in, uint64_t seq, uint8_t **pt,
    size_t *ptlen, struct seg_header *h)
{
	struct objs_reader rd = { in->tc->camera_pk, acct_box_pk(in->me),
	    acct_box_sk(in->me), NULL };
	char why[256];

	if (objs_fetch_open(cli, in->tc->cam_id, SEG_KIND_SEGMENT, "segment", seq, &rd,
	    -1, pt, ptlen, h, why, sizeof(why)) != 0) {
		cli_err(cli, "segment %" PRIu64 " failed verification: %s; nothing was"
		    " granted", seq, why);
		return -1;
	}
	return 0;
}

static void
wipe_free(uint8_t *p, size_t n)
{
	if (p != NULL) {
		sodium_memzero(p, n);
		free(p);
	}
}

/* Original: re-wrap every segment's data key to the grantee. */
static int
make_original(struct cli *cli, const struct grantmk_in *in, struct grant *g)
{
	const json_t *o;
	struct seg_header h;
	uint8_t *pt = NULL;
	size_t i, ptlen = 0;
	int r;

	json_array_foreach(in->objs, i, o) {
		struct grant_object *go = &g->obj[i];
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));

		if (fetch(cli, in, seq, &pt, &ptlen, &h) != 0)
			return -1;
		wipe_free(pt, ptlen);
		pt = NULL;
		go->kind = SEG_KIND_SEGMENT;
		go->seq = h.seq;
		go->start_ms = h.start_ms;
		go->duration_ms = h.duration_ms;
		memcpy(go->header_hash, h.hash, 32);
		/* The data key is unsealed and sealed again inside seg_rewrap. */
		r = seg_rewrap(&h, acct_box_pk(in->me), acct_box_sk(in->me), in->grantee_box_pk,
		    go->sealed_key);
		if (r != SEG_OK) {
			cli_err(cli, "segment %" PRIu64 ": %s; nothing was granted", seq,
			    objs_reason(r));
			return -1;
		}
	}
	g->n = (unsigned)json_array_size(in->objs);
	return 0;
}

/* Remove the private working directory and whatever is in it. */
static void
rm_work(const char *dir, const char *in, const char *out)
{
	(void)unlink(in);
	(void)unlink(out);
	(void)rmdir(dir);
}

/* Anonymized: decrypt here, anonymize here, seal the result to the grantee. */
static int
make_anonymized(struct cli *cli, const struct grantmk_in *in, struct grant *g,
    uint8_t **deriv, size_t *derivlen)
{
	const char *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], inp[PATH_MAX + 16], outp[PATH_MAX + 16];
	uint8_t rcpt[2][32], *pt = NULL, *clip = NULL;
	struct seg_seal_params p;
	struct seg_header h;
	struct anon_opts ao;
	struct join *j = NULL;
	enum anon_err ae;
	const json_t *o;
	size_t i, ptlen = 0, cliplen = 0;
	int rc = -1;

	/* A private directory: the decrypted clip lives here only briefly. */
	snprintf(dir, sizeof(dir), "%s/sealcam-grant-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return cli_err(cli, "cannot make a private working directory: %s",
		    strerror(errno)), -1;
	snprintf(inp, sizeof(inp), "%s/clip.mp4", dir);
	snprintf(outp, sizeof(outp), "%s/anonymized.mp4", dir);
	if ((j = join_new(inp, (int64_t)g->from_ms, (int64_t)g->until_ms)) == NULL)
		goto out;
	json_array_foreach(in->objs, i, o) {
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));

		if (fetch(cli, in, seq, &pt, &ptlen, &h) != 0)
			goto out;
		if (join_add(j, pt, ptlen, (int64_t)h.start_ms) != 0) {
			cli_err(cli, "segment %" PRIu64 " cannot be joined: %s; nothing was"
			    " granted", seq, join_errmsg(j));
			goto out;
		}
		wipe_free(pt, ptlen);
		pt = NULL;
	}
	if (join_finish(j) != 0) {
		cli_err(cli, "%s; nothing was granted", join_errmsg(j));
		goto out;
	}
	/* Fail closed: no anonymizer (models missing, a frame it cannot
	 * analyse), no grant -- never the original in its place. */
	anon_opts_default(&ao);
	/* $SEALCAM_NODE_MODULES, when set, is the only place models come from. */
	ao.node_modules = getenv("SEALCAM_NODE_MODULES");
	if (ao.node_modules != NULL && ao.node_modules[0] == '\0')
		ao.node_modules = NULL;
	fprintf(stderr, "Anonymizing the clip on this device (faces and people masked)...\n");
	if ((ae = anon_run(&ao, inp, outp, NULL)) != ANON_OK) {
		cli_err(cli, "the anonymizer could not run: %s. Nothing was uploaded: an"
		    " anonymized grant is made only from footage the anonymizer processed%s",
		    anon_strerror(ae), ae == ANON_EMODEL ? " (its face and person models"
		    " come from the npm packages scripts/deps.sh installs; see docs/VISION.md)" : "");
		goto out;
	}
	if (fsutil_read_bounded(outp, DERIV_MAX, &clip, &cliplen) != 0) {
		cli_err(cli, "cannot read the anonymized clip: %s", strerror(errno));
		goto out;
	}
	/* Sealed to the grantee and to this owner, signed by the owner key. */
	memcpy(rcpt[0], in->grantee_box_pk, 32);
	memcpy(rcpt[1], acct_box_pk(in->me), 32);
	memset(&p, 0, sizeof(p));
	p.kind = SEG_KIND_DERIVATIVE;
	p.seq = 1;
	p.start_ms = g->from_ms;
	p.duration_ms = (uint32_t)(g->until_ms - g->from_ms);
	p.epoch = 0;
	p.recipients = (const uint8_t (*)[32])rcpt;
	p.nrecipients = 2;
	if (seg_seal_buf(&p, in->me->v.sign_sk, clip, cliplen, deriv, derivlen) != SEG_OK ||
	    seg_header_parse(*deriv, *derivlen, &h) != SEG_OK) {
		free(*deriv);
		*deriv = NULL;
		cli_err(cli, "cannot seal the anonymized clip");
		goto out;
	}
	memset(&g->obj[0], 0, sizeof(g->obj[0]));
	g->obj[0].kind = SEG_KIND_DERIVATIVE;
	g->obj[0].seq = 1;
	g->obj[0].start_ms = h.start_ms;
	g->obj[0].duration_ms = h.duration_ms;
	memcpy(g->obj[0].header_hash, h.hash, 32);
	g->n = 1;
	rc = 0;
out:
	wipe_free(pt, ptlen);
	wipe_free(clip, cliplen);
	join_free(j);
	rm_work(dir, inp, outp);
	return rc;
}

int
grantmk_objects(struct cli *cli, const struct grantmk_in *in, struct grant *g,
    uint8_t **deriv, size_t *derivlen)
{
	size_t n = json_array_size(in->objs);

	*deriv = NULL;
	*derivlen = 0;
	if (n == 0 || n > GRANT_OBJECTS_MAX)
		return cli_err(cli, "%zu segments: a grant holds 1 to %d", n,
		    GRANT_OBJECTS_MAX), -1;
	if ((g->obj = calloc(n, sizeof(*g->obj))) == NULL)
		return cli_err(cli, "out of memory"), -1;
	if ((in->mode == GRANT_MODE_ORIGINAL ? make_original(cli, in, g) :
	    make_anonymized(cli, in, g, deriv, derivlen)) == 0)
		return 0;
	free(g->obj);
	g->obj = NULL;
	g->n = 0;
	return -1;
}
