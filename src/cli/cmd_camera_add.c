/*
 * sealcam camera add | pending — pairing a camera (PROTOCOL.md "Pairing a
 * camera", the owner's side).
 *
 * add makes the one-time pairing secret and the pairing string, announces
 * the pairing (only its id, a hash of the secret, goes to the server),
 * keeps the secret in the client home and waits for the agent. When the
 * agent has registered, finish_pairing() checks the camera's proof under
 * the secret — a server that swapped the camera key fails here — and
 * publishes keyring epoch 1, signed by this account's owner key, naming
 * this account's box key as the only recipient. pending does the same later
 * for pairings left waiting (--no-wait, an interrupted add).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "acct.h"
#include "cli.h"
#include "cmd_camera.h"
#include "codec.h"
#include "home.h"
#include "httpc.h"
#include "keyring.h"
#include "pairing.h"
#include "timespec.h"
#include "trust.h"

#define ADD_TIMEOUT_DEFAULT_S 600	/* how long add waits for the agent */
#define POLL_MS 500

enum finish { FINISH_DONE, FINISH_PENDING, FINISH_GONE, FINISH_FAILED };

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Publish keyring epoch 1: this account's box key, role owner. */
static int
publish_first_keyring(struct cli *cli, const struct acct *me,
    const uint8_t cam_id[16], const char *cam_hex)
{
	uint8_t buf[KEYRING_MAX_BYTES];
	char b64[CODEC_B64_LEN(KEYRING_MAX_BYTES)], path[256];
	struct keyring kr;
	json_t *body = NULL, *resp = NULL;
	struct httpc *h;
	size_t len;
	int r, st, rc = -1;

	memset(&kr, 0, sizeof(kr));
	memcpy(kr.camera_id, cam_id, 16);
	kr.epoch = 1;
	kr.issued_ms = (uint64_t)timespec_now_ms();
	kr.n = 1;
	memcpy(kr.r[0].pk, me->v.box_pk, 32);
	kr.r[0].role = KEYRING_ROLE_OWNER;
	snprintf(kr.r[0].label, sizeof(kr.r[0].label), "%.*s", KEYRING_LABEL_MAX,
	    me->email);
	if ((r = keyring_sign(&kr, me->v.sign_sk, buf, sizeof(buf), &len)) != KEYRING_OK) {
		cli_err(cli, "could not sign the keyring: %s", keyring_strerror(r));
		return -1;
	}
	codec_b64_encode(buf, len, b64, sizeof(b64));
	if ((h = cli_http(cli, 1)) == NULL ||
	    (body = json_pack("{s:s, s:[]}", "keyring", b64, "members")) == NULL)
		goto out;
	snprintf(path, sizeof(path), "/v1/cameras/%s/keyring", cam_hex);
	st = httpc_json(h, "PUT", path, body, &resp);
	if (st == 409 && strcmp(httpc_error_code(resp), "epoch_not_greater") == 0) {
		/* An earlier, interrupted run already published it: fine if it
		 * is ours (trust_camera checks that later, on every use). */
		rc = 0;
		goto out;
	}
	if (st != 204 && st != 200 && st != 201) {
		cli_api_fail(cli, "publishing the camera's first keyring", st, resp);
		goto out;
	}
	rc = 0;
out:
	json_decref(body);
	json_decref(resp);
	return rc;
}

/*
 * One look at a pending pairing (home file pairings/<id>.json): finish it
 * if the agent registered. Messages go to stdout (progress) and stderr
 * (errors).
 */
