/*
 * sealcam staff ... — the staff member's side of consent grants:
 *
 *   init     make this machine's staff key pair (HOME/staff/key, 0600) and
 *            print the public key line the operator registers
 *   login    a staff session (password only: staff hold no account vault)
 *   grants   grants addressed to this staff key, each signature verified
 *   fetch    (cmd_staff_fetch.c) one grant's footage, after its access is
 *            logged and proven in the transparency log
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "acct.h"
#include "cli.h"
#include "codec.h"
#include "grantc.h"
#include "home.h"
#include "httpc.h"
#include "staff.h"
#include "timespec.h"
#include "tlogc.h"

static int staff_init(struct cli *, int, char **);
static int staff_login(struct cli *, int, char **);
static int staff_grants(struct cli *, int, char **);

static const struct cli_cmd staff_cmds[] = {
	{ "init", staff_init, "make this machine's staff key (give its public line to the operator)" },
	{ "login", staff_login, "log in to the staff account" },
	{ "grants", staff_grants, "grants owners made to this staff key" },
	{ "fetch", cmd_staff_fetch, "fetch a grant's footage (logged first, proven, then decrypted)" },
};

int
cmd_staff(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "staff", staff_cmds,
	    (int)(sizeof(staff_cmds) / sizeof(staff_cmds[0])), argc, argv);
}

/* --- init ------------------------------------------------------------------------ */

static const char init_usage[] =
"usage: sealcam staff init [--force]\n"
"\n"
"Makes this machine's staff key pair (X25519 for what owners grant you,\n"
"Ed25519) in HOME/staff/key, readable only by you, and prints its public\n"
"line and fingerprint. Give the public line to your operator's admin, who\n"
"registers it: sealcamd admin staff add EMAIL --role support|research --key LINE.\n"
"The secret key never leaves this machine: footage owners grant you is\n"
"encrypted to it, and nobody else (the operator included) can open it.\n"
"--force replaces an existing key (grants made to the old one become unreadable).\n";

static void
print_key(const struct vault *v)
{
	char line[STAFF_KEY_STRLEN + 1], hex[33], fpr[VAULT_FINGERPRINT_LEN + 1];
	uint8_t id[STAFF_ID_BYTES];

	staff_key_format(v->box_pk, v->sign_pk, line);
	staff_principal_id(v->sign_pk, v->box_pk, id);
	codec_hex_encode(id, sizeof(id), hex, sizeof(hex));
	vault_fingerprint_account(v->sign_pk, v->box_pk, fpr);
	printf("Principal id: %s\nFingerprint:  %s\nPublic key:   %s\n", hex, fpr, line);
}

