/*
 * sealcam anonymize — a copy of a video in which people cannot be
 * recognised (anon_run in src/vision/anon.h does the work; this is its
 * command line: options, exit codes that say why it failed, a summary).
 * Needs no account, server or client home: it works on local files.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "anon.h"
#include "cli.h"
#include "log.h"

/* Exit codes beyond 0 / 1 / 2, one per way anon_run fails. */
#define EXIT_MODEL 3
#define EXIT_INPUT 4
#define EXIT_ANALYSE 5
#define EXIT_ENCODE 6
#define EXIT_OUTPUT 7
#define EXIT_NOMEM 8

static const char usage[] =
"usage: sealcam anonymize IN -o OUT [--report R.json] [options]\n"
"\n"
"Writes a copy of the video IN in which people cannot be recognised: faces\n"
"are found in every frame (and at full resolution where the picture moves,\n"
"plus a band that sweeps the frame), grown, held over the neighbouring\n"
"frames, and replaced by coarse blocks with random noise (never a blur);\n"
"a person whose face is not clearly seen is covered whole. Your privacy\n"
"masks are filled in every frame. The copy has no audio, no metadata (no\n"
"time, device or location) and timestamps that start at 0.\n"
"\n"
"It fails closed: if a model is missing, or any frame cannot be decoded or\n"
"analysed, nothing is written and the exit code says why.\n"
"\n"
"Options:\n"
"  -o, --output FILE    the anonymized video (.mp4, .mkv, .mov); required\n"
"  --report FILE        JSON: every masked frame with its boxes\n"
"  --mask X,Y,W,H       also fill this rectangle (frame pixels) in every\n"
"                       frame; repeat for more (at most 32)\n"
"  --threshold S        detection score 0..1 for faces and people (default\n"
"                       0.2; lower masks more, higher may miss faces)\n"
"  --people MODE        uncertain (default): whole person unless a face is\n"
"                       clear; always: every person whole; never: faces only\n"
"  --fill MODE          pixelate (default: blocks + noise) or solid (grey)\n"
"  --hold N             keep each box over +-N frames (default 5, 0-25)\n"
"  --preset NAME        x264 preset (default veryfast; ultrafast is faster,\n"
"                       files about 4x bigger)\n"
"  --crf N              x264 quality, 0-51 (default 23; lower is better)\n"
"  --threads N          analysis threads (default: one per core)\n"
"  --models DIR         node_modules folder holding the model packages\n"
"                       (default: $SEALCAM_NODE_MODULES, else next to sealcam)\n"
"  --verbose            log details (which frame, which file) on stderr\n"
"\n"
"Exit codes:\n"
"  0  done: OUT (and the report) written\n"
"  1  other failure\n"
"  2  bad usage\n"
"  3  a detection model could not be loaded (install: scripts/deps.sh)\n"
"  4  IN is missing, unreadable, damaged, or has no video\n"
"  5  a frame could not be analysed\n"
"  6  encoding failed\n"
"  7  OUT or the report could not be written\n"
"  8  out of memory\n";

static int exit_code(enum anon_err e)
{
	switch (e) {
	case ANON_OK: return CLI_EXIT_OK;
	case ANON_EINVAL: return CLI_EXIT_USAGE;
	case ANON_EMODEL: return EXIT_MODEL;
	case ANON_EINPUT: return EXIT_INPUT;
	case ANON_EANALYSE: return EXIT_ANALYSE;
	case ANON_EENCODE: return EXIT_ENCODE;
	case ANON_EOUTPUT: return EXIT_OUTPUT;
	case ANON_ENOMEM: return EXIT_NOMEM;
	}
	return CLI_EXIT_FAIL;
}

