/*
 * sealcam signup — create an account and this device's keys.
 *
 * The password goes to the server (it only logs in); the keys are made
 * here, their backup is sealed under a generated recovery code and
 * uploaded (acct_create_vault), and the code is shown once.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "acct.h"
#include "cli.h"
#include "home.h"
#include "httpc.h"
#include "tlogc.h"

static const char usage[] =
"usage: sealcam signup --email ADDRESS [--password-stdin]\n"
"\n"
"Creates an account on the server (--server URL the first time) and this\n"
"device's keys: an X25519 key footage is sealed to and an Ed25519 owner key\n"
"that signs who may watch. An encrypted backup of the keys is stored on the\n"
"server under a recovery code that is shown ONCE — write it down: it is the\n"
"only way to use your recordings on another device. The password (at least\n"
"10 characters) only logs in; it is asked twice on the terminal, or read\n"
"from the first line of standard input with --password-stdin.\n"
"\n"
"The server's transparency log key is pinned on this device (its fingerprint\n"
"is shown: compare it with the one the operator publishes), or give it with\n"
"--log-key KEY (as 'sealcamd log-key' prints it) to refuse any other.\n"
"\n"
"example: sealcam --server https://cam.example signup --email me@example.com\n";

int
cmd_signup(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "log-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char email[ACCT_EMAIL_MAX], pw[ACCT_PASSWORD_MAX + 2];
	const char *email_arg = NULL, *log_key = NULL, *tok, *id;
	json_t *body = NULL, *resp = NULL, *cfg;
	struct httpc *h;
	int ch, st, pw_stdin = 0, missing, rc = CLI_EXIT_FAIL;
	uint8_t *vault;
	size_t vlen;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': email_arg = optarg; break;
		case 'p': pw_stdin = 1; break;
		case 'k': log_key = optarg; break;
		case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (email_arg == NULL)
		return cli_usage(cli, "--email is required");
	if (acct_email_normalize(email_arg, email) != 0)
		return cli_usage(cli, "--email '%s' does not look like an e-mail "
		    "address", email_arg);

	/* Never overwrite keys: they may be the only copy besides the backup. */
	if (home_read(cli->home, "vault", &vault, &vlen) != 1) {
		cfg = home_json_load(cli->home, "config.json", &missing);
		cli_err(cli, "%s already holds the keys of %s; use another --home "
		    "for a second account", cli->home,
		    cfg && json_string_value(json_object_get(cfg, "email")) ?
		    json_string_value(json_object_get(cfg, "email")) : "an account");
		json_decref(cfg);
		if (vault != NULL) {
			sodium_memzero(vault, vlen);
			free(vault);
		}
		return CLI_EXIT_FAIL;
	}
	if (acct_read_password(cli, pw_stdin, 1, pw) != 0)
		return CLI_EXIT_FAIL;
	if (strlen(pw) < ACCT_PASSWORD_MIN) {
		sodium_memzero(pw, sizeof(pw));
		return cli_usage(cli, "the password needs at least %d characters",
		    ACCT_PASSWORD_MIN);
	}
	if ((h = cli_http(cli, 0)) == NULL)
		goto out;
	/* The log key first: a server that is not the expected log gets no
	 * account. */
	if (tlogc_pin(cli, h, log_key, stdout) != 0)
		goto out;

	body = json_pack("{s:s, s:s}", "email", email, "password", pw);
	sodium_memzero(pw, sizeof(pw));
	if (body == NULL)
		goto out;
	st = httpc_json(h, "POST", "/v1/signup", body, &resp);
	/* Drop the password from the body now (jansson cannot wipe its copy). */
	json_object_del(body, "password");
	if (st != 201 && st != 200) {
		if (strcmp(httpc_error_code(resp), "email_taken") == 0)
			cli_err(cli, "%s already has an account; use 'sealcam login "
			    "--email %s'", email, email);
		else
			cli_api_fail(cli, "creating the account", st, resp);
		goto out;
	}
	tok = json_string_value(json_object_get(resp, "token"));
	id = json_string_value(json_object_get(resp, "account_id"));
	if (tok == NULL || id == NULL || httpc_set_token(h, tok) != 0) {
		cli_err(cli, "creating the account: the server's answer lacks a "
		    "session token or account id");
		goto out;
	}
	if (acct_create_vault(cli, h, email, id, tok) != 0) {
		fprintf(stderr, "The account %s exists but has no keys yet: run "
		    "'sealcam login --email %s' to finish.\n", email, email);
		goto out;
	}
	rc = CLI_EXIT_OK;
out:
	sodium_memzero(pw, sizeof(pw));
	json_decref(body);
	json_decref(resp);
	return rc;
}
