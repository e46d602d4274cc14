/*
 * sealcam staff fetch GRANT -o DIR — a grant's footage, on the staff side.
 *
 * In order, each step refusing (and writing nothing) if it fails:
 *   1. the grant document: the owner's signature, addressed to this
 *      machine's staff key, not expired (by its signed expiry), not revoked
 *      (a revocation signed by the owner, or the server saying so);
 *      its creation in the transparency log (receipt verified);
 *   2. the objects: all of them, or those overlapping --from/--until,
 *      which must lie inside the grant's range;
 *   3. the access: POST .../access; the answer's access record must name
 *      exactly these objects, this grant and this principal, and its log
 *      receipt must verify (checkpoint under the pinned log key, extending
 *      the one seen before; entry included; entry = staff_access of this
 *      grant and principal committing to this record). Nothing is
 *      downloaded, let alone decrypted, before that;
 *   4. each object: downloaded into the core opener with the data key
 *      re-wrapped to this key (original) or this key's own stanza
 *      (anonymized derivative), its header hash the one the grant names;
 *   5. the verified plaintext joined (original) or written (anonymized)
 *      as one MP4 in DIR, trimmed to the range.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cli.h"
#include "codec.h"
#include "fsutil.h"
#include "grantc.h"
#include "httpc.h"
#include "join.h"
#include "objs.h"
#include "rcpt.h"
#include "seg.h"
#include "staff.h"
#include "timespec.h"

static const char fetch_usage[] =
"usage: sealcam staff fetch GRANT -o DIR [--from TIME] [--until TIME]\n"
"\n"
"Fetches the footage an owner granted to this staff key and writes it to DIR\n"
"as one MP4 (GRANT-original.mp4 or GRANT-anonymized.mp4). The server logs the\n"
"access in the owner's transparency log BEFORE it serves anything; this command\n"
"decrypts nothing unless the log proves that entry (inclusion proof under the\n"
"log key pinned at 'sealcam staff login'). The owner sees the access at once.\n"
"Expired or revoked grants are refused. --from/--until fetch part of the\n"
"grant's range (it must lie inside it); only that part is logged.\n";

/* The objects to fetch: all, or those overlapping [from, until). */
static int
select_objects(struct cli *cli, const struct grant *g, int64_t from, int64_t until,
    struct grant_access *want)
{
	want->n = 0;
	if (from < (int64_t)g->from_ms || until > (int64_t)g->until_ms || from >= until)
		return cli_err(cli, "the range asked for lies outside the grant's range;"
		    " refusing (a grant covers only what the owner chose)"), -1;
	for (unsigned i = 0; i < g->n; i++) {
		const struct grant_object *o = &g->obj[i];
		if ((int64_t)o->start_ms >= until ||
		    (int64_t)(o->start_ms + (o->duration_ms ? o->duration_ms : 1)) <= from)
			continue;
		want->obj[want->n++] = (struct grant_access_obj){ o->kind, o->seq };
	}
	if (want->n == 0)
		return cli_err(cli, "no granted footage in that range"), -1;
	return 0;
}

/* Step 3: the access is logged, proven, and names exactly what we asked for. */
static int
log_access(struct cli *cli, struct httpc *h, const char *gid, const struct grant *g,
    const uint8_t me[16], const struct grant_access *want, uint8_t access_id[16])
{
	static struct grant_access got;
	json_t *body = json_pack("{s:[]}", "objects"), *resp = NULL, *arr;
	static const char *const kinds[] = { "", "segment", "event", "thumbnail", "live",
		"derivative" };
	uint8_t rec[GRANT_ACCESS_MAX], c[32];
	struct tlog_entry e;
	const char *b64;
	char path[128];
	uint64_t index;
	size_t len = 0;
	int st, rc = -1;

	if (body == NULL)
		return -1;
	arr = json_object_get(body, "objects");
	for (unsigned i = 0; i < want->n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I}", "kind", kinds[want->obj[i].kind],
		    "seq", (json_int_t)want->obj[i].seq));
	snprintf(path, sizeof(path), "/v1/grants/%s/access", gid);
	if ((st = httpc_json(h, "POST", path, body, &resp)) != 201) {
		cli_api_fail(cli, "asking for access", st, resp);
		goto out;
	}
	b64 = json_string_value(json_object_get(resp, "record"));
	if (b64 == NULL || codec_b64_decode(b64, strlen(b64), rec, sizeof(rec), &len) != 0 ||
	    grant_access_parse(rec, len, &got) != GRANT_OK ||
	    memcmp(got.grant_id, g->grant_id, 16) != 0 || memcmp(got.principal_id, me, 16) != 0 ||
	    memcmp(got.camera_id, g->camera_id, 16) != 0 || got.n != want->n ||
	    memcmp(got.obj, want->obj, want->n * sizeof(want->obj[0])) != 0) {
		cli_err(cli, "the server's access record is not the access asked for; refusing");
		goto out;
	}
	if (rcpt_verify(cli, h, json_object_get(resp, "log"), "the access's log proof",
	    &e, &index) != 0)
		goto out;
	grant_access_commitment(rec, len, c);
	if (e.type != TLOG_E_STAFF_ACCESS || memcmp(e.subject, g->grant_id, 16) != 0 ||
	    memcmp(e.actor, me, 16) != 0 || sodium_memcmp(e.commitment, c, 32) != 0) {
		cli_err(cli, "the log proof is for another entry than this access; refusing"
		    " to decrypt");
		goto out;
	}
	memcpy(access_id, got.access_id, 16);
	printf("Access logged in the owner's transparency log (entry %" PRIu64 ", proven)"
	    ": %u object%s.\n", index, want->n, want->n == 1 ? "" : "s");
	rc = 0;
