/*
 * sealcam login — a session on this device, and the keys to go with it.
 *
 * The password gets a session; it decrypts nothing. On a device that does
 * not hold the account's keys yet, the recovery code opens the encrypted
 * backup from GET /v1/me/vault: a mistyped code is caught by its checksum
 * before any work, a wrong one by the backup's authentication. Only a
 * complete success writes anything here; a failed login ends the session
 * it opened.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "acct.h"
#include "cli.h"
#include "codec.h"
#include "home.h"
#include "httpc.h"
#include "prompt.h"
#include "tlogc.h"

static const char usage[] =
"usage: sealcam login --email ADDRESS [--password-stdin]\n"
"                     [--recovery-code-stdin | --recovery-code-file FILE]\n"
"\n"
"Logs in on this device. If this device does not hold your keys yet, your\n"
"recovery code (from signup) unlocks the encrypted key backup kept on the\n"
"server: the password alone only logs in and can decrypt nothing. Both are\n"
"asked on the terminal; for scripts, --password-stdin reads the password\n"
"from the first line of standard input and --recovery-code-stdin the code\n"
"from the next one.\n"
"\n"
"The server's transparency log key is pinned on this device the first time\n"
"(its fingerprint is shown), or give it with --log-key KEY; a server whose\n"
"log key differs from the pinned one is refused.\n"
"\n"
"example: sealcam --server https://cam.example login --email me@example.com\n";

/* End the session a failed login opened (best effort). */
static void
drop_session(struct httpc *h)
{
	json_t *resp = NULL;

	(void)httpc_json(h, "POST", "/v1/logout", NULL, &resp);
	json_decref(resp);
}

static int
read_code(struct cli *cli, int from_stdin, const char *file, char *buf,
    size_t max)
{
	if (from_stdin) {
		if (prompt_stdin_line(buf, max) != 0)
			return cli_err(cli, "--recovery-code-stdin: expected the "
			    "recovery code on the next line of standard input"), -1;
		return 0;
	}
	if (file != NULL) {
		if (prompt_file_line(file, buf, max) != 0)
			return cli_err(cli, "--recovery-code-file '%s': cannot read a "
			    "recovery code from its first line", file), -1;
		return 0;
	}
	if (!prompt_have_tty() || prompt_tty("Recovery code: ", 1, buf, max) != 0)
		return cli_err(cli, "this device does not hold your keys: the "
		    "recovery code from signup is needed to unlock them (the "
		    "password only logs in). Pass --recovery-code-stdin or "
		    "--recovery-code-file FILE, or run in a terminal"), -1;
	return 0;
}

/* The keys published for the account must be the ones in the backup. */
static int
keys_match(const json_t *pub, const struct vault *v)
{
	uint8_t box[32], sign[32];

	if (codec_hex_decode(json_string_value(json_object_get(pub, "box_pk")) ?
	    json_string_value(json_object_get(pub, "box_pk")) : "", box, 32) != 0 ||
	    codec_hex_decode(json_string_value(json_object_get(pub, "sign_pk")) ?
	    json_string_value(json_object_get(pub, "sign_pk")) : "", sign, 32) != 0)
		return 0;
	return sodium_memcmp(box, v->box_pk, 32) == 0 &&
	    sodium_memcmp(sign, v->sign_pk, 32) == 0;
}

