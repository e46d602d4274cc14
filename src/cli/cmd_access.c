/*
 * sealcam access [--watch] — every staff access to the owner's footage,
 * each verified against the transparency log.
 *
 * The log is verified as 'sealcam log verify' does (logv.c: checkpoint
 * under the pinned key, extending the last one; every entry of this
 * account's chain included; no gap). Then each access record the server
 * lists (GET /v1/me/accesses) must be committed to by a staff_access entry
 * of that chain, for one of this owner's grants (signed by this device's
 * key) and its grantee. A staff_access entry without a record, or a record
 * without its entry, is a problem: the server hides what was accessed, or
 * claims an access it did not log. --watch then waits on the server's
 * event stream (GET /v1/me/events) and prints each new access once it is
 * verified the same way.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cams.h"
#include "cli.h"
#include "codec.h"
#include "grantc.h"
#include "httpc.h"
#include "logv.h"
#include "rcpt.h"
#include "seg.h"
#include "timespec.h"

static const char usage[] =
"usage: sealcam access [--watch [--count N]]\n"
"\n"
"Lists every access staff made to your footage: when, who (from the logged\n"
"staff directory), which camera and clip, under which grant. Each one is\n"
"checked against your transparency log (the server cannot show an access it\n"
"did not log, nor hide one it logged without the check failing); anything\n"
"that does not verify is reported and the exit status is 1.\n"
"--watch keeps running and prints each new access as it happens (the server\n"
"announces it; it is shown once verified). --count N stops after N new ones.\n"
"Footage fetched under a grant cannot be un-seen: revoking a grant ('sealcam\n"
"grant revoke') only stops further fetches.\n";

/* What one run knows: the verified log, grants and directory. */
struct view {
	struct logv lv;
	json_t *grants;			/* GET /v1/grants (raw) */
	json_t *cams;
	struct rcpt_principal *dir;
	size_t ndir;
	int64_t last_seq;		/* highest access seq printed */
	int problems;
};

static void
view_free(struct view *v)
{
	logv_free(&v->lv);
	json_decref(v->grants);
	json_decref(v->cams);
	free(v->dir);
	v->grants = v->cams = NULL;
	v->dir = NULL;
}

/* One access, checked and printed; 0 verified, 1 a problem. */
static int
show(struct cli *cli, struct view *v, const json_t *a, unsigned char *used, const char *tag,
    int quiet)
{
	static struct grant_access rec;
	uint8_t buf[GRANT_ACCESS_MAX], c[32];
	const char *b64 = json_string_value(json_object_get(a, "record"));
	const struct logv_entry *hit = NULL;
	char t1[TIMESPEC_TEXT_MAX], who[128], s8[9], s9[9], r1[96], why[160];
	struct grantc gc;
	const json_t *g;
	size_t len = 0, i;
	int found = 0, have = 0;

	if (b64 == NULL || codec_b64_decode(b64, strlen(b64), buf, sizeof(buf), &len) != 0 ||
	    grant_access_parse(buf, len, &rec) != GRANT_OK) {
		cli_err(cli, "the server listed a malformed access record");
		return 1;
	}
	grant_access_commitment(buf, len, c);
	for (i = 0; i < v->lv.n; i++) {
		const struct tlog_entry *e = &v->lv.ents[i].e;
		if (e->type == TLOG_E_STAFF_ACCESS && memcmp(e->subject, rec.grant_id, 16) == 0 &&
		    memcmp(e->actor, rec.principal_id, 16) == 0 &&
		    sodium_memcmp(e->commitment, c, 32) == 0) {
			hit = &v->lv.ents[i];
			used[i] = 1;
		}
	}
	json_array_foreach(json_object_get(v->grants, "grants"), i, g) {
		if (grantc_parse(g, v->lv.acct.v.sign_pk, &gc, why, sizeof(why)) != 0)
			continue;
		if (memcmp(gc.g.grant_id, rec.grant_id, 16) == 0) {
			have = 1;
			found = memcmp(gc.g.grantee_id, rec.principal_id, 16) == 0 &&
			    memcmp(gc.g.camera_id, rec.camera_id, 16) == 0;
			break;
		}
		grantc_clear(&gc);
	}
	rcpt_who(v->dir, v->ndir, rec.principal_id, who, sizeof(who));
	if (hit == NULL || !found) {
		cli_err(cli, "an access by %s at %s is NOT verified: %s", who,
		    timespec_format_time((int64_t)rec.time_ms, t1), hit == NULL ?
		    "it is not in your transparency log" : "it is not under one of your grants"
		    " to that staff member");
		if (have)
			grantc_clear(&gc);
		return 1;
	}
	if (!quiet)
		printf("%s%s  %s  %s  %u %s%s, %s  grant %s  verified (log entry %" PRIu64 ")\n",
	    tag, timespec_format_time((int64_t)rec.time_ms, t1), who,
	    cams_name_by_id(v->cams, rec.camera_id, s8), rec.n, rec.obj[0].kind == SEG_KIND_DERIVATIVE ?
	    "anonymized clip" : "segment", rec.n == 1 || rec.obj[0].kind == SEG_KIND_DERIVATIVE ?
	    "" : "s", grantc_range(&gc.g, r1, sizeof(r1)), grantc_short(rec.grant_id, s9),
	    hit->index);
	grantc_clear(&gc);
	return 0;
}

