/*
 * sealcam live — watch a camera live, end-to-end encrypted, and see who
 * watched.
 *
 *	sealcam live --camera "Front door" -o - | ffplay -
 *	sealcam live --camera "Front door" -o door.mp4 --duration 30
 *	sealcam live history --camera "Front door"     (owner)
 *
 * The stream (docs/FORMAT.md "Live stream") is opened with the core live
 * reader under the camera key this device trusts (trust.c): header and
 * every record signed by the camera, records decrypted with the live key
 * unwrapped with this device's key, order checked (no replay, reorder or
 * drop), and each record's capture time must be recent (a stream recorded
 * earlier and replayed by the server is refused). The output is the
 * fragmented MP4 itself: the init segment, then fragments as they arrive.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "acct.h"
#include "cams.h"
#include "cli.h"
#include "httpc.h"
#include "live.h"
#include "timespec.h"
#include "trust.h"

/* A record captured longer ago than this is stale (replayed, or a clock
 * far off): the stream is refused rather than shown as live. */
#define LIVE_STALE_MS 120000
/* No bytes for this long: the camera or the link is gone. */
#define LIVE_IDLE_MS 20000

static const char live_usage[] =
    "usage: sealcam live --camera NAME -o FILE|- [--duration SECONDS]\n"
    "       sealcam live history --camera NAME [--limit N]\n"
    "\n"
    "Watch a camera live. The stream is decrypted on this device only; the\n"
    "server relays ciphertext. Output is fragmented MP4 (play with\n"
    "'sealcam live --camera NAME -o - | ffplay -').\n"
    "\n"
    "  -c, --camera NAME     the camera (name or id)\n"
    "  -o, --output FILE     write the video here ('-' = standard output)\n"
    "  -d, --duration S      stop after S seconds of video (default: until\n"
    "                        the camera ends the session or Ctrl-C)\n"
    "  -s, --stats           at the end, how far behind the camera the video\n"
    "                        was (capture to written, p50/p99)\n"
    "\n"
    "'live history' lists who watched the camera live, when and for how long\n"
    "(the owner only).\n";

struct watch {
	struct cli *cli;
	struct live_reader *rd;
	FILE *out;
	int64_t duration_ms;      /* 0 = no limit */
	int64_t first_ms;         /* capture time of the first fragment */
	int64_t last_data_ms;     /* monotonic */
	int err;                  /* live error, or 0 */
	int stale;
	int done;                 /* duration reached */
	int ended;                /* END seen */
	uint64_t fragments;
	int stats;                /* --stats: how far behind the camera we are */
	int64_t *lag;             /* ms from capture to written, per fragment */
	size_t nlag, caplag;
};

