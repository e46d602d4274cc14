#include "trust.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "cams.h"
#include "cli.h"
#include "codec.h"
#include "home.h"
#include "httpc.h"
#include "vault.h"

int
trust_fetch_keyring(struct cli *cli, const char *cam_id, uint8_t *buf,
    size_t *len)
{
	char path[256];
	json_t *resp = NULL;
	struct httpc *h;
	const char *b64;
	int st, rc = -1;

	if ((h = cli_http(cli, 1)) == NULL)
		return -1;
	snprintf(path, sizeof(path), "/v1/cameras/%s/keyring", cam_id);
	st = httpc_json(h, "GET", path, NULL, &resp);
	if (st != 200) {
		cli_api_fail(cli, "fetching the camera's keyring", st, resp);
		goto out;
	}
	b64 = json_string_value(json_object_get(resp, "keyring"));
	if (b64 == NULL || codec_b64_decode(b64, strlen(b64), buf,
	    KEYRING_MAX_BYTES, len) != 0) {
		cli_err(cli, "the server's keyring for camera %s is not valid base64 "
		    "of at most %d bytes", cam_id, KEYRING_MAX_BYTES);
		goto out;
	}
	rc = 0;
out:
	json_decref(resp);
	return rc;
}

/* The owner's account fingerprint (as their 'sealcam whoami' shows it):
 * their signing key and the box key the keyring gives the owner role. */
static void
owner_fingerprint(const struct keyring *kr, char out[VAULT_FINGERPRINT_LEN + 1])
{
	unsigned i;

	for (i = 0; i < kr->n; i++)
		if (kr->r[i].role == KEYRING_ROLE_OWNER) {
			vault_fingerprint_account(kr->owner_pk, kr->r[i].pk, out);
			return;
		}
	vault_fingerprint(kr->owner_pk, out);
}

static int
hex_field(const json_t *o, const char *key, uint8_t *out, size_t n)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && codec_hex_decode(s, out, n) == 0 ? 0 : -1;
}

int
trust_remember(struct cli *cli, const char *cam_id, const char *name,
    const uint8_t camera_pk[SEG_PK_BYTES], const uint8_t owner_pk[32],
    uint32_t epoch, const char *role)
{
	char cpk[CODEC_HEX_LEN(32)], opk[CODEC_HEX_LEN(32)], file[96];
	json_t *t;
	int r;

	codec_hex_encode(camera_pk, 32, cpk, sizeof(cpk));
	codec_hex_encode(owner_pk, 32, opk, sizeof(opk));
	snprintf(file, sizeof(file), "trust/%s.json", cam_id);
	if (home_ensure(cli->home, "trust") != 0)
		return cli_err(cli, "cannot create %s/trust: %s", cli->home,
		    strerror(errno)), -1;
	t = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "camera_id", cam_id,
	    "name", name, "camera_pk", cpk, "owner_sign_pk", opk,
	    "epoch", (json_int_t)epoch, "role", role);
	r = t ? home_json_save(cli->home, file, t) : -1;
	json_decref(t);
	if (r != 0)
		return cli_err(cli, "cannot write %s/%s: %s", cli->home, file,
		    strerror(errno)), -1;
	return 0;
}

