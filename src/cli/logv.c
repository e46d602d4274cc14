/* logv — the checks of 'sealcam log verify' (logv.h), in order. */
#include "logv.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cams.h"
#include "cli.h"
#include "codec.h"
#include "httpc.h"
#include "keyring.h"
#include "tlogc.h"

#define PAGE 1000

static void problem(struct logv *lv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void
problem(struct logv *lv, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_err(lv->cli, "%s", msg);
	lv->problems++;
}

/* --- 1. the checkpoint ------------------------------------------------------ */

struct sink {
	char buf[TLOG_NOTE_MAX];
	size_t len;
};

static int
callback_sink(void *cookie, const uint8_t *b, size_t n)
{
	struct sink *s = cookie;

	if (n > sizeof(s->buf) - s->len)
		return -1;
	memcpy(s->buf + s->len, b, n);
	s->len += n;
	return 0;
}

/* GET /v1/log/consistency?from=&to= into p. */
static int
consistency(struct cli *cli, struct httpc *h, uint64_t from, uint64_t to,
    struct tlog_proof *p)
{
	char path[96];
	json_t *resp = NULL;
	int st, rc = -1;

	snprintf(path, sizeof(path), "/v1/log/consistency?from=%" PRIu64 "&to=%" PRIu64,
	    from, to);
	st = httpc_json(h, "GET", path, NULL, &resp);
	if (st != 200)
		cli_api_fail(cli, "fetching a consistency proof", st, resp);
	else if (tlog_client_proof_json(json_object_get(resp, "proof"), p) != 0)
		cli_err(cli, "the server's consistency proof is malformed");
	else
		rc = 0;
	json_decref(resp);
	return rc;
}

/* Returns 0 if the checkpoint advanced (saved), 1 if it is refused (a
 * problem counted: nothing after it can be trusted), -1 on an error. */
static int
check_checkpoint(struct logv *lv, struct httpc *h, struct sink *note)
{
	struct cli *cli = lv->cli;
	struct tlog_verifier *v = NULL;
	struct tlog_checkpoint seen;
	struct tlog_proof p;
	json_t *err = NULL;
	int st, r, rc = -1;

	memset(&p, 0, sizeof(p));
	if ((r = tlogc_key(cli, lv->vkey)) < 0)
		return -1;
	if (r == 1) {
		/* No key yet (a home from before the log): trust on first use. */
		if (tlogc_pin(cli, h, NULL, stdout) != 0 || tlogc_key(cli, lv->vkey) != 0)
			return -1;
	}
	if ((v = tlog_verifier_parse(lv->vkey)) == NULL ||
	    tlog_client_vkey_info(lv->vkey, lv->origin, lv->fpr) != 0) {
		cli_err(cli, "%s/log/key is not a log key", cli->home);
		goto out;
	}
	if (tlogc_checkpoint_load(cli, v, lv->origin, &lv->prev) != 0)
		goto out;
	st = httpc_get_stream(h, "/v1/log/checkpoint", callback_sink, note, &err);
	if (st != 200) {
		cli_api_fail(cli, "fetching the log's checkpoint", st, err);
		goto out;
	}
	/* Its size first (signature checked), to ask for the right proof. */
	if (tlog_checkpoint_open(note->buf, note->len, v, lv->origin, &seen) != 0) {
		problem(lv, "the server's checkpoint is not signed by the log key pinned "
		    "on this device (%s, fingerprint %s): this is not the log this "
		    "device trusts", lv->origin, lv->fpr);
		rc = 1;
		goto out;
	}
	if (lv->prev.size > 0 && seen.size > lv->prev.size &&
	    consistency(cli, h, lv->prev.size, seen.size, &p) != 0)
		goto out;
	r = tlog_client_advance(v, lv->origin, &lv->prev, note->buf, note->len, &p, &lv->cp);
	if (r == TLOG_CLIENT_ESHRANK) {
		problem(lv, "the log shrank: it has %" PRIu64 " entries, this device "
		    "verified %" PRIu64 " before (history was removed)", seen.size,
		    lv->prev.size);
		rc = 1;
	} else if (r == TLOG_CLIENT_EFORK) {
		problem(lv, "the log's history was rewritten: its tree of %" PRIu64
		    " entries does not extend the tree of %" PRIu64 " entries this "
		    "device verified before", seen.size, lv->prev.size);
		rc = 1;
	} else if (r != TLOG_CLIENT_OK) {
		problem(lv, "the log's checkpoint is refused: %s", tlog_client_strerror(r));
		rc = 1;
	} else {
		lv->have_cp = 1;
		rc = 0;
	}
out:
	json_decref(err);
	tlog_verifier_free(v);
	return rc;
}

/* --- 2. the entries ------------------------------------------------------------ */

static int
take_entry(struct logv *lv, const json_t *o)
{
	struct logv_entry *en;
	struct tlog_proof p;
	const char *b64 = json_string_value(json_object_get(o, "entry"));
	json_int_t seq = json_integer_value(json_object_get(o, "seq"));
	json_int_t idx = json_integer_value(json_object_get(o, "index"));
	size_t len = 0;

	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? 2 * lv->cap : 64;
		struct logv_entry *ne = realloc(lv->ents, cap * sizeof(*ne));
		if (ne == NULL)
			return cli_err(lv->cli, "out of memory"), -1;
		lv->ents = ne;
		lv->cap = cap;
	}
	en = &lv->ents[lv->n];
	memset(en, 0, sizeof(*en));
	if (b64 == NULL || seq < 0 || idx < 0 ||
	    codec_b64_decode(b64, strlen(b64), en->bytes, sizeof(en->bytes), &len) != 0 ||
	    len != TLOG_ENTRY_LEN || tlog_client_proof_json(json_object_get(o, "proof"), &p) != 0) {
		problem(lv, "the server listed a malformed entry (sequence %lld)", (long long)seq);
		return 1;
	}
	en->index = (uint64_t)idx;
	if (tlog_client_included(&lv->cp, en->index, en->bytes, len, &p) != TLOG_CLIENT_OK) {
		problem(lv, "your entry %lld (log index %lld) is not in the log's tree of %"
		    PRIu64 " entries", (long long)seq, (long long)idx, lv->cp.size);
		return 1;
	}
	if (tlog_entry_parse(en->bytes, len, &en->e) != 0 || en->e.seq != (uint64_t)seq) {
		problem(lv, "entry at log index %lld is not a valid sealcam entry "
		    "(or not sequence %lld)", (long long)idx, (long long)seq);
		return 1;
	}
	lv->n++;
	return 0;
}

