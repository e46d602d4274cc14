/* logcheck — a keyring is accepted only from the log (logcheck.h). */
#include "logcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config.h"
#include "fsutil.h"
#include "httpc.h"
#include "keyring.h"
#include "log.h"
#include "tlog_client.h"
#include "tlog_entry.h"

#define COMP "keyring"

/* A small text file of dir (NUL-terminated, trailing newline cut). */
static int
load_text(const char *dir, const char *name, char *out, size_t cap)
{
	size_t len;

	if (config_file_load(dir, name, 0, (uint8_t *)out, cap - 1, &len) != 0)
		return -1;
	out[len] = '\0';
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	return 0;
}

int
logcheck_pin_key(const char *dir, const char *vkey)
{
	char line[TLOG_VKEY_MAX + 1], name[TLOG_NAME_MAX + 1], fpr[20];
	size_t n = strlen(vkey);

	if (n >= TLOG_VKEY_MAX || tlog_client_vkey_info(vkey, name, fpr) != 0) {
		log_err(COMP, "msg=\"the server's log key is malformed\"");
		return -1;
	}
	memcpy(line, vkey, n);
	line[n] = '\n';
	if (config_secret_save(dir, "log-key", line, n + 1) != 0)
		return -1;
	log_info(COMP, "msg=\"transparency log key pinned\" log=%s fingerprint=%s",
	    name, fpr);
	return 0;
}

/* The pinned key; an agent paired before the log existed pins the
 * server's now (trust on first use, said so in the log). */
static int
pinned_key(const char *dir, struct httpc *http, char vkey[TLOG_VKEY_MAX])
{
	json_t *resp = NULL;
	const char *k;
	int st;

	if (load_text(dir, "log-key", vkey, TLOG_VKEY_MAX) == 0)
		return 0;
	if (errno != ENOENT || http == NULL)
		return -1;
	st = httpc_json(http, "GET", "/v1/log/key", NULL, &resp);
	k = st == 200 ? json_string_value(json_object_get(resp, "key")) : NULL;
	if (k == NULL || strlen(k) >= TLOG_VKEY_MAX || logcheck_pin_key(dir, k) != 0) {
		log_warn(COMP, "msg=\"cannot get the log key\" status=%d", st);
		json_decref(resp);
		return -1;
	}
	log_warn(COMP, "msg=\"no log key was pinned at pairing: pinned the server's now\"");
	memcpy(vkey, k, strlen(k) + 1);
	json_decref(resp);
	return 0;
}

/* The last accepted checkpoint, opened under v (size 0 if none). */
static int
last_checkpoint(const char *dir, const struct tlog_verifier *v, const char *origin,
    struct tlog_checkpoint *cp)
{
	char *note = malloc(TLOG_NOTE_MAX);
	size_t len;
	int r;

	memset(cp, 0, sizeof(*cp));
	if (note == NULL)
		return -1;
	if (config_file_load(dir, "log-checkpoint", 0, (uint8_t *)note, TLOG_NOTE_MAX,
	    &len) != 0)
		r = errno == ENOENT ? 0 : -1;
	else
		r = tlog_checkpoint_open(note, len, v, origin, cp) == 0 ? 0 : -1;
	free(note);
	return r;
}

uint64_t
logcheck_size(const char *dir)
{
	struct tlog_verifier *v;
	struct tlog_checkpoint cp;
	char vkey[TLOG_VKEY_MAX], name[TLOG_NAME_MAX + 1], fpr[20];

	if (load_text(dir, "log-key", vkey, sizeof(vkey)) != 0 ||
	    tlog_client_vkey_info(vkey, name, fpr) != 0 ||
	    (v = tlog_verifier_parse(vkey)) == NULL)
		return 0;
	if (last_checkpoint(dir, v, name, &cp) != 0)
		cp.size = 0;
	tlog_verifier_free(v);
	return cp.size;
}

static int
refuse(const char *id_hex, uint32_t epoch, const char *why)
{
	log_warn(COMP, "camera=%s epoch=%u msg=\"keyring refused: not proven to be in "
	    "the transparency log; keeping the keyring in force\" err=\"%s\"",
	    id_hex, epoch, why);
	return -1;
}

