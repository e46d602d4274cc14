/*
 * sealcam — the owner's and household's command-line client.
 *
 * main reads top to bottom: global options (--server, --home, anywhere
 * before "--"), the client home, libsodium, then one command from the table
 * below, then teardown. Each command lives in cmd_<name>.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavutil/log.h>
#include <sodium.h>

#include "cli.h"
#include "home.h"

static const struct cli_cmd commands[] = {
	{ "signup", cmd_signup, "create an account and this device's keys" },
	{ "login", cmd_login, "log in on this device (recovery code unlocks the keys)" },
	{ "logout", cmd_logout, "end this device's session" },
	{ "whoami", cmd_whoami, "show the account and this device's key fingerprint" },
	{ "camera", cmd_camera, "add, list, share cameras; retention ('camera --help')" },
	{ "clips", cmd_clips, "list and fetch recordings ('clips --help')" },
	{ "events", cmd_events, "events: list, fetch, watch ('events --help')" },
	{ "live", cmd_live, "watch a camera live; 'live history': who watched" },
	{ "log", cmd_log, "verify the transparency log, show your history ('log --help')" },
	{ "anonymize", cmd_anonymize, "copy a video with faces and people masked ('anonymize --help')" },
	{ "grant", cmd_grant, "let support or research staff see one clip ('grant --help')" },
	{ "access", cmd_access, "every staff access to your footage, verified in the log" },
	{ "staff", cmd_staff, "for staff: key, login, grants made to you, fetch ('staff --help')" },
};

/*
 * Take "--name VALUE" or "--name=VALUE" out of argv (up to a "--"), so every
 * command accepts the global options wherever the user puts them. Returns
 * 0, or -1 if the option has no value.
 */
static int
take_global(int *argc, char **argv, const char *name, char *out, size_t max)
{
	size_t nl = strlen(name);
	const char *v;
	int i, used;

	for (i = 1; i < *argc && strcmp(argv[i], "--") != 0; i++) {
		if (strncmp(argv[i], name, nl) != 0)
			continue;
		if (argv[i][nl] == '=') {
			v = argv[i] + nl + 1;
			used = 1;
		} else if (argv[i][nl] == '\0') {
			if (i + 1 >= *argc)
				return -1;
			v = argv[i + 1];
			used = 2;
		} else {
			continue;
		}
		if (strlen(v) >= max || v[0] == '\0')
			return -1;
		memcpy(out, v, strlen(v) + 1);
		memmove(&argv[i], &argv[i + used],
		    (size_t)(*argc - i - used + 1) * sizeof(*argv));
		*argc -= used;
		i--;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct cli cli;
	char home_flag[PATH_MAX] = "";
	int rc;

	/* Global options. */
	if (take_global(&argc, argv, "--server", cli.server_flag,
	    sizeof(cli.server_flag)) != 0) {
		fprintf(stderr, "sealcam: --server needs a URL, e.g. "
		    "--server http://127.0.0.1:8443\n");
		return CLI_EXIT_USAGE;
	}
	if (take_global(&argc, argv, "--home", home_flag, sizeof(home_flag)) != 0) {
		fprintf(stderr, "sealcam: --home needs a directory\n");
		return CLI_EXIT_USAGE;
	}
	if (home_resolve(home_flag, cli.home) != 0) {
		fprintf(stderr, "sealcam: no client home: set $SEALCAM_HOME or "
		    "pass --home DIR\n");
		return CLI_EXIT_USAGE;
	}

	/* Libraries: crypto, and libav quiet (we report errors ourselves). */
	if (sodium_init() < 0) {
		fprintf(stderr, "sealcam: libsodium failed to initialise\n");
		return CLI_EXIT_FAIL;
	}
	av_log_set_level(getenv("SEALCAM_DEBUG") ? AV_LOG_DEBUG : AV_LOG_QUIET);

	rc = cli_dispatch(&cli, "", commands,
	    (int)(sizeof(commands) / sizeof(commands[0])), argc, argv);

	cli_close(&cli);
	return rc;
}
