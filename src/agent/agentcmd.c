/*
 * agentcmd — the agent's small subcommands that talk to a camera's files
 * or to the running agent rather than record:
 *
 *	sealcam-agent config --camera CAM [settings...] [--show]
 *	sealcam-agent press [--camera CAM]
 *
 * config edits <camera dir>/detect.json (detconf.h) and asks a running
 * agent to reload it over the control socket (control.h); press is a
 * doorbell press through that socket.
 */
#include "agentcmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "control.h"
#include "detconf.h"
#include "fsutil.h"

/* Find the camera directory for what (name or id prefix) under state. */
static int
find_camera(const char *state, const char *what, char *dir, size_t n,
    char id[CONFIG_ID_HEX])
{
	char ids[CONFIG_CAMERAS_MAX][CONFIG_ID_HEX], d[CONFIG_PATH_MAX + 64];
	struct camera_conf c;
	size_t count, hits = 0;

	if (config_list(state, ids, CONFIG_CAMERAS_MAX, &count) != 0 || count == 0) {
		fprintf(stderr, "sealcam-agent: no paired camera in %s\n", state);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		snprintf(d, sizeof(d), "%s/cameras/%.32s", state, ids[i]);
		if (config_load(d, &c) != 0)
			continue;
		if ((what == NULL && count == 1) ||
		    (what != NULL && (strcmp(c.name, what) == 0 ||
		    (strlen(what) >= 4 && strncmp(ids[i], what, strlen(what)) == 0)))) {
			snprintf(dir, n, "%s", d);
			memcpy(id, ids[i], CONFIG_ID_HEX);
			hits++;
		}
	}
	if (hits == 1)
		return 0;
	if (what == NULL)
		fprintf(stderr, "sealcam-agent: %zu cameras are paired here: name "
		    "one with --camera\n", count);
	else
		fprintf(stderr, "sealcam-agent: %s camera '%s' in %s\n",
		    hits ? "more than one" : "no", what, state);
	return -1;
}

static int
num(const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return errno == 0 && end != s && *end == '\0' && *out >= lo && *out <= hi ?
	    0 : -1;
}

static const char config_use[] =
"usage: sealcam-agent config --camera CAM [--state DIR] [settings...] [--show]\n"
"\n"
"Changes a camera's detection and event settings (<state>/cameras/<id>/\n"
"detect.json, docs/MOTION.md) and tells a running agent to use them now.\n"
"CAM is the camera's name or a prefix of its id.\n"
"\n"
"  --record MODE            continuous (no motion detection), events (only\n"
"                           event clips, with pre-roll), both (default)\n"
"  --detect-source URL      substream to detect on; 'main' = decode the main\n"
"                           stream at reduced cost (default)\n"
"  --notify WHAT            all (default), person (only events with a\n"
"                           person), none; doorbell rings always notify\n"
"  --labels-per-second N    person/car/animal detector runs, 0..10 (2; 0 off)\n"
"  --label-min-score X      confidence a label needs, 0.05..1 (0.5)\n"
"  --sensitivity N          1..100 (50)\n"
"  --threshold N            fixed pixel threshold 1..255, 0 = automatic\n"
"  --min-area F             smallest moving area, fraction of the frame\n"
"  --pre-roll-seconds N     footage before an event (3)\n"
"  --post-roll-seconds N    footage after an event (2)\n"
"  --end-quiet-seconds N    quiet time that ends an event (5)\n"
"  --mask 'x,y x,y x,y...'  add an ignored area (normalised 0..1 points)\n"
"  --zone 'NAME:x,y x,y...' add (or replace) a named zone\n"
"  --clear-masks, --clear-zones\n"
"  --motion-json JSON       merge motion settings given as a JSON object\n"
"  --decode fast|full       detection decoding (fast skips deblocking)\n"
"  --show                   print the settings (after any change)\n";