static int64_t
now_ms(int mono)
{
	struct timespec ts;

	clock_gettime(mono ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
callback_event(void *cookie, const struct live_event *ev)
{
	struct watch *w = cookie;

	if (ev->type == LIVE_EV_HEAD)
		return 0;
	if (ev->type == LIVE_REC_END) {
		w->ended = 1;
		return 0;
	}
	if ((int64_t)ev->time_ms + LIVE_STALE_MS < now_ms(0)) {
		w->stale = 1;
		return -1;
	}
	if (ev->type == LIVE_REC_FRAG) {
		if (w->fragments++ == 0)
			w->first_ms = (int64_t)ev->time_ms;
		if (w->duration_ms > 0 &&
		    (int64_t)ev->time_ms - w->first_ms >= w->duration_ms) {
			w->done = 1;
			return -1;
		}
	}
	if (fwrite(ev->pt, 1, ev->ptlen, w->out) != ev->ptlen || fflush(w->out) != 0)
		return -1;
	if (w->stats && ev->type == LIVE_REC_FRAG) {
		if (w->nlag == w->caplag) {
			int64_t *n = realloc(w->lag, (w->caplag ? w->caplag * 2 : 256) *
			    sizeof(*n));
			if (n == NULL)
				return -1;
			w->lag = n;
			w->caplag = w->caplag ? w->caplag * 2 : 256;
		}
		w->lag[w->nlag++] = now_ms(0) - (int64_t)ev->time_ms;
	}
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* --stats: capture (the camera's clock at its first frame) to written. */
static void
print_stats(struct watch *w)
{
	if (!w->stats || w->nlag == 0)
		return;
	qsort(w->lag, w->nlag, sizeof(*w->lag), cmp_i64);
	fprintf(stderr, "sealcam live: behind the camera (capture of a fragment's "
	    "first frame to written): p50 %lld ms, p99 %lld ms, max %lld ms over "
	    "%zu fragments\n", (long long)w->lag[w->nlag / 2],
	    (long long)w->lag[w->nlag * 99 / 100], (long long)w->lag[w->nlag - 1],
	    w->nlag);
}

static int
callback_sink(void *cookie, const uint8_t *buf, size_t len)
{
	struct watch *w = cookie;
	int rc;

	w->last_data_ms = now_ms(1);
	rc = live_reader_write(w->rd, buf, len, callback_event, w);
	if (rc != LIVE_OK) {
		w->err = rc;
		return -1;
	}
	return 0;
}

static int
callback_idle(void *cookie)
{
	struct watch *w = cookie;

	return now_ms(1) - w->last_data_ms > LIVE_IDLE_MS;
}

static int
live_history(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL;
	long limit = 50;
	char path[160], t1[TIMESPEC_TEXT_MAX], t2[TIMESPEC_TEXT_MAX],
	    t3[TIMESPEC_TEXT_MAX];
	json_t *cams = NULL, *cam, *resp = NULL, *v, *views;
	struct httpc *h;
	size_t i;
	int ch, st, rc = CLI_EXIT_FAIL;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":c:n:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 'n':
			limit = strtol(optarg, NULL, 10);
			if (limit < 1 || limit > 1000)
				return cli_usage(cli, "--limit: 1..1000");
			break;
		case 'h': fputs(live_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (camera == NULL)
		return cli_usage(cli, "--camera is required");
	if ((cams = cams_fetch(cli)) == NULL ||
	    (cam = cams_find(cli, cams, camera)) == NULL ||
	    (h = cli_http(cli, 1)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "/v1/cameras/%s/live/history?limit=%ld",
	    cams_str(cam, "camera_id"), limit);
	st = httpc_json(h, "GET", path, NULL, &resp);
	if (st != 200) {
		rc = cli_api_fail(cli, "reading the live history", st, resp);
		goto out;
	}
	views = json_object_get(resp, "views");
	if (json_array_size(views) == 0) {
		printf("%s: nobody has watched live.\n", cams_str(cam, "name"));
		rc = CLI_EXIT_OK;
		goto out;
	}
	printf("%-19s  %9s  %10s  %s\n", "STARTED", "DURATION", "RECEIVED", "WHO");
	json_array_foreach(views, i, v) {
		json_t *end = json_object_get(v, "duration_ms");
		printf("%-19s  %9s  %10s  %s\n",
		    timespec_format_time(json_integer_value(json_object_get(v,
		    "started_ms")), t1),
		    json_is_integer(end) ? timespec_format_duration(
		    json_integer_value(end), t2) : "watching",
		    timespec_format_size((uint64_t)json_integer_value(
		    json_object_get(v, "bytes")), t3),
		    json_string_value(json_object_get(v, "email")));
	}
	rc = CLI_EXIT_OK;
out:
	json_decref(resp);
	json_decref(cams);
	return rc;
}

int
cmd_live(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "stats", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *output = NULL;
	int stats = 0;
	double dur = 0;
	char path[160];
	struct acct me;
	struct trust_cam tc;
	struct live_expect e;
	struct watch w;
	json_t *cams = NULL, *cam, *err = NULL;
	struct httpc *h;
	int ch, st, have_acct = 0, rc = CLI_EXIT_FAIL;
	char *end;

	if (argc > 1 && strcmp(argv[1], "history") == 0)
		return live_history(cli, argc - 1, argv + 1);
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":c:o:d:sh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 'o': output = optarg; break;
		case 's': stats = 1; break;
		case 'd':
			dur = strtod(optarg, &end);
			if (*end != '\0' || !(dur > 0) || dur > 86400)
				return cli_usage(cli, "--duration: seconds, more than 0");
			break;
		case 'h': fputs(live_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (see 'sealcam camera list')");
	if (output == NULL)
		return cli_usage(cli, "-o FILE (or '-o -' for standard output) is required");

	memset(&w, 0, sizeof(w));
	w.cli = cli;
	w.duration_ms = (int64_t)(dur * 1000);
	w.stats = stats;
	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if ((cams = cams_fetch(cli)) == NULL ||
	    (cam = cams_find(cli, cams, camera)) == NULL ||
	    trust_camera(cli, me.v.sign_pk, cam, stderr, &tc) != 0 ||
	    (h = cli_http(cli, 1)) == NULL)
		goto out;
	memset(&e, 0, sizeof(e));
	e.camera_pk = tc.camera_pk;
	if ((w.rd = live_reader_new(&e, acct_box_pk(&me), acct_box_sk(&me))) == NULL) {
		cli_err(cli, "out of memory");
		goto out;
	}
	w.out = strcmp(output, "-") == 0 ? stdout : fopen(output, "wb");
	if (w.out == NULL) {
		cli_err(cli, "cannot write '%s'", output);
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/cameras/%s/live", cams_str(cam, "camera_id"));
	/* A live stream has no end in sight: no request timeout, but a
	 * stream that goes silent is given up. */
	httpc_set_timeout(h, 0);
	w.last_data_ms = now_ms(1);
	httpc_set_abort(h, callback_idle, &w);
	st = httpc_get_stream(h, path, callback_sink, &w, &err);
	httpc_set_abort(h, NULL, NULL);
	if (w.done || (st == 200 && w.ended && live_reader_finish(w.rd) == LIVE_OK)) {
		fprintf(stderr, "sealcam live: %llu fragment%s from %s%s\n",
		    (unsigned long long)w.fragments, w.fragments == 1 ? "" : "s",
		    cams_str(cam, "name"), w.done ? "" : " (the camera ended the session)");
		print_stats(&w);
		rc = CLI_EXIT_OK;
	} else if (w.stale) {
		cli_err(cli, "refused: the stream's footage is more than %d s old "
		    "(replayed, or the camera's clock is wrong)", LIVE_STALE_MS / 1000);
	} else if (w.err != 0) {
		cli_err(cli, "refused the live stream: %s", live_strerror(w.err));
	} else if (st >= 300 || st < 200) {
		if (st > 0 || err != NULL)
			cli_api_fail(cli, "starting live view", st, err);
		else
			cli_err(cli, "live stream broke off: %s", httpc_errmsg(h));
	} else {
		cli_err(cli, "live stream broke off: %s", live_strerror(
		    live_reader_finish(w.rd)));
	}
out:
	if (w.out != NULL && w.out != stdout && fclose(w.out) != 0 && rc == CLI_EXIT_OK)
		rc = cli_err(cli, "cannot write '%s'", output);
	live_reader_free(w.rd);
	free(w.lag);
	json_decref(err);
	json_decref(cams);
	if (have_acct)
		acct_free(&me);
	return rc;
}
