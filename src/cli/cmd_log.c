/*
 * sealcam log ... — the transparency log from the owner's side:
 *
 *   verify   the checks of logv.c; exit 1 naming each problem
 *   show     the account's history in plain words (verified the same way)
 *   key      the pinned log key and its fingerprint; --set to replace it
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cams.h"
#include "cli.h"
#include "codec.h"
#include "httpc.h"
#include "keyring.h"
#include "logv.h"
#include "tlogc.h"

int cmd_log_verify(struct cli *cli, int argc, char **argv);
int cmd_log_show(struct cli *cli, int argc, char **argv);
int cmd_log_key(struct cli *cli, int argc, char **argv);

static const struct cli_cmd log_cmds[] = {
	{ "verify", cmd_log_verify, "check the log: your entries, chain, keyrings, keys" },
	{ "show", cmd_log_show, "your account's history, in plain words" },
	{ "key", cmd_log_key, "the log key this device trusts (--set to replace it)" },
};

int
cmd_log(struct cli *cli, int argc, char **argv)
{
	return cli_dispatch(cli, "log", log_cmds,
	    (int)(sizeof(log_cmds) / sizeof(log_cmds[0])), argc, argv);
}

/* Options shared by verify and show: --log-key, --help. */
static int
log_opts(struct cli *cli, int argc, char **argv, const char *usage, int *done)
{
	static const struct option opts[] = {
		{ "log-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *key = NULL;
	struct httpc *h;
	int ch;

	*done = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'k': key = optarg; break;
		case 'h': fputs(usage, stdout); *done = 1; return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	/* --log-key pins it (if nothing is pinned) or must equal the pin. */
	if (key != NULL && ((h = cli_http(cli, 0)) == NULL ||
	    tlogc_pin(cli, h, key, stdout) != 0))
		return CLI_EXIT_FAIL;
	return CLI_EXIT_OK;
}

/* --- verify -------------------------------------------------------------------- */

static const char verify_usage[] =
"usage: sealcam log verify [--log-key KEY]\n"
"\n"
"Checks the server's transparency log against what this device knows:\n"
"  - the checkpoint is signed by the log key pinned on this device, and\n"
"    extends the last checkpoint this device verified (no history rewritten);\n"
"  - every entry of your account's chain is in the log, with no gap;\n"
"  - the keyring in force for each camera you own, and this device's keys,\n"
"    are in your chain.\n"
"Exits 1 and says what is wrong otherwise. --log-key pins the operator's key\n"
"(as 'sealcamd log-key' prints it) if none is pinned yet, or checks it.\n";

int
cmd_log_verify(struct cli *cli, int argc, char **argv)
{
	struct logv lv;
	int rc, done, r;

	if ((rc = log_opts(cli, argc, argv, verify_usage, &done)) != CLI_EXIT_OK || done)
		return rc;
	r = logv_run(cli, &lv);
	if (r == 0) {
		printf("Log verified: %zu entr%s of yours in the tree of %" PRIu64
		    " entries signed by %s (key fingerprint %s)", lv.n,
		    lv.n == 1 ? "y" : "ies", lv.cp.size, lv.origin, lv.fpr);
		if (lv.prev.size > 0)
			printf(", which extends the tree of %" PRIu64 " this device "
			    "verified before", lv.prev.size);
		printf(".\nKeyrings in force in the log: %zu camera%s. This device's "
		    "keys are the latest in the log.\n", lv.keyrings,
		    lv.keyrings == 1 ? "" : "s");
	} else if (r > 0) {
		fprintf(stderr, "The log does NOT verify (%d problem%s).\n", r,
		    r == 1 ? "" : "s");
	}
	logv_free(&lv);
	return r == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --- show ---------------------------------------------------------------------- */

static const char show_usage[] =
"usage: sealcam log show [--log-key KEY]\n"
"\n"
"Your account's history as the transparency log records it, oldest first:\n"
"keyrings published (who was added or removed), account keys published or\n"
"replaced, grants, staff accesses, live views. Every line is an entry of\n"
"your chain verified as 'sealcam log verify' does; problems are reported\n"
"after the history and make the command exit 1.\n";

/* The keyrings of one owned camera, each verified under the owner's key. */
struct cam_hist {
	uint8_t id[16];
	size_t n;
	uint8_t (*hash)[KEYRING_HASH_BYTES];
	struct keyring *kr;
	const struct keyring *last;	/* while printing: the previous one */
};

static void
hist_load(struct cli *cli, struct httpc *h, const struct logv *lv,
    const json_t *cam, struct cam_hist *ch)
{
	uint8_t *buf = malloc(KEYRING_MAX_BYTES);
	const char *id = cams_str(cam, "camera_id");
	json_t *resp = NULL, *arr, *o;
	char path[96];
	size_t i, len;

	(void)cli;
	if (buf == NULL)
		return;
	snprintf(path, sizeof(path), "/v1/cameras/%s/keyring?all=1", id);
	if (httpc_json(h, "GET", path, NULL, &resp) != 200 ||
	    !json_is_array(arr = json_object_get(resp, "keyrings")))
		goto out;
	ch->hash = calloc(json_array_size(arr) + 1, sizeof(*ch->hash));
	ch->kr = calloc(json_array_size(arr) + 1, sizeof(*ch->kr));
	if (ch->hash == NULL || ch->kr == NULL)
		goto out;
	json_array_foreach(arr, i, o) {
		const char *b64 = json_string_value(json_object_get(o, "keyring"));
		if (b64 == NULL || codec_b64_decode(b64, strlen(b64), buf, KEYRING_MAX_BYTES,
		    &len) != 0 || keyring_verify(buf, len, lv->acct.v.sign_pk, ch->id, 0,
		    &ch->kr[ch->n]) != KEYRING_OK)
			continue;       /* not ours to describe */
		keyring_hash(buf, len, ch->hash[ch->n]);
		ch->n++;
	}
out:
	json_decref(resp);
	free(buf);
}

static const char *
cam_name(const struct logv *lv, const uint8_t id[16], char *buf, size_t n)
{
	char hex[33];
	json_t *c;
	size_t i;

	cli_hex(id, 16, hex);
	json_array_foreach(lv->cams, i, c)
		if (strcmp(cams_str(c, "camera_id"), hex) == 0)
			return cams_str(c, "name");
	snprintf(buf, n, "camera %.8s", hex);
	return buf;
}

static void
who(const struct keyring_recipient *r, char *out, size_t n)
{
	if (r->role == KEYRING_ROLE_OWNER)
		snprintf(out, n, "you");
	else if (r->role == KEYRING_ROLE_HUB)
		snprintf(out, n, "hub %s", r->label);
	else
		snprintf(out, n, "%s", r->label[0] ? r->label : "a member");
}

static int
has_key(const struct keyring *kr, const uint8_t pk[32])
{
	for (unsigned i = 0; kr != NULL && i < kr->n; i++)
		if (memcmp(kr->r[i].pk, pk, 32) == 0)
			return 1;
	return 0;
}

/* "(added anna@example.com, removed bob@example.com)" */
static void
keyring_change(const struct keyring *old, const struct keyring *kr, char *out, size_t n)
{
	char w[KEYRING_LABEL_MAX + 8];
	size_t used = 0;
	int any = 0;

	out[0] = '\0';
	if (old == NULL) {
		snprintf(out, n, " (camera paired)");
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		const struct keyring *a = pass == 0 ? kr : old, *b = pass == 0 ? old : kr;
		for (unsigned i = 0; i < a->n && used < n; i++) {
			if (has_key(b, a->r[i].pk))
				continue;
			who(&a->r[i], w, sizeof(w));
			used += (size_t)snprintf(out + used, n - used, "%s%s %s",
			    any ? ", " : " (", pass == 0 ? "added" : "removed", w);
			any = 1;
		}
	}
	if (any && used + 2 < n)
		snprintf(out + used, n - used, ")");
	else if (!any)
		snprintf(out, n, " (same recipients)");
}

static void
describe(const struct logv *lv, struct cam_hist *hs, size_t nh,
    const struct tlog_entry *e, int *vaults, char *out, size_t n)
{
	char name[48], more[512], fpr[20], b32[17], a[33], b[33];
	struct cam_hist *ch = NULL;

	for (size_t i = 0; i < nh; i++)
		if (memcmp(hs[i].id, e->subject, 16) == 0)
			ch = &hs[i];
	cli_hex(e->subject, 16, a);
	cli_hex(e->actor, 16, b);
	switch (e->type) {
	case TLOG_E_KEYRING:
		more[0] = '\0';
		for (size_t i = 0; ch != NULL && i < ch->n; i++)
			if (sodium_memcmp(ch->hash[i], e->commitment, KEYRING_HASH_BYTES) == 0) {
				keyring_change(ch->last, &ch->kr[i], more, sizeof(more));
				ch->last = &ch->kr[i];
			}
		snprintf(out, n, "keyring of %s \xe2\x86\x92 epoch %" PRIu64 "%s",
		    cam_name(lv, e->subject, name, sizeof(name)), e->number, more);
		break;
	case TLOG_E_VAULT_KEY:
		codec_b32_encode(e->commitment, 10, b32, sizeof(b32));
		snprintf(fpr, sizeof(fpr), "%.4s-%.4s-%.4s-%.4s", b32, b32 + 4, b32 + 8, b32 + 12);
		snprintf(out, n, "account keys %s (fingerprint %s)",
		    (*vaults)++ ? "replaced" : "published", fpr);
		break;
	case TLOG_E_GRANT_CREATED:
	case TLOG_E_GRANT_REVOKED:
		snprintf(out, n, "grant %.8s %s for staff principal %.8s", a,
		    e->type == TLOG_E_GRANT_CREATED ? "created" : "revoked", b);
		break;
	case TLOG_E_STAFF_ACCESS:
		snprintf(out, n, "staff principal %.8s opened a recording under grant %.8s",
		    b, a);
		break;
	case TLOG_E_LIVE_SESSION:
		snprintf(out, n, "live view of %s started by %s%.8s%s",
		    cam_name(lv, e->subject, name, sizeof(name)),
		    memcmp(e->actor, lv->log_id, 16) == 0 ? "you" : "a household member (log id ",
		    memcmp(e->actor, lv->log_id, 16) == 0 ? "" : b,
		    memcmp(e->actor, lv->log_id, 16) == 0 ? "" : "...)");
		break;
	default:
		snprintf(out, n, "%s entry", tlog_entry_type_name(e->type));
	}
}

int
cmd_log_show(struct cli *cli, int argc, char **argv)
{
	struct cam_hist *hs = NULL;
	struct logv lv;
	struct httpc *h;
	char when[32], what[1024];
	size_t nh = 0, i;
	json_t *c;
	int rc, done, r, vaults = 0;

	if ((rc = log_opts(cli, argc, argv, show_usage, &done)) != CLI_EXIT_OK || done)
		return rc;
	r = logv_run(cli, &lv);
	if (r < 0)
		goto out;
	if ((h = cli_http(cli, 1)) != NULL && lv.cams != NULL &&
	    (hs = calloc(json_array_size(lv.cams) + 1, sizeof(*hs))) != NULL) {
		json_array_foreach(lv.cams, i, c) {
			if (strcmp(cams_str(c, "role"), "owner") != 0 ||
			    codec_hex_decode(cams_str(c, "camera_id"), hs[nh].id, 16) != 0)
				continue;
			hist_load(cli, h, &lv, c, &hs[nh]);
			nh++;
		}
	}
	if (lv.n == 0 && lv.have_cp)
		printf("No entries yet.\n");
	for (i = 0; i < lv.n; i++) {
		const struct tlog_entry *e = &lv.ents[i].e;
		time_t t = (time_t)(e->time_ms / 1000);
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		describe(&lv, hs, nh, e, &vaults, what, sizeof(what));
		printf("%s  %s\n", when, what);
	}
	if (r == 0)
		printf("(all %zu entries verified in the log's tree of %" PRIu64 " entries)\n",
		    lv.n, lv.cp.size);
	else
		fprintf(stderr, "The log does NOT verify (%d problem%s): the history above "
		    "may be incomplete.\n", r, r == 1 ? "" : "s");
out:
	for (i = 0; i < nh; i++) {
		free(hs[i].hash);
		free(hs[i].kr);
	}
	free(hs);
	logv_free(&lv);
	return r == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --- key ----------------------------------------------------------------------- */

static const char key_usage[] =
"usage: sealcam log key [--set KEY]\n"
"\n"
"Shows the transparency log key this device trusts and its fingerprint;\n"
"compare it with the one your operator publishes ('sealcamd log-key').\n"
"--set replaces it (only when the operator announced a new log key): the\n"
"checkpoint and chain this device verified under the old key are forgotten.\n";

int
cmd_log_key(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "set", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	char vkey[TLOG_VKEY_MAX], name[TLOG_NAME_MAX + 1], fpr[20];
	const char *set = NULL;
	int ch, r;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 's': set = optarg; break;
		case 'h': fputs(key_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (set != NULL && tlogc_repin(cli, set) != 0)
		return CLI_EXIT_FAIL;
	if ((r = tlogc_key(cli, vkey)) < 0)
		return CLI_EXIT_FAIL;
	if (r == 1)
		return cli_err(cli, "no log key pinned on this device yet (it is pinned "
		    "at signup and login, or with 'sealcam log verify --log-key KEY')");
	if (tlog_client_vkey_info(vkey, name, fpr) != 0)
		return cli_err(cli, "%s/log/key is not a log key", cli->home);
	printf("Log:         %s\nKey:         %s\nFingerprint: %s\n", name, vkey, fpr);
	return CLI_EXIT_OK;
}
