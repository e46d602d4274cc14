/*
 * tlogtool — a misbehaving server's tools, and a checker, for the log's
 * end-to-end tests. The attacks act on a sealcamd data directory while the
 * server is stopped (the server binary itself has no such code: release
 * builds cannot misbehave this way by a flag); restarting sealcamd then
 * serves the altered state.
 *
 *	tlogtool fork DATADIR INDEX
 *	    rewrite history: the log rebuilt with entry INDEX altered and every
 *	    other entry kept, checkpoint signed with the log's own key
 *	tlogtool resign DATADIR
 *	    a new log key of the same name replaces DATADIR/log.key and
 *	    re-signs the checkpoint (the tree is unchanged)
 *	tlogtool keyring DATADIR HOME CAMID EPOCH BOXPK...
 *	    a keyring signed by the owner's key (the CLI vault in HOME/vault)
 *	    becomes the camera's current keyring in the database without any
 *	    log entry; prints its keyring hash (hex)
 *	tlogtool chain URL TOKEN VKEY
 *	    check an account's chain as a client does (checkpoint under VKEY,
 *	    every entry included, no gap); prints one line per entry:
 *	    "seq index type subject-hex number commitment-hex"
 *
 * Exit 0 on success; 1 with a message on stderr otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "fsutil.h"
#include "httpc.h"
#include "keyring.h"
#include "log.h"
#include "tlog_client.h"
#include "tlog_entry.h"
#include "tlog_store.h"
#include "vault.h"

static int
die(const char *what)
{
	fprintf(stderr, "tlogtool: %s\n", what);
	return 1;
}

static struct tlog_signer *
load_key(const char *data)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	struct tlog_signer *s;

	snprintf(path, sizeof(path), "%s/log.key", data);
	if (fsutil_read_bounded(path, TLOG_SKEY_MAX + 2, &buf, &len) != 0)
		return NULL;
	while (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	s = tlog_signer_parse((const char *)buf);
	free(buf);
	return s;
}

static int
cmd_fork(const char *data, uint64_t victim)
{
	struct tlog_store_opts o = { .origin = NULL };
	struct tlog_store_stats st;
	struct tlog_signer *s = load_key(data);
	struct tlog_store *log;
	char dir[4096], forged[4200], old[4200];
	uint8_t (*ents)[256];
	const uint8_t **ptrs;
	size_t *lens;
	uint64_t first;

	if (s == NULL)
		return die("no log key");
	snprintf(dir, sizeof(dir), "%s/log", data);
	snprintf(forged, sizeof(forged), "%s/log.forged", data);
	snprintf(old, sizeof(old), "%s/log.orig", data);
	if ((log = tlog_store_open(dir, s, &o)) == NULL)
		return die("cannot open the log (is sealcamd stopped?)");
	tlog_store_stats(log, &st);
	if (victim >= st.size)
		return die("no such entry");
	ents = calloc(st.size, sizeof(*ents));
	ptrs = calloc(st.size, sizeof(*ptrs));
	lens = calloc(st.size, sizeof(*lens));
	if (ents == NULL || ptrs == NULL || lens == NULL)
		return die("out of memory");
	for (uint64_t i = 0; i < st.size; i++) {
		if (tlog_store_read_entry(log, i, ents[i], sizeof(ents[i]), &lens[i]) != 0)
			return die("cannot read an entry");
		ptrs[i] = ents[i];
	}
	tlog_store_free(log);
	/* The altered entry: same chain and sequence, another commitment
	 * (say, a keyring that named someone else). */
	ents[victim][lens[victim] - 1] ^= 0x5a;
	if ((log = tlog_store_open(forged, s, &o)) == NULL ||
	    tlog_store_append_many(log, ptrs, lens, st.size, &first) != 0)
		return die("cannot write the forged log");
	tlog_store_free(log);
	if (rename(dir, old) != 0 || rename(forged, dir) != 0)
		return die(strerror(errno));
	printf("forged: %" PRIu64 " entries, entry %" PRIu64 " altered\n", st.size, victim);
	free(ents);
	free(ptrs);
	free(lens);
	tlog_signer_free(s);
	return 0;
}

