/*
 * sealcam grant create | list | revoke — consent, on the owner's side.
 *
 * create: the grantee from the verified staff directory (rcpt_directory),
 * the camera as 'clips get' trusts it, the range's segments (snapped to
 * whole segments: that is what a grantee can see, and the command says
 * so), the objects made on this device (grantmk.c), the document signed
 * with the owner key, PUT /v1/grants/{id}, and the grant's log receipt
 * verified. Grants are clip-sized: a range above --max-range (default 10
 * minutes) is refused.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "acct.h"
#include "cams.h"
#include "cli.h"
#include "codec.h"
#include "grantc.h"
#include "grantmk.h"
#include "httpc.h"
#include "objs.h"
#include "rcpt.h"
#include "seg.h"
#include "timespec.h"
#include "trust.h"

static int grant_create(struct cli *, int, char **);
static int grant_list(struct cli *, int, char **);
static int grant_revoke(struct cli *, int, char **);

static const struct cli_cmd grant_cmds[] = {
	{ "create", grant_create, "let a support or research staff member see one clip" },
	{ "list", grant_list, "your grants, their state and how often they were used" },
	{ "revoke", grant_revoke, "end a grant (what was fetched already stays seen)" },
};

int
cmd_grant(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "grant", grant_cmds,
	    (int)(sizeof(grant_cmds) / sizeof(grant_cmds[0])), argc, argv);
}

#define HONEST \
"Revoking a grant stops further fetches; footage already fetched under it\n" \
"cannot be un-seen. Grant only what you would hand over.\n"

static const char create_usage[] =
"usage: sealcam grant create --to STAFF --camera NAME --from TIME --until TIME\n"
"                            --purpose TEXT [--expires 7d]\n"
"                            [--mode original|anonymized] [--max-range 10m]\n"
"\n"
"Lets one staff member (support or research) see one clip of one camera, for a\n"
"stated purpose, until the grant expires. STAFF is a name or 8+ hex digits of a\n"
"principal id from the operator's staff directory, which is checked against\n"
"the transparency log first.\n"
"  --mode original    (default for support) the clip's segments' keys are\n"
"                     re-wrapped to the staff member's key: they see the clip.\n"
"  --mode anonymized  (default for research) this device decrypts the clip,\n"
"                     masks faces and people (the anonymizer), and uploads only\n"
"                     the result, encrypted to the staff member: the original\n"
"                     never leaves. If the anonymizer cannot run, nothing is\n"
"                     uploaded.\n"
"The range is rounded out to whole recorded segments (shown before anything is\n"
"sent). Grants are clip-sized: a range longer than --max-range is refused.\n"
"The grant, and every fetch under it, are appended to your transparency log:\n"
"'sealcam access' lists each access, verified.\n"
HONEST;

static int
grant_create(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "camera", required_argument, NULL, 'c' },
		{ "from", required_argument, NULL, 'f' },
		{ "since", required_argument, NULL, 'f' },
		{ "until", required_argument, NULL, 'u' },
		{ "purpose", required_argument, NULL, 'p' },
		{ "expires", required_argument, NULL, 'e' },
		{ "mode", required_argument, NULL, 'm' },
		{ "max-range", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *camera = NULL, *from_s = NULL, *until_s = NULL;
	const char *purpose = NULL, *expires_s = "7d", *mode_s = NULL, *max_s = "10m";
	char t1[TIMESPEC_TEXT_MAX], t2[TIMESPEC_TEXT_MAX], r1[96], hex[33], path[96];
	static uint8_t doc[GRANT_MAX_BYTES];
	uint8_t *body = NULL, *deriv = NULL, c[32];
	struct rcpt_principal *dir = NULL;
	const struct rcpt_principal *who;
	struct acct me = { 0 };
	struct trust_cam tc;
	struct grantmk_in in;
	struct grant g;
	struct tlog_entry e;
	json_t *cams = NULL, *cam, *objs = NULL, *resp = NULL, *first, *last;
	struct httpc *h;
	int64_t now = timespec_now_ms(), from, until, expires, maxr;
	size_t ndir = 0, doclen = 0, derivlen = 0, blen;
	uint64_t index;
	int ch, st, rc = CLI_EXIT_FAIL, have_acct = 0;

	memset(&g, 0, sizeof(g));
	memset(&e, 0, sizeof(e));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 't': to = optarg; break;
		case 'c': camera = optarg; break;
		case 'f': from_s = optarg; break;
		case 'u': until_s = optarg; break;
		case 'p': purpose = optarg; break;
		case 'e': expires_s = optarg; break;
		case 'm': mode_s = optarg; break;
		case 'M': max_s = optarg; break;
		case 'h': fputs(create_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (to == NULL || camera == NULL || from_s == NULL || until_s == NULL || purpose == NULL)
		return cli_usage(cli, "--to, --camera, --from, --until and --purpose are required");
	if (timespec_parse_time(from_s, now, &from) != 0 ||
	    timespec_parse_time(until_s, now, &until) != 0 || until <= from)
		return cli_usage(cli, "--from/--until: a range such as --from 18:00 --until 18:05");
	if (timespec_parse_duration(expires_s, &expires) != 0 || expires <= 0)
		return cli_usage(cli, "--expires '%s': a duration such as 7d or 12h", expires_s);
	if (timespec_parse_duration(max_s, &maxr) != 0 || maxr <= 0)
		return cli_usage(cli, "--max-range '%s': a duration such as 10m", max_s);
	if (strlen(purpose) == 0 || strlen(purpose) > GRANT_PURPOSE_MAX ||
	    !codec_utf8_printable((const uint8_t *)purpose, strlen(purpose)))
		return cli_usage(cli, "--purpose: 1 to %d bytes of printable text (one line)",
		    GRANT_PURPOSE_MAX);
	if (mode_s != NULL && strcmp(mode_s, "original") != 0 && strcmp(mode_s, "anonymized") != 0)
		return cli_usage(cli, "--mode original or --mode anonymized");

	/* Who, which camera, which segments. */
	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if ((h = cli_http(cli, 1)) == NULL || rcpt_directory(cli, h, &dir, &ndir) != 0 ||
	    (who = rcpt_find(cli, dir, ndir, to)) == NULL)
		goto out;
	if (!who->active) {
		cli_err(cli, "%s was removed from the staff directory; no grant made", who->rec.name);
		goto out;
	}
	g.mode = mode_s != NULL ? (strcmp(mode_s, "original") == 0 ? GRANT_MODE_ORIGINAL :
	    GRANT_MODE_ANONYMIZED) : who->rec.role == STAFF_ROLE_RESEARCH ?
	    GRANT_MODE_ANONYMIZED : GRANT_MODE_ORIGINAL;
	if ((cams = cams_fetch(cli)) == NULL || (cam = cams_find(cli, cams, camera)) == NULL)
		goto out;
	if (strcmp(cams_str(cam, "role"), "owner") != 0) {
		cli_err(cli, "only a camera's owner can grant its footage");
		goto out;
	}
	if (trust_camera(cli, me.v.sign_pk, cam, stderr, &tc) != 0 ||
	    (objs = objs_list(cli, tc.cam_id, "segment", from, until)) == NULL)
		goto out;
	if (json_array_size(objs) == 0) {
		cli_err(cli, "%s has no recordings between %s and %s; no grant made",
		    cams_str(cam, "name"), timespec_format_time(from, t1),
		    timespec_format_time(until, t2));
		goto out;
	}
	first = json_array_get(objs, 0);
	last = json_array_get(objs, json_array_size(objs) - 1);
	g.from_ms = (uint64_t)json_integer_value(json_object_get(first, "start_ms"));
	g.until_ms = (uint64_t)(json_integer_value(json_object_get(last, "start_ms")) +
	    json_integer_value(json_object_get(last, "duration_ms")));
	if (g.until_ms <= g.from_ms)
		g.until_ms = g.from_ms + 1;
	if ((int64_t)(g.until_ms - g.from_ms) > maxr) {
		cli_err(cli, "that is %s of footage (in whole segments), above the maximum of %s"
		    " for one grant: grants are clip-sized; ask for a shorter range (or raise"
		    " --max-range if you really mean it)", timespec_format_duration((int64_t)(
		    g.until_ms - g.from_ms), t1), timespec_format_duration(maxr, t2));
		goto out;
	}
	printf("Granting %s footage of %s to %s (%s): %s (%zu segment%s: the range rounded"
	    " out to whole segments).\n", grant_mode_name(g.mode), cams_str(cam, "name"),
	    who->rec.name, staff_role_name(who->rec.role), grantc_range(&g, r1, sizeof(r1)),
	    json_array_size(objs), json_array_size(objs) == 1 ? "" : "s");

	/* The objects, made here; then the signed document. */
	in.me = &me;
	in.tc = &tc;
	in.objs = objs;
	in.grantee_box_pk = who->rec.box_pk;
	in.mode = g.mode;
	if (grantmk_objects(cli, &in, &g, &deriv, &derivlen) != 0)
		goto out;
	randombytes_buf(g.grant_id, sizeof(g.grant_id));
	memcpy(g.camera_pk, tc.camera_pk, 32);
	memcpy(g.grantee_box_pk, who->rec.box_pk, 32);
	memcpy(g.grantee_sign_pk, who->rec.sign_pk, 32);
	g.created_ms = (uint64_t)now;
	g.expires_ms = (uint64_t)(now + expires);
	memcpy(g.purpose, purpose, strlen(purpose) + 1);
	if ((st = grant_sign(&g, me.v.sign_sk, doc, sizeof(doc), &doclen)) != GRANT_OK) {
		cli_err(cli, "cannot sign the grant: %s", grant_strerror(st));
		goto out;
	}
	blen = 4 + doclen + derivlen;
	if ((body = malloc(blen)) == NULL)
		goto out;
	codec_put_be32(body, (uint32_t)doclen);
	memcpy(body + 4, doc, doclen);
	if (derivlen > 0)
		memcpy(body + 4 + doclen, deriv, derivlen);
	codec_hex_encode(g.grant_id, 16, hex, sizeof(hex));
	snprintf(path, sizeof(path), "/v1/grants/%s", hex);
	if ((st = httpc_put_buf(h, path, "application/octet-stream", body, blen, &resp)) != 201) {
		cli_api_fail(cli, "uploading the grant", st, resp);
		goto out;
	}
	/* The server must have logged exactly this grant. */
	grant_commitment(doc, doclen, c);
	if (rcpt_verify(cli, h, json_object_get(resp, "log"), "the grant's log proof",
	    &e, &index) != 0 || e.type != TLOG_E_GRANT_CREATED ||
	    memcmp(e.subject, g.grant_id, 16) != 0 || sodium_memcmp(e.commitment, c, 32) != 0) {
		if (e.type != 0)
			cli_err(cli, "the server's log entry is not this grant's");
		cli_err(cli, "the grant is not proven in your log: revoke it ('sealcam grant"
		    " revoke %s')", hex);
		goto out;
	}
	printf("Grant %s created, logged in your transparency log (entry %" PRIu64 ").\n"
	    "Expires %s. Purpose: %s\n" HONEST, hex, index,
	    timespec_format_time((int64_t)g.expires_ms, t1), g.purpose);
	rc = CLI_EXIT_OK;