/* Verify everything; print accesses after v->last_seq (all, first time). */
static int
run(struct cli *cli, struct view *v, int first, int *newly)
{
	json_t *resp = NULL, *a;
	unsigned char *used = NULL;
	struct httpc *h;
	json_int_t after = -1;
	char path[96], t1[TIMESPEC_TEXT_MAX], who[128], s9[9];
	int r, st, total = 0;
	size_t i;

	*newly = 0;
	view_free(v);
	v->problems = 0;
	if ((r = logv_run(cli, &v->lv)) < 0)
		return -1;
	v->problems += r;
	if ((h = cli_http(cli, 1)) == NULL || (v->cams = cams_fetch(cli)) == NULL ||
	    rcpt_directory(cli, h, &v->dir, &v->ndir) != 0)
		return -1;
	if ((st = httpc_json(h, "GET", "/v1/grants", NULL, &v->grants)) != 200) {
		cli_api_fail(cli, "listing your grants", st, v->grants);
		return -1;
	}
	if ((used = calloc(v->lv.n + 1, 1)) == NULL)
		return -1;
	for (;;) {
		json_t *next;

		snprintf(path, sizeof(path), "/v1/me/accesses?after_seq=%lld", (long long)after);
		if ((st = httpc_json(h, "GET", path, NULL, &resp)) != 200) {
			cli_api_fail(cli, "listing accesses", st, resp);
			free(used);
			json_decref(resp);
			return -1;
		}
		json_array_foreach(json_object_get(resp, "accesses"), i, a) {
			json_int_t seq = json_integer_value(json_object_get(a, "seq"));
			int fresh = seq > v->last_seq;

			if (first && total++ == 0)
				printf("%-19s  %-32s  %-12s  %-40s  %-14s  %s\n", "WHEN", "WHO",
				    "CAMERA", "WHAT", "GRANT", "CHECK");
			if (fresh && !first)
				(*newly)++;
			/* Every access is checked; the ones shown before quietly. */
			v->problems += show(cli, v, a, used, first ? "" : "NEW ACCESS: ",
			    !(fresh || first));
			fflush(stdout);
			if (seq > v->last_seq)
				v->last_seq = seq;
		}
		next = json_object_get(resp, "next_after_seq");
		if (!json_is_integer(next) || json_integer_value(next) <= after)
			break;
		after = json_integer_value(next);
		json_decref(resp);
		resp = NULL;
	}
	json_decref(resp);
	/* Logged accesses the server did not list: hidden from the owner. */
	for (i = 0; i < v->lv.n; i++) {
		const struct tlog_entry *e = &v->lv.ents[i].e;
		if (e->type != TLOG_E_STAFF_ACCESS || used[i])
			continue;
		cli_err(cli, "your log has an access by %s under grant %s at %s whose record"
		    " the server does not show (what was accessed is hidden)",
		    rcpt_who(v->dir, v->ndir, e->actor, who, sizeof(who)),
		    grantc_short(e->subject, s9), timespec_format_time((int64_t)e->time_ms, t1));
		v->problems++;
	}
	free(used);
	if (first && total == 0)
		printf("No staff access to your footage (your log of %zu entr%s verified).\n",
		    v->lv.n, v->lv.n == 1 ? "y" : "ies");
	return 0;
}

/* --- watching: server-sent events ------------------------------------------------- */

struct sse {
	char line[512];
	size_t len;
	int event;			/* an "event: access" was seen */
};

static int
callback_sse(void *cookie, const uint8_t *buf, size_t n)
{
	struct sse *s = cookie;

	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '\n') {
			if (s->len + 1 < sizeof(s->line))
				s->line[s->len++] = (char)buf[i];
			continue;
		}
		s->line[s->len] = '\0';
		if (strcmp(s->line, "event: access") == 0)
			s->event = 1;
		/* A blank line ends an event: stop the stream, verify, reconnect. */
		if (s->len == 0 && s->event)
			return -1;
		s->len = 0;
	}
	return 0;
}

int
cmd_access(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "watch", no_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct view v;
	struct httpc *stream = NULL;
	long count = 0, seen = 0;
	char path[96], *end;
	int ch, watch = 0, newly, rc = CLI_EXIT_FAIL;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'w': watch = 1; break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end != '\0' || count < 1)
				return cli_usage(cli, "--count: a positive number");
			break;
		case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	memset(&v, 0, sizeof(v));
	v.last_seq = -1;
	if (run(cli, &v, 1, &newly) != 0)
		goto out;
	if (!watch) {
		rc = v.problems == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
		if (v.problems > 0)
			fprintf(stderr, "%d problem%s: see above.\n", v.problems,
			    v.problems == 1 ? "" : "s");
		goto out;
	}
	printf("Watching for new accesses (Ctrl-C to stop)...\n");
	fflush(stdout);
	if ((stream = cli_http_stream(cli)) == NULL)
		goto out;
	for (;;) {
		struct sse s;
		json_t *err = NULL;
		int st;

		memset(&s, 0, sizeof(s));
		snprintf(path, sizeof(path), "/v1/me/events?after_seq=%lld", (long long)v.last_seq);
		st = httpc_get_stream(stream, path, callback_sse, &s, &err);
		json_decref(err);
		if (!s.event && st != 200) {
			cli_err(cli, "the server's event stream failed (HTTP %d); stopping", st);
			goto out;
		}
		if (!s.event)
			continue;       /* the stream's time was up: reconnect */
		if (run(cli, &v, 0, &newly) != 0)
			goto out;
		seen += newly;
		if (count > 0 && seen >= count)
			break;
	}
	rc = v.problems == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
	httpc_free(stream);
	view_free(&v);
	return rc;
}