static int
cmd_resign(const char *data)
{
	struct tlog_signer *s = load_key(data), *ns;
	struct tlog_checkpoint cp;
	char path[4200], note[TLOG_NOTE_MAX], skey[TLOG_SKEY_MAX + 1];
	size_t klen;
	uint8_t *buf;
	size_t len, nlen;
	struct tlog_verifier *v;
	char vkey[TLOG_VKEY_MAX];

	if (s == NULL || tlog_signer_vkey(s, vkey, sizeof(vkey)) != 0 ||
	    (v = tlog_verifier_parse(vkey)) == NULL)
		return die("no log key");
	snprintf(path, sizeof(path), "%s/log/checkpoint", data);
	if (fsutil_read_bounded(path, TLOG_NOTE_MAX, &buf, &len) != 0 ||
	    tlog_checkpoint_open((const char *)buf, len, v, NULL, &cp) != 0)
		return die("cannot read the checkpoint");
	free(buf);
	if ((ns = tlog_signer_generate(tlog_signer_name(s))) == NULL ||
	    tlog_checkpoint_sign(ns, &cp, note, sizeof(note), &nlen) != 0 ||
	    fsutil_write_durable(path, note, nlen, 0644) != 0 ||
	    tlog_signer_skey(ns, skey, sizeof(skey) - 1) != 0)
		return die("cannot re-sign");
	klen = strlen(skey);
	skey[klen++] = '\n';
	snprintf(path, sizeof(path), "%s/log.key", data);
	if (fsutil_write_durable(path, skey, klen, 0600) != 0)
		return die("cannot write the new key");
	tlog_signer_vkey(ns, vkey, sizeof(vkey));
	printf("%s\n", vkey);
	tlog_verifier_free(v);
	tlog_signer_free(s);
	tlog_signer_free(ns);
	return 0;
}

static int
cmd_keyring(const char *data, const char *home, const char *camhex, uint32_t epoch,
    int nbox, char **box)
{
	struct keyring kr;
	struct vault vt;
	uint8_t cam[16], out[KEYRING_MAX_BYTES], hash[KEYRING_HASH_BYTES], *vb;
	char path[4200], hex[65];
	size_t len, vlen;
	sqlite3 *db;
	sqlite3_stmt *st;
	int ok;

	snprintf(path, sizeof(path), "%s/vault", home);
	if (fsutil_read_bounded(path, 4096, &vb, &vlen) != 0 ||
	    vault_parse(vb, vlen, &vt) != VAULT_OK)
		return die("cannot read the owner's vault");
	free(vb);
	if (sodium_hex2bin(cam, sizeof(cam), camhex, strlen(camhex), NULL, &len, NULL) != 0 ||
	    len != 16)
		return die("bad camera id");
	memset(&kr, 0, sizeof(kr));
	memcpy(kr.camera_id, cam, 16);
	kr.epoch = epoch;
	kr.issued_ms = (uint64_t)time(NULL) * 1000;
	for (int i = 0; i < nbox && i < KEYRING_MAX_RECIPIENTS; i++) {
		if (sodium_hex2bin(kr.r[i].pk, 32, box[i], strlen(box[i]), NULL, &len,
		    NULL) != 0 || len != 32)
			return die("bad box key");
		kr.r[i].role = i == 0 ? KEYRING_ROLE_OWNER : KEYRING_ROLE_MEMBER;
		if (i > 0)
			snprintf(kr.r[i].label, sizeof(kr.r[i].label), "intruder%d", i);
		kr.n++;
	}
	if (keyring_sign(&kr, vt.sign_sk, out, sizeof(out), &len) != KEYRING_OK)
		return die("cannot sign");
	vault_wipe(&vt);
	snprintf(path, sizeof(path), "%s/sealcamd.db", data);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return die("cannot open the database");
	ok = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "INSERT INTO keyrings (camera_id, epoch, keyring,"
	    " created_ms) VALUES (?, ?, ?, 0)", -1, &st, NULL) == SQLITE_OK;
	if (ok) {
		sqlite3_bind_blob(st, 1, cam, 16, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, epoch);
		sqlite3_bind_blob(st, 3, out, (int)len, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_finalize(st);
	}
	if (ok && sqlite3_prepare_v2(db, "UPDATE cameras SET keyring_epoch = ? WHERE id = ?",
	    -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, epoch);
		sqlite3_bind_blob(st, 2, cam, 16, SQLITE_STATIC);
		ok = sqlite3_step(st) == SQLITE_DONE && sqlite3_changes(db) == 1;
		sqlite3_finalize(st);
	}
	ok = ok && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	if (!ok)
		return die("cannot write the keyring into the database");
	keyring_hash(out, len, hash);
	sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
	printf("%s\n", hex);
	return 0;
}

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

