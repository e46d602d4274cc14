/* tlogc — the log state in the client home (tlogc.h). */
#include "tlogc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "codec.h"
#include "home.h"
#include "httpc.h"

int
tlogc_key(struct cli *cli, char vkey[TLOG_VKEY_MAX])
{
	uint8_t *buf;
	size_t len;
	int r = home_read(cli->home, "log/key", &buf, &len);

	if (r == 1)
		return 1;
	if (r != 0)
		return cli_err(cli, "cannot read %s/log/key: %s", cli->home,
		    strerror(errno)), -1;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len == 0 || len >= TLOG_VKEY_MAX) {
		free(buf);
		return cli_err(cli, "%s/log/key is not a log key", cli->home), -1;
	}
	memcpy(vkey, buf, len + 1);
	free(buf);
	return 0;
}

static int
save_key(struct cli *cli, const char *vkey)
{
	char line[TLOG_VKEY_MAX + 1];
	size_t n = strlen(vkey);

	memcpy(line, vkey, n);
	line[n] = '\n';
	if (home_ensure(cli->home, "log") != 0 ||
	    home_write(cli->home, "log/key", line, n + 1) != 0)
		return cli_err(cli, "cannot write %s/log/key: %s", cli->home,
		    strerror(errno)), -1;
	return 0;
}

/* The server's key (GET /v1/log/key) into vkey. */
static int
server_key(struct cli *cli, struct httpc *h, char vkey[TLOG_VKEY_MAX])
{
	json_t *resp = NULL;
	const char *k;
	int st = httpc_json(h, "GET", "/v1/log/key", NULL, &resp), rc = -1;

	if (st != 200) {
		cli_api_fail(cli, "fetching the log key", st, resp);
		goto out;
	}
	k = json_string_value(json_object_get(resp, "key"));
	if (k == NULL || strlen(k) >= TLOG_VKEY_MAX) {
		cli_err(cli, "the server's answer has no log key");
		goto out;
	}
	memcpy(vkey, k, strlen(k) + 1);
	rc = 0;
out:
	json_decref(resp);
	return rc;
}

int
tlogc_pin(struct cli *cli, struct httpc *h, const char *key_opt, FILE *out)
{
	char pinned[TLOG_VKEY_MAX], want[TLOG_VKEY_MAX], name[TLOG_NAME_MAX + 1], fpr[20];
	int r;

	if (key_opt != NULL) {
		if (strlen(key_opt) >= TLOG_VKEY_MAX ||
		    tlog_client_vkey_info(key_opt, name, fpr) != 0)
			return cli_err(cli, "--log-key: not a log verifier key (expected "
			    "NAME+KEYID+KEY, as 'sealcamd log-key' prints it)"), -1;
		memcpy(want, key_opt, strlen(key_opt) + 1);
		/* The server must be that log. */
		if (server_key(cli, h, pinned) != 0)
			return -1;
		if (strcmp(pinned, want) != 0)
			return cli_err(cli, "this server's log key (%s) is not the one "
			    "given with --log-key", pinned), -1;
	} else if (server_key(cli, h, want) != 0) {
		return -1;
	} else if (tlog_client_vkey_info(want, name, fpr) != 0) {
		return cli_err(cli, "the server's log key is malformed"), -1;
	}
	if ((r = tlogc_key(cli, pinned)) < 0)
		return -1;
	if (r == 0) {
		if (strcmp(pinned, want) != 0)
			return cli_err(cli, "the log key %s is not the one this device "
			    "pinned (%s); if the operator really changed it, compare "
			    "fingerprints and run 'sealcam log key --set KEY'",
			    key_opt ? "given" : "this server presents", pinned), -1;
		return 0;
	}
	if (save_key(cli, want) != 0)
		return -1;
	fprintf(out, "Transparency log %s: key pinned on this device, fingerprint %s%s\n",
	    name, fpr, key_opt ? "." : "\n(compare it with the one your operator "
	    "publishes: 'sealcamd log-key').");
	return 0;
}