int
cmd_login(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "recovery-code-stdin", no_argument, NULL, 'r' },
		{ "recovery-code-file", required_argument, NULL, 'R' },
		{ "log-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char email[ACCT_EMAIL_MAX], pw[ACCT_PASSWORD_MAX + 2], code[PROMPT_LINE_MAX];
	char canon[VAULT_RECOVERY_SYMBOLS + 1], fpr[VAULT_FINGERPRINT_LEN + 1];
	const char *email_arg = NULL, *code_file = NULL, *log_key = NULL, *tok, *id, *b64;
	uint8_t blob[VAULT_BACKUP_BYTES + 1];
	struct acct here;
	struct vault v;
	json_t *resp = NULL, *vresp = NULL;
	struct httpc *h = NULL;
	int ch, st, r, pw_stdin = 0, code_stdin = 0, have_keys = 0, logged_in = 0;
	int rc = CLI_EXIT_FAIL;
	size_t blen;

	memset(&v, 0, sizeof(v));
	memset(&here, 0, sizeof(here));
	code[0] = '\0';
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': email_arg = optarg; break;
		case 'p': pw_stdin = 1; break;
		case 'r': code_stdin = 1; break;
		case 'R': code_file = optarg; break;
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
	if (code_stdin && code_file != NULL)
		return cli_usage(cli, "give the recovery code one way: "
		    "--recovery-code-stdin or --recovery-code-file");

	/* Keys already on this device? Then only the password is needed. */
	{
		uint8_t *vb = NULL;
		size_t vl;
		if (home_read(cli->home, "vault", &vb, &vl) == 0) {
			sodium_memzero(vb, vl);
			free(vb);
			if (acct_load(cli, &here) != 0)
				return CLI_EXIT_FAIL;
			if (strcmp(here.email, email) != 0) {
				cli_err(cli, "%s holds the keys of %s; use another --home "
				    "for %s (or 'sealcam logout --forget-keys' first)",
				    cli->home, here.email, email);
				acct_free(&here);
				return CLI_EXIT_FAIL;
			}
			have_keys = 1;
		}
	}

	/* Read everything from the user before talking to the server. */
	if (acct_read_password(cli, pw_stdin, 0, pw) != 0)
		goto out;
	if (!have_keys) {
		if (read_code(cli, code_stdin, code_file, code, sizeof(code)) != 0)
			goto out;
		r = vault_recovery_normalize(code, canon);
		sodium_memzero(canon, sizeof(canon));
		if (r == VAULT_ECHECKSUM) {
			cli_err(cli, "the recovery code has a typo: its check characters "
			    "do not match (%s); compare each group with what you wrote "
			    "down", vault_strerror(r));
			goto out;
		}
		if (r != VAULT_OK) {
			cli_err(cli, "that is not a recovery code (%s): expected 7 groups "
			    "of 4 characters like XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX",
			    vault_strerror(r));
			goto out;
		}
	}

	if ((h = cli_http(cli, 0)) == NULL)
		goto out;
	if (tlogc_pin(cli, h, log_key, stdout) != 0)
		goto out;
	if (acct_login(cli, h, email, pw, &resp) != 0)
		goto out;
	tok = json_string_value(json_object_get(resp, "token"));
	id = json_string_value(json_object_get(resp, "account_id"));
	logged_in = 1;

	st = httpc_json(h, "GET", "/v1/me/vault", NULL, &vresp);
	if (st == 404 && !have_keys) {
		/* Signup stopped before the backup was uploaded: finish it. */
		printf("This account has no keys yet (its signup did not finish); "
		    "making them on this device.\n");
		if (acct_create_vault(cli, h, email, id, tok) != 0)
			goto out;
		logged_in = 0;
		rc = CLI_EXIT_OK;
		goto out;
	}
	if (st != 200) {
		cli_api_fail(cli, "fetching the key backup", st, vresp);
		goto out;
	}
	if (have_keys) {
		if (!keys_match(vresp, &here.v)) {
			cli_err(cli, "the keys the server lists for %s are not the ones "
			    "on this device; not logging in (has someone replaced "
			    "them?)", email);
			goto out;
		}
		if (acct_store(cli, email, id, tok, NULL) != 0)
			goto out;
		vault_fingerprint_account(here.v.sign_pk, here.v.box_pk, fpr);
		printf("Logged in as %s. This device already holds your keys "
		    "(fingerprint %s).\n", email, fpr);
		logged_in = 0;
		rc = CLI_EXIT_OK;
		goto out;
	}

	/* Open the backup with the recovery code. */
	b64 = json_string_value(json_object_get(vresp, "backup"));
	if (b64 == NULL || codec_b64_decode(b64, strlen(b64), blob, sizeof(blob),
	    &blen) != 0) {
		cli_err(cli, "the server's key backup is not valid base64");
		goto out;
	}
	r = vault_backup_open(blob, blen, code, &v);
	sodium_memzero(code, sizeof(code));
	if (r == VAULT_EAUTH) {
		cli_err(cli, "wrong recovery code: it does not unlock the key backup "
		    "of %s (nothing was changed on this device)", email);
		goto out;
	}
	if (r == VAULT_ECHECKSUM) {
		cli_err(cli, "the recovery code has a typo (%s)", vault_strerror(r));
		goto out;
	}
	if (r != VAULT_OK) {
		cli_err(cli, "the key backup cannot be opened: %s", vault_strerror(r));
		goto out;
	}
	if (!keys_match(vresp, &v)) {
		cli_err(cli, "the keys the server lists for %s differ from those in "
		    "its backup; refusing them", email);
		goto out;
	}
	if (acct_store(cli, email, id, tok, &v) != 0)
		goto out;
	vault_fingerprint_account(v.sign_pk, v.box_pk, fpr);
	printf("Logged in as %s. This device now holds your keys (fingerprint %s).\n",
	    email, fpr);
	logged_in = 0;
	rc = CLI_EXIT_OK;
out:
	if (logged_in)
		drop_session(h);
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(code, sizeof(code));
	sodium_memzero(blob, sizeof(blob));
	vault_wipe(&v);
	acct_free(&here);
	json_decref(resp);
	json_decref(vresp);
	return rc;
}
