/*
 * blob_fs — blob.h on a local filesystem.
 *
 *	DIR/tmp/up-XXXXXX          uploads being received (removed at open)
 *	DIR/abc/abcd...(64 hex)     one file per blob, read-only (0440)
 *
 * 4096 fan-out directories (a few thousand files each at ten million
 * objects), all created and synced once when the store is first opened, so
 * an upload never pays for a mkdir and its directory fsync.
 *
 * Durability order for a put: fsync(file) -> rename(tmp, final) ->
 * fsync(final directory). rename() is atomic, so a blob is either absent or
 * complete; after a crash, temp files are garbage, never blobs.
 */
#define _GNU_SOURCE /* mkostemp, syncfs */
#include "blob.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

struct blob {
	char dir[PATH_MAX];
	int dirfd;
};

static int
fsync_dir(const char *path)
{
	int fd, r;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

static void
key_hex(const uint8_t key[BLOB_KEY_LEN], char hex[2 * BLOB_KEY_LEN + 1])
{
	sodium_bin2hex(hex, 2 * BLOB_KEY_LEN + 1, key, BLOB_KEY_LEN);
}

/* "abc/abcd..." relative to the store directory. */
static void
key_path(const uint8_t key[BLOB_KEY_LEN], char *out, size_t len)
{
	char hex[2 * BLOB_KEY_LEN + 1];

	key_hex(key, hex);
	snprintf(out, len, "%.3s/%s", hex, hex);
}

/* Remove leftovers of uploads interrupted by a crash. */
static void
clean_tmp(struct blob *b)
{
	DIR *d;
	struct dirent *e;
	int tfd;

	if ((tfd = openat(b->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(tfd)) == NULL) {
		close(tfd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, "up-", 3) == 0)
			(void)unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* Create the fan-out directories that are missing; make them durable. */
static int
create_fanout(struct blob *b)
{
	char sub[8];
	int made = 0;

	/* The last one exists only if an earlier open finished them all. */
	if (faccessat(b->dirfd, "fff", F_OK, 0) == 0)
		return 0;
	for (unsigned i = 0; i < 4096; i++) {
		snprintf(sub, sizeof(sub), "%03x", i);
		if (mkdirat(b->dirfd, sub, 0700) == 0)
			made++;
		else if (errno != EEXIST)
			return -1;
	}
	/* Directory inodes and entries, once (not per upload). */
	return made > 0 && syncfs(b->dirfd) != 0 ? -1 : 0;
}

struct blob *
blob_open(const char *uri)
{
	struct blob *b;
	const char *dir = uri;
	char tmp[PATH_MAX + 8];

	if (strncmp(uri, "fs:", 3) == 0)
		dir = uri + 3;
	else if (strstr(uri, "://") != NULL) {
		log_err("blob", "op=open err=\"unsupported blob URI (only fs: for now)\"");
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->dirfd = -1;
	if (strlen(dir) >= sizeof(b->dir) - 80)
		goto err;
	memcpy(b->dir, dir, strlen(dir) + 1);
	snprintf(tmp, sizeof(tmp), "%s/tmp", dir);
	if ((mkdir(dir, 0700) != 0 && errno != EEXIST) ||
	    (mkdir(tmp, 0700) != 0 && errno != EEXIST)) {
		log_err("blob", "op=open dir=%s err=\"%s\"", dir, strerror(errno));
		goto err;
	}
	if ((b->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_err("blob", "op=open dir=%s err=\"%s\"", dir, strerror(errno));
		goto err;
	}
	if (create_fanout(b) != 0) {
		log_err("blob", "op=open dir=%s err=\"fan-out: %s\"", dir, strerror(errno));
		goto err;
	}
	clean_tmp(b);
	return b;
err:
	blob_close(b);
	return NULL;
}

void
blob_close(struct blob *b)
{
	if (b == NULL)
		return;
	if (b->dirfd >= 0)
		close(b->dirfd);
	free(b);
}

int
blob_ping(struct blob *b)
{
	struct stat sb;

	return fstat(b->dirfd, &sb) == 0 && faccessat(b->dirfd, "tmp", W_OK, 0) == 0 ? 0 : -1;
}

void
blob_key_new(uint8_t key[BLOB_KEY_LEN])
{
	randombytes_buf(key, BLOB_KEY_LEN);
}

int
blob_tmp(struct blob *b, char *path)
{
	int fd;

	if (snprintf(path, BLOB_TMP_PATH_MAX, "%s/tmp/up-XXXXXX", b->dir) >= BLOB_TMP_PATH_MAX)
		return -1;
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0) {
		log_err("blob", "op=tmp err=\"%s\"", strerror(errno));
		return -1;
	}
	return fd;
}

void
blob_tmp_discard(struct blob *b, const char *tmp_path)
{
	(void)b;
	if (tmp_path != NULL && tmp_path[0] != '\0')
		(void)unlink(tmp_path);
}

int
blob_put(struct blob *b, const uint8_t key[BLOB_KEY_LEN], int fd, const char *tmp_path)
{
	char rel[80], dir[PATH_MAX + 8];

	key_path(key, rel, sizeof(rel));
	/* 1. the bytes, 2. the name, 3. the directory entry. */
	if (fchmod(fd, 0440) != 0 || fsync(fd) != 0)
		goto err;
	if (renameat(AT_FDCWD, tmp_path, b->dirfd, rel) != 0)
		goto err;
	snprintf(dir, sizeof(dir), "%s/%.3s", b->dir, rel);
	if (fsync_dir(dir) != 0) {
		/* Visible but maybe not durable: do not claim it. */
		(void)unlinkat(b->dirfd, rel, 0);
		log_err("blob", "op=put err=\"fsync dir: %s\"", strerror(errno));
		return -1;
	}
	return 0;
err:
	log_err("blob", "op=put err=\"%s\"", strerror(errno));
	(void)unlink(tmp_path);
	return -1;
}

int
blob_get(struct blob *b, const uint8_t key[BLOB_KEY_LEN], int *fd, uint64_t *size)
{
	char rel[80];
	struct stat sb;

	key_path(key, rel, sizeof(rel));
	if ((*fd = openat(b->dirfd, rel, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(*fd, &sb) != 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	*size = (uint64_t)sb.st_size;
	return 0;
}

int
blob_stat(struct blob *b, const uint8_t key[BLOB_KEY_LEN], uint64_t *size)
{
	char rel[80];
	struct stat sb;

	key_path(key, rel, sizeof(rel));
	if (fstatat(b->dirfd, rel, &sb, 0) != 0)
		return errno == ENOENT ? 1 : -1;
	*size = (uint64_t)sb.st_size;
	return 0;
}

int
blob_delete(struct blob *b, const uint8_t key[BLOB_KEY_LEN])
{
	char rel[80];

	key_path(key, rel, sizeof(rel));
	if (unlinkat(b->dirfd, rel, 0) != 0 && errno != ENOENT) {
		log_err("blob", "op=delete err=\"%s\"", strerror(errno));
		return -1;
	}
	return 0;
}

static int
is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[n] == '\0';
}

int
blob_scan(struct blob *b, int64_t before_s, blob_key_fn *fn, void *cookie)
{
	char sub[8];

	for (unsigned i = 0; i < 4096; i++) {
		DIR *d;
		struct dirent *e;
		int fd;

		snprintf(sub, sizeof(sub), "%03x", i);
		if ((fd = openat(b->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			continue;
		if ((d = fdopendir(fd)) == NULL) {
			close(fd);
			continue;
		}
		while ((e = readdir(d)) != NULL) {
			uint8_t key[BLOB_KEY_LEN];
			struct stat sb;

			if (!is_hex(e->d_name, 2 * BLOB_KEY_LEN) ||
			    fstatat(dirfd(d), e->d_name, &sb, 0) != 0 || sb.st_mtime >= before_s)
				continue;
			if (sodium_hex2bin(key, sizeof(key), e->d_name, 2 * BLOB_KEY_LEN,
			    NULL, NULL, NULL) != 0)
				continue;
			if (fn(cookie, key) != 0) {
				closedir(d);
				return 0;
			}
		}
		closedir(d);
	}
	return 0;
}
