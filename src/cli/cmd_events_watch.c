/*
 * sealcam events watch — notifications as they happen.
 *
 * A long-poll loop on GET /v1/events (or one camera's route). A plaintext
 * notification ("motion" or "ring" on a camera, now) is printed at once;
 * when the sealed record of the event arrives (a "record" notification)
 * it is downloaded, verified and decrypted here and its details printed:
 * labels, zones, end. With --person-only, an event is announced only once
 * one of its verified records says a person was seen, so the server never
 * learns which notifications this device cared about.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct.h"
#include "cams.h"
#include "cli.h"
#include "cmd_events.h"
#include "evfetch.h"
#include "httpc.h"
#include "timespec.h"

#define WATCH_POLL_S 25
#define WATCH_CAMS 64

struct wcam {
	struct evcam ec;
	int open;
	struct evview *v;	/* recent events of this camera */
	size_t n;
	uint64_t announced[256];	/* event ids already announced */
	unsigned nann;
};

struct watch {
	struct cli *cli;
	struct acct me;
	json_t *cams;
	struct wcam cam[WATCH_CAMS];
	size_t ncam;
	int person, json;
	long count, shown;
};

static int
announced(struct wcam *w, uint64_t id)
{
	for (unsigned i = 0; i < w->nann && i < 256; i++)
		if (w->announced[i] == id)
			return 1;
	return 0;
}

static void
mark(struct wcam *w, uint64_t id)
{
	w->announced[w->nann++ % 256] = id;
}

/* The camera of a notification, opened for reading on first use. */
static struct wcam *
watch_camera(struct watch *wt, const char *cam_id)
{
	json_t *c, *found = NULL;
	size_t i;

	for (i = 0; i < wt->ncam; i++)
		if (strcmp(wt->cam[i].ec.cam_id, cam_id) == 0)
			return wt->cam[i].open ? &wt->cam[i] : NULL;
	if (wt->ncam == WATCH_CAMS)
		return NULL;
	for (int pass = 0; pass < 2 && found == NULL; pass++) {
		if (pass == 1) {	/* a camera added since we started */
			json_decref(wt->cams);
			if ((wt->cams = cams_fetch(wt->cli)) == NULL)
				return NULL;
		}
		json_array_foreach(wt->cams, i, c)
			if (strcmp(cams_str(c, "camera_id"), cam_id) == 0)
				found = c;
	}
	if (found == NULL)
		return NULL;
	i = wt->ncam++;
	wt->cam[i].open = evcam_open(wt->cli, &wt->me, found, &wt->cam[i].ec) == 0;
	snprintf(wt->cam[i].ec.cam_id, sizeof(wt->cam[i].ec.cam_id), "%s", cam_id);
	return wt->cam[i].open ? &wt->cam[i] : NULL;
}

static int64_t
now_ms(void)
{
	return timespec_now_ms();
}

/* One announcement line (flushed: scripts read it as it comes). */
static void
announce(struct watch *wt, struct wcam *w, const char *what, uint64_t id,
    int64_t start_ms, int64_t at_ms, const struct evview *v)
{
	char t1[TIMESPEC_TEXT_MAX], line[512];

	if (wt->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "type",
		    what, "camera_id", w->ec.cam_id, "camera", w->ec.name, "event",
		    (json_int_t)id, "start_ms", (json_int_t)start_ms, "at_ms",
		    (json_int_t)at_ms, "received_ms", (json_int_t)now_ms());
		char *text;

		if (o != NULL && v != NULL)
			json_object_set_new(o, "details", evfetch_json(v, w->ec.cam_id));
		if (o != NULL && (text = json_dumps(o, JSON_COMPACT)) != NULL) {
			printf("%s\n", text);
			free(text);
		}
		json_decref(o);
	} else if (v != NULL) {
		evfetch_print(v, now_ms(), line, sizeof(line));
		printf("%s  %s: %s\n", w->ec.name, what, line);
	} else {
		printf("%s  %s: %s event %" PRIu64 " at %s\n", w->ec.name, what,
		    strcmp(what, "ring") == 0 ? "doorbell" : "motion", id,
		    timespec_format_time(start_ms, t1));
	}
	fflush(stdout);
}

/* A stored record: fetch, verify, decrypt, merge, tell. */
static void
on_record(struct watch *wt, struct wcam *w, uint64_t seq)
{
	struct evrec r;
	uint8_t *jpeg;
	size_t jlen;
	char why[256];
	struct evview *v = NULL;

	if (evfetch_record(wt->cli, &w->ec, seq, 0, &r, &jpeg, &jlen, why,
	    sizeof(why)) != 0) {
		fprintf(stderr, "sealcam events watch: %s record %" PRIu64 ": %s\n",
		    w->ec.name, seq, why);
		return;
	}
	if (evfetch_merge(&w->v, &w->n, &r, seq, jpeg, jlen) != 0)
		return;
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].rec.event == r.event)
			v = &w->v[i];
	if (v == NULL)
		return;
	if (wt->person) {
		if (evrec_label_score(&v->rec, "person") <= 0 ||
		    announced(w, r.event))
			return;
		mark(w, r.event);
		announce(wt, w, "person", r.event, v->rec.start_ms, 0, v);
		wt->shown++;
		return;
	}
	announce(wt, w, evrec_state_name(r.state), r.event, v->rec.start_ms, 0, v);
	/* Keep the memory of a long watch bounded. */
	if (w->n > 200) {
		free(w->v[0].jpeg);
		memmove(&w->v[0], &w->v[1], (w->n - 1) * sizeof(*w->v));
		w->n--;
	}
}