static int
fetch_entries(struct logv *lv, struct httpc *h)
{
	char path[128];
	json_int_t after = -1;

	for (;;) {
		json_t *resp = NULL, *arr, *o, *next;
		const char *id;
		size_t i;
		int st;

		snprintf(path, sizeof(path), "/v1/me/log?size=%" PRIu64 "&after_seq=%lld&limit=%d",
		    lv->cp.size, (long long)after, PAGE);
		st = httpc_json(h, "GET", path, NULL, &resp);
		if (st != 200) {
			cli_api_fail(lv->cli, "fetching your log entries", st, resp);
			json_decref(resp);
			return -1;
		}
		id = json_string_value(json_object_get(resp, "log_id"));
		arr = json_object_get(resp, "entries");
		if (id == NULL || codec_hex_decode(id, lv->log_id, TLOG_ID_LEN) != 0 ||
		    !json_is_array(arr)) {
			cli_err(lv->cli, "the server's list of your log entries is malformed");
			json_decref(resp);
			return -1;
		}
		json_array_foreach(arr, i, o)
			if (take_entry(lv, o) < 0) {
				json_decref(resp);
				return -1;
			}
		next = json_object_get(resp, "next_after_seq");
		if (!json_is_integer(next) || json_integer_value(next) <= after) {
			json_decref(resp);
			return 0;
		}
		after = json_integer_value(next);
		json_decref(resp);
	}
}

