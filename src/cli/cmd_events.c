/*
 * sealcam events list | get | watch — what the cameras saw.
 *
 * list: the camera's sealed event records in a range, each verified and
 * decrypted on this device (evfetch.c), merged per event.
 * get: one event's footage, pre- and post-roll included: its records give
 * the clip range, then 'clips get' joins the segments of that range.
 * watch: live notifications (cmd_events_watch.c).
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
#include "cmd_events.h"
#include "evfetch.h"
#include "fsutil.h"
#include "timespec.h"

static int events_list(struct cli *, int, char **);
static int events_get(struct cli *, int, char **);

static const struct cli_cmd events_cmds[] = {
	{ "list", events_list, "a camera's events in a time range (labels, zones, times)" },
	{ "get", events_get, "save one event's footage (with pre- and post-roll) as MP4" },
	{ "watch", events_watch, "notifications as they happen (doorbell rings, motion, people)" },
};

int
cmd_events(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "events", events_cmds,
	    (int)(sizeof(events_cmds) / sizeof(events_cmds[0])), argc, argv);
}

/* Write buf to path durably (replacing it). 0, or -1 with the error. */
static int
write_file(struct cli *cli, const char *path, const uint8_t *buf, size_t len)
{
	if (fsutil_write_durable(path, buf, len, 0644) != 0)
		return cli_err(cli, "cannot write '%s': %s", path, strerror(errno)),
		    -1;
	return 0;
}

static const char list_usage[] =
"usage: sealcam events list --camera NAME [--since TIME] [--until TIME]\n"
"                           [--person-only] [--json] [--thumbnails DIR]\n"
"\n"
"Lists the camera's events that overlap the range (default: the last 24\n"
"hours): id, start, kind (motion or ring), how long, what was recognised\n"
"(person, car, animal, with the detector's confidence) and the zones.\n"
"Every event record is verified (camera signature) and decrypted here;\n"
"the server only knows that something happened, and when.\n"
"--thumbnails DIR saves each event's thumbnail as DIR/<id>.jpg.\n"
"--json prints one JSON object per event (the browser's format).\n"
"\n"
"Times as for 'sealcam clips list'.\n"
"\n"
"example: sealcam events list --camera \"Front door\" --since 2h --person-only\n";

