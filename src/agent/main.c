/*
 * sealcam-agent — records cameras at home, seals every segment to the
 * owner's keyring and uploads only ciphertext to sealcamd.
 *
 *	sealcam-agent pair '<pairing string>' --source <src> [--name N]
 *	sealcam-agent run
 *	sealcam-agent config --camera CAM [settings]     (agentcmd.c)
 *	sealcam-agent press [--camera CAM]               (agentcmd.c)
 *
 * Reads top to bottom: options, state, start one pipeline per camera
 * (camera.c), wait for SIGINT/SIGTERM, stop: every recorder seals the
 * segment in progress, the uploaders flush for a bounded time, exit 0.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>
#include <sodium.h>

#include "agentcmd.h"
#include "camera.h"
#include "config.h"
#include "control.h"
#include "detconf.h"
#include "log.h"
#include "pair.h"

#define MAIN_DRAIN_S_DEFAULT 10

static atomic_int stop_flag;	/* read by every camera thread */

/* Options shared by pair and run. */
struct opts {
	const char *state;
	const char *source;
	const char *name;
	int loop;		/* -1 = keep the camera's setting */
	double speed;		/* < 0 = keep */
	long segment_s;		/* 0 = keep */
	long max_segment_s;
	unsigned long long budget;
	long drain_s;
	long live_frag_ms;	/* -1 = keep */
	int record;		/* 0 = keep detect.json's */
	const char *detect_source;	/* NULL = keep */
	const char *press_input;	/* [CAMERA=]FILE|- */
};

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
};

static int cmd_pair(int argc, char **argv);
static int cmd_run(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "pair", cmd_pair, "register a camera with a pairing string, then record it" },
	{ "run", cmd_run, "record every paired camera (after a restart)" },
	{ "config", agent_cmd_config, "a camera's detection settings: masks, zones, sensitivity, recording mode" },
	{ "press", agent_cmd_press, "a doorbell press on a running agent's camera" },
};

static const char common_help[] =
    "  --state DIR              state directory (default $SEALCAM_AGENT_STATE,\n"
    "                           else ~/.local/share/sealcam-agent)\n"
    "  --segment-seconds N      target segment length, cut at the next\n"
    "                           keyframe (default 4)\n"
    "  --max-segment-seconds N  forced cut (default 10)\n"
    "  --spool-budget BYTES     disk for sealed segments awaiting upload per\n"
    "                           camera, K/M/G suffixes (default 2G); oldest\n"
    "                           continuous footage is evicted first\n"
    "  --loop                   file sources: start over at the end\n"
    "  --speed X                file/testsrc pacing: 1 real time (default),\n"
    "                           4 four times faster (tests), 0 unpaced\n"
    "  --drain-seconds N        on SIGTERM, keep uploading up to N s (10)\n"
    "  --live-fragment-ms N     live view fragment length, 0..500 ms; 0 = one\n"
    "                           frame per fragment (lowest latency; default 500)\n"
    "  --record MODE            continuous | events | both (with pair: saved;\n"
    "                           with run: this run only; default both)\n"
    "  --detect-source URL      substream to detect motion on ('main': decode\n"
    "                           the main stream at reduced cost, the default)\n"
    "  --press-input [CAM=]FILE doorbell: every line read from FILE (a FIFO\n"
    "                           fed by a GPIO watcher) or '-' (stdin) is a press\n"
    "  --log-level L            debug, info (default), warn, error\n"
    "\n"
    "Detection settings: 'sealcam-agent config --help'.\n";

static void
usage(FILE *f)
{
	fprintf(f, "usage: sealcam-agent <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %-6s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n'sealcam-agent <command> --help' for its options.\n");
}

static int
parse_bytes(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	case 't': case 'T': v <<= 40; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v == 0)
		return -1;
	*out = v;
	return 0;
}

static int
parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/*
 * Parse argv into o; with pair != 0 the pairing options are accepted too.
 * Returns the index of the first positional argument, -1 on error, -2 for
 * --help (printed).
 */