/* --- 3. the chain ----------------------------------------------------------- */

/* Walk the chain; 0 if whole (then *c is its end state). */
static int
check_chain(struct logv *lv, struct tlog_chain *c)
{
	struct tlog_chain saved;
	char a[2 * TLOG_ID_LEN + 1], b[2 * TLOG_ID_LEN + 1];
	uint8_t h[TLOG_HASH_LEN];
	int have, r, bad = 0;

	if (tlogc_chain_load(lv->cli, &saved, &have) != 0)
		return -1;
	if (have && sodium_memcmp(saved.account, lv->log_id, TLOG_ID_LEN) != 0) {
		cli_hex(lv->log_id, TLOG_ID_LEN, a);
		cli_hex(saved.account, TLOG_ID_LEN, b);
		problem(lv, "the server now shows another chain as yours (log id %.8s..., "
		    "this device verified %.8s...)", a, b);
		return 1;
	}
	tlog_chain_init(c, lv->log_id);
	for (size_t i = 0; i < lv->n; i++) {
		const struct logv_entry *en = &lv->ents[i];
		uint64_t want = c->next_seq;

		r = tlog_chain_next(c, en->bytes, sizeof(en->bytes), en->index);
		if (r == TLOG_CHAIN_OK)
			continue;
		if (r == TLOG_CHAIN_GAP)
			problem(lv, "your log has a gap: entry %" PRIu64 " is missing (the "
			    "server lists entry %" PRIu64 " next; an entry was left out)",
			    want, en->e.seq);
		else if (r == TLOG_CHAIN_PREV)
			problem(lv, "your entry %" PRIu64 " does not follow entry %" PRIu64
			    " (its previous-entry hash differs: the chain was altered)",
			    en->e.seq, want - 1);
		else
			problem(lv, "your chain is broken at entry %" PRIu64 ": %s",
			    en->e.seq, tlog_chain_strerror(r));
		return 1;
	}
	if (!have || saved.next_seq == 0)
		return 0;
	/* It must extend what this device verified before. */
	if (c->next_seq < saved.next_seq) {
		problem(lv, "entries this device verified before are gone: your chain has %"
		    PRIu64 " entries, this device saw %" PRIu64, c->next_seq, saved.next_seq);
		bad = 1;
	} else {
		tlog_leaf_hash(lv->ents[saved.next_seq - 1].bytes, TLOG_ENTRY_LEN, h);
		if (sodium_memcmp(h, saved.last_hash, sizeof(h)) != 0) {
			problem(lv, "your entry %" PRIu64 " is not the one this device "
			    "verified before (the chain was rewritten)", saved.next_seq - 1);
			bad = 1;
		}
	}
	return bad;
}

/* --- 4. what is in force is in the log -------------------------------------------- */

static const struct logv_entry *
find_entry(const struct logv *lv, int type, const uint8_t *subject, uint64_t number,
    const uint8_t *commitment)
{
	for (size_t i = lv->n; i-- > 0;) {
		const struct tlog_entry *e = &lv->ents[i].e;
		if (e->type == type && (subject == NULL || memcmp(e->subject, subject,
		    TLOG_ID_LEN) == 0) && e->number == number &&
		    sodium_memcmp(e->commitment, commitment, TLOG_HASH_LEN) == 0)
			return &lv->ents[i];
	}
	return NULL;
}

