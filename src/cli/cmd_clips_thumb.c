/*
 * sealcam clips thumb — one thumbnail (the JPEG the agent makes of each
 * segment's first keyframe), verified and decrypted like a segment: kind
 * thumbnail, the requested sequence number, the camera's signature under
 * the key its owner-signed keyring vouches for.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "acct.h"
#include "cams.h"
#include "cli.h"
#include "cmd_clips.h"
#include "fsutil.h"
#include "objs.h"
#include "timespec.h"
#include "trust.h"

static const char thumb_usage[] =
"usage: sealcam clips thumb --camera NAME [--at TIME | --seq N] -o FILE.jpg\n"
"\n"
"Saves one thumbnail of the camera (a small JPEG of a segment's first\n"
"picture), verified (camera signature, camera, sequence number) and\n"
"decrypted with this device's key. Default: the latest one; --at TIME the\n"
"one of the segment recorded at that time; --seq N the one of segment N.\n"
"'-o -' writes the JPEG to standard output.\n"
"\n"
"example: sealcam clips thumb --camera \"Front door\" -o door.jpg\n";

/* The sequence number of the thumbnail recorded at (or just after) at_ms. */
static int
seq_at(struct cli *cli, const char *cam_id, int64_t at_ms, uint64_t *seq)
{
	json_t *objs = objs_list(cli, cam_id, "thumbnail", at_ms, at_ms + 60000);

	if (objs == NULL)
		return -1;
	if (json_array_size(objs) == 0) {
		json_decref(objs);
		return cli_err(cli, "no thumbnail was recorded at that time"), -1;
	}
	*seq = (uint64_t)json_integer_value(json_object_get(json_array_get(objs, 0), "seq"));
	json_decref(objs);
	return 0;
}

static int
write_out(struct cli *cli, const char *out, const uint8_t *buf, size_t len)
{
	struct fsutil_atomic *a;

	if (strcmp(out, "-") == 0) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
			return cli_err(cli, "writing to standard output failed"), -1;
		return 0;
	}
	if ((a = fsutil_atomic_open(out, 0644)) == NULL ||
	    fsutil_atomic_write(a, buf, len) != 0) {
		fsutil_atomic_abort(a);
		return cli_err(cli, "cannot write %s: %s", out, strerror(errno)), -1;
	}
	if (fsutil_atomic_commit(a) != 0)
		return cli_err(cli, "cannot write %s: %s", out, strerror(errno)), -1;
	return 0;
}

int
cmd_clips_thumb(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 'a' },
		{ "seq", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *at = NULL, *seqs = NULL, *out = NULL;
	char why[256], t1[TIMESPEC_TEXT_MAX];
	struct trust_cam tc;
	struct acct me = { 0 };
	struct objs_reader rd;
	struct seg_header h;
	json_t *cams = NULL, *cam, *latest;
	uint8_t *pt = NULL;
	size_t ptlen = 0;
	uint64_t seq = 0;
	int64_t at_ms = 0;
	int ch, rc = CLI_EXIT_FAIL, have_acct = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 'a': at = optarg; break;
		case 'n': seqs = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(thumb_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (the camera's name)");
	if (out == NULL)
		return cli_usage(cli, "-o FILE.jpg is required (or '-o -' for standard output)");
	if (at != NULL && seqs != NULL)
		return cli_usage(cli, "give --at or --seq, not both");
	if (seqs != NULL) {
		char *end;
		errno = 0;
		seq = strtoull(seqs, &end, 10);
		if (errno != 0 || end == seqs || *end != '\0' || seq == 0 || seq > INT64_MAX)
			return cli_usage(cli, "--seq '%s': expected a sequence number "
			    "(see 'sealcam clips list')", seqs);
	}
	if (at != NULL && timespec_parse_time(at, timespec_now_ms(), &at_ms) != 0)
		return cli_usage(cli, "--at '%s': expected a time such as 10m or "
		    "2026-11-01 12:00", at);

	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if ((cams = cams_fetch(cli)) == NULL ||
	    (cam = cams_find(cli, cams, camera)) == NULL ||
	    trust_camera(cli, me.v.sign_pk, cam, stderr, &tc) != 0)
		goto out;
	if (at != NULL) {
		if (seq_at(cli, cams_str(cam, "camera_id"), at_ms, &seq) != 0)
			goto out;
	} else if (seqs == NULL) {
		latest = json_object_get(json_object_get(cam, "latest"), "thumbnail_seq");
		if (!json_is_integer(latest)) {
			cli_err(cli, "%s has no thumbnail yet", cams_str(cam, "name"));
			goto out;
		}
		seq = (uint64_t)json_integer_value(latest);
	}
	rd.camera_pk = tc.camera_pk;
	rd.box_pk = acct_box_pk(&me);
	rd.box_sk = acct_box_sk(&me);
	if (objs_fetch_open(cli, cams_str(cam, "camera_id"), SEG_KIND_THUMBNAIL,
	    "thumbnail", seq, &rd, -1, &pt, &ptlen, &h, why, sizeof(why)) != 0) {
		cli_err(cli, "thumbnail %" PRIu64 " failed verification: %s; nothing "
		    "written", seq, why);
		goto out;
	}
	if (write_out(cli, out, pt, ptlen) != 0)
		goto out;
	fprintf(stderr, "%s: thumbnail %" PRIu64 " of %s verified and decrypted "
	    "(%zu bytes) into %s\n", cams_str(cam, "name"), seq,
	    timespec_format_time((int64_t)h.start_ms, t1), ptlen,
	    strcmp(out, "-") == 0 ? "standard output" : out);
	rc = CLI_EXIT_OK;
out:
	if (pt != NULL) {
		sodium_memzero(pt, ptlen);
		free(pt);
	}
	json_decref(cams);
	if (have_acct)
		acct_free(&me);
	return rc;
}
