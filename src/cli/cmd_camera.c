/*
 * sealcam camera ... — the camera subcommands' table, and the small ones:
 * list and retention. Pairing is in cmd_camera_add.c, sharing in
 * cmd_camera_share.c.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cams.h"
#include "cli.h"
#include "cmd_camera.h"
#include "httpc.h"
#include "timespec.h"
#include "trust.h"

static const struct cli_cmd camera_cmds[] = {
	{ "add", cmd_camera_add, "pair a new camera (prints the pairing string)" },
	{ "pending", cmd_camera_pending, "finish pairings that were waiting" },
	{ "list", cmd_camera_list, "cameras you own or that are shared with you" },
	{ "share", cmd_camera_share, "let a household member watch a camera" },
	{ "unshare", cmd_camera_unshare, "stop sharing a camera with someone" },
	{ "retention", cmd_camera_retention, "how long the server keeps footage" },
};

int
cmd_camera(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "camera", camera_cmds,
	    (int)(sizeof(camera_cmds) / sizeof(camera_cmds[0])), argc, argv);
}

static const char list_usage[] =
"usage: sealcam camera list\n"
"\n"
"Lists the cameras you own and those shared with you: name, id, whether the\n"
"camera is online (seen by the server in the last 30 s), when it was last\n"
"seen, the epoch of its keyring and your role. For a camera shared with you,\n"
"the owner's key fingerprint is shown the first time and pinned on this\n"
"device; keyrings are then only trusted under that key.\n";

int
cmd_camera_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char seen[TIMESPEC_TEXT_MAX];
	int64_t now = timespec_now_ms();
	json_t *cams, *c;
	size_t i;
	int ch, bad = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(list_usage, stdout);
			return CLI_EXIT_OK;
		}
		return cli_bad_option(cli, argc, argv);
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if ((cams = cams_fetch(cli)) == NULL)
		return CLI_EXIT_FAIL;
	/* Shared cameras: verify their keyring under the owner key pinned
	 * here — pinning it, and saying so, the first time. */
	json_array_foreach(cams, i, c) {
		struct trust_cam tc;
		if (strcmp(cams_str(c, "role"), "owner") != 0 &&
		    trust_camera(cli, NULL, c, stdout, &tc) != 0)
			bad++;
	}
	if (json_array_size(cams) == 0) {
		printf("No cameras yet. Add one with: sealcam camera add --name \"Front door\"\n");
		json_decref(cams);
		return CLI_EXIT_OK;
	}
	printf("%-20s %-32s %-8s %-10s %5s  %s\n", "NAME", "ID", "STATUS",
	    "LAST SEEN", "EPOCH", "ROLE");
	json_array_foreach(cams, i, c) {
		printf("%-20s %-32s %-8s %-10s %5lld  %s\n", cams_str(c, "name"),
		    cams_str(c, "camera_id"),
		    json_is_true(json_object_get(c, "online")) ? "online" : "offline",
		    timespec_format_ago(cams_int(c, "last_seen_ms"), now, seen),
		    cams_int(c, "keyring_epoch"), cams_str(c, "role"));
	}
	json_decref(cams);
	return bad ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static const char retention_usage[] =
"usage: sealcam camera retention --camera NAME [--days N] [--max-bytes SIZE]\n"
"\n"
"Sets how long the server keeps the camera's footage: at most N days and/or\n"
"at most SIZE in total (50G, 500M, 1.5T; binary units), 0 = unlimited. The\n"
"oldest footage goes first, continuous recording before event footage.\n"
"Without --days and --max-bytes, shows the current setting. Owner only.\n"
"\n"
"example: sealcam camera retention --camera \"Front door\" --days 30 --max-bytes 50G\n";

/* "footage kept for 30 days, up to 50.0 GiB" */
static const char *
retention_text(uint64_t days, uint64_t bytes, char out[128])
{
	char d[48], sz[TIMESPEC_TEXT_MAX];

	if (days)
		snprintf(d, sizeof(d), "for %" PRIu64 " day%s", days,
		    days == 1 ? "" : "s");
	else
		snprintf(d, sizeof(d), "with no time limit");
	snprintf(out, 128, "footage kept %s, %s", d, bytes ?
	    "up to " : "with no size limit");
	if (bytes)
		snprintf(out + strlen(out), 128 - strlen(out), "%s",
		    timespec_format_size(bytes, sz));
	return out;
}

int
cmd_camera_retention(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "days", required_argument, NULL, 'd' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *days_s = NULL, *bytes_s = NULL;
	char path[256], sz[TIMESPEC_TEXT_MAX], text[128];
	uint64_t days = 0, bytes = 0;
	json_t *cams = NULL, *cam, *body = NULL, *resp = NULL, *ret;
	struct httpc *h;
	char *end;
	int ch, st, rc = CLI_EXIT_FAIL;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 'd': days_s = optarg; break;
		case 'b': bytes_s = optarg; break;
		case 'h': fputs(retention_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (the camera's name)");
	if (days_s != NULL) {
		days = strtoull(days_s, &end, 10);
		if (days_s[0] < '0' || days_s[0] > '9' || *end != '\0' || days > 36500)
			return cli_usage(cli, "--days '%s': expected a whole number "
			    "of days from 0 (unlimited) to 36500", days_s);
	}
	if (bytes_s != NULL && timespec_parse_size(bytes_s, &bytes) != 0)
		return cli_usage(cli, "--max-bytes '%s': expected a size such as "
		    "50G, 500M or 0 (unlimited)", bytes_s);

	if ((cams = cams_fetch(cli)) == NULL ||
	    (cam = cams_find(cli, cams, camera)) == NULL)
		goto out;
	if (days_s == NULL && bytes_s == NULL) {
		ret = json_object_get(cam, "retention");
		days = (uint64_t)json_integer_value(json_object_get(ret, "days"));
		bytes = (uint64_t)json_integer_value(json_object_get(ret, "max_bytes"));
		printf("%s: %s (stored now: %s)\n", cams_str(cam, "name"),
		    retention_text(days, bytes, text),
		    timespec_format_size((uint64_t)cams_int(cam, "bytes"), sz));
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (strcmp(cams_str(cam, "role"), "owner") != 0) {
		cli_err(cli, "only the owner of '%s' can change its retention",
		    cams_str(cam, "name"));
		goto out;
	}
	/* An option not given keeps its current value. */
	ret = json_object_get(cam, "retention");
	if (days_s == NULL)
		days = (uint64_t)json_integer_value(json_object_get(ret, "days"));
	if (bytes_s == NULL)
		bytes = (uint64_t)json_integer_value(json_object_get(ret, "max_bytes"));
	body = json_pack("{s:I, s:I}", "days", (json_int_t)days,
	    "max_bytes", (json_int_t)bytes);
	snprintf(path, sizeof(path), "/v1/cameras/%s/retention",
	    cams_str(cam, "camera_id"));
	if (body == NULL || (h = cli_http(cli, 1)) == NULL)
		goto out;
	st = httpc_json(h, "PUT", path, body, &resp);
	if (st != 204 && st != 200) {
		cli_api_fail(cli, "setting retention", st, resp);
		goto out;
	}
	printf("%s: %s\n", cams_str(cam, "name"), retention_text(days, bytes, text));
	rc = CLI_EXIT_OK;
out:
	json_decref(resp);
	json_decref(body);
	json_decref(cams);
	return rc;
}