int
trust_camera(struct cli *cli, const uint8_t *my_sign_pk, const json_t *cam,
    FILE *note, struct trust_cam *tc)
{
	uint8_t *camera_pk = tc->camera_pk;
	const char *cam_id = cams_str(cam, "camera_id"), *name = cams_str(cam, "name");
	int owner = strcmp(cams_str(cam, "role"), "owner") == 0;
	uint8_t id[SEG_CAMERA_ID_BYTES], derived[SEG_CAMERA_ID_BYTES];
	uint8_t owner_pk[32], pinned_pk[32], buf[KEYRING_MAX_BYTES];
	char file[96], fpr[VAULT_FINGERPRINT_LEN + 1], fpr2[VAULT_FINGERPRINT_LEN + 1];
	struct keyring kr;
	json_t *t;
	uint32_t seen_epoch = 0;
	size_t len;
	int missing, r, first = 0, rc = -1;

	snprintf(file, sizeof(file), "trust/%s.json", cam_id);
	t = home_json_load(cli->home, file, &missing);

	/* 1. The camera key must be the one its id commits to. */
	if (codec_hex_decode(cam_id, id, sizeof(id)) != 0 ||
	    hex_field(cam, "camera_pk", camera_pk, SEG_PK_BYTES) != 0) {
		cli_err(cli, "the server's entry for camera '%s' has no valid id or "
		    "key", name);
		goto out;
	}
	seg_camera_id(camera_pk, derived);
	if (sodium_memcmp(derived, id, sizeof(id)) != 0) {
		cli_err(cli, "the server gives camera '%s' a key that is not the one "
		    "its id commits to; refusing it", name);
		goto out;
	}

	/* 2. Whose signature makes the keyring genuine. */
	if (owner) {
		if (my_sign_pk == NULL) {
			cli_err(cli, "this device's keys are needed to check camera '%s'",
			    name);
			goto out;
		}
		memcpy(owner_pk, my_sign_pk, 32);
	} else if (t != NULL && hex_field(t, "owner_sign_pk", pinned_pk, 32) == 0) {
		memcpy(owner_pk, pinned_pk, 32);
	} else {
		/* First sight: trust the owner key the server names, verify
		 * the keyring under it, show its fingerprint, pin it. */
		if (hex_field(cam, "owner_sign_pk", owner_pk, 32) != 0) {
			cli_err(cli, "the server's entry for camera '%s' has no valid "
			    "owner key", name);
			goto out;
		}
		first = 1;
	}
	if (t != NULL)
		seen_epoch = (uint32_t)json_integer_value(json_object_get(t, "epoch"));

	/* 3. The keyring: signed by that owner key, naming this camera. */
	if (trust_fetch_keyring(cli, cam_id, buf, &len) != 0)
		goto out;
	r = keyring_verify(buf, len, owner_pk, id, 0, &kr);
	if (r == KEYRING_EWRONGOWNER || r == KEYRING_EBADSIG) {
		vault_fingerprint(owner_pk, fpr);
		cli_err(cli, "the keyring of camera '%s' is not signed by %s (key "
		    "%s): refusing its footage", name, owner ? "this account's owner "
		    "key" : "the owner key pinned on this device", fpr);
		goto out;
	}
	if (r != KEYRING_OK) {
		cli_err(cli, "the keyring of camera '%s' does not verify: %s", name,
		    keyring_strerror(r));
		goto out;
	}

	/* 4. No rollback; no swapped camera key. */
	if (kr.epoch < seen_epoch) {
		cli_err(cli, "the server presents keyring epoch %u for camera '%s', "
		    "but this device has seen epoch %u: refusing an older keyring",
		    kr.epoch, name, seen_epoch);
		goto out;
	}
	if (t != NULL && hex_field(t, "camera_pk", pinned_pk, 32) == 0 &&
	    sodium_memcmp(pinned_pk, camera_pk, 32) != 0) {
		cli_err(cli, "camera '%s' now has a different camera key than this "
		    "device remembered; refusing it (re-pair the camera if it was "
		    "replaced)", name);
		goto out;
	}

	if (first && note != NULL) {
		owner_fingerprint(&kr, fpr2);
		fprintf(note, "Camera '%s' is shared with you. Its owner's key "
		    "fingerprint is %s — compare it with what 'sealcam whoami' "
		    "shows on the owner's device. Pinned on this device: from now "
		    "on only keyrings signed by this key are trusted for '%s'.\n",
		    name, fpr2, name);
	}
	if ((first || kr.epoch > seen_epoch || t == NULL) &&
	    trust_remember(cli, cam_id, name, camera_pk, owner_pk,
	    kr.epoch > seen_epoch ? kr.epoch : seen_epoch,
	    owner ? "owner" : "member") != 0)
		goto out;
	snprintf(tc->cam_id, sizeof(tc->cam_id), "%s", cam_id);
	memcpy(tc->camera_id, id, sizeof(id));
	memcpy(tc->owner_pk, owner_pk, 32);
	tc->kr = kr;
	rc = 0;
out:
	json_decref(t);
	return rc;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
trust_epochs_for(struct cli *cli, const struct trust_cam *tc,
    const uint8_t box_pk[32], uint32_t **epochs, size_t *n)
{
	uint8_t buf[KEYRING_MAX_BYTES];
	char path[256];
	json_t *resp = NULL, *arr, *e;
	struct keyring kr;
	struct httpc *h;
	uint32_t *out = NULL;
	size_t i, len, cnt = 0;
	unsigned j;
	int st, r, rc = -1;

	*epochs = NULL;
	*n = 0;
	if ((h = cli_http(cli, 1)) == NULL)
		return -1;
	snprintf(path, sizeof(path), "/v1/cameras/%s/keyring?all=1", tc->cam_id);
	st = httpc_json(h, "GET", path, NULL, &resp);
	if (st != 200) {
		cli_api_fail(cli, "fetching the camera's keyring history", st, resp);
		goto out;
	}
	arr = json_object_get(resp, "keyrings");
	if (!json_is_array(arr) || (out = calloc(json_array_size(arr) + 1,
	    sizeof(*out))) == NULL) {
		cli_err(cli, "the server's keyring history has no \"keyrings\" list");
		goto out;
	}
	json_array_foreach(arr, i, e) {
		const char *b64 = json_string_value(json_object_get(e, "keyring"));
		/* Every old keyring must be the owner's too: the server cannot
		 * invent an epoch that names this device. */
		if (b64 == NULL || codec_b64_decode(b64, strlen(b64), buf, sizeof(buf),
		    &len) != 0 || (r = keyring_verify(buf, len, tc->owner_pk,
		    tc->camera_id, 0, &kr)) != KEYRING_OK) {
			cli_err(cli, "a keyring in the history of camera %s does not "
			    "verify under its owner key", tc->cam_id);
			goto out;
		}
		for (j = 0; j < kr.n; j++)
			if (sodium_memcmp(kr.r[j].pk, box_pk, 32) == 0) {
				out[cnt++] = kr.epoch;
				break;
			}
	}
	qsort(out, cnt, sizeof(*out), cmp_u32);
	*epochs = out;
	*n = cnt;
	out = NULL;
	rc = 0;
out:
	free(out);
	json_decref(resp);
	return rc;
}

int
trust_local_camera(struct cli *cli, const char *what,
    uint8_t camera_pk[SEG_PK_BYTES], char cam_id[TRUST_ID_HEX])
{
	char **names, file[512];
	json_t *t, *hit = NULL;
	size_t wl = strlen(what);
	int i, n, nhits = 0, pass, missing;

	if ((n = home_list(cli->home, "trust", ".json", &names)) < 0)
		return cli_err(cli, "cannot read %s/trust", cli->home), -1;
	/* Pass 0: exact name, 1: name ignoring case, 2: id prefix. */
	for (pass = 0; pass < 3 && nhits == 0; pass++) {
		for (i = 0; i < n; i++) {
			const char *nm, *id;
			snprintf(file, sizeof(file), "trust/%s", names[i]);
			if ((t = home_json_load(cli->home, file, &missing)) == NULL)
				continue;
			nm = json_string_value(json_object_get(t, "name"));
			id = json_string_value(json_object_get(t, "camera_id"));
			if (nm != NULL && id != NULL &&
			    (pass == 0 ? strcmp(nm, what) == 0 :
			    pass == 1 ? strcasecmp(nm, what) == 0 :
			    wl >= 8 && strncasecmp(id, what, wl) == 0)) {
				nhits++;
				json_decref(hit);
				hit = t;
			} else {
				json_decref(t);
			}
		}
	}
	home_names_free(names, n);
	if (nhits != 1) {
		json_decref(hit);
		return cli_err(cli, nhits ? "several cameras on this device match "
		    "'%s'; use the camera id" : "this device has never verified a "
		    "camera named '%s' (see 'sealcam camera list')", what), -1;
	}
	if (hex_field(hit, "camera_pk", camera_pk, SEG_PK_BYTES) != 0 ||
	    strlen(json_string_value(json_object_get(hit, "camera_id"))) !=
	    TRUST_ID_HEX - 1) {
		json_decref(hit);
		return cli_err(cli, "the record of camera '%s' in %s/trust is "
		    "damaged", what, cli->home), -1;
	}
	memcpy(cam_id, json_string_value(json_object_get(hit, "camera_id")),
	    TRUST_ID_HEX);
	json_decref(hit);
	return 0;
}