out:
	json_decref(body);
	json_decref(resp);
	return rc;
}

int
cmd_staff_fetch(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "from", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'f' },
		{ "until", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	static struct grant_access want;
	const char *dir = NULL, *from_s = NULL, *until_s = NULL, *gid;
	char path[PATH_MAX], url[256], why[256], t1[TIMESPEC_TEXT_MAX], r1[96], access_hex[33], s8[9];
	uint8_t id[16], me[16], access_id[16], key[SEG_DATA_KEY_BYTES], *pt = NULL;
	json_t *resp = NULL;
	struct grantc gc;
	struct vault v;
	struct httpc *h;
	struct join *j = NULL;
	struct objs_reader rd;
	struct tlog_entry e;
	struct seg_header hd;
	struct stat sb;
	uint64_t index;
	int64_t from, until, now = timespec_now_ms();
	size_t ptlen = 0;
	int ch, st, rc = CLI_EXIT_FAIL, have_gc = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': dir = optarg; break;
		case 'f': from_s = optarg; break;
		case 'u': until_s = optarg; break;
		case 'h': fputs(fetch_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind + 1 != argc || grantc_id(argv[optind], id) != 0)
		return cli_usage(cli, "give one grant id (32 hex digits, from 'sealcam staff grants')");
	gid = argv[optind];
	if (dir == NULL || stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return cli_usage(cli, "-o DIR: an existing directory for the MP4");
	if (grantc_staff_key(cli, &v) != 0)
		return CLI_EXIT_FAIL;
	staff_principal_id(v.sign_pk, v.box_pk, me);
	if ((h = cli_http(cli, 1)) == NULL)
		goto out;

	/* 1. The grant. */
	snprintf(url, sizeof(url), "/v1/grants/%s", gid);
	if ((st = httpc_json(h, "GET", url, NULL, &resp)) != 200) {
		cli_api_fail(cli, "reading the grant", st, resp);
		goto out;
	}
	if (grantc_parse(resp, NULL, &gc, why, sizeof(why)) != 0) {
		cli_err(cli, "%s", why);
		goto out;
	}
	have_gc = 1;
	if (memcmp(gc.g.grant_id, id, 16) != 0 || memcmp(gc.g.grantee_id, me, 16) != 0 ||
	    sodium_memcmp(gc.g.grantee_box_pk, v.box_pk, 32) != 0) {
		cli_err(cli, "grant %s is not addressed to this machine's staff key; refusing", gid);
		goto out;
	}
	if (gc.revoked || strcmp(gc.state, "revoked") == 0) {
		cli_err(cli, "the owner revoked grant %s%s%s; refusing", gid,
		    gc.revoked ? " on " : "", gc.revoked ?
		    timespec_format_time((int64_t)gc.rev.revoked_ms, t1) : "");
		goto out;
	}
	if ((int64_t)gc.g.expires_ms <= now) {
		cli_err(cli, "grant %s expired at %s; refusing", gid,
		    timespec_format_time((int64_t)gc.g.expires_ms, t1));
		goto out;
	}
	if (rcpt_verify(cli, h, json_object_get(resp, "log"), "the grant's log proof",
	    &e, &index) != 0)
		goto out;
	{
		uint8_t c[32];
		grant_commitment(gc.doc, gc.doc_len, c);
		if (e.type != TLOG_E_GRANT_CREATED || memcmp(e.subject, id, 16) != 0 ||
		    sodium_memcmp(e.commitment, c, 32) != 0) {
			cli_err(cli, "the grant's log proof is for another entry; refusing");
			goto out;
		}
	}
	printf("Grant %s: %s footage of camera %.8s..., %s, for \"%s\" (signed by the"
	    " owner, logged).\n", gid, grant_mode_name(gc.g.mode), grantc_short(gc.g.camera_id, s8),
	    grantc_range(&gc.g, r1, sizeof(r1)), gc.g.purpose);

	/* 2. Which objects. */
	from = (int64_t)gc.g.from_ms;
	until = (int64_t)gc.g.until_ms;
	if ((from_s != NULL && timespec_parse_time(from_s, now, &from) != 0) ||
	    (until_s != NULL && timespec_parse_time(until_s, now, &until) != 0)) {
		rc = cli_usage(cli, "--from/--until: expected times such as 12:00 or @1795000000");
		goto out;
	}
	memset(&want, 0, sizeof(want));
	if (select_objects(cli, &gc.g, from, until, &want) != 0)
		goto out;

	/* 3. Logged and proven before anything is decrypted. */
	if (log_access(cli, h, gid, &gc.g, me, &want, access_id) != 0)
		goto out;
	codec_hex_encode(access_id, 16, access_hex, sizeof(access_hex));

	/* 4 and 5. */
	memset(&rd, 0, sizeof(rd));
	if (gc.g.mode == GRANT_MODE_ANONYMIZED) {
		const struct grant_object *o = &gc.g.obj[0];

		rd.camera_pk = gc.g.owner_pk;   /* the owner signed the derivative */
		rd.box_pk = v.box_pk;
		rd.box_sk = v.box_sk;
		snprintf(url, sizeof(url), "/v1/grants/%s/objects/derivative/%" PRIu64
		    "?access=%s", gid, o->seq, access_hex);
		if (objs_fetch_open_path(cli, url, SEG_KIND_DERIVATIVE, o->seq, &rd, &pt,
		    &ptlen, &hd, why, sizeof(why)) != 0) {
			cli_err(cli, "the derivative failed verification: %s; nothing written", why);
			goto out;
		}
		if (sodium_memcmp(hd.hash, o->header_hash, 32) != 0) {
			cli_err(cli, "the derivative is not the one the grant names; nothing written");
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s-anonymized.mp4", dir, gid);
		if (fsutil_write_durable(path, pt, ptlen, 0600) != 0) {
			cli_err(cli, "cannot write %s: %s", path, strerror(errno));
			goto out;
		}
		printf("Wrote %s: the owner's anonymized derivative, verified (owner signature)"
		    " and decrypted.\n", path);
		rc = CLI_EXIT_OK;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s-original.mp4", dir, gid);
	if ((j = join_new(path, from, until)) == NULL)
		goto out;
	rd.camera_pk = gc.g.camera_pk;
	for (unsigned i = 0; i < want.n; i++) {
		const struct grant_object *o = grant_find(&gc.g, want.obj[i].kind, want.obj[i].seq);

		if (o == NULL || seg_unseal_key(o->sealed_key, v.box_pk, v.box_sk, key) != SEG_OK) {
			cli_err(cli, "segment %" PRIu64 ": the grant's key for it does not open"
			    " with this staff key; nothing written", want.obj[i].seq);
			goto out;
		}
		rd.data_key = key;
		snprintf(url, sizeof(url), "/v1/grants/%s/objects/segment/%" PRIu64 "?access=%s",
		    gid, o->seq, access_hex);
		st = objs_fetch_open_path(cli, url, SEG_KIND_SEGMENT, o->seq, &rd, &pt, &ptlen,
		    &hd, why, sizeof(why));
		sodium_memzero(key, sizeof(key));
		if (st != 0) {
			cli_err(cli, "segment %" PRIu64 " failed verification: %s; nothing written",
			    o->seq, why);
			goto out;
		}
		if (sodium_memcmp(hd.hash, o->header_hash, 32) != 0) {
			cli_err(cli, "segment %" PRIu64 " is not the one the grant names; nothing"
			    " written", o->seq);
			goto out;
		}
		if (join_add(j, pt, ptlen, (int64_t)hd.start_ms) != 0) {
			cli_err(cli, "segment %" PRIu64 " cannot be joined: %s; nothing written",
			    o->seq, join_errmsg(j));
			goto out;
		}
		sodium_memzero(pt, ptlen);
		free(pt);
		pt = NULL;
	}
	if (join_finish(j) != 0) {
		cli_err(cli, "%s; nothing written", join_errmsg(j));
		goto out;
	}
	printf("Wrote %s: %u segment%s verified (camera signature, the grant's header"
	    " hashes) and decrypted, %s.\n", path, want.n, want.n == 1 ? "" : "s",
	    timespec_format_time(from, t1));
	rc = CLI_EXIT_OK;
out:
	if (pt != NULL) {
		sodium_memzero(pt, ptlen);
		free(pt);
	}
	sodium_memzero(key, sizeof(key));
	join_free(j);
	if (have_gc)
		grantc_clear(&gc);
	json_decref(resp);
	vault_wipe(&v);
	return rc;
}