out:
	free(g.obj);
	free(body);
	free(deriv);
	free(dir);
	json_decref(objs);
	json_decref(cams);
	json_decref(resp);
	if (have_acct)
		acct_free(&me);
	return rc;
}

/* --- list ------------------------------------------------------------------------- */

static const char list_usage[] =
"usage: sealcam grant list\n"
"\n"
"Your grants: id, staff member, camera, range, mode, expiry, state, and how\n"
"many accesses were made under each ('sealcam access' lists them, verified).\n"
"Each grant is checked to be signed by this device's key.\n";

static int
grant_list(struct cli *cli, int argc, char **argv)
{
	char why[160], r1[96], t1[TIMESPEC_TEXT_MAX], who[128], hex[33], s8[9];
	struct rcpt_principal *dir = NULL;
	json_t *resp = NULL, *cams = NULL, *o;
	struct acct me = { 0 };
	struct grantc gc;
	struct httpc *h;
	size_t i, ndir = 0, n = 0;
	int st, rc = CLI_EXIT_FAIL, have_acct = 0;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		fputs(list_usage, stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 1)
		return cli_usage(cli, "unexpected argument '%s'", argv[1]);
	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if ((h = cli_http(cli, 1)) == NULL || rcpt_directory(cli, h, &dir, &ndir) != 0 ||
	    (cams = cams_fetch(cli)) == NULL)
		goto out;
	if ((st = httpc_json(h, "GET", "/v1/grants", NULL, &resp)) != 200) {
		cli_api_fail(cli, "listing grants", st, resp);
		goto out;
	}
	json_array_foreach(json_object_get(resp, "grants"), i, o) {
		if (grantc_parse(o, me.v.sign_pk, &gc, why, sizeof(why)) != 0) {
			printf("%s  REFUSED: %s\n", json_string_value(json_object_get(o,
			    "grant_id")) ?: "?", why);
			continue;
		}
		codec_hex_encode(gc.g.grant_id, 16, hex, sizeof(hex));
		if (n++ == 0)
			printf("%-32s  %-28s  %-14s  %-30s  %-10s  %-19s  %-8s  %s\n", "GRANT",
			    "TO", "CAMERA", "RANGE", "MODE", "EXPIRES", "STATE", "ACCESSES");
		printf("%-32s  %-28s  %-14s  %-30s  %-10s  %-19s  %-8s  %" PRIu64 "\n", hex,
		    rcpt_who(dir, ndir, gc.g.grantee_id, who, sizeof(who)),
		    cams_name_by_id(cams, gc.g.camera_id, s8), grantc_range(&gc.g, r1, sizeof(r1)),
		    grant_mode_name(gc.g.mode), timespec_format_time((int64_t)gc.g.expires_ms, t1),
		    gc.revoked ? "revoked" : (int64_t)gc.g.expires_ms <= timespec_now_ms() ?
		    "expired" : "active", gc.accesses);
		printf("    purpose: %s\n", gc.g.purpose);
		grantc_clear(&gc);
	}
	if (n == 0)
		printf("You have made no grants.\n");
	else
		printf("Footage fetched under a grant cannot be un-seen by revoking it.\n");
	rc = CLI_EXIT_OK;
out:
	free(dir);
	json_decref(resp);
	json_decref(cams);
	if (have_acct)
		acct_free(&me);
	return rc;
}

