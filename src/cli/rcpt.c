/* rcpt — log receipts and the verified staff directory (rcpt.h). */
#include "rcpt.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cli.h"
#include "codec.h"
#include "httpc.h"
#include "tlog_client.h"
#include "tlogc.h"

/* The pinned key and the checkpoint this device verified last. */
struct pin {
	char vkey[TLOG_VKEY_MAX], origin[TLOG_NAME_MAX + 1], fpr[20];
	struct tlog_verifier *v;
	struct tlog_checkpoint prev;
};

static int
pin_load(struct cli *cli, struct httpc *h, struct pin *p)
{
	int r;

	memset(p, 0, sizeof(*p));
	if ((r = tlogc_key(cli, p->vkey)) < 0)
		return -1;
	if (r == 1 && (tlogc_pin(cli, h, NULL, stdout) != 0 || tlogc_key(cli, p->vkey) != 0))
		return -1;
	if ((p->v = tlog_verifier_parse(p->vkey)) == NULL ||
	    tlog_client_vkey_info(p->vkey, p->origin, p->fpr) != 0) {
		tlog_verifier_free(p->v);
		p->v = NULL;
		return cli_err(cli, "%s/log/key is not a log key", cli->home), -1;
	}
	if (tlogc_checkpoint_load(cli, p->v, p->origin, &p->prev) != 0) {
		tlog_verifier_free(p->v);
		p->v = NULL;
		return -1;
	}
	return 0;
}

/* GET path into a proof. */
static int
fetch_proof(struct cli *cli, struct httpc *h, const char *path, struct tlog_proof *out)
{
	json_t *resp = NULL;
	int st = httpc_json(h, "GET", path, NULL, &resp), rc = -1;

	if (st != 200)
		cli_api_fail(cli, "fetching a log proof", st, resp);
	else if (tlog_client_proof_json(json_object_get(resp, "proof"), out) != 0)
		cli_err(cli, "the server's log proof is malformed");
	else
		rc = 0;
	json_decref(resp);
	return rc;
}

/*
 * Advance from the saved checkpoint to note's (consistency proof from the
 * server when it is larger). If note's tree is older than the saved one,
 * *cp is the saved checkpoint and *older is set: the caller proves entries
 * against it instead. 0 or -1 (printed).
 */
static int
advance(struct cli *cli, struct httpc *h, struct pin *p, const char *note, size_t len,
    const char *what, struct tlog_checkpoint *cp, int *older)
{
	struct tlog_checkpoint seen;
	struct tlog_proof cons;
	char path[96];
	int r;

	*older = 0;
	memset(&cons, 0, sizeof(cons));
	if (note == NULL || tlog_checkpoint_open(note, len, p->v, p->origin, &seen) != 0)
		return cli_err(cli, "%s: the log checkpoint is not signed by the log key pinned"
		    " on this device (%s, fingerprint %s)", what, p->origin, p->fpr), -1;
	if (p->prev.size > 0 && seen.size < p->prev.size) {
		/* This device has seen a newer tree: it must contain the old one. */
		snprintf(path, sizeof(path), "/v1/log/consistency?from=%" PRIu64 "&to=%" PRIu64,
		    seen.size, p->prev.size);
		if (fetch_proof(cli, h, path, &cons) != 0)
			return -1;
		if (tlog_verify_consistency(seen.size, p->prev.size, &cons, seen.root,
		    sizeof(seen.root), p->prev.root, sizeof(p->prev.root)) != 0)
			return cli_err(cli, "%s: %s", what,
			    tlog_client_strerror(TLOG_CLIENT_EFORK)), -1;
		*cp = p->prev;
		*older = 1;
		return 0;
	}
	if (p->prev.size > 0 && seen.size > p->prev.size) {
		snprintf(path, sizeof(path), "/v1/log/consistency?from=%" PRIu64 "&to=%" PRIu64,
		    p->prev.size, seen.size);
		if (fetch_proof(cli, h, path, &cons) != 0)
			return -1;
	}
	r = tlog_client_advance(p->v, p->origin, &p->prev, note, len, &cons, cp);
	if (r != TLOG_CLIENT_OK)
		return cli_err(cli, "%s: %s", what, tlog_client_strerror(r)), -1;
	return tlogc_checkpoint_save(cli, note, len);
}

int
rcpt_verify(struct cli *cli, struct httpc *h, const json_t *receipt, const char *what,
    struct tlog_entry *e, uint64_t *index)
{
	struct pin p;
	struct tlog_checkpoint cp;
	struct tlog_proof proof;
	uint8_t entry[TLOG_ENTRY_LEN];
	const char *note, *b64;
	json_int_t idx;
	size_t len = 0;
	char path[96];
	int older, rc = -1;

