/*
 * sealcam camera share | unshare — who in the household may watch.
 *
 * Both publish the camera's next keyring (epoch + 1), signed on this device
 * with the owner key: share adds the member's box key (after showing their
 * key fingerprint for an out-of-band comparison), unshare drops it. The
 * agent seals every segment after it picks up the new keyring to exactly
 * its recipients, so a removed member cannot decrypt footage recorded from
 * then on, whatever the server does. The PUT also lists the member accounts
 * (PROTOCOL.md): the server lets exactly those download.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "acct.h"
#include "cams.h"
#include "cli.h"
#include "cmd_camera.h"
#include "codec.h"
#include "httpc.h"
#include "keyring.h"
#include "prompt.h"
#include "timespec.h"
#include "trust.h"

/* A user as /v1/users/lookup gives them. */
struct member {
	char account_id[ACCT_ID_HEX];
	uint8_t box_pk[32], sign_pk[32];
};

/* GET /v1/users/lookup?email=. 0 found, 1 no such account (or no keys),
 * -1 error (printed). */
static int
lookup(struct cli *cli, const char *email, struct member *m)
{
	char q[3 * ACCT_EMAIL_MAX + 1], path[sizeof(q) + 64];
	json_t *resp = NULL;
	struct httpc *h;
	const char *id;
	int st, rc = -1;

	if ((h = cli_http(cli, 1)) == NULL || cli_urlencode(email, q, sizeof(q)) != 0)
		return -1;
	snprintf(path, sizeof(path), "/v1/users/lookup?email=%s", q);
	st = httpc_json(h, "GET", path, NULL, &resp);
	if (st == 404) {
		rc = 1;
		goto out;
	}
	if (st != 200) {
		cli_api_fail(cli, "looking up the account", st, resp);
		goto out;
	}
	id = json_string_value(json_object_get(resp, "account_id"));
	if (id == NULL || strlen(id) != ACCT_ID_HEX - 1 ||
	    codec_hex_decode(json_string_value(json_object_get(resp, "box_pk")) ?
	    json_string_value(json_object_get(resp, "box_pk")) : "", m->box_pk, 32) != 0 ||
	    codec_hex_decode(json_string_value(json_object_get(resp, "sign_pk")) ?
	    json_string_value(json_object_get(resp, "sign_pk")) : "", m->sign_pk, 32) != 0) {
		cli_err(cli, "the server's answer for %s lacks valid keys", email);
		goto out;
	}
	memcpy(m->account_id, id, ACCT_ID_HEX);
	rc = 0;
out:
	json_decref(resp);
	return rc;
}

/*
 * Sign kr (epoch already raised) and PUT it with the member accounts: each
 * member recipient is looked up by its label (their e-mail) and must still
 * have the key the keyring names. Members whose account is gone are
 * dropped from kr first, with a note.
 */