static int
staff_init(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	uint8_t ser[VAULT_SERIAL_BYTES], *old = NULL;
	struct vault v;
	size_t len;
	int ch, force = 0, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = 1; break;
		case 'h': fputs(init_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (home_read(cli->home, "staff/key", &old, &len) == 0) {
		sodium_memzero(old, len);
		free(old);
		if (!force)
			return cli_err(cli, "%s/staff/key exists already ('sealcam staff init"
			    " --force' replaces it)", cli->home);
	}
	if (vault_generate(&v) != VAULT_OK)
		return cli_err(cli, "cannot make a key pair");
	vault_serialize(&v, ser);
	r = home_ensure(cli->home, "staff") == 0 ?
	    home_write(cli->home, "staff/key", ser, sizeof(ser)) : -1;
	sodium_memzero(ser, sizeof(ser));
	if (r != 0) {
		vault_wipe(&v);
		return cli_err(cli, "cannot write %s/staff/key", cli->home);
	}
	printf("Staff key made in %s/staff/key (secret: it decrypts what owners grant you).\n",
	    cli->home);
	print_key(&v);
	printf("Give the public key line to your operator's admin:\n"
	    "  sealcamd admin staff add EMAIL --role support|research --key <public key>\n");
	vault_wipe(&v);
	return CLI_EXIT_OK;
}

/* --- login ------------------------------------------------------------------------ */

static const char login_usage[] =
"usage: sealcam staff login --email ADDRESS [--password-stdin] [--log-key KEY]\n"
"\n"
"Logs in to a staff account (made by the operator's 'sealcamd admin staff add').\n"
"The account's registered staff key must be this machine's (sealcam staff init).\n"
"The transparency log's key is pinned on first use (or give --log-key): every\n"
"access you make is logged there, and the log is what proves it to the owner.\n";

static int
staff_login(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ "log-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char email[ACCT_EMAIL_MAX], pw[ACCT_PASSWORD_MAX + 2], hex[33];
	const char *email_arg = NULL, *log_key = NULL, *tok, *id, *pid, *role, *state;
	json_t *resp = NULL, *me = NULL, *pr;
	struct httpc *h;
	struct vault v;
	uint8_t mine[16];
	int ch, st, pw_stdin = 0, rc = CLI_EXIT_FAIL, have_key = 0;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'e': email_arg = optarg; break;
		case 'p': pw_stdin = 1; break;
		case 'k': log_key = optarg; break;
		case 'h': fputs(login_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (email_arg == NULL || acct_email_normalize(email_arg, email) != 0)
		return cli_usage(cli, "--email ADDRESS is required");
	if (grantc_staff_key(cli, &v) != 0)
		return CLI_EXIT_FAIL;
	have_key = 1;
	staff_principal_id(v.sign_pk, v.box_pk, mine);
	if (acct_read_password(cli, pw_stdin, 0, pw) != 0)
		goto out;
	if ((h = cli_http(cli, 0)) == NULL || tlogc_pin(cli, h, log_key, stdout) != 0)
		goto out;
	if (acct_login(cli, h, email, pw, &resp) != 0)
		goto out;
	tok = json_string_value(json_object_get(resp, "token"));
	id = json_string_value(json_object_get(resp, "account_id"));
	role = json_string_value(json_object_get(resp, "role"));
	if (role == NULL || strcmp(role, "staff") != 0) {
		cli_err(cli, "%s is not a staff account (use 'sealcam login' for owners)", email);
		goto out;
	}
	if ((st = httpc_json(h, "GET", "/v1/me", NULL, &me)) != 200) {
		cli_api_fail(cli, "reading the account", st, me);
		goto out;
	}
	pr = json_object_get(me, "principal");
	pid = json_string_value(json_object_get(pr, "principal_id"));
	state = json_string_value(json_object_get(pr, "state"));
	codec_hex_encode(mine, sizeof(mine), hex, sizeof(hex));
	if (pid == NULL || strcmp(pid, hex) != 0) {
		cli_err(cli, "the staff key registered for %s is not this machine's key (%.8s...):"
		    " ask the operator to register the line 'sealcam staff init' printed here",
		    email, hex);
		goto out;
	}
	if (acct_store(cli, email, id, tok, NULL) != 0)
		goto out;
	printf("Logged in as staff %s: principal %s (%s, %s).\n", email, hex,
	    json_string_value(json_object_get(pr, "role")), state ? state : "?");
	rc = CLI_EXIT_OK;
out:
	sodium_memzero(pw, sizeof(pw));
	if (have_key)
		vault_wipe(&v);
	json_decref(resp);
	json_decref(me);
	return rc;
}

/* --- grants ----------------------------------------------------------------------- */

static const char grants_usage[] =
"usage: sealcam staff grants\n"
"\n"
"Grants owners made to this staff key: id, camera, range, mode, purpose, expiry\n"
"and state. Each grant document's owner signature is checked; one that does\n"
"not verify is shown as REFUSED. Fetch one with 'sealcam staff fetch ID -o DIR'.\n";

static int
staff_grants(struct cli *cli, int argc, char **argv)
{
	char why[160], r1[96], t1[TIMESPEC_TEXT_MAX], s1[9], s2[9], hex[33];
	json_t *resp = NULL, *o;
	struct httpc *h;
	struct grantc gc;
	struct vault v;
	uint8_t mine[16];
	size_t i, n = 0;
	int st, rc = CLI_EXIT_FAIL;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		fputs(grants_usage, stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 1)
		return cli_usage(cli, "unexpected argument '%s'", argv[1]);
	if (grantc_staff_key(cli, &v) != 0)
		return CLI_EXIT_FAIL;
	staff_principal_id(v.sign_pk, v.box_pk, mine);
	vault_wipe(&v);
	if ((h = cli_http(cli, 1)) == NULL)
		return CLI_EXIT_FAIL;
	if ((st = httpc_json(h, "GET", "/v1/grants", NULL, &resp)) != 200) {
		cli_api_fail(cli, "listing grants", st, resp);
		goto out;
	}
	json_array_foreach(json_object_get(resp, "grants"), i, o) {
		const char *gid = json_string_value(json_object_get(o, "grant_id"));

		if (grantc_parse(o, NULL, &gc, why, sizeof(why)) != 0) {
			printf("%-32s REFUSED: %s\n", gid ? gid : "?", why);
			continue;
		}
		if (memcmp(gc.g.grantee_id, mine, 16) != 0) {
			grantc_clear(&gc);
			continue;       /* not this key's (an older key of the account) */
		}
		if (n++ == 0)
			printf("%-32s  %-8s  %-30s  %-10s  %-19s  %s\n", "GRANT", "CAMERA",
			    "RANGE", "MODE", "EXPIRES", "STATE");
		codec_hex_encode(gc.g.grant_id, 16, hex, sizeof(hex));
		printf("%-32s  %-8s  %-30s  %-10s  %-19s  %s\n", hex,
		    grantc_short(gc.g.camera_id, s1), grantc_range(&gc.g, r1, sizeof(r1)),
		    grant_mode_name(gc.g.mode), timespec_format_time((int64_t)gc.g.expires_ms, t1),
		    gc.revoked ? "revoked" : (int64_t)gc.g.expires_ms <= timespec_now_ms() ?
		    "expired" : "active");
		printf("    purpose: %s (owner key %s)\n", gc.g.purpose, grantc_short(gc.g.owner_pk, s2));
		grantc_clear(&gc);
	}
	if (n == 0)
		printf("No grants to this staff key.\n");
	rc = CLI_EXIT_OK;
out:
	json_decref(resp);
	return rc;
}