static int
parse_opts(int argc, char **argv, int pair, struct opts *o, const char *use)
{
	enum { O_STATE = 256, O_SOURCE, O_NAME, O_LOOP, O_SPEED, O_SEG, O_MAXSEG,
	    O_BUDGET, O_DRAIN, O_LEVEL, O_LIVEFRAG, O_RECORD, O_DSRC, O_PRESS,
	    O_HELP };
	static const struct option lo[] = {
		{ "state", required_argument, NULL, O_STATE },
		{ "source", required_argument, NULL, O_SOURCE },
		{ "name", required_argument, NULL, O_NAME },
		{ "loop", no_argument, NULL, O_LOOP },
		{ "speed", required_argument, NULL, O_SPEED },
		{ "segment-seconds", required_argument, NULL, O_SEG },
		{ "max-segment-seconds", required_argument, NULL, O_MAXSEG },
		{ "spool-budget", required_argument, NULL, O_BUDGET },
		{ "drain-seconds", required_argument, NULL, O_DRAIN },
		{ "live-fragment-ms", required_argument, NULL, O_LIVEFRAG },
		{ "record", required_argument, NULL, O_RECORD },
		{ "detect-source", required_argument, NULL, O_DSRC },
		{ "press-input", required_argument, NULL, O_PRESS },
		{ "log-level", required_argument, NULL, O_LEVEL },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	enum log_level lvl;
	char *end;
	int ch;

	memset(o, 0, sizeof(*o));
	o->loop = -1;
	o->speed = -1;
	o->drain_s = MAIN_DRAIN_S_DEFAULT;
	o->live_frag_ms = -1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case O_STATE: o->state = optarg; break;
		case O_SOURCE: if (!pair) goto bad; o->source = optarg; break;
		case O_NAME: if (!pair) goto bad; o->name = optarg; break;
		case O_LOOP: o->loop = 1; break;
		case O_SPEED:
			errno = 0;
			o->speed = strtod(optarg, &end);
			if (errno != 0 || *end != '\0' || o->speed < 0 ||
			    o->speed > 1000)
				goto bad;
			break;
		case O_SEG:
			if (parse_long(optarg, 1, 60, &o->segment_s) != 0)
				goto bad;
			break;
		case O_MAXSEG:
			if (parse_long(optarg, 1, 60, &o->max_segment_s) != 0)
				goto bad;
			break;
		case O_BUDGET:
			if (parse_bytes(optarg, &o->budget) != 0)
				goto bad;
			break;
		case O_DRAIN:
			if (parse_long(optarg, 0, 3600, &o->drain_s) != 0)
				goto bad;
			break;
		case O_RECORD:
			if ((o->record = detconf_record_parse(optarg)) < 0)
				goto bad;
			break;
		case O_DSRC:
			if (strlen(optarg) >= SOURCE_SPEC_MAX)
				goto bad;
			o->detect_source = optarg;
			break;
		case O_PRESS:
			o->press_input = optarg;
			break;
		case O_LIVEFRAG:
			if (parse_long(optarg, 0, 500, &o->live_frag_ms) != 0)
				goto bad;
			break;
		case O_LEVEL:
			if (log_parse_level(optarg, &lvl) != 0)
				goto bad;
			log_set_level(lvl);
			/* FFmpeg's own chatter only when debugging. */
			av_log_set_level(lvl == LOG_DEBUG ? AV_LOG_INFO :
			    lvl == LOG_INFO ? AV_LOG_ERROR : AV_LOG_FATAL);
			break;
		case 'h': case O_HELP:
			printf("%s\noptions:\n%s", use, common_help);
			return -2;
		default:
			goto bad;
		}
	}
	return optind;
bad:
	fprintf(stderr, "%s\n'--help' for the options.\n", use);
	return -1;
}

/* Apply command-line overrides to a camera's saved settings. */
static int
apply_opts(const struct opts *o, struct camera_conf *c)
{
	if (o->loop >= 0)
		c->loop = o->loop;
	if (o->speed >= 0)
		c->speed = o->speed;
	if (o->segment_s > 0)
		c->segment_s = (uint32_t)o->segment_s;
	if (o->max_segment_s > 0)
		c->max_segment_s = (uint32_t)o->max_segment_s;
	else if (c->max_segment_s < c->segment_s)
		c->max_segment_s = c->segment_s + 6;
	if (o->budget > 0)
		c->spool_budget = o->budget;
	if (o->live_frag_ms >= 0)
		c->live_frag_ms = (uint32_t)o->live_frag_ms;
	if (o->record > 0)
		c->record_override = o->record;
	if (o->detect_source != NULL) {
		c->detect_source_set = 1;
		snprintf(c->detect_source, sizeof(c->detect_source), "%s",
		    strcmp(o->detect_source, "main") == 0 ? "" : o->detect_source);
	}
	if (c->max_segment_s < c->segment_s) {
		fprintf(stderr, "sealcam-agent: --max-segment-seconds is below "
		    "--segment-seconds\n");
		return -1;
	}
	return 0;
}

/*
 * Run the given cameras until SIGINT/SIGTERM. The signals are blocked in
 * every thread (set before any thread starts) and taken here by sigwait.
 */
/* The press input's camera: "CAM=FILE" or the only camera. */
static struct pressin *
press_input_start(const char *spec, struct camera **cams, size_t n)
{
	char what[CONFIG_NAME_MAX] = "", why[160];
	const char *eq = strchr(spec, '='), *path = spec;
	struct camera *cam;

	if (eq != NULL && (size_t)(eq - spec) < sizeof(what)) {
		memcpy(what, spec, (size_t)(eq - spec));
		path = eq + 1;
	}
	if ((cam = control_find(cams, n, what, why, sizeof(why))) == NULL) {
		log_err("press", "msg=\"--press-input: %s\"", why);
		return NULL;
	}
	return pressin_start(path, cam);
}

/*
 * Run the given cameras until SIGINT/SIGTERM. The signals are blocked in
 * every thread (set before any thread starts) and taken here by sigwait.
 * The control socket (press, reload) and the press input run meanwhile.
 */