static int
publish(struct cli *cli, const struct acct *me, const json_t *cam,
    const struct trust_cam *tc, struct keyring *kr)
{
	uint8_t buf[KEYRING_MAX_BYTES];
	char b64[CODEC_B64_LEN(KEYRING_MAX_BYTES)], path[256];
	json_t *members = NULL, *body = NULL, *resp = NULL;
	struct member m;
	struct httpc *h;
	unsigned i;
	size_t len;
	int r, st, rc = -1;

	if ((members = json_array()) == NULL)
		return -1;
	for (i = 0; i < kr->n; i++) {
		if (kr->r[i].role != KEYRING_ROLE_MEMBER)
			continue;
		r = lookup(cli, kr->r[i].label, &m);
		if (r < 0)
			goto out;
		if (r == 1) {
			fprintf(stderr, "note: %s no longer has an account; their key "
			    "leaves the keyring too\n", kr->r[i].label);
			kr->r[i] = kr->r[--kr->n];
			i--;
			continue;
		}
		if (sodium_memcmp(m.box_pk, kr->r[i].pk, 32) != 0) {
			cli_err(cli, "%s now has other keys than the keyring names; "
			    "unshare and share again after comparing their new "
			    "fingerprint", kr->r[i].label);
			goto out;
		}
		json_array_append_new(members, json_string(m.account_id));
	}
	kr->issued_ms = (uint64_t)timespec_now_ms();
	if ((r = keyring_sign(kr, me->v.sign_sk, buf, sizeof(buf), &len)) != KEYRING_OK) {
		cli_err(cli, "could not sign the keyring: %s", keyring_strerror(r));
		goto out;
	}
	codec_b64_encode(buf, len, b64, sizeof(b64));
	if ((body = json_pack("{s:s, s:O}", "keyring", b64, "members", members)) == NULL ||
	    (h = cli_http(cli, 1)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "/v1/cameras/%s/keyring",
	    cams_str(cam, "camera_id"));
	st = httpc_json(h, "PUT", path, body, &resp);
	if (st != 204 && st != 200 && st != 201) {
		cli_api_fail(cli, "publishing the new keyring", st, resp);
		goto out;
	}
	if (trust_remember(cli, cams_str(cam, "camera_id"), cams_str(cam, "name"),
	    tc->camera_pk, me->v.sign_pk, kr->epoch, "owner") != 0)
		goto out;
	rc = 0;
out:
	json_decref(members);
	json_decref(body);
	json_decref(resp);
	return rc;
}

/* Parse options, load keys, find the owned camera and verify its keyring. */
static int
prepare(struct cli *cli, int argc, char **argv, const char *usage,
    struct acct *me, json_t **cams, const json_t **cam, char *email,
    struct trust_cam *tc, int *yes)
{
	static const struct option opts[] = {
		{ "camera", required_argument, NULL, 'c' },
		{ "with", required_argument, NULL, 'w' },
		{ "yes", no_argument, NULL, 'y' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *camera = NULL, *with = NULL;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': camera = optarg; break;
		case 'w': with = optarg; break;
		case 'y': if (yes != NULL) { *yes = 1; break; }
			return cli_bad_option(cli, argc, argv);
		case 'h': fputs(usage, stdout); return -2;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (camera == NULL)
		return cli_usage(cli, "--camera is required (the camera's name)");
	if (with == NULL)
		return cli_usage(cli, "--with is required (the member's e-mail address)");
	if (acct_email_normalize(with, email) != 0)
		return cli_usage(cli, "--with '%s' does not look like an e-mail "
		    "address", with);
	if (acct_load(cli, me) != 0)
		return CLI_EXIT_FAIL;
	if (strcmp(email, me->email) == 0) {
		acct_free(me);
		return cli_err(cli, "%s is this account; the owner can always watch",
		    email);
	}
	if ((*cams = cams_fetch(cli)) == NULL ||
	    (*cam = cams_find(cli, *cams, camera)) == NULL)
		goto fail;
	if (strcmp(cams_str(*cam, "role"), "owner") != 0) {
		cli_err(cli, "only the owner of '%s' can change who may watch it",
		    cams_str(*cam, "name"));
		goto fail;
	}
	/* The keyring we extend must be our own, current one. */
	if (trust_camera(cli, me->v.sign_pk, *cam, stderr, tc) != 0)
		goto fail;
	return 0;
fail:
	acct_free(me);
	return CLI_EXIT_FAIL;
}

static const char share_usage[] =
"usage: sealcam camera share --camera NAME --with EMAIL [--yes]\n"
"\n"
"Lets another account (a household member; they sign up first) watch the\n"
"camera: shows their key fingerprint, which you compare with what 'sealcam\n"
"whoami' shows on their device, asks for confirmation, then publishes the\n"
"camera's next keyring with their key added. Footage recorded from then on\n"
"is sealed to them too. --yes skips the question (for scripts; the\n"
"fingerprint is still printed).\n"
"\n"
"example: sealcam camera share --camera \"Front door\" --with sam@example.com\n";

int
cmd_camera_share(struct cli *cli, int argc, char **argv)
{
	char email[ACCT_EMAIL_MAX], fpr[VAULT_FINGERPRINT_LEN + 1], answer[16];
	struct trust_cam tc;
	const json_t *cam = NULL;
	json_t *cams = NULL;
	struct keyring kr;
	struct member m;
	struct acct me;
	unsigned i;
	int r, yes = 0, rc;

	rc = prepare(cli, argc, argv, share_usage, &me, &cams, &cam, email,
	    &tc, &yes);
	if (rc != 0)
		return rc == -2 ? CLI_EXIT_OK : rc;
	kr = tc.kr;
	rc = CLI_EXIT_FAIL;
	if ((r = lookup(cli, email, &m)) != 0) {
		if (r == 1)
			cli_err(cli, "%s has no account with keys on this server; they "
			    "need to run 'sealcam signup' first", email);
		goto out;
	}
	for (i = 0; i < kr.n; i++)
		if (sodium_memcmp(kr.r[i].pk, m.box_pk, 32) == 0) {
			printf("'%s' is already shared with %s (keyring epoch %u).\n",
			    cams_str(cam, "name"), email, kr.epoch);
			rc = CLI_EXIT_OK;
			goto out;
		}
	if (kr.n >= KEYRING_MAX_RECIPIENTS) {
		cli_err(cli, "'%s' already has %d recipients, the most a keyring "
		    "holds", cams_str(cam, "name"), KEYRING_MAX_RECIPIENTS);
		goto out;
	}
	if (strlen(email) > KEYRING_LABEL_MAX) {
		cli_err(cli, "%s is longer than a keyring label (%d bytes)", email,
		    KEYRING_LABEL_MAX);
		goto out;
	}

	/* Out-of-band check: the server could present its own key as theirs. */
	vault_fingerprint_account(m.sign_pk, m.box_pk, fpr);
	printf("%s's key fingerprint: %s\n", email, fpr);
	printf("Compare it with what 'sealcam whoami' shows on their device (in "
	    "person or by phone).\n");
	fflush(stdout);
	if (yes) {
		printf("(--yes: sharing without asking)\n");
	} else {
		if (!prompt_have_tty()) {
			cli_err(cli, "no terminal to confirm on; after comparing the "
			    "fingerprint, run again with --yes");
			goto out;
		}
		if (prompt_tty("Does it match? Share the camera with them [y/N]: ",
		    0, answer, sizeof(answer)) != 0 ||
		    (strcmp(answer, "y") != 0 && strcmp(answer, "yes") != 0)) {
			printf("Not shared.\n");
			goto out;
		}
	}

	kr.epoch++;
	memset(&kr.r[kr.n], 0, sizeof(kr.r[kr.n]));
	memcpy(kr.r[kr.n].pk, m.box_pk, 32);
	kr.r[kr.n].role = KEYRING_ROLE_MEMBER;
	snprintf(kr.r[kr.n].label, sizeof(kr.r[kr.n].label), "%s", email);
	kr.n++;
	if (publish(cli, &me, cam, &tc, &kr) != 0)
		goto out;
	printf("'%s' is shared with %s: keyring epoch %u published. Footage the "
	    "camera records from now on is sealed to their key as well.\n",
	    cams_str(cam, "name"), email, kr.epoch);
	rc = CLI_EXIT_OK;
out:
	json_decref(cams);
	acct_free(&me);
	return rc;
}

static const char unshare_usage[] =
"usage: sealcam camera unshare --camera NAME --with EMAIL\n"
"\n"
"Stops sharing the camera with that account: publishes the camera's next\n"
"keyring without their key. Footage recorded from then on is not sealed to\n"
"them, and the server no longer lets them download any of the camera's\n"
"footage (copies they already made stay theirs).\n"
"\n"
"example: sealcam camera unshare --camera \"Front door\" --with sam@example.com\n";

int
cmd_camera_unshare(struct cli *cli, int argc, char **argv)
{
	char email[ACCT_EMAIL_MAX];
	struct trust_cam tc;
	const json_t *cam = NULL;
	json_t *cams = NULL;
	struct keyring kr;
	struct member m;
	struct acct me;
	unsigned i;
	int r, rc, found = -1;

	rc = prepare(cli, argc, argv, unshare_usage, &me, &cams, &cam, email,
	    &tc, NULL);
	if (rc != 0)
		return rc == -2 ? CLI_EXIT_OK : rc;
	kr = tc.kr;
	rc = CLI_EXIT_FAIL;
	/* By label (their e-mail), else by their current key. */
	for (i = 0; i < kr.n && found < 0; i++)
		if (kr.r[i].role == KEYRING_ROLE_MEMBER && strcmp(kr.r[i].label, email) == 0)
			found = (int)i;
	if (found < 0 && (r = lookup(cli, email, &m)) == 0)
		for (i = 0; i < kr.n && found < 0; i++)
			if (kr.r[i].role == KEYRING_ROLE_MEMBER &&
			    sodium_memcmp(kr.r[i].pk, m.box_pk, 32) == 0)
				found = (int)i;
	if (found < 0) {
		cli_err(cli, "'%s' is not shared with %s", cams_str(cam, "name"), email);
		goto out;
	}
	kr.epoch++;
	kr.r[found] = kr.r[--kr.n];
	if (publish(cli, &me, cam, &tc, &kr) != 0)
		goto out;
	printf("'%s' is no longer shared with %s: keyring epoch %u published. "
	    "Footage recorded from now on is not sealed to their key.\n",
	    cams_str(cam, "name"), email, kr.epoch);
	rc = CLI_EXIT_OK;
out:
	json_decref(cams);
	acct_free(&me);
	return rc;
}