int
agent_cmd_config(int argc, char **argv)
{
	enum { O_CAM = 256, O_STATE, O_REC, O_DSRC, O_NOTIFY, O_LRATE, O_LMIN,
	    O_SENS, O_THR, O_AREA, O_PRE, O_POST, O_QUIET, O_MASK, O_ZONE,
	    O_CMASK, O_CZONE, O_MJSON, O_DECODE, O_SHOW, O_HELP };
	static const struct option lo[] = {
		{ "camera", required_argument, NULL, O_CAM },
		{ "state", required_argument, NULL, O_STATE },
		{ "record", required_argument, NULL, O_REC },
		{ "detect-source", required_argument, NULL, O_DSRC },
		{ "notify", required_argument, NULL, O_NOTIFY },
		{ "labels-per-second", required_argument, NULL, O_LRATE },
		{ "label-min-score", required_argument, NULL, O_LMIN },
		{ "sensitivity", required_argument, NULL, O_SENS },
		{ "threshold", required_argument, NULL, O_THR },
		{ "min-area", required_argument, NULL, O_AREA },
		{ "pre-roll-seconds", required_argument, NULL, O_PRE },
		{ "post-roll-seconds", required_argument, NULL, O_POST },
		{ "end-quiet-seconds", required_argument, NULL, O_QUIET },
		{ "mask", required_argument, NULL, O_MASK },
		{ "zone", required_argument, NULL, O_ZONE },
		{ "clear-masks", no_argument, NULL, O_CMASK },
		{ "clear-zones", no_argument, NULL, O_CZONE },
		{ "motion-json", required_argument, NULL, O_MJSON },
		{ "decode", required_argument, NULL, O_DECODE },
		{ "show", no_argument, NULL, O_SHOW },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *state_opt = NULL;
	char state[CONFIG_PATH_MAX], dir[CONFIG_PATH_MAX + 64], id[CONFIG_ID_HEX];
	char err[300], line[CONTROL_LINE_MAX], reply[256];
	struct detconf d;
	struct motion_config *m = &d.motion;
	struct motion_polygon poly;
	int ch, show = 0, changed = 0;
	double v;

	/* Two passes: where the camera is, then the changes in order. */
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (ch == O_CAM)
			camera = optarg;
		else if (ch == O_STATE)
			state_opt = optarg;
		else if (ch == O_HELP || ch == 'h') {
			fputs(config_use, stdout);
			return 0;
		} else if (ch == '?') {
			fprintf(stderr, "sealcam-agent config: unknown option or "
			    "missing value: %s\n'--help' for the options.\n",
			    argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "sealcam-agent config: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	if (config_state_dir(state_opt, state, sizeof(state)) != 0) {
		fprintf(stderr, "sealcam-agent: no state directory (--state)\n");
		return 2;
	}
	if (find_camera(state, camera, dir, sizeof(dir), id) != 0)
		return 1;
	if (detconf_load(dir, &d, err, sizeof(err)) != 0) {
		fprintf(stderr, "sealcam-agent config: %s\n", err);
		return 1;
	}
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		const char *bad = NULL;

		changed |= ch != O_CAM && ch != O_STATE && ch != O_SHOW;
		switch (ch) {
		case O_CAM: case O_STATE: break;
		case O_SHOW: show = 1; break;
		case O_REC:
			if ((d.record = detconf_record_parse(optarg)) < 0)
				bad = "--record: continuous, events or both";
			break;
		case O_DSRC:
			snprintf(d.detect_source, sizeof(d.detect_source), "%s",
			    strcmp(optarg, "main") == 0 ? "" : optarg);
			break;
		case O_NOTIFY:
			if ((d.notify = detconf_notify_parse(optarg)) < 0)
				bad = "--notify: all, person or none";
			break;
		case O_LRATE:
			if (num(optarg, 0, DETCONF_LABEL_RATE_MAX, &d.labels_per_s) != 0)
				bad = "--labels-per-second: 0..10";
			break;
		case O_LMIN:
			if (num(optarg, 0.05, 1, &d.label_min_score) != 0)
				bad = "--label-min-score: 0.05..1";
			break;
		case O_SENS:
			if (num(optarg, 1, 100, &v) != 0 || v != (int)v)
				bad = "--sensitivity: 1..100";
			m->sensitivity = (int)v;
			break;
		case O_THR:
			if (num(optarg, 0, 255, &v) != 0 || v != (int)v)
				bad = "--threshold: 0..255";
			m->threshold = (int)v;
			break;
		case O_AREA:
			if (num(optarg, 0, 1, &v) != 0)
				bad = "--min-area: 0..1 (fraction of the frame)";
			m->min_area = (float)v;
			break;
		case O_PRE: case O_POST: case O_QUIET:
			if (num(optarg, 0, 600, &v) != 0)
				bad = "roll and quiet times: 0..600 seconds";
			*(ch == O_PRE ? &m->pre_roll_ms : ch == O_POST ?
			    &m->post_roll_ms : &m->end_quiet_ms) = (int)(v * 1000);
			break;
		case O_MASK:
			if (detconf_polygon_parse(optarg, &poly) != 0)
				bad = "--mask: 3 to 32 points 'x,y x,y x,y' in 0..1";
			else if (m->nmasks == MOTION_MAX_MASKS)
				bad = "--mask: at most 16 masks";
			else
				m->masks[m->nmasks++] = poly;
			break;
		case O_ZONE: {
			const char *colon = strchr(optarg, ':');
			size_t nl = colon ? (size_t)(colon - optarg) : 0;
			int k;

			if (colon == NULL || nl == 0 || nl >= MOTION_NAME_MAX ||
			    detconf_polygon_parse(colon + 1, &poly) != 0) {
				bad = "--zone: 'NAME:x,y x,y x,y' (name up to 31 "
				    "bytes, 3 to 32 points in 0..1)";
				break;
			}
			memcpy(poly.name, optarg, nl);
			for (k = 0; k < m->nzones && strcmp(m->zones[k].name,
			    poly.name) != 0; k++)
				;
			if (k == MOTION_MAX_ZONES)
				bad = "--zone: at most 16 zones";
			else {
				m->zones[k] = poly;
				if (k == m->nzones)
					m->nzones++;
			}
			break;
		}
		case O_CMASK: m->nmasks = 0; break;
		case O_CZONE: m->nzones = 0; break;
		case O_MJSON: {
			struct motion_config t = *m;

			if (motion_config_parse(&t, optarg, strlen(optarg), err,
			    sizeof(err)) != 0) {
				fprintf(stderr, "sealcam-agent config: --motion-json: "
				    "%s\n", err);
				return 2;
			}
			*m = t;
			break;
		}
		case O_DECODE:
			if (strcmp(optarg, "fast") != 0 && strcmp(optarg, "full") != 0)
				bad = "--decode: fast or full";
			d.decode_full = strcmp(optarg, "full") == 0;
			break;
		default:
			break;
		}
		if (bad != NULL) {
			fprintf(stderr, "sealcam-agent config: %s\n", bad);
			return 2;
		}
	}
	if (motion_config_check(m, err, sizeof(err)) != 0) {
		fprintf(stderr, "sealcam-agent config: %s\n", err);
		return 2;
	}
	if (changed) {
		if (detconf_save(dir, &d) != 0) {
			fprintf(stderr, "sealcam-agent config: cannot save %s/%s\n",
			    dir, DETCONF_FILE);
			return 1;
		}
		snprintf(line, sizeof(line), "reload %s", id);
		if (control_send(state, line, reply, sizeof(reply)) == 0)
			printf("saved; the running agent uses the new settings now\n");
		else
			printf("saved; used when the agent (re)starts\n");
	}
	if (show || !changed) {
		char path[CONFIG_PATH_MAX + 80];
		uint8_t *buf = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "%s/%s", dir, DETCONF_FILE);
		if (fsutil_read_bounded(path, DETCONF_MAX, &buf, &len) == 0) {
			fwrite(buf, 1, len, stdout);
			printf("\n");
			free(buf);
		} else {
			printf("(defaults: no %s yet)\n", DETCONF_FILE);
		}
	}
	return 0;
}

