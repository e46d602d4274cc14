/*
 * sealcam whoami — the account, and the fingerprint of this device's keys
 * (what someone compares before sharing a camera with you).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "acct.h"
#include "cli.h"
#include "codec.h"
#include "httpc.h"

static const char usage[] =
"usage: sealcam whoami\n"
"\n"
"Shows the account this device is logged in to and the fingerprint of its\n"
"keys. Someone sharing a camera with you is shown this fingerprint: compare\n"
"it with them (in person or by phone) before they confirm.\n";

int
cmd_whoami(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char fpr[VAULT_FINGERPRINT_LEN + 1], box[CODEC_HEX_LEN(32)],
	    sign[CODEC_HEX_LEN(32)];
	struct acct me;
	json_t *resp = NULL, *pub;
	struct httpc *h;
	int ch, st, rc = CLI_EXIT_FAIL;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage, stdout);
			return CLI_EXIT_OK;
		}
		return cli_bad_option(cli, argc, argv);
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (acct_load(cli, &me) != 0)
		return CLI_EXIT_FAIL;
	if ((h = cli_http(cli, 1)) == NULL)
		goto out;
	st = httpc_json(h, "GET", "/v1/me", NULL, &resp);
	if (st != 200) {
		cli_api_fail(cli, "asking the server who this session is", st, resp);
		goto out;
	}
	vault_fingerprint_account(me.v.sign_pk, me.v.box_pk, fpr);
	codec_hex_encode(me.v.box_pk, 32, box, sizeof(box));
	codec_hex_encode(me.v.sign_pk, 32, sign, sizeof(sign));
	printf("Account:         %s (%s)\n",
	    json_string_value(json_object_get(resp, "email")) ?
	    json_string_value(json_object_get(resp, "email")) : me.email,
	    me.account_id);
	printf("Server:          %s\n", cli_server(cli));
	printf("Key fingerprint: %s  (this device's keys)\n", fpr);
	pub = json_object_get(resp, "vault");
	if (!json_is_object(pub)) {
		printf("Published keys:  none — the server has no keys for this "
		    "account\n");
	} else if (strcmp(json_string_value(json_object_get(pub, "box_pk")) ?
	    json_string_value(json_object_get(pub, "box_pk")) : "", box) != 0 ||
	    strcmp(json_string_value(json_object_get(pub, "sign_pk")) ?
	    json_string_value(json_object_get(pub, "sign_pk")) : "", sign) != 0) {
		printf("Published keys:  DIFFERENT from this device's keys\n");
		cli_err(cli, "the keys the server publishes for this account are "
		    "not this device's");
		goto out;
	} else {
		printf("Published keys:  match this device's\n");
	}
	rc = CLI_EXIT_OK;
out:
	json_decref(resp);
	acct_free(&me);
	return rc;
}