static int
cmd_chain(const char *url, const char *token, const char *vkey)
{
	static struct sink note;
	struct tlog_verifier *v = tlog_verifier_parse(vkey);
	struct tlog_checkpoint cp;
	struct tlog_chain chain;
	struct httpc *h = httpc_new(url, 60);
	char name[TLOG_NAME_MAX + 1], fpr[20], path[128], a[33], c[65];
	json_t *resp = NULL, *arr, *o;
	long long after = -1;
	size_t i;
	int first = 1;

	if (v == NULL || h == NULL || tlog_client_vkey_info(vkey, name, fpr) != 0 ||
	    httpc_set_token(h, token) != 0)
		return die("bad key, URL or token");
	if (httpc_get_stream(h, "/v1/log/checkpoint", callback_sink, &note, NULL) != 200 ||
	    tlog_client_advance(v, name, NULL, note.buf, note.len, NULL, &cp) != TLOG_CLIENT_OK)
		return die("checkpoint not signed by the key");
	for (;;) {
		snprintf(path, sizeof(path), "/v1/me/log?size=%" PRIu64 "&after_seq=%lld",
		    cp.size, after);
		if (httpc_json(h, "GET", path, NULL, &resp) != 200 ||
		    !json_is_array(arr = json_object_get(resp, "entries")))
			return die("cannot list the chain");
		json_array_foreach(arr, i, o) {
			struct tlog_proof p;
			struct tlog_entry e;
			uint8_t ent[TLOG_ENTRY_LEN + 1];
			size_t len;
			const char *b64 = json_string_value(json_object_get(o, "entry"));
			uint64_t idx = (uint64_t)json_integer_value(json_object_get(o, "index"));

			if (b64 == NULL || sodium_base642bin(ent, sizeof(ent), b64, strlen(b64),
			    NULL, &len, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
			    tlog_client_proof_json(json_object_get(o, "proof"), &p) != 0 ||
			    tlog_client_included(&cp, idx, ent, len, &p) != TLOG_CLIENT_OK ||
			    tlog_entry_parse(ent, len, &e) != 0)
				return die("an entry is not in the tree");
			if (first) {
				tlog_chain_init(&chain, e.account);
				first = 0;
			}
			if (tlog_chain_next(&chain, ent, len, idx) != TLOG_CHAIN_OK)
				return die("the chain is broken");
			sodium_bin2hex(a, sizeof(a), e.subject, 16);
			sodium_bin2hex(c, sizeof(c), e.commitment, 32);
			printf("%" PRIu64 " %" PRIu64 " %s %s %" PRIu64 " %s\n", e.seq, idx,
			    tlog_entry_type_name(e.type), a, e.number, c);
			after = (long long)e.seq;
		}
		if (!json_is_integer(json_object_get(resp, "next_after_seq"))) {
			json_decref(resp);
			break;
		}
		json_decref(resp);
	}
	httpc_free(h);
	tlog_verifier_free(v);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_WARN);
	if (argc == 4 && strcmp(argv[1], "fork") == 0)
		return cmd_fork(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "resign") == 0)
		return cmd_resign(argv[2]);
	if (argc >= 7 && strcmp(argv[1], "keyring") == 0)
		return cmd_keyring(argv[2], argv[3], argv[4], (uint32_t)strtoul(argv[5], NULL, 10),
		    argc - 6, argv + 6);
	if (argc == 5 && strcmp(argv[1], "chain") == 0)
		return cmd_chain(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: see the comment at the top of tests/tools/tlogtool.c\n");
	return 2;
}