	if (!json_is_object(receipt))
		return cli_err(cli, "%s: the server gave no log receipt (no proof that it is"
		    " in the transparency log); refusing", what), -1;
	note = json_string_value(json_object_get(receipt, "checkpoint"));
	b64 = json_string_value(json_object_get(receipt, "entry"));
	idx = json_integer_value(json_object_get(receipt, "index"));
	if (note == NULL || b64 == NULL || idx < 0 || !json_is_integer(json_object_get(receipt,
	    "index")) || codec_b64_decode(b64, strlen(b64), entry, sizeof(entry), &len) != 0 ||
	    len != TLOG_ENTRY_LEN || tlog_client_proof_json(json_object_get(receipt, "proof"),
	    &proof) != 0)
		return cli_err(cli, "%s: the log receipt is malformed (no valid inclusion"
		    " proof); refusing", what), -1;
	if (pin_load(cli, h, &p) != 0)
		return -1;
	if (advance(cli, h, &p, note, strlen(note), what, &cp, &older) != 0)
		goto out;
	if (older) {
		snprintf(path, sizeof(path), "/v1/log/proof?index=%lld&size=%" PRIu64,
		    (long long)idx, cp.size);
		if (fetch_proof(cli, h, path, &proof) != 0)
			goto out;
	}
	if ((uint64_t)idx >= cp.size ||
	    tlog_client_included(&cp, (uint64_t)idx, entry, len, &proof) != TLOG_CLIENT_OK) {
		cli_err(cli, "%s: the log entry is not included in the log's tree of %" PRIu64
		    " entries (inclusion proof fails); refusing", what, cp.size);
		goto out;
	}
	if (tlog_entry_parse(entry, len, e) != 0) {
		cli_err(cli, "%s: the logged entry is not a sealcam log entry", what);
		goto out;
	}
	*index = (uint64_t)idx;
	rc = 0;
out:
	tlog_verifier_free(p.v);
	return rc;
}

/* --- the directory ------------------------------------------------------------- */

struct dentry {
	uint64_t index;
	uint8_t bytes[TLOG_ENTRY_LEN];
	struct tlog_entry e;
};

