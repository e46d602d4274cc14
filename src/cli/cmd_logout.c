/*
 * sealcam logout — end this device's session; --forget-keys also removes
 * the keys and what this device pinned (a shared or lost device).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "home.h"
#include "httpc.h"

static const char usage[] =
"usage: sealcam logout [--forget-keys]\n"
"\n"
"Ends this device's session on the server and removes it here. The keys\n"
"stay, so 'sealcam login' on this device needs only the password. With\n"
"--forget-keys the keys, pending pairings and pinned camera keys are\n"
"removed too; logging in again then needs the recovery code.\n";

/* Remove every file of home/sub with the given suffix. */
static int
remove_all(struct cli *cli, const char *sub, const char *suffix)
{
	char **names, name[512];
	int i, n, rc = 0;

	if ((n = home_list(cli->home, sub, suffix, &names)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s/%s", sub, names[i]);
		rc |= home_remove(cli->home, name);
	}
	home_names_free(names, n);
	return rc;
}

int
cmd_logout(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "forget-keys", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	json_t *resp = NULL;
	struct httpc *h;
	int ch, st, forget = 0, rc = CLI_EXIT_OK;
	uint8_t *tok;
	size_t len;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': forget = 1; break;
		case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);

	if (home_read(cli->home, "session", &tok, &len) == 0) {
		free(tok);
		/* Tell the server first; a local logout alone would leave a
		 * valid token behind. */
		if ((h = cli_http(cli, 1)) != NULL) {
			st = httpc_json(h, "POST", "/v1/logout", NULL, &resp);
			if (st != 204 && st != 200 && st != 401) {
				cli_api_fail(cli, "ending the session on the server", st, resp);
				fprintf(stderr, "The session is removed from this device "
				    "anyway; it expires on the server by itself.\n");
				rc = CLI_EXIT_FAIL;
			}
			json_decref(resp);
		}
		if (home_remove(cli->home, "session") != 0)
			return cli_err(cli, "cannot remove %s/session", cli->home);
		printf("Logged out.\n");
	} else {
		printf("Not logged in on this device.\n");
	}
	if (forget) {
		if (home_remove(cli->home, "vault") != 0 ||
		    remove_all(cli, "pairings", ".json") != 0 ||
		    remove_all(cli, "trust", ".json") != 0 ||
		    home_remove(cli->home, "config.json") != 0)
			return cli_err(cli, "could not remove everything in %s",
			    cli->home);
		printf("This device's keys, pairings and pinned keys are removed; "
		    "logging in again needs the recovery code.\n");
	}
	return rc;
}