int
tlogc_repin(struct cli *cli, const char *vkey)
{
	char name[TLOG_NAME_MAX + 1], fpr[20];

	if (strlen(vkey) >= TLOG_VKEY_MAX || tlog_client_vkey_info(vkey, name, fpr) != 0)
		return cli_err(cli, "not a log verifier key (expected NAME+KEYID+KEY)"), -1;
	if (home_remove(cli->home, "log/checkpoint") != 0 ||
	    home_remove(cli->home, "log/chain.json") != 0)
		return cli_err(cli, "cannot reset %s/log: %s", cli->home, strerror(errno)), -1;
	return save_key(cli, vkey);
}

int
tlogc_checkpoint_load(struct cli *cli, const struct tlog_verifier *v,
    const char *origin, struct tlog_checkpoint *cp)
{
	uint8_t *buf;
	size_t len;
	int r = home_read(cli->home, "log/checkpoint", &buf, &len);

	memset(cp, 0, sizeof(*cp));
	if (r == 1)
		return 0;
	if (r != 0)
		return cli_err(cli, "cannot read %s/log/checkpoint: %s", cli->home,
		    strerror(errno)), -1;
	r = tlog_checkpoint_open((const char *)buf, len, v, origin, cp);
	free(buf);
	if (r != 0)
		return cli_err(cli, "%s/log/checkpoint does not verify under the pinned "
		    "log key", cli->home), -1;
	return 0;
}

int
tlogc_checkpoint_save(struct cli *cli, const char *note, size_t len)
{
	if (home_ensure(cli->home, "log") != 0 ||
	    home_write(cli->home, "log/checkpoint", note, len) != 0)
		return cli_err(cli, "cannot write %s/log/checkpoint: %s", cli->home,
		    strerror(errno)), -1;
	return 0;
}

int
tlogc_chain_load(struct cli *cli, struct tlog_chain *c, int *have)
{
	json_t *j;
	const char *id, *h;
	json_int_t next = -1, idx = -1;
	int missing;

	memset(c, 0, sizeof(*c));
	*have = 0;
	if ((j = home_json_load(cli->home, "log/chain.json", &missing)) == NULL)
		return missing ? 0 : (cli_err(cli, "%s/log/chain.json is unreadable",
		    cli->home), -1);
	id = json_string_value(json_object_get(j, "log_id"));
	h = json_string_value(json_object_get(j, "last_hash"));
	if (json_is_integer(json_object_get(j, "next_seq")))
		next = json_integer_value(json_object_get(j, "next_seq"));
	if (json_is_integer(json_object_get(j, "last_index")))
		idx = json_integer_value(json_object_get(j, "last_index"));
	if (id == NULL || h == NULL || next < 0 || idx < 0 ||
	    codec_hex_decode(id, c->account, TLOG_ID_LEN) != 0 ||
	    tlog_hash_from_b64(h, strlen(h), c->last_hash) != 0) {
		json_decref(j);
		return cli_err(cli, "%s/log/chain.json is malformed", cli->home), -1;
	}
	c->next_seq = (uint64_t)next;
	c->last_index = (uint64_t)idx;
	*have = 1;
	json_decref(j);
	return 0;
}

int
tlogc_chain_save(struct cli *cli, const struct tlog_chain *c)
{
	char id[2 * TLOG_ID_LEN + 1], h[TLOG_HASH_B64_LEN + 1];
	json_t *j;
	int r;

	cli_hex(c->account, TLOG_ID_LEN, id);
	tlog_hash_to_b64(c->last_hash, h);
	j = json_pack("{s:s, s:I, s:s, s:I}", "log_id", id, "next_seq",
	    (json_int_t)c->next_seq, "last_hash", h, "last_index",
	    (json_int_t)c->last_index);
	r = j != NULL && home_ensure(cli->home, "log") == 0 ? home_json_save(cli->home,
	    "log/chain.json", j) : -1;
	json_decref(j);
	if (r != 0)
		return cli_err(cli, "cannot write %s/log/chain.json: %s", cli->home,
		    strerror(errno)), -1;
	return 0;
}