int
rcpt_directory(struct cli *cli, struct httpc *h, struct rcpt_principal **out, size_t *n)
{
	struct dentry *ents = NULL;
	struct rcpt_principal *ps = NULL;
	struct tlog_checkpoint cp;
	struct tlog_chain chain;
	struct pin p;
	json_t *resp = NULL, *o, *arr;
	const char *note;
	size_t ne = 0, cap = 0, i, np = 0;
	json_int_t after = -1;
	char path[128];
	int st, older, rc = -1;

	*out = NULL;
	*n = 0;
	if (pin_load(cli, h, &p) != 0)
		return -1;
	st = httpc_json(h, "GET", "/v1/staff", NULL, &resp);
	if (st != 200) {
		cli_api_fail(cli, "fetching the staff directory", st, resp);
		goto out;
	}
	note = json_string_value(json_object_get(resp, "checkpoint"));
	if (advance(cli, h, &p, note, note ? strlen(note) : 0, "the staff directory",
	    &cp, &older) != 0)
		goto out;
	if (older) {
		/* Ask for the chain in the tree this device already verified. */
		json_decref(resp);
		snprintf(path, sizeof(path), "/v1/staff?size=%" PRIu64, cp.size);
		if ((st = httpc_json(h, "GET", path, NULL, &resp)) != 200) {
			cli_api_fail(cli, "fetching the staff directory", st, resp);
			goto out;
		}
	}
	tlog_chain_init(&chain, TLOG_STAFF_DIRECTORY);
	for (;;) {
		json_t *next;

		json_array_foreach(json_object_get(resp, "entries"), i, o) {
			const char *b64 = json_string_value(json_object_get(o, "entry"));
			json_int_t idx = json_integer_value(json_object_get(o, "index"));
			struct tlog_proof pr;
			size_t len = 0;

			if (ne == cap) {
				struct dentry *x = realloc(ents, (cap = cap ? 2 * cap : 64) * sizeof(*x));
				if (x == NULL)
					goto out;
				ents = x;
			}
			if (b64 == NULL || idx < 0 || codec_b64_decode(b64, strlen(b64),
			    ents[ne].bytes, TLOG_ENTRY_LEN, &len) != 0 || len != TLOG_ENTRY_LEN ||
			    tlog_client_proof_json(json_object_get(o, "proof"), &pr) != 0 ||
			    tlog_client_included(&cp, (uint64_t)idx, ents[ne].bytes, len,
			    &pr) != TLOG_CLIENT_OK ||
			    tlog_chain_next(&chain, ents[ne].bytes, len, (uint64_t)idx) != TLOG_CHAIN_OK ||
			    tlog_entry_parse(ents[ne].bytes, len, &ents[ne].e) != 0) {
				cli_err(cli, "the staff directory's log chain does not verify at"
				    " entry %zu (not included, or a gap): no principal can be trusted", ne);
				goto out;
			}
			ents[ne].index = (uint64_t)idx;
			ne++;
		}
		next = json_object_get(resp, "next_after_seq");
		if (!json_is_integer(next) || json_integer_value(next) <= after)
			break;
		after = json_integer_value(next);
		if (!json_is_array(arr = json_object_get(resp, "principals")))
			break;
		/* Keep the principals of the first page; fetch more entries. */
		snprintf(path, sizeof(path), "/v1/staff?size=%" PRIu64 "&after_seq=%lld",
		    cp.size, (long long)after);
		{
			json_t *more = NULL;
			if ((st = httpc_json(h, "GET", path, NULL, &more)) != 200) {
				cli_api_fail(cli, "fetching the staff directory", st, more);
				json_decref(more);
				goto out;
			}
			json_object_set(more, "principals", arr);
			json_decref(resp);
			resp = more;
		}
	}
	arr = json_object_get(resp, "principals");
	if ((ps = calloc(json_array_size(arr) + 1, sizeof(*ps))) == NULL)
		goto out;
	json_array_foreach(arr, i, o) {
		const char *b64 = json_string_value(json_object_get(o, "record"));
		uint8_t rb[STAFF_RECORD_MAX], c[TLOG_HASH_LEN];
		const struct dentry *last = NULL;
		size_t len = 0;

		if (b64 == NULL || codec_b64_decode(b64, strlen(b64), rb, sizeof(rb), &len) != 0 ||
		    staff_record_parse(rb, len, &ps[np].rec) != 0)
			continue;
		for (size_t k = 0; k < ne; k++)
			if (memcmp(ents[k].e.subject, ps[np].rec.principal_id, 16) == 0)
				last = &ents[k];
		tlog_commit("sealcam-logstaff", rb, len, c);
		/* Only the record the log shows last for the principal counts. */
		if (last == NULL || sodium_memcmp(last->e.commitment, c, sizeof(c)) != 0 ||
		    last->e.type != (ps[np].rec.action == STAFF_ADDED ? TLOG_E_STAFF_ADDED :
		    TLOG_E_STAFF_REMOVED))
			continue;
		ps[np].active = ps[np].rec.action == STAFF_ADDED;
		np++;
	}
	*out = ps;
	*n = np;
	ps = NULL;
	rc = 0;
out:
	free(ps);
	free(ents);
	json_decref(resp);
	tlog_verifier_free(p.v);
	return rc;
}

const struct rcpt_principal *
rcpt_find(struct cli *cli, const struct rcpt_principal *p, size_t n, const char *what)
{
	const struct rcpt_principal *hit = NULL;
	char hex[33];
	size_t wl = strlen(what), hits = 0;

	for (size_t i = 0; i < n; i++) {
		codec_hex_encode(p[i].rec.principal_id, 16, hex, sizeof(hex));
		if (strcmp(p[i].rec.name, what) == 0 ||
		    (wl >= 8 && wl <= 32 && strncmp(hex, what, wl) == 0)) {
			hit = &p[i];
			hits++;
		}
	}
	if (hits == 1)
		return hit;
	cli_err(cli, hits == 0 ? "no staff principal '%s' in the verified staff directory"
	    " (see 'sealcam grant create --help': a name, or 8+ hex digits of the id)" :
	    "'%s' names more than one staff principal; give more of the id", what);
	return NULL;
}

const char *
rcpt_who(const struct rcpt_principal *p, size_t n, const uint8_t id[16], char *buf,
    size_t len)
{
	char hex[33];

	codec_hex_encode(id, 16, hex, sizeof(hex));
	for (size_t i = 0; i < n; i++)
		if (memcmp(p[i].rec.principal_id, id, 16) == 0) {
			snprintf(buf, len, "%s [%s, %.8s]", p[i].rec.name,
			    staff_role_name(p[i].rec.role), hex);
			return buf;
		}
	snprintf(buf, len, "staff principal %.8s", hex);
	return buf;
}