static int
events_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "person-only", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "thumbnails", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *since = "24h", *until = NULL, *thumbs = NULL;
	char line[512], path[4096];
	int64_t now = timespec_now_ms(), from, to;
	struct acct me = { 0 };
	struct evcam ec = { 0 };
	struct evview *v = NULL;
	json_t *cams = NULL, *cam;
	size_t n = 0, skipped = 0, shown = 0;
	int ch, rc = CLI_EXIT_FAIL, person = 0, json = 0, have_acct = 0,
	    have_cam = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 's': since = optarg; break;
		case 'u': until = optarg; break;
		case 'p': person = 1; break;
		case 'j': json = 1; break;
		case 't': thumbs = optarg; break;
		case 'h': fputs(list_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (the camera's name)");
	if (timespec_parse_time(since, now, &from) != 0)
		return cli_usage(cli, "--since '%s': expected a time such as 1h or "
		    "2026-11-01 12:00", since);
	to = now;
	if (until != NULL && timespec_parse_time(until, now, &to) != 0)
		return cli_usage(cli, "--until '%s': expected a time", until);
	if (to <= from)
		return cli_usage(cli, "the range is empty: --until must be later "
		    "than --since");
	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if ((cams = cams_fetch(cli)) == NULL ||
	    (cam = cams_find(cli, cams, camera)) == NULL ||
	    evcam_open(cli, &me, cam, &ec) != 0)
		goto out;
	have_cam = 1;
	if (evfetch_range(cli, &ec, from, to, &v, &n, &skipped) != 0)
		goto out;
	if (!json && n > 0)
		printf("%-8s %-19s  %-6s  %9s  %-24s  %s\n", "ID", "START", "KIND",
		    "LENGTH", "WHAT", "ZONES");
	for (size_t i = 0; i < n; i++) {
		if (person && evrec_label_score(&v[i].rec, "person") <= 0)
			continue;
		shown++;
		if (json) {
			json_t *o = evfetch_json(&v[i], ec.cam_id);
			char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

			if (text != NULL)
				printf("%s\n", text);
			free(text);
			json_decref(o);
		} else {
			evfetch_print(&v[i], now, line, sizeof(line));
			printf("%s\n", line);
		}
		if (thumbs != NULL && v[i].jpeg != NULL) {
			snprintf(path, sizeof(path), "%s/%" PRIu64 ".jpg", thumbs,
			    v[i].rec.event);
			if (write_file(cli, path, v[i].jpeg, v[i].jlen) != 0)
				goto out;
		}
	}
	if (!json) {
		char t1[TIMESPEC_TEXT_MAX], t2[TIMESPEC_TEXT_MAX];

		printf("%zu %sevent%s on %s between %s and %s (verified and "
		    "decrypted here).\n", shown, person ? "person " : "",
		    shown == 1 ? "" : "s", ec.name, timespec_format_time(from, t1),
		    timespec_format_time(to, t2));
		if (skipped > 0)
			printf("note: %zu event record%s sealed under a keyring "
			    "without your key: skipped\n", skipped,
			    skipped == 1 ? "" : "s");
	}
	rc = CLI_EXIT_OK;
out:
	evfetch_free(v, n);
	if (have_cam)
		evcam_close(&ec);
	json_decref(cams);
	if (have_acct)
		acct_free(&me);
	return rc;
}

static const char get_usage[] =
"usage: sealcam events get ID --camera NAME -o FILE.mp4 [--thumbnail FILE.jpg]\n"
"\n"
"Saves event ID's footage as one MP4: from its pre-roll (before the first\n"
"motion, or before the doorbell press) to its post-roll, every segment\n"
"verified and decrypted as by 'sealcam clips get' (which this runs for\n"
"the event's range). --thumbnail also saves the event's picture. An event\n"
"still going on is saved up to now.\n"
"\n"
"example: sealcam events get 17 --camera \"Front door\" -o ring.mp4\n";

static int
events_get(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "output", required_argument, NULL, 'o' },
		{ "thumbnail", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *out = NULL, *thumb = NULL;
	char why[256], since[40], until[40], t1[TIMESPEC_TEXT_MAX];
	struct acct me = { 0 };
	struct evcam ec = { 0 };
	struct evview *v = NULL;
	struct evrec r;
	uint8_t *jpeg = NULL;
	size_t n = 0, jlen = 0, i;
	json_t *cams = NULL, *cam, *objs = NULL, *o;
	uint64_t id;
	int64_t from, to;
	char *end;
	int ch, rc = CLI_EXIT_FAIL, have_acct = 0, have_cam = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 'o': out = optarg; break;
		case 't': thumb = optarg; break;
		case 'h': fputs(get_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cli, "one event ID is required (from 'sealcam "
		    "events list')");
	errno = 0;
	id = strtoull(argv[optind], &end, 10);
	if (errno != 0 || *end != '\0' || id == 0 || argv[optind][0] == '-')
		return cli_usage(cli, "'%s' is not an event id (a number from "
		    "'sealcam events list')", argv[optind]);
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (the camera's name)");
	if (out == NULL && thumb == NULL)
		return cli_usage(cli, "-o FILE.mp4 is required (or --thumbnail)");
	if (acct_load(cli, &me) != 0)
		goto out;
	have_acct = 1;
	if ((cams = cams_fetch(cli)) == NULL ||
	    (cam = cams_find(cli, cams, camera)) == NULL ||
	    evcam_open(cli, &me, cam, &ec) != 0)
		goto out;
	have_cam = 1;

	/* The event's first record, then its later ones (same clip start,
	 * higher sequence numbers). */
	if (evfetch_record(cli, &ec, id, 0, &r, &jpeg, &jlen, why,
	    sizeof(why)) != 0) {
		cli_err(cli, "event %" PRIu64 " of %s: %s", id, ec.name, why);
		goto out;
	}
	if (r.event != id) {
		cli_err(cli, "%" PRIu64 " is a later record of event %" PRIu64
		    "; ask for that id", id, r.event);
		free(jpeg);
		goto out;
	}
	if (evfetch_merge(&v, &n, &r, id, jpeg, jlen) != 0)
		goto out;
	if ((objs = objs_list(cli, ec.cam_id, "event", r.clip_start_ms,
	    r.clip_start_ms + 1)) == NULL)
		goto out;
	json_array_foreach(objs, i, o) {
		uint64_t seq = (uint64_t)json_integer_value(json_object_get(o, "seq"));
		uint32_t ep = (uint32_t)json_integer_value(json_object_get(o, "epoch"));
		struct evrec later;

		if (seq <= id)
			continue;
		if (evfetch_record(cli, &ec, seq, ep, &later, &jpeg, &jlen, why,
		    sizeof(why)) != 0)
			continue;	/* not ours, or another event's */
		if (later.event == id)
			(void)evfetch_merge(&v, &n, &later, seq, jpeg, jlen);
		else
			free(jpeg);
	}
	from = v[0].rec.clip_start_ms;
	to = v[0].rec.clip_end_ms >= 0 ? v[0].rec.clip_end_ms : timespec_now_ms();
	fprintf(stderr, "event %" PRIu64 " (%s, %s): footage %s + %.1f s\n", id,
	    evrec_kind_name(v[0].rec.kind), evrec_state_name(v[0].rec.state),
	    timespec_format_time(from, t1), (double)(to - from) / 1000.0);
	if (thumb != NULL) {
		if (v[0].jpeg == NULL) {
			cli_err(cli, "event %" PRIu64 " has no thumbnail", id);
			goto out;
		}
		if (write_file(cli, thumb, v[0].jpeg, v[0].jlen) != 0)
			goto out;
	}
	rc = CLI_EXIT_OK;
	if (out != NULL) {
		char *av[] = { "clips", "get", "--camera", ec.cam_id, "--since",
		    since, "--until", until, "-o", (char *)out, NULL };

		snprintf(since, sizeof(since), "@%" PRId64 ".%03d", from / 1000,
		    (int)(from % 1000));
		snprintf(until, sizeof(until), "@%" PRId64 ".%03d", to / 1000,
		    (int)(to % 1000));
		optind = 1;
		/* Messages then read "sealcam events get: ...". */
		snprintf(cli->cmd, sizeof(cli->cmd), "events");
		rc = cmd_clips(cli, 10, av);
	}
out:
	evfetch_free(v, n);
	json_decref(objs);
	if (have_cam)
		evcam_close(&ec);
	json_decref(cams);
	if (have_acct)
		acct_free(&me);
	return rc;
}
