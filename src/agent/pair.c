#include "pair.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fsutil.h"
#include "httpc.h"
#include "log.h"
#include "logcheck.h"
#include "pairing.h"
#include "seg.h"

#define PAIR_TIMEOUT_S 30

int
pair_register(const char *pairing_string, const char *state,
    struct camera_conf *conf)
{
	struct pairing p;
	uint8_t pk[SEG_PK_BYTES], sk[SEG_SIGN_SK_BYTES];
	uint8_t id[SEG_CAMERA_ID_BYTES], proof[PAIRING_PROOF_BYTES];
	char pk_hex[SEG_PK_BYTES * 2 + 1], proof_hex[PAIRING_PROOF_BYTES * 2 + 1];
	char pid_hex[PAIRING_ID_BYTES * 2 + 1], path[256];
	uint8_t pid[PAIRING_ID_BYTES];
	struct httpc *http = NULL;
	json_t *body = NULL, *resp = NULL;
	const char *token, *rid;
	char tmpdir[CONFIG_PATH_MAX];
	int st, rc = -1;

	memset(&p, 0, sizeof(p));
	conf->dir[0] = '\0';
	if ((st = pairing_decode(pairing_string, &p)) != PAIRING_OK) {
		log_err("pair", "msg=\"not a valid pairing string (typo? copy it "
		    "again from 'sealcam camera add')\" err=\"%s\"",
		    pairing_strerror(st));
		goto out;
	}
	/* The camera's identity: its own Ed25519 key, id = hash of it. */
	crypto_sign_keypair(pk, sk);
	seg_camera_id(pk, id);
	sodium_bin2hex(conf->id_hex, sizeof(conf->id_hex), id, sizeof(id));
	/* PROTOCOL.md v1 registers no name: the proof binds the empty name. */
	if (pairing_proof_create(p.secret, id, pk, NULL, proof) != PAIRING_OK)
		goto out;
	pairing_id(p.secret, pid);
	sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, sizeof(pk));
	sodium_bin2hex(proof_hex, sizeof(proof_hex), proof, sizeof(proof));
	sodium_bin2hex(pid_hex, sizeof(pid_hex), pid, sizeof(pid));
	if (snprintf(conf->server, sizeof(conf->server), "%s", p.url) >=
	    (int)sizeof(conf->server))
		goto out;
	memcpy(conf->owner_sign_pk, p.owner_pk, 32);
	if (snprintf(conf->dir, sizeof(conf->dir), "%s/cameras/%s", state,
	    conf->id_hex) >= (int)sizeof(conf->dir) ||
	    snprintf(tmpdir, sizeof(tmpdir), "%s/cameras", state) >=
	    (int)sizeof(tmpdir) || fsutil_mkdir_p(conf->dir, 0700) != 0) {
		log_err("pair", "msg=\"cannot create state directory\" dir=%s",
		    state);
		goto out;
	}
	/* Keep the key before registering: a crash after the server took it
	 * must not lose the only copy. */
	if (config_secret_save(conf->dir, "camera.key", sk, sizeof(sk)) != 0)
		goto out;

	if ((http = httpc_new(conf->server, PAIR_TIMEOUT_S)) == NULL) {
		log_err("pair", "msg=\"bad server URL in pairing string\"");
		goto out;
	}
	body = json_pack("{s:s, s:s, s:s}", "camera_id", conf->id_hex,
	    "camera_pk", pk_hex, "proof", proof_hex);
	snprintf(path, sizeof(path), "/v1/pairings/%s/register", pid_hex);
	st = httpc_json(http, "POST", path, body, &resp);
	if (st != 201) {
		log_err("pair", "msg=\"registration refused\" status=%d code=%s "
		    "err=\"%s\"", st, httpc_error_code(resp),
		    st < 0 ? httpc_errmsg(http) : httpc_error_message(resp));
		goto out;
	}
	token = json_string_value(json_object_get(resp, "camera_token"));
	rid = json_string_value(json_object_get(resp, "camera_id"));
	if (token == NULL || rid == NULL || strcmp(rid, conf->id_hex) != 0 ||
	    strlen(token) > CONFIG_TOKEN_MAX) {
		log_err("pair", "msg=\"bad answer from server\"");
		goto out;
	}
	if (config_secret_save(conf->dir, "token", token, strlen(token)) != 0 ||
	    config_save(conf) != 0)
		goto out;
	/* The log key, pinned on first use over the channel we registered on
	 * (docs/THREATS.md says why not in the pairing string). Keyrings are
	 * accepted only from that log. */
	if (json_string_value(json_object_get(resp, "log_key")) == NULL ||
	    logcheck_pin_key(conf->dir, json_string_value(json_object_get(resp,
	    "log_key"))) != 0)
		log_warn("pair", "msg=\"the server named no usable log key; it will be "
		    "fetched before the first keyring\"");
	log_info("pair", "msg=\"camera registered; waiting for the owner's "
	    "keyring\" camera=%s name=\"%s\"", conf->id_hex, conf->name);
	rc = 0;
out:
	json_decref(body);
	if (resp != NULL) {
		/* The answer held the camera token. */
		json_t *t = json_object_get(resp, "camera_token");

		if (json_string_value(t) != NULL)
			sodium_memzero((void *)json_string_value(t),
			    strlen(json_string_value(t)));
		json_decref(resp);
	}
	httpc_free(http);
	if (rc != 0 && conf->dir[0] != '\0') {
		/* No half-paired camera left behind for 'run' to trip over. */
		static const char *const files[] = { "token", "camera.json",
		    "camera.key" };

		char f[CONFIG_PATH_MAX + 32];

		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			if (snprintf(f, sizeof(f), "%s/%s", conf->dir, files[i]) <
			    (int)sizeof(f))
				unlink(f);
		rmdir(conf->dir);
	}
	pairing_wipe(&p);
	sodium_memzero(sk, sizeof(sk));
	return rc;
}
