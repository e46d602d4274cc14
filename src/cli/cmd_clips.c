/*
 * sealcam clips list | get | open — recorded footage.
 *
 * get: list the camera's segments in the range, download each, verify and
 * decrypt it (objs_fetch_open: camera signature under the key trust_camera
 * accepted, camera id, kind, sequence, every record, final tag), and remux
 * the verified plaintext into one MP4 (join). A segment that fails stops
 * the command: nothing is written, the exit status is 1.
 * open: the same checks for sealed files on disk, offline.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "acct.h"
#include "cams.h"
#include "cli.h"
#include "cmd_clips.h"
#include "fsutil.h"
#include "join.h"
#include "objs.h"
#include "timespec.h"
#include "trust.h"

static int clips_list(struct cli *, int, char **);
static int clips_get(struct cli *, int, char **);
static int clips_open(struct cli *, int, char **);

static const struct cli_cmd clips_cmds[] = {
	{ "list", clips_list, "recordings of a camera in a time range" },
	{ "get", clips_get, "verify, decrypt and save a time range as one MP4" },
	{ "open", clips_open, "verify and decrypt sealed segment files on disk" },
	{ "thumb", cmd_clips_thumb, "verify, decrypt and save a thumbnail as JPEG" },
};

int
cmd_clips(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "clips", clips_cmds,
	    (int)(sizeof(clips_cmds) / sizeof(clips_cmds[0])), argc, argv);
}

#define TIME_HELP \
"Times: a duration ago (1h, 90m, 2d) or ahead (+10m); 'now'; YYYY-MM-DD\n" \
"[HH:MM[:SS]] in local time, or with a trailing Z for UTC; HH:MM today;\n" \
"@<unix seconds>[.mmm].\n"

/* Parse --since/--until into [from, to); usage error printed on failure. */
static int
parse_range(struct cli *cli, const char *since, const char *until,
    int64_t *from, int64_t *to)
{
	int64_t now = timespec_now_ms();

	if (timespec_parse_time(since, now, from) != 0)
		return cli_usage(cli, "--since '%s': expected a time such as 1h, "
		    "2026-11-01 12:00 or 12:00", since);
	if (until == NULL)
		*to = now;
	else if (timespec_parse_time(until, now, to) != 0)
		return cli_usage(cli, "--until '%s': expected a time such as now, "
		    "10m, 2026-11-01 12:05 or 12:05", until);
	if (*to <= *from)
		return cli_usage(cli, "the range is empty: --until must be later "
		    "than --since");
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* "missing: 3 segments (seq 17-19)" notes for holes in the sequence. */
static void
note_gaps(const json_t *objs, FILE *out)
{
	uint64_t prev = 0, seq, missing = 0;
	size_t i;
	json_t *o;

	json_array_foreach(objs, i, o) {
		seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
		if (i > 0 && seq > prev + 1) {
			fprintf(out, "note: %" PRIu64 " segment%s missing between seq "
			    "%" PRIu64 " and %" PRIu64 " (deleted by retention or "
			    "never uploaded)\n", seq - prev - 1,
			    seq - prev - 1 == 1 ? "" : "s", prev, seq);
			missing += seq - prev - 1;
		}
		prev = seq;
	}
	(void)missing;
}

static const char list_usage[] =
"usage: sealcam clips list --camera NAME [--since TIME] [--until TIME]\n"
"\n"
"Lists the recorded segments of a camera that overlap the range (default:\n"
"the last 24 hours): sequence number, start, duration, size and the keyring\n"
"epoch each was sealed to. Only metadata is fetched; nothing is decrypted.\n"
"\n"
TIME_HELP
"\n"
"example: sealcam clips list --camera \"Front door\" --since 1h\n";

static int
clips_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *since = "24h", *until = NULL;
	char t1[TIMESPEC_TEXT_MAX], t2[TIMESPEC_TEXT_MAX], t3[TIMESPEC_TEXT_MAX];
	int64_t from, to, total_ms = 0;
	uint64_t total_bytes = 0;
	json_t *cams = NULL, *cam, *objs = NULL, *o;
	struct trust_cam tc;
	size_t i;
	int ch, rc = CLI_EXIT_FAIL;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'h': fputs(list_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (the camera's name, "
		    "see 'sealcam camera list')");
	if ((rc = parse_range(cli, since, until, &from, &to)) != 0)
		return rc;
	rc = CLI_EXIT_FAIL;
	if ((cams = cams_fetch(cli)) == NULL ||
	    (cam = cams_find(cli, cams, camera)) == NULL)
		goto out;
	if (strcmp(cams_str(cam, "role"), "owner") != 0 &&
	    trust_camera(cli, NULL, cam, stdout, &tc) != 0)
		goto out;
	if ((objs = objs_list(cli, cams_str(cam, "camera_id"), "segment", from,
	    to)) == NULL)
		goto out;
	if (json_array_size(objs) == 0) {
		printf("%s: no recordings between %s and %s.\n", cams_str(cam, "name"),
		    timespec_format_time(from, t1), timespec_format_time(to, t2));
		rc = CLI_EXIT_OK;
		goto out;
	}
	printf("%-8s %-19s  %8s  %10s  %5s\n", "SEQ", "START", "DURATION", "SIZE",
	    "EPOCH");
	json_array_foreach(objs, i, o) {
		int64_t start = json_integer_value(json_object_get(o, "start_ms"));
		int64_t dur = json_integer_value(json_object_get(o, "duration_ms"));
		uint64_t size = (uint64_t)json_integer_value(json_object_get(o, "size"));
		printf("%-8" JSON_INTEGER_FORMAT " %-19s  %8s  %10s  %5" JSON_INTEGER_FORMAT "\n",
		    json_integer_value(json_object_get(o, "seq")),
		    timespec_format_time(start, t1), timespec_format_duration(dur, t2),
		    timespec_format_size(size, t3),
		    json_integer_value(json_object_get(o, "epoch")));
		total_ms += dur;
		total_bytes += size;
	}
	printf("%zu segment%s, %s recorded, %s sealed.\n", json_array_size(objs),
	    json_array_size(objs) == 1 ? "" : "s",
	    timespec_format_duration(total_ms, t1),
	    timespec_format_size(total_bytes, t2));
	note_gaps(objs, stdout);
	rc = CLI_EXIT_OK;
out:
	json_decref(objs);
	json_decref(cams);
	return rc;
}

/* A sealed copy being written into --sealed-dir, kept only if verified. */
static struct fsutil_atomic *
sealed_open(struct cli *cli, const char *dir, const char *cam_id, uint64_t seq)
{
	char path[PATH_MAX];
	struct fsutil_atomic *a;

	if (snprintf(path, sizeof(path), "%s/%s-%08" PRIu64 ".seal", dir, cam_id,
	    seq) >= (int)sizeof(path)) {
		cli_err(cli, "--sealed-dir '%s': path too long", dir);
		return NULL;
	}
	if ((a = fsutil_atomic_open(path, 0644)) == NULL)
		cli_err(cli, "--sealed-dir: cannot write in '%s': %s", dir,
		    strerror(errno));
	return a;
}

static const char get_usage[] =
"usage: sealcam clips get --camera NAME --since TIME [--until TIME] -o FILE.mp4\n"
"                         [--sealed-dir DIR]\n"
"\n"
"Downloads the camera's segments in the range, verifies each (camera\n"
"signature under the key its owner-signed keyring vouches for, camera,\n"
"sequence number, every record, the end) and decrypts it with this device's\n"
"key, then joins them into ONE playable MP4 trimmed to the range (at\n"
"keyframes). '-o -' writes the MP4 to standard output. If any segment fails\n"
"verification nothing is written and the exit status is 1.\n"
"--sealed-dir DIR also keeps each verified segment as sealed (still\n"
"encrypted) evidence, <camera id>-<seq>.seal, for 'sealcam clips open'.\n"
"\n"
TIME_HELP
"\n"
"example: sealcam clips get --camera \"Front door\" --since 1h -o door.mp4\n";

static int
clips_get(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 's' },
		{ "from", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "output", required_argument, NULL, 'o' },
		{ "sealed-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *since = NULL, *until = NULL, *out = NULL,
	    *sealed_dir = NULL;
	char t1[TIMESPEC_TEXT_MAX], t2[TIMESPEC_TEXT_MAX], why[256];
	uint8_t *pt = NULL;
	uint32_t *mine = NULL;
	size_t nmine = 0, nskipped = 0;
	uint64_t skip_first = 0, skip_last = 0;
	struct trust_cam tc;
	struct acct me = { 0 };
	struct objs_reader rd = { 0 };
	struct seg_header h;
	struct join *j = NULL;
	struct fsutil_atomic *sealed = NULL;
	json_t *cams = NULL, *cam, *objs = NULL, *o;
	int64_t from, to;
	size_t i, ptlen = 0, nsealed = 0, nver = 0;
	int ch, rc = CLI_EXIT_FAIL, have_acct = 0;
	struct stat st;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'o': out = optarg; break;
		case 'S': sealed_dir = optarg; break;
		case 'h': fputs(get_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (the camera's name)");
	if (since == NULL)
		return cli_usage(cli, "--since is required (e.g. --since 1h)");
	if (out == NULL && sealed_dir == NULL)
		return cli_usage(cli, "-o FILE.mp4 is required (or '-o -' for "
		    "standard output)");
	if (out != NULL && strcmp(out, "-") == 0 && isatty(STDOUT_FILENO))
		return cli_usage(cli, "'-o -' would write video to the terminal; "
		    "pipe it (| ffplay -) or redirect it to a file");
	if ((rc = parse_range(cli, since, until, &from, &to)) != 0)
		return rc;
	rc = CLI_EXIT_FAIL;
	if (sealed_dir != NULL && (stat(sealed_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		return cli_usage(cli, "--sealed-dir '%s' is not a directory", sealed_dir);

	/* Keys, camera, trusted camera key, then the listing. */
	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if ((cams = cams_fetch(cli)) == NULL ||
	    (cam = cams_find(cli, cams, camera)) == NULL ||
	    trust_camera(cli, me.v.sign_pk, cam, stderr, &tc) != 0 ||
	    trust_epochs_for(cli, &tc, acct_box_pk(&me), &mine, &nmine) != 0)
		goto out;
	if ((objs = objs_list(cli, cams_str(cam, "camera_id"), "segment", from,
	    to)) == NULL)
		goto out;
	if (json_array_size(objs) == 0) {
		cli_err(cli, "%s has no recordings between %s and %s; nothing written",
		    cams_str(cam, "name"), timespec_format_time(from, t1),
		    timespec_format_time(to, t2));
		goto out;
	}
	note_gaps(objs, stderr);
	rd.camera_pk = tc.camera_pk;
	rd.box_pk = acct_box_pk(&me);
	rd.box_sk = acct_box_sk(&me);
	if (out != NULL && (j = join_new(out, from, to)) == NULL)
		goto out;

	json_array_foreach(objs, i, o) {
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
		uint32_t epoch = (uint32_t)json_integer_value(json_object_get(o, "epoch"));

		/* Footage sealed under a keyring that does not name this
		 * device (a member before being added) was never for us:
		 * skip it and say so. Everything else must verify. */
		if (bsearch(&epoch, mine, nmine, sizeof(*mine), cmp_u32) == NULL) {
			if (nskipped++ == 0)
				skip_first = seq;
			skip_last = seq;
			continue;
		}
		if (sealed_dir != NULL &&
		    (sealed = sealed_open(cli, sealed_dir, cams_str(cam, "camera_id"),
		    seq)) == NULL)
			goto out;
		if (objs_fetch_open(cli, cams_str(cam, "camera_id"), SEG_KIND_SEGMENT,
		    "segment", seq, &rd, sealed ? fsutil_atomic_fd(sealed) : -1,
		    &pt, &ptlen, &h, why, sizeof(why)) != 0) {
			cli_err(cli, "segment %" PRIu64 " (%s) failed verification: %s; "
			    "nothing written", seq, timespec_format_time(json_integer_value(
			    json_object_get(o, "start_ms")), t1), why);
			goto out;
		}
		if (sealed != NULL) {
			if (fsutil_atomic_commit(sealed) != 0) {
				sealed = NULL;
				cli_err(cli, "--sealed-dir: writing segment %" PRIu64
				    ": %s", seq, strerror(errno));
				goto out;
			}
			sealed = NULL;
			nsealed++;
		}
		if (j != NULL && join_add(j, pt, ptlen, (int64_t)h.start_ms) != 0) {
			cli_err(cli, "segment %" PRIu64 " (verified) cannot be joined: %s; "
			    "nothing written", seq, join_errmsg(j));
			goto out;
		}
		sodium_memzero(pt, ptlen);
		free(pt);
		pt = NULL;
		nver++;
		if (j != NULL && join_reached_end(j) && sealed_dir == NULL)
			break;
	}
	if (nskipped > 0)
		fprintf(stderr, "note: %zu segment%s (seq %" PRIu64 "-%" PRIu64 ") "
		    "%s sealed under a keyring without your key (recorded while "
		    "the camera was not shared with you): skipped\n", nskipped,
		    nskipped == 1 ? "" : "s", skip_first, skip_last,
		    nskipped == 1 ? "was" : "were");
	if (nver == 0) {
		cli_err(cli, "none of the %zu segments in that range is sealed to "
		    "your key; nothing written", json_array_size(objs));
		goto out;
	}
	if (j != NULL && join_finish(j) != 0) {
		cli_err(cli, "%s; nothing written", join_errmsg(j));
		goto out;
	}
	if (j != NULL)
		fprintf(stderr, "%s: %zu segment%s verified (camera signature and "
		    "integrity) and decrypted; %" PRIu64 " joined into %s\n",
		    cams_str(cam, "name"), nver, nver == 1 ? "" : "s",
		    join_segments(j),
		    strcmp(out, "-") == 0 ? "standard output" : out);
	if (sealed_dir != NULL)
		fprintf(stderr, "%zu sealed segment%s kept in %s\n", nsealed,
		    nsealed == 1 ? "" : "s", sealed_dir);
	rc = CLI_EXIT_OK;
out:
	if (pt != NULL) {
		sodium_memzero(pt, ptlen);
		free(pt);
	}
	fsutil_atomic_abort(sealed);
	join_free(j);
	free(mine);
	json_decref(objs);
	json_decref(cams);
	if (have_acct)
		acct_free(&me);
	return rc;
}

static const char open_usage[] =
"usage: sealcam clips open --camera NAME [-o FILE.mp4] SEALED-FILE...\n"
"\n"
"Verifies sealed segment files on disk (from 'clips get --sealed-dir', a\n"
"backup, or evidence handed over) under the camera key this device trusts\n"
"for NAME, and decrypts them with this device's key. Works offline. Each\n"
"file is reported; with -o the verified ones are joined into one MP4 (in\n"
"sequence order). Exit status 1 if any file fails.\n";

struct opened {
	uint64_t seq;
	uint64_t start_ms;
	uint8_t *pt;
	size_t len;
};

static int
cmp_opened(const void *a, const void *b)
{
	const struct opened *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int
clips_open(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *out = NULL;
	char cam_id[2 * SEG_CAMERA_ID_BYTES + 1], why[256], t1[TIMESPEC_TEXT_MAX];
	uint8_t camera_pk[SEG_PK_BYTES];
	struct opened *ok = NULL;
	struct acct me = { 0 };
	struct objs_reader rd = { 0 };
	struct seg_header h;
	struct join *j = NULL;
	int ch, i, nok = 0, bad = 0, rc = CLI_EXIT_FAIL, have_acct = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 'o': out = optarg; break;
		case 'h': fputs(open_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (whose key the files "
		    "must be signed with)");
	if (optind >= argc)
		return cli_usage(cli, "no sealed files given");
	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if (trust_local_camera(cli, camera, camera_pk, cam_id) != 0)
		goto out;
	rd.camera_pk = camera_pk;
	rd.box_pk = acct_box_pk(&me);
	rd.box_sk = acct_box_sk(&me);
	if ((ok = calloc((size_t)(argc - optind), sizeof(*ok))) == NULL)
		goto out;
	for (i = optind; i < argc; i++) {
		uint8_t *buf = NULL;
		size_t len = 0;

		if (fsutil_read_bounded(argv[i], (size_t)SEG_MAX_SEALED, &buf, &len) != 0) {
			fprintf(stderr, "%s: cannot read: %s\n", argv[i], strerror(errno));
			bad++;
			continue;
		}
		if (objs_open_buf(buf, len, SEG_KIND_SEGMENT, 0, 0, &rd, &ok[nok].pt,
		    &ok[nok].len, &h, why, sizeof(why)) != 0) {
			fprintf(stderr, "%s: REFUSED: %s\n", argv[i], why);
			bad++;
		} else {
			printf("%s: ok: seq %" PRIu64 ", %s, %.1fs, keyring epoch %u, "
			    "camera %s\n", argv[i], h.seq,
			    timespec_format_time((int64_t)h.start_ms, t1),
			    h.duration_ms / 1000.0, h.epoch, cam_id);
			ok[nok].seq = h.seq;
			ok[nok].start_ms = h.start_ms;
			nok++;
		}
		free(buf);
	}
	if (bad) {
		cli_err(cli, "%d of %d file%s failed verification%s", bad, argc - optind,
		    argc - optind == 1 ? "" : "s", out ? "; nothing written" : "");
		goto out;
	}
	if (out != NULL) {
		qsort(ok, (size_t)nok, sizeof(*ok), cmp_opened);
		if ((j = join_new(out, 0, INT64_MAX / 2000)) == NULL)
			goto out;
		for (i = 0; i < nok; i++)
			if (join_add(j, ok[i].pt, ok[i].len, (int64_t)ok[i].start_ms) != 0) {
				cli_err(cli, "seq %" PRIu64 " cannot be joined: %s; nothing "
				    "written", ok[i].seq, join_errmsg(j));
				goto out;
			}
		if (join_finish(j) != 0) {
			cli_err(cli, "%s; nothing written", join_errmsg(j));
			goto out;
		}
		fprintf(stderr, "%d segment%s joined into %s\n", nok,
		    nok == 1 ? "" : "s", out);
	}
	rc = CLI_EXIT_OK;
out:
	for (i = 0; ok != NULL && i < nok; i++) {
		sodium_memzero(ok[i].pt, ok[i].len);
		free(ok[i].pt);
	}
	free(ok);
	join_free(j);
	if (have_acct)
		acct_free(&me);
	return rc;
}