static int
check_keyrings(struct logv *lv, struct httpc *h)
{
	struct keyring kr;
	uint8_t *buf = malloc(KEYRING_MAX_BYTES), cam[16], hash[KEYRING_HASH_BYTES];
	char path[96];
	json_t *c;
	size_t i, len;
	int rc = -1;

	if (buf == NULL || (lv->cams = cams_fetch(lv->cli)) == NULL)
		goto out;
	json_array_foreach(lv->cams, i, c) {
		const char *name = cams_str(c, "name"), *id = cams_str(c, "camera_id");
		json_t *resp = NULL;
		const char *b64;
		int st;

		if (strcmp(cams_str(c, "role"), "owner") != 0)
			continue;       /* a shared camera is in its owner's chain */
		if (codec_hex_decode(id, cam, sizeof(cam)) != 0 || strlen(id) != 32)
			continue;
		snprintf(path, sizeof(path), "/v1/cameras/%s/keyring", id);
		st = httpc_json(h, "GET", path, NULL, &resp);
		if (st == 404) {        /* paired, no keyring yet */
			json_decref(resp);
			continue;
		}
		b64 = json_string_value(json_object_get(resp, "keyring"));
		if (st != 200 || b64 == NULL || codec_b64_decode(b64, strlen(b64), buf,
		    KEYRING_MAX_BYTES, &len) != 0) {
			cli_api_fail(lv->cli, "fetching a keyring", st, resp);
			json_decref(resp);
			goto out;
		}
		json_decref(resp);
		if (keyring_verify(buf, len, lv->acct.v.sign_pk, cam, 0, &kr) != KEYRING_OK) {
			problem(lv, "the keyring in force for %s is not signed by your key",
			    name);
			continue;
		}
		keyring_hash(buf, len, hash);
		if (find_entry(lv, TLOG_E_KEYRING, cam, kr.epoch, hash) == NULL)
			problem(lv, "the keyring in force for %s (epoch %u) is not in your log",
			    name, kr.epoch);
		else
			lv->keyrings++;
	}
	rc = 0;
out:
	free(buf);
	return rc;
}

static void
check_vault(struct logv *lv)
{
	uint8_t want[TLOG_HASH_LEN];
	char fpr[VAULT_FINGERPRINT_LEN + 1];

	tlog_commit_vault(lv->acct.v.sign_pk, lv->acct.v.box_pk, want);
	vault_fingerprint_account(lv->acct.v.sign_pk, lv->acct.v.box_pk, fpr);
	for (size_t i = lv->n; i-- > 0;) {
		if (lv->ents[i].e.type != TLOG_E_VAULT_KEY)
			continue;
		if (memcmp(lv->ents[i].e.commitment, want, sizeof(want)) != 0)
			problem(lv, "the latest account keys in your log are not this "
			    "device's keys (fingerprint %s): they were replaced", fpr);
		return;
	}
	problem(lv, "this device's account keys (fingerprint %s) are not in your log", fpr);
}

/* --- the run ------------------------------------------------------------------ */

int
logv_run(struct cli *cli, struct logv *lv)
{
	static struct sink note;      /* 64 KiB: not on the stack */
	struct tlog_chain chain;
	struct httpc *h;
	int r;

	memset(lv, 0, sizeof(*lv));
	lv->cli = cli;
	note.len = 0;
	if (acct_load(cli, &lv->acct) != 0)
		return -1;
	lv->have_acct = 1;
	if ((h = cli_http(cli, 1)) == NULL)
		return -1;
	if ((r = check_checkpoint(lv, h, &note)) != 0)
		return r < 0 ? -1 : lv->problems;
	/* A verified checkpoint that extends the last one is kept whatever
	 * else is wrong: it only ever moves forward. */
	if (tlogc_checkpoint_save(cli, note.buf, note.len) != 0)
		return -1;
	if (fetch_entries(lv, h) != 0)
		return -1;
	if ((r = check_chain(lv, &chain)) < 0)
		return -1;
	if (check_keyrings(lv, h) != 0)
		return -1;
	check_vault(lv);
	if (lv->problems == 0 && r == 0 && tlogc_chain_save(cli, &chain) != 0)
		return -1;
	return lv->problems;
}

void
logv_free(struct logv *lv)
{
	free(lv->ents);
	json_decref(lv->cams);
	if (lv->have_acct)
		acct_free(&lv->acct);
	memset(lv, 0, sizeof(*lv));
}