/* --- revoke ----------------------------------------------------------------------- */

static const char revoke_usage[] =
"usage: sealcam grant revoke GRANT\n"
"\n"
"Ends a grant: the server refuses every further access under it, and the\n"
"staff client refuses it too. The revocation is signed with your key and\n"
"appended to your transparency log.\n"
HONEST;

static int
grant_revoke(struct cli *cli, int argc, char **argv)
{
	struct grant_revocation r;
	uint8_t rev[GRANT_REVOCATION_BYTES], id[16], c[32];
	char b64[CODEC_B64_LEN(GRANT_REVOCATION_BYTES)], why[160], path[96];
	json_t *resp = NULL, *body = NULL;
	struct acct me = { 0 };
	struct tlog_entry e;
	struct grantc gc;
	struct httpc *h;
	uint64_t index;
	int st, rc = CLI_EXIT_FAIL, have_acct = 0, have_gc = 0;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		fputs(revoke_usage, stdout);
		return CLI_EXIT_OK;
	}
	if (argc != 2 || grantc_id(argv[1], id) != 0)
		return cli_usage(cli, "give one grant id (32 hex digits, see 'sealcam grant list')");
	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if ((h = cli_http(cli, 1)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "/v1/grants/%s", argv[1]);
	if ((st = httpc_json(h, "GET", path, NULL, &resp)) != 200) {
		cli_api_fail(cli, "reading the grant", st, resp);
		goto out;
	}
	if (grantc_parse(resp, me.v.sign_pk, &gc, why, sizeof(why)) != 0) {
		cli_err(cli, "%s", why);
		goto out;
	}
	have_gc = 1;
	if (gc.revoked) {
		cli_err(cli, "grant %s is already revoked", argv[1]);
		goto out;
	}
	memcpy(r.grant_id, id, 16);
	r.revoked_ms = (uint64_t)timespec_now_ms();
	if (grant_revocation_sign(&r, me.v.sign_sk, rev) != GRANT_OK)
		goto out;
	codec_b64_encode(rev, sizeof(rev), b64, sizeof(b64));
	json_decref(resp);
	resp = NULL;
	body = json_pack("{s:s}", "revocation", b64);
	snprintf(path, sizeof(path), "/v1/grants/%s/revoke", argv[1]);
	if ((st = httpc_json(h, "POST", path, body, &resp)) != 200) {
		cli_api_fail(cli, "revoking the grant", st, resp);
		goto out;
	}
	grant_commitment(rev, sizeof(rev), c);
	if (rcpt_verify(cli, h, json_object_get(resp, "log"), "the revocation's log proof",
	    &e, &index) != 0 || e.type != TLOG_E_GRANT_REVOKED ||
	    memcmp(e.subject, id, 16) != 0 || sodium_memcmp(e.commitment, c, 32) != 0) {
		cli_err(cli, "the revocation is not proven in your log");
		goto out;
	}
	printf("Grant %s revoked, logged (entry %" PRIu64 "); %" PRIu64 " access%s had been"
	    " made under it.\n" HONEST, argv[1], index, gc.accesses,
	    gc.accesses == 1 ? "" : "es");
	rc = CLI_EXIT_OK;
out:
	if (have_gc)
		grantc_clear(&gc);
	json_decref(body);
	json_decref(resp);
	if (have_acct)
		acct_free(&me);
	return rc;
}