static const char press_use[] =
"usage: sealcam-agent press [--camera CAM] [--state DIR]\n"
"\n"
"A doorbell press: the running agent records a ring event (a thumbnail,\n"
"the footage around it) and notifies watchers at once. CAM is the camera's\n"
"name or id prefix; it may be left out when the agent records one camera.\n";

int
agent_cmd_press(int argc, char **argv)
{
	enum { O_CAM = 256, O_STATE, O_HELP };
	static const struct option lo[] = {
		{ "camera", required_argument, NULL, O_CAM },
		{ "state", required_argument, NULL, O_STATE },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *state_opt = NULL;
	char state[CONFIG_PATH_MAX], line[CONTROL_LINE_MAX], reply[256];
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case O_CAM: camera = optarg; break;
		case O_STATE: state_opt = optarg; break;
		case O_HELP: case 'h': fputs(press_use, stdout); return 0;
		default:
			fprintf(stderr, "%s", press_use);
			return 2;
		}
	}
	if (optind != argc || config_state_dir(state_opt, state, sizeof(state)) != 0) {
		fprintf(stderr, "%s", press_use);
		return 2;
	}
	snprintf(line, sizeof(line), "press%s%s", camera ? " " : "",
	    camera ? camera : "");
	rc = control_send(state, line, reply, sizeof(reply));
	if (rc < 0) {
		fprintf(stderr, "sealcam-agent press: no agent is running on %s "
		    "(%s)\n", state, strerror(errno));
		return 1;
	}
	if (rc > 0) {
		fprintf(stderr, "sealcam-agent press: %s\n", reply + (strncmp(reply,
		    "error ", 6) == 0 ? 6 : 0));
		return 1;
	}
	printf("ring: event %s\n", reply[2] == ' ' ? reply + 3 : "(id pending)");
	return 0;
}