static int
run_cameras(const char *state, struct camera_conf *confs, size_t n,
    const struct opts *o)
{
	struct camera **cams;
	struct control *ctl = NULL;
	struct pressin *press = NULL;
	sigset_t set;
	size_t started = 0;
	int sig = 0;
	int64_t deadline;

	if ((cams = calloc(n ? n : 1, sizeof(*cams))) == NULL)
		return 1;
	for (size_t i = 0; i < n; i++)
		if ((cams[started] = camera_start(&confs[i], &stop_flag)) != NULL)
			started++;
	if (started == 0) {
		log_err("agent", "msg=\"no camera could be started\"");
		free(cams);
		return 1;
	}
	ctl = control_start(state, cams, started);
	if (o->press_input != NULL)
		press = press_input_start(o->press_input, cams, started);
	log_info("agent", "msg=running cameras=%zu", started);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
	log_info("agent", "msg=\"stopping: sealing segments in progress, "
	    "flushing uploads\" signal=%d drain_s=%ld", sig, o->drain_s);
	atomic_store(&stop_flag, 1);
	pressin_stop(press);
	control_stop(ctl);
	deadline = camera_now_ms() + o->drain_s * 1000;
	for (size_t i = 0; i < started; i++)
		camera_stop(cams[i], deadline);
	free(cams);
	log_info("agent", "msg=stopped");
	return 0;
}

static void
block_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int
cmd_pair(int argc, char **argv)
{
	static const char use[] = "usage: sealcam-agent pair '<pairing string>' "
	    "--source <rtsp://...|/dev/videoN|file.mp4|testsrc>\n"
	    "                          [--name NAME] [--state DIR] [options]";
	struct camera_conf c;
	struct opts o;
	char state[CONFIG_PATH_MAX];
	int i = parse_opts(argc, argv, 1, &o, use);

	if (i == -2)
		return 0;
	if (i < 0)
		return 2;
	if (argc - i != 1 || o.source == NULL) {
		fprintf(stderr, "%s\n", use);
		return 2;
	}
	if (config_state_dir(o.state, state, sizeof(state)) != 0) {
		fprintf(stderr, "sealcam-agent: no state directory (--state)\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	config_defaults(&c);
	if (snprintf(c.source, sizeof(c.source), "%s", o.source) >=
	    (int)sizeof(c.source) ||
	    snprintf(c.name, sizeof(c.name), "%s", o.name ? o.name : "Camera") >=
	    (int)sizeof(c.name) || apply_opts(&o, &c) != 0)
		return 2;
	block_signals();
	if (pair_register(argv[i], state, &c) != 0)
		return 1;
	/* Detection settings given at pairing are the camera's own. */
	if (o.record > 0 || o.detect_source != NULL) {
		struct detconf d;
		char err[256];

		if (detconf_load(c.dir, &d, err, sizeof(err)) != 0)
			detconf_default(&d);
		if (o.record > 0)
			d.record = o.record;
		if (o.detect_source != NULL)
			snprintf(d.detect_source, sizeof(d.detect_source), "%s",
			    c.detect_source);
		if (detconf_save(c.dir, &d) != 0)
			return 1;
		c.record_override = 0;
		c.detect_source_set = 0;
	}
	printf("paired camera %s (\"%s\"); recording starts when the owner's "
	    "keyring arrives\n", c.id_hex, c.name);
	fflush(stdout);
	/* Record this camera now; 'run' picks up every camera later. */
	return run_cameras(state, &c, 1, &o);
}

static int
cmd_run(int argc, char **argv)
{
	static const char use[] = "usage: sealcam-agent run [--state DIR] [options]";
	char ids[CONFIG_CAMERAS_MAX][CONFIG_ID_HEX];
	char state[CONFIG_PATH_MAX], dir[CONFIG_PATH_MAX + 64];
	struct camera_conf *confs;
	struct opts o;
	size_t n, k = 0;
	int i = parse_opts(argc, argv, 0, &o, use), rc;

	if (i == -2)
		return 0;
	if (i < 0 || i != argc)
		return 2;
	if (config_state_dir(o.state, state, sizeof(state)) != 0) {
		fprintf(stderr, "sealcam-agent: no state directory (--state)\n");
		return 2;
	}
	if (config_list(state, ids, CONFIG_CAMERAS_MAX, &n) != 0 || n == 0) {
		log_err("agent", "msg=\"no paired camera; use 'sealcam-agent pair'\" "
		    "state=%s", state);
		return 1;
	}
	if ((confs = calloc(n, sizeof(*confs))) == NULL)
		return 1;
	for (size_t j = 0; j < n; j++) {
		snprintf(dir, sizeof(dir), "%s/cameras/%.32s", state, ids[j]);
		if (config_load(dir, &confs[k]) == 0 &&
		    apply_opts(&o, &confs[k]) == 0)
			k++;
	}
	block_signals();
	rc = k > 0 ? run_cameras(state, confs, k, &o) : 1;
	sodium_memzero(confs, n * sizeof(*confs));
	free(confs);
	return rc;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	av_log_set_level(AV_LOG_ERROR);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "sealcam-agent: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