static enum finish
finish_pairing(struct cli *cli, const struct acct *me, const char *file,
    int quiet_pending)
{
	uint8_t secret[PAIRING_SECRET_BYTES], cam_id[16], cam_pk[32],
	    proof[PAIRING_PROOF_BYTES];
	char path[256], fpr[VAULT_FINGERPRINT_LEN + 1];
	const char *pid, *name, *status, *cid;
	json_t *p, *resp = NULL;
	struct httpc *h;
	enum finish res = FINISH_FAILED;
	int missing, st, r;

	if ((p = home_json_load(cli->home, file, &missing)) == NULL) {
		cli_err(cli, "cannot read %s/%s", cli->home, file);
		return FINISH_FAILED;
	}
	pid = json_string_value(json_object_get(p, "pairing_id"));
	name = json_string_value(json_object_get(p, "name"));
	if (pid == NULL || name == NULL || codec_hex_decode(json_string_value(
	    json_object_get(p, "secret")) ? json_string_value(json_object_get(p,
	    "secret")) : "", secret, sizeof(secret)) != 0) {
		cli_err(cli, "%s/%s is damaged; remove it and add the camera again",
		    cli->home, file);
		goto out;
	}
	if ((h = cli_http(cli, 1)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "/v1/pairings/%s", pid);
	st = httpc_json(h, "GET", path, NULL, &resp);
	if (st == 404 || st == 410) {
		printf("Pairing of '%s' expired before a camera registered; add it "
		    "again with: sealcam camera add --name \"%s\"\n", name, name);
		home_remove(cli->home, file);
		res = FINISH_GONE;
		goto out;
	}
	if (st != 200) {
		cli_api_fail(cli, "asking for the pairing's status", st, resp);
		goto out;
	}
	status = json_string_value(json_object_get(resp, "status"));
	if (status == NULL || strcmp(status, "registered") != 0) {
		if (!quiet_pending)
			printf("'%s': still waiting for the agent to register.\n", name);
		res = FINISH_PENDING;
		goto out;
	}

	/* The agent registered: its proof must verify under our secret. */
	cid = json_string_value(json_object_get(resp, "camera_id"));
	if (cid == NULL || codec_hex_decode(cid, cam_id, 16) != 0 ||
	    codec_hex_decode(json_string_value(json_object_get(resp, "camera_pk")) ?
	    json_string_value(json_object_get(resp, "camera_pk")) : "", cam_pk, 32) != 0 ||
	    codec_hex_decode(json_string_value(json_object_get(resp, "proof")) ?
	    json_string_value(json_object_get(resp, "proof")) : "", proof,
	    sizeof(proof)) != 0) {
		cli_err(cli, "the server's pairing status for '%s' lacks a valid "
		    "camera id, key or proof", name);
		goto out;
	}
	r = pairing_proof_verify(secret, cam_id, cam_pk, NULL, proof);
	if (r != PAIRING_OK) {
		cli_err(cli, "the camera that registered for '%s' cannot prove it "
		    "holds the pairing secret (%s): its key may have been swapped "
		    "on the way. Not trusted and removed; pair the camera again.",
		    name, pairing_strerror(r));
		/* No keyring will name it; do not leave it listed either.
		 * (path before resp goes: cid points into it.) */
		snprintf(path, sizeof(path), "/v1/cameras/%s", cid);
		json_decref(resp);
		resp = NULL;
		(void)httpc_json(h, "DELETE", path, NULL, &resp);
		home_remove(cli->home, file);
		goto out;
	}
	if (publish_first_keyring(cli, me, cam_id, cid) != 0 ||
	    trust_remember(cli, cid, name, cam_pk, me->v.sign_pk, 1, "owner") != 0)
		goto out;
	home_remove(cli->home, file);
	vault_fingerprint(cam_pk, fpr);
	printf("Camera '%s' is paired: id %s, camera key %s.\n"
	    "Its proof verified; keyring epoch 1 is published, signed by your "
	    "owner key: only your key can decrypt its footage.\n", name, cid, fpr);
	res = FINISH_DONE;
out:
	sodium_memzero(secret, sizeof(secret));
	json_decref(p);
	json_decref(resp);
	return res;
}

static const char add_usage[] =
"usage: sealcam camera add --name NAME [--no-wait] [--timeout SECONDS]\n"
"\n"
"Starts pairing a camera: prints a pairing string to give to sealcam-agent\n"
"on the home machine (it holds a one-time secret — pass it privately, not\n"
"through the server), then waits until the agent has registered, checks\n"
"the camera's proof and publishes the camera's first keyring (only your key\n"
"may decrypt). --no-wait returns after printing; 'sealcam camera pending'\n"
"finishes later. --timeout: how long to wait (default 600 s; the pairing\n"
"itself stays valid for an hour).\n"
"\n"
"example: sealcam camera add --name \"Front door\"\n";

int
cmd_camera_add(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "no-wait", no_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *server;
	char str[PAIRING_STRING_MAX + 1], idhex[CODEC_HEX_LEN(PAIRING_ID_BYTES)];
	char sechex[CODEC_HEX_LEN(PAIRING_SECRET_BYTES)], file[96],
	    t1[TIMESPEC_TEXT_MAX];
	uint8_t pid[PAIRING_ID_BYTES];
	struct pairing p;
	struct acct me;
	json_t *body = NULL, *resp = NULL, *rec = NULL;
	struct httpc *h;
	int64_t timeout_ms = ADD_TIMEOUT_DEFAULT_S * 1000LL, deadline, expires;
	int ch, st, r, nowait = 0, have_acct = 0, rc = CLI_EXIT_FAIL;
	enum finish f;

	memset(&p, 0, sizeof(p));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'n': name = optarg; break;
		case 'W': nowait = 1; break;
		case 't':
			if (timespec_parse_duration(optarg, &timeout_ms) != 0)
				return cli_usage(cli, "--timeout '%s': expected seconds "
				    "(or 90s, 10m)", optarg);
			break;
		case 'h': fputs(add_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (name == NULL || name[0] == '\0')
		return cli_usage(cli, "--name is required (e.g. --name \"Front door\")");
	if (strlen(name) > 64)
		return cli_usage(cli, "--name is longer than 64 bytes");

	if (acct_load(cli, &me) != 0)
		return CLI_EXIT_FAIL;
	have_acct = 1;
	if ((server = cli_server(cli)) == NULL || (h = cli_http(cli, 1)) == NULL)
		goto out;
	/* The secret stays here and in the string; the server gets its hash. */
	if ((r = pairing_new(&p, server, me.v.sign_pk)) != PAIRING_OK) {
		cli_err(cli, "cannot make a pairing for server '%s': %s", server,
		    pairing_strerror(r));
		goto out;
	}
	if (pairing_encode(&p, str, sizeof(str)) != PAIRING_OK)
		goto out;
	pairing_id(p.secret, pid);
	codec_hex_encode(pid, sizeof(pid), idhex, sizeof(idhex));
	if ((body = json_pack("{s:s, s:s}", "pairing_id", idhex, "name", name)) == NULL)
		goto out;
	st = httpc_json(h, "POST", "/v1/pairings", body, &resp);
	if (st != 201 && st != 200) {
		cli_api_fail(cli, "announcing the pairing", st, resp);
		goto out;
	}
	expires = json_integer_value(json_object_get(resp, "expires_ms"));

	/* Keep the secret to check the camera's proof when it registers. */
	codec_hex_encode(p.secret, sizeof(p.secret), sechex, sizeof(sechex));
	rec = json_pack("{s:s, s:s, s:s, s:s, s:I}", "pairing_id", idhex,
	    "name", name, "secret", sechex, "server", server,
	    "expires_ms", (json_int_t)expires);
	sodium_memzero(sechex, sizeof(sechex));
	snprintf(file, sizeof(file), "pairings/%s.json", idhex);
	if (rec == NULL || home_ensure(cli->home, "pairings") != 0 ||
	    home_json_save(cli->home, file, rec) != 0) {
		cli_err(cli, "cannot save the pairing in %s/pairings: %s", cli->home,
		    strerror(errno));
		goto out;
	}

	printf("Pairing string: %s\n\n", str);
	printf("On the home machine, run:\n  sealcam-agent pair '%s' --source "
	    "<rtsp://...|/dev/video0|file.mp4|testsrc>\n\n", str);
	printf("The string holds a one-time secret: pass it privately. The pairing "
	    "expires %s.\n", expires > 0 ? timespec_format_time(expires, t1) :
	    "in an hour");
	fflush(stdout);
	if (nowait) {
		printf("Then run 'sealcam camera pending' to finish.\n");
		rc = CLI_EXIT_OK;
		goto out;
	}
	printf("Waiting for the camera to register (Ctrl-C is safe: 'sealcam "
	    "camera pending' finishes later)...\n");
	fflush(stdout);
	deadline = timespec_now_ms() + timeout_ms;
	for (;;) {
		f = finish_pairing(cli, &me, file, 1);
		if (f == FINISH_DONE)
			rc = CLI_EXIT_OK;
		if (f != FINISH_PENDING)
			break;
		if (timespec_now_ms() >= deadline) {
			cli_err(cli, "no camera registered within the timeout; the "
			    "pairing stays valid until it expires — run 'sealcam camera "
			    "pending' after starting the agent");
			break;
		}
		sleep_ms(POLL_MS);
	}
out:
	pairing_wipe(&p);
	json_decref(body);
	json_decref(resp);
	json_decref(rec);
	if (have_acct)
		acct_free(&me);
	return rc;
}

static const char pending_usage[] =
"usage: sealcam camera pending [--wait] [--timeout SECONDS]\n"
"\n"
"Finishes pairings started with 'camera add' whose agent has registered\n"
"since: checks each camera's proof and publishes its first keyring. With\n"
"--wait, keeps looking until none is left waiting (or --timeout, default\n"
"600 s, passes: exit status 1). Expired pairings are dropped.\n";

int
cmd_camera_pending(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int64_t timeout_ms = ADD_TIMEOUT_DEFAULT_S * 1000LL, deadline;
	char **names = NULL, file[512];
	struct acct me;
	int ch, i, n = 0, wait = 0, waiting, failed = 0, rc = CLI_EXIT_FAIL;
	enum finish f;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (ch) {
		case 'w': wait = 1; break;
		case 't':
			if (timespec_parse_duration(optarg, &timeout_ms) != 0)
				return cli_usage(cli, "--timeout '%s': expected seconds "
				    "(or 90s, 10m)", optarg);
			break;
		case 'h': fputs(pending_usage, stdout); return CLI_EXIT_OK;
		default: return cli_bad_option(cli, argc, argv);
		}
	}
	if (optind < argc)
		return cli_usage(cli, "unexpected argument '%s'", argv[optind]);
	if (acct_load(cli, &me) != 0)
		return CLI_EXIT_FAIL;
	deadline = timespec_now_ms() + timeout_ms;
	for (;;) {
		if ((n = home_list(cli->home, "pairings", ".json", &names)) < 0) {
			cli_err(cli, "cannot read %s/pairings", cli->home);
			goto out;
		}
		if (n == 0) {
			printf("No pairings are waiting.\n");
			rc = failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
			goto out;
		}
		waiting = 0;
		for (i = 0; i < n; i++) {
			snprintf(file, sizeof(file), "pairings/%s", names[i]);
			f = finish_pairing(cli, &me, file, wait);
			waiting += f == FINISH_PENDING;
			failed += f == FINISH_FAILED;
		}
		home_names_free(names, n);
		names = NULL;
		if (failed) {
			rc = CLI_EXIT_FAIL;
			goto out;
		}
		if (waiting == 0 || !wait) {
			rc = CLI_EXIT_OK;
			goto out;
		}
		if (timespec_now_ms() >= deadline) {
			cli_err(cli, "%d pairing%s still waiting for an agent after the "
			    "timeout", waiting, waiting == 1 ? "" : "s");
			goto out;
		}
		sleep_ms(POLL_MS);
	}
out:
	home_names_free(names, names ? n : 0);
	acct_free(&me);
	return rc;
}
