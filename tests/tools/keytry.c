/*
 * keytry — "by construction, not policy": given a full copy of sealcamd's
 * data directory (database and blob store) and a set of keys, try EVERY
 * sealed object in the blob store against EVERY key, by every path the
 * data offers:
 *   - the object's own recipient stanzas (seg_unwrap_key), and
 *   - every data key sealed in every grant document in the database
 *     (original-mode grants), unsealed with the key.
 * An object counts as opened only if it decrypts and verifies completely
 * (every record, the final tag, the signature under its camera's key or,
 * for derivatives, its owner's key from the database).
 *
 *	keytry DATA_DIR KEYFILE...
 *
 * KEYFILE is a vault-format key (a staff member's HOME/staff/key or an
 * owner's HOME/vault). Prints one line per opened (object, key):
 *	open KEYFILE-INDEX KIND SEQ CAMERA-ID-HEX via stanza|grant:GRANT-ID-HEX
 * then "tried N objects x M keys". Exit 0 unless the data could not be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "fsutil.h"
#include "grant.h"
#include "seg.h"
#include "vault.h"

#define MAX_SIGNERS 4096
#define MAX_GRANTS 4096

static uint8_t signers[MAX_SIGNERS][32];	/* camera keys and account sign keys */
static size_t nsigners;
static struct grant grants[MAX_GRANTS];
static size_t ngrants;
static struct vault *keys;
static int nkeys;
static unsigned long tried;

static void
hex(const uint8_t *b, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, b, n);
}

static int
load_db(const char *data)
{
	char path[4096];
	sqlite3 *db;
	sqlite3_stmt *s;

	snprintf(path, sizeof(path), "file:%s/sealcamd.db?mode=ro", data);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT pk FROM cameras UNION ALL SELECT sign_pk FROM"
	    " accounts WHERE sign_pk IS NOT NULL", -1, &s, NULL) != SQLITE_OK)
		goto err;
	while (sqlite3_step(s) == SQLITE_ROW && nsigners < MAX_SIGNERS)
		if (sqlite3_column_bytes(s, 0) == 32)
			memcpy(signers[nsigners++], sqlite3_column_blob(s, 0), 32);
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT doc FROM grants", -1, &s, NULL) != SQLITE_OK)
		goto err;
	while (sqlite3_step(s) == SQLITE_ROW && ngrants < MAX_GRANTS)
		if (grant_verify(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0),
		    NULL, &grants[ngrants]) == GRANT_OK)
			ngrants++;
	sqlite3_finalize(s);
	sqlite3_close(db);
	return 0;
err:
	fprintf(stderr, "keytry: %s\n", sqlite3_errmsg(db));
	sqlite3_close(db);
	return -1;
}

/* The key whose camera id is the header's (camera or owner). */
static const uint8_t *
signer_of(const struct seg_header *h)
{
	uint8_t id[16];

	for (size_t i = 0; i < nsigners; i++) {
		seg_camera_id(signers[i], id);
		if (memcmp(id, h->camera_id, 16) == 0)
			return signers[i];
	}
	return NULL;
}

static int
opens_with_key(const uint8_t *buf, size_t len, const struct seg_header *h,
    const uint8_t *pk, const uint8_t key[32])
{
	struct seg_expect e = { .camera_pk = pk, .kind = h->kind };
	struct seg_opener *o = seg_opener_new_with_key(&e, key, NULL, NULL);
	int ok;

	if (o == NULL)
		return 0;
	ok = seg_opener_write(o, buf, len) == SEG_OK && seg_opener_finish(o) == SEG_OK;
	seg_opener_free(o);
	return ok;
}

static void
try_object(const uint8_t *buf, size_t len)
{
	struct seg_header h;
	const uint8_t *pk;
	uint8_t key[32];
	char cam[33], gid[33];

	if (seg_header_parse(buf, len, &h) != SEG_OK || (pk = signer_of(&h)) == NULL)
		return;
	hex(h.camera_id, 16, cam);
	for (int k = 0; k < nkeys; k++) {
		tried++;
		if (seg_unwrap_key(&h, keys[k].box_pk, keys[k].box_sk, key) == SEG_OK &&
		    opens_with_key(buf, len, &h, pk, key))
			printf("open %d %u %llu %s via stanza\n", k, h.kind,
			    (unsigned long long)h.seq, cam);
		for (size_t g = 0; g < ngrants; g++) {
			if (grants[g].mode != GRANT_MODE_ORIGINAL)
				continue;
			for (unsigned i = 0; i < grants[g].n; i++) {
				if (seg_unseal_key(grants[g].obj[i].sealed_key, keys[k].box_pk,
				    keys[k].box_sk, key) != SEG_OK ||
				    !opens_with_key(buf, len, &h, pk, key))
					continue;
				hex(grants[g].grant_id, 16, gid);
				printf("open %d %u %llu %s via grant:%s\n", k, h.kind,
				    (unsigned long long)h.seq, cam, gid);
			}
		}
	}
	sodium_memzero(key, sizeof(key));
}

int
main(int argc, char **argv)
{
	char dir[4096], sub[8192], path[8448];
	unsigned long objects = 0;
	DIR *top, *d;
	struct dirent *a, *b;

	if (argc < 3 || sodium_init() < 0) {
		fprintf(stderr, "usage: keytry DATA_DIR KEYFILE...\n");
		return 2;
	}
	if ((keys = calloc((size_t)argc, sizeof(*keys))) == NULL)
		return 1;
	for (int i = 2; i < argc; i++) {
		uint8_t *kb = NULL;
		size_t kl = 0;
		if (fsutil_read_bounded(argv[i], 4096, &kb, &kl) != 0 ||
		    vault_parse(kb, kl, &keys[nkeys]) != VAULT_OK) {
			fprintf(stderr, "keytry: %s: not a key file\n", argv[i]);
			return 1;
		}
		free(kb);
		nkeys++;
	}
	if (load_db(argv[1]) != 0)
		return 1;
	snprintf(dir, sizeof(dir), "%s/blobs", argv[1]);
	if ((top = opendir(dir)) == NULL) {
		fprintf(stderr, "keytry: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	/* Every file of the blob store (fan-out directories; not tmp/). */
	while ((a = readdir(top)) != NULL) {
		if (a->d_name[0] == '.' || strcmp(a->d_name, "tmp") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, a->d_name);
		if ((d = opendir(sub)) == NULL)
			continue;
		while ((b = readdir(d)) != NULL) {
			uint8_t *buf = NULL;
			size_t len = 0;

			if (b->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", sub, b->d_name);
			if (fsutil_read_bounded(path, (size_t)SEG_MAX_SEALED, &buf, &len) != 0)
				continue;
			objects++;
			try_object(buf, len);
			free(buf);
		}
		closedir(d);
	}
	closedir(top);
	printf("tried %lu objects x %d keys (%lu pairs; %zu grant documents' keys each)\n",
	    objects, nkeys, tried, ngrants);
	for (size_t g = 0; g < ngrants; g++)
		grant_clear(&grants[g]);
	for (int k = 0; k < nkeys; k++)
		vault_wipe(&keys[k]);
	free(keys);
	return 0;
}