int
logcheck_keyring(const char *dir, const char *id_hex, const uint8_t camera_id[16],
    struct httpc *http, const json_t *log, const uint8_t *buf, size_t len,
    uint32_t epoch)
{
	struct tlog_verifier *v = NULL;
	struct tlog_checkpoint prev, cp;
	struct tlog_proof incl, cons;
	struct tlog_entry e;
	uint8_t entry[TLOG_ENTRY_LEN + 1], hash[KEYRING_HASH_BYTES], owner[TLOG_ID_LEN];
	char vkey[TLOG_VKEY_MAX], name[TLOG_NAME_MAX + 1], fpr[20];
	char owner_hex[2 * TLOG_ID_LEN + 1], pinned_owner[2 * TLOG_ID_LEN + 2];
	const char *b64, *note;
	json_int_t index;
	size_t elen;
	int r, rc = -1, have_owner;

	if (!json_is_object(log))
		return refuse(id_hex, epoch, "the server sent no log receipt");
	if (pinned_key(dir, http, vkey) != 0 || tlog_client_vkey_info(vkey, name, fpr) != 0 ||
	    (v = tlog_verifier_parse(vkey)) == NULL)
		return refuse(id_hex, epoch, "no usable log key pinned");
	if (last_checkpoint(dir, v, name, &prev) != 0) {
		rc = refuse(id_hex, epoch, "the saved checkpoint does not verify");
		goto out;
	}
	/* The receipt's parts. */
	b64 = json_string_value(json_object_get(log, "entry"));
	note = json_string_value(json_object_get(log, "checkpoint"));
	index = json_integer_value(json_object_get(log, "index"));
	memset(&cons, 0, sizeof(cons));
	if (b64 == NULL || note == NULL || !json_is_integer(json_object_get(log, "index")) ||
	    index < 0 || sodium_base642bin(entry, sizeof(entry), b64, strlen(b64), NULL,
	    &elen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || elen != TLOG_ENTRY_LEN ||
	    tlog_client_proof_json(json_object_get(log, "proof"), &incl) != 0 ||
	    (json_is_array(json_object_get(log, "consistency")) &&
	    tlog_client_proof_json(json_object_get(log, "consistency"), &cons) != 0)) {
		rc = refuse(id_hex, epoch, "malformed log receipt");
		goto out;
	}
	/* 1. A checkpoint of the pinned log that extends the last one. */
	r = tlog_client_advance(v, name, &prev, note, strlen(note),
	    json_is_array(json_object_get(log, "consistency")) ? &cons : NULL, &cp);
	if (r != TLOG_CLIENT_OK) {
		rc = refuse(id_hex, epoch, tlog_client_strerror(r));
		goto out;
	}
	/* 2. The entry is this keyring's publication... */
	keyring_hash(buf, len, hash);
	if (tlog_entry_parse(entry, elen, &e) != 0 || e.type != TLOG_E_KEYRING ||
	    sodium_memcmp(e.subject, camera_id, TLOG_ID_LEN) != 0 || e.number != epoch ||
	    sodium_memcmp(e.commitment, hash, sizeof(hash)) != 0) {
		rc = refuse(id_hex, epoch, "the log entry is not this keyring's");
		goto out;
	}
	/* ...in the owner's chain (the one the first keyring was in)... */
	memcpy(owner, e.account, TLOG_ID_LEN);
	sodium_bin2hex(owner_hex, sizeof(owner_hex), owner, sizeof(owner));
	have_owner = load_text(dir, "log-owner", pinned_owner, sizeof(pinned_owner)) == 0;
	if (have_owner && strcmp(pinned_owner, owner_hex) != 0) {
		rc = refuse(id_hex, epoch, "the entry is not in the owner's chain");
		goto out;
	}
	/* 3. ...and in the tree. */
	if ((r = tlog_client_included(&cp, (uint64_t)index, entry, elen, &incl)) != TLOG_CLIENT_OK) {
		rc = refuse(id_hex, epoch, tlog_client_strerror(r));
		goto out;
	}
	/* Accepted: the checkpoint moves forward before the keyring is used. */
	if (config_secret_save(dir, "log-checkpoint", note, strlen(note)) != 0 ||
	    (!have_owner && config_secret_save(dir, "log-owner", owner_hex,
	    strlen(owner_hex)) != 0))
		goto out;
	log_info(COMP, "camera=%s epoch=%u msg=\"keyring is in the transparency log\" "
	    "index=%lld tree=%llu", id_hex, epoch, (long long)index,
	    (unsigned long long)cp.size);
	rc = 0;
out:
	tlog_verifier_free(v);
	return rc;
}