static const char watch_usage[] =
"usage: sealcam events watch [--camera NAME] [--person-only] [--json]\n"
"                            [--count N] [--timeout SECONDS]\n"
"\n"
"Prints events as they happen on your cameras (or one): a doorbell ring or\n"
"motion at once, then what the camera's sealed record says (people, cars,\n"
"animals, zones, the end), verified and decrypted on this device.\n"
"--person-only prints only events in which a person was recognised (the\n"
"choice stays on this device). --count N stops after N events,\n"
"--timeout after that many seconds. --json prints one object per line.\n";

int
events_watch(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "person-only", no_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL;
	struct watch *wt;
	struct httpc *h;
	json_t *resp = NULL, *cam;
	char base[256], path[320], cursor[32] = "";
	int64_t deadline = 0;
	long timeout_s = 0;
	char *end;
	int ch, rc = CLI_EXIT_FAIL, st;

	if ((wt = calloc(1, sizeof(*wt))) == NULL)
		return CLI_EXIT_FAIL;
	wt->cli = cli;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 'p': wt->person = 1; break;
		case 'j': wt->json = 1; break;
		case 'n':
			wt->count = strtol(optarg, &end, 10);
			if (*end != '\0' || wt->count < 1) {
				free(wt);
				return cli_usage(cli, "--count: a number from 1");
			}
			break;
		case 't':
			timeout_s = strtol(optarg, &end, 10);
			if (*end != '\0' || timeout_s < 1) {
				free(wt);
				return cli_usage(cli, "--timeout: seconds, from 1");
			}
			break;
		case 'h': fputs(watch_usage, stdout); free(wt); return CLI_EXIT_OK;
		default: free(wt); return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc) {
		free(wt);
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	}
	if (acct_load(cli, &wt->me) != 0) {
		free(wt);
		return CLI_EXIT_FAIL;
	}
	if ((wt->cams = cams_fetch(cli)) == NULL)
		goto out;
	snprintf(base, sizeof(base), "/v1/events");
	if (camera != NULL) {
		if ((cam = cams_find(cli, wt->cams, camera)) == NULL)
			goto out;
		snprintf(base, sizeof(base), "/v1/cameras/%s/events",
		    cams_str(cam, "camera_id"));
	}
	if ((h = cli_http(cli, 1)) == NULL)
		goto out;
	httpc_set_timeout(h, WATCH_POLL_S + 20);
	if (timeout_s > 0)
		deadline = now_ms() + timeout_s * 1000;
	if (!wt->json) {
		fprintf(stderr, "watching %s for events%s (Ctrl-C stops)\n",
		    camera ? camera : "your cameras", wt->person ?
		    " with a person" : "");
	}
	while (wt->count == 0 || wt->shown < wt->count) {
		long wait = WATCH_POLL_S;
		json_t *evs, *e, *next;
		size_t i;

		if (deadline > 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				break;
			wait = left / 1000 < wait ? left / 1000 : wait;
		}
		snprintf(path, sizeof(path), "%s?wait=%ld%s%s", base, wait,
		    cursor[0] ? "&after=" : "", cursor);
		json_decref(resp);
		resp = NULL;
		st = httpc_json(h, "GET", path, NULL, &resp);
		if (st != 200) {
			cli_api_fail(cli, "waiting for events", st, resp);
			goto out;
		}
		next = json_object_get(resp, "next");
		if (json_is_integer(next))
			snprintf(cursor, sizeof(cursor), "%" JSON_INTEGER_FORMAT,
			    json_integer_value(next));
		if (json_is_true(json_object_get(resp, "gap")) && !wt->json)
			fprintf(stderr, "note: some notifications were missed (the "
			    "server restarted?); 'sealcam events list' has them all\n");
		evs = json_object_get(resp, "events");
		json_array_foreach(evs, i, e) {
			const char *type = json_string_value(json_object_get(e, "type"));
			const char *cid = json_string_value(json_object_get(e, "camera_id"));
			uint64_t seq = (uint64_t)json_integer_value(json_object_get(e, "seq"));
			struct wcam *w;

			if (type == NULL || cid == NULL || (w = watch_camera(wt, cid)) == NULL)
				continue;
			if (strcmp(type, "record") == 0) {
				on_record(wt, w, seq);
			} else if (!wt->person) {
				if (announced(w, seq))
					continue;
				mark(w, seq);
				announce(wt, w, type, seq, json_integer_value(
				    json_object_get(e, "start_ms")), json_integer_value(
				    json_object_get(e, "at_ms")), NULL);
				wt->shown++;
			} else if (strcmp(type, "ring") == 0 && !announced(w, seq)) {
				/* A ring is someone at the door: shown even when
				 * watching for people only. */
				mark(w, seq);
				announce(wt, w, type, seq, json_integer_value(
				    json_object_get(e, "start_ms")), json_integer_value(
				    json_object_get(e, "at_ms")), NULL);
				wt->shown++;
			}
			if (wt->count > 0 && wt->shown >= wt->count)
				break;
		}
	}
	rc = CLI_EXIT_OK;
out:
	json_decref(resp);
	for (size_t i = 0; i < wt->ncam; i++) {
		evfetch_free(wt->cam[i].v, wt->cam[i].n);
		if (wt->cam[i].open)
			evcam_close(&wt->cam[i].ec);
	}
	json_decref(wt->cams);
	acct_free(&wt->me);
	free(wt);
	return rc;
}