/* "X,Y,W,H" (non-negative integers, W and H > 0) as a 4-point polygon. */
static int parse_mask(const char *s, struct anon_poly *p)
{
	long v[4];
	char *end;

	for (int i = 0; i < 4; i++) {
		v[i] = strtol(s, &end, 10);
		if (end == s || v[i] < 0 || v[i] > 65535 || *end != (i < 3 ? ',' : '\0'))
			return -1;
		s = end + 1;
	}
	if (v[2] == 0 || v[3] == 0)
		return -1;
	p->n = 4;
	p->x[0] = p->x[3] = (float)v[0];
	p->x[1] = p->x[2] = (float)(v[0] + v[2]);
	p->y[0] = p->y[1] = (float)v[1];
	p->y[2] = p->y[3] = (float)(v[1] + v[3]);
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

/* Same file? (an existing OUT that is IN would be replaced by the copy) */
static int same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* frames_total and frames_masked from the report, for the summary. */
static void summary(const char *out, const char *report)
{
	json_t *r = report ? json_load_file(report, 0, NULL) : NULL;

	if (r)
		printf("anonymized %lld frames (%lld with masks) -> %s\n",
		    (long long)json_integer_value(json_object_get(r, "frames_total")),
		    (long long)json_integer_value(json_object_get(r, "frames_masked")), out);
	else
		printf("anonymized -> %s\n", out);
	json_decref(r);
}

int
cmd_anonymize(struct cli *cli, int argc, char **argv)
{
	enum { O_REPORT = 256, O_MASK, O_THRESHOLD, O_PEOPLE, O_FILL, O_HOLD, O_PRESET,
	    O_CRF, O_THREADS, O_MODELS, O_VERBOSE };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "report", required_argument, NULL, O_REPORT },
		{ "mask", required_argument, NULL, O_MASK },
		{ "threshold", required_argument, NULL, O_THRESHOLD },
		{ "people", required_argument, NULL, O_PEOPLE },
		{ "fill", required_argument, NULL, O_FILL },
		{ "hold", required_argument, NULL, O_HOLD },
		{ "preset", required_argument, NULL, O_PRESET },
		{ "crf", required_argument, NULL, O_CRF },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "models", required_argument, NULL, O_MODELS },
		{ "verbose", no_argument, NULL, O_VERBOSE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct anon_opts o;
	const char *in, *out = NULL, *report = NULL;
	int ch, verbose = 0;
	enum anon_err e;
	char *end;
	double th;

	anon_opts_default(&o);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		case 'o':
			out = optarg;
			break;
		case O_REPORT:
			report = optarg;
			break;
		case O_MASK:
			if (o.nmasks == ANON_MAX_MASKS)
				return cli_usage(cli, "at most %d --mask options", ANON_MAX_MASKS);
			if (parse_mask(optarg, &o.masks[o.nmasks]) != 0)
				return cli_usage(cli, "--mask '%s': expected X,Y,W,H in pixels, "
				    "e.g. 0,0,320,120", optarg);
			o.nmasks++;
			break;
		case O_THRESHOLD:
			th = strtod(optarg, &end);
			if (end == optarg || *end || !(th > 0 && th < 1))
				return cli_usage(cli, "--threshold '%s': expected a score "
				    "between 0 and 1, e.g. 0.2", optarg);
			o.face_score = o.person_score = (float)th;
			break;
		case O_PEOPLE:
			if (!strcmp(optarg, "uncertain"))
				o.people = ANON_PEOPLE_UNCERTAIN;
			else if (!strcmp(optarg, "always"))
				o.people = ANON_PEOPLE_ALWAYS;
			else if (!strcmp(optarg, "never"))
				o.people = ANON_PEOPLE_NEVER;
			else
				return cli_usage(cli, "--people '%s': expected uncertain, "
				    "always or never", optarg);
			break;
		case O_FILL:
			if (!strcmp(optarg, "pixelate"))
				o.fill = ANON_FILL_PIXELATE;
			else if (!strcmp(optarg, "solid"))
				o.fill = ANON_FILL_SOLID;
			else
				return cli_usage(cli, "--fill '%s': expected pixelate or "
				    "solid", optarg);
			break;
		case O_HOLD:
			if (parse_int(optarg, 0, ANON_MAX_HOLD, &o.hold_frames) != 0)
				return cli_usage(cli, "--hold '%s': expected 0 to %d frames",
				    optarg, ANON_MAX_HOLD);
			break;
		case O_PRESET:
			o.preset = optarg;
			break;
		case O_CRF:
			if (parse_int(optarg, 0, 51, &o.crf) != 0)
				return cli_usage(cli, "--crf '%s': expected 0 to 51", optarg);
			break;
		case O_THREADS:
			if (parse_int(optarg, 1, 64, &o.threads) != 0)
				return cli_usage(cli, "--threads '%s': expected 1 to 64", optarg);
			break;
		case O_MODELS:
			o.node_modules = optarg;
			break;
		case O_VERBOSE:
			verbose = 1;
			break;
		default:
			return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(cli, "which video? (sealcam anonymize IN -o OUT)");
	if (optind + 1 < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind + 1]);
	in = argv[optind];
	if (out == NULL)
		return cli_usage(cli, "where to? -o OUT is required");
	if (same_file(in, out) || (report && (same_file(in, report) || same_file(out, report))) ||
	    (report && !strcmp(out, report)))
		return cli_usage(cli, "IN, OUT and the report must be different files");
	if (o.preset && !strcmp(o.preset, ""))
		return cli_usage(cli, "--preset needs a name, e.g. veryfast");

	/* Library logs (which frame, which file) only with --verbose: the
	 * exit code and the line below say what went wrong. */
	log_set_level(verbose ? LOG_INFO : (enum log_level)(LOG_ERR + 1));
	e = anon_run(&o, in, out, report);
	if (e != ANON_OK) {
		cli_err(cli, "%s: %s; nothing was written%s", in, anon_strerror(e),
		    verbose ? "" : " (--verbose tells more)");
		return exit_code(e);
	}
	summary(out, report);
	return CLI_EXIT_OK;
}
